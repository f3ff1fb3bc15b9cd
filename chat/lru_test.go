package chat_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// offline returns the Chats of a connection that never connects.
func offline() (*chat.Chats, *xmpp.Conn) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	return chat.For(c), c
}

func jids(chats []*chat.Chat) []string {
	s := make([]string, len(chats))
	for i, ch := range chats {
		s[i] = ch.JID().String()
	}
	return s
}

// TestMaxChats: beyond MaxChats the least recently used chat is removed;
// Chat counts as a use, Lookup does not; a lower bound applies at once.
func TestMaxChats(t *testing.T) {
	m, c := offline()
	m.SetMaxChats(2)
	assert.Equal(t, 2, m.MaxChats())
	var created []string // on the dispatcher; read after flush
	m.OnChat(func(e chat.NewChat) { created = append(created, e.Chat.JID().String()) })
	bob := m.Chat(bobB)
	m.Chat(carol)
	assert.Same(t, bob, m.Chat(bobBare), "a use moves bob to the front")
	m.Chat(dave)
	assert.Equal(t, []string{"dave@localhost", "bob@localhost"}, jids(m.List()))
	assert.Nil(t, m.Lookup(carol), "carol was the least recently used")
	m.Lookup(bobBare)
	m.Chat(carol)
	assert.Equal(t, []string{"carol@localhost", "dave@localhost"}, jids(m.List()), "Lookup is not a use")
	flush(t, c)
	assert.Equal(t, []string{"bob@localhost", "carol@localhost", "dave@localhost", "carol@localhost"}, created)
	m.SetMaxChats(1)
	assert.Equal(t, []string{"carol@localhost"}, jids(m.List()), "a lower bound evicts at once")
}

func TestMaxChatsDefaultAndUnbounded(t *testing.T) {
	m, _ := offline()
	assert.Equal(t, chat.DefaultMaxChats, m.MaxChats())
	for i := range chat.DefaultMaxChats + 10 {
		m.Chat(jid.MustParse(fmt.Sprintf("u%d@localhost", i)))
	}
	assert.Len(t, m.List(), chat.DefaultMaxChats)

	m, _ = offline()
	m.SetMaxChats(0)
	for i := range chat.DefaultMaxChats + 10 {
		m.Chat(jid.MustParse(fmt.Sprintf("u%d@localhost", i)))
	}
	assert.Len(t, m.List(), chat.DefaultMaxChats+10)
}

// TestOfflineChat: a new chat sends to the bare JID, has no thread yet,
// and Send fails with the connection's error when it is not connected.
func TestOfflineChat(t *testing.T) {
	m, _ := offline()
	ch := m.Chat(bobBare)
	assert.Equal(t, bobBare, ch.JID())
	assert.Equal(t, bobBare, ch.To())
	assert.True(t, ch.Locked().IsZero())
	assert.Empty(t, ch.Thread())
	id, err := ch.Send(t.Context(), "hi")
	require.ErrorIs(t, err, xmpp.ErrNotConnected)
	assert.NotEmpty(t, id, "the id is returned with the error")
	assert.NotEmpty(t, ch.Thread(), "the thread is made up for the first message")
}

// TestConcurrentUse: Chats, its settings and its chats under -race.
func TestConcurrentUse(t *testing.T) {
	m, _ := offline()
	m.SetMaxChats(8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				ch := m.Chat(jid.MustParse(fmt.Sprintf("u%d@localhost", (g*7+i)%16)))
				_ = ch.To()
				_, _ = ch.Send(t.Context(), "x")
				ch.Unlock()
				if i%10 == 0 {
					ch.Close()
				}
				m.List()
				m.SetLocking(i%2 == 0)
				m.SetNormalMessages(i%3 == 0)
				m.SetMaxChats(8 - i%2)
				remove := m.OnMessage(func(chat.Incoming) {})
				remove()
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, len(m.List()), 8)
	m.Close()
	assert.Empty(t, m.List())
}
