/* Direct Linux boot and firmware tables (bios/). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#if WIREBOX_HAVE_LZMA
#include <lzma.h>
#endif

#include "bios/bios.h"
#include "hw/bytes.h"
#include "hw/pc.h"

#define RAM (64u << 20)
#define SETUP_SECTS 4
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define PM_SIZE 0x1000
#define INIT_SIZE 0x100000u

static char err[512];

/* A minimal bzImage: setup header of protocol 2.15 and PM_SIZE bytes of
 * protected-mode code: mov eax,[esi+0x202]; hlt; then a pattern. */
static uint8_t image[SETUP_SIZE + PM_SIZE];

static void make_image(void)
{
    memset(image, 0, sizeof image);
    uint8_t *k = image;
    k[0x1F1] = SETUP_SECTS;
    st16le(k + 0x1FE, 0xAA55);
    k[0x200] = 0xEB;
    k[0x201] = 0x6A; /* header ends at 0x26C */
    memcpy(k + 0x202, "HdrS", 4);
    st16le(k + 0x206, 0x020F);
    k[0x211] = 0x01; /* LOADED_HIGH */
    st32le(k + 0x1F4, PM_SIZE / 16); /* syssize */
    st32le(k + 0x214, 0x100000);
    st32le(k + 0x22C, 0x7FFFFFFF);
    st32le(k + 0x230, 0x1000000);
    k[0x234] = 1;
    st32le(k + 0x238, 0x7FF);
    st32le(k + 0x258, 0x1000000);
    st32le(k + 0x260, INIT_SIZE);
    uint8_t *pm = k + SETUP_SIZE;
    for (int i = 0; i < PM_SIZE; i++)
        pm[i] = (uint8_t)(i * 7 + 3);
    const uint8_t code[] = {0x8B, 0x86, 0x02, 0x02, 0x00, 0x00, 0xF4};
    memcpy(pm, code, sizeof code);
}

static char *write_tmp(const void *data, size_t len)
{
    static char names[8][64];
    static int next;
    char *name = names[next++ % 8];
    strcpy(name, "/tmp/wb_linuxboot_XXXXXX");
    int fd = mkstemp(name);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return name;
}

static uint8_t *initrd_data(size_t len)
{
    uint8_t *d = malloc(len);
    for (size_t i = 0; i < len; i++)
        d[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5A);
    return d;
}

START_TEST(test_boot_params)
{
    make_image();
    char *kpath = write_tmp(image, sizeof image);
    size_t rdlen = 100000;
    uint8_t *rd = initrd_data(rdlen);
    char *rpath = write_tmp(rd, rdlen);
    Machine *m = machine_new_bare(RAM);
    ck_assert_ptr_nonnull(m);
    int rc = linux_boot_setup(m, kpath, rpath, "console=ttyS0 quiet", err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    const uint8_t *bp = m->ram + LINUX_BOOT_PARAMS_ADDR;

    /* Setup header copied in, loader fields filled. */
    ck_assert_mem_eq(bp + 0x202, "HdrS", 4);
    ck_assert_uint_eq(ld16le(bp + 0x206), 0x020F);
    ck_assert_uint_eq(bp[0x1F1], SETUP_SECTS);
    ck_assert_uint_eq(bp[0x210], 0xFF);
    ck_assert_uint_eq(bp[0x211] & 0x81, 0x81);
    ck_assert_uint_eq(ld32le(bp + 0x214), 0x100000);
    ck_assert_uint_eq(ld64le(bp + 0x258), 0x1000000);
    ck_assert_uint_eq(ld32le(bp + 0x260), INIT_SIZE);
    /* screen_info: no video mode (dummy console), only ext_mem_k set. */
    for (int i = 0; i < 0x40; i++)
        if (i != 2 && i != 3)
            ck_assert_uint_eq(bp[i], 0);
    ck_assert_uint_eq(ld16le(bp + 2), (RAM - 0x100000) / 1024);
    ck_assert_uint_eq(bp[0x1EF], 0);

    /* Command line */
    uint32_t cl = ld32le(bp + 0x228);
    ck_assert_uint_eq(cl, LINUX_CMDLINE_ADDR);
    ck_assert_str_eq((const char *)m->ram + cl, "console=ttyS0 quiet");

    /* Initrd: page aligned, inside RAM and lowmem, above where the kernel
     * decompresses, contents intact. */
    uint32_t ri = ld32le(bp + 0x218), rs = ld32le(bp + 0x21C);
    ck_assert_uint_eq(rs, rdlen);
    ck_assert_uint_eq(ri & 0xFFF, 0);
    ck_assert_uint_le((uint64_t)ri + rs, RAM);
    ck_assert_uint_le((uint64_t)ri + rs, 0x38000000u);
    ck_assert_uint_ge(ri, 0x1000000u + INIT_SIZE);
    ck_assert_uint_gt((uint64_t)ri + rs + 0x1000, RAM); /* as high as possible */
    ck_assert_mem_eq(m->ram + ri, rd, rdlen);

    /* e820 */
    ck_assert_uint_eq(bp[0x1E8], 4);
    const uint64_t want[4][3] = {
        {0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xE0000, 0x20000, 2}, {0x100000, RAM - 0x100000, 1}};
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = bp + 0x2D0 + 20 * i;
        ck_assert_uint_eq(ld64le(e), want[i][0]);
        ck_assert_uint_eq(ld64le(e + 8), want[i][1]);
        ck_assert_uint_eq(ld32le(e + 16), want[i][2]);
    }
    ck_assert_uint_eq(ld32le(bp + 0x1E0), (RAM - 0x100000) / 1024);

    /* The protected-mode kernel at 1 MiB. */
    ck_assert_mem_eq(m->ram + 0x100000, image + SETUP_SIZE, PM_SIZE);

    /* GDT and CPU state */
    ck_assert_uint_eq(ld64le(m->ram + LINUX_GDT_ADDR + 0x10), 0x00CF9B000000FFFFull);
    ck_assert_uint_eq(ld64le(m->ram + LINUX_GDT_ADDR + 0x18), 0x00CF93000000FFFFull);
    CPU *c = m->cpu;
    ck_assert_uint_eq(c->eip, 0x100000);
    ck_assert_uint_eq(c->regs[R_ESI], LINUX_BOOT_PARAMS_ADDR);
    ck_assert_uint_eq(c->regs[R_EBP], 0);
    ck_assert_uint_eq(c->regs[R_EDI], 0);
    ck_assert_uint_eq(c->regs[R_EBX], 0);
    ck_assert_uint_eq(c->cr0 & CR0_PE, CR0_PE);
    ck_assert_uint_eq(c->cr0 & CR0_PG, 0);
    ck_assert_uint_eq(cpu_get_eflags(c) & F_IF, 0);
    ck_assert_uint_eq(c->seg[S_CS].sel, 0x10);
    ck_assert_uint_eq(c->seg[S_CS].flags, 0xC09B);
    ck_assert_uint_eq(c->seg[S_CS].base, 0);
    ck_assert_uint_eq(c->seg[S_CS].limit, 0xFFFFFFFFu);
    for (int s = 0; s < 6; s++) {
        if (s == S_CS)
            continue;
        ck_assert_uint_eq(c->seg[s].sel, 0x18);
        ck_assert_uint_eq(c->seg[s].flags, 0xC093);
    }
    ck_assert_uint_eq(c->gdt_base, LINUX_GDT_ADDR);
    ck_assert_uint_eq(c->gdt_limit, 31);
    ck_assert(c->code32);
    ck_assert_int_eq(c->cpl, 0);

    bios_free(m);
    ck_assert_ptr_null(m->on_reset);
    machine_free(m);
    free(rd);
    unlink(kpath);
    unlink(rpath);
}
END_TEST

/* The entry state is usable by the CPU: the first instruction reads
 * boot_params through DS:ESI. */
START_TEST(test_runs)
{
    make_image();
    char *kpath = write_tmp(image, sizeof image);
    Machine *m = machine_new_bare(RAM);
    ck_assert_int_eq(linux_boot_setup(m, kpath, NULL, NULL, err, sizeof err), 0);
    ck_assert_str_eq((const char *)m->ram + LINUX_CMDLINE_ADDR, "");
    ck_assert_uint_eq(ld32le(m->ram + LINUX_BOOT_PARAMS_ADDR + 0x218), 0);
    ck_assert_uint_eq(ld32le(m->ram + LINUX_BOOT_PARAMS_ADDR + 0x21C), 0);
    cpu_run(m->cpu, m->cpu->icount + 2);
    ck_assert_uint_eq(m->cpu->regs[R_EAX], 0x53726448); /* "HdrS" */
    ck_assert_uint_eq(m->cpu->eip, 0x100007);
    ck_assert(m->cpu->halted);

    /* A reboot loads everything again. */
    memset(m->ram + 0x100000, 0xCC, PM_SIZE);
    memset(m->ram + LINUX_BOOT_PARAMS_ADDR, 0, 4096);
    machine_reset(m);
    ck_assert_mem_eq(m->ram + 0x100000, image + SETUP_SIZE, PM_SIZE);
    ck_assert_mem_eq(m->ram + LINUX_BOOT_PARAMS_ADDR + 0x202, "HdrS", 4);
    ck_assert_uint_eq(m->cpu->eip, 0x100000);
    ck_assert_uint_eq(m->cpu->seg[S_CS].sel, 0x10);
    ck_assert_uint_eq(m->cpu->cr0 & CR0_PE, CR0_PE);
    ck_assert(!m->cpu->halted);
    cpu_run(m->cpu, m->cpu->icount + 2);
    ck_assert_uint_eq(m->cpu->regs[R_EAX], 0x53726448);

    bios_free(m);
    machine_free(m);
    unlink(kpath);
}
END_TEST

/* ---- the loader unpacks the kernel (kernel_unpack) */

#define RUN_AT 0x1000000u /* pref_address */
#define ENTRY (RUN_AT + 0x40)
#define BSS_END 0x2000u
#define SEG2 (RUN_AT + 0x4000)
enum { PACK_GZIP, PACK_XZ };

/* A vmlinux: ELF32 i386 with a PT_LOAD for RUN_AT (code at ENTRY, then bss
 * up to BSS_END), a PT_NOTE, a PT_LOAD of 16 bytes at seg2, and bytes after
 * the ELF data as the kernel's appended relocations are. */
static size_t make_vmlinux(uint8_t *v, uint32_t seg2)
{
    memset(v, 0, 0x220);
    memcpy(v, "\x7f" "ELF\x01\x01\x01", 7);
    st16le(v + 16, 2);
    st16le(v + 18, 3);
    st32le(v + 20, 1);
    st32le(v + 24, ENTRY);
    st32le(v + 28, 52);
    st16le(v + 40, 52);
    st16le(v + 42, 32);
    st16le(v + 44, 3);
    const uint32_t ph[3][8] = {{1, 0x100, 0xC1000000u, RUN_AT, 0x100, BSS_END, 7, 0x1000},
                               {4, 0x210, 0, 0, 0x10, 0x10, 4, 4},
                               {1, 0x200, 0xC1004000u, seg2, 0x10, 0x10, 6, 0x1000}};
    for (int i = 0; i < 3; i++)
        for (int f = 0; f < 8; f++)
            st32le(v + 52 + 32 * i + 4 * f, ph[i][f]);
    for (int i = 0; i < 0x100; i++)
        v[0x100 + i] = (uint8_t)(i * 13 + 1);
    const uint8_t code[] = {0x8B, 0x86, 0x02, 0x02, 0x00, 0x00, 0xF4}; /* as make_image's */
    memcpy(v + 0x140, code, sizeof code);
    for (int i = 0; i < 0x10; i++)
        v[0x200 + i] = (uint8_t)(0xA0 + i);
    memcpy(v + 0x210, "relocations.....", 16);
    return 0x220;
}

static size_t pack(int fmt, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t len = 0;
    if (fmt == PACK_GZIP) {
        z_stream z;
        memset(&z, 0, sizeof z);
        ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
                         Z_OK);
        z.next_in = (Bytef *)(uintptr_t)in;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
        len = z.total_out;
        deflateEnd(&z);
        return len; /* gzip's trailer ends with the size already */
    }
#if WIREBOX_HAVE_LZMA
    lzma_options_lzma opt;
    lzma_lzma_preset(&opt, 6);
    lzma_filter f[] = {{LZMA_FILTER_X86, NULL}, {LZMA_FILTER_LZMA2, &opt},
                       {LZMA_VLI_UNKNOWN, NULL}};
    ck_assert_int_eq(lzma_stream_buffer_encode(f, LZMA_CHECK_CRC32, NULL, in, n, out, &len, cap),
                     LZMA_OK);
#endif
    ck_assert_uint_le(len + 4, cap);
    st32le(out + len, (uint32_t)n); /* the kernel's build appends the size */
    return len + 4;
}

/* make_image's bzImage with a compressed vmlinux as its payload (at 0x100
 * into the protected-mode part), and extra bytes after it. */
static size_t make_packed(int fmt, uint32_t seg2, const char *extra)
{
    make_image();
    uint8_t v[0x220], z[0x800];
    size_t vn = make_vmlinux(v, seg2), zn = pack(fmt, v, vn, z, sizeof z);
    ck_assert_uint_le(0x100 + zn + strlen(extra), PM_SIZE);
    uint8_t *pm = image + SETUP_SIZE;
    memcpy(pm + 0x100, z, zn);
    memcpy(pm + 0x100 + zn, extra, strlen(extra));
    st32le(image + 0x248, 0x100);
    st32le(image + 0x24C, (uint32_t)zn);
    return zn;
}

static Machine *boot_packed(const char *cmdline)
{
    Machine *m = machine_new_bare(RAM);
    int rc = linux_boot_setup_mem(m, "bzImage", image, sizeof image, NULL, NULL, 0, cmdline, err,
                                  sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    return m;
}

static void expect_unpacked(Machine *m)
{
    const uint8_t *r = m->ram;
    uint8_t v[0x220];
    make_vmlinux(v, SEG2);
    ck_assert_uint_eq(m->cpu->eip, ENTRY);
    ck_assert_uint_eq(m->cpu->regs[R_ESI], LINUX_BOOT_PARAMS_ADDR);
    ck_assert_mem_eq(r + RUN_AT, v + 0x100, 0x100);
    for (uint32_t a = RUN_AT + 0x100; a < RUN_AT + BSS_END; a++)
        ck_assert_uint_eq(r[a], 0);
    ck_assert_mem_eq(r + SEG2, v + 0x200, 0x10);
    ck_assert_uint_eq(r[SEG2 + 0x10], 0); /* the PT_NOTE and the relocations stay out */
    /* the compressed kernel and boot_params as ever */
    ck_assert_mem_eq(r + 0x100000, image + SETUP_SIZE, PM_SIZE);
    ck_assert_uint_eq(ld32le(r + LINUX_BOOT_PARAMS_ADDR + 0x214), 0x100000);
    ck_assert_mem_eq(r + LINUX_BOOT_PARAMS_ADDR + 0x202, "HdrS", 4);
}

static void expect_packed(Machine *m)
{
    ck_assert_uint_eq(m->cpu->eip, 0x100000);
    for (uint32_t a = RUN_AT; a < RUN_AT + 0x100; a++)
        ck_assert_uint_eq(m->ram[a], 0);
}

static void unpack_runs(int fmt)
{
    make_packed(fmt, SEG2, "");
    Machine *m = boot_packed("console=ttyS0");
    expect_unpacked(m);
    cpu_run(m->cpu, m->cpu->icount + 2);
    ck_assert_uint_eq(m->cpu->regs[R_EAX], 0x53726448); /* "HdrS" through ESI */
    ck_assert_uint_eq(m->cpu->eip, ENTRY + 7);
    ck_assert(m->cpu->halted);
    /* A reboot loads the unpacked kernel again, its bss zeroed. */
    memset(m->ram + RUN_AT, 0xCC, 0x4010);
    machine_reset(m);
    expect_unpacked(m);
    bios_free(m);
    machine_free(m);
}

START_TEST(test_unpack_gzip)
{
    unpack_runs(PACK_GZIP);
}
END_TEST

START_TEST(test_unpack_xz)
{
#if WIREBOX_HAVE_LZMA
    unpack_runs(PACK_XZ);
#endif
}
END_TEST

/* Where the decompressor would do more than unpack, or cannot be followed,
 * the kernel decompresses itself: entry at 1 MiB, nothing at RUN_AT. */
START_TEST(test_unpack_not)
{
    /* A decompressor with KASLR (it knows "nokaslr") randomises the
     * kernel's address unless the command line says nokaslr. */
    make_packed(PACK_GZIP, SEG2, "KASLR disabled: 'nokaslr' on cmdline.");
    const char *randomised[] = {"console=ttyS0", "xnokaslr", "nokaslrx quiet", ""};
    for (size_t i = 0; i < sizeof randomised / sizeof randomised[0]; i++) {
        Machine *m = boot_packed(randomised[i]);
        expect_packed(m);
        bios_free(m);
        machine_free(m);
    }
    const char *fixed[] = {"nokaslr", "console=ttyS0 nokaslr", "a nokaslr b"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        Machine *m = boot_packed(fixed[i]);
        expect_unpacked(m);
        bios_free(m);
        machine_free(m);
    }

    /* A debugger is to see the boot (-s, -S, -gdb) */
    make_packed(PACK_GZIP, SEG2, "");
    Machine *m = machine_new_bare(RAM);
    m->kernel_self_decompress = true;
    ck_assert_int_eq(linux_boot_setup_mem(m, "bzImage", image, sizeof image, NULL, NULL, 0, "",
                                          err, sizeof err),
                     0);
    expect_packed(m);
    bios_free(m);
    machine_free(m);

    /* A corrupt payload: the kernel's decompressor will say so itself. */
    size_t zn = make_packed(PACK_GZIP, SEG2, "");
    image[SETUP_SIZE + 0x100 + zn / 2] ^= 0x40;
    m = boot_packed("");
    expect_packed(m);
    bios_free(m);
    machine_free(m);

    /* A segment past init_size */
    make_packed(PACK_GZIP, RUN_AT + INIT_SIZE - 8, "");
    m = boot_packed("");
    expect_packed(m);
    bios_free(m);
    machine_free(m);

    /* A kernel that would relocate itself: pref_address below where it
     * runs (its alignment puts it at 16 MiB, pref says 8). */
    make_packed(PACK_GZIP, SEG2, "");
    st32le(image + 0x258, 0x800000);
    m = boot_packed("");
    expect_packed(m);
    bios_free(m);
    machine_free(m);

    /* Not a payload the loader knows (an lzma one, say) */
    make_packed(PACK_GZIP, SEG2, "");
    image[SETUP_SIZE + 0x100] = 0x5D;
    m = boot_packed("");
    expect_packed(m);
    bios_free(m);
    machine_free(m);
}
END_TEST

START_TEST(test_cmdline_truncated)
{
    make_image();
    st32le(image + 0x238, 15);
    char *kpath = write_tmp(image, sizeof image);
    Machine *m = machine_new_bare(RAM);
    ck_assert_int_eq(linux_boot_setup(m, kpath, NULL, "console=ttyS0 loglevel=8", err, sizeof err),
                     0);
    ck_assert_str_eq((const char *)m->ram + LINUX_CMDLINE_ADDR, "console=ttyS0 l");
    bios_free(m);
    machine_free(m);
    unlink(kpath);
}
END_TEST

static void expect_error(Machine *m, const char *kpath, const char *rpath, const char *want)
{
    err[0] = '\0';
    ck_assert_int_eq(linux_boot_setup(m, kpath, rpath, "", err, sizeof err), -1);
    ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_ptr_null(m->on_reset);
}

START_TEST(test_errors)
{
    Machine *m = machine_new_bare(RAM);
    expect_error(m, "/nonexistent/bzImage", NULL, "-kernel /nonexistent/bzImage: cannot open");

    uint8_t junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 13);
    char *p = write_tmp(junk, sizeof junk);
    expect_error(m, p, NULL, "not a Linux bzImage");

    memcpy(junk,
           "\x7f"
           "ELF",
           4);
    p = write_tmp(junk, sizeof junk);
    expect_error(m, p, NULL, "is an ELF file");

    make_image();
    st16le(image + 0x206, 0x0204);
    p = write_tmp(image, sizeof image);
    expect_error(m, p, NULL, "boot protocol 2.04 is too old");

    make_image();
    image[0x211] = 0;
    p = write_tmp(image, sizeof image);
    expect_error(m, p, NULL, "not a bzImage");

    make_image();
    st16le(image + 0x236, 0x0001); /* XLF_KERNEL_64 */
    p = write_tmp(image, sizeof image);
    expect_error(m, p, NULL, "64-bit");

    make_image();
    st32le(image + 0x260, 60u << 20); /* needs 16 + 60 MiB */
    p = write_tmp(image, sizeof image);
    expect_error(m, p, NULL, "needs at least 76 MiB of guest RAM");

    /* a kernel file cut short: the header's syssize is beyond its end */
    make_image();
    p = write_tmp(image, SETUP_SIZE + PM_SIZE / 2);
    expect_error(m, p, NULL, "truncated (4608 bytes, but the header says 6656)");

    make_image();
    char *kpath = write_tmp(image, sizeof image);
    expect_error(m, kpath, "/nonexistent/initrd", "-initrd /nonexistent/initrd: cannot open");
    size_t big = 48u << 20; /* above 17 MiB, 48 MiB do not fit in 64 */
    uint8_t *rd = calloc(1, big);
    char *rpath = write_tmp(rd, big);
    free(rd);
    expect_error(m, kpath, rpath, "too big");
    unlink(rpath);

    machine_free(m);
}
END_TEST

/* linux_boot_setup_mem (the fuzz target's entry point) loads what
 * linux_boot_setup loads from files, byte for byte, and fails the same way. */
START_TEST(test_setup_mem)
{
    make_image();
    size_t rdlen = 5000;
    uint8_t *rd = initrd_data(rdlen);
    char *kpath = write_tmp(image, sizeof image), *rpath = write_tmp(rd, rdlen);
    Machine *a = machine_new_bare(RAM), *b = machine_new_bare(RAM);
    ck_assert_int_eq(linux_boot_setup(a, kpath, rpath, "console=ttyS0", err, sizeof err), 0);
    ck_assert_int_eq(linux_boot_setup_mem(b, "k", image, sizeof image, "r", rd, rdlen,
                                          "console=ttyS0", err, sizeof err),
                     0);
    /* the RNG seed in setup_data differs from run to run: compare around it */
    ck_assert_mem_eq(a->ram, b->ram, LINUX_SETUP_DATA_ADDR + 16);
    ck_assert_mem_eq(a->ram + LINUX_SETUP_DATA_ADDR + 48, b->ram + LINUX_SETUP_DATA_ADDR + 48,
                     RAM - LINUX_SETUP_DATA_ADDR - 48);
    ck_assert_uint_eq(a->cpu->eip, b->cpu->eip);
    ck_assert_uint_eq(a->cpu->regs[R_ESI], b->cpu->regs[R_ESI]);
    ck_assert_ptr_eq(a->on_reset, b->on_reset);
    /* the buffers were copied: a reset reloads the image after the caller
     * has scribbled over its own */
    memset(image, 0, sizeof image);
    memset(b->ram + LINUX_KERNEL_ADDR, 0xCC, PM_SIZE);
    machine_reset(b);
    ck_assert_uint_eq(b->ram[LINUX_KERNEL_ADDR], 0x8B);

    /* failures: one line naming the option, nothing left behind */
    Machine *c = machine_new_bare(RAM);
    make_image();
    ck_assert_int_eq(linux_boot_setup_mem(c, "small.img", image, SETUP_SIZE + PM_SIZE / 2, NULL,
                                          NULL, 0, NULL, err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "-kernel small.img: truncated (4608 bytes, but the header says 6656)");
    ck_assert_ptr_null(c->on_reset);
    ck_assert_int_eq(linux_boot_setup_mem(c, "k", image, RAM + 1, NULL, NULL, 0, NULL, err,
                                          sizeof err),
                     -1);
    ck_assert_str_eq(err, "-kernel k: too big (67108865 bytes; at most 67108864 fit)");
    ck_assert_int_eq(linux_boot_setup_mem(c, "k", image, sizeof image, "big.rd", rd, RAM + 1,
                                          NULL, err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "-initrd big.rd: too big (67108865 bytes; at most 67108864 fit)");
    ck_assert_ptr_null(c->on_reset);

    bios_free(a);
    bios_free(b);
    machine_free(a);
    machine_free(b);
    machine_free(c);
    free(rd);
    unlink(kpath);
    unlink(rpath);
}
END_TEST

/* The initrd stays below the kernel's initrd_addr_max. */
START_TEST(test_initrd_addr_max)
{
    make_image();
    st32le(image + 0x22C, 0x01FFFFFF); /* 32 MiB - 1 */
    char *kpath = write_tmp(image, sizeof image);
    uint8_t *rd = initrd_data(5000);
    char *rpath = write_tmp(rd, 5000);
    Machine *m = machine_new_bare(RAM);
    ck_assert_int_eq(linux_boot_setup(m, kpath, rpath, "", err, sizeof err), 0);
    uint32_t ri = ld32le(m->ram + LINUX_BOOT_PARAMS_ADDR + 0x218);
    ck_assert_uint_eq(ri, 0x02000000 - 0x2000);
    ck_assert_mem_eq(m->ram + ri, rd, 5000);
    bios_free(m);
    machine_free(m);
    free(rd);
}
END_TEST

static MachineConfig pc_config(void)
{
    return (MachineConfig){.ram_size = RAM, .icount_shift = -1, .icount_sleep = true};
}

START_TEST(test_pir)
{
    MachineConfig cfg = pc_config();
    Machine *m = machine_new_pc(&cfg, NULL);
    ck_assert_ptr_nonnull(m);
    firmware_setup(m);
    /* As the guest reads it: through the shadow RAM firmware_setup enabled. */
    const uint8_t *t = NULL;
    for (uint32_t a = 0xF0000; a < 0x100000; a += 16) {
        const uint8_t *p = phys_host_ptr(m, a, false);
        if (p && !memcmp(p, "$PIR", 4)) {
            t = p;
            break;
        }
    }
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(ld16le(t + 4), 0x0100);
    uint16_t size = ld16le(t + 6);
    ck_assert_uint_gt(size, 32);
    ck_assert_uint_eq(size % 16, 0);
    ck_assert_uint_eq(t[8], 0);
    ck_assert_uint_eq(t[9], 0x08);
    ck_assert_uint_eq(ld16le(t + 12), 0x8086);
    ck_assert_uint_eq(ld16le(t + 14), 0x7000);
    uint8_t sum = 0;
    for (int i = 0; i < size; i++)
        sum = (uint8_t)(sum + t[i]);
    ck_assert_uint_eq(sum, 0);
    /* Each slot entry: links 0x60-0x63 allowing IRQ 10 and 11. */
    for (int e = 0; e < (size - 32) / 16; e++) {
        const uint8_t *s = t + 32 + 16 * e;
        for (int pin = 0; pin < 4; pin++) {
            uint8_t link = s[2 + 3 * pin];
            ck_assert_uint_ge(link, 0x60);
            ck_assert_uint_le(link, 0x63);
            ck_assert_uint_eq(ld16le(s + 3 + 3 * pin) & 0x0C00, 0x0C00);
        }
    }
    /* Router programmed, ELCR level for IRQ 10 and 11. */
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, 0x08, 0x60, 0), 10);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, 0x08, 0x61, 0), 10);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, 0x08, 0x62, 0), 11);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, 0x08, 0x63, 0), 11);
    ck_assert_uint_eq(port_read(m, 0x4D1, 0) & 0x0C, 0x0C);
    ck_assert_uint_eq(port_read(m, 0x4D0, 0) & 0x07, 0);
    /* BIOS data area */
    ck_assert_uint_eq(ld16le(m->ram + 0x413), 639);
    ck_assert_uint_eq(ld16le(m->ram + 0x40E), 0x9FC0);
    machine_free(m);
}
END_TEST

/* A device with one memory and one I/O BAR gets both, aligned, enabled,
 * with bus mastering and its interrupt line set. */
static uint32_t dummy_read(void *o, uint32_t off, int sz)
{
    return 0;
}

static void dummy_write(void *o, uint32_t off, uint32_t v, int sz) {}

START_TEST(test_pci_bars)
{
    MachineConfig cfg = pc_config();
    cfg.vga_none = true; /* the test device alone gets the first addresses */
    Machine *m = machine_new_pc(&cfg, NULL);
    PciDevice *d = pci_register_device(pc_board(m)->pci, "test", -1, 0x1234, 0x5678, 0, 0x020000, NULL);
    ck_assert_ptr_nonnull(d);
    pci_register_bar(d, 0, 0x20000, false, dummy_read, dummy_write, NULL);
    pci_register_bar(d, 1, 0x40, true, dummy_read, dummy_write, NULL);
    pci_register_bar(d, 2, 0x1000, false, dummy_read, dummy_write, NULL);
    firmware_setup(m);
    int df = d->devfn;
    uint32_t b0 = pci_config_read(pc_board(m)->pci, df, 0x10, 2);
    uint32_t b1 = pci_config_read(pc_board(m)->pci, df, 0x14, 2);
    uint32_t b2 = pci_config_read(pc_board(m)->pci, df, 0x18, 2);
    ck_assert_uint_eq(b0 & 0xF, 0);
    ck_assert_uint_eq(b0 & ~0xFu, 0xE0000000u);
    ck_assert_uint_eq(b2 & ~0xFu, 0xE0020000u);
    ck_assert_uint_eq(b1 & 3, 1);
    ck_assert_uint_eq(b1 & ~3u, 0xC000);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, df, 0x04, 1) & 7, 7);
    int pin = (int)pci_config_read(pc_board(m)->pci, df, 0x3D, 0);
    ck_assert_int_eq(pin, 1);
    uint32_t line = pci_config_read(pc_board(m)->pci, df, 0x3C, 0);
    ck_assert_uint_eq(line, bios_pirq_irq[pci_pirq(PCI_SLOT(df), pin)]);
    /* The interrupt line register is where INTA really arrives: the slave
     * 8259's IRR (OCW3 read IRR) shows the level. */
    ck_assert_uint_ge(line, 8);
    pci_set_irq(d, 1);
    port_write(m, 0xA0, 0x0A, 0);
    ck_assert_uint_eq(port_read(m, 0xA0, 0) & (1u << (line - 8)), 1u << (line - 8));
    pci_set_irq(d, 0);
    port_write(m, 0xA0, 0x0A, 0);
    ck_assert_uint_eq(port_read(m, 0xA0, 0) & (1u << (line - 8)), 0);
    /* Running it again (a reboot) gives the same assignment. */
    firmware_setup(m);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, df, 0x10, 2), b0);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, df, 0x14, 2), b1);
    machine_free(m);
}
END_TEST

START_TEST(test_bios_rom)
{
    Machine *m = machine_new_bare(RAM);
    uint8_t rom[10000];
    for (size_t i = 0; i < sizeof rom; i++)
        rom[i] = (uint8_t)(i * 31 + 1);
    char *p = write_tmp(rom, sizeof rom);
    ck_assert_int_eq(bios_load_rom(m, p, err, sizeof err), 0);
    ck_assert_uint_eq(m->rom_size, 65536);
    ck_assert_mem_eq(m->rom + 65536 - sizeof rom, rom, sizeof rom);
    ck_assert_uint_eq(m->rom[0], 0xFF);
    /* Below 1 MiB, where the shadow RAM is not read (a chipset at power-on),
     * the ROM's end: the reset vector's bytes at 0xFFFF0. */
    machine_set_shadow(m, 0xC0000, 0x40000, SHADOW_BUS);
    ck_assert_mem_eq(phys_host_ptr(m, 0x100000 - sizeof rom, false), rom, sizeof rom);
    ck_assert_mem_eq(phys_host_ptr(m, 0xFFFF0, false), rom + sizeof rom - 16, 16);
    ck_assert_uint_eq(phys_read(m, 0xF0000, 0), 0xFF); /* the padding in front */
    ck_assert_ptr_nonnull(phys_host_ptr(m, 0xFFFFFFF0u, false));
    ck_assert_uint_eq(*phys_host_ptr(m, 0xFFFFFFF0u, false), rom[sizeof rom - 16]);
    unlink(p);

    static uint8_t big[256 * 1024];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i >> 10);
    p = write_tmp(big, sizeof big);
    ck_assert_int_eq(bios_load_rom(m, p, err, sizeof err), 0);
    ck_assert_uint_eq(m->rom_size, sizeof big);
    ck_assert_mem_eq(phys_host_ptr(m, 0xE0000, false), big + sizeof big - 0x20000, 0x20000);
    ck_assert_uint_eq(phys_read(m, 0xDFFFF, 0), 0xFF); /* only the last 128 KiB show */
    unlink(p);

    p = write_tmp(big, sizeof big - 1);
    ck_assert_int_eq(bios_load_rom(m, p, err, sizeof err), 0);
    ck_assert_uint_eq(m->rom_size, sizeof big);
    unlink(p);

    static uint8_t huge[256 * 1024 + 1];
    p = write_tmp(huge, sizeof huge);
    ck_assert_int_eq(bios_load_rom(m, p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "too big"), "%s", err);
    unlink(p);
    p = write_tmp(huge, 0);
    ck_assert_int_eq(bios_load_rom(m, p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "empty"), "%s", err);
    unlink(p);
    ck_assert_int_eq(bios_load_rom(m, "/nonexistent/rom", err, sizeof err), -1);
    ck_assert_str_eq(err, "-bios /nonexistent/rom: cannot open: No such file or directory");
    machine_free(m);
}
END_TEST

/* -kernel booted by firmware: the items QEMU's linuxboot option ROM reads,
 * with the setup header patched as QEMU's loader does. */
START_TEST(test_fw_cfg_items)
{
    make_image();
    char *kpath = write_tmp(image, sizeof image);
    size_t rdlen = 50000;
    uint8_t *rd = initrd_data(rdlen);
    char *rpath = write_tmp(rd, rdlen);
    MachineConfig mc = {.ram_size = RAM, .icount_shift = -1, .icount_sleep = true};
    Machine *m = machine_new_pc(&mc, NULL);
    ck_assert_ptr_nonnull(m);
    FwCfg *fw = pc_board(m)->fw_cfg;
    ck_assert_int_eq(linux_boot_fw_cfg(m, fw, kpath, rpath, "console=ttyS0", err, sizeof err), 0);
    size_t len;
    const uint8_t *p;
    ck_assert_uint_eq(ld32le(fw_cfg_item(fw, FW_CFG_SETUP_ADDR, NULL)), 0x10000);
    ck_assert_uint_eq(ld32le(fw_cfg_item(fw, FW_CFG_SETUP_SIZE, NULL)), SETUP_SIZE);
    p = fw_cfg_item(fw, FW_CFG_SETUP_DATA, &len);
    ck_assert_uint_eq(len, SETUP_SIZE);
    ck_assert_mem_eq(p + 0x202, "HdrS", 4);
    ck_assert_uint_eq(p[0x210], 0xB0);                       /* type_of_loader: QEMU */
    ck_assert_uint_eq(p[0x211], 0x81);                       /* LOADED_HIGH | CAN_USE_HEAP */
    ck_assert_uint_eq(ld16le(p + 0x224), 0x20000 - 0x10000 - 0x200); /* heap_end_ptr */
    ck_assert_uint_eq(ld32le(p + 0x228), 0x20000);           /* cmd_line_ptr */
    uint32_t ri = ld32le(p + 0x218);
    ck_assert_uint_eq(ld32le(p + 0x21C), rdlen);
    ck_assert_uint_eq(ri & 0xFFF, 0);
    ck_assert_uint_le((uint64_t)ri + rdlen, RAM - 0x28000u); /* below the firmware's tables */
    ck_assert_uint_eq(ld32le(fw_cfg_item(fw, FW_CFG_INITRD_ADDR, NULL)), ri);
    ck_assert_uint_eq(ld32le(fw_cfg_item(fw, FW_CFG_INITRD_SIZE, NULL)), rdlen);
    ck_assert_mem_eq(fw_cfg_item(fw, FW_CFG_INITRD_DATA, &len), rd, rdlen);
    ck_assert_uint_eq(len, rdlen);
    ck_assert_uint_eq(ld32le(fw_cfg_item(fw, FW_CFG_KERNEL_ADDR, NULL)), 0x100000);
    ck_assert_uint_eq(ld32le(fw_cfg_item(fw, FW_CFG_KERNEL_SIZE, NULL)), PM_SIZE);
    ck_assert_mem_eq(fw_cfg_item(fw, FW_CFG_KERNEL_DATA, &len), image + SETUP_SIZE, PM_SIZE);
    ck_assert_uint_eq(ld32le(fw_cfg_item(fw, FW_CFG_CMDLINE_ADDR, NULL)), 0x20000);
    ck_assert_uint_eq(ld32le(fw_cfg_item(fw, FW_CFG_CMDLINE_SIZE, NULL)), 14);
    ck_assert_mem_eq(fw_cfg_item(fw, FW_CFG_CMDLINE_DATA, &len), "console=ttyS0", 14);
    /* The same checks as direct boot: not a bzImage. */
    char *bad = write_tmp("junk", 4);
    ck_assert_int_eq(linux_boot_fw_cfg(m, fw, bad, NULL, NULL, err, sizeof err), -1);
    ck_assert(strstr(err, "not a Linux bzImage"));
    machine_free(m);
    unlink(kpath);
    unlink(rpath);
    unlink(bad);
    free(rd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linuxboot");
    TCase *tc = tcase_create("linuxboot");
    tcase_add_test(tc, test_boot_params);
    tcase_add_test(tc, test_runs);
    tcase_add_test(tc, test_unpack_gzip);
    tcase_add_test(tc, test_unpack_xz);
    tcase_add_test(tc, test_unpack_not);
    tcase_add_test(tc, test_cmdline_truncated);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_setup_mem);
    tcase_add_test(tc, test_initrd_addr_max);
    tcase_add_test(tc, test_pir);
    tcase_add_test(tc, test_pci_bars);
    tcase_add_test(tc, test_bios_rom);
    tcase_add_test(tc, test_fw_cfg_items);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
