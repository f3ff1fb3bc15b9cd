package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gosmack/gosmack/bookmarks"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
)

// Room bookmarks (XEP-0402, and XEP-0048's in private storage where the
// server keeps the two apart, package bookmarks): /bookmarks, /bookmark
// and /unbookmark; the rooms bookmarked with autojoin entered at start;
// and the changes another of the user's clients makes, as its server
// announces them.

// noName is what /bookmarks shows as the NAME of a bookmark without one.
const noName = "-"

// bookmarksHelp and bookmarkHelp are /help's details of /bookmarks and
// /bookmark.
const (
	bookmarksHelp = "One [bookmark] ROOM NAME autojoin=yes|no line per bookmark, sorted by room, then [bookmark] end. NAME is the name the bookmark was given (by another client: /bookmark gives none), or " + noName + " when it has none. " +
		"At start the client enters every room bookmarked with autojoin, with the bookmark's nickname or your user name, and shows it as /join does. " +
		"A change another of your clients makes shows when your server announces it: [bookmark] set by another client: ROOM NAME autojoin=yes|no, or [bookmark] removed by another client: ROOM (some servers announce no removals: /bookmarks shows what is current)."
	bookmarkHelp = "Your server keeps the bookmark for all your clients (XEP-0402, and XEP-0048 for older ones). Without NICK the room is entered with your user name. " +
		"The word autojoin as the last argument has your clients enter the room at start; the room is not entered now (/join does that). " +
		"A bookmark of the room already there is replaced, keeping its name and password."
)

// roomNick is the nickname to enter a room with when none is given: the
// account's user name, "guest" for an anonymous login.
func roomNick(account jid.JID) string {
	if l := account.Localpart(); l != "" {
		return l
	}
	return "guest"
}

// attachBookmarks attaches the bookmarks, before login: the rooms
// bookmarked with autojoin are entered at each new session, and the
// changes another of the user's clients makes are printed.
func (cl *client) attachBookmarks() {
	p := pep.For(cl.c)
	// The Manager's listener of the bookmarks node, registered by For,
	// runs between these two (listeners run in the order registered):
	// what OnChange hears between them came in a notification.
	p.OnEvent(bookmarks.NS, func(pubsub.Event) { cl.marks.inEvent.Store(true) })
	m := bookmarks.For(cl.c)
	p.OnEvent(bookmarks.NS, func(pubsub.Event) { cl.marks.inEvent.Store(false) })
	m.SetAutojoin(true)
	m.SetAutojoinNick(roomNick(cl.c.Config().JID))
	m.OnChange(cl.bookmarkChanged)
	m.OnAutojoin(cl.autojoined)
}

// bookmarkChanged hears each change to the bookmarks: it registers the
// listeners of an autojoin room before autojoin enters it (so that its
// history and subject show, as for /join), and prints the changes that
// came in a notification and are not this client's own.
func (cl *client) bookmarkChanged(ch bookmarks.Change) {
	if !ch.Removed && ch.Bookmark.Autojoin {
		cl.hook(cl.mucs.Room(ch.Bookmark.Room))
	}
	if !cl.marks.inEvent.Load() || !cl.marks.foreign(ch) || cl.quiet.Load() {
		return
	}
	cl.out.print(tagBookmark, "%s", changeText(ch))
}

// autojoined prints the outcome of entering a bookmarked room at start:
// as /join prints it, or as an error.
func (cl *client) autojoined(r bookmarks.AutojoinResult) {
	if cl.quiet.Load() {
		return
	}
	if r.Room == nil {
		cl.out.print(tagError, "entering the bookmarked rooms: %s", clean(r.Err.Error()))
		return
	}
	addr := r.Room.JID()
	if r.Err != nil {
		cl.out.print(tagError, "entering bookmarked room %s: %s", addr, clean(r.Err.Error()))
		return
	}
	cl.hook(r.Room) // done already, unless its bookmark was known before this session
	if !r.Room.Joined() {
		return // out already: OnExit told
	}
	cl.mu.Lock()
	cl.rooms[addr] = r.Room
	cl.mu.Unlock()
	cl.out.print(tagRoom, "%s", joinedText(r.Room, "you joined"))
}

// bookmark runs /bookmarks, /bookmark and /unbookmark.
func (cl *client) bookmark(ctx context.Context, cmd command) error {
	m := bookmarks.For(cl.c)
	// Each reads the bookmarks first: /bookmark keeps what the room's
	// has, /unbookmark tells a room without one.
	list, err := m.List(ctx)
	if err != nil {
		return err
	}
	switch cmd.name {
	case "bookmarks":
		for _, b := range list {
			cl.out.print(tagBookmark, "%s", bookmarkText(b))
		}
		cl.out.print(tagBookmark, "end")
	case "bookmark":
		b, _ := m.Bookmark(cmd.to) // its name, password and other clients' data kept
		b.Room, b.Nick, b.Autojoin = cmd.to, cmd.text, cmd.autojoin
		undo := cl.marks.expect(bookmarks.Change{Bookmark: b})
		if err := m.Add(ctx, b); err != nil {
			undo()
			return err
		}
		s := "bookmarked " + cmd.to.String()
		if b.Nick != "" {
			s += " as " + clean(b.Nick)
		}
		cl.out.print(tagInfo, "%s, autojoin=%s", s, yesNo(b.Autojoin))
	case "unbookmark":
		if _, ok := m.Bookmark(cmd.to); !ok {
			return fmt.Errorf("no bookmark of %s (/bookmarks lists them)", cmd.to)
		}
		undo := cl.marks.expect(bookmarks.Change{Bookmark: bookmarks.Bookmark{Room: cmd.to}, Removed: true})
		if err := m.Remove(ctx, cmd.to); err != nil {
			undo()
			return err
		}
		cl.out.print(tagInfo, "removed the bookmark of %s", cmd.to)
	}
	return nil
}

// bookmarkText is a bookmark as /bookmarks shows it: "ROOM NAME
// autojoin=yes|no", NAME noName when it has none.
func bookmarkText(b bookmarks.Bookmark) string {
	name := clean(b.Name)
	if strings.TrimSpace(name) == "" {
		name = noName
	}
	return b.Room.String() + " " + name + " autojoin=" + yesNo(b.Autojoin)
}

// changeText is another client's change as [bookmark] shows it: "set by
// another client: ROOM NAME autojoin=yes|no" or "removed by another
// client: ROOM".
func changeText(ch bookmarks.Change) string {
	if ch.Removed {
		return "removed by another client: " + ch.Bookmark.Room.String()
	}
	return "set by another client: " + bookmarkText(ch.Bookmark)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// bookmarkWatch tells which changes to the bookmarks are another
// client's. The zero value is ready; it is safe for concurrent use.
type bookmarkWatch struct {
	// inEvent is set while the Manager takes a notification of the
	// bookmarks node (on the dispatcher).
	inEvent atomic.Bool

	mu sync.Mutex
	// own is what this client's edits made of each room's bookmark, until
	// its notification comes: the server announces one's own changes to
	// every client of the account, this one included.
	own map[jid.JID]markView
}

// markView is what the user sees of a change: a bookmark as /bookmarks
// and /bookmark show it, or its removal.
type markView struct {
	removed    bool
	name, nick string
	autojoin   bool
}

func viewOf(ch bookmarks.Change) markView {
	if ch.Removed {
		return markView{removed: true}
	}
	b := ch.Bookmark
	return markView{name: b.Name, nick: b.Nick, autojoin: b.Autojoin}
}

// expect records ch as this client's edit, before it is made, and
// returns the func that forgets it again (the edit failed).
func (w *bookmarkWatch) expect(ch bookmarks.Change) (undo func()) {
	room := ch.Bookmark.Room
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.own == nil {
		w.own = make(map[jid.JID]markView)
	}
	old, had := w.own[room]
	w.own[room] = viewOf(ch)
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if had {
			w.own[room] = old
		} else {
			delete(w.own, room)
		}
	}
}

// foreign reports whether ch, heard in a notification, is not this
// client's own edit. The record of a room's edit goes with the first
// change a notification brings about the room, its own or a later one's
// (a notification that follows the edit's reply changes nothing, and is
// not heard).
func (w *bookmarkWatch) foreign(ch bookmarks.Change) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.own[ch.Bookmark.Room]
	delete(w.own, ch.Bookmark.Room)
	return !ok || v != viewOf(ch)
}

// parseBookmark parses "ROOM [NICK] [autojoin]": the word autojoin last
// turns autojoin on; ROOM/NICK works too, as for /join.
func parseBookmark(args string) (command, error) {
	autojoin := false
	if words := strings.Fields(args); len(words) > 1 && strings.EqualFold(words[len(words)-1], "autojoin") {
		args, autojoin = strings.TrimSpace(strings.TrimSuffix(args, words[len(words)-1])), true
	}
	c, err := parseJoin(args)
	if err != nil {
		return command{}, err
	}
	c.name, c.autojoin = "bookmark", autojoin
	return c, nil
}

// parseUnbookmark parses one room's address.
func parseUnbookmark(args string) (command, error) {
	c, err := oneJID("unbookmark", args)
	if err != nil {
		return c, err
	}
	if err := roomJID(c.to); err != nil {
		return command{}, err
	}
	c.to = c.to.Bare()
	return c, nil
}
