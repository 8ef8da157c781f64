#!/usr/bin/env bash
# The guest downloads a 16 MiB file from an HTTP server on host loopback
# through the user backend's gateway (10.0.2.2) and its SHA-256 matches.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
mkdir -p "$NET_TMP/www"
head -c 16777216 /dev/urandom >"$NET_TMP/www/data.bin"
want=$(sha256sum "$NET_TMP/www/data.bin" | cut -d' ' -f1)
start_http "$NET_TMP/www"
boot_net wget "wb.cmd=wget wb.url=http://10.0.2.2:$HTTP_PORT/data.bin" -nic user,model=e1000
expect_ok wget
[ "$RESULT_DETAIL" = "16777216 $want" ] ||
    fail "the guest got '$RESULT_DETAIL', expected '16777216 $want'"
grep -q '"GET /data.bin HTTP/1.1" 200' "$HTTP_LOG" || fail "the HTTP server saw no GET /data.bin"
expect_clean_exit
note "ok: 16 MiB, SHA-256 matches ($(grep -a WIREBOX-DOWNLOAD "$WB_LAST_LOG" | tr -d '\r' | awk '{print $4}') s in the guest, ${WB_SECONDS}s in all)"
