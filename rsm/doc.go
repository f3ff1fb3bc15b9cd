// Package rsm reads and writes Result Set Management (XEP-0059): the
// <set xmlns='http://jabber.org/protocol/rsm'/> element by which a
// requester pages through a long result (an archive, a search, a list of
// items) and the responder says which page it sent.
//
//	q := &stanza.Node{Name: xml.Name{Space: "urn:example", Local: "query"}}
//	q.Nodes, _ = stanza.AppendExtension(q.Nodes, &rsm.Request{Max: 50, After: last})
//	// ... send q in an IQ, read the reply's payload p ...
//	var page rsm.Response
//	if ok, err := stanza.FindExtension(p.Nodes, &page); ok && err == nil {
//		last = page.Last // ask for the page after this one next
//	}
//
// Request and Response are the element's two uses, each a
// stanza.Extension with the same name: the request's max, after, before
// and index, and the response's first (with its index), last and count.
// Both are plain values whose zero value means "nothing said": a zero
// Request asks for the first page in the size the responder chooses.
// An empty <before/>, which asks for the last page, is Request.Last.
//
// XEP-0059's identifiers are opaque: they are kept and sent back as
// they came, never interpreted.
//
// It stands for Smack's RSMSet (and its provider).
package rsm
