/* The block layer's front (block/block.h): opening an image with QEMU's
 * format probing, the raw driver, request checks and the host I/O helpers. */
#define _GNU_SOURCE
#include "block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "hw/util.h"

static const struct {
    const char *name;
    BlockCache mode;
} cache_modes[] = {
    {"writeback", BLK_CACHE_WRITEBACK},       {"none", BLK_CACHE_NONE},
    {"writethrough", BLK_CACHE_WRITETHROUGH}, {"directsync", BLK_CACHE_DIRECTSYNC},
    {"unsafe", BLK_CACHE_UNSAFE},
};

int blk_cache_parse(const char *s)
{
    for (size_t i = 0; i < sizeof cache_modes / sizeof cache_modes[0]; i++)
        if (!strcmp(s, cache_modes[i].name))
            return (int)cache_modes[i].mode;
    return -1;
}

/* ------------------------------------------------------------------ host I/O */

long long blk_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (long long)done;
}

int blk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        done += (size_t)n;
    }
    return 0;
}

int blk_runtime_error(BlockDev *b, int err, const char *fmt, ...)
{
    if (!b->logged_error) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        wb_log("%s: %s (the guest sees an I/O error)", b->path, msg);
        b->logged_error = true;
    }
    return err;
}

int blk_open_fd(const char *path, bool readonly, BlockCache cache)
{
    int flags = O_CLOEXEC | (readonly ? O_RDONLY : O_RDWR);
    if (!readonly && (cache == BLK_CACHE_WRITETHROUGH || cache == BLK_CACHE_DIRECTSYNC))
        flags |= O_DSYNC;
    int fd = open(path, flags);
    return fd < 0 ? -errno : fd;
}

/* ------------------------------------------------------------------ raw */

static int raw_read(BlockDev *b, uint64_t off, void *buf, size_t len)
{
    long long n = blk_pread_full(b->fd, buf, len, off);
    if (n < 0)
        return blk_runtime_error(b, -EIO, "read at %llu: %s", (unsigned long long)off,
                                 strerror((int)-n));
    if ((size_t)n < len) /* the file shrank under us: what is gone reads as zeros */
        memset((uint8_t *)buf + n, 0, len - (size_t)n);
    return 0;
}

static int raw_write(BlockDev *b, uint64_t off, const void *buf, size_t len)
{
    int rc = blk_pwrite_full(b->fd, buf, len, off);
    if (rc)
        return blk_runtime_error(b, -EIO, "write at %llu: %s", (unsigned long long)off,
                                 strerror(-rc));
    return 0;
}

static int raw_flush(BlockDev *b)
{
    if (fdatasync(b->fd) && errno != EINVAL && errno != EROFS)
        return blk_runtime_error(b, -EIO, "flush: %s", strerror(errno));
    return 0;
}

static const BlockDriver raw_driver = {
    .name = "raw",
    .read = raw_read,
    .write = raw_write,
    .flush = raw_flush,
};

/* ------------------------------------------------------------------ probing */

/* What QEMU would recognise; all but qcow2 are named in the error only. */
static const struct {
    const char *name;
    const char *magic;
    size_t len;
} formats[] = {
    {"qcow2", "QFI\xfb", 4},
    {"vmdk", "KDMV", 4},
    {"vmdk", "# Disk DescriptorFile", 21},
    {"vpc", "conectix", 8},
    {"vhdx", "vhdxfile", 8},
    {"qed", "QED\0", 4},
    {"luks", "LUKS\xba\xbe", 6},
    {"parallels", "WithoutFreeSpace", 16},
    {"parallels", "WithouFreSpacExt", 16},
    {"cloop", "#!/bin/sh\n#V2.0 Format", 22},
    {"vdi", "<<< Oracle VM VirtualBox Disk Image >>>", 39},
};

/* The format named by the first bytes of an image, or NULL (raw). */
static const char *probe(const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].len && n >= formats[i].len && !memcmp(buf, formats[i].magic, formats[i].len))
            return formats[i].name;
    return NULL;
}

static bool is_qcow2_magic(const uint8_t *buf, size_t n)
{
    return n >= 4 && !memcmp(buf, "QFI\xfb", 4);
}

/* ------------------------------------------------------------------ opening */

static int open_file(const char *path, const char *format, bool readonly, BlockCache cache,
                     bool warn_probe, int depth, BlockDev **out, char *err, size_t errlen)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st))
        return wb_errf(err, errlen, "could not open '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return wb_errf(err, errlen, "could not open '%s': it is a directory", path);
    int fd = blk_open_fd(path, readonly, cache);
    if (fd < 0) {
        if (!readonly && (fd == -EACCES || fd == -EROFS || fd == -EPERM))
            return wb_errf(err, errlen, "could not open '%s' for writing: %s (readonly=on "
                           "or snapshot=on open it without writing)", path, strerror(-fd));
        return wb_errf(err, errlen, "could not open '%s': %s", path, strerror(-fd));
    }
    uint64_t fsize = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        unsigned long long bytes = 0;
        if (ioctl(fd, BLKGETSIZE64, &bytes) == 0)
            fsize = bytes;
    }
    uint8_t head[512];
    long long n = blk_pread_full(fd, head, sizeof head, 0);
    if (n < 0) {
        close(fd);
        return wb_errf(err, errlen, "could not read '%s': %s", path, strerror((int)-n));
    }
    const char *probed = probe(head, (size_t)n);
    if (format && strcmp(format, "raw") && strcmp(format, "qcow2")) {
        close(fd);
        return wb_errf(err, errlen, "'%s': image format '%s' is not supported by wirebox "
                       "(supported: raw, qcow2)", path, format);
    }
    if (!format && probed && strcmp(probed, "qcow2")) {
        close(fd);
        return wb_errf(err, errlen, "'%s' is a %s image; wirebox supports raw and qcow2 "
                       "(convert it with: qemu-img convert -O qcow2 ...)", path, probed);
    }
    BlockDev *b = wb_calloc(1, sizeof *b);
    b->path = wb_strdup(path);
    b->fd = fd;
    b->readonly = readonly;
    b->cache = cache;
    const char *fmt = format ? format : probed ? probed : "raw";
    int rc;
    if (!strcmp(fmt, "qcow2")) {
        if (!is_qcow2_magic(head, (size_t)n)) {
            rc = wb_errf(err, errlen, "'%s' is not a qcow2 image (no QFI\\xfb magic)", path);
        } else {
            rc = qcow2_open(b, depth, err, errlen);
        }
    } else {
        b->drv = &raw_driver;
        b->size = fsize & ~(uint64_t)(BLK_SECTOR - 1);
        rc = 0;
        if (!format) {
            b->probed_raw = true;
            if (warn_probe && !readonly)
                wb_log("warning: Image format was not specified for '%s' and probing guessed "
                       "raw; writes to its sector 0 that would change that are refused "
                       "(give format=raw to lift the restriction)", path);
        }
    }
    if (rc) {
        close(fd);
        free(b->path);
        free(b);
        return 1;
    }
    *out = b;
    return 0;
}

int blk_open(const char *path, const BlockOpen *o, BlockDev **out, char *err, size_t errlen)
{
    BlockDev *b;
    /* With snapshot=on the image itself is only read. */
    bool ro = o->readonly || o->snapshot;
    char why[480];
    if (open_file(path, o->format, ro, o->cache, !o->snapshot, 0, &b, why, sizeof why)) {
        if (o->what)
            return wb_errf(err, errlen, "%s: %s", o->what, why);
        return wb_errf(err, errlen, "%s", why);
    }
    if (o->snapshot && !o->readonly) {
        BlockDev *ov;
        if (overlay_open(b, &ov, why, sizeof why)) {
            blk_close(b);
            return o->what ? wb_errf(err, errlen, "%s: %s", o->what, why)
                           : wb_errf(err, errlen, "%s", why);
        }
        b = ov;
    }
    *out = b;
    return 0;
}

int blk_open_backing(const char *path, const char *format, BlockCache cache, int depth,
                     BlockDev **out, char *err, size_t errlen)
{
    return open_file(path, format, true, cache, false, depth, out, err, errlen);
}

void blk_close(BlockDev *b)
{
    if (!b)
        return;
    if (!b->readonly)
        blk_flush(b);
    if (b->drv && b->drv->close)
        b->drv->close(b);
    if (b->fd >= 0)
        close(b->fd);
    free(b->path);
    free(b);
}

uint64_t blk_size(const BlockDev *b)
{
    return b->size;
}

bool blk_is_readonly(const BlockDev *b)
{
    return b->readonly;
}

const char *blk_path(const BlockDev *b)
{
    return b->path;
}

const char *blk_format(const BlockDev *b)
{
    return b->drv->name;
}

static bool in_range(const BlockDev *b, uint64_t off, size_t len)
{
    return !(off % BLK_SECTOR) && !(len % BLK_SECTOR) && off <= b->size && len <= b->size - off;
}

int blk_read(BlockDev *b, uint64_t off, void *buf, size_t len)
{
    if (!in_range(b, off, len))
        return -EINVAL;
    if (!len)
        return 0;
    return b->drv->read(b, off, buf, len);
}

int blk_write(BlockDev *b, uint64_t off, const void *buf, size_t len)
{
    if (!in_range(b, off, len))
        return -EINVAL;
    if (b->readonly)
        return -EROFS;
    if (!len)
        return 0;
    if (b->probed_raw && off == 0 && probe(buf, len))
        return blk_runtime_error(b, -EPERM, "refused a write that makes sector 0 look like a "
                                 "%s image (probed raw image; give format=raw)",
                                 probe(buf, len));
    return b->drv->write(b, off, buf, len);
}

int blk_flush(BlockDev *b)
{
    if (b->readonly || b->cache == BLK_CACHE_UNSAFE || !b->drv->flush)
        return 0;
    return b->drv->flush(b);
}
