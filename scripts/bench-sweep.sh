#!/usr/bin/env bash
# bench-sweep.sh — lessons 1 and 2 (without and with stapling) played at
# growing crowd sizes with `scenario run --sweep users=…`: the requests and
# bytes at the CA for each size (the table the runner prints), the wall time
# of each size, and the browser's peak memory for the largest crowd, which
# must not grow with the number of users. Writes the report with its
# log-scale plot to build/bench/sweep/report.html. Figures are printed;
# nothing is asserted (times depend on the machine).
#
#   BENCH_SWEEP=10,100,1000,10000,100000 scripts/bench-sweep.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin"
SIZES=${BENCH_SWEEP:-10,100,1000,10000,100000}

# shellcheck disable=SC2034 # used by bench-common.sh
BENCH_NAME=bench-sweep
# shellcheck source=scripts/lib/bench-common.sh
. "$ROOT/scripts/lib/bench-common.sh"

require_lab_programs ca responder webserver browser scenario
command -v /usr/bin/time >/dev/null 2>&1 || [ -x /usr/bin/time ] || say "no /usr/bin/time: peak memory not measured"

OUT="$ROOT/build/bench/sweep"
rm -rf "$OUT"
mkdir -p "$ROOT/build/bench"

# The sweep itself, timed as a whole.
start=$(date +%s.%N)
"$BIN/scenario" run --no-pause --report --lab "$OUT" --sweep "users=$SIZES" 1 2 |
    sed -n '/users  stapled/,$p'
end=$(date +%s.%N)
echo
printf 'sweep users=%s of lessons 1 and 2: %.1f s in all\n' "$SIZES" "$(echo "$end - $start" | bc)"

# How much each lab wrote: the browser traces its first 2,000 users one by
# one and sums the rest, so the trace grows with the web server's and the
# responder's lines only.
echo "trace per lab:"
for lab in "$OUT"/*@*/; do
    [ -f "$lab/trace.jsonl" ] || continue
    printf '  %-32s %8s  %7s lines\n' "$(basename "$lab")" \
        "$(du -h "$lab/trace.jsonl" | cut -f1)" "$(wc -l <"$lab/trace.jsonl")"
done

# Peak memory of one browser run at the largest size, against a lab of its
# own (stapling off: every user also asks the CA, the heaviest case).
largest=${SIZES##*,}
if [ -x /usr/bin/time ]; then
    TMP=$(mktemp -d /tmp/bench-sweep.XXXXXX)
    LAB="$TMP/lab"
    "$BIN/ca" --lab "$LAB" init >/dev/null
    "$BIN/responder" --lab "$LAB" --listen 127.0.0.1:0 >"$TMP/responder.out" 2>"$TMP/responder.err" &
    PIDS="$PIDS $!"
    wait_for_line "$TMP/responder.out" "^listening on " "$!" || die "responder did not start"
    RP=$(sed -n '1s/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$TMP/responder.out")
    "$BIN/ca" --lab "$LAB" issue shop.test --ocsp-url "http://127.0.0.1:$RP/" >/dev/null
    "$BIN/webserver" shop.test --lab "$LAB" --listen 127.0.0.1:0 --stapling off \
        >"$TMP/webserver.out" 2>"$TMP/webserver.err" &
    PIDS="$PIDS $!"
    wait_for_line "$TMP/webserver.out" "^listening on " "$!" || die "webserver did not start"
    WP=$(sed -n '1s/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$TMP/webserver.out")
    /usr/bin/time -f '%M %e' -o "$TMP/time" "$BIN/browser" visit "https://shop.test:$WP/" \
        --lab "$LAB" --users "$largest" --staple off --json >"$TMP/visit.json" ||
        die "the browser failed with $largest users"
    read -r rss seconds <"$TMP/time"
    printf 'browser visit --users %s --staple off: %s s, peak RSS %s MB (%s users accepted)\n' \
        "$largest" "$seconds" "$((rss / 1024))" \
        "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["accepted"])' "$TMP/visit.json")"
fi
echo "report with the log-scale plot: $OUT/report.html"
