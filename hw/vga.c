/* QEMU's "std" VGA (PCI 1234:1111): an IBM VGA with the Bochs VBE
 * ("DISPI") extension and a linear framebuffer.
 *
 * Modelled: the sequencer, graphics controller, attribute controller, CRTC,
 * DAC, misc output, feature control and input status registers (retrace on
 * the virtual clock); the legacy memory windows at 0xA0000-0xBFFFF, one of
 * which the graphics controller's memory map select enables; planar memory
 * with latches, write modes 0-3, read modes 0-1, map mask, bit mask,
 * set/reset, rotate and logical functions; odd/even and chain-4 addressing;
 * text modes (fonts from plane 2, 8/9-dot cells, the cursor, blinking),
 * 16-colour planar, CGA 4-colour and 256-colour (mode 13h) graphics; VBE
 * modes of 4/8/15/16/24/32 bpp with banks, virtual width/height and panning,
 * the LFB at BAR0 (16 MiB of video memory, the guest writes it at full
 * speed, pages written are tracked through the memory map) and QEMU's MMIO
 * BAR2 (the VGA ports, the DISPI registers and the QEMU extension registers
 * Linux's bochs driver uses); the option ROM (VGA BIOS) at the expansion ROM
 * BAR. Not modelled: horizontal pixel panning, the 9th-dot of
 * pixel-doubled 40-column text, light pen, EDID (BAR2 offset 0 reads zero).
 *
 * Video memory is laid out as QEMU does it: the four planes of planar
 * address a are the bytes 4a..4a+3, so chain-4 byte n is simply vram[n] and
 * every mode reads one array.
 *
 * A guest never makes the card reach outside its memory: window offsets,
 * banks, start addresses and VBE geometry are clamped or checked where
 * they are used. */
#define _GNU_SOURCE
#include "hw/vga.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/bytes.h"
#include "hw/device.h"
#include "hw/display.h"
#include "hw/pci_regs.h"
#include "hw/vga_regs.h"

#define PAGE_SHIFT 12
#define VRAM_PAGES (VGA_VRAM_SIZE >> PAGE_SHIFT)
#define MAX_SURFACE 4096 /* largest surface side in pixels */
#define MAX_TEXT_COLS 256
#define MAX_TEXT_ROWS 128

enum { KIND_BLANK, KIND_TEXT, KIND_PLANAR, KIND_CGA, KIND_256, KIND_VBE };

/* Everything the picture depends on besides memory and palette: when it
 * changes the whole surface is drawn again. */
typedef struct Mode {
    int kind;
    int width, height;    /* surface */
    uint32_t start;       /* vram byte of the first line (text: of the first cell) */
    uint32_t line_offset; /* vram bytes from one line (text: row of cells) to the next */
    int multi_scan;       /* scan lines per row of memory, minus one */
    int line_compare;     /* scan line after which memory restarts at 0 */
    int cga_wrap;         /* CRTC mode control bits 0-1 (CGA/Hercules address wraps) */
    int pixel_double;     /* graphics: each pixel drawn twice */
    int bpp;              /* VBE */
    uint8_t plane_mask;   /* planar: colour plane enable */
    /* text */
    int cols, rows, cw, ch;
    uint32_t font_a, font_b; /* plane-2 offsets of the two character maps */
    bool nine_dot_lines, blink_enabled;
} Mode;

struct Vga {
    Machine *m;
    PciDevice *pci;
    uint8_t *vram;
    uint32_t vram_size;
    uint8_t dirty[VRAM_PAGES]; /* pages written since the last update */
    uint8_t snap[VRAM_PAGES];  /* the marks the update works from */
    IoRegion *window[4];       /* the four legacy windows, one enabled */
    IoRegion *lfb;

    /* VGA registers */
    uint8_t misc, fcr;
    uint8_t sr_index, sr[8];
    uint8_t gr_index, gr[16];
    uint8_t ar_index, ar[VGA_ATC_COUNT];
    bool ar_flip;
    uint8_t cr_index, cr[256];
    uint8_t dac[768];
    uint8_t dac_read, dac_write, dac_sub, dac_state, dac_cache[3];
    uint8_t pel_mask;
    bool dac_8bit;
    uint32_t latch;

    /* VBE */
    uint16_t vbe_index;
    uint16_t vbe[VBE_DISPI_INDEX_NB];
    uint32_t vbe_start, vbe_line_offset;
    uint32_t bank_offset;

    /* Option ROM */
    uint8_t *rom;
    uint32_t rom_size, rom_bar_size;
    IoRegion *rom_region;
    const uint8_t *rom_font; /* 8x16 font inside the ROM, 16 bytes a glyph */

    /* Rendering */
    DisplaySurface surf;
    Mode mode;
    bool have_mode, palette_changed;
    uint32_t pal[256]; /* DAC as 0x00RRGGBB */
    uint16_t cells[MAX_TEXT_COLS * MAX_TEXT_ROWS];
    int cursor_drawn; /* cell index the cursor was drawn at, -1 none */
    bool blink_on_drawn;
    uint32_t font_sum;
    bool rom_font_a, rom_font_b; /* the plane-2 map is empty: draw with the ROM's font */
};

/* ------------------------------------------------------------------ helpers */

static const uint32_t mask16[16] = {
    0x00000000, 0x000000ff, 0x0000ff00, 0x0000ffff, 0x00ff0000, 0x00ff00ff, 0x00ffff00,
    0x00ffffff, 0xff000000, 0xff0000ff, 0xff00ff00, 0xff00ffff, 0xffff0000, 0xffff00ff,
    0xffffff00, 0xffffffff,
};

static void mark(Vga *v, uint32_t idx)
{
    v->dirty[idx >> PAGE_SHIFT] = 1;
}

static bool vbe_enabled(const Vga *v)
{
    return v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;
}

static int vbe_bytes_pp(int bpp)
{
    return (bpp + 7) >> 3;
}

/* ------------------------------------------------------------------ legacy windows */

static void windows_update(Vga *v)
{
    int sel = (v->gr[VGA_GFX_MISC] >> VGA_GR06_MEMMAP_SHIFT) & 3;
    for (int i = 0; i < 4; i++) {
        IoRegion *r = v->window[i];
        if (r->enabled != (i == sel))
            region_map(v->m, r, r->base, i == sel);
    }
}

/* addr: offset in the window the memory map selects (the bank added). */
static uint8_t mem_readb(Vga *v, uint32_t addr)
{
    if (v->sr[VGA_SEQ_MEMORY_MODE] & VGA_SR04_CHN_4M)
        return addr < v->vram_size ? v->vram[addr] : 0xFF;
    if (v->gr[VGA_GFX_MODE] & VGA_GR05_HOST_ODD_EVEN) {
        uint32_t plane = (v->gr[VGA_GFX_PLANE_READ] & 2) | (addr & 1);
        uint64_t idx = ((uint64_t)(addr & ~1u) << 1) | plane;
        return idx < v->vram_size ? v->vram[idx] : 0xFF;
    }
    if ((uint64_t)addr * 4 + 4 > v->vram_size)
        return 0xFF;
    v->latch = ld32le(v->vram + addr * 4);
    if (!(v->gr[VGA_GFX_MODE] & VGA_GR05_READ_MODE1))
        return (uint8_t)(v->latch >> (8 * (v->gr[VGA_GFX_PLANE_READ] & 3)));
    /* Read mode 1: a bit is set where all planes that matter match the colour compare. */
    uint32_t r = (v->latch ^ mask16[v->gr[VGA_GFX_COMPARE_VALUE] & 0xF]) &
                 mask16[v->gr[VGA_GFX_COMPARE_MASK] & 0xF];
    r |= r >> 16;
    r |= r >> 8;
    return (uint8_t)~r;
}

static void mem_writeb(Vga *v, uint32_t addr, uint8_t val)
{
    uint8_t map_mask = v->sr[VGA_SEQ_PLANE_WRITE] & 0xF;
    if (v->sr[VGA_SEQ_MEMORY_MODE] & VGA_SR04_CHN_4M) {
        if (addr < v->vram_size && (map_mask & (1u << (addr & 3)))) {
            v->vram[addr] = val;
            mark(v, addr);
        }
        return;
    }
    if (v->gr[VGA_GFX_MODE] & VGA_GR05_HOST_ODD_EVEN) {
        uint32_t plane = (v->gr[VGA_GFX_PLANE_READ] & 2) | (addr & 1);
        uint64_t idx = ((uint64_t)(addr & ~1u) << 1) | plane;
        if (idx < v->vram_size && (map_mask & (1u << plane))) {
            v->vram[idx] = val;
            mark(v, (uint32_t)idx);
        }
        return;
    }
    if ((uint64_t)addr * 4 + 4 > v->vram_size)
        return;
    uint8_t rot = v->gr[VGA_GFX_DATA_ROTATE];
    int count = rot & 7, func = (rot >> 3) & 3;
    uint32_t d, bit_mask = v->gr[VGA_GFX_BIT_MASK];
    uint8_t b = (uint8_t)((val >> count) | (val << (8 - count)));
    switch (v->gr[VGA_GFX_MODE] & 3) {
    case 0: {
        d = b * 0x01010101u;
        uint32_t sr_en = mask16[v->gr[VGA_GFX_SR_ENABLE] & 0xF];
        d = (d & ~sr_en) | (mask16[v->gr[VGA_GFX_SR_VALUE] & 0xF] & sr_en);
        break;
    }
    case 1: /* the latches as they are */
        d = v->latch;
        goto store;
    case 2:
        d = mask16[val & 0xF];
        break;
    default: /* 3: the rotated byte ANDed with the bit mask, set/reset as colour */
        bit_mask &= b;
        d = mask16[v->gr[VGA_GFX_SR_VALUE] & 0xF];
        break;
    }
    switch (func) {
    case 1:
        d &= v->latch;
        break;
    case 2:
        d |= v->latch;
        break;
    case 3:
        d ^= v->latch;
        break;
    }
    bit_mask *= 0x01010101u;
    d = (d & bit_mask) | (v->latch & ~bit_mask);
store:;
    uint32_t wm = mask16[map_mask];
    uint32_t old = ld32le(v->vram + addr * 4);
    st32le(v->vram + addr * 4, (old & ~wm) | (d & wm));
    mark(v, addr * 4);
}

static uint32_t window_addr(Vga *v, int w, uint32_t off)
{
    return w == 1 ? off + v->bank_offset : off;
}

#define WINDOW_HANDLERS(N)                                                                         \
    static uint32_t window_read##N(void *opaque, uint32_t off, int size_log2)                      \
    {                                                                                              \
        uint32_t r = 0;                                                                            \
        for (int i = 0; i < (1 << size_log2); i++)                                                 \
            r |= (uint32_t)mem_readb(opaque, window_addr(opaque, N, off + i)) << (8 * i);          \
        return r;                                                                                  \
    }                                                                                              \
    static void window_write##N(void *opaque, uint32_t off, uint32_t val, int size_log2)           \
    {                                                                                              \
        for (int i = 0; i < (1 << size_log2); i++)                                                 \
            mem_writeb(opaque, window_addr(opaque, N, off + i), (uint8_t)(val >> (8 * i)));        \
    }
WINDOW_HANDLERS(0)
WINDOW_HANDLERS(1)
WINDOW_HANDLERS(2)
WINDOW_HANDLERS(3)

/* ------------------------------------------------------------------ VBE */

/* Make the VBE registers describe a picture inside video memory, as QEMU
 * does: unknown depths become 8 bpp, sizes are clamped, the virtual screen
 * holds the visible one, the offsets keep it inside. */
static void vbe_fixup(Vga *v)
{
    uint16_t *r = v->vbe;
    int bpp = r[VBE_DISPI_INDEX_BPP];
    if (bpp != 4 && bpp != 8 && bpp != 15 && bpp != 16 && bpp != 24 && bpp != 32)
        r[VBE_DISPI_INDEX_BPP] = bpp = 8;
    uint32_t xres = r[VBE_DISPI_INDEX_XRES] & ~7u, yres = r[VBE_DISPI_INDEX_YRES];
    if (xres < 8)
        xres = 8;
    if (xres > VBE_DISPI_MAX_XRES)
        xres = VBE_DISPI_MAX_XRES;
    if (yres < 1)
        yres = 1;
    if (yres > VBE_DISPI_MAX_YRES)
        yres = VBE_DISPI_MAX_YRES;
    uint32_t vw = r[VBE_DISPI_INDEX_VIRT_WIDTH] & ~7u;
    if (vw < xres)
        vw = xres;
    uint32_t line = bpp == 4 ? vw / 2 : vw * (uint32_t)vbe_bytes_pp(bpp);
    if (line * (uint64_t)yres > v->vram_size) { /* not even the visible screen fits */
        yres = v->vram_size / line;
        if (!yres) {
            xres = vw = 8;
            line = bpp == 4 ? 4 : 8 * (uint32_t)vbe_bytes_pp(bpp);
            yres = 1;
        }
    }
    uint32_t vh = v->vram_size / line;
    if (vh > 0xFFFF)
        vh = 0xFFFF;
    uint32_t xo = r[VBE_DISPI_INDEX_X_OFFSET], yo = r[VBE_DISPI_INDEX_Y_OFFSET];
    if (xo > vw - xres)
        xo = vw - xres;
    if (yo > vh - yres)
        yo = vh - yres;
    r[VBE_DISPI_INDEX_XRES] = (uint16_t)xres;
    r[VBE_DISPI_INDEX_YRES] = (uint16_t)yres;
    r[VBE_DISPI_INDEX_VIRT_WIDTH] = (uint16_t)vw;
    r[VBE_DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)vh;
    r[VBE_DISPI_INDEX_X_OFFSET] = (uint16_t)xo;
    r[VBE_DISPI_INDEX_Y_OFFSET] = (uint16_t)yo;
    v->vbe_line_offset = line;
    v->vbe_start = yo * line + (bpp == 4 ? xo / 2 : xo * (uint32_t)vbe_bytes_pp(bpp));
}

static void vbe_enable(Vga *v, uint16_t val)
{
    uint16_t old = v->vbe[VBE_DISPI_INDEX_ENABLE];
    v->vbe[VBE_DISPI_INDEX_ENABLE] = val;
    if ((val & VBE_DISPI_ENABLED) && !(old & VBE_DISPI_ENABLED)) {
        vbe_fixup(v);
        if (!(val & VBE_DISPI_NOCLEARMEM)) {
            /* yres lines from the start of memory (vbe_fixup: they fit) */
            uint64_t n = (uint64_t)v->vbe[VBE_DISPI_INDEX_YRES] * v->vbe_line_offset;
            memset(v->vram, 0, n);
            for (uint64_t p = 0; p < n; p += 4096)
                mark(v, (uint32_t)p);
        }
        /* The legacy side as a VBE BIOS leaves it: graphics, 64 KiB banked
         * window at 0xA0000, chain-4 (packed pixels) or planar (4 bpp). */
        v->gr[VGA_GFX_MISC] = (v->gr[VGA_GFX_MISC] & ~0x0C) | 0x05;
        v->cr[VGA_CRTC_MODE] |= 3;
        if (v->vbe[VBE_DISPI_INDEX_BPP] == 4) {
            v->gr[VGA_GFX_MODE] &= ~0x70;
            v->sr[VGA_SEQ_MEMORY_MODE] &= ~VGA_SR04_CHN_4M;
        } else {
            v->gr[VGA_GFX_MODE] = (v->gr[VGA_GFX_MODE] & ~0x70) | VGA_GR05_SHIFT_256;
            v->sr[VGA_SEQ_MEMORY_MODE] |= VGA_SR04_CHN_4M;
        }
        v->sr[VGA_SEQ_CLOCK_MODE] &= ~VGA_SR01_CLOCK_DIV2;
        v->sr[VGA_SEQ_PLANE_WRITE] = 0x0F;
        windows_update(v);
    }
    v->dac_8bit = val & VBE_DISPI_8BIT_DAC;
    v->bank_offset = 0;
    v->vbe[VBE_DISPI_INDEX_BANK] = 0;
    v->palette_changed = true;
}

static uint16_t vbe_read(Vga *v, uint16_t index)
{
    if (index >= VBE_DISPI_INDEX_NB)
        return 0;
    if ((v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS) && index <= VBE_DISPI_INDEX_BPP) {
        static const uint16_t caps[] = {0, VBE_DISPI_MAX_XRES, VBE_DISPI_MAX_YRES,
                                        VBE_DISPI_MAX_BPP};
        if (index != VBE_DISPI_INDEX_ID)
            return caps[index];
    }
    if (index == VBE_DISPI_INDEX_VIDEO_MEMORY_64K)
        return (uint16_t)(v->vram_size >> 16);
    return v->vbe[index];
}

static void vbe_write(Vga *v, uint16_t index, uint16_t val)
{
    switch (index) {
    case VBE_DISPI_INDEX_ID:
        if (val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5)
            v->vbe[index] = val;
        break;
    case VBE_DISPI_INDEX_ENABLE:
        vbe_enable(v, val);
        break;
    case VBE_DISPI_INDEX_BANK: {
        uint32_t banks = v->vram_size / VBE_DISPI_BANK_SIZE;
        val &= (uint16_t)(banks - 1);
        v->vbe[index] = val;
        v->bank_offset = (uint32_t)val * VBE_DISPI_BANK_SIZE;
        break;
    }
    case VBE_DISPI_INDEX_XRES:
    case VBE_DISPI_INDEX_YRES:
    case VBE_DISPI_INDEX_BPP:
    case VBE_DISPI_INDEX_VIRT_WIDTH:
    case VBE_DISPI_INDEX_VIRT_HEIGHT:
    case VBE_DISPI_INDEX_X_OFFSET:
    case VBE_DISPI_INDEX_Y_OFFSET:
        v->vbe[index] = val;
        if (vbe_enabled(v))
            vbe_fixup(v);
        break;
    default: /* VIDEO_MEMORY_64K is read-only; beyond: nothing */
        break;
    }
}

static uint32_t vbe_port_read(void *opaque, uint32_t off, int size_log2)
{
    Vga *v = opaque;
    uint32_t r = off == 0 ? v->vbe_index : vbe_read(v, v->vbe_index);
    return size_log2 == 0 ? r & 0xFF : r;
}

static void vbe_port_write(void *opaque, uint32_t off, uint32_t val, int size_log2)
{
    Vga *v = opaque;
    if (off == 0)
        v->vbe_index = (uint16_t)(size_log2 == 0 ? (v->vbe_index & 0xFF00) | (val & 0xFF) : val);
    else
        vbe_write(v, v->vbe_index, (uint16_t)val);
}

/* ------------------------------------------------------------------ VGA registers */

static const uint8_t sr_mask[8] = {0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0xff};
static const uint8_t gr_mask[16] = {0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff};

static int vde(const Vga *v);

static uint64_t frame_ns(const Vga *v)
{
    /* 70 Hz for the 400-line modes (text, 13h), 60 Hz otherwise. */
    if (!vbe_enabled(v) && vde(v) + 1 == 400)
        return 1000000000ull / 70;
    return 1000000000ull / 60;
}

#define LINE_NS 31778ull     /* one scan line at the 25.175 MHz dot clock */
#define VRETRACE_NS 64000ull /* two lines of vertical sync, generously */

static uint8_t input_status1(Vga *v)
{
    uint64_t t = clock_ns(v->m), f = frame_ns(v);
    uint64_t pos = t % f;
    bool vr = pos >= f - VRETRACE_NS;
    bool hr = (pos % LINE_NS) >= LINE_NS * 4 / 5;
    return (uint8_t)((vr ? VGA_IS1_VR : 0) | (vr || hr ? VGA_IS1_DE : 0));
}

/* Ports 0x3B4/0x3B5/0x3BA answer in mono mode, 0x3D4/0x3D5/0x3DA in colour. */
static bool port_ignored(Vga *v, uint32_t port)
{
    bool color = v->misc & VGA_MIS_COLOR;
    if (port >= 0x3B0 && port < 0x3C0)
        return color;
    if (port >= 0x3D0)
        return !color;
    return false;
}

static uint8_t vga_ioport_read(Vga *v, uint32_t port)
{
    if (port_ignored(v, port))
        return 0xFF;
    switch (port) {
    case VGA_ATT_W: /* the address register, whatever the flip-flop says */
        return v->ar_index;
    case VGA_ATT_R: {
        int i = v->ar_index & 0x1F;
        return i < VGA_ATC_COUNT ? v->ar[i] : 0;
    }
    case VGA_MIS_W:
        return 0x10; /* input status 0: switch sense (a colour monitor) */
    case VGA_SEQ_I:
        return v->sr_index;
    case VGA_SEQ_D:
        return v->sr[v->sr_index];
    case VGA_PEL_MSK:
        return v->pel_mask;
    case VGA_PEL_IR:
        return v->dac_state;
    case VGA_PEL_IW:
        return v->dac_write;
    case VGA_PEL_D: {
        uint8_t val = v->dac[v->dac_read * 3 + v->dac_sub];
        if (++v->dac_sub == 3) {
            v->dac_sub = 0;
            v->dac_read++;
        }
        return val;
    }
    case VGA_FTC_R:
        return v->fcr;
    case VGA_MIS_R:
        return v->misc;
    case VGA_GFX_I:
        return v->gr_index;
    case VGA_GFX_D:
        return v->gr[v->gr_index];
    case VGA_CRT_IM:
    case VGA_CRT_IC:
        return v->cr_index;
    case VGA_CRT_DM:
    case VGA_CRT_DC:
        return v->cr[v->cr_index];
    case VGA_IS1_RM:
    case VGA_IS1_RC:
        v->ar_flip = false;
        return input_status1(v);
    default:
        return 0xFF;
    }
}

static void vga_ioport_write(Vga *v, uint32_t port, uint8_t val)
{
    if (port_ignored(v, port))
        return;
    switch (port) {
    case VGA_ATT_W:
        if (!v->ar_flip) {
            v->ar_index = val & 0x3F;
        } else {
            int i = v->ar_index & 0x1F;
            static const uint8_t ar_mask[VGA_ATC_COUNT] = {
                0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
                0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0xef, 0xff, 0x3f, 0x0f, 0x0f};
            if (i < VGA_ATC_COUNT)
                v->ar[i] = val & ar_mask[i];
            v->palette_changed = true;
        }
        v->ar_flip = !v->ar_flip;
        break;
    case VGA_MIS_W:
        v->misc = val & ~0x10;
        break;
    case VGA_SEQ_I:
        v->sr_index = val & 7;
        break;
    case VGA_SEQ_D:
        v->sr[v->sr_index] = val & sr_mask[v->sr_index];
        break;
    case VGA_PEL_MSK:
        v->pel_mask = val;
        v->palette_changed = true;
        break;
    case VGA_PEL_IR:
        v->dac_read = val;
        v->dac_sub = 0;
        v->dac_state = 3;
        break;
    case VGA_PEL_IW:
        v->dac_write = val;
        v->dac_sub = 0;
        v->dac_state = 0;
        break;
    case VGA_PEL_D:
        v->dac_cache[v->dac_sub++] = val;
        if (v->dac_sub == 3) {
            memcpy(v->dac + v->dac_write * 3, v->dac_cache, 3);
            v->dac_sub = 0;
            v->dac_write++;
            v->palette_changed = true;
        }
        break;
    case VGA_GFX_I:
        v->gr_index = val & 0x0F;
        break;
    case VGA_GFX_D:
        v->gr[v->gr_index] = val & gr_mask[v->gr_index];
        if (v->gr_index == VGA_GFX_MISC)
            windows_update(v);
        break;
    case VGA_CRT_IM:
    case VGA_CRT_IC:
        v->cr_index = val;
        break;
    case VGA_CRT_DM:
    case VGA_CRT_DC:
        /* Protect bit: registers 0-7 are read-only, except line compare bit 8. */
        if ((v->cr[VGA_CRTC_V_SYNC_END] & 0x80) && v->cr_index <= VGA_CRTC_OVERFLOW) {
            if (v->cr_index == VGA_CRTC_OVERFLOW)
                v->cr[VGA_CRTC_OVERFLOW] = (v->cr[VGA_CRTC_OVERFLOW] & ~0x10) | (val & 0x10);
            break;
        }
        v->cr[v->cr_index] = val;
        break;
    case VGA_IS1_RM:
    case VGA_IS1_RC:
        v->fcr = val & 0x10;
        break;
    default:
        break;
    }
}

static uint32_t vga_port_read(void *opaque, uint32_t off, int size_log2)
{
    uint32_t r = 0;
    for (int i = 0; i < (1 << size_log2); i++)
        r |= (uint32_t)vga_ioport_read(opaque, VGA_PORT_BASE + off + i) << (8 * i);
    return r;
}

static void vga_port_write(void *opaque, uint32_t off, uint32_t val, int size_log2)
{
    for (int i = 0; i < (1 << size_log2); i++)
        vga_ioport_write(opaque, VGA_PORT_BASE + off + i, (uint8_t)(val >> (8 * i)));
}

/* ------------------------------------------------------------------ BAR2 (MMIO) */

static uint32_t mmio_read(void *opaque, uint32_t off, int size_log2)
{
    Vga *v = opaque;
    int size = 1 << size_log2;
    if (off >= VGA_MMIO_VGA && off + size <= VGA_MMIO_VGA + 0x20) {
        uint32_t r = 0;
        for (int i = 0; i < size; i++)
            r |= (uint32_t)vga_ioport_read(v, 0x3C0 + off - VGA_MMIO_VGA + i) << (8 * i);
        return r;
    }
    if (off >= VGA_MMIO_DISPI && off < VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_NB) {
        uint32_t r = vbe_read(v, (uint16_t)((off - VGA_MMIO_DISPI) >> 1));
        return (off & 1) ? r >> 8 : r;
    }
    if (off == VGA_MMIO_QEXT)
        return VGA_QEXT_SIZE;
    if (off == VGA_MMIO_QEXT + 4)
        return VGA_QEXT_LITTLE;
    return 0;
}

static void mmio_write(void *opaque, uint32_t off, uint32_t val, int size_log2)
{
    Vga *v = opaque;
    int size = 1 << size_log2;
    if (off >= VGA_MMIO_VGA && off + size <= VGA_MMIO_VGA + 0x20) {
        for (int i = 0; i < size; i++)
            vga_ioport_write(v, 0x3C0 + off - VGA_MMIO_VGA + i, (uint8_t)(val >> (8 * i)));
    } else if (off >= VGA_MMIO_DISPI && off < VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_NB &&
               !(off & 1) && size >= 2) {
        vbe_write(v, (uint16_t)((off - VGA_MMIO_DISPI) >> 1), (uint16_t)val);
    }
    /* EDID and the QEMU extension: read-only here (always little endian) */
}

/* ------------------------------------------------------------------ option ROM */

static const char *const rom_dirs[] = {"/usr/share/seabios", "/usr/share/qemu", NULL};

static uint8_t *rom_load(const char *name, uint32_t *size)
{
    char path[4096];
    for (int i = strchr(name, '/') ? -1 : 0; i < 0 || rom_dirs[i]; i++) {
        if (i < 0)
            snprintf(path, sizeof path, "%s", name);
        else
            snprintf(path, sizeof path, "%s/%s", rom_dirs[i], name);
        FILE *f = fopen(path, "rb");
        if (!f) {
            if (i < 0)
                break;
            continue;
        }
        uint8_t *buf = wb_calloc(1, VGA_ROM_MAX + 1);
        size_t n = fread(buf, 1, VGA_ROM_MAX + 1, f);
        fclose(f);
        if (n == 0 || n > VGA_ROM_MAX) {
            free(buf);
            return NULL;
        }
        *size = (uint32_t)n;
        return buf;
    }
    return NULL;
}

/* The VGA BIOS carries the 8x16 font a BIOS loads for text modes: find it
 * by its 'A', and check the glyphs around it look like that font. */
static const uint8_t *rom_find_font(const uint8_t *rom, uint32_t size)
{
    static const uint8_t glyph_a[16] = {0, 0, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe,
                                        0xc6, 0xc6, 0xc6, 0xc6, 0, 0, 0, 0};
    for (uint32_t i = 0x41 * 16; i + 16 <= size; i++) {
        if (memcmp(rom + i, glyph_a, 16) != 0)
            continue;
        uint32_t base = i - 0x41 * 16;
        if (base + 4096 > size)
            continue;
        static const uint8_t zero[16], ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        if (!memcmp(rom + base, zero, 16) && !memcmp(rom + base + 0xDB * 16, ones, 16))
            return rom + base;
    }
    return NULL;
}

static uint32_t rom_read(void *opaque, uint32_t off, int size_log2)
{
    Vga *v = opaque;
    uint32_t r = 0;
    for (int i = 0; i < (1 << size_log2); i++)
        r |= (uint32_t)(off + i < v->rom_size ? v->rom[off + i] : 0xFF) << (8 * i);
    return r;
}

/* The expansion ROM BAR (config 0x30): mapped while its enable bit and
 * memory decoding are on. */
static void rom_bar_update(Vga *v)
{
    PciDevice *d = v->pci;
    uint32_t bar = ld32le(d->config + PCI_ROM_ADDRESS);
    uint16_t cmd = ld16le(d->config + PCI_COMMAND);
    uint32_t base = bar & ~0x7FFu;
    bool en = (bar & 1) && (cmd & PCI_CMD_MEM) && base &&
              (uint64_t)base + v->rom_bar_size <= 0x100000000ull;
    IoRegion *r = v->rom_region;
    if (en != r->enabled || (en && base != r->base))
        region_map(v->m, r, en ? base : r->base, en);
}

static void vga_config_write(PciDevice *d, uint32_t addr, uint32_t val, int size_log2)
{
    Vga *v = d->opaque;
    if (v->rom_region && addr < PCI_ROM_ADDRESS + 4 && addr + (1u << size_log2) > PCI_COMMAND)
        rom_bar_update(v);
}

/* ------------------------------------------------------------------ the mode */

static int vde(const Vga *v)
{
    const uint8_t *cr = v->cr;
    return cr[VGA_CRTC_V_DISP_END] | ((cr[VGA_CRTC_OVERFLOW] & 0x02) << 7) |
           ((cr[VGA_CRTC_OVERFLOW] & 0x40) << 3);
}

static uint32_t font_offset(int sel)
{
    /* map n at plane-2 offset ((n & 3) * 2 + (n >> 2)) * 8 KiB */
    return (uint32_t)(((sel & 3) * 2 + (sel >> 2)) * 8192);
}

static void compute_mode(Vga *v, Mode *md)
{
    memset(md, 0, sizeof *md);
    const uint8_t *cr = v->cr;
    /* Blanked (palette address source off, screen off): the size stays. */
    bool blank = !(v->ar_index & VGA_AR_ENABLE_DISPLAY) ||
                 (v->sr[VGA_SEQ_CLOCK_MODE] & VGA_SR01_SCREEN_OFF);
    md->line_compare = -1;
    if (vbe_enabled(v)) {
        md->kind = blank ? KIND_BLANK : KIND_VBE;
        md->bpp = v->vbe[VBE_DISPI_INDEX_BPP];
        md->width = v->vbe[VBE_DISPI_INDEX_XRES];
        md->height = v->vbe[VBE_DISPI_INDEX_YRES];
        md->start = v->vbe_start;
        md->line_offset = v->vbe_line_offset;
        md->plane_mask = 0xF;
        return;
    }
    md->start = (uint32_t)((cr[VGA_CRTC_START_HI] << 8) | cr[VGA_CRTC_START_LO]) * 4;
    md->line_offset = (uint32_t)cr[VGA_CRTC_OFFSET] << 3;
    int height = vde(v) + 1;
    if (!(v->gr[VGA_GFX_MISC] & VGA_GR06_GRAPHICS_MODE)) {
        md->kind = blank ? KIND_BLANK : KIND_TEXT;
        md->cw = (v->sr[VGA_SEQ_CLOCK_MODE] & VGA_SR01_CHAR_CLK_8DOTS) ? 8 : 9;
        if (v->sr[VGA_SEQ_CLOCK_MODE] & VGA_SR01_CLOCK_DIV2)
            md->cw *= 2;
        md->ch = (cr[VGA_CRTC_MAX_SCAN] & 0x1F) + 1;
        md->cols = cr[VGA_CRTC_H_DISP] + 1;
        if (cr[VGA_CRTC_MAX_SCAN] & 0x80)
            height /= 2;
        md->rows = height / md->ch;
        if (md->rows < 1)
            md->rows = 1;
        if (md->cols > MAX_TEXT_COLS)
            md->cols = MAX_TEXT_COLS;
        if (md->rows > MAX_TEXT_ROWS)
            md->rows = MAX_TEXT_ROWS;
        md->width = md->cols * md->cw;
        md->height = md->rows * md->ch;
        uint8_t cm = v->sr[VGA_SEQ_CHARACTER_MAP];
        md->font_a = font_offset(((cm >> 2) & 4) | (cm & 3));
        md->font_b = font_offset(((cm >> 3) & 4) | ((cm >> 2) & 3));
        md->nine_dot_lines = v->ar[VGA_ATC_MODE] & VGA_AR10_LINE_GRAPHICS;
        md->blink_enabled = v->ar[VGA_ATC_MODE] & VGA_AR10_BLINK;
        return;
    }
    int shift = (v->gr[VGA_GFX_MODE] >> 5) & 3;
    md->kind = blank ? KIND_BLANK : shift == 0 ? KIND_PLANAR : shift == 1 ? KIND_CGA : KIND_256;
    md->width = (cr[VGA_CRTC_H_DISP] + 1) * 8;
    md->height = height;
    md->multi_scan = (((cr[VGA_CRTC_MAX_SCAN] & 0x1F) + 1) << (cr[VGA_CRTC_MAX_SCAN] >> 7)) - 1;
    md->line_compare = cr[VGA_CRTC_LINE_COMPARE] | ((cr[VGA_CRTC_OVERFLOW] & 0x10) << 4) |
                       ((cr[VGA_CRTC_MAX_SCAN] & 0x40) << 3);
    md->cga_wrap = cr[VGA_CRTC_MODE] & 3;
    md->plane_mask = v->ar[VGA_ATC_PLANE_ENABLE] & 0xF;
    if (shift < 2 && (v->sr[VGA_SEQ_CLOCK_MODE] & VGA_SR01_CLOCK_DIV2)) {
        md->pixel_double = 1;
        md->width *= 2;
    }
    if (md->width > MAX_SURFACE)
        md->width = MAX_SURFACE;
    if (md->height > MAX_SURFACE)
        md->height = MAX_SURFACE;
}

/* ------------------------------------------------------------------ drawing */

static uint32_t dac_rgb(Vga *v, int i)
{
    const uint8_t *c = v->dac + 3 * i;
    if (v->dac_8bit)
        return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
    uint32_t r = c[0] & 0x3F, g = c[1] & 0x3F, b = c[2] & 0x3F;
    r = (r << 2) | (r >> 4);
    g = (g << 2) | (g >> 4);
    b = (b << 2) | (b >> 4);
    return r << 16 | g << 8 | b;
}

/* The 16 attribute colours through the attribute palette into the DAC. */
static uint32_t ar_rgb(Vga *v, int c)
{
    uint8_t p = v->ar[c & 0xF];
    uint8_t sel = v->ar[VGA_ATC_COLOR_PAGE];
    int idx = (v->ar[VGA_ATC_MODE] & VGA_AR10_P54_SELECT) ? ((sel & 0xF) << 4) | (p & 0xF)
                                                         : ((sel & 0xC) << 4) | (p & 0x3F);
    return v->pal[idx & v->pel_mask];
}

static void update_palette(Vga *v)
{
    for (int i = 0; i < 256; i++)
        v->pal[i] = dac_rgb(v, i);
}

static bool resize(Vga *v, int w, int h)
{
    if (v->surf.width == w && v->surf.height == h)
        return false;
    memset(v->surf.pixels, 0, (size_t)w * h * 4);
    v->surf.width = w;
    v->surf.height = h;
    return true;
}

static bool range_dirty(Vga *v, uint64_t start, uint64_t len)
{
    if (!len)
        return false;
    uint64_t end = start + len - 1;
    if (start >= v->vram_size)
        return false;
    if (end >= v->vram_size)
        end = v->vram_size - 1;
    for (uint64_t p = start >> PAGE_SHIFT; p <= end >> PAGE_SHIFT; p++)
        if (v->snap[p])
            return true;
    return false;
}

static uint8_t vram_at(Vga *v, uint64_t i)
{
    return i < v->vram_size ? v->vram[i] : 0;
}

/* One scan line of a legacy graphics mode from vram byte addr. */
static void draw_vga_line(Vga *v, const Mode *md, uint32_t addr, uint32_t *d)
{
    int w = md->width, rep = md->pixel_double ? 2 : 1;
    uint32_t ar_pal[16];
    if (md->kind != KIND_256)
        for (int i = 0; i < 16; i++)
            ar_pal[i] = ar_rgb(v, i);
    int x = 0;
    if (md->kind == KIND_256) {
        /* each byte is one pixel, drawn twice (8 dots per 4 bytes of memory) */
        for (uint32_t a = addr; x + 1 < w; a++, x += 2)
            d[x] = d[x + 1] = v->pal[vram_at(v, a) & v->pel_mask];
        return;
    }
    for (uint32_t a = addr; x < w; a += 4) {
        uint32_t p[4];
        for (int k = 0; k < 4; k++)
            p[k] = (md->plane_mask >> k) & 1 ? vram_at(v, (uint64_t)a + k) : 0;
        for (int bit = 0; bit < 8 && x < w; bit++) {
            int c;
            if (md->kind == KIND_PLANAR) {
                int s = 7 - bit;
                c = ((p[0] >> s) & 1) | ((p[1] >> s) & 1) << 1 | ((p[2] >> s) & 1) << 2 |
                    ((p[3] >> s) & 1) << 3;
            } else { /* CGA: 2-bit pixels, planes 0/1 interleaved, 2/3 above them */
                int byte = bit < 4 ? 0 : 1, s = 6 - 2 * (bit & 3);
                c = ((p[byte] >> s) & 3) | ((p[byte + 2] >> s) & 3) << 2;
            }
            for (int r = 0; r < rep && x < w; r++)
                d[x++] = ar_pal[c];
        }
    }
}

static void draw_vbe_line(Vga *v, const Mode *md, uint32_t addr, uint32_t *d)
{
    int w = md->width;
    const uint8_t *s = v->vram + addr; /* vbe_fixup keeps every line inside */
    switch (md->bpp) {
    case 8:
        for (int x = 0; x < w; x++)
            d[x] = v->pal[s[x]];
        break;
    case 15:
        for (int x = 0; x < w; x++) {
            uint32_t p = ld16le(s + 2 * x);
            uint32_t r = (p >> 10) & 31, g = (p >> 5) & 31, b = p & 31;
            d[x] = ((r << 3 | r >> 2) << 16) | ((g << 3 | g >> 2) << 8) | (b << 3 | b >> 2);
        }
        break;
    case 16:
        for (int x = 0; x < w; x++) {
            uint32_t p = ld16le(s + 2 * x);
            uint32_t r = (p >> 11) & 31, g = (p >> 5) & 63, b = p & 31;
            d[x] = ((r << 3 | r >> 2) << 16) | ((g << 2 | g >> 4) << 8) | (b << 3 | b >> 2);
        }
        break;
    case 24:
        for (int x = 0; x < w; x++)
            d[x] = (uint32_t)s[3 * x + 2] << 16 | (uint32_t)s[3 * x + 1] << 8 | s[3 * x];
        break;
    case 32:
        for (int x = 0; x < w; x++)
            d[x] = ld32le(s + 4 * x) & 0xFFFFFF;
        break;
    default: { /* 4 bpp: planar */
        Mode pm = *md;
        pm.kind = KIND_PLANAR;
        pm.pixel_double = 0;
        draw_vga_line(v, &pm, addr, d);
        break;
    }
    }
}

static void dirty_rows(DisplayDirty *dd, int y0, int y1)
{
    if (dd->y0 == dd->y1) {
        dd->y0 = y0;
        dd->y1 = y1;
        return;
    }
    if (y0 < dd->y0)
        dd->y0 = y0;
    if (y1 > dd->y1)
        dd->y1 = y1;
}

static void draw_graphics(Vga *v, const Mode *md, bool full, DisplayDirty *dd)
{
    uint32_t bytes; /* vram bytes one line reads */
    if (md->kind == KIND_VBE)
        bytes = md->bpp == 4 ? (uint32_t)md->width / 2
                             : (uint32_t)md->width * (uint32_t)vbe_bytes_pp(md->bpp);
    else if (md->kind == KIND_256)
        bytes = (uint32_t)md->width / 2;
    else
        bytes = (uint32_t)((md->width >> md->pixel_double) + 7) / 8 * 4;
    uint32_t addr1 = md->start;
    int y1 = 0, multi_run = md->multi_scan;
    for (int y = 0; y < md->height; y++) {
        uint32_t addr = addr1;
        if (md->kind != KIND_VBE) {
            if (!(md->cga_wrap & 1))
                addr = (addr & ~0x8000u) | ((uint32_t)(y1 & 1) << 15);
            if (!(md->cga_wrap & 2))
                addr = (addr & ~0x10000u) | ((uint32_t)(y1 & 2) << 15);
        }
        if (full || range_dirty(v, addr, bytes)) {
            uint32_t *d = v->surf.pixels + (size_t)y * md->width;
            if (md->kind == KIND_VBE)
                draw_vbe_line(v, md, addr, d);
            else
                draw_vga_line(v, md, addr, d);
            dirty_rows(dd, y, y + 1);
        }
        if (md->kind == KIND_VBE) {
            addr1 += md->line_offset;
            continue;
        }
        if (!multi_run) {
            int mask = (md->cga_wrap & 3) ^ 3;
            if ((y1 & mask) == mask)
                addr1 += md->line_offset;
            y1++;
            multi_run = md->multi_scan;
        } else {
            multi_run--;
        }
        if (y == md->line_compare)
            addr1 = 0;
    }
}

/* Plane-2 byte at plane address a. */
static uint8_t plane2(Vga *v, uint32_t a)
{
    return vram_at(v, ((uint64_t)a << 2) | 2);
}

static uint32_t font_checksum(Vga *v, const Mode *md)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < 256 * 32; i++)
        s = s * 31 + plane2(v, md->font_a + i) + 7 * plane2(v, md->font_b + i);
    return s;
}

/* Whether plane 2 holds a font at all (a guest that never loaded one, e.g.
 * a Linux booted directly: then the ROM's is used). */
static bool font_loaded(Vga *v, uint32_t base)
{
    for (uint32_t i = 0; i < 256 * 32; i++)
        if (plane2(v, base + i))
            return true;
    return false;
}

static void draw_cell(Vga *v, const Mode *md, int col, int row, uint16_t cell, bool blink_on,
                      bool cursor)
{
    uint8_t c = (uint8_t)cell, attr = (uint8_t)(cell >> 8);
    int fg = attr & 0xF, bg = attr >> 4;
    if (md->blink_enabled) {
        bg &= 7;
        if ((attr & 0x80) && !blink_on)
            fg = bg;
    }
    uint32_t fgc = ar_rgb(v, fg), bgc = ar_rgb(v, bg);
    uint32_t fbase = (attr & 8) ? md->font_a : md->font_b;
    bool rom = (attr & 8) ? v->rom_font_a : v->rom_font_b;
    int cs = (v->cr[VGA_CRTC_CURSOR_START] & 0x1F), ce = v->cr[VGA_CRTC_CURSOR_END] & 0x1F;
    int cw8 = md->cw >= 16 ? md->cw / 2 : md->cw; /* dots a glyph row covers before doubling */
    int dbl = md->cw >= 16 ? 2 : 1;
    for (int y = 0; y < md->ch; y++) {
        uint8_t bits;
        if (rom)
            bits = y < 16 ? v->rom_font[c * 16 + y] : 0;
        else
            bits = plane2(v, fbase + (uint32_t)c * 32 + (uint32_t)y);
        bool cur = cursor && y >= cs && y <= ce;
        uint32_t *d = v->surf.pixels + (size_t)(row * md->ch + y) * md->width + col * md->cw;
        for (int x = 0; x < cw8; x++) {
            bool on;
            if (x < 8)
                on = (bits >> (7 - x)) & 1;
            else /* 9th dot: the 8th repeated for line graphics */
                on = md->nine_dot_lines && c >= 0xC0 && c <= 0xDF && (bits & 1);
            uint32_t px = (on || cur) ? fgc : bgc;
            for (int k = 0; k < dbl; k++)
                d[x * dbl + k] = px;
        }
    }
}

#define CURSOR_BLINK_NS 266666666ull /* 16 frames at 60 Hz */

static void draw_text(Vga *v, const Mode *md, bool full, DisplayDirty *dd)
{
    uint64_t now = clock_ns(v->m);
    bool cursor_phase = (now / CURSOR_BLINK_NS) & 1;
    bool blink_on = !((now / (2 * CURSOR_BLINK_NS)) & 1);
    if (range_dirty(v, 0, 256 * 1024) || full) {
        uint32_t sum = font_checksum(v, md);
        if (sum != v->font_sum)
            full = true;
        v->font_sum = sum;
        v->rom_font_a = v->rom_font && !font_loaded(v, md->font_a);
        v->rom_font_b = v->rom_font && !font_loaded(v, md->font_b);
    }
    uint32_t line_cells = md->line_offset / 4;
    int cursor = -1;
    uint32_t cpos = (uint32_t)((v->cr[VGA_CRTC_CURSOR_HI] << 8) | v->cr[VGA_CRTC_CURSOR_LO]);
    uint32_t start = md->start / 4;
    if (!(v->cr[VGA_CRTC_CURSOR_START] & VGA_CURSOR_DISABLE) && cursor_phase && line_cells &&
        cpos >= start) {
        uint32_t off = cpos - start;
        if (off / line_cells < (uint32_t)md->rows && off % line_cells < (uint32_t)md->cols)
            cursor = (int)((off / line_cells) * md->cols + off % line_cells);
    }
    bool blink_changed = md->blink_enabled && blink_on != v->blink_on_drawn;
    for (int row = 0; row < md->rows; row++) {
        bool row_dirty = false;
        for (int col = 0; col < md->cols; col++) {
            uint64_t a = md->start + ((uint64_t)row * line_cells + col) * 4;
            uint16_t cell = (uint16_t)(vram_at(v, a) | vram_at(v, a + 1) << 8);
            int i = row * md->cols + col;
            bool is_cur = i == cursor, was_cur = i == v->cursor_drawn;
            if (full || cell != v->cells[i] || is_cur != was_cur ||
                (blink_changed && (cell & 0x8000))) {
                v->cells[i] = cell;
                draw_cell(v, md, col, row, cell, blink_on, is_cur);
                row_dirty = true;
            }
        }
        if (row_dirty)
            dirty_rows(dd, row * md->ch, (row + 1) * md->ch);
    }
    v->cursor_drawn = cursor;
    v->blink_on_drawn = blink_on;
}

static void vga_update(void *opaque, bool full, DisplayDirty *dd)
{
    Vga *v = opaque;
    memcpy(v->snap, v->dirty, sizeof v->snap);
    memset(v->dirty, 0, sizeof v->dirty);
    if (v->lfb)
        region_ram_rearm(v->m, v->lfb);
    Mode md;
    compute_mode(v, &md);
    if (!v->have_mode || memcmp(&md, &v->mode, sizeof md) != 0)
        full = true;
    v->mode = md;
    v->have_mode = true;
    if (v->palette_changed) {
        update_palette(v);
        v->palette_changed = false;
        full = true;
    }
    if (resize(v, md.width, md.height)) {
        dd->resized = true;
        full = true;
    }
    if (full) {
        v->cursor_drawn = -1;
        dirty_rows(dd, 0, md.height);
    }
    switch (md.kind) {
    case KIND_BLANK:
        if (full)
            memset(v->surf.pixels, 0, (size_t)md.width * md.height * 4);
        break;
    case KIND_TEXT:
        draw_text(v, &md, full, dd);
        break;
    default:
        draw_graphics(v, &md, full, dd);
        break;
    }
}

static const DisplaySurface *vga_surface(void *opaque)
{
    return &((Vga *)opaque)->surf;
}

static uint64_t vga_frame_ns(void *opaque)
{
    return frame_ns(opaque);
}

static bool vga_text_cell(void *opaque, int x, int y, uint8_t *ch, uint8_t *attr)
{
    Vga *v = opaque;
    Mode md;
    compute_mode(v, &md);
    if (md.kind != KIND_TEXT || x < 0 || y < 0 || x >= md.cols || y >= md.rows)
        return false;
    uint64_t a = md.start + ((uint64_t)y * (md.line_offset / 4) + x) * 4;
    *ch = vram_at(v, a);
    *attr = vram_at(v, a + 1);
    return true;
}

static const DisplayOps vga_display_ops = {
    .update = vga_update,
    .surface = vga_surface,
    .frame_ns = vga_frame_ns,
    .text_cell = vga_text_cell,
};

/* ------------------------------------------------------------------ reset and BIOS mode 3 */

static void vga_reset(void *opaque)
{
    Vga *v = opaque;
    v->misc = v->fcr = 0;
    v->sr_index = v->gr_index = v->ar_index = v->cr_index = 0;
    memset(v->sr, 0, sizeof v->sr);
    memset(v->gr, 0, sizeof v->gr);
    memset(v->ar, 0, sizeof v->ar);
    memset(v->cr, 0, sizeof v->cr);
    v->ar_flip = false;
    v->dac_read = v->dac_write = v->dac_sub = v->dac_state = 0;
    v->pel_mask = 0xFF;
    v->dac_8bit = false;
    v->latch = 0;
    v->vbe_index = 0;
    memset(v->vbe, 0, sizeof v->vbe);
    v->vbe[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
    v->vbe[VBE_DISPI_INDEX_XRES] = 640;
    v->vbe[VBE_DISPI_INDEX_YRES] = 480;
    v->vbe[VBE_DISPI_INDEX_BPP] = 8;
    v->vbe_start = 0;
    v->vbe_line_offset = 640;
    v->bank_offset = 0;
    v->palette_changed = true;
    v->have_mode = false;
    windows_update(v);
}

void vga_bios_text_mode(Vga *v)
{
    static const uint8_t sr3[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
    static const uint8_t cr3[VGA_CRTC_COUNT] = {
        0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
        0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
    static const uint8_t gr3[VGA_GFX_COUNT] = {0x00, 0x00, 0x00, 0x00, 0x00,
                                               0x10, 0x0E, 0x00, 0xFF};
    static const uint8_t ar3[VGA_ATC_COUNT] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                               0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D,
                                               0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};
    vga_reset(v);
    v->misc = 0x67;
    memcpy(v->sr, sr3, sizeof sr3);
    memcpy(v->cr, cr3, sizeof cr3);
    memcpy(v->gr, gr3, sizeof gr3);
    memcpy(v->ar, ar3, sizeof ar3);
    v->ar_index = VGA_AR_ENABLE_DISPLAY;
    /* The EGA palette in DAC entries 0-63: bits 2,1,0 = R,G,B at 2/3, bits
     * 5,4,3 = r,g,b at 1/3 intensity. */
    memset(v->dac, 0, sizeof v->dac);
    for (int i = 0; i < 64; i++) {
        v->dac[3 * i] = (uint8_t)((i & 4 ? 0x2A : 0) + (i & 0x20 ? 0x15 : 0));
        v->dac[3 * i + 1] = (uint8_t)((i & 2 ? 0x2A : 0) + (i & 0x10 ? 0x15 : 0));
        v->dac[3 * i + 2] = (uint8_t)((i & 1 ? 0x2A : 0) + (i & 0x08 ? 0x15 : 0));
    }
    /* Font into plane 2 (32 bytes a character), blank screen in planes 0/1. */
    for (uint32_t c = 0; c < 256; c++)
        for (uint32_t y = 0; y < 32; y++) {
            uint8_t b = (v->rom_font && y < 16) ? v->rom_font[c * 16 + y] : 0;
            v->vram[((c * 32 + y) << 2) | 2] = b;
        }
    for (uint32_t i = 0; i < 0x4000; i++) {
        v->vram[4 * i] = ' ';
        v->vram[4 * i + 1] = 0x07;
    }
    memset(v->dirty, 1, 256 * 1024 >> PAGE_SHIFT);
    windows_update(v);
}

/* ------------------------------------------------------------------ creation */

uint8_t *vga_vram(Vga *v, uint32_t *size)
{
    *size = v->vram_size;
    return v->vram;
}

const uint8_t *vga_rom_font(Vga *v)
{
    return v->rom_font;
}

PciDevice *vga_pci(Vga *v)
{
    return v->pci;
}

Vga *vga_new(Machine *m, PciBus *bus, int devfn, const char *romfile, bool romfile_given,
             char *err, size_t errlen)
{
    uint8_t *rom = NULL;
    uint32_t rom_size = 0;
    if (romfile && *romfile) {
        rom = rom_load(romfile, &rom_size);
        if (!rom && romfile_given) {
            wb_errf(err, errlen, "romfile '%s': not found or not readable (at most %u KiB)",
                    romfile, VGA_ROM_MAX >> 10);
            return NULL;
        }
        if (!rom)
            wb_log("warning: VGA BIOS '%s' not found (install Debian's seabios package); "
                   "the VGA has no option ROM",
                   romfile);
    }
    Vga *v = machine_zalloc(m, sizeof *v);
    v->m = m;
    PciDevice *d = pci_register_device(bus, "VGA", devfn, VGA_PCI_VENDOR, VGA_PCI_DEVICE,
                                       VGA_PCI_REVISION, VGA_PCI_CLASS, v);
    if (!d) {
        free(rom);
        wb_errf(err, errlen, "PCI slot %02x.%x is taken", PCI_SLOT(devfn), PCI_FUNC(devfn));
        return NULL;
    }
    v->pci = d;
    st16le(d->config + PCI_SUBSYSTEM_VENDOR_ID, 0x1AF4);
    st16le(d->config + PCI_SUBSYSTEM_ID, 0x1100);
    v->vram_size = VGA_VRAM_SIZE;
    v->vram = machine_zalloc(m, v->vram_size);
    v->cursor_drawn = -1;
    /* Room for the largest picture, so a mode change never allocates (the
     * pages are touched only as far as a mode draws). */
    v->surf.pixels = machine_zalloc(m, (size_t)MAX_SURFACE * MAX_SURFACE * 4);

    /* BAR0: the linear framebuffer, RAM to the CPU, prefetchable. */
    pci_register_bar(d, 0, v->vram_size, false, NULL, NULL, v);
    v->lfb = d->bar[0].region;
    v->lfb->ram = v->vram;
    v->lfb->dirty = v->dirty;
    d->config[PCI_BAR0] |= 0x08;
    /* BAR2: QEMU's MMIO registers. */
    pci_register_bar(d, 2, VGA_MMIO_SIZE, false, mmio_read, mmio_write, v);

    if (rom) {
        v->rom = machine_zalloc(m, rom_size);
        memcpy(v->rom, rom, rom_size);
        free(rom);
        v->rom_size = rom_size;
        v->rom_bar_size = 2048;
        while (v->rom_bar_size < rom_size)
            v->rom_bar_size <<= 1;
        v->rom_region = mmio_register(m, "VGA-rom", 0, 0, v, rom_read, NULL);
        v->rom_region->len = v->rom_bar_size;
        st32le(d->wmask + PCI_ROM_ADDRESS, ~(v->rom_bar_size - 1) | 1);
        d->config_write = vga_config_write;
        v->rom_font = rom_find_font(v->rom, v->rom_size);
    }

    io_register(m, "vga", VGA_PORT_BASE, VGA_PORT_LEN, v, vga_port_read, vga_port_write);
    /* 0x1CE index, 0x1CF data (and 0x1D0, where word accesses at 0x1CF end) */
    io_register(m, "vbe", VBE_DISPI_IOPORT_INDEX, 3, v, vbe_port_read, vbe_port_write);
    static const struct {
        uint32_t base, len;
        DevRead rd;
        DevWrite wr;
    } win[4] = {
        {0xA0000, 0x20000, window_read0, window_write0},
        {0xA0000, 0x10000, window_read1, window_write1},
        {0xB0000, 0x08000, window_read2, window_write2},
        {0xB8000, 0x08000, window_read3, window_write3},
    };
    for (int i = 0; i < 4; i++) {
        v->window[i] = mmio_register(m, "vga-window", 0, 0, v, win[i].rd, win[i].wr);
        v->window[i]->len = win[i].len;
        v->window[i]->base = win[i].base;
    }
    vga_reset(v);
    machine_add_reset(m, vga_reset, v);
    display_register(m, &vga_display_ops, v);
    return v;
}

static int vga_create(const DeviceContext *ctx, const DeviceSpec *spec, char *err, size_t errlen)
{
    return vga_new(ctx->m, ctx->pci, ctx->devfn, dev_str(spec, "romfile"),
                   dev_is_set(spec, "romfile"), err, errlen)
               ? 0
               : 1;
}

static const DevProp vga_props[] = {
    {"romfile", PROP_STR, VGA_ROMFILE_DEFAULT, "the option ROM (VGA BIOS); empty: none"},
    {NULL},
};

const DeviceModel vga_device = {
    .name = "VGA",
    .desc = "QEMU's standard VGA with Bochs VBE (PCI 1234:1111)",
    .category = DEV_CAT_DISPLAY,
    .bus = DEV_BUS_PCI,
    .props = vga_props,
    .create = vga_create,
};
