/* Shared harness for the CPU interpreter unit tests (test_cpu_*.c).
 *
 * A bare machine (RAM + CPU, no devices) with code placed in guest RAM and
 * executed through cpu_run. Three ways to set the CPU up:
 *   h_real(cs, ip)  real mode, IVT at 0 pointing at the stubs;
 *   h_flat32(eip)   flat 32-bit protected mode, segment caches loaded
 *                   directly, no descriptor tables in memory;
 *   h_pm(eip)       flat 32-bit protected mode with a GDT, an IDT (every
 *                   vector -> its own "hlt; iret" stub) and a TSS in memory,
 *                   so exceptions are delivered and can be inspected.
 *
 * Guest physical layout (paging off: linear == physical):
 *   0x00000 IVT          0x01000 GDT     0x02000 IDT      0x03000 TSS
 *   0x04000 stubs: vector v's handler at H_STUB(v) = 0x4000 + 8v: F4 CF (hlt; iret)
 *   0x10000 code         0x20000 data    0x50000 ring-3 stack top
 *   0x60000 ring-0 stack top from the TSS (ESP0)    0x80000 initial ESP
 *
 * GDT selectors: see SEL_* below; entries from SEL_FREE on are for tests. */
#pragma once
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "hw/pc.h"

#define H_RAM (16u << 20)
#define H_IVT 0x0000u
#define H_GDT 0x1000u
#define H_IDT 0x2000u
#define H_TSS 0x3000u
#define H_STUBS 0x4000u
#define H_STUB(v) (H_STUBS + 8u * (uint32_t)(v))
#define H_CODE 0x10000u
#define H_DATA 0x20000u
#define H_USTACK 0x50000u
#define H_KSTACK 0x60000u
#define H_STACK 0x80000u

#define SEL_CODE0 0x08
#define SEL_DATA0 0x10
#define SEL_CODE3 0x1B
#define SEL_DATA3 0x23
#define SEL_TSS 0x28
#define SEL_CODE16 0x30
#define SEL_DATA16 0x38
#define SEL_FREE 0x40 /* 0x40..0xF8: free for tests */
#define H_GDT_ENTRIES 32

/* IDT gate attribute bytes */
#define GATE_INT0 0x8E  /* 32-bit interrupt gate, DPL 0 */
#define GATE_INT3 0xEE  /* 32-bit interrupt gate, DPL 3 */
#define GATE_TRAP0 0x8F /* 32-bit trap gate, DPL 0 */
#define GATE_TRAP3 0xEF /* 32-bit trap gate, DPL 3 */

static Machine *hm;
static CPU *hc;
/* The engine the suite runs on: H_MAIN runs every suite with both. */
static int h_accel = CPU_ACCEL_TCG;

static inline void h_init(void)
{
    hm = machine_new_bare(H_RAM);
    ck_assert_ptr_nonnull(hm);
    hc = hm->cpu;
    ck_assert_ptr_nonnull(hc);
    cpu_set_accel(hc, h_accel);
}

static inline void h_fini(void)
{
    machine_free(hm);
    hm = NULL;
    hc = NULL;
}

/* ---- guest physical memory */
static inline uint8_t *h_ptr(uint32_t pa)
{
    if (pa >= H_RAM) /* not ck_assert: that records every passing check (slow in loops) */
        ck_abort_msg("guest address %#x beyond RAM", pa);
    return hm->ram + pa;
}
static inline void h_load(uint32_t pa, const void *p, size_t n)
{
    memcpy(h_ptr(pa), p, n);
    cpu_invalidate_phys(hc, pa, (uint32_t)n);
}
/* Instruction bytes at pa, then a HLT. */
static inline void h_load_hlt(uint32_t pa, const uint8_t *b, size_t n)
{
    uint8_t buf[32];
    ck_assert_uint_lt(n, sizeof buf);
    memcpy(buf, b, n);
    buf[n] = 0xF4;
    h_load(pa, buf, n + 1);
}
static inline void h_w8(uint32_t pa, uint8_t v)
{
    h_load(pa, &v, 1);
}
static inline void h_w16(uint32_t pa, uint16_t v)
{
    h_load(pa, &v, 2);
}
static inline void h_w32(uint32_t pa, uint32_t v)
{
    h_load(pa, &v, 4);
}
static inline void h_w64(uint32_t pa, uint64_t v)
{
    h_load(pa, &v, 8);
}
static inline uint8_t h_r8(uint32_t pa)
{
    return *h_ptr(pa);
}
static inline uint16_t h_r16(uint32_t pa)
{
    uint16_t v;
    memcpy(&v, h_ptr(pa), 2);
    return v;
}
static inline uint32_t h_r32(uint32_t pa)
{
    uint32_t v;
    memcpy(&v, h_ptr(pa), 4);
    return v;
}
#define H_LOAD(pa, arr) h_load((pa), (arr), sizeof(arr))

/* ---- descriptors. access: P DPL S type byte; fl: G D/B L AVL nibble (0xC = 4K, 32-bit). */
static inline uint64_t h_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t fl)
{
    uint32_t lo = (limit & 0xFFFF) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xFF) | ((uint32_t)access << 8) | (limit & 0xF0000) |
                  ((uint32_t)(fl & 0xF) << 20) | (base & 0xFF000000u);
    return ((uint64_t)hi << 32) | lo;
}
static inline void h_gdt_set(uint16_t sel, uint64_t d)
{
    h_w64(H_GDT + (sel & ~7u), d);
}
static inline void h_idt_set(int v, uint16_t sel, uint32_t off, uint8_t attr)
{
    uint32_t lo = (off & 0xFFFF) | ((uint32_t)sel << 16);
    uint32_t hi = (off & 0xFFFF0000u) | ((uint32_t)attr << 8);
    h_w64(H_IDT + 8u * (uint32_t)v, ((uint64_t)hi << 32) | lo);
}

/* Descriptor tables, TSS, stubs and IVT in guest memory. */
static inline void h_tables(void)
{
    memset(h_ptr(H_GDT), 0, H_GDT_ENTRIES * 8);
    h_gdt_set(SEL_CODE0, h_desc(0, 0xFFFFF, 0x9B, 0xC));
    h_gdt_set(SEL_DATA0, h_desc(0, 0xFFFFF, 0x93, 0xC));
    h_gdt_set(SEL_CODE3, h_desc(0, 0xFFFFF, 0xFB, 0xC));
    h_gdt_set(SEL_DATA3, h_desc(0, 0xFFFFF, 0xF3, 0xC));
    h_gdt_set(SEL_TSS, h_desc(H_TSS, 0x67, 0x8B, 0x0)); /* busy 32-bit TSS (TR loaded) */
    h_gdt_set(SEL_CODE16, h_desc(0, 0xFFFF, 0x9B, 0x0));
    h_gdt_set(SEL_DATA16, h_desc(0, 0xFFFF, 0x93, 0x0));
    for (int v = 0; v < 256; v++) {
        static const uint8_t stub[8] = {0xF4, 0xCF, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
        h_load(H_STUB(v), stub, 8); /* hlt; iret */
        h_idt_set(v, SEL_CODE0, H_STUB(v), GATE_INT0);
        h_w32(H_IVT + 4u * (uint32_t)v, H_STUB(v)); /* real mode: 0000:stub */
    }
    memset(h_ptr(H_TSS), 0, 0x68);
    h_w32(H_TSS + 4, H_KSTACK);  /* ESP0 */
    h_w32(H_TSS + 8, SEL_DATA0); /* SS0 */
    h_w16(H_TSS + 0x66, 0x68);   /* no I/O bitmap */
}

/* ---- CPU modes */
static inline void h_real(uint16_t cs, uint16_t ip)
{
    h_tables();
    hc->cr0 = CR0_ET;
    hc->idt_base = H_IVT;
    hc->idt_limit = 0x3FF;
    for (int s = 0; s < 6; s++)
        cpu_set_seg_raw(hc, s, 0, 0, 0xFFFF, 0x93);
    cpu_set_seg_raw(hc, S_CS, cs, (uint32_t)cs << 4, 0xFFFF, 0x9B);
    hc->eip = ip;
    hc->halted = false;
    hc->last_vector = -1;
    hc->regs[R_ESP] = 0xFFFE;
    cpu_set_eflags(hc, 0x2);
    cpu_update_mode(hc);
}

static inline void h_flat32(uint32_t eip)
{
    hc->cr0 = CR0_PE | CR0_ET;
    cpu_set_seg_raw(hc, S_CS, SEL_CODE0, 0, 0xFFFFFFFFu, 0xC09B);
    static const int ds[] = {S_DS, S_ES, S_SS, S_FS, S_GS};
    for (int k = 0; k < 5; k++)
        cpu_set_seg_raw(hc, ds[k], SEL_DATA0, 0, 0xFFFFFFFFu, 0xC093);
    hc->cpl = 0;
    hc->eip = eip;
    hc->halted = false;
    hc->last_vector = -1;
    hc->regs[R_ESP] = H_STACK;
    cpu_set_eflags(hc, 0x2);
    cpu_update_mode(hc);
}

static inline void h_pm(uint32_t eip)
{
    h_tables();
    h_flat32(eip);
    hc->gdt_base = H_GDT;
    hc->gdt_limit = H_GDT_ENTRIES * 8 - 1;
    hc->idt_base = H_IDT;
    hc->idt_limit = 256 * 8 - 1;
    cpu_set_seg_raw(hc, S_TR, SEL_TSS, H_TSS, 0x67, 0x8B);
    cpu_set_seg_raw(hc, S_LDTR, 0, 0, 0, 0);
}

/* Switch the current state to CPL 3 with the flat ring-3 segments. */
static inline void h_ring3(uint32_t eip, uint32_t esp)
{
    cpu_set_seg_raw(hc, S_CS, SEL_CODE3, 0, 0xFFFFFFFFu, 0xC0FB);
    static const int ds[] = {S_DS, S_ES, S_SS, S_FS, S_GS};
    for (int k = 0; k < 5; k++)
        cpu_set_seg_raw(hc, ds[k], SEL_DATA3, 0, 0xFFFFFFFFu, 0xC0F3);
    hc->cpl = 3;
    hc->eip = eip;
    hc->halted = false;
    hc->regs[R_ESP] = esp;
    cpu_update_mode(hc);
}

/* ---- running */
/* Execute exactly n instructions (unless the CPU halts first). */
static inline int h_run(uint64_t n)
{
    return cpu_run(hc, hc->icount + n);
}
/* Run until HLT (at most max instructions); returns the cpu_run result. */
static inline int h_run_halt(uint64_t max)
{
    uint64_t end = hc->icount + max;
    int r;
    do
        r = cpu_run(hc, end);
    while (r == CPU_RUN_LIMIT && hc->icount < end);
    return r;
}
/* Run the one instruction at EIP and the HLT placed after it (load_insn,
 * h_load_hlt): both engines then execute the instruction as part of a
 * block, the translator in host code. */
static inline int h_run_insn(void)
{
    hc->halted = false;
    int r = h_run(2);
    ck_assert_msg(hc->halted, "the instruction did not reach its HLT (eip %#x)", hc->eip);
    return r;
}
/* Leave a stub's HLT so its IRET (or the code after a HLT) runs next. */
static inline void h_resume(void)
{
    hc->halted = false;
}
static inline uint32_t h_flags(void)
{
    return cpu_get_eflags(hc);
}
/* Dword at SS:ESP + 4k (paging off). */
static inline uint32_t h_stack(int k)
{
    return h_r32(hc->seg[S_SS].base + hc->regs[R_ESP] + 4u * (uint32_t)k);
}

/* After a run that should have delivered exception vec to its stub:
 * the stub halted, the vector and error code are as expected, and the
 * pushed frame (same-privilege, 32-bit) holds err (if any) and fault_eip. */
#define H_EXPECT_EXC(ret, vec, err, fault_eip)                                                     \
    do {                                                                                           \
        ck_assert_int_eq((ret), CPU_RUN_HALTED);                                                   \
        ck_assert_int_eq(hc->last_vector, (vec));                                                  \
        ck_assert_uint_eq(hc->eip, H_STUB(vec) + 1);                                               \
        if ((int32_t)(err) >= 0) {                                                                 \
            ck_assert_uint_eq(hc->last_error, (uint32_t)(err));                                    \
            ck_assert_uint_eq(h_stack(0), (uint32_t)(err));                                        \
            ck_assert_uint_eq(h_stack(1), (uint32_t)(fault_eip));                                  \
        } else {                                                                                   \
            ck_assert_uint_eq(h_stack(0), (uint32_t)(fault_eip));                                  \
        }                                                                                          \
    } while (0)

/* ---- mismatch accounting for table-driven tests */
static int h_fail_count;
#define H_MISMATCH(...)                                                                            \
    do {                                                                                           \
        if (h_fail_count++ < 12) {                                                                 \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* Deterministic pseudo-random numbers (xorshift32). */
static uint32_t h_rng_state = 0x12345678u;
static inline uint32_t h_rand(void)
{
    uint32_t x = h_rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return h_rng_state = x;
}

/* ---- instruction encodings */
/* One instruction: assembly text, length, bytes of immediate at the end
 * that a test may patch (0: none), the bytes. */
typedef struct Enc {
    const char *text;
    uint8_t len;
    uint8_t immsz;
    uint8_t b[15];
} Enc;

#define MASK(sz) ((sz) == 0 ? 0xFFu : (sz) == 1 ? 0xFFFFu : 0xFFFFFFFFu)
#define BITS(sz) (8 << (sz))
#define ALL_FLAGS F_ARITH

static inline uint32_t merge(uint32_t junk, uint32_t v, int sz)
{
    return (junk & ~MASK(sz)) | (v & MASK(sz));
}
static inline uint32_t sext(uint32_t v, int sz)
{
    return sz == 0 ? (uint32_t)(int8_t)v : sz == 1 ? (uint32_t)(int16_t)v : v;
}
static inline uint32_t szp(uint32_t v, int sz)
{
    v &= MASK(sz);
    return (v == 0 ? F_ZF : 0) | ((v >> (BITS(sz) - 1)) & 1 ? F_SF : 0) |
           (__builtin_parity(v & 0xFF) ? 0 : F_PF);
}

/* ---- single-instruction runner (table-driven tests) */

#define JA 0x5A5A5A00u /* junk in the unused upper bits of operands */
#define JD 0x3C3C3C00u
#define JC 0x7E7E7E00u
#define JM 0xC3C3C300u
#define GUARD 0xA5A5A5A5u

typedef struct St {
    uint32_t eax, ecx, edx, mem, flags;
} St;

/* Place instruction e (immediate patched to imm) at H_CODE followed by HLT
 * (rewritten, and decoded code invalidated, only when it changes). */
static inline void load_insn(const Enc *e, uint32_t imm)
{
    uint8_t b[16];
    memcpy(b, e->b, e->len);
    for (int k = 0; k < e->immsz; k++)
        b[e->len - e->immsz + k] = (uint8_t)(imm >> (8 * k));
    b[e->len] = 0xF4;
    if (memcmp(h_ptr(H_CODE), b, (size_t)e->len + 1))
        h_load(H_CODE, b, (size_t)e->len + 1);
}

/* Run one instruction from state in; ESI points at the memory operand. */
static inline St emu1(const Enc *e, uint32_t imm, St in)
{
    load_insn(e, imm);
    hc->regs[R_EAX] = in.eax;
    hc->regs[R_ECX] = in.ecx;
    hc->regs[R_EDX] = in.edx;
    hc->regs[R_EBX] = 0x0B0B0B0B;
    hc->regs[R_ESI] = H_DATA;
    hc->regs[R_EDI] = H_DATA + 0x100;
    hc->regs[R_EBP] = 0x0E0E0E0E;
    hc->regs[R_ESP] = H_STACK;
    h_w32(H_DATA, in.mem);
    h_w32(H_DATA + 4, GUARD);
    h_w32(H_DATA - 4, GUARD);
    hc->eip = H_CODE;
    hc->last_vector = -1;
    hc->halted = false;
    cpu_set_eflags(hc, (in.flags & F_ARITH) | 2u);
    int r = h_run(2); /* the instruction and its HLT: one block for the translator */
    /* if/ck_abort_msg rather than ck_assert: these run thousands of times */
    if (!(r == CPU_RUN_LIMIT && hc->last_vector == -1 && hc->halted &&
          hc->eip == H_CODE + e->len + 1))
        ck_abort_msg("%s: run=%d vector=%d eip=%#x", e->text, r, hc->last_vector, hc->eip);
    if (!(h_r32(H_DATA + 4) == GUARD && h_r32(H_DATA - 4) == GUARD))
        ck_abort_msg("%s: wrote outside its operand", e->text);
    if (!(hc->regs[R_EBX] == 0x0B0B0B0B && hc->regs[R_EBP] == 0x0E0E0E0E &&
          hc->regs[R_ESI] == H_DATA && hc->regs[R_EDI] == H_DATA + 0x100 &&
          hc->regs[R_ESP] == H_STACK))
        ck_abort_msg("%s: clobbered an unrelated register", e->text);
    return (St){hc->regs[R_EAX], hc->regs[R_ECX], hc->regs[R_EDX], h_r32(H_DATA),
                cpu_get_eflags(hc) & F_ARITH};
}

/* Compare emulator output with the expectation; flags under fmask only. */
static inline void st_check(const Enc *e, const char *what, St in, St exp, St got, uint32_t fmask)
{
    if (got.eax != exp.eax || got.ecx != exp.ecx || got.edx != exp.edx || got.mem != exp.mem ||
        (got.flags & fmask) != (exp.flags & fmask))
        H_MISMATCH("%s [%s] in: eax=%08x ecx=%08x edx=%08x mem=%08x fl=%03x | "
                   "want eax=%08x ecx=%08x edx=%08x mem=%08x fl=%03x | "
                   "got eax=%08x ecx=%08x edx=%08x mem=%08x fl=%03x (mask %03x)",
                   e->text, what, in.eax, in.ecx, in.edx, in.mem, in.flags, exp.eax, exp.ecx,
                   exp.edx, exp.mem, exp.flags & fmask, got.eax, got.ecx, got.edx, got.mem,
                   got.flags & fmask, fmask);
}

#define FINISH(name)                                                                               \
    ck_assert_msg(h_fail_count == 0, "%s: %d mismatches (first ones on stderr)", name, h_fail_count)

/* ---- suite boilerplate */
static inline TCase *h_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, h_init, h_fini);
    tcase_set_timeout(tc, 60);
    return tc;
}

/* Every suite runs twice: with the translator (the default engine) and
 * with the interpreter (the reference). */
#define H_MAIN(suite_fn)                                                                           \
    int main(void)                                                                                 \
    {                                                                                              \
        int nf = 0;                                                                                \
        for (int k = 0; k < 2; k++) {                                                              \
            h_accel = k ? CPU_ACCEL_INTERP : CPU_ACCEL_TCG;                                        \
            printf("engine: %s\n", k ? "interpreter (-accel interp)" : "translator (-accel tcg)"); \
            fflush(stdout);                                                                        \
            SRunner *sr = srunner_create(suite_fn());                                              \
            srunner_run_all(sr, CK_NORMAL);                                                        \
            nf += srunner_ntests_failed(sr);                                                       \
            srunner_free(sr);                                                                      \
        }                                                                                          \
        return nf ? EXIT_FAILURE : EXIT_SUCCESS;                                                   \
    }
