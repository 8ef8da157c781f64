# shellcheck shell=bash
# Helpers for the integration tests (sourced). CTest sets WIREBOX (the binary),
# SRC (source dir) and BUILD (build dir); run by hand, they default to the
# usual places, e.g.  bash tests/integration/test-boot.sh
# WB_TIMEOUT (seconds, default 300) bounds each boot. WB_NIC (default none) is
# what boot() passes to -nic, e.g. WB_NIC=user,model=e1000.
set -euo pipefail
export LC_ALL=C

: "${SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=$SRC/build}"
: "${WIREBOX:=$BUILD/wirebox}"
: "${WB_TIMEOUT:=300}"
: "${WB_NIC:=none}"
GUEST=$BUILD/guest
# The outermost script names the test (a variant may source another test).
TEST_NAME=$(basename "${BASH_SOURCE[-1]:-$0}" .sh)
LOGDIR=$BUILD/integration-logs/$TEST_NAME
WB_LAST_LOG=

note() { echo "[$TEST_NAME] $*"; }

# fail MESSAGE: print it with the end of the last boot's output, and exit 1.
fail() {
    echo "[$TEST_NAME] FAIL: $*" >&2
    if [ -n "$WB_LAST_LOG" ] && [ -f "$WB_LAST_LOG" ]; then
        echo "---- last 60 lines of $WB_LAST_LOG" >&2
        tail -n 60 "$WB_LAST_LOG" | tr -d '\r' >&2
        if [ -s "$WB_LAST_LOG.stderr" ]; then
            echo "---- stderr ($WB_LAST_LOG.stderr), last 20 lines" >&2
            tail -n 20 "$WB_LAST_LOG.stderr" >&2
        fi
        echo "----" >&2
    fi
    exit 1
}

# Check that the emulator and the reference guest exist (builds the guest if
# it is missing; tools/build-guest caches it and serialises parallel builds).
require_guest() {
    [ -x "$WIREBOX" ] || fail "emulator binary '$WIREBOX' not found (build it: cmake --build build)"
    if [ ! -s "$GUEST/vmlinuz" ] || [ ! -s "$GUEST/initrd.gz" ] || [ ! -s "$GUEST/VERSION" ]; then
        note "reference guest missing in $GUEST; running tools/build-guest"
        "$SRC/tools/build-guest" --build-dir "$BUILD" ||
            fail "could not build the reference guest (run tools/setup --deps-only, then tools/build-guest)"
    fi
    # shellcheck disable=SC2034 # used by the tests that source this file
    GUEST_VERSION=$(cat "$GUEST/VERSION")
    mkdir -p "$LOGDIR"
}

# boot NAME APPEND [EXTRA-ARGS...]: boot the reference guest with kernel
# command line APPEND; serial output (stdout) goes to $LOGDIR/NAME.log and
# stderr to NAME.log.stderr. Sets WB_LAST_LOG, WB_RC (exit status; 124 = timed
# out) and WB_SECONDS (wall time). Never fails by itself.
boot() {
    local name=$1 append=$2 t0 t1
    shift 2
    WB_LAST_LOG=$LOGDIR/$name.log
    t0=${EPOCHREALTIME/[.,]/}
    WB_RC=0
    timeout --kill-after=10 "$WB_TIMEOUT" "$WIREBOX" -m 256 \
        -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" -append "$append" \
        -nographic -no-reboot -nic "$WB_NIC" "$@" \
        </dev/null >"$WB_LAST_LOG" 2>"$WB_LAST_LOG.stderr" || WB_RC=$?
    t1=${EPOCHREALTIME/[.,]/}
    WB_SECONDS=$(printf '%d.%02d' $(((t1 - t0) / 1000000)) $(((t1 - t0) % 1000000 / 10000)))
    if [ "$WB_RC" = 124 ] || [ "$WB_RC" = 137 ]; then
        note "$name: no exit within ${WB_TIMEOUT}s (killed), $(wc -c <"$WB_LAST_LOG") bytes of output"
    else
        note "$name: exited with status $WB_RC after ${WB_SECONDS}s"
    fi
}

# expect STRING [WHAT]: the last boot's output contains STRING.
expect() {
    grep -qaF -- "$1" "$WB_LAST_LOG" || fail "${2:-output} does not contain: $1"
}

# expect_clean_exit: the last boot ended by the guest's reboot (with -no-reboot)
# and exit status 0, not by the timeout or a crash.
expect_clean_exit() {
    case "$WB_RC" in
    0) ;;
    124 | 137) fail "the emulator did not exit within ${WB_TIMEOUT}s" ;;
    *) fail "the emulator exited with status $WB_RC" ;;
    esac
}
