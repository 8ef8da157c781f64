/* Hubs: a frame arriving on one port goes out of every other port of the
 * same hub (QEMU's "vlan" of -net). A port is a client whose peer is the NIC
 * or backend plugged into it. */
#include <stdio.h>
#include <stdlib.h>

#include "hw/machine.h"
#include "net/backend.h"
#include "net/net.h"

typedef struct HubPort {
    int hub_id;
} HubPort;

static int port_hub(NetClient *nc)
{
    return ((HubPort *)nc->opaque)->hub_id;
}

static bool is_port_of(NetClient *c, int hub_id)
{
    return c->info->kind == NET_CLIENT_HUBPORT && port_hub(c) == hub_id;
}

/* Some other port's device can take a frame now. As QEMU's hub does, one
 * ready port is enough: a frame for a busy one waits in that one's queue. */
static bool hubport_can_receive(NetClient *nc)
{
    int hub = port_hub(nc);
    bool any = false;
    for (NetClient *c = net_clients(nc->m); c; c = c->next_client) {
        if (c == nc || !is_port_of(c, hub) || !c->peer)
            continue;
        if (net_peer_can_receive(c))
            return true;
        any = true;
    }
    return !any; /* alone on the hub: take (and drop) everything */
}

static ssize_t hubport_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    int hub = port_hub(nc);
    for (NetClient *c = net_clients(nc->m); c; c = c->next_client)
        if (c != nc && is_port_of(c, hub))
            net_send(c, buf, len);
    return (ssize_t)len;
}

static void hubport_cleanup(NetClient *nc)
{
    free(nc->opaque);
}

static const NetClientInfo hubport_info = {
    .kind = NET_CLIENT_HUBPORT,
    .type = "hubport",
    .can_receive = hubport_can_receive,
    .receive = hubport_receive,
    .cleanup = hubport_cleanup,
};

NetClient *net_hub_add_port(Machine *m, int hub_id, const char *name)
{
    char buf[64];
    if (!name) {
        int n = 0;
        for (NetClient *c = net_clients(m); c; c = c->next_client)
            n += is_port_of(c, hub_id);
        snprintf(buf, sizeof buf, "hub%dport%d", hub_id, n);
        name = buf;
    }
    HubPort *p = calloc(1, sizeof *p);
    if (!p) {
        wb_log("out of memory");
        exit(1);
    }
    p->hub_id = hub_id;
    NetClient *nc = net_client_new(m, &hubport_info, name, p);
    net_client_set_info(nc, "hub %d", hub_id);
    return nc;
}

void net_hub_flush(NetClient *port)
{
    int hub = port_hub(port);
    for (NetClient *c = net_clients(port->m); c; c = c->next_client)
        if (c != port && is_port_of(c, hub) && c->queue_len && !c->flushing)
            net_flush_queue(c);
}

int net_hub_id(NetClient *nc)
{
    return nc && nc->info->kind == NET_CLIENT_HUBPORT ? port_hub(nc) : -1;
}

/* ---- -netdev hubport,id=ID,hubid=N[,netdev=ID2] */

static const NetBackendOption hubport_options[] = {
    {"hubid", "the hub this port belongs to (a number)"},
    {"netdev", "the id of a backend to plug into the port"},
    {NULL},
};

static int hubport_parse(Opts *o, const char *origin, void **conf, char *err, size_t errlen)
{
    const char *hubid = opts_get(o, "hubid");
    uint64_t hub;
    if (!hubid)
        return wb_errf(err, errlen, "%s: parameter 'hubid' is missing", origin);
    if (opt_parse_uint(hubid, 0x7fffffff, &hub))
        return wb_errf(err, errlen, "%s: hubid=%s: expected a number", origin, hubid);
    HubportConf *c = wb_calloc(1, sizeof *c);
    c->hub = (int)hub;
    c->link = opts_get(o, "netdev");
    *conf = c;
    return 0;
}

static NetClient *hubport_create(Machine *m, const char *name, const void *conf, char *err,
                                 size_t errlen)
{
    return net_hub_add_port(m, ((const HubportConf *)conf)->hub, name);
}

const NetBackend net_hubport_backend = {
    .type = "hubport",
    .desc = "a port of a hub: frames go to every other port of the same hub",
    .options = hubport_options,
    .parse = hubport_parse,
    .free_conf = free,
    .create = hubport_create,
};
