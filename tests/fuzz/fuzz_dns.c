/* libFuzzer target: the user backend's DNS proxy (net/dns.c) between a
 * hostile guest and hostile nameservers.
 *
 * Two fake nameservers listen on loopback UDP ports, and a resolver file
 * names them with a closed port between them (a server that answers with
 * ICMP port unreachable), as tests/unit/test_dns.c does. The proxy is the
 * real one, sockets and all. The input is a program:
 *   QUERY   a DNS message from the guest into dns_proxy_query;
 *   FRAME   an Ethernet frame from the guest through dns_match_guest_query
 *           (the harness may fix its IP/UDP checksums and addresses so the
 *           parser gets past them), then into the proxy;
 *   SERVE   one fake server reads what the proxy sent it and answers with
 *           fuzz bytes (optionally carrying the query's id, question and
 *           QR bit, so replies reach the matching code), then the proxy
 *           polls;
 *   POLL    the proxy polls without anything new;
 *   TIMEOUT the per-server timeout for queries sent from now on: zero (the
 *           next poll moves them to the next server) or an hour.
 * Checked on every reply the proxy gives the guest: it answers a query the
 * guest asked and is still waiting for, once; it is a DNS response with the
 * guest's id, and the guest's question when the query had one; every byte
 * is readable; and the frames dns_reply_frames makes of it are valid IPv4
 * fragments (header checksums, offsets, lengths) that reassemble to a UDP
 * datagram with a good checksum carrying exactly the reply. */
/* fuzz-models: net/dns.c */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "net/dns.h"

#define NSERVERS 2
#define MAX_QUERIES 256
#define MAX_OPS 256
#define HOUR_NS 3600000000000ull

static const uint8_t DNS_IP[4] = {10, 0, 2, 3};
static const uint8_t GUEST_IP[4] = {10, 0, 2, 15};
static const uint8_t GUEST_MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct {
    int fd;
    struct sockaddr_in from; /* where the last query came from */
    bool have_from;
    uint8_t last[512];       /* the last query it received */
    size_t last_len;
} srv[NSERVERS];
static char resolv_path[64];

/* What the harness expects: one entry per query the proxy accepted. */
static struct {
    bool waiting;
    uint16_t id;
    uint8_t question[300];
    size_t qlen; /* 0: no well-formed single question */
} qs[MAX_QUERIES];
static int nqs;
static int mtu;

/* ---- the reference: the question section of a one-question query, as
 * net/dns.h promises to keep it (no compression, names up to 255 bytes) */
FZ_HARNESS static size_t question_len(const uint8_t *m, size_t len)
{
    if (len < 12 || m[4] != 0 || m[5] != 1)
        return 0;
    size_t p = 12, name = 0;
    for (;;) {
        if (p >= len)
            return 0;
        uint8_t l = m[p];
        if (l == 0) {
            p++;
            break;
        }
        if (l & 0xC0)
            return 0;
        name += (size_t)l + 1;
        if (name > 255)
            return 0;
        p += (size_t)l + 1;
    }
    p += 4;
    return p <= len ? p - 12 : 0;
}

static uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ---- the frames of a reply, reassembled */
static uint8_t dgram[70000];
static bool covered[70000];
static size_t dgram_len; /* from the last fragment, 0 until seen */
static uint16_t frag_id;
static int nfrags;

FZ_HARNESS static void emit(void *opaque, const uint8_t *f, size_t len)
{
    (void)opaque;
    FUZZ_CHECK(len >= 14 + 20 && len <= 14 + (size_t)mtu, "reply frame of %zu bytes, MTU %d",
               len, mtu);
    FUZZ_CHECK(!memcmp(f, GUEST_MAC, 6) && ld16(f + 12) == 0x0800, "reply frame header");
    const uint8_t *ip = f + 14;
    FUZZ_CHECK(ip[0] == 0x45 && ip[9] == 17, "reply IP version/IHL/protocol");
    FUZZ_CHECK(net_csum_fold(net_csum_add(0, ip, 20)) == 0xFFFF, "reply IP header checksum");
    FUZZ_CHECK(!memcmp(ip + 12, DNS_IP, 4) && !memcmp(ip + 16, GUEST_IP, 4), "reply addresses");
    size_t tot = ld16(ip + 2);
    FUZZ_CHECK(tot == len - 14 && tot > 20, "IP total length %zu in a %zu-byte frame", tot, len);
    if (nfrags++ == 0)
        frag_id = ld16(ip + 4);
    FUZZ_CHECK(ld16(ip + 4) == frag_id, "fragments with different ids");
    uint16_t fo = ld16(ip + 6);
    size_t off = (size_t)(fo & 0x1FFF) * 8, n = tot - 20;
    bool more = fo & 0x2000;
    FUZZ_CHECK(!(fo & 0x4000), "DF set on a fragment");
    FUZZ_CHECK(off + n <= sizeof dgram, "fragment beyond 64 KiB");
    FUZZ_CHECK(!more || !(n % 8), "a non-last fragment of %zu bytes", n);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(!covered[off + i], "overlapping fragments");
        covered[off + i] = true;
    }
    memcpy(dgram + off, ip + 20, n);
    if (!more) {
        FUZZ_CHECK(!dgram_len, "two last fragments");
        dgram_len = off + n;
    }
}

FZ_HARNESS static void check_reply_frames(const uint8_t *msg, size_t len, uint16_t port)
{
    DnsGuestQuery q;
    memcpy(q.mac, GUEST_MAC, 6);
    memcpy(q.ip, GUEST_IP, 4);
    q.port = port;
    q.msg = NULL;
    q.len = 0;
    dgram_len = 0;
    nfrags = 0;
    memset(covered, 0, sizeof covered);
    int n = dns_reply_frames(&q, DNS_IP, 0x1234, msg, len, mtu, emit, NULL);
    if (8 + len > 65535 - 20) {
        FUZZ_CHECK(n == 0, "a %zu-byte reply does not fit a datagram, yet %d frames", len, n);
        return;
    }
    FUZZ_CHECK(n == nfrags && n > 0, "dns_reply_frames said %d, emitted %d", n, nfrags);
    FUZZ_CHECK(dgram_len == 8 + len, "datagram of %zu bytes for a %zu-byte reply", dgram_len, len);
    for (size_t i = 0; i < dgram_len; i++)
        FUZZ_CHECK(covered[i], "hole at %zu in the reassembled datagram", i);
    FUZZ_CHECK(ld16(dgram) == 53 && ld16(dgram + 2) == port && ld16(dgram + 4) == dgram_len,
               "UDP header");
    uint8_t pseudo[12];
    memcpy(pseudo, DNS_IP, 4);
    memcpy(pseudo + 4, GUEST_IP, 4);
    pseudo[8] = 0;
    pseudo[9] = 17;
    st16(pseudo + 10, (uint16_t)dgram_len);
    uint32_t sum = net_csum_add(net_csum_add(0, pseudo, 12), dgram, dgram_len);
    FUZZ_CHECK(net_csum_fold(sum) == 0xFFFF, "UDP checksum");
    FUZZ_CHECK(!memcmp(dgram + 8, msg, len), "the datagram does not carry the reply");
}

/* ---- the proxy's answers */
FZ_HARNESS static void on_reply(void *opaque, const void *ctx, const uint8_t *msg, size_t len)
{
    (void)opaque;
    int k;
    memcpy(&k, ctx, sizeof k);
    FUZZ_CHECK(k >= 0 && k < nqs, "reply for unknown query %d", k);
    FUZZ_CHECK(qs[k].waiting, "second reply for query %d", k);
    qs[k].waiting = false;
    FUZZ_CHECK(len >= 12, "reply of %zu bytes", len);
    static volatile uint8_t sink __attribute__((unused));
    uint8_t x = 0;
    for (size_t i = 0; i < len; i++)
        x ^= msg[i];
    sink = x;
    FUZZ_CHECK(ld16(msg) == qs[k].id, "reply id %04x for query id %04x", ld16(msg), qs[k].id);
    FUZZ_CHECK(msg[2] & 0x80, "reply without QR");
    if (qs[k].qlen)
        FUZZ_CHECK(msg[4] == 0 && msg[5] == 1 && len >= 12 + qs[k].qlen &&
                       !memcmp(msg + 12, qs[k].question, qs[k].qlen),
                   "reply without the query's question");
    check_reply_frames(msg, len, (uint16_t)(40000 + k));
}

static void query(DnsProxy *p, const uint8_t *msg, size_t len, size_t ctxlen)
{
    if (nqs >= MAX_QUERIES)
        return;
    uint8_t ctx[64];
    memset(ctx, 0xEE, sizeof ctx);
    memcpy(ctx, &nqs, sizeof nqs);
    int k = nqs;
    /* recorded first: with every server failing at once, the answer comes
     * from inside dns_proxy_query */
    qs[k].waiting = true;
    qs[k].id = len >= 2 ? ld16(msg) : 0;
    qs[k].qlen = question_len(msg, len);
    if (qs[k].qlen > sizeof qs[k].question)
        qs[k].qlen = 0;
    memcpy(qs[k].question, msg + 12, qs[k].qlen);
    nqs++;
    bool taken = dns_proxy_query(p, msg, len, ctx, ctxlen);
    bool should = len >= 12 && len <= 65535 && !(msg[2] & 0x80) && ctxlen <= DNS_CTX_MAX;
    if (!should)
        FUZZ_CHECK(!taken, "the proxy took what is not a query (%zu bytes, ctx %zu)", len, ctxlen);
    if (!taken) {
        FUZZ_CHECK(qs[k].waiting, "a dropped query was answered");
        nqs--;
    }
}

static void poll_proxy(DnsProxy *p)
{
    struct pollfd pfd[DNS_MAX_QUERIES];
    uint64_t timeout = HOUR_NS;
    int n = dns_proxy_fill(p, pfd, DNS_MAX_QUERIES, &timeout);
    FUZZ_CHECK(n >= 0 && n <= DNS_MAX_QUERIES, "dns_proxy_fill gave %d", n);
    if (n)
        poll(pfd, (nfds_t)n, 0);
    dns_proxy_dispatch(p, pfd, n);
}

FZ_HARNESS static void drain(int k)
{
    for (;;) {
        uint8_t buf[512];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(srv[k].fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from,
                             &fl);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return;
        srv[k].from = from;
        srv[k].have_from = true;
        srv[k].last_len = (size_t)r;
        memcpy(srv[k].last, buf, (size_t)r);
    }
}

static void serve(DnsProxy *p, FuzzIn *in)
{
    static uint8_t r[8192];
    int k = fz_u8(in) % NSERVERS;
    uint8_t how = fz_u8(in);
    size_t len = fz_u16(in) % sizeof r;
    drain(k);
    size_t at = 0;
    if ((how & 2) && srv[k].last_len >= 12) { /* header and question of the query */
        size_t ql = 12 + question_len(srv[k].last, srv[k].last_len);
        memcpy(r, srv[k].last, ql);
        at = ql;
    }
    if (at < len)
        fz_bytes(in, r + at, len - at);
    else
        len = at;
    if (len >= 2 && (how & 1) && srv[k].last_len >= 2)
        memcpy(r, srv[k].last, 2);
    if (len >= 4 && (how & 4)) {
        r[2] |= 0x80;
        r[3] = (uint8_t)((r[3] & 0xF0) | (how >> 4)); /* RCODE */
    }
    if (srv[k].have_from)
        sendto(srv[k].fd, r, len, 0, (struct sockaddr *)&srv[k].from, sizeof srv[k].from);
    poll_proxy(p);
}

/* A guest frame around fuzz bytes; the harness fixes what the flags say. */
static void frame(DnsProxy *p, FuzzIn *in)
{
    static uint8_t f[2048];
    uint8_t how = fz_u8(in);
    size_t len = fz_u16(in) % sizeof f;
    fz_bytes(in, f, len);
    if (len >= 14 + 20 + 8 && (how & 1)) { /* Ethernet, IPv4, UDP to the DNS address */
        memcpy(f + 6, GUEST_MAC, 6);
        st16(f + 12, 0x0800);
        uint8_t *ip = f + 14;
        ip[0] = 0x45;
        st16(ip + 2, (uint16_t)(len - 14));
        st16(ip + 6, 0);
        ip[9] = 17;
        memcpy(ip + 12, GUEST_IP, 4);
        memcpy(ip + 16, DNS_IP, 4);
        st16(ip + 10, 0);
        st16(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, 20)));
        uint8_t *udp = ip + 20;
        st16(udp + 2, 53);
        st16(udp + 4, (uint16_t)(len - 34));
        st16(udp + 6, 0);
        if (how & 2) { /* a real UDP checksum rather than none */
            uint8_t pseudo[12];
            memcpy(pseudo, ip + 12, 8);
            pseudo[8] = 0;
            pseudo[9] = 17;
            st16(pseudo + 10, (uint16_t)(len - 34));
            uint32_t s = net_csum_add(net_csum_add(0, pseudo, 12), udp, len - 34);
            uint16_t c = (uint16_t)~net_csum_fold(s);
            st16(udp + 6, c ? c : 0xFFFF);
        }
    }
    DnsGuestQuery q;
    if (!dns_match_guest_query(f, len, DNS_IP, &q))
        return;
    FUZZ_CHECK(q.msg >= f + 14 + 20 + 8 && q.msg + q.len <= f + len,
               "the matched query is not inside the frame");
    query(p, q.msg, q.len, 4);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_quiet_logs();
    int ports[NSERVERS + 1];
    for (int i = 0; i <= NSERVERS; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        FUZZ_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0,
                   "cannot bind a loopback UDP socket");
        socklen_t l = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &l);
        ports[i] = ntohs(a.sin_port);
        if (i < NSERVERS)
            srv[i].fd = fd;
        else
            close(fd); /* a closed port: ICMP port unreachable */
    }
    /* The resolver file lives in memory: nothing is left behind, even when
     * the fuzzer stops on a finding. */
    int fd = memfd_create("fuzz_dns-resolv", 0);
    FUZZ_CHECK(fd >= 0, "memfd_create");
    char text[256];
    int len = snprintf(text, sizeof text,
                       "# fuzz_dns\nnameserver 127.0.0.1:%d\nnameserver 127.0.0.1:%d\n"
                       "nameserver 127.0.0.1:%d\n",
                       ports[0], ports[NSERVERS], ports[1]);
    FUZZ_CHECK(write(fd, text, (size_t)len) == len, "writing the resolver file");
    snprintf(resolv_path, sizeof resolv_path, "/proc/self/fd/%d", fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = fz_in(data, size);
    for (int k = 0; k < NSERVERS; k++) {
        drain(k);
        srv[k].have_from = false;
        srv[k].last_len = 0;
    }
    nqs = 0;
    static const int mtus[4] = {1500, 576, 68, 9000};
    mtu = mtus[fz_u8(&in) & 3];
    DnsProxy *p = dns_proxy_new(resolv_path, on_reply, NULL);
    FUZZ_CHECK(p != NULL, "dns_proxy_new failed");
    FUZZ_CHECK(dns_proxy_nservers(p) == 3, "%d nameservers read", dns_proxy_nservers(p));
    dns_proxy_set_timeout(p, HOUR_NS);
    for (int ops = 0; ops < MAX_OPS && !fz_done(&in); ops++) {
        switch (fz_u8(&in) % 5) {
        case 0: {
            static uint8_t msg[4096];
            size_t ctxlen = fz_u8(&in) % 40;
            size_t len = fz_u16(&in) % sizeof msg;
            fz_bytes(&in, msg, len);
            query(p, msg, len, ctxlen < 4 ? 4 : ctxlen);
            break;
        }
        case 1:
            frame(p, &in);
            break;
        case 2:
            serve(p, &in);
            break;
        case 3:
            poll_proxy(p);
            break;
        case 4:
            dns_proxy_set_timeout(p, (fz_u8(&in) & 1) ? 0 : HOUR_NS);
            break;
        }
        int inflight = dns_proxy_inflight(p);
        FUZZ_CHECK(inflight >= 0 && inflight <= DNS_MAX_QUERIES, "%d queries in flight", inflight);
        int waiting = 0;
        for (int k = 0; k < nqs; k++)
            waiting += qs[k].waiting;
        FUZZ_CHECK(waiting == inflight, "the guest waits for %d answers, the proxy has %d",
                   waiting, inflight);
        int pref = dns_proxy_preferred(p);
        FUZZ_CHECK(pref >= 0 && pref < dns_proxy_nservers(p), "preferred server %d", pref);
    }
    if (fz_verbose()) {
        int answered = 0;
        for (int k = 0; k < nqs; k++)
            answered += !qs[k].waiting;
        fprintf(stderr, "fuzz_dns: %d queries taken, %d answered\n", nqs, answered);
    }
    dns_proxy_free(p);
    return 0;
}
