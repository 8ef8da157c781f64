/* -netdev tap: the guest's frames on a host tap interface (/dev/net/tun),
 * with QEMU's conventions:
 *   ifname=NAME          the interface (default: the kernel picks tapN)
 *   script=FILE          run as `FILE IFNAME` once the interface exists
 *                        (default /etc/qemu-ifup; "no": none); a script that
 *                        fails is an error, as in QEMU
 *   downscript=FILE      run as `FILE IFNAME` at exit (default /etc/qemu-ifdown)
 *   fd=N                 a tap device opened by whoever started wirebox
 *   helper=PROG[,br=BR]  get the tap from QEMU's bridge helper (net/bridge.c)
 *   sndbuf=SIZE          the tap's send buffer (TUNSETSNDBUF)
 *   vnet_hdr=off         frames without virtio-net headers (the only kind
 *                        wirebox's NICs make)
 * Creating a tap needs root or CAP_NET_ADMIN (or a persistent interface
 * made for your user with `ip tuntap add NAME mode tap user USER`); the
 * error says which. */
#define _GNU_SOURCE
#include "net/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/backend.h"
#include "net/netio.h"

#define TAP_MAX_FRAME 65536

typedef struct Tap {
    NetClient *nc;
    NetIo io;
    int fd;
    char ifname[IFNAMSIZ];
    char *downscript;
    bool out_blocked;
    bool gone; /* the interface went away (deleted, detached, EOF): not polled */
    unsigned long errors;
    uint8_t buf[TAP_MAX_FRAME];
} Tap;

/* ------------------------------------------------------------------ scripts */

/* Runs `script arg` and waits for it. 0, or 1 with one line in err. */
static int run_script(const char *script, const char *arg, char *err, size_t errlen)
{
    if (access(script, X_OK) != 0)
        return wb_errf(err, errlen, "network script %s: %s", script, strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        return wb_errf(err, errlen, "network script %s: cannot fork: %s", script,
                       strerror(errno));
    if (pid == 0) {
        char *argv[] = {(char *)script, (char *)arg, NULL};
        execv(script, argv);
        fprintf(stderr, "wirebox: network script %s: %s\n", script, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return wb_errf(err, errlen, "network script %s: %s", script, strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return wb_errf(err, errlen, "network script %s %s was killed by signal %d", script, arg,
                       WTERMSIG(status));
    return wb_errf(err, errlen, "network script %s %s failed with status %d", script, arg,
                   WEXITSTATUS(status));
}

/* ------------------------------------------------------------------ the client */

void tap_ifname(int fd, char *buf, size_t len)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (len)
        buf[0] = '\0';
    if (ioctl(fd, TUNGETIFF, &ifr) == 0)
        snprintf(buf, len, "%.*s", IFNAMSIZ, ifr.ifr_name);
}

static ssize_t tap_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    Tap *t = nc->opaque;
    if (t->gone)
        return (ssize_t)len; /* no interface: the frame is lost, as on a cut cable */
    ssize_t w = write(t->fd, buf, len);
    if (w >= 0)
        return (ssize_t)len;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        t->out_blocked = true;
        return 0;
    }
    /* EIO: the interface is down (nobody on the host side): the frame is lost. */
    if (errno != EIO && t->errors++ < 3)
        wb_log("netdev %s: write to %s: %s", nc->name, t->ifname, strerror(errno));
    return (ssize_t)len;
}

static int tap_fill(NetIo *io, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    Tap *t = (Tap *)((char *)io - offsetof(Tap, io));
    if (max < 1 || t->fd < 0 || t->gone)
        return 0;
    short ev = 0;
    if (net_peer_can_receive(t->nc))
        ev |= POLLIN;
    if (t->out_blocked)
        ev |= POLLOUT;
    pfd[0] = (struct pollfd){.fd = t->fd, .events = ev};
    return 1;
}

static void tap_dispatch(NetIo *io, struct pollfd *pfd, int n)
{
    Tap *t = (Tap *)((char *)io - offsetof(Tap, io));
    if (n < 1 || pfd[0].fd != t->fd)
        return;
    if ((pfd[0].revents & POLLOUT) && t->out_blocked) {
        t->out_blocked = false;
        net_flush_queue(t->nc);
    }
    if (!(pfd[0].revents & (POLLIN | POLLERR | POLLHUP)))
        return;
    for (int i = 0; i < 64 && net_peer_can_receive(t->nc); i++) {
        ssize_t r = read(t->fd, t->buf, sizeof t->buf);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (r <= 0) {
            /* The interface was deleted or detached (EBADFD), or the fd ended:
             * every poll from now on would report it at once. */
            wb_log("netdev %s: %s is gone (%s); frames to it are dropped", t->nc->name,
                   t->ifname[0] ? t->ifname : "the tap", r < 0 ? strerror(errno) : "end of file");
            t->gone = true;
            return;
        }
        net_send(t->nc, t->buf, (size_t)r);
    }
}

static void tap_cleanup(NetClient *nc)
{
    Tap *t = nc->opaque;
    if (!t)
        return;
    if (t->io.m)
        netio_remove(&t->io);
    if (t->downscript && t->ifname[0]) {
        char err[512];
        if (run_script(t->downscript, t->ifname, err, sizeof err))
            wb_log("netdev %s: %s", nc->name, err);
    }
    if (t->fd >= 0)
        close(t->fd);
    free(t->downscript);
    free(t);
    nc->opaque = NULL;
}

static const NetClientInfo tap_info = {
    .kind = NET_CLIENT_BACKEND,
    .type = "tap",
    .receive = tap_receive,
    .cleanup = tap_cleanup,
};

NetClient *tap_client_new(Machine *m, const char *name, int fd, const char *downscript,
                          const char *info, char *err, size_t errlen)
{
    Tap *t = wb_calloc(1, sizeof *t);
    t->fd = fd;
    tap_ifname(fd, t->ifname, sizeof t->ifname);
    t->downscript = downscript ? wb_strdup(downscript) : NULL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        wb_errf(err, errlen, "tap file descriptor %d: %s", fd, strerror(errno));
        close(fd);
        free(t->downscript);
        free(t);
        return NULL;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    t->nc = net_client_new(m, &tap_info, name, t);
    net_client_set_info(t->nc, "%s", info);
    t->io.fill = tap_fill;
    t->io.dispatch = tap_dispatch;
    netio_add(m, &t->io);
    return t->nc;
}

/* Opens /dev/net/tun as the tap interface ifname ("" = tapN). */
static int tap_open(const char *ifname, char *out, size_t outlen, char *err, size_t errlen)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO)
            wb_errf(err, errlen, "/dev/net/tun is missing: the tun driver is not loaded "
                    "(modprobe tun)");
        else if (e == EACCES || e == EPERM)
            wb_errf(err, errlen, "cannot open /dev/net/tun: %s (a tap interface needs root or "
                    "CAP_NET_ADMIN; -netdev bridge uses qemu-bridge-helper instead)",
                    strerror(e));
        else
            wb_errf(err, errlen, "cannot open /dev/net/tun: %s", strerror(e));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", *ifname ? ifname : "tap%d");
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        const char *n = *ifname ? ifname : "tapN";
        if (e == EPERM || e == EACCES)
            wb_errf(err, errlen, "cannot create tap interface %s: %s (needs root or "
                    "CAP_NET_ADMIN, or a tap made for your user beforehand: ip tuntap add %s "
                    "mode tap user $USER)", n, strerror(e), *ifname ? ifname : "tap0");
        else if (e == EBUSY)
            wb_errf(err, errlen, "tap interface %s is in use by another program", n);
        else if (e == EINVAL)
            wb_errf(err, errlen, "cannot create tap interface %s: %s (is %s an interface of "
                    "another kind?)", n, strerror(e), n);
        else
            wb_errf(err, errlen, "cannot create tap interface %s: %s", n, strerror(e));
        close(fd);
        return -1;
    }
    snprintf(out, outlen, "%.*s", IFNAMSIZ, ifr.ifr_name);
    return fd;
}

/* ------------------------------------------------------------------ options */

typedef struct TapConf {
    int fd; /* fd=, or -1 */
    char ifname[IFNAMSIZ];
    const char *script, *downscript; /* NULL: none */
    const char *helper, *br;         /* helper=: the tap comes from the bridge helper */
    uint64_t sndbuf;
    bool has_sndbuf;
} TapConf;

static const NetBackendOption tap_options[] = {
    {"ifname", "the tap interface's name (default: tapN, picked by the kernel)"},
    {"script", "FILE run with the interface's name when it exists (/etc/qemu-ifup; no: none)"},
    {"downscript", "FILE run with the interface's name at exit (/etc/qemu-ifdown; no: none)"},
    {"fd", "N: an open tap device"},
    {"helper", "PROG: get the tap from a bridge helper (see -netdev bridge)"},
    {"br", "BRIDGE: the bridge the helper plugs the tap into (br0)"},
    {"sndbuf", "SIZE: the tap's send buffer"},
    {"vnet_hdr", "off (on is not supported by wirebox yet)"},
    {"vhost", "off (on is not supported by wirebox yet)"},
    {"queues", "1 (more are not supported by wirebox yet)"},
    {NULL},
};

static const char *script_path(const char *v, const char *def)
{
    if (!v)
        return def;
    if (!*v || !strcmp(v, "no"))
        return NULL;
    return v;
}

static int tap_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    const char *v;
    bool b;
    if ((v = opts_get(o, "vnet_hdr")) && (opt_parse_bool(v, &b) || b))
        return wb_errf(err, errlen, "%s: vnet_hdr=%s: %s", origin, v,
                       opt_parse_bool(v, &b) ? "expected on or off"
                                             : "on is not supported by wirebox yet (use off)");
    if ((v = opts_get(o, "vhost")) && (opt_parse_bool(v, &b) || b))
        return wb_errf(err, errlen, "%s: vhost=%s: vhost-net is not supported by wirebox yet",
                       origin, v);
    const char *unsupported[] = {"fds", "vhostfd", "vhostfds", "vhostforce", "poll-us", NULL};
    for (int i = 0; unsupported[i]; i++)
        if (opts_get(o, unsupported[i]))
            return wb_errf(err, errlen, "%s: %s= is not supported by wirebox yet", origin,
                           unsupported[i]);
    uint64_t q;
    if ((v = opts_get(o, "queues")) && (opt_parse_uint(v, 1024, &q) || q != 1))
        return wb_errf(err, errlen, "%s: queues=%s: only one queue is supported by wirebox yet",
                       origin, v);
    const char *fd = opts_get(o, "fd"), *ifname = opts_get(o, "ifname");
    const char *script = opts_get(o, "script"), *down = opts_get(o, "downscript");
    const char *helper = opts_get(o, "helper"), *br = opts_get(o, "br");
    const char *sndbuf = opts_get(o, "sndbuf");
    if (fd && (ifname || script || down || helper || br))
        return wb_errf(err, errlen, "%s: fd= excludes ifname=, script=, downscript=, helper= "
                       "and br=", origin);
    if (helper && (ifname || script || down))
        return wb_errf(err, errlen, "%s: helper= excludes ifname=, script= and downscript= "
                       "(the helper makes the interface)", origin);
    if (br && !helper)
        return wb_errf(err, errlen, "%s: br= goes with helper= (or use -netdev bridge,br=%s)",
                       origin, br);
    if (ifname && (strlen(ifname) >= IFNAMSIZ || !*ifname || strchr(ifname, '/') ||
                   strchr(ifname, ' ')))
        return wb_errf(err, errlen, "%s: ifname=%s: not a valid interface name (at most %d "
                       "characters, no '/' or spaces)", origin, ifname, IFNAMSIZ - 1);
    TapConf *c = wb_calloc(1, sizeof *c);
    c->fd = -1;
    if (fd) {
        uint64_t n;
        if (opt_parse_uint(fd, 0x7fffffff, &n) || fcntl((int)n, F_GETFD) < 0) {
            free(c);
            return wb_errf(err, errlen, "%s: fd=%s: not an open file descriptor", origin, fd);
        }
        c->fd = (int)n;
    }
    if (ifname)
        strcpy(c->ifname, ifname);
    if (!fd && !helper) {
        c->script = script_path(script, TAP_DEFAULT_SCRIPT);
        c->downscript = script_path(down, TAP_DEFAULT_DOWNSCRIPT);
    }
    c->helper = helper;
    c->br = br ? br : BRIDGE_DEFAULT_BR;
    if (sndbuf) {
        if (opt_parse_size(sndbuf, 0, &c->sndbuf) || c->sndbuf > 0x7fffffff) {
            free(c);
            return wb_errf(err, errlen, "%s: sndbuf=%s: expected a size", origin, sndbuf);
        }
        c->has_sndbuf = true;
    }
    *conf = c;
    return 0;
}

static NetClient *tap_create(Machine *m, const char *name, const void *conf, char *err,
                             size_t errlen)
{
    const TapConf *c = conf;
    char ifname[IFNAMSIZ] = "", info[512];
    int fd;
    if (c->helper) {
        fd = bridge_helper_open(c->helper, c->br, err, errlen);
        if (fd < 0)
            return NULL;
        snprintf(info, sizeof info, "helper=%s,br=%s", c->helper, c->br);
    } else if (c->fd >= 0) {
        fd = c->fd;
        snprintf(info, sizeof info, "fd=%d", fd);
    } else {
        fd = tap_open(c->ifname, ifname, sizeof ifname, err, errlen);
        if (fd < 0)
            return NULL;
        if (c->script && run_script(c->script, ifname, err, errlen)) {
            close(fd);
            return NULL;
        }
        snprintf(info, sizeof info, "ifname=%s,script=%s,downscript=%s", ifname,
                 c->script ? c->script : "no", c->downscript ? c->downscript : "no");
    }
    if (c->has_sndbuf) {
        int sz = (int)c->sndbuf;
        if (ioctl(fd, TUNSETSNDBUF, &sz) < 0)
            wb_log("netdev %s: sndbuf=%llu: %s", name, (unsigned long long)c->sndbuf,
                   strerror(errno));
    }
    return tap_client_new(m, name, fd, c->helper || c->fd >= 0 ? NULL : c->downscript, info, err,
                          errlen);
}

const NetBackend net_tap_backend = {
    .type = "tap",
    .desc = "a host tap interface (/dev/net/tun), set up by /etc/qemu-ifup or your script",
    .host = true,
    .options = tap_options,
    .parse = tap_parse,
    .free_conf = free,
    .create = tap_create,
};
