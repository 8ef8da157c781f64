/* 8254 PIT (hw/pit.c) under the virtual clock: ports 0x40-0x43 and 0x61. */
#include "testutil.h"

#define PIT_HZ 1193182ull

static Machine *m;
static Pit *pit;
static int irq_level, rises;
static uint64_t rise_ns[64];

static void irq0_handler(void *opaque, int n, int level)
{
    if (level && !irq_level && rises < 64)
        rise_ns[rises++] = clock_ns(m);
    irq_level = level;
}

static void setup(void)
{
    m = wb_test_machine(16 << 20);
    irq_level = 0;
    pit = pit_new(m, (IrqLine){irq0_handler, NULL, 0});
}

static void teardown(void)
{
    machine_free(m);
}



/* First virtual ns at which PIT tick t has happened. */
static uint64_t tick_ns(uint64_t t)
{
    return (t * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static uint64_t now_tick(void)
{
    return clock_ns(m) * PIT_HZ / 1000000000ull;
}

static uint16_t read_lohi(uint16_t port)
{
    uint16_t lo = wb_inb(m, port);
    return (uint16_t)(lo | wb_inb(m, port) << 8);
}

START_TEST(test_mode2_periodic)
{
    wb_run_until(m, 5000000); /* some time after start */
    uint64_t t0 = now_tick();
    wb_outb(m, 0x43, 0x34); /* ch0, lohi, mode 2 */
    wb_outb(m, 0x40, 1193 & 0xFF);
    wb_outb(m, 0x40, 1193 >> 8);
    rises = 0;
    wb_run_until(m, tick_ns(t0 + 10 * 1193 + 600));
    ck_assert_int_eq(rises, 10);
    for (int k = 0; k < 10; k++)
        ck_assert_uint_eq(rise_ns[k], tick_ns(t0 + (uint64_t)(k + 1) * 1193));
    ck_assert_int_eq(irq_level, 1);
    /* The count runs down from 1193 every period. */
    uint16_t c = read_lohi(0x40);
    ck_assert_uint_eq(c, 1193 - 600);
}
END_TEST

START_TEST(test_mode4_and_mode0_oneshot)
{
    wb_run_until(m, 1000000);
    /* Linux's clockevents oneshot: mode 4, then a count per event. */
    wb_outb(m, 0x43, 0x38);
    uint64_t t0 = now_tick();
    wb_outb(m, 0x40, 100);
    wb_outb(m, 0x40, 0);
    rises = 0;
    wb_run_until(m, tick_ns(t0 + 99));
    ck_assert_int_eq(rises, 0);
    wb_run_until(m, tick_ns(t0 + 100000));
    ck_assert_int_eq(rises, 1);
    ck_assert_uint_eq(rise_ns[0], tick_ns(t0 + 101));
    ck_assert_int_eq(irq_level, 1);

    /* Mode 0: OUT goes low on the control word, high at terminal count. */
    wb_outb(m, 0x43, 0x30);
    ck_assert_int_eq(irq_level, 0);
    t0 = now_tick();
    wb_outb(m, 0x40, 0xE8);
    wb_outb(m, 0x40, 0x03); /* 1000 */
    rises = 0;
    wb_run_until(m, tick_ns(t0 + 999));
    ck_assert_int_eq(irq_level, 0);
    ck_assert_int_eq(timer_next_deadline(m) == tick_ns(t0 + 1000), 1);
    wb_run_until(m, tick_ns(t0 + 5000));
    ck_assert_int_eq(rises, 1);
    ck_assert_uint_eq(rise_ns[0], tick_ns(t0 + 1000));
    /* No more timer activity once the one-shot is done. */
    ck_assert_uint_eq(timer_next_deadline(m), UINT64_MAX);
}
END_TEST

START_TEST(test_latch_and_readback)
{
    uint64_t t0 = now_tick();
    wb_outb(m, 0x43, 0x34);
    wb_outb(m, 0x40, 0xE8);
    wb_outb(m, 0x40, 0x03); /* 1000 */
    wb_run_until(m, tick_ns(t0 + 100));
    wb_outb(m, 0x43, 0x00); /* counter latch ch0 */
    wb_run_until(m, tick_ns(t0 + 300));
    ck_assert_uint_eq(read_lohi(0x40), 900); /* the latched value */
    ck_assert_uint_eq(read_lohi(0x40), 700); /* live again */

    /* Read-back: status then count of channel 0. */
    wb_outb(m, 0x43, 0xC2);
    uint8_t st = wb_inb(m, 0x40);
    ck_assert_uint_eq(st, 0x80 | 0x30 | (2 << 1)); /* OUT high, lohi, mode 2 */
    ck_assert_uint_eq(read_lohi(0x40), 700);

    /* Status only: NULL COUNT right after a control word. */
    wb_outb(m, 0x43, 0xB0); /* ch2 mode 0 */
    wb_outb(m, 0x43, 0xE8); /* read-back status of ch2 */
    st = wb_inb(m, 0x42);
    ck_assert_uint_eq(st, 0x40 | 0x30); /* OUT low, null count, lohi, mode 0 */

    /* LSB-only and MSB-only access modes. */
    wb_outb(m, 0x43, 0x54); /* ch1, LSB, mode 2 */
    wb_outb(m, 0x41, 200);
    wb_run_until(m, clock_ns(m) + tick_ns(50) + 1);
    uint8_t v = wb_inb(m, 0x41);
    ck_assert(v <= 151 && v >= 148);
}
END_TEST

START_TEST(test_port61_gate_out2)
{
    /* pit_calibrate_tsc: gate on, speaker off, ch2 mode 0. */
    wb_outb(m, 0x61, (wb_inb(m, 0x61) & ~0x02) | 0x01);
    ck_assert_uint_eq(wb_inb(m, 0x61) & 0x0F, 0x01);
    uint64_t t0 = now_tick();
    wb_outb(m, 0x43, 0xB0);
    wb_outb(m, 0x42, 0x00);
    wb_outb(m, 0x42, 0x10); /* 4096 */
    ck_assert_uint_eq(wb_inb(m, 0x61) & 0x20, 0);
    wb_run_until(m, tick_ns(t0 + 4095));
    ck_assert_uint_eq(wb_inb(m, 0x61) & 0x20, 0);
    wb_run_until(m, tick_ns(t0 + 4096));
    ck_assert_uint_eq(wb_inb(m, 0x61) & 0x20, 0x20);

    /* Gate low suspends counting in mode 0. */
    wb_outb(m, 0x61, 0x00);
    t0 = now_tick();
    wb_outb(m, 0x43, 0xB0);
    wb_outb(m, 0x42, 0x00);
    wb_outb(m, 0x42, 0x10);
    wb_run_until(m, tick_ns(t0 + 10000));
    ck_assert_uint_eq(read_lohi(0x42), 0x1000);
    ck_assert_uint_eq(wb_inb(m, 0x61) & 0x20, 0);
    wb_outb(m, 0x61, 0x01);
    t0 = now_tick();
    wb_run_until(m, tick_ns(t0 + 96));
    ck_assert_uint_eq(read_lohi(0x42), 0x1000 - 96);

    /* quick_pit_calibrate: mode 0 from 0xFFFF, reading the MSB each 256 ticks. */
    wb_outb(m, 0x43, 0xB0);
    t0 = now_tick();
    wb_outb(m, 0x42, 0xFF);
    wb_outb(m, 0x42, 0xFF);
    for (int k = 1; k < 20; k++) {
        wb_run_until(m, tick_ns(t0 + 256u * k + 10));
        wb_inb(m, 0x42); /* LSB */
        ck_assert_uint_eq(wb_inb(m, 0x42), 0xFF - k);
    }
}
END_TEST

START_TEST(test_refresh_toggle)
{
    uint8_t a = wb_inb(m, 0x61) & 0x10;
    wb_run_until(m, clock_ns(m) + 15085);
    uint8_t b = wb_inb(m, 0x61) & 0x10;
    ck_assert_uint_ne(a, b);
}
END_TEST

START_TEST(test_mode3_square)
{
    uint64_t t0 = now_tick();
    wb_outb(m, 0x43, 0x36);
    wb_outb(m, 0x40, 100);
    wb_outb(m, 0x40, 0);
    rises = 0;
    wb_run_until(m, tick_ns(t0 + 49));
    ck_assert_int_eq(irq_level, 1);
    wb_run_until(m, tick_ns(t0 + 50));
    ck_assert_int_eq(irq_level, 0);
    wb_run_until(m, tick_ns(t0 + 100));
    ck_assert_int_eq(irq_level, 1);
    ck_assert_int_eq(rises, 1);
    /* A new count in mode 3 takes effect at the end of the period. */
    wb_run_until(m, tick_ns(t0 + 120));
    wb_outb(m, 0x40, 200);
    wb_outb(m, 0x40, 0);
    wb_run_until(m, tick_ns(t0 + 200));
    ck_assert_int_eq(rises, 2);
    wb_run_until(m, tick_ns(t0 + 399));
    ck_assert_int_eq(rises, 2);
    wb_run_until(m, tick_ns(t0 + 400));
    ck_assert_int_eq(rises, 3);
}
END_TEST

START_TEST(test_hostile)
{
    port_write(m, 0x40, 0xFFFFFFFF, 2);
    port_read(m, 0x40, 2);
    wb_outb(m, 0x43, 0xFE); /* read-back of everything */
    for (int i = 0; i < 8; i++)
        wb_inb(m, 0x40 + (i & 3));
    wb_outb(m, 0x43, 0x1E); /* ch0 mode 7 -> 3, LSB */
    wb_outb(m, 0x40, 1);    /* count 1 */
    wb_run_until(m, clock_ns(m) + 1000000);
    wb_outb(m, 0x43, 0x14); /* mode 2, count 1 */
    wb_outb(m, 0x40, 1);
    wb_run_until(m, clock_ns(m) + 1000000);
    pit_reset(pit);
}
END_TEST

static Suite *pit_suite(void)
{
    Suite *s = suite_create("pit");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mode2_periodic);
    tcase_add_test(tc, test_mode4_and_mode0_oneshot);
    tcase_add_test(tc, test_latch_and_readback);
    tcase_add_test(tc, test_port61_gate_out2);
    tcase_add_test(tc, test_refresh_toggle);
    tcase_add_test(tc, test_mode3_square);
    tcase_add_test(tc, test_hostile);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(pit_suite)
