package xmpp

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// ErrBadElement is returned by SendElement for a text node, an element
// in jabber:client or with no namespace (a stanza, which Send writes),
// or an element in one of the namespaces the connection itself speaks
// on the stream (see SendElement).
var ErrBadElement = errors.New("xmpp: SendElement takes an element in a namespace of its own")

// streamOwn reports whether ns is the namespace of top-level elements
// the connection writes and reads itself: the stream, TLS, SASL (and
// SASL 2), stream management, and the stanza namespaces of other kinds
// of stream. Such an element from SendElement would break the
// connection's own bookkeeping (an <r/> answered behind its back, an
// <a/> that acknowledges what it never counted) or the stream itself.
func streamOwn(ns string) bool {
	switch ns {
	case stanza.NSStream, nsTLS, nsSASL, "urn:xmpp:sasl:2",
		"urn:xmpp:sm:2", NSStreamManagement,
		stanza.NSServer, "jabber:component:accept":
		return true
	}
	return false
}

// SendElement writes n, a top-level element that is not a stanza (a
// "nonza", such as client state indication's <active/> and <inactive/>,
// XEP-0352), on the stream in use. Stream management neither counts nor
// keeps it, so it is not sent again after a resumption, and it is never
// queued: without a stream up it returns an error matching
// ErrNotConnected, and a manager whose element matters on every stream
// sends it again from OnState (StateAuthenticated, StateResumed). On a
// stream that has just come up it waits until what goes first is written
// (after a resumption, the stanzas sent again and an ack request; on a
// new session, the initial presence; then what was queued meanwhile);
// after that it goes out in the order the calls and Sends took the write
// lock.
//
// The connection's own elements are refused with ErrBadElement: those in
// http://etherx.jabber.org/streams, urn:ietf:params:xml:ns:xmpp-tls,
// urn:ietf:params:xml:ns:xmpp-sasl, urn:xmpp:sasl:2, urn:xmpp:sm:2,
// urn:xmpp:sm:3, jabber:server and jabber:component:accept, as are
// stanzas (jabber:client, or no namespace) and text.
//
// ctx bounds the wait for the write lock and the write. If ctx ends in
// the middle of the write, the stream ends with an error that says so,
// as for Send. SendElement is safe for concurrent use and may be called
// from a listener.
func (c *Conn) SendElement(ctx context.Context, n stanza.Node) error {
	if n.IsText() || n.Name.Space == "" || n.Name.Space == stanza.NSClient || streamOwn(n.Name.Space) {
		return ErrBadElement
	}
	enc := xmlstream.Encoder{Inherited: stanza.NSClient, StreamPrefix: true}
	writeNode(&enc, &n)
	b, err := enc.Bytes()
	if err != nil {
		return fmt.Errorf("xmpp: %w", err)
	}
	s, err := c.upStream(ctx)
	if err != nil {
		return err
	}
	if err := s.lock(ctx, s.done); err != nil {
		if errors.Is(err, ErrNotConnected) {
			return c.notConnected()
		}
		return err
	}
	defer s.unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.finished {
		return c.notConnected()
	}
	if err := s.writeLocked(ctx, b); err != nil {
		if ctx.Err() != nil {
			s.abort(fmt.Errorf("xmpp: a write was cut short when its context ended: %w", err))
			return err
		}
		s.abort(err)
		return fmt.Errorf("%w: %w", ErrNotConnected, err)
	}
	return nil
}

// upStream returns the stream in use once it is up: while one that has
// just come up writes what goes first (streamFlushing), it waits, so
// that an element sent on a new stream comes after what the stream was
// brought up with.
func (c *Conn) upStream(ctx context.Context) (*stream, error) {
	for {
		c.mu.Lock()
		s := c.stream
		if s == nil {
			c.mu.Unlock()
			return nil, c.notConnected()
		}
		if c.state != streamFlushing {
			c.mu.Unlock()
			return s, nil
		}
		if s.flushed == nil {
			s.flushed = make(chan struct{})
		}
		wait := s.flushed
		c.mu.Unlock()
		select {
		case <-wait:
		case <-s.done:
			return nil, c.notConnected()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// writeNode encodes n and its content as they are.
func writeNode(enc *xmlstream.Encoder, n *stanza.Node) {
	if n.IsText() {
		enc.Text(n.Text)
		return
	}
	enc.Start(n.Name, n.Attrs...)
	for i := range n.Nodes {
		writeNode(enc, &n.Nodes[i])
	}
	enc.End()
}
