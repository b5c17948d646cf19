#!/usr/bin/env bash
# Start-up benchmark of the desktop app: time from launching the app to an
# unlocked caseload showing, on a store of 50,000 synthetic clients, repeated
# several times; prints every run, then the median and the worst.
#
# Usage: bash scripts/bench-startup.sh [--runs N] [--clients N] [--debug] [--data-dir DIR]
#   --runs N       launches to time (default 7)
#   --clients N    synthetic clients in the store (default 50000, 2 contacts each)
#   --debug        time the debug build instead of the release build
#   --data-dir DIR keep the store in DIR and reuse it on later runs (default:
#                  a temporary folder, removed at the end)
# The store's passphrase: OUTREACH_PASSPHRASE if set, else a fixed bench one.
# The store's user is amy.w, one of the synthetic workers, so "My clients"
# (the caseload the app opens on) holds 1/8 of the clients. A screenshot of
# the last run's caseload goes to e2e/screenshots/startup-caseload.png.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
tools="${OUTREACH_TOOLS:-/var/cache/outreach/tools}"
export PATH="$tools/bin:$PATH"

runs=7 clients=50000 profile=release data_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --debug) profile=debug; shift ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    *) echo "bench-startup: unknown option $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done
export OUTREACH_PASSPHRASE="${OUTREACH_PASSPHRASE:-bench only: correct horse battery staple}"

work="$(mktemp -d "${TMPDIR:-/tmp}/outreach-bench-startup.XXXXXX")"
# shellcheck source=lib/window.sh
. "$root/scripts/lib/window.sh"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  window_stop
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

window_need_packages
(
  cd "$root/ui"
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm install --no-audit --no-fund --loglevel=error
  fi
  npm run --silent build
)
flags=(--locked)
[ "$profile" = release ] && flags+=(--release)
(cd "$root" && cargo build "${flags[@]}" -p outreach-app -p outreach-cli)
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --root "$tools"
(cd "$root/e2e" && { [ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; })

export OUTREACH_APP_BIN="$CARGO_TARGET_DIR/$profile/outreach-app"
if [ -z "$data_dir" ]; then data_dir="$work/store"; fi
if [ ! -e "$data_dir/outreach.db" ]; then
  echo "bench-startup: making a store of $clients synthetic clients in $data_dir"
  mkdir -p "$data_dir"
  OUTREACH_DATA_DIR="$data_dir" "$CARGO_TARGET_DIR/$profile/outreach" demo \
    --clients "$clients" --contacts-per-client 2 --init-user amy.w
else
  echo "bench-startup: reusing the store in $data_dir"
fi

window_start_xvfb bench-startup
export E2E_PGID_FILE="$work/pgids" E2E_LOG_DIR="$work/logs"

echo "bench-startup: $runs launches of $OUTREACH_APP_BIN ($profile), load average $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$root/e2e"
node bench-startup.js --data-dir "$data_dir" --runs "$runs" --screenshot startup-caseload &
node_pid=$!
wait "$node_pid"
node_pid=""
echo "bench-startup: load average after $(cut -d' ' -f1-3 /proc/loadavg)"
