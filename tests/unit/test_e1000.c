/* Intel 82540EM (hw/e1000.c): registers, EEPROM, PHY, receive filtering and
 * descriptors, transmit (legacy, checksum offload, TSO, VLAN), interrupt
 * moderation on the virtual clock, loopback, and hostile guests. The device
 * sits on a bare machine's PCI bus with its BARs placed by the test; a fake
 * peer client captures what it sends. */
#include <string.h>
#include <zlib.h>

#include "hw/e1000_regs.h"
#include "net/net.h"
#include "testutil.h"

#define MMIO_BASE 0xF0000000u
#define IO_BASE 0xC000u
#define RAM_SIZE (16u << 20)

/* guest memory layout */
#define RXR 0x100000u /* receive ring */
#define TXR 0x110000u /* transmit ring */
#define RXB 0x200000u /* receive buffers, 16 KiB apart */
#define TXB 0x600000u /* transmit buffers */

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t BCAST[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

static Machine *m;
static PciBus *bus;
static PciDevice *dev;
static NetClient *nic, *peer;
static WbCapture cap; /* what the peer received */

/* ---- access helpers */
static uint32_t rd(uint32_t off)
{
    return phys_read(m, MMIO_BASE + off, 2);
}
static void wr(uint32_t off, uint32_t v)
{
    phys_write(m, MMIO_BASE + off, v, 2);
}
static uint8_t *ram(uint32_t a)
{
    return m->ram + a;
}
static bool irq_level(void)
{
    return dev->irq_level != 0;
}

/* independent ones' complement checksum */
static uint16_t ocsum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)sum;
}

static void setup(void)
{
    m = wb_test_machine_with_buses(RAM_SIZE);
    bus = pc_board(m)->pci;
    peer = wb_capture_new(m, "fake", &cap);
    nic = wb_create_device(m, "e1000,id=nic0", peer, MAC);
    ck_assert_ptr_nonnull(nic);
    dev = pci_find(bus, 2 << 3);
    ck_assert_ptr_nonnull(dev);
    pci_config_write(bus, dev->devfn, 0x10, MMIO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x14, IO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x04, 0x0007, 1);
    wr(CTRL, rd(CTRL) | CTRL_SLU);
    rd(ICR);
}

static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
    m = NULL;
}

/* ---- ring helpers */
static void rx_setup(int n, uint32_t rctl)
{
    memset(ram(RXR), 0, (size_t)n * 16);
    for (int i = 0; i < n; i++)
        st64le(ram(RXR + 16 * (uint32_t)i), RXB + 0x4000u * (uint32_t)i);
    wr(RDBAL, RXR);
    wr(RDBAH, 0);
    wr(RDLEN, (uint32_t)n * 16);
    wr(RDH, 0);
    wr(RDT, (uint32_t)n - 1);
    wr(RCTL, RCTL_EN | rctl);
}
static uint8_t *rxd(int i)
{
    return ram(RXR + 16 * (uint32_t)i);
}
static uint16_t rxd_len(int i)
{
    return (uint16_t)(rxd(i)[8] | rxd(i)[9] << 8);
}
static uint8_t *rxbuf(int i)
{
    return ram(RXB + 0x4000u * (uint32_t)i);
}

static void tx_setup(int n)
{
    memset(ram(TXR), 0, (size_t)n * 16);
    wr(TDBAL, TXR);
    wr(TDBAH, 0);
    wr(TDLEN, (uint32_t)n * 16);
    wr(TDH, 0);
    wr(TDT, 0);
    wr(TCTL, TCTL_EN | TCTL_PSP);
}
static uint8_t *txd(int i)
{
    return ram(TXR + 16 * (uint32_t)i);
}
static void txd_legacy(int i, uint64_t addr, uint16_t len, uint8_t cmd, uint8_t cso, uint8_t css,
                       uint16_t special)
{
    uint8_t *d = txd(i);
    memset(d, 0, 16);
    st64le(d, addr);
    st16le(d + 8, len);
    d[10] = cso;
    d[11] = cmd;
    d[13] = css;
    st16le(d + 14, special);
}
static void txd_context(int i, uint8_t ipcss, uint8_t ipcso, uint16_t ipcse, uint8_t tucss,
                        uint8_t tucso, uint16_t tucse, uint32_t paylen, uint8_t tucmd, uint8_t hdrlen,
                        uint16_t mss)
{
    uint8_t *d = txd(i);
    memset(d, 0, 16);
    d[0] = ipcss;
    d[1] = ipcso;
    st16le(d + 2, ipcse);
    d[4] = tucss;
    d[5] = tucso;
    st16le(d + 6, tucse);
    st32le(d + 8, paylen & 0xFFFFF); /* DTYP 0 */
    d[11] = tucmd | TXC_DEXT;
    d[13] = hdrlen;
    st16le(d + 14, mss);
}
static void txd_data(int i, uint64_t addr, uint32_t len, uint8_t dcmd, uint8_t popts,
                     uint16_t special)
{
    uint8_t *d = txd(i);
    memset(d, 0, 16);
    st64le(d, addr);
    st32le(d + 8, (len & 0xFFFFF) | 1u << 20); /* DTYP 1 */
    d[11] = dcmd | TXC_DEXT;
    d[13] = popts;
    st16le(d + 14, special);
}

/* Run the virtual clock far enough for any transmit to finish. */
static void settle(void)
{
    wb_run_until(m, clock_ns(m) + 50000000ull);
}

static size_t make_frame(uint8_t *f, const uint8_t *dst, uint16_t type, size_t len)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
    st16be(f + 12, type);
    for (size_t i = 14; i < len; i++)
        f[i] = (uint8_t)(i * 7 + 3);
    return len;
}

/* An Ethernet + IPv4 + UDP/TCP packet with correct checksums. */
static size_t make_ipv4(uint8_t *f, uint8_t proto, size_t payload, bool tcp_hdr_only_seed)
{
    size_t l4h = proto == 6 ? 20 : 8;
    size_t len = 14 + 20 + l4h + payload;
    make_frame(f, MAC, 0x0800, len);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    st16be(ip + 2, (uint16_t)(20 + l4h + payload));
    st16be(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = proto;
    st32be(ip + 12, 0x0A000202);
    st32be(ip + 16, 0x0A00020F);
    st16be(ip + 10, (uint16_t)~ocsum(0, ip, 20));
    uint8_t *l4 = ip + 20;
    memset(l4, 0, l4h);
    st16be(l4, 40000);
    st16be(l4 + 2, 80);
    if (proto == 6) {
        st32be(l4 + 4, 1000);
        st32be(l4 + 8, 0);
        l4[12] = 0x50;
        l4[13] = 0x19; /* FIN, PSH, ACK */
        st16be(l4 + 14, 65535);
    } else {
        st16be(l4 + 4, (uint16_t)(8 + payload));
    }
    for (size_t i = 0; i < payload; i++)
        l4[l4h + i] = (uint8_t)(i * 13 + 5);
    uint32_t pseudo = 0x0A00 + 0x0202 + 0x0A00 + 0x020F + proto;
    if (!tcp_hdr_only_seed) {
        uint16_t c = (uint16_t)~ocsum(pseudo + (uint32_t)(l4h + payload), l4, l4h + payload);
        st16be(l4 + (proto == 6 ? 16 : 6), c ? c : 0xFFFF);
    }
    return len;
}

/* ================================================================ tests */

START_TEST(test_pci_identity)
{
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x00, 2), 0x100E8086u);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x08, 2) >> 8, 0x020000u);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x2C, 2), 0x001E8086u);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x3D, 0), 1);
    /* BAR sizes: 128 KiB memory, 64 bytes I/O */
    pci_config_write(bus, dev->devfn, 0x10, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x10, 2), 0xFFFE0000u);
    pci_config_write(bus, dev->devfn, 0x14, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x14, 2), 0xFFFFFFC1u);
    pci_config_write(bus, dev->devfn, 0x10, MMIO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x14, IO_BASE, 2);
    ck_assert_uint_eq(rd(STATUS) & 0x3, 0x3); /* full duplex, link up */
    ck_assert_uint_eq(rd(STATUS) & 0xC0, 0x80); /* 1000 Mb/s */
}
END_TEST

START_TEST(test_eeprom_eerd)
{
    uint16_t w[64], sum = 0;
    for (uint32_t i = 0; i < 64; i++) {
        wr(EERD, i << 8 | 1);
        uint32_t v = rd(EERD);
        ck_assert_msg(v & 0x10, "EERD done");
        ck_assert_uint_eq((v >> 8) & 0xFF, i);
        w[i] = (uint16_t)(v >> 16);
        sum = (uint16_t)(sum + w[i]);
    }
    ck_assert_uint_eq(sum, 0xBABA);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(w[i], MAC[2 * i] | MAC[2 * i + 1] << 8);
    ck_assert_uint_eq(w[0x0D], 0x100E);
    ck_assert_uint_eq(w[0x0E], 0x8086);
    /* RA[0] holds the MAC loaded from the EEPROM, valid */
    ck_assert_uint_eq(rd(RA), 0x12005452u);
    ck_assert_uint_eq(rd(RA + 4), 0x80005634u);
}
END_TEST

/* Microwire as a driver does it: REQ/GNT, CS, opcode 110, 6 address bits,
 * then 16 data bits on DO, each read after raising SK. */
static uint32_t ee_eecd;
static void ee_clock_out(int bit)
{
    ee_eecd = (ee_eecd & ~EECD_DI) | (bit ? EECD_DI : 0);
    wr(EECD, ee_eecd);
    wr(EECD, ee_eecd | EECD_SK);
    wr(EECD, ee_eecd);
}
static uint16_t ee_read_word(int addr)
{
    ee_eecd = (rd(EECD) & ~(EECD_SK | EECD_DI | EECD_CS)) | EECD_REQ;
    wr(EECD, ee_eecd);
    ck_assert(rd(EECD) & EECD_GNT);
    ee_eecd |= EECD_CS;
    wr(EECD, ee_eecd);
    ee_clock_out(1);
    ee_clock_out(1);
    ee_clock_out(0);
    for (int b = 5; b >= 0; b--)
        ee_clock_out((addr >> b) & 1);
    uint16_t v = 0;
    ee_eecd &= ~EECD_DI;
    for (int i = 0; i < 16; i++) {
        wr(EECD, ee_eecd | EECD_SK);
        v = (uint16_t)(v << 1 | ((rd(EECD) & EECD_DO) ? 1 : 0));
        wr(EECD, ee_eecd);
    }
    ee_eecd &= ~(EECD_CS | EECD_REQ);
    wr(EECD, ee_eecd);
    return v;
}

START_TEST(test_eeprom_bitbang)
{
    ck_assert(rd(EECD) & EECD_PRES);
    ck_assert_uint_eq(rd(EECD) & 0x200, 0); /* 64-word part */
    uint16_t sum = 0;
    for (int i = 0; i < 64; i++) {
        uint16_t w = ee_read_word(i);
        wr(EERD, (uint32_t)i << 8 | 1);
        ck_assert_uint_eq(w, rd(EERD) >> 16);
        sum = (uint16_t)(sum + w);
    }
    ck_assert_uint_eq(sum, 0xBABA);
    ck_assert_uint_eq(ee_read_word(0), 0x5452);
    ck_assert_uint_eq(ee_read_word(1), 0x1200);
    ck_assert_uint_eq(ee_read_word(2), 0x5634);
}
END_TEST

static uint32_t mdic(uint32_t op, int phy, int reg, uint16_t data)
{
    wr(MDIC, op << 26 | (uint32_t)phy << 21 | (uint32_t)reg << 16 | data);
    uint32_t v = rd(MDIC);
    ck_assert_msg(v & (1u << 28), "MDIC ready");
    return v;
}

START_TEST(test_phy_mdic)
{
    ck_assert_uint_eq(mdic(2, 1, 2, 0) & 0xFFFF, 0x0141);
    ck_assert_uint_eq(mdic(2, 1, 3, 0) & 0xFFF0, 0x0C20);
    uint16_t st = (uint16_t)mdic(2, 1, 1, 0);
    ck_assert(st & 0x0004); /* link */
    ck_assert(st & 0x0020); /* autonegotiation complete */
    mdic(1, 1, 4, 0x01E1);
    ck_assert_uint_eq(mdic(2, 1, 4, 0) & 0xFFFF, 0x01E1);
    /* read-only status register ignores writes */
    mdic(1, 1, 1, 0);
    ck_assert_uint_eq(mdic(2, 1, 1, 0) & 0xFFFF, st);
    /* another PHY address: error */
    ck_assert(mdic(2, 3, 2, 0) & (1u << 30));
    /* reset self-clears; the link stays */
    mdic(1, 1, 0, 0x9140);
    ck_assert_uint_eq(mdic(2, 1, 0, 0) & 0x8000, 0);
    /* power down drops the link (and raises LSC); power up restores it */
    wr(IMS, ICR_LSC);
    mdic(1, 1, 0, 0x1940);
    ck_assert_uint_eq(rd(STATUS) & 2, 0);
    ck_assert(irq_level());
    ck_assert(rd(ICR) & ICR_LSC);
    mdic(1, 1, 0, 0x1140);
    ck_assert_uint_eq(rd(STATUS) & 2, 2);
    ck_assert(rd(ICR) & ICR_LSC);
}
END_TEST

/* The Linux driver's register test (e1000_reg_test): pattern writes must
 * read back exactly the implemented bits. */
static void pattern(uint32_t reg, uint32_t mask, uint32_t write)
{
    static const uint32_t pat[] = {0x5A5A5A5A, 0xA5A5A5A5, 0x00000000, 0xFFFFFFFF};
    for (int i = 0; i < 4; i++) {
        wr(reg, pat[i] & write);
        uint32_t v = rd(reg);
        ck_assert_msg(v == (pat[i] & write & mask), "reg %04x pattern %08x: got %08x want %08x",
                      reg, pat[i], v, pat[i] & write & mask);
    }
}
static void set_check(uint32_t reg, uint32_t mask, uint32_t write)
{
    wr(reg, write & mask);
    ck_assert_msg((rd(reg) & mask) == (write & mask), "reg %04x set/check", reg);
}

START_TEST(test_register_masks)
{
    uint32_t before = rd(STATUS);
    wr(STATUS, 0xFFFFF833);
    ck_assert_uint_eq(rd(STATUS) & 0xFFFFF833, before & 0xFFFFF833);
    pattern(FCAL, 0xFFFFFFFF, 0xFFFFFFFF);
    pattern(FCAH, 0x0000FFFF, 0xFFFFFFFF);
    pattern(FCT, 0x0000FFFF, 0xFFFFFFFF);
    pattern(VET, 0x0000FFFF, 0xFFFFFFFF);
    pattern(RDTR, 0x0000FFFF, 0xFFFFFFFF);
    pattern(RDBAH, 0xFFFFFFFF, 0xFFFFFFFF);
    pattern(RDLEN, 0x000FFF80, 0x000FFFFF);
    pattern(RDH, 0x0000FFFF, 0x0000FFFF);
    pattern(RDT, 0x0000FFFF, 0x0000FFFF);
    pattern(FCRTH, 0x0000FFF8, 0x0000FFF8);
    pattern(FCTTV, 0x0000FFFF, 0x0000FFFF);
    pattern(TIPG, 0x3FFFFFFF, 0x3FFFFFFF);
    pattern(TDBAH, 0xFFFFFFFF, 0xFFFFFFFF);
    pattern(TDLEN, 0x000FFF80, 0x000FFFFF);
    set_check(RCTL, 0xFFFFFFFF, 0x00000000);
    set_check(RCTL, 0x06DFB3FE, 0x003FFFFB);
    set_check(TCTL, 0xFFFFFFFF, 0x00000000);
    set_check(RCTL, 0x06DFB3FE, 0xFFFFFFFF);
    pattern(RDBAL, 0xFFFFFFF0, 0xFFFFFFFF);
    pattern(TXCW, 0xC000FFFF, 0x0000FFFF);
    pattern(TDBAL, 0xFFFFFFF0, 0xFFFFFFFF);
    pattern(TIDV, 0x0000FFFF, 0x0000FFFF);
    for (uint32_t i = 0; i < 16; i++)
        pattern(RA + 8 * i + 4, 0x8003FFFF, 0xFFFFFFFF);
    for (uint32_t i = 0; i < 128; i++)
        pattern(MTA + 4 * i, 0xFFFFFFFF, 0xFFFFFFFF);
    /* RCTL holds exactly the 8254x's defined bits */
    wr(RCTL, 0xFFFFFFFF);
    ck_assert_uint_eq(rd(RCTL), 0x06DFB3FEu);
    wr(RCTL, 0);
    /* PBA: TX share is what RX leaves of 64 KiB */
    wr(PBA, 0x30);
    ck_assert_uint_eq(rd(PBA), 0x00100030u);
    /* unknown offsets read 0 and ignore writes */
    wr(0x0004, 0xFFFFFFFF);
    ck_assert_uint_eq(rd(0x0004), 0);
}
END_TEST

START_TEST(test_io_window_and_reset)
{
    port_write(m, IO_BASE, FCAL, 2);
    ck_assert_uint_eq(port_read(m, IO_BASE, 2), FCAL);
    port_write(m, IO_BASE + 4, 0xCAFEBABE, 2);
    ck_assert_uint_eq(rd(FCAL), 0xCAFEBABEu);
    wr(FCAH, 0x1234);
    port_write(m, IO_BASE, FCAH, 2);
    ck_assert_uint_eq(port_read(m, IO_BASE + 4, 2), 0x1234);
    /* byte access to a BAR0 register */
    ck_assert_uint_eq(phys_read(m, MMIO_BASE + FCAL + 3, 0), 0xCA);
    /* CTRL.RST through the I/O window restores defaults */
    wr(IMS, 0xFF);
    wr(RA + 8, 0x11223344);
    wr(VET, 0x1111);
    port_write(m, IO_BASE, CTRL, 2);
    port_write(m, IO_BASE + 4, rd(CTRL) | CTRL_RST, 2);
    ck_assert_uint_eq(rd(CTRL) & CTRL_RST, 0);
    ck_assert_uint_eq(rd(FCAL), 0);
    ck_assert_uint_eq(rd(VET), 0x8100);
    ck_assert_uint_eq(rd(IMS), 0);
    ck_assert_uint_eq(rd(RA + 8), 0);
    ck_assert_uint_eq(rd(RA), 0x12005452u);
    ck_assert_uint_eq(rd(RA + 4), 0x80005634u);
    /* after reset SLU is clear: no link until the driver sets it */
    ck_assert_uint_eq(rd(STATUS) & 2, 0);
    wr(CTRL, rd(CTRL) | CTRL_SLU);
    ck_assert_uint_eq(rd(STATUS) & 2, 2);
}
END_TEST

START_TEST(test_interrupt_registers)
{
    ck_assert(!irq_level());
    wr(ICS, ICR_TXDW); /* masked: cause only */
    ck_assert(!irq_level());
    wr(IMS, ICR_TXDW | ICR_RXT0);
    ck_assert_uint_eq(rd(IMS), ICR_TXDW | ICR_RXT0);
    ck_assert(irq_level());
    ck_assert_uint_eq(rd(ICR), ICR_TXDW); /* read clears */
    ck_assert(!irq_level());
    ck_assert_uint_eq(rd(ICR), 0);
    /* every cause bit the driver's interrupt test uses latches */
    for (int i = 0; i < 10; i++) {
        wr(IMC, 0xFFFFFFFF);
        wr(ICS, 1u << i);
        ck_assert(!irq_level());
        wr(IMS, 1u << i);
        ck_assert_msg(irq_level(), "cause %d", i);
        ck_assert_uint_eq(rd(ICR) & (1u << i), 1u << i);
        ck_assert(!irq_level());
    }
    /* writing ICR clears the bits written */
    wr(ICS, 0x3);
    wr(ICR, 0x1);
    ck_assert_uint_eq(rd(ICR), 0x2);
    /* link change from the netdev layer: STATUS.LU and LSC */
    wr(IMS, ICR_LSC);
    net_set_link(peer, false);
    ck_assert_uint_eq(rd(STATUS) & 2, 0);
    ck_assert(irq_level());
    ck_assert(rd(ICR) & ICR_LSC);
    uint16_t st = (uint16_t)mdic(2, 1, 1, 0);
    ck_assert_uint_eq(st & 0x24, 0);
    net_set_link(peer, true);
    ck_assert_uint_eq(rd(STATUS) & 2, 2);
    ck_assert(rd(ICR) & ICR_LSC);
}
END_TEST

/* ---- receive */

static ssize_t inject(const uint8_t *f, size_t len)
{
    return net_send(peer, f, len);
}

START_TEST(test_rx_basic_and_crc)
{
    rx_setup(8, RCTL_BAM);
    uint8_t f[1514];
    make_frame(f, MAC, 0x0800, 100);
    ck_assert_int_eq(inject(f, 100), 100);
    ck_assert_uint_eq(rd(RDH), 1);
    ck_assert_uint_eq(rxd(0)[12], RXD_DD | RXD_EOP | 0); /* IPv4 frame, but not a valid header */
    ck_assert_uint_eq(rxd_len(0), 104); /* FCS kept */
    ck_assert(!memcmp(rxbuf(0), f, 100));
    uint32_t crc = (uint32_t)crc32(0, f, 100);
    ck_assert_uint_eq(rxbuf(0)[100] | rxbuf(0)[101] << 8 | rxbuf(0)[102] << 16 |
                          (uint32_t)rxbuf(0)[103] << 24,
                      crc);
    /* SECRC strips it; short frames arrive padded to 60 */
    wr(RCTL, rd(RCTL) | RCTL_SECRC);
    make_frame(f, MAC, 0x88B5, 42);
    ck_assert_int_eq(inject(f, 42), 42);
    ck_assert_uint_eq(rxd_len(1), 60);
    ck_assert(!memcmp(rxbuf(1), f, 42));
    ck_assert_uint_eq(rxbuf(1)[59], 0);
    ck_assert_uint_eq(rd(GPRC), 2);
    ck_assert_uint_eq(rd(GPRC), 0); /* clear on read */
    ck_assert_uint_eq(rd(TPR), 2);
    ck_assert_uint_eq(rd(GORCL), 104 + 64);
    ck_assert_uint_eq(rd(GORCH), 0);
    ck_assert_uint_eq(rd(GORCL), 0); /* the high read cleared both */
}
END_TEST

START_TEST(test_rx_filtering)
{
    rx_setup(32, 0);
    uint8_t f[2048];
    uint8_t other[6] = {0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE};
    uint8_t mc[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB};
    int got = 0;
#define EXPECT_RX(dst, len, yes)                                                                   \
    do {                                                                                           \
        make_frame(f, dst, 0x88B5, len);                                                           \
        inject(f, len);                                                                            \
        if (yes)                                                                                   \
            got++;                                                                                 \
        ck_assert_msg(rd(RDH) == (uint32_t)got, "line %d: RDH %u want %d", __LINE__, rd(RDH), got); \
    } while (0)
    EXPECT_RX(MAC, 100, true);     /* RA[0] */
    EXPECT_RX(other, 100, false);  /* unknown unicast */
    EXPECT_RX(BCAST, 100, false);  /* BAM off */
    EXPECT_RX(mc, 100, false);     /* not in MTA */
    /* a second exact address, RA[7] */
    wr(RA + 7 * 8, other[0] | other[1] << 8 | other[2] << 16 | (uint32_t)other[3] << 24);
    wr(RA + 7 * 8 + 4, (uint32_t)(other[4] | other[5] << 8) | 0x80000000u);
    EXPECT_RX(other, 100, true);
    wr(RA + 7 * 8 + 4, 0); /* AV clear: entry ignored */
    EXPECT_RX(other, 100, false);
    /* broadcast */
    wr(RCTL, rd(RCTL) | RCTL_BAM);
    EXPECT_RX(BCAST, 100, true);
    /* multicast hash, MO=0: bits 47:36 of the address */
    uint32_t h0 = ((uint32_t)mc[4] >> 4 | (uint32_t)mc[5] << 4) & 0xFFF;
    wr(MTA + (h0 >> 5) * 4, 1u << (h0 & 31));
    EXPECT_RX(mc, 100, true);
    /* MO=3 uses bits 43:32: a different bit */
    wr(RCTL, (rd(RCTL) & ~(3u << 12)) | 3u << 12);
    EXPECT_RX(mc, 100, false);
    uint32_t h3 = ((uint32_t)mc[4] | (uint32_t)mc[5] << 8) & 0xFFF;
    wr(MTA + (h3 >> 5) * 4, 1u << (h3 & 31));
    EXPECT_RX(mc, 100, true);
    /* promiscuous */
    wr(RCTL, rd(RCTL) | RCTL_UPE);
    EXPECT_RX(other, 100, true);
    uint8_t mc2[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
    EXPECT_RX(mc2, 100, false);
    wr(RCTL, rd(RCTL) | RCTL_MPE);
    EXPECT_RX(mc2, 100, true);
    /* long packets: 1600 bytes only with LPE (2048-byte buffers: one descriptor) */
    EXPECT_RX(MAC, 1514, true);
    EXPECT_RX(MAC, 1518, true); /* 1522 with FCS: a VLAN-sized frame */
    EXPECT_RX(MAC, 1600, false);
    ck_assert_uint_eq(rd(ROC), 1);
    wr(RCTL, rd(RCTL) | RCTL_LPE);
    EXPECT_RX(MAC, 1600, true);
    ck_assert_uint_eq(rd(BPRC), 1);
    ck_assert_uint_eq(rd(MPRC), 3);
#undef EXPECT_RX
}
END_TEST

START_TEST(test_rx_multi_descriptor)
{
    /* 256-byte buffers, LPE: a 1000-byte frame spans 4 descriptors */
    rx_setup(16, RCTL_LPE | RCTL_SECRC | 3u << 16);
    uint8_t f[1000];
    make_frame(f, MAC, 0x88B5, 1000);
    inject(f, 1000);
    ck_assert_uint_eq(rd(RDH), 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(rxd(i)[12], RXD_DD | (i == 3 ? RXD_EOP : 0));
        ck_assert_uint_eq(rxd_len(i), i == 3 ? 1000 - 768 : 256);
        ck_assert(!memcmp(rxbuf(i), f + 256 * i, rxd_len(i)));
    }
    /* 16 KiB buffers with BSEX */
    rx_setup(8, RCTL_LPE | RCTL_BSEX | 1u << 16);
    uint8_t big[9000];
    make_frame(big, MAC, 0x88B5, sizeof big);
    inject(big, sizeof big);
    ck_assert_uint_eq(rd(RDH), 1);
    ck_assert_uint_eq(rxd_len(0), sizeof big + 4);
}
END_TEST

START_TEST(test_rx_ring_full_then_flush)
{
    rx_setup(8, RCTL_SECRC); /* RDT = 7: 7 descriptors */
    wr(RDT, 3);              /* only 3 for now */
    uint8_t f[200];
    for (int i = 0; i < 5; i++) {
        make_frame(f, MAC, 0x88B5, 200);
        f[20] = (uint8_t)i;
        ssize_t r = inject(f, 200);
        ck_assert_int_eq(r, i < 3 ? 200 : 0); /* then queued by the layer */
    }
    ck_assert_uint_eq(rd(RDH), 3);
    ck_assert_int_eq(nic->queue_len, 2);
    /* the driver gives back descriptors: the queue drains in order */
    wr(RDT, 7);
    ck_assert_int_eq(nic->queue_len, 0);
    ck_assert_uint_eq(rd(RDH), 5);
    ck_assert_uint_eq(rxbuf(3)[20], 3);
    ck_assert_uint_eq(rxbuf(4)[20], 4);
    /* receiver disabled: frames wait too */
    wr(RCTL, rd(RCTL) & ~RCTL_EN);
    ck_assert_int_eq(inject(f, 200), 0);
    ck_assert_int_eq(nic->queue_len, 1);
    wr(RCTL, rd(RCTL) | RCTL_EN);
    ck_assert_int_eq(nic->queue_len, 0);
    ck_assert_uint_eq(rd(RDH), 6);
}
END_TEST

START_TEST(test_rx_descriptor_threshold)
{
    rx_setup(16, RCTL_SECRC); /* 15 free, RDMTS 1/2: threshold 8 */
    wr(IMS, ICR_RXDMT0);
    uint8_t f[100];
    make_frame(f, MAC, 0x88B5, 100);
    for (int i = 0; i < 6; i++)
        inject(f, 100);
    ck_assert(!irq_level()); /* 9 left */
    inject(f, 100);           /* 8 left: threshold reached */
    ck_assert(irq_level());
    ck_assert(rd(ICR) & ICR_RXDMT0);
}
END_TEST

START_TEST(test_rx_vlan_and_checksum)
{
    rx_setup(16, RCTL_SECRC);
    uint8_t f[600], t[604];
    size_t len = make_ipv4(f, 17, 300, false);
    /* plain UDP/IPv4: checksums verified */
    inject(f, len);
    ck_assert_uint_eq(rxd(0)[12], RXD_DD | RXD_EOP | RXD_IPCS | RXD_TCPCS);
    ck_assert_uint_eq(rxd(0)[13], 0);
    /* a corrupt UDP checksum: TCPE */
    f[len - 1] ^= 0x55;
    inject(f, len);
    ck_assert_uint_eq(rxd(1)[13], RXE_TCPE);
    f[len - 1] ^= 0x55;
    /* a corrupt IP header: IPE */
    f[14 + 8] ^= 1;
    inject(f, len);
    ck_assert(rxd(2)[13] & RXE_IPE);
    f[14 + 8] ^= 1;
    /* offload off: IXSM */
    wr(RXCSUM, 0);
    inject(f, len);
    ck_assert_uint_eq(rxd(3)[12], RXD_DD | RXD_EOP | RXD_IXSM);
    wr(RXCSUM, 0x300);

    /* tagged frame: VID 5, priority 3 */
    memcpy(t, f, 12);
    st16be(t + 12, 0x8100);
    st16be(t + 14, 0x6005);
    memcpy(t + 16, f + 12, len - 12);
    /* without VME the tag stays in the data */
    inject(t, len + 4);
    ck_assert_uint_eq(rxd_len(4), len + 4);
    ck_assert_uint_eq(rxd(4)[12] & RXD_VP, 0);
    ck_assert(!memcmp(rxbuf(4), t, len + 4));
    ck_assert(rxd(4)[12] & RXD_TCPCS); /* checksums found behind the tag */
    /* VME strips it into the descriptor */
    wr(CTRL, rd(CTRL) | CTRL_VME);
    inject(t, len + 4);
    ck_assert_uint_eq(rxd_len(5), len);
    ck_assert(rxd(5)[12] & RXD_VP);
    ck_assert_uint_eq(rxd(5)[14] | rxd(5)[15] << 8, 0x6005);
    ck_assert(!memcmp(rxbuf(5), f, len));
    /* VLAN filter: VID 5 not in VFTA: dropped; then allowed */
    wr(RCTL, rd(RCTL) | RCTL_VFE);
    inject(t, len + 4);
    ck_assert_uint_eq(rd(RDH), 6);
    wr(VFTA, 1u << 5);
    inject(t, len + 4);
    ck_assert_uint_eq(rd(RDH), 7);
    /* untagged frames pass the VLAN filter */
    inject(f, len);
    ck_assert_uint_eq(rd(RDH), 8);
}
END_TEST

/* ---- transmit */

START_TEST(test_tx_legacy_and_timing)
{
    tx_setup(8);
    wr(IMS, ICR_TXDW);
    uint8_t f[1000];
    make_frame(f, BCAST, 0x88B5, 1000);
    memcpy(ram(TXB), f, 600);
    memcpy(ram(TXB + 0x1000), f + 600, 400);
    txd_legacy(0, TXB, 600, TXC_IFCS, 0, 0, 0);
    txd_legacy(1, TXB + 0x1000, 400, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    uint64_t t0 = clock_ns(m);
    wr(TDT, 2);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(cap.len[0], 1000);
    ck_assert(!memcmp(cap.data[0], f, 1000));
    /* on the wire for (1000 + FCS 4 + preamble 8 + IFG 12) * 8 ns */
    uint64_t wire = (1000 + 24) * 8;
    wb_run_until(m, t0 + wire - 1);
    ck_assert_uint_eq(txd(1)[12] & 1, 0);
    ck_assert_uint_eq(rd(TDH), 0);
    ck_assert(!irq_level());
    wb_run_until(m, t0 + wire);
    ck_assert_uint_eq(txd(1)[12] & 1, 1);
    ck_assert_uint_eq(txd(0)[12] & 1, 0); /* no RS: not written back */
    ck_assert_uint_eq(rd(TDH), 2);
    ck_assert(irq_level());
    ck_assert(rd(ICR) & ICR_TXDW);
    ck_assert_uint_eq(rd(GPTC), 1);
    ck_assert_uint_eq(rd(TPT), 1);
    ck_assert_uint_eq(rd(GOTCL), 1004);

    /* back-to-back frames: one wire slot each; a short one is padded (PSP) */
    txd_legacy(2, TXB, 1000, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    txd_legacy(3, TXB, 1000, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    txd_legacy(4, TXB, 20, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    t0 = clock_ns(m);
    wr(TDT, 5);
    ck_assert_int_eq(cap.n, 2); /* the next frame waits for the wire */
    wb_run_until(m, t0 + wire);
    ck_assert_uint_eq(rd(TDH), 3);
    ck_assert_int_eq(cap.n, 3);
    wb_run_until(m, t0 + 2 * wire - 1);
    ck_assert_uint_eq(rd(TDH), 3);
    wb_run_until(m, t0 + 2 * wire);
    ck_assert_uint_eq(rd(TDH), 4);
    wb_run_until(m, t0 + 2 * wire + (60 + 24) * 8);
    ck_assert_uint_eq(rd(TDH), 5);
    ck_assert_int_eq(cap.n, 4);
    ck_assert_uint_eq(cap.len[3], 60);
    ck_assert(!memcmp(cap.data[3], f, 20));
    ck_assert_uint_eq(cap.data[3][59], 0);
}
END_TEST

START_TEST(test_tx_legacy_checksum)
{
    tx_setup(8);
    uint8_t f[600];
    size_t len = make_ipv4(f, 17, 200, false);
    uint16_t good = ld16be(f + 14 + 20 + 6);
    /* the stack's partial sum: pseudo header, with the length */
    uint32_t pseudo = 0x0A00 + 0x0202 + 0x0A00 + 0x020F + 17 + (uint32_t)(len - 34);
    st16be(f + 14 + 20 + 6, ocsum(pseudo, NULL, 0));
    memcpy(ram(TXB), f, len);
    txd_legacy(0, TXB, (uint16_t)len, TXC_EOP | TXC_IFCS | TXC_IC | TXC_RS, 34 + 6, 34, 0);
    wr(TDT, 1);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(ld16be(cap.data[0] + 40), good);
}
END_TEST

START_TEST(test_tx_context_checksum_offload)
{
    tx_setup(8);
    uint8_t f[2000];
    size_t len = make_ipv4(f, 6, 1200, false);
    uint8_t want_tcp[2] = {f[50], f[51]}, want_ip[2] = {f[24], f[25]};
    uint32_t pseudo = 0x0A00 + 0x0202 + 0x0A00 + 0x020F + 6 + (uint32_t)(len - 34);
    st16be(f + 50, ocsum(pseudo, NULL, 0));
    st16be(f + 24, 0);
    memcpy(ram(TXB), f, len);
    txd_context(0, 14, 24, 33, 34, 50, 0, 0, 0x01 /* TCP */ | TXC_RS, 0, 0);
    txd_data(1, TXB, 500, 0, 0x03 /* IXSM | TXSM */, 0);
    txd_data(2, TXB + 500, (uint32_t)len - 500, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0);
    wr(TDT, 3);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(cap.len[0], len);
    ck_assert(!memcmp(cap.data[0] + 50, want_tcp, 2));
    ck_assert(!memcmp(cap.data[0] + 24, want_ip, 2));
    settle();
    ck_assert_uint_eq(txd(0)[12] & 1, 1); /* the context descriptor with RS too */
    ck_assert_uint_eq(txd(2)[12] & 1, 1);
}
END_TEST

START_TEST(test_tx_tso)
{
    tx_setup(16);
    uint8_t f[5000];
    size_t pay = 4000, mss = 1000, hdr = 54;
    size_t len = make_ipv4(f, 6, pay, true);
    /* Linux's TSO setup: IP total length and checksum 0, TCP checksum seeded
     * with the pseudo header without length */
    st16be(f + 14 + 2, 0);
    st16be(f + 14 + 10, 0);
    st16be(f + 50, ocsum(0x0A00 + 0x0202 + 0x0A00 + 0x020F + 6, NULL, 0));
    memcpy(ram(TXB), f, len);
    txd_context(0, 14, 24, 33, 34, 50, 0, (uint32_t)pay, 0x01 | 0x02 | 0x04 /* TCP IP TSE */, (uint8_t)hdr,
                (uint16_t)mss);
    /* header and payload split oddly over three data descriptors */
    txd_data(1, TXB, 100, TXC_TSE, 0x03, 0);
    txd_data(2, TXB + 100, 2500, TXC_TSE, 0, 0);
    txd_data(3, TXB + 2600, (uint32_t)len - 2600, TXC_TSE | TXC_EOP | TXC_IFCS | TXC_RS, 0, 0);
    wr(TDT, 4);
    ck_assert_int_eq(cap.n, 4);
    for (int s = 0; s < 4; s++) {
        uint8_t *g = cap.data[s];
        ck_assert_uint_eq(cap.len[s], hdr + mss);
        ck_assert(!memcmp(g, f, 14));
        uint8_t *ip = g + 14, *tcp = g + 34;
        ck_assert_uint_eq(ld16be(ip + 2), 20 + 20 + mss);
        ck_assert_uint_eq(ld16be(ip + 4), 0x1234 + s);
        ck_assert_uint_eq(ocsum(0, ip, 20), 0xFFFF);
        ck_assert_uint_eq(ld32be(tcp + 4), 1000 + s * mss);
        ck_assert_uint_eq(tcp[13], s == 3 ? 0x19 : 0x10);
        uint32_t pseudo = 0x0A00 + 0x0202 + 0x0A00 + 0x020F + 6 + (uint32_t)(20 + mss);
        ck_assert_uint_eq(ocsum(pseudo, tcp, 20 + mss), 0xFFFF);
        ck_assert(!memcmp(tcp + 20, f + hdr + s * mss, mss));
    }
    settle();
    ck_assert_uint_eq(rd(TSCTC), 1);
    ck_assert_uint_eq(rd(GPTC), 4);
    ck_assert_uint_eq(txd(3)[12] & 1, 1);

    /* a last short segment */
    cap.n = 0;
    pay = 2500;
    len = make_ipv4(f, 6, pay, true);
    st16be(f + 14 + 2, 0);
    st16be(f + 14 + 10, 0);
    st16be(f + 50, ocsum(0x0A00 + 0x0202 + 0x0A00 + 0x020F + 6, NULL, 0));
    memcpy(ram(TXB), f, len);
    txd_context(4, 14, 24, 33, 34, 50, 0, (uint32_t)pay, 0x07, (uint8_t)hdr, (uint16_t)mss);
    txd_data(5, TXB, (uint32_t)len, TXC_TSE | TXC_EOP | TXC_IFCS | TXC_RS, 0x03, 0);
    wr(TDT, 6);
    ck_assert_int_eq(cap.n, 3);
    ck_assert_uint_eq(cap.len[2], hdr + 500);
    ck_assert_uint_eq(ld16be(cap.data[2] + 16), 40 + 500);
    uint32_t pseudo = 0x0A00 + 0x0202 + 0x0A00 + 0x020F + 6 + 520;
    ck_assert_uint_eq(ocsum(pseudo, cap.data[2] + 34, 520), 0xFFFF);
}
END_TEST

START_TEST(test_tx_vlan_insert)
{
    tx_setup(8);
    wr(CTRL, rd(CTRL) | CTRL_VME);
    uint8_t f[100];
    make_frame(f, BCAST, 0x88B5, 100);
    memcpy(ram(TXB), f, 100);
    txd_legacy(0, TXB, 100, TXC_EOP | TXC_IFCS | TXC_RS | TXC_VLE, 0, 0, 0x2007);
    wr(TDT, 1);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(cap.len[0], 104);
    ck_assert(!memcmp(cap.data[0], f, 12));
    ck_assert_uint_eq(ld16be(cap.data[0] + 12), 0x8100);
    ck_assert_uint_eq(ld16be(cap.data[0] + 14), 0x2007);
    ck_assert(!memcmp(cap.data[0] + 16, f + 12, 88));
    /* VET changes the tag protocol ID */
    settle();
    wr(VET, 0x88A8);
    txd_legacy(1, TXB, 100, TXC_EOP | TXC_IFCS | TXC_RS | TXC_VLE, 0, 0, 0x0001);
    wr(TDT, 2);
    ck_assert_int_eq(cap.n, 2);
    ck_assert_uint_eq(ld16be(cap.data[1] + 12), 0x88A8);
    /* without VME, VLE inserts nothing */
    settle();
    wr(CTRL, rd(CTRL) & ~CTRL_VME);
    txd_legacy(2, TXB, 100, TXC_EOP | TXC_IFCS | TXC_RS | TXC_VLE, 0, 0, 0x0001);
    wr(TDT, 3);
    ck_assert_int_eq(cap.n, 3);
    ck_assert_uint_eq(cap.len[2], 100);
}
END_TEST

/* ---- interrupt moderation on the virtual clock */

START_TEST(test_rx_moderation)
{
    rx_setup(16, RCTL_SECRC);
    wr(IMS, ICR_RXT0);
    uint8_t f[100];
    make_frame(f, MAC, 0x88B5, 100);
    /* RDTR 0: at once */
    inject(f, 100);
    ck_assert(irq_level());
    rd(ICR);
    /* RDTR 10 (10.24 us), restarted by every frame; RADV 20 caps it */
    wr(RDTR, 10);
    wr(RADV, 20);
    uint64_t t0 = clock_ns(m);
    inject(f, 100);
    wb_run_until(m, t0 + 10240 - 1);
    ck_assert(!irq_level());
    wb_run_until(m, t0 + 10240);
    ck_assert(irq_level());
    ck_assert(rd(ICR) & ICR_RXT0);
    /* frames every 8 us keep restarting RDTR: RADV fires at 20.48 us */
    t0 = clock_ns(m);
    for (int i = 0; i < 3; i++) {
        wb_run_until(m, t0 + 8000 * (uint64_t)i);
        ck_assert_msg(!irq_level(), "early at frame %d", i);
        inject(f, 100);
    }
    wb_run_until(m, t0 + 20480 - 1);
    ck_assert(!irq_level());
    wb_run_until(m, t0 + 20480);
    ck_assert(irq_level());
    rd(ICR);
    /* FPD flushes a pending delay */
    inject(f, 100);
    ck_assert(!irq_level());
    wr(RDTR, 10 | 0x80000000u);
    ck_assert(irq_level());
    ck_assert_uint_eq(rd(RDTR), 10); /* FPD reads 0 */
}
END_TEST

START_TEST(test_tx_moderation_and_itr)
{
    tx_setup(16);
    wr(IMS, ICR_TXDW);
    wr(TIDV, 8);  /* 8.192 us */
    wr(TADV, 32); /* 32.768 us */
    uint8_t f[100];
    make_frame(f, BCAST, 0x88B5, 100);
    memcpy(ram(TXB), f, 100);
    uint64_t wire = (100 + 24) * 8;
    txd_legacy(0, TXB, 100, TXC_EOP | TXC_IFCS | TXC_RS | TXC_IDE, 0, 0, 0);
    uint64_t t0 = clock_ns(m);
    wr(TDT, 1);
    wb_run_until(m, t0 + wire + 8192 - 1);
    ck_assert_uint_eq(txd(0)[12] & 1, 1);
    ck_assert(!irq_level());
    wb_run_until(m, t0 + wire + 8192);
    ck_assert(irq_level());
    rd(ICR);
    /* without IDE: at write-back */
    txd_legacy(1, TXB, 100, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    t0 = clock_ns(m);
    wr(TDT, 2);
    wb_run_until(m, t0 + wire);
    ck_assert(irq_level());
    rd(ICR);

    /* ITR: at most one assertion per ITR * 256 ns */
    wb_run_until(m, clock_ns(m) + 100000);
    wr(ITR, 100); /* 25.6 us */
    wr(IMS, 0x100);
    t0 = clock_ns(m);
    wr(ICS, 0x100);
    ck_assert(irq_level());
    rd(ICR);
    ck_assert(!irq_level());
    wr(ICS, 0x100);
    ck_assert(!irq_level()); /* too soon */
    wb_run_until(m, t0 + 25600 - 1);
    ck_assert(!irq_level());
    wb_run_until(m, t0 + 25600);
    ck_assert(irq_level());
    ck_assert_uint_eq(rd(ICR), 0x100);
}
END_TEST

/* ---- loopback */

START_TEST(test_loopback_mac_and_phy)
{
    rx_setup(16, RCTL_BAM | RCTL_LBM_MAC);
    tx_setup(16);
    uint8_t f[1024];
    make_frame(f, BCAST, 0x88B5, 1024);
    memcpy(ram(TXB), f, 1024);
    txd_legacy(0, TXB, 1024, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    wr(TDT, 1);
    ck_assert_int_eq(cap.n, 0); /* nothing to the peer */
    ck_assert_uint_eq(rd(RDH), 1);
    ck_assert_uint_eq(rxd_len(0), 1028);
    ck_assert(!memcmp(rxbuf(0), f, 1024));
    /* PHY loopback, as the Linux self-test sets it up */
    settle();
    wr(RCTL, rd(RCTL) & ~(3u << 6));
    mdic(1, 1, 0, 0x4140);
    txd_legacy(1, TXB, 1024, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    wr(TDT, 2);
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(rd(RDH), 2);
    /* loopback off: to the peer again */
    mdic(1, 1, 0, 0x1140);
    settle();
    txd_legacy(2, TXB, 1024, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    wr(TDT, 3);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(rd(RDH), 2);
}
END_TEST

START_TEST(test_loopback_ring_full)
{
    /* Like the Linux loopback test: RX ring never refilled; the transmitter
     * must not wait for it, extra frames are dropped. */
    rx_setup(8, RCTL_BAM | RCTL_LBM_MAC);
    wr(RDT, 3);
    tx_setup(64);
    uint8_t f[1024];
    make_frame(f, BCAST, 0x88B5, 1024);
    memcpy(ram(TXB), f, 1024);
    for (int i = 0; i < 63; i++)
        txd_legacy(i, TXB, 1024, TXC_EOP | TXC_IFCS | TXC_RS, 0, 0, 0);
    wr(TDT, 63);
    settle();
    ck_assert_uint_eq(rd(TDH), 63);
    ck_assert_uint_eq(rd(RDH), 3);
    ck_assert_uint_eq(rd(MPC), 60);
    ck_assert_int_eq(cap.n, 0);
}
END_TEST

/* ---- hostile guests */

START_TEST(test_hostile_rings_outside_ram)
{
    /* receive ring beyond RAM: frames are dropped */
    wr(RDBAL, 0xE0000000u);
    wr(RDLEN, 4096);
    wr(RDH, 0);
    wr(RDT, 100);
    wr(RCTL, RCTL_EN | RCTL_BAM);
    uint8_t f[100];
    make_frame(f, MAC, 0x88B5, 100);
    ck_assert_int_eq(inject(f, 100), 100);
    ck_assert_uint_eq(rd(RDH), 0);
    /* 64-bit base above 4 GiB */
    wr(RDBAH, 1);
    wr(RDBAL, 0);
    ck_assert_int_eq(inject(f, 100), 100);
    /* ring straddling the end of RAM */
    wr(RDBAH, 0);
    wr(RDBAL, RAM_SIZE - 64); /* descriptors 0-3 in RAM, 4 and on not */
    wr(RDH, 4);
    wr(RDT, 10);
    inject(f, 100);
    ck_assert_uint_eq(rd(RDH), 4);
    /* buffers outside RAM: descriptors consumed with an error, nothing written */
    rx_setup(8, 0);
    st64le(rxd(0), 0xFFFFF000ull);
    st64le(rxd(1), 0x123456789000ull);
    inject(f, 100);
    inject(f, 100);
    ck_assert_uint_eq(rd(RDH), 2);
    ck_assert(rxd(0)[13] & 0x80);
    ck_assert(rxd(1)[13] & 0x80);

    /* transmit ring outside RAM: nothing happens, no loop */
    wr(TDBAL, 0xE0000000u);
    wr(TDLEN, 4096);
    wr(TDH, 0);
    wr(TCTL, TCTL_EN);
    wr(TDT, 200);
    settle();
    ck_assert_uint_eq(rd(TDH), 0);
    ck_assert_int_eq(cap.n, 0);
    /* buffer outside RAM: the packet is dropped, the ring moves on */
    tx_setup(8);
    txd_legacy(0, 0xFFFFFF00ull, 1000, TXC_EOP | TXC_RS, 0, 0, 0);
    txd_legacy(1, 0x5000000000ull, 1000, TXC_EOP | TXC_RS, 0, 0, 0);
    wr(TDT, 2);
    settle();
    ck_assert_uint_eq(rd(TDH), 2);
    ck_assert_int_eq(cap.n, 0);
}
END_TEST

START_TEST(test_hostile_heads_beyond_ring)
{
    rx_setup(8, 0);
    wr(RDH, 500);
    uint8_t f[100];
    make_frame(f, MAC, 0x88B5, 100);
    ck_assert_int_eq(inject(f, 100), 0); /* no descriptors: it waits */
    wr(RDH, 0);
    wr(RDT, 4);
    ck_assert_uint_eq(rd(RDH), 1); /* the queued frame came in */
    wr(RDT, 9000);
    ck_assert_int_eq(inject(f, 100), 0);
    wr(RDT, 4);
    ck_assert_uint_eq(rd(RDH), 2);
    /* no ring at all: it waits for one */
    wr(RDLEN, 0);
    ck_assert_int_eq(inject(f, 100), 0);
    wr(RDLEN, 128);
    ck_assert_uint_eq(rd(RDH), 3);

    tx_setup(8);
    txd_legacy(0, TXB, 100, TXC_EOP | TXC_RS, 0, 0, 0);
    wr(TDH, 100);
    wr(TDT, 1);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(rd(TDH), 100);
    wr(TDH, 0);
    wr(TDT, 5000);
    settle();
    ck_assert_int_eq(cap.n, 0);
    wr(TDT, 1);
    settle();
    ck_assert_int_eq(cap.n, 1);
    /* TDLEN shrunk under the head */
    wr(TDLEN, 128);
    wr(TDH, 7);
    wr(TDLEN, 0);
    wr(TDT, 3);
    settle();
    ck_assert_int_eq(cap.n, 1);
}
END_TEST

START_TEST(test_hostile_lengths)
{
    tx_setup(16);
    wr(IMS, ICR_TXDW);
    /* zero-length descriptors: no frame, still completed */
    txd_legacy(0, TXB, 0, TXC_EOP | TXC_RS, 0, 0, 0);
    txd_data(1, TXB, 0, TXC_EOP | TXC_RS, 0, 0);
    /* huge: 1 MiB data descriptor, 64 KiB legacy one (inside RAM) */
    txd_data(2, TXB, 0xFFFFF, TXC_EOP | TXC_RS, 0x02, 0);
    txd_legacy(3, TXB, 0xFFFF, TXC_EOP | TXC_RS, 0, 0, 0);
    /* a packet that only grows: many descriptors without EOP */
    for (int i = 4; i < 12; i++)
        txd_legacy(i, TXB, 0xFFFF, 0, 0, 0, 0);
    txd_legacy(12, TXB, 10, TXC_EOP | TXC_RS, 0, 0, 0);
    /* checksum offsets beyond the frame */
    memset(ram(TXB), 0xAB, 100);
    txd_legacy(13, TXB, 100, TXC_EOP | TXC_RS | TXC_IC, 250, 255, 0);
    wr(TDT, 14);
    settle();
    ck_assert_uint_eq(rd(TDH), 14);
    ck_assert_int_eq(cap.n, 1); /* only the last one */
    ck_assert_uint_eq(cap.len[0], 100);
    ck_assert_uint_eq(cap.data[0][99], 0xAB);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(txd(i)[12] & 1, 1);
}
END_TEST

START_TEST(test_hostile_rx_sizes)
{
    rx_setup(8, RCTL_LPE);
    uint8_t big[20000];
    make_frame(big, MAC, 0x88B5, sizeof big);
    ck_assert_int_eq(inject(big, sizeof big), (ssize_t)sizeof big); /* > 16 KiB: dropped */
    ck_assert_int_eq(inject(big, 5), 5);                             /* runt: dropped */
    ck_assert_int_eq(inject(big, 0), 1); /* empty: dropped, not left in the queue */
    ck_assert_int_eq(nic->queue_len, 0);
    ck_assert_uint_eq(rd(RDH), 0);
    /* a frame needing more descriptors than the ring has: dropped, not queued */
    rx_setup(8, RCTL_LPE | 3u << 16); /* 256-byte buffers, 7 usable */
    ck_assert_int_eq(inject(big, 4000), 4000);
    ck_assert_uint_eq(rd(RDH), 0);
    ck_assert_int_eq(nic->queue_len, 0);
}
END_TEST

START_TEST(test_hostile_tso)
{
    tx_setup(16);
    uint8_t f[3000];
    size_t len = make_ipv4(f, 6, 2000, true);
    memcpy(ram(TXB), f, len);
    /* MSS 0 */
    txd_context(0, 14, 24, 33, 34, 50, 0, 2000, 0x07, 54, 0);
    txd_data(1, TXB, (uint32_t)len, TXC_TSE | TXC_EOP | TXC_RS, 0x03, 0);
    /* header longer than the data */
    txd_context(2, 14, 24, 33, 34, 50, 0, 2000, 0x07, 255, 100);
    txd_data(3, TXB, 100, TXC_TSE | TXC_EOP | TXC_RS, 0x03, 0);
    /* offsets pointing past the header, MSS 1 with a small payload */
    txd_context(4, 250, 251, 0, 240, 255, 0, 20, 0x07, 54, 1);
    txd_data(5, TXB, 74, TXC_TSE | TXC_EOP | TXC_RS, 0x03, 0);
    /* MSS huge */
    txd_context(6, 14, 24, 33, 34, 50, 0, 2000, 0x07, 54, 0xFFFF);
    txd_data(7, TXB, (uint32_t)len, TXC_TSE | TXC_EOP | TXC_RS, 0x03, 0);
    wr(TDT, 8);
    settle();
    ck_assert_uint_eq(rd(TDH), 8);
    ck_assert_int_eq(cap.n, 20); /* only the MSS 1 packet: 20 one-byte segments */
    for (int i = 0; i < 20; i++)
        ck_assert_uint_eq(cap.len[i], 60); /* 55 bytes padded */
    ck_assert_uint_eq(rd(TSCTFC), 3);
    ck_assert_uint_eq(rd(TSCTC), 1);
}
END_TEST

START_TEST(test_hostile_unfinished_packet)
{
    /* descriptors without EOP up to TDT: the transmitter waits for the rest */
    tx_setup(8);
    uint8_t f[300];
    make_frame(f, BCAST, 0x88B5, 300);
    memcpy(ram(TXB), f, 300);
    txd_legacy(0, TXB, 100, TXC_RS, 0, 0, 0);
    txd_legacy(1, TXB + 100, 100, TXC_RS, 0, 0, 0);
    wr(TDT, 2);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(rd(TDH), 0);
    txd_legacy(2, TXB + 200, 100, TXC_EOP | TXC_RS, 0, 0, 0);
    wr(TDT, 3);
    settle();
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(cap.len[0], 300);
    ck_assert(!memcmp(cap.data[0], f, 300));
    ck_assert_uint_eq(rd(TDH), 3);
    /* a full ring of descriptors with no EOP at all, the ring wrapping: the
     * tail chases the head, the device never loops */
    for (int i = 0; i < 8; i++)
        txd_legacy(i, TXB, 1000, 0, 0, 0, 0);
    wr(TDT, 2);
    settle();
    ck_assert_uint_eq(rd(TDH), 3);
    ck_assert_int_eq(cap.n, 1);
    /* reset gets out of it */
    wr(CTRL, rd(CTRL) | CTRL_RST);
    ck_assert_uint_eq(rd(TDH), 0);
    ck_assert_uint_eq(rd(TCTL), 0);
}
END_TEST

START_TEST(test_loopback_to_itself_peer)
{
    /* the NIC wired to itself: a frame it sends arrives at its own
     * receiver once, without recursion */
    net_client_set_peer(nic, nic);
    rx_setup(8, RCTL_BAM | RCTL_SECRC);
    tx_setup(8);
    uint8_t f[200];
    make_frame(f, BCAST, 0x88B5, 200);
    memcpy(ram(TXB), f, 200);
    txd_legacy(0, TXB, 200, TXC_EOP | TXC_RS, 0, 0, 0);
    txd_legacy(1, TXB, 200, TXC_EOP | TXC_RS, 0, 0, 0);
    wr(TDT, 2);
    settle();
    ck_assert_uint_eq(rd(TDH), 2);
    ck_assert_uint_eq(rd(RDH), 2);
    ck_assert(!memcmp(rxbuf(1), f, 200));
}
END_TEST

/* ---- Regressions: inputs that once broke a model, and the CVE classes
 * named for NICs. Each one fails on a model that trusts the guest. */

/* Guard bytes around a guest buffer: anything written outside it shows. */
#define GUARD 0x5Au
static void guard_fill(uint32_t a, size_t len)
{
    memset(ram(a), GUARD, len);
}
static bool guard_intact(uint32_t a, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (ram(a)[i] != GUARD)
            return false;
    return true;
}

/* A TSO header template: Ethernet + IPv4 + TCP, 54 bytes, followed by a payload. */
static size_t tso_packet(uint32_t at, size_t pay)
{
    uint8_t f[8000];
    size_t len = make_ipv4(f, 6, pay, true);
    memcpy(ram(at), f, len);
    return len;
}

/* issue 7, input 1: a context descriptor in the middle of a TSO packet raised
 * the header to 255 bytes and the MSS to 65535; the gathering code trusted
 * them and wrote ~65 KB past the device. The packet keeps the context it
 * started with; the new one applies to the next packet. */
START_TEST(test_regress_context_mid_packet_grows)
{
    tx_setup(16);
    tso_packet(TXB, 4000);
    txd_context(0, 14, 24, 33, 34, 50, 0, 2000, 0x07, 54, 1000);
    txd_data(1, TXB, 154, TXC_TSE, 0x03, 0);
    txd_context(2, 14, 24, 33, 34, 50, 0, 0xFFFFF, 0x07, 255, 65535);
    txd_data(3, TXB + 154, 0xFFFFF, TXC_TSE | TXC_EOP | TXC_RS, 0x03, 0);
    /* the next packet starts under the big context: it cannot be sent */
    txd_data(4, TXB, 3000, TXC_TSE | TXC_EOP | TXC_RS, 0x03, 0);
    wr(TDT, 5);
    settle();
    ck_assert_uint_eq(rd(TDH), 5);
    ck_assert_int_eq(cap.n, 2); /* PAYLEN 2000 in MSS 1000: two segments */
    ck_assert_uint_eq(cap.len[0], 54 + 1000);
    ck_assert_uint_eq(cap.len[1], 54 + 1000);
    ck_assert_uint_eq(rd(TSCTC), 1);
    ck_assert_uint_eq(rd(TSCTFC), 1);
}
END_TEST

/* issue 7, input 2: MSS lowered mid-packet below what was already gathered;
 * mss - pending wrapped and ~1 MB was written past the device. */
START_TEST(test_regress_context_mid_packet_shrinks)
{
    tx_setup(16);
    tso_packet(TXB, 3000);
    txd_context(0, 14, 24, 33, 34, 50, 0, 2000, 0x07, 54, 1000);
    txd_data(1, TXB, 854, TXC_TSE, 0x03, 0);
    txd_context(2, 14, 24, 33, 34, 50, 0, 2000, 0x07, 54, 100);
    txd_data(3, TXB + 854, 2000, TXC_TSE | TXC_EOP | TXC_RS, 0x03, 0);
    wr(TDT, 4);
    settle();
    ck_assert_uint_eq(rd(TDH), 4);
    ck_assert_int_eq(cap.n, 2);
    ck_assert_uint_eq(cap.len[0], 54 + 1000);
    ck_assert_uint_eq(cap.len[1], 54 + 1000);
    /* the payload arrives in order, untouched */
    ck_assert(!memcmp(cap.data[0] + 54, ram(TXB + 54), 1000));
    ck_assert(!memcmp(cap.data[1] + 54, ram(TXB + 1054), 1000));
}
END_TEST

/* issue 7, input 3: header-only data descriptor, then MSS 0 mid-packet:
 * segmentation made no progress and the transmit loop never ended. */
START_TEST(test_regress_context_mid_packet_mss0)
{
    tx_setup(16);
    tso_packet(TXB, 3000);
    txd_context(0, 14, 24, 33, 34, 50, 0, 1500, 0x07, 54, 500);
    txd_data(1, TXB, 54, TXC_TSE, 0x03, 0);
    txd_context(2, 14, 24, 33, 34, 50, 0, 1500, 0x07, 54, 0);
    txd_data(3, TXB + 54, 1500, TXC_TSE | TXC_EOP | TXC_RS, 0x03, 0);
    wr(TDT, 4);
    settle();
    ck_assert_uint_eq(rd(TDH), 4);
    ck_assert_int_eq(cap.n, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(cap.len[i], 54 + 500);
}
END_TEST

/* CVE-2012-6075 class: a frame longer than the guest's buffers. Without LPE
 * it is dropped; with LPE it spans descriptors and no buffer is overrun. */
START_TEST(test_regress_oversized_rx_frame)
{
    uint8_t f[9000];
    make_frame(f, MAC, 0x88B5, sizeof f);
    rx_setup(8, RCTL_SECRC); /* 2048-byte buffers, no long packets */
    for (int i = 0; i < 8; i++)
        guard_fill(RXB + 0x4000u * (uint32_t)i, 0x4000);
    ck_assert_int_eq(inject(f, 1600), 1600);
    ck_assert_uint_eq(rd(RDH), 0);
    ck_assert_uint_eq(rd(ROC), 1);
    for (int i = 0; i < 8; i++)
        ck_assert(guard_intact(RXB + 0x4000u * (uint32_t)i, 0x4000));
    rx_setup(8, RCTL_SECRC | RCTL_LPE);
    for (int i = 0; i < 8; i++)
        guard_fill(RXB + 0x4000u * (uint32_t)i, 0x4000);
    ck_assert_int_eq(inject(f, 9000), 9000);
    ck_assert_uint_eq(rd(RDH), 5); /* 2048 * 4 + 808 */
    for (int i = 0; i < 5; i++) {
        size_t used = i < 4 ? 2048 : 9000 - 4 * 2048;
        ck_assert(!memcmp(rxbuf(i), f + 2048 * i, used));
        ck_assert(guard_intact(RXB + 0x4000u * (uint32_t)i + (uint32_t)used, 0x4000 - used));
    }
}
END_TEST

/* CVE-2015-6815 / CVE-2021-20257 class: transmit descriptors that make no
 * progress (zero lengths, TSO that cannot advance, no EOP anywhere). Every
 * call returns and the head never passes the tail. */
START_TEST(test_regress_tx_no_progress)
{
    tx_setup(64);
    tso_packet(TXB, 100);
    int i = 0;
    txd_context(i++, 14, 24, 33, 34, 50, 0, 0xFFFFF, 0x07, 54, 1);
    while (i < 63)
        txd_data(i++, TXB, 0, TXC_TSE | TXC_RS, 0x03, 0);
    wr(TDT, 63);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_le(rd(TDH), 63);
    /* zero-length legacy descriptors with EOP, over and over around the ring */
    tx_setup(8);
    for (int round = 0; round < 4; round++) {
        for (int k = 0; k < 8; k++)
            txd_legacy(k, TXB, 0, TXC_EOP | TXC_RS, 0, 0, 0);
        wr(TDT, (uint32_t)((round * 8 + 7) % 8));
        settle();
    }
    ck_assert_int_eq(cap.n, 0);
}
END_TEST

/* CVE-2016-1981 class: receive descriptors that can never take a frame
 * (RDLEN 0, heads beyond the ring, head == tail): the frame is dropped or
 * kept for later, the call returns at once. */
START_TEST(test_regress_rx_descriptor_loop)
{
    uint8_t f[200];
    make_frame(f, MAC, 0x88B5, sizeof f);
    rx_setup(8, 0);
    wr(RDT, 0); /* head == tail: no descriptor is the device's */
    ck_assert_int_eq(inject(f, sizeof f), 0);
    ck_assert_uint_eq(rd(RDH), 0);
    wr(RDLEN, 0); /* no ring at all */
    ck_assert_int_eq(inject(f, sizeof f), 0);
    wr(RDH, 1000); /* head beyond the ring */
    wr(RDLEN, 8 * 16);
    wr(RDT, 5);
    ck_assert_int_eq(inject(f, sizeof f), 0);
    ck_assert_uint_eq(rd(RDH), 1000);
    /* a sane ring again: the three frames kept for later arrive */
    ck_assert_int_eq(nic->queue_len, 3);
    rx_setup(8, 0);
    ck_assert_int_eq(nic->queue_len, 0);
    ck_assert_uint_eq(rd(RDH), 3);
}
END_TEST

/* CVE-2021-3416 class: loopback to itself must not re-enter the device. */
START_TEST(test_regress_loopback_reentrancy)
{
    rx_setup(8, RCTL_BAM | RCTL_SECRC | RCTL_LBM_MAC);
    tx_setup(8);
    uint8_t f[100];
    make_frame(f, BCAST, 0x88B5, sizeof f);
    memcpy(ram(TXB), f, sizeof f);
    /* the transmit buffer is the receive ring's own descriptors */
    txd_legacy(0, RXR, 128, TXC_EOP | TXC_RS, 0, 0, 0);
    txd_legacy(1, TXB, 100, TXC_EOP | TXC_RS, 0, 0, 0);
    wr(TDT, 2);
    settle();
    ck_assert_uint_eq(rd(TDH), 2);
    ck_assert_int_eq(cap.n, 0); /* loopback: nothing to the peer */
    ck_assert_uint_le(rd(RDH), 2);
}
END_TEST

/* CVE-2023-0330 class: descriptors pointing DMA at the device's own MMIO
 * registers. DMA reaches RAM only: the buffer is bad, no register changes. */
START_TEST(test_regress_dma_to_own_mmio)
{
    tx_setup(8);
    uint32_t tdlen = rd(TDLEN);
    txd_legacy(0, MMIO_BASE + TDLEN, 64, TXC_EOP | TXC_RS, 0, 0, 0);
    wr(TDT, 1);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(rd(TDLEN), tdlen);
    ck_assert_uint_eq(rd(TDH), 1);
    /* a receive buffer on the registers: the frame is marked bad, the
     * registers keep their values */
    rx_setup(8, RCTL_BAM);
    st64le(rxd(0), MMIO_BASE + RDLEN);
    uint8_t f[100];
    make_frame(f, BCAST, 0x88B5, sizeof f);
    inject(f, sizeof f);
    ck_assert_uint_eq(rd(RDLEN), 8 * 16);
    ck_assert_uint_eq(rxd(0)[13] & 0x80, 0x80); /* RXE */
    /* the rings themselves on the registers: nothing is fetched */
    wr(TDBAL, MMIO_BASE);
    wr(TDT, 2);
    settle();
    ck_assert_int_eq(cap.n, 0);
}
END_TEST

static Suite *e1000_suite(void)
{
    Suite *s = suite_create("e1000");
    TCase *tc = tcase_create("e1000");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pci_identity);
    tcase_add_test(tc, test_eeprom_eerd);
    tcase_add_test(tc, test_eeprom_bitbang);
    tcase_add_test(tc, test_phy_mdic);
    tcase_add_test(tc, test_register_masks);
    tcase_add_test(tc, test_io_window_and_reset);
    tcase_add_test(tc, test_interrupt_registers);
    tcase_add_test(tc, test_rx_basic_and_crc);
    tcase_add_test(tc, test_rx_filtering);
    tcase_add_test(tc, test_rx_multi_descriptor);
    tcase_add_test(tc, test_rx_ring_full_then_flush);
    tcase_add_test(tc, test_rx_descriptor_threshold);
    tcase_add_test(tc, test_rx_vlan_and_checksum);
    tcase_add_test(tc, test_tx_legacy_and_timing);
    tcase_add_test(tc, test_tx_legacy_checksum);
    tcase_add_test(tc, test_tx_context_checksum_offload);
    tcase_add_test(tc, test_tx_tso);
    tcase_add_test(tc, test_tx_vlan_insert);
    tcase_add_test(tc, test_rx_moderation);
    tcase_add_test(tc, test_tx_moderation_and_itr);
    tcase_add_test(tc, test_loopback_mac_and_phy);
    tcase_add_test(tc, test_loopback_ring_full);
    tcase_add_test(tc, test_hostile_rings_outside_ram);
    tcase_add_test(tc, test_hostile_heads_beyond_ring);
    tcase_add_test(tc, test_hostile_lengths);
    tcase_add_test(tc, test_hostile_rx_sizes);
    tcase_add_test(tc, test_hostile_tso);
    tcase_add_test(tc, test_hostile_unfinished_packet);
    tcase_add_test(tc, test_loopback_to_itself_peer);
    tcase_add_test(tc, test_regress_context_mid_packet_grows);
    tcase_add_test(tc, test_regress_context_mid_packet_shrinks);
    tcase_add_test(tc, test_regress_context_mid_packet_mss0);
    tcase_add_test(tc, test_regress_oversized_rx_frame);
    tcase_add_test(tc, test_regress_tx_no_progress);
    tcase_add_test(tc, test_regress_rx_descriptor_loop);
    tcase_add_test(tc, test_regress_loopback_reentrancy);
    tcase_add_test(tc, test_regress_dma_to_own_mmio);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(e1000_suite)
