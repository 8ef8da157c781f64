/* CPU interpreter unit tests: string instructions MOVS STOS LODS CMPS SCAS
 * (byte/word/dword) with REP/REPE/REPNE, DF=1, 16-bit addressing and
 * wrap-around, segment overrides, zero counts, long (restarted) REPs and a
 * fault in the middle of a REP.
 *
 * Flags of CMPS/SCAS are checked against the host CPU's CMP. Machine code
 * generated with GNU as (as --32, .intel_syntax noprefix; .code16 where
 * noted); each encoding carries its assembly text. */
#include "tests/unit/cpu_harness.h"

#if !defined(__x86_64__)
#error "these tests use the host x86-64 CPU as the reference"
#endif

/* ------------------------------------------------------------------ encodings (GNU as) */

static const Enc s_rep_movsb = {"rep movsb", 2, 0, {0xF3, 0xA4}};
static const Enc s_rep_movsw = {"rep movsw", 3, 0, {0x66, 0xF3, 0xA5}};
static const Enc s_rep_movsd = {"rep movsd", 2, 0, {0xF3, 0xA5}};
static const Enc s_movsb = {"movsb", 1, 0, {0xA4}};
static const Enc s_movsd = {"movsd", 1, 0, {0xA5}};
static const Enc s_rep_stosb = {"rep stosb", 2, 0, {0xF3, 0xAA}};
static const Enc s_rep_stosw = {"rep stosw", 3, 0, {0x66, 0xF3, 0xAB}};
static const Enc s_rep_stosd = {"rep stosd", 2, 0, {0xF3, 0xAB}};
static const Enc s_stosw = {"stosw", 2, 0, {0x66, 0xAB}};
static const Enc s_lodsb = {"lodsb", 1, 0, {0xAC}};
static const Enc s_lodsw = {"lodsw", 2, 0, {0x66, 0xAD}};
static const Enc s_lodsd = {"lodsd", 1, 0, {0xAD}};
static const Enc s_rep_lodsb = {"rep lodsb", 2, 0, {0xF3, 0xAC}};
static const Enc s_cmpsb = {"cmpsb", 1, 0, {0xA6}};
static const Enc s_cmpsd = {"cmpsd", 1, 0, {0xA7}};
static const Enc s_repe_cmpsb = {"repe cmpsb", 2, 0, {0xF3, 0xA6}};
static const Enc s_repne_cmpsb = {"repne cmpsb", 2, 0, {0xF2, 0xA6}};
static const Enc s_repe_cmpsd = {"repe cmpsd", 2, 0, {0xF3, 0xA7}};
static const Enc s_repe_cmpsw = {"repe cmpsw", 3, 0, {0x66, 0xF3, 0xA7}};
static const Enc s_scasb = {"scasb", 1, 0, {0xAE}};
static const Enc s_scasw = {"scasw", 2, 0, {0x66, 0xAF}};
static const Enc s_repne_scasb = {"repne scasb", 2, 0, {0xF2, 0xAE}};
static const Enc s_repe_scasd = {"repe scasd", 2, 0, {0xF3, 0xAF}};
static const Enc s_repne_scasw = {"repne scasw", 3, 0, {0x66, 0xF2, 0xAF}};
static const Enc s_fs_rep_movsb = {
    "rep movs byte ptr es:[edi], byte ptr fs:[esi]", 3, 0, {0x64, 0xF3, 0xA4}};
static const Enc s_fs_rep_stosb = {"fs rep stosb", 3, 0, {0x64, 0xF3, 0xAA}};
static const Enc s_es_lodsd = {"lods eax, dword ptr es:[esi]", 2, 0, {0x26, 0xAD}};
static const Enc s_gs_repe_cmpsb = {
    "repe cmps byte ptr gs:[esi], byte ptr es:[edi]", 3, 0, {0x65, 0xF3, 0xA6}};
static const Enc s_a16_rep_movsb = {"addr16 rep movsb", 3, 0, {0x67, 0xF3, 0xA4}};
static const Enc s_a16_rep_stosd = {"addr16 rep stosd", 3, 0, {0x67, 0xF3, 0xAB}};
static const Enc s_repne_movsb = {"repne movsb", 2, 0, {0xF2, 0xA4}};
/* 16-bit code (.code16) */
static const Enc s16_rep_movsw = {"rep movsw", 2, 0, {0xF3, 0xA5}};
static const Enc s16_rep_movsb = {"rep movsb", 2, 0, {0xF3, 0xA4}};
static const Enc s16_rep_stosb = {"rep stosb", 2, 0, {0xF3, 0xAA}};
static const Enc s16_repne_scasb = {"repne scasb", 2, 0, {0xF2, 0xAE}};
static const Enc s16_a32_rep_movsb = {"addr32 rep movsb", 3, 0, {0x67, 0xF3, 0xA4}};

/* Flags of CMP a, b (a - b) computed by the host CPU. */
static uint32_t nat_cmp(int sz, uint32_t a, uint32_t b)
{
    uint64_t f;
    if (sz == 0) {
        uint8_t x = (uint8_t)a, y = (uint8_t)b;
        __asm__ volatile("cmpb %[y], %[x]\n\tpushfq\n\tpop %[f]"
                         : [f] "=r"(f)
                         : [x] "r"(x), [y] "r"(y)
                         : "cc");
    } else if (sz == 1) {
        uint16_t x = (uint16_t)a, y = (uint16_t)b;
        __asm__ volatile("cmpw %[y], %[x]\n\tpushfq\n\tpop %[f]"
                         : [f] "=r"(f)
                         : [x] "r"(x), [y] "r"(y)
                         : "cc");
    } else {
        __asm__ volatile("cmpl %[y], %[x]\n\tpushfq\n\tpop %[f]"
                         : [f] "=r"(f)
                         : [x] "r"(a), [y] "r"(b)
                         : "cc");
    }
    return (uint32_t)f & F_ARITH;
}

#define SRC (H_DATA + 0x1000)
#define DST (H_DATA + 0x3000)
#define PRESET (F_CF | F_ZF | F_OF) /* flags that string moves must leave alone */
#define BIG 100000u
#define BUF1 0x200000u
#define BUF2 0x300000u

/* Run e (followed by HLT) at H_CODE with the given EFLAGS; expect it to finish. */
static void srun(const Enc *e, uint32_t eflags)
{
    load_insn(e, 0);
    hc->eip = H_CODE - hc->seg[S_CS].base;
    hc->halted = false;
    hc->last_vector = -1;
    cpu_set_eflags(hc, eflags | 2u);
    int r = h_run_halt(10000000);
    ck_assert_msg(r == CPU_RUN_HALTED, "%s: run returned %d", e->text, r);
    ck_assert_msg(hc->last_vector == -1, "%s: exception %d", e->text, hc->last_vector);
    ck_assert_uint_eq(hc->eip, H_CODE - hc->seg[S_CS].base + e->len + 1u);
}

static void fill_pattern(uint32_t pa, uint32_t n, uint32_t seed)
{
    for (uint32_t k = 0; k < n; k++)
        h_ptr(pa)[k] = (uint8_t)(k * 7 + seed + (k >> 8));
    cpu_invalidate_phys(hc, pa, n);
}
static void fill(uint32_t pa, uint8_t v, uint32_t n)
{
    memset(h_ptr(pa), v, n);
    cpu_invalidate_phys(hc, pa, n);
}
static void set_si_di_cx(uint32_t esi, uint32_t edi, uint32_t ecx)
{
    hc->regs[R_ESI] = esi;
    hc->regs[R_EDI] = edi;
    hc->regs[R_ECX] = ecx;
}

/* ------------------------------------------------------------------ MOVS */

START_TEST(test_rep_movs_forward)
{
    h_pm(H_CODE);
    const Enc *es[3] = {&s_rep_movsb, &s_rep_movsw, &s_rep_movsd};
    for (int sz = 0; sz < 3; sz++) {
        uint32_t n = 101, bytes = n << sz;
        fill_pattern(SRC, 0x1000, (uint32_t)sz);
        fill(DST - 16, 0xCC, 0x1100);
        set_si_di_cx(SRC, DST, n);
        srun(es[sz], PRESET);
        ck_assert_mem_eq(h_ptr(DST), h_ptr(SRC), bytes);
        ck_assert_uint_eq(h_r8(DST + bytes), 0xCC);
        ck_assert_uint_eq(h_r8(DST - 1), 0xCC);
        ck_assert_uint_eq(hc->regs[R_ESI], SRC + bytes);
        ck_assert_uint_eq(hc->regs[R_EDI], DST + bytes);
        ck_assert_uint_eq(hc->regs[R_ECX], 0);
        ck_assert_uint_eq(h_flags() & F_ARITH, PRESET);
    }
}
END_TEST

START_TEST(test_rep_movs_backward)
{
    h_pm(H_CODE);
    const Enc *es[3] = {&s_rep_movsb, &s_rep_movsw, &s_rep_movsd};
    for (int sz = 0; sz < 3; sz++) {
        uint32_t n = 37, step = 1u << sz, bytes = n << sz;
        fill_pattern(SRC, 0x1000, 11u + (uint32_t)sz);
        fill(DST - 16, 0xCC, 0x1100);
        /* DF=1: start at the last element, addresses decrease */
        set_si_di_cx(SRC + bytes - step, DST + bytes - step, n);
        srun(es[sz], F_DF);
        ck_assert_mem_eq(h_ptr(DST), h_ptr(SRC), bytes);
        ck_assert_uint_eq(h_r8(DST + bytes), 0xCC);
        ck_assert_uint_eq(h_r8(DST - 1), 0xCC);
        ck_assert_uint_eq(hc->regs[R_ESI], SRC - step);
        ck_assert_uint_eq(hc->regs[R_EDI], DST - step);
        ck_assert_uint_eq(hc->regs[R_ECX], 0);
        ck_assert(h_flags() & F_DF);
    }
}
END_TEST

/* Overlapping forward copy must behave element by element (pattern fill). */
START_TEST(test_rep_movs_overlap)
{
    h_pm(H_CODE);
    fill_pattern(SRC, 0x200, 1);
    uint8_t first = h_r8(SRC);
    set_si_di_cx(SRC, SRC + 1, 64);
    srun(&s_rep_movsb, 0);
    for (uint32_t k = 0; k <= 64; k++)
        ck_assert_uint_eq(h_r8(SRC + k), first);
    /* movsd with a 4-byte overlap repeats the first dword */
    fill_pattern(SRC, 0x200, 2);
    uint32_t d0 = h_r32(SRC);
    set_si_di_cx(SRC, SRC + 4, 16);
    srun(&s_rep_movsd, 0);
    for (uint32_t k = 0; k <= 16; k++)
        ck_assert_uint_eq(h_r32(SRC + 4 * k), d0);
}
END_TEST

/* Overlaps closer than an element: SDM "MOVS": each iteration moves one
 * element from [ESI] to [EDI], then steps both; the reference below does
 * exactly that, element by element, on a copy of the memory. Also with the
 * destination ahead by 1..3 bytes and elements crossing pages. */
START_TEST(test_rep_movs_close_overlap)
{
    h_pm(H_CODE);
    const Enc *es[3] = {&s_rep_movsb, &s_rep_movsw, &s_rep_movsd};
    static uint8_t ref[0x3000];
    for (int sz = 0; sz < 3; sz++)
        for (uint32_t dist = 1; dist <= 5; dist++)
            for (uint32_t start = 0xFF0; start <= 0xFF3; start += 3) {
                uint32_t n = 700, size = 1u << sz;
                fill_pattern(H_DATA, sizeof ref, dist * 3u + (uint32_t)sz);
                memcpy(ref, h_ptr(H_DATA), sizeof ref);
                for (uint32_t k = 0; k < n; k++) { /* the reference: one element at a time */
                    uint8_t t[4];
                    memcpy(t, ref + start + k * size, size);
                    memcpy(ref + start + dist + k * size, t, size);
                }
                set_si_di_cx(H_DATA + start, H_DATA + start + dist, n);
                srun(es[sz], 0);
                ck_assert_msg(memcmp(h_ptr(H_DATA), ref, sizeof ref) == 0,
                              "%s, destination %u bytes ahead at %#x", es[sz]->text, dist, start);
                ck_assert_uint_eq(hc->regs[R_ESI], H_DATA + start + n * size);
                ck_assert_uint_eq(hc->regs[R_EDI], H_DATA + start + dist + n * size);
            }
}
END_TEST

/* Source and destination at different offsets in their pages, elements
 * straddling page boundaries on either side: the result is a plain copy. */
START_TEST(test_rep_movs_stos_page_straddle)
{
    h_pm(H_CODE);
    const Enc *ms[3] = {&s_rep_movsb, &s_rep_movsw, &s_rep_movsd};
    const Enc *ss[3] = {&s_rep_stosb, &s_rep_stosw, &s_rep_stosd};
    for (int sz = 0; sz < 3; sz++)
        for (uint32_t so = 0xFFD; so <= 0x1000; so++) {
            uint32_t n = 3000, bytes = n << sz, src = BUF1 + so, dst = BUF2 + 0x2FFF - so;
            fill_pattern(BUF1, 0x4000, so);
            fill(BUF2, 0xCC, 0x8000);
            set_si_di_cx(src, dst, n);
            srun(ms[sz], 0);
            ck_assert_mem_eq(h_ptr(dst), h_ptr(src), bytes);
            ck_assert_uint_eq(h_r8(dst + bytes), 0xCC);
            ck_assert_uint_eq(h_r8(dst - 1), 0xCC);
            /* elements of unlike and of like bytes (the latter go as memset) */
            static const uint32_t vals[] = {0x44332211, 0, 0xFFFFFFFF, 0x12124242};
            for (size_t vi = 0; vi < sizeof vals / sizeof vals[0]; vi++) {
                uint32_t v = vals[vi];
                hc->regs[R_EAX] = v;
                set_si_di_cx(0, dst, n);
                srun(ss[sz], 0);
                for (uint32_t k = 0; k < bytes; k++)
                    if (h_r8(dst + k) != (uint8_t)(v >> (8 * (k % (1u << sz)))))
                        ck_abort_msg("%s %#x: byte %u at %#x", ss[sz]->text, v, k, dst);
                ck_assert_uint_eq(h_r8(dst + bytes), 0xCC);
                ck_assert_uint_eq(hc->regs[R_EDI], dst + bytes);
            }
        }
}
END_TEST

/* Without REP: one element; REPNE (F2) on MOVS repeats like REP. */
START_TEST(test_movs_single_and_repne)
{
    h_pm(H_CODE);
    fill_pattern(SRC, 0x100, 3);
    fill(DST, 0, 0x100);
    set_si_di_cx(SRC, DST, 5);
    srun(&s_movsd, 0);
    ck_assert_uint_eq(h_r32(DST), h_r32(SRC));
    ck_assert_uint_eq(h_r32(DST + 4), 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 5); /* no REP: ECX untouched */
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 4);
    set_si_di_cx(SRC, DST, 5);
    srun(&s_movsb, F_DF);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC - 1);
    ck_assert_uint_eq(hc->regs[R_EDI], DST - 1);
    fill(DST, 0, 0x100);
    set_si_di_cx(SRC, DST, 9);
    srun(&s_repne_movsb, F_ZF);
    ck_assert_mem_eq(h_ptr(DST), h_ptr(SRC), 9);
    ck_assert_uint_eq(h_r8(DST + 9), 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
}
END_TEST

/* ------------------------------------------------------------------ STOS LODS */

START_TEST(test_rep_stos)
{
    h_pm(H_CODE);
    const Enc *es[3] = {&s_rep_stosb, &s_rep_stosw, &s_rep_stosd};
    for (int sz = 0; sz < 3; sz++)
        for (int df = 0; df < 2; df++) {
            uint32_t n = 33, step = 1u << sz, bytes = n << sz;
            fill(DST - 16, 0xCC, 0x200);
            hc->regs[R_EAX] = 0x89ABCDEF;
            set_si_di_cx(0x5151, df ? DST + bytes - step : DST, n);
            srun(es[sz], PRESET | (df ? F_DF : 0));
            for (uint32_t k = 0; k < bytes; k++)
                ck_assert_uint_eq(h_r8(DST + k), (0x89ABCDEFu >> (8 * (k % step))) & 0xFF);
            ck_assert_uint_eq(h_r8(DST + bytes), 0xCC);
            ck_assert_uint_eq(h_r8(DST - 1), 0xCC);
            ck_assert_uint_eq(hc->regs[R_EDI], df ? DST - step : DST + bytes);
            ck_assert_uint_eq(hc->regs[R_ECX], 0);
            ck_assert_uint_eq(hc->regs[R_ESI], 0x5151);
            ck_assert_uint_eq(hc->regs[R_EAX], 0x89ABCDEF);
            ck_assert_uint_eq(h_flags() & F_ARITH, PRESET);
        }
    /* single STOSW */
    fill(DST, 0xCC, 8);
    hc->regs[R_EAX] = 0x1234ABCD;
    set_si_di_cx(0, DST, 7);
    srun(&s_stosw, 0);
    ck_assert_uint_eq(h_r32(DST), 0xCCCCABCD);
    ck_assert_uint_eq(hc->regs[R_EDI], DST + 2);
    ck_assert_uint_eq(hc->regs[R_ECX], 7);
}
END_TEST

START_TEST(test_lods)
{
    h_pm(H_CODE);
    h_w32(SRC, 0x44332211);
    h_w32(SRC + 4, 0x88776655);
    hc->regs[R_EAX] = 0xAAAAAAAA;
    set_si_di_cx(SRC, 0, 0);
    srun(&s_lodsb, PRESET);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xAAAAAA11);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 1);
    srun(&s_lodsw, PRESET);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xAAAA3322);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 3);
    srun(&s_lodsd, PRESET);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x77665544);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 7);
    ck_assert_uint_eq(h_flags() & F_ARITH, PRESET);
    /* DF=1: load from ESI, then decrement */
    h_w32(SRC + 8, 0xCCBBAA99);
    srun(&s_lodsw, F_DF);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x77669988);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 5);
    srun(&s_lodsd, F_DF);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x99887766);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 1);
    /* REP LODSB: the last element stays in AL */
    set_si_di_cx(SRC, 0, 3);
    srun(&s_rep_lodsb, 0);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x99887733);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 3);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
}
END_TEST

/* ------------------------------------------------------------------ CMPS SCAS */

START_TEST(test_cmps_scas_flags_and_order)
{
    h_pm(H_CODE);
    static const uint32_t pairs[][2] = {{1, 2},           {2, 1},           {0x80, 0x7F},
                                        {0x7F, 0x80},     {5, 5},           {0x80000000u, 1},
                                        {0, 0xFFFFFFFFu}, {0x1234, 0x1235}, {0x8000, 0x0001}};
    const Enc *cmps[3] = {&s_cmpsb, NULL, &s_cmpsd};
    const Enc *scas[3] = {&s_scasb, &s_scasw, NULL};
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
        for (int sz = 0; sz < 3; sz++) {
            uint32_t a = pairs[k][0] & MASK(sz), b = pairs[k][1] & MASK(sz), step = 1u << sz;
            if (cmps[sz]) { /* CMPS computes [ESI] - [EDI] */
                h_w32(SRC, a);
                h_w32(DST, b);
                set_si_di_cx(SRC, DST, 77);
                srun(cmps[sz], 0);
                ck_assert_msg((h_flags() & F_ARITH) == nat_cmp(sz, a, b),
                              "%s [esi]=%#x [edi]=%#x: flags %03x, want %03x", cmps[sz]->text, a, b,
                              h_flags() & F_ARITH, nat_cmp(sz, a, b));
                ck_assert_uint_eq(hc->regs[R_ESI], SRC + step);
                ck_assert_uint_eq(hc->regs[R_EDI], DST + step);
                ck_assert_uint_eq(hc->regs[R_ECX], 77);
            }
            if (scas[sz]) { /* SCAS computes AL/AX/EAX - [EDI] */
                h_w32(DST, b);
                hc->regs[R_EAX] = (0xABCDEF00u & ~MASK(sz)) | a;
                set_si_di_cx(0x1111, DST, 77);
                srun(scas[sz], F_DF);
                ck_assert_msg((h_flags() & F_ARITH) == nat_cmp(sz, a, b),
                              "%s acc=%#x [edi]=%#x: flags %03x, want %03x", scas[sz]->text, a, b,
                              h_flags() & F_ARITH, nat_cmp(sz, a, b));
                ck_assert_uint_eq(hc->regs[R_EDI], DST - step);
                ck_assert_uint_eq(hc->regs[R_ESI], 0x1111);
                ck_assert_uint_eq(hc->regs[R_EAX], (0xABCDEF00u & ~MASK(sz)) | a);
            }
        }
}
END_TEST

START_TEST(test_repe_repne_cmps)
{
    h_pm(H_CODE);
    /* REPE: equal for 5 bytes, differs at index 5 */
    fill_pattern(SRC, 64, 9);
    h_load(DST, h_ptr(SRC), 64);
    h_w8(DST + 5, (uint8_t)(h_r8(SRC + 5) + 1));
    set_si_di_cx(SRC, DST, 10);
    srun(&s_repe_cmpsb, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 4);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 6);
    ck_assert_uint_eq(hc->regs[R_EDI], DST + 6);
    ck_assert_uint_eq(h_flags() & F_ARITH, nat_cmp(0, h_r8(SRC + 5), h_r8(DST + 5)));
    /* REPE over equal data: runs out of count with ZF=1 */
    h_w8(DST + 5, h_r8(SRC + 5));
    set_si_di_cx(SRC, DST, 64);
    srun(&s_repe_cmpsb, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 64);
    ck_assert(h_flags() & F_ZF);
    /* REPNE: stops at the first equal element */
    fill(SRC, 0x11, 32);
    fill(DST, 0x22, 32);
    h_w8(DST + 3, 0x11);
    set_si_di_cx(SRC, DST, 32);
    srun(&s_repne_cmpsb, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 28);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 4);
    ck_assert(h_flags() & F_ZF);
    /* REPE CMPSD backwards */
    for (uint32_t k = 0; k < 8; k++) {
        h_w32(SRC + 4 * k, 0x1000 + k);
        h_w32(DST + 4 * k, 0x1000 + k);
    }
    h_w32(DST + 4 * 2, 0x0FFF); /* mismatch at element 2, found third from the top */
    set_si_di_cx(SRC + 28, DST + 28, 8);
    srun(&s_repe_cmpsd, F_DF);
    ck_assert_uint_eq(hc->regs[R_ECX], 2);
    ck_assert_uint_eq(hc->regs[R_ESI], SRC + 4);
    ck_assert_uint_eq(hc->regs[R_EDI], DST + 4);
    ck_assert_uint_eq(h_flags() & F_ARITH, nat_cmp(2, 0x1002, 0x0FFF));
    /* REPE CMPSW */
    for (uint32_t k = 0; k < 8; k++) {
        h_w16(SRC + 2 * k, (uint16_t)(0x8000 + k));
        h_w16(DST + 2 * k, (uint16_t)(0x8000 + k));
    }
    h_w16(DST + 2 * 6, 0x9000);
    set_si_di_cx(SRC, DST, 8);
    srun(&s_repe_cmpsw, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 1);
    ck_assert_uint_eq(h_flags() & F_ARITH, nat_cmp(1, 0x8006, 0x9000));
}
END_TEST

START_TEST(test_rep_scas)
{
    h_pm(H_CODE);
    /* strlen idiom: repne scasb with AL=0, ECX=-1 */
    static const char str[] = "hello, world";
    h_load(DST, str, sizeof str);
    hc->regs[R_EAX] = 0x12345600;
    set_si_di_cx(0, DST, 0xFFFFFFFF);
    srun(&s_repne_scasb, 0);
    ck_assert_uint_eq(hc->regs[R_EDI], DST + sizeof str);
    ck_assert_uint_eq(hc->regs[R_ECX], 0xFFFFFFFFu - sizeof str);
    ck_assert_uint_eq(~hc->regs[R_ECX] - 1, strlen(str));
    ck_assert(h_flags() & F_ZF);
    /* repe scasd: skip equal dwords */
    for (uint32_t k = 0; k < 10; k++)
        h_w32(DST + 4 * k, k < 5 ? 0x12345678 : 0x12345679);
    hc->regs[R_EAX] = 0x12345678;
    set_si_di_cx(0, DST, 10);
    srun(&s_repe_scasd, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 4);
    ck_assert_uint_eq(hc->regs[R_EDI], DST + 24);
    ck_assert_uint_eq(h_flags() & F_ARITH, nat_cmp(2, 0x12345678, 0x12345679));
    /* repne scasw backwards, not found: runs out with ZF=0 */
    for (uint32_t k = 0; k < 16; k++)
        h_w16(DST + 2 * k, (uint16_t)(0x100 + k));
    hc->regs[R_EAX] = 0xFFFF0042;
    set_si_di_cx(0, DST + 30, 16);
    srun(&s_repne_scasw, F_DF);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
    ck_assert_uint_eq(hc->regs[R_EDI], DST - 2);
    ck_assert(!(h_flags() & F_ZF));
    ck_assert_uint_eq(h_flags() & F_ARITH, nat_cmp(1, 0x0042, 0x0100));
}
END_TEST

/* ------------------------------------------------------------------ counts, prefixes, addressing
 */

/* REP with ECX = 0: nothing at all happens (no access, no flags change). */
START_TEST(test_rep_zero_count)
{
    h_pm(H_CODE);
    const Enc *es[] = {&s_rep_movsb,  &s_rep_movsd,   &s_rep_stosw,   &s_rep_lodsb,
                       &s_repe_cmpsb, &s_repne_cmpsb, &s_repne_scasb, &s_repe_scasd};
    for (size_t k = 0; k < sizeof es / sizeof es[0]; k++)
        for (int v = 0; v < 2; v++) {
            uint32_t fl = v ? (F_ARITH & ~F_ZF) : (F_ZF | F_PF);
            fill_pattern(SRC, 16, 5);
            fill(DST, 0xCC, 16);
            hc->regs[R_EAX] = 0xA5A5A5A5;
            /* ESI/EDI point at unmapped space: any access would be visible */
            set_si_di_cx(0xFFFFF000, 0xFFFFF000, 0);
            srun(es[k], fl);
            ck_assert_uint_eq(hc->regs[R_ECX], 0);
            ck_assert_uint_eq(hc->regs[R_ESI], 0xFFFFF000);
            ck_assert_uint_eq(hc->regs[R_EDI], 0xFFFFF000);
            ck_assert_uint_eq(hc->regs[R_EAX], 0xA5A5A5A5);
            ck_assert_msg((h_flags() & F_ARITH) == fl, "%s with ECX=0 changed flags", es[k]->text);
        }
}
END_TEST

/* Segment overrides apply to the DS:ESI operand only; ES:EDI cannot be overridden. */
START_TEST(test_string_segment_override)
{
    h_pm(H_CODE);
    cpu_set_seg_raw(hc, S_FS, SEL_DATA0, 0x100000, 0xFFFFF, 0x4093);
    cpu_set_seg_raw(hc, S_GS, SEL_DATA0, 0x180000, 0xFFFFF, 0x4093);
    cpu_set_seg_raw(hc, S_ES, SEL_DATA0, 0x200000, 0xFFFFF, 0x4093);
    fill_pattern(0x100000 + 0x500, 64, 1); /* FS:500 */
    fill_pattern(0x500, 64, 2);            /* DS:500 */
    fill(0x200000 + 0x900, 0, 64);         /* ES:900 */
    set_si_di_cx(0x500, 0x900, 40);
    srun(&s_fs_rep_movsb, 0);
    ck_assert_mem_eq(h_ptr(0x200900), h_ptr(0x100500), 40);
    ck_assert_uint_eq(hc->regs[R_ESI], 0x528);
    /* FS prefix on STOS: still ES:EDI */
    fill(0x100000 + 0x900, 0, 16);
    fill(0x200000 + 0x900, 0, 16);
    hc->regs[R_EAX] = 0x77;
    set_si_di_cx(0, 0x900, 4);
    srun(&s_fs_rep_stosb, 0);
    ck_assert_uint_eq(h_r32(0x200900), 0x77777777);
    ck_assert_uint_eq(h_r32(0x100900), 0);
    /* ES: override on LODS */
    h_w32(0x200000 + 0x40, 0xE5E5E5E5);
    h_w32(0x40, 0xD5D5D5D5);
    set_si_di_cx(0x40, 0, 0);
    srun(&s_es_lodsd, 0);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xE5E5E5E5);
    /* GS: override on CMPS source */
    fill_pattern(0x180000 + 0x600, 16, 4);
    h_load(0x200000 + 0x700, h_ptr(0x180600), 16);
    fill(0x600, 0xEE, 16);
    set_si_di_cx(0x600, 0x700, 16);
    srun(&s_gs_repe_cmpsb, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
    ck_assert(h_flags() & F_ZF);
}
END_TEST

/* Address-size override in 32-bit code: SI/DI/CX, wrapping at 64 KiB, upper
 * halves untouched. */
START_TEST(test_string_addr16_in_code32)
{
    h_pm(H_CODE);
    cpu_set_seg_raw(hc, S_DS, SEL_DATA0, 0x100000, 0xFFFFFFFF, 0xC093);
    cpu_set_seg_raw(hc, S_ES, SEL_DATA0, 0x200000, 0xFFFFFFFF, 0xC093);
    fill_pattern(0x100000, 0x10000, 6);
    fill(0x200000, 0, 0x10000);
    fill(0x210000, 0, 0x10);
    set_si_di_cx(0xABCDFFFE, 0x12340010, 0x77770004);
    srun(&s_a16_rep_movsb, 0);
    ck_assert_uint_eq(hc->regs[R_ESI], 0xABCD0002);
    ck_assert_uint_eq(hc->regs[R_EDI], 0x12340014);
    ck_assert_uint_eq(hc->regs[R_ECX], 0x77770000);
    ck_assert_uint_eq(h_r8(0x200010), h_r8(0x10FFFE));
    ck_assert_uint_eq(h_r8(0x200011), h_r8(0x10FFFF));
    ck_assert_uint_eq(h_r8(0x200012), h_r8(0x100000)); /* SI wrapped to 0 */
    ck_assert_uint_eq(h_r8(0x200013), h_r8(0x100001));
    hc->regs[R_EAX] = 0xDEADBEEF;
    set_si_di_cx(0, 0x5555FFF8, 0x00010004); /* CX = 4 */
    srun(&s_a16_rep_stosd, 0);
    ck_assert_uint_eq(hc->regs[R_EDI], 0x55550008);
    ck_assert_uint_eq(hc->regs[R_ECX], 0x00010000);
    ck_assert_uint_eq(h_r32(0x20FFF8), 0xDEADBEEF);
    ck_assert_uint_eq(h_r32(0x20FFFC), 0xDEADBEEF);
    ck_assert_uint_eq(h_r32(0x200000), 0xDEADBEEF); /* DI wrapped */
    ck_assert_uint_eq(h_r32(0x200004), 0xDEADBEEF);
    ck_assert_uint_eq(h_r32(0x210000), 0); /* not at ES:10000 */
}
END_TEST

/* Real mode: 16-bit addressing, wrap within the segment, DF=1. */
START_TEST(test_string_real_mode)
{
    h_real(0x1000, 0);
    cpu_set_seg_raw(hc, S_DS, 0x2000, 0x20000, 0xFFFF, 0x93);
    cpu_set_seg_raw(hc, S_ES, 0x4000, 0x40000, 0xFFFF, 0x93);
    fill_pattern(0x20000, 0x10000, 8);
    fill(0x40000, 0, 0x10000);
    fill(0x50000, 0, 0x10);
    set_si_di_cx(0xABCDFFFC, 0x1234FFFC, 0x55550004);
    srun(&s16_rep_movsw, 0);
    ck_assert_uint_eq(hc->regs[R_ESI], 0xABCD0004);
    ck_assert_uint_eq(hc->regs[R_EDI], 0x12340004);
    ck_assert_uint_eq(hc->regs[R_ECX], 0x55550000);
    ck_assert_uint_eq(h_r32(0x4FFFC), h_r32(0x2FFFC));
    ck_assert_uint_eq(h_r32(0x40000), h_r32(0x20000));
    ck_assert_uint_eq(h_r32(0x50000), 0);
    /* DF=1 across offset 0 */
    fill(0x40000, 0, 0x10000);
    set_si_di_cx(1, 1, 3);
    srun(&s16_rep_movsb, F_DF);
    ck_assert_uint_eq(hc->regs[R_ESI], 0xFFFE);
    ck_assert_uint_eq(hc->regs[R_EDI], 0xFFFE);
    ck_assert_uint_eq(h_r8(0x40001), h_r8(0x20001));
    ck_assert_uint_eq(h_r8(0x40000), h_r8(0x20000));
    ck_assert_uint_eq(h_r8(0x4FFFF), h_r8(0x2FFFF));
    /* STOSB across the top of ES */
    hc->regs[R_EAX] = 0x9A;
    set_si_di_cx(0, 0xFFFE, 3);
    srun(&s16_rep_stosb, 0);
    ck_assert_uint_eq(h_r8(0x4FFFE), 0x9A);
    ck_assert_uint_eq(h_r8(0x4FFFF), 0x9A);
    ck_assert_uint_eq(h_r8(0x40000), 0x9A);
    ck_assert_uint_eq(h_r8(0x50000), 0);
    ck_assert_uint_eq(hc->regs[R_EDI], 1);
    /* REPNE SCASB in 16-bit code uses CX */
    static const char s[] = "abc";
    h_load(0x40100, s, sizeof s);
    hc->regs[R_EAX] = 0;
    set_si_di_cx(0, 0x100, 0xFFFF);
    srun(&s16_repne_scasb, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 0xFFFF - 4);
    ck_assert_uint_eq(hc->regs[R_EDI], 0x104);
    /* addr32 in 16-bit code: ESI/EDI/ECX are used whole */
    set_si_di_cx(0x0000FFFF, 0x0000FFFF, 1);
    srun(&s16_a32_rep_movsb, 0);
    ck_assert_uint_eq(hc->regs[R_ESI], 0x00010000);
    ck_assert_uint_eq(hc->regs[R_EDI], 0x00010000);
    ck_assert_uint_eq(h_r8(0x4FFFF), h_r8(0x2FFFF));
}
END_TEST

/* ------------------------------------------------------------------ long REP, restart */


START_TEST(test_long_rep)
{
    h_pm(H_CODE);
    hc->regs[R_EAX] = 0x0BADF00D;
    set_si_di_cx(0, BUF1, BIG);
    srun(&s_rep_stosd, 0);
    for (uint32_t k = 0; k < BIG; k++)
        if (h_r32(BUF1 + 4 * k) != 0x0BADF00D)
            ck_abort_msg("rep stosd: dword %u not written", k);
    ck_assert_uint_eq(hc->regs[R_EDI], BUF1 + 4 * BIG);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);

    fill_pattern(BUF1, BIG, 3);
    fill(BUF2, 0, BIG + 16);
    set_si_di_cx(BUF1, BUF2, BIG);
    srun(&s_rep_movsb, 0);
    ck_assert_mem_eq(h_ptr(BUF2), h_ptr(BUF1), BIG);
    ck_assert_uint_eq(h_r8(BUF2 + BIG), 0);
    ck_assert_uint_eq(hc->regs[R_ESI], BUF1 + BIG);

    /* repe cmpsb over 100000 equal bytes but the last */
    h_w8(BUF2 + BIG - 1, (uint8_t)(h_r8(BUF1 + BIG - 1) ^ 0x40));
    set_si_di_cx(BUF1, BUF2, BIG);
    srun(&s_repe_cmpsb, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
    ck_assert_uint_eq(hc->regs[R_ESI], BUF1 + BIG);
    ck_assert(!(h_flags() & F_ZF));
    /* ... and with the difference in the middle (past several restarts) */
    h_w8(BUF2 + BIG - 1, h_r8(BUF1 + BIG - 1));
    h_w8(BUF2 + 50000, (uint8_t)(h_r8(BUF1 + 50000) + 1));
    set_si_di_cx(BUF1, BUF2, BIG);
    srun(&s_repe_cmpsb, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], BIG - 50001);
    ck_assert_uint_eq(hc->regs[R_EDI], BUF2 + 50001);
    ck_assert(!(h_flags() & F_ZF));
    /* repne scasb that never finds its byte */
    fill(BUF1, 0x11, BIG);
    hc->regs[R_EAX] = 0x22;
    set_si_di_cx(0, BUF1, BIG);
    srun(&s_repne_scasb, 0);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
    ck_assert_uint_eq(hc->regs[R_EDI], BUF1 + BIG);
    ck_assert(!(h_flags() & F_ZF));
}
END_TEST

/* Whenever a long REP is interrupted (here: the run's instruction budget
 * ends), the registers describe exactly the iterations done and EIP still
 * points at the instruction (prefixes included), so it can restart. */
START_TEST(test_rep_restart_state)
{
    h_pm(H_CODE);
    fill_pattern(BUF1, 4 * BIG, 1);
    fill(BUF2, 0, 4 * BIG);
    load_insn(&s_rep_movsd, 0);
    set_si_di_cx(BUF1, BUF2, BIG);
    hc->eip = H_CODE;
    hc->halted = false;
    int slices = 0;
    while (!hc->halted) {
        ck_assert_int_lt(slices++, 1000000);
        h_run(1);
        ck_assert_int_eq(hc->last_vector, -1);
        uint32_t done = BIG - hc->regs[R_ECX];
        ck_assert_uint_eq(hc->regs[R_ESI], BUF1 + 4 * done);
        ck_assert_uint_eq(hc->regs[R_EDI], BUF2 + 4 * done);
        if (hc->regs[R_ECX])
            ck_assert_uint_eq(hc->eip, H_CODE);
    }
    ck_assert_int_gt(slices, 1);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
    ck_assert_mem_eq(h_ptr(BUF2), h_ptr(BUF1), 4 * BIG);
}
END_TEST

/* A fault in the middle of REP STOSB: the iterations done are committed,
 * ECX/EDI tell where it stopped and the pushed EIP is the REP instruction. */
START_TEST(test_rep_fault_midway)
{
    h_pm(H_CODE);
    /* ES: base 0x30000, limit 0xFF (byte granular) */
    cpu_set_seg_raw(hc, S_ES, SEL_DATA0, 0x30000, 0xFF, 0x0093);
    fill(0x30000, 0, 0x200);
    hc->regs[R_EAX] = 0x77;
    set_si_di_cx(0, 0xF0, 0x20);
    load_insn(&s_rep_stosb, 0);
    hc->eip = H_CODE;
    int r = h_run_halt(1000);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    ck_assert_uint_eq(hc->regs[R_ECX], 0x10);
    ck_assert_uint_eq(hc->regs[R_EDI], 0x100);
    for (uint32_t k = 0xF0; k < 0x100; k++)
        ck_assert_uint_eq(h_r8(0x30000 + k), 0x77);
    ck_assert_uint_eq(h_r8(0x30100), 0);
}
END_TEST

static Suite *string_suite(void)
{
    Suite *s = suite_create("cpu_string");
    TCase *tc = h_tcase("move");
    tcase_add_test(tc, test_rep_movs_forward);
    tcase_add_test(tc, test_rep_movs_backward);
    tcase_add_test(tc, test_rep_movs_overlap);
    tcase_add_test(tc, test_rep_movs_close_overlap);
    tcase_add_test(tc, test_rep_movs_stos_page_straddle);
    tcase_add_test(tc, test_movs_single_and_repne);
    tcase_add_test(tc, test_rep_stos);
    tcase_add_test(tc, test_lods);
    suite_add_tcase(s, tc);
    tc = h_tcase("compare");
    tcase_add_test(tc, test_cmps_scas_flags_and_order);
    tcase_add_test(tc, test_repe_repne_cmps);
    tcase_add_test(tc, test_rep_scas);
    suite_add_tcase(s, tc);
    tc = h_tcase("prefixes");
    tcase_add_test(tc, test_rep_zero_count);
    tcase_add_test(tc, test_string_segment_override);
    tcase_add_test(tc, test_string_addr16_in_code32);
    tcase_add_test(tc, test_string_real_mode);
    suite_add_tcase(s, tc);
    tc = h_tcase("long");
    tcase_add_test(tc, test_long_rep);
    tcase_add_test(tc, test_rep_restart_state);
    tcase_add_test(tc, test_rep_fault_midway);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(string_suite)
