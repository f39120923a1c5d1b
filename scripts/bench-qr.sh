#!/usr/bin/env bash
# Staff-desk QR decoding on camera-like frames, idwallet's decoder and zxing-cpp (PyPI)
# side by side in one run: decode rate and median time per condition (recipe printed).
# Not part of CI (a few minutes). Installs its own pinned venv once (.tools/bench-venv).
#   scripts/bench-qr.sh [FRAMES_PER_IMAGE [FIRST_VARIANT]]   (default 4 0; writes build/bench-qr/)
# The decoder's extra passes were chosen on variants 0-3; FIRST_VARIANT 20 gives frames it
# was not tuned on.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${IDWALLET_TOOLS:-$PWD/.tools}
venv="$tools/bench-venv"
req=scripts/bench-qr-requirements.txt
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/.requirements"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$venv/.requirements"
fi
cargo build --release -q -p idwallet-core --example qr_frames
target=${CARGO_TARGET_DIR:-$PWD/target}
out=build/bench-qr
rm -rf "$out" && mkdir -p "$out"
"$venv/bin/python" scripts/bench-qr.py "$out" "${1:-4}" "$target/release/examples/qr_frames" "${2:-0}"
