/* PIIX3 IDE: ATA disk and ATAPI CD-ROM through the registers a driver
 * uses, including hostile guests (bad PRD tables, ranges beyond the media). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "block/block.h"
#include "hw/ide.h"
#include "hw/ide_regs.h"
#include "hw/pci_regs.h"
#include "testutil.h"

#define DISK_SECTORS 2048 /* 1 MiB */
#define CD_SECTORS 64
#define BMBASE 0xC000
#define PRD_TABLE 0x1000
#define DATA 0x100000

static int irq_level[16];
static int irq_rises[16];
static void rec_irq(void *opaque, int n, int level)
{
    if (level && !irq_level[n])
        irq_rises[n]++;
    irq_level[n] = level;
}

static char disk_path[64], cd_path[64];
static Machine *m;
static IdeDriveConf conf[IDE_DRIVES];

/* Sector s of the disk holds bytes (s + i) & 0xFF; the CD's 2048-byte
 * sector s holds (s * 3 + i) & 0xFF. */
static uint8_t disk_byte(uint64_t s, unsigned i)
{
    return (uint8_t)(s + i);
}
static uint8_t cd_byte(uint64_t s, unsigned i)
{
    return (uint8_t)(s * 3 + i);
}

static void make_file(char *path, const char *tmpl, uint64_t sectors, unsigned ssize,
                      uint8_t (*fn)(uint64_t, unsigned))
{
    strcpy(path, tmpl);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t *buf = malloc(ssize);
    for (uint64_t s = 0; s < sectors; s++) {
        for (unsigned i = 0; i < ssize; i++)
            buf[i] = fn(s, i);
        ck_assert_int_eq(write(fd, buf, ssize), (ssize_t)ssize);
    }
    free(buf);
    close(fd);
}

static bool slave_disk; /* setup_with: a second disk on the primary channel */

static void setup_with(bool disk, bool cd, bool disk_ro)
{
    memset(irq_level, 0, sizeof irq_level);
    memset(irq_rises, 0, sizeof irq_rises);
    memset(conf, 0, sizeof conf);
    char err[256];
    make_file(disk_path, "/tmp/wb-ide-disk-XXXXXX", DISK_SECTORS, 512, disk_byte);
    make_file(cd_path, "/tmp/wb-ide-cd-XXXXXX", CD_SECTORS, CD_SECTOR, cd_byte);
    if (disk) {
        BlockOpen o = {.format = "raw", .readonly = disk_ro};
        ck_assert_msg(blk_open(disk_path, &o, &conf[0].blk, err, sizeof err) == 0, "%s", err);
        conf[0].present = true;
    }
    if (disk && slave_disk) { /* the same image again, as the primary slave */
        BlockOpen o = {.format = "raw", .readonly = true};
        ck_assert_msg(blk_open(disk_path, &o, &conf[1].blk, err, sizeof err) == 0, "%s", err);
        conf[1].present = true;
    }
    if (cd) {
        BlockOpen o = {.format = "raw", .readonly = true};
        ck_assert_msg(blk_open(cd_path, &o, &conf[2].blk, err, sizeof err) == 0, "%s", err);
        conf[2].present = true;
        conf[2].cdrom = true;
    }
    m = wb_test_machine_with_buses(16 << 20);
    PcBoard *b = pc_board(m);
    ck_assert_ptr_nonnull(piix_ide_new(m, b->pci, (IrqLine){rec_irq, NULL, 14},
                                       (IrqLine){rec_irq, NULL, 15}, conf));
    /* What firmware does: the bus master BAR, I/O decoding and mastering. */
    pci_config_write(b->pci, PIIX3_IDE_DEVFN, PCI_BAR0 + 4 * PIIX3_IDE_BMIBA_BAR,
                     BMBASE | PCI_BAR_IO, 2);
    pci_config_write(b->pci, PIIX3_IDE_DEVFN, PCI_COMMAND, PCI_CMD_IO | PCI_CMD_MASTER, 1);
}

static void setup(void)
{
    setup_with(true, true, false);
}

static void setup_two_disks(void)
{
    slave_disk = true;
    setup_with(true, true, false);
    slave_disk = false;
}

static void teardown(void)
{
    machine_free(m);
    for (int i = 0; i < IDE_DRIVES; i++)
        blk_close(conf[i].blk);
    unlink(disk_path);
    unlink(cd_path);
}

/* ---- register helpers (primary channel unless cmd is given) */

static uint8_t status(uint16_t cmd)
{
    return wb_inb(m, cmd + ATA_REG_STATUS);
}

static void taskfile(uint16_t cmd, uint8_t dev, uint32_t lba, uint8_t count)
{
    wb_outb(m, cmd + ATA_REG_DEVICE, dev);
    wb_outb(m, cmd + ATA_REG_NSECT, count);
    wb_outb(m, cmd + ATA_REG_LBAL, (uint8_t)lba);
    wb_outb(m, cmd + ATA_REG_LBAM, (uint8_t)(lba >> 8));
    wb_outb(m, cmd + ATA_REG_LBAH, (uint8_t)(lba >> 16));
}

static void lba28(uint32_t lba, uint8_t count)
{
    taskfile(IDE_PRI_CMD, (uint8_t)(ATA_DEV_LBA | ((lba >> 24) & 0xF)), lba, count);
}

static void command(uint16_t cmd, uint8_t c)
{
    wb_outb(m, cmd + ATA_REG_COMMAND, c);
}

static void read_words(uint16_t cmd, uint8_t *buf, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i += 2)
        st16le(buf + i, wb_inw(m, cmd + ATA_REG_DATA));
}

static void check_disk_data(const uint8_t *buf, uint64_t lba, unsigned sectors)
{
    for (unsigned s = 0; s < sectors; s++)
        for (unsigned i = 0; i < 512; i++)
            ck_assert_msg(buf[s * 512 + i] == disk_byte(lba + s, i),
                          "sector %llu byte %u: %02x", (unsigned long long)(lba + s), i,
                          buf[s * 512 + i]);
}

/* A PRD table at PRD_TABLE: n entries of (addr, count), the last with EOT. */
static void prd(int n, const uint32_t *addr, const uint32_t *count)
{
    for (int i = 0; i < n; i++) {
        uint8_t e[8];
        st32le(e, addr[i]);
        st32le(e + 4, (count[i] & 0xFFFF) | (i == n - 1 ? PRD_EOT : 0));
        ck_assert(dma_write(m, PRD_TABLE + 8 * i, e, 8));
    }
    wb_outl(m, BMBASE + BM_PRD, PRD_TABLE);
}

/* ------------------------------------------------------------------ ATA */

START_TEST(identify_device)
{
    lba28(0, 0);
    irq_rises[14] = 0;
    command(IDE_PRI_CMD, ATA_CMD_IDENTIFY);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    ck_assert_int_eq(irq_rises[14], 1);
    ck_assert_int_eq(irq_level[14], 0); /* the status read cleared it */
    uint8_t b[512];
    read_words(IDE_PRI_CMD, b, 512);
    ck_assert_int_eq(status(IDE_PRI_CMD) & ATA_SR_DRQ, 0);
    ck_assert_int_eq(ld16le(b + 2 * ID_CONFIG), 0x0040);
    ck_assert_int_eq(ld16le(b + 2 * ID_LBA_CAPACITY) | ld16le(b + 2 * ID_LBA_CAPACITY + 2) << 16,
                     DISK_SECTORS);
    ck_assert_int_eq(ld16le(b + 2 * ID_LBA_CAPACITY_2), DISK_SECTORS);
    ck_assert(ld16le(b + 2 * ID_COMMAND_SET_2) & ID_CMD2_LBA48);
    ck_assert(ld16le(b + 2 * ID_CAPABILITY) & ID_CAP_DMA);
    char model[41];
    for (int i = 0; i < 20; i++) { /* byte-swapped ASCII */
        model[2 * i] = (char)b[2 * (ID_MODEL + i) + 1];
        model[2 * i + 1] = (char)b[2 * (ID_MODEL + i)];
    }
    model[40] = '\0';
    ck_assert_str_eq(model, "WIREBOX HARDDISK                        ");
    uint8_t sum = 0;
    for (int i = 0; i < 512; i++)
        sum = (uint8_t)(sum + b[i]);
    ck_assert_int_eq(b[510], 0xA5);
    ck_assert_int_eq(sum, 0);
}
END_TEST

START_TEST(pio_read_and_write)
{
    uint8_t buf[4 * 512];
    lba28(100, 3);
    command(IDE_PRI_CMD, ATA_CMD_READ);
    for (int s = 0; s < 3; s++) {
        ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
        read_words(IDE_PRI_CMD, buf + s * 512, 512);
    }
    ck_assert_int_eq(irq_rises[14], 3); /* one per DRQ block */
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    check_disk_data(buf, 100, 3);

    /* WRITE MULTIPLE of 4 sectors in one DRQ block (multiple count 16) */
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 4);
    command(IDE_PRI_CMD, ATA_CMD_SET_MULTIPLE);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    lba28(7, 4);
    irq_rises[14] = 0;
    command(IDE_PRI_CMD, ATA_CMD_WRITE_MULTIPLE);
    ck_assert_int_eq(irq_rises[14], 0); /* no interrupt before the first block */
    ck_assert(status(IDE_PRI_CMD) & ATA_SR_DRQ);
    for (unsigned i = 0; i < sizeof buf; i += 4)
        wb_outl(m, IDE_PRI_CMD + ATA_REG_DATA, 0xA5A5A5A5u ^ i); /* 32-bit PIO */
    ck_assert_int_eq(irq_rises[14], 1);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    command(IDE_PRI_CMD, ATA_CMD_FLUSH);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    uint8_t back[4 * 512];
    ck_assert_int_eq(blk_read(conf[0].blk, 7 * 512, back, sizeof back), 0);
    for (unsigned i = 0; i < sizeof buf; i += 4)
        ck_assert_int_eq(ld32le(back + i), 0xA5A5A5A5u ^ i);
}
END_TEST

START_TEST(lba48_and_hob)
{
    wb_outb(m, IDE_PRI_CMD + ATA_REG_DEVICE, ATA_DEV_LBA);
    /* high bytes first, then low: count 2, LBA 0x0000_0000_07FE */
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 0);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 2);
    for (int r = ATA_REG_LBAL; r <= ATA_REG_LBAH; r++)
        wb_outb(m, IDE_PRI_CMD + r, 0x11 * r); /* previous: 0x33, 0x44, 0x55 */
    wb_outb(m, IDE_PRI_CMD + ATA_REG_LBAL, 0xFE);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_LBAM, 0x07);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_LBAH, 0x00);
    wb_outb(m, IDE_PRI_CTL, ATA_CTL_HOB);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_LBAL), 0x33);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_LBAH), 0x55);
    wb_outb(m, IDE_PRI_CTL, 0);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_LBAL), 0xFE);
    /* the high bytes are not zero: this LBA is far beyond the disk */
    command(IDE_PRI_CMD, ATA_CMD_READ_EXT);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_IDNF);
    for (int r = ATA_REG_LBAL; r <= ATA_REG_LBAH; r++)
        wb_outb(m, IDE_PRI_CMD + r, 0);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_LBAL, 0xFE);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_LBAM, 0x07);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_LBAH, 0x00);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 0);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 2);
    command(IDE_PRI_CMD, ATA_CMD_READ_EXT);
    uint8_t buf[1024];
    read_words(IDE_PRI_CMD, buf, 512);
    read_words(IDE_PRI_CMD, buf + 512, 512);
    check_disk_data(buf, 0x7FE, 2);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
}
END_TEST

START_TEST(range_beyond_disk_is_idnf)
{
    lba28(DISK_SECTORS - 1, 2); /* the second sector is past the end */
    command(IDE_PRI_CMD, ATA_CMD_READ);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_IDNF);
    ck_assert_int_eq(irq_rises[14], 1);
    lba28(0x0FFFFFFF, 0); /* 256 sectors at the top of LBA28 */
    command(IDE_PRI_CMD, ATA_CMD_WRITE_DMA);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_IDNF);
    /* CHS: sector 0 does not exist */
    taskfile(IDE_PRI_CMD, 0, 0, 1);
    command(IDE_PRI_CMD, ATA_CMD_READ);
    ck_assert(status(IDE_PRI_CMD) & ATA_SR_ERR);
    /* unknown commands abort */
    command(IDE_PRI_CMD, 0x5C);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_ABRT);
}
END_TEST

START_TEST(chs_read)
{
    /* default geometry 16 heads, 63 sectors: C/H/S 1/2/3 = LBA (16 + 2) * 63 + 2 */
    taskfile(IDE_PRI_CMD, 2, 0, 1);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_LBAL, 3);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_LBAM, 1);
    command(IDE_PRI_CMD, ATA_CMD_READ);
    uint8_t buf[512];
    read_words(IDE_PRI_CMD, buf, 512);
    check_disk_data(buf, (16 + 2) * 63 + 2, 1);
}
END_TEST

START_TEST(dma_read_write)
{
    uint32_t addr[2] = {DATA, DATA + 0x20000}, cnt[2] = {3 * 512, 5 * 512};
    prd(2, addr, cnt);
    lba28(40, 8);
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA);
    ck_assert_int_eq(irq_rises[14], 0); /* waits for the engine */
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_READ | BM_CMD_START);
    ck_assert_int_eq(irq_rises[14], 1);
    uint8_t bm = wb_inb(m, BMBASE + BM_STATUS);
    ck_assert_int_eq(bm & (BM_ST_ACTIVE | BM_ST_ERROR | BM_ST_INT), BM_ST_INT);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    uint8_t buf[8 * 512];
    ck_assert(dma_read(m, DATA, buf, 3 * 512));
    ck_assert(dma_read(m, DATA + 0x20000, buf + 3 * 512, 5 * 512));
    check_disk_data(buf, 40, 8);
    wb_outb(m, BMBASE + BM_CMD, 0);
    wb_outb(m, BMBASE + BM_STATUS, BM_ST_INT | BM_ST_ERROR);
    ck_assert_int_eq(wb_inb(m, BMBASE + BM_STATUS) & BM_ST_INT, 0);

    /* WRITE DMA EXT: the engine started first, then the command */
    memset(buf, 0x5A, sizeof buf);
    ck_assert(dma_write(m, DATA, buf, sizeof buf));
    uint32_t a1[1] = {DATA}, c1[1] = {sizeof buf};
    prd(1, a1, c1);
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_START);
    lba28(1000, 8);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 8); /* LBA48: high bytes 0 */
    command(IDE_PRI_CMD, ATA_CMD_WRITE_DMA);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    ck_assert_int_eq(wb_inb(m, BMBASE + BM_STATUS) & BM_ST_ACTIVE, 0); /* EOT exactly */
    uint8_t back[sizeof buf];
    ck_assert_int_eq(blk_read(conf[0].blk, 1000 * 512, back, sizeof back), 0);
    ck_assert_mem_eq(back, buf, sizeof buf);
}
END_TEST

START_TEST(dma_prd_table_outside_ram)
{
    wb_outl(m, BMBASE + BM_PRD, 0xFEDC0000); /* not RAM */
    lba28(0, 1);
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA);
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_READ | BM_CMD_START);
    uint8_t bm = wb_inb(m, BMBASE + BM_STATUS);
    ck_assert_int_eq(bm & (BM_ST_ACTIVE | BM_ST_ERROR), BM_ST_ERROR);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_ABRT);
    ck_assert_int_eq(irq_rises[14], 1);
    /* a buffer outside RAM (the BIOS area above guest RAM's end) */
    wb_outb(m, BMBASE + BM_CMD, 0);
    wb_outb(m, BMBASE + BM_STATUS, BM_ST_ERROR | BM_ST_INT);
    uint32_t a[1] = {0xFFFF0000u}, c[1] = {512};
    prd(1, a, c);
    lba28(0, 1);
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA);
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_READ | BM_CMD_START);
    ck_assert(wb_inb(m, BMBASE + BM_STATUS) & BM_ST_ERROR);
    ck_assert(status(IDE_PRI_CMD) & ATA_SR_ERR);
}
END_TEST

START_TEST(dma_zero_count_is_64k)
{
    uint32_t a[1] = {DATA}, c[1] = {0};
    prd(1, a, c);
    lba28(256, 128); /* 64 KiB */
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA);
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_READ | BM_CMD_START);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    ck_assert_int_eq(wb_inb(m, BMBASE + BM_STATUS) & (BM_ST_ACTIVE | BM_ST_ERROR), 0);
    uint8_t *buf = malloc(65536);
    ck_assert(dma_read(m, DATA, buf, 65536));
    check_disk_data(buf, 256, 128);
    free(buf);
}
END_TEST

START_TEST(dma_endless_and_short_prd_chains)
{
    /* 8192 entries of 2 bytes each, none with EOT: the table ends at 64 KiB
     * and the drive is left waiting; no interrupt, no error, no hang. */
    for (int i = 0; i < PRD_MAX_ENTRIES + 16; i++) {
        uint8_t e[8];
        st32le(e, DATA);
        st32le(e + 4, 2);
        ck_assert(dma_write(m, 0x200000 + 8 * i, e, 8));
    }
    wb_outl(m, BMBASE + BM_PRD, 0x200000);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_DEVICE, ATA_DEV_LBA);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 0);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 0); /* 65536 sectors */
    for (int r = ATA_REG_LBAL; r <= ATA_REG_LBAH; r++) {
        wb_outb(m, IDE_PRI_CMD + r, 0);
        wb_outb(m, IDE_PRI_CMD + r, 0);
    }
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA_EXT); /* beyond the 1 MiB disk: IDNF at once */
    ck_assert(status(IDE_PRI_CMD) & ATA_SR_ERR);
    wb_outb(m, BMBASE + BM_STATUS, BM_ST_INT | BM_ST_ERROR); /* the IDNF interrupt */
    lba28(0, 0); /* 256 sectors = 128 KiB > 8192 * 2 bytes */
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA);
    irq_rises[14] = 0;
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_READ | BM_CMD_START);
    ck_assert_int_eq(wb_inb(m, BMBASE + BM_STATUS) & (BM_ST_ACTIVE | BM_ST_ERROR | BM_ST_INT), 0);
    ck_assert_int_eq(irq_rises[14], 0);
    ck_assert(wb_inb(m, IDE_PRI_CTL) & ATA_SR_DRQ); /* still waiting for data to move */

    /* A new table resumes the transfer where it stopped. */
    wb_outb(m, BMBASE + BM_CMD, 0);
    uint32_t a[2] = {DATA, DATA + 0x10000}, c[2] = {0, 0}; /* 2 x 64 KiB */
    prd(2, a, c);
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_READ | BM_CMD_START);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    ck_assert_int_eq(irq_rises[14], 1);
    /* 16384 bytes went through the first table; the rest starts at DATA */
    uint8_t buf[512];
    ck_assert(dma_read(m, DATA, buf, 512));
    check_disk_data(buf, 32, 1);

    /* A software reset ends a transfer that never gets its PRD table. */
    wb_outb(m, BMBASE + BM_CMD, 0);
    lba28(0, 8);
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA);
    ck_assert(wb_inb(m, IDE_PRI_CTL) & ATA_SR_DRQ);
    wb_outb(m, IDE_PRI_CTL, ATA_CTL_SRST);
    ck_assert(wb_inb(m, IDE_PRI_CTL) & ATA_SR_BSY);
    wb_outb(m, IDE_PRI_CTL, 0);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_DIAG_OK);
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_READ | BM_CMD_START); /* nothing pending: no effect */
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
}
END_TEST

START_TEST(interrupt_mask_and_absent_slave)
{
    wb_outb(m, IDE_PRI_CTL, ATA_CTL_NIEN);
    lba28(0, 1);
    command(IDE_PRI_CMD, ATA_CMD_FLUSH);
    ck_assert_int_eq(irq_level[14], 0);
    wb_outb(m, IDE_PRI_CTL, 0); /* unmasking shows the pending interrupt */
    ck_assert_int_eq(irq_level[14], 1);
    (void)wb_inb(m, IDE_PRI_CTL); /* alternate status: no acknowledge */
    ck_assert_int_eq(irq_level[14], 1);
    (void)status(IDE_PRI_CMD);
    ck_assert_int_eq(irq_level[14], 0);
    /* no slave on the primary channel: it reads 0 and ignores commands */
    wb_outb(m, IDE_PRI_CMD + ATA_REG_DEVICE, ATA_DEV_DEV1);
    ck_assert_int_eq(status(IDE_PRI_CMD), 0);
    command(IDE_PRI_CMD, ATA_CMD_IDENTIFY);
    ck_assert_int_eq(status(IDE_PRI_CMD), 0);
    ck_assert_int_eq(irq_level[14], 0);
}
END_TEST

START_TEST(set_features_and_modes)
{
    wb_outb(m, IDE_PRI_CMD + ATA_REG_FEATURE, ATA_SF_XFER_MODE);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, ATA_XFER_MWDMA | 1);
    command(IDE_PRI_CMD, ATA_CMD_SET_FEATURES);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    command(IDE_PRI_CMD, ATA_CMD_IDENTIFY);
    uint8_t b[512];
    read_words(IDE_PRI_CMD, b, 512);
    ck_assert_int_eq(ld16le(b + 2 * ID_MWDMA_MODES), 0x0207);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_FEATURE, ATA_SF_XFER_MODE);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, ATA_XFER_MWDMA | 5); /* no such mode */
    command(IDE_PRI_CMD, ATA_CMD_SET_FEATURES);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_FEATURE, 0x42); /* unknown subcommand */
    command(IDE_PRI_CMD, ATA_CMD_SET_FEATURES);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_ABRT);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_NSECT, 3); /* not a power of two */
    command(IDE_PRI_CMD, ATA_CMD_SET_MULTIPLE);
    ck_assert(status(IDE_PRI_CMD) & ATA_SR_ERR);
}
END_TEST

START_TEST(readonly_disk_aborts_writes)
{
    teardown();
    setup_with(true, false, true);
    lba28(0, 1);
    command(IDE_PRI_CMD, ATA_CMD_WRITE);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_ABRT);
    /* a channel without drives floats */
    ck_assert_int_eq(status(IDE_SEC_CMD), 0xFF);
}
END_TEST

/* ------------------------------------------------------------------ ATAPI */

#define CD_CMD IDE_SEC_CMD

/* Sends a packet; limit is the byte count limit. */
static void packet(const uint8_t cdb[12], uint16_t limit, bool dma)
{
    wb_outb(m, CD_CMD + ATA_REG_DEVICE, 0);
    wb_outb(m, CD_CMD + ATA_REG_FEATURE, dma ? ATAPI_FEAT_DMA : 0);
    wb_outb(m, CD_CMD + ATA_REG_LBAM, (uint8_t)limit);
    wb_outb(m, CD_CMD + ATA_REG_LBAH, (uint8_t)(limit >> 8));
    command(CD_CMD, ATA_CMD_PACKET);
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_NSECT), ATAPI_IR_COD);
    ck_assert(wb_inb(m, IDE_SEC_CTL) & ATA_SR_DRQ);
    for (int i = 0; i < 12; i += 2)
        wb_outw(m, CD_CMD + ATA_REG_DATA, ld16le(cdb + i));
}

/* Reads the reply by PIO into buf (at most max); returns its length. */
static unsigned pio_in(uint8_t *buf, unsigned max)
{
    unsigned got = 0;
    while (status(CD_CMD) & ATA_SR_DRQ) {
        ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_NSECT), ATAPI_IR_IO);
        unsigned n = wb_inb(m, CD_CMD + ATA_REG_LBAM) | wb_inb(m, CD_CMD + ATA_REG_LBAH) << 8;
        ck_assert_uint_le(got + n, max);
        read_words(CD_CMD, buf + got, n);
        got += n;
    }
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_NSECT), ATAPI_IR_IO | ATAPI_IR_COD);
    return got;
}

static uint8_t sense_key(void)
{
    uint8_t cdb[12] = {GPCMD_REQUEST_SENSE, 0, 0, 0, 18};
    packet(cdb, 18, false);
    uint8_t s[18];
    ck_assert_int_eq(pio_in(s, sizeof s), 18);
    return s[2] & 0x0F;
}

static uint8_t last_asc;
static void tur_expect(uint8_t key, uint8_t asc)
{
    uint8_t cdb[12] = {GPCMD_TEST_UNIT_READY};
    packet(cdb, 0, false);
    uint8_t st = status(CD_CMD);
    if (!key) {
        ck_assert_int_eq(st, ATA_SR_DRDY | ATA_SR_DSC);
        return;
    }
    ck_assert_int_eq(st, ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_ERROR) >> 4, key);
    uint8_t cdb2[12] = {GPCMD_REQUEST_SENSE, 0, 0, 0, 18};
    packet(cdb2, 18, false);
    uint8_t s[18];
    pio_in(s, sizeof s);
    ck_assert_int_eq(s[2], key);
    last_asc = s[12];
    ck_assert_int_eq(s[12], asc);
}

START_TEST(atapi_signature_and_identify)
{
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_LBAM), ATA_SIG_ATAPI_LBAM);
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_LBAH), ATA_SIG_ATAPI_LBAH);
    command(CD_CMD, ATA_CMD_IDENTIFY);
    ck_assert_int_eq(status(CD_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_LBAH), ATA_SIG_ATAPI_LBAH);
    command(CD_CMD, ATA_CMD_ID_ATAPI);
    uint8_t b[512];
    read_words(CD_CMD, b, 512);
    ck_assert_int_eq(ld16le(b), 0x85C0);
    ck_assert_int_eq(ld16le(b + 2 * ID_CAPABILITY) & ID_CAP_DMA, ID_CAP_DMA);
    uint8_t sum = 0;
    for (int i = 0; i < 512; i++)
        sum = (uint8_t)(sum + b[i]);
    ck_assert_int_eq(sum, 0);
}
END_TEST

START_TEST(atapi_unit_attention_then_reads)
{
    tur_expect(SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
    tur_expect(0, 0);
    uint8_t cdb[12] = {GPCMD_READ_CAPACITY};
    packet(cdb, 8, false);
    uint8_t r[8];
    ck_assert_int_eq(pio_in(r, 8), 8);
    ck_assert_int_eq(ld32be(r), CD_SECTORS - 1);
    ck_assert_int_eq(ld32be(r + 4), CD_SECTOR);

    /* READ(10) of 3 sectors with a byte count limit of 1000: blocks of <= 1000 bytes */
    uint8_t rd[12] = {GPCMD_READ_10, 0, 0, 0, 0, 5, 0, 0, 3};
    packet(rd, 1000, false);
    uint8_t buf[3 * CD_SECTOR];
    ck_assert_int_eq(pio_in(buf, sizeof buf), sizeof buf);
    for (unsigned i = 0; i < sizeof buf; i++)
        ck_assert_int_eq(buf[i], cd_byte(5 + i / CD_SECTOR, i % CD_SECTOR));

    /* READ(12) past the end: ILLEGAL REQUEST, LBA out of range */
    uint8_t r12[12] = {GPCMD_READ_12, 0, 0, 0, 0, CD_SECTORS - 1, 0, 0, 0, 2};
    packet(r12, 0xFFFE, false);
    ck_assert_int_eq(status(CD_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_ERROR), SENSE_ILLEGAL_REQUEST << 4);
    ck_assert_int_eq(sense_key(), SENSE_ILLEGAL_REQUEST);
    uint8_t huge[12] = {GPCMD_READ_10, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0xFF, 0xFF};
    packet(huge, 0xFFFE, false);
    ck_assert_int_eq(status(CD_CMD), ATA_SR_DRDY | ATA_SR_ERR);

    /* the same read by DMA */
    uint32_t a[1] = {DATA}, c[1] = {0};
    prd(1, a, c); /* a 64 KiB entry, more than needed: Active stays set */
    wb_outb(m, BMBASE + 8 + BM_PRD, 0);
    wb_outl(m, BMBASE + 8 + BM_PRD, PRD_TABLE);
    packet(rd, 0xFFFE, true);
    wb_outb(m, BMBASE + 8 + BM_CMD, BM_CMD_READ | BM_CMD_START);
    ck_assert_int_eq(status(CD_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_NSECT), ATAPI_IR_IO | ATAPI_IR_COD);
    ck_assert_int_eq(wb_inb(m, BMBASE + 8 + BM_STATUS) & (BM_ST_ACTIVE | BM_ST_INT),
                     BM_ST_ACTIVE | BM_ST_INT);
    uint8_t back[sizeof buf];
    ck_assert(dma_read(m, DATA, back, sizeof back));
    ck_assert_mem_eq(back, buf, sizeof buf);
    ck_assert_int_eq(irq_rises[15] > 0, 1);
}
END_TEST

START_TEST(atapi_toc_inquiry_events_and_unknown)
{
    tur_expect(SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
    uint8_t inq[12] = {GPCMD_INQUIRY, 0, 0, 0, 36};
    packet(inq, 0xFFFE, false);
    uint8_t b[64];
    ck_assert_int_eq(pio_in(b, sizeof b), 36);
    ck_assert_int_eq(b[0], 0x05);
    ck_assert_int_eq(memcmp(b + 8, "WIREBOX DVD-ROM", 8), 0);
    /* an odd allocation length: the last word read carries the last byte */
    inq[4] = 35;
    packet(inq, 0xFFFE, false);
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_LBAM), 35);
    read_words(CD_CMD, b, 36);
    ck_assert_int_eq(status(CD_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    ck_assert_int_eq(memcmp(b + 8, "WIREBOX DVD-ROM", 8), 0);
    /* a byte count limit of 1: blocks of 2 bytes */
    packet(inq, 1, false);
    ck_assert_int_eq(wb_inb(m, CD_CMD + ATA_REG_LBAM), 2);
    ck_assert_int_eq(pio_in(b, sizeof b), 35);
    uint8_t toc[12] = {GPCMD_READ_TOC, 0, 0, 0, 0, 0, 0, 0, 64};
    packet(toc, 0xFFFE, false);
    ck_assert_int_eq(pio_in(b, sizeof b), 20);
    ck_assert_int_eq(ld16be(b), 18);
    ck_assert_int_eq(b[6], 1);      /* track 1 */
    ck_assert_int_eq(b[14], 0xAA);  /* lead-out */
    ck_assert_int_eq(ld32be(b + 16), CD_SECTORS);
    uint8_t ev[12] = {GPCMD_GET_EVENT_STATUS, 1, 0, 0, 0x10, 0, 0, 0, 8};
    packet(ev, 0xFFFE, false);
    ck_assert_int_eq(pio_in(b, sizeof b), 8);
    ck_assert_int_eq(b[4], 2);    /* new media */
    ck_assert_int_eq(b[5], 0x02); /* media present, tray closed */
    uint8_t cfg[12] = {GPCMD_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0, 64};
    packet(cfg, 0xFFFE, false);
    ck_assert_uint_ge(pio_in(b, sizeof b), 8);
    ck_assert_int_eq(ld16be(b + 6), MMC_PROFILE_CD_ROM);
    uint8_t bad[12] = {0xD7};
    packet(bad, 0xFFFE, false);
    ck_assert_int_eq(status(CD_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    tur_expect(0, 0); /* TUR after an error clears nothing it should not */
    packet(bad, 0xFFFE, false);
    ck_assert_int_eq(sense_key(), SENSE_ILLEGAL_REQUEST);
    /* GET EVENT STATUS must be polled */
    uint8_t async[12] = {GPCMD_GET_EVENT_STATUS, 0, 0, 0, 0x10, 0, 0, 0, 8};
    packet(async, 0xFFFE, false);
    ck_assert(status(CD_CMD) & ATA_SR_ERR);
}
END_TEST

START_TEST(atapi_eject_lock_load)
{
    tur_expect(SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
    uint8_t lock[12] = {GPCMD_PREVENT_ALLOW, 0, 0, 0, 1};
    packet(lock, 0, false);
    uint8_t eject[12] = {GPCMD_START_STOP_UNIT, 0, 0, 0, 0x02};
    packet(eject, 0, false);
    ck_assert(status(CD_CMD) & ATA_SR_ERR);
    tur_expect(0, 0);
    lock[4] = 0;
    packet(lock, 0, false);
    packet(eject, 0, false);
    ck_assert_int_eq(status(CD_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    tur_expect(SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    uint8_t rd[12] = {GPCMD_READ_10, 0, 0, 0, 0, 0, 0, 0, 1};
    packet(rd, 0xFFFE, false);
    ck_assert(status(CD_CMD) & ATA_SR_ERR);
    uint8_t load[12] = {GPCMD_START_STOP_UNIT, 0, 0, 0, 0x03};
    packet(load, 0, false);
    tur_expect(SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED);
    tur_expect(0, 0);
}
END_TEST

static uint32_t rnd_next(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

/* A guest that writes anything anywhere: random register accesses on both
 * channels, commands (ATA and ATAPI packets), PRD tables of random bytes,
 * bus master starts. Nothing crashes or hangs (ASan and UBSan watch it in
 * tools/run-tests --sanitize), and a reset brings the drives back. */
START_TEST(random_register_storm)
{
    static const uint8_t cmds[] = {
        ATA_CMD_READ, ATA_CMD_READ_EXT, ATA_CMD_WRITE, ATA_CMD_WRITE_EXT, ATA_CMD_READ_DMA,
        ATA_CMD_READ_DMA_EXT, ATA_CMD_WRITE_DMA, ATA_CMD_WRITE_DMA_EXT, ATA_CMD_READ_MULTIPLE,
        ATA_CMD_WRITE_MULTIPLE, ATA_CMD_SET_MULTIPLE, ATA_CMD_IDENTIFY, ATA_CMD_ID_ATAPI,
        ATA_CMD_PACKET, ATA_CMD_SET_FEATURES, ATA_CMD_FLUSH, ATA_CMD_VERIFY, ATA_CMD_DIAGNOSE,
        ATA_CMD_INIT_DEV_PARAMS, ATA_CMD_DEVICE_RESET, ATA_CMD_CHECK_POWER, 0x00, 0xFF};
    static const uint8_t ops[] = {GPCMD_READ_10, GPCMD_READ_12, GPCMD_READ_CD, GPCMD_READ_TOC,
                                  GPCMD_GET_CONFIGURATION, GPCMD_MODE_SENSE_10,
                                  GPCMD_GET_EVENT_STATUS, GPCMD_REQUEST_SENSE,
                                  GPCMD_START_STOP_UNIT, GPCMD_INQUIRY, 0x5E};
    static uint32_t x;
    x = 0xC0FFEE;
#define RND() rnd_next(&x)
    uint8_t junk[4096];
    for (int i = 0; i < 60000; i++) {
        uint16_t base = (RND() & 1) ? IDE_SEC_CMD : IDE_PRI_CMD;
        uint32_t r = RND();
        switch (r % 12) {
        case 0: case 1:
            wb_outb(m, base + 1 + RND() % 6, (uint8_t)RND());
            break;
        case 2:
            wb_outb(m, base + ATA_REG_COMMAND,
                    RND() % 4 ? cmds[RND() % sizeof cmds] : (uint8_t)RND());
            break;
        case 3: case 4:
            (void)wb_inw(m, base);
            break;
        case 5:
            if (RND() % 2)
                wb_outw(m, base, RND() % 3 ? ops[RND() % sizeof ops] : (uint16_t)RND());
            else
                wb_outl(m, base, RND());
            break;
        case 6:
            (void)wb_inb(m, base + RND() % 8);
            break;
        case 7:
            wb_outb(m, base == IDE_PRI_CMD ? IDE_PRI_CTL : IDE_SEC_CTL,
                    (uint8_t)(RND() % 8 ? RND() & ~ATA_CTL_SRST : RND()));
            break;
        case 8: {
            uint16_t bm = BMBASE + (base == IDE_PRI_CMD ? 0 : 8);
            wb_outb(m, bm + BM_CMD, (uint8_t)RND());
            break;
        }
        case 9: {
            uint16_t bm = BMBASE + (base == IDE_PRI_CMD ? 0 : 8);
            uint32_t v = RND() % 4 ? PRD_TABLE + (RND() % 64) * 8 : RND() << 8;
            wb_outl(m, bm + (RND() % 2 ? BM_PRD : BM_STATUS), v);
            break;
        }
        case 10:
            for (size_t k = 0; k < sizeof junk; k++)
                junk[k] = (uint8_t)RND();
            for (size_t k = 0; k < sizeof junk; k += 8) /* buffers mostly inside RAM */
                junk[k + 3] = (uint8_t)(RND() % 3 ? 0x00 : junk[k + 3]);
            ck_assert(dma_write(m, PRD_TABLE, junk, sizeof junk));
            break;
        default:
            (void)wb_inl(m, BMBASE + RND() % 16);
            break;
        }
    }
#undef RND
    for (int c = 0; c < 2; c++) {
        uint16_t ctl = c ? IDE_SEC_CTL : IDE_PRI_CTL;
        wb_outb(m, BMBASE + 8 * c + BM_CMD, 0);
        wb_outb(m, ctl, ATA_CTL_SRST);
        wb_outb(m, ctl, 0);
    }
    lba28(3, 1);
    command(IDE_PRI_CMD, ATA_CMD_READ);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    uint8_t buf[512];
    read_words(IDE_PRI_CMD, buf, 512); /* (the storm may have written the sector) */
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    wb_outb(m, CD_CMD + ATA_REG_DEVICE, 0);
    command(CD_CMD, ATA_CMD_ID_ATAPI);
    read_words(CD_CMD, buf, 512);
    ck_assert_int_eq(ld16le(buf), 0x85C0);
}
END_TEST

/* A channel has one DMA engine: while the master waits for it, a DMA
 * command to the slave is aborted (a second waiting drive is how the two
 * would end up sharing one transfer), and the master's transfer is intact. */
START_TEST(dma_one_drive_of_a_channel_at_a_time)
{
    uint32_t addr[1] = {DATA}, cnt[1] = {2 * 512};
    prd(1, addr, cnt);
    lba28(40, 2);
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ);
    taskfile(IDE_PRI_CMD, ATA_DEV_LBA | ATA_DEV_DEV1, 80, 2);
    command(IDE_PRI_CMD, ATA_CMD_READ_DMA);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_ERR);
    ck_assert_int_eq(wb_inb(m, IDE_PRI_CMD + ATA_REG_ERROR), ATA_ER_ABRT);
    wb_outb(m, IDE_PRI_CMD + ATA_REG_DEVICE, ATA_DEV_LBA); /* the master again */
    wb_outb(m, BMBASE + BM_CMD, BM_CMD_READ | BM_CMD_START);
    ck_assert_int_eq(status(IDE_PRI_CMD), ATA_SR_DRDY | ATA_SR_DSC);
    uint8_t buf[2 * 512];
    ck_assert(dma_read(m, DATA, buf, sizeof buf));
    check_disk_data(buf, 40, 2);
}
END_TEST

static Suite *ide_suite(void)
{
    Suite *s = suite_create("ide");
    TCase *t = tcase_create("ata");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, identify_device);
    tcase_add_test(t, pio_read_and_write);
    tcase_add_test(t, lba48_and_hob);
    tcase_add_test(t, range_beyond_disk_is_idnf);
    tcase_add_test(t, chs_read);
    tcase_add_test(t, dma_read_write);
    tcase_add_test(t, dma_prd_table_outside_ram);
    tcase_add_test(t, dma_zero_count_is_64k);
    tcase_add_test(t, dma_endless_and_short_prd_chains);
    tcase_add_test(t, interrupt_mask_and_absent_slave);
    tcase_add_test(t, set_features_and_modes);
    tcase_add_test(t, readonly_disk_aborts_writes);
    suite_add_tcase(s, t);
    TCase *two = tcase_create("two disks");
    tcase_add_checked_fixture(two, setup_two_disks, teardown);
    tcase_add_test(two, dma_one_drive_of_a_channel_at_a_time);
    suite_add_tcase(s, two);
    TCase *a = tcase_create("atapi");
    tcase_add_checked_fixture(a, setup, teardown);
    tcase_add_test(a, atapi_signature_and_identify);
    tcase_add_test(a, atapi_unit_attention_then_reads);
    tcase_add_test(a, atapi_toc_inquiry_events_and_unknown);
    tcase_add_test(a, atapi_eject_lock_load);
    tcase_add_test(a, random_register_storm);
    suite_add_tcase(s, a);
    return s;
}

WB_TEST_MAIN(ide_suite)
