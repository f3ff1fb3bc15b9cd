package xmpp_test

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timedLog notes when each write that holds an <a/> went out.
type timedLog struct {
	mu   sync.Mutex
	at   []time.Time
	acks []string
}

type timedConn struct {
	net.Conn
	log *timedLog
}

func (c *timedConn) Write(p []byte) (int, error) {
	if s := string(p); strings.Contains(s, "<a ") {
		c.log.mu.Lock()
		c.log.at = append(c.log.at, time.Now())
		c.log.acks = append(c.log.acks, s)
		c.log.mu.Unlock()
	}
	return c.Conn.Write(p)
}

// TestAckAnswersPaced: a server that asks for an ack again as soon as an
// answer arrives (as Prosody does while it has stanzas unacknowledged)
// gets its first answer at once and the next no sooner than 10 ms after
// the one before: here, where the server sends nothing more, 20 ms
// after (the fallback; TestAckAnswerRidesRead has the flood's case).
// Requests that arrive meanwhile share that answer, which counts
// everything handled by then. On loopback, answering each at once made
// a request and an answer every two or three messages. Close's own <a/>
// waits for no gap.
func TestAckAnswersPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind +
			"S: <r xmlns='urn:xmpp:sm:3'/>\n" +
			"C: <a xmlns='urn:xmpp:sm:3' h='0'/>\n" +
			serverMsg("s1") + "S: <r xmlns='urn:xmpp:sm:3'/>\n" +
			serverMsg("s2") + "S: <r xmlns='urn:xmpp:sm:3'/>\n" +
			"C: <a xmlns='urn:xmpp:sm:3' h='2'/>\n" +
			"S: <r xmlns='urn:xmpp:sm:3'/>\n" +
			"C: <a xmlns='urn:xmpp:sm:3' h='2'/>\n" +
			smClose(0)
		log := &timedLog{}
		c := smConn(t, dialerFunc(func(context.Context, string, string) (net.Conn, error) {
			return &timedConn{Conn: smScript(t, text), log: log}, nil
		}))
		e := watch(c)
		start := time.Now()
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1", "msg:s2")
		time.Sleep(60 * time.Millisecond)
		synctest.Wait()
		require.NoError(t, c.Close())
		log.mu.Lock()
		defer log.mu.Unlock()
		require.Len(t, log.at, 4, "one answer for the two requests that came within the gap, and Close's: %q", log.acks)
		assert.Contains(t, log.acks[3], "<a xmlns='urn:xmpp:sm:3' h='2'/></stream:stream>",
			"Close acknowledges what was received before it ends the stream (XEP-0198 section 4)")
		assert.Zero(t, log.at[0].Sub(start), "the first request is answered at once")
		// At most a hundred answers a second.
		assert.Equal(t, 20*time.Millisecond, log.at[1].Sub(log.at[0]), "the second waits for the gap, and then for a read or the fallback")
		assert.Equal(t, 20*time.Millisecond, log.at[2].Sub(log.at[1]), "so does the third, asked just after the second")
	})
}

// TestCloseAcksOnlyQueued: Close's last <a/> counts the stanzas that
// reached the listeners' queue, not those the reader still held, waiting
// for room, and dropped as the stream closed: the server keeps those and
// routes them elsewhere (offline storage) instead of losing them.
func TestCloseAcksOnlyQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind + serverMsg("s1") + serverMsg("s2") + serverMsg("s3") + smClose(0)
		log := &timedLog{}
		c := smConn(t, dialerFunc(func(context.Context, string, string) (net.Conn, error) {
			return &timedConn{Conn: smScript(t, text), log: log}, nil
		}), func(cfg *xmpp.Config) {
			cfg.MaxBacklog = 1 // one stanza waits for the listeners at a time
			cfg.Reconnect.Disabled = true
		})
		release := make(chan struct{})
		got := make(chan string, 16)
		c.HandleMessage(nil, func(m *stanza.Message) {
			if m.ID == "s1" {
				<-release
			}
			got <- m.ID
		})
		require.NoError(t, c.Connect(ctxT(t)))
		synctest.Wait() // s1 with the listener, s2 queued, s3 waiting for room
		closed := make(chan error, 1)
		go func() { closed <- c.Close() }()
		synctest.Wait()
		close(release)
		require.NoError(t, <-closed)
		time.Sleep(time.Second)
		synctest.Wait()
		var delivered []string
		for len(got) > 0 {
			delivered = append(delivered, <-got)
		}
		log.mu.Lock()
		acks := strings.Join(log.acks, "")
		log.mu.Unlock()
		h := regexp.MustCompile(`h='(\d+)'`).FindStringSubmatch(acks)
		require.NotNil(t, h, acks)
		assert.Equal(t, []string{"s1", "s2"}, delivered)
		assert.Equal(t, strconv.Itoa(len(delivered)), h[1], "Close acknowledges only what reached the listeners")
	})
}

// slowAckConn's second write of an <a/> returns a millisecond after the
// server has it, as a write held up by a full socket would.
type slowAckConn struct {
	timedConn
	n int
}

func (c *slowAckConn) Write(p []byte) (int, error) {
	n, err := c.timedConn.Write(p)
	if strings.Contains(string(p), "<a ") {
		if c.n++; c.n == 2 {
			time.Sleep(time.Millisecond)
		}
	}
	return n, err
}

// TestAckGapAfterSlowAnswer: a request that arrives while the answer to
// the one before is still being written waits for the gap as well.
func TestAckGapAfterSlowAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, a := "S: <r xmlns='urn:xmpp:sm:3'/>\n", "C: <a xmlns='urn:xmpp:sm:3' h='0'/>\n"
		text := smLogin + smBind + r + a + r + a + r + a + smClose(0)
		log := &timedLog{}
		c := smConn(t, dialerFunc(func(context.Context, string, string) (net.Conn, error) {
			return &slowAckConn{timedConn: timedConn{Conn: smScript(t, text), log: log}}, nil
		}))
		require.NoError(t, c.Connect(ctxT(t)))
		time.Sleep(50 * time.Millisecond)
		synctest.Wait()
		log.mu.Lock()
		at := append([]time.Time(nil), log.at...)
		log.mu.Unlock()
		require.GreaterOrEqual(t, len(at), 3)
		assert.GreaterOrEqual(t, at[1].Sub(at[0]), 10*time.Millisecond)
		assert.GreaterOrEqual(t, at[2].Sub(at[1]), 10*time.Millisecond)
		require.NoError(t, c.Close())
	})
}

// laterConn holds back what a read brings from marker on, and hands it
// over a while later, as a server that sends it then would.
type laterConn struct {
	net.Conn
	marker string
	after  time.Duration
	rest   []byte
}

func (c *laterConn) Read(p []byte) (int, error) {
	if c.rest != nil {
		time.Sleep(c.after)
		c.after = 0
		n := copy(p, c.rest)
		if c.rest = c.rest[n:]; len(c.rest) == 0 {
			c.rest, c.marker = nil, ""
		}
		return n, nil
	}
	n, err := c.Conn.Read(p)
	if c.marker != "" {
		if i := strings.Index(string(p[:n]), c.marker); i >= 0 {
			c.rest = append([]byte(nil), p[i:n]...)
			if i == 0 {
				return c.Read(p)
			}
			n = i
		}
	}
	return n, err
}

// TestAckAnswerRidesRead: an answer put off by the gap goes out when the
// reader next finishes a read after the gap, with everything that read
// brought counted, and its fallback timer writes nothing more. During a
// flood the answer thus needs no wake-up of its own: through Prosody,
// that was a quarter of the receiver's context switches.
func TestAckAnswerRidesRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		text := smLogin + smBind +
			"S: <r xmlns='urn:xmpp:sm:3'/>\n" +
			"C: <a xmlns='urn:xmpp:sm:3' h='0'/>\n" +
			serverMsg("s1") + "S: <r xmlns='urn:xmpp:sm:3'/>\n" + serverMsg("late") +
			"C: <a xmlns='urn:xmpp:sm:3' h='2'/>\n" +
			smClose(0)
		log := &timedLog{}
		c := smConn(t, dialerFunc(func(context.Context, string, string) (net.Conn, error) {
			sc := &laterConn{Conn: smScript(t, text), marker: "<message type='chat' id='late'", after: 12 * time.Millisecond}
			return &timedConn{Conn: sc, log: log}, nil
		}))
		e := watch(c)
		require.NoError(t, c.Connect(ctxT(t)))
		e.expect(t, "state:authenticated", "msg:s1", "msg:late")
		time.Sleep(50 * time.Millisecond)
		synctest.Wait()
		log.mu.Lock()
		at, acks := append([]time.Time(nil), log.at...), append([]string(nil), log.acks...)
		log.mu.Unlock()
		require.Len(t, at, 2, "no answer from the fallback timer: %q", acks)
		assert.Contains(t, acks[1], "h='2'", "the answer counts what the read brought")
		assert.Equal(t, 12*time.Millisecond, at[1].Sub(at[0]), "the answer goes with the first read after the gap")
		require.NoError(t, c.Close())
	})
}
