package muc_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// invitation is XEP-0249's example 1, a direct invitation to coven.
const invitation = `
S: <message from='crone1@shakespeare.lit/desktop' to='hag66@shakespeare.lit/pda' id='inv'>
     <x xmlns='jabber:x:conference' jid='coven@chat.shakespeare.lit' reason='Join us'/>
   </message>
`

// fourthEnters: another occupant enters the room.
const fourthEnters = `
S: <presence from='coven@chat.shakespeare.lit/fourthwitch' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x>
   </presence>
`

// heard is what the listeners of a test heard, in order.
type heard struct {
	mu  sync.Mutex
	all []string
}

func (h *heard) note(format string, args ...any) {
	h.mu.Lock()
	h.all = append(h.all, fmt.Sprintf(format, args...))
	h.mu.Unlock()
}

func (h *heard) get() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.all...)
}

// listenAll registers on room and c listeners that note every event and
// stanza (the user's own messages to the room as "message (own)"), and
// returns a channel closed after the listeners heard the marker.
func listenAll(h *heard, c *xmpp.Conn, room *muc.Room) <-chan struct{} {
	room.OnOccupant(func(e muc.OccupantEvent) { h.note("occupant %s %s", e.Occupant.Nick, e.Kind) })
	room.OnSubject(func(e muc.SubjectChange) { h.note("subject %q by %s", e.Subject, e.Nick) })
	room.OnMessage(func(m *stanza.Message) { h.note("room message %s", m.ID) })
	c.HandlePresence(nil, func(p *stanza.Presence) { h.note("presence %s %s", p.From.Resourcepart(), p.Type) })
	c.HandleMessage(nil, func(m *stanza.Message) {
		if m.From.Bare() == room.JID() && m.From.Resourcepart() == room.Nick() {
			h.note("message (own)")
			return
		}
		h.note("message %s", m.ID)
	})
	marker := make(chan struct{})
	c.HandleMessage(stanza.WithID("marker"), func(*stanza.Message) { close(marker) })
	return marker
}

// TestJoinInInvitationListener: an invitation listener joins the room,
// as Smack code does in an InvitationListener: Join returns with the
// room's occupants while the dispatcher is held by the listener, and the
// listeners then hear the room's stanzas in wire order, with no event for
// the occupants already there, and the events of what followed.
func TestJoinInInvitationListener(t *testing.T) {
	h := &heard{}
	joined := make(chan []muc.Occupant, 1)
	var heardAll <-chan struct{}
	connectWith(t, "join-in-invitation-listener", invitation+enter+fourthEnters+marker, func(c *xmpp.Conn) {
		m := muc.For(c)
		room := m.Room(coven)
		m.OnInvitation(func(inv muc.Invitation) {
			h.note("invitation to %s", inv.Room.Localpart())
			err := m.Room(inv.Room).Join(ctxT(t), "thirdwitch", muc.JoinConfig{Password: inv.Password})
			assert.NoError(t, err)
			h.note("joined")
			joined <- room.Occupants()
		})
		heardAll = listenAll(h, c, room)
	})
	occupants := wait(t, "the join", joined)
	require.Len(t, occupants, 3)
	assert.Equal(t, "firstwitch", occupants[0].Nick)
	assert.Equal(t, muc.RoleParticipant, occupants[2].Role)
	wait(t, "the marker", heardAll)
	assert.Equal(t, []string{
		"invitation to coven",
		"joined",
		"message inv",
		"presence firstwitch ",
		"presence secondwitch ",
		"presence thirdwitch ",
		`subject "Fire Burn and Cauldron Bubble!" by secondwitch`,
		"message s1",
		"occupant fourthwitch joined",
		"presence fourthwitch ",
		"room message marker",
		"message marker",
	}, h.get())
}

// TestJoinInMessageListener: a plain message listener joins the room
// when a message asks it to, and changes its nickname there, then sets the
// subject: every wait ends although the dispatcher is held.
func TestJoinInMessageListener(t *testing.T) {
	h := &heard{}
	done := make(chan *muc.Room, 1)
	var heardAll <-chan struct{}
	connectWith(t, "join-in-message-listener", `
S: <message from='crone1@shakespeare.lit/desktop' to='hag66@shakespeare.lit/pda' id='go'><body>go to coven</body></message>
`+enter+toOldhag+`
C: <message id='{{subj}}' to='coven@chat.shakespeare.lit' type='groupchat'><subject>Spells</subject></message>
S: <message from='coven@chat.shakespeare.lit/oldhag' to='hag66@shakespeare.lit/pda' type='groupchat' id='{{subj}}'><subject>Spells</subject></message>
`+marker, func(c *xmpp.Conn) {
		room := muc.For(c).Room(coven)
		c.HandleMessage(stanza.WithID("go"), func(*stanza.Message) {
			ctx := ctxT(t)
			require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
			require.NoError(t, room.ChangeNick(ctx, "oldhag"))
			require.NoError(t, room.SetSubject(ctx, "Spells"))
			h.note("done")
			done <- room
		})
		heardAll = listenAll(h, c, room)
	})
	room := wait(t, "the listener", done)
	assert.Equal(t, "oldhag", room.Nick())
	assert.Equal(t, "Spells", room.Subject())
	var nicks []string
	for _, o := range room.Occupants() {
		nicks = append(nicks, o.Nick)
	}
	assert.Equal(t, []string{"firstwitch", "oldhag", "secondwitch"}, nicks)
	wait(t, "the marker", heardAll)
	assert.Equal(t, []string{
		"done",
		"message go",
		"presence firstwitch ",
		"presence secondwitch ",
		"presence thirdwitch ",
		`subject "Fire Burn and Cauldron Bubble!" by secondwitch`,
		"message s1",
		"occupant oldhag nick-changed",
		"presence thirdwitch unavailable",
		"presence oldhag ",
		`subject "Spells" by oldhag`,
		"message (own)",
		"room message marker",
		"message marker",
	}, h.get())
}
