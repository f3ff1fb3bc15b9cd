//go:build integration

package receipts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/receipts"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the Tracker between clients of accounts made for each
// test on the Prosody and ejabberd that scripts/servers started. Set
// GOSMACK_XMPP_DEBUG=1 to see every element on stderr.

// event is what a sender sees: a receipt for its message, or the
// recipient's marker.
type event struct {
	kind string // "receipt" or "marker"
	from jid.JID
}

// sender is a client whose Tracker requests receipts and reports those
// for its messages, together with the markers the recipient sends back.
type sender struct {
	c      *xmpp.Conn
	events chan event
	id     string // the message whose receipt counts
}

func newSender(t *testing.T, cfg xmpp.Config) *sender {
	t.Helper()
	snd := &sender{events: make(chan event, 8), id: testserver.Unique("content")}
	snd.c = testserver.Login(t, cfg, func(c *xmpp.Conn) {
		r := receipts.For(c)
		r.SetAutoRequest(true)
		r.OnReceipt(func(e receipts.Receipt) {
			// Receipts of other messages do not count.
			if e.ID == snd.id {
				assert.Equal(t, stanza.Chat, e.Message.Type, "the ack has the request's type")
				assert.Empty(t, e.Message.Bodies, "the ack has no body")
				snd.events <- event{"receipt", e.From}
			}
		})
		c.HandleMessage(stanza.WithID("marker-"+snd.id), func(m *stanza.Message) {
			snd.events <- event{"marker", m.From}
		})
	})
	return snd
}

// exchange sends a chat message with a body to the full JID to, whose
// client answers with a marker (see answerMarkers), and returns what the
// sender saw up to and including the marker. The server keeps the order
// of the recipient's stanzas to the sender (RFC 6120 section 10.1), so a
// receipt, sent before the marker, arrives before it: no timed wait
// decides that no receipt came.
func (snd *sender) exchange(t *testing.T, name string, to jid.JID) []event {
	t.Helper()
	msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Did you get this?"}}}
	msg.To, msg.ID = to, snd.id
	require.NoError(t, snd.c.Send(testserver.Context(t), msg))
	require.Len(t, msg.Extensions, 1, "the Tracker added a request")
	ctx := testserver.Context(t)
	var seen []event
	for len(seen) == 0 || seen[len(seen)-1].kind != "marker" {
		select {
		case e := <-snd.events:
			seen = append(seen, e)
		case <-ctx.Done():
			t.Fatalf("%s: the sender saw %v, and no marker", name, seen)
		}
	}
	return seen
}

// answerMarkers makes c answer each message whose id starts with
// "content-" with a message of id "marker-" + that id. Registered after
// the Tracker, it runs after the Tracker has answered (or not) the same
// message, and its answer goes out after the receipt.
func answerMarkers(t *testing.T, c *xmpp.Conn) {
	c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
		if !strings.HasPrefix(m.ID, "content-") {
			return
		}
		assert.True(t, stanza.HasExtension(receipts.Request{}.ExtensionName())(m), "the message requests a receipt")
		marker := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "marker"}}}
		marker.To, marker.ID = m.From, "marker-"+m.ID
		assert.NoError(t, c.Send(testserver.Context(t), marker))
	})
}

// TestIntegrationReceipt: each mode, without a roster, between two new
// accounts that have no subscription: Always answers, Never does not, and
// the default, IfSubscribed, does not either, since without a Roster
// attached nobody is known to see the account's presence.
func TestIntegrationReceipt(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		for _, tc := range []struct {
			name    string
			set     func(*receipts.Tracker)
			answers bool
		}{
			{"always", func(r *receipts.Tracker) { r.SetMode(receipts.Always) }, true},
			{"never", func(r *receipts.Tracker) { r.SetMode(receipts.Never) }, false},
			{"default, no roster", func(*receipts.Tracker) {}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				snd := newSender(t, s.NewAccount(t, "receipts"))
				rcv := testserver.Login(t, s.NewAccount(t, "receipts"), func(c *xmpp.Conn) {
					tc.set(receipts.For(c))
					answerMarkers(t, c)
				})
				want := []event{{"marker", rcv.JID()}}
				if tc.answers {
					want = []event{{"receipt", rcv.JID()}, {"marker", rcv.JID()}}
				}
				assert.Equal(t, want, snd.exchange(t, s.Name, rcv.JID()))
			})
		}
	})
}

// TestIntegrationReceiptSubscribed: the default between contacts. Two new
// accounts subscribe to each other's presence; the recipient logs in with
// the roster and the Tracker attached, both left at their defaults. The
// contact's request gets a receipt naming its message; a stranger's (a
// third new account, no subscription) gets none, which the marker the
// recipient sends after shows without a timed wait.
func TestIntegrationReceiptSubscribed(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfgA, cfgB := s.NewAccount(t, "receipts"), s.NewAccount(t, "receipts")
		testserver.SubscribeMutually(t, cfgA, cfgB)

		rcv := testserver.Login(t, cfgB, func(c *xmpp.Conn) {
			attachRoster(c)
			receipts.For(c)
			answerMarkers(t, c)
		})
		// The Roster fetches at login, on its own goroutine; a request
		// that came before it is loaded would find no subscription.
		r := xmpp.Attached[roster.Roster](rcv)
		require.NotNil(t, r)
		require.Eventually(t, func() bool {
			e, ok := r.Entry(cfgA.JID)
			return ok && e.Subscription == roster.SubscriptionBoth
		}, testserver.Timeout, 10*time.Millisecond, "%s: the recipient's roster has the contact", s.Name)

		contact := newSender(t, cfgA)
		assert.Equal(t, []event{{"receipt", rcv.JID()}, {"marker", rcv.JID()}},
			contact.exchange(t, s.Name, rcv.JID()), "%s: the contact gets a receipt", s.Name)

		stranger := newSender(t, s.NewAccount(t, "receipts"))
		assert.Equal(t, []event{{"marker", rcv.JID()}},
			stranger.exchange(t, s.Name, rcv.JID()), "%s: the stranger gets none", s.Name)
	})
}
