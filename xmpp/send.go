package xmpp

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosmack/gosmack/stanza"
)

// This file holds the send path: Send and what it does to a stanza
// (prepare), the write on the stream in use, the queue of what is sent
// while the connection is down (Conn.outbox), and up, which empties that
// queue when a stream comes up.

// Send writes st to the server. A Message or Presence without an id gets
// a fresh one, written into st. Send returns once the stanza is handed to
// the socket; with stream management, OnAcked says when the server has
// it, and OnUnacked when it may not.
//
// With stream management, while more than an eighth of MaxUnacked
// stanzas, or more than 128, wait for the server's acknowledgement (the
// server is behind; with a MaxUnacked of 16 or more), Send may return
// once stream management has kept st, before it is written: it goes out
// with the next write on the stream, and within a millisecond at the
// latest, so that stanzas sent one after the other share a write and a
// TLS record instead of taking one each. The server has that many
// stanzas to read before it anyway. What happens to st then is what
// happens to any stanza stream management keeps: sent again on a
// resumed stream, or reported to OnUnacked.
//
// While the connection is down but coming back (a suspended session, or
// reconnection running), Send queues st, up to Config.MaxQueued, and
// returns nil; queued stanzas go out in order once the stream is up,
// together (up to about 16 KiB a write). With
// no session and no reconnection it returns an error matching
// ErrNotConnected.
//
// ctx bounds the wait for the write lock, for room among the
// unacknowledged stanzas, and the write itself. A ctx that has ended
// already makes Send return its error at once: nothing is written or
// queued, and the stream is untouched. If ctx ends in the middle of the
// write, part of the stanza may have gone out, so the stream is ended
// with an error that says so (and, with stream management, the stanza is
// sent again on the resumed stream). A Send whose stanza shared that
// write (see below) sees the stream end as a network failure.
//
// When the network fails the write, the stream ends and the error matches
// ErrNotConnected, wrapping the cause. Without stream management the
// stanza may or may not have reached the server, and it is not sent
// again; with stream management Send returns nil, since the stanza is kept:
// it is sent again once the session is resumed or replaced, or reported
// to OnUnacked.
//
// Send is safe for concurrent use: stanzas go out whole, one call's after
// another's. A Send that finds the socket free writes at once, in the
// calling goroutine. Sends that find a write under way queue, in the
// order they came, and the next Send to get the socket writes their
// stanzas with its own, oldest first, in one write (up to about 16 KiB;
// the rest go in the next), so that a burst costs one system call and
// one TLS record, not one per stanza. Stream management counts them in
// the order they are written. A queued Send whose ctx ends before its stanza is
// taken into a write returns ctx's error, and nothing of it is written;
// once taken, the stanza is written, and ctx bounds that write.
//
// Send takes st over, as an http.RoundTripper takes a Request: it writes
// the id and what the interceptors add (Intercept) into st itself, and,
// with stream management or while the connection is down, keeps st, not
// a copy, until the server acknowledges it (or it is reported to
// OnUnacked), to send it again after a resumption. The caller may read st
// afterwards, its id for one, but must not change it or send it again;
// to send the same content twice, send a Clone. When Send returns an
// error, the connection has kept nothing of st.
func (c *Conn) Send(ctx context.Context, st stanza.Stanza) error {
	return c.submit(ctx, c.prepare(st))
}

// prepare gives st its id, remembers a presence broadcast (which a new
// session sends again), and runs the interceptors, which change st in
// place.
func (c *Conn) prepare(st stanza.Stanza) stanza.Stanza {
	h := st.Head()
	if h.ID == "" {
		if _, isIQ := st.(*stanza.IQ); !isIQ {
			h.ID = c.newID()
		}
	}
	if p, ok := st.(*stanza.Presence); ok {
		c.notePresence(p)
	}
	c.intercept(st)
	return st
}

// submit writes st on the stream in use, or queues it while the
// connection is coming back.
func (c *Conn) submit(ctx context.Context, st stanza.Stanza) error {
	if err := ctx.Err(); err != nil {
		return err // neither written nor queued
	}
	for {
		c.mu.Lock()
		s := c.stream
		if c.state != streamUp {
			err := c.queueLocked(st)
			c.mu.Unlock()
			return err
		}
		c.mu.Unlock()
		taken, err := c.write(ctx, s, st)
		switch {
		case taken:
			return nil // stream management has it: resent or reported
		case errors.Is(err, errStreamGone):
			if isClosed(s.closing) {
				return c.notConnected() // Close has written the stream's end
			}
			// s ended first: once its reader has seen to it, queue st or
			// fail, as the Conn then stands.
			select {
			case <-s.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		return err
	}
}

// queueLocked queues st while the connection is down but coming back,
// or while a stream that came up is writing what goes first (see
// streamFlushing). The caller holds c.mu.
func (c *Conn) queueLocked(st stanza.Stanza) error {
	if (c.sess == nil && c.recon == nil) || c.cfg.MaxQueued < 0 {
		if c.lastErr != nil {
			return fmt.Errorf("%w: %w", ErrNotConnected, c.lastErr)
		}
		return ErrNotConnected
	}
	if len(c.outbox) >= orDefault(c.cfg.MaxQueued, defaultMaxQueued) {
		return ErrQueueFull
	}
	c.outbox = append(c.outbox, st)
	return nil
}

// write writes st on s. taken reports that stream management kept st:
// whatever happened to the stream, it will be sent again or reported.
// errStreamGone means s ended before st was written. A write that failed
// once begun ends s (part of an element may be on the wire): the error
// then matches ErrNotConnected and wraps the cause, or is ctx's error
// when ctx ended it.
func (c *Conn) write(ctx context.Context, s *stream, st stanza.Stanza) (taken bool, err error) {
	sm := s.sess.sm
	if sm.active() {
		if err := sm.acquire(ctx, s.done); err != nil {
			return false, err
		}
	} else {
		sm = nil
	}
	written, taken, err := s.send(ctx, s.done, st, sm)
	switch {
	case err == nil:
		return taken, nil
	case errors.Is(err, ErrNotConnected):
		return taken, errStreamGone
	case !written:
		return taken, err
	}
	// The reader sees the socket close and ends s with this cause.
	if ctx.Err() != nil {
		s.abort(fmt.Errorf("xmpp: a write was cut short when its context ended: %w", err))
		return taken, err
	}
	s.abort(err)
	return taken, fmt.Errorf("%w: %w", ErrNotConnected, err)
}

// requestAck asks the server to acknowledge what it has received, on the
// stream in use.
func (c *Conn) requestAck() {
	s := c.current()
	if s == nil {
		return
	}
	// Not a child of the session's context: the write ends with the
	// socket anyway, and a child would leave the session's context a map
	// of children to keep for its lifetime (about 200 B per connection).
	ctx, cancel := context.WithTimeout(context.Background(), orDefault(c.cfg.KeepAliveTimeout, defaultKeepAliveTimeout))
	defer cancel()
	// Noted before the write: the answer may be read before it returns.
	s.sess.sm.requested(false)
	if err := s.writeRaw(ctx, smRequest); err != nil && !errors.Is(err, ErrNotConnected) {
		s.abort(err)
	}
}

// up writes what must precede everything else on the new stream s — the
// unacknowledged stanzas again after a resume, with an ack request, or
// the initial presence of a new session — then the stanzas queued while
// the connection was down, in order, as many a write as fit in maxBatch
// bytes (writeQueued). Until then Send queues, so nothing
// overtakes. If s ends meanwhile, the rest stays queued. When a write
// fails, up returns once s has ended: what comes next (another attempt)
// finds the session as s's end left it, suspended or lost.
func (c *Conn) up(ctx context.Context, s *stream, r *reconnector, resend []stanza.Stanza, initial *stanza.Presence) error {
	fail := func(err error) error {
		s.abort(err)
		select {
		case <-s.done:
		case <-ctx.Done(): // bounded, should the reader be stuck
		}
		return err
	}
	if s.resumed {
		// Even with nothing to send again, an ack request follows: its
		// answer shows the server reads this stream (see end).
		if err := s.resend(ctx, resend); err != nil {
			return fail(fmt.Errorf("xmpp: resending after resumption: %w", err))
		}
	}
	if initial != nil {
		c.prepare(initial)
		if _, err := c.write(ctx, s, initial); err != nil {
			return fail(fmt.Errorf("xmpp: initial presence: %w", err))
		}
	}
	for {
		c.mu.Lock()
		if c.stream != s {
			// The stream ended as it came up. For a Connect, the session
			// is there, suspended (reconnection takes over) or ended
			// (StateClosed says so): the login itself succeeded. For
			// reconnection, this attempt failed.
			c.mu.Unlock()
			<-s.done
			if r == nil {
				return nil
			}
			return fmt.Errorf("xmpp: the stream ended as it came up: %w", s.err)
		}
		if len(c.outbox) == 0 {
			c.state = streamUp
			if s.flushed != nil {
				close(s.flushed) // SendElement's waiters
			}
			if c.recon == r {
				c.recon = nil
			}
			c.mu.Unlock()
			return nil
		}
		batch := c.outbox
		c.outbox = nil
		c.mu.Unlock()
		for len(batch) > 0 {
			n, settled, err := c.writeQueued(ctx, s, batch)
			if err != nil {
				// What stream management did not keep goes back to the
				// head of the queue, for the stream that comes next; if
				// none will (Close, or the session ended for good), it
				// is reported.
				rest := batch[settled:]
				c.mu.Lock()
				keep := s.gen == c.gen && (c.sess != nil || c.recon != nil)
				if keep {
					c.outbox = append(rest[:len(rest):len(rest)], c.outbox...)
				}
				c.mu.Unlock()
				if !keep {
					c.unackedEvent(rest, ErrClosed)
				}
				return fail(fmt.Errorf("xmpp: sending what was queued: %w", err))
			}
			batch = batch[n:]
		}
	}
}

// writeQueued writes stanzas queued while the connection was down, the
// first of sts and as many of the next as fit in maxBatch bytes, in one
// write on s, counted and kept for stream management in order, and
// returns how many of sts it dealt with (n). The first settled of those
// need nothing more from the queue: stream management kept them (sent
// again or reported, whatever happens to s), or, for a stanza that
// cannot be encoded, OnUnacked heard of it (alone: the batch ends before
// it, and it is dealt with alone). With the stream management window
// full, it waits for room as Send does, and writes one stanza. On an
// error, s has ended or never took the write: those of sts from settled
// on may have gone out in part, or not at all.
func (c *Conn) writeQueued(ctx context.Context, s *stream, sts []stanza.Stanza) (n, settled int, err error) {
	sm := s.sess.sm
	slots := len(sts)
	if sm.active() {
		if slots = sm.tryAcquire(len(sts)); slots == 0 {
			if err := sm.acquire(ctx, s.done); err != nil {
				return 0, 0, err
			}
			slots = 1
		}
	} else {
		sm = nil
	}
	if err := s.lock(ctx, s.done); err != nil {
		sm.release(slots)
		return 0, 0, err
	}
	defer s.unlock()
	if s.finished {
		sm.release(slots)
		return 0, 0, ErrNotConnected
	}
	sc, buf := borrowScratch()
	defer func() { sc.giveBack(buf) }()
	request, keeping := false, sm != nil
	counted := 0 // given to sm.sent, which keeps the slot or gives it back
	for n < slots {
		st := sts[n]
		b, err := encodeStanza(sc.enc, st)
		if err != nil {
			if n == 0 {
				c.unackedEvent(sts[:1:1], err)
				n, settled = 1, 1
			}
			break
		}
		if n > 0 && len(buf)+len(b) > maxBatch {
			break
		}
		if keeping {
			var asks bool
			counted++
			if keeping, asks, _ = sm.sent(st); asks {
				b = append(b, smRequest...)
				request = true
			}
		}
		n++
		if keeping {
			settled = n
		}
		s.record(b)
		buf = append(buf, b...)
	}
	sm.release(slots - counted)
	if len(buf) == 0 {
		return n, settled, nil
	}
	if err := s.writeWatched(ctx, nil, buf, request); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("xmpp: a write was cut short when its context ended: %w", err)
		}
		s.abort(err)
		return n, settled, err
	}
	return n, settled, nil
}
