#!/usr/bin/env bash
# Boot the reference guest with wb.cmd=test (scripts/boot.wbt): the kernel
# banner, /init's banner, uname -r, the workload's "WIREBOX-RESULT: test ok
# 42", and exit status 0 from the guest's reboot with -no-reboot.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
run_script boot.wbt
expect_script_ok
note "ok"
