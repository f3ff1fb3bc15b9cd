package roster_test

import (
	"context"
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
	connect(t, juliet, `
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
		r = newRoster(c, func(r *roster.Roster) { r.SetLoadAtLogin(false) })
		ev = listen(r)
		r.OnPresenceChanged(func(p *stanza.Presence) { ev.add(describe(p)) })
		r.OnChange(func(ch roster.Change) {
			if len(ch.Added) > 0 {
				pending <- ch.Added[0].SubscriptionPending()
			}
		})
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
// and Manual, where a listener answers at once or the user later. Every
// listener hears the request, after the mode's answer.
func TestSubscribeIn(t *testing.T) {
	request := `S: <presence from='nurse@example.com/kitchen' to='juliet@example.com' type='subscribe'><status>hello</status></presence>
`
	approve := func(r *roster.Roster, req roster.SubscriptionRequest) error {
		return r.Approve(context.Background(), req.From)
	}
	deny := func(r *roster.Roster, req roster.SubscriptionRequest) error {
		return r.Deny(context.Background(), req.From)
	}
	for _, tc := range []struct {
		name   string
		mode   roster.SubscriptionMode
		back   bool
		answer func(*roster.Roster, roster.SubscriptionRequest) error // what the listener does
		later  func(*testing.T, *roster.Roster)
		sent   string
	}{
		{name: "AcceptAll", mode: roster.AcceptAll,
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n"},
		{name: "AcceptAllSubscribeBack", mode: roster.AcceptAll, back: true,
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n" +
				"C: <presence id='{{b}}' to='nurse@example.com' type='subscribe'/>\n"},
		{name: "RejectAll", mode: roster.RejectAll,
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='unsubscribed'/>\n"},
		{name: "ManualApproveInListener", answer: approve,
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n"},
		{name: "ManualDenyInListener", answer: deny,
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='unsubscribed'/>\n"},
		{name: "ManualApproveLater",
			later: func(t *testing.T, r *roster.Roster) { require.NoError(t, r.Approve(ctxT(t), nurse)) },
			sent:  "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n"},
		{name: "ManualApproveLaterSubscribeBack", back: true,
			later: func(t *testing.T, r *roster.Roster) { require.NoError(t, r.Approve(ctxT(t), nurse)) },
			sent: "C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>\n" +
				"C: <presence id='{{b}}' to='nurse@example.com' type='subscribe'/>\n"},
		{name: "ManualDenyLater",
			later: func(t *testing.T, r *roster.Roster) { require.NoError(t, r.Deny(ctxT(t), nurse)) },
			sent:  "C: <presence id='{{a}}' to='nurse@example.com' type='unsubscribed'/>\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r *roster.Roster
			asked := make(chan roster.SubscriptionRequest, 10)
			connect(t, juliet, request+tc.sent, func(c *xmpp.Conn) {
				r = newRoster(c, func(r *roster.Roster) {
					r.SetLoadAtLogin(false)
					r.SetSubscriptionMode(tc.mode)
					r.SetSubscribeBack(tc.back)
				})
				assert.Equal(t, tc.mode, r.SubscriptionMode())
				assert.Equal(t, tc.back, r.SubscribeBack())
				r.OnSubscriptionRequest(func(req roster.SubscriptionRequest) { asked <- req })
				if tc.answer != nil {
					r.OnSubscriptionRequest(func(req roster.SubscriptionRequest) { assert.NoError(t, tc.answer(r, req)) })
				}
			})
			req := <-asked
			assert.Equal(t, nurse, req.From, "the bare JID")
			assert.Equal(t, stanza.Subscribe, req.Presence.Type)
			assert.Equal(t, "hello", req.Presence.Status(""))
			assert.Equal(t, tc.mode, req.Mode)
			if tc.later != nil {
				tc.later(t, r)
			}
		})
	}
}

// TestDeny: Deny refuses a request, or cancels a subscription granted
// before (RFC 6121 section 3.2.1): the same stanza.
func TestDeny(t *testing.T) {
	var r *roster.Roster
	var ev *events
	connect(t, juliet, fetch+`
C: <presence id='{{c}}' to='mercutio@example.com' type='unsubscribed'/>
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='mercutio@example.com' name='Mercutio' subscription='none'/></query></iq>
C: <iq type='result' id='push1'/>
`, func(c *xmpp.Conn) {
		r = roster.For(c)
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
		connect(t, juliet, "", func(c *xmpp.Conn) { r = newRoster(c, func(r *roster.Roster) { r.SetLoadAtLogin(false) }) })
		assert.False(t, r.PreApprovalSupported())
		assert.ErrorIs(t, r.PreApprove(ctxT(t), nurse), roster.ErrNoPreApproval)
	})
	t.Run("Offered", func(t *testing.T) {
		var r *roster.Roster
		var ev *events
		connect(t, juliet, `
S: <stream:features><sub xmlns='urn:xmpp:features:pre-approval'/></stream:features>
C: <presence id='{{a}}' to='nurse@example.com' type='subscribed'/>
S: <iq type='set' id='push1' to='juliet@example.com/balcony'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='none' approved='true'/></query></iq>
C: <iq type='result' id='push1'/>
`, func(c *xmpp.Conn) {
			r = newRoster(c, func(r *roster.Roster) { r.SetLoadAtLogin(false) })
			ev = listen(r)
		})
		assert.True(t, r.PreApprovalSupported())
		require.NoError(t, r.PreApprove(ctxT(t), nurse))
		ev.expect(t, "added nurse@example.com")
		e, _ := r.Entry(nurse)
		assert.True(t, e.Approved)
	})
}
