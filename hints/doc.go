// Package hints reads and writes message processing hints (XEP-0334):
// the empty elements a sender puts on a message to ask the servers on
// its way to store it, or not, and to copy it to the recipient's other
// clients, or not.
//
//	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "one-time code: 4711"}}}
//	hints.Add(m, hints.NoStore)
//	hints.Add(m, hints.NoCopy)
//	...
//	if hints.Has(received, hints.NoStore) {
//		// do not keep it in a local history either
//	}
//
// A hint is a request, not a guarantee: a server that does not know
// XEP-0334 ignores it. Add and Has work on the message itself, so they
// need no connection and no manager. Message carbons (package carbons)
// add NoCopy with their own <private/> element.
//
// Smack has no class of its own for these hints (its
// MessageProcessingHint and StoreHint extensions stand closest).
package hints
