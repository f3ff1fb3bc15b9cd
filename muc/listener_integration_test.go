//go:build integration

package muc_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// joinedInListener is what a listener that joined a room saw when Join
// returned.
type joinedInListener struct {
	err       error
	joined    bool
	nick      string
	occupants []string
}

func occupantNicks(r *muc.Room) []string {
	var nicks []string
	for _, o := range r.Occupants() {
		nicks = append(nicks, o.Nick)
	}
	return nicks
}

// roomWithTwo makes alice create a room where occupants may change the
// subject, and carol enter it.
func roomWithTwo(t *testing.T, s *testserver.Server, prefix string) (jid.JID, *member) {
	ctx := scenarioContext(t)
	roomJID := uniqueRoom(s, prefix)
	alice := enterAs(t, s, "alice", roomJID)
	createRoom(t, alice.room, map[string]bool{"muc#roomconfig_changesubject": true, "muc#roomconfig_persistentroom": false})
	carol := enterAs(t, s, "carol", roomJID)
	require.NoError(t, carol.room.Join(ctx, "Carol", noHistory))
	return roomJID, alice
}

// TestIntegrationJoinInInvitationListener: bob joins a room from inside
// his invitation listener, as Smack code does in an InvitationListener.
// Join returns with alice and carol listed, although it ran on the
// dispatcher that delivers the room's presences; those presences reach
// bob's listeners afterwards without occupant events; dave entering
// later is one, and alice's message reaches bob.
func TestIntegrationJoinInInvitationListener(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		roomJID, alice := roomWithTwo(t, s, "gosmack-invited")

		result := make(chan joinedInListener, 1)
		events := make(chan muc.OccupantEvent, 16)
		messages := make(chan *stanza.Message, 16)
		var bobRoom *muc.Room
		bob := testserver.Login(t, s.Config(t, "bob"), func(c *xmpp.Conn) {
			m := muc.For(c)
			bobRoom = m.Room(roomJID)
			bobRoom.OnOccupant(func(e muc.OccupantEvent) { events <- e })
			bobRoom.OnMessage(func(msg *stanza.Message) { messages <- msg })
			m.OnInvitation(func(inv muc.Invitation) {
				if inv.Room != roomJID {
					return // another test's
				}
				jctx, cancel := context.WithTimeout(ctx, testserver.Timeout)
				defer cancel()
				err := m.Room(inv.Room).Join(jctx, "Bob", muc.JoinConfig{Password: inv.Password, History: muc.History{None: true}})
				r := m.Room(inv.Room)
				result <- joinedInListener{err: err, joined: r.Joined(), nick: r.Nick(), occupants: occupantNicks(r)}
			})
		})
		require.NoError(t, alice.room.Invite(ctx, bob.JID(), "come in"))
		got := next(t, "bob's join", result, func(joinedInListener) bool { return true })
		require.NoError(t, got.err)
		assert.True(t, got.joined)
		assert.Equal(t, "Bob", got.nick)
		assert.Equal(t, []string{"Alice", "Bob", "Carol"}, got.occupants)
		next(t, "bob, for alice", alice.events, func(e muc.OccupantEvent) bool { return e.Kind == muc.Joined && e.Occupant.Nick == "Bob" })

		dave := enterAs(t, s, "dave", roomJID)
		require.NoError(t, dave.room.Join(ctx, "Dave", noHistory))
		e := next(t, "dave, for bob", events, func(muc.OccupantEvent) bool { return true })
		assert.Equal(t, muc.Joined, e.Kind, "no event for those already in the room")
		assert.Equal(t, "Dave", e.Occupant.Nick)
		require.NoError(t, alice.room.Send(ctx, "welcome"))
		next(t, "alice's message, for bob", messages, func(m *stanza.Message) bool { return m.Body("") == "welcome" })
		assert.Equal(t, []string{"Alice", "Bob", "Carol", "Dave"}, occupantNicks(bobRoom))
		require.NoError(t, dave.room.Leave(ctx, ""))
		require.NoError(t, bobRoom.Leave(ctx, ""))
	})
}

// TestIntegrationJoinInMessageListener: a plain message listener of bob's
// joins the room a chat message names, changes the nickname there and
// sets the subject, every wait ending although the dispatcher is held;
// the occupants and the subject are right when it returns.
func TestIntegrationJoinInMessageListener(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		roomJID, alice := roomWithTwo(t, s, "gosmack-asked")
		require.NoError(t, alice.room.SetSubject(ctx, "First"))

		type outcome struct {
			joinErr, nickErr, subjectErr error
			nick, subject                string
			occupants                    []string
		}
		result := make(chan outcome, 1)
		events := make(chan muc.OccupantEvent, 16)
		var bobRoom *muc.Room
		bob := testserver.Login(t, s.Config(t, "bob"), func(c *xmpp.Conn) {
			bobRoom = muc.For(c).Room(roomJID)
			bobRoom.OnOccupant(func(e muc.OccupantEvent) { events <- e })
			c.HandleMessage(stanza.WithID("go-"+roomJID.Localpart()), func(msg *stanza.Message) {
				jctx, cancel := context.WithTimeout(ctx, testserver.Timeout)
				defer cancel()
				var o outcome
				o.joinErr = bobRoom.Join(jctx, "Bob", noHistory)
				if o.joinErr == nil {
					o.nickErr = bobRoom.ChangeNick(jctx, "Robert")
					o.subjectErr = bobRoom.SetSubject(jctx, "Second")
				}
				o.nick, o.subject, o.occupants = bobRoom.Nick(), bobRoom.Subject(), occupantNicks(bobRoom)
				result <- o
			})
		})
		ask := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "come to " + roomJID.String()}}}
		ask.To, ask.ID = bob.JID(), "go-"+roomJID.Localpart()
		require.NoError(t, alice.c.Send(ctx, ask))
		got := next(t, "bob's listener", result, func(outcome) bool { return true })
		require.NoError(t, got.joinErr)
		require.NoError(t, got.nickErr)
		require.NoError(t, got.subjectErr)
		assert.Equal(t, "Robert", got.nick)
		assert.Equal(t, "Second", got.subject)
		assert.Equal(t, []string{"Alice", "Carol", "Robert"}, got.occupants)

		// Bob's listeners then hear the nickname change, his own, and no
		// event for alice and carol.
		e := next(t, "bob's nick change", events, func(muc.OccupantEvent) bool { return true })
		assert.Equal(t, muc.NickChanged, e.Kind)
		assert.Equal(t, "Bob", e.Old.Nick)
		assert.Equal(t, "Robert", e.Occupant.Nick)
		next(t, "the subject, for alice", alice.subjects, func(s string) bool { return s == "Robert: Second" })
		assert.True(t, slices.Equal([]string{"Alice", "Carol", "Robert"}, occupantNicks(bobRoom)))
		require.NoError(t, bobRoom.Leave(ctx, ""))
		assert.False(t, bobRoom.Joined())
	})
}
