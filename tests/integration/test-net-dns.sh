#!/usr/bin/env bash
# Name resolution past a refusing first nameserver, over UDP and TCP
# (scripts/net-dns.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
run_script net-dns.wbt
expect_script_ok
note "ok"
