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

// TestRead: the hints of XEP-0334 example 1 to 4, read from the wire.
func TestRead(t *testing.T) {
	const raw = `<message from='romeo@montague.lit/laptop' to='juliet@capulet.lit/laptop'>
  <body>V unir avtug'f pybnx gb uvqr zr sebz gurve fvtug</body>
  <no-copy xmlns='urn:xmpp:hints'/>
  <no-permanent-store xmlns='urn:xmpp:hints'/>
  <other xmlns='urn:example'/>
</message>`
	var m *stanza.Message
	wiretest.Stanzas([]byte(raw), func(_ *xmlstream.Element, st stanza.Stanza, err error) bool {
		require.NoError(t, err)
		m = st.(*stanza.Message)
		return false
	})
	require.NotNil(t, m)
	got := map[hints.Hint]bool{}
	for _, h := range all {
		got[h] = hints.Has(m, h)
	}
	assert.Equal(t, map[hints.Hint]bool{hints.NoCopy: true, hints.NoPermanentStore: true, hints.NoStore: false, hints.Store: false}, got)
	assert.False(t, hints.Has(m, ""), "the zero Hint is never present")
}

// TestAddRoundTrip: each hint added is written, read back, and added
// only once; the message's earlier extensions slice is left alone.
func TestAddRoundTrip(t *testing.T) {
	for _, h := range all {
		t.Run(string(h), func(t *testing.T) {
			m := &stanza.Message{Bodies: []stanza.Text{{Value: "x"}}, Extensions: make([]stanza.Node, 1, 4)}
			m.Extensions[0].Name.Space, m.Extensions[0].Name.Local = "urn:example", "e"
			before := m.Extensions
			hints.Add(m, h)
			hints.Add(m, h)
			hints.Add(m, "")
			assert.Len(t, m.Extensions, 2, "added once")
			assert.Len(t, before[:cap(before)][1].Name.Local, 0, "the old backing array is untouched")
			st, err := wiretest.RoundTrip(m)
			require.NoError(t, err)
			for _, other := range all {
				assert.Equal(t, other == h, hints.Has(st.(*stanza.Message), other), other)
			}
		})
	}
}
