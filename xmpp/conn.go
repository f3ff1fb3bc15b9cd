package xmpp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"sync"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
)

// This file holds the Conn itself: its fields, its states and its locks,
// and what reads them. The Conn's life is in session.go (Connect, the
// login's outcome, the end of a stream, Close), the send path in send.go
// (Send, the queue while down, the flush when a stream comes up), the
// memory of the user's presence in presence.go.

// Conn is a client connection to an XMPP server (Smack's
// XMPPTCPConnection). It outlives any one socket: listeners, IQ handlers
// and the managers built on them are registered on the Conn, before or
// after Connect, and stay registered when the stream ends, so that the
// next Connect, or automatic reconnection, finds them in place.
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

	// mu guards the fields up to reg. It is held only for short stretches
	// that neither block nor run user code.
	//
	// Lock order. Where one lock is taken while another is held, it is
	// in this order, never the reverse:
	//
	//	Conn.mu → smState.mu (Conn.end weighs whether to suspend the session)
	//	the write lock (stream.wsem) → stream.cutMu, smState.mu,
	//	    watchdog.mu, recorder.mu
	//
	// stream.cutMu, which also guards the queue of Sends waiting for the
	// write lock, takes no lock while held; a queued sender takes it with
	// no lock held. Whoever holds the write lock for a Send writes the
	// queued stanzas with its own, and each queued sender hears from it
	// through a one-slot channel of its own, which never blocks the
	// holder.
	//
	// Every other lock is a leaf, taken with none of these held and
	// taking none while held: dispatcher.mu, pending.mu, registry.mu and
	// the locks of its listener lists, announced.mu, recentMessages.mu.
	// Conn.mu and the write lock are never held together: a writer reads
	// the stream in use under mu, lets go, and only then waits for the
	// write lock. A session's lostOnce runs lose, which takes smState.mu,
	// Conn.mu and dispatcher.mu one after the other; it is never entered
	// with a lock held.
	//
	// No lock is held while user code runs (listeners, IQ handlers,
	// interceptors, Attach's attach funcs, OnAnnounce listeners, the
	// Dialer and Resolver), except the debugging hooks: what is sent is
	// recorded under the write lock, before its bytes go out, so
	// Config.Logger's handler runs under it, and Config.Recorder's Write
	// under it and recorder.mu. They must not call the Conn.
	//
	// The fields are laid out so that the small ones share a word: an
	// idle connection's size is a feature (BENCHMARKS.md, TestConnSize).
	mu sync.Mutex
	// stream is the stream in use, nil when state is noStream.
	stream *stream
	// sess is the session: nil when there is none, set while its stream
	// is up and while it is suspended, waiting to be resumed.
	sess     *session
	lastErr  error         // why the last stream ended; nil after a clean Close
	down     chan struct{} // Done: closed when the Conn is down and not coming back
	recon    *reconnector  // automatic reconnection under way, or nil
	outbox   []stanza.Stanza
	presence *stanza.Presence // the last available presence broadcast (presence.go)
	// gen counts Close calls: a stream negotiated before one is not used
	// (compared for equality only: wrapping is harmless).
	gen       generation
	state     streamState
	broadcast broadcastState // what the last presence broadcast said (presence.go)
	offer     saslOffer      // the server's SASL offer at the last login (negotiate.go)
	// connecting is the Connect under way, nil when none is: Close
	// stops it and waits for it to return.
	connecting *attempt

	reg       registry
	pending   pending
	dispatch  dispatcher
	announced announced
	recent    *recentMessages
}

// streamState is where the Conn's stream stands, under Conn.mu. With
// the session (Conn.sess) and the reconnector (Conn.recon) it makes the
// Conn's state:
//
//	state           sess  recon  the Conn                             Send
//	noStream        nil   nil    not connected, or Connect under way  fails: ErrNotConnected
//	noStream        set   nil    suspended; the next Connect resumes  queues
//	noStream        any   set    reconnecting                         queues
//	streamFlushing  set   any    a stream came up; writing the queue  queues
//	streamUp        set   nil    connected                            writes
//
// The transitions, each under Conn.mu:
//
//	noStream → streamFlushing   connect puts a negotiated stream in use,
//	                            with the session it resumed or began
//	streamFlushing → streamUp   up has written what comes first and the
//	                            queue is empty; the reconnection is over
//	either → noStream           end: the stream's reader stopped; the
//	                            session is suspended or lost, and
//	                            reconnection may start
//
// Conn.stream is nil exactly when the state is noStream. The session is
// lost (sess set to nil) by lose, giveUp and Close; a Connect that
// fails leaves a suspended session for the next one.
type streamState uint8

const (
	// noStream: no stream is in use.
	noStream streamState = iota
	// streamFlushing: a stream is in use, and up is writing on it what
	// must go first (the stanzas a resumed session had not seen
	// acknowledged, or the initial presence of a new one), then what was
	// queued meanwhile. Send queues behind it, so that nothing overtakes.
	streamFlushing
	// streamUp: Send writes on the stream.
	streamUp
)

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
	if sess := c.session(); sess != nil {
		return sess.jid
	}
	return jid.JID{}
}

// Features returns the stream features the server announced after login
// (stream management, roster versioning...), or the zero Features when
// there is no session.
func (c *Conn) Features() Features {
	if sess := c.session(); sess != nil {
		return sess.features
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

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Err returns nil while connected or after Close; otherwise the error that
// ended the last stream (a *stanza.StreamError from the server,
// ErrServerClosed, a network error...).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stream != nil {
		return nil
	}
	return c.lastErr
}

// current returns the stream in use, or nil.
func (c *Conn) current() *stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stream
}

// session returns the session, up or suspended, or nil.
func (c *Conn) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// lost returns a channel closed when the current session ends (closed
// already when there is none).
func (c *Conn) lost() <-chan struct{} {
	if sess := c.session(); sess != nil {
		return sess.lost()
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
