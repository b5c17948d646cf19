#!/usr/bin/env bash
# Sets up and starts Outreach on this machine: builds the `outreach` CLI and
# the desktop app, and with --demo fills a demo store with synthetic data
# (no real person's data) first.
#
#   bash scripts/run.sh [--demo] [--clients N]
#
# The demo store lives in $OUTREACH_DATA_DIR (default ~/.local/share/outreach-demo);
# its passphrase is $OUTREACH_PASSPHRASE (default "demo passphrase only").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
demo=0
clients=2000
while (($#)); do
  case "$1" in
    --demo) demo=1 ;;
    --clients) clients="$2"; shift ;;
    *) echo "usage: scripts/run.sh [--demo] [--clients N]" >&2; exit 2 ;;
  esac
  shift
done

bash "$root/scripts/setup.sh"
cd "$root"
cargo build --release -p outreach-cli -p outreach-app
target="${CARGO_TARGET_DIR:-$root/target}/release"

if ((demo)); then
  export OUTREACH_DATA_DIR="${OUTREACH_DATA_DIR:-$HOME/.local/share/outreach-demo}"
  export OUTREACH_PASSPHRASE="${OUTREACH_PASSPHRASE:-demo passphrase only}"
  if [ ! -f "$OUTREACH_DATA_DIR/outreach.db" ]; then
    "$target/outreach" demo --clients "$clients" --contacts-per-client 5 --init-user demo.worker
  fi
  echo "Demo store: $OUTREACH_DATA_DIR (passphrase: '$OUTREACH_PASSPHRASE')"
  echo "Try: $target/outreach client search smith"
fi

# The sync server arrives with the server issue; until then the app and the
# CLI work fully offline, which is their normal mode anyway.
if [ -z "${DISPLAY:-}" ]; then
  echo "No display: starting a virtual one (Xvfb :99) for the desktop window."
  Xvfb :99 -screen 0 1280x800x24 >/dev/null 2>&1 &
  xvfb=$!
  trap 'kill $xvfb 2>/dev/null || true' EXIT
  export DISPLAY=:99 WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1
  sleep 1
  echo "Take a screenshot with: DISPLAY=:99 import -window root outreach.png"
fi
exec "$target/outreach-app"
