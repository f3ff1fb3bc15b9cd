package xmpp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
)

// Conn is a client connection to an XMPP server (Smack's
// XMPPTCPConnection). It outlives any one socket: listeners, IQ handlers
// and the managers built on them are registered on the Conn, before or
// after Connect, and stay registered when the stream ends, so that a later
// Connect (or automatic reconnection) finds them in place.
//
// A Conn runs one reader goroutine while a stream is up. The reader hands
// IQ replies straight to the SendIQ calls that wait for them and queues
// everything else for a dispatcher goroutine, which exists only while
// there is something to deliver. Listeners, IQ handlers and state
// listeners run on the dispatcher one at a time, in the order the stanzas
// arrived; they may call Send and SendIQ (and wait for the reply) without
// deadlocking, and while one runs the others wait.
//
// # Staying connected
//
// A session (from login to StateClosed) can outlive its stream. With
// stream management (XEP-0198, on whenever the server offers it), every
// stanza sent is kept until the server acknowledges it; when the stream is
// lost the session is suspended (StateDisconnected), and reconnection
// resumes it (StateResumed): the server re-sends what the client did not
// receive and the client re-sends what the server did not acknowledge.
// When the session cannot be resumed it ends (StateClosed) and a new
// session starts (StateAuthenticated) for the managers to restore
// (roster, presence, rooms); it first sends again the messages and
// directed presences the old one had not seen acknowledged, and reports
// the rest (IQs) to OnUnacked. A message received again (same sender, id
// and body) is dropped before the listeners (Config.DuplicateWindow).
// Automatic reconnection (Config.Reconnect) retries with back-off; while
// it runs, Send queues stanzas and sends them, in order, once the stream
// is up.
//
// All methods are safe for concurrent use.
type Conn struct {
	cfg Config // its Rand and SaltCache are never nil

	// The fields under mu. The booleans are side by side: an idle
	// connection's size is a feature (BENCHMARKS.md).
	mu       sync.Mutex
	s        *session      // the stream in use; nil when none is up
	x        *xsession     // the session; nil when none (suspended ones included)
	lastErr  error         // why the last stream ended; nil after a clean Close
	down     chan struct{} // Done: closed when the Conn is down and not coming back
	recon    *reconnector  // automatic reconnection under way, or nil
	outbox   []stanza.Stanza
	presence *stanza.Presence // the last available presence broadcast
	// gen counts Close calls: a stream negotiated before one is not used
	// (compared for equality only: wrapping is harmless).
	gen      generation
	flushing bool // s is up but still sending what was queued: Send queues
	// unavailable says the last presence broadcast was unavailable:
	// there is nothing to restore.
	unavailable bool
	// connecting is the Connect under way, nil when none is: Close
	// stops it and waits for it to return.
	connecting *attempt

	reg       registry
	pending   pending
	dispatch  dispatcher
	announced announced
	recent    *recentMessages
}

// attempt is a Connect under way: cancel stops it with ErrClosed as the
// cause, and done is closed when it has returned.
type attempt struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// generation is a count of Conn.Close calls. 32 bits keep Conn within
// its allocation size class (an idle connection's memory is a feature,
// BENCHMARKS.md).
type generation uint32

// xsession is one XMPP session: a bound resource, from login to
// StateClosed. Stream management lets it span several streams.
type xsession struct {
	jid      jid.JID
	features Features
	sm       *smState // nil without stream management

	ctx      context.Context // ends with the session: IQ handlers get it
	cancel   context.CancelFunc
	lostOnce sync.Once
	received atomic.Uint64 // the stanzas read so far: the last one's Seq
}

// lost returns a channel closed when the session ends.
func (x *xsession) lost() <-chan struct{} { return x.ctx.Done() }

func newXSession(s *session) *xsession {
	x := &xsession{jid: s.jid, features: s.features, sm: s.sm}
	x.ctx, x.cancel = context.WithCancel(context.Background())
	return x
}

// session is what one socket carries: the stream, what negotiation
// learned, and how it ends.
type session struct {
	*stream
	jid      jid.JID // the full JID the server bound
	features Features
	x        *xsession
	sm       *smState   // negotiation's stream management, before x exists
	gen      generation // Conn.gen when it was put in use

	born      time.Duration // when it was put in use, as clock() reads
	heard     atomic.Int64  // when the reader last received anything, as clock() reads
	acking    atomic.Bool   // a goroutine is answering <r/>
	ackWanted atomic.Bool   // an <r/> is waiting for its answer
	resumed   bool          // it resumed a session; set before the reader starts
	ackHeard  bool          // an <a/> arrived; the reader's alone

	closing   chan struct{} // closed when Close starts
	closeOnce sync.Once
	done      chan struct{} // closed when the reader has ended
	err       error         // why it ended; set before done closes
	early     []earlyStanza // received during negotiation, for the listeners
	earlySize int           // their bytes

	abortOnce sync.Once
	abortErr  error // why abort ended it; read after abortOnce.Do
}

func (s *session) sinceBorn() time.Duration { return clock() - s.born }
func (s *session) lastHeard() time.Duration { return time.Duration(s.heard.Load()) }
func (s *session) noteHeard()               { s.heard.Store(int64(clock())) }

// abort ends the stream at once with err: the reader sees the socket
// close and reports err. It closes the socket under TLS, not the TLS
// connection, whose Close would wait for a write stuck on a silent peer.
func (s *session) abort(err error) {
	s.abortOnce.Do(func() { s.abortErr = err })
	s.raw.Close()
}

// New returns a connection with the given configuration, not yet
// connected. Register listeners and attach managers, then call Connect.
// New copies cfg; changing cfg afterwards changes nothing.
func New(cfg Config) *Conn {
	c := &Conn{cfg: cfg}
	if c.cfg.Rand == nil {
		c.cfg.Rand = rand.Reader
	}
	if c.cfg.SaltCache == nil {
		c.cfg.SaltCache = new(sasl.SaltCache)
	}
	c.recent = newRecentMessages(max(orDefault(cfg.DuplicateWindow, defaultDuplicateWindow), 0))
	return c
}

// Dial is New followed by Connect: it returns a connection that is logged
// in and bound, or an error. ctx bounds the whole negotiation; once Dial
// returns, ctx no longer matters.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	c := New(cfg)
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Config returns a copy of the connection's configuration.
func (c *Conn) Config() Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

// JID returns the full JID the server bound for the session (also while
// it is suspended, waiting to be resumed), or the zero JID when there is
// no session.
func (c *Conn) JID() jid.JID {
	if x := c.session(); x != nil {
		return x.jid
	}
	return jid.JID{}
}

// Features returns the stream features the server announced after login
// (stream management, roster versioning...), or the zero Features when
// there is no session.
func (c *Conn) Features() Features {
	if x := c.session(); x != nil {
		return x.features
	}
	return Features{}
}

// IsConnected reports whether a stream is up and logged in.
func (c *Conn) IsConnected() bool { return c.current() != nil }

// Done returns a channel that is closed when the connection is down and
// will not come back by itself: after Close, after a stream ended with
// automatic reconnection disabled, or when reconnection gave up. While
// reconnection runs it stays open. Before the first Connect it is closed.
// After it closes, Err says why.
func (c *Conn) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down == nil {
		return closedChan
	}
	return c.down
}

var closedChan = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// Err returns nil while connected or after Close; otherwise the error that
// ended the last stream (a *stanza.StreamError from the server,
// ErrServerClosed, a network error...).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s != nil {
		return nil
	}
	return c.lastErr
}

func (c *Conn) current() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}

func (c *Conn) session() *xsession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.x
}

// lost returns a channel closed when the current session ends (closed
// already when there is none).
func (c *Conn) lost() <-chan struct{} {
	if x := c.session(); x != nil {
		return x.lost()
	}
	return closedChan
}

// notConnected is the error for using a connection with no stream.
func (c *Conn) notConnected() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastErr != nil {
		return fmt.Errorf("%w: %w", ErrNotConnected, c.lastErr)
	}
	return ErrNotConnected
}

// Connect opens a stream and logs in (RFC 6120): it finds the server (DNS
// SRV, or Config.Addr), connects with direct TLS or STARTTLS as the
// configuration and the server allow, authenticates with the strongest
// SASL mechanism both sides support, and then resumes the suspended
// session if there is one (XEP-0198), or binds a resource, enables stream
// management when offered, and sends initial presence unless the
// configuration says not to (a session replacing a lost one sends the
// last available presence the user broadcast instead). A see-other-host
// stream error during negotiation is followed once.
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
	if c.s != nil || c.connecting != nil || c.recon != nil {
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
	if err != nil && c.s == nil && c.recon == nil && c.down != nil && !isClosed(c.down) {
		close(c.down)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// connect negotiates a stream and puts it in use: the suspended session
// resumed, or a new one. r is the reconnection doing it, if any; gen is
// Conn.gen when it started: after a Close, the new stream is dropped.
func (c *Conn) connect(ctx context.Context, r *reconnector, gen generation) (resumed bool, err error) {
	x := c.session()
	s, resumeErr, err := c.negotiate(ctx, x)
	if err != nil {
		return false, err
	}
	s.closing = make(chan struct{})
	s.done = make(chan struct{})
	s.born = clock()
	s.noteHeard()
	s.gen = gen
	resumed = resumeErr == nil && x != nil
	s.resumed = resumed
	if !resumed && x != nil {
		c.loseSession(x, fmt.Errorf("%w: %w", ErrResumeFailed, resumeErr), false)
	}
	var initial *stanza.Presence
	c.mu.Lock()
	if c.gen != gen {
		c.mu.Unlock()
		s.raw.Close() // Close was called meanwhile
		return false, fmt.Errorf("%w during Connect", ErrClosed)
	}
	if resumed {
		s.x = x
	} else {
		s.x = newXSession(s)
		if s.x.sm != nil {
			s.x.sm.request = c.requestAck
		}
		c.x = s.x
		// A session replacing a lost one restores the user's presence.
		initial = c.initialPresence(x != nil || r != nil)
	}
	c.s, c.flushing = s, true
	c.lastErr = nil
	c.mu.Unlock()
	if resumed {
		c.event(StateChange{State: StateResumed, JID: x.jid})
		c.startWatchdog(s)
		go c.read(s)
		return true, c.up(ctx, s, r, x.sm.pending(), nil)
	}
	c.event(StateChange{State: StateAuthenticated, JID: s.jid})
	for _, e := range s.early {
		e.st.Head().Seq = s.x.received.Add(1)
		c.push(s, e.st, e.size)
	}
	s.early = nil
	c.startWatchdog(s)
	go c.read(s)
	return false, c.up(ctx, s, r, nil, initial)
}

// initialPresence is what a new session announces: when it replaces a
// lost one (restore), the user's last presence broadcast, or nothing if
// that was unavailable (a new session starts unavailable); else plain
// available presence, unless the configuration says not to.
func (c *Conn) initialPresence(restore bool) *stanza.Presence {
	switch {
	case restore && c.unavailable:
		return nil
	case restore && c.presence != nil:
		return clonePresence(c.presence)
	case c.cfg.NoInitialPresence:
		return nil
	}
	return &stanza.Presence{}
}

// up writes what must precede everything else on the new stream s — the
// unacknowledged stanzas again after a resume, with an ack request, or
// the initial presence of a new session — then the stanzas queued while
// the connection was down, in order. Until then Send queues, so nothing
// overtakes. If s ends meanwhile, the rest stays queued. When a write
// fails, up returns once s has ended: what comes next (another attempt)
// finds the session as s's end left it, suspended or lost.
func (c *Conn) up(ctx context.Context, s *session, r *reconnector, resend []stanza.Stanza, initial *stanza.Presence) error {
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
		if c.s != s {
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
			c.flushing = false
			if c.recon == r {
				c.recon = nil
			}
			c.mu.Unlock()
			return nil
		}
		batch := c.outbox
		c.outbox = nil
		c.mu.Unlock()
		for i, st := range batch {
			if taken, err := c.write(ctx, s, st); err != nil && !taken {
				// What is left goes back to the head of the queue, for
				// the stream that comes next; if none will (Close, or
				// the session ended for good), it is reported.
				c.mu.Lock()
				keep := s.gen == c.gen && (c.x != nil || c.recon != nil)
				if keep {
					c.outbox = append(batch[i:len(batch):len(batch)], c.outbox...)
				}
				c.mu.Unlock()
				if !keep {
					c.unackedEvent(batch[i:], ErrClosed)
				}
				return fail(fmt.Errorf("xmpp: sending what was queued: %w", err))
			}
		}
	}
}

// end tears s down once its reader has stopped: err says why (nil after
// Close). A stream lost by accident with a resumable session suspends
// the session; anything else ends it. Reconnection starts when it may.
func (c *Conn) end(s *session, err error) {
	s.raw.Close()
	s.seal()
	s.watchdog.Load().stop()
	x := s.x
	c.mu.Lock()
	closing := isClosed(s.closing) || s.gen != c.gen // Close has begun
	s.err = err
	wasUp := c.s == s
	if wasUp {
		c.s, c.flushing = nil, false
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
	unread := s.resumed && !s.ackHeard && x.sm.unreadFor(s.sinceBorn()) >= orDefault(c.cfg.KeepAliveTimeout, defaultKeepAliveTimeout)
	suspend := wasUp && !closing && err != nil && x.sm.resumable() && retryable(err) && !errors.Is(err, errSMViolation) && !unread
	lose := wasUp && !suspend && c.x == x
	if lose {
		c.x = nil
	}
	reconnecting := c.recon != nil
	var r *reconnector
	if wasUp && !reconnecting && !closing && !c.cfg.Reconnect.Disabled && retryable(err) {
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
		c.loseSession(x, err, !reconnecting)
	case suspend:
		c.event(StateChange{State: StateDisconnected, Err: err})
	}
	if r != nil {
		go c.reconnect(r)
	}
}

// loseSession ends x: SendIQ calls waiting on it fail, what it sent
// without acknowledgement is reported, and the listeners hear
// StateClosed. final says nothing will come back by itself, so the
// stanzas queued meanwhile are reported too.
func (c *Conn) loseSession(x *xsession, err error, final bool) {
	x.lostOnce.Do(func() { c.lose(x, err, final) })
}

func (c *Conn) lose(x *xsession, err error, final bool) {
	left := x.sm.stop()
	c.mu.Lock()
	if c.x == x {
		c.x = nil
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
	x.cancel() // x.lost()
	why := err
	if why == nil {
		why = ErrClosed
	}
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
	x := c.x
	queued := c.outbox
	if x == nil {
		c.outbox = nil
	}
	c.lastErr = err
	if c.down != nil && !isClosed(c.down) {
		close(c.down)
	}
	c.mu.Unlock()
	if x != nil {
		c.loseSession(x, err, true)
	} else if len(queued) > 0 {
		c.unackedEvent(queued, err)
	}
}

// Close ends the session cleanly: it stops reconnection, sends
// unavailable presence and the stream's end, waits up to
// Config.CloseTimeout for the server to close its side, closes the socket
// and waits for the reader goroutine to exit. A Connect under way stops
// at once and returns an error matching ErrClosed, its socket closed.
// SendIQ calls still waiting fail; stanzas queued or not acknowledged are
// reported to OnUnacked. Registrations stay on the Conn. Close on a
// connection that is not connected does nothing and returns nil; it is
// safe to call twice and from a listener.
func (c *Conn) Close() error {
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
			end := "</stream:stream>"
			if s.x.sm.active() {
				end = smRequest + end // the last acks come before the server's end
			}
			if err := s.writeRaw(ctx, end); err == nil {
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
	x := c.x
	c.x = nil
	queued := c.outbox
	c.outbox = nil
	c.lastErr = nil
	if c.down != nil && !isClosed(c.down) {
		close(c.down)
	}
	c.mu.Unlock()
	if x != nil {
		c.loseSession(x, nil, true)
	}
	if len(queued) > 0 {
		c.unackedEvent(queued, ErrClosed)
	}
	return nil
}

// newID returns a stanza id that is unique and cannot be guessed: 12
// random bytes, base64url (96 bits: no collision among a connection's
// lifetime of ids, and another entity cannot predict the next one to
// forge a reply).
func (c *Conn) newID() string {
	var b [12]byte
	if _, err := io.ReadFull(c.cfg.Rand, b[:]); err != nil {
		panic("xmpp: reading random bytes: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Send writes st to the server. A Message or Presence without an id gets
// a fresh one, written into st. Send returns once the stanza is handed to
// the socket; with stream management, OnAcked says when the server has
// it, and OnUnacked when it may not.
//
// While the connection is down but coming back (a suspended session, or
// reconnection running), Send queues st, up to Config.MaxQueued, and
// returns nil; queued stanzas go out in order once the stream is up. With
// no session and no reconnection it returns an error matching
// ErrNotConnected.
//
// ctx bounds the wait for the write lock, for room among the
// unacknowledged stanzas, and the write itself. A ctx that has ended
// already makes Send return its error at once: nothing is written or
// queued, and the stream is untouched. If ctx ends in the middle of the
// write, part of the stanza may have gone out, so the stream is ended
// with an error that says so (and, with stream management, the stanza is
// sent again on the resumed stream); no other Send is affected.
//
// When the network fails the write, the stream ends and the error matches
// ErrNotConnected, wrapping the cause. Without stream management the
// stanza may or may not have reached the server, and it is not sent
// again; with stream management Send returns nil, since the stanza is kept:
// it is sent again once the session is resumed or replaced, or reported
// to OnUnacked. Send is safe for concurrent use: stanzas go out whole, in
// the order the calls took the write lock.
func (c *Conn) Send(ctx context.Context, st stanza.Stanza) error {
	return c.submit(ctx, c.prepare(st))
}

// prepare gives st its id, runs the interceptors, and remembers an
// available presence broadcast, which a new session sends again.
func (c *Conn) prepare(st stanza.Stanza) stanza.Stanza {
	h := st.Head()
	if h.ID == "" {
		if _, isIQ := st.(*stanza.IQ); !isIQ {
			h.ID = c.newID()
		}
	}
	if p, ok := st.(*stanza.Presence); ok && p.To.IsZero() && (p.Type == stanza.Available || p.Type == stanza.Unavailable) {
		c.mu.Lock()
		if c.unavailable = p.Type == stanza.Unavailable; !c.unavailable {
			c.presence = keptPresence(p)
		}
		c.mu.Unlock()
	}
	c.intercept(st)
	return st
}

// LastPresence returns a copy of the last available presence the user
// broadcast (sent without a to), as it was before the interceptors saw
// it but without its id, and false when none was sent. A new session after a lost one sends
// it again, restoring the user's presence, unless the user's last
// broadcast was unavailable: then the new session stays unavailable.
// Directed and unavailable presence do not change what it returns.
func (c *Conn) LastPresence() (*stanza.Presence, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.presence == nil {
		return nil, false
	}
	return clonePresence(c.presence), true
}

// plainAvailable stands for a presence broadcast that carries nothing
// but its id, as the initial presence does: connections share it instead
// of each keeping a copy (an idle connection's memory, BENCHMARKS.md).
// It is never modified; what reads it clones it.
var plainAvailable = new(stanza.Presence)

// keptPresence is what the connection keeps of the broadcast p for
// LastPresence and for a new session to send again: p without its id.
func keptPresence(p *stanza.Presence) *stanza.Presence {
	if p.Common == (stanza.Common{ID: p.ID}) && p.Type == stanza.Available && p.Show == "" &&
		len(p.Statuses) == 0 && p.Priority == 0 && len(p.Extensions) == 0 {
		return plainAvailable
	}
	kept := clonePresence(p)
	kept.ID = ""
	return kept
}

func clonePresence(p *stanza.Presence) *stanza.Presence {
	cp := *p
	cp.Statuses = slices.Clone(p.Statuses)
	cp.Extensions = slices.Clone(p.Extensions)
	return &cp
}

// submit writes st on the stream in use, or queues it while the
// connection is coming back.
func (c *Conn) submit(ctx context.Context, st stanza.Stanza) error {
	if err := ctx.Err(); err != nil {
		return err // neither written nor queued
	}
	for {
		c.mu.Lock()
		s := c.s
		if s == nil || c.flushing {
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

// queueLocked queues st while the connection is down but coming back.
func (c *Conn) queueLocked(st stanza.Stanza) error {
	if (c.x == nil && c.recon == nil) || c.cfg.MaxQueued < 0 {
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
func (c *Conn) write(ctx context.Context, s *session, st stanza.Stanza) (taken bool, err error) {
	sm := s.x.sm
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
	if err := s.writeRaw(ctx, smRequest); err != nil {
		if !errors.Is(err, ErrNotConnected) {
			s.abort(err)
		}
		return
	}
	s.x.sm.requested()
}
