package entitytime_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/entitytime"
	"github.com/gosmack/gosmack/jid"
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

// TestAnswer: the time now in UTC and the zone's offset, for requests
// addressed to the client; service-unavailable for one addressed to
// anybody else. The bubble's clock starts at 2000-01-01 00:00 UTC.
func TestAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ns = "xmlns='urn:xmpp:time'"
		tr := transcript(t, `
S: <iq type='get' id='t1' from='bob@localhost/b' to='alice@localhost/a'><time `+ns+`/></iq>
C: <iq type='result' id='t1' to='bob@localhost/b'><time `+ns+`><tzo>-06:00</tzo><utc>2000-01-01T00:00:00.000Z</utc></time></iq>
S: <message from='bob@localhost/b' id='utc'/>
S: <iq type='get' id='t2' from='bob@localhost/b'><time `+ns+`/></iq>
C: <iq type='result' id='t2' to='bob@localhost/b'><time `+ns+`><tzo>+00:00</tzo><utc>2000-01-01T00:00:00.000Z</utc></time></iq>
S: <message from='bob@localhost/b' id='india'/>
S: <iq type='get' id='t3' from='bob@localhost/b' to='alice@localhost'><time `+ns+`/></iq>
C: <iq type='result' id='t3' to='bob@localhost/b'><time `+ns+`><tzo>+05:30</tzo><utc>2000-01-01T00:00:00.000Z</utc></time></iq>
S: <iq type='get' id='t4' from='bob@localhost/b' to='carol@localhost/c'><time `+ns+`/></iq>
C: <iq type='error' id='t4' to='bob@localhost/b'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
		c := xmpptest.NewConn(t, alice, tr)
		et := entitytime.For(c)
		assert.Equal(t, time.Local, et.Location())
		et.SetLocation(time.FixedZone("CST", -6*3600))
		c.HandleMessage(stanza.WithID("utc"), func(*stanza.Message) { et.SetLocation(time.UTC) })
		c.HandleMessage(stanza.WithID("india"), func(*stanza.Message) { et.SetLocation(time.FixedZone("IST", 5*3600+1800)) })
		require.NoError(t, c.Connect(t.Context()))
	})
}

// TestQuery: a contact's time in its offset; a result with the request's
// id from anybody else is not taken; malformed answers are errors that
// say what came.
func TestQuery(t *testing.T) {
	const ns = "xmlns='urn:xmpp:time'"
	bob := jid.MustParse("bob@localhost/b")
	bad := []struct{ payload, says string }{
		{`<time ` + ns + `><tzo>-06:00</tzo></time>`, "missing"},
		{`<time ` + ns + `><tzo>-6</tzo><utc>2006-12-19T17:58:35Z</utc></time>`, "<tzo>-6</tzo>"},
		{`<time ` + ns + `><tzo>+24:00</tzo><utc>2006-12-19T17:58:35Z</utc></time>`, "<tzo>+24:00</tzo>"},
		{`<time ` + ns + `><tzo>Z</tzo><utc>yesterday</utc></time>`, "<utc>yesterday</utc>"},
		{`<time ` + ns + `><tzo>Z</tzo><utc>2006-12-19t17:58:35z</utc></time>`, "<utc>2006-12-19t17:58:35z</utc>"},
		{`<time ` + ns + `><tzo>Z</tzo><utc>2006-12-19T17:58:35.Z</utc></time>`, "is not a date"},
		{`<query xmlns='urn:xmpp:other'/>`, "no <time/>"},
		{``, "no <time/>"},
	}
	script := `
C: <iq type='get' id='{{a}}' to='bob@localhost/b'><time ` + ns + `/></iq>
S: <iq type='result' id='{{a}}' from='eve@localhost/e'><time ` + ns + `><tzo>+00:00</tzo><utc>1999-01-01T00:00:00Z</utc></time></iq>
S: <iq type='result' id='{{a}}' from='bob@localhost/b'><time ` + ns + `><tzo>-06:00</tzo><utc>2006-12-19T17:58:35.123Z</utc></time></iq>
C: <iq type='get' id='{{s}}' to='localhost'><time ` + ns + `/></iq>
S: <iq type='result' id='{{s}}' from='localhost'><time ` + ns + `><tzo>Z</tzo><utc>2006-12-19T23:58:35+00:00</utc></time></iq>
C: <iq type='get' id='{{e}}' to='bob@localhost/b'><time ` + ns + `/></iq>
S: <iq type='error' id='{{e}}' from='bob@localhost/b'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`
	for i, b := range bad {
		id := string(rune('A' + i))
		script += "C: <iq type='get' id='{{" + id + "}}' to='bob@localhost/b'><time " + ns + "/></iq>\n"
		script += "S: <iq type='result' id='{{" + id + "}}' from='bob@localhost/b'>" + b.payload + "</iq>\n"
	}
	c := xmpptest.NewConn(t, alice, transcript(t, script))
	et := entitytime.For(c)
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	defer cancel()
	require.NoError(t, c.Connect(ctx))

	got, err := et.Query(ctx, bob)
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Date(2006, 12, 19, 17, 58, 35, 123e6, time.UTC)), "%v", got)
	assert.Equal(t, "2006-12-19 11:58:35 -06:00", got.Format("2006-01-02 15:04:05 -07:00"), "in the entity's offset")
	assert.Equal(t, "-06:00", got.Location().String())

	got, err = et.Query(ctx, jid.JID{})
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Date(2006, 12, 19, 23, 58, 35, 0, time.UTC)), "%v", got)

	_, err = et.Query(ctx, bob)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable})
	for _, b := range bad {
		_, err := et.Query(ctx, bob)
		require.ErrorIs(t, err, entitytime.ErrMalformed, "%s", b.payload)
		assert.Contains(t, err.Error(), b.says)
	}
}

// TestOnePerConnection: For gives one Manager per connection and a fresh
// one after Close; the feature is announced from For to Close.
func TestOnePerConnection(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	et := entitytime.For(c)
	assert.Same(t, et, entitytime.For(c))
	assert.Contains(t, c.Announced(), entitytime.NS)
	et.SetLocation(time.UTC)
	et.Close()
	et.Close()
	assert.NotContains(t, c.Announced(), entitytime.NS)
	fresh := entitytime.For(c)
	assert.NotSame(t, et, fresh)
	assert.Equal(t, time.Local, fresh.Location())
	fresh.SetLocation(nil)
	assert.Equal(t, time.Local, fresh.Location())
}
