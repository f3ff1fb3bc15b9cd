package hints_test

import (
	"testing"

	"github.com/gosmack/gosmack/hints"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var all = []hints.Hint{hints.NoPermanentStore, hints.NoStore, hints.NoCopy, hints.Store}

func TestAddHas(t *testing.T) {
	m := &stanza.Message{}
	hints.Add(m, hints.NoStore, hints.NoCopy, hints.NoStore, "")
	require.Len(t, m.Extensions, 2, "each once")
	raw, err := wiretest.Encode(m)
	require.NoError(t, err)
	assert.Equal(t, `<message><no-store xmlns='urn:xmpp:hints'/><no-copy xmlns='urn:xmpp:hints'/></message>`, string(raw))
	back, err := wiretest.RoundTrip(m)
	require.NoError(t, err)
	for _, h := range all {
		want := h == hints.NoStore || h == hints.NoCopy
		assert.Equal(t, want, hints.Has(back.(*stanza.Message), h), h)
	}
}

// FuzzHas: whatever a message carries, Has does not panic, and a hint it
// finds is written back once by Add.
func FuzzHas(f *testing.F) {
	wiretest.Seed(f, `<message><no-store xmlns='urn:xmpp:hints'/><store xmlns='urn:xmpp:hints'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			for _, h := range all {
				if hints.Has(m, h) {
					n := len(m.Extensions)
					c := m.Clone()
					hints.Add(c, h)
					if len(c.Extensions) != n {
						t.Fatalf("%s added twice", h)
					}
				}
			}
			return true
		})
	})
}
