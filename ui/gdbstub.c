/* The gdb remote stub: framing, the packets gdb 13 sends, run control
 * through the machine's debugger API (machine_set_paused, the debug hook)
 * and the CPU's debug interface (cpu/cpu.h), and the socket. */
#define _GNU_SOURCE
#include "ui/gdbstub.h"
#include "hw/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "hw/pc.h"

/* ------------------------------------------------------------------ framing */

enum { RX_IDLE, RX_DATA, RX_CSUM1, RX_CSUM2 };

void gdb_rx_init(GdbRx *rx)
{
    rx->state = RX_IDLE;
    rx->sum = rx->csum = 0;
    rx->oversize = false;
    rx->len = 0;
    rx->buf[0] = '\0';
}

int gdb_hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static void rx_start(GdbRx *rx)
{
    rx->state = RX_DATA;
    rx->sum = 0;
    rx->oversize = false;
    rx->len = 0;
}

int gdb_rx_byte(GdbRx *rx, uint8_t b)
{
    switch (rx->state) {
    case RX_IDLE:
        if (b == '$') {
            rx_start(rx);
            return GDB_RX_NONE;
        }
        if (b == '+')
            return GDB_RX_ACK;
        if (b == '-')
            return GDB_RX_NAK;
        if (b == 0x03)
            return GDB_RX_INTERRUPT;
        return GDB_RX_NONE; /* noise between packets */
    case RX_DATA:
        if (b == '$') { /* a lost '#': resynchronise on the new packet */
            rx_start(rx);
            return GDB_RX_NONE;
        }
        if (b == '#') {
            rx->state = RX_CSUM1;
            return GDB_RX_NONE;
        }
        rx->sum = (uint8_t)(rx->sum + b);
        if (rx->len < GDB_PACKET_MAX)
            rx->buf[rx->len++] = (char)b;
        else
            rx->oversize = true;
        return GDB_RX_NONE;
    case RX_CSUM1:
    case RX_CSUM2: {
        if (b == '$') {
            rx_start(rx);
            return GDB_RX_BADSUM;
        }
        int v = gdb_hexval(b);
        if (v < 0) {
            rx->state = RX_IDLE;
            rx->len = 0;
            rx->buf[0] = '\0';
            return GDB_RX_BADSUM;
        }
        if (rx->state == RX_CSUM1) {
            rx->csum = (uint8_t)(v << 4);
            rx->state = RX_CSUM2;
            return GDB_RX_NONE;
        }
        rx->csum |= (uint8_t)v;
        rx->state = RX_IDLE;
        rx->buf[rx->len] = '\0';
        if (rx->csum != rx->sum)
            return GDB_RX_BADSUM;
        return rx->oversize ? GDB_RX_OVERSIZE : GDB_RX_PACKET;
    }
    }
    rx->state = RX_IDLE;
    return GDB_RX_NONE;
}

uint8_t gdb_checksum(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum;
}

static const char hexdig[] = "0123456789abcdef";

size_t gdb_frame(const void *payload, size_t len, char *out, size_t outlen)
{
    if (outlen < 4 || len > outlen - 4)
        return 0;
    uint8_t sum = gdb_checksum(payload, len);
    out[0] = '$';
    memcpy(out + 1, payload, len);
    out[len + 1] = '#';
    out[len + 2] = hexdig[sum >> 4];
    out[len + 3] = hexdig[sum & 15];
    return len + 4;
}

size_t gdb_escape(const void *in, size_t len, char *out, size_t outlen)
{
    const uint8_t *p = in;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = p[i];
        if (b == '$' || b == '#' || b == '}' || b == '*') {
            if (o + 2 > outlen)
                return 0;
            out[o++] = '}';
            out[o++] = (char)(b ^ 0x20);
        } else {
            if (o + 1 > outlen)
                return 0;
            out[o++] = (char)b;
        }
    }
    return o;
}

long gdb_unescape(uint8_t *buf, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '}') {
            if (++i >= len)
                return -1;
            buf[o++] = buf[i] ^ 0x20;
        } else {
            buf[o++] = buf[i];
        }
    }
    return (long)o;
}

bool gdb_parse_hex32(const char **p, uint32_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0, d;
    while ((d = gdb_hexval((unsigned char)*s)) >= 0) {
        v = (v << 4) | (uint64_t)d;
        if (v > 0xFFFFFFFFull)
            return false;
        s++;
        n++;
    }
    if (!n)
        return false;
    *p = s;
    *out = (uint32_t)v;
    return true;
}

bool gdb_hex_decode(const char *hex, size_t nhex, uint8_t *out)
{
    if (nhex & 1)
        return false;
    for (size_t i = 0; i < nhex; i += 2) {
        int hi = gdb_hexval((unsigned char)hex[i]), lo = gdb_hexval((unsigned char)hex[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void gdb_hex_encode(const void *buf, size_t len, char *out)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hexdig[p[i] >> 4];
        out[2 * i + 1] = hexdig[p[i] & 15];
    }
}

/* ------------------------------------------------------------------ the listen address */

static int addr_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int addr_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wb_verrf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* QEMU's chardev options that make sense for a gdb socket. */
static bool ignorable_option(const char *o, size_t n)
{
    static const char *const ok[] = {"server",     "server=on", "nowait",  "wait=off", "nodelay",
                                     "nodelay=on", "ipv4",      "ipv4=on", "ipv6",     "ipv6=on"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strlen(ok[i]) == n && !strncmp(o, ok[i], n))
            return true;
    return false;
}

int gdb_parse_addr(const char *spec, GdbAddr *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    size_t n = strcspn(spec, ",");
    for (const char *o = spec + n; *o;) {
        o++;
        size_t k = strcspn(o, ",");
        if (!ignorable_option(o, k))
            return addr_fail(err, errlen, "-gdb %s: unsupported option '%.*s'", spec, (int)k, o);
        o += k;
    }
    if (n >= 5 && !strncmp(spec, "unix:", 5)) {
        size_t plen = n - 5;
        if (!plen)
            return addr_fail(err, errlen, "-gdb %s: unix: needs a path", spec);
        if (plen >= sizeof a->path)
            return addr_fail(err, errlen, "-gdb %s: socket path too long (at most %zu bytes)", spec,
                             sizeof a->path - 1);
        a->is_unix = true;
        memcpy(a->path, spec + 5, plen);
        a->path[plen] = '\0';
        return 0;
    }
    if (n < 4 || strncmp(spec, "tcp:", 4))
        return addr_fail(err, errlen,
                         "-gdb %s: unsupported device (use tcp:[HOST]:PORT or unix:PATH)", spec);
    const char *hp = spec + 4, *end = spec + n, *colon;
    size_t hlen;
    if (*hp == '[') {
        const char *rb = memchr(hp, ']', (size_t)(end - hp));
        if (!rb || rb + 1 >= end || rb[1] != ':')
            return addr_fail(err, errlen, "-gdb %s: expected [ADDRESS]:PORT", spec);
        hp++;
        hlen = (size_t)(rb - hp);
        colon = rb + 1;
    } else {
        colon = NULL;
        for (const char *q = hp; q < end; q++)
            if (*q == ':')
                colon = q;
        if (!colon)
            return addr_fail(err, errlen, "-gdb %s: expected tcp:[HOST]:PORT", spec);
        hlen = (size_t)(colon - hp);
    }
    if (hlen >= sizeof a->host)
        return addr_fail(err, errlen, "-gdb %s: host name too long", spec);
    memcpy(a->host, hp, hlen);
    a->host[hlen] = '\0';
    const char *ps = colon + 1;
    long port = 0;
    if (ps >= end)
        return addr_fail(err, errlen, "-gdb %s: missing port", spec);
    for (const char *q = ps; q < end; q++) {
        if (*q < '0' || *q > '9')
            return addr_fail(err, errlen, "-gdb %s: invalid port '%.*s'", spec, (int)(end - ps),
                             ps);
        port = port * 10 + (*q - '0');
        if (port > 65535)
            return addr_fail(err, errlen, "-gdb %s: port out of range", spec);
    }
    a->port = (int)port;
    if (!a->host[0])
        strcpy(a->host, "127.0.0.1"); /* QEMU listens on all interfaces; we do not */
    return 0;
}

/* ------------------------------------------------------------------ the stub */

#define REPLY_MAX (2 * GDB_MEM_MAX + 256) /* largest payload we send */
#define MON_MAX 8192                      /* monitor command output */

typedef struct Breakpoint {
    uint32_t addr;
    uint8_t type; /* 0 software (Z0), 1 hardware (Z1) */
} Breakpoint;

struct GdbStub {
    Machine *m;
    CPU *c;
    GdbWriteFn write;
    void *wopaque;
    GdbRx rx;
    bool connected;        /* a debugger is attached (until D or the connection ends) */
    bool noack;            /* QStartNoAckMode */
    bool running;          /* resumed by c/s/vCont: a stop reply is owed */
    bool swbreak, hwbreak; /* gdb understands these stop reasons */
    bool phys;             /* monitor phys on: m/M/X use physical addresses */
    char stop_reply[64];
    char xml[4096]; /* target.xml as read from offset 0 */
    size_t xml_len;

    Breakpoint bps[GDB_MAX_BREAKPOINTS];
    int nbp;
    int hit_type;    /* type of the breakpoint that stopped the CPU, -1 none */
    bool skip_valid; /* resuming at skip_pc: do not stop there before running it */
    uint32_t skip_pc;

    char reply[REPLY_MAX + 1];
    size_t rlen;
    bool roverflow;
    char tx[REPLY_MAX + 8]; /* the last packet sent (resent on '-') */
    size_t txlen;
    char mon[MON_MAX];
    size_t monlen;

    /* socket front end */
    int lfd, cfd;
    bool is_unix;
    char path[108];
    bool lost; /* the connection failed or closed: clean up in gdbstub_poll */
};

/* ---- replies */

static void r_reset(GdbStub *s)
{
    s->rlen = 0;
    s->roverflow = false;
}

static void r_add(GdbStub *s, const void *p, size_t n)
{
    if (n > REPLY_MAX - s->rlen) {
        s->roverflow = true;
        return;
    }
    memcpy(s->reply + s->rlen, p, n);
    s->rlen += n;
}

static void r_str(GdbStub *s, const char *str)
{
    r_add(s, str, strlen(str));
}

static void r_printf(GdbStub *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void r_printf(GdbStub *s, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        s->roverflow = true;
        return;
    }
    r_add(s, buf, (size_t)n);
}

static void r_hex(GdbStub *s, const void *p, size_t n)
{
    if (2 * n > REPLY_MAX - s->rlen) {
        s->roverflow = true;
        return;
    }
    gdb_hex_encode(p, n, s->reply + s->rlen);
    s->rlen += 2 * n;
}

static void send_raw(GdbStub *s, const void *p, size_t n)
{
    if (s->write && n)
        s->write(s->wopaque, p, n);
}

static void send_packet(GdbStub *s, const char *payload, size_t len)
{
    size_t n = gdb_frame(payload, len, s->tx, sizeof s->tx);
    if (!n)
        n = gdb_frame("E01", 3, s->tx, sizeof s->tx);
    s->txlen = n;
    send_raw(s, s->tx, n);
}

static void send_str(GdbStub *s, const char *str)
{
    send_packet(s, str, strlen(str));
}

/* Send the reply being built (an error if it overflowed). */
static void r_send(GdbStub *s)
{
    if (s->roverflow)
        send_str(s, "E01");
    else
        send_packet(s, s->reply, s->rlen);
}

/* ---- registers: gdb's i386 numbering (target.xml) */

static const int gdb_seg[6] = {S_CS, S_SS, S_DS, S_ES, S_FS, S_GS};

static int reg_size(int n)
{
    return n >= 16 && n < 24 ? 10 : 4;
}

static bool real_like(CPU *c)
{
    return !(c->cr0 & CR0_PE) || (c->eflags & F_VM);
}

/* Register n into out (reg_size(n) bytes, little-endian). */
static void reg_get(CPU *c, int n, uint8_t *out)
{
    FPU *f = &c->fpu;
    if (n < 8) {
        st32le(out, c->regs[n]);
    } else if (n == 8) {
        st32le(out, cpu_debug_pc(c));
    } else if (n == 9) {
        st32le(out, cpu_get_eflags(c));
    } else if (n < 16) {
        st32le(out, c->seg[gdb_seg[n - 10]].sel);
    } else if (n < 24) {
        long double v = f->st[(f->top + (n - 16)) & 7];
        memcpy(out, &v, 10); /* the host's long double is the x87 format */
    } else {
        uint32_t v = 0;
        switch (n) {
        case 24:
            v = f->cw;
            break;
        case 25:
            v = fpu_get_sw(f);
            break;
        case 26:
            v = f->tag;
            break;
        case 27:
            v = f->fcs;
            break;
        case 28:
            v = f->fip;
            break;
        case 29:
            v = f->fds;
            break;
        case 30:
            v = f->fdp;
            break;
        case 31:
            v = f->fop;
            break;
        }
        st32le(out, v);
    }
}

static bool reg_set(CPU *c, int n, const uint8_t *in)
{
    FPU *f = &c->fpu;
    uint32_t v = ld32le(in);
    if (n < 8) {
        c->regs[n] = v;
    } else if (n == 8) {
        if (real_like(c)) {
            uint32_t off = v - ((uint32_t)c->seg[S_CS].sel << 4);
            if (off > 0xFFFF)
                return false; /* not reachable from this CS */
            c->eip = off;
        } else {
            c->eip = v - c->seg[S_CS].base;
        }
    } else if (n == 9) {
        cpu_set_eflags(c, (v & ~F_VM) | (c->eflags & F_VM)); /* the mode stays */
    } else if (n < 16) {
        return cpu_debug_set_seg(c, gdb_seg[n - 10], (uint16_t)v);
    } else if (n < 24) {
        long double x = 0;
        memcpy(&x, in, 10);
        f->st[(f->top + (n - 16)) & 7] = x;
    } else {
        switch (n) {
        case 24:
            f->cw = (uint16_t)v;
            break;
        case 25:
            f->sw = (uint16_t)(v & ~0x3800u);
            f->top = (v >> 11) & 7;
            break;
        case 26:
            f->tag = (uint16_t)v;
            break;
        case 27:
            f->fcs = (uint16_t)v;
            break;
        case 28:
            f->fip = v;
            break;
        case 29:
            f->fds = (uint16_t)v;
            break;
        case 30:
            f->fdp = v;
            break;
        case 31:
            f->fop = (uint16_t)(v & 0x7FF);
            break;
        }
    }
    return true;
}

/* ---- memory */

static uint32_t mem_rw(GdbStub *s, uint32_t addr, uint8_t *buf, uint32_t len, bool write)
{
    uint64_t room = 0x100000000ull - addr; /* no wrap around 4 GiB */
    if (len > room)
        len = (uint32_t)room;
    if (!s->phys)
        return cpu_debug_rw(s->c, addr, buf, len, write);
    uint32_t done = 0;
    for (; done < len; done++) {
        uint8_t *h = phys_host_ptr(s->m, addr + done, write);
        if (!h)
            break;
        if (write) {
            *h = buf[done];
            cpu_invalidate_phys(s->c, addr + done, 1);
        } else {
            buf[done] = *h;
        }
    }
    return done;
}

/* ---- target description
 *
 * The registers of gdb's i386 core feature (no SSE: the CPU has none). The
 * architecture is left to gdb (i386, and "set architecture i8086" works),
 * except when gdb connects to a CPU in real mode: then it is i8086, so
 * x/i $pc shows 16-bit code at once ("set architecture i386" goes back). */

static const char xml_head[] = "<?xml version=\"1.0\"?>\n"
                               "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                               "<target version=\"1.0\">\n";
static const char xml_arch_i8086[] = "  <architecture>i8086</architecture>\n";
static const char xml_core[] =
    "  <osabi>none</osabi>\n"
    "  <feature name=\"org.gnu.gdb.i386.core\">\n"
    "    <flags id=\"i386_eflags\" size=\"4\">\n"
    "      <field name=\"CF\" start=\"0\" end=\"0\"/>\n"
    "      <field name=\"\" start=\"1\" end=\"1\"/>\n"
    "      <field name=\"PF\" start=\"2\" end=\"2\"/>\n"
    "      <field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "      <field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
    "      <field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "      <field name=\"TF\" start=\"8\" end=\"8\"/>\n"
    "      <field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "      <field name=\"DF\" start=\"10\" end=\"10\"/>\n"
    "      <field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "      <field name=\"NT\" start=\"14\" end=\"14\"/>\n"
    "      <field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "      <field name=\"VM\" start=\"17\" end=\"17\"/>\n"
    "      <field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "      <field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
    "      <field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "      <field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "    </flags>\n"
    "    <reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>\n"
    "    <reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "    <reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "    <reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "    <reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
    "    <reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "    <reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "    <reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "    <reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "    <reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "    <reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "    <reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "    <reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "    <reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "    <reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "    <reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "    <reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "    <reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "    <reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "    <reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "    <reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "    <reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  </feature>\n"
    "</target>\n";

/* ---- run control */

static bool bp_hook(void *opaque, uint32_t pc)
{
    GdbStub *s = opaque;
    if (s->skip_valid) {
        s->skip_valid = false;
        if (pc == s->skip_pc)
            return false; /* resuming from here: run this instruction first */
    }
    for (int i = 0; i < s->nbp; i++) {
        if (s->bps[i].addr == pc) {
            s->hit_type = s->bps[i].type;
            return true;
        }
    }
    return false;
}

static void update_hook(GdbStub *s)
{
    s->c->debug_opaque = s;
    s->c->debug_break = s->nbp ? bp_hook : NULL;
    s->c->need_check = true;
}

static void set_stop(GdbStub *s, const char *reply)
{
    snprintf(s->stop_reply, sizeof s->stop_reply, "%s", reply);
}

static void resume(GdbStub *s, bool step)
{
    CPU *c = s->c;
    c->single_step = step;
    c->debug_stop = false;
    c->debug_watch_kind = 0;
    c->watch_hit &= (uint8_t)~CPU_WATCH_HIT_GDB; /* none left over from before the stop */
    s->hit_type = -1;
    s->skip_pc = cpu_debug_pc(c);
    s->skip_valid = true;
    update_hook(s);
    s->running = true;
    machine_set_paused(s->m, false);
}

/* Stop the CPU now (Ctrl-C) and tell gdb. */
static void interrupt(GdbStub *s)
{
    if (!s->running)
        return;
    s->running = false;
    machine_set_paused(s->m, true);
    s->c->single_step = false;
    set_stop(s, "T02thread:01;");
    send_str(s, s->stop_reply);
}

static void detach(GdbStub *s)
{
    CPU *c = s->c;
    s->nbp = 0;
    update_hook(s);
    cpu_watch_clear(c);
    c->single_step = false;
    c->debug_watch_kind = 0;
    s->running = false;
    s->phys = false;
    s->connected = false;
    machine_set_paused(s->m, false); /* the guest runs on */
}

static void kill_machine(GdbStub *s)
{
    detach(s);
    machine_request_shutdown(s->m, 0);
}

void gdbstub_poll(GdbStub *s)
{
    if (s->lost && s->cfd >= 0) {
        loop_unwatch_fd(s->m, s->cfd);
        close(s->cfd);
        s->cfd = -1;
        s->lost = false;
        if (s->connected)
            wb_log("gdb: connection closed; the guest runs on");
        gdbstub_disconnect(s);
    }
    if (!s->running || !machine_paused(s->m))
        return;
    /* The CPU stopped by itself: breakpoint, watchpoint or step done. */
    CPU *c = s->c;
    char r[64];
    s->running = false;
    if (c->debug_watch_kind) {
        static const char *const kind[4] = {"", "watch", "rwatch", "awatch"};
        snprintf(r, sizeof r, "T05%s:%x;thread:01;", kind[c->debug_watch_kind & 3],
                 c->debug_watch_addr);
    } else if (s->hit_type == 0 && s->swbreak) {
        snprintf(r, sizeof r, "T05swbreak:;thread:01;");
    } else if (s->hit_type == 1 && s->hwbreak) {
        snprintf(r, sizeof r, "T05hwbreak:;thread:01;");
    } else {
        snprintf(r, sizeof r, "T05thread:01;");
    }
    c->single_step = false;
    c->debug_stop = false;
    c->debug_watch_kind = 0;
    s->hit_type = -1;
    set_stop(s, r);
    send_str(s, r);
}

/* ---- monitor commands (qRcmd) */

static void mon_printf(GdbStub *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mon_printf(GdbStub *s, const char *fmt, ...)
{
    if (s->monlen >= MON_MAX - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->mon + s->monlen, MON_MAX - s->monlen, fmt, ap);
    va_end(ap);
    if (n > 0)
        s->monlen += (size_t)n < MON_MAX - s->monlen ? (size_t)n : MON_MAX - 1 - s->monlen;
}

static void mon_seg(GdbStub *s, const char *name, const SegCache *sc)
{
    mon_printf(s, "%s=%04x %08x %08x %04x\n", name, sc->sel, sc->base, sc->limit, sc->flags);
}

static void mon_regs(GdbStub *s)
{
    CPU *c = s->c;
    uint32_t fl = cpu_get_eflags(c);
    static const char *const segn[6] = {"ES ", "CS ", "SS ", "DS ", "FS ", "GS "};
    const char *mode = !(c->cr0 & CR0_PE)   ? "real"
                       : (c->eflags & F_VM) ? "virtual-8086"
                       : c->code32          ? "protected (32-bit code)"
                                            : "protected (16-bit code)";
    mon_printf(s, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", c->regs[R_EAX], c->regs[R_EBX],
               c->regs[R_ECX], c->regs[R_EDX]);
    mon_printf(s, "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", c->regs[R_ESI], c->regs[R_EDI],
               c->regs[R_EBP], c->regs[R_ESP]);
    mon_printf(s, "EIP=%08x EFL=%08x [%c%c%c%c%c%c%c] CPL=%d mode=%s%s\n", c->eip, fl,
               fl & F_OF ? 'O' : '-', fl & F_DF ? 'D' : '-', fl & F_SF ? 'S' : '-',
               fl & F_ZF ? 'Z' : '-', fl & F_AF ? 'A' : '-', fl & F_PF ? 'P' : '-',
               fl & F_CF ? 'C' : '-', c->cpl, mode, c->halted ? ", halted" : "");
    mon_printf(s, "PC (gdb's $pc)=%08x\n", cpu_debug_pc(c));
    mon_printf(s, "seg=sel  base     limit    flags\n");
    for (int i = 0; i < 6; i++)
        mon_seg(s, segn[i], &c->seg[i]);
    mon_seg(s, "LDT", &c->seg[S_LDTR]);
    mon_seg(s, "TR ", &c->seg[S_TR]);
    mon_printf(s, "GDT=     %08x %08x\n", c->gdt_base, c->gdt_limit);
    mon_printf(s, "IDT=     %08x %08x\n", c->idt_base, c->idt_limit);
    mon_printf(s, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", c->cr0, c->cr2, c->cr3, c->cr4);
    mon_printf(s, "DR0=%08x DR1=%08x DR2=%08x DR3=%08x\n", c->dr[0], c->dr[1], c->dr[2], c->dr[3]);
    mon_printf(s, "DR6=%08x DR7=%08x\n", c->dr[6], c->dr[7]);
    mon_printf(s, "A20=%d instructions=%llu memory=%s addresses\n", machine_get_a20(s->m),
               (unsigned long long)c->icount, s->phys ? "physical" : "linear (virtual)");
}

static void mon_help(GdbStub *s)
{
    mon_printf(s, "wirebox monitor commands (gdb: monitor COMMAND):\n"
                  "  help                 this list\n"
                  "  regs                 all CPU registers, segment caches, CR0-4, DR0-7\n"
                  "                       (also: info registers)\n"
                  "  phys [on|off]        memory reads/writes use physical addresses (on)\n"
                  "                       or linear ones through the page tables (off)\n"
                  "  system_reset         reset the machine (then: maintenance flush\n"
                  "                       register-cache, or stepi, to refresh gdb)\n"
                  "  quit                 end the emulator\n");
}

static void monitor(GdbStub *s, char *cmd)
{
    while (*cmd == ' ')
        cmd++;
    size_t n = strlen(cmd);
    while (n && (cmd[n - 1] == ' ' || cmd[n - 1] == '\n' || cmd[n - 1] == '\r'))
        cmd[--n] = '\0';
    char *arg = cmd + strcspn(cmd, " ");
    if (*arg)
        *arg++ = '\0';
    while (*arg == ' ')
        arg++;
    if (!strcmp(cmd, "help") || !strcmp(cmd, "?") || !*cmd) {
        mon_help(s);
    } else if (!strcmp(cmd, "regs") || (!strcmp(cmd, "info") && !strncmp(arg, "registers", 9))) {
        mon_regs(s);
    } else if (!strcmp(cmd, "phys")) {
        if (!strcmp(arg, "on"))
            s->phys = true;
        else if (!strcmp(arg, "off"))
            s->phys = false;
        else if (*arg) {
            mon_printf(s, "phys: say on or off\n");
            return;
        }
        mon_printf(s, "memory accesses use %s addresses\n",
                   s->phys ? "physical" : "linear (virtual)");
    } else if (!strcmp(cmd, "system_reset")) {
        machine_reset(s->m);
        mon_printf(s, "machine reset; refresh gdb's registers with: maintenance flush "
                      "register-cache\n");
    } else if (!strcmp(cmd, "quit") || !strcmp(cmd, "q")) {
        mon_printf(s, "quitting\n");
        machine_request_shutdown(s->m, 0);
    } else {
        mon_printf(s, "unknown command '%s'; try: monitor help\n", cmd);
    }
}

/* ---- packets */

static bool parse_addr_len(const char **p, uint32_t *addr, uint32_t *len)
{
    if (!gdb_parse_hex32(p, addr) || **p != ',')
        return false;
    (*p)++;
    return gdb_parse_hex32(p, len);
}

static void handle_m(GdbStub *s, const char *p)
{
    uint32_t addr, len;
    if (!parse_addr_len(&p, &addr, &len) || *p) {
        send_str(s, "E01");
        return;
    }
    if (len > GDB_MEM_MAX)
        len = GDB_MEM_MAX; /* a short read is allowed */
    uint8_t buf[GDB_MEM_MAX];
    uint32_t got = mem_rw(s, addr, buf, len, false);
    if (len && !got) {
        send_str(s, "E14");
        return;
    }
    r_reset(s);
    r_hex(s, buf, got);
    r_send(s);
}

static void handle_M(GdbStub *s, const char *p, const char *end)
{
    uint32_t addr, len;
    uint8_t buf[GDB_MEM_MAX];
    if (!parse_addr_len(&p, &addr, &len) || *p != ':' || len > GDB_MEM_MAX ||
        (size_t)(end - (p + 1)) != 2 * (size_t)len ||
        !gdb_hex_decode(p + 1, 2 * (size_t)len, buf)) {
        send_str(s, "E01");
        return;
    }
    send_str(s, mem_rw(s, addr, buf, len, true) == len ? "OK" : "E14");
}

static void handle_X(GdbStub *s, char *p, char *end)
{
    uint32_t addr, len;
    const char *q = p;
    if (!parse_addr_len(&q, &addr, &len) || *q != ':' || len > GDB_MEM_MAX) {
        send_str(s, "E01");
        return;
    }
    uint8_t *data = (uint8_t *)q + 1;
    long n = gdb_unescape(data, (size_t)((uint8_t *)end - data));
    if (n != (long)len) {
        send_str(s, "E01");
        return;
    }
    send_str(s, !len || mem_rw(s, addr, data, len, true) == len ? "OK" : "E14");
}

static void handle_regs(GdbStub *s)
{
    uint8_t buf[GDB_REGS_BYTES], *p = buf;
    for (int n = 0; n < GDB_NREGS; n++) {
        reg_get(s->c, n, p);
        p += reg_size(n);
    }
    r_reset(s);
    r_hex(s, buf, sizeof buf);
    r_send(s);
}

static void handle_G(GdbStub *s, const char *p, size_t len)
{
    uint8_t buf[GDB_REGS_BYTES];
    if (len != 2 * sizeof buf || !gdb_hex_decode(p, len, buf)) {
        send_str(s, "E01");
        return;
    }
    bool ok = true;
    const uint8_t *q = buf;
    for (int n = 0; n < GDB_NREGS; n++) {
        ok &= reg_set(s->c, n, q);
        q += reg_size(n);
    }
    send_str(s, ok ? "OK" : "E22");
}

static void handle_p(GdbStub *s, const char *p)
{
    uint32_t n;
    if (!gdb_parse_hex32(&p, &n) || *p) {
        send_str(s, "E01");
        return;
    }
    if (n >= GDB_NREGS) {
        send_str(s, "E45");
        return;
    }
    uint8_t buf[10];
    reg_get(s->c, (int)n, buf);
    r_reset(s);
    r_hex(s, buf, (size_t)reg_size((int)n));
    r_send(s);
}

static void handle_P(GdbStub *s, const char *p, const char *end)
{
    uint32_t n;
    uint8_t buf[10];
    if (!gdb_parse_hex32(&p, &n) || *p != '=' || n >= GDB_NREGS ||
        (size_t)(end - (p + 1)) != 2 * (size_t)reg_size((int)n) ||
        !gdb_hex_decode(p + 1, 2 * (size_t)reg_size((int)n), buf)) {
        send_str(s, "E01");
        return;
    }
    send_str(s, reg_set(s->c, (int)n, buf) ? "OK" : "E22");
}

static void handle_Z(GdbStub *s, const char *p, bool insert)
{
    if (*p < '0' || *p > '4' || p[1] != ',') {
        send_str(s, ""); /* not a kind we know */
        return;
    }
    int type = *p - '0';
    uint32_t addr, kind;
    p += 2;
    if (!parse_addr_len(&p, &addr, &kind) || (*p && *p != ';')) {
        send_str(s, "E01");
        return;
    }
    if (type >= 2) {
        static const int wk[5] = {0, 0, CPU_WATCH_WRITE, CPU_WATCH_READ, CPU_WATCH_ACCESS};
        if (!kind) {
            send_str(s, "E22");
            return;
        }
        if (insert)
            send_str(s, cpu_watch_insert(s->c, addr, kind, wk[type]) ? "OK" : "E28");
        else {
            cpu_watch_remove(s->c, addr, kind, wk[type]);
            send_str(s, "OK");
        }
        return;
    }
    if (insert) {
        if (s->nbp >= GDB_MAX_BREAKPOINTS) {
            send_str(s, "E28");
            return;
        }
        s->bps[s->nbp++] = (Breakpoint){addr, (uint8_t)type};
    } else {
        for (int i = 0; i < s->nbp; i++) {
            if (s->bps[i].addr == addr && s->bps[i].type == type) {
                s->bps[i] = s->bps[--s->nbp];
                break;
            }
        }
    }
    if (s->running || s->c->debug_break)
        update_hook(s);
    send_str(s, "OK");
}

/* c/s/C/S [sig;][addr]: resume, optionally at addr. */
static void handle_resume(GdbStub *s, const char *p, bool step, bool with_sig)
{
    if (with_sig) {
        uint32_t sig;
        if (!gdb_parse_hex32(&p, &sig)) {
            send_str(s, "E01");
            return;
        }
        if (*p == ';')
            p++;
        else if (*p) {
            send_str(s, "E01");
            return;
        }
    }
    if (*p) {
        uint32_t addr;
        uint8_t b[4];
        if (!gdb_parse_hex32(&p, &addr) || *p) {
            send_str(s, "E01");
            return;
        }
        st32le(b, addr);
        if (!reg_set(s->c, 8, b)) {
            send_str(s, "E22");
            return;
        }
    }
    resume(s, step);
}

/* Does a vCont thread id name our one thread? */
static bool vcont_thread_ok(const char *t, size_t n)
{
    if (n == 0)
        return true;
    char id[32];
    if (n >= sizeof id)
        return false;
    memcpy(id, t, n);
    id[n] = '\0';
    const char *p = id;
    if (*p == 'p') { /* multiprocess form pPID.TID */
        p = strchr(p, '.');
        if (!p)
            return true;
        p++;
    }
    if (!strcmp(p, "-1") || !strcmp(p, "0"))
        return true;
    uint32_t v;
    return gdb_parse_hex32(&p, &v) && !*p && v == 1;
}

static void handle_vcont(GdbStub *s, const char *p)
{
    /* ;action[:thread] ... the first action that applies to thread 1 wins */
    while (*p == ';') {
        p++;
        size_t n = strcspn(p, ";");
        const char *colon = memchr(p, ':', n);
        size_t alen = colon ? (size_t)(colon - p) : n;
        bool ok = vcont_thread_ok(colon ? colon + 1 : p + n, colon ? n - alen - 1 : 0);
        if (ok && alen >= 1) {
            char a = p[0];
            if ((a == 'c' || a == 's') && alen == 1) {
                resume(s, a == 's');
                return;
            }
            if ((a == 'C' || a == 'S') && alen == 3 && gdb_hexval((unsigned char)p[1]) >= 0 &&
                gdb_hexval((unsigned char)p[2]) >= 0) {
                resume(s, a == 'S');
                return;
            }
            if (a == 't' && alen == 1) {
                if (s->running)
                    interrupt(s);
                else
                    send_str(s, "OK");
                return;
            }
            send_str(s, "E01");
            return;
        }
        p += n;
    }
    send_str(s, "E01");
}

static void handle_qxfer_features(GdbStub *s, const char *p)
{
    /* qXfer:features:read:ANNEX:OFFSET,LENGTH */
    const char *colon = strchr(p, ':');
    uint32_t off, len;
    if (!colon) {
        send_str(s, "E00");
        return;
    }
    if ((size_t)(colon - p) != strlen("target.xml") || strncmp(p, "target.xml", 10)) {
        send_str(s, "E00");
        return;
    }
    p = colon + 1;
    if (!parse_addr_len(&p, &off, &len) || *p) {
        send_str(s, "E01");
        return;
    }
    if (off == 0 || !s->xml_len) {
        bool real = !(s->c->cr0 & CR0_PE);
        s->xml_len = (size_t)snprintf(s->xml, sizeof s->xml, "%s%s%s", xml_head,
                                      real ? xml_arch_i8086 : "", xml_core);
    }
    size_t total = s->xml_len;
    if (off > total) {
        send_str(s, "E01");
        return;
    }
    size_t n = total - off;
    if (n > len)
        n = len;
    if (n > GDB_MEM_MAX)
        n = GDB_MEM_MAX; /* escaped, at most twice that: fits */
    r_reset(s);
    s->reply[0] = off + n < total ? 'm' : 'l';
    size_t e = gdb_escape(s->xml + off, n, s->reply + 1, REPLY_MAX - 1);
    if (n && !e) {
        send_str(s, "E01");
        return;
    }
    s->rlen = 1 + e;
    r_send(s);
}

static void handle_rcmd(GdbStub *s, const char *hex)
{
    size_t n = strlen(hex);
    char cmd[GDB_PACKET_MAX / 2 + 1];
    if ((n & 1) || n / 2 >= sizeof cmd || !gdb_hex_decode(hex, n, (uint8_t *)cmd)) {
        send_str(s, "E01");
        return;
    }
    cmd[n / 2] = '\0';
    s->monlen = 0;
    monitor(s, cmd);
    /* Console output travels in O packets, then the final OK. */
    for (size_t at = 0; at < s->monlen;) {
        size_t chunk = s->monlen - at;
        if (chunk > (REPLY_MAX - 1) / 2)
            chunk = (REPLY_MAX - 1) / 2;
        r_reset(s);
        r_str(s, "O");
        r_hex(s, s->mon + at, chunk);
        r_send(s);
        at += chunk;
    }
    send_str(s, "OK");
}

static void handle_q(GdbStub *s, const char *p)
{
    if (!strncmp(p, "qSupported", 10)) {
        s->swbreak = strstr(p, "swbreak+") != NULL;
        s->hwbreak = strstr(p, "hwbreak+") != NULL;
        r_reset(s);
        r_printf(s,
                 "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;"
                 "vContSupported+",
                 GDB_PACKET_MAX);
        r_send(s);
    } else if (!strncmp(p, "qAttached", 9)) {
        send_str(s, "1"); /* gdb's quit detaches: the guest runs on */
    } else if (!strcmp(p, "qC")) {
        send_str(s, "QC01");
    } else if (!strcmp(p, "qfThreadInfo")) {
        send_str(s, "m01");
    } else if (!strcmp(p, "qsThreadInfo")) {
        send_str(s, "l");
    } else if (!strncmp(p, "qThreadExtraInfo,", 17)) {
        static const char info[] = "CPU 0";
        r_reset(s);
        r_hex(s, info, sizeof info - 1);
        r_send(s);
    } else if (!strncmp(p, "qXfer:features:read:", 20)) {
        handle_qxfer_features(s, p + 20);
    } else if (!strncmp(p, "qRcmd,", 6)) {
        handle_rcmd(s, p + 6);
    } else {
        send_str(s, ""); /* qOffsets, qTStatus, qSymbol...: not supported */
    }
}

static void handle_v(GdbStub *s, const char *p)
{
    if (!strcmp(p, "vCont?")) {
        send_str(s, "vCont;c;C;s;S;t");
    } else if (!strncmp(p, "vCont;", 6)) {
        handle_vcont(s, p + 5); /* from the first ';' */
    } else if (!strcmp(p, "vCtrlC")) {
        send_str(s, "OK");
        interrupt(s);
    } else if (!strncmp(p, "vKill", 5)) {
        send_str(s, "OK");
        kill_machine(s);
    } else {
        send_str(s, ""); /* vMustReplyEmpty, vFile, vRun...: not supported */
    }
}

static void handle_packet(GdbStub *s, char *pkt, size_t len)
{
    char *end = pkt + len;
    switch (pkt[0]) {
    case '?':
        send_str(s, s->stop_reply);
        break;
    case 'g':
        handle_regs(s);
        break;
    case 'G':
        handle_G(s, pkt + 1, len - 1);
        break;
    case 'p':
        handle_p(s, pkt + 1);
        break;
    case 'P':
        handle_P(s, pkt + 1, end);
        break;
    case 'm':
        handle_m(s, pkt + 1);
        break;
    case 'M':
        handle_M(s, pkt + 1, end);
        break;
    case 'X':
        handle_X(s, pkt + 1, end);
        break;
    case 'c':
    case 's':
        handle_resume(s, pkt + 1, pkt[0] == 's', false);
        break;
    case 'C':
    case 'S':
        handle_resume(s, pkt + 1, pkt[0] == 'S', true);
        break;
    case 'Z':
    case 'z':
        handle_Z(s, pkt + 1, pkt[0] == 'Z');
        break;
    case 'H':
    case 'T':
        send_str(s, "OK");
        break;
    case 'D':
        send_str(s, "OK");
        detach(s);
        if (s->cfd >= 0)
            wb_log("gdb: detached; the guest runs on");
        break;
    case 'k':
        kill_machine(s);
        break;
    case 'q':
        handle_q(s, pkt);
        break;
    case 'Q':
        if (!strcmp(pkt, "QStartNoAckMode")) {
            send_str(s, "OK");
            s->noack = true;
        } else {
            send_str(s, "");
        }
        break;
    case 'v':
        handle_v(s, pkt);
        break;
    default:
        send_str(s, ""); /* not supported */
        break;
    }
}

void gdbstub_input(GdbStub *s, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        switch (gdb_rx_byte(&s->rx, p[i])) {
        case GDB_RX_PACKET:
            if (!s->noack)
                send_raw(s, "+", 1);
            handle_packet(s, s->rx.buf, s->rx.len);
            break;
        case GDB_RX_BADSUM:
            if (!s->noack)
                send_raw(s, "-", 1);
            break;
        case GDB_RX_OVERSIZE:
            if (!s->noack)
                send_raw(s, "+", 1);
            send_str(s, "E01");
            break;
        case GDB_RX_NAK:
            if (!s->noack && s->txlen)
                send_raw(s, s->tx, s->txlen);
            break;
        case GDB_RX_INTERRUPT:
            interrupt(s);
            break;
        default:
            break;
        }
    }
}

static void on_debug_hook(Machine *m, void *opaque)
{
    (void)m;
    gdbstub_poll(opaque);
}

GdbStub *gdbstub_new(Machine *m, GdbWriteFn write, void *opaque)
{
    GdbStub *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->m = m;
    s->c = m->cpu;
    s->write = write;
    s->wopaque = opaque;
    s->lfd = s->cfd = -1;
    s->hit_type = -1;
    gdb_rx_init(&s->rx);
    set_stop(s, "T05thread:01;");
    machine_set_debug_hook(m, on_debug_hook, s);
    return s;
}

void gdbstub_connect(GdbStub *s)
{
    gdb_rx_init(&s->rx);
    s->noack = false;
    s->txlen = 0;
    s->swbreak = s->hwbreak = false;
    s->phys = false;
    s->connected = true;
    s->running = false;
    s->c->single_step = false;
    machine_set_paused(s->m, true); /* a debugger that connects stops the guest */
    set_stop(s, "T05thread:01;");
}

void gdbstub_disconnect(GdbStub *s)
{
    if (s->connected)
        detach(s);
    gdb_rx_init(&s->rx);
    s->noack = false;
}

bool gdbstub_connected(const GdbStub *s)
{
    return s->connected;
}

void gdbstub_free(GdbStub *s)
{
    if (!s)
        return;
    machine_clear_debug_hook(s->m, s);
    if (s->c->debug_opaque == s) {
        s->c->debug_break = NULL;
        s->c->debug_opaque = NULL;
    }
    free(s);
}

/* ------------------------------------------------------------------ the socket front end */

static void net_write(void *opaque, const void *buf, size_t len)
{
    GdbStub *s = opaque;
    const uint8_t *p = buf;
    while (len && s->cfd >= 0 && !s->lost) {
        ssize_t n = send(s->cfd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = s->cfd, .events = POLLOUT};
            if (poll(&pfd, 1, 10000) <= 0)
                s->lost = true; /* gdb stopped reading for 10 s */
        } else {
            s->lost = true;
        }
    }
}

static void net_on_read(void *opaque)
{
    GdbStub *s = opaque;
    if (s->cfd < 0 || s->lost)
        return;
    uint8_t buf[4096];
    ssize_t n = recv(s->cfd, buf, sizeof buf, 0);
    if (n > 0)
        gdbstub_input(s, buf, (size_t)n);
    else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        s->lost = true; /* cleaned up by gdbstub_poll, outside the poll loop */
}

static void net_on_accept(void *opaque)
{
    GdbStub *s = opaque;
    int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (s->cfd >= 0) {
        wb_log("gdb: refusing a second connection (one debugger at a time)");
        close(fd);
        return;
    }
    if (!s->is_unix) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    s->cfd = fd;
    s->lost = false;
    loop_watch_fd(s->m, fd, NULL, net_on_read, s);
    wb_log("gdb: connected; the guest is stopped");
    gdbstub_connect(s);
}

static int listen_unix(GdbStub *s, const GdbAddr *a, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, a->path, strlen(a->path) + 1);
    struct stat st;
    if (lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(a->path); /* a stale socket from an earlier run */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
        wb_errf(err, errlen, "-gdb unix:%s: %s", a->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    s->is_unix = true;
    snprintf(s->path, sizeof s->path, "%s", a->path);
    wb_log("gdb stub: listening on unix:%s", a->path);
    return fd;
}

static int listen_tcp(const GdbAddr *a, char *err, size_t errlen)
{
    char port[8];
    snprintf(port, sizeof port, "%d", a->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE},
                    *res;
    int rc = getaddrinfo(a->host, port, &hints, &res);
    if (rc != 0) {
        wb_errf(err, errlen, "-gdb tcp:%s:%d: %s", a->host, a->port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        wb_errf(err, errlen, "-gdb tcp:%s:%d: %s", a->host, a->port, strerror(saved));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV);
    bool v6 = ss.ss_family == AF_INET6;
    wb_log("gdb stub: listening on %s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", serv);
    return fd;
}

GdbStub *gdbstub_listen(Machine *m, const char *spec, char *err, size_t errlen)
{
    GdbAddr a;
    if (gdb_parse_addr(spec, &a, err, errlen) != 0)
        return NULL;
    GdbStub *s = gdbstub_new(m, net_write, NULL);
    if (!s) {
        wb_errf(err, errlen, "-gdb: out of memory");
        return NULL;
    }
    s->wopaque = s;
    s->lfd = a.is_unix ? listen_unix(s, &a, err, errlen) : listen_tcp(&a, err, errlen);
    if (s->lfd < 0) {
        gdbstub_free(s);
        return NULL;
    }
    loop_watch_fd(m, s->lfd, NULL, net_on_accept, s);
    return s;
}

void gdbstub_close(GdbStub *s, int exit_code)
{
    if (!s)
        return;
    if (s->cfd >= 0) {
        if (s->connected && s->running && !s->lost) {
            char w[8];
            snprintf(w, sizeof w, "W%02x", exit_code & 0xFF);
            send_str(s, w);
        }
        loop_unwatch_fd(s->m, s->cfd);
        close(s->cfd);
    }
    if (s->lfd >= 0) {
        loop_unwatch_fd(s->m, s->lfd);
        close(s->lfd);
        if (s->is_unix)
            unlink(s->path);
    }
    gdbstub_free(s);
}
