/* PCI configuration space (PCI Local Bus Specification 3.0, chapter 6) and
 * the i440FX/PIIX3 registers this board uses: the one list of offsets and
 * bits for the bus (hw/pci.c), the firmware (bios/) and the tests. */
#pragma once

/* Type 0 header */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09 /* programming interface; subclass 0x0A, class 0x0B */
#define PCI_CACHE_LINE_SIZE 0x0C
#define PCI_LATENCY_TIMER 0x0D
#define PCI_HEADER_TYPE 0x0E
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_BAR0 0x10 /* six BARs, 4 bytes apart */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID 0x2E
#define PCI_ROM_ADDRESS 0x30
#define PCI_ROM_ADDRESS_ENABLE 0x1
#define PCI_ROM_ADDRESS_MASK 0xFFFFF800u
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN 0x3D
#define PCI_MIN_GNT 0x3E
#define PCI_MAX_LAT 0x3F

/* Command register */
#define PCI_CMD_IO 0x0001
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_PARITY 0x0040
#define PCI_CMD_SERR 0x0100
#define PCI_CMD_INTX_DISABLE 0x0400

/* Status register */
#define PCI_STATUS_INT 0x0008 /* INTx# asserted */
#define PCI_STATUS_CAP_LIST 0x0010

/* BAR low bits */
#define PCI_BAR_IO 0x1

/* Config mechanism #1 */
#define PCI_CONFIG_ADDRESS_PORT 0xCF8
#define PCI_CONFIG_DATA_PORT 0xCFC

/* QEMU's PCI subsystem IDs (Red Hat, QEMU); on the host bridge they tell
 * SeaBIOS that the board is a QEMU-compatible PC. */
#define QEMU_SUBSYS_VENDOR 0x1AF4
#define QEMU_SUBSYS_ID 0x1100

/* i440FX host bridge at 00.0 */
#define I440FX_VENDOR 0x8086
#define I440FX_DEVICE 0x1237
#define I440FX_PAM0 0x59 /* PAM0-PAM6: 0x59-0x5F; nibble bit 0: read RAM, bit 1: write RAM */
#define I440FX_SMRAM 0x72

/* PIIX3 PCI-to-ISA bridge at 01.0 */
#define PIIX3_VENDOR 0x8086
#define PIIX3_DEVICE 0x7000
#define PIIX3_DEVFN 0x08
#define PIIX3_PIRQ 0x60       /* PIRQRC[A:D]: 0x60-0x63 */
#define PIIX3_PIRQ_DISABLE 0x80
#define PIIX3_RESET_CONTROL_PORT 0xCF9
