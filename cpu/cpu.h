/* The i686 interpreter: public state and calls. */
#pragma once
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/fpu.h"
#include "hw/machine.h"

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
/* Segment registers in encoding order, then LDTR and TR. */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_LDTR, S_TR, S_NONE = 15 };

/* EFLAGS bits */
#define F_CF 0x0001u
#define F_PF 0x0004u
#define F_AF 0x0010u
#define F_ZF 0x0040u
#define F_SF 0x0080u
#define F_TF 0x0100u
#define F_IF 0x0200u
#define F_DF 0x0400u
#define F_OF 0x0800u
#define F_IOPL 0x3000u
#define F_NT 0x4000u
#define F_RF 0x10000u
#define F_VM 0x20000u
#define F_AC 0x40000u
#define F_VIF 0x80000u
#define F_VIP 0x100000u
#define F_ID 0x200000u
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

#define CR0_PE 0x1u
#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_ET 0x10u
#define CR0_NE 0x20u
#define CR0_WP 0x10000u
#define CR0_AM 0x40000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x1u
#define CR4_PVI 0x2u
#define CR4_TSD 0x4u
#define CR4_DE 0x8u
#define CR4_PSE 0x10u
#define CR4_PGE 0x80u

/* Exception vectors */
enum {
    EX_DE = 0, EX_DB = 1, EX_NMI = 2, EX_BP = 3, EX_OF = 4, EX_BR = 5, EX_UD = 6, EX_NM = 7,
    EX_DF = 8, EX_TS = 10, EX_NP = 11, EX_SS = 12, EX_GP = 13, EX_PF = 14, EX_MF = 16,
    EX_AC = 17, EX_MC = 18,
};

/* Cached segment descriptor. flags holds descriptor bits 8..23 of the high
 * dword (type, S, DPL, P, AVL, L, D/B, G) shifted down by 8. */
typedef struct SegCache {
    uint16_t sel;
    uint32_t base;
    uint32_t limit; /* byte granular, already expanded */
    uint32_t flags;
} SegCache;
#define SEGF_TYPE(f) ((f)&0xF)
#define SEGF_S 0x10u
#define SEGF_DPL(f) (((f) >> 5) & 3)
#define SEGF_P 0x80u
#define SEGF_DB 0x4000u
#define SEGF_G 0x8000u

/* One software-TLB entry: guest linear page -> host address. A tag is the
 * page's linear address when the access kind is allowed through the fast
 * path, otherwise ~0 (slow path: MMIO, code page for writes, not present).
 * A valid tag_write implies a valid tag_read. 16 bytes, so the translator's
 * inline probe indexes it with a shift; the physical page is kept apart. */
typedef struct TlbEntry {
    uint32_t tag_read;
    uint32_t tag_write;
    uintptr_t addend; /* host = addend + linear */
} TlbEntry;
#define TLB_BITS 10
#define TLB_SIZE (1 << TLB_BITS)
#define TLB_FILLS_MAX 256

typedef struct Block Block;

/* A watched linear range: gdb's watchpoints (dr < 0) and the guest's DR7
 * data breakpoints (dr = 0..3). */
enum { CPU_WATCH_WRITE = 1, CPU_WATCH_READ = 2, CPU_WATCH_ACCESS = 3 };
#define CPU_WATCH_HIT_GDB 0x10
#define CPU_MAX_WATCH 36 /* 32 for gdb + DR0-DR3 */
typedef struct CpuWatch {
    uint32_t addr, len;
    uint8_t kind; /* CPU_WATCH_* */
    int8_t dr;
} CpuWatch;

typedef struct CPU {
    uint32_t regs[8];
    uint32_t eip;
    /* EFLAGS without the arithmetic flags, which are lazy: */
    uint32_t eflags;
    uint32_t lf_res, lf_a, lf_b; /* result and operands of the last flag-setting op */
    uint32_t lf_op;              /* which op (cpu internal) */
    uint32_t lf_aux;             /* flags that op did not compute lazily */
    uint32_t prev_eip; /* EIP of the instruction being executed (faults restart it) */
    bool need_check;   /* leave the inner loop: IF/TF changed, INTR raised, halt */
    uint64_t icount;       /* instructions retired since reset */
    uint64_t icount_limit; /* cpu_run returns when icount reaches it */

    SegCache seg[8];
    uint32_t gdt_base, gdt_limit, idt_base, idt_limit;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    int cpl;
    bool code32, stack32; /* CS.D and SS.B */

    /* MSRs we keep */
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t tsc_offset;
    uint64_t mtrr_def_type;
    uint64_t mtrr[32]; /* fixed + variable MTRRs, read back as written */

    FPU fpu;

    /* Execution control (icount, icount_limit, need_check, prev_eip: above,
     * near the registers, where translated code reaches them cheaply) */
    bool halted;
    bool intr_line;  /* INTR pin from the PIC */
    bool nmi_pending;
    /* Interrupts held off for one instruction: INHIBIT_STI after STI,
     * INHIBIT_SS after MOV SS / POP SS (which also hold off the single-step trap). */
    int inhibit_irq;
    bool exit_request;
    int delivering;  /* vector being delivered (for #DF / triple fault), -1 none */
    uint32_t a20_mask;
    int last_vector;   /* last exception/interrupt delivered (for tests), -1 none */
    uint32_t last_error;

    /* Debugger hooks (gdb stub) */
    bool single_step;     /* stop after one instruction */
    bool debug_stop;      /* set when a gdb breakpoint/watchpoint hit */
    void *debug_opaque;
    /* Asked before each instruction while set (the slow path); pc is
     * cpu_debug_pc(). True stops the CPU (CPU_RUN_DEBUG). NULL = none. */
    bool (*debug_break)(void *opaque, uint32_t pc);
    uint8_t debug_watch_kind;  /* gdb watchpoint stop: CPU_WATCH_* of the hit, 0 none */
    uint32_t debug_watch_addr; /* and the address inside the watched range */
    /* Data breakpoints (gdb's and the guest's DR0-DR3): pages holding a
     * watched range get slow-path TLB tags, the slow paths record hits. */
    CpuWatch watch[CPU_MAX_WATCH];
    int nwatch;
    uint8_t watch_hit; /* pending hits: bits 0-3 DR0-DR3, CPU_WATCH_HIT_GDB */
    uint8_t dr_exec;   /* DR7-enabled instruction breakpoints (bits 0-3) */
    bool fetching;     /* instruction fetch: not a data access */

    /* Software TLB, one per privilege class (0: CPL<3, 1: CPL 3) */
    TlbEntry tlb[2][TLB_SIZE];
    uint32_t tlb_paddr[2][TLB_SIZE]; /* physical page; bit 0: global (survives CR3 loads) */
    bool tlb_filled; /* an entry was filled since the last global flush */
    /* Slots (user << TLB_BITS | slot) of the non-global entries filled since
     * the last flush, so a flush that keeps global entries (a CR3 write)
     * clears those, not the whole TLB; more than TLB_FILLS_MAX: all of it. */
    uint16_t tlb_fills[TLB_FILLS_MAX];
    uint32_t tlb_nfills;
    /* Segment limits for the fast path: an access of size n at offset off is
     * fine without further checks if off + n - 1 <= lim; -1 forces the slow
     * path (expand-down, unusable). */
    int64_t seg_lim_r[6], seg_lim_w[6];
    TlbEntry *tlbp;       /* tlb[cpl == 3] */
    uint32_t *tlbp_paddr; /* tlb_paddr[cpl == 3] */
    bool tlb_large; /* some TLB entry may come from a 4 MiB page */

    /* Decoded blocks: direct-mapped by physical start address, allocated
     * from one pool that is emptied when full. */
    Block **bcache;
    uint8_t *block_pool;
    size_t block_pool_used;
    uint32_t block_epoch; /* bumped when the pool is emptied: older Block pointers are dead */
    uint32_t *page_gen;  /* per physical RAM page (+1 slot for everything else) */
    uint8_t *code_pages; /* per physical RAM page: 1 if decoded code came from it */
    uint64_t *code_bits; /* per physical RAM page: its 64-byte chunks that hold code */
    /* per physical RAM page: how many times in a row its code was made stale
     * soon after the last time, and when that was (icount) */
    uint8_t *smc_run;
    uint64_t *smc_last;
    uint32_t ram_pages;

    /* The translator (cpu/jit.c), when in use: its state, and the chainable
     * exit translated code left through (patched once its target is known). */
    struct JitState *jit;
    bool jit_wanted; /* the translator, made when the CPU first runs */
    bool jit_hot_page; /* the translator left a block to the interpreter: its page is hot */
    void *jit_exit;
    uint32_t jit_mode; /* the mode (key, CS base and limit) translated code runs in, interned */
    /* The translator's one-page caches for ESP- and EBP-based accesses: a
     * linear page known writable (~0: none) and its host addend. Emptied
     * with the TLB (cpu_mtlb_clear). */
    uint64_t mtlb_page[2];
    uintptr_t mtlb_addend[2];
    /* Translated code's host addend for the EBP frame it checked (kept
     * in R13 while it runs; reloaded from here after a cold path), and
     * its request that the interpreter run the next block (the check
     * failed) */
    uintptr_t jit_frame;
    uintptr_t jit_stack; /* the same for a stack group's page (see stack_scan) */
    bool jit_interp;
    /* Tests (differential harness): cpu_run returns CPU_RUN_EXIT after each
     * translated block (or interpreted instruction), and blocks do not chain. */
    bool jit_one_block;

    Machine *m;
    jmp_buf jmp;
    /* Unimplemented opcodes are logged once per address (the first 16). */
    uint32_t ud_logged;
    uint32_t ud_addr[16];
} CPU;

enum { INHIBIT_STI = 1, INHIBIT_SS = 2 };

/* cpu_run return values */
enum { CPU_RUN_LIMIT = 0, CPU_RUN_HALTED = 1, CPU_RUN_EXIT = 2, CPU_RUN_DEBUG = 3 };

/* Engines: the interpreter, the reference that runs everywhere, and the
 * translator to x86-64 host code (QEMU's -accel tcg), which hands whatever
 * it does not cover to the interpreter. */
enum { CPU_ACCEL_TCG = 0, CPU_ACCEL_INTERP = 1 };

/* What the CPU did, for WIREBOX_STATS. */
typedef struct CpuStats {
    int accel;                  /* engine in use */
    uint64_t blocks_translated; /* translator: blocks turned into host code */
    uint64_t flushes;           /* translator: times its code buffer was emptied */
    uint64_t translate_ns;      /* translator: host time spent translating */
    uint64_t fallbacks;         /* translator: instructions it handed to the interpreter */
} CpuStats;

/* PAUSE (F3 90) lasts PAUSE_ICOUNT instructions' time in icount, as it lasts
 * tens to about 140 cycles on real CPUs, so a guest's spin-wait loop (udelay,
 * polling a device) reaches its end in fewer turns. It never runs past the
 * limit cpu_run was given: the CPU still stops exactly at the next deadline.
 * The interpreter and the translator count it the same way, so -icount runs
 * stay deterministic. */
#define PAUSE_ICOUNT 128

/* A device's access that takes time (the I/O delay port): the instruction
 * making it lasts n more instructions' time, not past the limit cpu_run
 * was given. The CPU then leaves its inner loop, so translated code picks
 * the count up. */
void cpu_stall(CPU *c, uint64_t n);

/* ram_size: bytes of guest RAM at physical 0 (sizes the per-page code tracking). */
CPU *cpu_new(Machine *m, uint32_t ram_size);
void cpu_free(CPU *c);
void cpu_reset(CPU *c);
/* Run until icount reaches limit, the CPU halts with nothing to wake it, an
 * exit is requested, or a debug event happens. */
int cpu_run(CPU *c, uint64_t icount_limit);
/* Select the engine (CPU_ACCEL_*); returns the one in use, which is the
 * interpreter when the translator is not available on this host. */
int cpu_set_accel(CPU *c, int accel);
void cpu_get_stats(CPU *c, CpuStats *s);
/* Print the translator's most frequent fallbacks (opcode, count) to stderr. */
void cpu_print_fallbacks(CPU *c, int n);
void cpu_set_intr(CPU *c, bool level);
/* Halted with nothing that can wake it before a timer or device event. */
bool cpu_is_idle(CPU *c);
void cpu_set_a20(CPU *c, bool enabled);
uint32_t cpu_get_eflags(CPU *c);
void cpu_set_eflags(CPU *c, uint32_t val);
/* Physical writes from outside the CPU (DMA, loaders) invalidate decoded code. */
void cpu_invalidate_phys(CPU *c, uint32_t paddr, uint32_t len);
/* Flush the software TLB (loaders that change CR3 etc. directly). */
void cpu_tlb_flush(CPU *c, bool global_too);
/* Writes to physical [base, base+len) leave the fast path until the TLB is
 * refilled (a device's dirty-page tracking, hw/machine.h mmio_register_ram). */
void cpu_tlb_drop_writes(CPU *c, uint32_t base, uint32_t len);

/* Load a segment register's hidden part directly (loaders, reset, tests). */
void cpu_set_seg_raw(CPU *c, int seg, uint16_t sel, uint32_t base, uint32_t limit,
                     uint32_t flags);
/* Recompute cpl/code32/stack32 after direct state edits. */
void cpu_update_mode(CPU *c);

/* Guest memory through segment seg (S_*) at offset off, with all checks;
 * faults longjmp out of the current instruction. For the FPU and helpers. */
uint8_t cpu_ld8(CPU *c, int seg, uint32_t off);
uint16_t cpu_ld16(CPU *c, int seg, uint32_t off);
uint32_t cpu_ld32(CPU *c, int seg, uint32_t off);
uint64_t cpu_ld64(CPU *c, int seg, uint32_t off);
void cpu_st8(CPU *c, int seg, uint32_t off, uint8_t v);
void cpu_st16(CPU *c, int seg, uint32_t off, uint16_t v);
void cpu_st32(CPU *c, int seg, uint32_t off, uint32_t v);
void cpu_st64(CPU *c, int seg, uint32_t off, uint64_t v);
/* Check that [off, off+len) is writable (before multi-part stores). */
void cpu_check_write(CPU *c, int seg, uint32_t off, uint32_t len);

/* Raise an exception in the guest (error code < 0: none). Does not return. */
__attribute__((noreturn)) void cpu_raise(CPU *c, int vector, int32_t error_code);

/* Debugger access: linear address -> physical through the current page
 * tables, without faulting or setting A/D bits. Returns false if unmapped. */
bool cpu_linear_to_phys(CPU *c, uint32_t linear, uint32_t *paddr);
/* Copy guest linear memory for a debugger; returns bytes done. */
uint32_t cpu_debug_rw(CPU *c, uint32_t linear, void *buf, uint32_t len, bool write);

/* The PC a debugger sees: CS.base + EIP; in real and virtual-8086 mode
 * CS*16 + IP (also right after reset, when the hidden CS base is FFFF0000). */
uint32_t cpu_debug_pc(CPU *c);
/* gdb watchpoints on linear [addr, addr+len): false if the table is full
 * (insert) or there is no such watchpoint (remove). */
bool cpu_watch_insert(CPU *c, uint32_t addr, uint32_t len, int kind);
bool cpu_watch_remove(CPU *c, uint32_t addr, uint32_t len, int kind);
void cpu_watch_clear(CPU *c); /* every gdb watchpoint */
/* Re-read DR0-DR3 and DR7 after they changed (MOV to DRn, reset). */
void cpu_dr_update(CPU *c);
/* A segment register as a debugger sets it: in real and virtual-8086 mode
 * base = selector*16; in protected mode from its descriptor, read without
 * side effects (no accessed bit, no fault). False if the selector cannot be
 * loaded (null CS/SS, beyond the table, not present, a system descriptor). */
bool cpu_debug_set_seg(CPU *c, int seg, uint16_t sel);
