/* PCI expansion ROMs: the ROM BAR (sizing, enable bit, memory decoding) as
 * firmware probes it, and a NIC's romfile= (its default iPXE ROM, a file
 * given, none, a missing one). */
#include <stdio.h>
#include <unistd.h>

#include "bios/bios.h"
#include "hw/pci_regs.h"
#include "testutil.h"

#define RAM (16u << 20)
#define ROM_AT 0xFEB00000u

static Machine *m;
static PciBus *bus;

static void setup(void)
{
    m = wb_test_machine_with_buses(RAM);
    bus = pc_board(m)->pci;
}

static void teardown(void)
{
    net_cleanup(m); /* the NICs' net clients */
    machine_free(m);
    fw_dirs_set(NULL, 0);
}

START_TEST(test_rom_bar)
{
    PciDevice *d = pci_register_device(bus, "romdev", 3 << 3, 0x1234, 0x5678, 1, 0x020000, NULL);
    ck_assert_ptr_nonnull(d);
    uint8_t rom[5000];
    for (size_t i = 0; i < sizeof rom; i++)
        rom[i] = (uint8_t)(i * 13 + 7);
    rom[0] = 0x55;
    rom[1] = 0xAA;
    ck_assert_int_eq(pci_register_rom(d, rom, sizeof rom), 0);
    ck_assert_int_eq(pci_register_rom(d, rom, sizeof rom), -1); /* one per device */
    int df = 3 << 3;
    /* Sizing: all ones (enable bit clear) reads back the 8 KiB mask. */
    pci_config_write(bus, df, PCI_ROM_ADDRESS, 0xFFFFFFFEu, 2);
    ck_assert_uint_eq(pci_config_read(bus, df, PCI_ROM_ADDRESS, 2), 0xFFFFE000u);
    /* Placed but not enabled: nothing there. */
    pci_config_write(bus, df, PCI_ROM_ADDRESS, ROM_AT, 2);
    pci_config_write(bus, df, PCI_COMMAND, PCI_CMD_MEM, 1);
    ck_assert_uint_eq(phys_read(m, ROM_AT, 1), 0xFFFF);
    /* Enabled: the image, then zeros up to the BAR's size. */
    pci_config_write(bus, df, PCI_ROM_ADDRESS, ROM_AT | PCI_ROM_ADDRESS_ENABLE, 2);
    ck_assert_uint_eq(phys_read(m, ROM_AT, 1), 0xAA55);
    ck_assert_uint_eq(phys_read(m, ROM_AT + 100, 2), ld32le(rom + 100));
    ck_assert_uint_eq(phys_read(m, ROM_AT + 4998, 2), ld16le(rom + 4998));
    ck_assert_uint_eq(phys_read(m, ROM_AT + 0x1FFC, 2), 0);
    /* Read-only. */
    phys_write(m, ROM_AT, 0, 2);
    ck_assert_uint_eq(phys_read(m, ROM_AT, 1), 0xAA55);
    /* Memory decoding off: gone again; back on: back. */
    pci_config_write(bus, df, PCI_COMMAND, 0, 1);
    ck_assert_uint_eq(phys_read(m, ROM_AT, 1), 0xFFFF);
    pci_config_write(bus, df, PCI_COMMAND, PCI_CMD_MEM, 1);
    ck_assert_uint_eq(phys_read(m, ROM_AT, 1), 0xAA55);
    /* Moved with a byte write of the address's top byte. */
    pci_config_write(bus, df, PCI_ROM_ADDRESS + 3, 0xFC, 0);
    ck_assert_uint_eq(phys_read(m, 0xFCB00000u, 1), 0xAA55);
    ck_assert_uint_eq(phys_read(m, ROM_AT, 1), 0xFFFF);
    /* A device without a ROM: the register is read-only zero. */
    pci_config_write(bus, 0, PCI_ROM_ADDRESS, 0xFFFFFFFFu, 2);
    ck_assert_uint_eq(pci_config_read(bus, 0, PCI_ROM_ADDRESS, 2), 0);
}
END_TEST

static char dir[64];

static void make_rom(const char *name, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < len; i++)
        fputc(i == 0 ? 0x55 : i == 1 ? 0xAA : (int)(i & 0x7F), f);
    fclose(f);
}

/* The ROM BAR size a NIC shows: 0 without a ROM. */
static uint32_t nic_rom_size(int devfn)
{
    pci_config_write(bus, devfn, PCI_ROM_ADDRESS, 0xFFFFFFFEu, 2);
    uint32_t v = pci_config_read(bus, devfn, PCI_ROM_ADDRESS, 2) & PCI_ROM_ADDRESS_MASK;
    return v ? ~v + 1 : 0;
}

static int create(const char *text, char *err, size_t errlen)
{
    DeviceSpec *spec;
    DeviceParse help;
    const DeviceModel *hm;
    ck_assert_int_eq(device_spec_parse(text, NULL, &spec, &help, &hm, err, errlen), 0);
    DeviceContext ctx = device_context(m, spec, NULL);
    ctx.mac[0] = 0x52;
    ctx.mac[5] = 1;
    int rc = device_create(spec, &ctx, err, errlen);
    device_spec_free(spec);
    return rc;
}

START_TEST(test_nic_romfile)
{
    strcpy(dir, "/tmp/wb-roms-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    make_rom("efi-e1000.rom", 70000);
    make_rom("mine.rom", 3000);
    const char *dirs[1] = {dir};
    fw_dirs_set(dirs, 1);
    char err[512];
    /* The default: the model's iPXE ROM, found in the -L directory. */
    ck_assert_int_eq(create("e1000,addr=4", err, sizeof err), 0);
    ck_assert_uint_eq(nic_rom_size(4 << 3), 128u << 10);
    /* romfile= a name in the directories, or a path. */
    ck_assert_int_eq(create("e1000,addr=5,romfile=mine.rom", err, sizeof err), 0);
    ck_assert_uint_eq(nic_rom_size(5 << 3), 4096);
    char path[128];
    snprintf(path, sizeof path, "e1000,addr=6,romfile=%s/mine.rom", dir);
    ck_assert_int_eq(create(path, err, sizeof err), 0);
    ck_assert_uint_eq(nic_rom_size(6 << 3), 4096);
    /* romfile= empty: no ROM. */
    ck_assert_int_eq(create("e1000,addr=7,romfile=", err, sizeof err), 0);
    ck_assert_uint_eq(nic_rom_size(7 << 3), 0);
    /* A romfile= that is not there is an error naming it. */
    ck_assert_int_eq(create("e1000,addr=8,romfile=nosuch.rom", err, sizeof err), 1);
    ck_assert(strstr(err, "romfile 'nosuch.rom' not found in "));
    ck_assert(strstr(err, dir));
    /* Not in the -L directory: the firmware directories' copy (Debian's
     * ipxe-qemu, 244 KiB: a 256 KiB BAR) or, without it, a warning and a NIC
     * without a ROM. */
    snprintf(path, sizeof path, "%s/efi-e1000.rom", dir);
    unlink(path);
    bool have = access("/usr/lib/ipxe/qemu/efi-e1000.rom", R_OK) == 0;
    ck_assert_int_eq(create("e1000,addr=9", err, sizeof err), 0);
    ck_assert_uint_eq(nic_rom_size(9 << 3), have ? 256u << 10 : 0);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    ck_assert_int_eq(system(path), 0);
}
END_TEST

static Suite *nic_rom_suite(void)
{
    Suite *s = suite_create("nic_rom");
    TCase *tc = tcase_create("nic_rom");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rom_bar);
    tcase_add_test(tc, test_nic_romfile);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(nic_rom_suite)
