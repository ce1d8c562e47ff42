#!/usr/bin/env bash
# End-to-end smoke of tokenkeeper.exe under Wine, on the direct path and
# then through tokenkeeper-agent.exe over its named pipe, run
# by scripts/wine-test inside its private prefix: WINEPREFIX and WINE
# come from there (its wineserver persists; it stops it), and TMPDIR_WINE
# is a scratch directory.
#
# The embedded demo provider runs on the Linux side on 127.0.0.1 (Wine's
# processes share the host's loopback). The account's --browser is
# scripts/internal/browse built for Windows, so the sign-in runs through
# the CLI's own browser launch (CommandLineToArgvW splitting, CreateProcess)
# and completes itself. Then token, refresh, exec (a Windows child's exit
# code and environment), git-credential get, list --json; then the agent
# (`tokenkeeper agent`, found as tokenkeeper-agent.exe): a second one
# refused, sign-in, token and refresh through it, `agent --stop`; logout;
# and the
# tokens must be in Wine's Credential Manager and nowhere under the
# user's profile (%APPDATA%\Tokenkeeper and the rest).
set -euo pipefail
: "${WINEPREFIX:?}" "${WINE:?}" "${TMPDIR_WINE:?}"
cd "$(dirname "$0")/../../.."

say() { echo "wine smoke: $*" >&2; }
fail() { echo "wine smoke: FAIL: $*" >&2; exit 1; }

dir="$TMPDIR_WINE/smoke"
mkdir -p "$dir" "$WINEPREFIX/drive_c/tk"
provider_pid="" agent_pid=""
stop_provider() {
  if [[ -n $agent_pid ]]; then
    kill "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
    agent_pid=""
  fi
  if [[ -n $provider_pid ]]; then
    kill "$provider_pid" 2>/dev/null || true
    wait "$provider_pid" 2>/dev/null || true
    provider_pid=""
  fi
}
trap stop_provider EXIT

go build -o "$dir/demoprovider" ./scripts/internal/wine/demoprovider
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -o "$WINEPREFIX/drive_c/tk/tokenkeeper.exe" ./cmd/tokenkeeper
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -o "$WINEPREFIX/drive_c/tk/tokenkeeper-agent.exe" ./cmd/tokenkeeper-agent
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -o "$WINEPREFIX/drive_c/tk/browse.exe" ./scripts/internal/browse

"$dir/demoprovider" >"$dir/provider.url" 2>"$dir/provider.log" &
provider_pid=$!
for _ in $(seq 100); do
  [[ -s $dir/provider.url ]] && break
  kill -0 "$provider_pid" 2>/dev/null || fail "the demo provider did not start: $(cat "$dir/provider.log")"
  sleep 0.1
done
url=$(head -n1 "$dir/provider.url")
[[ $url == http://127.0.0.1:* ]] || fail "the demo provider printed no URL"
say "demo provider at $url"

# tk ARGS...: tokenkeeper.exe under Wine; stdout as is, stderr to a file
# shown on failure (it never holds a token: the CLI prints none there).
tk() { "$WINE" 'C:\tk\tokenkeeper.exe' "$@" 2>"$dir/stderr"; }
tk_ok() { tk "$@" || fail "tokenkeeper $1 exited $?: $(cat "$dir/stderr")"; }

# Tokenkeeper's entries in Wine's Credential Manager (its registry store).
# What was there before the smoke (other tests' profiles, in the same
# prefix) is set aside: the smoke's own must come with login and go with
# logout.
tk_creds() { { "$WINE" reg query 'HKCU\Software\Wine\Credential Manager' 2>/dev/null || true; } | tr -d '\r' | { grep -i tokenkeeper || true; } | sort; }
creds_before=$(tk_creds)
tk_ok add demo --provider erpnet --url "$url" --client-id tokenkeeper-demo \
  --browser 'C:\tk\browse.exe' --git-host git.example.com >/dev/null
say "add: ok"
tk_ok login demo >/dev/null
say "login (browse.exe as the browser): ok"

access=$(tk_ok token demo | tr -d '\r')
[[ -n $access ]] || fail "token printed nothing"
say "token: ok"
tk_ok refresh demo >/dev/null
refreshed=$(tk_ok token demo | tr -d '\r')
[[ -n $refreshed && $refreshed != "$access" ]] || fail "refresh did not give a new access token"
say "refresh: ok (a new access token)"

rc=0
tk exec demo -- cmd /c exit 7 >/dev/null || rc=$?
[[ $rc -eq 7 ]] || fail "exec -- cmd /c exit 7 exited $rc, want 7: $(cat "$dir/stderr")"
# The child writes its variable to a scratch file (never to argv or the
# output), compared here and removed.
tk_ok exec demo -- cmd /c 'echo %TOKENKEEPER_TOKEN%>Z:'"${dir//\//\\}"'\child.env' >/dev/null
[[ $(tr -d '\r\n ' <"$dir/child.env") == "$refreshed" ]] || fail "exec: the child's TOKENKEEPER_TOKEN is not the account's token"
rm -f "$dir/child.env"
say "exec: ok (exit code 7 passed on; the token in the child's environment)"

cred=$(printf 'protocol=https\nhost=git.example.com\n\n' | tk_ok git-credential get | tr -d '\r')
grep -qxF "password=$refreshed" <<<"$cred" || fail "git-credential get did not answer the account's token"
say "git-credential get: ok"

list=$(tk_ok list --json | tr -d '\r')
grep -q '"demo"' <<<"$list" || fail "list --json does not show the account"
grep -qF "$refreshed" <<<"$list" && fail "list --json shows the token"
say "list --json: ok"

# The agent, as `tokenkeeper agent` starts it (launch.Replace runs its
# sibling tokenkeeper-agent.exe); TOKENKEEPER_DEBUG makes it log "agent
# ready" once its pipe takes connections.
TOKENKEEPER_DEBUG=1 "$WINE" 'C:\tk\tokenkeeper.exe' agent --no-tray >"$dir/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 300); do
  grep -q "agent ready" "$dir/agent.log" && break
  kill -0 "$agent_pid" 2>/dev/null || fail "the agent exited: $(cat "$dir/agent.log")"
  sleep 0.1
done
grep -q "agent ready" "$dir/agent.log" || fail "the agent did not get ready in 30 s: $(cat "$dir/agent.log")"
rc=0
tk agent --no-tray >/dev/null || rc=$?
[[ $rc -eq 1 ]] && grep -q "another Tokenkeeper agent is running" "$dir/stderr" ||
  fail "a second agent: exit $rc, want 1 and 'another Tokenkeeper agent is running': $(cat "$dir/stderr")"
say "agent: running on its named pipe; a second one refused"
tk_ok login demo >/dev/null
grep -q "the Tokenkeeper agent opens your browser" "$dir/stderr" || fail "login did not go through the agent: $(cat "$dir/stderr")"
say "agent: login through it (the agent ran browse.exe and caught the callback)"
before=$(tk_ok token demo | tr -d '\r')
tk_ok refresh demo >/dev/null
refreshed=$(tk_ok token demo | tr -d '\r')
[[ -n $before && -n $refreshed && $refreshed != "$before" ]] || fail "token and refresh through the agent"
say "agent: token and refresh through it"
tk_ok agent --stop >/dev/null
grep -q "stopped" "$dir/stderr" || fail "agent --stop said: $(cat "$dir/stderr")"
for _ in $(seq 100); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$agent_pid" 2>/dev/null; then fail "the agent still runs 10 s after agent --stop"; fi
rc=0
wait "$agent_pid" || rc=$?
agent_pid=""
[[ $rc -eq 0 ]] || fail "the agent exited $rc after agent --stop: $(cat "$dir/agent.log")"
[[ $(tk_ok token demo | tr -d '\r') == "$refreshed" ]] || fail "token on the direct path after the agent stopped"
say "agent: --stop ended it cleanly (exit 0); the direct path serves the same token"
for t in "$before"; do
  if grep -qF "$t" "$dir/agent.log"; then fail "the agent's log holds a token"; fi
done

# The secrets: in Wine's Credential Manager (its registry store), nowhere
# in the profile's files.
users="$WINEPREFIX/drive_c/users"
confdir=$(find "$users" -mindepth 4 -maxdepth 4 -ipath '*/AppData/Roaming/tokenkeeper' -type d -print -quit)
[[ -n $confdir && -n $(find "$confdir" -type f -print -quit) ]] || fail "no Tokenkeeper config under %APPDATA%"
say "config under %APPDATA%: ${confdir#"$WINEPREFIX/drive_c/"}: $(cd "$confdir" && find . -type f | tr '\n' ' ')"
for t in "$access" "$before" "$refreshed"; do
  if grep -rqF "$t" "$users"; then fail "a token is in a file under $users"; fi
done
[[ -n $(comm -13 <(echo "$creds_before") <(tk_creds)) ]] || fail "no Tokenkeeper entry in Wine's Credential Manager"
say "secrets: in Credential Manager, in no file under the profile"

tk_ok logout demo >/dev/null
rc=0
tk token demo >/dev/null || rc=$?
[[ $rc -eq 3 ]] || fail "token after logout exited $rc, want 3 (signed out)"
[[ $(tk_creds) == "$creds_before" ]] || fail "logout left Tokenkeeper entries in Credential Manager"
say "logout: ok (token exits 3; its Credential Manager entries gone)"
stop_provider
say "passed"
