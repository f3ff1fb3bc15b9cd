package pubsub

import (
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParseEvent: whatever a message carries, ParseEvent returns an
// event of a known kind with a node, or none; an event written back with
// its items and retractions reads as the same event.
func FuzzParseEvent(f *testing.F) {
	wiretest.Seed(f,
		`<message from='pubsub.localhost'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><item id='1' publisher='a@b/c'><e xmlns='urn:e'>t</e></item><retract id='2'/></items></event><delay xmlns='urn:xmpp:delay' stamp='2026-12-01T10:00:00Z'/></message>`,
		`<message><event xmlns='http://jabber.org/protocol/pubsub#event'><delete node='n'><redirect uri='xmpp:x'/></delete></event></message>`,
		`<message><event xmlns='http://jabber.org/protocol/pubsub#event'><purge node='n'/></event></message>`,
		`<message><event xmlns='http://jabber.org/protocol/pubsub#event'><configuration node='n'><x xmlns='jabber:x:data' type='result'><field var='a'><value>b</value></field></x></configuration></event></message>`,
		`<message type='error'><event xmlns='http://jabber.org/protocol/pubsub#event'><items/><subscription node='n'/></event></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			msg, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			e, ok := ParseEvent(msg)
			if !ok {
				return true
			}
			if e.Node == "" || e.Message != msg {
				t.Fatalf("event %+v without its node or message", e)
			}
			switch e.Kind {
			case EventItems, EventPurge, EventDelete, EventConfig:
			default:
				t.Fatalf("event of kind %q", e.Kind)
			}
			if e.Kind != EventItems {
				return true
			}
			items := stanza.Node{Name: xml.Name{Space: NSEvent, Local: "items"}, Attrs: nodeAttr(e.Node)}
			for _, it := range e.Items {
				n := it.node(NSEvent)
				if !it.Publisher.IsZero() {
					n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "publisher"}, Value: it.Publisher.String()})
				}
				items.Nodes = append(items.Nodes, n)
			}
			for _, id := range e.Retracted {
				items.Nodes = append(items.Nodes, stanza.Node{Name: xml.Name{Space: NSEvent, Local: "retract"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: id}}})
			}
			back := &stanza.Message{Extensions: []stanza.Node{{Name: eventName, Nodes: []stanza.Node{items}}}}
			again, ok := ParseEvent(back)
			if !ok || again.Node != e.Node || len(again.Items) != len(e.Items) || len(again.Retracted) != len(e.Retracted) {
				t.Fatalf("%+v written and read is %+v", e, again)
			}
			for k := range e.Items {
				a, b := e.Items[k], again.Items[k]
				if a.ID != b.ID || a.Publisher != b.Publisher || (a.Payload == nil) != (b.Payload == nil) {
					t.Fatalf("item %+v written and read is %+v", a, b)
				}
			}
			return true
		})
	})
}

// FuzzParseReplies: whatever an IQ result carries, the readers of items,
// subscriptions and affiliations answers return without panicking, and
// every item read has a payload that is an element, or none.
func FuzzParseReplies(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='a'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'><item id='1'>t<e xmlns='urn:e'/></item><item/></items><set xmlns='http://jabber.org/protocol/rsm'><first index='0'>1</first><last>1</last><count>9</count></set></pubsub></iq>`,
		`<iq type='result' id='b'><pubsub xmlns='http://jabber.org/protocol/pubsub'><subscription node='n' jid='a@b' subid='s' subscription='subscribed'/></pubsub></iq>`,
		`<iq type='result' id='c'><pubsub xmlns='http://jabber.org/protocol/pubsub'><set xmlns='http://jabber.org/protocol/rsm'><count>-1</count></set></pubsub></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			iq, ok := st.(*stanza.IQ)
			if !ok || iq.Payload == nil {
				return true
			}
			if page, err := parsePage(iq.Payload); err == nil {
				for _, it := range page.Items {
					if it.Payload != nil && it.Payload.IsText() {
						t.Fatalf("item %q has a text payload", it.ID)
					}
				}
			}
			if s := child(iq.Payload, NS, "subscription"); s != nil {
				_, _ = parseSubscription(s, "n")
			}
			return true
		})
	})
}
