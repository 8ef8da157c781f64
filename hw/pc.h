/* The PC board: which chips it has, at which ports, wired to which IRQs.
 * The machine core it runs on is hw/machine.h. */
#pragma once
#include <stdio.h>

#include "cpu/cpu.h"
#include "hw/chips.h"
#include "hw/ide.h"
#include "hw/fw_cfg.h"
#include "hw/machine.h"
#include "hw/vga.h"

#define MAX_SERIAL 4

/* -boot: what the firmware boots from and how (bios/boot.c parses it);
 * all zero is QEMU's default. Drive letters as QEMU's PC takes them: a, b
 * floppy; c hard disk; d CD-ROM; n network. */
typedef struct BootConfig {
    char order[4];           /* up to 3 letters; "" = the default, "cad" */
    char once[4];            /* the order for the first boot only; "" = none */
    bool menu;               /* menu=on: the firmware offers its boot menu */
    bool has_splash_time;
    uint16_t splash_time;    /* ms the boot menu waits for a key */
    bool has_reboot_timeout;
    int32_t reboot_timeout;  /* ms before rebooting when nothing booted; -1: never (default) */
    bool strict;             /* boot only from the devices in the boot order */
} BootConfig;

/* What the command line asks for (ui/options.c fills it). */
typedef struct MachineConfig {
    uint32_t ram_size;         /* bytes; -m, default 128 MiB */
    const char *kernel;        /* -kernel */
    const char *initrd;        /* -initrd */
    const char *append;        /* -append */
    const char *bios;          /* -bios FILE (raw ROM image, <= 256 KiB), found as fw_find does */
    BootConfig boot;           /* -boot */
    int icount_shift;          /* -icount shift=N; -1 = follow host time */
    bool icount_sleep;         /* -icount sleep=on|off (default on) */
    bool no_reboot;            /* -no-reboot */
    bool nographic;            /* -nographic */
    bool display_none;         /* -display none */
    bool display_sdl;          /* -display sdl, or the default when a display and SDL2 exist */
    bool vga_none;             /* -vga none: no VGA card */
    char name[128];            /* -name: the machine's name (window title) */
    const char *serial[MAX_SERIAL]; /* -serial specs: "stdio", "file:PATH", "null", "mon:stdio" */
    int nserial;
    bool nic_none;             /* -nic none */
    bool start_stopped;        /* -S */
    const char *gdb;           /* -gdb / -s */
    IdeDriveConf ide[IDE_DRIVES]; /* drives, opened (block/drive.h) */
    int accel;                 /* -accel: CPU_ACCEL_TCG (translator, default) or _INTERP */
} MachineConfig;

/* The chips on the board, for firmware and the front end. */
typedef struct PcBoard {
    Pic *pic;
    Pit *pit;
    Rtc *rtc;
    Uart *uart[MAX_SERIAL]; /* NULL: no device at that COM port */
    I8042 *kbd;
    PciBus *pci;
    IsaBus isa;
    PiixIde *ide;
    Vga *vga; /* the default VGA (NULL with -vga none) */
    FwCfg *fw_cfg; /* what the firmware reads (hw/fw_cfg.h) */
    AcpiPm *pm;    /* PIIX4 power management at 01.3 */
} PcBoard;

static inline PcBoard *pc_board(Machine *m)
{
    return (PcBoard *)m->board;
}

/* The board's interrupt and bus core on m: the 8259 pair (wired to the CPU
 * and FERR#), the ISA bus and the PCI bus. machine_new_pc adds the other
 * chips; device tests use it alone. */
PcBoard *pc_board_init(Machine *m);

/* The full PC: RAM, CPU, PIC, PIT, RTC, UARTs, i8042, system control, PCI,
 * PIIX4 power management, fw_cfg.
 * Serial ports get chardevs from serial_out[i] (NULL = no UART there). */
Machine *machine_new_pc(const MachineConfig *cfg, CharDev *serial_out[MAX_SERIAL]);

/* The board's chips checked as the fuzz targets check them after every
 * step (hw/chips.h's *_selfcheck): NULL, or what is wrong. */
const char *pc_selfcheck(Machine *m);
