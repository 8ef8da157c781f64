/* The ATAPI CD-ROM drive of the PIIX3 IDE channels (hw/ide.c), after
 * SFF-8020i (the packet protocol) and MMC-3 (the commands).
 *
 * The PACKET command takes a 12-byte command block in one DRQ block without
 * an interrupt (IDENTIFY PACKET DEVICE word 0 says so); the reply goes to
 * the host by PIO in blocks no longer than the byte count limit the host
 * put in the LBA mid/high registers, each announced with an interrupt and
 * the interrupt reason (I/O, C/D) in the sector count register, or by bus
 * master DMA when the features register asked for it. A command that fails
 * ends with CHECK CONDITION: ERR in the status, the sense key in the error
 * register's high nibble, the sense data kept for REQUEST SENSE.
 *
 * Commands: TEST UNIT READY, REQUEST SENSE, INQUIRY, START STOP UNIT
 * (eject and load the tray), PREVENT ALLOW MEDIUM REMOVAL, READ CAPACITY,
 * READ(10), READ(12), READ CD (user data), SEEK(10), READ TOC/PMA/ATIP
 * (formats 0, 1 and 2), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION
 * (media class), READ DISC INFORMATION, MODE SENSE(6/10) (pages 01h, 2Ah,
 * 3Fh), MECHANISM STATUS, SET CD SPEED. Others: ILLEGAL REQUEST, invalid
 * command operation code. A disc is one data track (an ISO 9660 image).
 *
 * Media change: at power-on a drive with a disc reports UNIT ATTENTION
 * (medium may have changed) once and a "new media" event; ejecting through
 * START STOP UNIT (refused while the medium is locked) leaves the drive
 * without a disc until the tray is loaded again. */
#include <stdio.h>
#include <string.h>

#include "hw/bytes.h"
#include "hw/ide.h"
#include "hw/ide_regs.h"

#define CD_MAX_SECTORS 400000u /* larger media are DVDs (profile, capabilities) */
#define REPLY_MAX 4096u

static bool has_medium(const IdeDrive *d)
{
    return d->blk && !d->tray_open;
}

static void set_sense(IdeDrive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    d->sense_key = key;
    d->asc = asc;
    d->ascq = ascq;
}

static void complete(IdeDrive *d)
{
    ide_transfer_stop(d);
    d->status = ATA_SR_DRDY | ATA_SR_DSC;
    d->error = 0;
    d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
    ide_raise_irq(d->ch);
}

static void check_condition(IdeDrive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    set_sense(d, key, asc, ascq);
    ide_transfer_stop(d);
    d->status = ATA_SR_DRDY | ATA_SR_ERR;
    d->error = (uint8_t)(key << 4);
    d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
    ide_raise_irq(d->ch);
}

static void not_ready(IdeDrive *d)
{
    check_condition(d, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0);
}

static void invalid_field(IdeDrive *d)
{
    check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
}

/* ------------------------------------------------------------------ data phase */

/* The next piece of the reply into d->buf from offset 0: the reply built at
 * command time, or the next sectors of a READ. Bytes, 0 when done, -1 on a
 * host error (sense set). */
static int fill(IdeDrive *d)
{
    if (!d->xfer_left)
        return 0;
    if (d->chunk > d->chunk_done) { /* a reply already in buf */
        uint32_t n = d->xfer_left < d->chunk ? d->xfer_left : d->chunk;
        d->chunk_done = d->chunk;
        d->xfer_left -= n;
        return (int)n;
    }
    uint32_t n = d->cd_left < IDE_BUF_SIZE / CD_SECTOR ? d->cd_left : IDE_BUF_SIZE / CD_SECTOR;
    if (!n || !has_medium(d))
        return -1;
    if (blk_read(d->blk, (uint64_t)d->cd_lba * CD_SECTOR, d->buf, (size_t)n * CD_SECTOR)) {
        set_sense(d, 0x03, 0x11, 0x00); /* MEDIUM ERROR, unrecovered read error */
        return -1;
    }
    d->cd_lba += n;
    d->cd_left -= n;
    d->xfer_left -= n * CD_SECTOR;
    return (int)(n * CD_SECTOR);
}

static void pio_next(IdeDrive *d);

static void pio_block_done(IdeDrive *d)
{
    pio_next(d);
}

/* Offers the next PIO block of the reply, or ends the command. */
static void pio_next(IdeDrive *d)
{
    if (d->pos >= d->dma_in_buf) {
        int n = fill(d);
        if (n < 0) {
            if (!d->sense_key)
                set_sense(d, 0x03, 0x11, 0x00);
            check_condition(d, d->sense_key, d->asc, d->ascq);
            return;
        }
        if (n == 0) {
            complete(d);
            return;
        }
        d->dma_in_buf = (uint32_t)n;
        d->pos = 0;
    }
    uint32_t limit = d->byte_limit;
    if (limit == 0 || limit == 0xFFFF)
        limit = 0xFFFE;
    uint32_t n = d->dma_in_buf - d->pos;
    if (n > limit)
        n = limit >= 2 ? limit & ~1u : 2; /* blocks but the last are even */
    ide_pio_start(d, d->pos, n, pio_block_done);
    d->lbam = (uint8_t)n;
    d->lbah = (uint8_t)(n >> 8);
    d->nsector = ATAPI_IR_IO;
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    ide_raise_irq(d->ch);
}

/* Sends xfer bytes: a reply of len bytes in buf (cut to alloc), or the
 * sectors set in cd_lba/cd_left. */
static void data_in(IdeDrive *d, uint32_t total)
{
    d->xfer_left = total;
    if (!total) {
        complete(d);
        return;
    }
    if (d->packet_dma) {
        if (ide_dma_taken(d)) {
            check_condition(d, 0x0B, 0x00, 0x00); /* ABORTED COMMAND */
            return;
        }
        d->dma_pending = true;
        d->dma_to_host = true;
        d->dma_in_buf = d->dma_buf_pos = 0;
        d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
        d->nsector = ATAPI_IR_IO;
        ide_dma_kick(d->ch);
        return;
    }
    /* PIO keeps its block in dma_in_buf too: a DMA transfer stopped
     * earlier must not leave its position beyond it. */
    d->dma_in_buf = d->dma_buf_pos = 0;
    d->pos = 0;
    pio_next(d);
}

static void reply(IdeDrive *d, uint32_t len, uint32_t alloc)
{
    d->chunk = len;
    d->chunk_done = 0;
    data_in(d, len < alloc ? len : alloc);
}

int atapi_dma_fill(IdeDrive *d)
{
    return fill(d);
}

void atapi_dma_done(IdeDrive *d, bool ok)
{
    if (ok) {
        complete(d);
        return;
    }
    if (!d->sense_key)
        set_sense(d, 0x0B, 0x00, 0x00); /* ABORTED COMMAND */
    check_condition(d, d->sense_key, d->asc, d->ascq);
}

/* ------------------------------------------------------------------ commands */

static uint32_t lba_to_msf(uint32_t lba)
{
    uint32_t f = lba + 150;
    return (f / (60 * 75)) << 16 | ((f / 75) % 60) << 8 | (f % 75);
}

static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (msf) {
        p[0] = 0;
        uint32_t v = lba_to_msf(lba);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    } else {
        st32be(p, lba);
    }
}

static void read_toc(IdeDrive *d)
{
    const uint8_t *c = d->packet;
    if (!has_medium(d)) {
        not_ready(d);
        return;
    }
    bool msf = c[1] & 2;
    int format = c[2] & 0x0F;
    if (!format)
        format = c[9] >> 6;
    uint8_t track = c[6];
    uint32_t alloc = ld16be(c + 7);
    uint8_t *b = d->buf;
    memset(b, 0, 64);
    uint32_t len;
    switch (format) {
    case 0: {
        if (track > 1 && track != 0xAA) {
            invalid_field(d);
            return;
        }
        b[2] = b[3] = 1;
        len = 4;
        if (track <= 1) {
            b[len + 1] = 0x14; /* ADR 1, data track */
            b[len + 2] = 1;
            put_addr(b + len + 4, 0, msf);
            len += 8;
        }
        b[len + 1] = 0x14;
        b[len + 2] = 0xAA; /* lead-out */
        put_addr(b + len + 4, (uint32_t)d->nsect, msf);
        len += 8;
        break;
    }
    case 1: /* session information */
        b[2] = b[3] = 1;
        b[5] = 0x14;
        b[6] = 1;
        put_addr(b + 8, 0, msf);
        len = 12;
        break;
    case 2: { /* full TOC: points A0, A1, A2 and track 1 */
        b[2] = b[3] = 1;
        len = 4;
        static const uint8_t points[] = {0xA0, 0xA1, 0xA2, 0x01};
        for (int i = 0; i < 4; i++) {
            uint8_t *e = b + len;
            e[0] = 1;
            e[1] = 0x14;
            e[3] = points[i];
            if (points[i] == 0xA0 || points[i] == 0xA1) {
                e[8] = 1; /* first / last track number */
            } else {
                uint32_t v = lba_to_msf(points[i] == 0xA2 ? (uint32_t)d->nsect : 0);
                e[8] = (uint8_t)(v >> 16);
                e[9] = (uint8_t)(v >> 8);
                e[10] = (uint8_t)v;
            }
            len += 11;
        }
        break;
    }
    default:
        invalid_field(d);
        return;
    }
    st16be(b, (uint16_t)(len - 2));
    reply(d, len, alloc);
}

static bool is_dvd(const IdeDrive *d)
{
    return d->nsect > CD_MAX_SECTORS;
}

static uint32_t add_feature(uint8_t *b, uint32_t len, uint16_t code, uint8_t flags,
                            const uint8_t *data, uint8_t dlen)
{
    st16be(b + len, code);
    b[len + 2] = flags;
    b[len + 3] = dlen;
    memcpy(b + len + 4, data, dlen);
    return len + 4 + dlen;
}

static void get_configuration(IdeDrive *d)
{
    const uint8_t *c = d->packet;
    int rt = c[1] & 3;
    uint16_t start = ld16be(c + 2);
    uint32_t alloc = ld16be(c + 7);
    if (rt == 3) {
        invalid_field(d);
        return;
    }
    bool medium = has_medium(d), dvd = is_dvd(d);
    uint16_t profile = !medium ? 0 : dvd ? MMC_PROFILE_DVD_ROM : MMC_PROFILE_CD_ROM;
    uint8_t *b = d->buf;
    memset(b, 0, 256);
    uint32_t len = 8;
    st16be(b + 6, profile);
    struct {
        uint16_t code;
        bool current;
        uint8_t flags;
        uint8_t data[8];
        uint8_t dlen;
    } f[] = {
        {0x0000, true, 0x03,
         {MMC_PROFILE_DVD_ROM >> 8, MMC_PROFILE_DVD_ROM & 0xFF, profile == MMC_PROFILE_DVD_ROM,
          0, MMC_PROFILE_CD_ROM >> 8, MMC_PROFILE_CD_ROM & 0xFF, profile == MMC_PROFILE_CD_ROM,
          0},
         8},
        {0x0001, true, 0x0B, {0, 0, 0, 2 /* ATAPI */, 0x01, 0, 0, 0}, 8},
        {0x0002, true, 0x07, {0x02, 0, 0, 0}, 4},
        {0x0003, true, 0x03, {0x29, 0, 0, 0}, 4}, /* tray, eject, lock */
        {0x0010, medium, (uint8_t)(medium ? 0x01 : 0), {0, 0, 0x08, 0, 0, 1, 0, 0}, 8},
        {0x001E, medium && !dvd, (uint8_t)(0x08 | (medium && !dvd)), {0, 0, 0, 0}, 4},
        {0x001F, medium && dvd, (uint8_t)(medium && dvd), {0, 0, 0, 0}, 4},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (f[i].code < start || (rt == 1 && !f[i].current) || (rt == 2 && f[i].code != start))
            continue;
        len = add_feature(b, len, f[i].code, f[i].flags, f[i].data, f[i].dlen);
    }
    st32be(b, len - 4);
    reply(d, len, alloc);
}

static void get_event_status(IdeDrive *d)
{
    const uint8_t *c = d->packet;
    uint32_t alloc = ld16be(c + 7);
    if (!(c[1] & 1)) { /* only polled operation */
        invalid_field(d);
        return;
    }
    uint8_t *b = d->buf;
    memset(b, 0, 8);
    b[3] = 0x10; /* supported classes: media */
    uint32_t len;
    if (c[4] & 0x10) {
        b[2] = 0x04; /* media class */
        b[4] = d->media_event;
        b[5] = (uint8_t)((has_medium(d) ? 0x02 : 0) | (d->tray_open ? 0x01 : 0));
        d->media_event = 0;
        len = 8;
    } else {
        b[2] = 0x80; /* no event available */
        len = 4;
    }
    st16be(b, (uint16_t)(len - 2));
    reply(d, len, alloc);
}

/* Mode pages 01h and 2Ah (or both: 3Fh) after a header of hlen bytes. */
static void mode_sense(IdeDrive *d, bool ten)
{
    const uint8_t *c = d->packet;
    int page = c[2] & 0x3F, pc = c[2] >> 6;
    uint32_t alloc = ten ? ld16be(c + 7) : c[4];
    if (pc == 3) {
        check_condition(d, SENSE_ILLEGAL_REQUEST, 0x39, 0); /* saving not supported */
        return;
    }
    if (page != 0x01 && page != 0x2A && page != 0x3F) {
        invalid_field(d);
        return;
    }
    uint8_t *b = d->buf;
    memset(b, 0, 64);
    uint32_t len = ten ? 8 : 4;
    if (page == 0x01 || page == 0x3F) {
        b[len] = 0x01;
        b[len + 1] = 0x06;
        b[len + 3] = 5; /* read retry count */
        len += 8;
    }
    if (page == 0x2A || page == 0x3F) {
        uint8_t *p = b + len;
        p[0] = 0x2A;
        p[1] = 0x14;
        p[2] = 0x3B; /* reads CD-R, CD-RW, method 2, DVD-ROM, DVD-R, DVD-RAM */
        p[4] = 0x71; /* audio play, mode 2 form 1 and 2, multi-session */
        p[5] = 0x01; /* CD-DA commands */
        p[6] = (uint8_t)(0x29 | (d->locked ? 0x02 : 0)); /* tray, eject, lock (state) */
        if (pc != 1) {
            st16be(p + 8, 2816);  /* maximum read speed, kB/s (16x) */
            st16be(p + 10, 256);  /* volume levels */
            st16be(p + 12, 512);  /* buffer, KiB */
            st16be(p + 14, 2816); /* current read speed */
        }
        len += 22;
    }
    if (ten)
        st16be(b, (uint16_t)(len - 2));
    else
        b[0] = (uint8_t)(len - 1);
    reply(d, len, alloc);
}

static void inquiry(IdeDrive *d)
{
    uint32_t alloc = ld16be(d->packet + 3);
    uint8_t *b = d->buf;
    memset(b, 0, 36);
    b[0] = 0x05; /* CD/DVD device */
    b[1] = 0x80; /* removable */
    b[2] = 0x00;
    b[3] = 0x21; /* ATAPI version 2, response data format 1 */
    b[4] = 31;
    memcpy(b + 8, "WIREBOX ", 8);
    char prod[17], rev[5];
    snprintf(prod, sizeof prod, "%-16s", "DVD-ROM");
    snprintf(rev, sizeof rev, "%-4.4s", WIREBOX_VERSION);
    memcpy(b + 16, prod, 16);
    memcpy(b + 32, rev, 4);
    reply(d, 36, alloc);
}

static void read_sectors(IdeDrive *d, uint32_t lba, uint32_t count)
{
    if (!has_medium(d)) {
        not_ready(d);
        return;
    }
    if ((uint64_t)lba + count > d->nsect) {
        check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    if (!count) {
        complete(d);
        return;
    }
    d->cd_lba = lba;
    d->cd_left = count;
    d->chunk = d->chunk_done = 0;
    data_in(d, count * CD_SECTOR);
}

static void start_stop(IdeDrive *d)
{
    uint8_t op = d->packet[4];
    bool loej = op & 2, start = op & 1;
    if (loej) {
        if (!start) {
            if (d->locked) {
                check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED, 2);
                return;
            }
            if (!d->tray_open && d->blk)
                d->media_event = 3; /* media removal */
            d->tray_open = true;
        } else if (d->tray_open) {
            d->tray_open = false;
            if (d->blk) {
                d->media_event = 2; /* new media */
                d->unit_attention = true;
            }
        }
    }
    complete(d);
}

static void exec_packet(IdeDrive *d)
{
    const uint8_t *c = d->packet;
    uint8_t op = c[0];
    if (op != GPCMD_REQUEST_SENSE)
        set_sense(d, SENSE_NONE, 0, 0);
    /* A pending unit attention fails the next command but these. */
    if (d->unit_attention && op != GPCMD_INQUIRY && op != GPCMD_REQUEST_SENSE &&
        op != GPCMD_GET_EVENT_STATUS && op != GPCMD_GET_CONFIGURATION) {
        d->unit_attention = false;
        check_condition(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0);
        return;
    }
    uint8_t *b = d->buf;
    switch (op) {
    case GPCMD_TEST_UNIT_READY:
        if (!has_medium(d))
            not_ready(d);
        else
            complete(d);
        return;
    case GPCMD_REQUEST_SENSE:
        memset(b, 0, 18);
        b[0] = 0x70;
        b[2] = d->sense_key;
        b[7] = 10;
        b[12] = d->asc;
        b[13] = d->ascq;
        set_sense(d, SENSE_NONE, 0, 0);
        reply(d, 18, c[4]);
        return;
    case GPCMD_INQUIRY:
        inquiry(d);
        return;
    case GPCMD_MODE_SENSE_6:
    case GPCMD_MODE_SENSE_10:
        mode_sense(d, op == GPCMD_MODE_SENSE_10);
        return;
    case GPCMD_START_STOP_UNIT:
        start_stop(d);
        return;
    case GPCMD_PREVENT_ALLOW:
        d->locked = c[4] & 1;
        complete(d);
        return;
    case GPCMD_READ_CAPACITY:
        if (!has_medium(d)) {
            not_ready(d);
            return;
        }
        st32be(b, (uint32_t)(d->nsect ? d->nsect - 1 : 0));
        st32be(b + 4, CD_SECTOR);
        reply(d, 8, 8);
        return;
    case GPCMD_READ_10:
        read_sectors(d, ld32be(c + 2), ld16be(c + 7));
        return;
    case GPCMD_READ_12:
        read_sectors(d, ld32be(c + 2), ld32be(c + 6));
        return;
    case GPCMD_READ_CD: {
        uint32_t count = (uint32_t)c[6] << 16 | (uint32_t)c[7] << 8 | c[8];
        int type = (c[1] >> 2) & 7;
        if (!c[9] || !count) { /* nothing asked for */
            if (!has_medium(d))
                not_ready(d);
            else
                complete(d);
            return;
        }
        if ((type != 0 && type != 2) || c[9] != 0x10) { /* user data of mode 1 sectors only */
            invalid_field(d);
            return;
        }
        read_sectors(d, ld32be(c + 2), count);
        return;
    }
    case GPCMD_SEEK_10:
        if (!has_medium(d))
            not_ready(d);
        else if (ld32be(c + 2) >= d->nsect)
            check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        else
            complete(d);
        return;
    case GPCMD_SET_SPEED:
        complete(d);
        return;
    case GPCMD_READ_TOC:
        read_toc(d);
        return;
    case GPCMD_GET_CONFIGURATION:
        get_configuration(d);
        return;
    case GPCMD_GET_EVENT_STATUS:
        get_event_status(d);
        return;
    case GPCMD_READ_DISC_INFO:
        if (!has_medium(d)) {
            not_ready(d);
            return;
        }
        memset(b, 0, 34);
        st16be(b, 32);
        b[2] = 0x0E; /* complete disc, complete last session */
        b[3] = 1;    /* first track */
        b[4] = 1;    /* sessions */
        b[5] = 1;    /* first track of the last session */
        b[6] = 1;    /* last track of the last session */
        st32be(b + 16, 0xFFFFFFFFu);
        st32be(b + 20, 0xFFFFFFFFu);
        reply(d, 34, ld16be(c + 7));
        return;
    case GPCMD_MECHANISM_STATUS:
        memset(b, 0, 8);
        b[1] = d->tray_open ? 0x10 : 0;
        reply(d, 8, ld16be(c + 8));
        return;
    default:
        check_condition(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
        return;
    }
}

static void packet_received(IdeDrive *d)
{
    memcpy(d->packet, d->buf, 12);
    exec_packet(d);
}

void atapi_packet_cmd(IdeDrive *d)
{
    d->packet_dma = d->feature & ATAPI_FEAT_DMA;
    d->byte_limit = (uint32_t)d->lbah << 8 | d->lbam;
    d->nsector = ATAPI_IR_COD;
    ide_pio_start(d, 0, 12, packet_received);
    d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

void atapi_identify(IdeDrive *d, uint16_t *id)
{
    memset(id, 0, 512);
    /* ATAPI, CD-ROM, removable, DRQ within 50 us of PACKET, 12-byte packets */
    id[ID_CONFIG] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
    ide_put_string(id, ID_SERIAL, d->serial, 10);
    ide_put_string(id, ID_FW_REV, WIREBOX_VERSION, 4);
    ide_put_string(id, ID_MODEL, d->model, 20);
    id[ID_CAPABILITY] = ID_CAP_IORDY | ID_CAP_LBA | ID_CAP_DMA;
    id[ID_FIELD_VALID] = 0x0007;
    id[ID_MWDMA_MODES] = 0x0007 | (d->mwdma_mode < 3 ? 0x0100 << d->mwdma_mode : 0);
    id[ID_PIO_MODES] = 0x0003;
    id[ID_EIDE_DMA_MIN] = 120;
    id[ID_EIDE_DMA_TIME] = 120;
    id[ID_EIDE_PIO] = 120;
    id[ID_EIDE_PIO_IORDY] = 120;
    id[71] = 30; /* typical time from PACKET to bus release, ns */
    id[72] = 30;
    id[ID_MAJOR_VER] = 0x007E;
    id[ID_COMMAND_SET_1] = ID_CMD1_PACKET | ID_CMD1_PM;
    id[ID_COMMAND_SET_2] = ID_VALID_BIT14;
    id[ID_CFSSE] = ID_VALID_BIT14;
    id[ID_CFS_ENABLE_1] = ID_CMD1_PACKET | ID_CMD1_PM;
    id[ID_CSF_DEFAULT] = ID_VALID_BIT14;
    id[ID_UDMA_MODES] = 0x003F | (d->udma_mode < 7 ? 0x0100 << d->udma_mode : 0);
    id[ID_HW_CONFIG] = 0x6001 | (d->unit ? 0x0100 : 0x000A);
}

void atapi_reset(IdeDrive *d)
{
    set_sense(d, SENSE_NONE, 0, 0);
    d->xfer_left = 0;
    d->cd_left = 0;
    d->chunk = d->chunk_done = 0;
}

void atapi_power_on(IdeDrive *d)
{
    d->tray_open = false;
    d->locked = false;
    d->unit_attention = d->blk != NULL;
    d->media_event = d->blk ? 2 : 0;
}
