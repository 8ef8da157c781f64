/* The DNS proxy of the user backend (see net/dns.h). */
#define _GNU_SOURCE
#include "net/dns.h"
#include "hw/bytes.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>

#include "hw/pc.h"

#define DNS_HDR 12
#define RCODE_SERVFAIL 2
#define RCODE_NOTIMP 4
#define RCODE_REFUSED 5

typedef struct DnsServer {
    struct sockaddr_storage sa;
    socklen_t salen;
    char text[80];
} DnsServer;

/* A guest's TCP connection to the virtual DNS server (through libslirp and
 * host loopback): queries in, answers out, each after its 2-byte length. */
typedef struct DnsConn {
    int fd; /* -1: free */
    unsigned gen;
    uint8_t *in; /* 2 + 65535 bytes while open: a proxy's 16 slots cost nothing unused */
    size_t in_len;
    uint8_t *out;
    size_t out_len;
    bool eof;       /* the guest has sent all it will */
    int pending;    /* its queries in flight */
    uint64_t idle_since;
} DnsConn;

typedef struct DnsQuery {
    bool active;
    /* Over TCP (a guest's TCP query): to the servers over TCP too, each
     * message after its 2-byte length; the answer goes back on the guest's
     * connection conn (of generation conn_gen). */
    bool tcp;
    int conn;
    unsigned conn_gen;
    bool connecting;
    size_t sent;      /* TCP: bytes of [len][msg] written */
    uint8_t *in;      /* TCP: the server's answer so far, with its length */
    size_t in_len;
    uint8_t *msg; /* the guest's query, with our id while in flight */
    size_t len;
    size_t qlen; /* bytes of the question section, 0 if not parsed */
    uint16_t guest_id, wire_id;
    int fd;
    int first;   /* the preferred server when the query started */
    int attempt; /* 0..nservers-1: which server in order */
    int server;
    uint64_t deadline;
    uint8_t *fail; /* the last refusal, sent if every server fails */
    size_t fail_len;
    uint8_t ctx[DNS_CTX_MAX];
} DnsQuery;

struct DnsProxy {
    char *path;
    bool have_st;
    struct stat st;
    DnsServer servers[DNS_MAX_SERVERS];
    int nservers;
    int preferred;
    uint64_t timeout_ns;
    DnsQuery q[DNS_MAX_QUERIES];
    DnsReplyCb cb;
    void *opaque;
    /* DNS over TCP: the listener the guest's connections arrive at, and them */
    int listen_fd;
    DnsConn conns[DNS_MAX_CONNS];
};

/* ------------------------------------------------------------------ resolver file */

static bool parse_server(const char *tok, DnsServer *s)
{
    char host[INET6_ADDRSTRLEN + 32];
    const char *port = "53";
    size_t n = strlen(tok);
    if (n >= sizeof host)
        return false;
    if (tok[0] == '[') {
        const char *close = strchr(tok, ']');
        if (!close || (close[1] && close[1] != ':'))
            return false;
        memcpy(host, tok + 1, (size_t)(close - tok - 1));
        host[close - tok - 1] = '\0';
        if (close[1] == ':')
            port = close + 2;
    } else {
        strcpy(host, tok);
        char *c = strchr(host, ':');
        if (c && !strchr(c + 1, ':') && strchr(host, '.')) { /* IPV4:PORT */
            *c = '\0';
            port = c + 1;
        }
    }
    char *end;
    long pn = strtol(port, &end, 10);
    if (!*port || *end || pn < 1 || pn > 65535)
        return false;
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_DGRAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
        return false;
    memcpy(&s->sa, res->ai_addr, res->ai_addrlen);
    s->salen = res->ai_addrlen;
    freeaddrinfo(res);
    snprintf(s->text, sizeof s->text, "%s", tok);
    return true;
}

static void load_resolv(DnsProxy *p)
{
    p->nservers = 0;
    FILE *f = fopen(p->path, "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f) && p->nservers < DNS_MAX_SERVERS) {
            char *s = line;
            while (isspace((unsigned char)*s))
                s++;
            if (strncmp(s, "nameserver", 10) || !isspace((unsigned char)s[10]))
                continue;
            s += 10;
            while (isspace((unsigned char)*s))
                s++;
            char *e = s;
            while (*e && !isspace((unsigned char)*e) && *e != '#' && *e != ';')
                e++;
            *e = '\0';
            if (*s && parse_server(s, &p->servers[p->nservers]))
                p->nservers++;
        }
        fclose(f);
    }
    if (p->nservers == 0) /* as glibc: no nameserver line means the local one */
        parse_server("127.0.0.1", &p->servers[p->nservers++]);
    p->preferred = 0;
}

/* Reads the file again if it changed since the last look. */
static void check_resolv(DnsProxy *p)
{
    struct stat st;
    bool ok = stat(p->path, &st) == 0;
    if (p->have_st && ok && st.st_ino == p->st.st_ino && st.st_dev == p->st.st_dev &&
        st.st_size == p->st.st_size && st.st_mtim.tv_sec == p->st.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == p->st.st_mtim.tv_nsec)
        return;
    if (!ok && !p->have_st && p->nservers)
        return;
    p->have_st = ok;
    if (ok)
        p->st = st;
    load_resolv(p);
}

DnsProxy *dns_proxy_new(const char *resolv, DnsReplyCb cb, void *opaque)
{
    if (!resolv || !*resolv)
        resolv = getenv(DNS_RESOLV_ENV);
    if (!resolv || !*resolv)
        resolv = DNS_DEFAULT_RESOLV;
    DnsProxy *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->path = strdup(resolv);
    if (!p->path) {
        free(p);
        return NULL;
    }
    p->cb = cb;
    p->opaque = opaque;
    p->timeout_ns = DNS_DEFAULT_TIMEOUT_NS;
    for (int i = 0; i < DNS_MAX_QUERIES; i++)
        p->q[i].fd = -1;
    p->listen_fd = -1;
    for (int i = 0; i < DNS_MAX_CONNS; i++)
        p->conns[i].fd = -1;
    check_resolv(p);
    return p;
}

static void query_end(DnsQuery *q)
{
    if (q->fd >= 0)
        close(q->fd);
    free(q->msg);
    free(q->fail);
    free(q->in);
    memset(q, 0, sizeof *q);
    q->fd = -1;
}

static void conn_close(DnsConn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->out);
    c->out = NULL;
    free(c->in);
    c->in = NULL;
    c->fd = -1;
    c->gen++;
    c->in_len = c->out_len = 0;
    c->eof = false;
    c->pending = 0;
}

void dns_proxy_free(DnsProxy *p)
{
    if (!p)
        return;
    for (int i = 0; i < DNS_MAX_QUERIES; i++)
        if (p->q[i].active)
            query_end(&p->q[i]);
    for (int i = 0; i < DNS_MAX_CONNS; i++)
        conn_close(&p->conns[i]);
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    free(p->path);
    free(p);
}

void dns_proxy_set_timeout(DnsProxy *p, uint64_t ns)
{
    p->timeout_ns = ns;
}

int dns_proxy_nservers(DnsProxy *p)
{
    return p->nservers;
}

int dns_proxy_preferred(DnsProxy *p)
{
    return p->preferred;
}

int dns_proxy_inflight(DnsProxy *p)
{
    int n = 0;
    for (int i = 0; i < DNS_MAX_QUERIES; i++)
        n += p->q[i].active;
    return n;
}

/* ------------------------------------------------------------------ queries */

/* Length of the question section of a one-question message, 0 if malformed. */
static size_t question_len(const uint8_t *m, size_t len)
{
    if (len < DNS_HDR || m[4] != 0 || m[5] != 1)
        return 0;
    size_t p = DNS_HDR, name = 0;
    for (;;) {
        if (p >= len)
            return 0;
        uint8_t l = m[p];
        if (l == 0) {
            p++;
            break;
        }
        if (l & 0xC0)
            return 0; /* no compression in a query's question */
        name += (size_t)l + 1;
        if (name > 255)
            return 0;
        p += (size_t)l + 1;
    }
    p += 4; /* QTYPE, QCLASS */
    return p <= len ? p - DNS_HDR : 0;
}

static uint16_t random_id(void)
{
    uint16_t id;
    if (getrandom(&id, sizeof id, GRND_NONBLOCK) != (ssize_t)sizeof id)
        id = (uint16_t)(host_now_ns() ^ (host_now_ns() >> 17));
    return id;
}

static int order_server(DnsQuery *q, int k)
{
    if (k == 0)
        return q->first;
    return k - 1 < q->first ? k - 1 : k;
}

static void conn_send(DnsConn *c, const uint8_t *msg, size_t len);

static void reply(DnsProxy *p, DnsQuery *q, uint8_t *msg, size_t len)
{
    msg[0] = (uint8_t)(q->guest_id >> 8);
    msg[1] = (uint8_t)q->guest_id;
    if (!q->tcp) {
        p->cb(p->opaque, q->ctx, msg, len);
        return;
    }
    DnsConn *c = &p->conns[q->conn];
    if (c->fd >= 0 && c->gen == q->conn_gen) { /* the guest may have gone meanwhile */
        c->pending--;
        conn_send(c, msg, len);
    }
}

/* Every server failed: the last refusal, or a SERVFAIL of our own. */
static void give_up(DnsProxy *p, DnsQuery *q)
{
    if (q->fail) {
        reply(p, q, q->fail, q->fail_len);
    } else {
        size_t len = DNS_HDR + q->qlen;
        uint8_t *m = q->msg; /* header and question of the query, turned into an answer */
        m[2] = (uint8_t)(0x80 | (m[2] & 0x79)); /* QR, opcode, RD */
        m[3] = 0x80 | RCODE_SERVFAIL;           /* RA */
        m[4] = 0;
        m[5] = q->qlen ? 1 : 0;
        memset(m + 6, 0, 6);
        reply(p, q, m, len);
    }
    query_end(q);
}

/* Sends q to the next server in order; gives up when none is left. */
static void try_next(DnsProxy *p, DnsQuery *q)
{
    while (q->attempt < p->nservers) {
        int s = order_server(q, q->attempt);
        DnsServer *srv = &p->servers[s];
        if (q->fd >= 0)
            close(q->fd);
        if (q->tcp) {
            /* A connection per server tried; the query goes when it is up. */
            free(q->in);
            q->in = NULL;
            q->in_len = q->sent = 0;
            q->fd = socket(srv->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (q->fd >= 0 && (connect(q->fd, (struct sockaddr *)&srv->sa, srv->salen) == 0 ||
                               errno == EINPROGRESS)) {
                q->connecting = true;
                q->server = s;
                q->deadline = host_now_ns() + p->timeout_ns;
                return;
            }
            q->attempt++;
            continue;
        }
        q->fd = socket(srv->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (q->fd >= 0 && connect(q->fd, (struct sockaddr *)&srv->sa, srv->salen) == 0 &&
            send(q->fd, q->msg, q->len, 0) == (ssize_t)q->len) {
            q->server = s;
            q->deadline = host_now_ns() + p->timeout_ns;
            return;
        }
        q->attempt++;
    }
    give_up(p, q);
}

static DnsQuery *query_start(DnsProxy *p, const uint8_t *msg, size_t len, const void *ctx,
                             size_t ctxlen, int conn);

bool dns_proxy_query(DnsProxy *p, const uint8_t *msg, size_t len, const void *ctx, size_t ctxlen)
{
    return query_start(p, msg, len, ctx, ctxlen, -1) != NULL;
}

static DnsQuery *query_start(DnsProxy *p, const uint8_t *msg, size_t len, const void *ctx,
                             size_t ctxlen, int conn)
{
    if (len < DNS_HDR || len > 65535 || (msg[2] & 0x80) || ctxlen > DNS_CTX_MAX)
        return NULL; /* not a query */
    DnsQuery *q = NULL;
    for (int i = 0; i < DNS_MAX_QUERIES && !q; i++)
        if (!p->q[i].active)
            q = &p->q[i];
    if (!q)
        return NULL;
    check_resolv(p);
    q->msg = malloc(len);
    if (!q->msg)
        return NULL;
    memcpy(q->msg, msg, len);
    q->active = true;
    q->len = len;
    q->qlen = question_len(msg, len);
    q->guest_id = (uint16_t)(msg[0] << 8 | msg[1]);
    q->wire_id = random_id();
    q->msg[0] = (uint8_t)(q->wire_id >> 8);
    q->msg[1] = (uint8_t)q->wire_id;
    if (ctxlen)
        memcpy(q->ctx, ctx, ctxlen);
    q->tcp = conn >= 0;
    q->conn = conn;
    if (q->tcp) {
        q->conn_gen = p->conns[conn].gen;
        p->conns[conn].pending++;
    }
    q->first = p->preferred < p->nservers ? p->preferred : 0;
    q->attempt = 0;
    q->fd = -1;
    try_next(p, q);
    return q;
}

static void server_failed(DnsProxy *p, DnsQuery *q)
{
    q->attempt++;
    try_next(p, q);
}

/* Is buf the answer to q? Same id, a response, the same question. */
static bool is_answer(const DnsQuery *q, const uint8_t *buf, size_t len)
{
    if (len < DNS_HDR || buf[0] != q->msg[0] || buf[1] != q->msg[1] || !(buf[2] & 0x80))
        return false;
    if (q->qlen && (len < DNS_HDR + q->qlen || buf[4] != 0 || buf[5] != 1 ||
                    memcmp(buf + DNS_HDR, q->msg + DNS_HDR, q->qlen)))
        return false;
    return true;
}

/* q's server answered buf: a refusal moves on to the next server; anything
 * else goes to the guest. q is over after this. */
static void answered(DnsProxy *p, DnsQuery *q, uint8_t *buf, size_t len)
{
    int rcode = buf[3] & 0x0F;
    if (rcode == RCODE_SERVFAIL || rcode == RCODE_REFUSED || rcode == RCODE_NOTIMP) {
        uint8_t *f = malloc(len);
        if (f) {
            memcpy(f, buf, len);
            free(q->fail);
            q->fail = f;
            q->fail_len = len;
        }
        server_failed(p, q);
        return;
    }
    if (p->preferred != q->server && p->nservers > 1)
        wb_log("user: DNS: using nameserver %s (an earlier one failed)",
               p->servers[q->server].text);
    p->preferred = q->server;
    reply(p, q, buf, len);
    query_end(q);
}

static void on_readable(DnsProxy *p, DnsQuery *q)
{
    static uint8_t buf[65536];
    for (;;) {
        ssize_t n = recv(q->fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            server_failed(p, q); /* ECONNREFUSED: ICMP port unreachable */
            return;
        }
        size_t len = (size_t)n;
        if (len > 65507 || !is_answer(q, buf, len))
            continue;
        answered(p, q, buf, len);
        return;
    }
}

/* TCP to a server: finish connecting, send [len][query], read [len][answer]. */
static void tcp_query_io(DnsProxy *p, DnsQuery *q, short revents)
{
    if (q->connecting) {
        int e = 0;
        socklen_t el = sizeof e;
        if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
            return;
        if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
            server_failed(p, q); /* refused, unreachable */
            return;
        }
        q->connecting = false;
    }
    while (q->sent < 2 + q->len) {
        uint8_t hdr[2] = {(uint8_t)(q->len >> 8), (uint8_t)q->len};
        struct iovec iov[2] = {{hdr + (q->sent < 2 ? q->sent : 2), q->sent < 2 ? 2 - q->sent : 0},
                               {q->msg + (q->sent > 2 ? q->sent - 2 : 0),
                                q->len - (q->sent > 2 ? q->sent - 2 : 0)}};
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t w = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            server_failed(p, q);
            return;
        }
        q->sent += (size_t)w;
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
        return;
    if (!q->in) {
        q->in = malloc(2 + 65535);
        if (!q->in) {
            server_failed(p, q);
            return;
        }
    }
    for (;;) {
        size_t want = q->in_len < 2 ? 2 : 2 + (size_t)(q->in[0] << 8 | q->in[1]);
        if (q->in_len >= 2 && q->in_len == want) {
            if (is_answer(q, q->in + 2, want - 2)) {
                answered(p, q, q->in + 2, want - 2);
                return;
            }
            q->in_len = 0; /* not ours: the next message */
            continue;
        }
        ssize_t n = recv(q->fd, q->in + q->in_len, want - q->in_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0) { /* closed before answering */
            server_failed(p, q);
            return;
        }
        q->in_len += (size_t)n;
    }
}

int dns_proxy_fill(DnsProxy *p, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    int n = 0;
    uint64_t now = host_now_ns();
    for (int i = 0; i < DNS_MAX_QUERIES; i++) {
        DnsQuery *q = &p->q[i];
        if (!q->active || q->fd < 0)
            continue;
        uint64_t left = q->deadline > now ? q->deadline - now : 0;
        if (left < *timeout_ns)
            *timeout_ns = left;
        short ev = POLLIN;
        if (q->tcp && (q->connecting || q->sent < 2 + q->len))
            ev = POLLOUT;
        if (n < max)
            pfd[n++] = (struct pollfd){.fd = q->fd, .events = ev};
    }
    if (p->listen_fd >= 0 && n < max)
        pfd[n++] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
    for (int i = 0; i < DNS_MAX_CONNS && n < max; i++) {
        DnsConn *c = &p->conns[i];
        if (c->fd < 0)
            continue;
        short ev = 0;
        if (!c->eof && c->out_len < 65536 && c->pending < DNS_MAX_QUERIES / 4)
            ev |= POLLIN;
        if (c->out_len)
            ev |= POLLOUT;
        uint64_t idle_end = c->idle_since + DNS_TCP_IDLE_NS;
        if (!c->pending && !c->out_len) {
            uint64_t left = idle_end > now ? idle_end - now : 0;
            if (left < *timeout_ns)
                *timeout_ns = left;
        }
        pfd[n++] = (struct pollfd){.fd = c->fd, .events = ev};
    }
    return n;
}

static void conn_flush(DnsConn *c)
{
    while (c->out_len) {
        ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                conn_close(c);
            return;
        }
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (size_t)w;
    }
    c->idle_since = host_now_ns();
}

static void conn_send(DnsConn *c, const uint8_t *msg, size_t len)
{
    uint8_t *o = realloc(c->out, c->out_len + 2 + len);
    if (!o)
        return;
    c->out = o;
    o[c->out_len] = (uint8_t)(len >> 8);
    o[c->out_len + 1] = (uint8_t)len;
    memcpy(o + c->out_len + 2, msg, len);
    c->out_len += 2 + len;
    conn_flush(c);
}

/* The guest's bytes: each complete [len][query] starts a query. */
static void conn_read(DnsProxy *p, int idx)
{
    DnsConn *c = &p->conns[idx];
    for (;;) {
        size_t want = c->in_len < 2 ? 2 : 2 + (size_t)(c->in[0] << 8 | c->in[1]);
        if (c->in_len >= 2 && c->in_len == want) {
            const uint8_t *m = c->in + 2;
            size_t mlen = want - 2;
            if (!query_start(p, m, mlen, NULL, 0, idx) && mlen >= DNS_HDR &&
                !(m[2] & 0x80)) {
                /* Too many in flight: SERVFAIL at once rather than silence. */
                uint8_t r[DNS_HDR];
                memcpy(r, m, DNS_HDR);
                r[2] = (uint8_t)(0x80 | (m[2] & 0x79));
                r[3] = 0x80 | RCODE_SERVFAIL;
                memset(r + 4, 0, 8);
                conn_send(c, r, sizeof r);
            }
            if (c->fd < 0)
                return;
            c->in_len = 0;
            if (c->pending >= DNS_MAX_QUERIES / 4)
                return; /* the rest waits in the socket */
            continue;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, want - c->in_len, MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                conn_close(c);
            return;
        }
        if (n == 0) {
            c->eof = true;
            return;
        }
        c->in_len += (size_t)n;
        c->idle_since = host_now_ns();
    }
}

void dns_proxy_dispatch(DnsProxy *p, struct pollfd *pfd, int n)
{
    for (int k = 0; k < n; k++) {
        short re = pfd[k].revents;
        if (!re)
            continue;
        if (pfd[k].fd == p->listen_fd) {
            int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            DnsConn *c = NULL;
            for (int i = 0; i < DNS_MAX_CONNS && !c; i++)
                if (p->conns[i].fd < 0)
                    c = &p->conns[i];
            if (!c || !(c->in = malloc(2 + 65535))) {
                close(fd); /* too many at once: the guest retries */
                continue;
            }
            c->fd = fd;
            c->idle_since = host_now_ns();
            continue;
        }
        bool done = false;
        for (int i = 0; i < DNS_MAX_QUERIES && !done; i++) {
            DnsQuery *q = &p->q[i];
            if (!q->active || q->fd != pfd[k].fd)
                continue;
            done = true;
            if (q->tcp)
                tcp_query_io(p, q, re);
            else if (re & (POLLIN | POLLERR | POLLHUP))
                on_readable(p, q);
        }
        for (int i = 0; i < DNS_MAX_CONNS && !done; i++) {
            DnsConn *c = &p->conns[i];
            if (c->fd != pfd[k].fd)
                continue;
            done = true;
            if (re & POLLOUT)
                conn_flush(c);
            if (c->fd >= 0 && (re & (POLLIN | POLLHUP | POLLERR)))
                conn_read(p, i);
        }
    }
    uint64_t now = host_now_ns();
    for (int i = 0; i < DNS_MAX_QUERIES; i++) {
        DnsQuery *q = &p->q[i];
        if (q->active && now >= q->deadline)
            server_failed(p, q);
    }
    /* A connection is over when the guest has said all and has its answers,
     * or has been idle too long. */
    for (int i = 0; i < DNS_MAX_CONNS; i++) {
        DnsConn *c = &p->conns[i];
        if (c->fd < 0 || c->pending || c->out_len)
            continue;
        if (c->eof || now >= c->idle_since + DNS_TCP_IDLE_NS)
            conn_close(c);
    }
}

int dns_proxy_tcp_listen(DnsProxy *p)
{
    if (p->listen_fd < 0) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (fd < 0)
            return -1;
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0) {
            close(fd);
            return -1;
        }
        p->listen_fd = fd;
    }
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    if (getsockname(p->listen_fd, (struct sockaddr *)&a, &al) < 0)
        return -1;
    return ntohs(a.sin_port);
}

/* ------------------------------------------------------------------ frames */

#define ETH_HDR 14
#define IP_HDR 20
#define UDP_HDR 8

bool dns_match_guest_query(const uint8_t *f, size_t len, const uint8_t dns_ip[4],
                           DnsGuestQuery *q)
{
    if (len < ETH_HDR + IP_HDR || ld16be(f + 12) != 0x0800)
        return false;
    const uint8_t *ip = f + ETH_HDR;
    size_t avail = len - ETH_HDR;
    size_t ihl = (size_t)(ip[0] & 0x0F) * 4;
    if ((ip[0] >> 4) != 4 || ihl < IP_HDR || ihl > avail)
        return false;
    size_t total = ld16be(ip + 2);
    if (total < ihl || total > avail)
        return false;
    if ((ld16be(ip + 6) & 0x3FFF) != 0) /* MF or a fragment offset */
        return false;
    if (ip[9] != 17 || memcmp(ip + 16, dns_ip, 4))
        return false;
    if (net_csum_fold(net_csum_add(0, ip, ihl)) != 0xFFFF)
        return false;
    const uint8_t *udp = ip + ihl;
    size_t ulen_avail = total - ihl;
    if (ulen_avail < UDP_HDR || ld16be(udp + 2) != 53)
        return false;
    size_t ulen = ld16be(udp + 4);
    if (ulen < UDP_HDR || ulen > ulen_avail)
        return false;
    if (ld16be(udp + 6)) { /* checksum given: check it */
        uint8_t pseudo[12];
        memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = 17;
        st16be(pseudo + 10, (uint16_t)ulen);
        uint32_t sum = net_csum_add(net_csum_add(0, pseudo, sizeof pseudo), udp, ulen);
        if (net_csum_fold(sum) != 0xFFFF)
            return false;
    }
    memcpy(q->mac, f + 6, 6);
    memcpy(q->ip, ip + 12, 4);
    q->port = ld16be(udp);
    q->msg = udp + UDP_HDR;
    q->len = ulen - UDP_HDR;
    return true;
}

/* RFC 1624: a checksum with the 16-bit word old replaced by new. */
static uint16_t csum_update(uint16_t sum, uint16_t old, uint16_t new)
{
    uint32_t s = (uint16_t)~sum;
    s += (uint16_t)~old;
    s += new;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

bool dns_tcp_matches(const uint8_t *f, size_t len, bool source, const uint8_t ip4[4],
                     uint16_t port)
{
    if (len < ETH_HDR + IP_HDR || ld16be(f + 12) != 0x0800)
        return false;
    const uint8_t *ip = f + ETH_HDR;
    size_t avail = len - ETH_HDR;
    size_t ihl = (size_t)(ip[0] & 0x0F) * 4;
    if ((ip[0] >> 4) != 4 || ihl < IP_HDR || ihl > avail || ip[9] != 6)
        return false;
    size_t total = ld16be(ip + 2);
    if (total < ihl + 20 || total > avail || (ld16be(ip + 6) & 0x1FFF) != 0)
        return false; /* no TCP header here (or a later fragment) */
    return !memcmp(ip + (source ? 12 : 16), ip4, 4) &&
           ld16be(ip + ihl + (source ? 0 : 2)) == port;
}

bool dns_tcp_rewrite(uint8_t *f, size_t len, bool source, const uint8_t from_ip[4],
                     uint16_t from_port, const uint8_t to_ip[4], uint16_t to_port)
{
    if (!dns_tcp_matches(f, len, source, from_ip, from_port))
        return false;
    uint8_t *ip = f + ETH_HDR;
    size_t ihl = (size_t)(ip[0] & 0x0F) * 4;
    uint8_t *addr = ip + (source ? 12 : 16);
    uint8_t *tcp = ip + ihl;
    uint8_t *port = tcp + (source ? 0 : 2);
    uint16_t ipsum = ld16be(ip + 10), tsum = ld16be(tcp + 16);
    for (int i = 0; i < 4; i += 2) {
        uint16_t o = ld16be(addr + i), n = (uint16_t)(to_ip[i] << 8 | to_ip[i + 1]);
        ipsum = csum_update(ipsum, o, n);
        tsum = csum_update(tsum, o, n); /* the pseudo-header has the addresses */
    }
    tsum = csum_update(tsum, from_port, to_port);
    memcpy(addr, to_ip, 4);
    st16be(port, to_port);
    st16be(ip + 10, ipsum);
    st16be(tcp + 16, tsum);
    /* libslirp's MAC for the address (52:55:IP), so the guest sees one host. */
    uint8_t *mac = f + (source ? 6 : 0);
    if (mac[0] == 0x52 && mac[1] == 0x55)
        memcpy(mac + 2, to_ip, 4);
    return true;
}

int dns_reply_frames(const DnsGuestQuery *q, const uint8_t dns_ip[4], uint16_t ip_id,
                     const uint8_t *msg, size_t len, int mtu,
                     void (*emit)(void *opaque, const uint8_t *frame, size_t len), void *opaque)
{
    size_t ulen = UDP_HDR + len;
    if (ulen > 65535 - IP_HDR || mtu < 68)
        return 0;
    /* The whole UDP datagram, checksummed, then cut into IP fragments. */
    uint8_t *dgram = malloc(ulen);
    uint8_t *frame = malloc(ETH_HDR + (size_t)mtu);
    if (!dgram || !frame) {
        free(dgram);
        free(frame);
        return 0;
    }
    st16be(dgram, 53);
    st16be(dgram + 2, q->port);
    st16be(dgram + 4, (uint16_t)ulen);
    st16be(dgram + 6, 0);
    memcpy(dgram + UDP_HDR, msg, len);
    uint8_t pseudo[12];
    memcpy(pseudo, dns_ip, 4);
    memcpy(pseudo + 4, q->ip, 4);
    pseudo[8] = 0;
    pseudo[9] = 17;
    st16be(pseudo + 10, (uint16_t)ulen);
    uint16_t cs = (uint16_t)~net_csum_fold(net_csum_add(net_csum_add(0, pseudo, 12), dgram, ulen));
    st16be(dgram + 6, cs ? cs : 0xFFFF);

    size_t chunk = ((size_t)mtu - IP_HDR) & ~(size_t)7;
    int frames = 0;
    for (size_t off = 0; off < ulen; off += chunk) {
        size_t n = ulen - off < chunk ? ulen - off : chunk;
        bool more = off + n < ulen;
        memcpy(frame, q->mac, 6);
        frame[6] = 0x52; /* libslirp's MAC for its virtual addresses: 52:55:IP */
        frame[7] = 0x55;
        memcpy(frame + 8, dns_ip, 4);
        st16be(frame + 12, 0x0800);
        uint8_t *ip = frame + ETH_HDR;
        ip[0] = 0x45;
        ip[1] = 0;
        st16be(ip + 2, (uint16_t)(IP_HDR + n));
        st16be(ip + 4, ip_id);
        st16be(ip + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
        ip[8] = 64;
        ip[9] = 17;
        st16be(ip + 10, 0);
        memcpy(ip + 12, dns_ip, 4);
        memcpy(ip + 16, q->ip, 4);
        st16be(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, IP_HDR)));
        memcpy(ip + IP_HDR, dgram + off, n);
        emit(opaque, frame, ETH_HDR + IP_HDR + n);
        frames++;
    }
    free(dgram);
    free(frame);
    return frames;
}
