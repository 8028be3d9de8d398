#!/usr/bin/env bash
# `make deb`: builds the Debian package of the lab (debian/) and checks it.
#   1. copies the tree (what git tracks or would track, not bin/ or build/)
#      into build/deb/ocsplab-VERSION, with the already built static wolfSSL,
#      so dpkg-buildpackage writes nothing beside the checkout and does not
#      build wolfSSL again;
#   2. dpkg-buildpackage -us -uc -b there (log: build/deb/build.log);
#   3. lintian on the package (build/deb/lintian.txt): an error fails;
#   4. unpacks the package into a throwaway root (dpkg -x) and plays lesson 2
#      with its ocsplab-scenario from an empty folder, as a student would.
# Needs dpkg-dev, debhelper, fakeroot and lintian (named when missing; none
# of them is needed by make or make check).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "make-deb: $*"; }
die() {
    echo "make-deb: $*" >&2
    exit 2
}

missing=""
for pair in dpkg-buildpackage:dpkg-dev dh:debhelper fakeroot:fakeroot lintian:lintian; do
    command -v "${pair%%:*}" >/dev/null || missing="$missing ${pair#*:}"
done
[ -z "$missing" ] || die "missing:$missing (sudo apt-get install$missing)"

WOLFSSL_DIR=build/deps/wolfssl-5.9.2
[ -f "$WOLFSSL_DIR/lib/libwolfssl.a" ] || die "no $WOLFSSL_DIR yet (run make first)"

start=$(date +%s)
version="$(dpkg-parsechangelog -S Version)"
arch="$(dpkg --print-architecture)"
out=build/deb
src="$out/ocsplab-$version"
rm -rf "$out"
mkdir -p "$src/build/deps"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            [ -e "$f" ] && printf '%s\0' "$f"
        done | xargs -0 cp -a --parents -t "$src"
else
    tar --exclude=./build --exclude=./bin --exclude=./lab -cf - . | tar -xf - -C "$src"
fi
cp -a "$WOLFSSL_DIR" "$src/build/deps/"

say "dpkg-buildpackage -us -uc -b in $src (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
    tail -n 30 "$out/build.log" >&2
    die "dpkg-buildpackage failed (the whole log: $out/build.log)"
fi
deb="$out/ocsplab_${version}_${arch}.deb"
[ -f "$deb" ] || die "dpkg-buildpackage made no $deb"
built=$(date +%s)

# lintian: errors fail the build; warnings and notes are shown.
lintian_opts=(--info --display-info)
[ "$(id -u)" -ne 0 ] || lintian_opts+=(--allow-root) # as in CI: it would only say so
lintian "${lintian_opts[@]}" "$deb" >"$out/lintian.txt" 2>&1 || true
if [ -s "$out/lintian.txt" ]; then
    say "lintian says:"
    sed 's/^/  /' "$out/lintian.txt"
else
    say "lintian: nothing to say"
fi
if grep -q '^E: ' "$out/lintian.txt"; then
    die "lintian found errors in $deb"
fi

# The package as a student's machine has it, without root: unpacked into a
# throwaway root, played from an empty folder; its lessons are found next to
# the program, and the run writes nothing into the installation.
root="$(mktemp -d "${TMPDIR:-/tmp}/ocsplab-deb-root-XXXXXX")"
empty="$(mktemp -d "${TMPDIR:-/tmp}/ocsplab-deb-class-XXXXXX")"
trap 'rm -rf "$root" "$empty"' EXIT
dpkg -x "$deb" "$root"
say "playing lesson 2 with the unpacked package, from an empty folder"
if ! (cd "$empty" && "$root/usr/bin/ocsplab-scenario" run --no-pause 2) >"$out/lesson2.log" 2>&1; then
    cat "$out/lesson2.log" >&2
    die "lesson 2 failed with the package's ocsplab-scenario"
fi
tail -n 1 "$out/lesson2.log" | sed 's/^/  /'
[ -z "$(ls -A "$empty")" ] || die "the run left files in the current folder: $(ls -A "$empty")"

size=$(du -k "$deb" | cut -f1)
say "built $deb (${size} KB) in $((built - start)) s; lintian clean of errors; lesson 2 passed"
