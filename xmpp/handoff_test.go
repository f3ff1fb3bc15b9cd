package xmpp_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/require"
)

// The reader hands what one read brought to the dispatcher in batches;
// the listeners still hear everything in wire order. Here one write
// brings 40 messages (more than one batch) with, among them, the result
// of a SendIQFunc whose func queues an event with Dispatch: the event
// lands where the result stood, after the messages before it.
func TestHandoffKeepsWireOrder(t *testing.T) {
	var burst strings.Builder
	var want []string
	for i := range 40 {
		id := "m" + itoa(i)
		if i == 35 {
			burst.WriteString("<iq type='result' id='{{q}}' from='localhost'/>")
			want = append(want, "reply")
		}
		burst.WriteString("<message type='chat' id='" + id + "' from='bob@localhost/b' to='alice@localhost/r'><body>" + id + "</body></message>")
		want = append(want, "msg:"+id)
	}
	text := smLogin + smBind +
		"C: <iq type='get' id='{{q}}' to='localhost'><query xmlns='urn:example:q'/></iq>\n" +
		"S: " + burst.String() + "\n" +
		smClose(2) // the client sent the request and its unavailable presence
	c := smConn(t, conns(smScript(t, text)))
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated")
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:example:q", Local: "query"}}}
	iq.To = jid.MustParse("localhost")
	require.NoError(t, c.SendIQFunc(ctxT(t), iq, func(_ *stanza.IQ, err error) {
		require.NoError(t, err)
		c.Dispatch(func() { e.ch <- "reply" })
	}))
	e.expect(t, want...)
	require.NoError(t, c.Close())
}

// A stanza read is handed on before the reader waits for more: here the
// server says nothing more until the listener of the first message has
// answered it.
func TestHandoffNeverWaitsForInput(t *testing.T) {
	text := smLogin + smBind +
		serverMsg("m1") +
		"C: <message type='chat' id='{{p}}' to='bob@localhost/b'><body>pong</body></message>\n" +
		serverMsg("m2") +
		smClose(2)
	c := smConn(t, conns(smScript(t, text)))
	e := watch(c)
	c.HandleMessage(nil, func(m *stanza.Message) {
		if m.ID == "m1" {
			pong := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "pong"}}}
			pong.To = jid.MustParse("bob@localhost/b")
			require.NoError(t, c.Send(ctxT(t), pong))
		}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated", "msg:m1", "msg:m2")
	require.NoError(t, c.Close())
}
