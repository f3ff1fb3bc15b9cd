package roster_test

import (
	"context"
	"fmt"
	"strings"
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

// The transcripts follow RFC 6121's examples (section 2.1.3 and on):
// juliet@example.com/balcony and her roster.

var juliet = jid.MustParse("juliet@example.com/balcony")

// connect logs account in to a scripted server that plays steps; before,
// when not nil, first attaches what the test needs to the Conn. What the
// server offers after authentication (roster versioning, say) is the
// first step of steps, as xmpptest.NewConn reads it.
func connect(t *testing.T, account jid.JID, steps string, before func(*xmpp.Conn)) *xmpp.Conn {
	t.Helper()
	tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(steps))
	require.NoError(t, err)
	c := xmpptest.NewConn(t, account, tr)
	if before != nil {
		before(c)
	}
	require.NoError(t, c.Connect(ctxT(t)))
	return c
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

// events records what a Listener hears, in order, as lines.
type events struct {
	mu    sync.Mutex
	lines []string
	ch    chan string
}

func listen(r *roster.Roster) *events {
	ev := &events{ch: make(chan string, 100)}
	r.OnChange(func(ch roster.Change) { ev.change(ch) })
	r.OnLoaded(func(l roster.Loaded) { ev.add(fmt.Sprintf("loaded %v", l.Err)) })
	r.OnStoreFailed(func(f roster.StoreFailed) { ev.add("store " + f.Err.Error()) })
	return ev
}

// change records a Change as a line per kind: added, updated, deleted.
func (ev *events) change(ch roster.Change) {
	for _, k := range []struct {
		kind string
		es   []roster.Entry
	}{{"added", ch.Added}, {"updated", ch.Updated}, {"deleted", ch.Deleted}} {
		if len(k.es) > 0 {
			ev.add(k.kind + " " + strings.Join(jids(k.es), ","))
		}
	}
}

// newRoster returns c's Roster with settings made before c logs in.
func newRoster(c *xmpp.Conn, set func(*roster.Roster)) *roster.Roster {
	r := roster.For(c)
	set(r)
	return r
}

func (ev *events) add(s string) {
	ev.mu.Lock()
	ev.lines = append(ev.lines, s)
	ev.mu.Unlock()
	ev.ch <- s
}

// next returns the next line heard, failing the test after a while.
func (ev *events) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-ev.ch:
		return s
	case <-time.After(xmpptest.ReplayTimeout):
		t.Fatal("no roster event")
		return ""
	}
}

// expect checks the next lines heard.
func (ev *events) expect(t *testing.T, want ...string) {
	t.Helper()
	var got []string
	for range want {
		got = append(got, ev.next(t))
	}
	assert.Equal(t, want, got)
}

// none checks that nothing more was heard.
func (ev *events) none(t *testing.T) {
	t.Helper()
	select {
	case s := <-ev.ch:
		t.Errorf("unexpected roster event %q", s)
	default:
	}
}

func jids(es []roster.Entry) []string {
	var l []string
	for _, e := range es {
		l = append(l, e.JID.String())
	}
	return l
}

// fetch is RFC 6121 section 2.1.3's roster get and result (example 2.1.4).
const fetch = `
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'>
     <query xmlns='jabber:iq:roster' ver='ver11'>
       <item jid='romeo@example.net' name='Romeo' subscription='both'><group>Friends</group></item>
       <item jid='mercutio@example.com' name='Mercutio' subscription='from'/>
       <item jid='benvolio@example.net' name='Benvolio' subscription='both'/>
     </query>
   </iq>
`

// marker is a message the test sends once it has checked what came
// before: the server's steps after it cannot overtake what the test saw.
const marker = "C: <message id='marker' to='example.com'/>\n"

func sendMarker(t *testing.T, c *xmpp.Conn) {
	t.Helper()
	m := &stanza.Message{}
	m.ID, m.To = "marker", jid.MustParse("example.com")
	require.NoError(t, c.Send(ctxT(t), m))
}

// TestFetch: the roster is fetched at login, without ver when the server
// does not offer versioning, and its items become entries and groups.
func TestFetch(t *testing.T) {
	var r *roster.Roster
	var ev *events
	connect(t, juliet, fetch, func(c *xmpp.Conn) {
		r = roster.For(c)
		ev = listen(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	ev.expect(t, "added benvolio@example.net,mercutio@example.com,romeo@example.net", "loaded <nil>")
	assert.Equal(t, []roster.Entry{
		{JID: jid.MustParse("benvolio@example.net"), Name: "Benvolio", Subscription: roster.SubscriptionBoth},
		{JID: jid.MustParse("mercutio@example.com"), Name: "Mercutio", Subscription: roster.SubscriptionFrom},
		{JID: jid.MustParse("romeo@example.net"), Name: "Romeo", Groups: []string{"Friends"}, Subscription: roster.SubscriptionBoth},
	}, r.Entries())
	assert.Equal(t, "ver11", r.Version())
	e, ok := r.Entry(jid.MustParse("romeo@example.net/orchard"))
	assert.True(t, ok, "Entry looks the bare JID up")
	assert.Equal(t, "Romeo", e.Name)
	_, ok = r.Entry(jid.MustParse("tybalt@example.com"))
	assert.False(t, ok)

	groups := r.Groups()
	require.Len(t, groups, 1)
	assert.Equal(t, "Friends", groups[0].Name)
	assert.Equal(t, []string{"romeo@example.net"}, jids(groups[0].Entries))
	g, ok := r.Group("Friends")
	assert.True(t, ok)
	assert.Equal(t, groups[0], g)
	_, ok = r.Group("Enemies")
	assert.False(t, ok)
	assert.Equal(t, []string{"benvolio@example.net", "mercutio@example.com"}, jids(r.Unfiled()))
	assert.Equal(t, 3, r.Len())

	// Entries are copies.
	es := r.Entries()
	es[2].Groups[0] = "changed"
	g, _ = r.Group("Friends")
	assert.Len(t, g.Entries, 1)
}

// TestPushes: pushes add, update and remove entries (RFC 6121 sections
// 2.1.6, 2.3.2, 2.4.2, 2.5.2) and each is answered with an empty result,
// from no from (Prosody) or from the account's bare JID (ejabberd).
func TestPushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *roster.Roster
		var ev *events
		c := connect(t, juliet, fetch+marker+`
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver12'><item jid='nurse@example.com' name='Nurse' subscription='none'><group>Servants</group></item></query></iq>
C: <iq type='result' id='push1'/>
S: <iq type='set' id='push2' from='juliet@example.com' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver13'><item jid='romeo@example.net' name='Romeo Montague' subscription='both'><group>Friends</group><group>Lovers</group></item></query></iq>
C: <iq type='result' id='push2' to='juliet@example.com'/>
S: <iq type='set' id='push3' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver14'><item jid='mercutio@example.com' subscription='remove'/></query></iq>
C: <iq type='result' id='push3'/>
S: <iq type='set' id='push4' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver15'><item jid='nurse@example.com' name='Nurse' subscription='none' ask='subscribe'><group>Servants</group></item></query></iq>
C: <iq type='result' id='push4'/>
S: <iq type='set' id='push5' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver16'><item jid='tybalt@example.com' subscription='remove'/></query></iq>
C: <iq type='result' id='push5'/>
`, func(c *xmpp.Conn) {
			r = roster.For(c)
			ev = listen(r)
		})
		require.NoError(t, r.WaitLoaded(ctxT(t)))
		ev.expect(t, "added benvolio@example.net,mercutio@example.com,romeo@example.net", "loaded <nil>")
		sendMarker(t, c)
		ev.expect(t,
			"added nurse@example.com",
			"updated romeo@example.net",
			"deleted mercutio@example.com",
			"updated nurse@example.com",
		)
		// push5 removed an entry that was not there: nothing to hear. Wait
		// for the script to end before looking.
		synctest.Wait()
		require.Equal(t, "ver16", r.Version())
		ev.none(t)
		assert.Equal(t, []string{"benvolio@example.net", "nurse@example.com", "romeo@example.net"}, jids(r.Entries()))
		romeo, _ := r.Entry(jid.MustParse("romeo@example.net"))
		assert.Equal(t, roster.Entry{JID: romeo.JID, Name: "Romeo Montague", Groups: []string{"Friends", "Lovers"}, Subscription: roster.SubscriptionBoth}, romeo)
		nurse, _ := r.Entry(jid.MustParse("nurse@example.com"))
		assert.True(t, nurse.SubscriptionPending())
		assert.Equal(t, roster.SubscriptionNone, nurse.Subscription)
		g, _ := r.Group("Lovers")
		assert.Equal(t, []string{"romeo@example.net"}, jids(g.Entries))
	})
}

// TestSpoofedPush: a push from anyone but the server for the account is
// not looked at (RFC 6121 section 2.1.6) and answered service-unavailable,
// as a request nobody handles; a push with other than one item is a
// bad-request. The roster does not change.
func TestSpoofedPush(t *testing.T) {
	var r *roster.Roster
	var ev *events
	c := connect(t, juliet, fetch+marker+`
S: <iq type='set' id='spoof1' from='romeo@example.net/orchard' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='eve@example.org' name='Eve' subscription='both'/></query></iq>
C: <iq type='error' id='spoof1' to='romeo@example.net/orchard'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='set' id='spoof2' from='romeo@example.net' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='romeo@example.net' subscription='remove'/></query></iq>
C: <iq type='error' id='spoof2' to='romeo@example.net'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='set' id='spoof3' from='example.com' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='eve@example.org' subscription='both'/></query></iq>
C: <iq type='error' id='spoof3' to='example.com'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='set' id='spoof4' from='juliet@example.com/other' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='eve@example.org' subscription='both'/></query></iq>
C: <iq type='error' id='spoof4' to='juliet@example.com/other'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
S: <iq type='set' id='two' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='eve@example.org'/><item jid='mallory@example.org'/></query></iq>
C: <iq type='error' id='two'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>{{*}}</text></error></iq>
S: <iq type='set' id='badjid' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='@example.org'/></query></iq>
C: <iq type='error' id='badjid'><error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>{{*}}</text></error></iq>
S: <iq type='set' id='ok' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='none'/></query></iq>
C: <iq type='result' id='ok'/>
`, func(c *xmpp.Conn) {
		r = roster.For(c)
		ev = listen(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	ev.expect(t, "added benvolio@example.net,mercutio@example.com,romeo@example.net", "loaded <nil>")
	before := r.Entries()
	sendMarker(t, c)
	// The legitimate push at the end is the first thing heard.
	ev.expect(t, "added nurse@example.com")
	ev.none(t)
	_, ok := r.Entry(jid.MustParse("eve@example.org"))
	assert.False(t, ok)
	want := append(before[:2:2], roster.Entry{JID: jid.MustParse("nurse@example.com"), Subscription: roster.SubscriptionNone}, before[2])
	assert.Equal(t, want, r.Entries())
	assert.Equal(t, "ver11", r.Version())
}

// TestSetAndRemove: adding, updating and removing send the roster sets of
// RFC 6121 sections 2.3-2.5; the entries change with the server's pushes,
// and the server's error comes back as a *stanza.Error. No fetch at
// login with LoadAtLogin(false).
func TestSetAndRemove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *roster.Roster
		connect(t, juliet, `
C: <iq type='set' id='{{add}}'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse'><group>Servants</group></item></query></iq>
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse' subscription='none'><group>Servants</group></item></query></iq>
C: <iq type='result' id='push1'/>
S: <iq type='result' id='{{add}}' to='juliet@example.com/balcony'/>
C: <iq type='set' id='{{update}}'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse Angelica'><group>Servants</group><group>Friends</group></item></query></iq>
S: <iq type='result' id='{{update}}' to='juliet@example.com/balcony'/>
S: <iq type='set' id='push2' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse Angelica' subscription='none'><group>Servants</group><group>Friends</group></item></query></iq>
C: <iq type='result' id='push2'/>
C: <iq type='set' id='{{unfile}}'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com'/></query></iq>
S: <iq type='result' id='{{unfile}}' to='juliet@example.com/balcony'/>
C: <iq type='set' id='{{remove}}'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='remove'/></query></iq>
S: <iq type='set' id='push3' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='remove'/></query></iq>
C: <iq type='result' id='push3'/>
S: <iq type='result' id='{{remove}}' to='juliet@example.com/balcony'/>
C: <iq type='set' id='{{again}}'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='remove'/></query></iq>
S: <iq type='error' id='{{again}}' to='juliet@example.com/balcony'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='set' id='{{long}}'><query xmlns='jabber:iq:roster'><item jid='tybalt@example.com'><group>Enemies</group></item></query></iq>
S: <iq type='error' id='{{long}}' to='juliet@example.com/balcony'><error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`, func(c *xmpp.Conn) {
			r = newRoster(c, func(r *roster.Roster) { r.SetLoadAtLogin(false) })
		})
		nurse := jid.MustParse("nurse@example.com")
		ctx := ctxT(t)
		require.NoError(t, r.Set(ctx, roster.Entry{JID: nurse, Name: "Nurse", Groups: []string{"Servants", "Servants"}}))
		// The push came before the result, but pushes go through the
		// dispatcher and results straight to Set: wait until it is
		// handled and answered.
		synctest.Wait()
		e, _ := r.Entry(nurse)
		e.Name = "Nurse Angelica"
		e.Groups = append(e.Groups, "Friends")
		require.NoError(t, r.Set(ctx, e))
		synctest.Wait() // the push after the result, handled and answered
		g, _ := r.Group("Friends")
		require.Len(t, g.Entries, 1)
		require.NoError(t, r.Set(ctx, roster.Entry{JID: nurse}))
		require.NoError(t, r.Remove(ctx, nurse))
		synctest.Wait()
		_, ok := r.Entry(nurse)
		require.False(t, ok)

		err := r.Remove(ctx, nurse)
		var se *stanza.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, stanza.ItemNotFound, se.Condition)
		assert.ErrorIs(t, r.Set(ctx, roster.Entry{JID: jid.MustParse("tybalt@example.com"), Groups: []string{"Enemies"}}),
			&stanza.Error{Condition: stanza.NotAcceptable})

		// Refused before sending.
		for _, bad := range []roster.Entry{{}, {JID: juliet}, {JID: nurse, Groups: []string{""}}} {
			assert.ErrorIs(t, r.Set(ctx, bad), roster.ErrBadEntry, "%+v", bad)
		}
		assert.ErrorIs(t, r.Remove(ctx, jid.JID{}), roster.ErrBadEntry)
	})
}

// TestVersionedNoChanges: with versioning offered, the request carries the
// stored version; an empty result means the stored roster is current
// (RFC 6121 section 2.6.3): it stays, and nothing is added or saved.
func TestVersionedNoChanges(t *testing.T) {
	store := new(roster.MemoryStore)
	stored := []roster.Entry{
		{JID: jid.MustParse("romeo@example.net"), Name: "Romeo", Groups: []string{"Friends"}, Subscription: roster.SubscriptionBoth},
	}
	require.NoError(t, store.Replace("ver14", stored))
	counting := &countingStore{Store: store}
	var r *roster.Roster
	var ev *events
	connect(t, juliet, `
S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster' ver='ver14'/></iq>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'/>
`, func(c *xmpp.Conn) {
		r = newRoster(c, func(r *roster.Roster) { r.SetStore(counting) })
		assert.Empty(t, r.Entries(), "the store is read at the first fetch")
		assert.Same(t, counting, r.Store())
		ev = listen(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	ev.expect(t, "added romeo@example.net", "loaded <nil>")
	assert.Equal(t, stored, r.Entries())
	assert.Equal(t, "ver14", r.Version())
	assert.Zero(t, counting.writes())
}

// TestVersionedChanges: the server answers a versioned request with an
// empty result and sends the changes as pushes (RFC 6121 section 2.6.3,
// example 2.6.3.2); the store follows.
func TestVersionedChanges(t *testing.T) {
	store := new(roster.MemoryStore)
	require.NoError(t, store.Replace("ver14", []roster.Entry{
		{JID: jid.MustParse("romeo@example.net"), Name: "Romeo", Subscription: roster.SubscriptionBoth},
		{JID: jid.MustParse("bill@example.org"), Subscription: roster.SubscriptionBoth},
	}))
	var r *roster.Roster
	var ev *events
	connect(t, juliet, `
S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster' ver='ver14'/></iq>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'/>
S: <iq type='set' id='a' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver34'><item jid='romeo@example.net' subscription='remove'/></query></iq>
C: <iq type='result' id='a'/>
S: <iq type='set' id='b' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver42'><item jid='bill@example.org' subscription='both'><group>Friends</group></item></query></iq>
C: <iq type='result' id='b'/>
S: <iq type='set' id='c' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver72'><item jid='nurse@example.org' name='Nurse'/></query></iq>
C: <iq type='result' id='c'/>
`, func(c *xmpp.Conn) {
		r = newRoster(c, func(r *roster.Roster) { r.SetStore(store) })
		ev = listen(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	// The pushes may reach the roster before or after the empty result
	// does (the result goes straight to the fetch, the pushes through
	// the dispatcher): either way they are applied where they stood on
	// the wire, after the result, and the last one's version is the
	// roster's. The store has it before the listeners hear the change.
	var lines []string
	for !containsAll(lines, "loaded <nil>", "added nurse@example.org") {
		lines = append(lines, ev.next(t))
	}
	assert.Equal(t, "ver72", r.Version())
	want := []roster.Entry{
		{JID: jid.MustParse("bill@example.org"), Groups: []string{"Friends"}, Subscription: roster.SubscriptionBoth},
		{JID: jid.MustParse("nurse@example.org"), Name: "Nurse", Subscription: roster.SubscriptionNone},
	}
	assert.Equal(t, want, r.Entries())
	ver, entries, _ := store.Load()
	assert.Equal(t, "ver72", ver)
	assert.Equal(t, want, entries)
}

func containsAll(l []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, s := range l {
			found = found || s == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestPushDuringFetch: a push that the server sends before the fetch's
// result is heard in its place, before the result, and applied again
// over the result: a result older than the push (this one lacks nurse)
// does not lose it.
func TestPushDuringFetch(t *testing.T) {
	var r *roster.Roster
	var ev *events
	connect(t, juliet, `
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='none'/></query></iq>
C: <iq type='result' id='push1'/>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='romeo@example.net' subscription='both'/></query></iq>
`, func(c *xmpp.Conn) {
		r = roster.For(c)
		ev = listen(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	ev.expect(t, "added nurse@example.com", "added romeo@example.net", "loaded <nil>")
	assert.Equal(t, []string{"nurse@example.com", "romeo@example.net"}, jids(r.Entries()))
}

// TestFetchError: a fetch the server refuses is reported to Loaded and
// WaitLoaded; the roster keeps what it had.
func TestFetchError(t *testing.T) {
	var r *roster.Roster
	var ev *events
	connect(t, juliet, `
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='error' id='{{get}}' to='juliet@example.com/balcony'><error type='wait'><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
C: <iq type='get' id='{{again}}'><query xmlns='jabber:iq:roster'/></iq>
S: <iq type='result' id='{{again}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'/></iq>
`, func(c *xmpp.Conn) {
		r = roster.For(c)
		ev = listen(r)
	})
	err := r.WaitLoaded(ctxT(t))
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.InternalServerError})
	assert.True(t, strings.HasPrefix(ev.next(t), "loaded roster: fetching: stanza error: internal-server-error"))
	require.NoError(t, r.Load(ctxT(t)), "Load fetches again")
	ev.expect(t, "loaded <nil>")
	assert.Empty(t, r.Entries())
}

// TestOpenfireSeed: the seed's Openfire offers versioning; the first
// request carries an empty ver (RFC 6121 section 2.6.2, nothing stored
// yet), and Openfire's answer, the whole roster with its version, is
// read: the Chinese name, the pending subscription, and the version saved
// in a file.
func TestOpenfireSeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		account := jid.MustParse("8049a646c63e65e8@oatest.dgcb.com.cn/phone")
		store, err := roster.OpenFileStore(t.TempDir() + "/roster.json")
		require.NoError(t, err)
		var r *roster.Roster
		connect(t, account, `
S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
C: <iq id='{{roster}}' type='get'><query xmlns='jabber:iq:roster' ver=''></query></iq>
S: <iq id="{{roster}}" to="8049a646c63e65e8@oatest.dgcb.com.cn/phone" type="result">
    <query ver="-491295515" xmlns="jabber:iq:roster">
        <item name="李**" jid="0347a8a25e9074b0@oatest.dgcb.com.cn" subscription="to"/>
        <item jid="903e652d2334628a@oatest.dgcb.com.cn" subscription="from"/>
        <item ask="subscribe" jid="28af56d053cbbf3e@oatest.dgcb.com.cn" subscription="none"/>
    </query>
   </iq>
`, func(c *xmpp.Conn) {
			r = newRoster(c, func(r *roster.Roster) { r.SetStore(store) })
		})
		require.NoError(t, r.WaitLoaded(ctxT(t)))
		want := []roster.Entry{
			{JID: jid.MustParse("0347a8a25e9074b0@oatest.dgcb.com.cn"), Name: "李**", Subscription: roster.SubscriptionTo},
			{JID: jid.MustParse("28af56d053cbbf3e@oatest.dgcb.com.cn"), Subscription: roster.SubscriptionNone, Ask: roster.AskSubscribe},
			{JID: jid.MustParse("903e652d2334628a@oatest.dgcb.com.cn"), Subscription: roster.SubscriptionFrom},
		}
		assert.Equal(t, want, r.Entries())
		assert.Equal(t, "-491295515", r.Version())

		// The file holds it all: a store opened on it would ask with this ver.
		synctest.Wait()
		again, err := roster.OpenFileStore(store.Path())
		require.NoError(t, err)
		ver, entries, _ := again.Load()
		assert.Equal(t, "-491295515", ver)
		assert.Equal(t, want, entries)
	})
}

// countingStore counts the writes to a Store.
type countingStore struct {
	roster.Store
	mu sync.Mutex
	n  int
}

func (s *countingStore) Replace(ver string, entries []roster.Entry) error {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return s.Store.Replace(ver, entries)
}

func (s *countingStore) Update(ver string, changed []roster.Entry) error {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return s.Store.Update(ver, changed)
}

func (s *countingStore) writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// TestPushHeardAfterNewerResult: a push the server sent before the
// fetch's result, heard only after the result was applied (a listener
// held the dispatcher), still changes the entries but leaves the version
// the result's: the result is newer (it has the push's change). Taking the
// push's version would make the next fetch ask for changes since an older
// one than the entries are at.
func TestPushHeardAfterNewerResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *roster.Roster
		connect(t, juliet, `
S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
C: <iq type='get' id='{{get}}'><query xmlns='jabber:iq:roster' ver=''/></iq>
S: <presence from='romeo@example.net/orchard'/>
S: <iq type='set' id='a' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver34'><item jid='nurse@example.org' name='Nurse'/></query></iq>
S: <iq type='result' id='{{get}}' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster' ver='ver50'><item jid='romeo@example.net' subscription='both'/><item jid='nurse@example.org' name='Nurse'/></query></iq>
C: <iq type='result' id='a'/>
`, func(c *xmpp.Conn) {
			c.HandlePresence(nil, func(*stanza.Presence) {
				assert.NoError(t, r.WaitLoaded(context.Background()))
			})
			r = roster.For(c)
		})
		synctest.Wait()
		assert.Equal(t, "ver50", r.Version())
		assert.Equal(t, []string{"nurse@example.org", "romeo@example.net"}, jids(r.Entries()))
	})
}
