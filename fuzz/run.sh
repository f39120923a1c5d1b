#!/usr/bin/env bash
# Run every fuzz target for a bounded number of executions (default 1,000,000 each, capped
# at MAX_SECONDS per target; outside CI) and report executions, time and crashes. Installs
# cargo-fuzz once. Seeds (committed, small) live in fuzz/corpus/<target>; what the fuzzer
# grows goes to fuzz/corpus-work/<target> (ignored), crashes to fuzz/artifacts/<target>.
#   fuzz/run.sh [RUNS] [MAX_SECONDS] [TARGET...]
# SANITIZER=none builds without AddressSanitizer, in target-nosan/ so the ASan build is kept,
# for a target ASan slows most: verify_report (lopdf's byte-at-a-time parser: ~40 exec/s per
# job under ASan, ~600 without). Its own parsers (lopdf, pom) are safe Rust; the unsafe code
# it reaches (image decoders, rxing, ring) is fuzzed under ASan by qr_image and verify_cbor.
# Panics, aborts, timeouts, out-of-memory and stack overflows are still caught.
set -uo pipefail
cd "$(dirname "$0")"
runs=${1:-1000000}
secs=${2:-3600}
shift 2 2>/dev/null || shift $#
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(verify_qr_text verify_cbor http_headers verify_report camera_frame qr_image)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
mkdir -p logs
# No allocation stack per malloc: for verify_report (lopdf's parser allocates per byte)
# recording them took a third of the time (22 → 33 exec/s side by side). Safe Rust cannot
# use-after-free; rerun a crash input with the default to see allocation stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0}
sanitizer=()
[ "${SANITIZER:-address}" = none ] && sanitizer=(-s none --target-dir target-nosan)
for target in "${targets[@]}"; do
  mkdir -p "corpus-work/$target" "artifacts/$target"
  before=$(ls "artifacts/$target" | wc -l)
  cargo +nightly fuzz run "${sanitizer[@]}" "$target" "corpus-work/$target" "corpus/$target" -- \
    -runs="$runs" -max_total_time="$secs" -max_len=12000 -print_final_stats=1 >"logs/$target.txt" 2>&1
  rc=$?
  done_line=$(grep -E "^Done [0-9]+ runs" "logs/$target.txt" | tail -1)
  crashes=$(( $(ls "artifacts/$target" | wc -l) - before ))
  echo "$target: ${done_line:-no completion line (rc $rc)}; new crash artifacts: $crashes"
done
