package chat

import (
	"container/list"
	"encoding/xml"
	"sync"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// DefaultMaxChats is how many chats a Manager keeps unless MaxChats says
// otherwise; beyond it the least recently used chat is dropped.
const DefaultMaxChats = 1024

// mucUser names the <x/> that a multi-user chat room adds to the private
// messages it relays (XEP-0045 section 7.5). Those come from
// room@service/nick: grouping them by bare JID would merge every occupant
// of the room into one chat, so the Manager leaves them to package muc.
var mucUser = xml.Name{Space: "http://jabber.org/protocol/muc#user", Local: "x"}

// An Option configures a Manager in New.
type Option func(*Manager)

// Locking turns resource locking (RFC 6121 section 5.1) on or off; it is
// on by default. Without it every message a Chat sends goes to the
// contact's bare JID, and the server picks the resources that get it.
func Locking(on bool) Option {
	return func(m *Manager) { m.locking = on }
}

// MaxChats bounds the number of chats the Manager keeps: when a new chat
// would exceed n, the least recently used one (by messages received or
// sent, and by Manager.Chat) is removed as if closed. n <= 0 means no
// bound: then every contact that ever sends a chat message costs a Chat
// until Close. The default is DefaultMaxChats.
func MaxChats(n int) Option {
	return func(m *Manager) { m.maxChats = n }
}

// NormalMessages makes the Manager also take incoming and outgoing
// messages of type normal (or without a type) that have a body, as Smack's
// chat2 ChatManager does. By default only messages of type chat are
// grouped into chats: RFC 6121 section 5.2.2 makes normal messages
// single messages outside any conversation, and clients often show them
// apart.
func NormalMessages(on bool) Option {
	return func(m *Manager) { m.normal = on }
}

// Manager groups one connection's one-to-one chat messages into a Chat per
// contact (Smack's chat2 ChatManager). New attaches it; Close detaches it.
// There is no zero value to use: build it with New.
//
// All methods are safe for concurrent use.
type Manager struct {
	c        *xmpp.Conn
	locking  bool
	normal   bool
	maxChats int

	mu     sync.Mutex // guards chats, lru, closed; taken before any Chat.mu
	chats  map[jid.JID]*Chat
	lru    list.List // of *Chat, most recently used first
	closed bool
	detach []func()

	incoming listeners.List[func(*Chat, *stanza.Message)]
	outgoing listeners.List[func(*Chat, *stanza.Message)]
	created  listeners.List[func(*Chat, bool)]

	// sending maps a *stanza.Message that Chat.SendMessage is sending to
	// its Chat, so that the interceptor reports it with that Chat even
	// when the Chat was closed or evicted meanwhile.
	sending sync.Map
}

// New attaches a Manager to c and returns it. From then on, incoming
// messages of type chat with a body (and normal ones, with
// NormalMessages) are grouped into chats, outgoing ones are reported to
// the OnOutgoing listeners, and presence unlocks chats. Attach it before
// Connect so that no message is missed.
//
// Attach one Manager per connection: two would both report every message.
func New(c *xmpp.Conn, opts ...Option) *Manager {
	m := &Manager{c: c, locking: true, maxChats: DefaultMaxChats, chats: make(map[jid.JID]*Chat)}
	for _, o := range opts {
		o(m)
	}
	m.detach = []func(){
		c.HandleMessage(stanza.IsMessage(), m.receive),
		c.HandlePresence(nil, m.presence),
		c.OnState(m.state),
		c.Intercept(m.intercept),
	}
	return m
}

// Chat returns the chat with j's bare JID (j's resource, if any, is
// ignored: use the chat's locking for that), creating it when there is
// none (Smack's chatWith). A chat it creates is reported to the OnChat
// listeners with local true, on the calling goroutine, before Chat
// returns. After Close it returns a Chat that sends but is not kept. A
// zero j (no address) is refused: Chat returns nil.
func (m *Manager) Chat(j jid.JID) *Chat {
	if j.IsZero() {
		return nil
	}
	ch, created := m.get(j.Bare(), true)
	if created {
		m.notifyCreated(ch, true)
	}
	return ch
}

// Lookup returns the chat with j's bare JID, or nil when there is none.
// It does not count as a use for MaxChats.
func (m *Manager) Lookup(j jid.JID) *Chat {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.chats[j.Bare()]
}

// Chats returns the chats the Manager keeps, most recently used first.
func (m *Manager) Chats() []*Chat {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := make([]*Chat, 0, m.lru.Len())
	for e := m.lru.Front(); e != nil; e = e.Next() {
		s = append(s, e.Value.(*Chat))
	}
	return s
}

// OnMessage registers f for incoming chat messages (Smack's
// IncomingChatMessageListener): ch is the contact's chat, already updated
// (locked to msg's sender, thread taken from msg). f runs on the
// connection's dispatcher goroutine, in the order messages arrive and
// listeners were registered, after the OnChat listeners for a new chat;
// it may Send (through ch or the connection) and wait for IQ replies, but
// the connection's other listeners wait while it runs. The returned func
// removes f; it is safe to call more than once.
func (m *Manager) OnMessage(f func(ch *Chat, msg *stanza.Message)) (remove func()) {
	return m.incoming.Add(f)
}

// OnOutgoing registers f for outgoing chat messages (Smack's
// OutgoingChatMessageListener): the ones a Chat sends, and the chat
// messages sent with the connection's Send to a contact (which get or
// create that contact's chat). f runs as a connection interceptor: on the
// sending goroutine, after Send gave msg its id and before it is encoded;
// it may change msg (add an extension) but must not block or send. The
// returned func removes f; it is safe to call more than once.
func (m *Manager) OnOutgoing(f func(ch *Chat, msg *stanza.Message)) (remove func()) {
	return m.outgoing.Add(f)
}

// OnChat registers f for chats the Manager creates (Smack's old
// ChatManagerListener.chatCreated). local is false for a chat created by
// an incoming message (f then runs on the dispatcher, before the
// OnMessage listeners see that message) and true for one created by
// Manager.Chat (f runs on its caller's goroutine) or by a message sent
// with the connection's Send (f runs inside the interceptor and must not
// block or send). The returned func removes f.
func (m *Manager) OnChat(f func(ch *Chat, local bool)) (remove func()) {
	return m.created.Add(f)
}

// Close detaches the Manager from its connection: its listener,
// interceptor and state listener are removed, the listeners registered on
// it are dropped, and every chat is removed. A Chat kept by the caller
// still sends. A listener running at that moment finishes. The connection
// stays up. Close is safe to call more than once.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	for _, ch := range m.chats {
		ch.elem = nil
	}
	clear(m.chats)
	m.lru.Init()
	m.mu.Unlock()
	m.incoming.Clear()
	m.outgoing.Clear()
	m.created.Clear()
	for _, f := range m.detach {
		f()
	}
}

// get returns the chat for bare, creating it when create is true.
func (m *Manager) get(bare jid.JID, create bool) (ch *Chat, created bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch = m.chats[bare]; ch != nil {
		m.lru.MoveToFront(ch.elem)
		return ch, false
	}
	if !create {
		return nil, false
	}
	ch = &Chat{m: m, jid: bare}
	if m.closed {
		return ch, false
	}
	ch.elem = m.lru.PushFront(ch)
	m.chats[bare] = ch
	for m.maxChats > 0 && len(m.chats) > m.maxChats {
		m.removeLocked(m.lru.Back().Value.(*Chat))
	}
	return ch, true
}

// touch marks ch used, when the Manager still keeps it.
func (m *Manager) touch(ch *Chat) {
	m.mu.Lock()
	if ch.elem != nil {
		m.lru.MoveToFront(ch.elem)
	}
	m.mu.Unlock()
}

func (m *Manager) remove(ch *Chat) {
	m.mu.Lock()
	m.removeLocked(ch)
	m.mu.Unlock()
}

func (m *Manager) removeLocked(ch *Chat) {
	if ch.elem == nil {
		return
	}
	m.lru.Remove(ch.elem)
	ch.elem = nil
	delete(m.chats, ch.jid)
}

func (m *Manager) notifyCreated(ch *Chat, local bool) {
	for f := range m.created.All() {
		f(ch, local)
	}
}

// self returns the account's bare JID.
func (m *Manager) self() jid.JID {
	if j := m.c.JID(); !j.IsZero() {
		return j.Bare()
	}
	return m.c.Config().JID.Bare()
}

// takes reports whether msg, of either direction, belongs in a chat:
// type chat (or normal, with NormalMessages), a body, and not a private
// message relayed by a room.
func (m *Manager) takes(msg *stanza.Message) bool {
	switch msg.Type {
	case stanza.Chat:
	case "", stanza.Normal:
		if !m.normal {
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
func (m *Manager) receive(msg *stanza.Message) {
	from := msg.From
	if from.IsZero() || from.Bare() == m.self() {
		// From the server or from the account's other resources;
		// carbons (XEP-0280) are a later issue.
		return
	}
	if msg.Type == stanza.MessageError || msg.Error != nil {
		// A bounce from the locked resource: it is gone, so unlock.
		// The error itself is not reported to the chat listeners.
		if ch := m.Lookup(from); ch != nil {
			ch.unlockFrom(from)
		}
		return
	}
	if !m.takes(msg) {
		return
	}
	ch, created := m.get(from.Bare(), true)
	ch.received(msg)
	if created {
		m.notifyCreated(ch, false)
	}
	for f := range m.incoming.All() {
		f(ch, msg)
	}
}

// presence unlocks the chat locked to the presence's sender: any presence
// from that full JID (unavailable, a new show or status, an error), or a
// presence from the contact's bare JID (a subscription change), means the
// resource's state changed (RFC 6121 section 5.1, XEP-0296).
func (m *Manager) presence(p *stanza.Presence) {
	if p.From.IsZero() {
		return
	}
	if ch := m.Lookup(p.From); ch != nil {
		ch.unlockFrom(p.From)
	}
}

// state unlocks every chat when the stream ends: the presence that would
// have unlocked them is lost meanwhile, and a resource locked before may
// be gone after reconnecting.
func (m *Manager) state(sc xmpp.StateChange) {
	if sc.State != xmpp.StateClosed {
		return
	}
	for _, ch := range m.Chats() {
		ch.Unlock()
	}
}

// intercept reports outgoing chat messages to the OnOutgoing listeners.
func (m *Manager) intercept(st stanza.Stanza) {
	msg, ok := st.(*stanza.Message)
	if !ok {
		return
	}
	var ch *Chat
	if v, ok := m.sending.Load(msg); ok {
		ch = v.(*Chat)
	} else {
		if msg.To.IsZero() || msg.To.Bare() == m.self() || !m.takes(msg) {
			return
		}
		var created bool
		ch, created = m.get(msg.To.Bare(), true)
		if created {
			m.notifyCreated(ch, true)
		}
	}
	for f := range m.outgoing.All() {
		f(ch, msg)
	}
}
