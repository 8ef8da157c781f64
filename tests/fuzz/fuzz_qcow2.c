/* libFuzzer target: the qcow2 driver (block/qcow2.c) opening a hostile
 * image. The input is the image file's bytes: header, header extensions,
 * backing file name, L1 and L2 tables, refcount table and blocks,
 * compressed clusters.
 *
 * The image is written to a file in a private directory on tmpfs
 * (/dev/shm, else $TMPDIR), beside two files a backing name may reach:
 * "raw" (64 KiB of a pattern) and "self" (a link to the image: a loop).
 * Backing names that leave the directory are refused by the harness (they
 * would reach the host's files). The image is opened as -drive
 * format=qcow2 would open it, writable; if that fails it is opened
 * readonly=on as a user would retry. Then every cluster of the first
 * 2 MiB of the guest's view is read, plus 64 reads spread over the rest;
 * on a writable image a few sectors are written (start, middle, end; each
 * read back when both succeed) and flushed; then it is closed.
 * Invariants: an open that fails gives one clean line (no control
 * characters) naming the file; a run-time error message is one clean
 * line; no read of the file is longer than the largest thing the format
 * lets the driver read (a compressed extent: two clusters);
 * the guest's view has the size the header says (rounded down to
 * sectors); a write that succeeded reads back; no crash, no undefined
 * behaviour, no leak (every open is closed). */
/* fuzz-models: block/qcow2.c */
/* fuzz-ldflags: -Wl,--wrap=blk_pread_full -Wl,--wrap=blk_open_backing -Wl,--wrap=blk_runtime_error */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "fuzz.h"

#include "block/block.h"
#include "hw/util.h"

#define MAX_CLUSTER (2u << 20)
#define HEAD_READ (2u << 20) /* read every cluster of this much of the guest view */
#define SPREAD_READS 64
#define CHUNK 65536

static char dir[256], img[300];

/* ---- Watching the driver */

long long __real_blk_pread_full(int fd, void *buf, size_t len, uint64_t off);
FZ_HARNESS long long __wrap_blk_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    struct stat st;
    if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
        /* The longest read the format asks for: a compressed extent of
         * 2^(cluster_bits - 8) sectors, i.e. two clusters. */
        FUZZ_CHECK(len <= 2 * MAX_CLUSTER, "a read of %zu bytes at %llu", len,
                   (unsigned long long)off);
    }
    return __real_blk_pread_full(fd, buf, len, off);
}

int __real_blk_open_backing(const char *path, const char *format, BlockCache cache, int depth,
                            BlockDev **out, char *err, size_t errlen);
int __wrap_blk_open_backing(const char *path, const char *format, BlockCache cache, int depth,
                            BlockDev **out, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) || path[n] != '/' || strstr(path + n, "/..")) {
        *out = NULL;
        return wb_errf(err, errlen, "could not open '%s': outside the fuzzer's directory", path);
    }
    return __real_blk_open_backing(path, format, cache, depth, out, err, errlen);
}

FZ_HARNESS static void check_message(const char *msg, size_t len, const char *what)
{
    const char *bad = fz_bad_message(msg, len);
    FUZZ_CHECK(!bad, "%s message %s: \"%.200s\"", what, bad, msg);
}

/* The driver's run-time errors: formatted and checked (the real one logs
 * the first per image, which the fuzzer does not need). */
int __wrap_blk_runtime_error(BlockDev *b, int err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    check_message(msg, sizeof msg, "run-time error");
    FUZZ_CHECK(err < 0, "run-time error %d for \"%s\"", err, msg);
    if (fz_verbose() && !b->logged_error)
        fprintf(stderr, "fuzz_qcow2: %s: %s\n", b->path, msg);
    b->logged_error = true;
    return err;
}

/* ---- Setup */

FZ_HARNESS static void write_file(const char *path, const uint8_t *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0, "cannot create %s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        FUZZ_CHECK(w > 0, "cannot write %s", path);
        done += (size_t)w;
    }
    close(fd);
}

static void remove_dir(const char *d)
{
    char p[320];
    static const char *names[] = {"img", "raw", "self"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        unlink(p);
    }
    rmdir(d);
}

/* Directories of runs that ended in a crash (abort skips the destructor)
 * whose process is gone. */
static void remove_stale_dirs(const char *base)
{
    DIR *dp = opendir(base);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        int pid;
        char d[300];
        if (sscanf(e->d_name, "wb-fuzz-qcow2-%d", &pid) != 1 || pid <= 0)
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue; /* alive (or not ours to ask about) */
        snprintf(d, sizeof d, "%s/%s", base, e->d_name);
        remove_dir(d);
    }
    closedir(dp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_quiet_logs();
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    remove_stale_dirs(base ? base : "/tmp");
    snprintf(dir, sizeof dir, "%s/wb-fuzz-qcow2-%d", base ? base : "/tmp", (int)getpid());
    mkdir(dir, 0700);
    snprintf(img, sizeof img, "%s/img", dir);
    static uint8_t raw[65536];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)(i * 7 + i / 512);
    char p[320];
    snprintf(p, sizeof p, "%s/raw", dir);
    write_file(p, raw, sizeof raw);
    snprintf(p, sizeof p, "%s/self", dir);
    unlink(p);
    FUZZ_CHECK(symlink("img", p) == 0, "cannot link %s", p);
    return 0;
}

/* Removes the directory when the fuzzer exits. */
__attribute__((destructor)) static void cleanup(void)
{
    if (dir[0])
        remove_dir(dir);
}

/* ---- The run */

static uint8_t buf[CHUNK], back[CHUNK];

static void read_range(BlockDev *b, uint64_t off, size_t len)
{
    int rc = blk_read(b, off, buf, len);
    FUZZ_CHECK(rc == 0 || rc == -EIO, "read of %zu at %llu: %d", len, (unsigned long long)off,
               rc);
}

static void write_check(BlockDev *b, uint64_t off, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed + i * 13);
    int rc = blk_write(b, off, buf, len);
    FUZZ_CHECK(rc == 0 || rc == -EIO || rc == -EPERM, "write of %zu at %llu: %d", len,
               (unsigned long long)off, rc);
    if (rc)
        return;
    rc = blk_read(b, off, back, len);
    FUZZ_CHECK(rc == 0 || rc == -EIO, "read back of %zu at %llu: %d", len,
               (unsigned long long)off, rc);
    if (!rc)
        FUZZ_CHECK(!memcmp(buf, back, len), "%zu bytes written at %llu read back different",
                   len, (unsigned long long)off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_file(img, data, size);
    BlockDev *b = NULL;
    char err[512];
    memset(err, 0x55, sizeof err);
    BlockOpen o = {.format = "qcow2"};
    int rc = blk_open(img, &o, &b, err, sizeof err);
    if (rc) {
        check_message(err, sizeof err, "open");
        FUZZ_CHECK(strstr(err, img), "open error does not name the file: \"%s\"", err);
        FUZZ_CHECK(b == NULL, "a failed open returned a device");
        o.readonly = true;
        memset(err, 0x55, sizeof err);
        rc = blk_open(img, &o, &b, err, sizeof err);
        if (rc) {
            check_message(err, sizeof err, "open");
            FUZZ_CHECK(strstr(err, img), "open error does not name the file: \"%s\"", err);
            if (fz_verbose())
                fprintf(stderr, "fuzz_qcow2: %s\n", err);
            return 0;
        }
    }
    uint64_t vsize = blk_size(b);
    FUZZ_CHECK(vsize % BLK_SECTOR == 0, "virtual size %llu", (unsigned long long)vsize);
    /* The head of the disk, a chunk at a time. */
    uint64_t head = vsize < HEAD_READ ? vsize : HEAD_READ;
    for (uint64_t off = 0; off < head; off += CHUNK)
        read_range(b, off, (size_t)(head - off < CHUNK ? head - off : CHUNK));
    /* Spread over the rest: a sector or a few clusters at a time. */
    if (vsize > head) {
        uint64_t span = vsize - head;
        for (int i = 0; i < SPREAD_READS; i++) {
            uint64_t off = head + (span / SPREAD_READS * i & ~(uint64_t)(BLK_SECTOR - 1));
            size_t len = i & 1 ? CHUNK : BLK_SECTOR;
            if (len > vsize - off)
                len = (size_t)(vsize - off);
            read_range(b, off, len);
        }
    }
    if (!blk_is_readonly(b) && vsize) {
        write_check(b, 0, vsize < 4096 ? (size_t)vsize : 4096, 1);
        write_check(b, vsize / 2 & ~(uint64_t)(BLK_SECTOR - 1), BLK_SECTOR, 2);
        write_check(b, vsize - BLK_SECTOR, BLK_SECTOR, 3);
        if (vsize > 3 * CHUNK)
            write_check(b, CHUNK - BLK_SECTOR, 2 * BLK_SECTOR, 4); /* across clusters */
        rc = blk_flush(b);
        FUZZ_CHECK(rc == 0 || rc == -EIO, "flush: %d", rc);
        /* The first cluster again, after the writes moved things. */
        read_range(b, 0, vsize < CHUNK ? (size_t)vsize : CHUNK);
    }
    if (fz_verbose())
        fprintf(stderr, "fuzz_qcow2: opened %s, %llu bytes\n",
                blk_is_readonly(b) ? "read-only" : "writable", (unsigned long long)vsize);
    blk_close(b);
    return 0;
}
