# shellcheck shell=bash
# Helpers for the networking integration tests (sourced after lib.sh): host
# servers started here are stopped when the test exits.
NET_HELPER=$SRC/tests/integration/net-helper.py
# These tests give their own -nic/-netdev options: no NIC from boot() itself.
# shellcheck disable=SC2034 # read by boot() in lib.sh
WB_NIC=none
NET_PIDS=()
NET_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wirebox-net.XXXXXX")

NET_NETNS=()

net_cleanup() {
    local p n
    for p in "${NET_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    # Emulators end on SIGTERM (their downscripts run); give them a moment.
    for _ in $(seq 1 50); do
        local alive=0
        for p in "${NET_PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null && alive=1
        done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for p in "${NET_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    for n in "${NET_NETNS[@]}"; do
        # Whatever still runs in it (a daemon a test started) goes too.
        ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$n" 2>/dev/null || true
    done
    rm -rf "$NET_TMP"
}
trap net_cleanup EXIT
# Killed (ctest's timeout, Ctrl-C): still clean up, through the EXIT trap.
trap 'exit 143' TERM
trap 'exit 130' INT

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

# ---- Several emulators at once, network namespaces, waiting on logs.

require_root() {
    [ "$(id -u)" = 0 ] || fail "this test needs root: it makes network namespaces (CI runs as root)"
    command -v ip >/dev/null 2>&1 || fail "ip not found (tools/setup installs iproute2)"
}

# netns_new VAR: a new network namespace (loopback up, nothing else), removed
# when the test exits; its name goes to VAR.
netns_new() {
    local n="wbt-$TEST_NAME-$$-${#NET_NETNS[@]}"
    n=${n:0:40}
    ip netns add "$n" || fail "cannot create network namespace $n"
    NET_NETNS+=("$n")
    ip -n "$n" link set lo up
    printf -v "$1" '%s' "$n"
}

# start_guest NAME NS APPEND [EMULATOR-ARGS...]: boot the reference guest in
# the background, inside network namespace NS ('-': the host's), logs as
# boot() writes them. Sets GUEST_PID[NAME]. GUEST_WRAP (an array) is put
# before the emulator's command (e.g. to run it in a mount namespace).
declare -A GUEST_PID=()
GUEST_WRAP=()
start_guest() {
    local name=$1 ns=$2 append=$3 wrap=()
    shift 3
    [ "$ns" = - ] || wrap=(ip netns exec "$ns")
    # Emptied here, not by the background job's redirection: a wait_log right
    # after this must not find the previous run's lines.
    : >"$LOGDIR/$name.log"
    : >"$LOGDIR/$name.log.stderr"
    "${wrap[@]}" "${GUEST_WRAP[@]}" timeout --kill-after=10 "$WB_TIMEOUT" "$WIREBOX" -m 256 \
        -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" -append "console=ttyS0 nokaslr $append" \
        -nographic -no-reboot "$@" \
        </dev/null >"$LOGDIR/$name.log" 2>"$LOGDIR/$name.log.stderr" &
    GUEST_PID[$name]=$!
    NET_PIDS+=($!)
}

# wait_guest NAME: until it exits; sets WB_RC and WB_LAST_LOG as boot() does.
wait_guest() {
    WB_LAST_LOG=$LOGDIR/$1.log
    WB_RC=0
    wait "${GUEST_PID[$1]}" || WB_RC=$?
    note "$1: exited with status $WB_RC"
}

# wait_log FILE STRING SECONDS: until FILE contains STRING (fixed string);
# fails the test after SECONDS, or if PID (4th argument) ends first.
wait_log() {
    local file=$1 str=$2 secs=$3 pid=${4:-} i
    for ((i = 0; i < secs * 5; i++)); do
        grep -qaF -- "$str" "$file" 2>/dev/null && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            grep -qaF -- "$str" "$file" 2>/dev/null && return 0
            WB_LAST_LOG=${file%.stderr}
            fail "$(basename "$file") never showed '$str' (its emulator ended)"
        fi
        sleep 0.2
    done
    WB_LAST_LOG=${file%.stderr}
    fail "$(basename "$file") did not show '$str' within ${secs}s"
}

# expect_in FILE STRING [WHAT]: FILE contains STRING.
expect_in() {
    grep -qaF -- "$2" "$1" || { WB_LAST_LOG=${1%.stderr}; fail "${3:-$1} does not contain: $2"; }
}

# The MD5 of what wb.serve=on serves: copies of the guest's /bin/busybox cut
# to BYTES (computed from the initramfs, so the guest need not hash twice).
served_md5() {
    local bb=$NET_TMP/busybox
    [ -s "$bb" ] || (cd "$NET_TMP" && gzip -dc "$GUEST/initrd.gz" | cpio -i --quiet --to-stdout bin/busybox >"$bb")
    [ -s "$bb" ] || fail "cannot extract /bin/busybox from $GUEST/initrd.gz"
    { while cat "$bb"; do :; done 2>/dev/null; } | head -c "$1" | md5sum | cut -d' ' -f1
}

# A machine with no guest: -bios with a ROM that halts at the reset vector.
# Its netdevs still run (a switch between guests, on hubs). Sets HALT_ROM.
make_halt_rom() {
    HALT_ROM=$NET_TMP/halt.rom
    head -c 65536 /dev/zero >"$HALT_ROM"
    # F000:FFF0: cli; hlt; jmp back to the hlt
    printf '\xfa\xf4\xeb\xfd' | dd of="$HALT_ROM" bs=1 seek=65520 conv=notrunc status=none
}
