#!/usr/bin/env bash
# Builds the lab's own wolfSSL 5.9.2, once, as a static library under
# build/deps/ (make clean keeps it; make distclean removes it).
#
# Why the lab does not use Debian 12's libwolfssl (5.5.4): 5.9.2 hands the
# client the raw stapled OCSP response in TLS 1.2 *and* 1.3
# (wolfSSL_CTX_set_ocsp_status_verify_cb), so the lab's verifier judges every
# staple; it exports TLS secrets for Wireshark; its SP math with assembly makes
# the handshake crypto about 5x faster; and it carries four years of OCSP and
# TLS fixes. wolfSSL is GPLv3.
#
# Where the source comes from, the Debian way: Debian unstable's (or
# testing's) source package wolfssl 5.9.2, its orig tarball fetched with
# `apt-get source --download-only` through a private apt state under
# build/deps/apt (its own sources file, lists and cache), so the system's apt
# configuration is never touched. The tarball is trusted by its SHA-256 below
# (also listed in the signed source index), never by the index's date.
#   WOLFSSL_TARBALL=/path/to/wolfssl_5.9.2.orig.tar.gz  use a tarball you bring
#                                                      (same checksum check)
# A verified tarball is also kept in ~/.cache/ocsplab/ (by checksum), so other
# clones on the same machine do not download it again.
#
# Usage: scripts/build-wolfssl.sh [--print-configure]
set -euo pipefail

WOLFSSL_VERSION=5.9.2
WOLFSSL_SHA256=2f4ef3d4fd387a9b3191d36a6316d69116c46ff69bb9583b6c82b36d7b8ca114
TARBALL_NAME="wolfssl_${WOLFSSL_VERSION}.orig.tar.gz"

# The one place the configure line lives. What the lab uses and nothing more:
# TLS 1.2 and 1.3, ECC P-256 and RSA-2048 with SP math (assembly where the CPU
# has it: the SHA-512 hash DRBG behind every ECDSA signature and key share
# was 14% of a handshake's server CPU in portable C), OCSP and stapling (v2 only for a test that asks for it), the
# OpenSSL-compatible calls the lab uses (message callback, X509/OCSP helpers),
# certificate and key generation for the CA, session certificates (the status
# verify callback reads the peer's chain), HAVE_EX_DATA (wolfSSL_set_app_data
# fails silently without it), HAVE_SECRET_CALLBACK so the browser can write an
# NSS key log when, and only when, asked, and WOLFSSL_NO_OCSP_DATE_CHECK (a
# documented option, wolfcrypt/src/asn.c): wolfSSL's OCSP decoder would
# otherwise end the handshake over a stale or slightly early staple before
# the browser's status callback sees it, while the lab's verifier judges
# thisUpdate/nextUpdate itself, on the lab's simulated clock with 5 minutes
# of skew (DESIGN 9), and treats a stale staple as none, as Firefox does.
# No examples, tests or benchmark programs.
configure_flags() {
    local arch
    arch="$(uname -m)"
    # Assembly where wolfSSL has it (x86-64: SP math, AES-NI and AVX2 SHA-2,
    # each chosen at run time by CPUID; aarch64: the ARMv8 equivalents);
    # elsewhere the portable C of the same SP math.
    local asm="--disable-sp-asm"
    case "$arch" in
    x86_64 | amd64 | aarch64) asm="--enable-all-asm" ;;
    esac
    echo "--enable-static --disable-shared --disable-examples --disable-crypttests" \
        "--disable-benchmark --disable-oldtls --enable-tls13 --enable-ecc --enable-rsa" \
        "--enable-sp --enable-sp-math-all $asm --enable-ocsp --enable-ocspstapling" \
        "--enable-ocspstapling2 --enable-opensslextra --enable-certgen --enable-keygen" \
        "--enable-certext --enable-sni --enable-sessioncerts" \
        "CFLAGS=-O2 -fPIC -DHAVE_EX_DATA -DHAVE_SECRET_CALLBACK -DWOLFSSL_ALT_NAMES" \
        "-DWOLFSSL_NO_OCSP_DATE_CHECK"
}

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DEPS="$ROOT/build/deps"
PREFIX="$DEPS/wolfssl-$WOLFSSL_VERSION"
STAMP="$PREFIX/.configure-line"

if [ "${1:-}" = "--print-configure" ]; then
    configure_flags
    exit 0
fi

say() { echo "build-wolfssl: $*"; }
die() {
    echo "build-wolfssl: $*" >&2
    exit 2
}

# Already built with this very configure line: nothing to do (but tell make,
# whose rule runs this script when the script is newer than the library).
if [ -f "$PREFIX/lib/libwolfssl.a" ] && [ -f "$STAMP" ] &&
    [ "$(cat "$STAMP")" = "$(configure_flags)" ]; then
    [ "$PREFIX/lib/libwolfssl.a" -nt "$0" ] || touch "$PREFIX/lib/libwolfssl.a"
    exit 0
fi

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Accepts $1 only with the pinned checksum; copies it to $DEPS/$TARBALL_NAME.
take_tarball() {
    local got
    got="$(sha256_of "$1")"
    if [ "$got" != "$WOLFSSL_SHA256" ]; then
        die "$1 has SHA-256 $got, not the pinned $WOLFSSL_SHA256 of wolfSSL $WOLFSSL_VERSION: refused (delete it, or bring the right file with WOLFSSL_TARBALL=...)"
    fi
    if [ "$1" != "$DEPS/$TARBALL_NAME" ]; then
        cp "$1" "$DEPS/$TARBALL_NAME.tmp" && mv "$DEPS/$TARBALL_NAME.tmp" "$DEPS/$TARBALL_NAME"
    fi
}

# The archive address the system's own apt sources already use.
debian_mirror() {
    local uri=""
    if [ -n "${OCSPLAB_DEBIAN_MIRROR:-}" ]; then
        echo "$OCSPLAB_DEBIAN_MIRROR"
        return
    fi
    uri="$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
        /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -v -- '-security' | grep -o -E 'https?://[^ ]*/debian/?' | head -n 1 || true)"
    echo "${uri:-http://deb.debian.org/debian}"
}

# Downloads the orig tarball with apt through a private apt state.
fetch_with_apt() {
    command -v apt-get >/dev/null || die "apt-get is missing; bring the tarball: WOLFSSL_TARBALL=/path/to/$TARBALL_NAME make"
    local apt="$DEPS/apt" mirror
    mirror="$(debian_mirror)"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/prefs" "$apt/download"
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || die "$keyring is missing (apt-get install debian-archive-keyring)"
    {
        echo "deb-src [signed-by=$keyring] $mirror unstable main"
        echo "deb-src [signed-by=$keyring] $mirror testing main"
    } >"$apt/sources.list"
    # Only this private fetch ignores an expired Release date: a dated copy
    # of the archive is fine, because the pinned checksum is what is trusted.
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts"
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
        -o "Dir::Etc::Preferences=$apt/prefs/none" -o "Dir::Etc::PreferencesParts=$apt/prefs"
        -o "Acquire::Check-Valid-Until=false" -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
    say "reading Debian's source index (unstable, testing) from $mirror"
    apt-get -q "${opts[@]}" update >"$apt/update.log" 2>&1 ||
        die "apt-get update of the private source index failed (see $apt/update.log); bring the tarball: WOLFSSL_TARBALL=/path/to/$TARBALL_NAME make"
    # The entry whose orig tarball has the pinned checksum, whatever its
    # Debian revision is called today.
    local version
    version="$(apt-cache "${opts[@]}" showsrc wolfssl 2>/dev/null | awk -v want="$WOLFSSL_SHA256" '
        /^Package:/ { pkgver = "" }
        /^Version:/ { pkgver = $2 }
        $1 == want && $3 ~ /\.orig\.tar\.gz$/ && pkgver != "" { print pkgver; exit }')"
    [ -n "$version" ] ||
        die "no wolfssl source package in Debian unstable or testing at $mirror has the orig tarball with SHA-256 $WOLFSSL_SHA256 (wolfSSL $WOLFSSL_VERSION); bring the file yourself: WOLFSSL_TARBALL=/path/to/$TARBALL_NAME make"
    say "fetching $TARBALL_NAME of Debian's wolfssl $version"
    # The .dsc and debian.tar.xz may answer 404 on a partial copy of the
    # archive; the orig tarball alone is what the lab builds, so apt's
    # complaint about the others is not fatal as long as it arrived.
    (cd "$apt/download" && apt-get -q "${opts[@]}" source --download-only "wolfssl=$version" \
        >"$apt/source.log" 2>&1) || true
    [ -f "$apt/download/$TARBALL_NAME" ] ||
        die "the download of $TARBALL_NAME failed (see $apt/source.log); bring the tarball: WOLFSSL_TARBALL=/path/to/$TARBALL_NAME make"
    take_tarball "$apt/download/$TARBALL_NAME"
}

mkdir -p "$DEPS"
CACHE_DIR="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/ocsplab"
CACHED="$CACHE_DIR/$WOLFSSL_SHA256.tar.gz"

if [ -n "${WOLFSSL_TARBALL:-}" ]; then
    [ -f "$WOLFSSL_TARBALL" ] || die "WOLFSSL_TARBALL=$WOLFSSL_TARBALL: no such file"
    take_tarball "$WOLFSSL_TARBALL"
elif [ -f "$DEPS/$TARBALL_NAME" ]; then
    take_tarball "$DEPS/$TARBALL_NAME"
elif [ -f "$CACHED" ]; then
    say "using the verified tarball kept in $CACHE_DIR"
    take_tarball "$CACHED"
else
    fetch_with_apt
fi
# Keep a copy for other clones on this machine (best effort).
if [ ! -f "$CACHED" ] && mkdir -p "$CACHE_DIR" 2>/dev/null; then
    cp "$DEPS/$TARBALL_NAME" "$CACHED.tmp.$$" 2>/dev/null && mv "$CACHED.tmp.$$" "$CACHED" || rm -f "$CACHED.tmp.$$"
fi

for tool in autoreconf libtoolize make cc; do
    command -v "$tool" >/dev/null || die "$tool is missing (run scripts/install-deps.sh)"
done

SRC="$DEPS/src"
rm -rf "$SRC" "$PREFIX"
mkdir -p "$SRC"
tar -xzf "$DEPS/$TARBALL_NAME" -C "$SRC" --strip-components=1
start=$(date +%s)
say "building wolfSSL $WOLFSSL_VERSION (once; a minute or two): ./configure $(configure_flags)"
# The outer make's jobserver does not reach this one, nor its DESTDIR: a
# first `make install DESTDIR=...` from a fresh clone builds this library on
# the way, and it belongs in build/deps, not in the staged installation.
unset MAKEFLAGS MFLAGS MAKELEVEL DESTDIR
jobs="$(nproc 2>/dev/null || echo 2)"
(
    cd "$SRC"
    ./autogen.sh >"$DEPS/wolfssl-build.log" 2>&1
    eval "./configure --prefix=\"$PREFIX\" $(configure_flags | sed 's/CFLAGS=\(.*\)$/CFLAGS="\1"/')" \
        >>"$DEPS/wolfssl-build.log" 2>&1
    make -j"$jobs" >>"$DEPS/wolfssl-build.log" 2>&1
    make install >>"$DEPS/wolfssl-build.log" 2>&1
) || die "the wolfSSL build failed; the last lines of $DEPS/wolfssl-build.log:
$(tail -n 25 "$DEPS/wolfssl-build.log")"
configure_flags >"$STAMP"
say "wolfSSL $WOLFSSL_VERSION built in $(($(date +%s) - start)) s into ${PREFIX#"$ROOT"/}"
