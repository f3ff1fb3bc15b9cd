#!/usr/bin/env bash
# make test: everything CI checks, in the order a failure is cheapest to see.
#   1. gofmt, go vet (with and without the integration tag)
#   2. unit tests: go test -race ./...   (no network), then -cpu=1,4
#   3. Prosody, ejabberd and a second Prosody with SASL2 on loopback,
#      started by scripts/servers
#   4. integration tests: go test -race -tags integration ./...
#   5. both servers stopped, whatever happened
# It installs what it needs (the Debian packages, as root) and leaves nothing
# running.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

step() { printf '\n==> %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" $unformatted
  exit 1
fi
echo "ok"

step "go vet"
go vet ./...
go vet -tags integration ./...
GOARCH=386 go vet ./... # int is 32 bits there: constants must fit
echo "ok"

# Integration tests are named TestIntegration... so that step 4 can run them
# alone; a test in an integration file under another name would never run.
misnamed=$(grep -n '^func Test' $(git ls-files '*_integration_test.go' 2>/dev/null) /dev/null | grep -v '^[^:]*:[0-9]*:func TestIntegration' || true)
if [ -n "$misnamed" ]; then
  echo "integration tests must be named TestIntegration...:"
  echo "$misnamed"
  exit 1
fi

step "unit tests (go test -race ./...)"
go test -race ./...

# Without -race the scheduler interleaves differently: a test that passes
# only on some numbers of CPUs fails here.
step "unit tests on one and four CPUs (go test -cpu=1,4 ./...)"
go test -count=1 -cpu=1,4 ./...

step "starting servers"
stop_servers() {
  step "stopping servers"
  scripts/servers/prosody.sh stop || true
  scripts/servers/prosody-sasl2.sh stop || true
  scripts/servers/ejabberd.sh stop || true
}
trap stop_servers EXIT
scripts/servers/prosody.sh start >/dev/null
scripts/servers/prosody-sasl2.sh start >/dev/null
scripts/servers/ejabberd.sh start >/dev/null

step "integration tests (go test -race -tags integration ./...)"
go test -race -tags integration -count=1 -timeout 14m -run '^TestIntegration' -v ./... 2>&1 |
  grep -v -E '^(\?|=== RUN|=== PAUSE|=== CONT)' 
