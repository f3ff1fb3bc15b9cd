package xmpp_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/require"
)

// fixtureRand is the random source of the recorded fixtures: a client
// reading the same bytes makes the same SCRAM nonce and stanza ids, so a
// recorded session replays exactly.
func fixtureRand() io.Reader { return rand.NewChaCha8([32]byte{'g', 'o', 's', 'm', 'a', 'c', 'k'}) }

// fixtureConfig is the configuration the fixtures were recorded with.
func fixtureConfig(mechanism string) xmpp.Config {
	return xmpp.Config{
		JID:        jid.MustParse("alice@localhost"),
		Password:   "alice-secret",
		Mechanisms: []string{mechanism},
		Rand:       fixtureRand(),
		// The fixtures record negotiation. Stream management's acks
		// answer the server from their own goroutine, so their place in
		// a recording depends on timing; its transcripts are written by
		// hand (sm_test.go).
		StreamManagement: xmpp.StreamManagement{Disabled: true},
		Reconnect:        xmpp.Reconnect{Disabled: true},
	}
}

// runFixtureSession is what each fixture holds: log in, ping the server,
// close.
func runFixtureSession(t *testing.T, cfg xmpp.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := xmpp.Dial(ctx, cfg)
	require.NoError(t, err)
	require.Equal(t, "alice@localhost", c.JID().Bare().String())
	_, err = c.SendIQ(ctx, ping(cfg.JID.Domain()))
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func ping(to jid.JID) *stanza.IQ {
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
	iq.To = to
	return iq
}

// replayFixture runs the fixture session against a scripted server
// playing tr, over STARTTLS with a throw-away certificate.
func replayFixture(t *testing.T, tr *xmpptest.Transcript, mechanism string) {
	t.Helper()
	srv, cli := xmpptest.TLSConfigs(t, "localhost")
	cli.MinVersion = tls.VersionTLS13
	cfg := fixtureConfig(mechanism)
	cfg.Addr, cfg.TLS = "replay.invalid:5222", cli
	cfg.Dialer = conns(xmpptest.ScriptTLS(t, tr, srv))
	runFixtureSession(t, cfg)
}

// conns is a Dialer that hands out the given connections in order, and
// fails when they are used up.
func conns(cs ...net.Conn) *connDialer { return &connDialer{conns: cs} }

type connDialer struct {
	mu    sync.Mutex
	conns []net.Conn
	addrs []string // what was dialed, in order
}

func (d *connDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, addr)
	if len(d.conns) == 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: io.ErrUnexpectedEOF}
	}
	c := d.conns[0]
	d.conns = d.conns[1:]
	return c, nil
}
