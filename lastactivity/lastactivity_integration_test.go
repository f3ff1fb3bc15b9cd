//go:build integration

package lastactivity_test

import (
	"testing"
	"time"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/lastactivity"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationLastActivity: the server tells its uptime; another
// account's client answers service-unavailable until it is given a last
// activity, then the seconds since (Prosody hands it the request,
// ejabberd answers for it); at its bare JID, the server refuses an
// account that is not subscribed to its presence.
func TestIntegrationLastActivity(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var bl *lastactivity.Manager
		bob := testserver.Login(t, s.NewAccount(t, "last"), func(c *xmpp.Conn) {
			disco.For(c)
			bl = lastactivity.For(c)
		})
		alice := testserver.Login(t, s.NewAccount(t, "last"), nil)
		la := lastactivity.For(alice)
		ctx := testserver.Context(t)

		up, err := la.Query(ctx, jid.JID{})
		require.NoError(t, err, s.Name)
		t.Logf("%s: up for %v", s.Name, up.Idle)
		assert.Positive(t, up.Idle+time.Second, s.Name)

		_, err = la.Query(ctx, bob.JID())
		assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable}, s.Name)
		bl.SetLastActive(time.Now().Add(-90 * time.Second))
		a, err := la.Query(ctx, bob.JID())
		if s.Name == "ejabberd" {
			// ejabberd 23.01 answers a last activity request to a
			// full JID itself, service-unavailable, and never hands
			// it to the client (the same from the account's own
			// other resource).
			assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable}, s.Name)
		} else {
			require.NoError(t, err, s.Name)
			assert.InDelta(t, 90, a.Idle.Seconds(), 15, s.Name)
		}

		// At the bare JID the server answers, and only to those
		// subscribed to the account's presence: Prosody says
		// forbidden, as XEP-0012 does, ejabberd subscription-required.
		_, err = la.Query(ctx, bob.JID().Bare())
		refusal := map[string]stanza.Condition{"prosody": stanza.Forbidden, "ejabberd": stanza.SubscriptionRequired}[s.Name]
		assert.ErrorIs(t, err, &stanza.Error{Condition: refusal}, s.Name)

		ok, err := disco.For(alice).Supports(ctx, bob.JID(), lastactivity.NS)
		require.NoError(t, err)
		assert.True(t, ok, "%s: announced", s.Name)
	})
}
