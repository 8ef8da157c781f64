/* PIIX4 power management: the PCI function, the PM I/O block where
 * firmware puts it, the PM timer, PM1 status/enable/control, the SCI, the
 * power button, APM's ACPI enable/disable, and SLP_EN: soft off ends the
 * machine with status 0. */
#include "hw/acpi_pm_regs.h"
#include "hw/pci_regs.h"
#include "testutil.h"

#define RAM (2u << 20)
#define BASE ACPI_PM_BASE_DEFAULT

static Machine *m;
static AcpiPm *pm;
static PciBus *bus;

static void setup(void)
{
    m = wb_test_machine_with_buses(RAM);
    bus = pc_board(m)->pci;
    pm = acpi_pm_new(m, bus, isa_irq(&pc_board(m)->isa, ACPI_SCI_IRQ));
    ck_assert_ptr_nonnull(pm);
}

static void teardown(void)
{
    machine_free(m);
}

/* What SeaBIOS does: PMBA, then PMIOSE. */
static void enable_io(void)
{
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, BASE | 1, 2);
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMREGMISC, PIIX4_PMIOSE, 0);
}

static uint32_t tmr(void)
{
    return wb_inl(m, BASE + ACPI_PM_TMR);
}

START_TEST(test_pci_function)
{
    ck_assert_uint_eq(pci_config_read(bus, PIIX4_PM_DEVFN, PCI_VENDOR_ID, 2), 0x71138086);
    ck_assert_uint_eq(pci_config_read(bus, PIIX4_PM_DEVFN, PCI_CLASS_PROG, 2) & 0xFFFFFF,
                      PIIX4_PM_CLASS);
    ck_assert_uint_eq(pci_config_read(bus, PIIX4_PM_DEVFN, PCI_REVISION_ID, 0), 3);
    /* 01.0 now announces a multifunction device. */
    ck_assert_uint_eq(pci_config_read(bus, PIIX3_DEVFN, PCI_HEADER_TYPE, 0) & 0x80, 0x80);
    /* "SMM already set up": SeaBIOS must not try to relocate SMBASE. */
    ck_assert_uint_eq(pci_config_read(bus, PIIX4_PM_DEVFN, PIIX4_DEVACTB, 2) &
                          PIIX4_DEVACTB_APMC_EN,
                      PIIX4_DEVACTB_APMC_EN);
    /* PMBA: bit 0 reads 1, bits 15:6 writable. */
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, 0xFFFFFFFF, 2);
    ck_assert_uint_eq(pci_config_read(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, 2), 0xFFC1);
}
END_TEST

START_TEST(test_io_block_placement)
{
    /* Nothing at BASE until firmware enables it. */
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, BASE | 1, 2);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_CNT), 0xFFFF);
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMREGMISC, PIIX4_PMIOSE, 0);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_CNT), 0);
    /* Moving it. */
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, 0xB001, 2);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_CNT), 0xFFFF);
    ck_assert_uint_eq(wb_inw(m, 0xB000 + ACPI_PM1_CNT), 0);
    /* A reset removes it again. */
    machine_reset(m);
    ck_assert_uint_eq(wb_inw(m, 0xB000 + ACPI_PM1_CNT), 0xFFFF);
}
END_TEST

/* A guest placing the block over the PCI configuration ports hides them
 * while it is there; moved away (or disabled), they answer again. */
START_TEST(test_io_block_over_other_ports)
{
    uint32_t cfg_addr = 0x80000000u | (uint32_t)PIIX4_PM_DEVFN << 8;
    enable_io();
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, 0x0CC1, 2); /* 0xCC0-0xCFF */
    wb_outl(m, PCI_CONFIG_ADDRESS_PORT, cfg_addr);
    ck_assert_uint_ne(wb_inl(m, PCI_CONFIG_DATA_PORT), 0x71138086);
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, BASE | 1, 2);
    wb_outl(m, PCI_CONFIG_ADDRESS_PORT, cfg_addr);
    ck_assert_uint_eq(wb_inl(m, PCI_CONFIG_DATA_PORT), 0x71138086);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_CNT), 0);

    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMBA, 0x0CC1, 2);
    pci_config_write(bus, PIIX4_PM_DEVFN, PIIX4_PMREGMISC, 0, 0);
    wb_outl(m, PCI_CONFIG_ADDRESS_PORT, cfg_addr);
    ck_assert_uint_eq(wb_inl(m, PCI_CONFIG_DATA_PORT), 0x71138086);
}
END_TEST

START_TEST(test_pm_timer)
{
    enable_io();
    uint32_t t0 = tmr();
    ck_assert_uint_eq(t0 & 0xFF000000u, 0);
    wb_run_until(m, clock_ns(m) + 1000000000ull); /* one second */
    uint32_t t1 = tmr();
    uint32_t d = (t1 - t0) & 0xFFFFFF;
    ck_assert_uint_ge(d, ACPI_PM_TIMER_HZ - 1);
    ck_assert_uint_le(d, ACPI_PM_TIMER_HZ + 1);
    /* 24 bits: it wraps after 2^24 ticks (4.69 s). */
    wb_run_until(m, clock_ns(m) + (1ull << 24) * 1000000000ull / ACPI_PM_TIMER_HZ);
    ck_assert_uint_le((tmr() - t1 + 3) & 0xFFFFFF, 6); /* back where it was, +-3 ticks */
    ck_assert_uint_eq(tmr() >> 24, 0);
    /* Byte reads see the same counter. */
    uint32_t t = tmr();
    ck_assert_uint_eq(wb_inb(m, BASE + ACPI_PM_TMR + 2), (t >> 16) & 0xFF);
}
END_TEST

START_TEST(test_power_button_sci)
{
    enable_io();
    ck_assert(machine_press_power_button(m));
    /* Status set, but no SCI: neither the enable bit nor SCI_EN. */
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_STS) & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
    ck_assert(!acpi_pm_sci_level(pm));
    wb_outw(m, BASE + ACPI_PM1_EN, ACPI_PM1_PWRBTN);
    ck_assert(!acpi_pm_sci_level(pm));
    /* The OS enables ACPI mode through SMI_CMD: SCI_EN, and the SCI is up. */
    wb_outb(m, APM_CNT_PORT, ACPI_ENABLE_CMD);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_CNT) & ACPI_PM1_SCI_EN, ACPI_PM1_SCI_EN);
    ck_assert(acpi_pm_sci_level(pm));
    /* The 8259 sees IRQ 9 (on the slave: IRR bit 1). */
    wb_outb(m, 0xA0, 0x0A); /* OCW3: read IRR */
    ck_assert_uint_eq(wb_inb(m, 0xA0) & 0x02, 0x02);
    /* Writing 0 to the status changes nothing; writing 1 clears it. */
    wb_outw(m, BASE + ACPI_PM1_STS, 0);
    ck_assert(acpi_pm_sci_level(pm));
    wb_outw(m, BASE + ACPI_PM1_STS, ACPI_PM1_PWRBTN);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_STS) & ACPI_PM1_PWRBTN, 0);
    ck_assert(!acpi_pm_sci_level(pm));
    /* Byte writes to the high half work the same. */
    machine_press_power_button(m);
    ck_assert(acpi_pm_sci_level(pm));
    wb_outb(m, BASE + ACPI_PM1_STS + 1, ACPI_PM1_PWRBTN >> 8);
    ck_assert(!acpi_pm_sci_level(pm));
    /* ACPI_DISABLE turns SCI_EN off. */
    machine_press_power_button(m);
    wb_outb(m, APM_CNT_PORT, ACPI_DISABLE_CMD);
    ck_assert(!acpi_pm_sci_level(pm));
    ck_assert_uint_eq(wb_inb(m, APM_CNT_PORT), ACPI_DISABLE_CMD);
    wb_outb(m, APM_STS_PORT, 0x5A);
    ck_assert_uint_eq(wb_inb(m, APM_STS_PORT), 0x5A);
}
END_TEST

START_TEST(test_timer_overflow_event)
{
    enable_io();
    wb_outb(m, APM_CNT_PORT, ACPI_ENABLE_CMD);
    wb_outw(m, BASE + ACPI_PM1_STS, 0xFFFF);
    wb_outw(m, BASE + ACPI_PM1_EN, ACPI_PM1_TMROF);
    ck_assert(!acpi_pm_sci_level(pm));
    /* Bit 23 toggles every 2^23 ticks (2.34 s): the timer raises the SCI. */
    wb_run_until(m, clock_ns(m) + 2400000000ull);
    ck_assert(acpi_pm_sci_level(pm));
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_STS) & ACPI_PM1_TMROF, ACPI_PM1_TMROF);
    wb_outw(m, BASE + ACPI_PM1_STS, ACPI_PM1_TMROF);
    ck_assert(!acpi_pm_sci_level(pm));
}
END_TEST

START_TEST(test_soft_off)
{
    enable_io();
    /* SLP_TYP alone does nothing; SLP_EN with S5 (0) ends the machine, 0. */
    wb_outw(m, BASE + ACPI_PM1_CNT, ACPI_PM1_SCI_EN | 1u << ACPI_PM1_SLP_TYP_SHIFT);
    ck_assert(!m->shutdown_requested);
    wb_outw(m, BASE + ACPI_PM1_CNT, ACPI_PM1_SCI_EN | 1u << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN);
    ck_assert(!m->shutdown_requested); /* S1-S4: not supported, ignored */
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_CNT) & ACPI_PM1_SLP_EN, 0); /* write-only */
    m->exit_code = 7;
    wb_outw(m, BASE + ACPI_PM1_CNT,
            ACPI_PM1_SCI_EN | PIIX4_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN);
    ck_assert(m->shutdown_requested);
    ck_assert_int_eq(m->exit_code, 0);
}
END_TEST

START_TEST(test_soft_off_byte_write)
{
    enable_io();
    wb_outb(m, BASE + ACPI_PM1_CNT + 1, (ACPI_PM1_SLP_EN >> 8));
    ck_assert(m->shutdown_requested);
}
END_TEST

START_TEST(test_gpe_and_reset)
{
    enable_io();
    wb_outw(m, BASE + ACPI_GPE0_EN, 0x00FF);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_GPE0_EN), 0x00FF);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_GPE0_STS), 0);
    wb_outw(m, BASE + ACPI_PM1_EN, ACPI_PM1_PWRBTN | 0x0002 /* reserved */);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_EN), ACPI_PM1_PWRBTN);
    /* Nothing else in the block answers. */
    ck_assert_uint_eq(wb_inl(m, BASE + 0x30), 0);
    machine_reset(m);
    enable_io();
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_GPE0_EN), 0);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_EN), 0);
    ck_assert_uint_eq(wb_inw(m, BASE + ACPI_PM1_CNT), 0);
}
END_TEST

static Suite *acpi_pm_suite(void)
{
    Suite *s = suite_create("acpi_pm");
    TCase *tc = tcase_create("acpi_pm");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pci_function);
    tcase_add_test(tc, test_io_block_placement);
    tcase_add_test(tc, test_io_block_over_other_ports);
    tcase_add_test(tc, test_pm_timer);
    tcase_add_test(tc, test_power_button_sci);
    tcase_add_test(tc, test_timer_overflow_event);
    tcase_add_test(tc, test_soft_off);
    tcase_add_test(tc, test_soft_off_byte_write);
    tcase_add_test(tc, test_gpe_and_reset);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(acpi_pm_suite)
