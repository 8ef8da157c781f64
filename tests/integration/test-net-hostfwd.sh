#!/usr/bin/env bash
# hostfwd: a host client reaches a TCP echo server in the guest through
# -nic user,hostfwd=tcp:127.0.0.1:PORT-:8080; 1 MiB goes there and back intact.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/netlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/netlib.sh"

require_guest
port=$(free_port)
# The client waits for the guest's WIREBOX-LISTENING in the boot log.
python3 "$NET_HELPER" echo-client "$LOGDIR/serve.log" "$port" "$WB_TIMEOUT" >"$NET_TMP/client.out" 2>&1 &
client=$!
NET_PIDS+=("$client")
rm -f "$LOGDIR/serve.log"
boot_net serve "wb.cmd=serve wb.port=8080" -nic "user,model=e1000,hostfwd=tcp:127.0.0.1:$port-:8080"
crc=0
wait "$client" || crc=$?
client_out=$(cat "$NET_TMP/client.out")
note "host client: $client_out"
[ "$crc" = 0 ] || fail "the host client failed: $client_out"
expect "WIREBOX-LISTENING: 8080" "the guest server"
expect_ok serve
expect_clean_exit
note "ok"
