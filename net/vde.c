/* -netdev vde,id=ID[,sock=SOCKET][,port=N][,group=GROUP][,mode=OCTAL]: a
 * port of a VDE switch (Virtual Distributed Ethernet: Debian's vde2
 * package), through Debian's libvdeplug, as QEMU does. A switch joins
 * guests of any emulator on the host, and with vde_plug over ssh, switches
 * on other machines (see the README). Built when libvdeplug's header is
 * found (Debian: libvdeplug-dev); otherwise the backend says so. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/backend.h"
#include "net/netio.h"

typedef struct VdeConf {
    const char *sock, *group;
    int port;
    unsigned mode;
} VdeConf;

static const NetBackendOption vde_options[] = {
    {"sock", "the switch's control socket (a directory, as vde_switch -s makes)"},
    {"port", "N: the switch port to plug into (default: any free one)"},
    {"group", "GROUP: the group owning the port"},
    {"mode", "OCTAL: the port's permissions (0700)"},
    {NULL},
};

static int vde_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    VdeConf *c = wb_calloc(1, sizeof *c);
    const char *v;
    c->sock = opts_get(o, "sock");
    c->group = opts_get(o, "group");
    c->mode = 0700;
    uint64_t n;
    if ((v = opts_get(o, "port"))) {
        if (opt_parse_uint(v, 65535, &n)) {
            free(c);
            return wb_errf(err, errlen, "%s: port=%s: expected a switch port number", origin, v);
        }
        c->port = (int)n;
    }
    if ((v = opts_get(o, "mode"))) {
        char *end;
        unsigned long mode = strtoul(v, &end, 8);
        if (!*v || *end || mode > 0777) {
            free(c);
            return wb_errf(err, errlen, "%s: mode=%s: expected octal permissions (0700)", origin,
                           v);
        }
        c->mode = (unsigned)mode;
    }
    if (c->sock && !*c->sock) {
        free(c);
        return wb_errf(err, errlen, "%s: sock= is empty", origin);
    }
    *conf = c;
    return 0;
}

#ifndef WIREBOX_HAVE_VDE

static const char *vde_missing(void)
{
    return "this wirebox was built without libvdeplug: no VDE (Debian: apt-get install "
           "libvdeplug-dev, then rebuild)";
}

static NetClient *vde_create(Machine *m, const char *name, const void *conf, char *err,
                             size_t errlen)
{
    wb_errf(err, errlen, "%s", vde_missing());
    return NULL;
}

#else
#include <libvdeplug.h>

#define VDE_FRAME_MAX (VDE_ETHBUFSIZE > 65536 ? VDE_ETHBUFSIZE : 65536)

typedef struct Vde {
    NetClient *nc;
    NetIo io;
    VDECONN *conn;
    int fd;
    bool out_blocked;
    unsigned long errors;
    uint8_t buf[VDE_FRAME_MAX];
} Vde;

static const char *vde_missing(void)
{
    return NULL;
}

static ssize_t vde_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    Vde *v = nc->opaque;
    ssize_t w = vde_send(v->conn, buf, len, 0);
    if (w >= 0)
        return (ssize_t)len;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        v->out_blocked = true;
        return 0;
    }
    if (v->errors++ < 3)
        wb_log("netdev %s: vde_send: %s", nc->name, strerror(errno));
    return (ssize_t)len;
}

static int vde_fill(NetIo *io, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    Vde *v = (Vde *)((char *)io - offsetof(Vde, io));
    if (max < 1)
        return 0;
    short ev = 0;
    if (net_peer_can_receive(v->nc))
        ev |= POLLIN;
    if (v->out_blocked)
        ev |= POLLOUT;
    pfd[0] = (struct pollfd){.fd = v->fd, .events = ev};
    return 1;
}

static void vde_dispatch(NetIo *io, struct pollfd *pfd, int n)
{
    Vde *v = (Vde *)((char *)io - offsetof(Vde, io));
    if (n < 1 || pfd[0].fd != v->fd)
        return;
    if ((pfd[0].revents & POLLOUT) && v->out_blocked) {
        v->out_blocked = false;
        net_flush_queue(v->nc);
    }
    if (!(pfd[0].revents & (POLLIN | POLLERR | POLLHUP)))
        return;
    for (int i = 0; i < 64 && net_peer_can_receive(v->nc); i++) {
        ssize_t r = vde_recv(v->conn, v->buf, sizeof v->buf, 0);
        if (r < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && v->errors++ < 3)
                wb_log("netdev %s: vde_recv: %s", v->nc->name, strerror(errno));
            return;
        }
        if (r < 14) /* libvdeplug's keep-alives and anything shorter than a header */
            continue;
        net_send(v->nc, v->buf, (size_t)r);
    }
}

static void vde_cleanup(NetClient *nc)
{
    Vde *v = nc->opaque;
    if (!v)
        return;
    if (v->io.m)
        netio_remove(&v->io);
    if (v->conn)
        vde_close(v->conn);
    free(v);
    nc->opaque = NULL;
}

static const NetClientInfo vde_info = {
    .kind = NET_CLIENT_BACKEND,
    .type = "vde",
    .receive = vde_receive,
    .cleanup = vde_cleanup,
};

static NetClient *vde_create(Machine *m, const char *name, const void *conf, char *err,
                             size_t errlen)
{
    const VdeConf *c = conf;
    struct vde_open_args args = {.port = c->port, .group = (char *)c->group,
                                 .mode = (mode_t)c->mode};
    errno = 0;
    VDECONN *conn = vde_open((char *)c->sock, (char *)"wirebox", &args);
    if (!conn) {
        wb_errf(err, errlen, "cannot connect to the VDE switch %s: %s%s",
                c->sock ? c->sock : "(default)", errno ? strerror(errno) : "refused",
                errno == ENOENT || errno == ECONNREFUSED ? " (is vde_switch running?)" : "");
        return NULL;
    }
    Vde *v = wb_calloc(1, sizeof *v);
    v->conn = conn;
    v->fd = vde_datafd(conn);
    int fl = fcntl(v->fd, F_GETFL);
    if (fl >= 0)
        fcntl(v->fd, F_SETFL, fl | O_NONBLOCK);
    v->nc = net_client_new(m, &vde_info, name, v);
    net_client_set_info(v->nc, "sock=%s,fd=%d", c->sock ? c->sock : "", v->fd);
    v->io.fill = vde_fill;
    v->io.dispatch = vde_dispatch;
    netio_add(m, &v->io);
    return v->nc;
}
#endif

const NetBackend net_vde_backend = {
    .type = "vde",
    .desc = "a port of a VDE switch (vde_switch, libvdeplug)",
    .missing = vde_missing,
    .host = true,
    .options = vde_options,
    .parse = vde_parse,
    .free_conf = free,
    .create = vde_create,
};
