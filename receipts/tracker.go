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
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Mode says which receipt requests a Tracker answers (Smack's
// AutoReceiptMode). The zero Mode is IfSubscribed, the default, as in
// Smack.
type Mode uint8

const (
	// IfSubscribed answers a request only when the sender may see the
	// account's presence (Smack's ifIsSubscribed): XEP-0184 section 8,
	// a receipt reveals that a client is online, so it should go only to
	// those allowed to know. Those are the contacts whose roster entry
	// has subscription from or both in the Roster attached to the
	// connection (roster.For), and the account's own resources and its
	// server, which see its presence anyway. With no Roster attached, no
	// contact is known to be subscribed and no contact gets a receipt:
	// attach the roster with roster.For(c), or choose Always.
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

// Receipt is what OnReceipt listeners hear: a receipt the account
// received (Smack's ReceiptReceivedListener.onReceiptReceived). The
// Tracker fills every field; the zero Receipt is never reported.
type Receipt struct {
	// From is the sender of the receipt, usually the full JID of the
	// client that got the message.
	From jid.JID
	// ID is the id of the message the receipt acknowledges (Openfire's
	// msgId too): the id Conn.Send gave it.
	ID string
	// Message is the message that carried the receipt, shared with the
	// connection's other listeners: read it, do not change it.
	Message *stanza.Message
}

// Tracker requests, answers and reports Message Delivery Receipts on one
// connection (Smack's DeliveryReceiptManager). For returns the one a
// connection has; its zero value is not usable. All methods are safe for
// concurrent use.
type Tracker struct {
	c *xmpp.Conn

	mode        atomic.Uint32 // a Mode
	autoRequest atomic.Bool

	listeners listeners.List[func(Receipt)]

	closeOnce sync.Once
	ctx       context.Context // ends at Close: bounds the acks in flight
	cancel    context.CancelFunc
	detach    []func()
}

// For returns the Tracker attached to c, attaching one the first time
// (Smack's DeliveryReceiptManager.getInstanceFor), connected or not. From
// then on c announces urn:xmpp:receipts for service discovery, answers
// receipt requests as the mode says (IfSubscribed until SetMode), reports
// receipts to the OnReceipt listeners, and, once SetAutoRequest(true),
// adds requests to outgoing messages. Attach it before Connect so that no
// request is missed; attaching later works from then on. It stays
// attached across streams until Close; For after Close attaches a new
// one. For is safe for concurrent use.
func For(c *xmpp.Conn) *Tracker {
	return xmpp.Attach(c, attach)
}

func attach(c *xmpp.Conn) *Tracker {
	t := &Tracker{c: c}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.detach = []func(){
		c.Announce(NS),
		c.Intercept(t.intercept),
		c.HandleMessage(stanza.HasExtension(requestName), t.answer),
		c.HandleMessage(stanza.HasExtension(receivedName), t.receipt),
	}
	return t
}

// Mode returns which requests the Tracker answers; IfSubscribed unless
// SetMode changed it.
func (t *Tracker) Mode() Mode { return Mode(t.mode.Load()) }

// SetMode changes which requests the Tracker answers (Smack's
// setAutoReceiptMode), from the next request the dispatcher delivers.
func (t *Tracker) SetMode(mode Mode) { t.mode.Store(uint32(mode)) }

// AutoRequest reports whether the Tracker adds a receipt request to
// outgoing messages; off unless SetAutoRequest turned it on.
func (t *Tracker) AutoRequest() bool { return t.autoRequest.Load() }

// SetAutoRequest turns automatic requests on outgoing messages on or off
// (Smack's autoAddDeliveryReceiptRequests and
// dontAutoAddDeliveryReceiptRequests), from the next Send. The default is
// off; see the package documentation for why and for which messages get
// one.
func (t *Tracker) SetAutoRequest(on bool) { t.autoRequest.Store(on) }

// OnReceipt registers f for the receipts the account receives (Smack's
// addReceiptReceivedListener). Receipts in messages of type error, and
// receipts that name no id, are not reported. A message may be
// acknowledged more than once, by each client that got it (XEP-0184
// section 4): listeners may see the same id from several senders.
//
// f runs on the connection's dispatcher goroutine, in wire order with the
// connection's other listeners (the receipt's message reaches the
// listeners registered before the Tracker first, then f, then those
// registered after it), and in the order the OnReceipt listeners were
// registered; it may Send. A nil f panics. The returned func removes
// exactly this registration; it is safe to call more than once. Receipts
// that arrive after Close are not reported.
func (t *Tracker) OnReceipt(f func(Receipt)) (remove func()) {
	if f == nil {
		panic("receipts: OnReceipt with a nil listener")
	}
	return t.listeners.Add(f)
}

// Close detaches the Tracker from its connection: the interceptor and
// listeners are removed, the feature is withdrawn from service discovery,
// and an ack being sent is abandoned; a listener running on the dispatcher
// at that moment finishes. The connection stays up, and its other
// registrations stay; For then attaches a new Tracker. Close is safe to
// call more than once, from any goroutine, listeners included.
func (t *Tracker) Close() {
	t.closeOnce.Do(func() {
		t.listeners.Clear()
		xmpp.Detach(t.c, t)
		// Withdrawing the feature runs the connection's OnAnnounce
		// callbacks (entity capabilities send presence).
		for _, f := range t.detach {
			f()
		}
		t.cancel()
	})
}

// intercept adds a request to an outgoing content message when automatic
// requests are on. It runs on the goroutine that called Send, after Send
// gave the message its id.
func (t *Tracker) intercept(st stanza.Stanza) {
	if !t.autoRequest.Load() {
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
func (t *Tracker) answer(msg *stanza.Message) {
	if !answerable(msg) {
		return
	}
	switch t.Mode() {
	case Always:
	case IfSubscribed:
		if !t.subscribed(msg.From) {
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
	_ = t.c.Send(t.ctx, ack)
}

// subscribed reports whether from may see the account's presence, for
// mode IfSubscribed: it is the account itself (another resource) or its
// server, or the Roster attached to the connection has it with
// subscription from or both. It asks the Roster each time, so a
// subscription approved or revoked counts from the next request; a
// request that comes before the Roster has loaded finds no entry.
func (t *Tracker) subscribed(from jid.JID) bool {
	bare := from.Bare()
	if self := t.c.JID(); !self.IsZero() && (bare == self.Bare() || bare == self.Domain()) {
		return true
	}
	r := xmpp.Attached[roster.Roster](t.c)
	if r == nil {
		return false
	}
	e, ok := r.Entry(bare)
	return ok && (e.Subscription == roster.SubscriptionFrom || e.Subscription == roster.SubscriptionBoth)
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
func (t *Tracker) receipt(msg *stanza.Message) {
	if msg.Type == stanza.MessageError || msg.Error != nil {
		return // our own ack bounced back, or a receipt that failed
	}
	if t.listeners.Len() == 0 {
		return
	}
	var r Received
	if ok, err := stanza.FindExtension(msg.Extensions, &r); !ok || err != nil {
		return
	}
	e := Receipt{From: msg.From, ID: r.ID, Message: msg}
	for f := range t.listeners.All() {
		f(e)
	}
}
