package avatar_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/gosmack/gosmack/avatar"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	bob   = jid.MustParse("bob@localhost")
	img   = []byte("\x89PNG\r\n\x1a\n pretend pixels")
	id    = avatar.ID(img)
	b64   = base64.StdEncoding.EncodeToString(img)
)

const (
	nsPubsub = "xmlns='http://jabber.org/protocol/pubsub'"
	nsEvent  = "xmlns='http://jabber.org/protocol/pubsub#event'"
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

// TestPublishAndFetch: Publish writes the image under its SHA-1, then the
// metadata; Metadata reads the last; Fetch returns bytes only when they
// hash to the id, and says when there is no such image; Disable
// publishes empty metadata.
func TestPublishAndFetch(t *testing.T) {
	other := base64.StdEncoding.EncodeToString([]byte("some other image"))
	tr := transcript(t, `
C: <iq type='set' id='{{p1}}'><pubsub `+nsPubsub+`><publish node='urn:xmpp:avatar:data'><item id='`+id+`'><data xmlns='urn:xmpp:avatar:data'>`+b64+`</data></item></publish></pubsub></iq>
S: <iq type='result' id='{{p1}}'/>
C: <iq type='set' id='{{p2}}'><pubsub `+nsPubsub+`><publish node='urn:xmpp:avatar:metadata'><item id='`+id+`'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='`+fmt.Sprint(len(img))+`' id='`+id+`' type='image/png' width='64' height='32'/></metadata></item></publish></pubsub></iq>
S: <iq type='result' id='{{p2}}'/>
C: <iq type='get' id='{{m1}}' to='bob@localhost'><pubsub `+nsPubsub+`><items node='urn:xmpp:avatar:metadata' max_items='1'/></pubsub></iq>
S: <iq type='result' id='{{m1}}' from='bob@localhost'><pubsub `+nsPubsub+`><items node='urn:xmpp:avatar:metadata'><item id='`+id+`'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12' id='`+id+`' type='image/png'/><info bytes='9' id='abc' type='image/gif' url='https://example.org/a.gif'/><pointer/></metadata></item></items></pubsub></iq>
C: <iq type='get' id='{{f1}}' to='bob@localhost'><pubsub `+nsPubsub+`><items node='urn:xmpp:avatar:data'><item id='`+id+`'/></items></pubsub></iq>
S: <iq type='result' id='{{f1}}' from='bob@localhost'><pubsub `+nsPubsub+`><items node='urn:xmpp:avatar:data'><item id='`+id+`'><data xmlns='urn:xmpp:avatar:data'>`+b64[:10]+"\n"+b64[10:]+`</data></item></items></pubsub></iq>
C: <iq type='get' id='{{f2}}' to='bob@localhost'><pubsub `+nsPubsub+`><items node='urn:xmpp:avatar:data'><item id='`+id+`'/></items></pubsub></iq>
S: <iq type='result' id='{{f2}}' from='bob@localhost'><pubsub `+nsPubsub+`><items node='urn:xmpp:avatar:data'><item id='`+id+`'><data xmlns='urn:xmpp:avatar:data'>`+other+`</data></item></items></pubsub></iq>
C: <iq type='get' id='{{f3}}' to='bob@localhost'><pubsub `+nsPubsub+`><items node='urn:xmpp:avatar:data'><item id='`+id+`'/></items></pubsub></iq>
S: <iq type='error' id='{{f3}}' from='bob@localhost'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='set' id='{{d}}'><pubsub `+nsPubsub+`><publish node='urn:xmpp:avatar:metadata'><item id='current'><metadata xmlns='urn:xmpp:avatar:metadata'/></item></publish></pubsub></iq>
S: <iq type='result' id='{{d}}'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	av := avatar.For(c)
	require.NoError(t, c.Connect(ctxT(t)))

	info, err := av.Publish(ctxT(t), img, "image/png", 64, 32)
	require.NoError(t, err)
	assert.Equal(t, avatar.Info{ID: id, Bytes: len(img), Type: "image/png", Width: 64, Height: 32}, info)

	infos, err := av.Metadata(ctxT(t), bob)
	require.NoError(t, err)
	assert.Equal(t, []avatar.Info{
		{ID: id, Bytes: 12, Type: "image/png"},
		{ID: "abc", Bytes: 9, Type: "image/gif", URL: "https://example.org/a.gif"},
	}, infos)

	data, err := av.Fetch(ctxT(t), bob, id)
	require.NoError(t, err)
	assert.Equal(t, img, data, "the image, its base64 lines joined")
	_, err = av.Fetch(ctxT(t), bob, id)
	assert.ErrorIs(t, err, avatar.ErrHashMismatch, "bytes that are not the avatar announced")
	_, err = av.Fetch(ctxT(t), bob, id)
	assert.ErrorIs(t, err, avatar.ErrNotFound)

	require.NoError(t, av.Disable(ctxT(t)))
	_, err = av.Publish(ctxT(t), nil, "image/png", 0, 0)
	assert.Error(t, err, "no image")
}

// TestOnChange: the metadata notifications of contacts and of the user's
// own account are reported, in wire order with a plain message
// listener; one from a full JID (another client), or metadata that
// cannot be read, is not; empty metadata is "no avatar".
func TestOnChange(t *testing.T) {
	meta := func(from, item string) string {
		return `S: <message from='` + from + `' id='` + from + `' type='headline'><event ` + nsEvent + `><items node='urn:xmpp:avatar:metadata'>` + item + `</items></event></message>`
	}
	tr := transcript(t, `
`+meta("bob@localhost", `<item id='`+id+`'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12' id='`+id+`' type='image/png'/></metadata></item>`)+`
`+meta("eve@localhost/e", `<item id='x'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='1' id='x' type='image/png'/></metadata></item>`)+`
`+meta("carol@localhost", `<item id='bad'><metadata xmlns='urn:xmpp:avatar:metadata'><info id='bad'/></metadata></item>`)+`
`+meta("alice@localhost", `<item id='current'><metadata xmlns='urn:xmpp:avatar:metadata'/></item>`)+`
S: <message from='bob@localhost/b' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	var log testlog.Log
	done := make(chan struct{})
	c.HandleMessage(nil, func(m *stanza.Message) {
		log.Add("message %s", m.ID)
		if m.ID == "end" {
			close(done)
		}
	})
	av := avatar.For(c)
	av.OnChange(func(ch avatar.Change) {
		var ids []string
		for _, in := range ch.Infos {
			ids = append(ids, in.ID[:min(8, len(in.ID))])
		}
		log.Add("avatar %s %v", ch.From, ids)
	})
	assert.Contains(t, c.Announced(), avatar.NSMetadata+"+notify", "interest announced")
	require.NoError(t, c.Connect(ctxT(t)))
	select {
	case <-done:
	case <-ctxT(t).Done():
		t.Fatal("the transcript did not reach its end")
	}
	assert.Equal(t, []string{
		"message bob@localhost", "avatar bob@localhost [" + id[:8] + "]",
		"message eve@localhost/e",
		"message carol@localhost",
		"message alice@localhost", "avatar alice@localhost []",
		"message end",
	}, log.Lines())
}

// TestShape: one Manager per connection, a fresh one after Close; nil
// refused; removing one listener is exact (the other still hears the
// events, the removed one does not) and idempotent; the last removal,
// or Close, withdraws the interest. Converts needs a session.
func TestShape(t *testing.T) {
	tr := transcript(t, `
S: <message from='bob@localhost' type='headline'><event `+nsEvent+`><items node='urn:xmpp:avatar:metadata'><item id='`+id+`'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12' id='`+id+`' type='image/png'/></metadata></item></items></event></message>
S: <message from='ctl@localhost' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	av := avatar.For(c)
	assert.Same(t, av, avatar.For(c))
	assert.Panics(t, func() { av.OnChange(nil) })
	_, err := av.Converts(ctxT(t))
	assert.ErrorIs(t, err, xmpp.ErrNotConnected, "the account's JID is not known yet")
	var log testlog.Log
	remove := av.OnChange(func(ch avatar.Change) { log.Add("removed %s", ch.From) })
	other := av.OnChange(func(ch avatar.Change) { log.Add("other %s", ch.From) })
	remove()
	remove()
	assert.Contains(t, c.Announced(), avatar.NSMetadata+"+notify", "one listener left")
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{"other bob@localhost"}, log.Lines(), "only the listener left hears the event")
	other()
	assert.NotContains(t, c.Announced(), avatar.NSMetadata+"+notify", "none left: interest withdrawn")
	av.OnChange(func(avatar.Change) {})
	av.Close()
	av.Close()
	assert.NotContains(t, c.Announced(), avatar.NSMetadata+"+notify", "Close withdraws it")
	assert.NotSame(t, av, avatar.For(c), "a fresh one after Close")
}

func TestParseMetadata(t *testing.T) {
	_, err := avatar.ParseMetadata(nil)
	assert.ErrorIs(t, err, avatar.ErrMalformed)
	_, err = avatar.ParseMetadata(&stanza.Node{})
	assert.ErrorIs(t, err, avatar.ErrMalformed)
	assert.Equal(t, "da39a3ee5e6b4b0d3255bfef95601890afd80709", avatar.ID(nil), "SHA-1 of nothing")
}

// TestLowerClosed: after the pep.Manager and the pubsub.Manager below
// are closed, OnChange registers through fresh ones and hears the
// events.
func TestLowerClosed(t *testing.T) {
	tr := transcript(t, `
S: <message from='bob@localhost' type='headline'><event `+nsEvent+`><items node='urn:xmpp:avatar:metadata'><item id='`+id+`'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12' id='`+id+`' type='image/png'/></metadata></item></items></event></message>
S: <message from='ctl@localhost' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	av := avatar.For(c)
	pep.For(c).Close()
	pubsub.For(c).Close()
	var log testlog.Log
	av.OnChange(func(ch avatar.Change) { log.Add("avatar %s %d", ch.From, len(ch.Infos)) })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{"avatar bob@localhost 1"}, log.Lines())
}

// TestEventKinds: a configuration change, an item without payload and a
// retraction say nothing of the avatar and are not reported; a purge
// and a deletion are "no avatar"; of several items, the last with
// metadata counts.
func TestEventKinds(t *testing.T) {
	msg := func(body string) string {
		return `S: <message from='bob@localhost' type='headline'><event ` + nsEvent + `>` + body + `</event></message>
`
	}
	items := func(body string) string { return msg(`<items node='urn:xmpp:avatar:metadata'>` + body + `</items>`) }
	tr := transcript(t, "\n"+
		msg(`<configuration node='urn:xmpp:avatar:metadata'/>`)+
		items(`<item id='a'/>`)+
		items(`<retract id='a'/>`)+
		items(`<item id='`+id+`'><metadata xmlns='urn:xmpp:avatar:metadata'><info bytes='12' id='`+id+`' type='image/png'/></metadata></item><item id='b'/>`)+
		msg(`<purge node='urn:xmpp:avatar:metadata'/>`)+
		msg(`<delete node='urn:xmpp:avatar:metadata'/>`)+
		"S: <message from='ctl@localhost' id='end'/>\n")
	c := xmpptest.NewConn(t, alice, tr)
	av := avatar.For(c)
	var log testlog.Log
	av.OnChange(func(ch avatar.Change) { log.Add("%s %d", ch.Event.Kind, len(ch.Infos)) })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{"items 1", "purge 0", "delete 0"}, log.Lines())
}
