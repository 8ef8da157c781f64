#!/usr/bin/env bash
# User-mode networking with QEMU's defaults: the reference guest's Linux e1000
# driver gets 10.0.2.15 from libslirp's DHCP (gateway 10.0.2.2, DNS 10.0.2.3)
# and pings the gateway.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
boot_net ping "wb.cmd=ping wb.ping=10.0.2.2" -nic user,model=e1000
expect "WIREBOX-DHCP: eth0 10.0.2.15/24 router=10.0.2.2 dns=10.0.2.3" "the DHCP lease"
expect_ok ping
expect "3 packets transmitted, 3 packets received" "ping's summary"
expect_clean_exit
note "ok (${WB_SECONDS}s)"
