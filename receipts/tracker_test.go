package receipts_test

import (
	"context"
	"encoding/xml"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/receipts"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	bob   = jid.MustParse("bob@localhost/b")
)

func transcript(t *testing.T, name, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, name, s)
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

func chat(to jid.JID, id, body string) *stanza.Message {
	m := &stanza.Message{Type: stanza.Chat}
	if body != "" {
		m.Bodies = []stanza.Text{{Value: body}}
	}
	m.To, m.ID = to, id
	return m
}

// Marker messages prove that nothing was sent before them: the script's
// last step is the client's answer to a marker, so an ack sent for any
// earlier message would meet the transcript where the marker reply is
// expected and fail the test. onMarker answers a message whose id starts
// with "marker" with a message of id "reply-" + that id; register it after
// the Tracker so that it runs after the Tracker saw the same message.
const markerReply = "C: <message id='reply-marker' to='bob@localhost/b' type='chat'><body>marker</body></message>\n"

func onMarker(t *testing.T, c *xmpp.Conn) (answered <-chan struct{}) {
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("marker"), func(m *stanza.Message) {
		assert.NoError(t, c.Send(context.Background(), chat(m.From, "reply-"+m.ID, "marker")))
		close(done)
	})
	return done
}

var nameActive = xml.Name{Space: "http://jabber.org/protocol/chatstates", Local: "active"}

// TestAutoRequest: with SetAutoRequest(true), outgoing content messages of
// type normal, chat and headline get a request; messages without a body,
// groupchat and error messages, acks and messages with a request already
// do not; Send gives the id first. Turned off, nothing is added.
func TestAutoRequest(t *testing.T) {
	tr := transcript(t, "auto-request", `
C: <message id='{{m1}}' to='bob@localhost/b' type='chat'><body>hi</body><request xmlns='urn:xmpp:receipts'/></message>
C: <message id='m2' to='bob@localhost/b'><body>normal</body><request xmlns='urn:xmpp:receipts'/></message>
C: <message id='m3' to='bob@localhost/b' type='headline'><body>news</body><request xmlns='urn:xmpp:receipts'/></message>
C: <message id='m4' to='bob@localhost/b' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>
C: <message id='m5' to='room@conference.localhost' type='groupchat'><body>hi all</body></message>
C: <message id='m6' to='bob@localhost/b' type='error'><body>bounced</body></message>
C: <message id='m7' to='bob@localhost/b' type='chat'><body>once</body><request xmlns='urn:xmpp:receipts'/></message>
C: <message id='m8' to='bob@localhost/b' type='chat'><body>ack</body><received xmlns='urn:xmpp:receipts' id='x'/></message>
C: <message id='m9' to='bob@localhost/b' type='chat'><body>off</body></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	r := receipts.For(c)
	assert.False(t, r.AutoRequest(), "off by default")
	r.SetAutoRequest(true)
	assert.True(t, r.AutoRequest())
	require.NoError(t, c.Connect(ctxT(t)))
	m1 := chat(bob, "", "hi")
	require.NoError(t, c.Send(ctxT(t), m1))
	require.NotEmpty(t, m1.ID, "Send gave the id, and the request names it")

	normal := chat(bob, "m2", "normal")
	normal.Type = ""
	headline := chat(bob, "m3", "news")
	headline.Type = stanza.Headline
	state := chat(bob, "m4", "")
	state.Extensions = []stanza.Node{{Name: nameActive}}
	group := chat(jid.MustParse("room@conference.localhost"), "m5", "hi all")
	group.Type = stanza.Groupchat
	errm := chat(bob, "m6", "bounced")
	errm.Type = stanza.MessageError
	once := chat(bob, "m7", "once")
	require.True(t, receipts.AddRequest(once))
	ack := chat(bob, "m8", "ack")
	ack.Extensions, _ = stanza.AppendExtension(nil, &receipts.Received{ID: "x"})
	for _, m := range []*stanza.Message{normal, headline, state, group, errm, once, ack} {
		require.NoError(t, c.Send(ctxT(t), m))
	}
	r.SetAutoRequest(false)
	require.NoError(t, c.Send(ctxT(t), chat(bob, "m9", "off")))
}

// TestAutoRequestOffByDefault: a Tracker left at its defaults leaves
// outgoing messages alone.
func TestAutoRequestOffByDefault(t *testing.T) {
	tr := transcript(t, "auto-request-off", `
C: <message id='m1' to='bob@localhost/b' type='chat'><body>hi</body></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	receipts.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	require.NoError(t, c.Send(ctxT(t), chat(bob, "m1", "hi")))
}

// requests is what the server sends in the answering tests: a request
// from bob, and one from eve, then the marker.
const requests = `
S: <message from='bob@localhost/b' id='q-bob' type='chat'><body>from bob</body><thread>t1</thread><request xmlns='urn:xmpp:receipts'/></message>
S: <message from='eve@localhost/e' id='q-eve' type='chat'><body>from eve</body><request xmlns='urn:xmpp:receipts'/></message>
`

const (
	ackBob = "C: <message id='{{*}}' to='bob@localhost/b' type='chat'><received xmlns='urn:xmpp:receipts' id='q-bob'/></message>\n"
	ackEve = "C: <message id='{{*}}' to='eve@localhost/e' type='chat'><received xmlns='urn:xmpp:receipts' id='q-eve'/></message>\n"
	marker = "S: <message from='bob@localhost/b' id='marker' type='chat'><body>marker</body></message>\n"
)

// attachRoster attaches the connection's Roster, which the Tracker asks
// in mode IfSubscribed.
func attachRoster(c *xmpp.Conn) *roster.Roster { return roster.For(c) }

// rosterLoaded is the Roster's fetch at login, answered with items, and
// then a message the test sends once the Roster has the result, so that
// what the server sends next finds it loaded.
func rosterLoaded(items string) string {
	return `
C: <iq type='get' id='{{roster}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='result' id='{{roster}}'><query xmlns='jabber:iq:roster'>` + items + `</query></iq>
C: <message id='loaded' to='localhost' type='chat'/>
`
}

// whenLoaded waits, in a synctest bubble, for the Roster attached to c to
// have applied the fetch of rosterLoaded, and tells the server so.
func whenLoaded(t *testing.T, c *xmpp.Conn) {
	t.Helper()
	synctest.Wait() // the Roster's fetch is over
	_, ok := xmpp.Attached[roster.Roster](c).Entry(bob)
	require.True(t, ok, "the roster is loaded")
	require.NoError(t, c.Send(ctxT(t), chat(jid.MustParse("localhost"), "loaded", "")))
}

// TestAnswerModes: each mode answers the requests it should, to the full
// JID they came from, with the request's type and id and nothing else.
// The roster has bob with subscription both and eve with to (alice sees
// eve's presence, eve not alice's): IfSubscribed answers bob, not eve.
func TestAnswerModes(t *testing.T) {
	const items = `<item jid='bob@localhost' subscription='both'/><item jid='eve@localhost' subscription='to'/>`
	for _, tc := range []struct {
		name   string
		mode   receipts.Mode
		roster bool
		acks   string // what the client sends after the requests
	}{
		{"always", receipts.Always, true, ackBob + ackEve},
		{"always, no roster", receipts.Always, false, ackBob + ackEve},
		{"never", receipts.Never, true, ""},
		{"if subscribed", receipts.IfSubscribed, true, ackBob},
		{"if subscribed, no roster", receipts.IfSubscribed, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				script := requests + tc.acks + marker + markerReply
				if tc.roster {
					script = rosterLoaded(items) + script
				}
				c := xmpptest.NewConn(t, alice, transcript(t, tc.name, script))
				if tc.roster {
					attachRoster(c)
				}
				r := receipts.For(c)
				assert.Equal(t, receipts.IfSubscribed, r.Mode(), "the default")
				r.SetMode(tc.mode)
				answered := onMarker(t, c)
				require.NoError(t, c.Connect(ctxT(t)))
				if tc.roster {
					whenLoaded(t, c)
				}
				<-answered
			})
		})
	}
}

// TestIfSubscribed: in mode IfSubscribed, the Tracker answers the
// contacts whose roster entry says they see the account's presence
// (subscription from or both), the account's other resources and its
// server; not the contacts with subscription to or none, nor a pending
// request, nor strangers. A subscription that the roster learns by a push
// counts from the next request.
func TestIfSubscribed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		req := func(from, id string) string {
			return "S: <message from='" + from + "' id='" + id + "' type='chat'><body>?</body><request xmlns='urn:xmpp:receipts'/></message>\n"
		}
		ack := func(to, id string) string {
			return "C: <message id='{{*}}' to='" + to + "' type='chat'><received xmlns='urn:xmpp:receipts' id='" + id + "'/></message>\n"
		}
		script := rosterLoaded(`
<item jid='bob@localhost' subscription='both'/>
<item jid='carol@localhost' subscription='from'/>
<item jid='eve@localhost' subscription='to'/>
<item jid='dave@localhost' subscription='none' ask='subscribe'/>`) +
			req("bob@localhost/b", "q-bob") + ack("bob@localhost/b", "q-bob") +
			req("carol@localhost/c", "q-carol") + ack("carol@localhost/c", "q-carol") +
			req("eve@localhost/e", "q-eve") +
			req("dave@localhost/d", "q-dave") +
			req("mallory@localhost/m", "q-mallory") +
			req("alice@localhost/other", "q-self") + ack("alice@localhost/other", "q-self") +
			req("localhost", "q-server") + ack("localhost", "q-server") +
			`S: <iq type='set' id='push1'><query xmlns='jabber:iq:roster'><item jid='eve@localhost' subscription='both'/></query></iq>
C: <iq type='result' id='push1'/>
` + req("eve@localhost/e", "q-eve2") + ack("eve@localhost/e", "q-eve2") +
			marker + markerReply
		c := xmpptest.NewConn(t, alice, transcript(t, "if-subscribed", script))
		attachRoster(c)
		receipts.For(c)
		answered := onMarker(t, c)
		require.NoError(t, c.Connect(ctxT(t)))
		whenLoaded(t, c)
		<-answered
	})
}

// TestSetMode: the mode changes from the next request.
func TestSetMode(t *testing.T) {
	tr := transcript(t, "set-mode", `
S: <message from='bob@localhost/b' id='q1' type='chat'><body>1</body><request xmlns='urn:xmpp:receipts'/></message>
C: <message id='{{*}}' to='bob@localhost/b' type='chat'><received xmlns='urn:xmpp:receipts' id='q1'/></message>
S: <message from='bob@localhost/b' id='q2' type='chat'><body>2</body><request xmlns='urn:xmpp:receipts'/></message>
`+marker+markerReply)
	c := xmpptest.NewConn(t, alice, tr)
	r := receipts.For(c)
	r.SetMode(receipts.Always)
	assert.Equal(t, receipts.Always, r.Mode())
	c.HandleMessage(stanza.WithID("q1"), func(*stanza.Message) { r.SetMode(receipts.Never) })
	onMarker(t, c)
	require.NoError(t, c.Connect(ctxT(t)))
}

// TestNotAnswered: requests that no mode answers: in a groupchat or error
// message, without an id, without a from, and in an ack message. The
// normal-type request at the end is answered with its type (none); only
// that answer is in the transcript.
func TestNotAnswered(t *testing.T) {
	tr := transcript(t, "not-answered", `
S: <message from='room@conference.localhost/bob' id='g1' type='groupchat'><body>hi all</body><request xmlns='urn:xmpp:receipts'/></message>
S: <message from='bob@localhost/b' id='e1' type='error'><body>x</body><request xmlns='urn:xmpp:receipts'/><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>
S: <message from='bob@localhost/b' type='chat'><body>no id</body><request xmlns='urn:xmpp:receipts'/></message>
S: <message id='no-from' type='chat'><body>from the server</body><request xmlns='urn:xmpp:receipts'/></message>
S: <message from='bob@localhost/b' id='k1' type='chat'><received xmlns='urn:xmpp:receipts' id='m0'/><request xmlns='urn:xmpp:receipts'/></message>
S: <message from='alice@localhost' id='c1' type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@localhost/other' to='bob@localhost/b' id='own' type='chat'><body>carbon</body><request xmlns='urn:xmpp:receipts'/></message></forwarded></sent></message>
S: <message from='bob@localhost/b' id='n1'><body>normal</body><request xmlns='urn:xmpp:receipts'/></message>
C: <message id='{{*}}' to='bob@localhost/b'><received xmlns='urn:xmpp:receipts' id='n1'/></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	receipts.For(c).SetMode(receipts.Always)
	require.NoError(t, c.Connect(ctxT(t)))
}

// receiptSeen is one call of an OnReceipt listener.
type receiptSeen struct {
	From jid.JID
	ID   string
}

func collect(t *testing.T, r *receipts.Tracker) <-chan receiptSeen {
	ch := make(chan receiptSeen, 16)
	r.OnReceipt(func(e receipts.Receipt) {
		assert.Equal(t, e.From, e.Message.From)
		ch <- receiptSeen{e.From, e.ID}
	})
	return ch
}

func next(t *testing.T, ch <-chan receiptSeen) receiptSeen {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(xmpptest.ReplayTimeout): // a bound for a broken test, not a measurement
		t.Fatal("no receipt reported")
		return receiptSeen{}
	}
}

// TestOnReceipt: listeners get the sender and the acknowledged id, from
// the standard form and from Openfire's msgId; receipts in error messages
// and receipts without an id are not reported (the order of what is
// reported proves it); a removed listener hears nothing more.
func TestOnReceipt(t *testing.T) {
	tr := transcript(t, "on-receipt", `
S: <message from='bob@localhost/b' id='bounce' type='error'><received xmlns='urn:xmpp:receipts' id='bounced'/><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>
S: <message from='bob@localhost/b' id='r1' type='chat'><received xmlns='urn:xmpp:receipts' id='m1'/></message>
S: <message from='bob@localhost/b' id='r2'><received xmlns='urn:xmpp:receipts'/></message>
S: <message from="903e652d2334628a@oatest.dgcb.com.cn/phone" to="alice@localhost/a"><received msgId="nCRIE-44" status="1" time="2018-10-20 14:50:16:566" xmlns="urn:xmpp:receipts"/></message>
S: <message from='room@conference.localhost/bob' id='r3' type='groupchat'><received xmlns='urn:xmpp:receipts' id='m3'/></message>
S: <message from='bob@localhost/b' id='r4' type='chat'><received xmlns='urn:xmpp:receipts' id='m4'/></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	r := receipts.For(c)
	first := make(chan receiptSeen, 16)
	removeFirst := r.OnReceipt(func(e receipts.Receipt) {
		first <- receiptSeen{e.From, e.ID}
	})
	all := collect(t, r)
	c.HandleMessage(stanza.WithID("r3"), func(*stanza.Message) { removeFirst() })
	require.NoError(t, c.Connect(ctxT(t)))
	assert.Equal(t, receiptSeen{bob, "m1"}, next(t, all))
	assert.Equal(t, receiptSeen{jid.MustParse("903e652d2334628a@oatest.dgcb.com.cn/phone"), "nCRIE-44"}, next(t, all))
	assert.Equal(t, receiptSeen{jid.MustParse("room@conference.localhost/bob"), "m3"}, next(t, all))
	assert.Equal(t, receiptSeen{bob, "m4"}, next(t, all))
	// The first listener heard the receipts up to r3 (its removal runs
	// after the Tracker's listener saw r3), not r4.
	assert.Equal(t, receiptSeen{bob, "m1"}, next(t, first))
	assert.Equal(t, "nCRIE-44", next(t, first).ID)
	assert.Equal(t, "m3", next(t, first).ID)
	assert.Empty(t, first)
}

// TestSeedOpenfire replays the seed's exchange with Openfire (its
// lines 700-720, xmpp/testdata/openfire-seed.xmpp): the message goes out
// with a request, Openfire's msgId receipt is reported, and the copy
// Openfire sends to the account's bare JID (no request) is not answered:
// the last step of the script is the marker's reply.
func TestSeedOpenfire(t *testing.T) {
	me := jid.MustParse("8049a646c63e65e8@oatest.dgcb.com.cn/phone")
	peer := jid.MustParse("903e652d2334628a@oatest.dgcb.com.cn/phone")
	tr := transcript(t, "openfire-seed", `
C: <message id='nCRIE-44' to='903e652d2334628a@oatest.dgcb.com.cn/phone' type='chat'>
    <body>你好，我是包青天</body>
    <thread>6828a752-cfae-4149-9d4d-c8fb83a17175</thread>
    <request xmlns='urn:xmpp:receipts'/>
   </message>
S: <message from="903e652d2334628a@oatest.dgcb.com.cn/phone" to="8049a646c63e65e8@oatest.dgcb.com.cn/phone">
    <received msgId="nCRIE-44" status="1" time="2018-10-20 14:50:16:566" xmlns="urn:xmpp:receipts"/>
   </message>
S: <message from="8049a646c63e65e8@oatest.dgcb.com.cn" id="nCRIE-44mutisingle" to="8049a646c63e65e8@oatest.dgcb.com.cn" type="chat">
    <subject>903e652d2334628a@oatest.dgcb.com.cn</subject>
    <body>你好，我是包青天</body>
    <send time="2018-10-20 14:50:16:571" xmlns="icitic:msg:single"/>
   </message>
S: <message from='903e652d2334628a@oatest.dgcb.com.cn/phone' id='marker' type='chat'><body>marker</body></message>
C: <message id='reply-marker' to='903e652d2334628a@oatest.dgcb.com.cn/phone' type='chat'><body>marker</body><request xmlns='urn:xmpp:receipts'/></message>
`)
	c := xmpptest.NewConn(t, me, tr)
	r := receipts.For(c)
	r.SetAutoRequest(true)
	r.SetMode(receipts.Always)
	got := collect(t, r)
	onMarker(t, c)
	require.NoError(t, c.Connect(ctxT(t)))
	m := chat(peer, "nCRIE-44", "你好，我是包青天")
	m.Thread.ID = "6828a752-cfae-4149-9d4d-c8fb83a17175"
	require.NoError(t, c.Send(ctxT(t), m))
	assert.Equal(t, receiptSeen{peer, "nCRIE-44"}, next(t, got))
}

// TestClose: after Close the Tracker adds no request, answers no request,
// reports no receipt, and no longer announces its feature; the
// connection's own listeners stay.
func TestClose(t *testing.T) {
	tr := transcript(t, "close", `
C: <message id='m1' to='bob@localhost/b' type='chat'><body>hi</body></message>
S: <message from='bob@localhost/b' id='q1' type='chat'><body>1</body><request xmlns='urn:xmpp:receipts'/></message>
S: <message from='bob@localhost/b' id='r1' type='chat'><received xmlns='urn:xmpp:receipts' id='m0'/></message>
`+marker+markerReply)
	c := xmpptest.NewConn(t, alice, tr)
	r := receipts.For(c)
	r.SetMode(receipts.Always)
	r.SetAutoRequest(true)
	got := collect(t, r)
	answered := onMarker(t, c)
	assert.Contains(t, c.Announced(), receipts.NS)
	r.Close()
	r.Close()
	assert.NotContains(t, c.Announced(), receipts.NS)
	require.NoError(t, c.Connect(ctxT(t)))
	require.NoError(t, c.Send(ctxT(t), chat(bob, "m1", "hi")))
	select {
	case <-answered: // listeners run in order: r1 was delivered before
	case <-time.After(xmpptest.ReplayTimeout): // a bound for a broken test
		t.Fatal("the marker was not answered")
	}
	assert.Empty(t, got)
}

// TestAnnounce: a Tracker announces urn:xmpp:receipts, until Close.
func TestAnnounce(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: alice})
	r := receipts.For(c)
	assert.Equal(t, []string{receipts.NS}, c.Announced())
	r.Close()
	assert.Empty(t, c.Announced())
}

// TestShape: the one shape of a manager. For twice gives the same
// Tracker, and after Close a fresh one with the default settings;
// OnReceipt refuses nil; removing a listener removes exactly that one,
// and removing it again does nothing; receipts reach the listeners on the
// dispatcher in wire order with the connection's message listeners, the
// ones registered before the Tracker first and those after it last.
func TestShape(t *testing.T) {
	tr := transcript(t, "shape", `
S: <message from='bob@localhost/b' id='m1' type='chat'><body>1</body></message>
S: <message from='bob@localhost/b' id='r1' type='chat'><received xmlns='urn:xmpp:receipts' id='x1'/></message>
S: <message from='bob@localhost/b' id='m2' type='chat'><body>2</body></message>
S: <message from='bob@localhost/b' id='r2' type='chat'><received xmlns='urn:xmpp:receipts' id='x2'/></message>
`+marker+markerReply)
	var mu sync.Mutex
	var heard []string
	hear := func(s string) { mu.Lock(); heard = append(heard, s); mu.Unlock() }
	c := xmpptest.NewConn(t, alice, tr)
	c.HandleMessage(nil, func(m *stanza.Message) { hear("before " + m.ID) })
	r := receipts.For(c)
	assert.Same(t, r, receipts.For(c))
	assert.Panics(t, func() { r.OnReceipt(nil) })
	r.OnReceipt(func(e receipts.Receipt) { hear("a " + e.ID) })
	removeB := r.OnReceipt(func(e receipts.Receipt) { hear("b " + e.ID) })
	r.OnReceipt(func(e receipts.Receipt) { hear("c " + e.ID) })
	removeB()
	removeB()
	c.HandleMessage(nil, func(m *stanza.Message) { hear("after " + m.ID) })
	answered := onMarker(t, c)
	require.NoError(t, c.Connect(ctxT(t)))
	<-answered
	mu.Lock()
	assert.Equal(t, []string{
		"before m1", "after m1",
		"before r1", "a x1", "c x1", "after r1",
		"before m2", "after m2",
		"before r2", "a x2", "c x2", "after r2",
		"before marker", "after marker",
	}, heard)
	mu.Unlock()

	r.SetMode(receipts.Never)
	r.SetAutoRequest(true)
	r.Close()
	r.Close()
	q := receipts.For(c)
	assert.NotSame(t, r, q, "a fresh Tracker after Close")
	assert.Same(t, q, receipts.For(c))
	assert.Equal(t, receipts.IfSubscribed, q.Mode())
	assert.False(t, q.AutoRequest())
	q.Close()
}

func TestModeString(t *testing.T) {
	assert.Equal(t, "always", receipts.Always.String())
	assert.Equal(t, "never", receipts.Never.String())
	assert.Equal(t, "if-subscribed", receipts.IfSubscribed.String())
	assert.Equal(t, "Mode(9)", receipts.Mode(9).String())
}
