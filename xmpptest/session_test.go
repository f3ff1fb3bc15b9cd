package xmpptest_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/require"
)

func TestConnect(t *testing.T) {
	tr, err := xmpptest.ParseTranscript("session", strings.NewReader(`
S: <iq type='get' id='v1' from='localhost'><query xmlns='jabber:iq:version'/></iq>
C: <iq type='result' id='v1' to='localhost'><query xmlns='jabber:iq:version'><name>test</name></query></iq>
S: <message from='bob@localhost/b' id='m1' type='chat'><body>hello</body></message>
C: <message id='{{m}}' to='bob@localhost/b' type='chat'><body>hi</body></message>
`))
	require.NoError(t, err)
	version := xml.Name{Space: "jabber:iq:version", Local: "query"}
	c := xmpptest.ConnectFunc(t, jid.MustParse("alice@localhost"), tr, func(c *xmpp.Conn) {
		c.HandleIQ(stanza.Get, version, xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) {
			return &stanza.Node{Name: version, Nodes: []stanza.Node{{Name: xml.Name{Space: version.Space, Local: "name"}, Nodes: []stanza.Node{{Text: "test"}}}}}, nil
		}))
		// Listeners see stanzas in order: the version request is
		// answered before this reply goes out.
		c.HandleMessage(nil, func(m *stanza.Message) {
			require.NoError(t, c.Send(context.Background(), m.Reply("hi")))
		})
	})
	require.Equal(t, "alice@localhost/test", c.JID().String())
}
