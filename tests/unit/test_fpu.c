/* x87 FPU unit tests: fpu_exec driven directly on a bare machine in flat
 * 32-bit protected mode, memory operands in guest RAM. */
#include <check.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "hw/pc.h"

#define BUF 0x1000u /* guest offset of memory operands */

static Machine *m;
static CPU *c;
static FPU *f;

static void setup(void)
{
    m = machine_new_bare(1u << 20);
    ck_assert_ptr_nonnull(m);
    c = m->cpu;
    f = &c->fpu;
    c->cr0 = CR0_PE | CR0_ET | CR0_NE;
    /* cpu_raise delivers through the IDT: give it a flat GDT (0x08 code,
     * 0x10 data) and 32 interrupt gates to 0x08:0x2000, stack at 0x8000. */
    static const uint64_t gdt[3] = {0, 0x00CF9B000000FFFFull, 0x00CF93000000FFFFull};
    memcpy(m->ram + 0x800, gdt, sizeof gdt);
    for (int v = 0; v < 32; v++) {
        uint64_t gate = 0x8E00ull << 32 | 0x08u << 16 | 0x2000u;
        memcpy(m->ram + 0x900 + 8 * v, &gate, 8);
    }
    c->gdt_base = 0x800;
    c->gdt_limit = sizeof gdt - 1;
    c->idt_base = 0x900;
    c->idt_limit = 32 * 8 - 1;
    c->regs[R_ESP] = 0x8000;
    cpu_set_seg_raw(c, S_CS, 0x08, 0, 0xFFFFFFFF, 0xC09B);
    cpu_set_seg_raw(c, S_DS, 0x10, 0, 0xFFFFFFFF, 0xC093);
    cpu_set_seg_raw(c, S_ES, 0x10, 0, 0xFFFFFFFF, 0xC093);
    cpu_set_seg_raw(c, S_SS, 0x10, 0, 0xFFFFFFFF, 0xC093);
    cpu_update_mode(c);
    fpu_reset(f);
    c->prev_eip = 0x1234;
}

static void teardown(void)
{
    machine_free(m);
}

/* ---- helpers ---- */
#define MEM(reg) ((uint8_t)((reg) << 3))                 /* a memory ModRM (mod 0) */
#define REG(reg, i) ((uint8_t)(0xC0 | (reg) << 3 | (i))) /* a register ModRM */

static void x(uint8_t op, uint8_t modrm)
{
    fpu_exec(c, op, modrm, S_DS, BUF, true);
}

/* Run one instruction; returns the vector it raised or -1. */
static int xr(uint8_t op, uint8_t modrm)
{
    c->last_vector = -1;
    c->regs[R_ESP] = 0x8000;
    if (setjmp(c->jmp))
        return c->last_vector;
    x(op, modrm);
    return -1;
}

static uint8_t *mem(uint32_t off)
{
    return m->ram + BUF + off;
}
static void put32(uint32_t off, uint32_t v)
{
    memcpy(mem(off), &v, 4);
}
static void put64(uint32_t off, uint64_t v)
{
    memcpy(mem(off), &v, 8);
}
static uint16_t get16(uint32_t off)
{
    uint16_t v;
    memcpy(&v, mem(off), 2);
    return v;
}
static uint32_t get32(uint32_t off)
{
    uint32_t v;
    memcpy(&v, mem(off), 4);
    return v;
}
static uint64_t get64(uint32_t off)
{
    uint64_t v;
    memcpy(&v, mem(off), 8);
    return v;
}
static void putf(float v)
{
    memcpy(mem(0), &v, 4);
}
static void putd(double v)
{
    memcpy(mem(0), &v, 8);
}

static void ld(long double v) /* FLD m80 */
{
    memset(mem(0), 0, 16);
    memcpy(mem(0), &v, 10);
    x(0xDB, MEM(5));
}

static long double st(int i)
{
    return f->st[(f->top + i) & 7];
}
static uint16_t sw(void)
{
    return fpu_get_sw(f);
}
static int top(void)
{
    return (sw() >> 11) & 7;
}
static int tagp(int i)
{
    return (f->tag >> 2 * ((f->top + i) & 7)) & 3;
}
static uint64_t mant(long double v)
{
    uint64_t r;
    memcpy(&r, &v, 8);
    return r;
}
static uint16_t sexp(long double v)
{
    uint16_t r;
    memcpy(&r, (char *)&v + 8, 2);
    return r;
}
static bool is_indef(long double v)
{
    return mant(v) == 0xC000000000000000ull && sexp(v) == 0xFFFF;
}
static long double mk(uint64_t mt, uint16_t se)
{
    long double v = 0;
    memcpy(&v, &mt, 8);
    memcpy((char *)&v + 8, &se, 2);
    return v;
}
static void set_cw(uint16_t cw)
{
    memcpy(mem(0x100), &cw, 2);
    fpu_exec(c, 0xD9, MEM(5), S_DS, BUF + 0x100, true);
}

enum {
    IE = 1,
    DE = 2,
    ZE = 4,
    OE = 8,
    UE = 0x10,
    PE = 0x20,
    SF = 0x40,
    ES = 0x80,
    C0 = 0x100,
    C1 = 0x200,
    C2 = 0x400,
    C3 = 0x4000,
    BSY = 0x8000
};
#define CC (C0 | C1 | C2 | C3)

/* ---- loads and stores ---- */

START_TEST(test_fld_fst_m32_m64_m80)
{
    putf(1.5f);
    x(0xD9, MEM(0)); /* FLD m32 */
    ck_assert_int_eq(top(), 7);
    ck_assert_int_eq(tagp(0), 0);
    ck_assert(st(0) == 1.5L);
    put32(0, 0);
    x(0xD9, MEM(3)); /* FSTP m32 */
    ck_assert_uint_eq(get32(0), 0x3FC00000u);
    ck_assert_int_eq(top(), 0);
    ck_assert_uint_eq(f->tag, 0xFFFF);

    putd(-3.25);
    x(0xDD, MEM(0)); /* FLD m64 */
    put64(0, 0);
    x(0xDD, MEM(2)); /* FST m64 */
    double d;
    memcpy(&d, mem(0), 8);
    ck_assert(d == -3.25);
    ck_assert_int_eq(top(), 7);
    x(0xDD, MEM(3));
    ck_assert_uint_eq(f->tag, 0xFFFF);
    ck_assert_uint_eq(sw() & 0x3F, 0);

    /* m80: bit exact, including an SNaN, a denormal and a pseudo-denormal */
    static const uint8_t pats[][10] = {
        {1, 2, 3, 4, 5, 6, 7, 0x87, 0xFF, 0x3F},
        {1, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x7F},
        {0x55, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x80},
        {0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x00},
    };
    for (unsigned i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        memcpy(mem(0), pats[i], 10);
        x(0xDB, MEM(5));
        ck_assert_int_eq(tagp(0), i == 0 ? 0 : 2);
        memset(mem(0x20), 0, 10);
        fpu_exec(c, 0xDB, MEM(7), S_DS, BUF + 0x20, true); /* FSTP m80 */
        ck_assert_mem_eq(mem(0x20), pats[i], 10);
    }
    ck_assert_uint_eq(sw() & 0x3F, 0);
    ck_assert_uint_eq(f->tag, 0xFFFF);
}
END_TEST

START_TEST(test_fld_snan_denormal_and_rounding)
{
    put32(0, 0x7F800001); /* SNaN */
    x(0xD9, MEM(0));
    ck_assert_uint_eq(sw() & 0x3F, IE);
    x(0xD9, MEM(3));
    ck_assert_uint_eq(get32(0), 0x7FC00001u); /* quieted */

    x(0xDB, REG(4, 2));   /* FNCLEX */
    put32(0, 0x00000001); /* smallest single denormal */
    x(0xD9, MEM(0));
    ck_assert_uint_eq(sw() & 0x3F, DE);
    ck_assert(st(0) == 0x1p-149L);
    x(0xDD, REG(3, 0));

    /* FST m32 rounds with RC and reports C1/PE */
    x(0xDB, REG(4, 2));
    ld(1.0L + 0x1p-30L);
    set_cw(0x0B7F); /* round up */
    x(0xD9, MEM(2));
    ck_assert_uint_eq(get32(0), 0x3F800001u);
    ck_assert_uint_eq(sw() & (PE | C1), PE | C1);
    set_cw(0x037F);
    x(0xD9, MEM(2));
    ck_assert_uint_eq(get32(0), 0x3F800000u);
    ck_assert_uint_eq(sw() & C1, 0);

    /* overflow to single */
    ld(1e300L);
    x(0xD9, MEM(3));
    ck_assert_uint_eq(get32(0), 0x7F800000u);
    ck_assert_uint_eq(sw() & (OE | PE), OE | PE);
}
END_TEST

START_TEST(test_fild_fist_rounding)
{
    put32(0, (uint32_t)-123456);
    x(0xDB, MEM(0)); /* FILD m32 */
    ck_assert(st(0) == -123456.0L);
    put64(0, 0x8000000000000000ull);
    x(0xDF, MEM(5)); /* FILD m64 */
    ck_assert(st(0) == -0x1p63L);
    memcpy(mem(0), &(int16_t){-7}, 2);
    x(0xDF, MEM(0)); /* FILD m16 */
    ck_assert(st(0) == -7.0L);
    ck_assert_int_eq(top(), 5);
    x(0xDB, REG(4, 3)); /* FNINIT */

    static const struct {
        uint16_t cw;
        long double v;
        int16_t want;
    } cases[] = {
        {0x037F, 2.5L, 2},   {0x037F, 3.5L, 4},   {0x037F, -2.5L, -2}, {0x077F, 2.5L, 2},
        {0x077F, -2.5L, -3}, {0x077F, 2.7L, 2},   {0x0B7F, 2.1L, 3},   {0x0B7F, -2.7L, -2},
        {0x0F7F, 2.7L, 2},   {0x0F7F, -2.7L, -2},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_cw(cases[i].cw);
        ld(cases[i].v);
        x(0xDF, MEM(3)); /* FISTP m16 */
        ck_assert_int_eq((int16_t)get16(0), cases[i].want);
        ck_assert_uint_eq(sw() & PE, PE);
    }
    set_cw(0x037F);
    x(0xDB, REG(4, 2));

    ld(-2147483648.0L);
    x(0xDB, MEM(2)); /* FIST m32: keeps ST0 */
    ck_assert_uint_eq(get32(0), 0x80000000u);
    ck_assert_uint_eq(sw() & 0x3F, 0);
    ck_assert_int_eq(top(), 7);
    x(0xDD, REG(3, 0));

    /* overflow and NaN give the integer indefinite with IE */
    ld(40000.0L);
    x(0xDF, MEM(3));
    ck_assert_uint_eq(get16(0), 0x8000);
    ck_assert_uint_eq(sw() & IE, IE);
    x(0xDB, REG(4, 2));
    ld(1e30L);
    x(0xDF, MEM(7)); /* FISTP m64 */
    ck_assert_uint_eq(get64(0), 0x8000000000000000ull);
    ck_assert_uint_eq(sw() & IE, IE);
    x(0xDB, REG(4, 2));
    ld(NAN);
    x(0xDB, MEM(3));
    ck_assert_uint_eq(get32(0), 0x80000000u);
    ck_assert_uint_eq(sw() & IE, IE);
    ck_assert_uint_eq(f->tag, 0xFFFF);
    ld(-0x1p63L);
    x(0xDF, MEM(7));
    ck_assert_uint_eq(get64(0), 0x8000000000000000ull);

    /* unmasked IE: nothing stored, nothing popped */
    x(0xDB, REG(4, 2));
    set_cw(0x037E);
    ld(1e10L);
    put32(0, 0x11111111);
    x(0xDB, MEM(3));
    ck_assert_uint_eq(get32(0), 0x11111111u);
    ck_assert_int_eq(top(), 7);
    ck_assert_uint_eq(sw() & (IE | ES | BSY), IE | ES | BSY);
}
END_TEST

START_TEST(test_fisttp_and_undefined_are_ud)
{
    ld(1.0L);
    ck_assert_int_eq(xr(0xDB, MEM(1)), EX_UD);
    ck_assert_int_eq(xr(0xDD, MEM(1)), EX_UD);
    ck_assert_int_eq(xr(0xDF, MEM(1)), EX_UD);
    ck_assert_int_eq(xr(0xD9, REG(2, 1)), EX_UD);
    ck_assert_int_eq(xr(0xD9, 0xE2), EX_UD);
    ck_assert_int_eq(xr(0xD9, 0xEF), EX_UD);
    ck_assert_int_eq(xr(0xDA, 0xE8), EX_UD);
    ck_assert_int_eq(xr(0xDB, 0xE5), EX_UD);
    ck_assert_int_eq(xr(0xDD, 0xF0), EX_UD);
    ck_assert_int_eq(xr(0xDE, 0xD8), EX_UD);
    ck_assert_int_eq(xr(0xDF, 0xE1), EX_UD);
    ck_assert_int_eq(xr(0xDF, 0xF8), EX_UD);
    ck_assert_int_eq(top(), 7); /* nothing executed */
    ck_assert(st(0) == 1.0L);
    ck_assert_int_eq(xr(0xD9, 0xD0), -1); /* FNOP */
}
END_TEST

/* ---- arithmetic ---- */

START_TEST(test_arith)
{
    ld(1.5L);
    putf(2.25f);
    x(0xD8, MEM(0)); /* FADD m32 */
    ck_assert(st(0) == 3.75L);
    putd(10.0);
    x(0xDC, MEM(5)); /* FSUBR m64: 10 - 3.75 */
    ck_assert(st(0) == 6.25L);
    memcpy(mem(0), &(int16_t){5}, 2);
    x(0xDE, MEM(6)); /* FIDIV m16 */
    ck_assert(st(0) == 1.25L);
    put32(0, 4);
    x(0xDA, MEM(1)); /* FIMUL m32 */
    ck_assert(st(0) == 5.0L);
    put32(0, 20);
    x(0xDA, MEM(7)); /* FIDIVR m32: 20 / 5 */
    ck_assert(st(0) == 4.0L);

    ld(10.0L);          /* ST0 = 10, ST1 = 4 */
    x(0xD8, REG(4, 1)); /* FSUB ST0, ST1 */
    ck_assert(st(0) == 6.0L);
    x(0xDC, REG(5, 1)); /* FSUB ST1, ST0: 4 - 6 */
    ck_assert(st(1) == -2.0L);
    x(0xDC, REG(4, 1)); /* FSUBR ST1, ST0: 6 - (-2) */
    ck_assert(st(1) == 8.0L);
    x(0xDE, REG(7, 1)); /* FDIVP ST1, ST0: 8 / 6 */
    ck_assert_int_eq(top(), 7);
    ck_assert(st(0) == 8.0L / 6.0L);
    ld(2.0L);
    x(0xDE, REG(6, 1)); /* FDIVRP ST1, ST0: 2 / (8/6) */
    ck_assert(st(0) == 2.0L / (8.0L / 6.0L));
    ld(3.0L);
    x(0xDE, REG(1, 1)); /* FMULP */
    x(0xDE, REG(0, 1)); /* FADDP ST1 with empty ST1: underflow */
    ck_assert_uint_eq(sw() & (IE | SF | C1), IE | SF);
    ck_assert(is_indef(st(0)));
    ck_assert_int_eq(top(), 0);

    /* rounding control reaches the host arithmetic */
    x(0xDB, REG(4, 3));
    set_cw(0x077F); /* down */
    ld(3.0L);
    ld(1.0L);
    x(0xD8, REG(6, 1));
    long double down = st(0);
    ck_assert_uint_eq(sw() & (PE | C1), PE);
    set_cw(0x0B7F); /* up */
    ld(3.0L);
    ld(1.0L);
    x(0xD8, REG(6, 1));
    ck_assert(st(0) > down);
    ck_assert(st(0) == nextafterl(down, 1.0L));
    ck_assert_uint_eq(sw() & (PE | C1), PE | C1);

    /* precision control: 24-bit */
    x(0xDB, REG(4, 3));
    set_cw(0x007F);
    ld(3.0L);
    ld(1.0L);
    x(0xD8, REG(6, 1));
    ck_assert(st(0) == (long double)(1.0f / 3.0f));
}
END_TEST

START_TEST(test_fsqrt_negative_and_specials)
{
    ld(-1.0L);
    x(0xD9, 0xFA); /* FSQRT */
    ck_assert_uint_eq(sw() & IE, IE);
    ck_assert(is_indef(st(0)));
    ck_assert_int_eq(tagp(0), 2);
    x(0xDB, REG(4, 3));
    ld(2.0L);
    x(0xD9, 0xFA);
    ck_assert(st(0) == sqrtl(2.0L));
    ck_assert_uint_eq(sw() & 0x3F, PE);

    /* masked divide by zero gives infinity */
    x(0xDB, REG(4, 3));
    ld(0.0L);
    ld(-1.0L);
    x(0xD8, REG(6, 1));
    ck_assert(isinf(st(0)) && st(0) < 0);
    ck_assert_uint_eq(sw() & ZE, ZE);
    ck_assert_uint_eq(sw() & ES, 0);
    /* inf - inf */
    x(0xD8, REG(4, 0));
    ck_assert(is_indef(st(0)));
    ck_assert_uint_eq(sw() & IE, IE);
}
END_TEST

START_TEST(test_unmasked_zero_divide_mf)
{
    set_cw(0x037B); /* ZM clear */
    ld(0.0L);
    ld(1.0L);
    c->prev_eip = 0x4000;
    x(0xD8, REG(6, 1)); /* FDIV ST0, ST1 */
    ck_assert_uint_eq(sw() & (ZE | ES | BSY), ZE | ES | BSY);
    ck_assert(st(0) == 1.0L); /* destination unchanged */
    ck_assert_uint_eq(f->fip, 0x4000);
    ck_assert_uint_eq(f->fop, 0x0F1); /* D8 F1 */
    /* no-wait forms do not trap */
    c->prev_eip = 0x4002;
    ck_assert_int_eq(xr(0xDF, 0xE0), -1); /* FNSTSW AX */
    ck_assert_uint_eq(c->regs[R_EAX] & 0xFFFF, sw());
    ck_assert_int_eq(xr(0xD9, MEM(7)), -1); /* FNSTCW */
    ck_assert_uint_eq(f->fip, 0x4000);
    /* the next waiting one does */
    ck_assert_int_eq(xr(0xD9, 0xD0), EX_MF);
    c->last_vector = -1;
    c->regs[R_ESP] = 0x8000;
    if (!setjmp(c->jmp))
        fpu_wait(c);
    ck_assert_int_eq(c->last_vector, EX_MF);
    /* NE=0: FERR# instead, execution continues */
    c->cr0 &= ~CR0_NE;
    ck_assert_int_eq(xr(0xD9, 0xD0), -1);
    c->cr0 |= CR0_NE;
    /* FNCLEX clears it */
    ck_assert_int_eq(xr(0xDB, 0xE2), -1);
    ck_assert_uint_eq(sw() & (0x3F | ES | BSY), 0);
    ck_assert_int_eq(xr(0xD9, 0xD0), -1);

    /* FLDCW unmasking a pending flag arms ES again */
    set_cw(0x037F);
    x(0xD8, REG(6, 1));
    ck_assert_uint_eq(sw() & (ZE | ES), ZE);
    set_cw(0x037B);
    ck_assert_uint_eq(sw() & (ES | BSY), ES | BSY);
    ck_assert_int_eq(xr(0xD9, 0xD0), EX_MF);
}
END_TEST

/* ---- compares and classification ---- */

static void cmp_case(long double a, long double b, uint8_t op, uint8_t modrm, unsigned want)
{
    x(0xDB, REG(4, 3));
    ld(b);
    ld(a);
    x(op, modrm);
    ck_assert_uint_eq(sw() & (C0 | C2 | C3), want);
}

START_TEST(test_fcom_fucom)
{
    cmp_case(1, 2, 0xD8, REG(2, 1), C0);
    cmp_case(2, 1, 0xD8, REG(2, 1), 0);
    cmp_case(2, 2, 0xD8, REG(2, 1), C3);
    cmp_case(-0.0L, 0.0L, 0xD8, REG(2, 1), C3);
    cmp_case(NAN, 1, 0xD8, REG(2, 1), C0 | C2 | C3);
    ck_assert_uint_eq(sw() & IE, IE); /* FCOM: QNaN is invalid */
    cmp_case(NAN, 1, 0xDD, REG(4, 1), C0 | C2 | C3);
    ck_assert_uint_eq(sw() & IE, 0); /* FUCOM: QNaN is not */
    cmp_case(mk(0xA000000000000000ull, 0x7FFF), 1, 0xDD, REG(4, 1), C0 | C2 | C3);
    ck_assert_uint_eq(sw() & IE, IE); /* SNaN always is */

    /* FCOMP / FCOMPP / FUCOMPP pop */
    cmp_case(1, 2, 0xD8, REG(3, 1), C0);
    ck_assert_int_eq(top(), 7);
    cmp_case(3, 2, 0xDE, 0xD9, 0);
    ck_assert_int_eq(top(), 0);
    cmp_case(2, 2, 0xDA, 0xE9, C3);
    ck_assert_int_eq(top(), 0);
    ck_assert_uint_eq(f->tag, 0xFFFF);

    /* memory and integer forms */
    x(0xDB, REG(4, 3));
    ld(5.0L);
    putd(5.0);
    x(0xDC, MEM(2));
    ck_assert_uint_eq(sw() & (C0 | C2 | C3), C3);
    put32(0, 7);
    x(0xDA, MEM(3)); /* FICOMP m32 */
    ck_assert_uint_eq(sw() & (C0 | C2 | C3), C0);
    ck_assert_int_eq(top(), 0);

    /* FTST */
    x(0xDB, REG(4, 3));
    ld(-3.0L);
    x(0xD9, 0xE4);
    ck_assert_uint_eq(sw() & CC, C0);
    ld(0.0L);
    x(0xD9, 0xE4);
    ck_assert_uint_eq(sw() & CC, C3);

    /* comparing with an empty register: underflow, unordered */
    x(0xDB, REG(4, 3));
    ld(1.0L);
    x(0xD8, REG(2, 3));
    ck_assert_uint_eq(sw() & (CC | IE | SF), C0 | C2 | C3 | IE | SF);
}
END_TEST

static uint32_t fcomi(long double a, long double b, uint8_t op, uint8_t modrm)
{
    x(0xDB, REG(4, 3));
    ld(b);
    ld(a);
    cpu_set_eflags(c, 0x2 | F_CF | F_ZF | F_PF | F_OF | F_SF | F_AF);
    x(op, modrm);
    return cpu_get_eflags(c) & (F_CF | F_ZF | F_PF | F_OF | F_SF | F_AF);
}

START_TEST(test_fcomi)
{
    ck_assert_uint_eq(fcomi(1, 2, 0xDB, REG(6, 1)), F_CF);
    ck_assert_uint_eq(fcomi(2, 1, 0xDB, REG(6, 1)), 0);
    ck_assert_uint_eq(fcomi(2, 2, 0xDB, REG(5, 1)), F_ZF);
    ck_assert_uint_eq(fcomi(NAN, 2, 0xDB, REG(5, 1)), F_ZF | F_PF | F_CF);
    ck_assert_uint_eq(sw() & IE, 0);
    ck_assert_uint_eq(fcomi(NAN, 2, 0xDB, REG(6, 1)), F_ZF | F_PF | F_CF);
    ck_assert_uint_eq(sw() & IE, IE);
    ck_assert_uint_eq(fcomi(1, 2, 0xDF, REG(6, 1)), F_CF); /* FCOMIP */
    ck_assert_int_eq(top(), 7);
    ck_assert_uint_eq(fcomi(3, 2, 0xDF, REG(5, 1)), 0); /* FUCOMIP */
    ck_assert_int_eq(top(), 7);
    ck_assert_uint_eq(sw() & (C0 | C2 | C3), 0); /* SW condition codes untouched */
}
END_TEST

START_TEST(test_fcmov)
{
    ld(2.0L);
    ld(1.0L);
    cpu_set_eflags(c, 0x2 | F_CF);
    x(0xDA, REG(0, 1)); /* FCMOVB: taken */
    ck_assert(st(0) == 2.0L);
    ld(5.0L);
    x(0xDB, REG(0, 1)); /* FCMOVNB: not taken */
    ck_assert(st(0) == 5.0L);
    cpu_set_eflags(c, 0x2 | F_PF);
    x(0xDA, REG(3, 2)); /* FCMOVU */
    ck_assert(st(0) == 2.0L);
    ld(7.0L);
    x(0xDB, REG(2, 1)); /* FCMOVNBE: CF=ZF=0 -> taken */
    ck_assert(st(0) == 2.0L);
    cpu_set_eflags(c, 0x2 | F_ZF);
    ld(8.0L);
    x(0xDB, REG(1, 1)); /* FCMOVNE: not taken */
    ck_assert(st(0) == 8.0L);
    x(0xDA, REG(1, 1)); /* FCMOVE */
    ck_assert(st(0) == 2.0L);
}
END_TEST

static unsigned xam(long double v)
{
    x(0xDB, REG(4, 3));
    ld(v);
    x(0xD9, 0xE5);
    return sw() & CC;
}

START_TEST(test_fxam)
{
    ck_assert_uint_eq(xam(1.0L), C2);
    ck_assert_uint_eq(xam(-1.0L), C2 | C1);
    ck_assert_uint_eq(xam(0.0L), C3);
    ck_assert_uint_eq(xam(-0.0L), C3 | C1);
    ck_assert_uint_eq(xam(0x1p-16440L), C3 | C2);
    ck_assert_uint_eq(xam(INFINITY), C2 | C0);
    ck_assert_uint_eq(xam(-INFINITY), C2 | C1 | C0);
    ck_assert_uint_eq(xam(NAN), C0);
    ck_assert_uint_eq(xam(mk(0x1234, 0x3FFF)), 0); /* unnormal: unsupported */
    x(0xDB, REG(4, 3));
    x(0xD9, 0xE5); /* empty */
    ck_assert_uint_eq(sw() & (C0 | C2 | C3), C3 | C0);
    ck_assert_uint_eq(sw() & IE, 0);
}
END_TEST

/* ---- stack ---- */

START_TEST(test_stack_faults)
{
    for (int i = 0; i < 8; i++)
        ld((long double)i);
    ck_assert_uint_eq(f->tag, 0x4000); /* R7 = 0.0 -> zero tag */
    ck_assert_uint_eq(sw() & 0x7F, 0);
    ld(8.0L); /* overflow */
    ck_assert_uint_eq(sw() & (IE | SF | C1), IE | SF | C1);
    ck_assert(is_indef(st(0)));
    ck_assert(st(1) == 7.0L);

    /* unmasked: nothing changes */
    x(0xDB, REG(4, 3));
    for (int i = 0; i < 8; i++)
        ld((long double)i);
    set_cw(0x037E);
    x(0xD9, 0xE8); /* FLD1 */
    ck_assert_uint_eq(sw() & (IE | SF | C1 | ES), IE | SF | C1 | ES);
    ck_assert(st(0) == 7.0L);
    ck_assert_int_eq(top(), 0);

    /* underflow */
    x(0xDB, REG(4, 3));
    x(0xD9, 0xE1); /* FABS on empty */
    ck_assert_uint_eq(sw() & (IE | SF | C1), IE | SF);
    ck_assert(is_indef(st(0)));
    x(0xDB, REG(4, 3));
    put32(0, 0x12345678);
    x(0xD9, MEM(3)); /* FSTP m32 from empty: indefinite stored */
    ck_assert_uint_eq(get32(0), 0xFFC00000u);
    ck_assert_uint_eq(sw() & (IE | SF), IE | SF);

    /* FXCH, FFREE, FINCSTP/FDECSTP, FST ST(i) */
    x(0xDB, REG(4, 3));
    ld(1.0L);
    ld(2.0L);
    x(0xD9, REG(1, 1));
    ck_assert(st(0) == 1.0L && st(1) == 2.0L);
    x(0xDD, REG(2, 3)); /* FST ST3 */
    ck_assert(st(3) == 1.0L);
    ck_assert_int_eq(tagp(3), 0);
    x(0xDD, REG(0, 3)); /* FFREE ST3 */
    ck_assert_int_eq(tagp(3), 3);
    x(0xD9, 0xF7); /* FINCSTP */
    ck_assert_int_eq(top(), 7);
    ck_assert(st(0) == 2.0L);
    x(0xD9, 0xF6); /* FDECSTP */
    ck_assert_int_eq(top(), 6);
    x(0xDF, REG(0, 1)); /* FFREEP ST1 */
    ck_assert_uint_eq(f->tag, 0xFFFF);
    ck_assert_int_eq(top(), 7);
}
END_TEST

/* ---- environment and state ---- */

START_TEST(test_fsave_frstor)
{
    ld(3.0L);
    ld(0.0L);
    ld(-1.5L);
    set_cw(0x027F);
    ld(-1.0L);
    x(0xD9, 0xFA); /* FSQRT(-1): IE pending (masked) */
    x(0xDD, REG(3, 0));
    uint16_t sw0 = sw(), tag0 = f->tag;
    ck_assert_uint_eq(tag0, 0x13FF); /* R7 valid, R6 zero, R5 valid */
    c->prev_eip = 0x5555;
    put32(0x200, 0);
    fpu_exec(c, 0xDD, MEM(6), S_DS, BUF + 0x200, true); /* FNSAVE */
    ck_assert_uint_eq(f->cw, 0x037F);
    ck_assert_uint_eq(f->tag, 0xFFFF);
    ck_assert_uint_eq(sw(), 0);
    ck_assert_uint_eq(get16(0x200), 0x027F);
    ck_assert_uint_eq(get16(0x204), sw0);
    ck_assert_uint_eq(get16(0x208), tag0);
    ck_assert_uint_eq(get32(0x20C), 0x1234); /* FSQRT's EIP (from setup) */
    ck_assert_uint_eq(get16(0x210), 0x08);
    ck_assert_uint_eq(get32(0x210) >> 16, 0x5D8); /* last op: FSTP ST0 = DD D8 */
    long double r;
    memcpy(&r, mem(0x200 + 28), 10);
    ck_assert(r == -1.5L);
    memcpy(&r, mem(0x200 + 48), 10);
    ck_assert(r == 3.0L);

    fpu_exec(c, 0xDD, MEM(4), S_DS, BUF + 0x200, true); /* FRSTOR */
    ck_assert_uint_eq(f->cw, 0x027F);
    ck_assert_uint_eq(sw(), sw0);
    ck_assert_uint_eq(f->tag, tag0);
    ck_assert(st(0) == -1.5L && st(1) == 0.0L && st(2) == 3.0L);
    ck_assert_uint_eq(f->fip, 0x1234);
    ck_assert_uint_eq(f->fop, 0x5D8);

    /* 16-bit format: 94 bytes */
    memset(mem(0x300), 0xAA, 96);
    fpu_exec(c, 0xDD, MEM(6), S_DS, BUF + 0x300, false);
    ck_assert_uint_eq(get16(0x300), 0x027F);
    ck_assert_uint_eq(get16(0x302), sw0);
    ck_assert_uint_eq(get16(0x304), tag0);
    ck_assert_uint_eq(*mem(0x300 + 94), 0xAA);
    fpu_exec(c, 0xDD, MEM(4), S_DS, BUF + 0x300, false);
    ck_assert(st(0) == -1.5L && st(2) == 3.0L);
    ck_assert_uint_eq(f->tag, tag0);
}
END_TEST

START_TEST(test_fstenv_layout)
{
    ld(1.0L);
    c->prev_eip = 0xCAFE;
    cpu_set_seg_raw(c, S_FS, 0x23, 0, 0xFFFFFFFF, 0xC093);
    fpu_exec(c, 0xD8, MEM(0), S_FS, BUF + 0x40, true); /* FADD m32 */
    ck_assert_uint_eq(f->fdp, BUF + 0x40);
    ck_assert_uint_eq(f->fds, 0x23);
    x(0xD9, MEM(6)); /* FNSTENV */
    ck_assert_uint_eq(get16(0), 0x037F);
    ck_assert_uint_eq(get16(4), sw());
    ck_assert_uint_eq(get16(4) & 0x3800, 7 << 11);
    ck_assert_uint_eq(get16(8), 0x3FFF); /* R7 valid, the rest empty */
    ck_assert_uint_eq(get32(12), 0xCAFE);
    ck_assert_uint_eq(get16(16), 0x08);
    ck_assert_uint_eq(get16(18), 0x000); /* D8 /0 mod 0 */
    ck_assert_uint_eq(get32(20), BUF + 0x40);
    ck_assert_uint_eq(get16(24), 0x23);
    ck_assert_uint_eq(f->cw, 0x037F); /* already masked */

    /* FLDENV takes CW/SW/TW back; tag 11 = empty */
    memcpy(mem(0), &(uint16_t){0x0C7F}, 2);
    memcpy(mem(8), &(uint16_t){0xFFFF}, 2);
    x(0xD9, MEM(4));
    ck_assert_uint_eq(f->cw, 0x0C7F);
    ck_assert_uint_eq(f->tag, 0xFFFF);
    ck_assert_uint_eq(f->fip, 0xCAFE);

    /* 16-bit protected layout */
    x(0xDB, REG(4, 3));
    ld(0.0L);
    x(0xD9, 0xE8);
    fpu_exec(c, 0xD9, MEM(6), S_DS, BUF, false);
    ck_assert_uint_eq(get16(0), 0x037F);
    ck_assert_uint_eq(get16(2), 6 << 11);
    ck_assert_uint_eq(get16(4), 0x4FFF); /* R7 zero (01), R6 valid (00) */
    ck_assert_uint_eq(get16(6), 0xCAFE);
    ck_assert_uint_eq(get16(8), 0x08);

    /* real-mode 32-bit layout: 20-bit linear pointers */
    c->cr0 &= ~CR0_PE;
    cpu_update_mode(c);
    f->fip = 0x0100;
    f->fcs = 0xF000;
    f->fop = 0x5E9;
    f->fdp = 0x0010;
    f->fds = 0x1234;
    x(0xD9, MEM(6));
    ck_assert_uint_eq(get32(12) & 0xFFFF, 0x0100);
    ck_assert_uint_eq(get32(16), 0xF << 12 | 0x5E9);
    ck_assert_uint_eq(get32(20) & 0xFFFF, 0x2350);
    ck_assert_uint_eq(get32(24), 0x1 << 12);
    x(0xD9, MEM(4));
    ck_assert_uint_eq(f->fip, 0xF0100);
    ck_assert_uint_eq(f->fdp, 0x12350);
    ck_assert_uint_eq(f->fop, 0x5E9);
}
END_TEST

/* ---- FPREM, transcendental, constants ---- */

START_TEST(test_fprem)
{
    ld(3.0L);
    ld(10.0L);
    x(0xD9, 0xF8);
    ck_assert(st(0) == 1.0L);
    /* quotient 3 = 0b011: C1 = Q0, C3 = Q1, C0 = Q2 */
    ck_assert_uint_eq(sw() & CC, C1 | C3);

    /* large exponent difference: partial remainder, C2 set until done */
    x(0xDB, REG(4, 3));
    ld(3.0L);
    ld(0x1p200L);
    int n = 0;
    do {
        x(0xD9, 0xF8);
        n++;
    } while ((sw() & C2) && n < 20);
    ck_assert_int_gt(n, 1);
    ck_assert_uint_eq(sw() & C2, 0);
    ck_assert(st(0) == fmodl(0x1p200L, 3.0L));

    /* FPREM1 rounds the quotient to nearest */
    x(0xDB, REG(4, 3));
    ld(3.0L);
    ld(11.0L);
    x(0xD9, 0xF5);
    ck_assert(st(0) == -1.0L);
}
END_TEST

START_TEST(test_transcendental)
{
    ld(0.5L);
    x(0xD9, 0xF2); /* FPTAN */
    ck_assert_int_eq(top(), 6);
    ck_assert(st(0) == 1.0L);
    ck_assert(fabsl(st(1) - tanl(0.5L)) < 1e-18L);
    x(0xDB, REG(4, 3));
    ld(0x1p63L);
    x(0xD9, 0xFE); /* FSIN out of range */
    ck_assert_uint_eq(sw() & C2, C2);
    ck_assert(st(0) == 0x1p63L);
    x(0xD9, 0xFB); /* FSINCOS out of range: no push */
    ck_assert_int_eq(top(), 7);
    x(0xDB, REG(4, 3));
    ld(1.0L);
    x(0xD9, 0xFB); /* FSINCOS */
    ck_assert_int_eq(top(), 6);
    ck_assert(fabsl(st(0) - cosl(1.0L)) < 1e-18L);
    ck_assert(fabsl(st(1) - sinl(1.0L)) < 1e-18L);
    ck_assert_uint_eq(sw() & C2, 0);

    x(0xDB, REG(4, 3));
    ld(-24.0L);
    x(0xD9, 0xF4); /* FXTRACT: -24 = -1.5 * 2^4 */
    ck_assert(st(0) == -1.5L && st(1) == 4.0L);
    x(0xD9, 0xFD); /* FSCALE: -1.5 * 2^4 */
    ck_assert(st(0) == -24.0L);

    x(0xDB, REG(4, 3));
    ld(3.0L);
    ld(8.0L);
    x(0xD9, 0xF1); /* FYL2X: 3 * log2(8) */
    ck_assert(st(0) == 9.0L);
    ck_assert_int_eq(top(), 7);
    ld(1.0L);
    x(0xD9, 0xF3); /* FPATAN: atan2(9, 1) */
    ck_assert(fabsl(st(0) - atan2l(9.0L, 1.0L)) < 1e-18L);
    x(0xDB, REG(4, 3));
    ld(0.5L);
    x(0xD9, 0xF0); /* F2XM1 */
    ck_assert(fabsl(st(0) - (sqrtl(2.0L) - 1)) < 1e-18L);
    ld(2.0L);
    ld(0x1p-70L);
    x(0xD9, 0xF9); /* FYL2XP1 */
    ck_assert(fabsl(st(0) - 2 * 0x1p-70L / logl(2.0L)) < 1e-38L);

    /* FRNDINT with RC */
    x(0xDB, REG(4, 3));
    ld(2.5L);
    x(0xD9, 0xFC);
    ck_assert(st(0) == 2.0L);
    set_cw(0x0B7F);
    ld(2.25L);
    x(0xD9, 0xFC);
    ck_assert(st(0) == 3.0L);
}
END_TEST

START_TEST(test_constants)
{
    /* log2(10), log2(e), pi, log10(2), ln(2) rounded to nearest (as libm's) */
    static const long double want[] = {1.0L,
                                       0xd.49a784bcd1b8afep-2L,
                                       0xb.8aa3b295c17f0bcp-3L,
                                       0xc.90fdaa22168c235p-2L,
                                       0x9.a209a84fbcff799p-5L,
                                       0xb.17217f7d1cf79acp-4L,
                                       0.0L};
    for (int i = 0; i < 7; i++) {
        x(0xD9, (uint8_t)(0xE8 + i));
        ck_assert(st(0) == want[i]);
    }
    ck_assert_int_eq(top(), 1);
    ck_assert_int_eq(tagp(0), 1);
    /* FLDPI honours RC: round down gives one ulp less */
    set_cw(0x077F);
    x(0xD9, 0xEB);
    ck_assert(st(0) == nextafterl(want[3], 0));
    x(0xD9, 0xE0); /* FCHS */
    ck_assert(st(0) == -nextafterl(want[3], 0));
}
END_TEST

START_TEST(test_fbld_fbstp)
{
    ld(-1234567.0L);
    memset(mem(0), 0xEE, 16);
    x(0xDF, MEM(6)); /* FBSTP */
    static const uint8_t want[10] = {0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0, 0x80};
    ck_assert_mem_eq(mem(0), want, 10);
    ck_assert_uint_eq(*mem(10), 0xEE);
    ck_assert_int_eq(top(), 0);
    x(0xDF, MEM(4)); /* FBLD */
    ck_assert(st(0) == -1234567.0L);

    /* rounding with RC, then out of range: packed indefinite */
    ld(99.5L);
    x(0xDF, MEM(6));
    ck_assert_uint_eq(*mem(0), 0x00);
    ck_assert_uint_eq(*mem(1), 0x01);
    ld(1e19L);
    x(0xDF, MEM(6));
    ck_assert_uint_eq(sw() & IE, IE);
    ck_assert_uint_eq(get16(8), 0xFFFF);
    ck_assert_uint_eq(*mem(7), 0xC0);
}
END_TEST

START_TEST(test_pointers_and_fnstsw)
{
    c->prev_eip = 0x777;
    putf(2.0f);
    fpu_exec(c, 0xD9, MEM(0), S_ES, BUF, true);
    ck_assert_uint_eq(f->fip, 0x777);
    ck_assert_uint_eq(f->fcs, 0x08);
    ck_assert_uint_eq(f->fdp, BUF);
    ck_assert_uint_eq(f->fds, 0x10);
    ck_assert_uint_eq(f->fop, 0x100);
    /* control instructions leave them alone */
    c->prev_eip = 0x888;
    x(0xD9, MEM(7));
    x(0xDD, MEM(7));
    ck_assert_uint_eq(get16(0), sw());
    x(0xDB, 0xE2);
    ck_assert_uint_eq(f->fip, 0x777);
    /* register forms update fip/fop but not fdp */
    x(0xD9, 0xE1);
    ck_assert_uint_eq(f->fip, 0x888);
    ck_assert_uint_eq(f->fop, 0x1E1);
    ck_assert_uint_eq(f->fdp, BUF);
    c->regs[R_EAX] = 0xDEAD0000;
    x(0xDF, 0xE0);
    ck_assert_uint_eq(c->regs[R_EAX], 0xDEAD0000u | (7u << 11));
    /* FENI/FDISI/FSETPM are no-ops */
    x(0xDB, 0xE0);
    x(0xDB, 0xE1);
    x(0xDB, 0xE4);
    ck_assert_int_eq(top(), 7);
    x(0xDB, 0xE3);
    ck_assert_uint_eq(f->cw, 0x037F);
    ck_assert_uint_eq(f->tag, 0xFFFF);
}
END_TEST

static Suite *fpu_suite(void)
{
    Suite *s = suite_create("fpu");
    TCase *t = tcase_create("x87");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_fld_fst_m32_m64_m80);
    tcase_add_test(t, test_fld_snan_denormal_and_rounding);
    tcase_add_test(t, test_fild_fist_rounding);
    tcase_add_test(t, test_fisttp_and_undefined_are_ud);
    tcase_add_test(t, test_arith);
    tcase_add_test(t, test_fsqrt_negative_and_specials);
    tcase_add_test(t, test_unmasked_zero_divide_mf);
    tcase_add_test(t, test_fcom_fucom);
    tcase_add_test(t, test_fcomi);
    tcase_add_test(t, test_fcmov);
    tcase_add_test(t, test_fxam);
    tcase_add_test(t, test_stack_faults);
    tcase_add_test(t, test_fsave_frstor);
    tcase_add_test(t, test_fstenv_layout);
    tcase_add_test(t, test_fprem);
    tcase_add_test(t, test_transcendental);
    tcase_add_test(t, test_constants);
    tcase_add_test(t, test_fbld_fbstp);
    tcase_add_test(t, test_pointers_and_fnstsw);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fpu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
