#!/usr/bin/env bash
# Runs every check and test Outreach has: UI lint, type check and unit
# tests, Rust formatting, clippy, the whole workspace's tests (domain
# rules, the encrypted store, the CLI end to end, the crash test, the
# server's abuse suite), a schema-driven fuzz run of the server's API, and
# the real window end to end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"

echo "== UI: lint, type check, unit tests"
cd "$root/ui"
npm run --silent lint
npm run --silent typecheck
npm test --silent
echo "== UI: the built UI in headless Chromium (stand-in back end, strict CSP)"
node e2e-browser/run.mjs

echo "== Rust: format and clippy"
cd "$root"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== Rust: tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

echo "== Server: schema-driven fuzzing of the HTTP API (schemathesis), per role and without a token"
bash "$root/scripts/fuzz-api.sh"

echo "== Desktop app: end-to-end tests of the real window (Xvfb, tauri-driver, WebKitWebDriver)"
bash "$root/scripts/e2e.sh"
