/* MC146818 RTC + CMOS (hw/rtc.c) through ports 0x70/0x71. */
#include "testutil.h"

#define START 1767225600ll /* 2026-01-01 00:00:00 UTC, a Thursday */
#define SEC 1000000000ull

static Machine *m;
static Rtc *rtc;
static int irq_level, rises;

static void irq8_handler(void *opaque, int n, int level)
{
    if (level && !irq_level)
        rises++;
    irq_level = level;
}

static void make(uint32_t ram)
{
    m = wb_test_machine(16 << 20);
    irq_level = rises = 0;
    rtc = rtc_new(m, (IrqLine){irq8_handler, NULL, 8}, ram, START);
}

static void setup(void)
{
    make(128u << 20);
}

static void teardown(void)
{

    machine_free(m);
}

static uint8_t cmos(uint8_t idx)
{
    port_write(m, 0x70, idx, 0);
    return (uint8_t)port_read(m, 0x71, 0);
}

static void cmos_w(uint8_t idx, uint8_t v)
{
    port_write(m, 0x70, idx, 0);
    port_write(m, 0x71, v, 0);
}

START_TEST(test_time_bcd_binary_12h)
{
    ck_assert_uint_eq(cmos(0x0A), 0x26);
    ck_assert_uint_eq(cmos(0x0B), 0x02); /* 24 h, BCD */
    ck_assert_uint_eq(cmos(0x0D), 0x80);
    ck_assert_uint_eq(cmos(0x00), 0x00);
    ck_assert_uint_eq(cmos(0x04), 0x00);
    ck_assert_uint_eq(cmos(0x06), 0x05); /* Thursday */
    ck_assert_uint_eq(cmos(0x07), 0x01);
    ck_assert_uint_eq(cmos(0x08), 0x01);
    ck_assert_uint_eq(cmos(0x09), 0x26);
    ck_assert_uint_eq(cmos(0x32), 0x20);

    /* It advances with virtual time: 13:59:58.5 */
    wb_run_until(m, 13 * 3600 * SEC + 59 * 60 * SEC + 58 * SEC + SEC / 2);
    ck_assert_uint_eq(cmos(0x04), 0x13);
    ck_assert_uint_eq(cmos(0x02), 0x59);
    ck_assert_uint_eq(cmos(0x00), 0x58);

    cmos_w(0x0B, 0x06); /* binary, 24 h */
    ck_assert_uint_eq(cmos(0x04), 13);
    ck_assert_uint_eq(cmos(0x02), 59);
    ck_assert_uint_eq(cmos(0x09), 26);
    cmos_w(0x0B, 0x04); /* binary, 12 h */
    ck_assert_uint_eq(cmos(0x04), 0x80 | 1);
    cmos_w(0x0B, 0x00); /* BCD, 12 h */
    ck_assert_uint_eq(cmos(0x04), 0x81);
    cmos_w(0x0B, 0x02);
    wb_run_until(m, clock_ns(m) + 2 * SEC);
    ck_assert_uint_eq(cmos(0x04), 0x14);
    ck_assert_uint_eq(cmos(0x02), 0x00);
    ck_assert_uint_eq(cmos(0x00), 0x00);
}
END_TEST

START_TEST(test_set_time)
{
    cmos_w(0x0B, 0x82); /* SET */
    cmos_w(0x04, 0x23);
    cmos_w(0x02, 0x59);
    cmos_w(0x00, 0x50);
    cmos_w(0x09, 0x99);
    cmos_w(0x32, 0x19);
    wb_run_until(m, 5 * SEC);
    ck_assert_uint_eq(cmos(0x00), 0x50); /* frozen while SET */
    cmos_w(0x0B, 0x02);
    wb_run_until(m, clock_ns(m) + 10 * SEC + SEC / 2);
    ck_assert_uint_eq(cmos(0x00), 0x00);
    ck_assert_uint_eq(cmos(0x02), 0x00);
    ck_assert_uint_eq(cmos(0x04), 0x00);
    ck_assert_uint_eq(cmos(0x07), 0x02);
    ck_assert_uint_eq(cmos(0x09), 0x99);
    ck_assert_uint_eq(cmos(0x32), 0x19);
}
END_TEST

/* Dates past 2262, the last year a signed 64-bit count of ns since 1970
 * reaches: the century register takes up to 30, and the clock keeps
 * counting through them, with the update interrupt armed. */
START_TEST(test_far_dates)
{
    static const struct {
        uint8_t cent, year, mon, day, hour, min;
    } dates[] = {
        {0x22, 0x62, 0x04, 0x11, 0x23, 0x47}, /* 16 s short of 2^63 ns */
        {0x25, 0x25, 0x07, 0x04, 0x12, 0x00},
        {0x30, 0x99, 0x12, 0x31, 0x23, 0x59},
    };
    for (unsigned i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        cmos_w(0x0B, 0x82); /* SET, 24 h, BCD */
        cmos_w(0x32, dates[i].cent);
        cmos_w(0x09, dates[i].year);
        cmos_w(0x08, dates[i].mon);
        cmos_w(0x07, dates[i].day);
        cmos_w(0x04, dates[i].hour);
        cmos_w(0x02, dates[i].min);
        cmos_w(0x00, 0x30);
        cmos_w(0x0B, 0x12); /* running, update interrupt on */
        cmos(0x0C);
        for (int sec = 0; sec < 20; sec++) { /* an update each second */
            rises = 0;
            wb_run_until(m, clock_ns(m) + SEC);
            ck_assert_int_eq(rises, 1);
            ck_assert_uint_eq(cmos(0x0C) & 0x90, 0x90); /* IRQF, UF */
        }
        ck_assert_uint_eq(cmos(0x00), 0x50);
        ck_assert_uint_eq(cmos(0x02), dates[i].min);
        ck_assert_uint_eq(cmos(0x04), dates[i].hour);
        ck_assert_uint_eq(cmos(0x07), dates[i].day);
        ck_assert_uint_eq(cmos(0x08), dates[i].mon);
        ck_assert_uint_eq(cmos(0x09), dates[i].year);
        ck_assert_uint_eq(cmos(0x32), dates[i].cent);
    }
}
END_TEST

START_TEST(test_uip)
{
    wb_run_until(m, SEC / 2);
    ck_assert_uint_eq(cmos(0x0A) & 0x80, 0);
    wb_run_until(m, SEC - 200000);
    ck_assert_uint_eq(cmos(0x0A), 0x80 | 0x26);
    ck_assert_uint_eq(cmos(0x00), 0x00); /* not yet updated */
    wb_run_until(m, SEC);
    ck_assert_uint_eq(cmos(0x0A), 0x26);
    ck_assert_uint_eq(cmos(0x00), 0x01);
}
END_TEST

START_TEST(test_periodic_irq_and_reg_c)
{
    cmos(0x0C);
    ck_assert_uint_eq(cmos(0x0C), 0x00); /* read clears */
    cmos_w(0x0A, 0x26);                  /* 1024 Hz */
    cmos_w(0x0B, 0x42);                  /* PIE */
    ck_assert_uint_eq(rises, 0);
    uint64_t t0 = clock_ns(m);
    int got = 0;
    /* 10 ms: ~10 interrupts, each acknowledged by reading C. */
    for (uint64_t t = t0; t < t0 + 10000000; t += 10000) {
        wb_run_until(m, t);
        if (irq_level) {
            ck_assert_uint_eq(cmos(0x0C), 0xC0);
            ck_assert_int_eq(irq_level, 0);
            got++;
        }
    }
    ck_assert(got >= 9 && got <= 11);
    /* Unacknowledged: the line stays high, no new edges. */
    rises = 0;
    wb_run_until(m, clock_ns(m) + 5000000);
    ck_assert_int_eq(rises, 1);
    cmos_w(0x0B, 0x02);
    cmos(0x0C);
    ck_assert_int_eq(irq_level, 0);
}
END_TEST

START_TEST(test_update_irq)
{
    wb_run_until(m, SEC / 4);
    cmos(0x0C);
    cmos_w(0x0B, 0x12); /* UIE */
    wb_run_until(m, SEC - 1);
    ck_assert_int_eq(irq_level, 0);
    wb_run_until(m, SEC);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(cmos(0x0C) & 0xB0, 0x90); /* PF may be set too: RS != 0 */
    ck_assert_int_eq(irq_level, 0);

    /* Alarm at 00:00:03, don't-care hours. */
    cmos_w(0x0B, 0x22); /* AIE only */
    cmos_w(0x01, 0x03);
    cmos_w(0x03, 0x00);
    cmos_w(0x05, 0xC0);
    wb_run_until(m, 2 * SEC + SEC / 2);
    ck_assert_int_eq(irq_level, 0);
    wb_run_until(m, 3 * SEC);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(cmos(0x0C) & 0xA0, 0xA0);
}
END_TEST

START_TEST(test_memory_bytes_128m)
{
    ck_assert_uint_eq(cmos(0x15), 0x80);
    ck_assert_uint_eq(cmos(0x16), 0x02);
    ck_assert_uint_eq(cmos(0x17), 0xFF); /* 127 MiB in KiB, capped */
    ck_assert_uint_eq(cmos(0x18), 0xFF);
    ck_assert_uint_eq(cmos(0x30), 0xFF);
    ck_assert_uint_eq(cmos(0x31), 0xFF);
    ck_assert_uint_eq(cmos(0x34), 0x00); /* 112 MiB / 64 KiB = 0x0700 */
    ck_assert_uint_eq(cmos(0x35), 0x07);
    ck_assert_uint_eq(cmos(0x5B), 0);
    ck_assert_uint_eq(cmos(0x5C), 0);
    ck_assert_uint_eq(cmos(0x5D), 0);
    ck_assert_uint_eq(cmos(0x14) & 0x02, 0x02);
    uint16_t sum = 0;
    for (int i = 0x10; i <= 0x2D; i++)
        sum += cmos((uint8_t)i);
    ck_assert_uint_eq(cmos(0x2E) << 8 | cmos(0x2F), sum);
}
END_TEST

START_TEST(test_memory_bytes_32m)
{

    machine_free(m);
    make(32u << 20);
    ck_assert_uint_eq(cmos(0x17) | cmos(0x18) << 8, 31 * 1024);
    ck_assert_uint_eq(cmos(0x30) | cmos(0x31) << 8, 31 * 1024);
    ck_assert_uint_eq(cmos(0x34) | cmos(0x35) << 8, 256);
}
END_TEST

START_TEST(test_index_and_ram)
{
    port_write(m, 0x70, 0x80 | 0x40, 0); /* NMI mask bit ignored */
    port_write(m, 0x71, 0x5A, 0);
    ck_assert_uint_eq(cmos(0x40), 0x5A);
    ck_assert_uint_eq(rtc_get_cmos(rtc, 0x40), 0x5A);
    rtc_set_cmos(rtc, 0x12, 0xF0);
    ck_assert_uint_eq(cmos(0x12), 0xF0);
    cmos_w(0x0D, 0x00);
    ck_assert_uint_eq(cmos(0x0D), 0x80); /* read-only */
    port_write(m, 0x70, 0xFFFFFFFF, 2);
    port_read(m, 0x70, 2);
    rtc_set_cmos(rtc, 1000, 1);
    rtc_get_cmos(rtc, -5);
}
END_TEST

static Suite *rtc_suite(void)
{
    Suite *s = suite_create("rtc");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_time_bcd_binary_12h);
    tcase_add_test(tc, test_set_time);
    tcase_add_test(tc, test_far_dates);
    tcase_add_test(tc, test_uip);
    tcase_add_test(tc, test_periodic_irq_and_reg_c);
    tcase_add_test(tc, test_update_irq);
    tcase_add_test(tc, test_memory_bytes_128m);
    tcase_add_test(tc, test_memory_bytes_32m);
    tcase_add_test(tc, test_index_and_ram);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(rtc_suite)
