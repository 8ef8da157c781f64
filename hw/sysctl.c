/* System control ports: 0x92 (PS/2 system control port A: fast A20, fast
 * reset) and 0x80 (POST code / I/O delay). The PIIX3's reset control
 * register at 0xCF9 is the PCI bridge's (hw/pci.c).
 *
 * Port 0x80 is where software goes to wait: an access to it takes about a
 * microsecond on the ISA bus, which is why Linux's io_delay (the _p in
 * outb_p/inb_p) writes it. So it takes P80_DELAY_NS here, and a loop that
 * polls a chip with inb_p waits in fewer turns. */
#include <stdlib.h>

#include "hw/chips.h"
#include "hw/machine.h"

typedef struct Sysctl {
    Machine *m;
    uint8_t port92; /* bits other than 0 and 1 as written */
    uint8_t post;   /* last POST code */
} Sysctl;

static uint32_t p92_read(void *opaque, uint32_t offset, int size_log2)
{
    Sysctl *s = opaque;
    return (s->port92 & ~3u) | (machine_get_a20(s->m) ? 2u : 0u);
}

static void p92_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Sysctl *s = opaque;
    s->port92 = (uint8_t)(val & ~3u);
    machine_set_a20(s->m, val & 2);
    if (val & 1)
        machine_request_reset(s->m);
}

#define P80_DELAY_NS 1000

static uint32_t p80_read(void *opaque, uint32_t offset, int size_log2)
{
    Sysctl *s = opaque;
    machine_io_delay(s->m, P80_DELAY_NS);
    return s->post;
}

static void p80_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Sysctl *s = opaque;
    machine_io_delay(s->m, P80_DELAY_NS);
    s->post = (uint8_t)val;
}

void sysctl_init(Machine *m)
{
    Sysctl *s = machine_zalloc(m, sizeof *s);
    s->m = m;
    io_register(m, "sysctl-92", 0x92, 1, s, p92_read, p92_write);
    io_register(m, "post", 0x80, 1, s, p80_read, p80_write);
}
