/* ACPI tables: the loader script placing them (as SeaBIOS runs it), their
 * structure and checksums, what the guest finds after direct-boot firmware
 * set-up, the DSDT as ACPICA's disassembler (iasl, Debian's acpica-tools)
 * reads it, the AML encoder's lengths, and malformed loader scripts. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bios/acpi.h"
#include "bios/aml.h"
#include "bios/bios.h"
#include "hw/acpi_pm_regs.h"
#include "testutil.h"

#define RAM (64u << 20)
#define TABLES_AT 0x3FF0000u
#define RSDP_AT 0xF5A0u

static const AcpiConfig cfg = {.ram_size = RAM, .pm_base = ACPI_PM_BASE_DEFAULT, .sci_irq = 9};

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* Checks one table at guest address a in the image img (based at base). */
static const uint8_t *table(const uint8_t *img, uint32_t base, uint32_t a, const char *sig)
{
    const uint8_t *t = img + (a - base);
    ck_assert_mem_eq(t, sig, 4);
    uint32_t len = ld32le(t + 4);
    ck_assert_uint_ge(len, 36);
    ck_assert_uint_eq(sum(t, len), 0);
    ck_assert_mem_eq(t + 10, ACPI_OEM_ID, 6);
    return t;
}

/* Runs the loader over copies of the blobs and checks every table. */
static void check_loaded(const AcpiTables *t)
{
    uint8_t *tab = malloc(t->tables_len), *rsdp = malloc(t->rsdp_len);
    memcpy(tab, t->tables, t->tables_len);
    memcpy(rsdp, t->rsdp, t->rsdp_len);
    const char *names[2] = {ACPI_TABLES_FILE, ACPI_RSDP_FILE};
    uint8_t *files[2] = {tab, rsdp};
    size_t len[2] = {t->tables_len, t->rsdp_len};
    uint32_t addr[2] = {TABLES_AT, RSDP_AT};
    char err[256] = "";
    ck_assert_msg(acpi_run_loader(t->loader, t->loader_len, names, files, len, addr, 2, err,
                                  sizeof err) == 0,
                  "%s", err);

    ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
    ck_assert_uint_eq(sum(rsdp, 20), 0);
    ck_assert_uint_eq(rsdp[15], 0);
    uint32_t rsdt_at = ld32le(rsdp + 16);
    const uint8_t *rsdt = table(tab, TABLES_AT, rsdt_at, "RSDT");
    ck_assert_uint_eq(ld32le(rsdt + 4), 40); /* one entry */
    const uint8_t *fadt = table(tab, TABLES_AT, ld32le(rsdt + 36), "FACP");
    ck_assert_uint_eq(ld32le(fadt + 4), 116);
    ck_assert_uint_eq(fadt[8], 1);
    const uint8_t *facs = tab + (ld32le(fadt + 36) - TABLES_AT);
    ck_assert_mem_eq(facs, "FACS", 4);
    ck_assert_uint_eq(ld32le(facs + 4), 64);
    ck_assert_uint_eq(ld32le(fadt + 36) % 64, 0); /* FACS: 64-byte aligned */
    const uint8_t *dsdt = table(tab, TABLES_AT, ld32le(fadt + 40), "DSDT");
    ck_assert_uint_eq(ld32le(dsdt + 4), t->dsdt_len);
    /* The PM hardware the FADT describes. */
    ck_assert_uint_eq(ld16le(fadt + 46), ACPI_SCI_IRQ);
    ck_assert_uint_eq(ld32le(fadt + 48), APM_CNT_PORT);
    ck_assert_uint_eq(fadt[52], ACPI_ENABLE_CMD);
    ck_assert_uint_eq(fadt[53], ACPI_DISABLE_CMD);
    ck_assert_uint_eq(ld32le(fadt + 56), ACPI_PM_BASE_DEFAULT + ACPI_PM1_STS);
    ck_assert_uint_eq(ld32le(fadt + 64), ACPI_PM_BASE_DEFAULT + ACPI_PM1_CNT);
    ck_assert_uint_eq(ld32le(fadt + 76), ACPI_PM_BASE_DEFAULT + ACPI_PM_TMR);
    ck_assert_uint_eq(ld32le(fadt + 80), ACPI_PM_BASE_DEFAULT + ACPI_GPE0_STS);
    ck_assert_uint_eq(fadt[88], 4);
    ck_assert_uint_eq(fadt[89], 2);
    ck_assert_uint_eq(fadt[91], 4);
    ck_assert_uint_eq(fadt[92], 4);
    ck_assert_uint_eq(ld32le(fadt + 112) & (1u << 4), 0); /* fixed power button */
    free(tab);
    free(rsdp);
}

START_TEST(test_tables_through_loader)
{
    AcpiTables t;
    ck_assert(acpi_build(&cfg, &t));
    /* The script: two ALLOCATEs (tables high, RSDP in the F segment). */
    ck_assert_uint_eq(t.loader_len % FW_CFG_LOADER_CMD_SIZE, 0);
    ck_assert_uint_eq(ld32le(t.loader), FW_CFG_LOADER_ALLOCATE);
    ck_assert_str_eq((const char *)t.loader + 4, ACPI_TABLES_FILE);
    ck_assert_uint_eq(t.loader[64], FW_CFG_LOADER_ZONE_HIGH);
    ck_assert_uint_eq(ld32le(t.loader + 128), FW_CFG_LOADER_ALLOCATE);
    ck_assert_str_eq((const char *)t.loader + 128 + 4, ACPI_RSDP_FILE);
    ck_assert_uint_eq(t.loader[128 + 64], FW_CFG_LOADER_ZONE_FSEG);
    check_loaded(&t);
    /* As fw_cfg files. */
    Machine *m = wb_test_machine_with_buses(RAM);
    FwCfg *fw = fw_cfg_new(m, FW_CFG_IO_BASE);
    acpi_add_fw_cfg(fw, &t, NULL, NULL);
    size_t len;
    ck_assert_mem_eq(fw_cfg_file(fw, ACPI_TABLES_FILE, &len), t.tables, t.tables_len);
    ck_assert_uint_eq(len, t.tables_len);
    ck_assert_ptr_nonnull(fw_cfg_file(fw, ACPI_RSDP_FILE, &len));
    ck_assert_uint_eq(len, 20);
    ck_assert_ptr_nonnull(fw_cfg_file(fw, ACPI_LOADER_FILE, &len));
    ck_assert_uint_eq(len, t.loader_len);
    machine_free(m);
    acpi_free(&t);
}
END_TEST

/* Direct boot: the guest finds the RSDP where Linux scans (16-byte steps in
 * 0xE0000-0xFFFFF), reading through the shadow RAM firmware_setup enabled,
 * and every table it points to checks out. */
START_TEST(test_direct_boot_guest_view)
{
    MachineConfig mc = {.ram_size = RAM, .icount_shift = -1, .icount_sleep = true};
    Machine *m = machine_new_pc(&mc, NULL);
    ck_assert_ptr_nonnull(m);
    firmware_setup(m);
    uint32_t rsdp = 0;
    for (uint32_t a = 0xE0000; a < 0x100000 && !rsdp; a += 16) {
        const uint8_t *p = phys_host_ptr(m, a, false);
        if (p && !memcmp(p, "RSD PTR ", 8) && sum(p, 20) == 0)
            rsdp = a;
    }
    ck_assert_uint_eq(rsdp, BIOS_RSDP_ADDR);
    uint8_t img[0x20000];
    for (uint32_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)phys_read(m, 0xE0000 + i, 0);
    const uint8_t *r = img + (rsdp - 0xE0000);
    const uint8_t *rsdt = table(img, 0xE0000, ld32le(r + 16), "RSDT");
    const uint8_t *fadt = table(img, 0xE0000, ld32le(rsdt + 36), "FACP");
    table(img, 0xE0000, ld32le(fadt + 40), "DSDT");
    /* The PM block is where the FADT says, and answers. */
    ck_assert_uint_eq(port_read(m, (uint16_t)ld32le(fadt + 64), 1), 0);
    ck_assert_uint_ne(port_read(m, (uint16_t)ld32le(fadt + 76), 2), 0xFFFFFFFFu);
    /* The BIOS area is read-only shadow RAM now. */
    ck_assert_int_eq(machine_get_shadow(m, 0xF0000), SHADOW_READ);
    ck_assert_int_eq(machine_get_shadow(m, 0xE0000), SHADOW_RAM);
    machine_free(m);
}
END_TEST

/* iasl disassembles the DSDT without errors and finds what Linux uses. */
START_TEST(test_dsdt_disassembles)
{
    AcpiTables t;
    ck_assert(acpi_build(&cfg, &t));
    char dir[] = "/tmp/wb-acpi-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256], cmd[600], dsl[256];
    snprintf(path, sizeof path, "%s/dsdt.dat", dir);
    snprintf(dsl, sizeof dsl, "%s/dsdt.dsl", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    uint8_t *dsdt = malloc(t.dsdt_len);
    memcpy(dsdt, t.tables + t.dsdt, t.dsdt_len);
    dsdt[9] = (uint8_t)(dsdt[9] - sum(dsdt, t.dsdt_len));
    ck_assert_uint_eq(fwrite(dsdt, 1, t.dsdt_len, f), t.dsdt_len);
    fclose(f);
    free(dsdt);
    snprintf(cmd, sizeof cmd, "cd %s && iasl -d dsdt.dat >iasl.log 2>&1", dir);
    int rc = system(cmd);
    ck_assert_msg(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) != 127,
                  "iasl not found: install acpica-tools (tools/setup does)");
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "iasl -d failed (see %s/iasl.log)", dir);
    f = fopen(dsl, "r");
    ck_assert_ptr_nonnull(f);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    static const char *const want[] = {
        "Device (PCI0)", "EisaId (\"PNP0A03\")", "Name (_PRT, Package (0x7C)",
        "Device (LNKA)", "Device (LNKD)", "Device (LNKS)", "EisaId (\"PNP0C0F\")",
        "Method (_SRS, 1, Serialized)", "Name (\\_S5, Package (0x04)",
        "OperationRegion (PIRQ, PCI_Config, 0x60, 0x04)",
        "Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, ,, )", "0x0000000A,",
        "0x0001FFFF,", "\\_SB.LNKS,", "WordBusNumber (ResourceProducer, MinFixed, MaxFixed",
        /* Slots with their numbers, as QEMU's: a NIC in slot 3 is ens3. */
        "Device (S18)", "Name (_ADR, 0x00030000)", "Name (_SUN, 0x03)", "Device (SF8)",
        "Name (_SUN, 0x1F)",
        /* The PCI memory window starts at the end of RAM (64 MiB). */
        "0x04000000,         // Range Minimum"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(text, want[i]), "disassembly lacks '%s'", want[i]);
    ck_assert_msg(!strstr(text, "Error"), "iasl complained");
    /* And compiles back without errors or warnings. */
    snprintf(cmd, sizeof cmd, "cd %s && iasl -p again dsdt.dsl >compile.log 2>&1", dir);
    rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "iasl could not compile %s", dsl);
    snprintf(path, sizeof path, "%s/compile.log", dir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(text, "0 Errors, 0 Warnings"), "iasl: %s", text);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    acpi_free(&t);
}
END_TEST

/* PkgLength: one byte up to 63, then 2, 3 bytes; contents survive the move. */
START_TEST(test_aml_pkglength)
{
    static const size_t sizes[] = {0, 62, 63, 64, 4093, 4094, 5000, 70000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        Aml a;
        aml_init(&a);
        aml_byte(&a, 0x10);
        aml_open(&a);
        for (size_t i = 0; i < sizes[k]; i++)
            aml_byte(&a, (uint8_t)i);
        aml_close(&a);
        ck_assert(!a.error);
        size_t body = sizes[k], n = body + 1 <= 63 ? 1 : body + 2 < 4096 ? 2 : 3;
        ck_assert_uint_eq(a.len, 1 + n + body);
        uint8_t lead = a.buf[1];
        size_t total = n == 1 ? lead : (lead & 0x0F);
        for (size_t i = 1; i < n; i++)
            total |= (size_t)a.buf[1 + i] << (4 + 8 * (i - 1));
        ck_assert_uint_eq(lead >> 6, n - 1);
        ck_assert_uint_eq(total, n + body);
        for (size_t i = 0; i < body; i++)
            ck_assert_uint_eq(a.buf[1 + n + i], (uint8_t)i);
        aml_free(&a);
    }
    /* Names: root, dual, multi; a segment longer than 4 is an error. */
    Aml a;
    aml_init(&a);
    aml_name(&a, "\\_SB.PCI0.ISA");
    ck_assert_mem_eq(a.buf, "\\\x2F\x03_SB_PCI0ISA_", 15);
    aml_name(&a, "LNK");
    ck_assert_mem_eq(a.buf + 15, "LNK_", 4);
    ck_assert(!a.error);
    aml_name(&a, "TOOLONG");
    ck_assert(a.error);
    aml_free(&a);
    /* EisaId("PNP0A03") is 0x030AD041. */
    aml_init(&a);
    aml_eisaid(&a, "PNP0A03");
    ck_assert_uint_eq(a.buf[0], 0x0C);
    ck_assert_uint_eq(ld32le(a.buf + 1), 0x030AD041);
    aml_free(&a);
}
END_TEST

/* A script that points or checksums outside its files is refused. */
START_TEST(test_loader_rejects_bad_scripts)
{
    uint8_t blob[64] = {0};
    const char *names[1] = {"f"};
    uint8_t *files[1] = {blob};
    size_t len[1] = {sizeof blob};
    uint32_t addr[1] = {0x1000};
    uint8_t s[128];
    char err[256];

    memset(s, 0, sizeof s);
    st32le(s, FW_CFG_LOADER_ADD_POINTER);
    strcpy((char *)s + 4, "f");
    strcpy((char *)s + 60, "f");
    st32le(s + 116, 62);
    s[120] = 4; /* 62 + 4 > 64 */
    ck_assert_int_ne(acpi_run_loader(s, sizeof s, names, files, len, addr, 1, err, sizeof err), 0);
    st32le(s + 116, 0xFFFFFFFE); /* offset + size wraps */
    ck_assert_int_ne(acpi_run_loader(s, sizeof s, names, files, len, addr, 1, err, sizeof err), 0);
    st32le(s + 116, 8);
    s[120] = 3; /* not a pointer size */
    ck_assert_int_ne(acpi_run_loader(s, sizeof s, names, files, len, addr, 1, err, sizeof err), 0);
    s[120] = 4;
    strcpy((char *)s + 60, "nosuch");
    ck_assert_int_ne(acpi_run_loader(s, sizeof s, names, files, len, addr, 1, err, sizeof err), 0);

    memset(s, 0, sizeof s);
    st32le(s, FW_CFG_LOADER_ADD_CHECKSUM);
    strcpy((char *)s + 4, "f");
    st32le(s + 60, 0);
    st32le(s + 64, 32);
    st32le(s + 68, 33); /* 32 + 33 > 64 */
    ck_assert_int_ne(acpi_run_loader(s, sizeof s, names, files, len, addr, 1, err, sizeof err), 0);
    st32le(s + 68, 32);
    ck_assert_int_eq(acpi_run_loader(s, sizeof s, names, files, len, addr, 1, err, sizeof err), 0);

    memset(s, 0, sizeof s);
    st32le(s, FW_CFG_LOADER_ALLOCATE);
    strcpy((char *)s + 4, "f");
    st32le(s + 60, 0x2000); /* 0x1000 is not 8 KiB-aligned */
    ck_assert_int_ne(acpi_run_loader(s, sizeof s, names, files, len, addr, 1, err, sizeof err), 0);
    /* Unknown commands are skipped. */
    st32le(s, 0x77);
    ck_assert_int_eq(acpi_run_loader(s, sizeof s, names, files, len, addr, 1, err, sizeof err), 0);
}
END_TEST

static Suite *acpi_suite(void)
{
    Suite *s = suite_create("acpi");
    TCase *tc = tcase_create("acpi");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tables_through_loader);
    tcase_add_test(tc, test_direct_boot_guest_view);
    tcase_add_test(tc, test_dsdt_disassembles);
    tcase_add_test(tc, test_aml_pkglength);
    tcase_add_test(tc, test_loader_rejects_bad_scripts);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(acpi_suite)
