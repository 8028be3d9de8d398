#!/usr/bin/env bash
# bench-webserver.sh — full TLS handshakes per second (a new connection per
# request, no resumption, ECDHE P-256 + the same ECDSA P-256 certificate) for
# our web server with stapling on and off, and for nginx (Debian's, OpenSSL)
# with `ssl_stapling on` + `ssl_stapling_file`, each with one worker per core,
# all driven by the same client (tests/bench/tls_handshakes.c, OpenSSL) in the
# same run; next to the ceiling: the server-side crypto of one handshake done by
# wolfCrypt in a loop (tests/bench/crypto_ceiling.c). Then the web server's RSS
# over 20,000 stapled TLS 1.3 handshakes (issue 5). Figures and ratios are
# printed; nothing is asserted (times depend on the machine).
#
#   BENCH_SECONDS=2 BENCH_WARMUP=0.5 BENCH_RSS_HANDSHAKES=20000 scripts/bench-webserver.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin"
LOAD="$ROOT/build/bench/tls_handshakes"
CEILING="$ROOT/build/bench/crypto_ceiling"
SECONDS_PER_RUN=${BENCH_SECONDS:-2}
WARMUP=${BENCH_WARMUP:-0.5}
RSS_HANDSHAKES=${BENCH_RSS_HANDSHAKES:-20000}
CONNS_LIST="1 8 32"
CORES=$(nproc 2>/dev/null || echo 1)

# shellcheck disable=SC2034 # used by bench-common.sh
BENCH_NAME=bench-webserver
# shellcheck source=scripts/lib/bench-common.sh
. "$ROOT/scripts/lib/bench-common.sh"

# --- tools -------------------------------------------------------------------
require_lab_programs ca responder webserver
command -v python3 >/dev/null || die "python3 missing (apt-get install python3-minimal): it picks a free port for nginx"
require_wolfssl

# The load generator is an OpenSSL client (independent of our wolfSSL server,
# and the same client for nginx); its headers come from libssl-dev.
if ! pkg-config --exists libssl 2>/dev/null && [ ! -e /usr/include/openssl/ssl.h ]; then
    die "libssl-dev is missing (run 'make deps')"
fi

[ -n "$NGINX" ] || say "nginx is not installed (run 'make deps'): skipping it"

mkdir -p "$ROOT/build/bench"
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pthread \
    "$ROOT/tests/bench/tls_handshakes.c" "$ROOT/tests/bench/latency.c" -o "$LOAD" -lssl -lcrypto ||
    die "cannot build the load generator (tests/bench/tls_handshakes.c)"
# shellcheck disable=SC2086 # the flags are several words on purpose
cc -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pthread $WOLFSSL_CFLAGS \
    "$ROOT/tests/bench/crypto_ceiling.c" -o "$CEILING" $WOLFSSL_LIBS ||
    die "cannot build the crypto ceiling (tests/bench/crypto_ceiling.c)"

TMP=$(mktemp -d /tmp/bench-webserver.XXXXXX)
# nginx workers drop root; they must be able to pass through to www/.
chmod 711 "$TMP"
LAB="$TMP/lab"


# --- the lab: a CA, its responder, shop.test, a good staple ------------------------
"$BIN/ca" --lab "$LAB" init >"$TMP/ca.log" 2>&1 || die "ca init failed: $(cat "$TMP/ca.log")"
bench_start responder RESPONDER_PORT RESPONDER_PID "$BIN/responder" --lab "$LAB" --listen 127.0.0.1:0
OCSP_URL="http://127.0.0.1:$RESPONDER_PORT/"
"$BIN/ca" --lab "$LAB" issue shop.test --ocsp-url "$OCSP_URL" >>"$TMP/ca.log" 2>&1 ||
    die "ca issue failed: $(cat "$TMP/ca.log")"
CERT="$LAB/certs/shop.test.pem"
STAPLE="$TMP/staple.der"
if ! openssl ocsp -issuer "$LAB/ca/root.pem" -cert "$CERT" -url "$OCSP_URL" -no_nonce \
    -CAfile "$LAB/ca/root.pem" -respout "$STAPLE" >"$TMP/ocsp.log" 2>&1 ||
    ! grep -q ': good' "$TMP/ocsp.log"; then
    die "openssl ocsp did not get a good answer: $(cat "$TMP/ocsp.log")"
fi

bench_start webserver-on ON_PORT ON_PID "$BIN/webserver" shop.test --lab "$LAB" \
    --listen 127.0.0.1:0 --workers "$CORES" --stapling on
bench_start webserver-off OFF_PORT OFF_PID "$BIN/webserver" shop.test --lab "$LAB" \
    --listen 127.0.0.1:0 --workers "$CORES" --stapling off

# nginx serves a copy of our page (same bytes) with the same chain (the
# certificate and its issuer, as ours sends) and the same staple file.
NGINX_PORT=""
NGINX_CPU_PIDS=""
mkdir -p "$TMP/www" "$TMP/nginx"
curl -sf --max-time 5 -k --resolve "shop.test:$ON_PORT:127.0.0.1" -o "$TMP/www/index.html" \
    "https://shop.test:$ON_PORT/" || die "our web server did not answer GET /"
chmod -R a+rX "$TMP/www"
if [ -n "$NGINX" ]; then
    NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat "$CERT" "$LAB/ca/root.pem" >"$TMP/nginx/chain.pem"
    cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes $CORES;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        server_name shop.test;
        ssl_certificate $TMP/nginx/chain.pem;
        ssl_certificate_key $LAB/certs/shop.test.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_stapling on;
        ssl_stapling_file $STAPLE;
        root $TMP/www;
        location / { default_type text/html; }
    }
}
EOF
    "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" \
        >"$TMP/nginx/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS="$PIDS $NGINX_PID"
    for _ in $(seq 100); do
        curl -sf -k --max-time 1 -o /dev/null --resolve "shop.test:$NGINX_PORT:127.0.0.1" \
            "https://shop.test:$NGINX_PORT/" && break
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    if curl -sf -k --max-time 1 -o /dev/null --resolve "shop.test:$NGINX_PORT:127.0.0.1" \
        "https://shop.test:$NGINX_PORT/"; then
        # The master and its workers: the CPU time of all of them counts.
        NGINX_CPU_PIDS=$(ps -o pid= --ppid "$NGINX_PID" | tr -d ' ' | tr '\n' ',')$NGINX_PID
    else
        say "nginx did not start ($(cat "$TMP/nginx/error.log" "$TMP/nginx/stdout.log" 2>/dev/null | tail -2)): skipping it"
        NGINX_PORT=""
    fi
fi

# --- the ceiling -----------------------------------------------------------------
echo "crypto ceiling (the lab's wolfCrypt 5.9.2, SP math with assembly, P-256, per handshake: an"
echo "ephemeral key, a shared secret with a fresh client share, an ECDSA signature):"
"$CEILING" --threads "$CORES" --seconds 1.2 --warmup 0.3 >"$TMP/ceiling.txt" || die "the crypto ceiling failed"
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
while read -r line; do
    printf '  %-12s threads %-3s %8s/s  %7s us of CPU each\n' "$(field "$line" op)" \
        "$(field "$line" threads)" "$(field "$line" per_s)" "$(field "$line" cpu_us)"
done <"$TMP/ceiling.txt"
CEILING_LINE=$(grep "^op=handshake threads=$CORES " "$TMP/ceiling.txt")
CEILING_HPS=$(field "$CEILING_LINE" per_s)
CEILING_CPU_US=$(field "$(grep '^op=handshake threads=1 ' "$TMP/ceiling.txt")" cpu_us)
# OpenSSL's own figures for the same operations on the same cores, beside it.
openssl speed -multi "$CORES" -seconds 1 ecdsap256 ecdhp256 >"$TMP/openssl-speed.txt" 2>/dev/null ||
    say "openssl speed failed: no OpenSSL figures in this run"
OSSL_SIGN=$(awk '/^ *256 bits ecdsa \(nistp256\)/ { print $(NF-1) }' "$TMP/openssl-speed.txt" | tail -1)
OSSL_ECDH=$(awk '/^ *256 bits ecdh \(nistp256\)/ { print $NF }' "$TMP/openssl-speed.txt" | tail -1)
# Per core: wolfCrypt's single-thread figures; OpenSSL's total over CORES
# processes divided by CORES. OpenSSL's ECDH is the derivation alone, so
# wolfCrypt's is keygen+ecdh minus keygen, by CPU time.
WOLF_SIGN=$(field "$(grep '^op=sign threads=1 ' "$TMP/ceiling.txt")" per_s)
WOLF_ECDH=$(awk -v ke="$(field "$(grep '^op=keygen+ecdh threads=1 ' "$TMP/ceiling.txt")" cpu_us)" \
    -v k="$(field "$(grep '^op=keygen threads=1 ' "$TMP/ceiling.txt")" cpu_us)" \
    'BEGIN { if (ke > k) printf "%.0f", 1e6 / (ke - k); else printf "-" }')
per_core() { awk -v t="$1" -v n="$CORES" 'BEGIN { if (t > 0) printf "%.0f", t / n; else printf "-" }'; }
OSSL_SIGN=$(per_core "${OSSL_SIGN:-0}")
OSSL_ECDH=$(per_core "${OSSL_ECDH:-0}")
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", a / b; else printf "-" }'; }
printf '  beside OpenSSL %s, per core (openssl speed -multi %s ecdsap256 ecdhp256, divided by %s):\n' \
    "$(openssl version | cut -d' ' -f2)" "$CORES" "$CORES"
printf '    ECDSA P-256 sign/s   wolfCrypt %8s  OpenSSL %8s  wolfCrypt/OpenSSL %s\n' "$WOLF_SIGN" \
    "$OSSL_SIGN" "$(times "$WOLF_SIGN" "$OSSL_SIGN")"
printf '    ECDH P-256 derive/s  wolfCrypt %8s  OpenSSL %8s  wolfCrypt/OpenSSL %s\n' "$WOLF_ECDH" \
    "$OSSL_ECDH" "$(times "$WOLF_ECDH" "$OSSL_ECDH")"

# --- runs ----------------------------------------------------------------------
declare -A HPS CPU_US ERRORS
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }

echo
ROW_FORMAT='%-6s %-4s %-6s %5s %6s %7s %7s %6s %7s %8s %8s %8s %7s %8s\n'
# shellcheck disable=SC2059 # the format is ours, shared by header and rows
printf "$ROW_FORMAT" server tls staple conns 'hs/s' 'p50 us' 'p99 us' errors stapled \
    'srv cpu' '(sys)' 'cli cpu' 'on/off' 'ours/ngx'
# shellcheck disable=SC2059
printf "$ROW_FORMAT" '' '' '' '' '' '' '' '' '' 'us/hs' 'us/hs' 'us/hs' 'hs/s' 'hs/s'

# measure KEY SERVER TLS CONNS PORT CPU_PIDS: one run, one row.
measure() {
    local key=$1 server=$2 tls=$3 conns=$4 port=$5 cpu_pids=$6 line on_off="" vs_nginx="" staple=on
    line=$("$LOAD" --port "$port" --conns "$conns" --seconds "$SECONDS_PER_RUN" --warmup "$WARMUP" \
        --tls "$tls" --cpu-pids "$cpu_pids" 2>>"$TMP/load.err") ||
        die "the load generator failed against $server: $(tail -2 "$TMP/load.err")"
    [ -n "$(field "$line" hps)" ] || die "unexpected output from the load generator: $line"
    HPS[$key]=$(field "$line" hps)
    CPU_US[$key]=$(field "$line" server_cpu_us_per_hs)
    ERRORS[$key]=$(field "$line" errors)
    case $key in
    off/*) staple=off on_off=$(ratio "${HPS[on/${key#off/}]:-0}" "${HPS[$key]}") ;;
    on/any/*) [ -n "$NGINX_PORT" ] && vs_nginx=$(ratio "${HPS[$key]}" "${HPS[nginx/any/$conns]:-0}") ;;
    esac
    # shellcheck disable=SC2059
    printf "$ROW_FORMAT" "$server" "$tls" "$staple" "$conns" "${HPS[$key]}" "$(field "$line" p50_us)" \
        "$(field "$line" p99_us)" "${ERRORS[$key]}" \
        "$(awk -v s="$(field "$line" stapled)" -v n="$(field "$line" handshakes)" \
            'BEGIN { if (n > 0) printf "%.0f%%", 100 * s / n; else printf "-" }')" \
        "$(printf '%.0f' "${CPU_US[$key]}")" "$(printf '%.0f' "$(field "$line" server_sys_us_per_hs)")" \
        "$(printf '%.0f' "$(field "$line" client_cpu_us_per_hs)")" "$on_off" "$vs_nginx"
}

for conns in $CONNS_LIST; do
    # Peers side by side at each concurrency, so drift hits them alike.
    [ -n "$NGINX_PORT" ] && measure "nginx/any/$conns" nginx any "$conns" "$NGINX_PORT" "$NGINX_CPU_PIDS"
    measure "on/any/$conns" ours any "$conns" "$ON_PORT" "$ON_PID"
    measure "off/any/$conns" ours any "$conns" "$OFF_PORT" "$OFF_PID"
done
echo "-- TLS 1.2 only (the staple travels in CertificateStatus, not inside Certificate):"
measure "on/1.2/8" ours 1.2 8 "$ON_PORT" "$ON_PID"
measure "off/1.2/8" ours 1.2 8 "$OFF_PORT" "$OFF_PID"

# BENCH_PROFILE=1: where the stapling server's time goes, by library and
# function (perf samples over one more 32-connection run).
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
    if command -v perf >/dev/null; then
        perf record -q -F 999 -p "$ON_PID" -o "$TMP/perf.data" -- sleep "$SECONDS_PER_RUN" \
            >/dev/null 2>&1 &
        PERF_PID=$!
        "$LOAD" --port "$ON_PORT" --conns 32 --seconds "$SECONDS_PER_RUN" --warmup 0 \
            --cpu-pids "$ON_PID" >/dev/null 2>>"$TMP/load.err" || true
        wait "$PERF_PID" 2>/dev/null || true
        echo "-- profile of the stapling server (perf, self time by library, then by function):"
        perf report -i "$TMP/perf.data" --no-children --sort dso --stdio 2>/dev/null |
            grep -E '^ +[0-9]' | head -6
        perf report -i "$TMP/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null |
            grep -E '^ +[0-9]' | head -15
    else
        say "BENCH_PROFILE=1 needs perf (apt-get install linux-perf)"
    fi
fi

# --- memory ----------------------------------------------------------------------
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
echo
printf 'web server RSS after the runs above: %s kB (stapling on), %s kB (stapling off)\n' \
    "$(rss_kb "$ON_PID")" "$(rss_kb "$OFF_PID")"
RSS_BEFORE=$(rss_kb "$ON_PID")
RSS_LINE=$("$LOAD" --port "$ON_PORT" --conns 8 --count "$RSS_HANDSHAKES" --tls 1.3 --timeout-ms 5000 \
    --cpu-pids "$ON_PID" 2>>"$TMP/load.err") || die "the load generator failed: $(tail -2 "$TMP/load.err")"
RSS_AFTER=$(rss_kb "$ON_PID")
printf '%s stapled TLS 1.3 handshakes (%s stapled, %s TLS 1.3, %s errors, %s/s): RSS %s kB -> %s kB (%+d kB)\n' \
    "$RSS_HANDSHAKES" "$(field "$RSS_LINE" stapled)" "$(field "$RSS_LINE" tls13)" \
    "$(field "$RSS_LINE" errors)" "$(field "$RSS_LINE" hps)" "$RSS_BEFORE" "$RSS_AFTER" \
    $((RSS_AFTER - RSS_BEFORE))
STATS=$(curl -sf -k --max-time 5 --resolve "shop.test:$ON_PORT:127.0.0.1" "https://shop.test:$ON_PORT/stats" |
    tr -d ' \n') || STATS=""
OCSP_FETCHES=$(printf '%s' "$STATS" | sed -n 's/.*"ocsp_fetches":\([0-9]*\).*/\1/p')
RESPONDER_REQUESTS=$(curl -sf --max-time 5 "http://127.0.0.1:$RESPONDER_PORT/stats" | tr -d ' \n' |
    sed -n 's/.*"requests":\([0-9]*\).*/\1/p')

# --- reading ---------------------------------------------------------------------
verdict() { awk -v r="$1" -v goal="$2" 'BEGIN { if (r == "-") print "-"; else printf "%.2fx %s", r, (r >= goal) ? "met" : "MISSED" }'; }
# mean_cpu PREFIX: the mean server CPU per handshake over CONNS_LIST.
mean_cpu() {
    local conns sum=0
    for conns in $CONNS_LIST; do sum=$(awk -v a="$sum" -v b="${CPU_US[$1/$conns]}" 'BEGIN { print a + b }'); done
    awk -v s="$sum" -v n="$(echo "$CONNS_LIST" | wc -w)" 'BEGIN { printf "%.0f", s / n }'
}
BEST_CONNS=32
for conns in $CONNS_LIST; do
    awk -v a="${HPS[on/any/$conns]}" -v b="${HPS[on/any/$BEST_CONNS]}" 'BEGIN { exit !(a > b) }' && BEST_CONNS=$conns
done
ON_CPU=$(mean_cpu on/any)
OFF_CPU=$(mean_cpu off/any)
hps_ratios() {
    local conns out=""
    for conns in $CONNS_LIST; do out="$out $(ratio "${HPS[$1/any/$conns]}" "${HPS[$2/any/$conns]}")"; done
    echo "${out# }"
}
RSS_DELTA=$((RSS_AFTER - RSS_BEFORE))
echo
echo "goals (issue 12: wolfSSL 5.9.2; ours = stapling on, TLS version as negotiated, $CORES workers;"
echo "CPU figures are the mean over $CONNS_LIST connections):"
if [ -n "$NGINX_PORT" ]; then
    NGINX_CPU=$(mean_cpu nginx/any)
    printf '  server CPU per full stapled handshake <= 0.6x nginx: ours %s us / nginx %s us   %s\n' \
        "$ON_CPU" "$NGINX_CPU" "$(awk -v a="$ON_CPU" -v b="$NGINX_CPU" 'BEGIN { if (b > 0) printf "%.2fx %s", a / b, (a / b <= 0.6) ? "met" : "MISSED"; else print "-" }')"
    for conns in 8 32; do
        printf '  handshakes/s >= 1.0x nginx at %2s conns: ours %s/s / nginx %s/s          %s\n' "$conns" \
            "${HPS[on/any/$conns]}" "${HPS[nginx/any/$conns]}" \
            "$(verdict "$(ratio "${HPS[on/any/$conns]}" "${HPS[nginx/any/$conns]}")" 1.0)"
    done
else
    echo "  ours / nginx: nginx is not installed, no verdict (run 'make deps')"
fi
echo "  stapling on / off >= 0.97"
printf '    by CPU per handshake, as negotiated: off %s us / on %s us       %s\n' "$OFF_CPU" "$ON_CPU" \
    "$(verdict "$(ratio "$OFF_CPU" "$ON_CPU")" 0.97)"
printf '    by CPU per handshake, TLS 1.2 (8 conns): off %s us / on %s us   %s\n' \
    "$(printf '%.0f' "${CPU_US[off/1.2/8]}")" "$(printf '%.0f' "${CPU_US[on/1.2/8]}")" \
    "$(verdict "$(ratio "${CPU_US[off/1.2/8]}" "${CPU_US[on/1.2/8]}")" 0.97)"
printf '    by handshakes/s at %s conns: %s (noisy when client and servers share the cores)\n' \
    "$(echo "$CONNS_LIST" | tr ' ' '/')" "$(hps_ratios on off | tr ' ' '/')"
printf '  printed: ours / crypto ceiling by CPU per handshake: ceiling %s us / ours %s us = %s\n' \
    "$(printf '%.0f' "$CEILING_CPU_US")" "$ON_CPU" "$(ratio "$CEILING_CPU_US" "$ON_CPU")"
printf '  RSS flat over %s stapled TLS 1.3 handshakes: %+d kB                 %s\n' "$RSS_HANDSHAKES" \
    "$RSS_DELTA" "$([ "$RSS_DELTA" -le 512 ] && echo met || echo MISSED)"
ALL_ERRORS=0
for key in "${!ERRORS[@]}"; do ALL_ERRORS=$((ALL_ERRORS + ERRORS[$key])); done

NGINX_NOTE="nginx was not available, so there is no nginx column in this run."
[ -n "$NGINX_PORT" ] && NGINX_NOTE="nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') with $(openssl version | cut -d' ' -f1-2): worker_processes $CORES,
    ssl_stapling on, ssl_stapling_file (a good answer fetched by 'openssl ocsp -respout'),
    the same chain (certificate + issuer) and a copy of our page; its CPU counts
    the master and the workers."
cat <<EOF

notes:
  - $CORES CPU cores, shared: the load generator runs on the same cores as the
    server it measures ('cli cpu' is what a handshake costs it: about as much as
    the server), and other processes on the machine get their share too.
    Handshakes/s is what a server reached with the cores it got; 'srv cpu' (its
    user + system CPU time per handshake from /proc/PID/stat, '(sys)' the kernel
    part) is what each handshake cost it, whatever share it got: the fairer
    figure on a shared machine, and the one the verdicts use.
  - client: OpenSSL, a new TCP connection and a full handshake per request (no
    session offered), key share P-256 only, status_request asked for, chain not
    verified, GET / with Connection: close; 'stapled' is the share of handshakes
    that carried a staple. Each run: ${WARMUP} s warm-up, then ${SECONDS_PER_RUN} s measured;
    errors count from the first handshake ($ALL_ERRORS in all).
  - $NGINX_NOTE
  - the crypto ceiling has no TCP, no TLS records, no hashing; its ECDH uses a
    fresh client share each time, as a server sees.
  - the stapling web server fetched its staple $OCSP_FETCHES time(s); the responder answered
    $RESPONDER_REQUESTS request(s) in all (openssl ocsp's included).
  - BENCH_PROFILE=1 adds a perf profile of the stapling server.
EOF
