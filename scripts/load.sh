#!/usr/bin/env bash
# Bounded signed load on the reference server from a second process: starts a release
# idwallet-server on a free port with a fresh data directory, runs idwallet-load against it
# (N clients, each a registered device, alternating a score read and a report-challenge
# write), prints req/s and latency percentiles, stops the server cleanly and checks that
# every write it acknowledged is in its database (0 lost writes). Outside CI (DURATION s).
#   scripts/load.sh [CLIENTS=50] [DURATION=30]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clients=${1:-50}
duration=${2:-30}
target=${CARGO_TARGET_DIR:-$root/target}
cargo build -q --release -p idwallet-server --bins
export LC_ALL=C
data=$(mktemp -d)
out=$(mktemp)
"$target/release/idwallet-server" --data "$data" --listen 127.0.0.1:0 --citizens "$clients" >"$out" 2>/dev/null &
server=$!
report=$(mktemp)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data" "$out" "$report"' EXIT
for _ in $(seq 100); do grep -q '^activation-codes:' "$out" && break; sleep 0.1; done
url=$(sed -n 's/^listening: //p' "$out")
key=$(sed -n 's/^server-key: //p' "$out")
echo "server $url (pid $server), $clients clients, $duration s, $(nproc) cores shared by both processes"
"$target/release/idwallet-load" --server "$url" --server-key "$key" --codes "$data/activation-codes.txt" \
  --clients "$clients" --duration "$duration" | tee "$report"
kill -INT $server
wait $server
acked=$(sed -n 's/^acknowledged writes: //p' "$report")
stored=$("$target/release/idwallet-server" --data "$data" --stats | sed -n 's/^report_challenge //p')
echo "writes: $acked acknowledged, ${stored:-0} in the database after a clean stop"
if [ "${stored:-0}" != "$acked" ]; then
  echo "LOST WRITES: $(( acked - ${stored:-0} ))" >&2
  exit 1
fi
echo "0 lost writes"
