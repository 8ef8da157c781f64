/* National Semiconductor 16550A UART with 16-byte FIFOs.
 *
 * Transmission is instantaneous: a byte written to THR goes to the CharDev
 * (or, in loopback, into the RX FIFO) at once, so THR/TSR are always empty
 * (LSR.THRE = LSR.TEMT = 1) and the TX FIFO never holds anything.
 * The IRQ pin reaches the PIC only while MCR.OUT2 is 1 and loopback is off,
 * as on PC serial cards (OUT2 gates the driver; loopback forces OUT2 off). */
#include <stdlib.h>
#include <string.h>

#include "hw/chips.h"
#include "hw/machine.h"

#define FIFO_SIZE 16

enum { IER_ERBFI = 1, IER_ETBEI = 2, IER_ELSI = 4, IER_EDSSI = 8 };
enum {
    IIR_NONE = 0x01,
    IIR_MSI = 0x00,
    IIR_THRI = 0x02,
    IIR_RDI = 0x04,
    IIR_RLSI = 0x06,
    IIR_CTI = 0x0C,
    IIR_FIFO = 0xC0
};
enum { FCR_ENABLE = 1, FCR_CLR_RX = 2, FCR_CLR_TX = 4 };
enum { LCR_DLAB = 0x80 };
enum { MCR_DTR = 1, MCR_RTS = 2, MCR_OUT1 = 4, MCR_OUT2 = 8, MCR_LOOP = 0x10 };
enum {
    LSR_DR = 1,
    LSR_OE = 2,
    LSR_PE = 4,
    LSR_FE = 8,
    LSR_BI = 0x10,
    LSR_THRE = 0x20,
    LSR_TEMT = 0x40,
    LSR_ERRS = 0x1E
};
enum {
    MSR_DCTS = 1,
    MSR_DDSR = 2,
    MSR_TERI = 4,
    MSR_DDCD = 8,
    MSR_CTS = 0x10,
    MSR_DSR = 0x20,
    MSR_RI = 0x40,
    MSR_DCD = 0x80
};

struct Uart {
    Machine *m;
    uint16_t base;
    IrqLine irq;
    CharDev *out;
    uint8_t rx[FIFO_SIZE];
    unsigned rx_head, rx_count;
    uint8_t rbr_last;
    uint8_t ier, lcr, mcr, lsr_err, msr_delta, scr;
    uint8_t fcr;       /* FIFO enable and trigger bits as written */
    uint8_t msr_lines; /* current modem input lines (MSR bits 4-7) */
    uint16_t divisor;
    bool thr_ipending; /* THRE interrupt pending */
    bool timeout_pending;
    bool irq_level;
    Timer timeout;
};

static bool fifo_on(Uart *u)
{
    return u->fcr & FCR_ENABLE;
}

static unsigned rx_capacity(Uart *u)
{
    return fifo_on(u) ? FIFO_SIZE : 1;
}

static unsigned rx_trigger(Uart *u)
{
    static const unsigned levels[4] = {1, 4, 8, 14};
    return fifo_on(u) ? levels[u->fcr >> 6] : 1;
}

static uint8_t uart_iir(Uart *u)
{
    uint8_t fifo = fifo_on(u) ? IIR_FIFO : 0;
    if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_ERRS))
        return fifo | IIR_RLSI;
    if (u->ier & IER_ERBFI) {
        if (u->rx_count >= rx_trigger(u))
            return fifo | IIR_RDI;
        if (fifo_on(u) && u->timeout_pending && u->rx_count)
            return fifo | IIR_CTI;
    }
    if ((u->ier & IER_ETBEI) && u->thr_ipending)
        return fifo | IIR_THRI;
    if ((u->ier & IER_EDSSI) && (u->msr_delta & 0x0F))
        return fifo | IIR_MSI;
    return fifo | IIR_NONE;
}

/* The level the IRQ line should have now: an interrupt pending, OUT2 on and
 * not in loopback. */
static bool uart_irq_wanted(Uart *u)
{
    return !(uart_iir(u) & IIR_NONE) && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);
}

static void uart_update_irq(Uart *u)
{
    bool level = uart_irq_wanted(u);
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

/* One character time in virtual ns at the programmed rate and format. */
static uint64_t char_ns(Uart *u)
{
    unsigned bits = 1 + 5 + (u->lcr & 3) + ((u->lcr & 8) ? 1 : 0) + ((u->lcr & 4) ? 2 : 1);
    uint64_t div = u->divisor ? u->divisor : 1;
    return bits * div * 1000000000ull / 115200;
}

static void uart_arm_timeout(Uart *u)
{
    if (fifo_on(u) && u->rx_count) {
        u->timeout_pending = false;
        timer_mod(u->m, &u->timeout, clock_ns(u->m) + 4 * char_ns(u));
    } else {
        u->timeout_pending = false;
        timer_del(u->m, &u->timeout);
    }
}

static void uart_timeout_cb(void *opaque)
{
    Uart *u = opaque;
    if (u->rx_count)
        u->timeout_pending = true;
    uart_update_irq(u);
}

static void rx_clear(Uart *u)
{
    u->rx_head = u->rx_count = 0;
    u->timeout_pending = false;
    timer_del(u->m, &u->timeout);
}

static void rx_push(Uart *u, uint8_t b)
{
    if (u->rx_count >= rx_capacity(u)) {
        u->lsr_err |= LSR_OE; /* overrun: the character is lost */
        return;
    }
    u->rx[(u->rx_head + u->rx_count) % FIFO_SIZE] = b;
    u->rx_count++;
}

static uint8_t rx_pop(Uart *u)
{
    if (!u->rx_count)
        return u->rbr_last;
    bool was_full = u->rx_count >= rx_capacity(u);
    uint8_t b = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % FIFO_SIZE;
    u->rx_count--;
    u->rbr_last = b;
    if (was_full)
        loop_kick(u->m); /* the input source can be read again */
    return b;
}

/* Modem input lines as the chip sees them. */
static uint8_t uart_modem_lines(Uart *u)
{
    if (u->mcr & MCR_LOOP) {
        uint8_t v = 0;
        if (u->mcr & MCR_RTS)
            v |= MSR_CTS;
        if (u->mcr & MCR_DTR)
            v |= MSR_DSR;
        if (u->mcr & MCR_OUT1)
            v |= MSR_RI;
        if (u->mcr & MCR_OUT2)
            v |= MSR_DCD;
        return v;
    }
    return MSR_CTS | MSR_DSR | MSR_DCD; /* a connected, ready line */
}

static void uart_update_msr(Uart *u)
{
    uint8_t now = uart_modem_lines(u), old = u->msr_lines, ch = now ^ old;
    if (ch & MSR_CTS)
        u->msr_delta |= MSR_DCTS;
    if (ch & MSR_DSR)
        u->msr_delta |= MSR_DDSR;
    if ((old & MSR_RI) && !(now & MSR_RI))
        u->msr_delta |= MSR_TERI;
    if (ch & MSR_DCD)
        u->msr_delta |= MSR_DDCD;
    u->msr_lines = now;
}

static void uart_transmit(Uart *u, uint8_t b)
{
    if (u->mcr & MCR_LOOP) {
        rx_push(u, b);
        uart_arm_timeout(u);
    } else if (u->out && u->out->write) {
        u->out->write(u->out->opaque, &b, 1);
    }
    /* THR is empty again at once. */
    u->thr_ipending = true;
}

static uint8_t uart_read_reg(Uart *u, int reg)
{
    switch (reg) {
    case 0:
        if (u->lcr & LCR_DLAB)
            return (uint8_t)u->divisor;
        {
            uint8_t b = rx_pop(u);
            uart_arm_timeout(u);
            return b;
        }
    case 1:
        if (u->lcr & LCR_DLAB)
            return (uint8_t)(u->divisor >> 8);
        return u->ier;
    case 2: {
        uint8_t iir = uart_iir(u);
        if ((iir & 0x0F) == IIR_THRI)
            u->thr_ipending = false;
        return iir;
    }
    case 3:
        return u->lcr;
    case 4:
        return u->mcr;
    case 5: {
        uint8_t v = u->lsr_err | LSR_THRE | LSR_TEMT;
        if (u->rx_count)
            v |= LSR_DR;
        u->lsr_err = 0;
        return v;
    }
    case 6: {
        uint8_t v = u->msr_lines | u->msr_delta;
        u->msr_delta = 0;
        return v;
    }
    default:
        return u->scr;
    }
}

static void uart_write_reg(Uart *u, int reg, uint8_t val)
{
    switch (reg) {
    case 0:
        if (u->lcr & LCR_DLAB) {
            u->divisor = (u->divisor & 0xFF00) | val;
            break;
        }
        u->thr_ipending = false;
        uart_transmit(u, val);
        break;
    case 1:
        if (u->lcr & LCR_DLAB) {
            u->divisor = (uint16_t)((u->divisor & 0x00FF) | val << 8);
            break;
        }
        /* Enabling the THRE interrupt while THR is empty raises it. */
        if ((val & IER_ETBEI) && !(u->ier & IER_ETBEI))
            u->thr_ipending = true;
        u->ier = val & 0x0F;
        break;
    case 2: {
        bool was_on = fifo_on(u);
        if ((val & FCR_ENABLE) != was_on) {
            rx_clear(u);
        }
        if (val & FCR_CLR_RX)
            rx_clear(u);
        u->fcr = val & (FCR_ENABLE | 0xC0);
        if (!fifo_on(u))
            u->fcr = 0;
        uart_arm_timeout(u);
        break;
    }
    case 3:
        u->lcr = val;
        break;
    case 4: {
        bool was_loop = u->mcr & MCR_LOOP;
        u->mcr = val & 0x1F;
        uart_update_msr(u);
        if (was_loop && !(u->mcr & MCR_LOOP))
            loop_kick(u->m); /* the serial input is connected again */
        break;
    }
    case 5:
    case 6:
        break; /* LSR/MSR writes: factory test only */
    default:
        u->scr = val;
        break;
    }
}

static uint32_t uart_io_read(void *opaque, uint32_t offset, int size_log2)
{
    Uart *u = opaque;
    uint32_t v = 0;
    for (int i = 0; i < (1 << size_log2) && offset + i < 8; i++)
        v |= (uint32_t)uart_read_reg(u, (int)(offset + i)) << (8 * i);
    uart_update_irq(u);
    return v;
}

static void uart_io_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Uart *u = opaque;
    for (int i = 0; i < (1 << size_log2) && offset + i < 8; i++)
        uart_write_reg(u, (int)(offset + i), (uint8_t)(val >> (8 * i)));
    uart_update_irq(u);
}

size_t uart_can_receive(Uart *u)
{
    if (u->mcr & MCR_LOOP)
        return 0; /* input disconnected: let the host data wait */
    unsigned cap = rx_capacity(u);
    return u->rx_count >= cap ? 0 : cap - u->rx_count;
}

void uart_receive(Uart *u, const uint8_t *buf, size_t len)
{
    if (u->mcr & MCR_LOOP)
        return; /* the serial input is disconnected in loopback */
    for (size_t i = 0; i < len; i++)
        rx_push(u, buf[i]);
    if (len)
        uart_arm_timeout(u);
    uart_update_irq(u);
}

void uart_reset(Uart *u)
{
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->fcr = 0;
    u->lsr_err = 0;
    u->msr_delta = 0;
    rx_clear(u);
    u->thr_ipending = false;
    u->msr_lines = uart_modem_lines(u);
    u->irq_level = false;
    irq_set(&u->irq, 0);
}

static void uart_reset_cb(void *opaque)
{
    uart_reset(opaque);
}

Uart *uart_new(Machine *m, uint16_t base, IrqLine irq, CharDev *out)
{
    Uart *u = machine_zalloc(m, sizeof *u);
    u->m = m;
    u->base = base;
    u->irq = irq;
    u->out = out;
    u->divisor = 12; /* 9600 baud */
    timer_init(&u->timeout, uart_timeout_cb, u);
    io_register(m, "uart", base, 8, u, uart_io_read, uart_io_write);
    uart_reset(u);
    machine_add_reset(m, uart_reset_cb, u);
    return u;
}

const char *uart_selfcheck(Uart *u)
{
    if (u->rx_head >= FIFO_SIZE || u->rx_count > rx_capacity(u))
        return "receive FIFO index or count out of range";
    if (u->irq_level != uart_irq_wanted(u))
        return "IRQ line does not match the pending interrupts";
    return NULL;
}
