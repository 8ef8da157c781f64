/* Bits of 32-bit page-directory and page-table entries (Intel SDM vol. 3,
 * 4.3 "32-bit paging"): the MMU (cpu/mmu.c) and its unit test
 * (tests/unit/test_cpu_paging.c) both use this one list. */
#pragma once

#define PTE_P 0x001u  /* present */
#define PTE_W 0x002u  /* read/write */
#define PTE_U 0x004u  /* user/supervisor */
#define PTE_A 0x020u  /* accessed */
#define PTE_D 0x040u  /* dirty (PTE or 4 MiB PDE) */
#define PTE_PS 0x080u /* page size: a 4 MiB page (PDE, with CR4.PSE) */
#define PTE_G 0x100u  /* global (with CR4.PGE) */
