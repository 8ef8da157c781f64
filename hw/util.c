/* Messages for a person and allocation helpers (hw/util.h). */
#define _GNU_SOURCE
#include "hw/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One line for a person from a message that may carry argv or file text:
 * control characters become C escapes (a newline in an argument cannot make
 * a second line, an escape sequence cannot reach the terminal), and a
 * message longer than the buffer loses its middle, not its end, so the
 * option name at the start and the reason at the end both survive. */
static void tidy_message(char *out, size_t outlen, const char *in)
{
    if (!outlen)
        return;
    size_t need = 0;
    for (const char *p = in; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        need += (ch < 0x20 || ch == 0x7F) ? (ch == '\n' || ch == '\t' || ch == '\r' ? 2 : 4) : 1;
    }
    static const char gap[] = " ... ";
    size_t room = outlen - 1, head = need, tail_from = need;
    if (need > room) {
        if (room < sizeof gap + 8) {
            head = room; /* too small to elide nicely: cut */
        } else {
            head = (room - (sizeof gap - 1)) / 3;
            tail_from = need - (room - (sizeof gap - 1) - head);
        }
    }
    size_t o = 0, pos = 0;
    bool gapped = false;
    for (const char *p = in; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        char esc[5];
        size_t n = 1;
        if (ch < 0x20 || ch == 0x7F) {
            if (ch == '\n' || ch == '\t' || ch == '\r') {
                esc[0] = '\\';
                esc[1] = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
                n = 2;
            } else {
                snprintf(esc, sizeof esc, "\\x%02x", ch);
                n = 4;
            }
        } else {
            esc[0] = (char)ch;
        }
        /* a character is kept whole, before the gap or after it */
        if (pos + n <= head || (pos >= tail_from && head < need)) {
            if (o + n > room)
                break;
            memcpy(out + o, esc, n);
            o += n;
        } else if (!gapped && head < tail_from) {
            size_t g = sizeof gap - 1;
            if (o + g <= room) {
                memcpy(out + o, gap, g);
                o += g;
            }
            gapped = true;
        }
        pos += n;
    }
    out[o] = '\0';
}

static void vformat_message(char *out, size_t outlen, const char *fmt, va_list ap)
{
    char small[1024], *full = small;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small && (full = malloc((size_t)n + 1)) != NULL)
        vsnprintf(full, (size_t)n + 1, fmt, ap2);
    else if (!full)
        full = small;
    va_end(ap2);
    tidy_message(out, outlen, full);
    if (full != small)
        free(full);
}

void wb_log(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vformat_message(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* The terminal may be in raw mode (-nographic): end lines with CR LF. */
    fprintf(stderr, "wirebox: %s%s", buf, isatty(2) ? "\r\n" : "\n");
}

int wb_verrf(char *err, size_t errlen, const char *fmt, va_list ap)
{
    vformat_message(err, errlen, fmt, ap);
    return 1;
}

int wb_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat_message(err, errlen, fmt, ap);
    va_end(ap);
    return 1;
}

static void out_of_memory(void)
{
    wb_log("out of memory");
    exit(1);
}

void *wb_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *wb_realloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *wb_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        out_of_memory();
    return d;
}

char *wb_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    return s;
}
