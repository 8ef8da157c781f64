/* Netdev backends: what -netdev TYPE (and -nic TYPE, -net TYPE) creates.
 * Each backend is one file with one const NetBackend, listed once in
 * net/backend_table.c; -netdev, -nic, -net, -netdev help and the "not
 * supported" message all walk that table. Adding a backend is one new file
 * and one row. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hw/machine.h"
#include "hw/opts.h"
#include "net/net.h"

typedef struct NetBackendOption {
    const char *name; /* as -netdev TYPE,NAME=... spells it */
    const char *help; /* one line for -netdev TYPE,help */
} NetBackendOption;

typedef struct NetBackend {
    const char *type; /* "user" */
    const char *desc; /* one line */
    /* NULL when this build has it; otherwise why not (one line). */
    const char *(*missing)(void);
    /* A host network backend: -nic TYPE and -net TYPE can make one. */
    bool host;
    /* The options it takes (for -netdev TYPE,help), ended by {NULL}. */
    const NetBackendOption *options;
    /* Parses and checks the backend's own options (type and id are taken;
     * every key it reads is marked used, the layer rejects the rest).
     * Returns 0 with *conf (freed by free_conf), or 1 with one line in err,
     * starting with origin (the option as given). */
    int (*parse)(Opts *o, const char *origin, void **conf, char *err, size_t errlen);
    void (*free_conf)(void *conf);
    /* Creates the client named name on m. NULL with one line in err. */
    NetClient *(*create)(Machine *m, const char *name, const void *conf, char *err,
                         size_t errlen);
} NetBackend;

/* The table (net/backend_table.c), NULL-terminated, in -netdev help order. */
extern const NetBackend *const net_backends[];
/* QEMU's backend types that wirebox does not have yet, NULL-terminated. */
extern const char *const net_backends_not_yet[];
const NetBackend *net_backend_find(const char *type);
/* Why a type cannot be used: "not supported by wirebox yet", missing from
 * this build, or not a backend at all. NULL if it can. Into err. */
int net_backend_check(const char *type, const char *origin, char *err, size_t errlen);
/* -netdev help: the types this build has, one per line. */
void net_backend_print_types(FILE *f);

/* ---- hubport (net/hub.c): a port of hub hubid, optionally wired to the
 * backend named link. The planner wires and checks hubs (they are part of
 * the netdev layer), so it reads this configuration. */
typedef struct HubportConf {
    int hub;
    const char *link; /* netdev=, or NULL; points into the options */
} HubportConf;
extern const NetBackend net_hubport_backend;
