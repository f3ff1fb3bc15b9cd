// Package chat groups one-to-one chat messages into conversations, one
// per contact, and sends through them the way RFC 6121 section 5.1 asks:
// to the full JID the contact last wrote from ("resource locking"), in the
// conversation's thread. It stands for Smack's chat2 package: ChatManager
// (Manager), Chat, IncomingChatMessageListener (Manager.OnMessage) and
// OutgoingChatMessageListener (Manager.OnOutgoing); Manager.OnChat stands
// for the old ChatManagerListener.
//
//	c := xmpp.New(cfg)
//	chats := chat.New(c)
//	defer chats.Close()
//	chats.OnMessage(func(ch *chat.Chat, msg *stanza.Message) {
//		// ch.JID() is the contact's bare JID; ch is now locked to msg.From.
//		ch.Send(ctx, "you said: "+msg.Body(""))
//	})
//	if err := c.Connect(ctx); err != nil { ... }
//	juliet := chats.Chat(jid.MustParse("juliet@example.com"))
//	err := juliet.Send(ctx, "hi") // to juliet@example.com, type chat, a new thread
//
// # What makes a chat
//
// A Chat is keyed by the contact's bare JID. Incoming messages of type
// chat that have a body get or create the sender's chat and are reported
// to the OnMessage listeners; with the NormalMessages option, messages of
// type normal (or without a type) that have a body are taken too, as
// Smack's chat2 does. Left alone: messages without a body (chat states,
// receipts, markers: their own managers handle them), groupchat and
// headline messages, private messages relayed by a multi-user chat room
// (they carry muc#user's <x/>, and a room's occupants share its bare JID),
// messages without a from (the server's), and messages from the account's
// own bare JID (its other resources; message carbons are a later issue).
// Error messages are not reported either: one from the resource a chat is
// locked to unlocks the chat, since that resource is gone; to see errors,
// register a listener on the connection with
// stanza.IsMessage(stanza.MessageError).
//
// Outgoing chat messages are reported to the OnOutgoing listeners: the
// ones a Chat sends, and the ones sent with the connection's Send that
// the Manager would take if they came in (which get or create the
// addressee's chat, so a conversation is grouped whichever way it was
// sent). Only Chat.Send and Chat.SendMessage address and thread a message.
//
// # Resource locking
//
// A new chat is unlocked: it sends to the contact's bare JID, and the
// server delivers to the resources it chooses. A message from the contact
// locks the chat to the full JID it came from (a message from the bare
// JID unlocks it); a message from another resource moves the lock there.
// Any presence from the locked full JID (unavailable, or a new show,
// status or priority) unlocks it, and so does any presence from the bare
// JID, an error message from the locked JID, the end of the stream
// (presence may be missed while disconnected), and Chat.Unlock. This is
// RFC 6121 section 5.1 with XEP-0296's reading of it. Presence reaches the
// account only from contacts it is subscribed to, or who sent it directed
// presence; without it a lock lasts until the contact writes from another
// resource. Locking(false) turns locking off: every message goes to the
// bare JID.
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
// The Manager keeps a Chat per contact until Chat.Close, Manager.Close or
// eviction: anyone can send a chat message, so a flood from many addresses
// would otherwise grow without bound. MaxChats (DefaultMaxChats unless
// set; 0 for no bound) caps the number kept; the least recently used chat
// (by messages either way and by Manager.Chat) is removed to make room for
// a new one. A removed Chat still sends, but a later message from its
// contact starts a new Chat (reported to OnChat again). A Chat is a few
// hundred bytes.
//
// # Goroutines and order
//
// The Manager runs no goroutine of its own. OnMessage and OnChat listeners
// for incoming messages run on the connection's dispatcher, in the order
// messages arrive and the listeners were registered, after the chat was
// updated for that message; they may call Chat.Send and the connection's
// SendIQ and wait. OnOutgoing listeners run as a connection interceptor on
// the goroutine that sends, and must neither block nor send. Chat methods
// may be called from any goroutine.
package chat
