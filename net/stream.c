/* -netdev stream (QEMU 7.2 and later): frames over a TCP or unix stream
 * socket, with QEMU's framing (each frame after its 4-byte big-endian
 * length), on the engine in net/netsock.c. This is how QEMU talks to passt:
 *   -netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/passt.sock
 *   server=on|off      listen (one peer at a time) or connect (default off)
 *   addr.type=inet,addr.host=HOST,addr.port=PORT
 *   addr.type=unix,addr.path=PATH[,addr.abstract=on][,addr.tight=off]
 *   addr.type=fd,addr.str=N    a listening (server=on) or connected socket
 *   reconnect=SECONDS, reconnect-ms=MS   a client tries again that often
 *                      after losing its server (or failing to reach it) */
#include <stdlib.h>
#include <string.h>

#include "net/backend.h"
#include "net/netsock.h"

static const NetBackendOption stream_options[] = {
    {"server", "on|off: listen for the peer, or connect to it (off)"},
    {"addr.type", "inet, unix or fd"},
    {"addr.host", "inet: the host name or address"},
    {"addr.port", "inet: the port"},
    {"addr.path", "unix: the socket's path"},
    {"addr.abstract", "unix: on|off: a Linux abstract socket name"},
    {"addr.tight", "unix, abstract: on|off: the address is the name alone (on)"},
    {"addr.str", "fd: the file descriptor number"},
    {"reconnect", "SECONDS: a client reconnects that often after losing its server"},
    {"reconnect-ms", "MS: the same in milliseconds"},
    {NULL},
};

static int stream_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    const char *v;
    bool server = false;
    if ((v = opts_get(o, "server")) && opt_parse_bool(v, &server))
        return wb_errf(err, errlen, "%s: server=%s: expected on or off", origin, v);
    const char *rs = opts_get(o, "reconnect"), *rms = opts_get(o, "reconnect-ms");
    uint64_t reconnect = 0;
    if (rs && rms)
        return wb_errf(err, errlen, "%s: reconnect= and reconnect-ms= exclude each other", origin);
    if ((rs || rms) && server)
        return wb_errf(err, errlen, "%s: reconnect= is for a client (server=off)", origin);
    if (rs && opt_parse_uint(rs, 0xffffffffu, &reconnect))
        return wb_errf(err, errlen, "%s: reconnect=%s: expected a number of seconds", origin, rs);
    reconnect *= 1000;
    if (rms && opt_parse_uint(rms, 0xffffffffu, &reconnect))
        return wb_errf(err, errlen, "%s: reconnect-ms=%s: expected a number of milliseconds",
                       origin, rms);
    NetSockConf *c = wb_calloc(1, sizeof *c);
    c->local.fd = -1;
    if (netaddr_from_opts(o, "addr", 0, &c->addr, origin, err, errlen)) {
        free(c);
        return 1;
    }
    if (c->addr.type == NETADDR_NONE) {
        free(c);
        return wb_errf(err, errlen, "%s: parameter 'addr.type' is missing (inet, unix or fd)",
                       origin);
    }
    if (c->addr.type == NETADDR_FD) {
        int type = SOCK_STREAM;
        char why[200];
        if (netaddr_check_fd(c->addr.fd, &type, why, sizeof why)) {
            int fd = c->addr.fd;
            free(c);
            return wb_errf(err, errlen, "%s: addr.str=%d: %s", origin, fd, why);
        }
    }
    c->mode = server ? NETSOCK_SERVER
              : c->addr.type == NETADDR_FD ? NETSOCK_CONNECTED
                                           : NETSOCK_CLIENT;
    c->reconnect_ms = reconnect;
    *conf = c;
    return 0;
}

static NetClient *stream_create(Machine *m, const char *name, const void *conf, char *err,
                                size_t errlen)
{
    return netsock_create(m, "stream", name, conf, err, errlen);
}

const NetBackend net_stream_backend = {
    .type = "stream",
    .desc = "frames over a TCP or unix stream socket (QEMU's framing; passt speaks it)",
    .host = true,
    .options = stream_options,
    .parse = stream_parse,
    .free_conf = free,
    .create = stream_create,
};
