#!/usr/bin/env bash
# restrict=on: a lease, but no way to the host (scripts/net-restrict.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
run_script net-restrict.wbt
expect_script_ok
note "ok"
