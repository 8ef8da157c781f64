/* Instruction handlers and the one opcode table (at the end of this file). */
#include "cpu/decode.h"

#define H(name) static void name(CPU *c, const Insn *i)
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Three sized handlers from one size-generic body. */
#define SIZED(name)                                                                             \
    H(name##_b) { name(c, i, 0); }                                                              \
    H(name##_w) { name(c, i, 1); }                                                              \
    H(name##_d) { name(c, i, 2); }

/* ------------------------------------------------------------------ operand access */

ALWAYS_INLINE uint32_t ea_of(CPU *c, const Insn *i)
{
    uint32_t a = i->disp;
    if (i->base != 8)
        a += c->regs[i->base];
    if (i->index != 8)
        a += c->regs[i->index] << i->scale;
    return i->a32 ? a : (a & 0xFFFF);
}

ALWAYS_INLINE uint32_t reg_get(CPU *c, int r, int sz)
{
    return sz == 0 ? get_r8(c, r) : sz == 1 ? get_r16(c, r) : c->regs[r];
}

ALWAYS_INLINE void reg_set(CPU *c, int r, int sz, uint32_t v)
{
    if (sz == 0)
        set_r8(c, r, (uint8_t)v);
    else if (sz == 1)
        set_r16(c, r, (uint16_t)v);
    else
        c->regs[r] = v;
}

ALWAYS_INLINE uint32_t mem_get(CPU *c, int seg, uint32_t off, int sz)
{
    return seg_read(c, seg, off, 1 << sz);
}

ALWAYS_INLINE void mem_set(CPU *c, int seg, uint32_t off, int sz, uint32_t v)
{
    seg_write(c, seg, off, v, 1 << sz);
}

/* For read-modify-write: make sure the write cannot fault before reading. */
ALWAYS_INLINE uint32_t mem_get_rmw(CPU *c, int seg, uint32_t off, int sz)
{
    int n = 1 << sz;
    uint32_t lin = c->seg[seg].base + off;
    TlbEntry *e = &c->tlbp[(lin >> 12) & (TLB_SIZE - 1)];
    if (unlikely((int64_t)off + n - 1 > c->seg_lim_w[seg]) ||
        unlikely(e->tag_write != (lin & ~0xFFFu)) || unlikely((lin & 0xFFF) > 4096u - n))
        cpu_check_write(c, seg, off, (uint32_t)n);
    return seg_read(c, seg, off, n);
}

ALWAYS_INLINE uint32_t rm_get(CPU *c, const Insn *i, int sz)
{
    if (i->mod3)
        return reg_get(c, i->rm, sz);
    return mem_get(c, i->seg, ea_of(c, i), sz);
}

ALWAYS_INLINE void rm_set(CPU *c, const Insn *i, int sz, uint32_t v)
{
    if (i->mod3)
        reg_set(c, i->rm, sz, v);
    else
        mem_set(c, i->seg, ea_of(c, i), sz, v);
}

/* Read-modify-write access to r/m: *ea receives the offset. */
ALWAYS_INLINE uint32_t rm_get_rmw(CPU *c, const Insn *i, int sz, uint32_t *ea)
{
    if (i->mod3)
        return reg_get(c, i->rm, sz);
    *ea = ea_of(c, i);
    return mem_get_rmw(c, i->seg, *ea, sz);
}

ALWAYS_INLINE void rm_put(CPU *c, const Insn *i, int sz, uint32_t ea, uint32_t v)
{
    if (i->mod3)
        reg_set(c, i->rm, sz, v);
    else
        mem_set(c, i->seg, ea, sz, v);
}

/* ------------------------------------------------------------------ stack */

ALWAYS_INLINE uint32_t sp_mask(CPU *c)
{
    return c->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
}

ALWAYS_INLINE void push(CPU *c, uint32_t v, int size)
{
    uint32_t m = sp_mask(c);
    uint32_t esp = (c->regs[R_ESP] - (uint32_t)size) & m;
    seg_write(c, S_SS, esp, v, size);
    c->regs[R_ESP] = (c->regs[R_ESP] & ~m) | esp;
}

ALWAYS_INLINE uint32_t pop_peek(CPU *c, int size, uint32_t at)
{
    uint32_t m = sp_mask(c);
    return seg_read(c, S_SS, (c->regs[R_ESP] + at) & m, size);
}

ALWAYS_INLINE void sp_add(CPU *c, uint32_t n)
{
    uint32_t m = sp_mask(c);
    c->regs[R_ESP] = (c->regs[R_ESP] & ~m) | ((c->regs[R_ESP] + n) & m);
}

ALWAYS_INLINE uint32_t pop(CPU *c, int size)
{
    uint32_t v = pop_peek(c, size, 0);
    sp_add(c, (uint32_t)size);
    return v;
}

ALWAYS_INLINE int osz(const Insn *i)
{
    return i->o32 ? 4 : 2;
}

/* ------------------------------------------------------------------ ALU */

ALWAYS_INLINE uint32_t alu(CPU *c, int op, int sz, uint32_t a, uint32_t b)
{
    uint32_t m = sz_mask(sz), r, cin;
    switch (op) {
    case 0: r = (a + b) & m; set_flags(c, LF_ADD, sz, a, b, r); break;
    case 1: r = a | b; set_flags(c, LF_LOGIC, sz, a, b, r); break;
    case 2:
        cin = lf_cf(c);
        r = (a + b + cin) & m;
        set_flags(c, LF_ADC, sz, a, b, r);
        c->lf_aux = cin;
        break;
    case 3:
        cin = lf_cf(c);
        r = (a - b - cin) & m;
        set_flags(c, LF_SBB, sz, a, b, r);
        c->lf_aux = cin;
        break;
    case 4: r = a & b; set_flags(c, LF_LOGIC, sz, a, b, r); break;
    case 5:
    case 7: r = (a - b) & m; set_flags(c, LF_SUB, sz, a, b, r); break;
    default: r = a ^ b; set_flags(c, LF_LOGIC, sz, a, b, r); break;
    }
    return r;
}

/* op r/m, reg */
ALWAYS_INLINE void alu_rm_r(CPU *c, const Insn *i, int sz)
{
    uint32_t ea = 0, b = reg_get(c, i->reg, sz);
    if (i->sub == 7) {
        alu(c, 7, sz, rm_get(c, i, sz), b);
        return;
    }
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    rm_put(c, i, sz, ea, alu(c, i->sub, sz, a, b));
}
SIZED(alu_rm_r)

/* op reg, r/m */
ALWAYS_INLINE void alu_r_rm(CPU *c, const Insn *i, int sz)
{
    uint32_t r = alu(c, i->sub, sz, reg_get(c, i->reg, sz), rm_get(c, i, sz));
    if (i->sub != 7)
        reg_set(c, i->reg, sz, r);
}
SIZED(alu_r_rm)

/* op acc, imm */
ALWAYS_INLINE void alu_a_i(CPU *c, const Insn *i, int sz)
{
    uint32_t r = alu(c, i->sub, sz, reg_get(c, R_EAX, sz), i->imm & sz_mask(sz));
    if (i->sub != 7)
        reg_set(c, R_EAX, sz, r);
}
SIZED(alu_a_i)

/* group 1: op r/m, imm */
ALWAYS_INLINE void alu_rm_i(CPU *c, const Insn *i, int sz)
{
    uint32_t ea = 0, b = i->imm & sz_mask(sz);
    if (i->sub == 7) {
        alu(c, 7, sz, rm_get(c, i, sz), b);
        return;
    }
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    rm_put(c, i, sz, ea, alu(c, i->sub, sz, a, b));
}
SIZED(alu_rm_i)

ALWAYS_INLINE void test_rm_r(CPU *c, const Insn *i, int sz)
{
    uint32_t r = rm_get(c, i, sz) & reg_get(c, i->reg, sz);
    set_flags(c, LF_LOGIC, sz, 0, 0, r);
}
SIZED(test_rm_r)

ALWAYS_INLINE void test_a_i(CPU *c, const Insn *i, int sz)
{
    set_flags(c, LF_LOGIC, sz, 0, 0, reg_get(c, R_EAX, sz) & i->imm & sz_mask(sz));
}
SIZED(test_a_i)

ALWAYS_INLINE void test_rm_i(CPU *c, const Insn *i, int sz)
{
    set_flags(c, LF_LOGIC, sz, 0, 0, rm_get(c, i, sz) & i->imm & sz_mask(sz));
}
SIZED(test_rm_i)

ALWAYS_INLINE uint32_t incdec(CPU *c, int sz, uint32_t a, bool dec)
{
    uint32_t cf = lf_cf(c);
    uint32_t r = (dec ? a - 1 : a + 1) & sz_mask(sz);
    set_flags(c, dec ? LF_DEC : LF_INC, sz, a, 1, r);
    c->lf_aux = cf;
    return r;
}

H(op_inc_r16) { set_r16(c, i->reg, (uint16_t)incdec(c, 1, get_r16(c, i->reg), false)); }
H(op_inc_r32) { c->regs[i->reg] = incdec(c, 2, c->regs[i->reg], false); }
H(op_dec_r16) { set_r16(c, i->reg, (uint16_t)incdec(c, 1, get_r16(c, i->reg), true)); }
H(op_dec_r32) { c->regs[i->reg] = incdec(c, 2, c->regs[i->reg], true); }

ALWAYS_INLINE void incdec_rm(CPU *c, const Insn *i, int sz)
{
    uint32_t ea = 0;
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    uint32_t cf = lf_cf(c);
    bool dec = i->sub == 1;
    uint32_t r = (dec ? a - 1 : a + 1) & sz_mask(sz);
    rm_put(c, i, sz, ea, r);
    set_flags(c, dec ? LF_DEC : LF_INC, sz, a, 1, r);
    c->lf_aux = cf;
}
SIZED(incdec_rm)

ALWAYS_INLINE void not_rm(CPU *c, const Insn *i, int sz)
{
    uint32_t ea = 0;
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    rm_put(c, i, sz, ea, ~a & sz_mask(sz));
}
SIZED(not_rm)

ALWAYS_INLINE void neg_rm(CPU *c, const Insn *i, int sz)
{
    uint32_t ea = 0;
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    uint32_t r = (0 - a) & sz_mask(sz);
    rm_put(c, i, sz, ea, r);
    set_flags(c, LF_SUB, sz, 0, a, r);
}
SIZED(neg_rm)

/* ------------------------------------------------------------------ multiply / divide */

ALWAYS_INLINE void mul_flags(CPU *c, int sz, uint32_t low, bool overflow)
{
    set_flags(c, LF_MUL, sz, 0, 0, low & sz_mask(sz));
    c->lf_aux = overflow;
}

H(op_mul_b)
{
    uint32_t r = (uint32_t)get_r8(c, R_EAX) * rm_get(c, i, 0);
    set_r16(c, R_EAX, (uint16_t)r);
    mul_flags(c, 0, r, (r >> 8) != 0);
}
H(op_mul_w)
{
    uint32_t r = (uint32_t)get_r16(c, R_EAX) * rm_get(c, i, 1);
    set_r16(c, R_EAX, (uint16_t)r);
    set_r16(c, R_EDX, (uint16_t)(r >> 16));
    mul_flags(c, 1, r, (r >> 16) != 0);
}
H(op_mul_d)
{
    uint64_t r = (uint64_t)c->regs[R_EAX] * rm_get(c, i, 2);
    c->regs[R_EAX] = (uint32_t)r;
    c->regs[R_EDX] = (uint32_t)(r >> 32);
    mul_flags(c, 2, (uint32_t)r, (r >> 32) != 0);
}
H(op_imul1_b)
{
    int32_t r = (int8_t)get_r8(c, R_EAX) * (int8_t)rm_get(c, i, 0);
    set_r16(c, R_EAX, (uint16_t)r);
    mul_flags(c, 0, (uint32_t)r, r != (int8_t)r);
}
H(op_imul1_w)
{
    int32_t r = (int16_t)get_r16(c, R_EAX) * (int16_t)rm_get(c, i, 1);
    set_r16(c, R_EAX, (uint16_t)r);
    set_r16(c, R_EDX, (uint16_t)((uint32_t)r >> 16));
    mul_flags(c, 1, (uint32_t)r, r != (int16_t)r);
}
H(op_imul1_d)
{
    int64_t r = (int64_t)(int32_t)c->regs[R_EAX] * (int32_t)rm_get(c, i, 2);
    c->regs[R_EAX] = (uint32_t)r;
    c->regs[R_EDX] = (uint32_t)((uint64_t)r >> 32);
    mul_flags(c, 2, (uint32_t)r, r != (int32_t)r);
}

ALWAYS_INLINE void imul_common(CPU *c, const Insn *i, int sz, uint32_t b)
{
    uint32_t a = rm_get(c, i, sz);
    if (sz == 1) {
        int32_t r = (int16_t)a * (int16_t)b;
        set_r16(c, i->reg, (uint16_t)r);
        mul_flags(c, 1, (uint32_t)r, r != (int16_t)r);
    } else {
        int64_t r = (int64_t)(int32_t)a * (int32_t)b;
        c->regs[i->reg] = (uint32_t)r;
        mul_flags(c, 2, (uint32_t)r, r != (int32_t)r);
    }
}
H(op_imul_r_rm_w) { imul_common(c, i, 1, get_r16(c, i->reg)); }
H(op_imul_r_rm_d) { imul_common(c, i, 2, c->regs[i->reg]); }
H(op_imul_r_rm_i_w) { imul_common(c, i, 1, i->imm); }
H(op_imul_r_rm_i_d) { imul_common(c, i, 2, i->imm); }

H(op_div_b)
{
    uint32_t d = rm_get(c, i, 0);
    uint32_t n = get_r16(c, R_EAX);
    if (d == 0 || n / d > 0xFF)
        cpu_raise(c, EX_DE, -1);
    set_r8(c, 0, (uint8_t)(n / d));
    set_r8(c, 4, (uint8_t)(n % d));
}
H(op_div_w)
{
    uint32_t d = rm_get(c, i, 1);
    uint32_t n = ((uint32_t)get_r16(c, R_EDX) << 16) | get_r16(c, R_EAX);
    if (d == 0 || n / d > 0xFFFF)
        cpu_raise(c, EX_DE, -1);
    set_r16(c, R_EAX, (uint16_t)(n / d));
    set_r16(c, R_EDX, (uint16_t)(n % d));
}
H(op_div_d)
{
    uint64_t d = rm_get(c, i, 2);
    uint64_t n = ((uint64_t)c->regs[R_EDX] << 32) | c->regs[R_EAX];
    if (d == 0 || n / d > 0xFFFFFFFFull)
        cpu_raise(c, EX_DE, -1);
    c->regs[R_EAX] = (uint32_t)(n / d);
    c->regs[R_EDX] = (uint32_t)(n % d);
}
H(op_idiv_b)
{
    int32_t d = (int8_t)rm_get(c, i, 0);
    int32_t n = (int16_t)get_r16(c, R_EAX);
    if (d == 0)
        cpu_raise(c, EX_DE, -1);
    int32_t q = n / d;
    if (q != (int8_t)q)
        cpu_raise(c, EX_DE, -1);
    set_r8(c, 0, (uint8_t)q);
    set_r8(c, 4, (uint8_t)(n % d));
}
H(op_idiv_w)
{
    int32_t d = (int16_t)rm_get(c, i, 1);
    int32_t n = (int32_t)(((uint32_t)get_r16(c, R_EDX) << 16) | get_r16(c, R_EAX));
    if (d == 0 || (n == INT32_MIN && d == -1))
        cpu_raise(c, EX_DE, -1);
    int32_t q = n / d;
    if (q != (int16_t)q)
        cpu_raise(c, EX_DE, -1);
    set_r16(c, R_EAX, (uint16_t)q);
    set_r16(c, R_EDX, (uint16_t)(n % d));
}
H(op_idiv_d)
{
    int64_t d = (int32_t)rm_get(c, i, 2);
    int64_t n = (int64_t)(((uint64_t)c->regs[R_EDX] << 32) | c->regs[R_EAX]);
    if (d == 0 || (n == INT64_MIN && d == -1))
        cpu_raise(c, EX_DE, -1);
    int64_t q = n / d;
    if (q != (int32_t)q)
        cpu_raise(c, EX_DE, -1);
    c->regs[R_EAX] = (uint32_t)q;
    c->regs[R_EDX] = (uint32_t)(n % d);
}

/* ------------------------------------------------------------------ shifts and rotates */

static uint32_t szp_flags(int sz, uint32_t r)
{
    uint32_t f = 0;
    if ((r & sz_mask(sz)) == 0)
        f |= F_ZF;
    if (r & sz_sign(sz))
        f |= F_SF;
    if (!__builtin_parity(r & 0xFF))
        f |= F_PF;
    return f;
}

/* Shift/rotate a by cnt (already masked to 5 bits); returns the result and
 * sets the flags. cnt == 0 leaves flags alone. */
static uint32_t shift_op(CPU *c, int op, int sz, uint32_t a, uint32_t cnt)
{
    int bits = 8 << sz;
    uint32_t m = sz_mask(sz), s = sz_sign(sz), r, cf, of, old;
    switch (op) {
    case 0: /* ROL */
        if (!cnt)
            return a;
        cnt &= (uint32_t)bits - 1;
        r = cnt ? ((a << cnt) | (a >> (bits - cnt))) & m : a;
        old = lf_compute(c);
        cf = r & 1;
        of = ((r & s) != 0) ^ cf;
        set_flags_eager(c, (old & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0));
        return r;
    case 1: /* ROR */
        if (!cnt)
            return a;
        cnt &= (uint32_t)bits - 1;
        r = cnt ? ((a >> cnt) | (a << (bits - cnt))) & m : a;
        old = lf_compute(c);
        cf = (r & s) != 0;
        of = cf ^ ((r & (s >> 1)) != 0);
        set_flags_eager(c, (old & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0));
        return r;
    case 2: /* RCL */
    case 3: { /* RCR */
        cnt %= (uint32_t)(bits + 1);
        if (!cnt)
            return a;
        old = lf_compute(c);
        uint64_t v = a | ((uint64_t)(old & F_CF) << bits); /* bits+1 wide value */
        uint64_t wm = (1ull << (bits + 1)) - 1;
        if (op == 2)
            v = ((v << cnt) | (v >> (bits + 1 - cnt))) & wm;
        else
            v = ((v >> cnt) | (v << (bits + 1 - cnt))) & wm;
        r = (uint32_t)v & m;
        cf = (uint32_t)(v >> bits) & 1;
        if (op == 2)
            of = ((r & s) != 0) ^ cf;
        else
            of = ((r & s) != 0) ^ ((r & (s >> 1)) != 0);
        set_flags_eager(c, (old & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0));
        return r;
    }
    case 4: /* SHL */
    case 6:
        if (!cnt)
            return a;
        r = cnt < 32 ? (a << cnt) & m : 0;
        set_flags(c, LF_SHL, sz, a, cnt, r);
        return r;
    case 5: /* SHR */
        if (!cnt)
            return a;
        r = cnt < 32 ? a >> cnt : 0;
        set_flags(c, LF_SHR, sz, a, cnt, r);
        return r;
    default: { /* SAR */
        if (!cnt)
            return a;
        int32_t sa = sz == 0 ? (int8_t)a : sz == 1 ? (int16_t)a : (int32_t)a;
        uint32_t k = cnt < (uint32_t)bits ? cnt : (uint32_t)bits - 1;
        r = (uint32_t)(sa >> k) & m;
        set_flags(c, LF_SAR, sz, a, cnt, r);
        return r;
    }
    }
}

ALWAYS_INLINE void shift_rm(CPU *c, const Insn *i, int sz, uint32_t cnt)
{
    uint32_t ea = 0;
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    uint32_t r = shift_op(c, i->sub, sz, a, cnt & 0x1F);
    rm_put(c, i, sz, ea, r);
}
ALWAYS_INLINE void shift_rm_1(CPU *c, const Insn *i, int sz) { shift_rm(c, i, sz, 1); }
ALWAYS_INLINE void shift_rm_cl(CPU *c, const Insn *i, int sz) { shift_rm(c, i, sz, get_r8(c, 1)); }
ALWAYS_INLINE void shift_rm_ib(CPU *c, const Insn *i, int sz) { shift_rm(c, i, sz, i->imm); }
SIZED(shift_rm_1)
SIZED(shift_rm_cl)
SIZED(shift_rm_ib)

ALWAYS_INLINE void shld_shrd(CPU *c, const Insn *i, int sz, uint32_t cnt, bool right)
{
    cnt &= 0x1F;
    if (!cnt)
        return;
    uint32_t ea = 0;
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    uint32_t b = reg_get(c, i->reg, sz);
    int bits = 8 << sz;
    uint32_t r, cf;
    if (sz == 1) {
        uint64_t v = right ? ((uint64_t)b << 16 | a) | ((uint64_t)a << 32)
                           : ((uint64_t)a << 16 | b) | ((uint64_t)b << 32);
        /* 16-bit: counts above 16 behave like a 48-bit rotate; approximate. */
        if (right) {
            r = (uint32_t)(v >> cnt) & 0xFFFF;
            cf = (uint32_t)(v >> (cnt - 1)) & 1;
        } else {
            uint64_t w = ((uint64_t)a << 32) | ((uint64_t)b << 16) | a;
            r = (uint32_t)(w >> (32 - cnt)) & 0xFFFF;
            cf = (uint32_t)(w >> (48 - cnt)) & 1;
        }
    } else if (right) {
        uint64_t v = ((uint64_t)b << 32) | a;
        r = (uint32_t)(v >> cnt);
        cf = (a >> (cnt - 1)) & 1;
    } else {
        uint64_t v = ((uint64_t)a << 32) | b;
        r = (uint32_t)(v >> (32 - cnt));
        cf = (a >> (bits - cnt)) & 1;
    }
    rm_put(c, i, sz, ea, r);
    uint32_t of = ((r ^ a) & sz_sign(sz)) != 0;
    set_flags_eager(c, szp_flags(sz, r) | (cf ? F_CF : 0) | (of ? F_OF : 0));
}
H(op_shld_ib_w) { shld_shrd(c, i, 1, i->imm, false); }
H(op_shld_ib_d) { shld_shrd(c, i, 2, i->imm, false); }
H(op_shld_cl_w) { shld_shrd(c, i, 1, get_r8(c, 1), false); }
H(op_shld_cl_d) { shld_shrd(c, i, 2, get_r8(c, 1), false); }
H(op_shrd_ib_w) { shld_shrd(c, i, 1, i->imm, true); }
H(op_shrd_ib_d) { shld_shrd(c, i, 2, i->imm, true); }
H(op_shrd_cl_w) { shld_shrd(c, i, 1, get_r8(c, 1), true); }
H(op_shrd_cl_d) { shld_shrd(c, i, 2, get_r8(c, 1), true); }

/* ------------------------------------------------------------------ bit operations */

/* BT family: op 0 BT, 1 BTS, 2 BTR, 3 BTC */
ALWAYS_INLINE void bt_common(CPU *c, const Insn *i, int sz, uint32_t bit, bool reg_offset, int op)
{
    int bits = 8 << sz;
    uint32_t val, ea = 0, mask;
    bool cf;
    if (i->mod3) {
        bit &= (uint32_t)bits - 1;
        val = reg_get(c, i->rm, sz);
        cf = (val >> bit) & 1;
        mask = 1u << bit;
        if (op)
            reg_set(c, i->rm, sz, op == 1 ? val | mask : op == 2 ? val & ~mask : val ^ mask);
    } else {
        ea = ea_of(c, i);
        if (reg_offset) {
            int32_t sbit = sz == 1 ? (int16_t)bit : (int32_t)bit;
            ea += (uint32_t)((sbit >> (sz == 1 ? 4 : 5)) * (bits / 8));
            if (!i->a32)
                ea &= 0xFFFF;
        }
        bit &= (uint32_t)bits - 1;
        mask = 1u << bit;
        val = op ? mem_get_rmw(c, i->seg, ea, sz) : mem_get(c, i->seg, ea, sz);
        cf = (val >> bit) & 1;
        if (op)
            mem_set(c, i->seg, ea, sz,
                    op == 1 ? val | mask : op == 2 ? val & ~mask : val ^ mask);
    }
    set_flags_eager(c, (lf_compute(c) & ~F_CF) | (cf ? F_CF : 0));
}
H(op_bt_w) { bt_common(c, i, 1, get_r16(c, i->reg), true, 0); }
H(op_bt_d) { bt_common(c, i, 2, c->regs[i->reg], true, 0); }
H(op_bts_w) { bt_common(c, i, 1, get_r16(c, i->reg), true, 1); }
H(op_bts_d) { bt_common(c, i, 2, c->regs[i->reg], true, 1); }
H(op_btr_w) { bt_common(c, i, 1, get_r16(c, i->reg), true, 2); }
H(op_btr_d) { bt_common(c, i, 2, c->regs[i->reg], true, 2); }
H(op_btc_w) { bt_common(c, i, 1, get_r16(c, i->reg), true, 3); }
H(op_btc_d) { bt_common(c, i, 2, c->regs[i->reg], true, 3); }
H(op_bt_ib_w) { bt_common(c, i, 1, i->imm, false, i->sub & 3); }
H(op_bt_ib_d) { bt_common(c, i, 2, i->imm, false, i->sub & 3); }

ALWAYS_INLINE void bsf_bsr(CPU *c, const Insn *i, int sz, bool rev)
{
    uint32_t v = rm_get(c, i, sz);
    uint32_t f = lf_compute(c) & ~F_ZF;
    if (!v) {
        set_flags_eager(c, f | F_ZF);
        return;
    }
    uint32_t r = rev ? 31u - (uint32_t)__builtin_clz(v) : (uint32_t)__builtin_ctz(v);
    reg_set(c, i->reg, sz, r);
    set_flags_eager(c, f);
}
H(op_bsf_w) { bsf_bsr(c, i, 1, false); }
H(op_bsf_d) { bsf_bsr(c, i, 2, false); }
H(op_bsr_w) { bsf_bsr(c, i, 1, true); }
H(op_bsr_d) { bsf_bsr(c, i, 2, true); }

/* ------------------------------------------------------------------ data movement */

ALWAYS_INLINE void mov_rm_r(CPU *c, const Insn *i, int sz) { rm_set(c, i, sz, reg_get(c, i->reg, sz)); }
ALWAYS_INLINE void mov_r_rm(CPU *c, const Insn *i, int sz) { reg_set(c, i->reg, sz, rm_get(c, i, sz)); }
ALWAYS_INLINE void mov_rm_i(CPU *c, const Insn *i, int sz) { rm_set(c, i, sz, i->imm); }
ALWAYS_INLINE void mov_r_i(CPU *c, const Insn *i, int sz) { reg_set(c, i->reg, sz, i->imm); }
ALWAYS_INLINE void mov_a_moffs(CPU *c, const Insn *i, int sz)
{
    reg_set(c, R_EAX, sz, mem_get(c, i->seg, i->disp, sz));
}
ALWAYS_INLINE void mov_moffs_a(CPU *c, const Insn *i, int sz)
{
    mem_set(c, i->seg, i->disp, sz, reg_get(c, R_EAX, sz));
}
SIZED(mov_rm_r)
SIZED(mov_r_rm)
SIZED(mov_rm_i)
SIZED(mov_r_i)
SIZED(mov_a_moffs)
SIZED(mov_moffs_a)

ALWAYS_INLINE void xchg_rm_r(CPU *c, const Insn *i, int sz)
{
    uint32_t ea = 0;
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    uint32_t b = reg_get(c, i->reg, sz);
    rm_put(c, i, sz, ea, b);
    reg_set(c, i->reg, sz, a);
}
SIZED(xchg_rm_r)

H(op_xchg_a_w)
{
    uint16_t t = get_r16(c, i->reg);
    set_r16(c, i->reg, get_r16(c, R_EAX));
    set_r16(c, R_EAX, t);
}
H(op_xchg_a_d)
{
    uint32_t t = c->regs[i->reg];
    c->regs[i->reg] = c->regs[R_EAX];
    c->regs[R_EAX] = t;
}

H(op_movzx_b_w) { set_r16(c, i->reg, (uint16_t)rm_get(c, i, 0)); }
H(op_movzx_b_d) { c->regs[i->reg] = rm_get(c, i, 0); }
H(op_movzx_w_d) { reg_set(c, i->reg, i->o32 ? 2 : 1, rm_get(c, i, 1)); }
H(op_movsx_b_w) { set_r16(c, i->reg, (uint16_t)(int8_t)rm_get(c, i, 0)); }
H(op_movsx_b_d) { c->regs[i->reg] = (uint32_t)(int8_t)rm_get(c, i, 0); }
H(op_movsx_w_d) { reg_set(c, i->reg, i->o32 ? 2 : 1, (uint32_t)(int16_t)rm_get(c, i, 1)); }

H(op_lea_w)
{
    if (i->mod3)
        cpu_raise(c, EX_UD, -1);
    set_r16(c, i->reg, (uint16_t)ea_of(c, i));
}
H(op_lea_d)
{
    if (i->mod3)
        cpu_raise(c, EX_UD, -1);
    c->regs[i->reg] = ea_of(c, i);
}

H(op_cbw) { set_r16(c, R_EAX, (uint16_t)(int8_t)get_r8(c, 0)); }
H(op_cwde) { c->regs[R_EAX] = (uint32_t)(int16_t)get_r16(c, R_EAX); }
H(op_cwd) { set_r16(c, R_EDX, (get_r16(c, R_EAX) & 0x8000) ? 0xFFFF : 0); }
H(op_cdq) { c->regs[R_EDX] = (c->regs[R_EAX] & 0x80000000u) ? 0xFFFFFFFFu : 0; }

H(op_cmov_w)
{
    uint32_t v = rm_get(c, i, 1);
    if (cond_eval(c, i->sub))
        set_r16(c, i->reg, (uint16_t)v);
}
H(op_cmov_d)
{
    uint32_t v = rm_get(c, i, 2);
    if (cond_eval(c, i->sub))
        c->regs[i->reg] = v;
}
H(op_setcc) { rm_set(c, i, 0, cond_eval(c, i->sub)); }

H(op_bswap) { c->regs[i->reg] = __builtin_bswap32(c->regs[i->reg]); }

ALWAYS_INLINE void xadd(CPU *c, const Insn *i, int sz)
{
    uint32_t ea = 0;
    uint32_t a = rm_get_rmw(c, i, sz, &ea);
    uint32_t b = reg_get(c, i->reg, sz);
    uint32_t r = (a + b) & sz_mask(sz);
    reg_set(c, i->reg, sz, a); /* SRC <- DEST, then DEST <- sum (wins if the same register) */
    rm_put(c, i, sz, ea, r);
    set_flags(c, LF_ADD, sz, a, b, r);
}
SIZED(xadd)

ALWAYS_INLINE void cmpxchg(CPU *c, const Insn *i, int sz)
{
    uint32_t ea = 0;
    uint32_t d = rm_get_rmw(c, i, sz, &ea);
    uint32_t acc = reg_get(c, R_EAX, sz);
    set_flags(c, LF_SUB, sz, acc, d, (acc - d) & sz_mask(sz));
    if (acc == d) {
        rm_put(c, i, sz, ea, reg_get(c, i->reg, sz));
    } else {
        rm_put(c, i, sz, ea, d);
        reg_set(c, R_EAX, sz, d);
    }
}
SIZED(cmpxchg)

H(op_cmpxchg8b)
{
    if (i->mod3)
        cpu_raise(c, EX_UD, -1);
    uint32_t ea = ea_of(c, i);
    cpu_check_write(c, i->seg, ea, 8);
    uint64_t v = cpu_ld64(c, i->seg, ea);
    uint64_t cmp = ((uint64_t)c->regs[R_EDX] << 32) | c->regs[R_EAX];
    uint32_t f = lf_compute(c) & ~F_ZF;
    if (v == cmp) {
        cpu_st64(c, i->seg, ea, ((uint64_t)c->regs[R_ECX] << 32) | c->regs[R_EBX]);
        f |= F_ZF;
    } else {
        cpu_st64(c, i->seg, ea, v);
        c->regs[R_EAX] = (uint32_t)v;
        c->regs[R_EDX] = (uint32_t)(v >> 32);
    }
    set_flags_eager(c, f);
}

/* ------------------------------------------------------------------ stack instructions */

H(op_push_r_w) { push(c, get_r16(c, i->reg), 2); }
H(op_push_r_d) { push(c, c->regs[i->reg], 4); }
H(op_pop_r_w)
{
    uint16_t v = (uint16_t)pop(c, 2);
    set_r16(c, i->reg, v);
}
H(op_pop_r_d)
{
    uint32_t v = pop(c, 4);
    c->regs[i->reg] = v;
}
H(op_push_i) { push(c, i->imm, osz(i)); }
H(op_push_rm)
{
    uint32_t v = rm_get(c, i, i->o32 ? 2 : 1);
    push(c, v, osz(i));
}
H(op_pop_rm)
{
    int size = osz(i);
    uint32_t v = pop_peek(c, size, 0);
    if (i->mod3) {
        sp_add(c, (uint32_t)size);
        reg_set(c, i->rm, i->o32 ? 2 : 1, v);
        return;
    }
    /* The address is computed with ESP already incremented. */
    uint32_t old = c->regs[R_ESP];
    sp_add(c, (uint32_t)size);
    uint32_t ea = ea_of(c, i);
    c->regs[R_ESP] = old;
    cpu_check_write(c, i->seg, ea, (uint32_t)size);
    sp_add(c, (uint32_t)size);
    mem_set(c, i->seg, ea, i->o32 ? 2 : 1, v);
}

H(op_push_seg)
{
    int seg = i->op == 0x006 ? S_ES : i->op == 0x00E ? S_CS : i->op == 0x016 ? S_SS
            : i->op == 0x01E ? S_DS : i->op == 0x1A0 ? S_FS : S_GS;
    push(c, c->seg[seg].sel, osz(i));
}
H(op_pop_seg)
{
    int seg = i->op == 0x007 ? S_ES : i->op == 0x017 ? S_SS : i->op == 0x01F ? S_DS
            : i->op == 0x1A1 ? S_FS : S_GS;
    uint16_t sel = (uint16_t)pop_peek(c, osz(i), 0);
    /* ESP moves with the address size of the stack popped from, also when
     * POP SS loads a stack segment of the other size. */
    uint32_t m = sp_mask(c), esp = c->regs[R_ESP];
    load_seg(c, seg, sel);
    c->regs[R_ESP] = (esp & ~m) | ((esp + (uint32_t)osz(i)) & m);
    if (seg == S_SS) {
        c->inhibit_irq = INHIBIT_SS;
        c->need_check = true;
    }
}

H(op_pusha)
{
    int size = osz(i);
    uint32_t m = sp_mask(c), esp = c->regs[R_ESP];
    cpu_check_write(c, S_SS, (esp - (uint32_t)(8 * size)) & m, (uint32_t)(8 * size));
    uint32_t t = esp;
    for (int r = 0; r < 8; r++)
        push(c, r == R_ESP ? t : c->regs[r], size);
}
H(op_popa)
{
    int size = osz(i);
    uint32_t v[8];
    for (int r = 7; r >= 0; r--)
        v[r] = pop_peek(c, size, (uint32_t)((7 - r) * size));
    for (int r = 0; r < 8; r++)
        if (r != R_ESP)
            reg_set(c, r, size == 4 ? 2 : 1, v[r]);
    sp_add(c, (uint32_t)(8 * size));
}

H(op_pushf)
{
    if ((c->eflags & F_VM) && ((c->eflags & F_IOPL) >> 12) != 3)
        cpu_raise(c, EX_GP, 0);
    push(c, cpu_get_eflags(c) & ~(F_VM | F_RF), osz(i));
}
H(op_popf)
{
    if ((c->eflags & F_VM) && ((c->eflags & F_IOPL) >> 12) != 3)
        cpu_raise(c, EX_GP, 0);
    uint32_t v = pop_peek(c, osz(i), 0);
    uint32_t mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID;
    int iopl = (int)((c->eflags & F_IOPL) >> 12);
    if (!(c->cr0 & CR0_PE) || c->cpl == 0)
        mask |= F_IOPL;
    if (!(c->cr0 & CR0_PE) || c->cpl <= iopl || (c->eflags & F_VM))
        mask |= F_IF;
    if (c->eflags & F_VM)
        mask &= ~F_IOPL;
    if (!i->o32)
        mask &= 0xFFFF;
    sp_add(c, (uint32_t)osz(i));
    write_eflags(c, v, mask);
}

H(op_enter)
{
    int size = osz(i);
    uint32_t alloc = i->imm, level = i->imm2 & 31;
    uint32_t m = sp_mask(c);
    /* Registers change only when every access succeeded (a fault restarts ENTER). */
    uint32_t esp = c->regs[R_ESP], ebp = c->regs[R_EBP];
#define ENTER_PUSH(v)                                                                           \
    do {                                                                                        \
        uint32_t v_ = (v);                                                                      \
        esp = (esp & ~m) | ((esp - (uint32_t)size) & m);                                        \
        seg_write(c, S_SS, esp & m, v_, size);                                                  \
    } while (0)
    ENTER_PUSH(ebp);
    uint32_t frame = esp;
    if (level) {
        for (uint32_t l = 1; l < level; l++) {
            ebp = (ebp & ~m) | ((ebp - (uint32_t)size) & m);
            ENTER_PUSH(seg_read(c, S_SS, ebp & m, size));
        }
        ENTER_PUSH(frame);
    }
#undef ENTER_PUSH
    uint32_t nesp = (esp - alloc) & m;
    /* SDM: #SS or #PF "if a write using the final value of the stack pointer
     * would cause" one, although nothing is written there. */
    cpu_check_write(c, S_SS, nesp, (uint32_t)size);
    if (size == 4)
        c->regs[R_EBP] = frame;
    else
        set_r16(c, R_EBP, (uint16_t)frame);
    c->regs[R_ESP] = (esp & ~m) | nesp;
}
H(op_leave)
{
    uint32_t m = sp_mask(c);
    uint32_t bp = c->regs[R_EBP] & m;
    uint32_t v = seg_read(c, S_SS, bp, osz(i));
    c->regs[R_ESP] = (c->regs[R_ESP] & ~m) | ((bp + (uint32_t)osz(i)) & m);
    reg_set(c, R_EBP, i->o32 ? 2 : 1, v);
}

/* ------------------------------------------------------------------ control flow */

/* A near branch target; one beyond the CS limit faults at the branch itself. */
ALWAYS_INLINE uint32_t branch_target(CPU *c, const Insn *i, uint32_t target)
{
    uint32_t t = i->o32 ? target : (target & 0xFFFF);
    if (unlikely(t > c->seg[S_CS].limit))
        cpu_raise(c, EX_GP, 0);
    return t;
}

ALWAYS_INLINE void jump_to(CPU *c, const Insn *i, uint32_t target)
{
    c->eip = branch_target(c, i, target);
}

H(op_jcc) { if (cond_eval(c, i->sub)) jump_to(c, i, c->eip + i->imm); }
H(op_jmp_rel) { jump_to(c, i, c->eip + i->imm); }
H(op_call_rel)
{
    uint32_t t = branch_target(c, i, c->eip + i->imm);
    push(c, c->eip, osz(i));
    c->eip = t;
}
H(op_call_rm)
{
    uint32_t t = branch_target(c, i, rm_get(c, i, i->o32 ? 2 : 1));
    push(c, c->eip, osz(i));
    c->eip = t;
}
H(op_jmp_rm) { jump_to(c, i, rm_get(c, i, i->o32 ? 2 : 1)); }
H(op_ret)
{
    uint32_t t = branch_target(c, i, pop_peek(c, osz(i), 0));
    sp_add(c, (uint32_t)osz(i) + i->imm);
    c->eip = t;
}
H(op_retf) { do_far_ret(c, i->o32, (uint16_t)i->imm); }
H(op_jmp_far) { do_far_jmp(c, (uint16_t)i->imm2, i->imm); }
H(op_call_far) { do_far_call(c, (uint16_t)i->imm2, i->imm, i->o32, c->eip); }

/* FF /3 and /5: far pointer in memory */
static void far_ptr(CPU *c, const Insn *i, uint32_t *off, uint16_t *sel)
{
    if (i->mod3)
        cpu_raise(c, EX_UD, -1);
    uint32_t ea = ea_of(c, i);
    *off = i->o32 ? seg_read(c, i->seg, ea, 4) : seg_read(c, i->seg, ea, 2);
    *sel = (uint16_t)seg_read(c, i->seg, ea + (uint32_t)osz(i), 2);
}
H(op_call_far_m)
{
    uint32_t off;
    uint16_t sel;
    far_ptr(c, i, &off, &sel);
    do_far_call(c, sel, off, i->o32, c->eip);
}
H(op_jmp_far_m)
{
    uint32_t off;
    uint16_t sel;
    far_ptr(c, i, &off, &sel);
    do_far_jmp(c, sel, off);
}

ALWAYS_INLINE uint32_t count_reg(CPU *c, const Insn *i)
{
    return i->a32 ? c->regs[R_ECX] : get_r16(c, R_ECX);
}
ALWAYS_INLINE uint32_t dec_count(CPU *c, const Insn *i)
{
    if (i->a32)
        return --c->regs[R_ECX];
    set_r16(c, R_ECX, (uint16_t)(get_r16(c, R_ECX) - 1));
    return get_r16(c, R_ECX);
}
H(op_loop) { if (dec_count(c, i)) jump_to(c, i, c->eip + i->imm); }
H(op_loope) { if (dec_count(c, i) && lf_zf(c)) jump_to(c, i, c->eip + i->imm); }
H(op_loopne) { if (dec_count(c, i) && !lf_zf(c)) jump_to(c, i, c->eip + i->imm); }
H(op_jcxz) { if (!count_reg(c, i)) jump_to(c, i, c->eip + i->imm); }

H(op_int)
{
    if ((c->eflags & F_VM) && ((c->eflags & F_IOPL) >> 12) != 3)
        cpu_raise(c, EX_GP, 0);
    do_interrupt(c, (int)(i->imm & 0xFF), true, -1, c->eip);
}
H(op_int3) { do_interrupt(c, EX_BP, true, -1, c->eip); }
H(op_into) { if (lf_of(c)) do_interrupt(c, EX_OF, true, -1, c->eip); }
H(op_int1) { do_interrupt(c, EX_DB, false, -1, c->eip); }
H(op_iret)
{
    do_iret(c, i->o32);
    c->need_check = true;
}

H(op_bound)
{
    if (i->mod3)
        cpu_raise(c, EX_UD, -1);
    uint32_t ea = ea_of(c, i);
    int32_t v, lo, hi;
    if (i->o32) {
        v = (int32_t)c->regs[i->reg];
        lo = (int32_t)seg_read(c, i->seg, ea, 4);
        hi = (int32_t)seg_read(c, i->seg, ea + 4, 4);
    } else {
        v = (int16_t)get_r16(c, i->reg);
        lo = (int16_t)seg_read(c, i->seg, ea, 2);
        hi = (int16_t)seg_read(c, i->seg, ea + 2, 2);
    }
    if (v < lo || v > hi)
        cpu_raise(c, EX_BR, -1);
}

/* ------------------------------------------------------------------ string instructions */

/* Iterations done per execution of a REP instruction before letting
 * interrupts and timers in; the instruction then restarts itself. */
#define REP_CHUNK 4096

ALWAYS_INLINE uint32_t si_get(CPU *c, const Insn *i) { return i->a32 ? c->regs[R_ESI] : get_r16(c, R_ESI); }
ALWAYS_INLINE uint32_t di_get(CPU *c, const Insn *i) { return i->a32 ? c->regs[R_EDI] : get_r16(c, R_EDI); }
ALWAYS_INLINE void idx_add(CPU *c, const Insn *i, int r, int32_t d)
{
    if (i->a32)
        c->regs[r] += (uint32_t)d;
    else
        set_r16(c, r, (uint16_t)(get_r16(c, r) + d));
}
ALWAYS_INLINE void cnt_set(CPU *c, const Insn *i, uint32_t v)
{
    if (i->a32)
        c->regs[R_ECX] = v;
    else
        set_r16(c, R_ECX, (uint16_t)v);
}

/* Runs body up to REP_CHUNK times (or once without REP). kind: 0 plain
 * repeat, 1 repeat while equal/not-equal (CMPS/SCAS). */
#define STRING_LOOP(cmp, body)                                                                  \
    do {                                                                                        \
        if (!i->rep) {                                                                          \
            body;                                                                               \
            break;                                                                              \
        }                                                                                       \
        uint32_t n = count_reg(c, i);                                                           \
        int chunk_ = (c->eflags & F_TF) ? 1 : REP_CHUNK; /* single-step: trap each iteration */ \
        for (int k = 0; n && k < chunk_; k++) {                                                 \
            body;                                                                               \
            cnt_set(c, i, --n);                                                                 \
            if (cmp && (i->rep == 0xF3 ? !lf_zf(c) : lf_zf(c)))                                 \
                return;                                                                         \
        }                                                                                       \
        if (n)                                                                                  \
            c->eip = c->prev_eip;                                                               \
    } while (0)

ALWAYS_INLINE int32_t str_step(CPU *c, int sz)
{
    return (c->eflags & F_DF) ? -(1 << sz) : (1 << sz);
}

/* Whole elements from offset off of segment seg that a forward REP can
 * move at once: inside the segment's limit and the page, the page mapped by
 * the software TLB for the access (so RAM that is neither code nor watched).
 * Returns how many (at most n) and their host address in *p. */
static uint32_t rep_span(CPU *c, int seg, uint32_t off, int sz, uint32_t n, bool write, uint8_t **p)
{
    uint32_t lin = c->seg[seg].base + off;
    uint32_t k = (4096u - (lin & 0xFFF)) >> sz;
    if (k > n)
        k = n;
    int64_t lim = write ? c->seg_lim_w[seg] : c->seg_lim_r[seg];
    if ((int64_t)off + ((int64_t)k << sz) - 1 > lim)
        k = lim < (int64_t)off ? 0 : (uint32_t)((lim - off + 1) >> sz);
    TlbEntry *e = &c->tlbp[(lin >> 12) & (TLB_SIZE - 1)];
    if (!k || (write ? e->tag_write : e->tag_read) != (lin & ~0xFFFu))
        return 0;
    *p = (uint8_t *)(e->addend + lin);
    return k;
}

/* REP MOVS/STOS with 32-bit addresses, DF clear and no single-step: runs of
 * elements rep_span allows go with memmove/memset, the others one by one
 * through the ordinary path (which faults precisely); REP_CHUNK elements per
 * execution like STRING_LOOP. Returns false if the case is not this one. */
static bool rep_fast(CPU *c, const Insn *i, int sz, bool is_movs)
{
    if (!i->rep || !i->a32 || (c->eflags & (F_DF | F_TF)))
        return false;
    uint32_t n = c->regs[R_ECX], budget = REP_CHUNK, size = 1u << sz;
    uint32_t v = reg_get(c, R_EAX, sz);
    while (n && budget) {
        uint8_t *pd, *ps = NULL;
        uint32_t k = rep_span(c, S_ES, c->regs[R_EDI], sz, n < budget ? n : budget, true, &pd);
        if (k && is_movs)
            k = rep_span(c, i->seg, c->regs[R_ESI], sz, k, false, &ps);
        if (!k) { /* one element the slow way */
            if (is_movs) {
                mem_set(c, S_ES, c->regs[R_EDI], sz, mem_get(c, i->seg, c->regs[R_ESI], sz));
                c->regs[R_ESI] += size;
            } else
                mem_set(c, S_ES, c->regs[R_EDI], sz, v);
            k = 1;
        } else if (is_movs) {
            size_t len = (size_t)k << sz;
            if (pd > ps && pd < ps + len) /* overlap: each element is read, then written, in turn */
                for (size_t b = 0; b < len; b += size) {
                    uint32_t t;
                    memcpy(&t, ps + b, size);
                    memcpy(pd + b, &t, size);
                }
            else
                memmove(pd, ps, len);
            c->regs[R_ESI] += k << sz;
        } else if (sz == 0 || v == (v & 0xFF) * (sz == 1 ? 0x0101u : 0x01010101u))
            memset(pd, (int)(v & 0xFF), (size_t)k << sz); /* bytes all alike: zeroing pages */
        else
            for (uint32_t j = 0; j < k; j++)
                memcpy(pd + ((size_t)j << sz), &v, size);
        c->regs[R_EDI] += k << sz;
        c->regs[R_ECX] = n -= k;
        budget -= k;
    }
    if (n)
        c->eip = c->prev_eip;
    return true;
}

ALWAYS_INLINE void movs(CPU *c, const Insn *i, int sz)
{
    if (rep_fast(c, i, sz, true))
        return;
    int32_t d = str_step(c, sz);
    STRING_LOOP(0, {
        uint32_t v = mem_get(c, i->seg, si_get(c, i), sz);
        mem_set(c, S_ES, di_get(c, i), sz, v);
        idx_add(c, i, R_ESI, d);
        idx_add(c, i, R_EDI, d);
    });
}
ALWAYS_INLINE void stos(CPU *c, const Insn *i, int sz)
{
    if (rep_fast(c, i, sz, false))
        return;
    int32_t d = str_step(c, sz);
    uint32_t v = reg_get(c, R_EAX, sz);
    STRING_LOOP(0, {
        mem_set(c, S_ES, di_get(c, i), sz, v);
        idx_add(c, i, R_EDI, d);
    });
}
ALWAYS_INLINE void lods(CPU *c, const Insn *i, int sz)
{
    int32_t d = str_step(c, sz);
    STRING_LOOP(0, {
        reg_set(c, R_EAX, sz, mem_get(c, i->seg, si_get(c, i), sz));
        idx_add(c, i, R_ESI, d);
    });
}
ALWAYS_INLINE void cmps(CPU *c, const Insn *i, int sz)
{
    int32_t d = str_step(c, sz);
    STRING_LOOP(1, {
        uint32_t a = mem_get(c, i->seg, si_get(c, i), sz);
        uint32_t b = mem_get(c, S_ES, di_get(c, i), sz);
        alu(c, 7, sz, a, b);
        idx_add(c, i, R_ESI, d);
        idx_add(c, i, R_EDI, d);
    });
}
ALWAYS_INLINE void scas(CPU *c, const Insn *i, int sz)
{
    int32_t d = str_step(c, sz);
    uint32_t a = reg_get(c, R_EAX, sz);
    STRING_LOOP(1, {
        uint32_t b = mem_get(c, S_ES, di_get(c, i), sz);
        alu(c, 7, sz, a, b);
        idx_add(c, i, R_EDI, d);
    });
}
ALWAYS_INLINE void ins(CPU *c, const Insn *i, int sz)
{
    int32_t d = str_step(c, sz);
    uint16_t port = get_r16(c, R_EDX);
    io_check(c, port, 1 << sz);
    STRING_LOOP(0, {
        cpu_check_write(c, S_ES, di_get(c, i), 1u << sz);
        mem_set(c, S_ES, di_get(c, i), sz, port_read(c->m, port, sz));
        idx_add(c, i, R_EDI, d);
    });
}
ALWAYS_INLINE void outs(CPU *c, const Insn *i, int sz)
{
    int32_t d = str_step(c, sz);
    uint16_t port = get_r16(c, R_EDX);
    io_check(c, port, 1 << sz);
    STRING_LOOP(0, {
        port_write(c->m, port, mem_get(c, i->seg, si_get(c, i), sz), sz);
        idx_add(c, i, R_ESI, d);
    });
}
SIZED(movs)
SIZED(stos)
SIZED(lods)
SIZED(cmps)
SIZED(scas)
SIZED(ins)
SIZED(outs)

/* ------------------------------------------------------------------ port I/O */

ALWAYS_INLINE void in_op(CPU *c, int sz, uint16_t port)
{
    io_check(c, port, 1 << sz);
    reg_set(c, R_EAX, sz, port_read(c->m, port, sz));
}
ALWAYS_INLINE void out_op(CPU *c, int sz, uint16_t port)
{
    io_check(c, port, 1 << sz);
    port_write(c->m, port, reg_get(c, R_EAX, sz), sz);
}
ALWAYS_INLINE void in_ib(CPU *c, const Insn *i, int sz) { in_op(c, sz, (uint16_t)i->imm); }
ALWAYS_INLINE void in_dx(CPU *c, const Insn *i, int sz) { in_op(c, sz, get_r16(c, R_EDX)); }
ALWAYS_INLINE void out_ib(CPU *c, const Insn *i, int sz) { out_op(c, sz, (uint16_t)i->imm); }
ALWAYS_INLINE void out_dx(CPU *c, const Insn *i, int sz) { out_op(c, sz, get_r16(c, R_EDX)); }
SIZED(in_ib)
SIZED(in_dx)
SIZED(out_ib)
SIZED(out_dx)

/* ------------------------------------------------------------------ flags instructions */

static void flags_set_bits(CPU *c, uint32_t clear, uint32_t set)
{
    set_flags_eager(c, (lf_compute(c) & ~clear) | set);
}
H(op_clc) { flags_set_bits(c, F_CF, 0); }
H(op_stc) { flags_set_bits(c, 0, F_CF); }
H(op_cmc) { flags_set_bits(c, F_CF, lf_cf(c) ? 0 : F_CF); }
H(op_cld) { c->eflags &= ~F_DF; }
H(op_std) { c->eflags |= F_DF; }

static bool iopl_ok(CPU *c)
{
    if (!(c->cr0 & CR0_PE))
        return true;
    return c->cpl <= (int)((c->eflags & F_IOPL) >> 12) && !((c->eflags & F_VM) && ((c->eflags & F_IOPL) >> 12) != 3);
}
H(op_cli)
{
    if (!iopl_ok(c))
        cpu_raise(c, EX_GP, 0);
    c->eflags &= ~F_IF;
}
H(op_sti)
{
    if (!iopl_ok(c))
        cpu_raise(c, EX_GP, 0);
    if (!(c->eflags & F_IF)) {
        c->eflags |= F_IF;
        c->inhibit_irq = INHIBIT_STI;
        c->need_check = true;
    }
}
H(op_lahf)
{
    set_r8(c, 4, (uint8_t)((lf_compute(c) & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | 2));
}
H(op_sahf)
{
    uint32_t ah = get_r8(c, 4) & (F_SF | F_ZF | F_AF | F_PF | F_CF);
    set_flags_eager(c, (lf_compute(c) & F_OF) | ah);
}
H(op_salc) { set_r8(c, 0, lf_cf(c) ? 0xFF : 0); }
H(op_xlat)
{
    uint32_t a = (i->a32 ? c->regs[R_EBX] : get_r16(c, R_EBX)) + get_r8(c, 0);
    set_r8(c, 0, (uint8_t)seg_read(c, i->seg, i->a32 ? a : (a & 0xFFFF), 1));
}

/* ------------------------------------------------------------------ BCD */

H(op_daa)
{
    uint32_t al = get_r8(c, 0), f = lf_compute(c), nf = 0;
    bool cf = f & F_CF;
    uint32_t old = al;
    if ((al & 0xF) > 9 || (f & F_AF)) {
        al += 6;
        nf |= F_AF;
    }
    if (old > 0x99 || cf) {
        al += 0x60;
        nf |= F_CF;
    }
    al &= 0xFF;
    set_r8(c, 0, (uint8_t)al);
    set_flags_eager(c, nf | szp_flags(0, al) | (f & F_OF));
}
H(op_das)
{
    uint32_t al = get_r8(c, 0), f = lf_compute(c), nf = 0;
    bool cf = f & F_CF;
    uint32_t old = al;
    if ((al & 0xF) > 9 || (f & F_AF)) {
        if (al < 6)
            nf |= F_CF; /* borrow out of AL - 6 */
        al -= 6;
        nf |= F_AF;
    }
    if (old > 0x99 || cf) {
        al -= 0x60;
        nf |= F_CF;
    }
    al &= 0xFF;
    set_r8(c, 0, (uint8_t)al);
    set_flags_eager(c, nf | szp_flags(0, al) | (f & F_OF));
}
H(op_aaa)
{
    uint32_t f = lf_compute(c);
    uint16_t ax = get_r16(c, R_EAX);
    if ((ax & 0xF) > 9 || (f & F_AF)) {
        ax = (uint16_t)(ax + 0x106);
        f |= F_AF | F_CF;
    } else {
        f &= ~(F_AF | F_CF);
    }
    set_r16(c, R_EAX, ax & 0xFF0F);
    set_flags_eager(c, f);
}
H(op_aas)
{
    uint32_t f = lf_compute(c);
    uint16_t ax = get_r16(c, R_EAX);
    if ((ax & 0xF) > 9 || (f & F_AF)) {
        ax = (uint16_t)(ax - 6 - 0x100); /* AX - 6 borrows into AH, then AH - 1 */
        f |= F_AF | F_CF;
    } else {
        f &= ~(F_AF | F_CF);
    }
    set_r16(c, R_EAX, ax & 0xFF0F);
    set_flags_eager(c, f);
}
H(op_aam)
{
    uint32_t base = i->imm & 0xFF;
    if (!base)
        cpu_raise(c, EX_DE, -1);
    uint32_t al = get_r8(c, 0);
    set_r8(c, 4, (uint8_t)(al / base));
    set_r8(c, 0, (uint8_t)(al % base));
    set_flags_eager(c, szp_flags(0, al % base));
}
H(op_aad)
{
    uint32_t r = (get_r8(c, 0) + get_r8(c, 4) * (i->imm & 0xFF)) & 0xFF;
    set_r16(c, R_EAX, (uint16_t)r);
    set_flags_eager(c, szp_flags(0, r));
}

/* ------------------------------------------------------------------ segments */

static int sreg_of(CPU *c, int r)
{
    if (r > 5)
        cpu_raise(c, EX_UD, -1);
    return r;
}
H(op_mov_rm_sreg)
{
    uint16_t v = c->seg[sreg_of(c, i->reg)].sel;
    if (i->mod3)
        reg_set(c, i->rm, i->o32 ? 2 : 1, v);
    else
        mem_set(c, i->seg, ea_of(c, i), 1, v);
}
H(op_mov_sreg_rm)
{
    int s = sreg_of(c, i->reg);
    if (s == S_CS)
        cpu_raise(c, EX_UD, -1);
    load_seg(c, s, (uint16_t)rm_get(c, i, 1));
    if (s == S_SS) {
        c->inhibit_irq = INHIBIT_SS;
        c->need_check = true;
    }
}
static void load_far(CPU *c, const Insn *i, int seg)
{
    if (i->mod3)
        cpu_raise(c, EX_UD, -1);
    uint32_t ea = ea_of(c, i);
    uint32_t off = seg_read(c, i->seg, ea, osz(i));
    uint16_t sel = (uint16_t)seg_read(c, i->seg, ea + (uint32_t)osz(i), 2);
    load_seg(c, seg, sel);
    reg_set(c, i->reg, i->o32 ? 2 : 1, off);
}
H(op_les) { load_far(c, i, S_ES); }
H(op_lds) { load_far(c, i, S_DS); }
H(op_lss) { load_far(c, i, S_SS); }
H(op_lfs) { load_far(c, i, S_FS); }
H(op_lgs) { load_far(c, i, S_GS); }

/* ------------------------------------------------------------------ system instructions */

static void need_cpl0(CPU *c)
{
    if ((c->cr0 & CR0_PE) && (c->cpl != 0 || (c->eflags & F_VM)))
        cpu_raise(c, EX_GP, 0);
}
static void need_pmode(CPU *c)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM))
        cpu_raise(c, EX_UD, -1);
}

H(op_hlt)
{
    need_cpl0(c);
    c->halted = true;
    c->need_check = true;
}
H(op_nop)
{
    if (i->rep == 0xF3) /* PAUSE */
        pause_wait(c);
}
H(op_ud2) { cpu_raise(c, EX_UD, -1); }

void op_ud(CPU *c, const Insn *i)
{
    uint32_t lin = c->seg[S_CS].base + c->prev_eip;
    bool seen = false;
    for (uint32_t k = 0; k < c->ud_logged; k++)
        seen |= c->ud_addr[k] == lin;
    if (!seen && c->ud_logged < 16) {
        c->ud_addr[c->ud_logged] = lin;
        uint8_t b[8] = {0};
        cpu_debug_rw(c, lin, b, sizeof b, false);
        wb_log("unimplemented instruction at %04x:%08x: %02x %02x %02x %02x %02x %02x (#UD)",
               c->seg[S_CS].sel, c->prev_eip, b[0], b[1], b[2], b[3], b[4], b[5]);
        c->ud_logged++;
    }
    cpu_raise(c, EX_UD, -1);
}

/* 0F 00: SLDT STR LLDT LTR VERR VERW */
H(op_grp6)
{
    need_pmode(c);
    switch (i->sub) {
    case 0: rm_set(c, i, i->mod3 && i->o32 ? 2 : 1, c->seg[S_LDTR].sel); break;
    case 1: rm_set(c, i, i->mod3 && i->o32 ? 2 : 1, c->seg[S_TR].sel); break;
    case 2: need_cpl0(c); load_ldtr(c, (uint16_t)rm_get(c, i, 1)); break;
    case 3: need_cpl0(c); load_tr(c, (uint16_t)rm_get(c, i, 1)); break;
    case 4:
    case 5: {
        uint16_t sel = (uint16_t)rm_get(c, i, 1);
        uint32_t lo, hi, f = lf_compute(c) & ~F_ZF;
        if ((sel & ~3) && desc_load(c, sel, &lo, &hi)) {
            uint32_t a = (hi >> 8) & 0xFF, t = a & 0xF;
            int dpl = (a >> 5) & 3;
            bool ok = a & SEGF_S;
            if (ok && !((t & 8) && (t & 4)) && (dpl < c->cpl || dpl < (sel & 3)))
                ok = false;
            if (ok)
                ok = i->sub == 4 ? (!(t & 8) || (t & 2)) : (!(t & 8) && (t & 2));
            if (ok)
                f |= F_ZF;
        }
        set_flags_eager(c, f);
        break;
    }
    default: op_ud(c, i);
    }
}

/* 0F 01: SGDT SIDT LGDT LIDT SMSW - LMSW INVLPG */
H(op_grp7)
{
    switch (i->sub) {
    case 0:
    case 1: {
        if (i->mod3)
            op_ud(c, i);
        uint32_t ea = ea_of(c, i);
        uint32_t base = i->sub ? c->idt_base : c->gdt_base;
        uint32_t lim = i->sub ? c->idt_limit : c->gdt_limit;
        cpu_check_write(c, i->seg, ea, 6);
        mem_set(c, i->seg, ea, 1, lim);
        /* 16-bit operand size: 24 bits of base, the top byte 0 as on the
         * 386 and later (the 286 stored 0xFF, which iPXE's real-mode calls
         * would load back into IDTR with a 32-bit LIDT). */
        mem_set(c, i->seg, ea + 2, 2, i->o32 ? base : base & 0x00FFFFFF);
        break;
    }
    case 2:
    case 3: {
        if (i->mod3)
            op_ud(c, i);
        need_cpl0(c);
        uint32_t ea = ea_of(c, i);
        uint32_t lim = mem_get(c, i->seg, ea, 1);
        uint32_t base = mem_get(c, i->seg, ea + 2, 2);
        if (!i->o32)
            base &= 0x00FFFFFF;
        if (i->sub == 2) {
            c->gdt_base = base;
            c->gdt_limit = lim;
        } else {
            c->idt_base = base;
            c->idt_limit = lim;
        }
        break;
    }
    case 4: rm_set(c, i, i->mod3 && i->o32 ? 2 : 1, c->cr0); break;
    case 6: {
        need_cpl0(c);
        uint32_t v = rm_get(c, i, 1) & 0xF;
        /* LMSW cannot clear PE. */
        set_cr0(c, (c->cr0 & ~0xEu) | v | (c->cr0 & CR0_PE));
        break;
    }
    case 7:
        if (i->mod3)
            op_ud(c, i);
        need_cpl0(c);
        cpu_invlpg(c, c->seg[i->seg].base + ea_of(c, i));
        c->need_check = true; /* code reached through that page is looked up again */
        break;
    default: op_ud(c, i);
    }
}

H(op_lar_lsl)
{
    need_pmode(c);
    uint16_t sel = (uint16_t)rm_get(c, i, 1);
    uint32_t lo, hi, f = lf_compute(c) & ~F_ZF;
    bool lsl = i->op == 0x103;
    if ((sel & ~3) && desc_load(c, sel, &lo, &hi)) {
        uint32_t a = (hi >> 8) & 0xFF, t = a & 0xF;
        int dpl = (a >> 5) & 3;
        bool ok;
        if (a & SEGF_S)
            ok = ((t & 8) && (t & 4)) || (dpl >= c->cpl && dpl >= (sel & 3));
        else {
            static const uint16_t lar_ok = 0x3E2E, lsl_ok = 0x0A0E; /* valid system types */
            ok = ((lsl ? lsl_ok : lar_ok) >> t) & 1;
            ok = ok && dpl >= c->cpl && dpl >= (sel & 3);
        }
        if (ok) {
            uint32_t v = lsl ? desc_limit(lo, hi) : (hi & 0x00F0FF00u);
            reg_set(c, i->reg, i->o32 ? 2 : 1, v);
            f |= F_ZF;
        }
    }
    set_flags_eager(c, f);
}

H(op_arpl)
{
    need_pmode(c);
    uint32_t ea = 0;
    uint32_t d = rm_get_rmw(c, i, 1, &ea);
    uint32_t s = get_r16(c, i->reg);
    uint32_t f = lf_compute(c) & ~F_ZF;
    if ((d & 3) < (s & 3)) {
        rm_put(c, i, 1, ea, (d & ~3u) | (s & 3));
        f |= F_ZF;
    }
    set_flags_eager(c, f);
}

H(op_clts)
{
    need_cpl0(c);
    c->cr0 &= ~CR0_TS;
}
H(op_wbinvd) { need_cpl0(c); }

H(op_mov_r_cr)
{
    need_cpl0(c);
    uint32_t v;
    switch (i->reg) {
    case 0: v = c->cr0; break;
    case 2: v = c->cr2; break;
    case 3: v = c->cr3; break;
    case 4: v = c->cr4; break;
    default: cpu_raise(c, EX_UD, -1);
    }
    c->regs[i->rm] = v;
}
H(op_mov_cr_r)
{
    need_cpl0(c);
    uint32_t v = c->regs[i->rm];
    switch (i->reg) {
    case 0: set_cr0(c, v); break;
    case 2: c->cr2 = v; break;
    case 3: set_cr3(c, v); break;
    case 4: set_cr4(c, v); break;
    default: cpu_raise(c, EX_UD, -1);
    }
    c->need_check = true;
}
H(op_mov_r_dr)
{
    need_cpl0(c);
    int r = i->reg;
    if ((r == 4 || r == 5) && (c->cr4 & CR4_DE))
        cpu_raise(c, EX_UD, -1);
    if (r == 4 || r == 5)
        r += 2;
    c->regs[i->rm] = c->dr[r];
}
H(op_mov_dr_r)
{
    need_cpl0(c);
    int r = i->reg;
    if ((r == 4 || r == 5) && (c->cr4 & CR4_DE))
        cpu_raise(c, EX_UD, -1);
    if (r == 4 || r == 5)
        r += 2;
    uint32_t v = c->regs[i->rm];
    if (r == 6)
        v = (v & 0xE00F) | 0xFFFF0FF0u;
    else if (r == 7)
        v = (v & 0xFFFF2BFFu) | 0x400;
    c->dr[r] = v;
    if (r != 6)
        cpu_dr_update(c); /* breakpoints changed */
}

H(op_rdtsc)
{
    if ((c->cr4 & CR4_TSD) && c->cpl != 0 && (c->cr0 & CR0_PE))
        cpu_raise(c, EX_GP, 0);
    uint64_t t = cpu_tsc(c);
    c->regs[R_EAX] = (uint32_t)t;
    c->regs[R_EDX] = (uint32_t)(t >> 32);
}
H(op_rdmsr) { do_rdmsr(c); }
H(op_wrmsr) { do_wrmsr(c); }
H(op_cpuid) { do_cpuid(c); }
H(op_sysenter) { do_sysenter(c); c->need_check = true; }
H(op_sysexit) { do_sysexit(c); c->need_check = true; }

/* ------------------------------------------------------------------ x87 glue */

H(op_fpu)
{
    if (c->cr0 & (CR0_EM | CR0_TS))
        cpu_raise(c, EX_NM, -1);
    fpu_exec(c, (uint8_t)i->op, i->modrm, i->seg, i->mod3 ? 0 : ea_of(c, i), i->o32);
}
/* 0F AE /0 FXSAVE, /1 FXRSTOR: iPXE's real-mode calls preserve the FPU
 * with them. Not in CPUID (no FXSR, no SSE): OSes keep FNSAVE. */
static uint32_t fx_operand(CPU *c, const Insn *i)
{
    if (i->mod3 || (c->cr0 & CR0_EM))
        cpu_raise(c, EX_UD, -1);
    if (c->cr0 & CR0_TS)
        cpu_raise(c, EX_NM, -1);
    uint32_t ea = ea_of(c, i);
    if ((c->seg[i->seg].base + ea) & 15)
        cpu_raise(c, EX_GP, 0);
    return ea;
}
H(op_fxsave) { fpu_fxsave(c, i->seg, fx_operand(c, i)); }
H(op_fxrstor) { fpu_fxrstor(c, i->seg, fx_operand(c, i)); }
H(op_fwait)
{
    if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_raise(c, EX_NM, -1);
    fpu_wait(c);
}

/* ------------------------------------------------------------------ the opcode table */

#define B(fn, fl) {fn, fn, (fl), NULL}
#define V(name, fl) {name##_w, name##_d, (fl), NULL}
#define WD(f16, f32, fl) {f16, f32, (fl), NULL}
#define G(grp) {NULL, NULL, D_M | D_GRP, grp}

static const OpDesc grp1_b[8] = {[0 ... 7] = B(alu_rm_i_b, 0)};
static const OpDesc grp1_v[8] = {[0 ... 7] = V(alu_rm_i, 0)};
static const OpDesc grp2_1b[8] = {[0 ... 7] = B(shift_rm_1_b, 0)};
static const OpDesc grp2_1v[8] = {[0 ... 7] = V(shift_rm_1, 0)};
static const OpDesc grp2_clb[8] = {[0 ... 7] = B(shift_rm_cl_b, 0)};
static const OpDesc grp2_clv[8] = {[0 ... 7] = V(shift_rm_cl, 0)};
static const OpDesc grp2_ib[8] = {[0 ... 7] = B(shift_rm_ib_b, 0)};
static const OpDesc grp2_iv[8] = {[0 ... 7] = V(shift_rm_ib, 0)};
static const OpDesc grp3_b[8] = {
    [0] = B(test_rm_i_b, D_IB), [1] = B(test_rm_i_b, D_IB), [2] = B(not_rm_b, 0),
    [3] = B(neg_rm_b, 0),       [4] = B(op_mul_b, 0),       [5] = B(op_imul1_b, 0),
    [6] = B(op_div_b, 0),       [7] = B(op_idiv_b, 0)};
static const OpDesc grp3_v[8] = {
    [0] = V(test_rm_i, D_IZ), [1] = V(test_rm_i, D_IZ), [2] = V(not_rm, 0),
    [3] = V(neg_rm, 0),       [4] = V(op_mul, 0),       [5] = V(op_imul1, 0),
    [6] = V(op_div, 0),       [7] = V(op_idiv, 0)};
static const OpDesc grp4[8] = {[0] = B(incdec_rm_b, 0), [1] = B(incdec_rm_b, 0)};
static const OpDesc grp5[8] = {
    [0] = V(incdec_rm, 0),        [1] = V(incdec_rm, 0),      [2] = B(op_call_rm, D_END),
    [3] = B(op_call_far_m, D_END), [4] = B(op_jmp_rm, D_END),  [5] = B(op_jmp_far_m, D_END),
    [6] = B(op_push_rm, 0)};
static const OpDesc grp_8f[8] = {[0] = B(op_pop_rm, 0)};
static const OpDesc grp_c6[8] = {[0] = B(mov_rm_i_b, D_IB)};
static const OpDesc grp_c7[8] = {[0] = V(mov_rm_i, D_IZ)};
static const OpDesc grp6[8] = {[0 ... 5] = B(op_grp6, 0)};
static const OpDesc grp7[8] = {[0 ... 4] = B(op_grp7, 0), [6 ... 7] = B(op_grp7, 0)};
static const OpDesc grp8[8] = {[4 ... 7] = V(op_bt_ib, D_IB)};
static const OpDesc grp9[8] = {[1] = B(op_cmpxchg8b, 0)};
static const OpDesc grp15[8] = {[0] = B(op_fxsave, 0), [1] = B(op_fxrstor, 0)};

#define ALU_ROW(base)                                                                           \
    [base + 0] = B(alu_rm_r_b, D_M | D_ALU), [base + 1] = V(alu_rm_r, D_M | D_ALU),               \
    [base + 2] = B(alu_r_rm_b, D_M | D_ALU), [base + 3] = V(alu_r_rm, D_M | D_ALU),               \
    [base + 4] = B(alu_a_i_b, D_IB | D_ALU), [base + 5] = V(alu_a_i, D_IZ | D_ALU)

const OpDesc op_table[512] = {
    ALU_ROW(0x00), ALU_ROW(0x08), ALU_ROW(0x10), ALU_ROW(0x18),
    ALU_ROW(0x20), ALU_ROW(0x28), ALU_ROW(0x30), ALU_ROW(0x38),
    [0x06] = B(op_push_seg, 0), [0x07] = B(op_pop_seg, 0),
    [0x0E] = B(op_push_seg, 0),
    [0x16] = B(op_push_seg, 0), [0x17] = B(op_pop_seg, 0),
    [0x1E] = B(op_push_seg, 0), [0x1F] = B(op_pop_seg, 0),
    [0x27] = B(op_daa, 0), [0x2F] = B(op_das, 0), [0x37] = B(op_aaa, 0), [0x3F] = B(op_aas, 0),
    [0x40 ... 0x47] = WD(op_inc_r16, op_inc_r32, D_REG),
    [0x48 ... 0x4F] = WD(op_dec_r16, op_dec_r32, D_REG),
    [0x50 ... 0x57] = WD(op_push_r_w, op_push_r_d, D_REG),
    [0x58 ... 0x5F] = WD(op_pop_r_w, op_pop_r_d, D_REG),
    [0x60] = B(op_pusha, 0), [0x61] = B(op_popa, 0),
    [0x62] = B(op_bound, D_M), [0x63] = B(op_arpl, D_M),
    [0x68] = B(op_push_i, D_IZ), [0x69] = WD(op_imul_r_rm_i_w, op_imul_r_rm_i_d, D_M | D_IZ),
    [0x6A] = B(op_push_i, D_IBS), [0x6B] = WD(op_imul_r_rm_i_w, op_imul_r_rm_i_d, D_M | D_IBS),
    [0x6C] = B(ins_b, 0), [0x6D] = V(ins, 0), [0x6E] = B(outs_b, 0), [0x6F] = V(outs, 0),
    [0x70 ... 0x7F] = B(op_jcc, D_IBS | D_CC),
    [0x80] = {NULL, NULL, D_M | D_GRP | D_IB, grp1_b},
    [0x81] = {NULL, NULL, D_M | D_GRP | D_IZ, grp1_v},
    [0x82] = {NULL, NULL, D_M | D_GRP | D_IB, grp1_b},
    [0x83] = {NULL, NULL, D_M | D_GRP | D_IBS, grp1_v},
    [0x84] = B(test_rm_r_b, D_M), [0x85] = V(test_rm_r, D_M),
    [0x86] = B(xchg_rm_r_b, D_M), [0x87] = V(xchg_rm_r, D_M),
    [0x88] = B(mov_rm_r_b, D_M), [0x89] = V(mov_rm_r, D_M),
    [0x8A] = B(mov_r_rm_b, D_M), [0x8B] = V(mov_r_rm, D_M),
    [0x8C] = B(op_mov_rm_sreg, D_M), [0x8D] = WD(op_lea_w, op_lea_d, D_M),
    [0x8E] = B(op_mov_sreg_rm, D_M), [0x8F] = G(grp_8f),
    [0x90] = B(op_nop, 0),
    [0x91 ... 0x97] = WD(op_xchg_a_w, op_xchg_a_d, D_REG),
    [0x98] = WD(op_cbw, op_cwde, 0), [0x99] = WD(op_cwd, op_cdq, 0),
    [0x9A] = B(op_call_far, D_FAR | D_END), [0x9B] = B(op_fwait, 0),
    [0x9C] = B(op_pushf, 0), [0x9D] = B(op_popf, 0),
    [0x9E] = B(op_sahf, 0), [0x9F] = B(op_lahf, 0),
    [0xA0] = B(mov_a_moffs_b, D_MOFFS), [0xA1] = V(mov_a_moffs, D_MOFFS),
    [0xA2] = B(mov_moffs_a_b, D_MOFFS), [0xA3] = V(mov_moffs_a, D_MOFFS),
    [0xA4] = B(movs_b, 0), [0xA5] = V(movs, 0), [0xA6] = B(cmps_b, 0), [0xA7] = V(cmps, 0),
    [0xA8] = B(test_a_i_b, D_IB), [0xA9] = V(test_a_i, D_IZ),
    [0xAA] = B(stos_b, 0), [0xAB] = V(stos, 0), [0xAC] = B(lods_b, 0), [0xAD] = V(lods, 0),
    [0xAE] = B(scas_b, 0), [0xAF] = V(scas, 0),
    [0xB0 ... 0xB7] = B(mov_r_i_b, D_IB | D_REG),
    [0xB8 ... 0xBF] = V(mov_r_i, D_IZ | D_REG),
    [0xC0] = {NULL, NULL, D_M | D_GRP | D_IB, grp2_ib},
    [0xC1] = {NULL, NULL, D_M | D_GRP | D_IB, grp2_iv},
    [0xC2] = B(op_ret, D_IW | D_END), [0xC3] = B(op_ret, D_END),
    [0xC4] = B(op_les, D_M), [0xC5] = B(op_lds, D_M),
    [0xC6] = G(grp_c6), [0xC7] = G(grp_c7),
    [0xC8] = B(op_enter, D_ENTER), [0xC9] = B(op_leave, 0),
    [0xCA] = B(op_retf, D_IW | D_END), [0xCB] = B(op_retf, D_END),
    [0xCC] = B(op_int3, D_END), [0xCD] = B(op_int, D_IB | D_END), [0xCE] = B(op_into, 0),
    [0xCF] = B(op_iret, D_END),
    [0xD0] = G(grp2_1b), [0xD1] = G(grp2_1v), [0xD2] = G(grp2_clb), [0xD3] = G(grp2_clv),
    [0xD4] = B(op_aam, D_IB), [0xD5] = B(op_aad, D_IB), [0xD6] = B(op_salc, 0),
    [0xD7] = B(op_xlat, 0),
    [0xD8 ... 0xDF] = B(op_fpu, D_M),
    [0xE0] = B(op_loopne, D_IBS), [0xE1] = B(op_loope, D_IBS), [0xE2] = B(op_loop, D_IBS),
    [0xE3] = B(op_jcxz, D_IBS),
    [0xE4] = B(in_ib_b, D_IB), [0xE5] = V(in_ib, D_IB),
    [0xE6] = B(out_ib_b, D_IB), [0xE7] = V(out_ib, D_IB),
    [0xE8] = B(op_call_rel, D_IZ | D_END), [0xE9] = B(op_jmp_rel, D_IZ | D_END),
    [0xEA] = B(op_jmp_far, D_FAR | D_END), [0xEB] = B(op_jmp_rel, D_IBS | D_END),
    [0xEC] = B(in_dx_b, 0), [0xED] = V(in_dx, 0), [0xEE] = B(out_dx_b, 0), [0xEF] = V(out_dx, 0),
    [0xF1] = B(op_int1, D_END), [0xF4] = B(op_hlt, D_END), [0xF5] = B(op_cmc, 0),
    [0xF6] = G(grp3_b), [0xF7] = G(grp3_v), [0xF8] = B(op_clc, 0), [0xF9] = B(op_stc, 0),
    [0xFA] = B(op_cli, 0), [0xFB] = B(op_sti, 0), [0xFC] = B(op_cld, 0), [0xFD] = B(op_std, 0),
    [0xFE] = G(grp4), [0xFF] = G(grp5),

    [0x100] = G(grp6), [0x101] = G(grp7),
    [0x102] = B(op_lar_lsl, D_M), [0x103] = B(op_lar_lsl, D_M),
    [0x106] = B(op_clts, 0), [0x108] = B(op_wbinvd, 0), [0x109] = B(op_wbinvd, 0),
    [0x10B] = B(op_ud2, D_END),
    [0x118 ... 0x11F] = B(op_nop, D_M),
    [0x120] = B(op_mov_r_cr, D_M), [0x121] = B(op_mov_r_dr, D_M),
    [0x122] = B(op_mov_cr_r, D_M), [0x123] = B(op_mov_dr_r, D_M),
    [0x130] = B(op_wrmsr, 0), [0x131] = B(op_rdtsc, 0), [0x132] = B(op_rdmsr, 0),
    [0x134] = B(op_sysenter, D_END), [0x135] = B(op_sysexit, D_END),
    [0x140 ... 0x14F] = WD(op_cmov_w, op_cmov_d, D_M | D_CC),
    [0x180 ... 0x18F] = B(op_jcc, D_IZ | D_CC),
    [0x190 ... 0x19F] = B(op_setcc, D_M | D_CC),
    [0x1A0] = B(op_push_seg, 0), [0x1A1] = B(op_pop_seg, 0), [0x1A2] = B(op_cpuid, 0),
    [0x1A3] = V(op_bt, D_M), [0x1A4] = WD(op_shld_ib_w, op_shld_ib_d, D_M | D_IB),
    [0x1A5] = WD(op_shld_cl_w, op_shld_cl_d, D_M),
    [0x1A8] = B(op_push_seg, 0), [0x1A9] = B(op_pop_seg, 0),
    [0x1AB] = V(op_bts, D_M), [0x1AC] = WD(op_shrd_ib_w, op_shrd_ib_d, D_M | D_IB),
    [0x1AD] = WD(op_shrd_cl_w, op_shrd_cl_d, D_M), [0x1AE] = G(grp15),
    [0x1AF] = WD(op_imul_r_rm_w, op_imul_r_rm_d, D_M),
    [0x1B0] = B(cmpxchg_b, D_M), [0x1B1] = V(cmpxchg, D_M),
    [0x1B2] = B(op_lss, D_M), [0x1B3] = V(op_btr, D_M),
    [0x1B4] = B(op_lfs, D_M), [0x1B5] = B(op_lgs, D_M),
    [0x1B6] = WD(op_movzx_b_w, op_movzx_b_d, D_M), [0x1B7] = B(op_movzx_w_d, D_M),
    [0x1BA] = G(grp8), [0x1BB] = V(op_btc, D_M),
    [0x1BC] = WD(op_bsf_w, op_bsf_d, D_M), [0x1BD] = WD(op_bsr_w, op_bsr_d, D_M),
    [0x1BE] = WD(op_movsx_b_w, op_movsx_b_d, D_M), [0x1BF] = B(op_movsx_w_d, D_M),
    [0x1C0] = B(xadd_b, D_M), [0x1C1] = V(xadd, D_M),
    [0x1C7] = G(grp9),
    [0x1C8 ... 0x1CF] = B(op_bswap, D_REG),
};
