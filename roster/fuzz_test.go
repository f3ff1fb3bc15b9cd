package roster

import (
	"encoding/xml"
	"reflect"
	"slices"
	"testing"

	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzQuery reads roster results and pushes (RFC 6121 sections 2.1.3 and
// 2.1.6) as the connection hands them to the Roster: the query of a
// result through parseResult, of a set through parsePush. Every entry has
// a valid address, a known subscription (remove only in a push), ask
// empty or subscribe, distinct non-empty groups. A result has exactly the
// entries encoding/xml finds valid; a push is refused exactly when it
// does not hold one valid item. Each entry, written as a server writes an
// item, reads back the same. The pushes, applied in turn, keep the
// entries keyed by their address with none removed.
func FuzzQuery(f *testing.F) {
	wiretest.Seed(f, wiretest.ServerElements(f, func(el *xmlstream.Element) bool {
		st, _ := wire.Decode(el)
		return rosterQuery(st) != nil
	})...)
	wiretest.Seed(f,
		// RFC 6121 examples 2.1.4, 2.1.6, 2.5.2, 3.1.2 and 3.4.
		`<iq id='bv1bs71f' to='juliet@example.com/chamber' type='result'><query xmlns='jabber:iq:roster' ver='ver11'><item jid='romeo@example.net' name='Romeo' subscription='both'><group>Friends</group></item><item jid='mercutio@example.com' name='Mercutio' subscription='from'/><item jid='benvolio@example.net' name='Benvolio' subscription='both'/></query></iq>`,
		`<iq id='a78b4q6ha463' to='juliet@example.com/chamber' type='set'><query xmlns='jabber:iq:roster' ver='ver13'><item jid='nurse@example.com' name='Nurse' subscription='none'><group>Servants</group></item></query></iq>`,
		`<iq id='hm4hs97y' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster' ver='ver34'><item jid='nurse@example.com' subscription='remove'/></query></iq>`,
		`<iq id='b89c5r7ib574' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster'><item ask='subscribe' jid='romeo@example.net' subscription='none' approved='true'/></query></iq>`,
		`<iq id='r1' type='result'><query xmlns='jabber:iq:roster'><item jid='a@b'><group>g</group><group>g</group><group></group></item><item jid='@bad'/><item jid='c@d' subscription='remove'/><item jid='e@f' subscription='sideways'/></query></iq>`,
		`<iq id='p2' type='set'><query xmlns='jabber:iq:roster'><item jid='a@b'/><item jid='c@d'/></query></iq><iq id='p3' type='set'><query xmlns='jabber:iq:roster' ver='v'><item jid='A@B/r' name='x&#xD;y'><group>&lt;&amp;&gt;</group></item></query></iq>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &Roster{entries: map[jid.JID]Entry{}}
		wiretest.Stanzas(data, func(el *xmlstream.Element, st stanza.Stanza, derr error) bool {
			q := rosterQuery(st)
			ref, err := wiretest.Reference(el.Raw)
			if q == nil || derr != nil || err != nil {
				return true
			}
			refItems := referenceItems(ref)
			if st.(*stanza.IQ).Type == stanza.Set {
				checkPush(t, el.Raw, q, refItems, r)
			} else {
				checkResult(t, el.Raw, q, refItems)
			}
			return true
		})
	})
}

// rosterQuery returns the roster query of a result or set, or nil.
func rosterQuery(st stanza.Stanza) *stanza.Node {
	iq, ok := st.(*stanza.IQ)
	if !ok || iq.Payload == nil || iq.Payload.Name != queryName || (iq.Type != stanza.Result && iq.Type != stanza.Set) {
		return nil
	}
	return iq.Payload
}

// referenceItems returns the <item/> children of the query that
// encoding/xml read.
func referenceItems(ref *wiretest.XMLNode) []*wiretest.XMLNode {
	var q *wiretest.XMLNode
	for i := range ref.Nodes {
		if ref.Nodes[i].XMLName == queryName {
			q = &ref.Nodes[i]
			break
		}
	}
	var items []*wiretest.XMLNode
	for i := range q.Nodes {
		if q.Nodes[i].XMLName == (xml.Name{Space: NS, Local: "item"}) {
			items = append(items, &q.Nodes[i])
		}
	}
	return items
}

// validItem reports whether parseItem may accept the item: a valid jid
// and a subscription RFC 6121 defines.
func validItem(n *wiretest.XMLNode) bool {
	_, err := jid.Parse(n.Attr("jid"))
	return n.Attr("jid") != "" && err == nil &&
		slices.Contains([]string{"", "none", "to", "from", "both", "remove"}, n.Attr("subscription"))
}

func checkResult(t *testing.T, raw string, q *stanza.Node, items []*wiretest.XMLNode) {
	t.Helper()
	ver, entries := parseResult(q)
	want := 0
	for _, n := range items {
		if validItem(n) && n.Attr("subscription") != "remove" {
			want++
		}
	}
	if entries == nil || len(entries) != want {
		t.Fatalf("%s: %d entries (%v); encoding/xml finds %d valid items", raw, len(entries), entries, want)
	}
	for _, e := range entries {
		checkEntry(t, raw, e, false)
	}
	back := writeQuery(t, ver, entries)
	if ver2, again := parseResult(back); ver2 != ver || !reflect.DeepEqual(again, entries) {
		t.Fatalf("%s: %q %#v read back as %q %#v", raw, ver, entries, ver2, again)
	}
}

func checkPush(t *testing.T, raw string, q *stanza.Node, items []*wiretest.XMLNode, r *Roster) {
	t.Helper()
	p, serr := parsePush(q)
	if ok := len(items) == 1 && validItem(items[0]); ok != (serr == nil) {
		t.Fatalf("%s: push %#v, %v; encoding/xml finds %d items", raw, p, serr, len(items))
	}
	if serr != nil {
		if serr.Condition != stanza.BadRequest {
			t.Fatalf("%s: refused with %v", raw, serr)
		}
		return
	}
	checkEntry(t, raw, p.entry, true)
	back := writeQuery(t, p.ver, []Entry{p.entry})
	if again, serr := parsePush(back); serr != nil || !reflect.DeepEqual(again, p) {
		t.Fatalf("%s: %#v read back as %#v, %v", raw, p, again, serr)
	}
	var ch change
	r.applyLocked(p, true, &ch)
	for k, e := range r.entries {
		if e.JID != k || e.Subscription == SubscriptionRemove {
			t.Fatalf("%s: entry %#v under %s", raw, e, k)
		}
	}
	if _, kept := r.entries[p.entry.JID]; kept == (p.entry.Subscription == SubscriptionRemove) {
		t.Fatalf("%s: after %#v, kept is %v", raw, p.entry, kept)
	}
}

// checkEntry checks what parseItem promises of an entry.
func checkEntry(t *testing.T, raw string, e Entry, push bool) {
	t.Helper()
	again, err := jid.Parse(e.JID.String())
	subs := []Subscription{SubscriptionNone, SubscriptionTo, SubscriptionFrom, SubscriptionBoth}
	if push {
		subs = append(subs, SubscriptionRemove)
	}
	switch {
	case e.JID.IsZero() || err != nil || again != e.JID:
		t.Fatalf("%s: entry address %q: %v", raw, e.JID, err)
	case !slices.Contains(subs, e.Subscription) || (e.Ask != "" && e.Ask != AskSubscribe):
		t.Fatalf("%s: entry %#v", raw, e)
	}
	for i, g := range e.Groups {
		if g == "" || slices.Contains(e.Groups[:i], g) {
			t.Fatalf("%s: groups %q", raw, e.Groups)
		}
	}
}

// writeQuery writes entries as a server writes a roster query and returns
// it as read back.
func writeQuery(t *testing.T, ver string, entries []Entry) *stanza.Node {
	t.Helper()
	q := stanza.Node{Name: queryName}
	if ver != "" {
		q.Attrs = []xml.Attr{{Name: xml.Name{Local: "ver"}, Value: ver}}
	}
	for _, e := range entries {
		remove := e.Subscription == SubscriptionRemove
		n := itemNode(e, remove)
		if !remove {
			n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "subscription"}, Value: string(e.Subscription)})
		}
		if e.Ask != "" {
			n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "ask"}, Value: string(e.Ask)})
		}
		if e.Approved {
			n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "approved"}, Value: "true"})
		}
		q.Nodes = append(q.Nodes, n)
	}
	back, err := wiretest.Payload(q)
	if err != nil {
		t.Fatalf("%#v: %v", q, err)
	}
	return back
}
