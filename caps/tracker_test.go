package caps_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/test")
	bob   = jid.MustParse("bob@localhost/b")
	carol = jid.MustParse("carol@localhost/c")
)

// The client's ver with identity client/pc/gosmack and the features
// caps, disco#info, disco#items and ping, then with receipts too,
// computed outside Go:
//
//	printf 'client/pc//gosmack<http://jabber.org/protocol/caps<...<urn:xmpp:ping<' | openssl dgst -binary -sha1 | base64
const (
	verPing     = "pvhOQBKSbzzxdCrnwG3bXpLWspI="
	verReceipts = "+koI2LkycDhkOKvSJTsQ5k5ns4E="
	// exodus is XEP-0115 section 5.2's ver.
	exodus = "QgayPKawpkPSDYmwT/WM94uAlu0="
)

// exodusInfo is the disco#info answer that hashes to exodus.
const exodusInfo = `<identity category='client' type='pc' name='Exodus 0.9.1'/>
     <feature var='http://jabber.org/protocol/caps'/>
     <feature var='http://jabber.org/protocol/disco#info'/>
     <feature var='http://jabber.org/protocol/disco#items'/>
     <feature var='http://jabber.org/protocol/muc'/>`

// sync is an exchange that proves the client handled everything the
// script sent before it (listeners and handlers run in order): see
// syncer.
const sync = `S: <iq type='get' id='sync' from='localhost'><query xmlns='urn:gosmack:test:sync'/></iq>
C: <iq type='result' id='sync' to='localhost'/>
S: <message from='localhost' id='synced'/>
`

// syncer answers the sync IQs and returns a channel that receives a value
// for each, once the answer is written: the dispatcher sends a handler's
// answer before it delivers the next stanza, the "synced" message.
func syncer(c *xmpp.Conn) <-chan struct{} {
	ch := make(chan struct{}, 4)
	c.HandleIQ(stanza.Get, xml.Name{Space: "urn:gosmack:test:sync", Local: "query"}, xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) {
		return nil, nil
	}))
	c.HandleMessage(stanza.WithID("synced"), func(*stanza.Message) { ch <- struct{}{} })
	return ch
}

// proceed is an exchange, named name, that holds the script until the test is ready:
// see proceedNow.
func proceed(name string) string {
	return `C: <iq type='get' id='{{` + name + `}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{` + name + `}}' from='localhost'/>
`
}

// proceedNow lets the script go on past proceed.
func proceedNow(t *testing.T, c *xmpp.Conn) {
	t.Helper()
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
	iq.To = jid.MustParse("localhost")
	_, err := c.SendIQ(t.Context(), iq)
	require.NoError(t, err)
}

// connectSettled logs alice in to a server playing tr, with the caps
// Tracker set up by setup (if not nil), and settles once the script
// reaches its sync IQ; synced is the syncer, for later syncs.
func connectSettled(t *testing.T, tr *xmpptest.Transcript, setup func(*caps.Tracker)) (c *xmpp.Conn, m *caps.Tracker, synced <-chan struct{}) {
	t.Helper()
	c = xmpptest.NewConn(t, alice, tr)
	m = caps.For(c)
	if setup != nil {
		setup(m)
	}
	synced = syncer(c)
	require.NoError(t, c.Connect(t.Context()))
	settle(t, synced, m)
	return c, m, synced
}

// settle waits for a sync IQ, then for everything in the test's synctest
// bubble to settle: the Tracker's lookups have ended.
func settle(t *testing.T, synced <-chan struct{}, m *caps.Tracker) {
	t.Helper()
	select {
	case <-synced:
	case <-time.After(xmpptest.ReplayTimeout):
		t.Fatal("the script did not get to its sync IQ")
	}
	synctest.Wait()
	require.True(t, m.Idle(), "the Tracker's lookups have ended")
}

func transcript(t *testing.T, text string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), text)
}

func withInitialPresence(cfg *xmpp.Config) { cfg.NoInitialPresence = false }

// TestAnnounce: available presence carries <c/> with the ver of the
// client's info; a feature change sends the last presence again with the
// new ver; the caps node answers with the info of the current ver only.
func TestAnnounce(t *testing.T) {
	tr := transcript(t, `
C: <presence id='{{p1}}'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='`+verPing+`'/></presence>
C: <presence id='{{p2}}'><show>away</show><status>lunch</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='`+verPing+`'/></presence>
C: <presence id='{{p3}}' to='room@conference.localhost/alice'><x xmlns='http://jabber.org/protocol/muc'/><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='`+verPing+`'/></presence>
C: <presence id='{{p4}}'><show>away</show><status>lunch</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='`+verReceipts+`'/></presence>
S: <iq type='get' id='i1' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='https://github.com/gosmack/gosmack#`+verReceipts+`'/></iq>
C: <iq type='result' id='i1' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='https://github.com/gosmack/gosmack#`+verReceipts+`'>
     <identity category='client' type='pc' name='gosmack'/>
     <feature var='http://jabber.org/protocol/caps'/>
     <feature var='http://jabber.org/protocol/disco#info'/>
     <feature var='http://jabber.org/protocol/disco#items'/>
     <feature var='urn:xmpp:ping'/>
     <feature var='urn:xmpp:receipts'/>
   </query></iq>
S: <iq type='get' id='i2' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='https://github.com/gosmack/gosmack#`+verPing+`'/></iq>
C: <iq type='error' id='i2' to='bob@localhost/b'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	c := xmpptest.NewConn(t, alice, tr, withInitialPresence)
	m := caps.For(c)
	c.Announce("urn:xmpp:ping")
	require.NoError(t, c.Connect(t.Context()))
	require.Equal(t, verPing, m.Ver())

	away := &stanza.Presence{Show: stanza.ShowAway, Statuses: []stanza.Text{{Value: "lunch"}}}
	require.NoError(t, c.Send(t.Context(), away))
	// Directed presence is annotated too, but is not what a feature
	// change sends again.
	join := &stanza.Presence{Extensions: []stanza.Node{{Name: xml.Name{Space: "http://jabber.org/protocol/muc", Local: "x"}}}}
	join.To = jid.MustParse("room@conference.localhost/alice")
	require.NoError(t, c.Send(t.Context(), join))

	c.Announce("urn:xmpp:receipts")
	assert.Equal(t, verReceipts, m.Ver())
}

// TestAnnounceNoPresence: without available presence sent, a feature
// change sends nothing; the next presence carries the new ver. A <c/>
// the user put on the presence is replaced, not repeated.
func TestAnnounceNoPresence(t *testing.T) {
	tr := transcript(t, `
C: <presence id='{{p1}}'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='urn:example:app' ver='`+verReceipts+`'/></presence>
`)
	c := xmpptest.NewConn(t, alice, tr)
	m := caps.For(c)
	m.SetNode("urn:example:app")
	c.Announce("urn:xmpp:ping")
	require.NoError(t, c.Connect(t.Context()))
	c.Announce("urn:xmpp:receipts")
	p := &stanza.Presence{Extensions: []stanza.Node{{Name: xml.Name{Space: caps.NS, Local: "c"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "ver"}, Value: "stale"}}}}}
	require.NoError(t, c.Send(t.Context(), p))
	assert.Equal(t, "urn:example:app", m.Node())
}

// TestLookup: a contact's caps trigger exactly one disco#info query for
// node#ver; another contact with the same ver triggers none; Supports
// answers both from the cache.
func TestLookup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
S: <presence from='bob@localhost/b'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
C: <iq type='get' id='{{q1}}' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#`+exodus+`'/></iq>
S: <iq type='result' id='{{q1}}' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#`+exodus+`'>
     `+exodusInfo+`
   </query></iq>
S: <presence from='carol@localhost/c'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
S: <presence from='bob@localhost/b'><show>away</show></presence>
`+sync+proceed("go1")+`S: <presence from='bob@localhost/b' type='unavailable'/>
S: <presence from='carol@localhost/c'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
`+sync+proceed("go2"))
		cache := new(caps.Cache)
		c, m, synced := connectSettled(t, tr, func(m *caps.Tracker) { m.SetCache(cache) })
		// One query (the transcript has no other before the sync), and both
		// contacts are known from its answer.
		for _, j := range []jid.JID{bob, carol} {
			ok, known := m.Supports(j, "http://jabber.org/protocol/muc")
			assert.True(t, ok && known, j.String())
			ok, known = m.Supports(j, "urn:xmpp:receipts")
			assert.True(t, !ok && known, j.String())
		}
		info, ok := m.Info(carol)
		require.True(t, ok)
		assert.True(t, info.HasIdentity("client", "pc"))
		assert.NotNil(t, cache.Get("sha-1", exodus))
		assert.Equal(t, 2, cache.Len(), "exodus and the client's own")
		_, known := m.Supports(jid.MustParse("dave@localhost/d"), caps.NS)
		assert.False(t, known, "never seen")

		// bob goes offline: unknown again; carol's repeated presence asks
		// nothing (the second sync would come after a query otherwise).
		proceedNow(t, c)
		settle(t, synced, m)
		_, known = m.Supports(bob, caps.NS)
		assert.False(t, known, "offline")
		_, known = m.Supports(carol, caps.NS)
		assert.True(t, known)
		proceedNow(t, c)
	})
}

// TestLookupMismatch: info that does not hash to the announced ver is
// refused and not cached; the same entity is not asked again for that
// ver, another entity that announces it is (XEP-0115 section 5.4).
func TestLookupMismatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
S: <presence from='bob@localhost/b'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
C: <iq type='get' id='{{q1}}' to='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#`+exodus+`'/></iq>
S: <iq type='result' id='{{q1}}' from='bob@localhost/b'><query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#`+exodus+`'>
     `+exodusInfo+`
     <feature var='urn:xmpp:jingle:1'/>
   </query></iq>
S: <presence from='bob@localhost/b'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
S: <presence from='carol@localhost/c'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
C: <iq type='get' id='{{q2}}' to='carol@localhost/c'><query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#`+exodus+`'/></iq>
S: <iq type='result' id='{{q2}}' from='carol@localhost/c'><query xmlns='http://jabber.org/protocol/disco#info'>
     `+exodusInfo+`
     <feature var='http://jabber.org/protocol/muc'/>
   </query></iq>
S: <presence from='bob@localhost/b'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
S: <presence from='carol@localhost/c'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
`+sync+proceed("end"))
		cache := new(caps.Cache)
		c, m, _ := connectSettled(t, tr, func(m *caps.Tracker) { m.SetCache(cache) })
		for _, j := range []jid.JID{bob, carol} {
			_, known := m.Supports(j, "urn:xmpp:jingle:1")
			assert.False(t, known, j.String())
		}
		assert.Nil(t, cache.Get("sha-1", exodus))
		assert.Equal(t, 1, cache.Len(), "only the client's own")
		proceedNow(t, c)
	})
}

// TestIgnored: legacy caps, unknown algorithms, values that cannot be a
// digest, missing or huge nodes, caps from the server or from the client
// itself: no query, no panic.
func TestIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		presence := func(attrs string) string {
			return `S: <presence from='bob@localhost/b'><c xmlns='http://jabber.org/protocol/caps' ` + attrs + `/></presence>` + "\n"
		}
		node := "node='http://code.google.com/p/exodus'"
		tr := transcript(t,
			presence(node+" ver='1.0'")+
				presence(node+" ext='voice-v1' ver='0.9.1'")+
				presence("hash='md5' "+node+" ver='1B2M2Y8AsgTpgAmY7PhCfg=='")+
				presence("hash='SHA-1' "+node+" ver='"+exodus+"'")+
				presence("hash='sha-1' "+node+" ver='not base64'")+
				presence("hash='sha-1' "+node+" ver='"+exodus[:len(exodus)-4]+"'")+
				presence("hash='sha-1' "+node+" ver='"+strings.Repeat("A", 200)+"'")+
				presence("hash='sha-1' "+node)+
				presence("hash='sha-1' ver='"+exodus+"'")+
				presence("hash='sha-1' node='"+strings.Repeat("n", 2000)+"' ver='"+exodus+"'")+
				`S: <presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' `+node+` ver='`+exodus+`'/></presence>
S: <presence from='alice@localhost/test'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' `+node+` ver='`+exodus+`'/></presence>
S: <presence from='bob@localhost/b' type='error'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' `+node+` ver='`+exodus+`'/></presence>
S: <presence from='bob@localhost/b' type='subscribe'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' `+node+` ver='`+exodus+`'/></presence>
`+sync+proceed("end"))
		c, m, _ := connectSettled(t, tr, nil)
		_, known := m.Supports(bob, caps.NS)
		assert.False(t, known)
		proceedNow(t, c)
	})
}

// TestSharedCache: a cache shared with another connection answers
// without any query; Close stops the annotations.
func TestSharedCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cache := new(caps.Cache)
		info := &disco.Info{
			Identities: []disco.Identity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
			Features:   []string{caps.NS, disco.NSInfo, disco.NSItems, "http://jabber.org/protocol/muc"},
		}
		require.NoError(t, cache.Add("sha-1", exodus, info))
		tr := transcript(t, `
S: <presence from='bob@localhost/b'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='`+exodus+`'/></presence>
`+sync+`C: <presence id='{{p}}'/>
`)
		c, m, _ := connectSettled(t, tr, func(m *caps.Tracker) { m.SetCache(cache) })
		_, known := m.Supports(bob, caps.NS)
		require.True(t, known)
		m.Close()
		m.Close()
		assert.NotContains(t, c.Announced(), caps.NS)
		require.NoError(t, c.Send(t.Context(), &stanza.Presence{}))
	})
}

// TestShape: the one shape of every manager. For gives the connection's
// one Tracker, with service discovery attached, and a fresh one after
// Close; settings are methods, refused when they name no algorithm.
func TestShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := xmpp.New(xmpp.Config{JID: alice})
		m := caps.For(c)
		require.Same(t, m, caps.For(c))
		assert.Contains(t, disco.For(c).OwnInfo().Features, caps.NS, "disco attached, with the caps feature")
		assert.Equal(t, caps.DefaultNode, m.Node())
		assert.Equal(t, caps.DefaultHash, m.Hash())
		own := m.Ver()
		assert.NotNil(t, m.Cache().Get("sha-1", own), "the client's own ver is cached")

		assert.PanicsWithValue(t, "caps: unsupported hash algorithm md5", func() { m.SetHash("md5") })
		m.SetHash("sha-256")
		assert.Equal(t, "sha-256", m.Hash())
		v256 := m.Ver()
		assert.NoError(t, caps.Verify(disco.For(c).OwnInfo(), "sha-256", v256), "at once")
		m.SetHash("")
		assert.Equal(t, own, m.Ver(), "the default again")
		m.SetNode("urn:example:app")
		assert.Equal(t, "urn:example:app", m.Node())
		m.SetNode("")
		assert.Equal(t, caps.DefaultNode, m.Node())

		shared := new(caps.Cache)
		m.SetCache(shared)
		assert.Same(t, shared, m.Cache())
		assert.NotNil(t, shared.Get("sha-1", own), "the client's own ver goes into the new cache")
		m.SetCache(nil)
		assert.NotSame(t, shared, m.Cache())
		assert.NotNil(t, m.Cache().Get("sha-1", own))
		synctest.Wait() // the updates the settings queued, with no presence to send

		m.Close()
		m.Close()
		assert.NotContains(t, disco.For(c).OwnInfo().Features, caps.NS)
		m2 := caps.For(c)
		require.NotSame(t, m, m2, "a fresh one after Close")
		assert.Same(t, m2, caps.For(c))
		assert.Equal(t, own, m2.Ver())
		synctest.Wait()
	})
}

// TestWireOrder: the presence that a change of the client's info or of a
// setting sends again goes out from the dispatcher, in order with the
// stanzas around it: after the message listener that made the change has
// returned, before the next message is heard.
func TestWireOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Each message after the first comes only once the client has
		// sent the presence, so it cannot overtake it.
		tr := transcript(t, `
C: <presence id='{{p1}}'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='`+verPing+`'/></presence>
S: <message from='bob@localhost/b' id='m1'/>
C: <presence id='{{p2}}'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='`+verReceipts+`'/></presence>
S: <message from='bob@localhost/b' id='m2'/>
S: <message from='bob@localhost/b' id='m3'/>
C: <presence id='{{p3}}'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='urn:example:app' ver='`+verReceipts+`'/></presence>
S: <message from='bob@localhost/b' id='m4'/>
`)
		var got []string
		running := false
		done := make(chan struct{})
		record := func(s string) {
			assert.False(t, running, "one at a time")
			running = true
			got = append(got, s)
			running = false
			if s == "message m4" {
				close(done)
			}
		}
		c := xmpptest.NewConn(t, alice, tr, withInitialPresence)
		m := caps.For(c)
		c.Announce("urn:xmpp:ping")
		c.Intercept(func(st stanza.Stanza) { // after caps' interceptor
			if p, ok := st.(*stanza.Presence); ok {
				var e caps.Extension
				_, _ = stanza.FindExtension(p.Extensions, &e)
				record("presence " + e.Node + " " + e.Ver)
			}
		})
		c.HandleMessage(nil, func(msg *stanza.Message) {
			record("message " + msg.ID)
			switch msg.ID {
			case "m1":
				c.Announce("urn:xmpp:receipts")
			case "m3":
				m.SetNode("urn:example:app")
			default:
				return
			}
			record(msg.ID + " done")
		})
		require.NoError(t, c.Connect(t.Context()))
		select {
		case <-done:
		case <-time.After(xmpptest.ReplayTimeout):
			t.Fatal("the script did not get to its end")
		}
		synctest.Wait()
		assert.Equal(t, []string{
			"presence " + caps.DefaultNode + " " + verPing,
			"message m1", "m1 done", "presence " + caps.DefaultNode + " " + verReceipts,
			"message m2",
			"message m3", "m3 done", "presence urn:example:app " + verReceipts,
			"message m4",
		}, got)
	})
}
