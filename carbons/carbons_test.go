package carbons_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/laptop")
	ctl   = jid.MustParse("ctl@localhost/x")
)

// enable is the client's request at the start of a session and the
// server's result.
const enable = `C: <iq type='set' id='{{e}}'><enable xmlns='urn:xmpp:carbons:2'/></iq>
S: <iq type='result' id='{{e}}' to='alice@localhost/laptop'/>
`

// done is the last step of a script: a listener on ctl's messages
// closes the test's channel.
const done = `S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
`

// sent is a copy of what the account's phone sent to bob; received a
// copy of what bob sent to the phone. Each carrier is from the account's
// bare JID, as the server writes it.
func sentCarbon(from, body string) string {
	return `S: <message ` + fromAttr(from) + ` to='alice@localhost/laptop' type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
		`<message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost/desk' type='chat' id='s-` + body + `'><body>` + body + `</body></message>` +
		`</forwarded></sent></message>
`
}

func receivedCarbon(from, body string) string {
	return `S: <message ` + fromAttr(from) + ` to='alice@localhost/laptop' type='chat'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
		`<message xmlns='jabber:client' from='bob@localhost/desk' to='alice@localhost/phone' type='chat' id='r-` + body + `'><body>` + body + `</body></message>` +
		`</forwarded></received></message>
`
}

// fromAttr is the from attribute for from; none when it is "".
func fromAttr(from string) string {
	if from == "" {
		return ""
	}
	return "from='" + from + "'"
}

func transcript(t *testing.T, name, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, name, s)
}

// logBuffer collects what a Conn's Logger writes.
type logBuffer struct{ testserver.Buffer }

// count returns how many times s was logged.
func (l *logBuffer) count(s string) int { return strings.Count(l.String(), s) }

func withLog(l *logBuffer) func(*xmpp.Config) {
	return func(cfg *xmpp.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
}

// finished returns a channel closed when ctl says done, after running
// before (on the dispatcher, before the end of the script is heard).
func finished(c *xmpp.Conn, before ...func()) <-chan struct{} {
	ch := make(chan struct{})
	c.HandleMessage(stanza.From(ctl), func(m *stanza.Message) {
		if m.Body("") == "done" {
			for _, f := range before {
				f()
			}
			close(ch)
		}
	})
	return ch
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func carbonText(cb carbons.Carbon) string {
	return fmt.Sprintf("%s %s->%s %q device=%s outer=%s", cb.Direction, cb.Message.From, cb.Message.To, cb.Message.Body(""), cb.Device(), cb.Outer.From)
}

// TestEnableAndReceive: carbons are enabled as the session starts, and
// copies both ways reach the OnCarbon listeners as what they are, in
// wire order with a plain listener, which sees each carrier as a chat
// message from the account's bare JID without a body. A carrier without
// a from is the server's on the account's behalf, and is accepted.
func TestEnableAndReceive(t *testing.T) {
	var log testlog.Log
	tr := transcript(t, t.Name(), enable+
		sentCarbon("alice@localhost", "one")+
		`S: <message from='bob@localhost/desk' to='alice@localhost/laptop' type='chat'><body>direct</body></message>
`+receivedCarbon("alice@localhost", "two")+
		receivedCarbon("", "three")+done)
	c := xmpptest.NewConn(t, alice, tr)
	c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
		log.Add("plain from=%s body=%q", m.From, m.Body(""))
	})
	m := carbons.For(c)
	m.OnCarbon(func(cb carbons.Carbon) { log.Add("carbon %s", carbonText(cb)) })
	end := finished(c, func() { assert.True(t, m.Active(), "the server said so") })
	assert.True(t, m.Enabled(), "on by default")
	assert.False(t, m.Active(), "not before the server said so")
	require.NoError(t, c.Connect(ctxT(t)))
	waitFor(t, end, "done")
	assert.Equal(t, []string{
		`plain from=alice@localhost body=""`,
		`carbon sent alice@localhost/phone->bob@localhost/desk "one" device=phone outer=alice@localhost`,
		`plain from=bob@localhost/desk body="direct"`,
		`plain from=alice@localhost body=""`,
		`carbon received bob@localhost/desk->alice@localhost/phone "two" device=phone outer=alice@localhost`,
		`plain from= body=""`,
		`carbon received bob@localhost/desk->alice@localhost/phone "three" device=phone outer=`,
	}, log.Lines())
}

// TestSpoofed: XEP-0280 section 11. Every carbon below is dropped: it
// reaches no listener, and each is logged. A carrier from a contact, from
// a contact's bare JID, from another server, from another resource of
// the account or this very resource is not the server writing; a copy
// that is malformed, or of a message that is not the account's, is not
// a carbon.
func TestSpoofed(t *testing.T) {
	cases := map[string]string{
		"a contact's full JID":       sentCarbon("bob@localhost/desk", "x"),
		"a contact's bare JID":       receivedCarbon("bob@localhost", "x"),
		"another account's domain":   receivedCarbon("localhost", "x"),
		"the account's other device": sentCarbon("alice@localhost/phone", "x"),
		"this very resource":         receivedCarbon("alice@localhost/laptop", "x"),
		"another domain's alice":     sentCarbon("alice@evil.example", "x"),
		"an error carrier": `S: <message from='alice@localhost' type='error'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost'><body>x</body></message></forwarded></sent><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>
`,
		"sent and received": `S: <message from='alice@localhost'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@localhost/phone' to='bob@localhost'><body>x</body></message></forwarded></sent><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@localhost' to='alice@localhost'><body>x</body></message></forwarded></received></message>
`,
		"two forwarded": `S: <message from='alice@localhost'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@localhost' to='alice@localhost'><body>x</body></message></forwarded><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@localhost' to='alice@localhost'><body>y</body></message></forwarded></received></message>
`,
		"nothing forwarded": `S: <message from='alice@localhost'><received xmlns='urn:xmpp:carbons:2'/></message>
`,
		"a forwarded presence": `S: <message from='alice@localhost'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><presence xmlns='jabber:client' from='bob@localhost/desk'/></forwarded></received></message>
`,
		"a bad inner address": `S: <message from='alice@localhost'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='@bad' to='alice@localhost'><body>x</body></message></forwarded></received></message>
`,
		"a sent copy of bob's message": `S: <message from='alice@localhost'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@localhost/desk' to='alice@localhost/phone'><body>x</body></message></forwarded></sent></message>
`,
		"a received copy for carol": `S: <message from='alice@localhost'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@localhost/desk' to='carol@localhost'><body>x</body></message></forwarded></received></message>
`,
	}
	for name, carbon := range cases {
		t.Run(name, func(t *testing.T) {
			var log testlog.Log
			var logs logBuffer
			c := xmpptest.NewConn(t, alice, transcript(t, t.Name(), enable+carbon+done), withLog(&logs))
			carbons.For(c).OnCarbon(func(cb carbons.Carbon) { log.Add("carbon %s", carbonText(cb)) })
			end := finished(c)
			require.NoError(t, c.Connect(ctxT(t)))
			waitFor(t, end, "done")
			assert.Empty(t, log.Lines(), "nothing delivered")
			assert.Equal(t, 1, logs.count("carbons: dropped a carbon"), "logged once")
		})
	}
}

// TestOf: Of applies the Carbons's checks, with a Carbons attached or
// without one.
func TestOf(t *testing.T) {
	for _, attached := range []bool{false, true} {
		t.Run(fmt.Sprint("attached=", attached), func(t *testing.T) {
			type result struct {
				ok  bool
				dir carbons.Direction
			}
			var mu sync.Mutex
			var got []result
			tr := transcript(t, t.Name(), sentCarbon("alice@localhost", "a")+sentCarbon("bob@localhost", "b")+
				`S: <message from='bob@localhost/desk' type='chat'><body>c</body></message>
`+receivedCarbon("alice@localhost", "d")+done)
			c := xmpptest.NewConn(t, alice, tr)
			if attached {
				m := carbons.For(c)
				m.SetEnabled(false)
			}
			c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
				cb, ok := carbons.Of(c, m)
				again, _ := carbons.Of(c, m)
				assert.Equal(t, cb, again, "the same carbon each time")
				mu.Lock()
				got = append(got, result{ok, cb.Direction})
				mu.Unlock()
			})
			end := finished(c)
			require.NoError(t, c.Connect(ctxT(t)))
			waitFor(t, end, "done")
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []result{{true, carbons.Sent}, {false, 0}, {false, 0}, {true, carbons.Received}}, got)
		})
	}
}

// TestUnsupported: a server without carbons answers with an error: the
// Carbons is not active, logs it, and the session goes on.
func TestUnsupported(t *testing.T) {
	var logs logBuffer
	tr := transcript(t, t.Name(), `C: <iq type='set' id='{{e}}'><enable xmlns='urn:xmpp:carbons:2'/></iq>
S: <iq type='error' id='{{e}}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`+done)
	c := xmpptest.NewConn(t, alice, tr, withLog(&logs))
	m := carbons.For(c)
	end := finished(c, func() { assert.False(t, m.Active()) })
	require.NoError(t, c.Connect(ctxT(t)))
	waitFor(t, end, "done")
	assert.True(t, m.Enabled(), "the setting stays")
	assert.Equal(t, 1, logs.count("carbons: the server refused"))
	assert.Equal(t, 1, logs.count("service-unavailable"))
}

// TestSetEnabled: off before the login, nothing is asked; on and off
// during the session, the server is asked at once, each time the setting
// changes and only then, and Active follows its answers.
func TestSetEnabled(t *testing.T) {
	step := make(chan struct{})
	tr := transcript(t, t.Name(), `S: <message from='ctl@localhost/x' type='headline'><body>on</body></message>
`+enable+`S: <message from='ctl@localhost/x' type='headline'><body>off</body></message>
C: <iq type='set' id='{{d}}'><disable xmlns='urn:xmpp:carbons:2'/></iq>
S: <iq type='result' id='{{d}}'/>
`+done)
	c := xmpptest.NewConn(t, alice, tr)
	m := carbons.For(c)
	m.SetEnabled(false)
	m.SetEnabled(false)
	assert.False(t, m.Enabled())
	c.HandleMessage(stanza.From(ctl), func(msg *stanza.Message) {
		switch msg.Body("") {
		case "on":
			m.SetEnabled(true)
			m.SetEnabled(true)
		case "off":
			assert.True(t, m.Active(), "the enable's answer came before this")
			m.SetEnabled(false)
			close(step)
		}
	})
	end := finished(c, func() { assert.False(t, m.Active(), "the disable's answer came before this") })
	require.NoError(t, c.Connect(ctxT(t)))
	waitFor(t, step, "off")
	waitFor(t, end, "done")
}

// TestPrivate: Private adds <private/> and <no-copy/> once each, and
// leaves the slice the message held before alone.
func TestPrivate(t *testing.T) {
	m := &stanza.Message{Bodies: []stanza.Text{{Value: "x"}}, Extensions: make([]stanza.Node, 0, 4)}
	before := m.Extensions
	assert.False(t, carbons.IsPrivate(m))
	carbons.Private(m)
	carbons.Private(m)
	assert.True(t, carbons.IsPrivate(m))
	require.Len(t, m.Extensions, 2)
	assert.Equal(t, "urn:xmpp:carbons:2", m.Extensions[0].Name.Space)
	assert.Equal(t, "private", m.Extensions[0].Name.Local)
	assert.Equal(t, "urn:xmpp:hints", m.Extensions[1].Name.Space)
	assert.Equal(t, "no-copy", m.Extensions[1].Name.Local)
	assert.Empty(t, before[:cap(before)][0].Name.Local)
}

// TestDirectionString: each direction has a name for logs.
func TestDirectionString(t *testing.T) {
	assert.Equal(t, "none", carbons.Direction(0).String())
	assert.Equal(t, "received", carbons.Received.String())
	assert.Equal(t, "sent", carbons.Sent.String())
	assert.Equal(t, "Direction(9)", carbons.Direction(9).String())
	assert.Empty(t, carbons.Carbon{}.Device())
}
