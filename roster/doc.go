// Package roster is the user's contact list (RFC 6121 section 2): fetched
// from the server at each login, cached in memory, kept current by the
// server's roster pushes, and saved with its version so that the next
// login receives only the changes (roster versioning, section 2.6). It
// stands for Smack's Roster, RosterEntry, RosterGroup, RosterListener,
// RosterLoadedListener, SubscribeListener, RosterStore and
// Roster.SubscriptionMode, and tracks contacts' presence and
// subscriptions (RFC 6121 sections 3 and 4).
//
//	c := xmpp.New(cfg)
//	r := roster.For(c) // before Connect, to see the first login
//	r.OnChange(func(ch roster.Change) {
//		for _, e := range ch.Added { ... }
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
// For returns the connection's one Roster (xmpp.Attach), as Smack's
// getInstanceFor does: everyone holding the Conn gets the same, and other
// managers find it with xmpp.Attached (package receipts asks it who is
// subscribed). Settings are methods that take effect at a stated moment
// (SetLoadAtLogin at the next login, SetStore at the next fetch,
// SetSubscriptionMode at the next request); listeners are registered one
// kind at a time with OnChange, OnLoaded, OnStoreFailed,
// OnPresenceChanged and OnSubscriptionRequest, each returning its remove
// func.
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
// changes since that version, if any. A Store load error makes the fetch
// ask for everything. The Roster starts with an empty MemoryStore, which
// keeps the version across the reconnections of one Conn; FileStore keeps
// it in a JSON file written atomically (a temporary file renamed over the
// old one). A Store given by SetStore is read (Store.Load) by the next
// fetch, not at once: Entries shows its roster once that fetch ends.
//
// Versioning stays safe when a fetch fails: until a fetch on the current
// stream succeeds, pushes change the entries but not the version, in
// memory or in the Store, so the next fetch asks for every change since
// the version the entries were fetched at. After a Store write fails, the
// next one replaces the whole stored roster.
//
// # Goroutines and order
//
// The Roster has no goroutine and no queue of its own. Its listeners run
// on the connection's dispatcher, one at a time, in the order of the
// stanzas that caused them, interleaved with the Conn's own listeners: a
// push's Change where the push stood on the wire, a presence's
// OnPresenceChanged and a request's OnSubscriptionRequest where the
// presence stood, and a fetch's Change then Loaded where the server's
// answer stood. Each func runs in registration order; a Change lists
// entries sorted by JID. A listener that blocks holds up the dispatcher,
// as any listener of the Conn does. No lock is held while listeners run:
// they may read the Roster and call any of its methods, Load and
// WaitLoaded included.
//
// The fetch at login is sent from the dispatcher when it delivers
// StateAuthenticated; Load sends it from the caller's goroutine; fetches
// never run two at a time. Nobody waits on a goroutine for the answer:
// the connection's reader hands it over (Conn.SendIQFunc), and
// the Roster applies it there, before the reader reads the next stanza,
// and has the listeners hear it with Conn.Dispatch, which places their
// events exactly where the answer stood. So whatever the connection does
// after the answer sees the roster it brought: a message listener that
// looks a sender up in the next stanza, a receipt's subscription check.
// Load and WaitLoaded wait for the reader, never for the dispatcher, and
// return when the Roster shows the answer, which may be before the
// listeners heard it (always, when called from a listener). A push is
// applied, saved and heard on the dispatcher, in its place; one that
// comes while a fetch waits (before the answer on the wire) is heard
// then, and applied again over the answer, so that a change the server
// made just before answering is never lost under an older answer. The
// entries are thus never behind what the listeners heard: a fetch's
// answer shows as soon as the reader has it, a push once the dispatcher
// reaches it.
//
// The Store's writes run on the dispatcher, before the listeners of the
// change they save.
//
// # Presence
//
// The Roster tracks the presence the connection receives (RFC 6121
// section 4), per bare JID and resource: the available presence of each
// resource, with its show, status and priority, and the last unavailable
// (or error) presence. Presence returns the best (highest priority, then
// chat, available, away, xa, dnd, then the latest), Presences all the
// available ones, PresenceOf one resource's; OnPresenceChanged listeners
// hear each change. An error presence from a bare JID makes all its
// resources unavailable. When the session ends (StateClosed), every
// tracked resource becomes unavailable, and the listeners hear an
// unavailable presence from each, sorted by JID.
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
// The user's own presence is the connection's: SetPresence broadcasts
// it, and xmpp.Conn.LastPresence returns the last one broadcast, which
// the connection sends again when a lost session is replaced by a new
// one.
//
// # Subscriptions
//
// Subscribe, Unsubscribe, Approve and Deny send the presence of RFC 6121
// section 3 (subscribe, unsubscribe, subscribed, unsubscribed) to a bare
// JID; they return once it is written, and the roster pushes that follow
// show the outcome (nothing waits for the contact). Deny both refuses a
// request and cancels a subscription granted before: that is one stanza
// (unsubscribed, sections 3.1.4 and 3.2.1), so there is no separate
// Cancel. PreApprove sends subscribed before the contact asks (section
// 3.4), and only when the server advertised
// urn:xmpp:features:pre-approval; otherwise it sends nothing and returns
// ErrNoPreApproval.
//
// A contact's request is answered by the SubscriptionMode: AcceptAll,
// RejectAll, or Manual, the default, which answers nothing by itself:
// the OnSubscriptionRequest listeners (which hear every request, after
// the mode's answer) or the user answer with Approve or Deny, at once or
// later, and a request nobody answers is delivered again by the server
// at the next login. Smack's default was accept_all up to 4.1 and is
// reject_all since 4.2; SubscriptionMode says why gosmack takes neither.
// With SetSubscribeBack(true), an approval also asks the contact for a
// subscription unless the roster shows one or one is pending. Answers
// the mode sends are bounded by 30 seconds; one that fails (the stream
// ended) is not retried.
//
// Chats (Smack's ChatManager) are package chat.
//
// # Coming from Smack
//
//	Roster.getInstanceFor(c)            roster.For(c)
//	setRosterLoadedAtLogin(false)        r.SetLoadAtLogin(false)
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
//	addRosterListener: entriesAdded, entriesUpdated, entriesDeleted
//	                                     r.OnChange(func(roster.Change))
//	RosterListener.presenceChanged       r.OnPresenceChanged(func(*stanza.Presence))
//	addRosterLoadedListener              r.OnLoaded(func(roster.Loaded))
//	setRosterStore, DirectoryRosterStore r.SetStore(s), roster.OpenFileStore(path)
//	getPresence(j)                       r.Presence(j)
//	getAvailablePresences, getAllPresences
//	                                     r.Presences(j)
//	getPresenceResource(fullJID)         r.PresenceOf(fullJID)
//	setSubscriptionMode(m)               r.SetSubscriptionMode(m)
//	                                     (Manual, AcceptAll, RejectAll)
//	addSubscribeListener, SubscribeAnswer
//	                                     r.OnSubscriptionRequest, then r.Approve or r.Deny
//	ApproveAndAlsoRequestIfRequired      r.SetSubscribeBack(true)
//	sendSubscriptionRequest(j)           r.Subscribe(ctx, j)
//	presence type subscribed / unsubscribed / unsubscribe
//	                                     r.Approve, r.Deny (also cancels), r.Unsubscribe
//	preApprove(j), isSubscriptionPreApprovalSupported
//	                                     r.PreApprove(ctx, j), r.PreApprovalSupported()
//	sendStanza(available Presence)       r.SetPresence(ctx, show, status, priority)
//	directed Presence                    r.SendDirected(ctx, j, p)
package roster
