/* The drive options (block/drive.c through ui/options.c): QEMU's positions
 * and defaults, one clear line for every mistake, and opening the images. */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

#include "testutil.h"
#include "ui/options.h"

static Options o;
static char err[512];

static int parse(const char *first, ...)
{
    static char *argv[64];
    va_list ap;
    va_start(ap, first);
    int argc = wb_argv(argv, 64, first, ap);
    va_end(ap);
    options_free(&o); /* the previous parse's */
    return options_parse(argc, argv, &o, err, sizeof err);
}

static void free_options(void)
{
    options_free(&o);
}

static DriveSpec *slot(int i)
{
    return drive_config_spec(&o.drives, i);
}

START_TEST(positions)
{
    ck_assert_int_eq(parse("-hda", "a.img", "-hdb", "b.img", "-cdrom", "c.iso", "-hdd", "d.img",
                           NULL), 0);
    static const char *const files[] = {"a.img", "b.img", "c.iso", "d.img"};
    for (int i = 0; i < 4; i++) {
        DriveSpec *s = slot(i);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(s->file, files[i]);
        ck_assert_int_eq(s->cdrom, i == 2);
        ck_assert_int_eq(s->snapshot, -1);
        drive_spec_free(s);
    }
    /* -drive without a position takes the first free one */
    ck_assert_int_eq(parse("-hda", "a.img", "-drive", "file=x.qcow2,format=qcow2,cache=unsafe",
                           "-drive", "media=cdrom", NULL), 0);
    DriveSpec *s = slot(1);
    ck_assert_str_eq(s->file, "x.qcow2");
    ck_assert_str_eq(s->format, "qcow2");
    ck_assert_int_eq(s->cache, BLK_CACHE_UNSAFE);
    drive_spec_free(s);
    s = slot(2);
    ck_assert(s->cdrom);
    ck_assert_ptr_null(s->file); /* an empty CD-ROM drive */
    drive_spec_free(s);
    /* bus/unit, and bus alone */
    ck_assert_int_eq(parse("-drive", "file=a,bus=1,unit=1", "-drive", "file=b,if=ide,bus=1",
                           "-drive", "file=c,index=0,readonly=on,snapshot=off,id=d0", NULL), 0);
    ck_assert_str_eq((s = slot(3))->file, "a");
    drive_spec_free(s);
    ck_assert_str_eq((s = slot(2))->file, "b");
    drive_spec_free(s);
    s = slot(0);
    ck_assert(s->readonly);
    ck_assert_int_eq(s->snapshot, 0);
    drive_spec_free(s);
    ck_assert_int_eq(parse("-snapshot", "-hda", "a", NULL), 0);
    ck_assert(o.drives.snapshot_all);
    /* a file name with a comma: doubled in -drive, as it is in -hda */
    ck_assert_int_eq(parse("-drive", "file=a,,b.img", "-hdb", "c,d.img", NULL), 0);
    ck_assert_str_eq((s = slot(0))->file, "a,b.img");
    drive_spec_free(s);
    ck_assert_str_eq((s = slot(1))->file, "c,d.img");
    drive_spec_free(s);
}
END_TEST

START_TEST(mistakes)
{
    static const struct {
        const char *opt, *val, *want;
    } bad[] = {
        {"-drive", "file=a,index=4", "-drive file=a,index=4: index=4: too big (if=ide has indexes 0 to 3)"},
        {"-drive", "file=a,if=virtio", "-drive file=a,if=virtio: if=virtio is not supported by wirebox yet (supported: ide)"},
        {"-drive", "file=a,if=floppi", "-drive file=a,if=floppi: unsupported bus type 'floppi'"},
        {"-drive", "file=a,format=vmdk", "-drive file=a,format=vmdk: format=vmdk: not supported by wirebox (supported: raw, qcow2)"},
        {"-drive", "file=a,frob=1", "-drive file=a,frob=1: invalid parameter 'frob'"},
        {"-drive", "file=a,cache=fast", "-drive file=a,cache=fast: cache=fast: invalid cache option (expected writeback, none, writethrough, directsync or unsafe)"},
        {"-drive", "file=a,media=tape", "-drive file=a,media=tape: media=tape: expected disk or cdrom"},
        {"-drive", "file=a,readonly=maybe", "-drive file=a,readonly=maybe: readonly=maybe: expected on or off"},
        {"-drive", "format=raw", "-drive format=raw: a disk needs an image: file=PATH"},
        {"-drive", "file=a,index=1,bus=0", "-drive file=a,index=1,bus=0: index cannot be used with bus and unit"},
        {"-drive", "file=a,bus=2", "-drive file=a,bus=2: bus=2: if=ide has buses 0 and 1"},
        {"-drive", "file=a,werror=stop", "-drive file=a,werror=stop: werror=stop is not supported by wirebox yet (errors are reported to the guest: werror=report)"},
        {"-hda", "", "-hda: needs an image file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(parse(bad[i].opt, bad[i].val, NULL), 1);
        ck_assert_str_eq(err, bad[i].want);
    }
    ck_assert_int_eq(parse("-hdc", "x.img", "-cdrom", "y.iso", NULL), 1);
    ck_assert_str_eq(err, "-cdrom y.iso: drive with bus=1, unit=0 (index=2) exists (-hdc x.img)");
    ck_assert_int_eq(parse("-drive", "file=a,id=d", "-drive", "file=b,id=d", NULL), 1);
    ck_assert_str_eq(err, "-drive file=b,id=d: duplicate drive id 'd'");
    ck_assert_int_eq(parse("-hda", "a", "-hdb", "b", "-hdc", "c", "-hdd", "d", "-drive", "file=e",
                           NULL), 1);
    ck_assert_str_eq(err, "-drive file=e: no free IDE position (at most 4 drives)");
}
END_TEST

START_TEST(opening)
{
    char path[] = "/tmp/wb-drive-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
    close(fd);
    char opt[128];
    snprintf(opt, sizeof opt, "file=%s,format=raw", path);
    IdeDriveConf conf[IDE_DRIVES];
    ck_assert_int_eq(parse("-drive", opt, "-drive", "if=ide,media=cdrom,index=3", NULL), 0);
    ck_assert_int_eq(drive_config_open(&o.drives, conf, err, sizeof err), 0);
    ck_assert(conf[0].present && !conf[0].cdrom);
    ck_assert_uint_eq(blk_size(conf[0].blk), 1 << 20);
    ck_assert(!conf[1].present && !conf[2].present);
    ck_assert(conf[3].present && conf[3].cdrom);
    ck_assert_ptr_null(conf[3].blk);
    drive_config_close(conf);
    /* -cdrom images are read-only, -snapshot makes disks write elsewhere */
    ck_assert_int_eq(parse("-cdrom", path, "-hda", path, "-snapshot", NULL), 0);
    ck_assert_int_eq(drive_config_open(&o.drives, conf, err, sizeof err), 0);
    ck_assert(blk_is_readonly(conf[2].blk));
    ck_assert(!blk_is_readonly(conf[0].blk));
    drive_config_close(conf);
    /* a missing file: the option and the file in one line */
    ck_assert_int_eq(parse("-hdb", "/nonexistent/disk.img", NULL), 0);
    ck_assert_int_eq(drive_config_open(&o.drives, conf, err, sizeof err), 1);
    ck_assert_str_eq(err, "-hdb /nonexistent/disk.img: could not open '/nonexistent/disk.img': "
                          "No such file or directory");
    unlink(path);
}
END_TEST

static Suite *drive_suite(void)
{
    Suite *s = suite_create("drive");
    TCase *t = tcase_create("options");
    tcase_add_checked_fixture(t, NULL, free_options);
    tcase_add_test(t, positions);
    tcase_add_test(t, mistakes);
    tcase_add_test(t, opening);
    suite_add_tcase(s, t);
    return s;
}

WB_TEST_MAIN(drive_suite)
