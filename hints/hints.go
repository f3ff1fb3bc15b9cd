package hints

import (
	"encoding/xml"
	"slices"

	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of message processing hints (XEP-0334).
const NS = "urn:xmpp:hints"

// Hint is one message processing hint: the local name of its element in
// NS. The zero Hint names no element; Add ignores it and Has reports it
// absent.
type Hint string

// The hints XEP-0334 defines.
const (
	// NoPermanentStore asks that the message not be kept in a permanent
	// store (an archive), though it may wait in offline storage.
	NoPermanentStore Hint = "no-permanent-store"
	// NoStore asks that the message not be stored at all: not archived,
	// not kept for offline delivery.
	NoStore Hint = "no-store"
	// NoCopy asks that the message not be copied to the recipient's other
	// clients (message carbons, XEP-0280).
	NoCopy Hint = "no-copy"
	// Store asks that the message be stored (archived) even when the
	// server would not store it otherwise (a message without a body).
	Store Hint = "store"
)

// Add puts the hint h on m, once: a message that carries h already is
// left as it is. It does not change the slice m.Extensions held before,
// so a message shared with others may be given a hint on a copy of its
// struct. Add is not safe to call while m is read elsewhere.
func Add(m *stanza.Message, h Hint) {
	if h == "" || Has(m, h) {
		return
	}
	m.Extensions = append(slices.Clip(m.Extensions), stanza.Node{Name: xml.Name{Space: NS, Local: string(h)}})
}

// Has reports whether m carries the hint h.
func Has(m *stanza.Message, h Hint) bool {
	if h == "" {
		return false
	}
	name := xml.Name{Space: NS, Local: string(h)}
	for i := range m.Extensions {
		if m.Extensions[i].Name == name {
			return true
		}
	}
	return false
}
