package xmpp_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/require"
)

// tcpScripted is a Conn to a server on loopback TCP that plays the
// transcript text (a login), then hands over its end of the socket on
// played (closed if no client came), for the test to write more.
func tcpScripted(t *testing.T, text string) (c *xmpp.Conn, played <-chan net.Conn) {
	t.Helper()
	tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(text))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	ch := make(chan net.Conn, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			close(ch)
			return
		}
		_ = xmpptest.Replay(t, tr, xmpptest.Server, s)
		ch <- s
	}()
	c = xmpp.New(xmpp.Config{
		JID: jid.MustParse("alice@localhost"), Password: "alice-secret",
		Addr: ln.Addr().String(), Security: xmpp.TLSDisabled, AllowPlainWithoutTLS: true,
		CloseTimeout: 100 * time.Millisecond,
	})
	return c, ch
}

// TestReaderParks: over a TCP socket, a reader that has waited for the
// server for a while hands the wait to a fresh goroutine (so that an idle
// connection holds a 2 KiB stack, not the 4 KiB parsing grew); what the
// server sends next is read whole and in order by the new one, which
// parks in turn. The park bound is cut to a millisecond, and parking is
// observed through a hook, not a clock.
func TestReaderParks(t *testing.T) {
	parks := make(chan struct{}, 16)
	xmpp.ParkAfter(t, time.Millisecond, func() { parks <- struct{}{} })
	c, played := tcpScripted(t, idleLogin)
	got := make(chan string, 4)
	c.HandleMessage(nil, func(m *stanza.Message) { got <- m.ID + ":" + m.Bodies[0].Value })
	require.NoError(t, c.Connect(ctxT(t)))
	defer c.Close()
	srv := <-played
	require.NotNil(t, srv)
	defer srv.Close()
	var err error

	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-ctxT(t).Done():
			t.Fatal("no park: " + what)
		}
	}
	wait(parks, "after the login")
	for i, id := range []string{"m1", "m2"} {
		// The first in two writes: the first wakes the parked reader,
		// which must then wait for the rest without a bound (a yield in
		// the middle of an element would end the stream).
		msg := "<message from='bob@localhost/b' id='" + id + "'><body>hello " + id + "</body></message>"
		if i == 0 {
			_, err = srv.Write([]byte(msg[:10]))
			require.NoError(t, err)
			_, err = srv.Write([]byte(msg[10:]))
		} else {
			_, err = srv.Write([]byte(msg))
		}
		require.NoError(t, err)
		select {
		case m := <-got:
			require.Equal(t, id+":hello "+id, m)
		case <-ctxT(t).Done():
			t.Fatal("the message after a park never came: " + id)
		}
		wait(parks, "after "+id)
	}
	require.True(t, c.IsConnected())
}
