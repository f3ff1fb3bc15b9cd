package carbons_test

import (
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// login logs alice in up to the features after authentication, which
// offer stream management; bind binds her resource and enables it with
// resumption.
var (
	login = xmpptest.Login(alice, "<sm xmlns='urn:xmpp:sm:3'/>")
	bind  = xmpptest.Bind(alice) + xmpptest.EnableSM
)

// TestSessions: carbons are enabled at the start of the first session;
// a resumed session is the same one on the server, so nothing is asked
// and its carbons still arrive; a new session (the resumption failed)
// asks again.
func TestSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scripts := []string{
			// The first session: enable, then the stream is lost.
			login + bind + enable,
			// Resumed: the server has the enable's result counted
			// (h='1'), and sends a carbon; then the stream is lost again.
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='1' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='1' previd='sm-1'/>
` + sentCarbon("alice@localhost", "resumed"),
			// The resumption fails: a new session, which enables again.
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='2' previd='sm-1'/>
S: <failed xmlns='urn:xmpp:sm:3'/>
` + bind + enable + receivedCarbon("alice@localhost", "new") + done,
		}
		c := xmpptest.NewReconnectingConn(t, alice, scripts)
		defer c.Close()
		var log testlog.Log
		c.OnState(func(sc xmpp.StateChange) {
			if sc.State != xmpp.StateConnected {
				log.Add("state %s", sc.State)
			}
		})
		m := carbons.For(c)
		m.OnCarbon(func(cb carbons.Carbon) { log.Add("carbon %s %s", cb.Direction, cb.Message.Body("")) })
		end := finished(c, func() { assert.True(t, m.Active()) })
		require.NoError(t, c.Connect(t.Context()))
		<-end
		got := log.Lines() // then the last script ends too
		require.GreaterOrEqual(t, len(got), 8)
		assert.Equal(t, []string{
			"state authenticated",
			"state disconnected", "state resumed",
			"carbon sent resumed",
			"state disconnected", "state closed", "state authenticated",
			"carbon received new",
		}, got[:8])
	})
}
