package push_test

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/push"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParseNotification feeds bytes through the connection's decoder to
// ParseNotification: what it takes names a node, and a count it reports
// is one the summary holds.
func FuzzParseNotification(f *testing.F) {
	wiretest.Seed(f, example,
		`<iq type='set' id='1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'><item><notification xmlns='urn:xmpp:push:0'><x xmlns='jabber:x:data'><field var='FORM_TYPE'><value>urn:xmpp:push:summary</value></field><field var='message-count'><value>-5</value></field></x></notification></item></publish></pubsub></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			iq, ok := st.(*stanza.IQ)
			if !ok {
				return true
			}
			n, err := push.ParseNotification(iq.Payload)
			if err != nil {
				return true
			}
			if n.Node == "" {
				t.Fatal("a notification without a node taken")
			}
			if n.MessageCount < -1 || n.MessageCount >= 0 && n.Summary == nil {
				t.Fatalf("count %d without a summary that says so", n.MessageCount)
			}
			return true
		})
	})
}
