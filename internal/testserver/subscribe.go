package testserver

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// SubscribeMutually makes the accounts a and b subscribe to each other's
// presence (RFC 6121 section 3) with plain presence stanzas, each
// approving the other's request, on sessions of their own (no roster
// manager), and waits until the server's roster of each has the other
// with subscription both. It fails the test otherwise.
func SubscribeMutually(t testing.TB, a, b xmpp.Config) {
	t.Helper()
	approve := func(c *xmpp.Conn, other jid.JID) {
		c.HandlePresence(stanza.IsPresence(stanza.Subscribe), func(p *stanza.Presence) {
			if p.From.Bare() == other {
				ok := &stanza.Presence{Type: stanza.Subscribed}
				ok.To = other
				if err := c.Send(Context(t), ok); err != nil {
					t.Errorf("approving %s: %v", other, err)
				}
			}
		})
	}
	ca := Login(t, a, func(c *xmpp.Conn) { approve(c, b.JID.Bare()) })
	cb := Login(t, b, func(c *xmpp.Conn) { approve(c, a.JID.Bare()) })
	defer ca.Close()
	defer cb.Close()
	for _, ask := range []struct {
		c  *xmpp.Conn
		to jid.JID
	}{{ca, b.JID.Bare()}, {cb, a.JID.Bare()}} {
		p := &stanza.Presence{Type: stanza.Subscribe}
		p.To = ask.to
		if err := ask.c.Send(Context(t), p); err != nil {
			t.Fatalf("asking %s: %v", ask.to, err)
		}
	}
	for _, side := range []struct {
		c       *xmpp.Conn
		contact jid.JID
	}{{ca, b.JID.Bare()}, {cb, a.JID.Bare()}} {
		deadline := time.Now().Add(Timeout)
		for Subscription(t, side.c, side.contact) != "both" {
			if time.Now().After(deadline) {
				t.Fatalf("%s is not subscribed both ways to %s", side.c.JID(), side.contact)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Subscription asks the server for c's roster and returns the
// subscription of contact in it ("" when absent, or when the query
// fails, which fails the test).
func Subscription(t testing.TB, c *xmpp.Conn, contact jid.JID) string {
	t.Helper()
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "jabber:iq:roster", Local: "query"}}}
	res, err := c.SendIQ(Context(t), iq)
	if err != nil {
		t.Errorf("fetching %s's roster: %v", c.JID(), err)
		return ""
	}
	if res.Payload == nil {
		return ""
	}
	for _, item := range res.Payload.Nodes {
		if item.Name.Local == "item" && item.Attr("jid") == contact.String() {
			return item.Attr("subscription")
		}
	}
	return ""
}
