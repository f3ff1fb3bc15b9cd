//go:build integration

package muc_test

import (
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type declined struct {
	room, from jid.JID
	reason     string
}

// TestIntegrationModeration: alice creates an instant room, bob joins and
// alice kicks him, alice bans carol, whose join then fails, alice invites
// dave, who declines, and alice destroys the room.
func TestIntegrationModeration(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		name := fmt.Sprintf("gosmack-mod-%d-%08x", time.Now().UnixNano(), mathrand.Uint32())
		roomJID := jid.MustParse(name + "@" + s.MUCDomain)
		ctx := scenarioContext(t)

		declines := make(chan declined, 2)
		aliceInvs := make(chan muc.Invitation, 2)
		var alice *muc.Room
		aliceConn := testserver.Login(t, s.Config(t, "alice"), func(c *xmpp.Conn) {
			m := muc.For(c)
			alice = m.Room(roomJID)
			m.OnDecline(func(d muc.Decline) { declines <- declined{d.Room, d.From, d.Reason} })
			m.OnInvitation(func(inv muc.Invitation) { aliceInvs <- inv })
		})
		require.NoError(t, alice.Create(ctx, "Alice", nil, muc.JoinConfig{}))

		bob := enterAs(t, s, "bob", roomJID)
		require.NoError(t, bob.room.Join(ctx, "Bob", noHistory))
		participants, err := alice.Participants(ctx)
		require.NoError(t, err)
		t.Logf("%s: participants %+v", s.Name, participants)
		require.NoError(t, alice.Kick(ctx, "Bob", "Out!"))
		exit := next(t, "bob kicked", bob.exits, func(muc.Exit) bool { return true })
		assert.Equal(t, muc.ExitKicked, exit.Reason)
		assert.Equal(t, "Out!", exit.Text)
		t.Logf("%s: bob's exit %+v", s.Name, exit)
		assert.False(t, bob.room.Joined())

		carol := enterAs(t, s, "carol", roomJID)
		carolJID := carol.c.JID().Bare()
		require.NoError(t, alice.Ban(ctx, carolJID, "Not welcome"))
		outcasts, err := alice.Outcasts(ctx)
		require.NoError(t, err)
		t.Logf("%s: outcasts %+v", s.Name, outcasts)
		require.Len(t, outcasts, 1)
		assert.Equal(t, carolJID, outcasts[0].JID)
		require.ErrorIs(t, carol.room.Join(ctx, "Carol", muc.JoinConfig{}), muc.ErrBanned)

		// Membership: granted, listed, revoked.
		bobJID := bob.c.JID().Bare()
		require.NoError(t, alice.GrantMembership(ctx, bobJID, ""))
		members, err := alice.Members(ctx)
		require.NoError(t, err)
		require.Len(t, members, 1)
		assert.Equal(t, bobJID, members[0].JID)
		require.NoError(t, alice.RevokeMembership(ctx, bobJID, ""))
		owners, err := alice.Owners(ctx)
		require.NoError(t, err)
		t.Logf("%s: owners %+v", s.Name, owners)

		invs := make(chan muc.Invitation, 2)
		var dave *muc.Client
		daveConn := testserver.Login(t, s.Config(t, "dave"), func(c *xmpp.Conn) {
			dave = muc.For(c)
			dave.OnInvitation(func(inv muc.Invitation) { invs <- inv })
		})
		// To dave's full JID: other tests may have dave online too, and a
		// message to the bare JID may go to another of his sessions.
		require.NoError(t, alice.Invite(ctx, daveConn.JID(), "Come in"))
		inv := next(t, "dave's invitation", invs, func(muc.Invitation) bool { return true })
		t.Logf("%s: dave's invitation %+v", s.Name, inv)
		assert.Equal(t, roomJID, inv.Room)
		assert.Equal(t, "Come in", inv.Reason)
		assert.False(t, inv.Direct)
		assert.Equal(t, alice.JID(), inv.Room)
		require.False(t, inv.From.IsZero())
		require.NoError(t, dave.Decline(ctx, inv.Room, inv.From, "Busy"))
		d := next(t, "alice's decline", declines, func(declined) bool { return true })
		t.Logf("%s: alice's decline %+v", s.Name, d)
		assert.Equal(t, roomJID, d.room)
		assert.Equal(t, "Busy", d.reason)
		assert.Equal(t, daveConn.JID().Bare(), d.from.Bare())

		// A direct invitation (XEP-0249) goes from dave to alice.
		require.NoError(t, dave.InviteDirect(ctx, aliceConn.JID(), roomJID, "direct", "pw"))
		direct := next(t, "alice's direct invitation", aliceInvs, func(muc.Invitation) bool { return true })
		assert.True(t, direct.Direct)
		assert.Equal(t, roomJID, direct.Room)
		assert.Equal(t, "direct", direct.Reason)
		assert.Equal(t, "pw", direct.Password)
		assert.Equal(t, daveConn.JID(), direct.From)

		require.NoError(t, alice.Destroy(ctx, "done", jid.JID{}))
	})
}
