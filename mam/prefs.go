package mam

import (
	"context"
	"fmt"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// Default is what the archive does with messages from and to JIDs that
// neither the Always nor the Never list names (XEP-0313 section 6.1).
type Default string

// The defaults of XEP-0313.
const (
	// Always archives every message.
	Always Default = "always"
	// Never archives none.
	Never Default = "never"
	// Roster archives the messages exchanged with the contacts in the
	// account's roster.
	Roster Default = "roster"
)

// Prefs are the account's archiving preferences (Smack's MamPrefs): the
// default, and the JIDs whose messages are always or never archived.
// The zero Prefs has no default, which the archive reads as leaving its
// own unchanged.
type Prefs struct {
	// Default is the rule for JIDs in neither list.
	Default Default
	// Always and Never list the bare JIDs whose messages the archive
	// always, or never, keeps.
	Always, Never []jid.JID
}

// Prefs returns the account's archiving preferences (Smack's
// retrieveArchivingPreferences). ctx bounds the request, which runs on
// the caller's goroutine; when it ends Prefs returns ctx.Err(). An
// error reply is returned as its *stanza.Error.
func (m *Client) Prefs(ctx context.Context) (Prefs, error) {
	v, err := m.version(ctx, jid.JID{})
	if err != nil {
		return Prefs{}, err
	}
	return m.prefs(ctx, &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: name(v.ns, "prefs")}})
}

// SetPrefs replaces the account's archiving preferences with p and
// returns them as the archive stored them (Smack's
// updateArchivingPreferences), which may differ from p: a server may
// refuse a JID or a default. ctx bounds the request as for Prefs.
func (m *Client) SetPrefs(ctx context.Context, p Prefs) (Prefs, error) {
	v, err := m.version(ctx, jid.JID{})
	if err != nil {
		return Prefs{}, err
	}
	n := &stanza.Node{Name: name(v.ns, "prefs")}
	if p.Default != "" {
		n.Attrs = append(n.Attrs, attr("default", string(p.Default)))
	}
	n.Nodes = append(n.Nodes, list(v.ns, "always", p.Always), list(v.ns, "never", p.Never))
	return m.prefs(ctx, &stanza.IQ{Type: stanza.Set, Payload: n})
}

func (m *Client) prefs(ctx context.Context, iq *stanza.IQ) (Prefs, error) {
	reply, err := m.c.SendIQ(ctx, iq)
	if err != nil {
		return Prefs{}, fmt.Errorf("mam: preferences: %w", err)
	}
	if reply.Payload == nil || !isMAM(reply.Payload.Name.Space) || reply.Payload.Name.Local != "prefs" {
		return Prefs{}, fmt.Errorf("%w: no <prefs/> in the answer", ErrMalformed)
	}
	return parsePrefs(reply.Payload), nil
}

// list writes an <always/> or <never/> list.
func list(ns, local string, js []jid.JID) stanza.Node {
	n := stanza.Node{Name: name(ns, local)}
	for _, j := range js {
		n.Nodes = append(n.Nodes, stanza.Node{Name: name(ns, "jid"), Nodes: []stanza.Node{{Text: j.String()}}})
	}
	return n
}

// parsePrefs reads a <prefs/> element. JIDs that do not parse are left
// out.
func parsePrefs(n *stanza.Node) Prefs {
	p := Prefs{Default: Default(n.Attr("default"))}
	for i := range n.Nodes {
		c := &n.Nodes[i]
		var to *[]jid.JID
		switch c.Name.Local {
		case "always":
			to = &p.Always
		case "never":
			to = &p.Never
		default:
			continue
		}
		for j := range c.Nodes {
			if c.Nodes[j].Name.Local != "jid" {
				continue
			}
			if id, err := jid.Parse(c.Nodes[j].InnerText()); err == nil {
				*to = append(*to, id)
			}
		}
	}
	return p
}
