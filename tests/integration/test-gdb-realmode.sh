#!/usr/bin/env bash
# Real mode under gdb: a tiny ROM assembled here (GNU as, .code16) runs from
# -bios with -S. gdb must see the reset vector F000:FFF0 as PC 0xffff0
# (CS*16+IP, with 16-bit disassembly), step through the ROM with CS:IP and
# the registers right at every step, stop at a software breakpoint and a
# watchpoint given as linear addresses, and stop at a hardware breakpoint on
# the reset vector when the ROM resets the machine (port 0xCF9).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$WIREBOX" ] || fail "emulator binary '$WIREBOX' not found"
for tool in gdb as ld nm; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (tools/setup installs gdb and binutils)"
done
mkdir -p "$LOGDIR"
WB_LAST_LOG=$LOGDIR/wirebox.log
GDB_SCRIPT=$LOGDIR/session.gdb
GDB_OUT=$LOGDIR/gdb.log
WB_PID=
cleanup() {
    if [ -n "$WB_PID" ] && kill -0 "$WB_PID" 2>/dev/null; then
        kill "$WB_PID" 2>/dev/null || true
        sleep 1
        kill -9 "$WB_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# The ROM: its last 64 KiB are the F000 segment (0xF0000-0xFFFFF, and the
# top of 4 GiB), so label offsets are IPs in segment F000.
cat >"$LOGDIR/rom.S" <<'EOF'
    .code16
    .text
start:
    mov     $0x1234, %ax
    mov     %ax, %ds
    mov     $0x50, %bx
    movw    $0xbeef, (%bx)
    xor     %cx, %cx
again:
    inc     %cx
    cmp     $5, %cx
    jne     again
after_loop:
    movw    $0x5678, 2(%bx)
after_store:
    nop
    mov     $0xcf9, %dx
    mov     $0x06, %al
    out     %al, %dx            # reset the machine
hang:
    hlt
    jmp     hang
    .org    0xfff0
reset_vector:
    ljmp    $0xf000, $start
    .org    0x10000
EOF
as --32 -o "$LOGDIR/rom.o" "$LOGDIR/rom.S" || fail "as failed"
ld -m elf_i386 -Ttext=0 -e 0 --oformat binary -o "$LOGDIR/rom.bin" "$LOGDIR/rom.o" || fail "ld failed"
sym() { # SYMBOL: its linear address (the ROM's offset 0 is F000:0000)
    local off
    off=$(nm "$LOGDIR/rom.o" | awk -v s="$1" '$3 == s { print $1 }')
    [ -n "$off" ] || fail "no symbol $1 in rom.o"
    printf '%#x' $((0xf0000 + 16#$off))
}
AFTER_LOOP=$(sym after_loop)
AFTER_STORE=$(sym after_store)

timeout --kill-after=10 "$WB_TIMEOUT" "$WIREBOX" -bios "$LOGDIR/rom.bin" -display none -nodefaults \
    -S -gdb tcp::0 </dev/null >"$WB_LAST_LOG" 2>"$WB_LAST_LOG.stderr" &
WB_PID=$!
PORT=
for _ in $(seq 100); do
    PORT=$(sed -n 's/.*gdb stub: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WB_LAST_LOG.stderr")
    [ -n "$PORT" ] && break
    kill -0 "$WB_PID" 2>/dev/null || fail "wirebox exited: $(cat "$WB_LAST_LOG.stderr")"
    sleep 0.1
done
[ -n "$PORT" ] || fail "the gdb stub did not start listening within 10 s"
note "wirebox -bios rom.bin -S: stub on port $PORT"

cat >"$GDB_SCRIPT" <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$PORT
define regs
  printf "pc=%#x cs=%#x ip=%#x ", \$pc, \$cs, \$pc - \$cs * 16
  printf "eax=%#x ebx=%#x ecx=%#x ds=%#x\n", \$eax, \$ebx, \$ecx, \$ds
end
define st
  stepi
  printf "STEP "
  regs
end
printf "RESET "
regs
printf "RESET2 edx=%#x eflags=%#x ss=%#x esp=%#x\n", \$edx, \$eflags, \$ss, \$esp
x/i \$pc
st
x/i \$pc
st
st
st
st
printf "MEM %#x\n", *(unsigned short *)0x12390
break *$AFTER_LOOP
continue
printf "BREAK "
regs
delete
watch *(unsigned short *)0x12392
continue
printf "WATCH "
regs
delete
hbreak *0xffff0
continue
printf "AGAIN "
regs
st
kill
EOF

note "gdb -batch -x $GDB_SCRIPT"
rc=0
timeout --kill-after=10 60 gdb -batch -nx -x "$GDB_SCRIPT" >"$GDB_OUT" 2>&1 || rc=$?
sed 's/^/    gdb: /' "$GDB_OUT"
[ "$rc" = 0 ] || fail "gdb exited with status $rc"

gdb_has() { grep -qxF -- "$1" "$GDB_OUT" || fail "gdb's output lacks the line: $1"; }

# At reset: F000:FFF0 is PC 0xffff0; EDX holds the CPU signature.
gdb_has "RESET pc=0xffff0 cs=0xf000 ip=0xfff0 eax=0 ebx=0 ecx=0 ds=0"
gdb_has "RESET2 edx=0x633 eflags=0x2 ss=0 esp=0"
# shellcheck disable=SC2016 # gdb's text
grep -qF '=> 0xffff0:	ljmp   $0xf000,$0x0' "$GDB_OUT" ||
    fail "x/i \$pc at the reset vector is not the 16-bit far jump"
# Each step: CS:IP and the registers.
want_steps=(
    "STEP pc=0xf0000 cs=0xf000 ip=0 eax=0 ebx=0 ecx=0 ds=0"
    "STEP pc=0xf0003 cs=0xf000 ip=0x3 eax=0x1234 ebx=0 ecx=0 ds=0"
    "STEP pc=0xf0005 cs=0xf000 ip=0x5 eax=0x1234 ebx=0 ecx=0 ds=0x1234"
    "STEP pc=0xf0008 cs=0xf000 ip=0x8 eax=0x1234 ebx=0x50 ecx=0 ds=0x1234"
    "STEP pc=0xf000c cs=0xf000 ip=0xc eax=0x1234 ebx=0x50 ecx=0 ds=0x1234"
)
mapfile -t got_steps < <(grep '^STEP ' "$GDB_OUT")
for i in "${!want_steps[@]}"; do
    [ "${got_steps[$i]:-}" = "${want_steps[$i]}" ] ||
        fail "step $((i + 1)): got '${got_steps[$i]:-nothing}', want '${want_steps[$i]}'"
done
# shellcheck disable=SC2016 # gdb's text
grep -qF '=> 0xf0000:	mov    $0x1234,%ax' "$GDB_OUT" || fail "x/i \$pc after the far jump"
# The store went to DS*16 + BX = 0x12390.
gdb_has "MEM 0xbeef"
# A software breakpoint after the loop (a linear address).
gdb_has "Breakpoint 1 at $AFTER_LOOP"
ip=$(printf '%#x' $((AFTER_LOOP - 0xf0000)))
gdb_has "BREAK pc=$AFTER_LOOP cs=0xf000 ip=$ip eax=0x1234 ebx=0x50 ecx=0x5 ds=0x1234"
# A watchpoint on DS:0x52: stops after the store.
gdb_has "Hardware watchpoint 2: *(unsigned short *)0x12392"
gdb_has "New value = 22136"
ip=$(printf '%#x' $((AFTER_STORE - 0xf0000)))
gdb_has "WATCH pc=$AFTER_STORE cs=0xf000 ip=$ip eax=0x1234 ebx=0x50 ecx=0x5 ds=0x1234"
# The ROM resets the machine: the hardware breakpoint on the reset vector.
gdb_has "Hardware assisted breakpoint 3 at 0xffff0"
gdb_has "AGAIN pc=0xffff0 cs=0xf000 ip=0xfff0 eax=0 ebx=0 ecx=0 ds=0"
[ "${got_steps[5]:-}" = "${want_steps[0]}" ] || fail "the step after the reset: '${got_steps[5]:-nothing}'"
gdb_has "[Inferior 1 (Remote target) killed]"

# gdb's kill ends the emulator.
for _ in $(seq 50); do
    kill -0 "$WB_PID" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$WB_PID" 2>/dev/null && fail "the emulator still runs after gdb's kill"
wait "$WB_PID" || fail "the emulator exited with status $? after gdb's kill"
WB_PID=
note "ok"
