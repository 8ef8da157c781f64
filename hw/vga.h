/* A PCI VGA: QEMU's "std" VGA (1234:1111) with the Bochs VBE extension
 * (hw/vga.c). Registers in hw/vga_regs.h. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "hw/chips.h"
#include "hw/machine.h"

typedef struct Vga Vga;

/* The default option ROM (the VGA BIOS QEMU uses, from Debian's seabios). */
#define VGA_ROMFILE_DEFAULT "vgabios-stdvga.bin"

/* A VGA on bus at devfn (-1: the first free slot). romfile: the option ROM
 * (a name is searched in the firmware directories; "" for none). The card
 * becomes the machine's display (hw/display.h). NULL with one line in err
 * if the slot is taken or an explicitly named ROM cannot be read. */
Vga *vga_new(Machine *m, PciBus *bus, int devfn, const char *romfile, bool romfile_given,
             char *err, size_t errlen);

/* What a VGA BIOS leaves behind at boot, done from the host for a direct
 * Linux boot: 80x25 colour text mode 3, the ROM's 8x16 font in plane 2, an
 * empty screen, the standard palette, the cursor on. */
void vga_bios_text_mode(Vga *v);

/* For tests: the card's video memory and its size; the font the card uses
 * when the guest loaded none (NULL if the ROM has none). */
uint8_t *vga_vram(Vga *v, uint32_t *size);
const uint8_t *vga_rom_font(Vga *v);
PciDevice *vga_pci(Vga *v);
