/* The netdev layer: every endpoint (NIC, backend, hub port) is a client with
 * a peer. A frame sent goes to the peer; a peer that cannot take it now gets
 * it queued and asks for a flush when it can (RX ring refilled, link up).
 * Backends ask net_peer_can_receive before reading their host fd, so no frame
 * is dropped for lack of flow control. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hw/machine.h"

typedef struct NetClient NetClient;
typedef struct NetPacket NetPacket;
typedef struct NetFilter NetFilter;

/* What a client is; its type string (NetClientInfo.type) says which model
 * or backend. */
typedef enum {
    NET_CLIENT_NIC,     /* a guest's network card */
    NET_CLIENT_HUBPORT, /* a port of a hub */
    NET_CLIENT_BACKEND, /* a netdev backend (net/backend.h) */
    NET_CLIENT_OTHER,   /* anything else (tests) */
} NetClientKind;

typedef struct NetClientInfo {
    NetClientKind kind;
    const char *type; /* "user", "hubport", "e1000", ... as -netdev/-device spell it */
    /* May this client take a frame now? NULL = always. */
    bool (*can_receive)(NetClient *nc);
    /* Take one frame. Returns len when taken (or deliberately dropped, as a
     * filtering NIC does), 0 when it cannot take it now: the layer queues it
     * and the client calls net_flush_queue when it can. */
    ssize_t (*receive)(NetClient *nc, const uint8_t *buf, size_t len);
    /* The link of this client or its peer changed. */
    void (*link_status_changed)(NetClient *nc);
    void (*cleanup)(NetClient *nc);
} NetClientInfo;

/* Frames waiting for a receiver. Bounded: when full, net_send returns 0 and
 * the sender must wait (backends stop reading their fd). */
#define NET_QUEUE_MAX 256
struct NetPacket {
    NetPacket *next;
    NetClient *sender;
    size_t len;
    uint8_t data[];
};

struct NetClient {
    const NetClientInfo *info;
    Machine *m;
    char *name; /* the id= (or a generated name) */
    NetClient *peer;
    void *opaque;
    bool link_down;
    /* frames sent to this client that it could not take yet */
    NetPacket *queue_head, *queue_tail;
    int queue_len;
    bool flushing; /* never re-enter a client through its own flush */
    bool waited_on; /* a sender found it unable to receive: kick the loop on flush */
    /* A NIC sending takes no frame until it has returned to the machine: one
     * that comes meanwhile (libslirp answers ARP and ping at once) waits and
     * is delivered by a timer due at once (deferred_flush), not from inside
     * the NIC's own transmit. */
    bool sending, deferred;
    Timer deferred_flush;
    NetFilter *filters; /* see frames passing through it (net_filter_add) */
    /* What `info network` shows after the type, as QEMU words it: for a
     * socket "connect to 127.0.0.1:5555", for a user backend
     * "net=10.0.2.0,restrict=off". Set by the client (net_client_set_info). */
    char info_str[256];
    NetClient *next_client;
};

NetClient *net_client_new(Machine *m, const NetClientInfo *info, const char *name, void *opaque);
void net_client_set_info(NetClient *nc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void net_client_free(NetClient *nc);
/* Free every client of the machine (cleanup callbacks run). Before machine_free. */
void net_cleanup(Machine *m);
void net_client_set_peer(NetClient *a, NetClient *b);
NetClient *net_client_find(Machine *m, const char *name);
/* All clients of a machine, for listing and teardown. */
NetClient *net_clients(Machine *m);

/* Send a frame to the sender's peer. Returns len if delivered, 0 if it was
 * queued (the peer could not take it) or could not be queued (queue full;
 * check net_peer_can_receive first), and len when there is no peer or the
 * link is down (the frame goes nowhere, as on an unplugged cable). A NIC is
 * not re-entered: frames for it that its own send causes are queued and
 * delivered once it has returned (see NetClient.sending). */
ssize_t net_send(NetClient *sender, const uint8_t *buf, size_t len);
/* Whether the peer would take a frame now (false if its queue is non-empty
 * or it says it cannot). Backends call this before reading a frame. */
bool net_peer_can_receive(NetClient *sender);
/* The receiver can take frames again: deliver what is queued for it, in
 * order, while it takes them. Wakes the event loop so backends re-poll. */
void net_flush_queue(NetClient *receiver);
void net_set_link(NetClient *nc, bool up);

/* Filters (-object filter-dump): a filter on a client sees every frame the
 * client sends to its peer (NET_FILTER_TX) and every frame its peer sends to
 * it (NET_FILTER_RX), once, when it is sent: before any queueing, in the
 * order sent. On a netdev, RX is what the guest transmits and TX what it
 * receives. Frames that go nowhere (no peer, the sender's link down) pass
 * no filter, as in QEMU. */
enum { NET_FILTER_RX = 1, NET_FILTER_TX = 2, NET_FILTER_ALL = 3 };
struct NetFilter {
    const char *id, *type; /* for info network: "f0", "filter-dump" */
    int dirs;     /* NET_FILTER_RX, NET_FILTER_TX or both */
    bool enabled; /* status=on|off */
    /* Its options after the type, for info network (",file=x.pcap"); may be NULL. */
    void (*describe)(NetFilter *f, char *buf, size_t len);
    void (*frame)(NetFilter *f, NetClient *nc, int dir, const uint8_t *buf, size_t len);
    void (*cleanup)(NetFilter *f); /* frees f (with the client, or net_filter_remove) */
    void *opaque;
    NetFilter *next;
};
/* Appends f to nc's filters; nc owns it from now on. */
void net_filter_add(NetClient *nc, NetFilter *f);

/* QEMU's `info network`: the hubs with what is plugged into each port, then
 * every NIC with its backend and every backend alone, one line each (and
 * a client's filters under it), through out. */
void net_info_network(Machine *m, void (*out)(void *opaque, const char *line), void *opaque);

/* A hub: frames arriving on one port go out of every other port. */
NetClient *net_hub_add_port(Machine *m, int hub_id, const char *name);
/* Deliver what waits at the other ports of port's hub (net_flush_queue does
 * this for a client wired to a hub port). */
void net_hub_flush(NetClient *port);
/* The hub a port belongs to, or -1 if nc is not a hub port. */
int net_hub_id(NetClient *nc);

/* The Internet checksum (RFC 1071): net_csum_add sums buf as big-endian
 * 16-bit words onto sum; net_csum_fold folds the carries (not inverted). */
uint32_t net_csum_add(uint32_t sum, const uint8_t *buf, size_t len);
uint16_t net_csum_fold(uint32_t sum);
