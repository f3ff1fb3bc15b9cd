//go:build integration

package ping_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/ping"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run package ping against the Prosody and ejabberd that
// scripts/servers started (see internal/testserver). Set
// GOSMACK_XMPP_DEBUG=1 to see every element on stderr.

// login connects one of the server's test users over STARTTLS, with
// before run on the Conn first, and closes it when the test ends.
func login(t *testing.T, s *testserver.Server, user string, before func(*xmpp.Conn)) *xmpp.Conn {
	t.Helper()
	return testserver.Login(t, s.Config(t, user), before)
}

// describe says what a ping came back with, for the log.
func describeResult(err error) string {
	var se *stanza.Error
	switch {
	case err == nil:
		return "result"
	case errors.As(err, &se):
		return "error " + string(se.Condition) + " (" + string(se.Type) + ")"
	}
	return err.Error()
}

// TestIntegrationPingServer: the server answers pings to itself, with no
// to or to its domain, and to the account's own bare JID.
func TestIntegrationPingServer(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var p *ping.Pinger
		c := login(t, s, "alice", func(c *xmpp.Conn) { p = ping.For(c) })
		defer p.Close()
		for _, to := range []jid.JID{{}, c.JID().Domain(), c.JID().Bare()} {
			rtt, err := p.Ping(testserver.Context(t), to)
			t.Logf("%s: ping %q: %s after %v", s.Name, to, describeResult(err), rtt)
			require.NoError(t, err, "ping %q", to)
			assert.Positive(t, rtt)
		}
	})
}

// TestIntegrationPingClient: bob, logged in with a Pinger, answers
// alice's ping to his full JID; his bare JID is answered by the server on
// his behalf (a result, on both servers, even for an account that does
// not exist); without a Pinger his client answers service-unavailable,
// which is still reachable; a resource that is not online gets the
// server's service-unavailable.
func TestIntegrationPingClient(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var p *ping.Pinger
		login(t, s, "alice", func(c *xmpp.Conn) { p = ping.For(c) })
		defer p.Close()
		var bp *ping.Pinger
		bob := login(t, s, "bob", func(c *xmpp.Conn) { bp = ping.For(c) })

		rtt, err := p.Ping(testserver.Context(t), bob.JID())
		t.Logf("%s: ping bob's full JID, with a Pinger: %s after %v", s.Name, describeResult(err), rtt)
		require.NoError(t, err)
		assert.Positive(t, rtt)

		rtt, err = p.Ping(testserver.Context(t), bob.JID().Bare())
		t.Logf("%s: ping bob's bare JID: %s after %v", s.Name, describeResult(err), rtt)
		assert.True(t, ping.Reachable(err), "%v", err)

		nobody, err := jid.New("nosuchuser", s.Domain, "")
		require.NoError(t, err)
		rtt, err = p.Ping(testserver.Context(t), nobody)
		t.Logf("%s: ping the bare JID of an account that does not exist: %s after %v", s.Name, describeResult(err), rtt)
		assert.True(t, ping.Reachable(err), "the server answers for it: %v", err)

		gone, err := jid.New("bob", s.Domain, "no-such-resource")
		require.NoError(t, err)
		rtt, err = p.Ping(testserver.Context(t), gone)
		t.Logf("%s: ping a resource of bob that is not online: %s after %v", s.Name, describeResult(err), rtt)
		assert.True(t, ping.Reachable(err), "the server answers for it: %v", err)

		bp.Close()
		rtt, err = p.Ping(testserver.Context(t), bob.JID())
		t.Logf("%s: ping bob's full JID, without a Pinger: %s after %v", s.Name, describeResult(err), rtt)
		require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable})
		assert.True(t, ping.Reachable(err))
		assert.Positive(t, rtt)
	})
}

// TestIntegrationPingUnknownDomain: a JID on a domain that does not exist
// is a miss. The test servers have server-to-server off, so they refuse
// to route rather than fail to find the domain: Prosody answers
// not-allowed, ejabberd forbidden, both from the pinged address.
func TestIntegrationPingUnknownDomain(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var p *ping.Pinger
		login(t, s, "alice", func(c *xmpp.Conn) { p = ping.For(c) })
		defer p.Close()
		for _, to := range []string{"nobody@no-such-domain.invalid/r", "no-such-domain.invalid"} {
			rtt, err := p.Ping(testserver.Context(t), jid.MustParse(to))
			t.Logf("%s: ping %s: %s after %v", s.Name, to, describeResult(err), rtt)
			require.Error(t, err)
			assert.False(t, ping.Reachable(err), "%v", err)
			assert.True(t, errors.Is(err, &stanza.Error{Condition: stanza.NotAllowed}) ||
				errors.Is(err, &stanza.Error{Condition: stanza.Forbidden}) ||
				errors.Is(err, &stanza.Error{Condition: stanza.RemoteServerNotFound}), "%v", err)
		}
	})
}

// TestIntegrationPeriodicPings: with an interval set, the Pinger pings
// the server, which answers each; the connection stays up and no failure
// is reported. Closing the connection disarms the timer, and no goroutine
// of the Pinger is left running.
func TestIntegrationPeriodicPings(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var p *ping.Pinger
		var f *failures
		var fourth <-chan struct{}
		c := login(t, s, "alice", func(c *xmpp.Conn) {
			// The Pinger sends a ping only after the previous one was
			// answered (or failed).
			fourth = pingsSent(c, 4)
			p = ping.For(c)
			// Long enough for a loaded server to answer: a ping that
			// waits longer is a failure, which this test asserts never
			// happens.
			p.SetInterval(250 * time.Millisecond)
			f = listen(p)
		})
		await(t, fourth, "four periodic pings")
		assert.True(t, c.IsConnected())
		assert.Empty(t, f.get())
		require.NoError(t, c.Close())
		// A real server, no bubble: the Pinger's goroutines end soon
		// after Close.
		assert.Eventually(t, func() bool { return len(pingGoroutines()) == 0 }, testserver.Timeout, time.Millisecond,
			"goroutines of package ping still run")
		// Disarmed when the dispatcher delivers StateClosed, after Close.
		assert.Eventually(t, func() bool { return !ping.Armed(p) }, testserver.Timeout, time.Millisecond)
		assert.Empty(t, f.get())
		p.Close()
	})
}
