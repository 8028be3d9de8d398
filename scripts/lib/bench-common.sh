# shellcheck shell=bash disable=SC2034  # sourced: NGINX and the rest are for the caller
# bench-common.sh — what every scripts/bench-*.sh shares, sourced after it
# sets BENCH_NAME: messages, the temporary directory, and stopping every
# process it started (PIDS) on any exit. nginx, libssl-dev and the other
# peers come from scripts/install-deps.sh (`make bench` runs it first).

say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { say "$*"; exit 2; }

TMP=""
PIDS=""
cleanup() {
    local pid waited
    for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null || true; done
    # The responder finishes answers already begun (up to 5 s); then force.
    for pid in $PIDS; do
        waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 60 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    [ -n "$TMP" ] && rm -rf "$TMP"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# require_lab_programs PROGRAM...: the lab's programs a benchmark runs, and
# the openssl and curl every benchmark drives them with.
require_lab_programs() {
    local p
    for p in "$@"; do
        [ -x "$BIN/$p" ] || die "bin/$p missing (run 'make all')"
    done
    command -v openssl >/dev/null || die "openssl missing (run 'make deps')"
    command -v curl >/dev/null || die "curl missing (run 'make deps')"
}

# The lab's own wolfSSL 5.9.2 (scripts/build-wolfssl.sh), static, for bench
# programs that call wolfCrypt directly.
WOLFSSL_DIR="$ROOT/build/deps/wolfssl-5.9.2"
WOLFSSL_CFLAGS="-I$WOLFSSL_DIR/include"
WOLFSSL_LIBS="$WOLFSSL_DIR/lib/libwolfssl.a -lm -lpthread"
require_wolfssl() {
    [ -f "$WOLFSSL_DIR/lib/libwolfssl.a" ] || die "the lab's wolfSSL is not built (run 'make')"
}

# nginx, the peer some benchmarks compare with; empty when it is not there.
find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }
NGINX=$(find_nginx || true)

# wait_for_line FILE PATTERN PID: up to 10 s for a start-up line; fails early
# when PID has died.
wait_for_line() {
    local _
    for _ in $(seq 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# bench_start LOGNAME PORTVAR PIDVAR COMMAND...: starts a lab program on
# port 0 and reads the port from its first line, 'listening on HOST:PORT'.
# Not in $(...): PIDS must reach the cleanup.
bench_start() {
    local name=$1 port_var=$2 pid_var=$3 pid
    shift 3
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    pid=$!
    PIDS="$PIDS $pid"
    wait_for_line "$TMP/$name.out" "^listening on " "$pid" ||
        die "$name did not start: $(tail -3 "$TMP/$name.err")"
    printf -v "$port_var" '%s' "$(sed -n '1s/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$TMP/$name.out")"
    printf -v "$pid_var" '%s' "$pid"
}
