package mam

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzResult: whatever a message carries, a result read from it has an
// id and a message, and the query filter never takes a message from
// anyone but the archive or with another query id.
func FuzzResult(f *testing.F) {
	wiretest.Seed(f,
		`<message from='a@b'><result xmlns='urn:xmpp:mam:2' queryid='q' id='1'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/><message xmlns='jabber:client' from='c@d/e' type='chat'><body>x</body></message></forwarded></result></message>`,
		`<message><result xmlns='urn:xmpp:mam:0' queryid='q' id=''><forwarded xmlns='urn:xmpp:forward:0'><presence xmlns='jabber:client'/></forwarded></result></message>`,
		`<message from='r@muc'><fin xmlns='urn:xmpp:mam:1' queryid='q'/></message>`)
	own, room := jid.MustParse("a@b"), jid.MustParse("r@muc")
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			msg, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			if r, ok := readResult(msg, "q"); ok && r != nil && (r.ID == "" || r.Message == nil) {
				t.Fatalf("a result without id or message: %+v", r)
			}
			if accepts(jid.JID{}, own, "q")(msg) && !msg.From.IsZero() && msg.From != own {
				t.Fatalf("the account's archive took a message from %s", msg.From)
			}
			if accepts(room, own, "q")(msg) && msg.From != room {
				t.Fatalf("a room's archive took a message from %s", msg.From)
			}
			if accepts(room, own, "other")(msg) && accepts(room, own, "q")(msg) {
				t.Fatal("one message taken for two query ids")
			}
			return true
		})
	})
}

// FuzzFin: whatever an IQ payload is, reading it as a <fin/> does not
// panic, and a fin read has its RSM numbers at -1 or above.
func FuzzFin(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='1'><fin xmlns='urn:xmpp:mam:2' complete='true' stable='false'><set xmlns='http://jabber.org/protocol/rsm'><first index='0'>a</first><last>b</last><count>3</count></set></fin></iq>`,
		`<iq type='result' id='1'><fin xmlns='urn:xmpp:mam:0'><set xmlns='http://jabber.org/protocol/rsm'><count>x</count></set></fin></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			iq, ok := st.(*stanza.IQ)
			if !ok || iq.Payload == nil {
				return true
			}
			fn, err := readFin(iq.Payload)
			if err == nil && fn != nil && (fn.set.Count < -1 || fn.set.FirstIndex < -1) {
				t.Fatalf("fin read as %+v", fn)
			}
			return true
		})
	})
}
