package private_test

import (
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/private"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	prefs = xml.Name{Space: "urn:example:prefs", Local: "prefs"}
)

// TestRoundTrip: Set sends the element in a query without to; Get asks
// for it by name and returns it as stored, unknown children and
// attributes included; nothing stored is the empty element; a reply with
// the request's id from another client (a stranger, another resource of
// the account) is not taken, the server's is; the server's refusal is
// its stanza error.
func TestRoundTrip(t *testing.T) {
	tr := xmpptest.MustParseTranscript(t, t.Name(), `
C: <iq type='set' id='{{s}}'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs' v='2'><colour>blue</colour><x xmlns='urn:example:other'/></prefs></query></iq>
S: <iq type='result' id='{{s}}'/>
C: <iq type='get' id='{{g}}'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query></iq>
S: <iq type='result' id='{{g}}' from='mallory@localhost/m'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'><colour>forged</colour></prefs></query></iq>
S: <iq type='result' id='{{g}}' from='alice@localhost/other'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'><colour>forged</colour></prefs></query></iq>
S: <iq type='result' id='{{g}}' from='alice@localhost/a'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs' v='2'><colour>blue</colour><x xmlns='urn:example:other'/></prefs></query></iq>
C: <iq type='get' id='{{e}}'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:empty'/></query></iq>
S: <iq type='result' id='{{e}}'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:empty'/></query></iq>
C: <iq type='get' id='{{m}}'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query></iq>
S: <iq type='result' id='{{m}}' from='alice@localhost'><query xmlns='jabber:iq:private'/></iq>
C: <iq type='set' id='{{f}}'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query></iq>
S: <iq type='error' id='{{f}}' from='localhost'><error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	s := private.For(c)
	require.NoError(t, c.Connect(t.Context()))
	ctx := t.Context()

	el := stanza.Node{Name: prefs, Attrs: []xml.Attr{{Name: xml.Name{Local: "v"}, Value: "2"}}, Nodes: []stanza.Node{
		{Name: xml.Name{Space: prefs.Space, Local: "colour"}, Nodes: []stanza.Node{{Text: "blue"}}},
		{Name: xml.Name{Space: "urn:example:other", Local: "x"}},
	}}
	require.NoError(t, s.Set(ctx, el))
	got, err := s.Get(ctx, prefs)
	require.NoError(t, err)
	assert.Equal(t, "2", got.Attr("v"))
	assert.Equal(t, "blue", got.Child(prefs.Space, "colour").InnerText())
	assert.NotNil(t, got.Child("urn:example:other", "x"))

	empty, err := s.Get(ctx, xml.Name{Space: "urn:example:empty", Local: "prefs"})
	require.NoError(t, err)
	assert.Empty(t, empty.Nodes)
	assert.Empty(t, empty.Attrs)

	_, err = s.Get(ctx, prefs)
	assert.ErrorIs(t, err, private.ErrMalformed)

	err = s.Set(ctx, stanza.Node{Name: prefs})
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.NotAllowed})
}

// TestNames: names XEP-0049 reserves, or without a namespace or local
// name, are refused before anything is sent (the transcript is empty).
func TestNames(t *testing.T) {
	c := xmpptest.NewConn(t, alice, xmpptest.MustParseTranscript(t, t.Name(), ""))
	s := private.For(c)
	require.NoError(t, c.Connect(t.Context()))
	for _, name := range []xml.Name{
		{Local: "prefs"},
		{Space: private.NS, Local: "query"},
		{Space: "jabber:client", Local: "x"},
		{Space: "jabber:server", Local: "x"},
		{Space: "urn:example:prefs"},
	} {
		_, err := s.Get(t.Context(), name)
		assert.ErrorIs(t, err, private.ErrName, "%v", name)
		assert.ErrorIs(t, s.Set(t.Context(), stanza.Node{Name: name}), private.ErrName, "%v", name)
	}
}

// TestShape: one Store per connection, a fresh one after Close, which
// is safe to call twice.
func TestShape(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	s := private.For(c)
	assert.Same(t, s, private.For(c))
	s.Close()
	s.Close()
	assert.Nil(t, xmpp.Attached[private.Store](c))
	assert.NotSame(t, s, private.For(c))
}
