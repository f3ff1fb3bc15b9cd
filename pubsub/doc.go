// Package pubsub is publish-subscribe (XEP-0060) as a client speaks it,
// on a pubsub service (such as pubsub.example.com) and on the personal
// eventing service of an account (PEP, XEP-0163: the account's bare
// JID). Its Manager stands for Smack's PubSubManager
// (getInstanceFor(connection, service) is For(c) and a service JID per
// call), Node for LeafNode, Item for PayloadItem, Event for
// EventElement and ItemPublishEvent; package pep builds Smack's
// PepManager on it.
//
//	m := pubsub.For(c)
//	svc := jid.MustParse("pubsub.example.com")
//	conf := pubsub.NodeConfig(dataform.Field{Var: pubsub.VarAccessModel, Values: []string{pubsub.AccessOpen}})
//	news, err := m.Create(ctx, svc, "news", &conf)
//	news.OnEvent(func(e pubsub.Event) {
//		for _, it := range e.Items { ... } // only from svc, only of "news"
//	})
//	_, err = news.Subscribe(ctx)
//	id, err := news.Publish(ctx, pubsub.Item{Payload: entry}, pubsub.PublishOptions{})
//	page, err := news.Items(ctx, pubsub.ItemsQuery{Last: 10})
//
//	own := m.Node(jid.JID{}, "urn:xmpp:bookmarks:1") // the account's own PEP node
//	_, err = own.Publish(ctx, item, pubsub.PublishOptions{AccessModel: pubsub.AccessWhitelist})
//
// # One per connection
//
// For returns the Manager attached to a connection, attaching it the
// first time (xmpp.Attach); Close detaches it and For then attaches a
// fresh one. The Manager has no settings: which service to speak to is
// a parameter of each call (Manager.Node, Manager.Create), since one
// connection speaks to many services and to its contacts' PEP, where
// Smack keeps a PubSubManager per service.
//
// # Nodes as values
//
// A Node is a handle (the Manager, a service, a name), not a cache of
// the node's state: making one sends nothing, and it holds nothing that
// could go stale. Smack's getNode asks the service for the node's
// type first; here the caller knows which node it wants, and Info asks
// when it does not. The zero service JID is the account's own PEP
// service: requests go without a to, and the server answers for the
// account.
//
// # Publish options
//
// PublishOptions are XEP-0060's preconditions (section 7.1.5), the way
// PEP nodes are created with the right access model: the common fields
// are typed, any other goes in Fields. Services differ in which they
// take: ejabberd 23.01 refuses pubsub#max_items and
// pubsub#send_last_published_item among them. A refused precondition is
// the service's *stanza.Error (conflict with precondition-not-met, or
// another condition); retrying with fewer options is the caller's
// choice, since only the caller knows which ones it can do without.
//
// # Event notifications, and whom they are taken from
//
// The Manager reads every message carrying a pubsub event (items
// published or retracted, a purge, a deletion, a configuration change)
// and gives it to the OnEvent listeners as an Event, with its delayed
// delivery mark when it has one (the last item of a node sent when the
// account comes online, XEP-0060 section 6.1.7, and XEP-0163's
// last-item on presence, arrive that way). Subscription and collection
// notifications are not modelled.
//
// A notification is taken only from the service the node lives on, and
// Event.Service says which service that is: never the content of the
// message. A PEP node lives on its account's bare JID, and the server
// of that account sends its notifications from it; a pubsub service
// sends from its own JID; the account's own server may leave from out
// for the account's own PEP (RFC 6120 section 8.1.2.1), which is then
// the account's own bare JID. A message from a full JID is dropped (and
// logged at debug level): servers stamp a client's full JID on what it
// sends, so it comes from a client (another account's, or another
// resource of the account's own), which can write anything in an event.
// A Node's listener (Node.OnEvent) hears only its node from its
// service, so a stranger's notification about a node of the same name,
// such as the user's own bookmarks node, reaches no listener of the
// user's own node: the confusion behind Dino's CVE-2023-28686. Events of
// the own PEP service are those with Service equal to the account's bare
// JID.
//
// # Concurrency and contexts
//
// A Manager and its Nodes are safe for concurrent use. Listeners run on
// the connection's dispatcher, one at a time, in order with the stanzas
// around the notification. The requests run on the caller's goroutine
// and may be called from a listener: ctx bounds the wait for the reply,
// and when it ends they return ctx.Err() and a late reply is dropped;
// when the session ends first they return an error matching
// xmpp.ErrNotConnected. Only a reply from the service asked is taken
// (see xmpp.Conn.SendIQ).
package pubsub
