/* The gdb remote stub (cpu/gdbstub.c) without sockets: framing, encoding,
 * the listen address, every packet kind against a bare machine (including
 * malformed and oversized ones, and a random-packet storm), run control
 * with breakpoints, watchpoints and steps; and the guest's own debug
 * registers, which must work with no debugger attached. */
#include "ui/gdbstub.h"

#include "cpu_harness.h"

/* ------------------------------------------------------------------ output capture */

static char obuf[1 << 20];
static size_t olen;
static GdbStub *stub;

static void cap(void *opaque, const void *buf, size_t len)
{
    (void)opaque;
    if (len > sizeof obuf - olen)
        len = sizeof obuf - olen;
    memcpy(obuf + olen, buf, len);
    olen += len;
}

static void out_clear(void)
{
    olen = 0;
}

#define PK_MAX 64
static char pk[PK_MAX][2 * GDB_MEM_MAX + 512];
static int npk;
static int nacks, nnaks;

/* Split the captured output into packets (checksums verified) and acks. */
static void out_parse(void)
{
    npk = nacks = nnaks = 0;
    size_t i = 0;
    while (i < olen) {
        char ch = obuf[i];
        if (ch == '+' || ch == '-') {
            if (ch == '+')
                nacks++;
            else
                nnaks++;
            i++;
            continue;
        }
        ck_assert_msg(ch == '$', "stray byte %#x in the stub's output", (unsigned char)ch);
        const char *hash = memchr(obuf + i, '#', olen - i);
        ck_assert_ptr_nonnull(hash);
        size_t len = (size_t)(hash - (obuf + i + 1));
        ck_assert_uint_le((size_t)(hash - obuf) + 3, olen);
        int hi = gdb_hexval((unsigned char)hash[1]), lo = gdb_hexval((unsigned char)hash[2]);
        ck_assert(hi >= 0 && lo >= 0);
        ck_assert_uint_eq(gdb_checksum(obuf + i + 1, len), (unsigned)(hi << 4 | lo));
        ck_assert_uint_lt(len, sizeof pk[0]);
        if (npk < PK_MAX) { /* (NAKs in a noise storm resend many) */
            memcpy(pk[npk], obuf + i + 1, len);
            pk[npk][len] = '\0';
        }
        npk++;
        i = (size_t)(hash - obuf) + 3;
    }
}

static void feed(const void *p, size_t n)
{
    gdbstub_input(stub, p, n);
}

static void send_bin(const void *payload, size_t len)
{
    char frame[GDB_PACKET_MAX * 2 + 8];
    size_t n = gdb_frame(payload, len, frame, sizeof frame);
    ck_assert_uint_gt(n, 0);
    feed(frame, n);
}

/* Send one packet; returns the one reply packet it got. */
static const char *xchg(const char *payload)
{
    out_clear();
    send_bin(payload, strlen(payload));
    out_parse();
    ck_assert_msg(npk == 1, "'%s': %d replies", payload, npk);
    return pk[0];
}

/* Send a packet that must not be answered (resume). */
static void send_quiet(const char *payload)
{
    out_clear();
    send_bin(payload, strlen(payload));
    out_parse();
    ck_assert_msg(npk == 0, "'%s' answered '%s'", payload, npk ? pk[0] : "");
}

static void stub_init(void)
{
    h_init();
    stub = gdbstub_new(hm, cap, NULL);
    ck_assert_ptr_nonnull(stub);
    gdbstub_connect(stub);
    out_clear();
}

static void stub_fini(void)
{
    gdbstub_free(stub);
    stub = NULL;
    h_fini();
}

/* Run the CPU as the machine loop would, until a debugger stop, a halt or
 * max instructions; then let the stub report. */
static int run_stub(uint64_t max)
{
    out_clear();
    uint64_t end = hc->icount + max;
    int r;
    do
        r = cpu_run(hc, end);
    while (r == CPU_RUN_LIMIT && hc->icount < end);
    if (r == CPU_RUN_DEBUG)
        hm->paused = true;
    gdbstub_poll(stub);
    out_parse();
    return r;
}

static uint32_t hexle32(const char *p)
{
    uint8_t b[4];
    ck_assert(gdb_hex_decode(p, 8, b));
    return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static const char *hex_of(const char *text)
{
    static char h[1024];
    size_t n = strlen(text);
    ck_assert_uint_lt(2 * n, sizeof h);
    gdb_hex_encode(text, n, h);
    h[2 * n] = '\0';
    return h;
}

/* ------------------------------------------------------------------ framing */

static int rx_feed(GdbRx *rx, const char *s, size_t n)
{
    int last = GDB_RX_NONE;
    for (size_t i = 0; i < n; i++) {
        int e = gdb_rx_byte(rx, (uint8_t)s[i]);
        if (e != GDB_RX_NONE)
            last = e;
    }
    return last;
}

START_TEST(test_checksum_and_frame)
{
    ck_assert_uint_eq(gdb_checksum("OK", 2), 0x9a);
    ck_assert_uint_eq(gdb_checksum("", 0), 0);
    char out[32];
    ck_assert_uint_eq(gdb_frame("OK", 2, out, sizeof out), 6);
    ck_assert(!memcmp(out, "$OK#9a", 6));
    ck_assert_uint_eq(gdb_frame("", 0, out, sizeof out), 4);
    ck_assert(!memcmp(out, "$#00", 4));
    ck_assert_uint_eq(gdb_frame("OK", 2, out, 5), 0); /* does not fit */
    ck_assert_uint_eq(gdb_frame("OK", 2, out, 0), 0);
}
END_TEST

START_TEST(test_rx_packets)
{
    static GdbRx rx;
    gdb_rx_init(&rx);
    ck_assert_int_eq(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
    ck_assert_int_eq(gdb_rx_byte(&rx, '-'), GDB_RX_NAK);
    ck_assert_int_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
    ck_assert_int_eq(gdb_rx_byte(&rx, 'x'), GDB_RX_NONE); /* noise */
    ck_assert_int_eq(rx_feed(&rx, "$qC#b4", 6), GDB_RX_PACKET);
    ck_assert_str_eq(rx.buf, "qC");
    ck_assert_uint_eq(rx.len, 2);
    /* Upper-case checksum digits are fine. */
    ck_assert_int_eq(rx_feed(&rx, "$OK#9A", 6), GDB_RX_PACKET);
    /* Wrong checksum, non-hex checksum. */
    ck_assert_int_eq(rx_feed(&rx, "$qC#b5", 6), GDB_RX_BADSUM);
    ck_assert_int_eq(rx_feed(&rx, "$qC#zz", 6), GDB_RX_BADSUM);
    ck_assert_int_eq(rx_feed(&rx, "$qC#b", 5), GDB_RX_NONE);
    ck_assert_int_eq(rx_feed(&rx, "g", 1), GDB_RX_BADSUM);
    /* A '$' inside a packet starts a new one. */
    ck_assert_int_eq(rx_feed(&rx, "$m10$qC#b4", 10), GDB_RX_PACKET);
    ck_assert_str_eq(rx.buf, "qC");
    ck_assert_int_eq(rx_feed(&rx, "$qC#b$OK#9a", 11), GDB_RX_PACKET);
    ck_assert_str_eq(rx.buf, "OK");
    /* 0x03 inside a packet is data (X packets). */
    char p[8] = {'$', 'X', 3, '#', 0, 0};
    uint8_t cs = (uint8_t)('X' + 3);
    p[4] = "0123456789abcdef"[cs >> 4];
    p[5] = "0123456789abcdef"[cs & 15];
    ck_assert_int_eq(rx_feed(&rx, p, 6), GDB_RX_PACKET);
    ck_assert_uint_eq(rx.len, 2);
    ck_assert_int_eq(rx.buf[1], 3);
    /* An empty packet. */
    ck_assert_int_eq(rx_feed(&rx, "$#00", 4), GDB_RX_PACKET);
    ck_assert_uint_eq(rx.len, 0);
}
END_TEST

START_TEST(test_rx_oversize)
{
    static GdbRx rx;
    static char big[3 * GDB_PACKET_MAX + 8];
    size_t n = 3 * GDB_PACKET_MAX;
    big[0] = '$';
    memset(big + 1, 'a', n);
    uint8_t sum = gdb_checksum(big + 1, n);
    snprintf(big + 1 + n, 4, "#%02x", sum);
    gdb_rx_init(&rx);
    ck_assert_int_eq(rx_feed(&rx, big, n + 4), GDB_RX_OVERSIZE);
    ck_assert_uint_eq(rx.len, GDB_PACKET_MAX);
    ck_assert_int_eq(rx.buf[GDB_PACKET_MAX], '\0');
    /* The same with a wrong checksum is a NAK, and the next packet works. */
    big[n + 2] = big[n + 2] == '0' ? '1' : '0';
    ck_assert_int_eq(rx_feed(&rx, big, n + 4), GDB_RX_BADSUM);
    ck_assert_int_eq(rx_feed(&rx, "$qC#b4", 6), GDB_RX_PACKET);
    /* Exactly GDB_PACKET_MAX is fine. */
    memset(big + 1, 'b', GDB_PACKET_MAX);
    snprintf(big + 1 + GDB_PACKET_MAX, 4, "#%02x", gdb_checksum(big + 1, GDB_PACKET_MAX));
    ck_assert_int_eq(rx_feed(&rx, big, GDB_PACKET_MAX + 4), GDB_RX_PACKET);
    ck_assert_uint_eq(rx.len, GDB_PACKET_MAX);
}
END_TEST

START_TEST(test_hex)
{
    const char *p = "ffffffff,";
    uint32_t v;
    ck_assert(gdb_parse_hex32(&p, &v));
    ck_assert_uint_eq(v, 0xFFFFFFFFu);
    ck_assert_int_eq(*p, ',');
    p = "0000000000100000";
    ck_assert(gdb_parse_hex32(&p, &v));
    ck_assert_uint_eq(v, 0x100000);
    p = "100000000";
    ck_assert(!gdb_parse_hex32(&p, &v)); /* 33 bits */
    p = "";
    ck_assert(!gdb_parse_hex32(&p, &v));
    p = ",1";
    ck_assert(!gdb_parse_hex32(&p, &v));
    p = "aBc";
    ck_assert(gdb_parse_hex32(&p, &v));
    ck_assert_uint_eq(v, 0xABC);

    uint8_t b[4];
    ck_assert(gdb_hex_decode("00ff7a", 6, b));
    ck_assert_uint_eq(b[0], 0);
    ck_assert_uint_eq(b[1], 0xFF);
    ck_assert_uint_eq(b[2], 0x7A);
    ck_assert(!gdb_hex_decode("0f0", 3, b));
    ck_assert(!gdb_hex_decode("0g", 2, b));
    char h[8];
    gdb_hex_encode("\x01\xab", 2, h);
    ck_assert(!memcmp(h, "01ab", 4));
    ck_assert_int_eq(gdb_hexval('F'), 15);
    ck_assert_int_eq(gdb_hexval('/'), -1);
}
END_TEST

START_TEST(test_escape)
{
    uint8_t all[256];
    char esc[512];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    size_t n = gdb_escape(all, 256, esc, sizeof esc);
    ck_assert_uint_eq(n, 256 + 4);
    for (size_t i = 0; i < n; i++)
        if (esc[i] == '}')
            i++;
        else
            ck_assert(esc[i] != '$' && esc[i] != '#' && esc[i] != '*');
    ck_assert_int_eq(gdb_unescape((uint8_t *)esc, n), 256);
    ck_assert(!memcmp(esc, all, 256));
    ck_assert_uint_eq(gdb_escape(all, 256, esc, 259), 0); /* too small */
    uint8_t bad[] = {'a', '}'};
    ck_assert_int_eq(gdb_unescape(bad, 2), -1);
    ck_assert_int_eq(gdb_unescape(bad, 0), 0);
}
END_TEST

/* ------------------------------------------------------------------ the listen address */

START_TEST(test_addr)
{
    GdbAddr a;
    char err[256];
    ck_assert_int_eq(gdb_parse_addr("tcp::1234", &a, err, sizeof err), 0);
    ck_assert(!a.is_unix);
    ck_assert_str_eq(a.host, "127.0.0.1"); /* not all interfaces */
    ck_assert_int_eq(a.port, 1234);
    ck_assert_int_eq(gdb_parse_addr("tcp:0.0.0.0:5000", &a, err, sizeof err), 0);
    ck_assert_str_eq(a.host, "0.0.0.0");
    ck_assert_int_eq(a.port, 5000);
    ck_assert_int_eq(gdb_parse_addr("tcp:[::1]:99", &a, err, sizeof err), 0);
    ck_assert_str_eq(a.host, "::1");
    ck_assert_int_eq(a.port, 99);
    ck_assert_int_eq(gdb_parse_addr("tcp:localhost:0", &a, err, sizeof err), 0);
    ck_assert_str_eq(a.host, "localhost");
    ck_assert_int_eq(a.port, 0);
    ck_assert_int_eq(gdb_parse_addr("tcp::1234,server=on,wait=off", &a, err, sizeof err), 0);
    ck_assert_int_eq(a.port, 1234);
    ck_assert_int_eq(gdb_parse_addr("unix:/tmp/wb.sock", &a, err, sizeof err), 0);
    ck_assert(a.is_unix);
    ck_assert_str_eq(a.path, "/tmp/wb.sock");

    static const char *const bad[] = {"",         "tcp",          "tcp:",       "tcp::",
                                      "tcp:1234", "tcp::99999",   "tcp::12a",   "tcp::-1",
                                      "udp::1",   "unix:",        "tcp:[::1]1", "tcp:[::1",
                                      "1234",     "tcp::1,bogus", "stdio"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(gdb_parse_addr(bad[i], &a, err, sizeof err) == -1, "'%s' accepted", bad[i]);
        ck_assert_msg(err[0], "no message for '%s'", bad[i]);
    }
    char longpath[300] = "unix:";
    memset(longpath + 5, 'x', 200);
    longpath[205] = '\0';
    ck_assert_int_eq(gdb_parse_addr(longpath, &a, err, sizeof err), -1);
}
END_TEST

/* ------------------------------------------------------------------ protocol */

START_TEST(test_handshake)
{
    out_clear();
    send_bin("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386", 60);
    out_parse();
    ck_assert_int_eq(nacks, 1);
    ck_assert_int_eq(npk, 1);
    ck_assert_ptr_nonnull(strstr(pk[0], "PacketSize=1000"));
    ck_assert_ptr_nonnull(strstr(pk[0], "qXfer:features:read+"));
    ck_assert_ptr_nonnull(strstr(pk[0], "swbreak+"));
    ck_assert_ptr_nonnull(strstr(pk[0], "QStartNoAckMode+"));
    ck_assert_str_eq(xchg("vMustReplyEmpty"), "");
    ck_assert_str_eq(xchg("?"), "T05thread:01;");
    ck_assert_str_eq(xchg("qAttached"), "1");
    ck_assert_str_eq(xchg("qAttached:1"), "1");
    ck_assert_str_eq(xchg("qC"), "QC01");
    ck_assert_str_eq(xchg("qfThreadInfo"), "m01");
    ck_assert_str_eq(xchg("qsThreadInfo"), "l");
    ck_assert_str_eq(xchg("Hg0"), "OK");
    ck_assert_str_eq(xchg("Hc-1"), "OK");
    ck_assert_str_eq(xchg("T01"), "OK");
    ck_assert_str_eq(xchg("qTStatus"), "");
    ck_assert_str_eq(xchg("vCont?"), "vCont;c;C;s;S;t");
    ck_assert_str_eq(xchg("qThreadExtraInfo,1"), hex_of("CPU 0"));

    /* A bad checksum is NAKed and not acted on. */
    out_clear();
    feed("$qC#00", 6);
    out_parse();
    ck_assert_int_eq(nnaks, 1);
    ck_assert_int_eq(npk, 0);
    /* gdb's NAK makes the stub send its last packet again. */
    xchg("qC");
    out_clear();
    feed("-", 1);
    out_parse();
    ck_assert_int_eq(npk, 1);
    ck_assert_str_eq(pk[0], "QC01");

    /* No-ack mode: no more '+', and a NAK is ignored. */
    out_clear();
    send_bin("QStartNoAckMode", 15);
    out_parse();
    ck_assert_int_eq(nacks, 1);
    ck_assert_str_eq(pk[0], "OK");
    out_clear();
    send_bin("qC", 2);
    feed("-", 1);
    out_parse();
    ck_assert_int_eq(nacks, 0);
    ck_assert_int_eq(npk, 1);
    /* Unknown packets get the empty reply. */
    ck_assert_str_eq(xchg("!"), "");
    ck_assert_str_eq(xchg("qOffsets"), "");
    ck_assert_str_eq(xchg("Qbogus"), "");
    ck_assert_str_eq(xchg("vFile:open:"), "");
    ck_assert_str_eq(xchg(""), "");
}
END_TEST

/* Read target.xml in chunks of len bytes. */
static const char *read_xml(uint32_t len)
{
    static char xml[8192];
    size_t n = 0;
    for (int guard = 0; guard < 1000; guard++) {
        char q[80];
        snprintf(q, sizeof q, "qXfer:features:read:target.xml:%zx,%x", n, len);
        const char *r = xchg(q);
        ck_assert(r[0] == 'm' || r[0] == 'l');
        size_t k = strlen(r + 1);
        ck_assert_uint_le(k, len);
        ck_assert_uint_lt(n + k, sizeof xml);
        memcpy(xml + n, r + 1, k);
        n += k;
        if (r[0] == 'l')
            break;
    }
    xml[n] = '\0';
    return xml;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

START_TEST(test_target_xml)
{
    h_flat32(H_CODE);
    const char *x = read_xml(0xffb);
    ck_assert(!strncmp(x, "<?xml", 5));
    ck_assert_ptr_nonnull(strstr(x, "<feature name=\"org.gnu.gdb.i386.core\">"));
    ck_assert_ptr_null(strstr(x, "<architecture>")); /* protected mode: gdb's default, i386 */
    ck_assert_ptr_null(strstr(x, "sse"));
    ck_assert_int_eq(count(x, "<reg "), GDB_NREGS);
    ck_assert_ptr_nonnull(strstr(x, "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>"));
    ck_assert_ptr_nonnull(strstr(x, "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>"));
    ck_assert_ptr_nonnull(strstr(x, "<reg name=\"fop\""));
    size_t len = strlen(x);
    ck_assert_str_eq(x + len - 10, "</target>\n");
    /* Small chunks give the same text. */
    char copy[8192];
    strcpy(copy, x);
    ck_assert_str_eq(read_xml(7), copy);
    /* In real mode gdb is told i8086, so it disassembles 16-bit code. */
    h_real(0xF000, 0xFFF0);
    ck_assert_ptr_nonnull(strstr(read_xml(0x100), "<architecture>i8086</architecture>"));
    /* Errors */
    ck_assert_str_eq(xchg("qXfer:features:read:other.xml:0,100"), "E00");
    ck_assert_str_eq(xchg("qXfer:features:read:target.xml"), "E00");
    ck_assert_str_eq(xchg("qXfer:features:read:target.xml:0"), "E01");
    ck_assert_str_eq(xchg("qXfer:features:read:target.xml:ffff,10"), "E01");
    ck_assert_str_eq(xchg("qXfer:features:read:target.xml:0,0")[0] == 'm' ? "m" : "x", "m");
}
END_TEST

START_TEST(test_registers)
{
    h_flat32(0x123456);
    for (int r = 0; r < 8; r++)
        hc->regs[r] = 0x11111111u * (uint32_t)(r + 1);
    cpu_set_eflags(hc, F_CF | F_ZF | 2);
    const char *g = xchg("g");
    ck_assert_uint_eq(strlen(g), 2 * GDB_REGS_BYTES);
    for (int r = 0; r < 8; r++)
        ck_assert_uint_eq(hexle32(g + 8 * r), 0x11111111u * (uint32_t)(r + 1));
    ck_assert_uint_eq(hexle32(g + 64), 0x123456);              /* eip */
    ck_assert_uint_eq(hexle32(g + 72), F_CF | F_ZF | 2);       /* eflags */
    ck_assert_uint_eq(hexle32(g + 80), SEL_CODE0);             /* cs */
    ck_assert_uint_eq(hexle32(g + 88), SEL_DATA0);             /* ss */
    ck_assert_uint_eq(hexle32(g + 2 * (64 + 80)), 0x40);       /* fctrl after reset */
    ck_assert_uint_eq(hexle32(g + 2 * (64 + 80 + 8)), 0xFFFF); /* ftag: all empty */

    /* p/P */
    ck_assert_str_eq(xchg("p8"), "56341200");
    ck_assert_str_eq(xchg("p0"), "11111111");
    ck_assert_str_eq(xchg("P0=efbeadde"), "OK");
    ck_assert_uint_eq(hc->regs[R_EAX], 0xDEADBEEF);
    ck_assert_str_eq(xchg("P8=00001000"), "OK");
    ck_assert_uint_eq(hc->eip, 0x100000);
    ck_assert_str_eq(xchg("P9=c1000000"), "OK"); /* SF ZF CF? 0xC1: SF ZF CF */
    ck_assert_uint_eq(cpu_get_eflags(hc) & F_ARITH, F_SF | F_ZF | F_CF);
    /* st0: the 80-bit value 1.0 */
    ck_assert_str_eq(xchg("P10=0000000000000080ff3f"), "OK");
    ck_assert(hc->fpu.st[hc->fpu.top] == 1.0L);
    ck_assert_str_eq(xchg("p10"), "0000000000000080ff3f");
    ck_assert_str_eq(xchg("P19=00380000"), "OK"); /* fstat with TOP=7 */
    ck_assert_int_eq(hc->fpu.top, 7);
    ck_assert_str_eq(xchg("p19"), "00380000");
    /* Segment registers in protected mode come from the GDT. */
    h_pm(H_CODE);
    ck_assert_str_eq(xchg("Pc=38000000"), "OK"); /* ds = SEL_DATA16 */
    ck_assert_uint_eq(hc->seg[S_DS].sel, SEL_DATA16);
    ck_assert_uint_eq(hc->seg[S_DS].limit, 0xFFFF);
    ck_assert_str_eq(xchg("Pc=f8000000"), "E22"); /* empty GDT slot: not present */
    ck_assert_str_eq(xchg("Pa=00000000"), "E22"); /* null CS */
    ck_assert_str_eq(xchg("Pc=00000000"), "OK");  /* null DS is fine */

    /* G writes everything back. */
    h_flat32(0x2000);
    g = xchg("g");
    char G[2 * GDB_REGS_BYTES + 2];
    G[0] = 'G';
    strcpy(G + 1, g);
    memcpy(G + 1, "78563412", 8); /* eax */
    ck_assert_str_eq(xchg(G), "OK");
    ck_assert_uint_eq(hc->regs[R_EAX], 0x12345678);
    ck_assert_uint_eq(hc->eip, 0x2000);

    /* Malformed */
    ck_assert_str_eq(xchg("p"), "E01");
    ck_assert_str_eq(xchg("pz"), "E01");
    ck_assert_str_eq(xchg("p8x"), "E01");
    ck_assert_str_eq(xchg("p20"), "E45");
    ck_assert_str_eq(xchg("pffffffffff"), "E01");
    ck_assert_str_eq(xchg("P8"), "E01");
    ck_assert_str_eq(xchg("P8="), "E01");
    ck_assert_str_eq(xchg("P8=123"), "E01");
    ck_assert_str_eq(xchg("P8=1234567"), "E01");
    ck_assert_str_eq(xchg("P8=123456789"), "E01");
    ck_assert_str_eq(xchg("P8=1234567z"), "E01");
    ck_assert_str_eq(xchg("P20=00000000"), "E01");
    ck_assert_str_eq(xchg("G00"), "E01");
    ck_assert_str_eq(xchg("G"), "E01");
}
END_TEST

/* Real mode: gdb's PC is CS*16 + IP, and writes of it go the other way. */
START_TEST(test_real_mode_pc)
{
    cpu_reset(hc); /* F000:FFF0, hidden CS base FFFF0000 */
    ck_assert_uint_eq(cpu_debug_pc(hc), 0xFFFF0);
    ck_assert_str_eq(xchg("p8"), "f0ff0f00");
    h_real(0x1000, 0x20);
    ck_assert_str_eq(xchg("p8"), "20000100");    /* 0x10020 */
    ck_assert_str_eq(xchg("P8=34020100"), "OK"); /* 0x10234 */
    ck_assert_uint_eq(hc->eip, 0x0234);
    ck_assert_str_eq(xchg("P8=00000200"), "E22"); /* 0x20000: outside CS's 64 KiB */
    ck_assert_str_eq(xchg("P8=00000000"), "E22");
    ck_assert_str_eq(xchg("Pa=00200000"), "OK"); /* cs = 0x2000 */
    ck_assert_uint_eq(hc->seg[S_CS].base, 0x20000);
    ck_assert_uint_eq(cpu_debug_pc(hc), 0x20234);
}
END_TEST

START_TEST(test_memory)
{
    h_flat32(H_CODE);
    ck_assert_str_eq(xchg("M20000,4:deadbeef"), "OK");
    ck_assert_uint_eq(h_r32(H_DATA), 0xEFBEADDE);
    ck_assert_str_eq(xchg("m20000,4"), "deadbeef");
    ck_assert_str_eq(xchg("m20001,2"), "adbe");
    ck_assert_str_eq(xchg("m20000,0"), "");
    /* X with every byte that needs escaping. */
    uint8_t data[] = {'}', '$', '#', '*', 0, 3, 0xFF, 'A'};
    char x[64] = "X20010,8:";
    size_t n = strlen(x);
    n += gdb_escape(data, sizeof data, x + n, sizeof x - n);
    out_clear();
    send_bin(x, n);
    out_parse();
    ck_assert_str_eq(pk[0], "OK");
    ck_assert(!memcmp(h_ptr(H_DATA + 0x10), data, sizeof data));
    ck_assert_str_eq(xchg("X20000,0:"), "OK"); /* gdb's probe for X */
    /* Long reads are cut to GDB_MEM_MAX. */
    ck_assert_uint_eq(strlen(xchg("m0,100000")), 2 * GDB_MEM_MAX);
    /* Outside RAM: an error; across its end: the bytes that exist. */
    ck_assert_str_eq(xchg("m8000000,4"), "E14");
    char q[32];
    snprintf(q, sizeof q, "m%x,8", H_RAM - 4);
    ck_assert_uint_eq(strlen(xchg(q)), 8);
    snprintf(q, sizeof q, "M%x,8:0000000000000000", H_RAM - 4);
    ck_assert_str_eq(xchg(q), "E14");
    ck_assert_str_eq(xchg("mfffffffe,10"), "E14"); /* no wrap past 4 GiB */

    /* Through the page tables: linear 0x400000 -> physical H_DATA. */
    uint32_t pd = 0x30000, pt = 0x31000;
    memset(h_ptr(pd), 0, 4096);
    memset(h_ptr(pt), 0, 4096);
    h_w32(pd + 4 * 1, pt | 3);
    h_w32(pt, H_DATA | 3);
    hc->cr3 = pd;
    hc->cr0 |= CR0_PG;
    cpu_tlb_flush(hc, true);
    ck_assert_str_eq(xchg("m400000,4"), "deadbeef");
    ck_assert_str_eq(xchg("m20000,4"), "E14"); /* not mapped */
    ck_assert_uint_eq(h_r32(pt) & 0x20, 0);    /* no accessed bit set by the debugger */
    /* monitor phys on: physical addresses. */
    out_clear();
    char rc[64] = "qRcmd,";
    strcat(rc, hex_of("phys on"));
    send_bin(rc, strlen(rc));
    out_parse();
    ck_assert_str_eq(pk[npk - 1], "OK");
    ck_assert_str_eq(xchg("m20000,4"), "deadbeef");
    ck_assert_str_eq(xchg("M20000,1:77"), "OK");
    ck_assert_uint_eq(h_r8(H_DATA), 0x77);
    ck_assert_str_eq(xchg("mc0000,1"), "00");     /* ROM area readable */
    ck_assert_str_eq(xchg("Mc0000,1:00"), "E14"); /* but not writable */

    /* Malformed */
    static const char *const bad[] = {"m",         "mz",         "m1",        "m1,",
                                      "m1,z",      "m1,2x",      "m,2",       "m100000000,1",
                                      "M1,2",      "M1,2:",      "M1,2:abc",  "M1,2:abcdef",
                                      "M1,2:zzzz", "M1,1000:00", "X1,2",      "X1,2:a",
                                      "X1,2:abc",  "X1,1:}",     "X1,1000:a", "Xz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!strcmp(xchg(bad[i]), "E01"), "'%s' -> '%s'", bad[i], pk[0]);
}
END_TEST

START_TEST(test_monitor)
{
    h_pm(H_CODE);
    out_clear();
    char rc[256] = "qRcmd,";
    strcat(rc, hex_of("help"));
    send_bin(rc, strlen(rc));
    out_parse();
    ck_assert_int_ge(npk, 2);
    ck_assert_str_eq(pk[npk - 1], "OK");
    char text[8192];
    size_t tl = 0;
    for (int i = 0; i < npk - 1; i++) {
        ck_assert_int_eq(pk[i][0], 'O');
        size_t h = strlen(pk[i] + 1);
        ck_assert(gdb_hex_decode(pk[i] + 1, h, (uint8_t *)text + tl));
        tl += h / 2;
    }
    text[tl] = '\0';
    ck_assert_ptr_nonnull(strstr(text, "phys"));
    ck_assert_ptr_nonnull(strstr(text, "system_reset"));

    strcpy(rc, "qRcmd,");
    strcat(rc, hex_of("info registers"));
    out_clear();
    send_bin(rc, strlen(rc));
    out_parse();
    ck_assert_str_eq(pk[npk - 1], "OK");
    ck_assert_int_ge(npk, 2);

    strcpy(rc, "qRcmd,");
    strcat(rc, hex_of("frobnicate"));
    out_clear();
    send_bin(rc, strlen(rc));
    out_parse();
    ck_assert_str_eq(pk[npk - 1], "OK");

    hc->regs[R_EAX] = 0x55;
    strcpy(rc, "qRcmd,");
    strcat(rc, hex_of("system_reset"));
    out_clear();
    send_bin(rc, strlen(rc));
    out_parse();
    ck_assert_uint_eq(hc->regs[R_EAX], 0);
    ck_assert_uint_eq(cpu_debug_pc(hc), 0xFFFF0);

    out_clear();
    send_bin("qRcmd,", 6); /* empty: help */
    out_parse();
    ck_assert_int_eq(npk, 2);
    ck_assert_str_eq(pk[1], "OK");
    ck_assert_str_eq(xchg("qRcmd,z1"), "E01");
    ck_assert_str_eq(xchg("qRcmd,616"), "E01");

    strcpy(rc, "qRcmd,");
    strcat(rc, hex_of("quit"));
    out_clear();
    send_bin(rc, strlen(rc));
    ck_assert(hm->shutdown_requested);
}
END_TEST

/* Random packets with good checksums, and random bytes: the stub answers
 * every packet with one well-formed reply (or none, for resumes and
 * kills), and never crashes or overruns (ASan/UBSan build). */
START_TEST(test_storm)
{
    h_flat32(H_CODE);
    static const char lead[] = "?gGpPmMXcCsSzZHTDkqQv!\x03}";
    static const char *const prefixes[] = {
        "qXfer:features:read:target.xml:",
        "qRcmd,",
        "qSupported:",
        "vCont;",
        "vCont?",
        "QStartNoAckMode",
        "qAttached",
        "m",
        "M",
        "X",
        "Z0,",
        "z1,",
        "Z2,",
        "P8=",
        "p",
        "qThreadExtraInfo,",
        "vCtrlC",
    };
    static char pkt[GDB_PACKET_MAX + 64];
    for (int iter = 0; iter < 4000; iter++) {
        size_t n = 0;
        if (h_rand() % 2) {
            const char *pre = prefixes[h_rand() % (sizeof prefixes / sizeof prefixes[0])];
            n = strlen(pre);
            memcpy(pkt, pre, n);
        } else {
            pkt[n++] = lead[h_rand() % (sizeof lead - 1)];
        }
        size_t extra = h_rand() % 8 == 0 ? h_rand() % (GDB_PACKET_MAX + 40) : h_rand() % 40;
        static const char alphabet[] = "0123456789abcdefABCDEF,:;=-}p.x\x00\x03\xff";
        for (size_t k = 0; k < extra && n < sizeof pkt; k++)
            pkt[n++] = alphabet[h_rand() % (sizeof alphabet - 1)];
        /* qRcmd payloads that would stop the test machine are harmless:
         * quit only sets a flag, system_reset resets the bare machine. */
        hm->shutdown_requested = false;
        out_clear();
        if (h_rand() % 16 == 0) {
            feed(pkt, n); /* raw noise */
        } else {
            char frame[sizeof pkt + 8];
            pkt[n] = '\0';
            size_t fl = gdb_frame(pkt, n, frame, sizeof frame);
            ck_assert_uint_gt(fl, 0);
            if (h_rand() % 8 == 0)
                frame[fl - 1] ^= 1; /* a broken checksum */
            feed(frame, fl);
        }
        out_parse(); /* every packet out is well formed */
        if (h_rand() % 64 == 0)
            gdbstub_connect(stub); /* a new session now and then */
        hm->paused = true;
    }
}
END_TEST

/* ------------------------------------------------------------------ run control */

static void handshake(void)
{
    xchg("qSupported:multiprocess+;swbreak+;hwbreak+");
}

START_TEST(test_breakpoints)
{
    handshake();
    /* nop; nop; nop; inc eax; nop; hlt */
    static const uint8_t code[] = {0x90, 0x90, 0x90, 0x40, 0x90, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    hc->regs[R_EAX] = 0;
    ck_assert_str_eq(xchg("Z0,10003,1"), "OK");
    ck_assert(!memcmp(h_ptr(H_CODE), code, sizeof code)); /* guest memory untouched */
    ck_assert_str_eq(xchg("m10003,1"), "40");             /* and reads show the real byte */
    send_quiet("vCont;c");
    ck_assert(!hm->paused);
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_int_eq(npk, 1);
    ck_assert_str_eq(pk[0], "T05swbreak:;thread:01;");
    ck_assert_uint_eq(hc->eip, H_CODE + 3);
    ck_assert_uint_eq(hc->regs[R_EAX], 0); /* stopped before the instruction */
    ck_assert(hm->paused);
    ck_assert_str_eq(xchg("?"), "T05swbreak:;thread:01;");
    /* Continuing from the breakpoint runs its instruction first. */
    send_quiet("c");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EAX], 1);
    ck_assert_int_eq(npk, 0);
    /* A hardware breakpoint reports hwbreak; removal works. */
    h_pm(H_CODE);
    ck_assert_str_eq(xchg("z0,10003,1"), "OK");
    ck_assert_str_eq(xchg("Z1,10004,1"), "OK");
    send_quiet("c");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_str_eq(pk[0], "T05hwbreak:;thread:01;");
    ck_assert_uint_eq(hc->eip, H_CODE + 4);
    ck_assert_str_eq(xchg("z1,10004,1"), "OK");
    ck_assert_str_eq(xchg("z1,10004,1"), "OK"); /* removing twice is harmless */
    send_quiet("c");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_HALTED);
    ck_assert_ptr_null(hc->debug_break);
    /* Malformed Z packets */
    ck_assert_str_eq(xchg("Z9,1,1"), "");
    ck_assert_str_eq(xchg("Z0"), "");
    ck_assert_str_eq(xchg("Z0,"), "E01");
    ck_assert_str_eq(xchg("Z0,1"), "E01");
    ck_assert_str_eq(xchg("Z0,1,1x"), "E01");
    ck_assert_str_eq(xchg("Z0,1,1;X1,0"), "OK"); /* trailing conditions are ignored */
    ck_assert_str_eq(xchg("Z2,1,0"), "E22");
    /* The table fills up without overflowing. */
    for (int i = 0; i < GDB_MAX_BREAKPOINTS + 10; i++)
        xchg("Z1,5000,1");
    ck_assert_str_eq(pk[0], "E28");
    for (int i = 0; i < 40; i++)
        xchg("Z2,6000,4");
    ck_assert_str_eq(pk[0], "E28");
}
END_TEST

START_TEST(test_step)
{
    handshake();
    /* mov eax, 5 (5 bytes); inc eax; hlt */
    static const uint8_t code[] = {0xB8, 5, 0, 0, 0, 0x40, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    send_quiet("s");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_str_eq(pk[0], "T05thread:01;");
    ck_assert_uint_eq(hc->eip, H_CODE + 5);
    ck_assert_uint_eq(hc->regs[R_EAX], 5);
    send_quiet("vCont;s:1;c");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_uint_eq(hc->eip, H_CODE + 6);
    ck_assert_uint_eq(hc->regs[R_EAX], 6);
    send_quiet("vCont;s:p1.1");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert(hc->halted);
    /* A step at a breakpoint executes the instruction. */
    h_pm(H_CODE);
    xchg("Z0,10000,1");
    send_quiet("s");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_uint_eq(hc->eip, H_CODE + 5);
    /* s ADDR and C/S with a signal */
    send_quiet("s10000");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_uint_eq(hc->eip, H_CODE + 5);
    send_quiet("S05;10000");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_uint_eq(hc->eip, H_CODE + 5);
    ck_assert_str_eq(xchg("sz"), "E01");
    ck_assert_str_eq(xchg("S0g"), "E01");
    ck_assert_str_eq(xchg("vCont;x"), "E01");
    ck_assert_str_eq(xchg("vCont;s:2"), "E01"); /* no such thread */
    ck_assert_str_eq(xchg("vCont;"), "E01");
    /* A faulting instruction: the step ends at the handler's entry. */
    static const uint8_t ud[] = {0x0F, 0x0B};
    h_pm(H_CODE);
    H_LOAD(H_CODE, ud);
    send_quiet("s");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_uint_eq(hc->eip, H_STUB(EX_UD));
}
END_TEST

/* Single steps keep external interrupts out (unless halted); continue lets them in. */
START_TEST(test_step_no_irq)
{
    static const uint8_t code[] = {0x90, 0x90, 0x90, 0xF4};
    h_real(0, 0x1000);
    H_LOAD(0x1000, code);
    cpu_set_eflags(hc, F_IF | 2);
    cpu_set_intr(hc, true);
    send_quiet("s");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_uint_eq(cpu_debug_pc(hc), 0x1001);
    ck_assert_int_eq(hc->last_vector, -1);
    send_quiet("c");
    run_stub(1);
    ck_assert_int_eq(hc->last_vector, 8); /* the bare machine's intack vector */
}
END_TEST

START_TEST(test_watchpoints)
{
    handshake();
    /* mov eax,[0x20000]; mov [0x20004],eax; mov byte [0x20002],1; hlt */
    static const uint8_t code[] = {0xA1, 0x00, 0x00, 0x02, 0x00, 0xA3, 0x04, 0x00, 0x02,
                                   0x00, 0xC6, 0x05, 0x02, 0x00, 0x02, 0x00, 0x01, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    /* A write watchpoint ignores the read and stops after the write. */
    ck_assert_str_eq(xchg("Z2,20004,4"), "OK");
    send_quiet("c");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_str_eq(pk[0], "T05watch:20004;thread:01;");
    ck_assert_uint_eq(hc->eip, H_CODE + 10);
    ck_assert_str_eq(xchg("z2,20004,4"), "OK");
    /* A read watchpoint */
    h_pm(H_CODE);
    ck_assert_str_eq(xchg("Z3,20000,2"), "OK");
    send_quiet("c");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_str_eq(pk[0], "T05rwatch:20000;thread:01;");
    ck_assert_uint_eq(hc->eip, H_CODE + 5);
    ck_assert_str_eq(xchg("z3,20000,2"), "OK");
    /* An access watchpoint on a byte inside a dword access */
    ck_assert_str_eq(xchg("Z4,20002,1"), "OK");
    send_quiet("c");
    ck_assert_int_eq(run_stub(1000), CPU_RUN_DEBUG);
    ck_assert_str_eq(pk[0], "T05awatch:20002;thread:01;");
    ck_assert_uint_eq(hc->eip, H_CODE + 17);
    /* gdb's own memory accesses never trigger */
    xchg("m20000,8");
    xchg("M20002,1:05");
    ck_assert_int_eq(hc->watch_hit, 0);
    /* Detach removes everything and lets the guest run. */
    ck_assert_str_eq(xchg("Z0,10000,1"), "OK");
    ck_assert_str_eq(xchg("D"), "OK");
    ck_assert(!hm->paused);
    ck_assert_int_eq(hc->nwatch, 0);
    ck_assert_ptr_null(hc->debug_break);
    h_pm(H_CODE);
    ck_assert_int_eq(run_stub(1000), CPU_RUN_HALTED);
    ck_assert_int_eq(npk, 0);
}
END_TEST

START_TEST(test_interrupt_and_kill)
{
    static const uint8_t code[] = {0xEB, 0xFE}; /* jmp $ */
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    send_quiet("c");
    ck_assert(!hm->paused);
    ck_assert_int_eq(run_stub(500), CPU_RUN_LIMIT);
    ck_assert_int_eq(npk, 0);
    out_clear();
    feed("\x03", 1);
    out_parse();
    ck_assert_str_eq(pk[0], "T02thread:01;");
    ck_assert(hm->paused);
    ck_assert_str_eq(xchg("?"), "T02thread:01;");
    /* ^C while stopped: nothing */
    out_clear();
    feed("\x03", 1);
    out_parse();
    ck_assert_int_eq(npk, 0);
    /* vCtrlC */
    send_quiet("c");
    out_clear();
    send_bin("vCtrlC", 6);
    out_parse();
    ck_assert_int_eq(npk, 2);
    ck_assert_str_eq(pk[0], "OK");
    ck_assert_str_eq(pk[1], "T02thread:01;");
    /* The connection goes away: like a detach. */
    xchg("Z0,10000,1");
    gdbstub_disconnect(stub);
    ck_assert(!hm->paused);
    ck_assert_ptr_null(hc->debug_break);
    /* A new connection stops the guest; k ends the machine. */
    gdbstub_connect(stub);
    ck_assert(hm->paused);
    send_quiet("k");
    ck_assert(hm->shutdown_requested);
    hm->shutdown_requested = false;
    gdbstub_connect(stub);
    ck_assert_str_eq(xchg("vKill;1"), "OK");
    ck_assert(hm->shutdown_requested);
}
END_TEST

/* Real mode: breakpoints and steps use CS*16 + IP. */
START_TEST(test_real_mode_run)
{
    handshake();
    /* at 1000:0020: mov ax,0x1234; mov ds,ax; nop; ljmp 2000:0010 */
    static const uint8_t code[] = {0xB8, 0x34, 0x12, 0x8E, 0xD8, 0x90,
                                   0xEA, 0x10, 0x00, 0x00, 0x20};
    static const uint8_t code2[] = {0x90, 0xF4};
    h_real(0x1000, 0x20);
    H_LOAD(0x10020, code);
    H_LOAD(0x20010, code2);
    send_quiet("s");
    run_stub(100);
    ck_assert_uint_eq(cpu_debug_pc(hc), 0x10023);
    ck_assert_str_eq(xchg("p8"), "23000100");
    ck_assert_str_eq(xchg("Z0,10025,1"), "OK");
    send_quiet("c");
    ck_assert_int_eq(run_stub(100), CPU_RUN_DEBUG);
    ck_assert_str_eq(pk[0], "T05swbreak:;thread:01;");
    ck_assert_uint_eq(hc->eip, 0x25);
    ck_assert_uint_eq(hc->seg[S_DS].sel, 0x1234);
    ck_assert_str_eq(xchg("Z1,20011,1"), "OK");
    send_quiet("c");
    ck_assert_int_eq(run_stub(100), CPU_RUN_DEBUG);
    ck_assert_str_eq(pk[0], "T05hwbreak:;thread:01;");
    ck_assert_uint_eq(hc->seg[S_CS].sel, 0x2000);
    ck_assert_uint_eq(hc->eip, 0x11);
    /* A real-mode data watchpoint: DS*16 + offset */
    static const uint8_t st[] = {0xC6, 0x06, 0x08, 0x00, 0x7F, 0xF4}; /* mov byte [8],0x7f; hlt */
    h_real(0x1000, 0x20);
    H_LOAD(0x10020, st);
    cpu_set_seg_raw(hc, S_DS, 0x3000, 0x30000, 0xFFFF, 0x93);
    ck_assert_str_eq(xchg("Z2,30008,1"), "OK");
    send_quiet("c");
    ck_assert_int_eq(run_stub(100), CPU_RUN_DEBUG);
    ck_assert_str_eq(pk[0], "T05watch:30008;thread:01;");
    ck_assert_uint_eq(cpu_debug_pc(hc), 0x10025);
}
END_TEST

/* ------------------------------------------------------------------ the guest's own debug
 * registers */

#define DR7_EN(n) (1u << (2 * (n)))
#define DR7_RW(n, rw) ((uint32_t)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, l) ((uint32_t)(l) << (18 + 4 * (n)))

static void set_dr7(uint32_t v)
{
    hc->dr[7] = v | 0x400;
    cpu_dr_update(hc);
}

START_TEST(test_guest_dr_exec)
{
    /* nop; nop; inc eax; hlt */
    static const uint8_t code[] = {0x90, 0x90, 0x40, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    hc->regs[R_EAX] = 0;
    hc->dr[0] = H_CODE + 2;
    set_dr7(DR7_EN(0));
    int r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_DB, -1, H_CODE + 2); /* a fault: before the instruction */
    ck_assert_uint_eq(hc->dr[6] & 0xF, 1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0);
    /* The handler returns with RF set in the image: the instruction runs. */
    uint32_t *fl = (uint32_t *)h_ptr(hc->regs[R_ESP] + 8);
    *fl |= F_RF;
    h_resume();
    r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EAX], 1);
    ck_assert_uint_eq(hc->eip, H_CODE + 4);
    ck_assert_uint_eq(cpu_get_eflags(hc) & F_RF, 0);
    /* Disabled in DR7: nothing. */
    h_pm(H_CODE);
    set_dr7(0);
    hc->last_vector = -1;
    ck_assert_int_eq(h_run_halt(100), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
}
END_TEST

START_TEST(test_guest_dr_data)
{
    /* mov eax,[0x20000]; mov [0x20000],eax; hlt */
    static const uint8_t code[] = {0xA1, 0x00, 0x00, 0x02, 0x00, 0xA3,
                                   0x00, 0x00, 0x02, 0x00, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    hc->dr[6] = 0xFFFF0FF0;
    hc->dr[1] = H_DATA + 1; /* aligned down to the dword by LEN=4 */
    set_dr7(DR7_EN(1) | DR7_RW(1, 1) | DR7_LEN(1, 3));
    int r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_DB, -1, H_CODE + 10); /* a trap: after the write */
    ck_assert_uint_eq(hc->dr[6] & 0xF, 2);
    /* Read/write breakpoints catch the read. */
    h_pm(H_CODE);
    hc->dr[6] = 0xFFFF0FF0;
    hc->dr[3] = H_DATA + 2;
    set_dr7(DR7_EN(3) | DR7_RW(3, 3) | DR7_LEN(3, 1));
    r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_DB, -1, H_CODE + 5);
    ck_assert_uint_eq(hc->dr[6] & 0xF, 8);
    /* Not overlapping: nothing. */
    h_pm(H_CODE);
    hc->dr[3] = H_DATA + 4;
    set_dr7(DR7_EN(3) | DR7_RW(3, 3) | DR7_LEN(3, 3));
    hc->last_vector = -1;
    ck_assert_int_eq(h_run_halt(100), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
}
END_TEST

/* The guest programs its debug registers itself with MOV DRn. */
START_TEST(test_guest_dr_mov)
{
    static const uint8_t code[] = {
        0xB8, 0x00, 0x00, 0x02, 0x00,       /* mov eax, 0x20000 */
        0x0F, 0x23, 0xC0,                   /* mov dr0, eax */
        0xB8, 0x01, 0x00, 0x0D, 0x00,       /* mov eax, 0x000D0001: L0, write, 4 bytes */
        0x0F, 0x23, 0xF8,                   /* mov dr7, eax */
        0x89, 0x1D, 0x00, 0x00, 0x02, 0x00, /* mov [0x20000], ebx */
        0xF4,
    };
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    int r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_DB, -1, H_CODE + 22);
    ck_assert_uint_eq(hc->dr[6] & 0xF, 1);
    /* Reset clears them. */
    cpu_reset(hc);
    ck_assert_int_eq(hc->nwatch, 0);
    ck_assert_int_eq(hc->dr_exec, 0);
}
END_TEST

/* gdb's breakpoints and the guest's INT3 and DRs coexist. */
START_TEST(test_guest_and_gdb)
{
    handshake();
    /* nop; nop; int3; nop; hlt */
    static const uint8_t code[] = {0x90, 0x90, 0xCC, 0x90, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    ck_assert_str_eq(xchg("Z0,10001,1"), "OK");
    send_quiet("c");
    ck_assert_int_eq(run_stub(100), CPU_RUN_DEBUG);
    ck_assert_uint_eq(hc->eip, H_CODE + 1);
    send_quiet("c");
    ck_assert_int_eq(run_stub(100), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_BP); /* the guest's INT3 went to the guest */
    ck_assert_uint_eq(hc->eip, H_STUB(EX_BP) + 1);
    ck_assert_int_eq(npk, 0);
    /* A guest instruction breakpoint and a gdb one at the same place: gdb
     * first, then the guest's #DB. */
    static const uint8_t nops[] = {0x90, 0x90, 0x90, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, nops);
    xchg("Z0,10001,1");
    hc->dr[0] = H_CODE + 1;
    set_dr7(DR7_EN(0));
    send_quiet("c");
    ck_assert_int_eq(run_stub(100), CPU_RUN_DEBUG);
    ck_assert_uint_eq(hc->eip, H_CODE + 1);
    send_quiet("c");
    ck_assert_int_eq(run_stub(100), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_DB);
    ck_assert_uint_eq(h_stack(0), H_CODE + 1);
}
END_TEST

static Suite *gdbstub_suite(void)
{
    Suite *s = suite_create("gdbstub");
    TCase *tc = tcase_create("framing");
    tcase_add_test(tc, test_checksum_and_frame);
    tcase_add_test(tc, test_rx_packets);
    tcase_add_test(tc, test_rx_oversize);
    tcase_add_test(tc, test_hex);
    tcase_add_test(tc, test_escape);
    tcase_add_test(tc, test_addr);
    suite_add_tcase(s, tc);

    tc = tcase_create("protocol");
    tcase_add_checked_fixture(tc, stub_init, stub_fini);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_handshake);
    tcase_add_test(tc, test_target_xml);
    tcase_add_test(tc, test_registers);
    tcase_add_test(tc, test_real_mode_pc);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_monitor);
    tcase_add_test(tc, test_storm);
    suite_add_tcase(s, tc);

    tc = tcase_create("run");
    tcase_add_checked_fixture(tc, stub_init, stub_fini);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_breakpoints);
    tcase_add_test(tc, test_step);
    tcase_add_test(tc, test_step_no_irq);
    tcase_add_test(tc, test_watchpoints);
    tcase_add_test(tc, test_interrupt_and_kill);
    tcase_add_test(tc, test_real_mode_run);
    suite_add_tcase(s, tc);

    tc = h_tcase("guest-debug-registers");
    tcase_add_test(tc, test_guest_dr_exec);
    tcase_add_test(tc, test_guest_dr_data);
    tcase_add_test(tc, test_guest_dr_mov);
    suite_add_tcase(s, tc);
    tc = tcase_create("guest-and-gdb");
    tcase_add_checked_fixture(tc, stub_init, stub_fini);
    tcase_add_test(tc, test_guest_and_gdb);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(gdbstub_suite)
