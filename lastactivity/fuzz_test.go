package lastactivity

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParse reads last activity results as Query does: a result parses
// or is ErrMalformed, an Activity is never negative, and one that parses,
// written as the Manager writes answers, reads back the same.
func FuzzParse(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='l'><query xmlns='jabber:iq:last' seconds='903'>Heading Home</query></iq>`,
		`<iq type='result' id='l'><query xmlns='jabber:iq:last' seconds='9223372036'/></iq>`,
		`<iq type='result' id='l'><query xmlns='jabber:iq:last' seconds='+1'/></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			iq, ok := st.(*stanza.IQ)
			if err != nil || !ok || iq.Type != stanza.Result {
				return true
			}
			a, err := parse(iq.Payload)
			if err != nil {
				return true
			}
			if a.Idle < 0 {
				t.Fatalf("%s: negative %v", el.Raw, a.Idle)
			}
			back, err := wiretest.Payload(node(a))
			if err != nil {
				t.Fatalf("%s: %+v does not go through the codec: %v", el.Raw, a, err)
			}
			again, err := parse(back)
			if err != nil || again != a {
				t.Fatalf("%s: %+v read back as %+v, %v", el.Raw, a, again, err)
			}
			return true
		})
	})
}
