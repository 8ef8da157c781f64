/* Two cascaded Intel 8259A interrupt controllers (master 0x20-0x21, slave
 * 0xA0-0xA1, slave INT on master IR2) and the PIIX3 edge/level control
 * registers (ELCR, 0x4D0-0x4D1).
 *
 * Model: each chip keeps IRR/ISR/IMR and the current level of its 8 input
 * lines. An edge-triggered input latches its IRR bit on a 0->1 transition
 * (the latch stays until INTA or re-initialisation); a level-triggered input
 * (ELCR bit, or ICW1.LTIM) has IRR follow the line. The slave's INT output
 * drives the master's IR2 request directly (see pic_update). */
#include <stdlib.h>
#include <string.h>

#include "hw/chips.h"
#include "hw/machine.h"

typedef struct PicChip {
    uint8_t irr, isr, imr;
    uint8_t lines;     /* current input levels */
    uint8_t elcr;      /* PIIX3 edge/level control: 1 = level */
    uint8_t elcr_mask; /* writable ELCR bits */
    uint8_t base;      /* ICW2 vector base */
    uint8_t prio_add;  /* IR number with the highest priority */
    uint8_t init;      /* 0: operational, 1..3: expecting ICW2..ICW4 */
    bool icw4_needed, single, ltim;
    bool auto_eoi, rotate_aeoi, sfnm;
    bool special_mask;
    bool poll;
    bool read_isr;
    bool master;
    bool programmed; /* ICW1 seen since reset: until then the chip requests nothing */
} PicChip;

struct Pic {
    Machine *m;
    PicChip c[2];
    bool out; /* last level given to machine_set_intr */
};

static uint8_t chip_level_mask(const PicChip *s)
{
    return s->ltim ? 0xFF : s->elcr;
}

/* Priority (0 = highest) of the highest-priority bit set in mask, 8 if none. */
static int chip_priority(const PicChip *s, uint8_t mask)
{
    if (!mask)
        return 8;
    for (int p = 0; p < 8; p++)
        if (mask & (1u << ((p + s->prio_add) & 7)))
            return p;
    return 8;
}

/* The IR the chip would signal now, or -1. */
static int chip_get_irq(const PicChip *s)
{
    /* At hardware reset the 8259A is not initialised (its state is undefined
     * until ICW1): like QEMU's PC, which keeps it from the CPU until the
     * firmware sets it up, an unprogrammed chip raises no INT. */
    if (!s->programmed)
        return -1;
    uint8_t req = s->irr & ~s->imr;
    if (s->special_mask) {
        /* Any unmasked level not in service may interrupt. */
        req &= ~s->isr;
        int p = chip_priority(s, req);
        return p == 8 ? -1 : (p + s->prio_add) & 7;
    }
    int p = chip_priority(s, req);
    if (p == 8)
        return -1;
    uint8_t isr = s->isr;
    if (s->master && s->sfnm)
        isr &= ~(1u << 2); /* special fully nested: the cascade doesn't block its slave */
    int cur = chip_priority(s, isr);
    return p < cur ? (p + s->prio_add) & 7 : -1;
}

/* Drive one input line of a chip. */
static void chip_set_line(PicChip *s, int irq, int level)
{
    uint8_t bit = 1u << irq;
    if (chip_level_mask(s) & bit) {
        if (level)
            s->irr |= bit;
        else
            s->irr &= ~bit;
    } else if (level && !(s->lines & bit)) {
        s->irr |= bit;
    }
    if (level)
        s->lines |= bit;
    else
        s->lines &= ~bit;
}

static void pic_update(Pic *p)
{
    /* Slave INT -> master IR2. The request follows the slave's output like a
     * level: if the slave's request goes away before INTA, so does the
     * master's (no spurious IRQ15), and a slave output that stays high across
     * an INTA (auto-EOI, special mask) is not lost for want of a new edge. */
    PicChip *ms = &p->c[0];
    if (chip_get_irq(&p->c[1]) >= 0) {
        ms->irr |= 1u << 2;
        ms->lines |= 1u << 2;
    } else {
        ms->irr &= ~(1u << 2);
        ms->lines &= ~(1u << 2);
    }
    bool out = chip_get_irq(&p->c[0]) >= 0;
    if (out != p->out) {
        p->out = out;
        machine_set_intr(p->m, out);
    }
}

/* INTA on one chip for an IR it resolved. */
static void chip_ack(PicChip *s, int irq)
{
    uint8_t bit = 1u << irq;
    if (s->auto_eoi) {
        if (s->rotate_aeoi)
            s->prio_add = (irq + 1) & 7;
    } else {
        s->isr |= bit;
    }
    if (!(chip_level_mask(s) & bit))
        s->irr &= ~bit;
}

int pic_intack(Pic *p)
{
    PicChip *ms = &p->c[0], *sl = &p->c[1];
    int vec;
    int irq = chip_get_irq(ms);
    if (irq < 0) {
        vec = ms->base + 7; /* spurious IRQ7: no ISR bit set */
    } else if (irq == 2 && !ms->single) {
        int irq2 = chip_get_irq(sl);
        if (irq2 >= 0) {
            chip_ack(sl, irq2);
            vec = sl->base + irq2;
        } else {
            vec = sl->base + 7; /* spurious IRQ15; the master still acks IR2 */
        }
        chip_ack(ms, 2);
    } else {
        chip_ack(ms, irq);
        vec = ms->base + irq;
    }
    pic_update(p);
    return vec;
}

void pic_set_irq(void *opaque, int n, int level)
{
    Pic *p = opaque;
    if (n < 0 || n > 15 || n == 2)
        return; /* IR2 of the master is the cascade */
    chip_set_line(&p->c[n >> 3], n & 7, level != 0);
    pic_update(p);
}

static void chip_reset(PicChip *s)
{
    uint8_t elcr = s->elcr, mask = s->elcr_mask, lines = s->lines;
    bool master = s->master;
    memset(s, 0, sizeof *s);
    s->elcr = elcr;
    s->elcr_mask = mask;
    s->lines = lines;
    s->master = master;
    s->irr = lines & s->elcr;
}

static void chip_write_cmd(PicChip *s, uint8_t val)
{
    if (val & 0x10) { /* ICW1 */
        s->ltim = val & 0x08;
        s->single = val & 0x02;
        s->icw4_needed = val & 0x01;
        s->imr = 0;
        s->isr = 0;
        /* The edge sense latches are reset: only a new rising edge requests. */
        s->irr = s->lines & chip_level_mask(s);
        s->prio_add = 0;
        s->special_mask = false;
        s->read_isr = false;
        s->poll = false;
        if (!s->icw4_needed) {
            s->auto_eoi = false;
            s->sfnm = false;
        }
        s->rotate_aeoi = false;
        s->init = 1;
        s->programmed = true;
        return;
    }
    if (val & 0x08) { /* OCW3 */
        if (val & 0x04)
            s->poll = true;
        if (val & 0x02)
            s->read_isr = val & 0x01;
        if (val & 0x40)
            s->special_mask = val & 0x20;
        return;
    }
    /* OCW2 */
    int cmd = val >> 5, level = val & 7;
    switch (cmd) {
    case 0: /* clear rotate in auto-EOI */
        s->rotate_aeoi = false;
        break;
    case 4: /* set rotate in auto-EOI */
        s->rotate_aeoi = true;
        break;
    case 1:   /* non-specific EOI */
    case 5: { /* rotate on non-specific EOI */
        uint8_t isr = s->isr;
        if (s->special_mask)
            isr &= ~s->imr;
        int p = chip_priority(s, isr);
        if (p < 8) {
            int irq = (p + s->prio_add) & 7;
            s->isr &= ~(1u << irq);
            if (cmd == 5)
                s->prio_add = (irq + 1) & 7;
        }
        break;
    }
    case 3: /* specific EOI */
        s->isr &= ~(1u << level);
        break;
    case 7: /* rotate on specific EOI */
        s->isr &= ~(1u << level);
        s->prio_add = (level + 1) & 7;
        break;
    case 6: /* set priority: level becomes the lowest */
        s->prio_add = (level + 1) & 7;
        break;
    default: /* 2: no operation */
        break;
    }
}

static void chip_write_data(PicChip *s, uint8_t val)
{
    switch (s->init) {
    case 1: /* ICW2 */
        s->base = val & 0xF8;
        s->init = s->single ? (s->icw4_needed ? 3 : 0) : 2;
        break;
    case 2: /* ICW3: the cascade wiring is fixed */
        s->init = s->icw4_needed ? 3 : 0;
        break;
    case 3: /* ICW4 */
        s->auto_eoi = val & 0x02;
        s->sfnm = val & 0x10;
        s->init = 0;
        break;
    default: /* OCW1 */
        s->imr = val;
        break;
    }
}

static uint8_t chip_read(PicChip *s, int reg)
{
    if (s->poll) {
        /* Poll: acts as an INTA for this chip; bit 7 = request, 2-0 = level. */
        s->poll = false;
        int irq = chip_get_irq(s);
        if (irq < 0)
            return 0;
        chip_ack(s, irq);
        return 0x80 | irq;
    }
    if (reg == 0)
        return s->read_isr ? s->isr : s->irr;
    return s->imr;
}

static uint32_t pic_io_read(void *opaque, uint32_t offset, int size_log2, int chip)
{
    Pic *p = opaque;
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2) && offset + i < 2; i++)
        v |= (uint32_t)chip_read(&p->c[chip], (offset + i) & 1) << (8 * i);
    pic_update(p);
    return v;
}

static void pic_io_write(void *opaque, uint32_t offset, uint32_t val, int size_log2, int chip)
{
    Pic *p = opaque;
    for (int i = 0; i < (1 << size_log2) && offset + i < 2; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        if ((offset + i) == 0)
            chip_write_cmd(&p->c[chip], b);
        else
            chip_write_data(&p->c[chip], b);
    }
    pic_update(p);
}

static uint32_t pic_master_read(void *o, uint32_t off, int sz)
{
    return pic_io_read(o, off, sz, 0);
}
static uint32_t pic_slave_read(void *o, uint32_t off, int sz)
{
    return pic_io_read(o, off, sz, 1);
}
static void pic_master_write(void *o, uint32_t off, uint32_t val, int sz)
{
    pic_io_write(o, off, val, sz, 0);
}
static void pic_slave_write(void *o, uint32_t off, uint32_t val, int sz)
{
    pic_io_write(o, off, val, sz, 1);
}

static uint32_t elcr_read(void *opaque, uint32_t offset, int size_log2)
{
    Pic *p = opaque;
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2) && offset + i < 2; i++)
        v |= (uint32_t)p->c[offset + i].elcr << (8 * i);
    return v;
}

static void elcr_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Pic *p = opaque;
    for (int i = 0; i < (1 << size_log2) && offset + i < 2; i++) {
        PicChip *s = &p->c[offset + i];
        uint8_t old = chip_level_mask(s);
        s->elcr = (uint8_t)(val >> (8 * i)) & s->elcr_mask;
        uint8_t now = chip_level_mask(s);
        /* Newly level-triggered inputs follow their line; newly edge-triggered
         * ones need a fresh rising edge. */
        s->irr = (s->irr & ~(old ^ now)) | (s->lines & now & (old ^ now));
    }
    pic_update(p);
}

void pic_reset(Pic *p)
{
    for (int i = 0; i < 2; i++) {
        p->c[i].elcr = 0;
        chip_reset(&p->c[i]);
    }
    /* Keep the cascade line consistent with the (idle) slave. */
    p->c[0].lines &= ~(1u << 2);
    p->c[0].irr &= ~(1u << 2);
    p->out = false;
    machine_set_intr(p->m, false);
    pic_update(p);
}

static void pic_reset_cb(void *opaque)
{
    pic_reset(opaque);
}

Pic *pic_new(Machine *m)
{
    Pic *p = machine_zalloc(m, sizeof *p);
    p->m = m;
    p->c[0].master = true;
    p->c[0].elcr_mask = 0xF8; /* IRQ 0, 1, 2 are always edge */
    p->c[1].elcr_mask = 0xDE; /* IRQ 8, 13 are always edge */
    io_register(m, "pic-master", 0x20, 2, p, pic_master_read, pic_master_write);
    io_register(m, "pic-slave", 0xA0, 2, p, pic_slave_read, pic_slave_write);
    io_register(m, "elcr", 0x4D0, 2, p, elcr_read, elcr_write);
    pic_reset(p);
    machine_add_reset(m, pic_reset_cb, p);
    return p;
}

const char *pic_selfcheck(Pic *p)
{
    for (int i = 0; i < 2; i++) {
        const PicChip *s = &p->c[i];
        if (s->init > 3 || s->prio_add > 7)
            return i ? "slave: initialisation step or priority out of range"
                     : "master: initialisation step or priority out of range";
        if (s->elcr & ~s->elcr_mask)
            return i ? "slave: ELCR bit set that is not writable"
                     : "master: ELCR bit set that is not writable";
    }
    if (((p->c[0].irr >> 2) & 1) != (chip_get_irq(&p->c[1]) >= 0))
        return "the master's IR2 request does not follow the slave's INT";
    if (p->out != (chip_get_irq(&p->c[0]) >= 0))
        return "INTR does not match what the master would signal";
    return NULL;
}
