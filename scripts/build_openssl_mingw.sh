#!/usr/bin/env bash
# OpenSSL for Windows (mingw-w64), cross-built once per machine from Debian's `openssl` source
# package into a cache outside the repository (about 2 minutes). Debian ships no OpenSSL built
# for mingw; the Windows build of wspeer links these static libraries into wsp.exe.
#   scripts/build_openssl_mingw.sh   prints the install prefix (DIR with include/ and lib64/)
set -euo pipefail
CACHE=${WSPEER_CACHE:-$HOME/.cache/wspeer}
PREFIX=$CACHE/openssl-mingw
if [ -f "$PREFIX/lib64/libssl.a" ] && [ -f "$PREFIX/include/openssl/ssl.h" ]; then
  echo "$PREFIX"
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# Debian's source packages, from the same mirror and suite as the binary ones.
if ! grep -rqs "^Types: deb-src" /etc/apt/sources.list.d/ && ! grep -qs "^deb-src" /etc/apt/sources.list; then
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
    as_root tee /etc/apt/sources.list.d/wspeer-deb-src.sources >/dev/null
  as_root apt-get update -qq >&2
fi
WORK=$(mktemp -d /tmp/openssl-mingw.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && apt-get source --download-only openssl >&2)
tar -xf "$(ls "$WORK"/openssl_*.orig.tar.* | grep -v '\.asc$' | head -n 1)" -C "$WORK"
SRC=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'openssl-*' | head -n 1)
(cd "$SRC" &&
  ./Configure mingw64 --cross-compile-prefix=x86_64-w64-mingw32- no-shared no-tests \
    --prefix="$PREFIX" CC=gcc-posix CXX=g++-posix >&2 &&
  make -j"$(nproc)" build_libs >"$WORK/make.log" 2>&1 &&
  make install_dev >>"$WORK/make.log" 2>&1) || { tail -n 30 "$WORK/make.log" >&2; exit 1; }
echo "$PREFIX"
