/* isa-debug-exit and isa-debugcon (hw/debugexit.c, hw/debugcon.c), made
 * from the device registry as -device makes them. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- isa-debug-exit */

START_TEST(test_debug_exit_status)
{
    static const struct {
        int size_log2;
        uint16_t port;
        uint32_t val;
        int status;
    } cases[] = {
        {0, 0xF4, 0x00, 1},     /* the guest's 0 is status 1 */
        {0, 0xF4, 0x15, 43},    /* (0x15 << 1) | 1 */
        {0, 0xF7, 0x7F, 255},   /* any port of the range */
        {1, 0xF4, 0x0102, 0x205},
        {2, 0xF4, 0x40000001, (int)0x80000003u},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Machine *m = wb_test_machine_with_buses(4u << 20);
        wb_create_device(m, "isa-debug-exit,iobase=0xf4,iosize=0x04", NULL, NULL);
        ck_assert(!m->shutdown_requested);
        port_write(m, cases[i].port, cases[i].val, cases[i].size_log2);
        ck_assert(m->shutdown_requested);
        ck_assert_int_eq(m->exit_code, cases[i].status);
        /* the CPU stops after this instruction */
        ck_assert(m->cpu->exit_request && m->cpu->need_check);
        machine_free(m);
    }
}
END_TEST

START_TEST(test_debug_exit_ports)
{
    Machine *m = wb_test_machine_with_buses(4u << 20);
    wb_create_device(m, "isa-debug-exit", NULL, NULL); /* QEMU's default: 0x501, 2 ports */
    wb_outb(m, 0xF4, 1);
    wb_outb(m, 0x500, 1);
    wb_outb(m, 0x503, 1);
    ck_assert(!m->shutdown_requested);
    ck_assert_uint_eq(wb_inb(m, 0x501), 0xFF); /* reads: nothing there */
    wb_outb(m, 0x502, 2);
    ck_assert(m->shutdown_requested);
    ck_assert_int_eq(m->exit_code, 5);
    machine_free(m);

    char err[256];
    DeviceSpec *spec;
    DeviceParse help;
    const DeviceModel *hm;
    m = wb_test_machine_with_buses(4u << 20);
    ck_assert_int_eq(device_spec_parse("isa-debug-exit,iobase=0xfffe,iosize=4", NULL, &spec, &help,
                                       &hm, err, sizeof err), 0);
    DeviceContext ctx = device_context(m, spec, NULL);
    ck_assert_int_eq(device_create(spec, &ctx, err, sizeof err), 1);
    ck_assert_str_eq(err, "-device isa-debug-exit,iobase=0xfffe,iosize=4: iobase=0xfffe,"
                          "iosize=0x4: ports beyond 0xffff");
    device_spec_free(spec);
    ck_assert_int_eq(device_spec_parse("isa-debug-exit,iobase=0x10000", NULL, &spec, &help, &hm,
                                       err, sizeof err), 1);
    machine_free(m);
}
END_TEST

/* ---- isa-debugcon */

static char con[256];
static size_t conlen;

static void con_write(void *opaque, const uint8_t *buf, size_t len)
{
    memcpy(con + conlen, buf, len);
    conlen += len;
}

static CharDev con_dev = {con_write, NULL};

static CharDev *lookup(void *opaque, const char *id)
{
    return strcmp(id, "e9") ? NULL : &con_dev;
}

START_TEST(test_debugcon)
{
    Machine *m = wb_test_machine_with_buses(4u << 20);
    machine_set_chardev_lookup(m, lookup, NULL);
    conlen = 0;
    wb_create_device(m, "isa-debugcon,chardev=e9", NULL, NULL);
    ck_assert_uint_eq(wb_inb(m, 0xE9), 0xE9); /* how a guest detects it */
    wb_outb(m, 0xE9, 'h');
    wb_outb(m, 0xE9, 'i');
    wb_outw(m, 0xE9, 0x0A00 | '!'); /* a word: the low byte on 0xE9 */
    ck_assert_uint_eq(conlen, 3);
    ck_assert(!memcmp(con, "hi!", 3));
    machine_free(m);

    m = wb_test_machine_with_buses(4u << 20);
    machine_set_chardev_lookup(m, lookup, NULL);
    conlen = 0;
    wb_create_device(m, "isa-debugcon,iobase=0x402,chardev=e9,readback=0x42", NULL, NULL);
    ck_assert_uint_eq(wb_inb(m, 0x402), 0x42);
    ck_assert_uint_eq(wb_inb(m, 0xE9), 0xFF);
    wb_outb(m, 0x402, 'x');
    ck_assert_uint_eq(conlen, 1);
    machine_free(m);

    /* no chardev: bytes are dropped; a chardev that is not there: an error */
    m = wb_test_machine_with_buses(4u << 20);
    wb_create_device(m, "isa-debugcon", NULL, NULL);
    wb_outb(m, 0xE9, 'z');
    char err[256];
    DeviceSpec *spec;
    DeviceParse help;
    const DeviceModel *hm;
    ck_assert_int_eq(device_spec_parse("isa-debugcon,iobase=0x80,chardev=nope", NULL, &spec, &help,
                                       &hm, err, sizeof err), 0);
    DeviceContext ctx = device_context(m, spec, NULL);
    ck_assert_ptr_null(ctx.chr);
    ck_assert_int_eq(device_create(spec, &ctx, err, sizeof err), 1);
    ck_assert_str_eq(err, "-device isa-debugcon,iobase=0x80,chardev=nope: chardev 'nope' not found");
    device_spec_free(spec);
    machine_free(m);
}
END_TEST

/* -device help lists both under "Misc devices" on the ISA bus. */
START_TEST(test_help)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    device_print_help(f);
    fclose(f);
    const char *misc = strstr(buf, "Misc devices:\n");
    ck_assert_ptr_nonnull(misc);
    ck_assert_ptr_nonnull(strstr(misc, "name \"isa-debug-exit\", bus ISA, desc \""));
    ck_assert_ptr_nonnull(strstr(misc, "name \"isa-debugcon\", bus ISA, desc \""));
    free(buf);
    f = open_memstream(&buf, &len);
    device_print_props(f, device_model_find("isa-debugcon"));
    fclose(f);
    ck_assert_str_eq(buf, "isa-debugcon options:\n"
                          "  chardev=<str>          - ID of a chardev to use as a backend\n"
                          "  iobase=<uint32>        - I/O port (default: 0xe9)\n"
                          "  readback=<uint32>      - value a read returns (default: 0xe9)\n");
    free(buf);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("debugdev");
    TCase *tc = tcase_create("devices");
    tcase_add_test(tc, test_debug_exit_status);
    tcase_add_test(tc, test_debug_exit_ports);
    tcase_add_test(tc, test_debugcon);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(suite)
