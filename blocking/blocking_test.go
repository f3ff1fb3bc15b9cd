package blocking_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/blocking"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ns = "xmlns='urn:xmpp:blocking'"

var (
	alice = jid.MustParse("alice@localhost/a")
	bob   = jid.MustParse("bob@localhost")
	carol = jid.MustParse("carol@localhost")
	dave  = jid.MustParse("dave@localhost")
	romeo = jid.MustParse("romeo@montague.net")
)

func transcript(t *testing.T, s string) *xmpptest.Transcript {
	return xmpptest.MustParseTranscript(t, t.Name(), s)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

type events struct {
	mu sync.Mutex
	s  []string
}

func (e *events) add(format string, args ...any) {
	e.mu.Lock()
	e.s = append(e.s, fmt.Sprintf(format, args...))
	e.mu.Unlock()
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.s...)
}

func describe(e blocking.Event) string {
	return fmt.Sprintf("blocked=%v unblocked=%v all=%v", e.Blocked, e.Unblocked, e.All)
}

func list(t *testing.T, b *blocking.Manager) string {
	l, err := b.List(context.Background())
	require.NoError(t, err)
	s := make([]string, len(l))
	for i, j := range l {
		s[i] = j.String()
	}
	return "list " + strings.Join(s, " ")
}

// TestPushes: the list read at login fills the cache where its reply
// stood (a push before it is already in it); pushes from the server (no
// from, or the account's bare JID) change the cache and reach the
// listeners in wire order with a plain message listener; a push from a
// stranger, or one with an invalid JID, is answered with an error and
// changes nothing.
func TestPushes(t *testing.T) {
	const unavailable = `<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`
	tr := transcript(t, `
C: <iq type='get' id='{{l}}'><blocklist `+ns+`/></iq>
S: <iq type='set' id='p1'><block `+ns+`><item jid='carol@localhost'/></block></iq>
C: <iq type='result' id='p1'/>
S: <iq type='result' id='{{l}}'><blocklist `+ns+`><item jid='romeo@montague.net'/><item jid='carol@localhost'/></blocklist></iq>
S: <message from='bob@localhost/b' id='m1'/>
S: <iq type='set' id='p2' from='eve@localhost/e'><block `+ns+`><item jid='bob@localhost'/></block></iq>
C: <iq type='error' id='p2' to='eve@localhost/e'>`+unavailable+`</iq>
S: <iq type='set' id='p3' from='alice@localhost/other'><block `+ns+`><item jid='bob@localhost'/></block></iq>
C: <iq type='error' id='p3' to='alice@localhost/other'>`+unavailable+`</iq>
S: <iq type='set' id='p4' from='alice@localhost'><block `+ns+`><item jid='dave@localhost'/><item jid='carol@localhost'/></block></iq>
C: <iq type='result' id='p4' to='alice@localhost'/>
S: <message from='bob@localhost/b' id='m2'/>
S: <iq type='set' id='p5'><unblock `+ns+`><item jid='carol@localhost'/></unblock></iq>
C: <iq type='result' id='p5'/>
S: <iq type='set' id='p6'><unblock `+ns+`><item jid='dave@@localhost'/></unblock></iq>
C: <iq type='error' id='p6'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='set' id='p7'><block `+ns+`/></iq>
C: <iq type='error' id='p7'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <message from='bob@localhost/b' id='m3'/>
S: <iq type='set' id='p8'><unblock `+ns+`/></iq>
C: <iq type='result' id='p8'/>
S: <message from='bob@localhost/b' id='m4'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	b := blocking.For(c)
	assert.False(t, b.FetchAtLogin())
	b.SetFetchAtLogin(true)
	assert.True(t, b.FetchAtLogin())
	var log events
	b.OnChange(func(e blocking.Event) { log.add("change %s", describe(e)) })
	done := make(chan struct{})
	c.HandleMessage(nil, func(m *stanza.Message) {
		log.add("message %s", m.ID)
		log.add("%s", list(t, b))
		if m.ID == "m4" {
			close(done)
		}
	})
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{
		"change blocked=[carol@localhost] unblocked=[] all=false",
		"message m1", "list romeo@montague.net carol@localhost",
		"change blocked=[dave@localhost carol@localhost] unblocked=[] all=false",
		"message m2", "list romeo@montague.net carol@localhost dave@localhost",
		"change blocked=[] unblocked=[carol@localhost] all=false",
		"message m3", "list romeo@montague.net dave@localhost",
		"change blocked=[] unblocked=[romeo@montague.net dave@localhost] all=true",
		"message m4", "list ",
	}, log.get())
}

// TestCommands: block, unblock and unblock all as XEP-0191 writes them;
// the first List reads the list, the next answers from the cache; an
// error reply is an error; Blocked recognises the server's refusal to
// deliver to a blocked JID.
func TestCommands(t *testing.T) {
	tr := transcript(t, `
C: <iq type='set' id='{{b1}}'><block `+ns+`><item jid='bob@localhost'/><item jid='romeo@montague.net'/></block></iq>
S: <iq type='result' id='{{b1}}'/>
C: <iq type='get' id='{{l}}'><blocklist `+ns+`/></iq>
S: <iq type='result' id='{{l}}'><blocklist `+ns+`><item jid='bob@localhost'/><item jid='romeo@montague.net'/><item jid='not@@valid'/><item/></blocklist></iq>
C: <iq type='set' id='{{u1}}'><unblock `+ns+`><item jid='bob@localhost'/></unblock></iq>
S: <iq type='result' id='{{u1}}'/>
S: <iq type='set' id='p1'><unblock `+ns+`><item jid='bob@localhost'/></unblock></iq>
C: <iq type='result' id='p1'/>
S: <message from='bob@localhost/b' id='pushed'/>
C: <iq type='set' id='{{u2}}'><unblock `+ns+`/></iq>
S: <iq type='error' id='{{u2}}'><error type='wait'><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <message id='m1' to='carol@localhost' type='chat'><body>hi</body></message>
S: <message id='m1' from='carol@localhost' type='error'><error type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><blocked xmlns='urn:xmpp:blocking:errors'/></error></message>
`)
	c := xmpptest.NewConn(t, alice, tr)
	b := blocking.For(c)
	changed := make(chan blocking.Event, 1)
	b.OnChange(func(e blocking.Event) { changed <- e })
	pushed := make(chan struct{})
	c.HandleMessage(stanza.WithID("pushed"), func(*stanza.Message) { close(pushed) })
	refused := make(chan error, 1)
	c.HandleMessage(stanza.WithID("m1"), func(m *stanza.Message) { refused <- m.Error })
	ctx := ctxT(t)
	require.NoError(t, c.Connect(ctx))
	require.ErrorIs(t, b.Block(ctx), blocking.ErrNoJIDs)
	require.ErrorIs(t, b.Unblock(ctx), blocking.ErrNoJIDs)
	require.NoError(t, b.Block(ctx, bob, romeo))
	l, err := b.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []jid.JID{bob, romeo}, l, "invalid items left out")
	l[0] = carol // the caller's
	l, err = b.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []jid.JID{bob, romeo}, l, "from the cache")
	require.NoError(t, b.Unblock(ctx, bob))
	<-pushed // after the push, whose answer went out before
	assert.Equal(t, blocking.Event{Unblocked: []jid.JID{bob}}, <-changed)
	l, err = b.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []jid.JID{romeo}, l)
	err = b.UnblockAll(ctx)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.InternalServerError})
	assert.False(t, blocking.Blocked(err))
	msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hi"}}}
	msg.To, msg.ID = carol, "m1"
	require.NoError(t, c.Send(ctx, msg))
	assert.True(t, blocking.Blocked(<-refused))
}

// TestShape: one Manager per connection, a fresh one after Close; nil
// refused; a removed listener is removed exactly, and removing it again
// does nothing.
func TestShape(t *testing.T) {
	tr := transcript(t, `
S: <iq type='set' id='p1'><block `+ns+`><item jid='bob@localhost'/></block></iq>
C: <iq type='result' id='p1'/>
S: <iq type='set' id='p2'><block `+ns+`><item jid='carol@localhost'/></block></iq>
C: <iq type='result' id='p2'/>
S: <message from='bob@localhost/b' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	b := blocking.For(c)
	assert.Same(t, b, blocking.For(c))
	assert.Panics(t, func() { b.OnChange(nil) })
	var log events
	b.OnChange(func(e blocking.Event) { log.add("a %v", e.Blocked) })
	var removeB func()
	removeB = b.OnChange(func(e blocking.Event) { log.add("b %v", e.Blocked); removeB(); removeB() })
	b.OnChange(func(e blocking.Event) { log.add("c %v", e.Blocked) })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{"a [bob@localhost]", "b [bob@localhost]", "c [bob@localhost]", "a [carol@localhost]", "c [carol@localhost]"}, log.get())

	b.SetFetchAtLogin(true)
	b.Close()
	b.Close()
	fresh := blocking.For(c)
	assert.NotSame(t, b, fresh)
	assert.Same(t, fresh, xmpp.Attached[blocking.Manager](c))
	assert.False(t, fresh.FetchAtLogin(), "a fresh Manager has the defaults")
}

// login logs alice in up to the features after authentication, which
// offer stream management; bind binds her resource and enables it with
// resumption.
var (
	login = xmpptest.Login(alice, "<sm xmlns='urn:xmpp:sm:3'/>")
	bind  = xmpptest.Bind(alice) + xmpptest.EnableSM
)

// TestSessions: without fetching at login, the first List fills the
// cache; a resumed session keeps it (a List asks nothing); a new session
// (the resumption failed) starts empty, and the next List reads the list
// again.
func TestSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scripts := []string{
			login + bind + `S: <message from='bob@localhost/b' id='first'/>
C: <iq type='get' id='{{l}}'><blocklist ` + ns + `/></iq>
S: <iq type='result' id='{{l}}'><blocklist ` + ns + `><item jid='bob@localhost'/></blocklist></iq>
`,
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='2' previd='sm-1'/>
S: <resumed xmlns='urn:xmpp:sm:3' h='1' previd='sm-1'/>
S: <message from='bob@localhost/b' id='resumed'/>
`,
			login + `C: <resume xmlns='urn:xmpp:sm:3' h='3' previd='sm-1'/>
S: <failed xmlns='urn:xmpp:sm:3'/>
` + bind + `S: <message from='bob@localhost/b' id='new'/>
C: <iq type='get' id='{{l2}}'><blocklist ` + ns + `/></iq>
S: <iq type='result' id='{{l2}}'><blocklist ` + ns + `><item jid='dave@localhost'/></blocklist></iq>
`,
		}
		c := xmpptest.NewReconnectingConn(t, alice, scripts)
		defer c.Close()
		b := blocking.For(c)
		var log events
		done := make(chan struct{})
		c.HandleMessage(nil, func(m *stanza.Message) {
			log.add("message %s", m.ID)
			log.add("%s", list(t, b))
			if m.ID == "new" {
				close(done)
			}
		})
		require.NoError(t, c.Connect(t.Context()))
		<-done
		assert.Equal(t, []string{
			"message first", "list bob@localhost",
			"message resumed", "list bob@localhost",
			"message new", "list dave@localhost",
		}, log.get())
	})
}

// TestCloseInListener: a listener that closes the Manager stops the
// delivery under way: the listeners after it are not called.
func TestCloseInListener(t *testing.T) {
	tr := transcript(t, `
S: <iq type='set' id='p1'><block `+ns+`><item jid='bob@localhost'/></block></iq>
C: <iq type='result' id='p1'/>
S: <message from='bob@localhost/b' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	b := blocking.For(c)
	var log events
	b.OnChange(func(e blocking.Event) { log.add("a %v", e.Blocked); b.Close() })
	b.OnChange(func(e blocking.Event) { log.add("b %v", e.Blocked) })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(ctxT(t)))
	<-done
	assert.Equal(t, []string{"a [bob@localhost]"}, log.get())
}

// TestManyItems: a list and pushes of thousands of JIDs, with repeats,
// are read and applied without repeats, in order.
func TestManyItems(t *testing.T) {
	const n = 5000
	var list, push strings.Builder
	var want []string
	for i := range n {
		fmt.Fprintf(&list, "<item jid='u%d@localhost'/><item jid='u%d@localhost'/>", i, i)
		want = append(want, fmt.Sprintf("u%d@localhost", i))
	}
	for i := n - 10; i < n+10; i++ {
		fmt.Fprintf(&push, "<item jid='u%d@localhost'/>", i)
	}
	for i := n; i < n+10; i++ {
		want = append(want, fmt.Sprintf("u%d@localhost", i))
	}
	tr := transcript(t, `
C: <iq type='get' id='{{l}}'><blocklist `+ns+`/></iq>
S: <iq type='result' id='{{l}}'><blocklist `+ns+`>`+list.String()+`</blocklist></iq>
S: <iq type='set' id='p1'><block `+ns+`>`+push.String()+push.String()+`</block></iq>
C: <iq type='result' id='p1'/>
S: <message from='bob@localhost/b' id='end'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	b := blocking.For(c)
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("end"), func(*stanza.Message) { close(done) })
	require.NoError(t, c.Connect(ctxT(t)))
	l, err := b.List(ctxT(t))
	require.NoError(t, err)
	assert.Len(t, l, n)
	<-done
	l, err = b.List(ctxT(t))
	require.NoError(t, err)
	got := make([]string, len(l))
	for i, j := range l {
		got[i] = j.String()
	}
	assert.Equal(t, want, got)
}

// TestListAfterBlock: once Block or Unblock has returned, List shows the
// change, though the server pushes it only after its result (as
// ejabberd may), on top of a change another client made before it. The
// push of this client's own change, when it comes, changes nothing more,
// and the listeners hear it then.
func TestListAfterBlock(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{l}}'><blocklist `+ns+`/></iq>
S: <iq type='result' id='{{l}}'><blocklist `+ns+`><item jid='carol@localhost'/></blocklist></iq>
C: <iq type='set' id='{{b1}}'><block `+ns+`><item jid='bob@localhost'/></block></iq>
S: <iq type='set' id='p0'><unblock `+ns+`><item jid='bob@localhost'/><item jid='carol@localhost'/></unblock></iq>
C: <iq type='result' id='p0'/>
S: <iq type='result' id='{{b1}}'/>
C: <message id='m1' to='localhost'><body>listed</body></message>
S: <iq type='set' id='p1'><block `+ns+`><item jid='bob@localhost'/></block></iq>
C: <iq type='result' id='p1'/>
C: <iq type='set' id='{{u1}}'><unblock `+ns+`><item jid='bob@localhost'/></unblock></iq>
S: <iq type='result' id='{{u1}}'/>
C: <message id='m2' to='localhost'><body>listed</body></message>
S: <iq type='set' id='p2'><unblock `+ns+`><item jid='bob@localhost'/></unblock></iq>
C: <iq type='result' id='p2'/>
S: <message from='localhost' id='done'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	b := blocking.For(c)
	var e events
	pushed := make(chan struct{}, 3)
	b.OnChange(func(ev blocking.Event) { e.add("%s", describe(ev)); pushed <- struct{}{} })
	done := make(chan struct{})
	c.HandleMessage(stanza.WithID("done"), func(*stanza.Message) { close(done) })
	ctx := ctxT(t)
	require.NoError(t, c.Connect(ctx))
	assert.Equal(t, "list carol@localhost", list(t, b))
	require.NoError(t, b.Block(ctx, bob))
	assert.Equal(t, "list bob@localhost", list(t, b), "the unblock pushed before the result first, the block on top")
	send := func(id string) {
		m := &stanza.Message{Bodies: []stanza.Text{{Value: "listed"}}}
		m.To, m.ID = jid.MustParse("localhost"), id
		require.NoError(t, c.Send(ctx, m))
	}
	send("m1")
	<-pushed // p0
	<-pushed // p1, this client's block
	assert.Equal(t, "list bob@localhost", list(t, b))
	require.NoError(t, b.Unblock(ctx, bob))
	assert.Equal(t, "list ", list(t, b))
	send("m2")
	<-done
	assert.Equal(t, "list ", list(t, b))
	assert.Equal(t, []string{
		"blocked=[] unblocked=[bob@localhost carol@localhost] all=false",
		"blocked=[bob@localhost] unblocked=[] all=false",
		"blocked=[] unblocked=[bob@localhost] all=false",
	}, e.get(), "listeners hear the pushes")
}

// TestBlockInListener: Block and List called from a listener, on the
// dispatcher, neither wait for it: the change shows at once.
func TestBlockInListener(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{l}}'><blocklist `+ns+`/></iq>
S: <iq type='result' id='{{l}}'><blocklist `+ns+`/></iq>
S: <message from='bob@localhost/b' id='spam'/>
C: <iq type='set' id='{{b1}}'><block `+ns+`><item jid='bob@localhost'/></block></iq>
S: <iq type='result' id='{{b1}}'/>
S: <iq type='set' id='p1'><block `+ns+`><item jid='bob@localhost'/></block></iq>
C: <iq type='result' id='p1'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	b := blocking.For(c)
	got := make(chan string, 1)
	c.HandleMessage(stanza.WithID("spam"), func(m *stanza.Message) {
		if err := b.Block(ctxT(t), m.From.Bare()); err != nil {
			got <- err.Error()
			return
		}
		got <- list(t, b)
	})
	ctx := ctxT(t)
	require.NoError(t, c.Connect(ctx))
	assert.Equal(t, "list ", list(t, b))
	assert.Equal(t, "list bob@localhost", <-got)
}

// TestUnblockAllBeforePush: an UnblockAll whose result comes before its
// push empties the list at once; the push, when it comes, still tells
// the listeners which JIDs it unblocked.
func TestUnblockAllBeforePush(t *testing.T) {
	tr := transcript(t, `
C: <iq type='get' id='{{l}}'><blocklist `+ns+`/></iq>
S: <iq type='result' id='{{l}}'><blocklist `+ns+`><item jid='bob@localhost'/><item jid='carol@localhost'/></blocklist></iq>
C: <iq type='set' id='{{u}}'><unblock `+ns+`/></iq>
S: <iq type='result' id='{{u}}'/>
C: <message id='m1' to='localhost'><body>listed</body></message>
S: <iq type='set' id='p1'><unblock `+ns+`/></iq>
C: <iq type='result' id='p1'/>
`)
	c := xmpptest.NewConn(t, alice, tr)
	b := blocking.For(c)
	changed := make(chan blocking.Event, 1)
	b.OnChange(func(e blocking.Event) { changed <- e })
	ctx := ctxT(t)
	require.NoError(t, c.Connect(ctx))
	assert.Equal(t, "list bob@localhost carol@localhost", list(t, b))
	require.NoError(t, b.UnblockAll(ctx))
	assert.Equal(t, "list ", list(t, b))
	m := &stanza.Message{Bodies: []stanza.Text{{Value: "listed"}}}
	m.To, m.ID = jid.MustParse("localhost"), "m1"
	require.NoError(t, c.Send(ctx, m))
	assert.Equal(t, blocking.Event{Unblocked: []jid.JID{bob, carol}, All: true}, <-changed)
	assert.Equal(t, "list ", list(t, b))
}
