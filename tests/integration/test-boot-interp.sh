#!/usr/bin/env bash
# test-boot.sh with the interpreter (-accel interp): the reference engine,
# and what runs on hosts the translator does not support.
WB_ACCEL=interp
# shellcheck source=tests/integration/test-boot.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-boot.sh"
