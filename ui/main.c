/* wirebox: parse the command line, build the PC, boot it, run it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/bios.h"
#include "ui/gdbstub.h"
#include "hw/pc.h"
#include "ui/chardev.h"
#include "ui/monitor.h"
#include "ui/options.h"
#include "ui/sdl.h"

static Machine *the_machine;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    if (!the_machine || (got_signal && sig == SIGINT)) {
        /* Before the machine exists, or Ctrl-C pressed again while the
         * shutdown hangs: leave at once. A repeated SIGTERM or SIGHUP is
         * not a person insisting: timeout(1) sends its signal to the child
         * and again to the process group, and that must end wirebox as the
         * first one does. */
        chardev_term_restore();
        _exit(1);
    }
    if (got_signal)
        return;
    got_signal = sig;
    machine_request_shutdown(the_machine, 0);
    loop_kick(the_machine); /* do not sleep out a long poll */
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout pipe is a write error, not death */
}

/* SIGPWR presses the ACPI power button (as LXC asks a container's init to
 * shut down cleanly with it). The handler only writes to a pipe; the event
 * loop presses the button. */
static int pwr_pipe[2] = {-1, -1};

static void on_sigpwr(int sig)
{
    char c = 0;
    ssize_t r = write(pwr_pipe[1], &c, 1);
    (void)r;
}

static void on_power_pipe(void *opaque)
{
    char buf[16];
    while (read(pwr_pipe[0], buf, sizeof buf) > 0)
        ;
    if (machine_press_power_button(opaque))
        wb_log("power button pressed (SIGPWR)");
    else
        wb_log("SIGPWR: this machine has no power button");
}

static void watch_power_button(Machine *m)
{
    if (pipe2(pwr_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
        return;
    loop_watch_fd(m, pwr_pipe[0], NULL, on_power_pipe, m);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigpwr;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPWR, &sa, NULL);
}

/* A UART as a chardev frontend. */
static size_t uart_fe_can_receive(void *opaque)
{
    return uart_can_receive(opaque);
}

static void uart_fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
    uart_receive(opaque, buf, len);
}

/* Claims the chardevs of the serial ports (before the UARTs exist). */
static int claim_serial(const ConsoleConfig *con, CharDev *out[MAX_SERIAL], char *err,
                        size_t errlen)
{
    for (int i = 0; i < con->nserial && i < MAX_SERIAL; i++) {
        if (!con->serial[i])
            continue;
        Chardev *c = chardev_find(con->serial[i]);
        if (!c || !(out[i] = chardev_claim(c, NULL, err, errlen)))
            return c ? 1 : wb_errf(err, errlen, "-serial: chardev '%s' not found", con->serial[i]);
    }
    return 0;
}

static int boot(Machine *m, Options *o, char *err, size_t errlen)
{
    MachineConfig *cfg = &o->cfg;
    if (!cfg->kernel || cfg->bios) {
        /* The firmware runs from the reset vector: reset puts the CPU there. */
        if (firmware_boot_setup(m, cfg, err, errlen))
            return 1;
        machine_reset(m);
        return 0;
    }
    firmware_setup(m);
    int rc = multiboot_setup(m, cfg->kernel, cfg->initrd, cfg->append, err, errlen);
    if (rc == MULTIBOOT_NOT)
        rc = linux_boot_setup(m, cfg->kernel, cfg->initrd, cfg->append, err, errlen);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    static char err[512];
    static Options o;
    int status = 1;
    if (options_parse(argc, argv, &o, err, sizeof err) != 0) {
        fprintf(stderr, "wirebox: %s\n", err);
        options_free(&o);
        return 1;
    }
    fw_dirs_set(o.firmware_dirs, o.nfirmware_dirs);
    if (o.help || o.version || o.net.help || o.devices.help || o.objects.help || o.con.help ||
        o.firmware_dirs_help) {
        if (o.help)
            options_usage(stdout);
        else if (o.version)
            options_version(stdout);
        else if (o.net.help)
            netconf_print_help(&o.net, stdout);
        else if (o.devices.help)
            device_list_print_help(&o.devices, stdout);
        else if (o.objects.help)
            object_list_print_help(&o.objects, stdout);
        else if (o.con.help)
            chardev_print_help(stdout);
        else
            fw_dirs_print(stdout);
        options_free(&o);
        return 0;
    }
    MachineConfig *cfg = &o.cfg;

    CharDev *serial[MAX_SERIAL] = {NULL};
    Machine *m = NULL;
    GdbStub *gdb = NULL;
    bool drives_open = false;
    bool window = false;
    if (drive_config_open(&o.drives, cfg->ide, err, sizeof err) != 0)
        goto fail;
    drives_open = true;
    if (chardevs_open(&o.con, err, sizeof err) || claim_serial(&o.con, serial, err, sizeof err))
        goto fail;

    install_signals();
    m = machine_new_pc(cfg, serial);
    if (!m) {
        snprintf(err, sizeof err, "cannot allocate %u MiB of guest RAM", cfg->ram_size >> 20);
        goto fail;
    }
    the_machine = m;
    for (int i = 0; i < MAX_SERIAL; i++) {
        Uart *u = pc_board(m)->uart[i];
        if (serial[i] && u) {
            CharFrontend fe = {uart_fe_can_receive, uart_fe_receive, NULL, u};
            chardev_set_frontend(serial[i], &fe);
        }
    }
    machine_set_chardev_lookup(m, chardev_claim_for_device, NULL);
    for (int i = 0; i < o.con.nmonitor; i++) {
        Chardev *c = chardev_find(o.con.monitor[i]);
        if (!c) {
            snprintf(err, sizeof err, "-monitor: chardev '%s' not found", o.con.monitor[i]);
            goto fail;
        }
        if (!monitor_open_chardev(m, c, err, sizeof err))
            goto fail;
    }
    watch_power_button(m);
    /* Devices before the firmware, which sets up the PCI devices it finds. */
    if (net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err) != 0 ||
        objects_create(m, &o.objects, err, sizeof err) != 0)
        goto fail;
    m->kernel_self_decompress = cfg->start_stopped || (cfg->gdb && strcmp(cfg->gdb, "none") != 0);
    if (boot(m, &o, err, sizeof err))
        goto fail;

    if (cfg->display_sdl) {
        SdlOptions so = {.name = cfg->name, .window_close_quits = o.window_close_quits};
        if (sdl_display_open(m, &so, err, sizeof err) == 0)
            window = true;
        else if (o.display_given)
            goto fail; /* asked for a window and cannot have one */
        else
            wb_log("%s; running without a window", err);
    }
    if (o.serial_default && !cfg->nographic && !window)
        wb_log("no display: the serial console is not shown (use -nographic or -serial "
               "stdio)");
    if (chardevs_start(m, err, sizeof err))
        goto fail;
    if (cfg->gdb && strcmp(cfg->gdb, "none") != 0 &&
        !(gdb = gdbstub_listen(m, cfg->gdb, err, sizeof err)))
        goto fail;
    if (cfg->start_stopped) {
        machine_set_paused(m, true); /* -S: until gdb continues it */
        if (cfg->kernel && !cfg->bios)
            linux_boot_enter_via_handover(m); /* direct boot */
        wb_log(gdb ? "CPU stopped (-S): waiting for gdb to continue it"
                   : "CPU stopped (-S) without -gdb/-s: it stays stopped");
    }
    status = machine_run(m);
    gdbstub_close(gdb, status);
    gdb = NULL;
    if (got_signal)
        wb_log("terminating on signal %d", (int)got_signal);
    err[0] = '\0';

fail:
    if (err[0])
        fprintf(stderr, "wirebox: %s\n", err);
    gdbstub_close(gdb, status);
    if (window)
        sdl_display_close();
    monitors_free_all();
    chardevs_close_all();
    the_machine = NULL;
    if (m) {
        net_cleanup(m);
        bios_free(m);
        machine_free(m);
    }
    if (drives_open)
        drive_config_close(cfg->ide); /* flushes what the guest wrote */
    options_free(&o);
    return status;
}
