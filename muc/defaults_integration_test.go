//go:build integration

package muc_test

import (
	"errors"
	"testing"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationCreateConfigurationFails: alice's configuration of a
// new room fails; Create destroys the room (neither server does on a
// cancellation: Prosody would keep it locked with alice inside, ejabberd
// open with its defaults), so bob then creates it anew (status 201)
// instead of entering what alice left.
func TestIntegrationCreateConfigurationFails(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		roomJID := uniqueRoom(s, "gosmack-unconfigured")
		alice := enterAs(t, s, "alice", roomJID)
		refused := errors.New("test: no configuration")
		err := alice.room.Create(ctx, "Alice", func(*dataform.Answer) error { return refused }, muc.JoinConfig{})
		require.ErrorIs(t, err, refused)
		assert.False(t, alice.room.Joined())
		assert.Empty(t, alice.room.Occupants())

		bob := enterAs(t, s, "bob", roomJID)
		require.NoError(t, bob.room.Create(ctx, "Bob", nil, muc.JoinConfig{}), "a new room, not alice's")
		t.Cleanup(func() { _ = bob.room.Destroy(testserver.Context(t), "", jid.JID{}) })
		assert.Equal(t, []string{"Bob"}, occupantNicks(bob.room))
		assert.False(t, alice.room.Joined(), "the destroyed room's presence changes nothing")
	})
}

// TestIntegrationJoinAgain: joining a room the Room knows the user is in
// is ErrAlreadyJoined and sends nothing. A Room that does not know (a new
// Client, here, as after a Join whose context ended first) joins again:
// both servers answer a second entry as a first one, every occupant's
// presence and the user's own, so the Room is complete.
func TestIntegrationJoinAgain(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		roomJID, alice := roomWithTwo(t, s, "gosmack-again")
		assert.ErrorIs(t, alice.room.Join(ctx, "Alice", muc.JoinConfig{}), muc.ErrAlreadyJoined)

		muc.For(alice.c).Close()
		again := muc.For(alice.c).Room(roomJID)
		require.False(t, again.Joined())
		require.NoError(t, again.Join(ctx, "Alice", noHistory))
		assert.Equal(t, []string{"Alice", "Carol"}, occupantNicks(again))
		self, ok := again.Occupant("Alice")
		require.True(t, ok)
		t.Logf("%s: status codes on entering again: %v", s.Name, muc.StatusCodes(self.Presence))
		assert.NotContains(t, muc.StatusCodes(self.Presence), muc.StatusCreated)
		assert.Equal(t, muc.AffiliationOwner, self.Affiliation)
	})
}
