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

// The integration tests here run once for each transport over HTTP,
// BOSH and WebSocket, on each server; a subtest is named after the
// transport (Transport.String), then the server.

// serverTransport is one transport as the integration tests use it.
type serverTransport struct {
	transport xmpp.Transport
	prefix    string // of the accounts, rooms and nicks the tests make
	// tlsURL and plainURL are the server's https:// or wss:// URL, and
	// its http:// or ws:// one.
	tlsURL, plainURL func(s *testserver.Server) string
	plainErr         error // what refuses plainURL while TLS is required
	maxConns         int   // how many connections a login and close make at most
	// resumes says whether stream management resumes a session over the
	// transport on s.
	resumes func(s *testserver.Server) bool
	// breaks are what TestIntegrationTransportSession does to the stream,
	// in order, after the first messages.
	breaks []streamBreak
}

// streamBreak is one thing done to a stream under way.
type streamBreak struct {
	what string
	do   func(c *xmpp.Conn, d *cutDialer)
	// goesOn is true when the session goes on without a change of
	// state; false when it is resumed (or, where the transport does not
	// resume, a new session comes).
	goesOn bool
}

var serverTransports = []serverTransport{
	{
		transport: xmpp.TransportBOSH,
		prefix:    "bosh",
		tlsURL:    func(s *testserver.Server) string { return s.BOSHTLSURL },
		plainURL:  func(s *testserver.Server) string { return s.BOSHURL },
		plainErr:  xmpp.ErrPlainBOSH,
		maxConns:  2, // requests='2', kept alive
		// Prosody 0.12 cannot resume a session onto a BOSH session
		// (mod_smacks fails on the BOSH session's missing rawsend and
		// never answers <resume/>; docs/servers.md).
		resumes: func(s *testserver.Server) bool { return s.Name != "prosody" },
		breaks: []streamBreak{
			{what: "every TCP connection cut", do: func(_ *xmpp.Conn, d *cutDialer) { d.cutAll() }, goesOn: true},
			{what: "the BOSH session dropped without a terminate", do: func(c *xmpp.Conn, _ *cutDialer) { xmpp.AbortStream(c) }},
		},
	},
	{
		transport: xmpp.TransportWebSocket,
		prefix:    "ws",
		tlsURL:    func(s *testserver.Server) string { return s.WebSocketTLSURL },
		plainURL:  func(s *testserver.Server) string { return s.WebSocketURL },
		plainErr:  xmpp.ErrPlainWebSocket,
		maxConns:  1,
		resumes:   func(*testserver.Server) bool { return true },
		breaks: []streamBreak{
			{what: "the WebSocket cut", do: func(_ *xmpp.Conn, d *cutDialer) { d.cut() }},
		},
	},
}

// forEachTransport runs f for each transport, on each server.
func forEachTransport(t *testing.T, f func(t *testing.T, tt serverTransport, s *testserver.Server)) {
	for _, tt := range serverTransports {
		t.Run(tt.transport.String(), func(t *testing.T) {
			testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { f(t, tt, s) })
		})
	}
}

// TestIntegrationTransportSession logs in over each transport's TLS URL
// (the certificate verified for the JID's domain) and, beside a client
// on TCP: a message each way, a room both join, a group chat message.
// Then the transport's breaks, each followed by a message each way:
// over BOSH every HTTP connection of the session is cut, and the BOSH
// session goes on over new ones (the same rid sent again); then the BOSH
// session is dropped without a terminate, and stream management resumes
// it on a new BOSH session (on Prosody 0.12, which cannot, a new session
// comes instead). Over a WebSocket, the WebSocket is cut, and the
// session resumed over a new one.
func TestIntegrationTransportSession(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tt serverTransport, s *testserver.Server) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		d := &cutDialer{}
		cfg := s.NewAccount(t, tt.prefix)
		cfg.Addr = tt.tlsURL(s)
		cfg.Dialer = d
		cfg.Reconnect.Policy = xmpp.FixedDelay(50 * time.Millisecond)
		resumes := tt.resumes(s)
		cfg.StreamManagement.NoResume = !resumes
		states := make(chan xmpp.StateChange, 16)
		c := xmpp.New(cfg)
		c.OnState(func(sc xmpp.StateChange) { states <- sc })
		fromTCP := c.Collect(stanza.IsMessage(stanza.Chat), 4)
		defer fromTCP.Close()
		require.Equal(t, tt.transport, c.Transport())
		require.NoError(t, c.Connect(ctx))
		defer c.Close()
		require.Equal(t, tt.transport, c.Transport())
		require.Equal(t, cfg.JID.Bare(), c.JID().Bare())

		tcp := testserver.Login(t, s.NewAccount(t, "tcp"), nil)
		require.Equal(t, xmpp.TransportTCP, tcp.Transport())
		toTCP := tcp.Collect(stanza.IsMessage(stanza.Chat), 4)
		defer toTCP.Close()

		chat := func(from *xmpp.Conn, to jid.JID, body string) *stanza.Message {
			m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}}
			m.To = to
			require.NoError(t, from.Send(ctx, m))
			return m
		}
		over := "over " + tt.transport.String() + " <&>"
		sent := chat(c, tcp.JID(), over)
		st, err := toTCP.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		assert.Equal(t, c.JID(), st.Head().From)
		assert.Equal(t, over, st.(*stanza.Message).Body(""))
		sent = chat(tcp, c.JID(), "over TCP")
		st, err = fromTCP.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, sent.ID, st.Head().ID)
		assert.Equal(t, "over TCP", st.(*stanza.Message).Body(""))

		// A room: the client creates it, the TCP one joins, and says
		// something.
		room := jid.MustParse(testserver.Unique(tt.prefix+"-room") + "@" + s.MUCDomain)
		join(t, ctx, c, room, tt.prefix)
		_, err = c.SendIQ(ctx, &stanza.IQ{Common: stanza.Common{To: room}, Type: stanza.Set, Payload: &stanza.Node{
			Name:  xml.Name{Space: "http://jabber.org/protocol/muc#owner", Local: "query"},
			Nodes: []stanza.Node{{Name: xml.Name{Space: "jabber:x:data", Local: "x"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}}},
		}})
		require.NoError(t, err, "an instant room")
		inRoom := c.Collect(func(st stanza.Stanza) bool {
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

		for _, b := range tt.breaks {
			drain(states)
			b.do(c, d)
			if !b.goesOn {
				for sc := range states {
					if resumes {
						if sc.State == xmpp.StateResumed {
							break
						}
						require.NotEqual(t, xmpp.StateAuthenticated, sc.State, "after %s, a new session instead of the resumed one: %v", b.what, sc)
					} else if sc.State == xmpp.StateAuthenticated {
						break
					}
				}
				assert.Equal(t, tt.transport, c.Transport(), "after %s", b.what)
			}
			sent = chat(tcp, c.JID(), "after "+b.what)
			st, err = fromTCP.Next(ctx)
			require.NoError(t, err, "after %s", b.what)
			assert.Equal(t, sent.ID, st.Head().ID, "after %s", b.what)
			sent = chat(c, tcp.JID(), "back after "+b.what)
			st, err = toTCP.Next(ctx)
			require.NoError(t, err, "after %s", b.what)
			assert.Equal(t, sent.ID, st.Head().ID, "after %s", b.what)
			if b.goesOn {
				select {
				case sc := <-states:
					t.Fatalf("the stream changed state after %s: %v", b.what, sc)
				default:
				}
			}
		}
		require.NoError(t, c.Close())
	})
}

// TestIntegrationTransportRefusesPlainByDefault: http:// and ws:// are
// refused while TLS is required, the default.
func TestIntegrationTransportRefusesPlainByDefault(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tt serverTransport, s *testserver.Server) {
		cfg := s.NewAccount(t, tt.prefix+"-plain")
		cfg.Addr = tt.plainURL(s)
		err := xmpp.New(cfg).Connect(testserver.Context(t))
		require.ErrorIs(t, err, tt.plainErr)
	})
}

// TestIntegrationTransportVerifiesDomain: the certificate is verified,
// and for the JID's domain, whatever host the URL names (here an IP
// address).
func TestIntegrationTransportVerifiesDomain(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tt serverTransport, s *testserver.Server) {
		cfg := s.NewAccount(t, tt.prefix+"-name")
		cfg.Addr = strings.Replace(tt.tlsURL(s), "//"+s.Domain+":", "//127.0.0.1:", 1)
		require.NotEqual(t, tt.tlsURL(s), cfg.Addr)
		cfg.TLS.ServerName = ""
		var mu sync.Mutex
		var verified []string
		cfg.TLS.VerifyConnection = func(cs tls.ConnectionState) error {
			mu.Lock()
			defer mu.Unlock()
			verified = append(verified, cs.ServerName)
			return nil
		}
		c := testserver.Login(t, cfg, nil)
		require.NoError(t, c.Close())
		mu.Lock()
		require.NotEmpty(t, verified)
		assert.LessOrEqual(t, len(verified), tt.maxConns)
		for _, name := range verified {
			assert.Equal(t, s.Domain, name)
		}
		mu.Unlock()

		cfg.TLS = &tls.Config{RootCAs: x509.NewCertPool()} // trusts nothing
		err := xmpp.New(cfg).Connect(testserver.Context(t))
		var ue x509.UnknownAuthorityError
		require.ErrorAs(t, err, &ue)
	})
}

// cutDialer dials TCP and keeps the connections, so that a test can
// cut them.
type cutDialer struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (d *cutDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, c)
		d.mu.Unlock()
	}
	return c, err
}

// cutAll closes every connection dialled.
func (d *cutDialer) cutAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.Close()
	}
}

// cut closes the last connection dialled.
func (d *cutDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conns[len(d.conns)-1].Close()
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

func mustResource(j jid.JID, r string) jid.JID {
	full, err := j.WithResource(r)
	if err != nil {
		panic(err)
	}
	return full
}
