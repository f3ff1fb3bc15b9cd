//go:build integration

package receipts_test

import (
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/receipts"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the Manager between two clients on the Prosody and
// ejabberd that scripts/servers started. Set GOSMACK_XMPP_DEBUG=1 to see
// every element on stderr.

// unique returns a name no earlier run used.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%08x", prefix, time.Now().UnixNano(), mathrand.Uint32())
}

// login logs user in over STARTTLS, after attach has registered what must
// be in place before the first stanza, and closes the connection when the
// test ends.
func login(t *testing.T, s *testserver.Server, user string, attach func(*xmpp.Conn)) *xmpp.Conn {
	t.Helper()
	return testserver.Login(t, s.Config(t, user), attach)
}

// event is what alice sees: a receipt for her message, or bob's marker.
type event struct {
	kind string // "receipt" or "marker"
	from jid.JID
}

// TestIntegrationReceipt: alice, whose Manager requests receipts, sends
// bob a chat message with a body at his full JID; bob's Manager answers
// as its mode says; then bob sends alice a marker message. The server
// keeps the order of bob's stanzas (RFC 6120 section 10.1), so alice sees
// bob's receipt before the marker when he answers, and the marker alone
// when he does not: no timed wait decides that nothing came.
func TestIntegrationReceipt(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		for _, tc := range []struct {
			name    string
			opts    []receipts.Option
			answers bool
		}{
			{"always", []receipts.Option{receipts.Answer(receipts.Always)}, true},
			{"never", []receipts.Option{receipts.Answer(receipts.Never)}, false},
			{"if subscribed, alice is", []receipts.Option{receipts.IsSubscribed(func(from jid.JID) bool {
				return from.Localpart() == "alice"
			})}, true},
			{"if subscribed, nobody", nil, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, markerID := unique("content"), unique("marker")
				events := make(chan event, 8)
				alice := login(t, s, "alice", func(c *xmpp.Conn) {
					r := receipts.New(c, receipts.AutoRequest(true))
					r.OnReceipt(func(from jid.JID, got string, m *stanza.Message) {
						// Receipts of earlier runs that the server kept
						// offline carry other ids.
						if got == id {
							assert.Equal(t, stanza.Chat, m.Type, "the ack has the request's type")
							assert.Empty(t, m.Bodies, "the ack has no body")
							events <- event{"receipt", from}
						}
					})
					c.HandleMessage(stanza.WithID(markerID), func(m *stanza.Message) {
						events <- event{"marker", m.From}
					})
				})
				requested := make(chan bool, 1)
				bob := login(t, s, "bob", func(c *xmpp.Conn) {
					receipts.New(c, tc.opts...)
					// Registered after the Manager: runs after it has
					// answered (or not) the same message.
					c.HandleMessage(stanza.WithID(id), func(m *stanza.Message) {
						requested <- stanza.HasExtension(receipts.Request{}.ExtensionName())(m)
						marker := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "marker"}}}
						marker.To, marker.ID = m.From, markerID
						assert.NoError(t, c.Send(testserver.Context(t), marker))
					})
				})

				msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Did you get this?"}}}
				msg.To, msg.ID = bob.JID(), id
				require.NoError(t, alice.Send(testserver.Context(t), msg))
				require.Len(t, msg.Extensions, 1, "the Manager added a request")

				ctx := testserver.Context(t)
				select {
				case ok := <-requested:
					require.True(t, ok, "bob got the message with its request")
				case <-ctx.Done():
					t.Fatalf("%s: bob did not get the message", s.Name)
				}
				var seen []event
				for len(seen) == 0 || seen[len(seen)-1].kind != "marker" {
					select {
					case e := <-events:
						seen = append(seen, e)
					case <-ctx.Done():
						t.Fatalf("%s: alice saw %v, and no marker", s.Name, seen)
					}
				}
				want := []event{{"marker", bob.JID()}}
				if tc.answers {
					want = []event{{"receipt", bob.JID()}, {"marker", bob.JID()}}
				}
				assert.Equal(t, want, seen)
			})
		}
	})
}
