package stanza_test

import (
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
)

func TestFilters(t *testing.T) {
	alice := jid.MustParse("alice@localhost/phone")
	receipt := xml.Name{Space: "urn:xmpp:receipts", Local: "request"}
	chat := &stanza.Message{Type: stanza.Chat, Common: stanza.Common{From: alice, ID: "m1"}, Extensions: []stanza.Node{{Name: receipt}}}
	untyped := &stanza.Message{Common: stanza.Common{From: jid.MustParse("bob@localhost/pc")}}
	away := &stanza.Presence{Show: stanza.ShowAway, Common: stanza.Common{From: alice}}
	gone := &stanza.Presence{Type: stanza.Unavailable}
	ping := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}, Common: stanza.Common{ID: "p1"}}
	all := []stanza.Stanza{chat, untyped, away, gone, ping}

	for _, tc := range []struct {
		name string
		f    stanza.Filter
		want []stanza.Stanza
	}{
		{"nil wants all", nil, all},
		{"any message", stanza.IsMessage(), []stanza.Stanza{chat, untyped}},
		{"chat", stanza.IsMessage(stanza.Chat), []stanza.Stanza{chat}},
		{"no type is normal", stanza.IsMessage(stanza.Normal), []stanza.Stanza{untyped}},
		{"available presence", stanza.IsPresence(stanza.Available), []stanza.Stanza{away}},
		{"any presence", stanza.IsPresence(), []stanza.Stanza{away, gone}},
		{"IQ get", stanza.IsIQ(stanza.Get), []stanza.Stanza{ping}},
		{"IQ result", stanza.IsIQ(stanza.Result), nil},
		{"from full", stanza.From(alice), []stanza.Stanza{chat, away}},
		{"from another resource", stanza.From(jid.MustParse("alice@localhost/pc")), nil},
		{"from bare", stanza.FromBare(jid.MustParse("alice@localhost/pc")), []stanza.Stanza{chat, away}},
		{"no from", stanza.From(jid.JID{}), []stanza.Stanza{gone, ping}},
		{"id", stanza.WithID("p1"), []stanza.Stanza{ping}},
		{"extension", stanza.HasExtension(receipt), []stanza.Stanza{chat}},
		{"payload", stanza.HasExtension(ping.Payload.Name), []stanza.Stanza{ping}},
		{"and", stanza.And(stanza.IsMessage(), stanza.FromBare(alice)), []stanza.Stanza{chat}},
		{"or", stanza.Or(stanza.IsIQ(), stanza.IsPresence(stanza.Unavailable)), []stanza.Stanza{gone, ping}},
		{"not", stanza.Not(stanza.IsMessage()), []stanza.Stanza{away, gone, ping}},
		{"empty and wants all", stanza.And(), all},
		{"empty or wants none", stanza.Or(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []stanza.Stanza
			for _, s := range all {
				if tc.f.Match(s) {
					got = append(got, s)
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
