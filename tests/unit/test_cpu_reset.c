/* The PC at hardware reset, as -bios starts it: the CPU at the reset
 * vector and the interrupt controllers not yet programmed.
 *
 * Intel 8259A datasheet: the chip must be initialised (ICW1..ICW4) before it
 * is used; until then nothing it does is defined. A ROM that executes STI
 * before it programs the 8259 and the 8254 must not receive a timer
 * interrupt (QEMU's PC delivers none: the local APIC keeps the 8259 from
 * the CPU until the firmware sets it up). Once the ROM has programmed the
 * 8259, IRQ0 arrives.
 *
 * ROM code assembled with GNU as (.code16). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "hw/pc.h"
#include "testutil.h"

/* At F000:FFF0 (the reset vector): 1: sti; hlt; jmp 1b */
static const uint8_t rom_sti_hlt[] = {
    0xFB,       /* fff0: sti */
    0xF4,       /* fff1: hlt */
    0xEB, 0xFC, /* fff2: jmp 1b */
};

#define ROM_SIZE 0x10000u

static Machine *m;

static void setup(void)
{
    MachineConfig cfg = {.ram_size = 16u << 20, .icount_shift = 0, .icount_sleep = false,
                         .bios = "rom.bin", .nic_none = true};
    m = machine_new_pc(&cfg, NULL);
    ck_assert_ptr_nonnull(m);
    m->rom = calloc(1, ROM_SIZE);
    ck_assert_ptr_nonnull(m->rom);
    m->rom_size = ROM_SIZE;
    memcpy(m->rom + 0xFFF0, rom_sti_hlt, sizeof rom_sti_hlt);
    /* Like bios_load_rom: the ROM also appears below 1 MiB (F000:xxxx). */
    memcpy(m->ram + 0x100000 - ROM_SIZE, m->rom, ROM_SIZE);
    machine_reset(m);
}

static void teardown(void)
{
    machine_free(m);
    m = NULL;
}

/* Run the machine (CPU, timers) for ns of virtual time. */
static void run_for(uint64_t ns)
{
    uint64_t end = clock_ns(m) + ns;
    for (int k = 0; k < 100000 && clock_ns(m) < end && !m->shutdown_requested; k++)
        machine_step(m);
    ck_assert_uint_ge(clock_ns(m), end);
}

START_TEST(test_bios_reset_no_timer_irq_before_pic_programmed)
{
    CPU *c = m->cpu;
    ck_assert_uint_eq(c->seg[S_CS].sel, 0xF000);
    ck_assert_uint_eq(c->eip, 0xFFF0);
    c->last_vector = -1;
    run_for(200000000ull); /* 200 ms: several periods of the 8254's channel 0 */
    ck_assert_msg(c->last_vector == -1, "interrupt %d delivered before the 8259 was programmed",
                  c->last_vector);
    ck_assert(c->eflags & F_IF);
    ck_assert(c->halted);

    /* The ROM programs the master 8259 (base 0x08, only IRQ0 unmasked):
     * now the timer interrupt arrives, at vector 8. */
    port_write(m, 0x20, 0x11, 0);
    port_write(m, 0x21, 0x08, 0);
    port_write(m, 0x21, 0x04, 0);
    port_write(m, 0x21, 0x01, 0);
    port_write(m, 0x21, 0xFE, 0);
    /* IVT entry 8 -> F000:FFF0, the loop */
    uint32_t ivt8 = 0xF000FFF0u;
    memcpy(m->ram + 8 * 4, &ivt8, 4);
    run_for(200000000ull);
    ck_assert_int_eq(c->last_vector, 8);
}
END_TEST

static Suite *reset_suite(void)
{
    Suite *s = suite_create("cpu_reset");
    TCase *tc = tcase_create("bios");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bios_reset_no_timer_irq_before_pic_programmed);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(reset_suite)
