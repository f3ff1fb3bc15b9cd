package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// State is where a connection stands (Smack's ConnectionListener events).
type State uint8

const (
	// StateConnected: the socket is open and the stream secured as the
	// configuration requires; login follows (Smack's connected).
	StateConnected State = iota + 1
	// StateAuthenticated: logged in and bound; stanzas flow (Smack's
	// authenticated).
	StateAuthenticated
	// StateClosed: the session ended. StateChange.Err is nil after Close
	// and says why otherwise (Smack's connectionClosedOnError). What the
	// server kept for the session (presence, room occupancy) is gone; a
	// later StateAuthenticated is a new session to restore.
	StateClosed
	// StateDisconnected: the stream was lost (StateChange.Err says why)
	// but the session is suspended, not ended: stream management will
	// resume it. Listeners keep their state; timers should pause.
	StateDisconnected
	// StateResumed: a suspended session was resumed on a new stream
	// (XEP-0198): nothing was lost, nothing needs restoring (Smack's
	// authenticated with resumed=true).
	StateResumed
)

// String returns the state's name, as used in logs.
func (s State) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateAuthenticated:
		return "authenticated"
	case StateClosed:
		return "closed"
	case StateDisconnected:
		return "disconnected"
	case StateResumed:
		return "resumed"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// StateChange is what a state listener receives.
type StateChange struct {
	// State is the state the connection entered.
	State State
	JID   jid.JID // StateAuthenticated, StateResumed: the bound full JID
	Err   error   // StateClosed, StateDisconnected: why, or nil after Close
}

// IQHandler answers IQ requests of one type and payload (Smack's
// IQRequestHandler). It returns the payload of the result (nil for an empty
// result) or an error: a *stanza.Error is sent back as it is, any other
// error as internal-server-error. ctx ends when the session does. The
// request is shared with any Collector that wants it: read it, keep it,
// but Clone it before changing it.
type IQHandler interface {
	HandleIQ(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error)
}

// IQHandlerFunc adapts a function to IQHandler.
type IQHandlerFunc func(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error)

// HandleIQ calls f.
func (f IQHandlerFunc) HandleIQ(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error) {
	return f(ctx, iq)
}

// mustListen panics when a registration is given no func: a programmer
// error, found at once rather than when the first event comes.
func mustListen(method string, isNil bool) {
	if isNil {
		panic("xmpp: " + method + " with a nil listener")
	}
}

// iqKey routes IQ requests.
type iqKey struct {
	typ     stanza.IQType
	payload xml.Name
}

type messageListener struct {
	f stanza.Filter
	h func(*stanza.Message)
}

type presenceListener struct {
	f stanza.Filter
	h func(*stanza.Presence)
}

// registry holds what users registered. Readers take a snapshot without
// locking; writers copy (registration is rare, delivery is not).
type registry struct {
	messages  listeners.List[messageListener]
	presences listeners.List[presenceListener]
	states    listeners.List[func(StateChange)]
	acked     listeners.List[func(stanza.Stanza)]
	unacked   listeners.List[func(Unacked)]
	reconnect listeners.List[func(ReconnectEvent)]
	collect   listeners.List[*Collector]
	intercept listeners.List[func(stanza.Stanza)]
	announce  listeners.List[func()]

	// mu serializes writers of iqs and guards attached. It is a leaf in
	// the lock order (see Conn.mu): Attach lets go of it before it calls
	// the attach func.
	mu       sync.Mutex
	iqs      atomic.Pointer[map[iqKey]IQHandler]
	attached map[any]*attachment // by a nil *M for each manager type M
}

// HandleMessage registers h for received messages that f wants (nil f:
// all), Smack's addStanzaListener with a message filter. Listeners run on
// the dispatcher goroutine in the order they were registered, one stanza
// at a time, in the order stanzas arrived. The returned func removes the
// listener; it is safe to call more than once. A nil h panics.
//
// The listener shares the message with the other listeners and any
// Collector: it may read it and keep it, but must not change it (Clone
// it first).
func (c *Conn) HandleMessage(f stanza.Filter, h func(*stanza.Message)) (remove func()) {
	mustListen("HandleMessage", h == nil)
	return c.reg.messages.Add(messageListener{f, h})
}

// HandlePresence registers h for received presences that f wants, as
// HandleMessage does for messages, and shares them as it does: read
// them, keep them, but Clone one before changing it.
func (c *Conn) HandlePresence(f stanza.Filter, h func(*stanza.Presence)) (remove func()) {
	mustListen("HandlePresence", h == nil)
	return c.reg.presences.Add(presenceListener{f, h})
}

// OnState registers h for the connection's state changes (Smack's
// ConnectionListener). h runs on the dispatcher, after the stanzas
// received before the change. The returned func removes it; it is safe
// to call more than once. A nil h panics.
func (c *Conn) OnState(h func(StateChange)) (remove func()) {
	mustListen("OnState", h == nil)
	return c.reg.states.Add(h)
}

// HandleIQ registers h for IQ requests of type typ (stanza.Get or
// stanza.Set) whose payload has the given name (Smack's
// registerIQRequestHandler). The connection sends h's answer back to the
// requester. A request that no handler takes is answered
// service-unavailable (RFC 6120 section 8.4). h runs on the dispatcher,
// like the listeners.
//
// Registering a second handler for the same type and payload panics: two
// managers would answer the same request. The returned func removes the
// handler; it is safe to call more than once. A nil h panics.
func (c *Conn) HandleIQ(typ stanza.IQType, payload xml.Name, h IQHandler) (remove func()) {
	mustListen("HandleIQ", h == nil)
	if typ != stanza.Get && typ != stanza.Set {
		panic("xmpp: HandleIQ: type must be get or set, not " + string(typ))
	}
	k := iqKey{typ, payload}
	c.reg.mu.Lock()
	defer c.reg.mu.Unlock()
	old := c.reg.iqs.Load()
	if old != nil && (*old)[k] != nil {
		panic(fmt.Sprintf("xmpp: HandleIQ: a handler for %s {%s}%s is already registered", typ, payload.Space, payload.Local))
	}
	m := make(map[iqKey]IQHandler)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[k] = h
	c.reg.iqs.Store(&m)
	var once sync.Once
	return func() {
		once.Do(func() {
			c.reg.mu.Lock()
			defer c.reg.mu.Unlock()
			m := make(map[iqKey]IQHandler)
			for k2, v := range *c.reg.iqs.Load() {
				if k2 != k {
					m[k2] = v
				}
			}
			c.reg.iqs.Store(&m)
		})
	}
}

func (r *registry) iqHandler(k iqKey) IQHandler {
	if m := r.iqs.Load(); m != nil {
		return (*m)[k]
	}
	return nil
}

// Collector gathers received stanzas that a filter wants, for a caller
// that waits for one (Smack's StanzaCollector). The reader feeds it
// directly, so a listener may wait on a Collector without deadlocking.
// When the buffer is full the oldest stanza is dropped, as in Smack.
type Collector struct {
	c  *Conn
	f  stanza.Filter
	ch chan stanza.Stanza

	remove func()
}

// Collect starts collecting the stanzas f wants (nil f: all), keeping up
// to size of them (at least 1). Create the Collector before sending what
// the awaited stanza answers, and Close it when done.
func (c *Conn) Collect(f stanza.Filter, size int) *Collector {
	col := &Collector{c: c, f: f, ch: make(chan stanza.Stanza, max(size, 1))}
	col.remove = c.reg.collect.Add(col)
	return col
}

// Next returns the next stanza collected, waiting until one arrives, ctx
// ends, or the session ends. A stanza collected already is returned
// first, whatever ctx says, so Next with an ended context polls. The
// stanza is shared with the listeners and the other collectors: read it,
// keep it, but Clone it before changing it.
func (col *Collector) Next(ctx context.Context) (stanza.Stanza, error) {
	select {
	case st := <-col.ch:
		return st, nil
	default:
	}
	done := col.c.lost()
	select {
	case st := <-col.ch:
		return st, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-done:
		select {
		case st := <-col.ch:
			return st, nil
		default:
		}
		return nil, col.c.notConnected()
	}
}

// Close stops collecting. It is safe to call more than once.
func (col *Collector) Close() { col.remove() }

// offer gives st to the collector without blocking.
func (col *Collector) offer(st stanza.Stanza) {
	if !col.f.Match(st) {
		return
	}
	for {
		select {
		case col.ch <- st:
			return
		default:
		}
		select { // full: drop the oldest
		case <-col.ch:
		default:
		}
	}
}
