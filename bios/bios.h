/* Firmware without a BIOS: what a PC BIOS leaves behind for an OS (PCI set
 * up, IRQ routing, a $PIR table), loading a -bios ROM image, and the Linux
 * x86 32-bit boot protocol for -kernel/-initrd/-append. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "hw/pc.h"

/* ---- Guest physical layout used by direct kernel boot. */
#define LINUX_GDT_ADDR 0x5000u          /* 4 descriptors: null, null, 0x10 code, 0x18 data */
#define LINUX_STACK_TOP 0x10000u        /* initial ESP (the kernel sets its own at once) */
#define LINUX_BOOT_PARAMS_ADDR 0x10000u /* the zero page, 4 KiB */
#define LINUX_SETUP_DATA_ADDR 0x11000u  /* setup_data list: the RNG seed */
#define LINUX_CMDLINE_ADDR 0x20000u     /* NUL-terminated, at most 64 KiB */
#define LINUX_KERNEL_ADDR 0x100000u     /* protected-mode kernel (code32_start) */
#define LINUX_INITRD_MAX 0x37FFFFFFu    /* last byte an initrd may use (below lowmem end) */

/* ---- Firmware tables in the low ROM area (m->ram backs 0xC0000-0xFFFFF). */
#define BIOS_PIR_ADDR 0xF0000u /* $PIR table, 16-byte aligned */
/* PIIX3 PIRQ link values (route register offsets) and the IRQs we route them to. */
#define BIOS_PIRQ_LINK_BASE 0x60
extern const uint8_t bios_pirq_irq[4]; /* PIRQA..D -> 10, 10, 11, 11 */
/* Memory and I/O windows for PCI BARs. */
#define BIOS_PCI_MEM_BASE 0xE0000000u
#define BIOS_PCI_MEM_END 0xFEC00000u
#define BIOS_PCI_IO_BASE 0xC000u
#define BIOS_PCI_IO_END 0x10000u


/* What a BIOS does before handing over to an OS: assign PCI BARs (memory
 * from 0xE0000000, I/O from 0xC000, naturally aligned, largest first), enable
 * decoding and bus mastering, route PIRQA..D to IRQ 10/10/11/11 in the PIIX3,
 * set each device's interrupt line and the ELCR (level) for those IRQs, fill
 * the BIOS data area and write a $PIR table at BIOS_PIR_ADDR. Deterministic:
 * running it again (after a reset) gives the same result. */
void firmware_setup(Machine *m);

/* -bios FILE: a raw ROM image of at most 256 KiB, mapped so that it ends at
 * 4 GiB (m->rom/m->rom_size, padded in front with 0xFF to a multiple of
 * 64 KiB) with its last min(128 KiB, size) bytes copied below 1 MiB, so the
 * reset vector F000:FFF0 runs it. Installs m->on_reset to recopy the low part
 * on every reset. Returns 0, or -1 with one line in err. */
int bios_load_rom(Machine *m, const char *path, char *err, size_t errlen);

/* Direct Linux boot (boot protocol >= 2.06, bzImage): loads the kernel at
 * 1 MiB and the initrd (may be NULL) as high as allowed, builds boot_params
 * with cmdline (may be NULL) and an e820 map, and puts the CPU in 32-bit flat
 * protected mode at the kernel's entry with ESI = boot_params. The files are
 * kept in memory and m->on_reset is set so that a guest reboot runs
 * firmware_setup() and this load again. Returns 0, or -1 with one line in err
 * naming the file and the problem. */
int linux_boot_setup(Machine *m, const char *kernel, const char *initrd, const char *cmdline,
                     char *err, size_t errlen);
/* The same with the files' contents in memory (copied; the caller keeps its
 * buffers): the seam the loader fuzz target drives, with no files. The names
 * are used in messages only; initrd may be NULL (then initrd_name too). */
int linux_boot_setup_mem(Machine *m, const char *kernel_name, const void *kernel,
                         size_t kernel_size, const char *initrd_name, const void *initrd,
                         size_t initrd_size, const char *cmdline, char *err, size_t errlen);
/* Multiboot v1 (bios/multiboot.h): -kernel FILE with a Multiboot header
 * in its first 8 KiB and no Linux setup header. An ELF32 kernel is loaded
 * through its program headers (PT_LOAD at p_paddr), otherwise the header's
 * a.out kludge addresses are used. initrd is QEMU's module list "file1
 * args,file2 args" (",," is a comma in a name); each module is loaded
 * page-aligned above the kernel and gets its whole text as its string; the
 * command line is "KERNEL-PATH CMDLINE". The information structure (memory
 * map, modules, command line, boot loader name) is at MB_INFO_ADDR; the CPU
 * enters in flat 32-bit protected mode with EAX = 0x2BADB002, EBX = its
 * address. A reset loads it all again. Returns 0, MULTIBOOT_NOT if the file
 * is not a Multiboot kernel (nothing done), or -1 with one line in err. */
#define MULTIBOOT_NOT 1
int multiboot_setup(Machine *m, const char *kernel, const char *initrd, const char *cmdline,
                    char *err, size_t errlen);
/* The same with the contents in memory (copied): the seam a fuzz target
 * drives. */
typedef struct MultibootModule {
    const uint8_t *data;
    size_t size;
    const char *string; /* the module's command line */
} MultibootModule;
int multiboot_setup_mem(Machine *m, const char *kernel_name, const uint8_t *kernel, size_t size,
                        const MultibootModule *mods, int nmods, const char *cmdline, char *err,
                        size_t errlen);
/* Frees what multiboot_setup keeps for resets (bios_free calls it). */
void multiboot_free(Machine *m);

/* Both loaders hand over in flat 32-bit protected mode (GDT at
 * LINUX_GDT_ADDR: 0x10 code, 0x18 data), paging and interrupts off, A20 on,
 * with these registers (the others zero). */
void bios_enter_flat32(Machine *m, uint32_t eip, uint32_t eax, uint32_t ebx, uint32_t esi,
                       uint32_t esp);

/* For -S: start the CPU (state as linux_boot_setup or multiboot_setup left it) at a one-jump
 * firmware hand-over at LINUX_HANDOVER_ADDR that enters the kernel, instead
 * of at the entry itself, so a debugger's breakpoint on the entry is hit by
 * "continue" (gdb steps over a breakpoint at the PC it resumes from). */
#define LINUX_HANDOVER_ADDR 0xFFFF0u
void linux_boot_enter_via_handover(Machine *m);
/* Frees what linux_boot_setup keeps for resets (call before machine_free)
 * and clears m->on_reset if it is its hook. (m->rom is machine_free's.) */
void bios_free(Machine *m);

/* Reads a whole file (at most max bytes). Returns a malloc'd buffer, or NULL
 * with "what PATH: reason" in err (what is e.g. "-kernel"). */
uint8_t *bios_read_file(const char *what, const char *path, size_t max, size_t *size, char *err,
                        size_t errlen);
/* Loader write into guest RAM (ROM areas included), invalidating decoded
 * code; src NULL fills with zeros. False (nothing written) if out of RAM. */
bool bios_ram_write(Machine *m, uint32_t paddr, const void *src, size_t len);
