package ping

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of XMPP Ping (XEP-0199), the feature a Pinger
// announces.
const NS = "urn:xmpp:ping"

// Name is the name of the ping payload, <ping xmlns='urn:xmpp:ping'/>.
var Name = xml.Name{Space: NS, Local: "ping"}

// ErrNoReply means a ping got no reply before its context's deadline. The
// error that ends a connection whose keep-alive gave up matches it too.
var ErrNoReply = errors.New("ping: no reply")

// MaxTimeout is the longest a keep-alive ping waits for its reply when no
// Timeout option is given: the wait is the interval, up to MaxTimeout.
const MaxTimeout = 30 * time.Second

// Option configures a Pinger made by New.
type Option func(*Pinger)

// Interval turns the keep-alive on: the Pinger pings the server d after
// the connection logs in and d after each reply (Smack's setPingInterval).
// Zero, the default, turns it off. SetInterval changes it later.
func Interval(d time.Duration) Option {
	return func(p *Pinger) { p.interval = max(d, 0) }
}

// Timeout bounds how long each keep-alive ping waits for its reply. Zero,
// the default, means the interval, up to MaxTimeout. It does not apply to
// Ping, which its context bounds.
func Timeout(d time.Duration) Option {
	return func(p *Pinger) { p.timeout = max(d, 0) }
}

// MaxMisses is how many keep-alive pings in a row must go unanswered
// before the Pinger reports a failure and ends the stream; the default,
// and the least, is 1. On one TCP stream replies come back in order, so a
// second ping rarely overtakes a lost first one: a larger n mostly gives
// a slow server n timeouts' worth of time.
func MaxMisses(n int) Option {
	return func(p *Pinger) { p.maxMisses = max(n, 1) }
}

// Pinger answers pings on one connection, pings other entities, and
// optionally keeps the connection alive by pinging its server (Smack's
// PingManager). New makes one; there is no zero value to use. Its methods
// are safe for concurrent use.
type Pinger struct {
	c      *xmpp.Conn
	detach []func() // the IQ handler, the announced feature, the state listener

	wg        sync.WaitGroup // a keep-alive ping under way
	closeOnce sync.Once

	mu        sync.Mutex
	closed    bool
	up        bool // from StateAuthenticated or StateResumed to StateClosed or StateDisconnected
	interval  time.Duration
	timeout   time.Duration // 0: min(interval, MaxTimeout)
	maxMisses int
	misses    int            // consecutive keep-alive pings without reply
	armed     bool           // the keep-alive runs for the current stream
	gen       uint64         // changes when the keep-alive is disarmed: a tick of an older one is stale
	timer     *time.Timer    // the next ping, while armed
	abandon   func()         // cancels the keep-alive's ping under way, if any
	failure   error          // what the keep-alive ended the stream with, until StateClosed
	failed    []*func(error) // OnFailure listeners
}

// answer is the IQ handler: a ping gets an empty result (XEP-0199).
var answer = xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) {
	return nil, nil
})

// New attaches a Pinger to c, connected or not: from then on c answers
// every ping (an IQ get with <ping xmlns='urn:xmpp:ping'/>, from the server
// or anyone else) with an empty result, and announces "urn:xmpp:ping" for
// service discovery. With the Interval option it also keeps the
// connection alive (see the package doc). The Pinger stays attached
// across streams, as the Conn's registrations do, until Close.
//
// A Conn takes one Pinger: New on a connection that already has one (or
// another handler for ping requests) panics, because two handlers would
// answer the same request. Close the first to attach another.
func New(c *xmpp.Conn, opts ...Option) *Pinger {
	p := &Pinger{c: c, maxMisses: 1}
	for _, o := range opts {
		o(p)
	}
	p.detach = append(p.detach, handle(c))
	p.detach = append(p.detach, c.Announce(NS))
	p.detach = append(p.detach, c.OnState(p.onState))
	if c.IsConnected() {
		// Attached after login: the StateAuthenticated event may be gone
		// already. If it is still queued, arming again does nothing.
		p.mu.Lock()
		p.up = true
		p.armLocked()
		p.mu.Unlock()
	}
	return p
}

// handle registers the answer, turning the connection's panic on a second
// handler into one that says what to do about it.
func handle(c *xmpp.Conn) (remove func()) {
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("ping: New: the connection already has a Pinger (Close it before attaching another): %v", r))
		}
	}()
	return c.HandleIQ(stanza.Get, Name, answer)
}

// Close detaches p from its connection: the connection stops answering
// pings (it answers service-unavailable, as for any request nobody
// handles), no longer announces the feature, and the keep-alive stops,
// its ping under way, if any, abandoned. It does not close the
// connection. Close returns once no goroutine of p runs; it is safe to
// call more than once and from any goroutine, listeners included. Ping
// still works after Close: it only sends.
func (p *Pinger) Close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.disarmLocked()
		p.failed = nil
		p.mu.Unlock()
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
// answered. When ctx's deadline passes first the error matches ErrNoReply
// (and context.DeadlineExceeded); when ctx is cancelled it matches
// context.Canceled; when the stream ends first it matches
// xmpp.ErrNotConnected. In those cases the duration is 0.
//
// Only a reply from to (or, for the account's server and bare JID, from
// the server) counts: a result with the right id from anybody else is
// ignored. Ping has no timeout of its own: ctx bounds it, and without a
// deadline it waits until the reply comes or the stream ends. A reply
// that comes after Ping returned is dropped. Ping may be called from
// listeners and IQ handlers, and concurrently.
func (p *Pinger) Ping(ctx context.Context, to jid.JID) (time.Duration, error) {
	if to.IsZero() {
		to = p.c.JID().Domain() // zero when not connected: SendIQ says so
	}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: Name}}
	iq.To = to
	start := time.Now()
	_, err := p.c.SendIQ(ctx, iq)
	rtt := time.Since(start)
	if err == nil {
		return rtt, nil
	}
	var se *stanza.Error
	switch {
	case errors.As(err, &se):
		return rtt, fmt.Errorf("ping: %s: %w", describe(to), err)
	case errors.Is(err, context.DeadlineExceeded):
		return 0, fmt.Errorf("%w from %s: %w", ErrNoReply, describe(to), err)
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
// not-allowed itself counts as a miss too. A timeout (ErrNoReply), a
// cancelled context and a stream that ended are not reachable either.
// Where the distinction matters, look at the condition with errors.As:
// XEP-0410's MUC self-ping, for one, reads not-acceptable as "no longer
// joined" and item-not-found from an occupant JID as "joined, under
// another nickname".
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

// OnFailure registers f to hear that the keep-alive gave up (Smack's
// PingFailedListener): MaxMisses pings in a row went unanswered, so the
// Pinger ended the stream with xmpp.Conn.Abort. f receives that error,
// which matches ErrNoReply. f runs on the connection's dispatcher, as the
// listener of that end of the stream (StateDisconnected when the session
// will be resumed, StateClosed otherwise); the connection's own state
// listeners registered before New have heard it already, and automatic
// reconnection, unless disabled, is under way. f may call Close p. The
// returned func removes f; it is safe to call more than once.
func (p *Pinger) OnFailure(f func(error)) (remove func()) {
	fp := &f
	p.mu.Lock()
	if !p.closed {
		p.failed = append(p.failed, fp)
	}
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.failed = slices.DeleteFunc(slices.Clone(p.failed), func(q *func(error)) bool { return q == fp })
		p.mu.Unlock()
	}
}

// SetInterval changes the keep-alive's interval (Smack's setPingInterval):
// zero turns it off, anything else (re)starts it with a ping d from now
// when connected, and at the next login otherwise. A ping under way is
// abandoned and the count of misses starts over.
func (p *Pinger) SetInterval(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.interval = max(d, 0)
	p.disarmLocked()
	if p.up {
		p.armLocked()
	}
}

// onState follows the connection: the keep-alive runs from login to the
// stream's end, so that it costs nothing while the connection is down.
func (p *Pinger) onState(sc xmpp.StateChange) {
	var fs []*func(error)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	switch sc.State {
	case xmpp.StateAuthenticated, xmpp.StateResumed:
		p.up = true
		p.armLocked()
	case xmpp.StateClosed, xmpp.StateDisconnected:
		p.up = false
		p.disarmLocked()
		if p.failure != nil && sc.Err != nil && errors.Is(sc.Err, p.failure) {
			fs = slices.Clone(p.failed)
		}
		p.failure = nil
	}
	p.mu.Unlock()
	for _, f := range fs {
		(*f)(sc.Err)
	}
}

// armLocked starts the keep-alive, unless it runs or is off.
func (p *Pinger) armLocked() {
	if p.armed || p.interval <= 0 {
		return
	}
	p.armed = true
	p.misses = 0
	gen := p.gen
	p.timer = time.AfterFunc(p.interval, func() { p.tick(gen) })
}

// disarmLocked stops the keep-alive; a tick already running finds its
// generation stale and does nothing more.
func (p *Pinger) disarmLocked() {
	p.gen++
	p.armed = false
	p.misses = 0
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if p.abandon != nil {
		p.abandon()
		p.abandon = nil
	}
}

func (p *Pinger) timeoutLocked() time.Duration {
	if p.timeout > 0 {
		return p.timeout
	}
	return min(p.interval, MaxTimeout)
}

// tick is one keep-alive ping, on the timer's goroutine: it lives as long
// as the ping, which the timeout, the stream's end and Close all bound.
// The next tick is armed only when this one is done.
func (p *Pinger) tick(gen uint64) {
	p.mu.Lock()
	if p.closed || gen != p.gen {
		p.mu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeoutLocked())
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
	if p.closed || gen != p.gen {
		p.mu.Unlock()
		return
	}
	p.abandon = nil
	var se *stanza.Error
	switch {
	case err == nil || errors.As(err, &se):
		// Any reply, an error too, came from the server over the stream
		// the keep-alive watches: the stream works.
		p.misses = 0
	case errors.Is(err, ErrNoReply):
		p.misses++
		if p.misses < p.maxMisses {
			break
		}
		failure := fmt.Errorf("ping: keep-alive: %d ping(s) in a row got no reply, ending the stream: %w", p.misses, err)
		// Stay armed without a timer: nothing more happens until
		// StateClosed disarms.
		p.failure = failure
		p.mu.Unlock()
		p.c.Abort(failure) // the generation was current: still the stream that failed
		return
	default:
		// The stream ended (StateClosed follows), or something else went
		// wrong with this ping: try again later if the stream is up.
		if !p.c.IsConnected() {
			p.mu.Unlock()
			return
		}
	}
	p.timer.Reset(p.interval)
	p.mu.Unlock()
}
