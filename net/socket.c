/* -netdev socket: QEMU's original socket backend, on the shared engine in
 * net/netsock.c.
 *   listen=[HOST]:PORT   a TCP server (one peer at a time; the next one
 *                        after it leaves)
 *   connect=HOST:PORT    a TCP client
 *   mcast=GROUP:PORT[,localaddr=ADDR]   UDP multicast: every member on GROUP
 *                        hears every frame (a hub across processes)
 *   udp=HOST:PORT,localaddr=HOST:PORT   UDP to one peer
 *   fd=N                 an open socket (stream or datagram)
 * TCP carries each frame after its length (4 bytes, big-endian), exactly as
 * QEMU does, so wirebox and QEMU guests share a wire. IPv6 addresses go in
 * brackets: listen=[::1]:5555. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/backend.h"
#include "net/netsock.h"

static const NetBackendOption socket_options[] = {
    {"listen", "[HOST]:PORT: wait for a peer to connect (TCP)"},
    {"connect", "HOST:PORT: connect to a peer listening there (TCP)"},
    {"mcast", "GROUP:PORT: a UDP multicast group (224.0.0.0/4) shared by every member"},
    {"udp", "HOST:PORT: send UDP to this peer (with localaddr=HOST:PORT)"},
    {"localaddr", "mcast: the interface's address; udp: HOST:PORT to receive on"},
    {"fd", "N: an open socket (stream or datagram) to use"},
    {NULL},
};

static int socket_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    const char *listen = opts_get(o, "listen"), *connect = opts_get(o, "connect");
    const char *mcast = opts_get(o, "mcast"), *udp = opts_get(o, "udp");
    const char *fd = opts_get(o, "fd"), *localaddr = opts_get(o, "localaddr");
    char why[320];
    int n = !!listen + !!connect + !!mcast + !!udp + !!fd;
    if (n == 0)
        return wb_errf(err, errlen, "%s: give one of listen=, connect=, mcast=, udp= or fd=",
                       origin);
    if (n > 1) {
        const char *a = listen ? "listen" : connect ? "connect" : mcast ? "mcast" : "udp";
        const char *b = fd ? "fd" : udp ? "udp" : mcast ? "mcast" : "connect";
        return wb_errf(err, errlen, "%s: %s= and %s= exclude each other (give one of listen=, "
                       "connect=, mcast=, udp= or fd=)", origin, a, b);
    }
    if (localaddr && !mcast && !udp)
        return wb_errf(err, errlen, "%s: localaddr= goes with mcast= or udp= only", origin);
    if (udp && !localaddr)
        return wb_errf(err, errlen, "%s: udp= needs localaddr=HOST:PORT to receive on", origin);
    NetSockConf *c = wb_calloc(1, sizeof *c);
    c->info_prefix = "socket: ";
    c->addr.fd = c->local.fd = -1;
    if (listen) {
        c->mode = NETSOCK_SERVER;
        if (netaddr_parse_hostport(listen, true, false, &c->addr, why, sizeof why))
            goto bad_listen;
    } else if (connect) {
        c->mode = NETSOCK_CLIENT;
        if (netaddr_parse_hostport(connect, false, false, &c->addr, why, sizeof why)) {
            free(c);
            return wb_errf(err, errlen, "%s: connect=%s: %s", origin, connect, why);
        }
    } else if (mcast) {
        c->mode = NETSOCK_DGRAM;
        c->mcast = true;
        if (netaddr_parse_hostport(mcast, false, false, &c->addr, why, sizeof why)) {
            free(c);
            return wb_errf(err, errlen, "%s: mcast=%s: %s", origin, mcast, why);
        }
        const struct sockaddr_in *g = (const struct sockaddr_in *)&c->addr.sa;
        if (c->addr.sa.ss_family != AF_INET || !IN_MULTICAST(ntohl(g->sin_addr.s_addr))) {
            free(c);
            return wb_errf(err, errlen, "%s: mcast=%s: not an IPv4 multicast address "
                           "(224.0.0.0 to 239.255.255.255)", origin, mcast);
        }
        if (localaddr && netaddr_inet(localaddr, "0", false, true, &c->local, why, sizeof why)) {
            free(c);
            return wb_errf(err, errlen, "%s: localaddr=%s: %s", origin, localaddr, why);
        }
        if (localaddr && c->local.sa.ss_family != AF_INET) {
            free(c);
            return wb_errf(err, errlen, "%s: localaddr=%s: not an IPv4 address", origin,
                           localaddr);
        }
    } else if (udp) {
        c->mode = NETSOCK_DGRAM;
        if (netaddr_parse_hostport(udp, false, false, &c->addr, why, sizeof why)) {
            free(c);
            return wb_errf(err, errlen, "%s: udp=%s: %s", origin, udp, why);
        }
        if (netaddr_parse_hostport(localaddr, true, false, &c->local, why, sizeof why)) {
            free(c);
            return wb_errf(err, errlen, "%s: localaddr=%s: %s", origin, localaddr, why);
        }
        if (c->local.sa.ss_family != c->addr.sa.ss_family) {
            free(c);
            return wb_errf(err, errlen, "%s: udp= and localaddr= must both be IPv4 or both IPv6",
                           origin);
        }
    } else {
        uint64_t n64;
        int type = 0;
        if (opt_parse_uint(fd, 0x7fffffff, &n64)) {
            free(c);
            return wb_errf(err, errlen, "%s: fd=%s: expected a file descriptor number", origin,
                           fd);
        }
        if (netaddr_check_fd((int)n64, &type, why, sizeof why)) {
            free(c);
            return wb_errf(err, errlen, "%s: fd=%s: %s", origin, fd, why);
        }
        if (type == SOCK_STREAM) {
            c->mode = NETSOCK_CONNECTED;
            c->addr.type = NETADDR_FD;
            c->addr.fd = (int)n64;
        } else {
            c->mode = NETSOCK_DGRAM;
            c->local.type = NETADDR_FD;
            c->local.fd = (int)n64;
        }
    }
    *conf = c;
    return 0;
bad_listen:
    free(c);
    return wb_errf(err, errlen, "%s: listen=%s: %s", origin, listen, why);
}

static NetClient *socket_create(Machine *m, const char *name, const void *conf, char *err,
                                size_t errlen)
{
    return netsock_create(m, "socket", name, conf, err, errlen);
}

const NetBackend net_socket_backend = {
    .type = "socket",
    .desc = "frames over TCP (listen=/connect=, QEMU's framing), UDP multicast or UDP",
    .host = true,
    .options = socket_options,
    .parse = socket_parse,
    .free_conf = free,
    .create = socket_create,
};
