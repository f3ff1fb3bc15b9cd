package entitytime

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParse reads entity time results as Query does: a result parses or
// is ErrMalformed, and a time that parses, written as the Manager writes
// answers, reads back as the same instant with the same offset (to the
// millisecond that answers carry).
func FuzzParse(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='t'><time xmlns='urn:xmpp:time'><tzo>-06:00</tzo><utc>2006-12-19T17:58:35Z</utc></time></iq>`,
		`<iq type='result' id='t'><time xmlns='urn:xmpp:time'><tzo>Z</tzo><utc>2006-12-19T17:58:35.123456+01:00</utc></time></iq>`,
		`<iq type='result' id='t'><time xmlns='urn:xmpp:time'><tzo>+5:30</tzo><utc>2006-12-19T17:58:35</utc></time></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			iq, ok := st.(*stanza.IQ)
			if err != nil || !ok || iq.Type != stanza.Result {
				return true
			}
			tm, err := parse(iq.Payload)
			if err != nil {
				return true
			}
			if tm.Year() < 0 || tm.Year() > 9999 {
				return true // not writable in XEP-0082's form
			}
			back, err := wiretest.Payload(node(tm))
			if err != nil {
				t.Fatalf("%s: %v does not go through the codec: %v", el.Raw, tm, err)
			}
			again, err := parse(back)
			if err != nil {
				t.Fatalf("%s: %v written does not read back: %v", el.Raw, tm, err)
			}
			if !again.Equal(tm.Truncate(1e6)) || offset(again) != offset(tm) {
				t.Fatalf("%s: %v read back as %v", el.Raw, tm, again)
			}
			return true
		})
	})
}
