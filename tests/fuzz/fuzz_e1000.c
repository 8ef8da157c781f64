/* libFuzzer target: the Intel 82540EM (hw/e1000.c) as a hostile guest and
 * a hostile network see it.
 *
 * The device sits on a bare machine's board bus core (pc_board_init), its
 * BARs placed as tests/unit/test_e1000.c places them (BAR0 MMIO at
 * MMIO_BASE, BAR1 I/O at IO_BASE), with a fake peer
 * that counts what it is sent. The input is a program of operations, each an
 * opcode byte and its operands (fuzz.h: missing bytes read as zero):
 *   register writes (32-bit, narrow, through the I/O window) and reads,
 *   writes into guest RAM biased to where the device looks (the rings at
 *   TDBA/RDBA, the buffers the descriptors point at), whole transmit and
 *   receive descriptors built from a few fields, frames from the network,
 *   clock advances, link changes, a peer that stops and resumes taking
 *   frames, PCI command writes, resets (CTRL.RST or the machine's), and
 *   bits clocked into the EEPROM.
 * After every operation: e1000_selfcheck (buffers, indexes, interrupt and
 * link state), heads the device moved stay inside their ring, receive
 * descriptors the device filled say no more than their buffer holds, and
 * frames sent to the peer have a sane length. */
/* fuzz-models: hw/e1000.c hw/eeprom93c.c */
#include "fuzz.h"

#include "hw/bytes.h"
#include "hw/e1000_regs.h"
#include "net/net.h"
#include "net/nic.h"

#define RAM_SIZE (2u << 20)
#define MMIO_BASE 0xF0000000u
#define IO_BASE 0xC000u
#define BUF_BASE 0x100000u /* 16 buffer slots of 64 KiB: 1 MiB - 2 MiB */
#define TX_MAX 16384        /* hw/e1000.c: longest frame or TSO segment, untagged */
#define MAX_OPS 4096
#define MAX_FRAMES 20000 /* stop a program once the device has sent this many */
#define MAX_FIRES 200000  /* timer rounds in one clock advance */

/* The registers a program names by index (others by raw offset). */
static const uint32_t regs[] = {
    CTRL, STATUS, EECD, EERD, CTRL_EXT, MDIC, VET, ICR, ITR, ICS, IMS, IMC, RCTL, TCTL,
    PBA, RDBAL, RDBAH, RDLEN, RDH, RDT, RDTR, RADV, TDBAL, TDBAH, TDLEN, TDH, TDT, TIDV,
    TADV, GPRC, GORCH, TORH, TSCTC, RXCSUM, MTA, RA, RA + 4, VFTA,
    /* the ones a program writes most, twice as likely */
    TDT, TDT, RDT, RCTL, TCTL, CTRL, TDLEN, RDLEN,
};
#define NREGS_NAMED (sizeof regs / sizeof regs[0])

enum {
    OP_WR32, OP_RD32, OP_WR_NARROW, OP_IO, OP_RAM, OP_TXDESC, OP_RXDESC, OP_FRAME,
    OP_CLOCK, OP_LINK, OP_PEER, OP_PCICMD, OP_RESET, OP_RING, OP_EEBITS, NOPS
};

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static Machine *m;
static PciBus *bus;
static NetClient *nic, *peer;
static PciDevice *dev;
static bool peer_ready;
static unsigned long frames;  /* the peer received */
static unsigned long sent;    /* the device transmitted, loopback included (TPT) */
static uint32_t tpt;

static bool peer_can_receive(NetClient *nc)
{
    (void)nc;
    return peer_ready;
}

FZ_HARNESS static ssize_t peer_receive(NetClient *nc, const uint8_t *buf, size_t len)
{
    (void)nc;
    FUZZ_CHECK(len >= 1 && len <= TX_MAX + 4, "frame of %zu bytes sent to the peer", len);
    /* A copy reads every byte: ASan checks the whole frame is real memory. */
    static uint8_t copy[TX_MAX + 4];
    memcpy(copy, buf, len);
    frames++;
    return (ssize_t)len;
}

static const NetClientInfo peer_info = {
    .kind = NET_CLIENT_OTHER,
    .type = "fuzz-peer",
    .can_receive = peer_can_receive,
    .receive = peer_receive,
};

/* Register access as the CPU would make it, and a look at a register that
 * neither needs the BAR to be enabled nor has a side effect on read. */
static uint32_t rd(uint32_t off)
{
    return phys_read(m, MMIO_BASE + off, 2);
}
static void wr(uint32_t off, uint32_t v)
{
    phys_write(m, MMIO_BASE + off, v, 2);
}
FZ_HARNESS static uint32_t peek(uint32_t off)
{
    IoRegion *r = dev->bar[0].region;
    return r->read(r->opaque, off, 2);
}

FZ_HARNESS static uint64_t ring_base(bool tx)
{
    return (uint64_t)peek(tx ? TDBAH : RDBAH) << 32 | (peek(tx ? TDBAL : RDBAL) & ~0xFu);
}
FZ_HARNESS static uint32_t ring_count(bool tx)
{
    return (peek(tx ? TDLEN : RDLEN) & 0x000FFF80u) / 16;
}

static uint32_t reg_operand(FuzzIn *in)
{
    uint8_t sel = fz_u8(in);
    if (sel < NREGS_NAMED)
        return regs[sel];
    return ((uint32_t)fz_u16(in) << 2) & 0x1FFFCu;
}

/* A buffer address: a slot in the buffer area, or an address a hostile
 * guest would pick (the device's own registers, the end of RAM, the hole
 * below 1 MiB, beyond 4 GiB). */
static uint64_t buf_operand(FuzzIn *in)
{
    static const uint64_t odd[8] = {MMIO_BASE, RAM_SIZE - 64, 0xA0000, 0xFFFFFFF0u,
                                    1ull << 32, 0, MMIO_BASE + TDLEN, 0x10000};
    uint8_t sel = fz_u8(in);
    uint16_t off = fz_u16(in);
    if (sel & 0x80)
        return odd[sel & 7] + off;
    return BUF_BASE + (uint64_t)(sel & 15) * 0x10000 + off;
}

static void ram_write(uint64_t addr, const void *p, size_t len)
{
    if (addr < RAM_SIZE && len <= RAM_SIZE - addr)
        dma_write(m, addr, p, len);
}

FZ_HARNESS static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A transmit descriptor from a few fields: legacy, context, data, or raw. */
static void op_txdesc(FuzzIn *in)
{
    uint32_t idx = fz_u8(in);
    uint8_t kind = fz_u8(in), d[16];
    memset(d, 0, sizeof d);
    switch (kind & 3) {
    case 0: /* legacy: addr, length, CSO, CMD, CSS, special */
        put_le(d, buf_operand(in), 8);
        put_le(d + 8, fz_u16(in), 2);
        d[10] = fz_u8(in);
        d[11] = fz_u8(in) & (uint8_t)~0x20; /* DEXT clear */
        d[13] = fz_u8(in);
        put_le(d + 14, fz_u16(in), 2);
        break;
    case 1: /* context: IPCSS IPCSO IPCSE TUCSS TUCSO TUCSE PAYLEN TUCMD HDRLEN MSS */
        fz_bytes(in, d, 8);
        put_le(d + 8, fz_u32(in) & 0xFFFFF, 3); /* DTYP 0 */
        d[11] = (uint8_t)(fz_u8(in) | 0x20);
        d[13] = fz_u8(in);
        put_le(d + 14, fz_u16(in), 2);
        break;
    case 2: /* data: addr, length, DCMD, POPTS, special */
        put_le(d, buf_operand(in), 8);
        put_le(d + 8, (fz_u32(in) & 0xFFFFF) | 1u << 20, 3); /* DTYP 1 */
        d[11] = (uint8_t)(fz_u8(in) | 0x20);
        d[13] = fz_u8(in);
        put_le(d + 14, fz_u16(in), 2);
        break;
    default:
        fz_bytes(in, d, 16);
        break;
    }
    ram_write(ring_base(true) + 16 * idx, d, 16);
}

/* A receive descriptor: a buffer address and a clear status. */
static void op_rxdesc(FuzzIn *in)
{
    uint32_t idx = fz_u8(in);
    uint8_t d[16];
    memset(d, 0, sizeof d);
    put_le(d, buf_operand(in), 8);
    ram_write(ring_base(false) + 16 * idx, d, 16);
}

/* Bytes into RAM: at a ring, at a buffer slot or anywhere. */
static void op_ram(FuzzIn *in)
{
    uint8_t area = fz_u8(in), buf[256];
    uint64_t addr;
    switch (area & 3) {
    case 0:
        addr = ring_base(true) + fz_u16(in);
        break;
    case 1:
        addr = ring_base(false) + fz_u16(in);
        break;
    case 2:
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

/* Sets up both rings in one step (the slots as buffers), so programs reach
 * the data paths without spelling every register out. */
static void op_ring(FuzzIn *in)
{
    uint8_t which = fz_u8(in);
    uint32_t n = ((uint32_t)fz_u8(in) % 32 + 1) * 8;
    bool tx = which & 1;
    uint64_t base = tx ? 0x10000 : 0x20000;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t d[16];
        memset(d, 0, sizeof d);
        put_le(d, BUF_BASE + (uint64_t)(i & 15) * 0x10000, 8);
        ram_write(base + 16 * i, d, 16);
    }
    wr(tx ? TDBAL : RDBAL, (uint32_t)base);
    wr(tx ? TDBAH : RDBAH, 0);
    wr(tx ? TDLEN : RDLEN, n * 16);
    wr(tx ? TDH : RDH, 0);
    wr(tx ? TDT : RDT, tx ? 0 : n - 1);
    wr(tx ? TCTL : RCTL, fz_u32(in) | 2); /* EN */
}

/* Bits to the Microwire EEPROM through EECD, as a driver bit-bangs them:
 * optionally a fresh chip select, then each bit on DI with a rising SK. */
static void op_eebits(FuzzIn *in)
{
    enum { SK = 1, CS = 2, DI = 4, REQ = 0x40 };
    uint8_t how = fz_u8(in);
    uint32_t bits = fz_u32(in);
    int n = how & 31;
    if (how & 0x80)
        wr(EECD, REQ);
    for (int i = n - 1; i >= 0; i--) {
        uint32_t di = (bits >> i) & 1 ? DI : 0;
        wr(EECD, REQ | CS | di);
        wr(EECD, REQ | CS | di | SK);
    }
    if (how & 0x40)
        rd(EECD);
}

/* A frame from the network (fz_frame). */
static void op_frame(FuzzIn *in)
{
    static uint8_t f[20000];
    net_send(peer, f, fz_frame(in, MAC, f, sizeof f));
}

FZ_HARNESS static uint32_t rx_buf_size(uint32_t rctl)
{
    static const uint32_t normal[4] = {2048, 1024, 512, 256};
    static const uint32_t ext[4] = {2048, 16384, 8192, 4096};
    unsigned b = (rctl >> 16) & 3;
    return (rctl & (1u << 25)) ? ext[b] : normal[b];
}

/* The buffer addresses of the receive descriptors the device may fill
 * during an operation, read before it: a buffer may overlap the ring, even
 * its own descriptor, and then what is in RAM afterwards is frame data. */
#define RX_SNAP 128
static struct {
    uint32_t first, count; /* descriptors [first, first + count) mod the ring */
    uint64_t addr[RX_SNAP];
} rxs;

/* Is a ring of n descriptors at base all in RAM? (base is the guest's
 * 64-bit RDBA: base + n * 16 may wrap.) */
FZ_HARNESS static bool ring_in_ram(uint64_t base, uint32_t n)
{
    return base <= RAM_SIZE && (uint64_t)n * 16 <= RAM_SIZE - base;
}

FZ_HARNESS static void rx_snapshot(uint32_t rdh)
{
    uint32_t n = ring_count(false);
    uint64_t base = ring_base(false);
    rxs.first = rdh;
    rxs.count = 0;
    if (!n || rdh >= n || !ring_in_ram(base, n))
        return;
    uint32_t avail = (peek(RDT) + n - rdh) % n;
    rxs.count = avail < RX_SNAP ? avail : RX_SNAP;
    for (uint32_t k = 0; k < rxs.count; k++)
        rxs.addr[k] = ld64le(m->ram + base + 16 * ((rdh + k) % n));
}

/* Descriptors [rdh0, rdh) were filled during an operation that did not
 * touch the registers (so the ring and RCTL are what they were): each is
 * done, and no longer than its buffer. Skipped when a buffer overlaps the
 * ring (the guest's own doing: data may overwrite a write-back), or when
 * more were filled than the snapshot holds. */
FZ_HARNESS static void check_rx_writeback(uint32_t rdh0, uint32_t rdh)
{
    uint32_t n = ring_count(false), rctl = peek(RCTL), bsize = rx_buf_size(rctl);
    uint64_t base = ring_base(false);
    FUZZ_CHECK(n && rdh < n, "RDH moved to %u outside a ring of %u", rdh, n);
    FUZZ_CHECK(rdh0 < n, "RDH moved from %u, outside a ring of %u", rdh0, n);
    uint64_t ring_end = base + (uint64_t)n * 16;
    uint32_t used = (rdh + n - rdh0) % n;
    if (!ring_in_ram(base, n) || rxs.first != rdh0 || used > rxs.count)
        return;
    for (uint32_t k = 0; k < used; k++)
        if (rxs.addr[k] < ring_end && rxs.addr[k] + bsize > base)
            return;
    for (uint32_t k = 0; k < used; k++) {
        uint32_t i = (rdh0 + k) % n;
        const uint8_t *d = m->ram + base + 16 * i;
        uint32_t len = ld16le(d + 8);
        FUZZ_CHECK(d[12] & 1, "receive descriptor %u (ring at %#llx) consumed without DD", i,
                   (unsigned long long)base);
        FUZZ_CHECK(len <= bsize, "receive descriptor %u says %u bytes in a %u-byte buffer", i,
                   len, bsize);
    }
}

static void setup(void)
{
    m = fz_machine(RAM_SIZE);
    bus = pc_board_init(m)->pci;
    peer = net_client_new(m, &peer_info, "fuzz-peer", NULL);
    peer_ready = true;
    frames = sent = 0;
    tpt = 0;
    /* romfile= (none): reading the boot ROM's file for every input cost
     * a tenth of the run, and the ROM BAR is not this model's code. */
    nic = fz_create_device(m, "e1000,id=nic0,romfile=", peer, MAC);
    FUZZ_CHECK(nic != NULL, "no e1000 client");
    dev = pci_find(bus, 2 << 3);
    FUZZ_CHECK(dev != NULL, "no e1000 at 00:02.0");
    pci_config_write(bus, dev->devfn, 0x10, MMIO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x14, IO_BASE, 2);
    pci_config_write(bus, dev->devfn, 0x04, 0x0007, 1);
    wr(CTRL, rd(CTRL) | CTRL_SLU);
}

static void teardown(void)
{
    net_cleanup(m);
    machine_free(m);
    m = NULL;
}

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = fz_in(data, size);
    setup();
    int ops = 0;
    /* A TSO packet may be a million segments: a legitimate guest's work,
     * but a program stops once it has made this much. */
    for (; ops < MAX_OPS && !fz_done(&in) && sent < MAX_FRAMES; ops++) {
        uint8_t op = fz_u8(&in) % NOPS;
        uint32_t rdh0 = peek(RDH), tdh0 = peek(TDH);
        /* the operations that make the device receive without a register write */
        rxs.count = 0;
        if (op == OP_FRAME || op == OP_CLOCK || op == OP_LINK || op == OP_PEER)
            rx_snapshot(rdh0);
        uint32_t target = UINT32_MAX; /* the register the op writes, if any */
        bool regs_touched = true;
        bool reset = false; /* the op may put the heads anywhere itself */
        switch (op) {
        /* CTRL.RST resets the MAC: a rewrite of the whole register file, the
         * slowest thing a program can do, and random CTRL values have it half
         * the time. Register writes leave it out; OP_RESET asks for it. */
        case OP_WR32: {
            target = reg_operand(&in);
            uint32_t v = fz_u32(&in);
            wr(target, target == CTRL ? v & ~CTRL_RST : v);
            break;
        }
        case OP_RD32:
            rd(reg_operand(&in));
            break;
        case OP_WR_NARROW: {
            target = reg_operand(&in);
            uint8_t how = fz_u8(&in);
            int size_log2 = how & 1;
            uint32_t at = target + ((how >> 1) & (size_log2 ? 2 : 3));
            uint32_t v = fz_u16(&in);
            if (target == CTRL)
                v &= ~(CTRL_RST >> (8 * (at & 3)));
            phys_write(m, MMIO_BASE + at, v, size_log2);
            break;
        }
        case OP_IO: {
            uint8_t how = fz_u8(&in);
            if (how & 1) {
                target = reg_operand(&in);
                uint32_t v = fz_u32(&in);
                port_write(m, IO_BASE, target, 2);
                port_write(m, IO_BASE + 4, target == CTRL ? v & ~CTRL_RST : v, 2);
            } else {
                port_write(m, IO_BASE, reg_operand(&in), 2);
                port_read(m, (uint16_t)(IO_BASE + (how & 6)), 2 - ((how >> 3) & 1));
            }
            break;
        }
        case OP_RAM:
            op_ram(&in);
            regs_touched = false;
            break;
        case OP_TXDESC:
            op_txdesc(&in);
            regs_touched = false;
            break;
        case OP_RXDESC:
            op_rxdesc(&in);
            regs_touched = false;
            break;
        case OP_FRAME:
            op_frame(&in);
            regs_touched = false;
            break;
        case OP_CLOCK:
            fz_op_clock(&in, m, 6, MAX_FIRES);
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
                wr(CTRL, rd(CTRL) | CTRL_RST);
            reset = true;
            break;
        case OP_RING:
            op_ring(&in);
            reset = true;
            break;
        case OP_EEBITS:
            op_eebits(&in);
            break;
        }
        if (target == RDH || target == TDH || target == CTRL) /* CTRL.RST */
            reset = true;

        if (fz_verbosity() > 1)
            fprintf(stderr,
                    "fuzz_e1000: op %d %d: RDH %u->%u TDH %u->%u RDT %u TDT %u RDLEN %u "
                    "RCTL %#x TCTL %#x\n",
                    ops, op, rdh0, peek(RDH), tdh0, peek(TDH), peek(RDT), peek(TDT), peek(RDLEN),
                    peek(RCTL), peek(TCTL));
        const char *why = e1000_selfcheck(nic);
        FUZZ_CHECK(!why, "e1000_selfcheck after op %d: %s", op, why);
        /* Heads the device moves itself stay inside their ring. */
        uint32_t rdh = peek(RDH), tdh = peek(TDH);
        if (rdh != rdh0 && !regs_touched)
            check_rx_writeback(rdh0, rdh);
        if (rdh != rdh0 && !reset)
            FUZZ_CHECK(rdh < ring_count(false), "RDH moved by the device to %u, ring of %u", rdh,
                       ring_count(false));
        if (tdh != tdh0 && !reset)
            FUZZ_CHECK(tdh < ring_count(true), "TDH moved by the device to %u, ring of %u", tdh,
                       ring_count(true));
        FUZZ_CHECK(peer->queue_len <= NET_QUEUE_MAX, "peer queue of %d frames", peer->queue_len);
        /* TPT counts every frame sent; a guest's read clears it (an op
         * either reads registers or makes the device send, not both). */
        uint32_t t = e1000_raw_reg(nic, TPT);
        sent += t >= tpt ? t - tpt : t;
        tpt = t;
    }
    if (fz_verbose())
        fprintf(stderr,
                "fuzz_e1000: %d operations, %lu frames sent, %lu to the peer, %u received "
                "(GPRC since its last read), %llu ns\n",
                ops, sent, frames, e1000_raw_reg(nic, GPRC), (unsigned long long)clock_ns(m));
    teardown();
    return 0;
}
