package pep

import (
	"context"
	"slices"
	"strings"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/xmpp"
)

// NotifySuffix is what a node's name takes to become the feature that
// asks for its notifications (XEP-0163 section 4): "urn:xmpp:avatar:metadata"
// + NotifySuffix.
const NotifySuffix = "+notify"

// Manager is the personal eventing protocol (XEP-0163) on one connection
// (Smack's PepManager): it publishes to the account's own PEP nodes and
// delivers its contacts' (and its own) PEP notifications for the nodes
// the application listens to, announcing its interest in them. Get the
// one of a connection with For; its zero value is not usable. All
// methods are safe for concurrent use, and may be called from
// listeners.
type Manager struct {
	c       *xmpp.Conn
	removes listeners.Removals // the listeners' removals, for Close
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's PepManager.getInstanceFor), together with entity
// capabilities (caps.For, and so disco.For), which carry the interest
// in nodes to the contacts' servers, and pubsub.For, which reads the
// notifications. Attach it, and register the listeners, before
// Connect, so that the first presence already names the nodes. For is
// safe for concurrent use; after Close it attaches a fresh Manager.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	caps.For(c)
	pubsub.For(c)
	return &Manager{c: c}
}

// Close detaches the Manager from its connection (For then attaches a
// fresh one): its listeners hear nothing more and the +notify features
// they announced are withdrawn. The pubsub.Manager and caps.Tracker it
// attached stay attached. Each call goes through the pubsub.Manager
// attached at that time (pubsub.For): closing the pubsub.Manager drops
// the listeners registered through it, and the ones registered after
// that go through the fresh one. Close is safe to call more than once.
func (m *Manager) Close() {
	xmpp.Detach(m.c, m)
	m.removes.Close()
}

// Node returns the handle of the PEP node name of the account owner (a
// bare JID; a full one is taken as its bare JID; the zero JID: the
// account's own), to read its items, subscribe, or, for one's own,
// configure and delete it.
func (m *Manager) Node(owner jid.JID, name string) pubsub.Node {
	if !owner.IsZero() {
		owner = owner.Bare()
	}
	return pubsub.For(m.c).Node(owner, name)
}

// Publish publishes item to the account's own PEP node node, which the
// server creates when it does not exist yet, configured by opts (the
// zero PublishOptions: the server's defaults, for PEP an access model
// of presence), and returns the item's id (see pubsub.Node.Publish).
// Contacts that announce node+notify get the item as a notification.
//
// ctx bounds the request, which runs on the caller's goroutine; when it
// ends Publish returns ctx.Err() and a late reply is dropped. The
// server's refusal is its *stanza.Error.
func (m *Manager) Publish(ctx context.Context, node string, item pubsub.Item, opts pubsub.PublishOptions) (string, error) {
	return pubsub.For(m.c).Node(jid.JID{}, node).Publish(ctx, item, opts)
}

// OnEvent registers f to hear the PEP notifications of node: those of
// the contacts' nodes of that name, and of the account's own, each from
// the account whose node it is (Event.Service, a bare JID; the
// account's own bare JID for its own node). Notifications of a pubsub
// service's node of the same name do not reach f, nor does anything
// pubsub.Manager refuses (see package pubsub). f is registered with
// the pubsub.Manager attached now: closing that one drops it (see Close).
//
// While f is registered the client announces node+"+notify" in its
// service discovery and so in its entity capabilities, which is how
// the contacts' servers learn to send the notifications (XEP-0163
// section 4); the presence that carries the new capabilities is sent
// again when f is registered after the initial presence (see package
// caps). Removing the last listener of a node withdraws the feature.
//
// f runs on the connection's dispatcher, in order with the stanzas
// around the notification. The returned func removes exactly this
// registration and is safe to call more than once. A nil f, or an empty
// node, panics.
func (m *Manager) OnEvent(node string, f func(pubsub.Event)) (remove func()) {
	if f == nil {
		panic("pep: OnEvent with a nil listener")
	}
	if node == "" {
		panic("pep: OnEvent with an empty node")
	}
	withdraw := m.c.Announce(node + NotifySuffix)
	stop := pubsub.For(m.c).OnEvent(func(e pubsub.Event) {
		if e.Node == node && e.Service.Localpart() != "" {
			f(e)
		}
	})
	return m.removes.Track(func() {
		stop()
		withdraw()
	})
}

// Interests returns the nodes the client announces interest in (the
// node+notify features announced on the connection, by this Manager or
// anyone else), sorted.
func (m *Manager) Interests() []string {
	var nodes []string
	for _, f := range m.c.Announced() {
		if n, ok := strings.CutSuffix(f, NotifySuffix); ok && n != "" {
			nodes = append(nodes, n)
		}
	}
	slices.Sort(nodes)
	return nodes
}
