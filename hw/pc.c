/* The PC board (hw/pc.h): the chips of a PC with i440FX/PIIX3, where they
 * sit and how they are wired. Adding a chip to every PC is one line here;
 * devices the user adds come from the device registry (hw/device.h). */
#include "hw/pc.h"

#include "hw/acpi_pm_regs.h"

#include <time.h>

/* Fixed wall-clock start for deterministic runs: 2026-01-01 00:00:00 UTC. */
#define DETERMINISTIC_EPOCH 1767225600

/* COM1-COM4 as a PC BIOS lists them. */
static const struct {
    uint16_t base;
    int irq;
} uart_ports[MAX_SERIAL] = {{0x3F8, 4}, {0x2F8, 3}, {0x3E8, 4}, {0x2E8, 3}};

static int pc_intack(void *opaque)
{
    return pic_intack(opaque);
}

PcBoard *pc_board_init(Machine *m)
{
    PcBoard *b = machine_zalloc(m, sizeof *b);
    m->board = b;
    b->pic = pic_new(m);
    machine_set_interrupt_controller(m, pc_intack, b->pic);
    machine_set_ferr_line(m, pic_irq(b->pic, 13));
    b->isa = (IsaBus){m, b->pic};
    b->pci = pci_init(m, b->pic);
    return b;
}

Machine *machine_new_pc(const MachineConfig *cfg, CharDev *serial_out[MAX_SERIAL])
{
    Machine *m = machine_new_bare(cfg->ram_size);
    if (!m)
        return NULL;
    if (cpu_set_accel(m->cpu, cfg->accel) != cfg->accel)
        wb_log("-accel tcg: the translator needs an x86-64 host; the interpreter runs instead");
    machine_set_icount(m, cfg->icount_shift, cfg->icount_sleep);
    m->no_reboot = cfg->no_reboot;
    PcBoard *b = pc_board_init(m);
    b->pit = pit_new(m, isa_irq(&b->isa, 0));
    int64_t start = (cfg->icount_shift >= 0 && !cfg->icount_sleep) ? DETERMINISTIC_EPOCH
                                                                     : (int64_t)time(NULL);
    b->rtc = rtc_new(m, isa_irq(&b->isa, 8), cfg->ram_size, start);
    for (int i = 0; i < MAX_SERIAL; i++)
        if (serial_out && serial_out[i])
            b->uart[i] = uart_new(m, uart_ports[i].base, isa_irq(&b->isa, uart_ports[i].irq),
                                  serial_out[i]);
    b->kbd = i8042_new(m, isa_irq(&b->isa, 1), isa_irq(&b->isa, 12));
    sysctl_init(m);
    if (!cfg->vga_none) {
        char err[256];
        /* 00:02.0, as on QEMU's PC: before any card the user adds */
        b->vga = vga_new(m, b->pci, -1, VGA_ROMFILE_DEFAULT, false, err, sizeof err);
        if (!b->vga)
            wb_log("VGA: %s", err);
    }
    b->ide = piix_ide_new(m, b->pci, isa_irq(&b->isa, 14), isa_irq(&b->isa, 15), cfg->ide);
    rtc_set_cmos(b->rtc, 0x39, piix_ide_cmos_translation(b->ide)); /* BIOS disk translation */
    b->pm = acpi_pm_new(m, b->pci, isa_irq(&b->isa, ACPI_SCI_IRQ));
    b->fw_cfg = fw_cfg_new(m, FW_CFG_IO_BASE);
    return m;
}

const char *pc_selfcheck(Machine *m)
{
    PcBoard *b = pc_board(m);
    const char *why = pic_selfcheck(b->pic);
    if (!why)
        why = pci_selfcheck(b->pci);
    if (!why && b->pit)
        why = pit_selfcheck(b->pit);
    if (!why && b->rtc)
        why = rtc_selfcheck(b->rtc);
    for (int i = 0; !why && i < MAX_SERIAL; i++)
        if (b->uart[i])
            why = uart_selfcheck(b->uart[i]);
    if (!why && b->kbd)
        why = i8042_selfcheck(b->kbd);
    if (!why && b->pm)
        why = acpi_pm_selfcheck(b->pm);
    return why;
}
