package sid_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	bob   = jid.MustParse("bob@localhost/b")
)

func transcript(t *testing.T, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), s)
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

func TestStanzaID(t *testing.T) {
	me := jid.MustParse("alice@localhost")
	for _, tc := range []struct {
		name, raw string
		by        jid.JID
		want      string
		ok        bool
	}{
		{"by the account", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@localhost'/></message>`, me, "s1", true},
		{"by asked as a full JID", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@localhost'/></message>`, alice, "s1", true},
		{"foreign by is ignored", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='evil' by='eve@localhost'/></message>`, me, "", false},
		{"foreign first, ours second", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='evil' by='eve@localhost'/><stanza-id xmlns='urn:xmpp:sid:0' id='s2' by='alice@localhost'/></message>`, me, "s2", true},
		{"a full JID in by is not the bare JID", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='x' by='alice@localhost/a'/></message>`, me, "", false},
		{"two different ids with our by", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='a' by='alice@localhost'/><stanza-id xmlns='urn:xmpp:sid:0' id='b' by='alice@localhost'/></message>`, me, "", false},
		{"the same id twice", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='a' by='alice@localhost'/><stanza-id xmlns='urn:xmpp:sid:0' id='a' by='alice@localhost'/></message>`, me, "a", true},
		{"empty id", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='' by='alice@localhost'/></message>`, me, "", false},
		{"wrong namespace", `<message><stanza-id xmlns='urn:xmpp:sid:1' id='a' by='alice@localhost'/></message>`, me, "", false},
		{"zero by", `<message><stanza-id xmlns='urn:xmpp:sid:0' id='a' by=''/></message>`, jid.JID{}, "", false},
		{"none", `<message><body>hi</body></message>`, me, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, ok := sid.StanzaID(wiretest.Message(t, tc.raw), tc.by)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, id)
		})
	}
}

func TestOriginID(t *testing.T) {
	id, ok := sid.OriginID(wiretest.Message(t, `<message><origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>`))
	assert.True(t, ok)
	assert.Equal(t, "o1", id)
	_, ok = sid.OriginID(wiretest.Message(t, `<message><origin-id xmlns='urn:xmpp:sid:0'/></message>`))
	assert.False(t, ok)
	_, ok = sid.OriginID(wiretest.Message(t, `<message/>`))
	assert.False(t, ok)

	m := &stanza.Message{}
	shared := make([]stanza.Node, 1, 4)
	m.Extensions = shared
	sid.SetOriginID(m, "x")
	sid.SetOriginID(m, "y")
	require.Len(t, m.Extensions, 2, "replaced, not added twice")
	assert.Empty(t, shared[:2][1].Name.Local, "the caller's array is not written")
	back, err := wiretest.RoundTrip(m)
	require.NoError(t, err)
	id, ok = sid.OriginID(back.(*stanza.Message))
	assert.True(t, ok)
	assert.Equal(t, "y", id)
	sid.SetOriginID(m, "")
	_, ok = sid.OriginID(m)
	assert.False(t, ok)

	sid.AddStanzaID(m, "s9", alice)
	id, ok = sid.StanzaID(m, alice.Bare())
	assert.True(t, ok)
	assert.Equal(t, "s9", id)
}

// TestOriginIDs: every message Send writes gets an origin-id equal to its
// id, unless it has one or is an error; SetOriginIDs(false) stops it.
func TestOriginIDs(t *testing.T) {
	tr := transcript(t, `
C: <message id='{{m1}}' to='bob@localhost/b' type='chat'><body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='{{m1}}'/></message>
C: <message id='m2' to='room@conference.localhost' type='groupchat'><body>all</body><origin-id xmlns='urn:xmpp:sid:0' id='m2'/></message>
C: <message id='m3' to='bob@localhost/b' type='chat'><origin-id xmlns='urn:xmpp:sid:0' id='mine'/></message>
C: <message id='m4' to='bob@localhost/b' type='error'><body>x</body></message>
C: <message id='m5' to='bob@localhost/b' type='chat'><body>off</body></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	s := sid.For(c)
	assert.True(t, s.OriginIDs(), "on by default")
	assert.Contains(t, c.Announced(), sid.NS)
	require.NoError(t, c.Connect(ctxT(t)))
	m1 := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hi"}}}
	m1.To = bob
	require.NoError(t, c.Send(ctxT(t), m1))
	id, ok := sid.OriginID(m1)
	assert.True(t, ok)
	assert.Equal(t, m1.ID, id)
	group := &stanza.Message{Type: stanza.Groupchat, Bodies: []stanza.Text{{Value: "all"}}}
	group.To, group.ID = jid.MustParse("room@conference.localhost"), "m2"
	require.NoError(t, c.Send(ctxT(t), group))
	own := &stanza.Message{Type: stanza.Chat}
	own.To, own.ID = bob, "m3"
	sid.SetOriginID(own, "mine")
	require.NoError(t, c.Send(ctxT(t), own))
	errm := &stanza.Message{Type: stanza.MessageError, Bodies: []stanza.Text{{Value: "x"}}}
	errm.To, errm.ID = bob, "m4"
	require.NoError(t, c.Send(ctxT(t), errm))
	s.SetOriginIDs(false)
	assert.False(t, s.OriginIDs())
	off := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "off"}}}
	off.To, off.ID = bob, "m5"
	require.NoError(t, c.Send(ctxT(t), off))
}

// verdicts runs Trusted in a message listener, as an application does,
// and logs "id: stanza-id ok" for each message.
type verdicts struct {
	mu  sync.Mutex
	log []string
}

func (v *verdicts) listen(t *testing.T, c *xmpp.Conn, s *sid.Manager) <-chan struct{} {
	done := make(chan struct{})
	c.HandleMessage(nil, func(m *stanza.Message) {
		if m.ID == "end" {
			close(done)
			return
		}
		id, ok := s.Trusted(context.Background(), m)
		v.mu.Lock()
		if ok {
			v.log = append(v.log, m.ID+": "+id)
		} else {
			v.log = append(v.log, m.ID+": -")
		}
		v.mu.Unlock()
	})
	return done
}

func (v *verdicts) get() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.log...)
}

const (
	askAccount = `C: <iq type='get' id='{{q1}}' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
`
	accountSID = `S: <iq type='result' id='{{q1}}' from='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/><feature var='urn:xmpp:sid:0'/><feature var='urn:xmpp:mam:2'/></query></iq>
`
	end = `S: <message from='bob@localhost/b' id='end' type='chat'/>
`
)

// TestTrustedSpoofed: a stanza-id is believed only when its by is the
// account's bare JID (a chat message) or the room's (a groupchat one),
// and that entity announced urn:xmpp:sid:0, which is asked once. A
// stanza-id that a sender wrote with a foreign by, or with the account's
// by on a groupchat message, or a room's by on a chat message, is not.
func TestTrustedSpoofed(t *testing.T) {
	tr := transcript(t, `
S: <message from='bob@localhost/b' id='m1' type='chat'><body>1</body><stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@localhost'/></message>
`+askAccount+accountSID+`
S: <message from='eve@localhost/e' id='m2' type='chat'><body>spoof</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='eve@localhost'/></message>
S: <message from='eve@localhost/e' id='m3' type='chat'><body>spoof</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='bob@localhost'/><stanza-id xmlns='urn:xmpp:sid:0' id='s3' by='alice@localhost'/></message>
S: <message from='room@conference.localhost/eve' id='m4' type='groupchat'><body>spoof</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='alice@localhost'/></message>
S: <message from='room@conference.localhost/bob' id='m5' type='groupchat'><body>room</body><stanza-id xmlns='urn:xmpp:sid:0' id='r5' by='room@conference.localhost'/></message>
C: <iq type='get' id='{{q2}}' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{q2}}' from='room@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text'/><feature var='urn:xmpp:sid:0'/></query></iq>
S: <message from='room@conference.localhost/bob' id='m6' type='chat'><body>private</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='room@conference.localhost'/></message>
S: <message from='room@conference.localhost/bob' id='m7' type='groupchat'><body>again</body><stanza-id xmlns='urn:xmpp:sid:0' id='r7' by='room@conference.localhost'/></message>
S: <message from='eve@localhost/e' id='m8' type='groupchat'><body>I am a room</body><stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='eve@localhost'/></message>
C: <iq type='get' id='{{q3}}' to='eve@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{q3}}' from='eve@localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/><feature var='urn:xmpp:sid:0'/></query></iq>
S: <message from='other@conference.localhost/x' id='m9' type='groupchat'><body>no sid</body><stanza-id xmlns='urn:xmpp:sid:0' id='o9' by='other@conference.localhost'/></message>
C: <iq type='get' id='{{q4}}' to='other@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='error' id='{{q4}}' from='other@conference.localhost'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <message from='other@conference.localhost/x' id='m10' type='groupchat'><body>asked once</body><stanza-id xmlns='urn:xmpp:sid:0' id='o10' by='other@conference.localhost'/></message>
`+end)
	c := xmpptest.NewConn(t, alice, tr)
	s := sid.For(c)
	var v verdicts
	done := v.listen(t, c, s)
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{
		"m1: s1",
		"m2: -",
		"m3: s3",
		"m4: -",
		"m5: r5",
		"m6: -",
		"m7: r7",
		"m8: -",
		"m9: -",
		"m10: -",
	}, v.get())
}

// TestTrustedNotAnnounced: a server that does not announce
// urn:xmpp:sid:0 vouches for no stanza-id, even one with the account's
// by; the answer is kept, so it is asked once.
func TestTrustedNotAnnounced(t *testing.T) {
	tr := transcript(t, `
S: <message from='bob@localhost/b' id='m1' type='chat'><body>1</body><stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@localhost'/></message>
`+askAccount+`
S: <iq type='result' id='{{q1}}' from='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/></query></iq>
S: <message from='bob@localhost/b' id='m2' type='chat'><body>2</body><stanza-id xmlns='urn:xmpp:sid:0' id='s2' by='alice@localhost'/></message>
`+end)
	c := xmpptest.NewConn(t, alice, tr)
	var v verdicts
	done := v.listen(t, c, sid.For(c))
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{"m1: -", "m2: -"}, v.get())
}

// TestTrustedContext: a query abandoned by its context gives ok false
// and is not kept: the next message asks again.
func TestTrustedContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := transcript(t, `
S: <message from='bob@localhost/b' id='m1' type='chat'><body>1</body><stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@localhost'/></message>
C: <iq type='get' id='{{q0}}' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <message from='bob@localhost/b' id='m2' type='chat'><body>2</body><stanza-id xmlns='urn:xmpp:sid:0' id='s2' by='alice@localhost'/></message>
`+askAccount+accountSID+end)
		c := xmpptest.NewConn(t, alice, tr)
		s := sid.For(c)
		done := make(chan struct{})
		var got []string
		c.HandleMessage(nil, func(m *stanza.Message) {
			if m.ID == "end" {
				close(done)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			id, ok := s.Trusted(ctx, m)
			got = append(got, fmt.Sprintf("%s: %q %v", m.ID, id, ok))
		})
		require.NoError(t, c.Connect(ctxT(t)))
		<-done
		assert.Equal(t, []string{`m1: "" false`, `m2: "s2" true`}, got)
	})
}

// TestShape: one Manager per connection, a fresh one after Close with the
// default setting; Close withdraws the feature and stops the origin ids.
func TestShape(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	s := sid.For(c)
	assert.Same(t, s, sid.For(c))
	s.SetOriginIDs(false)
	s.Close()
	s.Close()
	assert.NotContains(t, c.Announced(), sid.NS)
	fresh := sid.For(c)
	assert.NotSame(t, s, fresh)
	assert.True(t, fresh.OriginIDs())
	assert.Contains(t, c.Announced(), sid.NS)
	s.Close()
	assert.Same(t, fresh, xmpp.Attached[sid.Manager](c))
	fresh.Close()
}

// FuzzStanzaID: whatever a message carries, the readers do not panic, an
// id read is not empty, and StanzaID finds only ids whose by is the JID
// asked (a stanza-id with that id written back is read the same).
func FuzzStanzaID(f *testing.F) {
	wiretest.Seed(f,
		`<message><stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@localhost'/><origin-id xmlns='urn:xmpp:sid:0' id='o'/></message>`,
		`<message><stanza-id xmlns='urn:xmpp:sid:0' id='a' by='alice@localhost'/><stanza-id xmlns='urn:xmpp:sid:0' id='b' by='ALICE@localhost'/></message>`,
		`<message><stanza-id xmlns='urn:xmpp:sid:0' id='a' by='@'/></message>`)
	me := jid.MustParse("alice@localhost")
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			if id, ok := sid.OriginID(m); ok && id == "" {
				t.Fatal("an empty origin id read")
			}
			id, ok := sid.StanzaID(m, me)
			if !ok {
				return true
			}
			back := &stanza.Message{}
			sid.AddStanzaID(back, id, me)
			if again, ok := sid.StanzaID(back, me); !ok || again != id {
				t.Fatalf("%q written and read is %q, %v", id, again, ok)
			}
			return true
		})
	})
}
