/* -netdev dgram (net/dgram.c on net/netsock.c): unix and UDP datagram
 * pairs, a multicast group on the loopback interface, QEMU's option rules. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/netsock.h"
#include "testutil.h"

static Machine *m;
static char dir[64];

static void setup(void)
{
    m = wb_test_machine(1 << 20);
    wb_tmpdir(dir, "dgram");
}

static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
    wb_rmtree(dir);
}

static void fails(const char *opts, const char *msg)
{
    wb_netdev_fails(m, opts, msg);
}

static int free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

/* Two backends a and b wired to captures; a frame each way. */
static void exchange(NetClient *a, NetClient *b)
{
    WbCapture ca, cb;
    NetClient *na = wb_capture_new(m, "nica", &ca), *nb = wb_capture_new(m, "nicb", &cb);
    net_client_set_peer(na, a);
    net_client_set_peer(nb, b);
    uint8_t f[1514];
    for (size_t i = 0; i < sizeof f; i++)
        f[i] = (uint8_t)(i ^ 0x5a);
    net_send(na, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cb.n == 1, 5));
    ck_assert_uint_eq(cb.len[0], sizeof f);
    ck_assert_mem_eq(cb.data[0], f, sizeof f);
    net_send(nb, f, 60);
    ck_assert(WB_PUMP_UNTIL(m, ca.n == 1, 5));
    ck_assert_uint_eq(ca.len[0], 60);
    net_client_free(na);
    net_client_free(nb);
}

START_TEST(test_errors)
{
    fails("dgram,id=d0", "parameter 'local.type' is missing");
    fails("dgram,id=d0,remote.type=inet,remote.host=127.0.0.1,remote.port=5000",
          "parameter 'local.type' is missing");
    fails("dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=5000",
          "parameter 'remote.type' is missing");
    fails("dgram,id=d0,local.type=unix,local.path=/tmp/a,remote.type=inet,remote.host=127.0.0.1,"
          "remote.port=5",
          "remote.type and local.type must be the same");
    fails("dgram,id=d0,local.type=fd,local.str=1,remote.type=unix,remote.path=/tmp/b",
          "local.str=1");
    fails("dgram,id=d0,remote.type=fd,remote.str=3", "only local.type can be fd");
    fails("dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=0,remote.type=inet,"
          "remote.host=127.0.0.1,remote.port=5000",
          "port '0' is not a number from 1 to 65535");
    fails("dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port=5000,remote.type=inet,"
          "remote.host=127.0.0.1,remote.port=70000",
          "port '70000'");
    fails("dgram,id=d0,remote.type=inet,remote.host=230.0.0.1,remote.port=5000,local.type=unix,"
          "local.path=/tmp/x",
          "a multicast group's local.type is inet");
    fails("dgram,id=d0,remote.type=inet,remote.host=230.0.0.1", "parameter 'remote.port' is missing");
    fails("dgram,id=d0,local.host=127.0.0.1", "parameter 'local.type' is missing (inet, unix or fd)");
}
END_TEST

START_TEST(test_unix_pair)
{
    char oa[256], ob[256];
    snprintf(oa, sizeof oa, "dgram,id=a,local.type=unix,local.path=%s/a,remote.type=unix,"
             "remote.path=%s/b", dir, dir);
    snprintf(ob, sizeof ob, "dgram,id=b,local.type=unix,local.path=%s/b,remote.type=unix,"
             "remote.path=%s/a", dir, dir);
    NetClient *a = wb_netdev_new(m, oa), *b = wb_netdev_new(m, ob);
    ck_assert_str_eq(a->info->type, "dgram");
    ck_assert(strstr(a->info_str, "udp=") != NULL);
    exchange(a, b);
}
END_TEST

START_TEST(test_udp_pair)
{
    int pa = free_udp_port(), pb = free_udp_port();
    char oa[256], ob[256];
    snprintf(oa, sizeof oa, "dgram,id=a,local.type=inet,local.host=127.0.0.1,local.port=%d,"
             "remote.type=inet,remote.host=127.0.0.1,remote.port=%d", pa, pb);
    snprintf(ob, sizeof ob, "dgram,id=b,local.type=inet,local.host=127.0.0.1,local.port=%d,"
             "remote.type=inet,remote.host=127.0.0.1,remote.port=%d", pb, pa);
    exchange(wb_netdev_new(m, oa), wb_netdev_new(m, ob));
}
END_TEST

START_TEST(test_multicast)
{
    /* Two members of one group on the loopback interface: each hears the
     * other (and, as in QEMU, its own frames too). */
    int port = free_udp_port();
    char o[256];
    snprintf(o, sizeof o, "dgram,id=a,remote.type=inet,remote.host=239.255.77.1,remote.port=%d,"
             "local.type=inet,local.host=127.0.0.1", port);
    char err[512];
    NetClient *a = wb_netdev_try(m, o, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    ck_assert(strstr(a->info_str, "mcast=239.255.77.1:") != NULL);
    snprintf(o, sizeof o, "dgram,id=b,remote.type=inet,remote.host=239.255.77.1,remote.port=%d,"
             "local.type=inet,local.host=127.0.0.1", port);
    NetClient *b = wb_netdev_new(m, o);
    WbCapture ca, cb;
    NetClient *na = wb_capture_new(m, "nica", &ca), *nb = wb_capture_new(m, "nicb", &cb);
    net_client_set_peer(na, a);
    net_client_set_peer(nb, b);
    uint8_t f[300];
    memset(f, 0x42, sizeof f);
    net_send(na, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cb.n == 1, 5));
    ck_assert_mem_eq(cb.data[0], f, sizeof f);
    /* -netdev socket,mcast= is the same group membership. */
    snprintf(o, sizeof o, "socket,id=c,mcast=239.255.77.1:%d,localaddr=127.0.0.1", port);
    NetClient *c = wb_netdev_new(m, o);
    WbCapture cc;
    net_client_set_peer(wb_capture_new(m, "nicc", &cc), c);
    memset(f, 0x43, sizeof f);
    net_send(nb, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cc.n >= 1 && ca.n >= 2, 5));
    ck_assert_int_eq(cc.data[0][0], 0x43);
}
END_TEST

static Suite *dgram_suite(void)
{
    Suite *s = suite_create("dgram");
    TCase *tc = tcase_create("dgram");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_unix_pair);
    tcase_add_test(tc, test_udp_pair);
    tcase_add_test(tc, test_multicast);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(dgram_suite)
