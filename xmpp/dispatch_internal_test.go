package xmpp

import "testing"

// The dispatcher's queue makes room by moving what waits to the front of
// its array, not by growing it, when the dispatcher has taken the start:
// 80 items queued while 40 were taken fit in fewer than 80 slots (one
// growth past the pooled 32, for the 40 that wait at the end). The
// queue starts with 32 slots of its own: one from queuePool may be any
// size another test left there.
func TestQueueReusesTakenRoom(t *testing.T) {
	var c Conn
	d := &c.dispatch
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queue = make([]item, 0, 32)
	next := 0
	for i := range 40 {
		c.enqueueLocked(&item{size: 2 * i})
		c.enqueueLocked(&item{size: 2*i + 1})
		// The dispatcher takes one, as dispatchLoop does.
		if got := d.queue[d.head].size; got != next {
			t.Fatalf("took item %d, want %d", got, next)
		}
		next++
		d.queue[d.head] = item{}
		d.head++
	}
	if live := len(d.queue) - int(d.head); live != 40 {
		t.Fatalf("%d items wait, want 40", live)
	}
	if cap(d.queue) >= 80 {
		t.Errorf("a queue of %d slots for 40 items", cap(d.queue))
	}
	for ; int(d.head) < len(d.queue); d.head++ {
		if got := d.queue[d.head].size; got != next {
			t.Fatalf("took item %d, want %d", got, next)
		}
		next++
	}
}
