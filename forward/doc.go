// Package forward reads and writes forwarded stanzas (XEP-0297): a
// stanza carried whole inside another, with a delayed-delivery mark
// saying when it was first sent. Message carbons (XEP-0280) and archive
// results (XEP-0313) arrive this way, and a client forwards a message
// to a contact with it.
//
//	var f forward.Forwarded
//	if ok, err := stanza.FindExtension(m.Extensions, &f); ok && err == nil {
//		if orig, isMsg := f.Stanza.(*stanza.Message); isMsg {
//			fmt.Println(f.Delay.Stamp, orig.From, orig.Body(""))
//		}
//	}
//
// The forwarded stanza is decoded by the same decoder as the stanzas the
// connection reads, with the same checks, so a malformed one is refused
// the same way. A forwarded stanza says what its forwarder claims, no
// more: its from is whatever the forwarder wrote. Who may forward what
// is for the feature that reads it to check (a carbon must come from the
// user's own account, an archive result from the archive asked).
//
// It stands for Smack's Forwarded and its provider.
package forward
