//go:build integration

package muc_test

import (
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/delay"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The use cases of usecases_test.go that the servers support, against
// Prosody and ejabberd. Every account logs in with its own resource and
// every room has a name of its own, since other tests use the same
// accounts at the same time; messages go to full JIDs.

func uniqueRoom(s *testserver.Server, prefix string) jid.JID {
	return jid.MustParse(fmt.Sprintf("%s-%d-%08x@%s", prefix, time.Now().UnixNano(), mathrand.Uint32(), s.MUCDomain))
}

// createRoom makes alice create room with configure's settings (fields
// the server lacks are skipped) and destroys it at the end of the test.
func createRoom(t *testing.T, room *muc.Room, settings map[string]bool) {
	t.Helper()
	ctx := scenarioContext(t)
	require.NoError(t, room.Create(ctx, "Alice", func(a *dataform.Answer) error {
		var errs []error
		for v, b := range settings {
			if a.Form().Field(v) != nil {
				errs = append(errs, a.SetBool(v, b))
			}
		}
		if f := a.Form().Field("muc#roomconfig_whois"); f != nil {
			errs = append(errs, a.Set("muc#roomconfig_whois", "anyone"))
		}
		return errors.Join(errs...)
	}, muc.JoinConfig{}))
	t.Cleanup(func() { _ = room.Destroy(testserver.Context(t), "", jid.JID{}) })
}

// TestIntegrationVoiceRequest: 7.13 and 8.6. alice owns a moderated
// room; bob joins and alice takes his voice; bob asks for it back, alice
// hears the request with bob's nickname and JID and approves, and bob is
// a participant again.
func TestIntegrationVoiceRequest(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		roomJID := uniqueRoom(s, "gosmack-voice")
		reqs := make(chan muc.VoiceRequest, 2)
		var alice *muc.Room
		testserver.Login(t, s.Config(t, "alice"), func(c *xmpp.Conn) {
			m := muc.For(c)
			alice = m.Room(roomJID)
			m.OnVoiceRequest(func(r muc.VoiceRequest) { reqs <- r })
		})
		createRoom(t, alice, map[string]bool{"muc#roomconfig_moderatedroom": true, "muc#roomconfig_allowvoicerequests": true})

		selves := make(chan muc.OccupantEvent, 4)
		var bob *muc.Room
		bobConn := testserver.Login(t, s.Config(t, "bob"), func(c *xmpp.Conn) {
			bob = muc.For(c).Room(roomJID)
			bob.OnSelf(func(e muc.OccupantEvent) { selves <- e })
		})
		require.NoError(t, bob.Join(ctx, "Bob", noHistory))
		if o, _ := bob.Occupant("Bob"); o.Role != muc.RoleVisitor {
			require.NoError(t, alice.RevokeVoice(ctx, "Bob", ""))
			e := next(t, "bob made a visitor", selves, func(muc.OccupantEvent) bool { return true })
			require.Equal(t, muc.RoleVisitor, e.Occupant.Role)
		}
		t.Logf("%s: bob is %+v", s.Name, bob.Occupants())

		require.NoError(t, bob.RequestVoice(ctx))
		req := next(t, "voice request", reqs, func(muc.VoiceRequest) bool { return true })
		t.Logf("%s: voice request %+v, form %+v", s.Name, req, req.Form.Fields)
		assert.Equal(t, roomJID, req.Room)
		assert.Equal(t, "Bob", req.Nick)
		assert.Equal(t, bobConn.JID(), req.JID)
		assert.Equal(t, muc.RoleParticipant, req.Role)

		require.NoError(t, alice.AnswerVoiceRequest(ctx, req, true))
		e := next(t, "bob's voice", selves, func(e muc.OccupantEvent) bool { return e.Occupant.Role == muc.RoleParticipant })
		assert.Equal(t, muc.RoleVisitor, e.Old.Role)
	})
}

// TestIntegrationRegistration: 7.10 and 7.12. alice makes bob a member of
// her room; bob registers a nickname and finds it reserved for him; dave,
// unaffiliated, asks to register too. The servers differ: see the
// per-server expectations.
func TestIntegrationRegistration(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		roomJID := uniqueRoom(s, "gosmack-reg")
		var alice *muc.Room
		testserver.Login(t, s.Config(t, "alice"), func(c *xmpp.Conn) { alice = muc.For(c).Room(roomJID) })
		createRoom(t, alice, map[string]bool{"muc#roomconfig_persistentroom": false})

		var bob *muc.Room
		bobConn := testserver.Login(t, s.Config(t, "bob"), func(c *xmpp.Conn) { bob = muc.For(c).Room(roomJID) })
		require.NoError(t, alice.GrantMembership(ctx, bobConn.JID(), ""))

		before, err := bob.ReservedNick(ctx)
		t.Logf("%s: bob's reserved nickname before registering: %q, %v", s.Name, before, err)
		reg, err := bob.RegistrationForm(ctx)
		t.Logf("%s: registration form for a member: %+v, %v", s.Name, reg, err)
		nick := fmt.Sprintf("bob-%08x", mathrand.Uint32())
		regErr := bob.Register(ctx, func(a *dataform.Answer) error {
			return a.Set(muc.FieldRegisterRoomNick, nick)
		})
		t.Logf("%s: bob registers as %s: %v", s.Name, nick, regErr)
		after, afterErr := bob.ReservedNick(ctx)
		t.Logf("%s: bob's reserved nickname after: %q, %v", s.Name, after, afterErr)

		var dave *muc.Room
		testserver.Login(t, s.Config(t, "dave"), func(c *xmpp.Conn) { dave = muc.For(c).Room(roomJID) })
		_, daveErr := dave.RegistrationForm(ctx)
		t.Logf("%s: registration form for an unaffiliated user: %v", s.Name, daveErr)

		switch s.Name {
		case "prosody":
			require.NoError(t, err)
			assert.Equal(t, "", before)
			require.NotNil(t, reg.Form)
			assert.Equal(t, muc.NSRegisterForm, reg.Form.FormType())
			require.NoError(t, regErr)
			require.NoError(t, afterErr)
			assert.Equal(t, nick, after)
			err := bob.Register(ctx, func(*dataform.Answer) error { return nil })
			assert.ErrorIs(t, err, muc.ErrRegistered)
			assert.ErrorIs(t, daveErr, &stanza.Error{Condition: stanza.RegistrationRequired})
			// The reserved nickname is bob's alone.
			require.ErrorIs(t, dave.Join(ctx, nick, muc.JoinConfig{}), muc.ErrNickInUse)
		case "ejabberd":
			// ejabberd registers nicknames with the service, not with
			// rooms: a room answers service-unavailable ("The feature
			// requested is not supported by the conference"), and
			// item-not-found ("Invalid node name") for x-roomuser-item
			// where the XEP asks for feature-not-implemented.
			assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable})
			assert.ErrorIs(t, regErr, &stanza.Error{Condition: stanza.ServiceUnavailable})
			assert.ErrorIs(t, daveErr, &stanza.Error{Condition: stanza.ServiceUnavailable})
			assert.ErrorIs(t, afterErr, &stanza.Error{Condition: stanza.ItemNotFound})
			assert.Equal(t, "", after)
		}
	})
}

// TestIntegrationOccupantUseCases: alice creates a non-anonymous room
// (7.2.3's status codes), bob joins, answers disco about his client and
// his rooms (6.7), changes his availability (7.7), alice changes the
// configuration (10.2.1's notice), lists the room's items (6.5), and
// turns a chat with carol into the room (7.9): carol's invitation and the
// history she finds on entering.
func TestIntegrationOccupantUseCases(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		roomJID := uniqueRoom(s, "gosmack-occ")
		var alice *muc.Room
		var aliceConn *xmpp.Conn
		aliceEvents := make(chan muc.OccupantEvent, 16)
		aliceConn = testserver.Login(t, s.Config(t, "alice"), func(c *xmpp.Conn) {
			alice = muc.For(c).Room(roomJID)
			alice.OnOccupant(func(e muc.OccupantEvent) { aliceEvents <- e })
		})
		createRoom(t, alice, map[string]bool{"muc#roomconfig_persistentroom": false})
		self, ok := alice.Occupant(alice.Nick())
		require.True(t, ok)
		t.Logf("%s: alice's status codes on creating: %v", s.Name, muc.StatusCodes(self.Presence))
		assert.Subset(t, muc.StatusCodes(self.Presence), []int{muc.StatusSelf, muc.StatusCreated})

		bobMsgs := make(chan *stanza.Message, 16)
		var bob *muc.Room
		bobConn := testserver.Login(t, s.Config(t, "bob"), func(c *xmpp.Conn) {
			m := muc.For(c)
			m.AnswerJoinedRooms(true)
			bob = m.Room(roomJID)
			bob.OnMessage(func(msg *stanza.Message) { bobMsgs <- msg })
		})
		require.NoError(t, bob.Join(ctx, "Bob", noHistory))
		bobSelf, _ := bob.Occupant("Bob")
		t.Logf("%s: bob's status codes on entering a non-anonymous room: %v", s.Name, muc.StatusCodes(bobSelf.Presence))
		assert.Contains(t, muc.StatusCodes(bobSelf.Presence), muc.StatusNonAnonymous)
		aliceSeen, _ := bob.Occupant("Alice")
		assert.False(t, aliceSeen.JID.IsZero(), "a non-anonymous room shows alice's JID")

		// 6.7: bob's client supports MUC and tells which rooms bob is in.
		ok, err := muc.Supports(ctx, aliceConn, bobConn.JID())
		require.NoError(t, err)
		assert.True(t, ok)
		rooms, err := muc.JoinedRooms(ctx, aliceConn, bobConn.JID())
		require.NoError(t, err)
		assert.Contains(t, rooms, disco.Item{JID: roomJID, Name: "Bob"})

		// 6.5: the room's items.
		items, err := muc.RoomItems(ctx, aliceConn, roomJID)
		t.Logf("%s: room items %v, %v", s.Name, items, err)

		// 7.7: bob goes away.
		require.NoError(t, bob.SetPresence(ctx, stanza.ShowAway, "brb"))
		e := next(t, "bob away", aliceEvents, func(e muc.OccupantEvent) bool {
			return e.Kind == muc.Changed && e.Occupant.Nick == "Bob" && e.Occupant.Presence.Show == stanza.ShowAway
		})
		assert.Equal(t, "brb", e.Occupant.Presence.Status(""))

		// 10.2.1: a configuration change is announced to the occupants.
		require.NoError(t, alice.Configure(ctx, func(a *dataform.Answer) error {
			return a.Set("muc#roomconfig_roomname", "Renamed")
		}))
		notice := next(t, "configuration notice", bobMsgs, func(m *stanza.Message) bool { return m.From == roomJID && len(muc.StatusCodes(m)) > 0 })
		t.Logf("%s: configuration notice codes %v", s.Name, muc.StatusCodes(notice))
		assert.Contains(t, muc.StatusCodes(notice), muc.StatusConfigChanged)

		// 7.9: alice turns her chat with carol into the room.
		invs := make(chan muc.Invitation, 2)
		var carol *muc.Room
		carolMsgs := make(chan *stanza.Message, 16)
		carolConn := testserver.Login(t, s.Config(t, "carol"), func(c *xmpp.Conn) {
			m := muc.For(c)
			m.OnInvitation(func(inv muc.Invitation) { invs <- inv })
			carol = m.Room(roomJID)
			carol.OnMessage(func(msg *stanza.Message) { carolMsgs <- msg })
		})
		const thread = "e0ffe42b28561960c6b12b944a092794b9683a38"
		stamp := time.Now().Add(-time.Hour).Truncate(time.Second)
		history := []muc.HistoryMessage{
			{From: carolConn.JID(), Body: "Thrice the brinded cat hath mew'd.", Stamp: stamp},
			{From: jid.MustParse("alice@localhost"), Body: "Thrice and once the hedge-pig whined.", Stamp: stamp.Add(time.Minute)},
		}
		require.NoError(t, alice.Continue(ctx, thread, history, "Let us go on in the room", carolConn.JID()))
		inv := next(t, "carol's invitation", invs, func(inv muc.Invitation) bool { return inv.Room == roomJID })
		t.Logf("%s: carol's invitation %+v", s.Name, inv)
		assert.Equal(t, roomJID, inv.Room)
		assert.Equal(t, "Let us go on in the room", inv.Reason)
		switch s.Name {
		case "prosody":
			assert.False(t, inv.Continue, "Prosody drops <continue/>")
		default:
			assert.True(t, inv.Continue)
			assert.Equal(t, thread, inv.Thread)
		}
		require.NoError(t, carol.Join(ctx, "Carol", muc.JoinConfig{}))
		var got []string
		for len(got) < 2 {
			m := next(t, "history", carolMsgs, func(m *stanza.Message) bool { return m.Body("") != "" })
			d, ok := delay.Of(m)
			t.Logf("%s: carol's history: %q thread %q delayed %v %v by %v", s.Name, m.Body(""), m.Thread.ID, ok, d.Stamp, d.From)
			require.True(t, ok, "history is delayed")
			got = append(got, m.Body(""))
		}
		// Both servers keep the sender's delay rather than adding their own.
		assert.True(t, slices.Equal(got, []string{history[0].Body, history[1].Body}), "%v", got)
	})
}
