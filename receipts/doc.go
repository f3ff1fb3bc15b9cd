// Package receipts implements Message Delivery Receipts (XEP-0184): asking
// the recipient of a message to acknowledge it, answering such requests
// by policy, and telling the application which messages were acknowledged.
// It stands for Smack's DeliveryReceiptManager (Tracker), with
// DeliveryReceipt (Received), DeliveryReceiptRequest (Request),
// AutoReceiptMode (Mode) and ReceiptReceivedListener (OnReceipt, Receipt).
//
//	c := xmpp.New(cfg)
//	roster.For(c)          // whom to answer: contacts subscribed to the account's presence
//	r := receipts.For(c)   // answers those by default
//	r.SetAutoRequest(true) // and asks for receipts on messages with a body
//	r.OnReceipt(func(e receipts.Receipt) {
//		markDelivered(e.ID) // the id Send gave the message
//	})
//	if err := c.Connect(ctx); err != nil { ... }
//	msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hi"}}}
//	msg.To = juliet
//	err := c.Send(ctx, msg) // msg.ID is now set; a receipt will name it
//
// A bot that answers every request: receipts.For(c).SetMode(receipts.Always).
//
// # One per connection
//
// For returns the connection's Tracker, attaching it the first time
// (xmpp.Attach): code anywhere in a program that holds the Conn gets the
// same one, as Smack's getInstanceFor gives. Settings are methods, safe at
// any time (SetMode, SetAutoRequest). Close detaches it; For then attaches
// a new one.
//
// # Extensions
//
// Request and Received are typed extensions (stanza.Extension): read them
// with stanza.FindExtension, add them with stanza.AppendExtension, or add a
// request with AddRequest. Received also reads the receipts of Openfire
// deployments that write msgId='...' (with status and time) instead of
// id='...'.
//
// # Requesting
//
// With SetAutoRequest(true), the Tracker adds <request/> to each outgoing
// message that has a body, an id, a type of normal, chat or headline, and
// neither a request nor a receipt already; Conn.Send gives a message its
// id before the Tracker sees it. Automatic requests are off by default,
// as in Smack: XEP-0184 section 5 asks a sender to learn through service
// discovery whether the recipient's client supports receipts before
// requesting them at a full JID, and a sender must not depend on an
// answer anyway, so requests are only worth their bytes to an application
// that listens for receipts and says so. Groupchat messages never get an
// automatic request (section 5.3 does not recommend it: every occupant
// would answer, through the room); AddRequest adds one to any message but
// an error or an ack, for a caller who wants it.
//
// # Answering
//
// A request is answered with a message of the request's type to the full
// JID it came from, carrying only <received id='the message id'/> (no
// body, no thread: section 7 asks for one child). Which requests are
// answered is the Mode: IfSubscribed (the default, as in Smack) answers
// the senders allowed to see the account's presence, Always answers
// everyone, Never nobody. IfSubscribed honours section 8 (a receipt
// reveals that the account is online, so it should go only to those
// allowed to see its presence): it asks the roster.Roster attached to the
// connection (xmpp.Attached; the Tracker does not attach one itself)
// whether the sender's bare JID has subscription from or both, and
// answers the account's own resources and its server too. With no Roster
// attached, no contact gets a receipt, the safe side of that rule: attach
// the roster with roster.For(c), or choose Always. The Roster is asked at
// each request, so a request that arrives before the roster is loaded
// after login is not answered.
//
// Whatever the mode, no answer goes to a groupchat or error message, to a
// message without an id or a from, or to an ack message that also
// requests (a loop, section 5.4). Carbon copies and archived messages come
// wrapped in <forwarded/>, so their requests are never answered (section
// 5.5).
//
// # Receipts received
//
// OnReceipt listeners get a Receipt: the sender, the acknowledged
// message's id and the message that carried the receipt. Receipts in
// error messages (an ack that bounced) and receipts without an id are not
// reported. Receipts are best effort: one may never come, or come from
// several resources.
//
// # Concurrency
//
// The Tracker registers one interceptor and two message listeners on the
// connection and announces urn:xmpp:receipts; Close removes them all. The
// interceptor runs on the goroutine that calls Send; answering and
// reporting run on the connection's dispatcher goroutine, in the order
// messages arrive and in order with the connection's other listeners, so
// a receipt listener may Send. An answer is sent from the dispatcher
// before the listeners registered after the Tracker see the request. No
// goroutine is started. Every method is safe for concurrent use, and
// SetMode and SetAutoRequest take effect at once.
//
// # Coming from Smack
//
//	DeliveryReceiptManager.getInstanceFor(connection)       receipts.For(c)
//	setAutoReceiptMode(AutoReceiptMode.ifIsSubscribed)      the default; r.SetMode(receipts.IfSubscribed)
//	setAutoReceiptMode(always), (disabled)                  r.SetMode(receipts.Always), r.SetMode(receipts.Never)
//	autoAddDeliveryReceiptRequests()                        r.SetAutoRequest(true)
//	dontAutoAddDeliveryReceiptRequests()                    r.SetAutoRequest(false)
//	addReceiptReceivedListener(listener)                    r.OnReceipt(func(receipts.Receipt)), which returns its remove func
//	DeliveryReceiptRequest.addTo(message)                   receipts.AddRequest(m)
//	DeliveryReceipt.from(message)                           stanza.FindExtension(m.Extensions, &receipts.Received{})
package receipts
