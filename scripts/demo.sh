#!/usr/bin/env bash
# make demo: an echo bot on a local server, and a short conversation with it.
#
#   1. start a throw-away Prosody on loopback (scripts/servers/prosody.sh,
#      which installs the Debian package if it is missing)
#   2. build examples/echobot and examples/echoclient
#   3. run the echo bot as alice@localhost in the background and wait for
#      its "online as ..." line
#   4. run the client as bob@localhost: it sends a few chat messages to
#      alice@localhost and checks that each comes back unchanged
#   5. stop the bot with SIGTERM (it must exit 0), then Prosody
#
# Everything started here is stopped whatever happened; the exit status is
# non-zero if any step failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

ADDR=127.0.0.1:15222
DOMAIN=localhost
ONLINE_TIMEOUT=15 # seconds to wait for the bot to log in

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gosmack-demo.XXXXXX")
bot_pid=""
prosody_started=""

cleanup() {
  local status=$?
  if [ -n "$bot_pid" ] && kill -0 "$bot_pid" 2>/dev/null; then
    kill -TERM "$bot_pid" 2>/dev/null || true
    wait "$bot_pid" 2>/dev/null || true
  fi
  if [ -n "$prosody_started" ]; then
    step "stopping Prosody"
    scripts/servers/prosody.sh stop || status=1
  fi
  rm -rf "$work"
  if [ "$status" -eq 0 ]; then
    printf '\ndemo: ok\n'
  else
    printf '\ndemo: FAILED\n' >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "starting Prosody"
prosody_started=1
ca=$(scripts/servers/prosody.sh start)
[ -f "$ca" ] || fail "prosody.sh start printed no CA file (got '$ca')"

step "building the examples"
go build -o "$work/echobot" ./examples/echobot
go build -o "$work/echoclient" ./examples/echoclient
echo "ok"

step "starting the echo bot as alice@$DOMAIN"
XMPP_PASSWORD=alice-secret "$work/echobot" -jid "alice@$DOMAIN" -addr "$ADDR" -ca "$ca" \
  >"$work/bot.out" 2>"$work/bot.err" &
bot_pid=$!
for _ in $(seq $((ONLINE_TIMEOUT * 10))); do
  grep -q '^online as ' "$work/bot.out" && break
  kill -0 "$bot_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q '^online as ' "$work/bot.out"; then
  cat "$work/bot.err" >&2
  kill -0 "$bot_pid" 2>/dev/null || fail "the echo bot exited before coming online"
  fail "the echo bot did not come online within ${ONLINE_TIMEOUT}s"
fi
sed 's/^/bot: /' "$work/bot.out"

step "bob@$DOMAIN talks to alice@$DOMAIN"
# A message to the bare JID reaches the bot's resource: it sent available
# presence with the default priority 0.
XMPP_PASSWORD=bob-secret "$work/echoclient" -jid "bob@$DOMAIN" -addr "$ADDR" -ca "$ca" \
  -to "alice@$DOMAIN" -n 3 ||
  fail "the conversation failed"

step "stopping the echo bot (SIGTERM)"
kill -TERM "$bot_pid"
bot_status=0
wait "$bot_pid" || bot_status=$?
bot_pid=""
if [ -s "$work/bot.err" ]; then sed 's/^/bot stderr: /' "$work/bot.err" >&2; fi
[ "$bot_status" -eq 0 ] || fail "the echo bot exited with status $bot_status, want 0"
echo "exited 0"
