/* What every network card model does besides its own registers: a PCI
 * function, a client of the netdev layer wired to its peer, a MAC address
 * and a reset with the machine. A NIC model is a device (hw/device.h) whose
 * properties include NIC_PROPS; its create function calls nic_init and then
 * sets up only its own BARs and registers. */
#pragma once
#include "hw/chips.h"
#include "hw/device.h"
#include "net/net.h"

/* The properties every NIC has, for a model's property table. */
#define NIC_PROPS                                                                                  \
    {"mac", PROP_MAC, NULL, "Ethernet 6-byte MAC Address, example: 52:54:00:12:34:56"},         \
    {"netdev", PROP_NETDEV, NULL, "ID of a netdev to use as a backend"},                       \
    {"romfile", PROP_STR, NULL, "boot ROM file (default: the model's iPXE ROM; empty: none)"}

/* The PCI identity of a NIC model. */
typedef struct NicPciId {
    uint16_t vendor, device;
    uint16_t subsys_vendor, subsys; /* 0: the same as vendor/device */
    uint8_t revision;
    uint32_t class_code; /* 0x020000: Ethernet controller */
    const char *romfile; /* its boot ROM as QEMU names it (Debian's ipxe-qemu), or NULL */
} NicPciId;

typedef struct Nic {
    Machine *m;
    PciDevice *pci;
    NetClient *nc;
    uint8_t mac[6];
} Nic;

/* Registers the PCI function (ctx->devfn, or the first free slot) with its
 * expansion ROM (romfile=, else id->romfile, found with fw_find; a missing
 * default ROM is a warning, a missing romfile= an error), creates the
 * client (named ctx->name, with opaque, wired to ctx->peer), copies
 * ctx->mac, and registers reset (called with opaque) with the machine.
 * Returns 0, or 1 with one line in err. The model calls its reset itself
 * once its state is set up. */
int nic_init(Nic *n, const DeviceContext *ctx, const NicPciId *id, const NetClientInfo *info,
             void *opaque, void (*reset)(void *opaque), char *err, size_t errlen);

/* ---- Model self-checks, for the fuzz targets and tests. */

/* hw/e1000.c: the e1000's invariants (indexes and fill levels within bounds,
 * interrupt and link state consistent): NULL, or the one that is broken.
 * nc must be an e1000's client. */
const char *e1000_selfcheck(NetClient *nc);
/* A register as stored, without a guest read's side effects; 0 if off is
 * beyond the register file. */
uint32_t e1000_raw_reg(NetClient *nc, uint32_t off);
