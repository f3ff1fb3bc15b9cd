//go:build integration

package sid_test

import (
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// account registers a new account on s and returns the configuration
// that logs it in.
func account(t *testing.T, s *testserver.Server) xmpp.Config {
	t.Helper()
	name := fmt.Sprintf("sid-%d-%08x", time.Now().UnixNano(), mathrand.Uint32())
	j, err := jid.New(name, s.Domain, "")
	require.NoError(t, err)
	cfg := xmpp.Config{JID: j, Password: name + "-secret", Addr: s.StartTLSAddr, TLS: s.TLSConfig()}
	require.NoError(t, xmpp.CreateAccount(testserver.Context(t), cfg, nil), "%s: registering %s", s.Name, j)
	return cfg
}

// TestIntegrationStanzaIDs: a message sent with the Manager attached
// carries an origin-id equal to its id, which reaches the recipient as
// sent; the recipient's server stamps a stanza-id by the recipient's bare
// JID and announces urn:xmpp:sid:0, so Trusted believes it.
func TestIntegrationStanzaIDs(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		got := make(chan *stanza.Message, 1)
		var rs *sid.Manager
		rcv := testserver.Login(t, account(t, s), func(c *xmpp.Conn) {
			rs = sid.For(c)
			c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) { got <- m })
		})
		snd := testserver.Login(t, account(t, s), func(c *xmpp.Conn) { sid.For(c) })

		m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "stable"}}}
		m.To = rcv.JID()
		require.NoError(t, snd.Send(testserver.Context(t), m))
		var in *stanza.Message
		select {
		case in = <-got:
		case <-testserver.Context(t).Done():
			t.Fatalf("%s: no message", s.Name)
		}
		origin, ok := sid.OriginID(in)
		assert.True(t, ok, "%s: the origin-id arrives", s.Name)
		assert.Equal(t, m.ID, origin, "%s: the origin-id is the message's id", s.Name)

		sid, ok := rs.Trusted(testserver.Context(t), in)
		assert.True(t, ok, "%s: the stanza-id by the account is trusted", s.Name)
		assert.NotEmpty(t, sid)
		assert.NotEqual(t, origin, sid, "%s: the server's own id", s.Name)
	})
}
