/* The decoder: prefixes, opcode, ModRM/SIB, displacement and immediates,
 * resolved once into an Insn record that the cache keeps. */
#include "cpu/decode.h"

typedef struct Fetch {
    CPU *c;
    uint32_t lin;
    int len;
    const uint8_t *buf; /* non-NULL: decode from these bytes, never fault */
    int avail;
    jmp_buf *fail;
} Fetch;

static uint8_t fb(Fetch *f)
{
    if (f->buf) {
        if (f->len >= 15 || f->len >= f->avail)
            longjmp(*f->fail, 1);
        return f->buf[f->len++];
    }
    if (f->len >= 15)
        cpu_raise(f->c, EX_GP, 0); /* longer than 15 bytes */
    uint8_t v = (uint8_t)lin_read(f->c, f->lin + (uint32_t)f->len, 1);
    f->len++;
    return v;
}

static uint16_t fw(Fetch *f)
{
    uint16_t lo = fb(f);
    return (uint16_t)(lo | (fb(f) << 8));
}

static uint32_t fd(Fetch *f)
{
    uint32_t lo = fw(f);
    return lo | ((uint32_t)fw(f) << 16);
}

static void decode_modrm(Fetch *f, Insn *i)
{
    uint8_t m = fb(f);
    int mod = m >> 6, rm = m & 7;
    i->modrm = m;
    i->reg = (m >> 3) & 7;
    i->rm = (uint8_t)rm;
    i->mod3 = mod == 3;
    i->base = i->index = 8;
    i->scale = 0;
    i->disp = 0;
    if (mod == 3)
        return;
    int defseg = S_DS;
    if (!i->a32) {
        /* rm 0-7: BX+SI BX+DI BP+SI BP+DI SI DI BP (disp16 when mod 0) BX */
        static const uint8_t b16[8] = {R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX};
        static const uint8_t x16[8] = {R_ESI, R_EDI, R_ESI, R_EDI, 8, 8, 8, 8};
        if (mod == 0 && rm == 6) {
            i->disp = fw(f);
        } else {
            i->base = b16[rm];
            i->index = x16[rm];
            if (i->base == R_EBP)
                defseg = S_SS;
            if (mod == 1)
                i->disp = (uint32_t)(int8_t)fb(f);
            else if (mod == 2)
                i->disp = fw(f);
        }
    } else {
        if (rm == 4) {
            uint8_t sib = fb(f);
            int base = sib & 7, index = (sib >> 3) & 7;
            i->scale = sib >> 6;
            i->index = index == 4 ? 8 : (uint8_t)index;
            if (base == 5 && mod == 0) {
                i->disp = fd(f);
            } else {
                i->base = (uint8_t)base;
                if (base == R_ESP || base == R_EBP)
                    defseg = S_SS;
            }
        } else if (rm == 5 && mod == 0) {
            i->disp = fd(f);
        } else {
            i->base = (uint8_t)rm;
            if (rm == R_EBP)
                defseg = S_SS;
        }
        if (mod == 1)
            i->disp += (uint32_t)(int8_t)fb(f);
        else if (mod == 2)
            i->disp += fd(f);
    }
    i->seg = (uint8_t)(i->seg_override != S_NONE ? i->seg_override : defseg);
}

static bool decode(Fetch *fp, Insn *i);

/* LOCK is allowed only on these read-modify-write forms with a memory destination. */
static bool lock_ok(const Insn *i)
{
    if (!(op_table[i->op].flags & D_M) || i->mod3)
        return false;
    switch (i->op) {
    case 0x00: case 0x01: case 0x08: case 0x09: case 0x10: case 0x11: case 0x18: case 0x19:
    case 0x20: case 0x21: case 0x28: case 0x29: case 0x30: case 0x31:
    case 0x86: case 0x87: case 0x1AB: case 0x1B3: case 0x1BB:
    case 0x1B0: case 0x1B1: case 0x1C0: case 0x1C1:
        return true;
    case 0x80: case 0x81: case 0x82: case 0x83: return i->reg != 7; /* not CMP */
    case 0xF6: case 0xF7: return i->reg == 2 || i->reg == 3;       /* NOT, NEG */
    case 0xFE: case 0xFF: return i->reg <= 1;                      /* INC, DEC */
    case 0x1BA: return i->reg >= 5;                                /* BTS BTR BTC imm */
    case 0x1C7: return i->reg == 1;                                /* CMPXCHG8B */
    }
    return false;
}

void cpu_decode(CPU *c, uint32_t lin, Insn *i)
{
    Fetch f = {.c = c, .lin = lin};
    decode(&f, i);
}

bool cpu_decode_buf(CPU *c, const uint8_t *buf, int avail, Insn *out, bool *ends)
{
    jmp_buf fail;
    Fetch f = {.c = c, .buf = buf, .avail = avail, .fail = &fail};
    if (setjmp(fail))
        return false;
    *ends = decode(&f, out);
    return true;
}

/* Returns whether a block must end after this instruction. */
static bool decode(Fetch *fp, Insn *i)
{
    Fetch f = *fp;
    CPU *c = f.c;
    memset(i, 0, sizeof *i);
    i->seg_override = S_NONE;
    i->o32 = i->a32 = c->code32;
    uint8_t b;
    for (;;) {
        b = fb(&f);
        switch (b) {
        case 0x26: i->seg_override = S_ES; continue;
        case 0x2E: i->seg_override = S_CS; continue;
        case 0x36: i->seg_override = S_SS; continue;
        case 0x3E: i->seg_override = S_DS; continue;
        case 0x64: i->seg_override = S_FS; continue;
        case 0x65: i->seg_override = S_GS; continue;
        case 0x66: i->o32 = !c->code32; continue;
        case 0x67: i->a32 = !c->code32; continue;
        case 0xF0: i->lock = 1; continue;
        case 0xF2: case 0xF3: i->rep = b; continue;
        }
        break;
    }
    uint16_t op = b;
    if (b == 0x0F)
        op = 0x100 | fb(&f);
    i->op = op;
    i->seg = (uint8_t)(i->seg_override != S_NONE ? i->seg_override : S_DS);
    const OpDesc *d = &op_table[op];
    uint16_t fl = d->flags;
    if (fl & D_M)
        decode_modrm(&f, i);
    if (fl & D_GRP) {
        i->sub = i->reg;
        d = &d->grp[i->reg];
        fl = (uint16_t)((fl & ~D_GRP) | d->flags);
    }
    if (fl & D_ALU)
        i->sub = (op >> 3) & 7;
    if (fl & D_CC)
        i->sub = op & 0xF;
    if (fl & D_REG)
        i->reg = op & 7;
    if (fl & D_IB)
        i->imm = fb(&f);
    if (fl & D_IBS)
        i->imm = (uint32_t)(int8_t)fb(&f);
    if (fl & D_IW)
        i->imm = fw(&f);
    if (fl & D_IZ)
        i->imm = i->o32 ? fd(&f) : fw(&f);
    if (fl & D_MOFFS)
        i->disp = i->a32 ? fd(&f) : fw(&f);
    if (fl & D_ENTER) {
        i->imm = fw(&f);
        i->imm2 = fb(&f);
    }
    if (fl & D_FAR) {
        i->imm = i->o32 ? fd(&f) : fw(&f);
        i->imm2 = fw(&f);
    }
    InsnFn fn = i->o32 ? d->f32 : d->f16;
    if (i->lock && !lock_ok(i))
        fn = NULL;
    i->fn = fn ? fn : op_ud;
    i->len = (uint8_t)f.len;
    return !fn || (fl & D_END);
}
