/* Booting through firmware: the BIOS image (SeaBIOS's bios.bin by default)
 * runs from the reset vector and learns about the machine as it does on
 * QEMU's i440FX PC, through fw_cfg and CMOS. wirebox provides what Debian's
 * SeaBIOS 1.16 reads there: RAM size and "etc/e820", the CPU count, the ACPI
 * tables with their loader script, -boot (bios/boot.c), and for -kernel the
 * kernel items and QEMU's linuxboot option ROM, first in "bootorder". */
#include <stdlib.h>
#include <string.h>

#include "bios/acpi.h"
#include "bios/bios.h"
#include "hw/acpi_pm_regs.h"
#include "hw/bytes.h"

#define E820_ENTRY_SIZE 20 /* u64 address, u64 length, u32 type: "etc/e820" */
#define E820_RAM 1
#define DEFAULT_BIOS "bios.bin"
#define LINUXBOOT_ROM "linuxboot_dma.bin"

typedef struct AcpiLive {
    Machine *m;
    AcpiConfig cfg;
} AcpiLive;

/* The tables name the PM block where the firmware put it: rebuilt when
 * the firmware selects them, after its PCI set-up. */
static void acpi_refresh(void *opaque, uint8_t *data, size_t len)
{
    AcpiLive *a = opaque;
    PcBoard *b = pc_board(a->m);
    uint32_t pmba = pci_config_read(b->pci, PIIX4_PM_DEVFN, PIIX4_PMBA, 2) & PIIX4_PMBA_MASK;
    if (pmba)
        a->cfg.pm_base = (uint16_t)pmba;
    AcpiTables t;
    if (!acpi_build(&a->cfg, &t))
        return;
    if (t.tables_len == len)
        memcpy(data, t.tables, len);
    acpi_free(&t);
}

static void acpi_to_fw_cfg(Machine *m, FwCfg *fw)
{
    AcpiLive *a = machine_zalloc(m, sizeof *a);
    a->m = m;
    a->cfg = (AcpiConfig){.ram_size = m->ram_size, .pm_base = ACPI_PM_BASE_DEFAULT,
                          .sci_irq = ACPI_SCI_IRQ};
    AcpiTables t;
    if (!acpi_build(&a->cfg, &t))
        return;
    acpi_add_fw_cfg(fw, &t, acpi_refresh, a);
    acpi_free(&t);
}

int firmware_boot_setup(Machine *m, const MachineConfig *cfg, char *err, size_t errlen)
{
    PcBoard *b = pc_board(m);
    FwCfg *fw = b->fw_cfg;
    const char *name = cfg->bios ? cfg->bios : DEFAULT_BIOS;
    char *path = fw_find(name);
    if (!path) {
        wb_errf(err, errlen,
                "could not load PC BIOS '%s': not found in %s (Debian's seabios package has it; "
                "-L DIR adds a directory)",
                name, fw_dirs_text());
        return -1;
    }
    int rc = bios_load_rom(m, path, err, errlen);
    free(path);
    if (rc)
        return -1;

    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, m->ram_size);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, 1);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, 1);
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, cfg->nographic);
    uint8_t uuid[16] = {0};
    fw_cfg_add_bytes(fw, FW_CFG_UUID, uuid, sizeof uuid);
    uint8_t e820[E820_ENTRY_SIZE];
    st64le(e820, 0);
    st64le(e820 + 8, m->ram_size);
    st32le(e820 + 16, E820_RAM);
    fw_cfg_add_file(fw, "etc/e820", e820, sizeof e820);
    acpi_to_fw_cfg(m, fw);

    const char *bootorder = NULL;
    if (cfg->kernel) {
        char *rom = fw_find(LINUXBOOT_ROM);
        if (!rom) {
            wb_errf(err, errlen,
                    "-kernel with -bios: the option ROM '%s' that boots it is not in %s "
                    "(Debian's qemu-system-data package has it)",
                    LINUXBOOT_ROM, fw_dirs_text());
            return -1;
        }
        size_t n;
        uint8_t *data = bios_read_file("option ROM", rom, 1u << 20, &n, err, errlen);
        free(rom);
        if (!data)
            return -1;
        fw_cfg_add_file(fw, "genroms/" LINUXBOOT_ROM, data, n);
        free(data);
        if (linux_boot_fw_cfg(m, fw, cfg->kernel, cfg->initrd, cfg->append, err, errlen))
            return -1;
        bootorder = "/rom@genroms/" LINUXBOOT_ROM "\n";
    }
    boot_setup(m, &cfg->boot, bootorder);
    return 0;
}
