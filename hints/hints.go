package hints

import (
	"encoding/xml"
	"slices"

	"github.com/gosmack/gosmack/stanza"
)

// NS is the namespace of message processing hints.
const NS = "urn:xmpp:hints"

// Hint is one processing hint, named by its element. The zero Hint is no
// hint.
type Hint string

// The four hints of XEP-0334 section 4.
const (
	// NoPermanentStore: keep the message out of permanent archives
	// (offline storage is fine).
	NoPermanentStore Hint = "no-permanent-store"
	// NoStore: do not store the message at all, offline or archived.
	NoStore Hint = "no-store"
	// NoCopy: do not copy it to other resources (carbons, XEP-0280).
	NoCopy Hint = "no-copy"
	// Store: store the message even though it has no body.
	Store Hint = "store"
)

// Add puts each hint on m that it does not carry yet. It never changes
// the array behind the caller's m.Extensions.
func Add(m *stanza.Message, hs ...Hint) {
	for _, h := range hs {
		if h != "" && !Has(m, h) {
			m.Extensions = append(slices.Clip(m.Extensions), stanza.Node{Name: xml.Name{Space: NS, Local: string(h)}})
		}
	}
}

// Has reports whether m carries hint h.
func Has(m *stanza.Message, h Hint) bool {
	name := xml.Name{Space: NS, Local: string(h)}
	return slices.ContainsFunc(m.Extensions, func(n stanza.Node) bool { return n.Name == name })
}
