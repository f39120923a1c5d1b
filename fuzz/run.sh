#!/usr/bin/env bash
# Run every fuzz target for a bounded number of executions (default 1,000,000 each, capped
# at MAX_SECONDS per target; outside CI) and report executions, time and crashes. Installs
# cargo-fuzz once. Seeds (committed, small; made by core/tests/fuzz_seeds.rs with the fixed
# fuzz issuer of fuzz_targets/common.rs) live in fuzz/corpus/<target>; what the fuzzer
# grows goes to fuzz/corpus-work/<target> (ignored), crashes to fuzz/artifacts/<target>.
#   fuzz/run.sh [RUNS] [MAX_SECONDS] [TARGET...]
# SANITIZER=none builds without AddressSanitizer, in target-nosan/ so the ASan build is kept,
# for a target ASan slows most: verify_report (lopdf's byte-at-a-time parser: ~40 exec/s per
# job under ASan, ~600 without). Its own parsers (lopdf, pom) are safe Rust; the unsafe code
# it reaches (image decoders, rxing, ring) is fuzzed under ASan by qr_image and verify_cbor.
# Panics, aborts, timeouts, out-of-memory and stack overflows are still caught.
# COVERAGE=1 (implies SANITIZER=none, in target-cov/) also instruments for source coverage
# (-C instrument-coverage): the run writes coverage/<target>/*.profraw, and the line coverage
# the run reached in the verifiers (credential/verify.rs, report/) is printed with
# llvm-cov-19 (Debian's llvm-19, installed once; it reads nightly's LLVM 22 profiles).
set -uo pipefail
cd "$(dirname "$0")"
runs=${1:-1000000}
secs=${2:-3600}
shift 2 2>/dev/null || shift $#
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(verify_qr_text verify_cbor holder_parts trust_list http_headers verify_report camera_frame qr_image mdl_engagement mdl_session mdl_device_response)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
mkdir -p logs
# No allocation stack per malloc: for verify_report (lopdf's parser allocates per byte)
# recording them took a third of the time (22 → 33 exec/s side by side). Safe Rust cannot
# use-after-free; rerun a crash input with the default to see allocation stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0}
build=(--target-dir target)
[ "${SANITIZER:-address}" = none ] && build=(-s none --target-dir target-nosan)
if [ "${COVERAGE:-0}" = 1 ]; then
  command -v llvm-cov-19 >/dev/null || sudo -n apt-get install -y -q llvm-19 >/dev/null 2>&1 \
    || apt-get install -y -q llvm-19 >/dev/null
  build=(-s none --target-dir target-cov)
  export RUSTFLAGS="${RUSTFLAGS:-} -C instrument-coverage"
fi
for target in "${targets[@]}"; do
  mkdir -p "corpus-work/$target" "artifacts/$target"
  before=$(ls "artifacts/$target" | wc -l)
  rm -rf "coverage/$target" && mkdir -p "coverage/$target"
  LLVM_PROFILE_FILE="$PWD/coverage/$target/%p-%m.profraw" \
  cargo +nightly fuzz run "${build[@]}" "$target" "corpus-work/$target" "corpus/$target" -- \
    -runs="$runs" -max_total_time="$secs" -max_len=12000 -print_final_stats=1 >"logs/$target.txt" 2>&1
  rc=$?
  done_line=$(grep -E "^Done [0-9]+ runs" "logs/$target.txt" | tail -1)
  crashes=$(( $(ls "artifacts/$target" | wc -l) - before ))
  echo "$target: ${done_line:-no completion line (rc $rc)}; new crash artifacts: $crashes"
  if [ "${COVERAGE:-0}" = 1 ] && ls "coverage/$target"/*.profraw >/dev/null 2>&1; then
    llvm-profdata-19 merge -sparse "coverage/$target"/*.profraw -o "coverage/$target.profdata"
    bin="target-cov/x86_64-unknown-linux-gnu/release/$target"
    llvm-cov-19 report "$bin" -instr-profile="coverage/$target.profdata" \
      ../core/src/credential/verify.rs ../core/src/credential/cose.rs ../core/src/credential/cbor.rs \
      ../core/src/credential/qr.rs ../core/src/credential/status.rs ../core/src/credential/trust.rs \
      ../core/src/report/mod.rs ../core/src/report/pdf.rs >"logs/$target.coverage.txt" 2>&1
    llvm-cov-19 show "$bin" -instr-profile="coverage/$target.profdata" -show-line-counts \
      ../core/src/credential/verify.rs ../core/src/report/mod.rs >"logs/$target.lines.txt" 2>&1
    echo "$target: line coverage (files with any line reached; logs/$target.coverage.txt):"
    awk '$1 ~ /\.rs$/ && $10 != "0.00%" {printf "  %-40s %s of %s lines (%s)\n", $1, $8 - $9, $8, $10}' \
      "logs/$target.coverage.txt"
  fi
done
