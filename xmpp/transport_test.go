package xmpp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests here run once for each transport over HTTP, BOSH and
// WebSocket, against the in-memory servers of bosh_test.go and
// websocket_test.go; a subtest is named after the transport
// (Transport.String).

// httpTransport is one transport as the unit tests drive it.
type httpTransport struct {
	transport xmpp.Transport
	addr      string // the plaintext URL its server answers
	plainErr  error  // what refuses addr while TLS is required
	// variant names the server's other way of sending (the session
	// test runs without it and with it).
	variant string
	// serve makes a server that plays tr, in its variant way when
	// variant is true; check, called once the client has closed, checks
	// everything the client sent.
	serve func(t *testing.T, tr *xmpptest.Transcript, variant bool) (d xmpp.Dialer, check func())
}

var httpTransports = []httpTransport{
	{transport: xmpp.TransportBOSH, addr: boshURL, plainErr: xmpp.ErrPlainBOSH, variant: "chunked", serve: serveBOSHSession},
	{transport: xmpp.TransportWebSocket, addr: wsURL, plainErr: xmpp.ErrPlainWebSocket, variant: "fragment", serve: serveWebSocketSession},
}

// plainConfig is alice's configuration for the plaintext URL addr,
// dialled with d: no TLS, no initial presence, no reconnection, no
// stream management.
func plainConfig(addr string, d xmpp.Dialer) xmpp.Config {
	return xmpp.Config{
		JID:                  jid.MustParse("alice@localhost"),
		Password:             "alice-secret",
		Addr:                 addr,
		Security:             xmpp.TLSDisabled,
		AllowPlainWithoutTLS: true,
		NoInitialPresence:    true,
		Dialer:               d,
		Reconnect:            xmpp.Reconnect{Disabled: true},
		StreamManagement:     xmpp.StreamManagement{Disabled: true},
	}
}

// nextMessage is the next message from ch, or fails the test after five
// seconds.
func nextMessage(t *testing.T, ch <-chan *stanza.Message) *stanza.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
		return nil
	}
}

// TestTransportSession logs in over each transport, exchanges messages
// and closes; the transport's check then looks at everything the client
// sent (BOSH: the session creation request, rids one apart, the restart
// after SASL, stanzas in jabber:client, the terminate with the
// unavailable presence; WebSocket: <open/> for each stream header, one
// element per message, stanzas in jabber:client, <close/> at the end).
// Each runs in its variant too: BOSH answers in chunked encoding; the
// WebSocket server sends every message in fragments with a ping among
// them, which the client answers.
func TestTransportSession(t *testing.T) {
	for _, tt := range httpTransports {
		for _, variant := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/%s=%v", tt.transport, tt.variant, variant), func(t *testing.T) {
				tr := transcript(t, wsLogin+`S: <message from='bob@localhost/b' to='alice@localhost/ws' id='m1' type='chat'><body>hello &amp; welcome</body></message>
C: <message to='bob@localhost/b' id='{{m2}}' type='chat'><body>hi</body></message>
S: <message from='bob@localhost/b' to='alice@localhost/ws' id='m3' type='chat'><body>bye</body></message>
`+closing)
				d, check := tt.serve(t, tr, variant)
				c := xmpp.New(plainConfig(tt.addr, d))
				got := make(chan *stanza.Message, 2)
				c.HandleMessage(nil, func(m *stanza.Message) { got <- m })
				require.Equal(t, tt.transport, c.Transport())
				require.NoError(t, c.Connect(ctxT(t)))
				assert.Equal(t, tt.transport, c.Transport())
				assert.Equal(t, tt.transport.String(), c.Transport().String())
				assert.Equal(t, "alice@localhost/ws", c.JID().String())
				assert.Equal(t, "hello & welcome", nextMessage(t, got).Body(""))
				require.NoError(t, c.Send(ctxT(t), &stanza.Message{Common: stanza.Common{To: jid.MustParse("bob@localhost/b")}, Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hi"}}}))
				assert.Equal(t, "bye", nextMessage(t, got).Body(""))
				require.NoError(t, c.Close())
				check()
			})
		}
	}
}

// TestTransportPlainRefused: a plaintext URL (http://, ws://) needs
// Security to allow plaintext, as plain TCP does; nothing is dialled
// otherwise.
func TestTransportPlainRefused(t *testing.T) {
	for _, tt := range httpTransports {
		t.Run(tt.transport.String(), func(t *testing.T) {
			var dials atomic.Int32
			cfg := xmpp.Config{JID: jid.MustParse("alice@localhost"), Password: "x", Addr: tt.addr,
				Dialer: dialerFunc(func(context.Context, string, string) (net.Conn, error) {
					dials.Add(1)
					return nil, errors.New("dialled")
				})}
			err := xmpp.New(cfg).Connect(ctxT(t))
			require.ErrorIs(t, err, tt.plainErr)
			assert.Zero(t, dials.Load())
		})
	}
}
