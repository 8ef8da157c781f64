/* The command line: QEMU-compatible options parsed into a MachineConfig. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "block/drive.h"
#include "hw/device.h"
#include "hw/pc.h"
#include "net/netopts.h"
#include "ui/chardev.h"
#include "ui/object.h"

#define OPT_RAM_DEFAULT (128u << 20)
#define OPT_RAM_MIN (2u << 20)
#define OPT_RAM_MAX (3072u << 20)
#define OPT_ICOUNT_MAX_SHIFT 10
#define OPT_MAX_FIRMWARE_DIRS 8
#define OPT_MAX_OWNED 16

typedef struct Options {
    MachineConfig cfg;   /* strings point into argv */
    bool nodefaults;     /* -nodefaults: no default serial port (or NIC) */
    bool serial_default; /* cfg.serial[0] was chosen by default, not by -serial */
    bool help;           /* -h/-help seen: print options_usage, exit 0 */
    bool version;        /* -version seen: print options_version, exit 0 */
    NetConfig net;       /* -netdev/-nic/-net (net.help: print netconf_print_help, exit 0) */
    DeviceList devices;  /* -device (devices.help: print device_list_print_help, exit 0) */
    DriveConfig drives;  /* -hda..-hdd, -cdrom, -drive, -snapshot */
    bool display_given;  /* -display was given (otherwise the default applies) */
    bool window_close_quits; /* -display sdl,window-close=on|off (default on) */
    ObjectList objects;  /* -object (objects.help: print object_list_print_help, exit 0) */
    ConsoleConfig con;   /* -chardev, -serial, -monitor, -mon, -debugcon (con.help: -chardev help) */
    const char *firmware_dirs[OPT_MAX_FIRMWARE_DIRS]; /* -L DIR, in order */
    int nfirmware_dirs;
    bool firmware_dirs_help; /* -L help: print options_print_firmware_dirs, exit 0 */
    char *owned[OPT_MAX_OWNED]; /* option texts made here (-debugcon's devices) */
    int nowned;
} Options;

/* Parses argv[1..argc-1]. Returns 0 on success (check o->help/o->version
 * first: parsing stops there, like QEMU), or 1 with one line in err, without
 * the "wirebox: " prefix, e.g. "-m: invalid size 'abc'". Afterwards
 * cfg.serial[0..nserial-1] holds the serial backends to create, defaults
 * applied as QEMU does: with -nographic "mon:stdio" (serial console and
 * monitor on stdio), or "stdio" when a monitor is given elsewhere (the
 * monitor then gets stdio if none is given); without -nographic "null"
 * (there is no graphical console to show it); none with -nodefaults. A
 * "none" entry means that port has no device. o->con holds the chardevs
 * they all resolve to (ui/chardev.h). */
int options_parse(int argc, char **argv, Options *o, char *err, size_t errlen);
/* Frees what options_parse allocated (o stays valid to parse again). */
void options_free(Options *o);

/* Where -bios NAME is: NAME itself if it can be read, else the first
 * DIR/NAME of -L DIR..., then of wirebox's default firmware directories.
 * Returns a malloc'd path, or NULL if none can be read. */
char *options_find_firmware(const Options *o, const char *name);
/* -L help: the directories, one a line. */
void options_print_firmware_dirs(const Options *o, FILE *f);

void options_usage(FILE *f);
void options_version(FILE *f);
