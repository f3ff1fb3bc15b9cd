# The commands of the README. Everything else lives in scripts/.
.PHONY: test demo fuzz

# test: gofmt, go vet, unit tests under the race detector, then Prosody and
# ejabberd on loopback and the integration tests against both. The servers
# are stopped whatever happened.
test:
	@scripts/test.sh

# demo: an echo bot on a local Prosody, and a short conversation with it.
demo:
	@scripts/demo.sh

# fuzz: every fuzz target of the module, one after the other, each for
# FUZZTIME (default 1m) with FUZZPARALLEL workers (default 1); not part of
# test. A failing input stays under the package's testdata/fuzz/.
#   make fuzz FUZZTIME=30s FUZZPARALLEL=2
fuzz:
	@scripts/fuzz.sh
