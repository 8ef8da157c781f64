/* The part every NIC model shares (net/nic.h). */
#include "net/nic.h"

#include <string.h>

#include "hw/bytes.h"
#include "hw/pci_regs.h"

int nic_init(Nic *n, const DeviceContext *ctx, const NicPciId *id, const NetClientInfo *info,
             void *opaque, void (*reset)(void *opaque), char *err, size_t errlen)
{
    memset(n, 0, sizeof *n);
    n->m = ctx->m;
    char *name = machine_zalloc(ctx->m, strlen(ctx->name) + 1); /* outlives the options */
    strcpy(name, ctx->name);
    PciDevice *d = pci_register_device(ctx->pci, name, ctx->devfn, id->vendor, id->device,
                                       id->revision, id->class_code, opaque);
    if (!d) {
        if (ctx->devfn < 0)
            return wb_errf(err, errlen, "no free PCI slot");
        return wb_errf(err, errlen, "PCI address %02x.%x is not free", PCI_SLOT(ctx->devfn),
                       PCI_FUNC(ctx->devfn));
    }
    if (id->subsys_vendor)
        st16le(d->config + PCI_SUBSYSTEM_VENDOR_ID, id->subsys_vendor);
    if (id->subsys)
        st16le(d->config + PCI_SUBSYSTEM_ID, id->subsys);
    n->pci = d;
    memcpy(n->mac, ctx->mac, 6);
    n->nc = net_client_new(ctx->m, info, ctx->name, opaque);
    net_client_set_info(n->nc, "model=%s,macaddr=%02x:%02x:%02x:%02x:%02x:%02x", info->type,
                        n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
    if (ctx->peer)
        net_client_set_peer(n->nc, ctx->peer);
    machine_add_reset(ctx->m, reset, opaque);
    return 0;
}
