package bookmarks

import (
	"encoding/xml"
	"slices"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// Namespaces and features of bookmarks.
const (
	// NS is the namespace of XEP-0402's conference element and the name
	// of the account's PEP node of bookmarks.
	NS = "urn:xmpp:bookmarks:1"
	// NSCompat is the feature a server announces on the account when it
	// keeps XEP-0402's bookmarks and XEP-0048's in private storage in
	// step (XEP-0402 section 7.3).
	NSCompat = NS + "#compat"
	// NSLegacy is the namespace of XEP-0048's storage element, kept in
	// private XML storage (XEP-0049).
	NSLegacy = "storage:bookmarks"
)

var storageName = xml.Name{Space: NSLegacy, Local: "storage"}

// Bookmark is one bookmarked room (XEP-0402's conference, XEP-0048's
// conference). The zero Bookmark names no room; a Bookmark is a plain
// value, whose Extensions are the caller's to change once it holds it
// (the Manager hands out copies).
type Bookmark struct {
	// Room is the room's address, a bare JID (the PEP item's id).
	Room jid.JID
	// Name is the name the user gave the bookmark; "" for none.
	Name string
	// Autojoin says whether the user's clients enter the room at login.
	Autojoin bool
	// Nick is the nickname to enter the room with; "" for none (the
	// Manager's AutojoinNick, when it enters the room).
	Nick string
	// Password is the room's password; "" for none. Bookmarks are not a
	// secure store for it (XEP-0402).
	Password string
	// Extensions are the elements of the conference's extensions (XEP-0402;
	// for XEP-0048 the conference's unknown child elements), kept as they
	// are: other clients' data, which an edit must write back. Edit a
	// Bookmark read from the Manager to keep them.
	Extensions []stanza.Node
}

// clone returns b with Extensions of its own.
func (b Bookmark) clone() Bookmark {
	if b.Extensions != nil {
		ext := make([]stanza.Node, len(b.Extensions))
		for k := range b.Extensions {
			ext[k] = *b.Extensions[k].Clone()
		}
		b.Extensions = ext
	}
	return b
}

// equal reports whether a and b are the same bookmark.
func equal(a, b Bookmark) bool {
	if a.Room != b.Room || a.Name != b.Name || a.Autojoin != b.Autojoin || a.Nick != b.Nick || a.Password != b.Password || len(a.Extensions) != len(b.Extensions) {
		return false
	}
	for k := range a.Extensions {
		if !nodeEqual(&a.Extensions[k], &b.Extensions[k]) {
			return false
		}
	}
	return true
}

func nodeEqual(a, b *stanza.Node) bool {
	if a.Name != b.Name || a.Text != b.Text || len(a.Nodes) != len(b.Nodes) || !slices.Equal(a.Attrs, b.Attrs) {
		return false
	}
	for k := range a.Nodes {
		if !nodeEqual(&a.Nodes[k], &b.Nodes[k]) {
			return false
		}
	}
	return true
}

// parseBool reads an xs:boolean.
func parseBool(v string) bool { return v == "true" || v == "1" }

// conference returns b's XEP-0402 conference element, the payload of its
// PEP item.
func (b *Bookmark) conference() *stanza.Node {
	n := &stanza.Node{Name: xml.Name{Space: NS, Local: "conference"}}
	b.fill(n, NS)
	if len(b.Extensions) > 0 {
		ext := stanza.Node{Name: xml.Name{Space: NS, Local: "extensions"}}
		for k := range b.Extensions {
			ext.Nodes = append(ext.Nodes, *b.Extensions[k].Clone())
		}
		n.Nodes = append(n.Nodes, ext)
	}
	return n
}

// legacy returns b's XEP-0048 conference element.
func (b *Bookmark) legacy() stanza.Node {
	n := stanza.Node{Name: xml.Name{Space: NSLegacy, Local: "conference"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: b.Room.String()}}}
	b.fill(&n, NSLegacy)
	for k := range b.Extensions {
		if b.Extensions[k].Name.Space != NSLegacy { // XEP-0048's own would read as its nick or password
			n.Nodes = append(n.Nodes, *b.Extensions[k].Clone())
		}
	}
	return n
}

// fill adds b's name and autojoin attributes and its nick and password
// elements (of namespace space) to the conference element n.
func (b *Bookmark) fill(n *stanza.Node, space string) {
	if b.Name != "" {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "name"}, Value: b.Name})
	}
	if b.Autojoin {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "autojoin"}, Value: "true"})
	}
	n.Nodes = appendText(n.Nodes, space, "nick", b.Nick)
	n.Nodes = appendText(n.Nodes, space, "password", b.Password)
}

func appendText(nodes []stanza.Node, space, local, text string) []stanza.Node {
	if text == "" {
		return nodes
	}
	return append(nodes, stanza.Node{Name: xml.Name{Space: space, Local: local}, Nodes: []stanza.Node{{Text: text}}})
}

// parseItem reads a PEP item of the bookmarks node: its id is the room,
// its payload the conference. It reports false for an item that is not
// a bookmark (an id that is not a bare JID, no conference payload).
func parseItem(id string, payload *stanza.Node) (Bookmark, bool) {
	room, ok := parseRoom(id)
	if !ok || payload == nil || payload.Name != (xml.Name{Space: NS, Local: "conference"}) {
		return Bookmark{}, false
	}
	b := Bookmark{Room: room, Name: payload.Attr("name"), Autojoin: parseBool(payload.Attr("autojoin"))}
	for k := range payload.Nodes {
		c := &payload.Nodes[k]
		if c.Name.Space != NS {
			continue
		}
		switch c.Name.Local {
		case "nick":
			b.Nick = c.InnerText()
		case "password":
			b.Password = c.InnerText()
		case "extensions":
			for j := range c.Nodes {
				if !c.Nodes[j].IsText() {
					b.Extensions = append(b.Extensions, *c.Nodes[j].Clone())
				}
			}
		}
	}
	return b, true
}

// parseStorage reads XEP-0048's storage element: its conferences with a
// room's address (others are skipped), in order; a room named twice
// counts once, the first time.
func parseStorage(storage *stanza.Node) []Bookmark {
	if storage == nil || storage.Name != storageName {
		return nil
	}
	var list []Bookmark
	seen := map[jid.JID]bool{}
	for k := range storage.Nodes {
		c := &storage.Nodes[k]
		if c.Name != (xml.Name{Space: NSLegacy, Local: "conference"}) {
			continue
		}
		room, ok := parseRoom(c.Attr("jid"))
		if !ok || seen[room] {
			continue
		}
		seen[room] = true
		b := Bookmark{Room: room, Name: c.Attr("name"), Autojoin: parseBool(c.Attr("autojoin"))}
		for j := range c.Nodes {
			n := &c.Nodes[j]
			switch {
			case n.IsText():
			case n.Name == xml.Name{Space: NSLegacy, Local: "nick"}:
				b.Nick = n.InnerText()
			case n.Name == xml.Name{Space: NSLegacy, Local: "password"}:
				b.Password = n.InnerText()
			default:
				b.Extensions = append(b.Extensions, *n.Clone())
			}
		}
		list = append(list, b)
	}
	return list
}

// parseRoom reads a room's address: a bare JID.
func parseRoom(s string) (jid.JID, bool) {
	j, err := jid.Parse(s)
	if err != nil || j.IsZero() || j.Resourcepart() != "" {
		return jid.JID{}, false
	}
	return j, true
}

// edit returns storage (XEP-0048's storage element, nil for none) with
// the conference of room replaced by b, or removed when b is nil; every
// other element (other rooms, URLs, unknown elements) is kept as it is.
// It reports whether anything changed.
func edit(storage *stanza.Node, room jid.JID, b *Bookmark) (stanza.Node, bool) {
	out := stanza.Node{Name: storageName}
	if storage != nil {
		out.Attrs = storage.Attrs
	}
	changed, placed := false, false
	if storage != nil {
		for k := range storage.Nodes {
			c := &storage.Nodes[k]
			if c.Name == (xml.Name{Space: NSLegacy, Local: "conference"}) {
				if r, ok := parseRoom(c.Attr("jid")); ok && r == room {
					changed = true
					if b != nil && !placed {
						out.Nodes = append(out.Nodes, b.legacy())
						placed = true
					}
					continue
				}
			}
			out.Nodes = append(out.Nodes, *c)
		}
	}
	if b != nil && !placed {
		out.Nodes = append(out.Nodes, b.legacy())
		changed = true
	}
	return out, changed
}
