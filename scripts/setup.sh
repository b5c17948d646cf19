#!/usr/bin/env bash
# Installs everything Outreach needs to build, run and test on a fresh
# Debian or Ubuntu machine with Rust (rustup) and Node.js, then builds the UI.
# Safe to run again: it installs only what is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# System libraries: WebKitGTK for the desktop window, OpenSSL headers and a C
# compiler for SQLCipher, Xvfb and WebKitWebDriver for headless UI tests, and
# the plain sqlite3 tool the tests use to prove the store is unreadable, and
# Chromium for the headless check of the built UI.
packages=(build-essential pkg-config perl libssl-dev libwebkit2gtk-4.1-dev librsvg2-dev
  libayatana-appindicator3-dev xvfb webkit2gtk-driver imagemagick sqlite3 curl chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is missing: install Rust with rustup and Node.js 20+" >&2; exit 1; }
done

# The UI: dependencies (again only when the lock file changed), then the build
# the desktop shell embeds.
cd "$root/ui"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
npm run --silent build
