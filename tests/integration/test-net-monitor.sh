#!/usr/bin/env bash
# The monitor's network commands with the reference guest: info network,
# set_link off/on (the guest's link and ping follow), hostfwd_add at run
# time to a guest server, info usernet, hostfwd_remove
# (scripts/net-monitor.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
run_script net-monitor.wbt
expect_script_ok
note "ok"
