/* Between the devices a person sees and touches (hw/vga.c, hw/i8042.c) and
 * the front ends that show and feed them (ui/console.c, ui/sdl.c): the
 * machine's display, its keyboard and its mouse. A device registers itself
 * here; a front end finds it through the machine, never through the board. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "hw/machine.h"

/* What the display shows: 0x00RRGGBB pixels, row after row. */
typedef struct DisplaySurface {
    uint32_t *pixels;
    int width, height;
} DisplaySurface;

/* What changed in the last update: rows [y0, y1) (y0 == y1: nothing), and
 * whether the size changed (then everything did). */
typedef struct DisplayDirty {
    int y0, y1;
    bool resized;
} DisplayDirty;

typedef struct DisplayOps {
    /* Brings the surface up to date with what the guest drew since the last
     * call (full: draw everything again) and says what changed. */
    void (*update)(void *opaque, bool full, DisplayDirty *dirty);
    /* The surface (valid until the next update). */
    const DisplaySurface *(*surface)(void *opaque);
    /* The guest's refresh period in host ns (how often to update). */
    uint64_t (*frame_ns)(void *opaque);
    /* Text modes: the character and attribute at column x, row y into *ch
     * and *attr; false outside the text screen or in a graphics mode. */
    bool (*text_cell)(void *opaque, int x, int y, uint8_t *ch, uint8_t *attr);
} DisplayOps;

/* The machine's display (one; the last registered wins). NULL ops: none. */
void display_register(Machine *m, const DisplayOps *ops, void *opaque);
bool display_present(Machine *m);
void display_update(Machine *m, bool full, DisplayDirty *dirty);
const DisplaySurface *display_surface(Machine *m);
uint64_t display_frame_ns(Machine *m);
bool display_text_cell(Machine *m, int x, int y, uint8_t *ch, uint8_t *attr);

/* ---- Input. A key is a KeyCode (hw/keys.h); buttons are a mask of
 * MOUSE_BUTTON_*; movement is relative, dz > 0 the wheel turned away from
 * the user. */
enum { MOUSE_BUTTON_LEFT = 1, MOUSE_BUTTON_RIGHT = 2, MOUSE_BUTTON_MIDDLE = 4 };
typedef void (*KeyboardSink)(void *opaque, int key, bool down);
typedef void (*MouseSink)(void *opaque, int dx, int dy, int dz, unsigned buttons);
void input_register_keyboard(Machine *m, KeyboardSink sink, void *opaque);
void input_register_mouse(Machine *m, MouseSink sink, void *opaque);
/* False if the machine has no keyboard (or mouse). */
bool input_key(Machine *m, int key, bool down);
bool input_mouse(Machine *m, int dx, int dy, int dz, unsigned buttons);
