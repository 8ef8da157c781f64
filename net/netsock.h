/* What the socket, stream and dgram backends share: addresses as QEMU
 * writes them, and one client that carries Ethernet frames over a host
 * socket, either a byte stream (TCP or a unix stream socket; each frame
 * preceded by its length as a 4-byte big-endian number, QEMU's format, which
 * passt speaks too) or datagrams (UDP, multicast or a unix datagram socket;
 * one frame per datagram). -netdev socket, -netdev stream and -netdev dgram
 * are three spellings of these; each of their files only parses options.
 *
 * A stream server accepts one connection at a time and, when its peer goes
 * away, the next one. A stream client connects at startup (an error if it
 * cannot, unless reconnect is set) and, with reconnect, tries again every
 * reconnect interval (host time) after losing its server. While there is no
 * connection, frames from the guest are dropped, as on an unplugged cable. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hw/opts.h"
#include "net/net.h"

/* The largest frame carried (QEMU's NET_BUFSIZE): a stream peer announcing
 * a longer one is out of step, and is disconnected. */
#define NETSOCK_MAX_FRAME (4096 + 65536)

typedef enum { NETADDR_NONE, NETADDR_INET, NETADDR_UNIX, NETADDR_FD } NetAddrType;

typedef struct NetAddr {
    NetAddrType type;
    /* inet: resolved when parsed (one address; IPv6 in brackets). */
    char host[256]; /* as given, brackets removed; "" = any address */
    int port;
    struct sockaddr_storage sa;
    socklen_t salen;
    /* unix */
    char path[108];
    bool abstract; /* a Linux abstract socket (abstract=on) */
    bool tight;    /* abstract: the address is just the name (tight=on, default) */
    /* fd */
    int fd;
} NetAddr;

/* "host:port", "[ipv6]:port", or with listen=true also ":port" (any
 * address). port: 1-65535, or 0-65535 with allow_port0. Resolves the host.
 * 0, or 1 with the reason (without the option's name) in why. */
int netaddr_parse_hostport(const char *s, bool listen, bool allow_port0, NetAddr *a, char *why,
                           size_t whylen);
/* An inet address from its parts (addr.host=, addr.port=); host may be ""
 * (any) when listen is true. */
int netaddr_inet(const char *host, const char *port, bool listen, bool allow_port0, NetAddr *a,
                 char *why, size_t whylen);
/* QEMU's SocketAddress in dotted keys: PREFIX.type=inet|unix|fd and
 * PREFIX.host/.port, PREFIX.path (.abstract, .tight), PREFIX.str. Sets
 * a->type NETADDR_NONE if no PREFIX. key is given. 0, or 1 with one line
 * (starting with origin) in err. flags: */
#define NETADDR_ANY_HOST 1 /* inet: host may be left out (any address) */
#define NETADDR_NO_PORT 2  /* inet: port may be left out (port 0) */
int netaddr_from_opts(Opts *o, const char *prefix, unsigned flags, NetAddr *a, const char *origin,
                      char *err, size_t errlen);
/* The address as a URI for messages: "tcp:127.0.0.1:5555", "unix:/tmp/s",
 * "fd:3". */
void netaddr_str(const NetAddr *a, char *buf, size_t len);
/* An fd given on the command line (fd=N): open, and a socket of the given
 * SOCK_STREAM/SOCK_DGRAM type (type 0: either; the type found goes to
 * *type). 0, or 1 with the reason in why. */
int netaddr_check_fd(int fd, int *type, char *why, size_t whylen);

typedef enum {
    NETSOCK_SERVER,    /* stream: listen on addr (or the listening fd addr.fd) */
    NETSOCK_CLIENT,    /* stream: connect to addr */
    NETSOCK_CONNECTED, /* stream: the connected socket addr.fd */
    NETSOCK_DGRAM,     /* datagrams: local (or fd), to remote */
} NetSockMode;

typedef struct NetSockConf {
    NetSockMode mode;
    NetAddr addr;   /* stream: where to listen / connect; dgram: the remote (may be NONE) */
    NetAddr local;  /* dgram: where to bind (or the fd); multicast: the interface */
    bool mcast;     /* dgram: addr is a multicast group (joined on local's address) */
    uint64_t reconnect_ms; /* client: 0 = never */
    /* For info network, as QEMU words it: "socket: connect to %s" etc. */
    const char *info_prefix;
} NetSockConf;

/* The client for name, of type info (the backend's NetClientInfo: only its
 * kind and type are used; receive and cleanup are netsock's). NULL with one
 * line in err. */
NetClient *netsock_create(Machine *m, const char *type, const char *name, const NetSockConf *c,
                          char *err, size_t errlen);
/* Whether the client has a connection (stream) or a socket (dgram). */
bool netsock_connected(NetClient *nc);
