/* The std VGA (hw/vga.c): PCI identity and BARs, the VGA registers, planar
 * memory (write modes 0-3, read modes 0-1, latches, masks, set/reset,
 * rotate and logical functions), chain-4 and odd/even, the memory map
 * select, retrace on the virtual clock, rendering of text, mode 13h and VBE
 * modes, VBE mode set with banks and the LFB (writes marked through the
 * memory map for the next frame), QEMU's MMIO BAR, and hostile guests that
 * try to make the card reach outside its memory. */
#include "hw/display.h"
#include "hw/pci_regs.h"
#include "hw/vga.h"
#include "hw/vga_regs.h"
#include "testutil.h"

#define LFB 0xE0000000u
#define MMIO 0xE1000000u
#define ROMBAR 0xE2000000u

static Machine *m;
static Vga *vga;
static PciBus *bus;
static int devfn;
static uint8_t *vram;
static uint32_t vram_size;

static void setup(void)
{
    m = wb_test_machine_with_buses(16 << 20);
    bus = pc_board(m)->pci;
    char err[256] = "";
    vga = vga_new(m, bus, -1, VGA_ROMFILE_DEFAULT, false, err, sizeof err);
    ck_assert_msg(vga != NULL, "%s", err);
    devfn = vga_pci(vga)->devfn;
    vram = vga_vram(vga, &vram_size);
    pci_config_write(bus, devfn, PCI_BAR0, LFB, 2);
    pci_config_write(bus, devfn, PCI_BAR0 + 8, MMIO, 2);
    pci_config_write(bus, devfn, PCI_COMMAND, PCI_CMD_IO | PCI_CMD_MEM, 1);
}

static void teardown(void)
{
    machine_free(m);
}

/* ---- register helpers */
static void seq(uint8_t i, uint8_t v)
{
    wb_outb(m, VGA_SEQ_I, i);
    wb_outb(m, VGA_SEQ_D, v);
}
static void gfx(uint8_t i, uint8_t v)
{
    wb_outb(m, VGA_GFX_I, i);
    wb_outb(m, VGA_GFX_D, v);
}
static void crtc(uint8_t i, uint8_t v)
{
    wb_outb(m, VGA_CRT_IC, i);
    wb_outb(m, VGA_CRT_DC, v);
}
/* An attribute register, then the display on again (palette address source). */
static void att(uint8_t i, uint8_t v)
{
    wb_inb(m, VGA_IS1_RC);
    wb_outb(m, VGA_ATT_W, i);
    wb_outb(m, VGA_ATT_W, v);
    wb_outb(m, VGA_ATT_W, VGA_AR_ENABLE_DISPLAY);
}
static void dac(uint8_t i, uint8_t r, uint8_t g, uint8_t b)
{
    wb_outb(m, VGA_PEL_IW, i);
    wb_outb(m, VGA_PEL_D, r);
    wb_outb(m, VGA_PEL_D, g);
    wb_outb(m, VGA_PEL_D, b);
}
static void vbe(uint16_t i, uint16_t v)
{
    wb_outw(m, VBE_DISPI_IOPORT_INDEX, i);
    wb_outw(m, VBE_DISPI_IOPORT_DATA, v);
}
static uint16_t vbe_get(uint16_t i)
{
    wb_outw(m, VBE_DISPI_IOPORT_INDEX, i);
    return wb_inw(m, VBE_DISPI_IOPORT_DATA);
}
static uint8_t mrd(uint32_t a)
{
    return (uint8_t)phys_read(m, a, 0);
}
static void mwr(uint32_t a, uint8_t v)
{
    phys_write(m, a, v, 0);
}

/* The standard register tables of BIOS modes 12h and 13h. */
static const uint8_t cr12[VGA_CRTC_COUNT] = {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00,
                                             0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xEA, 0x8C,
                                             0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF};
static const uint8_t cr13[VGA_CRTC_COUNT] = {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00,
                                             0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                             0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF};

static void set_mode(bool m13)
{
    wb_outb(m, VGA_MIS_W, m13 ? 0x63 : 0xE3);
    static const uint8_t sr12[5] = {0x03, 0x01, 0x0F, 0x00, 0x06};
    static const uint8_t sr13[5] = {0x03, 0x01, 0x0F, 0x00, 0x0E};
    for (int i = 0; i < 5; i++)
        seq((uint8_t)i, (m13 ? sr13 : sr12)[i]);
    crtc(0x11, 0x0E); /* unprotect */
    for (int i = 0; i < VGA_CRTC_COUNT; i++)
        crtc((uint8_t)i, (m13 ? cr13 : cr12)[i]);
    static const uint8_t gr12[9] = {0, 0, 0, 0, 0, 0x00, 0x05, 0x0F, 0xFF};
    static const uint8_t gr13[9] = {0, 0, 0, 0, 0, 0x40, 0x05, 0x0F, 0xFF};
    for (int i = 0; i < 9; i++)
        gfx((uint8_t)i, (m13 ? gr13 : gr12)[i]);
    for (int i = 0; i < 16; i++)
        att((uint8_t)i, (uint8_t)i);
    att(0x10, m13 ? 0x41 : 0x01);
    att(0x11, 0);
    att(0x12, 0x0F);
    att(0x13, 0);
    att(0x14, 0);
    wb_inb(m, VGA_IS1_RC);
    wb_outb(m, VGA_ATT_W, VGA_AR_ENABLE_DISPLAY);
}

static const DisplaySurface *frame(DisplayDirty *d)
{
    DisplayDirty dd;
    display_update(m, false, d ? d : &dd);
    return display_surface(m);
}

static uint32_t px(const DisplaySurface *s, int x, int y)
{
    ck_assert_int_lt(x, s->width);
    ck_assert_int_lt(y, s->height);
    return s->pixels[(size_t)y * s->width + x];
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_pci_identity)
{
    ck_assert_uint_eq(pci_config_read(bus, devfn, PCI_VENDOR_ID, 1), VGA_PCI_VENDOR);
    ck_assert_uint_eq(pci_config_read(bus, devfn, PCI_DEVICE_ID, 1), VGA_PCI_DEVICE);
    ck_assert_uint_eq(pci_config_read(bus, devfn, PCI_REVISION_ID, 2) >> 8, VGA_PCI_CLASS);
    /* BAR0: 16 MiB, prefetchable memory; BAR2: 4 KiB */
    pci_config_write(bus, devfn, PCI_BAR0, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, devfn, PCI_BAR0, 2), (uint32_t)-VGA_VRAM_SIZE | 0x8);
    pci_config_write(bus, devfn, PCI_BAR0 + 8, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, devfn, PCI_BAR0 + 8, 2), (uint32_t)-VGA_MMIO_SIZE);
    /* The VGA BIOS at the expansion ROM BAR, once enabled (CI installs
     * Debian's seabios package). */
    pci_config_write(bus, devfn, PCI_ROM_ADDRESS, 0xFFFFFFFE, 2);
    uint32_t sz = ~(pci_config_read(bus, devfn, PCI_ROM_ADDRESS, 2) & ~0x7FFu) + 1;
    ck_assert_uint_ge(sz, 32 * 1024);
    ck_assert_uint_le(sz, VGA_ROM_MAX);
    pci_config_write(bus, devfn, PCI_ROM_ADDRESS, ROMBAR, 2);
    ck_assert_uint_eq(phys_read(m, ROMBAR, 1), 0xFFFF); /* not enabled yet */
    pci_config_write(bus, devfn, PCI_ROM_ADDRESS, ROMBAR | 1, 2);
    ck_assert_uint_eq(phys_read(m, ROMBAR, 1), 0xAA55);
    ck_assert_ptr_nonnull(vga_rom_font(vga));
    /* as a registry row */
    const DeviceModel *dm = device_model_find("VGA");
    ck_assert_ptr_nonnull(dm);
    ck_assert_int_eq(dm->category, DEV_CAT_DISPLAY);
}
END_TEST

START_TEST(test_registers)
{
    /* sequencer and graphics controller keep only their defined bits */
    seq(VGA_SEQ_MEMORY_MODE, 0xFF);
    ck_assert_uint_eq(wb_inb(m, VGA_SEQ_D), 0x0E);
    gfx(VGA_GFX_MODE, 0xFF);
    ck_assert_uint_eq(wb_inb(m, VGA_GFX_D), 0x7B);
    gfx(VGA_GFX_BIT_MASK, 0x5A);
    ck_assert_uint_eq(wb_inb(m, VGA_GFX_D), 0x5A);
    /* CRTC: colour ports with misc bit 0, mono ports without */
    wb_outb(m, VGA_MIS_W, 0x67);
    ck_assert_uint_eq(wb_inb(m, VGA_MIS_R), 0x67);
    crtc(VGA_CRTC_OFFSET, 0x28);
    ck_assert_uint_eq(wb_inb(m, VGA_CRT_DC), 0x28);
    ck_assert_uint_eq(wb_inb(m, VGA_CRT_DM), 0xFF);
    wb_outb(m, VGA_MIS_W, 0x66);
    wb_outb(m, VGA_CRT_IM, VGA_CRTC_OFFSET);
    ck_assert_uint_eq(wb_inb(m, VGA_CRT_DM), 0x28);
    ck_assert_uint_eq(wb_inb(m, VGA_CRT_DC), 0xFF);
    wb_outb(m, VGA_MIS_W, 0x67);
    /* the protect bit keeps registers 0-7, except line compare bit 8 */
    crtc(VGA_CRTC_H_DISP, 0x4F);
    crtc(VGA_CRTC_V_SYNC_END, 0x80);
    crtc(VGA_CRTC_H_DISP, 0x27);
    ck_assert_uint_eq(wb_inb(m, VGA_CRT_DC), 0x4F);
    crtc(VGA_CRTC_OVERFLOW, 0xFF);
    ck_assert_uint_eq(wb_inb(m, VGA_CRT_DC), 0x10);
    crtc(VGA_CRTC_V_SYNC_END, 0x00);
    /* attribute controller: index and data through one port, the flip-flop
     * reset by reading input status 1 */
    wb_inb(m, VGA_IS1_RC);
    wb_outb(m, VGA_ATT_W, 0x05);
    wb_outb(m, VGA_ATT_W, 0x3F);
    ck_assert_uint_eq(wb_inb(m, VGA_ATT_W), 0x05);
    ck_assert_uint_eq(wb_inb(m, VGA_ATT_R), 0x3F);
    wb_outb(m, VGA_ATT_W, 0x06); /* the flip-flop is at index: this is an index */
    ck_assert_uint_eq(wb_inb(m, VGA_ATT_W), 0x06);
    ck_assert_uint_eq(wb_inb(m, VGA_ATT_R), 0x14 & 0); /* never written: 0 */
    /* DAC: three writes per entry, auto-increment; reads likewise */
    dac(10, 1, 2, 3);
    wb_outb(m, VGA_PEL_D, 4);
    wb_outb(m, VGA_PEL_D, 5);
    wb_outb(m, VGA_PEL_D, 6);
    ck_assert_uint_eq(wb_inb(m, VGA_PEL_IW), 12);
    wb_outb(m, VGA_PEL_IR, 10);
    ck_assert_uint_eq(wb_inb(m, VGA_PEL_IR), 3);
    for (int i = 1; i <= 6; i++)
        ck_assert_uint_eq(wb_inb(m, VGA_PEL_D), i);
    /* word writes to an index port set index and data at once */
    wb_outw(m, VGA_SEQ_I, 0x0F02);
    wb_outb(m, VGA_SEQ_I, 2);
    ck_assert_uint_eq(wb_inb(m, VGA_SEQ_D), 0x0F);
}
END_TEST

/* Input status 1 follows the virtual clock: vertical retrace once a frame. */
START_TEST(test_retrace)
{
    vga_bios_text_mode(vga);
    uint64_t frame_ns = 1000000000ull / 70, t0 = 10 * frame_ns; /* a frame boundary */
    int vr_seen = 0, de_seen = 0, clear_seen = 0;
    for (uint64_t t = t0; t < t0 + frame_ns; t += 5000) {
        wb_run_until(m, t);
        uint8_t st = wb_inb(m, VGA_IS1_RC);
        vr_seen += !!(st & VGA_IS1_VR);
        de_seen += !!(st & VGA_IS1_DE);
        clear_seen += !(st & (VGA_IS1_VR | VGA_IS1_DE));
        if (st & VGA_IS1_VR)
            ck_assert(st & VGA_IS1_DE);
    }
    ck_assert_int_gt(vr_seen, 0);
    ck_assert_int_lt(vr_seen, 40); /* a short part of the frame */
    ck_assert_int_gt(de_seen, vr_seen); /* horizontal retraces too */
    ck_assert_int_gt(clear_seen, 2000);
    /* the same time reads the same */
    wb_run_until(m, t0 + frame_ns - 1000);
    ck_assert_uint_eq(wb_inb(m, VGA_IS1_RC) & VGA_IS1_VR, VGA_IS1_VR);
    wb_run_until(m, t0 + 2 * frame_ns + 1000);
    ck_assert_uint_eq(wb_inb(m, VGA_IS1_RC) & VGA_IS1_VR, 0);
}
END_TEST

/* Mode 12h memory: planes, latches and the four write modes. */
START_TEST(test_planar_write_modes)
{
    set_mode(false);
    uint32_t a = 0xA0000 + 100;
    uint32_t v = 100 * 4; /* vram bytes of planar address 100 */
    /* write mode 0 with the map mask: the byte to the enabled planes */
    seq(VGA_SEQ_PLANE_WRITE, 0x05);
    mwr(a, 0xC3);
    ck_assert_uint_eq(vram[v], 0xC3);
    ck_assert_uint_eq(vram[v + 1], 0x00);
    ck_assert_uint_eq(vram[v + 2], 0xC3);
    ck_assert_uint_eq(vram[v + 3], 0x00);
    seq(VGA_SEQ_PLANE_WRITE, 0x0F);
    /* set/reset: planes enabled in GR1 take GR0's bit, the others the data */
    gfx(VGA_GFX_SR_VALUE, 0x09);
    gfx(VGA_GFX_SR_ENABLE, 0x03);
    mwr(a, 0x5A);
    ck_assert_uint_eq(vram[v], 0xFF);
    ck_assert_uint_eq(vram[v + 1], 0x00);
    ck_assert_uint_eq(vram[v + 2], 0x5A);
    ck_assert_uint_eq(vram[v + 3], 0x5A);
    gfx(VGA_GFX_SR_ENABLE, 0);
    /* rotate 4 and XOR with the latches, under a bit mask */
    (void)mrd(a); /* latches: FF 00 5A 5A */
    gfx(VGA_GFX_DATA_ROTATE, (3 << 3) | 4);
    gfx(VGA_GFX_BIT_MASK, 0xF0);
    mwr(a, 0x0F); /* rotated: F0 */
    ck_assert_uint_eq(vram[v], 0x0F);     /* F0^FF=0F in the high nibble, latch low nibble F */
    ck_assert_uint_eq(vram[v + 1], 0xF0); /* F0^00 */
    ck_assert_uint_eq(vram[v + 2], 0xAA); /* F0^5A=AA high, 0A low */
    gfx(VGA_GFX_DATA_ROTATE, 0);
    gfx(VGA_GFX_BIT_MASK, 0xFF);
    /* AND and OR functions */
    (void)mrd(a); /* latches 0F F0 AA AA */
    gfx(VGA_GFX_DATA_ROTATE, 1 << 3);
    mwr(a, 0x3C);
    ck_assert_uint_eq(vram[v], 0x0C);
    ck_assert_uint_eq(vram[v + 1], 0x30);
    (void)mrd(a);
    gfx(VGA_GFX_DATA_ROTATE, 2 << 3);
    mwr(a, 0x01);
    ck_assert_uint_eq(vram[v], 0x0D);
    gfx(VGA_GFX_DATA_ROTATE, 0);
    /* write mode 1: the latches copied elsewhere (a screen-to-screen copy) */
    gfx(VGA_GFX_MODE, 1);
    (void)mrd(a);
    mwr(a + 1, 0x00);
    for (int k = 0; k < 4; k++)
        ck_assert_uint_eq(vram[v + 4 + k], vram[v + k]);
    /* write mode 2: the data's low nibble is a colour, the bit mask picks pixels */
    gfx(VGA_GFX_MODE, 2);
    gfx(VGA_GFX_BIT_MASK, 0x81);
    (void)mrd(a + 2); /* latches zero */
    mwr(a + 2, 0x06);
    ck_assert_uint_eq(vram[v + 8], 0x00);
    ck_assert_uint_eq(vram[v + 9], 0x81);
    ck_assert_uint_eq(vram[v + 10], 0x81);
    ck_assert_uint_eq(vram[v + 11], 0x00);
    /* write mode 3: set/reset is the colour, the rotated data ANDs the bit mask */
    gfx(VGA_GFX_MODE, 3);
    gfx(VGA_GFX_BIT_MASK, 0x0F);
    gfx(VGA_GFX_SR_VALUE, 0x0C);
    (void)mrd(a + 3);
    mwr(a + 3, 0x3C); /* mask 0x0C */
    ck_assert_uint_eq(vram[v + 12], 0x00);
    ck_assert_uint_eq(vram[v + 14], 0x0C);
    ck_assert_uint_eq(vram[v + 15], 0x0C);
    /* read mode 0: the plane the read map selects */
    gfx(VGA_GFX_MODE, 0);
    gfx(VGA_GFX_PLANE_READ, 1);
    ck_assert_uint_eq(mrd(a + 2), 0x81);
    /* read mode 1: 1 where the pixel has the compare colour (don't-care planes ignored) */
    gfx(VGA_GFX_MODE, VGA_GR05_READ_MODE1);
    gfx(VGA_GFX_COMPARE_VALUE, 0x06);
    gfx(VGA_GFX_COMPARE_MASK, 0x0F);
    ck_assert_uint_eq(mrd(a + 2), 0x81);
    gfx(VGA_GFX_COMPARE_VALUE, 0x00);
    ck_assert_uint_eq(mrd(a + 2), 0x7E);
    gfx(VGA_GFX_COMPARE_MASK, 0x00);
    ck_assert_uint_eq(mrd(a + 2), 0xFF);
}
END_TEST

/* Mode 12h on screen: pixel colours through the attribute palette and DAC. */
START_TEST(test_planar_render)
{
    set_mode(false);
    dac(4, 63, 0, 0);
    att(4, 4);
    gfx(VGA_GFX_MODE, 2);
    gfx(VGA_GFX_BIT_MASK, 0x80);
    mrd(0xA0000 + 80 * 10 + 1);
    mwr(0xA0000 + 80 * 10 + 1, 4); /* pixel (8, 10) colour 4 */
    const DisplaySurface *s = frame(NULL);
    ck_assert_int_eq(s->width, 640);
    ck_assert_int_eq(s->height, 480);
    ck_assert_uint_eq(px(s, 8, 10), 0xFF0000);
    ck_assert_uint_eq(px(s, 9, 10), 0x000000);
    ck_assert_uint_eq(px(s, 8, 11), 0x000000);
    /* plane enable masks planes out of the colour */
    att(VGA_ATC_PLANE_ENABLE, 0x0B);
    s = frame(NULL);
    ck_assert_uint_eq(px(s, 8, 10), 0x000000);
}
END_TEST

/* Mode 13h: chain-4 bytes are pixels, 320x200 drawn as 640x400. */
START_TEST(test_mode13)
{
    set_mode(true);
    dac(7, 0, 63, 32);
    mwr(0xA0000 + 320 * 5 + 17, 7);
    ck_assert_uint_eq(vram[320 * 5 + 17], 7);
    ck_assert_uint_eq(mrd(0xA0000 + 320 * 5 + 17), 7);
    const DisplaySurface *s = frame(NULL);
    ck_assert_int_eq(s->width, 640);
    ck_assert_int_eq(s->height, 400);
    uint32_t want = 0x00FF00 | ((32u << 2) | (32u >> 4));
    ck_assert_uint_eq(px(s, 34, 10), want);
    ck_assert_uint_eq(px(s, 35, 11), want);
    ck_assert_uint_eq(px(s, 36, 10), 0);
    ck_assert_uint_eq(px(s, 34, 12), 0);
    /* the map mask applies in chain-4 too */
    seq(VGA_SEQ_PLANE_WRITE, 0x0E);
    mwr(0xA0000 + 4, 9); /* plane 0: masked */
    ck_assert_uint_eq(vram[4], 0);
    mwr(0xA0000 + 5, 9);
    ck_assert_uint_eq(vram[5], 9);
    /* the palette alone changes the picture */
    DisplayDirty d;
    dac(7, 63, 63, 63);
    s = frame(&d);
    ck_assert_uint_eq(px(s, 34, 10), 0xFFFFFF);
    ck_assert_int_eq(d.y0, 0);
    ck_assert_int_eq(d.y1, 400);
    /* nothing written: nothing to redraw */
    s = frame(&d);
    ck_assert_int_eq(d.y0, d.y1);
}
END_TEST

/* Text mode: odd/even at 0xB8000, the windows the memory map selects, the
 * font from plane 2 (the ROM's when plane 2 is empty), the cursor. */
START_TEST(test_text_mode)
{
    vga_bios_text_mode(vga);
    /* only the B8000 window is decoded in mode 3 */
    mwr(0xB8000, 'A');
    mwr(0xB8001, 0x1E); /* yellow on blue */
    ck_assert_uint_eq(vram[0], 'A');
    ck_assert_uint_eq(vram[1], 0x1E);
    ck_assert_uint_eq(mrd(0xA0000), 0xFF);
    ck_assert_uint_eq(mrd(0xB0000), 0xFF);
    uint8_t ch, attr;
    ck_assert(display_text_cell(m, 0, 0, &ch, &attr));
    ck_assert_uint_eq(ch, 'A');
    ck_assert_uint_eq(attr, 0x1E);
    ck_assert(!display_text_cell(m, 80, 0, &ch, &attr));
    const DisplaySurface *s = frame(NULL);
    ck_assert_int_eq(s->width, 720);
    ck_assert_int_eq(s->height, 400);
    /* 'A' row 5 of the 8x16 font is 0xC6: dots 0,1 and 5,6 are foreground */
    const uint8_t *font = vga_rom_font(vga);
    ck_assert_uint_eq(font['A' * 16 + 5], 0xC6);
    ck_assert_uint_eq(px(s, 0, 5), 0xFFFF55);
    ck_assert_uint_eq(px(s, 2, 5), 0x0000AA);
    ck_assert_uint_eq(px(s, 5, 5), 0xFFFF55);
    ck_assert_uint_eq(px(s, 8, 5), 0x0000AA); /* 9th dot: background for letters */
    /* a font of its own in plane 2 (map 0): a full block for 'A' */
    seq(VGA_SEQ_PLANE_WRITE, 0x04);
    seq(VGA_SEQ_MEMORY_MODE, 0x07);
    gfx(VGA_GFX_MODE, 0x00);
    gfx(VGA_GFX_MISC, 0x04);
    for (int y = 0; y < 16; y++)
        mwr(0xA0000 + 'A' * 32 + y, 0xFF);
    seq(VGA_SEQ_PLANE_WRITE, 0x03);
    seq(VGA_SEQ_MEMORY_MODE, 0x02);
    gfx(VGA_GFX_MODE, 0x10);
    gfx(VGA_GFX_MISC, 0x0E);
    s = frame(NULL);
    ck_assert_uint_eq(px(s, 2, 5), 0xFFFF55);
    ck_assert_uint_eq(px(s, 7, 0), 0xFFFF55);
    /* the cursor: scan lines 13-14 of its cell, blinking on the virtual clock */
    crtc(VGA_CRTC_CURSOR_HI, 0);
    crtc(VGA_CRTC_CURSOR_LO, 81); /* row 1, column 1 */
    int on = 0, off = 0;
    for (int i = 0; i < 8; i++) {
        wb_run_until(m, clock_ns(m) + 140000000ull);
        s = frame(NULL);
        if (px(s, 9 + 3, 16 + 14) == 0xAAAAAA)
            on++;
        else
            off++;
        ck_assert_uint_eq(px(s, 9 + 3, 16 + 2), 0); /* above the cursor lines */
    }
    ck_assert_int_gt(on, 0);
    ck_assert_int_gt(off, 0);
    /* 80x50: 8-line characters */
    crtc(VGA_CRTC_MAX_SCAN, 0x47);
    s = frame(NULL);
    ck_assert_int_eq(s->height, 400);
    ck_assert(display_text_cell(m, 0, 49, &ch, &attr));
}
END_TEST

/* VBE: mode set, the LFB at BAR0, banks through the 64 KiB window, GETCAPS. */
START_TEST(test_vbe)
{
    ck_assert_uint_eq(vbe_get(VBE_DISPI_INDEX_ID), VBE_DISPI_ID5);
    vbe(VBE_DISPI_INDEX_ID, VBE_DISPI_ID0);
    ck_assert_uint_eq(vbe_get(VBE_DISPI_INDEX_ID), VBE_DISPI_ID0);
    vbe(VBE_DISPI_INDEX_ID, 0x1234); /* not an ID: ignored */
    ck_assert_uint_eq(vbe_get(VBE_DISPI_INDEX_ID), VBE_DISPI_ID0);
    ck_assert_uint_eq(vbe_get(VBE_DISPI_INDEX_VIDEO_MEMORY_64K), VGA_VRAM_SIZE >> 16);
    vbe(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_GETCAPS);
    ck_assert_uint_ge(vbe_get(VBE_DISPI_INDEX_XRES), 1920);
    ck_assert_uint_ge(vbe_get(VBE_DISPI_INDEX_YRES), 1080);
    ck_assert_uint_eq(vbe_get(VBE_DISPI_INDEX_BPP), 32);
    memset(vram, 0x55, 4096);
    /* 1920x1080x32 with the LFB */
    vbe(VBE_DISPI_INDEX_ENABLE, 0);
    vbe(VBE_DISPI_INDEX_XRES, 1920);
    vbe(VBE_DISPI_INDEX_YRES, 1080);
    vbe(VBE_DISPI_INDEX_BPP, 32);
    vbe(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    ck_assert_uint_eq(vbe_get(VBE_DISPI_INDEX_XRES), 1920);
    ck_assert_uint_eq(vbe_get(VBE_DISPI_INDEX_VIRT_WIDTH), 1920);
    ck_assert_uint_eq(vram[0], 0); /* cleared without NOCLEARMEM */
    wb_inb(m, VGA_IS1_RC);
    wb_outb(m, VGA_ATT_W, VGA_AR_ENABLE_DISPLAY);
    const DisplaySurface *s = frame(NULL);
    ck_assert_int_eq(s->width, 1920);
    ck_assert_int_eq(s->height, 1080);
    /* a pixel through the LFB (the CPU's path: the host pointer) */
    uint32_t off = (500 * 1920 + 100) * 4;
    uint8_t *p = phys_host_ptr(m, LFB + off, true);
    ck_assert_ptr_eq(p, vram + off);
    st32le(p, 0x00123456);
    DisplayDirty d;
    s = frame(&d);
    ck_assert_uint_eq(px(s, 100, 500), 0x123456);
    ck_assert_int_le(d.y0, 500);
    ck_assert_int_gt(d.y1, 500);
    ck_assert_int_lt(d.y1 - d.y0, 8); /* one 4 KiB page: rows 499-500 */
    /* the slow path marks pages too */
    phys_write(m, LFB + 1000 * 1920 * 4, 0xABCDEF, 2);
    s = frame(&d);
    ck_assert_uint_eq(px(s, 0, 1000), 0xABCDEF);
    ck_assert_int_le(d.y0, 1000);
    ck_assert_int_gt(d.y1, 1000);
    /* panning: Y_OFFSET moves the picture */
    vbe(VBE_DISPI_INDEX_Y_OFFSET, 400);
    s = frame(NULL);
    ck_assert_uint_eq(px(s, 100, 100), 0x123456);
    /* banks: the 64 KiB window at 0xA0000 shows bank N of video memory */
    vbe(VBE_DISPI_INDEX_BANK, 3);
    mwr(0xA0000 + 10, 0x77);
    ck_assert_uint_eq(vram[3 * 0x10000 + 10], 0x77);
    ck_assert_uint_eq(mrd(0xA0000 + 10), 0x77);
    /* NOCLEARMEM keeps the picture across a mode set; 8 bpp uses the DAC */
    vbe(VBE_DISPI_INDEX_ENABLE, 0);
    vbe(VBE_DISPI_INDEX_BPP, 8);
    vbe(VBE_DISPI_INDEX_XRES, 800);
    vbe(VBE_DISPI_INDEX_YRES, 600);
    vbe(VBE_DISPI_INDEX_VIRT_WIDTH, 0);
    vbe(VBE_DISPI_INDEX_Y_OFFSET, 0);
    vbe(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_NOCLEARMEM | VBE_DISPI_8BIT_DAC);
    ck_assert_uint_eq(vram[3 * 0x10000 + 10], 0x77);
    dac(0x77, 0x80, 0x40, 0x20); /* 8-bit DAC */
    vram[801] = 0x77;
    s = frame(NULL);
    ck_assert_int_eq(s->width, 800);
    ck_assert_uint_eq(px(s, 1, 1), 0x804020);
    /* 15, 16 and 24 bpp pixels */
    static const struct {
        int bpp;
        uint8_t bytes[3];
        uint32_t rgb;
    } fmt[] = {
        {15, {0x1F, 0x7C}, 0xFF00FF}, /* 0x7C1F: r=31 g=0 b=31 */
        {16, {0xE0, 0x07}, 0x00FF00}, /* 0x07E0: g=63 */
        {24, {0x11, 0x22, 0x33}, 0x332211},
    };
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        vbe(VBE_DISPI_INDEX_ENABLE, 0);
        vbe(VBE_DISPI_INDEX_BPP, (uint16_t)fmt[i].bpp);
        vbe(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
        memcpy(vram, fmt[i].bytes, 3);
        s = frame(NULL);
        ck_assert_uint_eq(px(s, 0, 0), fmt[i].rgb);
    }
}
END_TEST

/* QEMU's MMIO BAR: the VGA ports at 0x400, DISPI at 0x500, the extension at 0x600. */
START_TEST(test_mmio_bar)
{
    ck_assert_uint_eq(phys_read(m, MMIO + VGA_MMIO_DISPI, 1), VBE_DISPI_ID5);
    phys_write(m, MMIO + VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_XRES, 1024, 1);
    ck_assert_uint_eq(vbe_get(VBE_DISPI_INDEX_XRES), 1024);
    ck_assert_uint_eq(phys_read(m, MMIO + VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_VIDEO_MEMORY_64K, 1),
                      256);
    ck_assert_uint_eq(phys_read(m, MMIO + VGA_MMIO_QEXT, 2), VGA_QEXT_SIZE);
    ck_assert_uint_eq(phys_read(m, MMIO + VGA_MMIO_QEXT + 4, 2), VGA_QEXT_LITTLE);
    /* 0x3C2 (misc) and 0x3DA through the window, as Linux's bochs_hw_blank does */
    phys_write(m, MMIO + VGA_MMIO_VGA + (VGA_MIS_W - 0x3C0), VGA_MIS_COLOR, 0);
    ck_assert_uint_eq(wb_inb(m, VGA_MIS_R), VGA_MIS_COLOR);
    (void)phys_read(m, MMIO + VGA_MMIO_VGA + (VGA_IS1_RC - 0x3C0), 0);
    phys_write(m, MMIO + VGA_MMIO_VGA, 0x20, 0);
    ck_assert_uint_eq(wb_inb(m, VGA_ATT_W), 0x20);
    ck_assert_uint_eq(phys_read(m, MMIO + VGA_MMIO_EDID, 2), 0);
}
END_TEST

/* The CPU's TLB gives up write access to the framebuffer after each frame,
 * so the next write is seen again. */
START_TEST(test_lfb_tlb_rearm)
{
    CPU *c = m->cpu;
    TlbEntry *e = &c->tlb[0][5];
    e->tag_read = e->tag_write = 0x5000;
    e->paddr = LFB + 0x3000;
    TlbEntry *other = &c->tlb[0][6];
    other->tag_read = other->tag_write = 0x6000;
    other->paddr = 0x100000;
    frame(NULL);
    ck_assert_uint_eq(e->tag_write, 0xFFFFFFFFu);
    ck_assert_uint_eq(e->tag_read, 0x5000);
    ck_assert_uint_eq(other->tag_write, 0x6000);
}
END_TEST

/* A hostile guest: out-of-range VBE geometry, offsets, banks and start
 * addresses never make the card reach outside its memory (ASan would see
 * it), and the picture stays inside the surface. */
START_TEST(test_hostile)
{
    static const uint16_t vals[] = {0, 1, 7, 8, 15, 24, 31, 33, 640, 4095, 4096, 4097,
                                    0x7FFF, 0x8000, 0xFFFE, 0xFFFF};
    const int nv = sizeof vals / sizeof vals[0];
    uint32_t seed = 12345;
    for (int round = 0; round < 400; round++) {
        for (int i = 1; i <= VBE_DISPI_INDEX_Y_OFFSET; i++) {
            seed = seed * 1103515245 + 12345;
            if (i != VBE_DISPI_INDEX_ENABLE)
                vbe((uint16_t)i, vals[(seed >> 16) % nv]);
        }
        vbe(VBE_DISPI_INDEX_ENABLE, 0);
        seed = seed * 1103515245 + 12345;
        vbe(VBE_DISPI_INDEX_ENABLE, (uint16_t)(VBE_DISPI_ENABLED | ((seed >> 20) & 0xE0)));
        uint16_t x = vbe_get(VBE_DISPI_INDEX_XRES), y = vbe_get(VBE_DISPI_INDEX_YRES);
        uint16_t bpp = vbe_get(VBE_DISPI_INDEX_BPP);
        uint16_t vw = vbe_get(VBE_DISPI_INDEX_VIRT_WIDTH);
        uint16_t xo = vbe_get(VBE_DISPI_INDEX_X_OFFSET), yo = vbe_get(VBE_DISPI_INDEX_Y_OFFSET);
        ck_assert(bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32);
        ck_assert_uint_le(x, VBE_DISPI_MAX_XRES);
        ck_assert_uint_le(y, VBE_DISPI_MAX_YRES);
        ck_assert_uint_ge(vw, x);
        uint64_t line = bpp == 4 ? vw / 2 : (uint64_t)vw * ((bpp + 7) / 8);
        uint64_t end = (uint64_t)(yo + y) * line;
        ck_assert_uint_le(end, vram_size);
        ck_assert_uint_le(xo + x, vw);
        wb_inb(m, VGA_IS1_RC);
        wb_outb(m, VGA_ATT_W, VGA_AR_ENABLE_DISPLAY);
        seed = seed * 1103515245 + 12345;
        vbe(VBE_DISPI_INDEX_BANK, (uint16_t)(seed >> 8));
        ck_assert_uint_lt(vbe_get(VBE_DISPI_INDEX_BANK), VGA_VRAM_SIZE >> 16);
        mwr(0xAFFFF, 0xEE);
        (void)mrd(0xAFFFF);
        const DisplaySurface *s = frame(NULL);
        ck_assert_int_le(s->width, 4096);
        ck_assert_int_le(s->height, 4096);
    }
    /* legacy modes with every start address, offset and scan setting */
    vbe(VBE_DISPI_INDEX_ENABLE, 0);
    for (int round = 0; round < 300; round++) {
        seed = seed * 1103515245 + 12345;
        set_mode(round & 1);
        crtc(VGA_CRTC_START_HI, (uint8_t)(seed >> 24));
        crtc(VGA_CRTC_START_LO, (uint8_t)(seed >> 16));
        crtc(VGA_CRTC_OFFSET, (uint8_t)(seed >> 8));
        crtc(VGA_CRTC_H_DISP, (uint8_t)seed);
        crtc(VGA_CRTC_V_DISP_END, (uint8_t)(seed >> 4));
        crtc(VGA_CRTC_OVERFLOW, (uint8_t)(seed >> 12));
        crtc(VGA_CRTC_MAX_SCAN, (uint8_t)(seed >> 20));
        crtc(VGA_CRTC_MODE, (uint8_t)(seed >> 3));
        gfx(VGA_GFX_MISC, (uint8_t)(seed >> 7));
        gfx(VGA_GFX_MODE, (uint8_t)(seed >> 11));
        seq(VGA_SEQ_MEMORY_MODE, (uint8_t)(seed >> 13));
        seq(VGA_SEQ_CLOCK_MODE, (uint8_t)(seed >> 17) & ~VGA_SR01_SCREEN_OFF);
        seq(VGA_SEQ_CHARACTER_MAP, (uint8_t)(seed >> 5));
        for (uint32_t a = 0xA0000; a < 0xC0000; a += 0x3FFF) {
            mwr(a, (uint8_t)a);
            (void)mrd(a);
        }
        frame(NULL);
    }
}
END_TEST

static Suite *vga_suite(void)
{
    Suite *s = suite_create("vga");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pci_identity);
    tcase_add_test(tc, test_registers);
    tcase_add_test(tc, test_retrace);
    tcase_add_test(tc, test_planar_write_modes);
    tcase_add_test(tc, test_planar_render);
    tcase_add_test(tc, test_mode13);
    tcase_add_test(tc, test_text_mode);
    tcase_add_test(tc, test_vbe);
    tcase_add_test(tc, test_mmio_bar);
    tcase_add_test(tc, test_lfb_tlb_rearm);
    tcase_add_test(tc, test_hostile);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(vga_suite)
