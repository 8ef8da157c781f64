/* libFuzzer target: QEMU's firmware configuration device (hw/fw_cfg.c) as a
 * hostile guest drives it through the selector (0x510), the data port
 * (0x511) and the DMA interface (0x514-0x51B).
 *
 * The machine has 64 KiB of RAM and a device holding the signature and ID
 * items, a few fixed items, and files of 0, 7, 600 and 5000 bytes (one of
 * them rewritten by its select callback). The input is a program:
 *   selects (a key from a table, with the write-channel or arch-local bit,
 *   or any 16 bits), data port reads of 1..64 bytes in byte, word and
 *   dword accesses, any access to any of the 12 ports, bytes into RAM, and
 *   DMA transfers: a 16-byte FWCfgDmaAccess placed in RAM, across its end,
 *   outside it, or on the buffer it names, with any control bits (a selected
 *   key from the table), lengths from 0 to 4 GiB and buffers in RAM, across
 *   its end, outside it or over the structure itself; machine resets (the
 *   signature selected again, the DMA address register cleared).
 * Invariants, against a shadow of the selector and the item offset:
 *   every data port byte is the item's next byte (0 past its end); the DMA
 *   port reads "QEMU CFG"; after each DMA transfer all of RAM is what the
 *   spec says: a structure outside RAM changes nothing; else READ copies the
 *   item's next bytes and zeros past its end into the buffer, SKIP and
 *   READ move the offset, WRITE (no item is writable) and a buffer outside
 *   RAM set the error bit (nothing to move is no error), and the control
 *   word becomes 0 or ERROR; on an error, bytes outside the buffer and the
 *   control word are untouched and those inside it hold either their old
 *   or the expected value. Every
 *   transfer is bounded (the target's time limit catches a spin). */
/* fuzz-models: hw/fw_cfg.c */
#include "fuzz.h"

#include "hw/bytes.h"
#include "hw/fw_cfg.h"

#define RAM_SIZE 0x10000u
#define MAX_OPS 512

enum { OP_SEL, OP_READ, OP_PORT_IN, OP_PORT_OUT, OP_RAM, OP_DMA, OP_RESET, NOPS };

static Machine *m;
static FwCfg *fw;
static uint8_t *before; /* RAM before a DMA transfer */
static uint8_t *expect; /* RAM as it should be after it */

/* The shadow */
static uint16_t cur_key;
static uint32_t cur_off;

static const uint16_t keys[] = {
    FW_CFG_SIGNATURE,
    FW_CFG_ID,
    FW_CFG_UUID,
    FW_CFG_RAM_SIZE,
    FW_CFG_NB_CPUS,
    FW_CFG_KERNEL_CMDLINE,
    FW_CFG_FILE_DIR,
    FW_CFG_FILE_FIRST,
    FW_CFG_FILE_FIRST + 1,
    FW_CFG_FILE_FIRST + 2,
    FW_CFG_FILE_FIRST + 3,
    FW_CFG_FILE_FIRST + 4,
    FW_CFG_ARCH_LOCAL,
    FW_CFG_ARCH_LOCAL | 3,
    0x3FFF,
    0xFFFF,
};
#define NKEYS (sizeof keys / sizeof keys[0])

static unsigned selects; /* how often the callback ran */

static void on_select(void *opaque, uint8_t *data, size_t len)
{
    (void)opaque;
    selects++;
    for (size_t i = 0; i < len; i++) /* same length, new bytes: as the ACPI tables' patch */
        data[i] = (uint8_t)(selects + i);
}

FZ_HARNESS static uint16_t pick_key(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    if ((how & 0xC0) == 0xC0)
        return fz_u16(in);
    uint16_t k = keys[how % NKEYS];
    if (how & 0x40)
        k |= FW_CFG_WRITE_CHANNEL;
    return k;
}

/* The item behind the shadow's key (as the device names it) */
FZ_HARNESS static const uint8_t *item(uint16_t key, size_t *len)
{
    *len = 0;
    const uint8_t *d = fw_cfg_item(fw, key, len);
    if (!d)
        *len = 0;
    return d;
}

FZ_HARNESS static void shadow_select(uint16_t key)
{
    cur_key = key;
    cur_off = 0;
}

FZ_HARNESS static uint8_t shadow_next(void)
{
    size_t len;
    const uint8_t *d = item(cur_key, &len);
    if (!d || cur_off >= len)
        return 0;
    return d[cur_off++];
}

FZ_HARNESS static uint64_t pick_addr(FuzzIn *in, uint64_t other)
{
    uint8_t how = fz_u8(in);
    uint32_t v = fz_u32(in);
    switch (how % 8) {
    case 0:
        return v % RAM_SIZE; /* in RAM */
    case 1:
        return RAM_SIZE - 1 - (v % 64); /* near the end */
    case 2:
        return RAM_SIZE + (v % 64); /* just past it */
    case 3:
        return other + (int8_t)(v & 0xFF); /* on or near the other structure */
    case 4:
        return (uint64_t)v << 32 | fz_u32(in); /* anywhere */
    case 5:
        return UINT64_MAX - (v % 64); /* wrapping */
    default:
        return (v % (RAM_SIZE / 16)) * 16; /* aligned in RAM */
    }
}

FZ_HARNESS static uint32_t pick_len(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    uint32_t v = fz_u32(in);
    switch (how % 6) {
    case 0:
        return v % 16;
    case 1:
        return v % 8192;
    case 2:
        return UINT32_MAX - (v % 16);
    case 3:
        return RAM_SIZE - (v % 32);
    default:
        return v;
    }
}

FZ_HARNESS static void check_ram(uint64_t lo, uint64_t hi, uint64_t ctl, bool error)
{
    if (!memcmp(m->ram, expect, RAM_SIZE))
        return;
    for (uint32_t a = 0; a < RAM_SIZE; a++) {
        uint8_t got = m->ram[a];
        if (got == expect[a])
            continue;
        bool in_buf = a >= lo && a < hi;
        bool in_ctl = a >= ctl && a < ctl + 4;
        FUZZ_CHECK(error && in_buf && !in_ctl && got == before[a],
                   "RAM byte %#x after DMA is %#x, expected %#x (was %#x; buffer %#llx-%#llx, "
                   "control at %#llx, %s)",
                   a, got, expect[a], before[a], (unsigned long long)lo, (unsigned long long)hi,
                   (unsigned long long)ctl, error ? "error" : "success");
    }
}

/* Start a transfer of the structure at at, and check what it did. */
static void dma(uint64_t at)
{
    memcpy(before, m->ram, RAM_SIZE);
    memcpy(expect, m->ram, RAM_SIZE);
    bool readable = at <= RAM_SIZE - 16;
    uint32_t control = 0, length = 0;
    uint64_t addr = 0;
    if (readable) {
        control = ld32be(m->ram + at + FW_CFG_DMA_CONTROL);
        length = ld32be(m->ram + at + FW_CFG_DMA_LENGTH);
        addr = ld64be(m->ram + at + FW_CFG_DMA_ADDRESS);
    }
    /* The guest writes the high half, then the low half, big-endian; an
     * OUTL puts the bytes of its little-endian value in address order. */
    uint8_t be[8];
    st64be(be, at);
    port_write(m, FW_CFG_PORT_DMA, ld32le(be), 2);
    port_write(m, FW_CFG_PORT_DMA + 4, ld32le(be + 4), 2);
    if (!readable) {
        FUZZ_CHECK(!memcmp(m->ram, before, RAM_SIZE),
                   "a DMA structure at %#llx outside RAM changed RAM", (unsigned long long)at);
        return;
    }
    bool error = false;
    uint64_t lo = 0, hi = 0;
    if (control & FW_CFG_DMA_CTL_SELECT)
        shadow_select((uint16_t)(control >> 16));
    size_t len;
    const uint8_t *d = item(cur_key, &len);
    uint64_t avail = d && cur_off < len ? len - cur_off : 0;
    uint64_t n = length < avail ? length : avail;
    if (control & FW_CFG_DMA_CTL_READ) {
        lo = addr;
        hi = addr + length < addr ? UINT64_MAX : addr + length;
        if (length && (addr > RAM_SIZE || length > RAM_SIZE - addr)) {
            /* What of the buffer is RAM may hold the item's bytes and
             * zeros after an error, or what it held before. */
            error = true;
            for (uint64_t i = 0; i < length && addr + i < RAM_SIZE; i++)
                expect[addr + i] = i < n ? d[cur_off + i] : 0;
        } else if (length) {
            if (n)
                memcpy(expect + addr, d + cur_off, (size_t)n);
            memset(expect + addr + n, 0, length - n);
            cur_off += (uint32_t)n;
        }
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        error = true;
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        cur_off += (uint32_t)n;
    }
    st32be(expect + at + FW_CFG_DMA_CONTROL, error ? FW_CFG_DMA_CTL_ERROR : 0);
    check_ram(lo, hi, at, error);
}

FZ_HARNESS static void setup(void)
{
    m = fz_machine(RAM_SIZE);
    fw = fw_cfg_new(m, FW_CFG_IO_BASE);
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, RAM_SIZE);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, 1);
    fw_cfg_add_string(fw, FW_CFG_KERNEL_CMDLINE, "console=ttyS0");
    fw_cfg_add_bytes(fw, FW_CFG_ARCH_LOCAL | 3, "arch", 4);
    static uint8_t big[5000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + 5);
    fw_cfg_add_file(fw, "etc/empty", NULL, 0);
    fw_cfg_add_file(fw, "etc/seven", "1234567", 7);
    fw_cfg_add_file_cb(fw, "etc/acpi/tables", big, 600, on_select, NULL);
    fw_cfg_add_file(fw, "genroms/big.bin", big, sizeof big);
    shadow_select(FW_CFG_SIGNATURE);
    selects = 0;
    if (!before) {
        before = malloc(RAM_SIZE);
        expect = malloc(RAM_SIZE);
    }
}

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzIn in = fz_in(data, size);
    setup();
    int ops = 0;
    for (; ops < MAX_OPS && !fz_done(&in); ops++) {
        uint8_t op = fz_u8(&in) % NOPS;
        switch (op) {
        case OP_SEL: {
            uint16_t k = pick_key(&in);
            port_write(m, FW_CFG_PORT_SEL, k, 1);
            shadow_select(k);
            break;
        }
        case OP_READ: {
            uint8_t how = fz_u8(&in);
            int size_log2 = (how >> 6) % 3;
            for (int i = 0; i <= (how & 63); i++) {
                uint32_t v = port_read(m, FW_CFG_PORT_DATA, size_log2);
                uint32_t want = shadow_next();
                /* A wider access reaches 0x512 and up: 0, then the first
                 * byte of the DMA signature. */
                if (size_log2 == 2)
                    want |= (uint32_t)(uint8_t)FW_CFG_DMA_SIGNATURE[0] << 24;
                FUZZ_CHECK(v == want, "data port read %d of key %#x: %#x, expected %#x", i, cur_key,
                           v, want);
            }
            break;
        }
        case OP_PORT_IN: {
            uint8_t how = fz_u8(&in);
            int size_log2 = (how >> 4) % 3;
            uint32_t off = (how & 15) % FW_CFG_IO_LEN;
            uint32_t v = port_read(m, (uint16_t)(FW_CFG_IO_BASE + off), size_log2);
            for (int i = 0; i < (1 << size_log2); i++) {
                uint32_t o = off + (uint32_t)i;
                uint8_t b = (uint8_t)(v >> (8 * i));
                uint8_t want = 0;
                if (o == FW_CFG_PORT_DATA - FW_CFG_IO_BASE)
                    want = shadow_next();
                else if (o >= FW_CFG_DMA_OFFSET && o < FW_CFG_DMA_OFFSET + 8)
                    want = (uint8_t)FW_CFG_DMA_SIGNATURE[o - FW_CFG_DMA_OFFSET];
                if (o < FW_CFG_IO_LEN) /* beyond: another device's port, if any */
                    FUZZ_CHECK(b == want, "port %#x reads %#x, expected %#x", FW_CFG_IO_BASE + o, b,
                               want);
            }
            break;
        }
        case OP_PORT_OUT: {
            /* Anything to any port but the DMA trigger (OP_DMA's): the
             * selector takes 8 and 16-bit writes, the rest is ignored. */
            uint8_t how = fz_u8(&in);
            int size_log2 = (how >> 4) % 3;
            uint32_t off = (how & 15) % FW_CFG_IO_LEN;
            uint32_t v = fz_u32(&in);
            if (size_log2 < 2)
                v &= size_log2 ? 0xFFFF : 0xFF;
            if (size_log2 == 2 && off == FW_CFG_DMA_OFFSET + 4)
                break;
            port_write(m, (uint16_t)(FW_CFG_IO_BASE + off), v, size_log2);
            if (off == 0 && size_log2 <= 1)
                shadow_select((uint16_t)v);
            break;
        }
        case OP_RAM: {
            uint32_t a = fz_u16(&in) * 4u % RAM_SIZE;
            uint8_t n = fz_u8(&in) % 32;
            for (uint8_t i = 0; i < n && a + i < RAM_SIZE; i++)
                m->ram[a + i] = fz_u8(&in);
            break;
        }
        case OP_DMA: {
            uint64_t at = pick_addr(&in, 0x1000);
            uint8_t cbits = fz_u8(&in);
            uint16_t key = pick_key(&in);
            uint32_t control = (uint32_t)key << 16 | (cbits & 0x1F);
            if (cbits & 0x80)
                control = fz_u32(&in);
            uint32_t length = pick_len(&in);
            uint64_t addr = pick_addr(&in, at);
            if (at <= RAM_SIZE - 16) {
                st32be(m->ram + at + FW_CFG_DMA_CONTROL, control);
                st32be(m->ram + at + FW_CFG_DMA_LENGTH, length);
                st64be(m->ram + at + FW_CFG_DMA_ADDRESS, addr);
            }
            dma(at);
            break;
        }
        case OP_RESET:
            /* The high half of a DMA address written before it is gone. */
            port_write(m, FW_CFG_PORT_DMA, fz_u32(&in), 2);
            machine_reset(m);
            shadow_select(FW_CFG_SIGNATURE);
            break;
        }
    }
    if (fz_verbose())
        fprintf(stderr, "fuzz_fw_cfg: %d operations\n", ops);
    machine_free(m);
    m = NULL;
    return 0;
}
