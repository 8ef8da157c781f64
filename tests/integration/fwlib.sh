# shellcheck shell=bash
# Interactive boots for the firmware tests (sourced after lib.sh): wirebox
# runs in the background with its serial console on a FIFO, so the test can
# wait for a line, type into the guest's shell and signal the emulator.
#   start NAME ARGS...    start wirebox (-nographic and ARGS);
#                         the console goes to $LOGDIR/NAME.log
#   wait_for TEXT [WHAT]  wait until the console shows TEXT (fails if
#                         wirebox exits first or WB_TIMEOUT passes)
#   send LINE             type LINE and Enter into the console
#   wait_exit             wait for wirebox to exit; sets WB_RC
# The boot's wirebox is killed when the test exits.

WB_PID=
WB_FIFO=

stop_guest() {
    # Not "kill && wait": under set -e a list ending in a failing wait (the
    # process's own status) would end the test here.
    if [ -n "$WB_PID" ]; then kill "$WB_PID" 2>/dev/null; wait "$WB_PID" 2>/dev/null || true; fi
    WB_PID=
    exec 3>&- 2>/dev/null || true
    [ -n "$WB_FIFO" ] && rm -f "$WB_FIFO"
    return 0
}
trap stop_guest EXIT

start() { # NAME ARGS...
    local name=$1
    shift
    WB_LAST_LOG=$LOGDIR/$name.log
    WB_FIFO=$LOGDIR/$name.in
    rm -f "$WB_FIFO"
    mkfifo "$WB_FIFO"
    WB_T0=$SECONDS
    "$WIREBOX" -nographic "$@" <"$WB_FIFO" >"$WB_LAST_LOG" 2>"$WB_LAST_LOG.stderr" &
    WB_PID=$!
    exec 3>"$WB_FIFO" # the console's input stays open until the test closes it
    note "$name: started (pid $WB_PID)"
}

# Follows the log with tail until TEXT shows (no fixed sleeps): tail ends
# with wirebox (--pid) or at the deadline, and is stopped once grep matched.
wait_for() { # TEXT [WHAT]
    local left=$((WB_TIMEOUT - (SECONDS - WB_T0))) tpid found=0
    [ "$left" -gt 0 ] || left=1
    exec 4< <(exec timeout "$left" tail -n +1 -F --pid="$WB_PID" "$WB_LAST_LOG" 2>/dev/null)
    tpid=$!
    grep -qaF -m1 -- "$1" <&4 && found=1
    kill "$tpid" 2>/dev/null || true
    exec 4<&-
    [ "$found" = 1 ] && return 0
    grep -qaF -- "$1" "$WB_LAST_LOG" && return 0
    if kill -0 "$WB_PID" 2>/dev/null; then
        fail "${2:-the console} did not show '$1' within ${WB_TIMEOUT}s"
    fi
    fail "wirebox exited before ${2:-the console} showed '$1'"
}

send() { # LINE
    printf '%s\r' "$1" >&3
}

wait_exit() {
    local left=$((WB_TIMEOUT - (SECONDS - WB_T0))) timed_out=0
    [ "$left" -gt 0 ] || left=1
    timeout "$left" tail -f --pid="$WB_PID" /dev/null 2>/dev/null || timed_out=1
    if [ "$timed_out" = 1 ] && kill -0 "$WB_PID" 2>/dev/null; then
        kill "$WB_PID" 2>/dev/null
        wait "$WB_PID" 2>/dev/null
        WB_RC=124
    else
        WB_RC=0
        wait "$WB_PID" 2>/dev/null || WB_RC=$?
    fi
    WB_PID=
    note "exited with status $WB_RC after $((SECONDS - WB_T0))s"
}
