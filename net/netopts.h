/* Networking options (-netdev, -nic, -net) and the topology they describe
 * together with the network devices of -device: parsed into a plan (checked
 * at option time, so mistakes end the program before anything starts) and
 * built on the machine before boot. Backends come from the backend table
 * (net/backend.h), NIC models from the device registry (hw/device.h). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/device.h"
#include "hw/machine.h"
#include "hw/opts.h"
#include "net/backend.h"
#include "net/net.h"

typedef enum { NETOPT_NETDEV, NETOPT_NIC, NETOPT_NET } NetOptKind;

#define NET_MAX_OPTS 64

typedef enum {
    NET_HELP_NONE,
    NET_HELP_BACKENDS, /* -netdev help, -net help */
    NET_HELP_NIC,      /* -nic help: backends and NIC models */
    NET_HELP_MODELS,   /* -nic model=help, -net nic,model=help */
    NET_HELP_OPTIONS,  /* -netdev TYPE,help: the backend's options */
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
    const NetBackend *help_backend; /* NET_HELP_OPTIONS */
} NetConfig;

/* Records one option. Returns 0, or 1 with one line in err ("-netdev ...: why"). */
int netconf_add(NetConfig *c, NetOptKind kind, const char *val, char *err, size_t errlen);
void netconf_print_help(const NetConfig *c, FILE *f);

/* ---- The plan: what net_build creates. */
typedef struct PlanNetdev {
    const NetBackend *backend;
    char *name;
    const char *origin; /* the option that made it, for messages: "-netdev user,id=n0" */
    void *conf;         /* the backend's parsed options */
    Opts *opts;         /* the option text backing conf's strings */
    /* hub wiring (hubports only) */
    int hub;       /* its hub */
    int link;      /* index of the netdev on its other side, or -1 */
    char *link_name;
    /* who is wired to it */
    int nic;       /* index of the NIC wired to it, or -1 */
    int linked_by; /* index of the hubport wired to it, or -1 */
    NetClient *client; /* once built */
} PlanNetdev;

typedef struct PlanNic {
    const DeviceModel *model;
    DeviceSpec *spec; /* board NICs: the device as -nic/-net describe it */
    int device;       /* -device NICs: the index in the device list; -1 for board ones */
    char *name;       /* id=, or MODEL.N */
    char *id;
    const char *origin;
    bool board;       /* from -nic/-net (created first, as QEMU's board does) */
    bool mac_set;
    uint8_t mac[6];
    int devfn;        /* -1: first free slot */
    int netdev;       /* index, or -1: unconnected */
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

/* Parses and checks everything (defaults included): the networking options
 * and the network devices among devices. Returns 0 with *out, or 1 with err. */
int net_plan(const NetConfig *c, const DeviceList *devices, bool nodefaults, NetPlan **out,
             char *err, size_t errlen);
void net_plan_free(NetPlan *p);

/* Creates the backends, hubs and board NICs (-nic, -net nic) of the plan
 * and prints its warnings ("wirebox: warning: ..."). Returns 0, or 1 with
 * err. Then devices_create with net_wire_device wires the -device NICs. */
int net_build(Machine *m, NetPlan *p, char *err, size_t errlen);
/* A DeviceWire (hw/device.h) for devices_create: peer, MAC and name of the
 * -device NIC at index; leaves other devices alone. opaque: the NetPlan. */
void net_wire_device(void *opaque, int index, const DeviceSpec *spec, DeviceContext *ctx);

/* Everything networking: plan, build, then every -device in order. Returns
 * 0, or 1 with err. */
int net_build_all(Machine *m, const NetConfig *c, const DeviceList *devices, bool nodefaults,
                  char *err, size_t errlen);
