/* The PC's ACPI tables (bios/acpi.h): built once, handed to SeaBIOS through
 * fw_cfg with QEMU's table-loader script, or installed by running that
 * script here for direct Linux boot. Table layouts: ACPI 1.0b (RSDP, RSDT,
 * FADT revision 1, FACS) and ACPI 6.4 chapter 20 for the DSDT's AML. */
#include "bios/acpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/aml.h"
#include "bios/bios.h"
#include "hw/acpi_pm_regs.h"
#include "hw/bytes.h"
#include "hw/chips.h"
#include "hw/pci_regs.h"

#define HDR_LEN 36
#define HDR_CHECKSUM 9
#define FACS_LEN 64
#define FADT_LEN 116 /* revision 1 */
#define RSDP_LEN 20  /* revision 0 (ACPI 1.0) */

/* FADT (revision 1) field offsets */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_INT_MODEL 44
#define FADT_SCI_INT 46
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_ACPI_DISABLE 53
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK 76
#define FADT_GPE0_BLK 80
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_GPE0_BLK_LEN 92
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_CENTURY 108
#define FADT_FLAGS 112
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_SLP_BUTTON (1u << 5) /* no fixed sleep button */
/* PWR_BUTTON (bit 4) clear: the power button is the fixed-feature one */

#define RTC_CENTURY_INDEX 0x32

/* RSDP */
#define RSDP_CHECKSUM 8
#define RSDP_OEMID 9
#define RSDP_RSDT 16

/* Table-loader command layout (hw/fw_cfg_regs.h names the commands) */
#define CMD_FILE 4
#define CMD_ALLOC_ALIGN 60
#define CMD_ALLOC_ZONE 64
#define CMD_PTR_SRC 60
#define CMD_PTR_OFFSET 116
#define CMD_PTR_SIZE 120
#define CMD_CKSUM_OFFSET 60
#define CMD_CKSUM_START 64
#define CMD_CKSUM_LENGTH 68

/* ------------------------------------------------------------------ the DSDT */

static const char *const link_name[4] = {"\\_SB.LNKA", "\\_SB.LNKB", "\\_SB.LNKC", "\\_SB.LNKD"};
static const char *const prq_name[4] = {"PRQA", "PRQB", "PRQC", "PRQD"};
static const char *const prq_path[4] = {"\\_SB.PCI0.ISA.PRQA", "\\_SB.PCI0.ISA.PRQB",
                                        "\\_SB.PCI0.ISA.PRQC", "\\_SB.PCI0.ISA.PRQD"};
/* The IRQs a PCI link may take (the ones $PIR offers, minus 9: the SCI). */
static const uint32_t link_irqs[] = {5, 10, 11};

static void irq_template(Aml *a, const uint32_t *irqs, int n)
{
    AmlRes r = {0};
    rt_irq_level_shared(&r, irqs, n);
    rt_end(&r);
    aml_buffer(a, r.b, r.len);
}

/* Device (PCI0): the host bridge, its windows and its interrupt routing. */
static void dsdt_pci0(Aml *a, const AcpiConfig *cfg)
{
    aml_device(a, "PCI0");
    aml_name_eisaid(a, "_HID", "PNP0A03");
    aml_name_int(a, "_UID", 0);

    AmlRes r = {0};
    rt_word_bus(&r, 0x00, 0xFF);
    rt_io(&r, PCI_CONFIG_ADDRESS_PORT, 8);
    rt_word_io(&r, 0x0000, 0x0CF7);
    rt_word_io(&r, 0x0D00, 0xFFFF);
    rt_dword_mem(&r, 0xA0000, 0xBFFFF, true); /* VGA memory */
    rt_dword_mem(&r, cfg->ram_size, 0xFEBFFFFF, false);
    rt_end(&r);
    aml_name_decl(a, "_CRS");
    aml_buffer(a, r.b, r.len);

    /* _PRT: slots 1-31, pins INTA-INTD, each to the PIIX3 PIRQ the board
     * wires it to (pci_pirq); 01.3's INTA is the SCI, as on QEMU's PC. */
    aml_name_decl(a, "_PRT");
    aml_package(a, 31 * 4);
    for (int slot = 1; slot < 32; slot++) {
        for (int pin = 0; pin < 4; pin++) {
            aml_package(a, 4);
            aml_int(a, (uint32_t)slot << 16 | 0xFFFF);
            aml_int(a, (uint64_t)pin);
            aml_name(a, slot == PCI_SLOT(PIIX4_PM_DEVFN) && pin == 0
                            ? "\\_SB.LNKS"
                            : link_name[pci_pirq(slot, pin + 1)]);
            aml_int(a, 0);
            aml_close(a);
        }
    }
    aml_close(a);

    /* Device (ISA): the PIIX3 at 01.0 and its PIRQ route registers. */
    aml_device(a, "ISA");
    aml_name_int(a, "_ADR", (uint32_t)PCI_SLOT(PIIX3_DEVFN) << 16 | PCI_FUNC(PIIX3_DEVFN));
    aml_opregion(a, "PIRQ", AML_REGION_PCI_CONFIG, PIIX3_PIRQ, 4);
    static const uint8_t widths[4] = {8, 8, 8, 8};
    aml_field(a, "PIRQ", prq_name, widths, 4);
    aml_close(a);

    /* Devices S10-SF8: slots 2-31 with their slot numbers (_SUN), named as
     * in QEMU's DSDT. Linux lists them in /sys/bus/pci/slots, so udev names
     * a NIC in slot 3 ens3 as under QEMU (not enp0s3), and a guest image
     * set up under QEMU finds its interface. */
    for (int slot = 2; slot < 32; slot++) {
        char name[5];
        snprintf(name, sizeof name, "S%02X", (unsigned)slot << 3);
        aml_device(a, name);
        aml_name_int(a, "_ADR", (uint32_t)slot << 16);
        aml_name_int(a, "_SUN", (uint64_t)slot);
        aml_close(a);
    }

    aml_close(a);
}

/* IQST (reg): a link's _STA from its route register: disabled (bit 7) or
 * present and enabled. IQCR (reg): its _CRS, the routed IRQ. */
static void dsdt_link_helpers(Aml *a)
{
    aml_method(a, "IQST", 1, false);
    aml_if(a);
    aml_byte(a, AML_AND);
    aml_int(a, PIIX3_PIRQ_DISABLE);
    aml_byte(a, AML_ARG0);
    aml_byte(a, AML_NULL_NAME);
    aml_byte(a, AML_RETURN);
    aml_int(a, 0x09); /* present, functioning, disabled */
    aml_close(a);
    aml_byte(a, AML_RETURN);
    aml_int(a, 0x0B); /* present, enabled, functioning */
    aml_close(a);

    aml_method(a, "IQCR", 1, true);
    static const uint32_t none = 0;
    aml_name_decl(a, "PRR0");
    irq_template(a, &none, 1);
    aml_byte(a, AML_CREATE_DWORD_FIELD);
    aml_name(a, "PRR0");
    aml_int(a, 5); /* the first IRQ of the Extended Interrupt Descriptor */
    aml_name(a, "PRRI");
    aml_if(a);
    aml_byte(a, AML_LLESS);
    aml_byte(a, AML_ARG0);
    aml_int(a, PIIX3_PIRQ_DISABLE);
    aml_byte(a, AML_STORE);
    aml_byte(a, AML_AND);
    aml_byte(a, AML_ARG0);
    aml_int(a, 0x0F);
    aml_byte(a, AML_NULL_NAME);
    aml_name(a, "PRRI");
    aml_close(a);
    aml_byte(a, AML_RETURN);
    aml_name(a, "PRR0");
    aml_close(a);
}

static void dsdt_link(Aml *a, int i)
{
    aml_device(a, link_name[i] + 5); /* "LNKA" inside \_SB */
    aml_name_eisaid(a, "_HID", "PNP0C0F");
    aml_name_int(a, "_UID", (uint64_t)i);
    aml_name_decl(a, "_PRS");
    irq_template(a, link_irqs, (int)(sizeof link_irqs / sizeof link_irqs[0]));

    aml_method(a, "_STA", 0, false);
    aml_byte(a, AML_RETURN);
    aml_name(a, "IQST");
    aml_name(a, prq_path[i]);
    aml_close(a);

    aml_method(a, "_DIS", 0, false);
    aml_byte(a, AML_OR);
    aml_name(a, prq_path[i]);
    aml_int(a, PIIX3_PIRQ_DISABLE);
    aml_name(a, prq_path[i]);
    aml_close(a);

    aml_method(a, "_CRS", 0, false);
    aml_byte(a, AML_RETURN);
    aml_name(a, "IQCR");
    aml_name(a, prq_path[i]);
    aml_close(a);

    aml_method(a, "_SRS", 1, true);
    aml_byte(a, AML_CREATE_DWORD_FIELD);
    aml_byte(a, AML_ARG0);
    aml_int(a, 5);
    aml_name(a, "PRRI");
    aml_byte(a, AML_STORE);
    aml_name(a, "PRRI");
    aml_name(a, prq_path[i]);
    aml_close(a);

    aml_close(a);
}

/* LNKS: the SCI's fixed IRQ. */
static void dsdt_link_sci(Aml *a)
{
    static const uint32_t sci[] = {ACPI_SCI_IRQ};
    aml_device(a, "LNKS");
    aml_name_eisaid(a, "_HID", "PNP0C0F");
    aml_name_int(a, "_UID", 4);
    aml_name_int(a, "_STA", 0x0B);
    aml_name_decl(a, "_PRS");
    irq_template(a, sci, 1);
    aml_name_decl(a, "_CRS");
    irq_template(a, sci, 1);
    aml_method(a, "_SRS", 1, false);
    aml_close(a);
    aml_close(a);
}

static bool dsdt_build(const AcpiConfig *cfg, Aml *a)
{
    /* The links first, so that _PRT's references to them resolve as the
     * table loads; their methods reach PCI0's fields only when run. */
    aml_scope(a, "\\_SB");
    dsdt_link_helpers(a);
    for (int i = 0; i < 4; i++)
        dsdt_link(a, i);
    dsdt_link_sci(a);
    dsdt_pci0(a, cfg);
    aml_close(a);

    /* \_S5: soft off, SLP_TYP 0 for PM1a and PM1b. */
    aml_name_decl(a, "\\_S5");
    aml_package(a, 4);
    for (int i = 0; i < 4; i++)
        aml_int(a, PIIX4_SLP_TYP_S5);
    aml_close(a);
    return !a->error && a->depth == 0;
}

/* ------------------------------------------------------------------ tables */

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    st32le(t + 4, len);
    t[8] = rev;
    t[HDR_CHECKSUM] = 0; /* the loader's ADD_CHECKSUM sets it */
    memcpy(t + 10, ACPI_OEM_ID, 6);
    memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
    st32le(t + 24, 1);
    memcpy(t + 28, ACPI_CREATOR_ID, 4);
    st32le(t + 32, 1);
}

static void fadt_fill(uint8_t *f, const AcpiConfig *cfg)
{
    header(f, "FACP", FADT_LEN, 1);
    f[FADT_INT_MODEL] = 0; /* dual 8259 */
    st16le(f + FADT_SCI_INT, cfg->sci_irq);
    st32le(f + FADT_SMI_CMD, APM_CNT_PORT);
    f[FADT_ACPI_ENABLE] = ACPI_ENABLE_CMD;
    f[FADT_ACPI_DISABLE] = ACPI_DISABLE_CMD;
    st32le(f + FADT_PM1A_EVT_BLK, cfg->pm_base + ACPI_PM1_STS);
    st32le(f + FADT_PM1A_CNT_BLK, cfg->pm_base + ACPI_PM1_CNT);
    st32le(f + FADT_PM_TMR_BLK, cfg->pm_base + ACPI_PM_TMR);
    st32le(f + FADT_GPE0_BLK, cfg->pm_base + ACPI_GPE0_STS);
    f[FADT_PM1_EVT_LEN] = 4;
    f[FADT_PM1_CNT_LEN] = 2;
    f[FADT_PM_TMR_LEN] = 4;
    f[FADT_GPE0_BLK_LEN] = ACPI_GPE0_LEN;
    st16le(f + FADT_P_LVL2_LAT, 0x0FFF); /* > 100: no C2 */
    st16le(f + FADT_P_LVL3_LAT, 0x0FFF); /* > 1000: no C3 */
    f[FADT_CENTURY] = RTC_CENTURY_INDEX;
    st32le(f + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON);
}

/* ---- the loader script */

typedef struct Script {
    uint8_t *buf;
    size_t len;
} Script;

static uint8_t *cmd(Script *s, uint32_t command)
{
    s->buf = wb_realloc(s->buf, s->len + FW_CFG_LOADER_CMD_SIZE);
    uint8_t *c = s->buf + s->len;
    memset(c, 0, FW_CFG_LOADER_CMD_SIZE);
    st32le(c, command);
    s->len += FW_CFG_LOADER_CMD_SIZE;
    return c;
}

static void cmd_allocate(Script *s, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *c = cmd(s, FW_CFG_LOADER_ALLOCATE);
    strncpy((char *)c + CMD_FILE, file, FW_CFG_MAX_NAME - 1);
    st32le(c + CMD_ALLOC_ALIGN, align);
    c[CMD_ALLOC_ZONE] = zone;
}

/* The size-byte field at offset in dest holds an offset into src: add
 * src's address. */
static void cmd_pointer(Script *s, const char *dest, const char *src, uint32_t offset, uint8_t size)
{
    uint8_t *c = cmd(s, FW_CFG_LOADER_ADD_POINTER);
    strncpy((char *)c + CMD_FILE, dest, FW_CFG_MAX_NAME - 1);
    strncpy((char *)c + CMD_PTR_SRC, src, FW_CFG_MAX_NAME - 1);
    st32le(c + CMD_PTR_OFFSET, offset);
    c[CMD_PTR_SIZE] = size;
}

static void cmd_checksum(Script *s, const char *file, uint32_t offset, uint32_t start, uint32_t len)
{
    uint8_t *c = cmd(s, FW_CFG_LOADER_ADD_CHECKSUM);
    strncpy((char *)c + CMD_FILE, file, FW_CFG_MAX_NAME - 1);
    st32le(c + CMD_CKSUM_OFFSET, offset);
    st32le(c + CMD_CKSUM_START, start);
    st32le(c + CMD_CKSUM_LENGTH, len);
}

static size_t align8(size_t v)
{
    return (v + 7) & ~(size_t)7;
}

bool acpi_build(const AcpiConfig *cfg, AcpiTables *t)
{
    memset(t, 0, sizeof *t);
    Aml a;
    aml_init(&a);
    /* The DSDT's header first, so the AML follows it in one buffer. */
    uint8_t hdr[HDR_LEN] = {0};
    aml_bytes(&a, hdr, sizeof hdr);
    if (!dsdt_build(cfg, &a)) {
        wb_log("acpi: the DSDT could not be encoded");
        aml_free(&a);
        return false;
    }
    header(a.buf, "DSDT", (uint32_t)a.len, 1);

    /* Layout of etc/acpi/tables: FACS (64-byte aligned: the file's start),
     * DSDT, FADT, RSDT. */
    t->facs = 0;
    t->dsdt = FACS_LEN;
    t->dsdt_len = a.len;
    t->fadt = align8(t->dsdt + a.len);
    t->rsdt = align8(t->fadt + FADT_LEN);
    size_t rsdt_len = HDR_LEN + 4;
    t->tables_len = t->rsdt + rsdt_len;
    t->tables = wb_calloc(1, t->tables_len);

    uint8_t *facs = t->tables + t->facs;
    memcpy(facs, "FACS", 4);
    st32le(facs + 4, FACS_LEN);
    memcpy(t->tables + t->dsdt, a.buf, a.len);
    aml_free(&a);
    uint8_t *fadt = t->tables + t->fadt;
    fadt_fill(fadt, cfg);
    st32le(fadt + FADT_FIRMWARE_CTRL, (uint32_t)t->facs); /* offsets: the loader adds */
    st32le(fadt + FADT_DSDT, (uint32_t)t->dsdt);
    uint8_t *rsdt = t->tables + t->rsdt;
    header(rsdt, "RSDT", (uint32_t)rsdt_len, 1);
    st32le(rsdt + HDR_LEN, (uint32_t)t->fadt);

    t->rsdp_len = RSDP_LEN;
    t->rsdp = wb_calloc(1, RSDP_LEN);
    memcpy(t->rsdp, "RSD PTR ", 8);
    memcpy(t->rsdp + RSDP_OEMID, ACPI_OEM_ID, 6);
    t->rsdp[15] = 0; /* revision 0: ACPI 1.0, RSDT only */
    st32le(t->rsdp + RSDP_RSDT, (uint32_t)t->rsdt);

    Script s = {0};
    cmd_allocate(&s, ACPI_TABLES_FILE, 64, FW_CFG_LOADER_ZONE_HIGH);
    cmd_allocate(&s, ACPI_RSDP_FILE, 16, FW_CFG_LOADER_ZONE_FSEG);
    cmd_pointer(&s, ACPI_TABLES_FILE, ACPI_TABLES_FILE, (uint32_t)(t->fadt + FADT_FIRMWARE_CTRL), 4);
    cmd_pointer(&s, ACPI_TABLES_FILE, ACPI_TABLES_FILE, (uint32_t)(t->fadt + FADT_DSDT), 4);
    cmd_pointer(&s, ACPI_TABLES_FILE, ACPI_TABLES_FILE, (uint32_t)(t->rsdt + HDR_LEN), 4);
    cmd_pointer(&s, ACPI_RSDP_FILE, ACPI_TABLES_FILE, RSDP_RSDT, 4);
    cmd_checksum(&s, ACPI_TABLES_FILE, (uint32_t)(t->dsdt + HDR_CHECKSUM), (uint32_t)t->dsdt,
                 (uint32_t)t->dsdt_len);
    cmd_checksum(&s, ACPI_TABLES_FILE, (uint32_t)(t->fadt + HDR_CHECKSUM), (uint32_t)t->fadt,
                 FADT_LEN);
    cmd_checksum(&s, ACPI_TABLES_FILE, (uint32_t)(t->rsdt + HDR_CHECKSUM), (uint32_t)t->rsdt,
                 (uint32_t)rsdt_len);
    cmd_checksum(&s, ACPI_RSDP_FILE, RSDP_CHECKSUM, 0, RSDP_LEN);
    t->loader = s.buf;
    t->loader_len = s.len;
    return true;
}

void acpi_free(AcpiTables *t)
{
    free(t->tables);
    free(t->rsdp);
    free(t->loader);
    memset(t, 0, sizeof *t);
}

void acpi_add_fw_cfg(FwCfg *f, const AcpiTables *t, FwCfgSelectCb refresh, void *opaque)
{
    fw_cfg_add_file_cb(f, ACPI_TABLES_FILE, t->tables, t->tables_len, refresh, opaque);
    fw_cfg_add_file(f, ACPI_RSDP_FILE, t->rsdp, t->rsdp_len);
    fw_cfg_add_file(f, ACPI_LOADER_FILE, t->loader, t->loader_len);
}

/* ------------------------------------------------------------------ the loader */

static int find_file(const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strncmp(name, names[i], FW_CFG_MAX_NAME))
            return i;
    return -1;
}

int acpi_run_loader(const uint8_t *script, size_t script_len, const char *const *names,
                    uint8_t *const *files, const size_t *len, const uint32_t *addr, int nfiles,
                    char *err, size_t errlen)
{
    for (size_t at = 0; at + FW_CFG_LOADER_CMD_SIZE <= script_len; at += FW_CFG_LOADER_CMD_SIZE) {
        const uint8_t *c = script + at;
        char file[FW_CFG_MAX_NAME], src[FW_CFG_MAX_NAME];
        memcpy(file, c + CMD_FILE, sizeof file);
        file[sizeof file - 1] = '\0';
        int f = find_file(file, names, nfiles);
        switch (ld32le(c)) {
        case FW_CFG_LOADER_ALLOCATE: {
            uint32_t align = ld32le(c + CMD_ALLOC_ALIGN);
            if (f < 0)
                return wb_errf(err, errlen, "acpi loader: no file '%s' to allocate", file);
            if (align & (align - 1))
                return wb_errf(err, errlen, "acpi loader: alignment %u of '%s'", align, file);
            if (align && addr[f] % align)
                return wb_errf(err, errlen, "acpi loader: '%s' at 0x%x is not %u-aligned", file,
                               addr[f], align);
            break;
        }
        case FW_CFG_LOADER_ADD_POINTER: {
            memcpy(src, c + CMD_PTR_SRC, sizeof src);
            src[sizeof src - 1] = '\0';
            int s = find_file(src, names, nfiles);
            uint32_t off = ld32le(c + CMD_PTR_OFFSET);
            uint8_t size = c[CMD_PTR_SIZE];
            if (f < 0 || s < 0)
                return wb_errf(err, errlen, "acpi loader: pointer from '%s' to '%s': no such file",
                               file, src);
            if ((size != 1 && size != 2 && size != 4 && size != 8) || off > len[f] ||
                size > len[f] - off)
                return wb_errf(err, errlen, "acpi loader: pointer at %u (%u bytes) outside '%s'",
                               off, size, file);
            uint64_t v = 0;
            for (int i = 0; i < size; i++)
                v |= (uint64_t)files[f][off + i] << (8 * i);
            v += addr[s];
            for (int i = 0; i < size; i++)
                files[f][off + i] = (uint8_t)(v >> (8 * i));
            break;
        }
        case FW_CFG_LOADER_ADD_CHECKSUM: {
            uint32_t off = ld32le(c + CMD_CKSUM_OFFSET), start = ld32le(c + CMD_CKSUM_START),
                     n = ld32le(c + CMD_CKSUM_LENGTH);
            if (f < 0 || off >= len[f] || start > len[f] || n > len[f] - start)
                return wb_errf(err, errlen, "acpi loader: checksum outside '%s'", file);
            uint8_t sum = 0;
            for (uint32_t i = 0; i < n; i++)
                sum = (uint8_t)(sum + files[f][start + i]);
            files[f][off] = (uint8_t)(files[f][off] - sum);
            break;
        }
        default:
            break; /* unknown commands are skipped, as SeaBIOS does */
        }
    }
    return 0;
}

int acpi_install(Machine *m, const AcpiTables *t, uint32_t tables_addr, uint32_t rsdp_addr,
                 char *err, size_t errlen)
{
    uint8_t *tables = wb_calloc(1, t->tables_len), *rsdp = wb_calloc(1, t->rsdp_len);
    memcpy(tables, t->tables, t->tables_len);
    memcpy(rsdp, t->rsdp, t->rsdp_len);
    const char *names[2] = {ACPI_TABLES_FILE, ACPI_RSDP_FILE};
    uint8_t *files[2] = {tables, rsdp};
    size_t len[2] = {t->tables_len, t->rsdp_len};
    uint32_t addr[2] = {tables_addr, rsdp_addr};
    int rc = acpi_run_loader(t->loader, t->loader_len, names, files, len, addr, 2, err, errlen);
    if (rc == 0 && (!bios_ram_write(m, tables_addr, tables, t->tables_len) ||
                    !bios_ram_write(m, rsdp_addr, rsdp, t->rsdp_len)))
        rc = wb_errf(err, errlen, "acpi: the tables do not fit in guest RAM");
    free(tables);
    free(rsdp);
    return rc ? -1 : 0;
}
