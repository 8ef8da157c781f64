/* Microwire serial EEPROM (hw/eeprom93c.c), driven pin by pin as a NIC driver
 * bit-bangs it: 93C46 (64 words, 6 address bits) and 93C56 (128 words, 8). */
#include "testutil.h"
#include "hw/eeprom93c.h"

static Eeprom93c ee;

static void clk(bool di)
{
    eeprom93c_pins(&ee, true, false, di);
    eeprom93c_pins(&ee, true, true, di);
    eeprom93c_pins(&ee, true, false, di);
}

static void deselect(void)
{
    eeprom93c_pins(&ee, false, false, false);
    ck_assert_ptr_null(eeprom93c_check(&ee));
}

/* CS up, the start bit, opcode and address, then n data bits. */
static void cmd(unsigned op, unsigned addr, uint32_t data, int n)
{
    eeprom93c_pins(&ee, true, false, false);
    clk(1);
    clk(op & 2);
    clk(op & 1);
    for (int i = ee.addr_bits - 1; i >= 0; i--)
        clk((addr >> i) & 1);
    for (int i = n - 1; i >= 0; i--)
        clk((data >> i) & 1);
    ck_assert_ptr_null(eeprom93c_check(&ee));
}

static uint16_t read_bits(void)
{
    uint16_t v = 0;
    for (int i = 0; i < 16; i++) {
        clk(0);
        v = (uint16_t)(v << 1 | eeprom93c_dout(&ee));
    }
    return v;
}

static uint16_t read_word(unsigned addr)
{
    cmd(2, addr, 0, 0);
    ck_assert(!eeprom93c_dout(&ee)); /* the dummy 0 */
    uint16_t v = read_bits();
    deselect();
    return v;
}

/* The extended commands: opcode 00 and the top two address bits. */
static void ext(unsigned code, uint32_t data, int n)
{
    cmd(0, code << (ee.addr_bits - 2), data, n);
    ck_assert(eeprom93c_dout(&ee)); /* ready */
    deselect();
}
enum { EWDS, WRAL, ERAL, EWEN };

static void fill_pattern(void)
{
    for (int i = 0; i < ee.words; i++)
        ee.data[i] = (uint16_t)(0x1000 + i * 0x0101);
}

START_TEST(test_read_sequential)
{
    eeprom93c_init(&ee, 64, 6);
    fill_pattern();
    deselect();
    ck_assert(eeprom93c_dout(&ee)); /* deselected: ready */
    ck_assert_uint_eq(read_word(0), 0x1000);
    ck_assert_uint_eq(read_word(0x2A), (uint16_t)(0x1000 + 0x2A * 0x0101));
    /* leading zeros before the start bit are ignored */
    eeprom93c_pins(&ee, true, false, false);
    clk(0);
    clk(0);
    cmd(2, 5, 0, 0);
    ck_assert_uint_eq(read_bits(), 0x1505);
    deselect();
    /* a read goes on into the next words and wraps at the end */
    cmd(2, 62, 0, 0);
    ck_assert_uint_eq(read_bits(), (uint16_t)(0x1000 + 62 * 0x0101));
    ck_assert_uint_eq(read_bits(), (uint16_t)(0x1000 + 63 * 0x0101));
    ck_assert_uint_eq(read_bits(), 0x1000);
    deselect();
    /* CS dropped mid-command: the next one starts afresh */
    cmd(2, 0, 0, 0);
    eeprom93c_pins(&ee, false, false, false);
    ck_assert_uint_eq(read_word(1), 0x1101);
    /* SK held high is one edge, not one per write */
    eeprom93c_pins(&ee, true, false, true);
    eeprom93c_pins(&ee, true, true, true);
    eeprom93c_pins(&ee, true, true, false);
    ck_assert_uint_eq(ee.nbits, 0);
    deselect();
}
END_TEST

START_TEST(test_write_protect_and_program)
{
    eeprom93c_init(&ee, 64, 6);
    fill_pattern();
    /* power-up: write-disabled, so WRITE, ERASE, ERAL and WRAL change nothing */
    cmd(1, 3, 0xBEEF, 16);
    ck_assert(eeprom93c_dout(&ee));
    deselect();
    cmd(3, 4, 0, 0);
    deselect();
    ext(ERAL, 0, 0);
    ext(WRAL, 0x1234, 16);
    ck_assert_uint_eq(read_word(3), 0x1303);
    ck_assert_uint_eq(read_word(4), 0x1404);

    ext(EWEN, 0, 0);
    cmd(1, 3, 0xBEEF, 16);
    ck_assert(eeprom93c_dout(&ee)); /* ready: the write completed */
    deselect();
    ck_assert_uint_eq(read_word(3), 0xBEEF);
    cmd(3, 4, 0, 0); /* ERASE */
    ck_assert(eeprom93c_dout(&ee));
    deselect();
    ck_assert_uint_eq(read_word(4), 0xFFFF);
    ck_assert_uint_eq(read_word(5), 0x1505);

    ext(WRAL, 0xA55A, 16);
    ck_assert_uint_eq(read_word(0), 0xA55A);
    ck_assert_uint_eq(read_word(63), 0xA55A);
    ext(ERAL, 0, 0);
    ck_assert_uint_eq(read_word(17), 0xFFFF);

    ext(EWDS, 0, 0);
    cmd(1, 9, 0x0000, 16);
    deselect();
    ck_assert_uint_eq(read_word(9), 0xFFFF);
}
END_TEST

/* 93C56: 8 address bits for 128 words; the extended commands take the top two
 * of the 8 bits, and addresses wrap at 128. */
START_TEST(test_93c56)
{
    eeprom93c_init(&ee, 128, 8);
    fill_pattern();
    ck_assert_uint_eq(read_word(100), (uint16_t)(0x1000 + 100 * 0x0101));
    ck_assert_uint_eq(read_word(0x80 | 7), 0x1707); /* the unused top bit */
    ext(EWEN, 0, 0);
    cmd(1, 127, 0x5A5A, 16);
    deselect();
    ck_assert_uint_eq(read_word(127), 0x5A5A);
    ext(EWDS, 0, 0);
    cmd(1, 126, 0x0000, 16);
    deselect();
    ck_assert_uint_eq(read_word(126), (uint16_t)(0x1000 + 126 * 0x0101));
}
END_TEST

/* Random pin levels never leave the state inconsistent or reach past the array. */
START_TEST(test_hostile_pins)
{
    eeprom93c_init(&ee, 64, 6);
    uint32_t x = 12345;
    for (int i = 0; i < 100000; i++) {
        x = x * 1103515245u + 12345u;
        eeprom93c_pins(&ee, (x >> 16) & 1, (x >> 17) & 1, (x >> 18) & 1);
        ck_assert_ptr_null(eeprom93c_check(&ee));
    }
}
END_TEST

static Suite *eeprom93c_suite(void)
{
    Suite *s = suite_create("eeprom93c");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_read_sequential);
    tcase_add_test(tc, test_write_protect_and_program);
    tcase_add_test(tc, test_93c56);
    tcase_add_test(tc, test_hostile_pins);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(eeprom93c_suite)
