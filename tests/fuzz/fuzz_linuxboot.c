/* libFuzzer target: the Linux boot loader (bios/linuxboot.c) with hostile
 * kernel files, initrds and command lines (input format: loader.h).
 *
 * The files go through linux_boot_setup_mem, the loader's in-memory entry
 * point, on a bare machine. A load either fails with one line naming the
 * option, or leaves what the x86 boot protocol promises, checked against
 * the input (and again after a machine reset, which reloads it): the
 * protected-mode part at 1 MiB, byte for byte; boot_params with the image's
 * setup header and the loader's fields; the command line, cut to what the
 * kernel takes and terminated; the initrd page-aligned, above the room the
 * kernel needs, below its and RAM's limits, byte for byte; a sane e820
 * map; the CPU at the entry in flat 32-bit protected mode. */
/* fuzz-models: bios/linuxboot.c */
#include "loader.h"

#include "cpu/cpu.h"

/* Setup header offsets (Documentation/arch/x86/boot.rst). */
#define SETUP_SECTS 0x1F1
#define JUMP 0x200
#define TYPE_OF_LOADER 0x210
#define LOADFLAGS 0x211
#define CODE32_START 0x214
#define RAMDISK_IMAGE 0x218
#define RAMDISK_SIZE 0x21C
#define HEAP_END_PTR 0x224
#define CMD_LINE_PTR 0x228
#define INITRD_ADDR_MAX 0x22C
#define CMDLINE_SIZE 0x238
#define SETUP_DATA 0x250
#define VERSION 0x206
#define PREF_ADDRESS 0x258
#define INIT_SIZE 0x260
#define E820_ENTRIES 0x1E8
#define E820_TABLE 0x2D0
#define E820_MAX 128

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld64(const uint8_t *p)
{
    return ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static int load(Machine *m, const FzLoad *l, char *err, size_t errlen)
{
    return linux_boot_setup_mem(m, "fuzz.bzImage", l->kernel, l->kernel_size,
                                l->initrd ? "fuzz.initrd" : NULL, l->initrd, l->initrd_size,
                                l->cmdline, err, errlen);
}

/* Fields of boot_params the loader writes itself, not copied from the image.
 * An image whose jump byte (0x201) claims a header past 0x2D0 has its tail
 * overwritten by the e820 table (boot_params.e820_table, 128 entries of 20
 * bytes), which must stay intact. */
#define E820_TABLE 0x2D0
FZ_HARNESS static bool loader_field(size_t off)
{
    static const struct {
        size_t off, len;
    } f[] = {{TYPE_OF_LOADER, 1}, {LOADFLAGS, 1},    {CODE32_START, 4}, {RAMDISK_IMAGE, 4},
             {RAMDISK_SIZE, 4},   {HEAP_END_PTR, 2}, {CMD_LINE_PTR, 4}, {SETUP_DATA, 8},
             {E820_TABLE, 128 * 20}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (off >= f[i].off && off < f[i].off + f[i].len)
            return true;
    return false;
}

FZ_HARNESS static void check(Machine *m, const FzLoad *l)
{
    const uint8_t *k = l->kernel, *ram = m->ram;
    uint32_t ram_size = m->ram_size;
    size_t setup = (size_t)((k[SETUP_SECTS] ? k[SETUP_SECTS] : 4) + 1) * 512;
    FUZZ_CHECK(l->kernel_size > setup, "loaded a kernel no longer than its setup part");
    size_t pm = l->kernel_size - setup;
    FUZZ_CHECK(LINUX_KERNEL_ADDR + (uint64_t)pm <= ram_size, "kernel beyond RAM");
    FUZZ_CHECK(!memcmp(ram + LINUX_KERNEL_ADDR, k + setup, pm),
               "the protected-mode part at 1 MiB differs from the file");

    const uint8_t *bp = ram + LINUX_BOOT_PARAMS_ADDR;
    size_t hdr_end = (size_t)JUMP + 2 + k[JUMP + 1];
    for (size_t off = SETUP_SECTS; off < hdr_end; off++)
        FUZZ_CHECK(loader_field(off) || bp[off] == k[off],
                   "boot_params byte %#zx is not the image's", off);
    FUZZ_CHECK(bp[TYPE_OF_LOADER] == 0xFF && ld32(bp + CODE32_START) == LINUX_KERNEL_ADDR,
               "loader fields");
    FUZZ_CHECK(ld32(bp + CMD_LINE_PTR) == LINUX_CMDLINE_ADDR, "cmd_line_ptr");

    /* the command line: a prefix of ours, as long as the kernel takes */
    uint32_t csize = ld32(k + CMDLINE_SIZE);
    if (csize > 0xFFFF)
        csize = 0xFFFF;
    const char *want = l->cmdline ? l->cmdline : "";
    const char *got = (const char *)ram + LINUX_CMDLINE_ADDR;
    size_t glen = strnlen(got, (size_t)csize + 1);
    FUZZ_CHECK(glen <= csize, "command line not terminated within cmdline_size");
    FUZZ_CHECK(glen == (strlen(want) < csize ? strlen(want) : csize) && !memcmp(got, want, glen),
               "command line differs from -append");

    /* the initrd */
    uint32_t image = ld32(bp + RAMDISK_IMAGE), isize = ld32(bp + RAMDISK_SIZE);
    if (l->initrd && l->initrd_size) {
        uint64_t top = ld32(k + INITRD_ADDR_MAX);
        if (top > LINUX_INITRD_MAX)
            top = LINUX_INITRD_MAX;
        FUZZ_CHECK(isize == l->initrd_size, "ramdisk_size %u for %zu bytes", isize,
                   l->initrd_size);
        FUZZ_CHECK(!(image & 0xFFF), "initrd at %#x, not page-aligned", image);
        FUZZ_CHECK((uint64_t)image + isize <= ram_size && (uint64_t)image + isize <= top + 1,
                   "initrd [%#x, +%#x) beyond RAM or initrd_addr_max", image, isize);
        FUZZ_CHECK(image >= LINUX_KERNEL_ADDR + pm, "initrd at %#x over the kernel", image);
        FUZZ_CHECK(!memcmp(ram + image, l->initrd, isize), "initrd in RAM differs");
    } else {
        FUZZ_CHECK(image == 0 && isize == 0, "an initrd nobody gave: %#x +%#x", image, isize);
    }

    /* e820: entries in the table, RAM only where there is RAM */
    int n = bp[E820_ENTRIES];
    FUZZ_CHECK(n > 0 && n <= E820_MAX, "%d e820 entries", n);
    for (int i = 0; i < n; i++) {
        const uint8_t *e = bp + E820_TABLE + 20 * i;
        uint64_t a = ld64(e), len = ld64(e + 8);
        if (ld32(e + 16) == 1)
            FUZZ_CHECK(a + len <= ram_size, "e820 RAM [%#llx, +%#llx) beyond %u bytes",
                       (unsigned long long)a, (unsigned long long)len, ram_size);
    }

    /* the CPU at the entry: the image's at 1 MiB, or the kernel's own
     * where the loader unpacked it, inside init_size bytes at pref_address
     * and clear of the initrd */
    const CPU *c = m->cpu;
    FUZZ_CHECK(c->regs[R_ESI] == LINUX_BOOT_PARAMS_ADDR && (c->cr0 & CR0_PE),
               "CPU not at the kernel entry");
    if (c->eip != LINUX_KERNEL_ADDR) {
        uint64_t run = ld32(k + PREF_ADDRESS), end = run + ld32(k + INIT_SIZE);
        FUZZ_CHECK((k[VERSION] | k[VERSION + 1] << 8) >= 0x020A && c->eip >= run && c->eip < end && end <= ram_size,
                   "entry %#x is neither 1 MiB nor in the unpacked kernel", c->eip);
        FUZZ_CHECK(!(l->initrd && l->initrd_size) || image >= end,
                   "initrd at %#x over the unpacked kernel", image);
    }
}

static const char *const prefixes[] = {"-kernel ", "-initrd ", "-append", NULL};

static const FzLoader linux_loader = {
    .name = "linux_boot_setup_mem",
    .load = load,
    .check = check,
    .prefixes = prefixes,
};

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_loader_run(&linux_loader, data, size);
    return 0;
}
