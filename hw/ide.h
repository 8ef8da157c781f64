/* The PIIX3 IDE function and its drives: ATA disks (hw/ide.c) and ATAPI
 * CD-ROMs (hw/atapi.c). The board creates it with the drives the command
 * line gave; the structures below are what ide.c and atapi.c share. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "hw/chips.h"
#include "hw/machine.h"

/* One drive position (index 0-3 = channel * 2 + unit) as the board gets it. */
typedef struct IdeDriveConf {
    bool present;
    bool cdrom;
    BlockDev *blk; /* NULL: absent disk, or a CD-ROM drive without a disc */
} IdeDriveConf;

#define IDE_DRIVES 4

typedef struct PiixIde PiixIde;

/* Creates the PIIX3 IDE function at 01.1 on pci with the legacy channels
 * (0x1F0/0x3F6 on irq14, 0x170/0x376 on irq15) and the drives of conf. */
PiixIde *piix_ide_new(Machine *m, PciBus *pci, IrqLine irq14, IrqLine irq15,
                      const IdeDriveConf conf[IDE_DRIVES]);
/* What a PC BIOS is told of a disk's geometry translation (CMOS 0x39,
 * two bits per drive: 0 none, 1 LBA); 0 for absent drives and CD-ROMs. */
uint8_t piix_ide_cmos_translation(PiixIde *ide);

/* ---- Shared by ide.c and atapi.c */
#define IDE_BUF_SIZE (256 * 512) /* one chunk of a transfer: 128 KiB */

typedef struct IdeChannel IdeChannel;
typedef struct IdeDrive IdeDrive;

struct IdeDrive {
    IdeChannel *ch;
    int unit;
    bool present, atapi;
    BlockDev *blk;
    uint64_t nsect; /* disk: 512-byte sectors; CD: 2048-byte sectors */
    char serial[21], model[41];
    uint16_t cyls, heads, secs;         /* default CHS geometry */
    uint16_t cur_heads, cur_secs;       /* INITIALIZE DEVICE PARAMETERS */
    uint8_t mult;                       /* READ/WRITE MULTIPLE block (0: off) */
    bool wcache;
    uint8_t mwdma_mode, udma_mode;      /* selected by SET FEATURES; 0xFF: none */

    /* Task file (both drives latch every write) */
    uint8_t feature, nsector, lbal, lbam, lbah, device;
    uint8_t hob_feature, hob_nsector, hob_lbal, hob_lbam, hob_lbah;
    uint8_t status, error;

    /* The transfer in progress */
    uint8_t *buf;      /* IDE_BUF_SIZE bytes */
    uint32_t pos, end; /* PIO: the DRQ block is buf[pos, end) */
    void (*end_pio)(IdeDrive *d); /* called when the host has moved the block */
    uint8_t cmd;
    bool lba48;
    uint64_t lba;      /* next sector */
    uint32_t left;     /* sectors still to transfer */
    uint32_t chunk, chunk_done; /* sectors in buf, sectors of it moved */
    /* Bus master DMA: pending until the channel's engine is started */
    bool dma_pending, dma_to_host;
    uint32_t dma_in_buf, dma_buf_pos;

    /* ATAPI */
    uint8_t packet[12];
    uint8_t sense_key, asc, ascq;
    bool tray_open, locked, unit_attention;
    uint8_t media_event; /* GET EVENT STATUS NOTIFICATION: 0 none, 2 new media, 3 removal */
    uint32_t byte_limit; /* byte count limit of the PACKET command */
    uint32_t xfer_left;  /* bytes of the reply still to send */
    uint32_t cd_lba, cd_left; /* READ: next 2048-byte sector, sectors left */
    bool packet_dma;          /* the PACKET command asked for DMA */
};

struct IdeChannel {
    PiixIde *ide;
    int index;
    IrqLine irq;
    IdeDrive drive[2];
    int cur;         /* selected unit */
    uint8_t devctl;
    bool irq_pending;
    /* Bus master */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;
    uint32_t prd_index;        /* next entry of the table */
    uint32_t prd_addr, prd_len; /* what is left of the current entry */
    bool prd_eot;              /* the current entry is the last */
    IoRegion *cmd_region, *ctl_region;
};

/* ide.c services for atapi.c */
void ide_raise_irq(IdeChannel *ch);
void ide_pio_start(IdeDrive *d, uint32_t pos, uint32_t len, void (*end)(IdeDrive *d));
void ide_transfer_stop(IdeDrive *d);
/* Starts bus master DMA for d's pending transfer if the engine runs. */
void ide_dma_kick(IdeChannel *ch);
/* The other drive of d's channel waits for the channel's one DMA engine:
 * d cannot start a DMA transfer (its command is aborted). */
bool ide_dma_taken(const IdeDrive *d);
void ide_put_string(uint16_t *id, int word, const char *s, int words);

/* atapi.c */
void atapi_identify(IdeDrive *d, uint16_t *id);
void atapi_packet_cmd(IdeDrive *d);   /* the PACKET command was written */
void atapi_reset(IdeDrive *d);        /* a reset of the drive: sense and transfer cleared */
void atapi_power_on(IdeDrive *d);     /* machine reset: tray closed, disc in, unit attention */
/* DMA for ATAPI: fill d->buf with the next bytes to send; 0 when done,
 * -1 on a host error (sense set). */
int atapi_dma_fill(IdeDrive *d);
/* The DMA transfer of d ended (ok: all its bytes moved). */
void atapi_dma_done(IdeDrive *d, bool ok);
