package roster_test

import (
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var nurse = jid.MustParse("nurse@example.com")

// TestSubscribeOut: RFC 6121 section 3.1's flow from the user's side: the
// request, the roster push with ask, the contact's approval, the push
// with subscription to.
func TestSubscribeOut(t *testing.T) {
	var r *roster.Roster
	var ev *events
	pending := make(chan bool, 1)
	connect(t, juliet, "", `
C: <presence id='{{s}}' to='nurse@example.com' type='subscribe'/>
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='none' ask='subscribe'/></query></iq>
C: <iq type='result' id='push1'/>
S: <presence from='nurse@example.com' to='juliet@example.com' type='subscribed'/>
S: <iq type='set' id='push2' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='to'/></query></iq>
C: <iq type='result' id='push2'/>
S: <presence from='nurse@example.com/kitchen' to='juliet@example.com'/>
C: <presence id='{{u}}' to='nurse@example.com' type='unsubscribe'/>
S: <iq type='set' id='push3' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='none'/></query></iq>
C: <iq type='result' id='push3'/>
S: <presence from='nurse@example.com/kitchen' to='juliet@example.com' type='unavailable'/>
`, func(c *xmpp.Conn) {
		r = roster.New(c, roster.LoadAtLogin(false))
		ev = listen(r)
		r.Listen(roster.Listener{PresenceChanged: func(p *stanza.Presence) { ev.add(describe(p)) }})
		r.Listen(roster.Listener{Added: func(es []roster.Entry) { pending <- es[0].SubscriptionPending() }})
	})
	ctx := ctxT(t)
	require.NoError(t, r.Subscribe(ctx, nurse))
	ev.expect(t, "added nurse@example.com")
	assert.True(t, <-pending, "the entry as added")
	ev.expect(t, "updated nurse@example.com", "nurse@example.com/kitchen available")
	e, _ := r.Entry(nurse)
	assert.Equal(t, roster.SubscriptionTo, e.Subscription)
	assert.False(t, e.SubscriptionPending())

	require.NoError(t, r.Unsubscribe(ctx, nurse))
	ev.expect(t, "updated nurse@example.com", "nurse@example.com/kitchen unavailable")
	e, _ = r.Entry(nurse)
	assert.Equal(t, roster.SubscriptionNone, e.Subscription)

	// Refused before sending.
	assert.ErrorIs(t, r.Subscribe(ctx, jid.MustParse("nurse@example.com/kitchen")), roster.ErrBadEntry)
	assert.ErrorIs(t, r.Approve(ctx, jid.JID{}), roster.ErrBadEntry)
}

// TestSubscribeIn: a contact's request (RFC 6121 section 3.1.3) answered
// by each mode: AcceptAll (with and without SubscribeBack), RejectAll,
// and Manual, where a listener decides at once or the user later.
func TestSubscribeIn(t *testing.T) {
	request := `S: <presence from='nurse@example.com' to='juliet@example.com' type='subscribe'/>
`
	for _, tc := range []struct {
		name   string
		opts   []roster.Option
		answer roster.Answer // what the Manual listener says
		later  func(*testing.T, *roster.Roster)
		sent   string
	}{
		{name: "AcceptAll", opts: []roster.Option{roster.WithSubscriptionMode(roster.AcceptAll)},
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n"},
		{name: "AcceptAllSubscribeBack", opts: []roster.Option{roster.WithSubscriptionMode(roster.AcceptAll), roster.SubscribeBack(true)},
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n" +
				"C: <presence id='{{b}}' to='nurse@example.com' type='subscribe'/>\n"},
		{name: "RejectAll", opts: []roster.Option{roster.WithSubscriptionMode(roster.RejectAll)},
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='unsubscribed'/>\n"},
		{name: "ManualAccept", answer: roster.Accept,
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n"},
		{name: "ManualReject", answer: roster.Reject,
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='unsubscribed'/>\n"},
		{name: "ManualApproveLater", answer: roster.Undecided,
			later: func(t *testing.T, r *roster.Roster) { require.NoError(t, r.Approve(ctxT(t), nurse)) },
			sent:  "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n"},
		{name: "ManualApproveLaterSubscribeBack", opts: []roster.Option{roster.SubscribeBack(true)}, answer: roster.Undecided,
			later: func(t *testing.T, r *roster.Roster) { require.NoError(t, r.Approve(ctxT(t), nurse)) },
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n" +
				"C: <presence id='{{b}}' to='nurse@example.com' type='subscribe'/>\n"},
		{name: "ManualDenyLater", answer: roster.Undecided,
			later: func(t *testing.T, r *roster.Roster) { require.NoError(t, r.Deny(ctxT(t), nurse)) },
			sent:  "C: <presence id='{{a}}' to='nurse@example.com' type='unsubscribed'/>\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r *roster.Roster
			asked := make(chan *stanza.Presence, 10)
			connect(t, juliet, "", request+tc.sent, func(c *xmpp.Conn) {
				r = roster.New(c, append([]roster.Option{roster.LoadAtLogin(false)}, tc.opts...)...)
				// A listener without the func is skipped; one that
				// leaves the request undecided passes it on.
				r.Listen(roster.Listener{})
				r.Listen(roster.Listener{SubscriptionRequested: func(p *stanza.Presence) roster.Answer {
					asked <- p
					return roster.Undecided
				}})
				r.Listen(roster.Listener{SubscriptionRequested: func(*stanza.Presence) roster.Answer { return tc.answer }})
			})
			if tc.later != nil || tc.answer != roster.Undecided {
				p := <-asked
				assert.Equal(t, nurse, p.From)
				assert.Equal(t, stanza.Subscribe, p.Type)
			}
			if tc.later != nil {
				tc.later(t, r)
			}
			if len(tc.opts) > 0 && tc.later == nil {
				assert.Empty(t, asked, "the mode answers; listeners are not asked")
			}
		})
	}
}

// TestDeny: Deny refuses a request, or cancels a subscription granted
// before (RFC 6121 section 3.2.1): the same stanza.
func TestDeny(t *testing.T) {
	var r *roster.Roster
	var ev *events
	connect(t, juliet, "", fetch+`
C: <presence id='{{c}}' to='mercutio@example.com' type='unsubscribed'/>
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='mercutio@example.com' name='Mercutio' subscription='none'/></query></iq>
C: <iq type='result' id='push1'/>
`, func(c *xmpp.Conn) {
		r = roster.New(c)
		ev = listen(r)
	})
	require.NoError(t, r.WaitLoaded(ctxT(t)))
	ev.expect(t, "added benvolio@example.net,mercutio@example.com,romeo@example.net", "loaded <nil>")
	require.NoError(t, r.Deny(ctxT(t), mercutio))
	ev.expect(t, "updated mercutio@example.com")
	e, _ := r.Entry(mercutio)
	assert.Equal(t, roster.SubscriptionNone, e.Subscription)
}

// TestPreApprove: pre-approval is sent only when the server advertises
// it (RFC 6121 section 3.4).
func TestPreApprove(t *testing.T) {
	t.Run("NotOffered", func(t *testing.T) {
		var r *roster.Roster
		connect(t, juliet, "", "", func(c *xmpp.Conn) { r = roster.New(c, roster.LoadAtLogin(false)) })
		assert.False(t, r.PreApprovalSupported())
		assert.ErrorIs(t, r.PreApprove(ctxT(t), nurse), roster.ErrNoPreApproval)
	})
	t.Run("Offered", func(t *testing.T) {
		var r *roster.Roster
		var ev *events
		connect(t, juliet, "<sub xmlns='urn:xmpp:features:pre-approval'/>", `
C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='none' approved='true'/></query></iq>
C: <iq type='result' id='push1'/>
`, func(c *xmpp.Conn) {
			r = roster.New(c, roster.LoadAtLogin(false))
			ev = listen(r)
		})
		assert.True(t, r.PreApprovalSupported())
		require.NoError(t, r.PreApprove(ctxT(t), nurse))
		ev.expect(t, "added nurse@example.com")
		e, _ := r.Entry(nurse)
		assert.True(t, e.Approved)
	})
}
