/* wirebox: parse the command line, build the PC, boot it, run it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bios/bios.h"
#include "ui/gdbstub.h"
#include "hw/pc.h"
#include "ui/chardev.h"
#include "ui/console.h"
#include "ui/monitor.h"
#include "ui/options.h"
#include "ui/sdl.h"

static Machine *the_machine;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    if (got_signal || !the_machine) {
        /* Second signal (or before the machine exists): leave at once. */
        chardev_term_restore();
        _exit(1);
    }
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
    if (cfg->bios) {
        char *path = options_find_firmware(o, cfg->bios);
        if (!path)
            return wb_errf(err, errlen, "-bios %s: cannot find it (looked as given and in the "
                           "-L directories; -L help lists them)", cfg->bios);
        /* The ROM runs from the reset vector: reset puts the CPU there. */
        int rc = bios_load_rom(m, path, err, errlen);
        free(path);
        if (rc)
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
            options_print_firmware_dirs(&o, stdout);
        options_free(&o);
        return 0;
    }
    MachineConfig *cfg = &o.cfg;
    if (!cfg->kernel && !cfg->bios) {
        fprintf(stderr, "wirebox: no -kernel or -bios given; nothing to boot\n");
        options_free(&o);
        return 1;
    }

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
    /* Devices before the firmware, which sets up the PCI devices it finds. */
    if (net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err) != 0 ||
        objects_create(m, &o.objects, err, sizeof err) != 0)
        goto fail;
    if (boot(m, &o, err, sizeof err))
        goto fail;

    console_install_dump_signal(m);
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
        if (cfg->kernel)
            linux_boot_enter_via_handover(m);
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
