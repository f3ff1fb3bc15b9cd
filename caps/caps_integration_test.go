//go:build integration

package caps_test

import (
	"context"
	"testing"
	"time"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// login logs cfg's account in with the given resource, with attach run
// on the Conn before Connect, and closes the connection when the test
// ends.
func login(t *testing.T, cfg xmpp.Config, resource string, attach func(*xmpp.Conn)) *xmpp.Conn {
	t.Helper()
	cfg.Resource = resource
	return testserver.Login(t, cfg, attach)
}

// capsQueries collects the disco#info requests for a caps node that c
// receives from asker.
func capsQueries(c *xmpp.Conn, asker jid.JID) *xmpp.Collector {
	return c.Collect(stanza.And(stanza.IsIQ(stanza.Get), stanza.From(asker), func(st stanza.Stanza) bool {
		q := st.(*stanza.IQ).Payload
		return q != nil && q.Name.Space == disco.NSInfo && q.Attr("node") != ""
	}), 16)
}

// count returns how many stanzas col holds now, without waiting.
func count(col *xmpp.Collector) int {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	for {
		if _, err := col.Next(ctx); err != nil {
			return n
		}
		n++
	}
}

// TestIntegrationCapsResolved: three resources of one account (the server
// sends each one's presence to the others). Resource b, with a fake
// feature, is looked up once by a; resource c, with the same features and
// so the same ver, is then known to a from the cache the moment its
// presence arrives, without any query. A feature b announces later, and
// b's switch to another hash algorithm, reach a with b's presence sent
// again.
func TestIntegrationCapsResolved(t *testing.T) {
	const fake = "urn:gosmack:test:fake"
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "caps")
		var am *caps.Tracker
		a := login(t, cfg, "a", func(c *xmpp.Conn) { am = caps.For(c) })
		ad := disco.For(a)

		var bm *caps.Tracker
		var bq *xmpp.Collector
		b := login(t, cfg, "b", func(c *xmpp.Conn) {
			bm = caps.For(c)
			c.Announce(fake)
			bq = capsQueries(c, a.JID())
		})
		defer bq.Close()
		require.Eventually(t, func() bool { _, known := am.Supports(b.JID(), fake); return known }, testserver.Timeout, 10*time.Millisecond,
			"%s: a never learned b's caps", s.Name)
		ok, _ := am.Supports(b.JID(), fake)
		assert.True(t, ok)
		ok, _ = am.Supports(b.JID(), "urn:gosmack:test:absent")
		assert.False(t, ok)
		assert.Equal(t, 1, count(bq), "%s: b was asked once", s.Name)
		info, known := am.Info(b.JID())
		require.True(t, known)
		t.Logf("%s: b's ver %s stands for %q", s.Name, bm.Ver(), info.Features)

		// c: same software, same features, same ver.
		cJID, err := cfg.JID.WithResource("c")
		require.NoError(t, err)
		arrived := make(chan bool, 1)
		// Registered after the Tracker's listener, so it runs after
		// that one has seen the presence.
		remove := a.HandlePresence(stanza.And(stanza.IsPresence(stanza.Available), stanza.From(cJID)), func(*stanza.Presence) {
			_, known := am.Supports(cJID, fake)
			select {
			case arrived <- known:
			default:
			}
		})
		defer remove()
		var cq *xmpp.Collector
		var cm *caps.Tracker
		c := login(t, cfg, cJID.Resourcepart(), func(c *xmpp.Conn) {
			cm = caps.For(c)
			c.Announce(fake)
			cq = capsQueries(c, a.JID())
		})
		defer cq.Close()
		require.Equal(t, cJID, c.JID())
		require.Equal(t, bm.Ver(), cm.Ver())
		select {
		case known := <-arrived:
			assert.True(t, known, "%s: c's caps known from the cache as its presence arrived", s.Name)
		case <-time.After(testserver.Timeout):
			t.Fatalf("%s: c's presence never reached a", s.Name)
		}
		ok, known = am.Supports(cJID, fake)
		assert.True(t, ok && known)
		// A disco round trip from a to c: had a asked c for its caps
		// node, that request would have reached c before this one.
		_, err = ad.Info(testserver.Context(t), cJID, "")
		require.NoError(t, err)
		assert.Equal(t, 0, count(cq), "%s: c was never asked", s.Name)

		// b's features change: b sends its presence again with the new
		// ver, and a learns it.
		const later = "urn:gosmack:test:later"
		b.Announce(later)
		require.NotEqual(t, cm.Ver(), bm.Ver())
		require.Eventually(t, func() bool { ok, _ := am.Supports(b.JID(), later); return ok }, testserver.Timeout, 10*time.Millisecond,
			"%s: a never learned b's new caps", s.Name)
		ok, known = am.Supports(cJID, later)
		assert.True(t, !ok && known, "c did not change")

		// b switches to SHA-256: the same presence goes out again with a
		// ver of that algorithm, which a looks up and verifies.
		bm.SetHash("sha-256")
		v256 := bm.Ver()
		require.Eventually(t, func() bool { return am.Cache().Get("sha-256", v256) != nil }, testserver.Timeout, 10*time.Millisecond,
			"%s: a never learned b's SHA-256 caps", s.Name)
		ok, known = am.Supports(b.JID(), later)
		assert.True(t, ok && known, "the same features under the new ver")
	})
}
