/* The user backend's DNS proxy (net/dns.c): failover between nameservers,
 * with fake nameservers on loopback, and the guest frame parsing/building. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/dns.h"
#include "testutil.h"

/* ---- fake nameservers */

typedef enum { SRV_ANSWER, SRV_REFUSE, SRV_SILENT, SRV_SPOOF_FIRST, SRV_SERVFAIL } SrvMode;

typedef struct FakeServer {
    int fd;
    int port;
    SrvMode mode;
    int queries;
    bool tcp; /* a TCP nameserver: fd listens; one query per connection */
    int conn; /* TCP: the connection being read, or -1 */
    uint8_t in[600];
    size_t got;
} FakeServer;

static FakeServer srv[4];
static int nsrv;
static char resolv_path[64];

static void server_open(FakeServer *s, SrvMode mode)
{
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(s->fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    s->mode = mode;
    s->queries = 0;
    s->tcp = false;
}

static void server_open_tcp(FakeServer *s, SrvMode mode)
{
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s->fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(s->fd, 8), 0);
    socklen_t l = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    s->mode = mode;
    s->queries = 0;
    s->tcp = true;
    s->conn = -1;
    s->got = 0;
}

/* A loopback port nobody listens on: queries to it get ICMP port unreachable. */
static int closed_port(void)
{
    FakeServer tmp;
    server_open(&tmp, SRV_SILENT);
    close(tmp.fd);
    return tmp.port;
}

static void write_resolv(const int *ports, int n)
{
    FILE *f = fopen(resolv_path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "# test resolver file\nsearch example.test\noptions timeout:1\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "nameserver 127.0.0.1:%d\n", ports[i]);
    fclose(f);
}

static void setup(void)
{
    strcpy(resolv_path, "/tmp/wirebox-test-resolv.XXXXXX");
    int fd = mkstemp(resolv_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    nsrv = 0;
}

static void teardown(void)
{
    for (int i = 0; i < nsrv; i++) {
        close(srv[i].fd);
        if (srv[i].tcp && srv[i].conn >= 0)
            close(srv[i].conn);
    }
    unlink(resolv_path);
}

/* Servers in resolver order. */
static void servers(int n, const SrvMode *modes)
{
    int ports[4];
    for (int i = 0; i < n; i++) {
        server_open(&srv[i], modes[i]);
        ports[i] = srv[i].port;
    }
    nsrv = n;
    write_resolv(ports, n);
}

/* ---- DNS messages */

static size_t make_query(uint8_t *m, uint16_t id, const char *label)
{
    size_t n = 0;
    m[n++] = (uint8_t)(id >> 8);
    m[n++] = (uint8_t)id;
    m[n++] = 0x01; /* RD */
    m[n++] = 0x00;
    m[n++] = 0;
    m[n++] = 1; /* QDCOUNT */
    memset(m + n, 0, 6);
    n += 6;
    m[n++] = (uint8_t)strlen(label);
    memcpy(m + n, label, strlen(label));
    n += strlen(label);
    m[n++] = 4;
    memcpy(m + n, "test", 4);
    n += 4;
    m[n++] = 0;
    m[n++] = 0;
    m[n++] = 1; /* A */
    m[n++] = 0;
    m[n++] = 1; /* IN */
    return n;
}

static int tcp_conn = -1; /* the TCP connection a fake server answers on */

static void server_reply(FakeServer *s, const uint8_t *q, size_t qlen, struct sockaddr_in *from,
                         uint8_t rcode, bool spoof_id)
{
    uint8_t r[512];
    memcpy(r, q, qlen);
    size_t n = qlen;
    r[2] = 0x81;
    r[3] = (uint8_t)(0x80 | rcode);
    if (spoof_id)
        r[1] ^= 0x55;
    if (rcode == 0) {
        r[7] = 1; /* ANCOUNT */
        static const uint8_t ans[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 0};
        memcpy(r + n, ans, sizeof ans);
        r[n + sizeof ans - 1] = (uint8_t)(s - srv + 1); /* which server answered */
        n += sizeof ans;
    }
    if (s->tcp) {
        uint8_t h[2] = {(uint8_t)(n >> 8), (uint8_t)n};
        ck_assert_int_eq(write(tcp_conn, h, 2), 2);
        ck_assert_int_eq(write(tcp_conn, r, n), (ssize_t)n);
        return;
    }
    sendto(s->fd, r, n, 0, (struct sockaddr *)from, sizeof *from);
}

static bool read_full(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static void server_serve(FakeServer *s)
{
    uint8_t q[512];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n;
    if (s->tcp) {
        /* One connection at a time, one [len][query] on it. */
        if (s->conn < 0) {
            s->conn = accept(s->fd, NULL, NULL);
            s->got = 0;
            return;
        }
        n = read(s->conn, s->in + s->got, sizeof s->in - s->got);
        if (n <= 0) {
            close(s->conn);
            s->conn = -1;
            return;
        }
        s->got += (size_t)n;
        size_t want = s->got >= 2 ? 2 + (size_t)(s->in[0] << 8 | s->in[1]) : 2;
        if (s->got < want || want > 2 + sizeof q)
            return;
        n = (ssize_t)(want - 2);
        memcpy(q, s->in + 2, (size_t)n);
        tcp_conn = s->conn;
        s->conn = -1;
    } else {
        n = recvfrom(s->fd, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    }
    if (n <= 0)
        return;
    s->queries++;
    switch (s->mode) {
    case SRV_ANSWER:
        server_reply(s, q, (size_t)n, &from, 0, false);
        break;
    case SRV_REFUSE:
        server_reply(s, q, (size_t)n, &from, 5, false);
        break;
    case SRV_SERVFAIL:
        server_reply(s, q, (size_t)n, &from, 2, false);
        break;
    case SRV_SPOOF_FIRST:
        server_reply(s, q, (size_t)n, &from, 0, true); /* wrong id: ignored */
        q[12 + 1] ^= 0x20; /* and a different question: ignored too */
        server_reply(s, q, (size_t)n, &from, 0, false);
        q[12 + 1] ^= 0x20;
        server_reply(s, q, (size_t)n, &from, 0, false);
        break;
    case SRV_SILENT:
        break;
    }
    if (s->tcp) {
        close(tcp_conn);
        tcp_conn = -1;
    }
}

/* The fake servers' pollfds (UDP socket, or TCP listener and connection). */
static int servers_fill(struct pollfd *pfd)
{
    int n = 0;
    for (int i = 0; i < nsrv; i++)
        pfd[n++] = (struct pollfd){.fd = srv[i].tcp && srv[i].conn >= 0 ? srv[i].conn : srv[i].fd,
                                   .events = POLLIN};
    return n;
}

static void servers_serve(const struct pollfd *pfd)
{
    for (int i = 0; i < nsrv; i++)
        if (pfd[i].revents & (POLLIN | POLLHUP))
            server_serve(&srv[i]);
}

/* ---- the proxy under test */

static int nreplies;
static uint8_t last_reply[2048];
static size_t last_len;
static int last_ctx;

static void on_reply(void *opaque, const void *ctx, const uint8_t *msg, size_t len)
{
    nreplies++;
    memcpy(&last_ctx, ctx, sizeof last_ctx);
    last_len = len < sizeof last_reply ? len : sizeof last_reply;
    memcpy(last_reply, msg, last_len);
}

/* Runs the proxy and the fake servers until a reply arrives (or limit_ms). */
static uint64_t pump(DnsProxy *p, int limit_ms)
{
    uint64_t t0 = host_now_ns(), end = t0 + (uint64_t)limit_ms * 1000000ull;
    int start = nreplies;
    while (nreplies == start && host_now_ns() < end) {
        struct pollfd pfd[80];
        uint64_t timeout = 20000000ull;
        int n = dns_proxy_fill(p, pfd, 64, &timeout);
        int ns = servers_fill(pfd + n);
        struct timespec ts = {0, (long)timeout};
        ppoll(pfd, (nfds_t)(n + ns), &ts, NULL);
        servers_serve(pfd + n);
        dns_proxy_dispatch(p, pfd, n);
    }
    return host_now_ns() - t0;
}

static DnsProxy *proxy(uint64_t timeout_ms)
{
    DnsProxy *p = dns_proxy_new(resolv_path, on_reply, NULL);
    ck_assert_ptr_nonnull(p);
    dns_proxy_set_timeout(p, timeout_ms * 1000000ull);
    nreplies = 0;
    return p;
}

static void ask(DnsProxy *p, uint16_t id, int ctx)
{
    uint8_t q[128];
    size_t n = make_query(q, id, "example");
    ck_assert(dns_proxy_query(p, q, n, &ctx, sizeof ctx));
}

static int reply_rcode(void)
{
    return last_reply[3] & 0x0F;
}

static uint16_t reply_id(void)
{
    return (uint16_t)(last_reply[0] << 8 | last_reply[1]);
}

/* The answering server's number, put in the last byte of its A record. */
static int answered_by(void)
{
    ck_assert_int_eq(reply_rcode(), 0);
    return last_reply[last_len - 1];
}

START_TEST(test_resolv_parsing)
{
    FILE *f = fopen(resolv_path, "w");
    fprintf(f, "; comment\n# another\ndomain example.test\n"
               "nameserver 127.0.0.1:5353 # port extension\n"
               "  nameserver\t10.1.2.3\n"
               "nameserver [::1]:5300\n"
               "nameserver ::1\n"
               "nameserver not-an-address\n"
               "nameservers 1.1.1.1\n"
               "nameserver 127.0.0.1:99999\n");
    fclose(f);
    DnsProxy *p = proxy(100);
    ck_assert_int_eq(dns_proxy_nservers(p), 4);
    dns_proxy_free(p);

    /* No nameserver at all: the local one, as glibc does. */
    f = fopen(resolv_path, "w");
    fprintf(f, "search example.test\n");
    fclose(f);
    p = proxy(100);
    ck_assert_int_eq(dns_proxy_nservers(p), 1);
    dns_proxy_free(p);
    /* A missing file too. */
    p = dns_proxy_new("/nonexistent/resolv.conf", on_reply, NULL);
    ck_assert_int_eq(dns_proxy_nservers(p), 1);
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_first_refuses)
{
    servers(2, (SrvMode[]){SRV_REFUSE, SRV_ANSWER});
    DnsProxy *p = proxy(1000);
    ask(p, 0x1234, 77);
    pump(p, 3000);
    ck_assert_int_eq(nreplies, 1);
    ck_assert_int_eq(answered_by(), 2);
    ck_assert_uint_eq(reply_id(), 0x1234); /* the guest's id, whatever went on the wire */
    ck_assert_int_eq(last_ctx, 77);
    ck_assert_int_eq(srv[0].queries, 1);
    ck_assert_int_eq(srv[1].queries, 1);
    ck_assert_int_eq(dns_proxy_preferred(p), 1);
    ck_assert_int_eq(dns_proxy_inflight(p), 0);
    /* Remembered: the next queries go straight to the good server. */
    for (int i = 0; i < 3; i++) {
        ask(p, (uint16_t)(0x2000 + i), i);
        pump(p, 3000);
        ck_assert_int_eq(answered_by(), 2);
        ck_assert_uint_eq(reply_id(), 0x2000 + i);
    }
    ck_assert_int_eq(srv[0].queries, 1);
    ck_assert_int_eq(srv[1].queries, 4);
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_first_silent)
{
    servers(3, (SrvMode[]){SRV_SILENT, SRV_SERVFAIL, SRV_ANSWER});
    DnsProxy *p = proxy(150);
    ask(p, 7, 1);
    uint64_t took = pump(p, 3000);
    ck_assert_int_eq(nreplies, 1);
    ck_assert_int_eq(answered_by(), 3);
    ck_assert_uint_ge(took, 140000000ull); /* waited out the first one */
    ck_assert_uint_lt(took, 1500000000ull);
    ck_assert_int_eq(dns_proxy_preferred(p), 2);
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_first_unreachable)
{
    servers(1, (SrvMode[]){SRV_ANSWER});
    write_resolv((int[]){closed_port(), srv[0].port}, 2);
    DnsProxy *p = proxy(2000);
    ask(p, 9, 1);
    uint64_t took = pump(p, 5000);
    ck_assert_int_eq(nreplies, 1);
    ck_assert_int_eq(answered_by(), 1);
    ck_assert_uint_lt(took, 1500000000ull); /* ICMP unreachable: no timeout needed */
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_all_fail)
{
    servers(2, (SrvMode[]){SRV_REFUSE, SRV_REFUSE});
    DnsProxy *p = proxy(500);
    ask(p, 0xBEEF, 1);
    pump(p, 3000);
    ck_assert_int_eq(nreplies, 1);
    ck_assert_int_eq(reply_rcode(), 5); /* the last refusal */
    ck_assert_uint_eq(reply_id(), 0xBEEF);
    ck_assert_int_eq(srv[0].queries + srv[1].queries, 2);
    dns_proxy_free(p);
    teardown();
    setup();

    /* Nobody answers: a SERVFAIL of the proxy's own, with the question. */
    servers(2, (SrvMode[]){SRV_SILENT, SRV_SILENT});
    p = proxy(100);
    ask(p, 0xCAFE, 1);
    uint64_t took = pump(p, 3000);
    ck_assert_int_eq(nreplies, 1);
    ck_assert_uint_ge(took, 190000000ull);
    ck_assert_int_eq(reply_rcode(), 2);
    ck_assert_uint_eq(reply_id(), 0xCAFE);
    ck_assert(last_reply[2] & 0x80);
    ck_assert_int_eq(last_reply[5], 1);
    uint8_t q[128];
    size_t qn = make_query(q, 0xCAFE, "example");
    ck_assert_uint_eq(last_len, qn);
    ck_assert_mem_eq(last_reply + 12, q + 12, qn - 12);
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_spoofed_replies_ignored)
{
    servers(1, (SrvMode[]){SRV_SPOOF_FIRST});
    DnsProxy *p = proxy(1000);
    ask(p, 0x4242, 1);
    pump(p, 3000);
    pump(p, 100); /* nothing more comes */
    ck_assert_int_eq(nreplies, 1);
    ck_assert_uint_eq(reply_id(), 0x4242);
    ck_assert_int_eq(last_reply[13], 'e'); /* the question asked, not the altered one */
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_preferred_fails_later)
{
    servers(2, (SrvMode[]){SRV_REFUSE, SRV_ANSWER});
    DnsProxy *p = proxy(1000);
    ask(p, 1, 1);
    pump(p, 3000);
    ck_assert_int_eq(dns_proxy_preferred(p), 1);
    /* Now the remembered one breaks and the first one recovers. */
    srv[1].mode = SRV_REFUSE;
    srv[0].mode = SRV_ANSWER;
    ask(p, 2, 1);
    pump(p, 3000);
    ck_assert_int_eq(answered_by(), 1);
    ck_assert_int_eq(dns_proxy_preferred(p), 0);
    ck_assert_int_eq(srv[1].queries, 2);
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_resolv_reloaded)
{
    servers(2, (SrvMode[]){SRV_ANSWER, SRV_ANSWER});
    write_resolv((int[]){srv[0].port}, 1);
    DnsProxy *p = proxy(1000);
    ask(p, 1, 1);
    pump(p, 3000);
    ck_assert_int_eq(answered_by(), 1);
    /* The file changes: the new list is used. */
    write_resolv((int[]){srv[1].port, srv[0].port}, 2);
    ask(p, 2, 1);
    pump(p, 3000);
    ck_assert_int_eq(answered_by(), 2);
    ck_assert_int_eq(dns_proxy_nservers(p), 2);
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_malformed_queries)
{
    servers(1, (SrvMode[]){SRV_ANSWER});
    DnsProxy *p = proxy(1000);
    uint8_t q[64];
    size_t n = make_query(q, 5, "x");
    ck_assert(!dns_proxy_query(p, q, 11, &n, sizeof n)); /* shorter than a header */
    q[2] |= 0x80;
    ck_assert(!dns_proxy_query(p, q, n, &n, sizeof n)); /* a response, not a query */
    q[2] &= 0x7F;
    q[5] = 9; /* a question count the message does not hold: still forwarded */
    ck_assert(dns_proxy_query(p, q, n, &n, sizeof n));
    pump(p, 3000);
    ck_assert_int_eq(nreplies, 1);
    /* In-flight limit */
    srv[0].mode = SRV_SILENT;
    q[5] = 1;
    for (int i = 0; i < DNS_MAX_QUERIES; i++)
        ck_assert(dns_proxy_query(p, q, n, &n, sizeof n));
    ck_assert(!dns_proxy_query(p, q, n, &n, sizeof n));
    ck_assert_int_eq(dns_proxy_inflight(p), DNS_MAX_QUERIES);
    dns_proxy_free(p);
}
END_TEST

/* ---- DNS over TCP */

static int tcp_client(DnsProxy *p)
{
    int port = dns_proxy_tcp_listen(p);
    ck_assert_int_gt(port, 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void tcp_ask(int fd, uint16_t id, const char *label)
{
    uint8_t q[130];
    size_t n = make_query(q + 2, id, label);
    q[0] = (uint8_t)(n >> 8);
    q[1] = (uint8_t)n;
    ck_assert_int_eq(write(fd, q, n + 2), (ssize_t)(n + 2));
}

/* Runs the proxy (and the servers) until fd has an answer; reads it into last_reply. */
static bool tcp_answer(DnsProxy *p, int fd, int limit_ms)
{
    uint64_t end = host_now_ns() + (uint64_t)limit_ms * 1000000ull;
    while (host_now_ns() < end) {
        struct pollfd pfd[80];
        uint64_t timeout = 20000000ull;
        int n = dns_proxy_fill(p, pfd, 64, &timeout);
        int ns = servers_fill(pfd + n);
        pfd[n + nsrv] = (struct pollfd){.fd = fd, .events = POLLIN};
        struct timespec ts = {0, (long)timeout};
        ppoll(pfd, (nfds_t)(n + ns + 1), &ts, NULL);
        servers_serve(pfd + n);
        dns_proxy_dispatch(p, pfd, n);
        if (pfd[n + nsrv].revents & (POLLIN | POLLHUP)) {
            uint8_t h[2];
            if (!read_full(fd, h, 2))
                return false;
            last_len = (size_t)(h[0] << 8 | h[1]);
            ck_assert_uint_le(last_len, sizeof last_reply);
            return read_full(fd, last_reply, last_len);
        }
    }
    return false;
}

START_TEST(test_tcp_failover)
{
    /* Over TCP as over UDP: the first nameserver refuses, the second answers,
     * and is asked first from then on. */
    int ports[2];
    server_open_tcp(&srv[0], SRV_REFUSE);
    server_open_tcp(&srv[1], SRV_ANSWER);
    nsrv = 2;
    ports[0] = srv[0].port;
    ports[1] = srv[1].port;
    write_resolv(ports, 2);
    DnsProxy *p = proxy(1000);
    int fd = tcp_client(p);
    /* Two queries on one connection, sent back to back. */
    tcp_ask(fd, 0x1234, "first");
    tcp_ask(fd, 0x5678, "second");
    ck_assert(tcp_answer(p, fd, 5000));
    uint16_t id1 = reply_id();
    ck_assert_int_eq(answered_by(), 2);
    ck_assert(tcp_answer(p, fd, 5000));
    uint16_t id2 = reply_id();
    ck_assert_int_eq(answered_by(), 2);
    ck_assert((id1 == 0x1234 && id2 == 0x5678) || (id1 == 0x5678 && id2 == 0x1234));
    ck_assert_int_ge(srv[0].queries, 1);
    ck_assert_int_eq(dns_proxy_preferred(p), 1);
    int refused = srv[0].queries;
    tcp_ask(fd, 0x9abc, "third");
    ck_assert(tcp_answer(p, fd, 5000));
    ck_assert_int_eq(reply_id(), 0x9abc);
    ck_assert_int_eq(srv[0].queries, refused); /* the good one first now */
    /* The guest is done: the proxy closes its side once it has answered. */
    shutdown(fd, SHUT_WR);
    uint8_t c;
    uint64_t end = host_now_ns() + 3000000000ull;
    bool closed = false;
    while (!closed && host_now_ns() < end) {
        struct pollfd pfd[70];
        uint64_t timeout = 20000000ull;
        int n = dns_proxy_fill(p, pfd, 64, &timeout);
        struct timespec ts = {0, (long)timeout};
        ppoll(pfd, (nfds_t)n, &ts, NULL);
        dns_proxy_dispatch(p, pfd, n);
        closed = recv(fd, &c, 1, MSG_DONTWAIT) == 0;
    }
    ck_assert(closed);
    close(fd);
    dns_proxy_free(p);
}
END_TEST

START_TEST(test_tcp_all_fail)
{
    /* A server that refuses connections and one that refuses queries: the
     * guest gets the refusal, not silence. */
    int ports[2];
    FakeServer gone;
    server_open_tcp(&gone, SRV_SILENT);
    ports[0] = gone.port;
    close(gone.fd);
    server_open_tcp(&srv[0], SRV_SERVFAIL);
    nsrv = 1;
    ports[1] = srv[0].port;
    write_resolv(ports, 2);
    DnsProxy *p = proxy(1000);
    int fd = tcp_client(p);
    tcp_ask(fd, 0x4242, "nothing");
    ck_assert(tcp_answer(p, fd, 5000));
    ck_assert_int_eq(reply_id(), 0x4242);
    ck_assert_int_eq(reply_rcode(), 2);
    close(fd);
    dns_proxy_free(p);
}
END_TEST

/* ---- frames */

static const uint8_t dns_ip[4] = {10, 0, 2, 3};
static const uint8_t guest_ip[4] = {10, 0, 2, 15};
static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static uint16_t udp_csum(const uint8_t *src, const uint8_t *dst, const uint8_t *udp, size_t len)
{
    uint8_t pseudo[12];
    memcpy(pseudo, src, 4);
    memcpy(pseudo + 4, dst, 4);
    pseudo[8] = 0;
    pseudo[9] = 17;
    st16be(pseudo + 10, (uint16_t)len);
    return net_csum_fold(net_csum_add(net_csum_add(0, pseudo, 12), udp, len));
}

/* A guest frame: Ethernet, IPv4, UDP from 10.0.2.15:40000 to dst:dport. */
static size_t guest_frame(uint8_t *f, const uint8_t *dst, uint16_t dport, const uint8_t *msg,
                          size_t len, bool with_csum)
{
    memset(f, 0, 14 + 28 + len + 4);
    memcpy(f, "\x52\x55\x0a\x00\x02\x03", 6);
    memcpy(f + 6, guest_mac, 6);
    st16be(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    st16be(ip + 2, (uint16_t)(28 + len));
    st16be(ip + 4, 0x1111);
    st16be(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, guest_ip, 4);
    memcpy(ip + 16, dst, 4);
    st16be(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, 20)));
    uint8_t *udp = ip + 20;
    st16be(udp, 40000);
    st16be(udp + 2, dport);
    st16be(udp + 4, (uint16_t)(8 + len));
    memcpy(udp + 8, msg, len);
    if (with_csum)
        st16be(udp + 6, (uint16_t)~udp_csum(guest_ip, dst, udp, 8 + len));
    return 14 + 28 + len;
}

START_TEST(test_match_guest_query)
{
    uint8_t msg[64], f[256];
    size_t mlen = make_query(msg, 0x77, "host");
    size_t n = guest_frame(f, dns_ip, 53, msg, mlen, true);
    DnsGuestQuery q;
    ck_assert(dns_match_guest_query(f, n, dns_ip, &q));
    ck_assert_mem_eq(q.mac, guest_mac, 6);
    ck_assert_mem_eq(q.ip, guest_ip, 4);
    ck_assert_uint_eq(q.port, 40000);
    ck_assert_uint_eq(q.len, mlen);
    ck_assert_mem_eq(q.msg, msg, mlen);
    /* Ethernet padding after the IP packet is fine. */
    ck_assert(dns_match_guest_query(f, n + 4, dns_ip, &q));
    ck_assert_uint_eq(q.len, mlen);
    /* No UDP checksum is fine too. */
    n = guest_frame(f, dns_ip, 53, msg, mlen, false);
    ck_assert(dns_match_guest_query(f, n, dns_ip, &q));

    /* Not ours: another address, another port. */
    uint8_t other[4] = {10, 0, 2, 2};
    n = guest_frame(f, other, 53, msg, mlen, true);
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    n = guest_frame(f, dns_ip, 5353, msg, mlen, true);
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    /* Corrupt: UDP checksum, IP checksum, lengths, a fragment, not IPv4. */
    n = guest_frame(f, dns_ip, 53, msg, mlen, true);
    f[14 + 28 + 3] ^= 1;
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    n = guest_frame(f, dns_ip, 53, msg, mlen, true);
    f[14 + 8] ^= 1; /* TTL, under the IP checksum */
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    n = guest_frame(f, dns_ip, 53, msg, mlen, false);
    st16be(f + 14 + 20 + 4, (uint16_t)(8 + mlen + 1)); /* UDP length past the packet */
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    st16be(f + 14 + 20 + 4, 7); /* shorter than its header */
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    n = guest_frame(f, dns_ip, 53, msg, mlen, true);
    f[14] = 0x4F; /* IHL 60 bytes: past the packet's UDP header, checksum wrong anyway */
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    f[14] = 0x44; /* IHL below 20 */
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    n = guest_frame(f, dns_ip, 53, msg, mlen, true);
    f[14 + 6] = 0x20; /* MF */
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    n = guest_frame(f, dns_ip, 53, msg, mlen, true);
    st16be(f + 12, 0x86DD);
    ck_assert(!dns_match_guest_query(f, n, dns_ip, &q));
    /* Every truncation of a good frame is rejected without reading past it
     * (AddressSanitizer watches the heap copies). */
    n = guest_frame(f, dns_ip, 53, msg, mlen, true);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, f, cut);
        ck_assert(!dns_match_guest_query(copy, cut, dns_ip, &q));
        free(copy);
    }
    /* Random garbage never crashes. */
    srand(1);
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(rand() % 120);
        uint8_t *g = malloc(len ? len : 1);
        for (size_t k = 0; k < len; k++)
            g[k] = (uint8_t)rand();
        if (len > 14) {
            g[12] = 0x08;
            g[13] = 0x00;
        }
        if (len > 34)
            memcpy(g + 30, dns_ip, 4);
        (void)dns_match_guest_query(g, len, dns_ip, &q);
        free(g);
    }
}
END_TEST

typedef struct Frames {
    int n;
    uint8_t f[8][1600];
    size_t len[8];
} Frames;

static void collect(void *opaque, const uint8_t *frame, size_t len)
{
    Frames *fr = opaque;
    ck_assert_int_lt(fr->n, 8);
    ck_assert_uint_le(len, sizeof fr->f[0]);
    memcpy(fr->f[fr->n], frame, len);
    fr->len[fr->n++] = len;
}

START_TEST(test_reply_frames)
{
    DnsGuestQuery q = {.port = 40000};
    memcpy(q.mac, guest_mac, 6);
    memcpy(q.ip, guest_ip, 4);
    static Frames fr;

    /* Small: one frame, checksums right, from 10.0.2.3:53 (MAC 52:55:0a:00:02:03). */
    uint8_t msg[100];
    for (int i = 0; i < 100; i++)
        msg[i] = (uint8_t)i;
    fr.n = 0;
    ck_assert_int_eq(dns_reply_frames(&q, dns_ip, 0x99, msg, 100, 1500, collect, &fr), 1);
    uint8_t *f = fr.f[0], *ip = f + 14, *udp = ip + 20;
    ck_assert_uint_eq(fr.len[0], 14 + 28 + 100);
    ck_assert_mem_eq(f, guest_mac, 6);
    ck_assert_mem_eq(f + 6, "\x52\x55\x0a\x00\x02\x03", 6);
    ck_assert_uint_eq(ld16be(f + 12), 0x0800);
    ck_assert_uint_eq(ip[0], 0x45);
    ck_assert_uint_eq(ld16be(ip + 2), 128);
    ck_assert_uint_eq(ld16be(ip + 4), 0x99);
    ck_assert_uint_eq(ld16be(ip + 6), 0);
    ck_assert_uint_eq(ip[9], 17);
    ck_assert_mem_eq(ip + 12, dns_ip, 4);
    ck_assert_mem_eq(ip + 16, guest_ip, 4);
    ck_assert_uint_eq(net_csum_fold(net_csum_add(0, ip, 20)), 0xFFFF);
    ck_assert_uint_eq(ld16be(udp), 53);
    ck_assert_uint_eq(ld16be(udp + 2), 40000);
    ck_assert_uint_eq(ld16be(udp + 4), 108);
    ck_assert_uint_eq(udp_csum(dns_ip, guest_ip, udp, 108), 0xFFFF);
    ck_assert_mem_eq(udp + 8, msg, 100);

    /* Large (an EDNS answer): IP fragments of at most 1500 bytes. */
    static uint8_t big[4000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    fr.n = 0;
    int nf = dns_reply_frames(&q, dns_ip, 0x1234, big, sizeof big, 1500, collect, &fr);
    ck_assert_int_eq(nf, 3);
    static uint8_t dgram[4008];
    size_t got = 0;
    for (int i = 0; i < nf; i++) {
        uint8_t *fi = fr.f[i] + 14;
        ck_assert_uint_le(fr.len[i], 14 + 1500);
        ck_assert_uint_eq(net_csum_fold(net_csum_add(0, fi, 20)), 0xFFFF);
        ck_assert_uint_eq(ld16be(fi + 4), 0x1234);
        uint16_t fo = ld16be(fi + 6);
        ck_assert_uint_eq((fo & 0x1FFF) * 8u, got);
        ck_assert_uint_eq(!!(fo & 0x2000), i < nf - 1);
        size_t plen = ld16be(fi + 2) - 20u;
        ck_assert_uint_eq(fr.len[i], 14 + 20 + plen);
        if (i < nf - 1)
            ck_assert_uint_eq(plen % 8, 0);
        memcpy(dgram + got, fi + 20, plen);
        got += plen;
    }
    ck_assert_uint_eq(got, 8 + sizeof big);
    ck_assert_uint_eq(ld16be(dgram + 4), 8 + sizeof big);
    ck_assert_uint_eq(udp_csum(dns_ip, guest_ip, dgram, got), 0xFFFF);
    ck_assert_mem_eq(dgram + 8, big, sizeof big);

    /* Too big for UDP: nothing. */
    static uint8_t huge[65530];
    fr.n = 0;
    ck_assert_int_eq(dns_reply_frames(&q, dns_ip, 1, huge, sizeof huge, 1500, collect, &fr), 0);
}
END_TEST

static uint16_t tcp_csum(const uint8_t *ip)
{
    size_t ihl = (size_t)(ip[0] & 15) * 4, len = ld16be(ip + 2) - ihl;
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    st16be(pseudo + 10, (uint16_t)len);
    return net_csum_fold(net_csum_add(net_csum_add(0, pseudo, 12), ip + ihl, len));
}

START_TEST(test_tcp_rewrite)
{
    /* A guest's SYN to 10.0.2.3:53 goes to 10.0.2.2:40123 (the proxy's
     * listener behind libslirp); the answer comes back as from 10.0.2.3:53. */
    static const uint8_t host_ip[4] = {10, 0, 2, 2};
    uint8_t f[14 + 20 + 24];
    memset(f, 0, sizeof f);
    memcpy(f, "\x52\x55\x0a\x00\x02\x03", 6);
    memcpy(f + 6, guest_mac, 6);
    st16be(f + 12, 0x0800);
    uint8_t *ip = f + 14, *tcp = ip + 20;
    ip[0] = 0x45;
    st16be(ip + 2, 44);
    st16be(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, guest_ip, 4);
    memcpy(ip + 16, dns_ip, 4);
    st16be(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, 20)));
    st16be(tcp, 41000);
    st16be(tcp + 2, 53);
    st32be(tcp + 4, 0x01020304);
    tcp[12] = 0x60; /* 24-byte header: an MSS option */
    tcp[13] = 0x02; /* SYN */
    st16be(tcp + 14, 64240);
    tcp[20] = 2;
    tcp[21] = 4;
    st16be(tcp + 22, 1460);
    st16be(tcp + 16, (uint16_t)~tcp_csum(ip));
    ck_assert_uint_eq(tcp_csum(ip), 0xffff);

    uint8_t g[sizeof f];
    memcpy(g, f, sizeof f);
    ck_assert(dns_tcp_matches(g, sizeof g, false, dns_ip, 53));
    ck_assert(!dns_tcp_matches(g, sizeof g, true, dns_ip, 53));
    ck_assert(dns_tcp_rewrite(g, sizeof g, false, dns_ip, 53, host_ip, 40123));
    ck_assert_mem_eq(ip + 12 - f + g, guest_ip, 4);
    ck_assert_mem_eq(g + 14 + 16, host_ip, 4);
    ck_assert_uint_eq(ld16be(g + 14 + 20 + 2), 40123);
    ck_assert_mem_eq(g, "\x52\x55\x0a\x00\x02\x02", 6);
    ck_assert_uint_eq(net_csum_fold(net_csum_add(0, g + 14, 20)), 0xffff);
    ck_assert_uint_eq(tcp_csum(g + 14), 0xffff);
    ck_assert_uint_eq(ld32be(g + 14 + 24), 0x01020304); /* the rest untouched */

    /* The answer: source host:40123 becomes dns:53. */
    uint8_t *gi = g + 14;
    uint8_t tmp[4];
    memcpy(tmp, gi + 12, 4);
    memcpy(gi + 12, gi + 16, 4);
    memcpy(gi + 16, tmp, 4);
    uint16_t sp = ld16be(gi + 20);
    st16be(gi + 20, ld16be(gi + 22));
    st16be(gi + 22, sp);
    memcpy(g + 6, "\x52\x55\x0a\x00\x02\x02", 6);
    ck_assert(dns_tcp_rewrite(g, sizeof g, true, host_ip, 40123, dns_ip, 53));
    ck_assert_mem_eq(gi + 12, dns_ip, 4);
    ck_assert_uint_eq(ld16be(gi + 20), 53);
    ck_assert_mem_eq(g + 6, "\x52\x55\x0a\x00\x02\x03", 6);
    ck_assert_uint_eq(net_csum_fold(net_csum_add(0, gi, 20)), 0xffff);
    ck_assert_uint_eq(tcp_csum(gi), 0xffff);

    /* What it leaves alone: other ports, UDP, later fragments, short frames. */
    memcpy(g, f, sizeof f);
    st16be(g + 14 + 22, 80);
    ck_assert(!dns_tcp_rewrite(g, sizeof g, false, dns_ip, 53, host_ip, 40123));
    memcpy(g, f, sizeof f);
    g[14 + 9] = 17;
    ck_assert(!dns_tcp_matches(g, sizeof g, false, dns_ip, 53));
    memcpy(g, f, sizeof f);
    st16be(g + 14 + 6, 0x0010);
    ck_assert(!dns_tcp_matches(g, sizeof g, false, dns_ip, 53));
    for (size_t n = 0; n < 14 + 40; n++)
        ck_assert(!dns_tcp_matches(f, n, false, dns_ip, 53));
    memcpy(g, f, sizeof f);
    g[14] = 0x4f; /* a header longer than the frame */
    ck_assert(!dns_tcp_matches(g, sizeof g, false, dns_ip, 53));
}
END_TEST

static Suite *dns_suite(void)
{
    Suite *s = suite_create("dns");
    TCase *tc = tcase_create("proxy");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_resolv_parsing);
    tcase_add_test(tc, test_first_refuses);
    tcase_add_test(tc, test_first_silent);
    tcase_add_test(tc, test_first_unreachable);
    tcase_add_test(tc, test_all_fail);
    tcase_add_test(tc, test_spoofed_replies_ignored);
    tcase_add_test(tc, test_preferred_fails_later);
    tcase_add_test(tc, test_resolv_reloaded);
    tcase_add_test(tc, test_malformed_queries);
    tcase_add_test(tc, test_tcp_failover);
    tcase_add_test(tc, test_tcp_all_fail);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("frames");
    tcase_add_test(tf, test_match_guest_query);
    tcase_add_test(tf, test_reply_frames);
    tcase_add_test(tf, test_tcp_rewrite);
    suite_add_tcase(s, tf);
    return s;
}

WB_TEST_MAIN(dns_suite)
