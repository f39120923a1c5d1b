#!/usr/bin/env bash
# arm64 — the ISA of every phone (issue #19, item 5): cross-build for aarch64-unknown-linux-gnu
# with Debian's cross toolchain and run, under qemu-aarch64 (Debian qemu-user), core's face
# tests (tract's NEON kernels against ONNX Runtime's and TFLite's outputs, today's tolerances)
# and its crypto tests (RFC 9421/9530, COSE, base45, status list and ISO 18013-5 Annex D
# vectors; the mDL flow); then the stripped `mobile` app library's size for aarch64.
# Installs what it needs once (apt, rustup target); idempotent.
#   scripts/arm64.sh [tests|size|all]      default: all
# Not in .ci/run: cold on 2 cores the cross build of the test binaries is ~15 min and the
# mobile library (fat LTO) another ~13, and the tests run 10-40x slower under emulation.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
what=${1:-all}
triple=aarch64-unknown-linux-gnu
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "arm64: installing ${missing[*]} (Debian)"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup target list --installed | grep -qx "$triple" || rustup target add "$triple"

# The C in ring and SQLite, and the link, by the cross gcc; test binaries run in qemu with
# the cross sysroot's loader and libc.
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
export IDWALLET_MODELS="${IDWALLET_MODELS:-${IDWALLET_TOOLS:-$root/.tools}/models}"
[ -f "$IDWALLET_MODELS/face_detection_yunet_2023mar.nnef.tar" ] || bash models/fetch.sh >/dev/null

if [ "$what" = tests ] || [ "$what" = all ]; then
  echo "== arm64: face and crypto tests under qemu-aarch64"
  # The face tests compare tract (NEON on arm64) with the ONNX Runtime / TFLite outputs
  # recorded on x86_64 (tests/fixtures/face); the others check the standards' vectors.
  # (Not the calibration sweep or the 719-order colour search: minutes natively, an hour emulated.)
  cargo test -q --target "$triple" -p idwallet-core --lib -- \
    face::tests::tract_on face::tests::the_eye_model face::tests::the_same_person \
    face::tests::frames_without face::tests::camera_buffers face::tests::models_loaded credential:: crypto:: net:: report::tests
  cargo test -q --target "$triple" -p idwallet-core --test vectors --test http_signatures --test mdl_annex_d --test mdl_flow
fi
if [ "$what" = size ] || [ "$what" = all ]; then
  echo "== arm64: the stripped mobile app library"
  export CARGO_TARGET_DIR=${IDWALLET_SIZE_TARGET:-$root/target/size}
  cargo build -q --profile mobile --target "$triple" -p idwallet-ffi --lib
  mkdir -p build/size
  aarch64-linux-gnu-strip -o build/size/libidwallet_ffi-mobile-aarch64.so "$CARGO_TARGET_DIR/$triple/mobile/libidwallet_ffi.so"
  echo "arm64 mobile library: $(stat -c %s build/size/libidwallet_ffi-mobile-aarch64.so) bytes stripped"
fi
