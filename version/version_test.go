package version_test

import (
	"context"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/version"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var alice = jid.MustParse("alice@localhost/a")

func transcript(t *testing.T, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), s)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

// TestAnswer: requests addressed to the client get the name and version,
// the OS only once set; a request addressed to anybody else, or one that
// comes while the version is empty, gets service-unavailable.
func TestAnswer(t *testing.T) {
	const q = "xmlns='jabber:iq:version'"
	tr := transcript(t, `
S: <iq type='get' id='v1' from='bob@localhost/b' to='alice@localhost/a'><query `+q+`/></iq>
C: <iq type='result' id='v1' to='bob@localhost/b'><query `+q+`><name>My app</name><version>1.2</version></query></iq>
S: <iq type='get' id='v2' from='bob@localhost/b' to='carol@localhost/c'><query `+q+`/></iq>
C: <iq type='error' id='v2' to='bob@localhost/b'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <message from='bob@localhost/b' id='set-os'/>
S: <iq type='get' id='v3' from='localhost'><query `+q+`/></iq>
C: <iq type='result' id='v3' to='localhost'><query `+q+`><name>My app</name><version>1.2</version><os>Plan 9</os></query></iq>
S: <message from='bob@localhost/b' id='no-version'/>
S: <iq type='get' id='v4' from='bob@localhost/b' to='alice@localhost'><query `+q+`/></iq>
C: <iq type='error' id='v4' to='bob@localhost/b'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	c := xmpptest.NewConn(t, alice, tr)
	v := version.For(c)
	assert.Equal(t, version.DefaultName, v.Name())
	assert.NotEmpty(t, v.Version())
	assert.Empty(t, v.OS(), "no OS by default")
	v.SetName("My app")
	v.SetVersion("1.2")
	c.HandleMessage(stanza.WithID("set-os"), func(*stanza.Message) { v.SetOS("Plan 9") })
	c.HandleMessage(stanza.WithID("no-version"), func(*stanza.Message) { v.SetVersion("") })
	require.NoError(t, c.Connect(ctxT(t)))
}

// TestQuery: the server's version and a contact's client's; a result
// with the request's id from anybody else is not taken; an error reply
// and a result that is no version are errors.
func TestQuery(t *testing.T) {
	const q = "xmlns='jabber:iq:version'"
	tr := transcript(t, `
C: <iq type='get' id='{{a}}' to='localhost'><query `+q+`/></iq>
S: <iq type='result' id='{{a}}' from='localhost'><query `+q+`><name>Prosody</name><version>0.12.3</version></query></iq>
C: <iq type='get' id='{{b}}' to='bob@localhost/b'><query `+q+`/></iq>
S: <iq type='result' id='{{b}}' from='eve@localhost/e'><query `+q+`><name>Evil</name><version>6.6.6</version></query></iq>
S: <iq type='result' id='{{b}}' from='bob@localhost/b'><query `+q+`><name> Gajim </name><version>1.8</version><os>Linux</os></query></iq>
C: <iq type='get' id='{{c}}' to='carol@localhost/c'><query `+q+`/></iq>
S: <iq type='error' id='{{c}}' from='carol@localhost/c'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{d}}' to='dave@localhost/d'><query `+q+`/></iq>
S: <iq type='result' id='{{d}}' from='dave@localhost/d'><query `+q+`><name>no version</name></query></iq>
C: <iq type='get' id='{{e}}' to='dave@localhost/d'><query `+q+`/></iq>
S: <iq type='result' id='{{e}}' from='dave@localhost/d'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	v := version.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	info, err := v.Query(ctxT(t), jid.JID{})
	require.NoError(t, err)
	assert.Equal(t, version.Info{Name: "Prosody", Version: "0.12.3"}, info)
	info, err = v.Query(ctxT(t), jid.MustParse("bob@localhost/b"))
	require.NoError(t, err)
	assert.Equal(t, version.Info{Name: "Gajim", Version: "1.8", OS: "Linux"}, info)
	_, err = v.Query(ctxT(t), jid.MustParse("carol@localhost/c"))
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable})
	_, err = v.Query(ctxT(t), jid.MustParse("dave@localhost/d"))
	assert.ErrorIs(t, err, version.ErrMalformed)
	_, err = v.Query(ctxT(t), jid.MustParse("dave@localhost/d"))
	assert.ErrorIs(t, err, version.ErrMalformed)
}

// TestOnePerConnection: For gives one Manager per connection and a fresh
// one after Close; the feature is announced from For to Close.
func TestOnePerConnection(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	v := version.For(c)
	assert.Same(t, v, version.For(c))
	assert.Contains(t, c.Announced(), version.NS)
	v.SetOS("Plan 9")
	v.Close()
	v.Close()
	assert.NotContains(t, c.Announced(), version.NS)
	fresh := version.For(c)
	assert.NotSame(t, v, fresh)
	assert.Empty(t, fresh.OS(), "a fresh Manager has the defaults")
	assert.Contains(t, c.Announced(), version.NS)
}
