/* PIIX3 IDE (82371SB function 1) and the ATA/ATAPI register set: the names
 * the model (hw/ide.c, hw/atapi.c) and its test (tests/unit/test_ide.c)
 * share. Sources: the 82371SB datasheet (bus master IDE), ATA/ATAPI-6
 * (T13/1410D: registers, status protocol, commands, IDENTIFY), SFF-8020i
 * and MMC-3 (ATAPI packet commands, sense codes). */
#pragma once

/* ---- PCI function 01.1 */
#define PIIX3_IDE_VENDOR 0x8086
#define PIIX3_IDE_DEVICE 0x7010
#define PIIX3_IDE_DEVFN 0x09           /* slot 1, function 1 */
#define PIIX3_IDE_CLASS 0x010180       /* mass storage, IDE, bus master, legacy ports */
#define PIIX3_IDE_BMIBA_BAR 4          /* bus master registers: 16 I/O ports */
#define PIIX3_IDE_BM_SIZE 16
#define PIIX3_IDETIM_PRI 0x40          /* IDE timing, 16 bits each */
#define PIIX3_IDETIM_SEC 0x42
#define PIIX3_IDETIM_DECODE 0x8000     /* IDE decode enable for the channel's legacy ports */
#define PIIX3_SIDETIM 0x44

/* ---- Legacy ports of the two channels */
#define IDE_PRI_CMD 0x1F0
#define IDE_PRI_CTL 0x3F6
#define IDE_PRI_IRQ 14
#define IDE_SEC_CMD 0x170
#define IDE_SEC_CTL 0x376
#define IDE_SEC_IRQ 15

/* Command block registers (offset from the channel's command base). */
#define ATA_REG_DATA 0
#define ATA_REG_ERROR 1   /* read */
#define ATA_REG_FEATURE 1 /* write */
#define ATA_REG_NSECT 2   /* sector count; ATAPI: interrupt reason */
#define ATA_REG_LBAL 3    /* sector number / LBA 7:0 */
#define ATA_REG_LBAM 4    /* cylinder low / LBA 15:8; ATAPI: byte count low */
#define ATA_REG_LBAH 5    /* cylinder high / LBA 23:16; ATAPI: byte count high */
#define ATA_REG_DEVICE 6  /* device/head */
#define ATA_REG_STATUS 7  /* read: clears the pending interrupt */
#define ATA_REG_COMMAND 7 /* write */
/* Control block (the channel's control port): alternate status / device control. */

/* Status */
#define ATA_SR_BSY 0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DF 0x20
#define ATA_SR_DSC 0x10 /* seek complete / service */
#define ATA_SR_DRQ 0x08
#define ATA_SR_CORR 0x04
#define ATA_SR_IDX 0x02
#define ATA_SR_ERR 0x01

/* Error */
#define ATA_ER_ICRC 0x80
#define ATA_ER_UNC 0x40
#define ATA_ER_MC 0x20
#define ATA_ER_IDNF 0x10
#define ATA_ER_MCR 0x08
#define ATA_ER_ABRT 0x04
#define ATA_ER_TK0NF 0x02
#define ATA_ER_AMNF 0x01
#define ATA_ER_DIAG_OK 0x01 /* after reset / EXECUTE DEVICE DIAGNOSTIC: passed */

/* Device register */
#define ATA_DEV_LBA 0x40
#define ATA_DEV_DEV1 0x10 /* device 1 (slave) selected */
#define ATA_DEV_OBS 0xA0  /* obsolete bits, read as 1 */

/* Device control */
#define ATA_CTL_NIEN 0x02 /* interrupts masked */
#define ATA_CTL_SRST 0x04 /* software reset */
#define ATA_CTL_HOB 0x80  /* read the previous (high order) bytes of LBA48 registers */

/* Signatures after reset (sector count, LBA low, mid, high) */
#define ATA_SIG_ATAPI_LBAM 0x14
#define ATA_SIG_ATAPI_LBAH 0xEB

/* ATAPI interrupt reason (in the sector count register) */
#define ATAPI_IR_COD 0x01 /* command (packet or status) */
#define ATAPI_IR_IO 0x02  /* to the host */

/* Features register of PACKET */
#define ATAPI_FEAT_DMA 0x01

/* ---- Commands */
#define ATA_CMD_NOP 0x00
#define ATA_CMD_DEVICE_RESET 0x08
#define ATA_CMD_RECALIBRATE 0x10 /* 0x10-0x1F */
#define ATA_CMD_READ 0x20
#define ATA_CMD_READ_ONCE 0x21
#define ATA_CMD_READ_EXT 0x24
#define ATA_CMD_READ_DMA_EXT 0x25
#define ATA_CMD_READ_NATIVE_MAX_EXT 0x27
#define ATA_CMD_READ_MULTIPLE_EXT 0x29
#define ATA_CMD_WRITE 0x30
#define ATA_CMD_WRITE_ONCE 0x31
#define ATA_CMD_WRITE_EXT 0x34
#define ATA_CMD_WRITE_DMA_EXT 0x35
#define ATA_CMD_WRITE_MULTIPLE_EXT 0x39
#define ATA_CMD_VERIFY 0x40
#define ATA_CMD_VERIFY_ONCE 0x41
#define ATA_CMD_VERIFY_EXT 0x42
#define ATA_CMD_SEEK 0x70
#define ATA_CMD_DIAGNOSE 0x90
#define ATA_CMD_INIT_DEV_PARAMS 0x91
#define ATA_CMD_PACKET 0xA0
#define ATA_CMD_ID_ATAPI 0xA1
#define ATA_CMD_READ_MULTIPLE 0xC4
#define ATA_CMD_WRITE_MULTIPLE 0xC5
#define ATA_CMD_SET_MULTIPLE 0xC6
#define ATA_CMD_READ_DMA 0xC8
#define ATA_CMD_READ_DMA_ONCE 0xC9
#define ATA_CMD_WRITE_DMA 0xCA
#define ATA_CMD_WRITE_DMA_ONCE 0xCB
#define ATA_CMD_STANDBY_IMM 0xE0
#define ATA_CMD_IDLE_IMM 0xE1
#define ATA_CMD_STANDBY 0xE2
#define ATA_CMD_IDLE 0xE3
#define ATA_CMD_CHECK_POWER 0xE5
#define ATA_CMD_SLEEP 0xE6
#define ATA_CMD_FLUSH 0xE7
#define ATA_CMD_FLUSH_EXT 0xEA
#define ATA_CMD_IDENTIFY 0xEC
#define ATA_CMD_SET_FEATURES 0xEF
#define ATA_CMD_READ_NATIVE_MAX 0xF8

/* SET FEATURES subcommands (features register) */
#define ATA_SF_WCACHE_ON 0x02
#define ATA_SF_XFER_MODE 0x03
#define ATA_SF_RLA_OFF 0x55
#define ATA_SF_RPOD_OFF 0x66
#define ATA_SF_WCACHE_OFF 0x82
#define ATA_SF_RLA_ON 0xAA
#define ATA_SF_RPOD_ON 0xCC
/* Transfer mode values (sector count of ATA_SF_XFER_MODE) */
#define ATA_XFER_PIO_DEFAULT 0x00
#define ATA_XFER_PIO_FLOW 0x08 /* | mode */
#define ATA_XFER_MWDMA 0x20    /* | mode */
#define ATA_XFER_UDMA 0x40     /* | mode */

/* IDENTIFY words */
#define ID_CONFIG 0
#define ID_CYLS 1
#define ID_HEADS 3
#define ID_SECTORS 6
#define ID_SERIAL 10 /* 10 words */
#define ID_FW_REV 23 /* 4 words */
#define ID_MODEL 27  /* 20 words */
#define ID_MAX_MULTSECT 47
#define ID_DWORD_IO 48
#define ID_CAPABILITY 49
#define ID_FIELD_VALID 53
#define ID_CUR_CYLS 54
#define ID_CUR_HEADS 55
#define ID_CUR_SECTORS 56
#define ID_CUR_CAPACITY 57 /* 2 words */
#define ID_MULTSECT 59
#define ID_LBA_CAPACITY 60 /* 2 words */
#define ID_MWDMA_MODES 63
#define ID_PIO_MODES 64
#define ID_EIDE_DMA_MIN 65
#define ID_EIDE_DMA_TIME 66
#define ID_EIDE_PIO 67
#define ID_EIDE_PIO_IORDY 68
#define ID_MAJOR_VER 80
#define ID_MINOR_VER 81
#define ID_COMMAND_SET_1 82
#define ID_COMMAND_SET_2 83
#define ID_CFSSE 84
#define ID_CFS_ENABLE_1 85
#define ID_CFS_ENABLE_2 86
#define ID_CSF_DEFAULT 87
#define ID_UDMA_MODES 88
#define ID_HW_CONFIG 93
#define ID_LBA_CAPACITY_2 100 /* 4 words */
#define ID_SECTOR_SIZE 106
#define ID_INTEGRITY 255      /* 0xA5 signature + checksum */
#define ID_CAP_LBA 0x0200
#define ID_CAP_DMA 0x0100
#define ID_CAP_IORDY 0x0800
#define ID_CMD1_WCACHE 0x0020
#define ID_CMD1_LOOKAHEAD 0x0040
#define ID_CMD1_PM 0x0008
#define ID_CMD1_PACKET 0x0010
#define ID_CMD2_LBA48 0x0400
#define ID_CMD2_FLUSH 0x1000
#define ID_CMD2_FLUSH_EXT 0x2000
#define ID_VALID_BIT14 0x4000 /* words 83, 84, 87: bit 14 set, 15 clear */
#define ID_MAX_MULT 16        /* sectors per DRQ block for READ/WRITE MULTIPLE */

/* ---- Bus master IDE (BMIBA + 0 primary, + 8 secondary) */
#define BM_CMD 0
#define BM_STATUS 2
#define BM_PRD 4
#define BM_CMD_START 0x01
#define BM_CMD_READ 0x08 /* bus master writes memory (a device read) */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INT 0x04
#define BM_ST_DMA0 0x20
#define BM_ST_DMA1 0x40
#define PRD_EOT 0x80000000u  /* in the second dword */
#define PRD_MAX_ENTRIES 8192 /* a table lies within one 64 KiB page */

/* ---- ATAPI packet commands (MMC-3) */
#define GPCMD_TEST_UNIT_READY 0x00
#define GPCMD_REQUEST_SENSE 0x03
#define GPCMD_INQUIRY 0x12
#define GPCMD_MODE_SENSE_6 0x1A
#define GPCMD_START_STOP_UNIT 0x1B
#define GPCMD_PREVENT_ALLOW 0x1E
#define GPCMD_READ_FORMAT_CAPACITIES 0x23
#define GPCMD_READ_CAPACITY 0x25
#define GPCMD_READ_10 0x28
#define GPCMD_SEEK_10 0x2B
#define GPCMD_READ_SUBCHANNEL 0x42
#define GPCMD_READ_TOC 0x43
#define GPCMD_GET_CONFIGURATION 0x46
#define GPCMD_GET_EVENT_STATUS 0x4A
#define GPCMD_READ_DISC_INFO 0x51
#define GPCMD_MODE_SENSE_10 0x5A
#define GPCMD_READ_12 0xA8
#define GPCMD_SET_SPEED 0xBB
#define GPCMD_MECHANISM_STATUS 0xBD
#define GPCMD_READ_CD 0xBE

/* Sense keys and additional sense codes */
#define SENSE_NONE 0x0
#define SENSE_NOT_READY 0x2
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION 0x6
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED 0x28
#define ASC_INCOMPATIBLE_FORMAT 0x30
#define ASC_MEDIUM_NOT_PRESENT 0x3A
#define ASC_MEDIUM_REMOVAL_PREVENTED 0x53

#define CD_SECTOR 2048
/* MMC profiles */
#define MMC_PROFILE_CD_ROM 0x0008
#define MMC_PROFILE_DVD_ROM 0x0010
