/* Host ends of the serial ports: stdio (optionally with QEMU's Ctrl-A
 * escapes, "mon:stdio"), file:PATH, null. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "hw/chips.h"
#include "hw/machine.h"

/* Opens the backend for a -serial spec: "stdio", "mon:stdio", "file:PATH",
 * "null", "vc[:...]" (no graphical console: like null) or "none". Returns 0
 * and *out (NULL for "none": no serial device at that index), or -1 with one
 * line in err, e.g. "-serial file:/x/y: cannot open: Permission denied". */
int chardev_open(const char *spec, CharDev **out, char *err, size_t errlen);

/* Connects a backend to the UART it feeds, after machine_new_pc: for stdio,
 * puts the terminal (if stdin is one) in raw mode, restored at exit, and
 * watches stdin, reading only as many bytes as the UART can take. EOF on
 * stdin stops the watch. */
void chardev_attach(CharDev *cd, Machine *m, Uart *u);

/* Stops watching input, closes files, restores the terminal; frees cd. */
void chardev_close(CharDev *cd);

/* Puts the terminal back as it was (async-signal-safe; no-op if untouched). */
void chardev_term_restore(void);
