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
