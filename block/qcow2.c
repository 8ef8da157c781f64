/* qcow2 images, versions 2 and 3, after the format's specification
 * (docs/interop/qcow2.txt in QEMU's tree): read and write, zlib-compressed
 * clusters, zero clusters, backing files (a chain of them), refcounts of
 * any width (refcount_order 0-6).
 *
 * Layout in brief: the guest's bytes are split into clusters (2^cluster_bits
 * bytes). A two-level table maps a guest cluster to a host cluster: the L1
 * table (in memory here, written through) points to L2 tables (one cluster
 * each, a few cached), whose entries are a host offset (with the COPIED
 * flag: refcount 1), a compressed cluster (offset and size of a deflate
 * stream), a zero cluster (v3) or nothing (read from the backing file, or
 * zeros). Every host cluster in use has a refcount in a refcount block,
 * found through the refcount table.
 *
 * Writing: a guest write into a cluster that is not yet a plain cluster of
 * this image allocates one (the first free cluster by refcount), fills it
 * with what the guest saw there before (backing file, zeros, decompressed
 * data) and the new data, and only then points the L2 entry at it; an
 * overwritten compressed cluster gives back its references. Refcounts are
 * written before the tables that use them, so a wirebox killed at any
 * moment leaves at worst leaked clusters (which qemu-img check reports as
 * leaks, not errors). Metadata is written through: a FLUSH CACHE only has to
 * fdatasync. Refcount blocks and the refcount table grow as needed.
 *
 * Not supported (a clear error at open): encryption, external data files,
 * extended L2 entries (subclusters), compression types other than zlib,
 * images marked dirty or corrupt (for writing), and writing to images that
 * have internal snapshots (reading them is fine).
 *
 * Everything read from the file is checked before use: table offsets and
 * sizes against the file and the format's limits, entries for alignment and
 * range. A bad one fails the open with a message naming the file, or, met at
 * run time, the guest's request with an I/O error. */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "block/block.h"
#include "hw/bytes.h"
#include "hw/util.h"

/* Header offsets (big-endian fields). */
#define H_MAGIC 0
#define H_VERSION 4
#define H_BACKING_OFFSET 8
#define H_BACKING_SIZE 16
#define H_CLUSTER_BITS 20
#define H_SIZE 24
#define H_CRYPT 32
#define H_L1_SIZE 36
#define H_L1_OFFSET 40
#define H_RT_OFFSET 48
#define H_RT_CLUSTERS 56
#define H_NB_SNAPSHOTS 60
#define H_SNAPSHOTS_OFFSET 64
#define H_INCOMPAT 72
#define H_COMPAT 80
#define H_AUTOCLEAR 88
#define H_REFCOUNT_ORDER 96
#define H_HEADER_LENGTH 100
#define H_COMPRESSION_TYPE 104
#define H_V2_LENGTH 72
#define H_V3_LENGTH 104

#define INCOMPAT_DIRTY (1ull << 0)
#define INCOMPAT_CORRUPT (1ull << 1)
#define INCOMPAT_DATA_FILE (1ull << 2)
#define INCOMPAT_COMPRESSION (1ull << 3)
#define INCOMPAT_EXTL2 (1ull << 4)

#define EXT_END 0
#define EXT_BACKING_FORMAT 0xE2792ACAu

#define OFLAG_COPIED (1ull << 63)
#define OFLAG_COMPRESSED (1ull << 62)
#define OFLAG_ZERO 1ull
#define L1E_OFFSET_MASK 0x00fffffffffffe00ull
#define L2E_OFFSET_MASK 0x00fffffffffffe00ull
#define RT_OFFSET_MASK 0xfffffffffffffe00ull

#define MAX_L1_BYTES (32u << 20)   /* QEMU's limit for the L1 table */
#define MAX_RT_BYTES (8u << 20)    /* and for the refcount table */
#define MAX_HOST_OFFSET (1ull << 56)
#define L2_CACHE 16
#define RB_CACHE 4

typedef struct CacheEnt {
    uint64_t off; /* host offset of the cluster cached, 0 = empty */
    uint64_t used;
    uint8_t *data;
} CacheEnt;

typedef struct Qcow2 {
    BlockDev *b;
    uint32_t version;
    unsigned cluster_bits;
    uint64_t cs; /* cluster size */
    uint64_t l2_entries;
    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *l1; /* host order */
    uint64_t rt_offset;
    uint64_t rt_entries;
    uint64_t *rt; /* host order */
    unsigned refcount_bits;
    uint64_t refcount_max;
    uint64_t rpb; /* refcounts per block */
    uint32_t nb_snapshots;
    BlockDev *backing;
    uint64_t backing_size;
    CacheEnt l2c[L2_CACHE];
    CacheEnt rbc[RB_CACHE];
    uint64_t tick;
    uint64_t free_hint;        /* no free cluster below this one */
    uint64_t resv_lo, resv_hi; /* clusters being placed: not free */
    uint8_t *cbuf;             /* compressed input */
    uint8_t *dbuf;             /* one cluster: decompressed / being written */
    uint64_t dbuf_for;         /* compressed L2 entry dbuf holds, 0 = none */
    z_stream zs;
    bool zs_ready;
} Qcow2;

/* ------------------------------------------------------------------ errors */

#define CORRUPT(q, ...) blk_runtime_error((q)->b, -EIO, "corrupt qcow2 image: " __VA_ARGS__)

static uint64_t file_size(Qcow2 *q)
{
    struct stat st;
    return fstat(q->b->fd, &st) ? 0 : (uint64_t)st.st_size;
}

/* ------------------------------------------------------------------ caches */

/* The cluster at host offset off, through cache c (n entries); NULL with
 * an error logged if it cannot be read. */
static uint8_t *cache_get(Qcow2 *q, CacheEnt *c, int n, uint64_t off, const char *what)
{
    int victim = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].off == off && c[i].data) {
            c[i].used = ++q->tick;
            return c[i].data;
        }
        if (c[i].used < c[victim].used)
            victim = i;
    }
    CacheEnt *e = &c[victim];
    if (!e->data)
        e->data = wb_calloc(1, q->cs);
    e->off = 0;
    long long got = blk_pread_full(q->b->fd, e->data, q->cs, off);
    if (got != (long long)q->cs) {
        if (got < 0)
            blk_runtime_error(q->b, -EIO, "reading the %s at %llu: %s", what,
                              (unsigned long long)off, strerror((int)-got));
        else
            blk_runtime_error(q->b, -EIO, "truncated qcow2 image: the %s at %llu is beyond "
                              "the end of the file", what, (unsigned long long)off);
        return NULL;
    }
    e->off = off;
    e->used = ++q->tick;
    return e->data;
}

/* After writing a fresh cluster at off: the cache holds these bytes. */
static void cache_put(Qcow2 *q, CacheEnt *c, int n, uint64_t off, const uint8_t *data)
{
    int victim = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].off == off) {
            victim = i;
            break;
        }
        if (c[i].used < c[victim].used)
            victim = i;
    }
    CacheEnt *e = &c[victim];
    if (!e->data)
        e->data = wb_calloc(1, q->cs);
    memcpy(e->data, data, q->cs);
    e->off = off;
    e->used = ++q->tick;
}

static void cache_drop(CacheEnt *c, int n, uint64_t off)
{
    for (int i = 0; i < n; i++)
        if (c[i].off == off)
            c[i].off = 0;
}

/* ------------------------------------------------------------------ refcounts */

static bool cluster_ok(Qcow2 *q, uint64_t off)
{
    return off && !(off & (q->cs - 1)) && off < MAX_HOST_OFFSET;
}

static uint64_t rb_get(const Qcow2 *q, const uint8_t *blk, uint64_t i)
{
    switch (q->refcount_bits) {
    case 1: case 2: case 4: {
        unsigned per = 8 / q->refcount_bits;
        return (blk[i / per] >> (q->refcount_bits * (i % per))) & q->refcount_max;
    }
    case 8: return blk[i];
    case 16: return ld16be(blk + 2 * i);
    case 32: return ld32be(blk + 4 * i);
    default: return ld64be(blk + 8 * i);
    }
}

/* Sets entry i of blk; returns the byte offset and length to write back. */
static void rb_set(const Qcow2 *q, uint8_t *blk, uint64_t i, uint64_t v, uint64_t *at,
                   size_t *len)
{
    switch (q->refcount_bits) {
    case 1: case 2: case 4: {
        unsigned per = 8 / q->refcount_bits, sh = q->refcount_bits * (unsigned)(i % per);
        blk[i / per] = (uint8_t)((blk[i / per] & ~(q->refcount_max << sh)) | v << sh);
        *at = i / per;
        *len = 1;
        return;
    }
    case 8: blk[i] = (uint8_t)v; *at = i; *len = 1; return;
    case 16: st16be(blk + 2 * i, (uint16_t)v); *at = 2 * i; *len = 2; return;
    case 32: st32be(blk + 4 * i, (uint32_t)v); *at = 4 * i; *len = 4; return;
    default: st64be(blk + 8 * i, v); *at = 8 * i; *len = 8; return;
    }
}

/* The refcount of host cluster ci into *rc; 0, or -EIO. */
static int refcount_get(Qcow2 *q, uint64_t ci, uint64_t *rc)
{
    uint64_t rti = ci / q->rpb;
    *rc = 0;
    if (rti >= q->rt_entries)
        return 0;
    uint64_t rb = q->rt[rti] & RT_OFFSET_MASK;
    if (!rb)
        return 0;
    if (!cluster_ok(q, rb))
        return CORRUPT(q, "refcount block offset %llu is not cluster-aligned",
                       (unsigned long long)rb);
    uint8_t *blk = cache_get(q, q->rbc, RB_CACHE, rb, "refcount block");
    if (!blk)
        return -EIO;
    *rc = rb_get(q, blk, ci % q->rpb);
    return 0;
}

static int write_rt_entry(Qcow2 *q, uint64_t rti)
{
    uint8_t be[8];
    st64be(be, q->rt[rti]);
    int rc = blk_pwrite_full(q->b->fd, be, 8, q->rt_offset + 8 * rti);
    return rc ? blk_runtime_error(q->b, -EIO, "writing the refcount table: %s", strerror(-rc))
              : 0;
}

static int grow_refcount_table(Qcow2 *q, uint64_t need);
static bool is_metadata(const Qcow2 *q, uint64_t ci);

/* A new refcount block for range rti, placed inside the range it describes
 * (all of whose clusters are free, or it would have a block), avoiding
 * cluster avoid and the reserved window; it counts itself. */
static int new_refcount_block(Qcow2 *q, uint64_t rti, uint64_t avoid)
{
    uint64_t first = rti * q->rpb, ci = first;
    while (ci < first + q->rpb &&
           (ci == avoid || (ci >= q->resv_lo && ci < q->resv_hi) || is_metadata(q, ci)))
        ci++;
    if (ci >= first + q->rpb || ci * q->cs >= MAX_HOST_OFFSET)
        return blk_runtime_error(q->b, -ENOSPC, "no room for a refcount block");
    uint8_t *blk = wb_calloc(1, q->cs);
    uint64_t at;
    size_t len;
    rb_set(q, blk, ci - first, 1, &at, &len);
    int rc = blk_pwrite_full(q->b->fd, blk, q->cs, ci * q->cs);
    if (!rc)
        cache_put(q, q->rbc, RB_CACHE, ci * q->cs, blk);
    free(blk);
    if (rc)
        return blk_runtime_error(q->b, -EIO, "writing a refcount block: %s", strerror(-rc));
    q->rt[rti] = ci * q->cs;
    return write_rt_entry(q, rti);
}

static int refcount_set(Qcow2 *q, uint64_t ci, uint64_t v)
{
    uint64_t rti = ci / q->rpb;
    int rc;
    if (rti >= q->rt_entries && (rc = grow_refcount_table(q, rti + 1)))
        return rc;
    if (!(q->rt[rti] & RT_OFFSET_MASK)) {
        if (!v)
            return 0;
        if ((rc = new_refcount_block(q, rti, ci)))
            return rc;
    }
    uint64_t rb = q->rt[rti] & RT_OFFSET_MASK;
    if (!cluster_ok(q, rb))
        return CORRUPT(q, "refcount block offset %llu is not cluster-aligned",
                       (unsigned long long)rb);
    uint8_t *blk = cache_get(q, q->rbc, RB_CACHE, rb, "refcount block");
    if (!blk)
        return -EIO;
    uint64_t at;
    size_t len;
    rb_set(q, blk, ci % q->rpb, v, &at, &len);
    rc = blk_pwrite_full(q->b->fd, blk + at, len, rb + at);
    if (rc) {
        cache_drop(q->rbc, RB_CACHE, rb);
        return blk_runtime_error(q->b, -EIO, "writing a refcount: %s", strerror(-rc));
    }
    if (!v && ci < q->free_hint)
        q->free_hint = ci;
    return 0;
}

/* Adds delta (+1/-1) to the refcount of host cluster ci. */
static int refcount_add(Qcow2 *q, uint64_t ci, int delta)
{
    uint64_t rc;
    int r = refcount_get(q, ci, &rc);
    if (r)
        return r;
    if ((delta < 0 && rc == 0) || (delta > 0 && rc == q->refcount_max))
        return CORRUPT(q, "refcount of cluster %llu would leave its range",
                       (unsigned long long)ci);
    return refcount_set(q, ci, delta < 0 ? rc - 1 : rc + 1);
}

/* Whether host cluster ci holds metadata the image uses: the header, the
 * L1 table, the refcount table, a refcount block or an L2 table. A corrupt
 * image's refcounts may call such a cluster free; data or a new refcount
 * block written there would destroy the image (QEMU checks for overlaps
 * with metadata before writing, too). */
static bool is_metadata(const Qcow2 *q, uint64_t ci)
{
    uint64_t off = ci * q->cs;
    if (ci == 0)
        return true;
    if (q->l1_size && off >= q->l1_offset && off - q->l1_offset < (uint64_t)q->l1_size * 8)
        return true;
    if (off >= q->rt_offset && off - q->rt_offset < q->rt_entries * 8)
        return true;
    for (uint64_t i = 0; i < q->rt_entries; i++)
        if ((q->rt[i] & RT_OFFSET_MASK) == off)
            return true;
    for (uint32_t i = 0; i < q->l1_size; i++)
        if ((q->l1[i] & L1E_OFFSET_MASK) == off)
            return true;
    return false;
}

/* A free host cluster, its refcount set to 1: *off. */
static int alloc_cluster(Qcow2 *q, uint64_t *off)
{
    for (uint64_t ci = q->free_hint; ci * q->cs < MAX_HOST_OFFSET; ci++) {
        if (ci == 0 || (ci >= q->resv_lo && ci < q->resv_hi))
            continue;
        uint64_t rc;
        int r = refcount_get(q, ci, &rc);
        if (r)
            return r;
        if (rc)
            continue;
        if (is_metadata(q, ci))
            return CORRUPT(q, "cluster %llu holds metadata but its refcount is 0",
                           (unsigned long long)ci);
        if ((r = refcount_set(q, ci, 1)))
            return r;
        /* placing a refcount block may have taken ci itself: look again */
        if ((r = refcount_get(q, ci, &rc)))
            return r;
        if (rc != 1)
            continue;
        q->free_hint = ci + 1;
        *off = ci * q->cs;
        return 0;
    }
    return blk_runtime_error(q->b, -ENOSPC, "the image cannot grow any further");
}

/* The refcount table is too small for range need-1: a bigger one after the
 * end of the file, counted like any cluster, then the header points to it
 * and the old one is freed. */
static int grow_refcount_table(Qcow2 *q, uint64_t need)
{
    uint64_t per_cluster = q->cs / 8;
    uint64_t n = q->rt_entries * 2 > need ? q->rt_entries * 2 : need;
    n = (n + per_cluster - 1) / per_cluster * per_cluster;
    uint64_t nclusters = n / per_cluster;
    if (n * 8 > MAX_RT_BYTES || q->resv_hi)
        return blk_runtime_error(q->b, -ENOSPC, "the refcount table cannot grow any further");
    uint64_t old_off = q->rt_offset, old_clusters = (q->rt_entries * 8 + q->cs - 1) / q->cs;
    uint64_t start = (file_size(q) + q->cs - 1) / q->cs;
    uint64_t *nt = wb_calloc((size_t)n, 8);
    memcpy(nt, q->rt, (size_t)q->rt_entries * 8);
    uint8_t *raw = wb_calloc((size_t)n, 8);
    for (uint64_t i = 0; i < n; i++)
        st64be(raw + 8 * i, nt[i]);
    int rc = blk_pwrite_full(q->b->fd, raw, (size_t)n * 8, start * q->cs);
    free(raw);
    if (rc) {
        free(nt);
        return blk_runtime_error(q->b, -EIO, "writing the refcount table: %s", strerror(-rc));
    }
    free(q->rt);
    q->rt = nt;
    q->rt_entries = n;
    q->rt_offset = start * q->cs;
    q->resv_lo = start;
    q->resv_hi = start + nclusters;
    for (uint64_t c = start; c < start + nclusters && !rc; c++)
        rc = refcount_set(q, c, 1);
    q->resv_lo = q->resv_hi = 0;
    if (rc)
        return rc;
    if (fdatasync(q->b->fd) && errno != EINVAL)
        return blk_runtime_error(q->b, -EIO, "flush: %s", strerror(errno));
    uint8_t hdr[12];
    st64be(hdr, q->rt_offset);
    st32be(hdr + 8, (uint32_t)nclusters);
    if ((rc = blk_pwrite_full(q->b->fd, hdr, sizeof hdr, H_RT_OFFSET)))
        return blk_runtime_error(q->b, -EIO, "writing the header: %s", strerror(-rc));
    for (uint64_t c = 0; c < old_clusters && !rc; c++)
        rc = refcount_set(q, old_off / q->cs + c, 0);
    return rc;
}

/* ------------------------------------------------------------------ mapping */

typedef enum { C_UNALLOC, C_ZERO, C_NORMAL, C_COMPRESSED } CType;

typedef struct Map {
    CType type;
    uint64_t entry; /* the raw L2 entry */
    uint64_t host;  /* C_NORMAL: host offset of the cluster (also a preallocated zero one) */
    uint64_t l2off; /* the L2 table (0: none) */
    uint64_t l2i;
} Map;

static int l2_entry_decode(Qcow2 *q, uint64_t e, Map *m)
{
    m->entry = e;
    m->host = 0;
    if (e & OFLAG_COMPRESSED) {
        m->type = C_COMPRESSED;
        return 0;
    }
    uint64_t off = e & L2E_OFFSET_MASK;
    if (off && (off & (q->cs - 1)))
        return CORRUPT(q, "L2 entry points to unaligned offset %llu", (unsigned long long)off);
    m->host = off;
    if (q->version >= 3 && (e & OFLAG_ZERO))
        m->type = C_ZERO;
    else
        m->type = off ? C_NORMAL : C_UNALLOC;
    return 0;
}

static int map_cluster(Qcow2 *q, uint64_t vci, Map *m)
{
    memset(m, 0, sizeof *m);
    uint64_t l1i = vci / q->l2_entries;
    if (l1i >= q->l1_size)
        return CORRUPT(q, "L1 table too small for guest cluster %llu", (unsigned long long)vci);
    uint64_t l2off = q->l1[l1i] & L1E_OFFSET_MASK;
    if (!l2off) {
        m->type = C_UNALLOC;
        return 0;
    }
    if (!cluster_ok(q, l2off))
        return CORRUPT(q, "L2 table offset %llu is not cluster-aligned",
                       (unsigned long long)l2off);
    uint8_t *l2 = cache_get(q, q->l2c, L2_CACHE, l2off, "L2 table");
    if (!l2)
        return -EIO;
    m->l2off = l2off;
    m->l2i = vci % q->l2_entries;
    return l2_entry_decode(q, ld64be(l2 + 8 * m->l2i), m);
}

/* The compressed data of entry e: host start and byte count. */
static void compressed_extent(const Qcow2 *q, uint64_t e, uint64_t *start, uint64_t *bytes,
                              uint64_t *sec_start, uint64_t *sec_bytes)
{
    unsigned x = 62 - (q->cluster_bits - 8);
    uint64_t off = e & ((1ull << x) - 1);
    uint64_t nsec = ((e >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;
    *start = off;
    *bytes = nsec * 512 - (off & 511);
    *sec_start = off & ~511ull;
    *sec_bytes = nsec * 512;
}

/* Decompresses the cluster of entry e into q->dbuf. */
static int read_compressed(Qcow2 *q, uint64_t e)
{
    if (q->dbuf_for == e)
        return 0;
    uint64_t start, bytes, ss, sb;
    compressed_extent(q, e, &start, &bytes, &ss, &sb);
    if (!start || start >= MAX_HOST_OFFSET)
        return CORRUPT(q, "compressed cluster at offset %llu", (unsigned long long)start);
    long long got = blk_pread_full(q->b->fd, q->cbuf, (size_t)bytes, start);
    if (got < 0)
        return blk_runtime_error(q->b, -EIO, "reading a compressed cluster: %s",
                                 strerror((int)-got));
    if (got == 0)
        return blk_runtime_error(q->b, -EIO, "truncated qcow2 image: a compressed cluster at "
                                 "%llu is beyond the end of the file", (unsigned long long)start);
    if (!q->zs_ready) {
        memset(&q->zs, 0, sizeof q->zs);
        if (inflateInit2(&q->zs, -15) != Z_OK)
            return blk_runtime_error(q->b, -EIO, "zlib: cannot initialise");
        q->zs_ready = true;
    } else {
        inflateReset(&q->zs);
    }
    q->zs.next_in = q->cbuf;
    q->zs.avail_in = (uInt)got;
    q->zs.next_out = q->dbuf;
    q->zs.avail_out = (uInt)q->cs;
    int zr = inflate(&q->zs, Z_FINISH);
    if (!((zr == Z_STREAM_END || zr == Z_BUF_ERROR) && q->zs.avail_out == 0)) {
        q->dbuf_for = 0;
        return CORRUPT(q, "compressed cluster at %llu does not inflate to a cluster",
                       (unsigned long long)start);
    }
    q->dbuf_for = e;
    return 0;
}

/* Guest bytes of cluster vci, [o, o+n) within it, into buf, for a cluster
 * that is not C_NORMAL. */
static int read_other(Qcow2 *q, const Map *m, uint64_t vci, uint64_t o, size_t n, uint8_t *buf)
{
    switch (m->type) {
    case C_ZERO:
        memset(buf, 0, n);
        return 0;
    case C_COMPRESSED: {
        int rc = read_compressed(q, m->entry);
        if (!rc)
            memcpy(buf, q->dbuf + o, n);
        return rc;
    }
    default: {
        uint64_t g = vci * q->cs + o;
        memset(buf, 0, n);
        if (!q->backing || g >= q->backing_size)
            return 0;
        uint64_t bn = q->backing_size - g < n ? q->backing_size - g : n;
        return blk_read(q->backing, g, buf, (size_t)bn);
    }
    }
}

static int q_read(BlockDev *b, uint64_t off, void *vbuf, size_t len)
{
    Qcow2 *q = b->opaque;
    uint8_t *buf = vbuf;
    while (len) {
        uint64_t vci = off / q->cs, o = off % q->cs;
        size_t n = (size_t)(q->cs - o < len ? q->cs - o : len);
        Map m;
        int rc = map_cluster(q, vci, &m);
        if (rc)
            return rc;
        if (m.type != C_NORMAL) {
            if ((rc = read_other(q, &m, vci, o, n, buf)))
                return rc;
        } else {
            /* one pread for a run of clusters that are contiguous on the host */
            uint64_t host = m.host + o;
            size_t run = n;
            while (run < len) {
                Map nx;
                if (map_cluster(q, vci + 1, &nx) || nx.type != C_NORMAL ||
                    nx.host != m.host + q->cs)
                    break;
                size_t more = (size_t)(q->cs < len - run ? q->cs : len - run);
                run += more;
                vci++;
                m = nx;
            }
            long long got = blk_pread_full(b->fd, buf, run, host);
            if (got < 0)
                return blk_runtime_error(b, -EIO, "read at %llu: %s", (unsigned long long)host,
                                         strerror((int)-got));
            if ((size_t)got < run)
                return blk_runtime_error(b, -EIO, "truncated qcow2 image: data cluster at %llu "
                                         "is beyond the end of the file",
                                         (unsigned long long)(host + (uint64_t)got));
            n = run;
        }
        buf += n;
        off += n;
        len -= n;
    }
    return 0;
}

/* ------------------------------------------------------------------ writing */

/* Sets L2 entry l2i of the table at l2off to v, in the file and the cache. */
static int set_l2_entry(Qcow2 *q, uint64_t l2off, uint64_t l2i, uint64_t v)
{
    uint8_t *l2 = cache_get(q, q->l2c, L2_CACHE, l2off, "L2 table");
    if (!l2)
        return -EIO;
    st64be(l2 + 8 * l2i, v);
    int rc = blk_pwrite_full(q->b->fd, l2 + 8 * l2i, 8, l2off + 8 * l2i);
    if (rc) {
        cache_drop(q->l2c, L2_CACHE, l2off);
        return blk_runtime_error(q->b, -EIO, "writing an L2 table: %s", strerror(-rc));
    }
    return 0;
}

/* The L2 table for guest cluster vci, allocated if there is none. */
static int l2_for_write(Qcow2 *q, uint64_t vci, uint64_t *l2off)
{
    uint64_t l1i = vci / q->l2_entries;
    if (l1i >= q->l1_size)
        return CORRUPT(q, "L1 table too small for guest cluster %llu", (unsigned long long)vci);
    uint64_t e = q->l1[l1i];
    uint64_t off = e & L1E_OFFSET_MASK;
    if (off) {
        if (!cluster_ok(q, off))
            return CORRUPT(q, "L2 table offset %llu is not cluster-aligned",
                           (unsigned long long)off);
        if (!(e & OFLAG_COPIED)) {
            uint64_t rc;
            int r = refcount_get(q, off / q->cs, &rc);
            if (r)
                return r;
            if (rc != 1)
                return CORRUPT(q, "L2 table at %llu is shared (refcount %llu)",
                               (unsigned long long)off, (unsigned long long)rc);
        }
        *l2off = off;
        return 0;
    }
    int rc = alloc_cluster(q, &off);
    if (rc)
        return rc;
    memset(q->dbuf, 0, q->cs);
    q->dbuf_for = 0;
    if ((rc = blk_pwrite_full(q->b->fd, q->dbuf, q->cs, off)))
        return blk_runtime_error(q->b, -EIO, "writing an L2 table: %s", strerror(-rc));
    cache_put(q, q->l2c, L2_CACHE, off, q->dbuf);
    q->l1[l1i] = off | OFLAG_COPIED;
    uint8_t be[8];
    st64be(be, q->l1[l1i]);
    if ((rc = blk_pwrite_full(q->b->fd, be, 8, q->l1_offset + 8 * l1i)))
        return blk_runtime_error(q->b, -EIO, "writing the L1 table: %s", strerror(-rc));
    *l2off = off;
    return 0;
}

/* Gives back the references of a compressed cluster's data. */
static int free_compressed(Qcow2 *q, uint64_t e)
{
    uint64_t start, bytes, ss, sb;
    compressed_extent(q, e, &start, &bytes, &ss, &sb);
    for (uint64_t c = ss / q->cs; c <= (ss + sb - 1) / q->cs; c++) {
        int rc = refcount_add(q, c, -1);
        if (rc)
            return rc;
    }
    return 0;
}

static int write_cluster(Qcow2 *q, uint64_t vci, uint64_t o, size_t n, const uint8_t *buf)
{
    Map m;
    int rc = map_cluster(q, vci, &m);
    if (rc)
        return rc;
    if ((m.type == C_NORMAL || (m.type == C_ZERO && m.host)) && is_metadata(q, m.host / q->cs))
        return CORRUPT(q, "the data cluster at %llu is the image's metadata",
                       (unsigned long long)m.host);
    if (m.type == C_NORMAL) {
        if (!(m.entry & OFLAG_COPIED)) {
            uint64_t r;
            if ((rc = refcount_get(q, m.host / q->cs, &r)))
                return rc;
            if (r != 1)
                return CORRUPT(q, "data cluster at %llu is shared (refcount %llu)",
                               (unsigned long long)m.host, (unsigned long long)r);
        }
        rc = blk_pwrite_full(q->b->fd, buf, n, m.host + o);
        return rc ? blk_runtime_error(q->b, -EIO, "write: %s", strerror(-rc)) : 0;
    }
    uint64_t l2off = 0;
    if ((rc = l2_for_write(q, vci, &l2off)))
        return rc;
    /* The whole cluster as the guest will see it. */
    uint8_t *cl = wb_calloc(1, q->cs);
    if (n < q->cs) {
        if ((rc = read_other(q, &m, vci, 0, (size_t)q->cs, cl))) {
            free(cl);
            return rc;
        }
    }
    memcpy(cl + o, buf, n);
    uint64_t host;
    bool prealloc = m.type == C_ZERO && m.host && cluster_ok(q, m.host);
    if (prealloc) {
        uint64_t r;
        if ((rc = refcount_get(q, m.host / q->cs, &r))) {
            free(cl);
            return rc;
        }
        prealloc = r == 1;
    }
    host = m.host;
    if (!prealloc && (rc = alloc_cluster(q, &host))) {
        free(cl);
        return rc;
    }
    rc = blk_pwrite_full(q->b->fd, cl, q->cs, host);
    free(cl);
    if (rc)
        return blk_runtime_error(q->b, -EIO, "write: %s", strerror(-rc));
    if ((rc = set_l2_entry(q, l2off, vci % q->l2_entries, host | OFLAG_COPIED)))
        return rc;
    if (m.type == C_COMPRESSED) {
        if (q->dbuf_for == m.entry)
            q->dbuf_for = 0;
        return free_compressed(q, m.entry);
    }
    if (m.type == C_ZERO && m.host && !prealloc && cluster_ok(q, m.host))
        return refcount_add(q, m.host / q->cs, -1);
    return 0;
}

static int q_write(BlockDev *b, uint64_t off, const void *vbuf, size_t len)
{
    Qcow2 *q = b->opaque;
    const uint8_t *buf = vbuf;
    while (len) {
        uint64_t vci = off / q->cs, o = off % q->cs;
        size_t n = (size_t)(q->cs - o < len ? q->cs - o : len);
        int rc = write_cluster(q, vci, o, n, buf);
        if (rc)
            return rc;
        buf += n;
        off += n;
        len -= n;
    }
    return 0;
}

static int q_flush(BlockDev *b)
{
    if (fdatasync(b->fd) && errno != EINVAL && errno != EROFS)
        return blk_runtime_error(b, -EIO, "flush: %s", strerror(errno));
    return 0;
}

static void q_close(BlockDev *b)
{
    Qcow2 *q = b->opaque;
    if (!q)
        return;
    blk_close(q->backing);
    for (int i = 0; i < L2_CACHE; i++)
        free(q->l2c[i].data);
    for (int i = 0; i < RB_CACHE; i++)
        free(q->rbc[i].data);
    if (q->zs_ready)
        inflateEnd(&q->zs);
    free(q->l1);
    free(q->rt);
    free(q->cbuf);
    free(q->dbuf);
    free(q);
    b->opaque = NULL;
}

static const BlockDriver qcow2_driver = {
    .name = "qcow2",
    .read = q_read,
    .write = q_write,
    .flush = q_flush,
    .close = q_close,
};

/* ------------------------------------------------------------------ opening */

static int load_table(BlockDev *b, uint64_t off, uint64_t entries, uint64_t fsize,
                      uint64_t **out, const char *what, char *err, size_t errlen)
{
    uint64_t bytes = entries * 8;
    if (off + bytes > fsize)
        return wb_errf(err, errlen, "'%s': truncated qcow2 image: the %s (%llu bytes at %llu) "
                       "ends beyond the end of the file (%llu bytes)", b->path, what,
                       (unsigned long long)bytes, (unsigned long long)off,
                       (unsigned long long)fsize);
    uint8_t *raw = wb_calloc((size_t)entries + 1, 8);
    long long got = blk_pread_full(b->fd, raw, (size_t)bytes, off);
    if (got != (long long)bytes) {
        free(raw);
        return wb_errf(err, errlen, "'%s': cannot read the %s: %s", b->path, what,
                       got < 0 ? strerror((int)-got) : "short read");
    }
    uint64_t *t = wb_calloc((size_t)entries + 1, 8);
    for (uint64_t i = 0; i < entries; i++)
        t[i] = ld64be(raw + 8 * i);
    free(raw);
    *out = t;
    return 0;
}

static int open_backing(Qcow2 *q, const uint8_t *hdr, uint32_t hdr_len, uint64_t fsize,
                        int depth, char *err, size_t errlen)
{
    BlockDev *b = q->b;
    uint64_t boff = ld64be(hdr + H_BACKING_OFFSET);
    uint32_t blen = ld32be(hdr + H_BACKING_SIZE);
    if (!boff)
        return 0;
    if (blen == 0 || blen > 1023 || boff + blen > q->cs || boff + blen > fsize)
        return wb_errf(err, errlen, "'%s': corrupt qcow2 image: bad backing file name "
                       "(%u bytes at %llu)", b->path, blen, (unsigned long long)boff);
    char name[1024];
    if (blk_pread_full(b->fd, name, blen, boff) != blen)
        return wb_errf(err, errlen, "'%s': cannot read the backing file name", b->path);
    name[blen] = '\0';
    if (memchr(name, '\0', blen))
        return wb_errf(err, errlen, "'%s': corrupt qcow2 image: the backing file name has a "
                       "NUL byte", b->path);
    /* The backing format from the header extensions, if any. */
    char fmt[32] = "";
    uint64_t pos = q->version >= 3 ? hdr_len : H_V2_LENGTH;
    uint64_t end = boff < q->cs ? boff : q->cs;
    for (int guard = 0; pos + 8 <= end && guard < 256; guard++) {
        uint8_t eh[8];
        if (blk_pread_full(b->fd, eh, 8, pos) != 8)
            break;
        uint32_t type = ld32be(eh), len = ld32be(eh + 4);
        if (type == EXT_END)
            break;
        if (pos + 8 + len > end)
            return wb_errf(err, errlen, "'%s': corrupt qcow2 image: header extension 0x%08x "
                           "runs past the header", b->path, type);
        if (type == EXT_BACKING_FORMAT) {
            if (len == 0 || len >= sizeof fmt ||
                blk_pread_full(b->fd, fmt, len, pos + 8) != len)
                return wb_errf(err, errlen, "'%s': corrupt qcow2 image: bad backing format "
                               "extension", b->path);
            fmt[len] = '\0';
        }
        pos += 8 + ((uint64_t)len + 7) / 8 * 8;
    }
    if (depth + 1 >= BLK_MAX_BACKING_DEPTH)
        return wb_errf(err, errlen, "'%s': backing file chain longer than %d images (a loop?)",
                       b->path, BLK_MAX_BACKING_DEPTH);
    char *path;
    if (name[0] == '/' || strstr(name, "://")) {
        path = wb_strdup(name);
    } else {
        char *copy = wb_strdup(b->path);
        path = wb_asprintf("%s/%s", dirname(copy), name);
        free(copy);
    }
    char why[400];
    int rc = blk_open_backing(path, fmt[0] ? fmt : NULL, b->cache, depth + 1, &q->backing, why,
                              sizeof why);
    if (rc)
        wb_errf(err, errlen, "'%s': backing file: %s", b->path, why);
    free(path);
    if (rc)
        return 1;
    q->backing_size = blk_size(q->backing);
    return 0;
}

int qcow2_open(BlockDev *b, int depth, char *err, size_t errlen)
{
    uint8_t hdr[H_V3_LENGTH + 8];
    memset(hdr, 0, sizeof hdr);
    struct stat st;
    if (fstat(b->fd, &st))
        return wb_errf(err, errlen, "'%s': %s", b->path, strerror(errno));
    uint64_t fsize = (uint64_t)st.st_size;
    long long got = blk_pread_full(b->fd, hdr, sizeof hdr, 0);
    if (got < H_V2_LENGTH)
        return wb_errf(err, errlen, "'%s': truncated qcow2 image: the header needs %d bytes, "
                       "the file has %lld", b->path, H_V2_LENGTH, got < 0 ? 0 : got);
    uint32_t version = ld32be(hdr + H_VERSION);
    if (version == 1)
        return wb_errf(err, errlen, "'%s' is a qcow (version 1) image; wirebox supports qcow2 "
                       "(convert it with: qemu-img convert -O qcow2 ...)", b->path);
    if (version != 2 && version != 3)
        return wb_errf(err, errlen, "'%s': unsupported qcow2 version %u", b->path, version);
    uint32_t hdr_len = H_V2_LENGTH;
    uint64_t incompat = 0, autoclear = 0;
    uint32_t refcount_order = 4;
    if (version == 3) {
        if (got < H_V3_LENGTH)
            return wb_errf(err, errlen, "'%s': truncated qcow2 image: the header needs %d "
                           "bytes", b->path, H_V3_LENGTH);
        hdr_len = ld32be(hdr + H_HEADER_LENGTH);
        incompat = ld64be(hdr + H_INCOMPAT);
        autoclear = ld64be(hdr + H_AUTOCLEAR);
        refcount_order = ld32be(hdr + H_REFCOUNT_ORDER);
        if (hdr_len < H_V3_LENGTH || hdr_len % 8)
            return wb_errf(err, errlen, "'%s': corrupt qcow2 image: header length %u",
                           b->path, hdr_len);
    }
    unsigned cluster_bits = ld32be(hdr + H_CLUSTER_BITS);
    if (cluster_bits < 9 || cluster_bits > 21)
        return wb_errf(err, errlen, "'%s': corrupt qcow2 image: cluster size 2^%u (must be "
                       "512 bytes to 2 MiB)", b->path, cluster_bits);
    uint64_t cs = 1ull << cluster_bits;
    if (hdr_len > cs)
        return wb_errf(err, errlen, "'%s': corrupt qcow2 image: header longer than a cluster",
                       b->path);
    if (incompat & INCOMPAT_DATA_FILE)
        return wb_errf(err, errlen, "'%s': qcow2 images with an external data file are not "
                       "supported", b->path);
    if (incompat & INCOMPAT_EXTL2)
        return wb_errf(err, errlen, "'%s': qcow2 images with extended L2 entries "
                       "(subclusters) are not supported", b->path);
    if (incompat & INCOMPAT_COMPRESSION) {
        uint8_t ct = hdr_len > H_COMPRESSION_TYPE ? hdr[H_COMPRESSION_TYPE] : 0;
        if (ct != 0)
            return wb_errf(err, errlen, "'%s': qcow2 compression type %s is not supported "
                           "(only zlib)", b->path, ct == 1 ? "zstd" : "unknown");
    }
    if (incompat & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION))
        return wb_errf(err, errlen, "'%s': qcow2 image has unknown incompatible features "
                       "0x%llx", b->path, (unsigned long long)incompat);
    if (incompat & INCOMPAT_DIRTY)
        return wb_errf(err, errlen, "'%s': qcow2 image is marked dirty (refcounts not up to "
                       "date); repair it with: qemu-img check -r all '%s'", b->path, b->path);
    if ((incompat & INCOMPAT_CORRUPT) && !b->readonly)
        return wb_errf(err, errlen, "'%s': qcow2 image is marked corrupt; repair it with "
                       "qemu-img check -r all, or open it with readonly=on", b->path);
    if (ld32be(hdr + H_CRYPT))
        return wb_errf(err, errlen, "'%s': encrypted qcow2 images are not supported", b->path);
    if (refcount_order > 6)
        return wb_errf(err, errlen, "'%s': corrupt qcow2 image: refcount order %u", b->path,
                       refcount_order);
    uint64_t size = ld64be(hdr + H_SIZE);
    if (size > (1ull << 55))
        return wb_errf(err, errlen, "'%s': corrupt qcow2 image: virtual size %llu", b->path,
                       (unsigned long long)size);
    uint32_t nb_snapshots = ld32be(hdr + H_NB_SNAPSHOTS);
    if (nb_snapshots && !b->readonly)
        return wb_errf(err, errlen, "'%s': writing qcow2 images with internal snapshots is "
                       "not supported (use snapshot=on or readonly=on)", b->path);

    Qcow2 *q = wb_calloc(1, sizeof *q);
    q->b = b;
    q->version = version;
    q->cluster_bits = cluster_bits;
    q->cs = cs;
    q->l2_entries = cs / 8;
    q->refcount_bits = 1u << refcount_order;
    q->refcount_max = q->refcount_bits == 64 ? UINT64_MAX : (1ull << q->refcount_bits) - 1;
    q->rpb = cs * 8 / q->refcount_bits;
    q->nb_snapshots = nb_snapshots;
    b->opaque = q;
    b->drv = &qcow2_driver;
    b->size = size & ~(uint64_t)(BLK_SECTOR - 1);

    q->l1_size = ld32be(hdr + H_L1_SIZE);
    q->l1_offset = ld64be(hdr + H_L1_OFFSET);
    uint64_t l1_need = (size + cs * q->l2_entries - 1) / (cs * q->l2_entries);
    int rc = 0;
    if ((uint64_t)q->l1_size * 8 > MAX_L1_BYTES)
        rc = wb_errf(err, errlen, "'%s': corrupt qcow2 image: L1 table of %u entries is too "
                     "large", b->path, q->l1_size);
    else if (q->l1_size < l1_need)
        rc = wb_errf(err, errlen, "'%s': corrupt qcow2 image: L1 table of %u entries is too "
                     "small for %llu bytes", b->path, q->l1_size, (unsigned long long)size);
    else if (q->l1_size && (q->l1_offset & (cs - 1)))
        rc = wb_errf(err, errlen, "'%s': corrupt qcow2 image: L1 table offset %llu is not "
                     "cluster-aligned", b->path, (unsigned long long)q->l1_offset);
    if (!rc)
        rc = load_table(b, q->l1_offset, q->l1_size, fsize, &q->l1, "L1 table", err, errlen);
    if (!rc) {
        q->rt_offset = ld64be(hdr + H_RT_OFFSET);
        uint32_t rt_clusters = ld32be(hdr + H_RT_CLUSTERS);
        if (!rt_clusters || (uint64_t)rt_clusters * cs > MAX_RT_BYTES)
            rc = wb_errf(err, errlen, "'%s': corrupt qcow2 image: refcount table of %u "
                         "clusters", b->path, rt_clusters);
        else if (!q->rt_offset || (q->rt_offset & (cs - 1)))
            rc = wb_errf(err, errlen, "'%s': corrupt qcow2 image: refcount table offset %llu "
                         "is not cluster-aligned", b->path, (unsigned long long)q->rt_offset);
        q->rt_entries = (uint64_t)rt_clusters * cs / 8;
        if (!rc)
            rc = load_table(b, q->rt_offset, q->rt_entries, fsize, &q->rt, "refcount table",
                            err, errlen);
    }
    if (!rc) {
        /* A compressed cluster's extent is up to 2^(cluster_bits - 8)
         * sectors from the one it starts in: two clusters. */
        q->cbuf = wb_calloc(1, 2 * cs);
        q->dbuf = wb_calloc(1, cs);
        q->free_hint = 1;
        rc = open_backing(q, hdr, hdr_len, fsize, depth, err, errlen);
    }
    if (!rc && !b->readonly && autoclear) {
        /* Bits we do not understand must be cleared by a writer. */
        uint8_t zero[8] = {0};
        if (blk_pwrite_full(b->fd, zero, 8, H_AUTOCLEAR))
            rc = wb_errf(err, errlen, "'%s': cannot write the header", b->path);
    }
    if (rc) {
        q_close(b);
        b->drv = NULL;
        return 1;
    }
    return 0;
}
