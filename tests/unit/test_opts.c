/* The shared option parser (hw/opts.c): QEMU's key=value syntax and the
 * value spellings every option accepts. */
#include <string.h>

#include "hw/opts.h"
#include "testutil.h"

START_TEST(test_key_values)
{
    Opts *o = opts_parse("user,id=n0,,x,hostfwd=a,,b,restrict,hostfwd=c", "type");
    ck_assert_str_eq(opts_get(o, "type"), "user");
    ck_assert_str_eq(opts_get(o, "id"), "n0,x"); /* ",," is a comma in a value */
    ck_assert_str_eq(opts_get(o, "restrict"), "on"); /* a flag */
    int pos = 0;
    ck_assert_str_eq(opts_next(o, "hostfwd", &pos), "a,b");
    ck_assert_str_eq(opts_next(o, "hostfwd", &pos), "c");
    ck_assert_ptr_null(opts_next(o, "hostfwd", &pos));
    ck_assert_ptr_null(opts_unused(o));
    opts_free(o);
    o = opts_parse("e1000,mac=1,mac=2,bogus=3", "driver");
    ck_assert_str_eq(opts_get(o, "mac"), "2"); /* the last one wins */
    opts_get(o, "driver");
    ck_assert_str_eq(opts_unused(o), "bogus");
    opts_free(o);
    char *q = opts_quote("a,b,,c");
    ck_assert_str_eq(q, "a,,b,,,,c");
    o = opts_parse(q, "x");
    ck_assert_str_eq(opts_get(o, "x"), "a,b,,c");
    opts_free(o);
    free(q);
    o = opts_parse("", "type");
    ck_assert_int_eq(o->n, 0);
    ck_assert_ptr_null(opts_get(o, "type"));
    opts_free(o);
}
END_TEST

/* Exactly QEMU's boolean spellings (qapi_bool_parse). */
START_TEST(test_bool_spellings)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};
    static const char *const bad[] = {"", "1", "0", "ON", "On", "Yes", "t", "f", "onn", " on",
                                      "enable", "disabled"};
    for (size_t i = 0; i < 4; i++) {
        bool b = false;
        ck_assert_int_eq(opt_parse_bool(yes[i], &b), 0);
        ck_assert(b);
        ck_assert_int_eq(opt_parse_bool(no[i], &b), 0);
        ck_assert(!b);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool b = true;
        ck_assert_msg(opt_parse_bool(bad[i], &b) == -1, "'%s' accepted", bad[i]);
        ck_assert(b); /* untouched */
    }
}
END_TEST

START_TEST(test_numbers_and_sizes)
{
    uint64_t v;
    ck_assert_int_eq(opt_parse_uint("244", 0xFFFF, &v), 0);
    ck_assert_uint_eq(v, 244);
    ck_assert_int_eq(opt_parse_uint("0xf4", 0xFFFF, &v), 0);
    ck_assert_uint_eq(v, 0xF4);
    ck_assert_int_eq(opt_parse_uint("0x10000", 0xFFFF, &v), -1);
    ck_assert_int_eq(opt_parse_uint("-1", 0xFFFF, &v), -1);
    ck_assert_int_eq(opt_parse_uint("", 0xFFFF, &v), -1);
    ck_assert_int_eq(opt_parse_uint("12k", 0xFFFF, &v), -1);
    ck_assert_int_eq(opt_parse_size("64k", 0, &v), 0);
    ck_assert_uint_eq(v, 65536);
    ck_assert_int_eq(opt_parse_size("2M", 0, &v), 0);
    ck_assert_uint_eq(v, 2u << 20);
    ck_assert_int_eq(opt_parse_size("1.5G", 0, &v), 0);
    ck_assert_uint_eq(v, 3ull << 29);
    ck_assert_int_eq(opt_parse_size("512", 0, &v), 0); /* device sizes: bytes */
    ck_assert_uint_eq(v, 512);
    ck_assert_int_eq(opt_parse_size("512", 20, &v), 0); /* -m: MiB */
    ck_assert_uint_eq(v, 512u << 20);
    ck_assert_int_eq(opt_parse_size("0x100", 10, &v), 0);
    ck_assert_uint_eq(v, 0x100u << 10);
    ck_assert_int_eq(opt_parse_size("1.5", 0, &v), -1); /* fractional bytes */
    ck_assert_int_eq(opt_parse_size("5X", 0, &v), -1);
    ck_assert_int_eq(opt_parse_size("5MB", 0, &v), -1);
}
END_TEST

START_TEST(test_mac_and_pci_addr)
{
    uint8_t mac[6];
    ck_assert_int_eq(opt_parse_mac("52:54:00:12:34:56", mac), 0);
    ck_assert(!memcmp(mac, "\x52\x54\x00\x12\x34\x56", 6));
    ck_assert_int_eq(opt_parse_mac("", mac), -1);
    ck_assert_int_eq(opt_parse_mac("5254:00:12:34:56", mac), -1);
    ck_assert_int_eq(opt_parse_mac("52:54:00:12:34:56:", mac), -1);
    ck_assert_int_eq(opt_parse_mac("52:54:00:12:34", mac), -1);
    ck_assert_int_eq(opt_parse_mac("5:54:00:12:34:56", mac), -1);
    int devfn;
    ck_assert_int_eq(opt_parse_pci_addr("3", &devfn), 0);
    ck_assert_int_eq(devfn, 0x18);
    ck_assert_int_eq(opt_parse_pci_addr("1f.7", &devfn), 0);
    ck_assert_int_eq(devfn, 0xff);
    ck_assert_int_eq(opt_parse_pci_addr("0x5", &devfn), 0);
    ck_assert_int_eq(devfn, 0x28);
    ck_assert_int_eq(opt_parse_pci_addr("20", &devfn), -1);
    ck_assert_int_eq(opt_parse_pci_addr("3.", &devfn), -1);
    ck_assert_int_eq(opt_parse_pci_addr("", &devfn), -1);
    ck_assert_int_eq(opt_parse_pci_addr("3x", &devfn), -1);
}
END_TEST

START_TEST(test_ids)
{
    ck_assert(opt_valid_id("n0"));
    ck_assert(opt_valid_id("my-net.1_a"));
    ck_assert(!opt_valid_id("0n"));
    ck_assert(!opt_valid_id(""));
    ck_assert(!opt_valid_id("a b"));
    ck_assert(opt_is_help("help"));
    ck_assert(opt_is_help("?"));
    ck_assert(!opt_is_help("halp"));
    ck_assert(!opt_is_help(NULL));
}
END_TEST

static Suite *opts_suite(void)
{
    Suite *s = suite_create("opts");
    TCase *tc = tcase_create("opts");
    tcase_add_test(tc, test_key_values);
    tcase_add_test(tc, test_bool_spellings);
    tcase_add_test(tc, test_numbers_and_sizes);
    tcase_add_test(tc, test_mac_and_pci_addr);
    tcase_add_test(tc, test_ids);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(opts_suite)
