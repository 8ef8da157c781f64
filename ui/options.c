/* QEMU-compatible command line parsing. */
#include "ui/options.h"

#include "bios/bios.h"
#include "hw/opts.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    OPT_CHARDEV,
    OPT_MONITOR,
    OPT_MON,
    OPT_DEBUGCON,
    OPT_L,
    OPT_DRIVE, /* -hda..-hdd, -cdrom, -drive, -snapshot: block/drive.c */
    OPT_VGA,
    OPT_NAME,
    OPT_BOOT,
    OPT_OBJECT,
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
    {"chardev", OPT_CHARDEV, true},
    {"monitor", OPT_MONITOR, true},
    {"mon", OPT_MON, true},
    {"debugcon", OPT_DEBUGCON, true},
    {"L", OPT_L, true},
    {"hda", OPT_DRIVE, true},
    {"hdb", OPT_DRIVE, true},
    {"hdc", OPT_DRIVE, true},
    {"hdd", OPT_DRIVE, true},
    {"cdrom", OPT_DRIVE, true},
    {"drive", OPT_DRIVE, true},
    {"snapshot", OPT_DRIVE, false},
    {"vga", OPT_VGA, true},
    {"name", OPT_NAME, true},
    {"boot", OPT_BOOT, true},
    {"object", OPT_OBJECT, true},
    {"accel", OPT_ACCEL, true},
};

/* QEMU's options that wirebox does not have yet (and whether they take an
 * argument): a user who pastes one learns that, not "unknown option". */
static const struct {
    const char *name;
    bool arg;
} qemu_only[] = {
    {"acpitable", true},    {"action", true},    {"add-fd", true},
    {"audio", true},        {"audiodev", true},  {"blockdev", true},    
    {"compat", true},       {"cpu", true},       {"daemonize", false},   {"dtb", true},
    {"enable-kvm", false},  {"fda", true},       {"fdb", true},          {"full-screen", false},
    {"fw_cfg", true},       {"global", true},
    {"incoming", true},     {"k", true},
    {"loadvm", true},       {"machine", true},   {"mem-path", true},
    {"mem-prealloc", false}, {"mtdblock", true},
    {"no-acpi", false},  {"no-hpet", false},     {"no-shutdown", false},
    {"no-user-config", false}, {"nodefconfig", false}, {"numa", true},
    {"option-rom", true},   {"overcommit", true}, {"parallel", true},    {"pflash", true},
    {"pidfile", true},      {"plugin", true},    {"qmp", true},          {"qmp-pretty", true},
    {"readconfig", true},   {"rtc", true},       {"run-with", true},     {"sandbox", true},
    {"sd", true},           {"semihosting", false}, {"smbios", true},    {"smp", true},
    {"spice", true},     {"tpmdev", true},       {"trace", true},
    {"usb", false},         {"usbdevice", true}, {"uuid", true},
    {"virtfs", true},       {"vnc", true},       {"watchdog-action", true}, {"win2k-hack", false},
    {"writeconfig", true},  {"xen-domid", true},
};


/* ------------------------------------------------------------------ sizes */

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
    if (opt_parse_size(sz, 20, &bytes) != 0)
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
                if (opt_parse_bool(v, &sleep))
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

/* ------------------------------------------------------------------ consoles */

/* -debugcon SPEC: an isa-debugcon device on the chardev it names. */
static int add_debugcon(Options *o, const char *val, char *err, size_t errlen)
{
    int before = o->con.ndebugcon;
    if (console_add_debugcon(&o->con, val, err, errlen))
        return 1;
    if (o->con.ndebugcon == before)
        return 0; /* -debugcon none */
    if (o->nowned >= OPT_MAX_OWNED)
        return wb_errf(err, errlen, "-debugcon: too many options");
    char *text = wb_asprintf("isa-debugcon,chardev=%s", o->con.debugcon[before]);
    o->owned[o->nowned++] = text;
    return device_list_add(&o->devices, text, err, errlen);
}

/* QEMU's default consoles (vl.c's rules), then the chardev cross-checks. */
static int finish_consoles(Options *o, char *err, size_t errlen)
{
    bool default_serial = o->cfg.nserial == 0 && !o->nodefaults;
    bool default_monitor = o->con.default_monitor && !o->nodefaults;
    const char *serial = NULL, *monitor = NULL;
    if (o->cfg.nographic) {
        if (default_serial && default_monitor) {
            serial = "mon:stdio";
        } else {
            if (default_serial)
                serial = "stdio";
            if (default_monitor)
                monitor = "stdio";
        }
    } else if (default_serial) {
        serial = "null"; /* QEMU's graphical console: wirebox has none */
    }
    if (serial) {
        o->cfg.serial[0] = serial;
        o->cfg.nserial = 1;
        o->serial_default = true;
        if (console_add_serial(&o->con, serial, err, errlen))
            return 1;
    }
    if (monitor && console_add_monitor(&o->con, monitor, err, errlen))
        return 1;
    /* The chardev= of every -device. */
    const char *ids[MAX_DEVICE_OPTS];
    int nids = 0;
    DeviceSpec *specs[MAX_DEVICE_OPTS];
    int nspecs = 0;
    for (int i = 0; i < o->devices.n; i++) {
        DeviceSpec *sp = device_list_spec(&o->devices, i);
        if (!sp)
            continue;
        specs[nspecs++] = sp;
        for (int k = 0; sp->model->props && sp->model->props[k].name; k++)
            if (sp->model->props[k].type == PROP_CHARDEV && sp->val[k].set && nids < MAX_DEVICE_OPTS)
                ids[nids++] = sp->val[k].str;
    }
    int rc = console_finish(&o->con, ids, nids, err, errlen);
    for (int i = 0; i < nspecs; i++)
        device_spec_free(specs[i]);
    return rc;
}

/* ------------------------------------------------------------------ -accel */

/* -accel tcg (QEMU's translator: ours, the default) or -accel interp (the
 * interpreter), QEMU's syntax: [accel=]NAME[,thread=single]. */
static int parse_accel(const char *val, Options *o, char *err, size_t errlen)
{
    Opts *opts = opts_parse(val, "accel");
    const char *name = opts_get(opts, "accel"), *thread = opts_get(opts, "thread"), *unused;
    int r = 0;
    if (!name || !*name)
        r = wb_errf(err, errlen, "-accel: missing accelerator (use tcg or interp)");
    else if (!strcmp(name, "tcg"))
        o->cfg.accel = CPU_ACCEL_TCG;
    else if (!strcmp(name, "interp"))
        o->cfg.accel = CPU_ACCEL_INTERP;
    else
        r = wb_errf(err, errlen, "-accel: invalid accelerator '%s' (use tcg or interp)", name);
    if (!r && thread && strcmp(thread, "single"))
        r = wb_errf(err, errlen, "-accel: thread=%s is not supported (only thread=single)", thread);
    if (!r && (unused = opts_unused(opts)))
        r = wb_errf(err, errlen, "-accel: invalid parameter '%s'", unused);
    opts_free(opts);
    return r;
}

/* ------------------------------------------------------------------ -display, -name */

static int parse_display(const char *val, Options *o, char *err, size_t errlen)
{
    Opts *op = opts_parse(val, "type");
    const char *type = opts_get(op, "type");
    int rc = 0;
    if (!type) {
        rc = wb_errf(err, errlen, "-display %s: which display? (sdl or none)", val);
    } else if (!strcmp(type, "none")) {
        o->cfg.display_none = true;
        o->cfg.display_sdl = false;
        o->display_given = true;
    } else if (!strcmp(type, "sdl")) {
#ifdef WIREBOX_HAVE_SDL
        const char *wc = opts_get(op, "window-close");
        bool b;
        if (wc && opt_parse_bool(wc, &b))
            rc = wb_errf(err, errlen, "-display %s: window-close must be on or off", val);
        else if (wc)
            o->window_close_quits = b;
        /* accepted and without effect: there is no OpenGL path and the grab keys are fixed */
        opts_get(op, "gl");
        opts_get(op, "show-cursor");
        const char *bad = opts_unused(op);
        if (!rc && bad)
            rc = wb_errf(err, errlen, "-display %s: invalid parameter '%s'", val, bad);
        o->cfg.display_sdl = true;
        o->cfg.display_none = false;
        o->display_given = true;
#else
        rc = wb_errf(err, errlen, "-display sdl: this wirebox was built without SDL2 "
                                  "(install libsdl2-dev and build again)");
#endif
    } else {
        rc = wb_errf(err, errlen,
                     "-display %s: not supported by wirebox yet (supported: sdl, none)", type);
    }
    opts_free(op);
    return rc;
}

/* -name NAME or -name guest=NAME[,process=...][,debug-threads=on|off] */
static int parse_name(const char *val, Options *o, char *err, size_t errlen)
{
    Opts *op = opts_parse(val, "guest");
    const char *name = opts_get(op, "guest");
    opts_get(op, "process");
    opts_get(op, "debug-threads");
    const char *bad = opts_unused(op);
    int rc = 0;
    if (bad)
        rc = wb_errf(err, errlen, "-name %s: invalid parameter '%s'", val, bad);
    else if (name && strlen(name) >= sizeof o->cfg.name)
        rc = wb_errf(err, errlen, "-name: the name is too long (at most %zu characters)",
                     sizeof o->cfg.name - 1);
    else
        snprintf(o->cfg.name, sizeof o->cfg.name, "%s", name ? name : "");
    opts_free(op);
    return rc;
}

/* ------------------------------------------------------------------ the parser */

void options_free(Options *o)
{
    console_free(&o->con);
    object_list_free(&o->objects);
    for (int i = 0; i < o->nowned; i++)
        free(o->owned[i]);
    o->nowned = 0;
}

int options_parse(int argc, char **argv, Options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->con.default_monitor = true;
    o->cfg.ram_size = OPT_RAM_DEFAULT;
    o->cfg.icount_shift = -1;
    o->cfg.icount_sleep = true;
    o->window_close_quits = true;
    if (errlen)
        err[0] = '\0';

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || !arg[1]) {
            /* QEMU: an argument that is not an option is the first disk image */
            if (drive_config_add(&o->drives, "hda", arg, err, errlen))
                return 1;
            continue;
        }
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
        if (id < 0) {
            for (size_t k = 0; k < sizeof qemu_only / sizeof qemu_only[0]; k++)
                if (!strcmp(qemu_only[k].name, name))
                    return wb_errf(err, errlen, "-%s is a QEMU option that wirebox does not "
                                   "support yet", name);
            return wb_errf(err, errlen, "unknown option '%s'", arg);
        }
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
            if (parse_display(val, o, err, errlen))
                return 1;
            break;
        case OPT_VGA:
            if (!strcmp(val, "none"))
                o->cfg.vga_none = true;
            else if (!strcmp(val, "std"))
                o->cfg.vga_none = false;
            else if (opt_is_help(val))
                return wb_errf(err, errlen, "-vga: std (QEMU's standard VGA, the default) or none");
            else
                return wb_errf(err, errlen,
                               "-vga %s: not supported by wirebox yet (supported: std, none)", val);
            break;
        case OPT_NAME:
            if (parse_name(val, o, err, errlen))
                return 1;
            break;
        case OPT_SERIAL:
            if (console_add_serial(&o->con, val, err, errlen))
                return 1;
            o->cfg.serial[o->cfg.nserial++] = val;
            break;
        case OPT_CHARDEV:
            if (console_add_chardev(&o->con, val, err, errlen))
                return 1;
            if (o->con.help)
                return 0;
            break;
        case OPT_MONITOR:
            if (console_add_monitor(&o->con, val, err, errlen))
                return 1;
            break;
        case OPT_MON:
            if (console_add_mon(&o->con, val, err, errlen))
                return 1;
            break;
        case OPT_DEBUGCON:
            if (add_debugcon(o, val, err, errlen))
                return 1;
            break;
        case OPT_L:
            if (opt_is_help(val)) {
                o->firmware_dirs_help = true;
                return 0;
            }
            if (o->nfirmware_dirs >= OPT_MAX_FIRMWARE_DIRS)
                return wb_errf(err, errlen, "-L: too many directories (at most %d)",
                               OPT_MAX_FIRMWARE_DIRS);
            o->firmware_dirs[o->nfirmware_dirs++] = val;
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
            if (netconf_add(&o->net,
                            id == OPT_NIC ? NETOPT_NIC : id == OPT_NET ? NETOPT_NET : NETOPT_NETDEV,
                            val, err, errlen))
                return 1;
            o->cfg.nic_none = o->net.nic_none;
            if (o->net.help)
                return 0;
            break;
        case OPT_DEVICE:
            if (device_list_add(&o->devices, val, err, errlen))
                return 1;
            if (o->devices.help)
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
        case OPT_DRIVE:
            if (drive_config_add(&o->drives, name, val ? val : "", err, errlen))
                return 1;
            break;
        case OPT_BOOT:
            if (boot_parse(val, &o->cfg.boot, err, errlen))
                return 1;
            break;
        case OPT_OBJECT:
            if (object_list_add(&o->objects, val, err, errlen))
                return 1;
            if (o->objects.help)
                return 0;
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
    NetPlan *plan;
    if (net_plan(&o->net, &o->devices, o->nodefaults, &plan, err, errlen))
        return 1;
    /* Objects that work on a netdev name one that exists. */
    for (int i = 0; i < o->objects.n; i++) {
        const ObjectSpec *s = &o->objects.obj[i];
        const char *ref = s->type->netdev_ref ? s->type->netdev_ref(s->conf) : NULL;
        bool found = false;
        for (int k = 0; ref && k < plan->nnetdevs; k++)
            found |= !strcmp(plan->netdevs[k].name, ref);
        if (ref && !found) {
            net_plan_free(plan);
            return wb_errf(err, errlen, "%s: netdev '%s' not found", s->origin, ref);
        }
    }
    net_plan_free(plan);

    /* A VGA given with -device replaces the default one, as in QEMU. */
    for (int i = 0; i < o->devices.n; i++)
        if (!strncmp(o->devices.text[i], "VGA", 3) &&
            (o->devices.text[i][3] == ',' || !o->devices.text[i][3]))
            o->cfg.vga_none = true;

    /* The window by default, as QEMU opens one: when a display is there to
     * show it and SDL2 is built in. */
#ifdef WIREBOX_HAVE_SDL
    if (!o->display_given && !o->cfg.nographic &&
        ((getenv("DISPLAY") && *getenv("DISPLAY")) ||
         (getenv("WAYLAND_DISPLAY") && *getenv("WAYLAND_DISPLAY"))))
        o->cfg.display_sdl = true;
#endif
    if (o->cfg.nographic)
        o->cfg.display_sdl = false;

    if (finish_consoles(o, err, errlen))
        return 1;
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
          "Boot (without -kernel: SeaBIOS, Debian's bios.bin):\n"
          "  -kernel bzImage   boot a Linux kernel directly (32-bit boot protocol), or a\n"
          "                    Multiboot kernel (ELF32 or a.out kludge); with -bios, the\n"
          "                    firmware boots a Linux kernel (QEMU's linuxboot ROM)\n"
          "  -initrd file      initial ramdisk for -kernel; Multiboot: modules,\n"
          "                    \"file1 args,file2 args\"\n"
          "  -append cmdline   kernel command line for -kernel\n"
          "  -bios file        firmware image (at most 256 KiB) run from the reset vector\n"
          "                    (found as given, else in the -L directories)\n"
          "  -L dir            look for firmware (BIOS, option ROMs) in dir first;\n"
          "                    -L help lists where wirebox looks\n"
          "  -boot [order=drives][,once=drives][,menu=on|off][,splash-time=ms]\n"
          "        [,reboot-timeout=ms][,strict=on|off]\n"
          "                    boot order for the firmware: c disk, d CD-ROM, n network,\n"
          "                    a floppy (default cad); -boot d is order=d\n"
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
          "  -nographic        no display; serial port 0 and the monitor on this terminal\n"
          "                    (mon:stdio: Ctrl-A c switches, Ctrl-A x quits, Ctrl-A h helps)\n"
          "  -display sdl[,window-close=on|off]\n"
          "                    a window (the default when there is a display)\n"
          "  -display none     no display\n"
          "  -vga std|none     the VGA card (default std: PCI 1234:1111 with Bochs VBE)\n"
          "  -name NAME        the machine's name (the window's title)\n"
          "  -serial dev       next serial port (up to 4); dev is a chardev short form:\n"
          "                    stdio, mon:stdio, null, none, pty, file:PATH, pipe:PATH,\n"
          "                    tcp:[HOST]:PORT[,server=on[,wait=off]], telnet:[HOST]:PORT,...,\n"
          "                    unix:PATH[,server=on[,wait=off]], /dev/ttyS0, chardev:ID\n"
          "  -chardev TYPE,id=ID[,mux=on][,logfile=FILE][,OPTIONS]\n"
          "                    a character device; TYPE: null, stdio[,signal=off], file,path=,\n"
          "                    pipe,path=, pty, socket,host=,port=|path=[,server=on][,wait=off]\n"
          "                    [,telnet=on][,reconnect=SECONDS], ringbuf[,size=], serial,path=;\n"
          "                    -chardev help lists them\n"
          "  -monitor dev      the monitor (\"(qemu) \" prompt) on dev (a short form as for\n"
          "                    -serial, or none)\n"
          "  -mon [chardev=]ID[,mode=readline]\n"
          "                    the monitor on chardev ID\n"
          "  -debugcon dev     the debug console (port 0xE9) on dev (stdio, file:PATH,\n"
          "                    chardev:ID, ...)\n"
          "  -nodefaults       no default serial port, monitor or network card\n"
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
          "  -netdev socket,id=ID,listen=[HOST]:PORT|connect=HOST:PORT|mcast=GROUP:PORT\n"
          "        [,localaddr=ADDR]|udp=HOST:PORT,localaddr=HOST:PORT|fd=N\n"
          "  -netdev stream,id=ID[,server=on|off],addr.type=inet|unix|fd,addr.host=,\n"
          "        addr.port=|addr.path=|addr.str=[,reconnect=SECONDS]\n"
          "  -netdev dgram,id=ID,remote.type=,remote.*[,local.type=,local.*]\n"
          "                    frames over sockets (QEMU's framing; passt: stream, unix)\n"
          "  -netdev tap,id=ID[,ifname=NAME][,script=FILE|no][,downscript=FILE|no][,fd=N]\n"
          "  -netdev bridge,id=ID[,br=BRIDGE][,helper=PROG]\n"
          "                    a host tap interface; one on a bridge, via qemu-bridge-helper\n"
          "  -netdev vde,id=ID[,sock=SOCKET][,port=N][,group=GROUP][,mode=OCTAL]\n"
          "                    a port of a VDE switch\n"
          "  -netdev help, -netdev TYPE,help\n"
          "                    the backend types, a backend's options\n"
          "  -nic [TYPE][,model=e1000][,mac=MAC][,BACKEND-OPTIONS]\n"
          "                    a NIC with a backend of its own (TYPE: any of the above;\n"
          "                    -nic model=help lists the NIC models)\n"
          "  -net nic[,model=e1000][,macaddr=MAC][,netdev=ID][,addr=SLOT[.FN]]\n"
          "  -net user[,USER-OPTIONS]\n"
          "                    legacy: a NIC / a user backend on hub 0\n"
          "  -nic none         no network card\n"
          "  -object filter-dump,id=ID,netdev=NETDEV,file=FILE[,maxlen=N][,queue=all|rx|tx]\n"
          "                    capture NETDEV's frames into a pcap file (virtual clock)\n"
          "  -object help, -object TYPE,help\n"
          "                    the object types, a type's options\n"
          "\n"
          "Drives (IDE: primary master/slave, secondary master/slave):\n"
          "  -hda/-hdb/-hdc/-hdd file  disk image (raw or qcow2) at IDE index 0-3\n"
          "  -cdrom file       CD-ROM image at index 2 (secondary master)\n"
          "  -drive file=FILE[,format=raw|qcow2][,if=ide][,index=N|bus=B,unit=U]\n"
          "        [,media=disk|cdrom][,readonly=on][,snapshot=on][,cache=MODE][,id=ID]\n"
          "                    a drive; cache: writeback (default), none, writethrough,\n"
          "                    directsync, unsafe\n"
          "  -snapshot         write to temporary files instead of the disk images\n"
          "\n"
          "Devices:\n"
          "  -device MODEL[,id=ID][,addr=SLOT[.FN]][,PROP=VALUE...]\n"
          "                    add a device, e.g. -device e1000,netdev=ID[,mac=MAC],\n"
          "                    -device isa-debug-exit,iobase=0xf4,iosize=0x04 (a guest's\n"
          "                    write of V exits with status (V<<1)|1),\n"
          "                    -device isa-debugcon,iobase=0xe9,chardev=ID\n"
          "  -device help, -device MODEL,help\n"
          "                    the device models, a model's properties\n"
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
