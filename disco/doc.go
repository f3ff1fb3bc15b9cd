// Package disco is service discovery (XEP-0030) with extended information
// (XEP-0128): it answers other entities' disco#info and disco#items
// requests about the client, and asks other entities (servers, MUC rooms,
// contacts) theirs. Its Client stands for Smack's ServiceDiscoveryManager
// (getInstanceFor(connection) is For(c)), Info and Item for DiscoverInfo
// and DiscoverItems, NodeHandler for NodeInformationProvider.
// Extended-info forms are package dataform's forms.
//
//	d := disco.For(c) // the connection's one Client, attached before Connect
//	d.SetIdentities(disco.Identity{Category: "client", Type: "pc", Name: "My app"})
//	c.Announce("urn:xmpp:ping") // what managers do when attached
//	if err := c.Connect(ctx); err != nil { ... }
//	info, err := d.Info(ctx, jid.MustParse("conference.example.com"), "")
//	if err == nil && info.HasFeature("http://jabber.org/protocol/muc") { ... }
//	items, err := d.Items(ctx, c.JID().Domain(), "")
//
// # One per connection
//
// For returns the Client attached to a connection, attaching it the first
// time (xmpp.Attach): every package that needs discovery (caps, muc's
// room discovery) and the application get the same one, so there is one
// answer about the client and one set of identities. Settings are
// methods (SetIdentities), safe at any time; Close detaches the Client,
// and For then attaches a fresh one.
//
// # What the client says about itself
//
// The client's disco#info lists its identities (SetIdentities; the
// default is client/pc "gosmack") and the features announced on the
// connection (xmpp.Conn.Announce, sorted): disco's own two, and those of
// every manager attached (ping, receipts, caps...). The feature list
// therefore has one owner, the connection, and a manager adds its
// namespace where it is attached and withdraws it where it is closed; a
// user adds a feature the same way. Forms (AddForm, e.g.
// urn:xmpp:dataforms:softwareinfo) and the client's own items (AddItem)
// complete it. Nodes (HandleNode) answer with their own handlers; a node
// nobody handles is item-not-found, for info and for items.
//
// OnChange tells who needs to know (package caps) that the info changed.
// Its listeners run on the connection's dispatcher, once for each change
// and in order with the stanzas around it, whoever made the change: a
// feature announced from any goroutine, a form added, identities set.
// They take no event value: OwnInfo, read when they run, is the info
// they need, and it already holds any later change of a burst, which is
// what entity capabilities must hash (a snapshot per change would make
// them announce every intermediate state).
//
// Requests are answered for whoever asks: XEP-0030 lets an entity answer
// differently per requester, and NodeHandler receives the request to do
// so, but the client's own info is public, as entity capabilities put it
// in every presence anyway.
//
// # Asking others
//
// Info, Items and Supports send one request and wait for the reply; an
// error reply comes back as its *stanza.Error (errors.Is with
// &stanza.Error{Condition: stanza.ItemNotFound}), a reply that cannot be
// read matches ErrMalformed. Nothing is cached here: servers' and
// components' info is asked rarely, and contacts' info is what entity
// capabilities (package caps) cache, by verification string, with the
// hash checked first.
//
// Info implements stanza.Extension, as dataform.Form does, so either can
// be read from or put into any stanza without registering anything.
//
// # Concurrency and contexts
//
// A Client is safe for concurrent use. Requests are answered on the
// connection's dispatcher, in order with the other listeners; node
// handlers may send and wait. Info, Items and Supports run on the
// caller's goroutine (they may be called from a listener): ctx bounds the
// wait for the reply, and when it ends they return ctx.Err() and a late
// reply is dropped; when the stream ends first they return an error
// matching xmpp.ErrNotConnected. Only a reply from the entity asked is
// taken (see xmpp.Conn.SendIQ).
package disco
