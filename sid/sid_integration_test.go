//go:build integration

package sid_test

import (
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/sid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationStanzaIDs: a message sent with the Manager attached
// carries an origin-id equal to its id, which reaches the recipient as
// sent; the recipient's server stamps a stanza-id by the recipient's bare
// JID and announces urn:xmpp:sid:0, so Trusted believes it.
func TestIntegrationStanzaIDs(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		got := make(chan *stanza.Message, 1)
		var rs *sid.Manager
		rcv := testserver.Login(t, s.NewAccount(t, "sid"), func(c *xmpp.Conn) {
			rs = sid.For(c)
			c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) { got <- m })
		})
		snd := testserver.Login(t, s.NewAccount(t, "sid"), func(c *xmpp.Conn) { sid.For(c) })

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

// TestIntegrationRoomStanzaIDs: in a new room, the user's message comes
// back (the room's reflection) with the origin-id the Manager put on it,
// and with a stanza-id by the room that Trusted believes, the room
// announcing urn:xmpp:sid:0.
func TestIntegrationRoomStanzaIDs(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		got := make(chan *stanza.Message, 4)
		var sm *sid.Manager
		c := testserver.Login(t, s.NewAccount(t, "sid"), func(c *xmpp.Conn) { sm = sid.For(c) })
		addr := jid.MustParse(fmt.Sprintf("sid-%d-%08x@%s", time.Now().UnixNano(), mathrand.Uint32(), s.MUCDomain))
		room := muc.For(c).Room(addr)
		room.OnMessage(func(m *stanza.Message) {
			if len(m.Bodies) > 0 {
				got <- m
			}
		})
		require.NoError(t, room.Create(testserver.Context(t), "me", nil, muc.JoinConfig{}))
		m := &stanza.Message{Bodies: []stanza.Text{{Value: "reflected"}}}
		require.NoError(t, room.SendMessage(testserver.Context(t), m))
		var in *stanza.Message
		select {
		case in = <-got:
		case <-testserver.Context(t).Done():
			t.Fatalf("%s: no reflection", s.Name)
		}
		origin, ok := sid.OriginID(in)
		assert.True(t, ok, "%s: the reflection keeps the origin-id", s.Name)
		assert.Equal(t, m.ID, origin, s.Name)

		// Both servers archive new rooms, and so stamp and announce.
		info, err := disco.For(c).Info(testserver.Context(t), addr, "")
		require.NoError(t, err)
		assert.True(t, info.HasFeature(sid.NS), "%s: the room announces urn:xmpp:sid:0", s.Name)
		id, ok := sm.Trusted(testserver.Context(t), in)
		assert.True(t, ok, "%s: the room's stanza-id is trusted", s.Name)
		assert.NotEqual(t, origin, id, s.Name)
	})
}
