// Package roster is the user's contact list (RFC 6121 section 2): fetched
// from the server at each login, cached in memory, kept current by the
// server's roster pushes, and saved with its version so that the next
// login receives only the changes (roster versioning, section 2.6). It
// stands for Smack's Roster, RosterEntry, RosterGroup, RosterListener,
// RosterLoadedListener and RosterStore.
//
//	c := xmpp.New(cfg)
//	r := roster.New(c) // before Connect, to see the first login
//	r.Listen(roster.Listener{
//		Added: func(es []roster.Entry) { ... },
//	})
//	if err := c.Connect(ctx); err != nil { ... }
//	if err := r.WaitLoaded(ctx); err != nil { ... }
//	for _, e := range r.Entries() {
//		fmt.Println(e.JID, e.Name, e.Groups, e.Subscription)
//	}
//	err := r.Set(ctx, roster.Entry{JID: bob, Name: "Bob", Groups: []string{"Friends"}})
//	err = r.Remove(ctx, bob) // a *stanza.Error when the server refuses
//
// # Design
//
// Entries are plain values (Entry, Group): every read returns copies, so
// they can be kept and compared without locks. The Roster changes only
// by what the server says: Set and Remove send roster sets and return the
// server's answer, and the cache changes with the push the server sends
// to every resource of the account, this one included.
//
// A roster push is accepted only from the server on the account's behalf:
// no from, or the account's bare JID (RFC 6121 section 2.1.6). Any other
// sender, a contact, another resource of the account, the domain, gets
// service-unavailable (the answer to a request nobody handles, which the
// RFC allows and which tells the sender nothing) and its data is not
// looked at. A push without exactly one valid item gets bad-request.
//
// Versioning: when the server announces urn:xmpp:features:rosterver, the
// fetch carries the Store's version (an empty ver when there is none, which is
// how ejabberd is asked for a version at all). A result without a query
// means that the stored roster is current; the server then pushes the
// changes since that version, if any. A Store load error makes the first
// fetch ask for everything. MemoryStore (the default) keeps the version
// across the reconnections of one Conn; FileStore keeps it in a JSON file
// written atomically (a temporary file renamed over the old one).
//
// # Goroutines and order
//
// The fetch at login runs on a goroutine of the Roster's, started by the
// connection's StateAuthenticated event, so that the dispatcher does not
// wait for the roster; there is at most one such goroutine, and it exists
// only while it fetches (a login during a fetch makes it fetch once more).
// It waits for the reply until the stream ends or Close. Load fetches on
// the caller's goroutine; fetches never run two at a time.
//
// Pushes are answered on the connection's dispatcher. A push that arrives
// while a fetch waits for its result is applied after the result, so a
// change the server made after answering is never overwritten by the
// answer.
//
// Each push or fetch makes one batch: the Store's write, then the
// listeners (Added, Updated, Deleted, StoreFailed, then Loaded for a
// fetch), each func in registration order with entries sorted by JID.
// Batches run one at a time, in the order of the changes, never
// concurrently: on the dispatcher for a push, on the fetching goroutine
// for a fetch, and, when another goroutine is delivering already, on that
// goroutine after it. No lock is held meanwhile: listeners may read the
// Roster and call Set, Remove and Load. A listener that blocks holds up
// the batches after it (and the dispatcher, for pushes). The Roster
// already shows a change when its listeners hear it.
//
// # Not here yet
//
// Presence tracking and subscriptions (RFC 6121 sections 3 and 4: Smack's
// getPresence, SubscriptionMode, subscription listeners, pre-approval)
// belong in this package too; they are not built yet. Entry.Ask and
// Entry.Approved already carry the roster's side of them, and Listener has
// room for more fields.
//
// # Coming from Smack
//
//	Roster.getInstanceFor(c)            roster.New(c, opts...)
//	setRosterLoadedAtLogin(false)        roster.LoadAtLogin(false)
//	reload(), reloadAndWait()            r.Load(ctx)
//	waitUntilLoaded()                    r.WaitLoaded(ctx)
//	getEntries(), getEntry(j)            r.Entries(), r.Entry(j)
//	contains(j), getEntryCount()         r.Entry(j) (ok), r.Len()
//	getGroups(), getGroup(name)          r.Groups(), r.Group(name)
//	getUnfiledEntries()                  r.Unfiled()
//	createItem(j, name, groups)          r.Set(ctx, roster.Entry{...})
//	RosterEntry.setName, RosterGroup.addEntry/removeEntry
//	                                     change a copy from r.Entry and r.Set it
//	removeEntry(entry)                   r.Remove(ctx, j)
//	RosterEntry                          roster.Entry (Subscription, Ask, Approved)
//	RosterEntry.isSubscriptionPending()  e.SubscriptionPending()
//	RosterPacket.ItemType                roster.Subscription
//	RosterGroup                          roster.Group (a snapshot)
//	RosterListener, RosterLoadedListener roster.Listener, r.Listen(l)
//	RosterStore, DirectoryRosterStore    roster.Store, roster.OpenFileStore(path)
package roster
