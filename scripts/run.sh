#!/usr/bin/env bash
# Sets up and starts Outreach on this machine: the sync server on its
# embedded SQLite database, and the desktop app. With --demo, a demo team
# and worker are created on the server, a laptop store is filled with
# synthetic data (no real person's data), signed in and synced first.
#
#   bash scripts/run.sh [--demo] [--clients N]
#
# Everything lives under $OUTREACH_HOME (default ~/.local/share/outreach-demo):
# server/ holds the server's database, laptop/ the encrypted laptop store.
# The laptop passphrase is $OUTREACH_PASSPHRASE (default "demo passphrase only"),
# the demo worker's server password $OUTREACH_PASSWORD (default "demo password only").
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
cargo build --release -p outreach-cli -p outreach-server -p outreach-app
bin="${CARGO_TARGET_DIR:-$root/target}/release"

home="${OUTREACH_HOME:-$HOME/.local/share/outreach-demo}"
export OUTREACH_SERVER_DATA="$home/server" OUTREACH_DATA_DIR="$home/laptop"
export OUTREACH_PASSPHRASE="${OUTREACH_PASSPHRASE:-demo passphrase only}"
export OUTREACH_PASSWORD="${OUTREACH_PASSWORD:-demo password only}"
mkdir -p "$OUTREACH_SERVER_DATA"
server_url="http://127.0.0.1:${OUTREACH_PORT:-8787}"

"$bin/outreach-server" serve --listen "127.0.0.1:${OUTREACH_PORT:-8787}" &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; [ -n "${xvfb:-}" ] && kill "$xvfb" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 50); do
  curl -fsS "$server_url/health" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "Sync server: $server_url (database in $OUTREACH_SERVER_DATA)"

if ((demo)); then
  if [ ! -f "$OUTREACH_DATA_DIR/outreach.db" ]; then
    areas=(--area Liverpool --area Sefton --area Knowsley --area Halton --area Wirral --area "St Helens")
    "$bin/outreach-server" team add "Demo team" "${areas[@]}" || true
    "$bin/outreach-server" user add demo.worker --role worker --team "Demo team" || true
    "$bin/outreach" demo --clients "$clients" --contacts-per-client 5 --init-user demo.worker
    "$bin/outreach" login --server "$server_url" --user demo.worker
  fi
  "$bin/outreach" sync || echo "Sync did not complete; the laptop keeps working offline and syncs later."
  echo "Demo laptop store: $OUTREACH_DATA_DIR (passphrase: '$OUTREACH_PASSPHRASE')"
  echo "Try: $bin/outreach client search smith"
fi

if [ -z "${DISPLAY:-}" ]; then
  echo "No display: starting a virtual one (Xvfb :99) for the desktop window."
  Xvfb :99 -screen 0 1280x800x24 >/dev/null 2>&1 &
  xvfb=$!
  export DISPLAY=:99 WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1
  sleep 1
  echo "Take a screenshot with: DISPLAY=:99 import -window root outreach.png"
fi
# The app opens on $OUTREACH_DATA_DIR (signed in to $server_url after --demo)
# and asks for the passphrase: it never reads it from the environment, and
# the demo secrets are not passed on to it.
echo "Desktop app on $OUTREACH_DATA_DIR: unlock it with the laptop passphrase; Sync now talks to $server_url."
env -u OUTREACH_PASSPHRASE -u OUTREACH_PASSWORD "$bin/outreach-app"
