//go:build integration

package xmpp_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wsCutDialer dials TCP and keeps the connections, so that a test can
// cut them.
type wsCutDialer struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (d *wsCutDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, c)
		d.mu.Unlock()
	}
	return c, err
}

// cutAll closes every connection dialled.
func (d *wsCutDialer) cutAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.Close()
	}
}

// cut closes the last connection dialled.
func (d *wsCutDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conns[len(d.conns)-1].Close()
}

// TestIntegrationWebSocket logs in over wss:// (the certificate verified
// for the JID's domain) and, beside a client on TCP: a message each way,
// a room both join, a group chat message; then the WebSocket is cut, and
// the session resumed over a new one (stream management), where a
// message sent meanwhile arrives once.
func TestIntegrationWebSocket(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		d := &wsCutDialer{}
		wcfg := s.NewAccount(t, "ws")
		wcfg.Addr = s.WebSocketTLSURL
		wcfg.Dialer = d
		wcfg.Reconnect.Policy = xmpp.FixedDelay(50 * time.Millisecond)
		states := make(chan xmpp.StateChange, 16)
		ws := xmpp.New(wcfg)
		ws.OnState(func(sc xmpp.StateChange) { states <- sc })
		fromTCP := ws.Collect(stanza.IsMessage(stanza.Chat), 4)
		defer fromTCP.Close()
		require.NoError(t, ws.Connect(ctx))
		defer ws.Close()
		require.Equal(t, xmpp.TransportWebSocket, ws.Transport())
		require.Equal(t, wcfg.JID.Bare(), ws.JID().Bare())

		tcp := testserver.Login(t, s.NewAccount(t, "tcp"), nil)
		require.Equal(t, xmpp.TransportTCP, tcp.Transport())
		fromWS := tcp.Collect(stanza.IsMessage(stanza.Chat), 4)
		defer fromWS.Close()

		chat := func(from *xmpp.Conn, to jid.JID, body string) *stanza.Message {
			m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}}
			m.To = to
			require.NoError(t, from.Send(ctx, m))
			return m
		}
		sent := chat(ws, tcp.JID(), "over a WebSocket <&>")
		st, err := fromWS.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		assert.Equal(t, ws.JID(), st.Head().From)
		assert.Equal(t, "over a WebSocket <&>", st.(*stanza.Message).Body(""))
		sent = chat(tcp, ws.JID(), "over TCP")
		st, err = fromTCP.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		assert.Equal(t, "over TCP", st.(*stanza.Message).Body(""))

		// A room: the WebSocket client creates it, the TCP one joins,
		// and says something.
		room := jid.MustParse(testserver.Unique("ws-room") + "@" + s.MUCDomain)
		join(t, ctx, ws, room, "ws")
		_, err = ws.SendIQ(ctx, &stanza.IQ{Common: stanza.Common{To: room}, Type: stanza.Set, Payload: &stanza.Node{
			Name:  xml.Name{Space: "http://jabber.org/protocol/muc#owner", Local: "query"},
			Nodes: []stanza.Node{{Name: xml.Name{Space: "jabber:x:data", Local: "x"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}}},
		}})
		require.NoError(t, err, "an instant room")
		inRoom := ws.Collect(func(st stanza.Stanza) bool {
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

		// The cut, and the resumption over a new WebSocket.
		drain(states)
		d.cut()
		for sc := range states {
			if sc.State == xmpp.StateResumed {
				break
			}
			require.NotEqual(t, xmpp.StateAuthenticated, sc.State, "a new session instead of the resumed one: %v", sc)
		}
		assert.Equal(t, xmpp.TransportWebSocket, ws.Transport())
		sent = chat(tcp, ws.JID(), "after the cut")
		st, err = fromTCP.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		sent = chat(ws, tcp.JID(), "back")
		st, err = fromWS.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		require.NoError(t, ws.Close())
	})
}

// join enters room as nick and waits for the room's presence of the
// user (status 110).
func join(t *testing.T, ctx context.Context, c *xmpp.Conn, room jid.JID, nick string) {
	t.Helper()
	occupant := mustResource(room, nick)
	self := c.Collect(func(st stanza.Stanza) bool {
		p, ok := st.(*stanza.Presence)
		return ok && p.From == occupant && strings.Contains(nodeXML(p.Extensions), "110")
	}, 1)
	defer self.Close()
	p := &stanza.Presence{Extensions: []stanza.Node{{Name: xml.Name{Space: "http://jabber.org/protocol/muc", Local: "x"}}}}
	p.To = occupant
	require.NoError(t, c.Send(ctx, p))
	_, err := self.Next(ctx)
	require.NoError(t, err, "joining %s", occupant)
}

// nodeXML is the status codes of nodes, enough to find one.
func nodeXML(nodes []stanza.Node) string {
	var b strings.Builder
	var walk func([]stanza.Node)
	walk = func(ns []stanza.Node) {
		for _, n := range ns {
			if n.Name.Local == "status" {
				for _, a := range n.Attrs {
					if a.Name.Local == "code" {
						b.WriteString(a.Value + " ")
					}
				}
			}
			walk(n.Nodes)
		}
	}
	walk(nodes)
	return b.String()
}

func drain[T any](ch chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestIntegrationWebSocketRefusesPlainByDefault: ws:// is refused while
// TLS is required, the default.
func TestIntegrationWebSocketRefusesPlainByDefault(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "ws-plain")
		cfg.Addr = s.WebSocketURL
		err := xmpp.New(cfg).Connect(testserver.Context(t))
		require.ErrorIs(t, err, xmpp.ErrPlainWebSocket)
	})
}

// TestIntegrationWebSocketVerifiesDomain: the certificate is verified,
// and for the JID's domain, whatever host the URL names (here an IP
// address).
func TestIntegrationWebSocketVerifiesDomain(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "ws-name")
		cfg.Addr = strings.Replace(s.WebSocketTLSURL, "//"+s.Domain+":", "//127.0.0.1:", 1)
		require.NotEqual(t, s.WebSocketTLSURL, cfg.Addr)
		cfg.TLS.ServerName = ""
		var verified []string
		cfg.TLS.VerifyConnection = func(cs tls.ConnectionState) error {
			verified = append(verified, cs.ServerName)
			return nil
		}
		c := testserver.Login(t, cfg, nil)
		require.NoError(t, c.Close())
		assert.Equal(t, []string{s.Domain}, verified)

		cfg.TLS = &tls.Config{RootCAs: x509.NewCertPool()} // trusts nothing
		err := xmpp.New(cfg).Connect(testserver.Context(t))
		var ue x509.UnknownAuthorityError
		require.ErrorAs(t, err, &ue)
	})
}

func mustResource(j jid.JID, r string) jid.JID {
	full, err := j.WithResource(r)
	if err != nil {
		panic(err)
	}
	return full
}
