package xmpp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// call is one request waiting for its reply: a SendIQ (ch) or a
// SendIQFunc (fn, bound to the session it was sent in).
type call struct {
	to   jid.JID
	ch   chan *stanza.IQ // one slot: the reader never blocks on it
	fn   func(*stanza.IQ, error)
	sess *session
}

// pending maps the ids of outstanding requests to their calls.
type pending struct {
	// mu guards calls. It is a leaf in the lock order (see Conn.mu);
	// handing a reply over under it never blocks (one-slot channels).
	mu    sync.Mutex
	calls map[string]*call
}

func (p *pending) add(id string, cl *call) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.calls == nil {
		p.calls = make(map[string]*call)
	}
	if _, dup := p.calls[id]; dup {
		return false
	}
	p.calls[id] = cl
	return true
}

// remove takes cl out, unless a reply or the session's end took it
// first; it reports whether it did.
func (p *pending) remove(id string, cl *call) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.calls[id] == cl {
		delete(p.calls, id)
		return true
	}
	return false
}

// deliver hands iq, a result or error received on a stream bound to own,
// to the call waiting for it, and reports whether there was one. A reply
// is taken only from the entity the request went to (see replyFrom); one
// from anybody else is not a reply, whatever its id.
func (p *pending) deliver(iq *stanza.IQ, own jid.JID) bool {
	p.mu.Lock()
	cl := p.calls[iq.ID]
	if cl == nil || !replyFrom(cl.to, iq.From, own) {
		p.mu.Unlock()
		return false
	}
	delete(p.calls, iq.ID)
	p.mu.Unlock()
	if cl.fn != nil {
		cl.fn(iqResult(iq))
	} else {
		cl.ch <- iq
	}
	return true
}

// fail ends the SendIQFunc calls of sess, which has ended, with err.
func (p *pending) fail(sess *session, err error) {
	var failed []*call
	p.mu.Lock()
	for id, cl := range p.calls {
		if cl.fn != nil && cl.sess == sess {
			delete(p.calls, id)
			failed = append(failed, cl)
		}
	}
	p.mu.Unlock()
	for _, cl := range failed {
		cl.fn(nil, err)
	}
}

// replyFrom reports whether a reply from "from" can answer a request sent
// to "to" by the account bound as own. The addressee itself may answer.
// The server answers for itself and for the account: a request without a
// to, or to the domain or the account's bare JID, may be answered with no
// from (Prosody), from the domain or the bare JID, and, for requests
// without a to or to the bare JID, from the account's own full JID
// (ejabberd) (RFC 6120 sections 8.1.2.1 and 10.3.3). An empty from can
// only come from the server, which stamps every stanza it routes.
func replyFrom(to, from, own jid.JID) bool {
	if !to.IsZero() && from == to {
		return true
	}
	bare, domain := own.Bare(), own.Domain()
	switch {
	case to.IsZero():
		return from.IsZero() || from == domain || from == bare || from == own
	case to == domain:
		return from.IsZero()
	case to == bare:
		return from.IsZero() || from == own
	}
	return false
}

// ErrBadIQ is returned by SendIQ for an IQ that is not a get or set with a
// payload.
var ErrBadIQ = errors.New("xmpp: SendIQ takes a get or set IQ with a payload")

// SendIQ sends the request iq (type get or set) and waits for its reply
// (Smack's sendIqRequestAndWaitForResponse). An iq without an id gets a
// fresh, unpredictable one, written into iq. A result is returned as it
// came; an error reply is returned too, with its *stanza.Error as the
// error (errors.Is(err, &stanza.Error{Condition: ...}) tells which).
//
// Only a reply from the entity the request was sent to counts: the
// addressee, or the server on the account's behalf (see the package doc).
// A stanza from anybody else with the same id is ignored.
//
// ctx bounds the whole call; when it ends SendIQ returns ctx.Err() and the
// session goes on; a reply that arrives later is dropped. When the session
// ends first, SendIQ returns an error matching ErrNotConnected that wraps
// the cause; a stream that is lost and resumed does not end it, and the
// reply may come on the resumed stream. While the connection is down and
// coming back, the request is queued as Send queues. SendIQ may be called
// from a listener or IQ handler: replies are routed by the reader, never
// behind the listeners.
//
// SendIQ takes iq over as Send does. The reply is the caller's alone: it
// is not given to listeners or collectors.
func (c *Conn) SendIQ(ctx context.Context, iq *stanza.IQ) (*stanza.IQ, error) {
	if (iq.Type != stanza.Get && iq.Type != stanza.Set) || iq.Payload == nil {
		return nil, ErrBadIQ
	}
	if iq.ID == "" {
		iq.ID = c.newID()
	}
	cl := &call{to: iq.To, ch: make(chan *stanza.IQ, 1)}
	if !c.pending.add(iq.ID, cl) {
		return nil, fmt.Errorf("xmpp: SendIQ: a request with id %q is already waiting", iq.ID)
	}
	defer c.pending.remove(iq.ID, cl)
	if err := c.Send(ctx, iq); err != nil {
		return nil, err
	}
	lost := c.Done() // no session: the request waits for the next one
	if sess := c.session(); sess != nil {
		lost = sess.lost()
	}
	select {
	case reply := <-cl.ch:
		return iqResult(reply)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-lost:
		select { // a reply that came just before the end still counts
		case reply := <-cl.ch:
			return iqResult(reply)
		default:
		}
		return nil, c.notConnected()
	}
}

// SendIQFunc sends the request iq (type get or set) as SendIQ does, but
// returns once it is sent (or queued while the stream is down and the
// session suspended) instead of waiting: f hears the outcome later,
// exactly once. f gets the reply and nil for a result, the reply and its
// *stanza.Error for an error reply, and nil and an error matching
// ErrNotConnected when the session ends first. Only a reply from the
// entity the request went to counts, as for SendIQ.
//
// It is for managers that must apply a reply in its place among the
// stanzas received (the roster's answer to its fetch, before a presence
// that follows it): f runs on the connection's reader goroutine as soon
// as the reply is read, before any later stanza is routed, so whatever f
// queues with Dispatch runs where the reply stood on the wire, after the
// stanzas before it and before those after it. f must therefore be quick
// and must not block, send, or wait: it holds up everything the server
// sends. When the session ends, f runs on the goroutine that ends it.
//
// SendIQFunc needs a session: without one (not logged in, or the session
// ended) it returns an error matching ErrNotConnected and never calls f.
// ctx bounds only the sending; once SendIQFunc has returned nil, f will
// be called whatever happens to ctx. When sending fails, SendIQFunc
// returns the error and f is not called: either SendIQFunc returns an
// error or f hears the outcome, never both. An iq without an id gets a
// fresh one, written into iq. f must not be nil.
func (c *Conn) SendIQFunc(ctx context.Context, iq *stanza.IQ, f func(*stanza.IQ, error)) error {
	if f == nil {
		panic("xmpp: SendIQFunc with a nil func")
	}
	if (iq.Type != stanza.Get && iq.Type != stanza.Set) || iq.Payload == nil {
		return ErrBadIQ
	}
	sess := c.session()
	if sess == nil {
		return c.notConnected()
	}
	if iq.ID == "" {
		iq.ID = c.newID()
	}
	cl := &call{to: iq.To, fn: f, sess: sess}
	if !c.pending.add(iq.ID, cl) {
		return fmt.Errorf("xmpp: SendIQFunc: a request with id %q is already waiting", iq.ID)
	}
	select {
	case <-sess.lost():
		// The session ended about when the call was put in place: its
		// end failed the call (then f has heard), or missed it.
		if c.pending.remove(iq.ID, cl) {
			return c.notConnected()
		}
		return nil
	default:
	}
	if err := c.Send(ctx, iq); err != nil && c.pending.remove(iq.ID, cl) {
		return err
	}
	return nil
}

func iqResult(reply *stanza.IQ) (*stanza.IQ, error) {
	if reply.Type == stanza.Result {
		return reply, nil
	}
	if reply.Error != nil {
		return reply, reply.Error
	}
	// An error reply without <error/> is malformed; say what we know.
	return reply, stanza.NewError(stanza.Cancel, stanza.UndefinedCondition)
}
