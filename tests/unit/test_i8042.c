/* i8042 keyboard controller (hw/i8042.c) through ports 0x60/0x64, following
 * the probe sequence of Linux's i8042 driver. */
#include "hw/display.h"
#include "hw/keys.h"
#include "testutil.h"
#include "ui/console.h"

static Machine *m;
static I8042 *kbc;
static int lvl[16], rises[16];

static void irq_handler(void *opaque, int n, int level)
{
    if (level && !lvl[n])
        rises[n]++;
    lvl[n] = level;
}

static void setup(void)
{
    m = wb_test_machine(16 << 20);
    for (int i = 0; i < 16; i++)
        lvl[i] = rises[i] = 0;
    kbc = i8042_new(m, (IrqLine){irq_handler, NULL, 1}, (IrqLine){irq_handler, NULL, 12});
}

static void teardown(void)
{
    machine_free(m);
}

static uint8_t status(void)
{
    return (uint8_t)port_read(m, 0x64, 0);
}

static void cmd(uint8_t c)
{
    ck_assert_uint_eq(status() & 0x02, 0); /* IBF never sticks */
    port_write(m, 0x64, c, 0);
}

static void data(uint8_t d)
{
    port_write(m, 0x60, d, 0);
}

/* i8042_wait_read + read: the next byte, asserting it came from aux or not. */
static uint8_t next(bool aux)
{
    uint8_t st = status();
    ck_assert_uint_eq(st & 0x01, 0x01);
    ck_assert_uint_eq(!!(st & 0x20), aux);
    return (uint8_t)port_read(m, 0x60, 0);
}

static bool empty(void)
{
    return !(status() & 0x01);
}

START_TEST(test_linux_probe)
{
    /* i8042_flush: nothing queued after reset */
    ck_assert(empty());
    /* self test */
    cmd(0xAA);
    ck_assert_uint_eq(next(false), 0x55);
    ck_assert(empty());
    /* read CTR (twice, must agree) */
    cmd(0x20);
    uint8_t ctr = next(false);
    cmd(0x20);
    ck_assert_uint_eq(next(false), ctr);
    ck_assert_uint_eq(ctr, 0x45);
    ck_assert_uint_eq(status() & 0x14, 0x14); /* SYS flag, keyboard not locked */
    /* disable kbd, no interrupts, write CTR */
    ctr = (ctr | 0x10) & ~0x03;
    cmd(0x60);
    data(ctr);
    ck_assert_uint_eq(status() & 0x08, 0); /* A2: last write was data */
    cmd(0x20);
    ck_assert_uint_eq(status() & 0x08, 0x08);
    ck_assert_uint_eq(next(false), ctr);
    /* aux loop */
    cmd(0xD3);
    data(0x5A);
    ck_assert_uint_eq(next(true), 0x5A);
    /* aux test */
    cmd(0xA9);
    ck_assert_uint_eq(next(false), 0x00);
    /* toggle aux and check the CTR bit */
    cmd(0xA7);
    cmd(0x20);
    ck_assert_uint_eq(next(false) & 0x20, 0x20);
    cmd(0xA8);
    cmd(0x20);
    ck_assert_uint_eq(next(false) & 0x20, 0x00);
    /* aux IRQ test: enable the aux interrupt, loop a byte */
    ctr = (ctr & ~0x20) | 0x02;
    cmd(0x60);
    data(ctr);
    ck_assert_int_eq(lvl[12], 0);
    cmd(0xD3);
    data(0xA5);
    ck_assert_int_eq(lvl[12], 1);
    ck_assert_int_eq(lvl[1], 0);
    ck_assert_uint_eq(next(true), 0xA5);
    ck_assert_int_eq(lvl[12], 0);
    /* keyboard interface test */
    cmd(0xAB);
    ck_assert_uint_eq(next(false), 0x00);
    /* enable the keyboard port with its interrupt */
    ctr = (ctr & ~0x10) | 0x01;
    cmd(0x60);
    data(ctr);
    ck_assert(empty());
}
END_TEST

START_TEST(test_keyboard_device)
{
    cmd(0x60);
    data(0x05); /* kbd int, no translation */
    data(0xF2);
    ck_assert_int_eq(lvl[1], 1);
    ck_assert_uint_eq(next(false), 0xFA);
    ck_assert_int_eq(lvl[1], 1); /* next byte raised again */
    ck_assert_uint_eq(next(false), 0xAB);
    ck_assert_uint_eq(next(false), 0x83);
    ck_assert(empty());
    ck_assert_int_eq(lvl[1], 0);
    ck_assert_int_eq(rises[1], 3); /* one edge per byte */
    data(0xFF);
    ck_assert_uint_eq(next(false), 0xFA);
    ck_assert_uint_eq(next(false), 0xAA);
    data(0xED);
    ck_assert_uint_eq(next(false), 0xFA);
    data(0x07);
    ck_assert_uint_eq(next(false), 0xFA);
    data(0xF0);
    data(0x00);
    ck_assert_uint_eq(next(false), 0xFA);
    ck_assert_uint_eq(next(false), 0xFA);
    ck_assert_uint_eq(next(false), 0x02);
    data(0xEE);
    ck_assert_uint_eq(next(false), 0xEE);
    data(0xF5);
    ck_assert_uint_eq(next(false), 0xFA);
    data(0xF4);
    ck_assert_uint_eq(next(false), 0xFA);
    /* With translation (the default CCB) the ID reads AB 41. */
    cmd(0x60);
    data(0x45);
    data(0xF2);
    ck_assert_uint_eq(next(false), 0xFA);
    ck_assert_uint_eq(next(false), 0xAB);
    ck_assert_uint_eq(next(false), 0x41);
    /* A disabled keyboard interface holds bytes back. */
    cmd(0xAD);
    cmd(0xD4);
    data(0xF2);
    ck_assert_uint_eq(next(true), 0xFA);
    ck_assert_uint_eq(next(true), 0x00);
    cmd(0x60);
    data(0x55); /* kbd disabled in the CCB */
    port_write(m, 0x60, 0xEE, 0);
    ck_assert(empty() == false); /* writing data re-enables the kbd interface */
    ck_assert_uint_eq(next(false), 0xEE);
}
END_TEST

START_TEST(test_mouse_device)
{
    cmd(0x60);
    data(0x47); /* both interrupts */
    cmd(0xD4);
    data(0xFF);
    ck_assert_int_eq(lvl[12], 1);
    ck_assert_uint_eq(next(true), 0xFA);
    ck_assert_uint_eq(next(true), 0xAA);
    ck_assert_uint_eq(next(true), 0x00);
    ck_assert(empty());
    ck_assert_int_eq(rises[12], 3);
    ck_assert_int_eq(rises[1], 0);
    cmd(0xD4);
    data(0xF2);
    ck_assert_uint_eq(next(true), 0xFA);
    ck_assert_uint_eq(next(true), 0x00);
    cmd(0xD4);
    data(0xF3);
    cmd(0xD4);
    data(200);
    ck_assert_uint_eq(next(true), 0xFA);
    ck_assert_uint_eq(next(true), 0xFA);
    cmd(0xD4);
    data(0xE9);
    ck_assert_uint_eq(next(true), 0xFA);
    next(true);
    next(true);
    ck_assert_uint_eq(next(true), 200);
    cmd(0xD4);
    data(0xF4);
    ck_assert_uint_eq(next(true), 0xFA);
    /* Aux interface disabled: replies wait until it is enabled again. */
    cmd(0xA7);
    cmd(0xD4);
    data(0xF5);
    ck_assert(empty());
    cmd(0xA8);
    ck_assert_uint_eq(next(true), 0xFA);
    /* D2: as if from the keyboard */
    cmd(0xD2);
    data(0x1C);
    ck_assert_int_eq(lvl[1], 1);
    ck_assert_uint_eq(next(false), 0x1C);
}
END_TEST

START_TEST(test_a20_and_reset)
{
    machine_set_a20(m, true);
    cmd(0xD0);
    ck_assert_uint_eq(next(false) & 0x03, 0x03);
    cmd(0xD1);
    data(0xDD); /* A20 off, no reset */
    ck_assert(!machine_get_a20(m));
    ck_assert(!m->reset_requested);
    cmd(0xD0);
    ck_assert_uint_eq(next(false) & 0x03, 0x01);
    cmd(0xD1);
    data(0xDF);
    ck_assert(machine_get_a20(m));
    cmd(0xFF); /* pulse nothing */
    ck_assert(!m->reset_requested);
    cmd(0xFE);
    ck_assert(m->reset_requested);
    m->reset_requested = false;
    cmd(0xF0);
    ck_assert(m->reset_requested);
    m->reset_requested = false;
    cmd(0xD1);
    data(0x02);
    ck_assert(m->reset_requested);
}
END_TEST

START_TEST(test_reset_and_hostile)
{
    for (int i = 0; i < 100; i++) {
        cmd(0xD2);
        data((uint8_t)i);
    }
    for (int i = 0; i < 256; i++)
        if (i != 0xFE && (i < 0xF0 || (i & 1)) && i != 0xD1)
            cmd((uint8_t)i);
    port_write(m, 0x60, 0xFFFFFFFF, 2);
    port_read(m, 0x60, 2);
    port_write(m, 0x64, 0xFFFF, 1);
    i8042_reset(kbc);
    ck_assert(empty());
    ck_assert_int_eq(lvl[1], 0);
    ck_assert_int_eq(lvl[12], 0);
    cmd(0x20);
    ck_assert_uint_eq(next(false), 0x45);
}
END_TEST


/* Bytes waiting in the output buffer, in order (at most max). */
static int drain(uint8_t *out, int max, bool aux)
{
    int n = 0;
    while (!empty() && n < max)
        out[n++] = next(aux);
    return n;
}

/* Keys typed by the front end: set 2 translated to set 1 by the controller
 * (as a BIOS leaves it, and as Linux's atkbd uses it), set 2 as it is, set
 * 1 when selected; Pause and PrintScreen sequences; the IRQ per byte. */
START_TEST(test_typing)
{
    uint8_t b[16];
    cmd(0x60);
    data(0x45); /* translation on, keyboard interrupt */
    ck_assert(input_key(m, K_A, true));
    ck_assert_int_eq(lvl[1], 1);
    ck_assert_int_eq(drain(b, 16, false), 1);
    ck_assert_uint_eq(b[0], 0x1E);
    input_key(m, K_A, false);
    ck_assert_int_eq(drain(b, 16, false), 1);
    ck_assert_uint_eq(b[0], 0x9E);
    input_key(m, K_ALT_R, true); /* AltGr */
    input_key(m, K_ALT_R, false);
    ck_assert_int_eq(drain(b, 16, false), 4);
    ck_assert_mem_eq(b, ((uint8_t[]){0xE0, 0x38, 0xE0, 0xB8}), 4);
    input_key(m, K_PAUSE, true);
    input_key(m, K_PAUSE, false); /* no break code */
    ck_assert_int_eq(drain(b, 16, false), 6);
    ck_assert_mem_eq(b, ((uint8_t[]){0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5}), 6);
    input_key(m, K_KP_ENTER, true);
    ck_assert_int_eq(drain(b, 16, false), 2);
    ck_assert_mem_eq(b, ((uint8_t[]){0xE0, 0x1C}), 2);
    input_key(m, K_F7, true); /* set-2 0x83 translates to 0x41 */
    ck_assert_int_eq(drain(b, 16, false), 1);
    ck_assert_uint_eq(b[0], 0x41);
    /* without translation: set 2 */
    cmd(0x60);
    data(0x05);
    input_key(m, K_LESS, true); /* the ISO key of a German keyboard */
    input_key(m, K_LESS, false);
    ck_assert_int_eq(drain(b, 16, false), 3);
    ck_assert_mem_eq(b, ((uint8_t[]){0x61, 0xF0, 0x61}), 3);
    input_key(m, K_PRINT, true);
    ck_assert_int_eq(drain(b, 16, false), 4);
    ck_assert_mem_eq(b, ((uint8_t[]){0xE0, 0x12, 0xE0, 0x7C}), 4);
    input_key(m, K_PRINT, false);
    ck_assert_int_eq(drain(b, 16, false), 6);
    ck_assert_mem_eq(b, ((uint8_t[]){0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12}), 6);
    /* set 1 selected on the keyboard */
    data(0xF0);
    data(0x01);
    ck_assert_int_eq(drain(b, 16, false), 2);
    input_key(m, K_KP_1, false);
    ck_assert_int_eq(drain(b, 16, false), 1);
    ck_assert_uint_eq(b[0], 0xCF);
    /* a disabled keyboard (F5) types nothing */
    data(0xF5);
    drain(b, 16, false);
    input_key(m, K_B, true);
    ck_assert(empty());
}
END_TEST

/* sendkey: QEMU's names joined by '-', pressed in order, released in
 * reverse after the hold time on the virtual clock. */
START_TEST(test_sendkey)
{
    uint8_t b[32];
    char err[256];
    ck_assert_int_eq(console_sendkey(m, "ctrl-alt-f1", 100, err, sizeof err), 0);
    ck_assert_int_eq(drain(b, 32, false), 3);
    ck_assert_mem_eq(b, ((uint8_t[]){0x1D, 0x38, 0x3B}), 3);
    wb_run_until(m, clock_ns(m) + 99000000ull);
    ck_assert(empty());
    wb_run_until(m, clock_ns(m) + 2000000ull);
    ck_assert_int_eq(drain(b, 32, false), 3);
    ck_assert_mem_eq(b, ((uint8_t[]){0xBB, 0xB8, 0x9D}), 3);
    ck_assert_int_eq(console_sendkey(m, "shift-0x1e", 10, err, sizeof err), 0);
    ck_assert_int_eq(drain(b, 32, false), 2);
    ck_assert_mem_eq(b, ((uint8_t[]){0x2A, 0x1E}), 2);
    ck_assert_int_eq(console_sendkey(m, "ctrl-frob", 10, err, sizeof err), 1);
    ck_assert_str_eq(err, "sendkey: unknown key 'frob'");
    ck_assert_int_eq(console_sendkey(m, "a--b", 10, err, sizeof err), 1);
}
END_TEST

/* The mouse: stream packets after F4, y up, buttons, the IntelliMouse knock
 * and its wheel byte, remote mode. */
START_TEST(test_mouse_input)
{
    uint8_t b[32];
    cmd(0x60);
    data(0x47); /* aux interrupt on */
    ck_assert(input_mouse(m, 5, 5, 0, 0));
    ck_assert(empty()); /* not streaming yet */
    cmd(0xD4);
    data(0xF4);
    ck_assert_uint_eq(next(true), 0xFA);
    input_mouse(m, 3, -2, 0, MOUSE_BUTTON_LEFT);
    ck_assert_int_eq(lvl[12], 1);
    ck_assert_int_eq(drain(b, 32, true), 3);
    ck_assert_mem_eq(b, ((uint8_t[]){0x09, 0x03, 0x02}), 3);
    input_mouse(m, -300, 0, 0, MOUSE_BUTTON_LEFT); /* two packets: -255, -45 */
    ck_assert_int_eq(drain(b, 32, true), 6);
    ck_assert_mem_eq(b, ((uint8_t[]){0x19, 0x01, 0x00, 0x19, 0xD3, 0x00}), 6);
    input_mouse(m, 0, 0, 0, 0); /* a button alone */
    ck_assert_int_eq(drain(b, 32, true), 3);
    ck_assert_mem_eq(b, ((uint8_t[]){0x08, 0x00, 0x00}), 3);
    /* 200, 100, 80: an IntelliMouse with a wheel byte */
    static const uint8_t knock[3] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        cmd(0xD4);
        data(0xF3);
        cmd(0xD4);
        data(knock[i]);
    }
    drain(b, 32, true);
    cmd(0xD4);
    data(0xF2);
    ck_assert_int_eq(drain(b, 32, true), 2);
    ck_assert_uint_eq(b[1], 3);
    input_mouse(m, 0, 0, 1, 0); /* wheel away from the user */
    ck_assert_int_eq(drain(b, 32, true), 4);
    ck_assert_uint_eq(b[3], 0xFF);
    /* remote mode: nothing until read data */
    cmd(0xD4);
    data(0xF0);
    drain(b, 32, true);
    input_mouse(m, 7, 0, 0, 0);
    ck_assert(empty());
    cmd(0xD4);
    data(0xEB);
    ck_assert_int_eq(drain(b, 32, true), 5);
    ck_assert_uint_eq(b[0], 0xFA);
    ck_assert_uint_eq(b[2], 7);
}
END_TEST

static Suite *i8042_suite(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_linux_probe);
    tcase_add_test(tc, test_keyboard_device);
    tcase_add_test(tc, test_mouse_device);
    tcase_add_test(tc, test_a20_and_reset);
    tcase_add_test(tc, test_reset_and_hostile);
    tcase_add_test(tc, test_typing);
    tcase_add_test(tc, test_sendkey);
    tcase_add_test(tc, test_mouse_input);
    suite_add_tcase(s, tc);
    return s;
}

WB_TEST_MAIN(i8042_suite)
