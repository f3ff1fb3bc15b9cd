package chat_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/internal/testlog"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests show the shape every manager has (ARCHITECTURE.md,
// Managers): one per connection, nil listeners refused, exact and
// idempotent removal, events on the dispatcher in wire order.

// TestForOnePerConn: For returns the one Chats of a Conn, however often
// and from wherever it is called; after Close it attaches a fresh one.
func TestForOnePerConn(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	other := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	cs := chat.For(c)
	assert.Same(t, cs, chat.For(c))
	assert.Same(t, cs, xmpp.Attached[chat.Chats](c))
	assert.NotSame(t, cs, chat.For(other), "one per Conn")
	bob := cs.Chat(bobBare)
	assert.Same(t, bob, chat.For(c).Chat(bobBare), "every caller sees the same chats")

	cs.Close()
	cs.Close()
	assert.Nil(t, xmpp.Attached[chat.Chats](c))
	fresh := chat.For(c)
	assert.NotSame(t, cs, fresh)
	assert.Same(t, fresh, chat.For(c))
	assert.Nil(t, fresh.Lookup(bobBare), "the fresh one starts empty")
	cs.Close() // the old one's Close leaves the fresh one attached
	assert.Same(t, fresh, xmpp.Attached[chat.Chats](c))
}

// TestForDeliversOnce: two parts of a program that each ask For for the
// connection's chats share one Chats, so a message makes one chat and
// reaches each listener once; after Close the old listeners hear nothing
// and the fresh Chats' do.
func TestForDeliversOnce(t *testing.T) {
	var log testlog.Log
	closed := make(chan struct{})
	finished := make(chan struct{})
	tr := transcript(t, t.Name(), `
S: <message from='bob@localhost/b' type='chat'><body>one</body></message>
S: <message from='ctl@localhost/x' type='headline'><body>close</body></message>
S: <message from='bob@localhost/b' type='chat'><body>two</body></message>
S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	for _, who := range []string{"first", "second"} {
		cs := chat.For(c)
		cs.OnChat(func(e chat.NewChat) { log.Add("%s: new %s", who, e.Chat.JID()) })
		cs.OnMessage(func(e chat.Incoming) { log.Add("%s: %s", who, e.Message.Body("")) })
	}
	c.HandleMessage(stanza.From(ctl), func(m *stanza.Message) {
		switch m.Body("") {
		case "close":
			chat.For(c).Close()
			chat.For(c).OnMessage(func(e chat.Incoming) { log.Add("fresh: %s", e.Message.Body("")) })
			close(closed)
		case "done":
			close(finished)
		}
	})
	require.NoError(t, c.Connect(t.Context()))
	waitFor(t, closed, "close")
	waitFor(t, finished, "done")
	assert.Equal(t, []string{
		"first: new bob@localhost", "second: new bob@localhost",
		"first: one", "second: one",
		"fresh: two",
	}, log.Lines())
}

// TestNilListenersRefused: every registration panics on a nil func.
func TestNilListenersRefused(t *testing.T) {
	cs, _ := offline()
	for name, register := range map[string]func(){
		"OnMessage":  func() { cs.OnMessage(nil) },
		"OnOutgoing": func() { cs.OnOutgoing(nil) },
		"OnChat":     func() { cs.OnChat(nil) },
	} {
		assert.PanicsWithValue(t, "chat: "+name+" with a nil listener", register, name)
	}
}

// TestRemoveExact: a remove func removes its own registration and no
// other (not even another registration of the same func), and calling
// it again changes nothing.
func TestRemoveExact(t *testing.T) {
	var log testlog.Log
	finished := make(chan struct{})
	tr := transcript(t, t.Name(), `
S: <message from='bob@localhost/b' type='chat'><body>ping</body></message>
C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>pong</body><thread>{{th}}</thread></message>
S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	cs := chat.For(c)
	for _, kind := range []string{"chat", "message", "outgoing"} {
		var removes []func()
		for _, name := range []string{"a", "b", "c"} {
			record := func() { log.Add("%s %s", kind, name) }
			switch kind {
			case "chat":
				removes = append(removes, cs.OnChat(func(chat.NewChat) { record() }))
			case "message":
				removes = append(removes, cs.OnMessage(func(chat.Incoming) { record() }))
			case "outgoing":
				removes = append(removes, cs.OnOutgoing(func(chat.Outgoing) { record() }))
			}
		}
		removes[1]()
		removes[1]()
	}
	// One func registered twice: removing one registration leaves the other.
	twice := func(chat.Incoming) { log.Add("twice") }
	cs.OnMessage(twice)
	cs.OnMessage(twice)()
	cs.OnMessage(func(e chat.Incoming) {
		_, err := e.Chat.Send(context.Background(), "pong")
		assert.NoError(t, err)
	})
	c.HandleMessage(stanza.From(ctl), func(*stanza.Message) { close(finished) })
	require.NoError(t, c.Connect(t.Context()))
	waitFor(t, finished, "done")
	assert.Equal(t, []string{
		"chat a", "chat c",
		"message a", "message c", "twice",
		"outgoing a", "outgoing c",
	}, log.Lines())
}

// TestWireOrder: the chat events run on the dispatcher in the order of
// the stanzas that caused them, between the connection's own message
// listeners registered before and after For; a chat made locally is
// announced in order with the stanzas around the call that made it.
func TestWireOrder(t *testing.T) {
	var log testlog.Log
	finished := make(chan struct{})
	tr := transcript(t, t.Name(), `
S: <presence from='bob@localhost/b'/>
S: <message from='bob@localhost/b' type='chat'><body>one</body></message>
S: <message from='ctl@localhost/x' type='headline'><body>start carol</body></message>
C: <message id='{{*}}' to='carol@localhost' type='chat'><body>hello</body><thread>{{th}}</thread></message>
S: <message from='carol@localhost/c' type='chat'><body>two</body><thread>{{th}}</thread></message>
S: <message from='bob@localhost/b' type='headline'><body>news</body></message>
S: <message from='bob@localhost/b' type='chat'><body>three</body></message>
S: <message from='ctl@localhost/x' type='headline'><body>done</body></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	c.HandleMessage(nil, func(m *stanza.Message) { log.Add("before %s", m.Body("")) })
	c.HandlePresence(nil, func(p *stanza.Presence) { log.Add("presence %s", p.From) })
	cs := chat.For(c)
	cs.OnChat(func(e chat.NewChat) { log.Add("new %s local=%t", e.Chat.JID(), e.Local) })
	cs.OnMessage(func(e chat.Incoming) { log.Add("incoming %s", e.Message.Body("")) })
	c.HandleMessage(nil, func(m *stanza.Message) {
		log.Add("after %s", m.Body(""))
		switch m.Body("") {
		case "start carol":
			_, err := cs.Chat(carol).Send(context.Background(), "hello")
			assert.NoError(t, err)
		case "done":
			close(finished)
		}
	})
	require.NoError(t, c.Connect(t.Context()))
	waitFor(t, finished, "done")
	assert.Equal(t, []string{
		"presence bob@localhost/b",
		"before one", "new bob@localhost local=false", "incoming one", "after one",
		"before start carol", "after start carol",
		"new carol@localhost local=true", // queued by Chat, run before the next stanza
		"before two", "incoming two", "after two",
		"before news", "after news",
		"before three", "incoming three", "after three",
		"before done", "after done",
	}, log.Lines())
}

// TestLocalChatAnnouncedFirst: a chat made off the dispatcher while a
// message from its contact waits for the dispatcher is announced (once)
// before that message is reported, though its OnChat was queued after it.
func TestLocalChatAnnouncedFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log testlog.Log
		release := make(chan struct{})
		h := startFunc(t, `
S: <message from='ctl@localhost/x' type='headline'><body>hold</body></message>
S: <message from='dave@localhost/d' type='chat'><body>first</body></message>
`+end, func(h *harness) {
			h.m.OnChat(func(e chat.NewChat) { log.Add("new %s local=%t", e.Chat.JID(), e.Local) })
			h.m.OnMessage(func(e chat.Incoming) { log.Add("incoming %s", e.Message.Body("")) })
			h.c.HandleMessage(stanza.From(ctl), func(m *stanza.Message) {
				if m.Body("") == "hold" {
					<-release
				}
			})
		})
		synctest.Wait() // dave's message waits behind the held listener
		ch := h.m.Chat(dave)
		close(release)
		h.flush(t)
		assert.Equal(t, []string{"new dave@localhost local=true", "incoming first"}, log.Lines())
		assert.Equal(t, jid.MustParse("dave@localhost/d"), ch.Locked())
		h.end(t)
	})
}

// TestChatFullJID: a chat asked for with a full JID sends to that
// resource; asking again with the bare JID keeps the lock, with another
// full JID moves it; the usual rules then apply (a message moves the
// lock, the resource's presence ends it).
func TestChatFullJID(t *testing.T) {
	h := start(t, ctlSend("bob@localhost/phone", "one")+`
C: <message id='{{*}}' to='bob@localhost/phone' type='chat'><body>one</body><thread>{{th}}</thread></message>
`+ctlSend("bob@localhost", "two")+`
C: <message id='{{*}}' to='bob@localhost/phone' type='chat'><body>two</body><thread>{{th}}</thread></message>
S: <message from='bob@localhost/b' type='chat'><body>from b</body><thread>{{th}}</thread></message>
`+ctlSend("bob@localhost", "three")+`
C: <message id='{{*}}' to='bob@localhost/b' type='chat'><body>three</body><thread>{{th}}</thread></message>
`+ctlSend("bob@localhost/phone", "four")+`
C: <message id='{{*}}' to='bob@localhost/phone' type='chat'><body>four</body><thread>{{th}}</thread></message>
S: <presence from='bob@localhost/phone' type='unavailable'/>
`+ctlSend("bob@localhost", "five")+`
C: <message id='{{*}}' to='bob@localhost' type='chat'><body>five</body><thread>{{th}}</thread></message>
`+done)
	h.wait(t)
	created, _, _ := h.seen()
	assert.Equal(t, []string{"bob@localhost local=true"}, created)
}

// TestChatFullJIDWithoutLocking: the resource the caller names is kept
// with locking off too; locking off only stops messages from locking.
func TestChatFullJIDWithoutLocking(t *testing.T) {
	cs, _ := offline()
	cs.SetLocking(false)
	ch := cs.Chat(bobPhone)
	assert.Equal(t, bobPhone, ch.To())
	assert.Equal(t, bobBare, ch.JID())
	cs.SetLocking(true)
	cs.SetLocking(false)
	assert.Equal(t, bobBare, ch.To(), "turning locking off unlocks every chat")
}

// TestSendID: the id Send and SendMessage return is the one on the wire,
// the one the contact's receipt refers to.
func TestSendID(t *testing.T) {
	receipts := make(chan string, 2)
	tr := transcript(t, t.Name(), `
C: <message id='{{m1}}' to='bob@localhost/b' type='chat'><body>hi</body><thread>{{th}}</thread></message>
S: <message from='bob@localhost/b'><received xmlns='urn:xmpp:receipts' id='{{m1}}'/></message>
C: <message id='{{m2}}' to='bob@localhost/b' type='chat'><body>again</body><thread>{{th}}</thread></message>
S: <message from='bob@localhost/b'><received xmlns='urn:xmpp:receipts' id='{{m2}}'/></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	cs := chat.For(c)
	c.HandleMessage(nil, func(m *stanza.Message) {
		for _, n := range m.Extensions {
			if n.Name.Space == "urn:xmpp:receipts" && n.Name.Local == "received" {
				receipts <- n.Attr("id")
			}
		}
	})
	require.NoError(t, c.Connect(t.Context()))
	ch := cs.Chat(bobB)
	id, err := ch.Send(t.Context(), "hi")
	require.NoError(t, err)
	require.NotEmpty(t, id)
	msg := &stanza.Message{Bodies: []stanza.Text{{Value: "again"}}}
	id2, err := ch.SendMessage(t.Context(), msg)
	require.NoError(t, err)
	assert.Equal(t, msg.ID, id2, "SendMessage writes the id into msg too")
	assert.NotEqual(t, id, id2)
	for _, want := range []string{id, id2} {
		select {
		case got := <-receipts:
			assert.Equal(t, want, got)
		case <-time.After(xmpptest.ReplayTimeout):
			t.Fatal("no receipt")
		}
	}
}
