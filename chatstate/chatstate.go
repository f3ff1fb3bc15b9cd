package chatstate

import (
	"context"
	"encoding/xml"
	"errors"
	"slices"
	"sync"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/internal/msgext"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of Chat State Notifications (XEP-0085), also the
// feature the Manager announces.
const NS = "http://jabber.org/protocol/chatstates"

// maxPeers bounds the conversations a Manager remembers; the oldest is
// forgotten first.
const maxPeers = 1024

// State is a chat state (XEP-0085 section 2). The zero State is no state.
type State string

// The five chat states.
const (
	// Active: the user takes part in the conversation.
	Active State = "active"
	// Composing: the user is typing a message.
	Composing State = "composing"
	// Paused: the user had been typing and stopped.
	Paused State = "paused"
	// Inactive: the user has not taken part for a while.
	Inactive State = "inactive"
	// Gone: the user has ended the conversation (closed the window).
	Gone State = "gone"
)

// ErrUnknown is returned by Set for a State that is none of the five.
var ErrUnknown = errors.New("chatstate: not a chat state")

// Valid reports whether s is one of the five states.
func (s State) Valid() bool {
	switch s {
	case Active, Composing, Paused, Inactive, Gone:
		return true
	}
	return false
}

// Of returns the chat state m carries: its first element of the five in
// NS. ok is false when it has none (an unknown element in NS is not a
// state).
func Of(m *stanza.Message) (s State, ok bool) {
	for i := range m.Extensions {
		n := &m.Extensions[i].Name
		if n.Space == NS {
			if s := State(n.Local); s.Valid() {
				return s, true
			}
		}
	}
	return "", false
}

// Set puts state s on m, replacing any chat state it carries. It never
// changes the array behind the caller's m.Extensions. A State that is not
// one of the five returns ErrUnknown and leaves m alone.
func Set(m *stanza.Message, s State) error {
	if !s.Valid() {
		return ErrUnknown
	}
	msgext.Put(m, func(n xml.Name) bool { return n.Space == NS }, stanza.Node{Name: xml.Name{Space: NS, Local: string(s)}})
	return nil
}

// Event is what OnChatState listeners hear: a chat state received. The
// Manager fills every field.
type Event struct {
	// From is the sender: a contact's full JID, or a room occupant's.
	From jid.JID
	// State is the state it sent.
	State State
	// Message carries the state, alone (a standalone notification) or
	// with a body; shared with the connection's other listeners: read it,
	// do not change it.
	Message *stanza.Message
}

// support is what the Manager knows of a peer.
type support uint8

const (
	unknown support = iota
	yes             // it sent a chat state
	no              // it answered a content message without one, or refused one
)

// peer is the Manager's record of one conversation.
type peer struct {
	support support
	sent    State // the last state sent, "" if none
}

// Manager sends and receives chat states on one connection (Smack's
// ChatStateManager), following XEP-0085's rules on when to send. For
// returns the one a connection has; its zero value is not usable. All
// methods are safe for concurrent use.
type Manager struct {
	c *xmpp.Conn

	listeners listeners.List[func(Event)]

	mu    sync.Mutex
	peers map[jid.JID]*peer // by bare JID
	order []jid.JID         // peers' keys, oldest first

	closeOnce sync.Once
	detach    []func()
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's ChatStateManager.getInstance), connected or not. From then on
// c announces the chat states feature, adds <active/> to the chat
// messages with a body it sends to peers not known to refuse states, and
// reports the states it receives. It stays attached across streams until
// Close; For after Close attaches a new one. For is safe for concurrent
// use.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	m := &Manager{c: c, peers: make(map[jid.JID]*peer)}
	m.detach = []func(){
		c.Announce(NS),
		c.Intercept(m.intercept),
		c.HandleMessage(nil, m.receive),
	}
	return m
}

// OnChatState registers f for the chat states the account receives, in
// chat, normal and groupchat messages (Smack's ChatStateListener). f runs
// on the connection's dispatcher goroutine, in wire order with the
// connection's other listeners, and in the order the OnChatState
// listeners were registered; it may Send. A nil f panics. The returned
// func removes exactly this registration; it is safe to call more than
// once. States that arrive after Close are not reported.
func (m *Manager) OnChatState(f func(Event)) (remove func()) {
	if f == nil {
		panic("chatstate: OnChatState with a nil listener")
	}
	return m.listeners.Add(f)
}

// SetState tells to (a contact's bare or full JID) that the user is now
// in state s, with a standalone notification (a chat message that carries
// only the state), and reports whether it sent one. It sends nothing, and
// returns false and no error, when XEP-0085 says not to: to a peer that
// has not shown it supports chat states (sent one), or one that answered
// a message without a state or refused one, and when s is the state last
// sent to that peer (a repetition). Peers are told apart by bare JID.
// A State that is none of the five returns ErrUnknown.
//
// SetState writes on the caller's goroutine: ctx bounds the write, as for
// xmpp.Conn.Send. It may be called from a listener.
func (m *Manager) SetState(ctx context.Context, to jid.JID, s State) (sent bool, err error) {
	if !s.Valid() {
		return false, ErrUnknown
	}
	bare := to.Bare()
	m.mu.Lock()
	p := m.peers[bare]
	if p == nil || p.support != yes || p.sent == s {
		m.mu.Unlock()
		return false, nil
	}
	before := p.sent
	p.sent = s
	m.mu.Unlock()
	msg := &stanza.Message{Type: stanza.Chat, Extensions: []stanza.Node{{Name: xml.Name{Space: NS, Local: string(s)}}}}
	msg.To = to
	if err := m.c.Send(ctx, msg); err != nil {
		m.mu.Lock()
		if p.sent == s {
			p.sent = before
		}
		m.mu.Unlock()
		return false, err
	}
	return true, nil
}

// Supported reports whether the peer at j's bare JID has shown that it
// supports chat states (it sent one, and has not refused one since):
// what SetState requires.
func (m *Manager) Supported(j jid.JID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.peers[j.Bare()]
	return p != nil && p.support == yes
}

// Close detaches the Manager from its connection: its interceptor and
// listener are removed, the feature is withdrawn, and what it knew of
// peers is forgotten. For then attaches a new Manager. Close is safe to
// call more than once, from any goroutine, listeners included.
func (m *Manager) Close() {
	m.closeOnce.Do(func() {
		m.listeners.Clear()
		xmpp.Detach(m.c, m)
		for _, f := range m.detach {
			f()
		}
		m.mu.Lock()
		clear(m.peers)
		m.order = nil
		m.mu.Unlock()
	})
}

// peerLocked returns the record of bare, making one if needed.
func (m *Manager) peerLocked(bare jid.JID) *peer {
	if p := m.peers[bare]; p != nil {
		return p
	}
	if len(m.order) >= maxPeers {
		delete(m.peers, m.order[0])
		m.order = slices.Delete(m.order, 0, 1)
	}
	p := &peer{}
	m.peers[bare] = p
	m.order = append(m.order, bare)
	return p
}

// intercept adds <active/> to an outgoing chat message with a body
// (XEP-0085 section 5.1: a content message carries the state active, and
// the first one to a peer asks whether it supports states), unless the
// peer is known to refuse them; a state already on a chat message is
// recorded as the last sent. It runs on the goroutine that calls Send.
func (m *Manager) intercept(st stanza.Stanza) {
	msg, ok := st.(*stanza.Message)
	if !ok || msg.Type != stanza.Chat || msg.Error != nil || msg.To.IsZero() {
		return
	}
	bare := msg.To.Bare()
	s, has := Of(msg)
	m.mu.Lock()
	defer m.mu.Unlock()
	if has {
		if p := m.peers[bare]; p != nil {
			p.sent = s
		}
		return
	}
	if len(msg.Bodies) == 0 {
		return
	}
	p := m.peerLocked(bare)
	if p.support == no {
		return
	}
	msg.Extensions = append(slices.Clip(msg.Extensions), stanza.Node{Name: xml.Name{Space: NS, Local: string(Active)}})
	p.sent = Active
}

// receive learns from a message whether its sender supports chat states,
// and reports the state it carries.
func (m *Manager) receive(msg *stanza.Message) {
	s, has := Of(msg)
	switch msg.Type {
	case stanza.MessageError:
		// A state refused (XEP-0085 section 5.1: an error to a
		// notification means no more of them).
		if has && !msg.From.IsZero() {
			m.learn(msg.From.Bare(), no)
		}
		return
	case stanza.Groupchat:
		// A room's occupants: nothing to learn about a one-to-one peer.
	case stanza.Chat, stanza.Normal, "":
		switch {
		case msg.From.IsZero():
		case has:
			m.learn(msg.From.Bare(), yes)
		case len(msg.Bodies) > 0:
			// A content message without a state: the peer does not
			// support them (section 5.1), until it sends one.
			m.learn(msg.From.Bare(), no)
		}
	default:
		return
	}
	if !has || msg.From.IsZero() {
		return
	}
	e := Event{From: msg.From, State: s, Message: msg}
	for f := range m.listeners.All() {
		f(e)
	}
}

func (m *Manager) learn(bare jid.JID, s support) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s == no {
		if p := m.peers[bare]; p != nil {
			p.support = no
		}
		// Nothing recorded: unknown is as good as no for SetState, and a
		// stranger's flood of messages makes no records.
		return
	}
	m.peerLocked(bare).support = yes
}
