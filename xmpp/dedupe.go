package xmpp

import (
	"hash/maphash"
	"sync"

	"github.com/gosmack/gosmack/stanza"
)

// recentMessages remembers the last messages received, by sender, id and
// bodies, so that a message delivered twice reaches the listeners once.
// Servers do deliver twice: a sender whose session could not be resumed
// sends its unacknowledged messages again, and a server that misreports
// its handled count after a resumption (ejabberd does, when the lost
// stream still had stanzas in flight) gets some of them a second time.
//
// It costs nothing until messages arrive, then one 64-bit hash per
// remembered message. Safe for concurrent use (the reader of a stream
// and, around a reconnection, the reader of the next).
type recentMessages struct {
	size int // how many are remembered; 0: none

	mu   sync.Mutex // guards ring and next; a leaf in the lock order (see Conn.mu)
	seed maphash.Seed
	ring []uint64 // grows up to size, then wraps at next
	next int
}

func newRecentMessages(size int) *recentMessages {
	return &recentMessages{size: size, seed: maphash.MakeSeed()}
}

// seen reports whether m repeats a message among the last ones received,
// and remembers it if not. Messages with no id or no body (receipts,
// chat states, signals whose ids some senders reuse) and errors (replies
// that echo the id of what they answer) are never taken for repeats. The
// sender is the bare JID, except in group chats where the occupant's
// full JID is who spoke.
func (r *recentMessages) seen(m *stanza.Message) bool {
	if r.size <= 0 || m.ID == "" || len(m.Bodies) == 0 || m.Type == stanza.MessageError {
		return false
	}
	from := m.From
	if m.Type != stanza.Groupchat {
		from = from.Bare()
	}
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(from.String())
	h.WriteByte(0)
	h.WriteString(string(m.Type))
	h.WriteByte(0)
	h.WriteString(m.ID)
	for _, b := range m.Bodies {
		h.WriteByte(0)
		h.WriteString(b.Lang)
		h.WriteByte(0)
		h.WriteString(b.Value)
	}
	key := h.Sum64()

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.ring {
		if k == key {
			return true
		}
	}
	if len(r.ring) < r.size {
		r.ring = append(r.ring, key)
		return false
	}
	r.ring[r.next] = key
	r.next = (r.next + 1) % r.size
	return false
}
