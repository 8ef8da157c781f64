/* The SDL2 window. It lives in the machine's one loop: a poll hook wakes the
 * loop at the guest's refresh rate, pumps SDL's events (keys and mouse to
 * the i8042, closing the window ends the run) and uploads the rows the
 * display says changed. The CPU never waits for it.
 *
 * Keys go to the guest by position (SDL scancodes are USB usage positions,
 * as a PS/2 keyboard reports them), so the guest's own keymap decides what a
 * key means: a German layout in the guest with a German keyboard on the host
 * gives AltGr, umlauts and <> as on hardware. Ctrl-Alt-G releases the mouse
 * (a click in the window grabs it), Ctrl-Alt-F toggles full screen, as in
 * QEMU; those combinations do not reach the guest. */
#include "ui/sdl.h"

#include <stdio.h>
#include <string.h>

#include "hw/util.h"

#ifndef WIREBOX_HAVE_SDL

int sdl_display_open(Machine *m, const SdlOptions *opt, char *err, size_t errlen)
{
    return wb_errf(err, errlen, "-display sdl: this wirebox was built without SDL2 "
                                "(install libsdl2-dev and build again)");
}

void sdl_display_close(void) {}

#else

#include <SDL.h>

#include "hw/display.h"
#include "hw/keys.h"

typedef struct SdlUi {
    Machine *m;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int tw, th;
    uint64_t next_frame;
    bool grabbed, fullscreen, paused_shown, close_quits;
    char name[160];
    bool down[K_COUNT]; /* keys the guest was told are down */
    unsigned buttons;
} SdlUi;

static SdlUi *ui;

/* SDL scancode -> key + 1 (0: none). */
static const uint8_t sdl_keys[SDL_NUM_SCANCODES] = {
#define K(sc, k) [SDL_SCANCODE_##sc] = (k) + 1
    K(ESCAPE, K_ESC), K(1, K_1), K(2, K_2), K(3, K_3), K(4, K_4), K(5, K_5), K(6, K_6),
    K(7, K_7), K(8, K_8), K(9, K_9), K(0, K_0), K(MINUS, K_MINUS), K(EQUALS, K_EQUAL),
    K(BACKSPACE, K_BACKSPACE), K(TAB, K_TAB), K(Q, K_Q), K(W, K_W), K(E, K_E), K(R, K_R),
    K(T, K_T), K(Y, K_Y), K(U, K_U), K(I, K_I), K(O, K_O), K(P, K_P),
    K(LEFTBRACKET, K_BRACKET_LEFT), K(RIGHTBRACKET, K_BRACKET_RIGHT), K(RETURN, K_RET),
    K(LCTRL, K_CTRL), K(A, K_A), K(S, K_S), K(D, K_D), K(F, K_F), K(G, K_G), K(H, K_H),
    K(J, K_J), K(K, K_K), K(L, K_L), K(SEMICOLON, K_SEMICOLON), K(APOSTROPHE, K_APOSTROPHE),
    K(GRAVE, K_GRAVE), K(LSHIFT, K_SHIFT), K(BACKSLASH, K_BACKSLASH), K(NONUSHASH, K_BACKSLASH),
    K(Z, K_Z), K(X, K_X), K(C, K_C), K(V, K_V), K(B, K_B), K(N, K_N), K(M, K_M),
    K(COMMA, K_COMMA), K(PERIOD, K_DOT), K(SLASH, K_SLASH), K(RSHIFT, K_SHIFT_R),
    K(KP_MULTIPLY, K_KP_MULTIPLY), K(LALT, K_ALT), K(SPACE, K_SPC), K(CAPSLOCK, K_CAPS_LOCK),
    K(F1, K_F1), K(F2, K_F2), K(F3, K_F3), K(F4, K_F4), K(F5, K_F5), K(F6, K_F6), K(F7, K_F7),
    K(F8, K_F8), K(F9, K_F9), K(F10, K_F10), K(NUMLOCKCLEAR, K_NUM_LOCK),
    K(SCROLLLOCK, K_SCROLL_LOCK), K(KP_7, K_KP_7), K(KP_8, K_KP_8), K(KP_9, K_KP_9),
    K(KP_MINUS, K_KP_SUBTRACT), K(KP_4, K_KP_4), K(KP_5, K_KP_5), K(KP_6, K_KP_6),
    K(KP_PLUS, K_KP_ADD), K(KP_1, K_KP_1), K(KP_2, K_KP_2), K(KP_3, K_KP_3), K(KP_0, K_KP_0),
    K(KP_PERIOD, K_KP_DECIMAL), K(SYSREQ, K_SYSRQ), K(NONUSBACKSLASH, K_LESS), K(F11, K_F11),
    K(F12, K_F12), K(KP_ENTER, K_KP_ENTER), K(RCTRL, K_CTRL_R), K(KP_DIVIDE, K_KP_DIVIDE),
    K(PRINTSCREEN, K_PRINT), K(RALT, K_ALT_R), K(HOME, K_HOME), K(UP, K_UP), K(PAGEUP, K_PGUP),
    K(LEFT, K_LEFT), K(RIGHT, K_RIGHT), K(END, K_END), K(DOWN, K_DOWN), K(PAGEDOWN, K_PGDN),
    K(INSERT, K_INSERT), K(DELETE, K_DELETE), K(LGUI, K_META_L), K(RGUI, K_META_R),
    K(APPLICATION, K_MENU), K(PAUSE, K_PAUSE), K(INTERNATIONAL1, K_RO),
    K(INTERNATIONAL2, K_HIRAGANA), K(INTERNATIONAL3, K_YEN), K(INTERNATIONAL4, K_HENKAN),
    K(INTERNATIONAL5, K_MUHENKAN), K(POWER, K_POWER), K(SLEEP, K_SLEEP), K(MUTE, K_AUDIOMUTE),
    K(VOLUMEDOWN, K_VOLUMEDOWN), K(VOLUMEUP, K_VOLUMEUP),
#undef K
};

static void set_title(SdlUi *u)
{
    char t[256];
    snprintf(t, sizeof t, "%s%s%s%s", u->name[0] ? u->name : "wirebox",
             u->name[0] ? " - wirebox" : "", u->paused_shown ? " [Paused]" : "",
             u->grabbed ? " - Press Ctrl-Alt-G to release grab" : "");
    SDL_SetWindowTitle(u->win, t);
}

static void set_grab(SdlUi *u, bool on)
{
    if (u->grabbed == on)
        return;
    u->grabbed = on;
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    SDL_SetWindowGrab(u->win, on ? SDL_TRUE : SDL_FALSE);
    set_title(u);
}

static void key_to_guest(SdlUi *u, int key, bool down)
{
    if (down == u->down[key] && !down)
        return; /* never a break for a key the guest did not see go down */
    u->down[key] = down;
    input_key(u->m, key, down);
}

static void release_all(SdlUi *u)
{
    for (int k = 0; k < K_COUNT; k++)
        if (u->down[k])
            key_to_guest(u, k, false);
}

static void on_key(SdlUi *u, const SDL_KeyboardEvent *e)
{
    bool down = e->type == SDL_KEYDOWN;
    SDL_Keymod mod = SDL_GetModState();
    if (down && (mod & KMOD_CTRL) && (mod & KMOD_ALT)) {
        if (e->keysym.scancode == SDL_SCANCODE_G) {
            set_grab(u, !u->grabbed);
            return;
        }
        if (e->keysym.scancode == SDL_SCANCODE_F) {
            u->fullscreen = !u->fullscreen;
            SDL_SetWindowFullscreen(u->win, u->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
            return;
        }
    }
    int sc = e->keysym.scancode;
    if (sc < 0 || sc >= SDL_NUM_SCANCODES || !sdl_keys[sc])
        return;
    key_to_guest(u, sdl_keys[sc] - 1, down);
}

static unsigned sdl_button(uint8_t b)
{
    return b == SDL_BUTTON_LEFT ? MOUSE_BUTTON_LEFT
           : b == SDL_BUTTON_RIGHT ? MOUSE_BUTTON_RIGHT
           : b == SDL_BUTTON_MIDDLE ? MOUSE_BUTTON_MIDDLE
                                    : 0;
}

static bool events(SdlUi *u)
{
    bool expose = false;
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        switch (e.type) {
        case SDL_QUIT:
            if (u->close_quits)
                machine_request_shutdown(u->m, 0);
            break;
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            on_key(u, &e.key);
            break;
        case SDL_MOUSEBUTTONDOWN:
            if (!u->grabbed) { /* the click that grabs stays with us */
                set_grab(u, true);
                break;
            }
            u->buttons |= sdl_button(e.button.button);
            input_mouse(u->m, 0, 0, 0, u->buttons);
            break;
        case SDL_MOUSEBUTTONUP:
            if (!u->grabbed)
                break;
            u->buttons &= ~sdl_button(e.button.button);
            input_mouse(u->m, 0, 0, 0, u->buttons);
            break;
        case SDL_MOUSEMOTION:
            if (u->grabbed && (e.motion.xrel || e.motion.yrel))
                input_mouse(u->m, e.motion.xrel, e.motion.yrel, 0, u->buttons);
            break;
        case SDL_MOUSEWHEEL:
            if (u->grabbed && e.wheel.y)
                input_mouse(u->m, 0, 0, e.wheel.y, u->buttons);
            break;
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_FOCUS_LOST) {
                release_all(u);
                set_grab(u, false);
            } else if (e.window.event == SDL_WINDOWEVENT_EXPOSED ||
                       e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
                expose = true;
            }
            break;
        default:
            break;
        }
    }
    return expose;
}

static void frame(SdlUi *u)
{
    bool expose = events(u);
    bool paused = machine_paused(u->m);
    if (paused != u->paused_shown) {
        u->paused_shown = paused;
        set_title(u);
    }
    DisplayDirty d;
    display_update(u->m, false, &d);
    const DisplaySurface *s = display_surface(u->m);
    if (!s || !s->width)
        return;
    if (!u->tex || s->width != u->tw || s->height != u->th) {
        if (u->tex)
            SDL_DestroyTexture(u->tex);
        u->tex = SDL_CreateTexture(u->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                   s->width, s->height);
        u->tw = s->width;
        u->th = s->height;
        if (!u->fullscreen) { /* the guest's new mode, all of it on the screen */
            SDL_SetWindowSize(u->win, s->width, s->height);
            SDL_SetWindowPosition(u->win, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
        }
        d.y0 = 0;
        d.y1 = s->height;
    }
    if (!u->tex)
        return;
    if (d.y1 > d.y0) {
        SDL_Rect r = {0, d.y0, s->width, d.y1 - d.y0};
        SDL_UpdateTexture(u->tex, &r, s->pixels + (size_t)d.y0 * s->width, s->width * 4);
        expose = true;
    }
    if (expose) {
        SDL_RenderClear(u->ren);
        SDL_RenderCopy(u->ren, u->tex, NULL, NULL);
        SDL_RenderPresent(u->ren);
    }
}

static int sdl_fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    SdlUi *u = opaque;
    uint64_t now = host_now_ns();
    uint64_t wait = u->next_frame > now ? u->next_frame - now : 0;
    if (wait < *timeout_ns)
        *timeout_ns = wait;
    return 0;
}

static void sdl_dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
    SdlUi *u = opaque;
    uint64_t now = host_now_ns();
    if (now < u->next_frame)
        return;
    frame(u);
    u->next_frame = now + display_frame_ns(u->m);
}

int sdl_display_open(Machine *m, const SdlOptions *opt, char *err, size_t errlen)
{
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); /* wirebox handles SIGINT/SIGTERM */
    SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    SDL_SetHint(SDL_HINT_RENDER_VSYNC, "0"); /* presenting must never wait */
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        return wb_errf(err, errlen, "-display sdl: cannot open a window: %s", SDL_GetError());
    SdlUi *u = calloc(1, sizeof *u);
    if (!u) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return wb_errf(err, errlen, "-display sdl: out of memory");
    }
    u->m = m;
    u->close_quits = opt->window_close_quits;
    snprintf(u->name, sizeof u->name, "%s", opt->name ? opt->name : "");
    int w = 640, h = 480;
    const DisplaySurface *s = display_surface(m);
    if (s && s->width) {
        w = s->width;
        h = s->height;
    }
    u->win = SDL_CreateWindow("wirebox", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w, h,
                              SDL_WINDOW_RESIZABLE);
    if (u->win)
        u->ren = SDL_CreateRenderer(u->win, -1, 0);
    if (!u->win || !u->ren) {
        wb_errf(err, errlen, "-display sdl: cannot open a window: %s", SDL_GetError());
        if (u->win)
            SDL_DestroyWindow(u->win);
        free(u);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return 1;
    }
    SDL_SetRenderDrawColor(u->ren, 0, 0, 0, 255);
    set_title(u);
    ui = u;
    u->next_frame = host_now_ns();
    loop_add_poll_hook(m, sdl_fill, sdl_dispatch, u);
    return 0;
}

void sdl_display_close(void)
{
    SdlUi *u = ui;
    if (!u)
        return;
    loop_remove_poll_hook(u->m, u);
    set_grab(u, false);
    if (u->tex)
        SDL_DestroyTexture(u->tex);
    SDL_DestroyRenderer(u->ren);
    SDL_DestroyWindow(u->win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    free(u);
    ui = NULL;
}

#endif
