/* CPU interpreter unit tests: CPUID, RDTSC, RDMSR/WRMSR, #UD and the LOCK
 * prefix, self-modifying code, PUSHA/POPA, ENTER/LEAVE, PUSH/POP of segment
 * registers, XLAT, HLT, LGDT/SGDT, and an x87 smoke test through the decoder.
 *
 * Expected results follow the Intel SDM. Machine code generated with GNU as
 * (as --32, .intel_syntax noprefix; .code16 where noted); the few encodings
 * GNU as refuses to emit are hand-encoded and say so. */
#include "tests/unit/cpu_harness.h"
#include "hw/chips.h"

/* ------------------------------------------------------------------ code (GNU as) */

static const uint8_t m_cpuid[] = {
    0x0F, 0xA2, /* 0000: cpuid */
    0xF4,       /* 0002: hlt */
};

static const uint8_t m_rdtsc2[] = {
    0x0F, 0x31,                   /* 0000: rdtsc */
    0x89, 0xC6,                   /* 0002: mov esi, eax */
    0x89, 0xD7,                   /* 0004: mov edi, edx */
    0xB9, 0x20, 0x4E, 0x00, 0x00, /* 0006: mov ecx, 20000 */
    0x49,                         /* 000b: 1: dec ecx */
    0x75, 0xFD,                   /* 000c: jnz 1b */
    0x0F, 0x31,                   /* 000e: rdtsc */
    0xF4,                         /* 0010: hlt */
};

static const uint8_t m_rdtsc[] = {
    0x0F, 0x31, /* 0000: rdtsc */
    0xF4,       /* 0002: hlt */
};

static const uint8_t m_rdmsr[] = {
    0x0F, 0x32, /* 0000: rdmsr */
    0xF4,       /* 0002: hlt */
};

static const uint8_t m_wrmsr[] = {
    0x0F, 0x30, /* 0000: wrmsr */
    0xF4,       /* 0002: hlt */
};

static const uint8_t m_msr_roundtrip[] = {
    0xB9, 0x74, 0x01, 0x00, 0x00, /* 0000: mov ecx, 0x174 */
    0xB8, 0x60, 0x00, 0x00, 0x00, /* 0005: mov eax, 0x0060 */
    0x31, 0xD2,                   /* 000a: xor edx, edx */
    0x0F, 0x30,                   /* 000c: wrmsr */
    0xB9, 0x75, 0x01, 0x00, 0x00, /* 000e: mov ecx, 0x175 */
    0xB8, 0x78, 0x56, 0x34, 0x12, /* 0013: mov eax, 0x12345678 */
    0x0F, 0x30,                   /* 0018: wrmsr */
    0xB9, 0x76, 0x01, 0x00, 0x00, /* 001a: mov ecx, 0x176 */
    0xB8, 0x21, 0x43, 0x65, 0x87, /* 001f: mov eax, 0x87654321 */
    0x0F, 0x30,                   /* 0024: wrmsr */
    0xB9, 0x75, 0x01, 0x00, 0x00, /* 0026: mov ecx, 0x175 */
    0x31, 0xC0,                   /* 002b: xor eax, eax */
    0x0F, 0x32,                   /* 002d: rdmsr */
    0x89, 0xC6,                   /* 002f: mov esi, eax */
    0x89, 0xD5,                   /* 0031: mov ebp, edx */
    0xB9, 0x76, 0x01, 0x00, 0x00, /* 0033: mov ecx, 0x176 */
    0x0F, 0x32,                   /* 0038: rdmsr */
    0x89, 0xC7,                   /* 003a: mov edi, eax */
    0xB9, 0x74, 0x01, 0x00, 0x00, /* 003c: mov ecx, 0x174 */
    0x0F, 0x32,                   /* 0041: rdmsr */
    0xF4,                         /* 0043: hlt */
};

static const uint8_t m_ud2_then[] = {
    0x0F, 0x0B,                   /* 0000: ud2 */
    0xB8, 0x0D, 0x60, 0x00, 0x00, /* 0002: mov eax, 0x600d */
    0xF4,                         /* 0007: hlt */
};

static const uint8_t m_smc_loop[] = {
    0xB9, 0x03, 0x00, 0x00, 0x00,             /* 0000: mov ecx, 3 */
    0xB8, 0x01, 0x00, 0x00, 0x00,             /* 0005: top: mov eax, 1 */
    0x01, 0xC3,                               /* 000a: add ebx, eax */
    0xC6, 0x05, 0x06, 0x00, 0x01, 0x00, 0x05, /* 000c: mov byte ptr [0x10006], 5 */
    0x49,                                     /* 0013: dec ecx */
    0x75, 0xEF,                               /* 0014: jnz top */
    0xF4,                                     /* 0016: hlt */
};

static const uint8_t m_smc_next[] = {
    0xC6, 0x05, 0x08, 0x00, 0x01, 0x00, 0x42, /* 0000: mov byte ptr [0x10008], 0x42 */
    0xB0, 0x00,                               /* 0007: mov al, 0 */
    0xF4,                                     /* 0009: hlt */
};

static const uint8_t m_pusha[] = {
    0x60,                         /* 0000: pushad */
    0xB8, 0x00, 0x00, 0x00, 0x00, /* 0001: mov eax, 0 */
    0xB9, 0x00, 0x00, 0x00, 0x00, /* 0006: mov ecx, 0 */
    0xBA, 0x00, 0x00, 0x00, 0x00, /* 000b: mov edx, 0 */
    0xBB, 0x00, 0x00, 0x00, 0x00, /* 0010: mov ebx, 0 */
    0xBD, 0x00, 0x00, 0x00, 0x00, /* 0015: mov ebp, 0 */
    0xBE, 0x00, 0x00, 0x00, 0x00, /* 001a: mov esi, 0 */
    0xBF, 0x00, 0x00, 0x00, 0x00, /* 001f: mov edi, 0 */
    0x61,                         /* 0024: popad */
    0xF4,                         /* 0025: hlt */
};

static const uint8_t m_pushaw[] = {
    0x66, 0x60, /* 0000: pushaw */
    0x66, 0x61, /* 0002: popaw */
    0xF4,       /* 0004: hlt */
};

static const uint8_t m_enter0[] = {
    0xC8, 0x10, 0x00, 0x00, /* 0000: enter 0x10, 0 */
    0xF4,                   /* 0004: hlt */
};

static const uint8_t m_enter3[] = {
    0xC8, 0x08, 0x00, 0x03, /* 0000: enter 8, 3 */
    0xF4,                   /* 0004: hlt */
};

static const uint8_t m_leave[] = {
    0xC9, /* 0000: leave */
    0xF4, /* 0001: hlt */
};

static const uint8_t m_enter16[] = {
    0xC8, 0x04, 0x00, 0x01, /* 0000: enter 4, 1 */
    0xF4,                   /* 0004: hlt */
};

static const uint8_t m_pushseg[] = {
    0x0E,       /* 0000: push cs */
    0x16,       /* 0001: push ss */
    0x1E,       /* 0002: push ds */
    0x06,       /* 0003: push es */
    0x0F, 0xA0, /* 0004: push fs */
    0x0F, 0xA8, /* 0006: push gs */
    0x66, 0x1E, /* 0008: pushw ds */
    0xF4,       /* 000a: hlt */
};

static const uint8_t m_popseg[] = {
    0x0F, 0xA9, /* 0000: pop gs */
    0x0F, 0xA1, /* 0002: pop fs */
    0x07,       /* 0004: pop es */
    0x1F,       /* 0005: pop ds */
    0xF4,       /* 0006: hlt */
};

static const uint8_t m_pop_ss[] = {
    0x17, /* 0000: pop ss */
    0xF4, /* 0001: hlt */
};

static const uint8_t m_rm_pushseg[] = {
    0x0E,             /* 0000: push cs */
    0x1F,             /* 0001: pop ds */
    0x68, 0x56, 0x34, /* 0002: push 0x3456 */
    0x07,             /* 0005: pop es */
    0xF4,             /* 0006: hlt */
};

static const uint8_t m_xlat[] = {
    0xD7, /* 0000: xlatb */
    0xF4, /* 0001: hlt */
};

static const uint8_t m_xlat_fs[] = {
    0x64, 0xD7, /* 0000: xlat byte ptr fs:[ebx] */
    0xF4,       /* 0002: hlt */
};

static const uint8_t m_xlat16[] = {
    0xD7, /* 0000: xlatb */
    0xF4, /* 0001: hlt */
};

static const uint8_t m_hlt[] = {
    0xF4, /* 0000: hlt */
};

static const uint8_t m_x87[] = {
    0xDB, 0xE3,                         /* 0000: fninit */
    0xD9, 0xE8,                         /* 0002: fld1 */
    0xD8, 0xC0,                         /* 0004: fadd st(0), st(0) */
    0xDB, 0x1D, 0x00, 0x00, 0x02, 0x00, /* 0006: fistp dword ptr [0x20000] */
    0xDB, 0x05, 0x10, 0x00, 0x02, 0x00, /* 000c: fild dword ptr [0x20010] */
    0xDB, 0x05, 0x14, 0x00, 0x02, 0x00, /* 0012: fild dword ptr [0x20014] */
    0xDE, 0xC9,                         /* 0018: fmulp st(1), st */
    0xDB, 0x1D, 0x04, 0x00, 0x02, 0x00, /* 001a: fistp dword ptr [0x20004] */
    0xDF, 0xE0,                         /* 0020: fnstsw ax */
    0xF4,                               /* 0022: hlt */
};

static const uint8_t m_fld1[] = {
    0xD9, 0xE8, /* 0000: fld1 */
    0xF4,       /* 0002: hlt */
};

static const uint8_t m_gdt[] = {
    0x0F, 0x01, 0x15, 0x00, 0x00, 0x02, 0x00, /* 0000: lgdt [0x20000] */
    0x0F, 0x01, 0x1D, 0x08, 0x00, 0x02, 0x00, /* 0007: lidt [0x20008] */
    0x0F, 0x01, 0x05, 0x10, 0x00, 0x02, 0x00, /* 000e: sgdt [0x20010] */
    0x0F, 0x01, 0x0D, 0x18, 0x00, 0x02, 0x00, /* 0015: sidt [0x20018] */
    0xF4,                                     /* 001c: hlt */
};

static const uint8_t m_smc_loop2[] = {
    /* start: */
    0xB9, 0x03, 0x00, 0x00, 0x00, /* 0000: mov ecx, 3 */
    0xEB, 0x00,                   /* 0005: jmp top */
    0xB8, 0x01, 0x00, 0x00, 0x00, /* 0007: top: mov eax, 1 */
    0x01, 0xC3,                   /* 000c: add ebx, eax */
    0xC6, 0x05, 0x08, 0x00, 0x01,
    0x00, 0x05, /* 000e: mov byte ptr [0x10000 + (top - start) + 1], 5 */
    0x49,       /* 0015: dec ecx */
    0x75, 0xEF, /* 0016: jnz top */
    0xF4,       /* 0018: hlt */
};

static const uint8_t m_smc_movs[] = {
    /* start: */
    0xBE, 0x00, 0x00, 0x02, 0x00, /* 0000: mov esi, 0x20000 */
    0xBF, 0x11, 0x00, 0x01, 0x00, /* 0005: mov edi, 0x10000 + (target - start) */
    0xB9, 0x05, 0x00, 0x00, 0x00, /* 000a: mov ecx, 5 */
    0xF3, 0xA4,                   /* 000f: rep movsb */
    0xB8, 0x11, 0x00, 0x00, 0x00, /* 0011: target: mov eax, 0x11 */
    0xF4,                         /* 0016: hlt */
};

static const uint8_t m_smc_newcode[] = {
    0xB8, 0x99, 0x00, 0x00, 0x00, /* 0000: mov eax, 0x99 */
};

static const uint8_t m_smc_call[] = {
    0xBA, 0x00, 0x10, 0x01, 0x00,             /* 0000: mov edx, 0x11000 */
    0xFF, 0xD2,                               /* 0005: call edx */
    0x89, 0xC6,                               /* 0007: mov esi, eax */
    0xC6, 0x05, 0x01, 0x10, 0x01, 0x00, 0x77, /* 0009: mov byte ptr [0x11001], 0x77 */
    0xFF, 0xD2,                               /* 0010: call edx */
    0xF4,                                     /* 0012: hlt */
};

static const uint8_t m_smc_func[] = {
    0xB8, 0x33, 0x00, 0x00, 0x00, /* 0000: mov eax, 0x33 */
    0xC3,                         /* 0005: ret */
};

static const uint8_t m_tf[] = {
    0x9C,                                     /* 0000: pushfd */
    0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, /* 0001: or dword ptr [esp], 0x100 */
    0x9D,                                     /* 0008: popfd */
    0xB8, 0x01, 0x00, 0x00, 0x00,             /* 0009: mov eax, 1 */
    0xBB, 0x02, 0x00, 0x00, 0x00,             /* 000e: mov ebx, 2 */
    0xB9, 0x03, 0x00, 0x00, 0x00,             /* 0013: mov ecx, 3 */
};

static const uint8_t m_push_esp[] = {
    0x54,                         /* 0000: push esp */
    0x58,                         /* 0001: pop eax */
    0x89, 0xE3,                   /* 0002: mov ebx, esp */
    0x68, 0x34, 0x12, 0x00, 0x00, /* 0004: push 0x1234 */
    0x5C,                         /* 0009: pop esp */
    0xF4,                         /* 000a: hlt */
};

static const uint8_t m_pop_mem_esp[] = {
    0x68, 0x55, 0x55, 0x00, 0x00, /* 0000: push 0x5555 */
    0x8F, 0x04, 0x24,             /* 0005: pop dword ptr [esp] */
    0xF4,                         /* 0008: hlt */
};

static const uint8_t m_bound[] = {
    0x62, 0x05, 0x00, 0x00, 0x02, 0x00, /* 0000: bound eax, qword ptr [0x20000] */
    0xF4,                               /* 0006: hlt */
};

static const uint8_t m_pop_ss32[] = {
    0x17, /* 0000: pop ss */
    0xF4, /* 0001: hlt */
};

static const uint8_t m_movss_tf[] = {
    0x9C,                                     /* 0000: pushfd */
    0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, /* 0001: or dword ptr [esp], 0x100 */
    0x9D,                                     /* 0008: popfd */
    0x8E, 0xD0,                               /* 0009: mov ss, ax */
    0xBB, 0x02, 0x00, 0x00, 0x00,             /* 000b: mov ebx, 2 */
    0xB9, 0x03, 0x00, 0x00, 0x00,             /* 0010: mov ecx, 3 */
};

static const uint8_t m_popss_tf[] = {
    0x9C,                                     /* 0000: pushfd */
    0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, /* 0001: or dword ptr [esp], 0x100 */
    0x9D,                                     /* 0008: popfd */
    0x17,                                     /* 0009: pop ss */
    0xBB, 0x02, 0x00, 0x00, 0x00,             /* 000a: mov ebx, 2 */
    0xB9, 0x03, 0x00, 0x00, 0x00,             /* 000f: mov ecx, 3 */
};

static const uint8_t m_rep_tf[] = {
    0x9C,                                     /* 0000: pushfd */
    0x81, 0x0C, 0x24, 0x00, 0x01, 0x00, 0x00, /* 0001: or dword ptr [esp], 0x100 */
    0x9D,                                     /* 0008: popfd */
    0xB9, 0x03, 0x00, 0x00, 0x00,             /* 0009: mov ecx, 3 */
    0xF3, 0xAA,                               /* 000e: rep stosb */
    0xBB, 0x02, 0x00, 0x00, 0x00,             /* 0010: mov ebx, 2 */
};

/* ------------------------------------------------------------------ helpers */

static int run_at(const uint8_t *code, size_t n)
{
    h_load(H_CODE, code, n);
    hc->eip = H_CODE - hc->seg[S_CS].base;
    hc->halted = false;
    hc->last_vector = -1;
    return h_run_halt(1000000);
}
#define RUN(code) run_at((code), sizeof(code))
#define EXPECT_CLEAN(r, code)                                                                      \
    do {                                                                                           \
        ck_assert_int_eq((r), CPU_RUN_HALTED);                                                     \
        ck_assert_int_eq(hc->last_vector, -1);                                                     \
        ck_assert_uint_eq(hc->eip, H_CODE - hc->seg[S_CS].base + sizeof(code));                    \
    } while (0)

static uint64_t edx_eax(void)
{
    return (uint64_t)hc->regs[R_EDX] << 32 | hc->regs[R_EAX];
}

/* ------------------------------------------------------------------ CPUID */

START_TEST(test_cpuid)
{
    h_pm(H_CODE);
    hc->regs[R_EAX] = 0;
    int r = RUN(m_cpuid);
    EXPECT_CLEAN(r, m_cpuid);
    ck_assert_uint_ge(hc->regs[R_EAX], 1);
    char vendor[13];
    memcpy(vendor, &hc->regs[R_EBX], 4);
    memcpy(vendor + 4, &hc->regs[R_EDX], 4);
    memcpy(vendor + 8, &hc->regs[R_ECX], 4);
    vendor[12] = 0;
    ck_assert_str_eq(vendor, "GenuineIntel");
    /* leaf 1: family 6; EDX features exactly FPU PSE TSC MSR CX8 SEP PGE CMOV */
    hc->regs[R_EAX] = 1;
    hc->regs[R_ECX] = 0xFFFFFFFF;
    r = RUN(m_cpuid);
    EXPECT_CLEAN(r, m_cpuid);
    ck_assert_uint_eq((hc->regs[R_EAX] >> 8) & 0xF, 6);
    const uint32_t want = (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 11) |
                          (1u << 13) | (1u << 15);
    ck_assert_msg(hc->regs[R_EDX] == want, "CPUID.1:EDX = %#x, want %#x", hc->regs[R_EDX], want);
    ck_assert_uint_eq(hc->regs[R_ECX], 0); /* nothing in ECX: no SSE3 etc. */
}
END_TEST

/* ------------------------------------------------------------------ RDTSC */

START_TEST(test_rdtsc_monotonic)
{
    h_pm(H_CODE);
    uint64_t prev = 0;
    for (int k = 0; k < 5; k++) {
        int r = RUN(m_rdtsc2);
        EXPECT_CLEAN(r, m_rdtsc2);
        uint64_t t1 = (uint64_t)hc->regs[R_EDI] << 32 | hc->regs[R_ESI], t2 = edx_eax();
        ck_assert_uint_ge(t1, prev);
        ck_assert_msg(t2 > t1, "TSC did not advance over 40000 instructions: %llu -> %llu",
                      (unsigned long long)t1, (unsigned long long)t2);
        prev = t2;
    }
    /* WRMSR to IA32_TSC (0x10) sets the counter */
    hc->regs[R_ECX] = 0x10;
    hc->regs[R_EDX] = 0x100;
    hc->regs[R_EAX] = 0;
    int r = RUN(m_wrmsr);
    EXPECT_CLEAN(r, m_wrmsr);
    r = RUN(m_rdtsc);
    EXPECT_CLEAN(r, m_rdtsc);
    ck_assert_uint_ge(edx_eax(), 0x10000000000ull);
    ck_assert_uint_lt(edx_eax(), 0x10000000000ull + 10000000000ull);
    /* CR4.TSD: RDTSC at CPL 3 is #GP(0), at CPL 0 fine */
    hc->cr4 |= CR4_TSD;
    r = RUN(m_rdtsc);
    EXPECT_CLEAN(r, m_rdtsc);
    h_ring3(H_CODE, H_USTACK);
    r = RUN(m_rdtsc);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
}
END_TEST

/* ------------------------------------------------------------------ MSRs */

START_TEST(test_msr_sysenter_roundtrip)
{
    h_pm(H_CODE);
    int r = RUN(m_msr_roundtrip);
    EXPECT_CLEAN(r, m_msr_roundtrip);
    ck_assert_uint_eq(hc->regs[R_ESI], 0x12345678); /* IA32_SYSENTER_ESP */
    ck_assert_uint_eq(hc->regs[R_EBP], 0);
    ck_assert_uint_eq(hc->regs[R_EDI], 0x87654321); /* IA32_SYSENTER_EIP */
    ck_assert_uint_eq(hc->regs[R_EAX], 0x60);       /* IA32_SYSENTER_CS */
    ck_assert_uint_eq(hc->regs[R_EDX], 0);
    ck_assert_uint_eq(hc->sysenter_cs, 0x60);
    ck_assert_uint_eq(hc->sysenter_esp, 0x12345678);
    ck_assert_uint_eq(hc->sysenter_eip, 0x87654321);
}
END_TEST

START_TEST(test_msr_faults)
{
    static const uint32_t bad[] = {0x12345, 0xC0000080 /* EFER: no long mode/NX here */, 0x40000000,
                                   0xFFFFFFFF};
    for (size_t k = 0; k < sizeof bad / 4; k++) {
        h_pm(H_CODE);
        hc->regs[R_ECX] = bad[k];
        hc->regs[R_EAX] = 0x11111111;
        hc->regs[R_EDX] = 0x22222222;
        int r = RUN(m_rdmsr);
        H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
        ck_assert_uint_eq(hc->regs[R_EAX], 0x11111111);
        ck_assert_uint_eq(hc->regs[R_EDX], 0x22222222);
        h_pm(H_CODE);
        hc->regs[R_ECX] = bad[k];
        r = RUN(m_wrmsr);
        H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    }
    /* a known MSR at CPL 3 */
    h_pm(H_CODE);
    h_ring3(H_CODE, H_USTACK);
    hc->regs[R_ECX] = 0x174;
    int r = RUN(m_rdmsr);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
}
END_TEST

/* ------------------------------------------------------------------ #UD */

START_TEST(test_undefined_opcodes)
{
    static const struct {
        const char *text;
        uint8_t len;
        uint8_t b[4];
    } ud[] = {
        /* hand-encoded: these are the architectural encodings being tested */
        {"ud2", 2, {0x0F, 0x0B}},
        {"ud0 eax, eax", 3, {0x0F, 0xFF, 0xC0}},
        {"0F 04 (reserved)", 2, {0x0F, 0x04}},
        {"FE /2 (undefined in group 4)", 2, {0xFE, 0xD0}},
        {"lea eax, eax (register operand)", 2, {0x8D, 0xC0}},
        {"mov cs, ax", 2, {0x8E, 0xC8}},
        {"mov eax, seg6", 2, {0x8C, 0xF0}},
        {"mov eax, cr1", 3, {0x0F, 0x20, 0xC8}},
        {"cmpxchg8b with a register operand", 3, {0x0F, 0xC7, 0xC8}},
        {"movups xmm0, xmm1 (no SSE)", 3, {0x0F, 0x10, 0xC1}},
        {"syscall (not in legacy mode on Intel)", 2, {0x0F, 0x05}},
        {"les eax, ecx (register operand)", 2, {0xC4, 0xC1}},
        {"jmp far eax (FF /5 register operand)", 2, {0xFF, 0xE8}},
    };
    for (size_t k = 0; k < sizeof ud / sizeof ud[0]; k++) {
        h_pm(H_CODE);
        uint8_t code[8] = {0};
        memcpy(code, ud[k].b, ud[k].len);
        code[ud[k].len] = 0xF4;
        h_load(H_CODE, code, sizeof code);
        hc->eip = H_CODE;
        int r = h_run_halt(100);
        ck_assert_msg(hc->last_vector == EX_UD, "%s: vector %d", ud[k].text, hc->last_vector);
        H_EXPECT_EXC(r, EX_UD, -1, H_CODE);
        ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 12); /* no error code */
    }
}
END_TEST

/* After #UD the handler can skip the instruction and execution goes on. */
START_TEST(test_ud_then_continue)
{
    h_pm(H_CODE);
    int r = RUN(m_ud2_then);
    H_EXPECT_EXC(r, EX_UD, -1, H_CODE);
    h_w32(hc->regs[R_ESP], H_CODE + 2); /* handler: return past the UD2 */
    h_resume();
    r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->eip, H_CODE + sizeof m_ud2_then);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x600D);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
    /* and once more: the same UD2 decoded from the cache faults again */
    hc->eip = H_CODE;
    hc->halted = false;
    hc->last_vector = -1;
    r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_UD, -1, H_CODE);
}
END_TEST

/* LOCK is only allowed on read-modify-write instructions with a memory
 * destination; anything else is #UD. */
START_TEST(test_lock_prefix)
{
    static const struct {
        const char *text;
        uint8_t len;
        uint8_t b[4];
        bool ud;
    } cs[] = {
        /* hand-encoded: GNU as refuses to emit the invalid ones */
        {"lock nop", 2, {0xF0, 0x90}, true},
        {"lock add eax, eax", 3, {0xF0, 0x01, 0xC0}, true},
        {"lock mov dword ptr [ebx], eax", 3, {0xF0, 0x89, 0x03}, true},
        {"lock add dword ptr [ebx], eax", 3, {0xF0, 0x01, 0x03}, false},
        {"lock xchg dword ptr [ebx], eax", 3, {0xF0, 0x87, 0x03}, false},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        h_pm(H_CODE);
        uint8_t code[8] = {0};
        memcpy(code, cs[k].b, cs[k].len);
        code[cs[k].len] = 0xF4;
        h_load(H_CODE, code, sizeof code);
        hc->eip = H_CODE;
        hc->regs[R_EBX] = H_DATA;
        int r = h_run_halt(100);
        ck_assert_int_eq(r, CPU_RUN_HALTED);
        ck_assert_msg(hc->last_vector == (cs[k].ud ? EX_UD : -1), "%s: vector %d", cs[k].text,
                      hc->last_vector);
    }
}
END_TEST

/* ------------------------------------------------------------------ self-modifying code */

/* A loop whose body patches an instruction it has already executed: the
 * next iteration must run the new instruction. */
START_TEST(test_self_modifying_loop)
{
    h_pm(H_CODE);
    ck_assert_uint_eq(m_smc_loop[6], 0x01); /* the immediate patched at 0x10006 */
    hc->regs[R_EBX] = 0;
    int r = RUN(m_smc_loop);
    EXPECT_CLEAN(r, m_smc_loop);
    ck_assert_msg(hc->regs[R_EBX] == 1 + 5 + 5, "EBX = %u: stale decoded instruction ran",
                  hc->regs[R_EBX]);
    ck_assert_uint_eq(h_r8(0x10006), 5);
}
END_TEST

/* Patching the very next instruction takes effect (P6 and later). */
START_TEST(test_self_modifying_next_insn)
{
    h_pm(H_CODE);
    hc->regs[R_EAX] = 0xFFFFFFFF;
    int r = RUN(m_smc_next);
    EXPECT_CLEAN(r, m_smc_next);
    ck_assert_uint_eq(hc->regs[R_EAX] & 0xFF, 0x42);
    /* run it again from a fresh copy: the cached decode of "mov al, 0x42" must go too */
    hc->regs[R_EAX] = 0xFFFFFFFF;
    r = RUN(m_smc_next); /* reloads mov al, 0 */
    EXPECT_CLEAN(r, m_smc_next);
    ck_assert_uint_eq(hc->regs[R_EAX] & 0xFF, 0x42);
}
END_TEST

/* The patched instruction starts a stretch of code reached again by the
 * loop branch: its earlier decode must not be reused. */
START_TEST(test_self_modifying_loop_head)
{
    h_pm(H_CODE);
    ck_assert_uint_eq(m_smc_loop2[8], 0x01); /* the immediate patched at 0x10008 */
    hc->regs[R_EBX] = 0;
    int r = RUN(m_smc_loop2);
    EXPECT_CLEAN(r, m_smc_loop2);
    ck_assert_msg(hc->regs[R_EBX] == 1 + 5 + 5, "EBX = %u: stale decoded instruction ran",
                  hc->regs[R_EBX]);
}
END_TEST

/* REP MOVSB copies new code over the instruction right after it. */
START_TEST(test_self_modifying_rep_movs)
{
    h_pm(H_CODE);
    H_LOAD(0x20000, m_smc_newcode);
    int r = RUN(m_smc_movs);
    EXPECT_CLEAN(r, m_smc_movs);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x99);
}
END_TEST

/* A function on another page, called, patched, called again. */
START_TEST(test_self_modifying_other_page)
{
    h_pm(H_CODE);
    h_load(0x11000, m_smc_func, sizeof m_smc_func);
    int r = RUN(m_smc_call);
    EXPECT_CLEAN(r, m_smc_call);
    ck_assert_uint_eq(hc->regs[R_ESI], 0x33);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x77);
}
END_TEST

/* ------------------------------------------------------------------ single step */

/* POPF setting TF: no trap after the POPF itself, a #DB (trap: EIP of the
 * next instruction) after each following instruction; the handler runs
 * with TF clear and IRET restores it. */
START_TEST(test_single_step_trap)
{
    h_pm(H_CODE);
    uint8_t code[sizeof m_tf + 1];
    memcpy(code, m_tf, sizeof m_tf);
    code[sizeof m_tf] = 0x90; /* nop */
    h_load(H_CODE, code, sizeof code);
    hc->eip = H_CODE;
    int r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_DB);
    ck_assert_uint_eq(hc->eip, H_STUB(EX_DB) + 1);
    ck_assert_uint_eq(h_stack(0), H_CODE + 0x0E); /* after "mov eax, 1" */
    ck_assert(h_stack(2) & F_TF);
    ck_assert(!(h_flags() & F_TF));
    ck_assert(hc->dr[6] & 0x4000); /* DR6.BS */
    ck_assert_uint_eq(hc->regs[R_EAX], 1);
    ck_assert_uint_ne(hc->regs[R_EBX], 2);
    h_resume(); /* IRET, then "mov ebx, 2", then #DB again */
    r = h_run_halt(100);
    ck_assert_int_eq(hc->last_vector, EX_DB);
    ck_assert_uint_eq(h_stack(0), H_CODE + 0x13);
    ck_assert_uint_eq(hc->regs[R_EBX], 2);
    ck_assert_uint_ne(hc->regs[R_ECX], 3);
}
END_TEST


/* POP SS (SDM, POP: "IF StackAddrSize = 16 ... SP <- SP + 4"): the stack
 * pointer moves with the address size of the stack popped from. A 32-bit
 * POP SS on a 16-bit stack that loads a 32-bit (B=1) stack segment wraps SP
 * at 64 KiB and keeps the upper half of ESP. */
START_TEST(test_pop_ss_16bit_stack)
{
    h_pm(H_CODE);
    cpu_set_seg_raw(hc, S_SS, SEL_DATA16, 0, 0xFFFF, 0x0093); /* B=0 */
    cpu_update_mode(hc);
    ck_assert(!hc->stack32);
    hc->regs[R_ESP] = 0xABCDFFFC;
    h_w32(0xFFFC, SEL_DATA0); /* the new SS: a 32-bit flat stack */
    int r = RUN(m_pop_ss32);
    EXPECT_CLEAN(r, m_pop_ss32);
    ck_assert_uint_eq(hc->seg[S_SS].sel, SEL_DATA0);
    ck_assert(hc->stack32);
    ck_assert_uint_eq(hc->regs[R_ESP], 0xABCD0000);
    /* and the other way: a 32-bit stack loading a 16-bit one moves all of ESP */
    hc->regs[R_ESP] = 0x0001FFFC;
    h_w32(0x1FFFC, SEL_DATA16);
    r = RUN(m_pop_ss32);
    EXPECT_CLEAN(r, m_pop_ss32);
    ck_assert(!hc->stack32);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x00020000);
}
END_TEST

/* SDM 6.8.3: MOV SS and POP SS inhibit debug exceptions (and interrupts)
 * until the next instruction completes: with TF set, no single-step trap
 * after MOV SS / POP SS, one after the instruction that follows. */
static void check_ss_shadow(const uint8_t *code, size_t n, uint32_t after_next)
{
    h_pm(H_CODE);
    hc->regs[R_EAX] = SEL_DATA0;
    hc->regs[R_ESP] = H_STACK - 4;
    h_w32(H_STACK - 4, SEL_DATA0); /* popped by POP SS */
    int r = run_at(code, n);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_DB);
    ck_assert_uint_eq(h_stack(0), after_next); /* trap EIP: after "mov ebx, 2" */
    ck_assert_uint_eq(hc->regs[R_EBX], 2);
    ck_assert_uint_ne(hc->regs[R_ECX], 3);
    ck_assert(hc->dr[6] & 0x4000);
}

START_TEST(test_mov_ss_holds_off_single_step)
{
    check_ss_shadow(m_movss_tf, sizeof m_movss_tf, H_CODE + 0x10);
}
END_TEST

START_TEST(test_pop_ss_holds_off_single_step)
{
    /* pushfd/popfd leave ESP where it was; POP SS then pops the selector */
    check_ss_shadow(m_popss_tf, sizeof m_popss_tf, H_CODE + 0x0F);
}
END_TEST

/* Single-stepping REP STOSB traps after every iteration, with the trap
 * EIP at the REP instruction until the count runs out. */
START_TEST(test_single_step_rep_each_iteration)
{
    h_pm(H_CODE);
    hc->regs[R_EDI] = H_DATA;
    hc->regs[R_EAX] = 0x5A;
    memset(h_ptr(H_DATA), 0, 8);
    int r = RUN(m_rep_tf);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_DB);
    ck_assert_uint_eq(h_stack(0), H_CODE + 0x0E); /* after "mov ecx, 3" */
    for (uint32_t left = 2;; left--) {
        h_resume(); /* IRET into the REP, one more iteration, #DB */
        hc->last_vector = -1;
        r = h_run_halt(100);
        ck_assert_int_eq(r, CPU_RUN_HALTED);
        ck_assert_int_eq(hc->last_vector, EX_DB);
        ck_assert_uint_eq(hc->regs[R_ECX], left);
        ck_assert_uint_eq(hc->regs[R_EDI], H_DATA + 3 - left);
        ck_assert_uint_eq(h_r8(H_DATA + 2 - left), 0x5A);
        if (!left)
            break;
        ck_assert_uint_eq(h_stack(0), H_CODE + 0x0E); /* restarts the REP */
        ck_assert_uint_eq(h_r8(H_DATA + 3 - left), 0);
    }
    ck_assert_uint_eq(h_stack(0), H_CODE + 0x10); /* done: after the REP */
    ck_assert_uint_ne(hc->regs[R_EBX], 2);
}
END_TEST

/* ------------------------------------------------------------------ stack instructions */

static void set_regs8(void)
{
    static const uint32_t v[8] = {0xA0A0A0A0, 0xC1C1C1C1, 0xD2D2D2D2, 0xB3B3B3B3,
                                  H_STACK,    0xB5B5B5B5, 0x51515151, 0xD7D7D7D7};
    memcpy(hc->regs, v, sizeof v);
}

START_TEST(test_pusha_popa)
{
    h_pm(H_CODE);
    set_regs8();
    h_load(H_CODE, m_pusha, sizeof m_pusha);
    hc->eip = H_CODE;
    h_run(1); /* pushad */
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 32);
    static const uint32_t order[8] = {0xA0A0A0A0, 0xC1C1C1C1, 0xD2D2D2D2, 0xB3B3B3B3,
                                      H_STACK,    0xB5B5B5B5, 0x51515151, 0xD7D7D7D7};
    for (int k = 0; k < 8; k++) /* EAX at the highest address ... EDI at the lowest */
        ck_assert_uint_eq(h_r32(H_STACK - 4 - 4u * (uint32_t)k), order[k]);
    h_w32(H_STACK - 20, 0x12345678); /* POPAD skips the ESP slot */
    int r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    for (int k = 0; k < 8; k++)
        ck_assert_uint_eq(hc->regs[k], k == R_ESP ? H_STACK : order[k]);
    /* 16-bit forms */
    set_regs8();
    h_load(H_CODE, m_pushaw, sizeof m_pushaw);
    hc->eip = H_CODE;
    hc->halted = false;
    h_run(1);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 16);
    ck_assert_uint_eq(h_r16(H_STACK - 2), 0xA0A0);
    ck_assert_uint_eq(h_r16(H_STACK - 10), H_STACK & 0xFFFF);
    ck_assert_uint_eq(h_r16(H_STACK - 16), 0xD7D7);
    for (int k = 0; k < 8; k++)
        h_w16(H_STACK - 2 - 2u * (uint32_t)k, (uint16_t)(0x1000 + k));
    r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    for (int k = 0; k < 8; k++)
        if (k != R_ESP)
            ck_assert_uint_eq(hc->regs[k], (order[k] & 0xFFFF0000) | (0x1000u + (uint32_t)k));
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
}
END_TEST

START_TEST(test_enter_leave)
{
    h_pm(H_CODE);
    hc->regs[R_EBP] = 0x12345678;
    int r = RUN(m_enter0);
    EXPECT_CLEAN(r, m_enter0);
    ck_assert_uint_eq(h_r32(H_STACK - 4), 0x12345678);
    ck_assert_uint_eq(hc->regs[R_EBP], H_STACK - 4);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 4 - 0x10);
    r = RUN(m_leave);
    EXPECT_CLEAN(r, m_leave);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
    ck_assert_uint_eq(hc->regs[R_EBP], 0x12345678);
    /* nesting level 3: two display entries copied from the old frame */
    h_w32(0x7EFFC, 0xAAAA);
    h_w32(0x7EFF8, 0xBBBB);
    hc->regs[R_EBP] = 0x7F000;
    hc->regs[R_ESP] = 0x7E000;
    r = RUN(m_enter3);
    EXPECT_CLEAN(r, m_enter3);
    ck_assert_uint_eq(h_r32(0x7DFFC), 0x7F000);
    ck_assert_uint_eq(h_r32(0x7DFF8), 0xAAAA);
    ck_assert_uint_eq(h_r32(0x7DFF4), 0xBBBB);
    ck_assert_uint_eq(h_r32(0x7DFF0), 0x7DFFC);
    ck_assert_uint_eq(hc->regs[R_EBP], 0x7DFFC);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x7DFF0 - 8);
    /* level 1: just the frame pointer */
    hc->regs[R_EBP] = 0x7F000;
    hc->regs[R_ESP] = 0x7E000;
    r = RUN(m_enter16);
    EXPECT_CLEAN(r, m_enter16);
    ck_assert_uint_eq(h_r32(0x7DFFC), 0x7F000);
    ck_assert_uint_eq(h_r32(0x7DFF8), 0x7DFFC);
    ck_assert_uint_eq(hc->regs[R_EBP], 0x7DFFC);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x7DFF8 - 4);
}
END_TEST

START_TEST(test_push_pop_segment_registers)
{
    h_pm(H_CODE);
    cpu_set_seg_raw(hc, S_FS, SEL_DATA3, 0, 0xFFFFFFFF, 0xC0F3);
    int r = RUN(m_pushseg);
    EXPECT_CLEAN(r, m_pushseg);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 26);
    static const uint16_t want[6] = {SEL_CODE0, SEL_DATA0, SEL_DATA0,
                                     SEL_DATA0, SEL_DATA3, SEL_DATA0};
    for (int k = 0; k < 6; k++) /* 32-bit pushes: the selector in the low word */
        ck_assert_uint_eq(h_r16(H_STACK - 4 - 4u * (uint32_t)k), want[k]);
    ck_assert_uint_eq(h_r16(H_STACK - 26), SEL_DATA0); /* pushw ds */
    /* POP loads through the descriptor table */
    hc->regs[R_ESP] = H_STACK - 16;
    h_w32(H_STACK - 16, SEL_DATA3); /* gs */
    h_w32(H_STACK - 12, SEL_DATA0); /* fs */
    h_w32(H_STACK - 8, SEL_DATA3);  /* es */
    h_w32(H_STACK - 4, SEL_DATA0);  /* ds */
    r = RUN(m_popseg);
    EXPECT_CLEAN(r, m_popseg);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
    ck_assert_uint_eq(hc->seg[S_GS].sel, SEL_DATA3);
    ck_assert_uint_eq(SEGF_DPL(hc->seg[S_GS].flags), 3);
    ck_assert_uint_eq(hc->seg[S_FS].sel, SEL_DATA0);
    ck_assert_uint_eq(hc->seg[S_ES].sel, SEL_DATA3);
    ck_assert_uint_eq(hc->seg[S_DS].sel, SEL_DATA0);
    /* a bad selector: #GP(sel), ESP not advanced */
    hc->regs[R_ESP] = H_STACK - 16;
    h_w32(H_STACK - 16, 0x1F8); /* beyond the GDT */
    r = RUN(m_popseg);
    H_EXPECT_EXC(r, EX_GP, 0x1F8, H_CODE);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 16 - 16);
    /* POP SS */
    h_pm(H_CODE);
    hc->regs[R_ESP] = H_STACK - 4;
    h_w32(H_STACK - 4, SEL_DATA0);
    r = RUN(m_pop_ss);
    EXPECT_CLEAN(r, m_pop_ss);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
    hc->regs[R_ESP] = H_STACK - 4;
    h_w32(H_STACK - 4, 0);
    r = RUN(m_pop_ss);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    /* real mode */
    h_real(0x1000, 0);
    r = RUN(m_rm_pushseg);
    EXPECT_CLEAN(r, m_rm_pushseg);
    ck_assert_uint_eq(hc->seg[S_DS].sel, 0x1000);
    ck_assert_uint_eq(hc->seg[S_DS].base, 0x10000);
    ck_assert_uint_eq(hc->seg[S_ES].base, 0x34560);
    ck_assert_uint_eq(hc->regs[R_ESP], 0xFFFE);
}
END_TEST

/* PUSH ESP pushes the value before the push; POP ESP loads the popped
 * value; POP [ESP] computes the address with ESP already incremented. */
START_TEST(test_push_pop_esp)
{
    h_pm(H_CODE);
    int r = RUN(m_push_esp);
    EXPECT_CLEAN(r, m_push_esp);
    ck_assert_uint_eq(hc->regs[R_EAX], H_STACK); /* the pre-push ESP was pushed */
    ck_assert_uint_eq(hc->regs[R_EBX], H_STACK);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x1234);
    h_pm(H_CODE);
    h_w32(H_STACK, 0);
    r = RUN(m_pop_mem_esp);
    EXPECT_CLEAN(r, m_pop_mem_esp);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
    ck_assert_uint_eq(h_r32(H_STACK), 0x5555);
}
END_TEST

/* BOUND: signed, inclusive bounds; out of range is #BR (a fault). */
START_TEST(test_bound)
{
    static const struct {
        int32_t v;
        bool ok;
    } cs[] = {{15, true}, {10, true}, {20, true}, {21, false}, {9, false}, {-1, false}};
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        h_pm(H_CODE);
        h_w32(0x20000, 10);
        h_w32(0x20004, 20);
        hc->regs[R_EAX] = (uint32_t)cs[k].v;
        int r = RUN(m_bound);
        if (cs[k].ok) {
            EXPECT_CLEAN(r, m_bound);
        } else {
            H_EXPECT_EXC(r, EX_BR, -1, H_CODE);
        }
    }
}
END_TEST

/* ------------------------------------------------------------------ XLAT */

START_TEST(test_xlat)
{
    h_pm(H_CODE);
    for (uint32_t k = 0; k < 256; k++) {
        h_w8(0x20100 + k, (uint8_t)(k ^ 0x5A));
        h_w8(0x120100 + k, (uint8_t)(k ^ 0xA5));
    }
    static const uint8_t idx[] = {0, 0x33, 0x80, 0xFF};
    for (size_t k = 0; k < sizeof idx; k++) {
        hc->regs[R_EBX] = 0x20100;
        hc->regs[R_EAX] = 0xAABBCC00 | idx[k];
        int r = RUN(m_xlat);
        EXPECT_CLEAN(r, m_xlat);
        ck_assert_uint_eq(hc->regs[R_EAX], 0xAABBCC00 | (idx[k] ^ 0x5A));
        cpu_set_seg_raw(hc, S_FS, SEL_DATA0, 0x100000, 0xFFFFF, 0x4093);
        hc->regs[R_EAX] = 0xAABBCC00 | idx[k];
        r = RUN(m_xlat_fs);
        EXPECT_CLEAN(r, m_xlat_fs);
        ck_assert_uint_eq(hc->regs[R_EAX], 0xAABBCC00 | (idx[k] ^ 0xA5));
    }
    /* 16-bit: DS:[BX + AL], the sum wrapping at 64 KiB */
    h_real(0x1000, 0);
    cpu_set_seg_raw(hc, S_DS, 0x2000, 0x20000, 0xFFFF, 0x93);
    hc->regs[R_EBX] = 0xFFFF0100;
    hc->regs[R_EAX] = 0x33;
    int r = RUN(m_xlat16);
    EXPECT_CLEAN(r, m_xlat16);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x33 ^ 0x5A);
    h_w8(0x20010, 0xE7);
    hc->regs[R_EBX] = 0xFFF0;
    hc->regs[R_EAX] = 0x20;
    r = RUN(m_xlat16);
    EXPECT_CLEAN(r, m_xlat16);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xE7);
}
END_TEST

/* ------------------------------------------------------------------ HLT */

START_TEST(test_hlt)
{
    h_pm(H_CODE);
    cpu_set_eflags(hc, 2 | F_IF);
    int r = RUN(m_hlt);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert(hc->halted);
    ck_assert(cpu_is_idle(hc));
    ck_assert_uint_eq(hc->eip, H_CODE + 1);
    uint64_t ic = hc->icount;
    /* still halted: nothing runs */
    ck_assert_int_eq(cpu_run(hc, hc->icount + 1000), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->icount, ic);
    ck_assert_uint_eq(hc->eip, H_CODE + 1);
    /* real mode too */
    h_real(0x1000, 0);
    r = RUN(m_hlt);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->eip, 1);
}
END_TEST

/* ------------------------------------------------------------------ PAUSE */

/* PAUSE counts as PAUSE_ICOUNT instructions' time, never past the limit
 * cpu_run was given; NOP and REPNE NOP count one. Both engines agree. */
START_TEST(test_pause_time)
{
    /* mov ecx,10; l: pause; dec ecx; jnz l; nop; repne nop; hlt */
    static const uint8_t code[] = {0xB9, 0x0A, 0, 0, 0, 0xF3, 0x90, 0x49, 0x75, 0xFB,
                                   0x90, 0xF2, 0x90, 0xF4};
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    uint64_t ic0 = hc->icount;
    ck_assert_int_eq(cpu_run(hc, ic0 + 100000), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->icount - ic0, 1 + 10 * (PAUSE_ICOUNT + 2) + 3);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);

    /* A limit 50 instructions on: the first PAUSE ends exactly there. */
    h_pm(H_CODE);
    ic0 = hc->icount;
    ck_assert_int_eq(cpu_run(hc, ic0 + 50), CPU_RUN_LIMIT);
    ck_assert_uint_eq(hc->icount, ic0 + 50);
    ck_assert_uint_eq(hc->eip, H_CODE + 7);
    ck_assert_uint_eq(hc->regs[R_ECX], 10);
    ck_assert_int_eq(cpu_run(hc, ic0 + 100000), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->icount - ic0, 50 + 2 + 9 * (PAUSE_ICOUNT + 2) + 3);
}
END_TEST

/* An access to port 0x80 (the I/O delay port) lasts a microsecond of
 * virtual time under -icount: 1000 instructions' at shift 0, clamped to
 * the limit like PAUSE. */
START_TEST(test_io_delay_port)
{
    /* out 0x80,al; in al,0x80; out 0x80,al; hlt */
    static const uint8_t code[] = {0xE6, 0x80, 0xE4, 0x80, 0xE6, 0x80, 0xF4};
    sysctl_init(hm);
    machine_set_icount(hm, 0, false);
    h_pm(H_CODE);
    H_LOAD(H_CODE, code);
    uint64_t ic0 = hc->icount;
    ck_assert_int_eq(cpu_run(hc, ic0 + 100000), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->icount - ic0, 4 + 3 * 1000);

    h_pm(H_CODE);
    ic0 = hc->icount;
    ck_assert_int_eq(cpu_run(hc, ic0 + 1500), CPU_RUN_LIMIT);
    ck_assert_uint_eq(hc->icount, ic0 + 1500);
    ck_assert_uint_eq(hc->eip, H_CODE + 4);
    ck_assert_int_eq(cpu_run(hc, ic0 + 100000), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->icount - ic0, 1500 + 1001 + 1);

    /* at shift 10 an instruction is already a microsecond: no more */
    machine_set_icount(hm, 10, false);
    h_pm(H_CODE);
    ic0 = hc->icount;
    ck_assert_int_eq(cpu_run(hc, ic0 + 100000), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->icount - ic0, 4);
}
END_TEST

/* ------------------------------------------------------------------ x87 through the decoder */

START_TEST(test_x87_smoke)
{
    h_pm(H_CODE);
    h_w32(0x20000, 0xFFFFFFFF);
    h_w32(0x20004, 0xFFFFFFFF);
    h_w32(0x20010, 6);
    h_w32(0x20014, 7);
    int r = RUN(m_x87);
    EXPECT_CLEAN(r, m_x87);
    ck_assert_uint_eq(h_r32(0x20000), 2);              /* fld1; fadd st0, st0; fistp */
    ck_assert_uint_eq(h_r32(0x20004), 42);             /* 6 * 7 */
    ck_assert_uint_eq((hc->regs[R_EAX] >> 11) & 7, 0); /* TOP back to 0 */
    /* CR0.TS or CR0.EM: #NM */
    h_pm(H_CODE);
    hc->cr0 |= CR0_TS;
    r = RUN(m_fld1);
    H_EXPECT_EXC(r, EX_NM, -1, H_CODE);
    h_pm(H_CODE);
    hc->cr0 |= CR0_EM;
    r = RUN(m_fld1);
    H_EXPECT_EXC(r, EX_NM, -1, H_CODE);
}
END_TEST

/* ------------------------------------------------------------------ descriptor-table registers */

START_TEST(test_lgdt_sgdt)
{
    h_pm(H_CODE);
    h_w16(0x20000, 0x1234);
    h_w32(0x20002, 0x12ABCDEF);
    h_w16(0x20008, 0x07FF);
    h_w32(0x2000A, 0x00003000);
    int r = RUN(m_gdt);
    EXPECT_CLEAN(r, m_gdt);
    ck_assert_uint_eq(hc->gdt_limit, 0x1234);
    ck_assert_uint_eq(hc->gdt_base, 0x12ABCDEF);
    ck_assert_uint_eq(hc->idt_limit, 0x07FF);
    ck_assert_uint_eq(hc->idt_base, 0x3000);
    ck_assert_uint_eq(h_r16(0x20010), 0x1234);
    ck_assert_uint_eq(h_r32(0x20012), 0x12ABCDEF);
    ck_assert_uint_eq(h_r16(0x20018), 0x07FF);
    ck_assert_uint_eq(h_r32(0x2001A), 0x3000);
}
END_TEST

static Suite *misc_suite(void)
{
    Suite *s = suite_create("cpu_misc");
    TCase *tc = h_tcase("id");
    tcase_add_test(tc, test_cpuid);
    tcase_add_test(tc, test_rdtsc_monotonic);
    tcase_add_test(tc, test_msr_sysenter_roundtrip);
    tcase_add_test(tc, test_msr_faults);
    tcase_add_test(tc, test_lgdt_sgdt);
    suite_add_tcase(s, tc);
    tc = h_tcase("decode");
    tcase_add_test(tc, test_undefined_opcodes);
    tcase_add_test(tc, test_ud_then_continue);
    tcase_add_test(tc, test_lock_prefix);
    tcase_add_test(tc, test_self_modifying_loop);
    tcase_add_test(tc, test_self_modifying_next_insn);
    tcase_add_test(tc, test_self_modifying_loop_head);
    tcase_add_test(tc, test_self_modifying_rep_movs);
    tcase_add_test(tc, test_self_modifying_other_page);
    tcase_add_test(tc, test_x87_smoke);
    tcase_add_test(tc, test_single_step_trap);
    tcase_add_test(tc, test_mov_ss_holds_off_single_step);
    tcase_add_test(tc, test_pop_ss_holds_off_single_step);
    tcase_add_test(tc, test_single_step_rep_each_iteration);
    suite_add_tcase(s, tc);
    tc = h_tcase("stack");
    tcase_add_test(tc, test_pusha_popa);
    tcase_add_test(tc, test_enter_leave);
    tcase_add_test(tc, test_push_pop_segment_registers);
    tcase_add_test(tc, test_pop_ss_16bit_stack);
    tcase_add_test(tc, test_xlat);
    tcase_add_test(tc, test_push_pop_esp);
    tcase_add_test(tc, test_bound);
    tcase_add_test(tc, test_hlt);
    tcase_add_test(tc, test_pause_time);
    tcase_add_test(tc, test_io_delay_port);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(misc_suite)
