package roster

import (
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// Namespaces of the roster protocol (RFC 6121).
const (
	// NS is the roster namespace, of <query xmlns='jabber:iq:roster'/>
	// (section 2).
	NS = "jabber:iq:roster"
	// NSVersioning is the stream feature of roster versioning, <ver
	// xmlns='urn:xmpp:features:rosterver'/> (section 2.6.1).
	NSVersioning = "urn:xmpp:features:rosterver"
	// NSPreApproval is the stream feature of subscription
	// pre-approval, <sub xmlns='urn:xmpp:features:pre-approval'/>
	// (section 3.4).
	NSPreApproval = "urn:xmpp:features:pre-approval"
)

// queryName is the roster payload, <query xmlns='jabber:iq:roster'/>.
var queryName = xml.Name{Space: NS, Local: "query"}

// Subscription is the subscription state of a roster item (RFC 6121
// section 2.1.2.5; Smack's RosterPacket.ItemType). The empty Subscription,
// as received without the attribute, means SubscriptionNone.
type Subscription string

// Subscription states.
const (
	// SubscriptionNone: neither the user nor the contact is subscribed
	// to the other's presence.
	SubscriptionNone Subscription = "none"
	// SubscriptionTo: the user receives the contact's presence.
	SubscriptionTo Subscription = "to"
	// SubscriptionFrom: the contact receives the user's presence.
	SubscriptionFrom Subscription = "from"
	// SubscriptionBoth: each receives the other's presence.
	SubscriptionBoth Subscription = "both"
	// SubscriptionRemove appears only in roster pushes and sets: the item
	// is (to be) deleted.
	SubscriptionRemove Subscription = "remove"
)

// Ask is the pending-subscription state of a roster item (RFC 6121
// section 2.1.2.2). The empty Ask means nothing is pending.
type Ask string

// AskSubscribe: the user sent a subscription request that the contact has
// not yet answered (Smack's RosterEntry.isSubscriptionPending).
const AskSubscribe Ask = "subscribe"

// Entry is one roster item (RFC 6121 section 2.1.2; Smack's RosterEntry),
// a plain value: the Roster hands out copies, and changing one changes
// nothing else. Its zero value is an entry without a JID, which no roster
// holds.
type Entry struct {
	// JID is the contact's bare JID (or a domain, for a gateway).
	JID jid.JID
	// Name is the user's name for the contact, "" if none.
	Name string
	// Groups are the groups the entry is in, in the order the server
	// sent them; none means unfiled.
	Groups []string
	// Subscription is the subscription state; in a roster push,
	// SubscriptionRemove.
	Subscription Subscription
	// Ask is AskSubscribe while the user's subscription request waits.
	Ask Ask
	// Approved is set when the user pre-approved the contact's
	// subscription request (RFC 6121 section 3.4).
	Approved bool
}

// SubscriptionPending reports whether the user's subscription request to
// the contact waits for an answer (Smack's isSubscriptionPending).
func (e Entry) SubscriptionPending() bool { return e.Ask == AskSubscribe }

// InGroup reports whether the entry is in the named group.
func (e Entry) InGroup(group string) bool { return slices.Contains(e.Groups, group) }

// clone returns e with its own Groups.
func (e Entry) clone() Entry {
	e.Groups = slices.Clone(e.Groups)
	return e
}

// equal reports whether a and b are the same item.
func (a Entry) equal(b Entry) bool {
	return a.JID == b.JID && a.Name == b.Name && slices.Equal(a.Groups, b.Groups) &&
		a.subscription() == b.subscription() && a.Ask == b.Ask && a.Approved == b.Approved
}

func (e Entry) subscription() Subscription {
	if e.Subscription == "" {
		return SubscriptionNone
	}
	return e.Subscription
}

// byJID orders entries by their JIDs' strings.
func byJID(a, b Entry) int { return cmp.Compare(a.JID.String(), b.JID.String()) }

// errItem is what a malformed item is reported as.
var errItem = errors.New("roster: malformed item")

// parseItem reads <item/> (RFC 6121 section 2.1.2). A missing or invalid
// jid, an unknown subscription and a repeated or empty group are errors.
func parseItem(n *stanza.Node) (Entry, error) {
	var e Entry
	raw := n.Attr("jid")
	if raw == "" {
		return e, fmt.Errorf("%w: no jid", errItem)
	}
	j, err := jid.Parse(raw)
	if err != nil {
		return e, fmt.Errorf("%w: jid %q: %w", errItem, raw, err)
	}
	e.JID = j
	e.Name = n.Attr("name")
	switch s := Subscription(n.Attr("subscription")); s {
	case "", SubscriptionNone:
		e.Subscription = SubscriptionNone
	case SubscriptionTo, SubscriptionFrom, SubscriptionBoth, SubscriptionRemove:
		e.Subscription = s
	default:
		return e, fmt.Errorf("%w: subscription %q", errItem, s)
	}
	// RFC 6121 defines only ask='subscribe'; RFC 3921's 'unsubscribe'
	// still comes from old servers and means nothing pending to us.
	if Ask(n.Attr("ask")) == AskSubscribe {
		e.Ask = AskSubscribe
	}
	switch n.Attr("approved") {
	case "true", "1":
		e.Approved = true
	}
	for i := range n.Nodes {
		g := &n.Nodes[i]
		if g.IsText() || g.Name.Local != "group" || g.Name.Space != NS {
			continue
		}
		name := g.InnerText()
		if name == "" || slices.Contains(e.Groups, name) {
			// RFC 6121 section 2.1.2.4 forbids both; take what can be
			// taken rather than lose the item.
			continue
		}
		e.Groups = append(e.Groups, name)
	}
	return e, nil
}

// itemNode is the <item/> of a roster set: jid, name and groups, or jid and
// subscription='remove'. The server ignores, and so the client never
// sends, the other attributes (RFC 6121 section 2.1.2).
func itemNode(e Entry, remove bool) stanza.Node {
	n := stanza.Node{Name: xml.Name{Space: NS, Local: "item"}}
	n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "jid"}, Value: e.JID.String()})
	if remove {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "subscription"}, Value: string(SubscriptionRemove)})
		return n
	}
	if e.Name != "" {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "name"}, Value: e.Name})
	}
	for _, g := range e.Groups {
		n.Nodes = append(n.Nodes, stanza.Node{
			Name:  xml.Name{Space: NS, Local: "group"},
			Nodes: []stanza.Node{{Text: g}},
		})
	}
	return n
}

// items returns the <item/> children of a roster query.
func items(q *stanza.Node) []*stanza.Node {
	var l []*stanza.Node
	for i := range q.Nodes {
		n := &q.Nodes[i]
		if !n.IsText() && n.Name.Local == "item" && n.Name.Space == NS {
			l = append(l, n)
		}
	}
	return l
}

// parseResult reads the roster query of a fetch's result (RFC 6121
// section 2.1.3): its version and its entries, never nil. A bad item, or
// one marked for removal, is left out: it is not a reason to lose the
// others.
func parseResult(q *stanza.Node) (ver string, entries []Entry) {
	entries = []Entry{}
	for _, n := range items(q) {
		e, err := parseItem(n)
		if err != nil || e.Subscription == SubscriptionRemove {
			continue
		}
		entries = append(entries, e)
	}
	return q.Attr("ver"), entries
}

// parsePush reads the roster query of a push (RFC 6121 section 2.1.6):
// exactly one valid item, or the bad-request error to answer.
func parsePush(q *stanza.Node) (push, *stanza.Error) {
	l := items(q)
	if len(l) != 1 {
		return push{}, &stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: "a roster push carries exactly one item"}
	}
	e, err := parseItem(l[0])
	if err != nil {
		return push{}, &stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest, Text: err.Error()}
	}
	return push{ver: q.Attr("ver"), entry: e}, nil
}
