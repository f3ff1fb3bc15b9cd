package reply_test

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/reply"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetOf(t *testing.T) {
	var got stanza.Stanza
	wiretest.Stanzas([]byte(`<message to='anna@example.com' id='message-id2' type='chat'><body>We should bake a new cake</body>`+
		`<reply to='anna@example.com/laptop' id='message-id1' xmlns='urn:xmpp:reply:0'/></message>`),
		func(_ *xmlstream.Element, st stanza.Stanza, err error) bool {
			require.NoError(t, err)
			got = st
			return false
		})
	ref, ok := reply.Of(got.(*stanza.Message))
	assert.True(t, ok)
	assert.Equal(t, reply.Ref{To: jid.MustParse("anna@example.com/laptop"), ID: "message-id1"}, ref)

	m := &stanza.Message{}
	reply.Set(m, reply.Ref{ID: "x"})
	reply.Set(m, ref)
	require.Len(t, m.Extensions, 1)
	back, err := wiretest.RoundTrip(m)
	require.NoError(t, err)
	again, ok := reply.Of(back.(*stanza.Message))
	assert.True(t, ok)
	assert.Equal(t, ref, again)
	_, ok = reply.Of(&stanza.Message{})
	assert.False(t, ok)
}

// FuzzOf: a reference read writes and reads back as itself.
func FuzzOf(f *testing.F) {
	wiretest.Seed(f, `<message><reply xmlns='urn:xmpp:reply:0' to='a@b/c' id='x'/></message>`,
		`<message><reply xmlns='urn:xmpp:reply:0' to='@' id='x'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			ref, ok := reply.Of(m)
			if !ok {
				return true
			}
			back := &stanza.Message{}
			reply.Set(back, ref)
			if again, ok := reply.Of(back); !ok || again != ref {
				t.Fatalf("%+v written and read is %+v", ref, again)
			}
			return true
		})
	})
}
