#!/usr/bin/env bash
# A real bootloader on the VGA text screen: Debian's GRUB rescue CD
# (grub-rescue-pc's grub-rescue-cdrom.iso) boots through SeaBIOS from -cdrom
# with -boot d and -display none. GRUB draws its menu with the BIOS on the
# text screen (nothing on the serial port), so the test reads the screen:
# the monitor's screendump, decoded cell by cell in the VGA BIOS font
# (textscreen.py), until GRUB's banner is there; then `sendkey c` opens
# GRUB's command line and the screen must show its "grub>" prompt. The same
# check with a banner GRUB does not print must fail.
# Runs on the deterministic clock (-icount shift=0,sleep=off); GRUB's menu
# counts down from 30 s of guest time, which its keyboard polling loop does
# not reach in the test's time. The waits retry the screendump (host time,
# generous bounds: a slow machine only waits longer).
: "${WB_TIMEOUT:=900}"
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/displaylib.sh
source "$(dirname "${BASH_SOURCE[0]}")/displaylib.sh"

ISO=/usr/lib/grub-rescue/grub-rescue-cdrom.iso
FONT=/usr/share/seabios/vgabios-stdvga.bin
[ -x "$WIREBOX" ] || fail "emulator binary '$WIREBOX' not found (build it: cmake --build build)"
[ -r "$ISO" ] || fail "no $ISO (tools/setup installs grub-rescue-pc)"
[ -r "$FONT" ] || fail "no VGA BIOS font (tools/setup installs seabios)"
command -v python3 >/dev/null 2>&1 || fail "python3 not found (tools/setup installs it)"
mkdir -p "$LOGDIR"

screen_has() { # NAME TEXT: dump the screen to NAME.ppm; true if a row has TEXT
    screendump "$LOGDIR/$1.ppm"
    python3 "$SRC/tests/integration/textscreen.py" "$LOGDIR/$1.ppm" "$FONT" \
        --expect "$2" --out "$LOGDIR/$1.txt" >/dev/null 2>"$LOGDIR/$1.check"
}

wait_screen() { # NAME TEXT SECONDS: until the screen shows TEXT (host seconds)
    local end=$((SECONDS + $3))
    until screen_has "$1" "$2"; do
        [ $SECONDS -lt $end ] || {
            note "the screen at the end:"
            cat "$LOGDIR/$1.txt" >&2
            fail "no '$2' on the screen within $3 s"
        }
        sleep 2
    done
}

t0=$SECONDS
start_wb grub -m 128 -cdrom "$ISO" -boot d -display none -nic none -no-reboot \
    -icount shift=0,sleep=off
wait_screen menu "GNU GRUB  version 2.06" 600
note "GRUB's menu after $((SECONDS - t0)) s: $(grep -F "GNU GRUB" "$LOGDIR/menu.txt" | sed 's/^ *//')"
grep -qF "or \`c' for a command-line." "$LOGDIR/menu.txt" || fail "GRUB's menu help is not on the screen"

said=$(monitor "sendkey c")
[ -z "$said" ] || fail "sendkey: $said"
wait_screen prompt "grub>" 300
note "GRUB's command line after $((SECONDS - t0)) s"

# The check can fail: a banner GRUB did not print is not found.
if screen_has wrong "GNU GRUB  version 1.99"; then
    fail "textscreen.py found a banner that is not on the screen"
fi
grep -qF "not on the screen: 'GNU GRUB  version 1.99'" "$LOGDIR/wrong.check" || {
    cat "$LOGDIR/wrong.check" >&2
    fail "textscreen.py failed without saying what was missing"
}
kill -0 "$WB_PID" 2>/dev/null || fail "wirebox ended"
display_cleanup
note "ok"
