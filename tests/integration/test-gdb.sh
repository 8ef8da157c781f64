#!/usr/bin/env bash
# Debug the reference guest with Debian's gdb in batch mode: start it with
# -S -s (stopped, stub on port 1234; another free port if that one is
# taken), attach, break at the kernel's 32-bit entry (hardware breakpoint at
# 0x100000), check the registers the boot protocol sets there, single-step,
# read memory (boot_params and the kernel's code), let a watchpoint on the
# first word the decompressor writes at 16 MiB trigger, ask the monitor for
# the registers, continue and interrupt the running guest with Ctrl-C
# (SIGINT to gdb), detach, and the guest must boot on to its shell.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
command -v gdb >/dev/null 2>&1 || fail "gdb not found (tools/setup installs it)"

WB_LAST_LOG=$LOGDIR/guest.log
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

# start_guest GDB-OPTIONS...: wirebox in the background; sets WB_PID and PORT,
# or returns 1 if it exited before listening (port taken).
start_guest() {
    timeout --kill-after=10 "$WB_TIMEOUT" "$WIREBOX" -m 256 \
        -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" \
        -append "console=ttyS0 nokaslr wb.cmd=shell" \
        -nographic -no-reboot -nic none -S "$@" \
        </dev/null >"$WB_LAST_LOG" 2>"$WB_LAST_LOG.stderr" &
    WB_PID=$!
    for _ in $(seq 100); do
        PORT=$(sed -n 's/.*gdb stub: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WB_LAST_LOG.stderr")
        [ -n "$PORT" ] && return 0
        kill -0 "$WB_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    fail "the gdb stub did not start listening within 10 s"
}

if start_guest -s; then
    note "wirebox -S -s: stub on port $PORT"
else
    note "port 1234 is taken ($(tail -n 1 "$WB_LAST_LOG.stderr")); using a free port"
    start_guest -gdb tcp::0 || fail "wirebox did not start"
    note "wirebox -S -gdb tcp::0: stub on port $PORT"
fi

cat >"$GDB_SCRIPT" <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$PORT
printf "START pc=%#x\n", \$pc
hbreak *0x100000
continue
printf "ENTRY pc=%#x cs=%#x ds=%#x ss=%#x es=%#x", \$pc, \$cs, \$ds, \$ss, \$es
printf " esi=%#x esp=%#x eflags=%#x\n", \$esi, \$esp, \$eflags
x/2i \$pc
stepi
printf "STEP pc=%#x\n", \$pc
printf "HDRS %#x\n", *(unsigned int *)0x10202
x/8xb 0x100000
delete
watch *(unsigned int *)0x1000000
continue
printf "WATCH pc=%#x value=%#x\n", \$pc, *(unsigned int *)0x1000000
delete
monitor regs
continue
printf "INTERRUPTED pc=%#x cs=%#x\n", \$pc, \$cs
detach
EOF

note "gdb -batch -x $GDB_SCRIPT"
# --foreground: a SIGINT to timeout reaches gdb once (not again through
# the process group), as one Ctrl-C.
timeout --foreground --kill-after=10 240 gdb -batch -nx -x "$GDB_SCRIPT" >"$GDB_OUT" 2>&1 &
GDB_PID=$!
# The last continue runs the kernel: once it prints its banner, Ctrl-C.
for _ in $(seq 1800); do
    grep -qaF "Linux version" "$WB_LAST_LOG" && break
    kill -0 "$GDB_PID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$GDB_PID" 2>/dev/null; then
    sleep 1
    note "the kernel runs; interrupting it (SIGINT to gdb)"
    kill -INT "$GDB_PID" # timeout passes it on to gdb
fi
rc=0
wait "$GDB_PID" || rc=$?
sed 's/^/    gdb: /' "$GDB_OUT"
[ "$rc" = 0 ] || fail "gdb exited with status $rc"

gdb_has() { grep -qF -- "$1" "$GDB_OUT" || fail "gdb's output lacks: $1"; }
gdb_val() { sed -n "s/^$1 //p" "$GDB_OUT" | head -n 1; }

# Stopped by -S at the firmware's hand-over jump, before the kernel.
gdb_has "START pc=0xffff0"
# The hardware breakpoint at the 32-bit entry, with the boot protocol's state.
gdb_has "Hardware assisted breakpoint 1 at 0x100000"
gdb_has "Breakpoint 1, 0x00100000 in ?? ()"
gdb_has "ENTRY pc=0x100000 cs=0x10 ds=0x18 ss=0x18 es=0x18 esi=0x10000 esp=0x10000 eflags=0x2"
# One instruction on: the address gdb disassembled as the second one.
second=$(grep -A1 '=> 0x100000:' "$GDB_OUT" | sed -n '2s/^ *\(0x[0-9a-f]*\):.*/\1/p')
[ -n "$second" ] || fail "no disassembly of the kernel entry in gdb's output"
gdb_has "STEP pc=$second"
# Memory: boot_params' "HdrS", and the kernel's first bytes as in the bzImage.
gdb_has "HDRS 0x53726448"
setup_sects=$(od -An -tu1 -j 0x1F1 -N1 "$GUEST/vmlinuz" | tr -d ' ')
[ "$setup_sects" = 0 ] && setup_sects=4
want=$(od -An -tx1 -j $(((setup_sects + 1) * 512)) -N8 "$GUEST/vmlinuz" | sed 's/^ *//; s/  */ /g')
got=$(sed -n 's/^0x100000:\t//p' "$GDB_OUT" | sed 's/0x//g; s/\t/ /g')
[ "$got" = "$want" ] || fail "kernel code at 0x100000 reads '$got', the bzImage has '$want'"
# The watchpoint: the decompressor's first write of the kernel at 16 MiB.
gdb_has "Hardware watchpoint 2: *(unsigned int *)0x1000000"
gdb_has "Old value = 0"
grep -q "^New value = [1-9]" "$GDB_OUT" || fail "the watchpoint did not report a new value"
watch=$(gdb_val WATCH)
case "$watch" in
"pc=0x"*" value=0x"*) ;;
*) fail "no stop at the watchpoint (got '$watch')" ;;
esac
[ "${watch##*value=}" != 0x0 ] || fail "watchpoint stop with the word still 0"
# monitor commands reach the stub.
gdb_has "CR0="
# Ctrl-C stopped the running guest where it was: by then in paged protected
# mode, either in the kernel (its code segment 0x60, an address from
# 0xC0000000 up) or in a process it started (0x73, below 0xC0000000; the
# kernel runs helpers such as modprobe while it boots).
gdb_has "Program received signal SIGINT, Interrupt."
stop=$(gdb_val INTERRUPTED)
pc=${stop%% *}
pc=$((${pc#pc=}))
case "${stop##* }" in
cs=0x60) [ "$pc" -ge $((0xc0000000)) ] ||
    fail "Ctrl-C stop in the kernel's code segment at a user address ($stop)" ;;
cs=0x73) [ "$pc" -lt $((0xc0000000)) ] ||
    fail "Ctrl-C stop in the user code segment at a kernel address ($stop)" ;;
*) fail "no stop in the kernel's (0x60) or user (0x73) code segment after Ctrl-C (got '$stop')" ;;
esac
gdb_has "[Inferior 1 (Remote target) detached]"
note "gdb session ok: entry, step to $second, memory, watchpoint at ${watch%% *}, Ctrl-C at $stop"

# Detached: the guest runs on to its shell.
for _ in $(seq "$WB_TIMEOUT"); do
    grep -qaF "WIREBOX-READY" "$WB_LAST_LOG" && break
    kill -0 "$WB_PID" 2>/dev/null || fail "the emulator exited after the detach"
    sleep 1
done
expect "Linux version $GUEST_VERSION " "the kernel banner"
expect "WIREBOX-READY" "the guest's shell banner"
grep -qaF "gdb: detached; the guest runs on" "$WB_LAST_LOG.stderr" ||
    fail "wirebox did not log the detach"
note "the guest booted to its shell after the detach"
note "ok"
