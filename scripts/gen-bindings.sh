#!/usr/bin/env bash
# Generate the Kotlin, Python and Swift bindings from a built idwallet-ffi library
# (library mode: the uniffi metadata is read from the unstripped library itself).
#   scripts/gen-bindings.sh [LIBRARY]          write build/bindings/{kotlin,python,swift}, ios/Sources and android/src
#   scripts/gen-bindings.sh --check [LIBRARY]  instead fail if the committed Swift or Kotlin bindings are stale
#   scripts/gen-bindings.sh --tests LIBRARY    write build/test-bindings only, from a library built
#                                              with `--features testing` (the binding tests' helpers)
# The committed bindings are the app library's (no features): without LIBRARY it is built
# and checked by scripts/app-library.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
check=0 out=build/bindings
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
if [ "${1:-}" = "--tests" ]; then check=tests out=build/test-bindings; shift; fi
lib=${1:-}
[ -n "$lib" ] || lib=$(scripts/app-library.sh | tail -1)

bindgen() { cargo run -q -p idwallet-bindgen -- generate --library "$lib" --no-format "$@" >/dev/null; }
rm -rf "$out"
for lang in python swift; do
  bindgen --language "$lang" --out-dir "$out/$lang"
done
# Kotlin twice: the Android flavour the Gradle module ships (uniffi/uniffi.toml), and the JVM
# flavour (uniffi/jvm.toml: java.lang.ref.Cleaner) that the JVM tests and desktop apps load.
# They differ only in the object cleaner.
bindgen --language kotlin --out-dir "$out/kotlin-android"
bindgen --language kotlin --out-dir "$out/kotlin" --config uniffi/jvm.toml

[ "$check" != tests ] || exit 0

# The generated Swift and Kotlin are committed in the Swift package and the Gradle module
# (their consumers build from source) and must stay what this library generates.
committed=(
  "$out/swift/IdWallet.swift=ios/Sources/IdWallet/IdWallet.swift"
  "$out/swift/IdWalletFFI.h=ios/Sources/IdWalletFFI/include/IdWalletFFI.h"
  "$out/swift/IdWalletFFI.modulemap=ios/Sources/IdWalletFFI/include/module.modulemap"
  "$out/kotlin-android/org/idwallet/idwallet.kt=android/src/main/kotlin/org/idwallet/idwallet.kt"
)
stale=()
for pair in "${committed[@]}"; do
  generated=${pair%%=*} kept=${pair#*=}
  if [ "$check" = 1 ]; then
    cmp -s "$generated" "$kept" || stale+=("$kept")
  else
    mkdir -p "$(dirname "$kept")"
    cp "$generated" "$kept"
  fi
done
if [ ${#stale[@]} -gt 0 ]; then
  echo "gen-bindings: committed bindings differ from what this library generates: ${stale[*]}" >&2
  echo "gen-bindings: run scripts/gen-bindings.sh and commit the result" >&2
  exit 1
fi
