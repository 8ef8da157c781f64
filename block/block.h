/* The block layer: a disk or CD image as a device model sees it, an array
 * of bytes of a fixed size that it reads, writes and flushes.
 *
 * Formats (one driver each): raw files and block devices (block.c), qcow2
 * versions 2 and 3 with compressed clusters and backing files (qcow2.c).
 * snapshot=on puts a temporary overlay in front of the image (overlay.c):
 * writes go to an unlinked file in $TMPDIR, never to the image.
 *
 * I/O is synchronous: a device calls blk_read/blk_write on the CPU thread
 * and the guest's time stands still meanwhile. Requests are whole 512-byte
 * sectors (offset and length multiples of BLK_SECTOR) inside the device's
 * size; a device passes a whole command's data in one call, so one guest
 * request is one host pread/pwrite where the image layout allows.
 *
 * Errors a guest can cause at run time (an image that turns out corrupt
 * where it reads it, a host I/O error) return -errno; the driver logs one
 * line naming the file the first time. Errors at open return 1 with one
 * line naming the file. Nothing here aborts. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLK_SECTOR 512u

/* QEMU's cache= modes. What each means here:
 *   writeback (default), none: writes go to the host file; a guest's FLUSH
 *       CACHE makes them durable (fdatasync)
 *   writethrough, directsync: every write is durable before it completes
 *       (O_DSYNC)
 *   unsafe: flushes are ignored
 * wirebox does not bypass the host page cache (no O_DIRECT) for none and
 * directsync; what the guest sees and what survives a crash is the same. */
typedef enum {
    BLK_CACHE_WRITEBACK,
    BLK_CACHE_NONE,
    BLK_CACHE_WRITETHROUGH,
    BLK_CACHE_DIRECTSYNC,
    BLK_CACHE_UNSAFE,
} BlockCache;

/* cache= spelling -> mode; -1 if not a mode. */
int blk_cache_parse(const char *s);

typedef struct BlockOpen {
    const char *format; /* "raw", "qcow2", or NULL: probe as QEMU does */
    bool readonly;
    bool snapshot;      /* writes go to a temporary overlay */
    BlockCache cache;
    const char *what;   /* the option, for messages ("-hda", "-drive file=x"); may be NULL */
} BlockOpen;

typedef struct BlockDev BlockDev;

/* Opens path. Returns 0 with *out, or 1 with one line in err naming the
 * file and the problem. Probing a raw image that will be written warns, as
 * QEMU does, and refuses writes to sector 0 that would make it look like a
 * qcow2 image. */
int blk_open(const char *path, const BlockOpen *o, BlockDev **out, char *err, size_t errlen);
/* Flushes (unless cache=unsafe) and closes; NULL is fine. */
void blk_close(BlockDev *b);

uint64_t blk_size(const BlockDev *b);    /* bytes the guest sees */
bool blk_is_readonly(const BlockDev *b); /* readonly=on (snapshot=on images are writable) */
const char *blk_path(const BlockDev *b);
const char *blk_format(const BlockDev *b); /* "raw", "qcow2" */

/* 0, or -errno (-EINVAL: not sector-aligned or beyond the end; -EROFS:
 * read-only; -EIO: corrupt image or host error; -EPERM: a probed raw image's
 * sector 0 would become another format). */
int blk_read(BlockDev *b, uint64_t offset, void *buf, size_t len);
int blk_write(BlockDev *b, uint64_t offset, const void *buf, size_t len);
/* Makes every completed write durable (fdatasync), as cache= says. */
int blk_flush(BlockDev *b);

/* ---- For drivers (block.c, qcow2.c, overlay.c). */
typedef struct BlockDriver {
    const char *name;
    /* Reads/writes [offset, offset+len) of the guest view; aligned, in range. */
    int (*read)(BlockDev *b, uint64_t offset, void *buf, size_t len);
    int (*write)(BlockDev *b, uint64_t offset, const void *buf, size_t len);
    int (*flush)(BlockDev *b);
    void (*close)(BlockDev *b);
} BlockDriver;

struct BlockDev {
    const BlockDriver *drv;
    void *opaque;       /* the driver's state */
    char *path;
    int fd;             /* the file (-1 for an overlay) */
    uint64_t size;      /* guest-visible bytes */
    bool readonly;      /* no writes accepted */
    bool probed_raw;    /* format guessed as raw: guard sector 0 */
    BlockCache cache;
    bool logged_error;  /* one run-time error line per image */
};

/* Host I/O helpers: whole transfers, EINTR retried. pread_full returns the
 * bytes read (short only at end of file) or -errno; pwrite_full 0 or -errno. */
long long blk_pread_full(int fd, void *buf, size_t len, uint64_t off);
int blk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* Logs "wirebox: PATH: message" once per image; returns err. */
int blk_runtime_error(BlockDev *b, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Opens path read-only or read-write with cache's flags; -errno on failure. */
int blk_open_fd(const char *path, bool readonly, BlockCache cache);
/* The qcow2 driver (qcow2.c): opens the already opened fd as qcow2 into b
 * (b->path, b->fd, b->readonly, b->cache set); depth counts backing files.
 * 0, or 1 with err. */
int qcow2_open(BlockDev *b, int depth, char *err, size_t errlen);
/* Opens a backing file of a qcow2 image (read-only), format "raw",
 * "qcow2" or NULL (probe). */
int blk_open_backing(const char *path, const char *format, BlockCache cache, int depth,
                     BlockDev **out, char *err, size_t errlen);
/* The snapshot=on overlay over base (overlay.c); it takes base over. */
int overlay_open(BlockDev *base, BlockDev **out, char *err, size_t errlen);
#define BLK_MAX_BACKING_DEPTH 16
