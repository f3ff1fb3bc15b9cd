package carbons

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParse: whatever a message carries, parse neither panics nor
// accepts a carbon that breaks its rules: the carrier is from the
// account's bare JID (or has no from), the copy is a message, and it is
// the account's in its direction.
func FuzzParse(f *testing.F) {
	self := jid.MustParse("alice@localhost")
	wiretest.Seed(f,
		`<message from='alice@localhost' type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost' type='chat'><body>x</body></message></forwarded></sent></message>`,
		`<message><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/><message xmlns='jabber:client' from='bob@localhost/desk' to='alice@localhost/phone'><body>y</body></message></forwarded></received></message>`,
		`<message from='bob@localhost/desk'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@localhost/desk' to='alice@localhost'/></forwarded></received></message>`,
		`<message from='alice@localhost'><sent xmlns='urn:xmpp:carbons:2'/><received xmlns='urn:xmpp:carbons:2'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			cb, err := parse(self, m)
			if err != nil {
				return true
			}
			if !m.From.IsZero() && m.From != self {
				t.Fatalf("accepted a carbon from %s", m.From)
			}
			if cb.Message == nil || cb.Outer != m {
				t.Fatalf("accepted %+v", cb)
			}
			own := cb.Message.To
			switch cb.Direction {
			case Sent:
				own = cb.Message.From
			case Received:
			default:
				t.Fatalf("accepted a carbon without a direction: %v", cb.Direction)
			}
			if !own.IsZero() && own.Bare() != self {
				t.Fatalf("accepted a %s copy of someone else's message: %s", cb.Direction, own)
			}
			return true
		})
	})
}
