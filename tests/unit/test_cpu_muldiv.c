/* CPU interpreter unit tests: MUL, IMUL (one, two and three operands), DIV
 * and IDIV, including #DE for divide by zero and quotient overflow.
 *
 * MUL/IMUL results and CF/OF are checked against the host CPU (the same
 * instruction executed natively); DIV/IDIV against C arithmetic on 128-bit
 * integers. Machine code generated with GNU as (as --32, .intel_syntax
 * noprefix); each encoding carries its assembly text. */
#include "tests/unit/cpu_harness.h"

#if !defined(__x86_64__)
#error "these tests use the host x86-64 CPU as the reference"
#endif

/* ------------------------------------------------------------------ encodings (GNU as) */

static const Enc e_mul8 = {"mul cl", 2, 0, {0xF6, 0xE1}};
static const Enc e_mul16 = {"mul cx", 3, 0, {0x66, 0xF7, 0xE1}};
static const Enc e_mul32 = {"mul ecx", 2, 0, {0xF7, 0xE1}};
static const Enc e_mul8m = {"mul byte ptr [esi]", 2, 0, {0xF6, 0x26}};
static const Enc e_mul16m = {"mul word ptr [esi]", 3, 0, {0x66, 0xF7, 0x26}};
static const Enc e_mul32m = {"mul dword ptr [esi]", 2, 0, {0xF7, 0x26}};
static const Enc e_imul8 = {"imul cl", 2, 0, {0xF6, 0xE9}};
static const Enc e_imul16 = {"imul cx", 3, 0, {0x66, 0xF7, 0xE9}};
static const Enc e_imul32 = {"imul ecx", 2, 0, {0xF7, 0xE9}};
static const Enc e_imul8m = {"imul byte ptr [esi]", 2, 0, {0xF6, 0x2E}};
static const Enc e_imul16m = {"imul word ptr [esi]", 3, 0, {0x66, 0xF7, 0x2E}};
static const Enc e_imul32m = {"imul dword ptr [esi]", 2, 0, {0xF7, 0x2E}};
static const Enc e_imul2_16 = {"imul dx, cx", 4, 0, {0x66, 0x0F, 0xAF, 0xD1}};
static const Enc e_imul2_32 = {"imul edx, ecx", 3, 0, {0x0F, 0xAF, 0xD1}};
static const Enc e_imul2_16m = {"imul dx, word ptr [esi]", 4, 0, {0x66, 0x0F, 0xAF, 0x16}};
static const Enc e_imul2_32m = {"imul edx, dword ptr [esi]", 3, 0, {0x0F, 0xAF, 0x16}};
static const Enc e_imul3_16 = {"imul dx, cx, 0x1234", 5, 2, {0x66, 0x69, 0xD1, 0x34, 0x12}};
static const Enc e_imul3_32 = {
    "imul edx, ecx, 0x12345678", 6, 4, {0x69, 0xD1, 0x78, 0x56, 0x34, 0x12}};
static const Enc e_imul3_16b = {"imul dx, cx, 0x12", 4, 1, {0x66, 0x6B, 0xD1, 0x12}};
static const Enc e_imul3_32b = {"imul edx, ecx, 0x12", 3, 1, {0x6B, 0xD1, 0x12}};
static const Enc e_imul3_32m = {
    "imul edx, dword ptr [esi], 0x12345678", 6, 4, {0x69, 0x16, 0x78, 0x56, 0x34, 0x12}};
static const Enc e_div8 = {"div cl", 2, 0, {0xF6, 0xF1}};
static const Enc e_div16 = {"div cx", 3, 0, {0x66, 0xF7, 0xF1}};
static const Enc e_div32 = {"div ecx", 2, 0, {0xF7, 0xF1}};
static const Enc e_div32m = {"div dword ptr [esi]", 2, 0, {0xF7, 0x36}};
static const Enc e_idiv8 = {"idiv cl", 2, 0, {0xF6, 0xF9}};
static const Enc e_idiv16 = {"idiv cx", 3, 0, {0x66, 0xF7, 0xF9}};
static const Enc e_idiv32 = {"idiv ecx", 2, 0, {0xF7, 0xF9}};
static const Enc e_idiv16m = {"idiv word ptr [esi]", 3, 0, {0x66, 0xF7, 0x3E}};

static const uint8_t de_real[] = {
    0xF6, 0xF1, /* 0000: div cl */
    0xF4,       /* 0002: hlt */
};

static const uint8_t de_pm[] = {
    0xB8, 0x11, 0x11, 0x11, 0x11, /* 0000: mov eax, 0x11111111 */
    0xBA, 0x22, 0x22, 0x22, 0x22, /* 0005: mov edx, 0x22222222 */
    0x31, 0xC9,                   /* 000a: xor ecx, ecx */
    0xF7, 0xF1,                   /* 000c: div ecx */
    0xF4,                         /* 000e: hlt */
};

static const uint8_t idiv_ovf[] = {
    0xBA, 0x00, 0x00, 0x00, 0x80, /* 0000: mov edx, 0x80000000 */
    0x31, 0xC0,                   /* 0005: xor eax, eax */
    0xB9, 0xFF, 0xFF, 0xFF, 0xFF, /* 0007: mov ecx, -1 */
    0xF7, 0xF9,                   /* 000c: idiv ecx */
    0xF4,                         /* 000e: hlt */
};

/* ------------------------------------------------------------------ host oracle */

#define NAT_PRE "sub $128, %%rsp\n\tpush %[fi]\n\tpopfq\n\t"
#define NAT_POST "\n\tpushfq\n\tpop %[f]\n\tadd $128, %%rsp"

/* One-operand MUL/IMUL on the host: returns the low half, *hi the high half
 * (8-bit: AH), *fout the flags. */
static uint32_t nat_mul1(int sz, bool sgn, uint32_t a, uint32_t b, uint32_t *hi, uint32_t *fout)
{
    uint64_t f, fi = 2;
    if (sz == 0) {
        uint16_t ax = (uint8_t)a;
        uint8_t s = (uint8_t)b;
        if (sgn)
            __asm__ volatile(NAT_PRE "imulb %[s]" NAT_POST
                             : "+a"(ax), [f] "=&r"(f)
                             : [s] "r"(s), [fi] "r"(fi)
                             : "cc", "memory");
        else
            __asm__ volatile(NAT_PRE "mulb %[s]" NAT_POST
                             : "+a"(ax), [f] "=&r"(f)
                             : [s] "r"(s), [fi] "r"(fi)
                             : "cc", "memory");
        *hi = ax >> 8;
        *fout = (uint32_t)f & F_ARITH;
        return ax & 0xFF;
    }
    if (sz == 1) {
        uint16_t ax = (uint16_t)a, dx, s = (uint16_t)b;
        if (sgn)
            __asm__ volatile(NAT_PRE "imulw %[s]" NAT_POST
                             : "+a"(ax), "=d"(dx), [f] "=&r"(f)
                             : [s] "r"(s), [fi] "r"(fi)
                             : "cc", "memory");
        else
            __asm__ volatile(NAT_PRE "mulw %[s]" NAT_POST
                             : "+a"(ax), "=d"(dx), [f] "=&r"(f)
                             : [s] "r"(s), [fi] "r"(fi)
                             : "cc", "memory");
        *hi = dx;
        *fout = (uint32_t)f & F_ARITH;
        return ax;
    }
    uint32_t eax = a, edx;
    if (sgn)
        __asm__ volatile(NAT_PRE "imull %[s]" NAT_POST
                         : "+a"(eax), "=d"(edx), [f] "=&r"(f)
                         : [s] "r"(b), [fi] "r"(fi)
                         : "cc", "memory");
    else
        __asm__ volatile(NAT_PRE "mull %[s]" NAT_POST
                         : "+a"(eax), "=d"(edx), [f] "=&r"(f)
                         : [s] "r"(b), [fi] "r"(fi)
                         : "cc", "memory");
    *hi = edx;
    *fout = (uint32_t)f & F_ARITH;
    return eax;
}

/* Two-operand IMUL r, r/m (the three-operand form computes the same). */
static uint32_t nat_imul2(int sz, uint32_t a, uint32_t b, uint32_t *fout)
{
    uint64_t f, fi = 2;
    if (sz == 1) {
        uint16_t x = (uint16_t)a, y = (uint16_t)b;
        __asm__ volatile(NAT_PRE "imulw %[y], %[x]" NAT_POST
                         : [x] "+r"(x), [f] "=&r"(f)
                         : [y] "r"(y), [fi] "r"(fi)
                         : "cc", "memory");
        *fout = (uint32_t)f & F_ARITH;
        return x;
    }
    uint32_t x = a;
    __asm__ volatile(NAT_PRE "imull %[y], %[x]" NAT_POST
                     : [x] "+r"(x), [f] "=&r"(f)
                     : [y] "r"(b), [fi] "r"(fi)
                     : "cc", "memory");
    *fout = (uint32_t)f & F_ARITH;
    return x;
}

static const uint32_t v8[] = {0, 1, 2, 3, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x10, 0x0F, 0x55, 0xC3};
static const uint32_t v16[] = {0,      1,      2,      0x7F,   0x80,   0xFF,   0x100,  0x7FFF,
                               0x8000, 0x8001, 0xFFFE, 0xFFFF, 0x1234, 0xABCD, 0x00B5, 0xFF4B};
static const uint32_t v32[] = {0,          1,          2,          0x7F,       0x80,
                               0xFFFF,     0x10000,    0x7FFFFFFF, 0x80000000, 0x80000001,
                               0xFFFFFFFE, 0xFFFFFFFF, 0x12345678, 0xDEADBEEF, 0x0000B504,
                               0xFFFF4AFC, 0x00010001};
static const uint32_t *vals_of(int sz, int *n)
{
    *n = sz == 0 ? (int)(sizeof v8 / 4) : sz == 1 ? (int)(sizeof v16 / 4) : (int)(sizeof v32 / 4);
    return sz == 0 ? v8 : sz == 1 ? v16 : v32;
}

#define MULDIV_OF (F_CF | F_OF) /* the only flags MUL/IMUL define */

/* ------------------------------------------------------------------ MUL / IMUL */

START_TEST(test_mul_imul_one_operand)
{
    h_pm(H_CODE);
    const Enc *tab[2][3][2] = {
        {{&e_mul8, &e_mul8m}, {&e_mul16, &e_mul16m}, {&e_mul32, &e_mul32m}},
        {{&e_imul8, &e_imul8m}, {&e_imul16, &e_imul16m}, {&e_imul32, &e_imul32m}}};
    for (int sgn = 0; sgn < 2; sgn++)
        for (int sz = 0; sz < 3; sz++) {
            int n;
            const uint32_t *v = vals_of(sz, &n);
            for (int form = 0; form < 2; form++) {
                const Enc *e = tab[sgn][sz][form];
                for (int ia = 0; ia < n; ia++)
                    for (int ib = 0; ib < n; ib++) {
                        uint32_t hi, fo, lo = nat_mul1(sz, sgn, v[ia], v[ib], &hi, &fo);
                        St in = {merge(JA, v[ia], sz), JC | 0x22, JD | 0x33, JM | 0x44, F_ARITH};
                        if (form)
                            in.mem = merge(JM, v[ib], sz);
                        else
                            in.ecx = merge(JC, v[ib], sz);
                        St exp = in;
                        exp.flags = fo;
                        if (sz == 0) {
                            exp.eax = (in.eax & 0xFFFF0000) | hi << 8 | lo; /* AX */
                        } else {
                            exp.eax = merge(JA, lo, sz);
                            exp.edx = merge(in.edx, hi, sz);
                        }
                        st_check(e, sgn ? "imul" : "mul", in, exp, emu1(e, 0, in), MULDIV_OF);
                    }
            }
        }
    FINISH("mul/imul r/m");
}
END_TEST

START_TEST(test_imul_two_three_operand)
{
    h_pm(H_CODE);
    for (int sz = 1; sz < 3; sz++) {
        int n;
        const uint32_t *v = vals_of(sz, &n);
        for (int ia = 0; ia < n; ia++)
            for (int ib = 0; ib < n; ib++) {
                uint32_t a = v[ia], b = v[ib], fo, r = nat_imul2(sz, a, b, &fo);
                /* imul dx, cx / imul edx, ecx: EDX = EDX * ECX */
                const Enc *e = sz == 1 ? &e_imul2_16 : &e_imul2_32;
                St in = {JA, merge(JC, b, sz), merge(JD, a, sz), JM, 0};
                St exp = in;
                exp.edx = merge(JD, r, sz);
                exp.flags = fo;
                st_check(e, "", in, exp, emu1(e, 0, in), MULDIV_OF);
                /* imul dx, [esi] */
                e = sz == 1 ? &e_imul2_16m : &e_imul2_32m;
                in.mem = merge(JM, b, sz);
                in.ecx = JC;
                exp = in;
                exp.edx = merge(JD, r, sz);
                exp.flags = fo;
                st_check(e, "", in, exp, emu1(e, 0, in), MULDIV_OF);
                /* imul dx, cx, imm: EDX = ECX * imm (EDX's old value is irrelevant) */
                e = sz == 1 ? &e_imul3_16 : &e_imul3_32;
                St in3 = {JA, merge(JC, a, sz), JD | 0x77, JM, 0};
                St exp3 = in3;
                exp3.edx = merge(JD, r, sz);
                exp3.flags = fo;
                st_check(e, "", in3, exp3, emu1(e, b, in3), MULDIV_OF);
                if (sz == 2) {
                    in3.mem = a;
                    exp3.mem = a;
                    st_check(&e_imul3_32m, "", in3, exp3, emu1(&e_imul3_32m, b, in3), MULDIV_OF);
                }
                /* imm8, sign-extended */
                if ((sext(b & 0xFF, 0) & MASK(sz)) == b) {
                    e = sz == 1 ? &e_imul3_16b : &e_imul3_32b;
                    in3.mem = JM;
                    exp3.mem = JM;
                    st_check(e, "imm8", in3, exp3, emu1(e, b & 0xFF, in3), MULDIV_OF);
                }
            }
    }
    FINISH("imul r, r/m [, imm]");
}
END_TEST

/* ------------------------------------------------------------------ DIV / IDIV */

/* Run one divide from H_CODE (followed by HLT). Returns true if #DE. */
static bool div_run(const Enc *e, uint32_t eax, uint32_t edx, uint32_t ecx, uint32_t mem)
{
    load_insn(e, 0);
    hc->regs[R_EAX] = eax;
    hc->regs[R_EDX] = edx;
    hc->regs[R_ECX] = ecx;
    hc->regs[R_ESI] = H_DATA;
    hc->regs[R_ESP] = H_STACK;
    h_w32(H_DATA, mem);
    hc->eip = H_CODE;
    hc->halted = false;
    hc->last_vector = -1;
    cpu_set_eflags(hc, 2);
    int r = h_run_halt(10);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    if (hc->last_vector == -1) {
        ck_assert_uint_eq(hc->eip, H_CODE + e->len + 1u);
        return false;
    }
    /* #DE is a fault: the pushed EIP is the DIV itself, nothing was changed */
    ck_assert_int_eq(hc->last_vector, EX_DE);
    ck_assert_uint_eq(hc->eip, H_STUB(EX_DE) + 1);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 12);
    ck_assert_uint_eq(h_stack(0), H_CODE);
    ck_assert_uint_eq(h_stack(1), SEL_CODE0);
    ck_assert_uint_eq(hc->regs[R_EAX], eax);
    ck_assert_uint_eq(hc->regs[R_EDX], edx);
    return true;
}

START_TEST(test_div_idiv)
{
    h_pm(H_CODE);
    const Enc *tab[2][3] = {{&e_div8, &e_div16, &e_div32}, {&e_idiv8, &e_idiv16, &e_idiv32}};
    int cases = 0, faults = 0;
    for (int sgn = 0; sgn < 2; sgn++)
        for (int sz = 0; sz < 3; sz++) {
            int n, nd;
            const uint32_t *dv = vals_of(sz, &nd);
            const uint32_t *v = vals_of(sz == 0 ? 1 : 2, &n); /* dividend halves */
            for (int ih = 0; ih < (sz == 0 ? 1 : n); ih++)
                for (int il = 0; il < n; il++)
                    for (int id = 0; id < nd; id++) {
                        uint32_t d = dv[id];
                        uint32_t eax, edx = 0xD0D0D0D0;
                        __int128 num;
                        if (sz == 0) {
                            eax = 0xEEEE0000 | (v[il] & 0xFFFF);
                            num = sgn ? (__int128)(int16_t)v[il] : (__int128)(uint16_t)v[il];
                        } else if (sz == 1) {
                            eax = 0xEEEE0000 | (v[il] & 0xFFFF);
                            edx = 0xDDDD0000 | (v[ih] & 0xFFFF);
                            uint32_t n32 = (v[ih] & 0xFFFF) << 16 | (v[il] & 0xFFFF);
                            num = sgn ? (__int128)(int32_t)n32 : (__int128)n32;
                        } else {
                            eax = v[il];
                            edx = v[ih];
                            uint64_t n64 = (uint64_t)edx << 32 | eax;
                            num = sgn ? (__int128)(int64_t)n64 : (__int128)n64;
                        }
                        __int128 den = sgn ? (__int128)(int32_t)sext(d, sz) : (__int128)d;
                        bool ovf;
                        __int128 q = 0, r = 0;
                        if (den == 0) {
                            ovf = true;
                        } else {
                            q = num / den; /* truncates toward zero, as IDIV does */
                            r = num % den;
                            __int128 lim = (__int128)1 << (BITS(sz) - (sgn ? 1 : 0));
                            ovf = sgn ? (q >= lim || q < -lim) : q >= lim;
                        }
                        uint32_t ecx = merge(0xCCCCCCCC, d, sz);
                        bool de = div_run(tab[sgn][sz], eax, edx, ecx, 0);
                        cases++;
                        if (de != ovf) {
                            H_MISMATCH("%s: edx=%08x eax=%08x / %08x: #DE %d, expected %d",
                                       tab[sgn][sz]->text, edx, eax, d, de, ovf);
                            continue;
                        }
                        if (de) {
                            faults++;
                            continue;
                        }
                        uint32_t m = MASK(sz), qe = (uint32_t)q & m, re = (uint32_t)r & m;
                        uint32_t we = sz == 0 ? (eax & 0xFFFF0000) | re << 8 | qe : (eax & ~m) | qe;
                        uint32_t wd = sz == 0 ? edx : (edx & ~m) | re;
                        if (hc->regs[R_EAX] != we || hc->regs[R_EDX] != wd ||
                            hc->regs[R_ECX] != ecx)
                            H_MISMATCH("%s: edx=%08x eax=%08x / %08x: got edx=%08x eax=%08x, "
                                       "want edx=%08x eax=%08x",
                                       tab[sgn][sz]->text, edx, eax, d, hc->regs[R_EDX],
                                       hc->regs[R_EAX], wd, we);
                    }
        }
    ck_assert_int_gt(faults, 50); /* the table does exercise #DE */
    ck_assert_int_gt(cases - faults, 500);
    FINISH("div/idiv");
}
END_TEST

/* Memory divisors (32-bit DIV, 16-bit IDIV). */
START_TEST(test_div_mem)
{
    h_pm(H_CODE);
    ck_assert(!div_run(&e_div32m, 0x9ABCDEF0, 0x12345678, 0, 0x87654321));
    uint64_t n = 0x123456789ABCDEF0ull;
    ck_assert_uint_eq(hc->regs[R_EAX], (uint32_t)(n / 0x87654321u));
    ck_assert_uint_eq(hc->regs[R_EDX], (uint32_t)(n % 0x87654321u));
    /* idiv word [esi]: DX:AX = -100000 (0xFFFE:7960) / -7 = 14285 r -5 */
    ck_assert(!div_run(&e_idiv16m, 0x11117960, 0x2222FFFE, 0, 0xFFF9));
    ck_assert_uint_eq(hc->regs[R_EAX], 0x11110000u | 14285u);
    ck_assert_uint_eq(hc->regs[R_EDX], 0x22220000u | (uint16_t)-5);
    ck_assert(div_run(&e_div32m, 1, 1, 0, 0)); /* zero divisor in memory */
}
END_TEST

/* Divide by zero: #DE delivered through the IDT; the pushed EIP is the DIV. */
START_TEST(test_div_zero_de)
{
    h_pm(H_CODE);
    H_LOAD(H_CODE, de_pm);
    int r = h_run_halt(20);
    H_EXPECT_EXC(r, EX_DE, -1, H_CODE + 0x0C);
    ck_assert_uint_eq(h_stack(1), SEL_CODE0);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x11111111);
    ck_assert_uint_eq(hc->regs[R_EDX], 0x22222222);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 12);
    ck_assert_int_eq(hc->cpl, 0);
}
END_TEST

/* IDIV of EDX:EAX = 0x80000000:00000000 (-2^63) by -1: the quotient does not
 * fit: #DE (and the host must not trap evaluating it). */
START_TEST(test_idiv_overflow_de)
{
    h_pm(H_CODE);
    H_LOAD(H_CODE, idiv_ovf);
    int r = h_run_halt(20);
    H_EXPECT_EXC(r, EX_DE, -1, H_CODE + 0x0C);
    ck_assert_uint_eq(hc->regs[R_EDX], 0x80000000);
    ck_assert_uint_eq(hc->regs[R_EAX], 0);
    /* the classic 32-bit case: -2^31 / -1 = 2^31 does not fit in EAX */
    ck_assert(div_run(&e_idiv32, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFF, 0));
    /* ... but -2^31 / 1 does, and 2^31-1 / -1 too */
    ck_assert(!div_run(&e_idiv32, 0x80000000, 0xFFFFFFFF, 1, 0));
    ck_assert_uint_eq(hc->regs[R_EAX], 0x80000000);
    ck_assert(!div_run(&e_idiv32, 0x7FFFFFFF, 0, 0xFFFFFFFF, 0));
    ck_assert_uint_eq(hc->regs[R_EAX], 0x80000001);
    /* 16- and 8-bit: -32768 / -1 and -128 / -1 fault, 128 / -1 = -128 does not */
    ck_assert(div_run(&e_idiv16, 0x8000, 0xFFFF, 0xFFFF, 0));
    ck_assert(div_run(&e_idiv8, 0xFF80, 0, 0xFF, 0));
    ck_assert(!div_run(&e_idiv8, 0x0080, 0, 0xFF, 0));
    ck_assert_uint_eq(hc->regs[R_EAX] & 0xFFFF, 0x0080); /* AL = -128, AH = 0 */
    /* unsigned: 0x100 / 1 does not fit in AL */
    ck_assert(div_run(&e_div8, 0x0100, 0, 1, 0));
}
END_TEST

/* Real mode: #DE through the IVT, the pushed IP is the DIV's. */
START_TEST(test_div_zero_real_mode)
{
    h_real(0x1000, 0x0100);
    hc->idt_base = H_IVT;
    h_load(H_CODE + 0x100, de_real, sizeof de_real);
    hc->regs[R_EAX] = 0x1234;
    hc->regs[R_ECX] = 0;
    hc->regs[R_ESP] = 0x8000;
    int r = h_run_halt(20);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_DE);
    ck_assert_uint_eq(hc->seg[S_CS].sel, 0);
    ck_assert_uint_eq(hc->eip, H_STUB(EX_DE) + 1);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x8000 - 6);
    ck_assert_uint_eq(h_r16(0x8000 - 6), 0x0100); /* IP of the DIV */
    ck_assert_uint_eq(h_r16(0x8000 - 4), 0x1000); /* CS */
    ck_assert_uint_eq(hc->regs[R_EAX], 0x1234);
}
END_TEST

static Suite *muldiv_suite(void)
{
    Suite *s = suite_create("cpu_muldiv");
    TCase *tc = h_tcase("mul");
    tcase_add_test(tc, test_mul_imul_one_operand);
    tcase_add_test(tc, test_imul_two_three_operand);
    suite_add_tcase(s, tc);
    tc = h_tcase("div");
    tcase_add_test(tc, test_div_idiv);
    tcase_add_test(tc, test_div_mem);
    tcase_add_test(tc, test_div_zero_de);
    tcase_add_test(tc, test_idiv_overflow_de);
    tcase_add_test(tc, test_div_zero_real_mode);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(muldiv_suite)
