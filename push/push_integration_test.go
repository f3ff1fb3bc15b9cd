//go:build integration

package push_test

import (
	"context"
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/push"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationPush: an account enables pushes to a node of an "app
// server", here another account's client answering pubsub publishes,
// and goes offline; a message sent to it then reaches the app server as
// a notification to that node with the secret it was enabled with. The
// Prosody with the community modules (mod_cloud_notify) and ejabberd
// (mod_push) take part; the classic Prosody has no push.
func TestIntegrationPush(t *testing.T) {
	for _, name := range []string{testserver.SASL2Name, "ejabberd"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := testserver.Get(t, name)
			user, app, sender := s.NewAccount(t, "push"), s.NewAccount(t, "pushapp"), s.NewAccount(t, "pushfrom")
			node, secret := testserver.Unique("node"), testserver.Unique("secret")

			type received struct {
				from jid.JID
				n    push.Notification
			}
			got := make(chan received, 4)
			appConn := testserver.Login(t, app, func(c *xmpp.Conn) {
				c.HandleIQ(stanza.Set, xml.Name{Space: "http://jabber.org/protocol/pubsub", Local: "pubsub"},
					xmpp.IQHandlerFunc(func(_ context.Context, iq *stanza.IQ) (*stanza.Node, error) {
						n, err := push.ParseNotification(iq.Payload)
						if err == nil {
							select {
							case got <- received{iq.From, n}:
							default: // the test reads one: never block the dispatcher
							}
						}
						return nil, err
					}))
			})

			u := testserver.Login(t, user, nil)
			p := push.For(u)
			ok, err := p.Supported(testserver.Context(t))
			require.NoError(t, err)
			require.True(t, ok, "%s: the account offers push", name)
			require.NoError(t, p.Enable(testserver.Context(t), appConn.JID(), node, dataform.Field{Var: "secret", Values: []string{secret}}))
			u.Close()

			from := testserver.Login(t, sender, nil)
			m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "wake up"}}}
			m.To = user.JID.Bare()
			require.NoError(t, from.Send(testserver.Context(t), m))

			select {
			case r := <-got:
				n := r.n
				// The user's server speaks for the account: Prosody
				// sends from its domain, ejabberd from the account.
				assert.Contains(t, []jid.JID{user.JID.Bare(), user.JID.Domain()}, r.from, "%s: who sent the push", name)
				assert.Equal(t, node, n.Node)
				require.NotNil(t, n.Options, "%s: the secret comes back", name)
				assert.Equal(t, secret, n.Options.Value("secret"))
				t.Logf("%s: from %s, notification count %d, sender %q, body %q", name, r.from, n.MessageCount, n.LastSender, n.LastBody)
			case <-testserver.Context(t).Done():
				t.Fatalf("%s: no notification reached the app server", name)
			}

			u = testserver.Login(t, user, nil)
			require.NoError(t, push.For(u).Disable(testserver.Context(t), appConn.JID(), ""))
		})
	}
}
