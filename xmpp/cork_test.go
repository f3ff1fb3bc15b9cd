package xmpp_test

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCorkWhileBehind: once more than an eighth of the window waits for
// acknowledgement (the server is behind), Sends from one goroutine, one
// after the other, return without a write of their own: their stanzas
// go out together in the next write, here the one that carries the ack
// request due past half the window, in the order they were sent. The last
// one, with nothing after it, goes out alone a millisecond later. Below
// an eighth, each Send writes before it returns.
func TestCorkWhileBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind
		for i := 1; i <= 9; i++ {
			text += msgLine("m" + itoa(i))
		}
		text += ackReq + msgLine("m10") + ackLine(10)
		c, e, log := coalesceConn(t, func(cfg *xmpp.Config) {
			cfg.StreamManagement.MaxUnacked = 16 // behind past 2, request past 8
			cfg.StreamManagement.RequestEvery = 100
			cfg.Reconnect.Disabled = true
		}, text)

		for _, id := range []string{"m1", "m2"} {
			before := log.count()
			require.NoError(t, c.Send(ctxT(t), message(id)))
			assert.Equal(t, before+1, log.count(), "%s: the server is not behind: a write of its own", id)
		}
		before := log.count()
		for i := 3; i <= 8; i++ {
			require.NoError(t, c.Send(ctxT(t), message("m"+itoa(i))))
		}
		synctest.Wait()
		assert.Equal(t, before, log.count(), "m3 to m8 wait for company")
		require.NoError(t, c.Send(ctxT(t), message("m9")))
		assert.Equal(t, before+1, log.count(), "the ack request goes at once, with what waited")
		assert.Len(t, log.holding("m3", "m8", "m9</body></message><r xmlns='urn:xmpp:sm:3'/>"), 1)

		require.NoError(t, c.Send(ctxT(t), message("m10")))
		synctest.Wait()
		assert.Equal(t, before+1, log.count(), "m10 waits")
		start := time.Now()
		for i := 1; i <= 10; i++ {
			e.expect(t, "acked:m"+itoa(i))
		}
		assert.Equal(t, time.Millisecond, time.Since(start), "m10 went out alone after a millisecond")
		assert.Len(t, log.holding("m10"), 1)
	})
}

// gatedConn holds back the end of its script (the server's close) until
// it is opened, or closed, as a peer gone silent would, and counts the
// writes that hold a message.
type gatedConn struct {
	net.Conn
	gate   chan struct{}
	once   sync.Once
	writes atomic.Int32
}

func newGatedConn(c net.Conn) *gatedConn { return &gatedConn{Conn: c, gate: make(chan struct{})} }

func (g *gatedConn) open() { g.once.Do(func() { close(g.gate) }) }

func (g *gatedConn) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	if err != nil {
		<-g.gate
	}
	return n, err
}

func (g *gatedConn) Close() error {
	g.open()
	return g.Conn.Close()
}

func (g *gatedConn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "<message") {
		g.writes.Add(1)
	}
	return g.Conn.Write(p)
}

// TestCorkedLostWithStream: stanzas waiting in the cork when the stream
// dies were taken by stream management: the resumed stream sends them
// again, and none is reported lost. The recorder sees them once, on the
// stream that wrote them.
func TestCorkedLostWithStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := smLogin + smBind + msgLine("m1") + msgLine("m2") // then the server is gone
		second := smLogin +
			"C: <resume xmlns='urn:xmpp:sm:3' h='0' previd='some-long-sm-id'/>\n" +
			"S: <resumed xmlns='urn:xmpp:sm:3' h='2' previd='some-long-sm-id'/>\n" +
			msgLine("m3") + msgLine("m4") + ackReq + ackLine(4) + smClose(5)
		g := newGatedConn(smScript(t, first))
		var rec testserver.Buffer
		c := smConn(t, conns(g, smScript(t, second)), func(cfg *xmpp.Config) {
			cfg.StreamManagement.MaxUnacked = 16 // behind past 2
			cfg.Recorder = &rec
		})
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		sendAll(t, c, "m1", "m2", "m3", "m4")
		synctest.Wait()
		assert.Equal(t, int32(2), g.writes.Load(), "m3 and m4 wait in the cork")
		g.open()
		e.expect(t, "state:authenticated", "state:disconnected",
			"acked:m1", "acked:m2", "state:resumed", "acked:m3", "acked:m4")
		require.NoError(t, c.Close())
		closeID(t, e)
		e.expect(t, "state:closed")
		assert.Empty(t, e.settled(), "nothing reported lost")
		for _, id := range []string{"m1", "m2", "m3", "m4"} {
			assert.Equal(t, 1, strings.Count(rec.String(), "<body>"+id+"</body>"), "%s recorded once", id)
		}
	})
}
