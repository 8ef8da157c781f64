/* -netdev bridge (net/bridge.c): QEMU's bridge helper protocol, spoken to
 * stand-in helpers: one that hands over a socket the test holds the other
 * end of (so frames can be checked both ways), one that refuses the way
 * qemu-bridge-helper does, one that sends nothing. Debian's real helper on
 * a real bridge is tests/integration/test-net-tap.sh. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static Machine *m;
static char dir[64];

static void setup(void)
{
    m = wb_test_machine(1 << 20);
    strcpy(dir, "/tmp/wb-bridge.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_helper(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(body, f);
    fclose(f);
    chmod(path, 0755);
}

/* Sends the fd named by $WB_FAKE_FD over --fd=N, and records its arguments. */
static const char good_helper[] =
    "#!/usr/bin/env python3\n"
    "import os, socket, sys\n"
    "args = dict(a[2:].split('=', 1) for a in sys.argv[1:])\n"
    "open(os.environ['WB_ARGS_LOG'], 'w').write(' '.join(sys.argv[1:]) + '\\n')\n"
    "s = socket.socket(fileno=int(args['fd']))\n"
    "socket.send_fds(s, [b'\\0'], [int(os.environ['WB_FAKE_FD'])])\n";

static const char refusing_helper[] =
    "#!/bin/sh\n"
    "echo 'access denied by acl file' >&2\n"
    "exit 1\n";

static const char silent_helper[] = "#!/bin/sh\nexit 0\n";

START_TEST(test_helper_protocol)
{
    char helper[128], log[128], opt[300];
    snprintf(helper, sizeof helper, "%s/helper", dir);
    snprintf(log, sizeof log, "%s/args", dir);
    write_helper(helper, good_helper);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0); /* sv[1] stays inheritable */
    char fdnum[16];
    snprintf(fdnum, sizeof fdnum, "%d", sv[1]);
    setenv("WB_FAKE_FD", fdnum, 1);
    setenv("WB_ARGS_LOG", log, 1);
    snprintf(opt, sizeof opt, "bridge,id=b0,br=wbbr5,helper=%s", helper);
    NetClient *b = wb_netdev_new(m, opt);
    close(sv[1]);
    ck_assert_str_eq(b->info->type, "tap");
    ck_assert(strstr(b->info_str, "br=wbbr5") != NULL);
    /* The helper was called as QEMU calls it. */
    FILE *f = fopen(log, "r");
    char line[256] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_msg(!strncmp(line, "--fd=", 5) && strstr(line, " --br=wbbr5\n"), "args: %s", line);

    WbCapture cap;
    NetClient *nic = wb_capture_new(m, "nic", &cap);
    net_client_set_peer(nic, b);
    uint8_t fr[100];
    memset(fr, 0x31, sizeof fr);
    ck_assert_int_eq(send(sv[0], fr, sizeof fr, 0), (ssize_t)sizeof fr);
    ck_assert(WB_PUMP_UNTIL(m, cap.n == 1, 5));
    ck_assert_mem_eq(cap.data[0], fr, sizeof fr);
    net_send(nic, fr, 64);
    ck_assert_int_eq(recv(sv[0], fr, sizeof fr, 0), 64);
    close(sv[0]);

    /* tap,helper= is the same protocol. */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    snprintf(fdnum, sizeof fdnum, "%d", sv[1]);
    setenv("WB_FAKE_FD", fdnum, 1);
    snprintf(opt, sizeof opt, "tap,id=t1,helper=%s,br=wbbr6", helper);
    NetClient *t = wb_netdev_new(m, opt);
    close(sv[1]);
    ck_assert(strstr(t->info_str, "br=wbbr6") != NULL);
    close(sv[0]);
}
END_TEST

START_TEST(test_helper_failures)
{
    char helper[128], opt[300];
    snprintf(helper, sizeof helper, "%s/refuses", dir);
    write_helper(helper, refusing_helper);
    snprintf(opt, sizeof opt, "bridge,id=b0,br=br9,helper=%s", helper);
    const char *e = wb_netdev_error(m, opt);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(strstr(e, "--br=br9 failed: access denied by acl file") != NULL, "%s", e);

    snprintf(helper, sizeof helper, "%s/silent", dir);
    write_helper(helper, silent_helper);
    snprintf(opt, sizeof opt, "bridge,id=b0,helper=%s", helper);
    e = wb_netdev_error(m, opt);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(strstr(e, "without sending a file descriptor") != NULL, "%s", e);

    snprintf(opt, sizeof opt, "bridge,id=b0,helper=%s/missing", dir);
    e = wb_netdev_error(m, opt);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(strstr(e, "No such file or directory") != NULL, "%s", e);

    e = wb_netdev_error(m, "bridge,id=b0,br=no/such");
    ck_assert_msg(e && strstr(e, "br=no/such: not a valid interface name"), "%s", e);
    e = wb_netdev_error(m, "bridge,id=b0,br=x,bogus=1");
    ck_assert_msg(e && strstr(e, "invalid parameter 'bogus'"), "%s", e);
}
END_TEST

static Suite *bridge_suite(void)
{
    Suite *s = suite_create("bridge");
    TCase *tc = tcase_create("bridge");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_helper_protocol);
    tcase_add_test(tc, test_helper_failures);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(bridge_suite)
