/* CPU interpreter unit tests: segmentation and protection. Real-mode segment
 * arithmetic and limits; protected-mode segment register loads and their
 * faults (null, beyond the GDT limit, not present, type and privilege
 * checks, SS rules); limit checks on data and stack accesses, expand-down
 * segments; far JMP/CALL/RETF; INT/IRET through interrupt and trap gates,
 * the ring 3 -> ring 0 transition with the TSS stack and IRET back; #GP for
 * privileged instructions at CPL 3; SYSENTER/SYSEXIT.
 *
 * Expected results follow the Intel SDM (vol. 2 instruction pages, vol. 3
 * chapters 5 and 6). Machine code generated with GNU as (as --32,
 * .intel_syntax noprefix; .code16 where noted). */
#include "tests/unit/cpu_harness.h"

/* ------------------------------------------------------------------ code (GNU as) */

static const uint8_t rm_seg[] = {
    0xB8, 0x34, 0x12,             /* 0000: mov ax, 0x1234 */
    0x8E, 0xD8,                   /* 0003: mov ds, ax */
    0xA0, 0x10, 0x00,             /* 0005: mov al, byte ptr [0x10] */
    0xBB, 0xFF, 0xFF,             /* 0008: mov bx, 0xffff */
    0x8E, 0xC3,                   /* 000b: mov es, bx */
    0x26, 0x8A, 0x0E, 0x10, 0x00, /* 000d: mov cl, byte ptr es:[0x10] */
    0x26, 0x8B, 0x16, 0x20, 0x00, /* 0012: mov dx, word ptr es:[0x20] */
    0xF4,                         /* 0017: hlt */
};

static const uint8_t rm_far[] = {
    0xEA, 0x10, 0x00, 0x00, 0x20, /* 0000: jmp 0x2000:0x0010 */
};

static const uint8_t rm_far_target[] = {
    0x8C, 0xC8, /* 0000: mov ax, cs */
    0xF4,       /* 0002: hlt */
};

static const uint8_t rm_limit[] = {
    0xA1, 0xFF, 0xFF, /* 0000: mov ax, word ptr [0xffff] */
    0xF4,             /* 0003: hlt */
};

static const uint8_t pm_mov_ds[] = {
    0x8E, 0xD8, /* 0000: mov ds, ax */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pm_mov_ss[] = {
    0x8E, 0xD0, /* 0000: mov ss, ax */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pm_mov_ds_read[] = {
    0x8E, 0xD8, /* 0000: mov ds, ax */
    0x8B, 0x19, /* 0002: mov ebx, dword ptr [ecx] */
    0xF4,       /* 0004: hlt */
};

static const uint8_t pm_read[] = {
    0x8B, 0x19, /* 0000: mov ebx, dword ptr [ecx] */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pm_read_b[] = {
    0x8A, 0x19, /* 0000: mov bl, byte ptr [ecx] */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pm_write[] = {
    0x89, 0x19, /* 0000: mov dword ptr [ecx], ebx */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pm_write_b[] = {
    0x88, 0x19, /* 0000: mov byte ptr [ecx], bl */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pm_read_ebp[] = {
    0x8B, 0x5D, 0x00, /* 0000: mov ebx, dword ptr [ebp] */
    0xF4,             /* 0003: hlt */
};

static const uint8_t pm_push[] = {
    0x50, /* 0000: push eax */
    0xF4, /* 0001: hlt */
};

static const uint8_t far_start[] = {
    0xEA, 0x40, 0x00, 0x01, 0x00, 0x08, 0x00, /* 0000: jmp 0x08:0x10040 */
};

static const uint8_t far_main[] = {
    0x9A, 0x80, 0x00, 0x01, 0x00, 0x08, 0x00, /* 0000: call 0x08:0x10080 */
    0x9A, 0x00, 0x03, 0x00, 0x00, 0x70, 0x00, /* 0007: call 0x70:0x0300 */
    0xFF, 0x2D, 0x00, 0x00, 0x02, 0x00,       /* 000e: jmp fword ptr [0x20000] */
};

static const uint8_t far_func0[] = {
    0xCB, /* 0000: retf */
};

static const uint8_t far_func70[] = {
    0x8C, 0xCE,       /* 0000: mov esi, cs */
    0xCA, 0x08, 0x00, /* 0002: retf 8 */
};

static const uint8_t far_end[] = {
    0xF4, /* 0000: hlt */
};

static const uint8_t int_prog[] = {
    0xFB,                         /* 0000: sti */
    0xCD, 0x40,                   /* 0001: int 0x40 */
    0xCD, 0x41,                   /* 0003: int 0x41 */
    0xCC,                         /* 0005: int3 */
    0xCE,                         /* 0006: into */
    0xB8, 0x78, 0x56, 0x34, 0x12, /* 0007: mov eax, 0x12345678 */
    0xF4,                         /* 000c: hlt */
};

static const uint8_t user_prog[] = {
    0xCD, 0x80,                   /* 0000: int 0x80 */
    0xBB, 0x34, 0x12, 0x00, 0x00, /* 0002: mov ebx, 0x1234 */
    0xF4,                         /* 0007: hlt */
};

static const uint8_t user_cli[] = {
    0xFA, /* 0000: cli */
    0xF4, /* 0001: hlt */
};

static const uint8_t user_in[] = {
    0xE4, 0x80, /* 0000: in al, 0x80 */
    0xF4,       /* 0002: hlt */
};

static const uint8_t sysenter_setup[] = {
    0xB9, 0x74, 0x01, 0x00, 0x00, /* 0000: mov ecx, 0x174 */
    0x31, 0xD2,                   /* 0005: xor edx, edx */
    0xB8, 0x08, 0x00, 0x00, 0x00, /* 0007: mov eax, 0x08 */
    0x0F, 0x30,                   /* 000c: wrmsr */
    0xB9, 0x75, 0x01, 0x00, 0x00, /* 000e: mov ecx, 0x175 */
    0xB8, 0x00, 0x80, 0x06, 0x00, /* 0013: mov eax, 0x68000 */
    0x0F, 0x30,                   /* 0018: wrmsr */
    0xB9, 0x76, 0x01, 0x00, 0x00, /* 001a: mov ecx, 0x176 */
    0xB8, 0x00, 0x02, 0x01, 0x00, /* 001f: mov eax, 0x10200 */
    0x0F, 0x30,                   /* 0024: wrmsr */
    0xB9, 0x00, 0xF0, 0x04, 0x00, /* 0026: mov ecx, 0x4f000 */
    0xBA, 0x00, 0x01, 0x01, 0x00, /* 002b: mov edx, 0x10100 */
    0x0F, 0x35,                   /* 0030: sysexit */
};

static const uint8_t sysenter_user[] = {
    0xBE, 0x55, 0x55, 0x00, 0x00, /* 0000: mov esi, 0x5555 */
    0x0F, 0x34,                   /* 0005: sysenter */
};

static const uint8_t sysenter_target[] = {
    0xF4, /* 0000: hlt */
};

static const uint8_t pm_sysenter[] = {
    0x0F, 0x34, /* 0000: sysenter */
    0xF4,       /* 0002: hlt */
};

static const uint8_t pm_sysexit[] = {
    0x0F, 0x35, /* 0000: sysexit */
    0xF4,       /* 0002: hlt */
};

static const uint8_t lss_prog[] = {
    0x0F, 0xB2, 0x21, /* 0000: lss esp, fword ptr [ecx] */
    0xF4,             /* 0003: hlt */
};

static const uint8_t s_jmp_ecx[] = {
    0xFF, 0xE1, /* 0000: jmp ecx */
};

static const uint8_t s_popf_prog[] = {
    0x50, /* 0000: push eax */
    0x9D, /* 0001: popfd */
    0x9C, /* 0002: pushfd */
    0x5B, /* 0003: pop ebx */
    0xF4, /* 0004: hlt */
};

static const uint8_t s_mov_cr0[] = {
    0x0F, 0x20, 0xC0, /* 0000: mov eax, cr0 */
    0xF4,             /* 0003: hlt */
};

static const uint8_t s_mov_cr3w[] = {
    0x0F, 0x22, 0xD8, /* 0000: mov cr3, eax */
    0xF4,             /* 0003: hlt */
};

/* ------------------------------------------------------------------ helpers */

/* Test descriptors (see seg_gdt). */
#define SEL_LIM 0x40     /* data, base 0x100000, limit 0xFFF, B=1 */
#define SEL_NP 0x48      /* data, not present */
#define SEL_EDOWN16 0x50 /* expand-down data, base 0x200000, limit 0xFFF, B=0 */
#define SEL_EDOWN32 0x58 /* expand-down data, base 0x200000, limit 0xFFF, B=1 */
#define SEL_XONLY 0x60   /* execute-only code */
#define SEL_RCODE 0x68   /* readable code, flat */
#define SEL_CODE_B 0x70  /* 32-bit code, base 0x10000, limit 0xFFFF */
#define SEL_RODATA 0x78  /* read-only data, flat */
#define SEL_NOTACC 0x80  /* data with the accessed bit clear */

static void seg_gdt(void)
{
    h_gdt_set(SEL_LIM, h_desc(0x100000, 0xFFF, 0x93, 0x4));
    h_gdt_set(SEL_NP, h_desc(0, 0xFFFFF, 0x13, 0xC));
    h_gdt_set(SEL_EDOWN16, h_desc(0x200000, 0xFFF, 0x97, 0x0));
    h_gdt_set(SEL_EDOWN32, h_desc(0x200000, 0xFFF, 0x97, 0x4));
    h_gdt_set(SEL_XONLY, h_desc(0, 0xFFFFF, 0x99, 0xC));
    h_gdt_set(SEL_RCODE, h_desc(0, 0xFFFFF, 0x9B, 0xC));
    h_gdt_set(SEL_CODE_B, h_desc(0x10000, 0xFFFF, 0x9B, 0x4));
    h_gdt_set(SEL_RODATA, h_desc(0, 0xFFFFF, 0x91, 0xC));
    h_gdt_set(SEL_NOTACC, h_desc(0, 0xFFFFF, 0x92, 0xC));
}

static void pm_setup(void)
{
    h_pm(H_CODE);
    seg_gdt();
}

/* Load code at H_CODE, start there (regs as set by the caller), run to HLT. */
static int run_code(const uint8_t *code, size_t n)
{
    h_load(H_CODE, code, n);
    hc->eip = H_CODE - hc->seg[S_CS].base;
    hc->halted = false;
    hc->last_vector = -1;
    return h_run_halt(100000);
}

/* Expect a clean run to the HLT at the end of code. */
#define EXPECT_CLEAN(r, code)                                                                      \
    do {                                                                                           \
        ck_assert_int_eq((r), CPU_RUN_HALTED);                                                     \
        ck_assert_int_eq(hc->last_vector, -1);                                                     \
        ck_assert_uint_eq(hc->eip, H_CODE - hc->seg[S_CS].base + sizeof(code));                    \
    } while (0)

/* ------------------------------------------------------------------ real mode */

START_TEST(test_real_mode_segments)
{
    h_real(0x1000, 0);
    h_w8(0x12350, 0xAB);  /* 1234:0010 */
    h_w8(0x100000, 0xCD); /* FFFF:0010 with A20 on */
    h_w16(0x100010, 0xBEEF);
    h_w8(0x0, 0x5C); /* ... and what it wraps to with A20 off */
    h_w16(0x10, 0x5A5A);
    int r = run_code(rm_seg, sizeof rm_seg);
    EXPECT_CLEAN(r, rm_seg);
    ck_assert_uint_eq(hc->regs[R_EAX] & 0xFF, 0xAB);
    ck_assert_uint_eq(hc->regs[R_ECX] & 0xFF, 0xCD);
    ck_assert_uint_eq(hc->regs[R_EDX] & 0xFFFF, 0xBEEF);
    ck_assert_uint_eq(hc->seg[S_DS].sel, 0x1234);
    ck_assert_uint_eq(hc->seg[S_DS].base, 0x12340);
    ck_assert_uint_eq(hc->seg[S_ES].base, 0xFFFF0);
    /* A20 gate closed: FFFF:0010 wraps to physical 0 */
    cpu_set_a20(hc, false);
    r = run_code(rm_seg, sizeof rm_seg);
    EXPECT_CLEAN(r, rm_seg);
    ck_assert_uint_eq(hc->regs[R_ECX] & 0xFF, 0x5C);
    ck_assert_uint_eq(hc->regs[R_EDX] & 0xFFFF, 0x5A5A);
}
END_TEST

START_TEST(test_real_mode_far_jmp)
{
    h_real(0x1000, 0);
    h_load(0x20010, rm_far_target, sizeof rm_far_target);
    int r = run_code(rm_far, sizeof rm_far);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->seg[S_CS].sel, 0x2000);
    ck_assert_uint_eq(hc->seg[S_CS].base, 0x20000);
    ck_assert_uint_eq(hc->eip, 0x13);
    ck_assert_uint_eq(hc->regs[R_EAX] & 0xFFFF, 0x2000);
}
END_TEST

/* A word access at offset FFFF runs past the 64 KiB limit: #GP (int 13). */
START_TEST(test_real_mode_limit)
{
    h_real(0x1000, 0);
    int r = run_code(rm_limit, sizeof rm_limit);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_GP);
    ck_assert_uint_eq(hc->eip, H_STUB(EX_GP) + 1);
    ck_assert_uint_eq(hc->regs[R_ESP], 0xFFFE - 6);
    ck_assert_uint_eq(h_r16(0xFFF8), 0x0000); /* IP of the faulting MOV */
    ck_assert_uint_eq(h_r16(0xFFFA), 0x1000); /* CS */
}
END_TEST

/* ------------------------------------------------------------------ protected-mode loads */

START_TEST(test_null_selector)
{
    pm_setup();
    h_w32(0x20000, 0x11223344);
    /* MOV DS, 0 loads; the first use faults with #GP(0) at the using instruction */
    for (uint32_t sel = 0; sel < 4; sel++) {
        pm_setup();
        hc->regs[R_EAX] = sel;
        hc->regs[R_ECX] = 0x20000;
        int r = run_code(pm_mov_ds_read, sizeof pm_mov_ds_read);
        H_EXPECT_EXC(r, EX_GP, 0, H_CODE + 2);
        ck_assert_uint_eq(hc->seg[S_DS].sel, sel);
    }
    /* null SS: #GP(0) at the MOV */
    pm_setup();
    hc->regs[R_EAX] = 0;
    int r = run_code(pm_mov_ss, sizeof pm_mov_ss);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    ck_assert_uint_eq(hc->seg[S_SS].sel, SEL_DATA0);
}
END_TEST

START_TEST(test_selector_beyond_gdt_limit)
{
    pm_setup();
    hc->regs[R_EAX] = 0x100; /* GDT limit is 0xFF */
    int r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    H_EXPECT_EXC(r, EX_GP, 0x100, H_CODE);
    ck_assert_uint_eq(hc->seg[S_DS].sel, SEL_DATA0); /* unchanged */
    pm_setup();
    hc->regs[R_EAX] = 0x203; /* RPL bits are not part of the error code */
    r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    H_EXPECT_EXC(r, EX_GP, 0x200, H_CODE);
    /* the limit is inclusive: entry 0x40 with limit 0x47 loads, 0x48 does not */
    pm_setup();
    hc->gdt_limit = 0x47;
    hc->regs[R_EAX] = SEL_LIM;
    r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    EXPECT_CLEAN(r, pm_mov_ds);
    ck_assert_uint_eq(hc->seg[S_DS].base, 0x100000);
    hc->regs[R_EAX] = 0x48;
    r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    H_EXPECT_EXC(r, EX_GP, 0x48, H_CODE);
    /* an LDT selector while LDTR is null */
    pm_setup();
    hc->regs[R_EAX] = 0x0C;
    r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    H_EXPECT_EXC(r, EX_GP, 0x0C, H_CODE);
}
END_TEST

START_TEST(test_not_present)
{
    pm_setup();
    hc->regs[R_EAX] = SEL_NP;
    int r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    H_EXPECT_EXC(r, EX_NP, SEL_NP, H_CODE);
    pm_setup();
    hc->regs[R_EAX] = SEL_NP;
    r = run_code(pm_mov_ss, sizeof pm_mov_ss);
    H_EXPECT_EXC(r, EX_SS, SEL_NP, H_CODE);
}
END_TEST

START_TEST(test_ss_load_checks)
{
    static const struct {
        uint16_t sel;
        int vec;
        int err;
    } cs[] = {
        {SEL_DATA0 | 3, EX_GP, SEL_DATA0},         /* RPL != CPL */
        {SEL_DATA3 & ~3, EX_GP, SEL_DATA0 + 0x10}, /* DPL 3 != CPL 0 */
        {SEL_DATA3, EX_GP, SEL_DATA3 & ~3},
        {SEL_RODATA, EX_GP, SEL_RODATA}, /* not writable */
        {SEL_CODE0, EX_GP, SEL_CODE0},   /* code */
        {SEL_TSS, EX_GP, SEL_TSS},       /* system descriptor */
        {SEL_DATA0, -1, 0},              /* fine */
        {SEL_LIM, -1, 0},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        pm_setup();
        hc->regs[R_EAX] = cs[k].sel;
        int r = run_code(pm_mov_ss, sizeof pm_mov_ss);
        if (cs[k].vec < 0) {
            EXPECT_CLEAN(r, pm_mov_ss);
            ck_assert_uint_eq(hc->seg[S_SS].sel, cs[k].sel);
        } else {
            ck_assert_msg(hc->last_vector == cs[k].vec && hc->last_error == (uint32_t)cs[k].err,
                          "mov ss, %#x: vector %d error %#x, want %d %#x", cs[k].sel,
                          hc->last_vector, hc->last_error, cs[k].vec, cs[k].err);
            H_EXPECT_EXC(r, cs[k].vec, cs[k].err, H_CODE);
        }
    }
}
END_TEST

START_TEST(test_ds_load_type_checks)
{
    pm_setup();
    hc->regs[R_EAX] = SEL_XONLY; /* execute-only code cannot be read through DS */
    int r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    H_EXPECT_EXC(r, EX_GP, SEL_XONLY, H_CODE);
    pm_setup();
    hc->regs[R_EAX] = SEL_TSS;
    r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    H_EXPECT_EXC(r, EX_GP, SEL_TSS, H_CODE);
    /* readable code is fine, and reads work through it */
    pm_setup();
    h_w32(0x20000, 0xC0DEC0DE);
    hc->regs[R_EAX] = SEL_RCODE;
    hc->regs[R_ECX] = 0x20000;
    r = run_code(pm_mov_ds_read, sizeof pm_mov_ds_read);
    EXPECT_CLEAN(r, pm_mov_ds_read);
    ck_assert_uint_eq(hc->regs[R_EBX], 0xC0DEC0DE);
    /* ... but not writes */
    hc->regs[R_ECX] = 0x20000;
    r = run_code(pm_write, sizeof pm_write);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    /* read-only data: read yes, write #GP(0) */
    pm_setup();
    hc->regs[R_EAX] = SEL_RODATA;
    hc->regs[R_ECX] = 0x20000;
    r = run_code(pm_mov_ds_read, sizeof pm_mov_ds_read);
    EXPECT_CLEAN(r, pm_mov_ds_read);
    r = run_code(pm_write, sizeof pm_write);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    ck_assert_uint_eq(h_r32(0x20000), 0xC0DEC0DE);
}
END_TEST

/* Loading a descriptor marks it accessed in the GDT. */
START_TEST(test_accessed_bit)
{
    pm_setup();
    ck_assert_uint_eq(h_r8(H_GDT + SEL_NOTACC + 5), 0x92);
    hc->regs[R_EAX] = SEL_NOTACC;
    int r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    EXPECT_CLEAN(r, pm_mov_ds);
    ck_assert_uint_eq(h_r8(H_GDT + SEL_NOTACC + 5), 0x93);
}
END_TEST

/* CPL 3 may not load a DPL 0 data segment (DPL >= max(CPL, RPL)). */
START_TEST(test_ds_privilege_from_ring3)
{
    pm_setup();
    h_ring3(H_CODE, H_USTACK);
    hc->regs[R_EAX] = SEL_DATA0;
    int r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    H_EXPECT_EXC(r, EX_GP, SEL_DATA0, H_CODE);
    /* delivered on the ring-0 stack from the TSS */
    ck_assert_uint_eq(hc->seg[S_SS].sel, SEL_DATA0);
    ck_assert_uint_eq(hc->regs[R_ESP], H_KSTACK - 24);
    ck_assert_uint_eq(h_stack(2), SEL_CODE3);
    ck_assert_uint_eq(h_stack(4), H_USTACK);
    ck_assert_uint_eq(h_stack(5), SEL_DATA3);
    /* DPL 3 data with RPL 0 is fine at CPL 3 */
    pm_setup();
    h_ring3(H_CODE, H_USTACK);
    hc->regs[R_EAX] = SEL_DATA3 & ~3;
    r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    ck_assert_int_eq(hc->last_vector, EX_GP); /* the HLT at CPL 3 */
    ck_assert_uint_eq(h_stack(1), H_CODE + 2);
    ck_assert_uint_eq(hc->seg[S_DS].sel, SEL_DATA3 & ~3);
}
END_TEST

/* ------------------------------------------------------------------ limits */

START_TEST(test_data_limit)
{
    pm_setup();
    h_w32(0x100FFC, 0xFEEDFACE);
    hc->regs[R_EAX] = SEL_LIM;
    hc->regs[R_ECX] = 0xFFC;
    int r = run_code(pm_mov_ds_read, sizeof pm_mov_ds_read);
    EXPECT_CLEAN(r, pm_mov_ds_read);
    ck_assert_uint_eq(hc->regs[R_EBX], 0xFEEDFACE);
    static const struct {
        const uint8_t *code;
        size_t len;
        uint32_t off;
        bool ok;
    } cs[] = {
        {pm_read, sizeof pm_read, 0xFFD, false}, /* last byte at 0x1000 */
        {pm_read, sizeof pm_read, 0x1000, false},
        {pm_read, sizeof pm_read, 0xFFFFFFFF, false}, /* wraps: still a violation */
        {pm_read_b, sizeof pm_read_b, 0xFFF, true},
        {pm_write_b, sizeof pm_write_b, 0xFFF, true},
        {pm_write_b, sizeof pm_write_b, 0x1000, false},
        {pm_write, sizeof pm_write, 0xFFE, false},
        {pm_write, sizeof pm_write, 0, true},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        hc->regs[R_ECX] = cs[k].off;
        hc->regs[R_ESP] = H_STACK;
        r = run_code(cs[k].code, cs[k].len);
        if (cs[k].ok) {
            ck_assert_int_eq(r, CPU_RUN_HALTED);
            ck_assert_msg(hc->last_vector == -1, "case %zu faulted", k);
        } else {
            ck_assert_msg(hc->last_vector == EX_GP, "case %zu: vector %d", k, hc->last_vector);
            H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
        }
    }
}
END_TEST

START_TEST(test_stack_limit)
{
    pm_setup();
    cpu_set_seg_raw(hc, S_SS, SEL_LIM, 0x100000, 0xFFF, 0x4093);
    cpu_update_mode(hc);
    /* SS-relative data access past the limit: #SS(0) */
    h_w32(0x100FFC, 0x5555AAAA);
    hc->regs[R_ESP] = 0x800;
    hc->regs[R_EBP] = 0xFFC;
    int r = run_code(pm_read_ebp, sizeof pm_read_ebp);
    EXPECT_CLEAN(r, pm_read_ebp);
    ck_assert_uint_eq(hc->regs[R_EBX], 0x5555AAAA);
    hc->regs[R_EBP] = 0xFFD;
    r = run_code(pm_read_ebp, sizeof pm_read_ebp);
    H_EXPECT_EXC(r, EX_SS, 0, H_CODE);
    /* PUSH whose bytes run past the limit: #SS(0), ESP not changed by the PUSH */
    hc->regs[R_ESP] = 0x1002;
    hc->regs[R_EAX] = 0x12345678;
    r = run_code(pm_push, sizeof pm_push);
    H_EXPECT_EXC(r, EX_SS, 0, H_CODE);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x1002 - 16);
    /* a PUSH that fits */
    hc->regs[R_ESP] = 0x1000;
    r = run_code(pm_push, sizeof pm_push);
    EXPECT_CLEAN(r, pm_push);
    ck_assert_uint_eq(hc->regs[R_ESP], 0xFFC);
    ck_assert_uint_eq(h_r32(0x100FFC), 0x12345678);
}
END_TEST

START_TEST(test_expand_down)
{
    static const struct {
        uint16_t sel;
        uint32_t off;
        bool ok;
    } cs[] = {
        {SEL_EDOWN16, 0x1000, true},     {SEL_EDOWN16, 0xFFC, false},
        {SEL_EDOWN16, 0xFFF, false},     {SEL_EDOWN16, 0x0, false},
        {SEL_EDOWN16, 0xFFFC, true},     {SEL_EDOWN16, 0xFFFD, false}, /* B=0: upper bound FFFF */
        {SEL_EDOWN16, 0x10000, false},   {SEL_EDOWN32, 0x1000, true},
        {SEL_EDOWN32, 0xFFF, false},     {SEL_EDOWN32, 0x10000, true},
        {SEL_EDOWN32, 0xFFFFFFFC, true}, {SEL_EDOWN32, 0xFFFFFFFE, false},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        pm_setup();
        uint32_t pa = (0x200000 + cs[k].off) & 0xFFFFFF;
        if (cs[k].ok)
            h_w32(pa, 0xED0000 + (uint32_t)k);
        hc->regs[R_EAX] = cs[k].sel;
        hc->regs[R_ECX] = cs[k].off;
        int r = run_code(pm_mov_ds_read, sizeof pm_mov_ds_read);
        if (cs[k].ok) {
            ck_assert_msg(hc->last_vector == -1, "sel %#x off %#x: vector %d", cs[k].sel, cs[k].off,
                          hc->last_vector);
            EXPECT_CLEAN(r, pm_mov_ds_read);
            ck_assert_uint_eq(hc->regs[R_EBX], 0xED0000 + (uint32_t)k);
        } else {
            ck_assert_msg(hc->last_vector == EX_GP, "sel %#x off %#x: vector %d", cs[k].sel,
                          cs[k].off, hc->last_vector);
            H_EXPECT_EXC(r, EX_GP, 0, H_CODE + 2);
        }
    }
    /* writes follow the same rule */
    pm_setup();
    hc->regs[R_EAX] = SEL_EDOWN16;
    run_code(pm_mov_ds, sizeof pm_mov_ds);
    hc->regs[R_EBX] = 0x600DD00D;
    hc->regs[R_ECX] = 0x2000;
    int r = run_code(pm_write, sizeof pm_write);
    EXPECT_CLEAN(r, pm_write);
    ck_assert_uint_eq(h_r32(0x202000), 0x600DD00D);
    hc->regs[R_ECX] = 0x800;
    r = run_code(pm_write, sizeof pm_write);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
}
END_TEST

/* ------------------------------------------------------------------ far transfers */

START_TEST(test_far_jmp_call_retf)
{
    pm_setup();
    h_load(H_CODE + 0x40, far_main, sizeof far_main);
    h_load(H_CODE + 0x80, far_func0, sizeof far_func0);
    h_load(H_CODE + 0x300, far_func70, sizeof far_func70);
    h_load(H_CODE + 0x500, far_end, sizeof far_end);
    h_w32(0x20000, H_CODE + 0x500); /* fword for jmp [0x20000]: offset, selector */
    h_w16(0x20004, SEL_CODE0);
    h_load(H_CODE, far_start, sizeof far_start);
    hc->eip = H_CODE;
    /* jmp 0x08:0x10040 */
    ck_assert_int_eq(h_run(1), CPU_RUN_LIMIT);
    ck_assert_uint_eq(hc->eip, H_CODE + 0x40);
    ck_assert_uint_eq(hc->seg[S_CS].sel, SEL_CODE0);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
    /* call 0x08:0x10080 */
    h_run(1);
    ck_assert_uint_eq(hc->eip, H_CODE + 0x80);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 8);
    ck_assert_uint_eq(h_stack(0), H_CODE + 0x47);
    ck_assert_uint_eq(h_stack(1), SEL_CODE0);
    /* retf */
    h_run(1);
    ck_assert_uint_eq(hc->eip, H_CODE + 0x47);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
    /* call 0x70:0x300 -- a code segment with base 0x10000 */
    h_run(1);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->seg[S_CS].sel, SEL_CODE_B);
    ck_assert_uint_eq(hc->seg[S_CS].base, 0x10000);
    ck_assert_uint_eq(hc->eip, 0x300);
    ck_assert_uint_eq(h_stack(0), H_CODE + 0x4E);
    ck_assert_uint_eq(h_stack(1), SEL_CODE0);
    /* mov esi, cs */
    h_run(1);
    ck_assert_uint_eq(hc->regs[R_ESI] & 0xFFFF, SEL_CODE_B);
    /* retf 8: also releases 8 bytes of parameters */
    h_run(1);
    ck_assert_uint_eq(hc->seg[S_CS].sel, SEL_CODE0);
    ck_assert_uint_eq(hc->seg[S_CS].base, 0);
    ck_assert_uint_eq(hc->eip, H_CODE + 0x4E);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK + 8);
    /* jmp fword ptr [0x20000] -> 0x08:0x10500, hlt */
    int r = h_run_halt(10);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->eip, H_CODE + 0x501);
}
END_TEST

/* ------------------------------------------------------------------ interrupts */

START_TEST(test_int_iret_gates)
{
    pm_setup();
    h_idt_set(0x41, SEL_CODE0, H_STUB(0x41), GATE_TRAP0);
    h_load(H_CODE, int_prog, sizeof int_prog);
    hc->eip = H_CODE;
    cpu_set_eflags(hc, 2 | F_OF); /* OF for INTO; IF set by the STI */
    /* int 0x40 through an interrupt gate: IF cleared in the handler */
    int r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, 0x40);
    ck_assert_uint_eq(hc->eip, H_STUB(0x40) + 1);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 12);
    ck_assert_uint_eq(h_stack(0), H_CODE + 3); /* EIP after INT */
    ck_assert_uint_eq(h_stack(1), SEL_CODE0);
    ck_assert_uint_eq(h_stack(2) & (F_IF | F_OF | 2), F_IF | F_OF | 2);
    ck_assert(!(h_flags() & F_IF));
    /* IRET back; int 0x41 through a trap gate: IF stays set */
    h_resume();
    r = h_run_halt(100);
    ck_assert_int_eq(hc->last_vector, 0x41);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 12);
    ck_assert_uint_eq(h_stack(0), H_CODE + 5);
    ck_assert(h_flags() & F_IF);
    /* INT3: vector 3, EIP after the INT3 */
    h_resume();
    r = h_run_halt(100);
    ck_assert_int_eq(hc->last_vector, EX_BP);
    ck_assert_uint_eq(h_stack(0), H_CODE + 6);
    /* INTO with OF=1: vector 4, EIP after the INTO */
    h_resume();
    r = h_run_halt(100);
    ck_assert_int_eq(hc->last_vector, EX_OF);
    ck_assert_uint_eq(h_stack(0), H_CODE + 7);
    /* back in the main program, flags restored by IRET */
    h_resume();
    r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->eip, H_CODE + sizeof int_prog);
    ck_assert_uint_eq(hc->regs[R_EAX], 0x12345678);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK);
    ck_assert_uint_eq(h_flags() & (F_IF | F_OF), F_IF | F_OF);
}
END_TEST

/* INT 0x80 from ring 3 through a DPL-3 interrupt gate: stack switch to
 * SS0:ESP0 from the TSS, the old SS:ESP pushed; IRET returns to ring 3. */
START_TEST(test_ring3_int_to_ring0_and_back)
{
    pm_setup();
    h_idt_set(0x80, SEL_CODE0, H_STUB(0x80), GATE_INT3);
    h_load(H_CODE, user_prog, sizeof user_prog);
    h_ring3(H_CODE, H_USTACK);
    cpu_set_eflags(hc, 2 | F_IF | F_CF);
    int r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, 0x80);
    ck_assert_int_eq(hc->cpl, 0);
    ck_assert_uint_eq(hc->seg[S_CS].sel, SEL_CODE0);
    ck_assert_uint_eq(hc->seg[S_SS].sel, SEL_DATA0);
    ck_assert_uint_eq(hc->regs[R_ESP], H_KSTACK - 20);
    ck_assert_uint_eq(h_stack(0), H_CODE + 2);                          /* EIP */
    ck_assert_uint_eq(h_stack(1), SEL_CODE3);                           /* CS */
    ck_assert_uint_eq(h_stack(2) & (F_IF | F_CF | 2), F_IF | F_CF | 2); /* EFLAGS */
    ck_assert_uint_eq(h_stack(3), H_USTACK);                            /* ESP */
    ck_assert_uint_eq(h_stack(4), SEL_DATA3);                           /* SS */
    ck_assert(!(h_flags() & F_IF));
    /* the handler loads a DPL-0 DS: IRET to ring 3 must null it */
    cpu_set_seg_raw(hc, S_DS, SEL_DATA0, 0, 0xFFFFFFFF, 0xC093);
    h_resume();
    h_run(1); /* IRET */
    ck_assert_int_eq(hc->last_vector, 0x80);
    ck_assert_int_eq(hc->cpl, 3);
    ck_assert_uint_eq(hc->seg[S_CS].sel, SEL_CODE3);
    ck_assert_uint_eq(hc->seg[S_SS].sel, SEL_DATA3);
    ck_assert_uint_eq(hc->regs[R_ESP], H_USTACK);
    ck_assert_uint_eq(hc->eip, H_CODE + 2);
    ck_assert_uint_eq(h_flags() & (F_IF | F_CF), F_IF | F_CF);
    ck_assert_uint_eq(hc->seg[S_DS].sel, 0);
    ck_assert_uint_eq(hc->seg[S_ES].sel, SEL_DATA3);
    /* mov ebx; then HLT at CPL 3 -> #GP(0) delivered on the ring-0 stack */
    r = h_run_halt(100);
    ck_assert_uint_eq(hc->regs[R_EBX], 0x1234);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE + 7);
    ck_assert_uint_eq(hc->regs[R_ESP], H_KSTACK - 24);
    ck_assert_uint_eq(h_stack(2), SEL_CODE3);
    ck_assert_uint_eq(h_stack(4), H_USTACK);
    ck_assert_uint_eq(h_stack(5), SEL_DATA3);
}
END_TEST

/* A software INT through a gate with DPL < CPL: #GP(vector*8 + 2). */
START_TEST(test_int_gate_dpl_check)
{
    pm_setup();
    h_load(H_CODE, user_prog, sizeof user_prog); /* int 0x80, gate left at DPL 0 */
    h_ring3(H_CODE, H_USTACK);
    int r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_GP, 0x80 * 8 + 2, H_CODE);
    ck_assert_int_eq(hc->cpl, 0);
}
END_TEST

START_TEST(test_cpl3_cli_in_gp)
{
    pm_setup();
    h_load(H_CODE, user_cli, sizeof user_cli);
    h_ring3(H_CODE, H_USTACK);
    cpu_set_eflags(hc, 2 | F_IF); /* IOPL 0 */
    int r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    ck_assert_uint_eq(h_stack(2), SEL_CODE3);
    ck_assert(h_stack(3) & F_IF); /* CLI did not happen */
    /* IOPL 3: CLI is allowed at CPL 3 (the HLT after it still is not) */
    pm_setup();
    h_load(H_CODE, user_cli, sizeof user_cli);
    h_ring3(H_CODE, H_USTACK);
    cpu_set_eflags(hc, 2 | F_IF | F_IOPL);
    r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE + 1);
    ck_assert(!(h_stack(3) & F_IF));
    /* IN at CPL 3 with IOPL 0 and no I/O bitmap in the TSS: #GP(0) */
    pm_setup();
    h_load(H_CODE, user_in, sizeof user_in);
    h_ring3(H_CODE, H_USTACK);
    r = h_run_halt(100);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
}
END_TEST

/* ------------------------------------------------------------------ SYSENTER / SYSEXIT */

START_TEST(test_sysenter_sysexit)
{
    pm_setup();
    h_load(H_CODE + 0x100, sysenter_user, sizeof sysenter_user);
    h_load(H_CODE + 0x200, sysenter_target, sizeof sysenter_target);
    h_load(H_CODE, sysenter_setup, sizeof sysenter_setup);
    hc->eip = H_CODE;
    cpu_set_eflags(hc, 2 | F_IF);
    /* three WRMSRs, then SYSEXIT to ring 3: 13 instructions */
    ck_assert_int_eq(h_run(13), CPU_RUN_LIMIT);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->sysenter_cs, 0x08);
    ck_assert_uint_eq(hc->sysenter_esp, 0x68000);
    ck_assert_uint_eq(hc->sysenter_eip, 0x10200);
    ck_assert_int_eq(hc->cpl, 3);
    ck_assert_uint_eq(hc->seg[S_CS].sel, 0x08 + 16 + 3);
    ck_assert_uint_eq(hc->seg[S_SS].sel, 0x08 + 24 + 3);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x4F000);
    ck_assert_uint_eq(hc->eip, 0x10100);
    ck_assert(hc->code32);
    /* ring 3: mov esi; sysenter -> ring 0 at SYSENTER_EIP, HLT */
    int r = h_run_halt(100);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_int_eq(hc->cpl, 0);
    ck_assert_uint_eq(hc->regs[R_ESI], 0x5555);
    ck_assert_uint_eq(hc->seg[S_CS].sel, 0x08);
    ck_assert_uint_eq(hc->seg[S_SS].sel, 0x10);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x68000);
    ck_assert_uint_eq(hc->eip, 0x10201);
    ck_assert(!(h_flags() & F_IF)); /* SYSENTER clears IF */
}
END_TEST

START_TEST(test_sysenter_faults)
{
    /* SYSENTER_CS = 0: #GP(0) */
    pm_setup();
    int r = run_code(pm_sysenter, sizeof pm_sysenter);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    /* SYSEXIT at CPL 3: #GP(0) */
    pm_setup();
    hc->sysenter_cs = 0x08;
    h_ring3(H_CODE, H_USTACK);
    r = run_code(pm_sysexit, sizeof pm_sysexit);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    /* SYSENTER in real mode: #GP (vector 13 through the IVT) */
    h_real(0x1000, 0);
    hc->sysenter_cs = 0x08;
    r = run_code(pm_sysenter, sizeof pm_sysenter);
    ck_assert_int_eq(hc->last_vector, EX_GP);
    ck_assert_uint_eq(h_r16(0xFFF8), 0);
}
END_TEST

START_TEST(test_lss)
{
    pm_setup();
    h_w32(0x20000, 0x7000);
    h_w16(0x20004, SEL_LIM);
    hc->regs[R_ECX] = 0x20000;
    int r = run_code(lss_prog, sizeof lss_prog);
    EXPECT_CLEAN(r, lss_prog);
    ck_assert_uint_eq(hc->regs[R_ESP], 0x7000);
    ck_assert_uint_eq(hc->seg[S_SS].sel, SEL_LIM);
    ck_assert_uint_eq(hc->seg[S_SS].base, 0x100000);
    /* LSS with RPL 3 at CPL 0: #GP(sel), ESP unchanged */
    pm_setup();
    h_w16(0x20004, SEL_DATA0 | 3);
    hc->regs[R_ECX] = 0x20000;
    r = run_code(lss_prog, sizeof lss_prog);
    H_EXPECT_EXC(r, EX_GP, SEL_DATA0, H_CODE);
    ck_assert_uint_eq(hc->regs[R_ESP], H_STACK - 16); /* error code, EIP, CS, EFLAGS */
}
END_TEST

/* ------------------------------------------------------------------ CS limit, POPF, CRs */

/* A near JMP to an offset beyond the CS limit faults on the JMP itself
 * (SDM JMP: "IF tempEIP is beyond code segment limit THEN #GP(0)"). */
START_TEST(test_code_limit)
{
    pm_setup();
    cpu_set_seg_raw(hc, S_CS, SEL_CODE_B, 0x10000, 0xFFFF, 0x409B);
    cpu_update_mode(hc);
    hc->regs[R_ECX] = 0x20000;
    int r = run_code(s_jmp_ecx, sizeof s_jmp_ecx);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_GP);
    ck_assert_uint_eq(hc->last_error, 0);
    ck_assert_uint_eq(h_stack(2), SEL_CODE_B);
    ck_assert_msg(h_stack(1) == 0, "pushed EIP %#x: must be the JMP (0), not its target",
                  h_stack(1));
}
END_TEST

/* Running off the end of the code segment: #GP(0) at the first offset
 * beyond the limit. */
START_TEST(test_code_limit_sequential)
{
    pm_setup();
    cpu_set_seg_raw(hc, S_CS, SEL_CODE_B, 0x10000, 0xFFFF, 0x409B);
    cpu_update_mode(hc);
    h_w8(0x1FFFF, 0x90); /* nop at the last byte of the segment */
    hc->regs[R_ECX] = 0xFFFF;
    int r = run_code(s_jmp_ecx, sizeof s_jmp_ecx);
    H_EXPECT_EXC(r, EX_GP, 0, 0x10000);
    ck_assert_uint_eq(h_stack(2), SEL_CODE_B);
}
END_TEST

/* POPF: IF only changes if CPL <= IOPL, IOPL only at CPL 0, VM never; no fault. */
START_TEST(test_popf_privilege)
{
    static const struct {
        int cpl;
        uint32_t before, popped, after_mask, after;
    } cs[] = {
        /* CPL 3, IOPL 0: IF and IOPL stay, CF changes */
        {3, F_IF, F_CF | F_IOPL, F_IF | F_IOPL | F_CF, F_IF | F_CF},
        /* CPL 3, IOPL 3: IF changes, IOPL stays */
        {3, F_IF | F_IOPL, F_CF, F_IF | F_IOPL | F_CF, F_IOPL | F_CF},
        /* CPL 0: both change */
        {0, F_IF, F_IOPL | F_ZF, F_IF | F_IOPL | F_ZF, F_IOPL | F_ZF},
        /* VM cannot be set by POPF */
        {0, 0, F_VM | F_IF, F_VM | F_IF, F_IF},
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        pm_setup();
        if (cs[k].cpl == 3)
            h_ring3(H_CODE, H_USTACK);
        cpu_set_eflags(hc, 2 | cs[k].before);
        hc->regs[R_EAX] = 2 | cs[k].popped;
        hc->regs[R_EBX] = 0;
        int r = run_code(s_popf_prog, sizeof s_popf_prog);
        ck_assert_int_eq(r, CPU_RUN_HALTED);
        if (cs[k].cpl == 3) { /* the HLT faults: that is the only fault */
            ck_assert_int_eq(hc->last_vector, EX_GP);
            ck_assert_uint_eq(h_stack(1), H_CODE + 4);
        } else {
            ck_assert_int_eq(hc->last_vector, -1);
        }
        ck_assert_msg((hc->regs[R_EBX] & cs[k].after_mask) == cs[k].after,
                      "case %zu: EFLAGS %#x, want %#x under %#x", k, hc->regs[R_EBX], cs[k].after,
                      cs[k].after_mask);
    }
}
END_TEST

START_TEST(test_mov_cr_cpl3)
{
    pm_setup();
    h_ring3(H_CODE, H_USTACK);
    int r = run_code(s_mov_cr0, sizeof s_mov_cr0);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    pm_setup();
    h_ring3(H_CODE, H_USTACK);
    hc->regs[R_EAX] = 0x100000;
    r = run_code(s_mov_cr3w, sizeof s_mov_cr3w);
    H_EXPECT_EXC(r, EX_GP, 0, H_CODE);
    ck_assert_uint_eq(hc->cr3, 0);
}
END_TEST

/* ------------------------------------------------------------------ #DF, triple fault */

/* A contributory exception while delivering a contributory one is a double
 * fault (#DF, vector 8, error code 0); a fault while delivering #DF is a
 * triple fault, which resets the machine (cpu_run returns CPU_RUN_EXIT). */
START_TEST(test_double_and_triple_fault)
{
    pm_setup();
    h_idt_set(EX_GP, SEL_CODE0, H_STUB(EX_GP), 0x0E); /* gate not present */
    hc->regs[R_EAX] = 0x100;                          /* mov ds -> #GP(0x100) */
    int r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    ck_assert_int_eq(r, CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, EX_DF);
    ck_assert_uint_eq(hc->last_error, 0);
    ck_assert_uint_eq(hc->eip, H_STUB(EX_DF) + 1);
    ck_assert_uint_eq(h_stack(0), 0);
    ck_assert(!hm->reset_requested);
    /* #GP whose handler's code segment is not present: #NP during delivery -> #DF */
    pm_setup();
    h_idt_set(EX_GP, SEL_NP, H_STUB(EX_GP), GATE_INT0);
    hc->regs[R_EAX] = 0x100;
    r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    ck_assert_int_eq(hc->last_vector, EX_DF);
    /* and with no usable #DF gate either: triple fault */
    pm_setup();
    h_idt_set(EX_GP, SEL_CODE0, H_STUB(EX_GP), 0x0E);
    h_idt_set(EX_DF, SEL_CODE0, H_STUB(EX_DF), 0x0E);
    hc->regs[R_EAX] = 0x100;
    r = run_code(pm_mov_ds, sizeof pm_mov_ds);
    ck_assert_int_eq(r, CPU_RUN_EXIT);
    ck_assert(hm->reset_requested);
}
END_TEST

static Suite *seg_suite(void)
{
    Suite *s = suite_create("cpu_seg");
    TCase *tc = h_tcase("real");
    tcase_add_test(tc, test_real_mode_segments);
    tcase_add_test(tc, test_real_mode_far_jmp);
    tcase_add_test(tc, test_real_mode_limit);
    suite_add_tcase(s, tc);
    tc = h_tcase("load");
    tcase_add_test(tc, test_null_selector);
    tcase_add_test(tc, test_selector_beyond_gdt_limit);
    tcase_add_test(tc, test_not_present);
    tcase_add_test(tc, test_ss_load_checks);
    tcase_add_test(tc, test_ds_load_type_checks);
    tcase_add_test(tc, test_accessed_bit);
    tcase_add_test(tc, test_ds_privilege_from_ring3);
    tcase_add_test(tc, test_lss);
    suite_add_tcase(s, tc);
    tc = h_tcase("limit");
    tcase_add_test(tc, test_data_limit);
    tcase_add_test(tc, test_stack_limit);
    tcase_add_test(tc, test_expand_down);
    suite_add_tcase(s, tc);
    tc = h_tcase("transfer");
    tcase_add_test(tc, test_far_jmp_call_retf);
    tcase_add_test(tc, test_int_iret_gates);
    tcase_add_test(tc, test_ring3_int_to_ring0_and_back);
    tcase_add_test(tc, test_int_gate_dpl_check);
    tcase_add_test(tc, test_cpl3_cli_in_gp);
    tcase_add_test(tc, test_sysenter_sysexit);
    tcase_add_test(tc, test_sysenter_faults);
    tcase_add_test(tc, test_double_and_triple_fault);
    tcase_add_test(tc, test_code_limit);
    tcase_add_test(tc, test_code_limit_sequential);
    tcase_add_test(tc, test_popf_privilege);
    tcase_add_test(tc, test_mov_cr_cpl3);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(seg_suite)
