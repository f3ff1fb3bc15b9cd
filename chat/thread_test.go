package chat_test

import (
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// TestFirstOutgoingThreadBecomesChatThread: a chat without a thread takes
// the thread of the first message sent in it, when that message has one.
func TestFirstOutgoingThreadBecomesChatThread(t *testing.T) {
	m, _ := offline()
	ch := m.Chat(bobBare)
	msg := &stanza.Message{Bodies: []stanza.Text{{Value: "x"}}}
	msg.Thread.ID = "app-thread"
	_, _ = ch.SendMessage(t.Context(), msg) // not connected; the thread is chosen anyway
	if got := ch.Thread(); got != "app-thread" {
		t.Errorf("chat thread %q, want the one sent, app-thread", got)
	}
	next := &stanza.Message{Bodies: []stanza.Text{{Value: "y"}}}
	_, _ = ch.SendMessage(t.Context(), next)
	if next.Thread.ID != "app-thread" {
		t.Errorf("next message's thread %q, want app-thread", next.Thread.ID)
	}
}

// TestChatWithoutAddressIsNil: Chat refuses a zero JID.
func TestChatWithoutAddressIsNil(t *testing.T) {
	m, _ := offline()
	if ch := m.Chat(jid.JID{}); ch != nil {
		t.Errorf("Chat(jid.JID{}) = %v, want nil", ch)
	}
	if n := len(m.List()); n != 0 {
		t.Errorf("%d chats kept", n)
	}
}
