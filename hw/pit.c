/* Intel 8254 programmable interval timer (ports 0x40-0x43) and the PC's
 * port 0x61 (channel 2 gate, speaker enable, OUT2 and refresh readback).
 *
 * Nothing ticks: every counter is described by the PIT tick at which its
 * counting element was loaded, and its count and OUT are computed from the
 * elapsed ticks of the virtual clock (1.193182 MHz). Channel 0 drives IRQ0
 * through a Timer armed at the exact tick of its next OUT edge. */
#include <stdlib.h>
#include <string.h>

#include "hw/chips.h"
#include "hw/machine.h"

#define PIT_HZ 1193182u
#define NO_TICK UINT64_MAX
/* DRAM refresh request period seen in port 0x61 bit 4 (~15 us per toggle). */
#define REFRESH_NS 15085u

typedef struct PitChan {
    uint8_t mode, rw, bcd;
    uint16_t cr;       /* count register as written (0 = 65536) */
    bool has_count;    /* a complete count was written since the control word */
    bool running;      /* the counting element is loaded */
    bool frozen;       /* counting suspended by GATE (modes 0, 2, 3, 4) */
    uint64_t frozen_d; /* elapsed ticks when frozen */
    uint32_t n;        /* active initial count, 1..65536 */
    uint64_t load;     /* tick at which the counting element was loaded */
    bool pending;      /* modes 2/3: a new count takes over at the next reload */
    uint32_t pend_n;
    uint64_t pend_at;
    uint64_t null_until; /* status NULL COUNT is 1 before this tick */
    bool gate;
    bool wflip; /* lohi write: LSB written, MSB expected */
    uint8_t wlsb;
    bool rflip; /* lohi read: LSB read, MSB next */
    bool count_latched;
    uint16_t latched;
    bool status_latched;
    uint8_t status;
} PitChan;

struct Pit {
    Machine *m;
    PitChan ch[3];
    IrqLine irq0;
    Timer timer;
    bool irq_out;      /* level last given to irq0 */
    uint64_t irq_eval; /* tick up to which channel 0's edges were delivered */
    uint8_t p61;       /* port 0x61 bits 0-3 as written */
};

static uint64_t now_ticks(Pit *p)
{
    return (uint64_t)((unsigned __int128)clock_ns(p->m) * PIT_HZ / 1000000000u);
}

/* Earliest virtual ns at which now_ticks() >= t. */
static uint64_t tick_to_ns(uint64_t t)
{
    unsigned __int128 ns = ((unsigned __int128)t * 1000000000u + PIT_HZ - 1) / PIT_HZ;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static uint32_t count_of(uint16_t cr)
{
    return cr ? cr : 65536u;
}

/* Parameters in force at tick t (a pending mode 2/3 reload may have happened). */
static void chan_view(const PitChan *c, uint64_t t, uint64_t *load, uint32_t *n)
{
    if (c->pending && t >= c->pend_at) {
        *load = c->pend_at;
        *n = c->pend_n;
    } else {
        *load = c->load;
        *n = c->n;
    }
}

static void chan_sync(PitChan *c, uint64_t t)
{
    if (c->pending && t >= c->pend_at) {
        c->load = c->pend_at;
        c->n = c->pend_n;
        c->pending = false;
    }
}

static uint64_t chan_elapsed(const PitChan *c, uint64_t t, uint32_t *n)
{
    uint64_t load;
    chan_view(c, t, &load, n);
    if (c->frozen)
        return c->frozen_d;
    return t > load ? t - load : 0;
}

static uint32_t mode_n(const PitChan *c, uint32_t n)
{
    /* Count 1 is illegal in modes 2 and 3; behave as 2. */
    return ((c->mode == 2 || c->mode == 3) && n < 2) ? 2 : n;
}

static uint16_t chan_count(const PitChan *c, uint64_t t)
{
    if (!c->running)
        return c->cr;
    uint32_t n;
    uint64_t d = chan_elapsed(c, t, &n);
    n = mode_n(c, n);
    switch (c->mode) {
    case 2:
        return (uint16_t)(n - d % n);
    case 3: {
        uint32_t hi = (n + 1) / 2, p = (uint32_t)(d % n);
        uint32_t v = p < hi ? n - 2 * p : n - 2 * (p - hi);
        return (uint16_t)(v & ~1u);
    }
    default: /* 0, 1, 4, 5: count down, wrapping */
        return (uint16_t)(n - (uint32_t)d);
    }
}

static bool chan_out(const PitChan *c, uint64_t t)
{
    if (!c->running)
        return c->mode != 0;
    uint32_t n;
    uint64_t d = chan_elapsed(c, t, &n);
    n = mode_n(c, n);
    switch (c->mode) {
    case 0:
    case 1:
        return d >= n;
    case 2:
        return c->frozen || d % n != n - 1;
    case 3:
        return c->frozen || d % n < (n + 1) / 2;
    default: /* 4, 5 */
        return d != n;
    }
}

/* First tick after t at which OUT changes, or NO_TICK. */
static uint64_t chan_next_edge(const PitChan *c, uint64_t t)
{
    if (!c->running || c->frozen)
        return NO_TICK;
    uint64_t load;
    uint32_t n;
    chan_view(c, t, &load, &n);
    n = mode_n(c, n);
    if (t < load)
        t = load;
    uint64_t d = t - load;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? load + n : NO_TICK;
    case 2: {
        uint64_t p = d % n, base = load + (d - p);
        return p < n - 1 ? base + n - 1 : base + n;
    }
    case 3: {
        uint64_t p = d % n, base = load + (d - p), hi = (n + 1) / 2;
        return p < hi ? base + hi : base + n;
    }
    default: /* 4, 5 */
        return d < n ? load + n : d == n ? load + n + 1 : NO_TICK;
    }
}

/* ---- channel 0 -> IRQ0 */

static void pit_irq_set(Pit *p, bool level)
{
    if (level != p->irq_out) {
        p->irq_out = level;
        irq_set(&p->irq0, level);
    }
}

/* Deliver every OUT0 edge up to now, then arm the timer for the next one. */
static void pit_irq_update(Pit *p)
{
    PitChan *c = &p->ch[0];
    uint64_t now = now_ticks(p);
    for (int guard = 0;; guard++) {
        uint64_t e = chan_next_edge(c, p->irq_eval);
        if (e > now)
            break;
        if (guard >= 4) {
            /* Far behind (host time mode): keep the last pulse, drop the rest. */
            if (!p->irq_out) {
                pit_irq_set(p, true);
            } else {
                pit_irq_set(p, false);
                pit_irq_set(p, true);
            }
            p->irq_eval = now;
            break;
        }
        pit_irq_set(p, chan_out(c, e));
        p->irq_eval = e;
    }
    pit_irq_set(p, chan_out(c, now));
    p->irq_eval = now;
    chan_sync(c, now);

    uint64_t e = chan_next_edge(c, now);
    if (e == NO_TICK) {
        timer_del(p->m, &p->timer);
        return;
    }
    /* A one-tick low pulse (modes 2 and 4): deliver it together with the
     * rising edge that ends it. */
    if (!chan_out(c, e) && chan_next_edge(c, e) == e + 1)
        e++;
    timer_mod(p->m, &p->timer, tick_to_ns(e));
}

static void pit_timer_cb(void *opaque)
{
    pit_irq_update(opaque);
}

/* ---- register interface */

static void chan_load_count(PitChan *c, uint64_t now)
{
    uint32_t n = count_of(c->cr);
    c->has_count = true;
    switch (c->mode) {
    case 1:
    case 5:
        /* Loaded at the next GATE trigger. */
        if (!c->running)
            c->null_until = NO_TICK;
        break;
    case 2:
    case 3:
        if (c->running && !c->frozen) {
            chan_sync(c, now);
            uint64_t d = now - c->load, nn = mode_n(c, c->n);
            c->pending = true;
            c->pend_n = n;
            c->pend_at = c->load + (d / nn + 1) * nn;
            c->null_until = c->pend_at;
            break;
        }
        if (c->running) /* gate low: reloaded at the gate's rising edge */
            break;
        /* fall through */
    default: /* 0, 4 and a first count in 2, 3 */
        c->running = true;
        c->pending = false;
        c->n = n;
        c->load = now;
        c->frozen = !c->gate;
        c->frozen_d = 0;
        c->null_until = now + 1;
        break;
    }
}

static void chan_set_gate(PitChan *c, bool g, uint64_t now)
{
    if (g == c->gate)
        return;
    chan_sync(c, now);
    c->gate = g;
    switch (c->mode) {
    case 0:
    case 4:
        if (!c->running)
            break;
        if (g && c->frozen) {
            c->load = now - c->frozen_d;
            c->frozen = false;
        } else if (!g && !c->frozen) {
            c->frozen_d = now - c->load;
            c->frozen = true;
        }
        break;
    case 1:
    case 5:
        if (g && c->has_count) { /* trigger */
            c->running = true;
            c->n = count_of(c->cr);
            c->load = now;
            c->frozen = false;
            c->null_until = now + 1;
        }
        break;
    default: /* 2, 3 */
        if (!c->running)
            break;
        if (g) {
            c->n = count_of(c->cr);
            c->load = now;
            c->frozen = false;
            c->pending = false;
        } else if (!c->frozen) {
            c->frozen_d = now - c->load;
            c->frozen = true;
            c->pending = false;
        }
        break;
    }
}

static void chan_control(PitChan *c, uint8_t val)
{
    c->mode = (val >> 1) & 7;
    if (c->mode >= 6)
        c->mode -= 4;
    c->rw = (val >> 4) & 3;
    c->bcd = val & 1;
    c->running = false;
    c->has_count = false;
    c->pending = false;
    c->frozen = false;
    c->null_until = NO_TICK;
    c->wflip = false;
    c->rflip = false;
    c->count_latched = false;
    c->status_latched = false;
}

static uint8_t chan_status(const PitChan *c, uint64_t now)
{
    bool null = !c->has_count || now < c->null_until;
    return (uint8_t)(chan_out(c, now) << 7 | null << 6 | c->rw << 4 | c->mode << 1 | c->bcd);
}

static void chan_latch_count(PitChan *c, uint64_t now)
{
    if (!c->count_latched) {
        c->count_latched = true;
        c->latched = chan_count(c, now);
        c->rflip = false;
    }
}

static uint8_t chan_read(PitChan *c, uint64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v;
    if (c->count_latched) {
        v = c->latched;
        if (c->rw != 3 || c->rflip)
            c->count_latched = false;
    } else {
        v = chan_count(c, now);
    }
    switch (c->rw) {
    case 1:
        return (uint8_t)v;
    case 2:
        return (uint8_t)(v >> 8);
    case 3:
        c->rflip = !c->rflip;
        return c->rflip ? (uint8_t)v : (uint8_t)(v >> 8);
    default:
        return 0xFF;
    }
}

static void chan_write(PitChan *c, uint8_t val, uint64_t now)
{
    switch (c->rw) {
    case 1:
        c->cr = val;
        chan_load_count(c, now);
        break;
    case 2:
        c->cr = (uint16_t)(val << 8);
        chan_load_count(c, now);
        break;
    case 3:
        if (!c->wflip) {
            c->wlsb = val;
            c->wflip = true;
            if (c->mode == 0) /* writing the LSB stops counting, OUT low */
                c->running = false;
        } else {
            c->cr = (uint16_t)(c->wlsb | val << 8);
            c->wflip = false;
            chan_load_count(c, now);
        }
        break;
    default:
        break;
    }
}

static void pit_control(Pit *p, uint8_t val, uint64_t now)
{
    int sc = val >> 6;
    if (sc == 3) { /* read-back */
        for (int i = 0; i < 3; i++) {
            if (!(val & (2u << i)))
                continue;
            PitChan *c = &p->ch[i];
            chan_sync(c, now);
            if (!(val & 0x10) && !c->status_latched) {
                c->status = chan_status(c, now);
                c->status_latched = true;
            }
            if (!(val & 0x20))
                chan_latch_count(c, now);
        }
        return;
    }
    PitChan *c = &p->ch[sc];
    chan_sync(c, now);
    if (((val >> 4) & 3) == 0)
        chan_latch_count(c, now);
    else
        chan_control(c, val);
}

static uint8_t pit_read_byte(Pit *p, uint32_t reg)
{
    if (reg == 3)
        return 0xFF; /* control word register is write-only */
    if (reg == 0)
        pit_irq_update(p);
    uint64_t now = now_ticks(p);
    return chan_read(&p->ch[reg], now);
}

static void pit_write_byte(Pit *p, uint32_t reg, uint8_t val)
{
    /* Deliver channel 0's edges under the old programming first. */
    pit_irq_update(p);
    uint64_t now = now_ticks(p);
    if (reg == 3)
        pit_control(p, val, now);
    else
        chan_write(&p->ch[reg], val, now);
    if (reg == 0 || reg == 3) {
        /* A fresh start: OUT0 edges are evaluated from now on. */
        p->irq_eval = now;
        pit_irq_update(p);
    }
}

static uint32_t pit_io_read(void *opaque, uint32_t offset, int size_log2)
{
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2) && offset + i < 4; i++)
        v |= (uint32_t)pit_read_byte(opaque, offset + i) << (8 * i);
    return v;
}

static void pit_io_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    for (int i = 0; i < (1 << size_log2) && offset + i < 4; i++)
        pit_write_byte(opaque, offset + i, (uint8_t)(val >> (8 * i)));
}

/* ---- port 0x61 */

static uint32_t p61_read(void *opaque, uint32_t offset, int size_log2)
{
    Pit *p = opaque;
    uint64_t ns = clock_ns(p->m);
    bool refresh = (ns / REFRESH_NS) & 1;
    bool out2 = chan_out(&p->ch[2], now_ticks(p));
    return (uint32_t)((p->p61 & 0x0F) | refresh << 4 | out2 << 5);
}

static void p61_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Pit *p = opaque;
    p->p61 = val & 0x0F;
    chan_set_gate(&p->ch[2], val & 1, now_ticks(p));
}

void pit_reset(Pit *p)
{
    uint64_t now = now_ticks(p);
    memset(p->ch, 0, sizeof p->ch);
    p->p61 = 0;
    for (int i = 0; i < 3; i++) {
        PitChan *c = &p->ch[i];
        c->gate = i != 2;
        c->rw = 3;
        c->null_until = NO_TICK;
    }
    /* As the BIOS leaves it: channel 0 mode 3 at 18.2 Hz, channel 1 the
     * refresh rate generator; channel 2 idle. */
    chan_control(&p->ch[0], 0x36);
    p->ch[0].cr = 0;
    chan_load_count(&p->ch[0], now);
    chan_control(&p->ch[1], 0x74);
    p->ch[1].cr = 18;
    chan_load_count(&p->ch[1], now);
    chan_control(&p->ch[2], 0xB6);
    p->irq_out = false;
    irq_set(&p->irq0, 0);
    p->irq_eval = now;
    pit_irq_update(p);
}

static void pit_reset_cb(void *opaque)
{
    pit_reset(opaque);
}

Pit *pit_new(Machine *m, IrqLine irq0)
{
    Pit *p = machine_zalloc(m, sizeof *p);
    p->m = m;
    p->irq0 = irq0;
    timer_init(&p->timer, pit_timer_cb, p);
    io_register(m, "pit", 0x40, 4, p, pit_io_read, pit_io_write);
    io_register(m, "port61", 0x61, 1, p, p61_read, p61_write);
    pit_reset(p);
    machine_add_reset(m, pit_reset_cb, p);
    return p;
}

const char *pit_selfcheck(Pit *p)
{
    for (int i = 0; i < 3; i++) {
        const PitChan *c = &p->ch[i];
        if (c->running && (c->n < 1 || c->n > 65536))
            return "a running counter's initial count out of 1..65536";
        if (c->pending && (c->pend_n < 1 || c->pend_n > 65536))
            return "a pending count out of 1..65536";
    }
    if (p->irq_out != chan_out(&p->ch[0], p->irq_eval))
        return "IRQ0 does not match channel 0's OUT";
    return NULL;
}
