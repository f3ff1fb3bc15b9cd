package roster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Roster is the user's contact list on one connection (RFC 6121 section
// 2; Smack's Roster): fetched from the server, cached in memory, kept
// current by roster pushes, and saved in a Store for versioning. For
// returns the connection's Roster; the zero value is not usable. Its
// methods are safe for concurrent use, listeners included.
type Roster struct {
	c      *xmpp.Conn
	detach []func()

	// ctx ends at Close; it bounds the login fetch's request and the
	// answers the subscription mode sends.
	ctx    context.Context
	cancel context.CancelFunc

	changes     listeners.List[func(Change)]
	loaded      listeners.List[func(Loaded)]
	storeFailed listeners.List[func(StoreFailed)]
	presences   listeners.List[func(*stanza.Presence)]
	requests    listeners.List[func(SubscriptionRequest)]

	storeMu sync.Mutex // held around every Store call: one at a time

	mu       sync.Mutex
	closed   bool
	atLogin  bool
	store    Store  // the Store in use
	storeGen uint64 // counts the Stores taken, to tell their saves apart
	next     Store  // set by SetStore, taken by the next fetch; nil if none
	storeBad bool   // the last save to store failed: the next one replaces everything
	entries  map[jid.JID]Entry
	ver      string
	synced   bool // a fetch on the current stream succeeded: pushes may advance ver
	// resultSeq is the stanza.Common.Seq of the last fetch's result in
	// this session (0: none), for the pushes that came before it on the
	// wire but reach the dispatcher after it was applied.
	resultSeq uint64
	cur       *fetch        // the fetch under way, nil if none
	want      bool          // a login wants a fetch once cur is settled
	gen       uint64        // counts logins
	loading   chan struct{} // closed when the fetch of the current login ended
	loadDone  bool
	loadErr   error
	strangers int // contacts in pres with stranger set

	mode SubscriptionMode
	back bool                 // SetSubscribeBack
	pres map[jid.JID]*contact // tracked presence by bare JID
	seq  uint64               // counts available presences, for ties
}

// push is one item of a roster push with the push's version and its
// place in the order the connection received the session's stanzas.
type push struct {
	ver   string
	entry Entry
	seq   uint64
}

// For returns the Roster of c, attaching one the first time (Smack's
// Roster.getInstanceFor): every call for the same Conn returns the same
// Roster until Close, and the next For after Close attaches a new one.
// From the moment it is attached, c answers roster pushes (RFC 6121
// section 2.1.6) with it and, unless SetLoadAtLogin(false), it fetches
// the roster at every login: call For before Connect to have the first
// login's. Attached to a connection that is logged in already, it
// fetches at once (from the dispatcher, after what it holds already). It
// starts with an empty MemoryStore (see SetStore).
//
// For panics if c has another handler for roster pushes. It is safe for
// concurrent use.
func For(c *xmpp.Conn) *Roster {
	return xmpp.Attach(c, attach)
}

func attach(c *xmpp.Conn) *Roster {
	r := &Roster{c: c, atLogin: true, store: new(MemoryStore), loading: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.entries = make(map[jid.JID]Entry)
	r.pres = make(map[jid.JID]*contact)
	r.detach = append(r.detach, handle(c, xmpp.IQHandlerFunc(r.onPush)))
	r.detach = append(r.detach, c.OnState(r.onState))
	r.detach = append(r.detach, c.HandlePresence(nil, r.onPresence))
	if c.IsConnected() {
		// Logged in already: the login's StateAuthenticated may still
		// wait on the dispatcher (onState then hears it before this
		// runs) or be gone.
		c.Dispatch(func() {
			r.mu.Lock()
			missed := r.gen == 0
			r.mu.Unlock()
			if missed && c.IsConnected() {
				r.onState(xmpp.StateChange{State: xmpp.StateAuthenticated, JID: c.JID()})
			}
		})
	}
	return r
}

func handle(c *xmpp.Conn, h xmpp.IQHandler) (remove func()) {
	defer func() {
		if p := recover(); p != nil {
			panic(fmt.Sprintf("roster: For: the connection has another handler for roster pushes: %v", p))
		}
	}()
	return c.HandleIQ(stanza.Set, queryName, h)
}

// Close detaches r from its connection (the next For attaches a new
// Roster): roster pushes are no longer answered by it (the connection
// answers service-unavailable), a fetch under way is abandoned (Load
// returns an error), WaitLoaded returns, and listeners are no longer
// called (a listener running already finishes; what the Store still has
// to save is saved). The entries stay readable. Close waits for nothing,
// so it may be called from a listener; it is safe to call more than once.
func (r *Roster) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	if !r.loadDone {
		r.loadDone, r.loadErr = true, errClosed
		close(r.loading)
	}
	f := r.cur
	r.mu.Unlock()
	r.changes.Clear()
	r.loaded.Clear()
	r.storeFailed.Clear()
	r.presences.Clear()
	r.requests.Clear()
	for _, f := range r.detach {
		f()
	}
	xmpp.Detach(r.c, r)
	r.cancel()
	if f != nil {
		r.settle(f, nil, errClosed, false)
	}
}

// SetLoadAtLogin says whether the Roster fetches the roster at each login
// (Smack's setRosterLoadedAtLogin); it takes effect at the next login.
// It is on until turned off; without it, Load fetches when asked.
func (r *Roster) SetLoadAtLogin(on bool) {
	r.mu.Lock()
	r.atLogin = on
	r.mu.Unlock()
}

// LoadAtLogin reports whether the Roster fetches the roster at each
// login.
func (r *Roster) LoadAtLogin() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.atLogin
}

// SetStore makes the Roster keep the roster and its version in s
// (Smack's setRosterStore), so that a fetch asks the server only for the
// changes since the stored version (RFC 6121 section 2.6). It takes
// effect at the next fetch (the next login's, or Load): that fetch reads
// s (Store.Load), asks for the changes since its version, and the
// entries become s's roster with those changes (the listeners hear the
// difference); from then on every change is saved in s. Until then the
// Roster keeps the Store it had: at first an empty MemoryStore, which
// keeps the version across the reconnections of one Conn. A nil s means
// a new MemoryStore.
func (r *Roster) SetStore(s Store) {
	if s == nil {
		s = new(MemoryStore)
	}
	r.mu.Lock()
	r.next = s
	r.mu.Unlock()
}

// Store returns the Store the Roster saves in, or the one SetStore gave
// for the next fetch.
func (r *Roster) Store() Store {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.next != nil {
		return r.next
	}
	return r.store
}

// Change is what one roster push or fetch changed, as OnChange hears it
// (Smack's RosterListener's entriesAdded, entriesUpdated and
// entriesDeleted, in one event). Each list is sorted by JID; the entries
// are copies that the listener may keep and change.
type Change struct {
	// Added are entries that were not in the roster.
	Added []Entry
	// Updated are entries that changed, as they are now.
	Updated []Entry
	// Deleted are entries that left the roster, as they were.
	Deleted []Entry
}

// Loaded says that a fetch of the roster ended (Smack's
// RosterLoadedListener), after the Change it made, if any.
type Loaded struct {
	// Err is nil when the roster is now the server's (Smack's
	// onRosterLoaded), and says why not otherwise (Smack's
	// onRosterLoadingFailed).
	Err error
}

// StoreFailed says that the Store failed to load or save. The roster in
// memory is still right; the next login may fetch more than it needs to.
type StoreFailed struct {
	// Err is the Store's error, wrapped with what the Roster was doing.
	Err error
}

func mustListen(method string, isNil bool) {
	if isNil {
		panic("roster: " + method + " with a nil listener")
	}
}

// OnChange registers f to hear every change to the entries (Smack's
// RosterListener): one Change per push or fetch that changed something.
// The Roster shows the change when f runs. f runs on the connection's
// dispatcher, in order with the stanzas (see the package doc). The
// returned func removes f; it is safe to call more than once. A nil f
// panics.
func (r *Roster) OnChange(f func(Change)) (remove func()) {
	mustListen("OnChange", f == nil)
	return r.changes.Add(f)
}

// OnLoaded registers f to hear the end of every fetch (Smack's
// addRosterLoadedListener), as OnChange's f does.
func (r *Roster) OnLoaded(f func(Loaded)) (remove func()) {
	mustListen("OnLoaded", f == nil)
	return r.loaded.Add(f)
}

// OnStoreFailed registers f to hear the Store's failures, as OnChange's
// f does.
func (r *Roster) OnStoreFailed(f func(StoreFailed)) (remove func()) {
	mustListen("OnStoreFailed", f == nil)
	return r.storeFailed.Add(f)
}

// Entries returns the roster's entries, sorted by JID (Smack's
// getEntries).
func (r *Roster) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := make([]Entry, 0, len(r.entries))
	for _, e := range r.entries {
		l = append(l, e.clone())
	}
	slices.SortFunc(l, byJID)
	return l
}

// Entry returns the entry for the contact j (its bare JID is looked up),
// and whether there is one (Smack's getEntry and contains).
func (r *Roster) Entry(j jid.JID) (Entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[j.Bare()]
	return e.clone(), ok
}

// Len returns the number of entries (Smack's getEntryCount).
func (r *Roster) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// Version returns the roster version the Roster holds (RFC 6121 section
// 2.6), "" when the server gave none.
func (r *Roster) Version() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ver
}

// Group is a roster group (Smack's RosterGroup), a snapshot: its entries
// as they were when it was made, sorted by JID. Groups exist only through
// their entries (RFC 6121 section 2.1.2.4): a group is created by putting
// an entry in it with Set and disappears with its last entry.
type Group struct {
	// Name is the group's name, the text of the entries' <group/>.
	Name string
	// Entries are the entries in the group, copies sorted by JID.
	Entries []Entry
}

// Groups returns the roster's groups, sorted by name (Smack's
// getGroups).
func (r *Roster) Groups() []Group {
	r.mu.Lock()
	m := make(map[string][]Entry)
	for _, e := range r.entries {
		for _, g := range e.Groups {
			m[g] = append(m[g], e.clone())
		}
	}
	r.mu.Unlock()
	l := make([]Group, 0, len(m))
	for name, es := range m {
		slices.SortFunc(es, byJID)
		l = append(l, Group{Name: name, Entries: es})
	}
	slices.SortFunc(l, func(a, b Group) int { return cmp.Compare(a.Name, b.Name) })
	return l
}

// Group returns the named group and whether it has entries (Smack's
// getGroup).
func (r *Roster) Group(name string) (Group, bool) {
	g := Group{Name: name}
	r.mu.Lock()
	for _, e := range r.entries {
		if e.InGroup(name) {
			g.Entries = append(g.Entries, e.clone())
		}
	}
	r.mu.Unlock()
	slices.SortFunc(g.Entries, byJID)
	return g, len(g.Entries) > 0
}

// Unfiled returns the entries in no group, sorted by JID (Smack's
// getUnfiledEntries).
func (r *Roster) Unfiled() []Entry {
	r.mu.Lock()
	var l []Entry
	for _, e := range r.entries {
		if len(e.Groups) == 0 {
			l = append(l, e.clone())
		}
	}
	r.mu.Unlock()
	slices.SortFunc(l, byJID)
	return l
}

// ErrBadEntry means Set or Remove was given an entry the protocol cannot
// carry: no JID, a JID with a resource, an empty group name.
var ErrBadEntry = errors.New("roster: bad entry")

// Set adds the entry to the roster, or updates it (RFC 6121 sections 2.3
// and 2.4; Smack's createItem, RosterEntry.setName and RosterGroup's
// addEntry and removeEntry): the roster item gets e's name and exactly
// e's groups (none: unfiled). e.Subscription, Ask and Approved are not
// sent: the server keeps them, and subscriptions change by presence.
// Groups named twice are sent once. To rename or regroup, change a copy
// from Entry and Set it.
//
// Set returns when the server answered; the server's error is a
// *stanza.Error (errors.As finds it): not-acceptable for a name or group
// too long, for example. The change reaches Entries with the roster push
// the server sends to every resource of the account, this one included,
// usually just before its answer. ctx bounds the request, as in
// xmpp.Conn.SendIQ.
func (r *Roster) Set(ctx context.Context, e Entry) error {
	if err := checkJID(e.JID); err != nil {
		return err
	}
	var groups []string
	for _, g := range e.Groups {
		if g == "" {
			return fmt.Errorf("%w: %s: an empty group name", ErrBadEntry, e.JID)
		}
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	e.Groups = groups
	if err := r.set(ctx, itemNode(e, false)); err != nil {
		return fmt.Errorf("roster: setting %s: %w", e.JID, err)
	}
	return nil
}

// Remove deletes the contact j from the roster (RFC 6121 section 2.5;
// Smack's removeEntry): the server also cancels the subscriptions both
// ways. It returns as Set does; removing a contact that is not in the
// roster is the server's item-not-found.
func (r *Roster) Remove(ctx context.Context, j jid.JID) error {
	if err := checkJID(j); err != nil {
		return err
	}
	if err := r.set(ctx, itemNode(Entry{JID: j}, true)); err != nil {
		return fmt.Errorf("roster: removing %s: %w", j, err)
	}
	return nil
}

func checkJID(j jid.JID) error {
	if j.IsZero() {
		return fmt.Errorf("%w: no JID", ErrBadEntry)
	}
	if j.Resourcepart() != "" {
		return fmt.Errorf("%w: %s is not a bare JID", ErrBadEntry, j)
	}
	return nil
}

func (r *Roster) set(ctx context.Context, item stanza.Node) error {
	iq := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{Name: queryName, Nodes: []stanza.Node{item}}}
	_, err := r.c.SendIQ(ctx, iq)
	return err
}

// onPush answers a roster push (RFC 6121 section 2.1.6), on the
// dispatcher: it applies the push and tells the Store and the listeners
// at once, so they hear it in its place among the stanzas.
func (r *Roster) onPush(_ context.Context, iq *stanza.IQ) (*stanza.Node, error) {
	// Only the server, for the account, may push: no from, or the
	// account's bare JID. Anything else is an attack (a contact telling
	// the client who is in its roster); RFC 6121 lets the client answer
	// service-unavailable, as for a request nobody handles, and the
	// pushed data is not looked at.
	if !iq.From.IsZero() && iq.From != r.c.JID().Bare() {
		return nil, stanza.NewError(stanza.Cancel, stanza.ServiceUnavailable)
	}
	p, serr := parsePush(iq.Payload)
	if serr != nil {
		return nil, serr
	}
	p.seq = iq.Seq
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, nil
	}
	if f := r.cur; f != nil {
		// A fetch waits for its result, which comes after this push on
		// the wire (a result read before it would have settled the
		// fetch): the push is applied now and again over the result,
		// so that a result older than the push does not undo it.
		f.pushes = append(f.pushes, p)
	}
	// A push received before the last fetch's result, though handled
	// after it, is applied but does not take its version: the result's
	// is newer. During a fetch, synced is false: no push takes its
	// version before the result is in.
	takeVer := r.synced && p.seq >= r.resultSeq
	var ch change
	r.applyLocked(p, takeVer, &ch)
	r.forgetLocked(ch.deleted)
	// Out of sync (no fetch succeeded on this stream), the stored
	// version must stay the one the entries were fetched at: a later
	// fetch then asks for every change since, this one included.
	ver := ""
	if takeVer {
		ver = p.ver
	}
	b := r.batchLocked()
	b.ch = ch
	b.save = func(s Store) error { return s.Update(ver, []Entry{p.entry}) }
	r.mu.Unlock()
	r.run(b)
	return nil, nil
}

// applyLocked applies one push to the entries, noting the change in ch;
// with takeVer, its version becomes r.ver.
func (r *Roster) applyLocked(p push, takeVer bool, ch *change) {
	if takeVer && p.ver != "" {
		r.ver = p.ver
	}
	e := p.entry
	old, had := r.entries[e.JID]
	if e.Subscription == SubscriptionRemove {
		if had {
			delete(r.entries, e.JID)
			ch.deleted = append(ch.deleted, old)
		}
		return
	}
	r.entries[e.JID] = e
	switch {
	case !had:
		ch.added = append(ch.added, e)
	case !old.equal(e):
		ch.updated = append(ch.updated, e)
	}
}

// onState fetches the roster at login and, when the session ends, ends
// a fetch under way and makes every tracked resource unavailable; on the
// dispatcher.
func (r *Roster) onState(sc xmpp.StateChange) {
	switch sc.State {
	case xmpp.StateClosed:
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return
		}
		r.synced = false
		f := r.cur
		l := r.offlineLocked()
		r.mu.Unlock()
		if f != nil {
			r.settle(f, nil, fmt.Errorf("roster: fetching: %w", xmpp.ErrNotConnected), true)
		}
		r.tellPresences(l)
	case xmpp.StateAuthenticated:
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return
		}
		r.synced = false
		r.resultSeq = 0 // a new session counts anew
		r.gen++
		if r.loadDone {
			r.loading, r.loadDone, r.loadErr = make(chan struct{}), false, nil
		}
		start := r.atLogin
		r.mu.Unlock()
		if start {
			r.loginFetch()
		}
	}
}
