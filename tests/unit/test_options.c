/* Command line parsing (ui/options.c). */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
    options_free(&o);
    return options_parse(argc, argv, &o, err, sizeof err);
}

static void free_options(void)
{
    options_free(&o);
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
    ck_assert_str_eq(err, "cannot use stdio by multiple character devices");
    ck_assert_int_eq(parse("-serial", "file:", NULL), 1);
    ck_assert_str_eq(err, "-serial file:: file: needs a path");
    ck_assert_int_eq(parse("-serial", "frob", NULL), 1);
    ck_assert(!strncmp(err, "-serial frob: unknown chardev (use stdio, mon:stdio,", 52));
    /* The other short forms: tests/unit/test_chardev.c */
    ck_assert_int_eq(parse("-serial", "tcp::4444,server=on,wait=off", NULL), 0);
    ck_assert_int_eq(o.cfg.nserial, 1);
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
    ck_assert_int_eq(parse("-display", "gtk", NULL), 1);
    ck_assert_str_eq(err, "-display gtk: not supported by wirebox yet (supported: sdl, none)");
    ck_assert_int_eq(parse("-vga", "cirrus", NULL), 1);
    ck_assert_str_eq(err, "-vga cirrus: not supported by wirebox yet (supported: std, none)");
    ck_assert_int_eq(parse("-name", "guest=a,colour=red", NULL), 1);
    ck_assert_str_eq(err, "-name guest=a,colour=red: invalid parameter 'colour'");
#ifdef WIREBOX_HAVE_SDL
    ck_assert_int_eq(parse("-display", "sdl,frames=3", NULL), 1);
    ck_assert_str_eq(err, "-display sdl,frames=3: invalid parameter 'frames'");
#else
    ck_assert_int_eq(parse("-display", "sdl", NULL), 1);
    ck_assert_str_eq(err, "-display sdl: this wirebox was built without SDL2 (install "
                          "libsdl2-dev and build again)");
#endif
}
END_TEST

/* The display options: the VGA card, the window, the machine's name. */
START_TEST(test_display)
{
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    ck_assert_int_eq(parse("-kernel", "k", NULL), 0);
    ck_assert(!o.cfg.vga_none);
    ck_assert(!o.cfg.display_sdl); /* nowhere to show a window */
    ck_assert_int_eq(parse("-kernel", "k", "-vga", "none", "-name", "guest=web1,process=wb", NULL),
                     0);
    ck_assert(o.cfg.vga_none);
    ck_assert_str_eq(o.cfg.name, "web1");
    ck_assert_int_eq(parse("-kernel", "k", "-device", "VGA,addr=5", NULL), 0);
    ck_assert(o.cfg.vga_none); /* the -device VGA replaces the default one */
    ck_assert_int_eq(parse("-kernel", "k", "-vga", "none", "-vga", "std", "-name", "db", NULL), 0);
    ck_assert(!o.cfg.vga_none);
    ck_assert_str_eq(o.cfg.name, "db");
#ifdef WIREBOX_HAVE_SDL
    setenv("DISPLAY", ":99", 1);
    ck_assert_int_eq(parse("-kernel", "k", NULL), 0);
    ck_assert(o.cfg.display_sdl); /* the default when there is a display */
    ck_assert_int_eq(parse("-kernel", "k", "-nographic", NULL), 0);
    ck_assert(!o.cfg.display_sdl);
    ck_assert_int_eq(parse("-kernel", "k", "-display", "none", NULL), 0);
    ck_assert(!o.cfg.display_sdl);
    ck_assert(o.cfg.display_none);
    unsetenv("DISPLAY");
    ck_assert_int_eq(parse("-kernel", "k", "-display", "sdl,window-close=off", NULL), 0);
    ck_assert(o.cfg.display_sdl);
    ck_assert(!o.window_close_quits);
#endif
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
    static const char *const more[] = {"-numa", "-qmp", "-boot", "-parallel", "-fda"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        ck_assert_int_eq(parse(more[i], "x", NULL), 1);
        ck_assert(strstr(err, "is a QEMU option that wirebox does not support yet"));
    }
    ck_assert_int_eq(parse("-frobnicate", NULL), 1);
    ck_assert_str_eq(err, "unknown option '-frobnicate'");
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
    ck_assert_int_eq(parse("-bios", "rom.bin", "-kernel", "bz", NULL), 1);

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

int main(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, NULL, free_options);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_display);
    tcase_add_test(tc, test_mem);
    tcase_add_test(tc, test_icount);
    tcase_add_test(tc, test_serial);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_error_messages_tidy);
    tcase_add_test(tc, test_qemu_options_not_yet);
    tcase_add_test(tc, test_boot_and_misc);
    tcase_add_test(tc, test_nic);
    tcase_add_test(tc, test_usage);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
