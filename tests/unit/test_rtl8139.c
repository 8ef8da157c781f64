/* Realtek RTL8139C / RTL8139C+ (hw/rtl8139.c): PCI identity, EEPROM,
 * registers and their locks, interrupts, TCTR/TimerInt on the virtual
 * clock, the PHY and link changes, the C-mode receive ring (wrap, CAPR, flow
 * control) and four transmit slots, the C+ descriptor rings (multi-buffer
 * frames, checksum offload, large send, VLAN, dump-tally counters),
 * loopback, and hostile guests (the classes of CVE-2015-5165, CVE-2016-8910,
 * CVE-2018-17958). The device sits on a bare machine's PCI bus with its BARs
 * placed by the test; a capturing peer keeps what it sends. One test case
 * runs the C personality (rev=0x10), the other the C+ (the default). */
#include <string.h>
#include <zlib.h>

#include "hw/rtl8139_regs.h"
#include "net/net.h"
#include "testutil.h"

#define MMIO_BASE 0xF0000000u
#define IO_BASE 0xC000u
#define RAM_SIZE (16u << 20)

/* guest memory layout */
#define RXB 0x100000u   /* C-mode receive ring (up to 64 KiB + slack) */
#define RXR 0x180000u   /* C+ receive descriptors */
#define TXR 0x190000u   /* C+ normal-priority transmit descriptors */
#define HTXR 0x191000u  /* C+ high-priority transmit descriptors */
#define TXB 0x200000u   /* transmit buffers: C slots 0x4000 apart, C+ descriptors 0x1000 apart */
#define RXBUF 0x300000u /* C+ receive buffers, 0x2000 apart */
#define DUMP 0x400000u  /* tally dump */

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t BCAST[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
static const uint8_t OTHER[6] = {0x52, 0x54, 0x00, 0xAA, 0xBB, 0xCC};

static Machine *m;
static PciBus *bus;
static PciDevice *dev;
static NetClient *nic, *peer;
static WbCapture cap;

/* ---- access helpers */
static uint8_t r8(uint32_t off)
{
    return (uint8_t)phys_read(m, MMIO_BASE + off, 0);
}
static uint16_t r16(uint32_t off)
{
    return (uint16_t)phys_read(m, MMIO_BASE + off, 1);
}
static uint32_t r32(uint32_t off)
{
    return phys_read(m, MMIO_BASE + off, 2);
}
static void w8(uint32_t off, uint8_t v)
{
    phys_write(m, MMIO_BASE + off, v, 0);
}
static void w16(uint32_t off, uint16_t v)
{
    phys_write(m, MMIO_BASE + off, v, 1);
}
static void w32(uint32_t off, uint32_t v)
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
static void run_ns(uint64_t ns)
{
    wb_run_until(m, clock_ns(m) + ns);
}
static void settle(void)
{
    run_ns(50000000ull);
}
/* A frame from the peer, and the time it takes to arrive on a 100 Mbit/s
 * wire: the next one finds the wire free again. */
static uint64_t wire_ns(size_t len)
{
    return (uint64_t)((len < 60 ? 60 : len) + 24) * RTL_BYTE_NS;
}
static void inject(const uint8_t *f, size_t len)
{
    net_send(peer, f, len);
    run_ns(wire_ns(len));
}

/* independent ones' complement sum */
static uint16_t ocsum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)sum;
}

/* The Ethernet CRC as drivers compute the RTL8139's multicast hash: CRC-32
 * shifted in bit by bit, least significant bit of each byte first. */
static unsigned ether_hash(const uint8_t *addr)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (int i = 0; i < 6; i++) {
        uint8_t b = addr[i];
        for (int k = 0; k < 8; k++, b >>= 1)
            crc = ((crc >> 31) ^ (b & 1)) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc >> 26;
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

/* Ethernet + IPv4 + TCP (20-byte header) or UDP with correct checksums. */
static size_t make_ipv4(uint8_t *f, const uint8_t *dst, uint8_t proto, size_t payload)
{
    size_t l4h = proto == 6 ? 20 : 8, len = 14 + 20 + l4h + payload;
    make_frame(f, dst, 0x0800, len);
    uint8_t *ip = f + 14, *l4 = ip + 20;
    memset(ip, 0, 20 + l4h);
    ip[0] = 0x45;
    st16be(ip + 2, (uint16_t)(20 + l4h + payload));
    st16be(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = proto;
    st32be(ip + 12, 0x0A00020F);
    st32be(ip + 16, 0x0A000202);
    st16be(ip + 10, (uint16_t)~ocsum(0, ip, 20));
    st16be(l4, 40000);
    st16be(l4 + 2, 80);
    if (proto == 6) {
        st32be(l4 + 4, 1000);
        l4[12] = 0x50;
        l4[13] = 0x19; /* FIN, PSH, ACK */
        st16be(l4 + 14, 65535);
    } else {
        st16be(l4 + 4, (uint16_t)(8 + payload));
    }
    for (size_t i = 0; i < payload; i++)
        l4[l4h + i] = (uint8_t)(i * 13 + 5);
    uint32_t pseudo = 0x0A00 + 0x020F + 0x0A00 + 0x0202 + proto + (uint32_t)(l4h + payload);
    uint16_t c = (uint16_t)~ocsum(pseudo, l4, l4h + payload);
    st16be(l4 + (proto == 6 ? 16 : 6), c ? c : 0xFFFF);
    return len;
}

/* The checksums of a captured IPv4 TCP/UDP frame (at l3) verify. */
static bool ipv4_sums_ok(const uint8_t *f, size_t len, size_t l3)
{
    const uint8_t *ip = f + l3;
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = ld16be(ip + 2);
    if (l3 + tot > len || ocsum(0, ip, ihl) != 0xFFFF)
        return false;
    uint32_t pseudo = ocsum(0, ip + 12, 8) + ip[9] + (uint32_t)(tot - ihl);
    return ocsum(pseudo, ip + ihl, tot - ihl) == 0xFFFF;
}

/* ---- fixtures: the device as -device TEXT makes it */
static void setup_with(const char *text)
{
    m = wb_test_machine_with_buses(RAM_SIZE);
    bus = pc_board(m)->pci;
    peer = wb_capture_new(m, "fake", &cap);
    nic = wb_create_device(m, text, peer, MAC);
    ck_assert_ptr_nonnull(nic);
    dev = pci_find(bus, 2 << 3);
    ck_assert_ptr_nonnull(dev);
    pci_config_write(bus, dev->devfn, 0x10, IO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x14, MMIO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x04, 0x0007, 1);
}
static void setup_c(void)
{
    setup_with("rtl8139,id=nic0,rev=0x10");
}
static void setup_cplus(void)
{
    setup_with("rtl8139,id=nic0");
}
static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
    m = NULL;
}

/* ---- C mode, as 8139too drives it */
static uint32_t cur_rx;

static void c_start(uint32_t rblen, uint32_t rcr_extra)
{
    w8(RTL_CR, CR_RST);
    w32(RTL_RBSTART, RXB);
    w8(RTL_CR, CR_RE | CR_TE);
    w32(RTL_RCR, rblen << RCR_RBLEN_SHIFT | RCR_AB | RCR_APM | rcr_extra);
    w16(RTL_IMR, 0xE07F);
    cur_rx = 0;
}

/* The next packet of the ring as the driver reads it; false if empty. */
static bool c_pop(uint16_t *status, uint16_t *len, uint8_t *data, size_t max)
{
    if (r8(RTL_CR) & CR_BUFE)
        run_ns(wire_ns(1514)); /* a frame may still be on its way */
    if (r8(RTL_CR) & CR_BUFE)
        return false;
    uint32_t ring = 8192u << ((r32(RTL_RCR) >> RCR_RBLEN_SHIFT) & 3);
    uint32_t off = cur_rx % ring;
    *status = ld16le(ram(RXB + off));
    *len = ld16le(ram(RXB + off + 2));
    size_t n = *len < max ? *len : max;
    for (size_t i = 0; i < n; i++) /* wrapping as a WRAP=0 driver reads */
        data[i] = *ram(RXB + (off + 4 + (uint32_t)i) % ((r32(RTL_RCR) & RCR_WRAP) ? 0x20000u : ring));
    cur_rx = (cur_rx + *len + 4 + 3) & ~3u;
    w16(RTL_CAPR, (uint16_t)(cur_rx - 16));
    return true;
}

static void c_send(int slot, const uint8_t *f, size_t len)
{
    memcpy(ram(TXB + 0x4000u * (uint32_t)slot), f, len);
    w32(RTL_TSAD0 + 4u * (uint32_t)slot, TXB + 0x4000u * (uint32_t)slot);
    w32(RTL_TSD0 + 4u * (uint32_t)slot, (uint32_t)len | 8u << TSD_ERTXTH_SHIFT);
}

/* ---- C+ mode, as 8139cp drives it */
static void cp_rx_desc(int i, uint32_t size, bool eor)
{
    uint8_t *d = ram(RXR + 16u * (uint32_t)i);
    st32le(d, CP_OWN | (eor ? CP_EOR : 0) | size);
    st32le(d + 4, 0);
    st64le(d + 8, RXBUF + 0x2000u * (uint32_t)i);
}

static void cp_start(int nrx, uint32_t bufsize, uint16_t cpcr_extra)
{
    w8(RTL_CR, CR_RST);
    for (int i = 0; i < nrx; i++)
        cp_rx_desc(i, bufsize, i == nrx - 1);
    memset(ram(TXR), 0, 64 * 16);
    memset(ram(HTXR), 0, 64 * 16);
    st32le(ram(TXR + 63 * 16), CP_EOR);
    w16(RTL_CPCR, CPCR_TXENB | CPCR_RXENB | CPCR_MULRW | cpcr_extra);
    w32(RTL_THPDS, HTXR);
    w32(RTL_THPDS + 4, 0);
    w32(RTL_RDSAR, RXR);
    w32(RTL_RDSAR + 4, 0);
    w32(RTL_TNPDS, TXR);
    w32(RTL_TNPDS + 4, 0);
    w8(RTL_CR, CR_RE | CR_TE);
    w32(RTL_RCR, RCR_AB | RCR_APM);
    w16(RTL_IMR, 0xE1FF);
}

static uint32_t rxd_opts1(int i)
{
    return ld32le(ram(RXR + 16u * (uint32_t)i));
}
static uint32_t rxd_opts2(int i)
{
    return ld32le(ram(RXR + 16u * (uint32_t)i + 4));
}
static uint8_t *rxd_buf(int i)
{
    return ram(RXBUF + 0x2000u * (uint32_t)i);
}

static void cp_tx_desc(uint32_t ring, int i, uint32_t opts1, uint32_t opts2, uint64_t addr)
{
    uint8_t *d = ram(ring + 16u * (uint32_t)i);
    st32le(d + 4, opts2);
    st64le(d + 8, addr);
    st32le(d, opts1 | (i == 63 ? CP_EOR : 0));
}
static uint32_t txd_opts1(uint32_t ring, int i)
{
    return ld32le(ram(ring + 16u * (uint32_t)i));
}

/* A one-descriptor packet at descriptor i of the normal ring. */
static void cp_send(int i, const uint8_t *f, size_t len, uint32_t flags, uint32_t opts2)
{
    uint32_t a = TXB + 0x1000u * (uint32_t)i;
    memcpy(ram(a), f, len);
    cp_tx_desc(TXR, i, CP_OWN | CP_FS | CP_LS | flags | (uint32_t)len, opts2, a);
}

/* ================================================================ common */

START_TEST(test_pci_identity)
{
    bool cplus = pci_config_read(bus, dev->devfn, 0x08, 0) == RTL_REV_CPLUS;
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x00, 2), 0x813910ECu);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x08, 2) >> 8, 0x020000u);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x2C, 2), 0x813910ECu);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x3D, 0), 1);
    /* BAR0: 256 I/O ports; BAR1: 256 bytes of memory */
    pci_config_write(bus, dev->devfn, 0x10, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x10, 2), 0xFFFFFF01u);
    pci_config_write(bus, dev->devfn, 0x14, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, dev->devfn, 0x14, 2), 0xFFFFFF00u);
    pci_config_write(bus, dev->devfn, 0x10, IO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x14, MMIO_BASE, 2);
    /* what 8139too and 8139cp look at to tell the chips apart */
    ck_assert_uint_eq(r32(RTL_TCR) & TCR_HWVERID_MASK, cplus ? TCR_HWVERID_CPLUS : TCR_HWVERID_C);
    ck_assert_uint_eq(r8(RTL_RERID), cplus ? RTL_REV_CPLUS : RTL_REV_C);
    /* the station address, loaded from the EEPROM */
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(r8(RTL_IDR0 + (uint32_t)i), MAC[i]);
    /* both BARs reach the same registers */
    wb_outw(m, IO_BASE + RTL_IMR, 0x0025);
    ck_assert_uint_eq(r16(RTL_IMR), 0x0025);
    w32(RTL_MAR0 + 4, 0xA5A5F00Fu);
    ck_assert_uint_eq(wb_inl(m, IO_BASE + RTL_MAR0 + 4), 0xA5A5F00Fu);
    ck_assert_uint_eq(wb_inb(m, IO_BASE + RTL_MAR0 + 5), 0xF0);
}
END_TEST

/* 93C46 bit-banging through 9346CR, as 8139too's read_eeprom does it. */
static void ee_out(int bit)
{
    uint8_t d = bit ? EE_DI : 0;
    w8(RTL_9346CR, EEM_PROGRAM | EE_CS | d);
    w8(RTL_9346CR, EEM_PROGRAM | EE_CS | d | EE_SK);
}
static void ee_cmd(int cmd, int bits)
{
    w8(RTL_9346CR, EEM_PROGRAM);
    w8(RTL_9346CR, EEM_PROGRAM | EE_CS);
    for (int i = bits - 1; i >= 0; i--)
        ee_out((cmd >> i) & 1);
    w8(RTL_9346CR, EEM_PROGRAM | EE_CS);
}
static uint16_t ee_read(int addr, int addr_len)
{
    ee_cmd(addr | 6 << addr_len, 3 + addr_len);
    uint16_t v = 0;
    for (int i = 0; i < 16; i++) {
        w8(RTL_9346CR, EEM_PROGRAM | EE_CS | EE_SK);
        v = (uint16_t)(v << 1 | (r8(RTL_9346CR) & EE_DO));
        w8(RTL_9346CR, EEM_PROGRAM | EE_CS);
    }
    w8(RTL_9346CR, 0);
    return v;
}
static void ee_write(int addr, uint16_t val)
{
    ee_cmd(4 << 6 | 3 << 4, 9); /* EWEN */
    w8(RTL_9346CR, 0);
    ee_cmd(addr | 5 << 6, 9);
    for (int i = 15; i >= 0; i--)
        ee_out((val >> i) & 1);
    w8(RTL_9346CR, 0);
    w8(RTL_9346CR, EEM_PROGRAM | EE_CS); /* ready? */
    ck_assert(r8(RTL_9346CR) & EE_DO);
    w8(RTL_9346CR, 0);
    ee_cmd(4 << 6, 9); /* EWDS */
    w8(RTL_9346CR, 0);
}

START_TEST(test_eeprom)
{
    /* Linux probes with an 8-bit address: a 93C46 must not answer 0x8129
     * then, or the driver would take it for a 93C56 */
    ck_assert_uint_ne(ee_read(0, 8), EE_ID);
    ck_assert_uint_eq(ee_read(0, 6), EE_ID);
    ck_assert_uint_eq(ee_read(1, 6), RTL_VENDOR);
    ck_assert_uint_eq(ee_read(2, 6), RTL_DEVICE);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(ee_read(7 + i, 6), MAC[2 * i] | MAC[2 * i + 1] << 8);
    /* a write without EWEN is ignored */
    ee_cmd(7 | 5 << 6, 9);
    for (int i = 15; i >= 0; i--)
        ee_out((0x1111 >> i) & 1);
    w8(RTL_9346CR, 0);
    ck_assert_uint_eq(ee_read(7, 6), 0x5452);
    /* with EWEN it sticks; autoload brings it into IDR */
    ee_write(7, 0xBA02);
    ck_assert_uint_eq(ee_read(7, 6), 0xBA02);
    ck_assert_uint_eq(r8(RTL_IDR0), 0x52);
    w8(RTL_9346CR, EEM_AUTOLOAD);
    ck_assert_uint_eq(r8(RTL_9346CR) & EEM_MASK, EEM_NORMAL); /* back to normal */
    ck_assert_uint_eq(r8(RTL_IDR0), 0x02);
    ck_assert_uint_eq(r8(RTL_IDR0 + 1), 0xBA);
    /* the EEPROM survives a machine reset; IDR is loaded from it */
    machine_reset(m);
    ck_assert_uint_eq(r8(RTL_IDR0), 0x02);
    /* a sequential read runs on into the next word */
    ee_cmd(8 | 6 << 6, 9);
    uint32_t v = 0;
    for (int i = 0; i < 32; i++) {
        w8(RTL_9346CR, EEM_PROGRAM | EE_CS | EE_SK);
        v = v << 1 | (r8(RTL_9346CR) & EE_DO);
        w8(RTL_9346CR, EEM_PROGRAM | EE_CS);
    }
    ck_assert_uint_eq(v, (uint32_t)(MAC[2] | MAC[3] << 8) << 16 | (uint32_t)(MAC[4] | MAC[5] << 8));
}
END_TEST

START_TEST(test_config_lock_and_registers)
{
    /* CONFIG1/3/4 and BMCR only take writes with 9346CR unlocked */
    uint8_t c3 = r8(RTL_CONFIG3);
    w8(RTL_CONFIG3, 0x20);
    ck_assert_uint_eq(r8(RTL_CONFIG3), c3);
    w16(RTL_BMCR, 0x0000);
    ck_assert_uint_eq(r16(RTL_BMCR), BMCR_SPD100 | BMCR_ANE | BMCR_FDX);
    w8(RTL_9346CR, EEM_CONFIG);
    w8(RTL_CONFIG3, 0x20);
    ck_assert_uint_eq(r8(RTL_CONFIG3), 0x20);
    w16(RTL_BMCR, BMCR_SPD100 | BMCR_FDX); /* autonegotiation off */
    ck_assert_uint_eq(r16(RTL_BMCR), BMCR_SPD100 | BMCR_FDX);
    ck_assert_uint_eq(r16(RTL_BMSR) & BMSR_ANC, 0);
    w16(RTL_BMCR, BMCR_RESET);
    ck_assert_uint_eq(r16(RTL_BMCR), BMCR_SPD100 | BMCR_ANE | BMCR_FDX);
    w8(RTL_9346CR, EEM_NORMAL);
    w8(RTL_CONFIG5, 0x40); /* CONFIG5 needs no unlock */
    ck_assert_uint_eq(r8(RTL_CONFIG5), 0x40);

    /* IDR: byte and dword writes; the C+ chip's CPCR does not exist on a C */
    w32(RTL_IDR0, 0x44332211u);
    w32(RTL_IDR0 + 4, 0xFFFF6655u);
    ck_assert_uint_eq(r32(RTL_IDR0), 0x44332211u);
    ck_assert_uint_eq(r16(RTL_IDR0 + 4), 0x6655);
    ck_assert_uint_eq(r16(RTL_IDR0 + 6), 0);
    /* TCR: the version bits are read-only, CLRABT reads 0 */
    uint32_t ver = r32(RTL_TCR) & TCR_HWVERID_MASK;
    w32(RTL_TCR, 0xFFFFFFFFu);
    ck_assert_uint_eq(r32(RTL_TCR), ver | TCR_WMASK);
    w32(RTL_RCR, 0xFFFFFFFFu);
    ck_assert_uint_eq(r32(RTL_RCR), RCR_WMASK);
    /* the software reset: done at once, interrupts cleared, slots the host's,
     * station address and multicast filter kept */
    w32(RTL_MAR0, 0x12345678u);
    w16(RTL_IMR, 0xFFFF);
    w8(RTL_CR, CR_RE | CR_TE);
    w8(RTL_CR, CR_RST);
    ck_assert_uint_eq(r8(RTL_CR) & (CR_RST | CR_RE | CR_TE), 0);
    ck_assert_uint_eq(r16(RTL_IMR), 0);
    ck_assert_uint_eq(r32(RTL_TSD0), TSD_OWN);
    ck_assert_uint_eq(r16(RTL_TSAD_ALL), 0x000F);
    ck_assert_uint_eq(r32(RTL_MAR0), 0x12345678u);
    ck_assert_uint_eq(r32(RTL_IDR0), 0x44332211u);
    ck_assert_uint_eq(r16(RTL_CAPR), 0xFFF0);
    ck_assert_uint_eq(r16(RTL_CBR), 0);
    /* MPC: a write clears it */
    w32(RTL_MPC, 0x1234);
    ck_assert_uint_eq(r32(RTL_MPC), 0);
}
END_TEST

START_TEST(test_interrupts)
{
    w16(RTL_IMR, 0);
    w32(RTL_TIMERINT, 100);
    run_ns(100 * RTL_PCI_CLOCK_NS);
    ck_assert_uint_eq(r16(RTL_ISR), INT_TIMEOUT);
    ck_assert(!irq_level()); /* masked */
    w16(RTL_IMR, INT_TIMEOUT);
    ck_assert(irq_level());
    /* write 1 to clear; a byte write reaches only its byte */
    w8(RTL_ISR, 0xFF);
    ck_assert_uint_eq(r16(RTL_ISR), INT_TIMEOUT);
    ck_assert(irq_level());
    w8(RTL_ISR + 1, INT_TIMEOUT >> 8);
    ck_assert_uint_eq(r16(RTL_ISR), 0);
    ck_assert(!irq_level());
    /* the machine's reset lowers the line and clears everything */
    w32(RTL_TCTR, 0);
    run_ns(100 * RTL_PCI_CLOCK_NS);
    ck_assert(irq_level());
    machine_reset(m);
    ck_assert(!irq_level());
    ck_assert_uint_eq(r16(RTL_ISR), 0);
    ck_assert_uint_eq(r32(RTL_TIMERINT), 0);
}
END_TEST

/* TCTR counts the 33 MHz PCI clock of virtual time; TimeOut fires when it
 * reaches TimerInt, exactly then, and again one 32-bit wrap later. */
START_TEST(test_timer_on_virtual_clock)
{
    w16(RTL_IMR, INT_TIMEOUT);
    w32(RTL_TCTR, 0); /* restart from 0 */
    run_ns(3000);
    ck_assert_uint_eq(r32(RTL_TCTR), 100);
    w32(RTL_TCTR, 0xDEAD); /* any value restarts it */
    ck_assert_uint_eq(r32(RTL_TCTR), 0);
    uint64_t t0 = clock_ns(m);
    w32(RTL_TIMERINT, 1000);
    wb_run_until(m, t0 + 1000 * RTL_PCI_CLOCK_NS - 1);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TIMEOUT, 0);
    ck_assert(!irq_level());
    wb_run_until(m, t0 + 1000 * RTL_PCI_CLOCK_NS);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TIMEOUT, INT_TIMEOUT);
    ck_assert(irq_level());
    w16(RTL_ISR, INT_TIMEOUT);
    /* TimerInt below the current count: after the wrap */
    run_ns(5000);
    w32(RTL_TIMERINT, 10);
    run_ns(60ull * 1000000000ull);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TIMEOUT, 0);
    wb_run_until(m, t0 + ((1ull << 32) + 10) * RTL_PCI_CLOCK_NS);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TIMEOUT, INT_TIMEOUT);
    /* 0 switches it off */
    w16(RTL_ISR, INT_TIMEOUT);
    w32(RTL_TIMERINT, 0);
    w32(RTL_TCTR, 0);
    run_ns(200ull * 1000000000ull);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TIMEOUT, 0);
}
END_TEST

/* The PHY follows the netdev layer's link: BMSR, ANLPAR, MSR and CSCR, and
 * the link change interrupt both drivers wait for. */
START_TEST(test_link_changes)
{
    w16(RTL_IMR, INT_LINKCHG);
    ck_assert_uint_eq(r16(RTL_BMSR), BMSR_CAPS | BMSR_LINK | BMSR_ANC);
    ck_assert_uint_eq(r16(RTL_ANLPAR), ANLPAR_PARTNER);
    ck_assert_uint_eq(r8(RTL_MSR) & (MSR_LINKB | MSR_SPEED10), 0);
    ck_assert_uint_eq(r16(RTL_CSCR) & (CSCR_LINK_OK | CSCR_LINK_CHANGE), CSCR_LINK_OK);
    ck_assert(!irq_level());

    net_set_link(peer, false); /* the backend's cable */
    ck_assert(irq_level());
    ck_assert_uint_eq(r16(RTL_ISR), INT_LINKCHG);
    ck_assert_uint_eq(r16(RTL_BMSR) & (BMSR_LINK | BMSR_ANC), 0);
    ck_assert_uint_eq(r16(RTL_ANLPAR), 0);
    ck_assert_uint_eq(r8(RTL_MSR) & MSR_LINKB, MSR_LINKB);
    ck_assert_uint_eq(r16(RTL_CSCR) & (CSCR_LINK_OK | CSCR_LINK_CHANGE), CSCR_LINK_CHANGE);
    ck_assert_uint_eq(r16(RTL_CSCR) & CSCR_LINK_CHANGE, 0); /* cleared by the read */
    w16(RTL_ISR, INT_LINKCHG);
    ck_assert(!irq_level());

    net_set_link(nic, true); /* the NIC's own end, as a monitor's set_link does */
    net_set_link(peer, true);
    ck_assert(irq_level());
    ck_assert_uint_eq(r16(RTL_BMSR) & BMSR_LINK, BMSR_LINK);
    ck_assert_uint_eq(r16(RTL_CSCR) & (CSCR_LINK_OK | CSCR_LINK_CHANGE),
                      CSCR_LINK_OK | CSCR_LINK_CHANGE);
    /* no change, no interrupt */
    w16(RTL_ISR, INT_LINKCHG);
    net_set_link(peer, true);
    ck_assert(!irq_level());
}
END_TEST

/* ================================================================ C mode */

START_TEST(test_c_rx_basic)
{
    c_start(0, 0);
    ck_assert_uint_eq(r8(RTL_CR) & CR_BUFE, CR_BUFE);
    uint8_t f[100], got[200];
    make_frame(f, MAC, 0x88B5, sizeof f);
    inject(f, sizeof f);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_ROK, INT_ROK);
    ck_assert(irq_level());
    ck_assert_uint_eq(r8(RTL_CR) & CR_BUFE, 0);
    ck_assert_uint_eq(r16(RTL_CBR), 108); /* 4 + 100 + CRC, dword aligned */
    uint16_t st, len;
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(st, RSR_ROK | RSR_PAM);
    ck_assert_uint_eq(len, 104);
    ck_assert_mem_eq(got, f, 100);
    ck_assert_uint_eq(ld32le(got + 100), (uint32_t)crc32(0L, f, 100));
    ck_assert_uint_eq(r8(RTL_CR) & CR_BUFE, CR_BUFE);
    ck_assert(!c_pop(&st, &len, got, sizeof got));
    /* a runt from the wire arrives padded to 60 bytes */
    inject(f, 42);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(len, 64);
    ck_assert_mem_eq(got, f, 42);
    for (int i = 42; i < 60; i++)
        ck_assert_uint_eq(got[i], 0);
}
END_TEST

START_TEST(test_c_rx_filter)
{
    c_start(0, 0);
    uint8_t f[80], got[100];
    uint16_t st, len;
    make_frame(f, OTHER, 0x88B5, sizeof f);
    inject(f, sizeof f); /* someone else's */
    ck_assert(!c_pop(&st, &len, got, sizeof got));
    make_frame(f, BCAST, 0x88B5, sizeof f);
    inject(f, sizeof f);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(st, RSR_ROK | RSR_BAR);
    /* multicast: AM and the hash bit of its CRC in MAR */
    static const uint8_t mc[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x01};
    make_frame(f, mc, 0x0800, sizeof f);
    inject(f, sizeof f);
    ck_assert(!c_pop(&st, &len, got, sizeof got));
    w32(RTL_RCR, r32(RTL_RCR) | RCR_AM);
    inject(f, sizeof f);
    ck_assert(!c_pop(&st, &len, got, sizeof got)); /* MAR empty */
    unsigned h = ether_hash(mc);
    w32(RTL_MAR0 + (h >> 5) * 4, 1u << (h & 31));
    inject(f, sizeof f);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(st, RSR_ROK | RSR_MAR);
    /* another group with a different hash stays out */
    static const uint8_t mc2[6] = {0x01, 0x00, 0x5E, 0x7F, 0x12, 0x34};
    ck_assert_uint_ne(ether_hash(mc2), h);
    make_frame(f, mc2, 0x0800, sizeof f);
    inject(f, sizeof f);
    ck_assert(!c_pop(&st, &len, got, sizeof got));
    /* promiscuous */
    w32(RTL_RCR, r32(RTL_RCR) | RCR_AAP);
    make_frame(f, OTHER, 0x88B5, sizeof f);
    inject(f, sizeof f);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(st, RSR_ROK);
}
END_TEST

/* WRAP=0: a packet reaching the end of the ring continues at its start;
 * WRAP=1: it runs on past the end (the driver's slack), and the next packet
 * starts where the overflow ends, counted from the ring's start. */
START_TEST(test_c_rx_ring_wrap)
{
    for (int wrap = 0; wrap < 2; wrap++) {
        memset(ram(RXB), 0xEE, 0x10000);
        c_start(0, wrap ? RCR_WRAP : 0);
        uint8_t f[1500], got[1600];
        uint16_t st, len;
        /* 5 packets of 1504 (+4, aligned 1508) fill 7540 bytes of 8192 */
        for (int i = 0; i < 5; i++) {
            make_frame(f, MAC, (uint16_t)(0x9000 + i), sizeof f);
            inject(f, sizeof f);
            ck_assert(c_pop(&st, &len, got, sizeof got));
        }
        ck_assert_uint_eq(cur_rx, 7540);
        make_frame(f, MAC, 0x9005, sizeof f);
        inject(f, sizeof f);
        ck_assert_uint_eq(r16(RTL_CBR), (7540 + 1508) % 8192);
        if (wrap) {
            /* contiguous past the end: the driver reads it in one piece */
            ck_assert_mem_eq(ram(RXB + 7540 + 4), f, sizeof f);
        } else {
            uint32_t first = 8192 - 7540 - 4;
            ck_assert_mem_eq(ram(RXB + 7540 + 4), f, first);
            ck_assert_mem_eq(ram(RXB), f + first, sizeof f - first);
            ck_assert_uint_eq(*ram(RXB + 8192), 0xEE); /* nothing beyond the ring */
        }
        ck_assert(c_pop(&st, &len, got, sizeof got));
        ck_assert_uint_eq(len, 1504);
        ck_assert_mem_eq(got, f, sizeof f);
        /* the next one starts at the wrapped offset */
        make_frame(f, MAC, 0x9006, 200);
        inject(f, 200);
        ck_assert_uint_eq(cur_rx % 8192, (7540 + 1508) % 8192);
        ck_assert(c_pop(&st, &len, got, sizeof got));
        ck_assert_uint_eq(len, 204);
        ck_assert_mem_eq(got, f, 200);
    }
    /* 16, 32 and 64 KiB rings wrap at their own length */
    for (uint32_t rblen = 1; rblen < 4; rblen++) {
        c_start(rblen, 0);
        uint32_t ring = 8192u << rblen, n = 0;
        uint8_t f[1000], got[1100];
        uint16_t st, len;
        make_frame(f, MAC, 0x9100, sizeof f);
        while (cur_rx < ring) {
            inject(f, sizeof f);
            ck_assert(c_pop(&st, &len, got, sizeof got));
            ck_assert_mem_eq(got, f, sizeof f);
            n++;
        }
        ck_assert_uint_eq(r16(RTL_CBR), (n * 1008) % ring);
    }
}
END_TEST

/* A full ring keeps frames in the netdev queue, in order, until the driver
 * advances CAPR: nothing unread is overwritten, nothing is lost. */
START_TEST(test_c_rx_ring_full_then_flush)
{
    c_start(0, 0);
    uint8_t f[1000], got[1100];
    uint16_t st, len;
    for (int i = 0; i < 12; i++) {
        make_frame(f, MAC, (uint16_t)(0xA000 + i), sizeof f);
        inject(f, sizeof f);
    }
    /* 8 of 1008 bytes fit in 8192 (keeping one byte free) */
    ck_assert_int_eq(nic->queue_len, 4);
    ck_assert(!net_peer_can_receive(peer));
    ck_assert_uint_eq(r32(RTL_MPC), 0);
    for (int i = 0; i < 12; i++) {
        ck_assert_msg(c_pop(&st, &len, got, sizeof got), "packet %d", i);
        ck_assert_uint_eq(ld16be(got + 12), 0xA000 + i);
    }
    ck_assert_int_eq(nic->queue_len, 0);
    run_ns(wire_ns(1000)); /* the last one has arrived: the wire is free */
    ck_assert(net_peer_can_receive(peer));
}
END_TEST

/* Frames arrive at 100 Mbit/s: a peer handing over two at once gets the
 * second taken when the first has arrived, (len + 24) * 80 ns later. */
START_TEST(test_c_rx_wire_time)
{
    c_start(0, 0);
    uint8_t f[1000], got[1100];
    uint16_t st, len;
    make_frame(f, MAC, 0xA200, sizeof f);
    uint64_t t0 = clock_ns(m);
    net_send(peer, f, sizeof f);
    net_send(peer, f, 200);
    ck_assert_uint_eq(r16(RTL_CBR), 1008);
    ck_assert_int_eq(nic->queue_len, 1);
    wb_run_until(m, t0 + wire_ns(1000) - 1);
    ck_assert_int_eq(nic->queue_len, 1);
    wb_run_until(m, t0 + wire_ns(1000));
    ck_assert_int_eq(nic->queue_len, 0);
    ck_assert_uint_eq(r16(RTL_CBR), 1008 + 208);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(len, 204);
}
END_TEST

/* A driver that reads the ring only when ISR has a receive bit (8139too's
 * NAPI poll) must not be left waiting on a full ring: when it unmasks its
 * interrupts with frames waiting and no room, RXOVW tells it; so does the
 * chip when the driver has read nothing for 10 ms. A driver that keeps
 * reading is not interrupted, and no frame is missed. */
START_TEST(test_c_rx_stall_signals)
{
    c_start(0, 0);
    uint8_t f[1500], got[1600];
    uint16_t st, len;
    for (int i = 0; i < 8; i++) {
        make_frame(f, MAC, (uint16_t)(0xA100 + i), sizeof f);
        inject(f, sizeof f);
    }
    ck_assert_int_eq(nic->queue_len, 3); /* 5 of 1508 bytes fit */
    ck_assert_uint_eq(r16(RTL_ISR) & INT_RXOVW, 0);
    /* the driver reads one packet, acks, and ends its poll on its budget:
     * re-enabling its interrupts, it is told the ring is exhausted */
    w16(RTL_IMR, INT_TOK);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    w16(RTL_ISR, 0xFFFF);
    ck_assert_int_eq(nic->queue_len, 2);
    ck_assert_uint_eq(r16(RTL_ISR), 0);
    w16(RTL_IMR, 0xE07F);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_RXOVW, INT_RXOVW);
    ck_assert(irq_level());
    /* acked and ignored: after 10 ms without reading, again */
    w16(RTL_ISR, 0xFFFF);
    ck_assert(!irq_level());
    run_ns(9000000ull);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_RXOVW, 0);
    run_ns(11000000ull);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_RXOVW, INT_RXOVW);
    for (int i = 1; i < 8; i++) {
        ck_assert_msg(c_pop(&st, &len, got, sizeof got), "packet %d", i);
        ck_assert_uint_eq(ld16be(got + 12), 0xA100 + i);
    }
    ck_assert_uint_eq(r32(RTL_MPC), 0);
    /* nothing waits: no more polls, no more interrupts */
    w16(RTL_ISR, 0xFFFF);
    w16(RTL_IMR, 0xE07F);
    run_ns(100000000ull);
    ck_assert_uint_eq(r16(RTL_ISR), 0);
}
END_TEST

START_TEST(test_c_tx_slots_and_timing)
{
    c_start(0, 0);
    uint8_t f[4][1000];
    uint64_t t0 = clock_ns(m);
    for (int i = 0; i < 4; i++) {
        make_frame(f[i], OTHER, (uint16_t)(0xB000 + i), 1000);
        c_send(i, f[i], 1000);
    }
    /* the first frame goes at once; the DMA is done: OWN */
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(r32(RTL_TSD0) & (TSD_OWN | TSD_TOK), TSD_OWN);
    ck_assert_uint_eq((r32(RTL_TSD0) >> TSD_ERTXTH_SHIFT) & 0x3F, 8);
    /* TOK when it has left the 100 Mbit/s wire: (1000 + 24) * 80 ns */
    uint64_t wire = (1000 + 24) * RTL_BYTE_NS;
    wb_run_until(m, t0 + wire - 1);
    ck_assert_uint_eq(r32(RTL_TSD0) & TSD_TOK, 0);
    ck_assert(!irq_level());
    wb_run_until(m, t0 + wire);
    ck_assert_uint_eq(r32(RTL_TSD0) & TSD_TOK, TSD_TOK);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TOK, INT_TOK);
    ck_assert(irq_level());
    ck_assert_int_eq(cap.n, 2);
    wb_run_until(m, t0 + 4 * wire);
    ck_assert_int_eq(cap.n, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(cap.len[i], 1000);
        ck_assert_mem_eq(cap.data[i], f[i], 1000);
        ck_assert_uint_eq(r32(RTL_TSD0 + 4u * (uint32_t)i) & (TSD_TOK | TSD_OWN), TSD_TOK | TSD_OWN);
    }
    ck_assert_uint_eq(r16(RTL_TSAD_ALL), 0xF00F);
    /* writing the size starts the slot again and clears its status */
    w16(RTL_ISR, 0xFFFF);
    c_send(1, f[1], 500);
    ck_assert_uint_eq(r32(RTL_TSD0 + 4) & TSD_TOK, 0);
    settle();
    ck_assert_int_eq(cap.n, 5);
    ck_assert_uint_eq(cap.len[4], 500);
    /* a slot handed over while the transmitter is off waits for TE */
    w8(RTL_CR, CR_RE);
    c_send(2, f[2], 300);
    settle();
    ck_assert_int_eq(cap.n, 5);
    w8(RTL_CR, CR_RE | CR_TE);
    settle();
    ck_assert_int_eq(cap.n, 6);
    /* a zero-length slot completes with nothing on the wire */
    c_send(3, f[3], 0);
    settle();
    ck_assert_int_eq(cap.n, 6);
    ck_assert_uint_eq(r32(RTL_TSD0 + 12) & TSD_TOK, TSD_TOK);
}
END_TEST

/* A buffer the DMA cannot reach aborts the slot (TABT, TER); CLRABT sends
 * it again once the driver has fixed it. */
START_TEST(test_c_tx_abort_and_clrabt)
{
    c_start(0, 0);
    uint8_t f[200];
    make_frame(f, OTHER, 0xB100, sizeof f);
    memcpy(ram(TXB), f, sizeof f);
    w32(RTL_TSAD0, RAM_SIZE - 100); /* runs off the end of RAM */
    w32(RTL_TSD0, sizeof f);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(r32(RTL_TSD0) & (TSD_TABT | TSD_TOK), TSD_TABT);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TER, INT_TER);
    ck_assert_uint_eq(r16(RTL_TSAD_ALL) & 0x0010, 0x0010);
    w32(RTL_TSAD0, TXB);
    w32(RTL_TCR, r32(RTL_TCR) | TCR_CLRABT);
    settle();
    ck_assert_int_eq(cap.n, 1);
    ck_assert_mem_eq(cap.data[0], f, sizeof f);
    ck_assert_uint_eq(r32(RTL_TSD0) & (TSD_TABT | TSD_TOK), TSD_TOK);
    /* the device's own registers are not RAM either */
    uint32_t rcr = r32(RTL_RCR);
    w32(RTL_TSAD0 + 4, MMIO_BASE + RTL_RCR);
    w32(RTL_TSD0 + 4, 64);
    settle();
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(r32(RTL_RCR), rcr);
}
END_TEST

/* TCR.LBK: what is sent comes back to our own receiver, not the wire. */
START_TEST(test_c_loopback)
{
    c_start(0, 0);
    w32(RTL_TCR, r32(RTL_TCR) | TCR_LBK);
    uint8_t f[300], got[400];
    make_frame(f, MAC, 0xB200, sizeof f);
    c_send(0, f, sizeof f);
    settle();
    ck_assert_int_eq(cap.n, 0);
    uint16_t st, len;
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(len, 304);
    ck_assert_mem_eq(got, f, sizeof f);
    ck_assert_uint_eq(r32(RTL_TSD0) & TSD_TOK, TSD_TOK);
    /* with the ring full, looped frames are missed (MPC), not kept */
    for (int i = 0; i < 40; i++) {
        c_send(i & 3, f, sizeof f);
        settle();
    }
    ck_assert_uint_gt(r32(RTL_MPC), 0);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_RXOVW, INT_RXOVW);
}
END_TEST

/* The link goes down: nothing is received, a transmit completes with
 * carrier lost and reaches nobody; back up, frames flow again. */
START_TEST(test_c_link_down_traffic)
{
    c_start(0, 0);
    uint8_t f[100], got[200];
    uint16_t st, len;
    make_frame(f, MAC, 0xB300, sizeof f);
    net_set_link(nic, false);
    inject(f, sizeof f);
    ck_assert(!c_pop(&st, &len, got, sizeof got));
    c_send(0, f, sizeof f);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(r32(RTL_TSD0) & (TSD_TOK | TSD_CRS), TSD_TOK | TSD_CRS);
    net_set_link(nic, true);
    inject(f, sizeof f);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    c_send(1, f, sizeof f);
    settle();
    ck_assert_int_eq(cap.n, 1);
}
END_TEST

/* CVE-2018-17958 class: bad receive lengths. Zero, tiny, longer than the
 * chip takes and absurd frames are padded or dropped; nothing is written
 * outside the ring and its slack, and the ring's accounting stays sane. */
START_TEST(test_c_hostile_rx_lengths)
{
    c_start(0, RCR_AAP);
    memset(ram(RXB), 0xEE, 0x10000);
    static uint8_t f[70000];
    uint8_t got[5000];
    uint16_t st, len;
    make_frame(f, MAC, 0xB400, sizeof f);
    inject(f, 0); /* an empty frame: 60 zero bytes on the wire */
    inject(f, 1);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(len, 64);
    for (int i = 0; i < 60; i++)
        ck_assert_uint_eq(got[i], 0);
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(len, 64);
    ck_assert_uint_eq(got[0], f[0]);
    ck_assert_uint_eq(got[1], 0);
    uint16_t cbr = r16(RTL_CBR);
    inject(f, 4096 - 4 + 1); /* longer than 4 KiB with its CRC: a long packet */
    inject(f, 65535);
    inject(f, sizeof f);
    ck_assert_uint_eq(r16(RTL_CBR), cbr);
    ck_assert_uint_eq(r8(RTL_CR) & CR_BUFE, CR_BUFE);
    ck_assert_int_eq(nic->queue_len, 0);
    inject(f, 4096 - 4); /* the longest that is taken */
    ck_assert(c_pop(&st, &len, got, sizeof got));
    ck_assert_uint_eq(len, 4096);
    ck_assert_mem_eq(got, f, 4092);

    /* CAPR anywhere: the ring stays consistent and writes stay inside it */
    for (uint32_t capr = 0; capr < 0x10000; capr += 0x1357) {
        w16(RTL_CAPR, (uint16_t)capr);
        inject(f, 1500);
        inject(f, 60);
    }
    for (uint32_t a = RXB + 8192; a < RXB + 0x10000; a++)
        ck_assert_msg(*ram(a) == 0xEE, "byte at +0x%x written", a - RXB);
    ck_assert_uint_lt(r16(RTL_CBR), 8192);
}
END_TEST

/* A receive ring partly or wholly outside RAM, and RBSTART on the device's
 * own registers: the packet is dropped with a system error, the registers
 * keep their values. */
START_TEST(test_c_hostile_ring_outside_ram)
{
    c_start(0, 0);
    uint8_t f[1000];
    make_frame(f, MAC, 0xB500, sizeof f);
    w32(RTL_RBSTART, RAM_SIZE - 512);
    inject(f, sizeof f);
    ck_assert_uint_eq(r16(RTL_ISR) & (INT_SERR | INT_ROK), INT_SERR);
    ck_assert_uint_eq(r16(RTL_CBR), 0);
    ck_assert_uint_eq(r32(RTL_MPC), 1);
    uint32_t rcr = r32(RTL_RCR);
    w32(RTL_RBSTART, MMIO_BASE);
    inject(f, sizeof f);
    ck_assert_uint_eq(r32(RTL_RCR), rcr);
    ck_assert_uint_eq(r16(RTL_CBR), 0);
    w32(RTL_RBSTART, 0xFFFFFF00u);
    inject(f, sizeof f);
    ck_assert_uint_eq(r32(RTL_MPC), 3);
    ck_assert_int_eq(nic->queue_len, 0);
}
END_TEST

/* ================================================================ C+ mode */

START_TEST(test_cp_register_window)
{
    /* in C+ transmit mode 0x10-0x2F are the tally and ring address registers */
    cp_start(4, 1536, 0);
    ck_assert_uint_eq(r32(RTL_TNPDS), TXR);
    ck_assert_uint_eq(r32(RTL_THPDS), HTXR);
    ck_assert_uint_eq(r32(RTL_RDSAR), RXR);
    ck_assert_uint_eq(r16(RTL_CPCR), CPCR_TXENB | CPCR_RXENB | CPCR_MULRW);
    w16(RTL_CPCR, 0);
    ck_assert_uint_eq(r32(RTL_TSD0), TSD_OWN); /* C mode again: the slots */
}
END_TEST

START_TEST(test_cp_rx_basic)
{
    cp_start(4, 1536, 0);
    uint8_t f[100];
    for (int i = 0; i < 6; i++) {
        make_frame(f, i == 2 ? BCAST : MAC, (uint16_t)(0xC000 + i), sizeof f);
        inject(f, sizeof f);
        int d = i % 4;
        uint32_t o1 = rxd_opts1(d);
        ck_assert_msg(!(o1 & CP_OWN), "descriptor %d returned", d);
        ck_assert_uint_eq(o1 & (CP_FS | CP_LS), CP_FS | CP_LS);
        ck_assert_uint_eq(o1 & CP_EOR, d == 3 ? CP_EOR : 0);
        ck_assert_uint_eq(o1 & CP_RX_BUF_MASK, 104);
        ck_assert_uint_eq(o1 & (CP_RX_PAM | CP_RX_BAR), i == 2 ? CP_RX_BAR : CP_RX_PAM);
        ck_assert_mem_eq(rxd_buf(d), f, sizeof f);
        ck_assert_uint_eq(ld32le(rxd_buf(d) + 100), (uint32_t)crc32(0L, f, 100));
        ck_assert_uint_eq(r16(RTL_ISR) & INT_ROK, INT_ROK);
        w16(RTL_ISR, INT_ROK);
        if (i == 3) /* the driver gives 0 and 1 back; EOR took us round */
            for (int k = 0; k < 2; k++)
                cp_rx_desc(k, 1536, false);
    }
    ck_assert_int_eq(nic->queue_len, 0);
}
END_TEST

/* A frame larger than one buffer spans descriptors: FS on the first, LS and
 * the whole length (with CRC) on the last. */
START_TEST(test_cp_rx_multi_descriptor)
{
    cp_start(8, 256, 0);
    uint8_t f[600];
    make_frame(f, MAC, 0xC100, sizeof f);
    inject(f, sizeof f);
    uint32_t o[3] = {rxd_opts1(0), rxd_opts1(1), rxd_opts1(2)};
    ck_assert_uint_eq(o[0] & (CP_OWN | CP_FS | CP_LS | CP_RX_BUF_MASK), CP_FS | 256);
    ck_assert_uint_eq(o[1] & (CP_OWN | CP_FS | CP_LS | CP_RX_BUF_MASK), 256);
    ck_assert_uint_eq(o[2] & (CP_OWN | CP_FS | CP_LS | CP_RX_BUF_MASK), CP_LS | 604);
    ck_assert_uint_eq(rxd_opts1(3) & CP_OWN, CP_OWN);
    ck_assert_mem_eq(rxd_buf(0), f, 256);
    ck_assert_mem_eq(rxd_buf(1), f + 256, 256);
    ck_assert_mem_eq(rxd_buf(2), f + 512, 88);
    ck_assert_uint_eq(ld32le(rxd_buf(2) + 88), (uint32_t)crc32(0L, f, 600));
}
END_TEST

/* No descriptor: the frame waits in the queue and RDU is raised once; the
 * driver's refill plus a register write, or the chip's own poll on the
 * virtual clock, brings it in. */
START_TEST(test_cp_rx_descriptor_unavailable)
{
    cp_start(2, 1536, 0);
    uint8_t f[100];
    for (int i = 0; i < 4; i++) {
        make_frame(f, MAC, (uint16_t)(0xC200 + i), sizeof f);
        inject(f, sizeof f);
    }
    ck_assert_int_eq(nic->queue_len, 2);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_RXOVW, INT_RXOVW);
    ck_assert_uint_eq(r32(RTL_MPC), 0);
    w16(RTL_ISR, 0xFFFF); /* the driver acks; still no room: not raised again */
    ck_assert_uint_eq(r16(RTL_ISR), 0);
    /* refill descriptor 0 and write IMR, as 8139cp's poll ends */
    cp_rx_desc(0, 1536, false);
    w16(RTL_IMR, 0xE1FF);
    ck_assert_int_eq(nic->queue_len, 1);
    ck_assert_uint_eq(ld16be(rxd_buf(0) + 12), 0xC202);
    /* refill descriptor 1 with no register write: the chip's next look
     * (within its first poll interval) finds it */
    cp_rx_desc(1, 1536, true);
    ck_assert_int_eq(nic->queue_len, 1);
    run_ns(100000 + wire_ns(100));
    ck_assert_int_eq(nic->queue_len, 0);
    ck_assert_uint_eq(ld16be(rxd_buf(1) + 12), 0xC203);
}
END_TEST

START_TEST(test_cp_rx_checksum_offload)
{
    cp_start(16, 1536, CPCR_RXCHKSUM);
    uint8_t f[300];
    int d = 0;
#define RX_ONE(len)                                                                                \
    do {                                                                                           \
        inject(f, (len));                                                                          \
        ck_assert_uint_eq(rxd_opts1(d) & CP_OWN, 0);                                               \
        d++;                                                                                       \
    } while (0)
#define PID(o) (((o) >> CP_RX_PID_SHIFT) & 3)
    size_t n = make_ipv4(f, MAC, 6, 100);
    RX_ONE(n);
    ck_assert_uint_eq(PID(rxd_opts1(d - 1)), CP_RX_PID_TCP);
    ck_assert_uint_eq(rxd_opts1(d - 1) & (CP_RX_IPF | CP_RX_TCPF | CP_RX_UDPF), 0);
    f[14 + 40 + 5] ^= 0xFF; /* payload corrupted */
    RX_ONE(n);
    ck_assert_uint_eq(PID(rxd_opts1(d - 1)), CP_RX_PID_TCP);
    ck_assert_uint_eq(rxd_opts1(d - 1) & (CP_RX_IPF | CP_RX_TCPF), CP_RX_TCPF);
    n = make_ipv4(f, MAC, 17, 100);
    RX_ONE(n);
    ck_assert_uint_eq(PID(rxd_opts1(d - 1)), CP_RX_PID_UDP);
    ck_assert_uint_eq(rxd_opts1(d - 1) & CP_RX_UDPF, 0);
    f[14 + 28 + 1] ^= 1;
    RX_ONE(n);
    ck_assert_uint_eq(rxd_opts1(d - 1) & CP_RX_UDPF, CP_RX_UDPF);
    st16be(f + 14 + 20 + 6, 0); /* UDP without a checksum */
    RX_ONE(n);
    ck_assert_uint_eq(rxd_opts1(d - 1) & CP_RX_UDPF, 0);
    n = make_ipv4(f, MAC, 6, 100);
    f[14 + 8] = 1; /* TTL: the header checksum no longer matches */
    RX_ONE(n);
    ck_assert_uint_eq(rxd_opts1(d - 1) & CP_RX_IPF, CP_RX_IPF);
    n = make_ipv4(f, MAC, 6, 100);
    st16be(f + 14 + 6, 0x2000); /* a fragment: only "IP" */
    st16be(f + 14 + 10, 0);
    st16be(f + 14 + 10, (uint16_t)~ocsum(0, f + 14, 20));
    RX_ONE(n);
    ck_assert_uint_eq(PID(rxd_opts1(d - 1)), CP_RX_PID_IP);
    /* a header claiming more than the frame has: only "IP", nothing read beyond */
    n = make_ipv4(f, MAC, 6, 100);
    st16be(f + 14 + 2, 1400);
    st16be(f + 14 + 10, 0);
    st16be(f + 14 + 10, (uint16_t)~ocsum(0, f + 14, 20));
    RX_ONE(n);
    ck_assert_uint_eq(PID(rxd_opts1(d - 1)), CP_RX_PID_IP);
    ck_assert_uint_eq(rxd_opts1(d - 1) & (CP_RX_IPF | CP_RX_TCPF), 0);
    f[14] = 0x4F; /* IHL 60: beyond a 60-byte frame */
    RX_ONE(60);
    ck_assert_uint_eq(PID(rxd_opts1(d - 1)), 0);
    /* without RxChkSum nothing is claimed */
    w16(RTL_CPCR, r16(RTL_CPCR) & ~CPCR_RXCHKSUM);
    n = make_ipv4(f, MAC, 6, 100);
    RX_ONE(n);
    ck_assert_uint_eq(PID(rxd_opts1(d - 1)), 0);
#undef RX_ONE
#undef PID
}
END_TEST

START_TEST(test_cp_rx_vlan_strip)
{
    cp_start(4, 1536, CPCR_RXVLAN);
    uint8_t f[104], plain[100];
    make_frame(plain, MAC, 0x0800, sizeof plain);
    memcpy(f, plain, 12);
    st16be(f + 12, 0x8100);
    st16be(f + 14, 0x6123); /* priority 3, VLAN 0x123 */
    memcpy(f + 16, plain + 12, 88);
    inject(f, sizeof f);
    ck_assert_uint_eq(rxd_opts1(0) & CP_RX_BUF_MASK, 104 - 4 + 4);
    ck_assert_uint_eq(rxd_opts2(0), CP_RX_TAVA | 0x2361); /* the tag in wire order */
    ck_assert_mem_eq(rxd_buf(0), plain, 100);
    /* stripping off: the tag stays in the frame */
    w16(RTL_CPCR, r16(RTL_CPCR) & ~CPCR_RXVLAN);
    inject(f, sizeof f);
    ck_assert_uint_eq(rxd_opts2(1), 0);
    ck_assert_mem_eq(rxd_buf(1), f, sizeof f);
}
END_TEST

/* Linux's 8139cp, at the end of a NAPI poll with its receive interrupts
 * masked (IMR 0x80ac) and a frame that came meanwhile latched (ROK): it
 * sends an ACK, its handler takes the transmit interrupt, then it calls
 * napi_complete_done and, some instructions later, unmasks RX. An interrupt
 * arriving between the two makes the handler schedule NAPI again, the
 * unmasking leaves ROK asserted with NAPI scheduled, and the handler (which
 * never acks RX bits) runs for ever: no interrupt may arrive later for a
 * transmission the driver started with the wire idle. */
START_TEST(test_cp_tx_no_late_interrupt)
{
    cp_start(4, 1536, 0);
    const uint16_t norx = 0x80AC; /* PciErr LinkChg TxEmpty TxErr TxOK */
    w16(RTL_IMR, norx);
    uint8_t f[1000];
    make_frame(f, MAC, 0x0800, 200);
    inject(f, 200);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_ROK, INT_ROK);
    ck_assert(!irq_level()); /* masked while the poll runs */
    make_frame(f, OTHER, 0x0800, 66);
    cp_send(0, f, 66, 0, 0);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    ck_assert(irq_level()); /* its handler runs at once */
    uint16_t st = r16(RTL_ISR);
    ck_assert_uint_eq(st & (INT_TOK | INT_TDU), INT_TOK | INT_TDU);
    w16(RTL_ISR, st & ~0x53); /* cp_interrupt: all but the RX bits */
    ck_assert(!irq_level());
    for (int i = 0; i < 100; i++) { /* the window: nothing comes in it */
        run_ns(10000);
        ck_assert(!irq_level());
    }
    ck_assert_uint_eq(r16(RTL_ISR), INT_ROK);

    /* two packets at once: the second waits for the wire, then completes */
    w16(RTL_ISR, 0xFFFF);
    make_frame(f, OTHER, 0x0800, 1000);
    cp_send(1, f, 1000, 0, 0);
    cp_send(2, f, 1000, 0, 0);
    uint64_t t0 = clock_ns(m);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    ck_assert_int_eq(cap.n, 2);
    ck_assert_uint_eq(txd_opts1(TXR, 1) & CP_OWN, 0);
    ck_assert_uint_eq(txd_opts1(TXR, 2) & CP_OWN, CP_OWN);
    ck_assert_uint_eq(r16(RTL_ISR) & (INT_TOK | INT_TDU), INT_TOK); /* more to come */
    w16(RTL_ISR, 0xFFFF);
    wb_run_until(m, t0 + (1000 + 24) * RTL_BYTE_NS - 1);
    ck_assert_int_eq(cap.n, 2);
    ck_assert_uint_eq(r16(RTL_ISR), 0);
    wb_run_until(m, t0 + (1000 + 24) * RTL_BYTE_NS);
    ck_assert_int_eq(cap.n, 3);
    ck_assert_uint_eq(txd_opts1(TXR, 2) & CP_OWN, 0);
    ck_assert_uint_eq(r16(RTL_ISR) & (INT_TOK | INT_TDU), INT_TOK | INT_TDU);
}
END_TEST

START_TEST(test_cp_tx_basic_and_timing)
{
    cp_start(4, 1536, 0);
    uint8_t f[1000];
    make_frame(f, OTHER, 0xC300, sizeof f);
    cp_send(0, f, sizeof f, 0, 0);
    uint64_t t0 = clock_ns(m);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_mem_eq(cap.data[0], f, sizeof f);
    /* complete as the driver starts it: the descriptor back, TOK and TDU
     * (nothing more on the ring) before the TPPoll write returns */
    ck_assert_uint_eq(txd_opts1(TXR, 0), CP_FS | CP_LS | 1000);
    ck_assert_uint_eq(r16(RTL_ISR) & (INT_TOK | INT_TDU), INT_TOK | INT_TDU);
    ck_assert(irq_level());
    ck_assert_uint_eq(r8(RTL_TPPOLL), 0); /* nothing left to poll */
    /* the wire stays busy for (1000 + 24) * 80 ns: the next packet waits */
    w16(RTL_ISR, 0xFFFF);
    uint64_t wire = (1000 + 24) * RTL_BYTE_NS;
    wb_run_until(m, t0 + wire - 1);
    ck_assert_uint_eq(r16(RTL_ISR), 0); /* nothing later for this packet */
    wb_run_until(m, t0 + wire);

    /* a frame in three fragments, then the ring's end (EOR at 63) wraps */
    w16(RTL_ISR, 0xFFFF);
    memcpy(ram(TXB), f, 14);
    memcpy(ram(TXB + 0x4000), f + 14, 500);
    memcpy(ram(TXB + 0x8000), f + 514, 486);
    cp_tx_desc(TXR, 1, CP_OWN | CP_FS | 14, 0, TXB);
    cp_tx_desc(TXR, 2, CP_OWN | 500, 0, TXB + 0x4000);
    cp_tx_desc(TXR, 3, CP_OWN | CP_LS | 486, 0, TXB + 0x8000);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 2);
    ck_assert_uint_eq(cap.len[1], 1000);
    ck_assert_mem_eq(cap.data[1], f, sizeof f);
    ck_assert_uint_eq(txd_opts1(TXR, 1), CP_FS | 14);
    ck_assert_uint_eq(txd_opts1(TXR, 3), CP_LS | 486);
    for (int i = 4; i < 64; i++) {
        make_frame(f, OTHER, (uint16_t)(0xC400 + i), 100);
        cp_send(i, f, 100, 0, 0);
    }
    make_frame(f, OTHER, 0xC4FF, 100);
    cp_send(0, f, 100, 0, 0);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 2 + 60 + 1);
    ck_assert_uint_eq(ld16be(cap.data[62] + 12), 0xC4FF);
    ck_assert_uint_eq(txd_opts1(TXR, 63) & (CP_OWN | CP_EOR), CP_EOR);
}
END_TEST

/* The high-priority ring goes first; FSWInt raises the software interrupt. */
START_TEST(test_cp_tx_priority_rings)
{
    cp_start(4, 1536, 0);
    uint8_t f[100];
    make_frame(f, OTHER, 0x1111, sizeof f);
    cp_send(0, f, sizeof f, 0, 0);
    make_frame(f, OTHER, 0x2222, sizeof f);
    memcpy(ram(TXB + 0x20000), f, sizeof f);
    cp_tx_desc(HTXR, 0, CP_OWN | CP_FS | CP_LS | CP_EOR | 100, 0, TXB + 0x20000);
    w8(RTL_TPPOLL, TPPOLL_NPQ | TPPOLL_HPQ | TPPOLL_FSWINT);
    settle();
    ck_assert_int_eq(cap.n, 2);
    ck_assert_uint_eq(ld16be(cap.data[0] + 12), 0x2222);
    ck_assert_uint_eq(ld16be(cap.data[1] + 12), 0x1111);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_SWINT, INT_SWINT);
    ck_assert_uint_eq(txd_opts1(HTXR, 0) & CP_OWN, 0);
}
END_TEST

START_TEST(test_cp_tx_checksum_offload)
{
    cp_start(4, 1536, 0);
    uint8_t f[300], want[300];
    size_t n = make_ipv4(want, OTHER, 6, 150);
    memcpy(f, want, n);
    st16be(f + 14 + 10, 0);      /* IP checksum left to the chip */
    st16be(f + 14 + 20 + 16, 0); /* TCP checksum too */
    cp_send(0, f, n, CP_TX_IPCS | CP_TX_TCPCS, 0);
    n = make_ipv4(want + 0, OTHER, 17, 77);
    uint8_t g[300];
    memcpy(g, want, n);
    st16be(g + 14 + 10, 0x1111);
    st16be(g + 14 + 20 + 6, 0x2222);
    cp_send(1, g, n, CP_TX_IPCS | CP_TX_UDPCS, 0);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 2);
    ck_assert(ipv4_sums_ok(cap.data[0], cap.len[0], 14));
    ck_assert(ipv4_sums_ok(cap.data[1], cap.len[1], 14));
    ck_assert_mem_eq(cap.data[1], want, n);
}
END_TEST

/* CVE-2015-5165 class: checksum offload on IP headers that claim more (or
 * less) than the frame holds. The chip must not read past the frame nor
 * send anything but the guest's own bytes: the length on the wire is the
 * frame's, and no TCP checksum is inserted where the datagram does not fit. */
START_TEST(test_cp_hostile_short_headers)
{
    cp_start(4, 1536, 0);
    static const uint16_t tot_lens[] = {0, 4, 19, 20, 39, 0xFFFF, 1500};
    uint8_t f[100];
    int i = 0;
    for (size_t k = 0; k < sizeof tot_lens / sizeof tot_lens[0]; k++, i++) {
        size_t n = make_ipv4(f, OTHER, 6, 26); /* a 80-byte frame */
        st16be(f + 14 + 2, tot_lens[k]);
        st16be(f + 14 + 20 + 16, 0xABCD);
        cp_send(i, f, n, CP_TX_IPCS | CP_TX_TCPCS, 0);
        w8(RTL_TPPOLL, TPPOLL_NPQ);
        settle();
        ck_assert_int_eq(cap.n, i + 1);
        ck_assert_uint_eq(cap.len[i], n);
        /* everything but the IP checksum is the guest's own bytes */
        ck_assert_mem_eq(cap.data[i], f, 24);
        ck_assert_mem_eq(cap.data[i] + 26, f + 26, n - 26);
        ck_assert_uint_eq(ld16be(cap.data[i] + 14 + 20 + 16), 0xABCD);
    }
    /* an IHL beyond the frame: nothing computed, nothing read beyond */
    size_t n = make_ipv4(f, OTHER, 6, 0);
    f[14] = 0x4F;
    cp_send(i, f, 40, CP_TX_IPCS | CP_TX_TCPCS, 0);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, i + 1);
    ck_assert_uint_eq(cap.len[i], 40);
    ck_assert_mem_eq(cap.data[i], f, 40);
    i++;
    /* large send with headers longer than the packet: dropped (ES), nothing sent */
    n = make_ipv4(f, OTHER, 6, 10);
    f[14 + 20 + 12] = 0xF0; /* TCP header of 60 bytes in a 64-byte frame */
    cp_send(i, f, n, CP_TX_LGSEN | 536u << CP_TX_MSS_SHIFT, 0);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, i);
    ck_assert_uint_eq(txd_opts1(TXR, i) & (CP_OWN | CP_TX_ES), CP_TX_ES);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TER, INT_TER);
    i++;
    /* MSS 0: dropped too */
    n = make_ipv4(f, OTHER, 6, 30);
    cp_send(i, f, n, CP_TX_LGSEN, 0);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, i - 1);
    ck_assert_uint_eq(txd_opts1(TXR, i) & CP_TX_ES, CP_TX_ES);
}
END_TEST

/* Large send: segments of MSS payload bytes with their own lengths, IDs,
 * sequence numbers, flags and checksums, each with the VLAN tag asked for. */
START_TEST(test_cp_tx_large_send_and_vlan)
{
    cp_start(4, 1536, 0);
    static uint8_t p[14 + 20 + 20 + 3000];
    size_t n = make_ipv4(p, OTHER, 6, 3000);
    p[14 + 20 + 13] = 0x99; /* CWR, ACK, PSH, FIN */
    memcpy(ram(TXB), p, 54);
    memcpy(ram(TXB + 0x4000), p + 54, n - 54);
    cp_tx_desc(TXR, 0, CP_OWN | CP_FS | CP_TX_LGSEN | 1000u << CP_TX_MSS_SHIFT | 54, CP_TX_TAGC | 0x2301,
               TXB);
    cp_tx_desc(TXR, 1, CP_OWN | CP_LS | CP_TX_LGSEN | 1000u << CP_TX_MSS_SHIFT | (uint32_t)(n - 54),
               CP_TX_TAGC | 0x2301, TXB + 0x4000);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    ck_assert_int_eq(cap.n, 3);
    for (int s = 0; s < 3; s++) {
        const uint8_t *f = cap.data[s];
        ck_assert_uint_eq(cap.len[s], 4 + 54 + 1000);
        ck_assert_uint_eq(ld16be(f + 12), 0x8100);
        ck_assert_uint_eq(ld16be(f + 14), 0x0123); /* wire order, as the driver wrote it */
        ck_assert_uint_eq(ld16be(f + 16), 0x0800);
        const uint8_t *ip = f + 18, *tcp = ip + 20;
        ck_assert_uint_eq(ld16be(ip + 2), 20 + 20 + 1000);
        ck_assert_uint_eq(ld16be(ip + 4), 0x1234 + s);
        ck_assert_uint_eq(ld32be(tcp + 4), 1000u + 1000u * (uint32_t)s);
        ck_assert_uint_eq(tcp[13], s == 0 ? 0x90 : s == 2 ? 0x19 : 0x10);
        ck_assert(ipv4_sums_ok(f, cap.len[s], 18));
        ck_assert_mem_eq(tcp + 20, p + 54 + 1000 * s, 1000);
    }
    /* written back when taken; the wire stays busy for all three segments */
    ck_assert_uint_eq(txd_opts1(TXR, 1) & (CP_OWN | CP_TX_ES), 0);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TOK, INT_TOK);
}
END_TEST

/* CVE-2016-8910 class: descriptor chains that never end. A ring full of
 * descriptors owned by the chip with no last segment, a one-descriptor ring
 * pointing at itself, zero-length fragments: each is dropped after one
 * pass of the ring, the descriptors go back to the driver, nothing loops. */
START_TEST(test_cp_hostile_endless_chains)
{
    cp_start(4, 1536, 0);
    for (int i = 0; i < 64; i++)
        cp_tx_desc(TXR, i, CP_OWN | (i == 0 ? CP_FS : 0) | (uint32_t)(i % 3), 0, TXB);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 0);
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(txd_opts1(TXR, i) & CP_OWN, 0);
    ck_assert_uint_eq(txd_opts1(TXR, 63) & CP_TX_ES, CP_TX_ES);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_TER, INT_TER);
    ck_assert_uint_eq(r8(RTL_TPPOLL), 0);
    /* the high ring: one descriptor with EOR and no LS */
    cp_tx_desc(HTXR, 0, CP_OWN | CP_FS | CP_EOR | 64, 0, TXB);
    w8(RTL_TPPOLL, TPPOLL_HPQ);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(txd_opts1(HTXR, 0) & (CP_OWN | CP_TX_ES), CP_TX_ES);
    /* receive: buffers of size 0 all round the ring never hold a frame */
    for (int i = 0; i < 64; i++)
        cp_rx_desc(i, 0, false);
    w32(RTL_RDSAR, RXR); /* a ring without EOR: 64 descriptors at most */
    uint8_t f[100];
    make_frame(f, MAC, 0xC500, sizeof f);
    inject(f, sizeof f);
    ck_assert_int_eq(nic->queue_len, 0);
    ck_assert_uint_eq(r32(RTL_MPC), 1);
    ck_assert_uint_eq(rxd_opts1(0) & CP_OWN, CP_OWN);
    /* a ring the frame goes round and round: dropped as well */
    cp_rx_desc(0, 16, true);
    w32(RTL_RDSAR, RXR);
    inject(f, sizeof f);
    ck_assert_uint_eq(r32(RTL_MPC), 2);
}
END_TEST

/* The driver shrinks a ring behind the chip: it is at descriptor 2 when
 * descriptor 0 becomes a ring of one (EOR). A frame longer than what
 * descriptors 2, 3 and 0 hold, each once, never fits: the chip must not
 * use descriptor 0 twice, writing into a buffer it has handed back
 * (found by tests/fuzz/fuzz_rtl8139). The transmit side, the same way:
 * a chain from descriptor 2 over EOR at 0 without an end is dropped. */
START_TEST(test_cp_ring_shrunk_behind_the_chip)
{
    cp_start(4, 1536, 0);
    uint8_t f[5000];
    make_frame(f, MAC, 0xC600, 60);
    inject(f, 60);
    inject(f, 60);
    ck_assert_uint_eq(rxd_opts1(1) & (CP_OWN | CP_LS), CP_LS);
    cp_rx_desc(0, 1536, true);
    memset(rxd_buf(0), 0xEE, 1536);
    make_frame(f, MAC, 0xC601, sizeof f);
    inject(f, sizeof f);
    ck_assert_int_eq(nic->queue_len, 0);
    ck_assert_uint_eq(r32(RTL_MPC), 1);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_RXOVW, INT_RXOVW);
    for (int i = 2; i < 4; i++)
        ck_assert_uint_eq(rxd_opts1(i) & CP_OWN, CP_OWN);
    ck_assert_uint_eq(rxd_opts1(0), CP_OWN | CP_EOR | 1536);
    ck_assert_uint_eq(rxd_buf(0)[0], 0xEE);
    /* transmit: the chip at normal descriptor 2; descriptor 0 a ring of one */
    uint8_t t[60];
    make_frame(t, OTHER, 0xC602, sizeof t);
    cp_send(0, t, sizeof t, 0, 0);
    cp_send(1, t, sizeof t, 0, 0);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 2);
    cp_tx_desc(TXR, 2, CP_OWN | CP_FS | 60, 0, TXB);
    cp_tx_desc(TXR, 3, CP_OWN | CP_EOR | 60, 0, TXB);
    cp_tx_desc(TXR, 0, CP_OWN | CP_EOR | 60, 0, TXB);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 2);
    ck_assert_uint_eq(txd_opts1(TXR, 0) & (CP_OWN | CP_TX_ES), CP_TX_ES);
    ck_assert_uint_eq(txd_opts1(TXR, 2) & CP_OWN, 0);
    ck_assert_uint_eq(txd_opts1(TXR, 3) & CP_OWN, 0);
}
END_TEST

/* CVE-2018-17958 class in C+ mode: frames longer than the length fields,
 * absurd lengths, buffers and rings outside RAM. */
START_TEST(test_cp_hostile_rx)
{
    cp_start(8, 8191, 0); /* the largest buffer the 13-bit size field holds */
    static uint8_t f[70000];
    make_frame(f, MAC, 0xC600, sizeof f);
    inject(f, 8191 - 4 + 1);
    inject(f, 65535);
    inject(f, sizeof f);
    ck_assert_uint_eq(rxd_opts1(0) & CP_OWN, CP_OWN);
    inject(f, 8191 - 4); /* the longest the 13-bit length field holds */
    ck_assert_uint_eq(rxd_opts1(0), CP_FS | CP_LS | CP_RX_PAM | 8191);
    ck_assert_mem_eq(rxd_buf(0), f, 8187);
    /* a buffer outside RAM: the frame is marked bad, RAM stays RAM */
    st64le(ram(RXR + 16 + 8), RAM_SIZE - 10);
    inject(f, 100);
    ck_assert_uint_eq(rxd_opts1(1) & (CP_OWN | CP_RX_RES), CP_RX_RES);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_SERR, INT_SERR);
    /* a buffer on the device's registers */
    uint32_t rcr = r32(RTL_RCR);
    st64le(ram(RXR + 32 + 8), MMIO_BASE + RTL_RCR);
    inject(f, 100);
    ck_assert_uint_eq(r32(RTL_RCR), rcr);
    /* the ring itself outside RAM: dropped, not kept waiting */
    w32(RTL_RDSAR, 0xFFFFFFF0u);
    inject(f, 100);
    ck_assert_int_eq(nic->queue_len, 0);
    w32(RTL_RDSAR + 4, 1); /* beyond 4 GiB */
    inject(f, 100);
    ck_assert_int_eq(nic->queue_len, 0);
    /* a transmit ring outside RAM: nothing sent, the engine stops */
    w32(RTL_TNPDS, RAM_SIZE - 8);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 0);
    /* a transmit buffer outside RAM or beyond 64 KiB: dropped with ES */
    w32(RTL_TNPDS, TXR);
    cp_tx_desc(TXR, 0, CP_OWN | CP_FS | CP_LS | 100, 0, RAM_SIZE - 50);
    cp_tx_desc(TXR, 1, CP_OWN | CP_FS | 0xFFFF, 0, TXB);
    cp_tx_desc(TXR, 2, CP_OWN | 0xFFFF, 0, TXB);
    cp_tx_desc(TXR, 3, CP_OWN | CP_LS | 0xFFFF, 0, TXB);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(txd_opts1(TXR, 0) & (CP_OWN | CP_TX_ES), CP_TX_ES);
    ck_assert_uint_eq(txd_opts1(TXR, 3) & (CP_OWN | CP_TX_ES), CP_TX_ES);
}
END_TEST

/* The dump-tally counters, as `ethtool -S` reads them through 8139cp. */
START_TEST(test_cp_tally_dump)
{
    cp_start(16, 1536, 0);
    static const uint8_t mc[6] = {0x01, 0x00, 0x5E, 0x00, 0x00, 0x01};
    unsigned h = ether_hash(mc);
    w32(RTL_MAR0 + (h >> 5) * 4, 1u << (h & 31));
    w32(RTL_RCR, RCR_AB | RCR_APM | RCR_AM);
    uint8_t f[100];
    make_frame(f, MAC, 0x0800, sizeof f);
    inject(f, sizeof f);
    inject(f, sizeof f);
    make_frame(f, BCAST, 0x0800, sizeof f);
    inject(f, sizeof f);
    make_frame(f, mc, 0x0800, sizeof f);
    inject(f, sizeof f);
    make_frame(f, OTHER, 0x0800, sizeof f);
    inject(f, sizeof f); /* filtered: not counted */
    for (int i = 0; i < 3; i++)
        cp_send(i, f, sizeof f, 0, 0);
    cp_tx_desc(TXR, 3, CP_OWN | CP_LS | 10, 0, TXB); /* no FS: an error */
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    memset(ram(DUMP), 0xEE, 64);
    w32(RTL_DTCCR + 4, 0);
    w32(RTL_DTCCR, DUMP | DTCCR_CMD);
    ck_assert_uint_eq(r32(RTL_DTCCR) & DTCCR_CMD, 0); /* done */
    const uint8_t *t = ram(DUMP);
    ck_assert_uint_eq(ld64le(t + TALLY_TXOK), 3);
    ck_assert_uint_eq(ld64le(t + TALLY_RXOK), 4);
    ck_assert_uint_eq(ld64le(t + TALLY_TXERR), 1);
    ck_assert_uint_eq(ld32le(t + TALLY_RXERR), 0);
    ck_assert_uint_eq(ld16le(t + TALLY_MISSPKT), 0);
    ck_assert_uint_eq(ld64le(t + TALLY_RXOKPHY), 2);
    ck_assert_uint_eq(ld64le(t + TALLY_RXOKBRD), 1);
    ck_assert_uint_eq(ld32le(t + TALLY_RXOKMUL), 1);
    /* a dump address outside RAM: a system error, no write anywhere */
    w32(RTL_DTCCR + 4, 0);
    w32(RTL_DTCCR, RAM_SIZE | DTCCR_CMD);
    ck_assert_uint_eq(r16(RTL_ISR) & INT_SERR, INT_SERR);
    ck_assert_uint_eq(r32(RTL_DTCCR) & DTCCR_CMD, 0);
}
END_TEST

START_TEST(test_cp_loopback_and_reset)
{
    cp_start(4, 1536, 0);
    w32(RTL_TCR, r32(RTL_TCR) | TCR_LBK);
    uint8_t f[200];
    make_frame(f, MAC, 0xC700, sizeof f);
    cp_send(0, f, sizeof f, 0, 0);
    w8(RTL_TPPOLL, TPPOLL_NPQ);
    settle();
    ck_assert_int_eq(cap.n, 0);
    ck_assert_uint_eq(rxd_opts1(0) & (CP_OWN | CP_RX_BUF_MASK), 204);
    ck_assert_mem_eq(rxd_buf(0), f, sizeof f);
    /* the machine's reset: C mode again, nothing pending, the line low */
    w16(RTL_IMR, 0xFFFF);
    ck_assert(irq_level());
    machine_reset(m);
    ck_assert(!irq_level());
    ck_assert_uint_eq(r16(RTL_CPCR), 0);
    ck_assert_uint_eq(r32(RTL_TSD0), TSD_OWN);
    ck_assert_uint_eq(r8(RTL_CR), CR_BUFE);
    inject(f, sizeof f); /* receiver off: the frame waits */
    ck_assert_int_eq(nic->queue_len, 1);
}
END_TEST

/* -device rtl8139,rev=: only the two chips exist. */
START_TEST(test_rev_property)
{
    DeviceSpec *spec;
    DeviceParse help;
    const DeviceModel *hm;
    char err[256] = "";
    ck_assert_int_eq(device_spec_parse("rtl8139,rev=0x30", NULL, &spec, &help, &hm, err, sizeof err),
                     0);
    DeviceContext ctx = device_context(m, spec, NULL);
    ck_assert_int_eq(device_create(spec, &ctx, err, sizeof err), 1);
    ck_assert_str_eq(err, "-device rtl8139,rev=0x30: rev=0x30: expected 0x20 (RTL8139C+, Linux's "
                          "8139cp) or 0x10 (RTL8139C, Linux's 8139too)");
    device_spec_free(spec);
    ck_assert_int_ne(device_spec_parse("rtl8139,rev=256", NULL, &spec, &help, &hm, err, sizeof err),
                     0);
}
END_TEST

static Suite *rtl8139_suite(void)
{
    Suite *s = suite_create("rtl8139");
    TCase *c = tcase_create("rtl8139c");
    tcase_add_checked_fixture(c, setup_c, teardown);
    tcase_set_timeout(c, 60);
    tcase_add_test(c, test_pci_identity);
    tcase_add_test(c, test_eeprom);
    tcase_add_test(c, test_config_lock_and_registers);
    tcase_add_test(c, test_interrupts);
    tcase_add_test(c, test_timer_on_virtual_clock);
    tcase_add_test(c, test_link_changes);
    tcase_add_test(c, test_c_rx_basic);
    tcase_add_test(c, test_c_rx_filter);
    tcase_add_test(c, test_c_rx_ring_wrap);
    tcase_add_test(c, test_c_rx_ring_full_then_flush);
    tcase_add_test(c, test_c_rx_stall_signals);
    tcase_add_test(c, test_c_rx_wire_time);
    tcase_add_test(c, test_c_tx_slots_and_timing);
    tcase_add_test(c, test_c_tx_abort_and_clrabt);
    tcase_add_test(c, test_c_loopback);
    tcase_add_test(c, test_c_link_down_traffic);
    tcase_add_test(c, test_c_hostile_rx_lengths);
    tcase_add_test(c, test_c_hostile_ring_outside_ram);
    tcase_add_test(c, test_rev_property);
    suite_add_tcase(s, c);

    TCase *cp = tcase_create("rtl8139cplus");
    tcase_add_checked_fixture(cp, setup_cplus, teardown);
    tcase_set_timeout(cp, 60);
    tcase_add_test(cp, test_pci_identity);
    tcase_add_test(cp, test_eeprom);
    tcase_add_test(cp, test_interrupts);
    tcase_add_test(cp, test_link_changes);
    /* the C mode of a C+ chip, as a C-mode driver would use it */
    tcase_add_test(cp, test_c_rx_basic);
    tcase_add_test(cp, test_c_tx_slots_and_timing);
    tcase_add_test(cp, test_cp_register_window);
    tcase_add_test(cp, test_cp_rx_basic);
    tcase_add_test(cp, test_cp_rx_multi_descriptor);
    tcase_add_test(cp, test_cp_rx_descriptor_unavailable);
    tcase_add_test(cp, test_cp_rx_checksum_offload);
    tcase_add_test(cp, test_cp_rx_vlan_strip);
    tcase_add_test(cp, test_cp_tx_basic_and_timing);
    tcase_add_test(cp, test_cp_tx_no_late_interrupt);
    tcase_add_test(cp, test_cp_tx_priority_rings);
    tcase_add_test(cp, test_cp_tx_checksum_offload);
    tcase_add_test(cp, test_cp_hostile_short_headers);
    tcase_add_test(cp, test_cp_tx_large_send_and_vlan);
    tcase_add_test(cp, test_cp_hostile_endless_chains);
    tcase_add_test(cp, test_cp_ring_shrunk_behind_the_chip);
    tcase_add_test(cp, test_cp_hostile_rx);
    tcase_add_test(cp, test_cp_tally_dump);
    tcase_add_test(cp, test_cp_loopback_and_reset);
    suite_add_tcase(s, cp);
    return s;
}

WB_TEST_MAIN(rtl8139_suite)
