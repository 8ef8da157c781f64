/* PIIX3 IDE (Intel 82371SB function 1, PCI 8086:7010 at 01.1) with ATA
 * disks. Register names: hw/ide_regs.h; the ATAPI CD-ROM: hw/atapi.c.
 *
 * The function has two channels on the legacy ports (primary 0x1F0-0x1F7
 * and 0x3F6 on IRQ 14, secondary 0x170-0x177 and 0x376 on IRQ 15; each
 * decoded while its IDETIM decode-enable bit is set) and the bus master
 * registers in BAR4. The decode-enable bits start set, as a BIOS leaves
 * them (the real chip starts with them clear), so that a directly booted
 * kernel finds the ports on.
 *
 * ATA disks: IDENTIFY DEVICE as ATA/ATAPI-6 describes it (LBA28 and LBA48,
 * multiword DMA 0-2 and UDMA modes advertised, write cache, FLUSH CACHE
 * [EXT]); READ/WRITE SECTORS [EXT], READ/WRITE MULTIPLE [EXT], READ/WRITE
 * DMA [EXT], READ VERIFY, SET FEATURES, SET MULTIPLE MODE, INITIALIZE
 * DEVICE PARAMETERS and CHS addressing, power management commands as
 * no-ops, EXECUTE DEVICE DIAGNOSTIC, software reset with the ATA/ATAPI
 * signatures. Anything else is aborted (ERR, ABRT).
 *
 * The protocol as the spec gives it: PIO data in DRQ blocks of one sector
 * (or the multiple count) with an interrupt per block (reads: before each
 * block; writes: after each block), the interrupt pending until the status
 * register is read or a command is written, masked by nIEN; LBA48 registers
 * as two-deep FIFOs read back with HOB. Sector ranges beyond the disk end
 * the command with IDNF; host I/O errors with UNC (reads) or ABRT (writes).
 *
 * Data moves through a 128 KiB buffer: one host read or write per 256
 * sectors, whatever the DRQ block size. I/O is synchronous (block/block.h):
 * a command's data is ready when the command register write returns, so a
 * drive is never seen busy.
 *
 * Bus master DMA: the drive holds a DMA command until the engine is
 * started, then the whole transfer runs through the PRD table: entries of
 * up to 64 KiB (a count of 0), the last one marked EOT, the table at most
 * 8192 entries (one 64 KiB page). A table that ends before the data leaves
 * the drive waiting (Active cleared, no interrupt) as the chip does; a
 * descriptor or buffer outside RAM sets the Error bit and aborts the
 * command. Nothing a guest writes makes the model loop without bound. */
#include "hw/ide.h"

#include <stdio.h>
#include <string.h>

#include "hw/bytes.h"
#include "hw/ide_regs.h"
#include "hw/pci_regs.h"

struct PiixIde {
    Machine *m;
    PciDevice *pci;
    IdeChannel ch[2];
};

static const struct {
    uint16_t cmd, ctl;
    uint16_t idetim;
} chan_ports[2] = {{IDE_PRI_CMD, IDE_PRI_CTL, PIIX3_IDETIM_PRI},
                   {IDE_SEC_CMD, IDE_SEC_CTL, PIIX3_IDETIM_SEC}};

/* ------------------------------------------------------------------ interrupts */

static void update_irq(IdeChannel *ch)
{
    irq_set(&ch->irq, ch->irq_pending && !(ch->devctl & ATA_CTL_NIEN));
}

void ide_raise_irq(IdeChannel *ch)
{
    ch->irq_pending = true;
    ch->bm_status |= BM_ST_INT;
    update_irq(ch);
}

static void lower_irq(IdeChannel *ch)
{
    ch->irq_pending = false;
    update_irq(ch);
}

/* ------------------------------------------------------------------ PIO */

void ide_pio_start(IdeDrive *d, uint32_t pos, uint32_t len, void (*end)(IdeDrive *d))
{
    d->pos = pos;
    d->end = pos + len;
    d->end_pio = end;
    d->status = (uint8_t)((d->status & ~ATA_SR_BSY) | ATA_SR_DRQ);
}

void ide_transfer_stop(IdeDrive *d)
{
    d->pos = d->end = 0;
    d->end_pio = NULL;
    d->dma_pending = false;
    d->status &= (uint8_t)~ATA_SR_DRQ;
}

static void cmd_ok(IdeDrive *d)
{
    ide_transfer_stop(d);
    d->status = ATA_SR_DRDY | ATA_SR_DSC;
    d->error = 0;
}

static void cmd_error(IdeDrive *d, uint8_t err)
{
    ide_transfer_stop(d);
    d->status = ATA_SR_DRDY | ATA_SR_ERR;
    d->error = err;
    ide_raise_irq(d->ch);
}

/* ------------------------------------------------------------------ addressing */

static void set_signature(IdeDrive *d)
{
    d->nsector = 1;
    d->lbal = 1;
    d->lbam = d->atapi ? ATA_SIG_ATAPI_LBAM : 0;
    d->lbah = d->atapi ? ATA_SIG_ATAPI_LBAH : 0;
    d->device = ATA_DEV_OBS;
    d->hob_nsector = d->hob_lbal = d->hob_lbam = d->hob_lbah = d->hob_feature = 0;
}

/* The address the task file names; false if a CHS address is invalid. */
static bool taskfile_lba(IdeDrive *d, uint64_t *lba)
{
    if (d->lba48) {
        *lba = (uint64_t)d->hob_lbah << 40 | (uint64_t)d->hob_lbam << 32 |
               (uint64_t)d->hob_lbal << 24 | (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 |
               d->lbal;
        return true;
    }
    if (d->device & ATA_DEV_LBA) {
        *lba = (uint64_t)(d->device & 0x0F) << 24 | (uint64_t)d->lbah << 16 |
               (uint64_t)d->lbam << 8 | d->lbal;
        return true;
    }
    unsigned cyl = (unsigned)d->lbah << 8 | d->lbam, head = d->device & 0x0F, sec = d->lbal;
    if (!sec || sec > d->cur_secs || head >= d->cur_heads)
        return false;
    *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_secs + sec - 1;
    return true;
}

static void set_taskfile_lba(IdeDrive *d, uint64_t lba)
{
    if (d->lba48) {
        d->lbal = (uint8_t)lba;
        d->lbam = (uint8_t)(lba >> 8);
        d->lbah = (uint8_t)(lba >> 16);
        d->hob_lbal = (uint8_t)(lba >> 24);
        d->hob_lbam = (uint8_t)(lba >> 32);
        d->hob_lbah = (uint8_t)(lba >> 40);
    } else if (d->device & ATA_DEV_LBA) {
        d->lbal = (uint8_t)lba;
        d->lbam = (uint8_t)(lba >> 8);
        d->lbah = (uint8_t)(lba >> 16);
        d->device = (uint8_t)((d->device & 0xF0) | ((lba >> 24) & 0x0F));
    } else if (d->cur_heads && d->cur_secs) {
        uint64_t cyl = lba / ((uint64_t)d->cur_heads * d->cur_secs);
        uint64_t r = lba % ((uint64_t)d->cur_heads * d->cur_secs);
        d->lbam = (uint8_t)cyl;
        d->lbah = (uint8_t)(cyl >> 8);
        d->device = (uint8_t)((d->device & 0xF0) | (r / d->cur_secs));
        d->lbal = (uint8_t)(r % d->cur_secs + 1);
    }
}

static uint32_t taskfile_count(IdeDrive *d)
{
    if (d->lba48) {
        uint32_t n = (uint32_t)d->hob_nsector << 8 | d->nsector;
        return n ? n : 65536;
    }
    return d->nsector ? d->nsector : 256;
}

/* Checks the request [lba, lba+count) against the disk; on failure ends
 * the command with IDNF and the first bad address in the task file. */
static bool range_ok(IdeDrive *d, uint64_t *lba, uint32_t *count)
{
    if (!taskfile_lba(d, lba)) {
        cmd_error(d, ATA_ER_IDNF | ATA_ER_ABRT);
        return false;
    }
    *count = taskfile_count(d);
    if (*lba >= d->nsect || *count > d->nsect - *lba) {
        set_taskfile_lba(d, *lba < d->nsect ? d->nsect : *lba);
        cmd_error(d, ATA_ER_IDNF);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ ATA PIO reads and writes */

static int block_size(IdeDrive *d)
{
    bool multiple = d->cmd == ATA_CMD_READ_MULTIPLE || d->cmd == ATA_CMD_WRITE_MULTIPLE ||
                    d->cmd == ATA_CMD_READ_MULTIPLE_EXT || d->cmd == ATA_CMD_WRITE_MULTIPLE_EXT;
    return multiple ? d->mult : 1;
}

static void read_block_done(IdeDrive *d);

/* Loads the next chunk if the buffer is used up, then offers the next DRQ
 * block with an interrupt. */
static void read_next_block(IdeDrive *d)
{
    if (d->chunk_done == d->chunk) {
        uint32_t n = d->left < IDE_BUF_SIZE / 512 ? d->left : IDE_BUF_SIZE / 512;
        if (blk_read(d->blk, d->lba * 512, d->buf, (size_t)n * 512)) {
            set_taskfile_lba(d, d->lba);
            cmd_error(d, ATA_ER_UNC);
            return;
        }
        d->chunk = n;
        d->chunk_done = 0;
    }
    uint32_t n = (uint32_t)block_size(d);
    if (n > d->chunk - d->chunk_done)
        n = d->chunk - d->chunk_done;
    ide_pio_start(d, d->chunk_done * 512, n * 512, read_block_done);
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    ide_raise_irq(d->ch);
}

static void read_block_done(IdeDrive *d)
{
    uint32_t n = (d->end - d->chunk_done * 512) / 512; /* sectors the block held */
    d->chunk_done += n;
    d->left -= n;
    d->lba += n;
    set_taskfile_lba(d, d->lba - 1);
    if (!d->left) {
        cmd_ok(d); /* no interrupt after the last block of a read */
        return;
    }
    read_next_block(d);
}

static void write_block_done(IdeDrive *d);

static void write_next_block(IdeDrive *d)
{
    if (d->chunk_done == d->chunk) {
        d->chunk = d->left < IDE_BUF_SIZE / 512 ? d->left : IDE_BUF_SIZE / 512;
        d->chunk_done = 0;
    }
    uint32_t n = (uint32_t)block_size(d);
    if (n > d->chunk - d->chunk_done)
        n = d->chunk - d->chunk_done;
    ide_pio_start(d, d->chunk_done * 512, n * 512, write_block_done);
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

static void write_block_done(IdeDrive *d)
{
    uint32_t n = (d->end - d->chunk_done * 512) / 512;
    d->chunk_done += n;
    if (d->chunk_done == d->chunk) {
        /* the chunk is complete: one host write (d->lba is its first sector) */
        if (blk_write(d->blk, d->lba * 512, d->buf, (size_t)d->chunk * 512)) {
            set_taskfile_lba(d, d->lba);
            cmd_error(d, ATA_ER_ABRT);
            return;
        }
        d->lba += d->chunk;
        d->left -= d->chunk;
        d->chunk_done = d->chunk = 0;
        set_taskfile_lba(d, d->lba - 1);
    }
    if (!d->left) {
        cmd_ok(d);
        ide_raise_irq(d->ch);
        return;
    }
    write_next_block(d);
    ide_raise_irq(d->ch);
}

/* ------------------------------------------------------------------ bus master DMA */

typedef enum { PRD_OK, PRD_EXHAUSTED, PRD_FAULT } PrdResult;

/* Moves len bytes between buf and the PRD table's buffers; *moved says how
 * many did. */
static PrdResult prd_move(IdeChannel *ch, uint8_t *buf, uint32_t len, bool to_host,
                          uint32_t *moved)
{
    Machine *m = ch->ide->m;
    *moved = 0;
    while (*moved < len) {
        if (!ch->prd_len) {
            if (ch->prd_eot || ch->prd_index >= PRD_MAX_ENTRIES)
                return PRD_EXHAUSTED;
            uint8_t e[8];
            if (!dma_read(m, (uint64_t)ch->bm_prd + 8ull * ch->prd_index, e, 8))
                return PRD_FAULT;
            ch->prd_index++;
            ch->prd_addr = ld32le(e) & ~1u;
            uint32_t cnt = ld16le(e + 4) & 0xFFFE;
            ch->prd_len = cnt ? cnt : 0x10000;
            ch->prd_eot = (ld32le(e + 4) & PRD_EOT) != 0;
        }
        uint32_t n = len - *moved < ch->prd_len ? len - *moved : ch->prd_len;
        bool ok = to_host ? dma_write(m, ch->prd_addr, buf + *moved, n)
                          : dma_read(m, ch->prd_addr, buf + *moved, n);
        if (!ok)
            return PRD_FAULT;
        ch->prd_addr += n;
        ch->prd_len -= n;
        *moved += n;
    }
    return PRD_OK;
}

static IdeDrive *dma_drive(IdeChannel *ch)
{
    for (int u = 0; u < 2; u++)
        if (ch->drive[u].dma_pending)
            return &ch->drive[u];
    return NULL;
}

/* The drive's part of a DMA transfer ended. */
static void dma_finish(IdeChannel *ch, IdeDrive *d, bool ok, uint8_t err)
{
    d->dma_pending = false;
    if (!(ch->prd_len == 0 && ch->prd_eot))
        ; /* table not used up: Active stays set until the host stops the engine */
    else
        ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
    if (d->atapi) {
        atapi_dma_done(d, ok);
        return;
    }
    if (ok) {
        cmd_ok(d);
        ide_raise_irq(ch);
    } else {
        cmd_error(d, err);
    }
}

/* The next chunk of an ATA DMA read into buf; 0 when the transfer is done,
 * -1 on a host error. */
static int ata_dma_fill(IdeDrive *d)
{
    if (!d->left)
        return 0;
    uint32_t n = d->left < IDE_BUF_SIZE / 512 ? d->left : IDE_BUF_SIZE / 512;
    if (blk_read(d->blk, d->lba * 512, d->buf, (size_t)n * 512)) {
        set_taskfile_lba(d, d->lba);
        return -1;
    }
    d->lba += n;
    d->left -= n;
    set_taskfile_lba(d, d->lba - 1);
    return (int)(n * 512);
}

static void dma_run(IdeChannel *ch)
{
    IdeDrive *d = dma_drive(ch);
    if (!d || !(ch->bm_cmd & BM_CMD_START) || !(ch->bm_status & BM_ST_ACTIVE))
        return;
    for (;;) {
        if (d->dma_buf_pos >= d->dma_in_buf) { /* (>: never a negative length below) */
            d->dma_buf_pos = d->dma_in_buf = 0;
            if (d->dma_to_host) {
                int n = d->atapi ? atapi_dma_fill(d) : ata_dma_fill(d);
                if (n < 0) {
                    dma_finish(ch, d, false, ATA_ER_UNC);
                    return;
                }
                if (n == 0) {
                    dma_finish(ch, d, true, 0);
                    return;
                }
                d->dma_in_buf = (uint32_t)n;
            } else {
                if (!d->left) {
                    dma_finish(ch, d, true, 0);
                    return;
                }
                uint32_t n = d->left < IDE_BUF_SIZE / 512 ? d->left : IDE_BUF_SIZE / 512;
                d->dma_in_buf = n * 512;
            }
        }
        uint32_t moved;
        PrdResult r = prd_move(ch, d->buf + d->dma_buf_pos, d->dma_in_buf - d->dma_buf_pos,
                               d->dma_to_host, &moved);
        d->dma_buf_pos += moved;
        if (r == PRD_FAULT) {
            ch->bm_status = (uint8_t)((ch->bm_status | BM_ST_ERROR) & ~BM_ST_ACTIVE);
            dma_finish(ch, d, false, ATA_ER_ABRT);
            return;
        }
        if (r == PRD_EXHAUSTED) {
            /* The table ended before the data: the drive keeps waiting. */
            ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
            return;
        }
        if (!d->dma_to_host) {
            uint32_t n = d->dma_in_buf / 512;
            if (blk_write(d->blk, d->lba * 512, d->buf, (size_t)n * 512)) {
                set_taskfile_lba(d, d->lba);
                dma_finish(ch, d, false, ATA_ER_ABRT);
                return;
            }
            d->lba += n;
            d->left -= n;
            set_taskfile_lba(d, d->lba - 1);
        }
    }
}

void ide_dma_kick(IdeChannel *ch)
{
    dma_run(ch);
}

bool ide_dma_taken(const IdeDrive *d)
{
    return d->ch->drive[d->unit ^ 1].dma_pending;
}

static void start_dma(IdeDrive *d, bool to_host)
{
    if (ide_dma_taken(d)) {
        cmd_error(d, ATA_ER_ABRT);
        return;
    }
    d->dma_pending = true;
    d->dma_to_host = to_host;
    d->dma_in_buf = d->dma_buf_pos = 0;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    dma_run(d->ch);
}

/* ------------------------------------------------------------------ IDENTIFY */

void ide_put_string(uint16_t *id, int word, const char *s, int words)
{
    size_t len = strlen(s);
    for (int i = 0; i < words * 2; i++) {
        char c = (size_t)i < len ? s[i] : ' ';
        uint16_t *w = &id[word + i / 2];
        if (i % 2)
            *w = (uint16_t)((*w & 0xFF00) | (uint8_t)c);
        else
            *w = (uint16_t)((*w & 0x00FF) | (uint8_t)c << 8);
    }
}

static void ata_identify(IdeDrive *d, uint16_t *id)
{
    memset(id, 0, 512);
    id[ID_CONFIG] = 0x0040; /* fixed disk */
    id[ID_CYLS] = d->cyls;
    id[ID_HEADS] = d->heads;
    id[ID_SECTORS] = d->secs;
    ide_put_string(id, ID_SERIAL, d->serial, 10);
    ide_put_string(id, ID_FW_REV, WIREBOX_VERSION, 4);
    ide_put_string(id, ID_MODEL, d->model, 20);
    id[ID_MAX_MULTSECT] = 0x8000 | ID_MAX_MULT;
    id[ID_DWORD_IO] = 1;
    id[ID_CAPABILITY] = ID_CAP_IORDY | ID_CAP_LBA | ID_CAP_DMA;
    id[50] = 0x4000;
    id[51] = 0x0200; /* PIO timing mode 2 (obsolete field) */
    id[52] = 0x0200;
    id[ID_FIELD_VALID] = 0x0007; /* words 54-58, 64-70 and 88 are valid */
    uint64_t chs = (uint64_t)d->cyls * d->cur_heads * d->cur_secs;
    if (d->cur_heads && d->cur_secs) {
        uint64_t cyls = d->nsect / ((uint64_t)d->cur_heads * d->cur_secs);
        if (cyls > 65535)
            cyls = 65535;
        id[ID_CUR_CYLS] = (uint16_t)cyls;
        id[ID_CUR_HEADS] = d->cur_heads;
        id[ID_CUR_SECTORS] = d->cur_secs;
        chs = cyls * d->cur_heads * d->cur_secs;
    }
    id[ID_CUR_CAPACITY] = (uint16_t)chs;
    id[ID_CUR_CAPACITY + 1] = (uint16_t)(chs >> 16);
    id[ID_MULTSECT] = d->mult ? 0x0100 | d->mult : 0;
    uint64_t lba28 = d->nsect < 0x0FFFFFFF ? d->nsect : 0x0FFFFFFF;
    id[ID_LBA_CAPACITY] = (uint16_t)lba28;
    id[ID_LBA_CAPACITY + 1] = (uint16_t)(lba28 >> 16);
    id[ID_MWDMA_MODES] = 0x0007 | (d->mwdma_mode < 3 ? 0x0100 << d->mwdma_mode : 0);
    id[ID_PIO_MODES] = 0x0003;
    id[ID_EIDE_DMA_MIN] = 120;
    id[ID_EIDE_DMA_TIME] = 120;
    id[ID_EIDE_PIO] = 120;
    id[ID_EIDE_PIO_IORDY] = 120;
    id[ID_MAJOR_VER] = 0x007E; /* ATA/ATAPI-1 to -6 */
    id[ID_MINOR_VER] = 0;
    id[ID_COMMAND_SET_1] = ID_CMD1_WCACHE | ID_CMD1_LOOKAHEAD | ID_CMD1_PM;
    id[ID_COMMAND_SET_2] = ID_VALID_BIT14 | ID_CMD2_LBA48 | ID_CMD2_FLUSH | ID_CMD2_FLUSH_EXT;
    id[ID_CFSSE] = ID_VALID_BIT14;
    id[ID_CFS_ENABLE_1] = (uint16_t)((d->wcache ? ID_CMD1_WCACHE : 0) | ID_CMD1_LOOKAHEAD |
                                     ID_CMD1_PM);
    id[ID_CFS_ENABLE_2] = ID_CMD2_LBA48 | ID_CMD2_FLUSH | ID_CMD2_FLUSH_EXT;
    id[ID_CSF_DEFAULT] = ID_VALID_BIT14;
    id[ID_UDMA_MODES] = 0x003F | (d->udma_mode < 7 ? 0x0100 << d->udma_mode : 0);
    id[ID_HW_CONFIG] = 0x6001 | (d->unit ? 0x0100 : 0x000A) ;
    for (int i = 0; i < 4; i++)
        id[ID_LBA_CAPACITY_2 + i] = (uint16_t)(d->nsect >> (16 * i));
    id[ID_SECTOR_SIZE] = 0x4000; /* one logical sector per physical sector */
}

/* Word 255: signature 0xA5 and a checksum making the 512 bytes sum to 0. */
static void identify_checksum(uint16_t *id)
{
    id[ID_INTEGRITY] = 0x00A5;
    uint8_t sum = 0;
    for (int i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (id[i] & 0xFF) + (id[i] >> 8));
    sum = (uint8_t)(sum + 0xA5);
    id[ID_INTEGRITY] = (uint16_t)(0x00A5 | (uint8_t)-sum << 8);
}

static void send_identify(IdeDrive *d, bool packet)
{
    uint16_t id[256];
    if (packet)
        atapi_identify(d, id);
    else
        ata_identify(d, id);
    identify_checksum(id);
    for (int i = 0; i < 256; i++)
        st16le(d->buf + 2 * i, id[i]);
    ide_pio_start(d, 0, 512, cmd_ok);
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    ide_raise_irq(d->ch);
}

/* ------------------------------------------------------------------ commands */

static void drive_reset(IdeDrive *d)
{
    ide_transfer_stop(d);
    d->cur_heads = d->heads;
    d->cur_secs = d->secs;
    d->mult = ID_MAX_MULT;
    d->wcache = true;
    d->mwdma_mode = 2;
    d->udma_mode = 0xFF;
    d->error = ATA_ER_DIAG_OK;
    d->feature = 0;
    set_signature(d);
    if (d->atapi) {
        atapi_reset(d);
        d->status = 0;
    } else {
        d->status = d->present ? ATA_SR_DRDY | ATA_SR_DSC : 0;
    }
}

static void set_features(IdeDrive *d)
{
    switch (d->feature) {
    case ATA_SF_WCACHE_ON:
    case ATA_SF_WCACHE_OFF:
        if (d->atapi)
            goto abort;
        d->wcache = d->feature == ATA_SF_WCACHE_ON;
        break;
    case ATA_SF_XFER_MODE: {
        uint8_t mode = d->nsector & 7;
        switch (d->nsector & 0xF8) {
        case ATA_XFER_PIO_DEFAULT:
        case ATA_XFER_PIO_FLOW:
            if ((d->nsector & 0xF8) == ATA_XFER_PIO_FLOW && mode > 4)
                goto abort;
            break;
        case ATA_XFER_MWDMA:
            if (mode > 2)
                goto abort;
            d->mwdma_mode = mode;
            d->udma_mode = 0xFF;
            break;
        case ATA_XFER_UDMA:
            if (mode > 5)
                goto abort;
            d->udma_mode = mode;
            d->mwdma_mode = 0xFF;
            break;
        default:
            goto abort;
        }
        break;
    }
    case ATA_SF_RLA_ON:
    case ATA_SF_RLA_OFF:
    case ATA_SF_RPOD_ON:
    case ATA_SF_RPOD_OFF:
        break;
    default:
        goto abort;
    }
    cmd_ok(d);
    ide_raise_irq(d->ch);
    return;
abort:
    cmd_error(d, ATA_ER_ABRT);
}

static void ata_rw(IdeDrive *d, bool write, bool dma)
{
    uint64_t lba;
    uint32_t count;
    if (!d->blk) {
        cmd_error(d, ATA_ER_ABRT);
        return;
    }
    if (!range_ok(d, &lba, &count))
        return;
    if (write && blk_is_readonly(d->blk)) {
        set_taskfile_lba(d, lba);
        cmd_error(d, ATA_ER_ABRT);
        return;
    }
    d->lba = lba;
    d->left = count;
    d->chunk = d->chunk_done = 0;
    if (dma)
        start_dma(d, !write);
    else if (write)
        write_next_block(d);
    else
        read_next_block(d);
}

static void exec_command(IdeChannel *ch, IdeDrive *d, uint8_t cmd)
{
    d->cmd = cmd;
    d->lba48 = false;
    ide_transfer_stop(d);
    d->error = 0;
    if (d->atapi) {
        switch (cmd) {
        case ATA_CMD_PACKET:
            atapi_packet_cmd(d);
            return;
        case ATA_CMD_ID_ATAPI:
            send_identify(d, true);
            return;
        case ATA_CMD_DEVICE_RESET:
            drive_reset(d);
            return;
        case ATA_CMD_DIAGNOSE:
            break; /* below */
        case ATA_CMD_CHECK_POWER:
        case ATA_CMD_SET_FEATURES:
        case ATA_CMD_IDLE_IMM:
        case ATA_CMD_STANDBY_IMM:
        case ATA_CMD_SLEEP:
            break;
        case ATA_CMD_NOP:
        default:
            /* IDENTIFY DEVICE and the disk commands: aborted, with the
             * signature that tells the host to use PACKET */
            if (cmd == ATA_CMD_IDENTIFY)
                set_signature(d);
            cmd_error(d, ATA_ER_ABRT);
            return;
        }
    }
    switch (cmd) {
    case ATA_CMD_READ_EXT:
    case ATA_CMD_READ_MULTIPLE_EXT:
    case ATA_CMD_READ_DMA_EXT:
    case ATA_CMD_WRITE_EXT:
    case ATA_CMD_WRITE_MULTIPLE_EXT:
    case ATA_CMD_WRITE_DMA_EXT:
    case ATA_CMD_VERIFY_EXT:
    case ATA_CMD_FLUSH_EXT:
    case ATA_CMD_READ_NATIVE_MAX_EXT:
        d->lba48 = true;
        break;
    }
    switch (cmd) {
    case ATA_CMD_IDENTIFY:
        send_identify(d, false);
        return;
    case ATA_CMD_READ:
    case ATA_CMD_READ_ONCE:
    case ATA_CMD_READ_EXT:
        ata_rw(d, false, false);
        return;
    case ATA_CMD_READ_MULTIPLE:
    case ATA_CMD_READ_MULTIPLE_EXT:
    case ATA_CMD_WRITE_MULTIPLE:
    case ATA_CMD_WRITE_MULTIPLE_EXT:
        if (!d->mult) {
            cmd_error(d, ATA_ER_ABRT);
            return;
        }
        ata_rw(d, cmd == ATA_CMD_WRITE_MULTIPLE || cmd == ATA_CMD_WRITE_MULTIPLE_EXT, false);
        return;
    case ATA_CMD_WRITE:
    case ATA_CMD_WRITE_ONCE:
    case ATA_CMD_WRITE_EXT:
        ata_rw(d, true, false);
        return;
    case ATA_CMD_READ_DMA:
    case ATA_CMD_READ_DMA_ONCE:
    case ATA_CMD_READ_DMA_EXT:
        ata_rw(d, false, true);
        return;
    case ATA_CMD_WRITE_DMA:
    case ATA_CMD_WRITE_DMA_ONCE:
    case ATA_CMD_WRITE_DMA_EXT:
        ata_rw(d, true, true);
        return;
    case ATA_CMD_VERIFY:
    case ATA_CMD_VERIFY_ONCE:
    case ATA_CMD_VERIFY_EXT: {
        uint64_t lba;
        uint32_t count;
        if (!range_ok(d, &lba, &count))
            return;
        set_taskfile_lba(d, lba + count - 1);
        cmd_ok(d);
        ide_raise_irq(ch);
        return;
    }
    case ATA_CMD_SET_MULTIPLE:
        if (d->nsector > ID_MAX_MULT || (d->nsector & (d->nsector - 1))) {
            cmd_error(d, ATA_ER_ABRT);
            return;
        }
        d->mult = d->nsector;
        cmd_ok(d);
        ide_raise_irq(ch);
        return;
    case ATA_CMD_INIT_DEV_PARAMS: {
        uint8_t secs = d->nsector, heads = (uint8_t)((d->device & 0x0F) + 1);
        if (!secs) {
            cmd_error(d, ATA_ER_ABRT);
            return;
        }
        d->cur_secs = secs;
        d->cur_heads = heads;
        cmd_ok(d);
        ide_raise_irq(ch);
        return;
    }
    case ATA_CMD_FLUSH:
    case ATA_CMD_FLUSH_EXT:
        if (d->blk && blk_flush(d->blk)) {
            cmd_error(d, ATA_ER_ABRT);
            return;
        }
        cmd_ok(d);
        ide_raise_irq(ch);
        return;
    case ATA_CMD_SET_FEATURES:
        set_features(d);
        return;
    case ATA_CMD_DIAGNOSE:
        for (int u = 0; u < 2; u++) {
            IdeDrive *x = &ch->drive[u];
            if (!x->present)
                continue;
            ide_transfer_stop(x);
            set_signature(x);
            x->error = ATA_ER_DIAG_OK;
            x->status = x->atapi ? 0 : ATA_SR_DRDY | ATA_SR_DSC;
        }
        ide_raise_irq(ch);
        return;
    case ATA_CMD_CHECK_POWER:
        cmd_ok(d);
        d->nsector = 0xFF; /* active or idle */
        ide_raise_irq(ch);
        return;
    case ATA_CMD_STANDBY_IMM:
    case ATA_CMD_IDLE_IMM:
    case ATA_CMD_STANDBY:
    case ATA_CMD_IDLE:
    case ATA_CMD_SLEEP:
    case ATA_CMD_SEEK:
        cmd_ok(d);
        ide_raise_irq(ch);
        return;
    default:
        if ((cmd & 0xF0) == ATA_CMD_RECALIBRATE) {
            cmd_ok(d);
            ide_raise_irq(ch);
            return;
        }
        cmd_error(d, ATA_ER_ABRT);
        return;
    }
}

/* ------------------------------------------------------------------ registers */

static IdeDrive *cur_drive(IdeChannel *ch)
{
    return &ch->drive[ch->cur];
}

/* The selected drive does not answer: no drive there (reads 0, as QEMU's). */
static bool absent(IdeChannel *ch)
{
    return !cur_drive(ch)->present;
}

static uint32_t data_read(IdeChannel *ch, int size_log2)
{
    IdeDrive *d = cur_drive(ch);
    unsigned n = 1u << size_log2;
    if (!(d->status & ATA_SR_DRQ) || !d->end_pio || d->pos >= d->end)
        return n == 4 ? 0xFFFFFFFFu : n == 2 ? 0xFFFF : 0xFF;
    /* an odd-length ATAPI block: the last access gets the last byte */
    unsigned k = d->end - d->pos < n ? d->end - d->pos : n;
    uint32_t v = 0;
    for (unsigned i = 0; i < k; i++)
        v |= (uint32_t)d->buf[d->pos + i] << (8 * i);
    d->pos += k;
    if (d->pos >= d->end) {
        void (*end)(IdeDrive *) = d->end_pio;
        d->end_pio = NULL;
        end(d);
    }
    return v;
}

static void data_write(IdeChannel *ch, uint32_t v, int size_log2)
{
    IdeDrive *d = cur_drive(ch);
    unsigned n = 1u << size_log2;
    if (!(d->status & ATA_SR_DRQ) || !d->end_pio || d->pos >= d->end)
        return;
    unsigned k = d->end - d->pos < n ? d->end - d->pos : n;
    for (unsigned i = 0; i < k; i++)
        d->buf[d->pos + i] = (uint8_t)(v >> (8 * i));
    d->pos += k;
    if (d->pos >= d->end) {
        void (*end)(IdeDrive *) = d->end_pio;
        d->end_pio = NULL;
        end(d);
    }
}

static uint32_t cmd_read(void *opaque, uint32_t off, int size_log2)
{
    IdeChannel *ch = opaque;
    if (off == ATA_REG_DATA)
        return data_read(ch, size_log2);
    IdeDrive *d = cur_drive(ch);
    bool hob = ch->devctl & ATA_CTL_HOB;
    bool none = !ch->drive[0].present && !ch->drive[1].present;
    if (none)
        return 0xFF; /* nothing on the cable: the bus floats */
    if (absent(ch) && off != ATA_REG_DEVICE)
        return 0;
    switch (off) {
    case ATA_REG_ERROR: return hob ? d->hob_feature : d->error;
    case ATA_REG_NSECT: return hob ? d->hob_nsector : d->nsector;
    case ATA_REG_LBAL: return hob ? d->hob_lbal : d->lbal;
    case ATA_REG_LBAM: return hob ? d->hob_lbam : d->lbam;
    case ATA_REG_LBAH: return hob ? d->hob_lbah : d->lbah;
    case ATA_REG_DEVICE: return d->device | ATA_DEV_OBS;
    case ATA_REG_STATUS:
        lower_irq(ch);
        return d->status;
    }
    return 0xFF;
}

static void cmd_write(void *opaque, uint32_t off, uint32_t v, int size_log2)
{
    IdeChannel *ch = opaque;
    if (off == ATA_REG_DATA) {
        data_write(ch, v, size_log2);
        return;
    }
    uint8_t b = (uint8_t)v;
    if (off != ATA_REG_COMMAND)
        ch->devctl &= (uint8_t)~ATA_CTL_HOB; /* a task file write clears HOB */
    for (int u = 0; u < 2; u++) {
        IdeDrive *d = &ch->drive[u];
        switch (off) {
        case ATA_REG_FEATURE: d->hob_feature = d->feature; d->feature = b; break;
        case ATA_REG_NSECT: d->hob_nsector = d->nsector; d->nsector = b; break;
        case ATA_REG_LBAL: d->hob_lbal = d->lbal; d->lbal = b; break;
        case ATA_REG_LBAM: d->hob_lbam = d->lbam; d->lbam = b; break;
        case ATA_REG_LBAH: d->hob_lbah = d->lbah; d->lbah = b; break;
        case ATA_REG_DEVICE: d->device = b | ATA_DEV_OBS; break;
        }
    }
    if (off == ATA_REG_DEVICE)
        ch->cur = (b & ATA_DEV_DEV1) ? 1 : 0;
    if (off == ATA_REG_COMMAND) {
        IdeDrive *d = cur_drive(ch);
        if (!d->present || (ch->devctl & ATA_CTL_SRST))
            return;
        lower_irq(ch);
        exec_command(ch, d, b);
    }
}

static uint32_t ctl_read(void *opaque, uint32_t off, int size_log2)
{
    IdeChannel *ch = opaque;
    if (!ch->drive[0].present && !ch->drive[1].present)
        return 0xFF;
    if (absent(ch))
        return 0;
    return cur_drive(ch)->status; /* alternate status: no side effect */
}

static void ctl_write(void *opaque, uint32_t off, uint32_t v, int size_log2)
{
    IdeChannel *ch = opaque;
    uint8_t old = ch->devctl;
    ch->devctl = (uint8_t)v;
    if ((v & ATA_CTL_SRST) && !(old & ATA_CTL_SRST)) {
        for (int u = 0; u < 2; u++) {
            ide_transfer_stop(&ch->drive[u]);
            if (ch->drive[u].present)
                ch->drive[u].status = ATA_SR_BSY;
        }
    } else if (!(v & ATA_CTL_SRST) && (old & ATA_CTL_SRST)) {
        for (int u = 0; u < 2; u++)
            if (ch->drive[u].present)
                drive_reset(&ch->drive[u]);
        ch->cur = 0;
        ch->irq_pending = false;
    }
    update_irq(ch);
}

/* ------------------------------------------------------------------ bus master registers */

static uint8_t bm_readb(IdeChannel *ch, uint32_t off)
{
    switch (off) {
    case BM_CMD: return ch->bm_cmd;
    case BM_STATUS: return ch->bm_status;
    case BM_PRD: case BM_PRD + 1: case BM_PRD + 2: case BM_PRD + 3:
        return (uint8_t)(ch->bm_prd >> (8 * (off - BM_PRD)));
    }
    return 0;
}

static void bm_writeb(IdeChannel *ch, uint32_t off, uint8_t v)
{
    switch (off) {
    case BM_CMD: {
        uint8_t old = ch->bm_cmd;
        ch->bm_cmd = v & (BM_CMD_START | BM_CMD_READ);
        if ((v & BM_CMD_START) && !(old & BM_CMD_START)) {
            ch->bm_status |= BM_ST_ACTIVE;
            ch->prd_index = 0;
            ch->prd_len = 0;
            ch->prd_eot = false;
            dma_run(ch);
        } else if (!(v & BM_CMD_START)) {
            ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
        }
        break;
    }
    case BM_STATUS:
        ch->bm_status = (uint8_t)((ch->bm_status & ~(BM_ST_DMA0 | BM_ST_DMA1)) |
                                  (v & (BM_ST_DMA0 | BM_ST_DMA1)));
        ch->bm_status &= (uint8_t)~(v & (BM_ST_ERROR | BM_ST_INT));
        break;
    case BM_PRD: case BM_PRD + 1: case BM_PRD + 2: case BM_PRD + 3: {
        unsigned sh = 8 * (off - BM_PRD);
        ch->bm_prd = (ch->bm_prd & ~(0xFFu << sh)) | (uint32_t)v << sh;
        ch->bm_prd &= ~3u;
        break;
    }
    }
}

static uint32_t bm_read(void *opaque, uint32_t off, int size_log2)
{
    PiixIde *ide = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < (1u << size_log2); i++) {
        uint32_t o = off + i;
        v |= (uint32_t)bm_readb(&ide->ch[(o >> 3) & 1], o & 7) << (8 * i);
    }
    return v;
}

static void bm_write(void *opaque, uint32_t off, uint32_t v, int size_log2)
{
    PiixIde *ide = opaque;
    /* PRD address bytes first, the command byte (which may start) last */
    for (int i = (1 << size_log2) - 1; i >= 0; i--) {
        uint32_t o = off + (uint32_t)i;
        bm_writeb(&ide->ch[(o >> 3) & 1], o & 7, (uint8_t)(v >> (8 * i)));
    }
}

/* ------------------------------------------------------------------ PCI and reset */

static void update_decode(PiixIde *ide)
{
    for (int c = 0; c < 2; c++) {
        uint16_t t = ld16le(ide->pci->config + chan_ports[c].idetim);
        bool on = (t & PIIX3_IDETIM_DECODE) != 0;
        IdeChannel *ch = &ide->ch[c];
        region_map(ide->m, ch->cmd_region, chan_ports[c].cmd, on);
        region_map(ide->m, ch->ctl_region, chan_ports[c].ctl, on);
    }
}

static void config_write(PciDevice *pd, uint32_t addr, uint32_t val, int size_log2)
{
    uint32_t end = addr + (1u << size_log2);
    if (addr < PIIX3_IDETIM_SEC + 2 && end > PIIX3_IDETIM_PRI)
        update_decode(pd->opaque);
}

static void ide_reset(void *opaque)
{
    PiixIde *ide = opaque;
    PciDevice *pd = ide->pci;
    st16le(pd->config + PCI_COMMAND, 0);
    st16le(pd->config + PCI_STATUS, 0x0280); /* fast back-to-back, medium DEVSEL */
    st32le(pd->config + PCI_BAR0 + 4 * PIIX3_IDE_BMIBA_BAR, PCI_BAR_IO);
    st16le(pd->config + PIIX3_IDETIM_PRI, PIIX3_IDETIM_DECODE);
    st16le(pd->config + PIIX3_IDETIM_SEC, PIIX3_IDETIM_DECODE);
    pd->config[PIIX3_SIDETIM] = 0;
    region_map(ide->m, pd->bar[PIIX3_IDE_BMIBA_BAR].region, 0, false);
    for (int c = 0; c < 2; c++) {
        IdeChannel *ch = &ide->ch[c];
        ch->bm_cmd = 0;
        ch->bm_status = 0;
        ch->bm_prd = 0;
        ch->prd_index = ch->prd_len = 0;
        ch->prd_eot = false;
        ch->devctl = 0;
        ch->cur = 0;
        ch->irq_pending = false;
        for (int u = 0; u < 2; u++) {
            drive_reset(&ch->drive[u]);
            if (ch->drive[u].atapi)
                atapi_power_on(&ch->drive[u]);
            if (ch->drive[u].present)
                ch->bm_status |= (uint8_t)(u ? BM_ST_DMA1 : BM_ST_DMA0);
        }
        update_irq(ch);
    }
    update_decode(ide);
}

uint8_t piix_ide_cmos_translation(PiixIde *ide)
{
    uint8_t v = 0;
    for (int i = 0; i < IDE_DRIVES; i++) {
        IdeDrive *d = &ide->ch[i / 2].drive[i % 2];
        /* LBA translation for disks too big for 1024 cylinders, as QEMU does */
        if (d->present && !d->atapi && d->nsect > 1024ull * 16 * 63)
            v |= (uint8_t)(1u << (2 * i));
    }
    return v;
}

static void init_drive(PiixIde *ide, IdeDrive *d, const IdeDriveConf *c, int index)
{
    d->present = c->present;
    d->atapi = c->cdrom;
    d->blk = c->blk;
    d->buf = machine_zalloc(ide->m, IDE_BUF_SIZE + 16);
    snprintf(d->serial, sizeof d->serial, "WB%05d", index + 1);
    snprintf(d->model, sizeof d->model, "%s", d->atapi ? "WIREBOX DVD-ROM" : "WIREBOX HARDDISK");
    if (!d->present)
        return;
    if (d->atapi) {
        d->nsect = d->blk ? blk_size(d->blk) / CD_SECTOR : 0;
        return;
    }
    d->nsect = blk_size(d->blk) / 512;
    /* The usual translated geometry: 16 heads, 63 sectors, at most 16383 cylinders. */
    uint64_t cyls = d->nsect / (16 * 63);
    d->cyls = (uint16_t)(cyls > 16383 ? 16383 : cyls ? cyls : 1);
    d->heads = 16;
    d->secs = 63;
}

PiixIde *piix_ide_new(Machine *m, PciBus *pci, IrqLine irq14, IrqLine irq15,
                      const IdeDriveConf conf[IDE_DRIVES])
{
    PiixIde *ide = machine_zalloc(m, sizeof *ide);
    ide->m = m;
    PciDevice *pd = pci_register_device(pci, "piix3-ide", PIIX3_IDE_DEVFN, PIIX3_IDE_VENDOR,
                                        PIIX3_IDE_DEVICE, 0x00, PIIX3_IDE_CLASS, ide);
    if (!pd)
        return NULL;
    ide->pci = pd;
    pd->config[PCI_INTERRUPT_PIN] = 0; /* legacy IRQs 14/15 */
    pd->wmask[PCI_INTERRUPT_LINE] = 0;
    pd->wmask[PIIX3_IDETIM_PRI] = pd->wmask[PIIX3_IDETIM_PRI + 1] = 0xFF;
    pd->wmask[PIIX3_IDETIM_SEC] = pd->wmask[PIIX3_IDETIM_SEC + 1] = 0xFF;
    pd->wmask[PIIX3_SIDETIM] = 0xFF;
    pd->config_write = config_write;
    pci_register_bar(pd, PIIX3_IDE_BMIBA_BAR, PIIX3_IDE_BM_SIZE, true, bm_read, bm_write, ide);
    for (int c = 0; c < 2; c++) {
        IdeChannel *ch = &ide->ch[c];
        ch->ide = ide;
        ch->index = c;
        ch->irq = c ? irq15 : irq14;
        ch->cmd_region = io_register(m, c ? "ide1" : "ide0", chan_ports[c].cmd, 8, ch,
                                     cmd_read, cmd_write);
        ch->ctl_region = io_register(m, c ? "ide1-ctl" : "ide0-ctl", chan_ports[c].ctl, 1, ch,
                                     ctl_read, ctl_write);
        for (int u = 0; u < 2; u++) {
            ch->drive[u].ch = ch;
            ch->drive[u].unit = u;
            init_drive(ide, &ch->drive[u], &conf[c * 2 + u], c * 2 + u);
        }
    }
    machine_add_reset(m, ide_reset, ide);
    ide_reset(ide);
    return ide;
}
