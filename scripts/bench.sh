#!/usr/bin/env bash
# Run the storage benchmarks and print sealed-vs-plain ratios from one run.
#   scripts/bench.sh [extra criterion args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
cargo bench -p idwallet-core --bench store -- "$@"
python3 - "$target/criterion" <<'PY'
import json, pathlib, sys
base = pathlib.Path(sys.argv[1])
def median_ns(group, name):
    for d in base.glob("*/*"):
        info = d / "new" / "benchmark.json"
        if info.exists():
            b = json.loads(info.read_text())
            if b["group_id"] == group and b["function_id"] == name:
                return json.loads((d / "new" / "estimates.json").read_text())["median"]["point_estimate"]
    raise SystemExit(f"no result for {group}/{name}")
print("\nsummary (medians):")
for group in ["open"]:
    for name in ["unlock key store (Argon2id 19 MiB, t=2)", "open wallet (1000 records)"]:
        print(f"  {group}/{name}: {median_ns(group, name)/1e6:.2f} ms")
for group in ["put 256 B", "get 256 B"]:
    sealed, plain = median_ns(group, "sealed"), median_ns(group, "plain rusqlite")
    print(f"  {group}: sealed {sealed/1e3:.1f} µs, plain {plain/1e3:.1f} µs, ratio {sealed/plain:.2f}x")
PY
