/* The human monitor: QEMU's "(qemu) " command line on a chardev
 * (-monitor stdio, -monitor unix:PATH,server=on, the "mon:" mux of
 * -nographic where Ctrl-A c switches to it, -mon chardev=ID).
 *
 * The prompt is QEMU's "(qemu) ", so that scripts written for QEMU's monitor
 * (expect "(qemu) ") work unchanged; the banner names wirebox.
 *
 * ---- Adding commands: a table per subsystem, no edit of the dispatcher.
 * A subsystem defines one const MonitorTable in its own file:
 *
 *     static int mon_set_link(Monitor *mon, int argc, char **argv)
 *     {
 *         // argv[0] = "set_link", argv[1] = name, argv[2] = "on"|"off"
 *         if (strcmp(argv[2], "on") && strcmp(argv[2], "off"))
 *             return monitor_errf(mon, "set_link: expected on or off, not '%s'", argv[2]);
 *         Machine *m = monitor_machine(mon);   // net clients: m->net_clients
 *         ...
 *         monitor_printf(mon, "...\n");
 *         return 0;
 *     }
 *     static const MonitorCommand net_commands[] = {
 *         {.name = "set_link", .args = "name on|off",
 *          .help = "change the link status of a network adapter",
 *          .handler = mon_set_link, .min_args = 2, .max_args = 2},
 *         {NULL},
 *     };
 *     static const MonitorCommand net_info[] = {   // typed as "info network"
 *         {.name = "network", .help = "show the network state", .handler = ...},
 *         {NULL},
 *     };
 *     const MonitorTable net_monitor_table = {
 *         .owner = "net", .commands = net_commands, .info = net_info};
 *
 * and adds one line to ui/monitor_table.c (extern declaration and a row in
 * monitor_tables[]). help, help CMD, info and argument-count errors come
 * with the row.
 *
 * A command line is split into words at spaces; "double quotes" keep
 * spaces (and \" a quote) inside one word. The dispatcher checks the word
 * count against min_args/max_args (arguments after the command name) and
 * answers one line when it is wrong; a handler reports its own errors with
 * monitor_errf (one line) and returns 1. Output lines end with "\n"
 * (sent as "\r\n", as QEMU does). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "hw/machine.h"

typedef struct Monitor Monitor;
typedef struct Chardev Chardev;

/* argv[0] is the command name (an info row: its own name, e.g. "pci"),
 * argv[argc] is NULL. Returns 0, or 1 after monitor_errf. */
typedef int (*MonitorHandler)(Monitor *mon, int argc, char **argv);

typedef struct MonitorCommand {
    const char *name;  /* what is typed: "system_reset"; aliases after '|': "quit|q" */
    const char *args;  /* synopsis for help ("[netdev_id] name on|off"), or NULL */
    const char *help;  /* one line */
    MonitorHandler handler;
    int min_args;      /* arguments after the name the command needs */
    int max_args;      /* at most (-1: any number) */
} MonitorCommand;

typedef struct MonitorTable {
    const char *owner;              /* the subsystem, for reading the code */
    const MonitorCommand *commands; /* ended by {NULL}; NULL: none */
    const MonitorCommand *info;     /* "info NAME" rows, ended by {NULL}; NULL: none */
} MonitorTable;

/* Every subsystem's table (ui/monitor_table.c), NULL-terminated. */
extern const MonitorTable *const monitor_tables[];

/* Where a monitor's output goes (len bytes, already "\r\n"-terminated). */
typedef void (*MonitorWrite)(void *opaque, const char *buf, size_t len);

/* A monitor on machine m with the given tables (NULL: monitor_tables),
 * writing to write/opaque. It prints nothing until monitor_show is called
 * (or its chardev opens). */
Monitor *monitor_new(Machine *m, const MonitorTable *const *tables, MonitorWrite write,
                     void *opaque);
/* A monitor on chardev chr: claims it; the banner and the prompt are
 * printed when a peer opens it (a client connects; stdio at start; Ctrl-A c
 * on a mux). NULL with err if the chardev is taken. */
Monitor *monitor_open_chardev(Machine *m, Chardev *chr, char *err, size_t errlen);
void monitor_free(Monitor *mon);

/* Bytes typed at the monitor: echoed, line-edited (Backspace, Ctrl-U),
 * each complete line run. */
void monitor_input(Monitor *mon, const char *buf, size_t len);
/* Runs one command line as if typed (without echo or prompt). */
void monitor_execute(Monitor *mon, const char *line);
/* The banner (first time) and the prompt. */
void monitor_show(Monitor *mon);

Machine *monitor_machine(Monitor *mon);
void monitor_printf(Monitor *mon, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line of error (a newline is added); returns 1 for `return monitor_errf(...)`. */
int monitor_errf(Monitor *mon, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The monitors opened with monitor_open_chardev, freed together. */
void monitors_free_all(void);
