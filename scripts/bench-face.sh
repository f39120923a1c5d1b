#!/usr/bin/env bash
# Face benchmarks in one run, side by side: tract (criterion, benches/face.rs) on the
# prepared models and ONNX Runtime (PyPI, pinned, in a cached venv) on the same graphs and
# inputs, 1 and 2 threads, with the ratios; the per-frame liveness step (median, p95; frames
# at a camera's 30 fps, and back to back), the
# unlock verification (frame → detect → align → embed → compare), the model load; the peak
# RSS of a release CLI enrolment and liveness unlock; the stripped mobile app library on
# x86_64 and aarch64 (scripts/size.sh, scripts/arm64.sh: cached builds, minutes cold).
# Ends with one JSON line holding every figure (issue #19's targets), so runs compare.
# Outside CI.
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

# Peak RSS of a whole face enrolment and unlock from the command line (release build). The
# enrolment is identity-bound (ADR 0008): the holder registers with the reference server,
# which issues citizen 1's documents with the reference portrait of person_b_2; the live
# face is person_b_1, the same person.
cargo build --release -q -p idwallet-cli -p idwallet-server --bins
cli="$target/release/idwallet"
w=$(mktemp -d)
"$target/release/idwallet-server" --data "$w/server" --listen 127.0.0.1:0 --citizens 1 --photos "$models/photos" >"$w/server.out" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$w"' EXIT
for _ in $(seq 100); do grep -q '^activation-codes:' "$w/server.out" && break; sleep 0.1; done
export IDWALLET_PASSPHRASE="bench passphrase"
"$cli" wallet init --path "$w/wallet" >/dev/null
"$cli" register --path "$w/wallet" --server "$(sed -n 's/^listening: //p' "$w/server.out")" \
  --server-key "$(sed -n 's/^server-key: //p' "$w/server.out")" --code "$(sed -n 's/^1 //p' "$w/server/activation-codes.txt")" >/dev/null
"$cli" documents refresh --path "$w/wallet" >/dev/null
face=(--path "$w/wallet" --models "$models" --challenges turn-left,look-up,turn-right)
peak_rss() { /usr/bin/time -o "$w/rss" -f "%M" "$cli" "$@" >/dev/null || { echo "bench-face: idwallet $* failed" >&2; exit 1; }; cat "$w/rss"; }
rss=$(peak_rss face enrol "${face[@]}" "$models/photos/person_b_1.jpg")
rss_unlock=$(peak_rss face verify "${face[@]}" "$models/photos/person_b_1.jpg")

# The app library as shipped, both ABIs (their own target dirs; cached after the first run).
IDWALLET_SIZE_TARGET=${IDWALLET_SIZE_TARGET:-$target/size} scripts/size.sh mobile >/dev/null
x86=$(stat -c %s build/size/libidwallet_ffi-mobile.so)
arm=$(IDWALLET_SIZE_TARGET=${IDWALLET_SIZE_TARGET_ARM64:-$target/size-arm64} scripts/arm64.sh size | sed -n 's/^arm64 mobile library: \([0-9]*\) bytes.*/\1/p')

python3 - "$target/criterion" "$ort" "$rss" "$rss_unlock" "$x86" "$arm" <<'PY'
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
LOAD, UNLOCK = "load models (yunet, sface, iris side by side)", "unlock verification (480 px frame: detect, align, embed, compare)"
for name in [LOAD, *(f"{m} load (read, fold, optimise)" for m in ("yunet 320x320", "sface 112x112", "iris 64x64")),
             "detect (716x900 photo)", "analyze (716x900 photo)",
             "eye openness (iris model, 2 eyes x 2 crops)", UNLOCK]:
    print(f"  {name}: {median_ms(name):.2f} ms")
steps = json.loads((base / "face-liveness-steps.json").read_text())
print(f"  liveness step (480 px frames of a recorded session at 30 fps, {steps['steps']} steps): median {steps['median']:.2f} ms, p95 {steps['p95']:.2f} ms")
b2b = steps["back_to_back"]
print(f"  liveness step (the same frames back to back): median {b2b['median']:.2f} ms, p95 {b2b['p95']:.2f} ms")
rss_enrol, rss_unlock = int(sys.argv[3]) / 1024, int(sys.argv[4]) / 1024
print(f"  peak RSS: face enrol {rss_enrol:.0f} MB, face verify (liveness unlock) {rss_unlock:.0f} MB")
print(f"  stripped mobile app library: x86_64 {int(sys.argv[5]):,} bytes, aarch64 {int(sys.argv[6]):,} bytes")
r = lambda x, n=2: round(x, n)
print(json.dumps({
    "liveness_step_ms": {"median": r(steps["median"]), "p95": r(steps["p95"])},
    "unlock_verification_ms": r(median_ms(UNLOCK)),
    "model_load_ms": r(median_ms(LOAD)),
    "peak_rss_mb": {"enrol": r(rss_enrol, 1), "unlock": r(rss_unlock, 1)},
    "tract_over_ort": {k: r(median_ms(f"{label} tract 1 thread") / ort[f"{k} 1"]) for k, label in
                       [("yunet", "yunet 320x320"), ("sface", "sface 112x112"), ("iris", "iris 64x64")]},
    "library_bytes": {"x86_64": int(sys.argv[5]), "aarch64": int(sys.argv[6])},
}))
PY
