#!/usr/bin/env bash
# Every test of idwallet, on a fresh machine: installs what the tests need (idempotent,
# cached in .tools/), then runs the Rust tests, checks the committed Swift bindings, and
# runs the Kotlin (JVM) and Python binding tests against the debug library.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
tools=${IDWALLET_TOOLS:-$root/.tools}
logs=build/test-logs
mkdir -p "$logs"

bash scripts/bootstrap.sh

echo "== Rust tests"
# One build of every library, binary and test with one feature resolution: the FFI cdylib
# and the server binary the binding tests use come out of it, so no dependency (tract,
# ring, SQLite…) is compiled twice with different features. Benches are compiled by
# clippy --all-targets; running them belongs to scripts/bench.sh. `failpoints` compiles in
# core's fault points (inert unless IDWALLET_FAILPOINTS arms them) for the forced-panic tests;
# `parallel` runs the face models' two-thread equality test (app builds leave it off);
# the FFI's `testing` and `consulate` give the binding tests their helpers (SyntheticIssuer…)
# and PDF reading. The app library, without them, is built and checked after the tests.
features=(--features idwallet-core/failpoints,idwallet-core/parallel,idwallet-ffi/testing,idwallet-ffi/consulate)
cargo build -q --workspace --lib --bins --tests "${features[@]}"
cargo test --workspace --lib --bins --tests "${features[@]}" 2>&1 | tee "$logs/rust.txt"

echo "== fuzz targets compile"
# fuzz/ is a workspace of its own that only `fuzz/run.sh` (nightly, outside CI) builds: checked
# here so a change to core cannot break it unseen (it once asked for features core had moved).
(cd fuzz && cargo check -q --bins)

echo "== bindings"
# The binding tests talk to the real reference server in a child process.
export IDWALLET_SERVER="$target/debug/idwallet-server"
# …and the face models models/fetch.sh placed (bootstrap ran it).
export IDWALLET_MODELS="${IDWALLET_MODELS:-$tools/models}"
# The binding tests load the library with the test helpers: keep a copy, since the app
# library's own build below writes the same path.
rm -rf build/test-lib && mkdir -p build/test-lib
lib=build/test-lib/libidwallet_ffi.so
cp "$target/debug/libidwallet_ffi.so" "$lib"
scripts/gen-bindings.sh --tests "$lib"

echo "== the app library: no issuer, consulate or testing code; committed bindings are its own"
# The symbol check must be able to fail: the test library holds exactly such code.
scripts/app-library.sh --symbols-in "$lib" >/dev/null || { echo "app-library: the check finds nothing even in the test library" >&2; exit 1; }
scripts/gen-bindings.sh --check

echo "== Kotlin binding tests (JVM)"
kotlin=$tools/kotlin/node_modules/kotlin-compiler
klib=$kotlin/lib
cp_base="/usr/share/java/jna.jar:$klib/kotlinx-coroutines-core-jvm.jar"
mkdir -p build/kotlin
# kotlinc takes ~20 s: compile the generated bindings once per change, then only the tests.
sum=$(sha256sum build/test-bindings/kotlin/org/idwallet/idwallet.kt | cut -d' ' -f1)
if [ ! -f build/kotlin/bindings.jar ] || [ "$(cat build/kotlin/bindings.sha 2>/dev/null)" != "$sum" ]; then
  "$kotlin/bin/kotlinc" build/test-bindings/kotlin/org/idwallet/idwallet.kt -cp "$cp_base" -Werror -nowarn \
    -d build/kotlin/bindings.jar
  echo "$sum" > build/kotlin/bindings.sha
fi
# The Gradle module's plain-Kotlin layer (android/: JcaKeyStore, Flows, logTo; not its
# Android-only org.idwallet.android files) compiles with the tests, which exercise it.
wrapper=$(find android/src/main/kotlin/org/idwallet -maxdepth 1 -name '*.kt' ! -name idwallet.kt | sort)
"$kotlin/bin/kotlinc" $wrapper tests/kotlin/*.kt android/src/test/kotlin/org/idwallet/*.kt \
  -cp "build/kotlin/bindings.jar:$cp_base:$klib/kotlin-test.jar" -Werror -d build/kotlin/tests.jar
java -Djna.library.path=build/test-lib \
  -cp "build/kotlin/tests.jar:build/kotlin/bindings.jar:$cp_base:$klib/kotlin-test.jar:$klib/kotlin-stdlib.jar" \
  org.idwallet.test.WalletTestKt 2>&1 | tee "$logs/kotlin.txt"
# Forced panics in a JVM of their own: core's fault points panic once each.
IDWALLET_FAILPOINTS="wallet::documents=1*panic(forced by the test);wallet::present=1*panic(forced by the test)" \
  java -Djna.library.path=build/test-lib \
  -cp "build/kotlin/tests.jar:build/kotlin/bindings.jar:$cp_base:$klib/kotlin-test.jar:$klib/kotlin-stdlib.jar" \
  org.idwallet.test.WalletTestKt --forced-panics 2>&1 | tee "$logs/kotlin-panics.txt"

echo "== Python binding tests"
rm -rf build/python && mkdir -p build/python
cp build/test-bindings/python/idwallet.py "$lib" build/python/
PYTHONPATH=build/python "$tools/venv/bin/python" -m pytest -q -p no:cacheprovider tests/python 2>&1 | tee "$logs/python.txt"

echo "== the app library through its own bindings"
# scripts/app-library.sh left the app build at $target/debug; its committed-flavour Python
# bindings are in build/bindings. The trust list comes from the test library.
trust=$(PYTHONPATH=build/python "$tools/venv/bin/python" -c 'import idwallet as i; print(i.SyntheticIssuer("Check").trust_list().hex())')
rm -rf build/app-python && mkdir -p build/app-python
cp build/bindings/python/idwallet.py "$target/debug/libidwallet_ffi.so" build/app-python/
PYTHONPATH=build/app-python "$tools/venv/bin/python" tests/python/app_library_check.py "$trust"

# One closing line over all suites (each suite above already failed the script on failure).
python3 - "$logs" <<'PY'
import re, sys, pathlib
logs = pathlib.Path(sys.argv[1])
passed = failed = 0
for line in (logs / "rust.txt").read_text().splitlines():
    m = re.search(r"test result: \w+\. (\d+) passed; (\d+) failed", line) or re.match(r"crash: (\d+) passed, (\d+) failed", line)
    if m:
        passed += int(m[1]); failed += int(m[2])
for name in ("kotlin.txt", "kotlin-panics.txt"):
    m = re.search(r"kotlin: (\d+) passed, (\d+) failed", (logs / name).read_text())
    passed += int(m[1]); failed += int(m[2])
m = re.search(r"(\d+) passed", (logs / "python.txt").read_text())
passed += int(m[1])
print(f"idwallet: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
PY
