package blocking

import (
	"slices"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParse reads block list results and pushes as the Manager does. A
// list has no repeats; a push is a block with JIDs, an unblock with JIDs
// or an unblock of all, never two of them; what parses, written as the
// Manager writes its commands, reads back the same.
func FuzzParse(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='b'><blocklist xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/><item jid='iago@shakespeare.lit'/><item jid='romeo@montague.net'/><item/></blocklist></iq>`,
		`<iq type='set' id='p'><block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></block></iq>`,
		`<iq type='set' id='p'><unblock xmlns='urn:xmpp:blocking'><item jid='a@b/c'/><item jid='@@'/></unblock></iq>`,
		`<iq type='set' id='p'><unblock xmlns='urn:xmpp:blocking'/></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, err error) bool {
			iq, ok := st.(*stanza.IQ)
			if err != nil || !ok || iq.Payload == nil {
				return true
			}
			switch {
			case iq.Type == stanza.Result:
				l, err := parseList(iq.Payload)
				if err != nil {
					return true
				}
				for i, j := range l {
					if slices.Contains(l[:i], j) {
						t.Fatalf("%s: %s twice", el.Raw, j)
					}
				}
				back, err := wiretest.Payload(stanza.Node{Name: listName, Nodes: items(l)})
				if err != nil {
					t.Fatalf("%s: %v does not go through the codec: %v", el.Raw, l, err)
				}
				again, err := parseList(back)
				if err != nil || !slices.Equal(again, l) {
					t.Fatalf("%s: %v read back as %v, %v", el.Raw, l, again, err)
				}
			case iq.Type == stanza.Set && (iq.Payload.Name == blockName || iq.Payload.Name == unblockName):
				e, err := parsePush(iq.Payload)
				if err != nil {
					return true
				}
				kinds := 0
				for _, has := range []bool{len(e.Blocked) > 0, len(e.Unblocked) > 0, e.All} {
					if has {
						kinds++
					}
				}
				if kinds != 1 {
					t.Fatalf("%s: read as %+v", el.Raw, e)
				}
				name, l := blockName, e.Blocked
				if e.Blocked == nil {
					name, l = unblockName, e.Unblocked
				}
				back, err := wiretest.Payload(stanza.Node{Name: name, Nodes: items(l)})
				if err != nil {
					t.Fatalf("%s: %+v does not go through the codec: %v", el.Raw, e, err)
				}
				again, err := parsePush(back)
				if err != nil || !slices.Equal(again.Blocked, e.Blocked) || !slices.Equal(again.Unblocked, e.Unblocked) || again.All != e.All {
					t.Fatalf("%s: %+v read back as %+v, %v", el.Raw, e, again, err)
				}
			}
			return true
		})
	})
}
