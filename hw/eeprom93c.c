/* Microwire serial EEPROM, 93C46/93C56/93C66 x16 (see hw/eeprom93c.h), after
 * the 93C46 and 93C56 datasheets' instruction set and timing diagrams. */
#include "hw/eeprom93c.h"
#include <string.h>

enum { EE_IDLE, EE_CMD, EE_READ, EE_WDATA, EE_WALL, EE_DONE };
enum { OP_EXT = 0, OP_WRITE = 1, OP_READ = 2, OP_ERASE = 3 };
enum { EXT_EWDS = 0, EXT_WRAL = 1, EXT_ERAL = 2, EXT_EWEN = 3 };

void eeprom93c_init(Eeprom93c *e, int words, int addr_bits)
{
    memset(e, 0, sizeof *e);
    if (words < 1 || words > EEPROM93C_MAX_WORDS || (words & (words - 1)))
        words = EEPROM93C_MAX_WORDS;
    if (addr_bits < 2 || addr_bits > 16)
        addr_bits = 8;
    e->words = words;
    e->addr_bits = addr_bits;
    e->state = EE_IDLE;
}

static void deselect(Eeprom93c *e)
{
    e->state = EE_IDLE;
    e->dout = true; /* ready */
    e->nbits = 0;
    e->shift = 0;
}

static void fill(Eeprom93c *e, uint16_t v)
{
    if (e->wen)
        for (int i = 0; i < e->words; i++)
            e->data[i] = v;
}

static void command(Eeprom93c *e)
{
    e->addr = (int)(e->shift & (uint32_t)(e->words - 1));
    switch (e->shift >> e->addr_bits) {
    case OP_READ:
        e->state = EE_READ;
        e->bit = 16;
        e->dout = false; /* the dummy 0 */
        return;
    case OP_WRITE:
        e->state = EE_WDATA;
        e->shift = 0;
        e->nbits = 0;
        return;
    case OP_ERASE:
        if (e->wen)
            e->data[e->addr] = 0xFFFF;
        break;
    default:
        switch ((e->shift >> (e->addr_bits - 2)) & 3) {
        case EXT_EWDS:
            e->wen = false;
            break;
        case EXT_WRAL:
            e->state = EE_WALL;
            e->shift = 0;
            e->nbits = 0;
            e->dout = true;
            return;
        case EXT_ERAL:
            fill(e, 0xFFFF);
            break;
        default:
            e->wen = true;
            break;
        }
        break;
    }
    e->state = EE_DONE;
    e->dout = true;
}

/* One rising edge of SK with CS high; di is the bit on DI. */
static void clock_bit(Eeprom93c *e, bool di)
{
    switch (e->state) {
    case EE_IDLE:
        if (di) { /* the start bit */
            e->state = EE_CMD;
            e->shift = 0;
            e->nbits = 0;
        }
        break;
    case EE_CMD:
        e->shift = e->shift << 1 | di;
        if (++e->nbits == 2 + e->addr_bits)
            command(e);
        break;
    case EE_READ:
        if (e->bit == 0) { /* sequential read: the next word */
            e->addr = (e->addr + 1) & (e->words - 1);
            e->bit = 16;
        }
        e->bit--;
        e->dout = (e->data[e->addr] >> e->bit) & 1;
        break;
    case EE_WDATA:
    case EE_WALL:
        e->shift = e->shift << 1 | di;
        if (++e->nbits == 16) {
            if (e->state == EE_WALL)
                fill(e, (uint16_t)e->shift);
            else if (e->wen)
                e->data[e->addr] = (uint16_t)e->shift;
            e->state = EE_DONE;
            e->dout = true;
        }
        break;
    default: /* EE_DONE: further clocks are ignored until CS drops */
        break;
    }
}

void eeprom93c_pins(Eeprom93c *e, bool cs, bool sk, bool di)
{
    if (!cs) {
        deselect(e);
    } else {
        if (!e->cs)
            deselect(e); /* chip select: a new command */
        if (sk && !e->sk)
            clock_bit(e, di);
    }
    e->cs = cs;
    e->sk = sk;
}

const char *eeprom93c_check(const Eeprom93c *e)
{
    if (e->words < 1 || e->words > EEPROM93C_MAX_WORDS || e->addr_bits < 2 || e->addr_bits > 16)
        return "EEPROM: geometry out of range";
    if (e->state > EE_DONE)
        return "EEPROM: unknown state";
    if (e->addr < 0 || e->addr >= e->words || e->bit < 0 || e->bit > 16 || e->nbits < 0 ||
        (e->nbits > 16 && e->nbits > 2 + e->addr_bits))
        return "EEPROM: address or bit counters out of range";
    return NULL;
}
