# shellcheck shell=bash
# Shared by prosody.sh and ejabberd.sh: the run directory, package install,
# the throw-away CA, the test accounts and the description file that tests
# read. Sourced, never run.

set -euo pipefail

# GOSMACK_RUN is where every server keeps its config, data, logs, PID and
# certificates. internal/testserver reads the same variable with the same
# default, so tests find what these scripts started.
GOSMACK_RUN=${GOSMACK_RUN:-${TMPDIR:-/tmp}/gosmack}

# The XMPP domain both servers host, and their MUC service.
XMPP_DOMAIN=localhost
MUC_DOMAIN=conference.localhost

# Test accounts registered at start: name and password. Tests read them from
# server.json; they are the same on both servers.
TEST_USERS=(
  "admin:admin-secret"
  "alice:alice-secret"
  "bob:bob-secret"
  "carol:carol-secret"
  "dave:dave-secret"
)

log() { printf '%s: %s\n' "$SERVER" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# installed reports whether a Debian package is installed.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# ensure_packages installs the Debian packages that are missing. The
# services they would start are held back by a policy-rc.d for the length
# of the install: our servers run only from our own config.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do installed "$pkg" || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "${missing[*]} not installed, and installing needs root (apt-get install -y ${missing[*]})"
  log "installing Debian packages: ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d placed="" logf="$GOSMACK_RUN/apt-$SERVER.log"
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && placed=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have no package lists yet: update once and retry.
  if ! apt-get install -y -q "${missing[@]}" >"$logf" 2>&1; then
    apt-get update -q >>"$logf" 2>&1 || true
    if ! apt-get install -y -q "${missing[@]}" >>"$logf" 2>&1; then
      [ -n "$placed" ] && rm -f "$policy"
      tail -20 "$logf" >&2
      die "apt-get install ${missing[*]} failed"
    fi
  fi
  [ -n "$placed" ] && rm -f "$policy"
  for pkg in "${missing[@]}"; do installed "$pkg" || die "$pkg did not install"; done
}

# make_pki writes a fresh CA and a leaf certificate for the XMPP domain and
# the MUC domain (and the loopback addresses) into $1.
make_pki() {
  local dir=$1
  mkdir -p "$dir"
  (
    cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout ca.key -out ca.pem -days 30 -subj "/CN=gosmack throw-away test CA ($SERVER)" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout server.key -out server.csr -subj "/CN=$XMPP_DOMAIN" 2>/dev/null
    printf '%s\n' \
      "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=DNS:$XMPP_DOMAIN,DNS:$MUC_DOMAIN,DNS:pubsub.$XMPP_DOMAIN,IP:127.0.0.1,IP:::1" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out server.pem -days 30 -extfile server.ext 2>/dev/null
    cat server.pem server.key >server-combined.pem
    chmod 600 ca.key server.key server-combined.pem
  )
}

# wait_port waits until something accepts TCP connections on host:port.
wait_port() {
  local host=$1 port=$2 tries=${3:-100}
  for _ in $(seq "$tries"); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# pid_alive reports whether the PID in file $1 is a running process.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid sends SIGTERM to the PID in file $1 and waits for it to go,
# then SIGKILL if it would not. Only that PID is signalled.
stop_pid() {
  local pidfile=$1 pid
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "PID $pid ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# write_description writes server.json, the file internal/testserver reads.
# Arguments: run dir, STARTTLS port, direct TLS port, HTTP port, HTTPS port,
# WebSocket path, and optionally more JSON members ending in a comma. The
# BOSH path is the server's: ejabberd's /bosh, Prosody's /http-bind.
write_description() {
  local dir=$1 starttls=$2 directtls=$3 http=$4 https=$5 wspath=$6 extra=${7:-} users="" u boshpath=/http-bind
  [ "$SERVER" = ejabberd ] && boshpath=/bosh
  for u in "${TEST_USERS[@]}"; do
    users+="${users:+,}"$'\n    '"{\"name\": \"${u%%:*}\", \"password\": \"${u#*:}\"}"
  done
  cat >"$dir/server.json" <<JSON
{
  "name": "$SERVER",
  "domain": "$XMPP_DOMAIN",
  "muc_domain": "$MUC_DOMAIN",
  "starttls_addr": "127.0.0.1:$starttls",
  "directtls_addr": "127.0.0.1:$directtls",
  "starttls_addr6": "[::1]:$starttls",
  "websocket_url": "ws://127.0.0.1:$http$wspath",
  "websocket_tls_url": "wss://$XMPP_DOMAIN:$https$wspath",
  "bosh_url": "http://127.0.0.1:$http$boshpath",
  "bosh_tls_url": "https://$XMPP_DOMAIN:$https$boshpath",
  "ca_file": "$dir/pki/ca.pem",$extra
  "users": [$users
  ]
}
JSON
}

# server_stop stops the server whose PID is in $PIDFILE, if it runs.
server_stop() {
  if pid_alive "$PIDFILE"; then
    stop_pid "$PIDFILE"
    log "stopped"
  fi
}

server_status() {
  if pid_alive "$PIDFILE"; then log "running, PID $(cat "$PIDFILE"), run dir $DIR"; else log "not running"; return 3; fi
}

# main dispatches start|stop|restart|status. The server script sets DIR
# and PIDFILE and defines server_start.
main() {
  case "${1:-}" in
    start) mkdir -p "$GOSMACK_RUN"; server_stop; server_start ;;
    stop) server_stop ;;
    restart) server_stop; server_start ;;
    status) server_status ;;
    *) echo "usage: $0 start|stop|restart|status   (run dir: $GOSMACK_RUN/$SERVER)" >&2; exit 2 ;;
  esac
}
