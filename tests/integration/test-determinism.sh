#!/usr/bin/env bash
# With -icount (instruction-counted virtual time, no sleeping) two boots of
# the same guest must produce byte-identical serial output.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
APPEND="console=ttyS0 nokaslr wb.cmd=test"

for run in 1 2; do
    boot "run$run" "$APPEND" -icount shift=0,sleep=off
    expect "WIREBOX-RESULT: test ok 42" "run $run's output"
    expect_clean_exit
done

a=$LOGDIR/run1.log
b=$LOGDIR/run2.log
if ! cmp "$a" "$b"; then
    echo "---- first differences (diff run1 run2)" >&2
    diff -a "$a" "$b" | tr -d '\r' | head -n 40 >&2 || true
    WB_LAST_LOG=
    fail "the two -icount runs printed different output ($a vs $b)"
fi
note "ok: both runs printed the same $(wc -c <"$a") bytes"
