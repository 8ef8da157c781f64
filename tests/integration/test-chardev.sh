#!/usr/bin/env bash
# Character devices with a real guest (the Multiboot test kernel, which
# echoes COM1 upper-cased): file:, pipe:, pty (its path printed as QEMU
# prints it), a host serial device (/dev/pts/N), tcp: with server=on waiting
# for its client, a server whose clients come and go (each gets the console,
# wirebox runs on), tcp: as a client, a Unix socket with telnet=on, null with
# -debugcon stdio, and a ringbuf read through the monitor
# (tests/integration/chardev-helper.py).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$WIREBOX" ] || fail "emulator binary '$WIREBOX' not found"
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
build_mbtest elf
WB_LAST_LOG=
rc=0
python3 "$SRC/tests/integration/chardev-helper.py" "$WIREBOX" "$MBTEST" "$LOGDIR" \
    >"$LOGDIR/chardev.out" 2>&1 || rc=$?
sed "s/^/[$TEST_NAME] /" "$LOGDIR/chardev.out"
[ "$rc" = 0 ] || fail "a chardev did not carry the guest's serial port (see above)"
note "ok"
