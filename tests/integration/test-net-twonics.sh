#!/usr/bin/env bash
# Two e1000 NICs on two user netdevs (10.0.2.0/24 and 10.0.3.0/24) in one
# guest: both get their leases and reach their own gateway.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
boot_net twonics "wb.cmd=ping wb.ifs=eth0,eth1 wb.ping=10.0.2.2,10.0.3.2" \
    -netdev user,id=n0 -device e1000,netdev=n0 \
    -netdev user,id=n1,net=10.0.3.0/24 -device e1000,netdev=n1
expect "WIREBOX-DHCP: eth0 10.0.2.15/24 router=10.0.2.2" "eth0's lease"
expect "WIREBOX-DHCP: eth1 10.0.3.15/24 router=10.0.3.2" "eth1's lease"
expect_ok ping
[ "$RESULT_DETAIL" = "10.0.2.2 10.0.3.2" ] || fail "pinged '$RESULT_DETAIL'"
expect_clean_exit
note "ok"
