package chat_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice    = jid.MustParse("alice@localhost/a")
	bobBare  = jid.MustParse("bob@localhost")
	bobB     = jid.MustParse("bob@localhost/b")
	bobPhone = jid.MustParse("bob@localhost/phone")
	carol    = jid.MustParse("carol@localhost")
	dave     = jid.MustParse("dave@localhost")
	ctl      = jid.MustParse("ctl@localhost/x")
)

func transcript(t *testing.T, name, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, name, s)
}

// harness is a Chats on a scripted connection, driven by the script:
// a message of type headline from ctl@localhost/x with the body
// "send JID TEXT" makes the test send TEXT through JID's chat, and "done"
// closes done. Headline messages are never the Chats', and the
// control listener is registered after the Chats, so it runs after the
// Chats has seen every stanza before it: what the client sends in answer
// to a control message shows the Chats' state at that point in the
// script, and done tells the test that the script's stanzas were all
// handled.
type harness struct {
	c    *xmpp.Conn
	m    *chat.Chats
	done chan struct{}

	mu       sync.Mutex
	created  []string // "bob@localhost local=false"
	incoming []string // "bob@localhost <- bob@localhost/b: body"
	outgoing []string // "bob@localhost -> bob@localhost/b: body"
}

func start(t *testing.T, script string) *harness {
	t.Helper()
	return startFunc(t, script, nil)
}

// startFunc is start with setup, which runs before the login, after the
// harness's own listeners are registered.
func startFunc(t *testing.T, script string, setup func(*harness)) *harness {
	t.Helper()
	h := &harness{done: make(chan struct{})}
	c := xmpptest.NewConn(t, alice, transcript(t, t.Name(), script))
	h.c = c
	h.m = chat.For(c)
	h.m.OnChat(func(e chat.NewChat) {
		h.record(&h.created, "%s local=%t", e.Chat.JID(), e.Local)
	})
	h.m.OnOutgoing(func(e chat.Outgoing) {
		h.record(&h.outgoing, "%s -> %s: %s", e.Chat.JID(), e.Message.To, e.Message.Body(""))
	})
	h.m.OnMessage(func(e chat.Incoming) {
		carbon := ""
		if e.Carbon != 0 {
			carbon = fmt.Sprintf(" [%s to %s]", e.Carbon, e.Message.To)
		}
		h.record(&h.incoming, "%s <- %s: %s%s", e.Chat.JID(), e.Message.From, e.Message.Body(""), carbon)
		// "ping" asks for an answer through the chat.
		if body := e.Message.Body(""); strings.HasPrefix(body, "ping") {
			_, err := e.Chat.Send(context.Background(), "pong")
			assert.NoError(t, err)
		}
	})
	c.HandleMessage(stanza.From(ctl), func(msg *stanza.Message) {
		cmd := strings.SplitN(msg.Body(""), " ", 3)
		switch cmd[0] {
		case "send":
			ch := h.m.Chat(jid.MustParse(cmd[1]))
			_, err := ch.Send(context.Background(), cmd[2])
			assert.NoError(t, err)
		case "done":
			close(h.done)
		}
	})
	if setup != nil {
		setup(h)
	}
	require.NoError(t, c.Connect(t.Context()))
	return h
}

func (h *harness) record(to *[]string, format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	*to = append(*to, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// wait waits for the script's "done".
func (h *harness) wait(t *testing.T) {
	t.Helper()
	waitFor(t, h.done, "the script's done message")
}

// flush waits until the dispatcher has run what was queued before it:
// the OnChat listeners of chats the test goroutine made.
func (h *harness) flush(t *testing.T) {
	t.Helper()
	flush(t, h.c)
}

func flush(t *testing.T, c *xmpp.Conn) {
	t.Helper()
	done := make(chan struct{})
	c.Dispatch(func() { close(done) })
	waitFor(t, done, "a func queued with Dispatch")
}

// waitFor waits for ch, a channel a listener closes.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(xmpptest.ReplayTimeout):
		t.Fatalf("%s: not handled", what)
	}
}

func (h *harness) seen() (created, incoming, outgoing []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.created, h.incoming, h.outgoing
}

// ctlSend is the control message that makes the client send text to j's
// chat; done is the one that ends a script.
func ctlSend(j, text string) string {
	return "S: <message from='ctl@localhost/x' type='headline'><body>send " + j + " " + text + "</body></message>\n"
}

const done = "S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>\n"

// end is the last step of a script whose test looks at the Chats after
// done: the scripted server closes the stream when its script ends, and
// the end of the stream unlocks every chat. The test calls h.end when it
// has looked.
const end = "C: <message id='end' to='ctl@localhost/x' type='headline'><body>end</body></message>\n"

func (h *harness) end(t *testing.T) {
	t.Helper()
	m := &stanza.Message{Type: stanza.Headline, Bodies: []stanza.Text{{Value: "end"}}}
	m.ID, m.To = "end", ctl
	require.NoError(t, h.c.Send(t.Context(), m))
}

// TestIncomingCreatesChat: a chat message from bob's full JID creates
// bob's chat (OnChat, local false, before OnMessage), locks it to that
// JID and takes its thread; the answer through the chat goes to the full
// JID with the thread, and the outgoing listener sees it.
func TestIncomingCreatesChat(t *testing.T) {
	h := start(t, `
S: <message from='bob@localhost/b' id='m1' type='chat'><body>ping</body><thread>t1</thread></message>
C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>pong</body><thread>t1</thread></message>
`+done+end)
	h.wait(t)
	defer h.end(t)
	created, incoming, outgoing := h.seen()
	assert.Equal(t, []string{"bob@localhost local=false"}, created)
	assert.Equal(t, []string{"bob@localhost <- bob@localhost/b: ping"}, incoming)
	assert.Equal(t, []string{"bob@localhost -> bob@localhost/b: pong"}, outgoing)

	ch := h.m.Lookup(bobB)
	require.NotNil(t, ch)
	assert.Same(t, ch, h.m.Chat(bobBare), "one chat per bare JID")
	assert.Equal(t, bobBare, ch.JID())
	assert.Equal(t, bobB, ch.Locked())
	assert.Equal(t, bobB, ch.To())
	assert.Equal(t, "t1", ch.Thread())
	assert.Equal(t, []*chat.Chat{ch}, h.m.List())
}

// TestUnlock: after bob's message from bob/b locks the chat, each trigger
// either unlocks it (the next message goes to the bare JID), moves the
// lock, or leaves it, as RFC 6121 section 5.1 and the package doc say.
func TestUnlock(t *testing.T) {
	const (
		lockedB = "C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>next</body><thread>t1</thread></message>\n"
		bare    = "C: <message id='{{*}}' to='bob@localhost' type='chat'><body>next</body><thread>t1</thread></message>\n"
		phone   = "C: <message id='{{*}}' to='bob@localhost/phone' type='chat'><body>next</body><thread>t1</thread></message>\n"
	)
	for _, tc := range []struct {
		name    string
		trigger string
		normal  bool
		want    string // the client's message after the trigger
	}{
		{"available presence from the locked resource", `<presence from='bob@localhost/b'><show>away</show></presence>`, false, bare},
		{"unavailable presence from the locked resource", `<presence from='bob@localhost/b' type='unavailable'/>`, false, bare},
		{"presence error from the locked resource", `<presence from='bob@localhost/b' type='error'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>`, false, bare},
		{"presence from the bare JID", `<presence from='bob@localhost' type='unsubscribed'/>`, false, bare},
		{"presence from another resource", `<presence from='bob@localhost/phone' type='unavailable'/>`, false, lockedB},
		{"presence from another contact", `<presence from='carol@localhost/c' type='unavailable'/>`, false, lockedB},
		{"message from another resource", `<message from='bob@localhost/phone' type='chat'><body>x</body></message>`, false, phone},
		{"message from the bare JID", `<message from='bob@localhost' type='chat'><body>x</body></message>`, false, bare},
		{"error message from the locked resource", `<message from='bob@localhost/b' type='error'><body>next</body><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`, false, bare},
		{"error message from another resource", `<message from='bob@localhost/phone' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`, false, lockedB},
		{"chat state from another resource", `<message from='bob@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, false, lockedB},
		{"groupchat message", `<message from='bob@localhost/phone' type='groupchat'><body>x</body></message>`, false, lockedB},
		{"headline message", `<message from='bob@localhost/phone' type='headline'><body>x</body></message>`, false, lockedB},
		{"normal message", `<message from='bob@localhost/phone'><body>x</body></message>`, false, lockedB},
		{"normal message taken", `<message from='bob@localhost/phone'><body>x</body></message>`, true, phone},
		{"new thread", `<message from='bob@localhost/b' type='chat'><body>x</body><thread>t2</thread></message>`, false,
			"C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>next</body><thread>t2</thread></message>\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startFunc(t, `
S: <message from='bob@localhost/b' type='chat'><body>ping</body><thread>t1</thread></message>
C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>pong</body><thread>t1</thread></message>
S: `+tc.trigger+"\n"+ctlSend("bob@localhost", "next")+tc.want+done, func(h *harness) { h.m.SetNormalMessages(tc.normal) })
			h.wait(t)
		})
	}
}

// TestRelock: a conversation that moves between bob's resources follows
// him, and a presence from the resource he left does not unlock the chat.
func TestRelock(t *testing.T) {
	h := start(t, `
S: <message from='bob@localhost/b' type='chat'><body>ping 1</body><thread>t1</thread></message>
C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>pong</body><thread>t1</thread></message>
S: <message from='bob@localhost/phone' type='chat'><body>ping 2</body><thread>t1</thread></message>
C: <message id='{{*}}' to='bob@localhost/phone' type='chat'><body>pong</body><thread>t1</thread></message>
S: <presence from='bob@localhost/b' type='unavailable'/>
`+ctlSend("bob@localhost", "still phone")+`
C: <message id='{{*}}' to='bob@localhost/phone' type='chat'><body>still phone</body><thread>t1</thread></message>
S: <presence from='bob@localhost/phone' type='unavailable'/>
`+ctlSend("bob@localhost", "bare")+`
C: <message id='{{*}}' to='bob@localhost' type='chat'><body>bare</body><thread>t1</thread></message>
`+done)
	h.wait(t)
	created, incoming, _ := h.seen()
	assert.Equal(t, []string{"bob@localhost local=false"}, created)
	assert.Equal(t, []string{
		"bob@localhost <- bob@localhost/b: ping 1",
		"bob@localhost <- bob@localhost/phone: ping 2",
	}, incoming)
	assert.True(t, h.m.Lookup(bobBare).Locked().IsZero())
}

// TestLockingDisabled: with SetLocking(false) the answer goes to the bare
// JID, with the thread.
func TestLockingDisabled(t *testing.T) {
	h := startFunc(t, `
S: <message from='bob@localhost/b' type='chat'><body>ping</body><thread>t1</thread></message>
C: <message id='{{*}}' to='bob@localhost' type='chat'><body>pong</body><thread>t1</thread></message>
`+done+end, func(h *harness) {
		h.m.SetLocking(false)
		assert.False(t, h.m.Locking())
	})
	h.wait(t)
	defer h.end(t)
	ch := h.m.Lookup(bobBare)
	require.NotNil(t, ch)
	assert.True(t, ch.Locked().IsZero())
	assert.Equal(t, bobBare, ch.To())
}

// TestThread: a chat the client starts makes up a thread and keeps it
// (whichever resource the client names); the contact's thread replaces
// it; a message without a thread keeps the one the chat has; a message
// with a thread of its own keeps it.
func TestThread(t *testing.T) {
	h := start(t, ctlSend("dave@localhost", "one")+`
C: <message id='{{*}}' to='dave@localhost' type='chat'><body>one</body><thread>{{made-up}}</thread></message>
`+ctlSend("dave@localhost/named", "two")+`
C: <message id='{{*}}' to='dave@localhost/named' type='chat'><body>two</body><thread>{{made-up}}</thread></message>
S: <message from='dave@localhost/d' type='chat'><body>ping</body><thread>t9</thread></message>
C: <message id='{{*}}' to='dave@localhost/d' type='chat'><body>pong</body><thread>t9</thread></message>
S: <message from='dave@localhost/d' type='chat'><body>ping, no thread</body></message>
C: <message id='{{*}}' to='dave@localhost/d' type='chat'><body>pong</body><thread>t9</thread></message>
`+done+`
C: <message id='own-id' to='dave@localhost/d' type='chat'><body>own</body><thread parent='t9'>t10</thread></message>
`)
	h.wait(t)
	ch := h.m.Lookup(dave)
	require.NotNil(t, ch)
	assert.Equal(t, "t9", ch.Thread())
	msg := &stanza.Message{Type: stanza.Headline, Bodies: []stanza.Text{{Value: "own"}}, Thread: stanza.Thread{ID: "t10", Parent: "t9"}}
	msg.ID = "own-id"
	id, err := ch.SendMessage(t.Context(), msg)
	require.NoError(t, err)
	assert.Equal(t, "own-id", id)
	assert.Equal(t, stanza.Chat, msg.Type, "SendMessage sets the type")
	assert.Equal(t, "t9", ch.Thread(), "a message's own thread does not change the chat's")
	created, _, _ := h.seen()
	assert.Equal(t, []string{"dave@localhost local=true"}, created)
}

// TestIgnored: messages Chats does not take create no chat and reach
// no listener.
func TestIgnored(t *testing.T) {
	h := start(t, `
S: <message type='chat'><body>from the server</body></message>
S: <message from='localhost' type='headline'><body>motd</body></message>
S: <message from='alice@localhost/other' type='chat'><body>from myself</body></message>
S: <message from='alice@localhost/other' type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@localhost/other' to='bob@localhost/b' type='chat'><body>carbon</body></message></forwarded></sent></message>
S: <message from='alice@localhost' type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@localhost/other' to='bob@localhost/b' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message></forwarded></sent></message>
S: <message from='bob@localhost/b' type='error'><body>bounced</body><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>
S: <message from='bob@localhost/b' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>
S: <message from='bob@localhost/b' type='chat'><body>x</body><received xmlns='urn:xmpp:receipts' id='q'/></message>
S: <message from='room@conference.localhost/bob' type='groupchat'><body>all</body></message>
S: <message from='room@conference.localhost/carol' type='chat'><body>private</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>
S: <message from='carol@localhost/c'><body>normal</body></message>
S: <message from='carol@localhost/c' type='headline'><body>news</body></message>
`+done)
	h.wait(t)
	created, incoming, _ := h.seen()
	assert.Equal(t, []string{"bob@localhost local=false"}, created, "only the chat message with a body")
	assert.Equal(t, []string{"bob@localhost <- bob@localhost/b: x"}, incoming)
	assert.Len(t, h.m.List(), 1)
}

// TestNormalMessages: with SetNormalMessages(true), a normal message with
// a body (typed or not) is taken; the answer is of type chat.
func TestNormalMessages(t *testing.T) {
	h := startFunc(t, `
S: <message from='carol@localhost/c'><body>ping</body></message>
C: <message id='{{*}}' to='carol@localhost/c' type='chat'><body>pong</body><thread>{{th}}</thread></message>
S: <message from='carol@localhost/c' type='normal'><body>x</body></message>
`+done, func(h *harness) {
		assert.False(t, h.m.NormalMessages(), "off by default")
		h.m.SetNormalMessages(true)
		assert.True(t, h.m.NormalMessages())
	})
	h.wait(t)
	_, incoming, _ := h.seen()
	assert.Equal(t, []string{
		"carol@localhost <- carol@localhost/c: ping",
		"carol@localhost <- carol@localhost/c: x",
	}, incoming)
}

var nameMarkable = xml.Name{Space: "urn:xmpp:chat-markers:0", Local: "markable"}

// TestOutgoing: the outgoing listeners see what chats send and the chat
// messages sent with the connection's Send (which create the addressee's
// chat), and may add an extension; other messages pass unseen.
func TestOutgoing(t *testing.T) {
	h := start(t, `
C: <message id='o1' to='bob@localhost' type='chat'><body>via chat</body><thread>{{th}}</thread><markable xmlns='urn:xmpp:chat-markers:0'/></message>
C: <message id='o2' to='carol@localhost/c' type='chat'><body>via conn</body><markable xmlns='urn:xmpp:chat-markers:0'/></message>
C: <message id='o3' to='room@conference.localhost' type='groupchat'><body>room</body></message>
C: <message id='o4' to='carol@localhost/c' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>
C: <message id='o5' to='alice@localhost/other' type='chat'><body>me</body></message>
`)
	h.m.OnOutgoing(func(e chat.Outgoing) {
		e.Message.Extensions = append(e.Message.Extensions, stanza.Node{Name: nameMarkable})
	})
	ctx := t.Context()
	m1 := &stanza.Message{Bodies: []stanza.Text{{Value: "via chat"}}}
	m1.ID = "o1"
	id, err := h.m.Chat(bobBare).SendMessage(ctx, m1)
	require.NoError(t, err)
	assert.Equal(t, "o1", id, "the message's own id")

	msg := func(id string, to jid.JID, typ stanza.MessageType, body string) *stanza.Message {
		m := &stanza.Message{Type: typ}
		if body != "" {
			m.Bodies = []stanza.Text{{Value: body}}
		}
		m.ID, m.To = id, to
		return m
	}
	require.NoError(t, h.c.Send(ctx, msg("o2", jid.MustParse("carol@localhost/c"), stanza.Chat, "via conn")))
	require.NoError(t, h.c.Send(ctx, msg("o3", jid.MustParse("room@conference.localhost"), stanza.Groupchat, "room")))
	m4 := msg("o4", jid.MustParse("carol@localhost/c"), stanza.Chat, "")
	m4.Extensions = []stanza.Node{{Name: xml.Name{Space: "http://jabber.org/protocol/chatstates", Local: "composing"}}}
	require.NoError(t, h.c.Send(ctx, m4))
	require.NoError(t, h.c.Send(ctx, msg("o5", jid.MustParse("alice@localhost/other"), stanza.Chat, "me")))

	h.flush(t)
	created, _, outgoing := h.seen()
	assert.Equal(t, []string{"bob@localhost local=true", "carol@localhost local=true"}, created)
	assert.Equal(t, []string{
		"bob@localhost -> bob@localhost: via chat",
		"carol@localhost -> carol@localhost/c: via conn",
	}, outgoing)
	assert.True(t, h.m.Lookup(carol).Locked().IsZero(), "sending does not lock")
	assert.Empty(t, h.m.Lookup(carol).Thread(), "Conn.Send does not thread")
}

// TestClosedChat: after Chat.Close the next message from the contact
// starts a new chat; the closed one still sends, reported with itself.
func TestClosedChat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var first *chat.Chat // set on the dispatcher, read after done
		h := startFunc(t, `
S: <message from='bob@localhost/b' type='chat'><body>one</body><thread>t1</thread></message>
S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
S: <message from='bob@localhost/phone' type='chat'><body>two</body><thread>t2</thread></message>
S: <message from='ctl@localhost/x' type='headline'><body>send bob@localhost three</body></message>
C: <message id='{{*}}' to='bob@localhost/phone' type='chat'><body>three</body><thread>t2</thread></message>
C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>old</body><thread>t1</thread></message>
`, func(h *harness) {
			h.m.OnChat(func(e chat.NewChat) {
				if first == nil {
					first = e.Chat
					e.Chat.Close() // from a listener, on the dispatcher
				}
			})
		})
		h.wait(t)
		require.NotNil(t, first)
		synctest.Wait()
		_, incoming, outgoing := h.seen()
		require.Len(t, incoming, 2)
		require.Len(t, outgoing, 1)
		second := h.m.Lookup(bobBare)
		require.NotNil(t, second)
		assert.NotSame(t, first, second)
		_, err := first.Send(t.Context(), "old")
		require.NoError(t, err)
		first.Close() // twice is fine
		created, _, outgoing := h.seen()
		assert.Equal(t, []string{"bob@localhost local=false", "bob@localhost local=false"}, created)
		assert.Equal(t, []string{
			"bob@localhost -> bob@localhost/phone: three",
			"bob@localhost -> bob@localhost/b: old",
		}, outgoing)
		assert.Equal(t, bobB, first.Locked(), "a closed chat keeps its lock")
	})
}

// TestClose: after Close the Chats sees nothing: no chat is
// created and no listener runs.
func TestClose(t *testing.T) {
	done2 := make(chan struct{})
	var old *chat.Chat
	h := startFunc(t, `
S: <message from='bob@localhost/b' type='chat'><body>one</body></message>
S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
S: <message from='carol@localhost/c' type='chat'><body>after</body></message>
S: <message from='ctl@localhost/x' type='headline'><body>done2</body></message>
C: <message id='{{*}}' to='bob@localhost' type='chat'><body>detached</body><thread>{{th}}</thread></message>
`, func(h *harness) {
		h.c.HandleMessage(stanza.From(ctl), func(m *stanza.Message) {
			switch m.Body("") {
			case "done":
				// Close on the dispatcher: the next message is not seen.
				old = h.m.Lookup(bobBare)
				h.m.Close()
				h.m.Close()
			case "done2":
				close(done2)
			}
		})
	})
	h.wait(t)
	select {
	case <-done2:
	case <-time.After(xmpptest.ReplayTimeout):
		t.Fatal("done2 not handled")
	}
	require.NotNil(t, old)
	assert.Nil(t, h.m.Lookup(carol))
	assert.Empty(t, h.m.List())
	detached := h.m.Chat(bobBare)
	assert.NotSame(t, old, detached)
	assert.Empty(t, h.m.List(), "a chat made after Close is not kept")
	_, err := detached.Send(t.Context(), "detached")
	require.NoError(t, err)
	h.flush(t)
	created, incoming, outgoing := h.seen()
	assert.Equal(t, []string{"bob@localhost local=false"}, created)
	assert.Len(t, incoming, 1)
	assert.Empty(t, outgoing)
}

// TestStreamEndUnlocks: when the stream ends, every chat unlocks.
func TestStreamEndUnlocks(t *testing.T) {
	closed := make(chan struct{})
	var before jid.JID // the lock when done arrives
	h := startFunc(t, `
S: <message from='bob@localhost/b' type='chat'><body>one</body></message>
`+done+`
S: </stream:stream>
C: </stream:stream>
`, func(h *harness) {
		h.c.HandleMessage(stanza.From(ctl), func(*stanza.Message) {
			before = h.m.Lookup(bobBare).Locked()
		})
		h.c.OnState(func(sc xmpp.StateChange) {
			if sc.State == xmpp.StateClosed {
				close(closed)
			}
		})
	})
	h.wait(t)
	select {
	case <-closed:
	case <-time.After(xmpptest.ReplayTimeout):
		t.Fatal("the stream did not end")
	}
	assert.Equal(t, bobB, before)
	ch := h.m.Lookup(bobBare)
	require.NotNil(t, ch)
	assert.True(t, ch.Locked().IsZero())
}
