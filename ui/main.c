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
#include "ui/options.h"

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

static int die(const char *msg)
{
    fprintf(stderr, "wirebox: %s\n", msg);
    return 1;
}

int main(int argc, char **argv)
{
    char err[512];
    Options o;
    if (options_parse(argc, argv, &o, err, sizeof err) != 0)
        return die(err);
    if (o.help) {
        options_usage(stdout);
        return 0;
    }
    if (o.version) {
        options_version(stdout);
        return 0;
    }
    if (o.net.help) {
        netconf_print_help(&o.net, stdout);
        return 0;
    }
    if (o.devices.help) {
        device_list_print_help(&o.devices, stdout);
        return 0;
    }
    fw_dirs_set(o.firmware_dirs, o.nfirmware_dirs);
    if (o.firmware_dirs_help) {
        fw_dirs_print(stdout);
        return 0;
    }
    if (o.objects.help) {
        object_list_print_help(&o.objects, stdout);
        return 0;
    }
    MachineConfig *cfg = &o.cfg;
    /* -kernel alone boots Linux directly; otherwise the firmware runs. */
    bool direct = cfg->kernel && !cfg->bios;

    if (drive_config_open(&o.drives, cfg->ide, err, sizeof err) != 0)
        return die(err);

    CharDev *serial[MAX_SERIAL] = {NULL};
    for (int i = 0; i < cfg->nserial; i++)
        if (chardev_open(cfg->serial[i], &serial[i], err, sizeof err) != 0)
            return die(err);

    install_signals();
    Machine *m = machine_new_pc(cfg, serial);
    if (!m) {
        fprintf(stderr, "wirebox: cannot allocate %u MiB of guest RAM\n", cfg->ram_size >> 20);
        drive_config_close(cfg->ide);
        return 1;
    }
    the_machine = m;
    watch_power_button(m);
    /* Devices before the firmware, which sets up the PCI devices it finds. */
    if (net_build_all(m, &o.net, &o.devices, o.nodefaults, err, sizeof err) != 0 ||
        objects_create(m, &o.objects, err, sizeof err) != 0) {
        fprintf(stderr, "wirebox: %s\n", err);
        net_cleanup(m);
        for (int i = 0; i < MAX_SERIAL; i++)
            chardev_close(serial[i]);
        the_machine = NULL;
        machine_free(m);
        drive_config_close(cfg->ide);
        return 1;
    }

    int rc = 0;
    if (!direct) {
        /* The firmware runs from the reset vector: reset puts the CPU there. */
        rc = firmware_boot_setup(m, cfg, err, sizeof err);
        if (rc == 0)
            machine_reset(m);
    } else {
        firmware_setup(m);
        rc = linux_boot_setup(m, cfg->kernel, cfg->initrd, cfg->append, err, sizeof err);
    }
    int status = 1;
    if (rc != 0) {
        fprintf(stderr, "wirebox: %s\n", err);
    } else {
        if (o.serial_default && !cfg->nographic && !cfg->display_none)
            wb_log("no display: the serial console is not shown (use -nographic or -serial "
                   "stdio)");
        for (int i = 0; i < MAX_SERIAL; i++)
            chardev_attach(serial[i], m, pc_board(m)->uart[i]);
        GdbStub *gdb = NULL;
        if (cfg->gdb && strcmp(cfg->gdb, "none") != 0 &&
            !(gdb = gdbstub_listen(m, cfg->gdb, err, sizeof err))) {
            fprintf(stderr, "wirebox: %s\n", err);
        } else {
            if (cfg->start_stopped) {
                machine_set_paused(m, true); /* -S: until gdb continues it */
                if (direct)
                    linux_boot_enter_via_handover(m);
                wb_log(gdb ? "CPU stopped (-S): waiting for gdb to continue it"
                           : "CPU stopped (-S) without -gdb/-s: it stays stopped");
            }
            status = machine_run(m);
        }
        gdbstub_close(gdb, status);
        if (got_signal)
            wb_log("terminating on signal %d", (int)got_signal);
    }

    for (int i = 0; i < MAX_SERIAL; i++)
        chardev_close(serial[i]);
    the_machine = NULL;
    net_cleanup(m);
    object_list_free(&o.objects);
    bios_free(m);
    machine_free(m);
    drive_config_close(cfg->ide); /* flushes what the guest wrote */
    return status;
}
