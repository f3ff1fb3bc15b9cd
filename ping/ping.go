package ping

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of XMPP Ping (XEP-0199), the feature a Pinger
// announces.
const NS = "urn:xmpp:ping"

// pingName is the name of the ping payload, <ping xmlns='urn:xmpp:ping'/>.
var pingName = xml.Name{Space: NS, Local: "ping"}

// Failure is what OnFailure listeners hear: a periodic ping to the server
// got no reply before the next one was due (Smack's
// PingFailedListener.pingFailed). The stream may still be up; ending a
// dead one is the connection's work (xmpp.Config.KeepAlive), not the
// Pinger's. The Pinger fills every field; the zero Failure is never
// reported.
type Failure struct {
	// Server is the address pinged: the account's domain.
	Server jid.JID
	// Err says what went wrong; it matches context.DeadlineExceeded.
	Err error
}

// Pinger answers pings on one connection, pings other entities, and, with
// an interval set, pings the connection's server periodically and reports
// the pings that get no reply (Smack's PingManager). For returns the one a
// connection has; its zero value is not usable. Its methods are safe for
// concurrent use.
type Pinger struct {
	c      *xmpp.Conn
	detach []func() // the IQ handler, the announced feature, the state listener

	failed listeners.List[func(Failure)]

	wg        sync.WaitGroup // a periodic ping under way
	closeOnce sync.Once

	mu       sync.Mutex
	closed   bool
	interval time.Duration
	armed    bool        // the periodic pings run for the current stream
	gen      uint64      // changes when they are disarmed: a tick of an older arming is stale
	timer    *time.Timer // the next ping, while armed
	abandon  func()      // cancels the periodic ping under way, if any
}

// answer is the IQ handler: a ping gets an empty result (XEP-0199).
var answer = xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) {
	return nil, nil
})

// For returns the Pinger attached to c, attaching one the first time
// (Smack's PingManager.getInstanceFor), connected or not. From then on c
// answers every ping (an IQ get with <ping xmlns='urn:xmpp:ping'/>, from
// the server or anyone else) with an empty result and announces
// "urn:xmpp:ping" for service discovery. Periodic pings are off until
// SetInterval. The Pinger stays attached across streams, as the Conn's
// registrations do, until Close; For after Close attaches a new one.
//
// For panics when c has a handler for ping requests registered by other
// means (HandleIQ), since two handlers would answer the same request. It
// is safe for concurrent use.
func For(c *xmpp.Conn) *Pinger {
	return xmpp.Attach(c, attach)
}

func attach(c *xmpp.Conn) *Pinger {
	p := &Pinger{c: c}
	p.detach = append(p.detach, handle(c))
	p.detach = append(p.detach, c.Announce(NS))
	p.detach = append(p.detach, c.OnState(p.onState))
	return p
}

// handle registers the answer, turning the connection's panic on a second
// handler into one that says what happened.
func handle(c *xmpp.Conn) (remove func()) {
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("ping: For: the connection answers pings already, without the Pinger: %v", r))
		}
	}()
	return c.HandleIQ(stanza.Get, pingName, answer)
}

// Close detaches p from its connection: the connection stops answering
// pings (it answers service-unavailable, as for any request nobody
// handles), no longer announces the feature, and the periodic pings stop,
// the one under way, if any, abandoned; the OnFailure listeners hear
// nothing more. It does not close the connection. Close returns once no
// goroutine of p runs; it is safe to call more than once and from any
// goroutine, listeners included. Ping still works after Close: it only
// sends.
func (p *Pinger) Close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.disarmLocked()
		p.mu.Unlock()
		p.failed.Clear()
		xmpp.Detach(p.c, p)
		for _, f := range p.detach {
			f()
		}
		p.wg.Wait()
	})
}

// Ping pings to and returns the round-trip time: from sending the request
// to receiving the reply. A zero to, or the domain, pings the account's
// server; a bare JID is answered by the server on that account's behalf
// (XEP-0199 section 4.5); a full JID reaches that client.
//
// The error is nil for a result. For an error reply it wraps the
// *stanza.Error (errors.As finds it), and the round-trip time is returned
// too; Reachable says whether such a reply still shows that the entity
// answered. When ctx's deadline passes first the error matches
// context.DeadlineExceeded; when ctx is cancelled it matches
// context.Canceled; when the session ends first it matches
// xmpp.ErrNotConnected. In those cases the duration is 0.
//
// Only a reply from to (or, for the account's server and bare JID, from
// the server) counts: a result with the right id from anybody else is
// ignored. Ping has no timeout of its own: ctx bounds it, and without a
// deadline it waits until the reply comes or the session ends. A reply
// that comes after Ping returned is dropped. Ping may be called from
// listeners and IQ handlers, and concurrently.
func (p *Pinger) Ping(ctx context.Context, to jid.JID) (time.Duration, error) {
	if to.IsZero() {
		to = p.c.JID().Domain() // zero when not connected: SendIQ says so
	}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
	iq.To = to
	start := time.Now()
	_, err := p.c.SendIQ(ctx, iq)
	rtt := time.Since(start)
	if err == nil {
		return rtt, nil
	}
	var se *stanza.Error
	if errors.As(err, &se) {
		return rtt, fmt.Errorf("ping: %s: %w", describe(to), err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return 0, fmt.Errorf("ping: no reply from %s: %w", describe(to), err)
	}
	return 0, fmt.Errorf("ping: %s: %w", describe(to), err)
}

func describe(to jid.JID) string {
	if to.IsZero() {
		return "the server"
	}
	return to.String()
}

// Reachable reports whether err, from Ping, still shows that the pinged
// entity, or a server on its behalf, answered: it is nil, or wraps a
// stanza error that says something at that address took the ping. An
// entity that answers service-unavailable or feature-not-implemented does
// not speak XEP-0199 (section 4), but it is there; so is one that answers
// bad-request, not-acceptable, not-authorized, resource-constraint and the
// like, or internal-server-error.
//
// The conditions that say nothing is there to answer, or that the ping
// was not delivered, count as misses (RFC 6120 section 8.3.3):
// item-not-found (the addressed JID cannot be found: what a server
// answers for a domain it cannot route to, or a MUC service for a room
// that does not exist), gone, redirect and recipient-unavailable (the
// entity is no longer, or not now, at that address), jid-malformed,
// remote-server-not-found and remote-server-timeout; and forbidden and
// not-allowed, which servers send when they refuse to route the ping
// (Prosody answers not-allowed and ejabberd forbidden, from the pinged
// address, when server-to-server is off). A server stamps the errors it
// sends for a JID it cannot reach with that JID, so the condition
// decides, not who sent it: an entity that answers forbidden or
// not-allowed itself counts as a miss too. No reply before the context's
// deadline, a cancelled context and a session that ended are not
// reachable either. Where the distinction matters, look at the condition
// with errors.As: XEP-0410's MUC self-ping, for one, reads not-acceptable
// as "no longer joined" and item-not-found from an occupant JID as
// "joined, under another nickname".
//
// For a full JID, mind who answered: when that resource is not online its
// server answers service-unavailable for it (RFC 6121 section 8.5.3.2.1),
// so a reachable error proves the path to the user's server, not the
// client. A bare JID is answered by the server, whether the account
// exists or not (both Prosody and ejabberd send a result).
func Reachable(err error) bool {
	if err == nil {
		return true
	}
	var se *stanza.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Condition {
	case stanza.ItemNotFound, stanza.Gone, stanza.Redirect, stanza.RecipientUnavailable, stanza.JIDMalformed,
		stanza.RemoteServerNotFound, stanza.RemoteServerTimeout, stanza.Forbidden, stanza.NotAllowed:
		return false
	}
	return true
}

// OnFailure registers f to hear that a periodic ping got no reply within
// the interval (Smack's registerPingFailedListener): see Failure. Any
// reply counts, an error reply too; a ping cut short by the session's end
// is no failure (the connection's state listeners hear about that end).
// The Pinger goes on pinging an interval after each failure.
//
// f runs on the connection's dispatcher (queued with xmpp.Conn.Dispatch
// when the wait ends), one call at a time with the other listeners, in
// the order of registration; it may call any method of p, Close
// included. A nil f panics. The returned func removes exactly this
// registration and is safe to call more than once. After Close no
// failure is reported.
func (p *Pinger) OnFailure(f func(Failure)) (remove func()) {
	if f == nil {
		panic("ping: OnFailure with a nil listener")
	}
	return p.failed.Add(f)
}

// Interval returns the interval of the periodic pings; zero, the
// default, means they are off.
func (p *Pinger) Interval() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.interval
}

// SetInterval sets the interval of the periodic pings to the server
// (Smack's setPingInterval). Zero, the default, or a negative d turns
// them off. Otherwise the Pinger pings the server d after login (or
// resumption) and d after each reply or failure; each ping waits for its
// reply until the next is due, d, and a ping without a reply by then is
// reported to the OnFailure listeners.
//
// It takes effect at once: a ping under way is abandoned (and not
// reported), and when the connection is up the next ping is d from now;
// when it is down, the pings start at the next login. SetInterval after
// Close does nothing.
func (p *Pinger) SetInterval(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.interval = max(d, 0)
	p.disarmLocked()
	// When connected, the dispatcher may or may not have delivered
	// StateAuthenticated yet: if not, arming again then does nothing.
	// When not, StateAuthenticated arms.
	if p.c.IsConnected() {
		p.armLocked()
	}
}

// onState follows the connection: the periodic pings run from login to
// the stream's end, so that they cost nothing while the connection is
// down.
func (p *Pinger) onState(sc xmpp.StateChange) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	switch sc.State {
	case xmpp.StateAuthenticated, xmpp.StateResumed:
		p.armLocked()
	case xmpp.StateClosed, xmpp.StateDisconnected:
		p.disarmLocked()
	}
}

// armLocked starts the periodic pings, unless they run or are off.
func (p *Pinger) armLocked() {
	if p.armed || p.interval <= 0 {
		return
	}
	p.armed = true
	gen := p.gen
	p.timer = time.AfterFunc(p.interval, func() { p.tick(gen) })
}

// disarmLocked stops the periodic pings; a tick already running finds its
// generation stale and does nothing more.
func (p *Pinger) disarmLocked() {
	p.gen++
	p.armed = false
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if p.abandon != nil {
		p.abandon()
		p.abandon = nil
	}
}

// tick is one periodic ping, on the timer's goroutine: it lives as long
// as the ping, which the interval, the session's end, SetInterval and
// Close all bound. The next tick is armed only when this one is done.
func (p *Pinger) tick(gen uint64) {
	p.mu.Lock()
	if p.closed || gen != p.gen {
		p.mu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.interval)
	p.abandon = cancel
	p.wg.Add(1)
	p.mu.Unlock()
	defer p.wg.Done()
	defer cancel()

	server := p.c.JID().Domain()
	if !p.c.IsConnected() || server.IsZero() {
		return // down; StateClosed disarms, StateAuthenticated arms again
	}
	_, err := p.Ping(ctx, server)

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || gen != p.gen {
		return // abandoned: disarmed, or armed anew
	}
	p.abandon = nil
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		// Queued with the stanzas: the listeners hear it in order with
		// them, on the dispatcher.
		f := Failure{Server: server, Err: err}
		p.c.Dispatch(func() { p.report(f) })
	case err != nil && !p.c.IsConnected():
		// The session ended: StateClosed or StateDisconnected follows
		// and disarms. Any other outcome, an error reply included,
		// shows that the server is there.
		return
	}
	p.timer.Reset(p.interval)
}

// report tells the OnFailure listeners, on the dispatcher.
func (p *Pinger) report(f Failure) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return
	}
	for l := range p.failed.All() {
		l(f)
	}
}
