/* Multiboot (version 0.6.96) as the boot loader sees it: the header a
 * kernel carries, the information structure it is handed, and where
 * wirebox puts things. Shared by bios/multiboot.c and its unit test. */
#pragma once

#define MB_HEADER_MAGIC 0x1BADB002u /* in the kernel's first 8 KiB, 4-byte aligned */
#define MB_BOOT_MAGIC 0x2BADB002u   /* EAX at the kernel's entry */
#define MB_SEARCH 8192

/* Header flags: bits 0-15 are requirements (a loader that does not know
 * one must refuse the kernel), bits 16-31 optional features. */
#define MB_HF_PAGE_ALIGN 0x00000001u /* modules on 4 KiB boundaries */
#define MB_HF_MEMINFO 0x00000002u    /* mem_* and mmap_* fields */
#define MB_HF_VIDEO 0x00000004u      /* a video mode (wirebox has no display: ignored) */
#define MB_HF_AOUT_KLUDGE 0x00010000u /* load addresses in the header */

/* Header fields, offsets from the magic. */
#define MB_H_MAGIC 0
#define MB_H_FLAGS 4
#define MB_H_CHECKSUM 8
#define MB_H_HEADER_ADDR 12
#define MB_H_LOAD_ADDR 16
#define MB_H_LOAD_END_ADDR 20
#define MB_H_BSS_END_ADDR 24
#define MB_H_ENTRY_ADDR 28
#define MB_H_SIZE_AOUT 32

/* The information structure: flags say which fields are valid. */
#define MB_INFO_MEMORY 0x001u
#define MB_INFO_BOOTDEV 0x002u
#define MB_INFO_CMDLINE 0x004u
#define MB_INFO_MODS 0x008u
#define MB_INFO_MMAP 0x040u
#define MB_INFO_LOADER_NAME 0x200u

#define MB_I_FLAGS 0
#define MB_I_MEM_LOWER 4 /* KiB below 640 KiB */
#define MB_I_MEM_UPPER 8 /* KiB from 1 MiB */
#define MB_I_BOOT_DEVICE 12
#define MB_I_CMDLINE 16
#define MB_I_MODS_COUNT 20
#define MB_I_MODS_ADDR 24
#define MB_I_MMAP_LENGTH 44
#define MB_I_MMAP_ADDR 48
#define MB_I_LOADER_NAME 64
#define MB_I_SIZE 120

/* A module entry (16 bytes): start, end (first byte after it), string, 0. */
#define MB_MOD_SIZE 16
/* A memory map entry: size (20, not counting itself), base (64), length (64), type. */
#define MB_MMAP_ENTRY 24
#define MB_MMAP_RAM 1
#define MB_MMAP_RESERVED 2

/* Where wirebox puts the information structure and what it points to (the
 * memory map, the module list, the strings): low memory, which a Multiboot
 * kernel (loaded at 1 MiB or above) does not use. */
#define MB_INFO_ADDR 0x10000u
#define MB_INFO_END 0x9F000u
#define MB_STACK_TOP 0x10000u /* ESP at the entry (the spec leaves it undefined) */
#define MB_LOAD_MIN 0x100000u /* kernels and modules load at 1 MiB or above */
