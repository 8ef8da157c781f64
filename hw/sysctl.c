/* System control ports: 0x92 (PS/2 system control port A: fast A20, fast
 * reset), 0x80 (POST code / I/O delay) and 0xCF9 (PIIX3 reset control).
 *
 * 0xCF9 lies inside the PCI configuration address register (0xCF8-0xCFB,
 * dword-only on PIIX3). It is registered here as a one-port region; pci.c
 * claims 0xCF8-0xCFB as a whole (so a dword access at 0xCF8 is one access to
 * the address register) and forwards byte accesses at 0xCF9 to the region
 * found at 0xCF9 when pci_init runs - this one. If sysctl_init runs after
 * pci_init instead, port 0xCF9 maps straight here; both orders work. */
#include <stdlib.h>

#include "hw/devices.h"
#include "hw/machine.h"

typedef struct Sysctl {
    Machine *m;
    uint8_t port92; /* bits other than 0 and 1 as written */
    uint8_t post;   /* last POST code */
    uint8_t rcr;    /* reset control: SRST (bit 1) and FULL_RST (bit 3) as written */
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

static uint32_t p80_read(void *opaque, uint32_t offset, int size_log2)
{
    Sysctl *s = opaque;
    return s->post;
}

static void p80_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Sysctl *s = opaque;
    s->post = (uint8_t)val;
}

static uint32_t rcr_read(void *opaque, uint32_t offset, int size_log2)
{
    Sysctl *s = opaque;
    return s->rcr;
}

static void rcr_write(void *opaque, uint32_t offset, uint32_t val, int size_log2)
{
    Sysctl *s = opaque;
    s->rcr = (uint8_t)(val & 0x0A);
    /* RCPU (bit 2): reset now. Hard (SRST=1) and soft resets are the same here. */
    if (val & 0x04) {
        s->rcr = 0;
        machine_request_reset(s->m);
    }
}

void sysctl_init(Machine *m)
{
    Sysctl *s = machine_zalloc(m, sizeof *s);
    s->m = m;
    io_register(m, "sysctl-92", 0x92, 1, s, p92_read, p92_write);
    io_register(m, "post", 0x80, 1, s, p80_read, p80_write);
    io_register(m, "reset-control", 0xCF9, 1, s, rcr_read, rcr_write);
}
