/* ACPI tables for the PC board, built by wirebox for both ways it boots:
 *
 * - through SeaBIOS: as QEMU does, the tables are fw_cfg files
 *   ("etc/acpi/tables", "etc/acpi/rsdp") with a loader script
 *   ("etc/table-loader") that the firmware runs to place them in RAM, patch
 *   the pointers between them and fix their checksums;
 * - direct Linux boot: wirebox runs the same script itself (acpi_install),
 *   with the RSDP in the BIOS area where Linux looks for it.
 *
 * The tables: RSDP (ACPI 1.0), RSDT, FADT (revision 1) for the PIIX4 PM
 * block (hw/acpi_pm_regs.h), FACS, and a DSDT with the PCI root bridge
 * (_CRS, _PRT naming the PIIX3 PIRQ links), the links LNKA-LNKD (their
 * _PRS/_CRS/_SRS/_DIS/_STA read and write the PIIX3 route registers through
 * a PCI_Config operation region) and LNKS (the SCI, IRQ 9), and \_S5 (soft
 * off, SLP_TYP 0). The power button is the FADT's fixed-feature one. There
 * is no MADT: the board has 8259s and no local APIC. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "hw/fw_cfg.h"
#include "hw/machine.h"

#define ACPI_OEM_ID "WIREBX"        /* 6 characters */
#define ACPI_OEM_TABLE_ID "WIREBOX " /* 8 */
#define ACPI_CREATOR_ID "WRBX"      /* 4 */

#define ACPI_TABLES_FILE "etc/acpi/tables"
#define ACPI_RSDP_FILE "etc/acpi/rsdp"
#define ACPI_LOADER_FILE "etc/table-loader"

typedef struct AcpiConfig {
    uint32_t ram_size;   /* the PCI memory window starts here */
    uint16_t pm_base;    /* the PIIX4 PM I/O block */
    uint8_t sci_irq;
} AcpiConfig;

/* What acpi_build makes: two blobs and the loader script over them.
 * Offsets of each table in `tables`, for tests. */
typedef struct AcpiTables {
    uint8_t *tables, *rsdp, *loader;
    size_t tables_len, rsdp_len, loader_len;
    size_t facs, dsdt, fadt, rsdt; /* offsets in tables */
    size_t dsdt_len;
} AcpiTables;

/* Builds the tables (malloc'd; acpi_free). False if the DSDT could not be
 * encoded (a bug; logged). */
bool acpi_build(const AcpiConfig *cfg, AcpiTables *t);
void acpi_free(AcpiTables *t);

/* The three fw_cfg files SeaBIOS's table loader reads; refresh (may be
 * NULL) runs when the firmware selects the tables, to rebuild them in
 * place from what it has programmed by then (the PM block's address). */
void acpi_add_fw_cfg(FwCfg *f, const AcpiTables *t, FwCfgSelectCb refresh, void *opaque);

/* Run the loader script from the host, as firmware would: the tables go to
 * tables_addr (aligned as the script asks), the RSDP to rsdp_addr (inside
 * 0xE0000-0xFFFFF, 16-byte aligned). Writes guest RAM directly (the BIOS
 * area included, whatever the shadow mode). Returns 0, or -1 with one line
 * in err if the script is malformed or does not fit. */
int acpi_install(Machine *m, const AcpiTables *t, uint32_t tables_addr, uint32_t rsdp_addr,
                 char *err, size_t errlen);

/* The table loader as a function over blobs in host memory: files[i] named
 * names[i] of len[i] bytes are placed at guest address addr[i] (chosen by
 * the caller for the ALLOCATE of that file). Applies ADD_POINTER and
 * ADD_CHECKSUM in order. For acpi_install and the tests. */
int acpi_run_loader(const uint8_t *script, size_t script_len, const char *const *names,
                    uint8_t *const *files, const size_t *len, const uint32_t *addr, int nfiles,
                    char *err, size_t errlen);
