#!/usr/bin/env bash
# A 16 MiB download from an HTTP server on host loopback, SHA-256 checked,
# and the server saw the GET (scripts/net-http.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
run_script net-http.wbt
expect_script_ok
note "ok: 16 MiB, SHA-256 matches ($(grep -a WIREBOX-DOWNLOAD "$WB_LAST_LOG" | tr -d '\r' | awk '{print $4}') s in the guest)"
