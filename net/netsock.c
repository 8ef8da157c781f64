/* Frames over host sockets: the engine under -netdev socket, stream and
 * dgram (net/netsock.h). */
#define _GNU_SOURCE
#include "net/netsock.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hw/bytes.h"
#include "net/netio.h"

/* ------------------------------------------------------------------ addresses */

static int why_f(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_f(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return 1;
}

static int parse_port(const char *s, bool allow0, int *port)
{
    uint64_t n;
    if (!s || !*s || !isdigit((unsigned char)*s) || opt_parse_uint(s, 65535, &n) ||
        (!allow0 && n == 0))
        return -1;
    *port = (int)n;
    return 0;
}

/* Digits and dots only: meant as an IPv4 address, never a host name. */
static bool looks_ipv4(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '.')
            return false;
    return true;
}

int netaddr_inet(const char *host, const char *port, bool listen, bool allow_port0, NetAddr *a,
                 char *why, size_t whylen)
{
    memset(a, 0, sizeof *a);
    a->type = NETADDR_INET;
    a->fd = -1;
    if (!host)
        host = "";
    if (strlen(host) >= sizeof a->host)
        return why_f(why, whylen, "host name too long");
    strcpy(a->host, host);
    if (!port || !*port)
        return why_f(why, whylen, "no port");
    if (parse_port(port, allow_port0, &a->port))
        return why_f(why, whylen, "port '%s' is not a number from %d to 65535", port,
                     allow_port0 ? 0 : 1);
    if (!*host) {
        if (!listen)
            return why_f(why, whylen, "no host");
        struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
        sin->sin_port = htons((uint16_t)a->port);
        a->salen = sizeof *sin;
        return 0;
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
        sin->sin_family = AF_INET;
        sin->sin_addr = a4;
        sin->sin_port = htons((uint16_t)a->port);
        a->salen = sizeof *sin;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = a6;
        sin6->sin6_port = htons((uint16_t)a->port);
        a->salen = sizeof *sin6;
        return 0;
    }
    if (looks_ipv4(host))
        return why_f(why, whylen, "'%s' is not a valid IPv4 address", host);
    if (strchr(host, ':'))
        return why_f(why, whylen, "'%s' is not a valid IPv6 address", host);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_flags = AI_ADDRCONFIG}, *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc || !res) {
        /* Without AI_ADDRCONFIG: a machine with only loopback still has localhost. */
        hints.ai_flags = 0;
        if (res)
            freeaddrinfo(res);
        res = NULL;
        rc = getaddrinfo(host, NULL, &hints, &res);
    }
    if (rc || !res)
        return why_f(why, whylen, "cannot resolve '%s': %s", host,
                     rc ? gai_strerror(rc) : "no address");
    memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
    a->salen = res->ai_addrlen;
    if (a->sa.ss_family == AF_INET)
        ((struct sockaddr_in *)&a->sa)->sin_port = htons((uint16_t)a->port);
    else
        ((struct sockaddr_in6 *)&a->sa)->sin6_port = htons((uint16_t)a->port);
    freeaddrinfo(res);
    return 0;
}

int netaddr_parse_hostport(const char *s, bool listen, bool allow_port0, NetAddr *a, char *why,
                           size_t whylen)
{
    char host[256];
    const char *port;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return why_f(why, whylen, "expected [IPV6-ADDRESS]:PORT");
        size_t n = (size_t)(close - s - 1);
        if (n >= sizeof host)
            return why_f(why, whylen, "host name too long");
        memcpy(host, s + 1, n);
        host[n] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host, &a6) != 1)
            return why_f(why, whylen, "'%s' is not a valid IPv6 address", host);
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon)
            return why_f(why, whylen, "expected HOST:PORT");
        size_t n = (size_t)(colon - s);
        if (n >= sizeof host)
            return why_f(why, whylen, "host name too long");
        memcpy(host, s, n);
        host[n] = '\0';
        if (strchr(host, ':'))
            return why_f(why, whylen, "an IPv6 address goes in brackets: [ADDRESS]:PORT");
        port = colon + 1;
    }
    return netaddr_inet(host, port, listen, allow_port0, a, why, whylen);
}

int netaddr_check_fd(int fd, int *type, char *why, size_t whylen)
{
    if (fd < 0 || fcntl(fd, F_GETFD) < 0)
        return why_f(why, whylen, "file descriptor %d is not open", fd);
    int t = 0;
    socklen_t tl = sizeof t;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &tl) < 0)
        return why_f(why, whylen, "file descriptor %d is not a socket", fd);
    if (t != SOCK_STREAM && t != SOCK_DGRAM)
        return why_f(why, whylen, "socket %d is neither a stream nor a datagram socket", fd);
    if (*type && t != *type)
        return why_f(why, whylen, "socket %d is a %s socket, not a %s one", fd,
                     t == SOCK_STREAM ? "stream" : "datagram",
                     *type == SOCK_STREAM ? "stream" : "datagram");
    *type = t;
    return 0;
}

static int parse_fd_str(const char *s, int *fd)
{
    uint64_t n;
    if (!s || !isdigit((unsigned char)*s) || opt_parse_uint(s, 0x7fffffff, &n))
        return -1;
    *fd = (int)n;
    return 0;
}

int netaddr_from_opts(Opts *o, const char *prefix, unsigned flags, NetAddr *a, const char *origin,
                      char *err, size_t errlen)
{
    bool listen = flags & NETADDR_ANY_HOST;
    char k[64], why[320];
    memset(a, 0, sizeof *a);
    a->fd = -1;
#define KEY(name) (snprintf(k, sizeof k, "%s.%s", prefix, name), k)
    const char *type = opts_get(o, KEY("type"));
    const char *host = opts_get(o, KEY("host")), *port = opts_get(o, KEY("port"));
    const char *path = opts_get(o, KEY("path")), *str = opts_get(o, KEY("str"));
    const char *abstract = opts_get(o, KEY("abstract")), *tight = opts_get(o, KEY("tight"));
    /* Accepted as QEMU's inet options; wirebox resolves to one address anyway. */
    const char *numeric = opts_get(o, KEY("numeric")), *to = opts_get(o, KEY("to"));
    const char *v4 = opts_get(o, KEY("ipv4")), *v6 = opts_get(o, KEY("ipv6"));
    const char *keepalive = opts_get(o, KEY("keep-alive"));
    bool any = host || port || path || str || abstract || tight || numeric || to || v4 || v6;
    if (!type) {
        if (any)
            return wb_errf(err, errlen, "%s: parameter '%s.type' is missing (inet, unix or fd)",
                           origin, prefix);
        return 0;
    }
    bool b;
    if (!strcmp(type, "inet")) {
        if (path || str || abstract || tight)
            return wb_errf(err, errlen, "%s: %s.type=inet takes %s.host and %s.port", origin,
                           prefix, prefix, prefix);
        if (!host && !listen)
            return wb_errf(err, errlen, "%s: parameter '%s.host' is missing", origin, prefix);
        if (!port && !(flags & NETADDR_NO_PORT))
            return wb_errf(err, errlen, "%s: parameter '%s.port' is missing", origin, prefix);
        if (to)
            return wb_errf(err, errlen, "%s: %s.to= (a port range) is not supported by wirebox "
                           "yet", origin, prefix);
        if ((numeric && opt_parse_bool(numeric, &b)) || (v4 && opt_parse_bool(v4, &b)) ||
            (v6 && opt_parse_bool(v6, &b)) || (keepalive && opt_parse_bool(keepalive, &b)))
            return wb_errf(err, errlen, "%s: %s.numeric/ipv4/ipv6/keep-alive expect on or off",
                           origin, prefix);
        if (netaddr_inet(host ? host : "", port ? port : "0", listen, !port, a, why, sizeof why))
            return wb_errf(err, errlen, "%s: %s.host=%s,%s.port=%s: %s", origin, prefix,
                           host ? host : "", prefix, port ? port : "", why);
        return 0;
    }
    if (!strcmp(type, "unix")) {
        if (host || port || str)
            return wb_errf(err, errlen, "%s: %s.type=unix takes %s.path", origin, prefix, prefix);
        if (!path || !*path)
            return wb_errf(err, errlen, "%s: parameter '%s.path' is missing", origin, prefix);
        a->type = NETADDR_UNIX;
        a->tight = true;
        if (abstract && opt_parse_bool(abstract, &a->abstract))
            return wb_errf(err, errlen, "%s: %s.abstract=%s: expected on or off", origin, prefix,
                           abstract);
        if (tight && opt_parse_bool(tight, &a->tight))
            return wb_errf(err, errlen, "%s: %s.tight=%s: expected on or off", origin, prefix,
                           tight);
        if (strlen(path) + (a->abstract ? 1 : 0) >= sizeof a->path)
            return wb_errf(err, errlen, "%s: %s.path=%s: too long (at most %zu bytes)", origin,
                           prefix, path, sizeof a->path - 1 - (a->abstract ? 1 : 0));
        strcpy(a->path, path);
        return 0;
    }
    if (!strcmp(type, "fd")) {
        if (host || port || path)
            return wb_errf(err, errlen, "%s: %s.type=fd takes %s.str", origin, prefix, prefix);
        if (!str)
            return wb_errf(err, errlen, "%s: parameter '%s.str' is missing", origin, prefix);
        a->type = NETADDR_FD;
        if (parse_fd_str(str, &a->fd))
            return wb_errf(err, errlen, "%s: %s.str=%s: expected a file descriptor number (named "
                           "fds are a monitor feature wirebox does not have)",
                           origin, prefix, str);
        return 0;
    }
    if (!strcmp(type, "vsock"))
        return wb_errf(err, errlen, "%s: %s.type=vsock is not supported by wirebox yet", origin,
                       prefix);
    return wb_errf(err, errlen, "%s: %s.type=%s: expected inet, unix or fd", origin, prefix, type);
#undef KEY
}

static void sa_str(const struct sockaddr *sa, char *buf, size_t len)
{
    char h[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s->sin_addr, h, sizeof h);
        snprintf(buf, len, "%s:%d", h, ntohs(s->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof h);
        snprintf(buf, len, "[%s]:%d", h, ntohs(s->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *s = (const struct sockaddr_un *)sa;
        snprintf(buf, len, "%s", s->sun_path[0] ? s->sun_path : "(unnamed)");
    } else {
        snprintf(buf, len, "?");
    }
}

void netaddr_str(const NetAddr *a, char *buf, size_t len)
{
    char s[300];
    switch (a->type) {
    case NETADDR_INET:
        sa_str((const struct sockaddr *)&a->sa, s, sizeof s);
        snprintf(buf, len, "tcp:%s", s);
        break;
    case NETADDR_UNIX:
        snprintf(buf, len, "unix:%s%s", a->abstract ? "@" : "", a->path);
        break;
    case NETADDR_FD:
        snprintf(buf, len, "fd:%d", a->fd);
        break;
    default:
        snprintf(buf, len, "(none)");
    }
}

/* A unix sockaddr for a; returns its length. */
static socklen_t unix_sa(const NetAddr *a, struct sockaddr_un *sun)
{
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (a->abstract) {
        memcpy(sun->sun_path + 1, a->path, strlen(a->path));
        if (a->tight)
            return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a->path));
        return sizeof *sun;
    }
    strcpy(sun->sun_path, a->path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->path) + 1);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void set_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* not TCP: harmless failure */
}

/* ------------------------------------------------------------------ the client */

#define IN_CAP (2 * (4 + NETSOCK_MAX_FRAME))
#define OUT_HIGH (256 * 1024) /* pending output above which frames wait in the queue */

typedef struct NetSock {
    NetClient *nc;
    Machine *m;
    NetIo io;
    NetSockConf c;
    bool stream;
    int listen_fd; /* server */
    int fd;        /* the connection, or the datagram socket; -1 = none */
    bool connecting;         /* non-blocking connect in progress */
    uint64_t retry_at;       /* host ns of the next connect attempt (client); 0 = none */
    char peer_str[320];      /* who is on the other side, for messages */
    /* stream input: bytes in[in_start..in_end) not yet delivered */
    uint8_t *in;
    size_t in_start, in_end;
    /* The peer closed (or the connection failed) with whole frames still
     * in[]: they are delivered first, then the connection ends with eof_why. */
    const char *eof_why;
    /* stream output: bytes not yet written */
    uint8_t *out;
    size_t out_len, out_cap;
    bool out_blocked; /* frames wait in our queue for room in out */
    unsigned gen;     /* counts connections made and lost: a frame we deliver may
                       * come back to us through a hub and end the connection */
    /* datagrams */
    struct sockaddr_storage dst;
    socklen_t dstlen;
    uint8_t *dgram;
    unsigned long errors; /* send errors logged so far */
    bool unlink_path; /* unix server: remove the socket file at exit */
} NetSock;

static const NetClientInfo netsock_infos[3];

static void ns_log_error(NetSock *s, const char *what, int e)
{
    /* A few, then quiet: a peer that is gone should not flood the terminal. */
    if (s->errors++ < 3)
        wb_log("netdev %s: %s: %s", s->nc->name, what, strerror(e));
}

static void set_info(NetSock *s, const char *state)
{
    net_client_set_info(s->nc, "%s%s", s->c.info_prefix ? s->c.info_prefix : "", state);
}

static void set_listening(NetSock *s)
{
    char a[300], t[320];
    netaddr_str(&s->c.addr, a, sizeof a);
    snprintf(t, sizeof t, "listening on %s", a);
    set_info(s, t);
}

static void set_connecting(NetSock *s)
{
    char a[300], t[320];
    netaddr_str(&s->c.addr, a, sizeof a);
    snprintf(t, sizeof t, "connecting to %s", a);
    set_info(s, t);
}

static void conn_reset(NetSock *s)
{
    s->gen++;
    s->eof_why = NULL;
    s->in_start = s->in_end = 0;
    s->out_len = 0;
}

static void arm_retry(NetSock *s)
{
    if (s->c.mode == NETSOCK_CLIENT && s->c.reconnect_ms)
        s->retry_at = netio_now_ns() + s->c.reconnect_ms * 1000000ull;
}

/* The connection ended (EOF, error, or the peer broke the framing). */
static void conn_lost(NetSock *s, const char *why)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->connecting = false;
    conn_reset(s);
    /* Frames the guest queued for this connection go nowhere. */
    if (s->out_blocked) {
        s->out_blocked = false;
        net_flush_queue(s->nc);
    }
    char addr[300];
    netaddr_str(&s->c.addr, addr, sizeof addr);
    if (s->c.mode == NETSOCK_SERVER) {
        wb_log("netdev %s: %s (%s); waiting for the next connection", s->nc->name, why,
               s->peer_str);
        set_listening(s);
    } else if (s->c.mode == NETSOCK_CLIENT && s->c.reconnect_ms) {
        wb_log("netdev %s: %s (%s); reconnecting every %llu ms", s->nc->name, why, addr,
               (unsigned long long)s->c.reconnect_ms);
        arm_retry(s);
        set_connecting(s);
    } else {
        wb_log("netdev %s: %s (%s)", s->nc->name, why, s->peer_str);
        set_info(s, "disconnected");
    }
}

static void conn_up(NetSock *s, int fd, const char *who)
{
    s->fd = fd;
    s->connecting = false;
    s->retry_at = 0;
    s->errors = 0;
    conn_reset(s);
    set_nonblock(fd);
    set_nodelay(fd);
    snprintf(s->peer_str, sizeof s->peer_str, "%s", who);
    set_info(s, who);
}

/* Starts a connection to addr (non-blocking). 0: connected or in progress;
 * -1 with errno. */
static int start_connect(NetSock *s)
{
    const NetAddr *a = &s->c.addr;
    struct sockaddr_un sun;
    const struct sockaddr *sa;
    socklen_t len;
    int family;
    if (a->type == NETADDR_UNIX) {
        len = unix_sa(a, &sun);
        sa = (const struct sockaddr *)&sun;
        family = AF_UNIX;
    } else {
        sa = (const struct sockaddr *)&a->sa;
        len = a->salen;
        family = a->sa.ss_family;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, sa, len) == 0) {
        char who[320], addr[300];
        netaddr_str(a, addr, sizeof addr);
        snprintf(who, sizeof who, "connected to %s", addr);
        conn_up(s, fd, who);
        wb_log("netdev %s: %s", s->nc->name, who);
        return 0;
    }
    if (errno == EINPROGRESS) {
        s->fd = fd;
        s->connecting = true;
        return 0;
    }
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

static void finish_connect(NetSock *s)
{
    int e = 0;
    socklen_t el = sizeof e;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
        e = errno;
    if (e == EINPROGRESS || e == EALREADY)
        return;
    if (e) {
        close(s->fd);
        s->fd = -1;
        s->connecting = false;
        arm_retry(s);
        return;
    }
    char who[320], addr[300];
    netaddr_str(&s->c.addr, addr, sizeof addr);
    snprintf(who, sizeof who, "connected to %s", addr);
    conn_up(s, s->fd, who);
    wb_log("netdev %s: %s", s->nc->name, who);
}

static void do_accept(NetSock *s)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(s->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    char who[320], a[300];
    if (ss.ss_family == AF_UNIX) {
        netaddr_str(&s->c.addr, a, sizeof a);
        snprintf(who, sizeof who, "connection on %s", a);
    } else {
        sa_str((struct sockaddr *)&ss, a, sizeof a);
        snprintf(who, sizeof who, "connection from %s", a);
    }
    conn_up(s, fd, who);
    wb_log("netdev %s: %s", s->nc->name, who);
}

/* ---- stream output */

static void out_flush(NetSock *s)
{
    while (s->out_len) {
        ssize_t w = send(s->fd, s->out, s->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            conn_lost(s, "connection lost");
            return;
        }
        memmove(s->out, s->out + w, s->out_len - (size_t)w);
        s->out_len -= (size_t)w;
    }
}

static ssize_t stream_receive(NetSock *s, const uint8_t *buf, size_t len)
{
    if (s->fd < 0 || s->connecting || s->eof_why || len > NETSOCK_MAX_FRAME)
        return (ssize_t)len; /* nobody there (or too long for any peer): dropped */
    if (s->out_len >= OUT_HIGH) {
        s->out_blocked = true;
        return 0; /* waits in the queue until the socket takes what we have */
    }
    size_t need = s->out_len + 4 + len;
    if (need > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap : 65536;
        while (cap < need)
            cap *= 2;
        s->out = wb_realloc(s->out, cap);
        s->out_cap = cap;
    }
    st32be(s->out + s->out_len, (uint32_t)len);
    memcpy(s->out + s->out_len + 4, buf, len);
    s->out_len = need;
    out_flush(s);
    return (ssize_t)len;
}

/* ---- stream input: deliver complete frames while the peer takes them.
 * Returns false if the connection was dropped. */
static bool in_deliver(NetSock *s)
{
    while (s->in_end - s->in_start >= 4) {
        uint32_t flen = ld32be(s->in + s->in_start);
        if (flen > NETSOCK_MAX_FRAME) {
            char why[96];
            snprintf(why, sizeof why, "the peer sent a frame length of %u bytes, out of step",
                     flen);
            conn_lost(s, why);
            return false;
        }
        if (s->in_end - s->in_start < 4 + (size_t)flen)
            break;
        if (flen && !net_peer_can_receive(s->nc))
            break;
        size_t at = s->in_start;
        s->in_start += 4 + flen;
        if (flen) {
            unsigned gen = s->gen;
            net_send(s->nc, s->in + at + 4, flen);
            if (gen != s->gen)
                return false; /* the connection ended meanwhile */
        }
    }
    /* What is left (at most part of one frame, or frames the NIC cannot take
     * yet) moves to the front, so that the buffer always has room to read
     * the rest of a frame into. */
    if (s->in_start) {
        memmove(s->in, s->in + s->in_start, s->in_end - s->in_start);
        s->in_end -= s->in_start;
        s->in_start = 0;
    }
    return true;
}

static bool in_frame_ready(const NetSock *s)
{
    if (s->in_end - s->in_start < 4)
        return false;
    uint32_t flen = ld32be(s->in + s->in_start);
    return flen > NETSOCK_MAX_FRAME || s->in_end - s->in_start >= 4 + (size_t)flen;
}

/* The connection is over: once the whole frames read before it ended are
 * delivered. */
static void in_end_conn(NetSock *s, const char *why)
{
    if (in_frame_ready(s))
        s->eof_why = why;
    else
        conn_lost(s, why);
}

static void in_read(NetSock *s)
{
    size_t room = IN_CAP - s->in_end;
    if (!room)
        return;
    ssize_t n = recv(s->fd, s->in + s->in_end, room, MSG_DONTWAIT);
    if (n == 0) {
        in_end_conn(s, "the peer closed the connection");
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            in_end_conn(s, "connection lost");
        return;
    }
    s->in_end += (size_t)n;
    in_deliver(s);
}

/* ---- datagrams */

static ssize_t dgram_receive(NetSock *s, const uint8_t *buf, size_t len)
{
    if (s->fd < 0)
        return (ssize_t)len;
    ssize_t w;
    if (s->dstlen)
        w = sendto(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&s->dst,
                   s->dstlen);
    else
        w = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w >= 0)
        return (ssize_t)len;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        s->out_blocked = true;
        return 0;
    }
    /* No one at the other end yet (unix path missing, port refused...):
     * the frame is lost, as on a wire with no one on it. */
    if (errno != ECONNREFUSED && errno != ENOENT)
        ns_log_error(s, "send", errno);
    return (ssize_t)len;
}

static void dgram_read(NetSock *s)
{
    /* One datagram per frame, while the peer takes them. */
    for (int i = 0; i < 64 && net_peer_can_receive(s->nc); i++) {
        ssize_t n = recv(s->fd, s->dgram, NETSOCK_MAX_FRAME, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNREFUSED)
                ns_log_error(s, "receive", errno);
            return;
        }
        if (n == 0 || n > NETSOCK_MAX_FRAME)
            continue; /* empty, or longer than any frame: not ours */
        net_send(s->nc, s->dgram, (size_t)n);
    }
}

/* ---- the netdev side */

static ssize_t ns_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    NetSock *s = nc->opaque;
    return s->stream ? stream_receive(s, buf, len) : dgram_receive(s, buf, len);
}

static int ns_fill(NetIo *io, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    NetSock *s = (NetSock *)((char *)io - offsetof(NetSock, io));
    int n = 0;
    if (max < 1)
        return 0;
    if (s->stream) {
        if (s->fd < 0 && s->retry_at) {
            uint64_t now = netio_now_ns();
            uint64_t wait = s->retry_at > now ? s->retry_at - now : 0;
            if (wait < *timeout_ns)
                *timeout_ns = wait;
        }
        if (s->fd >= 0) {
            short ev = 0;
            bool can = true;
            if (s->connecting) {
                ev = POLLOUT;
            } else {
                can = net_peer_can_receive(s->nc);
                if (can && in_frame_ready(s))
                    *timeout_ns = 0; /* buffered frames to deliver now */
                else if (can && s->in_end < IN_CAP && !s->eof_why)
                    ev |= POLLIN;
                if (s->out_len && !s->eof_why)
                    ev |= POLLOUT;
            }
            /* Waiting for the NIC with nothing to write, or past the end:
             * not polled at all, as a hang-up would be reported at once and
             * again until the NIC takes frames (it kicks the loop then). */
            bool idle = !ev && (!can || s->eof_why);
            pfd[n++] = (struct pollfd){.fd = idle ? -1 : s->fd, .events = ev};
        } else if (s->listen_fd >= 0) {
            pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        }
    } else if (s->fd >= 0) {
        short ev = 0;
        if (net_peer_can_receive(s->nc))
            ev |= POLLIN;
        if (s->out_blocked)
            ev |= POLLOUT;
        pfd[n++] = (struct pollfd){.fd = s->fd, .events = ev};
    }
    return n;
}

static void ns_dispatch(NetIo *io, struct pollfd *pfd, int n)
{
    NetSock *s = (NetSock *)((char *)io - offsetof(NetSock, io));
    short re = n > 0 ? pfd[0].revents : 0;
    int pfd_fd = n > 0 ? pfd[0].fd : -1;
    if (!s->stream) {
        if (s->fd < 0 || pfd_fd != s->fd)
            return;
        if (re & POLLOUT && s->out_blocked) {
            s->out_blocked = false;
            net_flush_queue(s->nc);
        }
        if (re & (POLLIN | POLLERR))
            dgram_read(s);
        return;
    }
    if (s->fd < 0) {
        if (s->listen_fd >= 0 && pfd_fd == s->listen_fd && (re & POLLIN))
            do_accept(s);
        else if (s->retry_at && netio_now_ns() >= s->retry_at) {
            s->retry_at = 0;
            if (start_connect(s) < 0)
                arm_retry(s);
        }
        return;
    }
    if (s->eof_why) {
        if (in_deliver(s) && !in_frame_ready(s))
            conn_lost(s, s->eof_why);
        return;
    }
    if (pfd_fd != s->fd) {
        /* The connection came up after this poll was filled, or it was not
         * polled (waiting for the NIC): deliver what may be buffered on the
         * next iteration. */
        return;
    }
    if (s->connecting) {
        if (re & (POLLOUT | POLLERR | POLLHUP))
            finish_connect(s);
        return;
    }
    /* A hang-up or error with output pending: the write fails and ends the
     * connection (rather than polling on a socket that can never drain). */
    if (re & (POLLOUT | POLLHUP | POLLERR)) {
        out_flush(s);
        if (s->fd >= 0 && s->out_blocked && s->out_len < OUT_HIGH) {
            s->out_blocked = false;
            net_flush_queue(s->nc);
        }
    }
    if (s->fd < 0)
        return;
    if (!in_deliver(s))
        return;
    if (re & (POLLIN | POLLHUP | POLLERR))
        in_read(s);
}

static void ns_cleanup(NetClient *nc)
{
    NetSock *s = nc->opaque;
    if (!s)
        return;
    if (s->io.m)
        netio_remove(&s->io);
    if (s->fd >= 0)
        close(s->fd);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->unlink_path)
        unlink(s->c.addr.path);
    free(s->in);
    free(s->out);
    free(s->dgram);
    free(s);
    nc->opaque = NULL;
}

static const NetClientInfo netsock_infos[3] = {
    {.kind = NET_CLIENT_BACKEND, .type = "socket", .receive = ns_receive, .cleanup = ns_cleanup},
    {.kind = NET_CLIENT_BACKEND, .type = "stream", .receive = ns_receive, .cleanup = ns_cleanup},
    {.kind = NET_CLIENT_BACKEND, .type = "dgram", .receive = ns_receive, .cleanup = ns_cleanup},
};

bool netsock_connected(NetClient *nc)
{
    NetSock *s = nc->opaque;
    return s && s->fd >= 0 && !s->connecting;
}

/* ---- setup */

static int fail_errno(char *err, size_t errlen, const char *what, const char *addr)
{
    return wb_errf(err, errlen, "%s %s: %s", what, addr, strerror(errno));
}

static int setup_server(NetSock *s, char *err, size_t errlen)
{
    const NetAddr *a = &s->c.addr;
    char addr[300];
    netaddr_str(a, addr, sizeof addr);
    if (a->type == NETADDR_FD) {
        int t = SOCK_STREAM;
        char why[200];
        if (netaddr_check_fd(a->fd, &t, why, sizeof why))
            return wb_errf(err, errlen, "%s", why);
        s->listen_fd = a->fd;
        set_nonblock(s->listen_fd);
        if (listen(s->listen_fd, 1) < 0)
            return fail_errno(err, errlen, "cannot listen on", addr);
        set_listening(s);
        return 0;
    }
    int family = a->type == NETADDR_UNIX ? AF_UNIX : a->sa.ss_family;
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return fail_errno(err, errlen, "cannot make a socket for", addr);
    s->listen_fd = fd;
    if (a->type == NETADDR_UNIX) {
        struct sockaddr_un sun;
        socklen_t len = unix_sa(a, &sun);
        struct stat st;
        /* A socket left behind by an earlier run is replaced; anything else is kept. */
        if (!a->abstract && lstat(a->path, &st) == 0) {
            if (!S_ISSOCK(st.st_mode))
                return wb_errf(err, errlen, "%s exists and is not a socket", a->path);
            unlink(a->path);
        }
        if (bind(fd, (struct sockaddr *)&sun, len) < 0)
            return fail_errno(err, errlen, "cannot listen on", addr);
        s->unlink_path = !a->abstract;
    } else {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&a->sa, a->salen) < 0)
            return fail_errno(err, errlen, "cannot listen on", addr);
    }
    if (listen(fd, 1) < 0)
        return fail_errno(err, errlen, "cannot listen on", addr);
    set_listening(s);
    return 0;
}

/* The first connection, before the guest starts: an error if it fails
 * (unless the client reconnects). */
static int setup_client(NetSock *s, char *err, size_t errlen)
{
    char addr[300];
    netaddr_str(&s->c.addr, addr, sizeof addr);
    set_connecting(s);
    if (start_connect(s) == 0 && s->connecting) {
        struct pollfd p = {.fd = s->fd, .events = POLLOUT};
        int r;
        do
            r = poll(&p, 1, 10000);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            close(s->fd);
            s->fd = -1;
            s->connecting = false;
            errno = ETIMEDOUT;
        } else {
            finish_connect(s);
            if (s->fd < 0)
                errno = ECONNREFUSED;
        }
    }
    if (s->fd >= 0 && !s->connecting)
        return 0;
    int e = errno;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
        s->connecting = false;
    }
    if (s->c.reconnect_ms) {
        wb_log("netdev %s: cannot connect to %s yet (%s); retrying every %llu ms", s->nc->name,
               addr, strerror(e), (unsigned long long)s->c.reconnect_ms);
        arm_retry(s);
        return 0;
    }
    errno = e;
    return fail_errno(err, errlen, "cannot connect to", addr);
}

static int setup_connected(NetSock *s, char *err, size_t errlen)
{
    int t = SOCK_STREAM;
    char why[200], who[32];
    if (netaddr_check_fd(s->c.addr.fd, &t, why, sizeof why))
        return wb_errf(err, errlen, "%s", why);
    snprintf(who, sizeof who, "fd=%d", s->c.addr.fd);
    conn_up(s, s->c.addr.fd, who);
    return 0;
}

/* A datagram address for info network: HOST:PORT, a path or fd=N. */
static void dgram_addr(const NetAddr *a, char *buf, size_t len)
{
    if (a->type == NETADDR_INET)
        sa_str((const struct sockaddr *)&a->sa, buf, len);
    else if (a->type == NETADDR_UNIX)
        snprintf(buf, len, "%s%s", a->abstract ? "@" : "", a->path);
    else if (a->type == NETADDR_FD)
        snprintf(buf, len, "fd=%d", a->fd);
    else
        snprintf(buf, len, "-");
}

static int setup_dgram(NetSock *s, char *err, size_t errlen)
{
    const NetAddr *l = &s->c.local, *r = &s->c.addr;
    char addr[300];
    s->dgram = wb_calloc(1, NETSOCK_MAX_FRAME);
    if (l->type == NETADDR_FD) {
        int t = SOCK_DGRAM;
        char why[200];
        if (netaddr_check_fd(l->fd, &t, why, sizeof why))
            return wb_errf(err, errlen, "%s", why);
        s->fd = l->fd;
        set_nonblock(s->fd);
    } else if (s->c.mcast) {
        /* Everyone on the group binds its address and port; frames loop back
         * to the other members on this host. */
        netaddr_str(r, addr, sizeof addr);
        const struct sockaddr_in *g = (const struct sockaddr_in *)&r->sa;
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return fail_errno(err, errlen, "cannot make a socket for", addr);
        s->fd = fd;
        int one = 1;
        unsigned char loop = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, (const struct sockaddr *)g, sizeof *g) < 0)
            return wb_errf(err, errlen, "cannot bind to the multicast group %s:%d: %s", r->host,
                           r->port, strerror(errno));
        struct ip_mreq mr = {.imr_multiaddr = g->sin_addr};
        mr.imr_interface.s_addr = htonl(INADDR_ANY);
        if (l->type == NETADDR_INET)
            mr.imr_interface = ((const struct sockaddr_in *)&l->sa)->sin_addr;
        if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
            return wb_errf(err, errlen, "cannot join the multicast group %s: %s%s", r->host,
                           strerror(errno),
                           errno == ENODEV ? " (no multicast route: give localaddr=, or "
                                             "'ip route add 224.0.0.0/4 dev lo')"
                                           : "");
        if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) < 0)
            return wb_errf(err, errlen, "cannot loop multicast back: %s", strerror(errno));
        if (l->type == NETADDR_INET) {
            struct in_addr ifa = ((const struct sockaddr_in *)&l->sa)->sin_addr;
            if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) < 0)
                return wb_errf(err, errlen, "cannot send multicast from %s: %s", l->host,
                               strerror(errno));
        }
    } else {
        netaddr_str(l, addr, sizeof addr);
        int family = l->type == NETADDR_UNIX ? AF_UNIX : l->sa.ss_family;
        int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return fail_errno(err, errlen, "cannot make a socket for", addr);
        s->fd = fd;
        if (l->type == NETADDR_UNIX) {
            struct sockaddr_un sun;
            socklen_t len = unix_sa(l, &sun);
            struct stat st;
            if (!l->abstract && lstat(l->path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                    return wb_errf(err, errlen, "%s exists and is not a socket", l->path);
                unlink(l->path);
            }
            if (bind(fd, (struct sockaddr *)&sun, len) < 0)
                return fail_errno(err, errlen, "cannot bind to", l->path);
        } else {
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (bind(fd, (const struct sockaddr *)&l->sa, l->salen) < 0)
                return fail_errno(err, errlen, "cannot bind to", addr + 4 /* no "tcp:" */);
        }
    }
    if (r->type == NETADDR_UNIX) {
        struct sockaddr_un sun;
        s->dstlen = unix_sa(r, &sun);
        memcpy(&s->dst, &sun, sizeof sun);
    } else if (r->type == NETADDR_INET) {
        memcpy(&s->dst, &r->sa, r->salen);
        s->dstlen = r->salen;
    }
    char la[300], ra[300], t[640];
    dgram_addr(l, la, sizeof la);
    dgram_addr(r, ra, sizeof ra);
    if (s->c.mcast)
        snprintf(t, sizeof t, "mcast=%s", ra);
    else if (l->type == NETADDR_FD)
        snprintf(t, sizeof t, "fd=%d", l->fd);
    else
        snprintf(t, sizeof t, "udp=%s/%s", la, ra);
    set_info(s, t);
    return 0;
}

NetClient *netsock_create(Machine *m, const char *type, const char *name, const NetSockConf *c,
                          char *err, size_t errlen)
{
    const NetClientInfo *info = NULL;
    for (int i = 0; i < 3; i++)
        if (!strcmp(netsock_infos[i].type, type))
            info = &netsock_infos[i];
    if (!info) {
        wb_errf(err, errlen, "unknown socket backend type '%s'", type);
        return NULL;
    }
    NetSock *s = wb_calloc(1, sizeof *s);
    s->m = m;
    s->c = *c;
    s->fd = s->listen_fd = -1;
    s->stream = c->mode != NETSOCK_DGRAM;
    if (s->stream)
        s->in = wb_calloc(1, IN_CAP);
    s->nc = net_client_new(m, info, name, s);
    int rc = 0;
    switch (c->mode) {
    case NETSOCK_SERVER:
        rc = setup_server(s, err, errlen);
        break;
    case NETSOCK_CLIENT:
        rc = setup_client(s, err, errlen);
        break;
    case NETSOCK_CONNECTED:
        rc = setup_connected(s, err, errlen);
        break;
    case NETSOCK_DGRAM:
        rc = setup_dgram(s, err, errlen);
        break;
    }
    if (rc) {
        /* An fd given to us stays the caller's when we fail. */
        if (c->mode == NETSOCK_CONNECTED || (c->mode == NETSOCK_SERVER && c->addr.type == NETADDR_FD))
            s->fd = s->listen_fd = -1;
        if (c->mode == NETSOCK_DGRAM && c->local.type == NETADDR_FD)
            s->fd = -1;
        net_client_free(s->nc);
        return NULL;
    }
    s->io.fill = ns_fill;
    s->io.dispatch = ns_dispatch;
    netio_add(m, &s->io);
    return s->nc;
}
