/* The screen's, keyboard's and mouse's monitor commands, with QEMU's HMP
 * syntax and messages: screendump, sendkey, mouse_move, mouse_button. The
 * work is ui/console.c's; this file reads the words. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ui/console.h"
#include "ui/monitor.h"

/* An integer word in C's notation (12, -3, 0x1f), as HMP's numbers. */
static bool parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (!*s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* screendump FILENAME [-f ppm|png], as QEMU's HMP: PPM unless -f png (QEMU
 * does not look at the file name). Errors as QEMU prints them ("Error: ..."). */
static int cmd_screendump(Monitor *mon, int argc, char **argv)
{
    const char *file = NULL, *format = "ppm";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f")) {
            if (i + 1 >= argc)
                return monitor_errf(mon, "screendump: -f needs a format (ppm or png)");
            format = argv[++i];
        } else if (!file) {
            file = argv[i];
        } else {
            return monitor_errf(mon, "screendump: one file name, not '%s' too (usage: "
                                     "screendump filename [-f format])", argv[i]);
        }
    }
    if (!file)
        return monitor_errf(mon, "screendump: a file name is needed (usage: screendump "
                                 "filename [-f format])");
    char err[512];
    if (console_screendump(monitor_machine(mon), file, format, err, sizeof err))
        return monitor_errf(mon, "Error: %s", err);
    return 0;
}

/* sendkey KEYS [HOLD_MS]: "ctrl-alt-f1", "shift-a", "0x1e"; held HOLD_MS
 * (default 100) of virtual time. */
static int cmd_sendkey(Monitor *mon, int argc, char **argv)
{
    long hold = 100;
    if (argc > 2 && (!parse_int(argv[2], 0, 60000, &hold)))
        return monitor_errf(mon, "sendkey: hold time '%s' is not a number of milliseconds "
                                 "(0 to 60000)", argv[2]);
    char err[512];
    if (console_sendkey(monitor_machine(mon), argv[1], (int)hold, err, sizeof err))
        return monitor_errf(mon, "%s", err);
    return 0;
}

/* mouse_move DX DY [DZ]: relative movement; DZ turns the wheel. */
static int cmd_mouse_move(Monitor *mon, int argc, char **argv)
{
    long d[3] = {0, 0, 0};
    for (int i = 1; i < argc; i++)
        if (!parse_int(argv[i], -100000, 100000, &d[i - 1]))
            return monitor_errf(mon, "mouse_move: '%s' is not a number", argv[i]);
    char err[512];
    if (console_mouse_move(monitor_machine(mon), (int)d[0], (int)d[1], (int)d[2], err,
                           sizeof err))
        return monitor_errf(mon, "%s", err);
    return 0;
}

/* mouse_button STATE: bit 0 left, bit 1 right, bit 2 middle. */
static int cmd_mouse_button(Monitor *mon, int argc, char **argv)
{
    long state;
    if (!parse_int(argv[1], 0, 7, &state))
        return monitor_errf(mon, "mouse_button: '%s' is not a button state (0 to 7: 1 left, "
                                 "2 right, 4 middle)", argv[1]);
    char err[512];
    if (console_mouse_button(monitor_machine(mon), (unsigned)state, err, sizeof err))
        return monitor_errf(mon, "%s", err);
    return 0;
}

static const MonitorCommand console_commands[] = {
    {.name = "screendump", .args = "filename [-f format]",
     .help = "save the screen as an image 'filename' in format 'format' (ppm, the default, "
             "or png)",
     .handler = cmd_screendump, .min_args = 1, .max_args = 3},
    {.name = "sendkey", .args = "keys [hold_ms]",
     .help = "send keys to the VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)",
     .handler = cmd_sendkey, .min_args = 1, .max_args = 2},
    {.name = "mouse_move", .args = "dx dy [dz]", .help = "send mouse move events",
     .handler = cmd_mouse_move, .min_args = 2, .max_args = 3},
    {.name = "mouse_button", .args = "state", .help = "change mouse button state (1=L, 2=R, 4=M)",
     .handler = cmd_mouse_button, .min_args = 1, .max_args = 1},
    {NULL},
};

const MonitorTable console_monitor_table = {
    .owner = "console",
    .commands = console_commands,
};
