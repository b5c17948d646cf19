#!/usr/bin/env bash
# Schema-driven fuzzing of the sync server's HTTP API from its own OpenAPI
# document (schemathesis), for each role's token and for none: no 5xx, every
# status and response body as documented, and the server still up after.
#
#   bash scripts/fuzz-api.sh            # CI: fixed seed, 25 examples per operation
#   EXAMPLES=500 SEED=$RANDOM bash scripts/fuzz-api.sh   # longer, by hand
#
# schemathesis is installed into a virtualenv under $OUTREACH_CACHE
# (default /var/cache/outreach), outside the clone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${OUTREACH_CACHE:-/var/cache/outreach}"
examples="${EXAMPLES:-25}"
seed="${SEED:-20261207}"
schemathesis_version="4.32.5"

venv="$cache/venv"
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/st" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  echo "fuzz-api: installing schemathesis $schemathesis_version into $venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

cd "$root"
cargo build --quiet --locked -p outreach-server
server="${CARGO_TARGET_DIR:-$root/target}/debug/outreach-server"

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export OUTREACH_DATABASE_URL="$work/server.db"
password="fuzzing horse battery staple"
"$server" migrate >/dev/null
"$server" team add "Liverpool Outreach" --area Liverpool --area Sefton >/dev/null
for who in "worker:fuzz.worker" "team_lead:fuzz.lead" "admin:fuzz.admin" "commissioner:fuzz.commissioner"; do
  OUTREACH_PASSWORD="$password" "$server" user add "${who#*:}" --role "${who%%:*}" --team "Liverpool Outreach" >/dev/null
done

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
"$server" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  sleep 0.2
done

headers=(-H "outreach-protocol: 1" -H "outreach-schema: 1")
token() {
  local body
  body="$(printf '{"user":"%s","password":"%s","device_id":"%s","device_name":"fuzz"}' \
    "$1" "$password" "$(python3 -c 'import uuid; print(uuid.uuid4())')")"
  curl -fsS -X POST "$base/api/v1/login" -H "content-type: application/json" "${headers[@]}" -d "$body" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

# Every token first: the fuzzing of /login uses up this address's sign-in
# allowance (the throttle is doing its job).
declare -A tokens
for who in fuzz.worker fuzz.lead fuzz.admin fuzz.commissioner; do
  tokens[$who]="$(token "$who")"
done

failed=0
for who in fuzz.worker fuzz.lead fuzz.admin fuzz.commissioner none; do
  auth=()
  if [ "$who" != none ]; then auth=(-H "Authorization: Bearer ${tokens[$who]}"); fi
  echo "== fuzz-api: as $who ($examples examples per operation, seed $seed)"
  if ! "$venv/bin/st" run "$base/openapi.json" --url "$base" "${headers[@]}" "${auth[@]}" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
    --max-examples "$examples" --seed "$seed" --no-color >"$work/st-$who.log" 2>&1; then
    tail -n 80 "$work/st-$who.log"
    failed=1
  else
    grep -E "generated|passed" "$work/st-$who.log" | tail -n 2
  fi
  if ! curl -fsS "$base/health" >/dev/null; then
    echo "fuzz-api: the server stopped answering /health after the run as $who" >&2
    tail -n 40 "$work/server.log" >&2
    exit 1
  fi
done
if grep -q "panicked" "$work/server.log"; then
  echo "fuzz-api: the server panicked:" >&2
  grep -A5 "panicked" "$work/server.log" >&2
  exit 1
fi
exit "$failed"
