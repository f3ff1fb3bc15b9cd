package vcard_test

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/vcard"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	bob   = jid.MustParse("bob@localhost")
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

func sum(data []byte) string {
	s := sha1.Sum(data)
	return hex.EncodeToString(s[:])
}

var (
	img1 = []byte("first image")
	img2 = []byte("second image")
	h1   = sum(img1)
	h2   = sum(img2)
	b1   = base64.StdEncoding.EncodeToString(img1)
	b2   = base64.StdEncoding.EncodeToString(img2)
)

func withPresence(cfg *xmpp.Config) { cfg.NoInitialPresence = false }

// wait waits for ch to be closed or to deliver, failing the test when
// the replay's time runs out first (a client that stops short of the
// transcript leaves the script waiting).
func wait[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctxT(t).Done():
		t.Fatal("the transcript did not reach its end")
		var zero T
		return zero
	}
}

// TestGet: a contact's vCard; the user's own, missing (item-not-found)
// and empty; an error reply; a reply that is not a vCard. Presence
// hashes are off, so no vCard is fetched at login.
func TestGet(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{g1}}' to='bob@localhost'><vCard xmlns='vcard-temp'/></iq>
S: <iq type='result' id='{{g1}}' from='bob@localhost'><vCard xmlns='vcard-temp'><FN>Bob</FN><NICKNAME>bobby</NICKNAME></vCard></iq>
C: <iq type='get' id='{{g2}}'><vCard xmlns='vcard-temp'/></iq>
S: <iq type='error' id='{{g2}}'><vCard xmlns='vcard-temp'/><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{g3}}'><vCard xmlns='vcard-temp'/></iq>
S: <iq type='result' id='{{g3}}'/>
C: <iq type='get' id='{{g4}}' to='bob@localhost'><vCard xmlns='vcard-temp'/></iq>
S: <iq type='error' id='{{g4}}' from='bob@localhost'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{g5}}' to='bob@localhost'><vCard xmlns='vcard-temp'/></iq>
S: <iq type='result' id='{{g5}}' from='bob@localhost'><query xmlns='jabber:iq:version'/></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	vc := vcard.For(c)
	vc.SetAdvertise(false)
	require.NoError(t, c.Connect(ctxT(t)))

	v, err := vc.Get(ctxT(t), bob)
	require.NoError(t, err)
	assert.Equal(t, "Bob", v.FullName)
	assert.Equal(t, "bobby", v.Nickname)

	v, err = vc.Get(ctxT(t), jid.JID{})
	require.NoError(t, err, "item-not-found is no vCard, not an error")
	assert.Equal(t, &vcard.VCard{}, v)
	v, err = vc.Get(ctxT(t), jid.JID{})
	require.NoError(t, err, "an empty result is no vCard")
	assert.Equal(t, &vcard.VCard{}, v)

	_, err = vc.Get(ctxT(t), bob)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.Forbidden})
	_, err = vc.Get(ctxT(t), bob)
	assert.ErrorIs(t, err, vcard.ErrMalformed)
}

// TestAdvertise: XEP-0153 at login and after. The initial presence says
// "not known yet" (<x/> without <photo/>); the user's vCard is fetched,
// and the presence sent again with its hash. Others' hashes are
// reported once per change, in wire order with a plain presence
// listener; malformed hashes and presence without <photo/> say nothing;
// a room occupant is told apart by full JID. A new hash from another
// client of the account has the vCard fetched again and the presence
// follow it. Set with another photo sends the presence again; a
// directed presence carries the hash but changes nothing.
func TestAdvertise(t *testing.T) {
	const x = "xmlns='vcard-temp:x:update'"
	tr := transcript(t, `
C: <presence id='{{p1}}'><x `+x+`/></presence>
C: <iq type='get' id='{{own}}'><vCard xmlns='vcard-temp'/></iq>
S: <iq type='result' id='{{own}}'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>`+b1+`</BINVAL></PHOTO></vCard></iq>
C: <presence id='{{p2}}'><x `+x+`><photo>`+h1+`</photo></x></presence>
S: <presence from='bob@localhost/b' id='s1'><x `+x+`><photo>`+h2+`</photo></x></presence>
S: <presence from='bob@localhost/phone' id='s2'><x `+x+`><photo>`+h2+`</photo></x></presence>
S: <presence from='bob@localhost/b' id='s3'><x `+x+`><photo>not-a-hash</photo></x></presence>
S: <presence from='bob@localhost/b' id='s4'><x `+x+`/></presence>
S: <presence from='bob@localhost/b' id='s5'><x `+x+`><photo/></x></presence>
S: <presence from='room@conference.localhost/carol' id='s6'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x><x `+x+`><photo>`+h1+`</photo></x></presence>
S: <presence from='room@conference.localhost/carol' id='s6u' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x></presence>
S: <presence from='room@conference.localhost/carol' id='s6b'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x><x `+x+`><photo>`+h1+`</photo></x></presence>
S: <presence from='room@conference.localhost/dave' id='s6d'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='participant'/></x><x `+x+`><photo>`+h2+`</photo></x></presence>
S: <presence from='room@conference.localhost/dave' id='s6e' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='none'/></x></presence>
S: <presence from='alice@localhost/phone' id='s7'><x `+x+`><photo>`+h2+`</photo></x></presence>
C: <iq type='get' id='{{own2}}'><vCard xmlns='vcard-temp'/></iq>
S: <iq type='result' id='{{own2}}'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>`+b2+`</BINVAL></PHOTO></vCard></iq>
C: <presence id='{{p3}}'><x `+x+`><photo>`+h2+`</photo></x></presence>
S: <presence from='bob@localhost/b' id='end'/>
C: <iq type='set' id='{{set}}'><vCard xmlns='vcard-temp'><NICKNAME>ally</NICKNAME><PHOTO><TYPE>image/png</TYPE><BINVAL>`+b1+`</BINVAL></PHOTO></vCard></iq>
S: <iq type='result' id='{{set}}'/>
C: <presence id='{{p4}}'><x `+x+`><photo>`+h1+`</photo></x></presence>
C: <presence id='{{p5}}' to='room@conference.localhost/alice'><x `+x+`><photo>`+h1+`</photo></x></presence>
C: <iq type='set' id='{{set2}}'><vCard xmlns='vcard-temp'><NICKNAME>ally</NICKNAME></vCard></iq>
S: <iq type='result' id='{{set2}}'/>
C: <presence id='{{p6}}'><x `+x+`><photo/></x></presence>
`)
	c := xmpptest.NewConn(t, alice, tr, withPresence)
	var log testlog.Log
	end := make(chan struct{})
	c.HandlePresence(nil, func(p *stanza.Presence) {
		log.Add("presence %s", p.ID)
		if p.ID == "end" {
			close(end)
		}
	})
	vc := vcard.For(c)
	vc.OnAvatarChange(func(a vcard.AvatarChange) { log.Add("avatar %s %.8s", a.From, a.Hash) })
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, end)
	assert.Equal(t, []string{
		"presence s1", "avatar bob@localhost " + h2[:8],
		"presence s2",
		"presence s3",
		"presence s4",
		"presence s5", "avatar bob@localhost ",
		"presence s6", "avatar room@conference.localhost/carol " + h1[:8],
		"presence s6u",
		"presence s6b", "avatar room@conference.localhost/carol " + h1[:8], // forgotten when she left
		"presence s6d", "avatar room@conference.localhost/dave " + h2[:8],
		"presence s6e",
		"presence s7", "avatar alice@localhost " + h2[:8],
		"presence end",
	}, log.Lines())
	hash, ok := vc.AvatarHash(bob)
	assert.True(t, ok)
	assert.Equal(t, "", hash, "bob's last word: no avatar")
	_, ok = vc.AvatarHash(jid.MustParse("room@conference.localhost/dave"))
	assert.False(t, ok, "an occupant that left is forgotten")
	_, ok = vc.AvatarHash(jid.MustParse("room@conference.localhost/carol"))
	assert.True(t, ok)

	require.NoError(t, vc.Set(ctxT(t), &vcard.VCard{Nickname: "ally", Photo: &vcard.Photo{Type: "image/png", Data: img1}}))
	p := &stanza.Presence{}
	p.To = jid.MustParse("room@conference.localhost/alice")
	require.NoError(t, c.Send(ctxT(t), p))
	require.NoError(t, vc.Set(ctxT(t), &vcard.VCard{Nickname: "ally"}))
}

// TestAdvertiseOff: with SetAdvertise(false) nothing is fetched and
// presence carries no hash; others' hashes are still reported.
func TestAdvertiseOff(t *testing.T) {
	tr := transcript(t, `
C: <presence id='{{p1}}'/>
S: <presence from='bob@localhost/b' id='s1'><x xmlns='vcard-temp:x:update'><photo>`+h2+`</photo></x></presence>
`)
	c := xmpptest.NewConn(t, alice, tr, withPresence)
	vc := vcard.For(c)
	vc.SetAdvertise(false)
	assert.False(t, vc.Advertise())
	got := make(chan vcard.AvatarChange, 1)
	vc.OnAvatarChange(func(a vcard.AvatarChange) { got <- a })
	require.NoError(t, c.Connect(ctxT(t)))
	assert.Equal(t, vcard.AvatarChange{From: bob, Hash: h2}, wait(t, got))
}

func TestShape(t *testing.T) {
	c := xmpp.New(xmpp.Config{})
	vc := vcard.For(c)
	assert.Same(t, vc, vcard.For(c), "one per connection")
	vc.Close()
	vc.Close()
	assert.Nil(t, xmpp.Attached[vcard.Client](c), "detached")
	fresh := vcard.For(c)
	assert.NotSame(t, vc, fresh, "a fresh one after Close")
	assert.True(t, fresh.Advertise(), "on by default")
	assert.Panics(t, func() { fresh.OnAvatarChange(nil) })
}

// TestRemove: removing one listener leaves the others, and removing it
// again changes nothing.
func TestRemove(t *testing.T) {
	const x = "xmlns='vcard-temp:x:update'"
	tr := transcript(t, `
S: <presence from='bob@localhost/b' id='s1'><x `+x+`><photo>`+h1+`</photo></x></presence>
S: <presence from='bob@localhost/b' id='s2'><x `+x+`><photo>`+h2+`</photo></x></presence>
`)
	c := xmpptest.NewConn(t, alice, tr)
	vc := vcard.For(c)
	vc.SetAdvertise(false)
	var log testlog.Log
	done := make(chan struct{})
	var remove func()
	remove = vc.OnAvatarChange(func(a vcard.AvatarChange) {
		log.Add("first %.8s", a.Hash)
		remove()
		remove()
	})
	vc.OnAvatarChange(func(a vcard.AvatarChange) {
		log.Add("second %.8s", a.Hash)
		if a.Hash == h2 {
			close(done)
		}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, done)
	assert.Equal(t, []string{"first " + h1[:8], "second " + h1[:8], "second " + h2[:8]}, log.Lines())
}

// TestCloseInListener: a listener that closes the Client stops the
// delivery under way: the listeners after it are not called.
func TestCloseInListener(t *testing.T) {
	tr := transcript(t, `
S: <presence from='bob@localhost/b' id='s1'><x xmlns='vcard-temp:x:update'><photo>`+h1+`</photo></x></presence>
S: <presence from='bob@localhost/b' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	vc := vcard.For(c)
	vc.SetAdvertise(false)
	var log testlog.Log
	vc.OnAvatarChange(func(a vcard.AvatarChange) {
		log.Add("first %.8s", a.Hash)
		vc.Close()
	})
	vc.OnAvatarChange(func(a vcard.AvatarChange) { log.Add("second %.8s", a.Hash) })
	end := make(chan struct{})
	c.HandlePresence(stanza.WithID("end"), func(*stanza.Presence) { close(end) })
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, end)
	assert.Equal(t, []string{"first " + h1[:8]}, log.Lines())
}
