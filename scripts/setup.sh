#!/usr/bin/env bash
# Installs and starts what the tests need. Safe to run again.
# The Rust toolchain's components, the services the store and target tests
# talk to (scripts/services.sh), and the shared conformance corpus next to the
# repository (tests read it from ../shared/corpus/realworld), poppler and
# tesseract (scripts/ocr.sh), chromium and chromedriver for the web UI's browser
# tests (scripts/browser.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is missing: $2" >&2; exit 1; }; }
need cargo "install Rust (rustup) first"
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

corpus="${PRODLINE_CORPUS:-../shared/corpus/realworld}"
if [ ! -f "$corpus/MANIFEST.md" ]; then
    echo "setup: the conformance corpus is missing at $corpus (set PRODLINE_CORPUS); the corpus tests will fail" >&2
fi

scripts/services.sh
scripts/ocr.sh
scripts/browser.sh
scripts/dovecot.sh start
scripts/smtp.sh start
