#!/usr/bin/env bash
# Generate the Kotlin, Python and Swift bindings from a built idwallet-ffi library
# (library mode: the uniffi metadata is read from the unstripped library itself).
#   scripts/gen-bindings.sh [LIBRARY]          write build/bindings/{kotlin,python} and ios/Sources
#   scripts/gen-bindings.sh --check [LIBRARY]  also fail if the committed Swift bindings are stale
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
lib=${1:-target/debug/libidwallet_ffi.so}
out=build/bindings

bindgen() { cargo run -q -p idwallet-bindgen -- generate --library "$lib" --no-format "$@" >/dev/null; }
rm -rf "$out"
for lang in kotlin python swift; do
  bindgen --language "$lang" --out-dir "$out/$lang"
done

# Swift cannot be compiled on Linux, so the generated Swift is committed and kept current.
swift_src=ios/Sources/IdWallet/IdWallet.swift
ffi_dir=ios/Sources/IdWalletFFI
if [ "$check" = 1 ]; then
  if ! cmp -s "$out/swift/IdWallet.swift" "$swift_src" || ! cmp -s "$out/swift/IdWalletFFI.h" "$ffi_dir/include/IdWalletFFI.h"; then
    echo "gen-bindings: the committed Swift bindings are stale: run scripts/gen-bindings.sh and commit ios/Sources" >&2
    exit 1
  fi
else
  mkdir -p "$(dirname "$swift_src")" "$ffi_dir/include"
  cp "$out/swift/IdWallet.swift" "$swift_src"
  cp "$out/swift/IdWalletFFI.h" "$ffi_dir/include/IdWalletFFI.h"
  cp "$out/swift/IdWalletFFI.modulemap" "$ffi_dir/include/module.modulemap"
fi
