#!/usr/bin/env bash
# tools/wirebox-run itself, with the Multiboot test kernel (a guest that
# boots in a moment): a script that waits for text that never comes exits
# non-zero and shows the step, the pattern and the console's last lines;
# two scripts in parallel give one line each and "1 passed, 1 failed"; a
# wrong exit status, a forbidden text and a mistake in the script fail too.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -x "$WIREBOX" ] || fail "emulator binary '$WIREBOX' not found"
build_mbtest elf
D=$LOGDIR/scripts
mkdir -p "$D"
RUNNER=(python3 "$SRC/tools/wirebox-run" --wirebox "$WIREBOX" --set KERNEL="$MBTEST")

cat >"$D/good.wbt" <<'W'
start -kernel ${KERNEL} -append "echo exit=3" -device isa-debug-exit,iobase=0xf4
expect "MB: echo ready"
sendraw "hi."
expect "HI"
exit 7
W
cat >"$D/wrong-pattern.wbt" <<'W'
# the guest never prints this
start -kernel ${KERNEL} -append "wait"
expect "MB: waiting"
expect 2 "no such text"
exit 0
W
cat >"$D/wrong-status.wbt" <<'W'
start -kernel ${KERNEL} -append "exit=4" -device isa-debug-exit,iobase=0xf4
exit 0
W
cat >"$D/forbidden.wbt" <<'W'
start -kernel ${KERNEL} -append "wait"
never /MB: mods=0x[0-9]/
expect "MB: waiting"
W
cat >"$D/bad-step.wbt" <<'W'
start -kernel ${KERNEL}
expectt "typo"
W

out=$LOGDIR/runner.out
runner() { # ARGS...: runs the runner, output in $out, status in $rc
    rc=0
    "${RUNNER[@]}" "$@" >"$out" 2>&1 || rc=$?
    sed 's/^/    runner: /' "$out"
}
has() { grep -qF -- "$1" "$out" || fail "the runner's output lacks: $1"; }

runner "$D/good.wbt"
[ "$rc" = 0 ] || fail "a passing script: the runner exited with $rc"
has "PASS $D/good.wbt ("
has "1 passed, 0 failed"

runner -j 2 "$D/good.wbt" "$D/wrong-pattern.wbt"
[ "$rc" = 1 ] || fail "a failing script: the runner exited with $rc, not 1"
has "FAIL $D/wrong-pattern.wbt: line 4: expect 2 \"no such text\": \"no such text\" did not appear within 2 s of guest time"
has "---- last 40 lines of the console"
has "MB: hello from multiboot (elf)"
has "MB: waiting"
has "PASS $D/good.wbt ("
has "1 passed, 1 failed"
[ "$(grep -c '^PASS \|^FAIL ' "$out")" = 2 ] || fail "not one summary line per script"

runner "$D/wrong-status.wbt"
[ "$rc" = 1 ] || fail "a wrong exit status passed"
has "FAIL $D/wrong-status.wbt: line 2: exit 0: wirebox exited with status 9, not 0"

runner "$D/forbidden.wbt"
[ "$rc" = 1 ] || fail "a forbidden text passed"
has "the console printed /MB: mods=0x[0-9]/, which the script forbids"

runner "$D/bad-step.wbt"
[ "$rc" = 1 ] || fail "a script with a typo passed"
has "FAIL $D/bad-step.wbt: line 2: unknown step 'expectt'"
note "ok"
