package xmpp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

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
// All methods are safe for concurrent use.
type Conn struct {
	cfg   Config
	rand  io.Reader
	salts *sasl.SaltCache

	mu      sync.Mutex
	s       *session // the stream in use; nil when not connected
	busy    bool     // a Connect is under way
	lastErr error    // why the last stream ended; nil after a clean Close

	reg       registry
	pending   pending
	dispatch  dispatcher
	announced announced
}

// session is what one socket carries: the stream, what negotiation
// learned, and how it ends.
type session struct {
	*stream
	jid      jid.JID // the full JID the server bound
	features Features

	ctx    context.Context // ends with the session: IQ handlers get it
	cancel context.CancelFunc

	closing   chan struct{} // closed when Close starts
	closeOnce sync.Once
	done      chan struct{} // closed when the reader has ended
	err       error         // why it ended; set before done closes
	early     []stanza.Stanza

	abortOnce sync.Once
	abortErr  error // why Abort ended it; read after abortOnce.Do
}

// New returns a connection with the given configuration, not yet
// connected. Register listeners and attach managers, then call Connect.
// New copies cfg; changing cfg afterwards changes nothing.
func New(cfg Config) *Conn {
	c := &Conn{cfg: cfg, rand: cfg.Rand}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	c.salts = new(sasl.SaltCache)
	if cfg.SASL != nil && cfg.SASL.Cache != nil {
		c.salts = cfg.SASL.Cache
	}
	c.dispatch.c = c
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

// JID returns the full JID the server bound for this session, or the zero
// JID when not connected.
func (c *Conn) JID() jid.JID {
	if s := c.current(); s != nil {
		return s.jid
	}
	return jid.JID{}
}

// Features returns the stream features the server announced after login
// (stream management, roster versioning...), or the zero Features when
// not connected.
func (c *Conn) Features() Features {
	if s := c.current(); s != nil {
		return s.features
	}
	return Features{}
}

// IsConnected reports whether a stream is up and logged in.
func (c *Conn) IsConnected() bool { return c.current() != nil }

// Done returns a channel that is closed when the current stream ends, or
// a closed channel when there is none. After it closes, Err says why.
func (c *Conn) Done() <-chan struct{} {
	if s := c.current(); s != nil {
		return s.done
	}
	return closedChan
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
// SASL mechanism both sides support, binds a resource, and sends initial
// presence unless the configuration says not to. A see-other-host stream
// error during negotiation is followed once.
//
// Negotiation runs on the caller's goroutine; ctx bounds all of it (its
// deadline and its cancellation abort the network operations), and once
// Connect returns, ctx no longer matters. On success the reader goroutine
// runs until the stream ends. Connect on a connected Conn returns
// ErrConnected; Connect after the stream ended connects again, keeping
// every registration.
func (c *Conn) Connect(ctx context.Context) error {
	c.mu.Lock()
	if c.s != nil || c.busy {
		c.mu.Unlock()
		return ErrConnected
	}
	c.busy = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.busy = false
		c.mu.Unlock()
	}()
	if c.cfg.JID.IsZero() {
		return errors.New("xmpp: Config.JID is not set")
	}
	s, err := c.negotiate(ctx)
	if err != nil {
		return err
	}
	c.start(s)
	if !c.cfg.NoInitialPresence {
		if err := c.Send(ctx, &stanza.Presence{}); err != nil {
			c.Close()
			return fmt.Errorf("xmpp: initial presence: %w", err)
		}
	}
	return nil
}

// start makes s the connection's stream and starts its reader.
func (c *Conn) start(s *session) {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.closing = make(chan struct{})
	s.done = make(chan struct{})
	c.mu.Lock()
	c.s = s
	c.lastErr = nil
	c.mu.Unlock()
	c.dispatch.event(StateChange{State: StateAuthenticated, JID: s.jid})
	for _, st := range s.early {
		c.dispatch.push(s, st)
	}
	s.early = nil
	go c.read(s)
}

// end tears s down once its reader has stopped: err says why (nil after
// Close). Every SendIQ waiting on s fails with it.
func (c *Conn) end(s *session, err error) {
	s.conn.Close()
	s.cancel()
	c.mu.Lock()
	if c.s == s {
		c.s = nil
		c.lastErr = err
	}
	c.mu.Unlock()
	s.err = err
	close(s.done)
	c.dispatch.event(StateChange{State: StateClosed, Err: err})
}

// Close ends the session cleanly: it sends unavailable presence and the
// stream's end, waits up to Config.CloseTimeout for the server to close
// its side, closes the socket and waits for the reader goroutine to exit.
// SendIQ calls still waiting fail. Registrations stay on the Conn. Close on
// a connection that is not connected does nothing and returns nil; it is
// safe to call twice and from a listener.
func (c *Conn) Close() error {
	s := c.current()
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.closeTimeout())
		defer cancel()
		// Unavailable presence first: RFC 6121 section 4.6.1 lets the
		// server broadcast it; a closed stream implies it anyway.
		_ = c.sendOn(ctx, s, &stanza.Presence{Type: stanza.Unavailable})
		close(s.closing)
		if err := s.writeRaw(ctx, "</stream:stream>"); err == nil {
			select {
			case <-s.done:
			case <-ctx.Done():
			}
		}
		s.conn.Close()
		<-s.done
	})
	<-s.done
	return nil
}

// newID returns a stanza id that is unique and cannot be guessed: 12
// random bytes, base64url (96 bits: no collision among a connection's
// lifetime of ids, and another entity cannot predict the next one to
// forge a reply).
func (c *Conn) newID() string {
	var b [12]byte
	if _, err := io.ReadFull(c.rand, b[:]); err != nil {
		panic("xmpp: reading random bytes: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Send writes st to the server. A Message or Presence without an id gets
// a fresh one, written into st. Send returns once the stanza is handed to
// the socket (the server's acceptance is not confirmed: stream management,
// a later issue, does that).
//
// ctx bounds the wait for the write lock and the write itself; if it ends
// mid-write, part of the stanza may have gone out, so the stream is closed
// and the error returned. Send is safe for concurrent use: stanzas go out
// whole, in the order the calls took the write lock.
func (c *Conn) Send(ctx context.Context, st stanza.Stanza) error {
	s := c.current()
	if s == nil {
		return c.notConnected()
	}
	return c.sendOn(ctx, s, st)
}

func (c *Conn) sendOn(ctx context.Context, s *session, st stanza.Stanza) error {
	h := st.Head()
	if h.ID == "" {
		if _, isIQ := st.(*stanza.IQ); !isIQ {
			h.ID = c.newID()
		}
	}
	c.intercept(st)
	written, err := s.send(ctx, s.done, st)
	if err != nil {
		if written {
			// Part of an element may be on the wire: the stream cannot
			// go on. The reader sees the socket close and ends s.
			s.conn.Close()
		}
		if errors.Is(err, ErrNotConnected) {
			return c.notConnected()
		}
		return err
	}
	return nil
}

// isNetClosed reports errors that only say the socket was closed.
func isNetClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF)
}
