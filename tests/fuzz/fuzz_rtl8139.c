/* libFuzzer target: the Realtek RTL8139C / RTL8139C+ (hw/rtl8139.c) as a
 * hostile guest and a hostile network see it.
 *
 * The first input byte picks the personality (bit 0: rev=0x10 RTL8139C,
 * else rev=0x20 RTL8139C+). The device sits on a bare machine's board bus,
 * BAR0 (I/O) at IO_BASE and BAR1 (memory) at MMIO_BASE, wired to a fake peer
 * that counts what it is sent. The rest of the input is a program of
 * operations, each an opcode byte and its operands (fuzz.h: missing bytes
 * read as zero):
 *   register writes and reads of any width at any offset (I/O or memory
 *   BAR), writes into guest RAM biased to where the device looks (the C-mode
 *   ring, the C+ descriptor rings, the buffer slots), C-mode transmit slots
 *   (TSAD + TSD in one step), C+ transmit and receive descriptors built from
 *   a few fields, one-step setups of either mode, a driver reading the
 *   C-mode ring (CAPR), frames from the network, clock advances, link
 *   changes, a peer that stops and resumes taking frames, PCI command
 *   writes, resets (CR.RST or the machine's), and bits clocked into the
 *   93C46 EEPROM through 9346CR.
 * Every DMA write of the model is watched (the link wraps dma_write): it
 * must land in memory the driver gave the chip: the C-mode ring (plus the
 * frame that may run past its end with RCR.WRAP), the C+ receive ring and
 * the buffers of its descriptors the chip owns, the C+ transmit rings (for
 * the write-back), the dump-tally block. After every operation: CBR on a
 * 4-byte boundary inside the ring, a C-mode packet the chip stored has a
 * sane header and moved CBR by its size, ISR holds only bits the chip has,
 * the netdev queue is bounded; frames to the peer are 1..8191 bytes (the
 * longest frame plus a VLAN tag) and real memory; and every operation
 * (clock advances included) ends within its bound. */
/* fuzz-models: hw/rtl8139.c hw/eeprom93c.c */
/* fuzz-ldflags: -Wl,--wrap=dma_write */
#include "fuzz.h"

#include "hw/bytes.h"
#include "hw/rtl8139_regs.h"
#include "net/net.h"
#include "net/nic.h"

#define RAM_SIZE (1u << 20)
#define MMIO_BASE 0xF0000000u
#define IO_BASE 0xC000u
#define CRING_BASE 0x10000u /* C-mode ring set up by OP_SETUP: 64 KiB + 16 + 4 KiB */
#define CPRX_BASE 0x2000u   /* C+ rings set up by OP_SETUP, 64 descriptors each */
#define CPTXN_BASE 0x2400u
#define CPTXH_BASE 0x2800u
#define TALLY_BASE 0x2C00u
#define BUF_BASE 0x40000u /* 32 buffer slots of 8 KiB */
#define NSLOTS 32
#define SLOT 0x2000u
#define PEER_MAX 8191 /* the longest frame (8191 - FCS) plus an 802.1Q tag */
#define RX_MAX_C 4096 /* C mode: the longest frame stored, CRC included */
#define MAX_OPS 1024
#define MAX_FRAMES 20000
#define MAX_FIRES 100000

enum {
    OP_WR, OP_RD, OP_RAM, OP_TXSLOT, OP_CPTXDESC, OP_CPRXDESC, OP_SETUP, OP_CAPR, OP_FRAME,
    OP_CLOCK, OP_LINK, OP_PEER, OP_PCICMD, OP_RESET, OP_EEBITS, OP_TPPOLL, NOPS
};

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static Machine *m;
static PciBus *bus;
static NetClient *nic, *peer;
static PciDevice *dev;
static bool cplus_chip, peer_ready;
static unsigned long frames;

/* ---- Where the chip may write */

/* C+ transmit ring bases the driver has given (the write-back of a packet
 * goes to the ring it was taken from, even if TNPDS moved meanwhile). */
#define TXBASES 64
static uint64_t txbases[TXBASES];
static int ntxbases;
static bool txbases_full;

/* The C+ receive descriptors as they were before the operation: a frame's
 * data may overwrite a later descriptor before its buffer is written. */
static uint8_t rxring_before[CP_RING_MAX * 16];
static uint64_t rxring_before_base;
static bool rxring_before_valid;

FZ_HARNESS static uint32_t peek(uint32_t off, int size_log2)
{
    IoRegion *r = dev->bar[0].region;
    return r->read(r->opaque, off, size_log2);
}

FZ_HARNESS static bool cplus_tx_mode(void)
{
    return cplus_chip && (peek(RTL_CPCR, 1) & CPCR_TXENB);
}

FZ_HARNESS static bool cplus_rx_mode(void)
{
    return cplus_chip && (peek(RTL_CPCR, 1) & CPCR_RXENB);
}

FZ_HARNESS static uint64_t peek64(uint32_t off)
{
    return (uint64_t)peek(off + 4, 2) << 32 | peek(off, 2);
}

FZ_HARNESS static uint32_t cring_len(void)
{
    return 8192u << ((peek(RTL_RCR, 2) >> RCR_RBLEN_SHIFT) & 3);
}

FZ_HARNESS static void note_txbases(void)
{
    if (!cplus_tx_mode())
        return;
    uint64_t b[2] = {peek64(RTL_TNPDS), peek64(RTL_THPDS)};
    for (int k = 0; k < 2; k++) {
        bool seen = false;
        for (int i = 0; i < ntxbases && !seen; i++)
            seen = txbases[i] == b[k];
        if (seen)
            continue;
        if (ntxbases == TXBASES)
            txbases_full = true;
        else
            txbases[ntxbases++] = b[k];
    }
}

FZ_HARNESS static void rx_snapshot(void)
{
    rxring_before_valid = false;
    if (!cplus_rx_mode())
        return;
    uint64_t base = peek64(RTL_RDSAR);
    if (base >= RAM_SIZE || RAM_SIZE - base < sizeof rxring_before)
        return;
    memcpy(rxring_before, m->ram + base, sizeof rxring_before);
    rxring_before_base = base;
    rxring_before_valid = true;
}

FZ_HARNESS static bool inside(uint64_t a, size_t len, uint64_t base, uint64_t size)
{
    return a >= base && len <= size && a - base <= size - len;
}

/* Inside the buffer of a C+ receive descriptor (16 bytes at d) the chip owns. */
FZ_HARNESS static bool in_rx_buffer(const uint8_t *d, uint64_t a, size_t len)
{
    uint32_t o1 = ld32le(d);
    return (o1 & CP_OWN) && inside(a, len, ld64le(d + 8), o1 & CP_RX_BUF_MASK);
}

FZ_HARNESS static const char *dma_write_allowed(uint64_t a, size_t len)
{
    /* C mode: the ring, and with WRAP the packet that runs on past its end
     * (the datasheet has the driver reserve room for it). */
    uint32_t rcr = peek(RTL_RCR, 2), ring = cring_len();
    uint64_t extra = (rcr & RCR_WRAP) && ring < 65536 ? RX_MAX_C : RX_RING_PAD;
    if (!cplus_rx_mode() && inside(a, len, peek(RTL_RBSTART, 2), ring + extra))
        return NULL;
    if (cplus_chip) {
        uint64_t rdsar = peek64(RTL_RDSAR);
        if (inside(a, len, rdsar, CP_RING_MAX * 16))
            return NULL;
        for (int i = 0; i < CP_RING_MAX; i++) {
            uint64_t at = rdsar + 16ull * i;
            if (at < RAM_SIZE && RAM_SIZE - at >= 16 && in_rx_buffer(m->ram + at, a, len))
                return NULL;
            if (rxring_before_valid && rxring_before_base == rdsar &&
                in_rx_buffer(rxring_before + 16 * i, a, len))
                return NULL;
        }
        for (int i = 0; i < ntxbases; i++)
            if (inside(a, len, txbases[i], CP_RING_MAX * 16))
                return NULL;
        if (txbases_full && len == 4)
            return NULL; /* a write-back to one of too many rings to tell */
        if (cplus_tx_mode() && inside(a, len, peek64(RTL_DTCCR) & DTCCR_ADDR_MASK, TALLY_SIZE))
            return NULL;
    }
    return "outside every buffer the driver gave";
}

bool __real_dma_write(Machine *m, uint64_t paddr, const void *buf, size_t len);
FZ_HARNESS bool __wrap_dma_write(Machine *mm, uint64_t paddr, const void *buf, size_t len)
{
    if (mm == m && dev && len) {
        const char *why = dma_write_allowed(paddr, len);
        FUZZ_CHECK(!why, "DMA write of %zu bytes at %#llx: %s", len, (unsigned long long)paddr,
                   why);
    }
    return __real_dma_write(mm, paddr, buf, len);
}

/* ---- The peer */

static bool peer_can_receive(NetClient *nc)
{
    (void)nc;
    return peer_ready;
}

FZ_HARNESS static ssize_t peer_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    (void)nc;
    FUZZ_CHECK(len >= 1 && len <= PEER_MAX, "frame of %zu bytes sent to the peer", len);
    static uint8_t copy[PEER_MAX];
    memcpy(copy, buf, len); /* ASan checks every byte is real memory */
    frames++;
    return (ssize_t)len;
}

static const NetClientInfo peer_info = {
    .kind = NET_CLIENT_OTHER,
    .type = "fuzz-peer",
    .can_receive = peer_can_receive,
    .receive = peer_receive,
};

/* ---- Driving the chip */

static void wr(uint32_t off, uint32_t v, int size_log2)
{
    port_write(m, (uint16_t)(IO_BASE + off), v, size_log2);
    note_txbases();
}

static uint32_t rd(uint32_t off, int size_log2)
{
    return port_read(m, (uint16_t)(IO_BASE + off), size_log2);
}

static void ram_write(uint64_t addr, const void *p, size_t len)
{
    if (addr < RAM_SIZE && len <= RAM_SIZE - addr)
        memcpy(m->ram + addr, p, len);
}

/* A buffer address: a slot, or one a hostile guest would pick. */
static uint64_t buf_operand(FuzzIn *in)
{
    static const uint64_t odd[8] = {MMIO_BASE, RAM_SIZE - 64, 0xA0000, 0xFFFFFFF0u,
                                    1ull << 32, 0, CPRX_BASE, CRING_BASE};
    uint8_t sel = fz_u8(in);
    uint16_t off = fz_u16(in);
    if (sel & 0x80)
        return odd[sel & 7] + off;
    return BUF_BASE + (uint64_t)(sel % NSLOTS) * SLOT + (off & 0x1FFF);
}

FZ_HARNESS static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void op_ram(FuzzIn *in)
{
    uint8_t area = fz_u8(in), buf[256];
    uint64_t addr;
    switch (area & 7) {
    case 0:
        addr = peek(RTL_RBSTART, 2) + (uint64_t)fz_u16(in);
        break;
    case 1:
        addr = cplus_chip ? peek64(RTL_RDSAR) + fz_u16(in) % 1024 : CPRX_BASE;
        break;
    case 2:
        addr = CPTXN_BASE + fz_u16(in) % 2048;
        break;
    case 3:
    case 4:
    case 5:
        addr = buf_operand(in);
        break;
    default:
        addr = fz_u32(in) % RAM_SIZE;
        break;
    }
    size_t len = (size_t)fz_u8(in) + 1;
    fz_bytes(in, buf, len);
    ram_write(addr, buf, len);
}

/* C mode: a transmit slot, its address and then its size (OWN clear: go). */
static void op_txslot(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    int i = how & 3;
    if (!(how & 4))
        wr(RTL_TSAD0 + 4 * i, (uint32_t)buf_operand(in), 2);
    uint32_t tsd = fz_u16(in) & TSD_SIZE;
    tsd |= (uint32_t)(fz_u8(in) & 0x3F) << TSD_ERTXTH_SHIFT;
    if (how & 8)
        tsd |= TSD_OWN;
    wr(RTL_TSD0 + 4 * i, tsd, 2);
}

/* C+: a transmit descriptor in one of the rings the harness knows. */
static void op_cptxdesc(FuzzIn *in)
{
    uint8_t how = fz_u8(in), d[16];
    uint32_t idx = fz_u8(in) % CP_RING_MAX;
    uint64_t base = (how & 1) ? CPTXH_BASE : CPTXN_BASE;
    if ((how & 2) && cplus_tx_mode())
        base = peek64((how & 1) ? RTL_THPDS : RTL_TNPDS);
    uint32_t o1 = fz_u16(in);                            /* length */
    o1 |= (uint32_t)(fz_u8(in) & 0x0F) << 16;            /* IPCS/UDPCS/TCPCS */
    o1 |= (uint32_t)(how & 0xF0) << 24;                  /* OWN EOR FS LS */
    if (how & 4) /* large send, the MSS from the input */
        o1 = (o1 & 0xF000FFFFu) | CP_TX_LGSEN | (fz_u16(in) & CP_TX_MSS_MASK) << CP_TX_MSS_SHIFT;
    uint32_t o2 = (how & 8) ? CP_TX_TAGC | fz_u16(in) : 0;
    put_le(d, o1, 4);
    put_le(d + 4, o2, 4);
    put_le(d + 8, buf_operand(in), 8);
    ram_write(base + 16 * idx, d, 16);
}

/* C+: a receive descriptor given to the chip (OWN), its size and buffer. */
static void op_cprxdesc(FuzzIn *in)
{
    uint8_t how = fz_u8(in), d[16];
    uint32_t idx = fz_u8(in) % CP_RING_MAX;
    uint64_t base = cplus_chip && (how & 1) ? peek64(RTL_RDSAR) : CPRX_BASE;
    uint32_t o1 = (fz_u16(in) & CP_RX_BUF_MASK) | ((how & 2) ? 0 : CP_OWN) | ((how & 4) ? CP_EOR : 0);
    put_le(d, o1, 4);
    put_le(d + 4, 0, 4);
    put_le(d + 8, buf_operand(in), 8);
    ram_write(base + 16 * idx, d, 16);
}

/* One step to a working chip: C mode (ring, RCR, CR) or C+ mode (rings of
 * n descriptors with buffers, CPCR, CR), interrupts unmasked. */
static void op_setup(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    uint32_t rcr = fz_u32(in);
    wr(RTL_IMR, 0xFFFF, 1);
    wr(RTL_TCR, fz_u32(in) & ~TCR_LBK, 2);
    if (!(how & 1) || !cplus_chip) {
        wr(RTL_RBSTART, CRING_BASE, 2);
        wr(RTL_RCR, rcr, 2);
        wr(RTL_CR, CR_RE | CR_TE, 0);
        return;
    }
    uint32_t n = (uint32_t)fz_u8(in) % CP_RING_MAX + 1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t d[16];
        uint32_t eor = i == n - 1 ? CP_EOR : 0;
        put_le(d, CP_OWN | eor | 1536, 4);
        put_le(d + 4, 0, 4);
        put_le(d + 8, BUF_BASE + (uint64_t)(i % NSLOTS) * SLOT, 8);
        ram_write(CPRX_BASE + 16 * i, d, 16);
        put_le(d, eor, 4);
        ram_write(CPTXN_BASE + 16 * i, d, 16);
        ram_write(CPTXH_BASE + 16 * i, d, 16);
    }
    wr(RTL_CPCR, CPCR_TXENB | CPCR_RXENB | ((how >> 1) & (CPCR_RXCHKSUM | CPCR_RXVLAN)), 1);
    wr(RTL_TNPDS, CPTXN_BASE, 2);
    wr(RTL_TNPDS + 4, 0, 2);
    wr(RTL_THPDS, CPTXH_BASE, 2);
    wr(RTL_THPDS + 4, 0, 2);
    wr(RTL_RDSAR, CPRX_BASE, 2);
    wr(RTL_RDSAR + 4, 0, 2);
    wr(RTL_RCR, rcr, 2);
    wr(RTL_CR, CR_RE | CR_TE, 0);
}

/* A driver reading the C-mode ring: everything up to CBR, or CAPR moved by
 * the input. */
static void op_capr(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    uint16_t v = (how & 1) ? fz_u16(in) : (uint16_t)(rd(RTL_CBR, 1) - RX_RING_PAD);
    wr(RTL_CAPR, v, 1);
    if (how & 2)
        wr(RTL_ISR, 0xFFFF, 1);
}

static void op_frame(FuzzIn *in)
{
    static uint8_t f[10000];
    net_send(peer, f, fz_frame(in, MAC, f, sizeof f));
}

static void op_eebits(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    uint32_t bits = fz_u32(in);
    int n = how & 31;
    uint8_t mode = (how & 0x40) ? EEM_AUTOLOAD : EEM_PROGRAM;
    if (mode == EEM_AUTOLOAD) {
        wr(RTL_9346CR, mode, 0);
        return;
    }
    if (how & 0x80)
        wr(RTL_9346CR, EEM_PROGRAM, 0);
    for (int i = n - 1; i >= 0; i--) {
        uint8_t di = (bits >> i) & 1 ? EE_DI : 0;
        wr(RTL_9346CR, EEM_PROGRAM | EE_CS | di, 0);
        wr(RTL_9346CR, EEM_PROGRAM | EE_CS | di | EE_SK, 0);
        rd(RTL_9346CR, 0);
    }
}

/* ---- Invariants */

FZ_HARNESS static void check_state(int op, uint32_t cbr0, bool regs_touched)
{
    uint16_t isr = (uint16_t)peek(RTL_ISR, 1);
    uint16_t mask = cplus_chip ? INT_MASK_CPLUS : INT_MASK_C;
    FUZZ_CHECK(!(isr & ~mask), "ISR %#x after op %d: bits the chip does not have", isr, op);
    uint32_t ring = cring_len(), cbr = peek(RTL_CBR, 1);
    FUZZ_CHECK(cbr % 4 == 0, "CBR %#x not on a 4-byte boundary after op %d", cbr, op);
    FUZZ_CHECK(peer->queue_len <= NET_QUEUE_MAX, "peer queue of %d frames", peer->queue_len);
    FUZZ_CHECK(nic->queue_len <= NET_QUEUE_MAX, "NIC queue of %d frames", nic->queue_len);
    if (regs_touched || cbr == cbr0 || cplus_rx_mode())
        return;
    /* The chip stored packets: each behind a header saying ROK and a length
     * the C mode takes, CBR moved past it. (The guest may have put the ring
     * over other structures; only when it is all in RAM.) */
    uint64_t rb = peek(RTL_RBSTART, 2);
    FUZZ_CHECK(cbr < ring, "CBR %#x -> %#x outside a ring of %u", cbr0, cbr, ring);
    if (rb + ring + RX_MAX_C + 8 > RAM_SIZE)
        return;
    /* (CBR may lie beyond a ring RCR.RBLEN shrank: the chip goes on from
     * it modulo the ring.) */
    uint32_t at = cbr0 % ring, walked = 0;
    while (at != cbr && walked < ring) {
        const uint8_t *h = m->ram + rb + at;
        uint16_t st = ld16le(h), len = ld16le(h + 2);
        FUZZ_CHECK(st & RSR_ROK, "C-mode packet at %#x: status %#x without ROK", at, st);
        FUZZ_CHECK(len >= 64 && len <= RX_MAX_C, "C-mode packet at %#x: length %u", at, len);
        uint32_t need = (4u + len + 3) & ~3u;
        at = (at + need) % ring;
        walked += need;
    }
    FUZZ_CHECK(at == cbr, "C-mode packets from %#x do not end at CBR %#x", cbr0, cbr);
}

static void setup(bool c_chip)
{
    m = fz_machine(RAM_SIZE);
    bus = pc_board_init(m)->pci;
    peer = net_client_new(m, &peer_info, "fuzz-peer", NULL);
    peer_ready = true;
    frames = 0;
    ntxbases = 0;
    txbases_full = false;
    rxring_before_valid = false;
    cplus_chip = !c_chip;
    /* romfile= (none): no boot ROM file read for every input (as fuzz_e1000) */
    nic = fz_create_device(m, c_chip ? "rtl8139,id=nic0,rev=0x10,romfile=" : "rtl8139,id=nic0,romfile=",
                           peer, MAC);
    FUZZ_CHECK(nic != NULL, "no rtl8139 client");
    dev = pci_find(bus, 2 << 3);
    FUZZ_CHECK(dev != NULL, "no rtl8139 at 00:02.0");
    pci_config_write(bus, dev->devfn, 0x10, IO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x14, MMIO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x04, 0x0007, 1);
}

static void teardown(void)
{
    dev = NULL;
    net_cleanup(m);
    machine_free(m);
    m = NULL;
}

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = fz_in(data, size);
    setup(fz_u8(&in) & 1);
    int ops = 0;
    for (; ops < MAX_OPS && !fz_done(&in) && frames < MAX_FRAMES; ops++) {
        uint8_t op = fz_u8(&in) % NOPS;
        uint32_t cbr0 = peek(RTL_CBR, 1);
        bool regs_touched = true;
        rx_snapshot();
        switch (op) {
        case OP_WR: {
            uint8_t off = fz_u8(&in), how = fz_u8(&in);
            int size_log2 = how % 3;
            uint32_t v = fz_u32(&in);
            if (how & 4)
                phys_write(m, MMIO_BASE + off, v, size_log2);
            else
                port_write(m, (uint16_t)(IO_BASE + off), v, size_log2);
            note_txbases();
            break;
        }
        case OP_RD: {
            uint8_t off = fz_u8(&in), how = fz_u8(&in);
            if (how & 4)
                phys_read(m, MMIO_BASE + off, how % 3);
            else
                port_read(m, (uint16_t)(IO_BASE + off), how % 3);
            break;
        }
        case OP_RAM:
            op_ram(&in);
            regs_touched = false;
            break;
        case OP_TXSLOT:
            op_txslot(&in);
            break;
        case OP_CPTXDESC:
            op_cptxdesc(&in);
            regs_touched = false;
            break;
        case OP_CPRXDESC:
            op_cprxdesc(&in);
            regs_touched = false;
            break;
        case OP_SETUP:
            op_setup(&in);
            break;
        case OP_CAPR:
            op_capr(&in);
            break;
        case OP_FRAME:
            op_frame(&in);
            regs_touched = false;
            break;
        case OP_CLOCK:
            fz_op_clock(&in, m, 8, MAX_FIRES);
            regs_touched = false;
            break;
        case OP_LINK:
            fz_op_link(&in, nic, peer);
            regs_touched = false;
            break;
        case OP_PEER:
            fz_op_peer(&in, peer, &peer_ready);
            regs_touched = false;
            break;
        case OP_PCICMD:
            pci_config_write(bus, dev->devfn, 0x04, fz_u16(&in), 1);
            break;
        case OP_RESET:
            if (fz_u8(&in) & 1)
                machine_reset(m);
            else
                wr(RTL_CR, CR_RST, 0);
            break;
        case OP_EEBITS:
            op_eebits(&in);
            break;
        case OP_TPPOLL:
            wr(RTL_TPPOLL, fz_u8(&in), 0);
            break;
        }
        if (fz_verbosity() > 1)
            fprintf(stderr, "fuzz_rtl8139: op %d %d: CBR %#x->%#x CAPR %#x ISR %#x CR %#x\n",
                    ops, op, cbr0, peek(RTL_CBR, 1), peek(RTL_CAPR, 1), peek(RTL_ISR, 1),
                    peek(RTL_CR, 0));
        check_state(op, cbr0, regs_touched);
    }
    if (fz_verbose())
        fprintf(stderr, "fuzz_rtl8139: %s, %d operations, %lu frames to the peer, %llu ns\n",
                cplus_chip ? "C+" : "C", ops, frames, (unsigned long long)clock_ns(m));
    teardown();
    return 0;
}
