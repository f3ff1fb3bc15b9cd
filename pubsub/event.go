package pubsub

import (
	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// EventKind says what an event notification tells.
type EventKind string

// The kinds of event (XEP-0060 sections 7.1.2, 7.2.2, 8.2.5, 8.4.2,
// 8.5.2).
const (
	// EventItems: items were published (Event.Items) or retracted
	// (Event.Retracted), or both.
	EventItems EventKind = "items"
	// EventPurge: every item of the node was deleted.
	EventPurge EventKind = "purge"
	// EventDelete: the node was deleted (Event.Redirect may name its
	// replacement).
	EventDelete EventKind = "delete"
	// EventConfig: the node's configuration changed (Event.Config holds
	// it when the service sent it).
	EventConfig EventKind = "configuration"
)

// Event is one event notification (XEP-0060 section 4.3): a message
// carrying <event xmlns='http://jabber.org/protocol/pubsub#event'/>,
// accepted from the service the node lives on. The zero Event names no
// service, no node and no kind; an Event is a plain value, whose Items'
// payloads and Message are shared with the other listeners and must not
// be changed.
type Event struct {
	// Service is who sent the notification, the service the node lives
	// on: a pubsub service's JID, or the bare JID of the account whose
	// PEP node it is (the account's own bare JID for its own nodes,
	// whether the server wrote it or left the message without from).
	Service jid.JID
	// Node is the node's name.
	Node string
	// Kind is what happened.
	Kind EventKind
	// Items are the items published, with their payloads where the
	// node delivers them (EventItems).
	Items []Item
	// Retracted are the ids of the items retracted (EventItems).
	Retracted []string
	// Redirect is the URI of the node that replaces a deleted one
	// (EventDelete); "" when none.
	Redirect string
	// Config is the node's new configuration (EventConfig); nil when
	// the notification carries none.
	Config *dataform.Form
	// Delay is the delayed-delivery mark (XEP-0203) of a notification
	// sent late: the last item of a node sent when the account came
	// online, or one held while it was offline; the zero Delay
	// otherwise.
	Delay delay.Delay
	// Message is the notification as received; it is shared and must
	// not be changed.
	Message *stanza.Message
}

// ParseEvent reads the event notification msg carries, filling all of
// Event but Service, which only the Manager decides (see the package
// doc). It reports false when msg carries no event, or an event of a
// kind this package does not model (subscription and collection
// notifications); a notification it cannot read is false too.
func ParseEvent(msg *stanza.Message) (Event, bool) {
	if msg.Type == stanza.MessageError {
		return Event{}, false
	}
	var ev *stanza.Node
	for k := range msg.Extensions {
		if msg.Extensions[k].Name == eventName {
			ev = &msg.Extensions[k]
			break
		}
	}
	if ev == nil {
		return Event{}, false
	}
	e := Event{Message: msg}
	e.Delay, _ = delay.Of(msg)
	for k := range ev.Nodes {
		c := &ev.Nodes[k]
		if c.Name.Space != NSEvent {
			continue
		}
		e.Node = c.Attr("node")
		if e.Node == "" {
			continue
		}
		switch c.Name.Local {
		case "items":
			e.Kind = EventItems
			for j := range c.Nodes {
				it := &c.Nodes[j]
				if it.Name.Space != NSEvent {
					continue
				}
				switch it.Name.Local {
				case "item":
					e.Items = append(e.Items, parseItem(it))
				case "retract":
					if id := it.Attr("id"); id != "" {
						e.Retracted = append(e.Retracted, id)
					}
				}
			}
		case "purge":
			e.Kind = EventPurge
		case "delete":
			e.Kind = EventDelete
			if r := c.Child(NSEvent, "redirect"); r != nil {
				e.Redirect = r.Attr("uri")
			}
		case "configuration":
			e.Kind = EventConfig
			f := new(dataform.Form)
			if ok, err := stanza.FindExtension(c.Nodes, f); ok && err == nil {
				e.Config = f
			}
		default:
			continue
		}
		return e, true
	}
	return Event{}, false
}

// received takes an event notification the connection read: on the
// dispatcher, in order with the stanzas around it.
func (m *Manager) received(msg *stanza.Message) {
	e, ok := ParseEvent(msg)
	if !ok {
		return
	}
	service, ok := m.source(msg.From)
	if !ok {
		m.debug("dropped an event notification from a full JID", "from", msg.From, "node", e.Node)
		return
	}
	e.Service = service
	for f := range m.events.All() {
		f(e)
	}
}

// source returns the service a notification from "from" comes from, or
// false when from cannot be a service: a full JID is a client's
// address, never a pubsub service's nor an account's PEP service's
// (RFC 6120 makes servers stamp a client's full JID on what it sends),
// so another client, another resource of the account included, cannot
// pass off a message as a notification. No from is the account's own
// server speaking for the account (RFC 6120 section 8.1.2.1): its PEP
// service.
func (m *Manager) source(from jid.JID) (jid.JID, bool) {
	switch {
	case from.IsZero():
		return m.own(), true
	case from.Resourcepart() != "":
		return jid.JID{}, false
	}
	return from, true
}

// OnEvent registers f to hear every event notification the Manager
// accepts, from any service (see the package doc for which it accepts).
// f runs on the connection's dispatcher, in order with the stanzas
// around the notification. The returned func removes exactly this
// registration and is safe to call more than once. A nil f panics.
func (m *Manager) OnEvent(f func(Event)) (remove func()) {
	if f == nil {
		panic("pubsub: OnEvent with a nil listener")
	}
	return m.events.Add(f)
}

// OnEvent registers f to hear the event notifications of this node, from
// the service it lives on only: an event of the same name from any
// other service does not reach f. It is Manager.OnEvent otherwise.
func (n Node) OnEvent(f func(Event)) (remove func()) {
	if f == nil {
		panic("pubsub: OnEvent with a nil listener")
	}
	return n.m.events.Add(func(e Event) {
		if e.Node != n.name {
			return
		}
		service := n.service
		if service.IsZero() {
			service = n.m.own()
		}
		if e.Service == service {
			f(e)
		}
	})
}
