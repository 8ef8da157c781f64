/* snapshot=on: a temporary overlay in front of an image. Writes go to an
 * unlinked sparse file in $TMPDIR (or /var/tmp) at the same offsets; a bitmap
 * with one bit per 512-byte sector says which sectors the overlay holds.
 * Reads take each run of sectors from the overlay or from the image below,
 * which is opened read-only and never written. The overlay is gone when
 * wirebox exits, as QEMU's is. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"
#include "hw/util.h"

typedef struct Overlay {
    BlockDev *base;
    uint8_t *map; /* bit per sector: 1 = in the overlay file */
} Overlay;

static bool in_overlay(const Overlay *o, uint64_t s)
{
    return (o->map[s >> 3] >> (s & 7)) & 1;
}

static int ov_read(BlockDev *b, uint64_t off, void *buf, size_t len)
{
    Overlay *o = b->opaque;
    uint64_t s = off / BLK_SECTOR, end = (off + len) / BLK_SECTOR;
    uint8_t *p = buf;
    while (s < end) {
        bool mine = in_overlay(o, s);
        uint64_t e = s + 1;
        while (e < end && in_overlay(o, e) == mine)
            e++;
        size_t n = (size_t)(e - s) * BLK_SECTOR;
        int rc;
        if (mine) {
            long long got = blk_pread_full(b->fd, p, n, s * BLK_SECTOR);
            rc = got == (long long)n ? 0
                                     : blk_runtime_error(b, -EIO, "temporary overlay read failed");
        } else {
            rc = blk_read(o->base, s * BLK_SECTOR, p, n);
        }
        if (rc)
            return rc;
        p += n;
        s = e;
    }
    return 0;
}

static int ov_write(BlockDev *b, uint64_t off, const void *buf, size_t len)
{
    Overlay *o = b->opaque;
    int rc = blk_pwrite_full(b->fd, buf, len, off);
    if (rc)
        return blk_runtime_error(b, -EIO, "temporary overlay write failed: %s", strerror(-rc));
    for (uint64_t s = off / BLK_SECTOR; s < (off + len) / BLK_SECTOR; s++)
        o->map[s >> 3] |= (uint8_t)(1u << (s & 7));
    return 0;
}

static void ov_close(BlockDev *b)
{
    Overlay *o = b->opaque;
    blk_close(o->base);
    free(o->map);
    free(o);
}

static const BlockDriver overlay_driver = {
    .name = "overlay",
    .read = ov_read,
    .write = ov_write,
    .close = ov_close,
};

int overlay_open(BlockDev *base, BlockDev **out, char *err, size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/var/tmp";
    char *tmpl = wb_asprintf("%s/wirebox-snapshot-XXXXXX", dir);
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(tmpl);
        return wb_errf(err, errlen, "snapshot=on: cannot create a temporary overlay in %s: %s",
                       dir, strerror(e));
    }
    unlink(tmpl);
    free(tmpl);
    Overlay *o = wb_calloc(1, sizeof *o);
    o->base = base;
    uint64_t sectors = base->size / BLK_SECTOR;
    o->map = wb_calloc((size_t)(sectors / 8 + 1), 1);
    BlockDev *b = wb_calloc(1, sizeof *b);
    b->drv = &overlay_driver;
    b->opaque = o;
    b->path = wb_strdup(base->path);
    b->fd = fd;
    b->size = base->size;
    b->cache = BLK_CACHE_UNSAFE; /* nothing in it outlives the run */
    *out = b;
    return 0;
}
