package csi

import (
	"context"
	"encoding/xml"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of Client State Indication (XEP-0352), also the
// namespace of the <csi/> stream feature a server offers it with.
const NS = "urn:xmpp:csi:0"

// sendTimeout bounds the sending of the state on a stream that has just
// come up, which no caller's context bounds.
const sendTimeout = 20 * time.Second

// ErrNotOffered is returned by SetState when the server did not offer
// client state indication on the stream in use: nothing was sent.
var ErrNotOffered = errors.New("csi: the server does not offer client state indication")

// State is what the client tells the server about its user: active (the
// default, and where every stream starts) or inactive.
type State uint8

const (
	// Active says the user is looking: the server sends everything at
	// once. Every stream starts active.
	Active State = iota
	// Inactive says nobody looks (the screen is off, the app in the
	// background): the server may hold back or drop what is not urgent
	// (presence updates, chat states) until the client is active again.
	Inactive
)

// String returns "active" or "inactive", the element's name.
func (s State) String() string {
	if s == Inactive {
		return "inactive"
	}
	return "active"
}

// Manager tells the server whether the client is active, on one
// connection (Smack's ClientStateIndicationManager). For returns the one
// a connection has; its zero value is not usable. All methods are safe
// for concurrent use.
type Manager struct {
	c *xmpp.Conn

	// slot orders the writes of the state: whoever holds it (a SetState,
	// the listener of a new stream, or the goroutine that listener
	// starts) tells the stream in use the state last set. It is a
	// one-slot channel, so that a SetState waits for it under its ctx.
	slot chan struct{}

	mu     sync.Mutex
	want   State // what the user set
	onWire State // what the stream in use was last told; Active on a new stream
	// ended counts the streams that ended (Disconnected, Closed): a
	// write that returns after its stream's end was reported says
	// nothing of the stream that follows (see send).
	ended   uint64
	inlined bool // the last Bind2 request carried <inactive/> (see inlineBind)
	closed  bool // Close ran: the listener starts no goroutine

	// ctx ends with Close, which waits for wg: the goroutines that tell
	// a new stream the state when a SetState held the slot.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeOnce sync.Once
	detach    func()
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's ClientStateIndicationManager, whose static methods take the
// connection), connected or not. It stays attached across streams until
// Close; For after Close attaches a new one, which starts active. For is
// safe for concurrent use.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c, slot: make(chan struct{}, 1)}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	stop, unbind := c.OnState(m.state), c.InlineBind(m.inlineBind)
	m.detach = func() { stop(); unbind() }
	return m
}

// inlineBind puts an inactive state in the Bind2 request of a new
// session (XEP-0386) where the server takes it inline: the session then
// starts inactive, and no <inactive/> follows the login. It runs on the
// goroutine that logs in.
func (m *Manager) inlineBind(offered []string) *stanza.Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inlined = m.want == Inactive && slices.Contains(offered, NS)
	if !m.inlined {
		return nil
	}
	return &stanza.Node{Name: xml.Name{Space: NS, Local: Inactive.String()}}
}

// Close detaches the Manager: the state is no longer sent on new streams
// (the server forgets it with the stream). For then attaches a new
// Manager. Close abandons a telling of a new stream that waits for a
// SetState under way, and returns once it has ended; a SetState under
// way goes on. Close is safe to call more than once, from any goroutine.
func (m *Manager) Close() {
	m.closeOnce.Do(func() {
		xmpp.Detach(m.c, m)
		m.detach()
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		m.cancel()
		m.wg.Wait()
	})
}

// State returns the state last set (Active until SetState says
// otherwise), whether or not the server was told.
func (m *Manager) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.want
}

// Offered reports whether the server offers client state indication on
// the session in use (the <csi/> stream feature); false when not
// connected.
func (m *Manager) Offered() bool {
	return m.c.Features().Has(NS, "csi")
}

// SetActive is SetState(ctx, Active).
func (m *Manager) SetActive(ctx context.Context) error { return m.SetState(ctx, Active) }

// SetInactive is SetState(ctx, Inactive).
func (m *Manager) SetInactive(ctx context.Context) error { return m.SetState(ctx, Inactive) }

// SetState sets the client's state and tells the server (<active/> or
// <inactive/>) when a stream is up and it changes what that stream was
// told. The state is kept across streams: every stream starts active
// (XEP-0352 section 4: a resumed stream too), so on each stream that
// comes up, new session or resumed, an inactive client says so again at
// once.
//
// It returns ErrNotOffered, having sent nothing, when the session's
// stream features did not offer <csi xmlns='urn:xmpp:csi:0'/>; the state
// is set all the same, for the streams to come. While the connection is
// down (before Connect too) it sets the state, sends nothing and
// returns nil: the state goes out when a stream comes up.
//
// The state is set at once; the writes go out one at a time, each
// telling the stream the state last set. ctx bounds the wait for the
// SetState under way, if any, for the write lock and the write (see
// xmpp.Conn.SendElement); when it ends first, SetState returns its error
// and the state is set all the same: the SetState under way, or else
// the next stream, tells it. SetState may be called from a listener.
func (m *Manager) SetState(ctx context.Context, s State) error {
	m.mu.Lock()
	m.want = s
	m.mu.Unlock()
	select {
	case m.slot <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-m.slot }()
	return m.sync(ctx)
}

// sync tells the stream in use the state last set, until what it was
// told is that; the caller holds the slot.
func (m *Manager) sync(ctx context.Context) error {
	for {
		m.mu.Lock()
		s, same := m.want, m.want == m.onWire
		m.mu.Unlock()
		if !m.c.IsConnected() || same {
			return nil
		}
		if !m.Offered() {
			return ErrNotOffered
		}
		sent, err := m.send(ctx, s)
		if err != nil || !sent {
			return err
		}
	}
}

// send writes s and reports whether it went out; the caller holds the
// slot.
func (m *Manager) send(ctx context.Context, s State) (bool, error) {
	m.mu.Lock()
	ended := m.ended
	m.mu.Unlock()
	err := m.c.SendElement(ctx, stanza.Node{Name: xml.Name{Space: NS, Local: s.String()}})
	if afterSend != nil {
		afterSend()
	}
	if errors.Is(err, xmpp.ErrNotConnected) {
		return false, nil // the next stream is told
	}
	if err != nil {
		return false, err
	}
	m.mu.Lock()
	// A stream that ended while the write was under way has been
	// forgotten (onWire is Active again): what went out on it, or on the
	// next if the write waited for it, is not what the next was told.
	// At worst the next stream hears the state twice.
	if m.ended == ended {
		m.onWire = s
	}
	m.mu.Unlock()
	return true, nil
}

// afterSend, when set (tests), runs as send's write returns.
var afterSend func()

// state follows the streams: one that ends takes the server's memory of
// the state with it; on one that comes up, an inactive client says so.
// That write goes out on the dispatcher when the slot is free, as the
// stream's first writes do; when a SetState holds it (its write may be
// stuck, or its ctx long), a goroutine that Close ends waits for it, so
// that the listeners behind this one are not held up.
func (m *Manager) state(e xmpp.StateChange) {
	switch e.State {
	case xmpp.StateDisconnected, xmpp.StateClosed:
		m.mu.Lock()
		m.onWire = Active
		m.ended++
		m.mu.Unlock()
	case xmpp.StateAuthenticated, xmpp.StateResumed:
		bound := e.State == xmpp.StateAuthenticated && m.c.Features().BoundInline(NS)
		m.mu.Lock()
		if bound && m.inlined {
			m.onWire = Inactive // Bind2 carried it
		}
		tell := m.want == Inactive && m.onWire != Inactive
		m.mu.Unlock()
		if !tell || !m.Offered() {
			return
		}
		select {
		case m.slot <- struct{}{}:
			defer func() { <-m.slot }()
			ctx, cancel := context.WithTimeout(m.ctx, sendTimeout)
			defer cancel()
			_ = m.sync(ctx) // a failed write ends the stream; the next one tries again
			return
		default:
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.closed {
			return
		}
		m.wg.Go(func() {
			ctx, cancel := context.WithTimeout(m.ctx, sendTimeout)
			defer cancel()
			select {
			case m.slot <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-m.slot }()
			_ = m.sync(ctx)
		})
	}
}
