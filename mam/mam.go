package mam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Namespaces of Message Archive Management (XEP-0313). NS is the one
// this package speaks first; NS1 and NS0 are the earlier versions it
// falls back to with archives that offer only those.
const (
	NS  = "urn:xmpp:mam:2"
	NS1 = "urn:xmpp:mam:1"
	NS0 = "urn:xmpp:mam:0"
	// NSExtended is the feature of an archive that takes the after-id,
	// before-id and ids fields (XEP-0313 section 7.1).
	NSExtended = "urn:xmpp:mam:2#extended"
)

// Errors of this package. Each error returned wraps one of them, or is
// the archive's *stanza.Error, or a connection error.
var (
	// ErrUnsupported: the archive offers no version of XEP-0313 this
	// package speaks, or not the filter a Query asks for (full text,
	// an id range together with RSM paging).
	ErrUnsupported = errors.New("mam: not supported by the archive")
	// ErrMalformed: the archive's answer cannot be read (a result
	// without its final <fin/>, more results than asked for).
	ErrMalformed = errors.New("mam: malformed answer")
)

// version is what an archive offers: the namespace to speak and
// whether it takes the extended fields.
type version struct {
	ns       string
	extended bool
}

// Client queries message archives and the account's archiving
// preferences on one connection (Smack's MamManager). For returns the
// one a connection has; its zero value is not usable. All methods are
// safe for concurrent use, and may be called from listeners.
type Client struct {
	c *xmpp.Conn

	mu       sync.Mutex
	versions map[jid.JID]version // by archive: what its disco#info said
	forms    map[jid.JID]*dataform.Form
	store    Store    // where the last archive id is kept
	run      *catchUp // the catch-up that runs, or nil
	// empty: a catch-up found the archive empty and nothing stored,
	// so the next one with nothing stored starts at the beginning.
	empty  bool
	closed bool               // Close was called: no catch-up starts
	hold   *xmpp.PresenceHold // while catching up is on: see SetCatchUp

	catchingUp atomic.Bool
	archived   listeners.List[func(Archived)]
	caughtUp   listeners.List[func(CaughtUp)]

	closeOnce sync.Once
	detach    []func()
}

// For returns the Client attached to c, attaching one the first time
// (Smack's MamManager.getInstanceFor), connected or not. It registers
// nothing that answers or changes stanzas: it forgets, when a session
// ends, what it learnt about archives, and, when catching up is on
// (SetCatchUp), notes the archive ids of the messages received and
// catches up at each new session. For is safe for concurrent use; after
// Close it attaches a fresh Client.
func For(c *xmpp.Conn) *Client { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Client {
	m := &Client{c: c, store: new(MemoryStore)}
	m.detach = []func(){
		c.OnState(m.state),
		c.HandleMessage(nil, m.live),
	}
	return m
}

// Close detaches the Client from its connection (For then attaches a
// fresh one) and stops a catch-up that runs; its listeners hear nothing
// more. Queries in flight finish. Close is safe to call more than once,
// from any goroutine.
func (m *Client) Close() {
	m.closeOnce.Do(func() {
		xmpp.Detach(m.c, m)
		for _, f := range m.detach {
			f()
		}
		m.mu.Lock()
		m.closed = true
		if m.run != nil {
			m.run.cancel()
			m.run = nil
		}
		m.mu.Unlock()
		m.unhold()
		m.archived.Clear()
		m.caughtUp.Clear()
	})
}

// forget drops what was learnt about archives: a new session may find
// another server behind the same names.
func (m *Client) forget() {
	m.mu.Lock()
	m.versions, m.forms = nil, nil
	m.mu.Unlock()
}

// own returns the account's bare JID: the user's archive.
func (m *Client) own() jid.JID {
	if j := m.c.JID(); !j.IsZero() {
		return j.Bare()
	}
	return m.c.Config().JID.Bare()
}

// archiveOf returns the bare JID of the archive a query to "to" asks:
// the account's for the zero JID.
func (m *Client) archiveOf(to jid.JID) jid.JID {
	if to.IsZero() {
		return m.own()
	}
	return to.Bare()
}

// Version returns the namespace the Client speaks with archive (the
// zero JID: the account's own): NS, NS1 or NS0, the newest that the
// archive's service discovery lists. An archive whose discovery fails
// is spoken to in NS; one whose discovery lists none of them is
// ErrUnsupported. The answer is remembered until the session ends.
//
// ctx bounds the discovery request, which runs on the caller's
// goroutine (it may be a listener); when ctx ends Version returns
// ctx.Err().
func (m *Client) Version(ctx context.Context, archive jid.JID) (string, error) {
	v, err := m.version(ctx, archive)
	return v.ns, err
}

func (m *Client) version(ctx context.Context, archive jid.JID) (version, error) {
	key := m.archiveOf(archive)
	m.mu.Lock()
	v, ok := m.versions[key]
	m.mu.Unlock()
	if ok {
		return v, nil
	}
	info, err := disco.For(m.c).Info(ctx, key, "")
	var se *stanza.Error
	switch {
	case errors.As(err, &se):
		v = version{ns: NS} // no discovery: try the current version
	case err != nil:
		return version{}, fmt.Errorf("mam: discovering %s: %w", key, err)
	default:
		for _, ns := range []string{NS, NS1, NS0} {
			if info.HasFeature(ns) {
				v = version{ns: ns, extended: ns == NS && info.HasFeature(NSExtended)}
				break
			}
		}
		if v.ns == "" {
			return version{}, fmt.Errorf("%w: %s lists no %s", ErrUnsupported, key, NS)
		}
	}
	m.mu.Lock()
	if m.versions == nil {
		m.versions = make(map[jid.JID]version)
	}
	m.versions[key] = v
	m.mu.Unlock()
	return v, nil
}

// Fields returns the query form of archive (the zero JID: the
// account's own): the fields its queries may filter on (XEP-0313
// section 5.1), with, start and end at least, and whatever the server
// adds (full-text search, ids). It is asked once per session and
// remembered; the form returned is the caller's own copy.
//
// ctx bounds the requests, which run on the caller's goroutine; when
// ctx ends Fields returns ctx.Err().
func (m *Client) Fields(ctx context.Context, archive jid.JID) (dataform.Form, error) {
	v, err := m.version(ctx, archive)
	if err != nil {
		return dataform.Form{}, err
	}
	key := m.archiveOf(archive)
	m.mu.Lock()
	f := m.forms[key]
	m.mu.Unlock()
	if f != nil {
		return f.Clone(), nil
	}
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: name(v.ns, "query")}}
	iq.To = archive
	reply, err := m.c.SendIQ(ctx, iq)
	if err != nil {
		return dataform.Form{}, fmt.Errorf("mam: the query form of %s: %w", key, err)
	}
	form := new(dataform.Form)
	if reply.Payload == nil {
		return dataform.Form{}, fmt.Errorf("%w: no query form from %s", ErrMalformed, key)
	}
	if ok, err := stanza.FindExtension(reply.Payload.Nodes, form); !ok || err != nil {
		return dataform.Form{}, fmt.Errorf("%w: no query form from %s", ErrMalformed, key)
	}
	m.mu.Lock()
	if m.forms == nil {
		m.forms = make(map[jid.JID]*dataform.Form)
	}
	m.forms[key] = form
	m.mu.Unlock()
	return form.Clone(), nil
}

// newQueryID returns a fresh, unguessable query id: a result is taken
// only with the id of its query, so another entity cannot slip one in.
func newQueryID() string { return rand.Text() }
