/* The PIIX4 power management function (Intel 82371AB datasheet, function 3;
 * ACPI 1.0 fixed hardware): PCI configuration registers, the PM I/O block
 * and the APM control ports. Shared by the model (hw/acpi_pm.c), the ACPI
 * tables (bios/acpi.c), the firmware set-up and the tests. */
#pragma once

/* PCI identity: 01.3 on QEMU's i440FX machine */
#define PIIX4_PM_VENDOR 0x8086
#define PIIX4_PM_DEVICE 0x7113
#define PIIX4_PM_DEVFN 0x0B
#define PIIX4_PM_REVISION 0x03
#define PIIX4_PM_CLASS 0x068000 /* bridge, other */

/* Configuration registers */
#define PIIX4_PMBA 0x40       /* PM base address: bits 15:6, bit 0 reads 1 (I/O) */
#define PIIX4_PMBA_MASK 0xFFC0
#define PIIX4_DEVACTB 0x58    /* device activity B */
#define PIIX4_DEVACTB_APMC_EN (1u << 25) /* SMI on APMC writes; set: "SMM already set up" */
#define PIIX4_PMREGMISC 0x80  /* bit 0: PM I/O space enable */
#define PIIX4_PMIOSE 0x01
#define PIIX4_SMBBA 0x90      /* SMBus base (stored only) */
#define PIIX4_SMBHSTCFG 0xD2

/* The PM I/O block (64 bytes at PMBA) */
#define PIIX4_PM_IO_LEN 0x40
#define ACPI_PM1_STS 0x00 /* 16-bit, write 1 to clear */
#define ACPI_PM1_EN 0x02  /* 16-bit */
#define ACPI_PM1_CNT 0x04 /* 16-bit */
#define ACPI_PM_TMR 0x08  /* 32-bit, 24 bits count at ACPI_PM_TIMER_HZ */
#define ACPI_GPE0_STS 0x0C /* 16-bit, write 1 to clear */
#define ACPI_GPE0_EN 0x0E  /* 16-bit */
#define ACPI_GPE0_LEN 4    /* the GPE0 block: status and enable halves */
#define ACPI_PM_TIMER_HZ 3579545u

/* PM1_STS / PM1_EN bits */
#define ACPI_PM1_TMROF 0x0001  /* PM timer bit 23 toggled */
#define ACPI_PM1_BM_STS 0x0010
#define ACPI_PM1_GBL 0x0020
#define ACPI_PM1_PWRBTN 0x0100 /* power button pressed */
#define ACPI_PM1_RTC 0x0400
#define ACPI_PM1_WAK 0x8000
#define ACPI_PM1_EVENTS (ACPI_PM1_TMROF | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_RTC)

/* PM1_CNT bits */
#define ACPI_PM1_SCI_EN 0x0001
#define ACPI_PM1_BM_RLD 0x0002
#define ACPI_PM1_GBL_RLS 0x0004
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK 0x1C00
#define ACPI_PM1_SLP_EN 0x2000 /* write-only: enter the state SLP_TYP names */
/* SLP_TYP values of this chip (and the \_Sx packages of the DSDT) */
#define PIIX4_SLP_TYP_S5 0 /* soft off */

/* APM control and status ports (ACPI's SMI_CMD): ACPI_ENABLE / ACPI_DISABLE
 * written to the control port switch SCI_EN, as the SMI handler would. */
#define APM_CNT_PORT 0xB2
#define APM_STS_PORT 0xB3
#define ACPI_ENABLE_CMD 0xF1
#define ACPI_DISABLE_CMD 0xF0

/* The board's choices: the SCI's ISA IRQ, and where firmware puts the PM
 * block (SeaBIOS too, on a QEMU PC that gives it ACPI tables by fw_cfg). */
#define ACPI_SCI_IRQ 9
#define ACPI_PM_BASE_DEFAULT 0x600
