/* Command line parsing (ui/options.c). */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bios/bios.h"
#include "testutil.h"
#include "ui/chardev.h"
#include "ui/options.h"

static Options o;
static char err[256];

/* Parses the NULL-terminated argument list after a program name. */
static int parse(const char *first, ...)
{
    static char *argv[64];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 64, first, ap);
    va_end(ap);
    return options_parse(argc, argv, &o, err, sizeof err);
}

static uint32_t mem_of(const char *arg)
{
    ck_assert_int_eq(parse("-m", arg, NULL), 0);
    return o.cfg.ram_size;
}

START_TEST(test_defaults)
{
    ck_assert_int_eq(parse(NULL), 0);
    ck_assert_uint_eq(o.cfg.ram_size, 128u << 20);
    ck_assert_int_eq(o.cfg.icount_shift, -1);
    ck_assert(o.cfg.icount_sleep);
    ck_assert(!o.cfg.no_reboot && !o.cfg.nographic && !o.cfg.display_none);
    ck_assert_ptr_null(o.cfg.kernel);
    ck_assert_ptr_null(o.cfg.gdb);
    ck_assert(!o.help && !o.version);
    /* No display: the default serial port goes nowhere. */
    ck_assert_int_eq(o.cfg.nserial, 1);
    ck_assert_str_eq(o.cfg.serial[0], "null");
    ck_assert(o.serial_default);

    ck_assert_int_eq(parse("-nographic", NULL), 0);
    ck_assert(o.cfg.nographic);
    ck_assert_int_eq(o.cfg.nserial, 1);
    ck_assert_str_eq(o.cfg.serial[0], "mon:stdio");

    /* -serial overrides the -nographic default. */
    ck_assert_int_eq(parse("-nographic", "-serial", "file:/tmp/x", NULL), 0);
    ck_assert_int_eq(o.cfg.nserial, 1);
    ck_assert_str_eq(o.cfg.serial[0], "file:/tmp/x");
    ck_assert(!o.serial_default);

    /* -nodefaults: no serial port at all. */
    ck_assert_int_eq(parse("-nographic", "-nodefaults", NULL), 0);
    ck_assert_int_eq(o.cfg.nserial, 0);
    ck_assert(o.nodefaults);
}
END_TEST

START_TEST(test_mem)
{
    ck_assert_uint_eq(mem_of("256"), 256u << 20);
    ck_assert_uint_eq(mem_of("256M"), 256u << 20);
    ck_assert_uint_eq(mem_of("256m"), 256u << 20);
    ck_assert_uint_eq(mem_of("1G"), 1024u << 20);
    ck_assert_uint_eq(mem_of("1g"), 1024u << 20);
    ck_assert_uint_eq(mem_of("1.5G"), 1536u << 20);
    ck_assert_uint_eq(mem_of("3G"), 3072u << 20);
    ck_assert_uint_eq(mem_of("65536K"), 64u << 20);
    ck_assert_uint_eq(mem_of("size=512M"), 512u << 20);
    ck_assert_uint_eq(mem_of("size=64"), 64u << 20);
    ck_assert_uint_eq(mem_of("2"), 2u << 20);
    ck_assert_uint_eq(mem_of("0x40"), 64u << 20);
    /* Not a multiple of 8 KiB: rounded up like QEMU. */
    ck_assert_uint_eq(mem_of("3001K"), 3008u << 10);
    /* Last one wins; --m works like -m. */
    ck_assert_int_eq(parse("-m", "64", "--m", "96", NULL), 0);
    ck_assert_uint_eq(o.cfg.ram_size, 96u << 20);

    ck_assert_int_eq(parse("-m", "abc", NULL), 1);
    ck_assert_str_eq(err, "-m: invalid size 'abc'");
    ck_assert_int_eq(parse("-m", "12Q", NULL), 1);
    ck_assert_str_eq(err, "-m: invalid size '12Q'");
    ck_assert_int_eq(parse("-m", "", NULL), 1);
    ck_assert_int_eq(parse("-m", "-5", NULL), 1);
    ck_assert_int_eq(parse("-m", "1MB", NULL), 1);
    ck_assert_int_eq(parse("-m", "1", NULL), 1);
    ck_assert_str_eq(err, "-m: 1 is too small (the minimum is 2 MiB)");
    ck_assert_int_eq(parse("-m", "0", NULL), 1);
    ck_assert_int_eq(parse("-m", "4G", NULL), 1);
    ck_assert_str_eq(err, "-m: 4G is too large (at most 3072 MiB is supported)");
    ck_assert_int_eq(parse("-m", "99999999999999999999999", NULL), 1);
    ck_assert_int_eq(parse("-m", "128M,maxmem=1G", NULL), 1);
    ck_assert_int_eq(parse("-m", "size=", NULL), 1);
    ck_assert_int_eq(parse("-m", "foo=1", NULL), 1);
    ck_assert_str_eq(err, "-m: invalid parameter 'foo'");
    ck_assert_int_eq(parse("-m", NULL), 1);
    ck_assert_str_eq(err, "-m: requires an argument");
}
END_TEST

START_TEST(test_icount)
{
    ck_assert_int_eq(parse("-icount", "shift=3", NULL), 0);
    ck_assert_int_eq(o.cfg.icount_shift, 3);
    ck_assert(o.cfg.icount_sleep);
    ck_assert_int_eq(parse("-icount", "shift=0,sleep=off", NULL), 0);
    ck_assert_int_eq(o.cfg.icount_shift, 0);
    ck_assert(!o.cfg.icount_sleep);
    ck_assert_int_eq(parse("-icount", "sleep=on,shift=10", NULL), 0);
    ck_assert_int_eq(o.cfg.icount_shift, 10);
    ck_assert(o.cfg.icount_sleep);
    ck_assert_int_eq(parse("-icount", "7", NULL), 0);
    ck_assert_int_eq(o.cfg.icount_shift, 7);
    ck_assert_int_eq(parse("-icount", "5,sleep=off", NULL), 0);
    ck_assert_int_eq(o.cfg.icount_shift, 5);
    ck_assert(!o.cfg.icount_sleep);

    ck_assert_int_eq(parse("-icount", "shift=auto", NULL), 1);
    ck_assert_str_eq(err, "-icount: shift=auto is not supported; give a number 0-10");
    ck_assert_int_eq(parse("-icount", "auto", NULL), 1);
    ck_assert_int_eq(parse("-icount", "shift=11", NULL), 1);
    ck_assert_str_eq(err, "-icount: shift must be 0 to 10, not 11");
    ck_assert_int_eq(parse("-icount", "shift=-1", NULL), 1);
    ck_assert_int_eq(parse("-icount", "shift=x", NULL), 1);
    ck_assert_str_eq(err, "-icount: invalid shift 'x'");
    ck_assert_int_eq(parse("-icount", "shift=2,sleep=maybe", NULL), 1);
    ck_assert_int_eq(parse("-icount", "sleep=off", NULL), 1);
    ck_assert_int_eq(parse("-icount", "shift=2,align=on", NULL), 1);
    ck_assert_int_eq(parse("-icount", "shift=2,bogus=1", NULL), 1);
    ck_assert_int_eq(parse("-icount", "", NULL), 1);
}
END_TEST

START_TEST(test_serial)
{
    ck_assert_int_eq(parse("-serial", "stdio", "-serial", "file:/tmp/a", "-serial", "null",
                           "-serial", "none", NULL),
                     0);
    ck_assert_int_eq(o.cfg.nserial, 4);
    ck_assert_str_eq(o.cfg.serial[0], "stdio");
    ck_assert_str_eq(o.cfg.serial[1], "file:/tmp/a");
    ck_assert_str_eq(o.cfg.serial[2], "null");
    ck_assert_str_eq(o.cfg.serial[3], "none");

    ck_assert_int_eq(parse("-serial", "null", "-serial", "mon:stdio", NULL), 0);
    ck_assert_int_eq(o.cfg.nserial, 2);
    ck_assert_str_eq(o.cfg.serial[1], "mon:stdio");

    ck_assert_int_eq(parse("-serial", "null", "-serial", "null", "-serial", "null", "-serial",
                           "null", "-serial", "null", NULL),
                     1);
    ck_assert_str_eq(err, "-serial: too many serial ports (at most 4)");
    ck_assert_int_eq(parse("-serial", "stdio", "-serial", "mon:stdio", NULL), 1);
    ck_assert_int_eq(parse("-serial", "tcp::4444", NULL), 1);
    ck_assert_int_eq(parse("-serial", "file:", NULL), 1);
}
END_TEST

START_TEST(test_errors)
{
    ck_assert_int_eq(parse("-foo", NULL), 1);
    ck_assert_str_eq(err, "unknown option '-foo'");
    ck_assert_int_eq(parse("--foo", NULL), 1);
    ck_assert_str_eq(err, "unknown option '--foo'");
    ck_assert_int_eq(parse("-kernel", NULL), 1);
    ck_assert_str_eq(err, "-kernel: requires an argument");
    ck_assert_int_eq(parse("--kernel", NULL), 1);
    ck_assert_str_eq(err, "-kernel: requires an argument");
    ck_assert_int_eq(parse("disk.img", NULL), 0); /* QEMU: the first disk image */
    ck_assert_str_eq(o.drives.slot[0].val, "disk.img");
    ck_assert_int_eq(parse("-append", "quiet", NULL), 1);
    ck_assert_str_eq(err, "-append only allowed with -kernel option");
    ck_assert_int_eq(parse("-initrd", "x", NULL), 1);
    ck_assert_str_eq(err, "-initrd only allowed with -kernel option");
    ck_assert_int_eq(parse("-display", "sdl", NULL), 1);
    ck_assert_str_eq(err, "-display sdl: not supported yet (only -display none)");
}
END_TEST

/* A QEMU option wirebox lacks says so, instead of "unknown option". */
START_TEST(test_qemu_options_not_yet)
{
    ck_assert_int_eq(parse("-fda", "floppy.img", NULL), 1);
    ck_assert_str_eq(err, "-fda is a QEMU option that wirebox does not support yet");
    ck_assert_int_eq(parse("--blockdev", "x", NULL), 1);
    ck_assert_str_eq(err, "-blockdev is a QEMU option that wirebox does not support yet");
    ck_assert_int_eq(parse("-no-acpi", NULL), 1);
    ck_assert_str_eq(err, "-no-acpi is a QEMU option that wirebox does not support yet");
    static const char *const more[] = {"-numa", "-monitor", "-global", "-chardev", "-vga"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        ck_assert_int_eq(parse(more[i], "x", NULL), 1);
        ck_assert(strstr(err, "is a QEMU option that wirebox does not support yet"));
    }
    ck_assert_int_eq(parse("-frobnicate", NULL), 1);
    ck_assert_str_eq(err, "unknown option '-frobnicate'");
}
END_TEST

/* -boot as QEMU takes it: the implied order, once, menu, timeouts, strict;
 * QEMU's messages for letters a PC cannot boot from. */
START_TEST(test_boot_option)
{
    ck_assert_int_eq(parse("-boot", "n", NULL), 0);
    ck_assert_str_eq(o.cfg.boot.order, "n");
    ck_assert_str_eq(boot_order(&o.cfg.boot), "n");
    ck_assert_int_eq(parse(NULL), 0);
    ck_assert_str_eq(boot_order(&o.cfg.boot), "cad");
    ck_assert(!o.cfg.boot.menu && !o.cfg.boot.has_reboot_timeout && !o.cfg.boot.strict);
    ck_assert_int_eq(parse("-boot", "order=cdn,once=d,menu=on,splash-time=2500,reboot-timeout=0,"
                                    "strict=on",
                           NULL),
                     0);
    ck_assert_str_eq(o.cfg.boot.order, "cdn");
    ck_assert_str_eq(o.cfg.boot.once, "d");
    ck_assert(o.cfg.boot.menu && o.cfg.boot.strict);
    ck_assert(o.cfg.boot.has_splash_time && o.cfg.boot.splash_time == 2500);
    ck_assert(o.cfg.boot.has_reboot_timeout && o.cfg.boot.reboot_timeout == 0);
    /* Later -boot options override what they name. */
    ck_assert_int_eq(parse("-boot", "d", "-boot", "menu=off", NULL), 0);
    ck_assert_str_eq(o.cfg.boot.order, "d");
    ck_assert(!o.cfg.boot.menu);
    ck_assert_int_eq(parse("-boot", "reboot-timeout=-1", NULL), 0);
    ck_assert_int_eq(o.cfg.boot.reboot_timeout, -1);

    ck_assert_int_eq(parse("-boot", "cdnc", NULL), 1);
    ck_assert_str_eq(err, "-boot: order: boot device 'c' was given twice");
    ck_assert_int_eq(parse("-boot", "order=cdna", NULL), 1);
    ck_assert_str_eq(err, "-boot: order: too many boot devices for PC (at most 3)");
    ck_assert_int_eq(parse("-boot", "once=e", NULL), 1);
    ck_assert_str_eq(err, "-boot: once: invalid boot device for PC: 'e'");
    ck_assert_int_eq(parse("-boot", "order=X", NULL), 1);
    ck_assert_str_eq(err, "-boot: order: invalid boot device 'X'");
    ck_assert_int_eq(parse("-boot", "menu=maybe", NULL), 1);
    ck_assert_str_eq(err, "-boot: menu must be on or off, not 'maybe'");
    ck_assert_int_eq(parse("-boot", "reboot-timeout=70000", NULL), 1);
    ck_assert(strstr(err, "reboot-timeout is invalid"));
    ck_assert_int_eq(parse("-boot", "splash-time=-5", NULL), 1);
    ck_assert(strstr(err, "splash-time is invalid"));
    ck_assert_int_eq(parse("-boot", "frob=1", NULL), 1);
    ck_assert_str_eq(err, "-boot: invalid parameter 'frob'");
}
END_TEST

/* -L: directories in order, -L help stops parsing. */
START_TEST(test_firmware_dirs)
{
    ck_assert_int_eq(parse("-L", "/a", "-L", "b", NULL), 0);
    ck_assert_int_eq(o.nfirmware_dirs, 2);
    ck_assert_str_eq(o.firmware_dirs[0], "/a");
    ck_assert_str_eq(o.firmware_dirs[1], "b");
    ck_assert(!o.firmware_dirs_help);
    ck_assert_int_eq(parse("-L", "help", "-frob", NULL), 0);
    ck_assert(o.firmware_dirs_help);
}
END_TEST

/* Messages are one line whatever argv holds, and keep their reason. */
START_TEST(test_error_messages_tidy)
{
    ck_assert_int_eq(parse("-m", "12\n34\x1b[2J", NULL), 1);
    ck_assert_str_eq(err, "-m: invalid size '12\\n34\\x1b[2J'");
    static char huge[4000];
    memset(huge, '7', sizeof huge - 2);
    huge[sizeof huge - 2] = 'x';
    ck_assert_int_eq(parse("-icount", huge, NULL), 1);
    ck_assert_uint_lt(strlen(err), sizeof err);
    ck_assert(!strncmp(err, "-icount: invalid value '777", 27));
    ck_assert_ptr_nonnull(strstr(err, " ... "));
    ck_assert_ptr_nonnull(strstr(err, "777x'"));
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(test_boot_and_misc)
{
    ck_assert_int_eq(parse("-kernel", "bz", "-initrd", "rd", "-append", "console=ttyS0",
                           "-no-reboot", "-display", "none", "--nographic", NULL),
                     0);
    ck_assert_str_eq(o.cfg.kernel, "bz");
    ck_assert_str_eq(o.cfg.initrd, "rd");
    ck_assert_str_eq(o.cfg.append, "console=ttyS0");
    ck_assert(o.cfg.no_reboot && o.cfg.display_none && o.cfg.nographic);

    ck_assert_int_eq(parse("-bios", "rom.bin", NULL), 0);
    ck_assert_str_eq(o.cfg.bios, "rom.bin");
    /* Both: the firmware boots the kernel (QEMU's linuxboot ROM). */
    ck_assert_int_eq(parse("-bios", "rom.bin", "-kernel", "bz", NULL), 0);
    ck_assert_str_eq(o.cfg.bios, "rom.bin");
    ck_assert_str_eq(o.cfg.kernel, "bz");

    ck_assert_int_eq(parse("-s", "-S", NULL), 0);
    ck_assert_str_eq(o.cfg.gdb, "tcp::1234");
    ck_assert(o.cfg.start_stopped);
    ck_assert_int_eq(parse("-gdb", "tcp::9999", NULL), 0);
    ck_assert_str_eq(o.cfg.gdb, "tcp::9999");

    /* -help/-version stop parsing, even before a bad option. */
    ck_assert_int_eq(parse("-version", "-foo", NULL), 0);
    ck_assert(o.version);
    ck_assert_int_eq(parse("-m", "64", "-h", NULL), 0);
    ck_assert(o.help);
    ck_assert_int_eq(parse("--help", NULL), 0);
    ck_assert(o.help);
}
END_TEST

START_TEST(test_nic)
{
    ck_assert_int_eq(parse("-nic", "none", NULL), 0);
    ck_assert(o.cfg.nic_none);
    ck_assert_int_eq(parse("-net", "none", NULL), 0);
    ck_assert(o.cfg.nic_none);
    /* The networking options themselves: tests/unit/test_netopts.c */
    ck_assert_int_eq(parse("-nic", "user,model=e1000", NULL), 0);
    ck_assert(!o.cfg.nic_none);
    ck_assert_int_eq(o.net.nopts, 1);
    ck_assert_int_eq(parse("-netdev", "user,id=n0", "-device", "e1000,netdev=n0", NULL), 0);
    ck_assert_int_eq(o.net.nopts, 1);
    ck_assert_int_eq(o.devices.n, 1);
    ck_assert_int_eq(parse("-device", "e1000,netdev=n0", NULL), 1);
    ck_assert_str_eq(err, "-device e1000,netdev=n0: netdev 'n0' not found");
    ck_assert_int_eq(parse("-nic", NULL), 1);
    ck_assert_str_eq(err, "-nic: requires an argument");
}
END_TEST

START_TEST(test_usage)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    options_version(f);
    fclose(f);
    ck_assert_str_eq(buf, "wirebox 0.1.0 (QEMU-compatible options)\n");
    free(buf);
    f = open_memstream(&buf, &len);
    options_usage(f);
    fclose(f);
    const char *want[] = {"-kernel",       "-initrd", "-append",     "-bios",
                          "-m ",           "-icount", "-no-reboot",  "-nographic",
                          "-display none", "-serial", "-nodefaults", "-nic none",
                          "-S ",           "-s ",     "-gdb",        "-version"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(buf, want[i]), "usage lacks %s", want[i]);
    free(buf);
}
END_TEST

/* ---- ui/chardev.c */

START_TEST(test_chardev_open)
{
    CharDev *cd = (CharDev *)1;
    ck_assert_int_eq(chardev_open("none", &cd, err, sizeof err), 0);
    ck_assert_ptr_null(cd);
    ck_assert_int_eq(chardev_open("null", &cd, err, sizeof err), 0);
    ck_assert_ptr_nonnull(cd);
    cd->write(cd->opaque, (const uint8_t *)"x", 1);
    chardev_close(cd);
    ck_assert_int_eq(chardev_open("file:/nonexistent/dir/x", &cd, err, sizeof err), -1);
    ck_assert_str_eq(err,
                     "-serial file:/nonexistent/dir/x: cannot open: No such file or directory");
    ck_assert_int_eq(chardev_open("tcp::1", &cd, err, sizeof err), -1);

    char path[] = "/tmp/wb_chardev_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "old contents", 12), 12);
    close(fd);
    char spec[64];
    snprintf(spec, sizeof spec, "file:%s", path);
    ck_assert_int_eq(chardev_open(spec, &cd, err, sizeof err), 0);
    cd->write(cd->opaque, (const uint8_t *)"hello ", 6);
    cd->write(cd->opaque, (const uint8_t *)"world", 5);
    chardev_close(cd);
    char buf[64] = {0};
    fd = open(path, O_RDONLY);
    ck_assert_int_eq(read(fd, buf, sizeof buf), 11); /* truncated, then written */
    close(fd);
    ck_assert_str_eq(buf, "hello world");
    unlink(path);
}
END_TEST

/* A PC whose CPU sleeps, with serial port 0 on the given stdio backend and
 * stdin replaced by a pipe (*wr: its write end). */
static int saved_fd0 = -1, saved_fd1 = -1;

static Machine *stdio_machine(const char *spec, int *wr, CharDev **cd)
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
    *wr = p[1];
    ck_assert_int_eq(chardev_open(spec, cd, err, sizeof err), 0);
    MachineConfig cfg = {.ram_size = 16u << 20, .icount_shift = -1, .icount_sleep = true};
    CharDev *serial[MAX_SERIAL] = {*cd};
    Machine *m = machine_new_pc(&cfg, serial);
    ck_assert_ptr_nonnull(m);
    chardev_attach(*cd, m, pc_board(m)->uart[0]);
    m->cpu->halted = true;         /* IF=0 after reset: it stays asleep */
    port_write(m, 0x3FA, 0x01, 0); /* FCR: 16-byte FIFOs on */
    return m;
}

static void restore_stdio(void)
{
    dup2(saved_fd0, 0);
    dup2(saved_fd1, 1);
    close(saved_fd0);
    close(saved_fd1);
}

static void steps(Machine *m, int n)
{
    for (int i = 0; i < n && !m->shutdown_requested; i++)
        machine_step(m);
}

static void expect_rx(Machine *m, const char *want)
{
    for (const char *p = want; *p; p++) {
        ck_assert_msg(port_read(m, 0x3FD, 0) & 1, "no byte for '%c'", *p);
        ck_assert_uint_eq(port_read(m, 0x3F8, 0), (uint8_t)*p);
    }
    ck_assert_uint_eq(port_read(m, 0x3FD, 0) & 1, 0);
}

static int pipe_pending(void)
{
    int n = 0;
    ioctl(0, FIONREAD, &n);
    return n;
}

/* Plain stdio: only as many bytes are read as the UART can take. */
START_TEST(test_chardev_stdio_flow)
{
    int wr;
    CharDev *cd;
    Machine *m = stdio_machine("stdio", &wr, &cd);
    ck_assert_int_eq(write(wr, "0123456789ABCDEFGHIJ\x01x", 22), 22);
    steps(m, 5);
    ck_assert_uint_eq(uart_can_receive(pc_board(m)->uart[0]), 0);
    ck_assert_int_eq(pipe_pending(), 6);
    expect_rx(m, "0123456789ABCDEF");
    close(wr); /* EOF after the rest */
    steps(m, 5);
    expect_rx(m, "GHIJ\x01x"); /* no escapes in plain stdio */
    ck_assert(!m->shutdown_requested);
    steps(m, 3); /* EOF seen: nothing more, no busy loop */
    ck_assert_uint_eq(uart_can_receive(pc_board(m)->uart[0]), 16);
    chardev_close(cd);
    machine_free(m);
    restore_stdio();
}
END_TEST

/* mon:stdio: Ctrl-A escapes; Ctrl-A x works even when the guest's FIFO is full. */
START_TEST(test_chardev_mux)
{
    int wr;
    CharDev *cd;
    Machine *m = stdio_machine("mon:stdio", &wr, &cd);
    ck_assert_int_eq(write(wr, "0123456789ABCDEFGH\x01\x01I\x01zJ", 24), 24);
    steps(m, 5);
    ck_assert_uint_eq(uart_can_receive(pc_board(m)->uart[0]), 0);
    ck_assert_int_eq(pipe_pending(), 0); /* read ahead into the backend */
    ck_assert(!m->shutdown_requested);
    expect_rx(m, "0123456789ABCDEF");
    steps(m, 2);
    expect_rx(m, "GH\x01IJ"); /* Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A z is swallowed */
    ck_assert_int_eq(write(wr, "0123456789abcdefXYZ\x01x", 21), 21);
    steps(m, 5);
    ck_assert(m->shutdown_requested);
    ck_assert_int_eq(m->exit_code, 0);
    close(wr);
    chardev_close(cd);
    machine_free(m);
    restore_stdio();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_mem);
    tcase_add_test(tc, test_icount);
    tcase_add_test(tc, test_serial);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_error_messages_tidy);
    tcase_add_test(tc, test_qemu_options_not_yet);
    tcase_add_test(tc, test_boot_and_misc);
    tcase_add_test(tc, test_boot_option);
    tcase_add_test(tc, test_firmware_dirs);
    tcase_add_test(tc, test_nic);
    tcase_add_test(tc, test_usage);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("chardev");
    tcase_add_test(tc2, test_chardev_open);
    tcase_add_test(tc2, test_chardev_stdio_flow);
    tcase_add_test(tc2, test_chardev_mux);
    suite_add_tcase(s, tc2);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
