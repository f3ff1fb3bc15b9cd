package private

import (
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParse: whatever an IQ result carries, parse returns the element
// asked for, a copy with its name, or ErrMalformed.
func FuzzParse(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='a'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='r@c' autojoin='1'><nick>n</nick></conference></storage></query></iq>`,
		`<iq type='result' id='b'><query xmlns='jabber:iq:private'/></iq>`,
		`<iq type='result' id='c'><query xmlns='jabber:iq:privat'><storage xmlns='storage:bookmarks'/></query></iq>`)
	name := xml.Name{Space: "storage:bookmarks", Local: "storage"}
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			iq, ok := st.(*stanza.IQ)
			if !ok {
				return true
			}
			el, err := parse(iq.Payload, name)
			if err != nil {
				return true
			}
			if el.Name != name || el == iq.Payload.Child(name.Space, name.Local) {
				t.Fatalf("parse returned %v, not a copy of the element asked for", el.Name)
			}
			return true
		})
	})
}
