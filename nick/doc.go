// Package nick is user nicknames (XEP-0172): the name a person chooses
// for themselves, published to their PEP node and heard by their
// contacts, and the <nick/> element a subscription request or a first
// message carries. It stands for Smack's Nick element
// (org.jivesoftware.smackx.nick.packet.Nick) and for the nickname
// publishing and listening that Smack does with PepManager
// (UserNicknameManager); Manager comes from For(c), as every manager
// here does.
//
//	m := nick.For(c) // before Connect: the first presence asks for nicknames
//	m.OnNick(func(n nick.Nick) {
//		fmt.Printf("%s is now called %q\n", n.JID, n.Name)
//	})
//	if err := c.Connect(ctx); err != nil { ... }
//	err := m.Publish(ctx, "Alice")
//	name, err := m.Get(ctx, contact) // the contact's current one, asked
//
// # Interest while listening
//
// OnNick is built on pep.Manager.OnEvent: while at least one listener
// is registered the client announces
// http://jabber.org/protocol/nick+notify in its capabilities, so the
// contacts' servers send each change and the current nickname when the
// contact comes online; the last listener removed, or Close, withdraws
// it. All OnNick listeners share one registration with package pep.
//
// # Whose nickname
//
// A Nick names the account whose PEP node sent it (Nick.JID, a bare
// JID), as package pubsub decides it: from the sender of the
// notification, never from its content; notifications from full JIDs
// and pubsub services' nodes of the same name are not nicknames. An
// empty nickname, a retraction, a purge or a deletion is a cleared
// nickname (Name ""). A <nick/> in a message or presence (Of) is only
// what its sender claims: XEP-0172 asks to show it as that, and not to
// replace the name the user gave the contact.
//
// # Concurrency and contexts
//
// A Manager is safe for concurrent use. Listeners run on the
// connection's dispatcher, in order with the stanzas around the
// notification. Publish and Get run on the caller's goroutine and may be
// called from a listener: ctx bounds the wait for the reply, and when it
// ends they return ctx.Err() and a late reply is dropped.
package nick
