#!/usr/bin/env bash
# Liveness evaluation on synthetic sequences from the fetched photos (docs/liveness.md):
# BPCER, APCER per attack class. About an hour on one core (LIVENESS_EVAL_CLASSES=word,…
# runs only the classes whose label holds a word: split across cores). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash models/fetch.sh >/dev/null
exec cargo run --release -q -p idwallet-core --features testing --example liveness_eval
