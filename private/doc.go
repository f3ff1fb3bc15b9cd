// Package private is private XML storage (XEP-0049): elements of the
// application's own namespaces kept on the account's server for the
// account alone, such as the bookmarks of XEP-0048 (storage:bookmarks,
// which package bookmarks reads and writes). Its Store stands for
// Smack's PrivateDataManager (getInstanceFor(connection) is For(c),
// getPrivateData is Get, setPrivateData is Set).
//
//	s := private.For(c)
//	prefs := stanza.Node{Name: xml.Name{Space: "urn:example:prefs", Local: "prefs"}, Nodes: ...}
//	err := s.Set(ctx, prefs)
//	got, err := s.Get(ctx, xml.Name{Space: "urn:example:prefs", Local: "prefs"})
//	// got has no children when nothing was stored
//
// # Whose storage
//
// Requests carry no to: they are the account's own, answered by its
// server, which refuses a request about anyone else's storage (Prosody
// 0.12 with service-unavailable, ejabberd 23.01 with forbidden); there is
// no way to address another account here. Only the account's server's
// answer is taken (no from, its domain, the account's bare or full JID:
// xmpp.Conn.SendIQ's rule for requests without a to), so another client
// cannot pass off a reply.
//
// # Elements, not types
//
// What is stored is a stanza.Node, kept and returned as it is: Smack's
// PrivateDataProvider registry, which turns stored elements into types,
// is the caller's own parsing here (package bookmarks parses
// storage:bookmarks), with no process-wide registry. A namespace of
// XEP-0049's own (jabber:iq:private, jabber:client, jabber:server), or
// none, is refused before anything is sent (ErrName).
//
// # One per connection
//
// For returns the Store attached to a connection, attaching it the first
// time; Close detaches it. It has no settings and no listeners: private
// storage sends no notifications, unlike private data kept in PEP
// (XEP-0223, pep.Manager.PublishPrivate).
//
// # Concurrency and contexts
//
// A Store is safe for concurrent use. Get and Set run on the caller's
// goroutine and may be called from a listener: ctx bounds the wait for
// the reply, and when it ends they return ctx.Err() and a late reply is
// dropped. Two clients of one account that read, change and write the
// same element race: the last Set wins, whole.
package private
