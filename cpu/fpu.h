/* x87 FPU state and the one entry point the decoder calls for D8-DF. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

typedef struct CPU CPU;

typedef struct FPU {
    long double st[8]; /* physical registers R0..R7; ST(i) = st[(top + i) & 7] */
    uint16_t cw;       /* control word */
    uint16_t sw;       /* status word without TOP (bits 11-13 kept in top) */
    uint16_t tag;      /* full 2-bit-per-register tag word (00 valid, 01 zero, 10 special, 11 empty) */
    int top;
    uint16_t fop;      /* last opcode (11 bits) */
    uint32_t fip, fdp; /* last instruction / data pointer (offsets) */
    uint16_t fcs, fds; /* their selectors */
} FPU;

/* FNINIT state (also used at CPU reset, with cw=0x40 per the SDM for reset). */
void fpu_reset(FPU *f);
/* Execute one x87 instruction. op is the escape byte 0xD8..0xDF, modrm the
 * ModRM byte. For memory forms (mod != 3) seg/ea give the operand's segment
 * (S_*) and offset; memory goes through cpu_ld and cpu_st calls. opsize32 selects the
 * 32-bit layout of FSTENV/FLDENV/FSAVE/FRSTOR (else 16-bit). The caller has
 * already raised #NM for CR0.EM/TS. */
void fpu_exec(CPU *c, uint8_t op, uint8_t modrm, int seg, uint32_t ea, bool opsize32);
/* FWAIT/WAIT, and the check every waiting FPU instruction does first: an
 * unmasked pending exception raises #MF (CR0.NE=1) or IRQ13 (NE=0). */
void fpu_wait(CPU *c);
/* FXSAVE / FXRSTOR of the 512-byte image at seg:ea (x87 state only: no
 * SSE). The caller checks #UD/#NM and the 16-byte alignment. */
void fpu_fxsave(CPU *c, int seg, uint32_t ea);
void fpu_fxrstor(CPU *c, int seg, uint32_t ea);
/* Full status word with TOP merged in. */
uint16_t fpu_get_sw(const FPU *f);
