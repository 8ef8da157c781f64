/* QEMU's firmware configuration interface (fw_cfg), as QEMU documents it in
 * docs/specs/fw_cfg.rst: the ports, the item keys firmware reads, the file
 * directory and the DMA interface. Shared by the device (hw/fw_cfg.c), the
 * firmware set-up that fills it (bios/) and their tests. */
#pragma once

/* x86 I/O ports */
#define FW_CFG_IO_BASE 0x510
#define FW_CFG_PORT_SEL 0x510   /* 16-bit write: select an item, offset 0 */
#define FW_CFG_PORT_DATA 0x511  /* 8-bit read: the next byte of the item (0 past its end) */
#define FW_CFG_PORT_DMA 0x514   /* 8 bytes: reads "QEMU CFG"; writes the DMA address, big-endian */
#define FW_CFG_IO_LEN 0x0C      /* 0x510-0x51B */
#define FW_CFG_DMA_OFFSET 4     /* FW_CFG_PORT_DMA - FW_CFG_IO_BASE */

/* Item keys (selector values) */
#define FW_CFG_SIGNATURE 0x0000 /* "QEMU" */
#define FW_CFG_ID 0x0001        /* 32-bit LE feature bits: */
#define FW_CFG_VERSION_TRADITIONAL 0x01
#define FW_CFG_VERSION_DMA 0x02
#define FW_CFG_UUID 0x0002
#define FW_CFG_RAM_SIZE 0x0003  /* 64-bit LE */
#define FW_CFG_NOGRAPHIC 0x0004 /* 16-bit */
#define FW_CFG_NB_CPUS 0x0005   /* 16-bit */
#define FW_CFG_MACHINE_ID 0x0006
#define FW_CFG_KERNEL_ADDR 0x0007  /* 32-bit: where the protected-mode kernel goes */
#define FW_CFG_KERNEL_SIZE 0x0008
#define FW_CFG_KERNEL_CMDLINE 0x0009
#define FW_CFG_INITRD_ADDR 0x000A
#define FW_CFG_INITRD_SIZE 0x000B
#define FW_CFG_BOOT_DEVICE 0x000C  /* 16-bit: the first -boot order letter */
#define FW_CFG_NUMA 0x000D         /* 64-bit node count, then per-CPU and per-node data */
#define FW_CFG_BOOT_MENU 0x000E    /* 16-bit: 1 = boot menu on */
#define FW_CFG_MAX_CPUS 0x000F     /* 16-bit */
#define FW_CFG_KERNEL_ENTRY 0x0010
#define FW_CFG_KERNEL_DATA 0x0011
#define FW_CFG_INITRD_DATA 0x0012
#define FW_CFG_CMDLINE_ADDR 0x0013
#define FW_CFG_CMDLINE_SIZE 0x0014 /* including the NUL */
#define FW_CFG_CMDLINE_DATA 0x0015
#define FW_CFG_SETUP_ADDR 0x0016   /* the real-mode setup part of a bzImage */
#define FW_CFG_SETUP_SIZE 0x0017
#define FW_CFG_SETUP_DATA 0x0018
#define FW_CFG_FILE_DIR 0x0019     /* the file directory, below */
#define FW_CFG_FILE_FIRST 0x0020   /* files get keys from here on */
#define FW_CFG_WRITE_CHANNEL 0x4000 /* selector bit: the guest may write the item */
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_ENTRY_MASK 0x3FFF   /* key bits besides WRITE_CHANNEL */

/* The file directory (FW_CFG_FILE_DIR), all big-endian: a 32-bit count,
 * then one 64-byte entry per file. */
#define FW_CFG_DIR_ENTRY_SIZE 64
#define FW_CFG_DIR_SIZE 0       /* u32 be: item size in bytes */
#define FW_CFG_DIR_SELECT 4     /* u16 be: its key */
#define FW_CFG_DIR_NAME 8       /* NUL-terminated, at most 55 characters */
#define FW_CFG_MAX_NAME 56

/* DMA (FW_CFG_VERSION_DMA): the guest writes the guest-physical address of
 * a 16-byte FWCfgDmaAccess, big-endian, high half to FW_CFG_PORT_DMA and low
 * half to FW_CFG_PORT_DMA + 4 (which starts the transfer). The structure,
 * all big-endian: */
#define FW_CFG_DMA_CONTROL 0  /* u32: control bits below; the device writes 0 or ERROR back */
#define FW_CFG_DMA_LENGTH 4   /* u32 */
#define FW_CFG_DMA_ADDRESS 8  /* u64: guest-physical buffer */
#define FW_CFG_DMA_STRUCT_SIZE 16
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08 /* select the item in control bits 31-16 first */
#define FW_CFG_DMA_CTL_WRITE 0x10
#define FW_CFG_DMA_SIGNATURE "QEMU CFG" /* what reading the 8 DMA address bytes gives */

/* The ACPI table-loader script (file "etc/table-loader"), QEMU's
 * BiosLinkerLoader: 128-byte little-endian commands that the firmware runs
 * to place files in memory, patch pointers between them and fix checksums. */
#define FW_CFG_LOADER_CMD_SIZE 128
#define FW_CFG_LOADER_ALLOCATE 1     /* file[56], u32 align, u8 zone */
#define FW_CFG_LOADER_ADD_POINTER 2  /* dest[56], src[56], u32 offset, u8 size */
#define FW_CFG_LOADER_ADD_CHECKSUM 3 /* file[56], u32 offset, u32 start, u32 length */
#define FW_CFG_LOADER_ZONE_HIGH 1    /* anywhere in RAM the firmware reserves */
#define FW_CFG_LOADER_ZONE_FSEG 2    /* in the 0xF0000 segment (an RSDP) */
