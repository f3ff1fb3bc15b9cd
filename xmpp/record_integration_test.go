//go:build integration

package xmpp_test

import (
	"bytes"
	"crypto/tls"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the recorded fixtures in testdata/ from the live servers")

// recordings are the live sessions recorded into testdata/ and replayed
// by the unit tests (replay_test.go). Each is recorded again on every run
// and replayed at once: recording and replaying are one format.
var recordings = []struct {
	server, mechanism, file string
}{
	{"prosody", "SCRAM-SHA-256", "prosody-scram-sha-256.xmpp"},
	{"prosody", "SCRAM-SHA-1", "prosody-scram-sha-1.xmpp"},
	{"prosody", "PLAIN", "prosody-plain.xmpp"},
	{"ejabberd", "SCRAM-SHA-512", "ejabberd-scram-sha-512.xmpp"},
}

// TestIntegrationRecordAndReplay logs in to the live server with the
// recorder on, pings the server and closes; then replays the recording
// under xmpptest against a new client with the same random source, which
// must send exactly what the first one did.
func TestIntegrationRecordAndReplay(t *testing.T) {
	for _, r := range recordings {
		t.Run(r.server+"/"+r.mechanism, func(t *testing.T) {
			s := testserver.Get(t, r.server)
			var rec bytes.Buffer
			tc := s.TLSConfig()
			tc.MinVersion = tls.VersionTLS13
			cfg := fixtureConfig(r.mechanism)
			cfg.Addr, cfg.TLS, cfg.Recorder = s.StartTLSAddr, tc, &rec
			runFixtureSession(t, cfg)

			text := "# Recorded live from " + r.server + " by TestIntegrationRecordAndReplay (go test -tags integration -run RecordAndReplay -update ./xmpp/).\n" +
				"# The client's random source is fixtureRand: replaying with it reproduces every nonce and id.\n" + rec.String()
			tr, err := xmpptest.ParseTranscript(r.file, strings.NewReader(text))
			require.NoError(t, err)
			replayFixture(t, tr, r.mechanism)
			if *update {
				require.NoError(t, os.WriteFile(filepath.Join("testdata", r.file), []byte(text), 0o644))
			}
		})
	}
}
