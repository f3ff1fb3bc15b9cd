package chat

import (
	"container/list"
	"encoding/xml"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// DefaultMaxChats is how many chats a Chats keeps until SetMaxChats says
// otherwise; beyond it the least recently used chat is dropped.
const DefaultMaxChats = 1024

// mucUser names the <x/> that a multi-user chat room adds to the private
// messages it relays (XEP-0045 section 7.5). Those come from
// room@service/nick: grouping them by bare JID would merge every occupant
// of the room into one chat, so Chats leaves them to package muc.
var mucUser = xml.Name{Space: "http://jabber.org/protocol/muc#user", Local: "x"}

// NewChat is the event of a chat being created, for the OnChat listeners
// (Smack's ChatManagerListener.chatCreated).
type NewChat struct {
	// Chat is the new chat.
	Chat *Chat
	// Local is true for a chat this client started (with Chats.Chat, or
	// by sending a chat message with the connection's Send) and false
	// for one started by a message from the contact.
	Local bool
}

// Incoming is a chat message received, for the OnMessage listeners
// (Smack's IncomingChatMessageListener).
type Incoming struct {
	// Chat is the contact's chat, already updated for Message: locked
	// to its sender, with its thread.
	Chat *Chat
	// Message is the message as received: for a carbon, the copied
	// message. Every listener of the connection shares it: read it, do
	// not change it.
	Message *stanza.Message
	// Carbon is zero for a message the contact sent to this client. For
	// a carbon copy (XEP-0280) it says which way the message went
	// between the contact and another client of the account:
	// carbons.Sent for a message that client sent (Message.From is that
	// client's full JID, Message.To the contact: show it as the user's
	// own, "sent from another device"), carbons.Received for one the
	// contact sent to that client (Message.To is that client). A carbon
	// neither locks nor unlocks the chat.
	Carbon carbons.Direction
}

// Outgoing is a chat message about to be sent, for the OnOutgoing
// listeners (Smack's OutgoingChatMessageListener).
type Outgoing struct {
	// Chat is the chat the message belongs to.
	Chat *Chat
	// Message is the message, with its id, to and type set; a listener
	// may add to it (an extension) before it is encoded.
	Message *stanza.Message
}

// Chats groups one connection's one-to-one chat messages into a Chat per
// contact (Smack's chat2 ChatManager). Get the connection's one Chats with
// For; there is no zero value to use.
//
// All methods are safe for concurrent use.
type Chats struct {
	c *xmpp.Conn

	locking atomic.Bool
	normal  atomic.Bool

	mu       sync.Mutex // guards what follows; taken before any Chat.mu
	maxChats int
	chats    map[jid.JID]*Chat
	lru      list.List // of *Chat, most recently used first
	closed   bool
	detach   []func()

	incoming listeners.List[func(Incoming)]
	outgoing listeners.List[func(Outgoing)]
	created  listeners.List[func(NewChat)]

	// sending maps a *stanza.Message that Chat.SendMessage is sending to
	// its Chat, so that the interceptor reports it with that Chat even
	// when the Chat was closed or evicted meanwhile.
	sending sync.Map
}

// For returns the Chats attached to c, attaching it the first time
// (Smack's ChatManager.getInstanceFor). Every caller holding c gets the
// same one, so every chat message is reported once. From the attachment
// on, incoming messages of type chat with a body (and normal ones, with
// SetNormalMessages) are grouped into chats, outgoing ones are reported to
// the OnOutgoing listeners, and presence unlocks chats. Attach it before
// Connect so that no message is missed. After Close, For attaches a fresh
// one. For is safe for concurrent use.
func For(c *xmpp.Conn) *Chats {
	return xmpp.Attach(c, attach)
}

func attach(c *xmpp.Conn) *Chats {
	cs := &Chats{c: c, maxChats: DefaultMaxChats, chats: make(map[jid.JID]*Chat)}
	cs.locking.Store(true)
	cs.detach = []func(){
		c.HandleMessage(stanza.IsMessage(), cs.receive),
		c.HandlePresence(nil, cs.presence),
		c.OnState(cs.state),
		c.Intercept(cs.intercept),
	}
	return cs
}

// SetLocking turns resource locking (RFC 6121 section 5.1) on or off; it
// is on by default. Off, a message from the contact no longer locks its
// chat, so a Chat sends to the contact's bare JID and the server picks
// the resources that get it, unless the caller named a resource in
// Chats.Chat. It takes effect at once: turning it off unlocks every chat.
func (cs *Chats) SetLocking(on bool) {
	cs.locking.Store(on)
	if !on {
		for _, ch := range cs.List() {
			ch.Unlock()
		}
	}
}

// Locking reports whether messages from contacts lock their chats.
func (cs *Chats) Locking() bool { return cs.locking.Load() }

// SetMaxChats bounds the number of chats kept: when a new chat would
// exceed n, the least recently used one (by messages received or sent, and
// by Chats.Chat) is removed as if closed. n <= 0 means no bound: then
// every contact that ever sends a chat message costs a Chat until Close.
// The default is DefaultMaxChats. It takes effect at once: chats beyond a
// new, lower bound are removed before SetMaxChats returns.
func (cs *Chats) SetMaxChats(n int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.maxChats = n
	cs.evictLocked()
}

// MaxChats returns the bound SetMaxChats set; 0 or less means none.
func (cs *Chats) MaxChats() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.maxChats
}

// SetNormalMessages makes Chats also take incoming and outgoing messages
// of type normal (or without a type) that have a body, as Smack's chat2
// ChatManager does. It is off by default: only messages of type chat are
// grouped into chats, as RFC 6121 section 5.2.2 makes normal messages
// single messages outside any conversation, and clients often show them
// apart. It takes effect from the next message, either way.
func (cs *Chats) SetNormalMessages(on bool) { cs.normal.Store(on) }

// NormalMessages reports whether messages of type normal are taken.
func (cs *Chats) NormalMessages() bool { return cs.normal.Load() }

// Chat returns the chat with j's bare JID, creating it when there is none
// (Smack's chatWith). When j is a full JID, the chat is locked to it: the
// next message goes to that resource, until the lock moves or ends as any
// lock does (see the package doc); a bare j leaves the chat's lock as it
// is. A chat Chat creates is reported to the OnChat listeners (with Local
// true) on the connection's dispatcher, after the stanzas queued for it
// when Chat was called, and before any event about the chat: Chat returns
// without waiting for them. After Close it returns a Chat that sends but
// is not kept. A zero j (no address) is refused: Chat returns nil.
func (cs *Chats) Chat(j jid.JID) *Chat {
	if j.IsZero() {
		return nil
	}
	ch, created := cs.get(j.Bare(), true, true)
	if j.Resourcepart() != "" {
		ch.lock(j)
	}
	if created {
		cs.c.Dispatch(func() { cs.announce(ch) })
	}
	return ch
}

// Lookup returns the chat with j's bare JID, or nil when there is none.
// It does not count as a use for SetMaxChats, and does not lock.
func (cs *Chats) Lookup(j jid.JID) *Chat {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.chats[j.Bare()]
}

// List returns the chats kept, most recently used first.
func (cs *Chats) List() []*Chat {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	s := make([]*Chat, 0, cs.lru.Len())
	for e := cs.lru.Front(); e != nil; e = e.Next() {
		s = append(s, e.Value.(*Chat))
	}
	return s
}

// OnMessage registers f for incoming chat messages (Smack's
// IncomingChatMessageListener). f runs on the connection's dispatcher, in
// the order messages arrive and listeners were registered, after the
// chat was updated for the message and after the OnChat listeners for a
// new chat; it may send (through the chat or the connection) and wait for
// IQ replies, but the connection's other listeners wait while it runs.
// The returned func removes this registration alone; it is safe to call
// more than once. A nil f panics.
func (cs *Chats) OnMessage(f func(Incoming)) (remove func()) {
	mustListen("OnMessage", f == nil)
	return cs.incoming.Add(f)
}

// OnOutgoing registers f for outgoing chat messages (Smack's
// OutgoingChatMessageListener): the ones a Chat sends, and the chat
// messages sent with the connection's Send to a contact (which get or
// create that contact's chat). f is an interceptor rather than an event:
// it runs on the goroutine that sends, inside the connection's Send,
// after the message got its id and before it is encoded, so that it may
// add to the message; it must neither block nor send, and it is not
// ordered with the events on the dispatcher. The returned func removes
// this registration alone; it is safe to call more than once. A nil f
// panics.
func (cs *Chats) OnOutgoing(f func(Outgoing)) (remove func()) {
	mustListen("OnOutgoing", f == nil)
	return cs.outgoing.Add(f)
}

// OnChat registers f for chats Chats creates (Smack's
// ChatManagerListener.chatCreated). f runs on the connection's
// dispatcher, once per chat, before any OnMessage listener hears of that
// chat: for a chat started by an incoming message, as that message is
// handled; for one started locally (Chats.Chat, or a chat message sent
// with the connection's Send), in order with the stanzas queued when it
// was created, or sooner if a message for it is handled first. The
// returned func removes this registration alone; it is safe to call more
// than once. A nil f panics.
func (cs *Chats) OnChat(f func(NewChat)) (remove func()) {
	mustListen("OnChat", f == nil)
	return cs.created.Add(f)
}

// mustListen panics when a registration is given no func.
func mustListen(method string, isNil bool) {
	if isNil {
		panic("chat: " + method + " with a nil listener")
	}
}

// Close detaches Chats from its connection: its message and presence
// listeners, interceptor and state listener are removed, the listeners
// registered on it are dropped, and every chat is removed; For then
// attaches a fresh Chats. A Chat kept by the caller still sends. A
// listener running at that moment finishes. The connection stays up.
// Close is safe to call more than once.
func (cs *Chats) Close() {
	xmpp.Detach(cs.c, cs)
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return
	}
	cs.closed = true
	for _, ch := range cs.chats {
		ch.elem = nil
	}
	clear(cs.chats)
	cs.lru.Init()
	cs.mu.Unlock()
	cs.incoming.Clear()
	cs.outgoing.Clear()
	cs.created.Clear()
	for _, f := range cs.detach {
		f()
	}
}

// get returns the chat for bare, creating it when create is true; local
// tells who starts a chat it creates.
func (cs *Chats) get(bare jid.JID, create, local bool) (ch *Chat, created bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if ch = cs.chats[bare]; ch != nil {
		cs.lru.MoveToFront(ch.elem)
		return ch, false
	}
	if !create {
		return nil, false
	}
	ch = &Chat{cs: cs, jid: bare, local: local}
	if cs.closed {
		return ch, false
	}
	ch.elem = cs.lru.PushFront(ch)
	cs.chats[bare] = ch
	cs.evictLocked()
	return ch, true
}

// evictLocked removes the least recently used chats beyond the bound.
func (cs *Chats) evictLocked() {
	for cs.maxChats > 0 && len(cs.chats) > cs.maxChats {
		cs.removeLocked(cs.lru.Back().Value.(*Chat))
	}
}

// touch marks ch used, when it is still kept.
func (cs *Chats) touch(ch *Chat) {
	cs.mu.Lock()
	if ch.elem != nil {
		cs.lru.MoveToFront(ch.elem)
	}
	cs.mu.Unlock()
}

func (cs *Chats) remove(ch *Chat) {
	cs.mu.Lock()
	cs.removeLocked(ch)
	cs.mu.Unlock()
}

func (cs *Chats) removeLocked(ch *Chat) {
	if ch.elem == nil {
		return
	}
	cs.lru.Remove(ch.elem)
	ch.elem = nil
	delete(cs.chats, ch.jid)
}

// announce tells the OnChat listeners of ch, the first time it is called
// for ch. It runs on the dispatcher.
func (cs *Chats) announce(ch *Chat) {
	if !ch.announced.CompareAndSwap(false, true) {
		return
	}
	e := NewChat{Chat: ch, Local: ch.local}
	for f := range cs.created.All() {
		f(e)
	}
}

// self returns the account's bare JID.
func (cs *Chats) self() jid.JID {
	if j := cs.c.JID(); !j.IsZero() {
		return j.Bare()
	}
	return cs.c.Config().JID.Bare()
}

// takes reports whether msg, of either direction, belongs in a chat:
// type chat (or normal, with SetNormalMessages), a body, and not a
// private message relayed by a room.
func (cs *Chats) takes(msg *stanza.Message) bool {
	switch msg.Type {
	case stanza.Chat:
	case "", stanza.Normal:
		if !cs.normal.Load() {
			return false
		}
	default:
		return false
	}
	if len(msg.Bodies) == 0 || msg.Error != nil {
		return false
	}
	return !stanza.HasExtension(mucUser)(msg)
}

// receive handles every incoming message, on the dispatcher.
func (cs *Chats) receive(msg *stanza.Message) {
	from := msg.From
	if from.IsZero() || from.Bare() == cs.self() {
		// From the server or from the account's other resources: a
		// carbon copy, if the account's server sent one, or else
		// nothing for a chat with a contact.
		if cb, ok := carbons.Of(cs.c, msg); ok {
			cs.carbon(cb)
		}
		return
	}
	if msg.Type == stanza.MessageError || msg.Error != nil {
		// A bounce from the locked resource: it is gone, so unlock.
		// The error itself is not reported to the chat listeners.
		if ch := cs.Lookup(from); ch != nil {
			ch.unlockFrom(from)
		}
		return
	}
	if !cs.takes(msg) {
		return
	}
	ch, _ := cs.get(from.Bare(), true, false)
	ch.received(msg)
	cs.announce(ch) // a new chat, or a local one whose OnChat is still queued
	e := Incoming{Chat: ch, Message: msg}
	for f := range cs.incoming.All() {
		f(e)
	}
}

// carbon puts a carbon copy in the contact's chat and reports it: the
// addressee's chat for a message another client of the account sent,
// the sender's for one it received. The chat's thread follows the
// copy's; its lock stays as it is, as it belongs to the exchange between
// the contact and that other client.
func (cs *Chats) carbon(cb carbons.Carbon) {
	msg := cb.Message
	if msg.Type == stanza.MessageError || !cs.takes(msg) {
		return
	}
	peer := msg.From
	if cb.Direction == carbons.Sent {
		peer = msg.To
	}
	if peer.IsZero() || peer.Bare() == cs.self() {
		return // between the account's own clients: no contact's chat
	}
	ch, _ := cs.get(peer.Bare(), true, false)
	ch.copied(msg)
	cs.announce(ch)
	e := Incoming{Chat: ch, Message: msg, Carbon: cb.Direction}
	for f := range cs.incoming.All() {
		f(e)
	}
}

// presence unlocks the chat locked to the presence's sender: any presence
// from that full JID (unavailable, a new show or status, an error), or a
// presence from the contact's bare JID (a subscription change), means the
// resource's state changed (RFC 6121 section 5.1, XEP-0296).
func (cs *Chats) presence(p *stanza.Presence) {
	if p.From.IsZero() {
		return
	}
	if ch := cs.Lookup(p.From); ch != nil {
		ch.unlockFrom(p.From)
	}
}

// state unlocks every chat when the stream ends: the presence that would
// have unlocked them is lost meanwhile, and a resource locked before may
// be gone after reconnecting.
func (cs *Chats) state(sc xmpp.StateChange) {
	if sc.State != xmpp.StateClosed {
		return
	}
	for _, ch := range cs.List() {
		ch.Unlock()
	}
}

// intercept reports outgoing chat messages to the OnOutgoing listeners.
func (cs *Chats) intercept(st stanza.Stanza) {
	msg, ok := st.(*stanza.Message)
	if !ok {
		return
	}
	var ch *Chat
	if v, ok := cs.sending.Load(msg); ok {
		ch = v.(*Chat)
	} else {
		if msg.To.IsZero() || msg.To.Bare() == cs.self() || !cs.takes(msg) {
			return
		}
		var created bool
		ch, created = cs.get(msg.To.Bare(), true, true)
		if created {
			cs.c.Dispatch(func() { cs.announce(ch) })
		}
	}
	e := Outgoing{Chat: ch, Message: msg}
	for f := range cs.outgoing.All() {
		f(e)
	}
}
