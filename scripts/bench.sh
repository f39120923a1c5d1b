#!/usr/bin/env bash
# Run the criterion benchmarks and print the side-by-side ratios from one run:
# sealed vs plain rusqlite storage, presentation verify vs two raw ECDSA verifications,
# QR decode times (decode rates are printed by the bench itself), and a signed score round
# trip to the reference server vs the same work unsigned. Server load: scripts/load.sh.
#   scripts/bench.sh [extra criterion args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
cargo bench -p idwallet-core --bench store -- "$@"
cargo bench -p idwallet-core --bench credential -- "$@"
cargo bench -p idwallet-server --bench roundtrip -- "$@"
cargo bench -p idwallet-core --bench face -- "$@"
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
full, floor = median_ns("verify", "hotel presentation"), median_ns("verify", "2x raw ECDSA P-256")
print(f"  verify: presentation {full/1e3:.1f} µs, 2x raw ECDSA {floor/1e3:.1f} µs, ratio {full/floor:.2f}x")
signed, unsigned = median_ns("score round trip", "signed"), median_ns("score round trip", "unsigned")
print(f"  score round trip: signed {signed/1e3:.0f} µs, unsigned {unsigned/1e3:.0f} µs, ratio {signed/unsigned:.2f}x")
for name in ["load models", "detect (716x900 photo)", "analyze (716x900 photo)"]:
    print(f"  face {name}: {median_ns('face', name)/1e6:.1f} ms")
for kind in ["clean", "blur", "noise", "rotation", "perspective"]:
    print(f"  qr decode 1280x720 {kind}: {median_ns('qr decode 1280x720', kind)/1e6:.1f} ms")
PY
