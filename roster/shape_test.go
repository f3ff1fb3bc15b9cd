package roster_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFor: one Roster per Conn, the same for every caller until Close,
// then a fresh one; its settings start at their defaults.
func TestFor(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: juliet})
	other := xmpp.New(xmpp.Config{JID: juliet})
	r := roster.For(c)
	assert.Same(t, r, roster.For(c))
	assert.Same(t, r, xmpp.Attached[roster.Roster](c), "what other managers find")
	assert.NotSame(t, r, roster.For(other), "per Conn")

	assert.True(t, r.LoadAtLogin())
	assert.Equal(t, roster.Manual, r.SubscriptionMode())
	assert.False(t, r.SubscribeBack())
	assert.IsType(t, new(roster.MemoryStore), r.Store())

	r.SetStore(nil)
	assert.IsType(t, new(roster.MemoryStore), r.Store(), "nil means a new MemoryStore")

	r.Close()
	r.Close()
	assert.Nil(t, xmpp.Attached[roster.Roster](c))
	fresh := roster.For(c)
	assert.NotSame(t, r, fresh)
	assert.Same(t, fresh, roster.For(c))
	assert.ErrorContains(t, r.WaitLoaded(context.Background()), "closed")
	assert.ErrorContains(t, r.Load(context.Background()), "closed")
	fresh.Close()
}

// TestNilListenersRefused: every registration panics on a nil func.
func TestNilListenersRefused(t *testing.T) {
	r := roster.For(xmpp.New(xmpp.Config{JID: juliet}))
	for name, register := range map[string]func(){
		"OnChange":              func() { r.OnChange(nil) },
		"OnLoaded":              func() { r.OnLoaded(nil) },
		"OnStoreFailed":         func() { r.OnStoreFailed(nil) },
		"OnPresenceChanged":     func() { r.OnPresenceChanged(nil) },
		"OnSubscriptionRequest": func() { r.OnSubscriptionRequest(nil) },
	} {
		assert.PanicsWithValue(t, "roster: "+name+" with a nil listener", register, name)
	}
}

// TestRemoveListener: a remove func removes exactly its registration,
// even when the same func is registered twice, and calling it again does
// nothing.
func TestRemoveListener(t *testing.T) {
	heard := make(chan string, 10)
	hear := func(name string) func(roster.Loaded) {
		return func(roster.Loaded) { heard <- name }
	}
	var r *roster.Roster
	var removes []func()
	connect(t, juliet, `
C: <iq type='get' id='{{one}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='result' id='{{one}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'/></iq>
C: <iq type='get' id='{{two}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='result' id='{{two}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'/></iq>
`, func(c *xmpp.Conn) {
		r = newRoster(c, func(r *roster.Roster) { r.SetLoadAtLogin(false) })
		a := hear("a")
		removes = append(removes, r.OnLoaded(a), r.OnLoaded(hear("b")), r.OnLoaded(a))
		r.OnLoaded(func(roster.Loaded) { heard <- "end" })
	})
	next := func() []string {
		t.Helper()
		var l []string
		for {
			select {
			case s := <-heard:
				if s == "end" {
					return l
				}
				l = append(l, s)
			case <-time.After(xmpptest.ReplayTimeout):
				t.Fatal("no Loaded")
			}
		}
	}
	require.NoError(t, r.Load(ctxT(t)))
	assert.Equal(t, []string{"a", "b", "a"}, next())
	removes[0]()
	removes[0]()
	require.NoError(t, r.Load(ctxT(t)))
	assert.Equal(t, []string{"b", "a"}, next(), "the first a only is gone")
}

// TestWireOrder: the Roster's listeners hear each event on the
// connection's dispatcher, in the order of the stanzas that caused it,
// interleaved with the Conn's own listeners: the fetch's result (which
// the reader takes, not the dispatcher) between the messages around it,
// a push, a presence and a subscription request each in its place. The
// Conn's listeners are registered first: the result's place does not
// depend on it.
func TestWireOrder(t *testing.T) {
	rec := new(recorder)
	hear := rec.hear
	synctest.Test(t, func(t *testing.T) {
		connect(t, juliet, `
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster'/></iq>
S: <message id='m1' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><body>1</body></message>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='romeo@example.net' subscription='both'/><item jid='benvolio@example.net' subscription='both'/></query></iq>
S: <message id='m2' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><body>2</body></message>
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='none'/></query></iq>
S: <message id='m3' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><body>3</body></message>
S: <presence from='romeo@example.net/orchard' to='juliet@example.com/balcony'/>
S: <message id='m4' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><body>4</body></message>
S: <presence from='tybalt@example.com' to='juliet@example.com' type='subscribe'/>
S: <message id='m5' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><body>5</body></message>
C: <iq type='result' id='push1'/>
`, func(c *xmpp.Conn) {
			c.HandleMessage(nil, func(m *stanza.Message) { hear("message %s", m.ID) })
			c.HandlePresence(nil, func(p *stanza.Presence) { hear("presence %s %s", p.From, p.Type) })
			r := roster.For(c)
			r.OnChange(func(ch roster.Change) { hear("change +%v ~%v -%v", jids(ch.Added), jids(ch.Updated), jids(ch.Deleted)) })
			r.OnLoaded(func(l roster.Loaded) { hear("loaded %v", l.Err) })
			r.OnPresenceChanged(func(p *stanza.Presence) { hear("roster presence %s %s", p.From, p.Type) })
			r.OnSubscriptionRequest(func(req roster.SubscriptionRequest) { hear("request %s", req.From) })
		})
		synctest.Wait()
		assert.Equal(t, []string{
			"message m1",
			"change +[benvolio@example.net romeo@example.net] ~[] -[]",
			"loaded <nil>",
			"message m2",
			"change +[nurse@example.com] ~[] -[]",
			"message m3",
			"presence romeo@example.net/orchard ",
			"roster presence romeo@example.net/orchard ",
			"message m4",
			"presence tybalt@example.com subscribe",
			"request tybalt@example.com",
			"message m5",
			// The stream ends with the script.
			"roster presence romeo@example.net/orchard unavailable",
		}, rec.lines())
	})
}

// TestWaitInListener: WaitLoaded and Load called from a message listener,
// which holds the dispatcher, return: they wait for the reader. What the
// fetches changed is in the Roster when they return; the listeners hear
// it after the message listener returns, in the replies' places.
func TestWaitInListener(t *testing.T) {
	rec := new(recorder)
	hear := rec.hear
	synctest.Test(t, func(t *testing.T) {
		var r *roster.Roster
		connect(t, juliet, `
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster'/></iq>
S: <message id='m1' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><body>1</body></message>
C: <message id='waiting' to='romeo@example.net/orchard'/>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='romeo@example.net' subscription='both'/></query></iq>
C: <iq type='get' id='{{again}}'><query xmlns='jabber:iq:roster'/></iq>
S: <message id='m2' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><body>2</body></message>
S: <iq type='result' id='{{again}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='romeo@example.net' subscription='both'/><item jid='nurse@example.com'/></query></iq>
`, func(c *xmpp.Conn) {
			r = roster.For(c)
			c.HandleMessage(nil, func(m *stanza.Message) {
				hear("message %s", m.ID)
				if m.ID != "m1" {
					return
				}
				// The result comes only after this: WaitLoaded really
				// waits while the dispatcher is held.
				w := &stanza.Message{}
				w.ID, w.To = "waiting", m.From
				assert.NoError(t, c.Send(context.Background(), w))
				ctx, cancel := context.WithTimeout(context.Background(), xmpptest.ReplayTimeout)
				defer cancel()
				assert.NoError(t, r.WaitLoaded(ctx))
				hear("waited %v", jids(r.Entries()))
				assert.NoError(t, r.Load(ctx))
				hear("loaded again %v", jids(r.Entries()))
			})
			r.OnChange(func(ch roster.Change) { hear("change +%v", jids(ch.Added)) })
			r.OnLoaded(func(l roster.Loaded) { hear("loaded %v", l.Err) })
		})
		synctest.Wait()
		assert.Equal(t, []string{
			"message m1",
			"waited [romeo@example.net]",
			"loaded again [nurse@example.com romeo@example.net]",
			"change +[romeo@example.net]",
			"loaded <nil>",
			"message m2",
			"change +[nurse@example.com]",
			"loaded <nil>",
		}, rec.lines())
	})
}

// TestForWhileConnected: a Roster attached to a connection that is logged
// in fetches at once.
func TestForWhileConnected(t *testing.T) {
	c := connect(t, juliet, fetch, nil)
	r := roster.For(c)
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	assert.Equal(t, 3, r.Len())
}

// TestSetStoreAtNextFetch: a Store set after a fetch is taken by the next
// one, which asks for the changes since its version; the entries become
// its roster (the listeners hear the difference), and saves go to it.
func TestSetStoreAtNextFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *roster.Roster
		var ev *events
		connect(t, juliet, `
S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster' ver=''/></iq>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='v1'><item jid='romeo@example.net' subscription='both'/></query></iq>
C: <iq type='get' id='{{again}}'><query xmlns='jabber:iq:roster' ver='v7'/></iq>
S: <iq type='result' id='{{again}}' to='juliet@example.com/balcony'/>
S: <iq type='set' id='p8' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='v8'><item jid='nurse@example.com'/></query></iq>
C: <iq type='result' id='p8'/>
`, func(c *xmpp.Conn) {
			r = roster.For(c)
			ev = listen(r)
		})
		require.NoError(t, r.WaitLoaded(ctxT(t)))
		ev.expect(t, "added romeo@example.net", "loaded <nil>")
		first := r.Store()

		stored := new(roster.MemoryStore)
		require.NoError(t, stored.Replace("v7", []roster.Entry{{JID: jid.MustParse("benvolio@example.net"), Subscription: roster.SubscriptionBoth}}))
		r.SetStore(stored)
		assert.Same(t, stored, r.Store())
		require.NoError(t, r.Load(ctxT(t)))
		ev.expect(t, "added benvolio@example.net", "deleted romeo@example.net", "loaded <nil>", "added nurse@example.com")
		synctest.Wait()
		assert.Equal(t, "v8", r.Version())
		ver, entries, _ := stored.Load()
		assert.Equal(t, "v8", ver)
		assert.Equal(t, []string{"benvolio@example.net", "nurse@example.com"}, jids(entries))
		ver, _, _ = first.Load()
		assert.Equal(t, "v1", ver, "the first store is left as it was")
	})
}

// recorder keeps lines in the order they are heard.
type recorder struct {
	mu sync.Mutex
	l  []string
}

func (r *recorder) hear(format string, args ...any) {
	r.mu.Lock()
	r.l = append(r.l, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.l)
}

// TestWaitInListenerStreamEnds: WaitLoaded in a listener that holds the
// dispatcher returns when the session ends without the answer: the
// reader tells it, not the StateClosed the dispatcher would deliver.
func TestWaitInListenerStreamEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *roster.Roster
		waited := make(chan error, 1)
		connect(t, juliet, `
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster'/></iq>
S: <message id='m1' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><body>1</body></message>
C: <message id='waiting' to='romeo@example.net/orchard'/>
S: </stream:stream>
C: </stream:stream>
`, func(c *xmpp.Conn) {
			r = roster.For(c)
			c.HandleMessage(nil, func(m *stanza.Message) {
				w := &stanza.Message{}
				w.ID, w.To = "waiting", m.From
				assert.NoError(t, c.Send(context.Background(), w))
				waited <- r.WaitLoaded(context.Background())
			})
		})
		synctest.Wait()
		select {
		case err := <-waited:
			assert.ErrorIs(t, err, xmpp.ErrNotConnected)
		default:
			t.Fatal("WaitLoaded still waits")
		}
	})
}
