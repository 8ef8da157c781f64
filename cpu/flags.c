/* Lazy arithmetic flags: the last flag-setting operation is remembered as
 * (kind, size, a, b, result) and each flag is derived only when read. */
#include "cpu/cpu_internal.h"

static inline int lf_kind(CPU *c)
{
    return (int)(c->lf_op >> 2);
}
static inline int lf_sz(CPU *c)
{
    return (int)(c->lf_op & 3);
}
static inline int32_t sext_sz(uint32_t v, int sz)
{
    return sz == 0 ? (int8_t)v : sz == 1 ? (int16_t)v : (int32_t)v;
}

bool lf_cf(CPU *c)
{
    uint32_t a = c->lf_a, b = c->lf_b, r = c->lf_res;
    switch (lf_kind(c)) {
    case LF_ADD:
        return r < a;
    case LF_ADC:
        return (c->lf_aux & 1) ? r <= a : r < a;
    case LF_SUB:
        return a < b;
    case LF_SBB:
        return (c->lf_aux & 1) ? a <= b : a < b;
    case LF_LOGIC:
        return false;
    case LF_INC:
    case LF_DEC:
    case LF_MUL:
        return c->lf_aux & 1;
    case LF_SHL: {
        uint32_t bits = 8u << lf_sz(c);
        return b <= bits ? (a >> (bits - b)) & 1 : 0;
    }
    case LF_SHR:
        return b <= (8u << lf_sz(c)) ? (a >> (b - 1)) & 1 : 0;
    case LF_SAR: {
        int32_t sa = sext_sz(a, lf_sz(c));
        return b < (8u << lf_sz(c)) ? ((uint32_t)(sa >> (b - 1)) & 1) : ((uint32_t)sa >> 31);
    }
    default:
        return c->lf_aux & F_CF;
    }
}

bool lf_zf(CPU *c)
{
    if (lf_kind(c) == LF_EAGER)
        return c->lf_aux & F_ZF;
    return c->lf_res == 0;
}

bool lf_sf(CPU *c)
{
    if (lf_kind(c) == LF_EAGER)
        return c->lf_aux & F_SF;
    return (c->lf_res & sz_sign(lf_sz(c))) != 0;
}

bool lf_of(CPU *c)
{
    uint32_t a = c->lf_a, b = c->lf_b, r = c->lf_res, s = sz_sign(lf_sz(c));
    switch (lf_kind(c)) {
    case LF_ADD:
    case LF_ADC:
        return ((a ^ r) & (b ^ r) & s) != 0;
    case LF_SUB:
    case LF_SBB:
        return ((a ^ b) & (a ^ r) & s) != 0;
    case LF_LOGIC:
        return false;
    case LF_INC:
        return r == s;
    case LF_DEC:
        return r == s - 1;
    case LF_MUL:
        return c->lf_aux & 1;
    case LF_SHL:
        return ((r & s) != 0) ^ lf_cf(c);
    case LF_SHR:
        return (a & s) != 0;
    case LF_SAR:
        return false;
    default:
        return c->lf_aux & F_OF;
    }
}

bool lf_pf(CPU *c)
{
    if (lf_kind(c) == LF_EAGER)
        return c->lf_aux & F_PF;
    return !__builtin_parity(c->lf_res & 0xFF);
}

static bool lf_af(CPU *c)
{
    uint32_t a = c->lf_a, b = c->lf_b, r = c->lf_res;
    switch (lf_kind(c)) {
    case LF_ADD:
    case LF_ADC:
    case LF_SUB:
    case LF_SBB:
        return ((a ^ b ^ r) & 0x10) != 0;
    case LF_INC:
        return (r & 0xF) == 0;
    case LF_DEC:
        return (r & 0xF) == 0xF;
    case LF_LOGIC:
    case LF_MUL:
    case LF_SHL:
    case LF_SHR:
    case LF_SAR:
        return false;
    default:
        return c->lf_aux & F_AF;
    }
}

uint32_t lf_compute(CPU *c)
{
    if (lf_kind(c) == LF_EAGER)
        return c->lf_aux & F_ARITH;
    return (lf_cf(c) ? F_CF : 0) | (lf_pf(c) ? F_PF : 0) | (lf_af(c) ? F_AF : 0) |
           (lf_zf(c) ? F_ZF : 0) | (lf_sf(c) ? F_SF : 0) | (lf_of(c) ? F_OF : 0);
}

static inline int32_t sext(uint32_t v, int sz)
{
    return sz == 0 ? (int8_t)v : sz == 1 ? (int16_t)v : (int32_t)v;
}

bool cond_eval(CPU *c, int cc)
{
    bool r;
    /* After CMP/SUB the conditions are plain comparisons of the operands. */
    if (lf_kind(c) == LF_SUB) {
        uint32_t a = c->lf_a, b = c->lf_b;
        int sz = lf_sz(c);
        switch (cc >> 1) {
        case 1: r = a < b; break;                             /* B */
        case 2: r = a == b; break;                            /* Z */
        case 3: r = a <= b; break;                            /* BE */
        case 6: r = sext(a, sz) < sext(b, sz); break;         /* L */
        case 7: r = sext(a, sz) <= sext(b, sz); break;        /* LE */
        default: goto generic;
        }
        return r ^ (cc & 1);
    }
generic:
    switch (cc >> 1) {
    case 0: r = lf_of(c); break;
    case 1: r = lf_cf(c); break;
    case 2: r = lf_zf(c); break;
    case 3: r = lf_cf(c) || lf_zf(c); break;
    case 4: r = lf_sf(c); break;
    case 5: r = lf_pf(c); break;
    case 6: r = lf_sf(c) != lf_of(c); break;
    default: r = lf_zf(c) || (lf_sf(c) != lf_of(c)); break;
    }
    return r ^ (cc & 1);
}

uint32_t cpu_get_eflags(CPU *c)
{
    return (c->eflags & ~F_ARITH) | lf_compute(c) | 2u;
}

void cpu_set_eflags(CPU *c, uint32_t val)
{
    c->eflags = (val & ~F_ARITH & 0x003F7FD5u) | 2u;
    set_flags_eager(c, val);
    c->need_check = true;
}
