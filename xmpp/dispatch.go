package xmpp

import (
	"context"
	"errors"
	"sync"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// maxQueued bounds the stanzas waiting for the dispatcher. When listeners
// fall this far behind, the reader stops reading until they catch up, so
// a flood from the server cannot grow memory without bound. (An IQ reply
// behind the flood then waits too: a listener blocked in SendIQ while
// this many stanzas pile up waits until its context ends.)
const maxQueued = 4096

// item is one thing for the dispatcher: a stanza received on a session,
// or a state change.
type item struct {
	s     *session
	st    stanza.Stanza
	state StateChange
	// Stream management and reconnection events, when st is nil and
	// kind says so.
	kind    itemKind
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
)

// dispatcher delivers received stanzas and state changes to the
// registered listeners, in order, on a goroutine that exists only while
// the queue is not empty: an idle connection costs no dispatcher.
type dispatcher struct {
	c       *Conn
	mu      sync.Mutex
	queue   []item
	head    int
	running bool
	room    chan struct{} // closed when the queue has room again; nil if nobody waits
}

// push queues st and makes sure a dispatcher runs. It blocks while the
// queue is full, until there is room or s starts closing (then st is
// dropped: the user asked to close).
func (d *dispatcher) push(s *session, st stanza.Stanza) {
	d.mu.Lock()
	for len(d.queue)-d.head >= maxQueued {
		if d.room == nil {
			d.room = make(chan struct{})
		}
		room := d.room
		d.mu.Unlock()
		select {
		case <-room:
		case <-s.closing:
			return
		}
		d.mu.Lock()
	}
	d.queueLocked(item{s: s, st: st})
}

// event queues a state change; it never blocks.
func (d *dispatcher) event(sc StateChange) {
	d.mu.Lock()
	d.queueLocked(item{state: sc})
}

// ackedEvent, unackedEvent and reconnectEvent queue what OnAcked,
// OnUnacked and OnReconnect listeners hear; they never block.
func (d *dispatcher) ackedEvent(sts []stanza.Stanza) {
	d.mu.Lock()
	d.queueLocked(item{kind: ackedItem, stanzas: sts})
}

func (d *dispatcher) unackedEvent(sts []stanza.Stanza, err error) {
	d.mu.Lock()
	d.queueLocked(item{kind: unackedItem, stanzas: sts, err: err})
}

func (d *dispatcher) reconnectEvent(e ReconnectEvent) {
	d.mu.Lock()
	d.queueLocked(item{kind: reconnectItem, recon: e})
}

func (d *dispatcher) queueLocked(it item) {
	d.queue = append(d.queue, it)
	start := !d.running
	d.running = true
	d.mu.Unlock()
	if start {
		go d.run()
	}
}

func (d *dispatcher) run() {
	for {
		d.mu.Lock()
		if d.head == len(d.queue) {
			d.queue, d.head = nil, 0 // give the memory back while idle
			d.running = false
			d.mu.Unlock()
			return
		}
		it := d.queue[d.head]
		d.queue[d.head] = item{}
		d.head++
		if d.room != nil && len(d.queue)-d.head < maxQueued {
			close(d.room)
			d.room = nil
		}
		d.mu.Unlock()
		d.deliver(it)
	}
}

func (d *dispatcher) deliver(it item) {
	c := d.c
	switch st := it.st.(type) {
	case nil:
		switch it.kind {
		case stateItem:
			for h := range c.reg.states.All() {
				h(it.state)
			}
		case ackedItem:
			for h := range c.reg.acked.All() {
				for _, st := range it.stanzas {
					h(st)
				}
			}
		case unackedItem:
			for h := range c.reg.unacked.All() {
				h(it.stanzas, it.err)
			}
		case reconnectItem:
			for h := range c.reg.reconnect.All() {
				h(it.recon)
			}
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
func (c *Conn) answer(s *session, iq *stanza.IQ) {
	var reply *stanza.IQ
	if h := c.reg.iqHandler(iqKey{iq.Type, iq.PayloadName()}); h == nil {
		reply = iq.ErrorIQ(stanza.NewError(stanza.Cancel, stanza.ServiceUnavailable))
	} else {
		payload, err := h.HandleIQ(s.x.ctx, iq)
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
func (c *Conn) reply(s *session, iq *stanza.IQ) {
	iq.From = jid.JID{}
	x := s.x
	if c.session() != x {
		return // that session is over: nobody waits for the answer
	}
	if err := c.submit(x.ctx, c.prepare(iq)); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, ErrNotConnected) {
		c.cfg.logError("sending an IQ reply", err)
	}
}
