/* -netdev dgram (QEMU 7.2 and later): one frame per datagram, on the
 * engine in net/netsock.c that -netdev socket's mcast= and udp= use too.
 *   remote.type=inet,remote.host=GROUP,remote.port=PORT[,local.type=inet,local.host=ADDR]
 *                      UDP multicast (GROUP in 224.0.0.0/4; local: the interface)
 *   local.type=inet,local.host=H,local.port=P,remote.type=inet,remote.host=H,remote.port=P
 *                      UDP between two peers
 *   local.type=unix,local.path=P,remote.type=unix,remote.path=P
 *                      unix datagram sockets
 *   local.type=fd,local.str=N   an open datagram socket (connected, or
 *                      with remote.* to send to) */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "net/backend.h"
#include "net/netsock.h"

static const NetBackendOption dgram_options[] = {
    {"local.type", "inet, unix or fd: where frames arrive"},
    {"local.host", "inet: the address to bind (multicast: the interface's address)"},
    {"local.port", "inet: the port to bind"},
    {"local.path", "unix: the socket path to bind"},
    {"local.str", "fd: an open datagram socket"},
    {"remote.type", "inet or unix: where frames go"},
    {"remote.host", "inet: the peer's address, or a multicast group"},
    {"remote.port", "inet: the peer's port (the group's port)"},
    {"remote.path", "unix: the peer's socket path"},
    {NULL},
};

static bool is_mcast(const NetAddr *a)
{
    const struct sockaddr_in *s = (const struct sockaddr_in *)&a->sa;
    return a->type == NETADDR_INET && a->sa.ss_family == AF_INET &&
           IN_MULTICAST(ntohl(s->sin_addr.s_addr));
}

static int dgram_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    NetSockConf *c = wb_calloc(1, sizeof *c);
    c->mode = NETSOCK_DGRAM;
    if (netaddr_from_opts(o, "remote", 0, &c->addr, origin, err, errlen))
        goto bad;
    bool mcast = is_mcast(&c->addr);
    /* A multicast member's local address names its interface: no port. */
    if (netaddr_from_opts(o, "local", mcast ? NETADDR_NO_PORT : 0, &c->local, origin, err, errlen))
        goto bad;
    if (c->addr.type == NETADDR_FD) {
        wb_errf(err, errlen, "%s: remote.type=fd: only local.type can be fd", origin);
        goto bad;
    }
    if (mcast) {
        c->mcast = true;
        if (c->local.type == NETADDR_UNIX) {
            wb_errf(err, errlen, "%s: a multicast group's local.type is inet (the interface)",
                    origin);
            goto bad;
        }
        if (c->local.type == NETADDR_FD) {
            wb_errf(err, errlen, "%s: local.type=fd with a multicast group is not supported by "
                    "wirebox yet", origin);
            goto bad;
        }
        if (c->local.type == NETADDR_INET && c->local.sa.ss_family != AF_INET) {
            wb_errf(err, errlen, "%s: local.host=%s: not an IPv4 address", origin, c->local.host);
            goto bad;
        }
        *conf = c;
        return 0;
    }
    if (c->local.type == NETADDR_NONE) {
        wb_errf(err, errlen, "%s: parameter 'local.type' is missing (unless remote.host is a "
                "multicast group)", origin);
        goto bad;
    }
    if (c->local.type == NETADDR_FD) {
        int type = SOCK_DGRAM;
        char why[200];
        if (netaddr_check_fd(c->local.fd, &type, why, sizeof why)) {
            wb_errf(err, errlen, "%s: local.str=%d: %s", origin, c->local.fd, why);
            goto bad;
        }
        if (c->addr.type != NETADDR_NONE) {
            wb_errf(err, errlen, "%s: local.type=fd takes no remote.* (the socket is connected)",
                    origin);
            goto bad;
        }
        *conf = c;
        return 0;
    }
    if (c->addr.type == NETADDR_NONE) {
        wb_errf(err, errlen, "%s: parameter 'remote.type' is missing (local.type=%s needs a "
                "remote)", origin, c->local.type == NETADDR_UNIX ? "unix" : "inet");
        goto bad;
    }
    if (c->addr.type != c->local.type) {
        wb_errf(err, errlen, "%s: remote.type and local.type must be the same", origin);
        goto bad;
    }
    if (c->addr.type == NETADDR_INET && c->addr.sa.ss_family != c->local.sa.ss_family) {
        wb_errf(err, errlen, "%s: remote.host and local.host must both be IPv4 or both IPv6",
                origin);
        goto bad;
    }
    *conf = c;
    return 0;
bad:
    free(c);
    return 1;
}

static NetClient *dgram_create(Machine *m, const char *name, const void *conf, char *err,
                               size_t errlen)
{
    return netsock_create(m, "dgram", name, conf, err, errlen);
}

const NetBackend net_dgram_backend = {
    .type = "dgram",
    .desc = "one frame per datagram: UDP multicast, UDP or unix datagram sockets",
    .host = true,
    .options = dgram_options,
    .parse = dgram_parse,
    .free_conf = free,
    .create = dgram_create,
};
