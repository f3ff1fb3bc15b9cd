//go:build integration

package chat_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the Chats of clients on the Prosody and
// ejabberd that scripts/servers started. Set GOSMACK_XMPP_DEBUG=1 to see
// every element on stderr.

// login logs user in over STARTTLS with the given resource ("" lets the
// server pick), after attach has registered what must be in place before
// the first stanza, and closes the connection when the test ends.
func login(t *testing.T, s *testserver.Server, user, resource string, attach func(*xmpp.Conn)) *xmpp.Conn {
	t.Helper()
	cfg := s.Config(t, user)
	cfg.Resource = resource
	return testserver.Login(t, cfg, attach)
}

// received is what an OnMessage listener saw: the message, and the chat's
// state right after Chats handled it.
type received struct {
	chat   *chat.Chat
	msg    *stanza.Message
	locked jid.JID
	thread string
}

// client is a logged-in connection with Chats whose listener
// passes on the messages whose body starts with this run's tag.
type client struct {
	c  *xmpp.Conn
	m  *chat.Chats
	in chan received
}

func newClient(t *testing.T, s *testserver.Server, user, resource, tag string) *client {
	t.Helper()
	cl := &client{in: make(chan received, 16)}
	cl.c = login(t, s, user, resource, func(c *xmpp.Conn) {
		cl.m = chat.For(c)
		cl.m.OnMessage(func(e chat.Incoming) {
			if !strings.HasPrefix(e.Message.Body(""), tag) {
				return // another test's
			}
			cl.in <- received{e.Chat, e.Message, e.Chat.Locked(), e.Chat.Thread()}
		})
	})
	t.Cleanup(cl.m.Close)
	return cl
}

func (cl *client) next(t *testing.T, what string) received {
	t.Helper()
	select {
	case r := <-cl.in:
		return r
	case <-time.After(testserver.Timeout):
		t.Fatalf("%s: nothing received", what)
		return received{}
	}
}

// TestIntegrationChat: alice writes to bob's bare JID; bob's chat with
// alice receives it with her thread and locks to her full JID; bob
// answers through the chat, and alice's chat locks to bob's full JID and
// keeps the thread; then bob writes from a second resource, and alice's
// chat moves its lock there, so her answer reaches that resource.
func TestIntegrationChat(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		tag := testserver.Unique("chat")
		alice := newClient(t, s, "alice", "", tag)
		bob := newClient(t, s, "bob", "", tag)
		bobBare, err := jid.New("bob", s.Domain, "")
		require.NoError(t, err)

		// alice starts: unlocked, so to bob's bare JID, in a new thread.
		toBob := alice.m.Chat(bobBare)
		require.Equal(t, bobBare, toBob.To())
		id, err := toBob.Send(testserver.Context(t), tag+" hello bob")
		require.NoError(t, err)
		thread := toBob.Thread()
		require.NotEmpty(t, thread)

		r := bob.next(t, "bob")
		assert.Equal(t, alice.c.JID(), r.msg.From)
		assert.Equal(t, stanza.Chat, r.msg.Type)
		assert.Equal(t, thread, r.msg.Thread.ID)
		assert.Equal(t, id, r.msg.ID, "Send returned the id bob received")
		assert.Equal(t, alice.c.JID().Bare(), r.chat.JID())
		assert.Equal(t, alice.c.JID(), r.locked, "bob's chat locks to alice's full JID")
		assert.Same(t, r.chat, bob.m.Lookup(alice.c.JID()))

		// bob answers through his chat: to alice's full JID, same thread.
		_, err = r.chat.Send(testserver.Context(t), tag+" hello alice")
		require.NoError(t, err)
		r = alice.next(t, "alice")
		assert.Equal(t, bob.c.JID(), r.msg.From)
		assert.Equal(t, thread, r.msg.Thread.ID)
		assert.Same(t, toBob, r.chat)
		assert.Equal(t, bob.c.JID(), r.locked, "alice's chat locks to bob's full JID")

		// alice answers: to bob's full JID.
		_, err = toBob.Send(testserver.Context(t), tag+" locked")
		require.NoError(t, err)
		r = bob.next(t, "bob, locked")
		assert.Equal(t, tag+" locked", r.msg.Body(""))
		assert.Equal(t, bob.c.JID(), r.msg.To, "the answer went to bob's full JID")

		// bob writes from a second resource, to alice's full JID (the
		// phone's chat keeps the resource it was asked for): alice's
		// chat moves its lock.
		phone := newClient(t, s, "bob", testserver.Unique("phone"), tag)
		require.NotEqual(t, bob.c.JID(), phone.c.JID())
		toAlice := phone.m.Chat(alice.c.JID())
		require.Equal(t, alice.c.JID(), toAlice.To())
		_, err = toAlice.Send(testserver.Context(t), tag+" from the phone")
		require.NoError(t, err)
		r = alice.next(t, "alice, from the phone")
		assert.Equal(t, phone.c.JID(), r.msg.From)
		assert.Equal(t, alice.c.JID(), r.msg.To, "to the resource the phone named")
		assert.Same(t, toBob, r.chat, "one chat for both of bob's resources")
		assert.Equal(t, phone.c.JID(), r.locked, "alice's chat relocks to the phone")
		assert.Equal(t, r.msg.Thread.ID, r.thread, "and takes the phone's thread")

		// alice's answer reaches the phone, at its full JID.
		_, err = toBob.Send(testserver.Context(t), tag+" to the phone")
		require.NoError(t, err)
		r = phone.next(t, "phone")
		assert.Equal(t, tag+" to the phone", r.msg.Body(""))
		assert.Equal(t, phone.c.JID(), r.msg.To)
		assert.Equal(t, alice.c.JID(), r.locked)
	})
}
