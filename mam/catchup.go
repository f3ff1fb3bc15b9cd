package mam

import (
	"context"
	"fmt"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// maxSeen bounds the archive ids of live messages a catch-up keeps to
// tell the archived messages already delivered: the live messages of
// the minutes a catch-up takes. Past it, the oldest are forgotten.
const maxSeen = 4096

// trustTimeout bounds the wait for the account's service discovery
// when a live message's stanza-id is checked on the dispatcher.
const trustTimeout = 30 * time.Second

// Archived is a message of the account's archive that a catch-up
// delivers (see Client.SetCatchUp): one that arrived while the user was
// not connected.
type Archived struct {
	// ID is the message's archive id.
	ID string
	// Stamp is when the archive received the message; zero when the
	// archive did not say.
	Stamp time.Time
	// Message is the archived message as the archive forwarded it: its
	// from and to say who sent it to whom (the user's own messages,
	// sent from another client, are in the archive too).
	Message *stanza.Message
}

// CaughtUp says that a catch-up ended: the messages of the archive up
// to its end were delivered (Err nil), or it stopped on Err.
type CaughtUp struct {
	// Delivered is the number of messages the catch-up delivered to
	// the OnArchived listeners.
	Delivered int
	// Last is the archive id the Store holds now ("" if none).
	Last string
	// Err says why the catch-up stopped before the archive's end (the
	// session ended, the query failed, the Store failed), or is nil.
	Err error
}

// catchUp is one catch-up run: it lives from a new session's start to
// the end of its last page's delivery. Its fields are read and written
// on the dispatcher only, except cancel.
type catchUp struct {
	cancel    context.CancelFunc
	seen      map[string]bool // live archive ids: true once the archive listed them
	order     []string        // seen's keys, oldest first
	liveLast  string          // the archive id of the last live message
	last      string          // the last archive id the run reached
	delivered int
	// announced: the run reached the archive's end once, and let the
	// session's presence go; more: that sent it, or the pages after it
	// delivered messages (fresh counts them, rounds the times the run
	// went on), so the run asks for what came after (its goroutine
	// reads more once the page is delivered).
	announced, more bool
	fresh, rounds   int
	from            string // the archive id the rounds start after
}

// maxRounds bounds how many times a catch-up asks for what came after
// the archive's end once the session's presence went out.
const maxRounds = 5

// SetCatchUp turns catching up after a gap on or off; it is off by
// default. When on, each new session (xmpp.StateAuthenticated, not
// StateResumed: a resumed session lost nothing) fetches the account's
// archive from the archive id the Store holds to the archive's end,
// page by page, and delivers each message not seen live to the
// OnArchived listeners, in archive order; then the OnCaughtUp listeners
// hear that it ended. With an empty Store, a catch-up delivers nothing:
// it asks for the archive's last id and stores that, so that the next
// one starts there (when the archive is empty, the Client's next
// catch-up starts at the archive's beginning). Between catch-ups the
// Store follows the live messages: each chat or normal message whose stanza-id the account's
// server stamped (see package sid) is the newest the user has seen.
//
// While it is on, each new session's presence (xmpp.Conn.HoldPresence)
// waits until its catch-up reached the archive's end, so that the
// server's offline messages come after what the catch-up delivered, and
// those it delivered are dropped as repeats; then the catch-up fetches
// what arrived before the server took the presence (see the package
// doc, "Offline messages and order"). A presence broadcast sent
// meanwhile announces the session at once.
//
// Why off by default: a catch-up costs a query per page at every new
// session and delivers messages only to OnArchived listeners, which a
// program must register and show; a program that uses the Client only
// for its own queries would pay for it and see nothing. Turning it on
// attaches package sid (origin-ids on outgoing messages; see sid.For).
// It takes effect at the next new session, and for the live messages
// at once; turning it off stops a catch-up that runs.
func (m *Client) SetCatchUp(on bool) {
	m.catchingUp.Store(on)
	if on {
		sid.For(m.c)
		m.mu.Lock()
		if m.hold == nil && !m.closed {
			m.hold = m.c.HoldPresence()
		}
		m.mu.Unlock()
		return
	}
	m.mu.Lock()
	if m.run != nil {
		m.run.cancel()
	}
	m.mu.Unlock()
	m.unhold()
}

// unhold removes the presence hold, letting a presence it keeps back go.
func (m *Client) unhold() {
	m.mu.Lock()
	h := m.hold
	m.hold = nil
	m.mu.Unlock()
	if h != nil {
		m.announce(func(ctx context.Context) (bool, error) { return false, h.Remove(ctx) })
	}
}

// announce lets the session's presence go with let (PresenceHold.Release
// or Remove), bounded by trustTimeout, and reports whether it was sent;
// an error is logged.
func (m *Client) announce(let func(context.Context) (bool, error)) bool {
	ctx, cancel := context.WithTimeout(context.Background(), trustTimeout)
	defer cancel()
	sent, err := let(ctx)
	if err != nil {
		if l := m.c.Config().Logger; l != nil {
			l.Error("mam: sending the presence held during the catch-up", "error", err)
		}
	}
	return sent
}

// release lets the presence held for the catch-up go, and reports
// whether it was sent. It runs on the dispatcher.
func (m *Client) release() bool {
	m.mu.Lock()
	h := m.hold
	m.mu.Unlock()
	return h != nil && m.announce(h.Release)
}

// CatchUp reports whether catching up after a gap is on.
func (m *Client) CatchUp() bool { return m.catchingUp.Load() }

// SetStore makes the Client keep the last archive id seen in s (nil: a
// new MemoryStore), from the next catch-up or live message on. The
// Client starts with an empty MemoryStore.
func (m *Client) SetStore(s Store) {
	if s == nil {
		s = new(MemoryStore)
	}
	m.mu.Lock()
	m.store = s
	m.mu.Unlock()
}

// Store returns the Store the Client keeps the last archive id in.
func (m *Client) Store() Store {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.store
}

// OnArchived registers f to hear each message a catch-up delivers, in
// archive order, on the connection's dispatcher, among the stanzas
// received: after the live messages that arrived before the page
// holding it was answered. A message the connection received before
// (live during the catch-up, or recorded by an earlier one: see
// xmpp.Conn.RecordReceived) is not delivered again. f must not be nil (it panics); the
// remove func removes exactly this registration and is safe to call
// more than once.
func (m *Client) OnArchived(f func(Archived)) (remove func()) {
	mustListen("OnArchived", f == nil)
	return m.archived.Add(f)
}

// OnCaughtUp registers f to hear the end of each catch-up, on the
// connection's dispatcher, after its last message; the session's
// presence, held back during the catch-up, was sent before. f must not be nil
// (it panics); the remove func removes exactly this registration and is
// safe to call more than once.
func (m *Client) OnCaughtUp(f func(CaughtUp)) (remove func()) {
	mustListen("OnCaughtUp", f == nil)
	return m.caughtUp.Add(f)
}

func mustListen(method string, isNil bool) {
	if isNil {
		panic("mam: " + method + " with a nil listener")
	}
}

// state follows the sessions, on the dispatcher: a new session starts a
// catch-up, once the other state listeners heard of it (sid forgets
// what it knew at a new session); the end of a session stops it.
func (m *Client) state(sc xmpp.StateChange) {
	switch sc.State {
	case xmpp.StateClosed:
		m.forget()
		m.mu.Lock()
		if m.run != nil {
			m.run.cancel()
		}
		m.mu.Unlock()
	case xmpp.StateAuthenticated:
		if !m.catchingUp.Load() {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		r := &catchUp{cancel: cancel, seen: make(map[string]bool)}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			cancel()
			return
		}
		if m.run != nil {
			m.run.cancel()
		}
		m.run = r
		m.mu.Unlock()
		// One goroutine per catch-up, one catch-up per session: the
		// queries wait for the server, which the dispatcher must not.
		m.c.Dispatch(func() { go m.catchUp(ctx, r) })
	}
}

// live notes the archive id of a live message, on the dispatcher: the
// stanza-id the account's server stamped, trusted only when the server
// announced urn:xmpp:sid:0 (sid.Manager.Trusted). A stanza-id by anyone
// else is ignored.
func (m *Client) live(msg *stanza.Message) {
	if !m.catchingUp.Load() || msg.Type == stanza.Groupchat || msg.Type == stanza.MessageError {
		return
	}
	if _, ok := sid.StanzaID(msg, m.own()); !ok {
		return // no id by the account: nothing to ask
	}
	ctx, cancel := context.WithTimeout(context.Background(), trustTimeout)
	id, ok := sid.For(m.c).Trusted(ctx, msg)
	cancel()
	if !ok {
		return
	}
	m.mu.Lock()
	r := m.run
	m.mu.Unlock()
	if r == nil {
		if err := m.Store().Save(id); err != nil {
			if l := m.c.Config().Logger; l != nil {
				l.Error("mam: saving the last archive id", "error", err)
			}
		}
		return
	}
	if _, dup := r.seen[id]; !dup {
		if len(r.order) >= maxSeen {
			delete(r.seen, r.order[0])
			r.order = r.order[1:]
		}
		r.seen[id] = false
		r.order = append(r.order, id)
	}
	r.liveLast = id
}

// save stores last, on the dispatcher.
func (m *Client) save(last string) error {
	if err := m.Store().Save(last); err != nil {
		return fmt.Errorf("mam: saving the last archive id: %w", err)
	}
	return nil
}

// catchUp runs a catch-up: it pages forwards through the account's
// archive from the stored id, handing each page to the dispatcher and
// waiting for its delivery before asking for the next, so that one
// page at a time is held.
func (m *Client) catchUp(ctx context.Context, r *catchUp) {
	defer r.cancel()
	// Ask the account's discovery now, off the dispatcher, so that the
	// live messages' stanza-ids are checked without waiting there.
	probe := &stanza.Message{Type: stanza.Chat}
	sid.AddStanzaID(probe, "probe", m.own())
	sid.For(m.c).Trusted(ctx, probe)

	last, err := m.Store().Load()
	if err != nil {
		m.end(r, fmt.Errorf("mam: loading the last archive id: %w", err))
		return
	}
	r.last = last
	m.mu.Lock()
	fromStart := last == "" && m.empty
	m.mu.Unlock()
	q := Query{After: last} // the first page when fromStart
	if last == "" && !fromStart {
		q = Query{Max: 1, Latest: true} // nothing stored: start at the end
		// A first login delivers nothing from the archive: nothing to
		// wait for. The presence goes out before the query, so that
		// the server sends its offline messages, live (Prosody sends
		// none to a session that queried the archive first).
		done := make(chan struct{})
		m.c.Dispatch(func() {
			defer close(done)
			if m.current(r) {
				r.announced = true
				m.release()
			}
		})
		select {
		case <-done:
		case <-ctx.Done():
			m.end(r, ctx.Err())
			return
		}
	}
	show := last != "" || fromStart
	for {
		page, err := m.Query(ctx, jid.JID{}, q)
		if err != nil {
			m.end(r, fmt.Errorf("mam: catching up: %w", err))
			return
		}
		done := page.Complete || len(page.Results) == 0 || !show
		delivered := make(chan struct{})
		m.c.Dispatch(func() {
			defer close(delivered)
			m.deliver(r, page, show, done)
		})
		select {
		case <-delivered:
		case <-ctx.Done():
			m.end(r, ctx.Err()) // after the page, which may end r first
			return
		}
		switch {
		case r.more:
			// The presence went out after the archive's end: what
			// arrived before the server took it is in the archive
			// (and, with ejabberd, sent offline; Prosody sends no
			// offline messages to a session that queried the archive).
			r.more, show = false, true
			q = Query{After: r.from}
		case done:
			return
		default:
			q = page.Next()
		}
	}
}

// deliver hands a page to the OnArchived listeners (when show) and
// stores how far the catch-up got; the last page (done) ends the run.
// It runs on the dispatcher.
func (m *Client) deliver(r *catchUp, page *Page, show, done bool) {
	if !m.current(r) {
		return
	}
	for _, res := range page.Results {
		if seen, ok := r.seen[res.ID]; ok {
			if !seen {
				r.seen[res.ID] = true
			}
			continue // delivered live already
		}
		if !show {
			continue
		}
		if m.c.RecordReceived(res.Message, res.ID) {
			continue // received before: live, or by an earlier catch-up
		}
		r.delivered++
		r.fresh++
		a := Archived{ID: res.ID, Stamp: res.Stamp, Message: res.Message}
		for f := range m.archived.All() {
			f(a)
		}
	}
	if page.Last != "" {
		r.last = page.Last
	}
	if done {
		switch {
		case !r.announced:
			// The archive's end: the session is announced now, and
			// the server sends what it kept offline; more pages fetch
			// from the archive what arrived before it took the
			// presence, which a server may not send (see the package
			// doc).
			r.announced = true
			r.more = m.release()
			r.from = r.last
		case r.fresh > 0 && r.rounds < maxRounds:
			// That found messages not received live: the server may
			// not have been routing to the session yet; ask again,
			// from the same place: a busy server (ejabberd) may
			// archive a message after later ones, below their ids.
			r.more = true
		}
		if r.more {
			r.rounds++
			r.fresh = 0
			done = false
		}
	}
	if !done {
		if r.last != "" {
			if err := m.save(r.last); err != nil {
				m.finish(r, err)
			}
		}
		return
	}
	// The newest of the archive's end and the live messages: a live
	// message the archive did not list came after its end.
	if r.liveLast != "" && !r.seen[r.liveLast] {
		r.last = r.liveLast
	}
	var err error
	if r.last != "" {
		err = m.save(r.last)
	}
	m.mu.Lock()
	m.empty = r.last == ""
	m.mu.Unlock()
	m.finish(r, err)
}

// end ends r with err from its goroutine, on the dispatcher.
func (m *Client) end(r *catchUp, err error) {
	m.c.Dispatch(func() {
		if !m.current(r) {
			return
		}
		// What the live messages reached is newer than what the Store
		// holds, but the gap before it is not delivered: keep the
		// Store where it is, so that the next catch-up fetches it.
		m.finish(r, err)
	})
}

// current reports whether r is the catch-up that runs.
func (m *Client) current(r *catchUp) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.run == r
}

// finish ends r and tells the OnCaughtUp listeners, on the dispatcher.
func (m *Client) finish(r *catchUp, err error) {
	m.mu.Lock()
	if m.run != r {
		m.mu.Unlock()
		return
	}
	m.run = nil
	m.mu.Unlock()
	r.cancel()
	// What the archive held is delivered (and recorded, so that the
	// offline messages it also held are dropped as repeats): the
	// session may be announced, and receive what the server kept.
	m.release()
	last, _ := m.Store().Load()
	for f := range m.caughtUp.All() {
		f(CaughtUp{Delivered: r.delivered, Last: last, Err: err})
	}
}
