#!/usr/bin/env bash
# guestfwd under the runner's -icount shift=0,sleep=off: 24 MiB from the
# guest to a slow host server through -nic user,guestfwd=..., intact, and
# the server's answer back to the guest (scripts/net-guestfwd.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
run_script net-guestfwd.wbt
expect_script_ok
note "ok"
