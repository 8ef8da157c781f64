#!/usr/bin/env bash
# The monitor with the Multiboot test kernel: info pci, info registers,
# one-line errors, system_reset and quit on a monitor socket
# (scripts/monitor.wbt), the mon:stdio mux's Ctrl-A c and Ctrl-A x
# (scripts/monitor-mux.wbt), and the network commands on a hub with two NICs
# and a user backend (scripts/monitor-net.wbt; with the reference guest:
# test-net-monitor).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$WIREBOX" ] || fail "emulator binary '$WIREBOX' not found"
build_mbtest elf
run_script monitor.wbt --set KERNEL="$MBTEST"
expect_script_ok
run_script monitor-mux.wbt --set KERNEL="$MBTEST"
expect_script_ok
run_script monitor-net.wbt --set KERNEL="$MBTEST"
expect_script_ok
note "ok"
