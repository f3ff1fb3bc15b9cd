package carbons

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// BenchmarkReceive compares, in one run, what receiving costs per
// message without carbons and with them (BENCHMARKS.md):
//   - message/without: a chat message read by the connection's decoder;
//   - message/with: the same with a Carbons attached, which looks at
//     every message for a carbon element (the filter of its listener);
//   - carbon: the same message as a received carbon: the carrier read,
//     the filter, and the copy decoded and checked by the Carbons and
//     read again by package chat through Of (from the Carbons's cache).
func BenchmarkReceive(b *testing.B) {
	const inner = `<message xmlns='jabber:client' from='juliet@capulet.lit/balcony' to='romeo@montague.lit/orchard' type='chat' id='m1'><body>Wherefore art thou, Romeo?</body><request xmlns='urn:xmpp:receipts'/><active xmlns='http://jabber.org/protocol/chatstates'/></message>`
	plain := []byte(inner)
	carbon := []byte(`<message from='romeo@montague.lit' to='romeo@montague.lit/garden' type='chat'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` + inner + `</forwarded></received></message>`)
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("romeo@montague.lit")})
	m := For(c)
	read := func(b *testing.B, data []byte, f func(*stanza.Message)) {
		b.ReportAllocs()
		for b.Loop() {
			wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
				f(st.(*stanza.Message))
				return false
			})
		}
	}
	b.Run("message/without", func(b *testing.B) { read(b, plain, func(*stanza.Message) {}) })
	b.Run("message/with", func(b *testing.B) {
		read(b, plain, func(msg *stanza.Message) {
			if isCarbon(msg) {
				b.Fatal("a carbon")
			}
		})
	})
	b.Run("carbon", func(b *testing.B) {
		read(b, carbon, func(msg *stanza.Message) {
			if !isCarbon(msg) {
				b.Fatal("not a carbon")
			}
			if _, err := m.parse(msg); err != nil {
				b.Fatal(err)
			}
			if _, ok := Of(c, msg); !ok {
				b.Fatal("refused")
			}
		})
	})
}
