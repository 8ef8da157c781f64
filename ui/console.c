/* The screen, keyboard and mouse without a window: screendump as PPM or
 * PNG, sendkey with QEMU's key names, mouse_move and mouse_button. */
#define _GNU_SOURCE
#include "ui/console.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hw/bytes.h"
#include "hw/display.h"
#include "hw/keys.h"

/* ------------------------------------------------------------------ screendump */

static int write_ppm(FILE *f, const DisplaySurface *s)
{
    fprintf(f, "P6\n%d %d\n255\n", s->width, s->height);
    uint8_t *row = wb_calloc((size_t)s->width, 3);
    for (int y = 0; y < s->height; y++) {
        const uint32_t *p = s->pixels + (size_t)y * s->width;
        for (int x = 0; x < s->width; x++) {
            row[3 * x] = (uint8_t)(p[x] >> 16);
            row[3 * x + 1] = (uint8_t)(p[x] >> 8);
            row[3 * x + 2] = (uint8_t)p[x];
        }
        if (fwrite(row, 3, (size_t)s->width, f) != (size_t)s->width) {
            free(row);
            return -1;
        }
    }
    free(row);
    return 0;
}

static int png_chunk(FILE *f, const char *type, const uint8_t *data, uint32_t len)
{
    uint8_t hdr[8];
    st32be(hdr, len);
    memcpy(hdr + 4, type, 4);
    uLong crc = crc32(0, hdr + 4, 4);
    if (len)
        crc = crc32(crc, data, len);
    uint8_t tail[4];
    st32be(tail, (uint32_t)crc);
    if (fwrite(hdr, 1, 8, f) != 8 || (len && fwrite(data, 1, len, f) != len) ||
        fwrite(tail, 1, 4, f) != 4)
        return -1;
    return 0;
}

/* PNG (RFC 2083): 8-bit RGB, no filtering, one zlib stream. */
static int write_png(FILE *f, const DisplaySurface *s)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    uint8_t ihdr[13];
    st32be(ihdr, (uint32_t)s->width);
    st32be(ihdr + 4, (uint32_t)s->height);
    ihdr[8] = 8;  /* bits per sample */
    ihdr[9] = 2;  /* RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* filter method 0 */
    ihdr[12] = 0; /* no interlace */
    size_t stride = (size_t)s->width * 3 + 1, raw_len = stride * (size_t)s->height;
    uint8_t *raw = wb_calloc(1, raw_len);
    for (int y = 0; y < s->height; y++) {
        uint8_t *r = raw + (size_t)y * stride;
        const uint32_t *p = s->pixels + (size_t)y * s->width;
        for (int x = 0; x < s->width; x++) {
            r[1 + 3 * x] = (uint8_t)(p[x] >> 16);
            r[2 + 3 * x] = (uint8_t)(p[x] >> 8);
            r[3 + 3 * x] = (uint8_t)p[x];
        }
    }
    uLongf zlen = compressBound((uLong)raw_len);
    uint8_t *z = wb_calloc(1, zlen);
    int rc = compress2(z, &zlen, raw, (uLong)raw_len, 6) == Z_OK ? 0 : -1;
    free(raw);
    if (rc == 0 && (fwrite(sig, 1, 8, f) != 8 || png_chunk(f, "IHDR", ihdr, 13) ||
                    png_chunk(f, "IDAT", z, (uint32_t)zlen) || png_chunk(f, "IEND", NULL, 0)))
        rc = -1;
    free(z);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

int console_screendump(Machine *m, const char *path, const char *format, char *err,
                       size_t errlen)
{
    if (!display_present(m))
        return wb_errf(err, errlen, "screendump: there is no display (-vga none)");
    bool png = format ? !strcmp(format, "png") : ends_with(path, ".png");
    if (format && !png && strcmp(format, "ppm"))
        return wb_errf(err, errlen, "screendump: format '%s' is not supported (ppm, png)",
                       format);
    DisplayDirty dirty;
    display_update(m, false, &dirty);
    const DisplaySurface *s = display_surface(m);
    FILE *f = fopen(path, "wb");
    if (!f)
        return wb_errf(err, errlen, "screendump: cannot write '%s': %s", path, strerror(errno));
    int rc = png ? write_png(f, s) : write_ppm(f, s);
    if (fclose(f) != 0)
        rc = -1;
    if (rc)
        return wb_errf(err, errlen, "screendump: error writing '%s': %s", path, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------------ sendkey */

#define SENDKEY_MAX 16

typedef struct SendKey {
    Machine *m;
    Timer release;
    int keys[SENDKEY_MAX];
    int n;
} SendKey;

static SendKey sendkey_state;

static void sendkey_release(void *opaque)
{
    SendKey *s = opaque;
    for (int i = s->n - 1; i >= 0; i--)
        input_key(s->m, s->keys[i], false);
    s->n = 0;
}

int console_sendkey(Machine *m, const char *keys, int hold_ms, char *err, size_t errlen)
{
    int list[SENDKEY_MAX], n = 0;
    const char *p = keys;
    while (*p) {
        size_t len = strcspn(p, "-");
        char name[32];
        if (len == 0 || len >= sizeof name)
            return wb_errf(err, errlen, "sendkey: invalid key '%.*s' in '%s'", (int)len, p, keys);
        memcpy(name, p, len);
        name[len] = '\0';
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        int k = -1;
        if (!strncmp(name, "0x", 2)) { /* a raw set-1 scancode, as QEMU takes it */
            char *end;
            unsigned long code = strtoul(name, &end, 16);
            if (!*end)
                k = key_by_set1((unsigned)code);
        } else {
            k = key_by_name(name);
        }
        if (k < 0)
            return wb_errf(err, errlen, "sendkey: unknown key '%s'", name);
        if (n == SENDKEY_MAX)
            return wb_errf(err, errlen, "sendkey: too many keys (at most %d)", SENDKEY_MAX);
        list[n++] = k;
        p += len;
        if (*p == '-')
            p++;
    }
    if (!n)
        return wb_errf(err, errlen, "sendkey: no key given");
    SendKey *s = &sendkey_state;
    if (s->m == m && s->n) { /* the last combination is still held: let it go first */
        timer_del(m, &s->release);
        sendkey_release(s);
    }
    if (s->m != m) {
        s->m = m;
        timer_init(&s->release, sendkey_release, s);
    }
    for (int i = 0; i < n; i++)
        if (!input_key(m, list[i], true))
            return wb_errf(err, errlen, "sendkey: the machine has no keyboard");
    memcpy(s->keys, list, sizeof list[0] * (size_t)n);
    s->n = n;
    if (hold_ms <= 0)
        hold_ms = 100;
    timer_mod(m, &s->release, clock_ns(m) + (uint64_t)hold_ms * 1000000ull);
    return 0;
}

/* ------------------------------------------------------------------ mouse */

static unsigned mouse_buttons;

int console_mouse_move(Machine *m, int dx, int dy, int dz, char *err, size_t errlen)
{
    if (!input_mouse(m, dx, dy, dz, mouse_buttons))
        return wb_errf(err, errlen, "mouse_move: the machine has no mouse");
    return 0;
}

int console_mouse_button(Machine *m, unsigned state, char *err, size_t errlen)
{
    mouse_buttons = state & 7;
    if (!input_mouse(m, 0, 0, 0, mouse_buttons))
        return wb_errf(err, errlen, "mouse_button: the machine has no mouse");
    return 0;
}

/* ------------------------------------------------------------------ SIGUSR1 screendump */

static volatile sig_atomic_t dump_requested;
static const char *dump_path;

static void on_usr1(int sig)
{
    (void)sig;
    dump_requested = 1;
}

static int dump_fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    return 0;
}

static void dump_dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
    if (!dump_requested)
        return;
    dump_requested = 0;
    char err[512];
    if (console_screendump(opaque, dump_path, NULL, err, sizeof err))
        wb_log("%s", err);
}

void console_install_dump_signal(Machine *m)
{
    dump_path = getenv("WIREBOX_SCREENDUMP");
    if (!dump_path || !*dump_path)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    loop_add_poll_hook(m, dump_fill, dump_dispatch, m);
}
