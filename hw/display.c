/* The machine's display, keyboard and mouse as the front ends see them. */
#include "hw/display.h"

typedef struct DisplayHub {
    const DisplayOps *ops;
    void *opaque;
    KeyboardSink kbd;
    void *kbd_opaque;
    MouseSink mouse;
    void *mouse_opaque;
} DisplayHub;

static DisplayHub *hub(Machine *m)
{
    if (!m->display_hub)
        m->display_hub = machine_zalloc(m, sizeof(DisplayHub));
    return m->display_hub;
}

void display_register(Machine *m, const DisplayOps *ops, void *opaque)
{
    hub(m)->ops = ops;
    hub(m)->opaque = opaque;
}

bool display_present(Machine *m)
{
    return m->display_hub && hub(m)->ops;
}

void display_update(Machine *m, bool full, DisplayDirty *dirty)
{
    *dirty = (DisplayDirty){0};
    if (display_present(m))
        hub(m)->ops->update(hub(m)->opaque, full, dirty);
}

const DisplaySurface *display_surface(Machine *m)
{
    return display_present(m) ? hub(m)->ops->surface(hub(m)->opaque) : NULL;
}

uint64_t display_frame_ns(Machine *m)
{
    return display_present(m) ? hub(m)->ops->frame_ns(hub(m)->opaque) : 1000000000ull / 60;
}

bool display_text_cell(Machine *m, int x, int y, uint8_t *ch, uint8_t *attr)
{
    return display_present(m) && hub(m)->ops->text_cell &&
           hub(m)->ops->text_cell(hub(m)->opaque, x, y, ch, attr);
}

void input_register_keyboard(Machine *m, KeyboardSink sink, void *opaque)
{
    hub(m)->kbd = sink;
    hub(m)->kbd_opaque = opaque;
}

void input_register_mouse(Machine *m, MouseSink sink, void *opaque)
{
    hub(m)->mouse = sink;
    hub(m)->mouse_opaque = opaque;
}

bool input_key(Machine *m, int key, bool down)
{
    if (!m->display_hub || !hub(m)->kbd)
        return false;
    hub(m)->kbd(hub(m)->kbd_opaque, key, down);
    return true;
}

bool input_mouse(Machine *m, int dx, int dy, int dz, unsigned buttons)
{
    if (!m->display_hub || !hub(m)->mouse)
        return false;
    hub(m)->mouse(hub(m)->mouse_opaque, dx, dy, dz, buttons);
    return true;
}
