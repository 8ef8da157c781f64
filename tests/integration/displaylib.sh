# shellcheck shell=bash
# Helpers for the display tests (sourced after lib.sh): run wirebox in the
# background, take screendumps (WIREBOX_SCREENDUMP + SIGUSR1, until the
# monitor has screendump), look at pixels, run an X server.

WB_PID=
XVFB_PID=

display_cleanup() {
    [ -n "$WB_PID" ] && kill "$WB_PID" 2>/dev/null && wait "$WB_PID" 2>/dev/null
    [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null && wait "$XVFB_PID" 2>/dev/null
    WB_PID= XVFB_PID=
    return 0
}
trap display_cleanup EXIT

# start_wb NAME ARGS...: wirebox in the background; serial port 0 goes to
# $LOGDIR/NAME.serial, stdout/stderr to NAME.log(.stderr); screendumps to
# $LOGDIR/NAME.ppm.
start_wb() {
    local name=$1
    shift
    WB_LAST_LOG=$LOGDIR/$name.serial
    WB_DUMP=$LOGDIR/$name.ppm
    rm -f "$WB_LAST_LOG" "$WB_DUMP"
    WIREBOX_SCREENDUMP=$WB_DUMP timeout --kill-after=10 "$WB_TIMEOUT" "$WIREBOX" "$@" \
        -serial "file:$WB_LAST_LOG" </dev/null >"$LOGDIR/$name.log" 2>"$LOGDIR/$name.log.stderr" &
    WB_PID=$!
}

# The emulator's own pid (timeout runs it as a child).
wb_child() {
    pgrep -P "$WB_PID" | head -n 1
}

# wait_for STRING SECONDS: until the serial log has STRING (fails after SECONDS).
wait_for() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        grep -qaF -- "$1" "$WB_LAST_LOG" 2>/dev/null && return 0
        kill -0 "$WB_PID" 2>/dev/null || fail "wirebox ended before printing '$1'"
        sleep 0.1
    done
    fail "no '$1' within $2 s"
}

# screendump FILE: what the display shows now, as a PPM file.
screendump() {
    local pid i
    pid=$(wb_child)
    [ -n "$pid" ] || fail "wirebox is not running"
    rm -f "$WB_DUMP"
    kill -USR1 "$pid"
    for ((i = 0; i < 100; i++)); do
        [ -s "$WB_DUMP" ] && sleep 0.2 && break
        sleep 0.1
    done
    [ -s "$WB_DUMP" ] || fail "no screendump written"
    cp "$WB_DUMP" "$1"
}

# ppm_check FILE PYTHON-EXPRESSIONS...: each expression (over w, h and
# px(x, y) -> (r, g, b)) must be true.
ppm_check() {
    local f=$1
    shift
    PYTHONPATH=$SRC/tests/integration python3 - "$f" "$@" <<'PY' || fail "picture check failed on $f"
import sys
from ppm import read_ppm
w, h, pix = read_ppm(sys.argv[1])
def px(x, y):
    i = (y * w + x) * 3
    return (pix[i], pix[i + 1], pix[i + 2])
ok = True
for e in sys.argv[2:]:
    if not eval(e):
        print(f'  false: {e}', file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
PY
}

# start_xvfb: an X server for the window tests; sets DISPLAY.
start_xvfb() {
    command -v Xvfb >/dev/null || { note "Xvfb missing (tools/setup installs xvfb): skipped"; exit 77; }
    local n
    for n in $(seq 90 120); do
        [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break
    done
    Xvfb ":$n" -screen 0 1600x1200x24 -nolisten tcp >"$LOGDIR/xvfb.log" 2>&1 &
    XVFB_PID=$!
    export DISPLAY=:$n
    for ((i = 0; i < 100; i++)); do
        xdpyinfo >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "Xvfb did not start"
}

# x_close WINDOW-ID: ask the window to close, as a window manager's close
# button does (WM_DELETE_WINDOW), through libX11.
x_close() {
    python3 - "$1" <<'PY'
import ctypes, ctypes.util, sys
x = ctypes.CDLL(ctypes.util.find_library('X11'))
x.XOpenDisplay.restype = ctypes.c_void_p
x.XOpenDisplay.argtypes = [ctypes.c_char_p]
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
x.XFlush.argtypes = [ctypes.c_void_p]
class ClientMessage(ctypes.Structure):
    _fields_ = [('type', ctypes.c_int), ('serial', ctypes.c_ulong), ('send_event', ctypes.c_int),
                ('display', ctypes.c_void_p), ('window', ctypes.c_ulong),
                ('message_type', ctypes.c_ulong), ('format', ctypes.c_int), ('l', ctypes.c_long * 5)]
class Event(ctypes.Union):
    _fields_ = [('xclient', ClientMessage), ('pad', ctypes.c_long * 24)]
d = x.XOpenDisplay(None)
if not d:
    sys.exit('cannot open the display')
win = int(sys.argv[1], 0)
ev = Event()
ev.xclient.type = 33  # ClientMessage
ev.xclient.window = win
ev.xclient.message_type = x.XInternAtom(d, b'WM_PROTOCOLS', 0)
ev.xclient.format = 32
ev.xclient.l[0] = x.XInternAtom(d, b'WM_DELETE_WINDOW', 0)
x.XSendEvent(d, win, 0, 0, ctypes.byref(ev))
x.XFlush(d)
PY
}
