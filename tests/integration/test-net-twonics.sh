#!/usr/bin/env bash
# Two e1000 NICs on two user netdevs in one guest (scripts/net-twonics.wbt).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
run_script net-twonics.wbt
expect_script_ok
note "ok"
