#!/usr/bin/env bash
# The app library's size per cargo profile, on this host (x86_64; the Android ABIs need an
# NDK: android/build-android.sh), and what each crate costs in it. For each profile: builds
# libidwallet_ffi.so with its symbols kept, prints the largest crates (scripts/crate-sizes.py;
# cargo-bloat refuses a crate that is also a staticlib), then the size stripped — what an
# app ships.
#   scripts/size.sh [PROFILE...]     default: release mobile
# Slow: cold on 2 cores, release took ~17 min and mobile (fat LTO, one codegen unit) ~13.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Its own target dir: these profiles never share artefacts with the test build.
export CARGO_TARGET_DIR=${IDWALLET_SIZE_TARGET:-$root/target/size}
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(release mobile)
out=build/size
mkdir -p "$out"
for profile in "${profiles[@]}"; do
  upper=$(echo "$profile" | tr a-z A-Z)
  # Symbols kept for the breakdown (the mobile profile strips them); stripped below.
  env "CARGO_PROFILE_${upper}_STRIP=none" cargo build -q --profile "$profile" -p idwallet-ffi --lib
  so="$CARGO_TARGET_DIR/$profile/libidwallet_ffi.so"
  strip -o "$out/libidwallet_ffi-$profile.so" "$so"
  echo "== $profile: $(stat -c %s "$out/libidwallet_ffi-$profile.so") bytes stripped ($(stat -c %s "$so") with symbols)"
  python3 scripts/crate-sizes.py "$so" 25 | tee "$out/$profile-crates.txt"
done
