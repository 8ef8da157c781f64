/* Intel 82540EM Gigabit Ethernet controller (PCI 8086:100E), after the
 * "PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's
 * Manual" (8254x). One internal M88E1011 PHY at MDIO address 1.
 *
 *   BAR0  128 KiB memory: the register file
 *   BAR1  64 bytes I/O: IOADDR (0) selects a register, IODATA (4) accesses it
 *
 * What is modelled: the register file with per-register writable masks (the
 * const table below: what the ethtool register test checks is what the chip
 * stores), a 64-word Microwire EEPROM (EECD bit-banging and EERD) holding the
 * MAC address and a checksum to 0xBABA, the PHY through MDIC, link state and
 * LSC, legacy receive descriptors with address filtering (16 exact entries,
 * the 4096-bit multicast table, broadcast, promiscuous modes, long packets,
 * VLAN filter and strip, CRC kept or stripped, IPv4/TCP/UDP checksum
 * offload), transmit with legacy, context and data descriptors (checksum
 * insertion, TCP segmentation, VLAN insertion), interrupt causes and masks
 * with moderation (RDTR, RADV, TIDV, TADV, ITR) on the virtual clock,
 * statistics, MAC and PHY loopback, and a 1 Gbit/s wire: each frame occupies
 * the wire for (preamble + frame + FCS + inter-frame gap) * 8 ns, and
 * transmit descriptors are written back when their frame has left.
 *
 * Everything the guest hands us (ring bases, lengths, heads, tails, buffer
 * addresses and lengths, offsets inside frames) is checked before use; a
 * descriptor that cannot be read stops the ring, a buffer that cannot be
 * read or written marks its frame bad. Loops are bounded by the ring size. */
#include <string.h>
#include <zlib.h>

#include "hw/bytes.h"
#include "hw/chips.h"
#include "hw/eeprom93c.h"
#include "hw/e1000_regs.h"
#include "hw/machine.h"
#include "hw/pci_regs.h"
#include "net/nic.h"

#define RX_MAX 16384     /* longest frame received, FCS included (LPE) */
#define TX_MAX 16384     /* longest frame (or TSO segment) sent, before a VLAN tag */
#define MIN_FRAME 60     /* without FCS */
#define WIRE_OVERHEAD 24 /* FCS 4 + preamble/SFD 8 + inter-frame gap 12 */
#define RX_MAX_DESCS (RX_MAX / 256 + 2)

/* ---- The register table: which registers exist, which bits software can
 * write and what reset leaves in them. Registers with side effects are also
 * handled in reg_read / reg_write. */
enum {
    F_PRESENT = 1,
    F_RC = 2,      /* statistics: cleared on read */
    F_STAT_LO = 4, /* low half of a 64-bit counter: not cleared by its read */
    F_STAT_HI = 8, /* high half: its read clears both halves */
};
typedef struct RegInfo {
    uint32_t wmask;
    uint32_t reset;
    uint8_t flags;
} RegInfo;

#define R_(off) [(off) >> 2]
#define RANGE(off, bytes) [(off) >> 2 ...((off) + (bytes)-4) >> 2]
#define REG(mask, rst) {.wmask = (mask), .reset = (rst), .flags = F_PRESENT}
#define STAT {.flags = F_PRESENT | F_RC}
#define STAT_LO {.flags = F_PRESENT | F_STAT_LO}
#define STAT_HI {.flags = F_PRESENT | F_STAT_HI}

static const RegInfo reg_info[NREGS] = {
    R_(CTRL) = REG(0xD8FC1BE9u, CTRL_FD | CTRL_ASDE | CTRL_SPD_1000),
    R_(STATUS) = REG(0, 0),
    R_(EECD) = REG(EECD_SK | EECD_CS | EECD_DI | 0x30u | EECD_REQ, EECD_FWE_DIS),
    R_(EERD) = REG(0x0000FF01u, 0),
    R_(CTRL_EXT) = REG(0x00FFDFFFu, 0),
    R_(FLA) = REG(0x0000001Fu, 0),
    R_(MDIC) = REG(0x3FFFFFFFu, MDIC_READY),
    R_(FCAL) = REG(0xFFFFFFFFu, 0),
    R_(FCAH) = REG(0x0000FFFFu, 0),
    R_(FCT) = REG(0x0000FFFFu, 0),
    R_(VET) = REG(0x0000FFFFu, 0x8100),
    R_(ICR) = REG(0, 0),
    R_(ITR) = REG(0x0000FFFFu, 0),
    R_(ICS) = REG(0, 0),
    R_(IMS) = REG(0, 0),
    R_(IMC) = REG(0, 0),
    R_(RCTL) = REG(0x06DFB3FEu, 0),
    R_(FCTTV) = REG(0x0000FFFFu, 0),
    R_(TXCW) = REG(0xC000FFFFu, 0),
    R_(RXCW) = REG(0, 0),
    R_(TCTL) = REG(0x037FFFFAu, 0),
    R_(TIPG) = REG(0x3FFFFFFFu, 0x0060200Au),
    R_(AIT) = REG(0x0000FFFFu, 0),
    R_(LEDCTL) = REG(0xFFFFFFFFu, 0x07068302u),
    R_(PBA) = REG(0x0000FFFFu, 0x00000030u),
    R_(FCRTL) = REG(0x8000FFF8u, 0),
    R_(FCRTH) = REG(0x8000FFF8u, 0),
    R_(RDFH) = REG(0x00001FFFu, 0),
    R_(RDFT) = REG(0x00001FFFu, 0),
    R_(RDFHS) = REG(0x00001FFFu, 0),
    R_(RDFTS) = REG(0x00001FFFu, 0),
    R_(RDFPC) = REG(0x00001FFFu, 0),
    R_(RDBAL) = REG(0xFFFFFFF0u, 0),
    R_(RDBAH) = REG(0xFFFFFFFFu, 0),
    R_(RDLEN) = REG(0x000FFF80u, 0),
    R_(RDH) = REG(0x0000FFFFu, 0),
    R_(RDT) = REG(0x0000FFFFu, 0),
    R_(RDTR) = REG(0x0000FFFFu, 0),
    R_(RXDCTL) = REG(0x013F3F3Fu, 0x00010000u),
    R_(RADV) = REG(0x0000FFFFu, 0),
    R_(RSRPD) = REG(0x00000FFFu, 0),
    R_(TXDMAC) = REG(0x00000001u, 0),
    R_(TDFH) = REG(0x00001FFFu, 0),
    R_(TDFT) = REG(0x00001FFFu, 0),
    R_(TDFHS) = REG(0x00001FFFu, 0),
    R_(TDFTS) = REG(0x00001FFFu, 0),
    R_(TDFPC) = REG(0x00001FFFu, 0),
    R_(TDBAL) = REG(0xFFFFFFF0u, 0),
    R_(TDBAH) = REG(0xFFFFFFFFu, 0),
    R_(TDLEN) = REG(0x000FFF80u, 0),
    R_(TDH) = REG(0x0000FFFFu, 0),
    R_(TDT) = REG(0x0000FFFFu, 0),
    R_(TIDV) = REG(0x0000FFFFu, 0),
    R_(TXDCTL) = REG(0xFF3F3F3Fu, 0),
    R_(TADV) = REG(0x0000FFFFu, 0),
    R_(TSPMT) = REG(0xFFFFFFFFu, 0x01000400u),
    RANGE(CRCERRS, GORCL - CRCERRS) = STAT,
    R_(GORCL) = STAT_LO,
    R_(GORCH) = STAT_HI,
    R_(GOTCL) = STAT_LO,
    R_(GOTCH) = STAT_HI,
    RANGE(0x4098, TORL - 0x4098) = STAT,
    R_(TORL) = STAT_LO,
    R_(TORH) = STAT_HI,
    R_(TOTL) = STAT_LO,
    R_(TOTH) = STAT_HI,
    RANGE(TPR, 0x4100 - TPR) = STAT,
    R_(RXCSUM) = REG(0x000003FFu, RXCSUM_IPOFL | RXCSUM_TUOFL),
    RANGE(MTA, 128 * 4) = REG(0xFFFFFFFFu, 0),
    RANGE(VFTA, 128 * 4) = REG(0xFFFFFFFFu, 0),
    R_(WUC) = REG(0x0000000Fu, 0),
    R_(WUFC) = REG(0x000F00FFu, 0),
    R_(WUS) = REG(0, 0),
    R_(MANC) = REG(0xFFFFFFFFu, 0),
    R_(IPAV) = REG(0x00010001u, 0),
    RANGE(IP4AT, 4 * 8) = REG(0xFFFFFFFFu, 0),
    RANGE(IP6AT, 16) = REG(0xFFFFFFFFu, 0),
    R_(WUPL) = REG(0x00000FFFu, 0),
    RANGE(WUPM, 128) = REG(0xFFFFFFFFu, 0),
    RANGE(FFLT, 4 * 8) = REG(0x000007FFu, 0),
    RANGE(FFMT, 128 * 8) = REG(0x0000000Fu, 0),
    RANGE(FFVT, 128 * 8) = REG(0x000000FFu, 0),
};

/* RAL/RAH: 16 pairs; the RAH half stores the address high bytes, ASEL and AV. */
static inline RegInfo ra_info(uint32_t off)
{
    return ((off - RA) & 4) ? (RegInfo)REG(0x8003FFFFu, 0) : (RegInfo)REG(0xFFFFFFFFu, 0);
}

/* ---- Device state */
typedef struct TxContext {
    uint8_t ipcss, ipcso, tucss, tucso, tucmd, hdr_len;
    uint16_t ipcse, tucse, mss;
    uint32_t paylen;
} TxContext;

/* The packet being gathered from transmit descriptors. It keeps a copy of
 * the context in force when its first data descriptor was fetched: the
 * manual requires software not to change the context in the middle of a
 * packet, and the hardware goes on with the one it started with, so a
 * context descriptor arriving mid-packet only applies to the next packet. */
typedef struct TxPacket {
    bool active;  /* its first data descriptor has been seen */
    bool bad;     /* unreadable buffer, oversize or invalid TSO: dropped at EOP */
    bool tse;     /* TCP segmentation */
    bool legacy;  /* built from legacy descriptors */
    bool ic;      /* legacy: insert checksum at cso, from css */
    uint8_t cso, css, popts;
    uint32_t len;      /* bytes in buf (non-TSO) */
    uint32_t hdr_have; /* TSO: header bytes gathered */
    uint32_t pending;  /* TSO: payload bytes in buf after the header */
    uint32_t pay_in;   /* TSO: payload bytes taken so far */
    uint32_t pay_sent; /* TSO: payload bytes sent in earlier segments */
    uint32_t segs;     /* TSO: segments sent */
    TxContext ctx;     /* the context this packet is built with */
    uint8_t hdr[256];  /* TSO: the header template */
} TxPacket;

typedef struct E1000 {
    Machine *m;
    Nic nic; /* PCI function, net client, MAC */

    uint32_t regs[NREGS];
    uint32_t ioaddr; /* BAR1 IOADDR */
    uint16_t phy[32];
    Eeprom93c ee;
    bool lu;    /* STATUS.LU as last reported */
    bool irq;   /* INTA# asserted */
    bool irq_ever;
    uint64_t last_irq_ns;

    Timer itr_timer, rdtr_timer, radv_timer, tidv_timer, tadv_timer, tx_timer;

    /* transmit */
    TxContext ctx;
    TxPacket txp;
    uint32_t tx_fetch;   /* next descriptor to fetch; [TDH, tx_fetch) await write-back */
    uint64_t wire_free;  /* virtual time at which the wire is free again */
    uint8_t tx_buf[TX_MAX + 64];
    uint8_t tx_out[TX_MAX + 64];

    /* receive */
    uint8_t rx_buf[RX_MAX + 64];
} E1000;

/* ---- Small helpers */

#define R(s, off) ((s)->regs[(off) >> 2])


static void stat_add(E1000 *s, uint32_t off, uint32_t n)
{
    uint32_t *r = &R(s, off);
    *r = *r + n < *r ? 0xFFFFFFFFu : *r + n;
}
static void stat_add64(E1000 *s, uint32_t lo, uint64_t n)
{
    uint64_t v = R(s, lo) | (uint64_t)R(s, lo + 4) << 32;
    v = v + n < v ? UINT64_MAX : v + n;
    R(s, lo) = (uint32_t)v;
    R(s, lo + 4) = (uint32_t)(v >> 32);
}
/* Size bucket counters PRC64..PRC1522 / PTC64..PTC1522 (len with FCS). */
static void stat_size(E1000 *s, uint32_t base64, size_t len)
{
    static const size_t lim[] = {64, 127, 255, 511, 1023, 1522};
    for (int i = 0; i < 6; i++)
        if (len <= lim[i]) {
            stat_add(s, base64 + 4 * (uint32_t)i, 1);
            return;
        }
}

/* ---- Interrupts */

static void update_irq(E1000 *s);

static void itr_fire(void *opaque)
{
    update_irq(opaque);
}

/* INTA# follows ICR & IMS, but a new assertion waits until ITR * 256 ns
 * have passed since the previous one. */
static void update_irq(E1000 *s)
{
    bool want = (R(s, ICR) & R(s, IMS)) != 0;
    if (!want) {
        timer_del(s->m, &s->itr_timer);
        if (s->irq) {
            s->irq = false;
            pci_set_irq(s->nic.pci, 0);
        }
        return;
    }
    if (s->irq)
        return;
    uint64_t now = clock_ns(s->m);
    uint64_t gap = (uint64_t)(R(s, ITR) & 0xFFFF) * 256;
    if (gap && s->irq_ever && now < s->last_irq_ns + gap) {
        if (!s->itr_timer.pending)
            timer_mod(s->m, &s->itr_timer, s->last_irq_ns + gap);
        return;
    }
    s->irq = true;
    s->irq_ever = true;
    s->last_irq_ns = now;
    pci_set_irq(s->nic.pci, 1);
}

static void set_ics(E1000 *s, uint32_t causes)
{
    R(s, ICR) |= causes & ICR_MASK;
    update_irq(s);
}

/* Receive: RXT0 after RDTR (restarted per frame) or RADV (from the first
 * frame), whichever expires first; RDTR = 0 means at once. */
static void rx_delay_fire(void *opaque)
{
    E1000 *s = opaque;
    timer_del(s->m, &s->rdtr_timer);
    timer_del(s->m, &s->radv_timer);
    set_ics(s, ICR_RXT0);
}

static void rx_interrupt(E1000 *s)
{
    uint32_t rdtr = R(s, RDTR) & 0xFFFF, radv = R(s, RADV) & 0xFFFF;
    if (!rdtr) {
        rx_delay_fire(s);
        return;
    }
    uint64_t now = clock_ns(s->m);
    timer_mod(s->m, &s->rdtr_timer, now + (uint64_t)rdtr * 1024);
    if (radv && !s->radv_timer.pending)
        timer_mod(s->m, &s->radv_timer, now + (uint64_t)radv * 1024);
}

/* Transmit: TXDW for a written-back descriptor with RS; with IDE it waits
 * for TIDV (restarted per descriptor) or TADV (from the first one). */
static void tx_delay_fire(void *opaque)
{
    E1000 *s = opaque;
    timer_del(s->m, &s->tidv_timer);
    timer_del(s->m, &s->tadv_timer);
    set_ics(s, ICR_TXDW);
}

static void tx_interrupt(E1000 *s, bool ide)
{
    uint32_t tidv = R(s, TIDV) & 0xFFFF, tadv = R(s, TADV) & 0xFFFF;
    if (!ide || !tidv) {
        tx_delay_fire(s);
        return;
    }
    uint64_t now = clock_ns(s->m);
    timer_mod(s->m, &s->tidv_timer, now + (uint64_t)tidv * 1024);
    if (tadv && !s->tadv_timer.pending)
        timer_mod(s->m, &s->tadv_timer, now + (uint64_t)tadv * 1024);
}

/* ---- PHY and link */

static bool cable_up(E1000 *s)
{
    NetClient *nc = s->nic.nc;
    return nc && !nc->link_down && !(nc->peer && nc->peer->link_down);
}

static bool phy_link(E1000 *s)
{
    return cable_up(s) && !(s->phy[PHY_CTRL] & MII_CR_POWER_DOWN);
}

static bool mac_link(E1000 *s)
{
    return phy_link(s) && (R(s, CTRL) & CTRL_SLU);
}

static void phy_reset(E1000 *s)
{
    memset(s->phy, 0, sizeof s->phy);
    s->phy[PHY_CTRL] = MII_CR_AN_ENABLE | MII_CR_FULL_DUPLEX | MII_CR_SPEED_1000;
    s->phy[PHY_ID1] = 0x0141; /* Marvell */
    s->phy[PHY_ID2] = 0x0C20; /* 88E1011, revision 0 */
    s->phy[PHY_ANAR] = 0x0DE1; /* 10/100 half/full, pause, asymmetric pause */
    s->phy[PHY_NPTX] = 0x2001;
    s->phy[PHY_1000T_CTRL] = 0x0300; /* 1000BASE-T full and half */
    s->phy[PHY_EXT_STATUS] = 0x3000;
    s->phy[M88_PSCR] = 0x0068;
    s->phy[M88_EPSCR] = 0x0C60;
}

/* Registers whose value the PHY computes from the link. */
static uint16_t phy_read(E1000 *s, int reg)
{
    bool link = phy_link(s);
    bool an = (s->phy[PHY_CTRL] & MII_CR_AN_ENABLE) != 0;
    switch (reg) {
    case PHY_STATUS:
        /* 100BASE-X/10BASE-T full/half, extended status, preamble
         * suppression, autonegotiation ability, extended capability */
        return 0x7949 | (link ? MII_SR_LINK : 0) | (link && an ? MII_SR_AN_COMPLETE : 0);
    case PHY_ANLPAR:
        return link && an ? 0x45E1 : 0; /* ack, pause, 10/100 half/full */
    case PHY_ANER:
        return link && an ? 0x0001 : 0;
    case PHY_1000T_STATUS:
        return link ? 0x3C00 : 0; /* receivers OK, partner 1000 full/half */
    case M88_PSSR:
        /* 1000 Mb/s, full duplex, resolved, link */
        return link ? 0xAC00 : 0;
    case M88_ISR:
    case M88_RXERR:
        return 0;
    default:
        return s->phy[reg & 31];
    }
}

static void link_update(E1000 *s);

static void phy_write(E1000 *s, int reg, uint16_t val)
{
    switch (reg) {
    case PHY_CTRL:
        if (val & MII_CR_RESET) {
            phy_reset(s);
            /* Reset and restart complete at once; the rest is kept. */
        }
        s->phy[PHY_CTRL] = val & ~(MII_CR_RESET | MII_CR_RESTART_AN);
        link_update(s);
        break;
    case PHY_STATUS:
    case PHY_ID1:
    case PHY_ID2:
    case PHY_ANLPAR:
    case PHY_ANER:
    case PHY_LPNP:
    case PHY_1000T_STATUS:
    case PHY_EXT_STATUS:
    case M88_PSSR:
    case M88_ISR:
    case M88_RXERR:
        break; /* read-only */
    default:
        s->phy[reg & 31] = val;
        break;
    }
}

static bool rx_can_receive(NetClient *nc);

static void link_update(E1000 *s)
{
    bool lu = mac_link(s);
    if (lu == s->lu)
        return;
    s->lu = lu;
    set_ics(s, ICR_LSC);
    if (lu && s->nic.nc && rx_can_receive(s->nic.nc))
        net_flush_queue(s->nic.nc);
}

static bool loopback(E1000 *s)
{
    return ((R(s, RCTL) >> RCTL_LBM_SHIFT) & 3) != 0 || (s->phy[PHY_CTRL] & MII_CR_LOOPBACK);
}

/* ---- EEPROM: contents, Microwire state machine, EERD */

static void eeprom_init(E1000 *s)
{
    eeprom93c_init(&s->ee, EE_WORDS, EE_ADDR_BITS);
    uint16_t *w = s->ee.data;
    for (int i = 0; i < 3; i++)
        w[i] = (uint16_t)(s->nic.mac[2 * i] | s->nic.mac[2 * i + 1] << 8);
    w[0x04] = 0xFFFF; /* LED settings: defaults */
    w[0x0A] = 0x4000; /* initialization control 1: valid signature */
    w[0x0B] = 0x001E; /* subsystem ID */
    w[0x0C] = 0x8086; /* subsystem vendor ID */
    w[0x0D] = 0x100E; /* device ID */
    w[0x0E] = 0x8086; /* vendor ID */
    w[0x0F] = 0x3000; /* initialization control 2: pause, asymmetric pause */
    uint16_t sum = 0;
    for (int i = 0; i < EE_CHECKSUM_WORD; i++)
        sum = (uint16_t)(sum + w[i]);
    w[EE_CHECKSUM_WORD] = (uint16_t)(EE_SUM - sum);
}

static void eecd_write(E1000 *s, uint32_t val)
{
    eeprom93c_pins(&s->ee, val & EECD_CS, val & EECD_SK, val & EECD_DI);
}

static uint32_t eecd_read(E1000 *s)
{
    uint32_t v = R(s, EECD) | EECD_PRES; /* 64-word Microwire: size bit 0 */
    if (v & EECD_REQ)
        v |= EECD_GNT;
    if (eeprom93c_dout(&s->ee))
        v |= EECD_DO;
    return v;
}

static void eerd_write(E1000 *s, uint32_t val)
{
    if (!(val & EERD_START)) {
        R(s, EERD) = val & 0xFF00;
        return;
    }
    uint32_t addr = (val >> 8) & 0xFF;
    uint16_t data = addr < EE_WORDS ? s->ee.data[addr] : 0xFFFF;
    R(s, EERD) = (uint32_t)data << 16 | addr << 8 | EERD_DONE;
}

/* ---- Receive */

static uint32_t rx_ring_count(E1000 *s)
{
    return (R(s, RDLEN) & 0x000FFF80u) / 16;
}

static uint64_t rx_ring_base(E1000 *s)
{
    return (uint64_t)R(s, RDBAH) << 32 | (R(s, RDBAL) & ~0xFu);
}

/* Descriptors owned by the hardware, or 0 if head/tail are outside the ring. */
static uint32_t rx_free(E1000 *s)
{
    uint32_t n = rx_ring_count(s), h = R(s, RDH), t = R(s, RDT);
    if (!n || h >= n || t >= n)
        return 0;
    return (t + n - h) % n;
}

static uint32_t rx_buf_size(uint32_t rctl)
{
    static const uint32_t normal[4] = {2048, 1024, 512, 256};
    static const uint32_t ext[4] = {2048, 16384, 8192, 4096};
    unsigned b = (rctl >> RCTL_BSIZE_SHIFT) & 3;
    return (rctl & RCTL_BSEX) ? ext[b] : normal[b];
}

static bool rx_can_receive(NetClient *nc)
{
    E1000 *s = nc->opaque;
    return (R(s, RCTL) & RCTL_EN) && s->lu && rx_free(s) > 0;
}

static bool ra_match(E1000 *s, const uint8_t *frame)
{
    for (int i = 0; i < 16; i++) {
        uint32_t lo = R(s, RA + 8 * i), hi = R(s, RA + 8 * i + 4);
        if (!(hi & RAH_AV))
            continue;
        const uint8_t *a = ((hi >> 16) & 3) == 1 ? frame + 6 : frame; /* ASEL: source */
        if (((hi >> 16) & 3) > 1)
            continue;
        if (ld32le(a) == lo && ld16le(a + 4) == (hi & 0xFFFF))
            return true;
    }
    return false;
}

static bool mta_match(E1000 *s, const uint8_t *dst)
{
    unsigned mo = (R(s, RCTL) >> RCTL_MO_SHIFT) & 3;
    /* MO selects which 12 bits of the address index the table:
     * 0: bits 47:36, 1: 46:35, 2: 45:34, 3: 43:32 */
    static const int shift[4] = {4, 3, 2, 0};
    uint32_t hash = ((uint32_t)dst[4] >> shift[mo] | (uint32_t)dst[5] << (8 - shift[mo])) & 0xFFF;
    return (R(s, MTA + ((hash >> 5) << 2)) >> (hash & 31)) & 1;
}

/* Whether the destination (and VLAN) filters accept the frame. */
static bool rx_filter(E1000 *s, const uint8_t *f, size_t len)
{
    uint32_t rctl = R(s, RCTL);
    if ((rctl & RCTL_VFE) && len >= 18 && ld16be(f + 12) == (R(s, VET) & 0xFFFF)) {
        uint16_t tci = ld16be(f + 14);
        unsigned vid = tci & 0xFFF;
        if ((rctl & RCTL_CFIEN) && !!(tci & 0x1000) != !!(rctl & RCTL_CFI))
            return false;
        if (!((R(s, VFTA + ((vid >> 5) << 2)) >> (vid & 31)) & 1))
            return false;
    }
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (!memcmp(f, bcast, 6) && (rctl & RCTL_BAM))
        return true;
    if (!(f[0] & 1)) /* unicast */
        return (rctl & RCTL_UPE) || ra_match(s, f);
    return (rctl & RCTL_MPE) || ra_match(s, f) || mta_match(s, f);
}

/* IPv4 header and TCP/UDP checksum offload on a received frame (without
 * FCS); l3 is the IP header's offset. */
static void rx_checksum(E1000 *s, const uint8_t *f, size_t len, size_t l3, uint8_t *status,
                        uint8_t *errors)
{
    uint32_t rxcsum = R(s, RXCSUM);
    if (!(rxcsum & (RXCSUM_IPOFL | RXCSUM_TUOFL))) {
        *status |= RXD_IXSM;
        return;
    }
    if (l3 + 20 > len || (f[l3] >> 4) != 4)
        return;
    size_t ihl = (size_t)(f[l3] & 0xF) * 4;
    size_t tot = ld16be(f + l3 + 2);
    if (ihl < 20 || l3 + ihl > len || tot < ihl || l3 + tot > len)
        return;
    if (rxcsum & RXCSUM_IPOFL) {
        *status |= RXD_IPCS;
        if (net_csum_fold(net_csum_add(0, f + l3, ihl)) != 0xFFFF)
            *errors |= RXE_IPE;
    }
    if (!(rxcsum & RXCSUM_TUOFL) || (ld16be(f + l3 + 6) & 0x3FFF))
        return; /* fragments are not checked */
    uint8_t proto = f[l3 + 9];
    const uint8_t *l4 = f + l3 + ihl;
    size_t l4len = tot - ihl;
    if (proto == 6 ? l4len < 20 : proto == 17 ? l4len < 8 : true)
        return;
    if (proto == 17 && ld16be(l4 + 6) == 0)
        return; /* UDP without checksum */
    uint32_t sum = net_csum_add(0, f + l3 + 12, 8);
    sum += proto + (uint32_t)l4len;
    sum = net_csum_add(sum, l4, l4len);
    *status |= RXD_TCPCS;
    if (net_csum_fold(sum) != 0xFFFF)
        *errors |= RXE_TCPE;
}

/* What receive returns for a frame taken or dropped: never 0, which would
 * mean "keep it for later" (an empty frame would block the queue). */
#define TAKEN(len) ((ssize_t)((len) ? (len) : 1))

/* A frame from the wire (len without FCS). Returns TAKEN(len) when it was
 * stored or dropped, 0 when there is no room for it now (the caller keeps it). */
static ssize_t rx_frame(E1000 *s, const uint8_t *buf, size_t len, bool internal)
{
    uint32_t rctl = R(s, RCTL);
    size_t in_len = len;
    if (!(rctl & RCTL_EN) || (!internal && !s->lu))
        return internal ? TAKEN(in_len) : 0;
    if (len < 14 || len + 4 > RX_MAX) {
        stat_add(s, len < 14 ? RUC : ROC, 1);
        return TAKEN(in_len);
    }
    /* The wire carries at least 60 bytes before the FCS. */
    uint8_t *f = s->rx_buf;
    memcpy(f, buf, len);
    if (len < MIN_FRAME) {
        memset(f + len, 0, MIN_FRAME - len);
        len = MIN_FRAME;
    }
    stat_add(s, TPR, 1);
    stat_add64(s, TORL, len + 4);
    if (!(rctl & RCTL_LPE) && len + 4 > 1522) {
        stat_add(s, ROC, 1);
        return TAKEN(in_len);
    }
    if (!rx_filter(s, f, len))
        return TAKEN(in_len);
    bool bcast = memcmp(f, "\xFF\xFF\xFF\xFF\xFF\xFF", 6) == 0;
    bool mcast = (f[0] & 1) && !bcast;
    size_t wire_len = len + 4;

    /* VLAN strip */
    uint8_t status = 0, errors = 0;
    uint16_t special = 0;
    size_t l3 = 14;
    if ((R(s, CTRL) & CTRL_VME) && ld16be(f + 12) == (R(s, VET) & 0xFFFF)) {
        special = ld16be(f + 14);
        status |= RXD_VP;
        memmove(f + 12, f + 16, len - 16);
        len -= 4;
    } else if (ld16be(f + 12) == (R(s, VET) & 0xFFFF) && len >= 18) {
        l3 = 18;
    }
    if (ld16be(f + l3 - 2) == 0x0800)
        rx_checksum(s, f, len, l3, &status, &errors);
    else if (!(R(s, RXCSUM) & (RXCSUM_IPOFL | RXCSUM_TUOFL)))
        status |= RXD_IXSM; /* (not IPv4 with offload on: nothing is computed) */
    uint32_t pcss = R(s, RXCSUM) & 0xFF;
    uint16_t pcsum = pcss < len ? net_csum_fold(net_csum_add(0, f + pcss, len - pcss)) : 0;

    size_t total = len;
    if (!(rctl & RCTL_SECRC)) {
        uint32_t crc = (uint32_t)crc32(0L, f, (uInt)len);
        f[len] = (uint8_t)crc;
        f[len + 1] = (uint8_t)(crc >> 8);
        f[len + 2] = (uint8_t)(crc >> 16);
        f[len + 3] = (uint8_t)(crc >> 24);
        total += 4;
    }

    uint32_t bsize = rx_buf_size(rctl);
    uint32_t need = (uint32_t)((total + bsize - 1) / bsize);
    uint32_t n = rx_ring_count(s), avail = rx_free(s);
    if (n < 2 || need > n - 1) { /* can never fit this ring */
        stat_add(s, MPC, 1);
        set_ics(s, ICR_RXO);
        return TAKEN(in_len);
    }
    if (avail < need) {
        stat_add(s, RNBC, 1);
        if (internal) /* loopback: the FIFO overflows */
            stat_add(s, MPC, 1);
        set_ics(s, ICR_RXO | ICR_RXDMT0);
        return internal ? TAKEN(in_len) : 0;
    }

    /* Fetch the descriptors first: an unreadable ring drops the frame. */
    uint8_t desc[RX_MAX_DESCS][16];
    uint64_t base = rx_ring_base(s);
    uint32_t h = R(s, RDH);
    for (uint32_t i = 0; i < need; i++) {
        if (!dma_read(s->m, base + (uint64_t)((h + i) % n) * 16, desc[i], 16)) {
            stat_add(s, MPC, 1);
            return TAKEN(in_len);
        }
    }
    size_t off = 0;
    for (uint32_t i = 0; i < need; i++) {
        uint8_t *d = desc[i];
        size_t chunk = total - off < bsize ? total - off : bsize;
        bool last = i + 1 == need;
        uint8_t st = RXD_DD | (last ? RXD_EOP | status : 0);
        uint8_t er = last ? errors : 0;
        if (!dma_write(s->m, ld64le(d), f + off, chunk))
            er |= RXE_RXE;
        uint8_t wb[8];
        st16le(wb, (uint16_t)chunk);
        st16le(wb + 2, last ? pcsum : 0);
        wb[4] = st;
        wb[5] = er;
        st16le(wb + 6, last ? special : 0);
        dma_write(s->m, base + (uint64_t)((h + i) % n) * 16 + 8, wb, 8);
        off += chunk;
    }
    R(s, RDH) = (h + need) % n;

    stat_add(s, GPRC, 1);
    stat_add64(s, GORCL, wire_len);
    stat_size(s, PRC64, wire_len);
    if (bcast)
        stat_add(s, BPRC, 1);
    if (mcast)
        stat_add(s, MPRC, 1);

    uint32_t thr = n >> (1 + ((rctl >> RCTL_RDMTS_SHIFT) & 3));
    uint32_t left = avail - need;
    if (avail > thr && left <= thr)
        set_ics(s, ICR_RXDMT0);
    rx_interrupt(s);
    return TAKEN(in_len);
}

static ssize_t nic_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    return rx_frame(nc->opaque, buf, len, false);
}

static void rx_maybe_flush(E1000 *s)
{
    if (s->nic.nc && rx_can_receive(s->nic.nc))
        net_flush_queue(s->nic.nc);
}

/* ---- Transmit */

static uint32_t tx_ring_count(E1000 *s)
{
    return (R(s, TDLEN) & 0x000FFF80u) / 16;
}

static uint64_t tx_ring_base(E1000 *s)
{
    return (uint64_t)R(s, TDBAH) << 32 | (R(s, TDBAL) & ~0xFu);
}

/* Insert ~sum of [start, end] (inclusive; end 0 = to the last byte) at off. */
static void insert_csum(uint8_t *f, size_t len, unsigned start, unsigned end, unsigned off,
                        uint32_t extra, bool udp)
{
    size_t stop = end ? (size_t)end + 1 : len;
    if (stop > len)
        stop = len;
    if (start >= stop || (size_t)off + 2 > len)
        return;
    uint16_t c = (uint16_t)~net_csum_fold(net_csum_add(extra, f + start, stop - start));
    if (udp && c == 0)
        c = 0xFFFF;
    st16be(f + off, c);
}

/* Put one frame on the wire: VLAN tag, padding, statistics, wire time, and
 * then the peer, or our own receiver in loopback. */
static void tx_emit(E1000 *s, uint8_t *f, size_t len, bool vle, uint16_t special)
{
    uint8_t *out = f;
    if (vle && (R(s, CTRL) & CTRL_VME) && len >= 12) {
        out = s->tx_out;
        memcpy(out, f, 12);
        st16be(out + 12, (uint16_t)R(s, VET));
        st16be(out + 14, special);
        memcpy(out + 16, f + 12, len - 12);
        len += 4;
    }
    if (len == 0)
        return; /* an empty packet: nothing goes on the wire */
    if (len < MIN_FRAME && (R(s, TCTL) & TCTL_PSP)) {
        memset(out + len, 0, MIN_FRAME - len);
        len = MIN_FRAME;
    }
    size_t wire = (len < MIN_FRAME ? MIN_FRAME : len) + 4;
    stat_add(s, GPTC, 1);
    stat_add(s, TPT, 1);
    stat_add64(s, GOTCL, wire);
    stat_add64(s, TOTL, wire);
    stat_size(s, PTC64, wire);
    if (len >= 6 && !memcmp(out, "\xFF\xFF\xFF\xFF\xFF\xFF", 6))
        stat_add(s, BPTC, 1);
    else if (out[0] & 1)
        stat_add(s, MPTC, 1);

    uint64_t now = clock_ns(s->m);
    if (s->wire_free < now)
        s->wire_free = now;
    s->wire_free += (uint64_t)(wire + WIRE_OVERHEAD - 4) * 8;

    if (loopback(s))
        rx_frame(s, out, len, true);
    else if (mac_link(s) && s->nic.nc)
        net_send(s->nic.nc, out, len);
}

/* One TSO segment: the header template with lengths, IP id, TCP sequence
 * and flags adjusted, then the checksums. */
static void tso_segment(E1000 *s, bool last, bool vle, uint16_t special)
{
    TxPacket *p = &s->txp;
    const TxContext *c = &p->ctx;
    uint8_t *f = s->tx_buf;
    unsigned hl = c->hdr_len;
    size_t len = hl + p->pending;
    memcpy(f, p->hdr, hl);
    if (c->tucmd & TUCMD_IP) {
        if ((size_t)c->ipcss + 20 <= hl) {
            st16be(f + c->ipcss + 2, (uint16_t)(len - c->ipcss));
            st16be(f + c->ipcss + 4, (uint16_t)(ld16be(p->hdr + c->ipcss + 4) + p->segs));
        }
    } else if ((size_t)c->ipcss + 40 <= hl) { /* IPv6 payload length */
        st16be(f + c->ipcss + 4, (uint16_t)(len - c->ipcss - 40));
    }
    uint32_t l4len = (uint32_t)(len > c->tucss ? len - c->tucss : 0);
    if (c->tucmd & TUCMD_TCP) {
        if ((size_t)c->tucss + 20 <= hl) {
            st32be(f + c->tucss + 4, ld32be(p->hdr + c->tucss + 4) + p->pay_sent);
            if (!last)
                f[c->tucss + 13] &= (uint8_t)~0x09; /* FIN, PSH only in the last */
        }
    } else if ((size_t)c->tucss + 8 <= hl) {
        st16be(f + c->tucss + 4, (uint16_t)l4len);
    }
    if ((p->popts & POPTS_IXSM) && (c->tucmd & TUCMD_IP) && (size_t)c->ipcso + 2 <= hl) {
        st16be(f + c->ipcso, 0);
        insert_csum(f, len, c->ipcss, c->ipcse, c->ipcso, 0, false);
    }
    if (p->popts & POPTS_TXSM)
        insert_csum(f, len, c->tucss, c->tucse, c->tucso, l4len,
                    !(c->tucmd & TUCMD_TCP));
    p->pay_sent += p->pending;
    p->pending = 0;
    p->segs++;
    tx_emit(s, f, len, vle, special);
}

/* Take len bytes of buffer at addr into the packet. Every copy is checked
 * against the buffer it lands in, here where it happens: whatever the
 * descriptors said at the start of the packet, nothing is written beyond
 * tx_buf or hdr, and each pass of the segmentation loop consumes bytes. */
static void tx_take(E1000 *s, uint64_t addr, uint32_t len, bool vle, uint16_t special)
{
    TxPacket *p = &s->txp;
    const TxContext *c = &p->ctx;
    if (p->bad || !len)
        return;
    if (!p->tse) {
        if (len > TX_MAX - p->len) {
            p->bad = true;
            return;
        }
        if (!dma_read(s->m, addr, s->tx_buf + p->len, len))
            p->bad = true;
        p->len += len;
        return;
    }
    if (p->hdr_have < c->hdr_len) {
        uint32_t n = c->hdr_len - p->hdr_have;
        if (n > len)
            n = len;
        if (p->hdr_have + n > sizeof p->hdr || !dma_read(s->m, addr, p->hdr + p->hdr_have, n)) {
            p->bad = true;
            return;
        }
        p->hdr_have += n;
        addr += n;
        len -= n;
    }
    while (len && !p->bad) {
        if (p->pay_in >= c->paylen)
            return; /* beyond PAYLEN: ignored */
        if (p->pending >= c->mss) /* more follows: this segment is not the last */
            tso_segment(s, false, vle, special);
        uint32_t n = c->mss - p->pending;
        if (n > len)
            n = len;
        if (n > c->paylen - p->pay_in)
            n = c->paylen - p->pay_in;
        uint32_t at = c->hdr_len + p->pending;
        if (!n || at > TX_MAX || n > TX_MAX - at ||
            !dma_read(s->m, addr, s->tx_buf + at, n)) {
            p->bad = true;
            return;
        }
        p->pending += n;
        p->pay_in += n;
        addr += n;
        len -= n;
    }
}

static void tx_start_packet(E1000 *s, bool legacy, bool tse, const uint8_t *d)
{
    TxPacket *p = &s->txp;
    memset(p, 0, offsetof(TxPacket, hdr));
    p->active = true;
    p->legacy = legacy;
    if (legacy) {
        p->ic = (d[11] & TXC_IC) != 0;
        p->cso = d[10];
        p->css = d[13];
        return;
    }
    p->popts = d[13];
    p->tse = tse;
    p->ctx = s->ctx;
    if (tse) {
        const TxContext *c = &p->ctx;
        /* A zero MSS or header, or segments longer than a frame: dropped. */
        if (!c->mss || !c->hdr_len || (uint32_t)c->hdr_len + c->mss > TX_MAX)
            p->bad = true;
    }
}

static void tx_end_packet(E1000 *s, bool vle, uint16_t special)
{
    TxPacket *p = &s->txp;
    const TxContext *c = &p->ctx;
    if (p->tse) {
        if (p->bad || p->hdr_have < c->hdr_len) {
            stat_add(s, TSCTFC, 1);
        } else {
            if (p->pending || !p->segs)
                tso_segment(s, true, vle, special);
            stat_add(s, TSCTC, 1);
        }
    } else if (!p->bad) {
        uint8_t *f = s->tx_buf;
        if (p->legacy) {
            if (p->ic)
                insert_csum(f, p->len, p->css, 0, p->cso, 0, false);
        } else {
            if (p->popts & POPTS_IXSM)
                insert_csum(f, p->len, c->ipcss, c->ipcse, c->ipcso, 0, false);
            if (p->popts & POPTS_TXSM)
                insert_csum(f, p->len, c->tucss, c->tucse, c->tucso, 0,
                            !(c->tucmd & TUCMD_TCP));
        }
        tx_emit(s, f, p->len, vle, special);
    }
    p->active = false;
}

/* Process one descriptor; true when it ended a packet. */
static bool tx_descriptor(E1000 *s, const uint8_t *d)
{
    uint8_t cmd = d[11];
    uint16_t special = ld16le(d + 14);
    if (!(cmd & TXC_DEXT)) { /* legacy */
        if (!s->txp.active)
            tx_start_packet(s, true, false, d);
        tx_take(s, ld64le(d), ld16le(d + 8), (cmd & TXC_VLE) != 0, special);
        if (cmd & TXC_EOP) {
            tx_end_packet(s, (cmd & TXC_VLE) != 0, special);
            return true;
        }
        return false;
    }
    switch (d[10] >> 4) {
    case 0: { /* context */
        TxContext *c = &s->ctx;
        c->ipcss = d[0];
        c->ipcso = d[1];
        c->ipcse = ld16le(d + 2);
        c->tucss = d[4];
        c->tucso = d[5];
        c->tucse = ld16le(d + 6);
        c->paylen = ld32le(d + 8) & 0xFFFFF;
        c->tucmd = cmd;
        c->hdr_len = d[13];
        c->mss = ld16le(d + 14);
        return false;
    }
    case 1: /* data */
        if (!s->txp.active)
            tx_start_packet(s, false, (cmd & TXC_TSE) != 0, d);
        tx_take(s, ld64le(d), ld32le(d + 8) & 0xFFFFF, (cmd & TXC_VLE) != 0, special);
        if (cmd & TXC_EOP) {
            tx_end_packet(s, (cmd & TXC_VLE) != 0, special);
            return true;
        }
        return false;
    default: /* reserved type: skipped */
        return false;
    }
}

static void tx_reset_fetch(E1000 *s)
{
    timer_del(s->m, &s->tx_timer);
    s->tx_fetch = R(s, TDH);
    s->txp.active = false;
}

/* Fetch descriptors from TDH up to TDT until a packet ends; its descriptors
 * are written back when it has left the wire (tx_complete). */
static void tx_run(E1000 *s)
{
    if (!(R(s, TCTL) & TCTL_EN) || s->tx_timer.pending)
        return;
    uint32_t n = tx_ring_count(s), h = R(s, TDH), t = R(s, TDT);
    if (!n || h >= n || t >= n)
        return; /* heads beyond the ring: nothing is processed */
    if (s->tx_fetch >= n)
        s->tx_fetch = h;
    uint64_t base = tx_ring_base(s);
    bool ended = false;
    while (s->tx_fetch != t && !ended) {
        uint8_t d[16];
        if (!dma_read(s->m, base + (uint64_t)s->tx_fetch * 16, d, 16))
            return; /* ring outside RAM: stop here */
        s->tx_fetch = (s->tx_fetch + 1) % n;
        ended = tx_descriptor(s, d);
    }
    if (s->tx_fetch == h)
        return;
    if (!ended && s->txp.active)
        return; /* the rest of the packet is not there yet */
    uint64_t now = clock_ns(s->m);
    timer_mod(s->m, &s->tx_timer, s->wire_free > now ? s->wire_free : now);
}

static void tx_complete(void *opaque)
{
    E1000 *s = opaque;
    uint32_t n = tx_ring_count(s), h = R(s, TDH);
    uint64_t base = tx_ring_base(s);
    if (!n || h >= n || s->tx_fetch >= n)
        return;
    bool rs = false, ide = true;
    while (h != s->tx_fetch) {
        uint64_t a = base + (uint64_t)h * 16;
        uint8_t cmd;
        if (dma_read(s->m, a + 11, &cmd, 1) && (cmd & TXC_RS)) {
            uint8_t st = TXD_STAT_DD;
            dma_write(s->m, a + 12, &st, 1);
            rs = true;
            ide = ide && (cmd & TXC_IDE);
        }
        h = (h + 1) % n;
    }
    R(s, TDH) = h;
    if (rs)
        tx_interrupt(s, ide);
    if (h == R(s, TDT))
        set_ics(s, ICR_TXQE);
    tx_run(s);
}

/* ---- Reset */

static void mac_reset(E1000 *s)
{
    Machine *m = s->m;
    timer_del(m, &s->itr_timer);
    timer_del(m, &s->rdtr_timer);
    timer_del(m, &s->radv_timer);
    timer_del(m, &s->tidv_timer);
    timer_del(m, &s->tadv_timer);
    timer_del(m, &s->tx_timer);
    for (int i = 0; i < NREGS; i++)
        s->regs[i] = reg_info[i].reset;
    /* The EEPROM's MAC words are loaded into RA[0]. */
    R(s, RA) = (uint32_t)s->ee.data[0] | (uint32_t)s->ee.data[1] << 16;
    R(s, RA + 4) = s->ee.data[2] | RAH_AV;
    eeprom93c_pins(&s->ee, false, false, false);
    memset(&s->ctx, 0, sizeof s->ctx);
    s->txp.active = false;
    s->tx_fetch = 0;
    s->lu = mac_link(s);
    if (s->irq) {
        s->irq = false;
        pci_set_irq(s->nic.pci, 0);
    }
}

/* ---- Register access */

static uint32_t reg_read(E1000 *s, uint32_t off)
{
    uint32_t idx = off >> 2;
    if (idx >= NREGS)
        return 0;
    RegInfo info = (off >= RA && off < RA + 128) ? ra_info(off) : reg_info[idx];
    if (!(info.flags & F_PRESENT))
        return 0;
    switch (off) {
    case STATUS:
        return STATUS_FD | (s->lu ? STATUS_LU : 0) | STATUS_SPEED_1000 | STATUS_ASDV_1000;
    case EECD:
        return eecd_read(s);
    case ICR: {
        uint32_t v = R(s, ICR);
        R(s, ICR) = 0;
        update_irq(s);
        return v;
    }
    case ICS:
    case IMC:
        return 0; /* write-only */
    case PBA: {
        uint32_t rxa = R(s, PBA) & 0xFFFF;
        return (rxa < 64 ? 64 - rxa : 0) << 16 | rxa;
    }
    default:
        break;
    }
    uint32_t v = s->regs[idx];
    if (info.flags & F_RC)
        s->regs[idx] = 0;
    if (info.flags & F_STAT_HI)
        s->regs[idx] = s->regs[idx - 1] = 0;
    return v;
}

static void reg_write(E1000 *s, uint32_t off, uint32_t val)
{
    uint32_t idx = off >> 2;
    if (idx >= NREGS)
        return;
    RegInfo info = (off >= RA && off < RA + 128) ? ra_info(off) : reg_info[idx];
    if (!(info.flags & F_PRESENT))
        return;
    uint32_t old = s->regs[idx];
    s->regs[idx] = (old & ~info.wmask) | (val & info.wmask);
    switch (off) {
    case CTRL:
        if (val & CTRL_RST) {
            mac_reset(s);
            return;
        }
        if ((val & CTRL_PHY_RST) && !(old & CTRL_PHY_RST))
            phy_reset(s);
        link_update(s);
        break;
    case EECD:
        eecd_write(s, val);
        break;
    case EERD:
        eerd_write(s, val);
        break;
    case CTRL_EXT:
        if (val & CTRL_EXT_EE_RST) { /* reload from the EEPROM */
            R(s, RA) = (uint32_t)s->ee.data[0] | (uint32_t)s->ee.data[1] << 16;
            R(s, RA + 4) = s->ee.data[2] | RAH_AV;
        }
        break;
    case MDIC: {
        uint32_t phy = (val >> 21) & 0x1F, reg = (val >> 16) & 0x1F, op = val & (3u << 26);
        uint32_t r = val & ~(MDIC_READY | MDIC_ERROR);
        if (phy != PHY_ADDR || (op != MDIC_OP_READ && op != MDIC_OP_WRITE)) {
            r |= MDIC_ERROR;
        } else if (op == MDIC_OP_READ) {
            r = (r & 0xFFFF0000u) | phy_read(s, (int)reg);
        } else {
            phy_write(s, (int)reg, (uint16_t)val);
        }
        R(s, MDIC) = r | MDIC_READY;
        if (val & MDIC_INT_EN)
            set_ics(s, ICR_MDAC);
        break;
    }
    case ICR: /* writing ones clears causes */
        R(s, ICR) = old & ~val;
        update_irq(s);
        break;
    case ICS:
        set_ics(s, val);
        break;
    case IMS:
        R(s, IMS) |= val & ICR_MASK;
        update_irq(s);
        break;
    case IMC:
        R(s, IMS) &= ~val;
        update_irq(s);
        break;
    case ITR:
        update_irq(s);
        break;
    case RCTL:
        rx_maybe_flush(s);
        break;
    case RDT:
    case RDH:
    case RDLEN:
        rx_maybe_flush(s);
        break;
    case RDTR:
        if ((val & RDTR_FPD) && (s->rdtr_timer.pending || s->radv_timer.pending))
            rx_delay_fire(s);
        break;
    case TCTL:
        tx_run(s);
        break;
    case TDH:
    case TDLEN:
    case TDBAL:
    case TDBAH:
        tx_reset_fetch(s);
        break;
    case TDT:
        tx_run(s);
        break;
    default:
        break;
    }
}

/* BAR0: dword registers; narrower reads take bytes of the dword, narrower
 * writes merge into the stored value. */
static uint32_t mmio_read(void *opaque, uint32_t offset, int size_log2)
{
    E1000 *s = opaque;
    uint32_t v = reg_read(s, offset & ~3u);
    if (size_log2 < 2)
        v = (v >> (8 * (offset & 3))) & (size_log2 ? 0xFFFFu : 0xFFu);
    return v;
}

static void mmio_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    E1000 *s = opaque;
    uint32_t off = offset & ~3u;
    if (size_log2 < 2) {
        uint32_t idx = off >> 2;
        uint32_t cur = idx < NREGS ? s->regs[idx] : 0;
        uint32_t mask = (size_log2 ? 0xFFFFu : 0xFFu) << (8 * (offset & 3));
        val = (cur & ~mask) | ((val << (8 * (offset & 3))) & mask);
    }
    reg_write(s, off, val);
}

/* BAR1: IOADDR at 0, IODATA at 4 (dword accesses). */
static uint32_t io_read(void *opaque, uint32_t offset, int size_log2)
{
    E1000 *s = opaque;
    if (size_log2 != 2)
        return 0xFFFFFFFFu;
    if (offset == 0)
        return s->ioaddr;
    if (offset == 4)
        return s->ioaddr < 0x20000 ? reg_read(s, s->ioaddr & 0x1FFFC) : 0;
    return 0;
}

static void io_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    E1000 *s = opaque;
    if (size_log2 != 2)
        return;
    if (offset == 0)
        s->ioaddr = val & 0x0001FFFFu;
    else if (offset == 4)
        reg_write(s, s->ioaddr & 0x1FFFC, val);
}

/* ---- Netdev client */

static void nic_link_status_changed(NetClient *nc)
{
    link_update(nc->opaque);
}

static const NetClientInfo e1000_info = {
    .kind = NET_CLIENT_NIC,
    .type = "e1000",
    .can_receive = rx_can_receive,
    .receive = nic_receive,
    .link_status_changed = nic_link_status_changed,
};

/* Power-on state again when the machine resets (guest reboot). */
static void e1000_reset(void *opaque)
{
    E1000 *s = opaque;
    phy_reset(s);
    mac_reset(s);
}

static const NicPciId e1000_pci_id = {
    .vendor = 0x8086,
    .device = 0x100E,
    .subsys_vendor = 0x8086, /* 8086:001E: PRO/1000 MT Desktop */
    .subsys = 0x001E,
    .revision = 0x03,
    .class_code = 0x020000,
    .romfile = "efi-e1000.rom",
};

static int e1000_create(const DeviceContext *ctx, const DeviceSpec *spec, char *err,
                        size_t errlen)
{
    E1000 *s = machine_zalloc(ctx->m, sizeof *s);
    s->m = ctx->m;
    if (nic_init(&s->nic, ctx, &e1000_pci_id, &e1000_info, s, e1000_reset, err, errlen))
        return 1;
    PciDevice *d = s->nic.pci;
    d->config[PCI_LATENCY_TIMER] = 0x40;
    d->config[PCI_MIN_GNT] = 0xFF;
    pci_register_bar(d, 0, 0x20000, false, mmio_read, mmio_write, s);
    pci_register_bar(d, 1, 0x40, true, io_read, io_write, s);

    timer_init(&s->itr_timer, itr_fire, s);
    timer_init(&s->rdtr_timer, rx_delay_fire, s);
    timer_init(&s->radv_timer, rx_delay_fire, s);
    timer_init(&s->tidv_timer, tx_delay_fire, s);
    timer_init(&s->tadv_timer, tx_delay_fire, s);
    timer_init(&s->tx_timer, tx_complete, s);
    eeprom_init(s);
    e1000_reset(s);
    return 0;
}

static const DevProp e1000_props[] = {
    NIC_PROPS,
    {NULL},
};

const DeviceModel e1000_device = {
    .name = "e1000",
    .alias = "e1000-82540em",
    .desc = "Intel Gigabit Ethernet (82540EM, PCI 8086:100e)",
    .category = DEV_CAT_NETWORK,
    .bus = DEV_BUS_PCI,
    .props = e1000_props,
    .create = e1000_create,
};

/* ---- Self-check, for the fuzz target and tests: the invariants every
 * guest-reachable path must keep, checked from outside after each step.
 * Returns NULL, or which invariant is broken. Reads state only. */

/* A register as stored, without a guest read's side effects (statistics
 * stay, ICR is not cleared). */
uint32_t e1000_raw_reg(NetClient *nc, uint32_t off)
{
    E1000 *s = nc->opaque;
    return nc->info == &e1000_info && off < REG_END ? s->regs[off >> 2] : 0;
}

const char *e1000_selfcheck(NetClient *nc)
{
    if (!nc || nc->info != &e1000_info)
        return "not an e1000 client";
    E1000 *s = nc->opaque;
    const TxPacket *p = &s->txp;
    const TxContext *c = &p->ctx;

    /* transmit gathering: every fill level within its buffer */
    if (p->len > TX_MAX)
        return "tx: packet length beyond TX_MAX";
    if (p->hdr_have > sizeof p->hdr)
        return "tx: header gathered beyond the header buffer";
    if (p->tse) {
        if (p->hdr_have > c->hdr_len)
            return "tx: header gathered beyond the packet's header length";
        if ((uint32_t)c->hdr_len + p->pending > TX_MAX)
            return "tx: header + pending payload beyond TX_MAX";
        if (p->pending > c->mss)
            return "tx: pending payload beyond the packet's MSS";
        if (p->pay_in > c->paylen)
            return "tx: payload taken beyond PAYLEN";
        if ((uint64_t)p->pay_sent + p->pending != p->pay_in)
            return "tx: payload sent + pending != payload taken";
    }

    /* transmit ring: the fetch index only moves inside a valid ring; when it
     * is not in step with TDH, [TDH, tx_fetch) is what awaits write-back */
    uint32_t n = tx_ring_count(s), h = R(s, TDH);
    if (s->tx_fetch != h && (!n || h >= n || s->tx_fetch >= n))
        return "tx: fetch index outside the ring";

    /* interrupts: INTA# follows ICR & IMS, or the ITR timer is due */
    if (R(s, ICR) & ~ICR_MASK)
        return "ICR holds bits beyond the interrupt causes";
    if (R(s, IMS) & ~ICR_MASK)
        return "IMS holds bits beyond the interrupt causes";
    bool want = (R(s, ICR) & R(s, IMS)) != 0;
    if (s->irq != (s->nic.pci->irq_level != 0))
        return "INTA# level differs from the device's view";
    if (s->irq && !want)
        return "INTA# asserted with no unmasked cause";
    if (!s->irq && want && !s->itr_timer.pending)
        return "unmasked cause pending with INTA# low and no ITR timer";

    /* link as the guest sees it */
    if (s->lu != mac_link(s))
        return "STATUS.LU differs from the link";

    /* EEPROM state machine */
    const char *ee = eeprom93c_check(&s->ee);
    if (ee)
        return ee;
    if (s->ioaddr > 0x1FFFF)
        return "IOADDR beyond the register window";

    /* frames waiting for the receiver: bounded, and the list matches */
    if (nc->queue_len < 0 || nc->queue_len > NET_QUEUE_MAX)
        return "receive queue length out of bounds";
    int k = 0;
    for (const NetPacket *q = nc->queue_head; q && k <= NET_QUEUE_MAX; q = q->next)
        k++;
    if (k != nc->queue_len)
        return "receive queue list differs from its length";
    return NULL;
}
