// Package bookmarks is the user's room bookmarks, which follow the user
// to every client: XEP-0402's, kept as private data in the account's
// PEP node urn:xmpp:bookmarks:1, with XEP-0048's, kept in private XML
// storage (XEP-0049) under storage:bookmarks, read and written too
// where the server does not keep the two in step, as XEP-0479 asks of
// an advanced client; and the rooms bookmarked with autojoin entered at
// login when the user turns that on. Its Manager stands for Smack's
// BookmarkManager (getBookmarkManager(connection) is For(c),
// getBookmarkedConferences is List, addBookmarkedConference is Add,
// removeBookmarkedConference is Remove) and for its
// MucBookmarkAutojoinManager (setAutojoinEnabled is SetAutojoin).
//
//	m := bookmarks.For(c) // before Connect: the first presence asks for the notifications
//	m.SetAutojoin(true)
//	m.OnAutojoin(func(r bookmarks.AutojoinResult) {
//		if r.Err != nil { log.Printf("%s: %v", r.Bookmark.Room, r.Err) }
//	})
//	m.OnChange(func(ch bookmarks.Change) { ... }) // another client of the user changed one
//	if err := c.Connect(ctx); err != nil { ... }
//	list, err := m.List(ctx)
//	err = m.Add(ctx, bookmarks.Bookmark{Room: room, Name: "Council", Autojoin: true, Nick: "Puck"})
//	err = m.Remove(ctx, room)
//
// # Which store
//
// The Manager asks the account's server once per session (disco#info of
// the account, Stores): a PEP service that takes publish-options
// (XEP-0223) gets XEP-0402's bookmarks; unless it also announces
// urn:xmpp:bookmarks:1#compat (NSCompat), which says that clients of
// XEP-0048 see them, XEP-0048's list in private storage is read and
// written beside them; a server without such PEP gets private storage
// alone. List returns the union, PEP's bookmark winning for a room in
// both. Neither Prosody 0.12 (without its mod_bookmarks) nor ejabberd
// 23.01 announces NSCompat (ejabberd announces
// urn:xmpp:bookmarks-conversion:0, XEP-0411's conversion between
// private storage and XEP-0048 in PEP, not XEP-0402), and neither
// converts: on both the Manager writes the two stores.
//
// # Private, never public
//
// A bookmark holds a room's password, and which rooms the user goes to:
// it is published only through pep.Manager.PublishPrivate, whose
// whitelist access model is never weakened. A bookmarks node that the
// server cannot make private fails Add with pep.ErrNotPrivate, and
// private storage is then not written either. ejabberd's refusal of the
// options pubsub#max_items and pubsub#send_last_published_item, and
// Prosody's of options that differ from those another client gave the
// node, are retried with the two that keep the data private, and the
// others are set in the node's configuration: without that, ejabberd
// 23.01 keeps a node of one item, and each bookmark would replace the
// last.
//
// # Whose notifications
//
// The Manager listens to the bookmarks node through package pep, which
// announces urn:xmpp:bookmarks:1+notify, and takes a notification only
// from the account's own bare JID (or without from: the account's
// server speaking for it). A contact's node of the same name, whose
// notifications pep delivers too, is not the user's bookmarks: taking
// it would let anyone with a presence subscription add rooms that the
// client joins by itself (the confusion behind Dino's CVE-2023-28686).
// A notification from a full JID never reaches it (package pubsub drops
// it).
//
// # The cache
//
// Bookmarks and Bookmark read what List last read, as the account's
// own PEP notifications and the Manager's Add and Remove changed it
// since; OnChange hears each change, from whichever source. A
// notification's changes reach the listeners in order with the stanzas
// around it; those of List, Add and Remove are queued on the
// dispatcher (xmpp.Conn.Dispatch) when made. Private storage sends no
// notifications: another client's change there is seen at the next
// List. Edits of XEP-0048's list are read, changed and written whole,
// keeping every element the Manager does not change (other rooms,
// URLs, unknown elements); two clients doing so at once race.
//
// # Autojoin
//
// The setting lives here, not in package muc: the bookmarks are the
// list of rooms to enter, so the Manager that reads them enters them,
// through muc.For(c); muc keeps no knowledge of bookmarks (nor imports
// pep). With SetAutojoin(true), each new session (a resumed one keeps
// its rooms) starts one goroutine that reads the bookmarks and enters,
// one after the other, every autojoin room the user is not in, with
// the bookmark's nickname or else AutojoinNick (default: the account's
// localpart), and ends; OnAutojoin hears each outcome. A room that
// muc's own rejoin (muc.Client.SetAutoRejoin) enters first is left to
// it. Notifications that turn autojoin on or off for a room while
// connected change the bookmark only: joining or leaving then is the
// application's choice (OnChange).
//
// # One per connection
//
// For returns the Manager attached to a connection, attaching it (and
// pep, caps, disco) the first time; Close withdraws its interest in the
// notifications, forgets its listeners and detaches it, and For then
// attaches a fresh one.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use. List, Add, Remove and Stores
// run on the caller's goroutine and may be called from a listener: ctx
// bounds the requests, and when it ends they return ctx.Err() and late
// replies are dropped. Listeners run on the connection's dispatcher.
package bookmarks
