package forward_test

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/forward"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// XEP-0297 example 2, as a client receives it.
const example = `<message to='mercutio@verona.lit' from='romeo@montague.lit/orchard' type='chat' id='28gs'>
  <body>A most courteous exposition!</body>
  <forwarded xmlns='urn:xmpp:forward:0'>
    <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>
    <message from='juliet@capulet.lit/orchard' id='0202197' to='romeo@montague.lit' type='chat' xmlns='jabber:client'>
        <body>Yet I should kill thee with much cherishing.</body>
        <mood xmlns='http://jabber.org/protocol/mood'><amorous/></mood>
    </message>
  </forwarded>
</message>`

func TestRead(t *testing.T) {
	var f forward.Forwarded
	ok, err := stanza.FindExtension(wiretest.Message(t, example).Extensions, &f)
	require.True(t, ok)
	require.NoError(t, err)
	assert.True(t, f.Delay.Stamp.Equal(time.Date(2010, 7, 10, 23, 8, 25, 0, time.UTC)))
	m := f.Message()
	require.NotNil(t, m)
	assert.Equal(t, "juliet@capulet.lit/orchard", m.From.String())
	assert.Equal(t, "romeo@montague.lit", m.To.String())
	assert.Equal(t, "0202197", m.ID)
	assert.Equal(t, stanza.Chat, m.Type)
	assert.Equal(t, "Yet I should kill thee with much cherishing.", m.Body(""))
	require.Len(t, m.Extensions, 1)
	assert.Equal(t, xml.Name{Space: "http://jabber.org/protocol/mood", Local: "mood"}, m.Extensions[0].Name)
}

func TestReadRefuses(t *testing.T) {
	for name, inner := range map[string]string{
		"no stanza":       `<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>`,
		"two stanzas":     `<message xmlns='jabber:client'/><message xmlns='jabber:client'/>`,
		"a bad address":   `<message xmlns='jabber:client' from='@evil'><body>x</body></message>`,
		"not a stanza ns": `<message xmlns='urn:other'><body>x</body></message>`,
	} {
		t.Run(name, func(t *testing.T) {
			m := wiretest.Message(t, `<message><forwarded xmlns='urn:xmpp:forward:0'>`+inner+`</forwarded></message>`)
			var f forward.Forwarded
			ok, err := stanza.FindExtension(m.Extensions, &f)
			assert.True(t, ok)
			assert.ErrorIs(t, err, forward.ErrMalformed)
		})
	}
}

func TestNoDelay(t *testing.T) {
	m := wiretest.Message(t, `<message><forwarded xmlns='urn:xmpp:forward:0'><presence xmlns='jabber:client' from='a@b/c'/></forwarded></message>`)
	var f forward.Forwarded
	_, err := stanza.FindExtension(m.Extensions, &f)
	require.NoError(t, err)
	assert.True(t, f.Delay.Stamp.IsZero())
	assert.Nil(t, f.Message())
	p, ok := f.Stanza.(*stanza.Presence)
	require.True(t, ok)
	assert.Equal(t, "a@b/c", p.From.String())
}

// TestWriteRoundTrip: a forwarded message written into another and sent
// reads back as itself, its delay and extensions included.
func TestWriteRoundTrip(t *testing.T) {
	orig := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Art thou not Romeo?"}},
		Extensions: []stanza.Node{{Name: xml.Name{Space: "urn:example", Local: "x"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "a"}, Value: "1"}}}}}
	orig.ID, orig.From, orig.To = "m1", jid.MustParse("juliet@capulet.lit/balcony"), jid.MustParse("romeo@montague.lit")
	stamp := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	outer := &stanza.Message{Bodies: []stanza.Text{{Value: "look"}}}
	var err error
	outer.Extensions, err = stanza.AppendExtension(nil, &forward.Forwarded{Delay: delay.Delay{Stamp: stamp}, Stanza: orig})
	require.NoError(t, err)
	st, err := wiretest.RoundTrip(outer)
	require.NoError(t, err)
	var f forward.Forwarded
	ok, err := stanza.FindExtension(st.(*stanza.Message).Extensions, &f)
	require.True(t, ok)
	require.NoError(t, err)
	assert.True(t, f.Delay.Stamp.Equal(stamp))
	got := f.Message()
	require.NotNil(t, got)
	got.Seq = orig.Seq
	assert.Equal(t, orig, got)

	_, err = stanza.AppendExtension(nil, &forward.Forwarded{})
	assert.ErrorIs(t, err, forward.ErrMalformed)
}

// FuzzForwarded: whatever a message carries, a forwarded stanza read from
// it writes and reads back as itself.
func FuzzForwarded(f *testing.F) {
	wiretest.Seed(f, example,
		`<message><forwarded xmlns='urn:xmpp:forward:0'><iq xmlns='jabber:client' type='get' id='1'><q xmlns='urn:q'/></iq></forwarded></message>`,
		`<message><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:server' type='groupchat'><subject>s</subject></message></forwarded></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			var fw forward.Forwarded
			if found, err := stanza.FindExtension(m.Extensions, &fw); !found || err != nil {
				return true
			}
			n, err := fw.MarshalNode()
			if err != nil {
				t.Fatalf("a forwarded stanza read cannot be written: %v", err)
			}
			var back forward.Forwarded
			if err := back.UnmarshalNode(*wiretest.Normalize(&n)); err != nil {
				t.Fatalf("written and read: %v", err)
			}
			a, _ := wiretest.Encode(fw.Stanza)
			b, _ := wiretest.Encode(back.Stanza)
			if string(a) != string(b) || !fw.Delay.Stamp.Equal(back.Delay.Stamp) {
				t.Fatalf("%s written and read is %s", a, b)
			}
			return true
		})
	})
}

// BenchmarkReceiveCarbon compares reading a chat message with reading
// the same message as a carbon (XEP-0280): the outer message, then the
// forwarded one through the same decoder.
func BenchmarkReceiveCarbon(b *testing.B) {
	const inner = `<message xmlns='jabber:client' from='juliet@capulet.lit/balcony' to='romeo@montague.lit/orchard' type='chat' id='m1'><body>Wherefore art thou, Romeo?</body><request xmlns='urn:xmpp:receipts'/><active xmlns='http://jabber.org/protocol/chatstates'/></message>`
	plain := []byte(inner)
	carbon := []byte(`<message from='romeo@montague.lit' to='romeo@montague.lit/orchard' type='chat'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` + inner + `</forwarded></received></message>`)
	b.Run("message", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wiretest.Stanzas(plain, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool { return false })
		}
	})
	b.Run("carbon", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wiretest.Stanzas(carbon, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
				n := &st.(*stanza.Message).Extensions[0].Nodes[0]
				var f forward.Forwarded
				if err := f.UnmarshalNode(*n); err != nil {
					b.Fatal(err)
				}
				return false
			})
		}
	})
}
