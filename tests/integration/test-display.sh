#!/usr/bin/env bash
# The screen a person looks at: the reference guest with Linux's bochs DRM
# driver (fbcon on the VGA's Bochs VBE framebuffer) in the SDL window on an
# X server (Xvfb). The window takes the size of the mode the guest set;
# a screenshot of the X display and a screendump both show the kernel's boot
# text (lines of text-coloured glyphs that start with '[' in the VGA font,
# where the text is); keys typed with xdotool reach the guest's shell (its
# output comes back on the serial console); closing the window ends wirebox.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/displaylib.sh"
require_guest
for t in xdotool xwininfo xwd convert python3; do
    command -v "$t" >/dev/null || { note "$t missing (tools/setup installs it): skipped"; exit 77; }
done
"$WIREBOX" -display sdl -version >/dev/null 2>&1 || { note "wirebox built without SDL2: skipped"; exit 77; }
start_xvfb

start_wb display -m 256 -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" \
    -append "console=tty0 console=ttyS0 nokaslr wb.cmd=vt wb.display=1" \
    -name wbtest -display sdl -no-reboot -nic none -icount shift=0,sleep=off
wait_for "WIREBOX-VT:" 400
expect "WIREBOX-VT: bochs-drmdrmfb 1024,768" "the guest's framebuffer"
expect "fbcon: bochs-drmdrmfb (fb0) is primary device"

# The window: titled with -name, the size of the guest's mode.
WIN=$(xdotool search --name '^wbtest - wirebox$' | head -n 1)
[ -n "$WIN" ] || fail "no window titled 'wbtest - wirebox'"
# The window follows the mode set at its next frame: on a busy host, wait.
for _ in $(seq 300); do
    xwininfo -id "$WIN" >"$LOGDIR/xwininfo.txt"
    grep -q "Width: 1024" "$LOGDIR/xwininfo.txt" && grep -q "Height: 768" "$LOGDIR/xwininfo.txt" && break
    sleep 0.1
done
grep -q "Width: 1024" "$LOGDIR/xwininfo.txt" && grep -q "Height: 768" "$LOGDIR/xwininfo.txt" ||
    fail "the window is not 1024x768: $(grep -E 'Width|Height' "$LOGDIR/xwininfo.txt" | tr -s ' \n' ' ')"
note "window 'wbtest - wirebox' is 1024x768, the guest's mode"

# Typed into the window, run by the shell on tty1, answered on the serial console.
# (XTEST into the focused window, as a keyboard would: no synthetic events)
xdotool windowfocus --sync "$WIN"
xdotool type --delay 60 'echo WB-TYPED-$((6*7))'
xdotool key Return
wait_for "WB-TYPED-42" 60
note "keys typed into the window reached the guest's shell"

# What the guest shows, twice: the screendump and the X server's picture of
# the window. Both must show the boot text: rows of grey (170,170,170) text
# whose first glyph is '[' as the VGA font draws it.
screendump "$LOGDIR/screen.ppm"
xwd -id "$WIN" -silent | convert xwd:- "$LOGDIR/window.ppm" || fail "xwd/convert failed"
convert "$LOGDIR/window.ppm" "$LOGDIR/window.png"
FONT=/usr/share/seabios/vgabios-stdvga.bin
for pic in screen window; do
    PYTHONPATH=$SRC/tests/integration python3 - "$LOGDIR/$pic.ppm" "$FONT" <<'PY' ||
import sys
from ppm import read_ppm
w, h, pix = read_ppm(sys.argv[1])
assert (w, h) == (1024, 768), (w, h)
rom = open(sys.argv[2], 'rb').read()
glyph_a = bytes([0, 0, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe, 0xc6, 0xc6, 0xc6, 0xc6, 0, 0, 0, 0])
font = rom[rom.find(glyph_a) - 0x41 * 16:]
def cell(col, row):  # the 8x16 cell as 16 bytes, 1 = text colour
    out = []
    for y in range(16):
        b = 0
        for x in range(8):
            i = ((row * 16 + y) * w + col * 8 + x) * 3
            if pix[i:i + 3] == b'\xaa\xaa\xaa':
                b |= 0x80 >> x
        out.append(b)
    return bytes(out)
grey = sum(1 for i in range(0, len(pix), 3) if pix[i:i + 3] == b'\xaa\xaa\xaa')
other = sum(1 for i in range(0, len(pix), 3) if pix[i:i + 3] not in (b'\xaa\xaa\xaa', b'\0\0\0'))
bracket = font[ord('[') * 16:ord('[') * 16 + 16]
rows = [r for r in range(48) if cell(0, r) == bracket]
text_rows = [r for r in range(48) if any(cell(c, r) != bytes(16) for c in range(128))]
print(f'{sys.argv[1]}: {grey} text pixels, {other} others; '
      f'{len(text_rows)} rows with text, {len(rows)} start with a kernel "[": {rows}')
assert len(rows) >= 20, 'fewer than 20 kernel message lines'
assert other < 200, 'colours other than the console text and black'
# every row that starts with '[' also has its ']' at column 13 ("[    1.234567]")
assert all(cell(13, r) == font[ord(']') * 16:ord(']') * 16 + 16] for r in rows), 'no "]" at column 13'
PY
        fail "$pic: no boot text where it belongs"
done
note "screendump and X screenshot show the boot text in the VGA font"

# Closing the window ends wirebox (status 0), as in QEMU.
x_close "$WIN"
for ((i = 0; i < 300; i++)); do
    kill -0 "$WB_PID" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$WB_PID" 2>/dev/null && fail "wirebox still runs after its window was closed"
wait "$WB_PID"
rc=$?
WB_PID=
[ "$rc" = 0 ] || fail "wirebox exited with status $rc after the window closed"
note "closing the window ended wirebox with status 0"
echo "[test-display] PASS"
