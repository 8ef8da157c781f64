/* The SDL2 window (-display sdl): shows the machine's display, feeds its
 * keyboard and mouse. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "hw/machine.h"

typedef struct SdlOptions {
    const char *name;        /* -name, for the title ("" or NULL: none) */
    bool window_close_quits; /* closing the window ends wirebox (-display sdl,window-close=) */
} SdlOptions;

/* Opens the window and hooks it into the machine's loop: it is drawn at the
 * guest's refresh rate from the loop (never from another thread), only
 * where the guest drew. Returns 0, or 1 with one line in err (no SDL2 in
 * this build, no display to open a window on). */
int sdl_display_open(Machine *m, const SdlOptions *opt, char *err, size_t errlen);
void sdl_display_close(void);
