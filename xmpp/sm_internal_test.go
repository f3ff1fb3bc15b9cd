package xmpp

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSMUnreadAddsUp: the unanswered lives of resumed streams add up
// until an <a/> arrives on a stream, which starts the count again. The h
// of each <resumed/> (taken as an ack) does not: every resumption has
// one.
func TestSMUnreadAddsUp(t *testing.T) {
	sm := newSMState(&StreamManagement{})
	assert.Equal(t, 3*time.Second, sm.unreadFor(3*time.Second))
	_, err := sm.ack(0) // a resumption's h
	require.NoError(t, err)
	assert.Equal(t, 7*time.Second, sm.unreadFor(4*time.Second))
	sm.answered()
	assert.Equal(t, time.Second, sm.unreadFor(time.Second))
}

// TestSMSlotsHandedOver: slots given back go to the waiting senders one
// each, oldest first: an ack that frees one slot wakes one sender, not
// all of them; a sender that gives up leaves its place (and a slot
// handed to it as it gave up) to the next.
func TestSMSlotsHandedOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sm := newSMState(&StreamManagement{MaxUnacked: 2})
		var asked atomic.Int32
		sm.request = func() { asked.Add(1) }
		ctx := t.Context()
		require.NoError(t, sm.acquire(ctx, nil))
		require.NoError(t, sm.acquire(ctx, nil))
		var got atomic.Int32
		order := make(chan int, 3)
		giveUp, cancel := context.WithCancel(ctx)
		for i := range 3 {
			c := ctx
			if i == 1 {
				c = giveUp
			}
			go func() {
				if sm.acquire(c, nil) == nil {
					got.Add(1)
					order <- i
				}
			}()
			synctest.Wait() // queued in this order
		}
		assert.Equal(t, int32(1), asked.Load(), "the waiting senders ask once between them")
		assert.Equal(t, 3, sm.waits)
		sm.release(1)
		synctest.Wait()
		assert.Equal(t, int32(1), got.Load(), "one slot freed, one sender woken")
		assert.Equal(t, 0, <-order)
		cancel()
		synctest.Wait()
		sm.release(1)
		synctest.Wait()
		assert.Equal(t, int32(2), got.Load())
		assert.Equal(t, 2, <-order, "the sender that gave up left its place")
		assert.Equal(t, 2, sm.held)
		assert.Empty(t, sm.waiters)
	})
}

// TestSMPartialAckAsksAgain: an <a/> that answers the last request out
// and acknowledges only part of a full window, while a sender waits for
// room, is followed by another request: no stanza will go out to carry
// a new one. The sender is woken once half the window is free. (Without it the sender waited
// for ever: a server that answers with what it has handled so far, as
// Prosody does under load, left the window full and nobody asking.)
func TestSMPartialAckAsksAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sm := newSMState(&StreamManagement{MaxUnacked: 4, RequestEvery: 100})
		var asked atomic.Int32
		sm.request = func() { asked.Add(1); sm.requested(false) }
		ctx := t.Context()
		carried := 0 // requests that went out with a stanza
		for range 4 {
			require.NoError(t, sm.acquire(ctx, nil))
			if _, request, _ := sm.sent(nil); request {
				carried++
			}
		}
		require.Equal(t, 1, carried, "past half the window, a stanza carries a request")
		woken := make(chan error, 1)
		go func() { woken <- sm.acquire(ctx, nil) }()
		synctest.Wait()
		require.Equal(t, int32(0), asked.Load(), "a request is out: the waiting sender asks no other")
		_, err := sm.ack(0) // the server had handled none yet
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, int32(1), asked.Load(), "asked again after an answer that freed nothing")
		_, err = sm.ack(1)
		require.NoError(t, err)
		synctest.Wait()
		assert.Len(t, woken, 0, "a quarter of the window free: the sender still waits")
		assert.Equal(t, int32(2), asked.Load(), "and asks again")
		_, err = sm.ack(2)
		require.NoError(t, err)
		synctest.Wait()
		require.NoError(t, <-woken, "half the window free: the sender is woken")
		assert.Equal(t, int32(2), asked.Load(), "no sender waits any more: nothing more to ask")
	})
}

// TestSMOneRequestOut: one ack request is out at a time. With a request
// due after every stanza, only the first carries one; the answer to it
// brings the next, for all the stanzas sent meanwhile; an answer that
// leaves nothing unacknowledged brings none. A server slower than the
// sender is thus sent one <r/> per <a/> it gives, not one per stanza.
func TestSMOneRequestOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sm := newSMState(&StreamManagement{MaxUnacked: 100, RequestEvery: 1})
		var asked atomic.Int32
		sm.request = func() { asked.Add(1); sm.requested(false) }
		ctx := t.Context()
		var carried []bool
		for range 4 {
			require.NoError(t, sm.acquire(ctx, nil))
			_, request, _ := sm.sent(nil)
			carried = append(carried, request)
		}
		assert.Equal(t, []bool{true, false, false, false}, carried)
		_, err := sm.ack(1)
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, int32(1), asked.Load(), "the answer brings the request due meanwhile")
		_, err = sm.ack(4)
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, int32(1), asked.Load(), "everything acknowledged: nothing to ask")
		assert.Zero(t, sm.requests)
	})
}

// TestSMBehindCapped: in the default window (8192), the server counts as
// behind, and stanzas are corked, once more than 128 wait for an
// acknowledgement, not an eighth of the window (1024); in a window of 64,
// past an eighth of it (8). Nobody waits for a slot in either.
func TestSMBehindCapped(t *testing.T) {
	for _, tc := range []struct {
		window, behindAfter int
	}{
		{0, maxCorkBehind},
		{64, 8},
	} {
		synctest.Test(t, func(t *testing.T) {
			sm := newSMState(&StreamManagement{MaxUnacked: tc.window, RequestEvery: 1 << 20})
			sm.request = func() { sm.requested(false) }
			firstBehind := 0
			for i := 1; i <= tc.behindAfter+1; i++ {
				require.NoError(t, sm.acquire(t.Context(), nil))
				_, _, behind := sm.sent(nil)
				if behind && firstBehind == 0 {
					firstBehind = i
				}
			}
			assert.Equal(t, tc.behindAfter+1, firstBehind, "window %d", tc.window)
			assert.Zero(t, sm.waits)
			if sm.timer != nil {
				sm.timer.Stop()
			}
		})
	}
}
