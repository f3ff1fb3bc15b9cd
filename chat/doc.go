// Package chat groups one-to-one chat messages into conversations, one
// per contact, and sends through them the way RFC 6121 section 5.1 asks:
// to the full JID the contact last wrote from ("resource locking"), in the
// conversation's thread.
//
// It stands for Smack's chat2 package: ChatManager is Chats
// (ChatManager.getInstanceFor(connection) is For(c), chatWith is
// Chats.Chat), Chat keeps its name, IncomingChatMessageListener is
// Chats.OnMessage and OutgoingChatMessageListener is Chats.OnOutgoing;
// Chats.OnChat stands for the older ChatManagerListener.
//
//	c := xmpp.New(cfg)
//	chats := chat.For(c) // the chats of c
//	chats.OnMessage(func(e chat.Incoming) {
//		// e.Chat is the sender's chat, now locked to e.Message.From.
//		e.Chat.Send(ctx, "you said: "+e.Message.Body(""))
//	})
//	if err := c.Connect(ctx); err != nil { ... }
//	juliet := chats.Chat(jid.MustParse("juliet@example.com"))
//	id, err := juliet.Send(ctx, "hi") // to juliet@example.com, type chat, a new thread
//	// A delivery receipt for the message carries id.
//
// # One per connection
//
// For returns the connection's Chats, attaching it the first time
// (xmpp.Attach): every part of a program that holds the Conn gets the
// same one, so each message makes one chat and reaches each listener
// once. Close detaches it; For then attaches a fresh one. Its settings
// (SetLocking, SetMaxChats, SetNormalMessages) are methods that may be
// called at any time, each saying when it takes effect.
//
// # What makes a chat
//
// A Chat is keyed by the contact's bare JID. Incoming messages of type
// chat that have a body get or create the sender's chat and are reported
// to the OnMessage listeners; with SetNormalMessages(true), messages of
// type normal (or without a type) that have a body are taken too, as
// Smack's chat2 does. Left alone: messages without a body (chat states,
// receipts, markers: their own managers handle them), groupchat and
// headline messages, private messages relayed by a multi-user chat room
// (they carry muc#user's <x/>, and a room's occupants share its bare JID),
// messages without a from (the server's) and messages from the account's
// own resources, other than the carbon copies described below. Error messages are not reported either: one
// from the resource a chat is locked to unlocks the chat, since that
// resource is gone; to see errors, register a listener on the connection
// with stanza.IsMessage(stanza.MessageError).
//
// Outgoing chat messages are reported to the OnOutgoing listeners: the
// ones a Chat sends, and the ones sent with the connection's Send that
// Chats would take if they came in (which get or create the addressee's
// chat, so a conversation is grouped whichever way it was sent). Only
// Chat.Send and Chat.SendMessage address and thread a message. Both
// return the message's id as written on the wire, the one a delivery
// receipt (package receipts) or a chat marker refers to.
//
// # Carbons
//
// When the account's server sends carbon copies (XEP-0280: attach
// package carbons, which asks for them), each copy of a chat message
// goes into the contact's chat and to the OnMessage listeners, with
// Incoming.Carbon saying which way it went: carbons.Sent for a message
// another client of the account sent to the contact (its From is that
// client, its To the contact: the user's own words, sent from another
// device), carbons.Received for one the contact sent to another client
// of the account. Copies are read with carbons.Of, so only those whose
// carrier came from the account's own bare JID are taken; a forged one
// reaches no chat. A copy takes the same messages a chat would (type
// chat, a body), creates the contact's chat if needed (Local false) and
// moves its thread, but never locks, unlocks or moves the chat's lock:
// that belongs to the exchange between the contact and the other
// client. Listeners that answer messages (a bot) should skip copies:
// the other client answers its own.
//
// # Resource locking
//
// A chat asked for with a bare JID starts unlocked: it sends to the
// contact's bare JID, and the server delivers to the resources it
// chooses. A chat asked for with a full JID (bob@example.com/phone) is
// locked to that resource from the start. A message from the contact
// locks the chat to the full JID it came from (a message from the bare
// JID unlocks it); a message from another resource moves the lock there.
// Any presence from the locked full JID (unavailable, or a new show,
// status or priority) unlocks it, and so does any presence from the bare
// JID, an error message from the locked JID, the end of the stream
// (presence may be missed while disconnected), and Chat.Unlock. This is
// RFC 6121 section 5.1 with XEP-0296's reading of it. Presence reaches the
// account only from contacts it is subscribed to, or who sent it directed
// presence; without it a lock lasts until the contact writes from another
// resource. SetLocking(false) stops messages from locking: a chat then
// sends to the bare JID unless the caller named a resource.
//
// # Threads
//
// Each chat has a thread id (RFC 6121 section 5.2.5, XEP-0201): the last
// one the contact used, or, when the contact has used none, the one of the
// first message sent in the chat: that message's own thread, or one the
// chat makes up (crypto/rand). Chat.SendMessage adds it to messages that
// have no thread of their own.
//
// # Memory
//
// Chats keeps a Chat per contact until Chat.Close, Chats.Close or
// eviction: anyone can send a chat message, so a flood from many addresses
// would otherwise grow without bound. SetMaxChats (DefaultMaxChats unless
// set; 0 for no bound) caps the number kept; the least recently used chat
// (by messages either way and by Chats.Chat) is removed to make room for
// a new one. A removed Chat still sends, but a later message from its
// contact starts a new Chat (reported to OnChat again). A Chat is a few
// hundred bytes.
//
// # Goroutines and order
//
// Chats runs no goroutine of its own. Its events run on the connection's
// dispatcher, one at a time, in order with the stanzas that caused them
// and with the connection's other listeners (Conn.HandleMessage): the
// OnChat and OnMessage listeners for an incoming message run as that
// message is handled, after the chat was updated for it, OnChat first
// for a new chat. A chat started locally (Chats.Chat, or a chat message
// sent with the connection's Send) is announced to OnChat with
// Conn.Dispatch: after the stanzas queued when it was made, and always
// before any OnMessage for it. Listeners may call Chat.Send and the
// connection's SendIQ and wait; the connection's other listeners wait
// meanwhile. OnOutgoing listeners are interceptors rather than events:
// they run inside the connection's Send, on the goroutine that sends,
// so that they may add to the message; they must neither block nor send,
// and may see a chat before its OnChat did. All methods may be called
// from any goroutine.
package chat
