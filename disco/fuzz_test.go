package disco

import (
	"reflect"
	"testing"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// resultPayload returns the payload with the given name of a result IQ,
// as Client.Info and Client.Items receive it, or nil.
func resultPayload(st stanza.Stanza, err error, name xmlstream.Name) *stanza.Node {
	iq, ok := st.(*stanza.IQ)
	if err != nil || !ok || iq.Type != stanza.Result || iq.Payload == nil || iq.Payload.Name != name {
		return nil
	}
	return iq.Payload
}

// FuzzInfo reads disco#info results (XEP-0030 section 3, XEP-0128) as
// Client.Info does. The identities, features and forms are exactly the
// children encoding/xml finds, in order; the Info, written as the
// Client answers a query, reads back the same (a form without a type
// comes back a result, as MarshalNode writes it).
func FuzzInfo(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0030 examples 2 and 10; XEP-0115 example 8 (XEP-0128 forms).
		`<iq type='result' from='plays.shakespeare.lit' to='romeo@montague.net/orchard' id='info1'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text' name='Play-Specific Chatrooms'/><identity category='directory' type='chatroom' name='Play-Specific Chatrooms'/><feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/><feature var='jabber:iq:register'/><feature var='jabber:iq:search'/><feature var='jabber:iq:time'/><feature var='jabber:iq:version'/></query></iq>`,
		`<iq type='result' from='mim.shakespeare.lit' to='romeo@montague.net/orchard' id='info3'><query xmlns='http://jabber.org/protocol/disco#info' node='http://jabber.org/protocol/commands'><identity category='automation' type='command-list'/><feature var='http://jabber.org/protocol/disco#info'/></query></iq>`,
		`<iq from='benvolio@capulet.lit/230193' id='disco1' to='juliet@capulet.lit/chamber' type='result'><query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='><identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/><identity xml:lang='el' category='client' name='&#936; 0.11' type='pc'/><feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field><field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field><field var='os'><value>Mac</value></field><field var='os_version'><value>10.5.1</value></field><field var='software'><value>Psi</value></field><field var='software_version'><value>0.11</value></field></x></query></iq>`,
		`<iq type='result' id='i'><query xmlns='http://jabber.org/protocol/disco#info'><identity/><feature/><x xmlns='jabber:x:data'><field var='FORM_TYPE'><value>t</value></field></x><other/></query></iq>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			q := resultPayload(st, err, infoName)
			if q == nil {
				return true
			}
			var info Info
			if err := info.UnmarshalNode(*q); err != nil {
				t.Fatalf("%s: %v", el.Raw, err)
			}
			if ref, err := wiretest.Reference(el.Raw); err == nil {
				checkInfo(t, el.Raw, &info, &ref.Nodes[0])
			}
			n, err := info.MarshalNode()
			if err != nil {
				t.Fatalf("%#v does not marshal: %v", info, err)
			}
			back, err := wiretest.Payload(n)
			if err != nil {
				t.Fatalf("%#v does not go through the codec: %v", info, err)
			}
			var again Info
			want := info.Clone()
			for k := range want.Forms {
				if want.Forms[k].Type == "" {
					want.Forms[k].Type = dataform.TypeResult
				}
			}
			if err := again.UnmarshalNode(*back); err != nil || !reflect.DeepEqual(&again, want) {
				t.Fatalf("%s: %#v comes back as %#v, %v", el.Raw, want, again, err)
			}
			return true
		})
	})
}

// checkInfo compares info with the query encoding/xml read.
func checkInfo(t *testing.T, raw string, info *Info, q *wiretest.XMLNode) {
	t.Helper()
	var ids []Identity
	var features []string
	forms := 0
	for _, c := range q.Nodes {
		switch c.XMLName {
		case xmlstream.Name{Space: NSInfo, Local: "identity"}:
			id := Identity{Category: c.Attr("category"), Type: c.Attr("type"), Name: c.Attr("name")}
			for _, a := range c.Attrs {
				if a.Name == langAttr {
					id.Lang = a.Value
				}
			}
			ids = append(ids, id)
		case xmlstream.Name{Space: NSInfo, Local: "feature"}:
			features = append(features, c.Attr("var"))
		case formName:
			forms++
		}
	}
	if info.Node != q.Attr("node") || !reflect.DeepEqual(info.Identities, ids) || !reflect.DeepEqual(info.Features, features) || len(info.Forms) != forms {
		t.Fatalf("%s: %#v; reference %q %v %q and %d forms", raw, info, q.Attr("node"), ids, features, forms)
	}
}

// FuzzItems reads disco#items results (XEP-0030 section 4) as
// Client.Items does. They are refused exactly when an item encoding/xml
// finds has no valid jid; otherwise the items are those, in order, and,
// written as the Client answers a query, read back the same.
func FuzzItems(f *testing.F) {
	wiretest.Seed(f,
		// XEP-0030 examples 17, 18, 20 and 25.
		`<iq type='result' from='shakespeare.lit' to='romeo@montague.net/orchard' id='items1'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='people.shakespeare.lit' name='Directory of Characters'/><item jid='plays.shakespeare.lit' name='Play-Specific Chatrooms'/><item jid='mim.shakespeare.lit' name='Gateway to Marlowe IM'/></query></iq>`,
		`<iq type='result' from='shakespeare.lit' to='romeo@montague.net/orchard' id='items1'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`,
		`<iq type='result' from='catalog.shakespeare.lit' to='romeo@montague.net/orchard' id='items2'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='catalog.shakespeare.lit' node='books' name='Books by and about Shakespeare'/><item jid='catalog.shakespeare.lit' node='clothing' name='Wear your literary taste with pride'/></query></iq>`,
		`<iq from='romeo@montague.net' id='items4' to='juliet@capulet.com/chamber' type='result'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/tune'><item jid='pubsub.shakespeare.lit' name='Romeo&apos;s CD player' node='s623nms9s3bfh8js'/><item jid='juliet@capulet.com/balcony'/></query></iq>`,
		`<iq type='result' id='x'><query xmlns='http://jabber.org/protocol/disco#items'><item/><item jid='a@b'/></query></iq>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			q := resultPayload(st, err, itemsName)
			if q == nil {
				return true
			}
			items, err := parseItems(q)
			if ref, rerr := wiretest.Reference(el.Raw); rerr == nil {
				var want []Item
				valid := true
				for _, c := range ref.Nodes[0].Nodes {
					if c.XMLName != (xmlstream.Name{Space: NSItems, Local: "item"}) {
						continue
					}
					j, jerr := jid.Parse(c.Attr("jid"))
					valid = valid && jerr == nil
					want = append(want, Item{JID: j, Node: c.Attr("node"), Name: c.Attr("name")})
				}
				if valid != (err == nil) || valid && len(items)+len(want) > 0 && !reflect.DeepEqual(items, want) {
					t.Fatalf("%s: %#v, %v; reference %#v", el.Raw, items, err, want)
				}
			}
			if err != nil {
				return true
			}
			back, err := wiretest.Payload(itemsNode(q.Attr("node"), items))
			if err != nil {
				t.Fatalf("%#v does not go through the codec: %v", items, err)
			}
			again, err := parseItems(back)
			if err != nil || len(again)+len(items) > 0 && !reflect.DeepEqual(again, items) || back.Attr("node") != q.Attr("node") {
				t.Fatalf("%s: %#v comes back as %#v, %v", el.Raw, items, again, err)
			}
			return true
		})
	})
}
