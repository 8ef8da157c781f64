/* PCI bus (hw/pci.c) through config mechanism #1, and the PIIX3's reset
 * control register at 0xCF9 inside it. */
#include "testutil.h"

static Machine *m;
static Pic *pic;
static PciBus *bus;
static uint32_t last_wr_off, last_wr_val;

static void setup(void)
{
    m = wb_test_machine_with_buses(16 << 20);
    pic = pc_board(m)->pic;
    bus = pc_board(m)->pci;
    sysctl_init(m);
}

static void teardown(void)
{
    machine_free(m);
    m = NULL;
}


static uint32_t cfg_addr(int bus_, int devfn, int reg)
{
    return 0x80000000u | (uint32_t)bus_ << 16 | (uint32_t)devfn << 8 | (reg & 0xFC);
}

static uint32_t cfg_read32(int devfn, int reg)
{
    wb_outl(m, 0xCF8, cfg_addr(0, devfn, reg));
    return wb_inl(m, 0xCFC);
}

static void cfg_write32(int devfn, int reg, uint32_t v)
{
    wb_outl(m, 0xCF8, cfg_addr(0, devfn, reg));
    wb_outl(m, 0xCFC, v);
}

static uint8_t cfg_read8(int devfn, int reg)
{
    wb_outl(m, 0xCF8, cfg_addr(0, devfn, reg));
    return wb_inb(m, 0xCFC + (reg & 3));
}

static void cfg_write8(int devfn, int reg, uint8_t v)
{
    wb_outl(m, 0xCF8, cfg_addr(0, devfn, reg));
    wb_outb(m, 0xCFC + (reg & 3), v);
}

static uint32_t test_rd(void *opaque, uint32_t off, int size_log2)
{
    return (uintptr_t)opaque << 24 | off << 8 | (uint32_t)size_log2;
}

static void test_wr(void *opaque, uint32_t off, uint32_t val, int size_log2)
{
    last_wr_off = off;
    last_wr_val = val;
}

START_TEST(test_enumeration)
{
    /* Linux pci_check_type1() */
    wb_outb(m, 0xCFB, 0x01);
    uint32_t tmp = wb_inl(m, 0xCF8);
    wb_outl(m, 0xCF8, 0x80000000);
    ck_assert_uint_eq(wb_inl(m, 0xCF8), 0x80000000);
    wb_outl(m, 0xCF8, tmp);

    ck_assert_uint_eq(cfg_read32(0, 0x00), 0x12378086);
    ck_assert_uint_eq(cfg_read32(0, 0x08), 0x06000002);
    ck_assert_uint_eq(cfg_read8(0, 0x0E), 0x00);
    ck_assert_uint_eq(cfg_read32(8, 0x00), 0x70008086);
    ck_assert_uint_eq(cfg_read32(8, 0x08) >> 8, 0x060100);
    ck_assert_uint_eq(cfg_read8(8, 0x0E), 0x80);
    ck_assert_uint_eq(cfg_read32(8, 0x60), 0x80808080);
    /* Word access honours the offset */
    wb_outl(m, 0xCF8, cfg_addr(0, 8, 0x00));
    ck_assert_uint_eq(port_read(m, 0xCFE, 1), 0x7000);
    ck_assert_uint_eq(port_read(m, 0xCFD, 0), 0x80);
    /* Empty slots, other buses, enable bit clear: all ones */
    ck_assert_uint_eq(cfg_read32(16, 0x00), 0xFFFFFFFF);
    ck_assert_uint_eq(cfg_read32(9, 0x00), 0xFFFFFFFF);
    wb_outl(m, 0xCF8, cfg_addr(1, 0, 0));
    ck_assert_uint_eq(wb_inl(m, 0xCFC), 0xFFFFFFFF);
    wb_outl(m, 0xCF8, 0x00000000);
    ck_assert_uint_eq(wb_inl(m, 0xCFC), 0xFFFFFFFF);
    ck_assert_ptr_nonnull(pci_find(bus, 0));
    ck_assert_ptr_nonnull(pci_find(bus, 8));
    ck_assert_ptr_null(pci_find(bus, 16));
    ck_assert_ptr_null(pci_find(bus, 999));
    /* Read-only ID registers */
    cfg_write32(0, 0x00, 0);
    ck_assert_uint_eq(cfg_read32(0, 0x00), 0x12378086);
    /* Firmware path = guest path */
    pci_config_write(bus, 8, 0x61, 0x0A, 0);
    ck_assert_uint_eq(cfg_read8(8, 0x61), 0x0A);
    ck_assert_uint_eq(pci_config_read(bus, 8, 0x60, 2), 0x80800A80);
}
END_TEST

START_TEST(test_bar_sizing_and_mapping)
{
    PciDevice *d = pci_register_device(bus, "test", -1, 0x1234, 0x5678, 1, 0x020000, NULL);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->devfn, 16);
    ck_assert_ptr_null(pci_register_device(bus, "dup", 16, 1, 1, 0, 0, NULL));
    pci_register_bar(d, 0, 32, true, test_rd, test_wr, (void *)(uintptr_t)0x11);
    pci_register_bar(d, 1, 4096, false, test_rd, test_wr, (void *)(uintptr_t)0x22);
    ck_assert_uint_eq(cfg_read32(16, 0x00), 0x56781234);
    ck_assert_uint_eq(cfg_read32(16, 0x10), 0x00000001);
    ck_assert_uint_eq(cfg_read32(16, 0x14), 0x00000000);
    ck_assert_uint_eq(cfg_read8(16, 0x3D), 1);

    /* Sizing */
    cfg_write32(16, 0x10, 0xFFFFFFFF);
    ck_assert_uint_eq(cfg_read32(16, 0x10), 0xFFFFFFE1);
    cfg_write32(16, 0x14, 0xFFFFFFFF);
    ck_assert_uint_eq(cfg_read32(16, 0x14), 0xFFFFF000);
    cfg_write32(16, 0x18, 0xFFFFFFFF); /* unused BAR */
    ck_assert_uint_eq(cfg_read32(16, 0x18), 0);
    cfg_write32(16, 0x30, 0xFFFFFFFF); /* no expansion ROM */
    ck_assert_uint_eq(cfg_read32(16, 0x30), 0);

    /* Assign; nothing decodes until the command register enables it. */
    cfg_write32(16, 0x10, 0xC000);
    cfg_write32(16, 0x14, 0xFEB00000);
    ck_assert_uint_eq(cfg_read32(16, 0x10), 0xC001);
    ck_assert_uint_eq(wb_inb(m, 0xC004), 0xFF);
    ck_assert_uint_eq(phys_read(m, 0xFEB00010, 2), 0xFFFFFFFF);
    cfg_write8(16, 0x04, 0x03);
    ck_assert_uint_eq(port_read(m, 0xC004, 1), 0x11000401);
    ck_assert_uint_eq(wb_inl(m, 0xC01C), 0x11001C02);
    ck_assert_uint_eq(phys_read(m, 0xFEB00010, 2), 0x22001002);
    port_write(m, 0xC008, 0xBEEF, 1);
    ck_assert_uint_eq(last_wr_off, 8);
    ck_assert_uint_eq(last_wr_val, 0xBEEF);
    phys_write(m, 0xFEB00FFC, 0x12345678, 2);
    ck_assert_uint_eq(last_wr_off, 0xFFC);
    ck_assert_uint_eq(last_wr_val, 0x12345678);
    ck_assert_uint_eq(wb_inb(m, 0xC020), 0xFF); /* past the BAR */

    /* Move the I/O BAR */
    cfg_write32(16, 0x10, 0xD000);
    ck_assert_uint_eq(wb_inb(m, 0xC004), 0xFF);
    ck_assert_uint_eq(port_read(m, 0xD004, 0), 0x11000400);
    /* Decode off */
    cfg_write8(16, 0x04, 0x00);
    ck_assert_uint_eq(wb_inb(m, 0xD004), 0xFF);
    ck_assert_uint_eq(phys_read(m, 0xFEB00010, 2), 0xFFFFFFFF);
    /* Sizing with decode on never maps the all-ones pattern. */
    cfg_write8(16, 0x04, 0x03);
    cfg_write32(16, 0x14, 0xFFFFFFFF);
    ck_assert_uint_eq(phys_read(m, 0xFFFFF000, 2), 0xFFFFFFFF);
}
END_TEST

START_TEST(test_pirq_routing)
{
    /* PIC: IRQ 10/11 level-triggered so IRR follows the lines */
    wb_outb(m, 0x4D1, 0x0C);
    PciDevice *a = pci_register_device(bus, "a", 2 << 3, 0x1234, 1, 0, 0x020000, NULL);
    PciDevice *b = pci_register_device(bus, "b", 6 << 3, 0x1234, 2, 0, 0x020000, NULL);
    PciDevice *c = pci_register_device(bus, "c", 3 << 3, 0x1234, 3, 0, 0x020000, NULL);
    /* slot 2 INTA and slot 6 INTA -> PIRQC (0x62); slot 3 INTA -> PIRQD */
    cfg_write8(8, 0x62, 11);
    cfg_write8(8, 0x63, 10);
    wb_outb(m, 0xA0, 0x0A);
    pci_set_irq(a, 1);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x08);
    ck_assert_uint_eq(cfg_read8(16, 0x06) & 0x08, 0x08); /* interrupt status */
    pci_set_irq(b, 1);
    pci_set_irq(a, 0);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x08); /* shared: still held by b */
    pci_set_irq(b, 0);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x00);
    pci_set_irq(c, 1);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x04);
    /* Reroute while asserted */
    cfg_write8(8, 0x63, 11);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x08);
    cfg_write8(8, 0x63, 0x80); /* disabled */
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x00);
    cfg_write8(8, 0x63, 10);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x04);
    /* INTx disable */
    wb_outl(m, 0xCF8, cfg_addr(0, 3 << 3, 0x04));
    port_write(m, 0xCFC, 0x0400, 1);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x00);
    port_write(m, 0xCFC, 0x0000, 1);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x04);
    /* Pin B of slot 3 -> PIRQA; reserved routes are ignored */
    c->config[0x3D] = 2;
    cfg_write8(8, 0x60, 9);
    pci_set_irq(c, 0);
    pci_set_irq(c, 1);
    wb_outb(m, 0x4D1, 0x0E);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x02);
    cfg_write8(8, 0x60, 2);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x00);
    /* Through the initialised PIC: delivered as a vector. */
    wb_outb(m, 0x20, 0x11);
    wb_outb(m, 0x21, 0x20);
    wb_outb(m, 0x21, 0x04);
    wb_outb(m, 0x21, 0x01);
    wb_outb(m, 0xA0, 0x11);
    wb_outb(m, 0xA1, 0x28);
    wb_outb(m, 0xA1, 0x02);
    wb_outb(m, 0xA1, 0x01);
    wb_outb(m, 0x21, 0x00);
    wb_outb(m, 0xA1, 0x00);
    cfg_write8(8, 0x60, 9);
    ck_assert(m->cpu->intr_line);
    ck_assert_int_eq(pic_intack(pic), 0x29);
}
END_TEST

START_TEST(test_sysctl_ports)
{
    /* 0xCF9 reset control next to the dword address register */
    wb_outl(m, 0xCF8, 0x80000800);
    wb_outb(m, 0xCF9, 0x02);
    ck_assert(!m->reset_requested);
    ck_assert_uint_eq(wb_inb(m, 0xCF9), 0x02);
    ck_assert_uint_eq(wb_inl(m, 0xCF8), 0x80000800);
    wb_outb(m, 0xCF9, 0x06);
    ck_assert(m->reset_requested);
    m->reset_requested = false;
    /* Port 0x92 */
    wb_outb(m, 0x92, 0x00);
    ck_assert(!machine_get_a20(m));
    ck_assert_uint_eq(wb_inb(m, 0x92) & 0x02, 0);
    wb_outb(m, 0x92, 0x02);
    ck_assert(machine_get_a20(m));
    ck_assert_uint_eq(wb_inb(m, 0x92) & 0x03, 0x02);
    ck_assert(!m->reset_requested);
    wb_outb(m, 0x92, 0x03);
    ck_assert(m->reset_requested);
    /* Port 0x80 */
    wb_outb(m, 0x80, 0x42);
    ck_assert_uint_eq(wb_inb(m, 0x80), 0x42);
}
END_TEST

START_TEST(test_hostile)
{
    for (uint32_t reg = 0; reg < 256; reg += 4) {
        wb_outl(m, 0xCF8, cfg_addr(0, 8, (int)reg));
        for (int off = 0; off < 4; off++) {
            port_read(m, (uint16_t)(0xCFC + off), 2);
            port_read(m, (uint16_t)(0xCFC + off), 1);
        }
    }
    wb_outl(m, 0xCF8, 0xFFFFFFFF);
    port_write(m, 0xCFC, 0xFFFFFFFF, 2);
    port_write(m, 0xCFF, 0xFFFF, 1);
    ck_assert_uint_eq(pci_config_read(bus, 0, 0xFE, 2), 0xFFFFFFFF);
    ck_assert_uint_eq(pci_config_read(bus, 300, 0, 2), 0xFFFFFFFF);
    pci_config_write(bus, 0, 0x1000, 0, 2);
    pci_config_write(bus, -3, 0, 0, 2);
    PciDevice *d = pci_register_device(bus, "t", 5 << 3, 1, 1, 0, 0, NULL);
    pci_register_bar(d, 7, 16, true, test_rd, test_wr, NULL);
    pci_register_bar(d, 0, 3, true, test_rd, test_wr, NULL);    /* rounded to 4 */
    pci_register_bar(d, 1, 100, false, test_rd, test_wr, NULL); /* rounded to 128 */
    pci_config_write(bus, 5 << 3, 0x10, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, 5 << 3, 0x10, 2), 0xFFFFFFFD);
    pci_config_write(bus, 5 << 3, 0x14, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, 5 << 3, 0x14, 2), 0xFFFFFF80);
    /* An I/O BAR ending exactly at 0xFFFF maps */
    pci_config_write(bus, 5 << 3, 0x10, 0xFFFC, 2);
    pci_config_write(bus, 5 << 3, 0x04, 0x1, 1);
    ck_assert_uint_eq(wb_inb(m, 0xFFFC), 0x00);
}
END_TEST

static Suite *pci_suite(void)
{
    Suite *s = suite_create("pci");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_enumeration);
    tcase_add_test(tc, test_bar_sizing_and_mapping);
    tcase_add_test(tc, test_pirq_routing);
    tcase_add_test(tc, test_sysctl_ports);
    tcase_add_test(tc, test_hostile);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(pci_suite)
