/* The x87 FPU (387 instruction set plus the P6 FCMOVcc/FCOMI family).
 *
 * Registers are host long doubles, which on x86 hosts are the very 80-bit
 * extended format of the guest. Every operation that rounds, converts or can
 * raise a floating-point exception runs as the same x87 instruction on the
 * host (host_op below) with the guest's rounding and precision control loaded
 * and all host exceptions masked; the host status word then gives the exact
 * IE/DE/ZE/OE/UE/PE flags and C0-C3, and the result is the hardware's own
 * masked response. What is modelled here on top of that: the register stack
 * and tag word, stack faults, exception masking (ES/B, #MF or FERR#), the
 * instruction/data pointers and the environment/save images.
 *
 * Deviation: an *unmasked* overflow or underflow with a register destination
 * stores the masked result (the real FPU stores it with the exponent biased
 * by 24576); ES is still set so the handler runs. Unmasked IE/DE/ZE leave the
 * destination (and stack) unchanged, as the SDM requires. Precision control
 * is honoured by the host for FADD/FSUB/FMUL/FDIV/FSQRT, like real hardware.
 */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "hw/machine.h"

#if !defined(__x86_64__) && !defined(__i386__)
#error "cpu/fpu.c runs guest x87 arithmetic on the host's x87 unit"
#endif

/* Status word bits */
/* clang-format off */
enum {
    IE = 0x1, DE = 0x2, ZE = 0x4, OE = 0x8, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80,
    C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, SWB = 0x8000,
};
/* clang-format on */
#define PRE (IE | DE | ZE)      /* unmasked: destination left unchanged */
#define NOSTORE (PRE | OE | UE) /* unmasked on a store to memory: nothing written */

/* ---- Raw access to the 80-bit format ---- */
typedef struct X80 {
    uint64_t m;  /* significand, explicit integer bit 63 */
    uint16_t se; /* sign and 15-bit exponent */
} X80;

static X80 bits(long double v)
{
    X80 x;
    memcpy(&x.m, &v, 8);
    memcpy(&x.se, (char *)&v + 8, 2);
    return x;
}

static long double mk80(uint64_t m, uint16_t se)
{
    long double v = 0;
    memcpy(&v, &m, 8);
    memcpy((char *)&v + 8, &se, 2);
    return v;
}

static long double indef(void)
{
    return mk80(0xC000000000000000ull, 0xFFFF);
}

/* Tag for a register's contents: 00 valid, 01 zero, 10 special */
static int tag_of(long double v)
{
    X80 x = bits(v);
    int e = x.se & 0x7FFF;
    if (e == 0)
        return x.m ? 2 : 1;
    return e == 0x7FFF || !(x.m >> 63) ? 2 : 0;
}

/* ---- The register stack ---- */
#define ST(i) (f->st[(f->top + (i)) & 7])

static int phys(const FPU *f, int i)
{
    return (f->top + i) & 7;
}

static bool empty(const FPU *f, int i)
{
    return ((f->tag >> 2 * phys(f, i)) & 3) == 3;
}

static void set_tag(FPU *f, int p, int t)
{
    f->tag = (uint16_t)((f->tag & ~(3u << 2 * p)) | (unsigned)t << 2 * p);
}

static void set_st(FPU *f, int i, long double v)
{
    int p = phys(f, i);
    f->st[p] = v;
    set_tag(f, p, tag_of(v));
}

static void push(FPU *f, long double v)
{
    f->top = (f->top - 1) & 7;
    set_st(f, 0, v);
}

static void pop(FPU *f)
{
    set_tag(f, phys(f, 0), 3);
    f->top = (f->top + 1) & 7;
}

/* ---- Exceptions ---- */

/* Make ES/B reflect the pending flags against the masks; FERR# follows ES. */
static void update_es(CPU *c)
{
    FPU *f = &c->fpu;
    bool was = f->sw & ES;
    if (f->sw & ~f->cw & 0x3F)
        f->sw |= ES | SWB;
    else
        f->sw &= ~(ES | SWB);
    if (was && !(f->sw & ES))
        machine_ferr(c->m, 0);
}

/* Record exception flags ex (IE..PE, SF). Returns true if one of them is
 * unmasked and in `abort`: the instruction must then not touch its
 * destination. Unmasked flags set ES and B; the next waiting instruction
 * reports them. */
static bool fexc(FPU *f, unsigned ex, unsigned abort)
{
    unsigned um = ex & ~f->cw & 0x3F;
    f->sw |= ex;
    if (um)
        f->sw |= ES | SWB;
    return um & abort;
}

/* Stack overflow (push onto a full slot) or underflow (empty operand).
 * Returns true if masked: the caller goes on with the QNaN indefinite. */
static bool stack_fault(FPU *f, bool overflow)
{
    f->sw = (f->sw & ~C1) | (overflow ? C1 : 0);
    return !fexc(f, IE | SF, IE);
}

/* ---- Host x87 execution ---- */
/* clang-format off */
enum {
    H_ADD, H_MUL, H_SUB, H_DIV, H_COM, H_UCOM, H_TST, H_XAM, H_PREM, H_PREM1, H_SCALE,
    H_PATAN, H_YL2X, H_YL2XP1, H_SQRT, H_RNDINT, H_F2XM1, H_SIN, H_COS, H_TAN, H_SINCOS,
    H_XTRACT, H_LD32, H_LD64, H_BLD, H_ST32, H_ST64, H_IST16, H_IST32, H_IST64, H_BST,
    H_LD1, H_LDL2T, H_LDL2E, H_LDPI, H_LDLG2, H_LDLN2, H_LDZ,
};
/* clang-format on */

typedef struct HX {
    long double a, b;   /* inputs: a is ST(0)'s role, b ST(1)'s */
    long double r0, r1; /* results: r0 the host ST(0) after the op, r1 ST(1) */
    union {
        uint8_t bcd[10];
        uint16_t i16;
        uint32_t i32;
        uint64_t i64;
    } m;             /* memory operand image */
    uint16_t cw, sw; /* host control word to run with; host status word after */
    uint16_t t;
    int n; /* number of results of FPTAN/FSINCOS/FXTRACT (1 or 2) */
} HX;

static uint16_t host_cw(const FPU *f)
{
    return (uint16_t)((f->cw & 0x0F00) | 0x7F);
}

static const uint16_t default_cw = 0x037F;

/* Loads the guest CW only if it differs from the host's default, clears the
 * host flags, runs body and restores the CW. The asm keeps the host stack
 * balanced itself, hence every x87 register is declared clobbered. */
#define X87(body)                                                                                  \
    __asm__ volatile("cmpw $0x37f, %[cw]\n\tje 1f\n\tfldcw %[cw]\n1:\n\tfnclex\n\t" body           \
                     "\n\tcmpw $0x37f, %[cw]\n\tje 2f\n\tfldcw %[dcw]\n2:"                         \
                     : [r0] "=m"(x->r0), [r1] "=m"(x->r1), [sw] "=m"(x->sw), [t] "=m"(x->t),       \
                       [n] "=m"(x->n), [m] "+m"(x->m)                                              \
                     : [a] "m"(x->a), [b] "m"(x->b), [cw] "m"(x->cw), [dcw] "m"(default_cw)        \
                     : "cc", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)")
#define LA "fldt %[a]\n\t"
#define LBA "fldt %[b]\n\tfldt %[a]\n\t"
#define SW "\n\tfnstsw %[sw]\n\t"
#define R0 SW "fstpt %[r0]"
#define R0P SW "fstpt %[r0]\n\tfstp %%st(0)"
#define P1 SW "fstp %%st(0)"
#define P2 SW "fstp %%st(0)\n\tfstp %%st(0)"
/* One or two results left: store r0, and r1 unless the stack is now empty. */
#define TWO                                                                                        \
    R0 "\n\tmovl $1, %[n]\n\tfxam\n\tfnstsw %[t]\n\ttestw $0x4000, %[t]\n\tjz 3f\n\t"              \
       "testw $0x100, %[t]\n\tjnz 4f\n3:\n\tfstpt %[r1]\n\tmovl $2, %[n]\n4:"

/* clang-format off */
static void host_op(HX *x, int op)
{
    switch (op) {
    case H_ADD: X87(LBA "fadd %%st(1), %%st" R0P); break;
    case H_MUL: X87(LBA "fmul %%st(1), %%st" R0P); break;
    case H_SUB: X87(LBA "fsub %%st(1), %%st" R0P); break;
    case H_DIV: X87(LBA "fdiv %%st(1), %%st" R0P); break;
    case H_COM: X87(LBA "fcom %%st(1)" P2); break;
    case H_UCOM: X87(LBA "fucom %%st(1)" P2); break;
    case H_TST: X87(LA "ftst" P1); break;
    case H_XAM: X87(LA "fxam" P1); break;
    case H_PREM: X87(LBA "fprem" R0P); break;
    case H_PREM1: X87(LBA "fprem1" R0P); break;
    case H_SCALE: X87(LBA "fscale" R0P); break;
    case H_PATAN: X87(LBA "fpatan" R0); break;
    case H_YL2X: X87(LBA "fyl2x" R0); break;
    case H_YL2XP1: X87(LBA "fyl2xp1" R0); break;
    case H_SQRT: X87(LA "fsqrt" R0); break;
    case H_RNDINT: X87(LA "frndint" R0); break;
    case H_F2XM1: X87(LA "f2xm1" R0); break;
    case H_SIN: X87(LA "fsin" R0); break;
    case H_COS: X87(LA "fcos" R0); break;
    case H_TAN: X87(LA "fptan" TWO); break;
    case H_SINCOS: X87(LA "fsincos" TWO); break;
    case H_XTRACT: X87(LA "fxtract" TWO); break;
    case H_LD32: X87("flds %[m]" R0); break;
    case H_LD64: X87("fldl %[m]" R0); break;
    case H_BLD: X87("fbld %[m]" R0); break;
    case H_ST32: X87(LA "fstps %[m]" SW); break;
    case H_ST64: X87(LA "fstpl %[m]" SW); break;
    case H_IST16: X87(LA "fistps %[m]" SW); break;
    case H_IST32: X87(LA "fistpl %[m]" SW); break;
    case H_IST64: X87(LA "fistpll %[m]" SW); break;
    case H_BST: X87(LA "fbstp %[m]" SW); break;
    case H_LD1: X87("fld1" R0); break;
    case H_LDL2T: X87("fldl2t" R0); break;
    case H_LDL2E: X87("fldl2e" R0); break;
    case H_LDPI: X87("fldpi" R0); break;
    case H_LDLG2: X87("fldlg2" R0); break;
    case H_LDLN2: X87("fldln2" R0); break;
    case H_LDZ: X87("fldz" R0); break;
    }
}
/* clang-format on */

/* Run op on a (and b); the host status word is returned in x->sw. */
static HX host(const FPU *f, int op, long double a, long double b)
{
    HX x = {.a = a, .b = b, .cw = host_cw(f)};
    host_op(&x, op);
    return x;
}

/* Convert a single (bits 32) or double (64) from memory; *ex gets IE for an
 * SNaN and DE for a denormal. */
static long double ld_real(const FPU *f, int nbits, uint64_t raw, unsigned *ex)
{
    HX x = {.cw = host_cw(f)};
    x.m.i64 = raw;
    host_op(&x, nbits == 32 ? H_LD32 : H_LD64);
    *ex = x.sw & 0x3F;
    return x.r0;
}

/* ---- Instruction groups ---- */

/* FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR: ST(di) = ST(di) op b. k uses the D8 /reg
 * numbering (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr); lex holds the flags
 * of converting a memory operand. */
static void arith(FPU *f, int k, int di, long double b, bool b_empty, unsigned lex, bool dopop)
{
    static const uint8_t hop[8] = {H_ADD, H_MUL, 0, 0, H_SUB, H_SUB, H_DIV, H_DIV};
    if (empty(f, di) || b_empty) {
        if (!stack_fault(f, false))
            return;
        set_st(f, di, indef());
    } else {
        if (fexc(f, lex, PRE))
            return;
        long double a = ST(di);
        HX x = (k & 1) && k > 1 ? host(f, hop[k], b, a) : host(f, hop[k], a, b);
        if (fexc(f, x.sw & 0x3F, PRE))
            return;
        f->sw = (f->sw & ~C1) | (x.sw & C1);
        set_st(f, di, x.r0);
    }
    if (dopop)
        pop(f);
}

/* FCOM/FUCOM (how 0/1) set C0/C2/C3, FCOMI/FUCOMI (how 2/3) ZF/PF/CF. */
static void compare(CPU *c, long double b, bool b_empty, unsigned lex, int how, int npop)
{
    FPU *f = &c->fpu;
    unsigned cc;
    if (empty(f, 0) || b_empty) {
        if (!stack_fault(f, false))
            return;
        cc = C0 | C2 | C3;
    } else {
        if (fexc(f, lex, PRE))
            return;
        HX x = host(f, how & 1 ? H_UCOM : H_COM, ST(0), b);
        if (fexc(f, x.sw & 0x3F, PRE))
            return;
        f->sw &= ~C1;
        cc = x.sw & (C0 | C2 | C3);
    }
    if (how >= 2) {
        uint32_t fl = cpu_get_eflags(c) & ~(F_ZF | F_PF | F_CF | F_OF | F_SF | F_AF);
        fl |= (cc & C3 ? F_ZF : 0) | (cc & C2 ? F_PF : 0) | (cc & C0 ? F_CF : 0);
        cpu_set_eflags(c, fl);
    } else {
        f->sw = (f->sw & ~(C0 | C2 | C3)) | cc;
    }
    while (npop--)
        pop(f);
}

/* FLD of anything: push v, whose conversion raised ex. */
static void fld(FPU *f, long double v, bool src_empty, unsigned ex)
{
    if (!empty(f, 7)) {
        if (stack_fault(f, true))
            push(f, indef());
        return;
    }
    if (src_empty) {
        if (stack_fault(f, false))
            push(f, indef());
        return;
    }
    if (fexc(f, ex, PRE))
        return;
    f->sw &= ~C1;
    push(f, v);
}

/* FST/FSTP/FIST/FISTP/FBSTP to memory: hop converts (-1: 80-bit, as is). */
static void store(CPU *c, int hop, int size, int seg, uint32_t ea, bool dopop)
{
    FPU *f = &c->fpu;
    bool under = empty(f, 0);
    HX x = {.a = under ? indef() : ST(0), .cw = host_cw(f)};
    unsigned ex = 0;
    if (hop < 0)
        memcpy(x.m.bcd, &x.a, 10);
    else
        host_op(&x, hop), ex = x.sw & 0x3F;
    if (under)
        ex |= IE | SF;
    if (!(ex & ~f->cw & NOSTORE)) {
        switch (size) {
        case 2:
            cpu_st16(c, seg, ea, x.m.i16);
            break;
        case 4:
            cpu_st32(c, seg, ea, x.m.i32);
            break;
        case 8:
            cpu_st64(c, seg, ea, x.m.i64);
            break;
        default: {
            uint16_t hi;
            memcpy(&hi, x.m.bcd + 8, 2);
            cpu_check_write(c, seg, ea, 10);
            cpu_st64(c, seg, ea, x.m.i64);
            cpu_st16(c, seg, ea + 8, hi);
        }
        }
    }
    f->sw = (f->sw & ~C1) | (under ? 0 : x.sw & C1);
    if (!fexc(f, ex, NOSTORE) && dopop)
        pop(f);
}

/* D9 F0..FF other than FDECSTP/FINCSTP. Shapes: U: ST0 = op(ST0); B: ST0 =
 * op(ST0, ST1); P: ST1 = op(ST0, ST1) and pop; T: ST0 and a pushed value. */
enum { U, B, P, T };
static void transcendental(FPU *f, int rm)
{
    /* clang-format off */
    static const struct { uint8_t hop, shape; uint16_t cc; } tab[16] = {
        {H_F2XM1, U, C1}, {H_YL2X, P, C1}, {H_TAN, T, C1 | C2}, {H_PATAN, P, C1},
        {H_XTRACT, T, C1}, {H_PREM1, B, C0 | C1 | C2 | C3}, {0, 0, 0}, {0, 0, 0},
        {H_PREM, B, C0 | C1 | C2 | C3}, {H_YL2XP1, P, C1}, {H_SQRT, U, C1}, {H_SINCOS, T, C1 | C2},
        {H_RNDINT, U, C1}, {H_SCALE, B, C1}, {H_SIN, U, C1 | C2}, {H_COS, U, C1 | C2},
    };
    /* clang-format on */
    int shape = tab[rm].shape;
    bool two_in = shape == B || shape == P;
    HX x;
    if (shape == T && !empty(f, 7)) {
        if (stack_fault(f, true))
            set_st(f, 0, indef()), push(f, indef());
        return;
    }
    if (empty(f, 0) || (two_in && empty(f, 1))) {
        if (!stack_fault(f, false))
            return;
        x.n = 1 + (shape == T);
        x.r0 = x.r1 = indef();
    } else {
        x = host(f, tab[rm].hop, ST(0), ST(1));
        if (fexc(f, x.sw & 0x3F, PRE))
            return;
        f->sw = (f->sw & ~tab[rm].cc) | (x.sw & tab[rm].cc);
    }
    switch (shape) {
    case U:
    case B:
        set_st(f, 0, x.r0);
        break;
    case P:
        set_st(f, 1, x.r0), pop(f);
        break;
    case T:
        if (x.n == 2)
            set_st(f, 0, x.r1), push(f, x.r0);
        else
            set_st(f, 0, x.r0);
        break;
    }
}

/* ---- Environment and state images ---- */

static bool real_layout(const CPU *c)
{
    return !(c->cr0 & CR0_PE) || (c->eflags & F_VM);
}

/* Tag word as FSTENV reports it: non-empty tags recomputed from contents. */
static uint16_t full_tag(const FPU *f)
{
    uint16_t t = 0;
    for (int p = 0; p < 8; p++) {
        int tg = (f->tag >> 2 * p) & 3;
        t |= (uint16_t)((tg == 3 ? 3 : tag_of(f->st[p])) << 2 * p);
    }
    return t;
}

/* The seven environment fields; the 16-bit formats hold the low halves of the
 * same words (real mode: 20-bit linear pointers split as in the SDM). */
static void stenv(CPU *c, int seg, uint32_t ea, bool o32)
{
    FPU *f = &c->fpu;
    uint32_t w[7], rsv = o32 ? 0xFFFF0000u : 0;
    w[0] = rsv | f->cw;
    w[1] = rsv | fpu_get_sw(f);
    w[2] = rsv | full_tag(f);
    if (real_layout(c)) {
        uint32_t ip = f->fip + ((uint32_t)f->fcs << 4), dp = f->fdp + ((uint32_t)f->fds << 4);
        w[3] = rsv | (ip & 0xFFFF);
        w[4] = (ip >> 16) << 12 | (f->fop & 0x7FF);
        w[5] = rsv | (dp & 0xFFFF);
        w[6] = (dp >> 16) << 12;
    } else {
        w[3] = f->fip;
        w[4] = f->fcs | (uint32_t)(f->fop & 0x7FF) << 16;
        w[5] = f->fdp;
        w[6] = rsv | f->fds;
    }
    for (int i = 0; i < 7; i++) {
        if (o32)
            cpu_st32(c, seg, ea + 4 * i, w[i]);
        else
            cpu_st16(c, seg, ea + 2 * i, (uint16_t)w[i]);
    }
}

static void ldenv_read(CPU *c, int seg, uint32_t ea, bool o32, uint32_t w[7])
{
    for (int i = 0; i < 7; i++)
        w[i] = o32 ? cpu_ld32(c, seg, ea + 4 * i) : cpu_ld16(c, seg, ea + 2 * i);
}

/* Install a loaded environment (after all memory reads have succeeded). As
 * on the P6, only empty/non-empty is taken from the tag word. */
static void ldenv_apply(CPU *c, const uint32_t w[7])
{
    FPU *f = &c->fpu;
    bool was = f->sw & ES;
    f->cw = (uint16_t)((w[0] & 0x1F3F) | 0x40);
    f->sw = (uint16_t)(w[1] & ~(0x3800 | ES | SWB)) | (was ? ES : 0);
    f->top = (w[1] >> 11) & 7;
    for (int p = 0; p < 8; p++)
        set_tag(f, p, ((w[2] >> 2 * p) & 3) == 3 ? 3 : tag_of(f->st[p]));
    if (real_layout(c)) {
        f->fip = (w[3] & 0xFFFF) | ((w[4] >> 12) & 0xFFFF) << 16;
        f->fdp = (w[5] & 0xFFFF) | ((w[6] >> 12) & 0xFFFF) << 16;
        f->fcs = f->fds = 0;
        f->fop = w[4] & 0x7FF;
    } else {
        f->fip = w[3];
        f->fcs = (uint16_t)w[4];
        f->fop = (w[4] >> 16) & 0x7FF;
        f->fdp = w[5];
        f->fds = (uint16_t)w[6];
    }
    update_es(c); /* ES follows the loaded flags and masks */
}

/* ---- FXSAVE / FXRSTOR: the 512-byte image (SDM vol. 1, 10.5.1), x87 part.
 * There is no SSE: MXCSR is saved as its reset value and ignored on restore,
 * the XMM area is left as it is. ST(i) in stack order, 16 bytes apart; the
 * abridged tag word has one bit per physical register (1: not empty). */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4
#define FX_FOP 6
#define FX_FIP 8
#define FX_FCS 12
#define FX_FDP 16
#define FX_FDS 20
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_ST 32
#define MXCSR_RESET 0x1F80

void fpu_fxsave(CPU *c, int seg, uint32_t ea)
{
    FPU *f = &c->fpu;
    cpu_check_write(c, seg, ea, FX_ST + 8 * 16);
    uint8_t ftw = 0;
    for (int p = 0; p < 8; p++)
        if (((f->tag >> 2 * p) & 3) != 3)
            ftw |= (uint8_t)(1u << p);
    cpu_st16(c, seg, ea + FX_FCW, f->cw);
    cpu_st16(c, seg, ea + FX_FSW, fpu_get_sw(f));
    cpu_st16(c, seg, ea + FX_FTW, ftw);
    cpu_st16(c, seg, ea + FX_FOP, f->fop & 0x7FF);
    cpu_st32(c, seg, ea + FX_FIP, f->fip);
    cpu_st32(c, seg, ea + FX_FCS, f->fcs);
    cpu_st32(c, seg, ea + FX_FDP, f->fdp);
    cpu_st32(c, seg, ea + FX_FDS, f->fds);
    cpu_st32(c, seg, ea + FX_MXCSR, MXCSR_RESET);
    cpu_st32(c, seg, ea + FX_MXCSR_MASK, 0);
    for (int i = 0; i < 8; i++) {
        X80 x = bits(ST(i));
        cpu_st64(c, seg, ea + FX_ST + 16 * (uint32_t)i, x.m);
        cpu_st64(c, seg, ea + FX_ST + 16 * (uint32_t)i + 8, x.se);
    }
}

void fpu_fxrstor(CPU *c, int seg, uint32_t ea)
{
    FPU *f = &c->fpu;
    uint16_t cw = cpu_ld16(c, seg, ea + FX_FCW), sw = cpu_ld16(c, seg, ea + FX_FSW);
    uint8_t ftw = (uint8_t)cpu_ld16(c, seg, ea + FX_FTW);
    uint16_t fop = cpu_ld16(c, seg, ea + FX_FOP);
    uint32_t fip = cpu_ld32(c, seg, ea + FX_FIP), fcs = cpu_ld32(c, seg, ea + FX_FCS);
    uint32_t fdp = cpu_ld32(c, seg, ea + FX_FDP), fds = cpu_ld32(c, seg, ea + FX_FDS);
    uint64_t lo[8];
    uint16_t hi[8];
    for (int i = 0; i < 8; i++) {
        lo[i] = cpu_ld64(c, seg, ea + FX_ST + 16 * (uint32_t)i);
        hi[i] = cpu_ld16(c, seg, ea + FX_ST + 16 * (uint32_t)i + 8);
    }
    /* Every read done: install. */
    bool was = f->sw & ES;
    f->cw = (uint16_t)((cw & 0x1F3F) | 0x40);
    f->sw = (uint16_t)(sw & ~(0x3800 | ES | SWB)) | (was ? ES : 0);
    f->top = (sw >> 11) & 7;
    for (int i = 0; i < 8; i++)
        f->st[(f->top + i) & 7] = mk80(lo[i], hi[i]);
    for (int p = 0; p < 8; p++)
        set_tag(f, p, (ftw >> p) & 1 ? tag_of(f->st[p]) : 3);
    f->fop = fop & 0x7FF;
    f->fip = fip;
    f->fcs = (uint16_t)fcs;
    f->fdp = fdp;
    f->fds = (uint16_t)fds;
    update_es(c);
}

/* ---- Decoding ---- */

/* -1: undefined (#UD); 0: ordinary waiting instruction; 1: waiting control
 * instruction (no pointer update); 2: no-wait control instruction. */
static int classify(uint8_t op, uint8_t modrm)
{
    int reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (modrm < 0xC0) {
        switch (op) {
        case 0xD9:
            return reg == 1 ? -1 : reg == 4 || reg == 5 ? 1 : reg >= 6 ? 2 : 0;
        case 0xDB:
            return reg == 1 || reg == 4 || reg == 6 ? -1 : 0; /* /1 is FISTTP */
        case 0xDD:
            return reg == 1 || reg == 5 ? -1 : reg == 4 ? 1 : reg >= 6 ? 2 : 0;
        case 0xDF:
            return reg == 1 ? -1 : 0;
        default:
            return 0;
        }
    }
    switch (op) {
    case 0xD9:
        if (reg == 2)
            return rm == 0 ? 0 : -1;
        if (reg == 4)
            return rm == 2 || rm == 3 || rm >= 6 ? -1 : 0;
        return reg == 5 && rm == 7 ? -1 : 0;
    case 0xDA:
        return reg < 4 || modrm == 0xE9 ? 0 : -1;
    case 0xDB:
        if (reg == 4)
            return rm <= 4 ? 2 : -1; /* FENI, FDISI, FNCLEX, FNINIT, FSETPM */
        return reg == 7 ? -1 : 0;
    case 0xDD:
        return reg >= 6 ? -1 : 0;
    case 0xDE:
        return reg == 3 && rm != 1 ? -1 : 0;
    case 0xDF:
        if (reg == 4)
            return rm == 0 ? 2 : -1;
        return reg == 7 ? -1 : 0;
    }
    return 0;
}

static void exec_mem(CPU *c, uint8_t op, int reg, int seg, uint32_t ea, bool o32)
{
    FPU *f = &c->fpu;
    unsigned ex = 0;
    long double v;
    switch (op) {
    case 0xD8:
    case 0xDA:
    case 0xDC:
    case 0xDE:
        if (op == 0xD8)
            v = ld_real(f, 32, cpu_ld32(c, seg, ea), &ex);
        else if (op == 0xDC)
            v = ld_real(f, 64, cpu_ld64(c, seg, ea), &ex);
        else if (op == 0xDA)
            v = (int32_t)cpu_ld32(c, seg, ea);
        else
            v = (int16_t)cpu_ld16(c, seg, ea);
        if (reg == 2 || reg == 3)
            compare(c, v, false, ex, 0, reg == 3);
        else
            arith(f, reg, 0, v, false, ex, false);
        return;
    case 0xD9:
        switch (reg) {
        case 0:
            v = ld_real(f, 32, cpu_ld32(c, seg, ea), &ex);
            fld(f, v, false, ex);
            return;
        case 2:
        case 3:
            store(c, H_ST32, 4, seg, ea, reg == 3);
            return;
        case 4: {
            uint32_t w[7];
            ldenv_read(c, seg, ea, o32, w);
            ldenv_apply(c, w);
            return;
        }
        case 5:
            f->cw = (cpu_ld16(c, seg, ea) & 0x1F3F) | 0x40;
            update_es(c);
            return;
        case 6:
            cpu_check_write(c, seg, ea, o32 ? 28 : 14);
            stenv(c, seg, ea, o32);
            f->cw |= 0x3F;
            update_es(c);
            return;
        case 7:
            cpu_st16(c, seg, ea, f->cw);
            return;
        }
        break;
    case 0xDB:
        switch (reg) {
        case 0:
            fld(f, (int32_t)cpu_ld32(c, seg, ea), false, 0);
            return;
        case 2:
        case 3:
            store(c, H_IST32, 4, seg, ea, reg == 3);
            return;
        case 5: {
            uint64_t lo = cpu_ld64(c, seg, ea);
            uint16_t hi = cpu_ld16(c, seg, ea + 8);
            fld(f, mk80(lo, hi), false, 0);
            return;
        }
        case 7:
            store(c, -1, 10, seg, ea, true);
            return;
        }
        break;
    case 0xDD:
        switch (reg) {
        case 0:
            v = ld_real(f, 64, cpu_ld64(c, seg, ea), &ex);
            fld(f, v, false, ex);
            return;
        case 2:
        case 3:
            store(c, H_ST64, 8, seg, ea, reg == 3);
            return;
        case 4: { /* FRSTOR */
            uint32_t w[7], n = o32 ? 28 : 14;
            uint64_t lo[8];
            uint16_t hi[8];
            ldenv_read(c, seg, ea, o32, w);
            for (int i = 0; i < 8; i++) {
                lo[i] = cpu_ld64(c, seg, ea + n + 10 * i);
                hi[i] = cpu_ld16(c, seg, ea + n + 10 * i + 8);
            }
            int top = (w[1] >> 11) & 7;
            for (int i = 0; i < 8; i++)
                f->st[(top + i) & 7] = mk80(lo[i], hi[i]);
            ldenv_apply(c, w);
            return;
        }
        case 6: { /* FNSAVE */
            uint32_t n = o32 ? 28 : 14;
            cpu_check_write(c, seg, ea, n + 80);
            stenv(c, seg, ea, o32);
            for (int i = 0; i < 8; i++) {
                X80 x = bits(ST(i));
                cpu_st64(c, seg, ea + n + 10 * i, x.m);
                cpu_st16(c, seg, ea + n + 10 * i + 8, x.se);
            }
            bool was = f->sw & ES;
            fpu_reset(f);
            if (was)
                machine_ferr(c->m, 0);
            return;
        }
        case 7:
            cpu_st16(c, seg, ea, fpu_get_sw(f));
            return;
        }
        break;
    case 0xDF:
        switch (reg) {
        case 0:
            fld(f, (int16_t)cpu_ld16(c, seg, ea), false, 0);
            return;
        case 2:
        case 3:
            store(c, H_IST16, 2, seg, ea, reg == 3);
            return;
        case 4: {
            HX x = {.cw = host_cw(f)};
            x.m.i64 = cpu_ld64(c, seg, ea);
            uint16_t hi = cpu_ld16(c, seg, ea + 8);
            memcpy(x.m.bcd + 8, &hi, 2);
            host_op(&x, H_BLD);
            fld(f, x.r0, false, 0);
            return;
        }
        case 5:
            fld(f, (long double)(int64_t)cpu_ld64(c, seg, ea), false, 0);
            return;
        case 6:
            store(c, H_BST, 10, seg, ea, true);
            return;
        case 7:
            store(c, H_IST64, 8, seg, ea, true);
            return;
        }
        break;
    }
    cpu_raise(c, EX_UD, -1); /* not reached: classify() filtered these */
}

static bool fcmov_cond(CPU *c, uint8_t op, int reg)
{
    uint32_t fl = cpu_get_eflags(c);
    bool r;
    switch (reg) {
    case 0:
        r = fl & F_CF;
        break;
    case 1:
        r = fl & F_ZF;
        break;
    case 2:
        r = fl & (F_CF | F_ZF);
        break;
    default:
        r = fl & F_PF;
        break;
    }
    return op == 0xDB ? !r : r;
}

static void fxch(FPU *f, int i)
{
    if (empty(f, 0) || empty(f, i)) {
        if (!stack_fault(f, false))
            return;
        if (empty(f, 0))
            set_st(f, 0, indef());
        if (empty(f, i))
            set_st(f, i, indef());
    } else {
        f->sw &= ~C1;
    }
    long double t = ST(0);
    set_st(f, 0, ST(i));
    set_st(f, i, t);
}

/* FST/FSTP ST(i) */
static void fst_reg(FPU *f, int i, bool dopop)
{
    if (empty(f, 0)) {
        if (!stack_fault(f, false))
            return;
        set_st(f, i, indef());
    } else {
        f->sw &= ~C1;
        set_st(f, i, ST(0));
    }
    if (dopop)
        pop(f);
}

static void exec_reg(CPU *c, uint8_t op, int reg, int rm)
{
    FPU *f = &c->fpu;
    switch (op) {
    case 0xD8:
        if (reg == 2 || reg == 3)
            compare(c, ST(rm), empty(f, rm), 0, 0, reg == 3);
        else
            arith(f, reg, 0, ST(rm), empty(f, rm), 0, false);
        return;
    case 0xDC:
    case 0xDE:
        if (reg == 2 || reg == 3) /* FCOM/FCOMP aliases, and FCOMPP */
            compare(c, ST(rm), empty(f, rm), 0, 0,
                    op == 0xDE && reg == 3 ? 2 : reg == 3 || op == 0xDE);
        else /* here the destination is ST(i) and /4../7 swap the operand order */
            arith(f, reg >= 4 ? reg ^ 1 : reg, rm, ST(0), empty(f, 0), 0, op == 0xDE);
        return;
    case 0xD9:
        switch (reg) {
        case 0:
            fld(f, ST(rm), empty(f, rm), 0);
            return;
        case 1:
            fxch(f, rm);
            return;
        case 2:
            return; /* FNOP */
        case 3:
            fst_reg(f, rm, true);
            return; /* FSTP1 alias */
        case 4:
            if (rm >= 4) { /* FTST, FXAM */
                unsigned cc;
                if (rm == 5 && empty(f, 0)) {
                    cc = C3 | C0 | (bits(ST(0)).se & 0x8000 ? C1 : 0);
                } else if (empty(f, 0)) {
                    if (!stack_fault(f, false))
                        return;
                    cc = C3 | C2 | C0;
                } else {
                    HX x = host(f, rm == 4 ? H_TST : H_XAM, ST(0), 0);
                    if (fexc(f, x.sw & 0x3F, PRE))
                        return;
                    cc = x.sw & (rm == 4 ? C0 | C2 | C3 : C0 | C1 | C2 | C3);
                }
                f->sw = (f->sw & ~(C0 | C1 | C2 | C3)) | cc;
                return;
            }
            if (empty(f, 0)) { /* FCHS, FABS */
                if (stack_fault(f, false))
                    set_st(f, 0, indef());
                return;
            }
            {
                X80 x = bits(ST(0));
                x.se = rm == 0 ? x.se ^ 0x8000 : x.se & 0x7FFF;
                f->sw &= ~C1;
                set_st(f, 0, mk80(x.m, x.se));
            }
            return;
        case 5: {
            HX x = host(f, H_LD1 + rm, 0, 0);
            fld(f, x.r0, false, 0);
            return;
        }
        default:
            if (reg == 6 && rm >= 6) { /* FDECSTP, FINCSTP */
                f->top = (f->top + (rm == 6 ? -1 : 1)) & 7;
                f->sw &= ~C1;
                return;
            }
            transcendental(f, (reg & 1) << 3 | rm);
            return;
        }
    case 0xDA:
    case 0xDB:
        if (reg < 4) { /* FCMOVcc */
            if (empty(f, 0) || empty(f, rm)) {
                if (stack_fault(f, false))
                    set_st(f, 0, indef());
            } else {
                f->sw &= ~C1;
                if (fcmov_cond(c, op, reg))
                    set_st(f, 0, ST(rm));
            }
            return;
        }
        if (op == 0xDA) { /* FUCOMPP */
            compare(c, ST(1), empty(f, 1), 0, 1, 2);
            return;
        }
        if (reg == 4) {
            if (rm == 2) { /* FNCLEX */
                f->sw &= ~(0xFF | SWB);
                machine_ferr(c->m, 0);
            } else if (rm == 3) { /* FNINIT */
                bool was = f->sw & ES;
                fpu_reset(f);
                if (was)
                    machine_ferr(c->m, 0);
            }
            return; /* FENI, FDISI, FSETPM: no-ops on 387 and later */
        }
        compare(c, ST(rm), empty(f, rm), 0, reg == 5 ? 3 : 2, 0); /* FUCOMI, FCOMI */
        return;
    case 0xDD:
        switch (reg) {
        case 0:
            set_tag(f, phys(f, rm), 3);
            return; /* FFREE */
        case 1:
            fxch(f, rm);
            return;
        case 2:
        case 3:
            fst_reg(f, rm, reg == 3);
            return;
        default:
            compare(c, ST(rm), empty(f, rm), 0, 1, reg == 5);
            return; /* FUCOM(P) */
        }
    case 0xDF:
        switch (reg) {
        case 0:
            set_tag(f, phys(f, rm), 3);
            pop(f);
            return; /* FFREEP */
        case 1:
            fxch(f, rm);
            return;
        case 2:
        case 3:
            fst_reg(f, rm, true);
            return;
        case 4:
            c->regs[R_EAX] = (c->regs[R_EAX] & 0xFFFF0000u) | fpu_get_sw(f);
            return;
        default:
            compare(c, ST(rm), empty(f, rm), 0, reg == 5 ? 3 : 2, 1);
            return;
        }
    }
}

/* ---- Public calls ---- */

void fpu_reset(FPU *f)
{
    f->cw = 0x037F;
    f->sw = 0;
    f->tag = 0xFFFF;
    f->top = 0;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
}

uint16_t fpu_get_sw(const FPU *f)
{
    return (uint16_t)((f->sw & ~0x3800) | (f->top & 7) << 11);
}

void fpu_wait(CPU *c)
{
    if (!(c->fpu.sw & ES))
        return;
    if (c->cr0 & CR0_NE)
        cpu_raise(c, EX_MF, -1);
    machine_ferr(c->m, 1);
}

void fpu_exec(CPU *c, uint8_t op, uint8_t modrm, int seg, uint32_t ea, bool opsize32)
{
    FPU *f = &c->fpu;
    bool mem = modrm < 0xC0;
    int kind = classify(op, modrm);
    if (kind < 0)
        cpu_raise(c, EX_UD, -1);
    if (kind < 2)
        fpu_wait(c);
    if (kind == 0) {
        f->fop = (uint16_t)((op & 7) << 8 | modrm);
        f->fip = c->prev_eip;
        f->fcs = c->seg[S_CS].sel;
        if (mem) {
            f->fdp = ea;
            f->fds = c->seg[seg & 7].sel;
        }
    }
    if (mem)
        exec_mem(c, op, (modrm >> 3) & 7, seg, ea, opsize32);
    else
        exec_reg(c, op, (modrm >> 3) & 7, modrm & 7);
}
