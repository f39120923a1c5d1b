#!/usr/bin/env bash
# Build libidwallet_ffi.so for Android (arm64-v8a, armeabi-v7a, x86_64) with the `mobile`
# cargo profile and 16 KB-aligned segments (required for apps targeting Android 15+ devices
# with 16 KB pages), place them in src/main/jniLibs/<abi>/, and regenerate the Kotlin
# bindings from the host build of the same source.
#   android/build-android.sh            needs ANDROID_NDK_HOME (NDK r27+); installs cargo-ndk
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to an Android NDK (r27 or newer); none is installed on the CI machines}"
command -v cargo-ndk >/dev/null || cargo install --locked cargo-ndk
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
# 16 KB page alignment of every LOAD segment (NDK r27 defaults to it for arm64; be explicit).
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-z,max-page-size=16384"
cargo ndk --platform 24 -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$here/src/main/jniLibs" \
  build --profile mobile -p idwallet-ffi
# The bindings come from an unstripped host build of the same app library (uniffi reads its
# metadata from it; scripts/app-library.sh also checks it holds no issuer/testing code).
scripts/gen-bindings.sh
for so in "$here"/src/main/jniLibs/*/libidwallet_ffi.so; do
  printf '%-60s %6.1f MB\n' "${so#$root/}" "$(echo "$(stat -c %s "$so") / 1048576" | bc -l)"
done
