#!/usr/bin/env bash
# Boot the reference guest (Debian's i386 kernel + busybox initramfs) with
# wb.cmd=test: the kernel must boot, /init must run a small workload and
# report, and the guest's reboot must make the emulator (-no-reboot) exit.
# WB_ACCEL (tcg, interp) picks the CPU engine; default: wirebox's (tcg).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
boot test "console=ttyS0 nokaslr wb.cmd=test" ${WB_ACCEL:+-accel "$WB_ACCEL"}
note "boot to result took ${WB_SECONDS}s (log: $WB_LAST_LOG)"

expect "Linux version $GUEST_VERSION " "the kernel banner"
expect "WIREBOX-GUEST: init running" "the /init banner"
expect "WIREBOX-UNAME: $GUEST_VERSION" "uname -r"
if ! grep -qaF "WIREBOX-RESULT: test ok 42" "$WB_LAST_LOG"; then
    reason=$(grep -aF "WIREBOX-RESULT:" "$WB_LAST_LOG" | tr -d '\r' | head -n 1)
    fail "no 'WIREBOX-RESULT: test ok 42' line${reason:+ (got: $reason)}"
fi
expect_clean_exit
note "ok"
