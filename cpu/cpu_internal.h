/* Inside the interpreter: decoded records, memory fast paths, lazy flags. */
#pragma once
#include <string.h>

#include "cpu/cpu.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ------------------------------------------------------------------ decoded instructions */

typedef struct Insn Insn;
typedef void (*InsnFn)(CPU *c, const Insn *i);

/* One decoded instruction: everything the handler needs, nothing re-parsed. */
struct Insn {
    InsnFn fn;
    uint32_t disp; /* displacement (memory operand) */
    uint32_t imm;  /* first immediate */
    uint32_t imm2; /* second immediate (ENTER, far pointers) */
    uint16_t op;   /* opcode: 0x000-0x0FF one byte, 0x100-0x1FF after 0F */
    uint8_t len;
    uint8_t modrm;
    uint8_t mod3;  /* ModRM names a register, not memory */
    uint8_t reg;   /* ModRM reg field, or the register in the opcode */
    uint8_t rm;    /* ModRM rm field */
    uint8_t seg;   /* segment of the memory operand (after overrides) */
    uint8_t base;  /* 8 = none */
    uint8_t index; /* 8 = none */
    uint8_t scale;
    uint8_t a32, o32;
    uint8_t rep;   /* 0, 0xF2 or 0xF3 */
    uint8_t lock;
    uint8_t sub;   /* handler-specific: ALU op, condition, group member */
    uint8_t seg_override; /* explicit prefix or S_NONE */
};

/* A straight run of decoded instructions within one physical page, valid
 * while the page's generation is unchanged. Executed without lookups until
 * an instruction leaves the fall-through path. */
struct Block {
    uint32_t paddr;
    uint32_t gen;
    uint8_t code32;
    uint8_t n;
    /* Blocks that followed this one in the same page (taken branch, fall
     * through): tried before a lookup. Valid within one pool epoch. */
    Block *next[2];
    Insn insns[];
};
#define BLOCK_MAX 32
#define BCACHE_BITS 16
#define BCACHE_SIZE (1u << BCACHE_BITS)
#define BLOCK_POOL_SIZE (48u << 20)

/* decode.c: decode the instruction at linear address lin (faults raise). */
void cpu_decode(CPU *c, uint32_t lin, Insn *out);
/* Decode from host bytes without faulting: returns false if the instruction
 * does not fit in avail bytes (or is longer than 15). *ends tells whether a
 * block must end after it (unconditional control transfer, HLT, #UD). */
bool cpu_decode_buf(CPU *c, const uint8_t *buf, int avail, Insn *out, bool *ends);
/* exec.c handler used for undefined opcodes */
void op_ud(CPU *c, const Insn *i);

/* ------------------------------------------------------------------ lazy flags */

/* lf_op = kind << 2 | size (0: 8, 1: 16, 2: 32 bit) */
enum {
    LF_ADD, LF_ADC, LF_SUB, LF_SBB, LF_LOGIC, LF_INC, LF_DEC, LF_MUL, LF_EAGER,
    LF_SHL, LF_SHR, LF_SAR, /* b: the count (1-31), a: the value shifted */
    LF_NKINDS
};
/* lf_aux: ADC/SBB carry in, INC/DEC the carry kept, MUL overflow (bit 0 of
 * each, the rest is ignored); EAGER the six flags. */
#define LF(kind, sz) (((kind) << 2) | (sz))

/* The instruction being executed lasts n more instructions' time, but not
 * past the limit cpu_run was given. Called before its own count is added. */
static inline void icount_extend(CPU *c, uint64_t n)
{
    uint64_t done = c->icount + 1;
    if (c->icount_limit > done) {
        uint64_t room = c->icount_limit - done;
        c->icount += room < n ? room : n;
    }
}

/* PAUSE's time (PAUSE_ICOUNT, cpu.h) */
static inline void pause_wait(CPU *c)
{
    icount_extend(c, PAUSE_ICOUNT - 1);
}

static inline uint32_t sz_mask(int sz)
{
    return sz == 0 ? 0xFFu : sz == 1 ? 0xFFFFu : 0xFFFFFFFFu;
}
static inline uint32_t sz_sign(int sz)
{
    return sz == 0 ? 0x80u : sz == 1 ? 0x8000u : 0x80000000u;
}

static inline void set_flags(CPU *c, int kind, int sz, uint32_t a, uint32_t b, uint32_t res)
{
    c->lf_op = LF(kind, sz);
    c->lf_a = a;
    c->lf_b = b;
    c->lf_res = res;
}

/* Arithmetic flags given exactly (CF PF AF ZF SF OF bits). */
static inline void set_flags_eager(CPU *c, uint32_t flags)
{
    c->lf_op = LF(LF_EAGER, 2);
    c->lf_aux = flags & F_ARITH;
}

uint32_t lf_compute(CPU *c); /* all six arithmetic flags */
bool lf_cf(CPU *c);
bool lf_zf(CPU *c);
bool lf_sf(CPU *c);
bool lf_of(CPU *c);
bool lf_pf(CPU *c);
bool cond_eval(CPU *c, int cc); /* the 16 Jcc/SETcc/CMOVcc conditions */

/* ------------------------------------------------------------------ registers */

static inline uint8_t *reg8p(CPU *c, int r)
{
    return r < 4 ? (uint8_t *)&c->regs[r] : (uint8_t *)&c->regs[r - 4] + 1;
}
static inline uint8_t get_r8(CPU *c, int r)
{
    return *reg8p(c, r);
}
static inline void set_r8(CPU *c, int r, uint8_t v)
{
    *reg8p(c, r) = v;
}
static inline uint16_t get_r16(CPU *c, int r)
{
    return (uint16_t)c->regs[r];
}
static inline void set_r16(CPU *c, int r, uint16_t v)
{
    c->regs[r] = (c->regs[r] & 0xFFFF0000u) | v;
}

/* ------------------------------------------------------------------ memory */

/* mmu.c: slow paths (TLB miss, MMIO, page crossing, faults). */
uint32_t mem_read_slow(CPU *c, uint32_t lin, int size, bool user);
void mem_write_slow(CPU *c, uint32_t lin, uint32_t val, int size, bool user);
/* Translate for an access (0 read, 1 write, 2 fetch); faults raise #PF. */
uint32_t mmu_translate(CPU *c, uint32_t lin, int access, bool user);
/* Segment checks that failed the fast path: raises #GP/#SS or returns. */
void seg_check_slow(CPU *c, int seg, uint32_t off, int size, bool write);
void code_page_mark(CPU *c, uint32_t paddr, uint32_t len);

/* A page whose code keeps being rewritten (GRUB's real-mode switching code
 * stores into itself on every BIOS call): SMC_HOT invalidations in a row,
 * each within SMC_WINDOW instructions of the last, make it hot; the
 * translator leaves a hot page to the interpreter, whose decoding is cheap,
 * until SMC_COOL instructions pass without one. */
#define SMC_WINDOW 10000000ull
#define SMC_HOT 8
#define SMC_COOL 100000000ull
static inline bool code_page_hot(const CPU *c, uint32_t paddr)
{
    uint32_t p = paddr >> 12;
    return p < c->ram_pages && c->smc_run[p] >= SMC_HOT && c->icount - c->smc_last[p] < SMC_COOL;
}

static inline void cpu_mtlb_clear(CPU *c)
{
    c->mtlb_page[0] = c->mtlb_page[1] = ~0ull;
}

static inline bool cpl_user(CPU *c)
{
    return c->cpl == 3;
}

static inline uint32_t lin_read(CPU *c, uint32_t lin, int size)
{
    TlbEntry *e = &c->tlbp[(lin >> 12) & (TLB_SIZE - 1)];
    if (likely(e->tag_read == (lin & ~0xFFFu)) && likely((lin & 0xFFF) <= 4096u - size)) {
        uint8_t *p = (uint8_t *)(e->addend + lin);
        if (size == 4) {
            uint32_t v;
            memcpy(&v, p, 4);
            return v;
        }
        if (size == 2) {
            uint16_t v;
            memcpy(&v, p, 2);
            return v;
        }
        return *p;
    }
    return mem_read_slow(c, lin, size, cpl_user(c));
}

static inline void lin_write(CPU *c, uint32_t lin, uint32_t val, int size)
{
    TlbEntry *e = &c->tlbp[(lin >> 12) & (TLB_SIZE - 1)];
    if (likely(e->tag_write == (lin & ~0xFFFu)) && likely((lin & 0xFFF) <= 4096u - size)) {
        uint8_t *p = (uint8_t *)(e->addend + lin);
        if (size == 4)
            memcpy(p, &val, 4);
        else if (size == 2) {
            uint16_t v = (uint16_t)val;
            memcpy(p, &v, 2);
        } else
            *p = (uint8_t)val;
        return;
    }
    mem_write_slow(c, lin, val, size, cpl_user(c));
}

static inline uint32_t seg_read(CPU *c, int seg, uint32_t off, int size)
{
    if (unlikely((int64_t)off + size - 1 > c->seg_lim_r[seg]))
        seg_check_slow(c, seg, off, size, false);
    return lin_read(c, c->seg[seg].base + off, size);
}

static inline void seg_write(CPU *c, int seg, uint32_t off, uint32_t val, int size)
{
    if (unlikely((int64_t)off + size - 1 > c->seg_lim_w[seg]))
        seg_check_slow(c, seg, off, size, true);
    lin_write(c, c->seg[seg].base + off, val, size);
}

/* System accesses (descriptor tables, TSS): always supervisor. */
uint32_t sys_read(CPU *c, uint32_t lin, int size);
void sys_write(CPU *c, uint32_t lin, uint32_t val, int size);

/* ------------------------------------------------------------------ cpu.c internals */

/* Load a segment register as MOV/POP do (protected-mode checks). */
void load_seg(CPU *c, int seg, uint16_t sel);
/* Refresh the fast-path limits of a segment after its cache changed. */
void seg_refresh(CPU *c, int seg);
/* Deliver interrupt/exception vector. is_sw: INT n/INT3/INTO (gate DPL check,
 * EIP after the instruction). */
void do_interrupt(CPU *c, int vector, bool is_sw, int32_t error_code, uint32_t next_eip);
void do_far_jmp(CPU *c, uint16_t sel, uint32_t off);
void do_far_call(CPU *c, uint16_t sel, uint32_t off, bool o32, uint32_t next_eip);
void do_far_ret(CPU *c, bool o32, uint16_t pop_extra);
void do_iret(CPU *c, bool o32);
void do_sysenter(CPU *c);
void do_sysexit(CPU *c);
void do_cpuid(CPU *c);
void do_rdmsr(CPU *c);
void do_wrmsr(CPU *c);
uint64_t cpu_tsc(CPU *c);
void set_cr0(CPU *c, uint32_t v);
void set_cr3(CPU *c, uint32_t v);
void set_cr4(CPU *c, uint32_t v);
void cpu_invlpg(CPU *c, uint32_t lin);
/* Descriptor helpers for LAR/LSL/VERR/VERW and LTR/LLDT. */
bool desc_load(CPU *c, uint16_t sel, uint32_t *lo, uint32_t *hi);
void load_ldtr(CPU *c, uint16_t sel);
void load_tr(CPU *c, uint16_t sel);
/* I/O permission check (IOPL / TSS bitmap); raises #GP(0). */
void io_check(CPU *c, uint16_t port, int size);
/* Update eflags with privilege rules (POPF/IRET); mask = bits that may change. */
void write_eflags(CPU *c, uint32_t val, uint32_t mask);

static inline uint32_t desc_base(uint32_t lo, uint32_t hi)
{
    return (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u);
}
static inline uint32_t desc_limit(uint32_t lo, uint32_t hi)
{
    uint32_t l = (lo & 0xFFFF) | (hi & 0xF0000);
    return (hi & 0x800000) ? (l << 12) | 0xFFF : l;
}
