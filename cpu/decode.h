/* The opcode table's shape, shared by the decoder and the handlers. */
#pragma once
#include "cpu/cpu_internal.h"

enum {
    D_M = 0x001,     /* ModRM follows */
    D_IB = 0x002,    /* imm8, zero-extended */
    D_IBS = 0x004,   /* imm8, sign-extended */
    D_IW = 0x008,    /* imm16 */
    D_IZ = 0x010,    /* imm16 or imm32 by operand size */
    D_MOFFS = 0x020, /* offset of address size (MOV A0-A3) */
    D_ENTER = 0x040, /* imm16 then imm8 */
    D_FAR = 0x080,   /* offset (operand size) then selector (imm2) */
    D_ALU = 0x100,   /* sub = ALU operation from opcode bits 3-5 */
    D_CC = 0x200,    /* sub = condition code from opcode bits 0-3 */
    D_REG = 0x400,   /* reg = opcode bits 0-2 */
    D_GRP = 0x800,   /* member chosen by ModRM.reg from grp; sub = reg */
    D_END = 0x1000,  /* a block ends here: control leaves the fall-through path */
};

typedef struct OpDesc {
    InsnFn f16, f32; /* handler for 16- and 32-bit operand size */
    uint16_t flags;
    const struct OpDesc *grp; /* 8 members, for D_GRP */
} OpDesc;

extern const OpDesc op_table[512];
