package xmpp_test

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// running returns a connection for alice@localhost/r to a scripted
// server (xmpptest.NewConn) that logs it in and then plays rest, the
// steps of the test after bind. The test connects it.
func running(t *testing.T, rest string, opts ...func(*xmpp.Config)) *xmpp.Conn {
	t.Helper()
	tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(rest))
	require.NoError(t, err)
	return xmpptest.NewConn(t, jid.MustParse("alice@localhost/r"), tr, opts...)
}

// connect connects c, and closes it when the test ends.
func connect(t *testing.T, c *xmpp.Conn) {
	t.Helper()
	require.NoError(t, c.Connect(ctxT(t)))
	t.Cleanup(func() { c.Close() })
}

// closing is what Close sends, and the server's answer.
const closing = `C: <presence id='{{close}}' type='unavailable'/>
C: </stream:stream>
S: </stream:stream>
`

// wait waits for ch to close, or fails the test.
func wait(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("timed out")
	}
}

var pingName = xml.Name{Space: "urn:xmpp:ping", Local: "ping"}

// TestOpenfireSeed replays the seed's Openfire session to the end: PLAIN
// on a plaintext stream (asked for in writing), bind with the seed's
// resource, the roster request, presence with caps, the server's ping
// answered by a handler, a chat message, and Openfire's own receipt and
// copy delivered to the listener.
func TestOpenfireSeed(t *testing.T) {
	cfg := xmpp.Config{
		JID:                  jid.MustParse("8049a646c63e65e8@oatest.dgcb.com.cn"),
		Password:             "BDE4C7C0F37D4FFE9D49F47017E5BBF7",
		Resource:             "phone",
		Security:             xmpp.TLSDisabled,
		AllowPlainWithoutTLS: true,
		NoInitialPresence:    true,
		Mechanisms:           []string{"PLAIN"}, // as the seed's app; SCRAM-SHA-1 would be chosen otherwise
		Addr:                 "oatest.invalid:5222",
		Dialer:               conns(xmpptest.Script(t, load(t, "openfire-seed.xmpp"))),
		// The seed's app did not enable the stream management Openfire
		// offered: its session has no <enable/>.
		StreamManagement: xmpp.StreamManagement{Disabled: true},
		Reconnect:        xmpp.Reconnect{Disabled: true},
	}
	// The chat message must go out after the answer to the server's ping,
	// as in the seed: the recorder sees each element under the write
	// lock, just before it is written, so once it has seen the answer, a
	// later Send writes after it.
	answered := make(chan struct{})
	cfg.Recorder = lineWatcher{prefix: "C: <iq", contains: "'553-595'", seen: answered}
	c := xmpp.New(cfg)
	pinged := make(chan *stanza.IQ, 1)
	c.HandleIQ(stanza.Get, pingName, xmpp.IQHandlerFunc(func(_ context.Context, iq *stanza.IQ) (*stanza.Node, error) {
		pinged <- iq
		return nil, nil
	}))
	presences := c.Collect(stanza.IsPresence(), 4)
	messages := make(chan *stanza.Message, 4)
	c.HandleMessage(nil, func(m *stanza.Message) { messages <- m })
	ctx := ctxT(t)
	require.NoError(t, c.Connect(ctx))
	assert.Equal(t, "8049a646c63e65e8@oatest.dgcb.com.cn/phone", c.JID().String())
	assert.True(t, c.Features().Has("urn:xmpp:sm:3", "sm"))

	roster, err := c.SendIQ(ctx, &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "jabber:iq:roster", Local: "query"}}})
	require.NoError(t, err)
	assert.Equal(t, "-491295515", roster.Payload.Attr("ver"))
	assert.Len(t, roster.Payload.Nodes, 7) // three items and the white space between them

	caps := stanza.Node{Name: xml.Name{Space: "http://jabber.org/protocol/caps", Local: "c"}, Attrs: []xml.Attr{
		{Name: xml.Name{Local: "hash"}, Value: "sha-1"},
		{Name: xml.Name{Local: "node"}, Value: "http://www.igniterealtime.org/projects/smack"},
		{Name: xml.Name{Local: "ver"}, Value: "NfJ3flI83zSdUDzCEICtbypursw="},
	}}
	require.NoError(t, c.Send(ctx, &stanza.Presence{Statuses: []stanza.Text{{Value: "IchatMM"}}, Extensions: []stanza.Node{caps}}))
	p, err := presences.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "c53706e24ce32f72@oatest.dgcb.com.cn/pc", p.Head().From.String())

	select {
	case iq := <-pinged:
		assert.Equal(t, "553-595", iq.ID)
	case <-ctx.Done():
		t.Fatal("the server's ping reached no handler")
	}

	wait(t, answered)

	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "你好，我是包青天"}}, Thread: stanza.Thread{ID: "6828a752-cfae-4149-9d4d-c8fb83a17175"}}
	m.ID, m.To = "nCRIE-44", jid.MustParse("903e652d2334628a@oatest.dgcb.com.cn/phone")
	require.NoError(t, c.Send(ctx, m))
	next := func() *stanza.Message {
		select {
		case m := <-messages:
			return m
		case <-ctx.Done():
			t.Fatal("a message did not reach the listener")
			return nil
		}
	}
	receipt, copied := next(), next()
	assert.Equal(t, "nCRIE-44", receipt.Extensions[0].Attr("msgId"))
	assert.Equal(t, "nCRIE-44mutisingle", copied.ID)
	assert.Equal(t, "你好，我是包青天", copied.Body(""))
	require.NoError(t, c.Close())
}

// lineWatcher is a Recorder that closes seen at the first line starting
// with prefix and containing contains.
type lineWatcher struct {
	prefix, contains string
	seen             chan struct{}
}

func (w lineWatcher) Write(p []byte) (int, error) {
	if strings.HasPrefix(string(p), w.prefix) && strings.Contains(string(p), w.contains) {
		select {
		case <-w.seen:
		default:
			close(w.seen)
		}
	}
	return len(p), nil
}

// TestUnhandledIQ: a get nobody handles is answered service-unavailable;
// one a handler refuses is answered with the handler's error.
func TestUnhandledIQ(t *testing.T) {
	c := running(t, `S: <iq type='get' id='q1' from='bob@localhost/b'><query xmlns='urn:example:unknown'/></iq>
C: <iq type='error' id='q1' to='bob@localhost/b'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='set' id='q2' from='bob@localhost/b'><query xmlns='urn:example:refused'/></iq>
C: <iq type='error' id='q2' to='bob@localhost/b'><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='get' id='q3' from='bob@localhost/b'><query xmlns='urn:example:answered'/></iq>
C: <iq type='result' id='q3' to='bob@localhost/b'><answer xmlns='urn:example:answered'>42</answer></iq>
`)
	c.HandleIQ(stanza.Set, xml.Name{Space: "urn:example:refused", Local: "query"}, xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) {
		return nil, stanza.NewError(stanza.Auth, stanza.Forbidden)
	}))
	c.HandleIQ(stanza.Get, xml.Name{Space: "urn:example:answered", Local: "query"}, xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) {
		return &stanza.Node{Name: xml.Name{Space: "urn:example:answered", Local: "answer"}, Nodes: []stanza.Node{{Text: "42"}}}, nil
	}))
	// The script checks the three answers before the test ends.
	require.NoError(t, c.Connect(ctxT(t)))
}

// TestReplyOnlyFromAddressee: a result with the right id from somebody
// else is not the reply; the real one is.
func TestReplyOnlyFromAddressee(t *testing.T) {
	c := running(t, `C: <iq type='get' id='{{id}}' to='bob@localhost/b'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{id}}' from='mallory@localhost/m'/>
S: <iq type='result' id='{{id}}'/>
S: <iq type='result' id='{{id}}' from='bob@localhost'/>
S: <iq type='result' id='{{id}}' from='bob@localhost/b'><ping xmlns='urn:xmpp:ping'/></iq>
`)
	require.NoError(t, c.Connect(ctxT(t)))
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
	iq.To = jid.MustParse("bob@localhost/b")
	reply, err := c.SendIQ(ctxT(t), iq)
	require.NoError(t, err)
	assert.Equal(t, "bob@localhost/b", reply.From.String())
	assert.NotNil(t, reply.Payload, "the reply taken must be bob's, the only one with a payload")
}

// TestErrorReply: an error reply is returned as a *stanza.Error.
func TestErrorReply(t *testing.T) {
	c := running(t, `C: <iq type='get' id='{{id}}' to='localhost'><query xmlns='jabber:iq:version'/></iq>
S: <iq type='error' id='{{id}}' from='localhost'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>none</text></error></iq>
`)
	require.NoError(t, c.Connect(ctxT(t)))
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "jabber:iq:version", Local: "query"}}}
	iq.To = jid.MustParse("localhost")
	_, err := c.SendIQ(ctxT(t), iq)
	require.ErrorIs(t, err, &stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound, Text: "none"})
}

// TestListenerMaySendIQ: a message listener sends an IQ and waits for its
// reply; the reply is not stuck behind the listener. Later stanzas reach
// the listeners afterwards, in order.
func TestListenerMaySendIQ(t *testing.T) {
	c := running(t, `S: <message from='bob@localhost/b' id='m1'><body>one</body></message>
   <message from='bob@localhost/b' id='m2'><body>two</body></message>
C: <iq type='get' id='{{id}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{id}}' from='localhost'/>
`)
	var mu sync.Mutex
	var got []string
	done := make(chan struct{})
	c.HandleMessage(nil, func(m *stanza.Message) {
		if m.ID == "m1" {
			iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
			iq.To = jid.MustParse("localhost")
			_, err := c.SendIQ(context.Background(), iq)
			assert.NoError(t, err)
		}
		mu.Lock()
		got = append(got, "first:"+m.Body(""))
		mu.Unlock()
	})
	c.HandleMessage(stanza.WithID("m2"), func(m *stanza.Message) {
		mu.Lock()
		got = append(got, "second:"+m.Body(""))
		mu.Unlock()
		close(done)
	})
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, done)
	mu.Lock()
	assert.Equal(t, []string{"first:one", "first:two", "second:two"}, got)
	mu.Unlock()
}

// TestSendIQContext: when the context ends, SendIQ returns its error and
// the session goes on; the late reply is dropped.
func TestSendIQContext(t *testing.T) {
	c := running(t, `C: <iq type='get' id='{{late}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
C: <iq type='get' id='{{next}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{late}}' from='localhost'/>
   <iq type='result' id='{{next}}' from='localhost'/>
`)
	require.NoError(t, c.Connect(ctxT(t)))
	iq := func() *stanza.IQ {
		iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
		iq.To = jid.MustParse("localhost")
		return iq
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.SendIQ(ctx, iq())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	next := iq()
	reply, err := c.SendIQ(ctxT(t), next)
	require.NoError(t, err)
	assert.Equal(t, next.ID, reply.ID)
}

// TestStreamErrorWhileRunning: a stream error ends the session: waiting
// calls fail, the state listener hears why, Err says it.
func TestStreamErrorWhileRunning(t *testing.T) {
	c := running(t, `C: <iq type='get' id='{{id}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>
C: </stream:stream>
`)
	states := make(chan xmpp.StateChange, 4)
	c.OnState(func(sc xmpp.StateChange) { states <- sc })
	require.NoError(t, c.Connect(ctxT(t)))
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
	iq.To = jid.MustParse("localhost")
	_, err := c.SendIQ(ctxT(t), iq)
	require.ErrorIs(t, err, xmpp.ErrNotConnected)
	require.ErrorIs(t, err, &stanza.StreamError{Condition: stanza.StreamConflict})
	<-c.Done()
	require.ErrorIs(t, c.Err(), &stanza.StreamError{Condition: stanza.StreamConflict})
	var seen []xmpp.State
	for sc := range states {
		seen = append(seen, sc.State)
		if sc.State == xmpp.StateClosed {
			require.ErrorIs(t, sc.Err, &stanza.StreamError{Condition: stanza.StreamConflict})
			break
		}
	}
	assert.Equal(t, []xmpp.State{xmpp.StateConnected, xmpp.StateAuthenticated, xmpp.StateClosed}, seen)
	require.ErrorIs(t, c.Send(ctxT(t), &stanza.Message{}), xmpp.ErrNotConnected)
}

// TestStreamEndsRightAfterLogin: a server that ends the stream just after
// the login leaves Connect successful (the login did happen); the end is
// told by StateClosed and Done, as any later end is. The server's end
// races Connect's return: run with -count to see both orders.
func TestStreamEndsRightAfterLogin(t *testing.T) {
	c := running(t, "S: </stream:stream>\nC: </stream:stream>\n", func(cfg *xmpp.Config) {
		cfg.Reconnect.Disabled = true
	})
	closed := make(chan error, 1)
	c.OnState(func(sc xmpp.StateChange) {
		if sc.State == xmpp.StateClosed {
			closed <- sc.Err
		}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	wait(t, c.Done())
	assert.ErrorIs(t, <-closed, xmpp.ErrServerClosed)
	assert.ErrorIs(t, c.Send(ctxT(t), &stanza.Message{}), xmpp.ErrNotConnected)
}

// TestBadXMLWhileRunning: XML the client cannot accept ends the stream
// with the stream error it calls for, and the connection shuts down.
func TestBadXMLWhileRunning(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		condition   stanza.StreamCondition
	}{
		{"not well-formed", "<message><body>x</bod></message>", stanza.NotWellFormed},
		{"restricted", "<message><!-- a comment --></message>", stanza.RestrictedXML},
		{"too large", "<message><body>" + strings.Repeat("x", 5000) + "</body></message>", stanza.StreamPolicyViolation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := running(t, "S: "+tc.input+"\nC: <stream:error><"+string(tc.condition)+" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>{{*}}</text></stream:error></stream:stream>\n",
				func(cfg *xmpp.Config) { cfg.MaxStanzaSize = 4096 })
			require.NoError(t, c.Connect(ctxT(t)))
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the connection did not end")
			}
			require.Error(t, c.Err())
		})
	}
}

// TestMalformedRequest: an IQ get with a bad address gets a stanza error
// back, and the session goes on.
func TestMalformedRequest(t *testing.T) {
	c := running(t, `S: <iq type='get' id='bad' to='alice@localhost/r' from='bob@localhost/b'><a xmlns='urn:x'/><b xmlns='urn:x'/></iq>
C: <iq type='error' id='bad' to='bob@localhost/b'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>{{*}}</text></error></iq>
S: <message from='bob@localhost/b' id='after'><body>still here</body></message>
`)
	got := make(chan *stanza.Message, 1)
	c.HandleMessage(nil, func(m *stanza.Message) { got <- m })
	require.NoError(t, c.Connect(ctxT(t)))
	select {
	case m := <-got:
		assert.Equal(t, "still here", m.Body(""))
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not go on")
	}
}

// TestCloseFailsWaiters: Close ends a SendIQ that waits for a reply.
func TestCloseFailsWaiters(t *testing.T) {
	sent := make(chan struct{})
	c := running(t, `C: <iq type='get' id='{{id}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
`+closing, func(cfg *xmpp.Config) {
		cfg.Recorder = lineWatcher{prefix: "C: <iq", contains: "urn:xmpp:ping", seen: sent}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	errc := make(chan error, 1)
	go func() {
		iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
		iq.To = jid.MustParse("localhost")
		_, err := c.SendIQ(context.Background(), iq)
		errc <- err
	}()
	wait(t, sent) // the request goes out before Close's presence
	require.NoError(t, c.Close())
	select {
	case err := <-errc:
		require.ErrorIs(t, err, xmpp.ErrNotConnected)
	case <-time.After(5 * time.Second):
		t.Fatal("SendIQ still waits after Close")
	}
	require.NoError(t, c.Err())
}

// TestRegistrationRemove: handlers removed stop receiving; a duplicate IQ
// handler is a programmer error.
func TestRegistration(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	h := xmpp.IQHandlerFunc(func(context.Context, *stanza.IQ) (*stanza.Node, error) { return nil, nil })
	remove := c.HandleIQ(stanza.Get, pingName, h)
	assert.Panics(t, func() { c.HandleIQ(stanza.Get, pingName, h) })
	remove()
	remove()
	assert.NotPanics(t, func() { c.HandleIQ(stanza.Get, pingName, h) })
	assert.Panics(t, func() { c.HandleIQ(stanza.Result, pingName, h) })
	require.ErrorIs(t, c.Send(context.Background(), &stanza.Message{}), xmpp.ErrNotConnected)
	_, err := c.SendIQ(context.Background(), &stanza.IQ{Type: stanza.Result})
	require.True(t, errors.Is(err, xmpp.ErrBadIQ))
}

// TestSendIQFunc: the reply reaches f on the reader, in its place among
// the stanzas: what f queues with Dispatch runs after the messages read
// before the reply (the first still held by its listener when f runs)
// and before the one read after it. A forged reply is not a reply.
func TestSendIQFunc(t *testing.T) {
	c := running(t, `S: <message from='bob@localhost/b' id='m1'><body>1</body></message>
C: <iq type='get' id='{{q}}' to='bob@localhost/b'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{q}}' from='mallory@localhost/m'/>
   <message from='bob@localhost/b' id='m2'><body>2</body></message>
   <iq type='result' id='{{q}}' from='bob@localhost/b'/>
   <message from='bob@localhost/b' id='m3'><body>3</body></message>
`+closing)
	var order []string
	replied := make(chan struct{})
	done := make(chan struct{})
	c.HandleMessage(nil, func(m *stanza.Message) {
		if m.ID == "m1" {
			wait(t, replied) // the dispatcher is held: f runs all the same
		}
		order = append(order, m.ID)
		if m.ID == "m3" {
			close(done)
		}
	})
	connect(t, c)
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
	iq.To = jid.MustParse("bob@localhost/b")
	calls := 0
	require.NoError(t, c.SendIQFunc(ctxT(t), iq, func(reply *stanza.IQ, err error) {
		calls++
		assert.NoError(t, err)
		assert.Equal(t, "bob@localhost/b", reply.From.String())
		c.Dispatch(func() { order = append(order, "reply") })
		close(replied)
	}))
	wait(t, done)
	assert.Equal(t, []string{"m1", "m2", "reply", "m3"}, order)
	assert.Equal(t, 1, calls)
}

// TestSendIQFuncEnds: f hears an error reply as its *stanza.Error, and
// ErrNotConnected with the cause when the session ends first; without a
// session SendIQFunc fails and f never runs.
func TestSendIQFuncEnds(t *testing.T) {
	c := running(t, `C: <iq type='get' id='{{e}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='error' id='{{e}}' from='localhost'><error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{z}}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
S: <stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>
C: </stream:stream>
`)
	ping := func() *stanza.IQ {
		iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: pingName}}
		iq.To = jid.MustParse("localhost")
		return iq
	}
	never := func(*stanza.IQ, error) { t.Error("f called without a session") }
	require.ErrorIs(t, c.SendIQFunc(ctxT(t), ping(), never), xmpp.ErrNotConnected)
	connect(t, c)

	errs := make(chan error, 2)
	require.NoError(t, c.SendIQFunc(ctxT(t), ping(), func(reply *stanza.IQ, err error) {
		assert.NotNil(t, reply)
		errs <- err
	}))
	require.ErrorIs(t, <-errs, &stanza.Error{Condition: stanza.FeatureNotImplemented})
	require.NoError(t, c.SendIQFunc(ctxT(t), ping(), func(reply *stanza.IQ, err error) {
		assert.Nil(t, reply)
		errs <- err
	}))
	err := <-errs
	require.ErrorIs(t, err, xmpp.ErrNotConnected)
	require.ErrorIs(t, err, &stanza.StreamError{Condition: stanza.StreamConflict})
	<-c.Done()
	require.ErrorIs(t, c.SendIQFunc(ctxT(t), ping(), never), xmpp.ErrNotConnected)
	assert.ErrorIs(t, c.SendIQFunc(ctxT(t), &stanza.IQ{Type: stanza.Result}, never), xmpp.ErrBadIQ)
	assert.Panics(t, func() { _ = c.SendIQFunc(ctxT(t), ping(), nil) })
}

// TestCollectorPoll: Next with an ended context returns a stanza already
// collected, and the context's error once none is left.
func TestCollectorPoll(t *testing.T) {
	c := running(t, `S: <message from='bob@localhost/b' id='m1'><body>1</body></message>
   <message from='bob@localhost/b' id='m2'><body>2</body></message>
`+closing)
	col := c.Collect(stanza.IsMessage(), 2)
	defer col.Close()
	both := make(chan struct{})
	c.HandleMessage(stanza.WithID("m2"), func(*stanza.Message) { close(both) })
	connect(t, c)
	wait(t, both) // the collector was offered both before the dispatcher had m2
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, id := range []string{"m1", "m2"} {
		st, err := col.Next(ended)
		require.NoError(t, err)
		assert.Equal(t, id, st.Head().ID)
	}
	_, err := col.Next(ended)
	assert.ErrorIs(t, err, context.Canceled)
}
