# shellcheck shell=bash
# Helpers for the networking integration tests (sourced after lib.sh): host
# servers started here are stopped when the test exits.
NET_HELPER=$SRC/tests/integration/net-helper.py
# These tests give their own -nic/-netdev options: no NIC from boot() itself.
# shellcheck disable=SC2034 # read by boot() in lib.sh
WB_NIC=none
NET_PIDS=()
NET_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wirebox-net.XXXXXX")

net_cleanup() {
    local p
    for p in "${NET_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$NET_TMP"
}
trap net_cleanup EXIT

command -v python3 >/dev/null 2>&1 || fail "python3 not found (the networking tests need it; tools/setup installs it)"

free_port() {
    python3 "$NET_HELPER" free-port
}

# wait_port PORT: until something accepts connections on 127.0.0.1:PORT (10 s).
wait_port() {
    local _
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    fail "nothing listens on 127.0.0.1:$1"
}

# start_http DIR: python3's HTTP server for DIR on host loopback. Sets
# HTTP_PORT and HTTP_LOG (its request log).
start_http() {
    HTTP_PORT=$(free_port)
    HTTP_LOG=$NET_TMP/http.log
    python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$1" >"$HTTP_LOG" 2>&1 &
    NET_PIDS+=($!)
    wait_port "$HTTP_PORT"
}

# expect_ok NAME: the last boot reported "WIREBOX-RESULT: NAME ok ..."; sets
# RESULT_DETAIL to what follows "ok ".
expect_ok() {
    local line
    line=$(grep -a "WIREBOX-RESULT: $1 " "$WB_LAST_LOG" | tr -d '\r' | head -n 1)
    [ -n "$line" ] || fail "no 'WIREBOX-RESULT: $1' line"
    case "$line" in
    "WIREBOX-RESULT: $1 ok"*) ;;
    *) fail "the guest reported: $line" ;;
    esac
    RESULT_DETAIL=${line#"WIREBOX-RESULT: $1 ok"}
    RESULT_DETAIL=${RESULT_DETAIL# }
}

# boot_net NAME WB-ARGS [EMULATOR-ARGS...]: boot with wb.cmd=... parameters.
boot_net() {
    local name=$1 wb=$2
    shift 2
    boot "$name" "console=ttyS0 nokaslr $wb" "$@"
}
