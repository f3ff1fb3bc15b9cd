package bookmarks

import (
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzParseItem: whatever a bookmarks notification carries, each
// bookmark read has a bare room, and written back as a conference and
// read again is the same bookmark; written as XEP-0048's conference and
// read again, it is the same too.
func FuzzParseItem(f *testing.F) {
	wiretest.Seed(f,
		`<message from='a@localhost'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'><item id='r@c'><conference xmlns='urn:xmpp:bookmarks:1' name='n' autojoin='1'><nick>x</nick><password>p</password><extensions><s xmlns='urn:s' a='b'>t<u/></s>text<nick xmlns='storage:bookmarks'>z</nick></extensions></conference></item><retract id='q@c'/></items></event></message>`,
		`<message><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'><item id='r@c/x'><conference xmlns='urn:xmpp:bookmarks:1'/></item><item id='@'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='yes'/></item></items></event></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			msg, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			e, ok := pubsub.ParseEvent(msg)
			if !ok {
				return true
			}
			for _, it := range e.Items {
				b, ok := parseItem(it.ID, it.Payload)
				if !ok {
					continue
				}
				if b.Room.IsZero() || b.Room.Resourcepart() != "" {
					t.Fatalf("bookmark of room %q", b.Room)
				}
				again, ok := parseItem(b.Room.String(), b.conference())
				if !ok || !equal(b, again) {
					t.Fatalf("%+v written and read is %+v", b, again)
				}
				legacy := b.legacy()
				back := parseStorage(&stanza.Node{Name: storageName, Nodes: []stanza.Node{legacy}})
				if len(back) != 1 || !equal(normal(b), back[0]) {
					t.Fatalf("%+v written as XEP-0048 and read is %+v", b, back)
				}
			}
			return true
		})
	})
}

// normal returns b as writing it as XEP-0048's conference and reading
// it gives it back: extensions in XEP-0048's namespace are not written.
func normal(b Bookmark) Bookmark {
	var ext []stanza.Node
	for _, e := range b.Extensions {
		if e.Name.Space != NSLegacy {
			ext = append(ext, e)
		}
	}
	b.Extensions = ext
	return b
}

// FuzzParseStorage: whatever XEP-0048 storage the server returns, the
// bookmarks read have bare rooms, each once; editing the storage for a
// room and reading it again gives that room's bookmark and keeps every
// other room's; removing it leaves the others.
func FuzzParseStorage(f *testing.F) {
	wiretest.Seed(f,
		`<iq type='result' id='a'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='r@c' name='n' autojoin='true'><nick>x</nick><password>p</password><y xmlns='urn:y'/></conference><url url='https://e' name='e'/><conference jid='r@c'/><conference jid='bad/x'/><conference/></storage></query></iq>`,
		`<iq type='result' id='b'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`)
	room := jid.MustParse("fuzz@conference.localhost")
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			iq, ok := st.(*stanza.IQ)
			if !ok || iq.Payload == nil {
				return true
			}
			storage := iq.Payload.Child(NSLegacy, "storage")
			list := parseStorage(storage)
			seen := map[jid.JID]bool{}
			for _, b := range list {
				if b.Room.IsZero() || b.Room.Resourcepart() != "" || seen[b.Room] {
					t.Fatalf("bookmark of room %q (seen: %v)", b.Room, seen[b.Room])
				}
				seen[b.Room] = true
			}
			want := Bookmark{Room: room, Name: "n", Autojoin: true, Nick: "x"}
			out, _ := edit(storage, room, &want)
			after := parseStorage(&out)
			found := false
			for _, b := range after {
				if b.Room == room {
					found = found || equal(b, want)
				} else if !seen[b.Room] {
					t.Fatalf("room %s appeared", b.Room)
				}
			}
			if !found || len(after) != len(list)+boolInt(!seen[room]) {
				t.Fatalf("edit for %s: %d bookmarks, was %d", room, len(after), len(list))
			}
			out, _ = edit(&out, room, nil)
			if n := len(parseStorage(&out)); n != len(after)-1 {
				t.Fatalf("remove %s: %d bookmarks, was %d", room, n, len(after))
			}
			return true
		})
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
