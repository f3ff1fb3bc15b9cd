//go:build integration

package roster_test

import (
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventually waits for f, up to testserver.Timeout.
func eventually(t *testing.T, f func() bool, msg string, args ...any) {
	t.Helper()
	require.Eventually(t, f, testserver.Timeout, 10*time.Millisecond, append([]any{msg}, args...)...)
}

func subscription(r *roster.Roster, j jid.JID) roster.Subscription {
	e, ok := r.Entry(j)
	if !ok {
		return ""
	}
	return e.Subscription
}

// TestIntegrationSubscriptions: alice (AcceptAll) and bob (Manual, he
// approves with Approve) subscribe to each other, and each roster shows
// the other with subscription both. Then bob follows alice's presence per
// resource: a second resource with a higher priority becomes her best
// presence, a lower one gives it back, and it going offline leaves one.
func TestIntegrationSubscriptions(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfgA, cfgB := s.NewAccount(t, "roster"), s.NewAccount(t, "roster")
		alice, bob := cfgA.JID.Bare(), cfgB.JID.Bare()
		cA, rA, _ := login(t, cfgA, func(r *roster.Roster) { r.SetSubscriptionMode(roster.AcceptAll) })
		_, rB, _ := login(t, cfgB) // Manual, the default
		requests := make(chan *stanza.Presence, 10)
		rB.OnSubscriptionRequest(func(req roster.SubscriptionRequest) { requests <- req.Presence })
		bobSaw := listenPresence(rB)

		// alice asks; bob's listener hears it; bob approves later.
		require.NoError(t, rA.Subscribe(testserver.Context(t), bob))
		var p *stanza.Presence
		select {
		case p = <-requests:
		case <-time.After(testserver.Timeout):
			t.Fatal("bob heard no request")
		}
		assert.Equal(t, alice, p.From.Bare())
		eventually(t, func() bool { e, _ := rA.Entry(bob); return e.SubscriptionPending() }, "alice's request is pending")
		require.NoError(t, rB.Approve(testserver.Context(t), p.From))
		eventually(t, func() bool { return subscription(rA, bob) == roster.SubscriptionTo }, "alice subscribed to bob")
		eventually(t, func() bool { return subscription(rB, alice) == roster.SubscriptionFrom }, "bob's presence goes to alice")

		// bob asks back; alice's AcceptAll approves it.
		require.NoError(t, rB.Subscribe(testserver.Context(t), alice))
		eventually(t, func() bool { return subscription(rA, bob) == roster.SubscriptionBoth }, "alice: both, is %q", subscription(rA, bob))
		eventually(t, func() bool { return subscription(rB, alice) == roster.SubscriptionBoth }, "bob: both, is %q", subscription(rB, alice))
		assert.Empty(t, requests, "one request only")
		eB, _ := rB.Entry(alice)
		assert.False(t, eB.SubscriptionPending())

		// Each sees the other's (initial) presence.
		eventually(t, func() bool { return rB.Presence(alice).From == cA.JID() }, "bob sees alice: %s", describe(rB.Presence(alice)))
		eventually(t, func() bool { return rA.Presence(bob).Type == stanza.Available }, "alice sees bob")

		// A second resource of alice's with a higher priority is her
		// best presence.
		cfgA2 := cfgA
		cfgA2.Resource = "second"
		cA2, rA2, _ := login(t, cfgA2)
		assert.Equal(t, roster.SubscriptionBoth, subscription(rA2, bob))
		high := &stanza.Presence{Show: stanza.ShowAway, Priority: 10, Statuses: []stanza.Text{{Value: "upstairs"}}}
		require.NoError(t, cA2.Send(testserver.Context(t), high))
		eventually(t, func() bool { return rB.Presence(alice).From == cA2.JID() && rB.Presence(alice).Priority == 10 },
			"priority 10 wins: %s", describe(rB.Presence(alice)))
		assert.Len(t, rB.Presences(alice), 2)
		assert.Equal(t, "upstairs", rB.Presence(alice).Status(""))
		assert.Equal(t, cA.JID(), rB.Presences(alice)[1].From)

		low := &stanza.Presence{Show: stanza.ShowChat, Priority: -1}
		require.NoError(t, cA2.Send(testserver.Context(t), low))
		eventually(t, func() bool { return rB.Presence(alice).From == cA.JID() },
			"priority 0 beats -1 even with a better show: %s", describe(rB.Presence(alice)))
		eventually(t, func() bool { return rB.PresenceOf(cA2.JID()).Show == stanza.ShowChat }, "the second resource, tracked on its own")
		last, ok := cA2.LastPresence()
		require.True(t, ok)
		assert.Equal(t, int8(-1), last.Priority)

		// alice's first resource sees her second (the account's own
		// resources are tracked).
		eventually(t, func() bool { return rA.PresenceOf(cA2.JID()).Type == stanza.Available },
			"alice/1 sees alice/second: %s", describe(rA.PresenceOf(cA2.JID())))

		a2 := cA2.JID() // the Conn forgets it when closed
		cA2.Close()
		eventually(t, func() bool { return len(rB.Presences(alice)) == 1 && rB.Presence(alice).From == cA.JID() },
			"one resource left: %v", describeAll(rB.Presences(alice)))
		assert.Equal(t, stanza.Unavailable, rB.PresenceOf(a2).Type)

		// bob heard each change, per resource.
		var heard []string
		for len(bobSaw.ch) > 0 {
			heard = append(heard, <-bobSaw.ch)
		}
		assert.Contains(t, heard, a2.String()+` available away 10 "upstairs"`)
		assert.Contains(t, heard, a2.String()+" available chat -1")
		assert.Contains(t, heard, a2.String()+" unavailable")
		t.Logf("%s: bob heard %q", s.Name, heard)
	})
}
