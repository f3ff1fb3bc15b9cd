package xmpp_test

import (
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAddressedToMe: no to, the bound full JID and the account's bare
// JID name the client; another resource, another account or the server
// do not; without a session only no to does.
func TestAddressedToMe(t *testing.T) {
	c := xmpptest.NewConn(t, jid.MustParse("alice@localhost/a"), xmpptest.MustParseTranscript(t, t.Name(), ""))
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
}
