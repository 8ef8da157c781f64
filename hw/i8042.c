/* Intel 8042 keyboard controller (data 0x60, status/command 0x64) with a PS/2
 * keyboard and a PS/2 mouse.
 *
 * The keyboard answers the commands Linux's atkbd and BIOSes send and types
 * the keys the front ends give it (hw/display.h: input_key) in scancode set
 * 2, translated to set 1 by the controller when the command byte says so (as
 * every PC BIOS leaves it), or in set 1 when the guest selects it. The mouse
 * answers psmouse's commands, reports relative motion and buttons in stream
 * mode (or on request in remote mode) and becomes an IntelliMouse (ID 3,
 * wheel) or IntelliMouse Explorer (ID 4) after the sample-rate knocks.
 *
 * The controller has one output buffer. Bytes wait in three queues -
 * controller replies, keyboard, mouse - and move into the output buffer one
 * at a time when it is empty and their interface is enabled. IRQ1/IRQ12
 * follow "output buffer full with a byte from that device" when the CCB
 * enables them. */
#include <stdlib.h>
#include <string.h>

#include "hw/chips.h"
#include "hw/display.h"
#include "hw/keys.h"
#include "hw/machine.h"

#define QSIZE 256

enum {
    ST_OBF = 0x01,
    ST_IBF = 0x02,
    ST_SYS = 0x04,
    ST_A2 = 0x08,
    ST_UNLOCKED = 0x10,
    ST_AUXB = 0x20
};
enum {
    CCB_KBDINT = 0x01,
    CCB_AUXINT = 0x02,
    CCB_SYS = 0x04,
    CCB_KBDDIS = 0x10,
    CCB_AUXDIS = 0x20,
    CCB_XLATE = 0x40
};

typedef struct ByteQ {
    uint8_t b[QSIZE];
    bool aux[QSIZE];
    unsigned head, count;
} ByteQ;

typedef struct Ps2Dev {
    ByteQ q;
    uint8_t pending_cmd; /* command waiting for its parameter, 0 = none */
    bool scanning;
    uint8_t scanset;
    uint8_t rate, resolution; /* mouse */
    bool stream_scaling;
    bool remote;          /* mouse: remote (polled) mode */
    uint8_t id;           /* mouse: 0 PS/2, 3 IntelliMouse, 4 Explorer */
    uint8_t rates[3];     /* mouse: the last three sample rates set */
    int dx, dy, dz;       /* mouse: motion not yet reported */
    unsigned buttons;     /* mouse: MOUSE_BUTTON_* held */
} Ps2Dev;

struct I8042 {
    Machine *m;
    IrqLine irq1, irq12;
    uint8_t ram[32]; /* ram[0] is the controller command byte */
    uint8_t status_a2;
    uint8_t pending; /* controller command waiting for a data byte */
    uint8_t obuf;
    bool obf, obuf_aux;
    bool irq1_level, irq12_level;
    ByteQ ctrl;
    Ps2Dev kbd, aux;
};

static void q_push(ByteQ *q, uint8_t b, bool aux)
{
    if (q->count >= QSIZE)
        return; /* a real device would stall; drop the excess */
    unsigned i = (q->head + q->count) % QSIZE;
    q->b[i] = b;
    q->aux[i] = aux;
    q->count++;
}

static bool q_pop(ByteQ *q, uint8_t *b, bool *aux)
{
    if (!q->count)
        return false;
    *b = q->b[q->head];
    *aux = q->aux[q->head];
    q->head = (q->head + 1) % QSIZE;
    q->count--;
    return true;
}

static void q_clear(ByteQ *q)
{
    q->head = q->count = 0;
}

/* The levels IRQ1 and IRQ12 should have now: a byte in the output buffer
 * from that port, with its interrupt enabled in the command byte. */
static bool kbc_irq1_wanted(const I8042 *k)
{
    return k->obf && !k->obuf_aux && (k->ram[0] & CCB_KBDINT);
}

static bool kbc_irq12_wanted(const I8042 *k)
{
    return k->obf && k->obuf_aux && (k->ram[0] & CCB_AUXINT);
}

static void kbc_update_irq(I8042 *k)
{
    bool l1 = kbc_irq1_wanted(k), l12 = kbc_irq12_wanted(k);
    if (l1 != k->irq1_level) {
        k->irq1_level = l1;
        irq_set(&k->irq1, l1);
    }
    if (l12 != k->irq12_level) {
        k->irq12_level = l12;
        irq_set(&k->irq12, l12);
    }
}

/* Fill the output buffer from the queues if it is empty. */
static void kbc_service(I8042 *k)
{
    if (!k->obf) {
        uint8_t b;
        bool aux;
        if (q_pop(&k->ctrl, &b, &aux) ||
            (!(k->ram[0] & CCB_KBDDIS) && q_pop(&k->kbd.q, &b, &aux)) ||
            (!(k->ram[0] & CCB_AUXDIS) && q_pop(&k->aux.q, &b, &aux))) {
            k->obuf = b;
            k->obuf_aux = aux;
            k->obf = true;
        }
    }
    kbc_update_irq(k);
}

/* ---- PS/2 keyboard */

static void kbd_reply(I8042 *k, uint8_t b)
{
    q_push(&k->kbd.q, b, false);
}

static size_t q_room(const ByteQ *q)
{
    return QSIZE - q->count;
}

/* A key went down or up: its scancodes in the set the guest uses. */
static void kbd_key(void *opaque, int key, bool down)
{
    I8042 *k = opaque;
    Ps2Dev *d = &k->kbd;
    if (!d->scanning || key < 0 || key >= key_count)
        return;
    uint8_t set2[8];
    int n = 0;
    uint16_t code = key_table[key].set2;
    if (code == KEY_SET2_PAUSE) { /* make only: E1 14 77 E1 F0 14 F0 77 */
        if (!down)
            return;
        static const uint8_t pause[8] = {0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77};
        memcpy(set2, pause, 8);
        n = 8;
    } else if (key == K_PRINT) { /* with its fake left shift, as keyboards send it */
        static const uint8_t mk[4] = {0xE0, 0x12, 0xE0, 0x7C};
        static const uint8_t brk[6] = {0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12};
        memcpy(set2, down ? mk : brk, down ? 4 : 6);
        n = down ? 4 : 6;
    } else {
        if (code >> 8)
            set2[n++] = (uint8_t)(code >> 8);
        if (!down)
            set2[n++] = 0xF0;
        set2[n++] = (uint8_t)code;
    }
    if (q_room(&d->q) < (size_t)n)
        return; /* the keyboard's buffer is full: the key is lost, as on hardware */
    bool xlate = k->ram[0] & CCB_XLATE;
    if (d->scanset == 1 && !xlate) {
        /* set 1 straight from the keyboard: the translation of the set-2 sequence */
        xlate = true;
    }
    bool brk = false;
    for (int i = 0; i < n; i++) {
        uint8_t b = set2[i];
        if (!xlate) {
            q_push(&d->q, b, false);
        } else if (b == 0xF0) {
            brk = true;
        } else {
            q_push(&d->q, (uint8_t)(key_translate_set2(b) | (brk ? 0x80 : 0)), false);
            brk = false;
        }
    }
    kbc_service(k);
}

static void kbd_reset_state(Ps2Dev *d)
{
    q_clear(&d->q);
    d->pending_cmd = 0;
    d->scanning = true;
    d->scanset = 2;
}

static void kbd_write(I8042 *k, uint8_t val)
{
    Ps2Dev *d = &k->kbd;
    if (d->pending_cmd) {
        uint8_t cmd = d->pending_cmd;
        d->pending_cmd = 0;
        if (cmd == 0xF0) { /* scan code set */
            kbd_reply(k, 0xFA);
            if (val == 0)
                kbd_reply(k, (k->ram[0] & CCB_XLATE)
                                 ? (uint8_t[]){0, 0x43, 0x41, 0x3F}[d->scanset & 3]
                                 : d->scanset);
            else if (val <= 3)
                d->scanset = val;
            return;
        }
        if (val < 0xED || cmd != 0xED) { /* 0xED, 0xF3 parameters */
            kbd_reply(k, 0xFA);
            return;
        }
        /* A command byte in place of the LED parameter: treat as a command. */
    }
    switch (val) {
    case 0xFF: /* reset and self test */
        q_clear(&d->q);
        d->scanning = true;
        d->scanset = 2;
        kbd_reply(k, 0xFA);
        kbd_reply(k, 0xAA);
        break;
    case 0xFE: /* resend */
        kbd_reply(k, 0xFA);
        break;
    case 0xF2: /* identify */
        kbd_reply(k, 0xFA);
        kbd_reply(k, 0xAB);
        kbd_reply(k, (k->ram[0] & CCB_XLATE) ? 0x41 : 0x83);
        break;
    case 0xF4:
        d->scanning = true;
        kbd_reply(k, 0xFA);
        break;
    case 0xF5: /* disable, restore defaults */
        d->scanning = false;
        kbd_reply(k, 0xFA);
        break;
    case 0xF6: /* defaults */
        d->scanning = true;
        kbd_reply(k, 0xFA);
        break;
    case 0xEE: /* echo */
        kbd_reply(k, 0xEE);
        break;
    case 0xED: /* LEDs */
    case 0xF3: /* typematic rate */
    case 0xF0: /* scan code set */
        d->pending_cmd = val;
        kbd_reply(k, 0xFA);
        break;
    default:
        kbd_reply(k, 0xFA);
        break;
    }
}

/* ---- PS/2 mouse */

static void aux_reply(I8042 *k, uint8_t b)
{
    q_push(&k->aux.q, b, true);
}

static void aux_reset_state(Ps2Dev *d)
{
    q_clear(&d->q);
    d->pending_cmd = 0;
    d->scanning = false;
    d->rate = 100;
    d->resolution = 2;
    d->stream_scaling = false;
    d->remote = false;
    d->id = 0;
    memset(d->rates, 0, sizeof d->rates);
    d->dx = d->dy = d->dz = 0;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One movement packet from what has accumulated (3 bytes, 4 with a wheel). */
static void aux_packet(I8042 *k)
{
    Ps2Dev *d = &k->aux;
    int dx = clampi(d->dx, -255, 255), dy = clampi(d->dy, -255, 255);
    int dz = d->id == 3 ? clampi(d->dz, -8, 7) : d->id == 4 ? clampi(d->dz, -8, 7) : 0;
    d->dx -= dx;
    d->dy -= dy;
    d->dz -= dz;
    /* PS/2 counts y upwards and the wheel towards the user */
    int py = -dy, pz = -dz;
    aux_reply(k, (uint8_t)(0x08 | (d->buttons & 7) | (dx < 0 ? 0x10 : 0) | (py < 0 ? 0x20 : 0)));
    aux_reply(k, (uint8_t)dx);
    aux_reply(k, (uint8_t)py);
    if (d->id == 3)
        aux_reply(k, (uint8_t)pz);
    else if (d->id == 4)
        aux_reply(k, (uint8_t)(pz & 0x0F));
}

static bool aux_moved(const Ps2Dev *d)
{
    return d->dx || d->dy || d->dz;
}

static void aux_flush(I8042 *k)
{
    Ps2Dev *d = &k->aux;
    while (aux_moved(d) && q_room(&d->q) >= 4)
        aux_packet(k);
    kbc_service(k);
}

static void aux_input(void *opaque, int dx, int dy, int dz, unsigned buttons)
{
    I8042 *k = opaque;
    Ps2Dev *d = &k->aux;
    if (!d->scanning)
        return;
    bool changed = buttons != d->buttons;
    d->buttons = buttons & 7;
    d->dx = clampi(d->dx + dx, -4096, 4096);
    d->dy = clampi(d->dy + dy, -4096, 4096);
    d->dz = clampi(d->dz + dz, -64, 64);
    if (d->remote)
        return;
    if (changed && !aux_moved(d) && q_room(&d->q) >= 4)
        aux_packet(k); /* a button alone is a packet too */
    aux_flush(k);
}

static void aux_write(I8042 *k, uint8_t val)
{
    Ps2Dev *d = &k->aux;
    if (d->pending_cmd) {
        uint8_t cmd = d->pending_cmd;
        d->pending_cmd = 0;
        if (cmd == 0xF3) {
            d->rate = val;
            /* the knocks: 200,100,80 makes an IntelliMouse, then 200,200,80 an Explorer */
            d->rates[0] = d->rates[1];
            d->rates[1] = d->rates[2];
            d->rates[2] = val;
            if (d->rates[0] == 200 && d->rates[1] == 100 && d->rates[2] == 80)
                d->id = 3;
            else if (d->id == 3 && d->rates[0] == 200 && d->rates[1] == 200 && d->rates[2] == 80)
                d->id = 4;
        } else if (cmd == 0xE8)
            d->resolution = val & 3;
        aux_reply(k, 0xFA);
        return;
    }
    switch (val) {
    case 0xFF: /* reset: ACK, self test passed, ID */
        aux_reset_state(d);
        aux_reply(k, 0xFA);
        aux_reply(k, 0xAA);
        aux_reply(k, 0x00);
        break;
    case 0xF2: /* get ID */
        aux_reply(k, 0xFA);
        aux_reply(k, d->id);
        break;
    case 0xE9: /* status request */
        aux_reply(k, 0xFA);
        aux_reply(k, (uint8_t)((d->remote ? 0x40 : 0) | (d->scanning ? 0x20 : 0) |
                               (d->stream_scaling ? 0x10 : 0) | (d->buttons & 1 ? 4 : 0) |
                               (d->buttons & 4 ? 2 : 0) | (d->buttons & 2 ? 1 : 0)));
        aux_reply(k, d->resolution);
        aux_reply(k, d->rate);
        break;
    case 0xEB: /* read data: one packet, moved or not */
        aux_reply(k, 0xFA);
        aux_packet(k);
        break;
    case 0xEA: /* stream mode */
        d->remote = false;
        aux_reply(k, 0xFA);
        break;
    case 0xF0: /* remote mode */
        d->remote = true;
        aux_reply(k, 0xFA);
        break;
    case 0xF3: /* sample rate */
    case 0xE8: /* resolution */
        d->pending_cmd = val;
        aux_reply(k, 0xFA);
        break;
    case 0xF4:
        d->scanning = true;
        aux_reply(k, 0xFA);
        break;
    case 0xF5:
        d->scanning = false;
        aux_reply(k, 0xFA);
        break;
    case 0xF6:
        d->scanning = false;
        d->remote = false;
        d->rate = 100;
        d->resolution = 2;
        d->stream_scaling = false;
        aux_reply(k, 0xFA);
        break;
    case 0xE6:
        d->stream_scaling = false;
        aux_reply(k, 0xFA);
        break;
    case 0xE7:
        d->stream_scaling = true;
        aux_reply(k, 0xFA);
        break;
    default:
        aux_reply(k, 0xFA);
        break;
    }
}

/* ---- controller */

static void ctrl_reply(I8042 *k, uint8_t b, bool aux)
{
    q_push(&k->ctrl, b, aux);
}

static uint8_t outport(I8042 *k)
{
    return (uint8_t)(0x01 | (machine_get_a20(k->m) ? 0x02 : 0) |
                     (k->obf && !k->obuf_aux ? 0x10 : 0) | (k->obf && k->obuf_aux ? 0x20 : 0));
}

static void write_outport(I8042 *k, uint8_t val)
{
    machine_set_a20(k->m, val & 0x02);
    if (!(val & 0x01))
        machine_request_reset(k->m);
}

static void kbc_command(I8042 *k, uint8_t cmd)
{
    k->pending = 0;
    if (cmd >= 0x20 && cmd <= 0x3F) {
        ctrl_reply(k, k->ram[cmd & 0x1F], false);
        return;
    }
    if ((cmd >= 0x60 && cmd <= 0x7F) || cmd == 0xD1 || cmd == 0xD2 || cmd == 0xD3 || cmd == 0xD4) {
        k->pending = cmd;
        return;
    }
    if (cmd >= 0xF0) { /* pulse output port bits whose command bit is 0 */
        if (!(cmd & 0x01))
            machine_request_reset(k->m);
        return;
    }
    switch (cmd) {
    case 0xA1: /* controller version */
        ctrl_reply(k, 0x00, false);
        break;
    case 0xA7:
        k->ram[0] |= CCB_AUXDIS;
        break;
    case 0xA8:
        k->ram[0] &= ~CCB_AUXDIS;
        break;
    case 0xA9: /* aux interface test: OK */
        ctrl_reply(k, 0x00, false);
        break;
    case 0xAA: /* self test */
        ctrl_reply(k, 0x55, false);
        break;
    case 0xAB: /* keyboard interface test: OK */
        ctrl_reply(k, 0x00, false);
        break;
    case 0xAD:
        k->ram[0] |= CCB_KBDDIS;
        break;
    case 0xAE:
        k->ram[0] &= ~CCB_KBDDIS;
        break;
    case 0xC0: /* input port: keyboard not inhibited */
        ctrl_reply(k, 0x80, false);
        break;
    case 0xD0:
        ctrl_reply(k, outport(k), false);
        break;
    case 0xDD: /* A20 off (some controllers) */
        machine_set_a20(k->m, false);
        break;
    case 0xDF: /* A20 on */
        machine_set_a20(k->m, true);
        break;
    case 0xE0: /* test inputs */
        ctrl_reply(k, 0x00, false);
        break;
    default:
        break;
    }
}

static void kbc_data(I8042 *k, uint8_t val)
{
    uint8_t cmd = k->pending;
    k->pending = 0;
    if (cmd >= 0x60 && cmd <= 0x7F) {
        k->ram[cmd & 0x1F] = val;
        return;
    }
    switch (cmd) {
    case 0xD1:
        write_outport(k, val);
        break;
    case 0xD2:
        ctrl_reply(k, val, false);
        break;
    case 0xD3:
        ctrl_reply(k, val, true);
        break;
    case 0xD4:
        aux_write(k, val);
        break;
    default:
        /* Data to the keyboard; sending re-enables its interface. */
        k->ram[0] &= ~CCB_KBDDIS;
        kbd_write(k, val);
        break;
    }
}

static uint8_t kbc_status(I8042 *k)
{
    return (uint8_t)((k->obf ? ST_OBF : 0) | (k->ram[0] & CCB_SYS) | k->status_a2 | ST_UNLOCKED |
                     (k->obf && k->obuf_aux ? ST_AUXB : 0));
}

/* Port 0x60: the output buffer / data to the keyboard or a pending command. */
static uint32_t kbc_data_read(void *opaque, uint32_t offset, int size_log2)
{
    I8042 *k = opaque;
    uint8_t b = k->obuf;
    k->obf = false;
    kbc_update_irq(k); /* a falling edge before the next byte's rising one */
    kbc_service(k);
    return b;
}

static void kbc_data_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    I8042 *k = opaque;
    k->status_a2 = 0;
    kbc_data(k, (uint8_t)val);
    kbc_service(k);
}

/* Port 0x64: status / controller command. */
static uint32_t kbc_cmd_read(void *opaque, uint32_t offset, int size_log2)
{
    return kbc_status(opaque);
}

static void kbc_cmd_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    I8042 *k = opaque;
    k->status_a2 = ST_A2;
    kbc_command(k, (uint8_t)val);
    kbc_service(k);
}

void i8042_reset(I8042 *k)
{
    memset(k->ram, 0, sizeof k->ram);
    k->ram[0] = CCB_XLATE | CCB_SYS | CCB_KBDINT;
    k->status_a2 = 0;
    k->pending = 0;
    k->obf = false;
    k->obuf = 0;
    k->obuf_aux = false;
    q_clear(&k->ctrl);
    kbd_reset_state(&k->kbd);
    aux_reset_state(&k->aux);
    kbc_update_irq(k);
}

static void i8042_reset_cb(void *opaque)
{
    i8042_reset(opaque);
}

I8042 *i8042_new(Machine *m, IrqLine irq1, IrqLine irq12)
{
    I8042 *k = machine_zalloc(m, sizeof *k);
    k->m = m;
    k->irq1 = irq1;
    k->irq12 = irq12;
    /* Two one-port regions: 0x61-0x63 in between belong to others. Wider
     * accesses are split into bytes by the port dispatcher. */
    io_register(m, "i8042-data", 0x60, 1, k, kbc_data_read, kbc_data_write);
    io_register(m, "i8042-cmd", 0x64, 1, k, kbc_cmd_read, kbc_cmd_write);
    i8042_reset(k);
    machine_add_reset(m, i8042_reset_cb, k);
    input_register_keyboard(m, kbd_key, k);
    input_register_mouse(m, aux_input, k);
    return k;
}

static bool q_sane(const ByteQ *q)
{
    return q->head < QSIZE && q->count <= QSIZE;
}

const char *i8042_selfcheck(I8042 *k)
{
    if (!q_sane(&k->ctrl) || !q_sane(&k->kbd.q) || !q_sane(&k->aux.q))
        return "a byte queue's index or count out of range";
    if (!k->obf && (k->ctrl.count || (!(k->ram[0] & CCB_KBDDIS) && k->kbd.q.count) ||
                    (!(k->ram[0] & CCB_AUXDIS) && k->aux.q.count)))
        return "output buffer empty while an enabled queue holds bytes";
    if (k->irq1_level != kbc_irq1_wanted(k) || k->irq12_level != kbc_irq12_wanted(k))
        return "IRQ1 or IRQ12 does not match the output buffer";
    return NULL;
}
