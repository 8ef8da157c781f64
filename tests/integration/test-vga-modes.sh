#!/usr/bin/env bash
# VGA modes 12h and 13h as a DOS program sets them, without a BIOS: a
# real-mode ROM (tests/integration/guests/vgamodes.S, assembled here with
# GNU as and run with -bios) programs the registers and draws with write
# modes 0-3 and chain-4; the screendump must show the pixels it drew.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/displaylib.sh"
[ -x "$WIREBOX" ] || fail "emulator binary '$WIREBOX' not found"
mkdir -p "$LOGDIR"
WB_TIMEOUT=60

rom() { # NAME [AS-ARGS...]: assemble the ROM into $LOGDIR/NAME.rom
    local name=$1
    shift
    as --32 "$@" -o "$LOGDIR/$name.o" "$SRC/tests/integration/guests/vgamodes.S" ||
        fail "as failed on vgamodes.S"
    ld -m elf_i386 -Ttext=0 --oformat=binary -o "$LOGDIR/$name.rom" "$LOGDIR/$name.o" ||
        fail "ld failed"
}

run() { # NAME: run the ROM until it is done, dump the screen to NAME-screen.ppm
    start_wb "$1" -bios "$LOGDIR/$1.rom" -display none -nodefaults -nic none \
        -icount shift=0,sleep=off
    wait_for VGA-DONE 30
    screendump "$LOGDIR/$1-screen.ppm"
    display_cleanup
}

RED='(255, 0, 0)' GREEN='(0, 255, 0)' BLUE='(0, 0, 255)' WHITE='(255, 255, 255)'
YELLOW='(255, 255, 0)' PURPLE='(130, 0, 130)' BLACK='(0, 0, 0)'

# Mode 13h: 320x200 in 256 colours, each pixel drawn 2x2 (640x400).
rom mode13 --defsym MODE13=1
run mode13
ppm_check "$LOGDIR/mode13-screen.ppm" "w == 640 and h == 400" \
    "px(20, 40) == $RED" "px(59, 79) == $RED" "px(60, 40) == $BLACK" "px(18, 40) == $BLACK" \
    "px(20, 38) == $BLACK" "px(20, 80) == $BLACK" \
    "px(200, 200) == $GREEN and px(201, 201) == $GREEN and px(202, 200) == $BLACK" \
    "all(px(x, 300) == $BLUE and px(x, 301) == $BLUE for x in range(640))" \
    "px(0, 299) == $BLACK and px(0, 302) == $BLACK" \
    "all(px(x, 399) == $WHITE for x in range(600, 616)) and px(616, 399) == $BLACK"
note "mode 13h: square, pixel, line and run where the ROM drew them"

# Mode 12h: 640x480, 16 colours in four planes.
rom mode12
run mode12
expect "VGA-READMODE1=F0" "read mode 1 (colour compare) result"
ppm_check "$LOGDIR/mode12-screen.ppm" "w == 640 and h == 480" \
    "px(8, 10) == $WHITE and px(7, 10) == $BLACK and px(9, 10) == $BLACK" \
    "all(px(x, 100) == $YELLOW for x in range(640))" \
    "px(0, 99) == $BLACK and px(0, 101) == $BLACK" \
    "all(px(x, 200) == $PURPLE for x in range(80, 84))" \
    "all(px(x, 200) == $BLACK for x in range(84, 88)) and px(79, 200) == $BLACK" \
    "all(px(x, 300) == $YELLOW for x in range(40, 48))" \
    "px(39, 300) == $BLACK and px(48, 300) == $BLACK"
note "mode 12h: write modes 0 (set/reset), 1 (latch copy), 2 and 3 drew the expected pixels"
echo "[test-vga-modes] PASS"
