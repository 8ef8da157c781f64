/* libFuzzer target: the gdb remote stub (ui/gdbstub.c) as a hostile or
 * broken debugger drives it.
 *
 * The first input byte picks what the rest is:
 *   0-5  the debugger's byte stream into gdbstub_input, on a bare machine
 *        with 1 MiB of RAM, a byte at a time; after each the CPU runs a
 *        few instructions when the debugger resumed it (256 per
 *        input at most: past that it is a guest that runs on), and the stub
 *        reports its stops, as the machine loop does. Everything the stub writes
 *        must be acks ('+', '-') and whole, well-formed packets: "$", a
 *        payload without '$' or '#' that fits the reply buffer, "#", the
 *        payload's checksum in two hex digits. A reply never stops halfway.
 *   6    bytes into gdb_rx_byte: a packet it completes has its checksum,
 *        fits GDB_PACKET_MAX and is NUL-terminated; it frames and parses
 *        again to itself; unescaping and escaping go round; hex too.
 *   7    a string for gdb_parse_addr: 0 with a usable address, or -1 with a
 *        one-line message. */
/* fuzz-models: ui/gdbstub.c */
#include "fuzz.h"

#include "cpu/cpu.h"
#include "ui/gdbstub.h"

#define RAM_SIZE (1u << 20)
#define RUN_INSNS 16     /* per turn of the loop */
#define RUN_BUDGET 256   /* per input: the stub is the target, not the CPU */
#define REPLY_MAX (2 * GDB_MEM_MAX + 256) /* ui/gdbstub.c: the largest payload it sends */

/* ---- the stub's output, checked as it is written */
static struct {
    enum { O_OUT, O_DATA, O_SUM1, O_SUM2 } state;
    size_t len;
    uint8_t sum, got;
    unsigned long packets;
} out;

FZ_HARNESS static void out_byte(uint8_t b)
{
    switch (out.state) {
    case O_OUT:
        if (b == '+' || b == '-')
            return;
        FUZZ_CHECK(b == '$', "stub wrote %#x between packets", b);
        out.state = O_DATA;
        out.len = 0;
        out.sum = 0;
        return;
    case O_DATA:
        if (b == '#') {
            out.state = O_SUM1;
            return;
        }
        FUZZ_CHECK(b != '$', "stub wrote '$' inside a packet");
        FUZZ_CHECK(++out.len <= REPLY_MAX, "stub reply longer than %d bytes", REPLY_MAX);
        out.sum = (uint8_t)(out.sum + b);
        return;
    case O_SUM1:
    case O_SUM2: {
        int v = b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : -1;
        FUZZ_CHECK(v >= 0, "stub wrote checksum digit %#x", b);
        if (out.state == O_SUM1) {
            out.got = (uint8_t)(v << 4);
            out.state = O_SUM2;
            return;
        }
        out.got |= (uint8_t)v;
        FUZZ_CHECK(out.got == out.sum, "stub packet checksum %02x, payload sums to %02x", out.got,
                   out.sum);
        out.state = O_OUT;
        out.packets++;
        return;
    }
    }
}

FZ_HARNESS static void out_write(void *opaque, const void *buf, size_t len)
{
    (void)opaque;
    const uint8_t *p = buf;
    if (fz_verbose()) /* the replies, for whoever replays an input */
        fprintf(stderr, "fuzz_gdbstub: <- %.*s\n", (int)(len < 200 ? len : 200), (const char *)buf);
    for (size_t i = 0; i < len; i++)
        out_byte(p[i]);
}

/* ---- mode 0: the stub */
static void fuzz_stub(FuzzIn *in)
{
    Machine *m = fz_machine(RAM_SIZE);
    GdbStub *s = gdbstub_new(m, out_write, NULL);
    FUZZ_CHECK(s != NULL, "gdbstub_new failed");
    memset(&out, 0, sizeof out);
    gdbstub_connect(s);
    /* Byte by byte, as a socket may deliver them; after each, the machine
     * loop's turn: the CPU runs while the debugger lets it, then the stub
     * reports a stop. So a resume is followed by its stop before the next
     * packet, as gdb waits for it. */
    uint64_t budget_end = m->cpu->icount + RUN_BUDGET;
    while (!fz_done(in)) {
        gdbstub_input(s, in->p, 1);
        in->p++;
        in->n--;
        FUZZ_CHECK(out.state == O_OUT, "stub left a reply unfinished");
        if (m->reset_requested)
            machine_reset(m);
        if (!m->paused && !m->shutdown_requested && m->cpu->icount < budget_end) {
            uint64_t limit = m->cpu->icount + RUN_INSNS;
            if (cpu_run(m->cpu, limit < budget_end ? limit : budget_end) == CPU_RUN_DEBUG)
                m->paused = true;
        }
        if (m->on_debug)
            m->on_debug(m, m->on_debug_opaque);
        FUZZ_CHECK(out.state == O_OUT, "stub left a stop reply unfinished");
    }
    if (fz_verbose())
        fprintf(stderr, "fuzz_gdbstub: the stub sent %lu packets\n", out.packets);
    gdbstub_disconnect(s);
    gdbstub_free(s);
    machine_free(m);
}

/* ---- mode 6: framing and encoding */
static void fuzz_framing(FuzzIn *in)
{
    static GdbRx rx, rx2;
    static char frame[GDB_PACKET_MAX + 8];
    static uint8_t raw[GDB_PACKET_MAX + 1], esc[2 * GDB_PACKET_MAX + 2], hex[2 * GDB_PACKET_MAX];
    gdb_rx_init(&rx);
    while (!fz_done(in)) {
        int r = gdb_rx_byte(&rx, fz_u8(in));
        FUZZ_CHECK(r >= GDB_RX_NONE && r <= GDB_RX_INTERRUPT, "gdb_rx_byte returned %d", r);
        FUZZ_CHECK(rx.len <= GDB_PACKET_MAX, "rx.len %zu", rx.len);
        if (r == GDB_RX_OVERSIZE)
            FUZZ_CHECK(rx.len == GDB_PACKET_MAX, "oversize packet kept %zu bytes", rx.len);
        if (r != GDB_RX_PACKET)
            continue;
        FUZZ_CHECK(rx.buf[rx.len] == '\0', "packet not NUL-terminated");
        FUZZ_CHECK(gdb_checksum(rx.buf, rx.len) == rx.csum, "packet accepted with a bad sum");
        FUZZ_CHECK(!memchr(rx.buf, '$', rx.len) && !memchr(rx.buf, '#', rx.len),
                   "packet payload holds '$' or '#'");
        /* framed again and parsed: the same packet */
        size_t fl = gdb_frame(rx.buf, rx.len, frame, sizeof frame);
        FUZZ_CHECK(fl == rx.len + 4, "gdb_frame gave %zu for %zu bytes", fl, rx.len);
        gdb_rx_init(&rx2);
        int r2 = GDB_RX_NONE;
        for (size_t i = 0; i < fl; i++) {
            r2 = gdb_rx_byte(&rx2, (uint8_t)frame[i]);
            FUZZ_CHECK(i + 1 == fl || r2 == GDB_RX_NONE, "early result %d reparsing", r2);
        }
        FUZZ_CHECK(r2 == GDB_RX_PACKET && rx2.len == rx.len && !memcmp(rx2.buf, rx.buf, rx.len),
                   "a framed packet does not parse back to itself");
        /* unescape, escape, unescape: the same bytes */
        memcpy(raw, rx.buf, rx.len);
        long ul = gdb_unescape(raw, rx.len);
        FUZZ_CHECK(ul >= -1 && ul <= (long)rx.len, "gdb_unescape gave %ld for %zu", ul, rx.len);
        if (ul >= 0) {
            size_t el = gdb_escape(raw, (size_t)ul, (char *)esc, sizeof esc);
            FUZZ_CHECK(el >= (size_t)ul && el <= 2 * (size_t)ul, "gdb_escape gave %zu for %ld",
                       el, ul);
            FUZZ_CHECK(!memchr(esc, '$', el) && !memchr(esc, '#', el), "escaped data holds $ or #");
            long back = gdb_unescape(esc, el);
            FUZZ_CHECK(back == ul && !memcmp(esc, raw, (size_t)ul), "escaping does not go round");
            gdb_hex_encode(raw, (size_t)ul, (char *)hex);
            FUZZ_CHECK(gdb_hex_decode((char *)hex, 2 * (size_t)ul, esc) &&
                           !memcmp(esc, raw, (size_t)ul),
                       "hex does not go round");
        }
        /* a hex number at the start */
        const char *p = rx.buf;
        uint32_t v;
        if (gdb_parse_hex32(&p, &v))
            FUZZ_CHECK(p > rx.buf && p <= rx.buf + rx.len, "gdb_parse_hex32 moved to %td",
                       p - rx.buf);
        else
            FUZZ_CHECK(p == rx.buf, "gdb_parse_hex32 failed but moved");
    }
}

/* ---- mode 7: the listen address */
static void fuzz_addr(FuzzIn *in)
{
    char *spec = malloc(in->n + 1);
    memcpy(spec, in->p, in->n);
    spec[in->n] = '\0';
    GdbAddr a;
    char err[512];
    int rc = gdb_parse_addr(spec, &a, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1, "gdb_parse_addr returned %d", rc);
    if (rc) {
        const char *bad = fz_bad_message(err, sizeof err);
        FUZZ_CHECK(!bad, "gdb_parse_addr message %s", bad);
    } else if (a.is_unix) {
        size_t len = strnlen(a.path, sizeof a.path);
        FUZZ_CHECK(len > 0 && len < sizeof a.path, "unix path of %zu bytes", len);
    } else {
        FUZZ_CHECK(a.port >= 0 && a.port <= 65535, "port %d", a.port);
        size_t len = strnlen(a.host, sizeof a.host);
        FUZZ_CHECK(len > 0 && len < sizeof a.host, "host of %zu bytes", len);
    }
    free(spec);
}

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = fz_in(data, size);
    uint8_t mode = fz_u8(&in) & 7;
    if (mode < 6)
        fuzz_stub(&in);
    else if (mode == 6)
        fuzz_framing(&in);
    else
        fuzz_addr(&in);
    return 0;
}
