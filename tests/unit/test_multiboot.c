/* Multiboot v1 direct boot (bios/multiboot.c): the header, ELF32 and a.out
 * kludge loading, the information structure, modules, and every malformed
 * kernel refused with one line. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/bios.h"
#include "bios/multiboot.h"
#include "testutil.h"

#define RAM (32u << 20)

static char err[512];
static Machine *m;

static void setup(void)
{
    m = wb_test_machine_with_buses(RAM);
    memset(m->ram + 0x100000, 0xAA, RAM - 0x100000);
    err[0] = '\0';
}

static void teardown(void)
{
    bios_free(m);
    machine_free(m);
}

static void put_header(uint8_t *at, uint32_t flags)
{
    st32le(at, MB_HEADER_MAGIC);
    st32le(at + 4, flags);
    st32le(at + 8, (uint32_t)-(MB_HEADER_MAGIC + flags));
}

/* An ELF32 kernel: one PT_LOAD of 0x100 bytes from file offset 0x100,
 * linked at virtual 0xC0200000, loaded at physical 0x200000, with 0x2000
 * bytes in memory (the rest bss); entry 0xC0200010. */
static uint8_t elf[0x200];

static void make_elf(void)
{
    memset(elf, 0, sizeof elf);
    memcpy(elf, "\x7f" "ELF", 4);
    elf[4] = 1; /* 32-bit */
    elf[5] = 1; /* little endian */
    elf[6] = 1;
    st16le(elf + 16, 2); /* ET_EXEC */
    st16le(elf + 18, 3); /* EM_386 */
    st32le(elf + 20, 1);
    st32le(elf + 24, 0xC0200010); /* e_entry */
    st32le(elf + 28, 52);         /* e_phoff */
    st16le(elf + 40, 52);
    st16le(elf + 42, 32); /* e_phentsize */
    st16le(elf + 44, 1);  /* e_phnum */
    uint8_t *ph = elf + 52;
    st32le(ph, 1);             /* PT_LOAD */
    st32le(ph + 4, 0x100);     /* p_offset */
    st32le(ph + 8, 0xC0200000); /* p_vaddr */
    st32le(ph + 12, 0x200000); /* p_paddr */
    st32le(ph + 16, 0x100);    /* p_filesz */
    st32le(ph + 20, 0x2000);   /* p_memsz */
    put_header(elf + 0x60, MB_HF_PAGE_ALIGN | MB_HF_MEMINFO);
    for (int i = 0; i < 0x100; i++)
        elf[0x100 + i] = (uint8_t)(i * 3 + 1);
}

static uint32_t rd32(uint32_t a)
{
    return ld32le(m->ram + a);
}

static const char *str_at(uint32_t a)
{
    ck_assert_uint_lt(a, RAM);
    return (const char *)m->ram + a;
}

START_TEST(test_elf_and_info)
{
    make_elf();
    static const uint8_t d1[] = "first module\n", d2[] = "second";
    MultibootModule mods[2] = {{d1, sizeof d1 - 1, "mod1.txt a b"}, {d2, sizeof d2 - 1, "mod2"}};
    ck_assert_int_eq(multiboot_setup_mem(m, "kern.elf", elf, sizeof elf, mods, 2,
                                         "console=x y", err, sizeof err), 0);
    CPU *c = m->cpu;
    /* the machine state the specification asks for */
    ck_assert_uint_eq(c->regs[R_EAX], MB_BOOT_MAGIC);
    ck_assert_uint_eq(c->regs[R_EBX], MB_INFO_ADDR);
    ck_assert_uint_eq(c->eip, 0x200010); /* the virtual entry, where it was loaded */
    ck_assert_uint_eq(c->cr0 & (CR0_PE | CR0_PG), CR0_PE);
    ck_assert_uint_eq(cpu_get_eflags(c) & (F_IF | F_VM), 0);
    ck_assert_uint_eq(c->seg[S_CS].base, 0);
    ck_assert_uint_eq(c->seg[S_CS].limit, 0xFFFFFFFFu);
    ck_assert(c->code32);
    ck_assert_uint_eq(c->seg[S_DS].limit, 0xFFFFFFFFu);
    ck_assert(machine_get_a20(m));
    /* the segment, and its bss zeroed */
    ck_assert(!memcmp(m->ram + 0x200000, elf + 0x100, 0x100));
    for (uint32_t a = 0x200100; a < 0x202000; a++)
        ck_assert_uint_eq(m->ram[a], 0);

    uint32_t info = MB_INFO_ADDR, flags = rd32(info + MB_I_FLAGS);
    ck_assert_uint_eq(flags, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP |
                                 MB_INFO_LOADER_NAME);
    ck_assert_uint_eq(rd32(info + MB_I_MEM_LOWER), 639);
    ck_assert_uint_eq(rd32(info + MB_I_MEM_UPPER), (RAM - 0x100000) / 1024);
    ck_assert_str_eq(str_at(rd32(info + MB_I_CMDLINE)), "kern.elf console=x y");
    ck_assert_str_eq(str_at(rd32(info + MB_I_LOADER_NAME)), "wirebox " WIREBOX_VERSION);
    /* modules: page-aligned above the kernel, with their strings */
    ck_assert_uint_eq(rd32(info + MB_I_MODS_COUNT), 2);
    uint32_t mods_at = rd32(info + MB_I_MODS_ADDR);
    uint32_t s0 = rd32(mods_at), e0 = rd32(mods_at + 4);
    uint32_t s1 = rd32(mods_at + 16), e1 = rd32(mods_at + 20);
    ck_assert_uint_eq(s0, 0x202000);
    ck_assert_uint_eq(e0, s0 + sizeof d1 - 1);
    ck_assert_uint_eq(s1, 0x203000);
    ck_assert_uint_eq(e1, s1 + sizeof d2 - 1);
    ck_assert(!memcmp(m->ram + s0, d1, sizeof d1 - 1));
    ck_assert(!memcmp(m->ram + s1, d2, sizeof d2 - 1));
    ck_assert_uint_eq(m->ram[e1], 0xAA); /* nothing written past the last module */
    ck_assert_str_eq(str_at(rd32(mods_at + 8)), "mod1.txt a b");
    ck_assert_str_eq(str_at(rd32(mods_at + 24)), "mod2");
    ck_assert_uint_eq(rd32(mods_at + 12), 0);
    /* the memory map: 20-byte entries; RAM below 639 KiB and from 1 MiB up */
    uint32_t mm = rd32(info + MB_I_MMAP_ADDR), mlen = rd32(info + MB_I_MMAP_LENGTH);
    ck_assert_uint_eq(mlen, 4 * MB_MMAP_ENTRY);
    static const uint64_t want[4][3] = {{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2},
                                        {0xF0000, 0x10000, 2}, {0x100000, RAM - 0x100000, 1}};
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = m->ram + mm + MB_MMAP_ENTRY * i;
        ck_assert_uint_eq(ld32le(e), 20);
        ck_assert_uint_eq(ld64le(e + 4), want[i][0]);
        ck_assert_uint_eq(ld64le(e + 12), want[i][1]);
        ck_assert_uint_eq(ld32le(e + 20), want[i][2]);
    }
    /* what the guest scribbles over comes back with a reset */
    memset(m->ram + 0x200000, 0x55, 0x3000);
    c->regs[R_EAX] = 0;
    machine_reset(m);
    ck_assert(!memcmp(m->ram + 0x200000, elf + 0x100, 0x100));
    ck_assert(!memcmp(m->ram + s1, d2, sizeof d2 - 1));
    ck_assert_uint_eq(m->cpu->regs[R_EAX], MB_BOOT_MAGIC);
    ck_assert_uint_eq(m->cpu->eip, 0x200010);
}
END_TEST

/* The a.out kludge: the header's addresses say what to load where. */
START_TEST(test_aout_kludge)
{
    static uint8_t k[0x300];
    for (size_t i = 0; i < sizeof k; i++)
        k[i] = (uint8_t)(i ^ 0x5A);
    uint8_t *h = k + 0x40;
    put_header(h, MB_HF_MEMINFO | MB_HF_AOUT_KLUDGE);
    st32le(h + MB_H_HEADER_ADDR, 0x100040);
    st32le(h + MB_H_LOAD_ADDR, 0x100000);
    st32le(h + MB_H_LOAD_END_ADDR, 0x100200);
    st32le(h + MB_H_BSS_END_ADDR, 0x101000);
    st32le(h + MB_H_ENTRY_ADDR, 0x100080);
    ck_assert_int_eq(multiboot_setup_mem(m, "k.bin", k, sizeof k, NULL, 0, NULL, err, sizeof err),
                     0);
    ck_assert(!memcmp(m->ram + 0x100000, k, 0x200));
    for (uint32_t a = 0x100200; a < 0x101000; a++)
        ck_assert_uint_eq(m->ram[a], 0);
    ck_assert_uint_eq(m->ram[0x101000], 0xAA);
    ck_assert_uint_eq(m->cpu->eip, 0x100080);
    ck_assert_str_eq(str_at(rd32(MB_INFO_ADDR + MB_I_CMDLINE)), "k.bin");
    ck_assert_uint_eq(rd32(MB_INFO_ADDR + MB_I_MODS_COUNT), 0);

    /* load_end_addr 0: the whole file from load_addr's offset */
    st32le(h + MB_H_LOAD_END_ADDR, 0);
    st32le(h + MB_H_BSS_END_ADDR, 0);
    ck_assert_int_eq(multiboot_setup_mem(m, "k.bin", k, sizeof k, NULL, 0, NULL, err, sizeof err),
                     0);
    ck_assert(!memcmp(m->ram + 0x100000, k, sizeof k));
}
END_TEST

/* Not Multiboot: left to the Linux loader. */
START_TEST(test_not_multiboot)
{
    static uint8_t k[0x3000];
    memset(k, 0, sizeof k);
    ck_assert_int_eq(multiboot_setup_mem(m, "k", k, sizeof k, NULL, 0, NULL, err, sizeof err),
                     MULTIBOOT_NOT);
    put_header(k + 0x2000, 0); /* beyond the first 8 KiB */
    ck_assert_int_eq(multiboot_setup_mem(m, "k", k, sizeof k, NULL, 0, NULL, err, sizeof err),
                     MULTIBOOT_NOT);
    put_header(k + 0x102, 0); /* not 4-byte aligned */
    ck_assert_int_eq(multiboot_setup_mem(m, "k", k, sizeof k, NULL, 0, NULL, err, sizeof err),
                     MULTIBOOT_NOT);
    put_header(k + 0x100, 0);
    st32le(k + 0x108, 1); /* bad checksum */
    ck_assert_int_eq(multiboot_setup_mem(m, "k", k, sizeof k, NULL, 0, NULL, err, sizeof err),
                     MULTIBOOT_NOT);
    put_header(k + 0x100, MB_HF_AOUT_KLUDGE);
    memcpy(k + 0x202, "HdrS", 4); /* a bzImage (that happens to carry a header) */
    ck_assert_int_eq(multiboot_setup_mem(m, "k", k, sizeof k, NULL, 0, NULL, err, sizeof err),
                     MULTIBOOT_NOT);
    ck_assert_int_eq(multiboot_setup_mem(m, "k", k, 4, NULL, 0, NULL, err, sizeof err),
                     MULTIBOOT_NOT);
}
END_TEST

/* Every malformed kernel: -1 and one line naming the file. */
START_TEST(test_refused)
{
    struct {
        uint32_t off, val;
        int width;
        const char *want;
    } edits[] = {
        {0x64, MB_HF_MEMINFO | 0x100, 4,
         "-kernel k.elf: the kernel requires Multiboot features wirebox does not know (header "
         "flags 0x100)"},
        {4, 2, 1, "-kernel k.elf: a 64-bit ELF; Multiboot v1 loads 32-bit (ELF32) kernels"},
        {5, 2, 1, "-kernel k.elf: not a little-endian ELF32 file"},
        {18, 62, 2, "-kernel k.elf: not an i386 executable (ELF type 2, machine 62)"},
        {28, 0x1F0, 4, "-kernel k.elf: ELF program headers beyond the end of the file"},
        {52 + 4, 0x180, 4, "-kernel k.elf: ELF segment 0: beyond the end of the file"},
        {52 + 16, 0x3000, 4, "-kernel k.elf: ELF segment 0: file size 0x3000 above memory size "
                             "0x2000"},
        {52 + 12, 0x80000, 4, "-kernel k.elf: loads at 0x80000-0x81fff; wirebox loads Multiboot "
                              "kernels into RAM from 1 MiB up to the end of RAM (-m is 32 MiB)"},
        {52 + 12, RAM - 0x1000, 4, "-kernel k.elf: loads at 0x1fff000-0x2000fff; wirebox loads "
                                   "Multiboot kernels into RAM from 1 MiB up to the end of RAM "
                                   "(-m is 32 MiB)"},
        {52 + 12, 0xFFFFF000u, 4, "-kernel k.elf: loads at 0xfffff000-0x100000fff; wirebox loads "
                                  "Multiboot kernels into RAM from 1 MiB up to the end of RAM "
                                  "(-m is 32 MiB)"},
        {52, 0, 4, "-kernel k.elf: no loadable ELF segment"},
        {24, 0x7FFFFFF0, 4, "-kernel k.elf: entry point 0x7ffffff0 is outside RAM"},
        {0, 0, 1, "-kernel k.elf: Multiboot kernel is neither ELF nor has the a.out kludge (flag "
                  "16)"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        make_elf();
        if (edits[i].off == 0x64) {
            put_header(elf + 0x60, edits[i].val);
        } else if (edits[i].width == 1) {
            elf[edits[i].off] = (uint8_t)edits[i].val;
        } else if (edits[i].width == 2) {
            st16le(elf + edits[i].off, (uint16_t)edits[i].val);
        } else {
            st32le(elf + edits[i].off, edits[i].val);
        }
        err[0] = '\0';
        ck_assert_int_eq(multiboot_setup_mem(m, "k.elf", elf, sizeof elf, NULL, 0, NULL, err,
                                             sizeof err), -1);
        ck_assert_str_eq(err, edits[i].want);
        ck_assert_ptr_null(m->on_reset); /* nothing kept */
    }
    /* a module too big for RAM */
    make_elf();
    uint8_t *big = calloc(1, RAM);
    MultibootModule mod = {big, RAM, "huge.img"};
    ck_assert_int_eq(multiboot_setup_mem(m, "k.elf", elf, sizeof elf, &mod, 1, NULL, err,
                                         sizeof err), -1);
    free(big);
    ck_assert_str_eq(err, "-initrd: module 'huge.img' (33554432 bytes) does not fit in RAM above "
                          "the kernel; use a larger -m");
}
END_TEST

static void aout_header(uint8_t *k, uint32_t header_addr, uint32_t load, uint32_t load_end,
                        uint32_t bss_end)
{
    uint8_t *h = k + 0x40;
    put_header(h, MB_HF_AOUT_KLUDGE);
    st32le(h + MB_H_HEADER_ADDR, header_addr);
    st32le(h + MB_H_LOAD_ADDR, load);
    st32le(h + MB_H_LOAD_END_ADDR, load_end);
    st32le(h + MB_H_BSS_END_ADDR, bss_end);
    st32le(h + MB_H_ENTRY_ADDR, load);
}

START_TEST(test_aout_refused)
{
    static uint8_t k[0x200];
    static const struct {
        uint32_t header_addr, load, load_end, bss_end;
        const char *want;
    } cases[] = {
        {0x100040, 0x100080, 0, 0, "-kernel a: Multiboot header: load_addr 0x100080 does not "
                                   "fit header_addr 0x100040 at file offset 0x40"},
        {0x100040, 0x0FFF00, 0, 0, "-kernel a: Multiboot header: load_addr 0xfff00 does not fit "
                                   "header_addr 0x100040 at file offset 0x40"},
        {0x100040, 0x100000, 0x0FFFFF, 0, "-kernel a: Multiboot header: load_end_addr 0xfffff "
                                          "is below load_addr 0x100000"},
        {0x100040, 0x100000, 0x100400, 0, "-kernel a: truncated (512 bytes; the Multiboot "
                                          "header loads 1024 from offset 0x0)"},
        {0x100040, 0x100000, 0x100100, 0x100080, "-kernel a: Multiboot header: bss_end_addr "
                                                 "0x100080 is below the loaded end 0x100100"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(k, 0, sizeof k);
        aout_header(k, cases[i].header_addr, cases[i].load, cases[i].load_end, cases[i].bss_end);
        ck_assert_int_eq(multiboot_setup_mem(m, "a", k, sizeof k, NULL, 0, NULL, err, sizeof err),
                         -1);
        ck_assert_str_eq(err, cases[i].want);
    }
    /* the header cut short by the end of the file */
    memset(k, 0, sizeof k);
    put_header(k + 0x1E8, MB_HF_AOUT_KLUDGE);
    ck_assert_int_eq(multiboot_setup_mem(m, "a", k, sizeof k, NULL, 0, NULL, err, sizeof err), -1);
    ck_assert_str_eq(err, "-kernel a: Multiboot header cut short (the a.out kludge needs 32 "
                          "bytes)");
}
END_TEST

/* From files: -initrd "file1 args,file2" as QEMU splits it (",," is a comma). */
static char *write_tmp(const char *tag, const void *data, size_t len)
{
    static char names[8][96];
    static int next;
    char *n = names[next++ % 8];
    snprintf(n, 96, "/tmp/wb_mb_%s_XXXXXX", tag);
    int fd = mkstemp(n);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return n;
}

START_TEST(test_files)
{
    make_elf();
    char *kern = write_tmp("kern", elf, sizeof elf);
    char *m1 = write_tmp("m1", "one", 3), *m2 = write_tmp("m,2", "two!", 4);
    char initrd[512], m2q[128];
    /* the comma in m2's name doubled */
    size_t o = 0;
    for (const char *p = m2; *p; p++) {
        if (*p == ',')
            m2q[o++] = ',';
        m2q[o++] = *p;
    }
    m2q[o] = '\0';
    snprintf(initrd, sizeof initrd, "%s arg1 arg2,%s", m1, m2q);
    ck_assert_msg(multiboot_setup(m, kern, initrd, "quiet", err, sizeof err) == 0, "%s", err);
    uint32_t mods_at = rd32(MB_INFO_ADDR + MB_I_MODS_ADDR);
    ck_assert_uint_eq(rd32(MB_INFO_ADDR + MB_I_MODS_COUNT), 2);
    char want[256];
    snprintf(want, sizeof want, "%s arg1 arg2", m1);
    ck_assert_str_eq(str_at(rd32(mods_at + 8)), want);
    ck_assert_str_eq(str_at(rd32(mods_at + 24)), m2);
    ck_assert(!memcmp(m->ram + rd32(mods_at + 16), "two!", 4));
    snprintf(want, sizeof want, "%s quiet", kern);
    ck_assert_str_eq(str_at(rd32(MB_INFO_ADDR + MB_I_CMDLINE)), want);
    /* a missing module: one line naming it */
    snprintf(initrd, sizeof initrd, "%s,/nonexistent/mod x", m1);
    ck_assert_int_eq(multiboot_setup(m, kern, initrd, NULL, err, sizeof err), -1);
    ck_assert_str_eq(err, "-initrd /nonexistent/mod: cannot open: No such file or directory");
    /* not Multiboot: nothing done, the Linux loader decides */
    char *junk = write_tmp("junk", "hello", 5);
    ck_assert_int_eq(multiboot_setup(m, junk, NULL, NULL, err, sizeof err), MULTIBOOT_NOT);
    unlink(kern);
    unlink(m1);
    unlink(m2);
    unlink(junk);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("multiboot");
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_elf_and_info);
    tcase_add_test(tc, test_aout_kludge);
    tcase_add_test(tc, test_not_multiboot);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_aout_refused);
    tcase_add_test(tc, test_files);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(suite)
