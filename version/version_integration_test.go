//go:build integration

package version_test

import (
	"testing"

	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/version"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationVersion: the server tells its software (Prosody with
// its OS, ejabberd without: our scripts configure it show_os: false);
// another account's client answers with what it was given, through the
// server, and lists the feature in its disco#info; once closed, it
// answers service-unavailable.
func TestIntegrationVersion(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var bv *version.Manager
		bob := testserver.Login(t, s.NewAccount(t, "version"), func(c *xmpp.Conn) {
			disco.For(c)
			bv = version.For(c)
			bv.SetName("bob's client")
			bv.SetVersion("1.2.3")
		})
		alice := testserver.Login(t, s.NewAccount(t, "version"), nil)
		v := version.For(alice)
		ctx := testserver.Context(t)

		info, err := v.Query(ctx, jid.JID{})
		require.NoError(t, err, s.Name)
		t.Logf("%s: %+v", s.Name, info)
		assert.Equal(t, map[string]string{"prosody": "Prosody", "ejabberd": "ejabberd"}[s.Name], info.Name)
		assert.NotEmpty(t, info.Version)

		info, err = v.Query(ctx, bob.JID())
		require.NoError(t, err, s.Name)
		assert.Equal(t, version.Info{Name: "bob's client", Version: "1.2.3"}, info)
		ok, err := disco.For(alice).Supports(ctx, bob.JID(), version.NS)
		require.NoError(t, err)
		assert.True(t, ok, "%s: announced", s.Name)

		bv.Close()
		_, err = v.Query(ctx, bob.JID())
		assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable}, s.Name)
		ok, err = disco.For(alice).Supports(ctx, bob.JID(), version.NS)
		require.NoError(t, err)
		assert.False(t, ok, "%s: withdrawn", s.Name)
	})
}
