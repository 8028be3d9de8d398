#!/usr/bin/env bash
# A guided walk through the lab's Certificate Authority: create a root and an
# OCSP signer, issue two server certificates (one must-staple), revoke one,
# list them, and show the protocol trace every step wrote.
# Run from the project root: `make demo` (or ./scenarios/ca-walkthrough.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
LAB=${LAB:-$(mktemp -d /tmp/ocsplab-demo-XXXXXX)}

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    BOLD=$'\e[1m'; DIM=$'\e[2m'; RESET=$'\e[0m'
else
    BOLD=""; DIM=""; RESET=""
fi
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$RESET"; }
run() { printf '%s$ %s%s\n' "$DIM" "$*" "$RESET"; "$@"; }

say "1. The CA creates its root certificate and a delegated OCSP signer"
run "$BIN/ca" init --lab "$LAB" --delegate

say "2. The CA issues certificates for two web sites (shop.test is must-staple)"
run "$BIN/ca" issue shop.test --lab "$LAB" --must-staple
run "$BIN/ca" issue blog.test --lab "$LAB" --days 30

say "3. OpenSSL agrees the certificates chain to the root"
run openssl verify -x509_strict -CAfile "$LAB/ca/root.pem" "$LAB/certs/shop.test.pem" "$LAB/certs/blog.test.pem"
printf '%sWhere a browser will ask about revocation (Authority Information Access):%s\n' "$DIM" "$RESET"
openssl x509 -in "$LAB/certs/shop.test.pem" -noout -ext authorityInfoAccess,tlsfeature

say "4. blog.test's key leaks: the CA revokes its certificate"
run "$BIN/ca" revoke blog.test --lab "$LAB" --reason keyCompromise

say "5. The CA's records (SQLite: $LAB/ca.db)"
run "$BIN/ca" list --lab "$LAB"

say "6. The protocol trace every step wrote ($LAB/trace.jsonl)"
if command -v jq >/dev/null 2>&1; then
    jq -r '"\(.ts)  \(.actor)  \(.event)\n    \(.msg)"' "$LAB/trace.jsonl"
else
    # One event per line: time, actor, event, and the sentence for people.
    sed -E 's/.*"ts":"([^"]*)".*"actor":"([^"]*)".*"event":"([^"]*)".*"msg":"(([^"\\]|\\.)*)".*/\1  \2  \3\n    \4/' "$LAB/trace.jsonl"
fi

printf '\n%sThe lab stays in %s; remove it with: rm -rf %s%s\n' "$DIM" "$LAB" "$LAB" "$RESET"
