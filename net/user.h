/* -netdev user (net/user.c): its configuration as parsed from the options. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>

typedef struct UserHostFwd {
    const char *spec; /* as given, for messages */
    bool udp;
    struct in_addr host_addr; /* INADDR_ANY if not given */
    int host_port;
    struct in_addr guest_addr; /* the first DHCP address if not given */
    int guest_port;
} UserHostFwd;

typedef struct UserGuestFwd {
    const char *spec;
    struct in_addr addr; /* in the virtual network */
    int port;
    const char *cmd;     /* cmd:COMMAND: run per connection, on its stdin/stdout */
    const char *host;    /* tcp:HOST:PORT: one connection to a host TCP server */
    int host_port;
    char *store;         /* owns the strings above */
} UserGuestFwd;

typedef struct UserConf {
    bool ipv4, ipv6, restricted;
    struct in_addr net, mask, host, dhcp, dns;
    struct in6_addr prefix6, host6, dns6;
    int prefix6_len;
    const char *hostname, *domainname, *tftp, *bootfile, *tftp_server_name;
    const char *smb, *smbd; /* smb= directory and the smbd that serves it */
    struct in_addr smbserver;
    const char *dns_resolv; /* wirebox: resolver file for the DNS proxy (NULL: default) */
    const char **dnssearch; /* NULL-terminated */
    int ndnssearch;
    UserHostFwd *hostfwd;
    int nhostfwd;
    UserGuestFwd *guestfwd;
    int nguestfwd;
} UserConf;

/* Parses one hostfwd= rule ([tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport)
 * for the network u describes; 0 or -1. */
int net_user_parse_hostfwd(const char *spec, const UserConf *u, UserHostFwd *f);

typedef struct NetClient NetClient;

/* The monitor's user-networking commands (ui/monitor_net.c); nc is a client
 * of type "user". hostfwd_add: spec as hostfwd= takes it; 0, or 1 with err
 * ("Invalid host forwarding rule ...", "Could not set up ..."). */
int net_user_hostfwd_add(NetClient *nc, const char *spec, char *err, size_t errlen);
/* hostfwd_remove: spec is [tcp|udp]:[hostaddr]:hostport; 1 removed, 0 no
 * such rule, -1 not in that syntax. */
int net_user_hostfwd_remove(NetClient *nc, const char *spec);
/* libslirp's connection table, as `info usernet` shows it (malloc'd; NULL
 * without libslirp). */
char *net_user_connection_info(NetClient *nc);
