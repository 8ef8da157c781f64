/* The device registry (hw/device.c): the table, -device parsing and
 * checking for every model, help as QEMU prints it, creation on a bus. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "hw/device.h"
#include "net/nic.h"
#include "testutil.h"

static char err[512];

/* What print writes, as a string to free. (noinline: gcc 12 otherwise takes
 * the result for a pointer to the local it was returned through.) */
__attribute__((noinline)) static char *capture(void (*print)(FILE *, const DeviceModel *),
                                               const DeviceModel *model)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    print(f, model);
    fclose(f);
    return buf;
}

static void print_all(FILE *f, const DeviceModel *unused)
{
    device_print_help(f);
}

/* Every model once: names and aliases are unique and find their own row. */
START_TEST(test_table_lists_each_model_once)
{
    int n = 0;
    for (int i = 0; device_models[i]; i++, n++) {
        const DeviceModel *d = device_models[i];
        ck_assert_ptr_nonnull(d->name);
        ck_assert_ptr_nonnull(d->create);
        ck_assert_int_lt(d->category, DEV_CAT_COUNT);
        ck_assert_ptr_eq(device_model_find(d->name), d);
        if (d->alias)
            ck_assert_ptr_eq(device_model_find(d->alias), d);
        for (int j = 0; j < i; j++) {
            ck_assert_str_ne(device_models[j]->name, d->name);
            if (d->alias)
                ck_assert_str_ne(device_models[j]->name, d->alias);
        }
        /* each property once, every PROP_UINT default within its range */
        for (const DevProp *p = d->props; p && p->name; p++)
            for (const DevProp *q = d->props; q != p; q++)
                ck_assert_str_ne(p->name, q->name);
    }
    ck_assert_int_ge(n, 1);
    ck_assert_ptr_null(device_model_find("no-such-device"));
    ck_assert_ptr_eq(device_model_find("e1000-82540em"), device_model_find("e1000"));
    ck_assert(device_model_is_nic(device_model_find("e1000")));
}
END_TEST

/* -device help: QEMU's layout, grouped by category, in category order. */
START_TEST(test_help_groups_by_category)
{
    char *t = capture(print_all, NULL);
    static const char first[] = "Network devices:\nname \"e1000\", bus PCI, alias "
                                "\"e1000-82540em\", desc \"Intel Gigabit Ethernet";
    ck_assert_msg(!strncmp(t, first, strlen(first)), "%s", t);
    static const char *const titles[] = {"Network devices:", "Storage devices:",
                                         "Display devices:", "Misc devices:"};
    const char *last = t;
    for (int c = 0; c < DEV_CAT_COUNT; c++) {
        bool any = false;
        for (int i = 0; device_models[i]; i++)
            any |= (int)device_models[i]->category == c;
        const char *at = strstr(t, titles[c]);
        ck_assert_msg(any == (at != NULL), "%s: %s", titles[c], t);
        if (at) {
            ck_assert(at >= last);
            last = at;
        }
        /* every model of the category follows its title */
        for (int i = 0; any && device_models[i]; i++) {
            if ((int)device_models[i]->category != c)
                continue;
            char *line = NULL;
            ck_assert_int_gt(asprintf(&line, "name \"%s\"", device_models[i]->name), 0);
            ck_assert(strstr(at, line) > at);
            free(line);
        }
    }
    free(t);
}
END_TEST

/* -device e1000,help: each property with its type, help and default. */
START_TEST(test_model_help_lists_properties)
{
    char *t = capture(device_print_props, device_model_find("e1000"));
    ck_assert_str_eq(t, "e1000 options:\n"
                        "  addr=<str>             - Slot and optional function number, example: "
                        "06.0 or 06 (default: -1)\n"
                        "  mac=<str>              - Ethernet 6-byte MAC Address, example: "
                        "52:54:00:12:34:56\n"
                        "  netdev=<str>           - ID of a netdev to use as a backend\n"
                        "  romfile=<str>          - boot ROM file (default: the model's iPXE ROM; "
                        "empty: none)\n");
    free(t);
}
END_TEST

static int parse_fails(const char *text, const char *want)
{
    DeviceSpec *s = NULL;
    DeviceParse help;
    const DeviceModel *hm;
    err[0] = '\0';
    int rc = device_spec_parse(text, NULL, &s, &help, &hm, err, sizeof err);
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, want), "'%s' lacks '%s'", err, want);
    ck_assert_msg(!strchr(err, '\n'), "not one line: %s", err);
    return rc;
}

START_TEST(test_parse_errors_name_the_option)
{
    parse_fails("e1000,speed=10", "-device e1000,speed=10: property 'e1000.speed' not found "
                                  "(see -device e1000,help)");
    parse_fails("e1000,mac=zz", "-device e1000,mac=zz: mac=zz: invalid MAC address");
    parse_fails("e1000,mac=ff:ff:ff:ff:ff:ff", "must not be multicast");
    parse_fails("e1000,netdev=", "-device e1000,netdev=: netdev= needs an id");
    parse_fails("e1000,bus=pci.1", "-device e1000,bus=pci.1: bus 'pci.1' not found (its PCI bus "
                                   "is 'pci.0')");
    parse_fails("e1000,id=9x", "-device e1000,id=9x: id=9x: an id is a letter");
    parse_fails("e1000,addr=zz", "addr=zz: invalid PCI address");
    parse_fails("vga-of-the-future", "-device vga-of-the-future: 'vga-of-the-future' is not a "
                                     "valid device model name (see -device help)");
    parse_fails("", "'' is not a valid device model name");
}
END_TEST

START_TEST(test_parse_values_and_defaults)
{
    DeviceSpec *s;
    DeviceParse help;
    const DeviceModel *hm;
    ck_assert_int_eq(device_spec_parse("e1000-82540em,mac=52:54:00:aa:bb:cc,netdev=n0,addr=5.1,"
                                       "bus=pci.0,id=nic",
                                       NULL, &s, &help, &hm, err, sizeof err),
                     0);
    ck_assert_ptr_eq(s->model, device_model_find("e1000"));
    ck_assert_str_eq(s->id, "nic");
    ck_assert_int_eq(s->devfn, 5 << 3 | 1);
    ck_assert(!memcmp(dev_mac(s, "mac"), "\x52\x54\x00\xaa\xbb\xcc", 6));
    ck_assert_str_eq(dev_str(s, "netdev"), "n0");
    ck_assert(dev_is_set(s, "netdev"));
    device_spec_free(s);
    ck_assert_int_eq(device_spec_parse("e1000", NULL, &s, &help, &hm, err, sizeof err), 0);
    ck_assert_ptr_null(dev_mac(s, "mac"));
    ck_assert(!dev_is_set(s, "netdev"));
    ck_assert_int_eq(s->devfn, -1);
    device_spec_free(s);
    /* help requests */
    ck_assert_int_eq(device_spec_parse("help", NULL, &s, &help, &hm, err, sizeof err), 0);
    ck_assert_int_eq(help, DEVICE_PARSE_HELP);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(device_spec_parse("e1000,?", NULL, &s, &help, &hm, err, sizeof err), 0);
    ck_assert_int_eq(help, DEVICE_PARSE_MODEL_HELP);
    ck_assert_ptr_eq(hm, device_model_find("e1000"));
}
END_TEST

/* The list of -device options: duplicate ids, and creation in order. */
START_TEST(test_list_and_create)
{
    DeviceList l = {0};
    ck_assert_int_eq(device_list_add(&l, "e1000,id=a", err, sizeof err), 0);
    ck_assert_int_eq(device_list_add(&l, "e1000,id=a,addr=7", err, sizeof err), 1);
    ck_assert_str_eq(err, "-device e1000,id=a,addr=7: duplicate device id 'a'");
    ck_assert_int_eq(device_list_add(&l, "e1000,addr=7", err, sizeof err), 0);
    ck_assert_int_eq(l.n, 2);

    /* a machine without buses: a clear error, nothing created */
    Machine *m = wb_test_machine(16 << 20);
    ck_assert_int_eq(devices_create(m, &l, NULL, NULL, err, sizeof err), 1);
    ck_assert_str_eq(err, "-device e1000,id=a: the machine has no PCI bus");
    net_cleanup(m);
    machine_free(m);

    /* on the board's buses: the first free slot, then the one asked for */
    m = wb_test_machine_with_buses(16 << 20);
    ck_assert_int_eq(devices_create(m, &l, NULL, NULL, err, sizeof err), 0);
    PciBus *bus = pc_board(m)->pci;
    ck_assert_uint_eq(pci_config_read(bus, 2 << 3, 0, 2), 0x100E8086u);
    ck_assert_uint_eq(pci_config_read(bus, 7 << 3, 0, 2), 0x100E8086u);
    ck_assert_ptr_nonnull(net_client_find(m, "a"));
    /* the same slot again */
    DeviceList l2 = {0};
    ck_assert_int_eq(device_list_add(&l2, "e1000,addr=7", err, sizeof err), 0);
    ck_assert_int_eq(devices_create(m, &l2, NULL, NULL, err, sizeof err), 1);
    ck_assert_str_eq(err, "-device e1000,addr=7: PCI address 07.0 is not free");
    net_cleanup(m);
    machine_free(m);
}
END_TEST

static Suite *device_suite(void)
{
    Suite *s = suite_create("device");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, test_table_lists_each_model_once);
    tcase_add_test(tc, test_help_groups_by_category);
    tcase_add_test(tc, test_model_help_lists_properties);
    tcase_add_test(tc, test_parse_errors_name_the_option);
    tcase_add_test(tc, test_parse_values_and_defaults);
    tcase_add_test(tc, test_list_and_create);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(device_suite)
