/* The gdb remote stub: gdb's remote serial protocol, as gdb 13 speaks it,
 * over a TCP or Unix socket watched by the machine's event loop.
 *
 * Three layers, each usable alone (the unit tests drive the first two
 * without sockets):
 *   - framing and encoding: pure functions over bytes (GdbRx, gdb_frame...);
 *   - the stub: packets in, replies out through a write callback, acting on
 *     the machine (registers, memory, breakpoints, run control);
 *   - the socket front end that main() starts for -gdb/-s.
 *
 * Addresses gdb uses are linear (CS.base + EIP, data segment base + offset);
 * in real and virtual-8086 mode the PC is CS*16 + IP (cpu_debug_pc), both
 * in what gdb reads as $eip/$pc and in breakpoint addresses. With
 * "monitor phys on" memory packets use physical addresses instead.
 * gdb's breakpoints (Z0, Z1) and watchpoints (Z2-Z4) never touch guest
 * memory or debug registers: the guest cannot see them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/machine.h"

#define GDB_PACKET_MAX 4096 /* payload bytes a packet to us may have (PacketSize) */
#define GDB_MEM_MAX 2048    /* bytes one m/M/X packet moves */
#define GDB_NREGS 32        /* registers in target.xml */
#define GDB_REGS_BYTES 176  /* the 'g' packet's register block */
#define GDB_MAX_BREAKPOINTS 256

/* ------------------------------------------------------------------ framing */

/* What one received byte completed. */
enum {
    GDB_RX_NONE,      /* nothing yet */
    GDB_RX_PACKET,    /* a packet with a good checksum: rx->buf/rx->len */
    GDB_RX_BADSUM,    /* a packet whose checksum is wrong or malformed: NAK it */
    GDB_RX_OVERSIZE,  /* a good packet longer than GDB_PACKET_MAX: refused */
    GDB_RX_ACK,       /* '+' */
    GDB_RX_NAK,       /* '-': resend the last packet */
    GDB_RX_INTERRUPT, /* 0x03 outside a packet: Ctrl-C */
};

typedef struct GdbRx {
    int state;
    uint8_t sum;  /* running checksum of the payload */
    uint8_t csum; /* the checksum sent */
    bool oversize;
    size_t len;                   /* payload bytes kept */
    char buf[GDB_PACKET_MAX + 1]; /* payload, NUL-terminated (binary data may hold NULs) */
} GdbRx;

void gdb_rx_init(GdbRx *rx);
/* Feed one byte; returns GDB_RX_*. A '$' inside a packet starts a new one. */
int gdb_rx_byte(GdbRx *rx, uint8_t b);

uint8_t gdb_checksum(const void *buf, size_t len);
/* "$payload#xx" into out; returns its length, or 0 if it does not fit. */
size_t gdb_frame(const void *payload, size_t len, char *out, size_t outlen);
/* Binary data for a reply: '$', '#', '}' and '*' become '}' and the byte
 * XOR 0x20. Returns bytes written, or 0 if out is too small (len > 0). */
size_t gdb_escape(const void *in, size_t len, char *out, size_t outlen);
/* Undo the escaping of X packet data in place; returns the new length, or
 * -1 if it ends in a lone '}'. */
long gdb_unescape(uint8_t *buf, size_t len);

/* Hex digit value, or -1. */
int gdb_hexval(int ch);
/* A hex number of at most 32 significant bits at *p (leading zeros are
 * fine); advances *p. False if there is no digit or it overflows. */
bool gdb_parse_hex32(const char **p, uint32_t *out);
/* Exactly nhex hex digits (nhex even) to nhex/2 bytes; false if any is
 * not a hex digit or nhex is odd. */
bool gdb_hex_decode(const char *hex, size_t nhex, uint8_t *out);
/* len bytes as 2*len lowercase hex digits (no NUL). */
void gdb_hex_encode(const void *buf, size_t len, char *out);

/* ------------------------------------------------------------------ the listen address */

/* -gdb DEV: "tcp:[HOST]:PORT" (HOST empty: 127.0.0.1; "[v6]" allowed),
 * "unix:PATH", each optionally followed by QEMU's ",server=on,wait=off..."
 * options (accepted and ignored). PORT 0 picks a free port. */
typedef struct GdbAddr {
    bool is_unix;
    char host[256];
    int port;
    char path[108];
} GdbAddr;
/* Returns 0, or -1 with one line in err. */
int gdb_parse_addr(const char *spec, GdbAddr *a, char *err, size_t errlen);

/* ------------------------------------------------------------------ the stub */

typedef struct GdbStub GdbStub;
typedef void (*GdbWriteFn)(void *opaque, const void *buf, size_t len);

/* A stub for m whose output goes to write(opaque, ...). It installs
 * m->on_debug (gdbstub_poll). No sockets: gdbstub_connect/input/disconnect
 * stand for a connection. */
GdbStub *gdbstub_new(Machine *m, GdbWriteFn write, void *opaque);
/* A debugger connected: the CPU stops (if it runs), protocol state resets. */
void gdbstub_connect(GdbStub *s);
/* Bytes from the debugger. */
void gdbstub_input(GdbStub *s, const void *buf, size_t len);
/* The connection is gone: like a detach (breakpoints removed, guest runs). */
void gdbstub_disconnect(GdbStub *s);
/* The machine loop's on_debug hook: reports a stop of the CPU (breakpoint,
 * watchpoint, step) to the debugger. */
void gdbstub_poll(GdbStub *s);
bool gdbstub_connected(const GdbStub *s);
void gdbstub_free(GdbStub *s);

/* ------------------------------------------------------------------ the socket front end */

/* Listen on spec (see gdb_parse_addr) and serve one debugger at a time.
 * Logs the address it listens on. NULL with one line in err on failure. */
GdbStub *gdbstub_listen(Machine *m, const char *spec, char *err, size_t errlen);
/* At exit: a debugger waiting for the guest hears that it exited (W
 * packet); sockets closed, a Unix socket's file removed; s freed. */
void gdbstub_close(GdbStub *s, int exit_code);
