/* Character devices (ui/chardev.h): QEMU's -chardev types, the short forms
 * of -serial/-monitor/-debugcon, the mux with its Ctrl-A keys, and the host
 * side of each type on the machine's event loop. */
#define _GNU_SOURCE
#include "ui/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "hw/opts.h"
#include "ui/monitor.h"

#define ESCAPE_CHAR 0x01 /* Ctrl-A */
#define PEND_MAX 1024    /* read-ahead of a mux, socket or pty chardev */
#define RINGBUF_DEFAULT 65536
#define RINGBUF_MAX (64u << 20)
#define PTY_CHECK_NS 1000000000ull /* a pty with no reader is looked at once a second */
#define SOCK_STALL_NS 10000000000ull /* a client that reads nothing for 10 s loses output */

/* ------------------------------------------------------------------ the types */

typedef struct Chardev Chardev;

typedef struct ChardevType {
    const char *name;
    const char *alias;
    const char *help; /* one line for -chardev help */
    /* Options besides id, mux, logfile, logappend; ended by NULL. */
    const char *const *keys;
    /* Checks the type's options at option time (Opts has them); 0 or 1 with err. */
    int (*check)(Opts *o, const char *origin, char *err, size_t errlen);
    /* Opens the host side; 0 or 1 with err. */
    int (*open)(Chardev *c, char *err, size_t errlen);
} ChardevType;

/* QEMU's chardev types wirebox does not have. */
static const char *const types_not_yet[] = {
    "udp",      "msmouse",      "braille", "testdev", "spicevmc", "spiceport",
    "qemu-vdagent", "dbus",     "parallel", "parport", "console",  "wctablet",
};

typedef struct Sock {
    bool is_unix, server, wait, telnet, nodelay;
    char host[256];
    int port;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int lfd;                 /* listening (server) */
    int connecting;          /* a non-blocking connect in progress (client), or -1 */
    uint64_t reconnect_ns;   /* client: retry this long after a failure (0: never) */
    uint64_t next_attempt;   /* host ns */
    bool listen_watched;
    int accepted;            /* accepted but not yet taken into use, or -1 */
    /* telnet input state */
    int tn_state;
    bool tn_cr;
    char peer[96];
} Sock;

struct Chardev {
    char *id;
    char *origin; /* "-chardev TEXT", for messages */
    const ChardevType *type;
    Opts *opts;
    char filename[512];
    bool mux;

    /* frontends */
    struct Fe {
        CharDev out; /* what the device writes to (opaque = this chardev) */
        CharFrontend fe;
        bool has_fe;
        /* input read ahead of it (a mux, socket or pty chardev), bytes that
         * arrived while it had the focus */
        uint8_t pend[PEND_MAX];
        size_t npend;
    } fes[CHARDEV_MUX_MAX];
    int nfe, focus;
    bool escape; /* mux: Ctrl-A seen */
    bool mux_opened[CHARDEV_MUX_MAX];

    bool read_ahead; /* input is read ahead of the frontends (struct Fe's pend) */

    /* host side */
    Machine *m;
    int in_fd, out_fd; /* -1: none */
    bool watching;     /* in_fd is watched */
    bool connected;    /* a peer is there (socket, pty); always for the others */
    bool eof;          /* input ended */
    bool out_broken;   /* output failed for good */
    bool drop_when_full; /* pty: never wait for the reader */
    bool want_disconnect; /* the peer left: tear down at the next safe point */
    bool is_stdio, signals, is_pty;
    uint64_t pty_check; /* host ns of the next look at a pty without reader */
    int log_fd;
    bool stall_logged;

    Sock sock;

    /* ringbuf */
    uint8_t *ring;
    size_t ring_size;
    uint64_t ring_rd, ring_wr;
};

static struct {
    Chardev *devs[CHARDEV_MAX];
    int n;
    Machine *m;
    bool hooked;
    Chardev *pfd_owner[CHARDEV_MAX];
    int npfd;
} reg;

/* ------------------------------------------------------------------ the terminal */

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

/* A host tty (pty master, -chardev serial): raw both ways. */
static void fd_make_raw(int fd)
{
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd, TCSANOW, &t);
    }
}

/* ------------------------------------------------------------------ option checks */

static int check_bool(Opts *o, const char *key, const char *origin, char *err, size_t errlen)
{
    const char *v = opts_get(o, key);
    bool b;
    if (v && opt_parse_bool(v, &b))
        return wb_errf(err, errlen, "%s: %s=%s: expected on or off", origin, key, v);
    return 0;
}

static bool opt_bool(Opts *o, const char *key, bool def)
{
    const char *v = opts_get(o, key);
    bool b = def;
    if (v)
        opt_parse_bool(v, &b);
    return b;
}

static int need_path(Opts *o, const char *origin, char *err, size_t errlen)
{
    const char *p = opts_get(o, "path");
    if (!p || !*p)
        return wb_errf(err, errlen, "%s: needs path=FILE", origin);
    return 0;
}

static int check_none(Opts *o, const char *origin, char *err, size_t errlen)
{
    return 0;
}

static int check_stdio(Opts *o, const char *origin, char *err, size_t errlen)
{
    return check_bool(o, "signal", origin, err, errlen);
}

static int check_file(Opts *o, const char *origin, char *err, size_t errlen)
{
    return need_path(o, origin, err, errlen) || check_bool(o, "append", origin, err, errlen);
}

static int check_path(Opts *o, const char *origin, char *err, size_t errlen)
{
    return need_path(o, origin, err, errlen);
}

static int check_ringbuf(Opts *o, const char *origin, char *err, size_t errlen)
{
    const char *v = opts_get(o, "size");
    uint64_t n;
    if (v && (opt_parse_size(v, 0, &n) || n == 0 || (n & (n - 1)) || n > RINGBUF_MAX))
        return wb_errf(err, errlen, "%s: size=%s: expected a power of two up to %u MiB", origin,
                       v, RINGBUF_MAX >> 20);
    return 0;
}

static int parse_port(const char *v, int *port)
{
    uint64_t n;
    if (opt_parse_uint(v, 65535, &n))
        return -1;
    *port = (int)n;
    return 0;
}

/* The socket options as a Sock (option time and open time alike). */
static int sock_parse(Opts *o, Sock *s, const char *origin, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->lfd = s->connecting = s->accepted = -1;
    const char *path = opts_get(o, "path"), *host = opts_get(o, "host"),
               *port = opts_get(o, "port");
    static const char *const unsupported[] = {"websocket", "tn3270", "tls-creds", "tls-authz",
                                              "fd",        "to",     "abstract",  "tight"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        if (opts_get(o, unsupported[i]))
            return wb_errf(err, errlen, "%s: %s= is not supported by wirebox yet", origin,
                           unsupported[i]);
    static const char *const bools[] = {"server", "wait", "telnet", "nodelay", "ipv4", "ipv6",
                                        "nowait"};
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++)
        if (check_bool(o, bools[i], origin, err, errlen))
            return 1;
    if (path && (host || port))
        return wb_errf(err, errlen, "%s: give either path= (a Unix socket) or host= and port=",
                       origin);
    if (path) {
        if (!*path)
            return wb_errf(err, errlen, "%s: path= is empty", origin);
        if (strlen(path) >= sizeof s->path)
            return wb_errf(err, errlen, "%s: socket path too long (at most %zu bytes)", origin,
                           sizeof s->path - 1);
        s->is_unix = true;
        strcpy(s->path, path);
    } else {
        if (!port)
            return wb_errf(err, errlen, "%s: needs port= (TCP) or path= (a Unix socket)", origin);
        if (parse_port(port, &s->port))
            return wb_errf(err, errlen, "%s: port=%s: expected a number from 0 to 65535", origin,
                           port);
        if (!host || !*host)
            host = "127.0.0.1"; /* QEMU listens on all interfaces; wirebox does not */
        if (host[0] == '[') { /* [::1] */
            size_t n = strlen(host);
            if (n < 3 || host[n - 1] != ']')
                return wb_errf(err, errlen, "%s: host=%s: unbalanced brackets", origin, host);
            host++;
            snprintf(s->host, sizeof s->host, "%.*s", (int)(n - 2), host);
        } else {
            if (strlen(host) >= sizeof s->host)
                return wb_errf(err, errlen, "%s: host name too long", origin);
            strcpy(s->host, host);
        }
    }
    s->server = opt_bool(o, "server", false);
    s->wait = opt_bool(o, "wait", true) && !opt_bool(o, "nowait", false);
    s->telnet = opt_bool(o, "telnet", false);
    s->nodelay = opt_bool(o, "nodelay", false);
    const char *r = opts_get(o, "reconnect"), *rms = opts_get(o, "reconnect-ms");
    uint64_t n = 0;
    if (r && opt_parse_uint(r, 86400, &n))
        return wb_errf(err, errlen, "%s: reconnect=%s: expected seconds (0 to 86400)", origin, r);
    s->reconnect_ns = n * 1000000000ull;
    if (rms) {
        if (opt_parse_uint(rms, 86400000, &n))
            return wb_errf(err, errlen, "%s: reconnect-ms=%s: expected milliseconds", origin, rms);
        s->reconnect_ns = n * 1000000ull;
    }
    if (s->server && s->reconnect_ns)
        return wb_errf(err, errlen, "%s: reconnect is for a client (server=off)", origin);
    if (!s->server && s->port == 0 && !s->is_unix)
        return wb_errf(err, errlen, "%s: a client needs a port other than 0", origin);
    return 0;
}

static int check_socket(Opts *o, const char *origin, char *err, size_t errlen)
{
    Sock s;
    return sock_parse(o, &s, origin, err, errlen);
}

static int open_null(Chardev *c, char *err, size_t errlen);
static int open_stdio(Chardev *c, char *err, size_t errlen);
static int open_file(Chardev *c, char *err, size_t errlen);
static int open_pipe(Chardev *c, char *err, size_t errlen);
static int open_pty(Chardev *c, char *err, size_t errlen);
static int open_socket(Chardev *c, char *err, size_t errlen);
static int open_ringbuf(Chardev *c, char *err, size_t errlen);
static int open_tty(Chardev *c, char *err, size_t errlen);

static const char *const keys_none[] = {NULL};
static const char *const keys_vc[] = {"width", "height", "cols", "rows", NULL};
static const char *const keys_stdio[] = {"signal", NULL};
static const char *const keys_file[] = {"path", "append", "input-path", NULL};
static const char *const keys_path[] = {"path", NULL};
static const char *const keys_ringbuf[] = {"size", NULL};
static const char *const keys_socket[] = {
    "host",  "port",   "path",     "server",    "wait",      "nowait",   "telnet",
    "nodelay", "reconnect", "reconnect-ms", "ipv4", "ipv6", "websocket", "tn3270",
    "tls-creds", "tls-authz", "fd", "to", "abstract", "tight", NULL};

static const ChardevType chardev_types[] = {
    {.name = "null", .help = "discards output, never has input", .keys = keys_none,
     .check = check_none, .open = open_null},
    {.name = "stdio", .help = "wirebox's standard input and output [signal=on|off]",
     .keys = keys_stdio, .check = check_stdio, .open = open_stdio},
    {.name = "file", .help = "output to path=FILE [append=on] [input-path=FILE]",
     .keys = keys_file, .check = check_file, .open = open_file},
    {.name = "pipe", .help = "path=P: the FIFOs P.in and P.out, or P for both",
     .keys = keys_path, .check = check_path, .open = open_pipe},
    {.name = "pty", .help = "a new pseudo-terminal (its path is printed)", .keys = keys_none,
     .check = check_none, .open = open_pty},
    {.name = "socket",
     .help = "host=,port= (TCP) or path= (Unix) [server=on [wait=off]] [telnet=on] "
             "[reconnect=SECONDS]",
     .keys = keys_socket, .check = check_socket, .open = open_socket},
    {.name = "ringbuf", .alias = "memory", .help = "a ring buffer in memory [size=BYTES]",
     .keys = keys_ringbuf, .check = check_ringbuf, .open = open_ringbuf},
    {.name = "serial", .alias = "tty", .help = "a host serial device path=/dev/ttyS0",
     .keys = keys_path, .check = check_path, .open = open_tty},
    {.name = "vc", .help = "a graphical console (wirebox has none: like null)", .keys = keys_vc,
     .check = check_none, .open = open_null},
};

static const ChardevType *type_find(const char *name)
{
    for (size_t i = 0; i < sizeof chardev_types / sizeof chardev_types[0]; i++) {
        const ChardevType *t = &chardev_types[i];
        if (!strcmp(t->name, name) || (t->alias && !strcmp(t->alias, name)))
            return t;
    }
    return NULL;
}

void chardev_print_help(FILE *f)
{
    fprintf(f, "Available chardev backend types:\n");
    for (size_t i = 0; i < sizeof chardev_types / sizeof chardev_types[0]; i++)
        fprintf(f, "  %-8s %s\n", chardev_types[i].name, chardev_types[i].help);
    fprintf(f, "Every type also takes id=ID (required), mux=on, logfile=FILE, logappend=on.\n");
}

/* Parses and checks one -chardev text. Returns the Opts (and *type), or
 * NULL with err. help: set for "help". */
static Opts *chardev_parse(const char *text, const char *origin, const ChardevType **type,
                           bool *help, char *err, size_t errlen)
{
    Opts *o = opts_parse(text, "backend");
    const char *backend = opts_get(o, "backend");
    *help = false;
    if (backend && opt_is_help(backend)) {
        *help = true;
        return o;
    }
    if (!backend || !*backend) {
        wb_errf(err, errlen, "%s: missing the type (e.g. -chardev socket,id=ID,...)", origin);
        goto bad;
    }
    const ChardevType *t = type_find(backend);
    if (!t) {
        for (size_t i = 0; i < sizeof types_not_yet / sizeof types_not_yet[0]; i++)
            if (!strcmp(types_not_yet[i], backend)) {
                wb_errf(err, errlen, "%s: the '%s' chardev is not supported by wirebox yet",
                        origin, backend);
                goto bad;
            }
        wb_errf(err, errlen, "%s: '%s' is not a valid chardev type (see -chardev help)", origin,
                backend);
        goto bad;
    }
    const char *id = opts_get(o, "id");
    if (!id) {
        wb_errf(err, errlen, "%s: needs id=ID", origin);
        goto bad;
    }
    if (!opt_valid_id(id)) {
        wb_errf(err, errlen, "%s: id=%s: an id is a letter followed by letters, digits, '-', "
                "'.' or '_'", origin, id);
        goto bad;
    }
    if (check_bool(o, "mux", origin, err, errlen) || check_bool(o, "logappend", origin, err, errlen))
        goto bad;
    opts_get(o, "logfile");
    for (const char *const *k = t->keys; *k; k++)
        opts_get(o, *k);
    const char *unused = opts_unused(o);
    if (unused) {
        wb_errf(err, errlen, "%s: invalid parameter '%s' for a %s chardev", origin, unused, t->name);
        goto bad;
    }
    if (t->check(o, origin, err, errlen))
        goto bad;
    *type = t;
    return o;
bad:
    opts_free(o);
    return NULL;
}

/* ------------------------------------------------------------------ option time */

static int config_find(const ConsoleConfig *c, const char *id)
{
    for (int i = 0; i < c->nchardev; i++) {
        Opts *o = opts_parse(c->chardev[i], "backend");
        const char *v = opts_get(o, "id");
        bool same = v && !strcmp(v, id);
        opts_free(o);
        if (same)
            return i;
    }
    return -1;
}

bool console_has_chardev(const ConsoleConfig *c, const char *id)
{
    return config_find(c, id) >= 0;
}

/* Adds a -chardev text (owned by c afterwards). origin: the option for messages. */
static int config_add_text(ConsoleConfig *c, char *text, const char *origin, char *err,
                           size_t errlen)
{
    const ChardevType *t;
    bool help;
    Opts *o = chardev_parse(text, origin, &t, &help, err, errlen);
    if (!o) {
        free(text);
        return 1;
    }
    if (help) {
        opts_free(o);
        free(text);
        c->help = true;
        return 0;
    }
    const char *id = opts_get(o, "id");
    int rc = 0;
    if (config_find(c, id) >= 0)
        rc = wb_errf(err, errlen, "%s: duplicate chardev id '%s'", origin, id);
    else if (c->nchardev >= CHARDEV_MAX)
        rc = wb_errf(err, errlen, "%s: too many chardevs (at most %d)", origin, CHARDEV_MAX);
    opts_free(o);
    if (rc) {
        free(text);
        return rc;
    }
    c->origin[c->nchardev] = wb_strdup(origin);
    c->chardev[c->nchardev++] = text;
    return 0;
}

int console_add_chardev(ConsoleConfig *c, const char *text, char *err, size_t errlen)
{
    char *o = wb_asprintf("-chardev %s", text);
    int rc = config_add_text(c, wb_strdup(text), o, err, errlen);
    free(o);
    return rc;
}

/* A short form (QEMU's legacy chardev syntax) as a -chardev text with id
 * label. *mon: it had the "mon:" prefix (a mux with a monitor). */
static int short_form(const char *opt, const char *spec, const char *label, char **out, bool *mon,
                      char *err, size_t errlen)
{
    *out = NULL;
    *mon = false;
    const char *p = spec;
    if (!strncmp(p, "mon:", 4)) {
        *mon = true;
        p += 4;
    }
    char *mux = *mon ? (strcmp(p, "stdio") ? ",mux=on" : ",mux=on,signal=off") : "";
    if (!strcmp(p, "stdio") || !strcmp(p, "null") || !strcmp(p, "pty") || !strcmp(p, "vc") ||
        !strncmp(p, "vc:", 3)) {
        size_t n = strcspn(p, ":");
        *out = wb_asprintf("%.*s,id=%s%s", (int)n, p, label, mux);
        return 0;
    }
    const char *kinds[][2] = {{"file:", "file"}, {"pipe:", "pipe"}, {"/dev/", "serial"}};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(kinds[i][0]);
        if (!strncmp(p, kinds[i][0], n)) {
            const char *path = i == 2 ? p : p + n;
            if (!*path)
                return wb_errf(err, errlen, "%s %s: %s needs a path", opt, spec, kinds[i][0]);
            char *q = opts_quote(path);
            *out = wb_asprintf("%s,id=%s,path=%s%s", kinds[i][1], label, q, mux);
            free(q);
            return 0;
        }
    }
    if (!strncmp(p, "unix:", 5)) {
        const char *rest = p + 5;
        size_t n = strcspn(rest, ",");
        if (!n)
            return wb_errf(err, errlen, "%s %s: unix: needs a path", opt, spec);
        *out = wb_asprintf("socket,id=%s,path=%.*s%s%s", label, (int)n, rest, rest + n, mux);
        return 0;
    }
    bool telnet = !strncmp(p, "telnet:", 7);
    if (telnet || !strncmp(p, "tcp:", 4)) {
        const char *hp = p + (telnet ? 7 : 4);
        size_t n = strcspn(hp, ",");
        const char *colon = NULL;
        for (const char *q = hp; q < hp + n; q++)
            if (*q == ':' && (hp[0] != '[' || memchr(hp, ']', (size_t)(q - hp))))
                colon = q;
        if (!colon)
            return wb_errf(err, errlen, "%s %s: expected %s[HOST]:PORT", opt, spec,
                           telnet ? "telnet:" : "tcp:");
        *out = wb_asprintf("socket,id=%s,host=%.*s,port=%.*s%s%s%s", label, (int)(colon - hp), hp,
                           (int)(hp + n - colon - 1), colon + 1, telnet ? ",telnet=on" : "",
                           hp + n, mux);
        return 0;
    }
    size_t n = strcspn(p, ":,");
    char type[32];
    snprintf(type, sizeof type, "%.*s", (int)(n < 31 ? n : 31), p);
    for (size_t i = 0; i < sizeof types_not_yet / sizeof types_not_yet[0]; i++)
        if (!strcmp(types_not_yet[i], type))
            return wb_errf(err, errlen, "%s %s: the '%s' chardev is not supported by wirebox yet",
                           opt, spec, type);
    return wb_errf(err, errlen,
                   "%s %s: unknown chardev (use stdio, mon:stdio, null, pty, file:PATH, "
                   "pipe:PATH, tcp:[HOST]:PORT, telnet:[HOST]:PORT, unix:PATH, chardev:ID or none)",
                   opt, spec);
}

/* A short form or "chardev:ID" for opt: the chardev id it names (*id,
 * owned), made if needed with label. */
static int add_use(ConsoleConfig *c, const char *opt, const char *spec, const char *label,
                   char **id, bool *mon, char *err, size_t errlen)
{
    *id = NULL;
    *mon = false;
    if (!strncmp(spec, "chardev:", 8)) {
        if (!spec[8])
            return wb_errf(err, errlen, "%s %s: chardev: needs an id", opt, spec);
        *id = wb_strdup(spec + 8); /* checked in console_finish: -chardev may come later */
        return 0;
    }
    char *text;
    if (short_form(opt, spec, label, &text, mon, err, errlen))
        return 1;
    char *origin = wb_asprintf("%s %s", opt, spec);
    int rc = config_add_text(c, text, origin, err, errlen);
    free(origin);
    if (rc)
        return 1;
    *id = wb_strdup(label);
    return 0;
}

int console_add_serial(ConsoleConfig *c, const char *spec, char *err, size_t errlen)
{
    if (c->nserial >= MAX_SERIAL)
        return wb_errf(err, errlen, "-serial: too many serial ports (at most %d)", MAX_SERIAL);
    int i = c->nserial;
    if (!strcmp(spec, "none")) {
        c->serial[c->nserial++] = NULL;
        return 0;
    }
    char label[32], *id;
    bool mon;
    snprintf(label, sizeof label, "serial%d", i);
    if (add_use(c, "-serial", spec, label, &id, &mon, err, errlen))
        return 1;
    c->serial[c->nserial++] = id;
    if (mon) {
        if (c->nmonitor >= MONITOR_MAX)
            return wb_errf(err, errlen, "-serial %s: too many monitors (at most %d)", spec,
                           MONITOR_MAX);
        c->monitor[c->nmonitor++] = wb_strdup(id);
        c->default_monitor = false;
    }
    return 0;
}

int console_add_monitor(ConsoleConfig *c, const char *spec, char *err, size_t errlen)
{
    c->default_monitor = false;
    if (!strcmp(spec, "none"))
        return 0;
    if (c->nmonitor >= MONITOR_MAX)
        return wb_errf(err, errlen, "-monitor %s: too many monitors (at most %d)", spec,
                       MONITOR_MAX);
    char label[32], *id;
    bool mon;
    snprintf(label, sizeof label, "compat_monitor%d", c->nmonitor);
    if (add_use(c, "-monitor", spec, label, &id, &mon, err, errlen))
        return 1;
    c->monitor[c->nmonitor++] = id;
    return 0;
}

int console_add_mon(ConsoleConfig *c, const char *text, char *err, size_t errlen)
{
    c->default_monitor = false;
    Opts *o = opts_parse(text, "chardev");
    const char *id = opts_get(o, "chardev"), *mode = opts_get(o, "mode");
    int rc = 0;
    opts_get(o, "pretty");
    if (!id || !*id)
        rc = wb_errf(err, errlen, "-mon %s: needs chardev=ID", text);
    else if (mode && !strcmp(mode, "control"))
        rc = wb_errf(err, errlen, "-mon %s: mode=control (QMP) is not supported by wirebox yet",
                     text);
    else if (mode && strcmp(mode, "readline"))
        rc = wb_errf(err, errlen, "-mon %s: mode=%s: expected readline", text, mode);
    else if (opts_unused(o))
        rc = wb_errf(err, errlen, "-mon %s: invalid parameter '%s'", text, opts_unused(o));
    else if (c->nmonitor >= MONITOR_MAX)
        rc = wb_errf(err, errlen, "-mon %s: too many monitors (at most %d)", text, MONITOR_MAX);
    else
        c->monitor[c->nmonitor++] = wb_strdup(id);
    opts_free(o);
    return rc;
}

int console_add_debugcon(ConsoleConfig *c, const char *spec, char *err, size_t errlen)
{
    if (c->ndebugcon >= DEBUGCON_MAX)
        return wb_errf(err, errlen, "-debugcon: too many debug consoles (at most %d)",
                       DEBUGCON_MAX);
    if (!strcmp(spec, "none"))
        return 0;
    char label[32], *id;
    bool mon;
    snprintf(label, sizeof label, "debugcon%d", c->ndebugcon);
    if (add_use(c, "-debugcon", spec, label, &id, &mon, err, errlen))
        return 1;
    if (mon) {
        free(id);
        return wb_errf(err, errlen, "-debugcon %s: a debug console has no input for a monitor",
                       spec);
    }
    c->debugcon[c->ndebugcon++] = id;
    return 0;
}

int console_finish(ConsoleConfig *c, const char *const *device_ids, int ndevice_ids, char *err,
                   size_t errlen)
{
    /* Every use: the chardev exists; one frontend unless mux=on (then up to 4). */
    int uses[CHARDEV_MAX] = {0};
    struct {
        const char *what;
        char *const *ids;
        int n;
    } groups[] = {{"-serial", c->serial, c->nserial}, {"-monitor", c->monitor, c->nmonitor}};
    /* (each -debugcon is an isa-debugcon among the -device ids) */
    for (int g = 0; g < 3; g++) {
        int n = g < 2 ? groups[g].n : ndevice_ids;
        for (int i = 0; i < n; i++) {
            const char *id = g < 2 ? groups[g].ids[i] : device_ids[i];
            const char *what = g < 2 ? groups[g].what : "-device";
            if (!id)
                continue;
            int k = config_find(c, id);
            if (k < 0)
                return wb_errf(err, errlen, "%s: chardev '%s' not found (define it with "
                               "-chardev TYPE,id=%s,...)", what, id, id);
            uses[k]++;
        }
    }
    int nstdio = 0;
    for (int k = 0; k < c->nchardev; k++) {
        Opts *o = opts_parse(c->chardev[k], "backend");
        const char *id = opts_get(o, "id");
        bool mux = opt_bool(o, "mux", false);
        bool stdio = !strcmp(opts_get(o, "backend"), "stdio");
        int rc = 0;
        if (uses[k] > 1 && !mux)
            rc = wb_errf(err, errlen, "chardev '%s' is used by %d devices; only one can use it "
                         "unless it has mux=on", id, uses[k]);
        else if (uses[k] > CHARDEV_MUX_MAX)
            rc = wb_errf(err, errlen, "chardev '%s': at most %d devices can share it", id,
                         CHARDEV_MUX_MAX);
        nstdio += stdio;
        opts_free(o);
        if (rc)
            return 1;
    }
    if (nstdio > 1)
        return wb_errf(err, errlen, "cannot use stdio by multiple character devices");
    return 0;
}

void console_free(ConsoleConfig *c)
{
    for (int i = 0; i < c->nchardev; i++) {
        free(c->chardev[i]);
        free(c->origin[i]);
    }
    for (int i = 0; i < c->nserial; i++)
        free(c->serial[i]);
    for (int i = 0; i < c->nmonitor; i++)
        free(c->monitor[i]);
    for (int i = 0; i < c->ndebugcon; i++)
        free(c->debugcon[i]);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------ output */

static void chr_disconnect(Chardev *c);

static void send_event(Chardev *c, int i, CharEvent ev)
{
    if (i < c->nfe && c->fes[i].has_fe && c->fes[i].fe.event)
        c->fes[i].fe.event(c->fes[i].fe.opaque, ev);
}

static void send_event_all(Chardev *c, CharEvent ev)
{
    if (!c->mux) {
        send_event(c, 0, ev);
        return;
    }
    for (int i = 0; i < c->nfe; i++)
        send_event(c, i, ev);
    if (ev == CHR_EVENT_OPENED)
        send_event(c, c->focus, CHR_EVENT_MUX_IN);
}

/* Writes all of buf to fd; files and terminals wait for room, a pty drops
 * what does not fit, a socket waits up to SOCK_STALL_NS for its client. */
static void write_fd(Chardev *c, int fd, const uint8_t *buf, size_t len)
{
    uint64_t waited_since = 0;
    bool sock = c->type->open == open_socket;
    while (len) {
        /* a socket whose client left is an error here, not a SIGPIPE */
        ssize_t n = sock ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            waited_since = 0;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->drop_when_full)
                return;
            if (sock) {
                uint64_t now = host_now_ns();
                if (!waited_since)
                    waited_since = now;
                else if (now - waited_since > SOCK_STALL_NS) {
                    if (!c->stall_logged)
                        wb_log("chardev %s: the client reads nothing; output dropped", c->id);
                    c->stall_logged = true;
                    return;
                }
            }
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 1000);
            continue;
        }
        if (sock || c->is_pty) {
            c->want_disconnect = true; /* EPIPE, ECONNRESET, EIO: the peer left */
            c->connected = false;
            return;
        }
        c->out_broken = true; /* disk full, EIO: the guest keeps running */
        return;
    }
}

static void log_write(Chardev *c, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write(c->log_fd, buf, len);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            close(c->log_fd);
            c->log_fd = -1;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void ring_put(Chardev *c, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        c->ring[c->ring_wr++ & (c->ring_size - 1)] = buf[i];
        if (c->ring_wr - c->ring_rd > c->ring_size)
            c->ring_rd = c->ring_wr - c->ring_size; /* the oldest byte is overwritten */
    }
}

void chardev_write(Chardev *c, const uint8_t *buf, size_t len)
{
    if (!len)
        return;
    if (c->log_fd >= 0)
        log_write(c, buf, len);
    if (c->ring)
        ring_put(c, buf, len);
    if (!c->connected || c->out_fd < 0 || c->out_broken)
        return;
    if (!c->sock.telnet) {
        write_fd(c, c->out_fd, buf, len);
        return;
    }
    /* telnet: IAC (0xFF) is doubled */
    const uint8_t *start = buf;
    for (size_t i = 0; i < len && c->connected; i++) {
        if (buf[i] == 0xFF) {
            write_fd(c, c->out_fd, start, (size_t)(buf + i + 1 - start));
            start = buf + i; /* the 0xFF again */
        }
    }
    if (c->connected)
        write_fd(c, c->out_fd, start, (size_t)(buf + len - start));
}

static void fe_write(void *opaque, const uint8_t *buf, size_t len)
{
    chardev_write(opaque, buf, len);
}

static void write_str(Chardev *c, const char *s)
{
    chardev_write(c, (const uint8_t *)s, strlen(s));
}

/* ------------------------------------------------------------------ input */

static size_t fe_room(Chardev *c, int i)
{
    if (i >= c->nfe || !c->fes[i].has_fe)
        return 0;
    const CharFrontend *fe = &c->fes[i].fe;
    return fe->can_receive ? fe->can_receive(fe->opaque) : 0;
}

static void fe_deliver(Chardev *c, int i, const uint8_t *buf, size_t len)
{
    const CharFrontend *fe = &c->fes[i].fe;
    if (len && fe->receive)
        fe->receive(fe->opaque, buf, len);
    if (c->m)
        loop_kick(c->m); /* the guest has input: do not sleep in poll */
}

/* Moves read-ahead input into each frontend as far as it has room. */
static void flush_pending(Chardev *c)
{
    for (int i = 0; i < c->nfe; i++) {
        struct Fe *f = &c->fes[i];
        while (f->npend) {
            size_t n = fe_room(c, i);
            if (n > f->npend)
                n = f->npend;
            if (!n)
                break;
            fe_deliver(c, i, f->pend, n);
            memmove(f->pend, f->pend + n, f->npend - n);
            f->npend -= n;
        }
    }
}

static void drop_pending(Chardev *c)
{
    for (int i = 0; i < c->nfe; i++)
        c->fes[i].npend = 0;
}

static void mux_help(Chardev *c)
{
    write_str(c, "\r\n"
                 "Ctrl-A h        print this help\r\n"
                 "Ctrl-A x        exit wirebox\r\n"
                 "Ctrl-A c        switch between console and monitor\r\n"
                 "Ctrl-A b        send break (not supported yet)\r\n"
                 "Ctrl-A Ctrl-A   send Ctrl-A\r\n");
}

static void mux_switch(Chardev *c)
{
    if (c->nfe < 2)
        return;
    send_event(c, c->focus, CHR_EVENT_MUX_OUT);
    c->focus = (c->focus + 1) % c->nfe;
    send_event(c, c->focus, CHR_EVENT_MUX_IN);
}

/* One input byte of a mux chardev; true if it goes to the frontend in focus. */
static bool mux_byte(Chardev *c, uint8_t ch)
{
    if (c->escape) {
        c->escape = false;
        switch (ch) {
        case ESCAPE_CHAR:
            return true;
        case 'h':
        case '?':
            mux_help(c);
            break;
        case 'x':
            write_str(c, "\r\nwirebox: Terminated\r\n");
            if (c->m)
                machine_request_shutdown(c->m, 0);
            break;
        case 'c':
            mux_switch(c);
            break;
        case 'b':
            write_str(c, "\r\nwirebox: sending a break is not supported yet\r\n");
            break;
        default:
            break; /* unknown escapes are swallowed, as in QEMU */
        }
        return false;
    }
    if (ch == ESCAPE_CHAR) {
        c->escape = true;
        return false;
    }
    return true;
}

enum { TN_DATA, TN_IAC, TN_OPT, TN_SB, TN_SB_IAC };
enum { IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240 };

/* telnet: strips commands and option negotiation; "\r\0" is "\r". */
static size_t telnet_filter(Sock *s, uint8_t *buf, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = buf[i];
        switch (s->tn_state) {
        case TN_DATA:
            if (b == IAC) {
                s->tn_state = TN_IAC;
            } else if (!(b == 0 && s->tn_cr)) {
                buf[o++] = b;
            }
            s->tn_cr = b == '\r';
            break;
        case TN_IAC:
            if (b == IAC) {
                buf[o++] = IAC;
                s->tn_state = TN_DATA;
            } else if (b >= WILL && b <= DONT) {
                s->tn_state = TN_OPT;
            } else if (b == SB) {
                s->tn_state = TN_SB;
            } else {
                s->tn_state = TN_DATA; /* NOP, BRK, AYT, ...: ignored */
            }
            break;
        case TN_OPT:
            s->tn_state = TN_DATA;
            break;
        case TN_SB:
            if (b == IAC)
                s->tn_state = TN_SB_IAC;
            break;
        case TN_SB_IAC:
            s->tn_state = b == SE ? TN_DATA : TN_SB;
            break;
        }
    }
    return o;
}

/* Asked before every poll: read the fd only when its bytes have somewhere to go. */
static bool chr_can_read(void *opaque)
{
    Chardev *c = opaque;
    flush_pending(c);
    if (c->eof || !c->connected || c->want_disconnect || !c->nfe)
        return false;
    if (c->read_ahead)
        return c->fes[c->focus].npend < PEND_MAX;
    return fe_room(c, c->focus) > 0;
}

static void chr_on_read(void *opaque)
{
    Chardev *c = opaque;
    if (c->eof || !c->connected || c->want_disconnect)
        return;
    size_t room = c->read_ahead ? PEND_MAX - c->fes[c->focus].npend : fe_room(c, c->focus);
    if (!room)
        return;
    uint8_t buf[PEND_MAX];
    if (room > sizeof buf)
        room = sizeof buf;
    ssize_t n = read(c->in_fd, buf, room);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        if (c->type->open == open_socket || c->is_pty) {
            c->want_disconnect = true; /* the client left; see chr_settle */
            c->connected = false;
        } else {
            c->eof = true; /* EOF (e.g. </dev/null) or a dead terminal: stop reading */
        }
        return;
    }
    size_t len = (size_t)n;
    if (c->sock.telnet)
        len = telnet_filter(&c->sock, buf, len);
    if (!c->read_ahead) {
        fe_deliver(c, c->focus, buf, len);
        return;
    }
    /* Each byte waits for the frontend that had the focus when it came. */
    for (size_t i = 0; i < len; i++) {
        if (c->mux && !mux_byte(c, buf[i]))
            continue;
        struct Fe *f = &c->fes[c->focus];
        if (f->npend < PEND_MAX)
            f->pend[f->npend++] = buf[i];
    }
    flush_pending(c);
}

static void watch_input(Chardev *c)
{
    if (c->m && c->in_fd >= 0 && !c->watching && c->nfe) {
        loop_watch_fd(c->m, c->in_fd, chr_can_read, chr_on_read, c);
        c->watching = true;
    }
}

static void unwatch_input(Chardev *c)
{
    if (c->watching) {
        loop_unwatch_fd(c->m, c->in_fd);
        c->watching = false;
    }
}

/* ------------------------------------------------------------------ the types: open */

static int open_null(Chardev *c, char *err, size_t errlen)
{
    snprintf(c->filename, sizeof c->filename, "%s", c->type->name);
    return 0;
}

static int open_stdio(Chardev *c, char *err, size_t errlen)
{
    c->in_fd = 0;
    c->out_fd = 1;
    c->is_stdio = true;
    c->signals = opt_bool(c->opts, "signal", true);
    snprintf(c->filename, sizeof c->filename, "stdio");
    return 0;
}

static int open_file(Chardev *c, char *err, size_t errlen)
{
    const char *path = opts_get(c->opts, "path"), *in = opts_get(c->opts, "input-path");
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                (opt_bool(c->opts, "append", false) ? O_APPEND : O_TRUNC);
    c->out_fd = open(path, flags, 0666);
    if (c->out_fd < 0)
        return wb_errf(err, errlen, "%s: cannot open: %s", c->origin, strerror(errno));
    if (in) {
        c->in_fd = open(in, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (c->in_fd < 0)
            return wb_errf(err, errlen, "%s: cannot open %s: %s", c->origin, in, strerror(errno));
    }
    snprintf(c->filename, sizeof c->filename, "file");
    return 0;
}

static int open_pipe(Chardev *c, char *err, size_t errlen)
{
    const char *path = opts_get(c->opts, "path");
    /* FIFOs are opened read-write so that opening does not wait for the other end. */
    char *pin = wb_asprintf("%s.in", path), *pout = wb_asprintf("%s.out", path);
    c->in_fd = open(pin, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    c->out_fd = open(pout, O_RDWR | O_CLOEXEC);
    free(pin);
    free(pout);
    if (c->in_fd < 0 || c->out_fd < 0) {
        if (c->in_fd >= 0)
            close(c->in_fd);
        if (c->out_fd >= 0)
            close(c->out_fd);
        c->in_fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (c->in_fd < 0) {
            c->out_fd = -1;
            return wb_errf(err, errlen, "%s: cannot open %s (or %s.in and %s.out): %s", c->origin,
                           path, path, path, strerror(errno));
        }
        c->out_fd = dup(c->in_fd);
        if (c->out_fd >= 0)
            fcntl(c->out_fd, F_SETFL, fcntl(c->out_fd, F_GETFL) & ~O_NONBLOCK);
    }
    snprintf(c->filename, sizeof c->filename, "pipe");
    return 0;
}

static int open_pty(Chardev *c, char *err, size_t errlen)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0) {
        if (fd >= 0)
            close(fd);
        return wb_errf(err, errlen, "%s: cannot create a pseudo-terminal: %s", c->origin,
                       strerror(errno));
    }
    const char *name = ptsname(fd);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fd_make_raw(fd);
    c->in_fd = c->out_fd = fd;
    c->is_pty = true;
    c->read_ahead = true;
    c->drop_when_full = true;
    snprintf(c->filename, sizeof c->filename, "pty:%s", name ? name : "?");
    /* QEMU's line, which scripts look for. */
    fprintf(stderr, "char device redirected to %s (label %s)\n", name ? name : "?", c->id);
    return 0;
}

static int open_ringbuf(Chardev *c, char *err, size_t errlen)
{
    const char *v = opts_get(c->opts, "size");
    uint64_t n = RINGBUF_DEFAULT;
    if (v)
        opt_parse_size(v, 0, &n);
    c->ring_size = (size_t)n;
    c->ring = wb_calloc(1, c->ring_size);
    snprintf(c->filename, sizeof c->filename, "ringbuf");
    return 0;
}

static int open_tty(Chardev *c, char *err, size_t errlen)
{
    const char *path = opts_get(c->opts, "path");
    int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return wb_errf(err, errlen, "%s: cannot open: %s", c->origin, strerror(errno));
    if (isatty(fd))
        fd_make_raw(fd);
    c->in_fd = fd;
    c->out_fd = dup(fd);
    if (c->out_fd >= 0)
        fcntl(c->out_fd, F_SETFL, fcntl(c->out_fd, F_GETFL) & ~O_NONBLOCK);
    snprintf(c->filename, sizeof c->filename, "%s", path);
    return 0;
}

/* ---- sockets */

static void sock_describe(Chardev *c)
{
    Sock *s = &c->sock;
    char where[300];
    bool v6 = strchr(s->host, ':') != NULL;
    if (s->is_unix)
        snprintf(where, sizeof where, "unix:%s", s->path);
    else
        snprintf(where, sizeof where, "%s:%s%s%s:%d", s->telnet ? "telnet" : "tcp", v6 ? "[" : "",
                 s->host, v6 ? "]" : "", s->port);
    if (c->connected && !c->want_disconnect)
        snprintf(c->filename, sizeof c->filename, "%s%s%s%s", where,
                 s->server ? ",server=on" : "", s->peer[0] ? " <-> " : "", s->peer);
    else
        snprintf(c->filename, sizeof c->filename, "disconnected:%s%s", where,
                 s->server ? ",server=on" : "");
}

static void sock_peer_name(Chardev *c, int fd)
{
    Sock *s = &c->sock;
    s->peer[0] = '\0';
    if (s->is_unix)
        return;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        snprintf(s->peer, sizeof s->peer, "%s%.64s%s:%.8s", ss.ss_family == AF_INET6 ? "[" : "",
                 host, ss.ss_family == AF_INET6 ? "]" : "", serv);
}

/* A connected stream: it becomes the chardev's host side. */
static void sock_connected(Chardev *c, int fd)
{
    Sock *s = &c->sock;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (!s->is_unix && s->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    c->in_fd = c->out_fd = fd;
    c->connected = true;
    c->want_disconnect = false;
    c->stall_logged = false;
    drop_pending(c);
    s->tn_state = TN_DATA;
    s->tn_cr = false;
    sock_peer_name(c, fd);
    sock_describe(c);
    if (s->telnet) {
        static const uint8_t nego[] = {IAC, WILL, 1, IAC, WILL, 3, IAC, WILL, 0, IAC, DO, 0};
        write_fd(c, fd, nego, sizeof nego); /* echo, suppress go-ahead, binary */
    }
    watch_input(c);
    send_event_all(c, CHR_EVENT_OPENED);
}

static int sock_resolve(Sock *s, struct addrinfo **res, bool passive, char *why, size_t whylen)
{
    char port[8];
    snprintf(port, sizeof port, "%d", s->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = passive ? AI_PASSIVE : 0};
    int rc = getaddrinfo(s->host, port, &hints, res);
    if (rc)
        return wb_errf(why, whylen, "%s", gai_strerror(rc));
    return 0;
}

static int sock_listen(Chardev *c, char *err, size_t errlen)
{
    Sock *s = &c->sock;
    int fd = -1;
    if (s->is_unix) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, s->path);
        struct stat st;
        if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(s->path); /* a stale socket from an earlier run */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return wb_errf(err, errlen, "%s: cannot listen on %s: %s", c->origin, s->path,
                           strerror(e));
        }
    } else {
        struct addrinfo *res;
        char why[128];
        if (sock_resolve(s, &res, true, why, sizeof why))
            return wb_errf(err, errlen, "%s: %s: %s", c->origin, s->host, why);
        int saved = 0;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
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
        if (fd < 0)
            return wb_errf(err, errlen, "%s: cannot listen on %s:%d: %s", c->origin, s->host,
                           s->port, strerror(saved));
        if (s->port == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            char serv[NI_MAXSERV] = "0";
            if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
                getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, serv, sizeof serv,
                            NI_NUMERICSERV);
            s->port = atoi(serv);
            wb_log("chardev %s: listening on %s:%d", c->id, s->host, s->port);
        }
    }
    s->lfd = fd;
    return 0;
}

/* Starts a connect (non-blocking if nonblock). Returns the fd connected
 * (>= 0; *pending if still in progress), or -1 with why. */
static int sock_connect(Chardev *c, bool nonblock, bool *pending, char *why, size_t whylen)
{
    Sock *s = &c->sock;
    *pending = false;
    int fl = SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
    if (s->is_unix) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, s->path);
        int fd = socket(AF_UNIX, fl, 0);
        if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS)) {
            wb_errf(why, whylen, "%s", strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        *pending = errno == EINPROGRESS;
        return fd;
    }
    struct addrinfo *res;
    if (sock_resolve(s, &res, false, why, whylen))
        return -1;
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, fl, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            *pending = true;
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        wb_errf(why, whylen, "%s", strerror(saved));
    return fd;
}

static int open_socket(Chardev *c, char *err, size_t errlen)
{
    Sock *s = &c->sock;
    if (sock_parse(c->opts, s, c->origin, err, errlen))
        return 1;
    c->read_ahead = true;
    c->connected = false;
    if (s->server) {
        if (sock_listen(c, err, errlen))
            return 1;
    } else {
        char why[160];
        bool pending;
        int fd = sock_connect(c, false, &pending, why, sizeof why);
        if (fd < 0 && !s->reconnect_ns) {
            if (s->is_unix)
                return wb_errf(err, errlen, "%s: cannot connect to %s: %s", c->origin, s->path,
                               why);
            return wb_errf(err, errlen, "%s: cannot connect to %s:%d: %s", c->origin, s->host,
                           s->port, why);
        }
        if (fd < 0) {
            wb_log("chardev %s: cannot connect (%s); trying again every %llu ms", c->id, why,
                   (unsigned long long)(s->reconnect_ns / 1000000));
            s->next_attempt = host_now_ns() + s->reconnect_ns;
        } else {
            c->in_fd = c->out_fd = fd; /* taken into use by chardevs_start */
            c->connected = true;
        }
    }
    sock_describe(c);
    return 0;
}

/* The peer of a socket or pty left: back to listening, reconnecting or
 * watching for a reader. Called only at safe points (not while the loop
 * walks its fd list). */
static void chr_disconnect(Chardev *c)
{
    c->want_disconnect = false;
    unwatch_input(c);
    c->connected = false;
    drop_pending(c);
    c->escape = false;
    if (c->is_pty) {
        c->pty_check = host_now_ns() + PTY_CHECK_NS;
        return; /* the fd stays: a new reader opens the same pty */
    }
    Sock *s = &c->sock;
    if (c->in_fd >= 0)
        close(c->in_fd);
    c->in_fd = c->out_fd = -1;
    s->peer[0] = '\0';
    sock_describe(c);
    send_event_all(c, CHR_EVENT_CLOSED);
    if (s->server)
        wb_log("chardev %s: the client left; waiting for the next one", c->id);
    else if (s->reconnect_ns) {
        wb_log("chardev %s: disconnected; reconnecting", c->id);
        s->next_attempt = host_now_ns() + s->reconnect_ns;
    } else {
        wb_log("chardev %s: disconnected", c->id);
    }
}

static void on_accept(void *opaque)
{
    Chardev *c = opaque;
    Sock *s = &c->sock;
    if (s->accepted >= 0 || c->connected)
        return;
    int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        s->accepted = fd; /* taken into use in chr_settle, outside the fd walk */
}

static bool accept_can_read(void *opaque)
{
    Chardev *c = opaque;
    return !c->connected && c->sock.accepted < 0;
}

/* ------------------------------------------------------------------ the poll hook */

/* Changes to the watched fds happen here: after the loop dispatched the
 * fds of this poll, never while it walks them. */
static void chr_settle(Chardev *c, uint64_t now)
{
    Sock *s = &c->sock;
    if (c->want_disconnect)
        chr_disconnect(c);
    if (s->accepted >= 0) {
        int fd = s->accepted;
        s->accepted = -1;
        sock_connected(c, fd);
    }
    if (c->is_pty && !c->connected && now >= c->pty_check) {
        /* A reader is back when the master no longer reports a hang-up. */
        struct pollfd p = {.fd = c->in_fd, .events = POLLIN};
        if (poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP)) {
            c->connected = true;
            watch_input(c);
        } else {
            c->pty_check = now + PTY_CHECK_NS;
        }
    }
    if (!c->sock.server && s->reconnect_ns && !c->connected && s->connecting < 0 &&
        c->type->open == open_socket && now >= s->next_attempt) {
        char why[160];
        bool pending;
        int fd = sock_connect(c, true, &pending, why, sizeof why);
        if (fd < 0)
            s->next_attempt = now + s->reconnect_ns;
        else if (pending)
            s->connecting = fd;
        else
            sock_connected(c, fd);
    }
}

static int hook_fill(void *opaque, struct pollfd *pfd, int max, uint64_t *timeout_ns)
{
    int n = 0;
    uint64_t now = host_now_ns();
    reg.npfd = 0;
    for (int i = 0; i < reg.n; i++) {
        Chardev *c = reg.devs[i];
        Sock *s = &c->sock;
        uint64_t due = UINT64_MAX;
        if (c->want_disconnect || s->accepted >= 0)
            due = now;
        if (c->is_pty && !c->connected)
            due = c->pty_check;
        if (c->type->open == open_socket && !s->server && s->reconnect_ns && !c->connected &&
            s->connecting < 0)
            due = s->next_attempt;
        if (due != UINT64_MAX) {
            uint64_t wait = due > now ? due - now : 0;
            if (wait < *timeout_ns)
                *timeout_ns = wait;
        }
        if (s->connecting >= 0 && n < max) {
            pfd[n++] = (struct pollfd){.fd = s->connecting, .events = POLLOUT};
            reg.pfd_owner[reg.npfd++] = c;
        }
    }
    return n;
}

static void hook_dispatch(void *opaque, struct pollfd *pfd, int n, bool error)
{
    for (int i = 0; i < n && i < reg.npfd && !error; i++) {
        Chardev *c = reg.pfd_owner[i];
        Sock *s = &c->sock;
        if (s->connecting != pfd[i].fd || !pfd[i].revents)
            continue;
        int e = 0;
        socklen_t el = sizeof e;
        getsockopt(s->connecting, SOL_SOCKET, SO_ERROR, &e, &el);
        int fd = s->connecting;
        s->connecting = -1;
        if (e) {
            close(fd);
            s->next_attempt = host_now_ns() + s->reconnect_ns;
        } else {
            wb_log("chardev %s: connected", c->id);
            sock_connected(c, fd);
        }
    }
    uint64_t now = host_now_ns();
    for (int i = 0; i < reg.n; i++)
        chr_settle(reg.devs[i], now);
}

/* ------------------------------------------------------------------ the registry */

static void chardev_free(Chardev *c)
{
    if (!c)
        return;
    unwatch_input(c);
    Sock *s = &c->sock;
    if (s->lfd >= 0) {
        if (c->m && s->listen_watched)
            loop_unwatch_fd(c->m, s->lfd);
        close(s->lfd);
        if (s->is_unix)
            unlink(s->path);
    }
    if (s->connecting >= 0)
        close(s->connecting);
    if (s->accepted >= 0)
        close(s->accepted);
    if (c->in_fd > 2)
        close(c->in_fd);
    if (c->out_fd > 2 && c->out_fd != c->in_fd)
        close(c->out_fd);
    if (c->log_fd >= 0)
        close(c->log_fd);
    if (c->is_stdio)
        chardev_term_restore();
    opts_free(c->opts);
    free(c->ring);
    free(c->id);
    free(c->origin);
    free(c);
}

void chardevs_close_all(void)
{
    if (reg.hooked && reg.m)
        loop_remove_poll_hook(reg.m, &reg);
    for (int i = 0; i < reg.n; i++)
        chardev_free(reg.devs[i]);
    memset(&reg, 0, sizeof reg);
}

static int chardev_open_one(const char *text, const char *origin, char *err, size_t errlen)
{
    Chardev *c = wb_calloc(1, sizeof *c);
    c->origin = origin ? wb_strdup(origin) : wb_asprintf("-chardev %s", text);
    c->in_fd = c->out_fd = c->log_fd = -1;
    c->sock.lfd = c->sock.connecting = c->sock.accepted = -1;
    c->connected = true;
    bool help;
    c->opts = chardev_parse(text, c->origin, &c->type, &help, err, errlen);
    if (!c->opts || help) {
        chardev_free(c);
        return 1;
    }
    c->id = wb_strdup(opts_get(c->opts, "id"));
    c->mux = opt_bool(c->opts, "mux", false);
    if (c->mux)
        c->read_ahead = true;
    reg.devs[reg.n++] = c;
    const char *log = opts_get(c->opts, "logfile");
    if (log) {
        int fl = O_WRONLY | O_CREAT | O_CLOEXEC |
                 (opt_bool(c->opts, "logappend", false) ? O_APPEND : O_TRUNC);
        c->log_fd = open(log, fl, 0666);
        if (c->log_fd < 0)
            return wb_errf(err, errlen, "%s: logfile=%s: cannot open: %s", c->origin, log,
                           strerror(errno));
    }
    return c->type->open(c, err, errlen);
}

int chardevs_open(const ConsoleConfig *cfg, char *err, size_t errlen)
{
    chardevs_close_all();
    for (int i = 0; i < cfg->nchardev; i++) {
        if (chardev_open_one(cfg->chardev[i], cfg->origin[i], err, errlen)) {
            chardevs_close_all();
            return 1;
        }
    }
    return 0;
}

Chardev *chardev_find(const char *id)
{
    for (int i = 0; id && i < reg.n; i++)
        if (!strcmp(reg.devs[i]->id, id))
            return reg.devs[i];
    return NULL;
}

const char *chardev_id(const Chardev *c)
{
    return c->id;
}

bool chardev_is_mux(const Chardev *c)
{
    return c->mux;
}

const char *chardev_filename(const Chardev *c)
{
    return c->filename;
}

Chardev *chardev_next(int *pos)
{
    return *pos < reg.n ? reg.devs[(*pos)++] : NULL;
}

CharDev *chardev_claim(Chardev *c, const CharFrontend *fe, char *err, size_t errlen)
{
    if (c->nfe >= (c->mux ? CHARDEV_MUX_MAX : 1)) {
        wb_errf(err, errlen, "chardev '%s' is already in use%s", c->id,
                c->mux ? "" : " (add mux=on to share it)");
        return NULL;
    }
    struct Fe *f = &c->fes[c->nfe++];
    f->out = (CharDev){.write = fe_write, .opaque = c};
    if (fe) {
        f->fe = *fe;
        f->has_fe = true;
    }
    return &f->out;
}

void chardev_set_frontend(CharDev *out, const CharFrontend *fe)
{
    Chardev *c = out->opaque;
    for (int i = 0; i < c->nfe; i++) {
        if (&c->fes[i].out == out) {
            c->fes[i].fe = *fe;
            c->fes[i].has_fe = true;
        }
    }
}

CharDev *chardev_claim_for_device(void *opaque, const char *id)
{
    Chardev *c = chardev_find(id);
    char err[160];
    if (!c)
        return NULL;
    CharDev *out = chardev_claim(c, NULL, err, sizeof err);
    if (!out)
        wb_log("%s", err);
    return out;
}

int chardevs_start(Machine *m, char *err, size_t errlen)
{
    reg.m = m;
    for (int i = 0; i < reg.n; i++) {
        Chardev *c = reg.devs[i];
        Sock *s = &c->sock;
        c->m = m;
        if (c->is_stdio && c->nfe) {
            /* A mux (mon:stdio) passes Ctrl-C to the guest unless signal=on. */
            term_raw(c->signals);
        }
        if (s->lfd >= 0 && s->wait) {
            fprintf(stderr, "wirebox: waiting for connection on: %s\n", c->filename);
            int fd;
            do
                fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
            while (fd < 0 && errno == EINTR && !m->shutdown_requested);
            if (fd < 0 && m->shutdown_requested)
                return 0; /* Ctrl-C while waiting: the run ends at once */
            if (fd < 0)
                return wb_errf(err, errlen, "%s: accept: %s", c->origin, strerror(errno));
            sock_connected(c, fd);
        } else if (c->type->open == open_socket && !s->server && c->connected) {
            int fd = c->in_fd;
            sock_connected(c, fd);
        } else if (c->connected) {
            watch_input(c);
            send_event_all(c, CHR_EVENT_OPENED);
        }
        if (s->lfd >= 0) {
            fcntl(s->lfd, F_SETFL, fcntl(s->lfd, F_GETFL) | O_NONBLOCK);
            loop_watch_fd(m, s->lfd, accept_can_read, on_accept, c);
            s->listen_watched = true;
        }
    }
    if (!reg.hooked && reg.n) {
        loop_add_poll_hook(m, hook_fill, hook_dispatch, &reg);
        reg.hooked = true;
    }
    return 0;
}

/* ------------------------------------------------------------------ ringbuf */

long chardev_ringbuf_read(Chardev *c, uint8_t *buf, size_t max)
{
    if (!c->ring)
        return -1;
    size_t n = 0;
    while (n < max && c->ring_rd < c->ring_wr)
        buf[n++] = c->ring[c->ring_rd++ & (c->ring_size - 1)];
    return (long)n;
}

int chardev_ringbuf_write(Chardev *c, const uint8_t *buf, size_t len)
{
    if (!c->ring)
        return -1;
    ring_put(c, buf, len);
    return 0;
}

/* ------------------------------------------------------------------ monitor commands */

static int mon_info_chardev(Monitor *mon, int argc, char **argv)
{
    for (int i = 0; i < reg.n; i++)
        monitor_printf(mon, "%s: filename=%s\n", reg.devs[i]->id, reg.devs[i]->filename);
    return 0;
}

static Chardev *mon_ringbuf(Monitor *mon, const char *cmd, const char *id)
{
    Chardev *c = chardev_find(id);
    if (!c) {
        monitor_errf(mon, "%s: chardev '%s' not found", cmd, id);
        return NULL;
    }
    if (!c->ring) {
        monitor_errf(mon, "%s: chardev '%s' is not a ringbuf", cmd, id);
        return NULL;
    }
    return c;
}

static int mon_ringbuf_write(Monitor *mon, int argc, char **argv)
{
    Chardev *c = mon_ringbuf(mon, argv[0], argv[1]);
    if (!c)
        return 1;
    chardev_ringbuf_write(c, (const uint8_t *)argv[2], strlen(argv[2]));
    return 0;
}

static int mon_ringbuf_read(Monitor *mon, int argc, char **argv)
{
    Chardev *c = mon_ringbuf(mon, argv[0], argv[1]);
    if (!c)
        return 1;
    uint64_t n;
    if (opt_parse_uint(argv[2], RINGBUF_MAX, &n))
        return monitor_errf(mon, "%s: '%s' is not a size", argv[0], argv[2]);
    uint8_t *buf = wb_calloc(1, n + 1);
    long got = chardev_ringbuf_read(c, buf, n);
    /* As QEMU's: bytes as they are, control characters other than
     * newline and tab as \uXXXX. */
    for (long i = 0; i < got; i++) {
        uint8_t b = buf[i];
        if (b == '\n')
            monitor_printf(mon, "\n");
        else if (b < 0x20 && b != '\t')
            monitor_printf(mon, "\\u%04X", b);
        else
            monitor_printf(mon, "%c", b);
    }
    monitor_printf(mon, "\n");
    free(buf);
    return 0;
}

static const MonitorCommand chardev_commands[] = {
    {.name = "ringbuf_write", .args = "device data", .help = "write data to a ring buffer",
     .handler = mon_ringbuf_write, .min_args = 2, .max_args = 2},
    {.name = "ringbuf_read", .args = "device size",
     .help = "read and remove up to size bytes from a ring buffer", .handler = mon_ringbuf_read,
     .min_args = 2, .max_args = 2},
    {NULL},
};

static const MonitorCommand chardev_info[] = {
    {.name = "chardev", .help = "show the character devices", .handler = mon_info_chardev},
    {NULL},
};

const MonitorTable chardev_monitor_table = {
    .owner = "chardev",
    .commands = chardev_commands,
    .info = chardev_info,
};
