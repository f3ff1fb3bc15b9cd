// Package iqquery holds what the small query protocols share (software
// version, entity time, last activity): the empty get request and the
// reading of its result, and the answering of such requests, so each of
// them states only its element, its answer and its parser.
package iqquery

import (
	"context"
	"encoding/xml"
	"fmt"
	"sync"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Get sends c an IQ get whose payload is an empty element named name, to
// to (the account's server when to is zero), and returns what parse reads
// from the result's payload, which may be nil. Errors, the reply's and
// parse's, are wrapped with the package's name and the addressee
// ("version: bob@example.org/phone: ..."). Only a reply from to counts,
// as for xmpp.Conn.SendIQ; ctx bounds the whole call. It is safe for
// concurrent use, and from a listener.
func Get[T any](ctx context.Context, c *xmpp.Conn, pkg string, to jid.JID, name xml.Name, parse func(*stanza.Node) (T, error)) (T, error) {
	if to.IsZero() {
		to = c.JID().Domain() // zero when not connected: SendIQ says so
	}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: name}}
	iq.To = to
	var zero T
	reply, err := c.SendIQ(ctx, iq)
	if err != nil {
		return zero, fmt.Errorf("%s: %s: %w", pkg, describe(to), err)
	}
	v, err := parse(reply.Payload)
	if err != nil {
		return zero, fmt.Errorf("%s: %s: %w", pkg, describe(to), err)
	}
	return v, nil
}

// describe names the addressee of a query in an error.
func describe(j jid.JID) string {
	if j.IsZero() {
		return "the server"
	}
	return j.String()
}

// Serve makes c answer get requests whose payload is named name with the
// payload answer returns, and announces feature for service discovery,
// for the manager m that xmpp.Attach attached. A request not addressed
// to this client (xmpp.Conn.AddressedToMe), or one answer returns nil
// for (the user does not tell), is answered service-unavailable. answer
// runs on the IQ handler's goroutine, as an xmpp.IQHandler.
//
// Serve returns the manager's Close: it detaches m from c, then removes
// the handler and withdraws the feature; it is safe to call more than
// once, from any goroutine. Serve panics as xmpp.Conn.HandleIQ does when
// c already has a handler for name.
func Serve[M any](c *xmpp.Conn, m *M, name xml.Name, feature string, answer func() *stanza.Node) (closeFunc func()) {
	handler := c.HandleIQ(stanza.Get, name, xmpp.IQHandlerFunc(func(_ context.Context, iq *stanza.IQ) (*stanza.Node, error) {
		if !c.AddressedToMe(iq.To) {
			return nil, stanza.NewError(stanza.Cancel, stanza.ServiceUnavailable)
		}
		if n := answer(); n != nil {
			return n, nil
		}
		return nil, stanza.NewError(stanza.Cancel, stanza.ServiceUnavailable)
	}))
	withdraw := c.Announce(feature)
	return sync.OnceFunc(func() {
		xmpp.Detach(c, m)
		handler()
		withdraw()
	})
}
