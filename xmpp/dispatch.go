package xmpp

import (
	"context"
	"errors"
	"sync"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// maxQueued bounds the stanzas waiting for the dispatcher, and
// Config.MaxBacklog their bytes. When listeners fall this far behind, the
// reader stops reading until they catch up, so that a flood from the
// server waits in the socket instead of growing memory without bound.
// (An IQ reply behind the flood then waits too: a listener blocked in
// SendIQ while this much piles up waits until its context ends.)
const maxQueued = 4096

// item is one thing for the dispatcher: a stanza received on a stream,
// or a state change. It is kept small (the queue of a flood holds
// thousands): what only the rare kinds need is behind ev.
type item struct {
	s    *stream
	st   stanza.Stanza
	size int    // the stanza's bytes on the wire, counted in the backlog
	fn   func() // funcItem: what Dispatch queued
	// Stream management, state and reconnection events, when st is nil
	// and kind says so.
	ev   *itemEvent
	kind itemKind
}

// itemEvent is what an event item carries.
type itemEvent struct {
	state   StateChange
	stanzas []stanza.Stanza
	err     error
	recon   ReconnectEvent
}

type itemKind uint8

const (
	stateItem itemKind = iota
	ackedItem
	unackedItem
	reconnectItem
	funcItem
)

// queuePool holds the queues of dispatchers that ran dry, for the next
// to start: under a flood a dispatcher that keeps up empties its queue
// and ends often, and growing a new queue from nothing each time cost
// more than the items it carried.
var queuePool = sync.Pool{New: func() any { q := make([]item, 0, 32); return &q }}

// maxPooledQueue is the largest queue (in items) given to queuePool;
// larger ones are left to the collector.
const maxPooledQueue = 1024

// dispatcher is the queue of what the listeners have yet to hear:
// received stanzas and state changes, delivered in order by the Conn's
// dispatch loop, on a goroutine that exists only while the queue is not
// empty (an idle connection costs no dispatcher). Its fields are kept
// small: an idle connection's size is a feature (BENCHMARKS.md).
type dispatcher struct {
	// mu guards the fields below. It is a leaf in the lock order (see
	// Conn.mu): no other lock is taken while it is held, and it is let go
	// before anything is delivered.
	mu      sync.Mutex
	queue   []item
	room    chan struct{} // closed when the queue has room again; nil if nobody waits
	head    uint32        // queue[head:] waits
	bytes   uint32        // the stanzas' bytes in queue[head:]
	running bool
}

// full reports whether the queue can take no stanza of size more
// without passing its bounds.
func (d *dispatcher) full(size, maxBytes int) bool {
	return backlogFull(len(d.queue)-int(d.head), int(d.bytes), size, maxBytes)
}

// backlogFull reports whether n stanzas of bytes in all, waiting for the
// listeners, leave no room for one more of size: at most maxQueued
// stanzas and maxBytes bytes. None waiting leaves room for any stanza,
// however large, so that one the reader accepted is never stuck.
func backlogFull(n, bytes, size, maxBytes int) bool {
	return n >= maxQueued || (n > 0 && bytes+size > maxBytes)
}

// push queues st, received on s as size bytes, and makes sure a
// dispatcher runs. It blocks while the queue is full, until there is
// room or s starts closing (then st is dropped: the user asked to close).
func (c *Conn) push(s *stream, st stanza.Stanza, size int) {
	d := &c.dispatch
	maxBytes := c.cfg.maxBacklog()
	d.mu.Lock()
	if !c.roomLocked(s, size, maxBytes, false) {
		return
	}
	d.bytes += uint32(size)
	c.dispatchLocked(item{s: s, st: st, size: size})
}

// roomLocked waits, with the dispatcher's lock held and let go while it
// waits, until the backlog has room for size more bytes. run first has
// the dispatcher take what the caller queued. It returns false, the lock
// let go, when s starts closing meanwhile.
func (c *Conn) roomLocked(s *stream, size, maxBytes int, run bool) bool {
	d := &c.dispatch
	for d.full(size, maxBytes) {
		if run {
			c.runLocked() // to take what the caller queued
		}
		if d.room == nil {
			d.room = make(chan struct{})
		}
		room := d.room
		d.mu.Unlock()
		select {
		case <-room:
		case <-s.closing:
			return false
		}
		d.mu.Lock()
	}
	return true
}

// pushAll queues items, stanzas received on s, as push does each, under
// one lock and with one wake-up of the dispatcher.
//
// With stream management, each stanza counts as handled once queued: one
// dropped because s started closing while it waited for room does not,
// so Close's last acknowledgement leaves it to the server.
func (c *Conn) pushAll(s *stream, items []item) {
	d := &c.dispatch
	maxBytes := c.cfg.maxBacklog()
	sm := s.sess.sm
	d.mu.Lock()
	for i := range items {
		if !c.roomLocked(s, items[i].size, maxBytes, true) {
			return
		}
		d.bytes += uint32(items[i].size)
		c.enqueueLocked(&items[i])
		if sm != nil {
			sm.in.Add(1) // before a wait for room: Close may read it then
		}
	}
	c.runLocked()
	d.mu.Unlock()
}

// enqueueLocked appends *it to the queue; the caller holds the
// dispatcher's lock.
func (c *Conn) enqueueLocked(it *item) {
	d := &c.dispatch
	if d.queue == nil {
		d.queue = (*queuePool.Get().(*[]item))[:0]
	}
	if len(d.queue) == cap(d.queue) && d.head > 0 {
		// Full, but the dispatcher has taken the start: move what waits
		// there rather than grow the array.
		n := copy(d.queue, d.queue[d.head:])
		clear(d.queue[n:])
		d.queue, d.head = d.queue[:n], 0
	}
	d.queue = append(d.queue, *it)
}

// runLocked starts the dispatcher's goroutine if none runs; the caller
// holds the dispatcher's lock.
func (c *Conn) runLocked() {
	if d := &c.dispatch; !d.running {
		d.running = true
		go c.dispatchLoop()
	}
}

// event queues a state change; it never blocks.
func (c *Conn) event(sc StateChange) {
	c.dispatch.mu.Lock()
	c.dispatchLocked(item{ev: &itemEvent{state: sc}})
}

// ackedEvent, unackedEvent and reconnectEvent queue what OnAcked,
// OnUnacked and OnReconnect listeners hear; they never block.
func (c *Conn) ackedEvent(sts []stanza.Stanza) {
	c.dispatch.mu.Lock()
	c.dispatchLocked(item{kind: ackedItem, ev: &itemEvent{stanzas: sts}})
}

func (c *Conn) unackedEvent(sts []stanza.Stanza, err error) {
	c.dispatch.mu.Lock()
	c.dispatchLocked(item{kind: unackedItem, ev: &itemEvent{stanzas: sts, err: err}})
}

func (c *Conn) reconnectEvent(e ReconnectEvent) {
	c.dispatch.mu.Lock()
	c.dispatchLocked(item{kind: reconnectItem, ev: &itemEvent{recon: e}})
}

// Dispatch queues f to run on the dispatcher: after every stanza and event
// queued for the listeners before it, and before any queued after it
// (Smack has no such thing: its managers run listeners on threads of their
// own). Managers use it to tell their listeners what follows from work
// done off the dispatcher (the roster result that a login's query
// brought, a room rejoined after a new session), so that every listener
// hears everything in one order, one call at a time. A listener that
// already runs on the dispatcher (one called for a stanza) tells its
// own listeners directly instead: what it queues runs after the stanzas
// received since.
//
// Dispatch never blocks; f must not be nil.
func (c *Conn) Dispatch(f func()) {
	if f == nil {
		panic("xmpp: Dispatch with a nil func")
	}
	c.dispatch.mu.Lock()
	c.dispatchLocked(item{kind: funcItem, fn: f})
}

// dispatchLocked queues it and unlocks the dispatcher, starting its
// goroutine if none runs.
func (c *Conn) dispatchLocked(it item) {
	d := &c.dispatch
	c.enqueueLocked(&it)
	start := !d.running
	d.running = true
	d.mu.Unlock()
	if start {
		go c.dispatchLoop()
	}
}

// dispatchLoop delivers what is queued, in order, until the queue is
// empty.
func (c *Conn) dispatchLoop() {
	d := &c.dispatch
	maxBytes := c.cfg.maxBacklog()
	for {
		d.mu.Lock()
		if int(d.head) == len(d.queue) {
			// Give the memory back while idle; every item taken was
			// cleared.
			if cap(d.queue) <= maxPooledQueue {
				q := d.queue[:0]
				queuePool.Put(&q)
			}
			d.queue, d.head = nil, 0
			d.running = false
			d.mu.Unlock()
			return
		}
		it := d.queue[d.head]
		d.queue[d.head] = item{}
		d.head++
		if int(d.head) == len(d.queue) {
			// All taken: the next items go to the array's start, not
			// past it (an array that grows while its start is spent).
			d.queue, d.head = d.queue[:0], 0
		}
		d.bytes -= uint32(it.size)
		if d.room != nil && !d.full(0, maxBytes) {
			close(d.room)
			d.room = nil
		}
		d.mu.Unlock()
		c.deliver(it)
	}
}

func (c *Conn) deliver(it item) {
	switch st := it.st.(type) {
	case nil:
		switch it.kind {
		case stateItem:
			for h := range c.reg.states.All() {
				h(it.ev.state)
			}
		case ackedItem:
			for h := range c.reg.acked.All() {
				for _, st := range it.ev.stanzas {
					h(st)
				}
			}
		case unackedItem:
			for h := range c.reg.unacked.All() {
				h(Unacked{Stanzas: it.ev.stanzas, Err: it.ev.err})
			}
		case reconnectItem:
			for h := range c.reg.reconnect.All() {
				h(it.ev.recon)
			}
		case funcItem:
			it.fn()
		}
	case *stanza.Message:
		for l := range c.reg.messages.All() {
			if l.f.Match(st) {
				l.h(st)
			}
		}
	case *stanza.Presence:
		for l := range c.reg.presences.All() {
			if l.f.Match(st) {
				l.h(st)
			}
		}
	case *stanza.IQ:
		c.answer(it.s, st)
	case *badRequest:
		c.reply(it.s, st.iq.ErrorIQ(st.err))
	}
}

// answer runs the handler for the request iq and sends its reply; with no
// handler, the reply is service-unavailable (RFC 6120 section 8.4).
func (c *Conn) answer(s *stream, iq *stanza.IQ) {
	var reply *stanza.IQ
	if h := c.reg.iqHandler(iqKey{iq.Type, iq.PayloadName()}); h == nil {
		reply = iq.ErrorIQ(stanza.NewError(stanza.Cancel, stanza.ServiceUnavailable))
	} else {
		payload, err := h.HandleIQ(s.sess.ctx, iq)
		var se *stanza.Error
		switch {
		case err == nil:
			reply = iq.ResultIQ(payload)
		case errors.As(err, &se):
			reply = iq.ErrorIQ(se)
		default:
			c.cfg.logError("IQ handler failed", err)
			reply = iq.ErrorIQ(stanza.NewError(stanza.Wait, stanza.InternalServerError))
		}
	}
	c.reply(s, reply)
}

// reply sends an answer in the session the request came in, not waiting
// past its end (with stream management, a request received before the
// stream was lost is answered on the resumed stream). The reply carries
// no from: the server stamps the full JID (RFC 6120 section 8.1.2.1), and
// the request's to may have been the bare JID.
func (c *Conn) reply(s *stream, iq *stanza.IQ) {
	iq.From = jid.JID{}
	sess := s.sess
	if c.session() != sess {
		return // that session is over: nobody waits for the answer
	}
	if err := c.submit(sess.ctx, c.prepare(iq)); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrNotConnected) {
		c.cfg.logError("sending an IQ reply", err)
	}
}
