/* QEMU's firmware configuration device (fw_cfg) on x86 I/O ports: a
 * selector (0x510), a data port (0x511) and the DMA address register
 * (0x514-0x51B). Modelled: the traditional interface and DMA with READ,
 * SKIP and SELECT, the file directory, the signature and ID items. Not
 * modelled: guest writes (the data port ignores them, a DMA WRITE answers
 * with the error bit: no item is writable), the MMIO variant of other
 * architectures.
 *
 * The guest is hostile: a DMA structure or buffer outside RAM ends the
 * transfer with FW_CFG_DMA_CTL_ERROR (or, when the structure itself cannot
 * be read, with nothing at all: there is nowhere to report), never touches
 * anything but RAM, and a transfer's length is bounded by what RAM holds. */
#include "hw/fw_cfg.h"

#include <string.h>

#include "hw/bytes.h"

typedef struct FwCfgItem {
    uint16_t key;
    uint8_t *data; /* machine_zalloc'd copy */
    uint32_t len;
    char name[FW_CFG_MAX_NAME]; /* files only */
    FwCfgSelectCb select_cb;
    void *select_opaque;
} FwCfgItem;

#define MAX_FIXED 64

struct FwCfg {
    Machine *m;
    FwCfgItem fixed[MAX_FIXED]; /* keys below FW_CFG_FILE_FIRST and arch-local ones */
    int nfixed;
    FwCfgItem files[FW_CFG_MAX_FILES]; /* key FW_CFG_FILE_FIRST + index */
    int nfiles;
    uint16_t cur_key;
    uint32_t cur_offset;
    uint8_t dma_reg[8]; /* the DMA address as the guest wrote it (big-endian bytes) */
};

/* ------------------------------------------------------------------ items */

static FwCfgItem *find(FwCfg *f, uint16_t key)
{
    key &= (uint16_t)~FW_CFG_WRITE_CHANNEL;
    if (key >= FW_CFG_FILE_FIRST && key < FW_CFG_FILE_FIRST + f->nfiles &&
        !(key & FW_CFG_ARCH_LOCAL))
        return &f->files[key - FW_CFG_FILE_FIRST];
    for (int i = 0; i < f->nfixed; i++)
        if (f->fixed[i].key == key)
            return &f->fixed[i];
    return NULL;
}

static void set_data(FwCfg *f, FwCfgItem *it, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        len = UINT32_MAX; /* the directory's size field is 32 bits */
    it->data = len ? machine_zalloc(f->m, len) : NULL;
    if (len && data)
        memcpy(it->data, data, len);
    it->len = (uint32_t)len;
}

static void update_dir(FwCfg *f);

void fw_cfg_add_bytes(FwCfg *f, uint16_t key, const void *data, size_t len)
{
    key &= (uint16_t)~FW_CFG_WRITE_CHANNEL;
    if (key == FW_CFG_FILE_DIR || (key >= FW_CFG_FILE_FIRST && !(key & FW_CFG_ARCH_LOCAL))) {
        wb_log("fw_cfg: key 0x%04x is not a fixed item", key);
        return;
    }
    FwCfgItem *it = find(f, key);
    if (!it) {
        if (f->nfixed >= MAX_FIXED) {
            wb_log("fw_cfg: too many items (adding key 0x%04x)", key);
            return;
        }
        it = &f->fixed[f->nfixed++];
        it->key = key;
    }
    set_data(f, it, data, len);
}

void fw_cfg_add_i16(FwCfg *f, uint16_t key, uint16_t v)
{
    uint8_t b[2];
    st16le(b, v);
    fw_cfg_add_bytes(f, key, b, sizeof b);
}

void fw_cfg_add_i32(FwCfg *f, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    st32le(b, v);
    fw_cfg_add_bytes(f, key, b, sizeof b);
}

void fw_cfg_add_i64(FwCfg *f, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    st64le(b, v);
    fw_cfg_add_bytes(f, key, b, sizeof b);
}

void fw_cfg_add_string(FwCfg *f, uint16_t key, const char *s)
{
    fw_cfg_add_bytes(f, key, s, strlen(s) + 1);
}

int fw_cfg_add_file(FwCfg *f, const char *name, const void *data, size_t len)
{
    return fw_cfg_add_file_cb(f, name, data, len, NULL, NULL);
}

int fw_cfg_add_file_cb(FwCfg *f, const char *name, const void *data, size_t len,
                       FwCfgSelectCb cb, void *opaque)
{
    size_t nlen = strlen(name);
    if (!nlen || nlen >= FW_CFG_MAX_NAME) {
        wb_log("fw_cfg: file name '%s' must be 1 to %d characters", name, FW_CFG_MAX_NAME - 1);
        return -1;
    }
    FwCfgItem *it = NULL;
    for (int i = 0; i < f->nfiles && !it; i++)
        if (!strcmp(f->files[i].name, name))
            it = &f->files[i];
    if (!it) {
        if (f->nfiles >= FW_CFG_MAX_FILES) {
            wb_log("fw_cfg: too many files (adding '%s')", name);
            return -1;
        }
        it = &f->files[f->nfiles];
        it->key = (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles);
        f->nfiles++;
        memcpy(it->name, name, nlen + 1);
    }
    set_data(f, it, data, len);
    it->select_cb = cb;
    it->select_opaque = opaque;
    update_dir(f);
    return it->key;
}

const uint8_t *fw_cfg_item(const FwCfg *f, uint16_t key, size_t *len)
{
    FwCfgItem *it = find((FwCfg *)f, key);
    if (!it)
        return NULL;
    if (len)
        *len = it->len;
    return it->data ? it->data : (const uint8_t *)"";
}

const uint8_t *fw_cfg_file(const FwCfg *f, const char *name, size_t *len)
{
    for (int i = 0; i < f->nfiles; i++)
        if (!strcmp(f->files[i].name, name))
            return fw_cfg_item(f, f->files[i].key, len);
    return NULL;
}

/* The directory item: rebuilt when a file is added (before the guest runs). */
static void update_dir(FwCfg *f)
{
    size_t len = 4 + (size_t)f->nfiles * FW_CFG_DIR_ENTRY_SIZE;
    FwCfgItem *dir = find(f, FW_CFG_FILE_DIR);
    if (!dir) {
        dir = &f->fixed[f->nfixed++]; /* room: fw_cfg_new made it first */
        dir->key = FW_CFG_FILE_DIR;
    }
    set_data(f, dir, NULL, len);
    uint8_t *p = dir->data;
    st32be(p, (uint32_t)f->nfiles);
    for (int i = 0; i < f->nfiles; i++) {
        uint8_t *e = p + 4 + (size_t)i * FW_CFG_DIR_ENTRY_SIZE;
        st32be(e + FW_CFG_DIR_SIZE, f->files[i].len);
        st16be(e + FW_CFG_DIR_SELECT, f->files[i].key);
        memcpy(e + FW_CFG_DIR_NAME, f->files[i].name, FW_CFG_MAX_NAME);
    }
}

/* ------------------------------------------------------------------ the traditional interface */

static void select_item(FwCfg *f, uint16_t key)
{
    f->cur_key = key;
    f->cur_offset = 0;
    FwCfgItem *it = find(f, key);
    if (it && it->select_cb)
        it->select_cb(it->select_opaque, it->data, it->len);
}

static uint8_t next_byte(FwCfg *f)
{
    FwCfgItem *it = find(f, f->cur_key);
    if (!it || f->cur_offset >= it->len)
        return 0;
    return it->data[f->cur_offset++];
}

/* ------------------------------------------------------------------ DMA */

static const uint8_t zeros[4096];

/* Zeros to [addr, addr+len): false as soon as a byte is not RAM. */
static bool dma_zero(Machine *m, uint64_t addr, uint64_t len)
{
    while (len) {
        size_t n = len < sizeof zeros ? (size_t)len : sizeof zeros;
        if (!dma_write(m, addr, zeros, n))
            return false;
        addr += n;
        len -= n;
    }
    return true;
}

/* One FWCfgDmaAccess at guest address at. */
static void dma_transfer(FwCfg *f, uint64_t at)
{
    Machine *m = f->m;
    uint8_t s[FW_CFG_DMA_STRUCT_SIZE];
    if (!dma_read(m, at, s, sizeof s))
        return; /* the structure is not in RAM: nowhere to report anything */
    uint32_t control = ld32be(s + FW_CFG_DMA_CONTROL);
    uint64_t length = ld32be(s + FW_CFG_DMA_LENGTH);
    uint64_t addr = ld64be(s + FW_CFG_DMA_ADDRESS);
    bool error = false;

    if (control & FW_CFG_DMA_CTL_SELECT)
        select_item(f, (uint16_t)(control >> 16));
    FwCfgItem *it = find(f, f->cur_key);
    if (control & FW_CFG_DMA_CTL_READ) {
        uint64_t avail = it && f->cur_offset < it->len ? it->len - f->cur_offset : 0;
        uint64_t n = length < avail ? length : avail;
        if (n && !dma_write(m, addr, it->data + f->cur_offset, (size_t)n))
            error = true;
        else if (!dma_zero(m, addr + n, length - n)) /* past the item's end: zeros */
            error = true;
        if (!error)
            f->cur_offset += (uint32_t)n;
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        error = true; /* no item takes writes */
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        uint64_t avail = it && f->cur_offset < it->len ? it->len - f->cur_offset : 0;
        f->cur_offset += (uint32_t)(length < avail ? length : avail);
    }
    uint8_t done[4];
    st32be(done, error ? FW_CFG_DMA_CTL_ERROR : 0);
    dma_write(m, at + FW_CFG_DMA_CONTROL, done, sizeof done);
}

/* ------------------------------------------------------------------ ports */

static uint32_t fw_cfg_read(void *opaque, uint32_t offset, int size_log2)
{
    FwCfg *f = opaque;
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2); i++) {
        uint32_t o = offset + (uint32_t)i;
        uint8_t b = 0;
        if (o == FW_CFG_PORT_DATA - FW_CFG_IO_BASE)
            b = next_byte(f);
        else if (o >= FW_CFG_DMA_OFFSET && o < FW_CFG_DMA_OFFSET + 8)
            b = (uint8_t)FW_CFG_DMA_SIGNATURE[o - FW_CFG_DMA_OFFSET];
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void fw_cfg_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    FwCfg *f = opaque;
    if (offset == 0 && size_log2 <= 1) {
        select_item(f, (uint16_t)val);
        return;
    }
    /* The DMA address: 32-bit big-endian halves; the low half starts it.
     * The guest's little-endian OUTL of a big-endian value puts the bytes
     * in address order. */
    if (size_log2 == 2 && offset == FW_CFG_DMA_OFFSET) {
        st32le(f->dma_reg, val);
    } else if (size_log2 == 2 && offset == FW_CFG_DMA_OFFSET + 4) {
        st32le(f->dma_reg + 4, val);
        uint64_t at = ld64be(f->dma_reg);
        memset(f->dma_reg, 0, sizeof f->dma_reg);
        dma_transfer(f, at);
    }
    /* Data port writes and other sizes: ignored, as QEMU does. */
}

static void fw_cfg_reset(void *opaque)
{
    FwCfg *f = opaque;
    f->cur_key = FW_CFG_SIGNATURE;
    f->cur_offset = 0;
    memset(f->dma_reg, 0, sizeof f->dma_reg);
}

FwCfg *fw_cfg_new(Machine *m, uint16_t base)
{
    FwCfg *f = machine_zalloc(m, sizeof *f);
    f->m = m;
    fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(f, FW_CFG_ID, FW_CFG_VERSION_TRADITIONAL | FW_CFG_VERSION_DMA);
    update_dir(f);
    io_register(m, "fw_cfg", base, FW_CFG_IO_LEN, f, fw_cfg_read, fw_cfg_write);
    machine_add_reset(m, fw_cfg_reset, f);
    return f;
}
