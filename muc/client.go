package muc

import (
	"sync"

	"github.com/gosmack/gosmack/internal/listeners"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Client is multi-user chat on one connection (Smack's
// MultiUserChatManager): it hands out the Rooms and routes the room
// presences and messages the connection receives to them. Get it with
// For; the zero Client is not usable. All methods are safe for
// concurrent use.
type Client struct {
	c *xmpp.Conn

	mu     sync.Mutex
	rooms  map[jid.JID]*Room // by bare JID
	detach []func()
	closed bool

	noRejoin bool // SetAutoRejoin(false)
	onRejoin listeners.List[func(Rejoin)]

	onInvite  listeners.List[func(Invitation)]
	onDecline listeners.List[func(Decline)]
	onVoice   listeners.List[func(VoiceRequest)]
}

// For returns the multi-user chat client attached to c, attaching it the
// first time (Smack's MultiUserChatManager.getInstanceFor): every caller
// holding c gets the same Client and the same Rooms. Attach it before
// Connect, so that invitations kept for the user while offline are
// heard, or at any time. Close detaches it; For then attaches a new one.
func For(c *xmpp.Conn) *Client { return xmpp.Attach(c, newClient) }

func newClient(c *xmpp.Conn) *Client {
	m := &Client{c: c, rooms: map[jid.JID]*Room{}}
	m.detach = []func(){
		c.Announce(NS),
		c.Announce(NSConference),
		c.HandlePresence(m.isRoom, m.presence),
		c.HandleMessage(m.isRoom, m.message),
		c.HandleMessage(isInvitation, m.invitation),
		c.HandleMessage(m.isVoiceRequest, m.voiceRequest),
		c.OnState(m.state),
	}
	return m
}

// mustListen panics when a registration is given no func: a programmer
// error, found at once rather than when the first event comes.
func mustListen(method string, isNil bool) {
	if isNil {
		panic("muc: " + method + " with a nil listener")
	}
}

// Room returns the room with the given address (its bare JID is used),
// the same *Room for the same room every time. Getting a Room sends
// nothing: call Join or Create.
func (m *Client) Room(room jid.JID) *Room {
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
func (m *Client) Rooms() []*Room {
	all := m.all()
	joined := all[:0]
	for _, r := range all {
		if r.Joined() {
			joined = append(joined, r)
		}
	}
	return joined
}

// all returns every Room handed out.
func (m *Client) all() []*Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	all := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		all = append(all, r)
	}
	return all
}

// Close detaches the Client from the connection: its rooms and listeners
// hear nothing more, and For attaches a new Client with new Rooms. It
// sends nothing (leave the rooms first to tell them) and is safe to call
// more than once.
func (m *Client) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	detach := m.detach
	m.mu.Unlock()
	xmpp.Detach(m.c, m)
	for _, d := range detach {
		d()
	}
	for _, r := range m.all() {
		r.mu.Lock()
		if r.col != nil && !r.pulling { // an operation under way closes its own
			r.col.Close()
			r.col = nil
		}
		r.mu.Unlock()
	}
}

func (m *Client) lookup(from jid.JID) *Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[from.Bare()]
}

func (m *Client) isRoom(s stanza.Stanza) bool {
	return m.lookup(s.Head().From) != nil
}

func (m *Client) presence(p *stanza.Presence) {
	if r := m.lookup(p.From); r != nil {
		r.handle(p)
	}
}

func (m *Client) message(msg *stanza.Message) {
	if r := m.lookup(msg.From); r != nil {
		r.handle(msg)
	}
}

// state marks every room left when the stream ends: the service removes
// the user from its rooms when the session goes.
func (m *Client) state(sc xmpp.StateChange) {
	m.stateForRejoin(sc)
	if sc.State != xmpp.StateClosed {
		return
	}
	for _, r := range m.all() {
		r.disconnected(sc.Err != nil) // a lost session, not Close: rejoin later
	}
}
