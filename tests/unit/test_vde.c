/* -netdev vde (net/vde.c): two ports of one real vde_switch (Debian's vde2)
 * pass frames both ways; a switch that is not there is one clear error. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static Machine *m;
static char dir[64];
static pid_t sw;

static void setup(void)
{
    m = wb_test_machine(1 << 20);
    strcpy(dir, "/tmp/wb-vde.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    sw = 0;
}

static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
    if (sw > 0)
        kill(sw, SIGTERM);
    wb_rmtree(dir);
}

__attribute__((unused)) static void start_switch(void)
{
    ck_assert_msg(access("/usr/bin/vde_switch", X_OK) == 0,
                  "vde_switch is missing (tools/setup installs Debian's vde2)");
    char cmd[256], pidf[128];
    snprintf(pidf, sizeof pidf, "%s/pid", dir);
    snprintf(cmd, sizeof cmd, "vde_switch -s %s/sw -d -p %s </dev/null", dir, pidf);
    ck_assert_int_eq(system(cmd), 0);
    /* The daemon writes its pid file and control socket after it forked;
     * the pid file may exist before its number is in it. */
    char ctl[128];
    snprintf(ctl, sizeof ctl, "%s/sw/ctl", dir);
    for (int i = 0; i < 3000 && (sw <= 0 || access(ctl, F_OK)); i++) {
        FILE *f = fopen(pidf, "r");
        if (f) {
            if (fscanf(f, "%d", &sw) != 1)
                sw = 0;
            fclose(f);
        }
        if (sw <= 0 || access(ctl, F_OK))
            usleep(10000);
    }
    ck_assert_msg(sw > 0, "vde_switch did not start (no pid in %s)", pidf);
    ck_assert_int_eq(access(ctl, F_OK), 0);
}

#ifndef WIREBOX_HAVE_VDE
/* A build without libvdeplug (the sanitizer build: libvdeplug's
 * RTLD_DEEPBIND plugins and ASan exclude each other) says so, in one line,
 * and the backend is not offered. */
START_TEST(test_two_ports)
{
    const NetBackend *b = net_backend_find("vde");
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(b->missing);
    ck_assert_ptr_nonnull(b->missing());
    char err[256];
    ck_assert_int_eq(net_backend_check("vde", "-netdev vde,id=v0", err, sizeof err), 1);
    ck_assert_str_eq(err, "-netdev vde,id=v0: this wirebox was built without libvdeplug: no VDE "
                          "(Debian: apt-get install libvdeplug-dev, then rebuild)");
}
END_TEST

START_TEST(test_errors)
{
    const char *e = wb_netdev_error(m, "vde,id=v0,port=x");
    ck_assert_msg(e && strstr(e, "port=x: expected a switch port number"), "%s", e);
}
END_TEST
#else
START_TEST(test_two_ports)
{
    const NetBackend *b = net_backend_find("vde");
    ck_assert_ptr_nonnull(b);
    ck_assert_msg(!b->missing || !b->missing(), "%s", b->missing());
    start_switch();
    char opt[256];
    snprintf(opt, sizeof opt, "vde,id=v0,sock=%s/sw", dir);
    NetClient *a = wb_netdev_new(m, opt);
    snprintf(opt, sizeof opt, "vde,id=v1,sock=%s/sw,port=5,mode=0700", dir);
    NetClient *c = wb_netdev_new(m, opt);
    ck_assert_str_eq(a->info->type, "vde");
    WbCapture ca, cc;
    NetClient *na = wb_capture_new(m, "a", &ca), *nc = wb_capture_new(m, "c", &cc);
    net_client_set_peer(na, a);
    net_client_set_peer(nc, c);
    /* A broadcast from one port reaches the other (the switch learns MACs). */
    uint8_t f[200];
    memset(f, 0xff, 6);
    memcpy(f + 6, (uint8_t[]){0x52, 0x54, 0, 0, 0, 1}, 6);
    f[12] = 0x88;
    f[13] = 0xb5; /* local experimental ethertype */
    for (int i = 14; i < 200; i++)
        f[i] = (uint8_t)i;
    net_send(na, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cc.n >= 1, 5));
    ck_assert_mem_eq(cc.data[0], f, sizeof f);
    /* And a unicast back to the learned address. */
    uint8_t g[60];
    memcpy(g, f + 6, 6);
    memcpy(g + 6, (uint8_t[]){0x52, 0x54, 0, 0, 0, 2}, 6);
    g[12] = 0x88;
    g[13] = 0xb5;
    memset(g + 14, 0x5a, sizeof g - 14);
    net_send(nc, g, sizeof g);
    ck_assert(WB_PUMP_UNTIL(m, ca.n >= 1, 5));
    ck_assert_mem_eq(ca.data[ca.n - 1], g, sizeof g);
}
END_TEST

START_TEST(test_errors)
{
    char opt[256];
    snprintf(opt, sizeof opt, "vde,id=v0,sock=%s/no-switch", dir);
    const char *e = wb_netdev_error(m, opt);
    ck_assert_msg(e && strstr(e, "cannot connect to the VDE switch"), "%s", e ? e : "accepted");
    e = wb_netdev_error(m, "vde,id=v0,port=x");
    ck_assert_msg(e && strstr(e, "port=x: expected a switch port number"), "%s", e);
    e = wb_netdev_error(m, "vde,id=v0,mode=999");
    ck_assert_msg(e && strstr(e, "mode=999: expected octal permissions"), "%s", e);
}
END_TEST

#endif

static Suite *vde_suite(void)
{
    Suite *s = suite_create("vde");
    TCase *tc = tcase_create("vde");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_two_ports);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(vde_suite)
