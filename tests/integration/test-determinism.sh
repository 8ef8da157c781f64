#!/usr/bin/env bash
# With -icount shift=0,sleep=off (the runner's default) boots of the same
# guest must produce byte-identical serial output: two with the translator
# (-accel tcg), and one with the interpreter (-accel interp), since the
# translator must count and stop at exactly the same instructions.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_guest
for run in tcg1 tcg2 interp; do
    mkdir -p "$LOGDIR/$run"
    WB_ACCEL=${run%[0-9]} run_script boot.wbt --log-dir "$LOGDIR/$run"
    [ "$WB_RC" = 0 ] || fail "run $run failed (the runner's report is above)"
done

same() { # RUN-A RUN-B
    local a=$LOGDIR/$1/boot.log b=$LOGDIR/$2/boot.log
    if ! cmp "$a" "$b"; then
        echo "---- first differences (diff $1 $2)" >&2
        diff -a "$a" "$b" | tr -d '\r' | head -n 40 >&2 || true
        WB_LAST_LOG=
        fail "the -icount runs $1 and $2 printed different output ($a vs $b)"
    fi
}
same tcg1 tcg2
same tcg1 interp
note "ok: all three runs printed the same $(wc -c <"$LOGDIR/tcg1/boot.log") bytes"
