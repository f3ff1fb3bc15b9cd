package xmpp_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

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
// gets its first answer at once and the next only 10 ms after
// the one before; requests that arrive meanwhile share that answer,
// which counts everything handled by then. On loopback, answering each
// at once made a request and an answer every two or three messages.
// Close's own <a/> waits for no gap.
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
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		require.NoError(t, c.Close())
		log.mu.Lock()
		defer log.mu.Unlock()
		require.Len(t, log.at, 4, "one answer for the two requests that came within the gap, and Close's: %q", log.acks)
		assert.Contains(t, log.acks[3], "<a xmlns='urn:xmpp:sm:3' h='2'/></stream:stream>",
			"Close acknowledges what was received before it ends the stream (XEP-0198 section 4)")
		assert.Zero(t, log.at[0].Sub(start), "the first request is answered at once")
		// At most a hundred answers a second.
		assert.Equal(t, 10*time.Millisecond, log.at[1].Sub(log.at[0]), "the second waits for the gap")
		assert.Equal(t, 10*time.Millisecond, log.at[2].Sub(log.at[1]), "so does the third, asked just after the second")
	})
}
