package xmpp

import "time"

// SetSMCounters sets the stream management counters of c's session, for
// tests of their wrap at 2^32: in is the count of stanzas received, out
// the count sent, all of them acknowledged. Call it while nothing is in
// flight and nothing is unacknowledged.
func SetSMCounters(c *Conn, in, out uint32) {
	sm := c.session().sm
	sm.in.Store(in)
	sm.mu.Lock()
	sm.out, sm.acked = out, out
	sm.mu.Unlock()
}

// Queued returns how many stanzas Send has queued while the connection is
// down.
func Queued(c *Conn) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.outbox)
}

// UnackedCount returns how many stanzas c's session has sent and kept for the
// server's acknowledgement.
func UnackedCount(c *Conn) int {
	sm := c.session().sm
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return len(sm.unacked)
}

// SlotWaits returns how many times a Send of c's session found no free
// slot among the unacknowledged stanzas and waited for one.
func SlotWaits(c *Conn) int {
	sm := c.session().sm
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.waits
}

// WSFrameIn is the framing of what a WebSocket message carries
// (frameIn), for the tests' WebSocket server.
func WSFrameIn(m []byte) ([]byte, error) {
	b, _, err := frameIn(m, true)
	return b, err
}

// WSFrameOut splits stream bytes into WebSocket messages (frameOut), for
// the tests' WebSocket server.
func WSFrameOut(b []byte, msg func(parts ...[]byte) error) error { return frameOut(b, msg) }

// WSItemEnd returns where the first item of the stream bytes b, from i,
// ends, and false when b does not hold all of it yet.
func WSItemEnd(b []byte, i int) (int, bool) {
	end, _, err := scanItem(b, i, true)
	return end, err == nil
}

// ParkAfter makes readers park after d of silence, and calls f (if not
// nil) each time one parks, until the test ends.
func ParkAfter(t interface{ Cleanup(func()) }, d time.Duration, f func()) {
	old, oldf := parkAfter, parked
	parkAfter, parked = d, f
	t.Cleanup(func() { parkAfter, parked = old, oldf })
}

// OnAnsweredNow calls f each time a reader answers an ack request itself,
// until the test ends.
func OnAnsweredNow(t interface{ Cleanup(func()) }, f func()) {
	old := answered
	answered = f
	t.Cleanup(func() { answered = old })
}

// NoAnswerGap has ack requests answered at once, until tb ends, as they
// were before answers were paced: for benchmarks of the answer itself.
func NoAnswerGap(tb interface{ Cleanup(func()) }) {
	old := minAnswerGap
	minAnswerGap = 0
	tb.Cleanup(func() { minAnswerGap = old })
}
