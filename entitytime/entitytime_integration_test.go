//go:build integration

package entitytime_test

import (
	"testing"
	"time"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/entitytime"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationTime: the server and another account's client tell
// their time, which is this machine's clock (within the time the test
// takes), the client's in the zone it was given; the client lists the
// feature in its disco#info.
func TestIntegrationTime(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		bob := testserver.Login(t, s.NewAccount(t, "time"), func(c *xmpp.Conn) {
			disco.For(c)
			entitytime.For(c).SetLocation(time.FixedZone("NPT", 5*3600+45*60))
		})
		alice := testserver.Login(t, s.NewAccount(t, "time"), nil)
		et := entitytime.For(alice)
		ctx := testserver.Context(t)

		before := time.Now().Add(-time.Second) // answers carry whole seconds or milliseconds
		server, err := et.Query(ctx, jid.JID{})
		require.NoError(t, err, s.Name)
		client, err := et.Query(ctx, bob.JID())
		require.NoError(t, err, s.Name)
		after := time.Now()
		t.Logf("%s: server %v, client %v", s.Name, server, client)
		for _, got := range []time.Time{server, client} {
			assert.False(t, got.Before(before) || got.After(after), "%s: %v not between %v and %v", s.Name, got, before, after)
		}
		_, off := client.Zone()
		assert.Equal(t, 5*3600+45*60, off, s.Name)
		assert.Equal(t, "+05:45", client.Location().String())

		ok, err := disco.For(alice).Supports(ctx, bob.JID(), entitytime.NS)
		require.NoError(t, err)
		assert.True(t, ok, "%s: announced", s.Name)
	})
}
