/* CPU interpreter unit tests: paging. CR3 and two-level 4 KiB page tables,
 * CR4.PSE 4 MiB pages, #PF error codes (present, write, user bits) and CR2,
 * CR0.WP, user/supervisor and read/write combined over PDE and PTE, A and D
 * bits, INVLPG (including large pages), global pages with CR4.PGE, faults on
 * instruction fetch and on accesses that straddle two pages.
 *
 * Expected results follow the Intel SDM vol. 3 chapter 4. Machine code
 * generated with GNU as (as --32, .intel_syntax noprefix). */
#include "cpu/mmu_bits.h"
#include "tests/unit/cpu_harness.h"

/* ------------------------------------------------------------------ code (GNU as) */

static const uint8_t pg_read[] = {
    0x8B, 0x01, /* 0000: mov eax, dword ptr [ecx] */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pg_write[] = {
    0x89, 0x19, /* 0000: mov dword ptr [ecx], ebx */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pg_read_cr2[] = {
    0x0F, 0x20, 0xD0, /* 0000: mov eax, cr2 */
    0xF4,             /* 0003: hlt */
};

static const uint8_t pg_enable[] = {
    0x0F, 0x22, 0xD8,                   /* 0000: mov cr3, eax */
    0x0F, 0x22, 0xE2,                   /* 0003: mov cr4, edx */
    0x0F, 0x22, 0xC3,                   /* 0006: mov cr0, ebx */
    0xEB, 0x00,                         /* 0009: jmp 1f */
    0x8B, 0x35, 0x00, 0x10, 0x40, 0x00, /* 000b: 1: mov esi, dword ptr [0x401000] */
    0xF4,                               /* 0011: hlt */
};

static const uint8_t pg_invlpg_read[] = {
    0x0F, 0x01, 0x39, /* 0000: invlpg [ecx] */
    0x8B, 0x01,       /* 0003: mov eax, dword ptr [ecx] */
    0xF4,             /* 0005: hlt */
};

static const uint8_t pg_cr3_reload_read[] = {
    0x0F, 0x20, 0xD8, /* 0000: mov eax, cr3 */
    0x0F, 0x22, 0xD8, /* 0003: mov cr3, eax */
    0x8B, 0x01,       /* 0006: mov eax, dword ptr [ecx] */
    0xF4,             /* 0008: hlt */
};

static const uint8_t pg_pge_toggle_read[] = {
    0x0F, 0x20, 0xE0,             /* 0000: mov eax, cr4 */
    0x25, 0x7F, 0xFF, 0xFF, 0xFF, /* 0003: and eax, 0xffffff7f */
    0x0F, 0x22, 0xE0,             /* 0008: mov cr4, eax */
    0x0D, 0x80, 0x00, 0x00, 0x00, /* 000b: or eax, 0x80 */
    0x0F, 0x22, 0xE0,             /* 0010: mov cr4, eax */
    0x8B, 0x01,                   /* 0013: mov eax, dword ptr [ecx] */
    0xF4,                         /* 0015: hlt */
};

static const uint8_t pg_set_wp[] = {
    0x0F, 0x20, 0xC0,             /* 0000: mov eax, cr0 */
    0x0D, 0x00, 0x00, 0x01, 0x00, /* 0003: or eax, 0x10000 */
    0x0F, 0x22, 0xC0,             /* 0008: mov cr0, eax */
    0x89, 0x19,                   /* 000b: mov dword ptr [ecx], ebx */
    0xF4,                         /* 000d: hlt */
};

static const uint8_t pg_jmp_ecx[] = {
    0xFF, 0xE1, /* 0000: jmp ecx */
};

static const uint8_t pg_cross_fetch[] = {
    0xB8, 0x78, 0x56, 0x34, 0x12, /* 0000: mov eax, 0x12345678 */
    0xF4,                         /* 0005: hlt */
};

static const uint8_t pg_code_a[] = {
    0xB8, 0xAA, 0xAA, 0x00, 0x00, /* 0000: mov eax, 0xAAAA */
    0xC3,                         /* 0005: ret */
};

static const uint8_t pg_code_b[] = {
    0xB8, 0xBB, 0xBB, 0x00, 0x00, /* 0000: mov eax, 0xBBBB */
    0xC3,                         /* 0005: ret */
};

static const uint8_t pg_enter1[] = {
    0xC8, 0x01, 0x00, 0x00, /* 0000: enter 1, 0 */
    0xF4,                   /* 0004: hlt */
};

static const uint8_t pg_call_ecx[] = {
    0xFF, 0xD1, /* 0000: call ecx */
    0xF4,       /* 0002: hlt */
};

/* ------------------------------------------------------------------ page tables */

#define PRW (PTE_P | PTE_W)
#define PRWU (PTE_P | PTE_W | PTE_U)

#define PD 0x100000u  /* page directory */
#define PT0 0x101000u /* 0-4 MiB identity, user RW (code, tables, stacks) */
#define PT1 0x102000u /* 4-8 MiB: the test pages */
#define PT4 0x103000u /* 16 MiB: PDE with U=0 over a user PTE */
#define PT5 0x104000u /* 20 MiB: PDE with W=0 over a writable PTE */

/* Linear test pages (PT1 slots) and where they map */
#define L_NP 0x400000u      /* not present */
#define L_RO_U 0x401000u    /* read-only, user -> 0x500000 */
#define L_SUP 0x402000u     /* read/write, supervisor only -> 0x501000 */
#define L_RW_U 0x403000u    /* read/write, user -> 0x502000 */
#define L_REMAP 0x404000u   /* remapped by tests -> 0x503000 */
#define L_GLOBAL 0x405000u  /* global -> 0x505000 */
#define L_RO_S 0x406000u    /* read-only, supervisor -> 0x507000 */
#define L_BIG 0x800000u     /* 4 MiB page (with CR4.PSE) -> 0xC00000 */
#define L_NOPDE 0xC00000u   /* PDE not present */
#define L_PDE_S 0x1000000u  /* PDE U=0, PTE U=1 -> 0x508000 */
#define L_PDE_RO 0x1400000u /* PDE W=0, PTE W=1 -> 0x509000 */

#define PTE_ADDR(pt, lin) ((pt) + (((lin) >> 12) & 0x3FF) * 4)
#define PDE_ADDR(lin) (PD + ((lin) >> 22) * 4)

static void pg_tables(void)
{
    memset(h_ptr(PD), 0, 0x5000);
    cpu_invalidate_phys(hc, PD, 0x5000);
    h_w32(PD + 0, PT0 | PRWU);
    h_w32(PD + 4, PT1 | PRWU);
    h_w32(PD + 8, 0xC00000 | PRWU | PTE_PS);
    h_w32(PD + 16, PT4 | PRW);
    h_w32(PD + 20, PT5 | PTE_P | PTE_U);
    for (uint32_t k = 0; k < 1024; k++)
        h_w32(PT0 + 4 * k, (k << 12) | PRWU);
    h_w32(PTE_ADDR(PT1, L_RO_U), 0x500000 | PTE_P | PTE_U);
    h_w32(PTE_ADDR(PT1, L_SUP), 0x501000 | PRW);
    h_w32(PTE_ADDR(PT1, L_RW_U), 0x502000 | PRWU);
    h_w32(PTE_ADDR(PT1, L_REMAP), 0x503000 | PRWU);
    h_w32(PTE_ADDR(PT1, L_GLOBAL), 0x505000 | PRWU | PTE_G);
    h_w32(PTE_ADDR(PT1, L_RO_S), 0x507000 | PTE_P);
    h_w32(PT4, 0x508000 | PRWU);
    h_w32(PT5, 0x509000 | PRWU);
    /* markers in the target frames */
    for (uint32_t f = 0x500000; f < 0x50A000; f += 0x1000)
        for (uint32_t o = 0; o < 0x1000; o += 4)
            h_w32(f + o, 0xF0000000 | f >> 4 | o);
}

/* What a read of a test page returns (see pg_tables). */
#define MARK(frame, off) (0xF0000000u | (frame) >> 4 | (off))

static void pg_on(uint32_t cr4, uint32_t cr0_extra)
{
    hc->cr3 = PD;
    hc->cr4 = cr4;
    hc->cr0 = CR0_PE | CR0_ET | CR0_PG | cr0_extra;
    cpu_tlb_flush(hc, true);
    cpu_update_mode(hc);
}

static void pg_setup(uint32_t cr4, uint32_t cr0_extra)
{
    h_pm(H_CODE);
    pg_tables();
    pg_on(cr4, cr0_extra);
}

static int run_at(const uint8_t *code, size_t n)
{
    h_load(H_CODE, code, n);
    hc->eip = H_CODE;
    hc->halted = false;
    hc->last_vector = -1;
    return h_run_halt(10000);
}

/* read/write through [ECX] at the current CPL; returns the vector or -1 */
static int pg_access(bool write, uint32_t lin, uint32_t val)
{
    hc->regs[R_ECX] = lin;
    hc->regs[R_EBX] = val;
    hc->regs[R_EAX] = 0xDEADDEAD;
    if (hc->cpl == 3) {
        hc->regs[R_ESP] = H_USTACK;
        hc->halted = false;
    } else {
        hc->regs[R_ESP] = H_STACK;
    }
    int r = write ? run_at(pg_write, sizeof pg_write) : run_at(pg_read, sizeof pg_read);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    return hc->last_vector;
}

/* The #PF was delivered with error code err and CR2 = lin, for the access
 * instruction at H_CODE. */
#define EXPECT_PF(err, lin)                                                                        \
    do {                                                                                           \
        ck_assert_int_eq(hc->last_vector, EX_PF);                                                  \
        ck_assert_msg(hc->last_error == (uint32_t)(err), "#PF error code %#x, want %#x",           \
                      hc->last_error, (uint32_t)(err));                                            \
        ck_assert_uint_eq(h_stack(0), (uint32_t)(err));                                            \
        ck_assert_uint_eq(h_stack(1), H_CODE);                                                     \
        ck_assert_uint_eq(hc->cr2, (uint32_t)(lin));                                               \
        ck_assert_uint_eq(hc->eip, H_STUB(EX_PF) + 1);                                             \
    } while (0)

/* ------------------------------------------------------------------ tests */

START_TEST(test_paging_enable_by_instructions)
{
    h_pm(H_CODE);
    pg_tables();
    hc->regs[R_EAX] = PD;
    hc->regs[R_EDX] = CR4_PSE;
    hc->regs[R_EBX] = CR0_PE | CR0_ET | CR0_PG;
    int r = run_at(pg_enable, sizeof pg_enable);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->cr3, PD);
    ck_assert_uint_eq(hc->cr4, CR4_PSE);
    ck_assert(hc->cr0 & CR0_PG);
    ck_assert_uint_eq(hc->regs[R_ESI], MARK(0x500000, 0)); /* 0x401000 -> 0x500000 */
}
END_TEST

START_TEST(test_translation_4k)
{
    pg_setup(0, 0);
    ck_assert_int_eq(pg_access(false, L_RO_U + 0x7FC, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x500000, 0x7FC));
    ck_assert_int_eq(pg_access(false, L_SUP + 4, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x501000, 4));
    ck_assert_int_eq(pg_access(true, L_RW_U + 0x10, 0xCAFEF00D), -1);
    ck_assert_uint_eq(h_r32(0x502010), 0xCAFEF00D);
    /* a dword across two pages: 0x403FFE..0x404001 -> 0x502FFE.. and 0x503000.. */
    ck_assert_int_eq(pg_access(true, L_RW_U + 0xFFE, 0x44332211), -1);
    ck_assert_uint_eq(h_r16(0x502FFE), 0x2211);
    ck_assert_uint_eq(h_r16(0x503000), 0x4433);
    ck_assert_int_eq(pg_access(false, L_RW_U + 0xFFE, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x44332211);
}
END_TEST

START_TEST(test_pf_not_present)
{
    pg_setup(0, 0);
    ck_assert_int_eq(pg_access(false, L_NP + 0x10, 0), EX_PF);
    EXPECT_PF(0, L_NP + 0x10); /* supervisor read, not present */
    ck_assert_uint_eq(hc->regs[R_EAX], 0xDEADDEAD);
    /* MOV from CR2 returns the faulting address */
    hc->regs[R_ESP] = H_STACK;
    ck_assert_int_eq(run_at(pg_read_cr2, sizeof pg_read_cr2), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EAX], L_NP + 0x10);

    ck_assert_int_eq(pg_access(true, L_NP + 0xFFC, 1), EX_PF);
    EXPECT_PF(2, L_NP + 0xFFC); /* supervisor write, not present */
    /* not-present page directory entry */
    ck_assert_int_eq(pg_access(false, L_NOPDE + 0x123, 0), EX_PF);
    EXPECT_PF(0, L_NOPDE + 0x123);
    ck_assert_int_eq(pg_access(true, L_NOPDE + 0x3FF000, 0), EX_PF);
    EXPECT_PF(2, L_NOPDE + 0x3FF000);
}
END_TEST

START_TEST(test_pf_user)
{
    static const struct {
        bool write;
        uint32_t lin;
        int err; /* -1: no fault */
    } cs[] = {
        {false, L_NP, 4},        /* user read, not present */
        {true, L_NP, 6},         /* user write, not present */
        {false, L_SUP + 8, 5},   /* user read of a supervisor page (P=1) */
        {true, L_SUP + 8, 7},    /* user write of a supervisor page */
        {false, L_RO_U + 8, -1}, /* user read of a read-only user page: fine */
        {true, L_RO_U + 8, 7},   /* user write of a read-only page */
        {true, L_RW_U + 8, -1},
        {false, L_PDE_S + 0x20, 5}, /* PDE U=0 wins over PTE U=1 */
        {false, L_PDE_RO + 0x20, -1},
        {true, L_PDE_RO + 0x20, 7}, /* PDE W=0 wins over PTE W=1 */
        {false, L_NOPDE, 4},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        pg_setup(0, 0);
        h_ring3(H_CODE, H_USTACK);
        int v = pg_access(cs[k].write, cs[k].lin, 0x600D);
        if (cs[k].err < 0) {
            /* no fault: the HLT at CPL 3 raises #GP instead */
            ck_assert_msg(v == EX_GP, "case %zu: vector %d", k, v);
            ck_assert_uint_eq(h_stack(1), H_CODE + 2);
            continue;
        }
        ck_assert_msg(v == EX_PF, "case %zu (%s %#x): vector %d", k, cs[k].write ? "write" : "read",
                      cs[k].lin, v);
        EXPECT_PF(cs[k].err, cs[k].lin);
        ck_assert_uint_eq(h_stack(2), SEL_CODE3); /* from ring 3, on the ring-0 stack */
        ck_assert_uint_eq(h_stack(4), H_USTACK);
    }
}
END_TEST

/* Supervisor writes to read-only pages: allowed with CR0.WP=0, #PF with WP=1. */
START_TEST(test_supervisor_write_protect)
{
    pg_setup(0, 0);
    ck_assert_int_eq(pg_access(true, L_RO_U + 0x40, 0x11111111), -1);
    ck_assert_uint_eq(h_r32(0x500040), 0x11111111);
    ck_assert_int_eq(pg_access(true, L_RO_S + 0x40, 0x22222222), -1);
    ck_assert_uint_eq(h_r32(0x507040), 0x22222222);
    ck_assert_int_eq(pg_access(true, L_PDE_RO + 0x40, 0x33333333), -1);
    ck_assert_uint_eq(h_r32(0x509040), 0x33333333);
    /* set WP by MOV CR0 (the pages are in the TLB by now) */
    hc->regs[R_ECX] = L_RO_U + 0x40;
    hc->regs[R_EBX] = 0x44444444;
    ck_assert_int_eq(run_at(pg_set_wp, sizeof pg_set_wp), CPU_RUN_HALTED);
    ck_assert(hc->cr0 & CR0_WP);
    ck_assert_int_eq(hc->last_vector, EX_PF);
    ck_assert_uint_eq(hc->last_error, 3); /* present, write, supervisor */
    ck_assert_uint_eq(hc->cr2, L_RO_U + 0x40);
    ck_assert_uint_eq(h_stack(1), H_CODE + 0xB);
    ck_assert_uint_eq(h_r32(0x500040), 0x11111111);
    ck_assert_int_eq(pg_access(true, L_RO_S + 0x40, 0x55555555), EX_PF);
    EXPECT_PF(3, L_RO_S + 0x40);
    ck_assert_int_eq(pg_access(true, L_PDE_RO + 0x40, 0x55555555), EX_PF);
    EXPECT_PF(3, L_PDE_RO + 0x40);
    ck_assert_uint_eq(h_r32(0x509040), 0x33333333);
    /* writable pages stay writable; reads of read-only pages are fine */
    ck_assert_int_eq(pg_access(true, L_RW_U, 0x66666666), -1);
    ck_assert_int_eq(pg_access(false, L_RO_S + 0x40, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x22222222);
}
END_TEST

/* Locals at [EBP + disp] across a page end, where the next linear page
 * is not the next physical one: the translator checks a block's EBP
 * accesses together (its frame groups), and must not let one through the
 * page it checked. The first block's write puts the page in its EBP page
 * cache. */
START_TEST(test_ebp_locals_across_page_end)
{
    static const uint8_t code[] = {
        0x89, 0x5D, 0xF0, /* mov [ebp-0x10], ebx */
        0xEB, 0x00,       /* jmp $+2: a new block */
        0x8B, 0x45, 0xF8, /* mov eax, [ebp-8] */
        0x89, 0x45, 0x10, /* mov [ebp+0x10], eax: the next page, frame 0x507000 */
        0xF4,
    };
    pg_setup(0, 0);
    for (int pass = 0; pass < 2; pass++) { /* the second with everything translated */
        hc->regs[R_EBP] = L_GLOBAL + 0xFF8;
        hc->regs[R_EBX] = 0x12345678;
        h_w32(0x507008, 0);
        ck_assert_int_eq(run_at(code, sizeof code), CPU_RUN_HALTED);
        ck_assert_int_eq(hc->last_vector, -1);
        ck_assert_uint_eq(h_r32(0x505FE8), 0x12345678);
        ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x505000, 0xFF0));
        ck_assert_uint_eq(h_r32(0x507008), MARK(0x505000, 0xFF0));
        ck_assert_uint_eq(h_r32(0x506008), MARK(0x506000, 8));
    }
}
END_TEST

/* The same for PUSH and POP runs (the translator's stack groups): pushes
 * from 0x406004 down across the page start into 0x405000, whose frame is
 * not the one before 0x507000. The first block's store puts 0x405000 in the
 * ESP page cache. */
START_TEST(test_pushes_across_page_start)
{
    static const uint8_t code[] = {
        0x89, 0x5C, 0x24, 0xF0,       /* mov [esp-0x10], ebx */
        0xEB, 0x00,                   /* jmp $+2: a new block */
        0x68, 0x11, 0x11, 0x11, 0x11, /* push 0x11111111: 0x406000, frame 0x507000 */
        0x68, 0x22, 0x22, 0x22, 0x22, /* push 0x22222222: 0x405FFC, frame 0x505000 */
        0x68, 0x33, 0x33, 0x33, 0x33, /* push 0x33333333 */
        0x58, 0x59, 0x5A,             /* pop eax; pop ecx; pop edx */
        0xF4,
    };
    pg_setup(0, 0);
    for (int pass = 0; pass < 2; pass++) { /* the second with everything translated */
        hc->regs[R_ESP] = L_RO_S + 4;
        hc->regs[R_EBX] = 0x12345678;
        h_w32(0x507000, 0);
        h_load(H_CODE, code, sizeof code);
        hc->eip = H_CODE;
        hc->halted = false;
        hc->last_vector = -1;
        ck_assert_int_eq(h_run_halt(10000), CPU_RUN_HALTED);
        ck_assert_int_eq(hc->last_vector, -1);
        ck_assert_uint_eq(hc->regs[R_ESP], L_RO_S + 4);
        ck_assert_uint_eq(hc->regs[R_EAX], 0x33333333);
        ck_assert_uint_eq(hc->regs[R_ECX], 0x22222222);
        ck_assert_uint_eq(hc->regs[R_EDX], 0x11111111);
        ck_assert_uint_eq(h_r32(0x507000), 0x11111111);
        ck_assert_uint_eq(h_r32(0x505FFC), 0x22222222);
        ck_assert_uint_eq(h_r32(0x505FF8), 0x33333333);
        ck_assert_uint_eq(h_r32(0x505FF4), 0x12345678);
        ck_assert_uint_eq(h_r32(0x506000), MARK(0x506000, 0));
    }
}
END_TEST

START_TEST(test_accessed_dirty_bits)
{
    pg_setup(CR4_PSE, 0);
    ck_assert_uint_eq(h_r32(PTE_ADDR(PT1, L_RW_U)) & (PTE_A | PTE_D), 0);
    ck_assert_uint_eq(h_r32(PDE_ADDR(L_RW_U)) & PTE_A, 0);
    ck_assert_int_eq(pg_access(false, L_RW_U + 0x100, 0), -1);
    ck_assert_uint_eq(h_r32(PTE_ADDR(PT1, L_RW_U)) & (PTE_A | PTE_D), PTE_A);
    ck_assert_uint_eq(h_r32(PDE_ADDR(L_RW_U)) & PTE_A, PTE_A);
    /* a write after the read (translation already cached) still sets D */
    ck_assert_int_eq(pg_access(true, L_RW_U + 0x100, 7), -1);
    ck_assert_uint_eq(h_r32(PTE_ADDR(PT1, L_RW_U)) & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* write first on a fresh page: A and D together */
    ck_assert_int_eq(pg_access(true, L_REMAP, 7), -1);
    ck_assert_uint_eq(h_r32(PTE_ADDR(PT1, L_REMAP)) & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* untouched pages stay clean */
    ck_assert_uint_eq(h_r32(PTE_ADDR(PT1, L_GLOBAL)) & (PTE_A | PTE_D), 0);
    /* a fault leaves A alone */
    ck_assert_int_eq(pg_access(true, L_NP, 7), EX_PF);
    ck_assert_uint_eq(h_r32(PTE_ADDR(PT1, L_NP)), 0);
    /* 4 MiB page: A and D live in the PDE */
    ck_assert_uint_eq(h_r32(PDE_ADDR(L_BIG)) & (PTE_A | PTE_D), 0);
    ck_assert_int_eq(pg_access(false, L_BIG + 0x3000, 0), -1);
    ck_assert_uint_eq(h_r32(PDE_ADDR(L_BIG)) & (PTE_A | PTE_D), PTE_A);
    ck_assert_int_eq(pg_access(true, L_BIG + 0x3000, 0), -1);
    ck_assert_uint_eq(h_r32(PDE_ADDR(L_BIG)) & (PTE_A | PTE_D), PTE_A | PTE_D);
}
END_TEST

START_TEST(test_pse_4m_pages)
{
    /* with CR4.PSE=0 the PS bit is ignored: the PDE points at a page table */
    const uint32_t lin = L_BIG + 0x123454;
    pg_setup(0, 0);
    h_w32(0xC00000 + 0x123 * 4, 0x510000 | PRWU);
    h_w32(0x510454, 0x0A0A0A0A);
    h_w32(0xD23454, 0x0B0B0B0B);
    ck_assert_int_eq(pg_access(false, lin, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x0A0A0A0A);
    /* CR4.PSE=1: one 4 MiB page, base 0xC00000 */
    pg_setup(CR4_PSE, 0);
    h_w32(0xC00000 + 0x123 * 4, 0x510000 | PRWU);
    ck_assert_int_eq(pg_access(false, lin, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x0B0B0B0B);
    ck_assert_int_eq(pg_access(true, L_BIG + 0x3FFFFC, 0x12345678), -1);
    ck_assert_uint_eq(h_r32(0xFFFFFC), 0x12345678);
    /* protection from the PDE */
    h_w32(PDE_ADDR(L_BIG), 0xC00000 | PTE_P | PTE_PS); /* supervisor, read-only */
    cpu_tlb_flush(hc, true);
    h_ring3(H_CODE, H_USTACK);
    ck_assert_int_eq(pg_access(false, lin, 0), EX_PF);
    EXPECT_PF(5, lin);
    h_w32(PDE_ADDR(L_BIG), 0xC00000 | PTE_P | PTE_U | PTE_PS); /* user, read-only */
    cpu_tlb_flush(hc, true);
    h_ring3(H_CODE, H_USTACK);
    ck_assert_int_eq(pg_access(true, lin, 0), EX_PF);
    EXPECT_PF(7, lin);
}
END_TEST

/* INVLPG after changing a PTE: the next access sees the new mapping. */
START_TEST(test_invlpg)
{
    pg_setup(0, 0);
    ck_assert_int_eq(pg_access(false, L_REMAP + 8, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x503000, 8));
    h_w32(PTE_ADDR(PT1, L_REMAP), 0x504000 | PRWU);
    hc->regs[R_ECX] = L_REMAP + 8;
    ck_assert_int_eq(run_at(pg_invlpg_read, sizeof pg_invlpg_read), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x504000, 8));
    /* unmapping it: INVLPG, then the access faults */
    ck_assert_int_eq(pg_access(true, L_REMAP + 8, 1), -1);
    h_w32(PTE_ADDR(PT1, L_REMAP), 0);
    hc->regs[R_ECX] = L_REMAP + 8;
    ck_assert_int_eq(run_at(pg_invlpg_read, sizeof pg_invlpg_read), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_PF);
    ck_assert_uint_eq(hc->cr2, L_REMAP + 8);
    ck_assert_uint_eq(h_stack(1), H_CODE + 3);
}
END_TEST

/* INVLPG of any address in a 4 MiB page must drop every TLB entry of that
 * page (SDM vol. 3 4.10.4.1: "If the paging structures map the linear
 * address using a page larger than 4 KBytes and there are multiple TLB
 * entries for that page, the instruction invalidates all of them"). */
START_TEST(test_invlpg_large_page)
{
    pg_setup(CR4_PSE, 0);
    h_w32(0x400000 + 0x1000, 0x4C4C4C4C);
    h_w32(0x400000 + 0x2FF000, 0x4D4D4D4D);
    h_w32(0xC00000 + 0x1000, 0xC1C1C1C1);
    h_w32(0xC00000 + 0x2FF000, 0xC2C2C2C2);
    ck_assert_int_eq(pg_access(false, L_BIG + 0x1000, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xC1C1C1C1);
    ck_assert_int_eq(pg_access(false, L_BIG + 0x2FF000, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xC2C2C2C2);
    /* move the large page to 0x400000, INVLPG its first byte */
    h_w32(PDE_ADDR(L_BIG), 0x400000 | PRWU | PTE_PS);
    hc->regs[R_ECX] = L_BIG;
    ck_assert_int_eq(run_at(pg_invlpg_read, sizeof pg_invlpg_read), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_int_eq(pg_access(false, L_BIG + 0x1000, 0), -1);
    ck_assert_msg(hc->regs[R_EAX] == 0x4C4C4C4C,
                  "stale translation for 0x801000 after INVLPG 0x800000: read %#x",
                  hc->regs[R_EAX]);
    ck_assert_int_eq(pg_access(false, L_BIG + 0x2FF000, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x4D4D4D4D);
}
END_TEST

/* MOV CR3 flushes non-global translations; with CR4.PGE, global ones
 * (PTE.G) survive it and are flushed by toggling CR4.PGE. */
START_TEST(test_global_pages)
{
    pg_setup(CR4_PGE, 0);
    ck_assert_int_eq(pg_access(false, L_GLOBAL, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x505000, 0));
    ck_assert_int_eq(pg_access(false, L_REMAP, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x503000, 0));
    h_w32(PTE_ADDR(PT1, L_GLOBAL), 0x506000 | PRWU | PTE_G);
    h_w32(PTE_ADDR(PT1, L_REMAP), 0x504000 | PRWU);
    /* CR3 reload: the non-global page is re-walked ... */
    hc->regs[R_ECX] = L_REMAP;
    ck_assert_int_eq(run_at(pg_cr3_reload_read, sizeof pg_cr3_reload_read), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x504000, 0));
    /* ... the global one keeps its old translation */
    hc->regs[R_ECX] = L_GLOBAL;
    ck_assert_int_eq(run_at(pg_cr3_reload_read, sizeof pg_cr3_reload_read), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x505000, 0));
    /* clearing and setting CR4.PGE flushes it */
    hc->regs[R_ECX] = L_GLOBAL;
    ck_assert_int_eq(run_at(pg_pge_toggle_read, sizeof pg_pge_toggle_read), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->cr4 & CR4_PGE, CR4_PGE);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x506000, 0));
}
END_TEST

/* Without CR4.PGE the G bit means nothing: MOV CR3 flushes the page. */
START_TEST(test_global_bit_without_pge)
{
    pg_setup(0, 0);
    ck_assert_int_eq(pg_access(false, L_GLOBAL, 0), -1);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x505000, 0));
    h_w32(PTE_ADDR(PT1, L_GLOBAL), 0x506000 | PRWU | PTE_G);
    hc->regs[R_ECX] = L_GLOBAL;
    ck_assert_int_eq(run_at(pg_cr3_reload_read, sizeof pg_cr3_reload_read), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EAX], MARK(0x506000, 0));
}
END_TEST

/* Instruction fetch from a not-present page, directly and by an instruction
 * that straddles into it: #PF with CR2 = the first missing byte and the
 * pushed EIP = the start of the instruction. */
START_TEST(test_pf_instruction_fetch)
{
    pg_setup(0, 0);
    hc->regs[R_ECX] = L_NP;
    int r = run_at(pg_jmp_ecx, sizeof pg_jmp_ecx);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_PF);
    ck_assert_uint_eq(hc->last_error, 0);
    ck_assert_uint_eq(hc->cr2, L_NP);
    ck_assert_uint_eq(h_stack(1), L_NP);
    /* "mov eax, imm32" at 0x3FFFFE: two bytes mapped, three not (0x400000) */
    h_load(0x3FFFFE, pg_cross_fetch, sizeof pg_cross_fetch);
    hc->regs[R_ECX] = 0x3FFFFE;
    hc->regs[R_ESP] = H_STACK;
    hc->regs[R_EAX] = 0xDEADDEAD;
    r = run_at(pg_jmp_ecx, sizeof pg_jmp_ecx);
    ck_assert_int_eq(hc->last_vector, EX_PF);
    ck_assert_uint_eq(hc->last_error, 0);
    ck_assert_uint_eq(hc->cr2, L_NP);
    ck_assert_uint_eq(h_stack(1), 0x3FFFFE);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xDEADDEAD);
    /* map the page (frame 0x400000 holds the rest of the instruction) and retry */
    h_w32(PTE_ADDR(PT1, L_NP), 0x400000 | PRWU);
    cpu_tlb_flush(hc, true);
    hc->regs[R_ECX] = 0x3FFFFE;
    hc->regs[R_ESP] = H_STACK;
    r = run_at(pg_jmp_ecx, sizeof pg_jmp_ecx);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x12345678);
}
END_TEST

/* ENTER (SDM, protected-mode exceptions): "#PF(fault-code) If a page fault
 * occurs or if a write using the final value of the stack pointer (within
 * the current stack segment) would cause a page fault", although nothing is
 * written there. ENTER 1,0 at CPL 3 with EBP pushed to the first dword of
 * a user page and the byte below it on a supervisor page: #PF, and ENTER
 * restarts (ESP and EBP unchanged). At CPL 0 the same ENTER completes. */
START_TEST(test_enter_final_esp_faults)
{
    pg_setup(0, 0);
    h_ring3(H_CODE, L_RW_U + 4);
    hc->regs[R_EBP] = 0x1234;
    int r = run_at(pg_enter1, sizeof pg_enter1);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    EXPECT_PF(7, L_RW_U - 1); /* user write to a present supervisor page */
    ck_assert_uint_eq(h_stack(4), L_RW_U + 4); /* the interrupted ESP: unchanged */
    ck_assert_uint_eq(hc->regs[R_EBP], 0x1234);

    pg_setup(0, 0);
    hc->regs[R_ESP] = L_RW_U + 4;
    hc->regs[R_EBP] = 0x1234;
    r = run_at(pg_enter1, sizeof pg_enter1);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_ESP], L_RW_U - 1);
    ck_assert_uint_eq(hc->regs[R_EBP], L_RW_U);
    ck_assert_uint_eq(h_r32(0x502000), 0x1234);
}
END_TEST

/* A write that straddles into a not-present page faults before writing
 * anything; CR2 is the first byte of the missing page. */
START_TEST(test_pf_split_write)
{
    pg_setup(0, 0);
    h_w32(PTE_ADDR(PT1, L_REMAP), 0); /* page after L_RW_U not present */
    h_w32(0x502FFC, 0x11111111);
    ck_assert_int_eq(pg_access(true, L_RW_U + 0xFFE, 0xAABBCCDD), EX_PF);
    EXPECT_PF(2, L_REMAP);
    ck_assert_uint_eq(h_r32(0x502FFC), 0x11111111);
    /* and a split read likewise */
    ck_assert_int_eq(pg_access(false, L_RW_U + 0xFFD, 0), EX_PF);
    EXPECT_PF(0, L_REMAP);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xDEADDEAD);
}
END_TEST

static const uint8_t pg_rep_movsd[] = {
    0xF3, 0xA5, /* 0000: rep movsd */
    0xF4,       /* 0002: hlt */
};
static const uint8_t pg_rep_stosd[] = {
    0xF3, 0xAB, /* 0000: rep stosd */
    0xF4,       /* 0002: hlt */
};

/* A REP MOVS/STOS that runs into a page it may not write: the elements
 * before the page are done, the one that would touch it faults with CR2 its
 * first byte of that page and nothing of it written; ECX, ESI, EDI count the
 * elements done and the saved EIP is the REP instruction (SDM "REP": the
 * registers are updated per iteration, so the instruction can restart). */
START_TEST(test_rep_fault_at_page)
{
    for (uint32_t mis = 0; mis < 4; mis++) {
        pg_setup(0, 0);
        h_w32(PTE_ADDR(PT1, L_REMAP), 0); /* the page after L_RW_U: not present */
        for (uint32_t k = 0; k < 0x400; k++)
            h_w8(0x30000 + k, (uint8_t)(k * 13 + 1));
        uint32_t dst = L_RW_U + 0xF00 + mis, done = (0x100 - mis) / 4;
        hc->regs[R_ESP] = H_STACK;
        hc->regs[R_ESI] = 0x30000;
        hc->regs[R_EDI] = dst;
        hc->regs[R_ECX] = 0x100;
        ck_assert_int_eq(run_at(pg_rep_movsd, sizeof pg_rep_movsd), CPU_RUN_HALTED);
        EXPECT_PF(2, L_REMAP);
        ck_assert_uint_eq(hc->regs[R_ECX], 0x100 - done);
        ck_assert_uint_eq(hc->regs[R_ESI], 0x30000 + 4 * done);
        ck_assert_uint_eq(hc->regs[R_EDI], dst + 4 * done);
        ck_assert_mem_eq(h_ptr(0x502F00 + mis), h_ptr(0x30000), 4 * done);
        for (uint32_t a = 0x502F00 + mis + 4 * done; a < 0x503000; a++)
            ck_assert_uint_eq(h_r8(a), (MARK(0x502000, a & 0xFFC) >> (8 * (a & 3))) & 0xFF);
    }
    /* user REP STOSD into a read-only user page: faults at its first element */
    pg_setup(0, 0);
    h_ring3(H_CODE, H_USTACK);
    hc->regs[R_EDI] = L_RO_U + 0x10;
    hc->regs[R_ECX] = 8;
    hc->regs[R_EAX] = 0x12345678;
    ck_assert_int_eq(run_at(pg_rep_stosd, sizeof pg_rep_stosd), CPU_RUN_HALTED);
    EXPECT_PF(7, L_RO_U + 0x10);
    ck_assert_uint_eq(hc->regs[R_ECX], 8);
    ck_assert_uint_eq(h_r32(0x500010), MARK(0x500000, 0x10));
}
END_TEST

/* Code at one linear address re-mapped to another frame (INVLPG): the code
 * of the new frame runs, not what was decoded from the old one. */
START_TEST(test_code_remap)
{
    pg_setup(0, 0);
    h_load(0x503000, pg_code_a, sizeof pg_code_a);
    h_load(0x504000, pg_code_b, sizeof pg_code_b);
    hc->regs[R_ECX] = L_REMAP; /* -> 0x503000 */
    int r = run_at(pg_call_ecx, sizeof pg_call_ecx);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xAAAA);
    h_w32(PTE_ADDR(PT1, L_REMAP), 0x504000 | PRWU);
    hc->regs[R_ECX] = L_REMAP;
    hc->regs[R_ESP] = H_STACK;
    r = run_at(pg_invlpg_read, sizeof pg_invlpg_read); /* invlpg [ecx] */
    ck_assert_int_eq(hc->last_vector, -1);
    hc->regs[R_ECX] = L_REMAP;
    r = run_at(pg_call_ecx, sizeof pg_call_ecx);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xBBBB);
    /* the same through a CR3 switch to a copy of the tables */
    memcpy(h_ptr(0x110000), h_ptr(PD), 0x5000);
    h_w32(0x110000 + 4, (PT1 + 0x10000) | PRWU);
    h_w32(PTE_ADDR(PT1 + 0x10000, L_REMAP), 0x503000 | PRWU);
    hc->cr3 = 0x110000;
    cpu_tlb_flush(hc, false);
    hc->regs[R_ECX] = L_REMAP;
    r = run_at(pg_call_ecx, sizeof pg_call_ecx);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xAAAA);
}
END_TEST

static Suite *paging_suite(void)
{
    Suite *s = suite_create("cpu_paging");
    TCase *tc = h_tcase("translate");
    tcase_add_test(tc, test_paging_enable_by_instructions);
    tcase_add_test(tc, test_translation_4k);
    tcase_add_test(tc, test_pse_4m_pages);
    tcase_add_test(tc, test_accessed_dirty_bits);
    suite_add_tcase(s, tc);
    tc = h_tcase("fault");
    tcase_add_test(tc, test_pf_not_present);
    tcase_add_test(tc, test_pf_user);
    tcase_add_test(tc, test_supervisor_write_protect);
    tcase_add_test(tc, test_ebp_locals_across_page_end);
    tcase_add_test(tc, test_pushes_across_page_start);
    tcase_add_test(tc, test_pf_instruction_fetch);
    tcase_add_test(tc, test_pf_split_write);
    tcase_add_test(tc, test_enter_final_esp_faults);
    suite_add_tcase(s, tc);
    tc = h_tcase("tlb");
    tcase_add_test(tc, test_invlpg);
    tcase_add_test(tc, test_invlpg_large_page);
    tcase_add_test(tc, test_global_pages);
    tcase_add_test(tc, test_global_bit_without_pge);
    tcase_add_test(tc, test_code_remap);
    tcase_add_test(tc, test_rep_fault_at_page);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(paging_suite)
