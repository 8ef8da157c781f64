/* Intel 8042 keyboard controller (data 0x60, status/command 0x64) with a PS/2
 * keyboard and a PS/2 mouse that answer the commands drivers probe with.
 *
 * The controller has one output buffer. Bytes wait in three queues -
 * controller replies, keyboard, mouse - and move into the output buffer one
 * at a time when it is empty and their interface is enabled. IRQ1/IRQ12
 * follow "output buffer full with a byte from that device" when the CCB
 * enables them. */
#include <stdlib.h>
#include <string.h>

#include "hw/chips.h"
#include "hw/machine.h"

#define QSIZE 32

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

static void kbc_update_irq(I8042 *k)
{
    uint8_t ccb = k->ram[0];
    bool l1 = k->obf && !k->obuf_aux && (ccb & CCB_KBDINT);
    bool l12 = k->obf && k->obuf_aux && (ccb & CCB_AUXINT);
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
}

static void aux_write(I8042 *k, uint8_t val)
{
    Ps2Dev *d = &k->aux;
    if (d->pending_cmd) {
        uint8_t cmd = d->pending_cmd;
        d->pending_cmd = 0;
        if (cmd == 0xF3)
            d->rate = val;
        else if (cmd == 0xE8)
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
    case 0xF2: /* get ID: standard PS/2 mouse */
        aux_reply(k, 0xFA);
        aux_reply(k, 0x00);
        break;
    case 0xE9: /* status request */
        aux_reply(k, 0xFA);
        aux_reply(k, (uint8_t)((d->scanning ? 0x20 : 0) | (d->stream_scaling ? 0x10 : 0)));
        aux_reply(k, d->resolution);
        aux_reply(k, d->rate);
        break;
    case 0xEB: /* read data: an empty packet */
        aux_reply(k, 0xFA);
        aux_reply(k, 0x08);
        aux_reply(k, 0x00);
        aux_reply(k, 0x00);
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
    return k;
}
