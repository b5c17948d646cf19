# Shared by scripts/e2e.sh and scripts/bench-startup.sh: the private X server
# the real app window runs in, and stopping what the test harness started.
# Source it after setting `work` (a temporary folder) and `root`; it uses
# and sets `xvfb_pid` and `node_pid`.

xvfb_pid=""
node_pid=""

# Stops the node runner, the process groups the harness recorded in
# $work/pgids (tauri-driver, WebKitWebDriver, the app), and Xvfb.
window_stop() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null || true
  if [ -f "$work/pgids" ]; then
    while read -r pgid; do kill -TERM -- "-$pgid" 2>/dev/null || true; done <"$work/pgids"
    sleep 0.5
    while read -r pgid; do kill -KILL -- "-$pgid" 2>/dev/null || true; done <"$work/pgids"
  fi
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
}

# System packages (Xvfb, WebKitWebDriver, WebKitGTK, ImageMagick's import for
# the screenshots): setup.sh installs them when one is missing.
window_need_packages() {
  if ! command -v Xvfb >/dev/null || ! command -v WebKitWebDriver >/dev/null || ! command -v import >/dev/null; then
    bash "$root/scripts/setup.sh"
  fi
}

# Starts a private X server (-displayfd picks a free display number) logging
# to $work/logs/xvfb.log, and exports DISPLAY and WebKit's software-rendering
# settings. $1 names the caller in the error message.
window_start_xvfb() {
  mkdir -p "$work/logs"
  Xvfb -displayfd 3 -screen 0 1200x800x24 -nolisten tcp 3>"$work/display" 2>"$work/logs/xvfb.log" &
  xvfb_pid=$!
  for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.05; done
  [ -s "$work/display" ] || { echo "$1: Xvfb did not start" >&2; exit 1; }
  export DISPLAY=":$(head -n1 "$work/display")"
  export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1 NO_AT_BRIDGE=1
}
