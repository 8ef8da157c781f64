/* Realtek RTL8139C and RTL8139C+ Fast Ethernet controllers (PCI 10EC:8139),
 * after the RTL8139C(L) and RTL8139C+ datasheets. One model, two
 * personalities chosen by the rev property:
 *
 *   rev=0x20  RTL8139C+ (the default, as QEMU): the C mode below plus the C+
 *             mode with descriptor rings, which Linux's 8139cp drives
 *   rev=0x10  RTL8139C: the C mode only, which Linux's 8139too drives
 *
 *   BAR0  256 bytes of I/O ports, BAR1  256 bytes of memory: the registers
 *
 * C mode: a receive ring buffer at RBSTART (8, 16, 32 or 64 KiB + 16 bytes,
 * RCR.RBLEN) holding each packet behind a 4-byte header (status, length with
 * CRC) on 4-byte boundaries, with RCR.WRAP; the driver's read pointer CAPR
 * (16 bytes behind) and the chip's write pointer CBR; CR.BUFE; four transmit
 * slots TSD0-3/TSAD0-3 used round robin, with OWN, TOK, TUN, TABT, the early
 * transmit threshold (stored: the frame is fetched whole), TCR.CLRABT and the
 * summary in TSAD (0x60).
 *
 * C+ mode (CPCR.TxEnb / RxEnb on a C+ chip): normal- and high-priority
 * transmit descriptor rings (TNPDS, THPDS, TPPoll) and a receive descriptor
 * ring (RDSAR), up to 64 descriptors each, ended by EOR; frames spanning
 * descriptors (FS/LS); IPv4 header, TCP and UDP checksum insertion; large
 * send (TCP segmentation of IPv4 packets by the descriptor's MSS); VLAN tag
 * insertion (TAGC) and stripping (CPCR.RxVLAN); receive checksum checks
 * (CPCR.RxChkSum: the protocol ID and IPF/UDPF/TCPF); the dump-tally
 * counters (DTCCR). In C+ transmit mode 0x10-0x2F are DTCCR/TNPDS/THPDS.
 *
 * Both: the station address (IDR0-5) loaded from a 93C46 EEPROM (word 0
 * 0x8129, the address in words 7-9) that the driver reads and writes by
 * bit-banging 9346CR; autoload; CONFIG0-5 behind the 9346CR lock; the
 * multicast hash filter (MAR0-7, the top 6 bits of the Ethernet CRC) and
 * RCR's accept bits; ISR/IMR with every source the Linux drivers use; TCTR
 * counting the 33 MHz PCI clock and the TimeOut interrupt at TimerInt; the
 * internal PHY through BMCR/BMSR/ANAR/ANLPAR/ANER, MSR and CSCR, following
 * the netdev layer's link state (a change raises the link change interrupt
 * and latches CSCR's change bit); MPC; loopback (TCR.LBK). Frames shorter
 * than 60 bytes arrive padded, as a sender's MAC pads them on a real wire.
 *
 * Timing, on the virtual clock: a frame occupies the 100 Mbit/s wire for
 * (preamble + frame + FCS + inter-frame gap) * 80 ns, both ways. A transmit
 * slot completes (TOK, interrupt) when its last frame has left; a C+ packet
 * when the chip takes it (see cp_tx_kick), the next one when the wire is
 * free again; a received frame is stored when it has arrived, and the
 * next one cannot arrive before the wire is free again (frames a peer hands
 * over faster wait in the netdev queue).
 *
 * Flow control: when the ring or the descriptors have no room for a frame,
 * it waits in the netdev queue instead of being missed. It moves on when
 * the driver makes room (a CAPR, ISR, IMR, CR or CPCR write) or when a poll
 * on the virtual clock (backing off from 100 us to 10 ms) finds room; a
 * poll that finds none while the driver is idle raises RXOVW (RDU in C+
 * mode), as the next frame arriving at a real chip would.
 *
 * The guest is hostile: every address is reached through dma_read/
 * dma_write (RAM only; a miss raises the PCI system error interrupt), every
 * length is checked against the buffer it lands in, descriptor chains end
 * after one ring (64 descriptors), and headers are parsed from the bytes
 * present, never from the lengths they claim.
 *
 * Not modelled: early receive/transmit interrupts, FIFO underruns,
 * collisions, wake-on-LAN frames and power management, the CardBus
 * registers, interrupt mitigation (stored), PAUSE frames. */
#include <string.h>
#include <zlib.h>

#include "hw/bytes.h"
#include "hw/chips.h"
#include "hw/eeprom93c.h"
#include "hw/machine.h"
#include "hw/pci_regs.h"
#include "hw/rtl8139_regs.h"
#include "net/nic.h"

#define MIN_FRAME 60           /* on the wire, without FCS */
#define FCS_LEN 4
#define RX_MAX_FRAME 8191      /* longest frame received, CRC included: the 13-bit length fields */
#define RX_MAX_FRAME_C 4096    /* C mode: longer ones are "long packets" (RSR.LONG), dropped */
#define TX_FRAME_MAX (RX_MAX_FRAME - FCS_LEN) /* longest frame sent, untagged */
#define TX_BUF_MAX 65536       /* one C+ packet gathered from its descriptors */
#define WIRE_OVERHEAD 24       /* FCS 4 + preamble/SFD 8 + inter-frame gap 12 */
#define RX_POLL_MIN_NS 100000ull
#define RX_POLL_MAX_NS 10000000ull
#define RX_IDLE_NS 10000000ull /* a driver this long without reading has stopped */
#define TCTR_PERIOD_NS ((1ull << 32) * RTL_PCI_CLOCK_NS)
#define MPC_MAX 0xFFFFFFu      /* 24 bits */
#define CAPR_RESET 0xFFF0      /* 16 bytes before offset 0 */

enum { TX_NORMAL = 0, TX_HIGH = 1 };

/* ---- State */

typedef struct Tally {
    uint64_t txok, rxok, txerr, rxokphy, rxokbrd;
    uint32_t rxerr, tx1col, txmcol, rxokmul;
    uint16_t misspkt, fae, txabt, txundrn;
} Tally;

/* The C+ packet being sent: the descriptors it took, for the write-back
 * when it has left the wire. */
typedef struct CpTx {
    bool active;
    bool bad; /* dropped: the write-back says so (ES) */
    int ring;
    uint64_t base;
    int n;
    uint32_t idx[CP_RING_MAX];
    uint32_t opts1[CP_RING_MAX];
} CpTx;

typedef struct Rtl8139 {
    Machine *m;
    Nic nic;
    uint8_t rev;
    bool cplus_chip;

    /* registers */
    uint8_t idr[6], mar[8];
    uint32_t tsd[4], tsad[4];
    uint32_t rbstart;
    uint16_t capr, cbr;
    uint8_t cr;
    uint16_t imr, isr;
    uint32_t tcr, rcr, mpc, timerint;
    uint64_t tctr_base; /* virtual time at which TCTR was 0 */
    uint8_t r9346, config1, config3, config4, config5, msr;
    uint16_t mulint, bmcr, anar, nwaytr, cscr;
    bool cscr_change;
    uint32_t phy1_parm, tw_parm;
    uint8_t phy2_parm;
    uint8_t wake[RTL_CONFIG5 - RTL_WAKEUP_FIRST]; /* 0x84-0xD7 */
    /* C+ */
    uint16_t cpcr, intrmit;
    uint8_t tppoll, etthr;
    uint64_t dtccr, tnpds, thpds, rdsar;
    uint32_t cp_tx_idx[2], cp_rx_idx;

    Eeprom93c ee;
    Tally tally;
    bool link; /* as the guest was last told */
    bool irq;

    /* transmit engine: one slot (C) or one packet (C+) on the wire at a time */
    Timer tx_timer;
    uint64_t wire_free;
    int tx_slot; /* C: the slot on the wire, or -1 */
    bool tx_slot_ok;
    uint32_t tx_gen[4], tx_slot_gen; /* a TSD write starts a new request */
    bool tx_pending[4];
    int tx_next;  /* C: the slot the round robin looks at first */
    int tx_abort; /* C: the slot that last aborted, or -1 */
    CpTx cptx;

    Timer timer_int;
    Timer rx_wire; /* the receive side of the wire is free again */
    uint64_t rx_wire_free;
    Timer rx_poll;
    uint64_t rx_poll_ns;
    bool rx_blocked; /* frames wait for room and the driver was told (RXOVW/RDU) */
    uint64_t rx_active_ns; /* the last frame stored or CAPR write */

    uint8_t tx_buf[TX_BUF_MAX];
    uint8_t tx_seg[TX_FRAME_MAX + 64];
    uint8_t tx_frame[TX_BUF_MAX + 64];
    uint8_t rx_buf[RX_MAX_FRAME + 64];
} Rtl8139;

static bool cplus_tx(const Rtl8139 *s)
{
    return s->cplus_chip && (s->cpcr & CPCR_TXENB);
}

static bool cplus_rx(const Rtl8139 *s)
{
    return s->cplus_chip && (s->cpcr & CPCR_RXENB);
}

static uint16_t int_mask(const Rtl8139 *s)
{
    return s->cplus_chip ? INT_MASK_CPLUS : INT_MASK_C;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* The time a frame of len bytes (without FCS) occupies the wire. */
static uint64_t wire_ns(size_t len)
{
    return (uint64_t)((len < MIN_FRAME ? MIN_FRAME : len) + WIRE_OVERHEAD) * RTL_BYTE_NS;
}

/* ---- Interrupts */

static void update_irq(Rtl8139 *s)
{
    bool want = (s->isr & s->imr & int_mask(s)) != 0;
    if (want != s->irq) {
        s->irq = want;
        pci_set_irq(s->nic.pci, want);
    }
}

static void raise_int(Rtl8139 *s, uint16_t bits)
{
    s->isr |= bits & int_mask(s);
    update_irq(s);
}

static void count_missed(Rtl8139 *s)
{
    if (s->mpc < MPC_MAX)
        s->mpc++;
    if (s->tally.misspkt < UINT16_MAX)
        s->tally.misspkt++;
}

/* ---- Link */

static bool cable_up(const Rtl8139 *s)
{
    const NetClient *nc = s->nic.nc;
    return nc && !nc->link_down && !(nc->peer && nc->peer->link_down);
}

static void rx_maybe_flush(Rtl8139 *s);

static void link_update(Rtl8139 *s)
{
    bool up = cable_up(s);
    if (up == s->link)
        return;
    s->link = up;
    s->cscr_change = true;
    raise_int(s, INT_LINKCHG);
    if (up)
        rx_maybe_flush(s);
}

/* ---- TCTR and the TimeOut interrupt */

static uint64_t tctr_ticks(Rtl8139 *s)
{
    uint64_t now = clock_ns(s->m);
    return now > s->tctr_base ? (now - s->tctr_base) / RTL_PCI_CLOCK_NS : 0;
}

/* Arms the timer for the next time TCTR (32 bits, wrapping) equals TimerInt. */
static void timer_int_arm(Rtl8139 *s)
{
    timer_del(s->m, &s->timer_int);
    if (!s->timerint)
        return;
    uint64_t ticks = tctr_ticks(s);
    uint64_t target = (ticks & ~0xFFFFFFFFull) + s->timerint;
    if (target <= ticks)
        target += 1ull << 32;
    timer_mod(s->m, &s->timer_int, s->tctr_base + target * RTL_PCI_CLOCK_NS);
}

static void timer_int_fire(void *opaque)
{
    Rtl8139 *s = opaque;
    raise_int(s, INT_TIMEOUT);
    timer_int_arm(s);
}

/* ---- EEPROM (93C46, hw/eeprom93c.h): contents, the station address */

static void eeprom_init(Rtl8139 *s)
{
    eeprom93c_init(&s->ee, EE_WORDS, EE_ADDR_BITS);
    uint16_t *w = s->ee.data;
    w[0] = EE_ID;
    w[1] = RTL_VENDOR;
    w[2] = RTL_DEVICE;
    w[3] = RTL_VENDOR; /* subsystem */
    w[4] = RTL_DEVICE;
    w[5] = 0x4020; /* MAX_LAT 0x40, MIN_GNT 0x20 */
    for (int i = 0; i < 3; i++)
        w[EE_MAC_WORD + i] = (uint16_t)(s->nic.mac[2 * i] | s->nic.mac[2 * i + 1] << 8);
}

static void idr_load(Rtl8139 *s)
{
    for (int i = 0; i < 3; i++) {
        uint16_t w = s->ee.data[EE_MAC_WORD + i];
        s->idr[2 * i] = (uint8_t)w;
        s->idr[2 * i + 1] = (uint8_t)(w >> 8);
    }
}

/* ---- Receive */

/* What a frame is to the address filter. */
typedef enum { RXA_DROP, RXA_BCAST, RXA_MCAST, RXA_PHYS, RXA_OTHER } RxAddr;

/* The multicast hash: the top 6 bits of the Ethernet CRC of the address,
 * taken most significant bit first (bit n of MAR0-7 is byte n/8, bit n%8). */
static unsigned mc_hash(const uint8_t *dst)
{
    uint32_t c = ~(uint32_t)crc32(0L, dst, 6); /* the CRC register, bit-reflected */
    unsigned h = 0;
    for (int i = 0; i < 6; i++)
        h |= ((c >> i) & 1u) << (5 - i);
    return h;
}

static RxAddr rx_filter(const Rtl8139 *s, const uint8_t *f)
{
    static const uint8_t bcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (!memcmp(f, bcast, 6))
        return (s->rcr & RCR_AB) ? RXA_BCAST : RXA_DROP;
    if (f[0] & 1) {
        if (!(s->rcr & RCR_AM))
            return RXA_DROP;
        unsigned h = mc_hash(f);
        return (s->mar[h >> 3] >> (h & 7)) & 1 ? RXA_MCAST : RXA_DROP;
    }
    if (!memcmp(f, s->idr, 6))
        return (s->rcr & (RCR_APM | RCR_AAP)) ? RXA_PHYS : RXA_DROP;
    return (s->rcr & RCR_AAP) ? RXA_OTHER : RXA_DROP;
}

static void count_rx_ok(Rtl8139 *s, RxAddr a)
{
    s->tally.rxok++;
    if (a == RXA_PHYS)
        s->tally.rxokphy++;
    else if (a == RXA_BCAST)
        s->tally.rxokbrd++;
    else if (a == RXA_MCAST)
        s->tally.rxokmul++;
}

static uint32_t rx_ring_len(const Rtl8139 *s)
{
    return 8192u << ((s->rcr >> RCR_RBLEN_SHIFT) & 3);
}

/* Bytes of the C-mode ring holding packets the driver has not read. */
static uint32_t rx_ring_used(const Rtl8139 *s)
{
    uint32_t len = rx_ring_len(s);
    uint32_t rd = (uint16_t)(s->capr + RX_RING_PAD) % len, wr = s->cbr % len;
    return (wr + len - rd) % len;
}

/* The ring space a packet takes: header, frame and CRC, 4-byte aligned. */
static uint32_t rx_ring_need(size_t total)
{
    return (uint32_t)((4 + total + 3) & ~(size_t)3);
}

static bool rx_enabled(const Rtl8139 *s)
{
    return (s->cr & CR_RE) && s->link;
}

/* Whether the next C+ receive descriptor belongs to the chip (or cannot be
 * read: then frames are dropped rather than kept waiting for nothing). */
static bool cp_rx_room(Rtl8139 *s)
{
    uint8_t d[4];
    if (!dma_read(s->m, s->rdsar + 16ull * (s->cp_rx_idx % CP_RING_MAX), d, 4))
        return true;
    return (ld32le(d) & CP_OWN) != 0;
}

/* Room for a frame: a descriptor (C+), or the ring has room for the
 * shortest one (C; a longer one may still have to wait). */
static bool rx_room(Rtl8139 *s)
{
    if (cplus_rx(s))
        return cp_rx_room(s);
    return rx_ring_need(MIN_FRAME + FCS_LEN) < rx_ring_len(s) - rx_ring_used(s);
}

/* A frame that finds no room waits in the netdev queue instead of being
 * missed (MPC stays 0), and the chip tells the driver as it would tell it
 * about the next frame arriving at a full ring: with RXOVW ("ring
 * exhausted"; in C+ mode the bit is RDU, "no descriptor") when the driver
 * unmasks its receive interrupts (IMR) while frames wait without room, and
 * when the chip, looking again on the virtual clock (backing off from
 * 100 us to 10 ms), finds the driver has not read anything for 10 ms. (Linux's
 * 8139too only reads the ring when an RX bit is set: a NAPI poll that ends
 * on its budget would otherwise leave the ring full and frames waiting for
 * ever.) A driver that is reading is not interrupted. The C+ also reports
 * RDU when a stall begins, once until nothing waits any more. */
static void rx_poll_arm(Rtl8139 *s)
{
    if (s->rx_poll.pending)
        return;
    uint64_t ns = s->rx_poll_ns ? s->rx_poll_ns : RX_POLL_MIN_NS;
    s->rx_poll_ns = ns * 2 > RX_POLL_MAX_NS ? RX_POLL_MAX_NS : ns * 2;
    timer_mod(s->m, &s->rx_poll, clock_ns(s->m) + ns);
}

/* The first waiting frame finds no room (a frame too long to be taken
 * would just be dropped: it does not wait). */
static bool rx_head_waits(Rtl8139 *s)
{
    NetClient *nc = s->nic.nc;
    if (!nc || !nc->queue_head || !rx_enabled(s))
        return false;
    if (cplus_rx(s))
        return !cp_rx_room(s);
    size_t total = (nc->queue_head->len < MIN_FRAME ? MIN_FRAME : nc->queue_head->len) + FCS_LEN;
    return total <= RX_MAX_FRAME_C && rx_ring_need(total) >= rx_ring_len(s) - rx_ring_used(s);
}

static void rx_stall(Rtl8139 *s)
{
    if (cplus_rx(s) && !s->rx_blocked)
        raise_int(s, INT_RXOVW);
    s->rx_blocked = true;
    rx_poll_arm(s);
}

static void rx_poll_fire(void *opaque)
{
    Rtl8139 *s = opaque;
    NetClient *nc = s->nic.nc;
    if (!nc || !nc->queue_len || !rx_enabled(s)) {
        s->rx_poll_ns = 0; /* nothing waits, or a register write or the link brings it back */
        if (!nc || !nc->queue_len)
            s->rx_blocked = false;
        return;
    }
    int before = nc->queue_len;
    if (rx_room(s))
        net_flush_queue(nc);
    if (nc->queue_len < before) {
        if (nc->queue_len)
            rx_poll_arm(s);
        return;
    }
    if (clock_ns(s->m) - s->rx_active_ns >= RX_IDLE_NS)
        raise_int(s, INT_RXOVW); /* still no room, and the driver has stopped reading */
    s->rx_blocked = true;
    rx_poll_arm(s);
}

static bool rx_can_receive(NetClient *nc)
{
    Rtl8139 *s = nc->opaque;
    if (!rx_enabled(s))
        return false;
    if (clock_ns(s->m) < s->rx_wire_free) { /* the previous frame is still arriving */
        if (!s->rx_wire.pending)
            timer_mod(s->m, &s->rx_wire, s->rx_wire_free);
        return false;
    }
    if (rx_room(s))
        return true;
    rx_stall(s);
    return false;
}

static void rx_maybe_flush(Rtl8139 *s)
{
    if (s->nic.nc && rx_can_receive(s->nic.nc))
        net_flush_queue(s->nic.nc);
}

/* What receive returns for a frame stored or dropped: never 0, which means
 * "keep it for later". */
#define TAKEN(len) ((ssize_t)((len) ? (len) : 1))

/* The IPv4 header of a frame: its offset (after an 802.1Q tag, if any) and
 * length, when the whole header is there. */
static bool ipv4_header(const uint8_t *f, size_t len, size_t *l3, size_t *ihl)
{
    size_t off = 14;
    if (len < 14)
        return false;
    uint16_t type = ld16be(f + 12);
    if (type == 0x8100 && len >= 18) {
        type = ld16be(f + 16);
        off = 18;
    }
    if (type != 0x0800 || len < off + 20 || (f[off] >> 4) != 4)
        return false;
    size_t h = (size_t)(f[off] & 0xF) * 4;
    if (h < 20 || off + h > len)
        return false;
    *l3 = off;
    *ihl = h;
    return true;
}

/* The TCP/UDP checksum of an IPv4 datagram (pseudo header included). */
static uint16_t l4_sum(const uint8_t *ip, const uint8_t *l4, size_t l4len, uint8_t proto)
{
    uint32_t sum = net_csum_add(0, ip + 12, 8);
    sum += proto + (uint32_t)l4len;
    return net_csum_fold(net_csum_add(sum, l4, l4len));
}

/* C+ receive checksum offload: the protocol ID and the failure bits. The
 * lengths come from the frame; a datagram claiming more than it has is
 * only "IP". */
static uint32_t cp_rx_csum(const uint8_t *f, size_t len)
{
    size_t l3, ihl;
    if (!ipv4_header(f, len, &l3, &ihl))
        return 0;
    const uint8_t *ip = f + l3;
    uint32_t st = CP_RX_PID_IP << CP_RX_PID_SHIFT;
    if (net_csum_fold(net_csum_add(0, ip, ihl)) != 0xFFFF)
        st |= CP_RX_IPF;
    size_t tot = ld16be(ip + 2);
    if (tot < ihl || l3 + tot > len || (ld16be(ip + 6) & 0x3FFF))
        return st; /* truncated, or a fragment: the TCP/UDP sum cannot be checked */
    const uint8_t *l4 = ip + ihl;
    size_t l4len = tot - ihl;
    if (ip[9] == 6 && l4len >= 20) {
        st = CP_RX_PID_TCP << CP_RX_PID_SHIFT | (st & CP_RX_IPF);
        if (l4_sum(ip, l4, l4len, 6) != 0xFFFF)
            st |= CP_RX_TCPF;
    } else if (ip[9] == 17 && l4len >= 8) {
        st = CP_RX_PID_UDP << CP_RX_PID_SHIFT | (st & CP_RX_IPF);
        if (ld16be(l4 + 6) && l4_sum(ip, l4, l4len, 17) != 0xFFFF)
            st |= CP_RX_UDPF;
    }
    return st;
}

/* C mode: the packet (header + frame + CRC, `total` bytes with the CRC, in
 * rx_buf from offset 0) into the ring at CBR. */
static ssize_t rx_c(Rtl8139 *s, size_t flen, size_t in_len, uint16_t status, RxAddr a, bool loop)
{
    uint32_t ring = rx_ring_len(s);
    size_t total = flen + FCS_LEN;
    uint32_t need = rx_ring_need(total);
    if (need >= ring) { /* can never fit this ring */
        count_missed(s);
        raise_int(s, INT_RXOVW);
        return TAKEN(in_len);
    }
    if (need >= ring - rx_ring_used(s)) {
        if (!loop) {
            rx_stall(s);
            return 0; /* waits for the driver to make room */
        }
        count_missed(s);
        raise_int(s, INT_RXOVW);
        return TAKEN(in_len);
    }
    uint8_t *p = s->rx_buf;
    st16le(p, status);
    st16le(p + 2, (uint16_t)total);
    uint32_t off = s->cbr % ring, n = (uint32_t)(4 + total);
    bool ok;
    if (off + n <= ring || ((s->rcr & RCR_WRAP) && ring < 65536)) {
        ok = dma_write(s->m, (uint64_t)s->rbstart + off, p, n); /* WRAP: runs on past the end */
    } else {
        uint32_t first = ring - off;
        ok = dma_write(s->m, (uint64_t)s->rbstart + off, p, first) &&
             dma_write(s->m, s->rbstart, p + first, n - first);
    }
    if (!ok) {
        count_missed(s);
        raise_int(s, INT_SERR);
        return TAKEN(in_len);
    }
    s->cbr = (uint16_t)((off + need) % ring);
    s->rx_poll_ns = 0;
    s->rx_active_ns = clock_ns(s->m);
    count_rx_ok(s, a);
    raise_int(s, INT_ROK);
    return TAKEN(in_len);
}

/* C+ mode: the frame (flen bytes + CRC in rx_buf from offset 4) into the
 * buffers of as many descriptors as it takes, from the current one. */
static ssize_t rx_cplus(Rtl8139 *s, size_t flen, size_t in_len, uint32_t status, uint32_t opts2,
                        RxAddr a, bool loop)
{
    uint8_t *f = s->rx_buf + 4;
    size_t total = flen + FCS_LEN;
    struct {
        uint64_t addr;
        uint32_t opts1, idx;
    } d[CP_RING_MAX];
    int n = 0;
    uint32_t start = s->cp_rx_idx % CP_RING_MAX, idx = start;
    uint64_t seen = 0; /* each descriptor once: the driver may have moved EOR before start */
    size_t left = total;
    while (left && n < CP_RING_MAX) {
        uint8_t raw[16];
        if (!dma_read(s->m, s->rdsar + 16ull * idx, raw, 16)) {
            count_missed(s);
            raise_int(s, INT_SERR);
            return TAKEN(in_len);
        }
        uint32_t o1 = ld32le(raw);
        if (!(o1 & CP_OWN)) { /* descriptor unavailable */
            if (loop) {
                raise_int(s, INT_RXOVW);
                count_missed(s);
                return TAKEN(in_len);
            }
            rx_stall(s);
            return 0;
        }
        uint32_t size = o1 & CP_RX_BUF_MASK;
        d[n].addr = ld64le(raw + 8);
        d[n].opts1 = o1;
        d[n].idx = idx;
        n++;
        seen |= 1ull << idx;
        left -= size < left ? size : left;
        idx = (o1 & CP_EOR) || idx == CP_RING_MAX - 1 ? 0 : idx + 1;
        if (seen >> idx & 1)
            break; /* the whole ring */
    }
    if (left) { /* more than the whole ring holds: it never fits */
        count_missed(s);
        raise_int(s, INT_RXOVW);
        return TAKEN(in_len);
    }
    size_t off = 0;
    bool ok = true;
    for (int i = 0; i < n; i++) {
        size_t size = d[i].opts1 & CP_RX_BUF_MASK;
        size_t chunk = total - off < size ? total - off : size;
        if (chunk && !dma_write(s->m, d[i].addr, f + off, chunk))
            ok = false;
        off += chunk;
        bool last = i == n - 1;
        uint32_t o1 = (d[i].opts1 & CP_EOR) | (i == 0 ? CP_FS : 0);
        if (last)
            o1 |= CP_LS | status | (uint32_t)total | (ok ? 0 : CP_RX_RES);
        else
            o1 |= (uint32_t)chunk;
        uint8_t wb[8];
        st32le(wb, o1);
        st32le(wb + 4, last ? opts2 : 0);
        uint64_t at = s->rdsar + 16ull * d[i].idx;
        dma_write(s->m, at + 4, wb + 4, 4);
        dma_write(s->m, at, wb, 4);
    }
    s->cp_rx_idx = idx;
    s->rx_poll_ns = 0;
    s->rx_active_ns = clock_ns(s->m);
    if (!ok) {
        s->tally.rxerr++;
        raise_int(s, INT_RER | INT_SERR);
        return TAKEN(in_len);
    }
    count_rx_ok(s, a);
    raise_int(s, INT_ROK);
    return TAKEN(in_len);
}

/* A frame from the wire (len without FCS), or from our own transmitter in
 * loopback. Returns TAKEN(len) when it was stored or dropped, 0 when it must
 * wait for room. */
static ssize_t rx_frame(Rtl8139 *s, const uint8_t *buf, size_t len, bool loop)
{
    if (!(s->cr & CR_RE) || (!loop && !s->link))
        return loop ? TAKEN(len) : 0;
    if (len + FCS_LEN > RX_MAX_FRAME) { /* too long for the length fields */
        s->tally.rxerr++;
        return TAKEN(len);
    }
    /* rx_buf: a 4-byte C-mode header, the frame padded to 60 bytes, its CRC */
    uint8_t *f = s->rx_buf + 4;
    memcpy(f, buf, len);
    size_t flen = len;
    if (flen < MIN_FRAME) {
        memset(f + flen, 0, MIN_FRAME - flen);
        flen = MIN_FRAME;
    }
    RxAddr a = rx_filter(s, f);
    if (a == RXA_DROP)
        return TAKEN(len);

    if (!cplus_rx(s)) {
        if (flen + FCS_LEN > RX_MAX_FRAME_C) {
            s->tally.rxerr++;
            return TAKEN(len);
        }
        uint32_t crc = (uint32_t)crc32(0L, f, (uInt)flen);
        st32le(f + flen, crc);
        uint16_t st = RSR_ROK;
        st |= a == RXA_BCAST ? RSR_BAR : a == RXA_MCAST ? RSR_MAR : a == RXA_PHYS ? RSR_PAM : 0;
        return rx_c(s, flen, len, st, a, loop);
    }

    uint32_t opts2 = 0;
    if ((s->cpcr & CPCR_RXVLAN) && ld16be(f + 12) == 0x8100 && flen >= 18) {
        uint16_t tci = ld16be(f + 14);
        opts2 = CP_RX_TAVA | (uint16_t)(tci >> 8 | tci << 8); /* in wire order */
        memmove(f + 12, f + 16, flen - 16);
        flen -= 4;
    }
    uint32_t st = a == RXA_BCAST ? CP_RX_BAR : a == RXA_MCAST ? CP_RX_MAR : a == RXA_PHYS ? CP_RX_PAM : 0;
    if (s->cpcr & CPCR_RXCHKSUM)
        st |= cp_rx_csum(f, flen);
    uint32_t crc = (uint32_t)crc32(0L, f, (uInt)flen);
    st32le(f + flen, crc);
    return rx_cplus(s, flen, len, st, opts2, a, loop);
}

/* A frame from the peer: once it is taken (stored or dropped), the wire
 * is busy for its wire time. */
static ssize_t nic_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    Rtl8139 *s = nc->opaque;
    if (!nc->queue_len)
        s->rx_blocked = false; /* nothing was waiting: a stall is over */
    ssize_t r = rx_frame(s, buf, len, false);
    if (r)
        s->rx_wire_free = max_u64(s->rx_wire_free, clock_ns(s->m)) + wire_ns(len);
    return r;
}

static void rx_wire_fire(void *opaque)
{
    rx_maybe_flush(opaque);
}

/* ---- Transmit */

/* One frame on the wire: the VLAN tag (C+), wire time, then the peer, or our
 * own receiver in loopback. */
static void tx_emit(Rtl8139 *s, const uint8_t *f, size_t len, bool tag, uint32_t opts2)
{
    const uint8_t *out = f;
    if (tag && len >= 12) {
        uint8_t *t = s->tx_frame;
        memcpy(t, f, 12);
        st16be(t + 12, 0x8100);
        t[14] = (uint8_t)opts2; /* the tag as the driver wrote it: wire order */
        t[15] = (uint8_t)(opts2 >> 8);
        memcpy(t + 16, f + 12, len - 12);
        out = t;
        len += 4;
    }
    if (!len)
        return; /* an empty packet: nothing goes on the wire */
    s->wire_free = max_u64(s->wire_free, clock_ns(s->m)) + wire_ns(len);
    s->tally.txok++;
    if (s->tcr & TCR_LBK)
        rx_frame(s, out, len, true);
    else if (s->link && s->nic.nc)
        net_send(s->nic.nc, out, len);
}

static void tx_arm_completion(Rtl8139 *s)
{
    timer_mod(s->m, &s->tx_timer, max_u64(s->wire_free, clock_ns(s->m)));
}

/* C mode: the next slot the driver handed over, round robin. */
static void tx_c_kick(Rtl8139 *s)
{
    if (s->tx_timer.pending || cplus_tx(s) || !(s->cr & CR_TE))
        return;
    for (int k = 0; k < 4; k++) {
        int i = (s->tx_next + k) & 3;
        if (!s->tx_pending[i])
            continue;
        uint32_t size = s->tsd[i] & TSD_SIZE;
        s->tx_slot = i;
        s->tx_slot_gen = s->tx_gen[i];
        s->tx_slot_ok = !size || dma_read(s->m, s->tsad[i], s->tx_buf, size);
        s->tsd[i] |= TSD_OWN; /* the DMA is over: the buffer is the host's again */
        if (s->tx_slot_ok)
            tx_emit(s, s->tx_buf, size, false, 0);
        else
            raise_int(s, INT_SERR);
        tx_arm_completion(s);
        return;
    }
}

static void tx_c_done(Rtl8139 *s)
{
    int i = s->tx_slot;
    s->tx_slot = -1;
    if (s->tx_gen[i] != s->tx_slot_gen)
        return; /* TSD was written again meanwhile: that is a new request */
    s->tx_pending[i] = false;
    s->tx_next = (i + 1) & 3;
    if (s->tx_slot_ok) {
        s->tsd[i] |= TSD_TOK | (s->link ? 0 : TSD_CRS);
        raise_int(s, INT_TOK);
    } else {
        s->tsd[i] |= TSD_TABT;
        s->tx_abort = i;
        s->tally.txerr++;
        if (s->tally.txabt < UINT16_MAX)
            s->tally.txabt++;
        raise_int(s, INT_TER);
    }
}

static void tsd_write(Rtl8139 *s, int i, uint32_t val, uint32_t mask)
{
    if (!(mask & 0xFFFF))
        return; /* the size and OWN are what start a transmit */
    uint32_t wm = TSD_WMASK & mask;
    s->tsd[i] = (s->tsd[i] & ~wm & ~(TSD_CRS | TSD_TABT | TSD_OWC | TSD_CDH | 0x0F000000u |
                                     TSD_TOK | TSD_TUN)) |
                (val & wm);
    s->tx_gen[i]++;
    s->tx_pending[i] = !(s->tsd[i] & TSD_OWN);
    tx_c_kick(s);
}

/* TCR.CLRABT: the aborted slot goes again. */
static void tx_clear_abort(Rtl8139 *s)
{
    int i = s->tx_abort;
    if (i < 0 || !(s->tsd[i] & TSD_TABT))
        return;
    s->tx_abort = -1;
    s->tsd[i] &= ~(TSD_TABT | TSD_OWN);
    s->tx_gen[i]++;
    s->tx_pending[i] = true;
    tx_c_kick(s);
}

/* C+: IPv4 header and TCP/UDP checksum insertion, within the frame's bytes. */
static void cp_tx_checksum(uint8_t *f, size_t len, uint32_t opts1)
{
    size_t l3, ihl;
    if (!ipv4_header(f, len, &l3, &ihl))
        return;
    uint8_t *ip = f + l3;
    if (opts1 & CP_TX_IPCS) {
        st16be(ip + 10, 0);
        st16be(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, ihl)));
    }
    size_t tot = ld16be(ip + 2);
    if (tot < ihl || l3 + tot > len || (ld16be(ip + 6) & 0x3FFF))
        return; /* a datagram claiming bytes it does not have, or a fragment */
    uint8_t *l4 = ip + ihl;
    size_t l4len = tot - ihl, at;
    if ((opts1 & CP_TX_TCPCS) && ip[9] == 6 && l4len >= 20)
        at = 16;
    else if ((opts1 & CP_TX_UDPCS) && ip[9] == 17 && l4len >= 8)
        at = 6;
    else
        return;
    st16be(l4 + at, 0);
    uint16_t c = (uint16_t)~l4_sum(ip, l4, l4len, ip[9]);
    if (ip[9] == 17 && c == 0)
        c = 0xFFFF;
    st16be(l4 + at, c);
}

/* C+ large send: the TCP/IPv4 packet cut into segments of MSS payload
 * bytes, each with its own IP length, ID and checksum and TCP sequence
 * number, flags and checksum. The header lengths come from the headers and
 * must lie inside the packet; the payload is what follows them. */
static bool cp_tx_tso(Rtl8139 *s, const uint8_t *p, size_t len, uint32_t opts1, bool tag,
                      uint32_t opts2)
{
    size_t mss = (opts1 >> CP_TX_MSS_SHIFT) & CP_TX_MSS_MASK, l3, ihl;
    if (!mss || !ipv4_header(p, len, &l3, &ihl) || p[l3 + 9] != 6 || l3 + ihl + 20 > len)
        return false;
    size_t thl = (size_t)(p[l3 + ihl + 12] >> 4) * 4, hdr = l3 + ihl + thl;
    if (thl < 20 || hdr > len)
        return false;
    if (hdr + mss > TX_FRAME_MAX)
        mss = TX_FRAME_MAX - hdr;
    size_t payload = len - hdr, off = 0;
    uint16_t id = ld16be(p + l3 + 4);
    uint32_t seq = ld32be(p + l3 + ihl + 4);
    unsigned nseg = 0;
    do {
        size_t seg = payload - off < mss ? payload - off : mss;
        bool last = off + seg >= payload;
        uint8_t *f = s->tx_seg, *ip = f + l3, *tcp = ip + ihl;
        memcpy(f, p, hdr);
        memcpy(f + hdr, p + hdr + off, seg);
        st16be(ip + 2, (uint16_t)(ihl + thl + seg));
        st16be(ip + 4, (uint16_t)(id + nseg));
        st16be(ip + 10, 0);
        st16be(ip + 10, (uint16_t)~net_csum_fold(net_csum_add(0, ip, ihl)));
        st32be(tcp + 4, seq + (uint32_t)off);
        if (!last)
            tcp[13] &= (uint8_t)~0x09; /* FIN and PSH only in the last segment */
        if (nseg)
            tcp[13] &= (uint8_t)~0x80; /* CWR only in the first */
        st16be(tcp + 16, 0);
        st16be(tcp + 16, (uint16_t)~l4_sum(ip, tcp, thl + seg, 6));
        tx_emit(s, f, hdr + seg, tag, opts2);
        off += seg;
        nseg++;
    } while (off < payload);
    return true;
}

/* C+: one packet gathered from the ring onto the wire. Returns false when
 * the ring has nothing (complete) for the chip. */
static bool cp_tx_packet(Rtl8139 *s, int ring)
{
    CpTx *p = &s->cptx;
    uint64_t base = ring == TX_HIGH ? s->thpds : s->tnpds;
    uint32_t start = s->cp_tx_idx[ring] % CP_RING_MAX, idx = start;
    uint32_t first = 0, opts2 = 0;
    uint64_t seen = 0; /* each descriptor once: the driver may have moved EOR before start */
    size_t len = 0;
    bool ended = false;
    p->n = 0;
    p->bad = false;
    while (p->n < CP_RING_MAX) {
        uint8_t d[16];
        if (!dma_read(s->m, base + 16ull * idx, d, 16)) {
            raise_int(s, INT_SERR);
            return false; /* a ring outside RAM: stop until polled again */
        }
        uint32_t o1 = ld32le(d);
        if (!(o1 & CP_OWN))
            return false; /* nothing more, or the rest of the packet is not there yet */
        if (p->n == 0) {
            first = o1;
            opts2 = ld32le(d + 4);
            if (!(o1 & CP_FS))
                p->bad = true;
        } else if (o1 & CP_FS) {
            p->bad = true; /* a new packet before this one's last segment */
        }
        p->idx[p->n] = idx;
        p->opts1[p->n] = o1;
        p->n++;
        seen |= 1ull << idx;
        size_t blen = o1 & CP_TX_LEN_MASK;
        if (!p->bad && blen) {
            if (blen > TX_BUF_MAX - len || !dma_read(s->m, ld64le(d + 8), s->tx_buf + len, blen))
                p->bad = true;
            else
                len += blen;
        }
        idx = (o1 & CP_EOR) || idx == CP_RING_MAX - 1 ? 0 : idx + 1;
        if (o1 & CP_LS) {
            ended = true;
            break;
        }
        if (seen >> idx & 1)
            break; /* round the whole ring without an end */
    }
    if (!ended)
        p->bad = true; /* a chain that never ends: dropped, its descriptors returned */
    s->cp_tx_idx[ring] = idx;
    p->active = true;
    p->ring = ring;
    p->base = base;
    if (!p->bad) {
        bool tag = (opts2 & CP_TX_TAGC) != 0;
        if (first & CP_TX_LGSEN) {
            p->bad = !cp_tx_tso(s, s->tx_buf, len, first, tag, opts2);
        } else if (len > TX_FRAME_MAX) {
            p->bad = true;
        } else {
            if (first & (CP_TX_IPCS | CP_TX_UDPCS | CP_TX_TCPCS))
                cp_tx_checksum(s->tx_buf, len, first);
            tx_emit(s, s->tx_buf, len, tag, opts2);
        }
    }
    tx_arm_completion(s);
    return true;
}

static void cp_tx_done(Rtl8139 *s);

/* Whether the next descriptor of a ring belongs to the chip. */
static bool cp_tx_ready(Rtl8139 *s, int ring)
{
    uint64_t base = ring == TX_HIGH ? s->thpds : s->tnpds;
    uint8_t d[4];
    return dma_read(s->m, base + 16ull * (s->cp_tx_idx[ring] % CP_RING_MAX), d, 4) &&
           (ld32le(d) & CP_OWN);
}

/* The polled rings, from where the chip is. A packet is complete (its
 * descriptors back, TOK) when the chip has taken it, and a ring with
 * nothing more for the chip reports TDU then too: the interrupts of a
 * transmission the driver starts arrive while the driver is starting it.
 * The wire's time only delays the next packet (tx_timer): only a backlog
 * of packets completes later, one by one. (Linux's 8139cp re-enables its
 * receive interrupts after napi_complete_done without its lock; a transmit
 * interrupt arriving between the two schedules NAPI and masks them, and
 * the poll's own unmasking then leaves a receive bit asserted that nothing
 * acknowledges: the interrupt handler runs for ever. A completion late by
 * the wire time, at any instruction, hit that window within seconds.) */
static void cp_tx_kick(Rtl8139 *s)
{
    if (s->tx_timer.pending || !cplus_tx(s) || !(s->cr & CR_TE))
        return;
    bool took = false;
    for (;;) {
        int ring = (s->tppoll & TPPOLL_HPQ) ? TX_HIGH : (s->tppoll & TPPOLL_NPQ) ? TX_NORMAL : -1;
        if (ring < 0)
            return;
        if (!took && cp_tx_packet(s, ring)) {
            cp_tx_done(s);
            took = true;
            continue; /* the next one waits for the wire, unless there is none */
        }
        if (took && cp_tx_ready(s, ring))
            return; /* more on the ring: taken when the wire is free */
        s->tppoll &= (uint8_t)~(ring == TX_HIGH ? TPPOLL_HPQ : TPPOLL_NPQ);
        raise_int(s, INT_TDU);
    }
}

/* The packet is taken: its descriptors go back to the driver. */
static void cp_tx_done(Rtl8139 *s)
{
    CpTx *p = &s->cptx;
    p->active = false;
    for (int i = 0; i < p->n; i++) {
        uint32_t o1 = p->opts1[i] & (CP_EOR | CP_FS | CP_LS | CP_TX_LEN_MASK);
        if (p->bad && ((o1 & CP_LS) || i == p->n - 1))
            o1 |= CP_TX_ES;
        uint8_t wb[4];
        st32le(wb, o1);
        dma_write(s->m, p->base + 16ull * p->idx[i], wb, 4);
    }
    if (p->bad) {
        s->tally.txerr++;
        raise_int(s, INT_TER);
    } else {
        raise_int(s, INT_TOK);
    }
}

static void tx_done(void *opaque)
{
    Rtl8139 *s = opaque;
    if (s->cptx.active)
        cp_tx_done(s);
    else if (s->tx_slot >= 0)
        tx_c_done(s);
    tx_c_kick(s);
    cp_tx_kick(s);
}

static void tx_kick(Rtl8139 *s)
{
    tx_c_kick(s);
    cp_tx_kick(s);
}

/* ---- Dump-tally counters (C+) */

static void tally_dump(Rtl8139 *s)
{
    const Tally *t = &s->tally;
    uint8_t b[TALLY_SIZE];
    st64le(b + TALLY_TXOK, t->txok);
    st64le(b + TALLY_RXOK, t->rxok);
    st64le(b + TALLY_TXERR, t->txerr);
    st32le(b + TALLY_RXERR, t->rxerr);
    st16le(b + TALLY_MISSPKT, t->misspkt);
    st16le(b + TALLY_FAE, t->fae);
    st32le(b + TALLY_TX1COL, t->tx1col);
    st32le(b + TALLY_TXMCOL, t->txmcol);
    st64le(b + TALLY_RXOKPHY, t->rxokphy);
    st64le(b + TALLY_RXOKBRD, t->rxokbrd);
    st32le(b + TALLY_RXOKMUL, t->rxokmul);
    st16le(b + TALLY_TXABT, t->txabt);
    st16le(b + TALLY_TXUNDRN, t->txundrn);
    if (!dma_write(s->m, s->dtccr & DTCCR_ADDR_MASK, b, sizeof b))
        raise_int(s, INT_SERR);
    s->dtccr &= ~(uint64_t)DTCCR_CMD; /* done */
}

/* ---- Reset */

static void rx_ring_reset(Rtl8139 *s)
{
    s->capr = CAPR_RESET;
    s->cbr = 0;
}

/* CR.RST: transmitter and receiver off, FIFOs and buffer pointers back to
 * their start, interrupts cleared; IDR, MAR and the PCI configuration stay. */
static void soft_reset(Rtl8139 *s)
{
    timer_del(s->m, &s->tx_timer);
    timer_del(s->m, &s->rx_poll);
    s->rx_poll_ns = 0;
    s->rx_blocked = false;
    timer_del(s->m, &s->rx_wire);
    s->rx_wire_free = 0;
    s->cr = 0;
    s->imr = s->isr = 0;
    for (int i = 0; i < 4; i++) {
        s->tsd[i] = TSD_OWN;
        s->tx_pending[i] = false;
        s->tx_gen[i]++;
    }
    s->tx_slot = -1;
    s->tx_next = 0;
    s->tx_abort = -1;
    s->cptx.active = false;
    s->wire_free = clock_ns(s->m);
    rx_ring_reset(s);
    s->tcr = s->cplus_chip ? TCR_HWVERID_CPLUS : TCR_HWVERID_C;
    s->rcr = 0;
    s->mpc = 0;
    s->cpcr = 0;
    s->tppoll = 0;
    s->cp_tx_idx[0] = s->cp_tx_idx[1] = 0;
    s->cp_rx_idx = 0;
    update_irq(s);
}

/* Power-on state (and the machine's reset). The EEPROM keeps its contents. */
static void rtl_reset(void *opaque)
{
    Rtl8139 *s = opaque;
    timer_del(s->m, &s->timer_int);
    soft_reset(s);
    idr_load(s);
    memset(s->mar, 0, sizeof s->mar);
    memset(s->tsad, 0, sizeof s->tsad);
    memset(s->wake, 0, sizeof s->wake);
    s->rbstart = 0;
    s->timerint = 0;
    s->tctr_base = clock_ns(s->m);
    s->r9346 = 0;
    s->config1 = 0x0C; /* registers mapped in I/O and memory space */
    s->config3 = s->config4 = s->config5 = 0;
    s->msr = 0;
    s->mulint = 0;
    s->bmcr = BMCR_SPD100 | BMCR_ANE | BMCR_FDX;
    s->anar = ANAR_DEFAULT;
    s->nwaytr = 0;
    s->cscr = 0;
    s->cscr_change = false;
    s->phy1_parm = s->tw_parm = 0;
    s->phy2_parm = 0;
    s->intrmit = 0;
    s->etthr = 0;
    s->dtccr = s->tnpds = s->thpds = s->rdsar = 0;
    memset(&s->tally, 0, sizeof s->tally);
    eeprom93c_pins(&s->ee, false, false, false);
    s->link = cable_up(s);
}

/* ---- Registers */

/* The register a byte offset belongs to: its first byte and width. */
typedef struct Span {
    unsigned base, width;
} Span;

static Span span_of(unsigned off)
{
    if ((off >= 0x10 && off < 0x34) || (off >= 0x40 && off < 0x50) || (off >= 0x54 && off < 0x58) ||
        (off >= 0x78 && off < 0x80) || (off >= 0xE4 && off < 0xEC))
        return (Span){off & ~3u, 4};
    if ((off >= 0x34 && off < 0x36) || (off >= 0x38 && off < 0x40) || (off >= 0x5C && off < 0x5E) ||
        (off >= 0x60 && off < 0x78) || (off >= 0xE0 && off < 0xE4))
        return (Span){off & ~1u, 2};
    return (Span){off, 1};
}

static uint16_t tsad_all(const Rtl8139 *s)
{
    uint16_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (s->tsd[i] & TSD_TOK)
            v |= (uint16_t)(0x1000 << i);
        if (s->tsd[i] & TSD_TUN)
            v |= (uint16_t)(0x0100 << i);
        if (s->tsd[i] & TSD_TABT)
            v |= (uint16_t)(0x0010 << i);
        if (s->tsd[i] & TSD_OWN)
            v |= (uint16_t)(0x0001 << i);
    }
    return v;
}

static uint8_t r9346_read(const Rtl8139 *s)
{
    uint8_t v = s->r9346;
    if ((v & EEM_MASK) == EEM_PROGRAM && s->ee.cs && eeprom93c_dout(&s->ee))
        v |= EE_DO;
    return v;
}

static uint8_t msr_read(const Rtl8139 *s)
{
    bool speed100 = (s->bmcr & BMCR_ANE) || (s->bmcr & BMCR_SPD100);
    return (uint8_t)((s->msr & MSR_TXFCE) | MSR_AUX | (speed100 ? 0 : MSR_SPEED10) |
                     (s->link ? 0 : MSR_LINKB));
}

/* The value of the register starting at base, without side effects. */
static uint32_t reg_value(Rtl8139 *s, unsigned base)
{
    bool an_link = s->link && (s->bmcr & BMCR_ANE);
    if (base < 6)
        return s->idr[base];
    if (base >= RTL_MAR0 && base < RTL_MAR0 + 8)
        return s->mar[base - RTL_MAR0];
    if (base >= RTL_WAKEUP_FIRST && base < RTL_CONFIG5)
        return s->wake[base - RTL_WAKEUP_FIRST];
    if (base >= RTL_TSD0 && base < RTL_RBSTART) {
        if (cplus_tx(s)) {
            switch (base) {
            case RTL_DTCCR:
                return (uint32_t)s->dtccr;
            case RTL_DTCCR + 4:
                return (uint32_t)(s->dtccr >> 32);
            case RTL_TNPDS:
                return (uint32_t)s->tnpds;
            case RTL_TNPDS + 4:
                return (uint32_t)(s->tnpds >> 32);
            case RTL_THPDS:
                return (uint32_t)s->thpds;
            case RTL_THPDS + 4:
                return (uint32_t)(s->thpds >> 32);
            default:
                return 0;
            }
        }
        return base < RTL_TSAD0 ? s->tsd[(base - RTL_TSD0) / 4] : s->tsad[(base - RTL_TSAD0) / 4];
    }
    switch (base) {
    case RTL_RBSTART:
        return s->rbstart;
    case RTL_CR:
        return s->cr | (!cplus_rx(s) && rx_ring_used(s) == 0 ? CR_BUFE : 0);
    case RTL_CAPR:
        return s->capr;
    case RTL_CBR:
        return s->cbr;
    case RTL_IMR:
        return s->imr;
    case RTL_ISR:
        return s->isr;
    case RTL_TCR:
        return s->tcr;
    case RTL_RCR:
        return s->rcr;
    case RTL_TCTR:
        return (uint32_t)tctr_ticks(s);
    case RTL_MPC:
        return s->mpc;
    case RTL_9346CR:
        return r9346_read(s);
    case RTL_CONFIG1:
        return s->config1;
    case RTL_TIMERINT:
        return s->timerint;
    case RTL_MSR:
        return msr_read(s);
    case RTL_CONFIG3:
        return s->config3;
    case RTL_CONFIG4:
        return s->config4;
    case RTL_MULINT:
        return s->mulint;
    case RTL_RERID:
        return s->rev;
    case RTL_TSAD_ALL:
        return tsad_all(s);
    case RTL_BMCR:
        return s->bmcr;
    case RTL_BMSR:
        return BMSR_CAPS | (s->link ? BMSR_LINK : 0) | (an_link ? BMSR_ANC : 0);
    case RTL_ANAR:
        return s->anar;
    case RTL_ANLPAR:
        return an_link ? ANLPAR_PARTNER : 0;
    case RTL_ANER:
        return an_link ? 1 : 0;
    case RTL_NWAYTR:
        return s->nwaytr;
    case RTL_CSCR:
        return (s->cscr & ~(CSCR_LINK_OK | CSCR_LINK_CHANGE)) | (s->link ? CSCR_LINK_OK : 0) |
               (s->cscr_change ? CSCR_LINK_CHANGE : 0);
    case RTL_PHY1_PARM:
        return s->phy1_parm;
    case RTL_TW_PARM:
        return s->tw_parm;
    case RTL_PHY2_PARM:
        return s->phy2_parm;
    case RTL_CONFIG5:
        return s->config5;
    default:
        break;
    }
    if (!s->cplus_chip)
        return 0;
    switch (base) {
    case RTL_TPPOLL:
        return s->tppoll & (TPPOLL_HPQ | TPPOLL_NPQ);
    case RTL_CPCR:
        return s->cpcr;
    case RTL_INTRMIT:
        return s->intrmit;
    case RTL_RDSAR:
        return (uint32_t)s->rdsar;
    case RTL_RDSAR + 4:
        return (uint32_t)(s->rdsar >> 32);
    case RTL_ETTHR:
        return s->etthr;
    default:
        return 0; /* reserved, counters that never count */
    }
}

static uint32_t merge(uint32_t old, uint32_t val, uint32_t mask)
{
    return (old & ~mask) | (val & mask);
}

static uint64_t merge64(uint64_t old, uint32_t val, uint32_t mask, bool high)
{
    int sh = high ? 32 : 0;
    return (old & ~((uint64_t)mask << sh)) | ((uint64_t)(val & mask) << sh);
}

static bool config_unlocked(const Rtl8139 *s)
{
    return (s->r9346 & EEM_MASK) == EEM_CONFIG;
}

static void r9346_write(Rtl8139 *s, uint8_t val)
{
    s->r9346 = val & (EEM_MASK | EE_CS | EE_SK | EE_DI);
    switch (val & EEM_MASK) {
    case EEM_AUTOLOAD: /* the station address from the EEPROM, then normal mode */
        idr_load(s);
        s->r9346 &= (uint8_t)~EEM_MASK;
        eeprom93c_pins(&s->ee, false, false, false);
        break;
    case EEM_PROGRAM:
        eeprom93c_pins(&s->ee, val & EE_CS, val & EE_SK, val & EE_DI);
        break;
    default:
        eeprom93c_pins(&s->ee, false, false, false);
        break;
    }
}

static void cpcr_write(Rtl8139 *s, uint16_t val)
{
    uint16_t old = s->cpcr;
    s->cpcr = val & CPCR_WMASK;
    if ((s->cpcr & CPCR_TXENB) && !(old & CPCR_TXENB))
        s->cp_tx_idx[0] = s->cp_tx_idx[1] = 0;
    if ((s->cpcr & CPCR_RXENB) && !(old & CPCR_RXENB))
        s->cp_rx_idx = 0;
    tx_kick(s);
    rx_maybe_flush(s);
}

static void cr_write(Rtl8139 *s, uint8_t val)
{
    if (val & CR_RST) {
        soft_reset(s);
        return;
    }
    uint8_t old = s->cr;
    s->cr = val & (CR_RE | CR_TE);
    if ((old & CR_RE) && !(s->cr & CR_RE)) { /* the receiver starts over */
        rx_ring_reset(s);
        s->cp_rx_idx = 0;
    }
    if ((old & CR_TE) && !(s->cr & CR_TE))
        s->cp_tx_idx[0] = s->cp_tx_idx[1] = 0;
    tx_kick(s);
    rx_maybe_flush(s);
}

/* A write of the bytes in mask (bit mask over the value) to the register at base. */
static void reg_write(Rtl8139 *s, unsigned base, uint32_t val, uint32_t mask)
{
    if (base < 6) {
        s->idr[base] = (uint8_t)val;
        return;
    }
    if (base >= RTL_MAR0 && base < RTL_MAR0 + 8) {
        s->mar[base - RTL_MAR0] = (uint8_t)val;
        return;
    }
    if (base >= RTL_WAKEUP_FIRST && base < RTL_CONFIG5) {
        s->wake[base - RTL_WAKEUP_FIRST] = (uint8_t)val;
        return;
    }
    if (base >= RTL_TSD0 && base < RTL_RBSTART) {
        if (cplus_tx(s)) {
            switch (base) {
            case RTL_DTCCR:
                s->dtccr = merge64(s->dtccr, val, mask, false);
                if ((mask & DTCCR_CMD) && (val & DTCCR_CMD))
                    tally_dump(s);
                break;
            case RTL_DTCCR + 4:
                s->dtccr = merge64(s->dtccr, val, mask, true);
                break;
            case RTL_TNPDS:
            case RTL_TNPDS + 4:
                s->tnpds = merge64(s->tnpds, val, mask, base != RTL_TNPDS);
                s->cp_tx_idx[TX_NORMAL] = 0;
                break;
            case RTL_THPDS:
            case RTL_THPDS + 4:
                s->thpds = merge64(s->thpds, val, mask, base != RTL_THPDS);
                s->cp_tx_idx[TX_HIGH] = 0;
                break;
            default:
                break;
            }
            return;
        }
        if (base < RTL_TSAD0)
            tsd_write(s, (int)(base - RTL_TSD0) / 4, val, mask);
        else
            s->tsad[(base - RTL_TSAD0) / 4] = merge(s->tsad[(base - RTL_TSAD0) / 4], val, mask);
        return;
    }
    switch (base) {
    case RTL_RBSTART:
        s->rbstart = merge(s->rbstart, val, mask);
        return;
    case RTL_CR:
        cr_write(s, (uint8_t)val);
        return;
    case RTL_CAPR:
        s->capr = (uint16_t)merge(s->capr, val, mask);
        s->rx_active_ns = clock_ns(s->m);
        rx_maybe_flush(s);
        return;
    case RTL_IMR: {
        uint16_t old = s->imr;
        s->imr = (uint16_t)merge(s->imr, val, mask);
        rx_maybe_flush(s);
        if ((s->imr & ~old & (INT_ROK | INT_RXOVW)) && rx_head_waits(s))
            s->isr |= INT_RXOVW; /* the driver goes back to waiting: tell it */
        update_irq(s);
        return;
    }
    case RTL_ISR:
        s->isr &= (uint16_t)~(val & mask);
        update_irq(s);
        rx_maybe_flush(s);
        return;
    case RTL_TCR:
        s->tcr = merge(s->tcr, val, mask & TCR_WMASK);
        if ((mask & TCR_CLRABT) && (val & TCR_CLRABT))
            tx_clear_abort(s);
        return;
    case RTL_RCR:
        s->rcr = merge(s->rcr, val, mask & RCR_WMASK);
        rx_maybe_flush(s);
        return;
    case RTL_TCTR:
        s->tctr_base = clock_ns(s->m);
        timer_int_arm(s);
        return;
    case RTL_MPC:
        s->mpc = 0;
        return;
    case RTL_9346CR:
        r9346_write(s, (uint8_t)val);
        return;
    case RTL_CONFIG1:
        if (config_unlocked(s))
            s->config1 = (uint8_t)((s->config1 & 0x0C) | (val & 0xF3));
        return;
    case RTL_TIMERINT:
        s->timerint = merge(s->timerint, val, mask);
        timer_int_arm(s);
        return;
    case RTL_MSR:
        s->msr = (uint8_t)(val & MSR_TXFCE);
        return;
    case RTL_CONFIG3:
        if (config_unlocked(s))
            s->config3 = (uint8_t)val;
        return;
    case RTL_CONFIG4:
        if (config_unlocked(s))
            s->config4 = (uint8_t)val;
        return;
    case RTL_MULINT:
        s->mulint = (uint16_t)(merge(s->mulint, val, mask) & 0x0FFF);
        return;
    case RTL_BMCR:
        if (!config_unlocked(s))
            return;
        if (val & mask & BMCR_RESET) {
            s->bmcr = BMCR_SPD100 | BMCR_ANE | BMCR_FDX;
            s->anar = ANAR_DEFAULT;
        } else {
            s->bmcr = (uint16_t)(merge(s->bmcr, val, mask) & BMCR_WMASK);
        }
        return;
    case RTL_ANAR:
        s->anar = (uint16_t)merge(s->anar, val, mask);
        return;
    case RTL_NWAYTR:
        s->nwaytr = (uint16_t)merge(s->nwaytr, val, mask);
        return;
    case RTL_CSCR:
        s->cscr = (uint16_t)(merge(s->cscr, val, mask) & ~(CSCR_LINK_OK | CSCR_LINK_CHANGE));
        return;
    case RTL_PHY1_PARM:
        s->phy1_parm = merge(s->phy1_parm, val, mask);
        return;
    case RTL_TW_PARM:
        s->tw_parm = merge(s->tw_parm, val, mask);
        return;
    case RTL_PHY2_PARM:
        s->phy2_parm = (uint8_t)val;
        return;
    case RTL_CONFIG5:
        s->config5 = (uint8_t)val;
        return;
    default:
        break;
    }
    if (!s->cplus_chip)
        return;
    switch (base) {
    case RTL_TPPOLL:
        if (val & TPPOLL_FSWINT)
            raise_int(s, INT_SWINT);
        s->tppoll |= (uint8_t)(val & (TPPOLL_HPQ | TPPOLL_NPQ));
        cp_tx_kick(s);
        return;
    case RTL_CPCR:
        cpcr_write(s, (uint16_t)merge(s->cpcr, val, mask));
        return;
    case RTL_INTRMIT:
        s->intrmit = (uint16_t)merge(s->intrmit, val, mask);
        return;
    case RTL_RDSAR:
    case RTL_RDSAR + 4:
        s->rdsar = merge64(s->rdsar, val, mask, base != RTL_RDSAR);
        s->cp_rx_idx = 0;
        rx_maybe_flush(s);
        return;
    case RTL_ETTHR:
        s->etthr = (uint8_t)(val & 0x3F);
        return;
    default:
        return;
    }
}

/* BAR0 and BAR1: any width, any alignment; each byte goes to the register
 * it belongs to, and a register sees one access for all its bytes. */
static uint32_t rtl_read(void *opaque, uint32_t offset, int size_log2)
{
    Rtl8139 *s = opaque;
    unsigned n = 1u << size_log2;
    uint32_t v = 0;
    Span cur = {~0u, 0};
    uint32_t val = 0;
    bool cscr = false;
    for (unsigned i = 0; i < n; i++) {
        unsigned off = offset + i;
        if (off >= RTL_REGS_SIZE)
            break;
        Span sp = span_of(off);
        if (sp.base != cur.base) {
            cur = sp;
            val = reg_value(s, sp.base);
        }
        v |= ((val >> (8 * (off - sp.base))) & 0xFF) << (8 * i);
        if (off == RTL_CSCR + 1)
            cscr = true;
    }
    if (cscr)
        s->cscr_change = false; /* reading the change bit clears it */
    return v;
}

static void rtl_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Rtl8139 *s = opaque;
    unsigned n = 1u << size_log2;
    unsigned i = 0;
    while (i < n && offset + i < RTL_REGS_SIZE) {
        Span sp = span_of(offset + i);
        uint32_t v = 0, mask = 0;
        for (; i < n && offset + i < sp.base + sp.width; i++) {
            unsigned sh = 8 * (offset + i - sp.base);
            v |= ((val >> (8 * i)) & 0xFF) << sh;
            mask |= 0xFFu << sh;
        }
        reg_write(s, sp.base, v, mask);
    }
}

/* ---- Netdev client */

static void nic_link_status_changed(NetClient *nc)
{
    link_update(nc->opaque);
}

static const NetClientInfo rtl8139_info = {
    .kind = NET_CLIENT_NIC,
    .type = "rtl8139",
    .can_receive = rx_can_receive,
    .receive = nic_receive,
    .link_status_changed = nic_link_status_changed,
};

/* ---- The device */

static int rtl8139_create(const DeviceContext *ctx, const DeviceSpec *spec, char *err,
                          size_t errlen)
{
    uint64_t rev = dev_uint(spec, "rev");
    if (rev != RTL_REV_C && rev != RTL_REV_CPLUS)
        return wb_errf(err, errlen,
                       "rev=0x%02llx: expected 0x20 (RTL8139C+, Linux's 8139cp) or 0x10 "
                       "(RTL8139C, Linux's 8139too)",
                       (unsigned long long)rev);
    Rtl8139 *s = machine_zalloc(ctx->m, sizeof *s);
    s->m = ctx->m;
    s->rev = (uint8_t)rev;
    s->cplus_chip = rev >= RTL_REV_CPLUS;
    const NicPciId id = {
        .vendor = RTL_VENDOR,
        .device = RTL_DEVICE,
        .subsys_vendor = RTL_VENDOR,
        .subsys = RTL_DEVICE,
        .revision = s->rev,
        .class_code = 0x020000,
    };
    if (nic_init(&s->nic, ctx, &id, &rtl8139_info, s, rtl_reset, err, errlen))
        return 1;
    PciDevice *d = s->nic.pci;
    d->config[PCI_MIN_GNT] = 0x20;
    d->config[PCI_MAX_LAT] = 0x40;
    pci_register_bar(d, 0, RTL_REGS_SIZE, true, rtl_read, rtl_write, s);
    pci_register_bar(d, 1, RTL_REGS_SIZE, false, rtl_read, rtl_write, s);
    timer_init(&s->tx_timer, tx_done, s);
    timer_init(&s->timer_int, timer_int_fire, s);
    timer_init(&s->rx_poll, rx_poll_fire, s);
    timer_init(&s->rx_wire, rx_wire_fire, s);
    eeprom_init(s);
    rtl_reset(s);
    return 0;
}

static const DevProp rtl8139_props[] = {
    NIC_PROPS,
    {"rev", PROP_UINT, "0x20",
     "PCI revision: 0x20 RTL8139C+ (Linux: 8139cp), 0x10 RTL8139C (Linux: 8139too)", 0xFF},
    {NULL},
};

const DeviceModel rtl8139_device = {
    .name = "rtl8139",
    .desc = "Realtek RTL8139C+/RTL8139C Fast Ethernet (PCI 10ec:8139; rev=0x20 C+, rev=0x10 C)",
    .category = DEV_CAT_NETWORK,
    .bus = DEV_BUS_PCI,
    .props = rtl8139_props,
    .create = rtl8139_create,
};
