#!/usr/bin/env bash
# Usage: scripts/internal/wine/window-smoke.sh INSTDIR OUTDIR
#
# The Windows window end to end under Wine, as a new user meets it, run by
# scripts/internal/windows/package-test on the programs its installer put
# in INSTDIR (WINEPREFIX and WINE, WINESERVER come from there):
#   - `tokenkeeper.exe demo` on a private Xvfb: the agent starts with the
#     demo provider, and the window opens on its own, connected to the
#     agent over its named pipe; it shows the two demo accounts, signed out
#     (no green anywhere: no "valid" badge, no countdown bar);
#   - `tokenkeeper.exe login demo --no-browser` signs in (in the agent)
#     (scripts/internal/browse plays the browser from the Linux side), and
#     the window, told by the agent, shows the account valid with its
#     countdown (green appears);
#   - the window is closed and the agent stopped with `agent --stop`.
# scripts/internal/xwatch finds the window on the display and looks at its
# pixels; the two pictures are written to OUTDIR (window-signed-out.png,
# window-valid.png) to be looked at.
set -euo pipefail
: "${WINEPREFIX:?}" "${WINE:?}" "${WINESERVER:?}"
instdir=$1 out=$2
cd "$(dirname "$0")/../../.."

say() { echo "wine window: $*" >&2; }
fail() { echo "wine window: FAIL: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenkeeper-wine-window.XXXXXXXX")
xvfb_pid="" demo_pid=""
cleanup() {
  for p in $demo_pid $xvfb_pid; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/xwatch" ./scripts/internal/xwatch
go build -o "$work/browse" ./scripts/internal/browse

# A display of its own: Xvfb picks a free number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!
for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
[[ -s $work/display ]] || fail "Xvfb did not start: $(cat "$work/xvfb.log")"
export DISPLAY=":$(head -n1 "$work/display")"

# A free loopback port for the demo provider (the agent reads
# TOKENKEEPER_DEMO_ADDR, and so does the window it starts).
port=$(go run ./scripts/internal/benchtool freeport)
export TOKENKEEPER_DEMO_ADDR="127.0.0.1:$port"

"$WINE" "$instdir/tokenkeeper.exe" demo >"$work/demo.log" 2>&1 &
demo_pid=$!
"$work/xwatch" -name Tokenkeeper -timeout 120s -out "$out/window-signed-out.png" >"$work/before" 2>"$work/xwatch.log" ||
  fail "no Tokenkeeper window within 120 s: $(cat "$work/xwatch.log"); demo: $(cat "$work/demo.log")"
green=$(sed -n 's/^green=//p' "$work/before")
[[ $green -eq 0 ]] || fail "the signed-out window shows $green green pixels, want none ($out/window-signed-out.png)"
say "tokenkeeper.exe demo: the window is up, the demo accounts signed out"

"$WINE" "$instdir/tokenkeeper.exe" login demo --no-browser >"$work/login.out" 2>"$work/login.err" &
login_pid=$!
url=""
for _ in $(seq 300); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/[^[:space:]]*' "$work/login.out" "$work/login.err" 2>/dev/null | head -n1 | cut -d: -f2- | tr -d '\r') || true
  [[ -n $url ]] && break
  kill -0 "$login_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $url ]] || fail "login printed no URL: $(cat "$work/login.err")"
"$work/browse" "$url" || fail "the demo sign-in page refused the demo user"
rc=0
wait "$login_pid" || rc=$?
[[ $rc -eq 0 ]] || fail "login exited $rc: $(cat "$work/login.err")"
"$work/xwatch" -name Tokenkeeper -green 200 -timeout 60s -out "$out/window-valid.png" >"$work/after" 2>"$work/xwatch.log" ||
  fail "the window did not show the account valid: $(cat "$work/xwatch.log") ($out/window-valid.png)"
say "login through the agent: the window shows the account valid ($(sed -n 's/^green=//p' "$work/after") green pixels; $out/window-valid.png)"

# The window first (a window whose agent goes away starts a new one).
"$WINE" taskkill /IM tokenkeeper-window.exe /F >/dev/null 2>&1 || true
"$WINE" "$instdir/tokenkeeper-agent.exe" --stop 2>"$work/stop.err" || fail "agent --stop: $(cat "$work/stop.err")"
wait "$demo_pid" 2>/dev/null || true
demo_pid=""
say "window closed, agent stopped"
