#!/usr/bin/env bash
# hostfwd under the runner's -icount shift=0,sleep=off: a host client
# reaches a TCP echo server in the guest; 1 MiB goes there and back intact
# (scripts/net-hostfwd.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
run_script net-hostfwd.wbt
grep -a "^echo " "$LOGDIR/net-hostfwd.log" >/dev/null 2>&1 || true
expect_script_ok
note "ok"
