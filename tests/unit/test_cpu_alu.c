/* CPU interpreter unit tests: integer ALU, shifts/rotates, bit operations,
 * conditions, BCD, conversions, LEA and addressing.
 *
 * Most tests are table driven and use the host CPU (x86-64) as the oracle:
 * the same operation runs natively (inline asm between POPFQ/PUSHFQ) and in
 * the emulator, and the results and the flags the SDM defines for that
 * instruction must agree (undefined flags are masked out per instruction).
 * Instructions that do not exist in 64-bit mode (DAA, AAA, ...) are checked
 * against the SDM pseudocode written out below.
 *
 * Machine code was generated with GNU as (as --32, .intel_syntax noprefix);
 * each encoding carries its assembly text. */
#include "tests/unit/cpu_harness.h"

#if !defined(__x86_64__)
#error "these tests use the host x86-64 CPU as the reference"
#endif

/* ------------------------------------------------------------------ host oracle */

#define NAT_FI(fin) ((uint64_t)((fin)&F_ARITH) | 2u)
#define NAT_PRE "sub $128, %%rsp\n\tpush %[fi]\n\tpopfq\n\t"
#define NAT_POST "\n\tpushfq\n\tpop %[f]\n\tadd $128, %%rsp"

typedef uint32_t (*NatBin)(uint32_t a, uint32_t b, uint32_t fin, uint32_t *fout);

/* a = a OP b */
#define NAT_BIN(name, mn, T)                                                                       \
    static uint32_t name(uint32_t a_, uint32_t b_, uint32_t fin, uint32_t *fout)                   \
    {                                                                                              \
        T a = (T)a_, b = (T)b_;                                                                    \
        uint64_t f, fi = NAT_FI(fin);                                                              \
        __asm__ volatile(NAT_PRE mn " %[b], %[a]" NAT_POST                                         \
                         : [a] "+r"(a), [f] "=&r"(f)                                               \
                         : [b] "r"(b), [fi] "r"(fi)                                                \
                         : "cc", "memory");                                                        \
        *fout = (uint32_t)f & F_ARITH;                                                             \
        return a;                                                                                  \
    }
/* a = a OP cl (shifts, rotates) */
#define NAT_SH(name, mn, T)                                                                        \
    static uint32_t name(uint32_t a_, uint32_t cnt, uint32_t fin, uint32_t *fout)                  \
    {                                                                                              \
        T a = (T)a_;                                                                               \
        uint8_t cl = (uint8_t)cnt;                                                                 \
        uint64_t f, fi = NAT_FI(fin);                                                              \
        __asm__ volatile(NAT_PRE mn " %%cl, %[a]" NAT_POST                                         \
                         : [a] "+r"(a), [f] "=&r"(f)                                               \
                         : "c"(cl), [fi] "r"(fi)                                                   \
                         : "cc", "memory");                                                        \
        *fout = (uint32_t)f & F_ARITH;                                                             \
        return a;                                                                                  \
    }
/* a = OP a */
#define NAT_UN(name, mn, T)                                                                        \
    static uint32_t name(uint32_t a_, uint32_t unused, uint32_t fin, uint32_t *fout)               \
    {                                                                                              \
        (void)unused;                                                                              \
        T a = (T)a_;                                                                               \
        uint64_t f, fi = NAT_FI(fin);                                                              \
        __asm__ volatile(NAT_PRE mn " %[a]" NAT_POST                                               \
                         : [a] "+r"(a), [f] "=&r"(f)                                               \
                         : [fi] "r"(fi)                                                            \
                         : "cc", "memory");                                                        \
        *fout = (uint32_t)f & F_ARITH;                                                             \
        return a;                                                                                  \
    }
/* a = SHxD(a, b, cl) */
#define NAT_SHD(name, mn, T)                                                                       \
    static uint32_t name(uint32_t a_, uint32_t b_, uint32_t cnt, uint32_t fin, uint32_t *fout)     \
    {                                                                                              \
        T a = (T)a_, b = (T)b_;                                                                    \
        uint8_t cl = (uint8_t)cnt;                                                                 \
        uint64_t f, fi = NAT_FI(fin);                                                              \
        __asm__ volatile(NAT_PRE mn " %%cl, %[b], %[a]" NAT_POST                                   \
                         : [a] "+r"(a), [f] "=&r"(f)                                               \
                         : [b] "r"(b), "c"(cl), [fi] "r"(fi)                                       \
                         : "cc", "memory");                                                        \
        *fout = (uint32_t)f & F_ARITH;                                                             \
        return a;                                                                                  \
    }
/* XADD a, b: a = a + b, b = old a */
#define NAT_XADD(name, mn, T)                                                                      \
    static uint32_t name(uint32_t a_, uint32_t *b_, uint32_t fin, uint32_t *fout)                  \
    {                                                                                              \
        T a = (T)a_, b = (T)*b_;                                                                   \
        uint64_t f, fi = NAT_FI(fin);                                                              \
        __asm__ volatile(NAT_PRE mn " %[b], %[a]" NAT_POST                                         \
                         : [a] "+r"(a), [b] "+r"(b), [f] "=&r"(f)                                  \
                         : [fi] "r"(fi)                                                            \
                         : "cc", "memory");                                                        \
        *fout = (uint32_t)f & F_ARITH;                                                             \
        *b_ = b;                                                                                   \
        return a;                                                                                  \
    }
/* CMPXCHG d, s with accumulator *acc */
#define NAT_CMPXCHG(name, mn, T)                                                                   \
    static uint32_t name(uint32_t d_, uint32_t s_, uint32_t *acc_, uint32_t fin, uint32_t *fout)   \
    {                                                                                              \
        T d = (T)d_, s = (T)s_, acc = (T)*acc_;                                                    \
        uint64_t f, fi = NAT_FI(fin);                                                              \
        __asm__ volatile(NAT_PRE mn " %[s], %[d]" NAT_POST                                         \
                         : [d] "+r"(d), "+a"(acc), [f] "=&r"(f)                                    \
                         : [s] "r"(s), [fi] "r"(fi)                                                \
                         : "cc", "memory");                                                        \
        *fout = (uint32_t)f & F_ARITH;                                                             \
        *acc_ = acc;                                                                               \
        return d;                                                                                  \
    }

#define NAT3(M, op)                                                                                \
    M(nat_##op##8, #op "b", uint8_t)                                                               \
    M(nat_##op##16, #op "w", uint16_t) M(nat_##op##32, #op "l", uint32_t)
#define NATROW(op)                                                                                 \
    {                                                                                              \
        nat_##op##8, nat_##op##16, nat_##op##32                                                    \
    }

NAT3(NAT_BIN, add)
NAT3(NAT_BIN, or) NAT3(NAT_BIN, adc) NAT3(NAT_BIN, sbb) NAT3(NAT_BIN, and) NAT3(NAT_BIN, sub)
    NAT3(NAT_BIN, xor) NAT3(NAT_BIN, cmp) NAT3(NAT_BIN, test) NAT3(NAT_SH, rol) NAT3(NAT_SH, ror)
        NAT3(NAT_SH, rcl) NAT3(NAT_SH, rcr) NAT3(NAT_SH, shl) NAT3(NAT_SH, shr) NAT3(NAT_SH, sar)
            NAT3(NAT_UN, inc) NAT3(NAT_UN, dec) NAT3(NAT_UN, neg) NAT3(NAT_UN, not )
                NAT_SHD(nat_shld16, "shldw", uint16_t) NAT_SHD(nat_shld32, "shldl", uint32_t)
                    NAT_SHD(nat_shrd16, "shrdw", uint16_t) NAT_SHD(nat_shrd32, "shrdl", uint32_t)
                        NAT_BIN(nat_bt16, "btw", uint16_t) NAT_BIN(nat_bt32, "btl", uint32_t)
                            NAT_BIN(nat_bts16, "btsw", uint16_t)
                                NAT_BIN(nat_bts32, "btsl", uint32_t)
                                    NAT_BIN(nat_btr16, "btrw", uint16_t)
                                        NAT_BIN(nat_btr32, "btrl", uint32_t)
                                            NAT_BIN(nat_btc16, "btcw", uint16_t)
                                                NAT_BIN(nat_btc32, "btcl", uint32_t)
                                                    NAT3(NAT_XADD, xadd) NAT3(NAT_CMPXCHG, cmpxchg)

    /* op order = ModRM.reg order of group 1, then TEST */
    static const NatBin nat_alu[9][3] = {NATROW(add), NATROW(or),  NATROW(adc),
                                         NATROW(sbb), NATROW(and), NATROW(sub),
                                         NATROW(xor), NATROW(cmp), NATROW(test)};
static const NatBin nat_shift[7][3] = {NATROW(rol), NATROW(ror), NATROW(rcl), NATROW(rcr),
                                       NATROW(shl), NATROW(shr), NATROW(sar)};
static const NatBin nat_unary[4][3] = {NATROW(inc), NATROW(dec), NATROW(neg), NATROW(not )};
static const NatBin nat_bt[4][2] = {
    {nat_bt16, nat_bt32}, {nat_bts16, nat_bts32}, {nat_btr16, nat_btr32}, {nat_btc16, nat_btc32}};

/* Jcc/SETcc/CMOVcc condition cc from flags, straight from the SDM table. */
static bool cond_ref(int cc, uint32_t f)
{
    bool cf = f & F_CF, zf = f & F_ZF, sf = f & F_SF, of = f & F_OF, pf = f & F_PF, r;
    switch (cc >> 1) {
    case 0:
        r = of;
        break;
    case 1:
        r = cf;
        break;
    case 2:
        r = zf;
        break;
    case 3:
        r = cf || zf;
        break;
    case 4:
        r = sf;
        break;
    case 5:
        r = pf;
        break;
    case 6:
        r = sf != of;
        break;
    default:
        r = zf || (sf != of);
        break;
    }
    return r ^ (cc & 1);
}

/* ------------------------------------------------------------------ test values */

static const uint32_t v8_fixed[] = {0,    1,    2,    0x0F, 0x10, 0x3F, 0x40, 0x55,
                                    0x7F, 0x80, 0x81, 0xAA, 0xF0, 0xFE, 0xFF};
static const uint32_t v16_fixed[] = {0,      1,      0x7F,   0x80,   0xFF,   0x100,  0x0FFF, 0x1000,
                                     0x5555, 0x7FFF, 0x8000, 0x8001, 0xAAAA, 0xFFFE, 0xFFFF};
static const uint32_t v32_fixed[] = {0,          1,          0x7F,       0x80,       0xFF,
                                     0x7FFF,     0x8000,     0xFFFF,     0x10000,    0x0FFFFFFF,
                                     0x55555555, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xAAAAAAAA,
                                     0xFFFFFFFE, 0xFFFFFFFF};
#define NRAND 5
static uint32_t vbuf[3][32];

/* Edge values for an operand size, then a few pseudo-random ones. */
static const uint32_t *vals(int sz, int *n)
{
    const uint32_t *fx = sz == 0 ? v8_fixed : sz == 1 ? v16_fixed : v32_fixed;
    int nf = sz == 0   ? (int)(sizeof v8_fixed / 4)
             : sz == 1 ? (int)(sizeof v16_fixed / 4)
                       : (int)(sizeof v32_fixed / 4);
    memcpy(vbuf[sz], fx, (size_t)nf * 4);
    h_rng_state = 0x9E3779B9u + (uint32_t)sz;
    for (int k = 0; k < NRAND; k++)
        vbuf[sz][nf + k] = h_rand() & MASK(sz);
    *n = nf + NRAND;
    return vbuf[sz];
}

static const uint32_t fins[] = {0, F_CF, F_ARITH, F_AF | F_ZF, F_OF | F_SF | F_PF};
#define NFINS ((int)(sizeof fins / sizeof fins[0]))

/* ------------------------------------------------------------------ encodings (GNU as) */

/* binary ALU ops, [op][size][form] with op = add or adc sbb and sub xor cmp test */
/* alu_enc: generated with GNU as (--32, .intel_syntax noprefix) */
static const Enc alu_enc[9 * 3 * 6] = {
    {"add al, dl", 2, 0, {0x00, 0xD0}},
    {"add byte ptr [esi], dl", 2, 0, {0x00, 0x16}},
    {"add dl, byte ptr [esi]", 2, 0, {0x02, 0x16}},
    {"add al, 0x12", 2, 1, {0x04, 0x12}},
    {"add byte ptr [esi], 0x12", 3, 1, {0x80, 0x06, 0x12}},
    {NULL, 0, 0, {0}},
    {"add ax, dx", 3, 0, {0x66, 0x01, 0xD0}},
    {"add word ptr [esi], dx", 3, 0, {0x66, 0x01, 0x16}},
    {"add dx, word ptr [esi]", 3, 0, {0x66, 0x03, 0x16}},
    {"add ax, 0x1234", 4, 2, {0x66, 0x05, 0x34, 0x12}},
    {"add word ptr [esi], 0x1234", 5, 2, {0x66, 0x81, 0x06, 0x34, 0x12}},
    {"add word ptr [esi], 0x12", 4, 1, {0x66, 0x83, 0x06, 0x12}},
    {"add eax, edx", 2, 0, {0x01, 0xD0}},
    {"add dword ptr [esi], edx", 2, 0, {0x01, 0x16}},
    {"add edx, dword ptr [esi]", 2, 0, {0x03, 0x16}},
    {"add eax, 0x12345678", 5, 4, {0x05, 0x78, 0x56, 0x34, 0x12}},
    {"add dword ptr [esi], 0x12345678", 6, 4, {0x81, 0x06, 0x78, 0x56, 0x34, 0x12}},
    {"add dword ptr [esi], 0x12", 3, 1, {0x83, 0x06, 0x12}},
    {"or al, dl", 2, 0, {0x08, 0xD0}},
    {"or byte ptr [esi], dl", 2, 0, {0x08, 0x16}},
    {"or dl, byte ptr [esi]", 2, 0, {0x0A, 0x16}},
    {"or al, 0x12", 2, 1, {0x0C, 0x12}},
    {"or byte ptr [esi], 0x12", 3, 1, {0x80, 0x0E, 0x12}},
    {NULL, 0, 0, {0}},
    {"or ax, dx", 3, 0, {0x66, 0x09, 0xD0}},
    {"or word ptr [esi], dx", 3, 0, {0x66, 0x09, 0x16}},
    {"or dx, word ptr [esi]", 3, 0, {0x66, 0x0B, 0x16}},
    {"or ax, 0x1234", 4, 2, {0x66, 0x0D, 0x34, 0x12}},
    {"or word ptr [esi], 0x1234", 5, 2, {0x66, 0x81, 0x0E, 0x34, 0x12}},
    {"or word ptr [esi], 0x12", 4, 1, {0x66, 0x83, 0x0E, 0x12}},
    {"or eax, edx", 2, 0, {0x09, 0xD0}},
    {"or dword ptr [esi], edx", 2, 0, {0x09, 0x16}},
    {"or edx, dword ptr [esi]", 2, 0, {0x0B, 0x16}},
    {"or eax, 0x12345678", 5, 4, {0x0D, 0x78, 0x56, 0x34, 0x12}},
    {"or dword ptr [esi], 0x12345678", 6, 4, {0x81, 0x0E, 0x78, 0x56, 0x34, 0x12}},
    {"or dword ptr [esi], 0x12", 3, 1, {0x83, 0x0E, 0x12}},
    {"adc al, dl", 2, 0, {0x10, 0xD0}},
    {"adc byte ptr [esi], dl", 2, 0, {0x10, 0x16}},
    {"adc dl, byte ptr [esi]", 2, 0, {0x12, 0x16}},
    {"adc al, 0x12", 2, 1, {0x14, 0x12}},
    {"adc byte ptr [esi], 0x12", 3, 1, {0x80, 0x16, 0x12}},
    {NULL, 0, 0, {0}},
    {"adc ax, dx", 3, 0, {0x66, 0x11, 0xD0}},
    {"adc word ptr [esi], dx", 3, 0, {0x66, 0x11, 0x16}},
    {"adc dx, word ptr [esi]", 3, 0, {0x66, 0x13, 0x16}},
    {"adc ax, 0x1234", 4, 2, {0x66, 0x15, 0x34, 0x12}},
    {"adc word ptr [esi], 0x1234", 5, 2, {0x66, 0x81, 0x16, 0x34, 0x12}},
    {"adc word ptr [esi], 0x12", 4, 1, {0x66, 0x83, 0x16, 0x12}},
    {"adc eax, edx", 2, 0, {0x11, 0xD0}},
    {"adc dword ptr [esi], edx", 2, 0, {0x11, 0x16}},
    {"adc edx, dword ptr [esi]", 2, 0, {0x13, 0x16}},
    {"adc eax, 0x12345678", 5, 4, {0x15, 0x78, 0x56, 0x34, 0x12}},
    {"adc dword ptr [esi], 0x12345678", 6, 4, {0x81, 0x16, 0x78, 0x56, 0x34, 0x12}},
    {"adc dword ptr [esi], 0x12", 3, 1, {0x83, 0x16, 0x12}},
    {"sbb al, dl", 2, 0, {0x18, 0xD0}},
    {"sbb byte ptr [esi], dl", 2, 0, {0x18, 0x16}},
    {"sbb dl, byte ptr [esi]", 2, 0, {0x1A, 0x16}},
    {"sbb al, 0x12", 2, 1, {0x1C, 0x12}},
    {"sbb byte ptr [esi], 0x12", 3, 1, {0x80, 0x1E, 0x12}},
    {NULL, 0, 0, {0}},
    {"sbb ax, dx", 3, 0, {0x66, 0x19, 0xD0}},
    {"sbb word ptr [esi], dx", 3, 0, {0x66, 0x19, 0x16}},
    {"sbb dx, word ptr [esi]", 3, 0, {0x66, 0x1B, 0x16}},
    {"sbb ax, 0x1234", 4, 2, {0x66, 0x1D, 0x34, 0x12}},
    {"sbb word ptr [esi], 0x1234", 5, 2, {0x66, 0x81, 0x1E, 0x34, 0x12}},
    {"sbb word ptr [esi], 0x12", 4, 1, {0x66, 0x83, 0x1E, 0x12}},
    {"sbb eax, edx", 2, 0, {0x19, 0xD0}},
    {"sbb dword ptr [esi], edx", 2, 0, {0x19, 0x16}},
    {"sbb edx, dword ptr [esi]", 2, 0, {0x1B, 0x16}},
    {"sbb eax, 0x12345678", 5, 4, {0x1D, 0x78, 0x56, 0x34, 0x12}},
    {"sbb dword ptr [esi], 0x12345678", 6, 4, {0x81, 0x1E, 0x78, 0x56, 0x34, 0x12}},
    {"sbb dword ptr [esi], 0x12", 3, 1, {0x83, 0x1E, 0x12}},
    {"and al, dl", 2, 0, {0x20, 0xD0}},
    {"and byte ptr [esi], dl", 2, 0, {0x20, 0x16}},
    {"and dl, byte ptr [esi]", 2, 0, {0x22, 0x16}},
    {"and al, 0x12", 2, 1, {0x24, 0x12}},
    {"and byte ptr [esi], 0x12", 3, 1, {0x80, 0x26, 0x12}},
    {NULL, 0, 0, {0}},
    {"and ax, dx", 3, 0, {0x66, 0x21, 0xD0}},
    {"and word ptr [esi], dx", 3, 0, {0x66, 0x21, 0x16}},
    {"and dx, word ptr [esi]", 3, 0, {0x66, 0x23, 0x16}},
    {"and ax, 0x1234", 4, 2, {0x66, 0x25, 0x34, 0x12}},
    {"and word ptr [esi], 0x1234", 5, 2, {0x66, 0x81, 0x26, 0x34, 0x12}},
    {"and word ptr [esi], 0x12", 4, 1, {0x66, 0x83, 0x26, 0x12}},
    {"and eax, edx", 2, 0, {0x21, 0xD0}},
    {"and dword ptr [esi], edx", 2, 0, {0x21, 0x16}},
    {"and edx, dword ptr [esi]", 2, 0, {0x23, 0x16}},
    {"and eax, 0x12345678", 5, 4, {0x25, 0x78, 0x56, 0x34, 0x12}},
    {"and dword ptr [esi], 0x12345678", 6, 4, {0x81, 0x26, 0x78, 0x56, 0x34, 0x12}},
    {"and dword ptr [esi], 0x12", 3, 1, {0x83, 0x26, 0x12}},
    {"sub al, dl", 2, 0, {0x28, 0xD0}},
    {"sub byte ptr [esi], dl", 2, 0, {0x28, 0x16}},
    {"sub dl, byte ptr [esi]", 2, 0, {0x2A, 0x16}},
    {"sub al, 0x12", 2, 1, {0x2C, 0x12}},
    {"sub byte ptr [esi], 0x12", 3, 1, {0x80, 0x2E, 0x12}},
    {NULL, 0, 0, {0}},
    {"sub ax, dx", 3, 0, {0x66, 0x29, 0xD0}},
    {"sub word ptr [esi], dx", 3, 0, {0x66, 0x29, 0x16}},
    {"sub dx, word ptr [esi]", 3, 0, {0x66, 0x2B, 0x16}},
    {"sub ax, 0x1234", 4, 2, {0x66, 0x2D, 0x34, 0x12}},
    {"sub word ptr [esi], 0x1234", 5, 2, {0x66, 0x81, 0x2E, 0x34, 0x12}},
    {"sub word ptr [esi], 0x12", 4, 1, {0x66, 0x83, 0x2E, 0x12}},
    {"sub eax, edx", 2, 0, {0x29, 0xD0}},
    {"sub dword ptr [esi], edx", 2, 0, {0x29, 0x16}},
    {"sub edx, dword ptr [esi]", 2, 0, {0x2B, 0x16}},
    {"sub eax, 0x12345678", 5, 4, {0x2D, 0x78, 0x56, 0x34, 0x12}},
    {"sub dword ptr [esi], 0x12345678", 6, 4, {0x81, 0x2E, 0x78, 0x56, 0x34, 0x12}},
    {"sub dword ptr [esi], 0x12", 3, 1, {0x83, 0x2E, 0x12}},
    {"xor al, dl", 2, 0, {0x30, 0xD0}},
    {"xor byte ptr [esi], dl", 2, 0, {0x30, 0x16}},
    {"xor dl, byte ptr [esi]", 2, 0, {0x32, 0x16}},
    {"xor al, 0x12", 2, 1, {0x34, 0x12}},
    {"xor byte ptr [esi], 0x12", 3, 1, {0x80, 0x36, 0x12}},
    {NULL, 0, 0, {0}},
    {"xor ax, dx", 3, 0, {0x66, 0x31, 0xD0}},
    {"xor word ptr [esi], dx", 3, 0, {0x66, 0x31, 0x16}},
    {"xor dx, word ptr [esi]", 3, 0, {0x66, 0x33, 0x16}},
    {"xor ax, 0x1234", 4, 2, {0x66, 0x35, 0x34, 0x12}},
    {"xor word ptr [esi], 0x1234", 5, 2, {0x66, 0x81, 0x36, 0x34, 0x12}},
    {"xor word ptr [esi], 0x12", 4, 1, {0x66, 0x83, 0x36, 0x12}},
    {"xor eax, edx", 2, 0, {0x31, 0xD0}},
    {"xor dword ptr [esi], edx", 2, 0, {0x31, 0x16}},
    {"xor edx, dword ptr [esi]", 2, 0, {0x33, 0x16}},
    {"xor eax, 0x12345678", 5, 4, {0x35, 0x78, 0x56, 0x34, 0x12}},
    {"xor dword ptr [esi], 0x12345678", 6, 4, {0x81, 0x36, 0x78, 0x56, 0x34, 0x12}},
    {"xor dword ptr [esi], 0x12", 3, 1, {0x83, 0x36, 0x12}},
    {"cmp al, dl", 2, 0, {0x38, 0xD0}},
    {"cmp byte ptr [esi], dl", 2, 0, {0x38, 0x16}},
    {"cmp dl, byte ptr [esi]", 2, 0, {0x3A, 0x16}},
    {"cmp al, 0x12", 2, 1, {0x3C, 0x12}},
    {"cmp byte ptr [esi], 0x12", 3, 1, {0x80, 0x3E, 0x12}},
    {NULL, 0, 0, {0}},
    {"cmp ax, dx", 3, 0, {0x66, 0x39, 0xD0}},
    {"cmp word ptr [esi], dx", 3, 0, {0x66, 0x39, 0x16}},
    {"cmp dx, word ptr [esi]", 3, 0, {0x66, 0x3B, 0x16}},
    {"cmp ax, 0x1234", 4, 2, {0x66, 0x3D, 0x34, 0x12}},
    {"cmp word ptr [esi], 0x1234", 5, 2, {0x66, 0x81, 0x3E, 0x34, 0x12}},
    {"cmp word ptr [esi], 0x12", 4, 1, {0x66, 0x83, 0x3E, 0x12}},
    {"cmp eax, edx", 2, 0, {0x39, 0xD0}},
    {"cmp dword ptr [esi], edx", 2, 0, {0x39, 0x16}},
    {"cmp edx, dword ptr [esi]", 2, 0, {0x3B, 0x16}},
    {"cmp eax, 0x12345678", 5, 4, {0x3D, 0x78, 0x56, 0x34, 0x12}},
    {"cmp dword ptr [esi], 0x12345678", 6, 4, {0x81, 0x3E, 0x78, 0x56, 0x34, 0x12}},
    {"cmp dword ptr [esi], 0x12", 3, 1, {0x83, 0x3E, 0x12}},
    {"test al, dl", 2, 0, {0x84, 0xD0}},
    {"test byte ptr [esi], dl", 2, 0, {0x84, 0x16}},
    {NULL, 0, 0, {0}},
    {"test al, 0x12", 2, 1, {0xA8, 0x12}},
    {"test byte ptr [esi], 0x12", 3, 1, {0xF6, 0x06, 0x12}},
    {NULL, 0, 0, {0}},
    {"test ax, dx", 3, 0, {0x66, 0x85, 0xD0}},
    {"test word ptr [esi], dx", 3, 0, {0x66, 0x85, 0x16}},
    {NULL, 0, 0, {0}},
    {"test ax, 0x1234", 4, 2, {0x66, 0xA9, 0x34, 0x12}},
    {"test word ptr [esi], 0x1234", 5, 2, {0x66, 0xF7, 0x06, 0x34, 0x12}},
    {NULL, 0, 0, {0}},
    {"test eax, edx", 2, 0, {0x85, 0xD0}},
    {"test dword ptr [esi], edx", 2, 0, {0x85, 0x16}},
    {NULL, 0, 0, {0}},
    {"test eax, 0x12345678", 5, 4, {0xA9, 0x78, 0x56, 0x34, 0x12}},
    {"test dword ptr [esi], 0x12345678", 6, 4, {0xF7, 0x06, 0x78, 0x56, 0x34, 0x12}},
    {NULL, 0, 0, {0}},
};

/* shift_enc: generated with GNU as (--32, .intel_syntax noprefix) */
static const Enc shift_enc[7 * 3 * 4] = {
    {"rol al, cl", 2, 0, {0xD2, 0xC0}},
    {"rol al, 1", 2, 0, {0xD0, 0xC0}},
    {"rol al, 2", 3, 1, {0xC0, 0xC0, 0x02}},
    {"rol byte ptr [esi], cl", 2, 0, {0xD2, 0x06}},
    {"rol ax, cl", 3, 0, {0x66, 0xD3, 0xC0}},
    {"rol ax, 1", 3, 0, {0x66, 0xD1, 0xC0}},
    {"rol ax, 2", 4, 1, {0x66, 0xC1, 0xC0, 0x02}},
    {"rol word ptr [esi], cl", 3, 0, {0x66, 0xD3, 0x06}},
    {"rol eax, cl", 2, 0, {0xD3, 0xC0}},
    {"rol eax, 1", 2, 0, {0xD1, 0xC0}},
    {"rol eax, 2", 3, 1, {0xC1, 0xC0, 0x02}},
    {"rol dword ptr [esi], cl", 2, 0, {0xD3, 0x06}},
    {"ror al, cl", 2, 0, {0xD2, 0xC8}},
    {"ror al, 1", 2, 0, {0xD0, 0xC8}},
    {"ror al, 2", 3, 1, {0xC0, 0xC8, 0x02}},
    {"ror byte ptr [esi], cl", 2, 0, {0xD2, 0x0E}},
    {"ror ax, cl", 3, 0, {0x66, 0xD3, 0xC8}},
    {"ror ax, 1", 3, 0, {0x66, 0xD1, 0xC8}},
    {"ror ax, 2", 4, 1, {0x66, 0xC1, 0xC8, 0x02}},
    {"ror word ptr [esi], cl", 3, 0, {0x66, 0xD3, 0x0E}},
    {"ror eax, cl", 2, 0, {0xD3, 0xC8}},
    {"ror eax, 1", 2, 0, {0xD1, 0xC8}},
    {"ror eax, 2", 3, 1, {0xC1, 0xC8, 0x02}},
    {"ror dword ptr [esi], cl", 2, 0, {0xD3, 0x0E}},
    {"rcl al, cl", 2, 0, {0xD2, 0xD0}},
    {"rcl al, 1", 2, 0, {0xD0, 0xD0}},
    {"rcl al, 2", 3, 1, {0xC0, 0xD0, 0x02}},
    {"rcl byte ptr [esi], cl", 2, 0, {0xD2, 0x16}},
    {"rcl ax, cl", 3, 0, {0x66, 0xD3, 0xD0}},
    {"rcl ax, 1", 3, 0, {0x66, 0xD1, 0xD0}},
    {"rcl ax, 2", 4, 1, {0x66, 0xC1, 0xD0, 0x02}},
    {"rcl word ptr [esi], cl", 3, 0, {0x66, 0xD3, 0x16}},
    {"rcl eax, cl", 2, 0, {0xD3, 0xD0}},
    {"rcl eax, 1", 2, 0, {0xD1, 0xD0}},
    {"rcl eax, 2", 3, 1, {0xC1, 0xD0, 0x02}},
    {"rcl dword ptr [esi], cl", 2, 0, {0xD3, 0x16}},
    {"rcr al, cl", 2, 0, {0xD2, 0xD8}},
    {"rcr al, 1", 2, 0, {0xD0, 0xD8}},
    {"rcr al, 2", 3, 1, {0xC0, 0xD8, 0x02}},
    {"rcr byte ptr [esi], cl", 2, 0, {0xD2, 0x1E}},
    {"rcr ax, cl", 3, 0, {0x66, 0xD3, 0xD8}},
    {"rcr ax, 1", 3, 0, {0x66, 0xD1, 0xD8}},
    {"rcr ax, 2", 4, 1, {0x66, 0xC1, 0xD8, 0x02}},
    {"rcr word ptr [esi], cl", 3, 0, {0x66, 0xD3, 0x1E}},
    {"rcr eax, cl", 2, 0, {0xD3, 0xD8}},
    {"rcr eax, 1", 2, 0, {0xD1, 0xD8}},
    {"rcr eax, 2", 3, 1, {0xC1, 0xD8, 0x02}},
    {"rcr dword ptr [esi], cl", 2, 0, {0xD3, 0x1E}},
    {"shl al, cl", 2, 0, {0xD2, 0xE0}},
    {"shl al, 1", 2, 0, {0xD0, 0xE0}},
    {"shl al, 2", 3, 1, {0xC0, 0xE0, 0x02}},
    {"shl byte ptr [esi], cl", 2, 0, {0xD2, 0x26}},
    {"shl ax, cl", 3, 0, {0x66, 0xD3, 0xE0}},
    {"shl ax, 1", 3, 0, {0x66, 0xD1, 0xE0}},
    {"shl ax, 2", 4, 1, {0x66, 0xC1, 0xE0, 0x02}},
    {"shl word ptr [esi], cl", 3, 0, {0x66, 0xD3, 0x26}},
    {"shl eax, cl", 2, 0, {0xD3, 0xE0}},
    {"shl eax, 1", 2, 0, {0xD1, 0xE0}},
    {"shl eax, 2", 3, 1, {0xC1, 0xE0, 0x02}},
    {"shl dword ptr [esi], cl", 2, 0, {0xD3, 0x26}},
    {"shr al, cl", 2, 0, {0xD2, 0xE8}},
    {"shr al, 1", 2, 0, {0xD0, 0xE8}},
    {"shr al, 2", 3, 1, {0xC0, 0xE8, 0x02}},
    {"shr byte ptr [esi], cl", 2, 0, {0xD2, 0x2E}},
    {"shr ax, cl", 3, 0, {0x66, 0xD3, 0xE8}},
    {"shr ax, 1", 3, 0, {0x66, 0xD1, 0xE8}},
    {"shr ax, 2", 4, 1, {0x66, 0xC1, 0xE8, 0x02}},
    {"shr word ptr [esi], cl", 3, 0, {0x66, 0xD3, 0x2E}},
    {"shr eax, cl", 2, 0, {0xD3, 0xE8}},
    {"shr eax, 1", 2, 0, {0xD1, 0xE8}},
    {"shr eax, 2", 3, 1, {0xC1, 0xE8, 0x02}},
    {"shr dword ptr [esi], cl", 2, 0, {0xD3, 0x2E}},
    {"sar al, cl", 2, 0, {0xD2, 0xF8}},
    {"sar al, 1", 2, 0, {0xD0, 0xF8}},
    {"sar al, 2", 3, 1, {0xC0, 0xF8, 0x02}},
    {"sar byte ptr [esi], cl", 2, 0, {0xD2, 0x3E}},
    {"sar ax, cl", 3, 0, {0x66, 0xD3, 0xF8}},
    {"sar ax, 1", 3, 0, {0x66, 0xD1, 0xF8}},
    {"sar ax, 2", 4, 1, {0x66, 0xC1, 0xF8, 0x02}},
    {"sar word ptr [esi], cl", 3, 0, {0x66, 0xD3, 0x3E}},
    {"sar eax, cl", 2, 0, {0xD3, 0xF8}},
    {"sar eax, 1", 2, 0, {0xD1, 0xF8}},
    {"sar eax, 2", 3, 1, {0xC1, 0xF8, 0x02}},
    {"sar dword ptr [esi], cl", 2, 0, {0xD3, 0x3E}},
};

/* unary_enc: generated with GNU as (--32, .intel_syntax noprefix) */
static const Enc unary_enc[4 * 3 * 2] = {
    {"inc al", 2, 0, {0xFE, 0xC0}},
    {"inc byte ptr [esi]", 2, 0, {0xFE, 0x06}},
    {"inc ax", 2, 0, {0x66, 0x40}},
    {"inc word ptr [esi]", 3, 0, {0x66, 0xFF, 0x06}},
    {"inc eax", 1, 0, {0x40}},
    {"inc dword ptr [esi]", 2, 0, {0xFF, 0x06}},
    {"dec al", 2, 0, {0xFE, 0xC8}},
    {"dec byte ptr [esi]", 2, 0, {0xFE, 0x0E}},
    {"dec ax", 2, 0, {0x66, 0x48}},
    {"dec word ptr [esi]", 3, 0, {0x66, 0xFF, 0x0E}},
    {"dec eax", 1, 0, {0x48}},
    {"dec dword ptr [esi]", 2, 0, {0xFF, 0x0E}},
    {"neg al", 2, 0, {0xF6, 0xD8}},
    {"neg byte ptr [esi]", 2, 0, {0xF6, 0x1E}},
    {"neg ax", 3, 0, {0x66, 0xF7, 0xD8}},
    {"neg word ptr [esi]", 3, 0, {0x66, 0xF7, 0x1E}},
    {"neg eax", 2, 0, {0xF7, 0xD8}},
    {"neg dword ptr [esi]", 2, 0, {0xF7, 0x1E}},
    {"not al", 2, 0, {0xF6, 0xD0}},
    {"not byte ptr [esi]", 2, 0, {0xF6, 0x16}},
    {"not ax", 3, 0, {0x66, 0xF7, 0xD0}},
    {"not word ptr [esi]", 3, 0, {0x66, 0xF7, 0x16}},
    {"not eax", 2, 0, {0xF7, 0xD0}},
    {"not dword ptr [esi]", 2, 0, {0xF7, 0x16}},
};

/* shd_enc: generated with GNU as (--32, .intel_syntax noprefix) */
static const Enc shd_enc[2 * 2 * 3] = {
    {"shld ax, dx, 2", 5, 1, {0x66, 0x0F, 0xA4, 0xD0, 0x02}},
    {"shld ax, dx, cl", 4, 0, {0x66, 0x0F, 0xA5, 0xD0}},
    {"shld word ptr [esi], dx, cl", 4, 0, {0x66, 0x0F, 0xA5, 0x16}},
    {"shld eax, edx, 2", 4, 1, {0x0F, 0xA4, 0xD0, 0x02}},
    {"shld eax, edx, cl", 3, 0, {0x0F, 0xA5, 0xD0}},
    {"shld dword ptr [esi], edx, cl", 3, 0, {0x0F, 0xA5, 0x16}},
    {"shrd ax, dx, 2", 5, 1, {0x66, 0x0F, 0xAC, 0xD0, 0x02}},
    {"shrd ax, dx, cl", 4, 0, {0x66, 0x0F, 0xAD, 0xD0}},
    {"shrd word ptr [esi], dx, cl", 4, 0, {0x66, 0x0F, 0xAD, 0x16}},
    {"shrd eax, edx, 2", 4, 1, {0x0F, 0xAC, 0xD0, 0x02}},
    {"shrd eax, edx, cl", 3, 0, {0x0F, 0xAD, 0xD0}},
    {"shrd dword ptr [esi], edx, cl", 3, 0, {0x0F, 0xAD, 0x16}},
};

/* bt_enc: generated with GNU as (--32, .intel_syntax noprefix) */
static const Enc bt_enc[4 * 2 * 2] = {
    {"bt ax, dx", 4, 0, {0x66, 0x0F, 0xA3, 0xD0}},
    {"bt ax, 2", 5, 1, {0x66, 0x0F, 0xBA, 0xE0, 0x02}},
    {"bt eax, edx", 3, 0, {0x0F, 0xA3, 0xD0}},
    {"bt eax, 2", 4, 1, {0x0F, 0xBA, 0xE0, 0x02}},
    {"bts ax, dx", 4, 0, {0x66, 0x0F, 0xAB, 0xD0}},
    {"bts ax, 2", 5, 1, {0x66, 0x0F, 0xBA, 0xE8, 0x02}},
    {"bts eax, edx", 3, 0, {0x0F, 0xAB, 0xD0}},
    {"bts eax, 2", 4, 1, {0x0F, 0xBA, 0xE8, 0x02}},
    {"btr ax, dx", 4, 0, {0x66, 0x0F, 0xB3, 0xD0}},
    {"btr ax, 2", 5, 1, {0x66, 0x0F, 0xBA, 0xF0, 0x02}},
    {"btr eax, edx", 3, 0, {0x0F, 0xB3, 0xD0}},
    {"btr eax, 2", 4, 1, {0x0F, 0xBA, 0xF0, 0x02}},
    {"btc ax, dx", 4, 0, {0x66, 0x0F, 0xBB, 0xD0}},
    {"btc ax, 2", 5, 1, {0x66, 0x0F, 0xBA, 0xF8, 0x02}},
    {"btc eax, edx", 3, 0, {0x0F, 0xBB, 0xD0}},
    {"btc eax, 2", 4, 1, {0x0F, 0xBA, 0xF8, 0x02}},
};

/* xc_enc: generated with GNU as (--32, .intel_syntax noprefix) */
static const Enc xc_enc[2 * 3 * 2] = {
    {"xadd cl, dl", 3, 0, {0x0F, 0xC0, 0xD1}},
    {"xadd byte ptr [esi], dl", 3, 0, {0x0F, 0xC0, 0x16}},
    {"xadd cx, dx", 4, 0, {0x66, 0x0F, 0xC1, 0xD1}},
    {"xadd word ptr [esi], dx", 4, 0, {0x66, 0x0F, 0xC1, 0x16}},
    {"xadd ecx, edx", 3, 0, {0x0F, 0xC1, 0xD1}},
    {"xadd dword ptr [esi], edx", 3, 0, {0x0F, 0xC1, 0x16}},
    {"cmpxchg cl, dl", 3, 0, {0x0F, 0xB0, 0xD1}},
    {"cmpxchg byte ptr [esi], dl", 3, 0, {0x0F, 0xB0, 0x16}},
    {"cmpxchg cx, dx", 4, 0, {0x66, 0x0F, 0xB1, 0xD1}},
    {"cmpxchg word ptr [esi], dx", 4, 0, {0x66, 0x0F, 0xB1, 0x16}},
    {"cmpxchg ecx, edx", 3, 0, {0x0F, 0xB1, 0xD1}},
    {"cmpxchg dword ptr [esi], edx", 3, 0, {0x0F, 0xB1, 0x16}},
};

static const Enc e_daa = {"daa", 1, 0, {0x27}};
static const Enc e_das = {"das", 1, 0, {0x2F}};
static const Enc e_aaa = {"aaa", 1, 0, {0x37}};
static const Enc e_aas = {"aas", 1, 0, {0x3F}};
static const Enc e_aam = {"aam", 2, 0, {0xD4, 0x0A}};
static const Enc e_aam16 = {"aam 16", 2, 0, {0xD4, 0x10}};
static const Enc e_aad = {"aad", 2, 0, {0xD5, 0x0A}};
static const Enc e_aad7 = {"aad 7", 2, 0, {0xD5, 0x07}};
static const Enc e_lahf = {"lahf", 1, 0, {0x9F}};
static const Enc e_sahf = {"sahf", 1, 0, {0x9E}};
static const Enc e_cbw = {"cbw", 2, 0, {0x66, 0x98}};
static const Enc e_cwde = {"cwde", 1, 0, {0x98}};
static const Enc e_cwd = {"cwd", 2, 0, {0x66, 0x99}};
static const Enc e_cdq = {"cdq", 1, 0, {0x99}};
static const Enc e_bsf32 = {"bsf ecx, edx", 3, 0, {0x0F, 0xBC, 0xCA}};
static const Enc e_bsr32 = {"bsr ecx, edx", 3, 0, {0x0F, 0xBD, 0xCA}};
static const Enc e_bsf16 = {"bsf cx, dx", 4, 0, {0x66, 0x0F, 0xBC, 0xCA}};
static const Enc e_bsr16 = {"bsr cx, dx", 4, 0, {0x66, 0x0F, 0xBD, 0xCA}};
static const Enc e_bsf32m = {"bsf ecx, dword ptr [esi]", 3, 0, {0x0F, 0xBC, 0x0E}};
static const Enc e_bsr16m = {"bsr cx, word ptr [esi]", 4, 0, {0x66, 0x0F, 0xBD, 0x0E}};
static const Enc e_cmpxchg8b = {"cmpxchg8b qword ptr [esi]", 3, 0, {0x0F, 0xC7, 0x0E}};
static const Enc e_xadd_same = {"xadd eax, eax", 3, 0, {0x0F, 0xC1, 0xC0}};
static const Enc e_movzx_bw = {"movzx cx, byte ptr [esi]", 4, 0, {0x66, 0x0F, 0xB6, 0x0E}};
static const Enc e_movzx_bd = {"movzx ecx, dl", 3, 0, {0x0F, 0xB6, 0xCA}};
static const Enc e_movzx_wd = {"movzx ecx, word ptr [esi]", 3, 0, {0x0F, 0xB7, 0x0E}};
static const Enc e_movsx_bw = {"movsx cx, dh", 4, 0, {0x66, 0x0F, 0xBE, 0xCE}};
static const Enc e_movsx_bd = {"movsx ecx, byte ptr [esi]", 3, 0, {0x0F, 0xBE, 0x0E}};
static const Enc e_movsx_wd = {"movsx ecx, dx", 3, 0, {0x0F, 0xBF, 0xCA}};
static const Enc e_bt_m32 = {"bt dword ptr [esi], edx", 3, 0, {0x0F, 0xA3, 0x16}};
static const Enc e_bts_m32 = {"bts dword ptr [esi], edx", 3, 0, {0x0F, 0xAB, 0x16}};
static const Enc e_btr_m32 = {"btr dword ptr [esi], edx", 3, 0, {0x0F, 0xB3, 0x16}};
static const Enc e_btc_m32 = {"btc dword ptr [esi], edx", 3, 0, {0x0F, 0xBB, 0x16}};
static const Enc e_bts_m16 = {"bts word ptr [esi], dx", 4, 0, {0x66, 0x0F, 0xAB, 0x16}};
static const Enc e_bt_m32i = {"bt dword ptr [esi], 35", 4, 0, {0x0F, 0xBA, 0x26, 0x23}};
static const Enc e_btc_m16i = {"btc word ptr [esi], 17", 5, 0, {0x66, 0x0F, 0xBA, 0x3E, 0x11}};
static const Enc bswap_enc[8] = {
    {"bswap eax", 2, 0, {0x0F, 0xC8}}, /* as --32 */
    {"bswap ecx", 2, 0, {0x0F, 0xC9}}, /* as --32 */
    {"bswap edx", 2, 0, {0x0F, 0xCA}}, /* as --32 */
    {"bswap ebx", 2, 0, {0x0F, 0xCB}}, /* as --32 */
    {"bswap esp", 2, 0, {0x0F, 0xCC}}, /* as --32 */
    {"bswap ebp", 2, 0, {0x0F, 0xCD}}, /* as --32 */
    {"bswap esi", 2, 0, {0x0F, 0xCE}}, /* as --32 */
    {"bswap edi", 2, 0, {0x0F, 0xCF}}, /* as --32 */
};

/* Condition programs: the op under test runs first, then these. */
static const uint8_t setcc_prog[] = {
    0x0F, 0x90, 0x07,       /* 0000: seto byte ptr [edi+0] */
    0x0F, 0x91, 0x47, 0x01, /* 0003: setno byte ptr [edi+1] */
    0x0F, 0x92, 0x47, 0x02, /* 0007: setb byte ptr [edi+2] */
    0x0F, 0x93, 0x47, 0x03, /* 000b: setae byte ptr [edi+3] */
    0x0F, 0x94, 0x47, 0x04, /* 000f: sete byte ptr [edi+4] */
    0x0F, 0x95, 0x47, 0x05, /* 0013: setne byte ptr [edi+5] */
    0x0F, 0x96, 0x47, 0x06, /* 0017: setbe byte ptr [edi+6] */
    0x0F, 0x97, 0x47, 0x07, /* 001b: seta byte ptr [edi+7] */
    0x0F, 0x98, 0x47, 0x08, /* 001f: sets byte ptr [edi+8] */
    0x0F, 0x99, 0x47, 0x09, /* 0023: setns byte ptr [edi+9] */
    0x0F, 0x9A, 0x47, 0x0A, /* 0027: setp byte ptr [edi+10] */
    0x0F, 0x9B, 0x47, 0x0B, /* 002b: setnp byte ptr [edi+11] */
    0x0F, 0x9C, 0x47, 0x0C, /* 002f: setl byte ptr [edi+12] */
    0x0F, 0x9D, 0x47, 0x0D, /* 0033: setge byte ptr [edi+13] */
    0x0F, 0x9E, 0x47, 0x0E, /* 0037: setle byte ptr [edi+14] */
    0x0F, 0x9F, 0x47, 0x0F, /* 003b: setg byte ptr [edi+15] */
    0xF4,                   /* 003f: hlt */
};

static const uint8_t cmov32_prog[] = {
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0000: mov ebx, 0x11111111 */
    0x0F, 0x40, 0xD9,             /* 0005: cmovo ebx, ecx */
    0x89, 0x1F,                   /* 0008: mov dword ptr [edi+0], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 000a: mov ebx, 0x11111111 */
    0x0F, 0x41, 0xD9,             /* 000f: cmovno ebx, ecx */
    0x89, 0x5F, 0x04,             /* 0012: mov dword ptr [edi+4], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0015: mov ebx, 0x11111111 */
    0x0F, 0x42, 0xD9,             /* 001a: cmovb ebx, ecx */
    0x89, 0x5F, 0x08,             /* 001d: mov dword ptr [edi+8], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0020: mov ebx, 0x11111111 */
    0x0F, 0x43, 0xD9,             /* 0025: cmovae ebx, ecx */
    0x89, 0x5F, 0x0C,             /* 0028: mov dword ptr [edi+12], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 002b: mov ebx, 0x11111111 */
    0x0F, 0x44, 0xD9,             /* 0030: cmove ebx, ecx */
    0x89, 0x5F, 0x10,             /* 0033: mov dword ptr [edi+16], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0036: mov ebx, 0x11111111 */
    0x0F, 0x45, 0xD9,             /* 003b: cmovne ebx, ecx */
    0x89, 0x5F, 0x14,             /* 003e: mov dword ptr [edi+20], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0041: mov ebx, 0x11111111 */
    0x0F, 0x46, 0xD9,             /* 0046: cmovbe ebx, ecx */
    0x89, 0x5F, 0x18,             /* 0049: mov dword ptr [edi+24], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 004c: mov ebx, 0x11111111 */
    0x0F, 0x47, 0xD9,             /* 0051: cmova ebx, ecx */
    0x89, 0x5F, 0x1C,             /* 0054: mov dword ptr [edi+28], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0057: mov ebx, 0x11111111 */
    0x0F, 0x48, 0xD9,             /* 005c: cmovs ebx, ecx */
    0x89, 0x5F, 0x20,             /* 005f: mov dword ptr [edi+32], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0062: mov ebx, 0x11111111 */
    0x0F, 0x49, 0xD9,             /* 0067: cmovns ebx, ecx */
    0x89, 0x5F, 0x24,             /* 006a: mov dword ptr [edi+36], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 006d: mov ebx, 0x11111111 */
    0x0F, 0x4A, 0xD9,             /* 0072: cmovp ebx, ecx */
    0x89, 0x5F, 0x28,             /* 0075: mov dword ptr [edi+40], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0078: mov ebx, 0x11111111 */
    0x0F, 0x4B, 0xD9,             /* 007d: cmovnp ebx, ecx */
    0x89, 0x5F, 0x2C,             /* 0080: mov dword ptr [edi+44], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0083: mov ebx, 0x11111111 */
    0x0F, 0x4C, 0xD9,             /* 0088: cmovl ebx, ecx */
    0x89, 0x5F, 0x30,             /* 008b: mov dword ptr [edi+48], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 008e: mov ebx, 0x11111111 */
    0x0F, 0x4D, 0xD9,             /* 0093: cmovge ebx, ecx */
    0x89, 0x5F, 0x34,             /* 0096: mov dword ptr [edi+52], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0099: mov ebx, 0x11111111 */
    0x0F, 0x4E, 0xD9,             /* 009e: cmovle ebx, ecx */
    0x89, 0x5F, 0x38,             /* 00a1: mov dword ptr [edi+56], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 00a4: mov ebx, 0x11111111 */
    0x0F, 0x4F, 0xD9,             /* 00a9: cmovg ebx, ecx */
    0x89, 0x5F, 0x3C,             /* 00ac: mov dword ptr [edi+60], ebx */
    0xF4,                         /* 00af: hlt */
};

static const uint8_t cmov32m_prog[] = {
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0000: mov ebx, 0x11111111 */
    0x0F, 0x40, 0x1E,             /* 0005: cmovo ebx, dword ptr [esi] */
    0x89, 0x1F,                   /* 0008: mov dword ptr [edi+0], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 000a: mov ebx, 0x11111111 */
    0x0F, 0x41, 0x1E,             /* 000f: cmovno ebx, dword ptr [esi] */
    0x89, 0x5F, 0x04,             /* 0012: mov dword ptr [edi+4], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0015: mov ebx, 0x11111111 */
    0x0F, 0x42, 0x1E,             /* 001a: cmovb ebx, dword ptr [esi] */
    0x89, 0x5F, 0x08,             /* 001d: mov dword ptr [edi+8], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0020: mov ebx, 0x11111111 */
    0x0F, 0x43, 0x1E,             /* 0025: cmovae ebx, dword ptr [esi] */
    0x89, 0x5F, 0x0C,             /* 0028: mov dword ptr [edi+12], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 002b: mov ebx, 0x11111111 */
    0x0F, 0x44, 0x1E,             /* 0030: cmove ebx, dword ptr [esi] */
    0x89, 0x5F, 0x10,             /* 0033: mov dword ptr [edi+16], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0036: mov ebx, 0x11111111 */
    0x0F, 0x45, 0x1E,             /* 003b: cmovne ebx, dword ptr [esi] */
    0x89, 0x5F, 0x14,             /* 003e: mov dword ptr [edi+20], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0041: mov ebx, 0x11111111 */
    0x0F, 0x46, 0x1E,             /* 0046: cmovbe ebx, dword ptr [esi] */
    0x89, 0x5F, 0x18,             /* 0049: mov dword ptr [edi+24], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 004c: mov ebx, 0x11111111 */
    0x0F, 0x47, 0x1E,             /* 0051: cmova ebx, dword ptr [esi] */
    0x89, 0x5F, 0x1C,             /* 0054: mov dword ptr [edi+28], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0057: mov ebx, 0x11111111 */
    0x0F, 0x48, 0x1E,             /* 005c: cmovs ebx, dword ptr [esi] */
    0x89, 0x5F, 0x20,             /* 005f: mov dword ptr [edi+32], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0062: mov ebx, 0x11111111 */
    0x0F, 0x49, 0x1E,             /* 0067: cmovns ebx, dword ptr [esi] */
    0x89, 0x5F, 0x24,             /* 006a: mov dword ptr [edi+36], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 006d: mov ebx, 0x11111111 */
    0x0F, 0x4A, 0x1E,             /* 0072: cmovp ebx, dword ptr [esi] */
    0x89, 0x5F, 0x28,             /* 0075: mov dword ptr [edi+40], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0078: mov ebx, 0x11111111 */
    0x0F, 0x4B, 0x1E,             /* 007d: cmovnp ebx, dword ptr [esi] */
    0x89, 0x5F, 0x2C,             /* 0080: mov dword ptr [edi+44], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0083: mov ebx, 0x11111111 */
    0x0F, 0x4C, 0x1E,             /* 0088: cmovl ebx, dword ptr [esi] */
    0x89, 0x5F, 0x30,             /* 008b: mov dword ptr [edi+48], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 008e: mov ebx, 0x11111111 */
    0x0F, 0x4D, 0x1E,             /* 0093: cmovge ebx, dword ptr [esi] */
    0x89, 0x5F, 0x34,             /* 0096: mov dword ptr [edi+52], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0099: mov ebx, 0x11111111 */
    0x0F, 0x4E, 0x1E,             /* 009e: cmovle ebx, dword ptr [esi] */
    0x89, 0x5F, 0x38,             /* 00a1: mov dword ptr [edi+56], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 00a4: mov ebx, 0x11111111 */
    0x0F, 0x4F, 0x1E,             /* 00a9: cmovg ebx, dword ptr [esi] */
    0x89, 0x5F, 0x3C,             /* 00ac: mov dword ptr [edi+60], ebx */
    0xF4,                         /* 00af: hlt */
};

static const uint8_t cmov16_prog[] = {
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0000: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x40, 0xD9,       /* 0005: cmovo bx, cx */
    0x89, 0x1F,                   /* 0009: mov dword ptr [edi+0], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 000b: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x41, 0xD9,       /* 0010: cmovno bx, cx */
    0x89, 0x5F, 0x04,             /* 0014: mov dword ptr [edi+4], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0017: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x42, 0xD9,       /* 001c: cmovb bx, cx */
    0x89, 0x5F, 0x08,             /* 0020: mov dword ptr [edi+8], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0023: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x43, 0xD9,       /* 0028: cmovae bx, cx */
    0x89, 0x5F, 0x0C,             /* 002c: mov dword ptr [edi+12], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 002f: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x44, 0xD9,       /* 0034: cmove bx, cx */
    0x89, 0x5F, 0x10,             /* 0038: mov dword ptr [edi+16], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 003b: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x45, 0xD9,       /* 0040: cmovne bx, cx */
    0x89, 0x5F, 0x14,             /* 0044: mov dword ptr [edi+20], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0047: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x46, 0xD9,       /* 004c: cmovbe bx, cx */
    0x89, 0x5F, 0x18,             /* 0050: mov dword ptr [edi+24], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0053: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x47, 0xD9,       /* 0058: cmova bx, cx */
    0x89, 0x5F, 0x1C,             /* 005c: mov dword ptr [edi+28], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 005f: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x48, 0xD9,       /* 0064: cmovs bx, cx */
    0x89, 0x5F, 0x20,             /* 0068: mov dword ptr [edi+32], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 006b: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x49, 0xD9,       /* 0070: cmovns bx, cx */
    0x89, 0x5F, 0x24,             /* 0074: mov dword ptr [edi+36], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0077: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x4A, 0xD9,       /* 007c: cmovp bx, cx */
    0x89, 0x5F, 0x28,             /* 0080: mov dword ptr [edi+40], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 0083: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x4B, 0xD9,       /* 0088: cmovnp bx, cx */
    0x89, 0x5F, 0x2C,             /* 008c: mov dword ptr [edi+44], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 008f: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x4C, 0xD9,       /* 0094: cmovl bx, cx */
    0x89, 0x5F, 0x30,             /* 0098: mov dword ptr [edi+48], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 009b: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x4D, 0xD9,       /* 00a0: cmovge bx, cx */
    0x89, 0x5F, 0x34,             /* 00a4: mov dword ptr [edi+52], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 00a7: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x4E, 0xD9,       /* 00ac: cmovle bx, cx */
    0x89, 0x5F, 0x38,             /* 00b0: mov dword ptr [edi+56], ebx */
    0xBB, 0x11, 0x11, 0x11, 0x11, /* 00b3: mov ebx, 0x11111111 */
    0x66, 0x0F, 0x4F, 0xD9,       /* 00b8: cmovg bx, cx */
    0x89, 0x5F, 0x3C,             /* 00bc: mov dword ptr [edi+60], ebx */
    0xF4,                         /* 00bf: hlt */
};

static const uint8_t jcc_short_prog[] = {
    0x70, 0x05,       /* 0000: jo 1f */
    0xC6, 0x07, 0x00, /* 0002: mov byte ptr [edi+0], 0 */
    0xEB, 0x03,       /* 0005: jmp 2f */
    0xC6, 0x07, 0x01, /* 0007: 1: mov byte ptr [edi+0], 1 */
    /* 2: */
    0x71, 0x06,             /* 000a: jno 1f */
    0xC6, 0x47, 0x01, 0x00, /* 000c: mov byte ptr [edi+1], 0 */
    0xEB, 0x04,             /* 0010: jmp 2f */
    0xC6, 0x47, 0x01, 0x01, /* 0012: 1: mov byte ptr [edi+1], 1 */
    /* 2: */
    0x72, 0x06,             /* 0016: jb 1f */
    0xC6, 0x47, 0x02, 0x00, /* 0018: mov byte ptr [edi+2], 0 */
    0xEB, 0x04,             /* 001c: jmp 2f */
    0xC6, 0x47, 0x02, 0x01, /* 001e: 1: mov byte ptr [edi+2], 1 */
    /* 2: */
    0x73, 0x06,             /* 0022: jae 1f */
    0xC6, 0x47, 0x03, 0x00, /* 0024: mov byte ptr [edi+3], 0 */
    0xEB, 0x04,             /* 0028: jmp 2f */
    0xC6, 0x47, 0x03, 0x01, /* 002a: 1: mov byte ptr [edi+3], 1 */
    /* 2: */
    0x74, 0x06,             /* 002e: je 1f */
    0xC6, 0x47, 0x04, 0x00, /* 0030: mov byte ptr [edi+4], 0 */
    0xEB, 0x04,             /* 0034: jmp 2f */
    0xC6, 0x47, 0x04, 0x01, /* 0036: 1: mov byte ptr [edi+4], 1 */
    /* 2: */
    0x75, 0x06,             /* 003a: jne 1f */
    0xC6, 0x47, 0x05, 0x00, /* 003c: mov byte ptr [edi+5], 0 */
    0xEB, 0x04,             /* 0040: jmp 2f */
    0xC6, 0x47, 0x05, 0x01, /* 0042: 1: mov byte ptr [edi+5], 1 */
    /* 2: */
    0x76, 0x06,             /* 0046: jbe 1f */
    0xC6, 0x47, 0x06, 0x00, /* 0048: mov byte ptr [edi+6], 0 */
    0xEB, 0x04,             /* 004c: jmp 2f */
    0xC6, 0x47, 0x06, 0x01, /* 004e: 1: mov byte ptr [edi+6], 1 */
    /* 2: */
    0x77, 0x06,             /* 0052: ja 1f */
    0xC6, 0x47, 0x07, 0x00, /* 0054: mov byte ptr [edi+7], 0 */
    0xEB, 0x04,             /* 0058: jmp 2f */
    0xC6, 0x47, 0x07, 0x01, /* 005a: 1: mov byte ptr [edi+7], 1 */
    /* 2: */
    0x78, 0x06,             /* 005e: js 1f */
    0xC6, 0x47, 0x08, 0x00, /* 0060: mov byte ptr [edi+8], 0 */
    0xEB, 0x04,             /* 0064: jmp 2f */
    0xC6, 0x47, 0x08, 0x01, /* 0066: 1: mov byte ptr [edi+8], 1 */
    /* 2: */
    0x79, 0x06,             /* 006a: jns 1f */
    0xC6, 0x47, 0x09, 0x00, /* 006c: mov byte ptr [edi+9], 0 */
    0xEB, 0x04,             /* 0070: jmp 2f */
    0xC6, 0x47, 0x09, 0x01, /* 0072: 1: mov byte ptr [edi+9], 1 */
    /* 2: */
    0x7A, 0x06,             /* 0076: jp 1f */
    0xC6, 0x47, 0x0A, 0x00, /* 0078: mov byte ptr [edi+10], 0 */
    0xEB, 0x04,             /* 007c: jmp 2f */
    0xC6, 0x47, 0x0A, 0x01, /* 007e: 1: mov byte ptr [edi+10], 1 */
    /* 2: */
    0x7B, 0x06,             /* 0082: jnp 1f */
    0xC6, 0x47, 0x0B, 0x00, /* 0084: mov byte ptr [edi+11], 0 */
    0xEB, 0x04,             /* 0088: jmp 2f */
    0xC6, 0x47, 0x0B, 0x01, /* 008a: 1: mov byte ptr [edi+11], 1 */
    /* 2: */
    0x7C, 0x06,             /* 008e: jl 1f */
    0xC6, 0x47, 0x0C, 0x00, /* 0090: mov byte ptr [edi+12], 0 */
    0xEB, 0x04,             /* 0094: jmp 2f */
    0xC6, 0x47, 0x0C, 0x01, /* 0096: 1: mov byte ptr [edi+12], 1 */
    /* 2: */
    0x7D, 0x06,             /* 009a: jge 1f */
    0xC6, 0x47, 0x0D, 0x00, /* 009c: mov byte ptr [edi+13], 0 */
    0xEB, 0x04,             /* 00a0: jmp 2f */
    0xC6, 0x47, 0x0D, 0x01, /* 00a2: 1: mov byte ptr [edi+13], 1 */
    /* 2: */
    0x7E, 0x06,             /* 00a6: jle 1f */
    0xC6, 0x47, 0x0E, 0x00, /* 00a8: mov byte ptr [edi+14], 0 */
    0xEB, 0x04,             /* 00ac: jmp 2f */
    0xC6, 0x47, 0x0E, 0x01, /* 00ae: 1: mov byte ptr [edi+14], 1 */
    /* 2: */
    0x7F, 0x06,             /* 00b2: jg 1f */
    0xC6, 0x47, 0x0F, 0x00, /* 00b4: mov byte ptr [edi+15], 0 */
    0xEB, 0x04,             /* 00b8: jmp 2f */
    0xC6, 0x47, 0x0F, 0x01, /* 00ba: 1: mov byte ptr [edi+15], 1 */
    /* 2: */
    0xF4, /* 00be: hlt */
};

static const uint8_t jcc_near_prog[] = {
    0x0F, 0x80, 0x05, 0x00, 0x00, 0x00, /* 0000: {disp32} jo 1f */
    0xC6, 0x07, 0x00,                   /* 0006: mov byte ptr [edi+0], 0 */
    0xEB, 0x03,                         /* 0009: jmp 2f */
    0xC6, 0x07, 0x01,                   /* 000b: 1: mov byte ptr [edi+0], 1 */
    /* 2: */
    0x0F, 0x81, 0x06, 0x00, 0x00, 0x00, /* 000e: {disp32} jno 1f */
    0xC6, 0x47, 0x01, 0x00,             /* 0014: mov byte ptr [edi+1], 0 */
    0xEB, 0x04,                         /* 0018: jmp 2f */
    0xC6, 0x47, 0x01, 0x01,             /* 001a: 1: mov byte ptr [edi+1], 1 */
    /* 2: */
    0x0F, 0x82, 0x06, 0x00, 0x00, 0x00, /* 001e: {disp32} jb 1f */
    0xC6, 0x47, 0x02, 0x00,             /* 0024: mov byte ptr [edi+2], 0 */
    0xEB, 0x04,                         /* 0028: jmp 2f */
    0xC6, 0x47, 0x02, 0x01,             /* 002a: 1: mov byte ptr [edi+2], 1 */
    /* 2: */
    0x0F, 0x83, 0x06, 0x00, 0x00, 0x00, /* 002e: {disp32} jae 1f */
    0xC6, 0x47, 0x03, 0x00,             /* 0034: mov byte ptr [edi+3], 0 */
    0xEB, 0x04,                         /* 0038: jmp 2f */
    0xC6, 0x47, 0x03, 0x01,             /* 003a: 1: mov byte ptr [edi+3], 1 */
    /* 2: */
    0x0F, 0x84, 0x06, 0x00, 0x00, 0x00, /* 003e: {disp32} je 1f */
    0xC6, 0x47, 0x04, 0x00,             /* 0044: mov byte ptr [edi+4], 0 */
    0xEB, 0x04,                         /* 0048: jmp 2f */
    0xC6, 0x47, 0x04, 0x01,             /* 004a: 1: mov byte ptr [edi+4], 1 */
    /* 2: */
    0x0F, 0x85, 0x06, 0x00, 0x00, 0x00, /* 004e: {disp32} jne 1f */
    0xC6, 0x47, 0x05, 0x00,             /* 0054: mov byte ptr [edi+5], 0 */
    0xEB, 0x04,                         /* 0058: jmp 2f */
    0xC6, 0x47, 0x05, 0x01,             /* 005a: 1: mov byte ptr [edi+5], 1 */
    /* 2: */
    0x0F, 0x86, 0x06, 0x00, 0x00, 0x00, /* 005e: {disp32} jbe 1f */
    0xC6, 0x47, 0x06, 0x00,             /* 0064: mov byte ptr [edi+6], 0 */
    0xEB, 0x04,                         /* 0068: jmp 2f */
    0xC6, 0x47, 0x06, 0x01,             /* 006a: 1: mov byte ptr [edi+6], 1 */
    /* 2: */
    0x0F, 0x87, 0x06, 0x00, 0x00, 0x00, /* 006e: {disp32} ja 1f */
    0xC6, 0x47, 0x07, 0x00,             /* 0074: mov byte ptr [edi+7], 0 */
    0xEB, 0x04,                         /* 0078: jmp 2f */
    0xC6, 0x47, 0x07, 0x01,             /* 007a: 1: mov byte ptr [edi+7], 1 */
    /* 2: */
    0x0F, 0x88, 0x06, 0x00, 0x00, 0x00, /* 007e: {disp32} js 1f */
    0xC6, 0x47, 0x08, 0x00,             /* 0084: mov byte ptr [edi+8], 0 */
    0xEB, 0x04,                         /* 0088: jmp 2f */
    0xC6, 0x47, 0x08, 0x01,             /* 008a: 1: mov byte ptr [edi+8], 1 */
    /* 2: */
    0x0F, 0x89, 0x06, 0x00, 0x00, 0x00, /* 008e: {disp32} jns 1f */
    0xC6, 0x47, 0x09, 0x00,             /* 0094: mov byte ptr [edi+9], 0 */
    0xEB, 0x04,                         /* 0098: jmp 2f */
    0xC6, 0x47, 0x09, 0x01,             /* 009a: 1: mov byte ptr [edi+9], 1 */
    /* 2: */
    0x0F, 0x8A, 0x06, 0x00, 0x00, 0x00, /* 009e: {disp32} jp 1f */
    0xC6, 0x47, 0x0A, 0x00,             /* 00a4: mov byte ptr [edi+10], 0 */
    0xEB, 0x04,                         /* 00a8: jmp 2f */
    0xC6, 0x47, 0x0A, 0x01,             /* 00aa: 1: mov byte ptr [edi+10], 1 */
    /* 2: */
    0x0F, 0x8B, 0x06, 0x00, 0x00, 0x00, /* 00ae: {disp32} jnp 1f */
    0xC6, 0x47, 0x0B, 0x00,             /* 00b4: mov byte ptr [edi+11], 0 */
    0xEB, 0x04,                         /* 00b8: jmp 2f */
    0xC6, 0x47, 0x0B, 0x01,             /* 00ba: 1: mov byte ptr [edi+11], 1 */
    /* 2: */
    0x0F, 0x8C, 0x06, 0x00, 0x00, 0x00, /* 00be: {disp32} jl 1f */
    0xC6, 0x47, 0x0C, 0x00,             /* 00c4: mov byte ptr [edi+12], 0 */
    0xEB, 0x04,                         /* 00c8: jmp 2f */
    0xC6, 0x47, 0x0C, 0x01,             /* 00ca: 1: mov byte ptr [edi+12], 1 */
    /* 2: */
    0x0F, 0x8D, 0x06, 0x00, 0x00, 0x00, /* 00ce: {disp32} jge 1f */
    0xC6, 0x47, 0x0D, 0x00,             /* 00d4: mov byte ptr [edi+13], 0 */
    0xEB, 0x04,                         /* 00d8: jmp 2f */
    0xC6, 0x47, 0x0D, 0x01,             /* 00da: 1: mov byte ptr [edi+13], 1 */
    /* 2: */
    0x0F, 0x8E, 0x06, 0x00, 0x00, 0x00, /* 00de: {disp32} jle 1f */
    0xC6, 0x47, 0x0E, 0x00,             /* 00e4: mov byte ptr [edi+14], 0 */
    0xEB, 0x04,                         /* 00e8: jmp 2f */
    0xC6, 0x47, 0x0E, 0x01,             /* 00ea: 1: mov byte ptr [edi+14], 1 */
    /* 2: */
    0x0F, 0x8F, 0x06, 0x00, 0x00, 0x00, /* 00ee: {disp32} jg 1f */
    0xC6, 0x47, 0x0F, 0x00,             /* 00f4: mov byte ptr [edi+15], 0 */
    0xEB, 0x04,                         /* 00f8: jmp 2f */
    0xC6, 0x47, 0x0F, 0x01,             /* 00fa: 1: mov byte ptr [edi+15], 1 */
    /* 2: */
    0xF4, /* 00fe: hlt */
};

/* ------------------------------------------------------------------ binary ALU */

enum { OP_ADD, OP_OR, OP_ADC, OP_SBB, OP_AND, OP_SUB, OP_XOR, OP_CMP, OP_TEST };
enum { F_RR, F_MR, F_RM, F_AI, F_MI, F_MI8 };
static const char *const form_names[] = {"reg,reg", "mem,reg", "reg,mem",
                                         "acc,imm", "mem,imm", "mem,imm8"};

/* Every ALU op x size x operand form over edge values and carry-in. */
START_TEST(test_alu_binary)
{
    h_pm(H_CODE);
    for (int op = 0; op < 9; op++) {
        bool logic = op == OP_OR || op == OP_AND || op == OP_XOR || op == OP_TEST;
        bool wb = op != OP_CMP && op != OP_TEST;
        uint32_t fmask = logic ? ALL_FLAGS & ~F_AF : ALL_FLAGS; /* AF undefined after logic */
        for (int sz = 0; sz < 3; sz++) {
            int nv;
            const uint32_t *v = vals(sz, &nv);
            for (int form = 0; form < 6; form++) {
                const Enc *e = &alu_enc[(op * 3 + sz) * 6 + form];
                if (!e->text)
                    continue;
                for (int ia = 0; ia < nv; ia++)
                    for (int ib = 0; ib < nv; ib++)
                        for (int fi = 0; fi < NFINS; fi++) {
                            uint32_t a = v[ia], b = v[ib], fin = fins[fi], fo;
                            if (form == F_MI8 && (sext(b & 0xFF, 0) & MASK(sz)) != b)
                                continue;
                            uint32_t r = nat_alu[op][sz](a, b, fin, &fo);
                            St in = {merge(JA, 0x11, sz), JC | 0x22, merge(JD, 0x33, sz),
                                     merge(JM, 0x44, sz), fin};
                            uint32_t imm = 0;
                            switch (form) {
                            case F_RR:
                                in.eax = merge(JA, a, sz);
                                in.edx = merge(JD, b, sz);
                                break;
                            case F_MR:
                                in.mem = merge(JM, a, sz);
                                in.edx = merge(JD, b, sz);
                                break;
                            case F_RM:
                                in.edx = merge(JD, a, sz);
                                in.mem = merge(JM, b, sz);
                                break;
                            case F_AI:
                                in.eax = merge(JA, a, sz);
                                imm = b;
                                break;
                            case F_MI:
                                in.mem = merge(JM, a, sz);
                                imm = b;
                                break;
                            default:
                                in.mem = merge(JM, a, sz);
                                imm = b & 0xFF;
                                break;
                            }
                            St exp = in;
                            exp.flags = fo;
                            if (wb) {
                                if (form == F_RR || form == F_AI)
                                    exp.eax = merge(JA, r, sz);
                                else if (form == F_RM)
                                    exp.edx = merge(JD, r, sz);
                                else
                                    exp.mem = merge(JM, r, sz);
                            }
                            st_check(e, form_names[form], in, exp, emu1(e, imm, in), fmask);
                        }
            }
        }
    }
    FINISH("binary ALU");
}
END_TEST

/* ------------------------------------------------------------------ INC DEC NEG NOT */

START_TEST(test_alu_unary)
{
    h_pm(H_CODE);
    for (int op = 0; op < 4; op++)
        for (int sz = 0; sz < 3; sz++) {
            int nv;
            const uint32_t *v = vals(sz, &nv);
            for (int form = 0; form < 2; form++) {
                const Enc *e = &unary_enc[(op * 3 + sz) * 2 + form];
                for (int ia = 0; ia < nv; ia++)
                    for (int fi = 0; fi < NFINS; fi++) {
                        uint32_t a = v[ia], fo;
                        uint32_t r = nat_unary[op][sz](a, 0, fins[fi], &fo);
                        St in = {merge(JA, 0x11, sz), JC | 0x22, JD | 0x33, merge(JM, 0x44, sz),
                                 fins[fi]};
                        if (form == 0)
                            in.eax = merge(JA, a, sz);
                        else
                            in.mem = merge(JM, a, sz);
                        St exp = in;
                        exp.flags = fo;
                        if (form == 0)
                            exp.eax = merge(JA, r, sz);
                        else
                            exp.mem = merge(JM, r, sz);
                        /* INC/DEC keep CF, NOT keeps everything: all six are defined. */
                        st_check(e, form ? "mem" : "reg", in, exp, emu1(e, 0, in), ALL_FLAGS);
                    }
            }
        }
    FINISH("unary");
}
END_TEST

/* ------------------------------------------------------------------ shifts and rotates */

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAR };
enum { SF_CL, SF_ONE, SF_IMM, SF_MEMCL };

/* Flags the SDM defines after shift/rotate op of an sz operand by count. */
static uint32_t shift_defined(int op, int sz, uint32_t count)
{
    uint32_t c = count & 0x1F;
    if (c == 0)
        return ALL_FLAGS; /* nothing changes */
    uint32_t m;
    if (op <= SH_RCR) /* rotates: only CF and OF change; OF only for 1-bit rotates */
        m = ALL_FLAGS & ~(c == 1 ? 0 : F_OF);
    else {
        m = F_CF | F_SF | F_ZF | F_PF | (c == 1 ? F_OF : 0); /* AF undefined */
        if (op != SH_SAR && c >= (uint32_t)BITS(sz))
            m &= ~F_CF; /* SHL/SHR: CF undefined when count >= operand size */
    }
    return m;
}

START_TEST(test_shift_rotate)
{
    h_pm(H_CODE);
    static const uint32_t counts[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 15, 16, 17,
                                      18, 23, 24, 25, 30, 31, 32, 33, 40, 63, 64, 65, 255};
    for (int op = 0; op < 7; op++)
        for (int sz = 0; sz < 3; sz++) {
            int nv;
            const uint32_t *v = vals(sz, &nv);
            for (int form = 0; form < 4; form++) {
                const Enc *e = &shift_enc[(op * 3 + sz) * 4 + form];
                for (size_t ic = 0; ic < sizeof counts / 4; ic++) {
                    uint32_t cnt = counts[ic];
                    if (form == SF_ONE && cnt != 1)
                        continue;
                    for (int ia = 0; ia < nv; ia++)
                        for (int fi = 0; fi < NFINS; fi++) {
                            uint32_t a = v[ia], fo;
                            uint32_t r = nat_shift[op][sz](a, cnt, fins[fi], &fo);
                            St in = {merge(JA, 0x11, sz), JC | 0x22, JD | 0x33, merge(JM, 0x44, sz),
                                     fins[fi]};
                            if (form != SF_IMM)
                                in.ecx = JC | cnt;
                            if (form == SF_MEMCL)
                                in.mem = merge(JM, a, sz);
                            else
                                in.eax = merge(JA, a, sz);
                            St exp = in;
                            exp.flags = fo;
                            if (form == SF_MEMCL)
                                exp.mem = merge(JM, r, sz);
                            else
                                exp.eax = merge(JA, r, sz);
                            char what[32];
                            snprintf(what, sizeof what, "count %u", cnt);
                            st_check(e, what, in, exp, emu1(e, cnt, in),
                                     shift_defined(op, sz, cnt));
                        }
                }
            }
        }
    FINISH("shift/rotate");
}
END_TEST

/* SAL is also encoded as /6 (D1 /6); it must behave exactly like SHL (/4). */
START_TEST(test_sal_alias)
{
    h_pm(H_CODE);
    /* hand-encoded: GNU as always emits /4 for SAL */
    static const Enc sal6 = {"sal eax, 1 (D1 /6)", 2, 0, {0xD1, 0xF0}};
    static const Enc sal6cl = {"sal byte ptr [esi], cl (D2 /6)", 2, 0, {0xD2, 0x36}};
    int nv;
    const uint32_t *v = vals(2, &nv);
    for (int ia = 0; ia < nv; ia++) {
        uint32_t fo, r = nat_shl32(v[ia], 1, 0, &fo);
        St in = {v[ia], JC | 0x22, JD, JM, 0};
        St exp = in;
        exp.eax = r;
        exp.flags = fo;
        st_check(&sal6, "", in, exp, emu1(&sal6, 0, in), shift_defined(SH_SHL, 2, 1));
        uint32_t r8 = nat_shl8(v[ia] & 0xFF, 3, F_CF, &fo);
        St in8 = {JA, JC | 3, JD, merge(JM, v[ia], 0), F_CF};
        St exp8 = in8;
        exp8.mem = merge(JM, r8, 0);
        exp8.flags = fo;
        st_check(&sal6cl, "", in8, exp8, emu1(&sal6cl, 0, in8), shift_defined(SH_SHL, 0, 3));
    }
    FINISH("sal /6");
}
END_TEST

/* ------------------------------------------------------------------ SHLD / SHRD */

START_TEST(test_shld_shrd)
{
    h_pm(H_CODE);
    static const uint32_t counts[] = {0, 1, 2, 3, 4, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 63};
    for (int op = 0; op < 2; op++)
        for (int s = 0; s < 2; s++) {
            int sz = s + 1, nv;
            const uint32_t *v = vals(sz, &nv);
            for (int form = 0; form < 3; form++) {
                const Enc *e = &shd_enc[(op * 2 + s) * 3 + form];
                for (size_t ic = 0; ic < sizeof counts / 4; ic++) {
                    uint32_t cnt = counts[ic], mc = cnt & 0x1F;
                    if (mc > (uint32_t)BITS(sz))
                        continue; /* result and flags undefined */
                    for (int ia = 0; ia < nv; ia++)
                        for (int ib = 0; ib < nv; ib += 3)
                            for (int fi = 0; fi < NFINS; fi += 2) {
                                uint32_t a = v[ia], b = v[ib], fo, r;
                                if (op == 0)
                                    r = sz == 1 ? nat_shld16(a, b, cnt, fins[fi], &fo)
                                                : nat_shld32(a, b, cnt, fins[fi], &fo);
                                else
                                    r = sz == 1 ? nat_shrd16(a, b, cnt, fins[fi], &fo)
                                                : nat_shrd32(a, b, cnt, fins[fi], &fo);
                                St in = {merge(JA, 0x11, sz), JC | 0x22, merge(JD, b, sz),
                                         merge(JM, 0x44, sz), fins[fi]};
                                if (form != 0)
                                    in.ecx = JC | cnt;
                                if (form == 2)
                                    in.mem = merge(JM, a, sz);
                                else
                                    in.eax = merge(JA, a, sz);
                                St exp = in;
                                exp.flags = fo;
                                if (form == 2)
                                    exp.mem = merge(JM, r, sz);
                                else
                                    exp.eax = merge(JA, r, sz);
                                uint32_t m = mc == 0
                                                 ? ALL_FLAGS
                                                 : F_CF | F_SF | F_ZF | F_PF | (mc == 1 ? F_OF : 0);
                                char what[32];
                                snprintf(what, sizeof what, "count %u", cnt);
                                st_check(e, what, in, exp, emu1(e, cnt, in), m);
                            }
                }
            }
        }
    FINISH("shld/shrd");
}
END_TEST

/* ------------------------------------------------------------------ BT BTS BTR BTC */

/* Register destinations: the bit offset is taken modulo the operand size. */
START_TEST(test_bt_reg)
{
    h_pm(H_CODE);
    static const uint32_t offs[] = {0,          1,          2,          7,         8,      15,
                                    16,         17,         31,         32,        33,     63,
                                    64,         100,        0x7FFF,     0x8000,    0xFFFF, 0x10001,
                                    0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFE0};
    for (int op = 0; op < 4; op++)
        for (int s = 0; s < 2; s++) {
            int sz = s + 1, nv;
            const uint32_t *v = vals(sz, &nv);
            for (int form = 0; form < 2; form++) {
                const Enc *e = &bt_enc[(op * 2 + s) * 2 + form];
                for (size_t io = 0; io < sizeof offs / 4; io++) {
                    uint32_t off = offs[io];
                    if (form == 1 && off > 0xFF)
                        continue;
                    for (int ia = 0; ia < nv; ia++)
                        for (int fi = 0; fi < NFINS; fi++) {
                            uint32_t a = v[ia], fo;
                            uint32_t r = nat_bt[op][s](a, off, fins[fi], &fo);
                            St in = {merge(JA, a, sz), JC, form ? JD : off, JM, fins[fi]};
                            if (form == 0 && sz == 1)
                                in.edx = merge(JD, off, 1);
                            St exp = in;
                            exp.eax = merge(JA, r, sz);
                            exp.flags = fo;
                            char what[32];
                            snprintf(what, sizeof what, "offset %#x", off);
                            /* CF = the bit; ZF unaffected; OF SF AF PF undefined */
                            st_check(e, what, in, exp, emu1(e, off, in), F_CF | F_ZF);
                        }
                }
            }
        }
    FINISH("bt reg");
}
END_TEST

/* Memory destinations with a register offset address bits outside the
 * operand: the offset is signed and selects another word/dword. */
START_TEST(test_bt_mem_offsets)
{
    h_pm(H_CODE);
    const uint32_t base = H_DATA + 0x4000;
    struct {
        const Enc *e;
        uint32_t off; /* EDX */
        int32_t byte; /* byte holding the bit, relative to base */
        int bit;      /* bit in that byte */
        int op;       /* 0 bt, 1 bts, 2 btr, 3 btc */
    } cs[] = {
        {&e_bts_m32, 0, 0, 0, 1},
        {&e_bts_m32, 31, 3, 7, 1},
        {&e_bts_m32, 32, 4, 0, 1},
        {&e_bts_m32, 1000, 125, 0, 1},
        {&e_bts_m32, 65537, 8192, 1, 1},
        {&e_bts_m32, 0xFFFFFFFF, -1, 7, 1},  /* -1: bit 31 of the dword below */
        {&e_bts_m32, 0xFFFFFFDF, -5, 7, 1},  /* -33: bit 31 of the dword at -8 */
        {&e_bts_m32, 0xFFFFFF00, -32, 0, 1}, /* -256 */
        {&e_btr_m32, 1001, 125, 1, 2},
        {&e_btc_m32, 0xFFFFFFF9, -1, 1, 3}, /* -7: bit 25 of dword at -4 */
        {&e_bt_m32, 77, 9, 5, 0},
        {&e_bts_m16, 0x8001, -4096, 1, 1}, /* (int16)-32767: word -2048, bit 1 */
        {&e_bts_m16, 0x7FFF, 4095, 7, 1},  /* word 2047, bit 15 */
        {&e_bts_m16, 0xFFFF, -1, 7, 1},    /* -1: bit 15 of the word below */
        {&e_bts_m16, 0x12340011, 2, 1, 1}, /* 16-bit form uses DX only: 17 */
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        for (int init = 0; init < 2; init++) {
            memset(h_ptr(base - 0x3000), init ? 0xFF : 0x00, 0x6000);
            cpu_invalidate_phys(hc, base - 0x3000, 0x6000);
            load_insn(cs[k].e, 0);
            hc->regs[R_ESI] = base;
            hc->regs[R_EDX] = cs[k].off;
            hc->eip = H_CODE;
            cpu_set_eflags(hc, init ? 2u : (2u | F_CF | F_ZF));
            ck_assert_int_eq(h_run_insn(), CPU_RUN_LIMIT);
            ck_assert_int_eq(hc->last_vector, -1);
            uint32_t f = h_flags();
            ck_assert_msg(((f & F_CF) != 0) == (init != 0), "%s off %#x: CF=%d, bit was %d",
                          cs[k].e->text, cs[k].off, (f & F_CF) != 0, init);
            ck_assert_msg(((f & F_ZF) != 0) == (init == 0), "%s: ZF must be unaffected",
                          cs[k].e->text);
            /* exactly the one bit changed as the op says */
            uint8_t want_byte = init ? 0xFF : 0x00;
            if (cs[k].op == 1)
                want_byte |= (uint8_t)(1u << cs[k].bit);
            else if (cs[k].op == 2)
                want_byte &= (uint8_t) ~(1u << cs[k].bit);
            else if (cs[k].op == 3)
                want_byte ^= (uint8_t)(1u << cs[k].bit);
            uint32_t pa = base + (uint32_t)cs[k].byte;
            ck_assert_msg(h_r8(pa) == want_byte,
                          "%s off %#x init %d: byte at base%+d = %#x, want %#x", cs[k].e->text,
                          cs[k].off, init, cs[k].byte, h_r8(pa), want_byte);
            for (uint32_t p = base - 0x3000; p < base + 0x3000; p++)
                if (p != pa && h_r8(p) != (init ? 0xFF : 0x00))
                    ck_abort_msg("%s off %#x: stray write at base%+d", cs[k].e->text, cs[k].off,
                                 (int)(p - base));
        }
    }
    /* Immediate offsets on memory are taken modulo the operand size. */
    load_insn(&e_bt_m32i, 0);
    h_w32(base, 1u << 3);
    hc->regs[R_ESI] = base;
    hc->eip = H_CODE;
    cpu_set_eflags(hc, 2);
    h_w32(base + 4, 0);
    ck_assert_int_eq(h_run_insn(), CPU_RUN_LIMIT);
    ck_assert_msg(h_flags() & F_CF, "bt [esi], 35 must test bit 3 of [esi]");
    load_insn(&e_btc_m16i, 0);
    h_w32(base, 0);
    hc->eip = H_CODE;
    ck_assert_int_eq(h_run_insn(), CPU_RUN_LIMIT);
    ck_assert_uint_eq(h_r32(base), 2); /* btc word [esi], 17: bit 1 */
    ck_assert_uint_eq(h_r32(base + 4), 0);
}
END_TEST

/* ------------------------------------------------------------------ BSF BSR BSWAP */

START_TEST(test_bsf_bsr)
{
    h_pm(H_CODE);
    static const uint32_t v[] = {1,          2,          3,          0x80,       0x100,
                                 0x8000,     0x10000,    0x80000000, 0xFFFFFFFF, 0x00F0F000,
                                 0x12345678, 0x40000001, 0x00018000};
    for (size_t k = 0; k < sizeof v / 4; k++)
        for (int fl = 0; fl < 2; fl++) {
            uint32_t x = v[k], fin = fl ? (ALL_FLAGS & ~F_ZF) : 0;
            St in = {JA, 0xCAFEBABE, x, x, fin};
            uint32_t lo = (uint32_t)__builtin_ctz(x), hi = 31u - (uint32_t)__builtin_clz(x);
            St e32 = in;
            e32.ecx = lo;
            e32.flags = 0; /* ZF=0; others undefined */
            st_check(&e_bsf32, "", in, e32, emu1(&e_bsf32, 0, in), F_ZF);
            st_check(&e_bsf32m, "", in, e32, emu1(&e_bsf32m, 0, in), F_ZF);
            e32.ecx = hi;
            st_check(&e_bsr32, "", in, e32, emu1(&e_bsr32, 0, in), F_ZF);
            uint32_t x16 = x & 0xFFFF;
            St e16 = in;
            if (x16) {
                e16.ecx = 0xCAFE0000 | (uint32_t)__builtin_ctz(x16);
                e16.flags = 0;
            } else {
                e16.flags = F_ZF; /* zero source: ZF=1, destination unchanged */
            }
            st_check(&e_bsf16, "", in, e16, emu1(&e_bsf16, 0, in), F_ZF);
            if (x16)
                e16.ecx = 0xCAFE0000 | (31u - (uint32_t)__builtin_clz(x16));
            st_check(&e_bsr16, "", in, e16, emu1(&e_bsr16, 0, in), F_ZF);
            st_check(&e_bsr16m, "", in, e16, emu1(&e_bsr16m, 0, in), F_ZF);
        }
    /* zero source */
    const Enc *zs[] = {&e_bsf32, &e_bsr32, &e_bsf16, &e_bsr16, &e_bsf32m, &e_bsr16m};
    for (size_t k = 0; k < 6; k++) {
        St in = {JA, 0xCAFEBABE, 0, 0, 0};
        St exp = in;
        exp.flags = F_ZF;
        st_check(zs[k], "zero", in, exp, emu1(zs[k], 0, in), F_ZF);
    }
    FINISH("bsf/bsr");
}
END_TEST

START_TEST(test_bswap)
{
    h_pm(H_CODE);
    for (int r = 0; r < 8; r++) {
        load_insn(&bswap_enc[r], 0);
        for (int k = 0; k < 8; k++)
            hc->regs[k] = 0x01020304u + 0x10101010u * (uint32_t)k;
        uint32_t before = hc->regs[r];
        hc->eip = H_CODE;
        cpu_set_eflags(hc, 2 | F_CF | F_ZF | F_OF);
        ck_assert_int_eq(h_run_insn(), CPU_RUN_LIMIT);
        for (int k = 0; k < 8; k++)
            ck_assert_uint_eq(hc->regs[k], k == r ? __builtin_bswap32(before)
                                                  : 0x01020304u + 0x10101010u * (uint32_t)k);
        ck_assert_uint_eq(h_flags() & ALL_FLAGS, F_CF | F_ZF | F_OF);
    }
}
END_TEST

/* ------------------------------------------------------------------ Jcc SETcc CMOVcc */

#define PROG_AT (H_CODE + 0x100)
#define RESULTS (H_DATA + 0x100)

/* Run op (placed to end where the condition program starts) then prog. */
static void run_cond_prog(const Enc *op, St in)
{
    uint32_t start = PROG_AT;
    if (op) {
        start -= op->len;
        h_load(start, op->b, op->len);
    }
    hc->regs[R_EAX] = in.eax;
    hc->regs[R_ECX] = 0xC0DE1234;
    hc->regs[R_EDX] = in.edx;
    hc->regs[R_EBX] = 0;
    hc->regs[R_ESI] = H_DATA;
    hc->regs[R_EDI] = RESULTS;
    hc->regs[R_ESP] = H_STACK;
    h_w32(H_DATA, 0x600DF00D);
    memset(h_ptr(RESULTS), 0xEE, 64);
    cpu_invalidate_phys(hc, RESULTS, 64);
    hc->eip = start;
    hc->last_vector = -1;
    hc->halted = false; /* the previous program ended in HLT */
    cpu_set_eflags(hc, (in.flags & F_ARITH) | 2u);
    int r = h_run_halt(1000);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
}

enum { P_SETCC, P_CMOV32, P_CMOV32M, P_CMOV16, P_JCC8, P_JCC32 };
static const char *const prog_names[] = {"setcc",        "cmov r32,r32", "cmov r32,m32",
                                         "cmov r16,r16", "jcc rel8",     "jcc rel32"};

static void check_cond_results(int prog, const char *after, uint32_t f)
{
    for (int cc = 0; cc < 16; cc++) {
        bool t = cond_ref(cc, f);
        uint32_t got, want;
        switch (prog) {
        case P_SETCC:
        case P_JCC8:
        case P_JCC32:
            got = h_r8(RESULTS + (uint32_t)cc);
            want = t;
            break;
        case P_CMOV32:
            got = h_r32(RESULTS + 4u * (uint32_t)cc);
            want = t ? 0xC0DE1234 : 0x11111111;
            break;
        case P_CMOV32M:
            got = h_r32(RESULTS + 4u * (uint32_t)cc);
            want = t ? 0x600DF00D : 0x11111111;
            break;
        default:
            got = h_r32(RESULTS + 4u * (uint32_t)cc);
            want = t ? 0x11111234 : 0x11111111;
            break;
        }
        if (got != want)
            H_MISMATCH("%s cc=%d after %s (flags %03x): got %#x want %#x", prog_names[prog], cc,
                       after, f, got, want);
    }
}

static void cond_suite(int prog, const uint8_t *code, size_t len, bool all_ops)
{
    h_pm(H_CODE);
    h_load(PROG_AT, code, len);
    /* Flags loaded directly: every combination of the five tested flags. */
    for (uint32_t k = 0; k < 64; k++) {
        uint32_t f = ((k & 1) ? F_CF : 0) | ((k & 2) ? F_PF : 0) | ((k & 4) ? F_ZF : 0) |
                     ((k & 8) ? F_SF : 0) | ((k & 16) ? F_OF : 0) | ((k & 32) ? F_AF : 0);
        run_cond_prog(NULL, (St){0, 0, 0, 0, f});
        check_cond_results(prog, "POPF-style flags", f);
    }
    /* Flags produced by real operations (exercises the lazy flag paths). */
    static const int ops_few[] = {OP_CMP, OP_SUB, OP_ADD, OP_AND, OP_SBB};
    for (int sz = 0; sz < 3; sz++) {
        int nv;
        const uint32_t *v = vals(sz, &nv);
        for (int op = 0; op < (all_ops ? 9 : 5); op++) {
            int o = all_ops ? op : ops_few[op];
            const Enc *e = &alu_enc[(o * 3 + sz) * 6 + F_RR];
            for (int ia = 0; ia < nv; ia++)
                for (int ib = 0; ib < nv; ib += all_ops ? 1 : 2)
                    for (int fi = 0; fi < 2; fi++) {
                        uint32_t fo, fin = fi ? F_CF : 0;
                        nat_alu[o][sz](v[ia], v[ib], fin, &fo);
                        run_cond_prog(e,
                                      (St){merge(JA, v[ia], sz), 0, merge(JD, v[ib], sz), 0, fin});
                        char what[80];
                        snprintf(what, sizeof what, "%s a=%#x b=%#x cf=%d", e->text, v[ia], v[ib],
                                 fi);
                        check_cond_results(prog, what, fo);
                    }
        }
        for (int op = 0; op < 3; op++) { /* INC DEC NEG */
            const Enc *e = &unary_enc[(op * 3 + sz) * 2];
            for (int ia = 0; ia < nv; ia++)
                for (int fi = 0; fi < 2; fi++) {
                    uint32_t fo, fin = fi ? F_CF : 0;
                    nat_unary[op][sz](v[ia], 0, fin, &fo);
                    run_cond_prog(e, (St){merge(JA, v[ia], sz), 0, 0, 0, fin});
                    char what[80];
                    snprintf(what, sizeof what, "%s a=%#x cf=%d", e->text, v[ia], fi);
                    check_cond_results(prog, what, fo);
                }
        }
    }
    FINISH(prog_names[prog]);
}

START_TEST(test_setcc)
{
    cond_suite(P_SETCC, setcc_prog, sizeof setcc_prog, true);
}
END_TEST
START_TEST(test_cmov32)
{
    cond_suite(P_CMOV32, cmov32_prog, sizeof cmov32_prog, false);
}
END_TEST
START_TEST(test_cmov32_mem)
{
    cond_suite(P_CMOV32M, cmov32m_prog, sizeof cmov32m_prog, false);
}
END_TEST
START_TEST(test_cmov16)
{
    cond_suite(P_CMOV16, cmov16_prog, sizeof cmov16_prog, false);
}
END_TEST
START_TEST(test_jcc_short)
{
    cond_suite(P_JCC8, jcc_short_prog, sizeof jcc_short_prog, false);
}
END_TEST
START_TEST(test_jcc_near)
{
    cond_suite(P_JCC32, jcc_near_prog, sizeof jcc_near_prog, false);
}
END_TEST

/* ------------------------------------------------------------------ XADD CMPXCHG CMPXCHG8B */

START_TEST(test_xadd)
{
    h_pm(H_CODE);
    for (int sz = 0; sz < 3; sz++) {
        int nv;
        const uint32_t *v = vals(sz, &nv);
        for (int form = 0; form < 2; form++) {
            const Enc *e = &xc_enc[(0 * 3 + sz) * 2 + form];
            for (int ia = 0; ia < nv; ia++)
                for (int ib = 0; ib < nv; ib++) {
                    uint32_t fo, src = v[ib];
                    uint32_t sum = sz == 0   ? nat_xadd8(v[ia], &src, 0, &fo)
                                   : sz == 1 ? nat_xadd16(v[ia], &src, 0, &fo)
                                             : nat_xadd32(v[ia], &src, 0, &fo);
                    St in = {JA, merge(JC, v[ia], sz), merge(JD, v[ib], sz), merge(JM, 0x44, sz),
                             0};
                    if (form)
                        in.mem = merge(JM, v[ia], sz);
                    St exp = in;
                    exp.flags = fo;
                    exp.edx = merge(JD, src, sz);
                    if (form)
                        exp.mem = merge(JM, sum, sz);
                    else
                        exp.ecx = merge(JC, sum, sz);
                    st_check(e, "", in, exp, emu1(e, 0, in), ALL_FLAGS);
                }
        }
    }
    FINISH("xadd");
}
END_TEST

/* XADD with the same register as source and destination: TEMP = SRC + DEST;
 * SRC = DEST; DEST = TEMP -- the destination is written last, so the
 * register ends up holding the sum. */
START_TEST(test_xadd_same_reg)
{
    h_pm(H_CODE);
    static const uint32_t v[] = {1, 0x40000000, 0x80000000, 0x12345678, 0xFFFFFFFF};
    for (size_t k = 0; k < sizeof v / 4; k++) {
        uint32_t host = v[k];
        __asm__ volatile("xaddl %0, %0" : "+r"(host) : : "cc");
        ck_assert_uint_eq(host, v[k] * 2); /* what the host CPU does */
        St in = {v[k], JC, JD, JM, 0};
        St exp = in;
        exp.eax = v[k] * 2;
        uint32_t fo, b = v[k];
        nat_xadd32(v[k], &b, 0, &fo);
        exp.flags = fo;
        st_check(&e_xadd_same, "", in, exp, emu1(&e_xadd_same, 0, in), ALL_FLAGS);
    }
    FINISH("xadd eax, eax");
}
END_TEST

START_TEST(test_cmpxchg)
{
    h_pm(H_CODE);
    for (int sz = 0; sz < 3; sz++) {
        int nv;
        const uint32_t *v = vals(sz, &nv);
        for (int form = 0; form < 2; form++) {
            const Enc *e = &xc_enc[(1 * 3 + sz) * 2 + form];
            for (int id = 0; id < nv; id++)
                for (int ia = -1; ia < nv; ia += 2) {
                    uint32_t d = v[id], acc = ia < 0 ? d : v[ia], s = 0x5A5A5A5A & MASK(sz), fo;
                    uint32_t nacc = acc;
                    uint32_t nd = sz == 0   ? nat_cmpxchg8(d, s, &nacc, 0, &fo)
                                  : sz == 1 ? nat_cmpxchg16(d, s, &nacc, 0, &fo)
                                            : nat_cmpxchg32(d, s, &nacc, 0, &fo);
                    St in = {merge(JA, acc, sz), merge(JC, d, sz), merge(JD, s, sz),
                             merge(JM, 0x44, sz), 0};
                    if (form)
                        in.mem = merge(JM, d, sz);
                    St exp = in;
                    exp.flags = fo;
                    exp.eax = merge(JA, nacc, sz);
                    if (form)
                        exp.mem = merge(JM, nd, sz);
                    else
                        exp.ecx = merge(JC, nd, sz);
                    st_check(e, acc == d ? "equal" : "unequal", in, exp, emu1(e, 0, in), ALL_FLAGS);
                }
        }
    }
    FINISH("cmpxchg");
}
END_TEST

START_TEST(test_cmpxchg8b)
{
    h_pm(H_CODE);
    load_insn(&e_cmpxchg8b, 0);
    struct {
        uint64_t mem, edxeax;
    } cs[] = {{0x1122334455667788ull, 0x1122334455667788ull},
              {0x1122334455667788ull, 0x1122334455667789ull}, /* low differs */
              {0x1122334455667788ull, 0x0122334455667788ull}, /* high differs */
              {0, 0},
              {0xFFFFFFFFFFFFFFFFull, 0}};
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++)
        for (int fl = 0; fl < 2; fl++) {
            uint32_t fin = fl ? (F_CF | F_PF | F_AF | F_SF | F_OF) : 0;
            h_w64(H_DATA, cs[k].mem);
            h_w32(H_DATA + 8, GUARD);
            hc->regs[R_ESI] = H_DATA;
            hc->regs[R_EAX] = (uint32_t)cs[k].edxeax;
            hc->regs[R_EDX] = (uint32_t)(cs[k].edxeax >> 32);
            hc->regs[R_EBX] = 0xBBBBBBBB;
            hc->regs[R_ECX] = 0xCCCCCCCC;
            hc->eip = H_CODE;
            cpu_set_eflags(hc, fin | 2 | (fl ? 0 : F_ZF));
            ck_assert_int_eq(h_run_insn(), CPU_RUN_LIMIT);
            ck_assert_int_eq(hc->last_vector, -1);
            bool eq = cs[k].mem == cs[k].edxeax;
            uint64_t m;
            memcpy(&m, h_ptr(H_DATA), 8);
            ck_assert_uint_eq(h_r32(H_DATA + 8), GUARD);
            uint32_t f = h_flags();
            ck_assert_msg(((f & F_ZF) != 0) == eq, "case %zu: ZF", k);
            ck_assert_msg((f & (F_CF | F_PF | F_AF | F_SF | F_OF)) == fin,
                          "case %zu: CF PF AF SF OF must be unaffected (%03x vs %03x)", k, f, fin);
            if (eq) {
                ck_assert_uint_eq(m, 0xCCCCCCCCBBBBBBBBull);
                ck_assert_uint_eq(hc->regs[R_EAX], (uint32_t)cs[k].edxeax);
                ck_assert_uint_eq(hc->regs[R_EDX], (uint32_t)(cs[k].edxeax >> 32));
            } else {
                ck_assert_uint_eq(m, cs[k].mem);
                ck_assert_uint_eq(hc->regs[R_EAX], (uint32_t)cs[k].mem);
                ck_assert_uint_eq(hc->regs[R_EDX], (uint32_t)(cs[k].mem >> 32));
            }
            ck_assert_uint_eq(hc->regs[R_EBX], 0xBBBBBBBB);
            ck_assert_uint_eq(hc->regs[R_ECX], 0xCCCCCCCC);
        }
}
END_TEST

/* ------------------------------------------------------------------ BCD (SDM pseudocode) */

static void ref_daa(uint8_t al, uint32_t f, uint8_t *ral, uint32_t *rf)
{
    uint8_t old_al = al;
    bool old_cf = f & F_CF, cf = false, af;
    if ((al & 0xF) > 9 || (f & F_AF)) {
        cf = old_cf || al > 0xF9; /* carry out of AL + 6 */
        al = (uint8_t)(al + 6);
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al + 0x60);
        cf = true;
    } else {
        cf = false;
    }
    *ral = al;
    *rf = (cf ? F_CF : 0) | (af ? F_AF : 0) | szp(al, 0);
}

static void ref_das(uint8_t al, uint32_t f, uint8_t *ral, uint32_t *rf)
{
    uint8_t old_al = al;
    bool old_cf = f & F_CF, cf = false, af;
    if ((al & 0xF) > 9 || (f & F_AF)) {
        cf = old_cf || al < 6; /* borrow out of AL - 6 */
        al = (uint8_t)(al - 6);
        af = true;
    } else {
        af = false;
    }
    if (old_al > 0x99 || old_cf) {
        al = (uint8_t)(al - 0x60);
        cf = true;
    }
    *ral = al;
    *rf = (cf ? F_CF : 0) | (af ? F_AF : 0) | szp(al, 0);
}

/* One-byte instruction e over AL = 0..255, CF, AF (and noise in other flags). */
static void bcd_sweep(const Enc *e, void (*ref)(uint8_t, uint32_t, uint8_t *, uint32_t *))
{
    h_pm(H_CODE);
    for (uint32_t al = 0; al < 256; al++)
        for (uint32_t k = 0; k < 8; k++) {
            uint32_t fin = ((k & 1) ? F_CF : 0) | ((k & 2) ? F_AF : 0) |
                           ((k & 4) ? (F_OF | F_SF | F_ZF | F_PF) : 0);
            uint8_t ral;
            uint32_t rf;
            ref((uint8_t)al, fin, &ral, &rf);
            St in = {0x12345600 | al, JC, JD, JM, fin};
            St exp = in;
            exp.eax = 0x12345600 | ral;
            exp.flags = rf;
            /* OF is undefined after DAA/DAS */
            st_check(e, "", in, exp, emu1(e, 0, in), F_CF | F_AF | F_SF | F_ZF | F_PF);
        }
}

START_TEST(test_daa)
{
    bcd_sweep(&e_daa, ref_daa);
    FINISH("daa");
}
END_TEST

START_TEST(test_das)
{
    bcd_sweep(&e_das, ref_das);
    FINISH("das");
}
END_TEST

/* SDM: IF AL[3:0] > 9 or AF THEN AX = AX + 106H; AF = CF = 1 ELSE AF = CF = 0;
 * AL = AL AND 0FH. Only AF and CF are defined. */
static uint16_t ref_aaa(uint16_t ax, uint32_t f, uint32_t *rf)
{
    if ((ax & 0xF) > 9 || (f & F_AF)) {
        ax = (uint16_t)(ax + 0x106);
        *rf = F_AF | F_CF;
    } else {
        *rf = 0;
    }
    return ax & 0xFF0F;
}
/* SDM: IF AL[3:0] > 9 or AF THEN AX = AX - 6; AH = AH - 1; AF = CF = 1 ELSE
 * AF = CF = 0; AL = AL AND 0FH. */
static uint16_t ref_aas(uint16_t ax, uint32_t f, uint32_t *rf)
{
    if ((ax & 0xF) > 9 || (f & F_AF)) {
        ax = (uint16_t)(ax - 6);
        ax = (uint16_t)(ax - 0x100);
        *rf = F_AF | F_CF;
    } else {
        *rf = 0;
    }
    return ax & 0xFF0F;
}

/* AAA/AAS where the AX arithmetic does not carry/borrow across AL (every
 * implementation of the SDM text agrees there). */
START_TEST(test_aaa_aas)
{
    h_pm(H_CODE);
    static const uint16_t ahs[] = {0x00, 0x01, 0x09, 0x7F, 0x80, 0xFF};
    for (int which = 0; which < 2; which++) {
        const Enc *e = which ? &e_aas : &e_aaa;
        for (size_t h = 0; h < sizeof ahs / 2; h++)
            for (uint32_t al = 0; al < 256; al++)
                for (uint32_t k = 0; k < 4; k++) {
                    uint32_t fin = ((k & 1) ? F_CF : 0) | ((k & 2) ? F_AF : 0);
                    bool adjust = (al & 0xF) > 9 || (fin & F_AF);
                    if (adjust && (which ? al < 6 : al > 0xF9))
                        continue; /* see test_aaa_aas_cross_byte */
                    uint16_t ax = (uint16_t)(ahs[h] << 8 | al);
                    uint32_t rf;
                    uint16_t r = which ? ref_aas(ax, fin, &rf) : ref_aaa(ax, fin, &rf);
                    St in = {0xABCD0000 | ax, JC, JD, JM, fin};
                    St exp = in;
                    exp.eax = 0xABCD0000 | r;
                    exp.flags = rf;
                    st_check(e, "", in, exp, emu1(e, 0, in), F_AF | F_CF);
                }
    }
    FINISH("aaa/aas");
}
END_TEST

/* The SDM defines AAA as AX = AX + 106H and AAS as AX = AX - 6; AH = AH - 1,
 * i.e. the +6/-6 on AL carries into / borrows from AH. */
START_TEST(test_aaa_aas_cross_byte)
{
    h_pm(H_CODE);
    static const struct {
        const Enc *e;
        uint16_t ax;
        uint32_t fin;
    } cs[] = {
        {&e_aas, 0x0205, F_AF}, /* AX-6 = 01FF, AH-1 -> 00FF, AL&0F -> 000F */
        {&e_aas, 0x0200, F_AF}, /* 01FA -> 00FA -> 000A */
        {&e_aas, 0x0000, F_AF}, /* FFFA -> FEFA -> FE0A */
        {&e_aaa, 0x00FA, 0},    /* AX+106 = 0200 -> 0200 */
        {&e_aaa, 0x05FF, 0},    /* 0705 -> 0705 */
        {&e_aaa, 0xFFFC, F_AF}, /* 0102 -> 0102 */
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        uint32_t rf;
        uint16_t r = cs[k].e == &e_aas ? ref_aas(cs[k].ax, cs[k].fin, &rf)
                                       : ref_aaa(cs[k].ax, cs[k].fin, &rf);
        St in = {0xABCD0000 | cs[k].ax, JC, JD, JM, cs[k].fin};
        St exp = in;
        exp.eax = 0xABCD0000 | r;
        exp.flags = rf;
        st_check(cs[k].e, "AL adjust crosses into AH", in, exp, emu1(cs[k].e, 0, in), F_AF | F_CF);
    }
    FINISH("aaa/aas cross-byte");
}
END_TEST

START_TEST(test_aam_aad)
{
    h_pm(H_CODE);
    for (uint32_t ax = 0; ax < 0x10000; ax += 7) { /* every AL, many AH */
        uint32_t al = ax & 0xFF, ah = ax >> 8;
        /* AAM imm8: AH = AL / imm8, AL = AL mod imm8; SF ZF PF from AL */
        for (int b = 0; b < 2; b++) {
            const Enc *e = b ? &e_aam16 : &e_aam;
            uint32_t base = b ? 16 : 10;
            uint32_t r = ((al / base) << 8) | (al % base);
            St in = {0x77770000 | ax, JC, JD, JM, F_CF | F_OF | F_AF};
            St exp = in;
            exp.eax = 0x77770000 | r;
            exp.flags = szp(r & 0xFF, 0);
            st_check(e, "", in, exp, emu1(e, 0, in), F_SF | F_ZF | F_PF);
        }
        /* AAD imm8: AL = (AL + AH * imm8) & FF, AH = 0 */
        for (int b = 0; b < 2; b++) {
            const Enc *e = b ? &e_aad7 : &e_aad;
            uint32_t base = b ? 7 : 10;
            uint32_t r = (al + ah * base) & 0xFF;
            St in = {0x77770000 | ax, JC, JD, JM, 0};
            St exp = in;
            exp.eax = 0x77770000 | r;
            exp.flags = szp(r, 0);
            st_check(e, "", in, exp, emu1(e, 0, in), F_SF | F_ZF | F_PF);
        }
    }
    FINISH("aam/aad");
}
END_TEST

/* AAM with a zero immediate raises #DE (a fault: EIP points at AAM). */
START_TEST(test_aam_zero_de)
{
    /* aam 0 (hand-encoded D4 00: GNU as accepts it too, this is its encoding) */
    static const uint8_t code[] = {0xD4, 0x00, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    hc->regs[R_EAX] = 0x1234;
    int r = h_run_halt(10);
    H_EXPECT_EXC(r, EX_DE, -1, H_CODE);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x1234);
}
END_TEST

/* ------------------------------------------------------------------ LAHF SAHF, conversions */

START_TEST(test_lahf_sahf)
{
    h_pm(H_CODE);
    for (uint32_t k = 0; k < 64; k++) {
        uint32_t f = ((k & 1) ? F_CF : 0) | ((k & 2) ? F_PF : 0) | ((k & 4) ? F_AF : 0) |
                     ((k & 8) ? F_ZF : 0) | ((k & 16) ? F_SF : 0) | ((k & 32) ? F_OF : 0);
        /* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF */
        St in = {0x11223344, JC, JD, JM, f};
        St exp = in;
        exp.eax = 0x11220044 | ((f & 0xD5) | 2) << 8;
        exp.flags = f;
        st_check(&e_lahf, "", in, exp, emu1(&e_lahf, 0, in), ALL_FLAGS);
        /* SAHF: SF ZF AF PF CF from AH bits 7 6 4 2 0; OF unchanged */
        for (uint32_t ah = 0; ah < 256; ah += 0x11) {
            uint32_t ahv = ah ^ (k * 5);
            St in2 = {0x11000044 | (ahv & 0xFF) << 8, JC, JD, JM, f};
            St exp2 = in2;
            exp2.flags = (ahv & 0xD5) | (f & F_OF);
            st_check(&e_sahf, "", in2, exp2, emu1(&e_sahf, 0, in2), ALL_FLAGS);
        }
    }
    FINISH("lahf/sahf");
}
END_TEST

START_TEST(test_convert)
{
    h_pm(H_CODE);
    static const uint32_t v[] = {0,          0x7F,       0x80,       0xFF,
                                 0x7FFF,     0x8000,     0xFFFF,     0x12347F80,
                                 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xABCD8001};
    for (size_t k = 0; k < sizeof v / 4; k++) {
        uint32_t x = v[k];
        St in = {x, JC, 0x5555AAAA, JM, F_CF | F_ZF};
        St exp = in;
        exp.eax = (x & 0xFFFF0000) | (uint16_t)(int8_t)x; /* CBW */
        st_check(&e_cbw, "", in, exp, emu1(&e_cbw, 0, in), ALL_FLAGS);
        exp = in;
        exp.eax = (uint32_t)(int16_t)x; /* CWDE */
        st_check(&e_cwde, "", in, exp, emu1(&e_cwde, 0, in), ALL_FLAGS);
        exp = in;
        exp.edx = 0x55550000 | ((x & 0x8000) ? 0xFFFF : 0); /* CWD */
        st_check(&e_cwd, "", in, exp, emu1(&e_cwd, 0, in), ALL_FLAGS);
        exp = in;
        exp.edx = (x & 0x80000000) ? 0xFFFFFFFF : 0; /* CDQ */
        st_check(&e_cdq, "", in, exp, emu1(&e_cdq, 0, in), ALL_FLAGS);

        /* MOVZX / MOVSX: ECX destination, DL/DH/DX or [ESI] source */
        St in2 = {JA, 0x99999999, x, x, 0};
        exp = in2;
        exp.ecx = 0x99990000 | (x & 0xFF);
        st_check(&e_movzx_bw, "", in2, exp, emu1(&e_movzx_bw, 0, in2), ALL_FLAGS);
        exp.ecx = x & 0xFF;
        st_check(&e_movzx_bd, "", in2, exp, emu1(&e_movzx_bd, 0, in2), ALL_FLAGS);
        exp.ecx = x & 0xFFFF;
        st_check(&e_movzx_wd, "", in2, exp, emu1(&e_movzx_wd, 0, in2), ALL_FLAGS);
        exp.ecx = 0x99990000 | (uint16_t)(int8_t)(x >> 8);
        st_check(&e_movsx_bw, "", in2, exp, emu1(&e_movsx_bw, 0, in2), ALL_FLAGS);
        exp.ecx = (uint32_t)(int8_t)x;
        st_check(&e_movsx_bd, "", in2, exp, emu1(&e_movsx_bd, 0, in2), ALL_FLAGS);
        exp.ecx = (uint32_t)(int16_t)x;
        st_check(&e_movsx_wd, "", in2, exp, emu1(&e_movsx_wd, 0, in2), ALL_FLAGS);
    }
    FINISH("conversions");
}
END_TEST

/* ------------------------------------------------------------------ LEA and addressing */

typedef struct LeaCase {
    Enc e;
    uint32_t expect; /* the whole destination register afterwards */
} LeaCase;

#define RA 0x99990011u
#define RC 0x00002200u
#define RD 0x80330000u
#define RB 0xF4001234u
#define RSP 0x00080000u
#define RBP 0x06003003u
#define RSI 0x00007101u
#define RDI 0x00002080u
#define B (RB & 0xFFFFu)
#define S (RSI & 0xFFFFu)
#define D (RDI & 0xFFFFu)
#define P (RBP & 0xFFFFu)
#define X(v) ((RA & 0xFFFF0000u) | ((v)&0xFFFFu))

static const LeaCase lea32_cases[] = {
    {{"lea eax, [ebx]", 2, 0, {0x8D, 0x03}}, RB},
    {{"lea eax, [ecx+0x7f]", 3, 0, {0x8D, 0x41, 0x7F}}, RC + 0x7F},
    {{"lea eax, [ecx-0x80]", 3, 0, {0x8D, 0x41, 0x80}}, RC - 0x80},
    {{"lea eax, [edx+0x12345678]", 6, 0, {0x8D, 0x82, 0x78, 0x56, 0x34, 0x12}}, RD + 0x12345678},
    {{"lea eax, [0x12345678]", 6, 0, {0x8D, 0x05, 0x78, 0x56, 0x34, 0x12}}, 0x12345678},
    {{"lea eax, [esp]", 3, 0, {0x8D, 0x04, 0x24}}, RSP},
    {{"lea eax, [esp+8]", 4, 0, {0x8D, 0x44, 0x24, 0x08}}, RSP + 8},
    {{"lea eax, [ebp]", 3, 0, {0x8D, 0x45, 0x00}}, RBP},
    {{"lea eax, [ebp+0x100]", 6, 0, {0x8D, 0x85, 0x00, 0x01, 0x00, 0x00}}, RBP + 0x100},
    {{"lea eax, [esi]", 2, 0, {0x8D, 0x06}}, RSI},
    {{"lea eax, [edi-1]", 3, 0, {0x8D, 0x47, 0xFF}}, RDI - 1},
    {{"lea eax, [eax]", 2, 0, {0x8D, 0x00}}, RA},
    {{"lea eax, [ebx+ecx]", 3, 0, {0x8D, 0x04, 0x0B}}, RB + RC},
    {{"lea eax, [ebx+esi*4+0x10]", 4, 0, {0x8D, 0x44, 0xB3, 0x10}}, RB + RSI * 4 + 0x10},
    {{"lea eax, [esi*8+0x1000]", 7, 0, {0x8D, 0x04, 0xF5, 0x00, 0x10, 0x00, 0x00}},
     RSI * 8 + 0x1000},
    {{"lea eax, [edx*2]", 7, 0, {0x8D, 0x04, 0x55, 0x00, 0x00, 0x00, 0x00}}, RD * 2},
    {{"lea eax, [edi+edx*2-4]", 4, 0, {0x8D, 0x44, 0x57, 0xFC}}, RDI + RD * 2 - 4},
    {{"lea eax, [esp+esi*8+0x100]", 7, 0, {0x8D, 0x84, 0xF4, 0x00, 0x01, 0x00, 0x00}},
     RSP + RSI * 8 + 0x100},
    {{"lea eax, [eax+eax*4]", 3, 0, {0x8D, 0x04, 0x80}}, RA * 5},
    {{"lea eax, [ebx+ebp*1]", 3, 0, {0x8D, 0x04, 0x2B}}, RB + RBP},
    {{"lea eax, [ebp+ebx*1]", 4, 0, {0x8D, 0x44, 0x1D, 0x00}}, RBP + RB},
    {{"lea eax, [ebp+ecx*2+0x11223344]", 7, 0, {0x8D, 0x84, 0x4D, 0x44, 0x33, 0x22, 0x11}},
     RBP + RC * 2 + 0x11223344},
    {{"lea eax, [ebp*8]", 7, 0, {0x8D, 0x04, 0xED, 0x00, 0x00, 0x00, 0x00}}, RBP * 8},
    {{"lea eax, [ebx+0xF0000000]", 6, 0, {0x8D, 0x83, 0x00, 0x00, 0x00, 0xF0}}, RB + 0xF0000000},
    {{"lea edi, [esi+edi*2+3]", 4, 0, {0x8D, 0x7C, 0x7E, 0x03}}, RSI + RDI * 2 + 3},
    {{"lea esp, [esp-4]", 4, 0, {0x8D, 0x64, 0x24, 0xFC}}, RSP - 4},
    {{"lea ax, [ebx+ecx+0x8001]", 8, 0, {0x66, 0x8D, 0x84, 0x0B, 0x01, 0x80, 0x00, 0x00}},
     (RA & 0xFFFF0000) | ((RB + RC + 0x8001) & 0xFFFF)},
    {{"lea eax, [bx+si]", 3, 0, {0x67, 0x8D, 0x00}}, (RB + RSI) & 0xFFFF},
    {{"lea eax, [bp+di+0x7fff]", 5, 0, {0x67, 0x8D, 0x83, 0xFF, 0x7F}},
     (RBP + RDI + 0x7FFF) & 0xFFFF},
};
/* 16-bit code (.code16) */
static const LeaCase lea16_cases[] = {
    {{"lea ax, [bx+si]", 2, 0, {0x8D, 0x00}}, X(B + S)},
    {{"lea ax, [bx+di]", 2, 0, {0x8D, 0x01}}, X(B + D)},
    {{"lea ax, [bp+si]", 2, 0, {0x8D, 0x02}}, X(P + S)},
    {{"lea ax, [bp+di]", 2, 0, {0x8D, 0x03}}, X(P + D)},
    {{"lea ax, [si]", 2, 0, {0x8D, 0x04}}, X(S)},
    {{"lea ax, [di]", 2, 0, {0x8D, 0x05}}, X(D)},
    {{"lea ax, [0x1234]", 4, 0, {0x8D, 0x06, 0x34, 0x12}}, X(0x1234)},
    {{"lea ax, [bx]", 2, 0, {0x8D, 0x07}}, X(B)},
    {{"lea ax, [bx+si+0x7f]", 3, 0, {0x8D, 0x40, 0x7F}}, X(B + S + 0x7F)},
    {{"lea ax, [bx+di-0x80]", 3, 0, {0x8D, 0x41, 0x80}}, X(B + D - 0x80)},
    {{"lea ax, [bp+0x10]", 3, 0, {0x8D, 0x46, 0x10}}, X(P + 0x10)},
    {{"lea ax, [bp]", 3, 0, {0x8D, 0x46, 0x00}}, X(P)},
    {{"lea ax, [si+0x1234]", 4, 0, {0x8D, 0x84, 0x34, 0x12}}, X(S + 0x1234)},
    {{"lea ax, [bp+di+0x8000]", 4, 0, {0x8D, 0x83, 0x00, 0x80}}, X(P + D + 0x8000)},
    {{"lea ax, [bx+0xffff]", 3, 0, {0x8D, 0x47, 0xFF}}, X(B + 0xFFFF)},
    {{"lea ax, [di-2]", 3, 0, {0x8D, 0x45, 0xFE}}, X(D - 2)},
    {{"lea eax, [bx+si]", 3, 0, {0x66, 0x8D, 0x00}}, ((B + S) & 0xFFFF)},
    {{"lea ax, [ebx+esi*2]", 4, 0, {0x67, 0x8D, 0x04, 0x73}}, X(RB + RSI * 2)},
};

static int lea_dest(const Enc *e)
{
    int k = 0;
    while (e->b[k] == 0x66 || e->b[k] == 0x67)
        k++;
    ck_assert_uint_eq(e->b[k], 0x8D);
    return (e->b[k + 1] >> 3) & 7;
}

static void lea_regs(void)
{
    static const uint32_t r[8] = {RA, RC, RD, RB, RSP, RBP, RSI, RDI};
    memcpy(hc->regs, r, sizeof r);
}

static void lea_run(const LeaCase *cs, size_t n, uint32_t code_lin)
{
    for (size_t k = 0; k < n; k++) {
        const Enc *e = &cs[k].e;
        h_load_hlt(code_lin, e->b, e->len);
        lea_regs();
        hc->eip = code_lin - hc->seg[S_CS].base;
        cpu_set_eflags(hc, 2 | F_CF | F_SF);
        hc->last_vector = -1;
        ck_assert_int_eq(h_run_insn(), CPU_RUN_LIMIT);
        ck_assert_int_eq(hc->last_vector, -1);
        int d = lea_dest(e);
        static const uint32_t r0[8] = {RA, RC, RD, RB, RSP, RBP, RSI, RDI};
        for (int i = 0; i < 8; i++) {
            uint32_t want = i == d ? cs[k].expect : r0[i];
            if (hc->regs[i] != want)
                H_MISMATCH("%s: reg %d = %#x, want %#x", e->text, i, hc->regs[i], want);
        }
        ck_assert_uint_eq(h_flags() & ALL_FLAGS, F_CF | F_SF); /* LEA leaves flags alone */
    }
}

START_TEST(test_lea32)
{
    h_pm(H_CODE);
    lea_run(lea32_cases, sizeof lea32_cases / sizeof lea32_cases[0], H_CODE);
    FINISH("lea 32-bit");
}
END_TEST

START_TEST(test_lea16)
{
    h_real(0x1000, 0); /* CS base 0x10000 = H_CODE */
    lea_run(lea16_cases, sizeof lea16_cases / sizeof lea16_cases[0], H_CODE);
    FINISH("lea 16-bit");
}
END_TEST

/* Default segments of memory operands: EBP/ESP-based (and BP-based) forms
 * use SS, everything else DS; prefixes override. SS, DS and ES get different
 * bases so the marker read back tells which segment was used. */
typedef struct SegDefCase {
    Enc e;
    int seg;
    uint32_t off;
} SegDefCase;

#define EBX_ 0x21000u
#define EBP_ 0x22000u
#define ESP_ 0x23000u
#define ECX_ 0x100u
#define BX_ 0x100u
#define BP_ 0x200u
#define SI_ 0x10u
#define DI_ 0x20u
#define EAX16_ 0x40u
#define EBP16_ BP_
static const SegDefCase segdef32_cases[] = {
    {{"mov eax, dword ptr [ebp+8]", 3, 0, {0x8B, 0x45, 0x08}}, S_SS, EBP_ + 8},
    {{"mov eax, dword ptr [esp+8]", 4, 0, {0x8B, 0x44, 0x24, 0x08}}, S_SS, ESP_ + 8},
    {{"mov eax, dword ptr [esp]", 3, 0, {0x8B, 0x04, 0x24}}, S_SS, ESP_},
    {{"mov eax, dword ptr [ebx+ebp*1]", 3, 0, {0x8B, 0x04, 0x2B}}, S_DS, EBX_ + EBP_},
    {{"mov eax, dword ptr [ebp+ebx*1]", 4, 0, {0x8B, 0x44, 0x1D, 0x00}}, S_SS, EBP_ + EBX_},
    {{"mov eax, dword ptr [ebp*2+0x100]", 7, 0, {0x8B, 0x04, 0x6D, 0x00, 0x01, 0x00, 0x00}},
     S_DS,
     EBP_ * 2 + 0x100},
    {{"mov eax, dword ptr [esp+ecx*2]", 3, 0, {0x8B, 0x04, 0x4C}}, S_SS, ESP_ + ECX_ * 2},
    {{"mov eax, dword ptr [0x21100]", 5, 0, {0xA1, 0x00, 0x11, 0x02, 0x00}}, S_DS, 0x21100},
    {{"mov ecx, dword ptr [0x21100]", 6, 0, {0x8B, 0x0D, 0x00, 0x11, 0x02, 0x00}}, S_DS, 0x21100},
    {{"mov eax, dword ptr [ebx]", 2, 0, {0x8B, 0x03}}, S_DS, EBX_},
    {{"mov eax, dword ptr ds:[ebp+8]", 4, 0, {0x3E, 0x8B, 0x45, 0x08}}, S_DS, EBP_ + 8},
    {{"mov eax, dword ptr ss:[ebx]", 3, 0, {0x36, 0x8B, 0x03}}, S_SS, EBX_},
    {{"mov eax, dword ptr es:[esp+4]", 5, 0, {0x26, 0x8B, 0x44, 0x24, 0x04}}, S_ES, ESP_ + 4},
    {{"mov eax, dword ptr [ebp-0x1000]", 6, 0, {0x8B, 0x85, 0x00, 0xF0, 0xFF, 0xFF}},
     S_SS,
     EBP_ - 0x1000},
};
/* 16-bit code (.code16) */
static const SegDefCase segdef16_cases[] = {
    {{"mov cx, word ptr [bp+si]", 2, 0, {0x8B, 0x0A}}, S_SS, BP_ + SI_},
    {{"mov cx, word ptr [bp+di+4]", 3, 0, {0x8B, 0x4B, 0x04}}, S_SS, BP_ + DI_ + 4},
    {{"mov cx, word ptr [bp+2]", 3, 0, {0x8B, 0x4E, 0x02}}, S_SS, BP_ + 2},
    {{"mov cx, word ptr [0x1234]", 4, 0, {0x8B, 0x0E, 0x34, 0x12}}, S_DS, 0x1234},
    {{"mov cx, word ptr [bx+si]", 2, 0, {0x8B, 0x08}}, S_DS, BX_ + SI_},
    {{"mov cx, word ptr [bx+di+0x10]", 3, 0, {0x8B, 0x49, 0x10}}, S_DS, BX_ + DI_ + 0x10},
    {{"mov cx, word ptr [bx]", 2, 0, {0x8B, 0x0F}}, S_DS, BX_},
    {{"mov cx, word ptr [si]", 2, 0, {0x8B, 0x0C}}, S_DS, SI_},
    {{"mov cx, word ptr [di]", 2, 0, {0x8B, 0x0D}}, S_DS, DI_},
    {{"mov cx, word ptr ds:[bp]", 4, 0, {0x3E, 0x8B, 0x4E, 0x00}}, S_DS, BP_},
    {{"mov cx, word ptr ss:[bx]", 3, 0, {0x36, 0x8B, 0x0F}}, S_SS, BX_},
    {{"mov cx, word ptr es:[bp+si]", 3, 0, {0x26, 0x8B, 0x0A}}, S_ES, BP_ + SI_},
    {{"mov cx, word ptr [bp+si-0x300]", 4, 0, {0x8B, 0x8A, 0x00, 0xFD}},
     S_SS,
     (BP_ + SI_ - 0x300) & 0xFFFF},
    {{"mov cx, word ptr [ebp+eax*2]", 5, 0, {0x67, 0x8B, 0x4C, 0x45, 0x00}},
     S_SS,
     EBP16_ + EAX16_ * 2},
    {{"mov cx, word ptr [eax+ebp*2]", 4, 0, {0x67, 0x8B, 0x0C, 0x68}}, S_DS, EAX16_ + EBP16_ * 2},
};

static uint32_t marker32(int seg, uint32_t off)
{
    return (seg == S_DS ? 0xD5000000u : seg == S_SS ? 0x55000000u : 0xE5000000u) | (off & 0xFFFFFF);
}
static uint16_t marker16(int seg, uint32_t off)
{
    return (uint16_t)((seg == S_DS ? 0xD000u : seg == S_SS ? 0x5000u : 0xE000u) | (off & 0xFFF));
}

START_TEST(test_default_segment32)
{
    h_pm(H_CODE);
    cpu_set_seg_raw(hc, S_SS, SEL_DATA0, 0x100000, 0xFFFFFFFF, 0xC093);
    cpu_set_seg_raw(hc, S_ES, SEL_DATA0, 0x200000, 0xFFFFFFFF, 0xC093);
    for (size_t k = 0; k < sizeof segdef32_cases / sizeof segdef32_cases[0]; k++) {
        const SegDefCase *c = &segdef32_cases[k];
        h_w32(c->off, marker32(S_DS, c->off));
        h_w32(0x100000 + c->off, marker32(S_SS, c->off));
        h_w32(0x200000 + c->off, marker32(S_ES, c->off));
        h_load_hlt(H_CODE, c->e.b, c->e.len);
        hc->regs[R_EAX] = 0;
        hc->regs[R_EBX] = EBX_;
        hc->regs[R_EBP] = EBP_;
        hc->regs[R_ESP] = ESP_;
        hc->regs[R_ECX] = ECX_;
        hc->eip = H_CODE;
        ck_assert_int_eq(h_run_insn(), CPU_RUN_LIMIT);
        ck_assert_int_eq(hc->last_vector, -1);
        int dest = strncmp(c->e.text, "mov ecx", 7) == 0 ? R_ECX : R_EAX;
        uint32_t got = hc->regs[dest], want = marker32(c->seg, c->off);
        if (got != want)
            H_MISMATCH("%s: read %#x, want %#x (%s:%#x)", c->e.text, got, want,
                       c->seg == S_SS   ? "SS"
                       : c->seg == S_DS ? "DS"
                                        : "ES",
                       c->off);
    }
    FINISH("default segment (32-bit addressing)");
}
END_TEST

START_TEST(test_default_segment16)
{
    h_real(0x1000, 0);
    cpu_set_seg_raw(hc, S_DS, 0x2000, 0x20000, 0xFFFF, 0x93);
    cpu_set_seg_raw(hc, S_SS, 0x3000, 0x30000, 0xFFFF, 0x93);
    cpu_set_seg_raw(hc, S_ES, 0x4000, 0x40000, 0xFFFF, 0x93);
    for (size_t k = 0; k < sizeof segdef16_cases / sizeof segdef16_cases[0]; k++) {
        const SegDefCase *c = &segdef16_cases[k];
        h_w16(0x20000 + c->off, marker16(S_DS, c->off));
        h_w16(0x30000 + c->off, marker16(S_SS, c->off));
        h_w16(0x40000 + c->off, marker16(S_ES, c->off));
        h_load_hlt(H_CODE, c->e.b, c->e.len);
        hc->regs[R_EAX] = EAX16_;
        hc->regs[R_EBX] = BX_;
        hc->regs[R_EBP] = BP_;
        hc->regs[R_ESI] = SI_;
        hc->regs[R_EDI] = DI_;
        hc->regs[R_ECX] = 0xFFFF0000;
        hc->eip = 0;
        ck_assert_int_eq(h_run_insn(), CPU_RUN_LIMIT);
        ck_assert_int_eq(hc->last_vector, -1);
        uint32_t want = 0xFFFF0000u | marker16(c->seg, c->off);
        if (hc->regs[R_ECX] != want)
            H_MISMATCH("%s: ECX %#x, want %#x (%s:%#x)", c->e.text, hc->regs[R_ECX], want,
                       c->seg == S_SS   ? "SS"
                       : c->seg == S_DS ? "DS"
                                        : "ES",
                       c->off);
    }
    FINISH("default segment (16-bit addressing)");
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *alu_suite(void)
{
    Suite *s = suite_create("cpu_alu");
    TCase *tc = h_tcase("arith");
    tcase_add_test(tc, test_alu_binary);
    tcase_add_test(tc, test_alu_unary);
    tcase_add_test(tc, test_xadd);
    tcase_add_test(tc, test_xadd_same_reg);
    tcase_add_test(tc, test_cmpxchg);
    tcase_add_test(tc, test_cmpxchg8b);
    suite_add_tcase(s, tc);
    tc = h_tcase("shift");
    tcase_add_test(tc, test_shift_rotate);
    tcase_add_test(tc, test_sal_alias);
    tcase_add_test(tc, test_shld_shrd);
    suite_add_tcase(s, tc);
    tc = h_tcase("bits");
    tcase_add_test(tc, test_bt_reg);
    tcase_add_test(tc, test_bt_mem_offsets);
    tcase_add_test(tc, test_bsf_bsr);
    tcase_add_test(tc, test_bswap);
    suite_add_tcase(s, tc);
    tc = h_tcase("cond");
    tcase_add_test(tc, test_setcc);
    tcase_add_test(tc, test_cmov32);
    tcase_add_test(tc, test_cmov32_mem);
    tcase_add_test(tc, test_cmov16);
    tcase_add_test(tc, test_jcc_short);
    tcase_add_test(tc, test_jcc_near);
    suite_add_tcase(s, tc);
    tc = h_tcase("bcd");
    tcase_add_test(tc, test_daa);
    tcase_add_test(tc, test_das);
    tcase_add_test(tc, test_aaa_aas);
    tcase_add_test(tc, test_aaa_aas_cross_byte);
    tcase_add_test(tc, test_aam_aad);
    tcase_add_test(tc, test_aam_zero_de);
    suite_add_tcase(s, tc);
    tc = h_tcase("misc");
    tcase_add_test(tc, test_lahf_sahf);
    tcase_add_test(tc, test_convert);
    tcase_add_test(tc, test_lea32);
    tcase_add_test(tc, test_lea16);
    tcase_add_test(tc, test_default_segment32);
    tcase_add_test(tc, test_default_segment16);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(alu_suite)
