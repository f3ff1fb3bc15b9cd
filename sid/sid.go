package sid

import (
	"context"
	"encoding/xml"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/msgext"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// NS is the namespace of Unique and Stable Stanza IDs (XEP-0359), also the
// feature an entity announces when it stamps stanza ids.
const NS = "urn:xmpp:sid:0"

// maxEntities bounds the answers a Manager keeps: the account and the
// rooms it talks in are a handful; a flood of groupchat messages from
// made-up rooms costs at most this many entries.
const maxEntities = 256

var (
	originName   = xml.Name{Space: NS, Local: "origin-id"}
	stanzaIDName = xml.Name{Space: NS, Local: "stanza-id"}
)

// OriginID returns the id of m's <origin-id/>: the id the sending client
// gave the message, which no server rewrites. ok is false when m has none
// or its id is empty. An origin-id says what its sender claims: use it to
// recognise the user's own messages coming back (a room's reflection), not
// as proof of anything.
func OriginID(m *stanza.Message) (id string, ok bool) {
	return msgext.ID(m, originName)
}

// SetOriginID puts <origin-id id='id'/> on m, replacing any it carries.
// It never changes the array behind the caller's m.Extensions. An empty
// id removes the element.
func SetOriginID(m *stanza.Message, id string) {
	var n stanza.Node
	if id != "" {
		n = msgext.WithID(originName, id)
	}
	msgext.Put(m, msgext.Is(originName), n)
}

// StanzaID returns the id of the <stanza-id/> on m whose by is the given
// JID (compared as bare JIDs), and reports whether there is exactly one
// such id. Elements with another by are ignored: anyone may write a
// stanza-id, and only the entity named by may be believed, and only when
// it announced NS (see Manager.Trusted). Two elements with that by and
// different ids give ok false: an entity that stamps ids removes the
// others, so two mean one of them is forged. StanzaID is pure: it reads
// m and nothing else.
func StanzaID(m *stanza.Message, by jid.JID) (id string, ok bool) {
	want := by.Bare()
	if want.IsZero() {
		return "", false
	}
	for i := range m.Extensions {
		n := &m.Extensions[i]
		if n.Name != stanzaIDName {
			continue
		}
		b, err := jid.Parse(n.Attr("by"))
		if err != nil || b != want {
			continue
		}
		v := n.Attr("id")
		switch {
		case v == "":
			return "", false
		case id != "" && v != id:
			return "", false
		}
		id = v
	}
	return id, id != ""
}

// AddStanzaID adds <stanza-id id='id' by='by'/> to m, as a server or a
// room does; a client needs it only to build test stanzas and archives.
// It never changes the array behind the caller's m.Extensions.
func AddStanzaID(m *stanza.Message, id string, by jid.JID) {
	m.Extensions = append(slices.Clip(m.Extensions), stanza.Node{Name: stanzaIDName, Attrs: []xml.Attr{
		{Name: xml.Name{Local: "id"}, Value: id},
		{Name: xml.Name{Local: "by"}, Value: by.Bare().String()},
	}})
}

// Manager adds origin ids to outgoing messages and tells which stanza ids
// of incoming messages can be trusted, on one connection (Smack's
// StableUniqueStanzaIdManager). For returns the one a connection has; its
// zero value is not usable. All methods are safe for concurrent use.
type Manager struct {
	c       *xmpp.Conn
	origins atomic.Bool

	mu       sync.Mutex
	answers  map[jid.JID]answer        // what each entity announced
	order    []jid.JID                 // answers' keys, oldest first
	inflight map[jid.JID]chan struct{} // queries being asked

	closeOnce sync.Once
	detach    []func()
}

// For returns the Manager attached to c, attaching one the first time
// (Smack's StableUniqueStanzaIdManager.getInstanceFor), connected or not.
// From then on c announces urn:xmpp:sid:0 and puts an origin-id on every
// message it sends (see SetOriginIDs). It stays attached across streams
// until Close; For after Close attaches a new one. For is safe for
// concurrent use.
func For(c *xmpp.Conn) *Manager { return xmpp.Attach(c, attach) }

func attach(c *xmpp.Conn) *Manager {
	s := &Manager{c: c, answers: make(map[jid.JID]answer), inflight: make(map[jid.JID]chan struct{})}
	s.origins.Store(true)
	s.detach = []func(){
		c.Announce(NS),
		c.Intercept(s.intercept),
		c.OnState(s.state),
	}
	return s
}

// OriginIDs reports whether outgoing messages get an origin-id; true
// unless SetOriginIDs turned it off.
func (s *Manager) OriginIDs() bool { return s.origins.Load() }

// SetOriginIDs turns the origin-id on outgoing messages on or off, from
// the next Send. It is on by default.
func (s *Manager) SetOriginIDs(on bool) { s.origins.Store(on) }

// Close detaches the Manager from its connection: outgoing messages get
// no origin-id any more, the feature is withdrawn, and the answers kept
// are forgotten. For then attaches a new Manager. Close is safe to call
// more than once, from any goroutine.
func (s *Manager) Close() {
	s.closeOnce.Do(func() {
		xmpp.Detach(s.c, s)
		for _, f := range s.detach {
			f()
		}
		s.forget()
	})
}

// intercept gives an outgoing message an origin-id equal to its own id.
// It runs on the goroutine that calls Send, after Send gave the message
// its id. Error messages get none (they answer another message), nor a
// message that carries one already.
func (s *Manager) intercept(st stanza.Stanza) {
	m, ok := st.(*stanza.Message)
	if !ok || !s.origins.Load() || m.ID == "" || m.Type == stanza.MessageError || m.Error != nil {
		return
	}
	if _, has := OriginID(m); has {
		return
	}
	SetOriginID(m, m.ID)
}

// state forgets the answers at each new session: the server may have been
// reconfigured, and a room may have changed hands. A resumed session
// keeps them.
func (s *Manager) state(e xmpp.StateChange) {
	if e.State == xmpp.StateAuthenticated {
		s.forget()
	}
}

func (s *Manager) forget() {
	s.mu.Lock()
	clear(s.answers)
	s.order = s.order[:0]
	s.mu.Unlock()
}

// Entity returns who may stamp the stanza ids of m that can be trusted:
// the room's bare JID for a groupchat message, the account's bare JID for
// any other (its server stamps what it delivers to the account). It is
// zero before the connection has bound a JID.
func (s *Manager) Entity(m *stanza.Message) jid.JID {
	if m.Type == stanza.Groupchat {
		return m.From.Bare()
	}
	return s.c.JID().Bare()
}

// Trusted returns the stanza id of m that can be believed: the one whose
// by is Entity(m), when that entity announced urn:xmpp:sid:0 in service
// discovery, and, for a groupchat message, identified itself as a room
// (category conference, type text): a groupchat message that a user sends
// from its own account cannot vouch for itself. A stanza-id whose by names
// anyone else is ignored.
//
// The first call for an entity asks it (disco#info) and waits for the
// answer on the caller's goroutine; later calls use the answer kept, until
// the next new session (a resumed one keeps them). ctx bounds that query;
// when it ends, or the query fails other than with an error reply, ok is
// false and nothing is kept, so a later call asks again. An entity that
// answers with an error is kept as not announcing. At most 256 entities
// are kept, the oldest dropped first. Trusted may be called from a
// listener (the query is an IQ, see xmpp.Conn.SendIQ).
func (s *Manager) Trusted(ctx context.Context, m *stanza.Message) (id string, ok bool) {
	by := s.Entity(m)
	id, ok = StanzaID(m, by)
	if !ok {
		return "", false
	}
	a := s.announced(ctx, by)
	if !a.sid || (m.Type == stanza.Groupchat && !a.room) {
		return "", false
	}
	return id, true
}

// answer is what an entity said of itself in disco#info.
type answer struct {
	sid  bool // it announced NS
	room bool // it is a room (identity conference/text)
}

// announced returns what entity announced, asking it once.
func (s *Manager) announced(ctx context.Context, entity jid.JID) answer {
	for {
		s.mu.Lock()
		if a, known := s.answers[entity]; known {
			s.mu.Unlock()
			return a
		}
		wait, asking := s.inflight[entity]
		if !asking {
			done := make(chan struct{})
			s.inflight[entity] = done
			s.mu.Unlock()
			a := s.ask(ctx, entity)
			s.mu.Lock()
			delete(s.inflight, entity)
			close(done)
			s.mu.Unlock()
			return a
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return answer{}
		}
	}
}

// ask queries entity and keeps a definite answer.
func (s *Manager) ask(ctx context.Context, entity jid.JID) answer {
	info, err := disco.For(s.c).Info(ctx, entity, "")
	var serr *stanza.Error
	switch {
	case err == nil:
	case errors.As(err, &serr):
		info = &disco.Info{}
	default:
		return answer{}
	}
	a := answer{sid: info.HasFeature(NS), room: info.HasIdentity("conference", "text")}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.answers[entity]; !known {
		if len(s.order) >= maxEntities {
			delete(s.answers, s.order[0])
			s.order = slices.Delete(s.order, 0, 1)
		}
		s.order = append(s.order, entity)
	}
	s.answers[entity] = a
	return a
}
