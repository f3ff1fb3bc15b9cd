//go:build integration

package xmpp_test

import (
	"context"
	"encoding/xml"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationBOSH logs in over https:// BOSH (the certificate
// verified for the JID's domain) and, beside a client on TCP: a message
// each way, a room both join, a group chat message; then every HTTP
// connection of the session is cut, and the BOSH session goes on over
// new ones (the same rid sent again); then the session is dropped
// without a terminate, and stream management resumes it on a new BOSH
// session. Prosody 0.12 cannot resume a session onto a BOSH session
// (mod_smacks fails on the BOSH session's missing rawsend and never
// answers <resume/>; docs/servers.md): there, without resumption, a new
// session comes instead.
func TestIntegrationBOSH(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		d := &wsCutDialer{}
		bcfg := s.NewAccount(t, "bosh")
		bcfg.Addr = s.BOSHTLSURL
		bcfg.Dialer = d
		bcfg.Reconnect.Policy = xmpp.FixedDelay(50 * time.Millisecond)
		resumes := s.Name != "prosody"
		bcfg.StreamManagement.NoResume = !resumes
		states := make(chan xmpp.StateChange, 16)
		bc := xmpp.New(bcfg)
		bc.OnState(func(sc xmpp.StateChange) { states <- sc })
		fromTCP := bc.Collect(stanza.IsMessage(stanza.Chat), 4)
		defer fromTCP.Close()
		require.Equal(t, xmpp.TransportBOSH, bc.Transport())
		require.NoError(t, bc.Connect(ctx))
		defer bc.Close()
		require.Equal(t, xmpp.TransportBOSH, bc.Transport())
		require.Equal(t, bcfg.JID.Bare(), bc.JID().Bare())

		tcp := testserver.Login(t, s.NewAccount(t, "tcp"), nil)
		fromBOSH := tcp.Collect(stanza.IsMessage(stanza.Chat), 4)
		defer fromBOSH.Close()

		chat := func(from *xmpp.Conn, to jid.JID, body string) *stanza.Message {
			m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}}
			m.To = to
			require.NoError(t, from.Send(ctx, m))
			return m
		}
		sent := chat(bc, tcp.JID(), "over BOSH <&>")
		st, err := fromBOSH.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		assert.Equal(t, bc.JID(), st.Head().From)
		assert.Equal(t, "over BOSH <&>", st.(*stanza.Message).Body(""))
		sent = chat(tcp, bc.JID(), "over TCP")
		st, err = fromTCP.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		assert.Equal(t, "over TCP", st.(*stanza.Message).Body(""))

		room := jid.MustParse(testserver.Unique("bosh-room") + "@" + s.MUCDomain)
		join(t, ctx, bc, room, "bosh")
		_, err = bc.SendIQ(ctx, &stanza.IQ{Common: stanza.Common{To: room}, Type: stanza.Set, Payload: &stanza.Node{
			Name:  xml.Name{Space: "http://jabber.org/protocol/muc#owner", Local: "query"},
			Nodes: []stanza.Node{{Name: xml.Name{Space: "jabber:x:data", Local: "x"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}}},
		}})
		require.NoError(t, err, "an instant room")
		inRoom := bc.Collect(func(st stanza.Stanza) bool {
			m, ok := st.(*stanza.Message)
			return ok && m.Type == stanza.Groupchat && m.From == mustResource(room, "tcp")
		}, 4)
		defer inRoom.Close()
		join(t, ctx, tcp, room, "tcp")
		g := &stanza.Message{Type: stanza.Groupchat, Bodies: []stanza.Text{{Value: "hello room"}}}
		g.To = room
		require.NoError(t, tcp.Send(ctx, g))
		st, err = inRoom.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, "hello room", st.(*stanza.Message).Body(""))

		// Every TCP connection cut: the BOSH session goes on.
		drain(states)
		d.cutAll()
		sent = chat(tcp, bc.JID(), "after the TCP cut")
		st, err = fromTCP.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		sent = chat(bc, tcp.JID(), "back after the TCP cut")
		st, err = fromBOSH.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		select {
		case sc := <-states:
			t.Fatalf("the stream changed state after the TCP cut: %v", sc)
		default:
		}

		// The BOSH session dropped: stream management resumes on a new
		// one (or a new session comes, on Prosody).
		xmpp.AbortStream(bc)
		for sc := range states {
			if resumes {
				if sc.State == xmpp.StateResumed {
					break
				}
				require.NotEqual(t, xmpp.StateAuthenticated, sc.State, "a new session instead of the resumed one: %v", sc)
			} else if sc.State == xmpp.StateAuthenticated {
				break
			}
		}
		assert.Equal(t, xmpp.TransportBOSH, bc.Transport())
		sent = chat(tcp, bc.JID(), "after the resumption")
		st, err = fromTCP.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		sent = chat(bc, tcp.JID(), "back")
		st, err = fromBOSH.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		require.NoError(t, bc.Close())
	})
}

// TestIntegrationBOSHRefusesPlainByDefault: http:// is refused while
// TLS is required, the default.
func TestIntegrationBOSHRefusesPlainByDefault(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "bosh-plain")
		cfg.Addr = s.BOSHURL
		err := xmpp.New(cfg).Connect(testserver.Context(t))
		require.ErrorIs(t, err, xmpp.ErrPlainBOSH)
	})
}
