package main

import (
	"encoding/xml"
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

var _ flag.Value = (*roomList)(nil)

func TestAddressed(t *testing.T) {
	room := jid.MustParse("lobby@conference.localhost")
	msg := func(typ stanza.MessageType, nick, body string, ext ...stanza.Node) *stanza.Message {
		m := &stanza.Message{Type: typ, Extensions: ext}
		if body != "" {
			m.Bodies = []stanza.Text{{Value: body}}
		}
		m.From, _ = room.WithResource(nick)
		return m
	}
	delay := stanza.Node{Name: xml.Name{Space: "urn:xmpp:delay", Local: "delay"},
		Attrs: []xml.Attr{{Name: xml.Name{Local: "stamp"}, Value: "2026-01-01T00:00:00Z"}}}
	legacy := stanza.Node{Name: xml.Name{Space: "jabber:x:delay", Local: "x"},
		Attrs: []xml.Attr{{Name: xml.Name{Local: "stamp"}, Value: "20260101T00:00:00"}}}
	other := stanza.Node{Name: xml.Name{Space: "urn:xmpp:sid:0", Local: "stanza-id"}}
	tests := []struct {
		name string
		m    *stanza.Message
		nick string
		want string // "" for no answer
	}{
		{"addressed", msg(stanza.Groupchat, "bob", "bot: hello"), "bot", "hello"},
		{"the rest as it is", msg(stanza.Groupchat, "bob", "bot:  two  spaces: and colons "), "bot", " two  spaces: and colons "},
		{"addressed to the bot again", msg(stanza.Groupchat, "bob", "bot: bot: hi"), "bot", "bot: hi"},
		{"other extensions are fine", msg(stanza.Groupchat, "bob", "bot: hello", other), "bot", "hello"},
		{"not addressed", msg(stanza.Groupchat, "bob", "hello"), "bot", ""},
		{"the nickname elsewhere", msg(stanza.Groupchat, "bob", "hello bot: hi"), "bot", ""},
		{"another nickname", msg(stanza.Groupchat, "bob", "bottom: hi"), "bot", ""},
		{"no space", msg(stanza.Groupchat, "bob", "bot:hi"), "bot", ""},
		{"nothing after", msg(stanza.Groupchat, "bob", "bot: "), "bot", ""},
		{"white space after", msg(stanza.Groupchat, "bob", "bot:   "), "bot", ""},
		{"no body", msg(stanza.Groupchat, "bob", ""), "bot", ""},
		{"from the bot", msg(stanza.Groupchat, "bot", "bot: hello"), "bot", ""},
		{"from the room", msg(stanza.Groupchat, "", "bot: hello"), "bot", ""},
		{"history", msg(stanza.Groupchat, "bob", "bot: hello", other, delay), "bot", ""},
		{"legacy history", msg(stanza.Groupchat, "bob", "bot: hello", legacy), "bot", ""},
		{"private", msg(stanza.Chat, "bob", "bot: hello"), "bot", ""},
		{"error", msg(stanza.MessageError, "bob", "bot: hello"), "bot", ""},
		{"not in the room", msg(stanza.Groupchat, "bob", ": hello"), "", ""},
		{"a nickname the service gave", msg(stanza.Groupchat, "bob", "bot (2): hello"), "bot (2)", "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := addressed(tt.m, tt.nick)
			assert.Equal(t, tt.want != "", ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRoomFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
		err  bool
	}{
		{"none", nil, nil, false},
		{"one", []string{"-room", "lobby@conference.localhost"}, []string{"lobby@conference.localhost"}, false},
		{"repeated, canonical, each once", []string{"-room", "Lobby@Conference.localhost", "-room", "den@conference.localhost", "-room", "lobby@conference.localhost"},
			[]string{"lobby@conference.localhost", "den@conference.localhost"}, false},
		{"no room name", []string{"-room", "conference.localhost"}, nil, true},
		{"a resource", []string{"-room", "lobby@conference.localhost/nick"}, nil, true},
		{"not a JID", []string{"-room", "@conference.localhost"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rooms roomList
			fs := flag.NewFlagSet("mucbot", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.Var(&rooms, "room", "")
			err := fs.Parse(tt.args)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, j := range rooms {
				got = append(got, j.String())
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, len(tt.want) > 0, rooms.String() != "")
		})
	}
}
