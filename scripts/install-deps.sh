#!/usr/bin/env bash
# Installs the Debian 12 packages the lab builds and tests with (DESIGN section 0),
# plus the peer tools the tests run. Idempotent: does nothing when all are present,
# runs `apt-get update` only when something is missing. Works as root or via sudo.
set -eu

# Libraries the programs link (DESIGN section 0). wolfSSL is not among them:
# the lab builds its own 5.9.2 (scripts/build-wolfssl.sh) with autotools,
# from Debian's source package, fetched by apt with the archive keyring.
BUILD_PACKAGES="build-essential pkg-config libsqlite3-dev check
libmicrohttpd-dev libcurl4-gnutls-dev libjansson-dev
autoconf automake libtool debian-archive-keyring ca-certificates"
# Tools the tests and benchmarks run against our programs (nginx is a peer;
# libssl-dev builds the benchmarks' OpenSSL client; chromium renders the HTML
# report, with a font so its text is drawn, and zlib1g-dev lets the test read
# the PNG; tcpdump records `scenario run --capture` and tshark checks it;
# lesson 10 runs nginx as an HTTP cache under libfaketime, on the lab's clock;
# groff-base checks that the man pages render without a warning;
# clang-format holds the C sources to .clang-format, `make format-check`).
# `make deb` needs dpkg-dev, debhelper, fakeroot and lintian besides; it names
# them when they are missing (scripts/make-deb.sh).
TEST_PACKAGES="openssl sqlite3 clang curl procps nginx libssl-dev python3
chromium fonts-dejavu-core zlib1g-dev tcpdump tshark faketime groff-base
clang-format"

missing=""
for pkg in $BUILD_PACKAGES $TEST_PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    [ "${1:-}" = "--quiet" ] || echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: need root to install:$missing (run as root or install sudo)" >&2
    exit 2
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Debian starts a package's service on install (nginx on port 80). The lab
# starts its peers itself on free ports: policy-rc.d exit 101 says "not now".
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_CREATED=""
if ! $SUDO test -e "$POLICY_RC"; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY_RC" >/dev/null && $SUDO chmod 755 "$POLICY_RC" &&
        POLICY_RC_CREATED=1
fi
trap '[ -z "$POLICY_RC_CREATED" ] || $SUDO rm -f "$POLICY_RC"' EXIT
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
