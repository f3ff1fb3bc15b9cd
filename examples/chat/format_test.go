package main

import (
	"encoding/xml"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/gosmack/gosmack/carbons"
	"github.com/gosmack/gosmack/chatstate"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"héllo wörld ✓ 👩‍💻", "héllo wörld ✓ 👩‍💻"}, // the ZWJ of an emoji sequence stays
		{"two\nlines", `two\nlines`},
		{"crlf\r\n", `crlf\r\n`},
		{"tab\there", "tab here"},
		{"\x1b[2Jcleared", `\x1b[2Jcleared`},
		{"bell\a", `bell\x07`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\x9b31m`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, clean(tt.in), "%q", tt.in)
	}
}

func presence(from string, typ stanza.PresenceType, show stanza.Show, status string) *stanza.Presence {
	p := &stanza.Presence{Type: typ, Show: show}
	p.From = jid.MustParse(from)
	if status != "" {
		p.Statuses = []stanza.Text{{Value: status}}
	}
	return p
}

func TestPresenceText(t *testing.T) {
	errP := presence("bob@example.com", stanza.PresenceError, "", "")
	errP.Error = &stanza.Error{Condition: stanza.RemoteServerNotFound}
	tests := []struct {
		p    *stanza.Presence
		want string
	}{
		{presence("bob@example.com/a", "", "", ""), "available"},
		{presence("bob@example.com/a", "", stanza.ShowAway, "at lunch"), "away: at lunch"},
		{presence("bob@example.com/a", "", stanza.ShowDND, ""), "dnd"},
		{presence("bob@example.com/a", "", "sleepy", ""), "sleepy"},
		{presence("bob@example.com/a", stanza.Unavailable, "", ""), "offline"},
		{presence("bob@example.com/a", stanza.Unavailable, "", "gone\nhome"), `offline: gone\nhome`},
		{errP, "error: remote-server-not-found"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, presenceText(tt.p))
	}
}

func TestEntryText(t *testing.T) {
	bob := jid.MustParse("bob@example.com")
	tests := []struct {
		e    roster.Entry
		want string
	}{
		{roster.Entry{JID: bob}, "bob@example.com (none)"},
		{roster.Entry{JID: bob, Subscription: roster.SubscriptionNone, Ask: roster.AskSubscribe}, "bob@example.com (none, request pending)"},
		{roster.Entry{JID: bob, Name: "Bob", Subscription: roster.SubscriptionBoth}, `bob@example.com "Bob" (mutual)`},
		{roster.Entry{JID: bob, Subscription: roster.SubscriptionTo}, "bob@example.com (you see them)"},
		{roster.Entry{JID: bob, Subscription: roster.SubscriptionFrom, Groups: []string{"Friends", "Work"}}, "bob@example.com (they see you) in Friends, Work"},
		{roster.Entry{JID: bob, Name: "\x1b[31mRed", Subscription: roster.SubscriptionBoth}, `bob@example.com "\\x1b[31mRed" (mutual)`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, entryText(tt.e))
	}
}

func message(from string, typ stanza.MessageType, body string) *stanza.Message {
	m := &stanza.Message{Type: typ, Bodies: []stanza.Text{{Value: body}}}
	m.From = jid.MustParse(from)
	return m
}

func TestChatText(t *testing.T) {
	m := message("bob@example.com/phone", stanza.Chat, "hi\nthere")
	assert.Equal(t, `bob@example.com/phone: hi\nthere`, chatText(m))
	m.Subjects = []stanza.Text{{Value: "news"}}
	assert.Equal(t, `bob@example.com/phone: (news) hi\nthere`, chatText(m))
	m = message("bob@example.com/phone", stanza.Chat, "hi")
	m.Extensions = []stanza.Node{{Name: xml.Name{Space: "urn:xmpp:delay", Local: "delay"}}}
	assert.Equal(t, "bob@example.com/phone: hi (sent while you were away)", chatText(m))
}

func TestConversationTexts(t *testing.T) {
	m := message("bob@example.com/phone", stanza.Chat, "fixed\x1b[2J")
	assert.Equal(t, `bob@example.com/phone (corrected): fixed\x1b[2J`, correctedText(m))
	bob := jid.MustParse("bob@example.com/phone")
	assert.Equal(t, `* bob@example.com waves\n`, actionText(bob, "waves\n"))
	for _, tc := range []struct {
		s    chatstate.State
		want string
		ok   bool
	}{
		{chatstate.Composing, "bob@example.com is typing", true},
		{chatstate.Paused, "bob@example.com paused", true},
		{chatstate.Active, "", false},
		{chatstate.Inactive, "", false},
		{chatstate.Gone, "", false},
	} {
		s, ok := typingText(bob, tc.s)
		assert.Equal(t, tc.ok, ok, tc.s)
		assert.Equal(t, tc.want, s, tc.s)
	}
}

func TestRoomMessageText(t *testing.T) {
	room := jid.MustParse("lounge@conference.example.com")
	assert.Equal(t, "lounge@conference.example.com <Bob> hello", roomMessageText(room, message("lounge@conference.example.com/Bob", stanza.Groupchat, "hello")))
	assert.Equal(t, "lounge@conference.example.com * welcome", roomMessageText(room, message("lounge@conference.example.com", stanza.Groupchat, "welcome")))
	assert.Equal(t, "lounge@conference.example.com <Bob> (private) psst", roomMessageText(room, message("lounge@conference.example.com/Bob", stanza.Chat, "psst")))
	old := message("lounge@conference.example.com/Bob", stanza.Groupchat, "yesterday")
	old.Extensions = []stanza.Node{{Name: xml.Name{Space: "urn:xmpp:delay", Local: "delay"}}}
	assert.Equal(t, "lounge@conference.example.com <Bob> (earlier) yesterday", roomMessageText(room, old))
}

func TestOccupantText(t *testing.T) {
	room := jid.MustParse("lounge@conference.example.com")
	bob := muc.Occupant{Nick: "Bob", Role: muc.RoleParticipant, Affiliation: muc.AffiliationNone}
	away := bob
	away.Presence = presence("lounge@conference.example.com/Bob", "", stanza.ShowAway, "brb")
	mod := bob
	mod.Role = muc.RoleModerator
	left := bob
	left.Presence = presence("lounge@conference.example.com/Bob", stanza.Unavailable, "", "bye all")
	tests := []struct {
		e    muc.OccupantEvent
		want string
	}{
		{muc.OccupantEvent{Kind: muc.Joined, Occupant: bob}, "Bob joined"},
		{muc.OccupantEvent{Kind: muc.Left, Occupant: bob}, "Bob left"},
		{muc.OccupantEvent{Kind: muc.Left, Occupant: left}, "Bob left: bye all"},
		{muc.OccupantEvent{Kind: muc.NickChanged, Occupant: muc.Occupant{Nick: "Robert"}, Old: bob}, "Bob is now known as Robert"},
		{muc.OccupantEvent{Kind: muc.Kicked, Occupant: bob, Actor: "Alice", Reason: "spam"}, "Bob was kicked by Alice: spam"},
		{muc.OccupantEvent{Kind: muc.Banned, Occupant: bob}, "Bob was banned"},
		{muc.OccupantEvent{Kind: muc.Changed, Occupant: mod, Old: bob}, "Bob is now moderator"},
		{muc.OccupantEvent{Kind: muc.Changed, Occupant: away, Old: bob}, "Bob is away: brb"},
	}
	for _, tt := range tests {
		assert.Equal(t, "lounge@conference.example.com * "+tt.want, occupantText(room, tt.e))
	}
}

func TestExitText(t *testing.T) {
	room := jid.MustParse("lounge@conference.example.com")
	assert.Equal(t, "lounge@conference.example.com * you were kicked by Alice: spam",
		exitText(room, muc.Exit{Reason: muc.ExitKicked, Actor: "Alice", Text: "spam"}))
	assert.Equal(t, "lounge@conference.example.com * the room was destroyed: moving (it moved to new@conference.example.com)",
		exitText(room, muc.Exit{Reason: muc.ExitDestroyed, Destroyed: &muc.Destroyed{Reason: "moving", Alternate: jid.MustParse("new@conference.example.com")}}))
	assert.Equal(t, "lounge@conference.example.com * you are no longer in the room (ExitReason(200))",
		exitText(room, muc.Exit{Reason: 200}))
}

func TestOccupantsText(t *testing.T) {
	assert.Equal(t, "nobody", occupantsText(nil))
	assert.Equal(t, "Alice (moderator), Bob", occupantsText([]muc.Occupant{{Nick: "Alice", Role: muc.RoleModerator}, {Nick: "Bob", Role: muc.RoleParticipant}}))
}

// TestPrinterLines: lines printed at once from several goroutines come
// out whole.
func TestPrinterLines(t *testing.T) {
	var b strings.Builder
	p := &printer{w: &b}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				p.print(tagInfo, "goroutine %d says %s", i, strings.Repeat("x", 100))
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	assert.Len(t, lines, 400)
	for _, l := range lines {
		assert.Regexp(t, `^\[info\] goroutine \d says x{100}$`, l)
	}
}

func TestCarbonText(t *testing.T) {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hi\nthere"}}}
	m.From, m.To = jid.MustParse("alice@example.com/phone"), jid.MustParse("bob@example.com")
	assert.Equal(t, `me (phone) -> bob@example.com: hi\nthere`, carbonText(carbons.Sent, m))
	m.From, m.To = jid.MustParse("bob@example.com/desk"), jid.MustParse("alice@example.com/phone")
	assert.Equal(t, `bob@example.com/desk (to phone): hi\nthere`, carbonText(carbons.Received, m))
}

// TestArchivedText: a message the catch-up fetched, with the archive's
// time in RFC 3339 UTC, its text cleaned.
func TestArchivedText(t *testing.T) {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "hi\nthere"}}}
	m.From = jid.MustParse("bob@example.com/desk")
	stamp := time.Date(2026, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600))
	assert.Equal(t, `bob@example.com/desk (archived 2026-01-02T03:04:05Z): hi\nthere`,
		archivedText(mam.Archived{ID: "A1", Stamp: stamp, Message: m}))
}
