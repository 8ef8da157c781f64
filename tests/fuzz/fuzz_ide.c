/* libFuzzer target: the PIIX3 IDE function with an ATA disk and an ATAPI
 * CD-ROM (hw/ide.c, hw/atapi.c) as a hostile guest drives them.
 *
 * The first input byte sets the drives up: the primary master is a raw
 * disk of 8..512 sectors in memory (read-only or writable, optionally with
 * a bad sector whose reads and writes fail like a host I/O error), the
 * primary slave is absent or a second disk, the secondary master a CD-ROM
 * of 1..64 2048-byte sectors in memory, the secondary slave absent or a
 * CD-ROM drive without a disc. The images are block devices of their own
 * (an in-memory BlockDriver), so the model is used through blk_read and
 * blk_write as with a file. The rest of the input is a program:
 *   register writes and reads on either channel (task file, command,
 *   device control, alternate status), task files in LBA28/LBA48/CHS form
 *   in one step, ATA commands from a table (or any byte), ATAPI PACKET
 *   commands with a CDB from a table of opcodes and input bytes, PIO data
 *   reads and writes of up to 4096 words, PRD tables built in guest RAM
 *   (entries in a buffer area, odd addresses, with or without EOT, or raw
 *   bytes), the bus master registers, bytes into guest RAM, PCI config
 *   writes (IDETIM decode, command) and machine resets.
 * Invariants: every request the model makes to an image is sector-aligned
 * and inside it (the link wraps blk_read/blk_write); after every operation,
 * for each present drive: BSY only during a software reset, ERR never with
 * DRQ and always with an error code, DRDY on an ATA disk that is not in
 * reset, DRQ only with a PIO block or a DMA transfer to move, the PIO block
 * and the DMA buffer inside the 128 KiB transfer buffer, the PRD walk
 * within its 8192 entries, the ATAPI reply within its bounds. */
/* fuzz-models: hw/ide.c hw/atapi.c */
/* fuzz-ldflags: -Wl,--wrap=blk_read -Wl,--wrap=blk_write */
#include <errno.h>

#include "fuzz.h"

#include "block/block.h"
#include "hw/ide.h"
#include "hw/ide_regs.h"
#include "hw/pci_regs.h"

#define RAM_SIZE (1u << 20)
#define BMBASE 0xC000u
#define PRD_BASE 0x1000u  /* channel c's table at PRD_BASE + c * 0x10000 */
#define BUF_BASE 0x40000u /* 16 buffer slots of 32 KiB */
#define NSLOTS 16
#define SLOT 0x8000u
#define MAX_OPS 1024

enum {
    OP_OUTB, OP_INB, OP_TASKFILE, OP_CMD, OP_PACKET, OP_PIO_IN, OP_PIO_OUT, OP_PRD, OP_BM,
    OP_RAM, OP_CTL, OP_PCI, OP_RESET, NOPS
};

static Machine *m;
static PcBoard *board;
static IdeChannel *chan[2];

/* ---- In-memory images */

typedef struct MemImage {
    BlockDev b;
    uint8_t *data;
    uint64_t bad; /* a byte offset inside the bad sector, or UINT64_MAX */
    unsigned ssize;
} MemImage;

static MemImage images[4];
static int nimages;

static int mem_io(BlockDev *b, uint64_t off, void *buf, size_t len, bool write)
{
    MemImage *im = b->opaque;
    if (im->bad != UINT64_MAX && im->bad >= off && im->bad - off < len)
        return -EIO;
    if (write)
        memcpy(im->data + off, buf, len);
    else
        memcpy(buf, im->data + off, len);
    return 0;
}
static int mem_read(BlockDev *b, uint64_t off, void *buf, size_t len)
{
    return mem_io(b, off, buf, len, false);
}
static int mem_write(BlockDev *b, uint64_t off, const void *buf, size_t len)
{
    return mem_io(b, off, (void *)buf, len, true);
}

static const BlockDriver mem_driver = {.name = "fuzz-mem", .read = mem_read, .write = mem_write};

FZ_HARNESS static BlockDev *mem_image(uint64_t sectors, unsigned ssize, bool readonly,
                                      uint64_t bad)
{
    MemImage *im = &images[nimages++];
    memset(im, 0, sizeof *im);
    im->ssize = ssize;
    im->data = malloc(sectors * ssize);
    for (uint64_t s = 0; s < sectors; s++) /* each sector says which it is */
        memset(im->data + s * ssize, (int)(s * 7 + 1), ssize);
    im->bad = bad;
    im->b.drv = &mem_driver;
    im->b.opaque = im;
    im->b.path = ssize == CD_SECTOR ? "fuzz-cd.iso" : "fuzz-disk.img";
    im->b.fd = -1;
    im->b.size = sectors * ssize;
    im->b.readonly = readonly;
    return &im->b;
}

/* Every request of the model: whole sectors inside the image. */
int __real_blk_read(BlockDev *b, uint64_t off, void *buf, size_t len);
int __real_blk_write(BlockDev *b, uint64_t off, const void *buf, size_t len);

FZ_HARNESS static void check_request(const BlockDev *b, uint64_t off, size_t len, const char *what)
{
    FUZZ_CHECK(off % BLK_SECTOR == 0 && len % BLK_SECTOR == 0,
               "%s of %zu bytes at %llu on %s: not whole sectors", what, len,
               (unsigned long long)off, b->path);
    FUZZ_CHECK(off <= b->size && len <= b->size - off,
               "%s of %zu bytes at %llu beyond the end of %s (%llu bytes)", what, len,
               (unsigned long long)off, b->path, (unsigned long long)b->size);
}

int __wrap_blk_read(BlockDev *b, uint64_t off, void *buf, size_t len)
{
    check_request(b, off, len, "read");
    return __real_blk_read(b, off, buf, len);
}

int __wrap_blk_write(BlockDev *b, uint64_t off, const void *buf, size_t len)
{
    check_request(b, off, len, "write");
    FUZZ_CHECK(!b->readonly, "write to read-only %s", b->path);
    return __real_blk_write(b, off, buf, len);
}

/* ---- Driving the chip */

static uint16_t cmd_port(int c)
{
    return c ? IDE_SEC_CMD : IDE_PRI_CMD;
}

static uint16_t ctl_port(int c)
{
    return c ? IDE_SEC_CTL : IDE_PRI_CTL;
}

static void outb(uint16_t port, uint8_t v)
{
    port_write(m, port, v, 0);
}

static const uint8_t ata_cmds[] = {
    ATA_CMD_READ, ATA_CMD_READ_EXT, ATA_CMD_READ_DMA, ATA_CMD_READ_DMA_EXT, ATA_CMD_WRITE,
    ATA_CMD_WRITE_EXT, ATA_CMD_WRITE_DMA, ATA_CMD_WRITE_DMA_EXT, ATA_CMD_READ_MULTIPLE,
    ATA_CMD_READ_MULTIPLE_EXT, ATA_CMD_WRITE_MULTIPLE, ATA_CMD_WRITE_MULTIPLE_EXT,
    ATA_CMD_SET_MULTIPLE, ATA_CMD_VERIFY, ATA_CMD_VERIFY_EXT, ATA_CMD_IDENTIFY,
    ATA_CMD_ID_ATAPI, ATA_CMD_PACKET, ATA_CMD_SET_FEATURES, ATA_CMD_INIT_DEV_PARAMS,
    ATA_CMD_FLUSH, ATA_CMD_FLUSH_EXT, ATA_CMD_DIAGNOSE, ATA_CMD_DEVICE_RESET,
    ATA_CMD_READ_NATIVE_MAX, ATA_CMD_READ_NATIVE_MAX_EXT, ATA_CMD_CHECK_POWER, ATA_CMD_SEEK,
    ATA_CMD_RECALIBRATE, ATA_CMD_NOP, ATA_CMD_STANDBY_IMM, ATA_CMD_SLEEP, ATA_CMD_READ_ONCE,
    ATA_CMD_WRITE_ONCE, ATA_CMD_READ_DMA_ONCE, ATA_CMD_WRITE_DMA_ONCE,
};
#define NCMDS (sizeof ata_cmds / sizeof ata_cmds[0])

static const uint8_t packet_ops[] = {
    GPCMD_TEST_UNIT_READY, GPCMD_REQUEST_SENSE, GPCMD_INQUIRY, GPCMD_MODE_SENSE_6,
    GPCMD_START_STOP_UNIT, GPCMD_PREVENT_ALLOW, GPCMD_READ_FORMAT_CAPACITIES,
    GPCMD_READ_CAPACITY, GPCMD_READ_10, GPCMD_SEEK_10, GPCMD_READ_SUBCHANNEL, GPCMD_READ_TOC,
    GPCMD_GET_CONFIGURATION, GPCMD_GET_EVENT_STATUS, GPCMD_READ_DISC_INFO,
    GPCMD_MODE_SENSE_10, GPCMD_READ_12, GPCMD_SET_SPEED, GPCMD_MECHANISM_STATUS, GPCMD_READ_CD,
    GPCMD_READ_10, GPCMD_READ_10, GPCMD_READ_CD,
};
#define NPACKET (sizeof packet_ops / sizeof packet_ops[0])

/* A task file: device (unit, LBA bit, high nibble), count and address,
 * written once (LBA28/CHS) or twice (LBA48: the high bytes first). */
static void op_taskfile(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    int c = how & 1;
    uint16_t p = cmd_port(c);
    uint8_t dev = (uint8_t)((how & 2 ? ATA_DEV_DEV1 : 0) | (how & 4 ? ATA_DEV_LBA : 0) |
                            (fz_u8(in) & 0x0F));
    uint16_t count = fz_u16(in);
    uint32_t lba = fz_u32(in);
    outb(p + ATA_REG_DEVICE, dev);
    outb(p + ATA_REG_FEATURE, fz_u8(in));
    if (how & 8) { /* LBA48 */
        outb(p + ATA_REG_NSECT, (uint8_t)(count >> 8));
        outb(p + ATA_REG_LBAL, (uint8_t)(lba >> 24));
        outb(p + ATA_REG_LBAM, (uint8_t)(how >> 4));
        outb(p + ATA_REG_LBAH, 0);
    }
    outb(p + ATA_REG_NSECT, (uint8_t)count);
    outb(p + ATA_REG_LBAL, (uint8_t)lba);
    outb(p + ATA_REG_LBAM, (uint8_t)(lba >> 8));
    outb(p + ATA_REG_LBAH, (uint8_t)(lba >> 16));
}

/* An ATAPI PACKET command: features (DMA), byte count limit, then the
 * 12-byte CDB through the data port. */
static void op_packet(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    int c = how & 1;
    uint16_t p = cmd_port(c);
    uint8_t cdb[12];
    fz_bytes(in, cdb, sizeof cdb);
    uint8_t sel = fz_u8(in);
    if (sel < 0xF0)
        cdb[0] = packet_ops[sel % NPACKET];
    uint16_t limit = (how & 4) ? fz_u16(in) : 0xFFFE;
    if (how & 8)
        outb(p + ATA_REG_DEVICE, (how & 2) ? ATA_DEV_DEV1 : 0);
    outb(p + ATA_REG_FEATURE, (how & 0x10) ? ATAPI_FEAT_DMA : 0);
    outb(p + ATA_REG_LBAM, (uint8_t)limit);
    outb(p + ATA_REG_LBAH, (uint8_t)(limit >> 8));
    outb(p + ATA_REG_COMMAND, ATA_CMD_PACKET);
    for (int i = 0; i < 12; i += 2)
        port_write(m, p + ATA_REG_DATA, (uint32_t)(cdb[i] | cdb[i + 1] << 8), 1);
}

static void op_pio(FuzzIn *in, bool out)
{
    uint8_t how = fz_u8(in);
    int c = how & 1, size_log2 = (how >> 1) % 3;
    uint32_t n = ((uint32_t)fz_u8(in) + 1) * 16;
    uint16_t p = cmd_port(c) + ATA_REG_DATA;
    uint32_t v = fz_u32(in);
    for (uint32_t i = 0; i < n; i++) {
        if (out)
            port_write(m, p, v + i, size_log2);
        else
            port_read(m, p, size_log2);
    }
}

static void ram_write(uint64_t addr, const void *p, size_t len)
{
    if (addr < RAM_SIZE && len <= RAM_SIZE - addr)
        memcpy(m->ram + addr, p, len);
}

FZ_HARNESS static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A PRD table for channel c: n entries of buffer slots (sizes from the
 * input, 0 meaning 64 KiB), the last one EOT unless the input says not. */
static void op_prd(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    int c = how & 1;
    uint32_t n = (uint32_t)fz_u8(in) % 16 + 1;
    uint64_t base = PRD_BASE + (uint64_t)c * 0x10000;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t e[8];
        uint8_t sel = fz_u8(in);
        uint32_t addr;
        if (sel & 0x80) {
            static const uint32_t odd[4] = {RAM_SIZE - 16, 0xFFFFF000u, 0xA0000, 0};
            addr = odd[sel & 3] + (sel & 0x70);
        } else {
            addr = BUF_BASE + (sel % NSLOTS) * SLOT;
        }
        uint16_t cnt = fz_u16(in);
        put_le32(e, addr);
        bool eot = i == n - 1 && !(how & 2);
        put_le32(e + 4, cnt | (eot ? PRD_EOT : 0));
        ram_write(base + 8 * i, e, 8);
    }
    port_write(m, (uint16_t)(BMBASE + 8 * c + BM_PRD), (uint32_t)base, 2);
}

/* The bus master: command (start, direction), status bits cleared, or a
 * PRD address from the input. */
static void op_bm(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    int c = how & 1;
    uint16_t b = (uint16_t)(BMBASE + 8 * c);
    switch ((how >> 1) & 3) {
    case 0:
        port_write(m, b + BM_CMD, (how >> 3) & (BM_CMD_START | BM_CMD_READ), 0);
        break;
    case 1:
        port_write(m, b + BM_STATUS, fz_u8(in), 0);
        break;
    case 2:
        port_write(m, b + BM_PRD, fz_u32(in), 2);
        break;
    default:
        port_read(m, (uint16_t)(b + (fz_u8(in) & 7)), 0);
        break;
    }
}

static void op_ram(FuzzIn *in)
{
    uint8_t sel = fz_u8(in), buf[256];
    uint64_t addr = (sel & 1) ? PRD_BASE + (uint64_t)((sel >> 1) & 1) * 0x10000 + fz_u16(in) % 256
                              : BUF_BASE + (uint64_t)(sel >> 1) % NSLOTS * SLOT + fz_u16(in);
    size_t len = (size_t)fz_u8(in) + 1;
    fz_bytes(in, buf, len);
    ram_write(addr, buf, len);
}

/* ---- Invariants */

FZ_HARNESS static void check_drive(const IdeChannel *ch, const IdeDrive *d)
{
    int c = ch->index, u = d->unit;
    uint8_t st = d->status;
    bool srst = ch->devctl & ATA_CTL_SRST;
    FUZZ_CHECK(!(st & ATA_SR_BSY) || srst, "drive %d.%d: BSY (%#x) outside a reset", c, u, st);
    if (srst)
        return;
    FUZZ_CHECK(!((st & ATA_SR_ERR) && (st & ATA_SR_DRQ)), "drive %d.%d: ERR with DRQ (%#x)", c,
               u, st);
    FUZZ_CHECK(!(st & ATA_SR_ERR) || d->error, "drive %d.%d: ERR without an error code", c, u);
    FUZZ_CHECK(d->atapi || (st & ATA_SR_DRDY), "disk %d.%d: not ready (%#x)", c, u, st);
    FUZZ_CHECK(d->pos <= d->end && d->end <= IDE_BUF_SIZE,
               "drive %d.%d: PIO block [%u, %u) outside the %u-byte buffer", c, u, d->pos, d->end,
               IDE_BUF_SIZE);
    FUZZ_CHECK(d->dma_buf_pos <= d->dma_in_buf && d->dma_in_buf <= IDE_BUF_SIZE,
               "drive %d.%d: DMA %u of %u bytes in the buffer", c, u, d->dma_buf_pos,
               d->dma_in_buf);
    if (st & ATA_SR_DRQ)
        FUZZ_CHECK(d->dma_pending || (d->end_pio && d->pos < d->end),
                   "drive %d.%d: DRQ (%#x) with nothing to transfer", c, u, st);
    if (d->end_pio)
        FUZZ_CHECK(st & ATA_SR_DRQ, "drive %d.%d: a PIO block without DRQ (%#x)", c, u, st);
    if (!d->atapi) {
        FUZZ_CHECK(d->lba <= d->nsect, "disk %d.%d: next sector %llu beyond %llu", c, u,
                   (unsigned long long)d->lba, (unsigned long long)d->nsect);
        FUZZ_CHECK(d->left <= 65536, "disk %d.%d: %u sectors left", c, u, d->left);
    } else if (d->cd_left) {
        FUZZ_CHECK(d->cd_lba + (uint64_t)d->cd_left <= d->nsect,
                   "CD %d.%d: %u sectors left from %u, disc of %llu", c, u, d->cd_left, d->cd_lba,
                   (unsigned long long)d->nsect);
    }
}

FZ_HARNESS static void check_state(void)
{
    for (int c = 0; c < 2; c++) {
        const IdeChannel *ch = chan[c];
        FUZZ_CHECK(ch->prd_index <= PRD_MAX_ENTRIES, "channel %d: PRD entry %u", c,
                   ch->prd_index);
        FUZZ_CHECK(ch->prd_len <= 0x10000, "channel %d: PRD entry of %u bytes", c, ch->prd_len);
        int active = 0;
        for (int u = 0; u < 2; u++) {
            if (ch->drive[u].present)
                check_drive(ch, &ch->drive[u]);
            active += ch->drive[u].dma_pending;
        }
        FUZZ_CHECK(active <= 1, "channel %d: both drives wait for DMA", c);
    }
}

/* ---- Setup */

static IdeChannel *find_channel(const char *name)
{
    for (int i = 0; i < m->nregions; i++)
        if (!strcmp(m->regions[i].name, name))
            return m->regions[i].opaque;
    FUZZ_CHECK(0, "no %s region", name);
}

static void setup(uint8_t cfg, uint8_t size)
{
    IdeDriveConf conf[IDE_DRIVES];
    memset(conf, 0, sizeof conf);
    nimages = 0;
    uint64_t sectors = ((uint64_t)size % 64 + 1) * 8;
    uint64_t bad = (cfg & 4) ? (uint64_t)(size % sectors) * 512 + 7 : UINT64_MAX;
    conf[0] = (IdeDriveConf){true, false, mem_image(sectors, 512, cfg & 1, bad)};
    if (cfg & 2)
        conf[1] = (IdeDriveConf){true, false, mem_image(16, 512, false, UINT64_MAX)};
    uint64_t cd = (uint64_t)(size >> 2) % 64 + 1;
    conf[2] = (IdeDriveConf){true, true,
                             mem_image(cd, CD_SECTOR, true, (cfg & 8) ? cd / 2 * CD_SECTOR : UINT64_MAX)};
    if (cfg & 16)
        conf[3] = (IdeDriveConf){true, true, NULL};
    m = fz_machine(RAM_SIZE);
    board = pc_board_init(m);
    board->ide = piix_ide_new(m, board->pci, isa_irq(&board->isa, 14), isa_irq(&board->isa, 15),
                              conf);
    FUZZ_CHECK(board->ide != NULL, "no IDE function");
    chan[0] = find_channel("ide0");
    chan[1] = find_channel("ide1");
    pci_config_write(board->pci, PIIX3_IDE_DEVFN, PCI_BAR0 + 4 * PIIX3_IDE_BMIBA_BAR,
                     BMBASE | PCI_BAR_IO, 2);
    pci_config_write(board->pci, PIIX3_IDE_DEVFN, PCI_COMMAND, PCI_CMD_IO | PCI_CMD_MASTER, 1);
}

static void teardown(void)
{
    machine_free(m);
    m = NULL;
    for (int i = 0; i < nimages; i++)
        free(images[i].data);
}

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = fz_in(data, size);
    uint8_t cfg = fz_u8(&in);
    setup(cfg, fz_u8(&in));
    int ops = 0;
    for (; ops < MAX_OPS && !fz_done(&in); ops++) {
        uint8_t op = fz_u8(&in) % NOPS;
        switch (op) {
        case OP_OUTB: {
            uint8_t r = fz_u8(&in);
            outb((uint16_t)(cmd_port(r >> 7) + (r & 7)), fz_u8(&in));
            break;
        }
        case OP_INB: {
            uint8_t r = fz_u8(&in);
            port_read(m, (uint16_t)((r & 8) ? ctl_port(r >> 7) : cmd_port(r >> 7) + (r & 7)), 0);
            break;
        }
        case OP_TASKFILE:
            op_taskfile(&in);
            break;
        case OP_CMD: {
            uint8_t how = fz_u8(&in), sel = fz_u8(&in);
            outb(cmd_port(how & 1) + ATA_REG_COMMAND, (how & 2) ? sel : ata_cmds[sel % NCMDS]);
            break;
        }
        case OP_PACKET:
            op_packet(&in);
            break;
        case OP_PIO_IN:
            op_pio(&in, false);
            break;
        case OP_PIO_OUT:
            op_pio(&in, true);
            break;
        case OP_PRD:
            op_prd(&in);
            break;
        case OP_BM:
            op_bm(&in);
            break;
        case OP_RAM:
            op_ram(&in);
            break;
        case OP_CTL: {
            uint8_t how = fz_u8(&in);
            outb(ctl_port(how & 1), how & (ATA_CTL_NIEN | ATA_CTL_SRST | ATA_CTL_HOB));
            break;
        }
        case OP_PCI: {
            uint8_t how = fz_u8(&in);
            uint16_t v = fz_u16(&in);
            if (how & 1)
                pci_config_write(board->pci, PIIX3_IDE_DEVFN, PCI_COMMAND, v, 1);
            else
                pci_config_write(board->pci, PIIX3_IDE_DEVFN,
                                 (how & 2) ? PIIX3_IDETIM_SEC : PIIX3_IDETIM_PRI, v, 1);
            break;
        }
        case OP_RESET:
            machine_reset(m);
            pci_config_write(board->pci, PIIX3_IDE_DEVFN,
                             PCI_BAR0 + 4 * PIIX3_IDE_BMIBA_BAR, BMBASE | PCI_BAR_IO, 2);
            pci_config_write(board->pci, PIIX3_IDE_DEVFN, PCI_COMMAND,
                             PCI_CMD_IO | PCI_CMD_MASTER, 1);
            break;
        }
        if (fz_verbosity() > 1)
            for (int c = 0; c < 2; c++)
                for (int u = 0; u < 2; u++) {
                    const IdeDrive *d = &chan[c]->drive[u];
                    if (d->present)
                        fprintf(stderr,
                                "fuzz_ide: op %d %d: %d.%d status %#x error %#x pos %u end %u "
                                "bm %#x/%#x prd %u\n",
                                ops, op, c, u, d->status, d->error, d->pos, d->end,
                                chan[c]->bm_cmd, chan[c]->bm_status, chan[c]->prd_index);
                }
        check_state();
    }
    if (fz_verbose())
        fprintf(stderr, "fuzz_ide: config %#x, %d operations\n", cfg, ops);
    teardown();
    return 0;
}
