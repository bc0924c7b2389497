#!/usr/bin/env bash
# The whole test suite: formatting, lints, every crate's tests.
# Installs and starts what the tests need first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Reuse a build directory outside the clone when there is one: a cold build
# on two cores takes minutes.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/prodline/target}"
export CARGO_INCREMENTAL=0
mkdir -p "$CARGO_TARGET_DIR"

scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
    # nextest does not run doctests; run them first so that nextest's summary
    # of every test is the last line.
    cargo test --workspace --locked --doc --quiet
    cargo nextest run --workspace --locked --no-fail-fast
else
    cargo test --workspace --locked --no-fail-fast
fi
