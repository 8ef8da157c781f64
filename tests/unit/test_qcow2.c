/* The block layer against images made by qemu-img at test time: qcow2 v2
 * and v3, cluster sizes, compressed clusters, backing chains; writes checked
 * with `qemu-img check` and read back by `qemu-img convert`; truncated and
 * corrupt images; snapshot=on; raw probing. Needs qemu-img and qemu-io
 * (Debian's qemu-utils, installed by tools/setup). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "testutil.h"

#define IMG_SIZE (8u << 20)

static char dir[64];
static uint8_t *raw; /* the reference content */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[2200];
    snprintf(full, sizeof full, "cd %s && (%s) >cmd.log 2>&1", dir, cmd);
    int rc = system(full);
    if (rc != 0) {
        char log[4096] = "";
        char p[128];
        snprintf(p, sizeof p, "%s/cmd.log", dir);
        FILE *f = fopen(p, "r");
        if (f) {
            size_t n = fread(log, 1, sizeof log - 1, f);
            log[n] = '\0';
            fclose(f);
        }
        ck_abort_msg("'%s' failed (%d): %s", cmd, rc, log);
    }
}

static char *path(const char *name)
{
    static char p[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static uint8_t *slurp(const char *name, size_t *len)
{
    int fd = open(path(name), O_RDONLY);
    ck_assert_int_ge(fd, 0);
    struct stat st;
    fstat(fd, &st);
    uint8_t *b = malloc((size_t)st.st_size + 1);
    ck_assert_int_eq(read(fd, b, (size_t)st.st_size), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return b;
}

/* 8 MiB: every third 64 KiB block zero, the others a pattern with the
 * block number in it (compressible, but not all alike). */
static void make_raw(void)
{
    raw = malloc(IMG_SIZE);
    for (uint32_t i = 0; i < IMG_SIZE; i++) {
        uint32_t blk = i >> 16;
        raw[i] = blk % 3 == 0 ? 0 : (uint8_t)(blk * 7 + (i >> 9) * 13 + (i & 0xFF));
    }
    int fd = open(path("ref.raw"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, raw, IMG_SIZE), IMG_SIZE);
    close(fd);
}

static void setup(void)
{
    strcpy(dir, "/tmp/wb-qcow2-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    make_raw();
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(raw);
}

static BlockDev *open_img(const char *name, const char *format, bool ro)
{
    BlockOpen o = {.format = format, .readonly = ro};
    BlockDev *b;
    char err[512];
    ck_assert_msg(blk_open(path(name), &o, &b, err, sizeof err) == 0, "%s", err);
    return b;
}

/* Reads all of b in pieces of various sizes and compares it with want. */
static void compare(BlockDev *b, const uint8_t *want, size_t size)
{
    ck_assert_uint_eq(blk_size(b), size);
    uint8_t *got = malloc(size);
    static const size_t pieces[] = {512, 512 * 77, 131072, 4096, 65536 * 3};
    size_t off = 0;
    for (int i = 0; off < size; i++) {
        size_t n = pieces[i % 5];
        if (n > size - off)
            n = size - off;
        ck_assert_int_eq(blk_read(b, off, got + off, n), 0);
        off += n;
    }
    if (memcmp(got, want, size)) {
        size_t i = 0;
        while (got[i] == want[i])
            i++;
        ck_abort_msg("byte %zu: %02x, want %02x", i, got[i], want[i]);
    }
    free(got);
}

static void compare_with_qemu(BlockDev *b, const char *image)
{
    sh("qemu-img convert -O raw %s expect.raw", image);
    size_t len;
    uint8_t *want = slurp("expect.raw", &len);
    compare(b, want, len);
    free(want);
}

START_TEST(reads_v2_v3_cluster_sizes)
{
    static const struct {
        const char *compat;
        unsigned cs;
    } v[] = {{"0.10", 65536}, {"1.1", 512}, {"1.1", 4096}, {"0.10", 2097152}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        sh("qemu-img convert -O qcow2 -o compat=%s,cluster_size=%u ref.raw img.qcow2", v[i].compat,
           v[i].cs);
        BlockDev *b = open_img("img.qcow2", NULL, true); /* probed */
        ck_assert_str_eq(blk_format(b), "qcow2");
        compare(b, raw, IMG_SIZE);
        blk_close(b);
    }
}
END_TEST

START_TEST(reads_compressed_clusters)
{
    sh("qemu-img convert -c -O qcow2 -o cluster_size=4096 ref.raw c.qcow2");
    sh("qemu-img convert -c -O qcow2 -o compat=0.10 ref.raw c2.qcow2");
    BlockDev *b = open_img("c.qcow2", "qcow2", true);
    compare(b, raw, IMG_SIZE);
    blk_close(b);
    b = open_img("c2.qcow2", "qcow2", true);
    compare(b, raw, IMG_SIZE);
    blk_close(b);
}
END_TEST

START_TEST(reads_backing_chain)
{
    sh("qemu-img convert -c -O qcow2 ref.raw base.qcow2");
    sh("qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 -o cluster_size=4096 mid.qcow2");
    sh("qemu-io -c 'write -P 0xab 1M 128k' -c 'write -z 2M 64k' -c 'write -P 0x11 3000k 3k' "
       "mid.qcow2");
    sh("qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 16M"); /* larger than its backing */
    sh("qemu-io -c 'write -P 0xcd 1088k 4k' -c 'write -P 0xee 12M 8k' top.qcow2");
    BlockDev *b = open_img("top.qcow2", NULL, true);
    compare_with_qemu(b, "top.qcow2");
    blk_close(b);
    /* a raw backing file, named relative to the overlay */
    sh("mkdir -p sub && qemu-img create -q -f qcow2 -b ../ref.raw -F raw sub/over.qcow2");
    b = open_img("sub/over.qcow2", NULL, true);
    compare(b, raw, IMG_SIZE);
    blk_close(b);
}
END_TEST

/* Writes of assorted sizes and places through b, mirrored in model. */
static void write_pattern(BlockDev *b, uint8_t *model, size_t size, unsigned seed, int n)
{
    uint32_t x = seed;
    uint8_t *buf = malloc(65 * 512);
    for (int i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t sectors = 1 + (x >> 16) % 64;
        x = x * 1103515245u + 12345u;
        uint64_t off = (uint64_t)((x >> 8) % (size / 512 - sectors)) * 512;
        for (uint32_t j = 0; j < sectors * 512; j++)
            buf[j] = (uint8_t)(i * 31 + j);
        ck_assert_int_eq(blk_write(b, off, buf, sectors * 512), 0);
        memcpy(model + off, buf, sectors * 512);
    }
    free(buf);
}

static void check_image(const char *name)
{
    sh("qemu-img check %s > check.txt 2>&1; rc=$?; cat check.txt; test $rc = 0 && "
       "grep -q 'No errors were found on the image' check.txt", name);
}

START_TEST(writes_pass_qemu_img_check)
{
    static const char *const opts[] = {
        "compat=1.1,cluster_size=512",            /* refcount table and blocks grow */
        "compat=1.1,cluster_size=4096,refcount_bits=8",
        "compat=1.1,cluster_size=65536,refcount_bits=64",
        "compat=0.10,cluster_size=65536",
        "compat=1.1,cluster_size=4096,refcount_bits=1",
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        sh("rm -f w.qcow2 && qemu-img create -q -f qcow2 -o %s w.qcow2 8M", opts[i]);
        uint8_t *model = calloc(1, IMG_SIZE);
        BlockDev *b = open_img("w.qcow2", "qcow2", false);
        write_pattern(b, model, IMG_SIZE, 7 + (unsigned)i, 300);
        compare(b, model, IMG_SIZE);
        ck_assert_int_eq(blk_flush(b), 0);
        blk_close(b);
        check_image("w.qcow2");
        b = open_img("w.qcow2", "qcow2", true);
        compare_with_qemu(b, "w.qcow2");
        compare(b, model, IMG_SIZE);
        blk_close(b);
        free(model);
    }
}
END_TEST

START_TEST(writes_over_compressed_and_backing)
{
    sh("qemu-img convert -c -O qcow2 -o cluster_size=4096 ref.raw c.qcow2");
    uint8_t *model = malloc(IMG_SIZE);
    memcpy(model, raw, IMG_SIZE);
    BlockDev *b = open_img("c.qcow2", "qcow2", false);
    write_pattern(b, model, IMG_SIZE, 99, 200); /* partial clusters over compressed ones */
    blk_close(b);
    check_image("c.qcow2");
    b = open_img("c.qcow2", NULL, true);
    compare(b, model, IMG_SIZE);
    compare_with_qemu(b, "c.qcow2");
    blk_close(b);

    sh("qemu-img create -q -f qcow2 -b c.qcow2 -F qcow2 -o cluster_size=65536 o.qcow2");
    b = open_img("o.qcow2", NULL, false);
    write_pattern(b, model, IMG_SIZE, 5, 100); /* partial clusters over the backing file */
    blk_close(b);
    check_image("o.qcow2");
    check_image("c.qcow2");
    b = open_img("o.qcow2", NULL, true);
    compare(b, model, IMG_SIZE);
    compare_with_qemu(b, "o.qcow2");
    blk_close(b);
    free(model);
}
END_TEST

/* ---- damaged images: a clear error naming the file, or an I/O error */

static void expect_open_error(const char *name, const char *format, const char *words)
{
    BlockOpen o = {.format = format, .readonly = true};
    BlockDev *b = NULL;
    char err[512] = "";
    ck_assert_msg(blk_open(path(name), &o, &b, err, sizeof err) != 0, "%s opened", name);
    ck_assert_ptr_null(b);
    ck_assert_msg(strstr(err, path(name)), "'%s' does not name the file", err);
    ck_assert_msg(strstr(err, words), "'%s' does not say '%s'", err, words);
    ck_assert_ptr_null(strchr(err, '\n'));
}

static void patch(const char *name, uint64_t off, const void *bytes, size_t n)
{
    int fd = open(path(name), O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
    close(fd);
}

static void patch32(const char *name, uint64_t off, uint32_t v)
{
    uint8_t b[4];
    st32be(b, v);
    patch(name, off, b, 4);
}

static void patch64(const char *name, uint64_t off, uint64_t v)
{
    uint8_t b[8];
    st64be(b, v);
    patch(name, off, b, 8);
}

static uint64_t read64(const char *name, uint64_t off)
{
    int fd = open(path(name), O_RDONLY);
    uint8_t b[8];
    ck_assert_int_eq(pread(fd, b, 8, (off_t)off), 8);
    close(fd);
    return ld64be(b);
}

START_TEST(truncated_images)
{
    sh("qemu-img convert -O qcow2 -o cluster_size=4096 ref.raw t.qcow2");
    sh("cp t.qcow2 t50.qcow2 && truncate -s 50 t50.qcow2");
    expect_open_error("t50.qcow2", "qcow2", "truncated");
    sh("cp t.qcow2 t0.qcow2 && truncate -s 0 t0.qcow2");
    expect_open_error("t0.qcow2", "qcow2", "not a qcow2 image");
    /* cut before the L1 table */
    uint64_t l1 = read64("t.qcow2", 40);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "cp t.qcow2 tl1.qcow2 && truncate -s %llu tl1.qcow2",
             (unsigned long long)l1);
    sh("%s", cmd);
    expect_open_error("tl1.qcow2", "qcow2", "truncated");
    /* cut in the middle of the data: opens, reads fail with EIO, no crash */
    struct stat st;
    ck_assert_int_eq(stat(path("t.qcow2"), &st), 0);
    snprintf(cmd, sizeof cmd, "cp t.qcow2 th.qcow2 && truncate -s %lld th.qcow2",
             (long long)st.st_size / 2);
    sh("%s", cmd);
    BlockDev *b = open_img("th.qcow2", "qcow2", true);
    uint8_t *buf = malloc(IMG_SIZE);
    ck_assert_int_eq(blk_read(b, 0, buf, IMG_SIZE), -EIO);
    ck_assert_int_eq(blk_read(b, 65536, buf, 512), 0); /* what is left still reads */
    ck_assert_mem_eq(buf, raw + 65536, 512);
    blk_close(b);
    free(buf);
}
END_TEST

START_TEST(corrupt_headers)
{
    sh("qemu-img convert -O qcow2 -o cluster_size=4096 ref.raw good.qcow2");
    static const struct {
        const char *name;
        uint64_t off;
        int width;
        uint64_t val;
        const char *words;
    } bad[] = {
        {"ver.qcow2", 4, 32, 9, "version 9"},
        {"ver1.qcow2", 4, 32, 1, "qcow (version 1)"},
        {"cb.qcow2", 20, 32, 40, "cluster size"},
        {"l1big.qcow2", 36, 32, 0x7FFFFFFF, "too large"},
        {"l1small.qcow2", 36, 32, 1, "too small"},
        {"l1align.qcow2", 40, 64, 4097, "not cluster-aligned"},
        {"rt0.qcow2", 48, 64, 0, "refcount table offset"},
        {"rtbig.qcow2", 56, 32, 100000, "refcount table of"},
        {"crypt.qcow2", 32, 32, 1, "encrypted"},
        {"incompat.qcow2", 72, 64, 1ull << 40, "unknown incompatible"},
        {"dirty.qcow2", 72, 64, 1, "dirty"},
        {"size.qcow2", 24, 64, 1ull << 60, "virtual size"},
        {"bfile.qcow2", 16, 32, 5000, "backing file name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sh("cp good.qcow2 %s", bad[i].name);
        if (bad[i].width == 32)
            patch32(bad[i].name, bad[i].off, (uint32_t)bad[i].val);
        else
            patch64(bad[i].name, bad[i].off, bad[i].val);
        if (!strcmp(bad[i].name, "bfile.qcow2"))
            patch64(bad[i].name, 8, 200);
        expect_open_error(bad[i].name, NULL, bad[i].words);
    }
    /* a backing chain that loops */
    sh("qemu-img create -q -f qcow2 -b good.qcow2 -F qcow2 loop.qcow2 && "
       "qemu-img rebase -u -f qcow2 -b loop.qcow2 -F qcow2 loop.qcow2");
    expect_open_error("loop.qcow2", NULL, "chain longer");
    /* an unsupported format is named */
    sh("qemu-img convert -O vmdk ref.raw x.vmdk");
    expect_open_error("x.vmdk", NULL, "vmdk");
}
END_TEST

START_TEST(corrupt_tables_fail_reads)
{
    sh("qemu-img convert -O qcow2 -o cluster_size=4096 ref.raw good.qcow2");
    uint64_t l1 = read64("good.qcow2", 40);
    uint64_t l2 = read64("good.qcow2", l1) & 0x00fffffffffffe00ull;
    ck_assert(l2);
    /* the second guest cluster (data) points to an unaligned offset */
    sh("cp good.qcow2 l2.qcow2");
    patch64("l2.qcow2", l2 + 8 * 17, (1ull << 63) | 0x1200);
    BlockDev *b = open_img("l2.qcow2", NULL, true);
    uint8_t buf[4096];
    ck_assert_int_eq(blk_read(b, 17 * 4096, buf, 4096), -EIO);
    ck_assert_int_eq(blk_read(b, 18 * 4096, buf, 4096), 0);
    ck_assert_mem_eq(buf, raw + 18 * 4096, 4096);
    blk_close(b);
    /* an L2 table beyond the end of the file */
    sh("cp good.qcow2 l1e.qcow2");
    patch64("l1e.qcow2", l1, (1ull << 63) | (1ull << 40));
    b = open_img("l1e.qcow2", NULL, true);
    ck_assert_int_eq(blk_read(b, 4096, buf, 4096), -EIO);
    blk_close(b);
    /* compressed data that does not inflate */
    sh("qemu-img convert -c -O qcow2 -o cluster_size=4096 ref.raw c.qcow2");
    l1 = read64("c.qcow2", 40);
    l2 = read64("c.qcow2", l1) & 0x00fffffffffffe00ull;
    uint64_t e = read64("c.qcow2", l2 + 8 * 20);
    ck_assert(e & (1ull << 62));
    uint64_t coff = e & ((1ull << (62 - 4)) - 1); /* cluster_bits 12: x = 58 */
    static const uint8_t junk[64] = {0xFF, 0xFF, 0xFF, 0xFF};
    patch("c.qcow2", coff, junk, sizeof junk);
    b = open_img("c.qcow2", NULL, true);
    ck_assert_int_eq(blk_read(b, 20 * 4096, buf, 4096), -EIO);
    blk_close(b);
}
END_TEST

/* A compressed cluster's descriptor may claim up to 2^(cluster_bits - 8)
 * sectors: the driver reads all of them (two clusters' worth) into its
 * buffer, which must hold them (found by tests/fuzz/fuzz_qcow2; the
 * overflow shows under tools/run-tests --sanitize). */
START_TEST(compressed_extent_of_two_clusters)
{
    sh("qemu-img convert -c -O qcow2 -o cluster_size=4096 ref.raw c.qcow2");
    uint64_t l1 = read64("c.qcow2", 40);
    uint64_t l2 = read64("c.qcow2", l1) & 0x00fffffffffffe00ull;
    uint64_t e = read64("c.qcow2", l2 + 8 * 20);
    ck_assert(e & (1ull << 62));
    /* cluster_bits 12: the sector count is bits 58-61; all ones = 16 sectors */
    patch64("c.qcow2", l2 + 8 * 20, e | (0xFull << 58));
    BlockDev *b = open_img("c.qcow2", NULL, true);
    uint8_t buf[4096];
    ck_assert_int_eq(blk_read(b, 20 * 4096, buf, 4096), 0);
    ck_assert_mem_eq(buf, raw + 20 * 4096, 4096);
    blk_close(b);
}
END_TEST

/* Metadata a corrupt image lets a write reach: refcounts that call it free
 * (all zero here), or an L2 entry naming it as data. The write fails with
 * an I/O error instead of putting guest data over the refcount table or
 * block, the L1 or an L2 table; what the image held still reads back
 * (found by tests/fuzz/fuzz_qcow2). */
START_TEST(corrupt_refcounts_never_overwrite_metadata)
{
    sh("qemu-img convert -O qcow2 -o cluster_size=4096 ref.raw r.qcow2");
    uint64_t rt = read64("r.qcow2", 48);
    uint64_t rb = read64("r.qcow2", rt);
    ck_assert(rb);
    static const uint8_t zero[4096];
    patch("r.qcow2", rb, zero, sizeof zero);
    BlockDev *b = open_img("r.qcow2", "qcow2", false);
    uint8_t buf[4096];
    memset(buf, 0xAB, sizeof buf);
    /* guest block 0 (64 KiB of zeros) is not allocated in the image */
    ck_assert_int_eq(blk_write(b, 4096, buf, sizeof buf), -EIO);
    blk_close(b);
    b = open_img("r.qcow2", "qcow2", true);
    compare(b, raw, IMG_SIZE);
    blk_close(b);
    /* An L2 entry naming the refcount block as a guest cluster's data:
     * writing the guest cluster fails rather than overwrite refcounts. */
    sh("qemu-img convert -O qcow2 -o cluster_size=4096 ref.raw d.qcow2");
    uint64_t l1 = read64("d.qcow2", 40);
    uint64_t l2 = read64("d.qcow2", l1) & 0x00fffffffffffe00ull;
    rb = read64("d.qcow2", read64("d.qcow2", 48));
    patch64("d.qcow2", l2 + 8 * 20, (1ull << 63) | rb);
    b = open_img("d.qcow2", "qcow2", false);
    ck_assert_int_eq(blk_write(b, 20 * 4096, buf, sizeof buf), -EIO);
    ck_assert_int_eq(blk_write(b, 21 * 4096, buf, sizeof buf), 0);
    uint8_t back[4096];
    ck_assert_int_eq(blk_read(b, 21 * 4096, back, sizeof back), 0);
    ck_assert_mem_eq(back, buf, sizeof buf);
    ck_assert_int_eq(blk_read(b, 22 * 4096, back, sizeof back), 0);
    ck_assert_mem_eq(back, raw + 22 * 4096, sizeof back);
    blk_close(b);
}
END_TEST

START_TEST(snapshot_on_never_writes_the_image)
{
    static const char *const imgs[] = {"s.raw", "s.qcow2"};
    sh("cp ref.raw s.raw && qemu-img convert -O qcow2 ref.raw s.qcow2 && "
       "md5sum s.raw s.qcow2 > before.md5");
    for (int i = 0; i < 2; i++) {
        BlockOpen o = {.snapshot = true};
        BlockDev *b;
        char err[256];
        ck_assert_msg(blk_open(path(imgs[i]), &o, &b, err, sizeof err) == 0, "%s", err);
        ck_assert(!blk_is_readonly(b));
        uint8_t *model = malloc(IMG_SIZE);
        memcpy(model, raw, IMG_SIZE);
        write_pattern(b, model, IMG_SIZE, 3, 100);
        ck_assert_int_eq(blk_flush(b), 0);
        compare(b, model, IMG_SIZE);
        blk_close(b);
        free(model);
    }
    sh("md5sum -c before.md5");
}
END_TEST

START_TEST(raw_probing_and_readonly)
{
    sh("cp ref.raw p.raw");
    BlockDev *b = open_img("p.raw", NULL, false);
    ck_assert_str_eq(blk_format(b), "raw");
    uint8_t s0[512] = "QFI\xfb";
    ck_assert_int_eq(blk_write(b, 0, s0, 512), -EPERM); /* would turn into a qcow2 image */
    ck_assert_int_eq(blk_write(b, 512, s0, 512), 0);     /* elsewhere it is fine */
    ck_assert_int_eq(blk_write(b, 1, s0, 512), -EINVAL); /* not sector-aligned */
    ck_assert_int_eq(blk_write(b, IMG_SIZE, s0, 512), -EINVAL);
    blk_close(b);
    b = open_img("p.raw", "raw", false);
    ck_assert_int_eq(blk_write(b, 0, s0, 512), 0);
    blk_close(b);
    b = open_img("p.raw", "raw", true);
    ck_assert_int_eq(blk_write(b, 512, s0, 512), -EROFS);
    blk_close(b);
    BlockOpen o = {0};
    char err[256];
    ck_assert_int_ne(blk_open(path("missing.img"), &o, &b, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "missing.img"));
    o.format = "vdi";
    ck_assert_int_ne(blk_open(path("p.raw"), &o, &b, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "'vdi' is not supported"));
}
END_TEST

/* Random damage to the metadata of real images: opening, reading and
 * writing end in errors, never in a crash or a hang (ASan and UBSan watch
 * this test in tools/run-tests --sanitize). */
START_TEST(random_damage_never_crashes)
{
    sh("qemu-img convert -c -O qcow2 -o cluster_size=4096 ref.raw c.qcow2 && "
       "qemu-img create -q -f qcow2 -b c.qcow2 -F qcow2 -o cluster_size=4096 top.qcow2 && "
       "qemu-io -c 'write -P 0x33 100k 300k' top.qcow2");
    size_t clen, tlen;
    uint8_t *c = slurp("c.qcow2", &clen), *t = slurp("top.qcow2", &tlen);
    uint32_t x = 12345;
    uint8_t *buf = malloc(IMG_SIZE);
    int opened = 0;
    for (int i = 0; i < 300; i++) {
        bool top = i & 1; /* odd: a damaged overlay over the intact compressed image */
        uint8_t *img = malloc(top ? tlen : clen);
        size_t len = top ? tlen : clen;
        memcpy(img, top ? t : c, len);
        for (int k = 0; k < 1 + i % 8; k++) {
            x = x * 1103515245u + 12345u;
            size_t limit = len < 65536 ? len : 65536; /* header, tables, first data */
            img[(x >> 8) % limit] ^= (uint8_t)(1u << (x % 8));
        }
        int fd = open(path(top ? "top.qcow2.bad" : "c.qcow2.bad"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
        ck_assert_int_eq(write(fd, img, len), (ssize_t)len);
        close(fd);
        free(img);
        BlockOpen o = {.format = NULL, .readonly = i % 3 == 0};
        BlockDev *b;
        char err[512];
        if (blk_open(path(top ? "top.qcow2.bad" : "c.qcow2.bad"), &o, &b, err, sizeof err)) {
            ck_assert_ptr_null(strchr(err, '\n'));
            continue;
        }
        opened++;
        size_t size = blk_size(b) < IMG_SIZE ? (size_t)blk_size(b) : IMG_SIZE;
        (void)blk_read(b, 0, buf, size);
        if (!blk_is_readonly(b) && size >= 65536) {
            memset(buf, 0x77, 65536);
            (void)blk_write(b, 4096 * (i % 16), buf, 65536);
            (void)blk_read(b, 0, buf, size);
        }
        blk_close(b);
    }
    ck_assert_int_gt(opened, 0);
    free(buf);
    free(c);
    free(t);
}
END_TEST

static Suite *qcow2_suite(void)
{
    Suite *s = suite_create("qcow2");
    TCase *t = tcase_create("images");
    tcase_set_timeout(t, 120);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, reads_v2_v3_cluster_sizes);
    tcase_add_test(t, reads_compressed_clusters);
    tcase_add_test(t, reads_backing_chain);
    tcase_add_test(t, writes_pass_qemu_img_check);
    tcase_add_test(t, writes_over_compressed_and_backing);
    tcase_add_test(t, truncated_images);
    tcase_add_test(t, corrupt_headers);
    tcase_add_test(t, corrupt_tables_fail_reads);
    tcase_add_test(t, compressed_extent_of_two_clusters);
    tcase_add_test(t, corrupt_refcounts_never_overwrite_metadata);
    tcase_add_test(t, snapshot_on_never_writes_the_image);
    tcase_add_test(t, raw_probing_and_readonly);
    tcase_add_test(t, random_damage_never_crashes);
    suite_add_tcase(s, t);
    return s;
}

WB_TEST_MAIN(qcow2_suite)
