# shellcheck shell=bash
# Helpers for the integration tests (sourced). CTest sets WIREBOX (the binary),
# SRC (source dir) and BUILD (build dir); run by hand, they default to the
# usual places, e.g.  bash tests/integration/test-boot.sh
# WB_TIMEOUT (host seconds, default 1800) bounds each boot() as a guard
# against a hung emulator, not as a performance budget: a slow machine must
# not fail a test. WB_NIC (default none) is what boot() passes to -nic, e.g.
# WB_NIC=user,model=e1000. Most tests are scripts for tools/wirebox-run
# (tests/integration/scripts/*.wbt, run_script below), whose steps are timed
# in guest time.
set -euo pipefail
export LC_ALL=C

: "${SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=$SRC/build}"
: "${WIREBOX:=$BUILD/wirebox}"
: "${WB_TIMEOUT:=1800}"
: "${WB_NIC:=none}"
GUEST=$BUILD/guest
TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
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

# run_script NAME.wbt [RUNNER-ARGS...]: runs tests/integration/scripts/NAME.wbt
# with tools/wirebox-run (variables GUEST, GUEST_VERSION, SRC, GUESTS: the
# directory of tests/integration/guests); its console is kept as
# $LOGDIR/NAME.log (WB_LAST_LOG). Sets WB_RC, the runner's exit status. The
# runner prints the failing step and the console's tail itself.
run_script() {
    local script=$SRC/tests/integration/scripts/$1
    shift
    WB_LAST_LOG=$LOGDIR/$(basename "$script" .wbt).log
    WB_RC=0
    python3 "$SRC/tools/wirebox-run" --wirebox "$WIREBOX" --log-dir "$LOGDIR" \
        --set GUEST="$GUEST" --set GUEST_VERSION="${GUEST_VERSION:-}" --set SRC="$SRC" \
        --set GUESTS="$SRC/tests/integration/guests" "$@" "$script" || WB_RC=$?
}

# expect_script_ok: the last run_script passed every step.
expect_script_ok() {
    [ "$WB_RC" = 0 ] || { WB_LAST_LOG=; fail "the script failed (the runner's report is above)"; }
}

# build_mbtest [aout]: assembles the Multiboot test kernel
# (guests/mbtest.S) with GNU as and ld into $LOGDIR, as ELF32 or (aout) a flat
# binary with the a.out kludge. Sets MBTEST to its path.
build_mbtest() {
    local kind=${1:-elf} defs=() out=()
    command -v as >/dev/null 2>&1 && command -v ld >/dev/null 2>&1 ||
        fail "GNU as and ld not found (tools/setup installs binutils)"
    mkdir -p "$LOGDIR"
    MBTEST=$LOGDIR/mbtest.$kind
    [ "$kind" = aout ] && defs=(--defsym AOUT=1) && out=(--oformat binary)
    as --32 "${defs[@]}" -o "$MBTEST.o" "$SRC/tests/integration/guests/mbtest.S" ||
        fail "as failed on guests/mbtest.S"
    ld -m elf_i386 -N -Ttext=0x100000 -e _start --no-warn-rwx-segments "${out[@]}" \
        -o "$MBTEST" "$MBTEST.o" || fail "ld failed on guests/mbtest.S"
}
