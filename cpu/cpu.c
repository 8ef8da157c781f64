/* The CPU core: reset, the run loop, exceptions and interrupts, segments,
 * far control transfers, task switches, control registers, MSRs, CPUID. */
#include <stdlib.h>
#include <sys/mman.h>

#include "cpu/cpu_internal.h"
#include "cpu/jit.h"
#include "hw/bytes.h"

#define BCACHE_HASH(pa) (((pa) ^ ((pa) >> BCACHE_BITS)) & (BCACHE_SIZE - 1))

/* ------------------------------------------------------------------ creation and reset */

/* The block cache and the decoded-block arena are mapped, not malloc'd:
 * their pages cost nothing until blocks use them, and a sanitizer build
 * does not write their shadow on every machine (the fuzz targets make one
 * machine per input; the cache alone cost 90 us under ASan). */
static void *map_zeroed(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

CPU *cpu_new(Machine *m, uint32_t ram_size)
{
    CPU *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->m = m;
    c->ram_pages = ram_size >> 12;
    c->bcache = map_zeroed(BCACHE_SIZE * sizeof(Block *));
    c->block_pool = map_zeroed(BLOCK_POOL_SIZE);
    c->page_gen = calloc(c->ram_pages + 1, sizeof(uint32_t));
    c->code_pages = calloc(c->ram_pages + 1, 1);
    c->code_bits = calloc(c->ram_pages + 1, sizeof *c->code_bits);
    c->smc_run = calloc(c->ram_pages + 1, 1);
    c->smc_last = calloc(c->ram_pages + 1, sizeof *c->smc_last);
    if (!c->bcache || !c->block_pool || !c->page_gen || !c->code_pages || !c->code_bits ||
        !c->smc_run || !c->smc_last) {
        cpu_free(c);
        return NULL;
    }
    c->tlb_filled = true; /* zeroed entries are not empty ones: the reset's flush clears them */
    c->tlb_nfills = TLB_FILLS_MAX + 1; /* and all of them, whatever flush comes first */
    cpu_reset(c);
    /* The translator by default, made on the first run: a machine whose
     * CPU never runs (a device's unit test or fuzz target) does not pay for
     * its caches. */
    c->jit_wanted = true;
    return c;
}

void cpu_free(CPU *c)
{
    if (!c)
        return;
    jit_free(c->jit);
    if (c->bcache)
        munmap(c->bcache, BCACHE_SIZE * sizeof(Block *));
    if (c->block_pool)
        munmap(c->block_pool, BLOCK_POOL_SIZE);
    free(c->page_gen);
    free(c->code_pages);
    free(c->code_bits);
    free(c->smc_run);
    free(c->smc_last);
    free(c);
}

void cpu_set_seg_raw(CPU *c, int seg, uint16_t sel, uint32_t base, uint32_t limit,
                     uint32_t flags)
{
    c->seg[seg] = (SegCache){.sel = sel, .base = base, .limit = limit, .flags = flags};
    if (seg < 6)
        seg_refresh(c, seg);
}

void seg_refresh(CPU *c, int seg)
{
    SegCache *s = &c->seg[seg];
    int64_t r = s->limit, w = s->limit;
    if ((c->cr0 & CR0_PE) && !(c->eflags & F_VM)) {
        uint32_t f = s->flags, t = SEGF_TYPE(f);
        if (!(f & SEGF_P) || !(f & SEGF_S)) {
            r = w = -1;
        } else if (t & 8) { /* code */
            w = -1;
            if (!(t & 2))
                r = -1;
        } else {
            if (t & 4)
                r = w = -1; /* expand-down: always the careful path */
            else if (!(t & 2))
                w = -1;
        }
    }
    c->seg_lim_r[seg] = r;
    c->seg_lim_w[seg] = w;
    c->need_check = true; /* translated code is specialised on the segments */
}

void cpu_update_mode(CPU *c)
{
    bool pe = c->cr0 & CR0_PE, vm = c->eflags & F_VM;
    if (!pe)
        c->cpl = 0;
    else if (vm)
        c->cpl = 3;
    c->code32 = pe && !vm && (c->seg[S_CS].flags & SEGF_DB);
    c->stack32 = pe && !vm && (c->seg[S_SS].flags & SEGF_DB);
    c->tlbp = c->tlb[c->cpl == 3];
    c->tlbp_paddr = c->tlb_paddr[c->cpl == 3];
    cpu_mtlb_clear(c);
    for (int s = 0; s < 6; s++)
        seg_refresh(c, s);
    c->need_check = true;
}

void cpu_reset(CPU *c)
{
    memset(c->regs, 0, sizeof c->regs);
    c->regs[R_EDX] = 0x00000633; /* family 6, model 3, stepping 3 */
    c->eip = 0xFFF0;
    c->eflags = 2;
    set_flags_eager(c, 0);
    c->cr0 = CR0_ET | CR0_CD | CR0_NW;
    c->cr2 = c->cr3 = c->cr4 = 0;
    memset(c->dr, 0, sizeof c->dr);
    c->dr[6] = 0xFFFF0FF0;
    c->dr[7] = 0x400;
    for (int s = 0; s < 6; s++)
        cpu_set_seg_raw(c, s, 0, 0, 0xFFFF, SEGF_P | SEGF_S | 0x3); /* RW data, accessed */
    cpu_set_seg_raw(c, S_CS, 0xF000, 0xFFFF0000u, 0xFFFF, SEGF_P | SEGF_S | 0xB);
    c->seg[S_LDTR] = (SegCache){.limit = 0xFFFF, .flags = SEGF_P | 0x2};
    c->seg[S_TR] = (SegCache){.limit = 0xFFFF, .flags = SEGF_P | 0xB};
    c->gdt_base = c->idt_base = 0;
    c->gdt_limit = c->idt_limit = 0xFFFF;
    c->cpl = 0;
    c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
    c->tsc_offset = 0;
    c->mtrr_def_type = 0;
    memset(c->mtrr, 0, sizeof c->mtrr);
    fpu_reset(&c->fpu);
    c->fpu.cw = 0x40;
    c->halted = false;
    c->nmi_pending = false;
    c->inhibit_irq = 0;
    c->exit_request = false;
    c->a20_mask = 0xFFFFFFFFu;
    c->delivering = -1;
    c->last_vector = -1;
    c->watch_hit = 0;
    c->fetching = false;
    cpu_dr_update(c);
    cpu_update_mode(c);
    cpu_tlb_flush(c, true);
    /* Images are reloaded into RAM behind our back after a reset. With no
     * block made since the last flush the cache is empty already (a new
     * CPU: its 512 KiB stay untouched until used). */
    if (c->block_pool_used)
        memset(c->bcache, 0, BCACHE_SIZE * sizeof(Block *));
    c->block_pool_used = 0;
    c->block_epoch++;
    memset(c->code_pages, 0, c->ram_pages + 1);
    memset(c->code_bits, 0, (c->ram_pages + 1) * sizeof *c->code_bits);
    if (c->jit)
        jit_flush(c);
}

void cpu_stall(CPU *c, uint64_t n)
{
    icount_extend(c, n);
    c->need_check = true;
}

int cpu_set_accel(CPU *c, int accel)
{
    if (accel == CPU_ACCEL_TCG && !c->jit)
        c->jit = jit_new(c);
    else if (accel != CPU_ACCEL_TCG && c->jit) {
        jit_free(c->jit);
        c->jit = NULL;
    }
    c->jit_wanted = c->jit != NULL;
    return c->jit ? CPU_ACCEL_TCG : CPU_ACCEL_INTERP;
}

void cpu_get_stats(CPU *c, CpuStats *s)
{
    memset(s, 0, sizeof *s);
    s->accel = c->jit ? CPU_ACCEL_TCG : CPU_ACCEL_INTERP;
    if (c->jit)
        jit_stats(c, s);
}

void cpu_print_fallbacks(CPU *c, int n)
{
    if (c->jit)
        jit_print_fallbacks(c, n);
}

void cpu_set_intr(CPU *c, bool level)
{
    c->intr_line = level;
    if (level)
        c->need_check = true;
}

bool cpu_is_idle(CPU *c)
{
    return c->halted && !c->nmi_pending && !(c->intr_line && (c->eflags & F_IF));
}

void cpu_set_a20(CPU *c, bool enabled)
{
    uint32_t mask = enabled ? 0xFFFFFFFFu : ~(1u << 20);
    if (mask != c->a20_mask) {
        c->a20_mask = mask;
        cpu_tlb_flush(c, true);
        c->need_check = true; /* chained code assumed the old mapping */
    }
}

/* ------------------------------------------------------------------ stack helpers */

typedef struct StackPtr {
    uint32_t base, esp, mask;
    bool user;
} StackPtr;

static void sp_push(CPU *c, StackPtr *s, uint32_t v, int size)
{
    s->esp = (s->esp & ~s->mask) | ((s->esp - (uint32_t)size) & s->mask);
    uint32_t lin = s->base + (s->esp & s->mask);
    if (s->user)
        mem_write_slow(c, lin, v, size, true);
    else
        sys_write(c, lin, v, size);
}

static uint32_t sp_pop(CPU *c, StackPtr *s, int size)
{
    uint32_t lin = s->base + (s->esp & s->mask);
    uint32_t v = s->user ? mem_read_slow(c, lin, size, true) : sys_read(c, lin, size);
    s->esp = (s->esp & ~s->mask) | ((s->esp + (uint32_t)size) & s->mask);
    return v;
}

static StackPtr cur_stack(CPU *c)
{
    return (StackPtr){c->seg[S_SS].base, c->regs[R_ESP], c->stack32 ? 0xFFFFFFFFu : 0xFFFFu,
                      c->cpl == 3};
}

/* ------------------------------------------------------------------ descriptors */

/* Read the 8-byte descriptor for sel from the GDT or LDT. */
bool desc_load(CPU *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t base, limit;
    if (sel & 4) {
        if (!(c->seg[S_LDTR].flags & SEGF_P) || (c->seg[S_LDTR].sel & ~3) == 0)
            return false;
        base = c->seg[S_LDTR].base;
        limit = c->seg[S_LDTR].limit;
    } else {
        base = c->gdt_base;
        limit = c->gdt_limit;
    }
    uint32_t idx = sel & ~7u;
    if (idx + 7 > limit)
        return false;
    *lo = sys_read(c, base + idx, 4);
    *hi = sys_read(c, base + idx + 4, 4);
    return true;
}

static void desc_set_accessed(CPU *c, uint16_t sel, uint32_t hi)
{
    if (hi & 0x100)
        return;
    uint32_t base = (sel & 4) ? c->seg[S_LDTR].base : c->gdt_base;
    sys_write(c, base + (sel & ~7u) + 4, hi | 0x100, 4);
}

static void seg_from_desc(CPU *c, int seg, uint16_t sel, uint32_t lo, uint32_t hi)
{
    cpu_set_seg_raw(c, seg, sel, desc_base(lo, hi), desc_limit(lo, hi), (hi >> 8) & 0xF0FF);
}

static void load_seg_real(CPU *c, int seg, uint16_t sel)
{
    SegCache *s = &c->seg[seg];
    s->sel = sel;
    s->base = (uint32_t)sel << 4;
    if (c->eflags & F_VM) {
        s->limit = 0xFFFF;
        s->flags = SEGF_P | SEGF_S | (3 << 5) | (seg == S_CS ? 0xB : 0x3);
    } else if (seg == S_CS) {
        s->flags = (s->flags & ~SEGF_DB) | SEGF_P | SEGF_S;
    }
    seg_refresh(c, seg);
}

void load_seg(CPU *c, int seg, uint16_t sel)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM)) {
        load_seg_real(c, seg, sel);
        if (seg == S_SS)
            cpu_update_mode(c);
        return;
    }
    uint32_t lo, hi;
    if ((sel & ~3) == 0) {
        if (seg == S_SS)
            cpu_raise(c, EX_GP, 0);
        /* Null selector: loads, but any use faults. */
        cpu_set_seg_raw(c, seg, sel, 0, 0, 0);
        return;
    }
    if (!desc_load(c, sel, &lo, &hi))
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    uint32_t f = (hi >> 8) & 0xFF, type = f & 0xF;
    int dpl = (f >> 5) & 3, rpl = sel & 3;
    if (seg == S_SS) {
        if (!(f & SEGF_S) || (type & 8) || !(type & 2) || rpl != c->cpl || dpl != c->cpl)
            cpu_raise(c, EX_GP, sel & 0xFFFC);
        if (!(f & SEGF_P))
            cpu_raise(c, EX_SS, sel & 0xFFFC);
    } else {
        if (!(f & SEGF_S) || ((type & 8) && !(type & 2)))
            cpu_raise(c, EX_GP, sel & 0xFFFC);
        /* Data and non-conforming code: DPL >= max(CPL, RPL). */
        if (!((type & 8) && (type & 4)) && (dpl < c->cpl || dpl < rpl))
            cpu_raise(c, EX_GP, sel & 0xFFFC);
        if (!(f & SEGF_P))
            cpu_raise(c, EX_NP, sel & 0xFFFC);
    }
    desc_set_accessed(c, sel, hi);
    seg_from_desc(c, seg, sel, lo, hi | 0x100);
    if (seg == S_SS)
        cpu_update_mode(c);
}

/* Check and load CS for a transfer to a code segment at new_cpl. */
static void load_cs(CPU *c, uint16_t sel, uint32_t lo, uint32_t hi, int new_cpl)
{
    desc_set_accessed(c, sel, hi);
    seg_from_desc(c, S_CS, (uint16_t)((sel & ~3) | new_cpl), lo, hi | 0x100);
    c->cpl = new_cpl;
    cpu_update_mode(c);
}

/* Segment registers that the new (outer) privilege may not keep become null. */
static void null_inaccessible_segs(CPU *c)
{
    static const int segs[] = {S_ES, S_DS, S_FS, S_GS};
    for (int k = 0; k < 4; k++) {
        SegCache *s = &c->seg[segs[k]];
        uint32_t t = SEGF_TYPE(s->flags);
        bool conforming_code = (t & 8) && (t & 4);
        if ((s->sel & ~3) && !conforming_code && (int)SEGF_DPL(s->flags) < c->cpl)
            cpu_set_seg_raw(c, segs[k], 0, 0, 0, 0);
    }
}

/* Fetch and check the code descriptor of a far transfer target. */
static void code_desc(CPU *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    if ((sel & ~3) == 0)
        cpu_raise(c, EX_GP, 0);
    if (!desc_load(c, sel, lo, hi))
        cpu_raise(c, EX_GP, sel & 0xFFFC);
}

/* ------------------------------------------------------------------ task switch */

enum { TS_JMP, TS_CALL, TS_IRET, TS_INT };

static void task_switch(CPU *c, uint16_t sel, uint32_t lo, uint32_t hi, int kind,
                        uint32_t next_eip)
{
    uint32_t type = (hi >> 8) & 0xF;
    if (type != 9 && type != 0xB && type != 1 && type != 3)
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    if (!(hi & 0x8000))
        cpu_raise(c, EX_NP, sel & 0xFFFC);
    bool is32 = type & 8;
    uint32_t nbase = desc_base(lo, hi), nlimit = desc_limit(lo, hi);
    if (nlimit < (is32 ? 0x67u : 0x2Bu))
        cpu_raise(c, EX_TS, sel & 0xFFFC);

    /* Save the outgoing task. */
    uint32_t ob = c->seg[S_TR].base;
    uint32_t eflags = cpu_get_eflags(c);
    if (kind == TS_IRET)
        eflags &= ~F_NT;
    bool o32 = (c->seg[S_TR].flags & 0xF) == 0xB || (c->seg[S_TR].flags & 0xF) == 9;
    if (o32) {
        sys_write(c, ob + 0x20, next_eip, 4);
        sys_write(c, ob + 0x24, eflags, 4);
        for (int r = 0; r < 8; r++)
            sys_write(c, ob + 0x28 + 4 * r, c->regs[r], 4);
        for (int s = 0; s < 6; s++)
            sys_write(c, ob + 0x48 + 4 * s, c->seg[s].sel, 2);
    } else {
        sys_write(c, ob + 0x0E, next_eip, 2);
        sys_write(c, ob + 0x10, eflags, 2);
        for (int r = 0; r < 8; r++)
            sys_write(c, ob + 0x12 + 2 * r, c->regs[r], 2);
        for (int s = 0; s < 4; s++)
            sys_write(c, ob + 0x22 + 2 * s, c->seg[s].sel, 2);
    }
    uint32_t olo, ohi;
    if ((kind == TS_JMP || kind == TS_IRET) && desc_load(c, c->seg[S_TR].sel, &olo, &ohi))
        sys_write(c, c->gdt_base + (c->seg[S_TR].sel & ~7u) + 4, ohi & ~0x200u, 4);
    if (kind == TS_CALL || kind == TS_INT)
        sys_write(c, nbase, c->seg[S_TR].sel, 2);
    if (kind != TS_IRET)
        sys_write(c, c->gdt_base + (sel & ~7u) + 4, hi | 0x200, 4);

    /* Load the incoming task. */
    uint32_t neip, nfl, nregs[8], ncr3 = c->cr3;
    uint16_t nsel[6] = {0}, nldt;
    if (is32) {
        ncr3 = sys_read(c, nbase + 0x1C, 4);
        neip = sys_read(c, nbase + 0x20, 4);
        nfl = sys_read(c, nbase + 0x24, 4);
        for (int r = 0; r < 8; r++)
            nregs[r] = sys_read(c, nbase + 0x28 + 4 * r, 4);
        for (int s = 0; s < 6; s++)
            nsel[s] = (uint16_t)sys_read(c, nbase + 0x48 + 4 * s, 2);
        nldt = (uint16_t)sys_read(c, nbase + 0x60, 2);
    } else {
        neip = sys_read(c, nbase + 0x0E, 2);
        nfl = sys_read(c, nbase + 0x10, 2);
        for (int r = 0; r < 8; r++)
            nregs[r] = sys_read(c, nbase + 0x12 + 2 * r, 2);
        for (int s = 0; s < 4; s++)
            nsel[s] = (uint16_t)sys_read(c, nbase + 0x22 + 2 * s, 2);
        nldt = (uint16_t)sys_read(c, nbase + 0x2A, 2);
    }
    if (kind == TS_CALL || kind == TS_INT)
        nfl |= F_NT;
    c->seg[S_TR] = (SegCache){.sel = sel, .base = nbase, .limit = nlimit,
                              .flags = ((hi >> 8) & 0xF0FF) | 0x2};
    c->cr0 |= CR0_TS;
    if (is32 && (c->cr0 & CR0_PG) && ncr3 != c->cr3)
        set_cr3(c, ncr3);
    memcpy(c->regs, nregs, sizeof nregs);
    c->eip = neip;
    c->eflags = (nfl & ~F_ARITH & 0x003F7FD5u) | 2u;
    set_flags_eager(c, nfl);
    /* Selectors first (so CPL is right), then full loads. */
    c->cpl = (nfl & F_VM) ? 3 : (nsel[S_CS] & 3);
    for (int s = 0; s < 6; s++)
        c->seg[s].sel = nsel[s];
    load_ldtr(c, nldt);
    if (nfl & F_VM) {
        for (int s = 0; s < 6; s++)
            load_seg_real(c, s, nsel[s]);
    } else {
        uint32_t clo, chi;
        code_desc(c, nsel[S_CS], &clo, &chi);
        seg_from_desc(c, S_CS, nsel[S_CS], clo, chi);
        cpu_update_mode(c);
        load_seg(c, S_SS, nsel[S_SS]);
        for (int s = 0; s < 6; s++)
            if (s != S_CS && s != S_SS)
                load_seg(c, s, nsel[s]);
    }
    cpu_update_mode(c);
}

/* ------------------------------------------------------------------ interrupts */

static void deliver_real(CPU *c, int vector, uint32_t next_eip)
{
    uint32_t a = c->idt_base + (uint32_t)vector * 4;
    if ((uint32_t)vector * 4 + 3 > c->idt_limit)
        cpu_raise(c, EX_GP, 0);
    uint32_t ent = sys_read(c, a, 4);
    StackPtr s = cur_stack(c);
    sp_push(c, &s, cpu_get_eflags(c), 2);
    sp_push(c, &s, c->seg[S_CS].sel, 2);
    sp_push(c, &s, next_eip, 2);
    c->regs[R_ESP] = s.esp;
    c->eflags &= ~(F_IF | F_TF | F_AC | F_RF);
    load_seg_real(c, S_CS, (uint16_t)(ent >> 16));
    c->eip = ent & 0xFFFF;
    cpu_update_mode(c);
}

void do_interrupt(CPU *c, int vector, bool is_sw, int32_t error_code, uint32_t next_eip)
{
    c->last_vector = vector;
    c->last_error = (uint32_t)error_code;
    c->halted = false;
    if (!(c->cr0 & CR0_PE)) {
        deliver_real(c, vector, next_eip);
        return;
    }
    bool vm = c->eflags & F_VM;
    int ext = is_sw ? 0 : 1;
    uint32_t gerr = (uint32_t)vector * 8 + 2 + (uint32_t)ext;
    if ((uint32_t)vector * 8 + 7 > c->idt_limit)
        cpu_raise(c, EX_GP, (int32_t)gerr);
    uint32_t lo = sys_read(c, c->idt_base + (uint32_t)vector * 8, 4);
    uint32_t hi = sys_read(c, c->idt_base + (uint32_t)vector * 8 + 4, 4);
    uint32_t type = (hi >> 8) & 0x1F;
    int gdpl = (hi >> 13) & 3;
    if (type != 0x05 && type != 0x06 && type != 0x07 && type != 0x0E && type != 0x0F)
        cpu_raise(c, EX_GP, (int32_t)gerr);
    if (is_sw && gdpl < c->cpl)
        cpu_raise(c, EX_GP, (int32_t)gerr);
    if (!(hi & 0x8000))
        cpu_raise(c, EX_NP, (int32_t)gerr);
    if (type == 0x05) {
        uint16_t tsel = (uint16_t)(lo >> 16);
        uint32_t tlo, thi;
        if ((tsel & 4) || !desc_load(c, tsel, &tlo, &thi))
            cpu_raise(c, EX_TS, tsel & 0xFFFC);
        task_switch(c, tsel, tlo, thi, TS_INT, next_eip);
        if (error_code >= 0) {
            StackPtr s = cur_stack(c);
            sp_push(c, &s, (uint32_t)error_code, (c->seg[S_TR].flags & 8) ? 4 : 2);
            c->regs[R_ESP] = s.esp;
        }
        return;
    }
    bool g32 = type & 8;
    int size = g32 ? 4 : 2;
    uint16_t sel = (uint16_t)(lo >> 16);
    uint32_t off = g32 ? ((lo & 0xFFFF) | (hi & 0xFFFF0000u)) : (lo & 0xFFFF);
    uint32_t clo, chi;
    if ((sel & ~3) == 0)
        cpu_raise(c, EX_GP, ext);
    if (!desc_load(c, sel, &clo, &chi))
        cpu_raise(c, EX_GP, (int32_t)((sel & 0xFFFC) + ext));
    uint32_t cf = (chi >> 8) & 0xFF;
    int dpl = (cf >> 5) & 3;
    if (!(cf & SEGF_S) || !(cf & 8) || dpl > c->cpl)
        cpu_raise(c, EX_GP, (int32_t)((sel & 0xFFFC) + ext));
    if (!(cf & SEGF_P))
        cpu_raise(c, EX_NP, (int32_t)((sel & 0xFFFC) + ext));
    bool conforming = cf & 4;
    uint32_t old_eflags = cpu_get_eflags(c);
    uint16_t old_cs = c->seg[S_CS].sel, old_ss = c->seg[S_SS].sel;
    uint32_t old_esp = c->regs[R_ESP];

    if (!conforming && dpl < c->cpl) {
        /* Inner privilege: stack from the TSS. */
        uint32_t tb = c->seg[S_TR].base;
        bool t32 = (c->seg[S_TR].flags & 8) != 0;
        uint32_t nesp;
        uint16_t nss;
        if (t32) {
            nesp = sys_read(c, tb + 4 + 8 * dpl, 4);
            nss = (uint16_t)sys_read(c, tb + 8 + 8 * dpl, 2);
        } else {
            nesp = sys_read(c, tb + 2 + 4 * dpl, 2);
            nss = (uint16_t)sys_read(c, tb + 4 + 4 * dpl, 2);
        }
        uint32_t slo, shi;
        if ((nss & ~3) == 0 || !desc_load(c, nss, &slo, &shi))
            cpu_raise(c, EX_TS, (int32_t)((nss & 0xFFFC) + ext));
        uint32_t sf = (shi >> 8) & 0xFF;
        if ((nss & 3) != dpl || (int)((sf >> 5) & 3) != dpl || !(sf & SEGF_S) || (sf & 8) ||
            !(sf & 2))
            cpu_raise(c, EX_TS, (int32_t)((nss & 0xFFFC) + ext));
        if (!(sf & SEGF_P))
            cpu_raise(c, EX_SS, (int32_t)((nss & 0xFFFC) + ext));
        StackPtr s = {desc_base(slo, shi), nesp, (shi & 0x400000) ? 0xFFFFFFFFu : 0xFFFFu,
                      false};
        if (vm) {
            sp_push(c, &s, c->seg[S_GS].sel, size);
            sp_push(c, &s, c->seg[S_FS].sel, size);
            sp_push(c, &s, c->seg[S_DS].sel, size);
            sp_push(c, &s, c->seg[S_ES].sel, size);
        }
        sp_push(c, &s, old_ss, size);
        sp_push(c, &s, old_esp, size);
        sp_push(c, &s, old_eflags, size);
        sp_push(c, &s, old_cs, size);
        sp_push(c, &s, next_eip, size);
        if (error_code >= 0)
            sp_push(c, &s, (uint32_t)error_code, size);
        /* Commit. */
        c->eflags &= ~(F_TF | F_NT | F_VM | F_RF);
        if (!(type & 1))
            c->eflags &= ~F_IF;
        if (vm)
            for (int sg = 0; sg < 6; sg++)
                if (sg != S_CS && sg != S_SS)
                    cpu_set_seg_raw(c, sg, 0, 0, 0, 0);
        c->cpl = dpl;
        desc_set_accessed(c, nss, shi);
        seg_from_desc(c, S_SS, nss, slo, shi | 0x100);
        c->regs[R_ESP] = s.esp;
        load_cs(c, sel, clo, chi, dpl);
    } else {
        if (vm)
            cpu_raise(c, EX_GP, (int32_t)((sel & 0xFFFC) + ext));
        StackPtr s = cur_stack(c);
        s.user = false;
        sp_push(c, &s, old_eflags, size);
        sp_push(c, &s, old_cs, size);
        sp_push(c, &s, next_eip, size);
        if (error_code >= 0)
            sp_push(c, &s, (uint32_t)error_code, size);
        c->eflags &= ~(F_TF | F_NT | F_VM | F_RF);
        if (!(type & 1))
            c->eflags &= ~F_IF;
        c->regs[R_ESP] = s.esp;
        load_cs(c, sel, clo, chi, c->cpl);
    }
    c->eip = off;
}

static bool contributory(int v)
{
    return v == EX_DE || (v >= EX_TS && v <= EX_GP);
}

__attribute__((noreturn)) void cpu_raise(CPU *c, int vector, int32_t error_code)
{
    c->eip = c->prev_eip;
    if (c->delivering >= 0) {
        int first = c->delivering;
        if (first == EX_DF) {
            wb_log("triple fault at %04x:%08x (resetting)", c->seg[S_CS].sel, c->prev_eip);
            c->delivering = -1;
            machine_request_reset(c->m);
            c->exit_request = true;
            longjmp(c->jmp, 1);
        }
        if ((contributory(first) && contributory(vector)) ||
            (first == EX_PF && (vector == EX_PF || contributory(vector)))) {
            vector = EX_DF;
            error_code = 0;
        }
    }
    c->delivering = vector;
    do_interrupt(c, vector, false, error_code, c->eip);
    c->delivering = -1;
    longjmp(c->jmp, 1);
}

/* ------------------------------------------------------------------ far transfers */

/* A far JMP/CALL straight to a code segment (no gate): type, privilege, present. */
static void check_direct_code(CPU *c, uint16_t sel, uint32_t f)
{
    int dpl = (f >> 5) & 3;
    if (!(f & 8))
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    if ((f & 4) ? dpl > c->cpl : ((sel & 3) > c->cpl || dpl != c->cpl))
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    if (!(f & SEGF_P))
        cpu_raise(c, EX_NP, sel & 0xFFFC);
}

void do_far_jmp(CPU *c, uint16_t sel, uint32_t off)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM)) {
        load_seg_real(c, S_CS, sel);
        c->eip = off;
        cpu_update_mode(c);
        return;
    }
    uint32_t lo, hi;
    code_desc(c, sel, &lo, &hi);
    uint32_t f = (hi >> 8) & 0xFF;
    int dpl = (f >> 5) & 3;
    if (f & SEGF_S) {
        check_direct_code(c, sel, f);
        if (off > desc_limit(lo, hi))
            cpu_raise(c, EX_GP, 0);
        load_cs(c, sel, lo, hi, c->cpl);
        c->eip = off;
        return;
    }
    uint32_t type = f & 0xF;
    if (type == 1 || type == 9) {
        if (dpl < c->cpl || dpl < (sel & 3))
            cpu_raise(c, EX_GP, sel & 0xFFFC);
        task_switch(c, sel, lo, hi, TS_JMP, c->eip);
        return;
    }
    if (type == 5) {
        uint16_t tsel = (uint16_t)(lo >> 16);
        uint32_t tlo, thi;
        if (!desc_load(c, tsel, &tlo, &thi))
            cpu_raise(c, EX_GP, tsel & 0xFFFC);
        task_switch(c, tsel, tlo, thi, TS_JMP, c->eip);
        return;
    }
    if (type == 4 || type == 0xC) { /* call gate, same privilege only */
        if (dpl < c->cpl || dpl < (sel & 3))
            cpu_raise(c, EX_GP, sel & 0xFFFC);
        if (!(f & SEGF_P))
            cpu_raise(c, EX_NP, sel & 0xFFFC);
        uint16_t csel = (uint16_t)(lo >> 16);
        uint32_t goff = (lo & 0xFFFF) | ((type & 8) ? (hi & 0xFFFF0000u) : 0);
        uint32_t clo, chi;
        code_desc(c, csel, &clo, &chi);
        uint32_t cf = (chi >> 8) & 0xFF;
        int cdpl = (cf >> 5) & 3;
        if (!(cf & SEGF_S) || !(cf & 8) || ((cf & 4) ? cdpl > c->cpl : cdpl != c->cpl))
            cpu_raise(c, EX_GP, csel & 0xFFFC);
        if (!(cf & SEGF_P))
            cpu_raise(c, EX_NP, csel & 0xFFFC);
        load_cs(c, csel, clo, chi, c->cpl);
        c->eip = goff;
        return;
    }
    cpu_raise(c, EX_GP, sel & 0xFFFC);
}

void do_far_call(CPU *c, uint16_t sel, uint32_t off, bool o32, uint32_t next_eip)
{
    int size = o32 ? 4 : 2;
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM)) {
        StackPtr s = cur_stack(c);
        s.user = c->cpl == 3;
        sp_push(c, &s, c->seg[S_CS].sel, size);
        sp_push(c, &s, next_eip, size);
        c->regs[R_ESP] = s.esp;
        load_seg_real(c, S_CS, sel);
        c->eip = off;
        cpu_update_mode(c);
        return;
    }
    uint32_t lo, hi;
    code_desc(c, sel, &lo, &hi);
    uint32_t f = (hi >> 8) & 0xFF;
    int dpl = (f >> 5) & 3;
    if (f & SEGF_S) {
        check_direct_code(c, sel, f);
        if (off > desc_limit(lo, hi))
            cpu_raise(c, EX_GP, 0);
        StackPtr s = cur_stack(c);
        sp_push(c, &s, c->seg[S_CS].sel, size);
        sp_push(c, &s, next_eip, size);
        c->regs[R_ESP] = s.esp;
        load_cs(c, sel, lo, hi, c->cpl);
        c->eip = off;
        return;
    }
    uint32_t type = f & 0xF;
    if (type == 1 || type == 9 || type == 5) {
        if (dpl < c->cpl || dpl < (sel & 3))
            cpu_raise(c, EX_GP, sel & 0xFFFC);
        if (type == 5) {
            uint16_t tsel = (uint16_t)(lo >> 16);
            if (!desc_load(c, tsel, &lo, &hi))
                cpu_raise(c, EX_GP, tsel & 0xFFFC);
            sel = tsel;
        }
        task_switch(c, sel, lo, hi, TS_CALL, next_eip);
        return;
    }
    if (type != 4 && type != 0xC)
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    /* Call gate. */
    if (dpl < c->cpl || dpl < (sel & 3))
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    if (!(f & SEGF_P))
        cpu_raise(c, EX_NP, sel & 0xFFFC);
    bool g32 = type & 8;
    int gsize = g32 ? 4 : 2;
    uint16_t csel = (uint16_t)(lo >> 16);
    uint32_t goff = (lo & 0xFFFF) | (g32 ? (hi & 0xFFFF0000u) : 0);
    int nparams = hi & 0x1F;
    uint32_t clo, chi;
    code_desc(c, csel, &clo, &chi);
    uint32_t cf = (chi >> 8) & 0xFF;
    int cdpl = (cf >> 5) & 3;
    if (!(cf & SEGF_S) || !(cf & 8) || cdpl > c->cpl)
        cpu_raise(c, EX_GP, csel & 0xFFFC);
    if (!(cf & SEGF_P))
        cpu_raise(c, EX_NP, csel & 0xFFFC);
    if (!(cf & 4) && cdpl < c->cpl) {
        uint32_t tb = c->seg[S_TR].base;
        uint32_t nesp = sys_read(c, tb + 4 + 8 * cdpl, 4);
        uint16_t nss = (uint16_t)sys_read(c, tb + 8 + 8 * cdpl, 2);
        uint32_t slo, shi;
        if ((nss & ~3) == 0 || !desc_load(c, nss, &slo, &shi))
            cpu_raise(c, EX_TS, nss & 0xFFFC);
        StackPtr old = cur_stack(c);
        StackPtr s = {desc_base(slo, shi), nesp, (shi & 0x400000) ? 0xFFFFFFFFu : 0xFFFFu,
                      false};
        uint32_t params[32];
        for (int k = 0; k < nparams; k++)
            params[k] = mem_read_slow(c, old.base + ((old.esp + (uint32_t)(k * gsize)) & old.mask),
                                      gsize, c->cpl == 3);
        sp_push(c, &s, c->seg[S_SS].sel, gsize);
        sp_push(c, &s, c->regs[R_ESP], gsize);
        for (int k = nparams - 1; k >= 0; k--)
            sp_push(c, &s, params[k], gsize);
        sp_push(c, &s, c->seg[S_CS].sel, gsize);
        sp_push(c, &s, next_eip, gsize);
        c->cpl = cdpl;
        seg_from_desc(c, S_SS, nss, slo, shi);
        c->regs[R_ESP] = s.esp;
        load_cs(c, csel, clo, chi, cdpl);
    } else {
        StackPtr s = cur_stack(c);
        sp_push(c, &s, c->seg[S_CS].sel, gsize);
        sp_push(c, &s, next_eip, gsize);
        c->regs[R_ESP] = s.esp;
        load_cs(c, csel, clo, chi, c->cpl);
    }
    c->eip = goff;
}

/* The code segment a far RET or IRET returns to: RPL not below CPL, a
 * present code segment whose DPL equals the RPL (conforming: not above it). */
static void return_code_desc(CPU *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    int rpl = sel & 3;
    if (rpl < c->cpl)
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    code_desc(c, sel, lo, hi);
    uint32_t f = (*hi >> 8) & 0xFF;
    int dpl = (f >> 5) & 3;
    if (!(f & SEGF_S) || !(f & 8) || ((f & 4) ? dpl > rpl : dpl != rpl))
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    if (!(f & SEGF_P))
        cpu_raise(c, EX_NP, sel & 0xFFFC);
}

void do_far_ret(CPU *c, bool o32, uint16_t pop_extra)
{
    int size = o32 ? 4 : 2;
    StackPtr s = cur_stack(c);
    uint32_t eip = sp_pop(c, &s, size);
    uint16_t sel = (uint16_t)sp_pop(c, &s, size);
    if (!o32)
        eip &= 0xFFFF;
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM)) {
        s.esp = (s.esp & ~s.mask) | ((s.esp + pop_extra) & s.mask);
        c->regs[R_ESP] = s.esp;
        load_seg_real(c, S_CS, sel);
        c->eip = eip;
        cpu_update_mode(c);
        return;
    }
    int rpl = sel & 3;
    uint32_t lo, hi;
    return_code_desc(c, sel, &lo, &hi);
    s.esp = (s.esp & ~s.mask) | ((s.esp + pop_extra) & s.mask);
    if (rpl > c->cpl) {
        uint32_t nesp = sp_pop(c, &s, size);
        uint16_t nss = (uint16_t)sp_pop(c, &s, size);
        load_cs(c, sel, lo, hi, rpl);
        load_seg(c, S_SS, nss);
        c->regs[R_ESP] = nesp + pop_extra;
        if (!c->stack32)
            c->regs[R_ESP] &= 0xFFFF;
        null_inaccessible_segs(c);
    } else {
        c->regs[R_ESP] = s.esp;
        load_cs(c, sel, lo, hi, c->cpl);
    }
    c->eip = eip;
}

void write_eflags(CPU *c, uint32_t val, uint32_t mask)
{
    uint32_t cur = cpu_get_eflags(c);
    uint32_t v = (cur & ~mask) | (val & mask);
    cpu_set_eflags(c, v);
    cpu_update_mode(c);
}

void do_iret(CPU *c, bool o32)
{
    int size = o32 ? 4 : 2;
    StackPtr s = cur_stack(c);
    s.user = c->cpl == 3;
    if (!(c->cr0 & CR0_PE)) {
        uint32_t eip = sp_pop(c, &s, size);
        uint16_t cs = (uint16_t)sp_pop(c, &s, size);
        uint32_t fl = sp_pop(c, &s, size);
        c->regs[R_ESP] = s.esp;
        load_seg_real(c, S_CS, cs);
        c->eip = o32 ? eip : (eip & 0xFFFF);
        write_eflags(c, fl, o32 ? 0x257FD5u : 0x7FD5u);
        return;
    }
    if (c->eflags & F_VM) {
        if (((c->eflags & F_IOPL) >> 12) != 3)
            cpu_raise(c, EX_GP, 0);
        uint32_t eip = sp_pop(c, &s, size);
        uint16_t cs = (uint16_t)sp_pop(c, &s, size);
        uint32_t fl = sp_pop(c, &s, size);
        c->regs[R_ESP] = s.esp;
        load_seg_real(c, S_CS, cs);
        c->eip = o32 ? eip : (eip & 0xFFFF);
        write_eflags(c, fl, (o32 ? 0x257FD5u : 0x7FD5u) & ~F_IOPL);
        return;
    }
    if (c->eflags & F_NT) {
        uint16_t link = (uint16_t)sys_read(c, c->seg[S_TR].base, 2);
        uint32_t lo, hi;
        if ((link & 4) || !desc_load(c, link, &lo, &hi))
            cpu_raise(c, EX_TS, link & 0xFFFC);
        task_switch(c, link, lo, hi, TS_IRET, c->eip);
        return;
    }
    uint32_t eip = sp_pop(c, &s, size);
    uint16_t sel = (uint16_t)sp_pop(c, &s, size);
    uint32_t fl = sp_pop(c, &s, size);
    if (!o32)
        fl = (cpu_get_eflags(c) & 0xFFFF0000u) | (fl & 0xFFFF);
    if ((fl & F_VM) && c->cpl == 0 && o32) {
        /* Return to virtual-8086 mode. */
        uint32_t nesp = sp_pop(c, &s, 4);
        uint16_t nss = (uint16_t)sp_pop(c, &s, 4);
        uint16_t es = (uint16_t)sp_pop(c, &s, 4), ds = (uint16_t)sp_pop(c, &s, 4);
        uint16_t fs = (uint16_t)sp_pop(c, &s, 4), gs = (uint16_t)sp_pop(c, &s, 4);
        cpu_set_eflags(c, fl);
        c->cpl = 3;
        load_seg_real(c, S_CS, sel);
        load_seg_real(c, S_SS, nss);
        load_seg_real(c, S_ES, es);
        load_seg_real(c, S_DS, ds);
        load_seg_real(c, S_FS, fs);
        load_seg_real(c, S_GS, gs);
        c->regs[R_ESP] = nesp;
        c->eip = eip & 0xFFFF;
        cpu_update_mode(c);
        return;
    }
    int rpl = sel & 3;
    uint32_t lo, hi;
    return_code_desc(c, sel, &lo, &hi);
    int old_cpl = c->cpl;
    uint32_t mask = F_ARITH | F_TF | F_DF | F_NT | F_RF | F_AC | F_ID;
    if (old_cpl <= (int)((c->eflags & F_IOPL) >> 12))
        mask |= F_IF;
    if (old_cpl == 0)
        mask |= F_IOPL | F_VIF | F_VIP;
    if (!o32)
        mask &= 0xFFFF;
    if (rpl > old_cpl) {
        uint32_t nesp = sp_pop(c, &s, size);
        uint16_t nss = (uint16_t)sp_pop(c, &s, size);
        load_cs(c, sel, lo, hi, rpl);
        load_seg(c, S_SS, nss);
        c->regs[R_ESP] = o32 ? nesp : ((c->regs[R_ESP] & 0xFFFF0000u) | (nesp & 0xFFFF));
        null_inaccessible_segs(c);
    } else {
        c->regs[R_ESP] = s.esp;
        load_cs(c, sel, lo, hi, old_cpl);
    }
    c->eip = o32 ? eip : (eip & 0xFFFF);
    write_eflags(c, fl, mask);
}

void do_sysenter(CPU *c)
{
    if (!(c->cr0 & CR0_PE) || (c->sysenter_cs & 0xFFFC) == 0)
        cpu_raise(c, EX_GP, 0);
    c->eflags &= ~(F_VM | F_IF | F_RF);
    uint16_t cs = c->sysenter_cs & 0xFFFC;
    c->cpl = 0;
    cpu_set_seg_raw(c, S_CS, cs, 0, 0xFFFFFFFFu, 0xC09B);
    cpu_set_seg_raw(c, S_SS, (uint16_t)(cs + 8), 0, 0xFFFFFFFFu, 0xC093);
    c->regs[R_ESP] = c->sysenter_esp;
    c->eip = c->sysenter_eip;
    cpu_update_mode(c);
}

void do_sysexit(CPU *c)
{
    if (!(c->cr0 & CR0_PE) || (c->sysenter_cs & 0xFFFC) == 0 || c->cpl != 0)
        cpu_raise(c, EX_GP, 0);
    uint16_t cs = (uint16_t)((c->sysenter_cs + 16) | 3);
    c->cpl = 3;
    cpu_set_seg_raw(c, S_CS, cs, 0, 0xFFFFFFFFu, 0xC0FB);
    cpu_set_seg_raw(c, S_SS, (uint16_t)((c->sysenter_cs + 24) | 3), 0, 0xFFFFFFFFu, 0xC0F3);
    c->regs[R_ESP] = c->regs[R_ECX];
    c->eip = c->regs[R_EDX];
    cpu_update_mode(c);
}

/* ------------------------------------------------------------------ system registers */

void load_ldtr(CPU *c, uint16_t sel)
{
    if ((sel & ~3) == 0) {
        c->seg[S_LDTR] = (SegCache){.sel = sel};
        return;
    }
    uint32_t lo, hi;
    if ((sel & 4) || !desc_load(c, sel, &lo, &hi))
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    if (((hi >> 8) & 0x1F) != 0x02)
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    if (!(hi & 0x8000))
        cpu_raise(c, EX_NP, sel & 0xFFFC);
    c->seg[S_LDTR] = (SegCache){.sel = sel, .base = desc_base(lo, hi),
                                .limit = desc_limit(lo, hi), .flags = (hi >> 8) & 0xF0FF};
}

void load_tr(CPU *c, uint16_t sel)
{
    uint32_t lo, hi;
    if ((sel & ~3) == 0)
        cpu_raise(c, EX_GP, 0);
    if ((sel & 4) || !desc_load(c, sel, &lo, &hi))
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    uint32_t type = (hi >> 8) & 0x1F;
    if (type != 0x01 && type != 0x09)
        cpu_raise(c, EX_GP, sel & 0xFFFC);
    if (!(hi & 0x8000))
        cpu_raise(c, EX_NP, sel & 0xFFFC);
    sys_write(c, c->gdt_base + (sel & ~7u) + 4, hi | 0x200, 4);
    c->seg[S_TR] = (SegCache){.sel = sel, .base = desc_base(lo, hi), .limit = desc_limit(lo, hi),
                              .flags = ((hi >> 8) & 0xF0FF) | 0x2};
}

void io_check(CPU *c, uint16_t port, int size)
{
    if (!(c->cr0 & CR0_PE))
        return;
    if (!(c->eflags & F_VM) && c->cpl <= (int)((c->eflags & F_IOPL) >> 12))
        return;
    SegCache *tr = &c->seg[S_TR];
    if ((tr->flags & 0xF) != 0xB && (tr->flags & 0xF) != 0x9)
        cpu_raise(c, EX_GP, 0);
    if (tr->limit < 0x67)
        cpu_raise(c, EX_GP, 0);
    uint32_t iomap = sys_read(c, tr->base + 0x66, 2);
    uint32_t off = iomap + (port >> 3);
    if (off + 1 > tr->limit)
        cpu_raise(c, EX_GP, 0);
    uint32_t bits = sys_read(c, tr->base + off, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask)
        cpu_raise(c, EX_GP, 0);
}

void set_cr0(CPU *c, uint32_t v)
{
    v |= CR0_ET;
    if ((v & CR0_PG) && !(v & CR0_PE))
        cpu_raise(c, EX_GP, 0);
    uint32_t changed = c->cr0 ^ v;
    c->cr0 = v;
    if (changed & (CR0_PG | CR0_WP | CR0_PE))
        cpu_tlb_flush(c, true);
    cpu_update_mode(c);
}

void set_cr3(CPU *c, uint32_t v)
{
    c->cr3 = v;
    cpu_tlb_flush(c, false);
}

void set_cr4(CPU *c, uint32_t v)
{
    const uint32_t supported = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE;
    if (v & ~supported)
        cpu_raise(c, EX_GP, 0);
    uint32_t changed = c->cr4 ^ v;
    c->cr4 = v;
    if (changed & (CR4_PSE | CR4_PGE))
        cpu_tlb_flush(c, true);
}

uint64_t cpu_tsc(CPU *c)
{
    /* The TSC counts virtual nanoseconds: a 1 GHz part. */
    return clock_ns(c->m) + c->tsc_offset;
}

/* CPUID leaf 1 EDX: exactly what is implemented. */
#define CPUID_FEATURES                                                                          \
    ((1u << 0) /* FPU */ | (1u << 3) /* PSE */ | (1u << 4) /* TSC */ | (1u << 5) /* MSR */ |    \
     (1u << 8) /* CX8 */ | (1u << 11) /* SEP */ | (1u << 13) /* PGE */ | (1u << 15) /* CMOV */)

void do_cpuid(CPU *c)
{
    uint32_t leaf = c->regs[R_EAX];
    uint32_t a = 0, b = 0, cc = 0, d = 0;
    static const char brand[48] = "wirebox i686 CPU";
    if (leaf == 0) {
        a = 1;
        b = 0x756E6547; /* "Genu" */
        d = 0x49656E69; /* "ineI" */
        cc = 0x6C65746E; /* "ntel" */
    } else if (leaf == 1) {
        a = 0x633;
        d = CPUID_FEATURES;
    } else if (leaf == 0x80000000u) {
        a = 0x80000004u;
    } else if (leaf >= 0x80000002u && leaf <= 0x80000004u) {
        const uint32_t *p = (const uint32_t *)(brand + 16 * (leaf - 0x80000002u));
        a = p[0];
        b = p[1];
        cc = p[2];
        d = p[3];
    } else if (leaf < 0x80000000u) {
        /* Above the highest basic leaf: the highest basic leaf's data. */
        a = 0x633;
        d = CPUID_FEATURES;
    }
    c->regs[R_EAX] = a;
    c->regs[R_EBX] = b;
    c->regs[R_ECX] = cc;
    c->regs[R_EDX] = d;
}

static uint64_t *mtrr_slot(CPU *c, uint32_t msr)
{
    if (msr >= 0x200 && msr <= 0x20F)
        return &c->mtrr[msr - 0x200];
    if (msr == 0x250)
        return &c->mtrr[16];
    if (msr == 0x258 || msr == 0x259)
        return &c->mtrr[17 + (msr - 0x258)];
    if (msr >= 0x268 && msr <= 0x26F)
        return &c->mtrr[19 + (msr - 0x268)];
    if (msr == 0x2FF)
        return &c->mtrr_def_type;
    return NULL;
}

void do_rdmsr(CPU *c)
{
    if (c->cpl != 0 || (c->eflags & F_VM))
        cpu_raise(c, EX_GP, 0);
    uint32_t msr = c->regs[R_ECX];
    uint64_t v;
    uint64_t *slot = mtrr_slot(c, msr);
    switch (msr) {
    case 0x10: v = cpu_tsc(c); break;
    case 0x17: v = 0; break;            /* platform id */
    case 0x8B: v = 0; break;            /* microcode revision */
    case 0xFE: v = 0x508; break;        /* MTRRcap: 8 variable, fixed supported */
    case 0x174: v = c->sysenter_cs; break;
    case 0x175: v = c->sysenter_esp; break;
    case 0x176: v = c->sysenter_eip; break;
    case 0x179: v = 0; break;           /* MCG_CAP */
    case 0x17A: v = 0; break;           /* MCG_STATUS */
    default:
        if (!slot)
            cpu_raise(c, EX_GP, 0);
        v = *slot;
    }
    c->regs[R_EAX] = (uint32_t)v;
    c->regs[R_EDX] = (uint32_t)(v >> 32);
}

void do_wrmsr(CPU *c)
{
    if (c->cpl != 0 || (c->eflags & F_VM))
        cpu_raise(c, EX_GP, 0);
    uint32_t msr = c->regs[R_ECX];
    uint64_t v = c->regs[R_EAX] | ((uint64_t)c->regs[R_EDX] << 32);
    uint64_t *slot = mtrr_slot(c, msr);
    switch (msr) {
    case 0x10: c->tsc_offset = v - clock_ns(c->m); break;
    case 0x79: case 0x8B: break; /* microcode update trigger / revision */
    case 0x174: c->sysenter_cs = (uint32_t)v & 0xFFFF; break;
    case 0x175: c->sysenter_esp = (uint32_t)v; break;
    case 0x176: c->sysenter_eip = (uint32_t)v; break;
    case 0x17A: break;
    default:
        if (!slot)
            cpu_raise(c, EX_GP, 0);
        *slot = v;
    }
}

/* ------------------------------------------------------------------ the run loop */

/* Decode a block starting at lin (physical pa, host bytes at host). */
static Block *block_build(CPU *c, uint32_t pa, const uint8_t *host, uint32_t gen)
{
    size_t need = sizeof(Block) + BLOCK_MAX * sizeof(Insn);
    if (c->block_pool_used + need > BLOCK_POOL_SIZE) {
        memset(c->bcache, 0, BCACHE_SIZE * sizeof(Block *));
        c->block_pool_used = 0;
        c->block_epoch++;
    }
    Block *b = (Block *)(c->block_pool + c->block_pool_used);
    int avail = 4096 - (int)(pa & 0xFFF), off = 0, n = 0;
    bool ends = false;
    while (n < BLOCK_MAX && !ends &&
           cpu_decode_buf(c, host + off, avail - off, &b->insns[n], &ends)) {
        off += b->insns[n].len;
        n++;
    }
    if (!n)
        return NULL; /* crosses a page or malformed: the faulting decoder handles it */
    b->paddr = pa;
    b->gen = gen;
    b->code32 = c->code32;
    b->n = (uint8_t)n;
    b->next[0] = b->next[1] = NULL;
    c->block_pool_used += (sizeof(Block) + (size_t)n * sizeof(Insn) + 15) & ~(size_t)15;
    code_page_mark(c, pa, (uint32_t)off);
    return b;
}

/* The block at CS:EIP, or NULL when it must be decoded one instruction at
 * a time (code in MMIO, or an instruction crossing a page). */
static Block *block_lookup(CPU *c)
{
    c->prev_eip = c->eip; /* a fetch fault restarts this instruction */
    uint32_t lin = c->seg[S_CS].base + c->eip;
    if (unlikely(c->eip > c->seg[S_CS].limit))
        cpu_raise(c, EX_GP, 0);
    TlbEntry *e = &c->tlbp[(lin >> 12) & (TLB_SIZE - 1)];
    if (unlikely(e->tag_read != (lin & ~0xFFFu))) {
        mmu_translate(c, lin, 2, cpl_user(c));
        if (e->tag_read != (lin & ~0xFFFu))
            return NULL;
    }
    uint32_t pa = (c->tlb_paddr[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)] & ~0xFFFu) |
                  (lin & 0xFFF);
    uint32_t pg = pa >> 12;
    uint32_t gen = c->page_gen[pg < c->ram_pages ? pg : c->ram_pages];
    Block **slot = &c->bcache[BCACHE_HASH(pa)];
    Block *b = *slot;
    if (likely(b && b->paddr == pa && b->gen == gen && b->code32 == c->code32))
        return b;
    b = block_build(c, pa, (const uint8_t *)(e->addend + lin), gen);
    if (b)
        *slot = b;
    return b;
}

static inline void exec_insn(CPU *c, const Insn *i)
{
    c->prev_eip = c->eip;
    c->eip += i->len;
    i->fn(c, i);
    c->icount++;
}

/* One instruction, through the block cache when possible. */
void interp_exec_one(CPU *c)
{
    Block *b = block_lookup(c);
    if (b) {
        exec_insn(c, &b->insns[0]);
        return;
    }
    Insn tmp;
    c->fetching = true; /* reads of the instruction bytes are no data accesses */
    cpu_decode(c, c->seg[S_CS].base + c->eip, &tmp);
    c->fetching = false;
    exec_insn(c, &tmp);
}

/* The block at CS:EIP after block b, which was entered in linear page
 * *lin_page (mapped as when b was looked up). Within that page b's
 * successor cache answers without a lookup; leaving the page, a changed
 * mode or a write to the page (the last two set need_check) look up. */
static Block *block_next(CPU *c, Block *b, uint32_t *lin_page)
{
    uint32_t lin = c->seg[S_CS].base + c->eip;
    if (!b || (lin & ~0xFFFu) != *lin_page || c->eip > c->seg[S_CS].limit) {
        *lin_page = lin & ~0xFFFu;
        return block_lookup(c);
    }
    uint32_t pa = (b->paddr & ~0xFFFu) | (lin & 0xFFF);
    for (int k = 0; k < 2; k++) {
        Block *s = b->next[k];
        if (s && s->paddr == pa && s->gen == b->gen && s->code32 == c->code32)
            return s;
    }
    uint32_t epoch = c->block_epoch;
    Block *s = block_lookup(c);
    if (s && c->block_epoch == epoch) {
        b->next[1] = b->next[0];
        b->next[0] = s;
    }
    return s;
}

/* b's instructions from its first, until one jumps, the slice ends or
 * something needs a check. */
static inline void run_block(CPU *c, const Block *b)
{
    const Insn *i = b->insns, *end = i + b->n;
    uint32_t next;
    do {
        c->prev_eip = c->eip;
        next = c->eip + i->len;
        c->eip = next;
        i->fn(c, i);
        c->icount++;
    } while (++i < end && c->eip == next && likely(!c->need_check) &&
             c->icount < c->icount_limit);
}

/* Run blocks until the slice ends or something needs the outer loop. */
void interp_run_blocks(CPU *c)
{
    Block *b = NULL;
    uint32_t lin_page = 0, epoch = c->block_epoch;
    while (likely(c->icount < c->icount_limit) && likely(!c->need_check)) {
        b = block_next(c, epoch == c->block_epoch ? b : NULL, &lin_page);
        epoch = c->block_epoch;
        if (unlikely(!b)) {
            interp_exec_one(c);
            continue;
        }
        run_block(c, b);
    }
}

void interp_exec_block(CPU *c)
{
    Block *b = block_lookup(c);
    if (b)
        run_block(c, b);
    else
        interp_exec_one(c);
}

static void deliver_trap(CPU *c, int vector)
{
    c->prev_eip = c->eip;
    c->delivering = vector;
    do_interrupt(c, vector, false, -1, c->eip);
    c->delivering = -1;
}

/* ------------------------------------------------------------------ debugging */

uint32_t cpu_debug_pc(CPU *c)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM))
        return ((uint32_t)c->seg[S_CS].sel << 4) + c->eip;
    return c->seg[S_CS].base + c->eip;
}

/* #DB for the guest's own debug conditions: DR6 gets the condition bits. */
static void deliver_db(CPU *c, uint32_t dr6_bits)
{
    c->dr[6] |= dr6_bits;
    deliver_trap(c, EX_DB);
}

/* Data-breakpoint hits the memory slow paths recorded during the last
 * instruction: DR0-DR3 become a #DB trap for the guest, a gdb watchpoint a
 * debugger stop (returns true). */
static bool watch_hits(CPU *c, uint32_t more_dr6)
{
    uint8_t h = c->watch_hit;
    c->watch_hit = 0;
    bool stop = h & CPU_WATCH_HIT_GDB;
    if (stop)
        c->debug_stop = true;
    if ((h & 0xF) | more_dr6)
        deliver_db(c, (h & 0xFu) | more_dr6);
    return stop;
}

/* One instruction on the careful path: gdb's breakpoints and single steps,
 * the guest's DR7 instruction breakpoints and EFLAGS.TF. True: stop for
 * the debugger. */
static bool debug_insn(CPU *c)
{
    if (c->debug_break && c->debug_break(c->debug_opaque, cpu_debug_pc(c))) {
        c->debug_stop = true;
        return true;
    }
    if (c->dr_exec && !(c->eflags & F_RF)) {
        uint32_t lin = c->seg[S_CS].base + c->eip, hit = 0;
        for (int n = 0; n < 4; n++)
            if ((c->dr_exec & (1u << n)) && c->dr[n] == lin)
                hit |= 1u << n;
        if (hit) {
            deliver_db(c, hit); /* a fault: EIP stays at the instruction */
            if (c->single_step)
                c->debug_stop = true;
            return c->single_step;
        }
    }
    bool tf = c->eflags & F_TF, rf = c->eflags & F_RF;
    interp_exec_one(c);
    /* MOV SS and POP SS hold the single-step trap off until the next
     * instruction has run (SDM vol. 3, 6.8.3). */
    if (c->inhibit_irq == INHIBIT_SS)
        tf = false;
    if (rf)
        c->eflags &= ~F_RF; /* the instruction it suppressed a breakpoint for ran */
    bool stop = watch_hits(c, tf ? 0x4000u : 0u);
    if (c->single_step)
        stop = c->debug_stop = true;
    return stop;
}

int cpu_run(CPU *c, uint64_t icount_limit)
{
    c->icount_limit = icount_limit;
    c->need_check = true;
    if (setjmp(c->jmp)) {
        /* An exception was delivered (or a triple fault requested a reset). */
        c->delivering = -1;
        c->need_check = true;
        c->fetching = false;
        c->watch_hit = 0; /* the faulting instruction did not complete */
        if (c->single_step) {
            /* gdb's step ends at the handler's first instruction. */
            c->debug_stop = true;
            return CPU_RUN_DEBUG;
        }
    }
    for (;;) {
        if (c->exit_request) {
            c->exit_request = false;
            return CPU_RUN_EXIT;
        }
        if (unlikely(c->watch_hit) && watch_hits(c, 0))
            return CPU_RUN_DEBUG;
        if (c->icount >= c->icount_limit)
            return CPU_RUN_LIMIT;
        c->need_check = false;
        bool dbg = (c->eflags & F_TF) || c->single_step || c->debug_break || c->dr_exec;
        if (c->inhibit_irq) {
            c->inhibit_irq = 0;
            if (likely(!dbg)) {
                interp_exec_one(c);
                continue;
            }
        } else {
            /* gdb's single steps keep interrupts out, unless halted. */
            if (c->intr_line && (c->eflags & F_IF) && (!c->single_step || c->halted)) {
                int vec = machine_intack(c->m);
                c->halted = false;
                c->prev_eip = c->eip;
                do_interrupt(c, vec & 0xFF, false, -1, c->eip);
                if (c->single_step) {
                    c->debug_stop = true;
                    return CPU_RUN_DEBUG;
                }
                continue;
            }
            if (c->halted)
                return CPU_RUN_HALTED;
        }
        if (unlikely(dbg)) {
            if (debug_insn(c))
                return CPU_RUN_DEBUG;
            continue;
        }
        c->eflags &= ~F_RF; /* no instruction breakpoints: nothing to resume past */
        if (unlikely(c->jit_wanted && !c->jit))
            cpu_set_accel(c, CPU_ACCEL_TCG); /* the interpreter if it cannot be made */
        if (c->jit)
            jit_run(c);
        else
            interp_run_blocks(c);
    }
}

/* ------------------------------------------------------------------ debugger */

/* A segment register as a debugger sets it: real/v86 mode selector*16;
 * protected mode from the descriptor table (read without side effects). */
bool cpu_debug_set_seg(CPU *c, int seg, uint16_t sel)
{
    if (c->seg[seg].sel == sel)
        return true;
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM)) {
        SegCache *sc = &c->seg[seg];
        cpu_set_seg_raw(c, seg, sel, (uint32_t)sel << 4, sc->limit, sc->flags);
        cpu_update_mode(c);
        return true;
    }
    if ((sel & ~3) == 0) {
        if (seg == S_CS || seg == S_SS)
            return false;
        cpu_set_seg_raw(c, seg, sel, 0, 0, 0);
        return true;
    }
    uint32_t base = (sel & 4) ? c->seg[S_LDTR].base : c->gdt_base;
    uint32_t limit = (sel & 4) ? c->seg[S_LDTR].limit : c->gdt_limit;
    if ((uint32_t)(sel & ~7u) + 7 > limit)
        return false;
    uint8_t d[8];
    if (cpu_debug_rw(c, base + (sel & ~7u), d, 8, false) != 8)
        return false;
    uint32_t lo = ld32le(d), hi = ld32le(d + 4);
    if (!(hi & 0x8000) || !(hi & 0x1000)) /* not present, or a system descriptor */
        return false;
    cpu_set_seg_raw(c, seg, sel, desc_base(lo, hi), desc_limit(lo, hi), (hi >> 8) & 0xF0FF);
    cpu_update_mode(c);
    return true;
}
