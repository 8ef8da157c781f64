/* i440FX PAM registers: shadow RAM at 0xC0000-0xFFFFF as the guest programs
 * it (disabled: the ROM; read-only; write-only; RAM), per segment, and the
 * CPU seeing each change at once (its TLB and decoded code). */
#include <stdio.h>
#include <unistd.h>

#include "bios/bios.h"
#include "cpu/cpu.h"
#include "hw/pci_regs.h"
#include "testutil.h"

#define RAM (4u << 20)
#define ROM_SIZE 0x20000u
#define ROM_BYTE 0xA5 /* what the ROM holds at 0xF0000 */
#define RAM_BYTE 0x5A /* what the RAM holds there */

/* Real-mode code at the reset vector F000:FFF0:
 *   mov bl, cs:[0000]   (the byte at 0xF0000)
 *   mov cs:[0001], cl   (a write to 0xF0001)
 *   mov ax, VERSION
 *   hlt                                        */
static void reset_code(uint8_t *at, uint8_t version)
{
    const uint8_t code[] = {0x2E, 0x8A, 0x1E, 0x00, 0x00, 0x2E, 0x88, 0x0E, 0x01,
                            0x00, 0xB8, version, 0x00, 0xF4};
    memcpy(at, code, sizeof code);
}

static Machine *pam_machine(void)
{
    Machine *m = wb_test_machine_with_buses(RAM);
    /* The ROM: code version 1 at its reset vector, ROM_BYTE at 0xF0000. */
    uint8_t *rom = calloc(1, ROM_SIZE);
    ck_assert_ptr_nonnull(rom);
    memset(rom, 0xEE, ROM_SIZE);
    rom[ROM_SIZE - 0x10000] = ROM_BYTE;
    reset_code(rom + ROM_SIZE - 16, 1);
    char path[] = "/tmp/wb-pam-rom-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, rom, ROM_SIZE), (int)ROM_SIZE);
    close(fd);
    char err[256];
    ck_assert_int_eq(bios_load_rom(m, path, err, sizeof err), 0);
    unlink(path);
    free(rom);
    /* The RAM behind it: code version 2, RAM_BYTE at 0xF0000. */
    memset(m->ram + 0xC0000, 0x77, 0x40000);
    m->ram[0xF0000] = RAM_BYTE;
    reset_code(m->ram + 0xFFFF0, 2);
    machine_reset(m);
    return m;
}

static void set_pam(Machine *m, int reg, uint8_t v)
{
    pci_config_write(pc_board(m)->pci, 0, (uint32_t)(I440FX_PAM0 + reg), v, 0);
}

/* Run the reset code (without resetting the CPU: its decoded code and TLB
 * stay); returns AX, and BL in *bl. */
static uint32_t run_reset_code(Machine *m, uint8_t cl, uint8_t *bl)
{
    CPU *c = m->cpu;
    cpu_set_seg_raw(c, S_CS, 0xF000, 0xF0000, 0xFFFF, 0x93);
    c->eip = 0xFFF0;
    c->regs[R_EAX] = 0;
    c->regs[R_ECX] = cl;
    c->halted = false;
    cpu_run(c, c->icount + 100);
    ck_assert(c->halted);
    *bl = (uint8_t)c->regs[R_EBX];
    return c->regs[R_EAX] & 0xFFFF;
}

START_TEST(test_power_on_reads_rom)
{
    Machine *m = pam_machine();
    /* PAM all zero: 0xE0000-0xFFFFF is the ROM's end, 0xC0000-0xDFFFF open bus. */
    for (int i = 0; i < 7; i++)
        ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, 0, I440FX_PAM0 + (uint32_t)i, 0), 0);
    ck_assert_uint_eq(phys_read(m, 0xF0000, 0), ROM_BYTE);
    ck_assert_uint_eq(phys_read(m, 0xE0000, 0), 0xEE);
    ck_assert_uint_eq(phys_read(m, 0xC0000, 2), 0xFFFFFFFFu);
    ck_assert_uint_eq(phys_read(m, 0xDFFFC, 2), 0xFFFFFFFFu);
    /* Writes go to the ROM: dropped, the RAM behind unchanged. */
    phys_write(m, 0xF0000, 0x11, 0);
    ck_assert_uint_eq(phys_read(m, 0xF0000, 0), ROM_BYTE);
    ck_assert_uint_eq(m->ram[0xF0000], RAM_BYTE);
    ck_assert_ptr_null(phys_host_ptr(m, 0xF0000, true));
    /* The CPU starts in the ROM. */
    uint8_t bl;
    ck_assert_uint_eq(run_reset_code(m, 0x33, &bl), 1);
    ck_assert_uint_eq(bl, ROM_BYTE);
    ck_assert_uint_eq(m->ram[0xF0001], 0x77);
    machine_free(m);
}
END_TEST

START_TEST(test_modes)
{
    Machine *m = pam_machine();
    /* Write-only (WE): reads from the ROM, writes into the RAM. */
    set_pam(m, 0, 0x20);
    ck_assert_int_eq(machine_get_shadow(m, 0xF0000), SHADOW_WRITE);
    phys_write(m, 0xF0010, 0x12345678, 2);
    ck_assert_uint_eq(ld32le(m->ram + 0xF0010), 0x12345678);
    ck_assert_uint_eq(phys_read(m, 0xF0010, 0), 0xEE);
    ck_assert_ptr_null(phys_host_ptr(m, 0xF0010, true)); /* no fast path: reads differ */
    /* Read-only (RE): reads from the RAM, writes dropped. */
    set_pam(m, 0, 0x10);
    ck_assert_uint_eq(phys_read(m, 0xF0010, 2), 0x12345678);
    phys_write(m, 0xF0010, 0, 2);
    ck_assert_uint_eq(phys_read(m, 0xF0010, 2), 0x12345678);
    ck_assert_ptr_null(phys_host_ptr(m, 0xF0010, true));
    /* RAM (RE|WE): both, with a host pointer for the TLB. */
    set_pam(m, 0, 0x30);
    phys_write(m, 0xF0010, 0xCAFE, 1);
    ck_assert_uint_eq(phys_read(m, 0xF0010, 1), 0xCAFE);
    ck_assert_ptr_eq(phys_host_ptr(m, 0xF0010, true), m->ram + 0xF0010);
    /* PAM0's low nibble is reserved: it does not stick. */
    set_pam(m, 0, 0xFF);
    ck_assert_uint_eq(pci_config_read(pc_board(m)->pci, 0, I440FX_PAM0, 0), 0x30);
    machine_free(m);
}
END_TEST

START_TEST(test_segments)
{
    Machine *m = pam_machine();
    /* PAM1: low nibble 0xC0000-0xC3FFF, high nibble 0xC4000-0xC7FFF. */
    set_pam(m, 1, 0x03);
    ck_assert_uint_eq(phys_read(m, 0xC0000, 0), 0x77);
    ck_assert_uint_eq(phys_read(m, 0xC3FFF, 0), 0x77);
    ck_assert_uint_eq(phys_read(m, 0xC4000, 0), 0xFF);
    set_pam(m, 1, 0x30);
    ck_assert_uint_eq(phys_read(m, 0xC0000, 0), 0xFF);
    ck_assert_uint_eq(phys_read(m, 0xC4000, 0), 0x77);
    /* PAM6 high nibble: 0xEC000-0xEFFFF; PAM5 low: 0xE0000-0xE3FFF. */
    set_pam(m, 6, 0x10);
    ck_assert_uint_eq(phys_read(m, 0xEC000, 0), 0x77);
    ck_assert_uint_eq(phys_read(m, 0xE8000, 0), 0xEE);
    ck_assert_uint_eq(phys_read(m, 0xF0000, 0), ROM_BYTE);
    set_pam(m, 5, 0x01);
    ck_assert_uint_eq(phys_read(m, 0xE0000, 0), 0x77);
    ck_assert_uint_eq(phys_read(m, 0xE4000, 0), 0xEE);
    /* A dword write of 0x58-0x5B and 0x5C-0x5F, as SeaBIOS does. */
    pci_config_write(pc_board(m)->pci, 0, 0x58, 0x33333000, 2);
    pci_config_write(pc_board(m)->pci, 0, 0x5C, 0x33333333, 2);
    for (uint32_t a = 0xC0000; a < 0x100000; a += 0x4000)
        ck_assert_int_eq(machine_get_shadow(m, a), SHADOW_RAM);
    /* A machine reset returns every segment to the ROM. */
    machine_reset(m);
    for (uint32_t a = 0xC0000; a < 0x100000; a += 0x4000)
        ck_assert_int_eq(machine_get_shadow(m, a), SHADOW_BUS);
    ck_assert_uint_eq(phys_read(m, 0xF0000, 0), ROM_BYTE);
    machine_free(m);
}
END_TEST

/* The CPU runs code and reads data from the ROM, then the guest turns the
 * shadow RAM on: the next run sees the RAM's code and data, not what the
 * TLB or the decoded-block cache kept; and a write-only segment takes the
 * CPU's writes into the RAM while it still executes the ROM. */
START_TEST(test_cpu_sees_changes)
{
    Machine *m = pam_machine();
    uint8_t bl;
    ck_assert_uint_eq(run_reset_code(m, 0x01, &bl), 1);
    ck_assert_uint_eq(bl, ROM_BYTE);

    set_pam(m, 0, 0x30);
    ck_assert_uint_eq(run_reset_code(m, 0x02, &bl), 2);
    ck_assert_uint_eq(bl, RAM_BYTE);
    ck_assert_uint_eq(m->ram[0xF0001], 0x02);

    set_pam(m, 0, 0x20); /* write-only: the ROM's code runs, its write lands in RAM */
    ck_assert_uint_eq(run_reset_code(m, 0x03, &bl), 1);
    ck_assert_uint_eq(bl, ROM_BYTE);
    ck_assert_uint_eq(m->ram[0xF0001], 0x03);

    set_pam(m, 0, 0x10); /* read-only RAM: its code runs, its write is dropped */
    ck_assert_uint_eq(run_reset_code(m, 0x04, &bl), 2);
    ck_assert_uint_eq(bl, RAM_BYTE);
    ck_assert_uint_eq(m->ram[0xF0001], 0x03);

    set_pam(m, 0, 0x00);
    ck_assert_uint_eq(run_reset_code(m, 0x05, &bl), 1);
    machine_free(m);
}
END_TEST

/* Code copied into write-only shadow RAM and then made readable runs: what
 * SeaBIOS does with itself (copy while executing elsewhere, then switch). */
START_TEST(test_copy_then_switch)
{
    Machine *m = pam_machine();
    uint8_t bl;
    ck_assert_uint_eq(run_reset_code(m, 0, &bl), 1); /* ROM code decoded and cached */
    set_pam(m, 0, 0x20);
    uint8_t code[16];
    reset_code(code, 9);
    for (int i = 0; i < 14; i++)
        phys_write(m, 0xFFFF0 + (uint32_t)i, code[i], 0);
    ck_assert_uint_eq(run_reset_code(m, 0, &bl), 1); /* still the ROM */
    set_pam(m, 0, 0x10);
    ck_assert_uint_eq(run_reset_code(m, 0, &bl), 9);
    machine_free(m);
}
END_TEST

static Suite *pam_suite(void)
{
    Suite *s = suite_create("pam");
    TCase *tc = tcase_create("pam");
    tcase_add_test(tc, test_power_on_reads_rom);
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_segments);
    tcase_add_test(tc, test_cpu_sees_changes);
    tcase_add_test(tc, test_copy_then_switch);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(pam_suite)
