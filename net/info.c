/* `info network` as QEMU prints it (net/net.h: net_info_network). */
#include <stdio.h>
#include <string.h>

#include "net/net.h"

typedef struct Out {
    void (*out)(void *opaque, const char *line);
    void *opaque;
} Out;

static const char *type_of(const NetClient *nc)
{
    return nc->info->kind == NET_CLIENT_NIC ? "nic" : nc->info->type;
}

/* "NAME: index=0,type=TYPE,INFO" (after prefix), then its filters. */
static void client_line(const Out *o, const char *prefix, NetClient *nc)
{
    char line[600];
    snprintf(line, sizeof line, "%s%s: index=0,type=%s,%s", prefix, nc->name, type_of(nc),
             nc->info_str);
    o->out(o->opaque, line);
    if (nc->filters)
        o->out(o->opaque, "filters:");
    for (NetFilter *f = nc->filters; f; f = f->next) {
        char more[400] = "";
        if (f->describe)
            f->describe(f, more, sizeof more);
        snprintf(line, sizeof line, "  - %s: type=%s%s", f->id ? f->id : "?",
                 f->type ? f->type : "?", more);
        o->out(o->opaque, line);
    }
}

void net_info_network(Machine *m, void (*out)(void *opaque, const char *line), void *opaque)
{
    Out o = {out, opaque};
    char line[640];
    /* Hubs in the order they appeared; their ports newest first, as QEMU
     * lists them (it adds each port at the head of its hub's list). */
    int hubs[64], nhubs = 0;
    for (NetClient *c = net_clients(m); c; c = c->next_client) {
        int id = net_hub_id(c);
        bool seen = id < 0;
        for (int i = 0; i < nhubs && !seen; i++)
            seen = hubs[i] == id;
        if (!seen && nhubs < 64)
            hubs[nhubs++] = id;
    }
    for (int h = 0; h < nhubs; h++) {
        snprintf(line, sizeof line, "hub %d", hubs[h]);
        out(opaque, line);
        NetClient *ports[256];
        int n = 0;
        for (NetClient *c = net_clients(m); c && n < 256; c = c->next_client)
            if (net_hub_id(c) == hubs[h])
                ports[n++] = c;
        while (n--) {
            NetClient *p = ports[n];
            if (p->peer) {
                snprintf(line, sizeof line, " \\ %s: ", p->name);
                client_line(&o, line, p->peer);
            } else {
                snprintf(line, sizeof line, " \\ %s", p->name);
                out(opaque, line);
            }
        }
    }
    for (NetClient *c = net_clients(m); c; c = c->next_client) {
        if (net_hub_id(c) >= 0 || net_hub_id(c->peer) >= 0)
            continue; /* shown with its hub */
        bool nic = c->info->kind == NET_CLIENT_NIC;
        if (!c->peer || nic)
            client_line(&o, "", c);
        if (c->peer && nic)
            client_line(&o, " \\ ", c->peer);
    }
}
