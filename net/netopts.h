/* Networking options (-netdev, -device, -nic, -net) and the topology they
 * describe: parsed into a plan (checked at option time, so mistakes end the
 * program before anything starts) and built on the machine before boot. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/machine.h"
#include "net/net.h"
#include "net/nic.h"

typedef enum { NETOPT_NETDEV, NETOPT_DEVICE, NETOPT_NIC, NETOPT_NET } NetOptKind;

#define NET_MAX_OPTS 64

typedef enum {
    NET_HELP_NONE,
    NET_HELP_BACKENDS,     /* -netdev help, -net help */
    NET_HELP_NIC,          /* -nic help: backends and NIC models */
    NET_HELP_MODELS,       /* -nic model=help, -net nic,model=help */
    NET_HELP_DEVICES,      /* -device help */
    NET_HELP_DEVICE_PROPS, /* -device e1000,help */
} NetHelp;

/* The networking options as given (values point into argv). */
typedef struct NetConfig {
    struct {
        NetOptKind kind;
        const char *val;
    } opt[NET_MAX_OPTS];
    int nopts;
    bool nic_none;  /* -nic none / -net none: no default NIC */
    NetHelp help;   /* a help request: print netconf_print_help and exit 0 */
    char help_model[32];
} NetConfig;

/* Records one option. Returns 0, or 1 with one line in err ("-netdev ...: why"). */
int netconf_add(NetConfig *c, NetOptKind kind, const char *val, char *err, size_t errlen);
/* Checks the whole configuration (syntax, values, ids, references). */
int netconf_check(const NetConfig *c, bool nodefaults, char *err, size_t errlen);
void netconf_print_help(const NetConfig *c, FILE *f);

/* ---- -netdev user */
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

/* The user backend (net/user.c). NULL with err on failure. */
NetClient *net_user_create(Machine *m, const char *name, const UserConf *u, char *err,
                           size_t errlen);
bool net_user_available(void); /* built with libslirp */

/* ---- The plan: what net_build creates. */
typedef enum { NETDEV_USER, NETDEV_HUBPORT } NetdevType;

typedef struct PlanNetdev {
    NetdevType type;
    char *name;
    const char *origin; /* the option that made it, for messages: "-netdev user,id=n0" */
    UserConf *user;
    int hub;      /* hubport: its hub id */
    int link;     /* hubport: index of the netdev on its other side, or -1 */
    int nic;      /* index of the NIC wired to it, or -1 */
    int linked_by; /* index of the hubport wired to it, or -1 */
    char *link_name;
    void *kv;     /* parsed option text backing the strings */
} PlanNetdev;

typedef struct PlanNic {
    const NicModel *model;
    char *name;   /* id=, or MODEL.N */
    char *id;
    const char *origin;
    bool board;   /* from -nic/-net (created first, as QEMU's board does) */
    bool mac_set;
    uint8_t mac[6];
    int devfn;    /* -1: first free slot */
    int netdev;   /* index, or -1: unconnected */
    char *netdev_name;
} PlanNic;

typedef struct NetPlan {
    PlanNetdev *netdevs;
    int nnetdevs;
    PlanNic *nics;
    int nnics;
    char **warnings;
    int nwarnings;
    char *origins[NET_MAX_OPTS]; /* each option's text, for messages */
} NetPlan;

/* Parses and checks everything (defaults included). Returns 0 with *out, or
 * 1 with err. */
int net_plan(const NetConfig *c, bool nodefaults, NetPlan **out, char *err, size_t errlen);
void net_plan_free(NetPlan *p);

/* Creates the backends, hubs and NICs of the plan on the machine and prints
 * its warnings ("wirebox: warning: ..."). Returns 0, or 1 with err. */
int net_build(Machine *m, const NetConfig *c, bool nodefaults, char *err, size_t errlen);

/* Helpers, for tests. */
int net_parse_mac(const char *s, uint8_t mac[6]);
int net_parse_pci_addr(const char *s, int *devfn);
