package muc_test

import (
	"strings"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFor: For gives every caller the Conn's one Client, and its Rooms;
// after Close, a new Client with new Rooms.
func TestFor(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: hag.Bare()})
	m := muc.For(c)
	assert.Same(t, m, muc.For(c))
	room := m.Room(coven)
	assert.Same(t, room, muc.For(c).Room(jid.MustParse("coven@chat.shakespeare.lit/firstwitch")), "by bare JID")
	assert.ElementsMatch(t, []string{muc.NS, muc.NSConference}, c.Announced())
	assert.True(t, m.AutoRejoin(), "on by default")
	m.SetAutoRejoin(false)
	assert.False(t, muc.For(c).AutoRejoin())
	m.Close()
	m.Close()
	assert.Empty(t, c.Announced(), "Close withdraws the features")
	fresh := muc.For(c)
	assert.NotSame(t, m, fresh)
	assert.NotSame(t, room, fresh.Room(coven))
	assert.True(t, fresh.AutoRejoin(), "a fresh Client has the default")
	assert.NotSame(t, m, muc.For(xmpp.New(xmpp.Config{JID: hag.Bare()})), "one per Conn")
}

// TestNilListeners: every registration refuses a nil func at once.
func TestNilListeners(t *testing.T) {
	m := muc.For(xmpp.New(xmpp.Config{JID: hag.Bare()}))
	r := m.Room(coven)
	for name, register := range map[string]func(){
		"OnInvitation":    func() { m.OnInvitation(nil) },
		"OnDecline":       func() { m.OnDecline(nil) },
		"OnRejoin":        func() { m.OnRejoin(nil) },
		"OnVoiceRequest":  func() { m.OnVoiceRequest(nil) },
		"Room.OnMessage":  func() { r.OnMessage(nil) },
		"Room.OnSubject":  func() { r.OnSubject(nil) },
		"Room.OnOccupant": func() { r.OnOccupant(nil) },
		"Room.OnSelf":     func() { r.OnSelf(nil) },
		"Room.OnExit":     func() { r.OnExit(nil) },
		"Room.OnDecline":  func() { r.OnDecline(nil) },
	} {
		method := strings.TrimPrefix(name, "Room.")
		assert.PanicsWithValue(t, "muc: "+method+" with a nil listener", register, name)
	}
}

// TestRemoveListeners: a remove func removes exactly its own listener,
// and calling it again changes nothing.
func TestRemoveListeners(t *testing.T) {
	var got []string
	var room *muc.Room
	connectWith(t, "remove-listeners", enter+`
S: <message from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='m1'><body>one</body></message>
S: <message from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='m2'><body>two</body></message>
`+marker, func(c *xmpp.Conn) {
		room = muc.For(c).Room(coven)
		var removeA func()
		removeA = room.OnMessage(func(m *stanza.Message) {
			got = append(got, "a "+m.ID)
			removeA()
			removeA()
		})
		room.OnMessage(func(m *stanza.Message) { got = append(got, "b "+m.ID) })
		removeC := room.OnMessage(func(m *stanza.Message) { got = append(got, "c "+m.ID) })
		removeC()
		removeC()
		room.OnMessage(func(m *stanza.Message) { got = append(got, "d "+m.ID) })
	})
	done := onMarker(room)
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	wait(t, "the marker", done)
	assert.Equal(t, []string{"a m1", "b m1", "d m1", "b m2", "d m2", "b marker", "d marker"}, got)
}

// TestEventsInWireOrder: the Client's and the Room's events run on the
// connection's dispatcher, in the order of the stanzas that caused them,
// interleaved with a plain listener's stanzas (each event before the
// plain listener hears its stanza: the Client registered first).
func TestEventsInWireOrder(t *testing.T) {
	h := &heard{}
	var room *muc.Room
	var heardAll <-chan struct{}
	connectWith(t, "events-in-wire-order", enter+fourthEnters+`
S: <message from='crone1@shakespeare.lit/desktop' to='hag66@shakespeare.lit/pda' id='c1' type='chat'><body>psst</body></message>
S: <message from='coven@chat.shakespeare.lit/fourthwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='g1'><body>hail</body></message>
S: <message from='darkcave@macbeth.shakespeare.lit' to='hag66@shakespeare.lit/pda' id='i1'>
     <x xmlns='http://jabber.org/protocol/muc#user'><invite from='crone1@shakespeare.lit/desktop'/></x>
   </message>
S: <message from='coven@chat.shakespeare.lit' id='d1' to='hag66@shakespeare.lit/pda'>
     <x xmlns='http://jabber.org/protocol/muc#user'><decline from='hecate@shakespeare.lit'/></x>
   </message>
S: <message from='coven@chat.shakespeare.lit/firstwitch' to='hag66@shakespeare.lit/pda' type='groupchat' id='s2'><subject>Toil</subject></message>
S: <presence from='coven@chat.shakespeare.lit/fourthwitch' to='hag66@shakespeare.lit/pda' type='unavailable'>
     <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/><status code='307'/></x>
   </presence>
`+marker, func(c *xmpp.Conn) {
		m := muc.For(c)
		room = m.Room(coven)
		m.OnInvitation(func(inv muc.Invitation) { h.note("invitation to %s", inv.Room.Localpart()) })
		m.OnDecline(func(d muc.Decline) { h.note("decline by %s", d.From.Localpart()) })
		heardAll = listenAll(h, c, room)
	})
	require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
	wait(t, "the marker", heardAll)
	assert.Equal(t, []string{
		"presence firstwitch ",
		"presence secondwitch ",
		"presence thirdwitch ",
		`subject "Fire Burn and Cauldron Bubble!" by secondwitch`,
		"message s1",
		"occupant fourthwitch joined",
		"presence fourthwitch ",
		"message c1",
		"room message g1",
		"message g1",
		"invitation to darkcave",
		"message i1",
		"decline by hecate",
		"message d1",
		`subject "Toil" by firstwitch`,
		"message s2",
		"occupant fourthwitch kicked",
		"presence fourthwitch unavailable",
		"room message marker",
		"message marker",
	}, h.get())
}
