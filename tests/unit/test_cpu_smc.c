/* Self-modifying code, for both engines (the translator keeps translations
 * of guest code, the interpreter decoded blocks; both must notice every way
 * code changes):
 *   - a program that patches the instruction it executes next;
 *   - one that patches an instruction later in the same block, after
 *     that block started running;
 *   - code that arrives by a NIC's DMA: an e1000 receives a frame into the
 *     buffer the guest has already called into.
 * Machine code generated with GNU as (as --32, .intel_syntax noprefix). */
#include "hw/e1000_regs.h"
#include "net/net.h"
#include "tests/unit/cpu_harness.h"
#include "tests/unit/testutil.h"

/* mov byte ptr [next + 1], 0x42 patches the immediate of the next mov */
static const uint8_t m_patch_next[] = {
    0xC6, 0x05, 0x08, 0x00, 0x01, 0x00, 0x42, /* 0000: mov byte ptr [0x10008], 0x42 */
    0xB0, 0x00,                               /* 0007: mov al, 0 */
    0xF4,                                     /* 0009: hlt */
};

/* The store patches an instruction three further on, in the same block:
 * the block must stop after the store and the new instruction run. */
static const uint8_t m_patch_later[] = {
    0xC6, 0x05, 0x10, 0x00, 0x01, 0x00, 0x07, /* 0000: mov byte ptr [0x10010], 7 */
    0x31, 0xDB,                               /* 0007: xor ebx, ebx */
    0x43,                                     /* 0009: inc ebx */
    0x01, 0xD8,                               /* 000a: add eax, ebx */
    0x8D, 0x04, 0x18,                         /* 000c: lea eax, [eax+ebx] */
    0xB9, 0x00, 0x00, 0x00, 0x00,             /* 000f: mov ecx, 0 (imm patched to 7) */
    0xF4,                                     /* 0014: hlt */
};

/* REP STOSB writes the immediate of the instruction after it */
static const uint8_t m_patch_rep[] = {
    0xBF, 0x0D, 0x00, 0x01, 0x00, /* 0000: mov edi, 0x1000d */
    0xB9, 0x04, 0x00, 0x00, 0x00, /* 0005: mov ecx, 4 */
    0xF3, 0xAA,                   /* 000a: rep stosb */
    0xBB, 0x00, 0x00, 0x00, 0x00, /* 000c: mov ebx, 0 (imm patched) */
    0xF4,                         /* 0011: hlt */
};

/* call 0x200040 (the code in the receive buffer); hlt */
static const uint8_t m_call_rx[] = {
    0xE8, 0x3B, 0x00, 0x1F, 0x00, /* 0000: call 0x200040 */
    0xF4,                         /* 0005: hlt */
};
static const uint8_t rx_code_old[] = {
    0xB8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
    0xC3,                         /* ret */
};
static const uint8_t rx_code_new[] = {
    0xB8, 0x02, 0x00, 0x00, 0x00, /* mov eax, 2 */
    0xC3,                         /* ret */
};

static int run_code(const uint8_t *code, size_t n)
{
    h_load(H_CODE, code, n);
    hc->eip = H_CODE;
    hc->halted = false;
    hc->last_vector = -1;
    return h_run_halt(100000);
}

START_TEST(test_smc_patch_next_instruction)
{
    h_pm(H_CODE);
    hc->regs[R_EAX] = 0xFFFFFFFF;
    ck_assert_int_eq(run_code(m_patch_next, sizeof m_patch_next), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_EAX], 0xFFFFFF42);
}
END_TEST

START_TEST(test_smc_patch_same_block)
{
    h_pm(H_CODE);
    hc->regs[R_EAX] = 0;
    /* once unpatched first, so the block is translated / decoded already */
    static uint8_t first[sizeof m_patch_later];
    memcpy(first, m_patch_later, sizeof first);
    first[6] = 0; /* store 0: the imm of "mov ecx, 0" stays 0 */
    ck_assert_int_eq(run_code(first, sizeof first), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_ECX], 0);
    /* same addresses, now patching: the rest of the running block is stale */
    hc->regs[R_EAX] = 0;
    ck_assert_int_eq(run_code(m_patch_later, sizeof m_patch_later), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_ECX], 7);
    ck_assert_uint_eq(hc->regs[R_EAX], 2);
}
END_TEST

/* An instruction that runs into the next page (mov ebx, imm32 at 0x12FFE:
 * its immediate's last three bytes at 0x13000), away from the page of the
 * code that jumps to it: the translator decodes it from both pages, and a
 * write to either page must be seen. */
START_TEST(test_smc_instruction_across_pages)
{
    static const uint8_t jmp_to[] = {0xE9, 0xF9, 0x2F, 0x00, 0x00}; /* jmp 0x12FFE */
    static const uint8_t patch_then_jmp[] = {
        0xC6, 0x05, 0x01, 0x30, 0x01, 0x00, 0x55, /* mov byte ptr [0x13001], 0x55 */
        0xE9, 0xF2, 0x2F, 0x00, 0x00,             /* jmp 0x12FFE */
    };
    static const uint8_t straddle[] = {0xBB, 0x11, 0x22, 0x33, 0x44, 0xF4}; /* mov ebx, imm; hlt */
    h_pm(H_CODE);
    h_load(0x12FFE, straddle, sizeof straddle);
    for (int k = 0; k < 3; k++) { /* translated by now */
        hc->regs[R_EBX] = 0;
        ck_assert_int_eq(run_code(jmp_to, sizeof jmp_to), CPU_RUN_HALTED);
        ck_assert_uint_eq(hc->regs[R_EBX], 0x44332211);
        ck_assert_uint_eq(hc->eip, 0x13004);
    }
    /* the guest writes the part in the second page */
    ck_assert_int_eq(run_code(patch_then_jmp, sizeof patch_then_jmp), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_EBX], 0x44552211);
    /* a device (DMA) writes it, and then the part in the first page */
    h_w8(0x13002, 0x66);
    ck_assert_int_eq(run_code(jmp_to, sizeof jmp_to), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EBX], 0x66552211);
    h_w8(0x12FFF, 0x77);
    ck_assert_int_eq(run_code(jmp_to, sizeof jmp_to), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EBX], 0x66552277);
}
END_TEST

START_TEST(test_smc_rep_stos)
{
    h_pm(H_CODE);
    hc->regs[R_EAX] = 0; /* first a run that stores zeroes: code unchanged */
    ck_assert_int_eq(run_code(m_patch_rep, sizeof m_patch_rep), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EBX], 0);
    hc->regs[R_EAX] = 0x5A;
    ck_assert_int_eq(run_code(m_patch_rep, sizeof m_patch_rep), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_uint_eq(hc->regs[R_EBX], 0x5A5A5A5A);
}
END_TEST

/* A loop that stores into its own page, 0x100 bytes past its code (data
 * beside code, as GRUB and BIOSes have it): the code stays valid, so it is
 * translated once, not after every store. */
static const uint8_t m_data_beside_code[] = {
    0xB9, 0xE8, 0x03, 0x00, 0x00,       /* 0000: mov ecx, 1000 */
    0x89, 0x0D, 0x00, 0x01, 0x01, 0x00, /* 0005: mov [0x10100], ecx */
    0x83, 0xC0, 0x01,                   /* 000b: add eax, 1 */
    0x49,                               /* 000e: dec ecx */
    0x75, 0xF4,                         /* 000f: jnz 0005 */
    0xF4,                               /* 0011: hlt */
};

/* Runs code from protected mode with EAX = 0 until it halts without an
 * exception; returns the blocks the translator made meanwhile (0 under the
 * interpreter). */
static uint64_t run_counting_translations(const uint8_t *code, size_t n)
{
    h_pm(H_CODE);
    hc->regs[R_EAX] = 0;
    CpuStats before, after;
    cpu_get_stats(hc, &before);
    ck_assert_int_eq(run_code(code, n), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    cpu_get_stats(hc, &after);
    return after.accel == CPU_ACCEL_TCG ? after.blocks_translated - before.blocks_translated : 0;
}

START_TEST(test_smc_data_beside_code)
{
    uint64_t made = run_counting_translations(m_data_beside_code, sizeof m_data_beside_code);
    ck_assert_uint_eq(hc->regs[R_EAX], 1000);
    ck_assert_uint_eq(h_r8(H_CODE + 0x100), 1);
    ck_assert_uint_lt(made, 10);
}
END_TEST

/* A loop that patches the immediate of an instruction it runs next, on
 * every iteration: each one must see its own patch; after a few, the
 * translator leaves the page to the interpreter instead of translating it
 * again every time. */
static const uint8_t m_patch_every_iteration[] = {
    0xB9, 0xE8, 0x03, 0x00, 0x00,       /* 0000: mov ecx, 1000 */
    0x89, 0x0D, 0x0C, 0x00, 0x01, 0x00, /* 0005: mov [0x1000c], ecx */
    0x05, 0x00, 0x00, 0x00, 0x00,       /* 000b: add eax, imm32 (patched to ecx) */
    0x49,                               /* 0010: dec ecx */
    0x75, 0xF2,                         /* 0011: jnz 0005 */
    0xF4,                               /* 0013: hlt */
};

START_TEST(test_smc_patch_every_iteration)
{
    uint64_t made =
        run_counting_translations(m_patch_every_iteration, sizeof m_patch_every_iteration);
    ck_assert_uint_eq(hc->regs[R_EAX], 500500); /* 1000 + 999 + ... + 1 */
    ck_assert_uint_lt(made, 100);
}
END_TEST

/* ---- code by DMA */

#define E1000_MMIO 0xF0000000u
#define RXR 0x100000u /* receive descriptor ring */
#define RXB 0x200000u /* receive buffer: the frame lands here, code at +0x40 */

static void e1000_wr(uint32_t off, uint32_t v)
{
    phys_write(hm, E1000_MMIO + off, v, 2);
}

START_TEST(test_smc_code_by_nic_dma)
{
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    PcBoard *b = pc_board_init(hm);
    WbCapture cap;
    NetClient *peer = wb_capture_new(hm, "fake", &cap);
    ck_assert_ptr_nonnull(wb_create_device(hm, "e1000,id=nic0", peer, mac));
    PciDevice *dev = pci_find(b->pci, 2 << 3);
    ck_assert_ptr_nonnull(dev);
    pci_config_write(b->pci, dev->devfn, 0x10, E1000_MMIO, 2);
    pci_config_write(b->pci, dev->devfn, 0x04, 0x0007, 1);
    e1000_wr(CTRL, phys_read(hm, E1000_MMIO + CTRL, 2) | CTRL_SLU);
    /* a ring of 8 descriptors (RDLEN is a multiple of 128), the first one
     * free and pointing at RXB; then RCTL.EN | BAM */
    memset(h_ptr(RXR), 0, 128);
    uint64_t buf = RXB;
    memcpy(h_ptr(RXR), &buf, 8);
    e1000_wr(RDBAL, RXR);
    e1000_wr(RDBAH, 0);
    e1000_wr(RDLEN, 128);
    e1000_wr(RDH, 0);
    e1000_wr(RDT, 1);
    e1000_wr(RCTL, RCTL_EN | RCTL_BAM);

    h_pm(H_CODE);
    h_load(RXB + 0x40, rx_code_old, sizeof rx_code_old);
    ck_assert_int_eq(run_code(m_call_rx, sizeof m_call_rx), CPU_RUN_HALTED);
    ck_assert_uint_eq(hc->regs[R_EAX], 1);

    /* A broadcast frame whose bytes at +0x40 are the new code. */
    uint8_t f[128];
    memset(f, 0x90, sizeof f);
    memset(f, 0xFF, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    memcpy(f + 0x40, rx_code_new, sizeof rx_code_new);
    ck_assert_int_eq(net_send(peer, f, sizeof f), (ssize_t)sizeof f);
    ck_assert_uint_eq(h_r8(RXB + 0x41), 2); /* the device wrote it */

    hc->regs[R_ESP] = H_STACK;
    ck_assert_int_eq(run_code(m_call_rx, sizeof m_call_rx), CPU_RUN_HALTED);
    ck_assert_int_eq(hc->last_vector, -1);
    ck_assert_msg(hc->regs[R_EAX] == 2, "EAX = %u: the code from before the DMA ran",
                  hc->regs[R_EAX]);
    net_cleanup(hm);
}
END_TEST

static Suite *smc_suite(void)
{
    Suite *s = suite_create("cpu_smc");
    TCase *tc = h_tcase("smc");
    tcase_add_test(tc, test_smc_patch_next_instruction);
    tcase_add_test(tc, test_smc_patch_same_block);
    tcase_add_test(tc, test_smc_rep_stos);
    tcase_add_test(tc, test_smc_instruction_across_pages);
    tcase_add_test(tc, test_smc_data_beside_code);
    tcase_add_test(tc, test_smc_patch_every_iteration);
    tcase_add_test(tc, test_smc_code_by_nic_dma);
    suite_add_tcase(s, tc);
    return s;
}

H_MAIN(smc_suite)
