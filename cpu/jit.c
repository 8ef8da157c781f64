/* The translator: guest code to x86-64 host code, a block at a time.
 *
 * What is modelled. A block is a straight run of guest instructions in one
 * page, keyed by its linear address, physical address, CS base and limit
 * and a mode key (CPL 3 or not; which data segments are flat); it is only
 * made in 32-bit protected mode with 32-bit code and stack (the rest runs in
 * the interpreter). While translated code runs the guest's eight registers
 * live in host registers (EAX..EBX in RAX..RBX, ESP in R12, EBP in RBP, ESI
 * and EDI in RSI and RDI, so MUL, CDQ and shifts by CL need no moves), R15
 * points at the CPU and R14 counts instructions. Flags are the interpreter's
 * lazy flags: a translated flag-setting instruction stores the same
 * (kind, a, b, result) the interpreter would, unless the next writer of the
 * flags comes before any reader, fault or exit; readers use the host flags
 * when the instruction that set them was just executed, and otherwise
 * recompute them. Memory operands go through an inline probe of the
 * software TLB; a miss, a segment limit the probe does not prove, MMIO or a
 * page crossing runs the whole instruction in the interpreter instead (its
 * "cold path"). So does every instruction the translator does not cover,
 * through one shared stub: registers to the CPU, the interpreter's handler,
 * registers back, and out of the block if it asked for the outer loop. The
 * interpreter therefore decides every fault, and a fault restores EIP and
 * registers exactly as it does.
 *
 * Blocks end at control transfers, chain to their successors by patched
 * jumps within a page, and check their page's write generation (self-
 * modifying code, DMA) on entry, and the instruction budget (-icount, the
 * next timer) so the CPU stops at the same instruction as the interpreter.
 *
 * Not modelled: 16-bit code, real and virtual-8086 mode (interpreter);
 * chaining across pages (a lookup instead). */
#include "cpu/jit.h"

#if WIREBOX_JIT
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpu/decode.h"
#include "cpu/x86emit.h"
#include "hw/pc.h"

#define CODE_SIZE (128u << 20) /* address space: only what is used is touched */
#define META_SIZE (64u << 20)
#define STUB_SIZE 8192u
#define JIT_MAX_INSNS 64
#define INSN_CODE_MAX 640 /* host bytes one guest instruction may take, cold paths included */
#define JHASH_BITS 16
#define JHASH_SIZE (1u << JHASH_BITS)

/* Host registers */
#define HCPU R15 /* the CPU */
#define HIC R14  /* icount when the block was entered */
#define T0 R8    /* an address, then the host pointer */
#define T1 R9
#define T2 R10
#define T3 R11 /* a value */
#define T4 R13 /* the new ESP while pushing; JitInsn * for the fallback stub; the
                * EBP frame's host addend in a frame group (see frame_scan) */
static const int8_t G2H[8] = {RAX, RCX, RDX, RBX, R12, RBP, RSI, RDI};

#define O(f) ((int32_t)offsetof(CPU, f))
#define OREG(g) (O(regs) + 4 * (g))

_Static_assert(sizeof(TlbEntry) == 16, "the inline TLB probe indexes 16-byte entries");

/* Why translated code returned to jit_run */
enum { R_NORMAL, R_CHAIN, R_BUDGET, R_STALE };

/* Mode key: what a translation is specialised on besides its addresses. */
#define KEY_USER 0x01u
#define KEY_FLAT(s) (0x02u << (s)) /* base 0, 4 GiB readable and writable */
#define KEY_NONE 0xFFFFFFFFu

typedef struct JitInsn {
    Insn insn; /* first: the handler's argument */
    uint32_t eip, next;
    uint32_t k; /* instructions before it in the block */
} JitInsn;

/* A chainable exit: the jump to patch once the target block exists. */
typedef struct JitExit {
    uint8_t *rel32;
    uint8_t *stub;     /* where it jumps until chained (back to jit_run) */
    uint32_t src_page; /* linear page of the block it leaves */
    const void *to;    /* block it is chained to (through a trampoline), or NULL */
} JitExit;

#define NO_PAGE 0xFFFFFFFFu

typedef struct JitBlock {
    struct JitBlock *hnext;
    uint32_t pc, paddr, cs_base, cs_limit, key, gen;
    /* A block of one instruction that crosses into the next linear page
     * (lin2) has that page's physical address and generation too; else
     * pa2 is NO_PAGE. */
    uint32_t lin2, pa2, gen2;
    uint8_t *entry;      /* checks the page generation, then the budget */
    uint8_t *entry_same; /* from a block in the same page: the budget only */
    uint32_t n;
    JitInsn insns[];
} JitBlock;

#define JC_SIZE 65536 /* jump cache entries */
#define JMODES 64
typedef struct JitJump {
    uint32_t pc, mode, pa; /* linear address, mode, physical page of a translation */
    uint32_t unused;
    uint8_t *code;        /* its checked entry */
    struct JitBlock *blk; /* the translation (for lookup) */
} JitJump;
_Static_assert(sizeof(JitJump) == 32, "the lookup stub indexes 32-byte entries");

static inline uint32_t jc_index(uint32_t pc)
{
    return (pc ^ (pc >> 11)) & (JC_SIZE - 1);
}

struct JitState {
    uint8_t *code;
    size_t code_used;
    uint8_t *meta;
    size_t meta_used;
    JitBlock **hash;
    uint32_t epoch; /* bumped by every flush */
    uint32_t key;   /* key of the code running now (indirect jumps look up with it) */
    /* stubs, made once at the start of the code buffer */
    int (*enter)(CPU *c, void *code);
    uint8_t *exit_spill, *exit_nospill, *fallback, *lookup, *flags;
    size_t stubs_end;
    FILE *perfmap;   /* WIREBOX_PERFMAP: /tmp/perf-PID.map for perf report */
    FILE *blockdump; /* and /tmp/wirebox-blocks-PID.txt: guest and host bytes */
    /* statistics */
    bool timed; /* WIREBOX_STATS: time the translations */
    uint64_t blocks, flushes, translate_ns;
    uint64_t fb_count[512];
    uint64_t exits[4], chain_cross, ind_calls, ind_miss;
    /* Indirect jumps: translations by linear address and mode, probed by
     * the lookup stub before it asks jit_lookup_indirect. */
    JitJump jcache[JC_SIZE];
    /* Modes seen since the last flush (the index is jit_mode) */
    struct {
        uint32_t key, cs_base, cs_limit;
    } modes[JMODES];
    uint32_t nmodes;
};

/* ------------------------------------------------------------------ memory for code */

static void *alloc_meta(JitState *js, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (js->meta_used + n > META_SIZE)
        return NULL;
    void *p = js->meta + js->meta_used;
    js->meta_used += n;
    return p;
}

void jit_flush(CPU *c)
{
    JitState *js = c->jit;
    memset(js->hash, 0, JHASH_SIZE * sizeof *js->hash);
    memset(js->jcache, 0xFF, sizeof js->jcache);
    js->nmodes = 0;
    js->code_used = js->stubs_end;
    js->meta_used = 0;
    js->epoch++;
    js->flushes++;
    c->jit_exit = NULL;
}

/* ------------------------------------------------------------------ stubs */

static void spill(Emit *e)
{
    for (int g = 0; g < 8; g++)
        x_mov_rm_r(e, 4, XM(HCPU, OREG(g)), G2H[g]);
}

static void reload(Emit *e)
{
    for (int g = 0; g < 8; g++)
        x_mov_r_rm(e, 4, G2H[g], XM(HCPU, OREG(g)));
}

static void gen_stubs(JitState *js)
{
    Emit e = {.p = js->code, .start = js->code, .end = js->code + STUB_SIZE};

    /* int enter(CPU *c, void *code) */
    js->enter = (int (*)(CPU *, void *))(void *)e.p;
    x_push(&e, RBX);
    x_push(&e, RBP);
    x_push(&e, R12);
    x_push(&e, R13);
    x_push(&e, R14);
    x_push(&e, R15);
    x_alu_rm_i(&e, ALU_SUB, 8, XR(RSP), 8); /* 16-byte aligned while in translated code */
    x_mov_rr(&e, 8, HCPU, RDI);
    x_mov_rr(&e, 8, T3, RSI);
    x_mov_r_rm(&e, 8, HIC, XM(HCPU, O(icount)));
    reload(&e);
    x_jmp_r(&e, T3);

    /* exits: r11d = reason; icount is R14 */
    js->exit_spill = e.p;
    spill(&e);
    js->exit_nospill = e.p;
    x_mov_rm_r(&e, 8, XM(HCPU, O(icount)), HIC);
    x_mov_rr(&e, 4, RAX, T3);
    x_alu_rm_i(&e, ALU_ADD, 8, XR(RSP), 8);
    x_pop(&e, R15);
    x_pop(&e, R14);
    x_pop(&e, R13);
    x_pop(&e, R12);
    x_pop(&e, RBP);
    x_pop(&e, RBX);
    x_ret(&e);

    /* The interpreter runs one instruction: called with r13 = JitInsn *.
     * Returns to the translated code after it unless it asked to leave the
     * block (need_check, a jump, the budget), in which case it exits. */
    js->fallback = e.p;
    spill(&e);
    x_mov_r_rm(&e, 4, T3, XM(T4, offsetof(JitInsn, k)));
    x_alu_rm_r(&e, ALU_ADD, 8, XR(T3), HIC);
    x_mov_rm_r(&e, 8, XM(HCPU, O(icount)), T3);
    x_mov_r_rm(&e, 4, T3, XM(T4, offsetof(JitInsn, eip)));
    x_mov_rm_r(&e, 4, XM(HCPU, O(prev_eip)), T3);
    x_mov_r_rm(&e, 4, T3, XM(T4, offsetof(JitInsn, next)));
    x_mov_rm_r(&e, 4, XM(HCPU, O(eip)), T3);
    x_movzx(&e, 2, T3, XM(T4, offsetof(JitInsn, insn.op)));
    x_mov_r64_i64(&e, T2, (uint64_t)(uintptr_t)js->fb_count);
    x_op(&e, 8, 0xFF, 0, XMI(T2, T3, 3, 0)); /* inc qword [r10 + r11*8] */
    x_mov_rr(&e, 8, RDI, HCPU);
    x_mov_rr(&e, 8, RSI, T4);
    x_alu_rm_i(&e, ALU_SUB, 8, XR(RSP), 8);
    x_op(&e, 4, 0xFF, 2, XM(T4, offsetof(JitInsn, insn.fn))); /* call [r13 + fn] */
    x_alu_rm_i(&e, ALU_ADD, 8, XR(RSP), 8);
    reload(&e);
    x_alu_rm_i(&e, ALU_CMP, 1, XM(HCPU, O(need_check)), 0);
    uint8_t *x1 = x_jcc8(&e, CC_NE);
    x_mov_r_rm(&e, 4, T3, XM(T4, offsetof(JitInsn, next)));
    x_alu_r_rm(&e, ALU_CMP, 4, T3, XM(HCPU, O(eip)));
    uint8_t *x2 = x_jcc8(&e, CC_NE);
    x_mov_r_rm(&e, 8, T3, XM(HCPU, O(icount)));
    x_alu_rm_i(&e, ALU_ADD, 8, XR(T3), 1);
    x_alu_r_rm(&e, ALU_CMP, 8, T3, XM(HCPU, O(icount_limit)));
    uint8_t *x3 = x_jcc8(&e, CC_AE);
    x_ret(&e);
    x_patch8(x1, e.p);
    x_patch8(x2, e.p);
    x_patch8(x3, e.p);
    x_mov_r_rm(&e, 8, HIC, XM(HCPU, O(icount)));
    x_alu_rm_i(&e, ALU_ADD, 8, XR(HIC), 1); /* the instruction completed */
    x_alu_rm_i(&e, ALU_ADD, 8, XR(RSP), 8); /* its return address */
    x_mov_r32_i(&e, T3, R_NORMAL);
    x_jmp(&e, js->exit_nospill);

    /* Indirect jump: EIP is stored and R14 counts the block; find the
     * translation of the target or leave. First the jump cache: the entry
     * for this linear address and mode, if the software TLB still maps its
     * page to the physical page it was translated from (what a lookup
     * would check); the block's entry then checks its page's generation. */
    js->lookup = e.p;
    x_mov_r_rm(&e, 4, T3, XM(HCPU, O(eip)));
    x_alu_r_rm(&e, ALU_ADD, 4, T3,
               XM(HCPU, O(seg) + S_CS * (int32_t)sizeof(SegCache) + (int32_t)offsetof(SegCache, base)));
    x_mov_rr(&e, 4, T2, T3);
    x_shift_i(&e, SH_SHR, 4, XR(T2), 11);
    x_alu_rm_r(&e, ALU_XOR, 4, XR(T2), T3);
    x_alu_rm_i(&e, ALU_AND, 4, XR(T2), JC_SIZE - 1);
    x_shift_i(&e, SH_SHL, 4, XR(T2), 5);
    x_mov_r64_i64(&e, T1, (uint64_t)(uintptr_t)js->jcache);
    x_alu_rm_r(&e, ALU_ADD, 8, XR(T2), T1);
    x_alu_r_rm(&e, ALU_CMP, 4, T3, XM(T2, offsetof(JitJump, pc)));
    uint8_t *jc1 = x_jcc8(&e, CC_NE);
    x_mov_r_rm(&e, 4, T1, XM(HCPU, O(jit_mode)));
    x_alu_r_rm(&e, ALU_CMP, 4, T1, XM(T2, offsetof(JitJump, mode)));
    uint8_t *jc2 = x_jcc8(&e, CC_NE);
    x_mov_rr(&e, 4, T1, T3);
    x_shift_i(&e, SH_SHR, 4, XR(T1), 12);
    x_alu_rm_i(&e, ALU_AND, 4, XR(T1), TLB_SIZE - 1);
    x_mov_r_rm(&e, 8, T0, XM(HCPU, O(tlbp)));
    x_shift_i(&e, SH_SHL, 4, XR(T1), 4);
    x_alu_rm_i(&e, ALU_AND, 4, XR(T3), 0xFFFFF000u);
    x_alu_r_rm(&e, ALU_CMP, 4, T3, XMI(T0, T1, 0, offsetof(TlbEntry, tag_read)));
    uint8_t *jc3 = x_jcc8(&e, CC_NE);
    x_shift_i(&e, SH_SHR, 4, XR(T1), 2);
    x_mov_r_rm(&e, 8, T0, XM(HCPU, O(tlbp_paddr)));
    x_mov_r_rm(&e, 4, T1, XMI(T0, T1, 0, 0));
    x_alu_rm_i(&e, ALU_AND, 4, XR(T1), 0xFFFFF000u);
    x_alu_r_rm(&e, ALU_CMP, 4, T1, XM(T2, offsetof(JitJump, pa)));
    uint8_t *jc4 = x_jcc8(&e, CC_NE);
    x_jmp_m(&e, XM(T2, offsetof(JitJump, code)));
    x_patch8(jc1, e.p);
    x_patch8(jc2, e.p);
    x_patch8(jc3, e.p);
    x_patch8(jc4, e.p);
    spill(&e);
    x_mov_rm_r(&e, 8, XM(HCPU, O(icount)), HIC);
    x_mov_rr(&e, 8, RDI, HCPU);
    x_mov_r64_i64(&e, RAX, (uint64_t)(uintptr_t)jit_lookup_indirect);
    x_call_r(&e, RAX);
    x_test_rm_r(&e, 8, XR(RAX), RAX);
    uint8_t *miss = x_jcc8(&e, CC_E);
    x_mov_rr(&e, 8, T3, RAX);
    reload(&e);
    x_jmp_r(&e, T3);
    x_patch8(miss, e.p);
    x_mov_r32_i(&e, T3, R_NORMAL);
    x_jmp(&e, js->exit_nospill);

    /* Host flags from the lazy flags in the CPU (any kind): called; keeps
     * every register but r11. */
    js->flags = e.p;
    uint8_t *table_at;
    x_mov_r_rm(&e, 4, T3, XM(HCPU, O(lf_op)));
    x_alu_rm_i(&e, ALU_CMP, 4, XR(T3), LF_NKINDS * 4);
    uint8_t *bad = x_jcc(&e, CC_AE, NULL);
    x_push(&e, T2);
    uint8_t *tload = e.p;
    x_mov_r64_i64(&e, T2, 0); /* patched: the table's address */
    x_mov_r_rm(&e, 8, T3, XMI(T2, T3, 3, 0));
    x_pop(&e, T2);
    x_jmp_r(&e, T3);
    /* the generic case: lf_compute() in C, then POPF */
    uint8_t *generic = e.p;
    x_patch(bad, generic);
    static const int saved[] = {RAX, RCX, RDX, RSI, RDI, R8, R9, R10};
    for (int k = 0; k < 8; k++)
        x_push(&e, saved[k]);
    x_alu_rm_i(&e, ALU_SUB, 8, XR(RSP), 8);
    x_mov_rr(&e, 8, RDI, HCPU);
    x_mov_r64_i64(&e, RAX, (uint64_t)(uintptr_t)lf_compute);
    x_call_r(&e, RAX);
    x_mov_rr(&e, 4, T3, RAX);
    x_alu_rm_i(&e, ALU_ADD, 8, XR(RSP), 8);
    for (int k = 7; k >= 0; k--)
        x_pop(&e, saved[k]);
    x_alu_rm_i(&e, ALU_AND, 4, XR(T3), F_ARITH);
    x_push(&e, T3);
    x_popfq(&e);
    x_ret(&e);
    uint8_t *cases[LF_NKINDS * 4];
    for (int op = 0; op < LF_NKINDS * 4; op++) {
        int kind = op >> 2, sz = op & 3, S = 1 << sz;
        cases[op] = generic;
        if (sz == 3)
            continue;
        bool aux = kind == LF_ADC || kind == LF_SBB || kind == LF_INC || kind == LF_DEC;
        int alu = kind == LF_ADD ? ALU_ADD : kind == LF_ADC ? ALU_ADC : kind == LF_SUB ? ALU_CMP
                : kind == LF_SBB ? ALU_SBB : -1;
        if (alu < 0 && kind != LF_LOGIC && kind != LF_INC && kind != LF_DEC)
            continue;
        cases[op] = e.p;
        if (aux)
            x_bt_i(&e, 4, XM(HCPU, O(lf_aux)), 0);
        if (kind == LF_LOGIC) {
            x_mov_r_rm(&e, 4, T3, XM(HCPU, O(lf_res)));
            x_test_rm_r(&e, S, XR(T3), T3);
        } else {
            x_mov_r_rm(&e, 4, T3, XM(HCPU, O(lf_a)));
            if (alu >= 0)
                x_alu_r_rm(&e, alu, S, T3, XM(HCPU, O(lf_b)));
            else
                x_incdec(&e, kind == LF_DEC, S, XR(T3));
        }
        x_ret(&e);
    }
    while ((uintptr_t)e.p & 7)
        e8(&e, 0xCC);
    table_at = e.p;
    for (int op = 0; op < LF_NKINDS * 4; op++)
        e64(&e, (uint64_t)(uintptr_t)cases[op]);
    memcpy(tload + 2, &table_at, 8);

    assert(e.p <= e.end);
    js->stubs_end = (size_t)(e.p - js->code + 63) & ~(size_t)63;
}

/* ------------------------------------------------------------------ the translator */

/* Lazy flags not stored yet: where each of lf_a, lf_b, lf_res is now. */
enum {
    PV_NONE,   /* not needed for this kind */
    PV_REG,    /* in a host register holding a guest register */
    PV_IMM,    /* a constant */
    PV_MEM,    /* stored already */
    PV_DERIVE, /* computed from the others when stored */
};
typedef struct PendV {
    uint8_t kind;
    int8_t reg;
    uint32_t imm;
} PendV;
typedef struct Pend {
    int lfop; /* LF(kind, 2); -1: nothing pending */
    PendV a, b, r;
} Pend;
static const Pend no_pend = {.lfop = -1};

typedef struct ColdRef {
    uint8_t *jcc;     /* the branch to the cold path */
    Pend pend;        /* flags it must store before the interpreter runs */
    JitInsn *ji;      /* instruction the interpreter runs there */
    uint8_t *resume;  /* where the native path continues */
    int lfop;         /* static lazy-flags kind there, -1 unknown */
    unsigned hf;      /* guest flags the host flags hold there */
    bool frame;       /* in a checked frame group: T4 is to be restored */
} ColdRef;

/* A frame or stack group's check, out of line (span_check_tail): fill the
 * page cache from the TLB and come back to ok, or leave for the
 * interpreter. */
typedef struct FrameCheck {
    uint8_t *jcc, *ok;
    Pend pend;
    JitInsn *ji;
    int k;
    uint32_t span;
    int mt; /* 1: an EBP frame (addend in T4), 0: a stack group (in T1) */
} FrameCheck;

typedef struct StubRef {
    uint8_t *jmp;
    uint32_t eip;
    JitExit *x;
} StubRef;

typedef struct Tr {
    CPU *c;
    JitState *js;
    Emit e;
    JitBlock *b;
    JitInsn *ji;
    int k, n;
    uint32_t key;
    int lfop;    /* lazy-flags kind known here (LF(kind, sz)), -1 unknown */
    unsigned hf; /* guest flags (F_CF...) the host flags hold now */
    bool live;   /* the current instruction's flags are read before overwritten */
    bool addr_ready; /* T0 already points at the memory operand (rm_addr: nothing to do) */
    XRM memop;       /* the memory operand once rm_addr is done: [T0], or a frame local */
    Pend pend;   /* the lazy flags of an earlier instruction, not stored yet */
    ColdRef cold[JIT_MAX_INSNS * 4];
    int ncold, cold_insn;
    StubRef stub[JIT_MAX_INSNS + 4];
    int nstub;
    unsigned cls[JIT_MAX_INSNS];
    /* EBP frame groups (frame_scan): each instruction's group or -1, each
     * group's lowest displacement and span; the group checked now */
    int8_t frame_grp[JIT_MAX_INSNS];
    int32_t grp_lo[JIT_MAX_INSNS];
    uint32_t grp_span[JIT_MAX_INSNS];
    int frame_cur; /* -1: none (T4 is not the frame's addend) */
    FrameCheck fc[2 * JIT_MAX_INSNS]; /* one per group at most: each is checked once */
    int nfc;
    /* Stack groups: PUSH and POP runs checked once (stack_scan) */
    int8_t stack_grp[JIT_MAX_INSNS];
    int32_t sgrp_lo[JIT_MAX_INSNS];
    uint32_t sgrp_span[JIT_MAX_INSNS];
    int stack_cur; /* the group checked now, -1 none */
} Tr;

#define HF_ALL (F_CF | F_PF | F_ZF | F_SF | F_OF)

/* Instruction classes: what the translator does with it and how it uses flags. */
enum {
    C_NATIVE = 1, /* translated (else the interpreter runs it) */
    C_RD = 2,     /* reads flags (or keeps some) */
    C_WR = 4,     /* writes all six flags */
    C_MEM = 8,    /* accesses memory: may fault */
    C_END = 16,   /* ends the block */
};

static inline int H(int g)
{
    return G2H[g];
}
/* The guest register (bit) that operand register r of size sz is part of. */
static inline unsigned reg_bit(int sz, int r)
{
    return 1u << (sz == 0 ? (r & 3) : r);
}
/* Guest 8-bit register (AL CL DL BL AH CH DH BH) as a host byte register. */
static inline int H8(int g)
{
    return g < 4 ? g : AH_ + (g - 4);
}

static unsigned cond_flags(int cc)
{
    static const unsigned f[8] = {F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF,
                                  F_ZF | F_SF | F_OF};
    return f[cc >> 1];
}

static unsigned insn_class(const Insn *i)
{
    unsigned op = i->op, sub = i->sub;
    bool has_m = op_table[op].flags & D_M;
    unsigned mem = has_m && !i->mod3 ? C_MEM : 0;
    if (op == 0x1B1 && mem && i->a32 && i->o32) /* CMPXCHG m32, r32, LOCK or not (one CPU) */
        return C_NATIVE | C_WR | C_MEM;
    if (i->lock || (mem && !i->a32))
        return 0;
    if (op < 0x40 && (op & 7) < 6) { /* ALU rows */
        if ((op & 7) >= 4)
            mem = 0;
        return C_NATIVE | mem | ((sub == ALU_ADC || sub == ALU_SBB) ? C_RD | C_WR : C_WR);
    }
    switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83:
        return C_NATIVE | mem | ((sub == ALU_ADC || sub == ALU_SBB) ? C_RD | C_WR : C_WR);
    case 0x84: case 0x85: case 0xA8: case 0xA9:
        return C_NATIVE | mem | C_WR;
    case 0x40 ... 0x4F:
        return C_NATIVE | C_RD;
    case 0x88: case 0x89: case 0x8A: case 0x8B: case 0xC6: case 0xC7:
        return C_NATIVE | mem;
    case 0x90:
        return i->rep == 0xF3 ? C_NATIVE | C_END : C_NATIVE; /* PAUSE ends the block */
    case 0xB0 ... 0xBF: case 0x91 ... 0x99: case 0xFC: case 0xFD:
    case 0x118 ... 0x11F:
        return C_NATIVE;
    case 0xA0 ... 0xA3:
        return i->a32 ? C_NATIVE | C_MEM : 0;
    case 0x8D:
        return !i->mod3 && i->a32 ? C_NATIVE : 0;
    case 0x1B6: case 0x1B7: case 0x1BE: case 0x1BF:
        return C_NATIVE | mem;
    case 0x50 ... 0x5F: case 0x68: case 0x6A:
        return C_NATIVE | C_MEM;
    case 0x70 ... 0x7F: case 0x180 ... 0x18F:
        return C_NATIVE | C_RD | C_END;
    case 0xEB: case 0xE9:
        return C_NATIVE | C_END;
    case 0xE8: case 0xC3: case 0xC2:
        return i->o32 ? C_NATIVE | C_MEM | C_END : 0;
    case 0xC9:
        return i->o32 ? C_NATIVE | C_MEM : 0;
    case 0xFE:
        return sub <= 1 ? C_NATIVE | C_RD | mem : 0;
    case 0xFF:
        if (sub <= 1)
            return C_NATIVE | C_RD | mem;
        if (sub == 2 || sub == 4)
            return i->o32 ? C_NATIVE | C_MEM | C_END : 0;
        if (sub == 6)
            return C_NATIVE | C_MEM;
        return 0;
    case 0xF6: case 0xF7:
        if (sub == 2)
            return C_NATIVE | mem;
        if (sub == 6) /* DIV: #DE cases run in the interpreter */
            return C_NATIVE | C_MEM;
        return sub <= 5 ? C_NATIVE | C_WR | mem : 0;
    case 0x190 ... 0x19F: case 0x140 ... 0x14F:
        return C_NATIVE | C_RD | mem;
    case 0xC0: case 0xC1: case 0xD0: case 0xD1: {
        if (sub == SH_ROL || sub == SH_ROR) /* CF, OF from the result; the rest kept */
            return C_NATIVE | C_RD | C_WR | mem;
        if (sub < 4)
            return 0;
        unsigned cnt = (op >= 0xD0) ? 1 : (i->imm & 31);
        return C_NATIVE | mem | (cnt ? C_WR : 0);
    }
    case 0xD2: case 0xD3:
        return sub >= 4 ? C_NATIVE | C_RD | mem : 0;
    case 0xA4: case 0xA5: case 0xAA: case 0xAB: case 0xAC: case 0xAD:
        return !i->rep && i->a32 ? C_NATIVE | C_MEM : 0; /* MOVS STOS LODS once */
    case 0xAE: case 0xAF:
        return !i->rep && i->a32 ? C_NATIVE | C_MEM | C_WR : 0; /* SCAS once */
    case 0x131: /* RDTSC */
        return C_NATIVE;
    case 0x9C: /* PUSHF */
        return i->o32 ? C_NATIVE | C_RD | C_MEM : 0;
    case 0xFA: /* CLI: at CPL 0 (else the interpreter checks IOPL) */
        return C_NATIVE | C_MEM;
    case 0x1AF: case 0x69: case 0x6B:
        return C_NATIVE | C_WR | mem;
    case 0x86: case 0x87:
        return C_NATIVE | mem;
    case 0x1C8 ... 0x1CF:
        return i->o32 ? C_NATIVE : 0;
    }
    return 0;
}

/* Are the flags the current instruction sets read before they are
 * overwritten (or could be seen by a fault or an exit)? */
static bool flags_live(const Tr *t, int k)
{
    for (int j = k + 1; j < t->n; j++) {
        unsigned c = t->cls[j];
        if (!(c & C_NATIVE) || (c & (C_RD | C_MEM | C_END)))
            return true;
        if (c & C_WR)
            return false;
    }
    return true;
}

/* ---- deferred lazy flags */

static inline PendV pv_reg(int r)
{
    return (PendV){PV_REG, (int8_t)r, 0};
}
static inline PendV pv_imm(uint32_t v)
{
    return (PendV){PV_IMM, 0, v};
}
static inline PendV pv(uint8_t kind)
{
    return (PendV){kind, 0, 0};
}

/* The value of v (stored at off) in a register: its own, or tmp. */
static int pv_in_reg(Emit *e, PendV v, int32_t off, int tmp)
{
    if (v.kind == PV_REG)
        return v.reg;
    if (v.kind == PV_IMM)
        x_mov_r32_i(e, tmp, v.imm);
    else
        x_mov_r_rm(e, 4, tmp, XM(HCPU, off));
    return tmp;
}

static void pv_store(Emit *e, int32_t off, PendV v)
{
    if (v.kind == PV_REG)
        x_mov_rm_r(e, 4, XM(HCPU, off), v.reg);
    else if (v.kind == PV_IMM)
        x_mov_rm_i(e, 4, XM(HCPU, off), v.imm);
}

/* Emit the stores of pending flags p, with T2 and T3 as temporaries.
 * Returns whether the host flags were changed. */
static bool pend_store(Emit *e, const Pend *p)
{
    if (p->lfop < 0)
        return false;
    int kind = p->lfop >> 2;
    bool clobber = false;
    pv_store(e, O(lf_a), p->a);
    pv_store(e, O(lf_b), p->b);
    pv_store(e, O(lf_res), p->r);
    if (p->r.kind == PV_DERIVE) {
        if (kind == LF_SUB) { /* CMP: a - b = a + ~b + 1, keeping the host flags */
            int b = pv_in_reg(e, p->b, O(lf_b), T3);
            if (b != T3)
                x_mov_rr(e, 4, T3, b);
            x_grp3(e, 2, 4, XR(T3));
            int a = pv_in_reg(e, p->a, O(lf_a), T2);
            x_lea(e, 4, T3, XMI(a, T3, 0, 1));
        } else { /* TEST: a & b */
            int a = pv_in_reg(e, p->a, O(lf_a), T3);
            if (a != T3)
                x_mov_rr(e, 4, T3, a);
            int b = pv_in_reg(e, p->b, O(lf_b), T2);
            x_alu_rm_r(e, ALU_AND, 4, XR(T3), b);
            clobber = true;
        }
        x_mov_rm_r(e, 4, XM(HCPU, O(lf_res)), T3);
    }
    if (p->a.kind == PV_DERIVE) {
        int r = pv_in_reg(e, p->r, O(lf_res), T2);
        if (kind == LF_INC || kind == LF_DEC) {
            x_lea(e, 4, T3, XM(r, kind == LF_INC ? -1 : 1));
        } else if (kind == LF_SUB) { /* r + b */
            if (p->b.kind == PV_IMM) {
                x_lea(e, 4, T3, XM(r, (int32_t)p->b.imm));
            } else {
                int b = pv_in_reg(e, p->b, O(lf_b), T3);
                x_lea(e, 4, T3, XMI(r, b, 0, 0));
            }
        } else { /* ADD: r - b = r + ~b + 1 */
            int b = pv_in_reg(e, p->b, O(lf_b), T3);
            if (b != T3)
                x_mov_rr(e, 4, T3, b);
            x_grp3(e, 2, 4, XR(T3));
            x_lea(e, 4, T3, XMI(r, T3, 0, 1));
        }
        x_mov_rm_r(e, 4, XM(HCPU, O(lf_a)), T3);
    }
    if (p->b.kind == PV_DERIVE) { /* NEG: b = -r = ~r + 1 */
        int r = pv_in_reg(e, p->r, O(lf_res), T3);
        if (r != T3)
            x_mov_rr(e, 4, T3, r);
        x_grp3(e, 2, 4, XR(T3));
        x_lea(e, 4, T3, XM(T3, 1));
        x_mov_rm_r(e, 4, XM(HCPU, O(lf_b)), T3);
    }
    x_mov_rm_i(e, 4, XM(HCPU, O(lf_op)), (uint32_t)p->lfop);
    return clobber;
}

/* Store the pending flags now (the CPU's lazy flags are needed). */
static void pend_flush(Tr *t)
{
    if (t->pend.lfop < 0)
        return;
    if (pend_store(&t->e, &t->pend))
        t->hf = 0;
    t->pend = no_pend;
}

static unsigned pv_mask(PendV v)
{
    if (v.kind != PV_REG)
        return 0;
    for (int g = 0; g < 8; g++)
        if (G2H[g] == v.reg)
            return 1u << g;
    return 0;
}

/* The instruction about to be emitted writes guest registers in mask (and
 * not the flags): the pending values in them go to their places in the CPU
 * now, and stay pending from there (a later flag writer may still make the
 * rest unnecessary). */
static void pend_clobber(Tr *t, unsigned mask)
{
    if (t->pend.lfop < 0)
        return;
    PendV *v[3] = {&t->pend.a, &t->pend.b, &t->pend.r};
    const int32_t off[3] = {O(lf_a), O(lf_b), O(lf_res)};
    for (int q = 0; q < 3; q++)
        if (pv_mask(*v[q]) & mask) {
            pv_store(&t->e, off[q], *v[q]);
            *v[q] = pv(PV_MEM);
        }
}

/* ---- cold paths and exits */

static void cold_jcc(Tr *t, int cc)
{
    ColdRef *r = &t->cold[t->ncold++];
    r->jcc = x_jcc(&t->e, cc, NULL);
    r->ji = t->ji;
    r->resume = NULL;
    r->pend = t->pend;
    r->frame = t->frame_cur >= 0;
}

/* Host flags from the lazy flags in memory, for the kind known at
 * translation time when that is cheap, else through the stub. */
static void emit_flags_redo(Tr *t, Emit *e, int lfop)
{
    int kind = lfop >> 2, S = 1 << (lfop & 3);
    if (lfop < 0 || (lfop & 3) == 3) {
        x_call(e, t->js->flags);
        return;
    }
    switch (kind) {
    case LF_ADD: case LF_SUB:
        x_mov_r_rm(e, 4, T3, XM(HCPU, O(lf_a)));
        x_alu_r_rm(e, kind == LF_ADD ? ALU_ADD : ALU_CMP, S, T3, XM(HCPU, O(lf_b)));
        return;
    case LF_ADC: case LF_SBB:
        x_bt_i(e, 4, XM(HCPU, O(lf_aux)), 0);
        x_mov_r_rm(e, 4, T3, XM(HCPU, O(lf_a)));
        x_alu_r_rm(e, kind == LF_ADC ? ALU_ADC : ALU_SBB, S, T3, XM(HCPU, O(lf_b)));
        return;
    case LF_INC: case LF_DEC:
        x_bt_i(e, 4, XM(HCPU, O(lf_aux)), 0);
        x_mov_r_rm(e, 4, T3, XM(HCPU, O(lf_a)));
        x_incdec(e, kind == LF_DEC, S, XR(T3));
        return;
    case LF_LOGIC:
        x_mov_r_rm(e, 4, T3, XM(HCPU, O(lf_res)));
        x_test_rm_r(e, S, XR(T3), T3);
        return;
    default:
        x_call(e, t->js->flags);
    }
}

/* Make the host flags hold (at least) the guest flags in need. */
static void need_flags(Tr *t, unsigned need)
{
    if ((t->hf & need) == need)
        return;
    pend_flush(t);
    emit_flags_redo(t, &t->e, t->lfop);
    t->hf = HF_ALL;
}

/* The block ends here with instructions 0..n-1 done: a jump to the block
 * at target, patched once that exists. */
static void exit_chain(Tr *t, uint32_t target, int n)
{
    pend_store(&t->e, &t->pend);
    x_lea(&t->e, 8, HIC, XM(HIC, n));
    StubRef *s = &t->stub[t->nstub++];
    s->jmp = x_jmp(&t->e, NULL);
    s->eip = target;
    s->x = NULL;
}

/* Leave with EIP already in the CPU (in memory). */
static void exit_normal(Tr *t, int n)
{
    pend_store(&t->e, &t->pend);
    x_lea(&t->e, 8, HIC, XM(HIC, n));
    x_mov_r32_i(&t->e, T3, R_NORMAL);
    x_jmp(&t->e, t->js->exit_spill);
}

static void fallback(Tr *t)
{
    t->frame_cur = -1; /* the stub takes T4; the interpreter may move EBP */
    t->stack_cur = -1;
    pend_flush(t);
    x_mov_r64_i64(&t->e, T4, (uint64_t)(uintptr_t)t->ji);
    x_call(&t->e, t->js->fallback);
    t->lfop = -1;
    t->hf = 0;
}

/* ---- light calls: C helpers that neither fault nor look at the guest
 * registers in the CPU. The registers the C ABI does not preserve (guest
 * EAX ECX EDX ESI EDI) go to the CPU and come back; R14 is synced to
 * icount (a helper may read the clock). */

static void light_call(Tr *t, void *fn, int arg1, int arg2)
{
    Emit *e = &t->e;
    static const int vol[] = {R_EAX, R_ECX, R_EDX, R_ESI, R_EDI};
    for (int k = 0; k < 5; k++)
        x_mov_rm_r(e, 4, XM(HCPU, OREG(vol[k])), G2H[vol[k]]);
    x_lea(e, 8, T3, XM(HIC, t->k));
    x_mov_rm_r(e, 8, XM(HCPU, O(icount)), T3);
    if (arg1 >= 0)
        x_mov_rr(e, 4, RSI, arg1);
    if (arg2 >= 0)
        x_mov_rr(e, 4, RDX, arg2);
    x_mov_rr(e, 8, RDI, HCPU);
    x_mov_r64_i64(e, RAX, (uint64_t)(uintptr_t)fn);
    x_call_r(e, RAX);
    x_mov_rr(e, 4, T3, RAX);
    for (int k = 0; k < 5; k++)
        x_mov_r_rm(e, 4, G2H[vol[k]], XM(HCPU, OREG(vol[k])));
    t->hf = 0;
}

/* RDTSC when CR4.TSD allows it: EDX:EAX in the CPU, returns 0; else 1. */
static uint32_t h_rdtsc(CPU *c)
{
    if ((c->cr4 & CR4_TSD) && c->cpl != 0 && (c->cr0 & CR0_PE))
        return 1;
    uint64_t v = cpu_tsc(c);
    c->regs[R_EAX] = (uint32_t)v;
    c->regs[R_EDX] = (uint32_t)(v >> 32);
    return 0;
}

/* The arithmetic flags, from lazy flags of any kind. */
static uint32_t h_lf_compute(CPU *c)
{
    return lf_compute(c);
}

/* Flags after ROL/ROR (info: op << 8 | size) that gave r: CF and OF from
 * the result as the interpreter computes them, the others kept. */
static uint32_t h_rotflags(CPU *c, uint32_t r, uint32_t info)
{
    int sz = (int)(info & 3), bits = 8 << sz;
    uint32_t s = 1u << (bits - 1), cf, of;
    if ((info >> 8) == SH_ROL) {
        cf = r & 1;
        of = ((r & s) != 0) ^ cf;
    } else {
        cf = (r & s) != 0;
        of = cf ^ ((r & (s >> 1)) != 0);
    }
    set_flags_eager(c, (lf_compute(c) & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0));
    return 0;
}

/* ---- operands */

enum { OPD_REG, OPD_MEM, OPD_IMM };
typedef struct Opd {
    int kind;
    int g;
    uint32_t imm;
} Opd;
static inline Opd o_reg(int g)
{
    return (Opd){OPD_REG, g, 0};
}
static inline Opd o_imm(uint32_t v)
{
    return (Opd){OPD_IMM, 0, v};
}
static inline Opd o_rm(const Insn *i)
{
    return i->mod3 ? o_reg(i->rm) : (Opd){OPD_MEM, 0, 0};
}

/* Load guest register g (size 0/1/2) into host register dst, zero- or
 * sign-extended to 32 bits. Keeps the host flags. */
static void ld_reg(Tr *t, int sz, int dst, int g, bool sign)
{
    Emit *e = &t->e;
    if (sz == 2) {
        x_mov_rr(e, 4, dst, H(g));
    } else if (sz == 1) {
        sign ? x_movsx(e, 2, dst, XR(H(g))) : x_movzx(e, 2, dst, XR(H(g)));
    } else if (g < 4) {
        sign ? x_movsx(e, 1, dst, XR(g)) : x_movzx(e, 1, dst, XR(g));
    } else { /* AH..BH: swap into the low byte, which a REX prefix can name */
        int lo = g - 4;
        x_xchg_rm_r(e, 1, XR(AH_ + lo), lo);
        sign ? x_movsx(e, 1, dst, XR(lo)) : x_movzx(e, 1, dst, XR(lo));
        x_xchg_rm_r(e, 1, XR(AH_ + lo), lo);
    }
}

/* Store the low part of host register src into guest register g. Keeps the host flags. */
static void st_reg(Tr *t, int sz, int g, int src)
{
    Emit *e = &t->e;
    if (sz == 2) {
        x_mov_rr(e, 4, H(g), src);
    } else if (sz == 1) {
        x_mov_rr(e, 2, H(g), src);
    } else if (g < 4) {
        x_mov_rr(e, 1, g, src);
    } else {
        int lo = g - 4;
        x_xchg_rm_r(e, 1, XR(AH_ + lo), lo);
        x_mov_rr(e, 1, lo, src);
        x_xchg_rm_r(e, 1, XR(AH_ + lo), lo);
    }
}

/* T0 = the effective address of the instruction's memory operand (+ add). */
static void ea(Tr *t, const Insn *i, uint32_t add)
{
    int b = i->base, x = i->index;
    int32_t d = (int32_t)(i->disp + add);
    if (b == 8 && x == 8)
        x_mov_r32_i(&t->e, T0, (uint32_t)d);
    else if (x == 8)
        x_lea(&t->e, 4, T0, XM(H(b), d));
    else
        x_lea(&t->e, 4, T0, XMI(b == 8 ? -1 : H(b), H(x), i->scale, d));
}

/* T0 holds an offset into segment seg: check it like the interpreter's fast
 * path and turn it into a host pointer for a size-byte access, or branch to
 * the cold path. Clobbers T1, T2 and the host flags. */
static void mem_mt(Tr *t, int seg, int size, bool write, int mt)
{
    Emit *e = &t->e;
    if (mt >= 0 && (t->key & KEY_FLAT(seg))) {
        /* the page cache of ESP- or EBP-based accesses first: same page
         * (and not crossing it) as the last write through that register */
        x_mov_rr(e, 8, T1, T0);
        x_alu_r_rm(e, ALU_XOR, 8, T1, XM(HCPU, O(mtlb_page) + 8 * mt));
        x_alu_rm_i(e, ALU_CMP, 8, XR(T1), 4096u - (uint32_t)size);
        uint8_t *miss = x_jcc8(e, CC_A);
        x_alu_r_rm(e, ALU_ADD, 8, T0, XM(HCPU, O(mtlb_addend) + 8 * mt));
        uint8_t *done = x_jmp(e, NULL);
        x_patch8(miss, e->p);
        int32_t tlb = O(tlb) + ((t->key & KEY_USER) ? TLB_SIZE * (int32_t)sizeof(TlbEntry) : 0);
        x_mov_rr(e, 4, T1, T0);
        x_shift_i(e, SH_SHR, 4, XR(T1), 12 - 4);
        x_alu_rm_i(e, ALU_AND, 4, XR(T1), (TLB_SIZE - 1) << 4);
        x_lea(e, 4, T2, XM(T0, size - 1));
        x_alu_rm_i(e, ALU_AND, 4, XR(T2), 0xFFFFF000u);
        x_alu_r_rm(e, ALU_CMP, 4, T2,
                   XMI(HCPU, T1, 0, tlb + (write ? (int32_t)offsetof(TlbEntry, tag_write)
                                                 : (int32_t)offsetof(TlbEntry, tag_read))));
        cold_jcc(t, CC_NE);
        x_mov_r_rm(e, 8, T1, XMI(HCPU, T1, 0, tlb + (int32_t)offsetof(TlbEntry, addend)));
        if (write) { /* the page is writable (and so readable): cache it */
            x_mov_rm_r(e, 8, XM(HCPU, O(mtlb_addend) + 8 * mt), T1);
            x_mov_rm_r(e, 8, XM(HCPU, O(mtlb_page) + 8 * mt), T2);
        }
        x_alu_rm_r(e, ALU_ADD, 8, XR(T0), T1);
        x_patch(done, e->p);
        t->hf = 0;
        return;
    }
    if (!(t->key & KEY_FLAT(seg))) {
        x_lea(e, 8, T1, XM(T0, size - 1));
        x_alu_r_rm(e, ALU_CMP, 8, T1,
                   XM(HCPU, (write ? O(seg_lim_w) : O(seg_lim_r)) + 8 * seg));
        cold_jcc(t, CC_G);
        x_alu_r_rm(e, ALU_ADD, 4, T0,
                   XM(HCPU, O(seg) + seg * (int32_t)sizeof(SegCache) +
                                (int32_t)offsetof(SegCache, base)));
    }
    int32_t tlb = O(tlb) + ((t->key & KEY_USER) ? TLB_SIZE * (int32_t)sizeof(TlbEntry) : 0);
    x_mov_rr(e, 4, T1, T0);
    x_shift_i(e, SH_SHR, 4, XR(T1), 12 - 4);
    x_alu_rm_i(e, ALU_AND, 4, XR(T1), (TLB_SIZE - 1) << 4);
    if (size > 1)
        x_lea(e, 4, T2, XM(T0, size - 1));
    else
        x_mov_rr(e, 4, T2, T0);
    x_alu_rm_i(e, ALU_AND, 4, XR(T2), 0xFFFFF000u);
    x_alu_r_rm(e, ALU_CMP, 4, T2,
               XMI(HCPU, T1, 0, tlb + (write ? (int32_t)offsetof(TlbEntry, tag_write)
                                             : (int32_t)offsetof(TlbEntry, tag_read))));
    cold_jcc(t, CC_NE);
    x_alu_r_rm(e, ALU_ADD, 8, T0, XMI(HCPU, T1, 0, tlb + (int32_t)offsetof(TlbEntry, addend)));
    t->hf = 0;
}

static void mem(Tr *t, int seg, int size, bool write)
{
    mem_mt(t, seg, size, write, -1);
}

/* The first access of a group (mt 1: EBP frame, 0: stack): check that the
 * group's whole span, base + lo up to lo + span, lies in the base
 * register's page cache page (so every access of the group is in one
 * writable page, without wrapping 32 bits), and keep the page's host addend
 * in T4 (frame) or T1 (stack), and in the CPU. If it does not,
 * span_check_tail fills the cache from the TLB, or leaves for the
 * interpreter. */
static void span_check(Tr *t, int mt, int32_t lo, uint32_t span)
{
    Emit *e = &t->e;
    FrameCheck *f = &t->fc[t->nfc++];
    int base = mt ? RBP : R12, reg = mt ? T4 : T1;
    x_lea(e, 8, T0, XM(base, lo)); /* 64 bits: a wrap is caught below */
    x_mov_r_rm(e, 8, T1, XM(HCPU, O(mtlb_page) + 8 * mt));
    x_alu_rm_r(e, ALU_XOR, 8, XR(T1), T0);
    x_alu_rm_i(e, ALU_CMP, 8, XR(T1), 4096u - span);
    f->jcc = x_jcc(e, CC_A, NULL);
    x_mov_r_rm(e, 8, reg, XM(HCPU, O(mtlb_addend) + 8 * mt));
    f->ok = e->p;
    x_mov_rm_r(e, 8, XM(HCPU, mt ? O(jit_frame) : O(jit_stack)), reg);
    f->pend = t->pend;
    f->ji = t->ji;
    f->k = t->k;
    f->span = span;
    f->mt = mt;
    t->hf = 0;
}

static void frame_check(Tr *t, int g)
{
    span_check(t, 1, t->grp_lo[g], t->grp_span[g]);
    t->frame_cur = g;
}

/* A stack group's member (PUSH or POP of 32 bits): [ESP + disp] through
 * the group's checked page, no probe. Returns the operand. */
static XRM stack_slot(Tr *t, int g, int32_t disp)
{
    if (t->stack_cur != g) {
        span_check(t, 0, t->sgrp_lo[g], t->sgrp_span[g]);
        t->stack_cur = g;
    } else {
        x_mov_r_rm(&t->e, 8, T1, XM(HCPU, O(jit_stack)));
    }
    return XMI(R12, T1, 0, disp);
}

static void rm_addr(Tr *t, const Insn *i, int size, bool write)
{
    if (t->addr_ready) {
        t->addr_ready = false;
        return;
    }
    int g = t->frame_grp[t->k];
    if (g >= 0 && size <= 4) { /* [EBP + disp] in a frame group */
        if (t->frame_cur != g)
            frame_check(t, g);
        t->memop = XMI(RBP, T4, 0, (int32_t)i->disp);
        return;
    }
    ea(t, i, 0);
    mem_mt(t, i->seg, size, write, i->base == R_ESP ? 0 : i->base == R_EBP ? 1 : -1);
}

static void ld_mem(Tr *t, int size, int dst, bool sign)
{
    if (size == 4)
        x_mov_r_rm(&t->e, 4, dst, t->memop);
    else if (sign)
        x_movsx(&t->e, size, dst, t->memop);
    else
        x_movzx(&t->e, size, dst, t->memop);
}

static void st_mem(Tr *t, int size, int src)
{
    x_mov_rm_r(&t->e, size, t->memop, src);
}

static void st_lf(Tr *t, int32_t off, int src)
{
    x_mov_rm_r(&t->e, 4, XM(HCPU, off), src);
}
static void st_lf_i(Tr *t, int32_t off, uint32_t v)
{
    x_mov_rm_i(&t->e, 4, XM(HCPU, off), v);
}

/* Push a register, an immediate or T3 (kind OPD_MEM: already loaded). */
static void push_val(Tr *t, int size, Opd v)
{
    t->frame_cur = -1; /* T4 is the new ESP */
    Emit *e = &t->e;
    x_lea(e, 4, T4, XM(R12, -size));
    x_mov_rr(e, 4, T0, T4);
    mem_mt(t, S_SS, size, true, 0);
    if (v.kind == OPD_IMM)
        x_mov_rm_i(e, size, XM(T0, 0), v.imm);
    else
        x_mov_rm_r(e, size, XM(T0, 0), v.kind == OPD_REG ? H(v.g) : T3);
    x_mov_rr(e, 4, R12, T4);
}

/* ---- instruction translations */

/* 8- and 16-bit ALU op on a register that has a host name of that size
 * (AL..BL, AX..DI): in place, without a round trip through a scratch
 * register (and its partial-register merge). Flags stored as they are. */
static void tr_alu_narrow(Tr *t, const Insn *i, int op, int sz, Opd dst, Opd src)
{
    Emit *e = &t->e;
    int S = 1 << sz;
    bool test = op == 8;
    int hop = test ? ALU_AND : op;
    bool wb = hop != ALU_CMP && !test;
    bool carry = hop == ALU_ADC || hop == ALU_SBB;
    int kind = hop == ALU_ADD ? LF_ADD : hop == ALU_ADC ? LF_ADC
             : (hop == ALU_SUB || hop == ALU_CMP) ? LF_SUB : hop == ALU_SBB ? LF_SBB : LF_LOGIC;
    if (src.kind == OPD_MEM)
        rm_addr(t, i, S, false);
    if (carry)
        need_flags(t, F_CF);
    int d = sz == 0 ? dst.g : H(dst.g);
    int s = -1;
    uint32_t imm = src.imm & sz_mask(sz);
    if (src.kind == OPD_MEM) {
        s = T2;
        ld_mem(t, S, T2, false);
    } else if (src.kind == OPD_REG) {
        if (sz == 0 && src.g >= 4) {
            s = T2;
            ld_reg(t, 0, T2, src.g, false);
        } else {
            s = sz == 0 ? src.g : H(src.g);
        }
    }
    if (t->live) {
        if (carry)
            x_setcc(e, CC_B, XM(HCPU, O(lf_aux)));
        if (kind != LF_LOGIC) {
            x_movzx(e, S, T3, XR(d));
            st_lf(t, O(lf_a), T3);
            if (s < 0) {
                st_lf_i(t, O(lf_b), imm);
            } else if (s == T2) {
                st_lf(t, O(lf_b), T2);
            } else {
                x_movzx(e, S, T3, XR(s));
                st_lf(t, O(lf_b), T3);
            }
        }
    }
    int r = d, hop2 = hop;
    if (!wb && t->live) {
        x_movzx(e, S, T3, XR(d));
        r = T3;
        hop2 = test ? ALU_AND : ALU_SUB;
    }
    if (test && !t->live) {
        if (s < 0)
            x_test_rm_i(e, S, XR(r), imm);
        else
            x_test_rm_r(e, S, XR(r), s);
    } else if (s < 0) {
        x_alu_rm_i(e, hop2, S, XR(r), imm);
    } else {
        x_alu_rm_r(e, hop2, S, XR(r), s);
    }
    if (t->live) {
        if (r == d)
            x_movzx(e, S, T3, XR(d));
        st_lf(t, O(lf_res), T3);
        st_lf_i(t, O(lf_op), LF(kind, sz));
    }
    t->pend = no_pend;
    t->lfop = LF(kind, sz);
    t->hf = HF_ALL;
}

/* ALU op (ALU_*, or 8 for TEST) of size sz on dst and src. 32-bit forms
 * leave their lazy flags pending (in registers) where they can. */
static void tr_alu(Tr *t, const Insn *i, int op, int sz, Opd dst, Opd src)
{
    if (sz < 2 && dst.kind == OPD_REG && (sz == 1 || dst.g < 4)) {
        tr_alu_narrow(t, i, op, sz, dst, src);
        return;
    }
    Emit *e = &t->e;
    int S = 1 << sz;
    bool test = op == 8;
    int hop = test ? ALU_AND : op;
    bool wb = hop != ALU_CMP && !test;
    bool carry = hop == ALU_ADC || hop == ALU_SBB;
    int kind = hop == ALU_ADD ? LF_ADD : hop == ALU_ADC ? LF_ADC
             : (hop == ALU_SUB || hop == ALU_CMP) ? LF_SUB : hop == ALU_SBB ? LF_SBB : LF_LOGIC;
    bool defer = sz == 2 && !carry && t->live;
    if (dst.kind == OPD_MEM || src.kind == OPD_MEM)
        rm_addr(t, i, S, dst.kind == OPD_MEM && wb);
    if (carry)
        need_flags(t, F_CF); /* before the operands: it may use T2, T3 */
    int d;
    if (dst.kind == OPD_MEM) {
        d = T1;
        ld_mem(t, S, T1, false);
    } else if (sz == 2) {
        d = H(dst.g);
    } else {
        d = T1;
        ld_reg(t, sz, T1, dst.g, false);
    }
    int s = -1;
    uint32_t imm = src.imm & sz_mask(sz);
    if (src.kind == OPD_MEM) {
        s = T2;
        ld_mem(t, S, T2, false);
    } else if (src.kind == OPD_REG) {
        if (sz == 2) {
            s = H(src.g);
        } else {
            s = T2;
            ld_reg(t, sz, T2, src.g, false);
        }
    }
    bool d_reg = d != T1, s_reg = s >= 0 && s != T2;
    if (wb && s == d)
        s_reg = false; /* add eax, eax: the source is gone after the operation */
    Pend p = {.lfop = LF(kind, sz)};
    if (defer) {
        PendV vs = s < 0 ? pv_imm(imm) : s_reg ? pv_reg(s) : pv(PV_MEM);
        if (s >= 0 && !s_reg && kind != LF_LOGIC)
            st_lf(t, O(lf_b), s);
        if (kind == LF_LOGIC && !test) {
            p.r = d_reg ? pv_reg(d) : pv(PV_MEM);
        } else if (test) {
            /* the interpreter stores TEST's result only: with a memory
             * operand (a cold path) the result is stored now */
            if (d_reg && (s < 0 || s_reg)) {
                p.a = pv_reg(d);
                p.b = vs;
                p.r = pv(PV_DERIVE);
            } else {
                p.r = pv(PV_MEM);
            }
        } else if (!wb) { /* CMP */
            if (!d_reg)
                st_lf(t, O(lf_a), d);
            p.a = d_reg ? pv_reg(d) : pv(PV_MEM);
            p.b = vs;
            p.r = pv(PV_DERIVE);
        } else { /* ADD, SUB */
            p.a = pv(PV_DERIVE);
            p.b = vs;
            p.r = d_reg ? pv_reg(d) : pv(PV_MEM);
        }
    } else if (t->live) {
        if (carry)
            x_setcc(e, CC_B, XM(HCPU, O(lf_aux)));
        if (kind != LF_LOGIC) {
            st_lf(t, O(lf_a), d);
            if (s < 0)
                st_lf_i(t, O(lf_b), imm);
            else
                st_lf(t, O(lf_b), s);
        }
    }
    /* CMP and TEST compute the result (in a copy) when it is to be stored now */
    int r = d, hop2 = hop;
    bool eager_res = t->live && (!defer || (p.r.kind == PV_MEM));
    if (!wb && eager_res) {
        if (d_reg) {
            x_mov_rr(e, 4, T3, d);
            r = T3;
        }
        hop2 = test ? ALU_AND : ALU_SUB;
    }
    if (test && !eager_res) {
        if (s < 0)
            x_test_rm_i(e, S, XR(r), imm);
        else
            x_test_rm_r(e, S, XR(r), s);
    } else if (s < 0) {
        x_alu_rm_i(e, hop2, S, XR(r), imm);
    } else {
        x_alu_rm_r(e, hop2, S, XR(r), s);
    }
    if (eager_res) {
        st_lf(t, O(lf_res), r);
        if (!defer)
            st_lf_i(t, O(lf_op), LF(kind, sz));
    }
    if (wb) {
        if (dst.kind == OPD_MEM)
            st_mem(t, S, d);
        else if (sz < 2)
            st_reg(t, sz, dst.g, d);
    }
    t->pend = defer ? p : no_pend;
    t->lfop = LF(kind, sz);
    t->hf = HF_ALL;
}

static void tr_incdec(Tr *t, const Insn *i, bool dec, int sz, Opd dst)
{
    Emit *e = &t->e;
    int S = 1 << sz;
    int kind = dec ? LF_DEC : LF_INC;
    if (dst.kind == OPD_MEM)
        rm_addr(t, i, S, true);
    if (t->live) {
        need_flags(t, F_CF); /* the carry INC/DEC keep */
        x_setcc(e, CC_B, XM(HCPU, O(lf_aux)));
    }
    int d;
    if (dst.kind == OPD_MEM) {
        d = T1;
        ld_mem(t, S, T1, false);
    } else if (sz == 2) {
        d = H(dst.g);
    } else {
        d = T1;
        ld_reg(t, sz, T1, dst.g, false);
    }
    bool defer = sz == 2 && t->live;
    if (t->live && !defer)
        st_lf(t, O(lf_a), d);
    x_incdec(e, dec, S, XR(d));
    if (t->live && (!defer || d == T1))
        st_lf(t, O(lf_res), d);
    if (t->live && !defer)
        st_lf_i(t, O(lf_op), LF(kind, sz));
    if (dst.kind == OPD_MEM)
        st_mem(t, S, d);
    else if (sz < 2)
        st_reg(t, sz, dst.g, d);
    t->pend = no_pend;
    if (defer)
        t->pend = (Pend){.lfop = LF(kind, 2), .a = pv(PV_DERIVE),
                         .r = d == T1 ? pv(PV_MEM) : pv_reg(d)};
    t->lfop = LF(kind, sz);
    t->hf = (t->hf & F_CF) | (HF_ALL & ~F_CF);
}

/* NOT (neg = false) or NEG */
static void tr_notneg(Tr *t, const Insn *i, bool neg, int sz)
{
    Emit *e = &t->e;
    int S = 1 << sz;
    Opd dst = o_rm(i);
    if (!neg && dst.kind == OPD_REG)
        pend_clobber(t, 1u << (sz == 0 ? (dst.g & 3) : dst.g));
    int d;
    if (dst.kind == OPD_MEM) {
        rm_addr(t, i, S, true);
        d = T1;
        ld_mem(t, S, T1, false);
    } else if (sz == 2) {
        d = H(dst.g);
    } else {
        d = T1;
        ld_reg(t, sz, T1, dst.g, false);
    }
    bool defer = neg && sz == 2 && t->live;
    if (neg && t->live && !defer) {
        st_lf_i(t, O(lf_a), 0);
        st_lf(t, O(lf_b), d);
    }
    x_grp3(e, neg ? 3 : 2, S, XR(d));
    if (neg && t->live && (!defer || d == T1))
        st_lf(t, O(lf_res), d);
    if (neg && t->live && !defer)
        st_lf_i(t, O(lf_op), LF(LF_SUB, sz));
    if (dst.kind == OPD_MEM)
        st_mem(t, S, d);
    else if (sz < 2)
        st_reg(t, sz, dst.g, d);
    if (neg) {
        t->pend = no_pend;
        if (defer)
            t->pend = (Pend){.lfop = LF(LF_SUB, 2), .a = pv_imm(0), .b = pv(PV_DERIVE),
                             .r = d == T1 ? pv(PV_MEM) : pv_reg(d)};
        t->lfop = LF(LF_SUB, sz);
        t->hf = HF_ALL;
    }
}

static void tr_mov(Tr *t, const Insn *i, int sz, Opd dst, Opd src)
{
    Emit *e = &t->e;
    int S = 1 << sz;
    if (dst.kind == OPD_REG) {
        int g = dst.g;
        if (src.kind == OPD_REG) {
            if (sz == 0)
                x_mov_rr(e, 1, H8(g), H8(src.g));
            else
                x_mov_rr(e, S, H(g), H(src.g));
        } else if (src.kind == OPD_IMM) {
            if (sz == 2)
                x_mov_r32_i(e, H(g), src.imm);
            else
                x_mov_rm_i(e, S, XR(sz == 0 ? H8(g) : H(g)), src.imm);
        } else {
            if (sz == 0 && g >= 4) {
                ld_mem(t, 1, T3, false);
                st_reg(t, 0, g, T3);
            } else {
                x_mov_r_rm(e, S, sz == 0 ? g : H(g), t->memop);
            }
        }
        return;
    }
    /* to memory (T0 is the host pointer) */
    if (src.kind == OPD_IMM) {
        x_mov_rm_i(e, S, t->memop, src.imm);
    } else if (sz == 0 && src.g >= 4) {
        ld_reg(t, 0, T3, src.g, false);
        st_mem(t, 1, T3);
    } else {
        st_mem(t, S, sz == 0 ? src.g : H(src.g));
    }
}

static void tr_movx(Tr *t, const Insn *i, bool sign)
{
    Emit *e = &t->e;
    int ssz = (i->op & 1) ? 2 : 1;  /* B6/BE: byte source, B7/BF: word */
    int dsz = i->o32 ? 4 : 2;
    int d = H(i->reg);
    if (!i->mod3) {
        rm_addr(t, i, ssz, false);
        if (dsz == 4) {
            ld_mem(t, ssz, d, sign);
        } else {
            ld_mem(t, ssz, T3, sign);
            x_mov_rr(e, 2, d, T3);
        }
        return;
    }
    ld_reg(t, ssz == 1 ? 0 : 1, T3, i->rm, sign);
    x_mov_rr(e, dsz, d, T3);
}

static void tr_lea(Tr *t, const Insn *i)
{
    int b = i->base, x = i->index;
    int d = H(i->reg), S = i->o32 ? 4 : 2;
    if (b == 8 && x == 8) {
        if (S == 4)
            x_mov_r32_i(&t->e, d, i->disp);
        else
            x_mov_rm_i(&t->e, 2, XR(d), i->disp);
    } else if (x == 8) {
        x_lea(&t->e, S, d, XM(H(b), (int32_t)i->disp));
    } else {
        x_lea(&t->e, S, d, XMI(b == 8 ? -1 : H(b), H(x), i->scale, (int32_t)i->disp));
    }
}

static void tr_shift(Tr *t, const Insn *i, int sz, bool by_cl, unsigned cnt)
{
    Emit *e = &t->e;
    int S = 1 << sz;
    int hop = i->sub == 6 ? SH_SHL : i->sub;
    int kind = hop == SH_SHL ? LF_SHL : hop == SH_SHR ? LF_SHR : LF_SAR;
    Opd dst = o_rm(i);
    if (by_cl)
        pend_flush(t); /* a count of 0 keeps the flags as they are */
    if (dst.kind == OPD_MEM)
        rm_addr(t, i, S, true);
    cnt &= 31;
    if (!by_cl && !cnt)
        return; /* no effect (the memory operand was still checked for writing) */
    int d;
    if (dst.kind == OPD_MEM) {
        d = T1;
        ld_mem(t, S, T1, false);
    } else if (sz == 2) {
        d = H(dst.g);
    } else {
        d = T1;
        ld_reg(t, sz, T1, dst.g, false);
    }
    uint8_t *skip = NULL;
    if (by_cl) {
        x_movzx(e, 1, T3, XR(RCX));
        x_alu_rm_i(e, ALU_AND, 4, XR(T3), 31);
        skip = x_jcc8(e, CC_E); /* count 0: nothing changes, flags included */
    }
    bool defer = !by_cl && sz == 2 && t->live;
    if (t->live)
        st_lf(t, O(lf_a), d);
    if (by_cl)
        x_shift_cl(e, hop, S, XR(d));
    else
        x_shift_i(e, hop, S, XR(d), (int)cnt);
    if (t->live && !defer) {
        st_lf(t, O(lf_res), d);
        if (by_cl)
            st_lf(t, O(lf_b), T3);
        else
            st_lf_i(t, O(lf_b), cnt);
        st_lf_i(t, O(lf_op), LF(kind, sz));
    } else if (defer && d == T1) {
        st_lf(t, O(lf_res), d);
    }
    if (skip)
        x_patch8(skip, e->p);
    if (dst.kind == OPD_MEM)
        st_mem(t, S, d);
    else if (sz < 2)
        st_reg(t, sz, dst.g, d);
    t->pend = no_pend;
    if (by_cl) {
        t->lfop = -1;
        t->hf = 0;
    } else {
        if (defer)
            t->pend = (Pend){.lfop = LF(kind, 2), .a = pv(PV_MEM), .b = pv_imm(cnt),
                             .r = d == T1 ? pv(PV_MEM) : pv_reg(d)};
        t->lfop = LF(kind, sz);
        t->hf = F_ZF | F_SF | F_PF | (cnt < (8u << sz) ? F_CF : 0) | (cnt == 1 ? F_OF : 0);
    }
}

/* Can full_flags put the lazy flags' every arithmetic flag in a register? */
static bool full_flags_ok(const Tr *t)
{
    int kind = t->lfop >> 2;
    return t->lfop == LF(LF_EAGER, 2) ||
           (t->lfop >= 0 && (t->lfop & 3) != 3 &&
            (kind == LF_ADD || kind == LF_SUB || kind == LF_ADC || kind == LF_SBB ||
             kind == LF_INC || kind == LF_DEC || kind == LF_LOGIC));
}

/* T2 = the arithmetic flags (F_ARITH bits, the rest 0) from the lazy flags
 * in the CPU (stored: no pending ones), as lf_compute has them. The logic
 * kinds' AF, which the host's TEST leaves undefined, is lf_af's 0. */
static void full_flags(Tr *t)
{
    Emit *e = &t->e;
    if (t->lfop == LF(LF_EAGER, 2)) {
        x_mov_r_rm(e, 4, T2, XM(HCPU, O(lf_aux)));
    } else {
        emit_flags_redo(t, e, t->lfop);
        x_pushfq(e);
        x_pop(e, T2);
    }
    x_alu_rm_i(e, ALU_AND, 4, XR(T2), F_ARITH & ~((t->lfop >> 2) == LF_LOGIC ? F_AF : 0));
}

/* h_rotflags inline, when the flags before the rotate are cheap to have
 * in full (full_flags_ok). The result is in d (zero-extended); T0 is free
 * once the operand is stored. */
static bool rot_flags_inline(Tr *t, int op, int sz, int d)
{
    Emit *e = &t->e;
    int bits = 8 << sz;
    if (!full_flags_ok(t))
        return false;
    full_flags(t);
    x_alu_rm_i(e, ALU_AND, 4, XR(T2), ~(uint32_t)(F_CF | F_OF));
    /* T3 = the two bits that decide: ROL CF = bit 0, OF = bit 0 ^ the top
     * bit; ROR CF = the top bit, OF = the top bit ^ the one below it */
    x_mov_rr(e, 4, T3, d);
    if (op == SH_ROL) {
        x_shift_i(e, SH_SHR, 4, XR(T3), bits - 1);
        x_alu_rm_i(e, ALU_AND, 4, XR(T3), 1);
        x_mov_rr(e, 4, T0, d);
        x_alu_rm_i(e, ALU_AND, 4, XR(T0), 1); /* CF */
    } else {
        x_shift_i(e, SH_SHR, 4, XR(T3), bits - 2);
        x_alu_rm_i(e, ALU_AND, 4, XR(T3), 3);
        x_mov_rr(e, 4, T0, T3);
        x_shift_i(e, SH_SHR, 4, XR(T0), 1); /* CF: the top bit */
    }
    x_alu_rm_r(e, ALU_OR, 4, XR(T2), T0);
    x_alu_rm_r(e, ALU_XOR, 4, XR(T3), T0); /* ROL: top ^ CF; ROR: both bits ^ top */
    x_alu_rm_i(e, ALU_AND, 4, XR(T3), 1);
    x_shift_i(e, SH_SHL, 4, XR(T3), 11); /* OF */
    x_alu_rm_r(e, ALU_OR, 4, XR(T2), T3);
    x_mov_rm_r(e, 4, XM(HCPU, O(lf_aux)), T2);
    x_mov_rm_i(e, 4, XM(HCPU, O(lf_op)), LF(LF_EAGER, 2));
    return true;
}

/* ROL/ROR by a constant: the rotation, then the flags (when anything can
 * see them) inline or in C. */
static void tr_rot(Tr *t, const Insn *i, int sz, unsigned cnt)
{
    Emit *e = &t->e;
    int S = 1 << sz, bits = 8 << sz;
    Opd dst = o_rm(i);
    pend_flush(t);
    if (dst.kind == OPD_REG)
        pend_clobber(t, reg_bit(sz, dst.g));
    if (dst.kind == OPD_MEM)
        rm_addr(t, i, S, true);
    cnt &= 31;
    if (!cnt)
        return;
    int d;
    if (dst.kind == OPD_MEM) {
        d = T1;
        ld_mem(t, S, T1, false);
    } else if (sz == 2) {
        d = H(dst.g);
    } else {
        d = T1;
        ld_reg(t, sz, T1, dst.g, false);
    }
    unsigned n = cnt & (unsigned)(bits - 1);
    if (n)
        x_shift_i(e, i->sub, S, XR(d), (int)n);
    if (dst.kind == OPD_MEM)
        st_mem(t, S, d);
    else if (sz < 2)
        st_reg(t, sz, dst.g, d);
    if (t->live) {
        if (d == T1 && sz < 2)
            x_movzx(e, S, T1, XR(T1));
        if (!rot_flags_inline(t, i->sub, sz, d)) {
            x_mov_r32_i(e, T2, (uint32_t)(i->sub << 8 | sz));
            light_call(t, (void *)h_rotflags, d, T2);
        }
        t->lfop = LF(LF_EAGER, 2);
    }
    t->hf = 0;
}

/* DIV: EDX:EAX (DX:AX, AX) by r/m on the host, after the checks that
 * would make it #DE (those run in the interpreter, which raises it). */
static void tr_div(Tr *t, const Insn *i, int sz)
{
    Emit *e = &t->e;
    int S = 1 << sz;
    pend_clobber(t, 1u << R_EAX | (sz ? 1u << R_EDX : 0));
    int s;
    if (!i->mod3) {
        rm_addr(t, i, S, false);
        ld_mem(t, S, T2, false);
        s = T2;
    } else if (sz == 2) {
        s = H(i->rm);
    } else {
        ld_reg(t, sz, T2, i->rm, false);
        s = T2;
    }
    x_test_rm_r(e, 4, XR(s), s);
    cold_jcc(t, CC_E);
    /* the quotient fits iff the high half of the dividend is below the divisor */
    if (sz == 0) {
        x_mov_rr(e, 4, T3, RAX);
        x_shift_i(e, SH_SHR, 4, XR(T3), 8);
        x_alu_rm_i(e, ALU_AND, 4, XR(T3), 0xFF);
        x_alu_rm_r(e, ALU_CMP, 4, XR(T3), s);
    } else if (sz == 1) {
        x_movzx(e, 2, T3, XR(RDX));
        x_alu_rm_r(e, ALU_CMP, 4, XR(T3), s);
    } else {
        x_alu_rm_r(e, ALU_CMP, 4, XR(RDX), s);
    }
    cold_jcc(t, CC_AE);
    x_grp3(e, 6, S, XR(s));
    t->hf = 0;
}

/* Two- and three-operand IMUL (0F AF, 69, 6B) */
static void tr_imul(Tr *t, const Insn *i)
{
    Emit *e = &t->e;
    int S = i->o32 ? 4 : 2, sz = i->o32 ? 2 : 1;
    int d = H(i->reg), s;
    if (!i->mod3) {
        rm_addr(t, i, S, false);
        ld_mem(t, S, T3, false);
        s = T3;
    } else {
        s = H(i->rm);
    }
    if (i->op == 0x1AF) {
        x_imul_r_rm(e, S, d, XR(s));
    } else if (fits8((int32_t)i->imm) && (S == 4 || fits8((int16_t)i->imm))) {
        x_op(e, S, 0x6B, d, XR(s));
        e8(e, i->imm);
    } else {
        x_op(e, S, 0x69, d, XR(s));
        x_imm(e, S, i->imm);
    }
    if (t->live) {
        x_setcc(e, CC_O, XM(HCPU, O(lf_aux)));
        if (S == 4) {
            st_lf(t, O(lf_res), d);
        } else {
            x_movzx(e, 2, T3, XR(d));
            st_lf(t, O(lf_res), T3);
        }
        st_lf_i(t, O(lf_op), LF(LF_MUL, sz));
    }
    t->pend = no_pend;
    t->lfop = LF(LF_MUL, sz);
    t->hf = F_CF | F_OF;
}

/* One-operand MUL / IMUL: EDX:EAX (DX:AX, AX) = EAX * r/m, as on the host. */
static void tr_mul1(Tr *t, const Insn *i, int sz)
{
    Emit *e = &t->e;
    int S = 1 << sz;
    XRM src;
    if (!i->mod3) {
        rm_addr(t, i, S, false);
        src = t->memop;
    } else {
        src = XR(sz == 0 ? H8(i->rm) : H(i->rm));
    }
    x_grp3(e, i->sub, S, src);
    if (t->live) {
        x_setcc(e, CC_O, XM(HCPU, O(lf_aux)));
        if (S == 4) {
            st_lf(t, O(lf_res), RAX);
        } else {
            x_movzx(e, S, T3, XR(RAX));
            st_lf(t, O(lf_res), T3);
        }
        st_lf_i(t, O(lf_op), LF(LF_MUL, sz));
    }
    t->pend = no_pend;
    t->lfop = LF(LF_MUL, sz);
    t->hf = F_CF | F_OF;
}

static void tr_xchg(Tr *t, const Insn *i, int sz, int ga, Opd b)
{
    Emit *e = &t->e;
    int S = 1 << sz;
    if (b.kind == OPD_REG) {
        if (sz == 0)
            x_xchg_rm_r(e, 1, XR(H8(b.g)), H8(ga));
        else
            x_xchg_rm_r(e, S, XR(H(b.g)), H(ga));
        return;
    }
    rm_addr(t, i, S, true);
    ld_mem(t, S, T3, false);
    if (sz == 0) {
        ld_reg(t, 0, T2, ga, false);
        st_mem(t, 1, T2);
    } else {
        st_mem(t, S, H(ga));
    }
    st_reg(t, sz, ga, T3);
}

static void tr_setcc(Tr *t, const Insn *i)
{
    int cc = i->sub;
    if (i->mod3)
        pend_clobber(t, 1u << (i->rm & 3));
    else
        rm_addr(t, i, 1, true);
    need_flags(t, cond_flags(cc));
    x_setcc(&t->e, cc, i->mod3 ? XR(H8(i->rm)) : t->memop);
}

static void tr_cmov(Tr *t, const Insn *i)
{
    int S = i->o32 ? 4 : 2, s;
    pend_clobber(t, 1u << i->reg);
    if (!i->mod3)
        rm_addr(t, i, S, false);
    need_flags(t, cond_flags(i->sub)); /* may use T2, T3: before the load */
    if (!i->mod3) {
        ld_mem(t, S, T2, false);
        s = T2;
    } else {
        s = H(i->rm);
    }
    x_cmovcc(&t->e, i->sub, S, H(i->reg), XR(s));
}

/* Branch target check: a near branch beyond the CS limit faults (the
 * interpreter raises it); targets are masked to 16 bits for o16. */
static bool target_ok(const Tr *t, uint32_t target)
{
    return target <= t->b->cs_limit;
}

static uint32_t rel_target(const Insn *i, const JitInsn *ji)
{
    uint32_t tg = ji->next + i->imm;
    return i->o32 ? tg : (tg & 0xFFFF);
}

/* Indirect near transfer to the EIP in T3; push_next for CALL. The caller
 * has stored pending flags that name ESP (they would clobber T3 now). */
static void tr_indirect(Tr *t, bool push_next, uint32_t pop_extra, bool is_ret)
{
    Emit *e = &t->e;
    if (t->b->cs_limit != 0xFFFFFFFFu) {
        x_alu_rm_i(e, ALU_CMP, 4, XR(T3), t->b->cs_limit);
        cold_jcc(t, CC_A);
    }
    if (push_next) {
        Opd v = o_imm(t->ji->next);
        push_val(t, 4, v);
    }
    if (is_ret)
        x_lea(e, 4, R12, XM(R12, (int32_t)(4 + pop_extra)));
    x_mov_rm_r(e, 4, XM(HCPU, O(eip)), T3);
    pend_store(e, &t->pend); /* the target is stored: T2, T3 are free */
    x_lea(e, 8, HIC, XM(HIC, t->k + 1));
    /* The jump cache probed here, as the lookup stub does, so that each
     * site has its own indirect jump for the host's branch predictor; the
     * block's mode (CPL, CS) is the target's. A miss goes to the stub. */
    JitState *js = t->js;
    int user = (t->key & KEY_USER) ? 1 : 0;
    x_mov_r_rm(e, 4, T3, XM(HCPU, O(eip))); /* (pend_store may have used T3) */
    if (t->b->cs_base)
        x_alu_rm_i(e, ALU_ADD, 4, XR(T3), t->b->cs_base);
    x_mov_rr(e, 4, T2, T3);
    x_shift_i(e, SH_SHR, 4, XR(T2), 11);
    x_alu_rm_r(e, ALU_XOR, 4, XR(T2), T3);
    x_alu_rm_i(e, ALU_AND, 4, XR(T2), JC_SIZE - 1);
    x_shift_i(e, SH_SHL, 4, XR(T2), 5);
    x_mov_r64_i64(e, T1, (uint64_t)(uintptr_t)js->jcache);
    x_alu_rm_r(e, ALU_ADD, 8, XR(T2), T1);
    x_alu_r_rm(e, ALU_CMP, 4, T3, XM(T2, offsetof(JitJump, pc)));
    x_jcc(e, CC_NE, js->lookup);
    x_mov_r_rm(e, 4, T1, XM(HCPU, O(jit_mode)));
    x_alu_r_rm(e, ALU_CMP, 4, T1, XM(T2, offsetof(JitJump, mode)));
    x_jcc(e, CC_NE, js->lookup);
    x_mov_rr(e, 4, T1, T3);
    x_shift_i(e, SH_SHR, 4, XR(T1), 12 - 4);
    x_alu_rm_i(e, ALU_AND, 4, XR(T1), (TLB_SIZE - 1) << 4);
    x_alu_rm_i(e, ALU_AND, 4, XR(T3), 0xFFFFF000u);
    x_alu_r_rm(e, ALU_CMP, 4, T3,
               XMI(HCPU, T1, 0,
                   O(tlb) + user * TLB_SIZE * (int32_t)sizeof(TlbEntry) +
                       (int32_t)offsetof(TlbEntry, tag_read)));
    x_jcc(e, CC_NE, js->lookup);
    x_shift_i(e, SH_SHR, 4, XR(T1), 2);
    x_mov_r_rm(e, 4, T1, XMI(HCPU, T1, 0, O(tlb_paddr) + user * TLB_SIZE * 4));
    x_alu_rm_i(e, ALU_AND, 4, XR(T1), 0xFFFFF000u);
    x_alu_r_rm(e, ALU_CMP, 4, T1, XM(T2, offsetof(JitJump, pa)));
    x_jcc(e, CC_NE, js->lookup);
    x_jmp_m(e, XM(T2, offsetof(JitJump, code)));
}

/* MOVS, STOS, LODS, SCAS without REP, 32-bit addresses (the kernel's
 * strcpy and strcmp loops): with DF set, the interpreter runs it. Every
 * cold branch comes before the first register changes. */
static void tr_string(Tr *t, const Insn *i, int sz)
{
    Emit *e = &t->e;
    unsigned op = i->op;
    int size = 1 << sz;
    bool movs = op <= 0xA5, stos = op >= 0xAA && op <= 0xAB, scas = op >= 0xAE;
    if (scas) { /* CMP eAX, ES:[EDI]; EDI += size (LEA keeps the host flags) */
        pend_clobber(t, 1u << R_EDI);
        x_test_rm_i(e, 4, XM(HCPU, O(eflags)), F_DF);
        t->hf = 0;
        cold_jcc(t, CC_NE);
        x_mov_rr(e, 4, T0, H(R_EDI));
        mem(t, S_ES, size, false);
        t->addr_ready = true;
        tr_alu(t, i, ALU_CMP, sz, o_reg(R_EAX), (Opd){OPD_MEM, 0, 0});
        t->addr_ready = false;
        x_lea(e, 4, H(R_EDI), XM(H(R_EDI), size));
        return;
    }
    pend_clobber(t, (stos ? 0 : 1u << R_ESI) | (movs || stos ? 1u << R_EDI : 0) |
                        (movs || stos ? 0 : 1u << R_EAX));
    x_test_rm_i(e, 4, XM(HCPU, O(eflags)), F_DF);
    t->hf = 0;
    cold_jcc(t, CC_NE);
    if (!stos) {
        x_mov_rr(e, 4, T0, H(R_ESI));
        mem(t, i->seg, size, false);
        if (movs)
            ld_mem(t, size, T3, false);
        else
            tr_mov(t, i, sz, o_reg(R_EAX), (Opd){OPD_MEM, 0, 0});
    }
    if (movs || stos) {
        x_mov_rr(e, 4, T0, H(R_EDI));
        mem(t, S_ES, size, true);
        st_mem(t, size, movs ? T3 : H(R_EAX));
        x_lea(e, 4, H(R_EDI), XM(H(R_EDI), size));
    }
    if (!stos)
        x_lea(e, 4, H(R_ESI), XM(H(R_ESI), size));
}

/* Translate instruction k natively (insn_class said so). Returns true if
 * it ended the block. */
static bool tr_native(Tr *t, const Insn *i)
{
    Emit *e = &t->e;
    unsigned op = i->op;
    int vsz = i->o32 ? 2 : 1; /* size of a "v" operand */
    JitInsn *ji = t->ji;

    if (op < 0x40) {
        int alu = (int)i->sub, sz = (op & 1) ? vsz : 0;
        switch (op & 7) {
        case 0: case 1: tr_alu(t, i, alu, sz, o_rm(i), o_reg(i->reg)); break;
        case 2: case 3: tr_alu(t, i, alu, sz, o_reg(i->reg), o_rm(i)); break;
        default: tr_alu(t, i, alu, sz, o_reg(R_EAX), o_imm(i->imm)); break;
        }
        return false;
    }
    switch (op) {
    case 0x80: case 0x82: tr_alu(t, i, i->sub, 0, o_rm(i), o_imm(i->imm)); return false;
    case 0x81: case 0x83: tr_alu(t, i, i->sub, vsz, o_rm(i), o_imm(i->imm)); return false;
    case 0x84: tr_alu(t, i, 8, 0, o_rm(i), o_reg(i->reg)); return false;
    case 0x85: tr_alu(t, i, 8, vsz, o_rm(i), o_reg(i->reg)); return false;
    case 0xA8: tr_alu(t, i, 8, 0, o_reg(R_EAX), o_imm(i->imm)); return false;
    case 0xA9: tr_alu(t, i, 8, vsz, o_reg(R_EAX), o_imm(i->imm)); return false;
    case 0x40 ... 0x4F: tr_incdec(t, i, op >= 0x48, vsz, o_reg(i->reg)); return false;
    case 0xFE: tr_incdec(t, i, i->sub == 1, 0, o_rm(i)); return false;
    case 0xFF:
        switch (i->sub) {
        case 0: case 1: tr_incdec(t, i, i->sub == 1, vsz, o_rm(i)); return false;
        case 2: case 4:
            if (i->sub == 2)
                pend_clobber(t, 1u << R_ESP);
            if (!i->mod3) {
                rm_addr(t, i, 4, false);
                ld_mem(t, 4, T3, false);
            } else {
                x_mov_rr(e, 4, T3, H(i->rm));
            }
            tr_indirect(t, i->sub == 2, 0, false);
            return true;
        default: { /* 6: PUSH r/m */
            int S = i->o32 ? 4 : 2;
            pend_clobber(t, 1u << R_ESP);
            if (!i->mod3) {
                rm_addr(t, i, S, false);
                ld_mem(t, S, T3, false);
                push_val(t, S, (Opd){OPD_MEM, 0, 0});
            } else {
                push_val(t, S, o_reg(i->rm));
            }
            return false;
        }
        }
    case 0xF6: case 0xF7: {
        int sz = op == 0xF6 ? 0 : vsz;
        switch (i->sub) {
        case 0: case 1: tr_alu(t, i, 8, sz, o_rm(i), o_imm(i->imm)); break;
        case 2: tr_notneg(t, i, false, sz); break;
        case 3: tr_notneg(t, i, true, sz); break;
        case 6: tr_div(t, i, sz); break;
        default: tr_mul1(t, i, sz); break;
        }
        return false;
    }
    case 0xA4: case 0xA5: case 0xAA: case 0xAB: case 0xAC: case 0xAD: case 0xAE: case 0xAF:
        tr_string(t, i, (op & 1) ? vsz : 0);
        return false;
    case 0x1B1: { /* CMPXCHG m32, r32: the flags of CMP EAX, m32 */
        rm_addr(t, i, 4, true); /* it writes either way */
        ld_mem(t, 4, T1, false);
        if (t->live) {
            st_lf(t, O(lf_a), RAX);
            st_lf(t, O(lf_b), T1);
            x_mov_rr(e, 4, T3, RAX);
            x_alu_rm_r(e, ALU_SUB, 4, XR(T3), T1);
            st_lf(t, O(lf_res), T3);
            st_lf_i(t, O(lf_op), LF(LF_SUB, 2));
        }
        x_alu_rm_r(e, ALU_CMP, 4, XR(RAX), T1);
        uint8_t *ne = x_jcc8(e, CC_NE);
        st_mem(t, 4, H(i->reg));
        uint8_t *done = x_jmp8(e);
        x_patch8(ne, e->p);
        x_mov_rr(e, 4, RAX, T1);
        x_patch8(done, e->p);
        t->pend = no_pend;
        t->lfop = LF(LF_SUB, 2);
        t->hf = HF_ALL;
        return false;
    }
    case 0x9C: /* PUSHF: EFLAGS without VM and RF */
        pend_flush(t);
        if (full_flags_ok(t)) {
            full_flags(t);
        } else { /* a kind known only at run time */
            light_call(t, (void *)h_lf_compute, -1, -1);
            x_mov_rr(e, 4, T2, T3);
            x_alu_rm_i(e, ALU_AND, 4, XR(T2), F_ARITH);
        }
        x_mov_r_rm(e, 4, T3, XM(HCPU, O(eflags)));
        x_alu_rm_i(e, ALU_AND, 4, XR(T3), ~(uint32_t)(F_ARITH | F_VM | F_RF));
        x_alu_rm_r(e, ALU_OR, 4, XR(T3), T2);
        x_alu_rm_i(e, ALU_OR, 4, XR(T3), 2); /* the bit that is always 1 */
        push_val(t, 4, (Opd){OPD_MEM, 0, 0});
        t->hf = 0;
        return false;
    case 0xFA: /* CLI */
        x_alu_rm_i(e, ALU_CMP, 4, XM(HCPU, O(cpl)), 0);
        t->hf = 0;
        cold_jcc(t, CC_NE);
        x_alu_rm_i(e, ALU_AND, 4, XM(HCPU, O(eflags)), ~(uint32_t)F_IF);
        return false;
    case 0x131: /* RDTSC */
        pend_clobber(t, 1u << R_EAX | 1u << R_EDX);
        light_call(t, (void *)h_rdtsc, -1, -1);
        x_test_rm_r(e, 4, XR(T3), T3);
        cold_jcc(t, CC_NE);
        return false;
    case 0x88: case 0x89: case 0x8A: case 0x8B: {
        int sz = (op & 1) ? vsz : 0;
        bool to_rm = op <= 0x89;
        if (to_rm ? i->mod3 : true)
            pend_clobber(t, reg_bit(sz, to_rm ? i->rm : i->reg));
        if (!i->mod3)
            rm_addr(t, i, 1 << sz, to_rm);
        if (to_rm)
            tr_mov(t, i, sz, o_rm(i), o_reg(i->reg));
        else
            tr_mov(t, i, sz, o_reg(i->reg), o_rm(i));
        return false;
    }
    case 0xC6: case 0xC7: {
        int sz = op == 0xC6 ? 0 : vsz;
        if (i->mod3)
            pend_clobber(t, reg_bit(sz, i->rm));
        if (!i->mod3)
            rm_addr(t, i, 1 << sz, true);
        tr_mov(t, i, sz, o_rm(i), o_imm(i->imm));
        return false;
    }
    case 0xB0 ... 0xB7:
        pend_clobber(t, reg_bit(0, i->reg));
        tr_mov(t, i, 0, o_reg(i->reg), o_imm(i->imm));
        return false;
    case 0xB8 ... 0xBF:
        pend_clobber(t, 1u << i->reg);
        tr_mov(t, i, vsz, o_reg(i->reg), o_imm(i->imm));
        return false;
    case 0xA0 ... 0xA3: {
        int sz = (op & 1) ? vsz : 0;
        if (op <= 0xA1)
            pend_clobber(t, 1u << R_EAX);
        x_mov_r32_i(e, T0, i->disp);
        mem(t, i->seg, 1 << sz, op >= 0xA2);
        if (op >= 0xA2)
            tr_mov(t, i, sz, (Opd){OPD_MEM, 0, 0}, o_reg(R_EAX));
        else
            tr_mov(t, i, sz, o_reg(R_EAX), (Opd){OPD_MEM, 0, 0});
        return false;
    }
    case 0x8D:
        pend_clobber(t, 1u << i->reg);
        tr_lea(t, i);
        return false;
    case 0x1B6: case 0x1B7: case 0x1BE: case 0x1BF:
        pend_clobber(t, 1u << i->reg);
        tr_movx(t, i, op >= 0x1BE);
        return false;
    case 0x50 ... 0x57:
        pend_clobber(t, 1u << R_ESP);
        if (t->stack_grp[t->k] >= 0) {
            x_mov_rm_r(e, 4, stack_slot(t, t->stack_grp[t->k], -4), H(i->reg));
            x_lea(e, 4, R12, XM(R12, -4));
            return false;
        }
        push_val(t, i->o32 ? 4 : 2, o_reg(i->reg));
        return false;
    case 0x68: case 0x6A:
        pend_clobber(t, 1u << R_ESP);
        if (t->stack_grp[t->k] >= 0) {
            x_mov_rm_i(e, 4, stack_slot(t, t->stack_grp[t->k], -4), i->imm);
            x_lea(e, 4, R12, XM(R12, -4));
            return false;
        }
        push_val(t, i->o32 ? 4 : 2, o_imm(i->imm));
        return false;
    case 0x58 ... 0x5F: {
        int S = i->o32 ? 4 : 2;
        pend_clobber(t, 1u << R_ESP | 1u << i->reg);
        if (t->stack_grp[t->k] >= 0) {
            x_mov_r_rm(e, 4, H(i->reg), stack_slot(t, t->stack_grp[t->k], 0));
            x_lea(e, 4, R12, XM(R12, 4));
            return false;
        }
        x_mov_rr(e, 4, T0, R12);
        mem_mt(t, S_SS, S, false, 0);
        ld_mem(t, S, T3, false);
        x_lea(e, 4, R12, XM(R12, S));
        x_mov_rr(e, S, H(i->reg), T3);
        return false;
    }
    case 0xC9: /* LEAVE */
        pend_clobber(t, 1u << R_ESP | 1u << R_EBP);
        x_mov_rr(e, 4, T0, RBP);
        mem_mt(t, S_SS, 4, false, 1);
        ld_mem(t, 4, T3, false);
        x_lea(e, 4, R12, XM(RBP, 4));
        x_mov_rr(e, 4, RBP, T3);
        return false;
    case 0x70 ... 0x7F: case 0x180 ... 0x18F: {
        uint32_t tg = rel_target(i, ji);
        if (!target_ok(t, tg)) {
            fallback(t);
            exit_chain(t, ji->next, t->k + 1);
            return true;
        }
        need_flags(t, cond_flags(i->sub));
        uint8_t *j = x_jcc(e, i->sub ^ 1, NULL);
        exit_chain(t, tg, t->k + 1);
        x_patch(j, e->p);
        exit_chain(t, ji->next, t->k + 1);
        return true;
    }
    case 0xEB: case 0xE9: {
        uint32_t tg = rel_target(i, ji);
        if (!target_ok(t, tg))
            fallback(t);
        exit_chain(t, tg, t->k + 1);
        return true;
    }
    case 0xE8: {
        uint32_t tg = rel_target(i, ji);
        if (!target_ok(t, tg)) {
            fallback(t);
            exit_chain(t, tg, t->k + 1);
            return true;
        }
        pend_clobber(t, 1u << R_ESP);
        push_val(t, 4, o_imm(ji->next));
        exit_chain(t, tg, t->k + 1);
        return true;
    }
    case 0xC3: case 0xC2:
        pend_clobber(t, 1u << R_ESP);
        x_mov_rr(e, 4, T0, R12);
        mem_mt(t, S_SS, 4, false, 0);
        ld_mem(t, 4, T3, false);
        tr_indirect(t, false, op == 0xC2 ? (i->imm & 0xFFFF) : 0, true);
        return true;
    case 0x190 ... 0x19F: tr_setcc(t, i); return false;
    case 0x140 ... 0x14F: tr_cmov(t, i); return false;
    case 0xC0: case 0xC1: case 0xD0: case 0xD1: {
        int sz = (op & 1) ? vsz : 0;
        unsigned cnt = op >= 0xD0 ? 1 : i->imm;
        if (i->sub == SH_ROL || i->sub == SH_ROR)
            tr_rot(t, i, sz, cnt);
        else
            tr_shift(t, i, sz, false, cnt);
        return false;
    }
    case 0xD2: case 0xD3: tr_shift(t, i, op == 0xD2 ? 0 : vsz, true, 0); return false;
    case 0x1AF: case 0x69: case 0x6B: tr_imul(t, i); return false;
    case 0x86: case 0x87: {
        int sz = op == 0x86 ? 0 : vsz;
        pend_clobber(t, reg_bit(sz, i->reg) | (i->mod3 ? reg_bit(sz, i->rm) : 0));
        tr_xchg(t, i, sz, i->reg, o_rm(i));
        return false;
    }
    case 0x90:
        if (i->rep != 0xF3)
            return false;
        /* PAUSE: the time of PAUSE_ICOUNT instructions, as pause_wait
         * counts it, but not past the budget (icount_limit) */
        x_mov_r_rm(e, 8, T3, XM(HCPU, O(icount_limit)));
        x_lea(e, 8, T2, XM(HIC, t->k + 1)); /* icount once it retires */
        x_alu_rm_r(e, ALU_SUB, 8, XR(T3), T2);  /* room: none if that is past the limit */
        x_mov_r32_i(e, T2, 0);
        x_cmovcc(e, CC_B, 8, T3, XR(T2));
        x_mov_r32_i(e, T2, PAUSE_ICOUNT - 1);
        x_alu_rm_r(e, ALU_CMP, 8, XR(T3), T2);
        x_cmovcc(e, CC_A, 8, T3, XR(T2));
        x_alu_rm_r(e, ALU_ADD, 8, XR(HIC), T3);
        t->hf = 0;
        exit_chain(t, ji->next, t->k + 1);
        return true;
    case 0x91 ... 0x97:
        pend_clobber(t, 1u << R_EAX | 1u << i->reg);
        tr_xchg(t, i, vsz, R_EAX, o_reg(i->reg));
        return false;
    case 0x98: case 0x99:
        pend_clobber(t, op == 0x98 ? 1u << R_EAX : 1u << R_EDX);
        if (!i->o32)
            e8(e, 0x66);
        e8(e, op);
        return false;
    case 0xFC: case 0xFD:
        x_alu_rm_i(e, op == 0xFC ? ALU_AND : ALU_OR, 4, XM(HCPU, O(eflags)),
                   op == 0xFC ? ~F_DF : F_DF);
        t->hf = 0;
        return false;
    case 0x118 ... 0x11F: return false;
    case 0x1C8 ... 0x1CF:
        pend_clobber(t, 1u << i->reg);
        x_bswap(e, H(i->reg));
        return false;
    }
    assert(!"insn_class and tr_native disagree");
    return false;
}

/* ---- EBP frame groups
 *
 * Code compiled with frame pointers reads and writes its locals at
 * [EBP + disp] again and again. In a run of instructions that leaves EBP
 * and T4 alone and runs no instruction in the interpreter, such accesses
 * form a group: the first checks once that the group's whole span is in
 * one writable page (frame_check), and each access then has [EBP + T4 +
 * disp], T4 being the page's addend, as its operand (Tr.memop). Groups
 * span at most FRAME_SPAN_MAX bytes and have at least two accesses. */
#define FRAME_SPAN_MAX 256

/* Might i write register reg (EBP for frame groups, ESP for stack groups)
 * or T4, or run in the interpreter? Then a group ends before it.
 * Conservative: a register operand numbered reg that may be written counts,
 * even if it is a byte register (CH, AH). Stack operations all count; stack
 * groups take their own members out first. */
static bool group_breaks(const Insn *i, unsigned cls, int reg)
{
    unsigned op = i->op;
    if (!(cls & C_NATIVE) || (cls & C_END))
        return true;
    if ((op >= 0x50 && op <= 0x5F) || op == 0x68 || op == 0x6A || op == 0xC9 || op == 0x9C ||
        op == 0x9D || (op == 0xFF && i->sub >= 2))
        return true; /* stack: T4, ESP, EBP */
    unsigned f = op_table[op].flags;
    if ((f & D_M) && i->mod3 && i->rm == reg)
        return true;
    if (!(f & D_GRP) && ((f & (D_M | D_REG)) && i->reg == reg)) {
        bool src = (op < 0x40 && (op & 7) < 2) || (op >= 0x38 && op <= 0x3B) || op == 0x84 ||
                   op == 0x85 || op == 0x88 || op == 0x89;
        return !src;
    }
    return false;
}

static bool frame_breaks(const Insn *i, unsigned cls)
{
    return group_breaks(i, cls, R_EBP);
}

/* Groups of one access go; after a group's check (in its first access,
 * which may still leave for the interpreter) an access cannot fault, so
 * for the flags' liveness it is no memory access. DIV's #DE still is. */
static void groups_finish(Tr *t, int8_t *grp, const int8_t *count)
{
    bool seen[JIT_MAX_INSNS] = {false};
    for (int k = 0; k < t->n; k++) {
        int gk = grp[k];
        if (gk < 0)
            continue;
        if (count[gk] < 2) {
            grp[k] = -1; /* one access: the usual probe is as cheap */
            continue;
        }
        const Insn *i = &t->b->insns[k].insn;
        if (seen[gk] && !((i->op == 0xF6 || i->op == 0xF7) && i->sub >= 6))
            t->cls[k] &= ~(unsigned)C_MEM;
        seen[gk] = true;
    }
}

static void frame_scan(Tr *t)
{
    int g = -1;
    int32_t lo = 0, hi = 0;
    t->frame_cur = -1;
    t->nfc = 0;
    int ngrp = 0;
    int8_t count[JIT_MAX_INSNS] = {0};
    for (int k = 0; k < t->n; k++) {
        const Insn *i = &t->b->insns[k].insn;
        unsigned c = t->cls[k];
        t->frame_grp[k] = -1;
        if (frame_breaks(i, c)) {
            g = -1;
            continue;
        }
        if (!(c & C_MEM) || !(op_table[i->op].flags & D_M) || i->mod3 || !i->a32 ||
            i->base != R_EBP || i->index != 8 || !(t->key & KEY_FLAT(i->seg)))
            continue;
        int32_t d = (int32_t)i->disp;
        if (g >= 0) {
            int32_t nlo = d < lo ? d : lo, nhi = d + 4 > hi ? d + 4 : hi;
            if ((int64_t)nhi - nlo <= FRAME_SPAN_MAX) {
                lo = nlo, hi = nhi;
                goto join;
            }
        }
        g = ngrp++;
        lo = d, hi = d + 4;
    join:
        t->frame_grp[k] = (int8_t)g;
        t->grp_lo[g] = lo;
        t->grp_span[g] = (uint32_t)(hi - lo);
        count[g]++;
    }
    groups_finish(t, t->frame_grp, count);
}

/* A stack group member: PUSH r32, PUSH imm32, POP r32 (not POP ESP). The
 * slot it uses relative to ESP before it, and how it moves ESP. */
static bool stack_member(const Insn *i, int32_t *slot, int32_t *move)
{
    unsigned op = i->op;
    if (!i->o32)
        return false;
    if ((op >= 0x50 && op <= 0x57) || op == 0x68 || op == 0x6A) {
        *slot = -4, *move = -4;
        return true;
    }
    if (op >= 0x58 && op <= 0x5F && op != 0x5C) {
        *slot = 0, *move = 4;
        return true;
    }
    return false;
}

static bool stack_breaks(const Insn *i, unsigned cls)
{
    return group_breaks(i, cls, R_ESP);
}

/* Stack groups: like frame groups, for runs of PUSH and POP with nothing
 * else moving ESP between them. The first checks that every slot the run
 * uses (relative to ESP there) is in the ESP page cache's page; each member
 * is then one access through the page's addend and an LEA on ESP. */
static void stack_scan(Tr *t)
{
    int g = -1, ngrp = 0;
    int32_t lo = 0, hi = 0, esp = 0;
    int8_t count[JIT_MAX_INSNS] = {0};
    t->stack_cur = -1;
    for (int k = 0; k < t->n; k++) {
        const Insn *i = &t->b->insns[k].insn;
        int32_t slot, move;
        t->stack_grp[k] = -1;
        if (!(t->key & KEY_FLAT(S_SS)) || !stack_member(i, &slot, &move)) {
            if (stack_breaks(i, t->cls[k]))
                g = -1;
            continue;
        }
        if (g >= 0) {
            int32_t nlo = esp + slot < lo ? esp + slot : lo;
            int32_t nhi = esp + slot + 4 > hi ? esp + slot + 4 : hi;
            if (nhi - nlo <= FRAME_SPAN_MAX) {
                lo = nlo, hi = nhi;
                goto join;
            }
        }
        g = ngrp++;
        esp = 0;
        lo = slot, hi = slot + 4;
    join:
        t->stack_grp[k] = (int8_t)g;
        t->sgrp_lo[g] = lo;
        t->sgrp_span[g] = (uint32_t)(hi - lo);
        count[g]++;
        esp += move;
    }
    groups_finish(t, t->stack_grp, count);
}

/* Where a group's check failed: fill the page cache from the TLB if the
 * span is in one page there (then back, the addend in its register), else
 * leave the block before instruction k; the interpreter runs the rest of
 * it. */
static void span_check_tail(Tr *t, const FrameCheck *f)
{
    Emit *e = &t->e;
    int32_t tlb = O(tlb) + ((t->key & KEY_USER) ? TLB_SIZE * (int32_t)sizeof(TlbEntry) : 0);
    x_patch(f->jcc, e->p);
    x_mov_rr(e, 8, T1, T0);
    x_shift_i(e, SH_SHR, 8, XR(T1), 32);
    uint8_t *wrap = x_jcc(e, CC_NE, NULL); /* below 0 or past 4 GiB */
    x_lea(e, 4, T2, XM(T0, (int32_t)f->span - 1));
    x_alu_rm_r(e, ALU_XOR, 4, XR(T2), T0);
    x_test_rm_i(e, 4, XR(T2), 0xFFFFF000u);
    uint8_t *cross = x_jcc(e, CC_NE, NULL);
    x_mov_rr(e, 4, T1, T0);
    x_shift_i(e, SH_SHR, 4, XR(T1), 12 - 4);
    x_alu_rm_i(e, ALU_AND, 4, XR(T1), (TLB_SIZE - 1) << 4);
    x_mov_rr(e, 4, T2, T0);
    x_alu_rm_i(e, ALU_AND, 4, XR(T2), 0xFFFFF000u);
    x_alu_r_rm(e, ALU_CMP, 4, T2, XMI(HCPU, T1, 0, tlb + (int32_t)offsetof(TlbEntry, tag_write)));
    uint8_t *miss = x_jcc(e, CC_NE, NULL);
    int reg = f->mt ? T4 : T1;
    x_mov_r_rm(e, 8, reg, XMI(HCPU, T1, 0, tlb + (int32_t)offsetof(TlbEntry, addend)));
    x_mov_rm_r(e, 8, XM(HCPU, O(mtlb_addend) + 8 * f->mt), reg);
    x_mov_rm_r(e, 8, XM(HCPU, O(mtlb_page) + 8 * f->mt), T2);
    x_jmp(e, f->ok);
    x_patch(wrap, e->p);
    x_patch(cross, e->p);
    x_patch(miss, e->p);
    pend_store(e, &f->pend);
    x_lea(e, 8, HIC, XM(HIC, f->k));
    x_mov_rm_i(e, 4, XM(HCPU, O(eip)), f->ji->eip);
    x_mov_rm_i(e, 1, XM(HCPU, O(jit_interp)), 1);
    x_mov_r32_i(e, T3, R_NORMAL);
    x_jmp(e, t->js->exit_spill);
}

/* Emit the cold paths and exit stubs after the block's body. */
static void emit_tail(Tr *t)
{
    Emit *e = &t->e;
    JitState *js = t->js;
    for (int k = 0; k < t->ncold; k++) {
        ColdRef *r = &t->cold[k];
        x_patch(r->jcc, e->p);
        pend_store(e, &r->pend);
        x_mov_r64_i64(e, T4, (uint64_t)(uintptr_t)r->ji);
        x_call(e, js->fallback);
        if (r->frame)
            x_mov_r_rm(e, 8, T4, XM(HCPU, O(jit_frame)));
        if (r->hf)
            emit_flags_redo(t, e, r->lfop);
        x_jmp(e, r->resume);
    }
    for (int k = 0; k < t->nfc; k++)
        span_check_tail(t, &t->fc[k]);
    for (int k = 0; k < t->nstub; k++) {
        StubRef *s = &t->stub[k];
        JitExit *x = alloc_meta(js, sizeof *x);
        x->rel32 = s->jmp;
        x->stub = e->p;
        x->src_page = t->b->pc & ~0xFFFu;
        x->to = NULL;
        x_patch(s->jmp, e->p);
        x_mov_rm_i(e, 4, XM(HCPU, O(eip)), s->eip);
        x_mov_r64_i64(e, T3, (uint64_t)(uintptr_t)x);
        x_mov_rm_r(e, 8, XM(HCPU, O(jit_exit)), T3);
        x_mov_r32_i(e, T3, R_CHAIN);
        x_jmp(e, js->exit_spill);
    }
}

/* Translated code checking that linear page lin is still mapped (in the
 * TLB of the user or kernel class) to physical page pa, and that the
 * generation of page pg (pa's, or the one past RAM) is still gen; each
 * failed check jumps to to, or, if to is NULL, to a jump left in jcc[] for
 * the caller to patch. */
static void emit_page_check(Emit *e, int user, uint32_t lin, uint32_t pa, uint32_t pg,
                            uint32_t gen, uint8_t *to, uint8_t *jcc[3])
{
    uint32_t slot = (lin >> 12) & (TLB_SIZE - 1);
    x_mov_r_rm(e, 4, T3, XM(HCPU, O(tlb) + (int32_t)((user * TLB_SIZE + slot) * sizeof(TlbEntry) +
                                                     offsetof(TlbEntry, tag_read))));
    x_alu_rm_i(e, ALU_CMP, 4, XR(T3), lin);
    jcc[0] = x_jcc(e, CC_NE, to);
    x_mov_r_rm(e, 4, T3, XM(HCPU, O(tlb_paddr) + (int32_t)((user * TLB_SIZE + slot) * 4)));
    x_alu_rm_i(e, ALU_AND, 4, XR(T3), 0xFFFFF000u);
    x_alu_rm_i(e, ALU_CMP, 4, XR(T3), pa);
    jcc[1] = x_jcc(e, CC_NE, to);
    x_mov_r_rm(e, 8, T3, XM(HCPU, O(page_gen)));
    x_alu_rm_i(e, ALU_CMP, 4, XM(T3, (int32_t)(pg * 4)), gen);
    jcc[2] = x_jcc(e, CC_NE, to);
}

/* The first instruction at pc runs into the next linear page: decode it
 * from both pages' bytes if that page is mapped (in the TLB) to RAM, for
 * a block of this one instruction. Code in a limited CS segment, or whose
 * next page is not at hand, is left to the interpreter. */
static bool decode_cross(CPU *c, uint32_t pc, const uint8_t *host, int avail, JitInsn *ji,
                         uint32_t *lin2, uint32_t *pa2)
{
    if (c->seg[S_CS].limit != 0xFFFFFFFFu)
        return false;
    uint32_t l2 = (pc & ~0xFFFu) + 0x1000u, slot = (l2 >> 12) & (TLB_SIZE - 1);
    const TlbEntry *e = &c->tlbp[slot];
    if (e->tag_read != l2)
        return false;
    uint32_t p2 = c->tlb_paddr[c->cpl == 3][slot] & ~0xFFFu;
    if ((p2 >> 12) >= c->ram_pages)
        return false;
    uint8_t buf[16];
    memcpy(buf, host, (size_t)avail);
    memcpy(buf + avail, (const uint8_t *)(e->addend + l2), sizeof buf - (size_t)avail);
    bool ends;
    if (!cpu_decode_buf(c, buf, (int)sizeof buf, &ji->insn, &ends) || ji->insn.len <= avail)
        return false;
    *lin2 = l2;
    *pa2 = p2;
    return true;
}

/* Is b's second page (if it has one) still what it was translated from? */
static bool page2_ok(CPU *c, const JitBlock *b)
{
    if (b->pa2 == NO_PAGE)
        return true;
    uint32_t slot = (b->lin2 >> 12) & (TLB_SIZE - 1);
    return c->tlbp[slot].tag_read == b->lin2 &&
           (c->tlb_paddr[c->cpl == 3][slot] & ~0xFFFu) == b->pa2 &&
           c->page_gen[b->pa2 >> 12] == b->gen2;
}

/* Decode and translate the block at pc (eip in CS, physical pa, host bytes
 * at host). NULL if its first instruction cannot be decoded from this page. */
static JitBlock *translate(CPU *c, uint32_t pc, uint32_t pa, const uint8_t *host, uint32_t gen,
                           uint32_t key)
{
    JitState *js = c->jit;
    static Tr tbuf; /* big; translation is not re-entered */
    Tr *t = &tbuf;
    JitInsn tmp[JIT_MAX_INSNS];
    uint32_t eip = c->eip;
    int avail = 4096 - (int)(pa & 0xFFF), off = 0, n = 0;
    bool ends = false;
    while (n < JIT_MAX_INSNS && !ends &&
           cpu_decode_buf(c, host + off, avail - off, &tmp[n].insn, &ends)) {
        tmp[n].eip = eip + (uint32_t)off;
        off += tmp[n].insn.len;
        tmp[n].next = eip + (uint32_t)off;
        tmp[n].k = (uint32_t)n;
        unsigned op = tmp[n].insn.op;
        if ((op >= 0x70 && op <= 0x7F) || (op >= 0x180 && op <= 0x18F) ||
            (op == 0x90 && tmp[n].insn.rep == 0xF3)) /* Jcc; PAUSE (see tr_native) */
            ends = true;
        n++;
    }
    uint32_t lin2 = 0, pa2 = NO_PAGE;
    if (!n && avail < 16 && decode_cross(c, pc, host, avail, &tmp[0], &lin2, &pa2)) {
        tmp[0].eip = eip;
        tmp[0].next = eip + tmp[0].insn.len;
        tmp[0].k = 0;
        n = 1;
    }
    if (!n)
        return NULL;

    for (int attempt = 0; attempt < 2; attempt++) {
        size_t need = (size_t)n * INSN_CODE_MAX + 256;
        size_t meta = sizeof(JitBlock) + (size_t)n * sizeof(JitInsn) +
                      (size_t)(n + 4) * (sizeof(JitExit) + 16) + 64;
        if (js->meta_used + meta > META_SIZE || js->code_used + need > CODE_SIZE) {
            jit_flush(c);
            continue;
        }
        JitBlock *b = alloc_meta(js, sizeof(JitBlock) + (size_t)n * sizeof(JitInsn));
        *b = (JitBlock){.pc = pc, .paddr = pa, .cs_base = c->seg[S_CS].base,
                        .cs_limit = c->seg[S_CS].limit, .key = key, .gen = gen,
                        .lin2 = lin2, .pa2 = pa2,
                        .gen2 = pa2 == NO_PAGE ? 0 : c->page_gen[pa2 >> 12], .n = (uint32_t)n};
        memcpy(b->insns, tmp, (size_t)n * sizeof(JitInsn));

        memset(t, 0, offsetof(Tr, cold));
        t->c = c;
        t->js = js;
        t->b = b;
        t->n = n;
        t->key = key;
        t->lfop = -1;
        t->hf = 0;
        t->pend = no_pend;
        t->ncold = t->nstub = 0;
        t->e = (Emit){.p = js->code + js->code_used, .start = js->code + js->code_used,
                      .end = js->code + CODE_SIZE};
        for (int k = 0; k < n; k++)
            t->cls[k] = insn_class(&b->insns[k].insn);
        frame_scan(t);
        stack_scan(t);

        Emit *e = &t->e;
        uint32_t pg = pa >> 12;
        if (pg > c->ram_pages)
            pg = c->ram_pages;
        b->entry = e->p;
        x_mov_r_rm(e, 8, T3, XM(HCPU, O(page_gen)));
        x_alu_rm_i(e, ALU_CMP, 4, XM(T3, (int32_t)(pg * 4)), gen);
        uint8_t *stale = x_jcc(e, CC_NE, NULL);
        b->entry_same = e->p;
        uint8_t *stale2[3] = {NULL, NULL, NULL};
        if (pa2 != NO_PAGE) /* the second page: mapped as it was, and unchanged */
            emit_page_check(e, (key & KEY_USER) ? 1 : 0, lin2, pa2, pa2 >> 12, b->gen2, NULL,
                            stale2);
        x_lea(e, 8, T3, XM(HIC, n));
        x_alu_r_rm(e, ALU_CMP, 8, T3, XM(HCPU, O(icount_limit)));
        uint8_t *budget = x_jcc(e, CC_A, NULL);

        bool ended = false;
        for (int k = 0; k < n && !ended; k++) {
            JitInsn *ji = &b->insns[k];
            const Insn *i = &ji->insn;
            t->k = k;
            t->ji = ji;
            t->cold_insn = t->ncold;
            t->live = flags_live(t, k);
            if (frame_breaks(&ji->insn, t->cls[k]))
                t->frame_cur = -1;
            if (t->stack_grp[k] < 0 && stack_breaks(&ji->insn, t->cls[k]))
                t->stack_cur = -1;
            t->memop = XM(T0, 0);
            if (t->cls[k] & C_NATIVE) {
                ended = tr_native(t, i);
            } else {
                fallback(t);
                if (op_table[i->op].flags & D_END || k == n - 1) {
                    exit_chain(t, ji->next, k + 1);
                    ended = true;
                }
            }
            /* where this instruction's cold paths come back */
            uint8_t *resume = e->p;
            if (ended && t->ncold > t->cold_insn) {
                resume = e->p;
                exit_normal(t, k + 1);
            }
            for (int r = t->cold_insn; r < t->ncold; r++) {
                t->cold[r].resume = resume;
                t->cold[r].lfop = t->lfop;
                t->cold[r].hf = t->hf;
            }
        }
        if (!ended)
            exit_chain(t, b->insns[n - 1].next, n);
        /* leaving before running: the block's page changed, or no budget */
        x_patch(stale, e->p);
        for (int q = 0; q < 3; q++)
            if (stale2[q])
                x_patch(stale2[q], e->p);
        x_mov_rm_i(e, 4, XM(HCPU, O(eip)), eip);
        x_mov_r32_i(e, T3, R_STALE);
        x_jmp(e, js->exit_spill);
        x_patch(budget, e->p);
        x_mov_rm_i(e, 4, XM(HCPU, O(eip)), eip);
        x_mov_r32_i(e, T3, R_BUDGET);
        x_jmp(e, js->exit_spill);
        emit_tail(t);
        assert(e->p <= js->code + js->code_used + need);
        if (js->perfmap) {
            fprintf(js->perfmap, "%lx %lx guest_%08x\n", (unsigned long)(uintptr_t)b->entry,
                    (unsigned long)(e->p - b->entry), pc);
            if (js->blockdump) { /* the guest bytes, and the host code, for objdump */
                uint32_t glen = b->insns[n - 1].next - eip;
                if (glen > (uint32_t)avail)
                    glen = (uint32_t)avail; /* a crossing instruction: this page's part */
                fprintf(js->blockdump, "guest_%08x %u %lx %lu\n", pc, glen,
                        (unsigned long)(uintptr_t)b->entry, (unsigned long)(e->p - b->entry));
                for (uint32_t k = 0; k < glen; k++)
                    fprintf(js->blockdump, "%02x", host[k]);
                fputc('\n', js->blockdump);
                for (uint8_t *q = b->entry; q < e->p; q++)
                    fprintf(js->blockdump, "%02x", *q);
                fputc('\n', js->blockdump);
            }
        }
        js->code_used = ((size_t)(e->p - js->code) + 15) & ~(size_t)15;
        js->blocks++;
        code_page_mark(c, pa, b->insns[n - 1].next - eip);
        if (pa2 != NO_PAGE)
            code_page_mark(c, pa2, b->insns[0].insn.len - (uint32_t)avail);
        return b;
    }
    return NULL;
}

/* ------------------------------------------------------------------ lookup and the run loop */

static uint32_t jit_key(CPU *c)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM) || !c->code32 || !c->stack32)
        return KEY_NONE;
    uint32_t k = c->cpl == 3 ? KEY_USER : 0;
    for (int s = 0; s < 6; s++)
        if (c->seg[s].base == 0 && c->seg_lim_r[s] == 0xFFFFFFFFll &&
            c->seg_lim_w[s] == 0xFFFFFFFFll)
            k |= KEY_FLAT(s);
    return k;
}

static inline uint32_t jhash(uint32_t pc, uint32_t key)
{
    return ((pc ^ (pc >> 13) ^ (key * 0x9E3779B1u)) * 0x85EBCA6Bu) >> (32 - JHASH_BITS);
}

static JitBlock *find(JitState *js, CPU *c, uint32_t pc, uint32_t pa, uint32_t key,
                      JitBlock ***slot_out)
{
    JitBlock **pp = &js->hash[jhash(pc, key)];
    for (JitBlock *b = *pp; b; pp = &b->hnext, b = *pp) {
        if (b->pc == pc && b->paddr == pa && b->key == key && b->cs_base == c->seg[S_CS].base &&
            b->cs_limit == c->seg[S_CS].limit) {
            if (slot_out)
                *slot_out = pp;
            return b;
        }
    }
    if (slot_out)
        *slot_out = NULL;
    return NULL;
}

static inline uint32_t gen_of(CPU *c, uint32_t pa)
{
    uint32_t pg = pa >> 12;
    return c->page_gen[pg < c->ram_pages ? pg : c->ram_pages];
}

/* Called by translated code for an indirect jump: the checked entry of the
 * translation at CS:EIP, or NULL (the run loop looks it up properly). */
void *jit_lookup_indirect(CPU *c)
{
    JitState *js = c->jit;
    uint32_t eip = c->eip;
    if (eip > c->seg[S_CS].limit)
        return NULL;
    uint32_t lin = c->seg[S_CS].base + eip;
    uint32_t slot = (lin >> 12) & (TLB_SIZE - 1);
    if (c->tlbp[slot].tag_read != (lin & ~0xFFFu))
        return NULL;
    uint32_t pa = (c->tlb_paddr[c->cpl == 3][slot] & ~0xFFFu) | (lin & 0xFFF);
    JitBlock *b = find(js, c, lin, pa, js->key, NULL);
    js->ind_calls++;
    if (!b || b->gen != gen_of(c, pa) || !page2_ok(c, b)) {
        js->ind_miss++;
        return NULL;
    }
    js->jcache[jc_index(lin)] = (JitJump){.pc = lin, .mode = c->jit_mode, .pa = pa & ~0xFFFu,
                                          .code = b->entry, .blk = b};
    return b->entry;
}

/* The translation for CS:EIP, made if needed; NULL: let the interpreter
 * run one instruction. Raises #GP/#PF like the interpreter's fetch. The
 * jump cache first (mode: mode_id() of key), then the hash table. */
static JitBlock *lookup(CPU *c, uint32_t key, uint32_t mode)
{
    JitState *js = c->jit;
    c->prev_eip = c->eip;
    uint32_t lin = c->seg[S_CS].base + c->eip;
    if (unlikely(c->eip > c->seg[S_CS].limit))
        cpu_raise(c, EX_GP, 0);
    uint32_t slot = (lin >> 12) & (TLB_SIZE - 1);
    TlbEntry *e = &c->tlbp[slot];
    if (unlikely(e->tag_read != (lin & ~0xFFFu))) {
        mmu_translate(c, lin, 2, cpl_user(c));
        if (e->tag_read != (lin & ~0xFFFu))
            return NULL; /* code in MMIO */
    }
    uint32_t pa = (c->tlb_paddr[c->cpl == 3][slot] & ~0xFFFu) | (lin & 0xFFF);
    uint32_t gen = gen_of(c, pa);
    JitJump *jc = &js->jcache[jc_index(lin)];
    if (jc->pc == lin && jc->mode == mode && jc->pa == (pa & ~0xFFFu) && jc->blk->gen == gen &&
        page2_ok(c, jc->blk))
        return jc->blk;
    JitBlock **pp;
    JitBlock *b = find(js, c, lin, pa, key, &pp);
    if (b) {
        if (b->gen == gen && page2_ok(c, b)) {
            *jc = (JitJump){.pc = lin, .mode = mode, .pa = pa & ~0xFFFu, .code = b->entry, .blk = b};
            return b;
        }
        *pp = b->hnext; /* stale: unlink, translate again */
        JitJump *jj = &js->jcache[jc_index(lin)];
        if (jj->code == b->entry)
            memset(jj, 0xFF, sizeof *jj); /* as a flush leaves it: no mode matches */
    }
    if (code_page_hot(c, pa)) {
        c->jit_hot_page = true; /* rewritten all the time: not worth translating */
        return NULL;
    }
    uint64_t t0 = js->timed ? host_now_ns() : 0; /* the host's clock can be slow to read */
    uint32_t epoch = js->epoch;
    b = translate(c, lin, pa, (const uint8_t *)(e->addend + lin), gen, key);
    if (js->timed)
        js->translate_ns += host_now_ns() - t0;
    if (!b)
        return NULL;
    uint32_t h = jhash(lin, key);
    b->hnext = js->hash[h];
    js->hash[h] = b;
    if (js->epoch == epoch) /* (a flush forgets the modes: mode is no longer one) */
        *jc = (JitJump){.pc = lin, .mode = mode, .pa = pa & ~0xFFFu, .code = b->entry, .blk = b};
    return b;
}

/* The number standing for the mode translated code runs in now (the jump
 * cache tells modes apart by it): modes are interned until the next flush. */
static uint32_t mode_id(CPU *c, JitState *js, uint32_t key)
{
    uint32_t base = c->seg[S_CS].base, limit = c->seg[S_CS].limit;
    for (uint32_t k = 0; k < js->nmodes; k++)
        if (js->modes[k].key == key && js->modes[k].cs_base == base &&
            js->modes[k].cs_limit == limit)
            return k;
    if (js->nmodes == JMODES) {
        memset(js->jcache, 0xFF, sizeof js->jcache);
        js->nmodes = 0;
    }
    js->modes[js->nmodes].key = key;
    js->modes[js->nmodes].cs_base = base;
    js->modes[js->nmodes].cs_limit = limit;
    return js->nmodes++;
}

/* Patch exit x to jump straight to block b (which the CPU is about to run,
 * in the mode the exit left in). Within a page the mapping is the one the
 * first block of the chain was looked up with, so the jump goes to b's
 * entry past the page check. To another page it goes through a check that
 * the software TLB still maps b's linear page to b's physical page (what
 * the lookup would find), made here in the code buffer; if it does not,
 * the exit's stub runs as before. */
static void chain(CPU *c, JitState *js, JitExit *x, JitBlock *b)
{
    if (c->eip > c->seg[S_CS].limit)
        return;
    if ((b->pc & ~0xFFFu) == x->src_page) {
        x_patch(x->rel32, b->entry_same);
        return;
    }
    if (x->to == b)
        return; /* chained already: its mapping check failed this time */
    if (js->code_used + 96 > CODE_SIZE)
        return;
    uint8_t *stub = x->stub;
    Emit e = {.p = js->code + js->code_used, .start = js->code + js->code_used,
              .end = js->code + CODE_SIZE};
    uint8_t *tramp = e.p;
    /* b's page checked here, so a stale b sends the exit back to be chained anew */
    uint32_t pg = b->paddr >> 12;
    if (pg > c->ram_pages)
        pg = c->ram_pages;
    uint8_t *jcc[3];
    emit_page_check(&e, (b->key & KEY_USER) ? 1 : 0, b->pc & ~0xFFFu, b->paddr & ~0xFFFu, pg,
                    b->gen, stub, jcc);
    x_jmp(&e, b->entry_same);
    if (js->perfmap)
        fprintf(js->perfmap, "%lx %lx tramp_%08x\n", (unsigned long)(uintptr_t)tramp,
                (unsigned long)(e.p - tramp), b->pc);
    js->code_used = ((size_t)(e.p - js->code) + 15) & ~(size_t)15;
    x_patch(x->rel32, tramp);
    x->to = b;
}

void jit_run(CPU *c)
{
    JitState *js = c->jit;
    JitExit *pend = NULL;
    uint32_t pend_epoch = 0;
    while (likely(c->icount < c->icount_limit) && likely(!c->need_check)) {
        if (unlikely(c->jit_interp)) { /* a frame or stack group's check failed */
            c->jit_interp = false;
            pend = NULL;
            interp_exec_block(c);
            continue;
        }
        uint32_t key = jit_key(c);
        if (key == KEY_NONE) {
            interp_run_blocks(c);
            return;
        }
        uint32_t mode = mode_id(c, js, key);
        JitBlock *b = lookup(c, key, mode);
        if (c->jit_one_block)
            c->exit_request = true; /* after this block or instruction */
        if (!b) {
            bool hot = c->jit_hot_page; /* a whole block, not one instruction */
            c->jit_hot_page = false;
            if (hot && !c->jit_one_block)
                interp_exec_block(c);
            else
                interp_exec_one(c);
            pend = NULL;
            if (c->jit_one_block)
                return;
            continue;
        }
        if (pend && pend_epoch == js->epoch && !c->jit_one_block)
            chain(c, js, pend, b);
        pend = NULL;
        js->key = key;
        c->jit_mode = mode_id(c, js, key); /* mode again: translating may have flushed */
        c->jit_exit = NULL;
        int r = js->enter(c, b->entry);
        js->exits[r & 3]++;
        if (r == R_CHAIN && c->jit_exit && (((JitExit *)c->jit_exit)->src_page != ((c->seg[S_CS].base + c->eip) & ~0xFFFu)))
            js->chain_cross++;
        if (c->jit_one_block) {
            if (c->jit_interp) { /* the block stopped short: one step on, as ever */
                c->jit_interp = false;
                interp_exec_one(c);
            }
            return;
        }
        if (r == R_CHAIN && c->jit_exit) {
            pend = c->jit_exit;
            pend_epoch = js->epoch;
        } else if (r == R_BUDGET) {
            interp_run_blocks(c); /* the last few instructions before the limit */
            return;
        }
    }
}

/* ------------------------------------------------------------------ setup and statistics */

JitState *jit_new(CPU *c)
{
    (void)c;
    JitState *js = calloc(1, sizeof *js);
    if (!js)
        return NULL;
    js->code = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* Mapped, not malloc'd: only the pages used are touched (a sanitizer's
     * malloc would poison all 64 MiB for every machine made). */
    js->meta = mmap(NULL, META_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    js->hash = calloc(JHASH_SIZE, sizeof *js->hash);
    if (js->code == MAP_FAILED || js->meta == MAP_FAILED || !js->hash) {
        if (js->code != MAP_FAILED)
            munmap(js->code, CODE_SIZE);
        if (js->meta != MAP_FAILED)
            munmap(js->meta, META_SIZE);
        free(js->hash);
        free(js);
        return NULL;
    }
    memset(js->jcache, 0xFF, sizeof js->jcache);
    gen_stubs(js);
    js->code_used = js->stubs_end;
    js->timed = getenv("WIREBOX_STATS") != NULL;
    if (getenv("WIREBOX_PERFMAP")) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
        js->perfmap = fopen(path, "a"); /* one per process: every CPU appends */
        if (js->perfmap) {
            const struct {
                const char *name;
                uint8_t *at;
            } st[] = {{"stub_enter", (uint8_t *)(uintptr_t)js->enter}, {"stub_exit", js->exit_spill},
                      {"stub_fallback", js->fallback}, {"stub_lookup", js->lookup},
                      {"stub_flags", js->flags}, {"", js->code + js->stubs_end}};
            for (int k = 0; k + 1 < (int)(sizeof st / sizeof st[0]); k++)
                fprintf(js->perfmap, "%lx %lx %s\n", (unsigned long)(uintptr_t)st[k].at,
                        (unsigned long)(st[k + 1].at - st[k].at), st[k].name);
        }
        snprintf(path, sizeof path, "/tmp/wirebox-blocks-%d.txt", (int)getpid());
        if (atoi(getenv("WIREBOX_PERFMAP")) >= 2)
            js->blockdump = fopen(path, "a");
        if (js->perfmap)
            setvbuf(js->perfmap, NULL, _IOLBF, 0); /* complete even if we die */
        if (js->blockdump)
            setvbuf(js->blockdump, NULL, _IOLBF, 0);
    }
    return js;
}

void jit_free(JitState *js)
{
    if (!js)
        return;
    munmap(js->code, CODE_SIZE);
    if (js->perfmap)
        fclose(js->perfmap);
    if (js->blockdump)
        fclose(js->blockdump);
    munmap(js->meta, META_SIZE);
    free(js->hash);
    free(js);
}

void jit_stats(CPU *c, CpuStats *s)
{
    JitState *js = c->jit;
    s->blocks_translated = js->blocks;
    s->flushes = js->flushes;
    s->translate_ns = js->translate_ns;
    uint64_t fb = 0;
    for (int k = 0; k < 512; k++)
        fb += js->fb_count[k];
    s->fallbacks = fb;
}

void jit_print_fallbacks(CPU *c, int n)
{
    JitState *js = c->jit;
    fprintf(stderr, "wirebox: exits normal %llu chain %llu (cross-page %llu) budget %llu stale %llu; indirect lookups %llu (missed %llu)\n",
            (unsigned long long)js->exits[0], (unsigned long long)js->exits[1],
            (unsigned long long)js->chain_cross, (unsigned long long)js->exits[2],
            (unsigned long long)js->exits[3], (unsigned long long)js->ind_calls,
            (unsigned long long)js->ind_miss);
    fprintf(stderr, "wirebox: code buffer %zu KiB of %u, block data %zu KiB of %u\n",
            js->code_used >> 10, CODE_SIZE >> 10, js->meta_used >> 10, META_SIZE >> 10);
    bool done[512] = {false};
    for (int r = 0; r < n; r++) {
        int best = -1;
        for (int k = 0; k < 512; k++)
            if (!done[k] && js->fb_count[k] && (best < 0 || js->fb_count[k] > js->fb_count[best]))
                best = k;
        if (best < 0)
            break;
        done[best] = true;
        fprintf(stderr, "wirebox: fallback %s%02x: %llu\n", best > 0xFF ? "0f " : "", best & 0xFF,
                (unsigned long long)js->fb_count[best]);
    }
}

#else /* !WIREBOX_JIT: the interpreter only */

JitState *jit_new(CPU *c)
{
    (void)c;
    return NULL;
}
void jit_free(JitState *js)
{
    (void)js;
}
void jit_flush(CPU *c)
{
    (void)c;
}
void jit_run(CPU *c)
{
    interp_run_blocks(c);
}
void jit_stats(CPU *c, CpuStats *s)
{
    (void)c;
    (void)s;
}
void jit_print_fallbacks(CPU *c, int n)
{
    (void)c;
    (void)n;
}
#endif
