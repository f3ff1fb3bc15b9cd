package xmpp_test

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntercept: interceptors see and change what is sent, initial
// presence and replies included; a removed one no longer runs.
func TestIntercept(t *testing.T) {
	c := running(t, `C: <presence id='{{p}}'><c xmlns='urn:example:mark'/></presence>
C: <message id='{{m1}}' to='bob@localhost'><c xmlns='urn:example:mark'/></message>
C: <message id='{{m2}}' to='bob@localhost'/>
`+closing, func(cfg *xmpp.Config) { cfg.NoInitialPresence = false })
	mark := stanza.Node{Name: xml.Name{Space: "urn:example:mark", Local: "c"}}
	remove := c.Intercept(func(st stanza.Stanza) {
		switch st := st.(type) {
		case *stanza.Presence:
			if st.Type == stanza.Available {
				st.Extensions = append(st.Extensions, mark)
			}
		case *stanza.Message:
			st.Extensions = append(st.Extensions, mark)
		}
	})
	connect(t, c)
	m := &stanza.Message{}
	m.To = jid.MustParse("bob@localhost")
	require.NoError(t, c.Send(ctxT(t), m))
	remove()
	m2 := &stanza.Message{}
	m2.To = m.To
	require.NoError(t, c.Send(ctxT(t), m2))
}

func TestAnnounce(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	changes := 0
	c.OnAnnounce(func() { changes++ })
	w1 := c.Announce("urn:xmpp:ping")
	w2 := c.Announce("urn:xmpp:receipts")
	w3 := c.Announce("urn:xmpp:ping") // a second announcer of the same feature
	assert.Equal(t, []string{"urn:xmpp:ping", "urn:xmpp:receipts"}, c.Announced())
	assert.Equal(t, 2, changes)
	w1()
	w1()
	assert.Equal(t, []string{"urn:xmpp:ping", "urn:xmpp:receipts"}, c.Announced(), "still announced by the other")
	w3()
	w2()
	assert.Empty(t, c.Announced())
	assert.Equal(t, 4, changes)
}

// TestAbort: Abort ends the stream with the given cause, as a network
// failure would: a waiting SendIQ fails with it, and so do StateClosed and
// Err.
func TestAbort(t *testing.T) {
	// A plaintext login the server then leaves open (Script would close
	// the connection at the transcript's end).
	login := strings.Replace(idleLogin, "S: <presence from='alice@localhost/idle' id='{{p}}'/>\n", "", 1) +
		"C: <iq type='get' id='{{id}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>\n"
	tr, err := xmpptest.ParseTranscript("abort", strings.NewReader(login))
	require.NoError(t, err)
	client, server := xmpptest.Pipe()
	defer server.Close()
	played := make(chan struct{})
	go func() {
		defer close(played)
		_ = xmpptest.Replay(t, tr, xmpptest.Server, server)
	}()
	c := xmpp.New(xmpp.Config{
		JID: jid.MustParse("alice@localhost"), Password: "alice-secret",
		Addr: "pipe.invalid:5222", Security: xmpp.TLSDisabled, AllowPlainWithoutTLS: true,
		Dialer: conns(client),
	})
	states := make(chan xmpp.StateChange, 4)
	c.OnState(func(sc xmpp.StateChange) { states <- sc })
	connect(t, c)
	errc := make(chan error, 1)
	go func() {
		iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
		iq.To = jid.MustParse("localhost")
		_, err := c.SendIQ(context.Background(), iq)
		errc <- err
	}()
	<-played // the request is out
	cause := errors.New("the server stopped answering pings")
	c.Abort(cause)
	require.ErrorIs(t, <-errc, cause)
	for sc := range states {
		if sc.State == xmpp.StateClosed {
			require.ErrorIs(t, sc.Err, cause)
			break
		}
	}
	require.ErrorIs(t, c.Err(), cause)
}
