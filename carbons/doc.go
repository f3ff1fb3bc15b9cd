// Package carbons keeps every client of an account in the whole
// conversation with message carbons (XEP-0280): the account's server
// sends each client a copy of the one-to-one messages the account's
// other clients send and receive, so a phone sees what the laptop wrote.
//
//	c := xmpp.New(cfg)
//	carbons.For(c).OnCarbon(func(cb carbons.Carbon) {
//		m := cb.Message // the copied message, as the other client sent or received it
//		switch cb.Direction {
//		case carbons.Sent:
//			fmt.Printf("me (%s) -> %s: %s\n", cb.Device(), m.To, m.Body(""))
//		case carbons.Received:
//			fmt.Printf("%s (to %s): %s\n", m.From, cb.Device(), m.Body(""))
//		}
//	})
//	if err := c.Connect(ctx); err != nil { ... }
//
//	secret := &stanza.Message{To: bob, Type: stanza.Chat, Bodies: []stanza.Text{{Value: "for this device only"}}}
//	carbons.Private(secret) // not copied to the account's other clients
//	err := c.Send(ctx, secret)
//
// # One per connection
//
// For returns the connection's Carbons, attaching it the first time
// (xmpp.Attach); Close detaches it and For then attaches a fresh one. It
// stands for Smack's CarbonManager: CarbonManager.getInstanceFor(c) is
// For(c), enableCarbons and disableCarbons are SetEnabled(true) and
// SetEnabled(false), isEnabled is Active, and
// addCarbonCopyReceivedListener is OnCarbon. CarbonExtension.Private's
// addTo is Private.
//
// # Enabling
//
// Carbons are on for a client once it asks its server (<enable/>), and
// only for the session it asked in. The Carbons asks at the start of
// every new session, unless SetEnabled(false) said not to, and asks
// again at once when SetEnabled changes the setting during a session. A
// session resumed with stream management (XEP-0198) is the same session
// on the server, which kept carbons on: nothing is asked again. The
// Carbons does not look at the server's service discovery first: the
// answer to <enable/> says as much (a server without carbons answers
// with an error), costs one round trip instead of two, and is read where
// it lands, off the dispatcher, without holding up any listener. Active
// reports the answer; an error answer is logged to Config.Logger. On a
// server with SASL2 and Bind2 (XEP-0388, XEP-0386) that enables carbons
// inline, the Carbons asks inside the Bind2 request instead
// (xmpp.Conn.InlineBind): the session starts with carbons on, and no
// request follows the login.
//
// # Who may send a carbon
//
// Forged carbons were how clients were broken into (CVE-2017-5589 and
// its siblings): a contact who writes a message that looks like a copy
// makes the client show words the user never wrote, or a message "from"
// anyone. A copy is accepted only when the message that carries it
// comes from the account's own bare JID, as XEP-0280 section 11 says, or
// has no from at all: RFC 6120 section 8.1.2.1 lets the server write
// either for a stanza it sends on the account's behalf, and it stamps
// the from of every stanza it routes from anyone else, so neither can be
// forged from outside. A full JID (a contact's, another resource of the
// account's, or this client's own) is a client writing, not the server,
// and is refused. So is a carrier that is an error, that holds more than
// one copy, a copy that holds anything but one forwarded message, a sent
// copy of a message the account did not send and a received copy of one
// not addressed to it. A refused carbon is dropped: it reaches no
// listener and no chat, and is logged to Config.Logger at info level.
// Of applies the same checks for code that reads carbons itself.
//
// # What the other listeners see
//
// The message that carries a copy is a message of its own: from the
// account's bare JID, without a body, usually of the copied message's
// type (chat). A listener registered with the connection's HandleMessage
// sees it as it is; one that looks for bodies (stanza.IsMessage with a
// body check, package chat's grouping) passes it over, and package
// receipts never answers a request inside it. Package chat reads the
// copies through Of and puts each in its contact's chat (see chat's
// documentation), whether or not a Carbons is attached.
//
// # Cost
//
// A copy is decoded by the connection's one decoder (package forward):
// receiving with carbons costs one more element to read per copy, not a
// second path (BENCHMARKS.md). The Carbons decodes a copy once, however
// many of Of's callers read it.
//
// # Goroutines and order
//
// The Carbons runs no goroutine of its own. OnCarbon listeners run on the
// connection's dispatcher, in wire order with its other listeners; the
// request at the start of a session is sent from the dispatcher as the
// session's StateAuthenticated is delivered, and its answer is applied on
// the connection's reader. All methods may be called from any goroutine.
package carbons
