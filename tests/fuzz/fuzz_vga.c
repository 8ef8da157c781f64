/* libFuzzer target: the standard VGA with Bochs VBE (hw/vga.c) as a hostile
 * guest drives it, and the display that draws it.
 *
 * A board with the card (its option ROM when the firmware directories have
 * it, for the ROM font) with BAR0 (the LFB) and BAR2 (MMIO) mapped. The
 * input is a program:
 *   VGA register writes by index/data pairs (sequencer, graphics controller,
 *   attribute controller with its flip-flop, CRTC, DAC, misc output) and any
 *   byte, word or dword access to ports 0x3B0-0x3DF; Bochs VBE registers
 *   through 0x1CE/0x1CF and through BAR2, with hostile values (0, 1, odd,
 *   0xFFFF, anything) and whole modes set at once; reads and writes of 1..32
 *   bytes in the legacy window 0xA0000-0xBFFFF (every memory map, read mode
 *   and write mode follows from the registers); LFB writes anywhere in the
 *   BAR; any access to BAR2; the clock; machine resets; the BIOS text mode;
 *   and display updates (full or incremental) followed by a screendump-like
 *   read of the surface and of the text cells.
 * Invariants: ASan sees every byte the card touches (video memory and the
 * surface are their own allocations); after every update the surface is
 * 1..4608 x 1..4096 pixels and fits the surface allocation, a VBE mode's
 * surface is exactly XRES x YRES as the registers read back, the dirty rows
 * lie inside the surface; the VBE registers read back always describe a
 * picture inside video memory (XRES <= VIRT_WIDTH, the offsets keep the
 * visible screen in it, BANK inside it); in a 32 bpp VBE mode a full update
 * shows exactly the video memory's pixels. Each update must end (the
 * target's time limit catches a spin). */
/* fuzz-models: hw/vga.c */
#include "fuzz.h"

#include "hw/bytes.h"
#include "hw/display.h"
#include "hw/pci_regs.h"
#include "hw/vga.h"
#include "hw/vga_regs.h"

#define RAM_SIZE (1u << 20)
#define LFB_BASE 0xE0000000u
#define MMIO_BASE 0xE1000000u
#define MAX_OPS 256
#define MAX_UPDATES 6 /* a full 4096-line update is slow under ASan */

enum {
    OP_REG,
    OP_OUT,
    OP_IN,
    OP_VBE,
    OP_VBE_MMIO,
    OP_MODE,
    OP_WIN_WRITE,
    OP_WIN_READ,
    OP_LFB,
    OP_MMIO,
    OP_CLOCK,
    OP_UPDATE,
    OP_TEXT_MODE,
    OP_RESET,
    NOPS
};

static Machine *m;
static PcBoard *board;
static Vga *vga;
static int devfn;
static uint8_t *vram;
static uint32_t vram_size;
static int updates;

FZ_HARNESS static void map_bars(void)
{
    pci_config_write(board->pci, devfn, PCI_BAR0, LFB_BASE, 2);
    pci_config_write(board->pci, devfn, PCI_BAR0 + 8, MMIO_BASE, 2);
    pci_config_write(board->pci, devfn, PCI_COMMAND, PCI_CMD_IO | PCI_CMD_MEM, 1);
}

/* A VBE register as the guest reads it (the guest's index register kept). */
FZ_HARNESS static uint16_t vbe_get(uint16_t index)
{
    uint32_t saved = port_read(m, VBE_DISPI_IOPORT_INDEX, 1);
    port_write(m, VBE_DISPI_IOPORT_INDEX, index, 1);
    uint16_t v = (uint16_t)port_read(m, VBE_DISPI_IOPORT_DATA, 1);
    port_write(m, VBE_DISPI_IOPORT_INDEX, saved, 1);
    return v;
}

/* The VBE registers describe a picture inside video memory. */
FZ_HARNESS static void check_vbe(void)
{
    uint16_t en = vbe_get(VBE_DISPI_INDEX_ENABLE);
    if (!(en & VBE_DISPI_ENABLED) || (en & VBE_DISPI_GETCAPS))
        return;
    uint32_t xres = vbe_get(VBE_DISPI_INDEX_XRES), yres = vbe_get(VBE_DISPI_INDEX_YRES);
    uint32_t bpp = vbe_get(VBE_DISPI_INDEX_BPP), vw = vbe_get(VBE_DISPI_INDEX_VIRT_WIDTH);
    uint32_t xo = vbe_get(VBE_DISPI_INDEX_X_OFFSET), yo = vbe_get(VBE_DISPI_INDEX_Y_OFFSET);
    uint32_t bank = vbe_get(VBE_DISPI_INDEX_BANK);
    FUZZ_CHECK(bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32,
               "VBE bpp %u", bpp);
    FUZZ_CHECK(xres >= 1 && xres <= VBE_DISPI_MAX_XRES && yres >= 1 && yres <= VBE_DISPI_MAX_YRES,
               "VBE %ux%u", xres, yres);
    FUZZ_CHECK(xres <= vw && xo + xres <= vw, "VBE xres %u + x offset %u beyond virt width %u",
               xres, xo, vw);
    uint64_t line = bpp == 4 ? vw / 2 : (uint64_t)vw * ((bpp + 7) / 8);
    uint64_t px = bpp == 4 ? (uint64_t)(xo + xres) / 2 : (uint64_t)(xo + xres) * ((bpp + 7) / 8);
    FUZZ_CHECK((uint64_t)(yo + yres - 1) * line + px <= vram_size,
               "VBE %ux%ux%u (virt width %u, offsets %u,%u) beyond %u bytes of video memory", xres,
               yres, bpp, vw, xo, yo, vram_size);
    FUZZ_CHECK((uint64_t)bank * VBE_DISPI_BANK_SIZE + VBE_DISPI_BANK_SIZE <= vram_size,
               "VBE bank %u beyond video memory", bank);
}

FZ_HARNESS static void check_update(bool full, const DisplayDirty *dd)
{
    const DisplaySurface *s = display_surface(m);
    FUZZ_CHECK(s && s->pixels, "no surface");
    FUZZ_CHECK(s->width >= 1 && s->height >= 1 && s->width <= 4608 && s->height <= 4096 &&
                   (uint64_t)s->width * s->height <= 4096u * 4096u,
               "surface %dx%d", s->width, s->height);
    FUZZ_CHECK(dd->y0 == dd->y1 || (dd->y0 >= 0 && dd->y0 < dd->y1 && dd->y1 <= s->height),
               "dirty rows %d-%d of a %d-line surface", dd->y0, dd->y1, s->height);
    /* The screendump: every pixel (ASan checks each is inside the surface). */
    uint32_t sum = 0;
    for (size_t i = 0; i < (size_t)s->width * s->height; i += 61)
        sum += s->pixels[i];
    (void)sum;
    uint16_t en = vbe_get(VBE_DISPI_INDEX_ENABLE);
    bool blank = (port_read(m, VGA_ATT_W, 0) & VGA_AR_ENABLE_DISPLAY) == 0;
    if (!(en & VBE_DISPI_ENABLED) || (en & VBE_DISPI_GETCAPS))
        return;
    uint32_t xres = vbe_get(VBE_DISPI_INDEX_XRES), yres = vbe_get(VBE_DISPI_INDEX_YRES);
    FUZZ_CHECK((uint32_t)s->width == xres && (uint32_t)s->height == yres,
               "VBE mode %ux%u on a %dx%d surface", xres, yres, s->width, s->height);
    uint32_t sr_index = port_read(m, VGA_SEQ_I, 0);
    port_write(m, VGA_SEQ_I, VGA_SEQ_CLOCK_MODE, 0);
    bool screen_off = port_read(m, VGA_SEQ_D, 0) & VGA_SR01_SCREEN_OFF;
    port_write(m, VGA_SEQ_I, sr_index, 0);
    if (blank || screen_off || !full || vbe_get(VBE_DISPI_INDEX_BPP) != 32)
        return;
    uint32_t vw = vbe_get(VBE_DISPI_INDEX_VIRT_WIDTH), xo = vbe_get(VBE_DISPI_INDEX_X_OFFSET),
             yo = vbe_get(VBE_DISPI_INDEX_Y_OFFSET);
    for (uint32_t y = 0; y < yres; y += 7)
        for (uint32_t x = 0; x < xres; x += 5) {
            uint32_t want = ld32le(vram + ((uint64_t)(yo + y) * vw + xo + x) * 4) & 0xFFFFFF;
            uint32_t got = s->pixels[(size_t)y * xres + x];
            FUZZ_CHECK(got == want, "32 bpp pixel %u,%u is %#x, video memory says %#x", x, y, got,
                       want);
        }
}

static const uint16_t vbe_vals[] = {0,   1,   4,    7,    8,    15,   16,   24,     32,     33,
                                    320, 640, 1024, 1600, 4095, 4096, 4097, 0x7FFF, 0xFFF8, 0xFFFF};
#define NVALS (sizeof vbe_vals / sizeof vbe_vals[0])

FZ_HARNESS static uint16_t vbe_val(FuzzIn *in)
{
    uint8_t how = fz_u8(in);
    if (how & 0x80)
        return fz_u16(in);
    return vbe_vals[how % NVALS];
}

static void vbe_set(uint16_t index, uint16_t val)
{
    port_write(m, VBE_DISPI_IOPORT_INDEX, index, 1);
    port_write(m, VBE_DISPI_IOPORT_DATA, val, 1);
}

static void op_reg(FuzzIn *in)
{
    /* index/data pairs: 0 SR, 1 GR, 2 AR, 3 CRTC (colour), 4 DAC write, 5 misc */
    uint8_t how = fz_u8(in), idx = fz_u8(in), val = fz_u8(in);
    switch (how % 6) {
    case 0:
        port_write(m, VGA_SEQ_I, idx % 8, 0);
        port_write(m, VGA_SEQ_D, val, 0);
        break;
    case 1:
        port_write(m, VGA_GFX_I, idx % 16, 0);
        port_write(m, VGA_GFX_D, val, 0);
        break;
    case 2:
        port_read(m, VGA_IS1_RC, 0);
        port_read(m, VGA_IS1_RM, 0);
        port_write(m, VGA_ATT_W, idx, 0);
        port_write(m, VGA_ATT_W, val, 0);
        break;
    case 3:
        port_write(m, VGA_CRT_IC, idx, 0);
        port_write(m, VGA_CRT_DC, val, 0);
        break;
    case 4:
        port_write(m, VGA_PEL_IW, idx, 0);
        for (int i = 0; i < 3 * (val % 8 + 1); i++)
            port_write(m, VGA_PEL_D, fz_u8(in), 0);
        break;
    default:
        port_write(m, VGA_MIS_W, val, 0);
        break;
    }
}

/* A whole VBE mode the way a driver sets it. */
static void op_mode(FuzzIn *in)
{
    static const uint16_t bpps[] = {4, 8, 15, 16, 24, 32};
    uint8_t how = fz_u8(in), more = fz_u8(in);
    vbe_set(VBE_DISPI_INDEX_ENABLE, 0);
    vbe_set(VBE_DISPI_INDEX_BPP, (how & 0x80) ? vbe_val(in) : bpps[(how & 7) % 6]);
    vbe_set(VBE_DISPI_INDEX_XRES, vbe_val(in));
    vbe_set(VBE_DISPI_INDEX_YRES, vbe_val(in));
    if (how & 0x40)
        vbe_set(VBE_DISPI_INDEX_VIRT_WIDTH, vbe_val(in));
    vbe_set(VBE_DISPI_INDEX_ENABLE,
            (uint16_t)(VBE_DISPI_ENABLED | (how & 0x08 ? 0 : VBE_DISPI_LFB_ENABLED) |
                       (how & 0x10 ? VBE_DISPI_NOCLEARMEM : 0) |
                       (how & 0x20 ? VBE_DISPI_8BIT_DAC : 0)));
    if (more & 0x01) {
        vbe_set(VBE_DISPI_INDEX_X_OFFSET, vbe_val(in));
        vbe_set(VBE_DISPI_INDEX_Y_OFFSET, vbe_val(in));
    }
    /* the attribute controller's display enable, as a BIOS leaves it */
    port_read(m, VGA_IS1_RC, 0);
    port_write(m, VGA_ATT_W, VGA_AR_ENABLE_DISPLAY, 0);
}

static void op_window(FuzzIn *in, bool write)
{
    uint8_t how = fz_u8(in);
    uint32_t a = 0xA0000 + fz_u16(in) * 2u % 0x20000;
    int size_log2 = how % 3;
    int n = ((how >> 2) & 31) + 1;
    for (int i = 0; i < n; i++, a += 1u << size_log2) {
        if (a + (1u << size_log2) > 0xC0000)
            break;
        if (write)
            phys_write(m, a, (how & 0x80) ? fz_u32(in) : 0x01020304u * (uint32_t)i, size_log2);
        else
            phys_read(m, a, size_log2);
    }
}

static void update(FuzzIn *in)
{
    if (updates >= MAX_UPDATES)
        return;
    updates++;
    bool full = fz_u8(in) & 1;
    DisplayDirty dd = {0, 0, false};
    display_update(m, full, &dd);
    check_update(full, &dd);
    uint8_t ch, attr;
    for (int y = -1; y < 130; y += 9)
        for (int x = -1; x < 260; x += 13)
            display_text_cell(m, x, y, &ch, &attr);
}

FZ_HARNESS static void setup(void)
{
    m = fz_machine(RAM_SIZE);
    board = pc_board_init(m);
    char err[256] = "";
    vga = vga_new(m, board->pci, -1, VGA_ROMFILE_DEFAULT, false, err, sizeof err);
    FUZZ_CHECK(vga != NULL, "vga_new: %s", err);
    devfn = vga_pci(vga)->devfn;
    vram = vga_vram(vga, &vram_size);
    map_bars();
    updates = 0;
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
        case OP_REG:
            op_reg(&in);
            break;
        case OP_OUT: {
            uint8_t how = fz_u8(&in);
            uint32_t v = fz_u32(&in);
            port_write(m, (uint16_t)(VGA_PORT_BASE + how % VGA_PORT_LEN), v, (how >> 6) % 3);
            break;
        }
        case OP_IN: {
            uint8_t how = fz_u8(&in);
            port_read(m, (uint16_t)(VGA_PORT_BASE + how % VGA_PORT_LEN), (how >> 6) % 3);
            break;
        }
        case OP_VBE: {
            uint8_t how = fz_u8(&in);
            if (how & 0x80) { /* raw accesses to 0x1CE-0x1D0 */
                uint16_t port = (uint16_t)(VBE_DISPI_IOPORT_INDEX + how % 3);
                if (how & 0x40)
                    port_read(m, port, (how >> 4) & 1);
                else
                    port_write(m, port, fz_u16(&in), (how >> 4) & 1);
            } else {
                vbe_set(how % 16, vbe_val(&in));
            }
            break;
        }
        case OP_VBE_MMIO: {
            uint8_t how = fz_u8(&in);
            phys_write(m, MMIO_BASE + VGA_MMIO_DISPI + 2 * (how % 16), vbe_val(&in), 1);
            break;
        }
        case OP_MODE:
            op_mode(&in);
            break;
        case OP_WIN_WRITE:
            op_window(&in, true);
            break;
        case OP_WIN_READ:
            op_window(&in, false);
            break;
        case OP_LFB: {
            uint32_t off = fz_u32(&in) % (vram_size + 64) & ~3u;
            uint8_t n = fz_u8(&in) % 32 + 1;
            uint32_t v = fz_u32(&in);
            for (uint8_t i = 0; i < n; i++)
                phys_write(m, LFB_BASE + off + 4u * i, v * (i + 1), 2);
            break;
        }
        case OP_MMIO: {
            uint8_t how = fz_u8(&in);
            uint32_t off = fz_u16(&in) % (VGA_MMIO_SIZE + 16);
            int size_log2 = how % 3;
            if (how & 4)
                phys_read(m, MMIO_BASE + off, size_log2);
            else
                phys_write(m, MMIO_BASE + off, fz_u32(&in), size_log2);
            break;
        }
        case OP_CLOCK:
            fz_run_until(m, clock_ns(m) + (uint64_t)fz_u16(&in) * 100000, 100);
            break;
        case OP_UPDATE:
            update(&in);
            break;
        case OP_TEXT_MODE:
            vga_bios_text_mode(vga);
            break;
        case OP_RESET:
            machine_reset(m);
            map_bars();
            break;
        }
        check_vbe();
    }
    DisplayDirty dd = {0, 0, false};
    if (updates < MAX_UPDATES) {
        display_update(m, true, &dd);
        check_update(true, &dd);
    }
    if (fz_verbose())
        fprintf(stderr, "fuzz_vga: %d operations, %d updates\n", ops, updates);
    machine_free(m);
    m = NULL;
    return 0;
}
