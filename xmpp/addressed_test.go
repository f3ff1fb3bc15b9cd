package xmpp_test

import (
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAddressedToMe: no to, the bound full JID and the account's bare
// JID name the client; another resource, another account or the server
// do not; without a session only no to does.
func TestAddressedToMe(t *testing.T) {
	// The script waits for a ping the test sends once it has checked:
	// with nothing left to play, the scripted server could end the
	// session while the checks run.
	c := xmpptest.NewConn(t, jid.MustParse("alice@localhost/a"), xmpptest.MustParseTranscript(t, t.Name(), `
C: <iq type='get' id='{{p}}'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{p}}'/>
`))
	assert.True(t, c.AddressedToMe(jid.JID{}))
	assert.False(t, c.AddressedToMe(jid.MustParse("alice@localhost")), "no session")
	require.NoError(t, c.Connect(t.Context()))
	for to, want := range map[string]bool{
		"alice@localhost/a":     true,
		"alice@localhost":       true,
		"alice@localhost/other": false,
		"bob@localhost/a":       false,
		"localhost":             false,
	} {
		assert.Equal(t, want, c.AddressedToMe(jid.MustParse(to)), to)
	}
	assert.True(t, c.AddressedToMe(jid.JID{}))
	_, err := c.SendIQ(t.Context(), &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}})
	require.NoError(t, err)
}
