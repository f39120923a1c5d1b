#!/usr/bin/env bash
# Face benchmarks in one run, side by side: tract (criterion, benches/face.rs) and ONNX
# Runtime (PyPI, pinned, in a cached venv) on identical folded graphs and inputs, 1 and 2
# threads, with the ratios; then the per-frame liveness step, the unlock verification and
# the peak RSS of a whole CLI face unlock (model load + synthetic frames + liveness +
# match). Outside CI.
#   scripts/bench-face.sh [extra criterion args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tools="${IDWALLET_TOOLS:-$root/.tools}"
models="${IDWALLET_MODELS:-$tools/models}"
target=${CARGO_TARGET_DIR:-$root/target}
bash models/fetch.sh >/dev/null
venv="$tools/bench-venv"
pins="onnx==1.19.1 onnxruntime==1.32.0 numpy==2.3.5"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
  echo "$pins" > "$venv/.pins"
fi
cargo bench -p idwallet-core --features testing,parallel --bench face -- "$@"
ort=$(PYTHONPATH=models "$venv/bin/python" models/ort_bench.py "$models")

# Peak RSS of a whole face unlock from the command line (release build).
cargo build --release -q -p idwallet-cli
cli="$target/release/idwallet"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
export IDWALLET_PASSPHRASE="bench passphrase"
"$cli" wallet init --path "$w/wallet" >/dev/null
face=(--path "$w/wallet" --models "$models")
rss=$( { /usr/bin/time -f "%M" "$cli" face enrol "${face[@]}" "$models/photos/person_b_2.jpg" >/dev/null; } 2>&1 | tail -1)
rss_unlock=$( { /usr/bin/time -f "%M" "$cli" face verify "${face[@]}" "$models/photos/person_b_1.jpg" \
  --challenges turn-left,look-up,turn-right >/dev/null; } 2>&1 | tail -1)

python3 - "$target/criterion" "$ort" "$rss" "$rss_unlock" <<'PY'
import json, pathlib, sys
base, ort = pathlib.Path(sys.argv[1]), json.loads(sys.argv[2])
def median_ms(name):
    for d in base.glob("face/*"):
        info = d / "new" / "benchmark.json"
        if info.exists() and json.loads(info.read_text())["function_id"] == name:
            return json.loads((d / "new" / "estimates.json").read_text())["median"]["point_estimate"] / 1e6
    raise SystemExit(f"no result for face/{name}")
print("\nsummary (medians):")
print("  model           threads   tract ms   onnxruntime ms   tract/ort")
for key, label in [("yunet", "yunet 320x320"), ("sface", "sface 112x112"), ("iris", "iris 64x64")]:
    for t in (1, 2):
        tr, o = median_ms(f"{label} tract {t} thread"), ort[f"{key} {t}"]
        print(f"  {label:<15} {t:>7} {tr:>10.2f} {o:>16.2f} {tr / o:>10.2f}x")
for name in ["load models", "detect (716x900 photo)", "analyze (716x900 photo)",
             "liveness step (480 px frame)", "eye openness (iris model, 2 eyes x 2 crops)",
             "unlock verification (after a passed session)"]:
    print(f"  {name}: {median_ms(name):.2f} ms")
print(f"  peak RSS: face enrol {int(sys.argv[3]) / 1024:.0f} MB, face verify (liveness unlock) {int(sys.argv[4]) / 1024:.0f} MB")
PY
