// Package iqquery sends the empty get request that the small query
// protocols share (software version, entity time, last activity) and
// reads its result, so each of them states only its element and its
// parser.
package iqquery

import (
	"context"
	"encoding/xml"
	"fmt"

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
