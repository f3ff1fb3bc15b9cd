package xmpp_test

import (
	"io"
	"testing"
	"time"

	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/require"
)

// TestAckAnsweredByReader: over a TCP socket whose send queue is short
// (Linux tells), the reader answers the server's <r/> itself, with the
// count of stanzas received, instead of handing it to a goroutine. The
// <r/> comes once Connect has returned: no write holds the lock.
func TestAckAnsweredByReader(t *testing.T) {
	now := make(chan struct{}, 4)
	xmpp.OnAnsweredNow(t, func() { now <- struct{}{} })
	c, played := tcpScripted(t, idleLoginSM)
	require.NoError(t, c.Connect(ctxT(t)))
	defer c.Close()
	srv := <-played
	require.NotNil(t, srv)
	defer srv.Close()
	_, err := srv.Write([]byte("<r xmlns='urn:xmpp:sm:3'/>"))
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
