#!/usr/bin/env bash
# The e1000 driver's hardware self-test passes all five tests
# (scripts/ethtool.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
run_script ethtool.wbt
grep -aF "WIREBOX-ETHTOOL:" "$WB_LAST_LOG" | tr -d '\r' | sed "s/^/[$TEST_NAME] /" || true
expect_script_ok
note "ok"
