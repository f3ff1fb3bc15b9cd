package push

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Namespaces of Push Notifications (XEP-0357).
const (
	// NS is the namespace of <enable/>, <disable/> and <notification/>,
	// and the feature of an account whose server sends pushes.
	NS = "urn:xmpp:push:0"
	// FormSummary is the FORM_TYPE of a notification's summary.
	FormSummary = "urn:xmpp:push:summary"
	// formPublishOptions is the FORM_TYPE of the options Enable sends.
	formPublishOptions = "http://jabber.org/protocol/pubsub#publish-options"
	nsPubsub           = "http://jabber.org/protocol/pubsub"
)

// ErrMalformed is wrapped by ParseNotification's errors.
var ErrMalformed = errors.New("push: malformed notification")

// Manager turns push notifications on and off for the account (XEP-0357,
// Smack's PushNotificationsManager): the account's server then tells an
// app server (the "XMPP Push Service") when something arrives while
// the client is away, so that it can wake the app. For returns the one
// a connection has; its zero value is not usable. Its methods are safe
// for concurrent use.
type Manager struct {
	c *xmpp.Conn
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's PushNotificationsManager.getInstanceFor). It registers
// nothing on c. For is safe for concurrent use; after Close it attaches
// a fresh Manager.
func For(c *xmpp.Conn) *Manager {
	return xmpp.Attach(c, func(c *xmpp.Conn) *Manager { return &Manager{c: c} })
}

// Close detaches m from its connection. The registrations made with
// Enable stay on the server: Disable removes them. Close is safe to
// call more than once.
func (m *Manager) Close() { xmpp.Detach(m.c, m) }

// Supported reports whether the account's server sends push
// notifications (it announces NS on the account's bare JID). ctx bounds
// the service discovery query, which disco caches. Without a session
// (the account's JID is not known yet) it returns an error matching
// xmpp.ErrNotConnected.
func (m *Manager) Supported(ctx context.Context) (bool, error) {
	own := m.c.JID()
	if own.IsZero() {
		return false, fmt.Errorf("push: %w", xmpp.ErrNotConnected)
	}
	return disco.For(m.c).Supports(ctx, own.Bare(), NS)
}

// Enable asks the account's server to publish a notification to node on
// the push service (the app server's pubsub service) whenever something
// arrives for the user while the client is away (XEP-0357 section 5).
// options are publish-options fields the app server asks for, such as a
// secret ({Var: "secret", Values: []string{s}}); they are sent in a form
// of FORM_TYPE pubsub#publish-options. The server keeps the
// registration across sessions, until Disable.
//
// Enable waits for the server's answer on the caller's goroutine; ctx
// bounds it. An error reply is returned as an error wrapping its
// *stanza.Error. It may be called from a listener.
func (m *Manager) Enable(ctx context.Context, service jid.JID, node string, options ...dataform.Field) error {
	if service.IsZero() {
		return errors.New("push: Enable needs the push service's JID")
	}
	n := registration("enable", service, node)
	if len(options) > 0 {
		form := dataform.New(dataform.TypeSubmit, formPublishOptions, options...)
		x, err := form.MarshalNode()
		if err != nil {
			return fmt.Errorf("push: enable: %w", err)
		}
		n.Nodes = []stanza.Node{x}
	}
	return m.set(ctx, "enable", n)
}

// Disable asks the account's server to stop the notifications to node
// on service, or, with an empty node, to every node of service (XEP-0357
// section 6). It waits for the answer as Enable does.
func (m *Manager) Disable(ctx context.Context, service jid.JID, node string) error {
	if service.IsZero() {
		return errors.New("push: Disable needs the push service's JID")
	}
	return m.set(ctx, "disable", registration("disable", service, node))
}

func (m *Manager) set(ctx context.Context, op string, n stanza.Node) error {
	iq := &stanza.IQ{Type: stanza.Set, Payload: &n}
	if _, err := m.c.SendIQ(ctx, iq); err != nil {
		return fmt.Errorf("push: %s: %w", op, err)
	}
	return nil
}

func registration(op string, service jid.JID, node string) stanza.Node {
	n := stanza.Node{Name: xml.Name{Space: NS, Local: op}, Attrs: []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: service.String()}}}
	if node != "" {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "node"}, Value: node})
	}
	return n
}

// Notification is what a user's server publishes to a push service
// (XEP-0357 section 7), as an app server written with gosmack reads it
// with ParseNotification. Every field but Node may be empty: servers
// send as little as they are configured to.
type Notification struct {
	// Node is the push service's node the notification was published
	// to: the one the app client enabled.
	Node string
	// MessageCount is the number of messages waiting, when the summary
	// says (message-count); -1 when it does not.
	MessageCount int
	// LastSender is the sender of the last message (last-message-sender);
	// zero when not given or not a JID.
	LastSender jid.JID
	// LastBody is the body of the last message (last-message-body).
	LastBody string
	// Summary is the summary form (FORM_TYPE urn:xmpp:push:summary);
	// nil when there is none.
	Summary *dataform.Form
	// Options are the publish-options the server sent with it (the
	// secret the app client enabled with): a form whose FORM_TYPE is
	// pubsub#publish-options; nil when none.
	Options *dataform.Form
}

// ParseNotification reads the publish a user's server sent to a push
// service: the payload of an IQ set, <pubsub
// xmlns='http://jabber.org/protocol/pubsub'/> with a <publish/> whose
// item holds <notification xmlns='urn:xmpp:push:0'/>. An app server
// must check the IQ's sender and the secret in Options itself: anyone
// can send such an IQ. The error wraps ErrMalformed.
func ParseNotification(payload *stanza.Node) (Notification, error) {
	if payload == nil || payload.Name != (xml.Name{Space: nsPubsub, Local: "pubsub"}) {
		return Notification{}, fmt.Errorf("%w: not a pubsub publish", ErrMalformed)
	}
	pub := payload.Child(nsPubsub, "publish")
	if pub == nil || pub.Attr("node") == "" {
		return Notification{}, fmt.Errorf("%w: no <publish/> to a node", ErrMalformed)
	}
	item := pub.Child(nsPubsub, "item")
	var note *stanza.Node
	if item != nil {
		note = item.Child(NS, "notification")
	}
	if note == nil {
		return Notification{}, fmt.Errorf("%w: no <notification/>", ErrMalformed)
	}
	n := Notification{Node: pub.Attr("node"), MessageCount: -1}
	if x := note.Child(dataform.NS, "x"); x != nil {
		var f dataform.Form
		// XEP-0357's own example leaves FORM_TYPE without type='hidden',
		// which FormType requires: the value is what counts here.
		if err := f.UnmarshalNode(*x); err == nil && f.Value(dataform.FormTypeVar) == FormSummary {
			n.Summary = &f
			if c, err := strconv.Atoi(f.Value("message-count")); err == nil && c >= 0 {
				n.MessageCount = c
			}
			n.LastSender, _ = jid.Parse(f.Value("last-message-sender"))
			n.LastBody = f.Value("last-message-body")
		}
	}
	if po := payload.Child(nsPubsub, "publish-options"); po != nil {
		if x := po.Child(dataform.NS, "x"); x != nil {
			var f dataform.Form
			if err := f.UnmarshalNode(*x); err == nil && f.Value(dataform.FormTypeVar) == formPublishOptions {
				n.Options = &f
			}
		}
	}
	return n, nil
}
