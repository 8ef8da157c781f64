/* A small x86-64 machine-code emitter for the translator (cpu/jit.c).
 *
 * Only what the translator needs: the integer ALU, moves, LEA, shifts,
 * multiplies, SETcc/CMOVcc, branches, calls, PUSH/POP, with register or
 * [base + index*scale + disp32] operands. Registers are numbered as in the
 * encoding (RAX..R15); AH_..BH_ name the legacy high-byte registers, which
 * can only be used in an instruction without a REX prefix. The caller makes
 * sure the buffer has room (the translator checks once per instruction). */
#pragma once
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum { AH_ = 20, CH_, DH_, BH_ }; /* high bytes of RAX..RBX, REX not allowed */

/* Condition codes, as in Jcc/SETcc/CMOVcc (the guest uses the same). */
enum { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
       CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G };

/* ALU operations in encoding order (opcode bits 3-5, group-1 /digit). */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };
/* Shift group /digit. */
enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

typedef struct Emit {
    uint8_t *p;
    uint8_t *start, *end;
} Emit;

static inline void e8(Emit *e, unsigned v)
{
    *e->p++ = (uint8_t)v;
}
static inline void e16(Emit *e, uint32_t v)
{
    uint16_t w = (uint16_t)v;
    memcpy(e->p, &w, 2);
    e->p += 2;
}
static inline void e32(Emit *e, uint32_t v)
{
    memcpy(e->p, &v, 4);
    e->p += 4;
}
static inline void e64(Emit *e, uint64_t v)
{
    memcpy(e->p, &v, 8);
    e->p += 8;
}

/* An r/m operand: a register, or memory at [base + index << scale + disp]. */
typedef struct XRM {
    bool mem;
    int8_t reg, base, index;
    uint8_t scale;
    int32_t disp;
} XRM;

static inline XRM XR(int r)
{
    return (XRM){.mem = false, .reg = (int8_t)r, .base = -1, .index = -1};
}
static inline XRM XM(int base, int32_t disp)
{
    return (XRM){.mem = true, .reg = -1, .base = (int8_t)base, .index = -1, .disp = disp};
}
static inline XRM XMI(int base, int index, int scale, int32_t disp)
{
    return (XRM){.mem = true, .reg = -1, .base = (int8_t)base, .index = (int8_t)index,
                 .scale = (uint8_t)scale, .disp = disp};
}

static inline bool fits8(int64_t v)
{
    return v >= -128 && v <= 127;
}

static inline int x_low(int r)
{
    return r >= AH_ ? r - AH_ + 4 : r & 7;
}

/* Prefixes, opcode (0x0Fxx for two bytes) and ModRM/SIB/displacement.
 * size: operand size in bytes (1, 2, 4, 8); reg: register or /digit. */
static inline void x_op(Emit *e, int size, unsigned op, int reg, XRM rm)
{
    bool hi = reg >= AH_ || (!rm.mem && rm.reg >= AH_);
    if (size == 2)
        e8(e, 0x66);
    unsigned rex = size == 8 ? 8 : 0;
    if (reg >= 8 && reg < AH_)
        rex |= 4;
    if (rm.mem) {
        if (rm.base >= 8)
            rex |= 1;
        if (rm.index >= 8)
            rex |= 2;
    } else if (rm.reg >= 8 && rm.reg < AH_) {
        rex |= 1;
    }
    if (rex) {
        assert(!hi);
        e8(e, 0x40 | rex);
    }
    (void)hi;
    if (op > 0xFF)
        e8(e, op >> 8);
    e8(e, op & 0xFF);
    int r = x_low(reg);
    if (!rm.mem) {
        e8(e, 0xC0 | r << 3 | x_low(rm.reg));
        return;
    }
    int b = rm.base, x = rm.index;
    if (b < 0) { /* no base: [index << scale + disp32] (or [disp32]) */
        e8(e, (unsigned)(r << 3 | 4));
        e8(e, (unsigned)(rm.scale << 6 | ((x < 0 ? 4 : x) & 7) << 3 | 5));
        e32(e, (uint32_t)rm.disp);
        return;
    }
    int mod = (rm.disp == 0 && (b & 7) != 5) ? 0 : fits8(rm.disp) ? 1 : 2;
    if (x < 0 && (b & 7) != 4) {
        e8(e, (unsigned)(mod << 6 | r << 3 | (b & 7)));
    } else {
        e8(e, (unsigned)(mod << 6 | r << 3 | 4));
        e8(e, (unsigned)(rm.scale << 6 | ((x < 0 ? 4 : x) & 7) << 3 | (b & 7)));
    }
    if (mod == 1)
        e8(e, (uint8_t)rm.disp);
    else if (mod == 2)
        e32(e, (uint32_t)rm.disp);
}

static inline void x_imm(Emit *e, int size, uint32_t imm)
{
    if (size == 1)
        e8(e, imm);
    else if (size == 2)
        e16(e, imm);
    else
        e32(e, imm);
}

/* ---- data movement */
static inline void x_mov_rm_r(Emit *e, int size, XRM dst, int src)
{
    x_op(e, size, size == 1 ? 0x88 : 0x89, src, dst);
}
static inline void x_mov_r_rm(Emit *e, int size, int dst, XRM src)
{
    x_op(e, size, size == 1 ? 0x8A : 0x8B, dst, src);
}
static inline void x_mov_rr(Emit *e, int size, int dst, int src)
{
    x_mov_rm_r(e, size, XR(dst), src);
}
/* MOV r/m, imm (size 8: sign-extended imm32). */
static inline void x_mov_rm_i(Emit *e, int size, XRM dst, uint32_t imm)
{
    x_op(e, size, size == 1 ? 0xC6 : 0xC7, 0, dst);
    x_imm(e, size == 8 ? 4 : size, imm);
}
/* MOV r32, imm32 (zero-extends into the 64-bit register). */
static inline void x_mov_r32_i(Emit *e, int dst, uint32_t imm)
{
    if (dst >= 8)
        e8(e, 0x41);
    e8(e, 0xB8 + (dst & 7));
    e32(e, imm);
}
static inline void x_mov_r64_i64(Emit *e, int dst, uint64_t imm)
{
    e8(e, 0x48 | (dst >= 8 ? 1 : 0));
    e8(e, 0xB8 + (dst & 7));
    e64(e, imm);
}
/* MOVZX/MOVSX r32, r/m8 or r/m16. */
static inline void x_movzx(Emit *e, int srcsize, int dst, XRM src)
{
    x_op(e, 4, srcsize == 1 ? 0x0FB6 : 0x0FB7, dst, src);
}
static inline void x_movsx(Emit *e, int srcsize, int dst, XRM src)
{
    x_op(e, 4, srcsize == 1 ? 0x0FBE : 0x0FBF, dst, src);
}
static inline void x_lea(Emit *e, int size, int dst, XRM m)
{
    x_op(e, size, 0x8D, dst, m);
}
static inline void x_xchg_rm_r(Emit *e, int size, XRM rm, int r)
{
    x_op(e, size, size == 1 ? 0x86 : 0x87, r, rm);
}

/* ---- ALU */
static inline void x_alu_rm_r(Emit *e, int op, int size, XRM dst, int src)
{
    x_op(e, size, (unsigned)(op << 3 | (size == 1 ? 0 : 1)), src, dst);
}
static inline void x_alu_r_rm(Emit *e, int op, int size, int dst, XRM src)
{
    x_op(e, size, (unsigned)(op << 3 | (size == 1 ? 2 : 3)), dst, src);
}
static inline void x_alu_rm_i(Emit *e, int op, int size, XRM dst, uint32_t imm)
{
    if (size == 1) {
        x_op(e, 1, 0x80, op, dst);
        e8(e, imm);
    } else if (fits8((int32_t)(size == 2 ? (uint32_t)(int16_t)imm : imm))) {
        x_op(e, size, 0x83, op, dst);
        e8(e, imm);
    } else {
        x_op(e, size, 0x81, op, dst);
        x_imm(e, size == 8 ? 4 : size, imm);
    }
}
static inline void x_test_rm_r(Emit *e, int size, XRM a, int b)
{
    x_op(e, size, size == 1 ? 0x84 : 0x85, b, a);
}
static inline void x_test_rm_i(Emit *e, int size, XRM a, uint32_t imm)
{
    x_op(e, size, size == 1 ? 0xF6 : 0xF7, 0, a);
    x_imm(e, size == 8 ? 4 : size, imm);
}
/* Group 3 (/2 NOT, /3 NEG, /4 MUL, /5 IMUL, /6 DIV, /7 IDIV) and group 4/5 (/0 INC, /1 DEC). */
static inline void x_grp3(Emit *e, int digit, int size, XRM rm)
{
    x_op(e, size, size == 1 ? 0xF6 : 0xF7, digit, rm);
}
static inline void x_incdec(Emit *e, bool dec, int size, XRM rm)
{
    x_op(e, size, size == 1 ? 0xFE : 0xFF, dec ? 1 : 0, rm);
}
static inline void x_shift_i(Emit *e, int op, int size, XRM rm, int cnt)
{
    if (cnt == 1) {
        x_op(e, size, size == 1 ? 0xD0 : 0xD1, op, rm);
    } else {
        x_op(e, size, size == 1 ? 0xC0 : 0xC1, op, rm);
        e8(e, (unsigned)cnt);
    }
}
static inline void x_shift_cl(Emit *e, int op, int size, XRM rm)
{
    x_op(e, size, size == 1 ? 0xD2 : 0xD3, op, rm);
}
static inline void x_imul_r_rm(Emit *e, int size, int dst, XRM src)
{
    x_op(e, size, 0x0FAF, dst, src);
}
static inline void x_bt_i(Emit *e, int size, XRM rm, int bit)
{
    x_op(e, size, 0x0FBA, 4, rm);
    e8(e, (unsigned)bit);
}
static inline void x_setcc(Emit *e, int cc, XRM rm8)
{
    x_op(e, 1, 0x0F90 + (unsigned)cc, 0, rm8);
}
static inline void x_cmovcc(Emit *e, int cc, int size, int dst, XRM src)
{
    x_op(e, size, 0x0F40 + (unsigned)cc, dst, src);
}
static inline void x_bswap(Emit *e, int r)
{
    if (r >= 8)
        e8(e, 0x41);
    e8(e, 0x0F);
    e8(e, 0xC8 + (r & 7));
}

/* ---- stack and flags */
static inline void x_push(Emit *e, int r)
{
    if (r >= 8)
        e8(e, 0x41);
    e8(e, 0x50 + (r & 7));
}
static inline void x_pop(Emit *e, int r)
{
    if (r >= 8)
        e8(e, 0x41);
    e8(e, 0x58 + (r & 7));
}
static inline void x_pushfq(Emit *e)
{
    e8(e, 0x9C);
}
static inline void x_popfq(Emit *e)
{
    e8(e, 0x9D);
}
static inline void x_ret(Emit *e)
{
    e8(e, 0xC3);
}

/* ---- control flow. Branches return the address of their rel32 field so
 * the target can be filled in later (x_patch). */
static inline void x_patch(uint8_t *rel32, const uint8_t *target)
{
    int32_t d = (int32_t)(target - (rel32 + 4));
    memcpy(rel32, &d, 4);
}
static inline uint8_t *x_jmp(Emit *e, const uint8_t *target)
{
    e8(e, 0xE9);
    uint8_t *at = e->p;
    e32(e, 0);
    if (target)
        x_patch(at, target);
    return at;
}
static inline uint8_t *x_jcc(Emit *e, int cc, const uint8_t *target)
{
    e8(e, 0x0F);
    e8(e, 0x80 + (unsigned)cc);
    uint8_t *at = e->p;
    e32(e, 0);
    if (target)
        x_patch(at, target);
    return at;
}
/* Short forward branch: returns the address of its rel8 (x_patch8). */
static inline uint8_t *x_jcc8(Emit *e, int cc)
{
    e8(e, 0x70 + (unsigned)cc);
    e8(e, 0);
    return e->p - 1;
}
static inline uint8_t *x_jmp8(Emit *e)
{
    e8(e, 0xEB);
    e8(e, 0);
    return e->p - 1;
}
static inline void x_patch8(uint8_t *rel8, const uint8_t *target)
{
    ptrdiff_t d = target - (rel8 + 1);
    assert(d >= -128 && d <= 127);
    *rel8 = (uint8_t)(int8_t)d;
}
static inline uint8_t *x_call(Emit *e, const uint8_t *target)
{
    e8(e, 0xE8);
    uint8_t *at = e->p;
    e32(e, 0);
    if (target)
        x_patch(at, target);
    return at;
}
static inline void x_call_r(Emit *e, int r)
{
    x_op(e, 4, 0xFF, 2, XR(r));
}
static inline void x_jmp_r(Emit *e, int r)
{
    x_op(e, 4, 0xFF, 4, XR(r));
}
static inline void x_jmp_m(Emit *e, XRM m)
{
    x_op(e, 4, 0xFF, 4, m);
}
