//go:build integration

package blocking_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/blocking"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationBlocking: alice and bob are subscribed to each other.
// Once alice blocks bob (her Manager hears the server's push), nothing
// bob sends reaches her, neither a message nor a presence, and what she
// sends him comes back with an error (Prosody's carries <blocked/>,
// ejabberd's does not); once she unblocks him,
// his message and presence arrive again. The block list outlives the
// session: a new login reads it back, and UnblockAll empties it.
func TestIntegrationBlocking(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		acfg, bcfg := s.NewAccount(t, "block"), s.NewAccount(t, "block")
		subscribeMutually(t, s, acfg, bcfg)
		bobJID := bcfg.JID.Bare()

		var log ordered
		bl := make(chan error, 1)
		var ab *blocking.Manager
		alice := testserver.Login(t, acfg, func(c *xmpp.Conn) {
			ab = blocking.For(c)
			ab.SetFetchAtLogin(true)
			ab.OnChange(func(e blocking.Event) { log.add("change %s", describe(e)) })
			c.HandleMessage(stanza.FromBare(bobJID), func(m *stanza.Message) {
				if m.Type == stanza.MessageError {
					bl <- m.Error
					return
				}
				log.add("message %s", m.Body(""))
			})
			c.HandlePresence(stanza.FromBare(bobJID), func(p *stanza.Presence) {
				if p.Type == "" {
					log.add("presence %s", p.Status(""))
				}
			})
		})
		bob := testserver.Login(t, bcfg, nil)
		ctx := testserver.Context(t)
		send := func(phase string) {
			m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: phase}}}
			m.To = acfg.JID.Bare()
			require.NoError(t, bob.Send(ctx, m))
			p := &stanza.Presence{Statuses: []stanza.Text{{Value: phase}}}
			require.NoError(t, bob.Send(ctx, p))
			// The server handles bob's stanzas in order: once it
			// answers this, it has routed (or dropped) the two above.
			pingServer(t, bob)
		}

		send("before")
		log.wait(t, "presence before")
		ok, err := ab.Supported(ctx)
		require.NoError(t, err)
		assert.True(t, ok, s.Name)

		require.NoError(t, ab.Block(ctx, bobJID))
		log.wait(t, "change blocked=["+bobJID.String()+"] unblocked=[] all=false")
		l, err := ab.List(ctx)
		require.NoError(t, err)
		assert.Equal(t, []jid.JID{bobJID}, l, s.Name)
		send("while blocked")
		m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "to a blocked contact"}}}
		m.To = bobJID
		require.NoError(t, alice.Send(ctx, m))
		select {
		case err := <-bl:
			if s.Name == "ejabberd" {
				// ejabberd 23.01 blocks through its privacy lists:
				// not-acceptable, without <blocked/>.
				assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.NotAcceptable}, s.Name)
				assert.False(t, blocking.Blocked(err), s.Name)
			} else {
				assert.True(t, blocking.Blocked(err), "%s: %v", s.Name, err)
			}
		case <-ctx.Done():
			t.Fatalf("%s: no error for a message to a blocked contact", s.Name)
		}

		require.NoError(t, ab.Unblock(ctx, bobJID))
		log.wait(t, "change blocked=[] unblocked=["+bobJID.String()+"] all=false")
		send("after")
		log.wait(t, "message after")
		log.wait(t, "presence after")
		got := log.get()
		from := slices.Index(got, "change blocked=["+bobJID.String()+"] unblocked=[] all=false")
		to := slices.Index(got, "change blocked=[] unblocked=["+bobJID.String()+"] all=false")
		assert.Equal(t, []string{"change blocked=[" + bobJID.String() + "] unblocked=[] all=false"}, got[from:to],
			"%s: nothing from bob while blocked (all: %q)", s.Name, got)
		assert.NotContains(t, got, "message while blocked", s.Name)

		// Across sessions: the list is the server's.
		spam := jid.MustParse(testserver.Unique("spam") + "@localhost")
		require.NoError(t, ab.Block(ctx, spam))
		log.wait(t, "change blocked=["+spam.String()+"] unblocked=[] all=false")
		require.NoError(t, alice.Close())
		var again ordered
		alice2 := testserver.Login(t, acfg, func(c *xmpp.Conn) {
			blocking.For(c).OnChange(func(e blocking.Event) { again.add("change %s", describe(e)) })
		})
		b2 := blocking.For(alice2)
		l, err = b2.List(ctx)
		require.NoError(t, err)
		assert.Equal(t, []jid.JID{spam}, l, "%s: read back in a new session", s.Name)
		require.NoError(t, b2.UnblockAll(ctx))
		again.wait(t, "change blocked=[] unblocked=["+spam.String()+"] all=true")
		l, err = b2.List(ctx)
		require.NoError(t, err)
		assert.Empty(t, l, s.Name)
	})
}

// ordered is a log of what a client's listeners saw, in the order the
// dispatcher ran them.
type ordered struct {
	mu sync.Mutex
	s  []string
}

func (o *ordered) add(format string, args ...any) {
	o.mu.Lock()
	o.s = append(o.s, fmt.Sprintf(format, args...))
	o.mu.Unlock()
}

func (o *ordered) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.s)
}

// wait polls until the log has line, or fails the test.
func (o *ordered) wait(t *testing.T, line string) {
	t.Helper()
	require.Eventually(t, func() bool { return slices.Contains(o.get(), line) }, testserver.Timeout, 10*time.Millisecond,
		"waiting for %q; seen %s", line, strings.Join(o.get(), "; "))
}

// pingServer sends c's server a ping and waits for the answer.
func pingServer(t *testing.T, c *xmpp.Conn) {
	t.Helper()
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
	iq.To = c.JID().Domain()
	_, err := c.SendIQ(testserver.Context(t), iq)
	require.NoError(t, err)
}

// subscribeMutually makes a and b subscribe to each other's presence
// with plain presence stanzas, each approving the other's request, on
// sessions of their own, and waits until each has the other's presence.
func subscribeMutually(t *testing.T, s *testserver.Server, a, b xmpp.Config) {
	t.Helper()
	ctx := testserver.Context(t)
	login := func(cfg xmpp.Config, other jid.JID, seen chan<- struct{}) *xmpp.Conn {
		return testserver.Login(t, cfg, func(c *xmpp.Conn) {
			var once sync.Once
			c.HandlePresence(stanza.FromBare(other), func(p *stanza.Presence) {
				switch p.Type {
				case stanza.Subscribe:
					ok := &stanza.Presence{Type: stanza.Subscribed}
					ok.To = other
					assert.NoError(t, c.Send(context.Background(), ok))
				case "":
					once.Do(func() { close(seen) })
				}
			})
		})
	}
	aSees, bSees := make(chan struct{}), make(chan struct{})
	ca := login(a, b.JID.Bare(), aSees)
	cb := login(b, a.JID.Bare(), bSees)
	defer ca.Close()
	defer cb.Close()
	for _, ask := range []struct {
		c  *xmpp.Conn
		to jid.JID
	}{{ca, b.JID.Bare()}, {cb, a.JID.Bare()}} {
		p := &stanza.Presence{Type: stanza.Subscribe}
		p.To = ask.to
		require.NoError(t, ask.c.Send(ctx, p))
	}
	for _, ch := range []chan struct{}{aSees, bSees} {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s: the accounts did not get each other's presence", s.Name)
		}
	}
}
