/* -netdev stream (net/stream.c on net/netsock.c): QEMU 7.2's options, unix
 * and inet servers and clients, reconnecting to a server that went away or
 * was not there yet, and the errors for bad options. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/netsock.h"
#include "testutil.h"

static Machine *m;
static char dir[64];

static void setup(void)
{
    m = wb_test_machine(1 << 20);
    wb_tmpdir(dir, "stream");
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

/* A listening TCP socket of the test's own on 127.0.0.1 (non-blocking). */
static int test_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)*port)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

static void send_framed(int fd, const uint8_t *f, size_t len)
{
    uint8_t h[4];
    st32be(h, (uint32_t)len);
    ck_assert_int_eq(write(fd, h, 4), 4);
    ck_assert_int_eq(write(fd, f, len), (ssize_t)len);
}

START_TEST(test_errors)
{
    fails("stream,id=s0", "parameter 'addr.type' is missing");
    fails("stream,id=s0,addr.host=127.0.0.1,addr.port=5555", "parameter 'addr.type' is missing");
    fails("stream,id=s0,addr.type=inet,addr.port=5555", "parameter 'addr.host' is missing");
    fails("stream,id=s0,addr.type=inet,addr.host=127.0.0.1", "parameter 'addr.port' is missing");
    fails("stream,id=s0,addr.type=inet,addr.host=127.0.0.1,addr.port=65536",
          "port '65536' is not a number from 1 to 65535");
    fails("stream,id=s0,addr.type=inet,addr.host=1.2.3.256,addr.port=5",
          "'1.2.3.256' is not a valid IPv4 address");
    fails("stream,id=s0,addr.type=unix", "parameter 'addr.path' is missing");
    fails("stream,id=s0,addr.type=unix,addr.path=/tmp/x,addr.port=5", "takes addr.path");
    fails("stream,id=s0,addr.type=fd,addr.str=abc", "expected a file descriptor number");
    fails("stream,id=s0,addr.type=fd", "parameter 'addr.str' is missing");
    fails("stream,id=s0,addr.type=ipx,addr.host=a", "addr.type=ipx: expected inet, unix or fd");
    fails("stream,id=s0,addr.type=vsock", "not supported by wirebox yet");
    fails("stream,id=s0,server=maybe,addr.type=unix,addr.path=/tmp/x", "server=maybe");
    fails("stream,id=s0,server=on,reconnect=1,addr.type=unix,addr.path=/tmp/x",
          "reconnect= is for a client");
    fails("stream,id=s0,reconnect=1,reconnect-ms=5,addr.type=unix,addr.path=/tmp/x",
          "exclude each other");
    fails("stream,id=s0,reconnect=soon,addr.type=unix,addr.path=/tmp/x",
          "reconnect=soon: expected a number of seconds");
    char opt[256];
    snprintf(opt, sizeof opt, "stream,id=s0,addr.type=unix,addr.path=%s/nobody", dir);
    fails(opt, "cannot connect to unix:");
    fails(opt, "No such file or directory");
    /* A server never replaces a file that is not a socket. */
    snprintf(opt, sizeof opt, "%s/file", dir);
    FILE *f = fopen(opt, "w");
    fclose(f);
    snprintf(opt, sizeof opt, "stream,id=s0,server=on,addr.type=unix,addr.path=%s/file", dir);
    fails(opt, "exists and is not a socket");
}
END_TEST

START_TEST(test_unix_server_client)
{
    char opt[256], path[128];
    snprintf(path, sizeof path, "%s/sock", dir);
    snprintf(opt, sizeof opt, "stream,id=srv,server=on,addr.type=unix,addr.path=%s", path);
    NetClient *srv = wb_netdev_new(m, opt);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    snprintf(opt, sizeof opt, "stream,id=cli,addr.type=unix,addr.path=%s", path);
    NetClient *cli = wb_netdev_new(m, opt);
    ck_assert_str_eq(cli->info->type, "stream");
    WbCapture ca, cb;
    NetClient *na = wb_capture_new(m, "a", &ca), *nb = wb_capture_new(m, "b", &cb);
    net_client_set_peer(na, srv);
    net_client_set_peer(nb, cli);
    ck_assert(WB_PUMP_UNTIL(m, netsock_connected(srv), 5));
    uint8_t f[1514];
    for (size_t i = 0; i < sizeof f; i++)
        f[i] = (uint8_t)(i * 13);
    net_send(na, f, sizeof f);
    net_send(nb, f, 77);
    ck_assert(WB_PUMP_UNTIL(m, cb.n == 1 && ca.n == 1, 5));
    ck_assert_mem_eq(cb.data[0], f, sizeof f);
    ck_assert_uint_eq(ca.len[0], 77);
    /* The server's socket file goes with it. */
    net_client_free(srv);
    ck_assert_int_ne(stat(path, &st), 0);
}
END_TEST

START_TEST(test_reconnect)
{
    /* The client starts before its server exists: it keeps trying. */
    int port = 0;
    int lfd = test_listener(&port);
    close(lfd); /* now nothing listens on port */
    char opt[160];
    snprintf(opt, sizeof opt,
             "stream,id=cli,addr.type=inet,addr.host=127.0.0.1,addr.port=%d,reconnect-ms=50",
             port);
    NetClient *cli = wb_netdev_new(m, opt);
    ck_assert(!netsock_connected(cli));
    WbCapture cap;
    NetClient *nic = wb_capture_new(m, "nic", &cap);
    net_client_set_peer(nic, cli);
    uint8_t f[100];
    memset(f, 0xab, sizeof f);
    ck_assert_int_eq(net_send(nic, f, sizeof f), (ssize_t)sizeof f); /* dropped: no server */
    wb_pump_for(m, 0.15);

    lfd = test_listener(&port);
    int conn = -1;
    ck_assert(WB_PUMP_UNTIL(m, (conn >= 0 || (conn = accept(lfd, NULL, NULL)) >= 0) &&
                                   netsock_connected(cli), 5));
    send_framed(conn, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cap.n == 1, 5));

    /* The server goes away (restarted): the client comes back by itself. */
    close(conn);
    ck_assert(WB_PUMP_UNTIL(m, !netsock_connected(cli), 5));
    ck_assert(strstr(cli->info_str, "connecting to tcp:127.0.0.1:") != NULL);
    conn = -1;
    ck_assert(WB_PUMP_UNTIL(m, (conn >= 0 || (conn = accept(lfd, NULL, NULL)) >= 0) &&
                                   netsock_connected(cli), 5));
    memset(f, 0xcd, sizeof f);
    send_framed(conn, f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cap.n == 2, 5));
    ck_assert_int_eq(cap.data[1][0], 0xcd);
    /* And frames go out on the new connection. */
    net_send(nic, f, 60);
    uint8_t got[64];
    int flags = fcntl(conn, F_GETFL);
    fcntl(conn, F_SETFL, flags & ~O_NONBLOCK);
    ck_assert_int_eq(read(conn, got, 64), 64);
    ck_assert_uint_eq(ld32be(got), 60);
    close(conn);
    close(lfd);
}
END_TEST

START_TEST(test_no_reconnect)
{
    /* Without reconnect=, a lost server stays lost (as in QEMU). */
    int port = 0;
    int lfd = test_listener(&port);
    char opt[160];
    snprintf(opt, sizeof opt, "stream,id=cli,addr.type=inet,addr.host=127.0.0.1,addr.port=%d",
             port);
    NetClient *cli = wb_netdev_new(m, opt);
    int conn = -1;
    ck_assert(WB_PUMP_UNTIL(m, (conn = accept(lfd, NULL, NULL)) >= 0, 5));
    close(conn);
    ck_assert(WB_PUMP_UNTIL(m, !netsock_connected(cli), 5));
    wb_pump_for(m, 0.2);
    ck_assert_int_lt(accept(lfd, NULL, NULL), 0);
    ck_assert_str_eq(cli->info_str, "disconnected");
    close(lfd);
}
END_TEST

START_TEST(test_abstract_and_fd)
{
    char opt[256];
    snprintf(opt, sizeof opt, "stream,id=srv,server=on,addr.type=unix,addr.path=wb-test-%d,"
             "addr.abstract=on", (int)getpid());
    NetClient *srv = wb_netdev_new(m, opt);
    snprintf(opt, sizeof opt, "stream,id=cli,addr.type=unix,addr.path=wb-test-%d,"
             "addr.abstract=on", (int)getpid());
    NetClient *cli = wb_netdev_new(m, opt);
    ck_assert(WB_PUMP_UNTIL(m, netsock_connected(srv) && netsock_connected(cli), 5));

    /* addr.type=fd: a connected socket handed over by whoever started us. */
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    snprintf(opt, sizeof opt, "stream,id=fd0,addr.type=fd,addr.str=%d", sv[0]);
    NetClient *fdc = wb_netdev_new(m, opt);
    WbCapture cap;
    net_client_set_peer(wb_capture_new(m, "nic", &cap), fdc);
    uint8_t f[42] = {1, 2, 3};
    send_framed(sv[1], f, sizeof f);
    ck_assert(WB_PUMP_UNTIL(m, cap.n == 1, 5));
    ck_assert_mem_eq(cap.data[0], f, sizeof f);
    close(sv[1]);
}
END_TEST

static bool gate_open;

static bool gated_can_receive(NetClient *nc)
{
    return gate_open;
}

static const NetClientInfo gated_info = {
    .kind = NET_CLIENT_NIC,
    .type = "gated",
    .can_receive = gated_can_receive,
    .receive = wb_capture_receive,
};

/* The peer sends more whole frames than the backend buffers and closes
 * while the NIC takes none: the backend waits without spinning on the
 * hang-up, and once the NIC takes frames every whole frame arrives, in
 * order, before the connection ends. */
START_TEST(test_peer_closes_while_nic_waits)
{
    enum { FLEN = 60000 };
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    char opt[128];
    snprintf(opt, sizeof opt, "stream,id=fd0,addr.type=fd,addr.str=%d", sv[0]);
    NetClient *fdc = wb_netdev_new(m, opt);
    WbCapture cap;
    memset(&cap, 0, sizeof cap);
    gate_open = false;
    NetClient *nic = net_client_new(m, &gated_info, "nic", &cap);
    net_client_set_peer(nic, fdc);

    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    static uint8_t buf[4 + FLEN];
    int sent = 0;
    for (;;) {
        st32be(buf, FLEN);
        memset(buf + 4, sent + 1, FLEN);
        ssize_t w = write(sv[1], buf, sizeof buf);
        if (w < (ssize_t)sizeof buf)
            break; /* full: a part of a frame at most */
        sent++;
    }
    ck_assert_int_ge(sent, 3); /* more than the backend's two frames of buffer */
    close(sv[1]);

    ck_assert_int_lt(wb_pump_count(m, 0.3), 50);
    ck_assert_int_eq(cap.n, 0);

    gate_open = true;
    net_flush_queue(nic);
    ck_assert(WB_PUMP_UNTIL(m, !netsock_connected(fdc), 5));
    ck_assert_int_eq(cap.n, sent);
    for (int i = 0; i < sent; i++) {
        ck_assert_uint_eq(cap.len[i], FLEN);
        ck_assert_uint_eq(cap.data[i][0], i + 1);
    }
}
END_TEST

static Suite *stream_suite(void)
{
    Suite *s = suite_create("stream");
    TCase *tc = tcase_create("stream");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_unix_server_client);
    tcase_add_test(tc, test_reconnect);
    tcase_add_test(tc, test_no_reconnect);
    tcase_add_test(tc, test_abstract_and_fd);
    tcase_add_test(tc, test_peer_closes_while_nic_waits);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(stream_suite)
