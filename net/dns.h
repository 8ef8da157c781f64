/* The user backend's DNS proxy: guest queries to the virtual DNS address are
 * answered by wirebox itself, which forwards them to the host's nameservers
 * from a resolver file, in order, with a short timeout each, and remembers the
 * one that answered. A server that refuses (REFUSED, SERVFAIL, NOTIMP), is
 * unreachable or stays silent is skipped.
 *
 * Resolver file: resolv.conf syntax; only `nameserver ADDRESS` lines count.
 * As an extension (for tests), ADDRESS may carry a port: `IPV4:PORT` or
 * `[IPV6]:PORT`. No nameserver line means 127.0.0.1, as for glibc. The file
 * is read again when it changes. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net.h"

struct pollfd;

#define DNS_DEFAULT_RESOLV "/etc/resolv.conf"
#define DNS_RESOLV_ENV "WIREBOX_RESOLV_CONF"
#define DNS_MAX_SERVERS 8
#define DNS_MAX_QUERIES 64
#define DNS_DEFAULT_TIMEOUT_NS 1000000000ull /* per server */
#define DNS_CTX_MAX 32
#define DNS_MAX_CONNS 16                   /* guest TCP connections at once */
#define DNS_TCP_IDLE_NS 10000000000ull     /* an idle one is closed after 10 s */

typedef struct DnsProxy DnsProxy;
/* A reply for the guest; ctx is what dns_proxy_query was given. */
typedef void (*DnsReplyCb)(void *opaque, const void *ctx, const uint8_t *msg, size_t len);

/* resolv: the resolver file; NULL = $WIREBOX_RESOLV_CONF, else /etc/resolv.conf. */
DnsProxy *dns_proxy_new(const char *resolv, DnsReplyCb cb, void *opaque);
void dns_proxy_free(DnsProxy *p);
void dns_proxy_set_timeout(DnsProxy *p, uint64_t ns);
/* Forwards one query (a DNS message). false if it was dropped (malformed,
 * too many in flight). The answer, or a SERVFAIL when every server failed,
 * comes later through the callback, from dns_proxy_dispatch. */
bool dns_proxy_query(DnsProxy *p, const uint8_t *msg, size_t len, const void *ctx, size_t ctxlen);
/* Event loop glue (a poll hook): pollfds for the sockets in flight, and the
 * timeout lowered to the next per-server deadline (host time). */
int dns_proxy_fill(DnsProxy *p, struct pollfd *pfd, int max, uint64_t *timeout_ns);
void dns_proxy_dispatch(DnsProxy *p, struct pollfd *pfd, int n);
/* DNS over TCP. The guest's TCP connections to the virtual DNS address
 * are carried by libslirp's TCP to a listener of the proxy on host
 * loopback (the user backend rewrites the frames' addresses both ways, see
 * dns_tcp_rewrite); each query on them goes to the nameservers over TCP,
 * with the same order, failover and memory of the last good server as UDP
 * queries. Returns the listener's port on 127.0.0.1, or -1. */
int dns_proxy_tcp_listen(DnsProxy *p);

/* For tests and messages. */
int dns_proxy_nservers(DnsProxy *p);
int dns_proxy_preferred(DnsProxy *p); /* index of the server that worked last */
int dns_proxy_inflight(DnsProxy *p);

/* ---- Frames. A guest's UDP query to dns_ip:53, from an Ethernet frame
 * (every length checked; fragments and bad checksums are not matched). */
typedef struct DnsGuestQuery {
    uint8_t mac[6];
    uint8_t ip[4];
    uint16_t port;
    const uint8_t *msg;
    size_t len;
} DnsGuestQuery;

bool dns_match_guest_query(const uint8_t *frame, size_t len, const uint8_t dns_ip[4],
                           DnsGuestQuery *q);
/* Sends msg to the guest (mac/ip/port of q) as UDP from dns_ip:53, in IPv4
 * fragments if it does not fit in mtu; emit gets each Ethernet frame.
 * Returns the number of frames. */
/* Rewrites an IPv4 TCP segment in place (checksums kept right): one whose
 * destination is from_ip:from_port gets to_ip:to_port instead (the guest's
 * segments to the DNS address, sent on to the proxy's listener), or, with
 * source=true, one whose source is from_ip:from_port (the answers, back).
 * Returns whether it matched. Every length is checked. */
bool dns_tcp_rewrite(uint8_t *frame, size_t len, bool source, const uint8_t from_ip[4],
                     uint16_t from_port, const uint8_t to_ip[4], uint16_t to_port);
/* Whether dns_tcp_rewrite would rewrite it (frame untouched). */
bool dns_tcp_matches(const uint8_t *frame, size_t len, bool source, const uint8_t ip[4],
                     uint16_t port);
int dns_reply_frames(const DnsGuestQuery *q, const uint8_t dns_ip[4], uint16_t ip_id,
                     const uint8_t *msg, size_t len, int mtu,
                     void (*emit)(void *opaque, const uint8_t *frame, size_t len), void *opaque);
