//go:build integration

package chatstate_test

import (
	"testing"

	"github.com/gosmack/gosmack/chatstate"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seen is a chat state or a body, as one side heard it.
type seen struct {
	state chatstate.State
	body  string
}

// TestIntegrationChatStates: two accounts. A's first message carries
// <active/>; B answers (its answer carries <active/> too); then each knows
// the other supports states, and A's composing and paused reach B once
// each, a repeated composing not at all.
func TestIntegrationChatStates(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfgA, cfgB := s.NewAccount(t, "chatstate"), s.NewAccount(t, "chatstate")
		heardA, heardB := make(chan seen, 16), make(chan seen, 16)
		listen := func(heard chan seen) func(*xmpp.Conn) {
			return func(c *xmpp.Conn) {
				chatstate.For(c).OnChatState(func(e chatstate.Event) { heard <- seen{state: e.State} })
				c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
					if len(m.Bodies) > 0 {
						heard <- seen{body: m.Body("")}
					}
				})
			}
		}
		a := testserver.Login(t, cfgA, listen(heardA))
		b := testserver.Login(t, cfgB, listen(heardB))
		next := func(ch chan seen, who string) seen {
			t.Helper()
			select {
			case e := <-ch:
				return e
			case <-testserver.Context(t).Done():
				t.Fatalf("%s: %s heard nothing", s.Name, who)
				return seen{}
			}
		}
		send := func(c *xmpp.Conn, to jid.JID, body string) {
			m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}}
			m.To = to
			require.NoError(t, c.Send(testserver.Context(t), m))
		}

		send(a, b.JID(), "hello")
		assert.Equal(t, seen{state: chatstate.Active}, next(heardB, "B"))
		assert.Equal(t, seen{body: "hello"}, next(heardB, "B"))
		send(b, a.JID(), "hi")
		assert.Equal(t, seen{state: chatstate.Active}, next(heardA, "A"))
		assert.Equal(t, seen{body: "hi"}, next(heardA, "A"))

		csA := chatstate.For(a)
		for _, step := range []struct {
			state chatstate.State
			sent  bool
		}{{chatstate.Composing, true}, {chatstate.Composing, false}, {chatstate.Paused, true}} {
			sent, err := csA.SetState(testserver.Context(t), b.JID(), step.state)
			require.NoError(t, err)
			assert.Equal(t, step.sent, sent, "%s: %s", s.Name, step.state)
		}
		send(a, b.JID(), "done")
		for _, want := range []seen{{state: chatstate.Composing}, {state: chatstate.Paused}, {state: chatstate.Active}, {body: "done"}} {
			assert.Equal(t, want, next(heardB, "B"), s.Name)
		}
	})
}
