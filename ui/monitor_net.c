/* The network's monitor commands, with QEMU's syntax and output: info
 * network, info usernet, hostfwd_add, hostfwd_remove, set_link. */
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net/user.h"
#include "ui/monitor.h"

static void out_line(void *opaque, const char *line)
{
    monitor_printf(opaque, "%s\n", line);
}

static int info_network(Monitor *mon, int argc, char **argv)
{
    net_info_network(monitor_machine(mon), out_line, mon);
    return 0;
}

static bool is_user(const NetClient *nc)
{
    return nc && nc->info->kind == NET_CLIENT_BACKEND && !strcmp(nc->info->type, "user");
}

/* QEMU's "Hub N (name):" header: the hub the backend is plugged into, or -1. */
static int hub_of(NetClient *nc)
{
    return nc->peer ? net_hub_id(nc->peer) : -1;
}

static int info_usernet(Monitor *mon, int argc, char **argv)
{
    for (NetClient *c = net_clients(monitor_machine(mon)); c; c = c->next_client) {
        if (!is_user(c))
            continue;
        char *table = net_user_connection_info(c);
        monitor_printf(mon, "Hub %d (%s):\n%s", hub_of(c), c->name, table ? table : "");
        free(table);
    }
    return 0;
}

/* The user backend named id, or (id NULL) the first one; NULL after a line. */
static NetClient *user_lookup(Monitor *mon, const char *id)
{
    Machine *m = monitor_machine(mon);
    if (id) {
        NetClient *nc = net_client_find(m, id);
        if (!nc || nc->info->kind == NET_CLIENT_NIC) { /* a netdev is what -netdev made */
            monitor_errf(mon, "unrecognized netdev id '%s'", id);
            return NULL;
        }
        if (!is_user(nc)) {
            monitor_errf(mon, "invalid netdev id '%s'", id);
            return NULL;
        }
        return nc;
    }
    for (NetClient *c = net_clients(m); c; c = c->next_client)
        if (is_user(c))
            return c;
    monitor_errf(mon, "user mode network stack not in use");
    return NULL;
}

/* hostfwd_add [netdev_id] [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport */
static int cmd_hostfwd_add(Monitor *mon, int argc, char **argv)
{
    NetClient *nc = user_lookup(mon, argc == 3 ? argv[1] : NULL);
    if (!nc)
        return 1;
    char err[320];
    if (net_user_hostfwd_add(nc, argv[argc - 1], err, sizeof err))
        return monitor_errf(mon, "%s", err);
    return 0;
}

/* hostfwd_remove [netdev_id] [tcp|udp]:[hostaddr]:hostport */
static int cmd_hostfwd_remove(Monitor *mon, int argc, char **argv)
{
    NetClient *nc = user_lookup(mon, argc == 3 ? argv[1] : NULL);
    if (!nc)
        return 1;
    const char *spec = argv[argc - 1];
    int r = net_user_hostfwd_remove(nc, spec);
    if (r < 0)
        return monitor_errf(mon, "invalid format");
    monitor_printf(mon, "host forwarding rule for %s %s\n", spec, r ? "removed" : "not found");
    return 0;
}

/* set_link NAME on|off: NAME is a NIC or a netdev; the guest's driver sees
 * its cable unplugged or plugged back (net_set_link). */
static int cmd_set_link(Monitor *mon, int argc, char **argv)
{
    bool up = !strcmp(argv[2], "on");
    if (!up && strcmp(argv[2], "off"))
        return monitor_errf(mon, "Expected 'on' or 'off'");
    NetClient *nc = net_client_find(monitor_machine(mon), argv[1]);
    if (!nc)
        return monitor_errf(mon, "Error: Device '%s' not found", argv[1]);
    net_set_link(nc, up);
    return 0;
}

static const MonitorCommand net_commands[] = {
    {.name = "hostfwd_add",
     .args = "[netdev_id] [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport",
     .help = "redirect TCP or UDP connections from host to guest (requires -net user)",
     .handler = cmd_hostfwd_add, .min_args = 1, .max_args = 2},
    {.name = "hostfwd_remove", .args = "[netdev_id] [tcp|udp]:[hostaddr]:hostport",
     .help = "remove host-to-guest TCP or UDP redirection", .handler = cmd_hostfwd_remove,
     .min_args = 1, .max_args = 2},
    {.name = "set_link", .args = "name on|off",
     .help = "change the link status of a network adapter", .handler = cmd_set_link, .min_args = 2, .max_args = 2},
    {NULL},
};

static const MonitorCommand net_info[] = {
    {.name = "network", .help = "show the network state", .handler = info_network},
    {.name = "usernet", .help = "show user network stack connection states",
     .handler = info_usernet},
    {NULL},
};

const MonitorTable net_monitor_table = {
    .owner = "net", .commands = net_commands, .info = net_info};
