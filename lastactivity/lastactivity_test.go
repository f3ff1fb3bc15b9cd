package lastactivity_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/lastactivity"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var alice = jid.MustParse("alice@localhost/a")

func transcript(t *testing.T, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), s)
}

// TestAnswer: service-unavailable until the application gives a last
// activity; then the whole seconds since, to requests addressed to the
// client only; service-unavailable again once it is cleared.
func TestAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const q = "xmlns='jabber:iq:last'"
		const unavailable = `<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`
		tr := transcript(t, `
S: <iq type='get' id='l1' from='bob@localhost/b' to='alice@localhost/a'><query `+q+`/></iq>
C: <iq type='error' id='l1' to='bob@localhost/b'>`+unavailable+`</iq>
S: <message from='bob@localhost/b' id='active'/>
S: <iq type='get' id='l2' from='bob@localhost/b' to='alice@localhost/a'><query `+q+`/></iq>
C: <iq type='result' id='l2' to='bob@localhost/b'><query `+q+` seconds='123'/></iq>
S: <iq type='get' id='l3' from='bob@localhost/b' to='carol@localhost/c'><query `+q+`/></iq>
C: <iq type='error' id='l3' to='bob@localhost/b'>`+unavailable+`</iq>
S: <message from='bob@localhost/b' id='future'/>
S: <iq type='get' id='l4' from='bob@localhost/b'><query `+q+`/></iq>
C: <iq type='result' id='l4' to='bob@localhost/b'><query `+q+` seconds='0'/></iq>
S: <message from='bob@localhost/b' id='clear'/>
S: <iq type='get' id='l5' from='bob@localhost/b' to='alice@localhost/a'><query `+q+`/></iq>
C: <iq type='error' id='l5' to='bob@localhost/b'>`+unavailable+`</iq>
`)
		c := xmpptest.NewConn(t, alice, tr)
		la := lastactivity.For(c)
		assert.True(t, la.LastActive().IsZero())
		c.HandleMessage(stanza.WithID("active"), func(*stanza.Message) {
			la.SetLastActive(time.Now().Add(-123*time.Second - 900*time.Millisecond))
		})
		c.HandleMessage(stanza.WithID("future"), func(*stanza.Message) { la.SetLastActive(time.Now().Add(time.Hour)) })
		c.HandleMessage(stanza.WithID("clear"), func(*stanza.Message) { la.SetLastActive(time.Time{}) })
		require.NoError(t, c.Connect(t.Context()))
	})
}

// TestQuery: a contact's idle time, an offline contact's status, a
// server's uptime; a result with the request's id from anybody else is
// not taken; malformed answers and error replies are errors.
func TestQuery(t *testing.T) {
	const q = "xmlns='jabber:iq:last'"
	tr := transcript(t, `
C: <iq type='get' id='{{a}}' to='bob@localhost/b'><query `+q+`/></iq>
S: <iq type='result' id='{{a}}' from='eve@localhost/e'><query `+q+` seconds='1'/></iq>
S: <iq type='result' id='{{a}}' from='bob@localhost/b'><query `+q+` seconds='123'/></iq>
C: <iq type='get' id='{{b}}' to='carol@localhost'><query `+q+`/></iq>
S: <iq type='result' id='{{b}}' from='carol@localhost'><query `+q+` seconds='903'>Heading Home</query></iq>
C: <iq type='get' id='{{c}}' to='localhost'><query `+q+`/></iq>
S: <iq type='result' id='{{c}}' from='localhost'><query `+q+` seconds='86400'/></iq>
C: <iq type='get' id='{{d}}' to='dave@localhost'><query `+q+`/></iq>
S: <iq type='error' id='{{d}}' from='dave@localhost'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{e}}' to='bob@localhost/b'><query `+q+`/></iq>
S: <iq type='result' id='{{e}}' from='bob@localhost/b'><query `+q+` seconds='-5'/></iq>
C: <iq type='get' id='{{f}}' to='bob@localhost/b'><query `+q+`/></iq>
S: <iq type='result' id='{{f}}' from='bob@localhost/b'><query `+q+`/></iq>
C: <iq type='get' id='{{g}}' to='bob@localhost/b'><query `+q+`/></iq>
S: <iq type='result' id='{{g}}' from='bob@localhost/b'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	la := lastactivity.For(c)
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	defer cancel()
	require.NoError(t, c.Connect(ctx))
	bob := jid.MustParse("bob@localhost/b")
	a, err := la.Query(ctx, bob)
	require.NoError(t, err)
	assert.Equal(t, lastactivity.Activity{Idle: 123 * time.Second}, a)
	a, err = la.Query(ctx, jid.MustParse("carol@localhost"))
	require.NoError(t, err)
	assert.Equal(t, lastactivity.Activity{Idle: 903 * time.Second, Status: "Heading Home"}, a)
	a, err = la.Query(ctx, jid.JID{})
	require.NoError(t, err)
	assert.Equal(t, 24*time.Hour, a.Idle)
	_, err = la.Query(ctx, jid.MustParse("dave@localhost"))
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.Forbidden})
	for range 3 {
		_, err = la.Query(ctx, bob)
		assert.ErrorIs(t, err, lastactivity.ErrMalformed)
	}
}

// TestOnePerConnection: For gives one Manager per connection and a fresh
// one after Close; the feature is announced from For to Close.
func TestOnePerConnection(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	la := lastactivity.For(c)
	assert.Same(t, la, lastactivity.For(c))
	assert.Contains(t, c.Announced(), lastactivity.NS)
	la.SetLastActive(time.Now())
	la.Close()
	la.Close()
	assert.NotContains(t, c.Announced(), lastactivity.NS)
	fresh := lastactivity.For(c)
	assert.NotSame(t, la, fresh)
	assert.True(t, fresh.LastActive().IsZero())
}
