package pubsub

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Namespaces of publish-subscribe (XEP-0060).
const (
	// NS is the namespace of the subscriber's and publisher's requests.
	NS = "http://jabber.org/protocol/pubsub"
	// NSEvent is the namespace of event notifications.
	NSEvent = NS + "#event"
	// NSOwner is the namespace of the owner's requests (configure,
	// delete, purge).
	NSOwner = NS + "#owner"
	// NSErrors is the namespace of the application conditions of
	// pubsub errors (such as precondition-not-met).
	NSErrors = NS + "#errors"
	// NSPublishOptions is the FORM_TYPE of publish-options (XEP-0060
	// section 7.1.5) and the feature of a service that takes them.
	NSPublishOptions = NS + "#publish-options"
	// NSNodeConfig is the FORM_TYPE of a node's configuration form.
	NSNodeConfig = NS + "#node_config"
	// NSMetaData is the FORM_TYPE of a node's disco#info meta-data.
	NSMetaData = NS + "#meta-data"
)

// Errors of this package. Each error returned wraps one of them, or is
// the service's *stanza.Error, or a connection error.
var (
	// ErrMalformed: the service's answer cannot be read (an item
	// without an id where one is needed, a form that is not a form).
	ErrMalformed = errors.New("pubsub: malformed answer")
)

var (
	pubsubName = xml.Name{Space: NS, Local: "pubsub"}
	ownerName  = xml.Name{Space: NSOwner, Local: "pubsub"}
	eventName  = xml.Name{Space: NSEvent, Local: "event"}
)

// Manager is publish-subscribe on one connection (Smack's
// PubSubManager): it speaks to pubsub services and to the personal
// eventing service of accounts (PEP, XEP-0163), and delivers the event
// notifications the connection receives. Get the one of a connection
// with For; its zero value is not usable. All methods are safe for
// concurrent use, and may be called from listeners.
type Manager struct {
	c      *xmpp.Conn
	logger *slog.Logger
	events listeners.List[func(Event)]

	closeOnce sync.Once
	remove    func()
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's PubSubManager.getInstanceFor), connected or not. From then on
// the event notifications c receives reach the Manager's listeners;
// nothing else is registered and nothing is announced (a contact's PEP
// events need the +notify features, which package pep announces). For is
// safe for concurrent use; after Close it attaches a fresh Manager.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c, logger: c.Config().Logger}
	m.remove = c.HandleMessage(stanza.HasExtension(eventName), m.received)
	return m
}

// Close detaches the Manager from its connection (For then attaches a
// fresh one); its listeners hear nothing more. Requests in flight
// finish. Close is safe to call more than once, from any goroutine.
func (m *Manager) Close() {
	m.closeOnce.Do(func() {
		xmpp.Detach(m.c, m)
		m.remove()
		m.events.Clear()
	})
}

// Conn returns the connection the Manager is attached to.
func (m *Manager) Conn() *xmpp.Conn { return m.c }

// Node returns the handle of the node name on service: a pubsub service
// (such as pubsub.example.com) or an account's PEP service, its bare JID;
// the zero JID is the account's own PEP service (Smack's
// PubSubManager.getLeafNode and PepManager). A service JID with a
// resource is taken as its bare JID: a service's notifications never
// come from a full JID (see the package doc), so a Node on one would
// never hear an event. A Node is a value: making one sends nothing, and
// any number of them may name the same node.
func (m *Manager) Node(service jid.JID, name string) Node {
	if !service.IsZero() {
		service = service.Bare()
	}
	return Node{m: m, service: service, name: name}
}

// Nodes asks service (the zero JID: the account's own PEP service) for
// its nodes (XEP-0060 section 5.2): the disco#items of the service, or,
// when parent is not "", of that collection node. ctx bounds the
// request, which runs on the caller's goroutine; when it ends Nodes
// returns ctx.Err() and a late reply is dropped.
func (m *Manager) Nodes(ctx context.Context, service jid.JID, parent string) ([]disco.Item, error) {
	items, err := disco.For(m.c).Items(ctx, service, parent)
	if err != nil {
		return nil, fmt.Errorf("pubsub: nodes of %s: %w", describe(service), err)
	}
	return items, nil
}

// Subscriptions asks service (the zero JID: the account's own PEP
// service) for the account's subscriptions (XEP-0060 section 5.6): to
// every node when node is "", else to that node. ctx bounds the request
// as for Nodes.
func (m *Manager) Subscriptions(ctx context.Context, service jid.JID, node string) ([]Subscription, error) {
	q := stanza.Node{Name: xml.Name{Space: NS, Local: "subscriptions"}}
	q.Attrs = appendAttr(q.Attrs, "node", node)
	reply, err := m.request(ctx, stanza.Get, service, pubsubName, q)
	if err != nil {
		return nil, fmt.Errorf("pubsub: subscriptions at %s: %w", describe(service), err)
	}
	var subs []Subscription
	if l := child(reply, NS, "subscriptions"); l != nil {
		for k := range l.Nodes {
			if c := &l.Nodes[k]; c.Name.Space == NS && c.Name.Local == "subscription" {
				s, err := parseSubscription(c, l.Attr("node"))
				if err != nil {
					return nil, fmt.Errorf("pubsub: subscriptions at %s: %w", describe(service), err)
				}
				subs = append(subs, s)
			}
		}
	}
	return subs, nil
}

// Affiliations asks service (the zero JID: the account's own PEP
// service) for the account's affiliations (XEP-0060 section 5.7): with
// every node when node is "", else with that node. ctx bounds the
// request as for Nodes.
func (m *Manager) Affiliations(ctx context.Context, service jid.JID, node string) ([]Affiliation, error) {
	q := stanza.Node{Name: xml.Name{Space: NS, Local: "affiliations"}}
	q.Attrs = appendAttr(q.Attrs, "node", node)
	reply, err := m.request(ctx, stanza.Get, service, pubsubName, q)
	if err != nil {
		return nil, fmt.Errorf("pubsub: affiliations at %s: %w", describe(service), err)
	}
	var affs []Affiliation
	if l := child(reply, NS, "affiliations"); l != nil {
		for k := range l.Nodes {
			if c := &l.Nodes[k]; c.Name.Space == NS && c.Name.Local == "affiliation" {
				n := c.Attr("node")
				if n == "" {
					n = l.Attr("node")
				}
				affs = append(affs, Affiliation{Node: n, Affiliation: AffiliationType(c.Attr("affiliation"))})
			}
		}
	}
	return affs, nil
}

// request sends an IQ of type typ to service whose payload is the
// element wrapper (<pubsub/> of NS or NSOwner) holding children, and
// returns the reply's payload (nil for an empty result).
func (m *Manager) request(ctx context.Context, typ stanza.IQType, service jid.JID, wrapper xml.Name, children ...stanza.Node) (*stanza.Node, error) {
	iq := &stanza.IQ{Type: typ, Payload: &stanza.Node{Name: wrapper, Nodes: children}}
	iq.To = service
	reply, err := m.c.SendIQ(ctx, iq)
	if err != nil {
		return nil, err
	}
	return reply.Payload, nil
}

// own returns the account's bare JID: the owner of its PEP service.
func (m *Manager) own() jid.JID {
	if j := m.c.JID(); !j.IsZero() {
		return j.Bare()
	}
	return m.c.Config().JID.Bare()
}

func (m *Manager) debug(msg string, args ...any) {
	if m.logger != nil {
		m.logger.Debug("pubsub: "+msg, args...)
	}
}

// child returns the child local of the reply payload n when n is a
// <pubsub/> element, or nil.
func child(n *stanza.Node, space, local string) *stanza.Node {
	if n == nil {
		return nil
	}
	return n.Child(space, local)
}

func describe(j jid.JID) string {
	if j.IsZero() {
		return "the account"
	}
	return j.String()
}

// appendAttr appends the attribute local=value unless value is empty.
func appendAttr(attrs []xml.Attr, local, value string) []xml.Attr {
	if value == "" {
		return attrs
	}
	return append(attrs, xml.Attr{Name: xml.Name{Local: local}, Value: value})
}
