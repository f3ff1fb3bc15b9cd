package xmpp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

var streamErrorName = xmlstream.Name{Space: xmlstream.NSStream, Local: "error"}

// read is the reader goroutine of stream s: it decodes each top-level
// element and routes it, until the stream ends.
func (c *Conn) read(s *stream) {
	sm := s.sess.sm
	// Stream management counts every stanza after <enabled/> or
	// <resumed/>, both read during negotiation.
	counting := sm != nil
	s.parking = s.canPark()
	reads, unnoted := s.r.Reads(), 0
	var h handoff
	// Elements come lent (xmlstream.Reader.Lend): wire.DecodeFor copies
	// what a message keeps into one block of its own instead of the
	// whole element; whatever else keeps a string from an element
	// copies it first (Element.Keep).
	s.r.Lend(true)
	for {
		el := s.r.Buffered()
		if el == nil {
			// Next may wait for the server: what was read so far goes
			// to the dispatcher first, and an answer to <r/> that has
			// come due with it.
			h.flush(c, s)
			if s.answerOwed {
				s.answerDue(c)
			}
			var err error
			if el, err = s.r.Next(); err == xmlstream.ErrYield {
				go c.park(s) // the server has been silent: wait in a small frame
				return
			} else if err != nil {
				c.end(s, c.readEnd(s, err))
				return
			}
		}
		// Heard when read: an element that was buffered already came
		// with the read noted before it (reading the clock for every
		// element was 3% of a flood's cost). Every 32 elements too, so
		// that a reader held up by slow listeners (the backlog full)
		// and then working through what it read long before shows the
		// keep-alive watchdog that the stream moves.
		if n := s.r.Reads(); n != reads || unnoted >= 32 {
			reads, unnoted = n, 0
			s.noteHeard()
		}
		unnoted++
		if s.rec != nil {
			el.Keep() // a log handler may keep what it is given
			s.rec.received(el)
		}
		if !wire.IsStanza(el) {
			el.Keep()
			h.flush(c, s) // what the element does comes after the stanzas before it
			name := el.Tokens[0].Name
			if name == streamErrorName {
				se := wire.DecodeStreamError(el)
				s.closeStream()
				c.end(s, se)
				return
			}
			if sm == nil || name.Space != NSStreamManagement {
				c.cfg.logDebug("ignoring a top-level element", "name", name.Local)
				continue
			}
			if err := c.streamManagement(s, el); err != nil {
				s.sendStreamError(&stanza.StreamError{Condition: stanza.StreamUndefined, Text: err.Error()})
				c.end(s, err)
				return
			}
			continue
		}
		st, derr := wire.DecodeFor(el, s.jid)
		if st != nil {
			st.Head().Seq = s.sess.received.Add(1)
		}
		// A stanza counts as handled for stream management once it is
		// dealt with here or queued for the listeners (pushAll): one
		// dropped as the stream closes, while it waited for room, is
		// not, and Close's last <a/> leaves it to the server.
		if !c.route(s, st, len(el.Raw), derr, &h) && counting {
			sm.in.Add(1)
		}
	}
}

// maxHandoff and maxHandoffBytes bound the reader's batch for the
// dispatcher (see handoff): it goes when it holds that many stanzas or
// at least that many bytes of them, so that what the reader holds
// beside the backlog (maxQueued, Config.MaxBacklog) stays small. Large
// enough that a flood of small stanzas wakes the dispatcher (or starts
// its goroutine anew, when it ran dry) about once per read, not four
// times (32 and 16 KiB were about a tenth more CPU per message in
// bench/compare's receive work).
const (
	maxHandoff      = 128
	maxHandoffBytes = 32 << 10
)

// handoff is the reader's batch of stanzas for the dispatcher: those
// decoded from one read go to it under one lock and one wake-up, not
// one each. The reader flushes it before anything that may wait for the
// server (so nothing read waits for more input) and before whatever must
// come after those stanzas (an IQ result, a stream management element,
// the stream's end), and at maxHandoff stanzas or maxHandoffBytes. Its
// array comes from handoffPool while it holds something, so an idle
// reader holds none.
type handoff struct {
	items *[]item
	bytes int
}

var handoffPool = sync.Pool{New: func() any { b := make([]item, 0, maxHandoff); return &b }}

func (h *handoff) add(c *Conn, s *stream, st stanza.Stanza, size int) {
	if h.items == nil {
		h.items = handoffPool.Get().(*[]item)
	}
	*h.items = append(*h.items, item{s: s, st: st, size: size})
	if h.bytes += size; len(*h.items) == maxHandoff || h.bytes >= maxHandoffBytes {
		h.flush(c, s)
	}
}

// flush hands the batch to the dispatcher.
func (h *handoff) flush(c *Conn, s *stream) {
	if h.items == nil {
		return
	}
	c.pushAll(s, *h.items)
	clear(*h.items)
	*h.items = (*h.items)[:0]
	handoffPool.Put(h.items)
	h.items, h.bytes = nil, 0
}

// streamManagement handles a stream management element on the reader.
func (c *Conn) streamManagement(s *stream, el *xmlstream.Element) error {
	sm := s.sess.sm
	switch el.Tokens[0].Name {
	case smRequestName:
		// Every <r/> is answered: one arriving while an answer is
		// being written is taken by that writer's next round.
		// An answer that is not due yet (answerDelay) waits for the
		// reader's next run out of input after the gap, or for its
		// fallback timer (answerLater), and answers every request that
		// arrives meanwhile too.
		s.ackWanted.Store(true)
		if s.acking.CompareAndSwap(false, true) {
			if d := s.answerDelay(); d > 0 {
				s.answerLater(c, d)
			} else if !s.answerAckNow() {
				go c.answerAck(s)
			}
		}
	case smAckName:
		h, ok, err := parseH(el)
		if err == nil && !ok {
			err = fmt.Errorf("%w: <a/> without h", errSMViolation)
		}
		if err != nil {
			return err
		}
		done, err := sm.ack(h)
		if err != nil {
			return err
		}
		s.asked.Store(0)
		if !s.ackHeard {
			s.ackHeard = true
			sm.answered()
		}
		if len(done) > 0 && c.reg.acked.Len() > 0 {
			c.ackedEvent(done)
		}
	default:
		c.cfg.logDebug("ignoring a stream management element", "name", el.Tokens[0].Name.Local)
	}
	return nil
}

// answerLater answers the server's <r/>, which came d too early
// (answerDelay), once the reader next waits for input after d, or, if
// nothing comes meanwhile, when a timer fires minAnswerGap after that.
// During a flood the answer thus rides on a read that woke the process
// anyway instead of a timer's wake-up of its own. The reader calls it,
// holding s.acking, which goes to whoever answers.
func (s *stream) answerLater(c *Conn, d time.Duration) {
	s.answerOwed = true
	if s.answerTimer == nil {
		s.answerTimer = time.AfterFunc(d+minAnswerGap, func() { c.answerAck(s) })
	} else {
		s.answerTimer.Reset(d + minAnswerGap)
	}
}

// answerDue answers the request answerLater put off if it is due and
// its timer has not fired: on the reader itself when that cannot block
// (answerAckNow), or else on a goroutine.
func (s *stream) answerDue(c *Conn) {
	if s.answerDelay() > 0 {
		return
	}
	s.answerOwed = false
	if !s.answerTimer.Stop() {
		return // fired: the timer's call answers
	}
	if !s.answerAckNow() {
		go c.answerAck(s)
	}
}

// answerAck tells the server how many stanzas were received, as long as
// requests keep coming. It runs on a goroutine of its own, not on the
// reader: a write can block while the server does not read, and a server
// that stops reading until its own writes are read would then wait for
// the reader forever, and the reader for it.
func (c *Conn) answerAck(s *stream) {
	timeout := orDefault(c.cfg.KeepAliveTimeout, defaultKeepAliveTimeout)
	for {
		for s.ackWanted.Load() {
			if d := s.answerDelay(); d > 0 {
				// A request that came while the last answer was being
				// written waits for the gap too; acking stays set, for
				// the timer's call.
				time.AfterFunc(d, func() { c.answerAck(s) })
				return
			}
			if !s.ackWanted.CompareAndSwap(true, false) {
				break
			}
			// The count is read after the request was: it covers at
			// least what the server asked about.
			if err := s.writeAck(s.sess.sm.in.Load(), timeout); err != nil {
				if !errors.Is(err, ErrNotConnected) {
					s.abort(err) // not when our end of the stream is written already
				}
				s.acking.Store(false)
				return
			}
		}
		s.acking.Store(false)
		// A request that came between the last check and now finds
		// acking set no more, or is ours to answer.
		if !s.ackWanted.Load() || !s.acking.CompareAndSwap(false, true) {
			return
		}
	}
}

// readEnd says why the stream ended, given what Next returned, and does
// what RFC 6120 section 4.4 asks: a stream the server closed is closed in
// turn; bad input is answered with a stream error.
func (c *Conn) readEnd(s *stream, err error) error {
	if errors.Is(err, xmlstream.ErrStreamEnd) {
		s.rec.streamEnd()
	}
	select {
	case <-s.closing:
		// Close is under way: the server's end of the stream, or our own
		// closing of the socket (or a keep-alive giving up meanwhile),
		// is the expected end.
		return nil
	default:
	}
	s.abortOnce.Do(func() {}) // after this, abortErr is settled
	if s.abortErr != nil {
		return s.abortErr
	}
	if errors.Is(err, xmlstream.ErrStreamEnd) {
		s.closeStream()
	}
	return s.readError(err)
}

// closeStream sends the end of our stream, briefly: nothing waits on it.
func (s *stream) closeStream() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.writeRaw(ctx, "</stream:stream>")
}

// route sends a decoded stanza, size bytes on the wire, where it belongs:
// a reply to its SendIQ, everything else to the collectors and then the
// dispatcher. queued reports that it went into h, for the dispatcher,
// rather than being dealt with (or dropped) here.
func (c *Conn) route(s *stream, st stanza.Stanza, size int, derr error, h *handoff) (queued bool) {
	if derr != nil {
		// Malformed: a request still gets an error reply (RFC 6120
		// section 8.3.1); anything else is dropped.
		var se *stanza.Error
		if iq, ok := st.(*stanza.IQ); ok && (iq.Type == stanza.Get || iq.Type == stanza.Set) && errors.As(derr, &se) {
			h.add(c, s, &badRequest{iq: iq, err: se}, size)
			return true
		}
		c.cfg.logDebug("dropping a malformed stanza", "error", derr)
		return false
	}
	if iq, ok := st.(*stanza.IQ); ok && (iq.Type == stanza.Result || iq.Type == stanza.IQError) {
		h.flush(c, s) // the stanzas before a result are queued when its caller wakes
		if c.pending.deliver(iq, s.jid) {
			return false
		}
	}
	if m, ok := st.(*stanza.Message); ok && c.recent.seen(m, s.jid) {
		c.cfg.logDebug("dropping a message received twice", "id", m.ID, "from", m.From.String())
		return false
	}
	for col := range c.reg.collect.All() {
		col.offer(st)
	}
	switch st := st.(type) {
	case *stanza.Message, *stanza.Presence:
		h.add(c, s, st, size)
		return true
	case *stanza.IQ:
		if st.Type == stanza.Get || st.Type == stanza.Set {
			h.add(c, s, st, size)
			return true
		}
		c.cfg.logDebug("dropping an IQ reply nobody waits for", "id", st.ID, "from", st.From.String())
	}
	return false
}

// badRequest is a malformed IQ request queued for its error reply, so the
// reply is sent by the dispatcher, in order, and never by the reader.
type badRequest struct {
	iq  *stanza.IQ
	err *stanza.Error
}

func (b *badRequest) Head() *stanza.Common { return b.iq.Head() }
