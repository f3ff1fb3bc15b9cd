package xmpp_test

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

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
`, func(cfg *xmpp.Config) { cfg.NoInitialPresence = false })
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
	require.NoError(t, c.Connect(ctxT(t)))
	m := &stanza.Message{}
	m.To = jid.MustParse("bob@localhost")
	require.NoError(t, c.Send(ctxT(t), m))
	remove()
	m2 := &stanza.Message{}
	m2.To = m.To
	require.NoError(t, c.Send(ctxT(t), m2))
}

// TestAnnounce: features are counted per announcer; each change runs the
// OnAnnounce listeners on the dispatcher, once, in order with other
// queued work, and they see the features as they are when they run.
func TestAnnounce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
		var got []string
		running := false
		seen := func(name string) func() {
			return func() {
				assert.False(t, running, "one at a time")
				running = true
				got = append(got, name+" "+strings.Join(c.Announced(), ","))
				running = false
			}
		}
		mark := func(name string) func() { return func() { got = append(got, name) } }
		// Hold the dispatcher until the changes are made: then every
		// listener sees them all.
		start := make(chan struct{})
		c.Dispatch(func() { <-start; mark("before")() })
		c.OnAnnounce(seen("first"))
		removeSecond := c.OnAnnounce(seen("second"))
		w1 := c.Announce("urn:xmpp:ping")
		w2 := c.Announce("urn:xmpp:receipts")
		w3 := c.Announce("urn:xmpp:ping") // a second announcer: no change
		assert.Equal(t, []string{"urn:xmpp:ping", "urn:xmpp:receipts"}, c.Announced(), "at once for the caller")
		c.Dispatch(mark("after"))
		close(start)
		synctest.Wait()
		// Two changes, each heard by both listeners, after what was
		// queued before them; both see the features of now.
		assert.Equal(t, []string{
			"before",
			"first urn:xmpp:ping,urn:xmpp:receipts", "second urn:xmpp:ping,urn:xmpp:receipts",
			"first urn:xmpp:ping,urn:xmpp:receipts", "second urn:xmpp:ping,urn:xmpp:receipts",
			"after",
		}, got)

		got = nil
		removeSecond()
		removeSecond()
		w1()
		w1()
		synctest.Wait()
		assert.Equal(t, []string{"urn:xmpp:ping", "urn:xmpp:receipts"}, c.Announced(), "still announced by the other")
		assert.Empty(t, got, "no change")
		w3()
		synctest.Wait()
		w2()
		synctest.Wait()
		assert.Empty(t, c.Announced())
		assert.Equal(t, []string{"first urn:xmpp:receipts", "first "}, got, "the removed listener no longer runs")
	})
}

// TestDispatch: queued funcs run one at a time, in the order queued, on
// the dispatcher, after what was queued before them.
func TestDispatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
		var got []int
		running := false
		// Hold the dispatcher until all 100 are queued, so that the one
		// queued by the first comes after them all.
		start := make(chan struct{})
		c.Dispatch(func() { <-start })
		for i := range 100 {
			c.Dispatch(func() {
				assert.False(t, running, "one at a time")
				running = true
				got = append(got, i)
				if i == 0 {
					c.Dispatch(func() { got = append(got, -1) }) // after the 99 queued already
				}
				running = false
			})
		}
		close(start)
		synctest.Wait()
		require.Len(t, got, 101)
		for i := range 100 {
			assert.Equal(t, i, got[i])
		}
		assert.Equal(t, -1, got[100])
		assert.Panics(t, func() { c.Dispatch(nil) })
	})
}

// TestNilListenersRefused: every registration refuses a nil func at once.
func TestNilListenersRefused(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	for name, register := range map[string]func(){
		"HandleMessage":  func() { c.HandleMessage(nil, nil) },
		"HandlePresence": func() { c.HandlePresence(nil, nil) },
		"HandleIQ":       func() { c.HandleIQ(stanza.Get, xml.Name{Space: "urn:x", Local: "q"}, nil) },
		"OnState":        func() { c.OnState(nil) },
		"OnAcked":        func() { c.OnAcked(nil) },
		"OnUnacked":      func() { c.OnUnacked(nil) },
		"OnReconnect":    func() { c.OnReconnect(nil) },
		"OnAnnounce":     func() { c.OnAnnounce(nil) },
		"Intercept":      func() { c.Intercept(nil) },
	} {
		assert.PanicsWithValue(t, "xmpp: "+name+" with a nil listener", register, name)
	}
}

type managerA struct{ n int }
type managerB struct{ a *managerA }

// TestAttach: one manager of each type per Conn, made once however many
// ask at once; attaching may attach another type; Detach lets the next
// Attach make a new one.
func TestAttach(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	other := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	assert.Nil(t, xmpp.Attached[managerA](c))
	made := 0
	newA := func(*xmpp.Conn) *managerA { made++; return &managerA{n: made} }
	var wg sync.WaitGroup
	got := make([]*managerA, 8)
	for i := range got {
		wg.Go(func() { got[i] = xmpp.Attach(c, newA) })
	}
	wg.Wait()
	assert.Equal(t, 1, made)
	for _, a := range got {
		assert.Same(t, got[0], a)
	}
	assert.Same(t, got[0], xmpp.Attached[managerA](c))
	assert.Nil(t, xmpp.Attached[managerA](other), "per Conn")

	b := xmpp.Attach(c, func(c *xmpp.Conn) *managerB { return &managerB{a: xmpp.Attach(c, newA)} })
	assert.Same(t, got[0], b.a, "an attach func may attach other types")

	xmpp.Detach(c, &managerA{}) // not the attached one: nothing happens
	assert.Same(t, got[0], xmpp.Attached[managerA](c))
	xmpp.Detach(c, got[0])
	xmpp.Detach(c, got[0])
	assert.Nil(t, xmpp.Attached[managerA](c))
	again := xmpp.Attach(c, newA)
	assert.NotSame(t, got[0], again)
	assert.Equal(t, 2, again.n)
	assert.Same(t, b, xmpp.Attached[managerB](c), "other types stay")
}

// TestAttachPanics: an attach func that panics leaves nothing attached,
// and the next Attach of that type makes the manager.
func TestAttachPanics(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	assert.Panics(t, func() { xmpp.Attach(c, func(*xmpp.Conn) *managerA { panic("attached twice") }) })
	assert.Nil(t, xmpp.Attached[managerA](c))
	assert.Panics(t, func() { xmpp.Attach(c, func(*xmpp.Conn) *managerA { return nil }) })
	a := xmpp.Attach(c, func(*xmpp.Conn) *managerA { return &managerA{n: 7} })
	assert.Equal(t, 7, a.n)
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
