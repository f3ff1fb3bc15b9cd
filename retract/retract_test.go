package retract_test

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/retract"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNew: XEP-0424's example 1, as New writes it, reads back.
func TestNew(t *testing.T) {
	m := retract.New(jid.MustParse("lord@capulet.example"), "origin-id-1")
	m.ID = "retract-message-1"
	raw, err := wiretest.Encode(m)
	require.NoError(t, err)
	assert.Equal(t, `<message to='lord@capulet.example' id='retract-message-1' type='chat'><body>`+
		`This person attempted to retract a previous message, but it's unsupported by your client.</body>`+
		`<retract xmlns='urn:xmpp:message-retract:1' id='origin-id-1'/><fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/>`+
		`<store xmlns='urn:xmpp:hints'/></message>`, string(raw))
	back, err := wiretest.RoundTrip(m)
	require.NoError(t, err)
	id, ok := retract.Of(back.(*stanza.Message))
	assert.True(t, ok)
	assert.Equal(t, "origin-id-1", id)
	retract.Add(m, "other")
	id, _ = retract.Of(m)
	assert.Equal(t, "other", id, "replaced")
	_, ok = retract.Of(&stanza.Message{})
	assert.False(t, ok)
}

// FuzzOf: an id read writes and reads back as itself.
func FuzzOf(f *testing.F) {
	wiretest.Seed(f, `<message><retract xmlns='urn:xmpp:message-retract:1' id='x'/></message>`,
		`<message><retract xmlns='urn:xmpp:message-retract:1'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			id, ok := retract.Of(m)
			if !ok {
				return true
			}
			back := &stanza.Message{}
			retract.Add(back, id)
			if again, ok := retract.Of(back); !ok || again != id {
				t.Fatalf("%q written and read is %q", id, again)
			}
			return true
		})
	})
}
