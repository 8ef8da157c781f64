#!/usr/bin/env bash
# ACPI power management, as a user sees it.
#  1. Direct Linux boot (-kernel): Linux loads wirebox's ACPI tables without
#     an error or warning, routes PCI interrupts through the DSDT's links,
#     finds the power button; SIGPWR to wirebox presses it, the guest's acpid
#     runs 'poweroff' (which asks init), and the power-off ends wirebox with
#     status 0.
#  2. The same through SeaBIOS (an isolinux CD, no -kernel), with the tables
#     handed to the firmware over fw_cfg.
# Neither boot has -no-reboot: a reboot instead of the power-off would run
# until the timeout.
: "${WB_TIMEOUT:=600}" # per boot
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/fwlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/fwlib.sh"
# shellcheck source=tests/integration/bootimg.sh
source "$(dirname "${BASH_SOURCE[0]}")/bootimg.sh"

require_guest
bootimg_need
# Host time, not -icount sleep=off: the guest waits for the test (its shell,
# the button), and with sleep=off its idle time would race ahead meanwhile.
start acpi-power -m 256 -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" \
    -append "console=ttyS0 nokaslr wb.cmd=shell" -nic none
wait_for "WIREBOX-READY" "the guest's shell"
expect "ACPI: RSDP 0x00000000000F0400 000014 (v00 WIREBX)" "the RSDP where the firmware put it"
expect "ACPI: Interpreter enabled" "the kernel"
expect "ACPI: PM: (supports S0 S5)" "the kernel"
expect "ACPI: PCI: Interrupt link LNKA configured for IRQ 10" "the kernel"
expect "ACPI: PCI Root Bridge [PCI0]" "the kernel"
expect "clocksource: acpi_pm:" "the kernel (the PM timer)"
expect "ACPI: button: Power Button [PWRF]" "the kernel"
# No ACPI errors, warnings or firmware bugs on the console (where the kernel
# prints all but debug messages with this command line).
if grep -aiE 'acpi.*(error|warn)|firmware bug' "$WB_LAST_LOG" >&2; then
    fail "the kernel reported ACPI problems (above)"
fi

kill -PWR "$WB_PID"
wait_for "WIREBOX-POWERBUTTON" "the guest's acpid"
wait_exit
expect "reboot: Power down" "the kernel powering off"
grep -qF "power button pressed (SIGPWR)" "$WB_LAST_LOG.stderr" || fail "wirebox did not log the press"
expect_clean_exit
note "$((SECONDS - WB_T0))s"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wb-acpi.XXXXXX")
trap 'stop_guest; rm -rf "$WORK"' EXIT
make_boot_iso "$WORK/boot.iso" "console=ttyS0 nokaslr wb.cmd=shell"
start seabios-power -m 256 -nic none -cdrom "$WORK/boot.iso"
wait_for "ISOLINUX" "isolinux"
wait_for "WIREBOX-READY" "the guest's shell"
expect "ACPI: RSDT" "the kernel"
expect "ACPI: PM: (supports S0 S5)" "the kernel"
expect "ACPI: button: Power Button [PWRF]" "the kernel"
if grep -aiE 'acpi.*(error|warn)|firmware bug' "$WB_LAST_LOG" >&2; then
    fail "the kernel reported ACPI problems (above)"
fi
kill -PWR "$WB_PID"
wait_for "WIREBOX-POWERBUTTON" "the guest's acpid"
wait_exit
expect "reboot: Power down" "the kernel powering off"
expect_clean_exit
note "ok"
