//go:build integration

package disco_test

import (
	"slices"
	"testing"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationServerInfo: both servers answer disco#info and
// disco#items about themselves; what they list is logged.
func TestIntegrationServerInfo(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var d *disco.Client
		c := testserver.Login(t, s.NewAccount(t, "disco"), func(c *xmpp.Conn) { d = disco.For(c) })
		server := c.JID().Domain()
		info, err := d.Info(ctxT(t), server, "")
		require.NoError(t, err)
		t.Logf("%s identities: %+v", s.Name, info.Identities)
		t.Logf("%s features: %q", s.Name, info.Features)
		for _, f := range info.Forms {
			t.Logf("%s form %s: %+v", s.Name, f.FormType(), f.Fields)
		}
		assert.True(t, info.HasIdentity("server", "im"), "%+v", info.Identities)
		// What both list (ejabberd does not list jabber:iq:roster).
		for _, f := range []string{disco.NSInfo, disco.NSItems, "urn:xmpp:ping", "urn:xmpp:carbons:2", "vcard-temp", "jabber:iq:version"} {
			assert.Contains(t, info.Features, f)
		}
		items, err := d.Items(ctxT(t), server, "")
		require.NoError(t, err)
		t.Logf("%s items: %+v", s.Name, items)
		assert.True(t, slices.ContainsFunc(items, func(it disco.Item) bool { return it.JID.String() == s.MUCDomain }), "the MUC service is an item")

		// The account's bare JID: the server answers for it.
		account, err := d.Info(ctxT(t), c.JID().Bare(), "")
		require.NoError(t, err)
		t.Logf("%s account identities: %+v, features: %q", s.Name, account.Identities, account.Features)
		assert.True(t, account.HasIdentity("account", "registered"), "%+v", account.Identities)

		_, err = d.Info(ctxT(t), server, "urn:gosmack:test:no-such-node")
		require.Error(t, err)
		var se *stanza.Error
		require.ErrorAs(t, err, &se)
		t.Logf("%s: unknown node: %v", s.Name, se)
	})
}

// TestIntegrationClientInfo: a client with disco and caps attached answers
// another client's disco#info with the identity it set and its features,
// the fake one it announced included; its caps node answers the same; an unknown
// node is item-not-found.
func TestIntegrationClientInfo(t *testing.T) {
	const fake = "urn:gosmack:test:fake"
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var bm *caps.Tracker
		bob := testserver.Login(t, s.NewAccount(t, "disco-b"), func(c *xmpp.Conn) {
			bm = caps.For(c)
			disco.For(c).SetIdentities(disco.Identity{Category: "client", Type: "bot", Name: "disco test"})
			c.Announce(fake)
		})
		var d *disco.Client
		testserver.Login(t, s.NewAccount(t, "disco-a"), func(c *xmpp.Conn) { d = disco.For(c) })

		info, err := d.Info(ctxT(t), bob.JID(), "")
		require.NoError(t, err)
		assert.Equal(t, []disco.Identity{{Category: "client", Type: "bot", Name: "disco test"}}, info.Identities)
		assert.Equal(t, []string{caps.NS, disco.NSInfo, disco.NSItems, fake}, info.Features)

		node := bm.Node() + "#" + bm.Ver()
		byVer, err := d.Info(ctxT(t), bob.JID(), node)
		require.NoError(t, err)
		assert.Equal(t, node, byVer.Node)
		require.NoError(t, caps.Verify(byVer, "sha-1", bm.Ver()))

		_, err = d.Info(ctxT(t), bob.JID(), "urn:gosmack:test:no-such-node")
		require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ItemNotFound})

		items, err := d.Items(ctxT(t), bob.JID(), "")
		require.NoError(t, err)
		assert.Empty(t, items)
	})
}
