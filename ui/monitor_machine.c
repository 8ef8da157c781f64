/* The machine's monitor commands: run state, reset, quit, the CPU's
 * registers, the PCI bus, the clock. */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "hw/pc.h"
#include "hw/pci_regs.h"
#include "ui/monitor.h"

static int cmd_quit(Monitor *mon, int argc, char **argv)
{
    machine_request_shutdown(monitor_machine(mon), 0);
    loop_kick(monitor_machine(mon));
    return 0;
}

/* As QEMU: with -no-reboot a reset ends the run. */
static int cmd_system_reset(Monitor *mon, int argc, char **argv)
{
    machine_request_reset(monitor_machine(mon));
    loop_kick(monitor_machine(mon));
    return 0;
}

static int cmd_stop(Monitor *mon, int argc, char **argv)
{
    machine_set_paused(monitor_machine(mon), true);
    return 0;
}

static int cmd_cont(Monitor *mon, int argc, char **argv)
{
    machine_set_paused(monitor_machine(mon), false);
    loop_kick(monitor_machine(mon));
    return 0;
}

static int info_status(Monitor *mon, int argc, char **argv)
{
    monitor_printf(mon, "VM status: %s\n", machine_paused(monitor_machine(mon)) ? "paused"
                                                                                : "running");
    return 0;
}

static int info_version(Monitor *mon, int argc, char **argv)
{
    monitor_printf(mon, "wirebox %s\n", WIREBOX_VERSION);
    return 0;
}

/* The runner (tools/wirebox-run) reads this to time its steps in guest time. */
static int info_clock(Monitor *mon, int argc, char **argv)
{
    Machine *m = monitor_machine(mon);
    uint64_t v = clock_ns(m), h = host_now_ns() - m->host_start_ns;
    char mode[48];
    if (m->icount_shift >= 0)
        snprintf(mode, sizeof mode, "icount shift=%d sleep=%s", m->icount_shift,
                 m->icount_sleep ? "on" : "off");
    else
        snprintf(mode, sizeof mode, "host time");
    monitor_printf(mon, "virtual time %llu.%09llu s, host time %llu.%03llu s, %s\n",
                   (unsigned long long)(v / 1000000000ull),
                   (unsigned long long)(v % 1000000000ull),
                   (unsigned long long)(h / 1000000000ull),
                   (unsigned long long)(h % 1000000000ull / 1000000ull), mode);
    return 0;
}

/* ---- info registers, in QEMU's layout */

static void print_seg(Monitor *mon, const char *name, const SegCache *sc, bool pm)
{
    uint32_t f = sc->flags;
    uint32_t raw_limit = (f & SEGF_G) ? sc->limit >> 12 : sc->limit;
    uint32_t hi = ((f & 0xF0FF) << 8) | (raw_limit & 0xF0000) | ((sc->base >> 16) & 0xFF) |
                  (sc->base & 0xFF000000);
    monitor_printf(mon, "%s=%04x %08x %08x %08x", name, sc->sel, sc->base, sc->limit, hi);
    if (!pm || !(f & SEGF_P)) {
        monitor_printf(mon, "\n");
        return;
    }
    monitor_printf(mon, " DPL=%u ", SEGF_DPL(f));
    unsigned type = SEGF_TYPE(f);
    if (f & SEGF_S) {
        if (type & 8)
            monitor_printf(mon, "CS%s [%c%c%c]\n", (f & SEGF_DB) ? "32" : "16",
                           (type & 4) ? 'C' : '-', (type & 2) ? 'R' : '-', (type & 1) ? 'A' : '-');
        else
            monitor_printf(mon, "DS%s [%c%c%c]\n", (f & SEGF_DB) ? "  " : "16",
                           (type & 4) ? 'E' : '-', (type & 2) ? 'W' : '-', (type & 1) ? 'A' : '-');
        return;
    }
    static const char *const sys[16] = {
        [1] = "TSS16-avl", [2] = "LDT", [3] = "TSS16-busy", [4] = "CallGate16",
        [5] = "TaskGate", [6] = "IntGate16", [7] = "TrapGate16", [9] = "TSS32-avl",
        [11] = "TSS32-busy", [12] = "CallGate32", [14] = "IntGate32", [15] = "TrapGate32"};
    monitor_printf(mon, "%s\n", sys[type] ? sys[type] : "Reserved");
}

static int info_registers(Monitor *mon, int argc, char **argv)
{
    CPU *c = monitor_machine(mon)->cpu;
    uint32_t fl = cpu_get_eflags(c);
    bool pm = (c->cr0 & CR0_PE) && !(fl & F_VM);
    static const char *const segn[6] = {"ES ", "CS ", "SS ", "DS ", "FS ", "GS "};
    monitor_printf(mon, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", c->regs[R_EAX], c->regs[R_EBX],
                   c->regs[R_ECX], c->regs[R_EDX]);
    monitor_printf(mon, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", c->regs[R_ESI], c->regs[R_EDI],
                   c->regs[R_EBP], c->regs[R_ESP]);
    monitor_printf(mon, "EIP=%08x EFL=%08x [%c%c%c%c%c%c%c] CPL=%d II=%d A20=%d SMM=0 HLT=%d\n",
                   c->eip, fl, fl & F_DF ? 'D' : '-', fl & F_OF ? 'O' : '-', fl & F_SF ? 'S' : '-',
                   fl & F_ZF ? 'Z' : '-', fl & F_AF ? 'A' : '-', fl & F_PF ? 'P' : '-',
                   fl & F_CF ? 'C' : '-', c->cpl, c->inhibit_irq ? 1 : 0,
                   machine_get_a20(monitor_machine(mon)), c->halted ? 1 : 0);
    for (int i = 0; i < 6; i++)
        print_seg(mon, segn[i], &c->seg[i], pm);
    print_seg(mon, "LDT", &c->seg[S_LDTR], true);
    print_seg(mon, "TR ", &c->seg[S_TR], true);
    monitor_printf(mon, "GDT=     %08x %08x\n", c->gdt_base, c->gdt_limit);
    monitor_printf(mon, "IDT=     %08x %08x\n", c->idt_base, c->idt_limit);
    monitor_printf(mon, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", c->cr0, c->cr2, c->cr3, c->cr4);
    monitor_printf(mon, "DR0=%08x DR1=%08x DR2=%08x DR3=%08x \n", c->dr[0], c->dr[1], c->dr[2],
                   c->dr[3]);
    monitor_printf(mon, "DR6=%08x DR7=%08x\n", c->dr[6], c->dr[7]);
    const FPU *f = &c->fpu;
    monitor_printf(mon, "FCW=%04x FSW=%04x [ST=%d] FTW=%04x\n", f->cw, fpu_get_sw(f), f->top,
                   f->tag);
    return 0;
}

/* ---- info pci, in QEMU's layout */

static const struct {
    uint16_t cls; /* class << 8 | subclass */
    const char *name;
} pci_class_names[] = {
    {0x0100, "SCSI controller"},     {0x0101, "IDE controller"},
    {0x0106, "SATA controller"},     {0x0180, "Storage controller"},
    {0x0200, "Ethernet controller"}, {0x0280, "Network controller"},
    {0x0300, "VGA controller"},      {0x0401, "Audio controller"},
    {0x0403, "Audio controller"},    {0x0600, "Host bridge"},
    {0x0601, "ISA bridge"},          {0x0604, "PCI bridge"},
    {0x0680, "Bridge"},              {0x0c03, "USB controller"},
};

static const char *pci_class_name(uint16_t cls, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof pci_class_names / sizeof pci_class_names[0]; i++)
        if (pci_class_names[i].cls == cls)
            return pci_class_names[i].name;
    snprintf(buf, len, "Class %04x", cls);
    return buf;
}

static int info_pci(Monitor *mon, int argc, char **argv)
{
    PcBoard *b = pc_board(monitor_machine(mon));
    if (!b || !b->pci)
        return monitor_errf(mon, "info pci: this machine has no PCI bus");
    for (int devfn = 0; devfn < 256; devfn++) {
        PciDevice *d = pci_find(b->pci, devfn);
        if (!d)
            continue;
        const uint8_t *cfg = d->config;
        uint16_t cls = (uint16_t)(cfg[0x0B] << 8 | cfg[0x0A]);
        char cbuf[24];
        monitor_printf(mon, "  Bus  0, device %3d, function %d:\n", PCI_SLOT(devfn),
                       PCI_FUNC(devfn));
        monitor_printf(mon, "    %s: PCI device %04x:%04x\n", pci_class_name(cls, cbuf, sizeof cbuf),
                       cfg[0] | cfg[1] << 8, cfg[2] | cfg[3] << 8);
        if (cfg[0x2C] | cfg[0x2D] | cfg[0x2E] | cfg[0x2F])
            monitor_printf(mon, "      PCI subsystem %04x:%04x\n", cfg[0x2C] | cfg[0x2D] << 8,
                           cfg[0x2E] | cfg[0x2F] << 8);
        if (cfg[0x3D])
            monitor_printf(mon, "      IRQ %d, pin %c\n", cfg[0x3C], 'A' + cfg[0x3D] - 1);
        for (int i = 0; i < 6; i++) {
            const PciBar *bar = &d->bar[i];
            if (!bar->size)
                continue;
            bool on = bar->region && bar->region->enabled;
            uint32_t base = on ? bar->region->base : 0;
            char at[24];
            if (on)
                snprintf(at, sizeof at, bar->io ? "0x%04x" : "0x%08x", base);
            else
                snprintf(at, sizeof at, "0xffffffffffffffff"); /* not assigned, as QEMU says */
            monitor_printf(mon, bar->io ? "      BAR%d: I/O at %s [0x%04x].\n"
                                        : "      BAR%d: 32 bit memory at %s [0x%08x].\n",
                           i, at, base + bar->size - 1);
        }
        monitor_printf(mon, "      id \"%s\"\n", d->name ? d->name : "");
    }
    return 0;
}

static const MonitorCommand machine_commands[] = {
    {.name = "quit|q", .help = "quit the emulator", .handler = cmd_quit},
    {.name = "system_reset", .help = "reset the system (with -no-reboot: end the run)",
     .handler = cmd_system_reset},
    {.name = "stop", .help = "stop emulation", .handler = cmd_stop},
    {.name = "cont|c", .help = "resume emulation", .handler = cmd_cont},
    {NULL},
};

static const MonitorCommand machine_info[] = {
    {.name = "registers", .help = "show the cpu registers", .handler = info_registers},
    {.name = "pci", .help = "show PCI info", .handler = info_pci},
    {.name = "status", .help = "show the current VM status (running|paused)",
     .handler = info_status},
    {.name = "version", .help = "show the version of wirebox", .handler = info_version},
    {.name = "clock", .help = "show the virtual and the host clock (wirebox)",
     .handler = info_clock},
    {NULL},
};

const MonitorTable machine_monitor_table = {
    .owner = "machine",
    .commands = machine_commands,
    .info = machine_info,
};
