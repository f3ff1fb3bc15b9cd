package chat

import (
	"container/list"
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// Chat is a one-to-one conversation with one contact, known by the
// contact's bare JID (Smack's chat2 Chat). It remembers the full JID the
// contact last wrote from (the lock, RFC 6121 section 5.1) and the
// conversation's thread (XEP-0201). Get one from Chats.Chat or from a
// listener; the zero Chat is not usable.
//
// All methods are safe for concurrent use.
type Chat struct {
	cs    *Chats
	jid   jid.JID // bare
	local bool    // started by this client

	elem      *list.Element // in cs.lru; nil once removed. Guarded by cs.mu.
	announced atomic.Bool   // the OnChat listeners heard of it

	mu     sync.Mutex
	locked jid.JID // the full JID messages go to; zero when unlocked
	thread string  // "" until the first message that sets or needs one
}

// JID returns the contact's bare JID.
func (ch *Chat) JID() jid.JID { return ch.jid }

// Locked returns the full JID the chat is locked to, or the zero JID when
// it is not locked.
func (ch *Chat) Locked() jid.JID {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.locked
}

// To returns where the next message goes: the locked full JID, or the
// contact's bare JID.
func (ch *Chat) To() jid.JID {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.to()
}

func (ch *Chat) to() jid.JID {
	if !ch.locked.IsZero() {
		return ch.locked
	}
	return ch.jid
}

// Thread returns the chat's thread id: the last one the contact used, or
// the one the chat made up for its first message; "" before either.
func (ch *Chat) Thread() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return ch.thread
}

// Unlock makes the next message go to the contact's bare JID, until the
// contact writes again.
func (ch *Chat) Unlock() {
	ch.mu.Lock()
	ch.locked = jid.JID{}
	ch.mu.Unlock()
}

// Close removes the chat from its Chats: a later message from the
// contact starts a new Chat, and Chats.Chat returns that one. A closed
// Chat still sends (its messages are still reported to the OnOutgoing
// listeners, with it) but no longer receives or changes its lock. Close is
// safe to call more than once.
func (ch *Chat) Close() { ch.cs.remove(ch) }

// Send sends body to the contact as a message of type chat and returns
// the message's id, the one a delivery receipt (XEP-0184) or a chat
// marker will refer to: see SendMessage.
func (ch *Chat) Send(ctx context.Context, body string) (id string, err error) {
	return ch.SendMessage(ctx, &stanza.Message{Bodies: []stanza.Text{{Value: body}}})
}

// SendMessage sends msg to the contact (Smack's Chat.send) and returns
// its id, as written on the wire: msg's own, or the one the connection
// gave it (then msg.ID holds it too). It sets msg's to (the locked full
// JID, else the bare JID) and type (chat), and gives it the chat's
// thread unless it has a thread of its own. When the chat has no thread
// yet (the contact gave none), the first message's thread becomes the
// chat's: msg's own, or one the chat makes up. The OnOutgoing listeners
// see msg before it is encoded.
//
// It blocks as the connection's Send does: until msg is written, ctx ends
// (then it returns ctx.Err()) or the stream ends (an error matching
// xmpp.ErrNotConnected). The id is returned with an error too, so that a
// receipt for a message whose fate the error leaves open (a context that
// ended during the write) can still be matched. It may be called from
// any listener. The connection may keep msg after the call (with stream
// management, until the server acknowledges it): do not change it then.
func (ch *Chat) SendMessage(ctx context.Context, msg *stanza.Message) (id string, err error) {
	ch.mu.Lock()
	to := ch.to()
	if ch.thread == "" {
		// The first thread sent is the chat's: msg's own, or a new one.
		ch.thread = msg.Thread.ID
		if ch.thread == "" {
			ch.thread = rand.Text()
		}
	}
	thread := ch.thread
	ch.mu.Unlock()
	msg.To = to
	msg.Type = stanza.Chat
	if msg.Thread.ID == "" {
		msg.Thread.ID = thread
	}
	ch.cs.touch(ch)
	ch.cs.sending.Store(msg, ch)
	defer ch.cs.sending.Delete(msg)
	err = ch.cs.c.Send(ctx, msg)
	return msg.ID, err
}

// received updates the chat for a message from the contact: its thread
// when it has one, and the lock (to its sender's full JID, when locking
// is on; a message from the bare JID unlocks).
func (ch *Chat) received(msg *stanza.Message) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if msg.Thread.ID != "" {
		ch.thread = msg.Thread.ID
	}
	// Read under ch.mu: SetLocking(false) then unlocks every chat, so a
	// lock made while it runs does not survive it.
	if ch.cs.locking.Load() && msg.From.Resourcepart() != "" {
		ch.locked = msg.From
	} else {
		ch.locked = jid.JID{}
	}
}

// copied updates the chat for a carbon copy of a message between the
// contact and another client of the account: its thread, when it has one.
func (ch *Chat) copied(msg *stanza.Message) {
	if msg.Thread.ID == "" {
		return
	}
	ch.mu.Lock()
	ch.thread = msg.Thread.ID
	ch.mu.Unlock()
}

// lock locks the chat to full, a full JID the caller named.
func (ch *Chat) lock(full jid.JID) {
	ch.mu.Lock()
	ch.locked = full
	ch.mu.Unlock()
}

// unlockFrom unlocks the chat when from is the locked full JID, or the
// contact's bare JID.
func (ch *Chat) unlockFrom(from jid.JID) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if from == ch.locked || from.Resourcepart() == "" {
		ch.locked = jid.JID{}
	}
}
