package muc_test

import (
	"strings"
	"testing"

	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfPing is XEP-0410 example 1, the ping to the user's own occupant
// JID, answered with reply (the inside of the iq) of type typ.
func selfPing(id, typ, reply string) string {
	return `
C: <iq id='{{` + id + `}}' to='coven@chat.shakespeare.lit/thirdwitch' type='get'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq from='coven@chat.shakespeare.lit/thirdwitch' id='{{` + id + `}}' to='hag66@shakespeare.lit/pda' type='` + typ + `'>` + reply + `</iq>
`
}

func pingError(typ, condition string) string {
	return `<error type='` + typ + `'><` + condition + ` xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`
}

// TestSelfPingJoined: a result, and the errors that say the user is in
// (service-unavailable, feature-not-implemented: a client without
// XEP-0199), then one that decides nothing (remote-server-timeout).
func TestSelfPingJoined(t *testing.T) {
	_, room := connect(t, "self-ping-joined", enter+
		selfPing("p1", "result", "")+
		selfPing("p2", "error", pingError("cancel", "service-unavailable"))+
		selfPing("p3", "error", pingError("cancel", "feature-not-implemented"))+
		selfPing("p5", "error", pingError("wait", "remote-server-timeout")))
	exits := make(chan muc.Exit, 1)
	room.OnExit(func(e muc.Exit) { exits <- e })
	ctx := ctxT(t)
	require.ErrorIs(t, room.SelfPing(ctx), muc.ErrNotJoined)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	for range 3 {
		require.NoError(t, room.SelfPing(ctx))
	}
	err := room.SelfPing(ctx)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.RemoteServerTimeout})
	assert.NotErrorIs(t, err, muc.ErrDropped)
	assert.True(t, room.Joined())
	assert.Len(t, room.Occupants(), 3)
	assert.Empty(t, exits)
}

// TestSelfPingDropped: not-acceptable (XEP-0410 example 2) says the user
// is out; after entering again, item-not-found (the room is gone, as
// Prosody and ejabberd answer for a destroyed room) too. The test enters
// again by hand, so automatic rejoining is off.
func TestSelfPingDropped(t *testing.T) {
	var room *muc.Room
	connectWith(t, "self-ping-dropped", enter+
		selfPing("p1", "error", pingError("cancel", "not-acceptable"))+enter+
		selfPing("p2", "error", pingError("cancel", "item-not-found")),
		func(c *xmpp.Conn) {
			m := muc.For(c)
			m.SetAutoRejoin(false)
			room = m.Room(coven)
		})
	exits := make(chan muc.Exit, 1)
	room.OnExit(func(e muc.Exit) { exits <- e })
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	err := room.SelfPing(ctx)
	require.ErrorIs(t, err, muc.ErrDropped)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.NotAcceptable})
	assert.False(t, room.Joined())
	assert.Empty(t, room.Occupants())
	e := <-exits
	assert.Equal(t, muc.ExitDropped, e.Reason)
	assert.Equal(t, "dropped", e.Reason.String())
	require.ErrorIs(t, room.SelfPing(ctx), muc.ErrNotJoined)

	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	err = room.SelfPing(ctx)
	require.ErrorIs(t, err, muc.ErrDropped)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})
	assert.False(t, room.Joined())
	assert.Equal(t, muc.ExitDropped, (<-exits).Reason)
}

// TestSelfPingDroppedRejoins: with automatic rejoining (the default), a
// room the self-ping finds the user dropped from is entered again, with
// the same nickname, and OnRejoin hears it (XEP-0410 section 3.3: "the
// client ... should rejoin").
func TestSelfPingDroppedRejoins(t *testing.T) {
	var m *muc.Client
	var room *muc.Room
	connectWith(t, "self-ping-rejoins", enter+
		selfPing("p1", "error", pingError("cancel", "not-acceptable"))+
		// Again, asking for the history since the last message seen.
		strings.Replace(enter, "<x xmlns='http://jabber.org/protocol/muc'/>",
			"<x xmlns='http://jabber.org/protocol/muc'><history since='{{*}}'/></x>", 1),
		func(c *xmpp.Conn) {
			m = muc.For(c)
			room = m.Room(coven)
		})
	rejoined := make(chan error, 1)
	m.OnRejoin(func(e muc.Rejoin) {
		assert.Same(t, room, e.Room)
		rejoined <- e.Err
	})
	exits := make(chan muc.Exit, 1)
	room.OnExit(func(e muc.Exit) { exits <- e })
	subjects := make(chan muc.SubjectChange, 1)
	room.OnSubject(func(e muc.SubjectChange) { subjects <- e })
	ctx := ctxT(t)
	require.NoError(t, room.Join(ctx, "thirdwitch", muc.JoinConfig{}))
	wait(t, "the subject", subjects) // the last message seen, which the rejoin asks history since
	require.ErrorIs(t, room.SelfPing(ctx), muc.ErrDropped)
	assert.Equal(t, muc.ExitDropped, wait(t, "exit", exits).Reason)
	require.NoError(t, wait(t, "rejoin", rejoined))
	assert.True(t, room.Joined())
	assert.Equal(t, "thirdwitch", room.Nick())
	assert.Len(t, room.Occupants(), 3)
}
