/* -netdev socket (net/socket.c on net/netsock.c): QEMU's framing on stream
 * sockets, flow control, a listener that takes the next peer, datagrams,
 * and the one-line errors for bad options. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/netopts.h"
#include "net/netsock.h"
#include "testutil.h"

static Machine *m;

static void setup(void)
{
    m = wb_test_machine(1 << 20);
}

static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
}

/* A free TCP port on 127.0.0.1 (bound, then released). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static void frame(uint8_t *buf, size_t len, uint8_t tag)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(tag + i * 7);
}

/* A peer that can be told to refuse frames (flow control). */
typedef struct Gate {
    bool ready;
    WbCapture cap;
} Gate;

static bool gate_can_receive(NetClient *nc)
{
    return ((Gate *)nc->opaque)->ready;
}

static ssize_t gate_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    Gate *g = nc->opaque;
    NetClient tmp = *nc;
    tmp.opaque = &g->cap;
    return wb_capture_receive(&tmp, buf, len);
}

static const NetClientInfo gate_info = {
    .kind = NET_CLIENT_NIC,
    .type = "gate",
    .can_receive = gate_can_receive,
    .receive = gate_receive,
};

/* ------------------------------------------------------------------ options */

static void fails(const char *opts, const char *msg)
{
    wb_netdev_fails(m, opts, msg);
}

START_TEST(test_errors)
{
    fails("socket,id=s0", "give one of listen=, connect=, mcast=, udp= or fd=");
    fails("socket,id=s0,listen=:5555,connect=127.0.0.1:5555",
          "listen= and connect= exclude each other");
    fails("socket,id=s0,connect=127.0.0.1:5555,mcast=230.0.0.1:5555",
          "connect= and mcast= exclude each other");
    fails("socket,id=s0,listen=:99999", "listen=:99999: port '99999' is not a number from 1 to 65535");
    fails("socket,id=s0,listen=:0", "port '0' is not a number from 1 to 65535");
    fails("socket,id=s0,connect=127.0.0.1:", "no port");
    fails("socket,id=s0,connect=127.0.0.1:http", "port 'http' is not a number");
    fails("socket,id=s0,connect=:5555", "connect=:5555: no host");
    fails("socket,id=s0,connect=300.1.2.3:5555", "'300.1.2.3' is not a valid IPv4 address");
    fails("socket,id=s0,connect=::1:5555", "an IPv6 address goes in brackets");
    fails("socket,id=s0,connect=[::1]5555", "expected [IPV6-ADDRESS]:PORT");
    fails("socket,id=s0,connect=[fe::zz]:5555", "'fe::zz' is not a valid IPv6 address");
    fails("socket,id=s0,connect=5555", "expected HOST:PORT");
    fails("socket,id=s0,mcast=10.0.0.1:5555", "not an IPv4 multicast address");
    fails("socket,id=s0,mcast=230.0.0.1:5555,localaddr=nowhere..", "localaddr=nowhere..");
    fails("socket,id=s0,udp=127.0.0.1:5555", "udp= needs localaddr=HOST:PORT");
    fails("socket,id=s0,udp=127.0.0.1:5555,localaddr=[::1]:5556",
          "must both be IPv4 or both IPv6");
    fails("socket,id=s0,listen=:5555,localaddr=127.0.0.1", "localaddr= goes with mcast= or udp=");
    fails("socket,id=s0,fd=x", "fd=x: expected a file descriptor number");
    fails("socket,id=s0,fd=987", "file descriptor 987 is not open");
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    char opt[64];
    snprintf(opt, sizeof opt, "socket,id=s0,fd=%d", p[0]);
    fails(opt, "is not a socket");
    close(p[0]);
    close(p[1]);
    fails("socket,id=s0,listen=:5555,bogus=1", "invalid parameter 'bogus'");

    /* Host errors come from create, as one line too. */
    int port = free_port();
    snprintf(opt, sizeof opt, "socket,id=s0,connect=127.0.0.1:%d", port);
    fails(opt, "cannot connect to tcp:127.0.0.1:");
    fails(opt, "Connection refused");
    snprintf(opt, sizeof opt, "socket,id=s0,listen=127.0.0.1:%d", port);
    NetClient *srv = wb_netdev_new(m, opt);
    snprintf(opt, sizeof opt, "socket,id=s1,listen=127.0.0.1:%d", port);
    fails(opt, "Address already in use");
    net_client_free(srv);
}
END_TEST

/* ------------------------------------------------------------------ framing */

START_TEST(test_stream_framing)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    char opt[64];
    snprintf(opt, sizeof opt, "socket,id=s0,fd=%d", sv[0]);
    NetClient *s = wb_netdev_new(m, opt);
    ck_assert(netsock_connected(s));
    ck_assert_str_eq(s->info->type, "socket");
    char want[32];
    snprintf(want, sizeof want, "socket: fd=%d", sv[0]);
    ck_assert_str_eq(s->info_str, want);
    WbCapture cap;
    NetClient *nic = wb_capture_new(m, "nic", &cap);
    net_client_set_peer(nic, s);

    /* Two frames in one write, then a third split inside its length. */
    uint8_t f1[60], f2[1514], f3[300], wire[4 + 60 + 4 + 1514 + 2];
    frame(f1, sizeof f1, 1);
    frame(f2, sizeof f2, 2);
    frame(f3, sizeof f3, 3);
    size_t at = 0;
    st32be(wire + at, sizeof f1);
    memcpy(wire + at + 4, f1, sizeof f1);
    at += 4 + sizeof f1;
    st32be(wire + at, sizeof f2);
    memcpy(wire + at + 4, f2, sizeof f2);
    at += 4 + sizeof f2;
    uint8_t h3[4];
    st32be(h3, sizeof f3);
    memcpy(wire + at, h3, 2);
    at += 2;
    ck_assert_int_eq(write(sv[1], wire, at), (ssize_t)at);
    ck_assert(WB_PUMP_UNTIL(m, cap.n >= 2, 5));
    wb_pump_for(m, 0.05);
    ck_assert_int_eq(cap.n, 2);
    ck_assert_uint_eq(cap.len[0], sizeof f1);
    ck_assert_mem_eq(cap.data[0], f1, sizeof f1);
    ck_assert_uint_eq(cap.len[1], sizeof f2);
    ck_assert_mem_eq(cap.data[1], f2, sizeof f2);
    ck_assert_int_eq(write(sv[1], h3 + 2, 2), 2);
    ck_assert_int_eq(write(sv[1], f3, sizeof f3), (ssize_t)sizeof f3);
    ck_assert(WB_PUMP_UNTIL(m, cap.n >= 3, 5));
    ck_assert_mem_eq(cap.data[2], f3, sizeof f3);

    /* The other way: each frame after its 4-byte big-endian length. */
    ck_assert_int_eq(net_send(nic, f2, sizeof f2), (ssize_t)sizeof f2);
    uint8_t got[4 + sizeof f2];
    size_t n = 0;
    while (n < sizeof got) {
        ssize_t r = read(sv[1], got + n, sizeof got - n);
        ck_assert_int_gt(r, 0);
        n += (size_t)r;
    }
    ck_assert_uint_eq(ld32be(got), sizeof f2);
    ck_assert_mem_eq(got + 4, f2, sizeof f2);
    close(sv[1]);
}
END_TEST

START_TEST(test_flow_control)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    char opt[64];
    snprintf(opt, sizeof opt, "socket,id=s0,fd=%d", sv[0]);
    NetClient *s = wb_netdev_new(m, opt);
    Gate g = {.ready = false};
    memset(&g.cap, 0, sizeof g.cap);
    NetClient *nic = net_client_new(m, &gate_info, "nic", &g);
    net_client_set_peer(nic, s);

    uint8_t wire[3 * (4 + 100)];
    for (int i = 0; i < 3; i++) {
        st32be(wire + i * 104, 100);
        frame(wire + i * 104 + 4, 100, (uint8_t)(10 + i));
    }
    ck_assert_int_eq(write(sv[1], wire, sizeof wire), (ssize_t)sizeof wire);
    /* The NIC cannot take frames: the backend leaves them in the host socket. */
    wb_pump_for(m, 0.2);
    ck_assert_int_eq(g.cap.n, 0);
    int pending = 0;
    ck_assert_int_eq(ioctl(sv[0], FIONREAD, &pending), 0);
    ck_assert_int_eq(pending, (int)sizeof wire);
    /* It can again (its ring was refilled): all three arrive, in order. */
    g.ready = true;
    net_flush_queue(nic);
    ck_assert(WB_PUMP_UNTIL(m, g.cap.n >= 3, 5));
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(g.cap.data[i][0], 10 + i);
    close(sv[1]);
}
END_TEST

START_TEST(test_bulk)
{
    /* More than the backend's input buffer at once, in frames that do not
     * divide it: every frame arrives, whole and in order (a partial frame
     * at the end of a full buffer must not stop the reading). */
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int big = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    char opt[64];
    snprintf(opt, sizeof opt, "socket,id=s0,fd=%d", sv[0]);
    NetClient *s = wb_netdev_new(m, opt);
    WbCapture cap;
    net_client_set_peer(wb_capture_new(m, "nic", &cap), s);
    enum { N = 600, LEN = 1001 };
    static uint8_t wire[N * (4 + LEN)];
    for (int i = 0; i < N; i++) {
        st32be(wire + i * (4 + LEN), LEN);
        frame(wire + i * (4 + LEN) + 4, LEN, (uint8_t)i);
    }
    size_t sent = 0;
    uint64_t end = host_now_ns() + 20000000000ull;
    while ((sent < sizeof wire || cap.n < N) && host_now_ns() < end) {
        ssize_t w = write(sv[1], wire + sent, sizeof wire - sent);
        if (w > 0)
            sent += (size_t)w;
        m->cpu->halted = true;
        machine_step(m);
    }
    ck_assert_uint_eq(sent, sizeof wire);
    ck_assert_int_eq(cap.n, N);
    for (int i = 0; i < WB_CAP_MAX; i++) {
        ck_assert_uint_eq(cap.len[i], LEN);
        ck_assert_int_eq(cap.data[i][0], (uint8_t)i);
    }
    close(sv[1]);
}
END_TEST

START_TEST(test_out_of_step)
{
    /* A length no frame can have: the peer is out of step and is dropped. */
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    char opt[64];
    snprintf(opt, sizeof opt, "socket,id=s0,fd=%d", sv[0]);
    NetClient *s = wb_netdev_new(m, opt);
    WbCapture cap;
    net_client_set_peer(wb_capture_new(m, "nic", &cap), s);
    uint8_t bad[8];
    st32be(bad, 0x7fffffff);
    ck_assert_int_eq(write(sv[1], bad, sizeof bad), (ssize_t)sizeof bad);
    ck_assert(WB_PUMP_UNTIL(m, !netsock_connected(s), 5));
    char c;
    ck_assert_int_eq(read(sv[1], &c, 1), 0); /* EOF: we closed it */
    ck_assert_int_eq(cap.n, 0);
    close(sv[1]);
}
END_TEST

/* ------------------------------------------------------------------ TCP */

START_TEST(test_listen_connect)
{
    int port = free_port();
    char opt[96];
    snprintf(opt, sizeof opt, "socket,id=srv,listen=127.0.0.1:%d", port);
    NetClient *srv = wb_netdev_new(m, opt);
    ck_assert(strstr(srv->info_str, "listening on tcp:127.0.0.1:") != NULL);
    WbCapture ca, cb;
    NetClient *na = wb_capture_new(m, "nica", &ca);
    net_client_set_peer(na, srv);

    snprintf(opt, sizeof opt, "socket,id=cli,connect=127.0.0.1:%d", port);
    NetClient *cli = wb_netdev_new(m, opt);
    NetClient *nb = wb_capture_new(m, "nicb", &cb);
    net_client_set_peer(nb, cli);
    ck_assert(WB_PUMP_UNTIL(m, netsock_connected(srv), 5));
    ck_assert(strstr(srv->info_str, "connection from 127.0.0.1:") != NULL);

    uint8_t f[200];
    frame(f, sizeof f, 0x40);
    net_send(na, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cb.n == 1, 5));
    ck_assert_mem_eq(cb.data[0], f, sizeof f);
    frame(f, sizeof f, 0x50);
    net_send(nb, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, ca.n == 1, 5));
    ck_assert_mem_eq(ca.data[0], f, sizeof f);

    /* The peer leaves: the listener takes the next one. */
    net_client_free(cli);
    ck_assert(WB_PUMP_UNTIL(m, !netsock_connected(srv), 5));
    cli = wb_netdev_new(m, opt);
    net_client_set_peer(nb, cli);
    ck_assert(WB_PUMP_UNTIL(m, netsock_connected(srv), 5));
    frame(f, sizeof f, 0x60);
    net_send(nb, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, ca.n == 2, 5));
    ck_assert_mem_eq(ca.data[1], f, sizeof f);

    /* Many frames at once: none lost, none reordered. */
    for (int i = 0; i < 40; i++) {
        frame(f, sizeof f, (uint8_t)i);
        net_send(na, f, sizeof f);
    }
    ck_assert(WB_PUMP_UNTIL(m, cb.n == 41, 5));
    for (int i = 0; i < 40; i++)
        ck_assert_int_eq(cb.data[1 + i][0], i);
}
END_TEST

START_TEST(test_ipv6)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool have6 = probe >= 0 && bind(probe, (struct sockaddr *)&a6, sizeof a6) == 0;
    socklen_t l = sizeof a6;
    getsockname(probe, (struct sockaddr *)&a6, &l);
    int port = ntohs(a6.sin6_port);
    if (probe >= 0)
        close(probe);
    if (!have6) {
        fprintf(stderr, "test_ipv6: no IPv6 loopback on this host; only parsing checked\n");
        char opt[96];
        snprintf(opt, sizeof opt, "socket,id=s0,listen=[::1]:%d", port ? port : 5555);
        ck_assert(strstr(wb_netdev_error(m, opt), "cannot listen on tcp:[::1]:") != NULL);
        return;
    }
    char opt[96];
    snprintf(opt, sizeof opt, "socket,id=srv,listen=[::1]:%d", port);
    NetClient *srv = wb_netdev_new(m, opt);
    ck_assert(strstr(srv->info_str, "[::1]") != NULL);
    snprintf(opt, sizeof opt, "socket,id=cli,connect=[::1]:%d", port);
    NetClient *cli = wb_netdev_new(m, opt);
    WbCapture ca, cb;
    NetClient *na = wb_capture_new(m, "a", &ca);
    net_client_set_peer(na, srv);
    net_client_set_peer(wb_capture_new(m, "b", &cb), cli);
    ck_assert(WB_PUMP_UNTIL(m, netsock_connected(srv), 5));
    uint8_t f[64];
    frame(f, sizeof f, 6);
    net_send(na, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cb.n == 1, 5));
    ck_assert_mem_eq(cb.data[0], f, sizeof f);
}
END_TEST

/* ------------------------------------------------------------------ datagrams */

START_TEST(test_dgram_fd)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    char opt[64];
    snprintf(opt, sizeof opt, "socket,id=d0,fd=%d", sv[0]);
    NetClient *s = wb_netdev_new(m, opt);
    WbCapture cap;
    NetClient *nic = wb_capture_new(m, "nic", &cap);
    net_client_set_peer(nic, s);
    uint8_t f[1000];
    frame(f, sizeof f, 9);
    /* One datagram, one frame: no length in front. */
    ck_assert_int_eq(send(sv[1], f, sizeof f, 0), (ssize_t)sizeof f);
    ck_assert_int_eq(send(sv[1], f, 100, 0), 100);
    ck_assert(WB_PUMP_UNTIL(m, cap.n == 2, 5));
    ck_assert_uint_eq(cap.len[0], sizeof f);
    ck_assert_mem_eq(cap.data[0], f, sizeof f);
    ck_assert_uint_eq(cap.len[1], 100);
    net_send(nic, f, 321);
    uint8_t got[2000];
    ck_assert_int_eq(recv(sv[1], got, sizeof got, 0), 321);
    ck_assert_mem_eq(got, f, 321);
    close(sv[1]);
}
END_TEST

START_TEST(test_udp_pair)
{
    int pa = free_port(), pb = free_port();
    char opt[128];
    snprintf(opt, sizeof opt, "socket,id=ua,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d", pb, pa);
    NetClient *ua = wb_netdev_new(m, opt);
    snprintf(opt, sizeof opt, "socket,id=ub,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d", pa, pb);
    NetClient *ub = wb_netdev_new(m, opt);
    ck_assert(strstr(ua->info_str, "udp=127.0.0.1:") != NULL);
    WbCapture ca, cb;
    NetClient *na = wb_capture_new(m, "a", &ca), *nb = wb_capture_new(m, "b", &cb);
    net_client_set_peer(na, ua);
    net_client_set_peer(nb, ub);
    uint8_t f[1514];
    frame(f, sizeof f, 0x77);
    net_send(na, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cb.n == 1, 5));
    ck_assert_mem_eq(cb.data[0], f, sizeof f);
    net_send(nb, f, 64);
    ck_assert(WB_PUMP_UNTIL(m, ca.n == 1, 5));
    ck_assert_uint_eq(ca.len[0], 64);
}
END_TEST

START_TEST(test_legacy_net_and_nic)
{
    /* -net socket and -nic socket go through the same table row. */
    NetConfig c;
    memset(&c, 0, sizeof c);
    char err[256];
    ck_assert_int_eq(netconf_add(&c, NETOPT_NIC, "socket,listen=:5555,mac=52:54:00:00:00:01",
                                 err, sizeof err), 0);
    ck_assert_int_eq(netconf_add(&c, NETOPT_NET, "socket,connect=127.0.0.1:5556", err,
                                 sizeof err), 0);
    NetPlan *p;
    ck_assert_msg(net_plan(&c, NULL, false, &p, err, sizeof err) == 0, "%s", err);
    int sockets = 0;
    for (int i = 0; i < p->nnetdevs; i++)
        sockets += !strcmp(p->netdevs[i].backend->type, "socket");
    ck_assert_int_eq(sockets, 2);
    net_plan_free(p);
}
END_TEST

static Suite *socket_suite(void)
{
    Suite *s = suite_create("socket");
    TCase *tc = tcase_create("socket");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_stream_framing);
    tcase_add_test(tc, test_flow_control);
    tcase_add_test(tc, test_bulk);
    tcase_add_test(tc, test_out_of_step);
    tcase_add_test(tc, test_listen_connect);
    tcase_add_test(tc, test_ipv6);
    tcase_add_test(tc, test_dgram_fd);
    tcase_add_test(tc, test_udp_pair);
    tcase_add_test(tc, test_legacy_net_and_nic);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(socket_suite)
