# shellcheck shell=bash
# Helpers for the display tests (sourced after lib.sh): run wirebox in the
# background, take screendumps (the monitor's screendump, on a Unix
# socket), look at pixels, run an X server.

WB_PID=
XVFB_PID=
WB_MON_DIR=$(mktemp -d /tmp/wb-display.XXXXXX) # short: a socket path has 108 bytes

display_cleanup() {
    # wait's status is the process's: under set -e, a list ending in a
    # failing wait would end the test here.
    if [ -n "$WB_PID" ]; then kill "$WB_PID" 2>/dev/null; wait "$WB_PID" 2>/dev/null || true; fi
    if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null; wait "$XVFB_PID" 2>/dev/null || true; fi
    WB_PID= XVFB_PID=
    return 0
}
trap 'display_cleanup; rm -rf "$WB_MON_DIR"' EXIT

# start_wb NAME ARGS...: wirebox in the background; serial port 0 goes to
# $LOGDIR/NAME.serial, stdout/stderr to NAME.log(.stderr); its monitor on a
# Unix socket ($WB_MON).
start_wb() {
    local name=$1
    shift
    WB_LAST_LOG=$LOGDIR/$name.serial
    WB_MON=$WB_MON_DIR/$name.mon
    rm -f "$WB_LAST_LOG" "$WB_MON"
    timeout --kill-after=10 "$WB_TIMEOUT" "$WIREBOX" "$@" -serial "file:$WB_LAST_LOG" \
        -monitor "unix:$WB_MON,server=on,wait=off" \
        </dev/null >"$LOGDIR/$name.log" 2>"$LOGDIR/$name.log.stderr" &
    WB_PID=$!
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

# monitor COMMAND: runs COMMAND on wirebox's monitor; prints what it said.
monitor() {
    python3 - "$WB_MON" "$1" <<'PY' || fail "monitor command '$1' failed"
import socket, sys, time
for _ in range(300):  # the socket appears once wirebox has parsed its options
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(f'no monitor on {sys.argv[1]}')
s.settimeout(120)
buf = b''
def until_prompt():
    global buf
    while not buf.endswith(b'(qemu) '):
        d = s.recv(4096)
        if not d:
            sys.exit('the monitor closed')
        buf += d
until_prompt()
buf = b''
s.sendall(sys.argv[2].encode() + b'\n')
until_prompt()
lines = buf.decode(errors='replace').split('\r\n')[1:-1]  # without the echo and the prompt
print('\n'.join(lines), end='\n' if lines else '')
PY
}

# screendump FILE: what the display shows now, as a PPM file (the monitor's
# screendump; any answer is an error).
screendump() {
    local said
    kill -0 "$WB_PID" 2>/dev/null || fail "wirebox is not running"
    rm -f "$1"
    said=$(monitor "screendump $1")
    [ -z "$said" ] || fail "screendump: $said"
    [ -s "$1" ] || fail "no screendump written"
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
