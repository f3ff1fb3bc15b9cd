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
	m.Close()
	m.Close()
	assert.Empty(t, c.Announced(), "Close withdraws the features")
	fresh := muc.For(c)
	assert.NotSame(t, m, fresh)
	assert.NotSame(t, room, fresh.Room(coven))
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
