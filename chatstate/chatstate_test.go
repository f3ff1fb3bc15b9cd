package chatstate_test

import (
	"context"
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/chatstate"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	bob   = jid.MustParse("bob@localhost")
	carol = jid.MustParse("carol@localhost")
	eve   = jid.MustParse("eve@localhost")
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

func chat(to jid.JID, id, body string) *stanza.Message {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}}
	m.To, m.ID = to, id
	return m
}

func TestOfSet(t *testing.T) {
	for _, s := range []chatstate.State{chatstate.Active, chatstate.Composing, chatstate.Paused, chatstate.Inactive, chatstate.Gone} {
		m := &stanza.Message{}
		require.NoError(t, chatstate.Set(m, chatstate.Gone))
		require.NoError(t, chatstate.Set(m, s))
		require.Len(t, m.Extensions, 1, "replaced")
		back, err := wiretest.RoundTrip(m)
		require.NoError(t, err)
		got, ok := chatstate.Of(back.(*stanza.Message))
		assert.True(t, ok)
		assert.Equal(t, s, got)
	}
	assert.ErrorIs(t, chatstate.Set(&stanza.Message{}, "typing"), chatstate.ErrUnknown)
	m := &stanza.Message{Extensions: []stanza.Node{{Name: nsName("typing")}}}
	_, ok := chatstate.Of(m)
	assert.False(t, ok, "an unknown element is not a state")
}

// TestRules: XEP-0085 section 5 as the Manager follows it, in one
// conversation script. A content message carries <active/>; no
// standalone state goes to a peer before it has sent one; a repeated
// state is not sent; a peer that answers a content message without a
// state, or returns an error to one, gets no more; states from contacts
// and from room occupants are reported, interleaved in wire order with a
// plain message listener.
func TestRules(t *testing.T) {
	const ns = "xmlns='http://jabber.org/protocol/chatstates'"
	tr := transcript(t, `
C: <message id='c1' to='bob@localhost' type='chat'><body>hi</body><active `+ns+`/></message>
S: <message from='bob@localhost/b' id='b1' type='chat'><body>hello</body><active `+ns+`/></message>
C: <message id='{{s1}}' to='bob@localhost' type='chat'><composing `+ns+`/></message>
C: <message id='{{s2}}' to='bob@localhost' type='chat'><paused `+ns+`/></message>
S: <message from='bob@localhost/b' id='b2' type='chat'><composing `+ns+`/></message>
S: <message from='eve@localhost/e' id='e1' type='chat'><body>spam</body></message>
C: <message id='c2' to='carol@localhost' type='chat'><body>hi carol</body><active `+ns+`/></message>
S: <message from='carol@localhost/c' id='k1' type='chat'><body>hey</body></message>
C: <message id='c3' to='carol@localhost' type='chat'><body>no state</body></message>
S: <message from='bob@localhost/b' id='b3' type='error'><paused `+ns+`/><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>
S: <message from='room@conference.localhost/eve' id='g1' type='groupchat'><composing `+ns+`/></message>
S: <message from='bob@localhost/b' id='end' type='chat'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	var log testlog.Log
	done := make(chan struct{})
	c.HandleMessage(nil, func(m *stanza.Message) { log.Add("before %s", m.ID) })
	cs := chatstate.For(c)
	cs.OnChatState(func(e chatstate.Event) {
		log.Add("state %s %s", e.From, e.State)
	})
	set := func(to jid.JID, s chatstate.State) {
		sent, err := cs.SetState(context.Background(), to, s)
		assert.NoError(t, err)
		log.Add("set %s %s: %v", to, s, sent)
	}
	c.HandleMessage(nil, func(m *stanza.Message) {
		switch m.ID {
		case "b1":
			set(bob, chatstate.Composing)
			set(bob, chatstate.Composing)
			set(bob, chatstate.Paused)
		case "e1":
			set(eve, chatstate.Composing)
			assert.NoError(t, c.Send(context.Background(), chat(carol, "c2", "hi carol")))
		case "k1":
			set(carol, chatstate.Composing)
			assert.False(t, cs.Supported(carol))
			assert.NoError(t, c.Send(context.Background(), chat(carol, "c3", "no state")))
		case "b3":
			assert.False(t, cs.Supported(bob))
			set(bob, chatstate.Active)
		case "end":
			close(done)
		}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	_, err := cs.SetState(ctxT(t), bob, chatstate.Composing)
	require.NoError(t, err, "unknown peer: nothing sent, no error")
	require.NoError(t, c.Send(ctxT(t), chat(bob, "c1", "hi")))
	<-done
	assert.Equal(t, []string{
		"before b1", "state bob@localhost/b active",
		"set bob@localhost composing: true", "set bob@localhost composing: false", "set bob@localhost paused: true",
		"before b2", "state bob@localhost/b composing",
		"before e1", "set eve@localhost composing: false",
		"before k1", "set carol@localhost composing: false",
		"before b3", "set bob@localhost active: false",
		"before g1", "state room@conference.localhost/eve composing",
		"before end",
	}, log.Lines())
}

// TestShape: one Manager per connection, a fresh one after Close; nil
// refused; a removed listener is removed exactly, and removing it again
// does nothing.
func TestShape(t *testing.T) {
	const ns = "xmlns='http://jabber.org/protocol/chatstates'"
	tr := transcript(t, `
S: <message from='bob@localhost/b' id='m1' type='chat'><composing `+ns+`/></message>
S: <message from='bob@localhost/b' id='m2' type='chat'><paused `+ns+`/></message>
S: <message from='bob@localhost/b' id='end' type='chat'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	cs := chatstate.For(c)
	assert.Same(t, cs, chatstate.For(c))
	assert.Contains(t, c.Announced(), chatstate.NS)
	assert.Panics(t, func() { cs.OnChatState(nil) })
	var log testlog.Log
	cs.OnChatState(func(e chatstate.Event) { log.Add("a %s", e.State) })
	var removeB func()
	removeB = cs.OnChatState(func(e chatstate.Event) { log.Add("b %s", e.State); removeB(); removeB() })
	cs.OnChatState(func(e chatstate.Event) { log.Add("c %s", e.State) })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{"a composing", "b composing", "c composing", "a paused", "c paused"}, log.Lines())

	cs.Close()
	cs.Close()
	assert.NotContains(t, c.Announced(), chatstate.NS)
	fresh := chatstate.For(c)
	assert.NotSame(t, cs, fresh)
	assert.Same(t, fresh, xmpp.Attached[chatstate.Manager](c))
	assert.False(t, fresh.Supported(bob), "a fresh Manager knows no peer")
}

// FuzzOf: whatever a message carries, Of returns one of the five states
// or none, and a state read writes and reads back as itself.
func FuzzOf(f *testing.F) {
	wiretest.Seed(f,
		`<message><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`,
		`<message><typing xmlns='http://jabber.org/protocol/chatstates'/><gone xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			m, ok := st.(*stanza.Message)
			if !ok {
				return true
			}
			s, ok := chatstate.Of(m)
			if !ok {
				return true
			}
			if !s.Valid() {
				t.Fatalf("%q read as a state", s)
			}
			back := &stanza.Message{}
			if err := chatstate.Set(back, s); err != nil {
				t.Fatal(err)
			}
			if again, _ := chatstate.Of(back); again != s {
				t.Fatalf("%q written and read is %q", s, again)
			}
			return true
		})
	})
}

func nsName(local string) xml.Name { return xml.Name{Space: chatstate.NS, Local: local} }
