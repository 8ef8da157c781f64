#!/usr/bin/env bash
# With -icount shift=0,sleep=off (the runner's default) two boots of the
# same guest must produce byte-identical serial output.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
for run in 1 2; do
    mkdir -p "$LOGDIR/run$run"
    run_script boot.wbt --log-dir "$LOGDIR/run$run"
    [ "$WB_RC" = 0 ] || fail "run $run failed (the runner's report is above)"
done

a=$LOGDIR/run1/boot.log
b=$LOGDIR/run2/boot.log
if ! cmp "$a" "$b"; then
    echo "---- first differences (diff run1 run2)" >&2
    diff -a "$a" "$b" | tr -d '\r' | head -n 40 >&2 || true
    WB_LAST_LOG=
    fail "the two -icount runs printed different output ($a vs $b)"
fi
note "ok: both runs printed the same $(wc -c <"$a") bytes"
