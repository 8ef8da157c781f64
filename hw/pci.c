/* PCI bus 0: configuration mechanism #1 (0xCF8 address, 0xCFC-0xCFF data),
 * the i440FX host bridge (00.0) with its PAM registers (shadow RAM at
 * 0xC0000-0xFFFFF), the PIIX3 PCI-to-ISA bridge (01.0) with its PIRQ route
 * registers, BAR and expansion ROM decoding, INTx routing to the 8259As.
 *
 * Config hooks (PciDevice.config_read / config_write): a config_read hook
 * replaces the default read (it may return bytes of d->config itself); a
 * config_write hook is called after the default write (wmask applied to
 * d->config, status RW1C bits, BAR remapping, INTx disable) with the raw
 * value, to react to or store device-specific registers.
 *
 * Port 0xCF9 is the PIIX3's reset control register and lies inside
 * 0xCF8-0xCFB: only dword accesses at 0xCF8 reach the address register, a
 * byte access at 0xCF9 reaches the reset control register, other byte and
 * word accesses go to the ISA bus (nothing there). */
#include <stdlib.h>
#include <string.h>

#include "hw/chips.h"
#include "hw/bytes.h"
#include "hw/machine.h"
#include "hw/pci_regs.h"


struct PciBus {
    Machine *m;
    Pic *pic;
    uint32_t addr; /* CONFIG_ADDRESS */
    PciDevice *dev[256];
    PciDevice *piix3;
    uint8_t rcr;         /* PIIX3 reset control (0xCF9): SRST and FULL_RST as written */
    uint16_t pci_levels; /* ISA IRQs currently held high by PCI devices */
};

static bool overlaps(uint32_t addr, int size, uint32_t lo, uint32_t hi)
{
    return addr < hi && addr + (uint32_t)size > lo;
}

/* ---- interrupts */

/* The ISA IRQ that INTx of d reaches through the PIIX3, or -1. */
static int pci_route(PciBus *b, PciDevice *d)
{
    int pin = d->config[PCI_INTERRUPT_PIN];
    if (pin < 1 || pin > 4 || !b->piix3)
        return -1;
    int pirq = pci_pirq(PCI_SLOT(d->devfn), pin);
    uint8_t r = b->piix3->config[PIIX3_PIRQ + pirq];
    if (r & 0x80)
        return -1;
    int irq = r & 0x0F;
    if (irq < 3 || irq == 8 || irq == 13)
        return -1; /* reserved routing values */
    return irq;
}

/* The OR of all INTx levels per ISA IRQ, as the routing says now. */
static uint16_t pci_irq_levels(PciBus *b)
{
    uint16_t levels = 0;
    for (int i = 0; i < 256; i++) {
        PciDevice *d = b->dev[i];
        if (!d || !d->irq_level)
            continue;
        if ((d->config[PCI_COMMAND] | d->config[PCI_COMMAND + 1] << 8) & PCI_CMD_INTX_DISABLE)
            continue;
        int irq = pci_route(b, d);
        if (irq >= 0)
            levels |= (uint16_t)(1u << irq);
    }
    return levels;
}

/* Recompute the levels; drive only the changes. */
static void pci_update_irqs(PciBus *b)
{
    uint16_t levels = pci_irq_levels(b);
    uint16_t changed = levels ^ b->pci_levels;
    b->pci_levels = levels;
    for (int irq = 0; irq < 16; irq++)
        if ((changed >> irq) & 1)
            pic_set_irq(b->pic, irq, (levels >> irq) & 1);
}

void pci_set_irq(PciDevice *d, int level)
{
    d->irq_level = level != 0;
    if (d->irq_level)
        d->config[PCI_STATUS] |= PCI_STATUS_INT;
    else
        d->config[PCI_STATUS] &= ~PCI_STATUS_INT;
    pci_update_irqs(d->bus);
}

/* ---- BARs */

static void pci_update_bars(PciDevice *d)
{
    Machine *m = d->bus->m;
    uint16_t cmd = (uint16_t)(d->config[PCI_COMMAND] | d->config[PCI_COMMAND + 1] << 8);
    for (int i = 0; i < 6; i++) {
        PciBar *bar = &d->bar[i];
        if (!bar->size || !bar->region)
            continue;
        uint32_t v = ld32le(d->config + PCI_BAR0 + 4 * i);
        uint32_t base;
        bool en;
        if (bar->io) {
            base = v & ~3u;
            en = (cmd & PCI_CMD_IO) && base && (uint64_t)base + bar->size <= 0x10000;
        } else {
            base = v & ~0xFu;
            /* Not while it holds the all-ones sizing pattern. */
            en = (cmd & PCI_CMD_MEM) && base && (uint64_t)base + bar->size <= 0x100000000ull &&
                 (v | (bar->size - 1) | 0xF) != 0xFFFFFFFFu;
        }
        IoRegion *r = bar->region;
        if (en != r->enabled || (en && base != r->base))
            region_map(m, r, en ? base : r->base, en);
    }
    /* Expansion ROM: decoded when its enable bit and memory space are on. */
    if (d->rom_bar.region) {
        uint32_t v = ld32le(d->config + PCI_ROM_ADDRESS);
        uint32_t base = v & PCI_ROM_ADDRESS_MASK;
        bool en = (v & PCI_ROM_ADDRESS_ENABLE) && (cmd & PCI_CMD_MEM) && base &&
                  (uint64_t)base + d->rom_bar.size <= 0x100000000ull;
        IoRegion *r = d->rom_bar.region;
        if (en != r->enabled || (en && base != r->base))
            region_map(m, r, en ? base : r->base, en);
    }
}

void pci_register_bar(PciDevice *d, int bar, uint32_t size, bool io, DevRead rd, DevWrite wr,
                      void *opaque)
{
    if (!d || bar < 0 || bar > 5 || !size || d->bar[bar].size)
        return;
    uint32_t min = io ? 4 : 16, max = io ? 0x8000 : 0x80000000u;
    if (size < min)
        size = min;
    if (size > max)
        size = max;
    uint32_t s = min;
    while (s < size)
        s <<= 1;
    size = s;
    Machine *m = d->bus->m;
    /* Created with length 0 so that it is not mapped anywhere until the
     * guest (or firmware) places it. */
    IoRegion *r = io ? io_register(m, d->name, 0, 0, opaque, rd, wr)
                     : mmio_register(m, d->name, 0, 0, opaque, rd, wr);
    r->len = size;
    d->bar[bar] = (PciBar){.size = size, .io = io, .region = r};
    uint32_t mask = ~(size - 1) & (io ? ~3u : ~0xFu);
    st32le(d->wmask + PCI_BAR0 + 4 * bar, mask);
    st32le(d->config + PCI_BAR0 + 4 * bar, io ? 1u : 0u);
}

static uint32_t rom_read(void *opaque, uint32_t offset, int size_log2)
{
    PciDevice *d = opaque;
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2); i++) {
        uint32_t o = offset + (uint32_t)i;
        v |= (uint32_t)(o < d->rom_len ? d->rom_data[o] : 0) << (8 * i);
    }
    return v;
}

int pci_register_rom(PciDevice *d, const uint8_t *data, size_t len)
{
    if (!d || !len || len > PCI_ROM_MAX || d->rom_bar.size)
        return -1;
    uint32_t size = 0x800; /* the smallest ROM BAR decodes 2 KiB */
    while (size < len)
        size <<= 1;
    Machine *m = d->bus->m;
    uint8_t *copy = machine_zalloc(m, len);
    memcpy(copy, data, len);
    d->rom_data = copy;
    d->rom_len = (uint32_t)len;
    IoRegion *r = mmio_register(m, d->name, 0, 0, d, rom_read, NULL);
    r->len = size;
    d->rom_bar = (PciBar){.size = size, .region = r};
    st32le(d->wmask + PCI_ROM_ADDRESS, (~(size - 1) & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE);
    st32le(d->config + PCI_ROM_ADDRESS, 0);
    return 0;
}

/* ---- config space */

static uint32_t ones(int size_log2)
{
    return 0xFFFFFFFFu >> (32 - (8 << size_log2));
}

static uint32_t pci_default_read(PciDevice *d, uint32_t addr, int size_log2)
{
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2); i++)
        v |= (uint32_t)d->config[(addr + i) & 0xFF] << (8 * i);
    return v;
}

static void pci_default_write(PciDevice *d, uint32_t addr, uint32_t val, int size_log2)
{
    int size = 1 << size_log2;
    for (int i = 0; i < size; i++) {
        uint32_t a = (addr + i) & 0xFF;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (a == PCI_STATUS + 1) { /* error bits 11-15 and 8: write 1 to clear */
            d->config[a] &= ~(b & 0xF9);
            continue;
        }
        d->config[a] = (uint8_t)((d->config[a] & ~d->wmask[a]) | (b & d->wmask[a]));
    }
    if (overlaps(addr, size, PCI_COMMAND, PCI_COMMAND + 2) || overlaps(addr, size, 0x10, 0x28) ||
        overlaps(addr, size, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS + 4))
        pci_update_bars(d);
    if (overlaps(addr, size, PCI_COMMAND, PCI_COMMAND + 2))
        pci_update_irqs(d->bus);
}

PciDevice *pci_find(PciBus *b, int devfn)
{
    if (!b || devfn < 0 || devfn > 255)
        return NULL;
    return b->dev[devfn];
}

uint32_t pci_config_read(PciBus *b, int devfn, uint32_t addr, int size_log2)
{
    if (size_log2 < 0 || size_log2 > 2)
        size_log2 = 2;
    PciDevice *d = pci_find(b, devfn);
    if (!d || addr > 0xFF || addr + (1u << size_log2) > 0x100)
        return ones(size_log2);
    uint32_t v =
        d->config_read ? d->config_read(d, addr, size_log2) : pci_default_read(d, addr, size_log2);
    return v & ones(size_log2);
}

void pci_config_write(PciBus *b, int devfn, uint32_t addr, uint32_t val, int size_log2)
{
    if (size_log2 < 0 || size_log2 > 2)
        return;
    PciDevice *d = pci_find(b, devfn);
    if (!d || addr > 0xFF || addr + (1u << size_log2) > 0x100)
        return;
    val &= ones(size_log2);
    pci_default_write(d, addr, val, size_log2);
    if (d->config_write)
        d->config_write(d, addr, val, size_log2);
}

/* ---- mechanism #1 ports */

/* Reset control: RCPU (bit 2) resets now; hard (SRST) and soft resets are
 * the same here. */
static void rcr_write(PciBus *b, uint8_t val)
{
    b->rcr = val & 0x0A;
    if (val & 0x04) {
        b->rcr = 0;
        machine_request_reset(b->m);
    }
}

static uint32_t cf8_read(void *opaque, uint32_t offset, int size_log2)
{
    PciBus *b = opaque;
    if (offset == 0 && size_log2 == 2)
        return b->addr;
    if (offset == 1 && size_log2 == 0)
        return b->rcr;
    return ones(size_log2);
}

static void cf8_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    PciBus *b = opaque;
    if (offset == 0 && size_log2 == 2)
        b->addr = val & 0x80FFFFFCu;
    else if (offset == 1 && size_log2 == 0)
        rcr_write(b, (uint8_t)val);
    /* Other byte/word accesses go to the ISA bus: ignored. */
}

static bool cfc_target(PciBus *b, uint32_t offset, int *devfn, uint32_t *reg)
{
    if (!(b->addr & 0x80000000u) || ((b->addr >> 16) & 0xFF) != 0)
        return false;
    *devfn = (b->addr >> 8) & 0xFF;
    *reg = (b->addr & 0xFC) + (offset & 3);
    return true;
}

static uint32_t cfc_read(void *opaque, uint32_t offset, int size_log2)
{
    PciBus *b = opaque;
    int devfn;
    uint32_t reg;
    if (offset + (1u << size_log2) > 4 || !cfc_target(b, offset, &devfn, &reg))
        return ones(size_log2);
    return pci_config_read(b, devfn, reg, size_log2);
}

static void cfc_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    PciBus *b = opaque;
    int devfn;
    uint32_t reg;
    if (offset + (1u << size_log2) > 4 || !cfc_target(b, offset, &devfn, &reg))
        return;
    pci_config_write(b, devfn, reg, val, size_log2);
}

/* ---- devices */

PciDevice *pci_register_device(PciBus *b, const char *name, int devfn, uint16_t vendor,
                               uint16_t device, uint8_t revision, uint32_t class_code, void *opaque)
{
    if (!b || devfn > 255)
        return NULL;
    if (devfn < 0) {
        for (int slot = 0; slot < 32 && devfn < 0; slot++) {
            bool empty = true;
            for (int f = 0; f < 8; f++)
                empty = empty && !b->dev[slot << 3 | f];
            if (empty)
                devfn = slot << 3;
        }
        if (devfn < 0)
            return NULL;
    }
    if (b->dev[devfn])
        return NULL;
    PciDevice *d = machine_zalloc(b->m, sizeof *d);
    d->bus = b;
    d->name = name;
    d->devfn = devfn;
    d->opaque = opaque;
    st16le(d->config + 0x00, vendor);
    st16le(d->config + 0x02, device);
    d->config[0x08] = revision;
    d->config[0x09] = (uint8_t)class_code;
    d->config[0x0A] = (uint8_t)(class_code >> 8);
    d->config[0x0B] = (uint8_t)(class_code >> 16);
    st16le(d->config + 0x2C, vendor); /* subsystem vendor/device */
    st16le(d->config + 0x2E, device);
    d->config[PCI_INTERRUPT_PIN] = 1;
    st16le(d->wmask + PCI_COMMAND, 0x0547); /* IO, MEM, master, parity, SERR, INTx disable */
    d->wmask[0x0C] = 0xFF;                /* cache line size */
    d->wmask[0x0D] = 0xFF;                /* latency timer */
    d->wmask[PCI_INTERRUPT_LINE] = 0xFF;
    b->dev[devfn] = d;
    /* A function other than 0: make function 0 announce a multifunction device. */
    if (PCI_FUNC(devfn) && b->dev[devfn & ~7])
        b->dev[devfn & ~7]->config[0x0E] |= 0x80;
    else if (!PCI_FUNC(devfn))
        for (int f = 1; f < 8; f++)
            if (b->dev[devfn | f])
                d->config[0x0E] |= 0x80;
    return d;
}

/* i440FX PAM0-PAM6: the read (bit 0) and write (bit 1) enables of each
 * nibble map straight onto the machine's shadow modes. PAM0's high nibble
 * covers 0xF0000-0xFFFFF; PAM1-PAM6 cover 0xC0000-0xEFFFF, 16 KiB per
 * nibble, low nibble first. */
static void i440fx_update_pam(PciDevice *hb)
{
    Machine *m = hb->bus->m;
    machine_set_shadow(m, 0xF0000, 0x10000, hb->config[I440FX_PAM0] >> 4);
    for (int i = 1; i <= 6; i++) {
        uint8_t v = hb->config[I440FX_PAM0 + i];
        uint32_t base = 0xC0000 + (uint32_t)(i - 1) * 0x8000;
        machine_set_shadow(m, base, 0x4000, v & 3);
        machine_set_shadow(m, base + 0x4000, 0x4000, (v >> 4) & 3);
    }
}

static void i440fx_config_write(PciDevice *d, uint32_t addr, uint32_t val, int size_log2)
{
    if (overlaps(addr, 1 << size_log2, I440FX_PAM0, I440FX_PAM0 + 7))
        i440fx_update_pam(d);
}

static void pci_reset(void *opaque)
{
    PciBus *b = opaque;
    b->rcr = 0;
    /* Power-on PAM: everything to the bus, so the CPU starts in the ROM. */
    PciDevice *hb = b->dev[0];
    if (hb && hb->config_write == i440fx_config_write) {
        memset(hb->config + I440FX_PAM0, 0, 7);
        hb->config[I440FX_SMRAM] = 0x02;
        i440fx_update_pam(hb);
    }
}

static void piix3_config_write(PciDevice *d, uint32_t addr, uint32_t val, int size_log2)
{
    if (overlaps(addr, 1 << size_log2, PIIX3_PIRQ, PIIX3_PIRQ + 4))
        pci_update_irqs(d->bus);
}

PciBus *pci_init(Machine *m, Pic *pic)
{
    PciBus *b = machine_zalloc(m, sizeof *b);
    b->m = m;
    b->pic = pic;
    io_register(m, "pci-addr", PCI_CONFIG_ADDRESS_PORT, 4, b, cf8_read, cf8_write);
    io_register(m, "pci-data", PCI_CONFIG_DATA_PORT, 4, b, cfc_read, cfc_write);

    /* i440FX PMC host bridge */
    PciDevice *hb = pci_register_device(b, "i440fx", 0, I440FX_VENDOR, I440FX_DEVICE, 0x02, 0x060000, NULL);
    st16le(hb->config + PCI_COMMAND, 0x0006);
    st16le(hb->config + PCI_STATUS, 0x0280);
    hb->config[PCI_INTERRUPT_PIN] = 0;
    hb->wmask[PCI_INTERRUPT_LINE] = 0;
    /* QEMU's subsystem IDs: how SeaBIOS knows it runs on a QEMU-like PC. */
    st16le(hb->config + PCI_SUBSYSTEM_VENDOR_ID, QEMU_SUBSYS_VENDOR);
    st16le(hb->config + PCI_SUBSYSTEM_ID, QEMU_SUBSYS_ID);
    hb->wmask[I440FX_PAM0] = 0x30; /* PAM0's low nibble is reserved */
    for (int i = 1; i <= 6; i++)
        hb->wmask[I440FX_PAM0 + i] = 0x33;
    hb->config[I440FX_SMRAM] = 0x02;
    hb->wmask[I440FX_SMRAM] = 0x78;
    hb->config_write = i440fx_config_write;
    i440fx_update_pam(hb);

    /* PIIX3 PCI-to-ISA bridge, multifunction (IDE etc. live at 01.1+) */
    PciDevice *isa = pci_register_device(b, "piix3", PIIX3_DEVFN, PIIX3_VENDOR, PIIX3_DEVICE, 0x00, 0x060100, NULL);
    isa->config[0x0E] = 0x80;
    st16le(isa->config + PCI_COMMAND, 0x0007);
    st16le(isa->config + PCI_STATUS, 0x0200);
    isa->config[PCI_INTERRUPT_PIN] = 0;
    isa->wmask[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0; i < 4; i++) {
        isa->config[PIIX3_PIRQ + i] = 0x80;
        isa->wmask[PIIX3_PIRQ + i] = 0x8F;
    }
    isa->config[0x4C] = 0x4D; /* ISA I/O recovery timer */
    isa->wmask[0x4C] = 0xFF;
    isa->config[0x4E] = 0x03; /* X-bus chip select */
    isa->wmask[0x4E] = 0xFF;
    isa->config[0x69] = 0x02; /* top of memory */
    isa->wmask[0x69] = 0xFE;
    isa->config[0x70] = 0x80; /* motherboard IRQ routing: disabled */
    isa->wmask[0x70] = 0xCF;
    isa->config[0x71] = 0x80;
    isa->wmask[0x71] = 0xCF;
    isa->config_write = piix3_config_write;
    b->piix3 = isa;
    machine_add_reset(m, pci_reset, b);
    return b;
}

Machine *pci_bus_machine(const PciBus *b)
{
    return b->m;
}

const char *pci_selfcheck(PciBus *b)
{
    for (int i = 0; i < 256; i++) {
        const PciDevice *d = b->dev[i];
        if (d && d->irq_level != ((d->config[PCI_STATUS] & PCI_STATUS_INT) != 0))
            return "a function's interrupt status bit does not match its INTx";
    }
    if (b->pci_levels != pci_irq_levels(b))
        return "ISA IRQs held by PCI do not match the functions' INTx and the routing";
    return NULL;
}
