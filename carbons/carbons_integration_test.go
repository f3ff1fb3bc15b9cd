//go:build integration

package carbons_test

import (
	"encoding/xml"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run carbons between two clients of one account made for
// each test and a contact, on the Prosody and ejabberd that
// scripts/servers started. Set GOSMACK_XMPP_DEBUG=1 to see every element
// on stderr.

// seen is what one client's carbon and chat listeners heard, as lines.
type seen struct {
	mu    sync.Mutex
	lines []string
}

func (s *seen) add(format string, args ...any) {
	s.mu.Lock()
	s.lines = append(s.lines, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// has reports whether a line holding sub was heard.
func (s *seen) has(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func (s *seen) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// client logs cfg in as resource with carbons and chats, recording
// what their listeners hear.
func client(t *testing.T, cfg xmpp.Config, resource string) (*xmpp.Conn, *seen) {
	t.Helper()
	cfg.Resource = resource
	s := &seen{}
	c := testserver.Login(t, cfg, func(c *xmpp.Conn) {
		carbons.For(c).OnCarbon(func(cb carbons.Carbon) {
			s.add("carbon %s %s->%s: %s", cb.Direction, cb.Message.From, cb.Message.To, cb.Message.Body(""))
		})
		chat.For(c).OnMessage(func(e chat.Incoming) {
			s.add("chat %s %s %s->%s: %s", e.Chat.JID(), e.Carbon, e.Message.From, e.Message.To, e.Message.Body(""))
		})
	})
	return c, s
}

// TestIntegrationCarbons: two clients of one account (laptop and phone)
// and a contact (bob). What the laptop sends to bob and what bob sends
// to the laptop reach the phone as sent and received copies, through
// OnCarbon and in bob's chat; a private message is not copied; a carbon
// forged by bob reaches neither.
func TestIntegrationCarbons(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		alice := s.NewAccount(t, "carbons-alice")
		bob := s.NewAccount(t, "carbons-bob")
		laptop, _ := client(t, alice, "laptop")
		phone, onPhone := client(t, alice, "phone")
		bobConn, onBob := client(t, bob, "desk")
		for _, c := range []*xmpp.Conn{laptop, phone} {
			m := carbons.For(c)
			require.Eventually(t, m.Active, testserver.Timeout, 20*time.Millisecond, "%s: carbons enabled", c.JID())
		}
		ctx := testserver.Context(t)
		id := testserver.Unique("m")
		eventually := func(who *seen, line string) {
			t.Helper()
			if !assert.Eventually(t, func() bool { return who.has(line) }, testserver.Timeout, 20*time.Millisecond) {
				t.Fatalf("waiting for %q; heard:\n%s", line, who.all())
			}
		}

		// The laptop writes to bob: the phone hears a sent copy.
		_, err := chat.For(laptop).Chat(bobConn.JID()).Send(ctx, "from the laptop "+id)
		require.NoError(t, err)
		eventually(onBob, fmt.Sprintf("chat %s none %s->%s: from the laptop %s", alice.JID, laptop.JID(), bobConn.JID(), id))
		eventually(onPhone, fmt.Sprintf("carbon sent %s->%s: from the laptop %s", laptop.JID(), bobConn.JID(), id))
		eventually(onPhone, fmt.Sprintf("chat %s sent %s->%s: from the laptop %s", bob.JID, laptop.JID(), bobConn.JID(), id))

		// Bob writes to the laptop: the phone hears a received copy.
		_, err = chat.For(bobConn).Chat(laptop.JID()).Send(ctx, "to the laptop "+id)
		require.NoError(t, err)
		eventually(onPhone, fmt.Sprintf("carbon received %s->%s: to the laptop %s", bobConn.JID(), laptop.JID(), id))
		eventually(onPhone, fmt.Sprintf("chat %s received %s->%s: to the laptop %s", bob.JID, bobConn.JID(), laptop.JID(), id))

		// A private message is not copied; the message after it is.
		private := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "private " + id}}}
		private.To = bobConn.JID()
		carbons.Private(private)
		require.NoError(t, laptop.Send(ctx, private))
		_, err = chat.For(laptop).Chat(bobConn.JID()).Send(ctx, "after the private one "+id)
		require.NoError(t, err)
		eventually(onPhone, "chat "+bob.JID.String()+" sent "+laptop.JID().String()+"->"+bobConn.JID().String()+": after the private one "+id)
		eventually(onBob, "private "+id)

		// Bob forges a carbon to the phone, from alice's laptop to
		// bob, then writes plainly: the plain one arrives, the forged
		// one never.
		forged := &stanza.Message{Type: stanza.Chat, Extensions: []stanza.Node{{
			Name: xmlName("sent"),
			Nodes: []stanza.Node{{Name: xmlNameNS("urn:xmpp:forward:0", "forwarded"), Nodes: []stanza.Node{{
				Name:  xmlNameNS("jabber:client", "message"),
				Attrs: attrs("from", laptop.JID().String(), "to", bob.JID.String(), "type", "chat"),
				Nodes: []stanza.Node{{Name: xmlNameNS("jabber:client", "body"), Nodes: []stanza.Node{{Text: "forged " + id}}}},
			}}}},
		}}}
		forged.To = phone.JID()
		require.NoError(t, bobConn.Send(ctx, forged))
		_, err = chat.For(bobConn).Chat(phone.JID()).Send(ctx, "after the forgery "+id)
		require.NoError(t, err)
		eventually(onPhone, fmt.Sprintf("chat %s none %s->%s: after the forgery %s", bob.JID, bobConn.JID(), phone.JID(), id))
		assert.False(t, onPhone.has("private "+id), "the private message was copied:\n%s", onPhone.all())
		assert.False(t, onPhone.has("forged "+id), "the forged carbon was taken:\n%s", onPhone.all())
	})
}

func xmlName(local string) xml.Name { return xmlNameNS(carbons.NS, local) }

func xmlNameNS(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

func attrs(kv ...string) []xml.Attr {
	var as []xml.Attr
	for i := 0; i+1 < len(kv); i += 2 {
		as = append(as, xml.Attr{Name: xml.Name{Local: kv[i]}, Value: kv[i+1]})
	}
	return as
}

// TestIntegrationCarbonsBind2: on the Prosody with SASL2 and Bind2, the
// Carbons asks for carbons inside the Bind2 request, so the session
// starts with them and no request follows the login; copies flow as on
// the classic path.
func TestIntegrationCarbonsBind2(t *testing.T) {
	s := testserver.Get(t, testserver.SASL2Name)
	alice, bob := s.NewAccount(t, "carbons2-alice"), s.NewAccount(t, "carbons2-bob")
	laptop, _ := client(t, alice, "")
	phone, onPhone := client(t, alice, "")
	bobConn, _ := client(t, bob, "")
	for _, c := range []*xmpp.Conn{laptop, phone} {
		assert.True(t, c.Features().BoundInline(carbons.NS), "%s: carbons enabled by Bind2", c.JID())
		require.Eventually(t, carbons.For(c).Active, testserver.Timeout, 20*time.Millisecond, "%s: carbons active", c.JID())
	}
	id := testserver.Unique("m")
	_, err := chat.For(bobConn).Chat(laptop.JID()).Send(testserver.Context(t), "to the laptop "+id)
	require.NoError(t, err)
	line := fmt.Sprintf("carbon received %s->%s: to the laptop %s", bobConn.JID(), laptop.JID(), id)
	require.Eventually(t, func() bool { return onPhone.has(line) }, testserver.Timeout, 20*time.Millisecond, "heard:\n%s", onPhone.all())
}
