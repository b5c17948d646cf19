#!/usr/bin/env bash
# End-to-end tests of the real Outreach desktop window: builds the UI and the
# app (debug), installs tauri-driver if missing, starts a private Xvfb, runs
# the tests in e2e/ (WebDriver through tauri-driver and WebKitWebDriver), and
# checks that the screenshots of the main screens were written to
# e2e/screenshots/ (not committed). Every process it starts is killed on exit,
# also on failure or Ctrl-C. Each app run gets a fresh OUTREACH_DATA_DIR.
#
# Usage: bash scripts/e2e.sh [--no-build] [test file ...]
#   --no-build   use the app and UI as already built
#   test file    run only these files from e2e/tests (default: all)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
tools="${OUTREACH_TOOLS:-/var/cache/outreach/tools}"
export PATH="$tools/bin:$PATH"

build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi

work="$(mktemp -d "${TMPDIR:-/tmp}/outreach-e2e.XXXXXX")"
# shellcheck source=lib/window.sh
. "$root/scripts/lib/window.sh"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  window_stop
  if [ "$rc" -ne 0 ] && compgen -G "$work/logs/*.log" >/dev/null; then
    echo "e2e: failed; last lines of the driver logs:" >&2
    for f in "$work"/logs/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done
  fi
  if [ -n "${E2E_KEEP:-}" ]; then echo "e2e: logs kept in $work/logs" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

window_need_packages

if [ "$build" = 1 ]; then
  echo "e2e: building the UI and the app (debug)"
  (
    cd "$root/ui"
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      npm install --no-audit --no-fund --loglevel=error
    fi
    npm run --silent build
  )
  (cd "$root" && cargo build -p outreach-app --locked)
fi
export OUTREACH_APP_BIN="${OUTREACH_APP_BIN:-$CARGO_TARGET_DIR/debug/outreach-app}"
[ -x "$OUTREACH_APP_BIN" ] || { echo "e2e: $OUTREACH_APP_BIN is missing: run without --no-build" >&2; exit 1; }

if ! command -v tauri-driver >/dev/null; then
  echo "e2e: installing tauri-driver into $tools"
  cargo install tauri-driver --locked --root "$tools"
fi

cd "$root/e2e"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# A private X server; -displayfd makes it pick a free display number.
mkdir -p "$work/logs" "$work/tmp"
window_start_xvfb e2e
export E2E_PGID_FILE="$work/pgids" E2E_LOG_DIR="$work/logs" E2E_TMP="$work/tmp"
export E2E_SCREENSHOTS="$root/e2e/screenshots"
mkdir -p "$E2E_SCREENSHOTS"
rm -f "$E2E_SCREENSHOTS"/*.png

files=("$@")
if [ "${#files[@]}" -eq 0 ]; then files=(tests/); fi
echo "e2e: running ${files[*]} on DISPLAY=$DISPLAY against $OUTREACH_APP_BIN"
timeout --kill-after=10 "${E2E_TIMEOUT:-240}" node --test --test-concurrency=1 --test-reporter=spec "${files[@]}" &
node_pid=$!
wait "$node_pid"
node_pid=""

# The screenshots must really be there: PNG files, not empty.
shots=("$E2E_SCREENSHOTS"/*.png)
if [ ! -e "${shots[0]}" ]; then echo "e2e: no screenshot was written to $E2E_SCREENSHOTS" >&2; exit 1; fi
for f in "${shots[@]}"; do
  if [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ] || [ "$(stat -c %s "$f")" -lt 1000 ]; then
    echo "e2e: $f is not a real PNG screenshot" >&2
    exit 1
  fi
done
echo "e2e: ${#shots[@]} screenshots in $E2E_SCREENSHOTS:"
for f in "${shots[@]}"; do echo "  $(basename "$f")"; done
