/* What a PC BIOS would have done before an OS starts, done from the host:
 * PCI resources and interrupt routing, the BIOS data area, the $PIR table.
 * Also loading a raw -bios ROM image. */
#include "bios/bios.h"
#include "hw/bytes.h"
#include "hw/pci_regs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const uint8_t bios_pirq_irq[4] = {10, 10, 11, 11};

/* Standard COM port addresses, in BIOS data area order. */
static const uint16_t com_ports[MAX_SERIAL] = {0x3F8, 0x2F8, 0x3E8, 0x2E8};


/* ------------------------------------------------------------------ helpers */

bool bios_ram_write(Machine *m, uint32_t paddr, const void *src, size_t len)
{
    if (paddr > m->ram_size || len > m->ram_size - paddr)
        return false;
    if (src)
        memcpy(m->ram + paddr, src, len);
    else
        memset(m->ram + paddr, 0, len);
    if (m->cpu && len)
        cpu_invalidate_phys(m->cpu, paddr, (uint32_t)len);
    return true;
}

uint8_t *bios_read_file(const char *what, const char *path, size_t max, size_t *size, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        wb_errf(err, errlen, "%s %s: cannot open: %s", what, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        wb_errf(err, errlen, "%s %s: not a regular file", what, path);
        fclose(f);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        wb_errf(err, errlen, "%s %s: too big (%llu bytes; at most %zu fit)", what, path,
                 (unsigned long long)st.st_size, max);
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        wb_errf(err, errlen, "%s %s: out of memory reading %zu bytes", what, path, n);
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, n, f);
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (got != n) {
        wb_errf(err, errlen, "%s %s: read error: %s", what, path,
                 rerr ? strerror(rerr) : "file changed while reading");
        free(buf);
        return NULL;
    }
    *size = n;
    return buf;
}

/* ------------------------------------------------------------------ PCI */

typedef struct BarReq {
    int devfn, bar;
    uint32_t size;
    bool io, is64;
} BarReq;

static int bar_cmp(const void *a, const void *b)
{
    const BarReq *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1; /* largest first: no alignment holes */
    if (x->devfn != y->devfn)
        return x->devfn - y->devfn;
    return x->bar - y->bar;
}

static bool pci_present(PciBus *b, int devfn)
{
    if (!pci_find(b, devfn))
        return false;
    uint32_t vendor = pci_config_read(b, devfn, PCI_VENDOR_ID, 1);
    return vendor != 0xFFFF && vendor != 0;
}

static void pci_setup(Machine *m, PciBus *b)
{
    BarReq reqs[256 * 6];
    int nreq = 0;
    uint16_t want_cmd[256] = {0};
    bool has_bars[256] = {false};

    for (int devfn = 0; devfn < 256; devfn++) {
        if (!pci_present(b, devfn))
            continue;
        if ((pci_config_read(b, devfn, PCI_HEADER_TYPE, 0) & 0x7F) != 0)
            continue; /* bridges: none on this board */
        /* Decoding off while the BARs are probed and moved. */
        uint32_t cmd = pci_config_read(b, devfn, PCI_COMMAND, 1);
        pci_config_write(b, devfn, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM), 1);
        for (int i = 0; i < 6; i++) {
            uint32_t reg = PCI_BAR0 + 4 * i;
            uint32_t old = pci_config_read(b, devfn, reg, 2);
            pci_config_write(b, devfn, reg, 0xFFFFFFFFu, 2);
            uint32_t probe = pci_config_read(b, devfn, reg, 2);
            pci_config_write(b, devfn, reg, old, 2);
            if (probe == 0 || probe == 0xFFFFFFFFu)
                continue;
            BarReq r = {.devfn = devfn, .bar = i};
            if (probe & 1) {
                uint32_t mask = probe & ~3u;
                if (!(mask & 0xFFFF0000u))
                    mask |= 0xFFFF0000u; /* 16-bit I/O decoder */
                r.io = true;
                r.size = ~mask + 1;
            } else {
                r.size = ~(probe & ~0xFu) + 1;
                r.is64 = ((probe >> 1) & 3) == 2;
            }
            if (r.is64)
                i++; /* the upper half is not a BAR of its own */
            if (r.size == 0 || (r.size & (r.size - 1)))
                continue; /* not a power of two: broken BAR, leave it alone */
            reqs[nreq++] = r;
            has_bars[devfn] = true;
        }
        if (has_bars[devfn])
            want_cmd[devfn] = (uint16_t)(cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
        else
            pci_config_write(b, devfn, PCI_COMMAND, cmd, 1);
    }

    qsort(reqs, (size_t)nreq, sizeof reqs[0], bar_cmp);
    uint32_t mem_next = BIOS_PCI_MEM_BASE, io_next = BIOS_PCI_IO_BASE;
    bool assigned[256] = {false};
    for (int k = 0; k < nreq; k++) {
        BarReq *r = &reqs[k];
        uint32_t *next = r->io ? &io_next : &mem_next;
        uint32_t end = r->io ? BIOS_PCI_IO_END : BIOS_PCI_MEM_END;
        /* I/O BARs smaller than 16 bytes still get 16-byte spacing. */
        uint32_t align = r->size < 16 ? 16 : r->size;
        uint64_t base = ((uint64_t)*next + align - 1) & ~(uint64_t)(align - 1);
        if (base + r->size > end) {
            wb_log("firmware: no %s space left for PCI %02x.%x BAR%d (%u bytes); left "
                   "unassigned",
                   r->io ? "I/O" : "memory", PCI_SLOT(r->devfn), PCI_FUNC(r->devfn), r->bar,
                   r->size);
            continue;
        }
        *next = (uint32_t)(base + r->size);
        uint32_t reg = PCI_BAR0 + 4 * r->bar;
        pci_config_write(b, r->devfn, reg, (uint32_t)base, 2);
        if (r->is64)
            pci_config_write(b, r->devfn, reg + 4, 0, 2);
        want_cmd[r->devfn] |= r->io ? PCI_CMD_IO : PCI_CMD_MEM;
        assigned[r->devfn] = true;
    }

    for (int devfn = 0; devfn < 256; devfn++) {
        if (!pci_present(b, devfn))
            continue;
        if (has_bars[devfn])
            pci_config_write(b, devfn, PCI_COMMAND,
                             want_cmd[devfn] | (assigned[devfn] ? PCI_CMD_MASTER : 0), 1);
        int pin = (int)pci_config_read(b, devfn, PCI_INTERRUPT_PIN, 0);
        if (pin >= 1 && pin <= 4)
            pci_config_write(b, devfn, PCI_INTERRUPT_LINE,
                             bios_pirq_irq[pci_pirq(PCI_SLOT(devfn), pin)], 0);
    }
}

static int find_router(PciBus *b)
{
    if (pci_present(b, PIIX3_DEVFN) &&
        pci_config_read(b, PIIX3_DEVFN, PCI_VENDOR_ID, 1) == PIIX3_VENDOR &&
        pci_config_read(b, PIIX3_DEVFN, PCI_DEVICE_ID, 1) == PIIX3_DEVICE)
        return PIIX3_DEVFN;
    for (int devfn = 0; devfn < 256; devfn++)
        if (pci_present(b, devfn) && pci_config_read(b, devfn, PCI_VENDOR_ID, 1) == PIIX3_VENDOR &&
            pci_config_read(b, devfn, PCI_DEVICE_ID, 1) == PIIX3_DEVICE)
            return devfn;
    return -1;
}

static void irq_routing_setup(Machine *m, PciBus *b)
{
    int router = b ? find_router(b) : -1;
    if (router >= 0)
        for (int i = 0; i < 4; i++)
            pci_config_write(b, router, BIOS_PIRQ_LINK_BASE + i, bios_pirq_irq[i], 0);
    /* The PCI IRQs are level-triggered and shareable: tell the 8259s. */
    uint16_t elcr = 0;
    for (int i = 0; i < 4; i++)
        elcr |= (uint16_t)(1u << bios_pirq_irq[i]);
    elcr &= (uint16_t) ~((1u << 0) | (1u << 1) | (1u << 2) | (1u << 8) | (1u << 13));
    port_write(m, 0x4D0, elcr & 0xFF, 0);
    port_write(m, 0x4D1, elcr >> 8, 0);
}

/* ------------------------------------------------------------------ tables */

/* PCI IRQ Routing Table Specification 1.0: a 32-byte header and one 16-byte
 * entry per slot, each INTx# pin naming its link (PIIX3 route register) and
 * the IRQs that link may be routed to. */
#define PIR_HDR 32
#define PIR_ENTRY 16
#define PIR_SLOTS 31 /* slots 1..31; slot 0 is the host bridge */
#define PIR_SIZE (PIR_HDR + PIR_ENTRY * PIR_SLOTS)
#define PIR_IRQ_MASK ((1u << 5) | (1u << 9) | (1u << 10) | (1u << 11))

static void pir_write(Machine *m, int router_devfn)
{
    uint8_t t[PIR_SIZE];
    memset(t, 0, sizeof t);
    memcpy(t, "$PIR", 4);
    st16le(t + 4, 0x0100); /* version 1.0 */
    st16le(t + 6, PIR_SIZE);
    t[8] = 0; /* router bus */
    t[9] = (uint8_t)(router_devfn >= 0 ? router_devfn : PIIX3_DEVFN);
    st16le(t + 10, 0);            /* no IRQs exclusive to PCI */
    st16le(t + 12, PIIX3_VENDOR); /* compatible router */
    st16le(t + 14, PIIX3_DEVICE);
    /* 16..19 miniport data, 20..30 reserved: zero */
    for (int s = 0; s < PIR_SLOTS; s++) {
        int slot = s + 1;
        uint8_t *e = t + PIR_HDR + PIR_ENTRY * s;
        e[0] = 0;                    /* bus */
        e[1] = (uint8_t)(slot << 3); /* device, function 0 */
        for (int pin = 1; pin <= 4; pin++) {
            e[2 + 3 * (pin - 1)] = (uint8_t)(BIOS_PIRQ_LINK_BASE + pci_pirq(slot, pin));
            st16le(e + 3 + 3 * (pin - 1), PIR_IRQ_MASK);
        }
        e[14] = 0; /* embedded: no physical slot number */
        e[15] = 0;
    }
    uint8_t sum = 0;
    for (int i = 0; i < PIR_SIZE; i++)
        sum = (uint8_t)(sum + t[i]);
    t[31] = (uint8_t)(0x100 - sum);
    bios_ram_write(m, BIOS_PIR_ADDR, t, sizeof t);
}

/* BIOS data area at 0x400 and a 1 KiB extended BIOS data area at 0x9FC00. */
static void bda_write(Machine *m, const PcBoard *board)
{
    uint8_t bda[0x20];
    memset(bda, 0, sizeof bda);
    int ncom = 0;
    for (int i = 0; i < MAX_SERIAL; i++)
        if (board && board->uart[i])
            st16le(bda + 2 * ncom++, com_ports[i]);
    st16le(bda + 0x0E, 0x9FC0);                         /* EBDA segment */
    st16le(bda + 0x10, (uint16_t)(0x0002 | ncom << 9)); /* equipment: x87, serial ports */
    st16le(bda + 0x13, 639);                            /* base memory in KiB */
    bios_ram_write(m, 0x400, bda, sizeof bda);
    uint8_t ebda[16] = {1}; /* size in KiB */
    bios_ram_write(m, 0x9FC00, ebda, sizeof ebda);
}

void firmware_setup(Machine *m)
{
    PcBoard *board = pc_board(m); /* NULL on a bare machine */
    PciBus *pci = board ? board->pci : NULL;
    int router = -1;
    if (pci) {
        pci_setup(m, pci);
        router = find_router(pci);
    }
    if (board)
        irq_routing_setup(m, pci);
    bda_write(m, board);
    pir_write(m, router);
    if (board && board->vga)
        vga_bios_text_mode(board->vga); /* what the VGA BIOS's mode 3 leaves */
}

/* ------------------------------------------------------------------ -bios */

#define ROM_MAX (256u * 1024)
#define ROM_LOW_MAX (128u * 1024)
#define ROM_ALIGN (64u * 1024)

static void rom_copy_low(Machine *m)
{
    uint32_t low = m->rom_size < ROM_LOW_MAX ? m->rom_size : ROM_LOW_MAX;
    bios_ram_write(m, 0x100000 - low, m->rom + m->rom_size - low, low);
}

static void rom_on_reset(Machine *m, void *opaque)
{
    (void)opaque;
    if (m->rom)
        rom_copy_low(m);
}

int bios_load_rom(Machine *m, const char *path, char *err, size_t errlen)
{
    size_t n;
    uint8_t *img = bios_read_file("-bios", path, ROM_MAX, &n, err, errlen);
    if (!img)
        return -1;
    if (n == 0) {
        wb_errf(err, errlen, "-bios %s: file is empty", path);
        free(img);
        return -1;
    }
    if (m->ram_size < 0x100000) {
        wb_errf(err, errlen, "-bios %s: guest RAM is smaller than 1 MiB", path);
        free(img);
        return -1;
    }
    uint32_t size = (uint32_t)((n + ROM_ALIGN - 1) & ~(size_t)(ROM_ALIGN - 1));
    uint8_t *rom = malloc(size);
    if (!rom) {
        wb_errf(err, errlen, "-bios %s: out of memory", path);
        free(img);
        return -1;
    }
    /* The image's end is the top of the 4 GiB space (reset vector at -16). */
    memset(rom, 0xFF, size - n);
    memcpy(rom + (size - n), img, n);
    free(img);
    free(m->rom);
    m->rom = rom;
    m->rom_size = size;
    rom_copy_low(m);
    if (m->cpu)
        cpu_tlb_flush(m->cpu, true);
    m->on_reset = rom_on_reset;
    m->on_reset_opaque = NULL;
    return 0;
}
