/* `info network` (net/info.c) in QEMU's format: hubs with their ports, NICs
 * with their backends, backends alone, filters; built from real command
 * lines, as the monitor will show them. */
#define _GNU_SOURCE
#include <stdio.h>

#include "testutil.h"
#include "ui/options.h"

static char text[4096];
static size_t at;

static void collect(void *opaque, const char *line)
{
    at += (size_t)snprintf(text + at, sizeof text - at, "%s\n", line);
}

/* The machine of a command line, built; its info network into text. */
static void info_of(const char *first, ...)
{
    char *argv[32];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 32, first, ap);
    va_end(ap);
    Options o;
    char err[512];
    ck_assert_msg(options_parse(argc, argv, &o, err, sizeof err) == 0, "%s", err);
    MachineConfig cfg = o.cfg;
    cfg.ram_size = 16 << 20;
    Machine *m = machine_new_pc(&cfg, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_msg(net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err) == 0 &&
                      objects_create(m, &o.objects, err, sizeof err) == 0,
                  "%s", err);
    at = 0;
    text[0] = '\0';
    net_info_network(m, collect, NULL);
    net_cleanup(m);
    options_free(&o);
    machine_free(m);
}

START_TEST(test_default)
{
    /* QEMU's default network; QEMU lists a hub's ports newest first. */
    info_of("-kernel", "x", NULL);
    ck_assert_str_eq(text, "hub 0\n"
                           " \\ hub0port1: user.0: index=0,type=user,net=10.0.2.0,restrict=off\n"
                           " \\ hub0port0: e1000.0: index=0,type=nic,model=e1000,"
                           "macaddr=52:54:00:12:34:56\n");
}
END_TEST

START_TEST(test_nics_backends_hubs_filters)
{
    info_of("-netdev", "user,id=u0,net=10.0.5.0/24", "-device", "e1000,netdev=u0",
            "-netdev", "stream,id=s0,server=on,addr.type=unix,addr.path=/tmp/wb-netinfo.sock",
            "-object",
            "filter-dump,id=f0,netdev=u0,file=/dev/null,maxlen=128",
            "-netdev", "hubport,id=p0,hubid=3", "-nic", "hubport,hubid=3,mac=52:54:00:00:00:09",
            NULL);
    /* NICs and what is wired to them, in QEMU's words. */
    ck_assert_msg(strstr(text, "e1000.1: index=0,type=nic,model=e1000,macaddr=52:54:00:12:34:56\n"
                               " \\ u0: index=0,type=user,net=10.0.5.0,restrict=off\n"
                               "filters:\n"
                               "  - f0: type=filter-dump,queue=all,status=on,maxlen=128,"
                               "file=/dev/null\n"),
                  "%s", text);
    ck_assert_msg(strstr(text, "hub 3\n \\ __org.qemu.nic0: e1000.0: index=0,type=nic,"
                               "model=e1000,macaddr=52:54:00:00:00:09\n \\ p0\n"),
                  "%s", text);
    ck_assert_msg(strstr(text, "s0: index=0,type=stream,listening on unix:/tmp/wb-netinfo.sock\n"),
                  "%s", text);
    /* hubs first, then NICs and lone backends in the order they were made
     * (backends before NICs, as QEMU creates them) */
    ck_assert_msg(strncmp(text, "hub 3\n", 6) == 0, "%s", text);
    ck_assert_msg(strstr(text, "s0: ") < strstr(text, "e1000.1: "), "%s", text);
}
END_TEST

static Suite *netinfo_suite(void)
{
    Suite *s = suite_create("netinfo");
    TCase *tc = tcase_create("info network");
    tcase_add_test(tc, test_default);
    tcase_add_test(tc, test_nics_backends_hubs_filters);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(netinfo_suite)
