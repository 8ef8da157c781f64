/* The CPU state both direct-boot loaders hand over in: flat 32-bit
 * protected mode, paging off, interrupts off, A20 on. */
#include "bios/bios.h"
#include "hw/bytes.h"

#include <string.h>

void bios_enter_flat32(Machine *m, uint32_t eip, uint32_t eax, uint32_t ebx, uint32_t esi,
                       uint32_t esp)
{
    /* GDT: null, null, 0x10 flat 4 GiB code, 0x18 flat 4 GiB data (accessed set). */
    uint8_t gdt[32];
    memset(gdt, 0, sizeof gdt);
    st64le(gdt + 0x10, 0x00CF9B000000FFFFull);
    st64le(gdt + 0x18, 0x00CF93000000FFFFull);
    bios_ram_write(m, LINUX_GDT_ADDR, gdt, sizeof gdt);

    machine_set_a20(m, true);
    CPU *c = m->cpu;
    c->gdt_base = LINUX_GDT_ADDR;
    c->gdt_limit = sizeof gdt - 1;
    c->idt_base = 0;
    c->idt_limit = 0;
    c->cr0 = CR0_PE | CR0_ET;
    c->cr2 = c->cr3 = c->cr4 = 0;
    cpu_set_seg_raw(c, S_CS, 0x10, 0, 0xFFFFFFFFu, 0xC09B);
    for (int s = 0; s < 6; s++)
        if (s != S_CS)
            cpu_set_seg_raw(c, s, 0x18, 0, 0xFFFFFFFFu, 0xC093);
    cpu_set_eflags(c, 0x2);
    memset(c->regs, 0, sizeof c->regs);
    c->regs[R_EAX] = eax;
    c->regs[R_EBX] = ebx;
    c->regs[R_ESI] = esi;
    c->regs[R_ESP] = esp;
    c->eip = eip;
    c->halted = false;
    cpu_update_mode(c);
    cpu_tlb_flush(c, true);
}
