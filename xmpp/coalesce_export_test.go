package xmpp

import "context"

// Held is the write lock of a stream, held by a test (HoldWrites).
type Held struct{ s *stream }

// HoldWrites takes the write lock of c's stream, as a write under way
// holds it.
func HoldWrites(c *Conn) Held {
	s := c.current()
	s.wsem <- struct{}{}
	return Held{s}
}

// Write writes x on the stream, as the lock's holder would.
func (h Held) Write(x string) error { return h.s.writeLocked(context.Background(), []byte(x)) }

// Release lets the write lock go.
func (h Held) Release() { h.s.unlock() }

// Queued returns how many Sends wait in the stream's queue for the write
// lock.
func (h Held) Queued() int {
	s := h.s
	s.cutMu.Lock()
	defer s.cutMu.Unlock()
	if s.queue == nil {
		return 0
	}
	return len(s.queue.reqs) - s.queue.head
}
