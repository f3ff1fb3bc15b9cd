//go:build integration

package muc_test

import (
	"errors"
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

// TestIntegrationRejoinAfterLostSession: bob's session is lost (no stream
// management to resume it) while he is in a room; the connection logs in
// again by itself and the room is entered again with the same nickname:
// alice sees him come back, and his Room is joined.
func TestIntegrationRejoinAfterLostSession(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		room := uniqueRoom(s, "rejoin")
		alice := enterAs(t, s, "alice", room)
		require.NoError(t, alice.room.Create(scenarioContext(t), "Alice", nil, muc.JoinConfig{}))

		cfg := s.Config(t, "bob")
		cfg.Resource = fmt.Sprintf("rejoin-%08x", mathrand.Uint32())
		cfg.StreamManagement.Disabled = true // the session cannot be resumed: it is lost
		cfg.Reconnect.Policy = xmpp.FixedDelay(100 * time.Millisecond)
		rejoined := make(chan error, 1)
		var bobRoom *muc.Room
		bob := testserver.Login(t, cfg, func(c *xmpp.Conn) {
			m := muc.For(c)
			bobRoom = m.Room(room)
			m.OnRejoin(func(e muc.Rejoin) {
				if e.Room == bobRoom {
					rejoined <- e.Err
				}
			})
		})
		require.NoError(t, bobRoom.Join(scenarioContext(t), "Bob", muc.JoinConfig{}))
		next(t, "Bob joining", alice.events, func(e muc.OccupantEvent) bool { return e.Kind == muc.Joined && e.Occupant.Nick == "Bob" })

		bob.Abort(errors.New("test: the network went away"))
		next(t, "Bob leaving", alice.events, func(e muc.OccupantEvent) bool { return e.Kind == muc.Left && e.Occupant.Nick == "Bob" })
		select {
		case err := <-rejoined:
			require.NoError(t, err)
		case <-scenarioContext(t).Done():
			t.Fatal("the room was not entered again")
		}
		assert.True(t, bobRoom.Joined())
		assert.Equal(t, "Bob", bobRoom.Nick())
		next(t, "Bob back", alice.events, func(e muc.OccupantEvent) bool { return e.Kind == muc.Joined && e.Occupant.Nick == "Bob" })
		require.NoError(t, bobRoom.Leave(scenarioContext(t), ""))
		require.NoError(t, alice.room.Destroy(scenarioContext(t), "done", jid.JID{}))
	})
}
