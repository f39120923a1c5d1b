#!/usr/bin/env bash
# Run every fuzz target for a bounded time (default 300 s each; outside CI) and report
# executions. Installs cargo-fuzz once. Seeds (committed, small) live in fuzz/corpus/<target>;
# what the fuzzer grows goes to fuzz/corpus-work/<target> (ignored), crashes to fuzz/artifacts.
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-300}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
for target in verify_qr_text verify_cbor http_headers verify_report; do
  mkdir -p "corpus-work/$target"
  echo "== $target ($secs s)"
  cargo +nightly fuzz run "$target" "corpus-work/$target" "corpus/$target" -- -max_total_time="$secs" -max_len=12000 2>&1 \
    | grep -E "^#[0-9]+.*(DONE|pulse)|Done [0-9]+ runs|crash|panicked|SUMMARY" | tail -3
done
