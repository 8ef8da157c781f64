/* The netdev layer: clients, peers, per-receiver queues, flushes, link state.
 *
 * A frame sent by a client goes to its peer. If the peer cannot take it now
 * (can_receive says no, receive returns 0, its queue already holds frames, or
 * it is in the middle of taking another frame) the frame is queued at the
 * peer, in order, until the peer calls net_flush_queue. A client is never
 * re-entered through its own receive path: frames that arrive for it while
 * it is receiving (a backend answering synchronously, a hub echoing) are
 * queued and delivered when the outer delivery returns. */
#include "net/net.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/pc.h"

static void *net_alloc(size_t size)
{
    void *p = calloc(1, size);
    if (!p) {
        wb_log("out of memory");
        exit(1);
    }
    return p;
}

static void deferred_flush_cb(void *opaque)
{
    net_flush_queue(opaque);
}

NetClient *net_client_new(Machine *m, const NetClientInfo *info, const char *name, void *opaque)
{
    NetClient *nc = net_alloc(sizeof *nc);
    nc->info = info;
    nc->m = m;
    nc->opaque = opaque;
    timer_init(&nc->deferred_flush, deferred_flush_cb, nc);
    if (name) {
        nc->name = strdup(name);
    } else {
        /* "type.N", N counting the clients of that type so far */
        int n = 0;
        for (NetClient *c = m->net_clients; c; c = c->next_client)
            n += c->info == info || (c->info->type && info->type && !strcmp(c->info->type, info->type));
        char buf[64];
        snprintf(buf, sizeof buf, "%s.%d", info->type ? info->type : "net", n);
        nc->name = strdup(buf);
    }
    if (!nc->name) {
        wb_log("out of memory");
        exit(1);
    }
    NetClient **pp = &m->net_clients;
    while (*pp)
        pp = &(*pp)->next_client;
    *pp = nc;
    return nc;
}

void net_client_set_info(NetClient *nc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(nc->info_str, sizeof nc->info_str, fmt, ap);
    va_end(ap);
}

void net_filter_add(NetClient *nc, NetFilter *f)
{
    NetFilter **pp = &nc->filters;
    while (*pp)
        pp = &(*pp)->next;
    f->next = NULL;
    *pp = f;
}

static void run_filters(NetClient *nc, int dir, const uint8_t *buf, size_t len)
{
    for (NetFilter *f = nc->filters; f; f = f->next)
        if (f->enabled && (f->dirs & dir))
            f->frame(f, nc, dir, buf, len);
}

static void queue_purge(NetClient *receiver, const NetClient *sender)
{
    NetPacket **pp = &receiver->queue_head;
    receiver->queue_tail = NULL;
    while (*pp) {
        NetPacket *p = *pp;
        if (!sender || p->sender == sender) {
            *pp = p->next;
            receiver->queue_len--;
            free(p);
        } else {
            receiver->queue_tail = p;
            pp = &p->next;
        }
    }
}

void net_client_free(NetClient *nc)
{
    if (!nc)
        return;
    Machine *m = nc->m;
    for (NetClient **pp = &m->net_clients; *pp; pp = &(*pp)->next_client) {
        if (*pp == nc) {
            *pp = nc->next_client;
            break;
        }
    }
    /* Frames it sent that still wait somewhere are dropped. */
    for (NetClient *c = m->net_clients; c; c = c->next_client)
        if (c->queue_len)
            queue_purge(c, nc);
    if (nc->peer && nc->peer->peer == nc)
        nc->peer->peer = NULL;
    nc->peer = NULL;
    if (nc->info->cleanup)
        nc->info->cleanup(nc);
    while (nc->filters) {
        NetFilter *f = nc->filters;
        nc->filters = f->next;
        if (f->cleanup)
            f->cleanup(f);
    }
    queue_purge(nc, NULL);
    timer_del(nc->m, &nc->deferred_flush);
    free(nc->name);
    free(nc);
}

void net_cleanup(Machine *m)
{
    while (m->net_clients)
        net_client_free(m->net_clients);
}

void net_client_set_peer(NetClient *a, NetClient *b)
{
    if (a && a->peer && a->peer != b && a->peer->peer == a)
        a->peer->peer = NULL;
    if (b && b->peer && b->peer != a && b->peer->peer == b)
        b->peer->peer = NULL;
    if (a)
        a->peer = b;
    if (b)
        b->peer = a;
}

NetClient *net_client_find(Machine *m, const char *name)
{
    for (NetClient *c = m->net_clients; c; c = c->next_client)
        if (c->name && !strcmp(c->name, name))
            return c;
    return NULL;
}

NetClient *net_clients(Machine *m)
{
    return m->net_clients;
}

static void enqueue(NetClient *receiver, NetClient *sender, const uint8_t *buf, size_t len)
{
    if (receiver->queue_len >= NET_QUEUE_MAX)
        return; /* full: dropped (senders check net_peer_can_receive first) */
    NetPacket *p = malloc(sizeof *p + len);
    if (!p)
        return;
    p->next = NULL;
    p->sender = sender;
    p->len = len;
    memcpy(p->data, buf, len);
    if (receiver->queue_tail)
        receiver->queue_tail->next = p;
    else
        receiver->queue_head = p;
    receiver->queue_tail = p;
    receiver->queue_len++;
}

static bool client_can_receive(NetClient *nc)
{
    return !nc->info->can_receive || nc->info->can_receive(nc);
}

/* A NIC in the middle of its own send: the frame waits, and the NIC gets
 * it from the deferred flush. */
static bool busy_sending(NetClient *nc)
{
    if (!nc->sending)
        return false;
    nc->deferred = true;
    return true;
}

static ssize_t send_to_peer(NetClient *sender, const uint8_t *buf, size_t len);

ssize_t net_send(NetClient *sender, const uint8_t *buf, size_t len)
{
    if (sender->info->kind != NET_CLIENT_NIC || sender->sending)
        return send_to_peer(sender, buf, len);
    sender->sending = true;
    ssize_t r = send_to_peer(sender, buf, len);
    sender->sending = false;
    if (sender->deferred) {
        sender->deferred = false;
        timer_mod(sender->m, &sender->deferred_flush, clock_ns(sender->m));
    }
    return r;
}

static ssize_t send_to_peer(NetClient *sender, const uint8_t *buf, size_t len)
{
    NetClient *peer = sender->peer;
    if (!peer || sender->link_down)
        return (ssize_t)len; /* goes nowhere, like a frame on an unplugged cable */
    if (sender->filters)
        run_filters(sender, NET_FILTER_TX, buf, len);
    if (peer->filters)
        run_filters(peer, NET_FILTER_RX, buf, len);
    if (peer->link_down || !peer->info->receive)
        return (ssize_t)len;
    if (busy_sending(peer) || peer->flushing || peer->queue_len > 0 ||
        !client_can_receive(peer)) {
        enqueue(peer, sender, buf, len);
        return 0;
    }
    peer->flushing = true;
    ssize_t r = peer->info->receive(peer, buf, len);
    peer->flushing = false;
    if (r == 0) {
        /* Not taken: it goes first, ahead of anything that arrived meanwhile. */
        NetPacket *rest = peer->queue_head, *tail = peer->queue_tail;
        int n = peer->queue_len;
        peer->queue_head = peer->queue_tail = NULL;
        peer->queue_len = 0;
        enqueue(peer, sender, buf, len);
        if (rest) {
            if (peer->queue_tail) {
                peer->queue_tail->next = rest;
                peer->queue_tail = tail;
            } else {
                peer->queue_head = rest;
                peer->queue_tail = tail;
            }
            peer->queue_len += n;
        }
        return 0;
    }
    /* Frames that came for the peer while it was receiving this one. */
    if (peer->queue_len)
        net_flush_queue(peer);
    return r < 0 ? (ssize_t)len : r;
}

bool net_peer_can_receive(NetClient *sender)
{
    NetClient *peer = sender->peer;
    if (!peer || sender->link_down || peer->link_down)
        return true; /* frames are dropped anyway: keep the source drained */
    if (busy_sending(peer) || peer->flushing || peer->queue_len > 0 ||
        !client_can_receive(peer)) {
        peer->waited_on = true;
        return false;
    }
    return true;
}

void net_flush_queue(NetClient *nc)
{
    if (busy_sending(nc) || nc->flushing)
        return; /* the delivery or flush in progress further up takes them */
    bool had = nc->queue_len > 0 || nc->waited_on;
    nc->flushing = true;
    while (nc->queue_head) {
        NetPacket *p = nc->queue_head;
        if (!nc->link_down && nc->info->receive) {
            if (!client_can_receive(nc))
                break;
            if (nc->info->receive(nc, p->data, p->len) == 0)
                break;
        }
        /* taken (or dropped: link down); receive may have queued more behind it */
        nc->queue_head = p->next;
        if (!nc->queue_head)
            nc->queue_tail = NULL;
        nc->queue_len--;
        free(p);
    }
    nc->flushing = false;
    if (had) {
        nc->waited_on = false;
        loop_kick(nc->m);
    }
    /* Behind a hub, frames may wait at the hub's ports (every device was
     * busy when they came): they can move now. */
    if (!nc->queue_head && nc->peer && nc->peer->info->kind == NET_CLIENT_HUBPORT)
        net_hub_flush(nc->peer);
}

static void link_changed(NetClient *nc, bool down)
{
    nc->link_down = down;
    if (down)
        queue_purge(nc, NULL); /* nobody is listening on a dead link */
    if (nc->info->link_status_changed)
        nc->info->link_status_changed(nc);
}

void net_set_link(NetClient *nc, bool up)
{
    link_changed(nc, !up);
    /* A backend's link is its NIC's cable too (the guest sees it). */
    if (nc->peer && nc->peer->info->kind == NET_CLIENT_NIC && nc->info->kind != NET_CLIENT_NIC)
        link_changed(nc->peer, !up);
    if (up) {
        if (nc->info->kind != NET_CLIENT_NIC)
            net_flush_queue(nc);
        loop_kick(nc->m);
    }
}

/* ------------------------------------------------------------------ checksums */

uint32_t net_csum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
    if (i < len)
        sum += (uint32_t)buf[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t net_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}
