package xmpp_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/require"
)

// TestAckAnsweredByReader: over a TCP socket whose send queue is empty
// (Linux tells), the reader answers the server's <r/> itself, with
// the count of stanzas received, instead of handing it to a goroutine.
func TestAckAnsweredByReader(t *testing.T) {
	now := make(chan struct{}, 4)
	xmpp.OnAnsweredNow(t, func() { now <- struct{}{} })
	text := idleLoginSM + "S: <r xmlns='urn:xmpp:sm:3'/>\nC: <a xmlns='urn:xmpp:sm:3' h='1'/>\n"
	tr, err := xmpptest.ParseTranscript("ack", strings.NewReader(text))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	played := make(chan error, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			played <- err
			return
		}
		defer s.Close()
		played <- xmpptest.Replay(t, tr, xmpptest.Server, s)
	}()
	c := xmpp.New(xmpp.Config{
		JID: jid.MustParse("alice@localhost"), Password: "alice-secret",
		Addr: ln.Addr().String(), Security: xmpp.TLSDisabled, AllowPlainWithoutTLS: true,
		CloseTimeout: 100 * time.Millisecond,
	})
	require.NoError(t, c.Connect(ctxT(t)))
	defer c.Close()
	require.NoError(t, <-played, "the server heard <a h='1'/>")
	select {
	case <-now:
	default:
		t.Fatal("the <r/> was answered on a goroutine of its own")
	}
}
