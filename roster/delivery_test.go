package roster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadFromLoadedListener: a Loaded listener, on the dispatcher, may
// call Load (which waits for the reader, not the dispatcher), and Close
// from a listener returns.
func TestLoadFromLoadedListener(t *testing.T) {
	var r *roster.Roster
	res := make(chan error, 1)
	closed := make(chan struct{})
	var calls atomic.Int32
	connect(t, juliet, `
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'/></iq>
C: <iq type='get' id='{{again}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='result' id='{{again}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'/></iq>
`, func(c *xmpp.Conn) {
		r = roster.For(c)
		r.OnLoaded(func(roster.Loaded) {
			switch calls.Add(1) {
			case 1:
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				res <- r.Load(ctx)
			case 2:
				r.Close()
				close(closed)
			}
		})
	})
	select {
	case err := <-res:
		require.NoError(t, err, "Load from a Loaded listener")
	case <-time.After(10 * time.Second):
		t.Fatal("Load from a Loaded listener did not return")
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close from a listener did not return")
	}
	r.Close()
}

// TestWaitLoadedEndsAtClose: WaitLoaded does not wait past Close.
func TestWaitLoadedEndsAtClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *roster.Roster
		connect(t, juliet, "", func(c *xmpp.Conn) { r = newRoster(c, func(r *roster.Roster) { r.SetLoadAtLogin(false) }) })
		done := make(chan error, 1)
		go func() { done <- r.WaitLoaded(ctxT(t)) }()
		synctest.Wait()
		r.Close()
		select {
		case err := <-done:
			assert.Error(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("WaitLoaded did not return at Close")
		}
	})
}

// TestPushWhileUnsyncedKeepsStoredVersion: after a fetch that failed, a
// push changes the entries but not the version, in memory or in the
// Store, so that the next fetch asks for every change since the stored
// version and misses none.
func TestPushWhileUnsyncedKeepsStoredVersion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := new(roster.MemoryStore)
		require.NoError(t, store.Replace("v1", []roster.Entry{{JID: jid.MustParse("romeo@example.net"), Subscription: roster.SubscriptionBoth}}))
		var r *roster.Roster
		c := connect(t, juliet, `
S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster' ver='v1'/></iq>
S: <iq type='error' id='{{get}}' to='juliet@example.com/balcony'><error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`+marker+`
S: <iq type='set' id='p4' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='v4'><item jid='erin@example.org'/></query></iq>
C: <iq type='result' id='p4'/>
C: <iq type='get' id='{{again}}'><query xmlns='jabber:iq:roster' ver='v1'/></iq>
S: <iq type='result' id='{{again}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='v4'><item jid='romeo@example.net' subscription='both'/><item jid='carol@example.org'/><item jid='dave@example.org'/><item jid='erin@example.org'/></query></iq>
`, func(c *xmpp.Conn) {
			r = newRoster(c, func(r *roster.Roster) { r.SetStore(store); r.SetLoadAtLogin(false) })
		})
		err := r.Load(ctxT(t))
		require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ResourceConstraint})
		assert.Equal(t, []string{"romeo@example.net"}, jids(r.Entries()), "the store's roster, taken by the fetch")
		sendMarker(t, c)
		synctest.Wait()
		require.Equal(t, 2, r.Len())
		assert.Equal(t, "v1", r.Version())
		ver, stored, _ := store.Load()
		require.Len(t, stored, 2)
		assert.Equal(t, "v1", ver, "the stored version")
		require.NoError(t, r.Load(ctxT(t)))
		assert.Len(t, r.Entries(), 4)
		assert.Equal(t, "v4", r.Version())
	})
}

// failingStore fails its next save when fail is set.
type failingStore struct {
	roster.MemoryStore
	mu    sync.Mutex
	fail  bool
	calls []string
}

func (s *failingStore) save(what string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, what)
	if s.fail {
		s.fail = false
		return errors.New("disk full")
	}
	return nil
}

func (s *failingStore) Replace(ver string, es []roster.Entry) error {
	if err := s.save("replace " + ver); err != nil {
		return err
	}
	return s.MemoryStore.Replace(ver, es)
}

func (s *failingStore) Update(ver string, es []roster.Entry) error {
	if err := s.save("update " + ver); err != nil {
		return err
	}
	return s.MemoryStore.Update(ver, es)
}

// TestStoreReplacesAfterSaveError: after a failed save, the next one
// writes the whole roster, so the Store lacks no change.
func TestStoreReplacesAfterSaveError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := new(failingStore)
		var r *roster.Roster
		failed := make(chan error, 1)
		c := connect(t, juliet, `
S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster' ver=''/></iq>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='v1'><item jid='romeo@example.net' subscription='both'/></query></iq>
`+marker+`
S: <iq type='set' id='p2' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='v2'><item jid='carol@example.org'/></query></iq>
C: <iq type='result' id='p2'/>
S: <iq type='set' id='p3' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='v3'><item jid='dave@example.org'/></query></iq>
C: <iq type='result' id='p3'/>
`, func(c *xmpp.Conn) {
			r = newRoster(c, func(r *roster.Roster) { r.SetStore(store) })
			r.OnStoreFailed(func(f roster.StoreFailed) { failed <- f.Err })
		})
		require.NoError(t, r.WaitLoaded(ctxT(t)))
		synctest.Wait()
		v, _, _ := store.Load()
		require.Equal(t, "v1", v)
		store.mu.Lock()
		store.fail = true
		store.mu.Unlock()
		sendMarker(t, c)
		select {
		case <-failed:
		case <-time.After(5 * time.Second):
			t.Fatal("StoreFailed not heard")
		}
		synctest.Wait()
		ver, stored, _ := store.Load()
		assert.Equal(t, "v3", ver)
		assert.Equal(t, []string{"carol@example.org", "dave@example.org", "romeo@example.net"}, jids(stored))
		store.mu.Lock()
		defer store.mu.Unlock()
		assert.Equal(t, []string{"replace v1", "update v2", "replace v3"}, store.calls)
	})
}

// TestListenerHoldsDispatcher: the Roster has no queue of its own: while
// one of its listeners blocks, the connection's dispatcher waits (and,
// past its bounds, the reader), and everything is heard once the listener
// returns. The Loaded listener tells the server it blocks (a message)
// before it does, so that the presences come while it blocks.
func TestListenerHoldsDispatcher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 3000
		var steps strings.Builder
		steps.WriteString("C: <message id='blocked' to='juliet@example.com'/>\n")
		for i := range n {
			fmt.Fprintf(&steps, "S: <presence from='mallory@evil.example/x'><status>%d</status></presence>\n", i)
		}
		release := make(chan struct{})
		var seenByConn, heard atomic.Int64
		connect(t, juliet, fetch+steps.String(), func(c *xmpp.Conn) {
			r := roster.For(c)
			r.OnLoaded(func(roster.Loaded) {
				m := &stanza.Message{}
				m.ID, m.To = "blocked", juliet.Bare()
				assert.NoError(t, c.Send(context.Background(), m))
				<-release
			})
			r.OnPresenceChanged(func(*stanza.Presence) { heard.Add(1) })
			c.HandlePresence(nil, func(*stanza.Presence) { seenByConn.Add(1) })
		})
		synctest.Wait() // everything that can run while Loaded blocks has
		assert.Zero(t, seenByConn.Load(), "no presence delivered while a listener blocks")
		assert.Zero(t, heard.Load())
		close(release)
		synctest.Wait()
		// Heard: every presence, and mallory gone when the stream ends.
		assert.GreaterOrEqual(t, heard.Load(), int64(n))
		assert.Equal(t, int64(n), seenByConn.Load())
	})
}

// TestStrangerPresenceTrimmed: a stranger's presence is kept for at most
// MaxStrangerResources resources, without extensions, with one status of
// at most MaxStrangerStatus bytes.
func TestStrangerPresenceTrimmed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		long := strings.Repeat("é", roster.MaxStrangerStatus)
		var steps strings.Builder
		for k := range roster.MaxStrangerResources + 3 {
			fmt.Fprintf(&steps, "S: <presence from='s@evil.example/r%d'><status>%s</status><status xml:lang='fr'>x</status><x xmlns='urn:example'/></presence>\n", k, long)
		}
		steps.WriteString(marker)
		steps.WriteString("S: <presence from='romeo@example.net/orchard'><status>" + long + "</status><x xmlns='urn:example'/></presence>\n")
		steps.WriteString(marker)
		var r *roster.Roster
		var seen atomic.Int64
		c := connect(t, juliet, fetch+steps.String(), func(c *xmpp.Conn) {
			r = roster.For(c)
			c.HandlePresence(nil, func(*stanza.Presence) { seen.Add(1) })
		})
		require.NoError(t, r.WaitLoaded(ctxT(t)))
		sendMarker(t, c) // romeo's presence comes after the roster
		synctest.Wait()
		require.EqualValues(t, roster.MaxStrangerResources+4, seen.Load())
		ps := r.Presences(jid.MustParse("s@evil.example"))
		assert.Len(t, ps, roster.MaxStrangerResources)
		for _, p := range ps {
			assert.Empty(t, p.Extensions)
			require.Len(t, p.Statuses, 1)
			assert.LessOrEqual(t, len(p.Statuses[0].Value), roster.MaxStrangerStatus)
			assert.True(t, strings.HasPrefix(long, p.Statuses[0].Value))
		}
		p := r.Presence(jid.MustParse("romeo@example.net"))
		assert.Len(t, p.Extensions, 1, "a contact's presence is kept whole")
		assert.Equal(t, long, p.Status(""))
		sendMarker(t, c)
	})
}

// TestStrangersBounded: at most MaxStrangers strangers are tracked; one
// going unavailable makes room for another.
func TestStrangersBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var steps strings.Builder
		for i := range roster.MaxStrangers + 5 {
			fmt.Fprintf(&steps, "S: <presence from='s%d@evil.example/r'/>\n", i)
		}
		steps.WriteString("S: <presence from='s0@evil.example/r' type='unavailable'/>\n")
		steps.WriteString("S: <presence from='late@evil.example/r'/>\n")
		steps.WriteString(marker)
		var r *roster.Roster
		var seen atomic.Int64
		c := connect(t, juliet, fetch+steps.String(), func(c *xmpp.Conn) {
			r = roster.For(c)
			c.HandlePresence(nil, func(*stanza.Presence) { seen.Add(1) })
		})
		require.NoError(t, r.WaitLoaded(ctxT(t)))
		synctest.Wait()
		require.EqualValues(t, roster.MaxStrangers+7, seen.Load())
		avail := func(j string) bool { return r.Presence(jid.MustParse(j)).Type == stanza.Available }
		assert.True(t, avail(fmt.Sprintf("s%d@evil.example", roster.MaxStrangers-1)))
		assert.False(t, avail(fmt.Sprintf("s%d@evil.example", roster.MaxStrangers)))
		assert.False(t, avail("s0@evil.example"))
		assert.True(t, avail("late@evil.example"))
		sendMarker(t, c)
	})
}
