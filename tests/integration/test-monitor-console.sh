#!/usr/bin/env bash
# The monitor's screendump and sendkey with the reference guest on the VGA
# text screen under -display none: the dumped screen, read back in the VGA
# font, shows the kernel's console text (the same lines as the serial
# console); keys sent with sendkey run a command in the guest's shell on tty1
# (scripts/monitor-console.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
[ -r /usr/share/seabios/vgabios-stdvga.bin ] || fail "no VGA BIOS font (tools/setup installs seabios)"
mkdir -p "$LOGDIR"
run_script monitor-console.wbt --set LOGDIR="$LOGDIR"
expect_script_ok
note "ok"
