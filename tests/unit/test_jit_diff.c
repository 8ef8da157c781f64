/* Differential testing of the translator against the interpreter.
 *
 * Two bare machines get the same state and the same randomly generated
 * guest code: the interpreter's (the reference) and the translator's. The
 * translator's runs one translated block at a time (jit_one_block), the
 * interpreter's then runs exactly as many instructions, and every register,
 * every flag, the control registers, the exception state and the memory the
 * code can touch (data, stack, page tables, low memory) must be equal after
 * each block. Then the same program runs again with blocks chained and the
 * run cut at random instruction counts (the -icount budget), compared at
 * every stop, and the whole of RAM compared at the end.
 *
 * The code: ALU, shift, rotate, double shift, multiply, divide, bit, string
 * (with and without REP), CMOVcc, SETcc, PUSH/POP, LEA, MOV/MOVZX/MOVSX,
 * XCHG/XADD/CMPXCHG, BCD and flag instructions (PUSHF, CLI), forward Jcc, 8/16/32-bit,
 * register and memory operands through flat and non-flat segments, some
 * with LOCK, some crossing a page; a program may loop. Paging is on, and
 * the data area has a read-only and a not-present page next to where the
 * pointers point, so faults (#PF, #GP, #DE, #UD) are part of what is
 * compared: each ends in an exception handler's HLT.
 *
 * WIREBOX_DIFF_CASES (default 2500) and WIREBOX_DIFF_SEED (default 1) set
 * the amount and the sequence, e.g. a longer run for developers:
 *   WIREBOX_DIFF_CASES=200000 WIREBOX_DIFF_SEED=7 build/test_jit_diff */
#include "tests/unit/cpu_harness.h"

#if defined(__x86_64__)

#define D_RAM (2u << 20)
#define PD 0x100000u
#define PT0 0x101000u
#define DATA 0x180000u    /* 0x180000-0x185FFF: data; */
#define DATA_RO 0x183000u /* read-only page */
#define DATA_NP 0x186000u /* not present */
#define DATA_SIZE 0x6000u
#define COUNTER (DATA + 0x5FF0u) /* loop counter of looping programs */
#define FS_BASE 0x1000u
#define GS_LIMIT (DATA + 0x5FFFu)

static Machine *ma, *mb; /* a: interpreter (reference), b: translator */
static uint8_t data0[DATA_SIZE];
static uint8_t low0[0x8000]; /* IVT, GDT, IDT, TSS and stubs as set up */

/* ------------------------------------------------------------------ machines */

static void use(Machine *m)
{
    hm = m;
    hc = m->cpu;
}

static void machine_setup(Machine *m, int accel)
{
    use(m);
    ck_assert_int_eq(cpu_set_accel(hc, accel), accel);
    h_pm(H_CODE);
    memset(h_ptr(PD), 0, 0x2000);
    h_w32(PD, PT0 | 0x3);
    for (uint32_t k = 0; k < D_RAM >> 12; k++) {
        uint32_t pa = k << 12, pte = pa | 0x3;
        if (pa == DATA_RO)
            pte = pa | 0x1;
        if (pa == DATA_NP)
            pte = 0;
        h_w32(PT0 + 4 * k, pte);
    }
    hc->cr3 = PD;
    hc->cr0 |= CR0_PG;
    cpu_set_seg_raw(hc, S_FS, SEL_DATA0, FS_BASE, 0xFFFFFFFFu, 0xC093);
    cpu_set_seg_raw(hc, S_GS, SEL_DATA0, 0, GS_LIMIT, 0x4093);
    cpu_tlb_flush(hc, true);
    cpu_update_mode(hc);
    memcpy(low0, h_ptr(0), sizeof low0);
}

static void setup(void)
{
    ma = machine_new_bare(D_RAM);
    mb = machine_new_bare(D_RAM);
    ck_assert_ptr_nonnull(ma);
    ck_assert_ptr_nonnull(mb);
    machine_setup(ma, CPU_ACCEL_INTERP);
    machine_setup(mb, CPU_ACCEL_TCG);
}

static void teardown(void)
{
    machine_free(ma);
    machine_free(mb);
    ma = mb = NULL;
    hm = NULL;
    hc = NULL;
}

/* ------------------------------------------------------------------ the generator */

typedef struct GInsn {
    uint8_t b[24];
    int len;
    int skip;    /* a forward Jcc/JMP rel8 over this many following instructions */
    int abs_at;  /* >0: byte offset of an imm32 that gets the absolute target's address */
} GInsn;

#define MAX_PROG 96
static GInsn prog[MAX_PROG];
static int nprog;
static GInsn *gi;

static uint32_t rn(uint32_t n)
{
    return h_rand() % n;
}
static void B(unsigned v)
{
    gi->b[gi->len++] = (uint8_t)v;
}
static void B16(uint32_t v)
{
    B(v & 0xFF);
    B((v >> 8) & 0xFF);
}
static void B32(uint32_t v)
{
    B16(v);
    B16(v >> 16);
}
static GInsn *new_insn(void)
{
    gi = &prog[nprog++];
    memset(gi, 0, sizeof *gi);
    return gi;
}

static uint32_t interesting(void)
{
    static const uint32_t v[] = {0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
                                 0x10000, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 0xFFFFFFFEu,
                                 31, 32, 33, 7, 8, 9, 15, 16, 17};
    return rn(3) ? h_rand() : v[rn(sizeof v / sizeof v[0])];
}

/* Registers the code may write: EAX, ECX, EDX (and AH/CH/DH). EBX, EBP and
 * ESI point into the data area, EDI holds a small offset, ESP the stack;
 * string instructions move ESI and EDI, PUSH/POP move ESP. */
static int dst_reg(int sz)
{
    int r = (int)rn(3);
    return (sz == 0 && rn(2)) ? r + 4 : r;
}

static void mem_operand(int reg)
{
    switch (rn(8)) {
    case 0: B(0x40 | reg << 3 | 3); B(rn(256)); break;                          /* [ebx+d8] */
    case 1: B(0x80 | reg << 3 | 3); B32(0xFFFFA000u + rn(0x8000)); break;       /* [ebx+d32] */
    case 2: B(0x40 | reg << 3 | 5); B(rn(256)); break;                          /* [ebp+d8] */
    case 3: B(0x40 | reg << 3 | 6); B(rn(256)); break;                          /* [esi+d8] */
    case 4: B(0x44 | reg << 3); B(rn(4) << 6 | 7 << 3 | 3); B(rn(256)); break;  /* [ebx+edi*s+d8] */
    case 5: B(0x04 | reg << 3); B(rn(4) << 6 | 7 << 3 | 5); B32(DATA + rn(0x6100)); break;
    case 6: B(0x00 | reg << 3 | 7); break;                                      /* [edi] */
    default: B(0x04 | reg << 3); B(rn(4) << 6 | 7 << 3 | 6); break;             /* [esi+edi*s] */
    }
}

/* ModRM: reg field and an r/m operand (a register, dst or any, or memory). */
static void modrm(int reg, bool dst, int sz, bool mem_ok)
{
    if (!mem_ok || rn(5) < 2)
        B(0xC0 | reg << 3 | (dst ? dst_reg(sz) : (int)rn(8)));
    else
        mem_operand(reg);
}

static void imm_sz(int sz)
{
    uint32_t v = interesting();
    if (sz == 0)
        B(v);
    else if (sz == 1)
        B16(v);
    else
        B32(v);
}

/* Operand size: 0 byte, 1 word (66 prefix), 2 dword. Emits the prefix. */
static int pick_size(bool byte_ok)
{
    int r = (int)rn(8);
    if (byte_ok && r < 3)
        return 0;
    if (r < 5) {
        B(0x66);
        return 1;
    }
    return 2;
}

static void prefixes(void)
{
    int r = (int)rn(32);
    static const uint8_t segp[] = {0x26, 0x36, 0x3E, 0x64, 0x65, 0x64, 0x65, 0x64};
    if (r < 5)
        B(segp[rn(8)]);
    else if (r == 5 && rn(4) == 0)
        B(0x2E); /* CS: writes fault */
}

static void gen_one(void)
{
    new_insn();
    int w, sz, op = (int)rn(42);
    if (rn(300) == 0)
        B(0xF0); /* LOCK: fine on RMW memory forms, #UD elsewhere */
    prefixes();
    switch (op) {
    case 0: case 1: case 2: case 3: { /* ALU r/m,r or r,r/m */
        sz = pick_size(true);
        w = sz != 0;
        int alu = (int)rn(8), dir = (int)rn(2);
        B(alu << 3 | dir << 1 | w);
        if (dir)
            modrm(dst_reg(sz), false, sz, true);
        else
            modrm((int)rn(8), true, sz, true);
        break;
    }
    case 4: /* ALU acc, imm */
        sz = pick_size(true);
        B(rn(8) << 3 | 4 | (sz != 0));
        imm_sz(sz);
        break;
    case 5: case 6: { /* group 1 */
        sz = pick_size(true);
        int form = sz == 0 ? 0x80 : (rn(2) ? 0x83 : 0x81);
        B(form);
        modrm((int)rn(8), true, sz, true);
        if (form == 0x81)
            imm_sz(sz);
        else
            B(interesting());
        break;
    }
    case 7: /* TEST */
        sz = pick_size(true);
        switch (rn(3)) {
        case 0: B(0x84 | (sz != 0)); modrm((int)rn(8), false, sz, true); break;
        case 1: B(0xA8 | (sz != 0)); imm_sz(sz); break;
        default: B(0xF6 | (sz != 0)); modrm(0, false, sz, true); imm_sz(sz); break;
        }
        break;
    case 8: /* INC/DEC */
        if (rn(2)) {
            if (rn(3) == 0)
                B(0x66);
            B((rn(2) ? 0x40 : 0x48) + dst_reg(2));
        } else {
            sz = pick_size(true);
            B(0xFE | (sz != 0));
            modrm((int)rn(2), true, sz, true);
        }
        break;
    case 9: /* NOT NEG MUL IMUL DIV IDIV (divisions, which mostly fault, less often) */
        sz = pick_size(true);
        B(0xF6 | (sz != 0));
        modrm(2 + (int)rn(rn(4) ? 4 : 6), true, sz, true);
        break;
    case 10: /* IMUL r, r/m (, imm) */
        sz = pick_size(false);
        switch (rn(3)) {
        case 0: B(0x0F); B(0xAF); modrm(dst_reg(sz), false, sz, true); break;
        case 1: B(0x6B); modrm(dst_reg(sz), false, sz, true); B(interesting()); break;
        default: B(0x69); modrm(dst_reg(sz), false, sz, true); imm_sz(sz); break;
        }
        break;
    case 11: case 12: { /* shifts and rotates */
        sz = pick_size(true);
        int sub = (int)rn(8);
        switch (rn(3)) {
        case 0: B(0xC0 | (sz != 0)); modrm(sub, true, sz, true); B(rn(5) ? rn(34) : rn(256)); break;
        case 1: B(0xD0 | (sz != 0)); modrm(sub, true, sz, true); break;
        default: B(0xD2 | (sz != 0)); modrm(sub, true, sz, true); break;
        }
        break;
    }
    case 13: /* SHLD/SHRD */
        sz = pick_size(false);
        B(0x0F);
        w = (int)rn(4);
        B((w & 2 ? 0xAC : 0xA4) | (w & 1));
        modrm((int)rn(8), true, sz, true);
        if (!(w & 1))
            B(rn(40));
        break;
    case 14: /* BT BTS BTR BTC */
        sz = pick_size(false);
        B(0x0F);
        if (rn(2)) {
            B(0xA3 | rn(4) << 3);
            if (rn(2))
                B(0xC0 | rn(8) << 3 | dst_reg(sz));
            else
                mem_operand(7); /* bit offset in EDI: small */
        } else {
            B(0xBA);
            modrm(4 + (int)rn(4), true, sz, true);
            B(rn(256));
        }
        break;
    case 15: /* BSF BSR */
        sz = pick_size(false);
        B(0x0F);
        B(0xBC | rn(2));
        modrm(dst_reg(sz), false, sz, true);
        break;
    case 16: /* SETcc */
        B(0x0F);
        B(0x90 | rn(16));
        modrm(0, true, 0, true);
        break;
    case 17: case 18: /* CMOVcc */
        sz = pick_size(false);
        B(0x0F);
        B(0x40 | rn(16));
        modrm(dst_reg(sz), false, sz, true);
        break;
    case 19: case 20: case 21: { /* MOV */
        sz = pick_size(true);
        switch (rn(4)) {
        case 0: B(0x88 | (sz != 0)); modrm((int)rn(8), true, sz, true); break;
        case 1: B(0x8A | (sz != 0)); modrm(dst_reg(sz), false, sz, true); break;
        case 2: B(0xC6 | (sz != 0)); modrm(0, true, sz, true); imm_sz(sz); break;
        default: B((sz == 0 ? 0xB0 : 0xB8) + dst_reg(sz)); imm_sz(sz); break;
        }
        break;
    }
    case 22: /* MOVZX MOVSX */
        sz = rn(3) ? 2 : (B(0x66), 1);
        B(0x0F);
        w = (int)rn(4);
        B((w & 2 ? 0xBE : 0xB6) | (w & 1));
        modrm(dst_reg(sz), false, w & 1, true);
        break;
    case 23: { /* LEA: any base, index, scale, displacement */
        if (rn(4) == 0)
            B(0x66);
        B(0x8D);
        int reg = dst_reg(2), form = (int)rn(5);
        if (form == 0) {
            B(0x05 | reg << 3);
            B32(h_rand());
        } else {
            int mod = 1 + (int)rn(2);
            B(mod << 6 | reg << 3 | 4);
            B(rn(256));
            if (mod == 1)
                B(rn(256));
            else
                B32(h_rand());
        }
        break;
    }
    case 24: { /* XCHG XADD CMPXCHG CMPXCHG8B */
        sz = pick_size(true);
        switch (rn(4)) {
        case 0: B(0x86 | (sz != 0)); modrm(dst_reg(sz), true, sz, true); break;
        case 1: B(0x0F); B(0xC0 | (sz != 0)); modrm(dst_reg(sz), true, sz, true); break;
        case 2: B(0x0F); B(0xB0 | (sz != 0)); modrm((int)rn(8), true, sz, true); break;
        default: B(0x0F); B(0xC7); mem_operand(1); break;
        }
        break;
    }
    case 25: case 26: /* PUSH / POP */
        switch (rn(6)) {
        case 0: B(0x50 + rn(8)); break;
        case 1: B(0x58 + dst_reg(2)); break;
        case 2: B(0x68); B32(h_rand()); break;
        case 3: B(0x6A); B(rn(256)); break;
        case 4: B(0xFF); modrm(6, false, 2, true); break;
        default: B(0x8F); modrm(0, true, 2, true); break;
        }
        break;
    case 27: case 28: { /* string instructions, a small count first (one unit: no jump lands between) */
        gi->len = 0;
        B(0xB9);
        B32(rn(7));
        if (rn(6) == 0)
            B(0x66);
        int k = (int)rn(3);
        if (k)
            B(k == 1 ? 0xF3 : 0xF2);
        static const uint8_t s[] = {0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};
        B(s[rn(10)]);
        break;
    }
    case 29: { /* one-byte flag, conversion and BCD instructions */
        static const uint8_t s[] = {0x98, 0x99, 0x9E, 0x9F, 0xF5, 0xF8, 0xF9, 0xFC, 0xFD,
                                    0x27, 0x2F, 0x37, 0x3F, 0xD7, 0x90, 0xFC, 0x9C, 0xFA};
        B(s[rn(sizeof s)]);
        break;
    }
    case 30: /* AAM / AAD (AAM 0: #DE) */
        B(0xD4 | rn(2));
        B(rn(8) == 0 ? 0 : rn(256));
        break;
    case 31: /* BSWAP */
        B(0x0F);
        B(0xC8 + dst_reg(2));
        break;
    case 32: case 33: /* a forward conditional jump over 1-3 instructions */
        if (rn(2)) {
            B(0x70 | rn(16));
            B(0);
        } else {
            B(0x0F);
            B(0x80 | rn(16));
            B32(0);
        }
        gi->skip = 1 + (int)rn(3);
        break;
    case 34: /* CALL next, then drop the return address */
        B(0xE8);
        B32(0);
        B(0x83);
        B(0xC4);
        B(0x04);
        break;
    case 35: /* indirect forward jumps: push target; ret / mov eax, target; jmp eax */
        if (rn(2)) {
            B(0x68);
            gi->abs_at = gi->len;
            B32(0);
            if (rn(2)) { /* add esp, 0: pending flags that name ESP at the RET */
                B(0x83);
                B(0xC4);
                B(0x00);
            }
            B(0xC3);
        } else {
            B(0xB8);
            gi->abs_at = gi->len;
            B32(0);
            B(0xFF);
            B(0xE0);
        }
        gi->skip = 1 + (int)rn(3);
        break;
    default: /* more ALU with memory: the common case in real code */
        sz = pick_size(true);
        B(rn(8) << 3 | (sz != 0) | (rn(2) << 1));
        mem_operand(dst_reg(sz));
        break;
    }
}

/* A program: n random instructions, maybe looping, ending in HLT. Returns
 * its bytes in code (and their count). */
static size_t gen_program(uint8_t *code, size_t cap, bool *loops, uint32_t at_addr)
{
    nprog = 0;
    *loops = rn(4) == 0;
    int n = 8 + (int)rn(40);
    if (*loops) { /* mov dword [COUNTER], count */
        new_insn();
        B(0xC7);
        B(0x05);
        B32(COUNTER);
        B32(2 + rn(6));
    }
    int body = nprog;
    while (nprog < MAX_PROG - 6 && nprog - body < n)
        gen_one();
    if (*loops) { /* dec dword [COUNTER]; jnz body */
        new_insn();
        B(0xFF);
        B(0x0D);
        B32(COUNTER);
        new_insn();
        B(0x0F);
        B(0x85);
        B32(0); /* patched below */
    }
    new_insn();
    B(0xF4);
    /* lay out, fill in the jumps */
    size_t off[MAX_PROG + 1], at = 0;
    for (int k = 0; k < nprog; k++) {
        off[k] = at;
        at += (size_t)prog[k].len;
    }
    off[nprog] = at;
    ck_assert_uint_le(at, cap);
    for (int k = 0; k < nprog; k++) {
        GInsn *g = &prog[k];
        memcpy(code + off[k], g->b, (size_t)g->len);
        if (g->skip) {
            int to = k + 1 + g->skip;
            if (to > nprog - 1)
                to = nprog - 1;
            int32_t rel = (int32_t)(off[to] - off[k + 1]);
            if (g->abs_at) {
                uint32_t target = at_addr + (uint32_t)off[to];
                memcpy(code + off[k] + g->abs_at, &target, 4);
            } else if ((g->b[g->len - 2] & 0xF0) == 0x70) /* rel8 */
                code[off[k] + (size_t)g->len - 1] = (uint8_t)rel;
            else
                memcpy(code + off[k] + g->len - 4, &rel, 4);
        }
    }
    if (*loops) {
        int32_t rel = (int32_t)(off[body] - off[nprog - 1]);
        memcpy(code + off[nprog - 2] + 2, &rel, 4);
    }
    return at;
}

/* ------------------------------------------------------------------ running and comparing */

typedef struct Case {
    uint8_t code[MAX_PROG * 24];
    size_t len;
    uint32_t at; /* where it is loaded */
    uint32_t regs[8];
    uint32_t eflags;
    bool loops;
} Case;

static unsigned cur_case;

static void case_load(Machine *m, const Case *k)
{
    use(m);
    if (getenv("WIREBOX_DIFF_DEBUG") && (hc->seg[S_CS].sel != SEL_CODE0 || hc->seg[S_SS].sel != SEL_DATA0 ||
        hc->cr0 != (CR0_PE | CR0_ET | CR0_PG) || hc->cpl || hc->seg[S_DS].flags != 0xC093 ||
        hc->seg[S_CS].flags != 0xC09B || hc->seg[S_SS].flags != 0xC093 || hc->idt_base != H_IDT))
        fprintf(stderr, "case %u machine %c: cs %04x/%x ss %04x/%x ds %x cr0 %x cpl %d idt %x\n", cur_case,
                m == ma ? 'a' : 'b', hc->seg[S_CS].sel, hc->seg[S_CS].flags, hc->seg[S_SS].sel,
                hc->seg[S_SS].flags, hc->seg[S_DS].flags, hc->cr0, hc->cpl, hc->idt_base);
    memcpy(h_ptr(DATA), data0, DATA_SIZE);
    memcpy(h_ptr(0), low0, sizeof low0); /* what the last case wrote over */
    cpu_invalidate_phys(hc, 0, sizeof low0);
    memset(h_ptr(H_STACK - 0x1000), 0, 0x1000);
    cpu_invalidate_phys(hc, DATA, DATA_SIZE);
    h_load(k->at, k->code, k->len);
    memcpy(hc->regs, k->regs, sizeof k->regs);
    cpu_set_eflags(hc, k->eflags);
    hc->eip = k->at;
    hc->halted = false;
    hc->last_vector = -1;
    hc->last_error = 0;
    hc->cr2 = 0;
    hc->dr[6] = 0xFFFF0FF0;
    hc->icount = 0;
    hm->reset_requested = false; /* a triple fault of the last case */
    /* the A/D bits of the last case */
    for (uint32_t k2 = 0; k2 < D_RAM >> 12; k2++)
        h_ptr(PT0)[4 * k2] &= (uint8_t)~0x60;
    h_ptr(PD)[0] &= (uint8_t)~0x60;
    cpu_tlb_flush(hc, true);
}

static void case_make(Case *k)
{
    k->at = rn(3) ? H_CODE + rn(0x200) : H_CODE + 0x1000 - 8 - rn(0x100); /* maybe across a page */
    k->len = gen_program(k->code, sizeof k->code, &k->loops, k->at);
    k->regs[R_EAX] = interesting();
    k->regs[R_ECX] = interesting();
    k->regs[R_EDX] = interesting();
    k->regs[R_EBX] = DATA + 0x2E00 + rn(0x3000);
    k->regs[R_ESP] = H_STACK - 0x100 - 4 * rn(16);
    k->regs[R_EBP] = DATA + 0x100 + rn(0x5000);
    k->regs[R_ESI] = DATA + rn(DATA_SIZE);
    k->regs[R_EDI] = rn(64);
    k->eflags = 2 | (h_rand() & F_ARITH) | (rn(8) == 0 ? F_DF : 0);
}

static const struct {
    uint32_t at, len;
} regions[] = {
    {0, 0x8000}, {H_STACK - 0x1000, 0x1000}, {PD, 0x2000}, {DATA, DATA_SIZE},
};

static int fails;

/* WIREBOX_DIFF_TRACE: the failing program again, one instruction at a
 * time in the interpreter. */
static void trace_case(const Case *k)
{
    case_load(ma, k);
    CPU *a = ma->cpu;
    for (int n = 0; n < 200 && !a->halted; n++) {
        uint32_t eip = a->eip;
        cpu_run(a, a->icount + 1);
        fprintf(stderr, "    %08x -> eip %08x esp %08x eax %08x ecx %08x edx %08x fl %08x vec %d\n",
                eip, a->eip, a->regs[R_ESP], a->regs[R_EAX], a->regs[R_ECX], a->regs[R_EDX],
                cpu_get_eflags(a), a->last_vector);
    }
}

static void dump_case(const Case *k, const char *why)
{
    if (fails++ >= 3)
        return;
    if (getenv("WIREBOX_DIFF_TRACE"))
        trace_case(k);
    fprintf(stderr, "test_jit_diff: program %u (WIREBOX_DIFF_ONLY=%u runs it alone): %s\n"
                    "  program at %#x (%zu bytes):",
            cur_case, cur_case, why, k->at, k->len);
    for (size_t i = 0; i < k->len; i++)
        fprintf(stderr, "%s%02x", i % 32 ? " " : "\n   ", k->code[i]);
    fprintf(stderr, "\n  regs:");
    for (int r = 0; r < 8; r++)
        fprintf(stderr, " %08x", k->regs[r]);
    fprintf(stderr, " eflags %08x\n", k->eflags);
}

/* Compare the two machines; describe the first difference in why. */
static bool same(char *why, size_t n, bool all_ram)
{
    CPU *a = ma->cpu, *b = mb->cpu;
    static const char *rn_[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (int r = 0; r < 8; r++)
        if (a->regs[r] != b->regs[r])
            return snprintf(why, n, "%s: interpreter %08x, translator %08x", rn_[r], a->regs[r],
                            b->regs[r]) < 0;
#define CMPF(f, fmt)                                                                               \
    if (a->f != b->f)                                                                              \
        return snprintf(why, n, #f ": interpreter " fmt ", translator " fmt, a->f, b->f) < 0;
    CMPF(eip, "%08x")
    if (a->icount != b->icount)
        return snprintf(why, n, "icount: interpreter %llu, translator %llu",
                        (unsigned long long)a->icount, (unsigned long long)b->icount) < 0;
    if (cpu_get_eflags(a) != cpu_get_eflags(b))
        return snprintf(why, n, "eflags: interpreter %08x, translator %08x", cpu_get_eflags(a),
                        cpu_get_eflags(b)) < 0;
    CMPF(halted, "%d")
    CMPF(last_vector, "%d")
    CMPF(last_error, "%08x")
    CMPF(cr0, "%08x")
    CMPF(cr2, "%08x")
    CMPF(cr3, "%08x")
    CMPF(dr[6], "%08x")
    for (int s = 0; s < 6; s++) {
        CMPF(seg[s].sel, "%04x")
        CMPF(seg[s].base, "%08x")
    }
#undef CMPF
    for (size_t k = 0; k < sizeof regions / sizeof regions[0]; k++) {
        uint32_t at = regions[k].at, len = regions[k].len;
        if (all_ram) {
            at = 0;
            len = D_RAM;
        }
        const uint8_t *pa = ma->ram + at, *pb = mb->ram + at;
        if (memcmp(pa, pb, len)) {
            uint32_t o = 0;
            while (pa[o] == pb[o])
                o++;
            return snprintf(why, n, "memory at %#x: interpreter %02x, translator %02x", at + o,
                            pa[o], pb[o]) < 0;
        }
        if (all_ram)
            break;
    }
    return true;
}

/* Block by block. Returns false on a difference. */
static bool run_lockstep(const Case *k)
{
    char why[256];
    CPU *a = ma->cpu, *b = mb->cpu;
    b->jit_one_block = true;
    for (int step = 0; step < 600; step++) {
        a->last_vector = b->last_vector = -1; /* to see whether this step took an exception */
        cpu_run(b, b->icount + 100000);
        if (b->last_vector >= 0 || mb->reset_requested) {
            /* An exception retires no instruction: run both on into the
             * handler's HLT (or to the triple fault) and compare there. */
            b->jit_one_block = false;
            if (!mb->reset_requested)
                cpu_run(b, b->icount + 1000);
            b->jit_one_block = true;
            cpu_run(a, b->icount + (mb->reset_requested ? 1 : 0));
        } else if (b->icount > a->icount) {
            cpu_run(a, b->icount);
        }
        if (getenv("WIREBOX_DIFF_VERBOSE"))
            fprintf(stderr, "  step %d: a eip %08x ic %llu vec %d eax %08x | b eip %08x ic %llu vec %d eax %08x\n",
                    step, a->eip, (unsigned long long)a->icount, a->last_vector, a->regs[0], b->eip,
                    (unsigned long long)b->icount, b->last_vector, b->regs[0]);
        if (!same(why, sizeof why, false)) {
            char msg[400];
            snprintf(msg, sizeof msg, "after block %d (eip %08x, %llu instructions): %s", step,
                     b->eip, (unsigned long long)b->icount, why);
            dump_case(k, msg);
            return false;
        }
        if ((a->halted && b->halted) || mb->reset_requested)
            break;
    }
    b->jit_one_block = false;
    return true;
}

/* Chained, cut at random instruction counts; full_ram: compare all of RAM at the end. */
static bool run_budgets(const Case *k, bool full_ram)
{
    char why[256];
    CPU *a = ma->cpu, *b = mb->cpu;
    for (int step = 0; step < 2000 && !(a->halted && b->halted) && !mb->reset_requested; step++) {
        uint64_t n = 1 + rn(rn(4) ? 40 : 400);
        cpu_run(b, b->icount + n);
        cpu_run(a, a->icount + n);
        if (!same(why, sizeof why, false)) {
            char msg[400];
            snprintf(msg, sizeof msg, "chained, stop %d (at %llu instructions): %s", step,
                     (unsigned long long)b->icount, why);
            dump_case(k, msg);
            return false;
        }
    }
    if (!same(why, sizeof why, full_ram)) {
        dump_case(k, why);
        return false;
    }
    return true;
}

static unsigned env_num(const char *name, unsigned dflt)
{
    const char *v = getenv(name);
    return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

START_TEST(test_random_programs)
{
    unsigned ncases = env_num("WIREBOX_DIFF_CASES", 2500);
    int only = getenv("WIREBOX_DIFF_ONLY") ? (int)env_num("WIREBOX_DIFF_ONLY", 0) : -1;
    unsigned from = env_num("WIREBOX_DIFF_FROM", 0); /* developers: skip the first ones */
    h_rng_state = env_num("WIREBOX_DIFF_SEED", 1) * 0x9E3779B9u | 1;
    static Case k;
    unsigned faults = 0, loops = 0, blocks0 = 0, vec[32] = {0};
    CpuStats st;
    cpu_get_stats(mb->cpu, &st);
    blocks0 = (unsigned)st.blocks_translated;
    for (unsigned n = 0; n < ncases && fails < 4; n++) {
        for (uint32_t i = 0; i < DATA_SIZE; i += 4) {
            uint32_t v = interesting();
            memcpy(data0 + i, &v, 4);
        }
        case_make(&k);
        if ((only >= 0 && n != (unsigned)only) || n < from)
            continue;
        cur_case = n;
        case_load(ma, &k);
        case_load(mb, &k);
        if (!run_lockstep(&k))
            continue;
        faults += ma->cpu->last_vector >= 0;
        if (ma->cpu->last_vector >= 0 && ma->cpu->last_vector < 32)
            vec[ma->cpu->last_vector]++;
        if (ma->cpu->last_vector == 8 && getenv("WIREBOX_DIFF_TRACE_DF") && vec[8] == 1) {
            dump_case(&k, "a double fault");
            trace_case(&k);
        }
        loops += k.loops;
        case_load(ma, &k);
        case_load(mb, &k);
        run_budgets(&k, n % 16 == 0);
    }
    cpu_get_stats(mb->cpu, &st);
    fprintf(stderr, "test_jit_diff: %u programs (%u looping, %u ending in an exception), "
                    "%llu blocks translated, %llu instructions left to the interpreter\n",
            ncases, loops, faults, (unsigned long long)st.blocks_translated - blocks0,
            (unsigned long long)st.fallbacks);
    if (getenv("WIREBOX_DIFF_VERBOSE"))
        for (int v = 0; v < 32; v++)
            if (vec[v])
                fprintf(stderr, "  vector %d: %u\n", v, vec[v]);
    ck_assert_msg(fails == 0, "%d programs ran differently (first ones on stderr)", fails);
    /* the generator must produce what it claims to test */
    if (only < 0 && !from) {
        ck_assert_uint_gt(faults, ncases / 10);
        ck_assert_uint_gt(loops, ncases / 10);
    }
}
END_TEST

static Suite *diff_suite(void)
{
    Suite *s = suite_create("jit_diff");
    TCase *tc = tcase_create("random");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_random_programs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(diff_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else
int main(void)
{
    return 0; /* no translator on this host */
}
#endif
