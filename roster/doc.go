// Package roster is the user's contact list (RFC 6121 section 2): fetched
// from the server at each login, cached in memory, kept current by the
// server's roster pushes, and saved with its version so that the next
// login receives only the changes (roster versioning, section 2.6). It
// stands for Smack's Roster, RosterEntry, RosterGroup, RosterListener,
// RosterLoadedListener, RosterStore and Roster.SubscriptionMode, and
// tracks contacts' presence and subscriptions (RFC 6121 sections 3 and 4).
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
// concurrently: on the dispatcher for a push, on the caller's goroutine
// for Load, on a short-lived goroutine for the fetch at login (so that
// Close never waits for a listener), and, when another goroutine is
// delivering already, on that goroutine after it. No lock is held
// meanwhile: listeners may read the Roster and call Set, Remove, Load and
// Close. A listener that blocks holds up the batches after it. The
// batches waiting are bounded: past 256, the dispatcher waits for the
// listeners before it handles the next push or presence (the
// connection's reader then bounds what it reads), so a slow listener
// holds up the dispatcher rather than memory. The Roster already shows a
// change when its listeners hear it.
//
// Versioning stays safe when a fetch fails: until a fetch on the current
// stream succeeds, pushes change the entries but not the version, in
// memory or in the Store, so the next fetch asks for every change since
// the version the entries were fetched at. After a Store write fails, the
// next one replaces the whole stored roster.
//
// # Presence
//
// The Roster tracks the presence the connection receives (RFC 6121
// section 4), per bare JID and resource: the available presence of each
// resource, with its show, status and priority, and the last unavailable
// (or error) presence. Presence returns the best (highest priority, then
// chat, available, away, xa, dnd, then the latest), Presences all the
// available ones, PresenceOf one resource's; PresenceChanged hears each
// change, on the dispatcher, in the batch order above. An error presence
// from a bare JID makes all its resources unavailable. When the stream
// ends (StateClosed), every tracked resource becomes unavailable, and
// PresenceChanged hears an unavailable presence from each, sorted by JID.
//
// What is tracked is bounded: roster entries and the account's own other
// resources always; anyone else (a stranger's directed presence, or a
// contact's presence that arrives before the roster does, as it may at
// login) only while fewer than MaxStrangers such JIDs are tracked, and
// forgotten when it has no resource left available. A bare JID's
// available resources are bounded by MaxResources, a stranger's by
// MaxStrangerResources, and a stranger's presence is kept (and heard)
// trimmed: no extensions, one status of at most MaxStrangerStatus bytes.
// A flood of presence from made-up JIDs or resources thus costs bounded
// memory; the presence beyond the bounds is not tracked and not heard.
//
// LastPresence is the last available presence the connection broadcast
// (sent without a to); the connection sends it again when a lost session
// is replaced by a new one.
//
// # Subscriptions
//
// Subscribe, Unsubscribe, Approve and Deny send the presence of RFC 6121
// section 3 (subscribe, unsubscribe, subscribed, unsubscribed) to a bare
// JID; the roster pushes that follow show the outcome. Deny both refuses
// a request and cancels a subscription granted before: that is one stanza
// (unsubscribed, sections 3.1.4 and 3.2.1), so there is no separate
// Cancel. PreApprove sends subscribed before the contact asks (section
// 3.4), and only when the server advertised urn:xmpp:features:pre-approval;
// otherwise it sends nothing and returns ErrNoPreApproval.
//
// A contact's request is answered by the SubscriptionMode: AcceptAll,
// RejectAll, or Manual (the default, as in Smack), where the listeners'
// SubscriptionRequested funcs are asked in order until one answers Accept
// or Reject; when none does, the user answers later with Approve or Deny
// (the server keeps the request and delivers it again at the next login).
// With SubscribeBack, an approval also asks the contact for a
// subscription unless the roster shows one or one is pending. Answers
// the Roster sends by itself are bounded by 30 seconds; one that fails
// (the stream ended) is not retried.
//
// # Not here yet
//
// Chats (Smack's ChatManager) are package chat.
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
//	getPresence(j)                       r.Presence(j)
//	getAvailablePresences, getAllPresences
//	                                     r.Presences(j)
//	getPresenceResource(fullJID)         r.PresenceOf(fullJID)
//	RosterListener.presenceChanged       Listener.PresenceChanged
//	SubscriptionMode, setSubscriptionMode
//	                                     roster.WithSubscriptionMode(m), r.SetSubscriptionMode(m)
//	                                     (Manual, AcceptAll, RejectAll)
//	addSubscribeListener, SubscribeAnswer
//	                                     Listener.SubscriptionRequested, roster.Answer
//	ApproveAndAlsoRequestIfRequired      roster.SubscribeBack(true)
//	sendSubscriptionRequest(j)           r.Subscribe(ctx, j)
//	presence type subscribed / unsubscribed / unsubscribe
//	                                     r.Approve, r.Deny (also cancels), r.Unsubscribe
//	preApprove(j), isSubscriptionPreApprovalSupported
//	                                     r.PreApprove(ctx, j), r.PreApprovalSupported()
//	sendStanza(available Presence)       r.SetPresence(ctx, show, status, priority)
//	directed Presence                    r.SendDirected(ctx, j, p)
package roster
