package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/bookmarks"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpptest"
)

func TestParseBookmarkLines(t *testing.T) {
	lounge := jid.MustParse("lounge@conference.example.com")
	tests := []struct {
		line string
		want command
	}{
		{"/bookmarks", command{name: "bookmarks"}},
		{"/bookmark lounge@conference.example.com", command{name: "bookmark", to: lounge}},
		{"/bookmark lounge@conference.example.com Puck", command{name: "bookmark", to: lounge, text: "Puck"}},
		{"/bookmark lounge@conference.example.com Puck autojoin", command{name: "bookmark", to: lounge, text: "Puck", autojoin: true}},
		{"/bookmark lounge@conference.example.com  Robin Goodfellow \t AUTOJOIN ", command{name: "bookmark", to: lounge, text: "Robin Goodfellow", autojoin: true}},
		{"/bookmark lounge@conference.example.com autojoin", command{name: "bookmark", to: lounge, autojoin: true}},
		{"/bookmark lounge@conference.example.com/Puck autojoin", command{name: "bookmark", to: lounge, text: "Puck", autojoin: true}},
		{"/bookmark lounge@conference.example.com autojoin autojoin", command{name: "bookmark", to: lounge, text: "autojoin", autojoin: true}},
		{"/bookmark lounge@conference.example.com autojoiner", command{name: "bookmark", to: lounge, text: "autojoiner"}},
		{"/unbookmark lounge@conference.example.com/Puck", command{name: "unbookmark", to: lounge}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := parseLine(tt.line)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	for _, tt := range []struct{ line, want string }{
		{"/bookmarks all", "/bookmarks: takes no arguments (usage: /bookmarks)"},
		{"/bookmark", "/bookmark: missing ROOM@SERVICE (usage: /bookmark ROOM [NICK] [autojoin])"},
		{"/bookmark autojoin", "/bookmark: autojoin is not a room: "},
		{"/bookmark example.com autojoin", "/bookmark: example.com is not a room: "},
		{"/bookmark r@c.example.com/A B autojoin", `/bookmark: two nicknames: "A" and "B"`},
		{"/unbookmark", "/unbookmark: missing JID (usage: /unbookmark ROOM)"},
		{"/unbookmark example.com", "/unbookmark: example.com is not a room: "},
		{"/unbookmark a@b c@d", `/unbookmark: unexpected "c@d" after the JID`},
	} {
		_, err := parseLine(tt.line)
		require.Error(t, err, tt.line)
		assert.True(t, strings.HasPrefix(err.Error(), tt.want), "got %q\nwant %q...", err.Error(), tt.want)
	}
}

func TestBookmarkTexts(t *testing.T) {
	room := jid.MustParse("lounge@conference.example.com")
	assert.Equal(t, "lounge@conference.example.com The Lounge autojoin=yes", bookmarkText(bookmarks.Bookmark{Room: room, Name: "The Lounge", Autojoin: true, Nick: "Puck"}))
	assert.Equal(t, "lounge@conference.example.com - autojoin=no", bookmarkText(bookmarks.Bookmark{Room: room}), "no name")
	assert.Equal(t, "lounge@conference.example.com - autojoin=no", bookmarkText(bookmarks.Bookmark{Room: room, Name: " \t"}), "a blank name is none")
	assert.Equal(t, `lounge@conference.example.com two\nlines\x1b[2J autojoin=no`, bookmarkText(bookmarks.Bookmark{Room: room, Name: "two\nlines\x1b[2J"}))
	assert.Equal(t, "set by another client: lounge@conference.example.com Lounge autojoin=yes", changeText(bookmarks.Change{Bookmark: bookmarks.Bookmark{Room: room, Name: "Lounge", Autojoin: true}}))
	assert.Equal(t, "removed by another client: lounge@conference.example.com", changeText(bookmarks.Change{Bookmark: bookmarks.Bookmark{Room: room, Name: "Lounge"}, Removed: true}))
	assert.Equal(t, "alice", roomNick(jid.MustParse("alice@example.com/phone")))
	assert.Equal(t, "guest", roomNick(jid.MustParse("example.com")), "an anonymous login")

	help := strings.Join(helpLines("bookmarks"), "\n")
	assert.Contains(t, help, "[bookmark] ROOM NAME autojoin=yes|no")
	assert.Contains(t, help, "or - when it has none")
	assert.Contains(t, help, "[bookmark] removed by another client: ROOM")
	assert.Contains(t, strings.Join(helpLines("bookmark"), "\n"), "The word autojoin as the last argument")
	assert.Contains(t, strings.Join(helpLines(""), "\n"), "[bookmark]")
}

// TestBookmarkWatch: this client's edit is not another client's change
// when its notification comes; what differs from it, and any change
// after it, is; an edit that failed is forgotten.
func TestBookmarkWatch(t *testing.T) {
	var w bookmarkWatch
	room := jid.MustParse("lounge@conference.example.com")
	set := func(name string, autojoin bool, nick string) bookmarks.Change {
		return bookmarks.Change{Bookmark: bookmarks.Bookmark{Room: room, Name: name, Autojoin: autojoin, Nick: nick}}
	}
	gone := bookmarks.Change{Bookmark: bookmarks.Bookmark{Room: room, Name: "was"}, Removed: true}

	assert.True(t, w.foreign(set("A", true, "")), "no edit of this client's")
	w.expect(set("A", true, "Puck"))
	assert.False(t, w.foreign(set("A", true, "Puck")), "the edit's own notification")
	assert.True(t, w.foreign(set("A", true, "Puck")), "the next one is someone else's")

	w.expect(set("A", true, "Puck"))
	assert.True(t, w.foreign(set("A", false, "Puck")), "another client's change after the edit")
	assert.True(t, w.foreign(set("A", true, "Puck")), "the edit is forgotten with it")

	w.expect(gone)
	assert.False(t, w.foreign(bookmarks.Change{Bookmark: bookmarks.Bookmark{Room: room, Name: "other"}, Removed: true}), "a removal is a removal, whatever it was")

	w.expect(set("A", false, ""))
	undo := w.expect(gone)
	undo()
	undo()
	assert.False(t, w.foreign(set("A", false, "")), "the failed edit undone: the one before it stands")
	undo = w.expect(gone)
	undo()
	assert.True(t, w.foreign(gone), "nothing expected")
}

// screen is an output that a test waits on, line by line.
type screen struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{}
}

func newScreen() *screen { return &screen{changed: make(chan struct{})} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

func (s *screen) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSuffix(s.b.String(), "\n"), "\n")
}

// waitFor waits until every one of want has been printed, as whole
// lines; the timer only bounds a failing test.
func (s *screen) waitFor(t *testing.T, want ...string) {
	t.Helper()
	guard := time.NewTimer(10 * time.Second)
	defer guard.Stop()
	for {
		s.mu.Lock()
		text, changed := "\n"+s.b.String(), s.changed
		s.mu.Unlock()
		missing := ""
		for _, w := range want {
			if !strings.Contains(text, "\n"+w+"\n") {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case <-changed:
		case <-guard.C:
			t.Fatalf("no line %q in:\n%s", missing, text)
		}
	}
}

const (
	bmNS     = `xmlns='urn:xmpp:bookmarks:1'`
	bmCaps   = `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://github.com/gosmack/gosmack' ver='{{ver}}'/>`
	bmEvent  = `<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='urn:xmpp:bookmarks:1'>`
	bmMUC    = `xmlns='http://jabber.org/protocol/muc#user'`
	bmPubsub = `xmlns='http://jabber.org/protocol/pubsub'`
)

// bmInfo is the client's disco#info of its account, answered as a
// server whose PEP takes publish-options and keeps XEP-0048's bookmarks
// in step (so that only PEP is read and written).
func bmInfo(id string) string {
	return `
C: <iq type='get' id='{{` + id + `}}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{` + id + `}}'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/><identity category='pubsub' type='pep'/><feature var='http://jabber.org/protocol/pubsub'/><feature var='http://jabber.org/protocol/pubsub#publish-options'/><feature var='urn:xmpp:bookmarks:1#compat'/></query></iq>`
}

// bmItems is the client's read of the bookmarks node, answered with
// items.
func bmItems(id, items string) string {
	return `
C: <iq type='get' id='{{` + id + `}}'><pubsub ` + bmPubsub + `><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>
S: <iq type='result' id='{{` + id + `}}'><pubsub ` + bmPubsub + `><items node='urn:xmpp:bookmarks:1'>` + items + `</items></pubsub></iq>`
}

func bmItem(room, conference string) string {
	return `<item id='` + room + `@conference.localhost'><conference ` + bmNS + conference + `</item>`
}

// bmNotify is a notification of the bookmarks node from from.
func bmNotify(from, body string) string {
	return `
S: <message from='` + from + `' to='alice@localhost/a' type='headline'>` + bmEvent + body + `</items></event></message>`
}

// bmPublish is the client's publication of room's bookmark (after the
// disco#info of PublishPrivate), with the notification of it coming
// before the result or after it.
func bmPublish(id, room, conference string, notifyFirst bool) string {
	publish := bmInfo(id+"i") + `
C: <iq type='set' id='{{` + id + `}}'><pubsub ` + bmPubsub + `><publish node='urn:xmpp:bookmarks:1'>` + bmItem(room, conference) + `</publish><publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field><field var='pubsub#access_model'><value>whitelist</value></field><field var='pubsub#persist_items'><value>true</value></field><field var='pubsub#max_items'><value>max</value></field><field var='pubsub#send_last_published_item'><value>never</value></field></x></publish-options></pubsub></iq>`
	notify := bmNotify("alice@localhost", bmItem(room, conference))
	result := `
S: <iq type='result' id='{{` + id + `}}'/>`
	if notifyFirst {
		return publish + notify + bmSync(id) + result
	}
	return publish + result + notify
}

// bmSync is a message from ctl@localhost that the test's listener
// answers: the client has taken what came before it when the answer
// comes.
func bmSync(id string) string {
	return `
S: <message from='ctl@localhost' to='alice@localhost/a' id='` + id + `'/>
C: <message to='ctl@localhost' id='` + id + `'/>`
}

// TestBookmarkSession: at start the rooms bookmarked with autojoin are
// entered, with the bookmark's nickname or the user's name, and shown
// as /join shows them (the room's history too); a refusal is an error.
// Another client's changes, in notifications from the account, are
// printed; a stranger's notification is not, nor is the notification
// of this client's own /bookmark, whether it comes before the reply or
// after, nor what a List finds changed. /bookmark keeps the name of the
// bookmark it replaces; /unbookmark refuses a room without one;
// /bookmarks lists them.
func TestBookmarkSession(t *testing.T) {
	one := bmItem("one", ` name='One' autojoin='true'><nick>Puck</nick></conference>`)
	three := bmItem("three", ` autojoin='1'/>`)
	two := bmItem("two", ` name='Two'/>`)
	four := bmItem("four", ` name='Four'/>`)
	five := bmItem("five", ` autojoin='true'><nick>Titania</nick></conference>`)
	// A bookmark that a List finds, not a notification: not printed.
	six := bmItem("six", `/>`)
	tr := bmInfo("d") + bmItems("i", one+three+two) + `
C: <presence id='{{j1}}' to='one@conference.localhost/Puck'><x xmlns='http://jabber.org/protocol/muc'/>` + bmCaps + `</presence>
S: <presence from='one@conference.localhost/Oberon' to='alice@localhost/a'><x ` + bmMUC + `><item affiliation='owner' role='moderator'/></x></presence>
S: <presence from='one@conference.localhost/Puck' to='alice@localhost/a' id='{{j1}}'><x ` + bmMUC + `><item affiliation='none' role='participant'/><status code='110'/></x></presence>
S: <message from='one@conference.localhost/Oberon' to='alice@localhost/a' type='groupchat' id='h1'><body>ill met by moonlight</body><delay xmlns='urn:xmpp:delay' stamp='2026-01-02T03:04:05Z'/></message>
C: <presence id='{{j2}}' to='three@conference.localhost/alice'><x xmlns='http://jabber.org/protocol/muc'/>` + bmCaps + `</presence>
S: <presence from='three@conference.localhost/alice' to='alice@localhost/a' id='{{j2}}' type='error'><x xmlns='http://jabber.org/protocol/muc'/><error by='three@conference.localhost' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>` +
		bmNotify("mallory@localhost", bmItem("evil", ` name='Evil' autojoin='true'/>`)) +
		bmNotify("alice@localhost", four) +
		bmNotify("alice@localhost", `<retract id='two@conference.localhost'/>`) +
		// /bookmark five@... Titania autojoin: the notification first.
		bmItems("i2", one+three+four+six) + bmPublish("p1", "five", ` autojoin='true'><nick>Titania</nick></conference>`, true) +
		// /bookmark four@...: its name kept; the notification after.
		bmItems("i3", one+three+four+five+six) + bmPublish("p2", "four", ` name='Four'/>`, false) +
		// /unbookmark two@...: none.
		bmItems("i4", one+three+four+five+six) +
		// /unbookmark five@...
		bmItems("i5", one+three+four+five+six) + `
C: <iq type='set' id='{{r}}'><pubsub ` + bmPubsub + `><retract node='urn:xmpp:bookmarks:1' notify='true'><item id='five@conference.localhost'/></retract></pubsub></iq>` +
		bmNotify("alice@localhost", `<retract id='five@conference.localhost'/>`) + bmSync("r") + `
S: <iq type='result' id='{{r}}'/>` +
		// /bookmarks
		bmItems("i6", one+three+four+six) + `
C: <message to='localhost' id='end'/>`
	c := xmpptest.NewConn(t, jid.MustParse("alice@localhost/a"), xmpptest.MustParseTranscript(t, t.Name(), tr))
	out := newScreen()
	cl := &client{c: c, out: &printer{w: out}, mucs: muc.For(c), rooms: make(map[jid.JID]*muc.Room), hooked: make(map[jid.JID]bool)}
	cl.attachBookmarks()
	ctl := jid.MustParse("ctl@localhost")
	c.HandleMessage(stanza.From(ctl), func(m *stanza.Message) {
		ack := &stanza.Message{}
		ack.To, ack.ID = ctl, m.ID
		assert.NoError(t, c.Send(context.Background(), ack))
	})
	require.NoError(t, c.Connect(t.Context()))

	start := []string{
		"[room] one@conference.localhost * you joined as Puck; occupants: Oberon (moderator), Puck",
		"[room] one@conference.localhost <Oberon> (earlier) ill met by moonlight",
		"[error] entering bookmarked room three@conference.localhost: muc: join three@conference.localhost: muc: nickname in use: stanza error: conflict (cancel)",
		"[bookmark] set by another client: four@conference.localhost Four autojoin=no",
		"[bookmark] removed by another client: two@conference.localhost",
	}
	out.waitFor(t, start...)
	assert.ElementsMatch(t, start, out.lines(), "the start, in some order")
	cl.mu.Lock()
	assert.Equal(t, []jid.JID{jid.MustParse("one@conference.localhost")}, mapKeys(cl.rooms), "the room entered, known to /rooms, /leave and /quit")
	cl.mu.Unlock()

	run := func(line string) error {
		cmd, err := parseLine(line)
		require.NoError(t, err)
		return cl.do(t.Context(), cmd)
	}
	require.NoError(t, run("/bookmark five@conference.localhost Titania autojoin"))
	require.NoError(t, run("/bookmark four@conference.localhost"))
	assert.EqualError(t, run("/unbookmark two@conference.localhost"), "no bookmark of two@conference.localhost (/bookmarks lists them)")
	require.NoError(t, run("/unbookmark five@conference.localhost"))
	require.NoError(t, run("/bookmarks"))
	assert.Equal(t, []string{
		"[info] bookmarked five@conference.localhost as Titania, autojoin=yes",
		"[info] bookmarked four@conference.localhost, autojoin=no",
		"[info] removed the bookmark of five@conference.localhost",
		"[bookmark] four@conference.localhost Four autojoin=no",
		"[bookmark] one@conference.localhost One autojoin=yes",
		"[bookmark] six@conference.localhost - autojoin=no",
		"[bookmark] three@conference.localhost - autojoin=yes",
		"[bookmark] end",
	}, out.lines()[len(start):], "no notification of this client's own edits printed")
	// The transcript's last step: the scripted server ends the session
	// once it has it.
	end := &stanza.Message{}
	end.To, end.ID = jid.MustParse("localhost"), "end"
	require.NoError(t, c.Send(t.Context(), end))
}

func mapKeys[K comparable, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
