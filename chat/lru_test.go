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

func offline(opts ...chat.Option) *chat.Manager {
	return chat.New(xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")}), opts...)
}

func jids(chats []*chat.Chat) []string {
	s := make([]string, len(chats))
	for i, ch := range chats {
		s[i] = ch.JID().String()
	}
	return s
}

// TestMaxChats: beyond MaxChats the least recently used chat is removed;
// Chat counts as a use, Lookup does not.
func TestMaxChats(t *testing.T) {
	m := offline(chat.MaxChats(2))
	var created []string
	m.OnChat(func(ch *chat.Chat, local bool) { created = append(created, ch.JID().String()) })
	bob := m.Chat(bobB)
	m.Chat(carol)
	assert.Same(t, bob, m.Chat(bobBare), "a use moves bob to the front")
	m.Chat(dave)
	assert.Equal(t, []string{"dave@localhost", "bob@localhost"}, jids(m.Chats()))
	assert.Nil(t, m.Lookup(carol), "carol was the least recently used")
	m.Lookup(bobBare)
	m.Chat(carol)
	assert.Equal(t, []string{"carol@localhost", "dave@localhost"}, jids(m.Chats()), "Lookup is not a use")
	assert.Equal(t, []string{"bob@localhost", "carol@localhost", "dave@localhost", "carol@localhost"}, created)
}

func TestMaxChatsDefaultAndUnbounded(t *testing.T) {
	m := offline()
	for i := range chat.DefaultMaxChats + 10 {
		m.Chat(jid.MustParse(fmt.Sprintf("u%d@localhost", i)))
	}
	assert.Len(t, m.Chats(), chat.DefaultMaxChats)

	m = offline(chat.MaxChats(0))
	for i := range chat.DefaultMaxChats + 10 {
		m.Chat(jid.MustParse(fmt.Sprintf("u%d@localhost", i)))
	}
	assert.Len(t, m.Chats(), chat.DefaultMaxChats+10)
}

// TestOfflineChat: a new chat sends to the bare JID, has no thread yet,
// and Send fails with the connection's error when it is not connected.
func TestOfflineChat(t *testing.T) {
	m := offline()
	ch := m.Chat(bobB)
	assert.Equal(t, bobBare, ch.JID())
	assert.Equal(t, bobBare, ch.To())
	assert.True(t, ch.Locked().IsZero())
	assert.Empty(t, ch.Thread())
	err := ch.Send(t.Context(), "hi")
	require.ErrorIs(t, err, xmpp.ErrNotConnected)
	assert.NotEmpty(t, ch.Thread(), "the thread is made up for the first message")
}

// TestConcurrentUse: the Manager and its chats under -race.
func TestConcurrentUse(t *testing.T) {
	m := offline(chat.MaxChats(8))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				ch := m.Chat(jid.MustParse(fmt.Sprintf("u%d@localhost", (g*7+i)%16)))
				_ = ch.To()
				_ = ch.Send(t.Context(), "x")
				ch.Unlock()
				if i%10 == 0 {
					ch.Close()
				}
				m.Chats()
				remove := m.OnMessage(nil)
				remove()
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, len(m.Chats()), 8)
	m.Close()
	assert.Empty(t, m.Chats())
}
