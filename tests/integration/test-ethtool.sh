#!/usr/bin/env bash
# The e1000 driver's own hardware self-test in the reference guest:
# `ethtool -t eth0 offline` (register, EEPROM, interrupt, loopback and link
# tests) must pass all five on wirebox's 82540EM (-nic user,model=e1000).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
WB_NIC=user,model=e1000
boot ethtool "console=ttyS0 nokaslr wb.cmd=ethtool"
note "boot to result took ${WB_SECONDS}s (log: $WB_LAST_LOG)"

expect "WIREBOX-GUEST: init running" "the /init banner"
expect "e1000 0000:" "the e1000 driver's probe messages"
grep -aF "WIREBOX-ETHTOOL:" "$WB_LAST_LOG" | tr -d '\r' | sed "s/^/[$TEST_NAME] /" || true
want="WIREBOX-RESULT: ethtool ok register=0 eeprom=0 interrupt=0 loopback=0 link=0"
if ! grep -qaF "$want" "$WB_LAST_LOG"; then
    reason=$(grep -aF "WIREBOX-RESULT:" "$WB_LAST_LOG" | tr -d '\r' | head -n 1)
    fail "no '$want' line${reason:+ (got: $reason)}"
fi
expect_clean_exit
note "ok"
