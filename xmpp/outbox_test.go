package xmpp_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What Send queued while the connection was down goes out in batches
// once a stream is up: as many stanzas a write as fit in 16 KiB, counted
// for stream management in order.

const (
	maxBatch   = 16 << 10
	bigMsgSize = 1000 // encoded: 16 fit in a batch, with an ack request
)

// bigID is the id of the i-th big message: m01, m02, ...
func bigID(i int) string { return fmt.Sprintf("m%02d", i) }

// bigBody pads a message's body so that it encodes in bigMsgSize bytes.
func bigBody(id string) string {
	line := strings.TrimSuffix(strings.TrimPrefix(msgLine(id), "C: "), "\n")
	return id + strings.Repeat("x", bigMsgSize-len(line))
}

func bigMessages(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		id := bigID(i)
		b.WriteString(strings.ReplaceAll(msgLine(id), "<body>"+id+"</body>", "<body>"+bigBody(id)+"</body>"))
	}
	return b.String()
}

// queueBig sends m<from>..m<to> while the connection is down: each is
// queued.
func queueBig(t *testing.T, c *xmpp.Conn, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		m := message(bigID(i))
		m.Bodies[0].Value = bigBody(m.ID)
		require.NoError(t, c.Send(ctxT(t), m))
	}
	require.Equal(t, to-from+1, xmpp.Queued(c))
}

func expectAcked(t *testing.T, e *events, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		e.expect(t, "acked:"+bigID(i))
	}
}

// messageWrites returns the writes that carry a message, each checked to
// be within a batch's bound.
func messageWrites(t *testing.T, l *writeLog) []string {
	t.Helper()
	got := l.holding("<message")
	for _, w := range got {
		assert.LessOrEqual(t, len(w), maxBatch)
	}
	return got
}

// TestOutboxBatched: forty stanzas of 1000 bytes queued while the session
// is suspended go out on the resumed stream in ⌈40000/16 KiB⌉ = 3
// writes, in order, and the server's h covers them all.
func TestOutboxBatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 40
		first := smLogin + smBind + serverMsg("s1") // then the server is gone
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
			"S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
			ackReq + bigMessages(1, n) + ackLine(n) + smClose(n+1)
		c, e, log := coalesceConn(t, func(cfg *xmpp.Config) {
			cfg.StreamManagement.RequestEvery = 100
			cfg.Reconnect.Disabled = true
		}, first, second)
		e.expect(t, "msg:s1", "state:disconnected")
		queueBig(t, c, 1, n)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:resumed")
		expectAcked(t, e, 1, n)
		writes := messageWrites(t, log)
		assert.Len(t, writes, (n*bigMsgSize+maxBatch-1)/maxBatch)
		assert.Equal(t, 16, strings.Count(writes[0], "<message"))
		assert.Zero(t, xmpp.Queued(c))
		require.NoError(t, c.Close())
		closeID(t, e)
		e.expect(t, "state:closed")
		assert.Empty(t, e.settled(), "nothing reported lost")
	})
}

// TestOutboxBatchedNoSM: without stream management too, what was queued
// while reconnection ran goes out in batches, on the new session.
func TestOutboxBatchedNoSM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 20
		first := benchLoginNoSM + serverMsg("s1")
		second := benchLoginNoSM + bigMessages(1, n)
		log := &writeLog{}
		hold := make(chan struct{})
		d := &heldDialer{mk: []func() net.Conn{
			func() net.Conn { return loggedConn{Conn: smScript(t, first), log: log} },
			func() net.Conn {
				return loggedConn{Conn: &silentConn{Conn: smScript(t, second), closed: make(chan struct{})}, log: log}
			},
		}, hold: map[int]chan struct{}{1: hold}}
		c := smConn(t, d)
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1", "state:closed")
		queueBig(t, c, 1, n) // queued: reconnection waits to dial
		close(hold)
		e.expect(t, "state:authenticated")
		synctest.Wait()
		assert.Len(t, messageWrites(t, log), 2)
		assert.Zero(t, xmpp.Queued(c))
	})
}

// cutConn fails the first write that holds cut: half of it goes out,
// then the socket closes.
type cutConn struct {
	net.Conn
	cut  string
	once sync.Once
}

func (c *cutConn) Write(p []byte) (int, error) {
	hit := false
	if strings.Contains(string(p), c.cut) {
		c.once.Do(func() { hit = true })
	}
	if !hit {
		return c.Conn.Write(p)
	}
	n, _ := c.Conn.Write(p[:len(p)/2])
	c.Conn.Close()
	return n, errors.New("cut: the connection broke")
}

// TestOutboxFlushStreamDies: the stream dies in the middle of writing
// the queue, its second batch half written. Stream management counted
// that batch before the write, so it is kept; the third batch never
// left the queue. The next resumption (the server has handled the first
// batch) sends the second batch again, then the third: every stanza
// reaches the server once, in order (the script refuses any other), and
// is acknowledged once; none is reported lost.
func TestOutboxFlushStreamDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 40
		first := smLogin + smBind + serverMsg("s1")
		resume := func(h int) string {
			return smLogin +
				"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
				"S: <resumed xmlns='urn:xmpp:sm:3' h='" + itoa(h) + "' previd='some-long-sm-id'/>\n"
		}
		second := resume(0) + ackReq + bigMessages(1, 16) // then silence
		third := resume(16) + bigMessages(17, 32) + ackReq + bigMessages(33, n) +
			ackLine(n) + smClose(n+1)
		log := &writeLog{conns: []net.Conn{
			smScript(t, first),
			&cutConn{Conn: &silentConn{Conn: smScript(t, second), closed: make(chan struct{})}, cut: "id='" + bigID(17) + "'"},
			smScript(t, third),
		}}
		c := smConn(t, log, func(cfg *xmpp.Config) {
			cfg.StreamManagement.RequestEvery = 100
			cfg.Reconnect.Disabled = true
		})
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1", "state:disconnected")
		queueBig(t, c, 1, n)

		err := c.Connect(ctxT(t))
		require.Error(t, err, "the stream died as it came up")
		e.expect(t, "state:resumed", "state:disconnected")
		assert.Equal(t, 32, xmpp.UnackedCount(c), "the batch cut short is kept, with the one before")
		assert.Equal(t, n-32, xmpp.Queued(c), "the batch never written stays queued")

		require.NoError(t, c.Connect(ctxT(t)))
		expectAcked(t, e, 1, 16) // by <resumed/>
		e.expect(t, "state:resumed")
		expectAcked(t, e, 17, n)
		require.NoError(t, c.Close())
		closeID(t, e)
		e.expect(t, "state:closed")
		assert.Empty(t, e.settled(), "nothing reported lost")
		assert.Len(t, log.holding("id='"+bigID(17)+"'"), 2, "cut short, then sent again")
		assert.Len(t, log.holding("id='"+bigID(33)+"'"), 1)
	})
}

// TestOutboxUnencodable: a queued stanza that cannot be encoded (text XML
// cannot carry) is reported to OnUnacked when its turn comes, and the
// rest go out as if it had never been queued; the stream lives on.
func TestOutboxUnencodable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind + serverMsg("s1")
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='some-long-sm-id'/>\n" +
			"S: <resumed xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
			ackReq + msgLine("m1") + msgLine("m2") + ackLine(2) + smClose(3)
		c, e, log := coalesceConn(t, func(cfg *xmpp.Config) {
			cfg.Reconnect.Disabled = true
		}, first, second)
		e.expect(t, "msg:s1", "state:disconnected")
		bad := message("bad")
		bad.Bodies[0].Value = "\x00"
		require.NoError(t, c.Send(ctxT(t), message("m1")))
		require.NoError(t, c.Send(ctxT(t), bad))
		require.NoError(t, c.Send(ctxT(t), message("m2")))
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:resumed", "unacked:bad", "acked:m1", "acked:m2")
		assert.Len(t, messageWrites(t, log), 2, "m1, then m2: the batch ends before the stanza left out")
		require.NoError(t, c.Close())
		closeID(t, e)
		e.expect(t, "state:closed")
	})
}
