#!/usr/bin/env bash
# bench-soak.sh — a long run against one responder and one web server, for
# what short benchmarks cannot see (issue 13): 1,000,000 OCSP requests (RFC
# 5019 GETs and POSTs with a nonce at the same time) in segments, with the
# responder's faults switched on and off between them through /control/fault
# (as the teacher, with the lab's control token), then 100,000 stapled TLS 1.3
# handshakes. Reports the errors of every segment (goal: 0 outside the fault
# windows), each server's RSS at start and end (goal: flat within 2 MB) and
# how much the trace grew. Nothing is asserted; the figures are printed.
#
#   BENCH_SOAK_REQUESTS=1000000 BENCH_SOAK_HANDSHAKES=100000 scripts/bench-soak.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin"
LOAD="$ROOT/build/bench/ocsp_load"
HANDSHAKES="$ROOT/build/bench/tls_handshakes"
TARGET_REQUESTS=${BENCH_SOAK_REQUESTS:-1000000}
TARGET_HANDSHAKES=${BENCH_SOAK_HANDSHAKES:-100000}
CONNS=16

# shellcheck disable=SC2034 # used by bench-common.sh
BENCH_NAME=bench-soak
# shellcheck source=scripts/lib/bench-common.sh
. "$ROOT/scripts/lib/bench-common.sh"

require_lab_programs ca responder webserver
mkdir -p "$ROOT/build/bench"
cc -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pthread \
    "$ROOT/tests/bench/ocsp_load.c" "$ROOT/tests/bench/latency.c" -o "$LOAD" ||
    die "cannot build tests/bench/ocsp_load.c"
cc -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pthread \
    "$ROOT/tests/bench/tls_handshakes.c" "$ROOT/tests/bench/latency.c" -o "$HANDSHAKES" \
    -lssl -lcrypto || die "cannot build tests/bench/tls_handshakes.c"

TMP=$(mktemp -d /tmp/bench-soak.XXXXXX)
LAB="$TMP/lab"
"$BIN/ca" --lab "$LAB" init >"$TMP/ca.log" 2>&1 || die "ca init failed: $(cat "$TMP/ca.log")"
bench_start responder RESPONDER_PORT RESPONDER_PID "$BIN/responder" --lab "$LAB" \
    --listen 127.0.0.1:0
"$BIN/ca" --lab "$LAB" issue shop.test --ocsp-url "http://127.0.0.1:$RESPONDER_PORT/" \
    >>"$TMP/ca.log" 2>&1 || die "ca issue failed: $(cat "$TMP/ca.log")"
bench_start webserver WEB_PORT WEB_PID "$BIN/webserver" shop.test --lab "$LAB" \
    --listen 127.0.0.1:0
openssl ocsp -issuer "$LAB/ca/root.pem" -cert "$LAB/certs/shop.test.pem" -no_nonce \
    -reqout "$TMP/plain.der" >/dev/null 2>&1 || die "openssl cannot build a request"
openssl ocsp -issuer "$LAB/ca/root.pem" -cert "$LAB/certs/shop.test.pem" \
    -reqout "$TMP/nonce.der" >/dev/null 2>&1 || die "openssl cannot build a request"
[ -f "$LAB/control.token" ] || die "the lab has no control.token (ca init makes it)"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
trace_bytes() { wc -c <"$LAB/trace.jsonl"; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# fault MODE: switch the responder's fault as the teacher does.
fault() {
    curl -sf --max-time 5 -H "X-Lab-Control-Token: $(tr -d '\n' <"$LAB/control.token")" \
        -H 'Content-Type: application/x-ocsplab-control' -d "$1" \
        "http://127.0.0.1:$RESPONDER_PORT/control/fault" >/dev/null ||
        die "cannot switch the responder's fault to '$1'"
}

# A warm-up at the soak's own concurrency, so "start" is a server whose
# threads, caches and allocator arenas are already in use: what grows after
# it is what a long run adds.
"$LOAD" --port "$RESPONDER_PORT" --request "$TMP/plain.der" --method GET --conns $((CONNS / 2)) \
    --seconds 2 --warmup 0 >/dev/null &
WARM_PID=$!
"$LOAD" --port "$RESPONDER_PORT" --request "$TMP/nonce.der" --method POST --conns $((CONNS / 2)) \
    --seconds 2 --warmup 0 >/dev/null
wait "$WARM_PID" # only it: a bare wait would wait for the servers too
"$HANDSHAKES" --port "$WEB_PORT" --conns 8 --count 5000 --tls 1.3 --timeout-ms 5000 \
    --cpu-pids "$WEB_PID" >/dev/null
RESPONDER_RSS_START=$(rss_kb "$RESPONDER_PID")
WEB_RSS_START=$(rss_kb "$WEB_PID")
TRACE_START=$(trace_bytes)

# segment NAME MODE SECONDS: GETs and nonce POSTs side by side for SECONDS
# with the responder in fault MODE; prints one row, adds to the totals.
TOTAL=0
HEALTHY_ERRORS=0
FAULT_ERRORS=0
printf '%-10s %-9s %6s %10s %9s %8s %9s\n' segment fault seconds requests 'req/s' errors 'p99 us'
segment() {
    local name=$1 mode=$2 seconds=$3 get post requests errors p99
    fault "$mode"
    "$LOAD" --port "$RESPONDER_PORT" --request "$TMP/plain.der" --method GET \
        --conns $((CONNS / 2)) --seconds "$seconds" --warmup 0 >"$TMP/get.txt" 2>>"$TMP/load.err" &
    local get_pid=$!
    "$LOAD" --port "$RESPONDER_PORT" --request "$TMP/nonce.der" --method POST \
        --conns $((CONNS / 2)) --seconds "$seconds" --warmup 0 >"$TMP/post.txt" 2>>"$TMP/load.err" ||
        die "the load generator failed: $(tail -2 "$TMP/load.err")"
    wait "$get_pid" || die "the load generator failed: $(tail -2 "$TMP/load.err")"
    get=$(cat "$TMP/get.txt")
    post=$(cat "$TMP/post.txt")
    # Answers during a fault window are refusals on purpose (tryLater,
    # garbage): they count as errors of the window, not as served requests.
    requests=$(($(field "$get" requests) + $(field "$post" requests) + $(field "$get" errors) +
        $(field "$post" errors)))
    errors=$(($(field "$get" errors) + $(field "$post" errors)))
    p99=$(field "$post" p99_us)
    TOTAL=$((TOTAL + requests))
    if [ "$mode" = none ]; then HEALTHY_ERRORS=$((HEALTHY_ERRORS + errors)); else FAULT_ERRORS=$((FAULT_ERRORS + errors)); fi
    printf '%-10s %-9s %6s %10s %9.0f %8s %9s\n' "$name" "$mode" "$seconds" "$requests" \
        "$(awk -v n="$requests" -v s="$seconds" 'BEGIN { print n / s }')" "$errors" "$p99"
}

STARTED=$(date +%s)
round=0
while [ "$TOTAL" -lt "$TARGET_REQUESTS" ]; do
    round=$((round + 1))
    segment "healthy" none 6
    [ "$TOTAL" -ge "$TARGET_REQUESTS" ] && break
    case $((round % 2)) in
    1) segment "fault" trylater 2 ;;
    0) segment "fault" garbage 2 ;;
    esac
    segment "healthy" none 4
    [ "$round" -ge 40 ] && break # a very slow machine: stop anyway
done
fault none
OCSP_SECONDS=$(($(date +%s) - STARTED))

HS_LINE=$("$HANDSHAKES" --port "$WEB_PORT" --conns 8 --count "$TARGET_HANDSHAKES" --tls 1.3 \
    --timeout-ms 5000 --cpu-pids "$WEB_PID" 2>>"$TMP/load.err") ||
    die "the handshake load failed: $(tail -2 "$TMP/load.err")"

RESPONDER_RSS_END=$(rss_kb "$RESPONDER_PID")
WEB_RSS_END=$(rss_kb "$WEB_PID")
TRACE_END=$(trace_bytes)
kb_delta() { echo $(($2 - $1)); }
verdict() { if test "$1" "$2" "$3"; then echo met; else echo MISSED; fi; }

echo
printf 'OCSP: %s requests in %s s (GET and POST with a nonce, %s connections), %s errors outside\n' \
    "$TOTAL" "$OCSP_SECONDS" "$CONNS" "$HEALTHY_ERRORS"
printf '      the fault windows (goal 0: %s), %s refusals inside them (tryLater, garbage).\n' \
    "$(verdict "$HEALTHY_ERRORS" -eq 0)" "$FAULT_ERRORS"
printf 'TLS:  %s stapled TLS 1.3 handshakes: %s stapled, %s errors, %s/s.\n' \
    "$(field "$HS_LINE" handshakes)" "$(field "$HS_LINE" stapled)" "$(field "$HS_LINE" errors)" \
    "$(field "$HS_LINE" hps)"
printf 'RSS:  responder %s kB -> %s kB (%+d kB), web server %s kB -> %s kB (%+d kB); goal flat within\n' \
    "$RESPONDER_RSS_START" "$RESPONDER_RSS_END" "$(kb_delta "$RESPONDER_RSS_START" "$RESPONDER_RSS_END")" \
    "$WEB_RSS_START" "$WEB_RSS_END" "$(kb_delta "$WEB_RSS_START" "$WEB_RSS_END")"
printf '      2 MB: responder %s, web server %s.\n' \
    "$(verdict "$(kb_delta "$RESPONDER_RSS_START" "$RESPONDER_RSS_END")" -le 2048)" \
    "$(verdict "$(kb_delta "$WEB_RSS_START" "$WEB_RSS_END")" -le 2048)"
printf 'trace: grew by %s kB over the soak (%s bytes in all); by actor, in kB:' \
    $(((TRACE_END - TRACE_START) / 1024)) "$TRACE_END"
# Which program wrote how much: the responder's answers are budgeted
# (1,000 a second one by one, the rest summed); the web server writes one
# line per handshake.
awk '{ if (match($0, /"actor":"[a-z]+"/)) { a = substr($0, RSTART + 9, RLENGTH - 10); n[a] += length($0) + 1 } }
     END { for (a in n) printf " %s %d", a, n[a] / 1024; printf "\n" }' "$LAB/trace.jsonl"
printf '       responder summaries: %s (answers counted per second, not traced one by one).\n' \
    "$(grep -c '"ocsp.responses.summarized"' "$LAB/trace.jsonl" || true)"
