//go:build integration

package pep_test

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/nick"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationContacts: two accounts subscribed to each other's
// presence, each listening to a test node, see each other's +notify
// feature in their caps, and each one's publish reaches the other as a
// notification from the publisher's bare JID; the publisher hears its
// own too.
func TestIntegrationContacts(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfgA, cfgB := s.NewAccount(t, "pep"), s.NewAccount(t, "pep")
		testserver.SubscribeMutually(t, cfgA, cfgB)
		node := testserver.Unique("urn:example:gosmack:pep")
		listen := func(cfg xmpp.Config) (*xmpp.Conn, <-chan pubsub.Event) {
			ch := make(chan pubsub.Event, 16)
			c := testserver.Login(t, cfg, func(c *xmpp.Conn) {
				pep.For(c).OnEvent(node, func(e pubsub.Event) { ch <- e })
			})
			return c, ch
		}
		ca, eventsA := listen(cfgA)
		cb, eventsB := listen(cfgB)

		// Each sees the other's interest in the other's caps.
		for _, x := range []struct{ c, other *xmpp.Conn }{{ca, cb}, {cb, ca}} {
			require.Eventually(t, func() bool {
				ok, _ := caps.For(x.c).Supports(x.other.JID(), node+pep.NotifySuffix)
				return ok
			}, testserver.Timeout, 20*time.Millisecond, "%s: %s sees %s's +notify", s.Name, x.c.JID(), x.other.JID())
		}

		publish := func(c *xmpp.Conn, value string) {
			payload := &stanza.Node{Name: xml.Name{Space: "urn:example:gosmack", Local: "value"}, Nodes: []stanza.Node{{Text: value}}}
			_, err := pep.For(c).Publish(testserver.Context(t), node, pubsub.Item{ID: "current", Payload: payload}, pubsub.PublishOptions{})
			require.NoError(t, err)
		}
		// await waits for the notification of value from the account
		// from; earlier ones (a server may send the last item again,
		// ejabberd does when a contact's presence arrives) are skipped.
		await := func(ch <-chan pubsub.Event, from jid.JID, value string) {
			t.Helper()
			var seen []string
			for {
				select {
				case e := <-ch:
					require.Equal(t, node, e.Node)
					v := ""
					if len(e.Items) == 1 && e.Items[0].Payload != nil {
						v = e.Items[0].Payload.InnerText()
					}
					if e.Service == from && v == value {
						return
					}
					seen = append(seen, e.Service.String()+": "+v)
				case <-time.After(testserver.Timeout):
					t.Fatalf("%s: no notification of %q from %s; saw %q", s.Name, value, from, seen)
				}
			}
		}
		publish(ca, "from a")
		await(eventsB, cfgA.JID.Bare(), "from a")
		await(eventsA, cfgA.JID.Bare(), "from a")
		publish(cb, "from b")
		await(eventsA, cfgB.JID.Bare(), "from b")
		await(eventsB, cfgB.JID.Bare(), "from b")
		assert.Contains(t, pep.For(ca).Interests(), node)
	})
}

// TestIntegrationNick: two accounts subscribed to each other's presence
// hear each other's nickname change through PEP, with the nick +notify
// feature in their caps, and read it back with Get.
func TestIntegrationNick(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfgA, cfgB := s.NewAccount(t, "nick"), s.NewAccount(t, "nick")
		testserver.SubscribeMutually(t, cfgA, cfgB)
		listen := func(cfg xmpp.Config) (*xmpp.Conn, <-chan nick.Nick) {
			ch := make(chan nick.Nick, 16)
			c := testserver.Login(t, cfg, func(c *xmpp.Conn) {
				nick.For(c).OnNick(func(n nick.Nick) { ch <- n })
			})
			return c, ch
		}
		ca, _ := listen(cfgA)
		cb, nicksB := listen(cfgB)
		require.Eventually(t, func() bool {
			ok, _ := caps.For(ca).Supports(cb.JID(), nick.NS+pep.NotifySuffix)
			return ok
		}, testserver.Timeout, 20*time.Millisecond, "%s: a sees b's interest in nicknames", s.Name)

		for _, name := range []string{"Alice", "Alicia"} {
			require.NoError(t, nick.For(ca).Publish(testserver.Context(t), name))
			for got := false; !got; {
				select {
				case n := <-nicksB:
					got = n.JID == cfgA.JID.Bare() && n.Name == name
				case <-time.After(testserver.Timeout):
					t.Fatalf("%s: b did not hear a's nickname %q", s.Name, name)
				}
			}
		}
		got, err := nick.For(cb).Get(testserver.Context(t), cfgA.JID)
		require.NoError(t, err)
		assert.Equal(t, "Alicia", got)
	})
}
