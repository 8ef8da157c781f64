/* The VGA's registers (IBM VGA Technical Reference; the Bochs/QEMU "DISPI"
 * VBE extension as QEMU's std VGA and Linux's bochs driver define it), shared
 * by hw/vga.c and tests/unit/test_vga.c. */
#pragma once

/* ---- PCI identity: QEMU's "std" VGA */
#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111
#define VGA_PCI_REVISION 0x02
#define VGA_PCI_CLASS 0x030000 /* display controller, VGA compatible */
#define VGA_VRAM_SIZE (16u << 20) /* QEMU's default vgamem_mb=16 */
#define VGA_MMIO_SIZE 0x1000      /* BAR2 */
#define VGA_ROM_MAX (256u << 10)  /* largest option ROM accepted */

/* ---- BAR2, the MMIO window QEMU's std VGA (and bochs-display) has */
#define VGA_MMIO_EDID 0x000   /* 256 bytes of EDID (zero here: no EDID) */
#define VGA_MMIO_VGA 0x400    /* 0x400 + (port - 0x3C0): ports 0x3C0-0x3DF, bytes */
#define VGA_MMIO_DISPI 0x500  /* 0x500 + index * 2: the DISPI registers, 16 bits */
#define VGA_MMIO_QEXT 0x600   /* QEMU extension: size (0x600), endianness (0x604) */
#define VGA_QEXT_SIZE 8
#define VGA_QEXT_LITTLE 0x1e1e1e1eu
#define VGA_QEXT_BIG 0xbebebebeu

/* ---- Legacy I/O ports */
#define VGA_PORT_BASE 0x3B0 /* 0x3B0-0x3DF */
#define VGA_PORT_LEN 0x30
#define VGA_CRT_IM 0x3B4   /* CRTC index, mono */
#define VGA_CRT_DM 0x3B5
#define VGA_IS1_RM 0x3BA   /* input status 1 (mono); write: feature control */
#define VGA_ATT_W 0x3C0    /* attribute index/data write */
#define VGA_ATT_R 0x3C1
#define VGA_MIS_W 0x3C2    /* misc output write; read: input status 0 */
#define VGA_ENABLE 0x3C3
#define VGA_SEQ_I 0x3C4
#define VGA_SEQ_D 0x3C5
#define VGA_PEL_MSK 0x3C6
#define VGA_PEL_IR 0x3C7   /* write: DAC read index; read: DAC state */
#define VGA_PEL_IW 0x3C8
#define VGA_PEL_D 0x3C9
#define VGA_FTC_R 0x3CA    /* feature control read */
#define VGA_MIS_R 0x3CC
#define VGA_GFX_I 0x3CE
#define VGA_GFX_D 0x3CF
#define VGA_CRT_IC 0x3D4   /* CRTC index, colour */
#define VGA_CRT_DC 0x3D5
#define VGA_IS1_RC 0x3DA   /* input status 1 (colour); write: feature control */

/* Misc output */
#define VGA_MIS_COLOR 0x01  /* CRTC at 0x3D4, status at 0x3DA */
#define VGA_MIS_ENB_MEM 0x02

/* Input status 1 */
#define VGA_IS1_DE 0x01 /* display disabled: horizontal or vertical retrace */
#define VGA_IS1_VR 0x08 /* vertical retrace */

/* Sequencer */
#define VGA_SEQ_RESET 0x00
#define VGA_SEQ_CLOCK_MODE 0x01
#define VGA_SEQ_PLANE_WRITE 0x02 /* map mask */
#define VGA_SEQ_CHARACTER_MAP 0x03
#define VGA_SEQ_MEMORY_MODE 0x04
#define VGA_SEQ_COUNT 5
#define VGA_SR01_CHAR_CLK_8DOTS 0x01
#define VGA_SR01_CLOCK_DIV2 0x08
#define VGA_SR01_SCREEN_OFF 0x20
#define VGA_SR04_EXT_MEM 0x02
#define VGA_SR04_SEQ_MODE 0x04 /* odd/even disabled */
#define VGA_SR04_CHN_4M 0x08   /* chain 4 */

/* Graphics controller */
#define VGA_GFX_SR_VALUE 0x00
#define VGA_GFX_SR_ENABLE 0x01
#define VGA_GFX_COMPARE_VALUE 0x02
#define VGA_GFX_DATA_ROTATE 0x03
#define VGA_GFX_PLANE_READ 0x04
#define VGA_GFX_MODE 0x05
#define VGA_GFX_MISC 0x06
#define VGA_GFX_COMPARE_MASK 0x07
#define VGA_GFX_BIT_MASK 0x08
#define VGA_GFX_COUNT 9
#define VGA_GR05_READ_MODE1 0x08
#define VGA_GR05_HOST_ODD_EVEN 0x10
#define VGA_GR05_SHIFT_CGA 0x20
#define VGA_GR05_SHIFT_256 0x40
#define VGA_GR06_GRAPHICS_MODE 0x01
#define VGA_GR06_MEMMAP_SHIFT 2 /* bits 2-3: 0 A0000 128K, 1 A0000 64K, 2 B0000 32K, 3 B8000 32K */

/* Attribute controller */
#define VGA_ATC_PALETTE0 0x00 /* 0x00-0x0F */
#define VGA_ATC_MODE 0x10
#define VGA_ATC_OVERSCAN 0x11
#define VGA_ATC_PLANE_ENABLE 0x12
#define VGA_ATC_PEL 0x13
#define VGA_ATC_COLOR_PAGE 0x14
#define VGA_ATC_COUNT 0x15
#define VGA_AR_ENABLE_DISPLAY 0x20 /* in the index: palette address source */
#define VGA_AR10_GRAPHICS 0x01
#define VGA_AR10_LINE_GRAPHICS 0x04
#define VGA_AR10_BLINK 0x08
#define VGA_AR10_P54_SELECT 0x80

/* CRT controller */
#define VGA_CRTC_H_TOTAL 0x00
#define VGA_CRTC_H_DISP 0x01
#define VGA_CRTC_OVERFLOW 0x07
#define VGA_CRTC_PRESET_ROW 0x08
#define VGA_CRTC_MAX_SCAN 0x09
#define VGA_CRTC_CURSOR_START 0x0A
#define VGA_CRTC_CURSOR_END 0x0B
#define VGA_CRTC_START_HI 0x0C
#define VGA_CRTC_START_LO 0x0D
#define VGA_CRTC_CURSOR_HI 0x0E
#define VGA_CRTC_CURSOR_LO 0x0F
#define VGA_CRTC_V_SYNC_END 0x11 /* bit 7: protect 0-7 */
#define VGA_CRTC_V_DISP_END 0x12
#define VGA_CRTC_OFFSET 0x13
#define VGA_CRTC_UNDERLINE 0x14
#define VGA_CRTC_MODE 0x17
#define VGA_CRTC_LINE_COMPARE 0x18
#define VGA_CRTC_COUNT 0x19
#define VGA_CURSOR_DISABLE 0x20

/* ---- The Bochs VBE "DISPI" interface: index at 0x1CE, data at 0x1CF (and
 * 0x1D0), 16 bits each. */
#define VBE_DISPI_IOPORT_INDEX 0x1CE
#define VBE_DISPI_IOPORT_DATA 0x1CF
#define VBE_DISPI_INDEX_ID 0x0
#define VBE_DISPI_INDEX_XRES 0x1
#define VBE_DISPI_INDEX_YRES 0x2
#define VBE_DISPI_INDEX_BPP 0x3
#define VBE_DISPI_INDEX_ENABLE 0x4
#define VBE_DISPI_INDEX_BANK 0x5
#define VBE_DISPI_INDEX_VIRT_WIDTH 0x6
#define VBE_DISPI_INDEX_VIRT_HEIGHT 0x7
#define VBE_DISPI_INDEX_X_OFFSET 0x8
#define VBE_DISPI_INDEX_Y_OFFSET 0x9
#define VBE_DISPI_INDEX_VIDEO_MEMORY_64K 0xA
#define VBE_DISPI_INDEX_NB 0xB

#define VBE_DISPI_ID0 0xB0C0
#define VBE_DISPI_ID5 0xB0C5 /* the newest: 32 bpp, VIDEO_MEMORY_64K */

#define VBE_DISPI_DISABLED 0x00
#define VBE_DISPI_ENABLED 0x01
#define VBE_DISPI_GETCAPS 0x02
#define VBE_DISPI_8BIT_DAC 0x20
#define VBE_DISPI_LFB_ENABLED 0x40
#define VBE_DISPI_NOCLEARMEM 0x80

#define VBE_DISPI_MAX_XRES 4096
#define VBE_DISPI_MAX_YRES 4096
#define VBE_DISPI_MAX_BPP 32
#define VBE_DISPI_BANK_SIZE 0x10000

/* ---- Legacy memory windows */
#define VGA_WINDOW_BASE 0xA0000u
#define VGA_WINDOW_SIZE 0x20000u
