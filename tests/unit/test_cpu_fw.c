/* CPU behaviour the firmware path depends on: iPXE's real-mode calls save
 * the FPU with FXSAVE/FXRSTOR and IDTR with a 16-bit SIDT that a 32-bit
 * LIDT loads back. */
#include "cpu_harness.h"
#include "cpu/fpu.h"

/* 16-bit real-mode code at 0x1000:0000:
 *   fninit; fld1; fldpi     ST0 = pi, ST1 = 1
 *   fxsave [0x2000]         (DS = 0x1000: linear 0x12000)
 *   fninit
 *   fxrstor [0x2000]
 *   sidt [0x2200]           16-bit operand size
 *   o32 lidt [0x2200]       32-bit: loads all 4 base bytes as stored
 *   fxsave [0x2008]         misaligned: #GP
 *   hlt                                                                */
static const uint8_t m_fx[] = {
    0xDB, 0xE3,                         /* 0000: fninit */
    0xD9, 0xE8,                         /* 0002: fld1 */
    0xD9, 0xEB,                         /* 0004: fldpi */
    0x0F, 0xAE, 0x06, 0x00, 0x20,       /* 0006: fxsave [0x2000] */
    0xDB, 0xE3,                         /* 000b: fninit */
    0x0F, 0xAE, 0x0E, 0x00, 0x20,       /* 000d: fxrstor [0x2000] */
    0x0F, 0x01, 0x0E, 0x00, 0x22,       /* 0012: sidt [0x2200] */
    0x66, 0x0F, 0x01, 0x1E, 0x00, 0x22, /* 0017: lidtd [0x2200] */
    0xF4,                               /* 001d: hlt */
    0x0F, 0xAE, 0x06, 0x08, 0x20,       /* 001e: fxsave [0x2008] */
    0xF4,                               /* 0023: hlt */
};

START_TEST(test_fxsave_fxrstor_sidt16)
{
    h_real(0x1000, 0);
    for (int s = S_ES; s <= S_GS; s++)
        cpu_set_seg_raw(hc, s, 0x1000, 0x10000, 0xFFFF, 0x93);
    H_LOAD(0x10000, m_fx);
    hc->idt_base = 0x00123400; /* a real-mode IVT somewhere, upper byte 0 */
    int r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->eip, 0x1E); /* after the first hlt */
    /* The image: FCW, FSW with TOP=6, abridged tag of R6 and R7, the
     * registers in stack order. */
    ck_assert_uint_eq(h_r16(0x12000), 0x037F);
    ck_assert_uint_eq((h_r16(0x12002) >> 11) & 7, 6);
    ck_assert_uint_eq(h_r8(0x12004), 0xC0);
    ck_assert_uint_eq(h_r16(0x12020 + 8), 0x4000);           /* pi: exponent 1 */
    ck_assert_uint_eq(h_r32(0x12020 + 4), 0xC90FDAA2);       /* pi's high mantissa */
    ck_assert_uint_eq(h_r16(0x12030 + 8), 0x3FFF);           /* 1.0 */
    ck_assert_uint_eq(h_r32(0x12030 + 4), 0x80000000);
    ck_assert_uint_eq(h_r32(0x12018), 0x1F80);               /* MXCSR: reset value */
    /* FXRSTOR brought the stack back after FNINIT emptied it. */
    ck_assert_int_eq(hc->fpu.top, 6);
    ck_assert(hc->fpu.st[6] > 3.14159L && hc->fpu.st[6] < 3.1416L);
    ck_assert(hc->fpu.st[7] == 1.0L);
    ck_assert_uint_eq(hc->fpu.tag, 0x0FFF | (0u << 12) | (0u << 14)); /* R6, R7 valid */
    /* SIDT with a 16-bit operand: limit, 24-bit base, top byte 0 (386+). */
    ck_assert_uint_eq(h_r16(0x12200), 0x3FF);
    ck_assert_uint_eq(h_r32(0x12202), 0x00123400);
    ck_assert_uint_eq(hc->idt_base, 0x00123400);
    /* A misaligned FXSAVE is #GP(0). */
    h_resume();
    hc->idt_base = H_IVT;
    r = h_run_halt(100);
    ck_assert_int_eq(hc->last_vector, EX_GP);
}
END_TEST

static Suite *cpu_fw_suite(void)
{
    Suite *s = suite_create("cpu_fw");
    TCase *tc = h_tcase("fw");
    tcase_add_test(tc, test_fxsave_fxrstor_sidt16);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(cpu_fw_suite)
