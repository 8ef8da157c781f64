/* 8259A pair (hw/pic.c) as the guest sees it through ports 0x20/0x21,
 * 0xA0/0xA1 and the ELCR at 0x4D0/0x4D1. */
#include "testutil.h"

static Machine *m;
static Pic *pic;

static void setup(void)
{
    m = wb_test_machine(16 << 20);
    pic = pic_new(m);
}

static void teardown(void)
{
    machine_free(m);
}



static bool intr(void)
{
    return m->cpu->intr_line;
}

/* Linux's init_8259A(): vectors 0x30 / 0x38, normal EOI, all masked. */
static void linux_init(void)
{
    wb_outb(m, 0x21, 0xFF);
    wb_outb(m, 0xA1, 0xFF);
    wb_outb(m, 0x20, 0x11);
    wb_outb(m, 0x21, 0x30);
    wb_outb(m, 0x21, 0x04);
    wb_outb(m, 0x21, 0x01);
    wb_outb(m, 0xA0, 0x11);
    wb_outb(m, 0xA1, 0x38);
    wb_outb(m, 0xA1, 0x02);
    wb_outb(m, 0xA1, 0x01);
    wb_outb(m, 0x21, 0xFF);
    wb_outb(m, 0xA1, 0xFF);
}

static uint8_t read_isr(uint16_t cmd)
{
    wb_outb(m, cmd, 0x0B);
    uint8_t v = wb_inb(m, cmd);
    wb_outb(m, cmd, 0x0A);
    return v;
}

START_TEST(test_init_and_imr)
{
    linux_init();
    ck_assert_uint_eq(wb_inb(m, 0x21), 0xFF);
    ck_assert_uint_eq(wb_inb(m, 0xA1), 0xFF);
    wb_outb(m, 0x21, 0xFB); /* only the cascade */
    ck_assert_uint_eq(wb_inb(m, 0x21), 0xFB);
    pic_set_irq(pic, 3, 1);
    ck_assert(!intr()); /* masked */
    wb_outb(m, 0x20, 0x0A);
    ck_assert_uint_eq(wb_inb(m, 0x20), 0x08); /* IRR shows it */
    wb_outb(m, 0x21, 0xF3);
    ck_assert(intr());
    ck_assert_int_eq(pic_intack(pic), 0x33);
    ck_assert(!intr());
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    ck_assert_uint_eq(wb_inb(m, 0x20), 0x00); /* edge: IRR cleared by INTA */
    wb_outb(m, 0x20, 0x20);                   /* non-specific EOI */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert(!intr()); /* line still high, but no new edge */
}
END_TEST

START_TEST(test_priority_and_eoi)
{
    linux_init();
    wb_outb(m, 0x21, 0x00);
    wb_outb(m, 0xA1, 0x00);
    pic_set_irq(pic, 5, 1);
    pic_set_irq(pic, 3, 1);
    ck_assert_int_eq(pic_intack(pic), 0x33); /* lower number wins */
    ck_assert(!intr());                      /* IRQ5 is lower than IRQ3 in service */
    pic_set_irq(pic, 1, 1);
    ck_assert(intr()); /* IRQ1 preempts */
    ck_assert_int_eq(pic_intack(pic), 0x31);
    ck_assert_uint_eq(read_isr(0x20), 0x0A);
    wb_outb(m, 0x20, 0x20); /* clears IRQ1, the highest in service */
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    ck_assert(!intr());
    wb_outb(m, 0x20, 0x63); /* specific EOI for IRQ3 */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert(intr());
    ck_assert_int_eq(pic_intack(pic), 0x35);

    /* Slave IRQ: vector from the slave, master IR2 and slave IR in service. */
    wb_outb(m, 0x20, 0x20);
    pic_set_irq(pic, 12, 1);
    ck_assert(intr());
    ck_assert_int_eq(pic_intack(pic), 0x3C);
    ck_assert_uint_eq(read_isr(0x20), 0x04);
    ck_assert_uint_eq(read_isr(0xA0), 0x10);
    /* IRQ8 (higher on the slave) is blocked by the master's IR2 in service
     * only until the master gets its EOI - fully nested mode. */
    pic_set_irq(pic, 8, 1);
    ck_assert(!intr());
    wb_outb(m, 0xA0, 0x20);
    wb_outb(m, 0x20, 0x20);
    ck_assert(intr());
    ck_assert_int_eq(pic_intack(pic), 0x38);
}
END_TEST

START_TEST(test_spurious)
{
    linux_init();
    wb_outb(m, 0x21, 0x00);
    wb_outb(m, 0xA1, 0x00);
    ck_assert(!intr());
    ck_assert_int_eq(pic_intack(pic), 0x37); /* master spurious IRQ7 */
    ck_assert_uint_eq(read_isr(0x20), 0x00);

    /* A slave request that goes away before INTA takes INTR with it. */
    pic_set_irq(pic, 10, 1);
    ck_assert(intr());
    wb_outb(m, 0xA1, 0x04);
    ck_assert(!intr());
    ck_assert_int_eq(pic_intack(pic), 0x37);
    ck_assert_uint_eq(read_isr(0xA0), 0x00);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    /* Unmasked again: still latched on the slave (edge), delivered. */
    wb_outb(m, 0xA1, 0x00);
    ck_assert(intr());
    ck_assert_int_eq(pic_intack(pic), 0x3A);
    ck_assert_uint_eq(read_isr(0x20), 0x04);
    ck_assert_uint_eq(read_isr(0xA0), 0x04);
}
END_TEST

START_TEST(test_elcr_level)
{
    linux_init();
    wb_outb(m, 0x21, 0x00);
    wb_outb(m, 0xA1, 0x00);
    wb_outb(m, 0x4D0, 0xFF);
    wb_outb(m, 0x4D1, 0xFF);
    ck_assert_uint_eq(wb_inb(m, 0x4D0), 0xF8); /* IRQ 0, 1, 2 fixed edge */
    ck_assert_uint_eq(wb_inb(m, 0x4D1), 0xDE); /* IRQ 8, 13 fixed edge */
    ck_assert_uint_eq(port_read(m, 0x4D0, 1), 0xDEF8);
    wb_outb(m, 0x4D0, 0x00);
    wb_outb(m, 0x4D1, 0x04); /* IRQ10 level */

    pic_set_irq(pic, 10, 1);
    ck_assert_int_eq(pic_intack(pic), 0x3A);
    wb_outb(m, 0xA0, 0x20);
    wb_outb(m, 0x20, 0x20);
    ck_assert(intr()); /* still asserted: interrupts again */
    ck_assert_int_eq(pic_intack(pic), 0x3A);
    wb_outb(m, 0xA0, 0x20);
    wb_outb(m, 0x20, 0x20);
    pic_set_irq(pic, 10, 0);
    ck_assert(!intr());
    wb_outb(m, 0xA0, 0x0A);
    ck_assert_uint_eq(wb_inb(m, 0xA0), 0x00); /* IRR follows the line */

    /* A level line that drops before INTA is no longer requested. */
    pic_set_irq(pic, 10, 1);
    ck_assert(intr());
    pic_set_irq(pic, 10, 0);
    ck_assert(!intr());

    /* Edge input: a pulse is latched. */
    pic_set_irq(pic, 4, 1);
    pic_set_irq(pic, 4, 0);
    ck_assert(intr());
    ck_assert_int_eq(pic_intack(pic), 0x34);
}
END_TEST

START_TEST(test_poll_aeoi_smm)
{
    linux_init();
    wb_outb(m, 0x21, 0x00);
    /* Poll mode */
    pic_set_irq(pic, 6, 1);
    wb_outb(m, 0x20, 0x0C);
    ck_assert_uint_eq(wb_inb(m, 0x20), 0x86);
    ck_assert_uint_eq(read_isr(0x20), 0x40);
    wb_outb(m, 0x20, 0x0C);
    ck_assert_uint_eq(wb_inb(m, 0x20), 0x00);
    wb_outb(m, 0x20, 0x66);
    ck_assert(!intr());

    /* Auto-EOI (ICW4 = 0x03): ISR stays clear. */
    wb_outb(m, 0x20, 0x11);
    wb_outb(m, 0x21, 0x08);
    wb_outb(m, 0x21, 0x04);
    wb_outb(m, 0x21, 0x03);
    wb_outb(m, 0x21, 0x00);
    pic_set_irq(pic, 6, 0);
    pic_set_irq(pic, 6, 1);
    ck_assert_int_eq(pic_intack(pic), 0x0E);
    ck_assert_uint_eq(read_isr(0x20), 0x00);

    /* Special mask mode: a masked in-service level doesn't block lower ones. */
    wb_outb(m, 0x20, 0x11);
    wb_outb(m, 0x21, 0x08);
    wb_outb(m, 0x21, 0x04);
    wb_outb(m, 0x21, 0x01);
    wb_outb(m, 0x21, 0x00);
    pic_set_irq(pic, 3, 1);
    ck_assert_int_eq(pic_intack(pic), 0x0B);
    pic_set_irq(pic, 5, 1);
    ck_assert(!intr());
    wb_outb(m, 0x21, 0x08); /* mask IRQ3 */
    wb_outb(m, 0x20, 0x68); /* set special mask */
    ck_assert(intr());
    ck_assert_int_eq(pic_intack(pic), 0x0D);
    wb_outb(m, 0x20, 0x48); /* clear special mask */

    /* Rotation: after "rotate on specific EOI 5", IRQ5 is lowest. */
    wb_outb(m, 0x20, 0xE5);
    wb_outb(m, 0x20, 0x63);
    wb_outb(m, 0x21, 0x00);
    pic_set_irq(pic, 7, 1);
    pic_set_irq(pic, 4, 1);
    ck_assert_int_eq(pic_intack(pic), 0x0F); /* 6,7,0,...,5: IRQ7 before IRQ4 */
}
END_TEST

START_TEST(test_reset_and_hostile)
{
    linux_init();
    wb_outb(m, 0x21, 0x00);
    pic_set_irq(pic, 3, 1);
    ck_assert(intr());
    pic_reset(pic);
    ck_assert(!intr());
    /* Out-of-range inputs and wide accesses are harmless. */
    pic_set_irq(pic, -1, 1);
    pic_set_irq(pic, 16, 1);
    pic_set_irq(pic, 2, 1);
    port_write(m, 0x20, 0xFFFFFFFF, 2);
    port_read(m, 0xA0, 2);
    port_write(m, 0x4D0, 0xFFFFFFFF, 2);
    (void)pic_intack(pic);
}
END_TEST

static Suite *pic_suite(void)
{
    Suite *s = suite_create("pic");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_init_and_imr);
    tcase_add_test(tc, test_priority_and_eoi);
    tcase_add_test(tc, test_spurious);
    tcase_add_test(tc, test_elcr_level);
    tcase_add_test(tc, test_poll_aeoi_smm);
    tcase_add_test(tc, test_reset_and_hostile);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(pic_suite)
