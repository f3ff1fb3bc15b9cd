// Package mam queries message archives (XEP-0313, Message Archive
// Management): the account's own archive, kept by its server, and the
// archives of multi-user chat rooms; it reads and sets the account's
// archiving preferences. Pages are asked for with Result Set Management
// (package rsm). It stands for Smack's MamManager.
//
//	m := mam.For(c)
//	// The 20 most recent messages with bob, oldest first.
//	page, err := m.Query(ctx, jid.JID{}, mam.Query{With: bob, Max: 20, Latest: true})
//	for _, r := range page.Results {
//		fmt.Println(r.Stamp, r.Message.From, r.Message.Body(""))
//	}
//	// The 20 before those.
//	if !page.Complete {
//		page, err = m.Query(ctx, jid.JID{}, page.Previous())
//	}
//	// A room's archive: the room's bare JID.
//	page, err = m.Query(ctx, room, mam.Query{Start: yesterday})
//
// Catching up after a gap: what arrived while the client was away,
// delivered once, in archive order, at each new session.
//
//	m.SetStore(store) // a FileStore keeps the place across runs
//	m.OnArchived(func(a mam.Archived) {
//		fmt.Println(a.Stamp, a.Message.From, a.Message.Body(""))
//	})
//	m.SetCatchUp(true)
//	err = c.Connect(ctx)
//
// # One per connection
//
// For returns the connection's Client, attaching it the first time
// (xmpp.Attach). It answers nothing and adds nothing to outgoing
// stanzas; it remembers, for each archive it has asked, which version
// it speaks and its query form, until the session ends. Close detaches
// it; For then attaches a fresh one. A query's results are its return
// value; the catch-up's messages go to the OnArchived listeners.
//
// # Catching up
//
// With SetCatchUp(true), each new session (xmpp.StateAuthenticated; a
// resumed session, StateResumed, lost nothing) starts a catch-up: one
// goroutine, which ends with it, pages forwards through the account's
// archive from the archive id the Store holds (Query.After, then
// Page.Next) until a page is Complete. Each page goes to the
// connection's dispatcher (xmpp.Conn.Dispatch), and the goroutine waits
// for its delivery before asking for the next: one page is held at a
// time, and the dispatcher never waits for the archive. The OnArchived
// listeners hear each message in archive order, among the stanzas
// received: after the live messages that arrived before its page was
// answered. Then OnCaughtUp listeners hear that it ended, with how many
// messages it delivered, or why it stopped. The results are checked as
// any query's (see "Who may answer").
//
// Exactly once: the messages at or before the stored id are not asked
// for. A live message that arrives during the catch-up is delivered by
// the connection's listeners, as any, and the catch-up skips it when
// the archive lists it. It knows it by its archive id: the stanza-id
// its account's server stamped (XEP-0359), believed only when the
// server announced urn:xmpp:sid:0 (sid.Manager.Trusted; at most 4096
// per catch-up): a stanza-id with another by, which anyone may write,
// is never taken. It also asks the connection's duplicate check
// (xmpp.Conn.RecordReceived), which knows a message by its sender with
// its stanza-id, or with its id and bodies, and records each message
// the catch-up delivers: a copy that comes later, such as the offline
// message the server kept too, is dropped before any listener sees it.
// With the sender in its keys, a forged stanza-id can only make the
// forger's own messages look like repeats. Only chat and normal
// messages count: a room's messages are in the room's archive.
//
// The Store (MemoryStore, the default; FileStore; or the program's
// own) holds the last archive id the user has seen: it moves after
// each page a catch-up delivered, and, between catch-ups, with each
// live message whose archive id is trusted. At the end of a catch-up
// it holds the archive's end, or a live message's id when one came
// after that end. A catch-up that fails leaves it after the last page
// delivered, so that the next one fetches the rest. With an empty
// Store, a catch-up delivers nothing and stores the archive's last id:
// a first login is not a gap. When the archive is empty then, the same
// Client's next catch-up starts at the archive's beginning; a new
// process with an empty FileStore cannot tell, and starts at the end.
//
// # Offline messages and order
//
// A server sends its offline messages (XEP-0160) when a session
// becomes available, and routes the messages sent to the account's
// bare JID to a session only once it is. So, while catching up is on,
// each new session's presence (its initial presence, or after a lost
// session the user's last broadcast) is held back until its catch-up
// has reached the archive's end (xmpp.Conn.HoldPresence): meanwhile
// what arrives for the account is archived and kept offline. Then the
// presence is sent, and the server sends what it kept: the offline
// messages the catch-up delivered are dropped as repeats, the newer
// ones are delivered live. The catch-up goes on with the pages after
// the archive's end, which hold what arrived before the server took
// the presence: Prosody sends no offline messages to a session that
// queried the archive, and ejabberd may keep offline, unsent, a message
// that arrives as the session becomes available. While those pages
// find messages not received live, it asks again from the same archive
// id (at most 5 times): a busy ejabberd archives some messages after
// later ones, with ids below theirs.
// A catch-up that stops on an error lets the presence go too, and so
// does one with nothing stored (a first login), which delivers nothing
// from the archive: at once, before its query.
//
// The listeners hear each message sent to the account's bare JID once,
// with no gap: the live ones before the session was lost, then the
// catch-up's in archive order, then the rest. Around the moment the
// session becomes available, archive order may not hold: a live
// message may come before offline ones (ejabberd), or before the older
// ones of the catch-up's last pages, and a busy ejabberd may archive a
// message only after it answered the page that should have held it.
//
// Where the rest does not hold:
//   - A message sent to the new session's full JID during its catch-up
//     reaches it at once, live, before the older messages the catch-up
//     delivers after it: once, but out of archive order. Nobody knows a
//     new session's full JID before it sends something, unless its
//     resource is fixed (Config.Resource) and a contact's client kept
//     it.
//   - A program that broadcasts a presence of its own during the
//     catch-up announces the session then: the offline messages may
//     come before older ones the catch-up delivers (each still once).
//   - The duplicate check remembers 8192 keys, two per message the
//     catch-up delivers: the offline copies of the oldest messages of a
//     catch-up of more than about 4000 are delivered again.
//   - A message that reached a lost session's listeners without the
//     server learning it (not acknowledged), and that the server then
//     keeps offline (ejabberd does), is dropped as a repeat by the same
//     Conn, which remembers it; a new Conn, in a new process with a
//     FileStore, does not, and delivers it again.
//   - A message that a server keeps offline and does not send after the
//     catch-up's last page was asked for reaches the session only at
//     its next presence, or from the next catch-up if no later live
//     message moved the Store past it.
//
// # Versions
//
// The Client asks an archive's service discovery which of
// urn:xmpp:mam:2, :1 and :0 it offers, and speaks the newest. mam:1 and
// mam:2 end a query with <fin/> in the reply; mam:0 replies empty and
// sends <fin/> in a message after the results, which the Client waits
// for. Filters the archive does not offer are refused with
// ErrUnsupported before anything is sent: full-text search where its
// query form has no such field (the Client reads the form, see
// Fields), and an id range together with RSM paging where the archive
// does not list urn:xmpp:mam:2#extended (without it, AfterID and
// BeforeID are sent as RSM's after and before).
//
// # Paging
//
// A Query asks for one page: the first (the zero Query), the most
// recent (Latest), the one after an archive id (After) or before one
// (Before). Page.Next and Page.Previous give the query of the
// neighbouring page, and Page.Complete says that there is none in that
// direction. Within a page, results are in archive order, oldest first,
// whichever way the query pages. Catching up after a gap is paging
// forwards (Query.After, or AfterID) from the last archive id seen
// until a page is Complete.
//
// # Who may answer
//
// Results arrive as messages before the query's reply. A forged one is
// how histories were injected into clients (CVE-2019-16237,
// CVE-2020-26547), so a result is taken only when it carries the
// query's id, fresh and unguessable for each query (crypto/rand), and
// comes from the archive asked: for the account's archive, from its
// bare JID or with no from, which RFC 6120 section 8.1.2.1 reserves to
// the server speaking for the account (not from one of the account's
// full JIDs, which another client of the account controls); for a room,
// from the room's bare JID. The reply itself is taken only from the
// entity asked (xmpp.Conn.SendIQ). Anything else is never part of a
// page.
//
// The connection delivers every message it reads to its listeners, so
// the result messages, real or forged, also reach Conn.HandleMessage
// listeners: messages with no body whose only child is a <result/>
// wrapping the archived message. Package chat takes none of them (they
// come from the account or a room's bare JID, and carry no body); a
// listener of its own should look for a body or for the extensions it
// knows, not take a forwarded message for a live one.
//
// # Concurrency and contexts
//
// A Client is safe for concurrent use, and queries may run at the same
// time: each has its own id and its own xmpp.Collector. Query, Prefs,
// SetPrefs, Fields and Version run on the caller's goroutine and may be
// called from a listener: the results are collected by the
// connection's reader, never behind the dispatcher. ctx bounds each
// call; when it ends the call returns ctx.Err() and what arrives later
// is dropped.
//
// # Coming from Smack
//
//	MamManager.getInstanceFor(connection)           mam.For(c)
//	MamManager.getInstanceFor(multiUserChat)        mam.For(c), and the room's JID as the archive
//	queryArchive(MamQueryArgs)                      m.Query(ctx, archive, mam.Query{...})
//	queryMostRecentPage(jid, max)                   m.Query(ctx, jid.JID{}, mam.Query{With: j, Max: max, Latest: true})
//	MamQuery.pageNext(n), pagePrevious(n)           m.Query(ctx, archive, page.Next()), page.Previous()
//	MamQuery.isComplete()                           page.Complete
//	retrieveArchivingPreferences()                  m.Prefs(ctx)
//	updateArchivingPreferences(MamPrefs)            m.SetPrefs(ctx, mam.Prefs{...})
//	getSearchFields(), retrieveFormFields()         m.Fields(ctx, archive)
//	isSupported()                                   m.Version(ctx, archive)
//	(no equivalent: a catch-up)                     m.SetCatchUp(true), m.OnArchived(f), m.SetStore(s)
package mam
