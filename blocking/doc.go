// Package blocking is Blocking Command (XEP-0191) for a connection: it
// asks the account's server to block and unblock JIDs, reads the block
// list, keeps it in a cache that the server's pushes update, and tells
// listeners about the changes. Its Manager stands for Smack's
// BlockingCommandManager (getInstanceFor(connection) is For(c)).
//
//	b := blocking.For(c) // attached before Connect
//	b.SetFetchAtLogin(true) // read the list at each login
//	b.OnChange(func(e blocking.Event) {
//		fmt.Println("blocked", e.Blocked, "unblocked", e.Unblocked, "all", e.All)
//	})
//	if err := c.Connect(ctx); err != nil { ... }
//	err := b.Block(ctx, jid.MustParse("spammer@example.net"))
//	list, err := b.List(ctx) // from the cache
//	err = b.Unblock(ctx, jid.MustParse("spammer@example.net"))
//
// A blocked JID is blocked by the server: it drops what the JID sends
// the account (messages, presences; IQ requests it answers
// service-unavailable), the account appears offline to it, and what the
// account sends it comes back with an error that Blocked recognises. A
// bare JID blocks every resource at that address, a domain a whole
// server (XEP-0191 section 3.2 and RFC 6121's privacy matching).
//
// # The cache and the pushes
//
// The server tells every session that read the block list about each
// change, whoever made it (this client, another of the account's, an
// administrator), with a push: a <block/> or <unblock/> IQ set. The
// Manager takes a push only from the account's server: with no from
// attribute, or from the account's bare JID. A push from anybody else is
// answered service-unavailable and ignored, as is done for roster pushes
// (RFC 6121 section 2.1.6): a stranger cannot edit the cache. A push
// whose items are not all valid JIDs is answered bad-request and ignored.
//
// The cache is filled by the first List, or at login when
// SetFetchAtLogin(true) is set (then the server pushes from the start of
// the session). The list is read with xmpp.Conn.SendIQFunc: the cache
// takes it as soon as the reply is read, so a List right after finds it,
// and marks where the reply stood among the stanzas received
// (xmpp.Conn.Dispatch): a push before the reply is already in the list
// and is not applied again, a push after it is applied on top. Until the cache is filled, pushes are still reported
// to the listeners but change nothing. Block, Unblock and UnblockAll do
// not change the cache themselves: the server's push does, once, for
// every session alike, and then the listeners hear it.
//
// Across reconnection: a resumed session (stream management, XEP-0198)
// is the same session on the server, which goes on pushing; the cache is
// kept. A new session (after a failed resumption, or without stream
// management) starts with the cache empty, since the server pushes
// nothing to it until it reads the list again: it reads it at login with
// SetFetchAtLogin(true), otherwise at the next List.
//
// # Events
//
// OnChange listeners hear each push the Manager accepted, as an Event,
// on the connection's dispatcher in wire order with the other listeners,
// after the cache took it. Like every manager's, they are registered
// with OnChange(func(Event)), refuse nil, and are removed by the func
// OnChange returns.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use. Block, Unblock, UnblockAll, List
// and Supported wait on the caller's goroutine, bounded by their
// context, and may be called from a listener: replies are routed by the
// connection's reader, never behind the listeners. The reading of the
// list at login is bounded by 30 seconds, and by Close.
//
// # Coming from Smack
//
//	BlockingCommandManager.getInstanceFor(connection)   blocking.For(c)
//	isSupportedByServer()                               b.Supported(ctx)
//	getBlockList()                                      b.List(ctx) (cached)
//	blockContacts(jids)                                 b.Block(ctx, jids...)
//	unblockContacts(jids)                               b.Unblock(ctx, jids...)
//	unblockAll()                                        b.UnblockAll(ctx)
//	addJidsBlockedListener, addJidsUnblockedListener,   b.OnChange(func(blocking.Event)),
//	addAllJidsUnblockedListener                         which returns its remove func
//	BlockedErrorExtension.isInside(message)             blocking.Blocked(err)
package blocking
