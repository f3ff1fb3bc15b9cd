package roster_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var romeo = jid.MustParse("romeo@example.net")

// describe is a presence as one line: from, type, show, priority.
func describe(p *stanza.Presence) string {
	typ := string(p.Type)
	if typ == "" {
		typ = "available"
	}
	s := p.From.String() + " " + typ
	if p.Show != "" {
		s += " " + string(p.Show)
	}
	if p.Priority != 0 {
		s += fmt.Sprintf(" %d", p.Priority)
	}
	if st := p.Status(""); st != "" {
		s += fmt.Sprintf(" %q", st)
	}
	return s
}

func describeAll(ps []*stanza.Presence) []string {
	var l []string
	for _, p := range ps {
		l = append(l, describe(p))
	}
	return l
}

// listenPresence records what PresenceChanged hears.
func listenPresence(r *roster.Roster) *events {
	ev := &events{ch: make(chan string, 1000)}
	r.OnPresenceChanged(func(p *stanza.Presence) { ev.add(describe(p)) })
	return ev
}

// TestPresenceBest: the best presence is the highest priority, then the
// most available show (RFC 6121 section 4.7.2; Smack's getPresence), and
// each resource is tracked on its own.
func TestPresenceBest(t *testing.T) {
	var r *roster.Roster
	var ev *events
	c := connect(t, juliet, fetch+marker+`
S: <presence from='romeo@example.net/orchard' to='juliet@example.com/balcony'><show>away</show><priority>1</priority><status>walking</status></presence>
`+marker+`
S: <presence from='romeo@example.net/garden' to='juliet@example.com/balcony'><show>dnd</show><priority>5</priority></presence>
`+marker+`
S: <presence from='romeo@example.net/garden' to='juliet@example.com/balcony'><show>dnd</show><priority>1</priority></presence>
`+marker+`
S: <presence from='romeo@example.net/orchard' to='juliet@example.com/balcony' type='unavailable'/>
`+marker+`
S: <presence from='romeo@example.net/garden' to='juliet@example.com/balcony' type='unavailable'><status>bye</status></presence>
`+marker, func(c *xmpp.Conn) {
		r = roster.For(c)
		ev = listenPresence(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	assert.Equal(t, "romeo@example.net unavailable", describe(r.Presence(romeo)), "nothing received yet")
	garden, orchard := jid.MustParse("romeo@example.net/garden"), jid.MustParse("romeo@example.net/orchard")
	// Each step: the presence heard, then the best and all presences
	// (the script waits for the marker before the next step).
	for _, step := range []struct {
		heard string
		all   []string
	}{
		{`romeo@example.net/orchard available away 1 "walking"`, []string{`romeo@example.net/orchard available away 1 "walking"`}},
		// Priority first...
		{"romeo@example.net/garden available dnd 5", []string{"romeo@example.net/garden available dnd 5", `romeo@example.net/orchard available away 1 "walking"`}},
		// ...then show.
		{"romeo@example.net/garden available dnd 1", []string{`romeo@example.net/orchard available away 1 "walking"`, "romeo@example.net/garden available dnd 1"}},
		{"romeo@example.net/orchard unavailable", []string{"romeo@example.net/garden available dnd 1"}},
		// None available: the last unavailable.
		{`romeo@example.net/garden unavailable "bye"`, []string{`romeo@example.net/garden unavailable "bye"`}},
	} {
		sendMarker(t, c)
		ev.expect(t, step.heard)
		assert.Equal(t, step.all[0], describe(r.Presence(romeo)), "after %s", step.heard)
		assert.Equal(t, step.all[0], describe(r.Presence(garden)), "the bare JID is looked up")
		assert.Equal(t, step.all, describeAll(r.Presences(romeo)))
	}
	assert.Equal(t, `romeo@example.net/garden unavailable "bye"`, describe(r.PresenceOf(garden)))
	assert.Equal(t, "romeo@example.net/orchard unavailable", describe(r.PresenceOf(orchard)))
	assert.Equal(t, "romeo@example.net unavailable", describe(r.PresenceOf(romeo)), "the bare JID is not a resource")
	ev.none(t)
	sendMarker(t, c)
}

// TestPresenceShowOrder: at equal priority, chat > available > away > xa
// > dnd; at equal show too, the latest.
func TestPresenceShowOrder(t *testing.T) {
	shows := []string{"dnd", "xa", "away", "", "chat"}
	var steps strings.Builder
	for i, s := range shows {
		show := ""
		if s != "" {
			show = "<show>" + s + "</show>"
		}
		fmt.Fprintf(&steps, "%sS: <presence from='romeo@example.net/r%d'>%s</presence>\n", marker, i, show)
	}
	steps.WriteString(marker + "S: <presence from='romeo@example.net/r5'><show>chat</show></presence>\n" + marker)
	var r *roster.Roster
	var ev *events
	c := connect(t, juliet, fetch+steps.String(), func(c *xmpp.Conn) {
		r = roster.For(c)
		ev = listenPresence(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	for i, s := range shows {
		sendMarker(t, c)
		want := fmt.Sprintf("romeo@example.net/r%d available", i)
		if s != "" {
			want += " " + s
		}
		ev.expect(t, want)
		assert.Equal(t, want, describe(r.Presence(romeo)), "%q is best", s)
	}
	sendMarker(t, c)
	ev.expect(t, "romeo@example.net/r5 available chat")
	assert.Equal(t, []string{
		"romeo@example.net/r5 available chat",
		"romeo@example.net/r4 available chat",
		"romeo@example.net/r3 available",
		"romeo@example.net/r2 available away",
		"romeo@example.net/r1 available xa",
		"romeo@example.net/r0 available dnd",
	}, describeAll(r.Presences(romeo)))
	sendMarker(t, c)
}

// TestPresenceStreamEnd: when the stream ends, every resource becomes
// unavailable and the listeners hear it; an error presence from the bare
// JID makes all of a contact's resources unavailable.
func TestPresenceStreamEnd(t *testing.T) {
	var r *roster.Roster
	var ev *events
	closed := make(chan struct{})
	c := connect(t, juliet, fetch+marker+`
S: <presence from='romeo@example.net/orchard'/>
S: <presence from='romeo@example.net/garden'><priority>3</priority></presence>
S: <presence from='benvolio@example.net/street'/>
S: <presence from='mercutio@example.com/a'/>
S: <presence from='mercutio@example.com' type='error'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>
S: <presence from='juliet@example.com/chamber'><show>xa</show></presence>
S: <presence from='tybalt@example.com/street'/>
`+marker+`
S: </stream:stream>
C: </stream:stream>
`, func(c *xmpp.Conn) {
		r = roster.For(c)
		ev = listenPresence(r)
		c.OnState(func(sc xmpp.StateChange) {
			if sc.State == xmpp.StateClosed {
				close(closed)
			}
		})
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	sendMarker(t, c)
	ev.expect(t,
		"romeo@example.net/orchard available",
		"romeo@example.net/garden available 3",
		"benvolio@example.net/street available",
		"mercutio@example.com/a available",
		"mercutio@example.com error",
		"juliet@example.com/chamber available xa",
		"tybalt@example.com/street available",
	)
	assert.Equal(t, "mercutio@example.com error", describe(r.Presence(mercutio)))
	assert.Equal(t, "juliet@example.com/chamber available xa", describe(r.Presence(juliet)), "the account's other resources")
	assert.Equal(t, "tybalt@example.com/street available", describe(r.Presence(jid.MustParse("tybalt@example.com"))), "a stranger, while there is room")
	sendMarker(t, c)
	ev.expect(t,
		"benvolio@example.net/street unavailable",
		"juliet@example.com/chamber unavailable",
		"romeo@example.net/garden unavailable",
		"romeo@example.net/orchard unavailable",
		"tybalt@example.com/street unavailable",
	)
	<-closed
	for _, j := range []string{"romeo@example.net", "benvolio@example.net", "juliet@example.com", "tybalt@example.com"} {
		assert.Equal(t, jid.MustParse(j).Bare(), r.Presence(jid.MustParse(j)).From.Bare())
		assert.Equal(t, stanza.Unavailable, r.Presence(jid.MustParse(j)).Type, j)
	}
	assert.Equal(t, "tybalt@example.com unavailable", describe(r.Presence(jid.MustParse("tybalt@example.com"))), "strangers are forgotten")
	ev.none(t)
}

var mercutio = jid.MustParse("mercutio@example.com")

// TestPresenceStrangersBounded: presence from strangers is tracked for at
// most MaxStrangers bare JIDs, and one contact's resources up to
// MaxResources; a stranger that goes unavailable makes room.
func TestPresenceStrangersBounded(t *testing.T) {
	var steps strings.Builder
	for i := range roster.MaxStrangers + 1 {
		fmt.Fprintf(&steps, "S: <presence from='s%d@example.org/x'/>\n", i)
	}
	for i := range roster.MaxResources + 1 {
		fmt.Fprintf(&steps, "S: <presence from='romeo@example.net/r%d'/>\n", i)
	}
	steps.WriteString("S: <presence from='s0@example.org/x' type='unavailable'/>\n")
	steps.WriteString("S: <presence from='late@example.org/x'/>\n")
	steps.WriteString(marker)
	var r *roster.Roster
	var ev *events
	c := connect(t, juliet, fetch+marker+steps.String(), func(c *xmpp.Conn) {
		r = roster.For(c)
		ev = listenPresence(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	sendMarker(t, c)
	for i := range roster.MaxStrangers {
		ev.expect(t, fmt.Sprintf("s%d@example.org/x available", i))
	}
	for i := range roster.MaxResources {
		ev.expect(t, fmt.Sprintf("romeo@example.net/r%d available", i))
	}
	ev.expect(t, "s0@example.org/x unavailable", "late@example.org/x available")
	over := jid.MustParse(fmt.Sprintf("s%d@example.org", roster.MaxStrangers))
	assert.Equal(t, stanza.Unavailable, r.Presence(over).Type)
	assert.Len(t, r.Presences(romeo), roster.MaxResources)
	assert.Equal(t, "s0@example.org unavailable", describe(r.Presence(jid.MustParse("s0@example.org"))), "forgotten")
	ev.none(t)
	sendMarker(t, c)
}

// TestSetPresence: the helpers write broadcast and directed presence;
// only the broadcast one becomes the connection's LastPresence.
func TestSetPresence(t *testing.T) {
	var r *roster.Roster
	c := connect(t, juliet, `
C: <presence id='{{p1}}'><show>dnd</show><status>busy</status><priority>-1</priority></presence>
C: <presence id='{{p2}}' to='romeo@example.net'/>
C: <presence id='{{p3}}' to='room@muc.example.net/juliet'><show>away</show></presence>
`, func(c *xmpp.Conn) {
		r = newRoster(c, func(r *roster.Roster) { r.SetLoadAtLogin(false) })
	})
	ctx := ctxT(t)
	require.NoError(t, r.SetPresence(ctx, stanza.ShowDND, "busy", -1))
	require.NoError(t, r.SendDirected(ctx, romeo, nil))
	require.NoError(t, r.SendDirected(ctx, jid.MustParse("room@muc.example.net/juliet"), &stanza.Presence{Show: stanza.ShowAway}))
	require.Error(t, r.SendDirected(ctx, jid.JID{}, nil))
	last, ok := c.LastPresence()
	require.True(t, ok)
	assert.Equal(t, stanza.ShowDND, last.Show)
	assert.Equal(t, int8(-1), last.Priority)
}
