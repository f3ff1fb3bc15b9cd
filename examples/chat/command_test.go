package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

func TestParseLine(t *testing.T) {
	bob := jid.MustParse("bob@example.com")
	bobPhone := jid.MustParse("bob@example.com/phone")
	lounge := jid.MustParse("lounge@conference.example.com")
	tests := []struct {
		line string
		want command
	}{
		{"", command{}},
		{"   \t ", command{}},
		{"hello there", command{text: "hello there"}},
		{"  hello  ", command{text: "hello"}},
		{"//etc/passwd is a path", command{text: "/etc/passwd is a path"}},
		{"/help", command{name: "help"}},
		{"/?", command{name: "help"}},
		{"/help join", command{name: "help", text: "join"}},
		{"/help /JOIN", command{name: "help", text: "join"}},
		{"/correct  the right text ", command{name: "correct", text: "the right text"}},
		{"/me waves", command{name: "me", text: "waves"}},
		{"/help j", command{name: "help", text: "j"}},
		{"/roster", command{name: "roster"}},
		{"/ROSTER", command{name: "roster"}},
		{"/contacts", command{name: "roster"}},
		{"/msg bob@example.com hi Bob", command{name: "msg", to: bob, text: "hi Bob"}},
		{"/msg Bob@Example.com/phone   spaced   out  ", command{name: "msg", to: bobPhone, text: "spaced   out"}},
		{"/m bob@example.com hi", command{name: "msg", to: bob, text: "hi"}},
		{"/msg\tbob@example.com\thi", command{name: "msg", to: bob, text: "hi"}},
		{"/to bob@example.com/phone", command{name: "to", to: bobPhone}},
		{"/to lounge@conference.example.com", command{name: "to", to: lounge}},
		{"/reply sure", command{name: "reply", text: "sure"}},
		{"/r sure thing", command{name: "reply", text: "sure thing"}},
		{"/add bob@example.com", command{name: "add", to: bob}},
		{"/add bob@example.com/phone Bob the Builder", command{name: "add", to: bob, text: "Bob the Builder"}},
		{"/remove bob@example.com/phone", command{name: "remove", to: bob}},
		{"/approve bob@example.com", command{name: "approve", to: bob}},
		{"/deny bob@example.com", command{name: "deny", to: bob}},
		{"/presence", command{name: "presence"}},
		{"/presence available", command{name: "presence"}},
		{"/presence away", command{name: "presence", show: stanza.ShowAway}},
		{"/presence AWAY gone to lunch", command{name: "presence", show: stanza.ShowAway, text: "gone to lunch"}},
		{"/p dnd meeting", command{name: "presence", show: stanza.ShowDND, text: "meeting"}},
		{"/presence xa", command{name: "presence", show: stanza.ShowXA}},
		{"/presence chat talk to me", command{name: "presence", show: stanza.ShowChat, text: "talk to me"}},
		{"/history bob@example.com/phone", command{name: "history", to: bob, n: 20}},
		{"/h lounge@conference.example.com 5", command{name: "history", to: lounge, n: 5}},
		{"/status", command{name: "status"}},
		{"/status back soon", command{name: "status", text: "back soon"}},
		{"/join lounge@conference.example.com", command{name: "join", to: lounge}},
		{"/join lounge@conference.example.com Bobby", command{name: "join", to: lounge, text: "Bobby"}},
		{"/join lounge@conference.example.com/Bobby", command{name: "join", to: lounge, text: "Bobby"}},
		{"/join lounge@conference.example.com/Bobby Bobby", command{name: "join", to: lounge, text: "Bobby"}},
		{"/j lounge@conference.example.com", command{name: "join", to: lounge}},
		{"/say lounge@conference.example.com hello all", command{name: "say", to: lounge, text: "hello all"}},
		{"/who", command{name: "who"}},
		{"/who lounge@conference.example.com", command{name: "who", to: lounge}},
		{"/rooms", command{name: "rooms"}},
		{"/invite lounge@conference.example.com bob@example.com/phone", command{name: "invite", to: lounge, who: bobPhone}},
		{"/invite lounge@conference.example.com bob@example.com come and chat", command{name: "invite", to: lounge, who: bob, text: "come and chat"}},
		{"/leave", command{name: "leave"}},
		{"/part lounge@conference.example.com", command{name: "leave", to: lounge}},
		{"/vcard", command{name: "vcard"}},
		{"/vcard bob@example.com/phone", command{name: "vcard", to: bobPhone}},
		{"/setvcard FN Bob the Builder", command{name: "setvcard", field: "FN", text: "Bob the Builder"}},
		{"/setvcard note  two  words ", command{name: "setvcard", field: "NOTE", text: "two  words"}},
		{"/setvcard EMAIL", command{name: "setvcard", field: "EMAIL"}},
		{"/avatar bob@example.com/phone", command{name: "avatar", to: bob}},
		{"/setavatar me.png", command{name: "setavatar", text: "me.png"}},
		{`/setavatar "my face.png"`, command{name: "setavatar", text: "my face.png"}},
		{"/block bob@example.com/phone", command{name: "block", to: bobPhone}},
		{"/block example.com", command{name: "block", to: jid.MustParse("example.com")}},
		{"/unblock bob@example.com", command{name: "unblock", to: bob}},
		{"/blocked", command{name: "blocked"}},
		{"/version example.com", command{name: "version", to: jid.MustParse("example.com")}},
		{"/time bob@example.com/phone", command{name: "time", to: bobPhone}},
		{"/last bob@example.com", command{name: "last", to: bob}},
		{"/upload notes.txt", command{name: "upload", text: "notes.txt"}},
		{"/upload notes.txt bob@example.com/phone", command{name: "upload", text: "notes.txt", to: bobPhone}},
		{`/upload "my notes.txt" lounge@conference.example.com`, command{name: "upload", text: "my notes.txt", to: lounge}},
		{"/inactive", command{name: "inactive"}},
		{"/active", command{name: "active"}},
		{"/quit", command{name: "quit"}},
		{"/exit", command{name: "quit"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := parseLine(tt.line)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseLineErrors(t *testing.T) {
	tests := []struct {
		line string
		want string // the whole message
	}{
		{"/", "unknown command / (/help lists them)"},
		{"/nope", "unknown command /nope (/help lists them)"},
		{"/help nope", "/help: no command /nope (usage: /help [COMMAND])"},
		{"/help msg join", "/help: one command at a time (usage: /help [COMMAND])"},
		{"/roster all", "/roster: takes no arguments (usage: /roster)"},
		{"/quit now", "/quit: takes no arguments (usage: /quit)"},
		{"/msg", "/msg: missing JID (usage: /msg JID TEXT)"},
		{"/msg bob@example.com", "/msg: nothing to send (usage: /msg JID TEXT)"},
		{"/msg @example.com hi", `/msg: "@example.com" is not a valid address (user@domain): `},
		{"/to", "/to: missing JID (usage: /to JID)"},
		{"/to bob@example.com extra", `/to: unexpected "extra" after the JID (usage: /to JID)`},
		{"/reply", "/reply: nothing to send (usage: /reply TEXT)"},
		{"/correct", "/correct: nothing to send (usage: /correct TEXT)"},
		{"/me", "/me: nothing to send (usage: /me ACTION)"},
		{"/add", "/add: missing JID (usage: /add JID [NAME])"},
		{"/remove", "/remove: missing JID (usage: /remove JID)"},
		{"/approve a@b c@d", `/approve: unexpected "c@d" after the JID (usage: /approve JID)`},
		{"/presence lunch", `/presence: unknown availability "lunch": one of available, chat, away, xa, dnd (to change the status text alone, /status) (usage: /presence [SHOW] [STATUS])`},
		{"/join", "/join: missing ROOM@SERVICE (usage: /join ROOM@SERVICE [NICK])"},
		{"/join conference.example.com", "/join: conference.example.com is not a room: a room is ROOM@SERVICE, such as lounge@conference.example.com (usage: /join ROOM@SERVICE [NICK])"},
		{"/join r@c.example.com/A B", `/join: two nicknames: "A" and "B" (usage: /join ROOM@SERVICE [NICK])`},
		{"/say r@c.example.com", "/say: nothing to send (usage: /say ROOM TEXT)"},
		{"/who example.com", "/who: example.com is not a room: a room is ROOM@SERVICE, such as lounge@conference.example.com (usage: /who [ROOM])"},
		{"/leave a@b c@d", `/leave: unexpected "c@d" after the JID (usage: /leave [ROOM])`},
		{"/history", "/history: missing JID (usage: /history JID [N])"},
		{"/history bob@example.com 0", `/history: "0" is not a number of messages (1 or more) (usage: /history JID [N])`},
		{"/history bob@example.com many", `/history: "many" is not a number of messages (1 or more) (usage: /history JID [N])`},
		{"/invite r@c.example.com", "/invite: missing ROOM or JID (usage: /invite ROOM JID [REASON])"},
		{"/invite example.com bob@example.com", "/invite: example.com is not a room"},
		{"/invite r@c.example.com bob@", `/invite: "bob@" is not a valid address`},
		{"/vcard a@b c@d", `/vcard: unexpected "c@d" after the JID (usage: /vcard [JID])`},
		{"/setvcard", "/setvcard: missing FIELD: one of FN, NICKNAME, EMAIL, TEL, URL, ORG, TITLE, ROLE, BDAY, NOTE, DESC (usage: /setvcard FIELD [VALUE])"},
		{"/setvcard COLOUR blue", "/setvcard: no vCard field COLOUR: one of FN, "},
		{"/setvcard photo x", "/setvcard: PHOTO is not set with /setvcard: /setavatar FILE sets the picture"},
		{"/avatar", "/avatar: missing JID (usage: /avatar JID)"},
		{"/setavatar", "/setavatar: missing FILE (usage: /setavatar FILE)"},
		{"/setavatar my face.png", `/setavatar: unexpected "face.png" after FILE (a name with spaces goes in double quotes)`},
		{`/setavatar "my face.png`, `/setavatar: no closing quote after "my face.png`},
		{`/setavatar ""`, "/setavatar: missing FILE"},
		{"/block", "/block: missing JID (usage: /block JID)"},
		{"/unblock @x", `/unblock: "@x" is not a valid address`},
		{"/blocked all", "/blocked: takes no arguments (usage: /blocked)"},
		{"/version", "/version: missing JID (usage: /version JID)"},
		{"/time", "/time: missing JID (usage: /time JID)"},
		{"/last a@b c@d", `/last: unexpected "c@d" after the JID (usage: /last JID)`},
		{"/upload", "/upload: missing FILE (usage: /upload FILE [JID])"},
		{"/upload a.txt b@c d@e", `/upload: unexpected "d@e" after the JID (usage: /upload FILE [JID])`},
		{"/upload a.txt @c", `/upload: "@c" is not a valid address`},
		{"/inactive now", "/inactive: takes no arguments (usage: /inactive)"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := parseLine(tt.line)
			require.Error(t, err)
			var pe *parseError
			require.ErrorAs(t, err, &pe)
			assert.True(t, strings.HasPrefix(err.Error(), tt.want), "got %q\nwant %q...", err.Error(), tt.want)
		})
	}
}

// TestCommandTable checks the table /help and the parser share: unique
// names and aliases, each with a summary, and every command named in the
// package documentation's list.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range commands {
		for _, n := range append([]string{s.name}, s.aliases...) {
			assert.False(t, seen[n], "/%s defined twice", n)
			seen[n] = true
			assert.Equal(t, strings.ToLower(n), n, "names are lower case")
		}
		assert.NotEmpty(t, s.summary, "/%s has a summary", s.name)
		assert.Same(t, s, lookup(s.name))
		if s.parse == nil {
			assert.Empty(t, s.args, "/%s takes no arguments but shows some", s.name)
		}
	}
	assert.Nil(t, lookup("nope"))

	doc, err := os.ReadFile("main.go")
	require.NoError(t, err)
	for _, s := range commands {
		assert.Regexp(t, `(?m)^//\t.*/`+s.name+`\b`, string(doc), "the package documentation lists /%s", s.name)
	}
}

func TestHelpLines(t *testing.T) {
	all := helpLines("")
	require.Greater(t, len(all), len(commands))
	text := strings.Join(all, "\n")
	for _, s := range commands {
		assert.Contains(t, text, s.usage(), "/help lists /%s", s.name)
	}
	for _, l := range all {
		assert.NotContains(t, l, "\n")
	}

	one := helpLines("presence")
	require.Len(t, one, 3)
	assert.Equal(t, "/presence [SHOW] [STATUS]: set your availability and status text for everyone (and your rooms).", one[0])
	assert.Contains(t, one[1], "away (away for a while)")
	assert.Equal(t, "Also: /p.", one[2])

	assert.Equal(t, helpLines("join"), helpLines("j"), "an alias explains its command")
	assert.Len(t, helpLines("rooms"), 1, "no details, no aliases")
}

func TestCommandTimeout(t *testing.T) {
	assert.Equal(t, commandTimeout, command{name: "msg"}.timeout())
	assert.Equal(t, uploadTimeout, command{name: "upload"}.timeout(), "an upload moves a whole file")
}

func TestCut(t *testing.T) {
	tests := []struct{ in, word, rest string }{
		{"", "", ""},
		{"one", "one", ""},
		{"  one  ", "one", ""},
		{"one two  three ", "one", "two  three"},
		{"one\ttwo", "one", "two"},
	}
	for _, tt := range tests {
		word, rest := cut(tt.in)
		assert.Equal(t, tt.word, word, "%q", tt.in)
		assert.Equal(t, tt.rest, rest, "%q", tt.in)
	}
}
