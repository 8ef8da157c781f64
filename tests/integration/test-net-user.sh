#!/usr/bin/env bash
# User-mode networking with QEMU's defaults, typed at the guest's shell as
# a person would (scripts/boot-and-ping-e1000.wbt): the Linux e1000 driver
# gets 10.0.2.15 from libslirp's DHCP (gateway 10.0.2.2, DNS 10.0.2.3),
# pings the gateway 3 times with no loss, and the guest ends cleanly.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
run_script boot-and-ping-e1000.wbt
expect_script_ok
note "ok"
