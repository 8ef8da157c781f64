/* The machine core's I/O dispatch (hw/machine.c) under what a guest can
 * arrange: port windows moved over others and away again, and MMIO
 * accesses that run past the end of a region or start in RAM. A device's
 * handler only ever sees accesses wholly inside its region. */
#include "testutil.h"

#define RAM (4u << 20)

static Machine *m;

typedef struct {
    uint8_t tag;
    uint32_t len;
    uint32_t calls, past_end; /* accesses seen, and those running past len */
    uint32_t last_off, last_val;
} Dev;

static uint32_t dev_read(void *opaque, uint32_t off, int size_log2)
{
    Dev *d = opaque;
    d->calls++;
    if (off + (1u << size_log2) > d->len)
        d->past_end++;
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2); i++) /* each byte: its offset, tagged */
        v |= (uint32_t)((d->tag & 0xF0) | ((off + i) & 0x0F)) << (8 * i);
    return v;
}

static void dev_write(void *opaque, uint32_t off, uint32_t val, int size_log2)
{
    Dev *d = opaque;
    d->calls++;
    if (off + (1u << size_log2) > d->len)
        d->past_end++;
    d->last_off = off;
    d->last_val = val;
}

static void setup(void)
{
    m = wb_test_machine(RAM);
}

static void teardown(void)
{
    machine_free(m);
}

START_TEST(test_port_window_moved_away_gives_ports_back)
{
    Dev a = {.tag = 0xA0, .len = 4}, b = {.tag = 0xB0, .len = 16};
    io_register(m, "a", 0x40, 4, &a, dev_read, dev_write);
    IoRegion *rb = io_register(m, "b", 0x1000, 16, &b, dev_read, dev_write);
    ck_assert_uint_eq(wb_inb(m, 0x41), 0xA1);

    region_map(m, rb, 0x3C, true); /* 0x3C-0x4B: over a */
    ck_assert_uint_eq(wb_inb(m, 0x41), 0xB5);
    region_map(m, rb, 0x1000, true); /* moved away */
    ck_assert_uint_eq(wb_inb(m, 0x41), 0xA1);
    ck_assert_uint_eq(wb_inb(m, 0x1001), 0xB1);

    region_map(m, rb, 0x3C, true);
    region_map(m, rb, 0x3C, false); /* disabled where it is */
    ck_assert_uint_eq(wb_inb(m, 0x41), 0xA1);
    ck_assert_uint_eq(wb_inb(m, 0x3C), 0xFF);
    ck_assert_uint_eq(wb_inb(m, 0x1001), 0xFF);
    ck_assert_uint_eq(a.past_end + b.past_end, 0);
}
END_TEST

START_TEST(test_mmio_access_past_region_end_is_split)
{
    Dev d = {.tag = 0xD0, .len = 16};
    mmio_register(m, "d", 0xFE000000u, 16, &d, dev_read, dev_write);
    /* A dword at the last two bytes: two bytes from the device, then nothing. */
    ck_assert_uint_eq(phys_read(m, 0xFE00000Eu, 2), 0xFFFFDFDEu);
    ck_assert_uint_eq(phys_read(m, 0xFE00000Cu, 2), 0xDFDEDDDCu); /* inside: one access */
    phys_write(m, 0xFE00000Fu, 0x44332211u, 2);
    ck_assert_uint_eq(d.last_off, 15);
    ck_assert_uint_eq(d.last_val, 0x11);
    phys_write(m, 0xFE00000Fu, 0x2211u, 1);
    ck_assert_uint_eq(d.last_val, 0x11);
    ck_assert_uint_eq(d.past_end, 0);
}
END_TEST

START_TEST(test_access_from_ram_into_mmio)
{
    Dev d = {.tag = 0xE0, .len = 0x1000};
    mmio_register(m, "e", RAM, 0x1000, &d, dev_read, dev_write);
    m->ram[RAM - 2] = 0x12;
    m->ram[RAM - 1] = 0x34;
    ck_assert_uint_eq(phys_read(m, RAM - 2, 2), 0xE1E03412u);
    phys_write(m, RAM - 1, 0xAABBCCDDu, 2);
    ck_assert_uint_eq(m->ram[RAM - 1], 0xDD);
    ck_assert_uint_eq(d.last_off, 2);
    ck_assert_uint_eq(d.last_val, 0xAA);
    ck_assert_uint_eq(d.past_end, 0);
}
END_TEST

Suite *machine_io_suite(void)
{
    Suite *s = suite_create("machine_io");
    TCase *tc = tcase_create("dispatch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_port_window_moved_away_gives_ports_back);
    tcase_add_test(tc, test_mmio_access_past_region_end_is_split);
    tcase_add_test(tc, test_access_from_ram_into_mmio);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(machine_io_suite)
