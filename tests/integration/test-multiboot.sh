#!/usr/bin/env bash
# Multiboot: a test kernel assembled here (GNU as + ld) as ELF32 and as a
# flat a.out-kludge binary boots with -kernel, sees its command line, memory
# and two modules with their strings, prints on COM1 and on port 0xE9, and
# wirebox's exit status is what it wrote to isa-debug-exit, (V << 1) | 1.
# The same ELF kernel under qemu-system-i386 prints the same module lines
# and exits with the same status (a check that wirebox follows the spec the
# way QEMU does).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$WIREBOX" ] || fail "emulator binary '$WIREBOX' not found"
build_mbtest elf
run_script multiboot.wbt --set KERNEL="$MBTEST" --set KIND=elf
expect_script_ok
build_mbtest aout
run_script multiboot-aout.wbt --set KERNEL="$MBTEST"
expect_script_ok

if command -v qemu-system-i386 >/dev/null 2>&1; then
    build_mbtest elf
    printf 'first module line\nmore\n' >"$LOGDIR/mod1.txt"
    rc=0
    timeout --kill-after=10 600 qemu-system-i386 -kernel "$MBTEST" -append "hello exit=21" \
        -initrd "$LOGDIR/mod1.txt one two" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -display none -serial "file:$LOGDIR/qemu.log" -net none </dev/null || rc=$?
    [ "$rc" = 43 ] || fail "qemu-system-i386 exited with $rc (expected 43)"
    grep -qF "MB: mod 0x0 '$LOGDIR/mod1.txt one two' size=0x17 text=first module line" \
        "$LOGDIR/qemu.log" || fail "qemu-system-i386's module line differs: $(grep 'MB: mod' "$LOGDIR/qemu.log")"
    note "qemu-system-i386 agrees"
fi
note "ok"
