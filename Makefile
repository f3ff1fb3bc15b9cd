# The two commands of the README. Everything else lives in scripts/.
.PHONY: test demo

# test: gofmt, go vet, unit tests under the race detector, then Prosody and
# ejabberd on loopback and the integration tests against both. The servers
# are stopped whatever happened.
test:
	@scripts/test.sh

# demo: the main job; real once the connection issue lands.
demo:
	@scripts/demo.sh
