/* What a person does with the machine's screen, keyboard and mouse without
 * a window: QEMU's screendump, sendkey, mouse_move and mouse_button (the
 * monitor's commands call these), and the key names they use. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "hw/machine.h"

/* Writes what the display shows to path: format "ppm" (P6) or "png"; NULL
 * picks PNG for a name ending in .png, else PPM (QEMU's default). Returns 0,
 * or 1 with one line in err. */
int console_screendump(Machine *m, const char *path, const char *format, char *err,
                       size_t errlen);

/* QEMU's sendkey: keys joined by '-' ("ctrl-alt-f1", "shift-a", "0x1e" for
 * a raw set-1 scancode), pressed in order, released in reverse after
 * hold_ms of virtual time (QEMU's default: 100). */
int console_sendkey(Machine *m, const char *keys, int hold_ms, char *err, size_t errlen);

/* QEMU's mouse_move DX DY [DZ] and mouse_button STATE (bit 0 left, bit 1
 * right, bit 2 middle). */
int console_mouse_move(Machine *m, int dx, int dy, int dz, char *err, size_t errlen);
int console_mouse_button(Machine *m, unsigned state, char *err, size_t errlen);

/* Until the monitor is there: with WIREBOX_SCREENDUMP=FILE in the
 * environment, SIGUSR1 writes a screendump to FILE (a wirebox-only aid for
 * scripts; the monitor's screendump is the real thing). */
void console_install_dump_signal(Machine *m);
