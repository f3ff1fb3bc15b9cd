package receipts

import (
	"context"
	"encoding/xml"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Mode says which receipt requests a Manager answers (Smack's
// AutoReceiptMode). The zero Mode is IfSubscribed, Smack's default.
type Mode uint8

const (
	// IfSubscribed answers a request only when the sender may see the
	// account's presence, as the function given with IsSubscribed says
	// (Smack's ifIsSubscribed). XEP-0184 section 8: a receipt reveals
	// that a client is online, so it should not go to senders who are not
	// allowed to know. Without IsSubscribed nobody is known to be
	// subscribed, and no request is answered.
	IfSubscribed Mode = iota
	// Always answers every request that may be answered (Smack's always):
	// for bots and services.
	Always
	// Never answers no request (Smack's disabled).
	Never
)

// String returns the mode's name, as used in logs.
func (m Mode) String() string {
	switch m {
	case IfSubscribed:
		return "if-subscribed"
	case Always:
		return "always"
	case Never:
		return "never"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// An Option configures a Manager in New.
type Option func(*Manager)

// Answer sets which requests the Manager answers; the default is
// IfSubscribed. SetMode changes it later.
func Answer(mode Mode) Option {
	return func(m *Manager) { m.mode.Store(uint32(mode)) }
}

// IsSubscribed gives the Manager the function that tells, in mode
// IfSubscribed, whether a sender may see the account's presence: the
// roster's answer to "is this contact subscribed to me?" (subscription
// from or both). It receives the sender's address as received, usually a
// full JID; compare its Bare(). It runs on the connection's dispatcher
// goroutine, one call at a time, and should return quickly: the
// connection's other listeners wait meanwhile.
func IsSubscribed(f func(from jid.JID) bool) Option {
	return func(m *Manager) { m.subscribed = f }
}

// AutoRequest makes the Manager add a receipt request to outgoing
// messages (Smack's autoAddDeliveryReceiptRequests) when on is true. The
// default is off; see the package documentation for why and for which
// messages get one. SetAutoRequest changes it later.
func AutoRequest(on bool) Option {
	return func(m *Manager) { m.autoRequest.Store(on) }
}

// Manager requests, answers and reports Message Delivery Receipts on one
// connection (Smack's DeliveryReceiptManager). New attaches it; Close
// detaches it. There is no zero value to use: build it with New.
//
// All methods are safe for concurrent use.
type Manager struct {
	c          *xmpp.Conn
	subscribed func(jid.JID) bool // nil: nobody

	mode        atomic.Uint32 // a Mode
	autoRequest atomic.Bool

	mu        sync.Mutex // serializes changes to listeners and closing
	listeners listeners.List[func(from jid.JID, id string, m *stanza.Message)]
	closed    bool
	ctx       context.Context // ends at Close: bounds the acks in flight
	cancel    context.CancelFunc
	detach    []func()
}

// New attaches a Manager to c and returns it. It announces
// urn:xmpp:receipts for service discovery, answers receipt requests as the
// mode says (IfSubscribed unless an option says otherwise), reports
// receipts to the OnReceipt listeners, and, with AutoRequest(true), adds
// requests to outgoing messages. Attach it before Connect so that no
// request is missed; attaching later works from then on.
//
// Attach one Manager per connection: two would answer every request twice.
func New(c *xmpp.Conn, opts ...Option) *Manager {
	m := &Manager{c: c}
	for _, o := range opts {
		o(m)
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.detach = []func(){
		c.Announce(NS),
		c.Intercept(m.intercept),
		c.HandleMessage(stanza.HasExtension(requestName), m.answer),
		c.HandleMessage(stanza.HasExtension(receivedName), m.receipt),
	}
	return m
}

// Mode returns the current answer mode.
func (m *Manager) Mode() Mode { return Mode(m.mode.Load()) }

// SetMode changes which requests the Manager answers, from the next
// request the dispatcher delivers (Smack's setAutoReceiptMode).
func (m *Manager) SetMode(mode Mode) { m.mode.Store(uint32(mode)) }

// SetAutoRequest turns automatic requests on outgoing messages on or off,
// from the next Send (Smack's autoAddDeliveryReceiptRequests and
// dontAutoAddDeliveryReceiptRequests).
func (m *Manager) SetAutoRequest(on bool) { m.autoRequest.Store(on) }

// OnReceipt registers f for the receipts the account receives (Smack's
// addReceiptReceivedListener): from is the sender of the receipt, id the
// id of the message it acknowledges (Openfire's msgId too), m the message
// that carried it. Receipts in messages of type error, and receipts that
// name no id, are not reported. A message may be acknowledged more than
// once, by each client that got it (XEP-0184 section 4): listeners may see
// the same id from several senders.
//
// f runs on the connection's dispatcher goroutine, with the other
// listeners, in the order receipts arrive and in the order the listeners
// were registered; it may Send. The returned func removes f; it is safe to
// call more than once. Receipts that arrive after Close are not reported.
func (m *Manager) OnReceipt(f func(from jid.JID, id string, m *stanza.Message)) (remove func()) {
	return m.listeners.Add(f)
}

// Close detaches the Manager from its connection: the interceptor and
// listeners are removed, the feature is withdrawn from service discovery,
// and an ack being sent is abandoned; a listener running on the dispatcher
// at that moment finishes. The connection stays up, and its other
// registrations stay. Close is safe to call more than once.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.listeners.Clear()
	m.mu.Unlock()
	// Outside the lock: withdrawing the feature runs the connection's
	// OnAnnounce callbacks (entity capabilities send presence).
	for _, f := range m.detach {
		f()
	}
	m.cancel()
}

// intercept adds a request to an outgoing content message when automatic
// requests are on. It runs on the goroutine that called Send, after Send
// gave the message its id.
func (m *Manager) intercept(st stanza.Stanza) {
	if !m.autoRequest.Load() {
		return
	}
	msg, ok := st.(*stanza.Message)
	if !ok || !wantsRequest(msg) {
		return
	}
	msg.Extensions = append(slices.Clip(msg.Extensions), requestNode)
}

// wantsRequest reports whether an outgoing message gets an automatic
// request: a content message (one with a body) of type normal, chat or
// headline, with an id, that carries neither a request nor a receipt
// (Smack's MESSAGES_TO_REQUEST_RECEIPTS_FOR, plus the id XEP-0184 section
// 7 requires and the check that avoids a second request).
func wantsRequest(msg *stanza.Message) bool {
	switch msg.Type {
	case "", stanza.Normal, stanza.Chat, stanza.Headline:
	default: // groupchat, error, or unknown
		return false
	}
	if len(msg.Bodies) == 0 || msg.ID == "" || msg.Error != nil {
		return false
	}
	request, received := scan(msg.Extensions)
	return !request && !received
}

// answer sends the receipt for a message that requests one, when the
// rules and the mode allow.
func (m *Manager) answer(msg *stanza.Message) {
	if !answerable(msg) {
		return
	}
	switch m.Mode() {
	case Always:
	case IfSubscribed:
		if m.subscribed == nil || !m.subscribed(msg.From) {
			return
		}
	default:
		return
	}
	// XEP-0184 section 7: the same type as the request, and only the
	// <received/> child (no body, no thread). Send gives it an id.
	ack := &stanza.Message{Type: msg.Type, Extensions: []stanza.Node{{
		Name:  receivedName,
		Attrs: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: msg.ID}},
	}}}
	ack.To = msg.From
	// Best effort, as receipts are: a failed ack (the stream ended, Close
	// was called) is dropped. Send returns when the stream ends, so this
	// never holds the dispatcher longer than the write takes.
	_ = m.c.Send(m.ctx, ack)
}

// answerable reports whether a request may be answered at all, whatever
// the mode. Not in a groupchat: XEP-0184 section 5.3 advises against
// requests there (every occupant would answer, through the room), and
// section 7 would send the ack to the room, not to the sender. Not in an
// error message. Not without an id to echo (section 7) or a sender to
// answer. Not in an ack message: a request there is a loop (section 5.4).
// Carbon copies (XEP-0280) and archived messages (XEP-0313) arrive wrapped
// in <forwarded/>, so their requests are never seen here, as section 5.5
// requires for archived messages.
func answerable(msg *stanza.Message) bool {
	if msg.Type == stanza.Groupchat || msg.Type == stanza.MessageError || msg.Error != nil {
		return false
	}
	if msg.ID == "" || msg.From.IsZero() {
		return false
	}
	_, received := scan(msg.Extensions)
	return !received
}

// receipt reports a received receipt to the listeners.
func (m *Manager) receipt(msg *stanza.Message) {
	if msg.Type == stanza.MessageError || msg.Error != nil {
		return // our own ack bounced back, or a receipt that failed
	}
	if m.listeners.Len() == 0 {
		return
	}
	var r Received
	if ok, err := stanza.FindExtension(msg.Extensions, &r); !ok || err != nil {
		return
	}
	for f := range m.listeners.All() {
		f(msg.From, r.ID, msg)
	}
}
