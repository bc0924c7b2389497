#!/usr/bin/env bash
# The README's screenshots (docs/screenshots/*.png): runs `prodline demo`
# (release) with its web UI on 127.0.0.1:8099, logs in as the demo's owner in
# headless chromium (scripts/browser.sh installs it) and saves the review
# queue, the review desk and the dashboard. Arguments go to `prodline demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ocr.sh >/dev/null
bash scripts/browser.sh >/dev/null
out="${TMPDIR:-/tmp}/prodline-screenshots"
rm -rf "$out" && mkdir -p "$out"
log="$out/demo.log"
cargo build --release -q -p prodline
target="${CARGO_TARGET_DIR:-target}"
"$target/release/prodline" demo --out "$out/demo" --listen 127.0.0.1:8099 "$@" >"$log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  grep -q "log in as owner" "$log" && break
  kill -0 "$demo" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 1
done
password=$(grep "log in as owner" "$log" | sed -E 's/.*password ([^ ]+).*/\1/')
python3 scripts/screenshots.py http://127.0.0.1:8099 owner "$password" docs/screenshots
