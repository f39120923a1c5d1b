#!/usr/bin/env bash
# The app library — libidwallet_ffi as an app embeds it, no features — built on its own and
# checked to hold no issuer, consulate or testing code (ADR 0010):
#  1. cargo's feature resolution for idwallet-ffi alone turns on none of core's `issuer`,
#     `consulate` or `testing` (the CLI's and the server's features must not reach it);
#  2. the built library defines no function of that code (nm, demangled).
# Prints the library's path on its last line.
#   scripts/app-library.sh [PROFILE]                 default: dev (target/debug)
#   scripts/app-library.sh --symbols-in LIB          exit 0 if LIB holds such code (the
#                                                    check's own test: the testing library must)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
# Code that only the three features compile.
forbidden='synthetic|idwallet_core::credential::issue::|idwallet_core::net::policy::service::|idwallet_core::report::pdf_read::|idwallet_core::report::pinyin_name|idwallet_core::report::verify_pdf|(^|[^a-z_])pinyin::'
# Collected whole (a reader that stops early would break nm's pipe under pipefail).
defines_forbidden() { nm -C --defined-only "$1" | grep -iE "$forbidden" || true; }

if [ "${1:-}" = "--symbols-in" ]; then
  found=$(defines_forbidden "$2")
  [ -n "$found" ] && head -3 <<<"$found"
  exit
fi

profile=${1:-dev}
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
features=$(cargo tree -q -p idwallet-ffi -e features -i idwallet-core --prefix none | grep -o 'idwallet-core feature "[a-z_-]*"' | sort -u)
if grep -E '"(issuer|consulate|testing)"' <<<"$features"; then
  echo "app-library: the features above reach idwallet-ffi's own build; who turns them on:" >&2
  cargo tree -p idwallet-ffi -e features -i idwallet-core >&2
  exit 1
fi
cargo build -q -p idwallet-ffi --lib --profile "$profile"
lib=$target/$dir/libidwallet_ffi.so
found=$(defines_forbidden "$lib")
if [ -n "$found" ]; then
  echo "app-library: $lib defines issuer, consulate or testing code:" >&2
  head -5 <<<"$found" >&2
  exit 1
fi
echo "app-library: no issuer, consulate or testing code (core features: $(tr '\n' ' ' <<<"$features"| sed 's/idwallet-core feature //g'))" >&2
echo "$lib"
