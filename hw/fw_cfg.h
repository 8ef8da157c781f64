/* The firmware configuration device (fw_cfg) of a QEMU PC: how the machine
 * tells its firmware (SeaBIOS, and the option ROMs it runs) what it is made
 * of. Items are byte strings under 16-bit keys (hw/fw_cfg_regs.h); named
 * items ("files", e.g. "etc/e820", "bootorder", "genroms/linuxboot_dma.bin")
 * are listed in a directory the firmware looks names up in. The guest reads
 * them through ports 0x510/0x511 or by DMA (0x514).
 *
 * Adding what the firmware should see, from anywhere that is handed the
 * board's FwCfg (pc_board(m)->fw_cfg; NULL on a board without one):
 *
 *     fw_cfg_add_file(fw, "etc/boot-fail-wait", &le32, 4);
 *     fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, 1);
 *
 * Data is copied; adding a key or file name again replaces its data. Items
 * are read-only for the guest: a DMA write is answered with the error bit.
 * Everything should be added before the guest runs (the firmware reads the
 * directory once); items stay across guest resets. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/fw_cfg_regs.h"
#include "hw/machine.h"

typedef struct FwCfg FwCfg;

/* The device at ports base..base+FW_CFG_IO_LEN-1 (FW_CFG_IO_BASE on a PC),
 * with the signature, the ID (DMA supported) and an empty directory. */
FwCfg *fw_cfg_new(Machine *m, uint16_t base);

/* An item under a fixed key (< FW_CFG_FILE_FIRST, or FW_CFG_ARCH_LOCAL|n). */
void fw_cfg_add_bytes(FwCfg *f, uint16_t key, const void *data, size_t len);
void fw_cfg_add_i16(FwCfg *f, uint16_t key, uint16_t v); /* little-endian */
void fw_cfg_add_i32(FwCfg *f, uint16_t key, uint32_t v);
void fw_cfg_add_i64(FwCfg *f, uint16_t key, uint64_t v);
void fw_cfg_add_string(FwCfg *f, uint16_t key, const char *s); /* with its NUL */

/* A file. Returns its key, or -1 (and logs why) if the name is empty or
 * longer than 55 characters, or the directory is full (FW_CFG_MAX_FILES). */
#define FW_CFG_MAX_FILES 256
int fw_cfg_add_file(FwCfg *f, const char *name, const void *data, size_t len);

/* A file whose content may change until the firmware reads it: cb runs
 * whenever the guest selects it (before reading) and may rewrite the data
 * in place, keeping its length (the directory announced it). E.g. the ACPI
 * tables, which name I/O addresses the firmware programs first. */
typedef void (*FwCfgSelectCb)(void *opaque, uint8_t *data, size_t len);
int fw_cfg_add_file_cb(FwCfg *f, const char *name, const void *data, size_t len,
                       FwCfgSelectCb cb, void *opaque);

/* What an item holds, for tests and for firmware set-up that reads back
 * (NULL if there is no such item). */
const uint8_t *fw_cfg_item(const FwCfg *f, uint16_t key, size_t *len);
const uint8_t *fw_cfg_file(const FwCfg *f, const char *name, size_t *len);
