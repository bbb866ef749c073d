#!/bin/sh
# Bazel's "gcc" for the wasm toolchain: Debian's emcc. A link writes <name>.js and <name>.wasm,
# but a cc_binary declares one output, so links go to a temporary directory that is packed into
# the declared output as a deterministic tar (unpacked by wasm_cc_binary in wasm.bzl).
set -eu
export NODE_PATH=/usr/share/nodejs   # emcc's JS optimiser needs Debian's acorn
is_link=1
out=""
prev=""
for a in "$@"; do
  case "$a" in
    -c|-S|-E) is_link=0 ;;
    @*)
      while IFS= read -r line || [ -n "$line" ]; do
        line=${line#\'}
        line=${line%\'}
        [ "$prev" = "-o" ] && out=$line
        prev=$line
      done <"${a#@}"
      ;;
    *) [ "$prev" = "-o" ] && out=$a ;;
  esac
  case "$a" in @*) ;; *) prev=$a ;; esac
done
if [ "$is_link" = 0 ] || [ -z "$out" ]; then exec /usr/bin/emcc "$@"; fi
case "$out" in *.js|*.mjs|*.html|*.wasm|*.so|*.a) exec /usr/bin/emcc "$@" ;; esac
base=$(basename "$out")
tmp="$out.emcc_out"
rm -rf "$tmp"
mkdir -p "$tmp"
/usr/bin/emcc "$@" -o "$tmp/$base.js"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out" -C "$tmp" .
rm -rf "$tmp"
