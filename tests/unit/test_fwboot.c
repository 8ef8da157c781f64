/* The firmware boot path: what a PC tells SeaBIOS through fw_cfg and CMOS
 * (RAM, e820, CPUs, ACPI tables that follow where the firmware puts the PM
 * block, -boot), the BIOS image found in the firmware directories, and the
 * message when it is not there. */
#include <stdio.h>
#include <unistd.h>

#include "bios/acpi.h"
#include "bios/bios.h"
#include "hw/acpi_pm_regs.h"
#include "hw/pci_regs.h"
#include "testutil.h"

#define RAM (64u << 20)

static char err[512];
static char dir[64];

/* A PC with a fake BIOS image "bios.bin" in a -L directory. */
static Machine *pc(void)
{
    strcpy(dir, "/tmp/wb-fwboot-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/bios.bin", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 65536; i++)
        fputc(i >= 65536 - 16 ? 0xF4 : 0xEE, f); /* hlt at the reset vector */
    fclose(f);
    const char *dirs[1] = {dir};
    fw_dirs_set(dirs, 1);
    MachineConfig mc = {.ram_size = RAM, .icount_shift = -1, .icount_sleep = true};
    Machine *m = machine_new_pc(&mc, NULL);
    ck_assert_ptr_nonnull(m);
    return m;
}

static void done(Machine *m)
{
    machine_free(m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    fw_dirs_set(NULL, 0);
}

static uint32_t item32(FwCfg *fw, uint16_t key)
{
    size_t len;
    const uint8_t *p = fw_cfg_item(fw, key, &len);
    ck_assert_ptr_nonnull(p);
    return len >= 4 ? ld32le(p) : len >= 2 ? ld16le(p) : p[0];
}

START_TEST(test_defaults)
{
    Machine *m = pc();
    MachineConfig cfg = {.ram_size = RAM};
    ck_assert_int_eq(firmware_boot_setup(m, &cfg, err, sizeof err), 0);
    machine_reset(m);
    FwCfg *fw = pc_board(m)->fw_cfg;
    /* The image from the -L directory, at the reset vector. */
    ck_assert_uint_eq(m->rom_size, 65536);
    ck_assert_uint_eq(phys_read(m, 0xFFFFFFF0u, 0), 0xF4);
    ck_assert_uint_eq(phys_read(m, 0xFFFF0, 0), 0xF4);
    size_t len;
    const uint8_t *p = fw_cfg_item(fw, FW_CFG_RAM_SIZE, &len);
    ck_assert_uint_eq(len, 8);
    ck_assert_uint_eq(ld64le(p), RAM);
    ck_assert_uint_eq(item32(fw, FW_CFG_NB_CPUS), 1);
    ck_assert_uint_eq(item32(fw, FW_CFG_MAX_CPUS), 1);
    p = fw_cfg_file(fw, "etc/e820", &len);
    ck_assert_uint_eq(len, 20);
    ck_assert_uint_eq(ld64le(p), 0);
    ck_assert_uint_eq(ld64le(p + 8), RAM);
    ck_assert_uint_eq(ld32le(p + 16), 1);
    ck_assert_ptr_nonnull(fw_cfg_file(fw, ACPI_TABLES_FILE, NULL));
    ck_assert_ptr_nonnull(fw_cfg_file(fw, ACPI_RSDP_FILE, NULL));
    ck_assert_ptr_nonnull(fw_cfg_file(fw, ACPI_LOADER_FILE, NULL));
    /* -boot's defaults, as QEMU gives them: order cad, no menu, no reboot
     * after a failed boot, no bootorder file. */
    Rtc *rtc = pc_board(m)->rtc;
    ck_assert_uint_eq(rtc_get_cmos(rtc, 0x3D), 0x12); /* c (2), then a (1) */
    ck_assert_uint_eq(rtc_get_cmos(rtc, 0x38), 0x30); /* then d (3) */
    ck_assert_uint_eq(item32(fw, FW_CFG_BOOT_MENU), 0);
    ck_assert_uint_eq(ld32le(fw_cfg_file(fw, "etc/boot-fail-wait", &len)), 0xFFFFFFFFu);
    ck_assert_ptr_null(fw_cfg_file(fw, "bootorder", NULL));
    ck_assert_ptr_null(fw_cfg_file(fw, "etc/boot-menu-wait", NULL));
    done(m);
}
END_TEST

START_TEST(test_boot_options)
{
    Machine *m = pc();
    MachineConfig cfg = {.ram_size = RAM};
    ck_assert_int_eq(boot_parse("order=nc,once=d,menu=on,splash-time=1500,reboot-timeout=5000,"
                                "strict=on",
                                &cfg.boot, err, sizeof err),
                     0);
    ck_assert_int_eq(firmware_boot_setup(m, &cfg, err, sizeof err), 0);
    machine_reset(m);
    FwCfg *fw = pc_board(m)->fw_cfg;
    Rtc *rtc = pc_board(m)->rtc;
    /* The first boot: once=d. */
    ck_assert_uint_eq(rtc_get_cmos(rtc, 0x3D), 0x03);
    ck_assert_uint_eq(rtc_get_cmos(rtc, 0x38), 0x00);
    ck_assert_uint_eq(item32(fw, FW_CFG_BOOT_MENU), 1);
    size_t len;
    ck_assert_uint_eq(ld16le(fw_cfg_file(fw, "etc/boot-menu-wait", &len)), 1500);
    ck_assert_uint_eq(len, 2);
    ck_assert_uint_eq(ld32le(fw_cfg_file(fw, "etc/boot-fail-wait", &len)), 5000);
    const uint8_t *bo = fw_cfg_file(fw, "bootorder", &len);
    ck_assert_ptr_nonnull(bo);
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(bo, "HALT", 5);
    /* The guest reboots: order=nc from now on. */
    machine_reset(m);
    ck_assert_uint_eq(rtc_get_cmos(rtc, 0x3D), 0x24); /* n (4), then c (2) */
    machine_reset(m);
    ck_assert_uint_eq(rtc_get_cmos(rtc, 0x3D), 0x24);
    done(m);
}
END_TEST

/* SeaBIOS puts the PM block where it likes before it reads the tables:
 * the FADT it reads names that address. */
START_TEST(test_acpi_follows_pm_block)
{
    Machine *m = pc();
    MachineConfig cfg = {.ram_size = RAM};
    ck_assert_int_eq(firmware_boot_setup(m, &cfg, err, sizeof err), 0);
    machine_reset(m);
    PciBus *bus = pc_board(m)->pci;
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, 0xB001, 2);
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMREGMISC, PIIX4_PMIOSE, 0);
    FwCfg *fw = pc_board(m)->fw_cfg;
    size_t len;
    const uint8_t *dir = fw_cfg_item(fw, FW_CFG_FILE_DIR, &len);
    int key = -1;
    for (uint32_t i = 0; i < ld32be(dir); i++)
        if (!strcmp((const char *)dir + 4 + 64 * i + 8, ACPI_TABLES_FILE))
            key = ld16be(dir + 4 + 64 * i + 4);
    ck_assert_int_ge(key, 0);
    wb_outw(m, FW_CFG_PORT_SEL, (uint16_t)key); /* the firmware selects it */
    const uint8_t *t = fw_cfg_file(fw, ACPI_TABLES_FILE, &len);
    const uint8_t *fadt = NULL;
    for (size_t o = 0; o + 4 <= len; o += 8)
        if (!memcmp(t + o, "FACP", 4))
            fadt = t + o;
    ck_assert_ptr_nonnull(fadt);
    ck_assert_uint_eq(ld32le(fadt + 56), 0xB000 + ACPI_PM1_STS);
    ck_assert_uint_eq(ld32le(fadt + 64), 0xB000 + ACPI_PM1_CNT);
    ck_assert_uint_eq(ld32le(fadt + 76), 0xB000 + ACPI_PM_TMR);
    done(m);
}
END_TEST

START_TEST(test_missing_bios)
{
    Machine *m = pc();
    MachineConfig cfg = {.ram_size = RAM, .bios = "no-such-bios.bin"};
    ck_assert_int_eq(firmware_boot_setup(m, &cfg, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "could not load PC BIOS 'no-such-bios.bin': not found in "), "%s",
                  err);
    ck_assert(strstr(err, dir));
    ck_assert(strstr(err, "/usr/share/seabios"));
    done(m);
}
END_TEST

static Suite *fwboot_suite(void)
{
    Suite *s = suite_create("fwboot");
    TCase *tc = tcase_create("fwboot");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_boot_options);
    tcase_add_test(tc, test_acpi_follows_pm_block);
    tcase_add_test(tc, test_missing_bios);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(fwboot_suite)
