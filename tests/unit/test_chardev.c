/* Character devices (ui/chardev.c): the options and short forms, QEMU's
 * defaults for -nographic, and each type carrying a UART's bytes where it
 * says, with flow control and the mux's keys. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "testutil.h"
#include "ui/chardev.h"
#include "ui/monitor.h"
#include "ui/options.h"

static Options o;
static char err[512];
static Machine *m;

static int parse(const char *first, ...)
{
    static char *argv[64];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 64, first, ap);
    va_end(ap);
    options_free(&o);
    return options_parse(argc, argv, &o, err, sizeof err);
}

/* The -chardev text chardev id was made of. */
static const char *text_of(const char *id)
{
    for (int i = 0; i < o.con.nchardev; i++) {
        const char *t = o.con.chardev[i];
        char key[64];
        snprintf(key, sizeof key, ",id=%s", id);
        const char *at = strstr(t, key);
        if (at && (at[strlen(key)] == ',' || !at[strlen(key)]))
            return t;
    }
    return NULL;
}

static void teardown(void)
{
    monitors_free_all();
    chardevs_close_all();
    if (m)
        machine_free(m);
    m = NULL;
    options_free(&o);
}

/* ---- option time */

START_TEST(test_short_forms)
{
    static const struct {
        const char *spec, *text;
    } cases[] = {
        {"stdio", "stdio,id=serial0"},
        {"null", "null,id=serial0"},
        {"pty", "pty,id=serial0"},
        {"vc:80Cx24C", "vc,id=serial0"},
        {"file:/tmp/a,b", "file,id=serial0,path=/tmp/a,,b"},
        {"pipe:/tmp/p", "pipe,id=serial0,path=/tmp/p"},
        {"/dev/ttyS0", "serial,id=serial0,path=/dev/ttyS0"},
        {"tcp::4444,server=on,wait=off", "socket,id=serial0,host=,port=4444,server=on,wait=off"},
        {"tcp:127.0.0.1:4444,server,nowait", "socket,id=serial0,host=127.0.0.1,port=4444,server,nowait"},
        {"tcp:[::1]:4444", "socket,id=serial0,host=[::1],port=4444"},
        {"telnet::4444,server=on", "socket,id=serial0,host=,port=4444,telnet=on,server=on"},
        {"unix:/tmp/s.sock,server=on", "socket,id=serial0,path=/tmp/s.sock,server=on"},
        {"mon:stdio", "stdio,id=serial0,mux=on,signal=off"},
        {"mon:tcp::5,server=on", "socket,id=serial0,host=,port=5,server=on,mux=on"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(parse("-serial", cases[i].spec, NULL) == 0, "%s: %s", cases[i].spec, err);
        ck_assert_str_eq(o.con.serial[0], "serial0");
        const char *t = text_of("serial0");
        ck_assert_msg(t && !strcmp(t, cases[i].text), "%s gave %s", cases[i].spec, t);
    }
    /* mon: puts a monitor on the same chardev */
    ck_assert_int_eq(parse("-serial", "mon:stdio", NULL), 0);
    ck_assert_int_eq(o.con.nmonitor, 1);
    ck_assert_str_eq(o.con.monitor[0], "serial0");
    /* -monitor and -debugcon get QEMU's labels */
    ck_assert_int_eq(parse("-monitor", "unix:/tmp/m.sock,server=on,wait=off", "-debugcon",
                           "file:/tmp/e9", NULL), 0);
    ck_assert_str_eq(o.con.monitor[0], "compat_monitor0");
    ck_assert_str_eq(text_of("compat_monitor0"),
                     "socket,id=compat_monitor0,path=/tmp/m.sock,server=on,wait=off");
    ck_assert_str_eq(o.con.debugcon[0], "debugcon0");
    ck_assert_str_eq(text_of("debugcon0"), "file,id=debugcon0,path=/tmp/e9");
    ck_assert_int_eq(o.devices.n, 1); /* -debugcon is an isa-debugcon device */
    ck_assert_str_eq(o.devices.text[0], "isa-debugcon,chardev=debugcon0");
}
END_TEST

START_TEST(test_chardev_option)
{
    ck_assert_int_eq(parse("-chardev", "socket,id=s0,port=4444,server=on,wait=off", "-serial",
                           "chardev:s0", NULL), 0);
    ck_assert_str_eq(o.con.serial[0], "s0");
    /* references may come before the -chardev */
    ck_assert_int_eq(parse("-serial", "chardev:c1", "-chardev", "null,id=c1", NULL), 0);
    ck_assert_int_eq(parse("-mon", "chardev=m0,mode=readline", "-chardev", "ringbuf,id=m0", NULL),
                     0);
    ck_assert_str_eq(o.con.monitor[0], "m0");
    ck_assert_int_eq(parse("-mon", "m0", "-chardev", "pty,id=m0", NULL), 0);
    ck_assert_int_eq(parse("-chardev", "help", NULL), 0);
    ck_assert(o.con.help);
    /* a device's chardev= */
    ck_assert_int_eq(parse("-chardev", "file,id=f,path=/tmp/x", "-device",
                           "isa-debugcon,chardev=f", NULL), 0);
}
END_TEST

START_TEST(test_chardev_errors)
{
    static const struct {
        const char *opt, *val, *want;
    } cases[] = {
        {"-chardev", "null", "-chardev null: needs id=ID"},
        {"-chardev", "id=x", "-chardev id=x: missing the type (e.g. -chardev socket,id=ID,...)"},
        {"-chardev", "frob,id=x", "-chardev frob,id=x: 'frob' is not a valid chardev type (see "
                                  "-chardev help)"},
        {"-chardev", "udp,id=x", "-chardev udp,id=x: the 'udp' chardev is not supported by "
                                 "wirebox yet"},
        {"-chardev", "null,id=1x", "-chardev null,id=1x: id=1x: an id is a letter followed by "
                                   "letters, digits, '-', '.' or '_'"},
        {"-chardev", "null,id=x,path=/y", "-chardev null,id=x,path=/y: invalid parameter 'path' "
                                          "for a null chardev"},
        {"-chardev", "file,id=x", "-chardev file,id=x: needs path=FILE"},
        {"-chardev", "null,id=x,mux=maybe", "-chardev null,id=x,mux=maybe: mux=maybe: expected "
                                            "on or off"},
        {"-chardev", "socket,id=x", "-chardev socket,id=x: needs port= (TCP) or path= (a Unix "
                                    "socket)"},
        {"-chardev", "socket,id=x,port=70000", "-chardev socket,id=x,port=70000: port=70000: "
                                               "expected a number from 0 to 65535"},
        {"-chardev", "socket,id=x,port=1,path=/p", "-chardev socket,id=x,port=1,path=/p: give "
                                                   "either path= (a Unix socket) or host= and "
                                                   "port="},
        {"-chardev", "socket,id=x,port=1,server=on,reconnect=1",
         "-chardev socket,id=x,port=1,server=on,reconnect=1: reconnect is for a client "
         "(server=off)"},
        {"-chardev", "socket,id=x,port=1,websocket=on",
         "-chardev socket,id=x,port=1,websocket=on: websocket= is not supported by wirebox yet"},
        {"-chardev", "ringbuf,id=x,size=1000", "-chardev ringbuf,id=x,size=1000: size=1000: "
                                               "expected a power of two up to 64 MiB"},
        {"-serial", "chardev:nope", "-serial: chardev 'nope' not found (define it with -chardev "
                                    "TYPE,id=nope,...)"},
        {"-serial", "udp::4555", "-serial udp::4555: the 'udp' chardev is not supported by "
                                 "wirebox yet"},
        {"-serial", "tcp:nohostport", "-serial tcp:nohostport: expected tcp:[HOST]:PORT"},
        {"-mon", "mode=control,chardev=x", "-mon mode=control,chardev=x: mode=control (QMP) is "
                                           "not supported by wirebox yet"},
        {"-mon", "mode=readline", "-mon mode=readline: needs chardev=ID"},
        {"-debugcon", "mon:stdio", "-debugcon mon:stdio: a debug console has no input for a "
                                   "monitor"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(parse(cases[i].opt, cases[i].val, NULL) == 1, "%s %s accepted", cases[i].opt,
                      cases[i].val);
        ck_assert_str_eq(err, cases[i].want);
    }
    ck_assert_int_eq(parse("-chardev", "null,id=a", "-chardev", "null,id=a", NULL), 1);
    ck_assert_str_eq(err, "-chardev null,id=a: duplicate chardev id 'a'");
    /* one frontend per chardev unless mux=on */
    ck_assert_int_eq(parse("-chardev", "null,id=a", "-serial", "chardev:a", "-serial",
                           "chardev:a", NULL), 1);
    ck_assert_str_eq(err, "chardev 'a' is used by 2 devices; only one can use it unless it has "
                          "mux=on");
    ck_assert_int_eq(parse("-chardev", "null,id=a,mux=on", "-serial", "chardev:a", "-monitor",
                           "chardev:a", NULL), 0);
    ck_assert_int_eq(parse("-device", "isa-debugcon,chardev=zz", NULL), 1);
    ck_assert_str_eq(err, "-device: chardev 'zz' not found (define it with -chardev "
                          "TYPE,id=zz,...)");
    /* stdio once */
    ck_assert_int_eq(parse("-serial", "stdio", "-monitor", "stdio", NULL), 1);
    ck_assert_str_eq(err, "cannot use stdio by multiple character devices");
}
END_TEST

/* QEMU's rules (vl.c) for the default serial port and monitor. */
START_TEST(test_defaults_nographic)
{
    ck_assert_int_eq(parse("-nographic", NULL), 0);
    ck_assert_str_eq(o.cfg.serial[0], "mon:stdio");
    ck_assert_str_eq(text_of("serial0"), "stdio,id=serial0,mux=on,signal=off");
    ck_assert_int_eq(o.con.nmonitor, 1);
    ck_assert_str_eq(o.con.monitor[0], "serial0");
    /* a monitor elsewhere: the serial console alone on stdio */
    ck_assert_int_eq(parse("-nographic", "-monitor", "unix:/tmp/wbm,server=on,wait=off", NULL), 0);
    ck_assert_str_eq(o.cfg.serial[0], "stdio");
    ck_assert_str_eq(text_of("serial0"), "stdio,id=serial0");
    ck_assert_int_eq(parse("-nographic", "-monitor", "none", NULL), 0);
    ck_assert_str_eq(o.cfg.serial[0], "stdio");
    ck_assert_int_eq(o.con.nmonitor, 0);
    /* a serial port elsewhere: the monitor alone on stdio */
    ck_assert_int_eq(parse("-nographic", "-serial", "file:/tmp/x", NULL), 0);
    ck_assert_int_eq(o.con.nmonitor, 1);
    ck_assert_str_eq(text_of("compat_monitor0"), "stdio,id=compat_monitor0");
    /* as QEMU: -nographic with -serial stdio leaves stdio to two chardevs */
    ck_assert_int_eq(parse("-nographic", "-serial", "stdio", NULL), 1);
    ck_assert_str_eq(err, "cannot use stdio by multiple character devices");
    /* no display: serial to null, no monitor */
    ck_assert_int_eq(parse("-display", "none", NULL), 0);
    ck_assert_str_eq(o.cfg.serial[0], "null");
    ck_assert_int_eq(o.con.nmonitor, 0);
    ck_assert_int_eq(parse("-nographic", "-nodefaults", NULL), 0);
    ck_assert_int_eq(o.con.nserial + o.con.nmonitor + o.con.nchardev, 0);
}
END_TEST

/* ---- a PC with its serial ports on the chardevs of a command line */

static size_t fe_can(void *opaque)
{
    return uart_can_receive(opaque);
}

static void fe_recv(void *opaque, const uint8_t *buf, size_t len)
{
    uart_receive(opaque, buf, len);
}

/* As ui/main.c wires them: open, claim, the PC, frontends, monitors, start. */
static Machine *build(const char *first, ...)
{
    static char *argv[64];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 64, first, ap);
    va_end(ap);
    options_free(&o);
    ck_assert_msg(options_parse(argc, argv, &o, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(chardevs_open(&o.con, err, sizeof err) == 0, "%s", err);
    CharDev *out[MAX_SERIAL] = {NULL};
    for (int i = 0; i < o.con.nserial; i++)
        if (o.con.serial[i])
            ck_assert_ptr_nonnull(out[i] = chardev_claim(chardev_find(o.con.serial[i]), NULL, err,
                                                         sizeof err));
    o.cfg.ram_size = 16u << 20;
    m = machine_new_pc(&o.cfg, out);
    ck_assert_ptr_nonnull(m);
    for (int i = 0; i < MAX_SERIAL; i++)
        if (out[i]) {
            CharFrontend fe = {fe_can, fe_recv, NULL, pc_board(m)->uart[i]};
            chardev_set_frontend(out[i], &fe);
        }
    for (int i = 0; i < o.con.nmonitor; i++)
        ck_assert_ptr_nonnull(monitor_open_chardev(m, chardev_find(o.con.monitor[i]), err,
                                                   sizeof err));
    ck_assert_msg(chardevs_start(m, err, sizeof err) == 0, "%s", err);
    m->cpu->halted = true;         /* IF=0 after reset: it stays asleep */
    port_write(m, 0x3FA, 0x01, 0); /* FCR: 16-byte FIFOs on */
    return m;
}

static void steps(int n)
{
    for (int i = 0; i < n && !m->shutdown_requested; i++)
        machine_step(m);
}

/* The guest sends s on COM(port+1). */
static void guest_send(int port, const char *s)
{
    static const uint16_t base[] = {0x3F8, 0x2F8, 0x3E8, 0x2E8};
    for (; *s; s++)
        port_write(m, base[port], (uint8_t)*s, 0);
}

/* The guest reads exactly want from COM1's receive FIFO. */
static void expect_rx(const char *want)
{
    for (const char *p = want; *p; p++) {
        ck_assert_msg(port_read(m, 0x3FD, 0) & 1, "no byte for '%c'", *p);
        ck_assert_uint_eq(port_read(m, 0x3F8, 0), (uint8_t)*p);
    }
    ck_assert_uint_eq(port_read(m, 0x3FD, 0) & 1, 0);
}

static char *tmpname(const char *tag)
{
    static char names[8][96];
    static int next;
    char *n = names[next++ % 8];
    snprintf(n, 96, "/tmp/wb_chardev_%s_%d_%d", tag, (int)getpid(), next);
    unlink(n);
    return n;
}

static char *slurp(const char *path)
{
    static char buf[8192];
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

START_TEST(test_file_null_ringbuf)
{
    char *f = tmpname("file"), *log = tmpname("log"), spec[200], c1[200], c2[200];
    int fd = open(f, O_WRONLY | O_CREAT, 0600);
    ck_assert_int_eq(write(fd, "old contents", 12), 12);
    close(fd);
    snprintf(spec, sizeof spec, "file:%s", f);
    snprintf(c1, sizeof c1, "ringbuf,id=rb,size=16,logfile=%s", log);
    snprintf(c2, sizeof c2, "file,id=ap,path=%s,append=on", log);
    build("-serial", spec, "-serial", "null", "-chardev", c1, "-serial", "chardev:rb", NULL);
    guest_send(0, "hello ");
    guest_send(0, "world");
    guest_send(1, "into the void");
    guest_send(2, "0123456789abcdefXYZ");
    ck_assert_str_eq(slurp(f), "hello world"); /* truncated, then written */
    ck_assert_str_eq(slurp(log), "0123456789abcdefXYZ"); /* logfile= sees everything */
    uint8_t buf[32] = {0};
    ck_assert_int_eq(chardev_ringbuf_read(chardev_find("rb"), buf, 5), 5);
    ck_assert_str_eq((char *)buf, "3456"
                                  "7"); /* the ring kept the last 16 */
    memset(buf, 0, sizeof buf);
    ck_assert_int_eq(chardev_ringbuf_read(chardev_find("rb"), buf, 32), 11);
    ck_assert_str_eq((char *)buf, "89abcdefXYZ");
    ck_assert_int_eq(chardev_ringbuf_read(chardev_find("serial0"), buf, 1), -1);
    teardown();
    /* append=on keeps what was there */
    build("-chardev", c2, "-serial", "chardev:ap", NULL);
    guest_send(0, "+more");
    ck_assert_str_eq(slurp(log), "0123456789abcdefXYZ+more");
    unlink(f);
    unlink(log);
    /* an unwritable file: one line, nothing opened */
    options_free(&o);
    char *argv[] = {"wirebox", "-serial", "file:/nonexistent/dir/x", NULL};
    ck_assert_int_eq(options_parse(3, argv, &o, err, sizeof err), 0);
    ck_assert_int_eq(chardevs_open(&o.con, err, sizeof err), 1);
    ck_assert_str_eq(err, "-serial file:/nonexistent/dir/x: cannot open: No such file or "
                          "directory");
}
END_TEST

/* pipe:PATH: PATH.in carries input, PATH.out output. */
START_TEST(test_pipe)
{
    char *p = tmpname("pipe"), in[128], out[128], spec[160];
    snprintf(in, sizeof in, "%s.in", p);
    snprintf(out, sizeof out, "%s.out", p);
    ck_assert_int_eq(mkfifo(in, 0600), 0);
    ck_assert_int_eq(mkfifo(out, 0600), 0);
    snprintf(spec, sizeof spec, "pipe:%s", p);
    build("-serial", spec, NULL);
    int wr = open(in, O_WRONLY | O_NONBLOCK), rd = open(out, O_RDONLY | O_NONBLOCK);
    ck_assert_int_ge(wr, 0);
    ck_assert_int_ge(rd, 0);
    guest_send(0, "to the host");
    char buf[64] = {0};
    ck_assert_int_eq(read(rd, buf, sizeof buf), 11);
    ck_assert_str_eq(buf, "to the host");
    ck_assert_int_eq(write(wr, "to the guest", 12), 12);
    steps(3);
    expect_rx("to the guest");
    close(wr);
    close(rd);
    unlink(in);
    unlink(out);
}
END_TEST

/* pty: the path is printed as QEMU prints it; a reader of it sees the
 * guest's output and types into it; one that leaves and comes back too. */
START_TEST(test_pty)
{
    build("-serial", "pty", NULL);
    const char *fn = chardev_filename(chardev_find("serial0"));
    ck_assert(!strncmp(fn, "pty:/dev/pts/", 13));
    for (int round = 0; round < 2; round++) {
        int s = open(fn + 4, O_RDWR | O_NOCTTY);
        ck_assert_int_ge(s, 0);
        struct termios t;
        tcgetattr(s, &t);
        cfmakeraw(&t);
        tcsetattr(s, TCSANOW, &t);
        steps(2);
        if (round)
            for (int i = 0; i < 40 && !m->shutdown_requested; i++) { /* the 1 s check */
                steps(1);
                usleep(50000);
            }
        guest_send(0, round ? "again" : "on the pty");
        const char *want = round ? "again" : "on the pty";
        char buf[64] = {0};
        size_t got = 0; /* a read may return part of it: read until it is all there */
        while (got < strlen(want)) {
            struct pollfd pf = {s, POLLIN, 0};
            ck_assert_int_eq(poll(&pf, 1, 30000), 1);
            ssize_t r = read(s, buf + got, sizeof buf - 1 - got);
            ck_assert_int_gt(r, 0);
            got += (size_t)r;
        }
        ck_assert_str_eq(buf, want);
        ck_assert_int_eq(write(s, "typed", 5), 5);
        for (int i = 0; i < 3000 && !(port_read(m, 0x3FD, 0) & 1); i++) {
            usleep(10000);
            steps(1);
        }
        steps(2);
        expect_rx("typed");
        close(s);
        steps(3); /* the reader left: the hang-up is noticed, no busy loop */
    }
}
END_TEST

/* Plain stdio: only as many bytes are read as the UART can take. */
static int saved_fd0 = -1, saved_fd1 = -1;

static int stdio_pipe(void)
{
    saved_fd0 = dup(0);
    saved_fd1 = dup(1);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_ge(dup2(p[0], 0), 0);
    close(p[0]);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1); /* escape messages */
    close(null);
    return p[1];
}

static void restore_stdio(void)
{
    dup2(saved_fd0, 0);
    dup2(saved_fd1, 1);
    close(saved_fd0);
    close(saved_fd1);
}

static int pipe_pending(void)
{
    int n = 0;
    ioctl(0, FIONREAD, &n);
    return n;
}

START_TEST(test_stdio_flow)
{
    int wr = stdio_pipe();
    build("-serial", "stdio", NULL);
    ck_assert_int_eq(write(wr, "0123456789ABCDEFGHIJ\x01x", 22), 22);
    steps(5);
    ck_assert_uint_eq(uart_can_receive(pc_board(m)->uart[0]), 0);
    ck_assert_int_eq(pipe_pending(), 6);
    expect_rx("0123456789ABCDEF");
    close(wr); /* EOF after the rest */
    steps(5);
    expect_rx("GHIJ\x01x"); /* no escapes in plain stdio */
    ck_assert(!m->shutdown_requested);
    steps(3); /* EOF seen: nothing more, no busy loop */
    ck_assert_uint_eq(uart_can_receive(pc_board(m)->uart[0]), 16);
    teardown();
    restore_stdio();
}
END_TEST

/* mon:stdio: Ctrl-A escapes; Ctrl-A x works even when the guest's FIFO is full. */
START_TEST(test_mux_keys)
{
    int wr = stdio_pipe();
    build("-serial", "mon:stdio", NULL);
    ck_assert_int_eq(write(wr, "0123456789ABCDEFGH\x01\x01I\x01zJ", 24), 24);
    steps(5);
    ck_assert_uint_eq(uart_can_receive(pc_board(m)->uart[0]), 0);
    ck_assert_int_eq(pipe_pending(), 0); /* read ahead into the chardev */
    ck_assert(!m->shutdown_requested);
    expect_rx("0123456789ABCDEF");
    steps(2);
    expect_rx("GH\x01IJ"); /* Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A z is swallowed */
    ck_assert_int_eq(write(wr, "0123456789abcdefXYZ\x01x", 21), 21);
    steps(5);
    ck_assert(m->shutdown_requested);
    ck_assert_int_eq(m->exit_code, 0);
    close(wr);
    teardown();
    restore_stdio();
}
END_TEST

/* A mux on a Unix socket lets the test read what the monitor answers and
 * type like a person: Ctrl-A c gives the focus to
 * the monitor (banner and prompt) and back; bytes typed before the switch
 * still reach the guest. */
static int unix_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Reads what fd has until want appears (running the machine meanwhile). */
static char *read_until(int fd, const char *want)
{
    static char buf[16384];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < 3000 && !strstr(buf, want); i++) {
        steps(1);
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 10) == 1) {
            ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
            buf[n] = '\0';
        }
    }
    ck_assert_msg(strstr(buf, want), "no '%s' in '%s'", want, buf);
    return buf;
}

START_TEST(test_mux_monitor_switch)
{
    char *path = tmpname("mux"), spec[160];
    snprintf(spec, sizeof spec, "mon:unix:%s,server=on,wait=off", path);
    build("-serial", spec, NULL);
    int fd = unix_connect(path);
    steps(3);
    guest_send(0, "boot text");
    read_until(fd, "boot text");
    ck_assert_int_eq(write(fd, "ab\x01" "cinfo status\r", 16), 16);
    char *got = read_until(fd, "VM status: running\r\n(qemu) ");
    ck_assert_ptr_nonnull(strstr(got, "wirebox " WIREBOX_VERSION " monitor - type 'help' for "
                                      "more information\r\n(qemu) info status\r\n"));
    expect_rx("ab"); /* typed before Ctrl-A c: the guest's */
    ck_assert_int_eq(write(fd, "\x01" "cxy", 4), 4);
    for (int i = 0; i < 3000 && !(port_read(m, 0x3FD, 0) & 1); i++)
        steps(1);
    steps(2);
    expect_rx("xy"); /* back on the serial console */
    guest_send(0, "still here");
    read_until(fd, "still here");
    close(fd);
}
END_TEST

/* A TCP server: reachable by a host client, and it survives the client
 * leaving; the next client gets the console. */
static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(0x7F000001)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static int port_of(const char *filename)
{
    const char *c = strrchr(filename, ':');
    ck_assert_ptr_nonnull(c);
    return atoi(c + 1);
}

START_TEST(test_socket_server_reconnects)
{
    build("-chardev", "socket,id=s0,host=127.0.0.1,port=0,server=on,wait=off", "-serial",
          "chardev:s0", NULL);
    Chardev *c = chardev_find("s0");
    ck_assert(!strncmp(chardev_filename(c), "disconnected:tcp:127.0.0.1:", 27));
    int port = port_of(chardev_filename(c));
    guest_send(0, "nobody hears this");
    for (int round = 0; round < 3; round++) {
        int fd = tcp_connect(port);
        for (int i = 0; i < 3000 && strncmp(chardev_filename(c), "tcp:", 4); i++) {
            steps(1);
            usleep(5000);
        }
        ck_assert(!strncmp(chardev_filename(c), "tcp:127.0.0.1:", 14));
        ck_assert_ptr_nonnull(strstr(chardev_filename(c), ",server=on <-> 127.0.0.1:"));
        char msg[32];
        snprintf(msg, sizeof msg, "round %d", round);
        guest_send(0, msg);
        char *got = read_until(fd, msg);
        ck_assert_ptr_null(strstr(got, "nobody")); /* output without a client is dropped */
        ck_assert_int_eq(write(fd, "in", 2), 2);
        for (int i = 0; i < 3000 && !(port_read(m, 0x3FD, 0) & 1); i++) {
            steps(1);
            usleep(2000);
        }
        steps(1);
        expect_rx("in");
        close(fd);
        for (int i = 0; i < 3000 && strncmp(chardev_filename(c), "disconnected:", 13); i++) {
            steps(1);
            usleep(2000);
        }
        ck_assert(!strncmp(chardev_filename(c), "disconnected:", 13));
        guest_send(0, "nobody");
        ck_assert(!m->shutdown_requested);
    }
}
END_TEST

/* A client with reconnect=: a server that goes away and comes back. */
START_TEST(test_socket_client_reconnect)
{
    char *path = tmpname("srv"), text[200];
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    snprintf(text, sizeof text, "socket,id=c0,path=%s,reconnect-ms=300", path);
    build("-chardev", text, "-serial", "chardev:c0", NULL);
    int a = accept(l, NULL, NULL);
    ck_assert_int_ge(a, 0);
    guest_send(0, "first");
    read_until(a, "first");
    close(a); /* the server drops us */
    guest_send(0, "lost");
    for (int i = 0; i < 3000 && strncmp(chardev_filename(chardev_find("c0")), "disconnected:", 13);
         i++) {
        steps(1);
        usleep(1000);
    }
    ck_assert(!strncmp(chardev_filename(chardev_find("c0")), "disconnected:unix:", 18));
    struct pollfd pf = {l, POLLIN, 0};
    for (int i = 0; i < 3000 && poll(&pf, 1, 0) == 0; i++) { /* it comes back by itself */
        steps(1);
        usleep(10000);
    }
    a = accept(l, NULL, NULL);
    ck_assert_int_ge(a, 0);
    for (int i = 0; i < 20; i++) {
        steps(1);
        usleep(2000);
    }
    guest_send(0, "second");
    read_until(a, "second");
    close(a);
    close(l);
    unlink(path);
    /* without reconnect=, a server that is not there is an error at start */
    options_free(&o);
    snprintf(text, sizeof text, "socket,id=c1,path=%s", path);
    char *argv[] = {"wirebox", "-chardev", text, NULL};
    ck_assert_int_eq(options_parse(3, argv, &o, err, sizeof err), 0);
    ck_assert_int_eq(chardevs_open(&o.con, err, sizeof err), 1);
    ck_assert_ptr_nonnull(strstr(err, ": cannot connect to /tmp/wb_chardev_srv_"));
}
END_TEST

/* telnet=on: option negotiation is sent and stripped; 0xFF is doubled. */
START_TEST(test_telnet)
{
    build("-serial", "telnet:127.0.0.1:0,server=on,wait=off", NULL);
    int fd = tcp_connect(port_of(chardev_filename(chardev_find("serial0"))));
    char *got = read_until(fd, "\xff\xfb\x01"); /* IAC WILL ECHO */
    (void)got;
    /* IAC DO ECHO, data, IAC IAC (a 0xFF byte), CR NUL, IAC SB ... IAC SE */
    static const char in[] = "\xff\xfd\x01" "a\xff\xff" "b\r\0" "\xff\xfa\x18\x01\xff\xf0" "c";
    ck_assert_int_eq(write(fd, in, sizeof in - 1), (ssize_t)(sizeof in - 1));
    for (int i = 0; i < 3000 && uart_can_receive(pc_board(m)->uart[0]) == 16; i++) {
        steps(1);
        usleep(2000);
    }
    steps(2);
    expect_rx("a\xff" "b\rc");
    guest_send(0, "x\xffy");
    read_until(fd, "x\xff\xffy");
    close(fd);
}
END_TEST

/* wait=on: start blocks until the first client (a child process connects). */
START_TEST(test_socket_wait)
{
    char *path = tmpname("wait"), spec[160];
    snprintf(spec, sizeof spec, "unix:%s,server=on", path);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 200; i++) {
            struct stat st;
            if (stat(path, &st) == 0)
                break;
            usleep(10000);
        }
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
            _exit(2);
        char buf[64] = {0};
        size_t n = 0;
        while (n < 5) {
            ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
            if (r <= 0)
                _exit(3);
            n += (size_t)r;
        }
        _exit(strcmp(buf, "early") ? 4 : 0);
    }
    build("-serial", spec, NULL); /* returns once the child connected */
    guest_send(0, "early");       /* so nothing is lost */
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chardev");
    TCase *tc = tcase_create("options");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_short_forms);
    tcase_add_test(tc, test_chardev_option);
    tcase_add_test(tc, test_chardev_errors);
    tcase_add_test(tc, test_defaults_nographic);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("host");
    tcase_add_checked_fixture(tc2, NULL, teardown);
    tcase_set_timeout(tc2, 30);
    tcase_add_test(tc2, test_file_null_ringbuf);
    tcase_add_test(tc2, test_pipe);
    tcase_add_test(tc2, test_pty);
    tcase_add_test(tc2, test_stdio_flow);
    tcase_add_test(tc2, test_mux_keys);
    tcase_add_test(tc2, test_mux_monitor_switch);
    tcase_add_test(tc2, test_socket_server_reconnects);
    tcase_add_test(tc2, test_socket_client_reconnect);
    tcase_add_test(tc2, test_telnet);
    tcase_add_test(tc2, test_socket_wait);
    suite_add_tcase(s, tc2);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
