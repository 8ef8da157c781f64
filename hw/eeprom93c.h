/* A Microwire serial EEPROM of the 93C46/93C56/93C66 family in its x16
 * organisation: 16-bit words, commands shifted in MSB first on DI at rising
 * edges of SK while CS is high: a start bit (leading zeros ignored), a 2-bit
 * opcode and an address of addr_bits bits:
 *   10 READ   a dummy 0 on DO, then D15..D0, then the following words
 *   01 WRITE  16 data bits follow            11 ERASE  the word becomes FFFF
 *   00 + top two address bits: 00 EWDS, 01 WRAL (16 data bits), 10 ERAL, 11 EWEN
 * WRITE/ERASE/WRAL/ERAL change nothing unless EWEN was given (the chip powers up
 * write-disabled). Writes complete at once: DO reads 1 (ready) after a
 * programming command and while the chip is deselected.
 * 93C46: 64 words, 6 address bits; 93C56: 128 words, 8 address bits (the top
 * one unused); 93C66: 256 words, 8 address bits.
 * Used by the NICs that carry one (hw/e1000.c, hw/rtl8139.c); each maps its own
 * register bits onto the pins. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define EEPROM93C_MAX_WORDS 256

typedef struct Eeprom93c {
    uint16_t data[EEPROM93C_MAX_WORDS]; /* contents; the owner fills them */
    int words, addr_bits;
    bool cs, sk, dout;
    bool wen; /* erase/write enabled (EWEN) */
    uint8_t state;
    uint32_t shift;
    int nbits; /* bits shifted in so far (command or data) */
    int addr;
    int bit; /* READ: the bit of data[addr] on DO; 16 before the first */
} Eeprom93c;

/* Blank (all zero), write-disabled, deselected. words is a power of two no
 * larger than EEPROM93C_MAX_WORDS and 1 << addr_bits; addr_bits >= 2. */
void eeprom93c_init(Eeprom93c *e, int words, int addr_bits);
/* The levels the host drives on CS, SK and DI; a rising SK with CS high clocks
 * one bit, CS low ends the command. */
void eeprom93c_pins(Eeprom93c *e, bool cs, bool sk, bool di);
static inline bool eeprom93c_dout(const Eeprom93c *e)
{
    return e->dout;
}
/* NULL, or what is inconsistent in the state (the fuzz targets' check). */
const char *eeprom93c_check(const Eeprom93c *e);
