/* Character devices: the host ends of the serial ports, the monitor and the
 * debug consoles, with QEMU's -chardev types and options (null, stdio, file,
 * pipe, pty, socket over TCP or a Unix socket, ringbuf, serial/tty, vc) and
 * its short forms for -serial, -monitor and -debugcon ("stdio",
 * "mon:stdio", "file:PATH", "tcp:HOST:PORT,server=on", "chardev:ID", ...).
 *
 * Three stages, as the rest of the command line:
 *   1. Option time (ConsoleConfig): every -chardev and short form is parsed
 *      and checked, short forms become -chardev texts with QEMU's labels
 *      (serial0, compat_monitor0, debugcon0), references are resolved and
 *      the defaults of -nographic applied. Nothing is opened yet.
 *   2. chardevs_open: each chardev opens its host side (files, listening
 *      sockets, ptys); a mistake is one line and exit status 1.
 *   3. Frontends (a UART, the monitor, a debug console) claim a chardev;
 *      chardevs_start watches their fds in the machine's one event loop.
 *
 * A chardev with mux=on (and every "mon:" short form) serves up to four
 * frontends: all of them write, and the input goes to the one in focus;
 * Ctrl-A c moves the focus on (serial console <-> monitor), Ctrl-A x quits,
 * Ctrl-A h lists the keys, Ctrl-A Ctrl-A sends a Ctrl-A.
 *
 * Flow control: a chardev reads its host fd only when the frontend in focus
 * can take bytes (uart_can_receive); a mux or socket chardev reads at most
 * 1 KiB ahead of it, so that Ctrl-A x and a client leaving are noticed even
 * when the guest does not read its serial port. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/chips.h"
#include "hw/machine.h"
#include "hw/pc.h"

#define CHARDEV_MAX 32
#define MONITOR_MAX 4
#define DEBUGCON_MAX 4
#define CHARDEV_MUX_MAX 4

/* ------------------------------------------------------------------ option time */

typedef struct ConsoleConfig {
    char *chardev[CHARDEV_MAX]; /* -chardev texts, and those made from short forms */
    char *origin[CHARDEV_MAX];  /* the option each came from, for messages */
    int nchardev;
    char *serial[MAX_SERIAL]; /* the chardev id of each serial port (NULL: "none") */
    int nserial;
    char *monitor[MONITOR_MAX]; /* the chardev ids monitors sit on */
    int nmonitor;
    char *debugcon[DEBUGCON_MAX]; /* the chardev ids of -debugcon devices */
    int ndebugcon;
    bool default_monitor; /* no -monitor/-mon/-serial mon:... given */
    bool help;            /* -chardev help: print chardev_print_help, exit 0 */
} ConsoleConfig;

/* Each returns 0, or 1 with one line in err naming the option. */
/* -chardev TYPE,id=ID[,OPTIONS] */
int console_add_chardev(ConsoleConfig *c, const char *text, char *err, size_t errlen);
/* -serial SPEC (a short form, "chardev:ID" or "none") */
int console_add_serial(ConsoleConfig *c, const char *spec, char *err, size_t errlen);
/* -monitor SPEC; -mon [chardev=]ID[,mode=readline] */
int console_add_monitor(ConsoleConfig *c, const char *spec, char *err, size_t errlen);
int console_add_mon(ConsoleConfig *c, const char *text, char *err, size_t errlen);
/* -debugcon SPEC: an isa-debugcon device (port 0xE9) on it */
int console_add_debugcon(ConsoleConfig *c, const char *spec, char *err, size_t errlen);
/* After all options (and the defaults ui/options.c adds as QEMU does): the
 * cross-checks. Every chardev:ID and chardev= exists, a chardev without
 * mux=on serves one frontend, stdio is used by one chardev. device_ids: the
 * chardev= values of the -device options (-debugcon's devices included). */
int console_finish(ConsoleConfig *c, const char *const *device_ids, int ndevice_ids, char *err,
                   size_t errlen);
bool console_has_chardev(const ConsoleConfig *c, const char *id);
void console_free(ConsoleConfig *c);
/* -chardev help: the types. */
void chardev_print_help(FILE *f);

/* ------------------------------------------------------------------ chardevs */

typedef struct Chardev Chardev;

typedef enum {
    CHR_EVENT_OPENED,  /* a peer is there (a client connected; stdio at start) */
    CHR_EVENT_CLOSED,  /* the peer left */
    CHR_EVENT_MUX_IN,  /* the focus of a mux came to this frontend */
    CHR_EVENT_MUX_OUT, /* the focus went elsewhere */
} CharEvent;

/* What reads a chardev. can_receive: how many bytes it takes now (NULL:
 * output only; input is dropped); receive: at most that many; event: may be
 * NULL. */
typedef struct CharFrontend {
    size_t (*can_receive)(void *opaque);
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
    void (*event)(void *opaque, CharEvent ev);
    void *opaque;
} CharFrontend;

/* Opens every chardev of the configuration (files, listening sockets, ptys;
 * a socket client connects). Returns 0, or 1 with one line in err, e.g.
 * "-chardev socket,id=s0,port=4444,host=10.9.9.9: cannot listen on
 * 10.9.9.9:4444: Cannot assign requested address". */
int chardevs_open(const ConsoleConfig *c, char *err, size_t errlen);
Chardev *chardev_find(const char *id);
const char *chardev_id(const Chardev *c);
bool chardev_is_mux(const Chardev *c);
/* QEMU's description for info chardev: "stdio", "file", "pty:/dev/pts/3",
 * "disconnected:tcp:127.0.0.1:4444,server=on", ... */
const char *chardev_filename(const Chardev *c);
/* Every chardev in creation order: call with *pos = 0 until NULL. */
Chardev *chardev_next(int *pos);

/* A frontend takes a chardev (the first for a non-mux one; a mux one takes
 * up to CHARDEV_MUX_MAX, the first has the focus). Returns what the device
 * writes to (valid until chardevs_close_all), or NULL with err. The input
 * side (fe) may be set now or later with chardev_set_frontend (a UART
 * exists only after its CharDev does). */
CharDev *chardev_claim(Chardev *c, const CharFrontend *fe, char *err, size_t errlen);
void chardev_set_frontend(CharDev *out, const CharFrontend *fe);
/* Output from a frontend, as the device writes it (same as out->write). */
void chardev_write(Chardev *c, const uint8_t *buf, size_t len);

/* Watches every chardev's fds on m (stdio: puts the terminal in raw mode,
 * restored at exit) and sends the first events. A socket server with
 * wait=on blocks here until its first client connects ("wirebox: waiting
 * for connection on: disconnected:tcp:..."). Returns 0, or 1 with err. */
int chardevs_start(Machine *m, char *err, size_t errlen);
/* Stops watching, closes every host fd and file, restores the terminal,
 * frees every chardev. */
void chardevs_close_all(void);

/* A ringbuf chardev's contents: up to max bytes are taken out into buf;
 * returns how many. -1 if c is not a ringbuf. */
long chardev_ringbuf_read(Chardev *c, uint8_t *buf, size_t max);
/* Input for a ringbuf's frontend (the monitor's ringbuf_write): -1 if c is
 * not a ringbuf. */
int chardev_ringbuf_write(Chardev *c, const uint8_t *buf, size_t len);

/* For the machine's device wiring (hw/machine.h machine_set_chardev_lookup):
 * claims chardev id for an output-only device such as isa-debugcon. */
CharDev *chardev_claim_for_device(void *opaque, const char *id);

/* Puts the terminal back as it was (async-signal-safe; no-op if untouched). */
void chardev_term_restore(void);
