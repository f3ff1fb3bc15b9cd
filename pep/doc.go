// Package pep is the personal eventing protocol (XEP-0163): publishing
// to the account's own PEP nodes, and hearing its contacts' (and its
// own) updates to the nodes the application cares about. Its Manager
// stands for Smack's PepManager (getInstanceFor(connection) is For(c),
// addPepEventListener is OnEvent, publish is Publish); it builds on
// package pubsub, whose Event and Item it delivers and takes.
//
//	p := pep.For(c) // before Connect: the first presence names the interests
//	remove := p.OnEvent("http://jabber.org/protocol/nick", func(e pubsub.Event) {
//		// e.Service is the contact (or the account itself) whose nick changed
//	})
//	defer remove()
//	if err := c.Connect(ctx); err != nil { ... }
//	_, err := p.Publish(ctx, "http://jabber.org/protocol/nick", pubsub.Item{Payload: nick}, pubsub.PublishOptions{})
//	page, err := p.Node(contact, "http://jabber.org/protocol/nick").Items(ctx, pubsub.ItemsQuery{Last: 1})
//
// # Interest is a listener
//
// A PEP service pushes a node's items to the contacts whose
// capabilities list node+"+notify" (XEP-0163 section 4, "filtered
// notifications"), and sends the last item of each such node when the
// contact's presence arrives. Registering a listener is therefore
// registering interest: OnEvent announces the feature on the connection
// (xmpp.Conn.Announce, counted, so two listeners of one node announce
// it once and the feature stays until both are removed), which service
// discovery lists and entity capabilities hash into the ver of every
// presence; when it changes after the initial presence, caps sends the
// last presence again (XEP-0115 section 6.1). That is why For attaches
// caps: without it no contact's server learns the interest. There is no
// separate "notify" switch that could disagree with the listeners.
//
// Servers differ in when they act on it: ejabberd 23.01 sends a
// contact's notifications only after a presence whose caps name the
// +notify feature, sent after the presence subscription exists; so
// register the listeners before Connect, or expect the next presence to
// carry them.
//
// # Whose node
//
// Events are pubsub.Manager's, which takes a notification only from the
// service the node lives on and says which in Event.Service (see
// package pubsub). OnEvent delivers those of PEP services only, which
// are accounts' bare JIDs: a pubsub service's node of the same name is
// not a contact's PEP node. The account's own node's events carry its
// own bare JID, so a listener that must trust only its own data (such
// as bookmarks) compares Event.Service with the account's bare JID.
//
// # Private data
//
// PublishPrivate stores private data in a PEP node (XEP-0223): it
// publishes with the preconditions pubsub#persist_items true and
// pubsub#access_model whitelist, after the account's server said it is a
// PEP service that takes publish-options (a server that ignored the
// options would publish under its default access model, readable by the
// contacts). The access model is whitelist or nothing: a node the
// service cannot make private (precondition-not-met) is an error
// (ErrNotPrivate), never a publish under weaker options nor a node
// configured to another access model. Only further options that the
// service does not take (ejabberd 23.01 refuses pubsub#max_items and
// pubsub#send_last_published_item with resource-constraint, and makes
// the node keep one item; Prosody 0.12 refuses options that differ from
// an existing node's, as another client may have set them) are dropped,
// in one retry that keeps the two that make the data private, after a
// look at the node's configuration, where they are set instead.
// Package bookmarks stores its bookmarks so.
//
// # One per connection
//
// For returns the Manager attached to a connection, attaching it the
// first time; Close withdraws its interests, forgets its listeners and
// detaches it, and For then attaches a fresh one. It has no settings.
// It keeps no pubsub.Manager: each call goes through the one attached
// at that time (pubsub.For), so closing the pubsub.Manager drops the
// listeners registered through it, and later ones go through a fresh
// one.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use. Listeners run on the
// connection's dispatcher, in order with the stanzas around the
// notification. Publish and the pubsub.Node requests run on the
// caller's goroutine and may be called from a listener: ctx bounds the
// wait for the reply, and when it ends they return ctx.Err() and a late
// reply is dropped.
package pep
