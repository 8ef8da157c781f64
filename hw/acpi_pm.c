/* PIIX4 power management (PCI 8086:7113 at 01.3 of QEMU's i440FX PC): the
 * ACPI fixed hardware an OS drives through the FADT. Modelled: the PM1 event
 * (status/enable) and control registers, the 24-bit PM timer at 3.579545 MHz
 * of virtual time with its overflow status, an empty GPE0 block, the SCI on
 * ISA IRQ 9 (level, while an enabled event is pending and SCI_EN is set),
 * the power button, sleep type S5 (soft off: the emulator exits with status
 * 0), and the APM control port (0xB2) that switches SCI_EN on ACPI_ENABLE /
 * ACPI_DISABLE as QEMU's SMI-less model does. The PM I/O block sits where
 * firmware puts it (PMBA, 0x40) once it sets PMIOSE (0x80).
 *
 * Not modelled: SMI and SMM (config 0x5B reads "APMC already enabled", which
 * tells SeaBIOS not to set SMM up), the SMBus controller (its base register
 * is stored only), sleep states other than S5 (a request is logged and
 * ignored), the global and device activity registers of the I/O block
 * (read 0, writes ignored), the four-second power button override. */
#include <string.h>

#include "hw/acpi_pm_regs.h"
#include "hw/bytes.h"
#include "hw/chips.h"
#include "hw/pci_regs.h"

struct AcpiPm {
    Machine *m;
    PciDevice *pci;
    IrqLine sci;
    IoRegion *io;  /* the PM block at PMBA */
    uint16_t sts, en, cnt;
    uint16_t gpe_sts, gpe_en;
    uint8_t apmc, apms;
    uint64_t tmr_epoch; /* timer ticks >> 23 when TMROF was last looked at */
    Timer tmrof_timer;
    bool sleep_logged;
    int sci_level;
};

/* ------------------------------------------------------------------ timer */

static uint64_t pm_ticks(AcpiPm *s)
{
    return (uint64_t)(((unsigned __int128)clock_ns(s->m) * ACPI_PM_TIMER_HZ) / 1000000000u);
}

/* The SCI's level now: an enabled event pending, with SCI_EN set. */
static int sci_wanted(const AcpiPm *s)
{
    bool pending = (s->sts & s->en & ACPI_PM1_EVENTS) || (s->gpe_sts & s->gpe_en);
    return (s->cnt & ACPI_PM1_SCI_EN) && pending;
}

static void update_sci(AcpiPm *s)
{
    int level = sci_wanted(s);
    if (level != s->sci_level) {
        s->sci_level = level;
        irq_set(&s->sci, level);
    }
}

/* TMROF_STS: set whenever bit 23 of the timer has toggled since it was last
 * looked at. With TMROF_EN, a timer fires at the next toggle for the SCI. */
static void update_tmrof(AcpiPm *s)
{
    uint64_t epoch = pm_ticks(s) >> 23;
    if (epoch != s->tmr_epoch) {
        s->tmr_epoch = epoch;
        s->sts |= ACPI_PM1_TMROF;
    }
    if (s->en & ACPI_PM1_TMROF) {
        /* First ns at which the tick count reaches the next multiple of 2^23. */
        unsigned __int128 next = (unsigned __int128)(epoch + 1) << 23;
        uint64_t ns = (uint64_t)((next * 1000000000u + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ);
        timer_mod(s->m, &s->tmrof_timer, ns);
    } else {
        timer_del(s->m, &s->tmrof_timer);
    }
    update_sci(s);
}

static void tmrof_fire(void *opaque)
{
    update_tmrof(opaque);
}

/* ------------------------------------------------------------------ events */

static void power_button(void *opaque)
{
    AcpiPm *s = opaque;
    s->sts |= ACPI_PM1_PWRBTN;
    update_sci(s);
}

static void sleep_request(AcpiPm *s, int typ)
{
    if (typ == PIIX4_SLP_TYP_S5) {
        machine_request_shutdown(s->m, 0);
        return;
    }
    if (!s->sleep_logged)
        wb_log("acpi: the guest asked for sleep type %d; only soft off (S5) is supported", typ);
    s->sleep_logged = true;
}

/* ------------------------------------------------------------------ the PM I/O block */

static uint32_t pm_reg_read(AcpiPm *s, uint32_t off)
{
    switch (off) {
    case ACPI_PM1_STS:
        update_tmrof(s);
        return s->sts;
    case ACPI_PM1_EN:
        return s->en;
    case ACPI_PM1_CNT:
        return s->cnt;
    case ACPI_GPE0_STS:
        return s->gpe_sts;
    case ACPI_GPE0_EN:
        return s->gpe_en;
    }
    return 0;
}

static uint32_t pm_io_read(void *opaque, uint32_t offset, int size_log2)
{
    AcpiPm *s = opaque;
    if (offset >= ACPI_PM_TMR && offset < ACPI_PM_TMR + 4) {
        uint32_t t = (uint32_t)(pm_ticks(s) & 0xFFFFFF);
        return (t >> (8 * (offset - ACPI_PM_TMR))) & (0xFFFFFFFFu >> (32 - (8 << size_log2)));
    }
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2); i++) {
        uint32_t o = offset + (uint32_t)i;
        v |= ((pm_reg_read(s, o & ~1u) >> (8 * (o & 1))) & 0xFF) << (8 * i);
    }
    return v;
}

/* Byte by byte: every register of the block is 16 bits whose bytes stand
 * alone (SLP_EN and SLP_TYP share the high byte of PM1_CNT). */
static void pm_io_write_byte(AcpiPm *s, uint32_t o, uint8_t b)
{
    int sh = 8 * (o & 1);
    uint16_t v = (uint16_t)(b << sh), keep = (uint16_t)~(0xFF << sh);
    switch (o & ~1u) {
    case ACPI_PM1_STS:
        s->sts &= (uint16_t)~v;
        break;
    case ACPI_PM1_EN:
        s->en = (uint16_t)((s->en & keep) | (v & ACPI_PM1_EVENTS));
        update_tmrof(s);
        break;
    case ACPI_PM1_CNT:
        s->cnt = (uint16_t)((s->cnt & keep) | (v & ~ACPI_PM1_SLP_EN));
        if (v & ACPI_PM1_SLP_EN)
            sleep_request(s, (s->cnt & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT);
        break;
    case ACPI_GPE0_STS:
        s->gpe_sts &= (uint16_t)~v;
        break;
    case ACPI_GPE0_EN:
        s->gpe_en = (uint16_t)((s->gpe_en & keep) | v);
        break;
    }
}

static void pm_io_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    AcpiPm *s = opaque;
    for (int i = 0; i < (1 << size_log2); i++)
        pm_io_write_byte(s, offset + (uint32_t)i, (uint8_t)(val >> (8 * i)));
    update_sci(s);
}

/* ------------------------------------------------------------------ APM ports */

static uint32_t apm_read(void *opaque, uint32_t offset, int size_log2)
{
    AcpiPm *s = opaque;
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2); i++) {
        uint32_t o = offset + (uint32_t)i;
        v |= (uint32_t)(o == 0 ? s->apmc : o == 1 ? s->apms : 0xFF) << (8 * i);
    }
    return v;
}

static void apm_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    AcpiPm *s = opaque;
    for (int i = 0; i < (1 << size_log2); i++) {
        uint32_t o = offset + (uint32_t)i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (o == 1) {
            s->apms = b;
            continue;
        }
        if (o != 0)
            continue;
        s->apmc = b;
        if (b == ACPI_ENABLE_CMD)
            s->cnt |= ACPI_PM1_SCI_EN;
        else if (b == ACPI_DISABLE_CMD)
            s->cnt &= (uint16_t)~ACPI_PM1_SCI_EN;
        update_sci(s);
    }
}

/* ------------------------------------------------------------------ PCI */

static void update_io(AcpiPm *s)
{
    const uint8_t *c = s->pci->config;
    uint32_t base = ld16le(c + PIIX4_PMBA) & PIIX4_PMBA_MASK;
    bool en = (c[PIIX4_PMREGMISC] & PIIX4_PMIOSE) && base;
    if (en != s->io->enabled || (en && base != s->io->base))
        region_map(s->m, s->io, en ? base : s->io->base, en);
}

static void pm_config_write(PciDevice *d, uint32_t addr, uint32_t val, int size_log2)
{
    AcpiPm *s = d->opaque;
    uint32_t end = addr + (1u << size_log2);
    if ((addr < PIIX4_PMBA + 4 && end > PIIX4_PMBA) ||
        (addr <= PIIX4_PMREGMISC && end > PIIX4_PMREGMISC))
        update_io(s);
}

static void acpi_pm_reset(void *opaque)
{
    AcpiPm *s = opaque;
    s->sts = s->en = s->cnt = 0;
    s->gpe_sts = s->gpe_en = 0;
    s->apmc = s->apms = 0;
    s->tmr_epoch = pm_ticks(s) >> 23;
    timer_del(s->m, &s->tmrof_timer);
    uint8_t *c = s->pci->config;
    st32le(c + PIIX4_PMBA, 1);
    c[PIIX4_PMREGMISC] = 0;
    st32le(c + PIIX4_DEVACTB, PIIX4_DEVACTB_APMC_EN);
    st32le(c + PIIX4_SMBBA, 1);
    c[PIIX4_SMBHSTCFG] = 0;
    update_io(s);
    update_sci(s);
}

AcpiPm *acpi_pm_new(Machine *m, PciBus *bus, IrqLine sci)
{
    AcpiPm *s = machine_zalloc(m, sizeof *s);
    s->m = m;
    s->sci = sci;
    PciDevice *d = pci_register_device(bus, "piix4-pm", PIIX4_PM_DEVFN, PIIX4_PM_VENDOR,
                                       PIIX4_PM_DEVICE, PIIX4_PM_REVISION, PIIX4_PM_CLASS, s);
    if (!d)
        return NULL;
    s->pci = d;
    st16le(d->config + PCI_SUBSYSTEM_VENDOR_ID, QEMU_SUBSYS_VENDOR);
    st16le(d->config + PCI_SUBSYSTEM_ID, QEMU_SUBSYS_ID);
    d->wmask[PIIX4_PMBA] = 0xC0;
    d->wmask[PIIX4_PMBA + 1] = 0xFF;
    for (int i = 0; i < 4; i++)
        d->wmask[PIIX4_DEVACTB + i] = 0xFF;
    d->wmask[PIIX4_PMREGMISC] = PIIX4_PMIOSE;
    d->wmask[PIIX4_SMBBA] = 0xF0;
    d->wmask[PIIX4_SMBBA + 1] = 0xFF;
    d->wmask[PIIX4_SMBHSTCFG] = 0xFF;
    d->config_write = pm_config_write;
    s->io = io_register(m, "acpi-pm", 0, 0, s, pm_io_read, pm_io_write);
    s->io->len = PIIX4_PM_IO_LEN;
    io_register(m, "apm", APM_CNT_PORT, 2, s, apm_read, apm_write);
    timer_init(&s->tmrof_timer, tmrof_fire, s);
    machine_set_power_button(m, power_button, s);
    machine_add_reset(m, acpi_pm_reset, s);
    acpi_pm_reset(s);
    return s;
}

bool acpi_pm_sci_level(const AcpiPm *s)
{
    return s->sci_level;
}

const char *acpi_pm_selfcheck(const AcpiPm *s)
{
    if (s->sci_level != sci_wanted(s))
        return "SCI does not match the enabled events";
    return NULL;
}
