/* The part every NIC model shares (net/nic.h). */
#include "net/nic.h"

#include <stdlib.h>
#include <string.h>

#include "bios/bios.h"
#include "hw/bytes.h"
#include "hw/pci_regs.h"

/* The boot ROM: romfile= if given (empty: none), else the model's. */
static int nic_load_rom(Nic *n, const DeviceContext *ctx, const NicPciId *id, char *err,
                        size_t errlen)
{
    bool given = ctx->spec && dev_is_set(ctx->spec, "romfile");
    const char *name = given ? dev_str(ctx->spec, "romfile") : id->romfile;
    if (!name || !*name)
        return 0;
    char *path = fw_find(name);
    if (!path) {
        if (given)
            return wb_errf(err, errlen, "romfile '%s' not found in %s", name, fw_dirs_text());
        wb_log("warning: %s: no boot ROM: '%s' is not in %s (Debian's ipxe-qemu has it)",
               ctx->name, name, fw_dirs_text());
        return 0;
    }
    size_t len;
    uint8_t *data = bios_read_file("romfile", path, PCI_ROM_MAX, &len, err, errlen);
    free(path);
    if (!data)
        return 1;
    int rc = 0;
    if (len == 0 || pci_register_rom(n->pci, data, len))
        rc = wb_errf(err, errlen, "romfile '%s' is empty", name);
    free(data);
    return rc;
}

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
    if (nic_load_rom(n, ctx, id, err, errlen))
        return 1;
    memcpy(n->mac, ctx->mac, 6);
    n->nc = net_client_new(ctx->m, info, ctx->name, opaque);
    net_client_set_info(n->nc, "model=%s,macaddr=%02x:%02x:%02x:%02x:%02x:%02x", info->type,
                        n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
    if (ctx->peer)
        net_client_set_peer(n->nc, ctx->peer);
    machine_add_reset(ctx->m, reset, opaque);
    return 0;
}
