#!/usr/bin/env bash
# restrict=on: the guest still gets its DHCP lease but cannot reach the host
# (an HTTP server on host loopback, through 10.0.2.2): the download fails and
# the server sees no request.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
mkdir -p "$NET_TMP/www"
echo "not for restricted guests" >"$NET_TMP/www/small.txt"
start_http "$NET_TMP/www"
boot_net wget "wb.cmd=wget wb.url=http://10.0.2.2:$HTTP_PORT/small.txt" \
    -nic user,model=e1000,restrict=on
expect "WIREBOX-DHCP: eth0 10.0.2.15/24" "the DHCP lease"
expect "WIREBOX-RESULT: wget FAIL" "the blocked download"
if grep -q "GET /small.txt" "$HTTP_LOG"; then
    fail "the HTTP server was reached despite restrict=on"
fi
expect_clean_exit
note "ok"
