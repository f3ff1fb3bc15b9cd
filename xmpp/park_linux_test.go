package xmpp_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/require"
)

// TestAckAnsweredByReader: over a TCP socket whose send queue is short
// (Linux tells), the reader answers the server's <r/> itself, with the
// count of stanzas received, instead of handing it to a goroutine. The
// <r/> comes once Connect has returned: no write holds the lock.
func TestAckAnsweredByReader(t *testing.T) {
	now := make(chan struct{}, 4)
	xmpp.OnAnsweredNow(t, func() { now <- struct{}{} })
	tr, err := xmpptest.ParseTranscript("ack", strings.NewReader(idleLoginSM))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	played := make(chan net.Conn, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			close(played)
			return
		}
		_ = xmpptest.Replay(t, tr, xmpptest.Server, s)
		played <- s
	}()
	c := xmpp.New(xmpp.Config{
		JID: jid.MustParse("alice@localhost"), Password: "alice-secret",
		Addr: ln.Addr().String(), Security: xmpp.TLSDisabled, AllowPlainWithoutTLS: true,
		CloseTimeout: 100 * time.Millisecond,
	})
	require.NoError(t, c.Connect(ctxT(t)))
	defer c.Close()
	srv := <-played
	require.NotNil(t, srv)
	defer srv.Close()
	_, err = srv.Write([]byte("<r xmlns='urn:xmpp:sm:3'/>"))
	require.NoError(t, err)
	want := "<a xmlns='urn:xmpp:sm:3' h='1'/>"
	got := make([]byte, len(want))
	require.NoError(t, srv.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadFull(srv, got)
	require.NoError(t, err)
	require.Equal(t, want, string(got))
	select {
	case <-now:
	default:
		t.Fatal("the <r/> was answered on a goroutine of its own")
	}
}
