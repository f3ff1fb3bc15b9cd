package private

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of private XML storage (XEP-0049).
const NS = "jabber:iq:private"

// Errors of this package. Each error returned wraps one of them, or is
// the server's *stanza.Error, or a connection error, or ctx.Err().
var (
	// ErrName: the element's name cannot be stored: it has no namespace,
	// or its namespace is one XEP-0049 reserves (jabber:iq:private,
	// jabber:client, jabber:server), or no local name.
	ErrName = errors.New("private: the element needs a namespace of its own")
	// ErrMalformed: the server's answer does not hold the element asked
	// for.
	ErrMalformed = errors.New("private: malformed answer")
)

var queryName = xml.Name{Space: NS, Local: "query"}

// Store is private XML storage (XEP-0049) on one connection (Smack's
// PrivateDataManager): it keeps elements of the application's namespaces
// on the account's server, for the account alone. Get the one of a
// connection with For; its zero value is not usable. It has no settings
// and no listeners (private storage sends no notifications). All methods
// are safe for concurrent use and may be called from listeners.
type Store struct {
	c *xmpp.Conn
}

// For returns the Store attached to c, attaching one the first time
// (Smack's PrivateDataManager.getInstanceFor); it registers nothing on
// c. For is safe for concurrent use; after Close it attaches a fresh
// Store.
func For(c *xmpp.Conn) *Store {
	return xmpp.Attach(c, func(c *xmpp.Conn) *Store { return &Store{c: c} })
}

// Close detaches the Store from its connection (For then attaches a
// fresh one). Requests in flight finish. It is safe to call more than
// once.
func (s *Store) Close() { xmpp.Detach(s.c, s) }

// Get returns the element named name that the account stored (XEP-0049
// section 2.2). When nothing is stored under that name the server
// answers with the empty element, which Get returns: an element with no
// attributes and no children. The request goes to the account's own
// server (no to) and only its answer is taken (see xmpp.Conn.SendIQ).
//
// ctx bounds the request, which runs on the caller's goroutine; when it
// ends Get returns ctx.Err() and a late reply is dropped. The server's
// refusal is its *stanza.Error.
func (s *Store) Get(ctx context.Context, name xml.Name) (*stanza.Node, error) {
	if err := check(name); err != nil {
		return nil, err
	}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: queryName, Nodes: []stanza.Node{{Name: name}}}}
	reply, err := s.c.SendIQ(ctx, iq)
	if err != nil {
		return nil, fmt.Errorf("private: get <%s xmlns='%s'/>: %w", name.Local, name.Space, err)
	}
	el, err := parse(reply.Payload, name)
	if err != nil {
		return nil, fmt.Errorf("private: get <%s xmlns='%s'/>: %w", name.Local, name.Space, err)
	}
	return el, nil
}

// Set stores el for the account (XEP-0049 section 2.1), replacing what
// was stored under its name; its name follows the rules of Get. ctx
// bounds the request as for Get.
func (s *Store) Set(ctx context.Context, el stanza.Node) error {
	if err := check(el.Name); err != nil {
		return err
	}
	iq := &stanza.IQ{Type: stanza.Set, Payload: &stanza.Node{Name: queryName, Nodes: []stanza.Node{el}}}
	if _, err := s.c.SendIQ(ctx, iq); err != nil {
		return fmt.Errorf("private: set <%s xmlns='%s'/>: %w", el.Name.Local, el.Name.Space, err)
	}
	return nil
}

func check(name xml.Name) error {
	switch name.Space {
	case "", NS, "jabber:client", "jabber:server":
		return fmt.Errorf("%w: <%s xmlns='%s'/>", ErrName, name.Local, name.Space)
	}
	if name.Local == "" {
		return fmt.Errorf("%w: no local name in %q", ErrName, name.Space)
	}
	return nil
}

// parse reads the payload of the server's answer to Get: a query of
// NS holding the element name, which it returns (a copy, the caller's
// own). Anything else is ErrMalformed.
func parse(payload *stanza.Node, name xml.Name) (*stanza.Node, error) {
	if payload == nil || payload.Name != queryName {
		return nil, fmt.Errorf("%w: no query", ErrMalformed)
	}
	if el := payload.Child(name.Space, name.Local); el != nil {
		return el.Clone(), nil
	}
	return nil, fmt.Errorf("%w: no <%s xmlns='%s'/>", ErrMalformed, name.Local, name.Space)
}
