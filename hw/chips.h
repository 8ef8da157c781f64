/* Constructors and public calls of the PC's chips. One chip, one file.
 * Each chip registers its ports, its timers and its reset with the machine
 * it is given, and raises the IRQ lines it is handed. */
#pragma once
#include "hw/machine.h"

/* ---- 8259A pair (hw/pic.c): ports 0x20-0x21, 0xA0-0xA1, ELCR 0x4D0-0x4D1.
 * Drives machine_set_intr(); the master's cascade is on IRQ2. */
typedef struct Pic Pic;
Pic *pic_new(Machine *m);
void pic_reset(Pic *p);
/* IrqHandler-shaped: n = 0..15, level 0/1. Edge-triggered inputs latch on
 * 0->1, level-triggered (ELCR) ones follow the line. */
void pic_set_irq(void *pic, int n, int level);
/* INTA cycle: returns the vector to deliver (spurious IRQ7/15 if none). */
int pic_intack(Pic *p);
/* The fuzz targets' check of a chip's own state, after every step: NULL,
 * or what is wrong (the *_selfcheck calls below are the same). */
const char *pic_selfcheck(Pic *p);
static inline IrqLine pic_irq(Pic *p, int n)
{
    return (IrqLine){pic_set_irq, p, n};
}

/* ---- The ISA bus as an ISA device sees it: the machine's ports (through
 * io_register) and the 16 IRQ lines of the 8259 pair. */
typedef struct IsaBus {
    Machine *m;
    Pic *pic;
} IsaBus;
static inline IrqLine isa_irq(const IsaBus *b, int n)
{
    return pic_irq(b->pic, n);
}

/* ---- 8254 PIT (hw/pit.c): ports 0x40-0x43 and port 0x61 (gate 2, speaker,
 * OUT2 readback, refresh toggle bit 4). Counts at 1.193182 MHz of virtual time. */
typedef struct Pit Pit;
Pit *pit_new(Machine *m, IrqLine irq0);
void pit_reset(Pit *p);
const char *pit_selfcheck(Pit *p);

/* ---- MC146818 RTC + CMOS (hw/rtc.c): ports 0x70-0x71, IRQ8. Starts from host
 * UTC time (or a fixed time when deterministic). Memory size bytes are set
 * from ram_size (0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5B-0x5D). */
typedef struct Rtc Rtc;
Rtc *rtc_new(Machine *m, IrqLine irq8, uint32_t ram_size, int64_t start_time_unix);
void rtc_reset(Rtc *r);
void rtc_set_cmos(Rtc *r, int index, uint8_t val);
uint8_t rtc_get_cmos(Rtc *r, int index);
const char *rtc_selfcheck(Rtc *r);

/* ---- 16550A UART (hw/uart.c), with 16-byte FIFOs. */
typedef struct Uart Uart;
Uart *uart_new(Machine *m, uint16_t base, IrqLine irq, CharDev *out);
void uart_reset(Uart *u);
/* Host -> guest bytes. uart_can_receive tells how many bytes fit now (0 when
 * the RX FIFO is full), so the source is read only when they can be taken. */
size_t uart_can_receive(Uart *u);
void uart_receive(Uart *u, const uint8_t *buf, size_t len);
const char *uart_selfcheck(Uart *u);

/* ---- i8042 keyboard controller (hw/i8042.c): ports 0x60, 0x64, IRQ 1 and
 * 12: Linux's probe, self test, A20 via the output port, reset (0xFE), and
 * the PS/2 keyboard and mouse the front ends type and move through
 * (hw/display.h: input_key, input_mouse). */
typedef struct I8042 I8042;
I8042 *i8042_new(Machine *m, IrqLine irq1, IrqLine irq12);
void i8042_reset(I8042 *k);
const char *i8042_selfcheck(I8042 *k);

/* ---- System control (hw/sysctl.c): port 0x92 (fast A20, bit 0 reset) and
 * port 0x80 (POST code, ignored). */
void sysctl_init(Machine *m);

/* ---- PCI (hw/pci.c): i440FX host bridge (8086:1237) at 00.0 and PIIX3 ISA
 * bridge (8086:7000) at 01.0 with PIRQ route registers 0x60-0x63 and the
 * reset control register (port 0xCF9), config mechanism #1 at
 * 0xCF8/0xCFC-0xCFF. */
typedef struct PciBus PciBus;
typedef struct PciDevice PciDevice;

typedef uint32_t (*PciConfigRead)(PciDevice *d, uint32_t addr, int size_log2);
typedef void (*PciConfigWrite)(PciDevice *d, uint32_t addr, uint32_t val, int size_log2);

typedef struct PciBar {
    uint32_t size; /* power of two; 0 = unused */
    bool io;
    IoRegion *region;
} PciBar;

struct PciDevice {
    PciBus *bus;
    const char *name;
    int devfn; /* slot << 3 | function */
    uint8_t config[256];
    uint8_t wmask[256]; /* which config bits the guest may write */
    PciBar bar[6];
    int irq_level;
    void *opaque;
    PciBar rom_bar; /* expansion ROM (config 0x30), read-only */
    const uint8_t *rom_data;
    uint32_t rom_len;
    /* Optional hooks for device-specific config registers. config_read, when
     * set, replaces the default read; config_write is called after the default
     * write (header, BARs, command register) with the raw value. */
    PciConfigRead config_read;
    PciConfigWrite config_write;
};

PciBus *pci_init(Machine *m, Pic *pic);
Machine *pci_bus_machine(const PciBus *b);
/* devfn < 0: first free slot. Returns NULL if the slot is taken. */
PciDevice *pci_register_device(PciBus *b, const char *name, int devfn, uint16_t vendor,
                               uint16_t device, uint8_t revision, uint32_t class_code,
                               void *opaque);
/* A BAR served by rd/wr (offset relative to the BAR's base). */
void pci_register_bar(PciDevice *d, int bar, uint32_t size, bool io, DevRead rd, DevWrite wr,
                      void *opaque);
/* An expansion ROM (PCI 3.0, 6.2.5.2) of len bytes (copied), decoded at
 * the address the guest writes to config 0x30 when it sets the enable bit
 * and memory space. Returns 0, or -1 if d already has one or len is 0 or
 * more than PCI_ROM_MAX. */
#define PCI_ROM_MAX (16u << 20)
int pci_register_rom(PciDevice *d, const uint8_t *data, size_t len);
/* The board's wiring: the PIRQ (0..3 = A..D) that INTx# pin (1..4 = A..D) of
 * a device in slot drives. Firmware tables and routing both use it. */
static inline int pci_pirq(int slot, int pin)
{
    return (slot + pin - 1) & 3;
}
/* INTA# of d (pin in config 0x3D, default 1) routed by PIIX3 PIRQ registers. */
void pci_set_irq(PciDevice *d, int level);
/* For firmware and tests: config space access of bus 0. */
uint32_t pci_config_read(PciBus *b, int devfn, uint32_t addr, int size_log2);
void pci_config_write(PciBus *b, int devfn, uint32_t addr, uint32_t val, int size_log2);
PciDevice *pci_find(PciBus *b, int devfn);
const char *pci_selfcheck(PciBus *b);
#define PCI_SLOT(devfn) ((devfn) >> 3)
#define PCI_FUNC(devfn) ((devfn)&7)

/* ---- PIIX4 power management (hw/acpi_pm.c): PCI 01.3 (8086:7113), the
 * ACPI PM1 event and control registers, the PM timer, GPE0, the SCI on the
 * line it is handed (ISA IRQ 9), the power button (it registers itself with
 * machine_set_power_button) and soft off (S5). Registers, ports and bits:
 * hw/acpi_pm_regs.h. NULL if 01.3 is taken. */
typedef struct AcpiPm AcpiPm;
AcpiPm *acpi_pm_new(Machine *m, PciBus *bus, IrqLine sci);
bool acpi_pm_sci_level(const AcpiPm *s); /* for tests */
const char *acpi_pm_selfcheck(const AcpiPm *s);
