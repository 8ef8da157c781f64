/* Serial port backends. */
#define _GNU_SOURCE
#include "ui/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define ESCAPE_CHAR 0x01 /* Ctrl-A */

enum { BK_NULL, BK_STDIO, BK_FILE };

typedef struct Backend {
    CharDev cd; /* first: a CharDev * is a Backend * */
    int kind;
    int in_fd, out_fd; /* -1 when none */
    bool mux;          /* Ctrl-A escapes (mon:stdio) */
    bool got_escape;
    bool out_broken; /* a write failed for good: drop further output */
    bool watching;
    bool eof; /* input ended: no more reads (the fd stays registered, never polled) */
    Machine *m;
    Uart *uart;
    /* mon:stdio reads ahead of the UART so that Ctrl-A x works even when the
     * guest does not drain its receive FIFO; guest bytes wait here. */
    uint8_t pend[1024];
    size_t npend;
} Backend;

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;
static bool atexit_done;

void chardev_term_restore(void)
{
    if (tio_saved) {
        tcsetattr(0, TCSANOW, &saved_tio);
        tio_saved = 0;
    }
}

/* Raw input: no echo, no line editing, no CR->NL, no flow control; Ctrl-C
 * etc. reach the guest unless keep_signals. Output processing is kept. */
static void term_raw(bool keep_signals)
{
    if (tio_saved || !isatty(0))
        return;
    struct termios t;
    if (tcgetattr(0, &t) != 0)
        return;
    saved_tio = t;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
    if (!keep_signals)
        t.c_lflag &= ~(tcflag_t)ISIG;
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(0, TCSANOW, &t) != 0)
        return;
    tio_saved = 1;
    if (!atexit_done) {
        atexit(chardev_term_restore);
        atexit_done = true;
    }
}

/* Writes all of buf, waiting out EAGAIN and partial writes. */
static void write_all(Backend *b, const uint8_t *buf, size_t len)
{
    while (len && !b->out_broken) {
        ssize_t n = write(b->out_fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {.fd = b->out_fd, .events = POLLOUT};
            poll(&p, 1, 1000);
        } else {
            b->out_broken = true; /* EPIPE, EIO, disk full: the guest keeps running */
        }
    }
}

static void backend_write(void *opaque, const uint8_t *buf, size_t len)
{
    Backend *b = opaque;
    if (b->out_fd >= 0)
        write_all(b, buf, len);
}

static void write_str(Backend *b, const char *s)
{
    if (b->out_fd >= 0)
        write_all(b, (const uint8_t *)s, strlen(s));
}

static void mux_help(Backend *b)
{
    write_str(b, "\r\n"
                 "Ctrl-A h        print this help\r\n"
                 "Ctrl-A x        exit wirebox\r\n"
                 "Ctrl-A c        monitor (not implemented yet)\r\n"
                 "Ctrl-A Ctrl-A   send Ctrl-A to the guest\r\n");
}

/* Handles one input byte of a mon:stdio backend; true if it goes to the guest. */
static bool mux_byte(Backend *b, uint8_t ch)
{
    if (b->got_escape) {
        b->got_escape = false;
        switch (ch) {
        case ESCAPE_CHAR:
            return true;
        case 'h':
        case '?':
            mux_help(b);
            break;
        case 'x':
            write_str(b, "\r\nwirebox: Terminated\r\n");
            machine_request_shutdown(b->m, 0);
            break;
        case 'c':
            write_str(b, "\r\nwirebox: the monitor is not implemented yet\r\n");
            break;
        case 'b':
            write_str(b, "\r\nwirebox: sending a break is not supported yet\r\n");
            break;
        default:
            break; /* unknown escapes are swallowed, as in QEMU */
        }
        return false;
    }
    if (ch == ESCAPE_CHAR) {
        b->got_escape = true;
        return false;
    }
    return true;
}

static void stop_watch(Backend *b)
{
    if (b->watching) {
        loop_unwatch_fd(b->m, b->in_fd);
        b->watching = false;
    }
}

/* Moves buffered input into the UART as far as it has room. */
static void flush_pending(Backend *b)
{
    if (!b->npend || !b->uart)
        return;
    size_t n = uart_can_receive(b->uart);
    if (n > b->npend)
        n = b->npend;
    if (!n)
        return;
    uart_receive(b->uart, b->pend, n);
    memmove(b->pend, b->pend + n, b->npend - n);
    b->npend -= n;
    loop_kick(b->m); /* the guest has input: do not sleep in poll */
}

/* Asked before every poll: read stdin only when its bytes have somewhere to go. */
static bool stdin_can_read(void *opaque)
{
    Backend *b = opaque;
    flush_pending(b);
    if (b->eof || !b->uart)
        return false;
    if (b->mux)
        return b->npend < sizeof b->pend;
    return uart_can_receive(b->uart) > 0;
}

static void stdin_on_read(void *opaque)
{
    Backend *b = opaque;
    if (b->eof || !b->uart)
        return;
    size_t room = b->mux ? sizeof b->pend - b->npend : uart_can_receive(b->uart);
    if (room == 0)
        return;
    uint8_t buf[sizeof b->pend];
    if (room > sizeof buf)
        room = sizeof buf;
    ssize_t n = read(b->in_fd, buf, room);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        b->eof = true; /* EOF (e.g. </dev/null) or a dead terminal: stop reading */
        return;
    }
    if (!b->mux) {
        uart_receive(b->uart, buf, (size_t)n);
        return;
    }
    for (ssize_t i = 0; i < n; i++)
        if (mux_byte(b, buf[i]))
            b->pend[b->npend++] = buf[i];
    flush_pending(b);
}

int chardev_open(const char *spec, CharDev **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!strcmp(spec, "none"))
        return 0;
    Backend *b = calloc(1, sizeof *b);
    if (!b) {
        wb_errf(err, errlen, "-serial %s: out of memory", spec);
        return -1;
    }
    b->cd.write = backend_write;
    b->cd.opaque = b;
    b->in_fd = b->out_fd = -1;
    if (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio")) {
        b->kind = BK_STDIO;
        b->in_fd = 0;
        b->out_fd = 1;
        b->mux = spec[0] == 'm';
    } else if (!strncmp(spec, "file:", 5) && spec[5]) {
        b->kind = BK_FILE;
        b->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (b->out_fd < 0) {
            wb_errf(err, errlen, "-serial %s: cannot open: %s", spec, strerror(errno));
            free(b);
            return -1;
        }
    } else if (!strcmp(spec, "null") || !strcmp(spec, "vc") || !strncmp(spec, "vc:", 3)) {
        b->kind = BK_NULL;
    } else {
        wb_errf(err, errlen, "-serial %s: unsupported backend", spec);
        free(b);
        return -1;
    }
    *out = &b->cd;
    return 0;
}

void chardev_attach(CharDev *cd, Machine *m, Uart *u)
{
    if (!cd)
        return;
    Backend *b = cd->opaque;
    b->m = m;
    b->uart = u;
    if (b->kind != BK_STDIO || !u)
        return;
    /* mon:stdio passes Ctrl-C to the guest; plain stdio lets it stop wirebox. */
    term_raw(!b->mux);
    loop_watch_fd(m, b->in_fd, stdin_can_read, stdin_on_read, b);
    b->watching = true;
}

void chardev_close(CharDev *cd)
{
    if (!cd)
        return;
    Backend *b = cd->opaque;
    if (b->m)
        stop_watch(b);
    if (b->kind == BK_FILE && b->out_fd >= 0)
        close(b->out_fd);
    if (b->kind == BK_STDIO)
        chardev_term_restore();
    free(b);
}
