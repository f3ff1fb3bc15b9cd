package nick

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gosmack/gosmack/internal/listeners"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of user nicknames (XEP-0172), and the name of the
// PEP node they are published to.
const NS = "http://jabber.org/protocol/nick"

var nickName = xml.Name{Space: NS, Local: "nick"}

// Nick is a nickname change heard through PEP. The zero Nick names no
// account.
type Nick struct {
	// JID is the bare JID of the account whose nickname it is: a
	// contact's, or the account's own.
	JID jid.JID
	// Name is the nickname; "" when the account cleared it (published
	// an empty one, retracted it, or purged or deleted the node). A
	// change of the node's configuration, or an item without a <nick/>,
	// is not reported.
	Name string
	// Event is the notification that told it; its Delay is set for a
	// nickname sent late (the last one, sent when the account came
	// online).
	Event pubsub.Event
}

// Manager publishes the account's nickname and hears its contacts'
// through PEP (XEP-0172 section 4.5), on one connection. Get the one of
// a connection with For; its zero value is not usable. All methods are
// safe for concurrent use, and may be called from listeners.
type Manager struct {
	c    *xmpp.Conn
	nick listeners.List[func(Nick)]

	mu       sync.Mutex
	closed   bool
	count    int    // OnNick registrations in place
	interest func() // removes the pep listener; nil while count is 0
}

// For returns the Manager attached to c, attaching one the first time,
// together with pep.For (and so caps and pubsub). For is safe for
// concurrent use; after Close it attaches a fresh Manager.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	pep.For(c)
	return &Manager{c: c}
}

// Close detaches the Manager (For then attaches a fresh one): its
// listeners hear nothing more, and the interest in nicknames is
// withdrawn. Each request and the interest go through the pep.Manager
// attached at that time (pep.For): closing the pep.Manager (or the
// pubsub.Manager below it) drops the interest registered through it,
// until the last OnNick listener is removed and a new one registered.
// Close is safe to call more than once.
func (m *Manager) Close() {
	xmpp.Detach(m.c, m)
	m.mu.Lock()
	m.closed = true
	interest := m.interest
	m.interest = nil
	m.mu.Unlock()
	m.nick.Clear()
	if interest != nil {
		interest()
	}
}

// Publish publishes name as the account's nickname to its PEP node NS;
// "" clears it (an empty <nick/>, XEP-0172 section 4.6). Contacts that
// listen are told.
//
// ctx bounds the request, which runs on the caller's goroutine; when it
// ends Publish returns ctx.Err() and a late reply is dropped. The
// server's refusal is its *stanza.Error.
func (m *Manager) Publish(ctx context.Context, name string) error {
	n := Element(name)
	if _, err := pep.For(m.c).Publish(ctx, NS, pubsub.Item{Payload: &n}, pubsub.PublishOptions{}); err != nil {
		return fmt.Errorf("nick: %w", err)
	}
	return nil
}

// Get asks for the nickname owner (a bare JID; the zero JID: the
// account's own) last published: "" when it has none (no node, no item,
// or an empty nick). ctx bounds the request as for Publish.
func (m *Manager) Get(ctx context.Context, owner jid.JID) (string, error) {
	page, err := pep.For(m.c).Node(owner, NS).Items(ctx, pubsub.ItemsQuery{Last: 1})
	if errors.Is(err, &stanza.Error{Condition: stanza.ItemNotFound}) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("nick: %w", err)
	}
	if len(page.Items) == 0 {
		return "", nil
	}
	return name(page.Items[len(page.Items)-1].Payload), nil
}

// OnNick registers f to hear the nickname changes of the account's
// contacts (and its own), and announces interest in them (NS+"+notify",
// see pep.Manager.OnEvent) while it is registered: the contacts'
// servers then send each change, and the current nickname when the
// contact comes online. f runs on the connection's dispatcher, in order
// with the stanzas around the notification. The returned func removes
// exactly this registration and is safe to call more than once. A nil f
// panics.
func (m *Manager) OnNick(f func(Nick)) (remove func()) {
	if f == nil {
		panic("nick: OnNick with a nil listener")
	}
	stop := m.nick.Add(f)
	m.mu.Lock()
	if !m.closed {
		m.count++
		if m.count == 1 {
			m.interest = pep.For(m.c).OnEvent(NS, m.received)
		}
	}
	counted := !m.closed
	m.mu.Unlock()
	return sync.OnceFunc(func() {
		stop()
		if !counted {
			return
		}
		m.mu.Lock()
		var interest func()
		if m.count--; m.count == 0 {
			interest, m.interest = m.interest, nil
		}
		m.mu.Unlock()
		if interest != nil {
			interest()
		}
	})
}

// received tells the OnNick listeners of a notification of node NS
// that says what the nickname is: the last item that carries a <nick/>,
// else a retraction, a purge or a deletion (cleared). A configuration
// change, or items without a <nick/>, say nothing of it.
func (m *Manager) received(e pubsub.Event) {
	n := Nick{JID: e.Service, Event: e}
	switch e.Kind {
	case pubsub.EventItems:
		found := false
		for i := len(e.Items) - 1; i >= 0 && !found; i-- {
			if p := e.Items[i].Payload; p != nil && p.Name == nickName {
				n.Name, found = name(p), true
			}
		}
		if !found && len(e.Retracted) == 0 {
			return
		}
	case pubsub.EventPurge, pubsub.EventDelete:
	default:
		return
	}
	for f := range m.nick.All() {
		f(n)
	}
}

// Element returns the <nick/> element holding name.
func Element(name string) stanza.Node {
	n := stanza.Node{Name: nickName}
	if name != "" {
		n.Nodes = []stanza.Node{{Text: name}}
	}
	return n
}

// name returns the nickname n holds, "" when it is not a <nick/>.
func name(n *stanza.Node) string {
	if n == nil || n.Name != nickName {
		return ""
	}
	return strings.TrimSpace(n.InnerText())
}

// Of returns the nickname a message or presence carries (XEP-0172
// sections 4.1 to 4.3: in a subscription request, in a first message to
// someone), and whether it carries one. What a stanza says is only what
// its sender claims: show it as such, never as the contact's name in the
// roster without the user's consent.
func Of(st stanza.Stanza) (string, bool) {
	var ext []stanza.Node
	switch s := st.(type) {
	case *stanza.Message:
		ext = s.Extensions
	case *stanza.Presence:
		ext = s.Extensions
	}
	for k := range ext {
		if ext[k].Name == nickName {
			return name(&ext[k]), true
		}
	}
	return "", false
}

// Set puts name in a message or presence, in place of any <nick/> it
// carries; it does nothing to an IQ. The stanza gets a new extensions
// slice: the array behind the old one is not written.
func Set(st stanza.Stanza, name string) {
	switch s := st.(type) {
	case *stanza.Message:
		s.Extensions = put(s.Extensions, Element(name))
	case *stanza.Presence:
		s.Extensions = put(s.Extensions, Element(name))
	}
}

func put(ext []stanza.Node, n stanza.Node) []stanza.Node {
	out := make([]stanza.Node, 0, len(ext)+1)
	for _, e := range ext {
		if e.Name != nickName {
			out = append(out, e)
		}
	}
	return append(out, n)
}
