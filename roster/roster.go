package roster

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Option configures a Roster made by New.
type Option func(*Roster)

// LoadAtLogin says whether the Roster fetches the roster each time the
// connection logs in (Smack's setRosterLoadedAtLogin); the default is
// true. Without it, Load fetches when asked.
func LoadAtLogin(on bool) Option { return func(r *Roster) { r.atLogin = on } }

// WithStore keeps the roster and its version in s (Smack's
// setRosterStore), so that a login asks the server only for the changes
// since the stored version (RFC 6121 section 2.6). The default is a
// MemoryStore, which keeps the version across the reconnections of one
// Conn. A nil s means the default.
func WithStore(s Store) Option { return func(r *Roster) { r.store = s } }

// Listener is what a roster listener wants to hear (Smack's
// RosterListener and RosterLoadedListener): a nil field is not called.
// Entries are copies, sorted by JID; the Roster already shows the change
// when a func runs. See the package doc for where and in what order they
// run.
type Listener struct {
	// Added receives entries that were not in the roster.
	Added func([]Entry)
	// Updated receives entries that changed, as they are now.
	Updated func([]Entry)
	// Deleted receives entries that left the roster, as they were.
	Deleted func([]Entry)
	// Loaded hears that a fetch ended: nil when the roster is now the
	// server's (after Added, Updated and Deleted for what changed), or
	// why not. (Smack's onRosterLoaded and onRosterLoadingFailed.)
	Loaded func(err error)
	// StoreFailed hears that the Store failed to load or save. The
	// roster in memory is still right; the next login may fetch more
	// than it needs to.
	StoreFailed func(err error)
	// PresenceChanged receives a presence that changed what Presence,
	// Presences or PresenceOf return (Smack's presenceChanged): an
	// available, unavailable or error presence from a contact, from
	// another resource of the account, or from a stranger while the
	// Roster tracks it (see the package doc); and, when the stream
	// ends, an unavailable presence from each resource that was
	// available. It is a copy (a stranger's trimmed, see the package
	// doc).
	PresenceChanged func(p *stanza.Presence)
	// SubscriptionRequested is asked about a contact's request to see
	// the user's presence (p.Type is stanza.Subscribe, p.From the
	// contact), in Manual mode only: listeners are asked in
	// registration order until one answers Accept or Reject, which the
	// Roster then sends (as Approve or Deny). When all answer Undecided
	// (or there is no such listener), the request waits for Approve or
	// Deny. (Smack's SubscribeListener.)
	SubscriptionRequested func(p *stanza.Presence) Answer
}

// Roster is the user's contact list on one connection (RFC 6121 section
// 2; Smack's Roster): fetched from the server, cached in memory, kept
// current by roster pushes, and saved in a Store for versioning. New makes
// one; there is no zero value to use. Its methods are safe for concurrent
// use, listeners included.
type Roster struct {
	c       *xmpp.Conn
	store   Store
	atLogin bool
	detach  []func()

	ctx    context.Context // ends at Close; bounds fetches at login
	cancel context.CancelFunc
	sem    chan struct{}  // one fetch's network part at a time
	wg     sync.WaitGroup // the login fetch goroutine

	mu       sync.Mutex
	closed   bool
	entries  map[jid.JID]Entry
	ver      string
	synced   bool   // a fetch on the current stream succeeded: pushes may advance ver
	storeErr error  // Store.Load's error in New, until reported
	storeBad bool   // the last Store save failed: the next one replaces everything
	fetching bool   // a fetch waits for its result: pushes wait in buffered
	buffered []push // pushes received during the fetch, in order
	// resultSeq is the stanza.Common.Seq of the last fetch's result in
	// this session (0: none), for the pushes that came before it on the
	// wire but reach onPush after it was applied.
	resultSeq uint64
	gen       uint64        // counts logins
	want      bool          // a login wants a fetch
	running   bool          // the login fetch goroutine runs
	loading   chan struct{} // closed when the fetch of the current login ended
	loadDone  bool
	loadErr   error
	listeners []*Listener
	queue     []batch   // what listeners and the Store still have to hear
	draining  bool      // a goroutine delivers the queue
	room      sync.Cond // signalled (on r.mu) when the queue shrinks or Close
	strangers int       // contacts in pres with stranger set

	mode SubscriptionMode
	back bool                 // SubscribeBack
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

// New attaches a Roster to c, before Connect so that it sees the first
// login: from then on c answers roster pushes (RFC 6121 section 2.1.6),
// and, unless LoadAtLogin(false), the Roster fetches the roster after
// every login, on a goroutine of its own (see the package doc). The
// Store's contents are loaded at once: Entries shows the stored roster
// before the first login. Attached to a connection that is logged in
// already, it fetches at once.
//
// A Conn takes one Roster: New on a connection that has one (or another
// handler for roster pushes) panics. Close the first to attach another.
func New(c *xmpp.Conn, opts ...Option) *Roster {
	r := &Roster{c: c, atLogin: true, sem: make(chan struct{}, 1), loading: make(chan struct{})}
	for _, o := range opts {
		o(r)
	}
	if r.store == nil {
		r.store = new(MemoryStore)
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.room.L = &r.mu
	r.entries = make(map[jid.JID]Entry)
	r.pres = make(map[jid.JID]*contact)
	if ver, entries, err := r.store.Load(); err != nil {
		r.storeErr = fmt.Errorf("roster: loading the store: %w", err)
	} else {
		r.ver = ver
		for _, e := range entries {
			r.entries[e.JID] = e.clone()
		}
	}
	r.detach = append(r.detach, handle(c, xmpp.IQHandlerFunc(r.onPush)))
	r.detach = append(r.detach, c.OnState(r.onState))
	r.detach = append(r.detach, c.HandlePresence(nil, r.onPresence))
	if c.IsConnected() {
		r.onState(xmpp.StateChange{State: xmpp.StateAuthenticated, JID: c.JID()})
	}
	return r
}

func handle(c *xmpp.Conn, h xmpp.IQHandler) (remove func()) {
	defer func() {
		if p := recover(); p != nil {
			panic(fmt.Sprintf("roster: New: the connection already has a Roster (Close it before attaching another): %v", p))
		}
	}()
	return c.HandleIQ(stanza.Set, Name, h)
}

// Close detaches r from its connection: roster pushes are no longer
// answered by it (the connection answers service-unavailable), the fetch
// at login stops, a fetch under way is abandoned (Load returns an error),
// WaitLoaded returns, and listeners are no longer called (a listener
// running already finishes; what the Store still has to save is saved).
// The entries stay readable. Close returns once the login fetch
// goroutine has stopped waiting for the network; it does not wait for
// listeners, so it may be called from one. It is safe to call more than
// once.
func (r *Roster) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.listeners = nil
	if !r.loadDone {
		r.loadDone, r.loadErr = true, errClosed
		close(r.loading)
	}
	r.room.Broadcast()
	r.mu.Unlock()
	for _, f := range r.detach {
		f()
	}
	r.cancel()
	r.wg.Wait()
}

// Listen registers l (Smack's addRosterListener and
// addRosterLoadedListener). The returned func removes it; it is safe to
// call more than once.
func (r *Roster) Listen(l Listener) (remove func()) {
	p := &l
	r.mu.Lock()
	if !r.closed {
		r.listeners = append(r.listeners, p)
	}
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.listeners = slices.DeleteFunc(slices.Clone(r.listeners), func(q *Listener) bool { return q == p })
			r.mu.Unlock()
		})
	}
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
	slices.SortFunc(l, func(a, b Group) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
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
	iq := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{Name: Name, Nodes: []stanza.Node{item}}}
	_, err := r.c.SendIQ(ctx, iq)
	return err
}

// onPush answers a roster push (RFC 6121 section 2.1.6), on the
// dispatcher.
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
	r.waitRoomLocked()
	if r.closed {
		r.mu.Unlock()
		return nil, nil
	}
	if r.fetching {
		// The fetch's result may come before or after this push on the
		// wire: the push is applied with the result (see fetchNet).
		r.buffered = append(r.buffered, p)
		r.mu.Unlock()
		return nil, nil
	}
	// A push received before the last fetch's result, though heard
	// after it, is applied but does not take its version: the result's
	// is newer.
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
	b := batch{ch: ch, save: func(s Store) error { return s.Update(ver, []Entry{p.entry}) }}
	run := r.queueLocked(b)
	r.mu.Unlock()
	if run {
		r.drain()
	}
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

// onState fetches the roster at login.
func (r *Roster) onState(sc xmpp.StateChange) {
	if sc.State == xmpp.StateClosed {
		r.mu.Lock()
		r.waitRoomLocked()
		if r.closed {
			r.mu.Unlock()
			return
		}
		r.synced = false
		run := false
		if l := r.offlineLocked(); len(l) > 0 {
			run = r.queueLocked(batch{presences: l})
		}
		r.mu.Unlock()
		if run {
			r.drain()
		}
		return
	}
	if sc.State != xmpp.StateAuthenticated {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.synced = false
	r.resultSeq = 0 // a new session counts anew
	r.gen++
	if r.loadDone {
		r.loading, r.loadDone, r.loadErr = make(chan struct{}), false, nil
	}
	if !r.atLogin {
		return
	}
	r.want = true
	if !r.running {
		r.running = true
		r.wg.Add(1)
		go r.fetchLoop()
	}
}

// fetchLoop is the goroutine that fetches at login. There is at most one:
// a login while it fetches makes it fetch again when done. It does not
// deliver to the listeners itself: when the batch it queued must be
// drained, a goroutine of its own does that, so that Close (which waits
// for fetchLoop) never waits for a listener.
func (r *Roster) fetchLoop() {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		if !r.want || r.closed {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.want = false
		r.mu.Unlock()
		if run, _ := r.fetchNet(r.ctx); run {
			go r.drain()
		}
	}
}

// Load fetches the roster now (Smack's reload and reloadAndWait), which
// the Roster does by itself at each login unless LoadAtLogin(false). When
// the server offers roster versioning, the request carries the stored
// version, and the server answers with the whole roster or with only the
// changes as pushes. Load returns when the roster is the server's; the
// error is the server's *stanza.Error, or says why the request failed.
// ctx bounds the request as in xmpp.Conn.SendIQ, and the wait for a fetch
// under way, which goes first.
//
// The listeners hear the changes (and Loaded) before Load returns, on the
// caller's goroutine, unless another goroutine delivers batches already:
// then that goroutine delivers them after what it delivers now, and Load
// does not wait for it. Load may thus be called from a listener, which
// hears the changes after it returns.
func (r *Roster) Load(ctx context.Context) error {
	run, err := r.fetchNet(ctx)
	if run {
		r.drain()
	}
	return err
}

var errClosed = errors.New("roster: closed")

// WaitLoaded waits until the roster was fetched after the latest login
// (Smack's waitUntilLoaded), ctx ends, or Close. It returns the fetch's
// error (one saying the Roster is closed after Close); before any login,
// and with LoadAtLogin(false) until Load, it waits. Like Load, it may
// return before the listeners heard the fetch's changes.
func (r *Roster) WaitLoaded(ctx context.Context) error {
	r.mu.Lock()
	ch := r.loading
	r.mu.Unlock()
	select {
	case <-ch:
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.loading == ch {
			return r.loadErr
		}
		return nil // an earlier login's fetch: it ended well enough to close
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetchNet asks for the roster and applies the answer (RFC 6121 sections
// 2.1.3 and 2.6), then queues the batch for the Store and the listeners:
// run says whether the caller must drain the queue. It holds r.sem only
// until the answer is applied (the batches keep their order by
// queueLocked), never while listeners run, so a listener may call Load.
func (r *Roster) fetchNet(ctx context.Context) (run bool, err error) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	release := sync.OnceFunc(func() { <-r.sem })
	defer release()

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false, errClosed
	}
	gen := r.gen
	q := &stanza.Node{Name: Name}
	if r.c.Features().Has(FeatureVersioning.Space, FeatureVersioning.Local) {
		ver := r.ver
		if r.storeErr != nil {
			ver = "" // the store failed: start versioning over
		}
		q.Attrs = []xml.Attr{{Name: xml.Name{Local: "ver"}, Value: ver}}
	}
	r.fetching, r.buffered = true, nil
	r.synced = false
	storeErr := r.storeErr
	r.storeErr = nil
	r.mu.Unlock()

	reply, err := r.c.SendIQ(ctx, &stanza.IQ{Type: stanza.Get, Payload: q})
	var full []Entry
	var fullVer string
	ok := err == nil // the roster is the server's (whole, or current as stored)
	if err == nil && reply.Payload != nil {
		if reply.Payload.Name != Name {
			err = fmt.Errorf("roster: the server answered with <%s xmlns='%s'/>", reply.Payload.Name.Local, reply.Payload.Name.Space)
		} else {
			fullVer, full = parseResult(reply.Payload)
		}
	}
	if err != nil {
		err = fmt.Errorf("roster: fetching: %w", err)
	}

	if err != nil {
		ok = false
	}

	r.mu.Lock()
	pushes := r.buffered
	r.fetching, r.buffered = false, nil
	if err == nil && r.gen == gen {
		r.resultSeq = reply.Seq
	}
	old := r.entries
	b := batch{loaded: true, loadErr: err, storeErr: storeErr}
	if full != nil {
		r.entries = make(map[jid.JID]Entry, len(full))
		for _, e := range full {
			r.entries[e.JID] = e
		}
		r.ver = fullVer
	} else if len(pushes) > 0 {
		r.entries = maps(old)
	}
	// The pushes heard during the fetch are applied on top of the
	// result, in order, so that none is lost under a result older than
	// it. Where each stood on the wire says whether it takes its
	// version: one received before the result does not (the result's,
	// or the stored one it says is current, is newer); one received
	// after it, as the changes a versioned result announces, does. After
	// a failed fetch none does: they may have come before changes the
	// entries lack.
	changed := make([]Entry, 0, len(pushes))
	afterVer := ""
	for _, p := range pushes {
		before := err != nil || p.seq < reply.Seq
		var ignored change
		r.applyLocked(p, !before, &ignored)
		if !before && p.ver != "" {
			afterVer = p.ver
		}
		changed = append(changed, p.entry)
	}
	if ok && r.gen == gen && !r.closed {
		r.synced = true
	}
	if full != nil {
		b.ch = diff(old, r.entries)
		r.forgetLocked(b.ch.deleted)
		ver, all := r.ver, listOf(r.entries)
		b.save = func(s Store) error { return s.Replace(ver, all) }
	} else if len(changed) > 0 {
		b.ch = diff(old, r.entries)
		r.forgetLocked(b.ch.deleted)
		b.save = func(s Store) error { return s.Update(afterVer, changed) }
	}
	if gen == r.gen && !r.loadDone {
		r.loadDone, r.loadErr = true, err
		close(r.loading)
	}
	run = r.queueLocked(b)
	r.mu.Unlock()
	release()
	return run, err
}

func maps(m map[jid.JID]Entry) map[jid.JID]Entry {
	c := make(map[jid.JID]Entry, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func listOf(m map[jid.JID]Entry) []Entry {
	l := make([]Entry, 0, len(m))
	for _, e := range m {
		l = append(l, e.clone())
	}
	slices.SortFunc(l, byJID)
	return l
}

// change is what one push or fetch changed.
type change struct{ added, updated, deleted []Entry }

func diff(old, cur map[jid.JID]Entry) change {
	var ch change
	for j, e := range cur {
		o, had := old[j]
		switch {
		case !had:
			ch.added = append(ch.added, e)
		case !o.equal(e):
			ch.updated = append(ch.updated, e)
		}
	}
	for j, o := range old {
		if _, ok := cur[j]; !ok {
			ch.deleted = append(ch.deleted, o)
		}
	}
	return ch
}

// batch is what one push or fetch has the Store and the listeners do.
type batch struct {
	save     func(Store) error // nil: nothing to save
	ch       change
	loaded   bool // a fetch ended: call Loaded with loadErr
	loadErr  error
	storeErr error // an earlier Store error to report

	presences []*stanza.Presence // for PresenceChanged
	request   *stanza.Presence   // a subscription request to answer
	mode      SubscriptionMode   // the mode when request came
}

// maxQueue bounds the batches waiting for delivery that the dispatcher
// queues (see waitRoomLocked).
const maxQueue = 256

// waitRoomLocked waits, on the dispatcher, while the queue is full and
// another goroutine drains it, so that a slow listener holds up the
// dispatcher (and, past its own bound, the reading of the stream) instead
// of letting the queue grow without bound. The caller calls it before
// changing anything, so that its batch keeps its place in the order of
// the changes.
//
// It cannot deadlock with the Roster itself: only the handlers on the
// connection's dispatcher (pushes, presence, subscription requests, the
// end of the stream) wait, and never when they drain themselves (the
// queue then empties behind them). The goroutine that drains does not wait
// for the dispatcher: a listener that calls back into the Roster takes
// r.mu only briefly, and Load, Set or Remove from a listener wait for the
// network, whose replies the connection's reader delivers without the
// dispatcher. fetchNet does not wait here (it may run in a listener, on
// the goroutine that drains); it queues one batch per fetch. A listener
// that waits for something only the dispatcher does (a message handler,
// say) holds the dispatcher, as it would by running on it.
func (r *Roster) waitRoomLocked() {
	for r.draining && len(r.queue) >= maxQueue && !r.closed {
		r.room.Wait()
	}
}

// queueLocked queues b and reports whether the caller must drain the
// queue (no goroutine does already).
func (r *Roster) queueLocked(b batch) bool {
	r.queue = append(r.queue, b)
	if r.draining {
		return false
	}
	r.draining = true
	return true
}

// drain runs the queued batches in order, one at a time: the Store's
// writes, then the listeners. Whoever queues a batch when nobody drains
// drains; a batch queued meanwhile is run by the goroutine that drains.
// No lock is held while the Store or a listener runs, so a listener may
// read the roster and call Set, Remove and Load.
func (r *Roster) drain() {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.queue, r.draining = nil, false
			r.room.Broadcast()
			r.mu.Unlock()
			return
		}
		b := r.queue[0]
		r.queue[0] = batch{}
		r.queue = r.queue[1:]
		ls := r.listeners
		r.room.Broadcast()
		r.mu.Unlock()
		r.run(b, ls)
	}
}

func (r *Roster) run(b batch, ls []*Listener) {
	storeErr := b.storeErr
	if save := b.save; save != nil {
		r.mu.Lock()
		if r.storeBad {
			// The Store may lack an earlier change: save everything,
			// at the version the entries are at.
			ver, all := r.ver, listOf(r.entries)
			save = func(s Store) error { return s.Replace(ver, all) }
		}
		r.mu.Unlock()
		err := save(r.store)
		r.mu.Lock()
		r.storeBad = err != nil
		r.mu.Unlock()
		if err != nil {
			storeErr = errors.Join(storeErr, err)
		}
	}
	for _, l := range []struct {
		l []Entry
		f func(*Listener) func([]Entry)
	}{
		{b.ch.added, func(l *Listener) func([]Entry) { return l.Added }},
		{b.ch.updated, func(l *Listener) func([]Entry) { return l.Updated }},
		{b.ch.deleted, func(l *Listener) func([]Entry) { return l.Deleted }},
	} {
		if len(l.l) == 0 {
			continue
		}
		slices.SortFunc(l.l, byJID)
		for _, li := range ls {
			if f := l.f(li); f != nil {
				f(cloneAll(l.l))
			}
		}
	}
	if storeErr != nil {
		for _, li := range ls {
			if li.StoreFailed != nil {
				li.StoreFailed(storeErr)
			}
		}
	}
	if b.loaded {
		for _, li := range ls {
			if li.Loaded != nil {
				li.Loaded(b.loadErr)
			}
		}
	}
	for _, p := range b.presences {
		for _, li := range ls {
			if li.PresenceChanged != nil {
				li.PresenceChanged(clonePresence(p))
			}
		}
	}
	if b.request != nil {
		r.answer(b.request, b.mode, ls)
	}
}

func cloneAll(l []Entry) []Entry {
	c := make([]Entry, len(l))
	for i, e := range l {
		c[i] = e.clone()
	}
	return c
}
