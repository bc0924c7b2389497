#!/usr/bin/env bash
# The demo on a fresh machine: installs poppler and tesseract (the demo has
# PDFs and scans; scripts/ocr.sh), then runs `prodline demo` in release mode.
# Arguments go to `prodline demo` (e.g. --seed 7 --out /tmp/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ocr.sh
exec cargo run --release -p prodline -- demo "$@"
