/* The translator's interface to the rest of the CPU (cpu.c). */
#pragma once
#include "cpu/cpu_internal.h"

#if defined(__x86_64__)
#define WIREBOX_JIT 1
#else
#define WIREBOX_JIT 0
#endif

typedef struct JitState JitState;

/* Create / destroy the translator's state for c (code buffer, stubs).
 * jit_new returns NULL if it is not available (other hosts, no memory). */
struct JitState *jit_new(CPU *c);
void jit_free(struct JitState *js);
/* Forget every translation (reset: images were reloaded behind our back). */
void jit_flush(CPU *c);
/* Run translated code until the slice ends (icount_limit) or need_check,
 * handing what it cannot translate to the interpreter. Only called in
 * cpu_run's ordinary (not debugging) path. */
void jit_run(CPU *c);
void jit_stats(CPU *c, CpuStats *s);
void jit_print_fallbacks(CPU *c, int n);
/* Called by translated code on an indirect jump: the host code for CS:EIP
 * if it is translated for the current mode and page contents, else NULL. */
void *jit_lookup_indirect(CPU *c);

/* From cpu.c: the interpreter, for what the translator leaves to it. */
void interp_run_blocks(CPU *c); /* until the slice ends or need_check */
void interp_exec_one(CPU *c);   /* one instruction */
void interp_exec_block(CPU *c); /* one decoded block (or instruction) */
