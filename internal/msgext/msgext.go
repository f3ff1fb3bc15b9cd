// Package msgext holds what the message extension packages (sid,
// chatstate, correct, markers, retract, reply) share: putting one element
// in place of others on a message without touching the caller's array,
// and reading the id attribute of an element.
package msgext

import (
	"encoding/xml"

	"github.com/gosmack/gosmack/stanza"
)

// Put sets m.Extensions to a new slice: m's extensions without those drop
// says to drop, then n when n has a name. The array behind the caller's
// m.Extensions is never written.
func Put(m *stanza.Message, drop func(xml.Name) bool, n stanza.Node) {
	kept := make([]stanza.Node, 0, len(m.Extensions)+1)
	for _, e := range m.Extensions {
		if !drop(e.Name) {
			kept = append(kept, e)
		}
	}
	if n.Name.Local != "" {
		kept = append(kept, n)
	}
	m.Extensions = kept
}

// Is returns a drop func for Put that drops elements named name.
func Is(name xml.Name) func(xml.Name) bool {
	return func(n xml.Name) bool { return n == name }
}

// WithID returns the element name with an id attribute.
func WithID(name xml.Name, id string) stanza.Node {
	return stanza.Node{Name: name, Attrs: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: id}}}
}

// ID returns the id attribute of m's first element named name; ok is
// false when there is no such element or its id is empty.
func ID(m *stanza.Message, name xml.Name) (id string, ok bool) {
	for i := range m.Extensions {
		if m.Extensions[i].Name == name {
			id := m.Extensions[i].Attr("id")
			return id, id != ""
		}
	}
	return "", false
}
