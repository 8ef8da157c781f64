/* QEMU-compatible command line parsing. */
#include "ui/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef WIREBOX_VERSION
#define WIREBOX_VERSION "0.1.0"
#endif

enum {
    OPT_HELP,
    OPT_VERSION,
    OPT_M,
    OPT_KERNEL,
    OPT_INITRD,
    OPT_APPEND,
    OPT_BIOS,
    OPT_NOGRAPHIC,
    OPT_DISPLAY,
    OPT_SERIAL,
    OPT_NO_REBOOT,
    OPT_ICOUNT,
    OPT_NIC,
    OPT_NET,
    OPT_NETDEV,
    OPT_DEVICE,
    OPT_S_UPPER,
    OPT_S_LOWER,
    OPT_GDB,
    OPT_NODEFAULTS,
    OPT_ACCEL,
};

static const struct {
    const char *name;
    int id;
    bool arg;
} opt_table[] = {
    {"h", OPT_HELP, false},
    {"help", OPT_HELP, false},
    {"version", OPT_VERSION, false},
    {"m", OPT_M, true},
    {"kernel", OPT_KERNEL, true},
    {"initrd", OPT_INITRD, true},
    {"append", OPT_APPEND, true},
    {"bios", OPT_BIOS, true},
    {"nographic", OPT_NOGRAPHIC, false},
    {"display", OPT_DISPLAY, true},
    {"serial", OPT_SERIAL, true},
    {"no-reboot", OPT_NO_REBOOT, false},
    {"icount", OPT_ICOUNT, true},
    {"nic", OPT_NIC, true},
    {"net", OPT_NET, true},
    {"netdev", OPT_NETDEV, true},
    {"device", OPT_DEVICE, true},
    {"S", OPT_S_UPPER, false},
    {"s", OPT_S_LOWER, false},
    {"gdb", OPT_GDB, true},
    {"nodefaults", OPT_NODEFAULTS, false},
    {"accel", OPT_ACCEL, true},
};


/* ------------------------------------------------------------------ sizes */

int options_parse_size(const char *s, uint64_t *bytes)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    uint64_t whole = 0, frac_num = 0, frac_den = 1;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        if (!isxdigit((unsigned char)*p))
            return -1;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(p, &end, 16);
        if (errno)
            return -1;
        whole = v;
        p = end;
    } else {
        for (; isdigit((unsigned char)*p); p++) {
            if (whole > (UINT64_MAX - 9) / 10)
                return -1;
            whole = whole * 10 + (uint64_t)(*p - '0');
        }
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return -1;
            for (; isdigit((unsigned char)*p); p++) {
                if (frac_den < 1000000000ull) {
                    frac_num = frac_num * 10 + (uint64_t)(*p - '0');
                    frac_den *= 10;
                }
            }
        }
    }
    unsigned shift;
    switch (*p) {
    case '\0':
        shift = 20;
        break; /* no suffix: MiB */
    case 'b':
    case 'B':
        shift = 0;
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    default:
        return -1;
    }
    if (*p && p[1])
        return -1;
    if (shift == 0 && frac_num)
        return -1; /* fractional bytes */
    if (whole > (UINT64_MAX >> shift) >> 1)
        return -1;
    *bytes = (whole << shift) + (uint64_t)(((__uint128_t)frac_num << shift) / frac_den);
    return 0;
}

static int parse_m(const char *val, Options *o, char *err, size_t errlen)
{
    char buf[256];
    if (strlen(val) >= sizeof buf)
        return wb_errf(err, errlen, "-m: invalid size '%s'", val);
    strcpy(buf, val);
    const char *size = NULL;
    char *save = NULL;
    bool first = true;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            if (!first)
                return wb_errf(err, errlen, "-m: invalid parameter '%s'", item);
            size = val + (item - buf);
        } else {
            *eq = '\0';
            if (strcmp(item, "size") == 0)
                size = val + (eq + 1 - buf);
            else if (strcmp(item, "slots") == 0 || strcmp(item, "maxmem") == 0)
                return wb_errf(err, errlen, "-m: '%s' (memory hotplug) is not supported", item);
            else
                return wb_errf(err, errlen, "-m: invalid parameter '%s'", item);
        }
        first = false;
    }
    if (!size)
        return wb_errf(err, errlen, "-m: missing size in '%s'", val);
    /* size points into val; cut it at the next comma */
    char sz[64];
    size_t len = strcspn(size, ",");
    if (len == 0 || len >= sizeof sz)
        return wb_errf(err, errlen, "-m: invalid size '%.*s'", (int)len, size);
    memcpy(sz, size, len);
    sz[len] = '\0';
    uint64_t bytes;
    if (options_parse_size(sz, &bytes) != 0)
        return wb_errf(err, errlen, "-m: invalid size '%s'", sz);
    bytes = (bytes + 8191) & ~(uint64_t)8191;
    if (bytes < OPT_RAM_MIN)
        return wb_errf(err, errlen, "-m: %s is too small (the minimum is %u MiB)", sz,
                    OPT_RAM_MIN >> 20);
    if (bytes > OPT_RAM_MAX)
        return wb_errf(err, errlen, "-m: %s is too large (at most %u MiB is supported)", sz,
                    OPT_RAM_MAX >> 20);
    o->cfg.ram_size = (uint32_t)bytes;
    return 0;
}

/* ------------------------------------------------------------------ -icount */

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
        *out = true;
    else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
        *out = false;
    else
        return -1;
    return 0;
}

static int parse_shift(const char *v, int *shift, char *err, size_t errlen)
{
    if (!strcmp(v, "auto"))
        return wb_errf(err, errlen, "-icount: shift=auto is not supported; give a number 0-%d",
                    OPT_ICOUNT_MAX_SHIFT);
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || !isdigit((unsigned char)*v))
        return wb_errf(err, errlen, "-icount: invalid shift '%s'", v);
    if (n > OPT_ICOUNT_MAX_SHIFT)
        return wb_errf(err, errlen, "-icount: shift must be 0 to %d, not %ld", OPT_ICOUNT_MAX_SHIFT,
                    n);
    *shift = (int)n;
    return 0;
}

static int parse_icount(const char *val, Options *o, char *err, size_t errlen)
{
    char buf[256];
    if (strlen(val) >= sizeof buf)
        return wb_errf(err, errlen, "-icount: invalid value '%s'", val);
    strcpy(buf, val);
    int shift = -1;
    bool sleep = true, have_sleep = false, first = true;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            if (!first)
                return wb_errf(err, errlen, "-icount: invalid parameter '%s'", item);
            if (parse_shift(item, &shift, err, errlen))
                return 1;
        } else {
            *eq = '\0';
            const char *v = eq + 1;
            if (!strcmp(item, "shift")) {
                if (parse_shift(v, &shift, err, errlen))
                    return 1;
            } else if (!strcmp(item, "sleep")) {
                if (parse_bool(v, &sleep))
                    return wb_errf(err, errlen, "-icount: sleep must be on or off, not '%s'", v);
                have_sleep = true;
            } else if (!strcmp(item, "align") || !strcmp(item, "rr") || !strcmp(item, "rrfile") ||
                       !strcmp(item, "rrsnapshot")) {
                return wb_errf(err, errlen, "-icount: '%s' is not supported", item);
            } else {
                return wb_errf(err, errlen, "-icount: invalid parameter '%s'", item);
            }
        }
        first = false;
    }
    if (shift < 0 && have_sleep)
        return wb_errf(err, errlen, "-icount: sleep= needs shift=N (0-%d)", OPT_ICOUNT_MAX_SHIFT);
    if (shift < 0)
        return wb_errf(err, errlen, "-icount: invalid value '%s'", val);
    o->cfg.icount_shift = shift;
    o->cfg.icount_sleep = sleep;
    return 0;
}

/* ------------------------------------------------------------------ -serial */

static bool serial_is_stdio(const char *s)
{
    return !strcmp(s, "stdio") || !strcmp(s, "mon:stdio");
}

static int check_serial(const char *val, char *err, size_t errlen)
{
    if (serial_is_stdio(val) || !strcmp(val, "null") || !strcmp(val, "none") ||
        !strcmp(val, "vc") || !strncmp(val, "vc:", 3))
        return 0;
    if (!strncmp(val, "file:", 5)) {
        if (!val[5])
            return wb_errf(err, errlen, "-serial: file: needs a path (file:PATH)");
        return 0;
    }
    return wb_errf(err, errlen,
                "-serial: unsupported backend '%s' (use stdio, mon:stdio, file:PATH, null or none)",
                val);
}

/* ------------------------------------------------------------------ -accel */

/* -accel tcg (QEMU's translator: ours, the default) or -accel interp (the
 * interpreter); QEMU's thread=single is accepted, nothing else. */
static int parse_accel(const char *val, Options *o, char *err, size_t errlen)
{
    size_t n = strcspn(val, ",");
    if (n == 3 && !strncmp(val, "tcg", 3))
        o->cfg.accel = CPU_ACCEL_TCG;
    else if (n == 6 && !strncmp(val, "interp", 6))
        o->cfg.accel = CPU_ACCEL_INTERP;
    else
        return wb_errf(err, errlen, "-accel: invalid accelerator '%.*s' (use tcg or interp)",
                       (int)n, val);
    for (const char *p = val + n; *p; p += n) {
        p++;
        n = strcspn(p, ",");
        if (!(n == 13 && !strncmp(p, "thread=single", 13)))
            return wb_errf(err, errlen, "-accel: unsupported property '%.*s'", (int)n, p);
    }
    return 0;
}

/* ------------------------------------------------------------------ the parser */

int options_parse(int argc, char **argv, Options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->cfg.ram_size = OPT_RAM_DEFAULT;
    o->cfg.icount_shift = -1;
    o->cfg.icount_sleep = true;
    if (errlen)
        err[0] = '\0';

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || !arg[1])
            return wb_errf(err, errlen, "'%s': disk images are not supported yet", arg);
        const char *name = arg + 1;
        if (name[0] == '-' && name[1])
            name++; /* --option works like -option */
        int id = -1;
        bool has_arg = false;
        for (size_t k = 0; k < sizeof opt_table / sizeof opt_table[0]; k++) {
            if (!strcmp(opt_table[k].name, name)) {
                id = opt_table[k].id;
                has_arg = opt_table[k].arg;
                break;
            }
        }
        if (id < 0)
            return wb_errf(err, errlen, "unknown option '%s'", arg);
        const char *val = NULL;
        if (has_arg) {
            if (i + 1 >= argc)
                return wb_errf(err, errlen, "-%s: requires an argument", name);
            val = argv[++i];
        }
        switch (id) {
        case OPT_HELP:
            o->help = true;
            return 0;
        case OPT_VERSION:
            o->version = true;
            return 0;
        case OPT_M:
            if (parse_m(val, o, err, errlen))
                return 1;
            break;
        case OPT_KERNEL:
            o->cfg.kernel = val;
            break;
        case OPT_INITRD:
            o->cfg.initrd = val;
            break;
        case OPT_APPEND:
            o->cfg.append = val;
            break;
        case OPT_BIOS:
            o->cfg.bios = val;
            break;
        case OPT_NOGRAPHIC:
            o->cfg.nographic = true;
            break;
        case OPT_DISPLAY:
            if (!strcmp(val, "none"))
                o->cfg.display_none = true;
            else
                return wb_errf(err, errlen, "-display %s: not supported yet (only -display none)",
                            val);
            break;
        case OPT_SERIAL:
            if (check_serial(val, err, errlen))
                return 1;
            if (o->cfg.nserial >= MAX_SERIAL)
                return wb_errf(err, errlen, "-serial: too many serial ports (at most %d)", MAX_SERIAL);
            o->cfg.serial[o->cfg.nserial++] = val;
            break;
        case OPT_NO_REBOOT:
            o->cfg.no_reboot = true;
            break;
        case OPT_ICOUNT:
            if (parse_icount(val, o, err, errlen))
                return 1;
            break;
        case OPT_NIC:
        case OPT_NET:
        case OPT_NETDEV:
        case OPT_DEVICE:
            if (netconf_add(&o->net,
                            id == OPT_NIC      ? NETOPT_NIC
                            : id == OPT_NET    ? NETOPT_NET
                            : id == OPT_NETDEV ? NETOPT_NETDEV
                                               : NETOPT_DEVICE,
                            val, err, errlen))
                return 1;
            o->cfg.nic_none = o->net.nic_none;
            if (o->net.help)
                return 0;
            break;
        case OPT_S_UPPER:
            o->cfg.start_stopped = true;
            break;
        case OPT_S_LOWER:
            o->cfg.gdb = "tcp::1234";
            break;
        case OPT_GDB:
            o->cfg.gdb = val;
            break;
        case OPT_NODEFAULTS:
            o->nodefaults = true;
            break;
        case OPT_ACCEL:
            if (parse_accel(val, o, err, errlen))
                return 1;
            break;
        }
    }

    /* Cross-checks, as QEMU makes them. */
    if (o->cfg.append && !o->cfg.kernel)
        return wb_errf(err, errlen, "-append only allowed with -kernel option");
    if (o->cfg.initrd && !o->cfg.kernel)
        return wb_errf(err, errlen, "-initrd only allowed with -kernel option");
    if (o->cfg.kernel && o->cfg.bios)
        return wb_errf(err, errlen, "-kernel and -bios cannot be used together yet");
    int nstdio = 0;
    for (int i = 0; i < o->cfg.nserial; i++)
        nstdio += serial_is_stdio(o->cfg.serial[i]);
    if (nstdio > 1)
        return wb_errf(err, errlen, "-serial: stdio can be used by only one serial port");
    if (netconf_check(&o->net, o->nodefaults, err, errlen))
        return 1;

    /* Default serial port: the console with -nographic; otherwise QEMU puts it
     * on a graphical console, which we do not have: it goes nowhere. */
    if (o->cfg.nserial == 0 && !o->nodefaults) {
        o->cfg.serial[0] = o->cfg.nographic ? "mon:stdio" : "null";
        o->cfg.nserial = 1;
        o->serial_default = true;
    }
    return 0;
}

/* ------------------------------------------------------------------ help */

void options_version(FILE *f)
{
    fprintf(f, "wirebox %s (QEMU-compatible options)\n", WIREBOX_VERSION);
}

void options_usage(FILE *f)
{
    options_version(f);
    fputs("usage: wirebox [options]\n"
          "\n"
          "An i686 PC: i440FX/PIIX3, 8259 PICs, 8254 PIT, MC146818 RTC, 16550A UARTs.\n"
          "\n"
          "Boot:\n"
          "  -kernel bzImage   boot a Linux kernel directly (32-bit boot protocol)\n"
          "  -initrd file      initial ramdisk for -kernel\n"
          "  -append cmdline   kernel command line for -kernel\n"
          "  -bios file        raw ROM image (at most 256 KiB) run from the reset vector\n"
          "\n"
          "Machine:\n"
          "  -m [size=]N[K|M|G]  guest RAM (default unit MiB; default 128M, 2M to 3G)\n"
          "  -icount [shift=]N[,sleep=on|off]\n"
          "                    virtual clock: 2^N ns per instruction (N = 0..10);\n"
          "                    sleep=off skips idle time (deterministic runs)\n"
          "  -no-reboot        exit instead of rebooting when the guest resets\n"
          "  -accel tcg|interp CPU engine: translator to host code (default) or interpreter\n"
          "\n"
          "Console:\n"
          "  -nographic        no display; serial port 0 on this terminal (mon:stdio)\n"
          "  -display none     no display\n"
          "  -serial dev       next serial port (up to 4): stdio, mon:stdio, file:PATH,\n"
          "                    null, none\n"
          "  -nodefaults       no default serial port or network card\n"
          "  In mon:stdio (and -nographic) Ctrl-A x quits, Ctrl-A h lists the keys.\n"
          "\n"
          "Network (default: -nic user,model=e1000):\n"
          "  -netdev user,id=ID[,net=ADDR[/MASK]][,host=ADDR][,dhcpstart=ADDR][,dns=ADDR]\n"
          "        [,hostname=NAME][,domainname=DOMAIN][,dnssearch=DOMAIN][,restrict=on|off]\n"
          "        [,tftp=DIR][,bootfile=FILE][,tftp-server-name=NAME][,smb=DIR[,smbserver=ADDR]]\n"
          "        [,hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport]\n"
          "        [,guestfwd=[tcp]:server:port-cmd:COMMAND|tcp:HOST:PORT]\n"
          "        [,ipv4=on|off][,ipv6=on|off][,ipv6-net=ADDR/LEN][,ipv6-host=ADDR]\n"
          "        [,ipv6-dns=ADDR][,dns-resolv=FILE]\n"
          "                    user-mode network (libslirp); dns-resolv: the resolver\n"
          "                    file the DNS proxy reads (default /etc/resolv.conf)\n"
          "  -netdev hubport,id=ID,hubid=N[,netdev=ID]\n"
          "                    a port of hub N (wired to netdev ID)\n"
          "  -device e1000,netdev=ID[,mac=MAC][,addr=SLOT[.FN]][,id=ID]\n"
          "                    a NIC wired to netdev ID (-device help lists the models)\n"
          "  -nic [user][,model=e1000][,mac=MAC][,USER-OPTIONS]\n"
          "                    a NIC with its own user backend (-nic model=help)\n"
          "  -net nic[,model=e1000][,macaddr=MAC][,netdev=ID][,addr=SLOT[.FN]]\n"
          "  -net user[,USER-OPTIONS]\n"
          "                    legacy: a NIC / a user backend on hub 0\n"
          "  -nic none         no network card\n"
          "\n"
          "Debugging:\n"
          "  -gdb dev          gdb stub on dev: tcp:[host]:port (host defaults to\n"
          "                    127.0.0.1; port 0 picks one) or unix:path\n"
          "  -s                shorthand for -gdb tcp::1234\n"
          "  -S                start with the CPU stopped, until gdb continues it\n"
          "\n"
          "  -h, -help         this help\n"
          "  -version          version\n"
          "Options may also be written with two dashes (--m 256).\n",
          f);
}
