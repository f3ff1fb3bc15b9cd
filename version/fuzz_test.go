package version

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParse reads version results as Query does: a result parses or is
// ErrMalformed, and one that parses answers, written as the Manager
// writes answers, reads back the same.
func FuzzParse(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='v'><query xmlns='jabber:iq:version'><name>Prosody</name><version>0.12.3</version><os>Linux</os></query></iq>`,
		`<iq type='result' id='v'><query xmlns='jabber:iq:version'><name>a&amp;b</name><version/></query></iq>`,
		`<iq type='result' id='v'><query xmlns='jabber:iq:version'><version>1</version></query></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			iq, ok := st.(*stanza.IQ)
			if err != nil || !ok || iq.Type != stanza.Result {
				return true
			}
			info, err := parse(iq.Payload)
			if err != nil {
				return true
			}
			q := stanza.Node{Name: queryName, Nodes: []stanza.Node{textNode("name", info.Name), textNode("version", info.Version), textNode("os", info.OS)}}
			back, err := wiretest.Payload(q)
			if err != nil {
				t.Fatalf("%s: %+v does not go through the codec: %v", el.Raw, info, err)
			}
			again, err := parse(back)
			if err != nil || again != info {
				t.Fatalf("%s: %+v read back as %+v, %v", el.Raw, info, again, err)
			}
			return true
		})
	})
}
