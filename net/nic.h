/* NIC models: what -device MODEL and -nic/-net nic,model= can create. */
#pragma once
#include "net/net.h"

typedef struct NicConf {
    uint8_t mac[6];
    int devfn;        /* PCI slot/function from addr=, or -1 for the first free slot */
    NetClient *peer;  /* the netdev or hub port it is wired to; NULL = unconnected */
    const char *id;   /* id= of the device, or NULL */
} NicConf;

typedef struct NicModel {
    const char *name; /* "e1000" */
    const char *desc; /* one line for -device help / -nic model=help */
    /* Create the NIC on the machine's PCI bus and connect it to conf->peer.
     * Returns its client, or NULL with a one-line message in err. */
    NetClient *(*create)(Machine *m, const NicConf *conf, char *err, size_t errlen);
} NicModel;

/* NULL-terminated table of the models this build has. */
extern const NicModel *const nic_models[];
const NicModel *nic_model_find(const char *name);

/* hw/e1000.c: Intel 82540EM (8086:100E) */
NetClient *e1000_create(Machine *m, const NicConf *conf, char *err, size_t errlen);
