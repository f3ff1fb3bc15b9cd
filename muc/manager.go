package muc

import (
	"sync"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Manager is multi-user chat on one connection (Smack's
// MultiUserChatManager): it hands out the Rooms and routes the room
// presences and messages the connection receives to them. Its zero value
// is not usable; call New. All methods are safe for concurrent use.
type Manager struct {
	c *xmpp.Conn

	mu     sync.Mutex
	rooms  map[jid.JID]*Room // by bare JID
	detach []func()
	closed bool

	noRejoin bool // SetAutoRejoin(false)
	onRejoin listeners.List[func(*Room, error)]

	onInvite  listeners.List[func(Invitation)]
	onDecline listeners.List[func(room, from jid.JID, reason string)]
}

// New attaches a Manager to c. Attach it before Connect, or at any time;
// Close detaches it.
func New(c *xmpp.Conn) *Manager {
	m := &Manager{c: c, rooms: map[jid.JID]*Room{}}
	m.detach = []func(){
		c.Announce(NS),
		c.Announce(NSConference),
		c.HandlePresence(m.isRoom, m.presence),
		c.HandleMessage(m.isRoom, m.message),
		c.HandleMessage(isInvitation, m.invitation),
		c.OnState(m.state),
	}
	return m
}

// Room returns the room with the given address (its bare JID is used),
// the same *Room for the same room every time. Getting a Room sends
// nothing: call Join or Create.
func (m *Manager) Room(room jid.JID) *Room {
	room = room.Bare()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rooms[room]
	if r == nil {
		r = newRoom(m.c, room)
		r.m = m
		m.rooms[room] = r
	}
	return r
}

// Rooms returns the rooms the user is in (Smack's getJoinedRooms).
func (m *Manager) Rooms() []*Room {
	m.mu.Lock()
	all := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		all = append(all, r)
	}
	m.mu.Unlock()
	joined := all[:0]
	for _, r := range all {
		if r.Joined() {
			joined = append(joined, r)
		}
	}
	return joined
}

// Close detaches the Manager from the connection: its rooms hear nothing
// more. It sends nothing (leave the rooms first to tell them) and is safe
// to call more than once.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	detach := m.detach
	m.mu.Unlock()
	for _, d := range detach {
		d()
	}
}

func (m *Manager) lookup(from jid.JID) *Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[from.Bare()]
}

func (m *Manager) isRoom(s stanza.Stanza) bool {
	return m.lookup(s.Head().From) != nil
}

func (m *Manager) presence(p *stanza.Presence) {
	if r := m.lookup(p.From); r != nil {
		r.presence(p)
	}
}

func (m *Manager) message(msg *stanza.Message) {
	if r := m.lookup(msg.From); r != nil {
		r.message(msg)
	}
}

// state marks every room left when the stream ends: the service removes
// the user from its rooms when the session goes.
func (m *Manager) state(sc xmpp.StateChange) {
	m.stateForRejoin(sc)
	if sc.State != xmpp.StateClosed {
		return
	}
	m.mu.Lock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.Unlock()
	for _, r := range rooms {
		r.disconnected(sc.Err != nil) // a lost session, not Close: rejoin later
	}
}
