/* Paging, the software TLB, memory slow paths and decoded-code invalidation. */
#include "cpu/cpu_internal.h"
#include "cpu/mmu_bits.h"

static uint32_t phys_ld32(CPU *c, uint32_t pa)
{
    uint8_t *h = phys_host_ptr(c->m, pa, false);
    if (h && (pa & 0xFFF) <= 0xFFC) {
        uint32_t v;
        memcpy(&v, h, 4);
        return v;
    }
    return phys_read(c->m, pa, 2);
}

static void phys_st32(CPU *c, uint32_t pa, uint32_t v)
{
    uint8_t *h = phys_host_ptr(c->m, pa, true);
    if (h && (pa & 0xFFF) <= 0xFFC)
        memcpy(h, &v, 4);
    else
        phys_write(c->m, pa, v, 2);
}

void cpu_tlb_flush(CPU *c, bool global_too)
{
    cpu_mtlb_clear(c);
    if (global_too)
        c->tlb_large = false;
    if (!c->tlb_filled)
        return; /* empty already (a board's PAM setup flushes a dozen times) */
    uint32_t nf = c->tlb_nfills;
    c->tlb_nfills = 0;
    if (!global_too && nf <= TLB_FILLS_MAX) { /* only the non-global entries filled since */
        for (uint32_t f = 0; f < nf; f++) {
            int k = c->tlb_fills[f] >> TLB_BITS, i = c->tlb_fills[f] & (TLB_SIZE - 1);
            if (!(c->tlb_paddr[k][i] & 1))
                c->tlb[k][i].tag_read = c->tlb[k][i].tag_write = 0xFFFFFFFFu;
        }
        return;
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < TLB_SIZE; i++) {
            TlbEntry *e = &c->tlb[k][i];
            if (global_too || !(c->tlb_paddr[k][i] & 1))
                e->tag_read = e->tag_write = 0xFFFFFFFFu;
        }
    if (global_too)
        c->tlb_filled = false;
}

void cpu_tlb_drop_writes(CPU *c, uint32_t base, uint32_t len)
{
    cpu_mtlb_clear(c); /* the translator's stack-page caches are writable pages too */
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < TLB_SIZE; i++)
            if ((c->tlb_paddr[k][i] & ~0xFFFu) - base < len)
                c->tlb[k][i].tag_write = 0xFFFFFFFFu;
}

static bool tag_in(uint32_t tag, uint32_t base, uint32_t mask)
{
    return tag != 0xFFFFFFFFu && (tag & mask) == base;
}

void cpu_invlpg(CPU *c, uint32_t lin)
{
    cpu_mtlb_clear(c);
    /* A 4 MiB page may sit in many slots: drop every slot inside it. */
    uint32_t mask = c->tlb_large ? 0xFFC00000u : 0xFFFFF000u, base = lin & mask;
    for (int k = 0; k < 2; k++) {
        if (!c->tlb_large) {
            TlbEntry *e = &c->tlb[k][(lin >> 12) & (TLB_SIZE - 1)];
            if (tag_in(e->tag_read, base, mask) || tag_in(e->tag_write, base, mask))
                e->tag_read = e->tag_write = 0xFFFFFFFFu;
            continue;
        }
        for (int i = 0; i < TLB_SIZE; i++) {
            TlbEntry *e = &c->tlb[k][i];
            if (tag_in(e->tag_read, base, mask) || tag_in(e->tag_write, base, mask))
                e->tag_read = e->tag_write = 0xFFFFFFFFu;
        }
    }
}

/* The 64-byte chunks of a page that [off, off + len) touches (len > 0,
 * off + len <= 4096), as bits of a page's code_bits word. */
static inline uint64_t chunk_mask(uint32_t off, uint32_t len)
{
    uint32_t first = off >> 6, last = (off + len - 1) >> 6;
    uint64_t upto = last == 63 ? ~0ull : (2ull << last) - 1;
    return upto & ~((1ull << first) - 1);
}

/* [paddr, paddr + len) holds code that was decoded or translated: writes
 * to its page take the slow path, and those that touch the code (at 64-byte
 * granularity) make the page's translations stale. */
void code_page_mark(CPU *c, uint32_t paddr, uint32_t len)
{
    uint32_t p = paddr >> 12, off = paddr & 0xFFF;
    if (p >= c->ram_pages)
        return;
    if (!len || len > 4096 - off)
        len = len ? 4096 - off : 1;
    c->code_bits[p] |= chunk_mask(off, len);
    if (c->code_pages[p])
        return;
    c->code_pages[p] = 1;
    cpu_mtlb_clear(c);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < TLB_SIZE; i++)
            if ((c->tlb_paddr[k][i] >> 12) == p)
                c->tlb[k][i].tag_write = 0xFFFFFFFFu;
}

/* A write of len bytes (within one page) at paddr. A write beside the code
 * of a page (data that shares it, as in GRUB or a BIOS) leaves the page's
 * translations alone and the page marked: a page written both ways would
 * otherwise be decoded, marked and translated again after every write. */
static inline void code_page_written(CPU *c, uint32_t paddr, uint32_t len)
{
    uint32_t p = paddr >> 12, off = paddr & 0xFFF;
    if (p < c->ram_pages && c->code_pages[p]) {
        if (len > 4096 - off)
            len = 4096 - off;
        if (!(c->code_bits[p] & chunk_mask(off, len ? len : 1)))
            return;
        c->code_bits[p] = 0;
        c->page_gen[p]++;
        if (c->icount - c->smc_last[p] < SMC_WINDOW)
            c->smc_run[p] += c->smc_run[p] < 255;
        else
            c->smc_run[p] = 0;
        c->smc_last[p] = c->icount;
        /* A hot page stays marked: marking it again after each decode would
         * search the whole TLB every time. */
        if (c->smc_run[p] < SMC_HOT)
            c->code_pages[p] = 0;
        c->need_check = true; /* the running block may be stale */
    }
}

void cpu_invalidate_phys(CPU *c, uint32_t paddr, uint32_t len)
{
    if (!len)
        return;
    uint64_t end = (uint64_t)paddr + len; /* exclusive */
    for (uint64_t a = paddr; a < end && (a >> 12) < c->ram_pages;) {
        uint64_t page_end = (a | 0xFFF) + 1, to = end < page_end ? end : page_end;
        code_page_written(c, (uint32_t)a, (uint32_t)(to - a));
        a = to;
    }
}

/* Walk the page tables. Returns the physical address; *wr_ok tells whether
 * later writes through this privilege can skip the walk (W allowed, D set). */
static uint32_t walk(CPU *c, uint32_t lin, int access, bool user, bool *wr_ok, bool *global)
{
    bool is_write = access == 1;
    uint32_t err = (is_write ? 2u : 0u) | (user ? 4u : 0u);
    uint32_t pde_addr = ((c->cr3 & ~0xFFFu) + ((lin >> 22) << 2)) & c->a20_mask;
    uint32_t pde = phys_ld32(c, pde_addr);
    if (!(pde & PTE_P))
        goto fault;
    if ((pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
        bool w = pde & PTE_W, u = pde & PTE_U;
        if (user && !u)
            goto fault_prot;
        if (is_write && !w && (user || (c->cr0 & CR0_WP)))
            goto fault_prot;
        uint32_t npde = pde | PTE_A | (is_write ? PTE_D : 0);
        if (npde != pde)
            phys_st32(c, pde_addr, npde);
        *wr_ok = (npde & PTE_D) && (w || (!user && !(c->cr0 & CR0_WP)));
        *global = (pde & PTE_G) && (c->cr4 & CR4_PGE);
        c->tlb_large = true;
        return ((pde & 0xFFC00000u) | (lin & 0x3FFFFFu)) & c->a20_mask;
    }
    uint32_t pte_addr = ((pde & ~0xFFFu) + (((lin >> 12) & 0x3FF) << 2)) & c->a20_mask;
    uint32_t pte = phys_ld32(c, pte_addr);
    if (!(pte & PTE_P))
        goto fault;
    bool w = (pde & PTE_W) && (pte & PTE_W);
    bool u = (pde & PTE_U) && (pte & PTE_U);
    if (user && !u)
        goto fault_prot;
    if (is_write && !w && (user || (c->cr0 & CR0_WP)))
        goto fault_prot;
    if (!(pde & PTE_A))
        phys_st32(c, pde_addr, pde | PTE_A);
    uint32_t npte = pte | PTE_A | (is_write ? PTE_D : 0);
    if (npte != pte)
        phys_st32(c, pte_addr, npte);
    *wr_ok = (npte & PTE_D) && (w || (!user && !(c->cr0 & CR0_WP)));
    *global = (pte & PTE_G) && (c->cr4 & CR4_PGE);
    return ((pte & ~0xFFFu) | (lin & 0xFFF)) & c->a20_mask;
fault_prot:
    err |= 1;
fault:
    c->cr2 = lin;
    cpu_raise(c, EX_PF, (int32_t)err);
}

/* ------------------------------------------------------------------ data breakpoints */

static bool watch_overlaps(const CpuWatch *w, uint32_t lin, uint32_t len)
{
    return (uint64_t)lin < (uint64_t)w->addr + w->len && w->addr < (uint64_t)lin + len;
}

/* A TLB entry for a page holding a watched range sends the watched kinds of
 * access to the slow paths, which check the ranges. */
static void watch_tag(CPU *c, TlbEntry *e, uint32_t page)
{
    for (int i = 0; i < c->nwatch; i++) {
        const CpuWatch *w = &c->watch[i];
        if (!watch_overlaps(w, page, 4096))
            continue;
        if (w->kind & CPU_WATCH_WRITE)
            e->tag_write = 0xFFFFFFFFu;
        if (w->kind & CPU_WATCH_READ) /* and read-modify-writes, which probe tag_write only */
            e->tag_read = e->tag_write = 0xFFFFFFFFu;
    }
}

/* A data access of size bytes at lin: record the watched ranges it hits.
 * The CPU reports them when the instruction has completed. */
static void watch_check(CPU *c, uint32_t lin, int size, bool write)
{
    if (c->fetching)
        return;
    for (int i = 0; i < c->nwatch; i++) {
        const CpuWatch *w = &c->watch[i];
        if (!(w->kind & (write ? CPU_WATCH_WRITE : CPU_WATCH_READ)) ||
            !watch_overlaps(w, lin, (uint32_t)size))
            continue;
        if (w->dr >= 0) {
            c->watch_hit |= (uint8_t)(1u << w->dr);
        } else if (!(c->watch_hit & CPU_WATCH_HIT_GDB)) {
            c->watch_hit |= CPU_WATCH_HIT_GDB;
            c->debug_watch_kind = w->kind;
            c->debug_watch_addr = lin > w->addr ? lin : w->addr;
        }
        c->need_check = true;
    }
}

static bool watch_add(CPU *c, uint32_t addr, uint32_t len, int kind, int dr)
{
    if (c->nwatch >= CPU_MAX_WATCH || !len)
        return false;
    c->watch[c->nwatch++] = (CpuWatch){addr, len, (uint8_t)kind, (int8_t)dr};
    cpu_tlb_flush(c, true);
    return true;
}

bool cpu_watch_insert(CPU *c, uint32_t addr, uint32_t len, int kind)
{
    int n = 0;
    for (int i = 0; i < c->nwatch; i++)
        n += c->watch[i].dr < 0;
    if (n >= CPU_MAX_WATCH - 4) /* keep room for DR0-DR3 */
        return false;
    return watch_add(c, addr, len, kind, -1);
}

static void watch_del(CPU *c, int i)
{
    c->watch[i] = c->watch[--c->nwatch];
    cpu_tlb_flush(c, true);
}

bool cpu_watch_remove(CPU *c, uint32_t addr, uint32_t len, int kind)
{
    for (int i = 0; i < c->nwatch; i++) {
        CpuWatch *w = &c->watch[i];
        if (w->dr < 0 && w->addr == addr && w->len == len && w->kind == kind) {
            watch_del(c, i);
            return true;
        }
    }
    return false;
}

void cpu_watch_clear(CPU *c)
{
    for (int i = c->nwatch - 1; i >= 0; i--)
        if (c->watch[i].dr < 0)
            watch_del(c, i);
    c->watch_hit &= (uint8_t)~CPU_WATCH_HIT_GDB;
}

void cpu_dr_update(CPU *c)
{
    for (int i = c->nwatch - 1; i >= 0; i--)
        if (c->watch[i].dr >= 0)
            watch_del(c, i);
    uint32_t dr7 = c->dr[7];
    uint8_t exec = 0;
    for (int n = 0; n < 4; n++) {
        if (!(dr7 & (3u << (2 * n))))
            continue; /* neither Ln nor Gn */
        uint32_t rw = (dr7 >> (16 + 4 * n)) & 3, lenf = (dr7 >> (18 + 4 * n)) & 3;
        uint32_t len = lenf == 0 ? 1 : lenf == 1 ? 2 : lenf == 3 ? 4 : 8;
        if (rw == 0)
            exec |= (uint8_t)(1u << n);
        else if (rw == 1 || rw == 3) /* 2: I/O breakpoints, not supported */
            watch_add(c, c->dr[n] & ~(len - 1), len, rw == 1 ? CPU_WATCH_WRITE : CPU_WATCH_ACCESS,
                      n);
    }
    c->dr_exec = exec;
    c->need_check = true;
}

uint32_t mmu_translate(CPU *c, uint32_t lin, int access, bool user)
{
    bool wr_ok = true, global = false;
    uint32_t pa;
    if (c->cr0 & CR0_PG)
        pa = walk(c, lin, access, user, &wr_ok, &global);
    else
        pa = lin & c->a20_mask;

    /* Fill the TLB of this privilege class. */
    uint32_t slot = (lin >> 12) & (TLB_SIZE - 1);
    TlbEntry *e = &c->tlb[user][slot];
    if (c->mtlb_page[0] == (lin & ~0xFFFu) || c->mtlb_page[1] == (lin & ~0xFFFu))
        cpu_mtlb_clear(c); /* refilled: the mapping may differ */
    uint32_t page = lin & ~0xFFFu, ppage = pa & ~0xFFFu;
    uint8_t *rh = phys_host_ptr(c->m, ppage, false);
    uint8_t *wh = phys_host_ptr(c->m, ppage, true);
    e->tag_read = rh ? page : 0xFFFFFFFFu;
    bool code = (ppage >> 12) < c->ram_pages && c->code_pages[ppage >> 12];
    e->tag_write = (wh && wr_ok && !code) ? page : 0xFFFFFFFFu;
    e->addend = (uintptr_t)(rh ? rh : wh) - page;
    c->tlb_paddr[user][slot] = ppage | (global ? 1 : 0);
    c->tlb_filled = true;
    if (!global) {
        if (c->tlb_nfills < TLB_FILLS_MAX)
            c->tlb_fills[c->tlb_nfills] = (uint16_t)((user ? TLB_SIZE : 0) | slot);
        if (c->tlb_nfills <= TLB_FILLS_MAX)
            c->tlb_nfills++;
    }
    if (unlikely(c->nwatch))
        watch_tag(c, e, page);
    return pa;
}

static uint32_t phys_access_read(CPU *c, uint32_t pa, int size)
{
    uint8_t *h = phys_host_ptr(c->m, pa, false);
    if (h) {
        uint32_t v = 0;
        memcpy(&v, h, (size_t)size);
        return v;
    }
    return phys_read(c->m, pa, size == 4 ? 2 : size == 2 ? 1 : 0);
}

static void phys_access_write(CPU *c, uint32_t pa, uint32_t val, int size)
{
    uint8_t *h = phys_host_ptr(c->m, pa, true);
    if (h) {
        code_page_written(c, pa, (uint32_t)size);
        memcpy(h, &val, (size_t)size);
        return;
    }
    phys_write(c->m, pa, val, size == 4 ? 2 : size == 2 ? 1 : 0);
}

uint32_t mem_read_slow(CPU *c, uint32_t lin, int size, bool user)
{
    if (unlikely(c->nwatch))
        watch_check(c, lin, size, false);
    if ((lin & 0xFFF) + (uint32_t)size > 4096) {
        /* Page crossing: translate both pages, then read byte by byte. */
        uint32_t v = 0;
        for (int i = 0; i < size; i++)
            v |= mem_read_slow(c, lin + i, 1, user) << (8 * i);
        return v;
    }
    uint32_t pa = mmu_translate(c, lin, 0, user);
    return phys_access_read(c, pa, size);
}

void mem_write_slow(CPU *c, uint32_t lin, uint32_t val, int size, bool user)
{
    if (unlikely(c->nwatch))
        watch_check(c, lin, size, true);
    if ((lin & 0xFFF) + (uint32_t)size > 4096) {
        uint32_t first = 4096 - (lin & 0xFFF);
        /* Both pages must be writable before any byte is written. */
        uint32_t pa1 = mmu_translate(c, lin, 1, user);
        uint32_t pa2 = mmu_translate(c, lin + first, 1, user);
        for (int i = 0; i < size; i++) {
            uint32_t pa = (uint32_t)i < first ? pa1 + i : pa2 + (i - first);
            phys_access_write(c, pa, (val >> (8 * i)) & 0xFF, 1);
        }
        return;
    }
    uint32_t pa = mmu_translate(c, lin, 1, user);
    phys_access_write(c, pa, val, size);
}

uint32_t sys_read(CPU *c, uint32_t lin, int size)
{
    TlbEntry *e = &c->tlb[0][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_read == (lin & ~0xFFFu) && (lin & 0xFFF) <= 4096u - size) {
        uint32_t v = 0;
        memcpy(&v, (uint8_t *)(e->addend + lin), (size_t)size);
        return v;
    }
    return mem_read_slow(c, lin, size, false);
}

void sys_write(CPU *c, uint32_t lin, uint32_t val, int size)
{
    mem_write_slow(c, lin, val, size, false);
}

void seg_check_slow(CPU *c, int seg, uint32_t off, int size, bool write)
{
    SegCache *s = &c->seg[seg];
    int vec = seg == S_SS ? EX_SS : EX_GP;
    uint64_t last = (uint64_t)off + (uint64_t)size - 1;
    if (!(c->cr0 & CR0_PE) || (c->eflags & F_VM)) {
        if (last > s->limit)
            cpu_raise(c, vec, 0);
        return;
    }
    uint32_t f = s->flags;
    if (!(f & SEGF_P) || !(f & SEGF_S))
        cpu_raise(c, vec, 0);
    uint32_t type = SEGF_TYPE(f);
    if (type & 8) { /* code */
        if (write || !(type & 2))
            cpu_raise(c, vec, 0);
    } else if (write && !(type & 2)) {
        cpu_raise(c, vec, 0);
    }
    if (!(type & 8) && (type & 4)) { /* expand-down */
        uint64_t upper = (f & SEGF_DB) ? 0xFFFFFFFFull : 0xFFFFull;
        if (off <= s->limit || last > upper)
            cpu_raise(c, vec, 0);
        return;
    }
    if (last > s->limit)
        cpu_raise(c, vec, 0);
}

/* ------------------------------------------------------------------ public accessors */

uint8_t cpu_ld8(CPU *c, int seg, uint32_t off)
{
    return (uint8_t)seg_read(c, seg, off, 1);
}
uint16_t cpu_ld16(CPU *c, int seg, uint32_t off)
{
    return (uint16_t)seg_read(c, seg, off, 2);
}
uint32_t cpu_ld32(CPU *c, int seg, uint32_t off)
{
    return seg_read(c, seg, off, 4);
}
uint64_t cpu_ld64(CPU *c, int seg, uint32_t off)
{
    uint32_t lo = seg_read(c, seg, off, 4);
    uint32_t hi = seg_read(c, seg, off + 4, 4);
    return lo | ((uint64_t)hi << 32);
}
void cpu_st8(CPU *c, int seg, uint32_t off, uint8_t v)
{
    seg_write(c, seg, off, v, 1);
}
void cpu_st16(CPU *c, int seg, uint32_t off, uint16_t v)
{
    seg_write(c, seg, off, v, 2);
}
void cpu_st32(CPU *c, int seg, uint32_t off, uint32_t v)
{
    seg_write(c, seg, off, v, 4);
}
void cpu_st64(CPU *c, int seg, uint32_t off, uint64_t v)
{
    cpu_check_write(c, seg, off, 8);
    seg_write(c, seg, off, (uint32_t)v, 4);
    seg_write(c, seg, off + 4, (uint32_t)(v >> 32), 4);
}

void cpu_check_write(CPU *c, int seg, uint32_t off, uint32_t len)
{
    if (!len)
        return;
    if ((int64_t)off + len - 1 > c->seg_lim_w[seg])
        seg_check_slow(c, seg, off, (int)len, true);
    uint32_t lin = c->seg[seg].base + off;
    uint32_t last = lin + len - 1;
    bool user = cpl_user(c);
    for (uint32_t p = lin & ~0xFFFu;; p += 4096) {
        mmu_translate(c, p < lin ? lin : p, 1, user);
        if (p == (last & ~0xFFFu))
            break;
    }
}

/* ------------------------------------------------------------------ debugger access */

bool cpu_linear_to_phys(CPU *c, uint32_t lin, uint32_t *paddr)
{
    if (!(c->cr0 & CR0_PG)) {
        *paddr = lin & c->a20_mask;
        return true;
    }
    uint32_t pde = phys_ld32(c, ((c->cr3 & ~0xFFFu) + ((lin >> 22) << 2)) & c->a20_mask);
    if (!(pde & PTE_P))
        return false;
    if ((pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
        *paddr = ((pde & 0xFFC00000u) | (lin & 0x3FFFFFu)) & c->a20_mask;
        return true;
    }
    uint32_t pte = phys_ld32(c, ((pde & ~0xFFFu) + (((lin >> 12) & 0x3FF) << 2)) & c->a20_mask);
    if (!(pte & PTE_P))
        return false;
    *paddr = ((pte & ~0xFFFu) | (lin & 0xFFF)) & c->a20_mask;
    return true;
}

uint32_t cpu_debug_rw(CPU *c, uint32_t lin, void *buf, uint32_t len, bool write)
{
    uint8_t *b = buf;
    uint32_t done = 0;
    while (done < len) {
        uint32_t pa;
        if (!cpu_linear_to_phys(c, lin + done, &pa))
            break;
        if (write) {
            uint8_t *h = phys_host_ptr(c->m, pa, true);
            if (!h)
                break;
            *h = b[done];
            cpu_invalidate_phys(c, pa, 1);
        } else {
            uint8_t *h = phys_host_ptr(c->m, pa, false);
            if (!h)
                break;
            b[done] = *h;
        }
        done++;
    }
    return done;
}
