/* -netdev user: the guest's network is libslirp's virtual one (10.0.2.0/24
 * by default), NATed to the host's sockets. libslirp runs on our event loop
 * (a poll hook: its sockets change from one poll to the next) and our timers
 * (the virtual clock). Guest DNS queries to the virtual DNS address are
 * answered by the DNS proxy (net/dns.c) rather than libslirp, which would
 * only ever ask the host's first nameserver. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw/pc.h"
#include "net/dns.h"
#include "net/netopts.h"

#ifndef WIREBOX_HAVE_SLIRP

bool net_user_available(void)
{
    return false;
}

NetClient *net_user_create(Machine *m, const char *name, const UserConf *u, char *err,
                           size_t errlen)
{
    wb_errf(err, errlen, "this wirebox was built without libslirp: no user networking");
    return NULL;
}

#else
#include <slirp/libslirp.h>

#define USER_MTU 1500

typedef struct UserNet UserNet;

typedef struct UserTimer {
    Timer t;
    UserNet *u;
    SlirpTimerId id;
    SlirpTimerCb cb; /* NULL: slirp_handle_timer(id) */
    void *cb_opaque;
    struct UserTimer *next;
} UserTimer;

/* guestfwd=...-tcp:HOST:PORT: one host connection, fed by slirp_add_guestfwd */
typedef struct FwdConn {
    UserNet *u;
    int fd;
    struct in_addr addr;
    int port;
    uint8_t *out; /* guest -> host bytes the host socket has not taken yet */
    size_t nout;
} FwdConn;

struct UserNet {
    Machine *m;
    NetClient *nc;
    Slirp *slirp;
    UserTimer *timers;
    DnsProxy *dns;
    uint8_t dns_ip[4];
    uint16_t ip_id;
    FwdConn *fwds;
    int nfwds;
    char *smb_dir;
    int guest_errors;
    bool hooked;
    /* the current poll */
    struct pollfd *pfd;
    int npfd, max, nslirp, ndns;
    bool can_rx;
};

/* ------------------------------------------------------------------ libslirp callbacks */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    UserNet *u = opaque;
    net_send(u->nc, buf, len);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    UserNet *u = opaque;
    if (u->guest_errors++ < 10)
        wb_log("%s: guest error: %s", u->nc->name, msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    UserNet *u = opaque;
    return (int64_t)clock_ns(u->m);
}

static void timer_fire(void *opaque)
{
    UserTimer *t = opaque;
    if (t->cb)
        t->cb(t->cb_opaque);
    else
        slirp_handle_timer(t->u->slirp, t->id, t->cb_opaque);
}

static UserTimer *timer_alloc(UserNet *u)
{
    UserTimer *t = calloc(1, sizeof *t);
    if (!t) {
        wb_log("out of memory");
        exit(1);
    }
    t->u = u;
    timer_init(&t->t, timer_fire, t);
    t->next = u->timers;
    u->timers = t;
    return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    UserTimer *t = timer_alloc(opaque);
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    UserTimer *t = timer_alloc(opaque);
    t->id = id;
    t->cb_opaque = cb_opaque;
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    UserNet *u = opaque;
    UserTimer *t = timer;
    timer_del(u->m, &t->t);
    for (UserTimer **pp = &u->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    free(t);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    UserNet *u = opaque;
    UserTimer *t = timer;
    timer_mod(u->m, &t->t, expire_ms < 0 ? 0 : (uint64_t)expire_ms * 1000000ull);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
    /* fds are collected afresh before every poll (slirp_pollfds_fill) */
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
    UserNet *u = opaque;
    loop_kick(u->m);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ------------------------------------------------------------------ the poll hook */

static int cb_add_poll(int fd, int events, void *opaque)
{
    UserNet *u = opaque;
    short ev = 0;
    /* While the guest side cannot take frames, host sockets are not read:
     * their data waits in the host kernel, nothing is dropped. */
    if ((events & SLIRP_POLL_IN) && u->can_rx)
        ev |= POLLIN;
    if ((events & SLIRP_POLL_PRI) && u->can_rx)
        ev |= POLLPRI;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (!ev || u->npfd >= u->max)
        return -1;
    u->pfd[u->npfd] = (struct pollfd){.fd = fd, .events = ev};
    return u->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
    UserNet *u = opaque;
    if (idx < 0 || idx >= u->nslirp)
        return 0;
    short r = u->pfd[idx].revents;
    int ev = 0;
    if (r & POLLIN)
        ev |= SLIRP_POLL_IN;
    if (r & POLLOUT)
        ev |= SLIRP_POLL_OUT;
    if (r & POLLPRI)
        ev |= SLIRP_POLL_PRI;
    if (r & POLLERR)
        ev |= SLIRP_POLL_ERR;
    if (r & POLLHUP)
        ev |= SLIRP_POLL_HUP;
    return ev;
}

static int user_fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    UserNet *u = opaque;
    u->pfd = pfd;
    u->npfd = 0;
    u->max = max;
    u->can_rx = net_peer_can_receive(u->nc);
    uint64_t ms = *timeout_ns / 1000000ull;
    uint32_t tmo = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    slirp_pollfds_fill(u->slirp, &tmo, cb_add_poll, u);
    if ((uint64_t)tmo * 1000000ull < *timeout_ns)
        *timeout_ns = (uint64_t)tmo * 1000000ull;
    u->nslirp = u->npfd;
    u->ndns = 0;
    if (u->dns) {
        u->ndns = dns_proxy_fill(u->dns, pfd + u->npfd, max - u->npfd, timeout_ns);
        u->npfd += u->ndns;
    }
    for (int i = 0; i < u->nfwds && u->npfd < max; i++) {
        FwdConn *f = &u->fwds[i];
        short ev = 0;
        if (f->fd < 0)
            continue;
        if (slirp_socket_can_recv(u->slirp, f->addr, f->port) > 0)
            ev |= POLLIN;
        if (f->nout)
            ev |= POLLOUT;
        u->pfd[u->npfd++] = (struct pollfd){.fd = f->fd, .events = ev};
    }
    return u->npfd;
}

static void fwd_close(FwdConn *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->out);
    f->out = NULL;
    f->nout = 0;
}

static void fwd_flush_out(FwdConn *f)
{
    while (f->nout) {
        ssize_t w = send(f->fd, f->out, f->nout, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                wb_log("%s: guestfwd: host connection lost: %s", f->u->nc->name,
                       strerror(errno));
                fwd_close(f);
            }
            return;
        }
        memmove(f->out, f->out + w, f->nout - (size_t)w);
        f->nout -= (size_t)w;
    }
}

static void fwd_dispatch(UserNet *u, FwdConn *f, short revents)
{
    if (revents & POLLOUT)
        fwd_flush_out(f);
    if (f->fd < 0 || !(revents & (POLLIN | POLLHUP | POLLERR)))
        return;
    uint8_t buf[16384];
    size_t room = slirp_socket_can_recv(u->slirp, f->addr, f->port);
    if (room == 0)
        return;
    ssize_t n = recv(f->fd, buf, room < sizeof buf ? room : sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
        slirp_socket_recv(u->slirp, f->addr, f->port, buf, (int)n);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        wb_log("%s: guestfwd: the host closed the connection", u->nc->name);
        fwd_close(f);
    }
}

static void user_dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
    UserNet *u = opaque;
    u->pfd = pfd;
    slirp_pollfds_poll(u->slirp, error, cb_get_revents, u);
    if (u->dns)
        dns_proxy_dispatch(u->dns, pfd + u->nslirp, error ? 0 : u->ndns);
    int k = u->nslirp + u->ndns;
    for (int i = 0; i < u->nfwds && k < n; i++) {
        FwdConn *f = &u->fwds[i];
        if (f->fd < 0 || pfd[k].fd != f->fd)
            continue;
        if (!error)
            fwd_dispatch(u, f, pfd[k].revents);
        k++;
    }
}

/* ------------------------------------------------------------------ guest frames */

static void dns_emit(void *opaque, const uint8_t *frame, size_t len)
{
    UserNet *u = opaque;
    net_send(u->nc, frame, len);
}

static void dns_reply_cb(void *opaque, const void *ctx, const uint8_t *msg, size_t len)
{
    UserNet *u = opaque;
    dns_reply_frames(ctx, u->dns_ip, u->ip_id++, msg, len, USER_MTU, dns_emit, u);
}

static ssize_t user_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    UserNet *u = nc->opaque;
    DnsGuestQuery q;
    if (len > 65536)
        return (ssize_t)len;
    if (u->dns && dns_match_guest_query(buf, len, u->dns_ip, &q)) {
        /* the context the reply needs: everything but msg */
        DnsGuestQuery ctx = q;
        ctx.msg = NULL;
        ctx.len = 0;
        dns_proxy_query(u->dns, q.msg, q.len, &ctx, sizeof ctx);
        return (ssize_t)len;
    }
    slirp_input(u->slirp, buf, (int)len);
    return (ssize_t)len;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void user_cleanup(NetClient *nc)
{
    UserNet *u = nc->opaque;
    if (!u)
        return;
    if (u->hooked)
        loop_remove_poll_hook(u->m, u);
    if (u->slirp)
        slirp_cleanup(u->slirp);
    while (u->timers) {
        UserTimer *t = u->timers;
        u->timers = t->next;
        timer_del(u->m, &t->t);
        free(t);
    }
    dns_proxy_free(u->dns);
    for (int i = 0; i < u->nfwds; i++)
        fwd_close(&u->fwds[i]);
    free(u->fwds);
    if (u->smb_dir) {
        nftw(u->smb_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(u->smb_dir);
    }
    free(u);
    nc->opaque = NULL;
}

static const NetClientInfo user_info = {
    .kind = NET_CLIENT_USER,
    .type = "user",
    .receive = user_receive,
    .cleanup = user_cleanup,
};

/* ------------------------------------------------------------------ setup */

static ssize_t fwd_write(const void *buf, size_t len, void *opaque)
{
    FwdConn *f = opaque;
    if (f->fd < 0)
        return (ssize_t)len;
    uint8_t *o = realloc(f->out, f->nout + len);
    if (!o)
        return (ssize_t)len;
    f->out = o;
    memcpy(f->out + f->nout, buf, len);
    f->nout += len;
    fwd_flush_out(f);
    return (ssize_t)len;
}

static int connect_host(const char *host, int port, char *err, size_t errlen)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc) {
        wb_errf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        e = errno;
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        wb_errf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(e));
    return fd;
}

static int setup_smb(UserNet *u, const UserConf *c, char *err, size_t errlen)
{
    char tmpl[] = "/tmp/wirebox-smb.XXXXXX";
    if (!mkdtemp(tmpl)) {
        wb_errf(err, errlen, "smb=: cannot make a directory for smbd: %s", strerror(errno));
        return -1;
    }
    u->smb_dir = strdup(tmpl);
    char conf[sizeof tmpl + 16];
    snprintf(conf, sizeof conf, "%s/smb.conf", tmpl);
    FILE *f = fopen(conf, "w");
    if (!f) {
        wb_errf(err, errlen, "smb=: cannot write %s: %s", conf, strerror(errno));
        return -1;
    }
    struct passwd *pw = getpwuid(geteuid());
    const char *d = tmpl;
    fprintf(f,
            "# written by wirebox for -netdev user,smb=\n"
            "[global]\n"
            "  server role = standalone server\n"
            "  security = user\n"
            "  map to guest = Bad User\n"
            "  interfaces = 127.0.0.1\n"
            "  bind interfaces only = yes\n"
            "  private dir = %s\n  lock directory = %s\n  state directory = %s\n"
            "  cache directory = %s\n  pid directory = %s\n  ncalrpc dir = %s/ncalrpc\n"
            "  log file = %s/smbd.log\n  smb passwd file = %s/smbpasswd\n"
            "  load printers = no\n  printing = bsd\n  disable spoolss = yes\n"
            "  usershare max shares = 0\n"
            "[qemu]\n"
            "  path = %s\n  read only = no\n  guest ok = yes\n  force user = %s\n",
            d, d, d, d, d, d, d, d, c->smb, pw ? pw->pw_name : "root");
    fclose(f);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -l %s -s %s", c->smbd, d, conf);
    struct in_addr a = c->smbserver;
    if (slirp_add_exec(u->slirp, cmd, &a, 445) < 0) {
        wb_errf(err, errlen, "smb=: cannot forward the SMB server address");
        return -1;
    }
    return 0;
}

bool net_user_available(void)
{
    return true;
}

NetClient *net_user_create(Machine *m, const char *name, const UserConf *c, char *err,
                           size_t errlen)
{
    UserNet *u = calloc(1, sizeof *u);
    if (!u) {
        wb_errf(err, errlen, "out of memory");
        return NULL;
    }
    u->m = m;
    u->nc = net_client_new(m, &user_info, name, u);

    SlirpConfig cfg = {
        .version = 4,
        .restricted = c->restricted,
        .in_enabled = c->ipv4,
        .vnetwork = c->net,
        .vnetmask = c->mask,
        .vhost = c->host,
        .in6_enabled = c->ipv6,
        .vprefix_addr6 = c->prefix6,
        .vprefix_len = (uint8_t)c->prefix6_len,
        .vhost6 = c->host6,
        .vhostname = c->hostname,
        .tftp_server_name = c->tftp_server_name,
        .tftp_path = c->tftp,
        .bootfile = c->bootfile,
        .vdhcp_start = c->dhcp,
        .vnameserver = c->dns,
        .vnameserver6 = c->dns6,
        .vdnssearch = c->dnssearch,
        .vdomainname = c->domainname,
    };
    u->slirp = slirp_new(&cfg, &slirp_callbacks, u);
    if (!u->slirp) {
        wb_errf(err, errlen, "libslirp refused the configuration");
        goto fail;
    }
    for (int i = 0; i < c->nhostfwd; i++) {
        const UserHostFwd *h = &c->hostfwd[i];
        if (slirp_add_hostfwd(u->slirp, h->udp, h->host_addr, h->host_port, h->guest_addr,
                              h->guest_port) < 0) {
            wb_errf(err, errlen, "could not set up host forwarding rule '%s' (%s port %d "
                     "in use?)", h->spec, h->udp ? "UDP" : "TCP", h->host_port);
            goto fail;
        }
    }
    if (c->nguestfwd)
        u->fwds = calloc((size_t)c->nguestfwd, sizeof *u->fwds);
    for (int i = 0; i < c->nguestfwd; i++) {
        const UserGuestFwd *g = &c->guestfwd[i];
        struct in_addr a = g->addr;
        FwdConn *f = &u->fwds[u->nfwds];
        f->fd = -1;
        if (g->cmd) {
            if (slirp_add_exec(u->slirp, g->cmd, &a, g->port) < 0) {
                wb_errf(err, errlen, "conflicting guest forwarding rule '%s'", g->spec);
                goto fail;
            }
            continue;
        }
        char why[256];
        f->u = u;
        f->addr = g->addr;
        f->port = g->port;
        f->fd = connect_host(g->host, g->host_port, why, sizeof why);
        u->nfwds++;
        if (f->fd < 0) {
            wb_errf(err, errlen, "guestfwd rule '%s': %s", g->spec, why);
            goto fail;
        }
        if (slirp_add_guestfwd(u->slirp, fwd_write, f, &a, g->port) < 0) {
            wb_errf(err, errlen, "conflicting guest forwarding rule '%s'", g->spec);
            goto fail;
        }
    }
    if (c->smb && setup_smb(u, c, err, errlen))
        goto fail;
    /* The DNS proxy answers the virtual DNS address over IPv4 (restrict=on
     * cuts the guest off from the outside, DNS included, as libslirp does). */
    if (c->ipv4 && !c->restricted) {
        u->dns = dns_proxy_new(c->dns_resolv, dns_reply_cb, u);
        memcpy(u->dns_ip, &c->dns.s_addr, 4);
    }
    loop_add_poll_hook(m, user_fill, user_dispatch, u);
    u->hooked = true;
    return u->nc;
fail:
    net_client_free(u->nc);
    return NULL;
}
#endif
