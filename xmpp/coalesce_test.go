package xmpp_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Writes coalesce: stanzas that wait for the write lock go out with the
// write of whoever holds it next. These tests hold the write lock
// themselves (HoldWrites), queue senders one at a time (synctest.Wait
// after each, so that the queue's order is known), and look at the
// socket writes the client made.

// writeLog records the client's socket writes, on every connection its
// dialer hands out.
type writeLog struct {
	mu     sync.Mutex
	writes []string
	conns  []net.Conn
}

func (l *writeLog) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.conns) == 0 {
		return nil, errors.New("scripted: no more connections")
	}
	c := l.conns[0]
	l.conns = l.conns[1:]
	return loggedConn{Conn: c, log: l}, nil
}

type loggedConn struct {
	net.Conn
	log *writeLog
}

func (c loggedConn) Write(p []byte) (int, error) {
	c.log.mu.Lock()
	c.log.writes = append(c.log.writes, string(p))
	c.log.mu.Unlock()
	return c.Conn.Write(p)
}

// count returns how many writes were made.
func (l *writeLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.writes)
}

// holding returns the writes that hold every one of parts.
func (l *writeLog) holding(parts ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var got []string
	for _, w := range l.writes {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w, p)
		}
		if all {
			got = append(got, w)
		}
	}
	return got
}

// queueSend starts a Send of st in a goroutine and waits until it is
// queued behind the held write lock; its error comes on the channel.
func queueSend(t *testing.T, c *xmpp.Conn, h xmpp.Held, ctx context.Context, st stanza.Stanza) <-chan error {
	t.Helper()
	n := h.Queued()
	ch := make(chan error, 1)
	go func() { ch <- c.Send(ctx, st) }()
	synctest.Wait()
	require.Equal(t, n+1, h.Queued(), "the Send is not queued")
	return ch
}

// coalesceConn connects to scripted servers playing texts in turn (one
// per connection), with o applied to the configuration, and returns the
// connection, its events and its writes.
func coalesceConn(t *testing.T, o func(*xmpp.Config), texts ...string) (*xmpp.Conn, *events, *writeLog) {
	t.Helper()
	log := &writeLog{}
	for _, text := range texts {
		log.conns = append(log.conns, smScript(t, text))
	}
	c := smConn(t, log, o)
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated")
	return c, e, log
}

const ackReq = "C: <r xmlns='urn:xmpp:sm:3'/>\n"

func ackLine(h int) string { return "S: <a xmlns='urn:xmpp:sm:3' h='" + itoa(h) + "'/>\n" }

// TestSendBurstOneWrite: a lone Send writes before it returns, in a write
// of its own; eight Sends that queue behind a held write lock go out in
// one write once it is let go, in the order they queued, the first ack
// request due among them in its place, and are counted for stream
// management in that order. A stanza of the burst that cannot be encoded fails its
// Send alone.
func TestSendBurstOneWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The requests due after m6 and m9 wait for the answer to the
		// one after m3, then one goes for both.
		text := smLogin + smBind + msgLine("m1") +
			msgLine("m2") + msgLine("m3") + ackReq + ackLine(3) +
			msgLine("m4") + msgLine("m5") + msgLine("m6") +
			msgLine("m7") + msgLine("m8") + msgLine("m9") + ackReq + ackLine(9)
		c, e, log := coalesceConn(t, func(cfg *xmpp.Config) {
			cfg.StreamManagement.RequestEvery = 3
			cfg.Reconnect.Disabled = true
		}, text)

		before := log.count()
		require.NoError(t, c.Send(ctxT(t), message("m1")))
		assert.Equal(t, before+1, log.count(), "a lone Send writes at once, alone")

		h := xmpp.HoldWrites(c)
		var sent []<-chan error
		for _, id := range []string{"m2", "m3", "m4", "m5"} {
			sent = append(sent, queueSend(t, c, h, ctxT(t), message(id)))
		}
		bad := message("bad")
		bad.Bodies[0].Value = "\x00"
		badErr := queueSend(t, c, h, ctxT(t), bad)
		for _, id := range []string{"m6", "m7", "m8", "m9"} {
			sent = append(sent, queueSend(t, c, h, ctxT(t), message(id)))
		}
		before = log.count()
		h.Release()
		for _, ch := range sent {
			require.NoError(t, <-ch)
		}
		err := <-badErr
		require.Error(t, err)
		assert.NotErrorIs(t, err, xmpp.ErrNotConnected)
		assert.Equal(t, before+1, log.count(), "the burst went out in one write")
		assert.Zero(t, h.Queued())
		assert.Len(t, log.holding("m2", "m5", "m9", "</message><r xmlns='urn:xmpp:sm:3'/><message"), 1)
		e.expect(t, "acked:m1", "acked:m2", "acked:m3", "acked:m4", "acked:m5", "acked:m6",
			"acked:m7", "acked:m8", "acked:m9")
	})
}

// TestSendQueuedContextEnds: a queued Send whose context ends returns its
// error at once; its stanza is never written nor counted (the script
// would see it, and the server's h=1 would not cover two stanzas), and
// the sender queued behind it is written as if it had never been there.
func TestSendQueuedContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind + msgLine("m2") + ackReq + ackLine(1)
		c, e, log := coalesceConn(t, func(cfg *xmpp.Config) {
			cfg.StreamManagement.RequestEvery = 1
			cfg.Reconnect.Disabled = true
		}, text)

		h := xmpp.HoldWrites(c)
		ctx, cancel := context.WithCancel(ctxT(t))
		first := queueSend(t, c, h, ctx, message("m1"))
		second := queueSend(t, c, h, ctxT(t), message("m2"))
		cancel()
		synctest.Wait()
		select {
		case err := <-first:
			require.ErrorIs(t, err, context.Canceled)
		default:
			t.Fatal("the Send whose context ended still waits")
		}
		assert.Equal(t, 1, h.Queued())
		h.Release()
		require.NoError(t, <-second)
		e.expect(t, "acked:m2")
		assert.Empty(t, log.holding("m1"))
		assert.Zero(t, xmpp.UnackedCount(c))
	})
}

// TestSendQueuedStreamDies: the stream dies while three Sends wait for
// the write lock (the server ends it, and the reader waits for the lock
// to seal it). The first queued sender writes all three in one write,
// which fails: with stream management they are kept, every Send returns
// nil, and the resumed stream sends them again in one write, with the
// ack request, each counted once.
func TestSendQueuedStreamDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind + "C: <presence id='bye'/>\n" // then the server is gone
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
			"S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
			msgLine("m1") + msgLine("m2") + msgLine("m3") + ackReq + ackLine(3) +
			smClose(4)
		c, e, log := coalesceConn(t, func(cfg *xmpp.Config) { cfg.StreamManagement.RequestEvery = 100 }, first, second)

		h := xmpp.HoldWrites(c)
		var sent []<-chan error
		for _, id := range []string{"m1", "m2", "m3"} {
			sent = append(sent, queueSend(t, c, h, ctxT(t), message(id)))
		}
		require.NoError(t, h.Write("<presence id='bye'/>")) // the script's last line: it hangs up
		synctest.Wait()
		h.Release()
		for _, ch := range sent {
			require.NoError(t, <-ch, "stream management keeps a stanza whose write failed")
		}
		e.expect(t, "state:disconnected", "state:resumed", "acked:m1", "acked:m2", "acked:m3")
		assert.Len(t, log.holding("m1", "m2", "m3"), 2, "one write that failed, one that resent them all")
		assert.Len(t, log.holding("m1", "m2", "m3", "</message><r xmlns='urn:xmpp:sm:3'/>"), 1)
		require.NoError(t, c.Close())
		closeID(t, e)
		e.expect(t, "state:closed")
	})
}

// TestSendQueuedStreamDiesNoSM: without stream management, Sends queued
// when the stream dies each return one error that says the connection is
// gone.
func TestSendQueuedStreamDiesNoSM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := benchLoginNoSM + "C: <presence id='bye'/>\n"
		c, e, _ := coalesceConn(t, func(cfg *xmpp.Config) { cfg.Reconnect.Disabled = true }, text)

		h := xmpp.HoldWrites(c)
		var sent []<-chan error
		for _, id := range []string{"m1", "m2", "m3"} {
			sent = append(sent, queueSend(t, c, h, ctxT(t), message(id)))
		}
		require.NoError(t, h.Write("<presence id='bye'/>"))
		synctest.Wait()
		h.Release()
		for _, ch := range sent {
			require.ErrorIs(t, <-ch, xmpp.ErrNotConnected)
		}
		e.expect(t, "state:closed")
	})
}
