/* Direct Linux boot: the x86 32-bit boot protocol (Documentation/arch/x86/
 * boot.rst). The bzImage's protected-mode part is loaded at 1 MiB and entered
 * in flat 32-bit protected mode with ESI pointing at boot_params.
 *
 * The loader also does the decompressor's work when it can (kernel_unpack):
 * the payload (boot protocol 2.08's payload_offset/length) is an ELF vmlinux
 * compressed with gzip or xz; the loader decompresses it on the host, loads
 * its segments where the kernel's own decompressor would put them and enters
 * the kernel there, with the same registers and boot_params. A boot skips
 * seconds of emulated decompression. Where the decompressor would do more
 * (randomise the address with KASLR, relocate the kernel) or the payload is
 * anything else, the kernel decompresses itself as before; so it does when a
 * debugger is to see the boot (Machine.kernel_self_decompress). */
#define _GNU_SOURCE /* memmem */
#include "bios/bios.h"
#include "hw/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zlib.h>
#if WIREBOX_HAVE_LZMA
#include <lzma.h>
#endif

/* Setup header fields, as offsets into the bzImage file (and boot_params). */
#define HDR_START 0x1F1
#define HDR_SETUP_SECTS 0x1F1
#define HDR_SYSSIZE 0x1F4 /* protected-mode code size in 16-byte paragraphs (2.04+) */
#define HDR_BOOT_FLAG 0x1FE
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PAYLOAD_OFFSET 0x248 /* 2.08+: from the protected-mode part's start */
#define HDR_PAYLOAD_LENGTH 0x24C
#define HDR_SETUP_DATA 0x250
#define SETUP_RNG_SEED 9
#define RNG_SEED_LEN 32
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260

#define LF_LOADED_HIGH 0x01
#define LF_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

/* Other boot_params offsets */
#define BP_EXT_MEM_K 0x002 /* screen_info.ext_mem_k */
#define BP_VIDEO_MODE 0x006  /* screen_info.orig_video_mode */
#define BP_VIDEO_COLS 0x007
#define BP_VIDEO_EGA_BX 0x00A
#define BP_VIDEO_LINES 0x00E
#define BP_VIDEO_IS_VGA 0x00F
#define BP_VIDEO_POINTS 0x010
#define BP_ALT_MEM_K 0x1E0
#define BP_E820_ENTRIES 0x1E8
#define BP_E820_TABLE 0x2D0
#define BP_SIZE 0x1000

#define E820_RAM 1
#define E820_RESERVED 2

#define ONE_MIB 0x100000u
#define CMDLINE_MAX 0xFFFFu /* room between LINUX_CMDLINE_ADDR and 0x30000 */

/* A PT_LOAD segment of the unpacked kernel: where it goes, and its bytes. */
typedef struct KernelSeg {
    uint32_t dest, offset, filesz, memsz;
} KernelSeg;
#define KERNEL_SEGS_MAX 16

typedef struct LinuxBoot {
    uint8_t *kernel;
    size_t kernel_size;
    uint8_t *initrd;
    size_t initrd_size;
    char *cmdline;
    /* From the setup header */
    size_t setup_size; /* real-mode part, (setup_sects + 1) * 512 */
    size_t hdr_end;    /* end of the setup header in the file */
    uint32_t initrd_addr;
    /* The decompressed kernel (vmlinux), when the loader unpacked it */
    uint8_t *vmlinux;
    KernelSeg seg[KERNEL_SEGS_MAX];
    int nseg;
    uint32_t entry; /* where the CPU starts: 1 MiB, or the vmlinux's entry */
    /* Where the kernel runs (decompressed), and how much room it needs
     * there; run == 0 for protocols before 2.10, which do not say. */
    uint64_t run, init_size;
} LinuxBoot;

static void linux_boot_release(LinuxBoot *lb)
{
    if (!lb)
        return;
    free(lb->kernel);
    free(lb->vmlinux);
    free(lb->initrd);
    free(lb->cmdline);
    free(lb);
}

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
    int n = bp[BP_E820_ENTRIES];
    uint8_t *e = bp + BP_E820_TABLE + 20 * n;
    st64le(e, addr);
    st64le(e + 8, size);
    st32le(e + 16, type);
    bp[BP_E820_ENTRIES] = (uint8_t)(n + 1);
}

/* A setup_data entry of type SETUP_RNG_SEED: the kernel credits it to its
 * random pool at once, as firmware with a hardware RNG would, so it does not
 * spend seconds gathering timer jitter before the crng is ready. Runs that
 * must be reproducible (-icount with sleep=off) get a fixed seed. */
static void write_rng_seed(Machine *m, uint8_t *bp)
{
    uint8_t sd[16 + RNG_SEED_LEN];
    memset(sd, 0, sizeof sd);
    st32le(sd + 8, SETUP_RNG_SEED);
    st32le(sd + 12, RNG_SEED_LEN);
    bool deterministic = m->icount_shift >= 0 && !m->icount_sleep;
    if (deterministic || getrandom(sd + 16, RNG_SEED_LEN, 0) != RNG_SEED_LEN)
        for (int i = 0; i < RNG_SEED_LEN; i++)
            sd[16 + i] = (uint8_t)(0x5A ^ (i * 37));
    bios_ram_write(m, LINUX_SETUP_DATA_ADDR, sd, sizeof sd);
    st64le(bp + HDR_SETUP_DATA, LINUX_SETUP_DATA_ADDR);
}

/* Copy everything into guest RAM and set up the CPU. Cannot fail: all the
 * checks were made by linux_boot_setup. */
static void linux_load(Machine *m, LinuxBoot *lb)
{
    const uint8_t *k = lb->kernel;
    size_t pm_size = lb->kernel_size - lb->setup_size;
    bios_ram_write(m, LINUX_KERNEL_ADDR, k + lb->setup_size, pm_size);
    for (int i = 0; i < lb->nseg; i++) {
        const KernelSeg *g = &lb->seg[i];
        bios_ram_write(m, g->dest, lb->vmlinux + g->offset, g->filesz);
        bios_ram_write(m, g->dest + g->filesz, NULL, g->memsz - g->filesz);
    }
    if (lb->initrd_size)
        bios_ram_write(m, lb->initrd_addr, lb->initrd, lb->initrd_size);
    size_t clen = strlen(lb->cmdline);
    bios_ram_write(m, LINUX_CMDLINE_ADDR, lb->cmdline, clen + 1);

    /* boot_params: zeroed, then the image's setup header copied in. */
    uint8_t bp[BP_SIZE];
    memset(bp, 0, sizeof bp);
    memcpy(bp + HDR_START, k + HDR_START, lb->hdr_end - HDR_START);
    bp[HDR_TYPE_OF_LOADER] = 0xFF; /* undefined loader */
    /* Keep LOADED_HIGH; clear the loader-set bits (QUIET, KEEP_SEGMENTS). */
    bp[HDR_LOADFLAGS] = (uint8_t)((bp[HDR_LOADFLAGS] & LF_LOADED_HIGH) | LF_CAN_USE_HEAP);
    st16le(bp + HDR_HEAP_END_PTR, 0xFE00); /* meaningful to real-mode setup only */
    st32le(bp + HDR_CODE32_START, LINUX_KERNEL_ADDR);
    st32le(bp + HDR_CMD_LINE_PTR, LINUX_CMDLINE_ADDR);
    st32le(bp + HDR_RAMDISK_IMAGE, lb->initrd_size ? lb->initrd_addr : 0);
    st32le(bp + HDR_RAMDISK_SIZE, (uint32_t)lb->initrd_size);

    /* Memory: the top 1 KiB of base memory is the EBDA, 0xE0000-0xFFFFF the
     * BIOS and its tables (ACPI); 0xA0000-0xDFFFF (VGA, option ROMs) is
     * simply not listed. */
    uint32_t ram = m->ram_size;
    uint32_t ext_k = (ram - ONE_MIB) / 1024;
    st16le(bp + BP_EXT_MEM_K, (uint16_t)(ext_k > 0xFFFF ? 0xFFFF : ext_k));
    st32le(bp + BP_ALT_MEM_K, ext_k);
    e820_add(bp, 0, 0x9FC00, E820_RAM);
    e820_add(bp, 0x9FC00, 0x400, E820_RESERVED);
    e820_add(bp, BIOS_ACPI_ADDR, ONE_MIB - BIOS_ACPI_ADDR, E820_RESERVED);
    e820_add(bp, ONE_MIB, ram - ONE_MIB, E820_RAM);
    if (m->rom_size)
        e820_add(bp, (uint64_t)(0x100000000ull - m->rom_size), m->rom_size, E820_RESERVED);
    /* screen_info: the 80x25 colour text mode firmware_setup left on the VGA
     * (vgacon); without a VGA it stays zero and the kernel uses dummycon. */
    PcBoard *board = pc_board(m);
    if (board && board->vga) {
        bp[BP_VIDEO_MODE] = 3;
        bp[BP_VIDEO_COLS] = 80;
        bp[BP_VIDEO_LINES] = 25;
        bp[BP_VIDEO_IS_VGA] = 1;
        st16le(bp + BP_VIDEO_EGA_BX, 0x0003); /* colour, 256 KiB (INT 10h AH=12h BL=10h) */
        st16le(bp + BP_VIDEO_POINTS, 16);
    }
    write_rng_seed(m, bp);
    bios_ram_write(m, LINUX_BOOT_PARAMS_ADDR, bp, sizeof bp);

    bios_enter_flat32(m, lb->entry, 0, 0, LINUX_BOOT_PARAMS_ADDR, LINUX_STACK_TOP);
}

static void linux_on_reset(Machine *m, void *opaque)
{
    firmware_setup(m);
    linux_load(m, opaque);
}

/* ---- The decompressor's work, done by the loader */

#define UNPACK_MAX (512u << 20)

/* Inflate a gzip stream into exactly out_len bytes. */
static bool unpack_gzip(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return false;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)in_len;
    z.next_out = out;
    z.avail_out = (uInt)out_len;
    int rc = inflate(&z, Z_FINISH);
    bool ok = rc == Z_STREAM_END && z.total_out == out_len;
    inflateEnd(&z);
    return ok;
}

/* Decode an xz stream (the kernel's: CRC32 check, x86 BCJ filter, LZMA2)
 * into exactly out_len bytes. */
static bool unpack_xz(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
#if WIREBOX_HAVE_LZMA
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&s, 256u << 20, 0) != LZMA_OK)
        return false;
    s.next_in = in;
    s.avail_in = in_len;
    s.next_out = out;
    s.avail_out = out_len;
    lzma_ret rc = lzma_code(&s, LZMA_FINISH);
    bool ok = rc == LZMA_STREAM_END && s.total_out == out_len;
    lzma_end(&s);
    return ok;
#else
    (void)in, (void)in_len, (void)out, (void)out_len;
    return false;
#endif
}

/* Would the kernel's decompressor randomise where the kernel runs? Only
 * one built with KASLR does, and not when the command line says nokaslr.
 * Such a decompressor carries the option's name among its strings (outside
 * the compressed payload). */
static bool kernel_kaslr(const LinuxBoot *lb, size_t pay_start, size_t pay_end)
{
    for (const char *p = lb->cmdline; (p = strstr(p, "nokaslr")) != NULL; p += 7)
        if ((p == lb->cmdline || p[-1] == ' ') && (p[7] == '\0' || p[7] == ' '))
            return false;
    const uint8_t *pm = lb->kernel + lb->setup_size;
    size_t pm_size = lb->kernel_size - lb->setup_size;
    return memmem(pm, pay_start, "nokaslr", 7) ||
           memmem(pm + pay_end, pm_size - pay_end, "nokaslr", 7);
}

/* The decompressed kernel, an ELF32 i386 executable: its PT_LOAD segments
 * go to lb->run + (p_paddr - pref_address), as the decompressor's
 * parse_elf puts them, and must stay inside init_size bytes there. */
static bool kernel_parse_elf(LinuxBoot *lb, const uint8_t *v, size_t n, uint64_t pref)
{
    if (n < 52 || memcmp(v, "\x7f" "ELF\x01\x01\x01", 7) != 0 || ld16le(v + 16) != 2 /* EXEC */ ||
        ld16le(v + 18) != 3 /* 386 */ || ld16le(v + 42) != 32)
        return false;
    uint64_t phoff = ld32le(v + 28), phnum = ld16le(v + 44), entry = ld32le(v + 24);
    uint64_t run = lb->run, end = run + lb->init_size;
    if (phoff + phnum * 32 > n || entry < pref || entry - pref >= lb->init_size)
        return false;
    lb->nseg = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = v + phoff + 32 * i;
        uint64_t off = ld32le(ph + 4), paddr = ld32le(ph + 12);
        uint64_t filesz = ld32le(ph + 16), memsz = ld32le(ph + 20);
        if (ld32le(ph) != 1 /* PT_LOAD */ || memsz == 0)
            continue;
        uint64_t dest = run + (paddr - pref);
        if (lb->nseg == KERNEL_SEGS_MAX || paddr < pref || filesz > memsz || off + filesz > n ||
            dest + memsz > end)
            return false;
        lb->seg[lb->nseg++] = (KernelSeg){(uint32_t)dest, (uint32_t)off, (uint32_t)filesz,
                                          (uint32_t)memsz};
    }
    if (lb->nseg == 0)
        return false;
    lb->entry = (uint32_t)(run + (entry - pref));
    return true;
}

/* Unpack the kernel if the loader can do exactly what its decompressor
 * would; otherwise leave lb as it is (the kernel decompresses itself). */
static void kernel_unpack(LinuxBoot *lb)
{
    const uint8_t *k = lb->kernel;
    if (ld16le(k + HDR_VERSION) < 0x020A || !lb->run)
        return;
    uint64_t pref = ld64le(k + HDR_PREF_ADDRESS);
    if (lb->run != pref) /* it would relocate itself */
        return;
    size_t pm_size = lb->kernel_size - lb->setup_size;
    uint64_t off = ld32le(k + HDR_PAYLOAD_OFFSET), len = ld32le(k + HDR_PAYLOAD_LENGTH);
    if (len < 16 || off + len > pm_size || kernel_kaslr(lb, off, off + len))
        return;
    const uint8_t *in = k + lb->setup_size + off;
    /* The kernel's build appends the decompressed size (gzip's own trailer
     * ends with it too). */
    uint32_t out_len = ld32le(in + len - 4);
    if (out_len < 52 || out_len > lb->init_size || out_len > UNPACK_MAX)
        return;
    uint8_t *out = malloc(out_len);
    if (!out)
        return;
    bool ok = false;
    if (in[0] == 0x1F && in[1] == 0x8B)
        ok = unpack_gzip(in, len, out, out_len);
    else if (memcmp(in, "\xFD" "7zXZ\0", 6) == 0)
        ok = unpack_xz(in, len, out, out_len);
    if (!ok || !kernel_parse_elf(lb, out, out_len, pref)) {
        free(out);
        lb->nseg = 0;
        lb->entry = LINUX_KERNEL_ADDR;
        return;
    }
    lb->vmlinux = out;
}

/* The checks and the placement below work on a LinuxBoot whose kernel (and
 * initrd) bytes are already in memory, wherever they came from: the files
 * (linux_boot_setup) or a caller's buffers (linux_boot_setup_mem). */
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        wb_errf(err, errlen, __VA_ARGS__);                                                        \
        return -1;                                                                                 \
    } while (0)

/* Is lb->kernel a bzImage this machine can boot? Fills in the setup
 * header's values, the room the kernel needs (*need) and the command line. */
static int check_kernel(Machine *m, LinuxBoot *lb, const char *kernel, const char *cmdline,
                        uint64_t *need_out, char *err, size_t errlen)
{
    uint32_t ram = m->ram_size;
    const uint8_t *k = lb->kernel;
    size_t n = lb->kernel_size;

    /* Is it a bzImage? */
    if (n >= 4 && memcmp(k,
                         "\x7f"
                         "ELF",
                         4) == 0)
        FAIL("-kernel %s: is an ELF file (vmlinux?); wirebox boots a bzImage "
             "(arch/x86/boot/bzImage)",
             kernel);
    if (n < 0x1000 || memcmp(k + HDR_MAGIC, "HdrS", 4) != 0 || ld16le(k + HDR_BOOT_FLAG) != 0xAA55)
        FAIL("-kernel %s: not a Linux bzImage (no 'HdrS' setup header)", kernel);
    uint16_t version = ld16le(k + HDR_VERSION);
    if (version < 0x0206)
        FAIL("-kernel %s: boot protocol %d.%02d is too old (wirebox needs 2.06 or newer)", kernel,
             version >> 8, version & 0xFF);
    if (!(k[HDR_LOADFLAGS] & LF_LOADED_HIGH))
        FAIL("-kernel %s: not a bzImage (a zImage loads below 1 MiB; not supported)", kernel);
    if (version >= 0x020C && (ld16le(k + HDR_XLOADFLAGS) & XLF_KERNEL_64))
        FAIL("-kernel %s: is a 64-bit (x86_64) kernel; wirebox emulates a 32-bit i686 CPU", kernel);
    int setup_sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;
    lb->setup_size = (size_t)(setup_sects + 1) * 512;
    lb->hdr_end = (size_t)HDR_JUMP + 2 + k[HDR_JUMP + 1]; /* the jump skips the header */
    if (lb->hdr_end > lb->setup_size || lb->hdr_end < HDR_CMDLINE_SIZE + 4)
        FAIL("-kernel %s: corrupt setup header (header ends at 0x%zx, setup is 0x%zx bytes)",
             kernel, lb->hdr_end, lb->setup_size);
    if (n <= lb->setup_size)
        FAIL("-kernel %s: truncated (%zu bytes, but the setup part alone is %zu)", kernel, n,
             lb->setup_size);
    size_t pm_size = n - lb->setup_size;
    uint64_t syssize = (uint64_t)ld32le(k + HDR_SYSSIZE) * 16;
    if (syssize > pm_size)
        FAIL("-kernel %s: truncated (%zu bytes, but the header says %llu)", kernel, n,
             (unsigned long long)(lb->setup_size + syssize));

    /* Room for the kernel where it decompresses: a relocatable 32-bit kernel
     * moves itself to max(pref_address, load address rounded up to its
     * alignment) and needs init_size bytes there. */
    uint64_t kernel_end = LINUX_KERNEL_ADDR + (uint64_t)pm_size;
    uint64_t need = kernel_end;
    if (version >= 0x020A) {
        uint64_t pref = ld64le(k + HDR_PREF_ADDRESS);
        uint32_t align = ld32le(k + HDR_KERNEL_ALIGNMENT);
        uint64_t run = LINUX_KERNEL_ADDR;
        if (k[HDR_RELOCATABLE] && align && !(align & (align - 1)))
            run = (run + align - 1) & ~(uint64_t)(align - 1);
        if (run < pref)
            run = pref;
        lb->run = run;
        lb->init_size = ld32le(k + HDR_INIT_SIZE);
        uint64_t end = run + lb->init_size;
        if (end > need)
            need = end;
    }
    if (need > ram)
        FAIL("-kernel %s: needs at least %llu MiB of guest RAM to decompress (-m is %u MiB)",
             kernel, (unsigned long long)((need + ONE_MIB - 1) / ONE_MIB), ram >> 20);
    *need_out = need;

    /* Command line */
    uint32_t cmdline_size = ld32le(k + HDR_CMDLINE_SIZE); /* excludes the NUL */
    if (cmdline_size > CMDLINE_MAX)
        cmdline_size = CMDLINE_MAX;
    if (!cmdline)
        cmdline = "";
    size_t clen = strlen(cmdline);
    if (clen > cmdline_size) {
        wb_log("warning: -append: command line is %zu bytes; the kernel takes %u, the rest is "
               "dropped",
               clen, cmdline_size);
        clen = cmdline_size;
    }
    lb->cmdline = strndup(cmdline, clen);
    if (!lb->cmdline)
        FAIL("-append: out of memory");
    lb->entry = LINUX_KERNEL_ADDR;
    return 0;
}

/* Initrd: page-aligned, as high as the kernel allows and lowmem reaches,
 * below initrd_top (the first byte it may not use). */
static int place_initrd(LinuxBoot *lb, const char *initrd, uint64_t need, uint32_t initrd_top,
                        char *err, size_t errlen)
{
    uint64_t top = ld32le(lb->kernel + HDR_INITRD_ADDR_MAX);
    if (top > LINUX_INITRD_MAX)
        top = LINUX_INITRD_MAX;
    if (top > (uint64_t)initrd_top - 1)
        top = (uint64_t)initrd_top - 1;
    top += 1; /* first byte past the allowed range */
    uint64_t low = (need + 0xFFF) & ~0xFFFull;
    uint64_t addr = top >= lb->initrd_size ? (top - lb->initrd_size) & ~0xFFFull : 0;
    if (lb->initrd_size > top || addr < low)
        FAIL("-initrd %s: too big (%zu bytes) to fit in guest RAM beside the kernel; "
             "use a larger -m",
             initrd, lb->initrd_size);
    lb->initrd_addr = (uint32_t)addr;
    return 0;
}

#undef FAIL

/* Everything checked: load it, and again on every reset. Only here, in
 * the direct boot, is the kernel unpacked (firmware boots the bzImage). */
static void linux_boot_commit(Machine *m, LinuxBoot *lb)
{
    if (!m->kernel_self_decompress)
        kernel_unpack(lb);
    bios_free(m);
    linux_load(m, lb);
    m->on_reset = linux_on_reset;
    m->on_reset_opaque = lb;
}

/* Reads and checks the files; the initrd goes below initrd_top (the first
 * byte it may not use). NULL with one line in err. */
static LinuxBoot *linux_boot_read(Machine *m, const char *kernel, const char *initrd,
                                  const char *cmdline, uint32_t initrd_top, char *err,
                                  size_t errlen)
{
    LinuxBoot *lb = calloc(1, sizeof *lb);
    if (!lb) {
        wb_errf(err, errlen, "-kernel %s: out of memory", kernel);
        return NULL;
    }
    uint64_t need;
    lb->kernel = bios_read_file("-kernel", kernel, m->ram_size, &lb->kernel_size, err, errlen);
    if (!lb->kernel || check_kernel(m, lb, kernel, cmdline, &need, err, errlen) != 0)
        goto fail;
    if (initrd) {
        lb->initrd = bios_read_file("-initrd", initrd, m->ram_size, &lb->initrd_size, err, errlen);
        if (!lb->initrd || place_initrd(lb, initrd, need, initrd_top, err, errlen) != 0)
            goto fail;
    }
    return lb;
fail:
    linux_boot_release(lb);
    return NULL;
}

int linux_boot_setup(Machine *m, const char *kernel, const char *initrd, const char *cmdline,
                     char *err, size_t errlen)
{
    LinuxBoot *lb = linux_boot_read(m, kernel, initrd, cmdline, m->ram_size, err, errlen);
    if (!lb)
        return -1;
    linux_boot_commit(m, lb);
    return 0;
}

/* A copy of a caller's buffer, as bios_read_file would have read it. */
static uint8_t *copy_image(const char *what, const char *name, const void *buf, size_t len,
                           size_t max, char *err, size_t errlen)
{
    if (len > max) {
        wb_errf(err, errlen, "%s %s: too big (%zu bytes; at most %zu fit)", what, name, len, max);
        return NULL;
    }
    uint8_t *p = malloc(len ? len : 1);
    if (!p) {
        wb_errf(err, errlen, "%s %s: out of memory reading %zu bytes", what, name, len);
        return NULL;
    }
    memcpy(p, buf, len);
    return p;
}

int linux_boot_setup_mem(Machine *m, const char *kernel_name, const void *kernel,
                         size_t kernel_size, const char *initrd_name, const void *initrd,
                         size_t initrd_size, const char *cmdline, char *err, size_t errlen)
{
    LinuxBoot *lb = calloc(1, sizeof *lb);
    if (!lb) {
        wb_errf(err, errlen, "-kernel %s: out of memory", kernel_name);
        return -1;
    }
    uint64_t need;
    lb->kernel_size = kernel_size;
    lb->kernel = copy_image("-kernel", kernel_name, kernel, kernel_size, m->ram_size, err, errlen);
    if (!lb->kernel || check_kernel(m, lb, kernel_name, cmdline, &need, err, errlen) != 0)
        goto fail;
    if (initrd) {
        lb->initrd_size = initrd_size;
        lb->initrd = copy_image("-initrd", initrd_name, initrd, initrd_size, m->ram_size, err,
                                errlen);
        if (!lb->initrd || place_initrd(lb, initrd_name, need, m->ram_size, err, errlen) != 0)
            goto fail;
    }
    linux_boot_commit(m, lb);
    return 0;
fail:
    linux_boot_release(lb);
    return -1;
}

/* Where QEMU's x86 loader puts things for a bzImage (boot protocol 2.02 and
 * newer, loaded high) that firmware boots: the real-mode setup at 0x10000,
 * the command line at 0x20000, the kernel at 1 MiB; the initrd below the
 * top 160 KiB of RAM, which the firmware keeps for its tables. */
#define FW_SETUP_ADDR 0x10000u
#define FW_CMDLINE_ADDR 0x20000u
#define FW_INITRD_MARGIN 0x28000u
#define QEMU_LOADER_TYPE 0xB0

int linux_boot_fw_cfg(Machine *m, FwCfg *fw, const char *kernel, const char *initrd,
                      const char *cmdline, char *err, size_t errlen)
{
    LinuxBoot *lb = linux_boot_read(m, kernel, initrd, cmdline, m->ram_size - FW_INITRD_MARGIN,
                                    err, errlen);
    if (!lb)
        return -1;
    /* The setup part, its header patched as a boot loader does. */
    uint8_t *setup = malloc(lb->setup_size);
    if (!setup) {
        wb_errf(err, errlen, "-kernel %s: out of memory", kernel);
        linux_boot_release(lb);
        return -1;
    }
    memcpy(setup, lb->kernel, lb->setup_size);
    setup[HDR_TYPE_OF_LOADER] = QEMU_LOADER_TYPE;
    setup[HDR_LOADFLAGS] |= LF_CAN_USE_HEAP;
    st16le(setup + HDR_HEAP_END_PTR, (uint16_t)(FW_CMDLINE_ADDR - FW_SETUP_ADDR - 0x200));
    st32le(setup + HDR_CMD_LINE_PTR, FW_CMDLINE_ADDR);
    st32le(setup + HDR_RAMDISK_IMAGE, lb->initrd_size ? lb->initrd_addr : 0);
    st32le(setup + HDR_RAMDISK_SIZE, (uint32_t)lb->initrd_size);

    fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, FW_SETUP_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, (uint32_t)lb->setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, setup, lb->setup_size);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, LINUX_KERNEL_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)(lb->kernel_size - lb->setup_size));
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, lb->kernel + lb->setup_size,
                     lb->kernel_size - lb->setup_size);
    size_t clen = strlen(lb->cmdline) + 1;
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, FW_CMDLINE_ADDR);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)clen);
    fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, lb->cmdline, clen);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, lb->initrd_size ? lb->initrd_addr : 0);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, (uint32_t)lb->initrd_size);
    fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, lb->initrd, lb->initrd_size);
    free(setup);
    linux_boot_release(lb);
    return 0;
}

void bios_free(Machine *m)
{
    multiboot_free(m);
    if (m->on_reset == linux_on_reset) {
        linux_boot_release(m->on_reset_opaque);
        m->on_reset = NULL;
        m->on_reset_opaque = NULL;
    }
}

void linux_boot_enter_via_handover(Machine *m)
{
    uint8_t jmp[5] = {0xE9}; /* jmp rel32 to the entry the loader set */
    st32le(jmp + 1, m->cpu->eip - (LINUX_HANDOVER_ADDR + sizeof jmp));
    bios_ram_write(m, LINUX_HANDOVER_ADDR, jmp, sizeof jmp);
    m->cpu->eip = LINUX_HANDOVER_ADDR;
}
