package xmpp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// This file holds the session's life: Connect, the outcome of each login
// (a session resumed or begun), the end of a stream (the session
// suspended or lost), reconnection giving up, and Close.

// session is one XMPP session: a bound resource, from login to
// StateClosed. With stream management it may span several streams: a
// lost stream suspends it (StateDisconnected) and the next one resumes it
// (StateResumed). Without, it ends with its one stream. It is active
// while Conn.sess is it and its stream is in use, suspended while
// Conn.sess is it and no stream is, and over once lost is closed (lose
// has run, Conn.sess no longer points to it).
type session struct {
	jid      jid.JID
	features Features
	sm       *smState // nil without stream management

	ctx      context.Context // ends with the session: IQ handlers get it
	cancel   context.CancelFunc
	lostOnce sync.Once
	received atomic.Uint64 // the stanzas read so far: the last one's Seq

	// abandoned is when (clock) an attempt to resume this session last
	// failed, 0 if none did: the server may still resume it on that
	// attempt's connection, behind the client's back (see ownConflict).
	abandoned atomic.Int64
}

// ownConflictWindow is how long after an abandoned resumption attempt a
// conflict is taken for that attempt's doing (see ownConflict).
const ownConflictWindow = time.Minute

// ownConflict reports whether err, which ended a stream of sess, is a
// conflict that this client's own abandoned attempt caused: a server
// slower than Reconnect.Timeout resumes the session on a connection the
// client has given up on, and then ends the stream of the next attempt,
// which resumed it too, with <conflict/> (seen on a loaded ejabberd: it
// keeps the session pending for resumption on the first connection). A
// conflict is otherwise final, since another client took the resource;
// this one is retried, once for each abandoned attempt, so two clients
// on one resource cannot keep taking it from each other.
func (sess *session) ownConflict(err error) bool {
	var se *stanza.StreamError
	if sess == nil || !errors.As(err, &se) || se.Condition != stanza.StreamConflict {
		return false
	}
	at := sess.abandoned.Swap(0)
	return at != 0 && clock()-time.Duration(at) < ownConflictWindow
}

// lost returns a channel closed when the session ends.
func (sess *session) lost() <-chan struct{} { return sess.ctx.Done() }

// newSession begins the session that negotiation bound on s.
func newSession(s *stream) *session {
	sess := &session{jid: s.jid, features: s.features, sm: s.sm}
	sess.ctx, sess.cancel = context.WithCancel(context.Background())
	return sess
}

// Connect opens a stream and logs in (RFC 6120): it finds the server (DNS
// SRV, or Config.Addr), connects with direct TLS or STARTTLS as the
// configuration and the server allow, authenticates with the strongest
// SASL mechanism both sides support, and then resumes the suspended
// session if there is one (XEP-0198), or binds a resource, enables stream
// management when offered, and sends initial presence unless the
// configuration says not to (a session replacing a lost one sends the
// last available presence the user broadcast instead). A see-other-host
// stream error during negotiation is followed once. It writes ahead
// without waiting for the server where every server allows it (see
// "Connecting" in the package documentation).
//
// Negotiation runs on the caller's goroutine; ctx bounds all of it (its
// deadline and its cancellation abort the network operations), and once
// Connect returns, ctx no longer matters. On success the reader goroutine
// runs until the stream ends. Connect on a connected Conn, or while
// automatic reconnection runs, returns ErrConnected; Connect after the
// stream ended connects again, keeping every registration.
func (c *Conn) Connect(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c.mu.Lock()
	if c.stream != nil || c.connecting != nil || c.recon != nil {
		c.mu.Unlock()
		return ErrConnected
	}
	a := &attempt{cancel: cancel, done: make(chan struct{})}
	defer close(a.done)
	c.connecting = a
	if c.down == nil || isClosed(c.down) {
		c.down = make(chan struct{})
	}
	gen := c.gen
	c.mu.Unlock()
	if c.cfg.JID.IsZero() {
		err := errors.New("xmpp: Config.JID is not set")
		c.settle(err)
		return err
	}
	_, err := c.connect(ctx, nil, gen)
	if err != nil && errors.Is(context.Cause(ctx), ErrClosed) && !errors.Is(err, ErrClosed) {
		err = fmt.Errorf("%w during Connect: %w", ErrClosed, err)
	}
	c.settle(err)
	return err
}

// settle ends a Connect, and when it failed, nothing comes back by
// itself: the Conn is down for good (a suspended session stays for the
// next Connect to resume).
func (c *Conn) settle(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connecting = nil
	if err != nil && c.stream == nil && c.recon == nil && c.down != nil && !isClosed(c.down) {
		close(c.down)
	}
}

// connect negotiates a stream and puts it in use: the suspended session
// resumed, or a new one. r is the reconnection doing it, if any; gen is
// Conn.gen when it started: after a Close, the new stream is dropped.
func (c *Conn) connect(ctx context.Context, r *reconnector, gen generation) (resumed bool, err error) {
	sess := c.session()
	s, resumeErr, err := c.negotiate(ctx, sess)
	if err != nil {
		return false, err
	}
	s.closing = make(chan struct{})
	s.done = make(chan struct{})
	s.born = clock()
	s.noteHeard()
	s.gen = gen
	resumed = resumeErr == nil && sess != nil
	s.resumed = resumed
	if !resumed && sess != nil {
		c.loseSession(sess, fmt.Errorf("%w: %w", ErrResumeFailed, resumeErr), false)
	}
	var initial *stanza.Presence
	hs := Attached[holds](c) // before c.mu: the registry's lock is a leaf
	c.mu.Lock()
	if c.gen != gen {
		c.mu.Unlock()
		s.raw.Close() // Close was called meanwhile
		return false, fmt.Errorf("%w during Connect", ErrClosed)
	}
	if resumed {
		s.sess = sess
	} else {
		s.sess = newSession(s)
		if s.sess.sm != nil {
			s.sess.sm.request = c.requestAck
		}
		c.sess = s.sess
		// A session replacing a lost one restores the user's presence.
		initial = c.initialPresence(sess != nil || r != nil, hs)
	}
	c.stream, c.state = s, streamFlushing
	c.lastErr = nil
	c.mu.Unlock()
	if resumed {
		c.event(StateChange{State: StateResumed, JID: sess.jid})
		c.startWatchdog(s)
		go c.read(s)
		return true, c.up(ctx, s, r, sess.sm.pending(), nil)
	}
	c.event(StateChange{State: StateAuthenticated, JID: s.jid})
	for _, e := range s.early {
		e.st.Head().Seq = s.sess.received.Add(1)
		c.push(s, e.st, e.size)
	}
	s.early = nil
	c.startWatchdog(s)
	go c.read(s)
	return false, c.up(ctx, s, r, nil, initial)
}

// end tears s down once its reader has stopped: err says why (nil after
// Close). A stream lost by accident with a resumable session suspends
// the session; anything else ends it. Reconnection starts when it may.
func (c *Conn) end(s *stream, err error) {
	s.raw.Close()
	s.seal()
	s.watchdog.Load().stop()
	sess := s.sess
	c.mu.Lock()
	closing := isClosed(s.closing) || s.gen != c.gen // Close has begun
	s.err = err
	wasUp := c.stream == s
	if wasUp {
		c.stream, c.state = nil, noStream
		c.lastErr = err
	}
	// A stream the server ended on purpose (conflict, policy-violation...)
	// is not resumed; one lost to the network, to bad input or to a
	// server's restart may be: the server says whether it kept the
	// session.
	//
	// Nor is a session whose server resumes it but does not read what it
	// sends: its resumed streams (each asks for an ack at once) have gone
	// KeepAliveTimeout in all without an <a/>. Prosody (0.12) feeds a
	// resumed stream to the XML parser of the session's first stream;
	// when that one was cut inside a stanza, all that follows nests
	// inside it, well-formed and never handled, on every resumption. The
	// streams die of the ack deadline, or of the network sooner, and are
	// counted together. A new session is the way out; it sends again
	// what was not acknowledged.
	unread := s.resumed && !s.ackHeard && sess.sm.unreadFor(s.sinceBorn()) >= orDefault(c.cfg.KeepAliveTimeout, defaultKeepAliveTimeout)
	retry := retryable(err) || (wasUp && !closing && sess.ownConflict(err))
	suspend := wasUp && !closing && err != nil && sess.sm.resumable() && retry && !errors.Is(err, errSMViolation) && !unread
	lose := wasUp && !suspend && c.sess == sess
	if lose {
		c.sess = nil
	}
	reconnecting := c.recon != nil
	var r *reconnector
	if wasUp && !reconnecting && !closing && !c.cfg.Reconnect.Disabled && retry {
		r = newReconnector(c.gen)
		c.recon = r
		reconnecting = true
	}
	if wasUp && !reconnecting && c.down != nil && !isClosed(c.down) {
		close(c.down)
	}
	c.mu.Unlock()
	close(s.done)
	switch {
	case lose:
		c.loseSession(sess, err, !reconnecting)
	case suspend:
		c.event(StateChange{State: StateDisconnected, Err: err})
	}
	if r != nil {
		go c.reconnect(r)
	}
}

// loseSession ends sess: SendIQ calls waiting on it fail, what it sent
// without acknowledgement is reported, and the listeners hear
// StateClosed. final says nothing will come back by itself, so the
// stanzas queued meanwhile are reported too. It is safe to call more than
// once: the first call counts.
func (c *Conn) loseSession(sess *session, err error, final bool) {
	sess.lostOnce.Do(func() { c.lose(sess, err, final) })
}

func (c *Conn) lose(sess *session, err error, final bool) {
	left := sess.sm.stop()
	c.mu.Lock()
	if c.sess == sess {
		c.sess = nil
	}
	var queued []stanza.Stanza
	if final {
		queued, c.outbox = c.outbox, nil
	} else {
		// The next session sends first what this one may not have
		// delivered (messages and directed presence), then what was
		// queued. IQs go with the lost session: a request's SendIQ
		// fails now, and a reply answers nobody in a new one. The
		// presence broadcast is restored on its own (initialPresence).
		var again []stanza.Stanza
		if !c.cfg.StreamManagement.NoResend {
			left, again = splitResendable(left)
		}
		kept := again
		for _, st := range c.outbox {
			if _, isIQ := st.(*stanza.IQ); isIQ {
				queued = append(queued, st)
			} else {
				kept = append(kept, st)
			}
		}
		c.outbox = kept
	}
	c.mu.Unlock()
	sess.cancel() // sess.lost()
	why := err
	if why == nil {
		why = ErrClosed
	}
	c.pending.fail(sess, fmt.Errorf("%w: %w", ErrNotConnected, why))
	if len(left) > 0 {
		c.unackedEvent(left, why)
	}
	if len(queued) > 0 {
		c.unackedEvent(queued, why)
	}
	c.event(StateChange{State: StateClosed, Err: err})
}

// splitResendable parts the stanzas a lost session sent without
// acknowledgement into those a new session sends again (messages,
// directed presence) and those it cannot (IQs). Presence broadcasts are
// in neither: the new session restores the last one (initialPresence).
func splitResendable(sts []stanza.Stanza) (not, again []stanza.Stanza) {
	for _, st := range sts {
		switch st := st.(type) {
		case *stanza.Message:
			again = append(again, st)
		case *stanza.Presence:
			if !st.To.IsZero() {
				again = append(again, st)
			}
		default:
			not = append(not, st)
		}
	}
	return not, again
}

// giveUp ends reconnection r for good after err.
func (c *Conn) giveUp(r *reconnector, err error) {
	c.mu.Lock()
	if c.recon != r {
		c.mu.Unlock()
		return
	}
	c.recon = nil
	sess := c.sess
	queued := c.outbox
	if sess == nil {
		c.outbox = nil
	}
	c.lastErr = err
	if c.down != nil && !isClosed(c.down) {
		close(c.down)
	}
	c.mu.Unlock()
	if sess != nil {
		c.loseSession(sess, err, true)
	} else if len(queued) > 0 {
		c.unackedEvent(queued, err)
	}
}

// Close ends the session cleanly: it stops reconnection, sends
// unavailable presence and the stream's end, waits up to
// Config.CloseTimeout for the server to close its side, closes the socket
// and waits for the reader goroutine to exit. A Connect or reconnection
// still negotiating stops at once (a Connect returns an error matching
// ErrClosed), its socket closed; one whose stream is up and writing what
// goes first (what a resumption sends again, the initial presence, the
// queue) finishes that within Config.CloseTimeout, and that stream is
// then closed cleanly.
// SendIQ calls still waiting fail; stanzas queued or not acknowledged are
// reported to OnUnacked. Registrations stay on the Conn. Close on a
// connection that is not connected does nothing and returns nil; it is
// safe to call twice and from a listener.
func (c *Conn) Close() error {
	// Cancelling an attempt whose stream is in use would cut the stream
	// mid-write, without the unavailable presence and the last acks.
	wait, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout())
	_, _ = c.upStream(wait)
	cancel()
	c.mu.Lock()
	c.gen++ // from here on, no stream negotiated before is put in use
	r := c.recon
	a := c.connecting
	if a != nil {
		a.cancel(ErrClosed) // its socket closes as it fails
	}
	c.mu.Unlock()
	if a != nil {
		// So that a Connect right after Close does not find it under
		// way. Bounded: Connect may be stuck behind a listener (a full
		// dispatcher queue) that is calling Close.
		select {
		case <-a.done:
		case <-time.After(c.cfg.closeTimeout()):
		}
	}
	if r != nil {
		r.cancel()
		<-r.done
	}
	if s := c.current(); s != nil {
		s.closeOnce.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout())
			defer cancel()
			// Unavailable presence first: RFC 6121 section 4.6.1 lets
			// the server broadcast it; a closed stream implies it anyway.
			_, _ = c.write(ctx, s, c.prepare(&stanza.Presence{Type: stanza.Unavailable}))
			close(s.closing)
			if err := s.writeEnd(ctx); err == nil {
				select {
				case <-s.done:
				case <-ctx.Done():
				}
			}
			s.raw.Close()
			<-s.done
		})
		<-s.done
	}
	// Whatever happened meanwhile, nothing is suspended, queued or
	// coming back after Close.
	c.mu.Lock()
	if c.recon == r {
		c.recon = nil
	}
	sess := c.sess
	c.sess = nil
	queued := c.outbox
	c.outbox = nil
	c.lastErr = nil
	if c.down != nil && !isClosed(c.down) {
		close(c.down)
	}
	c.mu.Unlock()
	if sess != nil {
		c.loseSession(sess, nil, true)
	}
	if len(queued) > 0 {
		c.unackedEvent(queued, ErrClosed)
	}
	return nil
}
