package roster

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// This file holds the fetch of the roster (RFC 6121 sections 2.1.3 and
// 2.6) and the delivery of what changes to the Store and the listeners.
//
// A fetch has no goroutine of its own. Its request is sent with
// Conn.SendIQFunc, whose func runs on the connection's reader as the reply
// is read, before the next stanza is, so settle applies the result there
// and then, and queues the listeners' part with Conn.Dispatch: it lands in
// the dispatcher's queue exactly where the reply stood on the wire, among
// the stanzas before and after it. Whatever waits for a fetch (Load,
// WaitLoaded) waits for the reader, never for the dispatcher, so it may
// be called from a listener.

var errClosed = errors.New("roster: closed")

// errBusy: a fetch is under way already (loginFetch asks again later).
var errBusy = errors.New("roster: a fetch is under way")

// fetch is one roster request under way.
type fetch struct {
	gen  uint64        // the login it belongs to
	done chan struct{} // closed when settled

	// Guarded by Roster.mu.
	settled bool
	err     error // the fetch's error, once settled
	// pushes are those the dispatcher applied while the fetch waited:
	// they came before the result on the wire, and are applied again
	// over it.
	pushes []push
	// taken is set when the fetch took the Store that SetStore gave:
	// stored and storedVer are what it holds (nil and "" if its Load
	// failed, storeErr saying why).
	taken     bool
	stored    map[jid.JID]Entry
	storedVer string
	storeErr  error
}

// loginFetch starts the fetch of a login, or has the one under way start
// it again when it ends. Its outcome is for Loaded and WaitLoaded.
func (r *Roster) loginFetch() {
	_, _ = r.begin(r.ctx, false)
}

// begin starts a fetch and sends its request. With wait, it first waits
// (until ctx ends) for a fetch under way to end; without, it returns
// errBusy and has that fetch's end start another. The returned fetch may
// be settled already (its request could not be sent).
func (r *Roster) begin(ctx context.Context, wait bool) (*fetch, error) {
	r.mu.Lock()
	for r.cur != nil && !r.closed {
		if !wait {
			r.want = true
			r.mu.Unlock()
			return nil, errBusy
		}
		d := r.cur.done
		r.mu.Unlock()
		select {
		case <-d:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		r.mu.Lock()
	}
	if r.closed {
		r.mu.Unlock()
		return nil, errClosed
	}
	f := &fetch{gen: r.gen, done: make(chan struct{})}
	r.cur = f
	r.synced = false
	next := r.next
	r.next = nil
	r.mu.Unlock()

	if next != nil {
		r.storeMu.Lock()
		ver, entries, err := next.Load()
		r.storeMu.Unlock()
		r.mu.Lock()
		f.taken = true
		r.store, r.storeBad = next, false
		r.storeGen++
		if err != nil {
			f.storeErr = fmt.Errorf("roster: loading the store: %w", err)
		} else {
			f.storedVer = ver
			f.stored = make(map[jid.JID]Entry, len(entries))
			for _, e := range entries {
				f.stored[e.JID] = e.clone()
			}
		}
		r.mu.Unlock()
	}

	q := &stanza.Node{Name: queryName}
	if r.c.Features().Has(NSVersioning, "ver") {
		r.mu.Lock()
		ver := r.ver
		if f.taken {
			ver = f.storedVer // "" if the store failed: ask for everything
		}
		r.mu.Unlock()
		// An empty ver asks for a version when nothing is stored.
		q.Attrs = []xml.Attr{{Name: xml.Name{Local: "ver"}, Value: ver}}
	}
	iq := &stanza.IQ{Type: stanza.Get, Payload: q}
	err := r.c.SendIQFunc(ctx, iq, func(reply *stanza.IQ, err error) {
		if reply == nil { // the session ended first
			r.settle(f, nil, fmt.Errorf("roster: fetching: %w", err), false)
			return
		}
		r.settle(f, reply, nil, false)
	})
	if err != nil {
		r.settle(f, nil, fmt.Errorf("roster: fetching: %w", err), false)
	}
	return f, nil
}

// settle ends f, with its reply (nil if it ended without one) or err,
// once: it applies the result to the entries at once, so that whatever
// runs next (a listener of the next stanza, a WaitLoaded) sees the roster
// the server sent, and wakes the waiters (f.done). The Store and the listeners hear
// it on the dispatcher: directly when onDispatcher, else in the place
// Conn.Dispatch gives (for a reply, the reply's place on the wire).
func (r *Roster) settle(f *fetch, reply *stanza.IQ, err error, onDispatcher bool) {
	var full []Entry
	var fullVer string
	if reply != nil {
		switch {
		case reply.Type == stanza.IQError && reply.Error != nil:
			err = reply.Error
		case reply.Type == stanza.IQError:
			err = stanza.NewError(stanza.Cancel, stanza.UndefinedCondition)
		case reply.Payload == nil:
			// The stored roster is current; the changes since come
			// as pushes (RFC 6121 section 2.6.3).
		case reply.Payload.Name != queryName:
			err = fmt.Errorf("the server answered with <%s xmlns='%s'/>", reply.Payload.Name.Local, reply.Payload.Name.Space)
		default:
			fullVer, full = parseResult(reply.Payload)
		}
		if err != nil {
			err = fmt.Errorf("roster: fetching: %w", err)
		}
	}

	r.mu.Lock()
	if f.settled {
		r.mu.Unlock()
		return
	}
	f.settled, f.err = true, err
	if r.cur == f {
		r.cur = nil
	}
	// The entries become the result, or the taken Store's roster, with
	// the pushes applied while the fetch waited on top (they are in
	// the entries already otherwise).
	old := r.entries
	rebased := false
	if f.storeErr != nil {
		r.ver = "" // the Store's version is lost: the next fetch asks for everything
	}
	if f.taken && f.stored != nil {
		r.entries, r.ver, rebased = f.stored, f.storedVer, true
	}
	if full != nil {
		r.entries = make(map[jid.JID]Entry, len(full))
		for _, e := range full {
			r.entries[e.JID] = e
		}
		r.ver, rebased = fullVer, true
	}
	if rebased {
		var ignored change
		for _, p := range f.pushes {
			r.applyLocked(p, false, &ignored)
		}
	}
	if err == nil && f.gen == r.gen && !r.closed {
		r.synced = true
		if reply != nil {
			r.resultSeq = reply.Seq
		}
	}
	b := r.batchLocked()
	b.ch = diff(old, r.entries)
	r.forgetLocked(b.ch.deleted)
	b.loaded, b.loadErr, b.storeErr = true, err, f.storeErr
	if full != nil {
		ver, all := r.ver, listOf(r.entries)
		b.save = func(s Store) error { return s.Replace(ver, all) }
	}
	if f.gen == r.gen && !r.loadDone {
		r.loadDone, r.loadErr = true, err
		close(r.loading)
	}
	again := r.want && !r.closed
	r.want = false
	closed := r.closed
	close(f.done)
	r.mu.Unlock()

	if closed {
		return
	}
	switch {
	case onDispatcher:
		r.run(b)
	default:
		r.c.Dispatch(func() { r.run(b) })
	}
	if again {
		r.c.Dispatch(r.loginFetch)
	}
}

// await waits until f is settled and returns its error, or ctx's error
// when ctx ends first. A fetch is settled by its reply or by the end of
// the session, both seen by the reader, never by the dispatcher.
func (r *Roster) await(ctx context.Context, f *fetch) error {
	select {
	case <-f.done:
		r.mu.Lock()
		defer r.mu.Unlock()
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Load fetches the roster now (Smack's reload and reloadAndWait), which
// the Roster does by itself at each login unless SetLoadAtLogin(false).
// When the server offers roster versioning, the request carries the
// stored version, and the server answers with the whole roster or with
// only the changes, as pushes. A fetch under way goes first. Load returns
// when the roster is the server's: Entries shows it; the error is the
// server's *stanza.Error, or says why the request failed. The listeners
// hear the Change and Loaded on the dispatcher, where the server's
// answer stood among the stanzas, which may be after Load returns
// (always, when Load is called from a listener).
//
// ctx bounds the wait for a fetch under way and for the answer; when it
// ends, Load returns its error and the fetch goes on (a late answer is
// applied as usual). Load waits for the connection's reader, never for
// its dispatcher, so it may be called from a listener. It fails at once
// when the connection is not logged in.
func (r *Roster) Load(ctx context.Context) error {
	f, err := r.begin(ctx, true)
	if err != nil {
		return err
	}
	return r.await(ctx, f)
}

// WaitLoaded waits until the roster was fetched after the latest login
// the Roster heard of (Smack's waitUntilLoaded), ctx ends, or Close; it
// returns the fetch's error (errors saying the Roster is closed after
// Close, or that the session ended). Before any login, and with
// SetLoadAtLogin(false) until Load, it waits. It waits for the
// connection's reader, never for its dispatcher, so a listener may call
// it; like Load, it may return before the listeners heard the fetch's
// Change and Loaded.
func (r *Roster) WaitLoaded(ctx context.Context) error {
	for {
		r.mu.Lock()
		if r.loadDone {
			err := r.loadErr
			r.mu.Unlock()
			return err
		}
		ch, f := r.loading, r.cur
		r.mu.Unlock()
		if f == nil {
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := r.await(ctx, f); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
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

func (ch change) empty() bool {
	return len(ch.added) == 0 && len(ch.updated) == 0 && len(ch.deleted) == 0
}

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

// batch is what one push or fetch has the Store and the listeners do, on
// the dispatcher.
type batch struct {
	store    Store
	storeGen uint64
	save     func(Store) error // nil: nothing to save
	ch       change
	loaded   bool // a fetch ended: tell Loaded with loadErr
	loadErr  error
	storeErr error // a Store Load error to report
}

// batchLocked returns a batch that saves in the current Store.
func (r *Roster) batchLocked() batch {
	return batch{store: r.store, storeGen: r.storeGen}
}

// run has the Store save b, then tells the listeners: Change, StoreFailed,
// Loaded. It runs on the dispatcher, without the lock, so a listener may
// read the Roster and call any of its methods.
func (r *Roster) run(b batch) {
	storeErr := b.storeErr
	if b.save != nil {
		if err := r.save(b); err != nil {
			storeErr = errors.Join(storeErr, err)
		}
	}
	if !b.ch.empty() {
		for _, l := range [][]Entry{b.ch.added, b.ch.updated, b.ch.deleted} {
			slices.SortFunc(l, byJID)
		}
		for f := range r.changes.All() {
			f(Change{Added: cloneAll(b.ch.added), Updated: cloneAll(b.ch.updated), Deleted: cloneAll(b.ch.deleted)})
		}
	}
	if storeErr != nil {
		for f := range r.storeFailed.All() {
			f(StoreFailed{Err: storeErr})
		}
	}
	if b.loaded {
		for f := range r.loaded.All() {
			f(Loaded{Err: b.loadErr})
		}
	}
}

// save runs b's save in its Store; after a failed save there, the next
// one saves everything, at the version the entries are at.
func (r *Roster) save(b batch) error {
	save := b.save
	r.mu.Lock()
	current := b.storeGen == r.storeGen
	if current && r.storeBad {
		ver, all := r.ver, listOf(r.entries)
		save = func(s Store) error { return s.Replace(ver, all) }
	}
	r.mu.Unlock()
	r.storeMu.Lock()
	err := save(b.store)
	r.storeMu.Unlock()
	if current {
		r.mu.Lock()
		if b.storeGen == r.storeGen {
			r.storeBad = err != nil
		}
		r.mu.Unlock()
	}
	return err
}

func cloneAll(l []Entry) []Entry {
	if len(l) == 0 {
		return nil
	}
	c := make([]Entry, len(l))
	for i, e := range l {
		c[i] = e.clone()
	}
	return c
}
