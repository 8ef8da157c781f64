/* 16550A UART (hw/uart.c) at 0x3F8 as Linux's 8250 driver drives it. */
#include <string.h>

#include "testutil.h"

#define BASE 0x3F8
enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static Machine *m;
static Uart *u;
static int irq_level;
static uint8_t txbuf[256];
static size_t txlen;

static void irq4_handler(void *opaque, int n, int level)
{
    irq_level = level;
}

static void tx_write(void *opaque, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len && txlen < sizeof txbuf; i++)
        txbuf[txlen++] = buf[i];
}

static CharDev out = {tx_write, NULL};

static void setup(void)
{
    m = wb_test_machine(16 << 20);
    irq_level = 0;
    txlen = 0;
    u = uart_new(m, BASE, (IrqLine){irq4_handler, NULL, 4}, &out);
}

static void teardown(void)
{
    machine_free(m);
}

static void w(int reg, uint8_t v)
{
    port_write(m, BASE + reg, v, 0);
}

static uint8_t r(int reg)
{
    return (uint8_t)port_read(m, BASE + reg, 0);
}

static void rx(const char *s)
{
    uart_receive(u, (const uint8_t *)s, strlen(s));
}

START_TEST(test_linux_autoconfig)
{
    /* Scratch test on IER */
    w(IER, 0);
    ck_assert_uint_eq(r(IER) & 0x0F, 0);
    w(IER, 0x0F);
    ck_assert_uint_eq(r(IER) & 0x0F, 0x0F);
    w(IER, 0);
    /* Loopback test: MSR shows DCD|CTS from OUT2|RTS */
    uint8_t save_mcr = r(MCR);
    w(MCR, 0x10 | 0x0A);
    ck_assert_uint_eq(r(MSR) & 0xF0, 0x90);
    w(MCR, save_mcr);
    /* FIFO detection: 16550A */
    w(LCR, 0xBF);
    w(FCR, 0); /* EFR write on enhanced parts: FCR here */
    w(LCR, 0);
    w(FCR, 0x01);
    ck_assert_uint_eq(r(IIR) >> 6, 3);
    w(LCR, 0xBF);
    ck_assert_uint_ne(r(IIR), 0); /* "EFR" reads non-zero: no EFR */
    w(LCR, 0);
    w(FCR, 0x01 | 0x20);
    ck_assert_uint_eq(r(IIR) >> 5, 6); /* no 64-byte FIFO */
    w(IER, 0x40);
    ck_assert_uint_eq(r(IER) & 0x40, 0); /* no UUE bit */
    w(IER, 0);
    /* Not all ones */
    ck_assert_uint_ne(r(LSR), 0xFF);
    ck_assert_uint_eq(r(LSR) & 0x60, 0x60);
    ck_assert_uint_eq(r(MSR) & 0xB0, 0xB0); /* CTS, DSR, DCD: a connected line */
}
END_TEST

START_TEST(test_thre_interrupt)
{
    w(LCR, 0x03);
    w(MCR, 0x0B); /* DTR RTS OUT2 */
    /* serial8250_do_startup: THRE must be (re)asserted on enabling THRI. */
    w(IER, 0x02);
    uint8_t iir1 = r(IIR);
    ck_assert_uint_eq(iir1 & 0x0F, 0x02);
    ck_assert_uint_eq(r(IIR) & 0x01, 0x01); /* cleared by reading IIR */
    ck_assert_int_eq(irq_level, 0);
    w(IER, 0);
    w(IER, 0x02);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(r(IIR) & 0x0F, 0x02);
    ck_assert_int_eq(irq_level, 0);
    /* Writing THR clears it; the byte goes out and THR is empty again. */
    w(RBR, 'h');
    w(RBR, 'i');
    ck_assert_uint_eq(txlen, 2);
    ck_assert_mem_eq(txbuf, "hi", 2);
    ck_assert_uint_eq(r(LSR) & 0x60, 0x60);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(r(IIR) & 0x0F, 0x02);
    w(IER, 0);
    ck_assert_uint_eq(r(IIR) & 0x01, 0x01);
}
END_TEST

START_TEST(test_out2_gating)
{
    w(IER, 0x02);
    ck_assert_uint_eq(r(IIR) & 0x0F, 0x02 & 0x0F);
    w(IER, 0);
    w(IER, 0x02);
    ck_assert_int_eq(irq_level, 0); /* OUT2 clear: line not driven */
    w(MCR, 0x08);
    ck_assert_int_eq(irq_level, 1);
    w(MCR, 0x18); /* loopback disconnects the interrupt */
    ck_assert_int_eq(irq_level, 0);
    w(MCR, 0x08);
    ck_assert_int_eq(irq_level, 1);
    w(MCR, 0x00);
    ck_assert_int_eq(irq_level, 0);
}
END_TEST

START_TEST(test_loopback_data)
{
    w(MCR, 0x10);
    w(RBR, 0x55);
    ck_assert_uint_eq(txlen, 0); /* not sent out */
    ck_assert_uint_eq(r(LSR) & 0x01, 0x01);
    ck_assert_uint_eq(r(RBR), 0x55);
    ck_assert_uint_eq(r(LSR) & 0x01, 0x00);
    /* Modem lines looped, with delta bits */
    r(MSR);
    w(MCR, 0x10 | 0x01); /* DTR -> DSR */
    ck_assert_uint_eq(r(MSR), 0x20 | 0x02);
    ck_assert_uint_eq(r(MSR), 0x20);
    w(MCR, 0x10 | 0x04); /* OUT1 -> RI; DSR drops */
    ck_assert_uint_eq(r(MSR), 0x40 | 0x02);
    w(MCR, 0x10); /* RI trailing edge */
    ck_assert_uint_eq(r(MSR), 0x04);
    /* Host input is disconnected in loopback (and not asked for) */
    ck_assert_uint_eq(uart_can_receive(u), 0);
    rx("x");
    ck_assert_uint_eq(r(LSR) & 0x01, 0);
    w(MCR, 0x00);
    ck_assert_uint_eq(uart_can_receive(u), 1);
}
END_TEST

START_TEST(test_divisor_latch)
{
    w(LCR, 0x83);
    w(0, 0x01);
    w(1, 0x00);
    ck_assert_uint_eq(r(0), 0x01);
    ck_assert_uint_eq(r(1), 0x00);
    w(LCR, 0x03);
    ck_assert_uint_eq(r(LCR), 0x03);
    w(IER, 0x05);
    ck_assert_uint_eq(r(IER), 0x05);
    w(LCR, 0x83);
    ck_assert_uint_eq(r(0), 0x01); /* DLL kept; IER writes didn't touch it */
    ck_assert_uint_eq(r(1), 0x00);
    w(0, 0x0C);
    w(LCR, 0x03);
    w(SCR, 0xA5);
    ck_assert_uint_eq(r(SCR), 0xA5);
    w(RBR, 'z'); /* THR, not DLL */
    ck_assert_uint_eq(txlen, 1);
}
END_TEST

START_TEST(test_fifo_trigger_timeout)
{
    w(LCR, 0x03);
    w(MCR, 0x0B);
    w(FCR, 0xC7); /* enable, clear, trigger 14 */
    w(IER, 0x01);
    ck_assert_uint_eq(uart_can_receive(u), 16);
    rx("0123456789");
    ck_assert_uint_eq(uart_can_receive(u), 6);
    ck_assert_uint_eq(r(IIR), 0xC1); /* below trigger */
    ck_assert_int_eq(irq_level, 0);
    /* Character timeout after ~4 character times (9600 8N1: ~4.2 ms) */
    wb_run_until(m, clock_ns(m) + 3000000);
    ck_assert_int_eq(irq_level, 0);
    wb_run_until(m, clock_ns(m) + 2000000);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(r(IIR), 0xCC);
    ck_assert_uint_eq(r(RBR), '0');
    ck_assert_uint_eq(r(IIR), 0xC1); /* reading restarts the timeout */
    rx("abcde");                     /* 14 now */
    ck_assert_uint_eq(r(IIR), 0xC4);
    ck_assert_int_eq(irq_level, 1);
    rx("fg");
    ck_assert_uint_eq(uart_can_receive(u), 0);
    for (int i = 1; i <= 9; i++)
        ck_assert_uint_eq(r(RBR), '0' + i);
    ck_assert_uint_eq(uart_can_receive(u), 9);
    ck_assert_uint_eq(r(LSR) & 0x03, 0x01); /* data ready, no overrun */
    for (const char *p = "abcdefg"; *p; p++)
        ck_assert_uint_eq(r(RBR), (uint8_t)*p);
    ck_assert_uint_eq(r(LSR) & 0x01, 0);
    ck_assert_uint_eq(r(IIR), 0xC1);
    ck_assert_int_eq(irq_level, 0);

    /* Overrun: line status has the top priority. */
    w(IER, 0x07);
    uint8_t big[17];
    memset(big, 'q', sizeof big);
    uart_receive(u, big, sizeof big);
    ck_assert_uint_eq(r(IIR), 0xC6);
    ck_assert_uint_eq(r(LSR) & 0x03, 0x03);
    ck_assert_uint_eq(r(IIR), 0xC4); /* then RX data */
    for (int i = 0; i < 16; i++)
        r(RBR);
    ck_assert_uint_eq(r(IIR), 0xC2); /* then THRE */
    ck_assert_uint_eq(r(IIR), 0xC1);

    /* FCR clear RX */
    rx("xyz");
    w(FCR, 0x03);
    ck_assert_uint_eq(r(LSR) & 0x01, 0);
    /* FIFO off: a one-byte holding register */
    w(FCR, 0x00);
    ck_assert_uint_eq(r(IIR) & 0xC0, 0);
    ck_assert_uint_eq(uart_can_receive(u), 1);
    rx("k");
    ck_assert_uint_eq(uart_can_receive(u), 0);
    ck_assert_uint_eq(r(IIR), 0x04);
    ck_assert_uint_eq(r(RBR), 'k');
}
END_TEST

START_TEST(test_modem_status_irq)
{
    w(MCR, 0x10);
    r(MSR);
    w(IER, 0x08);
    w(MCR, 0x12); /* RTS -> CTS */
    ck_assert_uint_eq(r(IIR), 0x00);
    r(MSR);
    ck_assert_uint_eq(r(IIR), 0x01);
}
END_TEST

START_TEST(test_reset_and_hostile)
{
    port_write(m, BASE, 0xFFFFFFFF, 2);
    port_read(m, BASE + 4, 2);
    port_write(m, BASE + 6, 0xFFFF, 1);
    uart_receive(u, (const uint8_t *)"0123456789abcdefghijklmnop", 26);
    uart_reset(u);
    ck_assert_uint_eq(r(IIR), 0x01);
    ck_assert_uint_eq(r(LSR), 0x60);
    ck_assert_int_eq(irq_level, 0);
}
END_TEST

static Suite *uart_suite(void)
{
    Suite *s = suite_create("uart");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_linux_autoconfig);
    tcase_add_test(tc, test_thre_interrupt);
    tcase_add_test(tc, test_out2_gating);
    tcase_add_test(tc, test_loopback_data);
    tcase_add_test(tc, test_divisor_latch);
    tcase_add_test(tc, test_fifo_trigger_timeout);
    tcase_add_test(tc, test_modem_status_irq);
    tcase_add_test(tc, test_reset_and_hostile);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(uart_suite)
