package xmpp_test

import (
	"context"
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSendElement: an element that is not a stanza goes out as it is, in
// order with the stanzas; stanzas, text and the elements of the
// stream's own namespaces (stream management, SASL, TLS...) are refused,
// and without a stream it is not queued.
func TestSendElement(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), `
C: <inactive xmlns='urn:xmpp:csi:0'/>
C: <message id='m1' to='bob@localhost'><body>x</body></message>
C: <x xmlns='urn:example' a='1'><y>text &amp; more</y></x>
`)
	c := xmpptest.NewConn(t, jid.MustParse("alice@localhost/a"), tr)
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	defer cancel()
	err := c.SendElement(ctx, stanza.Node{Name: xml.Name{Space: "urn:xmpp:csi:0", Local: "inactive"}})
	assert.ErrorIs(t, err, xmpp.ErrNotConnected, "never queued")
	require.NoError(t, c.Connect(ctx))
	require.NoError(t, c.SendElement(ctx, stanza.Node{Name: xml.Name{Space: "urn:xmpp:csi:0", Local: "inactive"}}))
	msg := &stanza.Message{Bodies: []stanza.Text{{Value: "x"}}}
	msg.To, msg.ID = jid.MustParse("bob@localhost"), "m1"
	require.NoError(t, c.Send(ctx, msg))
	for _, bad := range []stanza.Node{
		{Text: "text"},
		{Name: xml.Name{Local: "message"}},
		{Name: xml.Name{Space: stanza.NSClient, Local: "message"}},
		{Name: xml.Name{Space: "urn:xmpp:sm:3", Local: "r"}},
		{Name: xml.Name{Space: "urn:xmpp:sm:3", Local: "a"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "h"}, Value: "99"}}},
		{Name: xml.Name{Space: "urn:xmpp:sm:2", Local: "enable"}},
		{Name: xml.Name{Space: "http://etherx.jabber.org/streams", Local: "error"}},
		{Name: xml.Name{Space: "urn:ietf:params:xml:ns:xmpp-sasl", Local: "auth"}},
		{Name: xml.Name{Space: "urn:ietf:params:xml:ns:xmpp-tls", Local: "starttls"}},
		{Name: xml.Name{Space: "urn:xmpp:sasl:2", Local: "authenticate"}},
		{Name: xml.Name{Space: "jabber:server", Local: "message"}},
		{Name: xml.Name{Space: "jabber:component:accept", Local: "message"}},
	} {
		assert.ErrorIs(t, c.SendElement(ctx, bad), xmpp.ErrBadElement, "%s", bad.Name)
	}
	require.NoError(t, c.SendElement(ctx, stanza.Node{
		Name:  xml.Name{Space: "urn:example", Local: "x"},
		Attrs: []xml.Attr{{Name: xml.Name{Local: "a"}, Value: "1"}},
		Nodes: []stanza.Node{{Name: xml.Name{Space: "urn:example", Local: "y"}, Nodes: []stanza.Node{{Text: "text & more"}}}},
	}))
}
