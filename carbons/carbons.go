package carbons

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"slices"
	"sync"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Carbons enables message carbons on one connection and reports the
// copies the account's server sends (Smack's CarbonManager). Get the
// connection's one Carbons with For; its zero value is not usable. All
// methods are safe for concurrent use.
type Carbons struct {
	c   *xmpp.Conn
	log *slog.Logger // nil: nothing is logged

	ctx    context.Context // ends at Close: bounds the enable in flight
	cancel context.CancelFunc

	listeners listeners.List[func(Carbon)]
	detach    []func()

	mu        sync.Mutex
	enabled   bool // the setting
	inSession bool // a session is up and its start was handled
	requested bool // what was last asked of the server in this session
	active    bool // what the server last confirmed in this session
	closed    bool

	// last is the carbon last parsed, so that a message read by several
	// (the Carbons, package chat) is decoded once.
	last     *stanza.Message
	lastCb   Carbon
	lastErr  error
	lastSelf jid.JID
}

// For returns the Carbons attached to c, attaching it the first time
// (Smack's CarbonManager.getInstanceFor). From then on, carbons are
// enabled at the start of every session (SetEnabled(false) stops that),
// and the copies the server sends are reported to the OnCarbon
// listeners. Attached to a connection that is logged in already, it
// enables carbons at once (from the dispatcher, after what is queued
// there). Attach it before Connect so that no copy is missed. After
// Close, For attaches a fresh one. For is safe for concurrent use.
func For(c *xmpp.Conn) *Carbons { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Carbons {
	m := &Carbons{c: c, log: c.Config().Logger, enabled: true}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.detach = []func(){
		c.HandleMessage(isCarbon, m.receive),
		c.OnState(m.state),
		c.InlineBind(m.inline),
	}
	if c.IsConnected() {
		// The login's StateAuthenticated may still wait on the
		// dispatcher (state then hears it first) or be gone.
		c.Dispatch(func() {
			m.mu.Lock()
			start := !m.inSession && c.IsConnected()
			m.mu.Unlock()
			if start {
				m.state(xmpp.StateChange{State: xmpp.StateAuthenticated, JID: c.JID()})
			}
		})
	}
	return m
}

// SetEnabled turns carbons on or off for this client; they are on unless
// SetEnabled(false) was called. It takes effect at once when a session
// is up (the Carbons asks the server on the dispatcher, after what is
// queued there, and Active reports the answer) and at the start of every
// later session. A resumed session (XEP-0198) keeps what the server had:
// nothing is asked again. Off, no request is sent at the start of a
// session, and the server's default (off) holds. SetEnabled never
// blocks.
func (m *Carbons) SetEnabled(on bool) {
	m.mu.Lock()
	m.enabled = on
	m.mu.Unlock()
	m.c.Dispatch(m.sync)
}

// Enabled reports the setting SetEnabled last made: true by default.
func (m *Carbons) Enabled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.enabled
}

// Active reports whether the server confirmed, in the current session,
// that it sends this client carbons: false before that answer, after
// an error answer (a server without carbons says so), after a confirmed
// SetEnabled(false), and between sessions.
func (m *Carbons) Active() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active
}

// OnCarbon registers f for the carbons the account accepts (Smack's
// addCarbonCopyReceivedListener): copies of the messages the account's
// other clients sent and received, whose carrier came from the account's
// bare JID. Refused ones never reach f. f runs on the connection's
// dispatcher, in wire order with the connection's other listeners, in the
// order the OnCarbon listeners were registered; it may send and wait for
// IQ replies, but the connection's other listeners wait meanwhile. The
// returned func removes exactly this registration; it is safe to call
// more than once. A nil f panics.
func (m *Carbons) OnCarbon(f func(Carbon)) (remove func()) {
	if f == nil {
		panic("carbons: OnCarbon with a nil listener")
	}
	return m.listeners.Add(f)
}

// Close detaches the Carbons from its connection: carbons are no longer
// reported to its listeners, nor enabled at the next session; For then
// attaches a fresh Carbons. The server's state is left as it is: call
// SetEnabled(false) first to turn carbons off on the server. A listener
// running at that moment finishes. Close is safe to call more than once,
// from any goroutine, listeners included.
func (m *Carbons) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.last, m.lastCb, m.lastErr = nil, Carbon{}, nil
	m.mu.Unlock()
	xmpp.Detach(m.c, m)
	m.listeners.Clear()
	for _, f := range m.detach {
		f()
	}
	m.cancel()
}

// inline asks for carbons in the Bind2 request of a new session (XEP-0386)
// when the server enables them there and the setting says so: the
// session then starts with them, and no request follows the login.
func (m *Carbons) inline(offered []string) *stanza.Node {
	m.mu.Lock()
	want := m.enabled && !m.closed
	m.mu.Unlock()
	if !want || !slices.Contains(offered, NS) {
		return nil
	}
	return &stanza.Node{Name: xml.Name{Space: NS, Local: "enable"}}
}

// state follows the sessions: a new one asks the server for carbons as
// the setting says, unless Bind2 enabled them already; a resumed one
// keeps them; a closed one has none.
func (m *Carbons) state(sc xmpp.StateChange) {
	bound := sc.State == xmpp.StateAuthenticated && m.c.Features().BoundInline(NS)
	m.mu.Lock()
	switch sc.State {
	case xmpp.StateAuthenticated:
		m.inSession, m.requested, m.active = true, bound, bound
	case xmpp.StateClosed:
		m.inSession, m.requested, m.active = false, false, false
		m.mu.Unlock()
		return
	default:
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	m.sync()
}

// sync asks the server for what the setting says, when the session's
// last request said otherwise. It runs on the dispatcher, so that it is
// ordered with the session's start. It does not wait for the answer: the
// reader applies it as it comes.
func (m *Carbons) sync() {
	m.mu.Lock()
	want := m.enabled
	if m.closed || !m.inSession || m.requested == want {
		m.mu.Unlock()
		return
	}
	m.requested = want
	m.mu.Unlock()
	local := "disable"
	if want {
		local = "enable"
	}
	iq := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{Name: xml.Name{Space: NS, Local: local}}}
	err := m.c.SendIQFunc(m.ctx, iq, func(_ *stanza.IQ, err error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		switch {
		case err == nil:
			m.active = want
		case want:
			m.active = false
		}
		if err != nil {
			m.logf("the server refused", "request", local, "error", err)
		}
	})
	if err != nil {
		// Not sent: the session ended meanwhile; the next one asks again.
		m.logf("not sent", "request", local, "error", err)
	}
}

// receive reports an accepted carbon to the listeners, and logs a
// refused one.
func (m *Carbons) receive(msg *stanza.Message) {
	cb, err := m.parse(msg)
	if err != nil {
		if !errors.Is(err, errNotCarbon) {
			m.logf("dropped a carbon", "from", msg.From.String(), "error", err)
		}
		return
	}
	for f := range m.listeners.All() {
		f(cb)
	}
}

// parse is parse for the connection's account, remembering the last
// message it read.
func (m *Carbons) parse(msg *stanza.Message) (Carbon, error) {
	self := account(m.c)
	m.mu.Lock()
	if m.last == msg && m.lastSelf == self {
		cb, err := m.lastCb, m.lastErr
		m.mu.Unlock()
		return cb, err
	}
	m.mu.Unlock()
	cb, err := parse(self, msg)
	m.mu.Lock()
	if !m.closed {
		m.last, m.lastCb, m.lastErr, m.lastSelf = msg, cb, err, self
	}
	m.mu.Unlock()
	return cb, err
}

// logf logs at info level what the Carbons refused or could not do.
func (m *Carbons) logf(msg string, args ...any) {
	if m.log != nil {
		m.log.Info("carbons: "+msg, args...)
	}
}
