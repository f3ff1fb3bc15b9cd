package bookmarks_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gosmack/gosmack/bookmarks"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// Enter the bookmarked rooms at login, hear changes made by the user's
// other clients, and bookmark a room.
func Example() {
	ctx := context.Background()
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	m := bookmarks.For(c) // before Connect, so the first presence asks for the notifications
	m.SetAutojoin(true)
	m.OnAutojoin(func(r bookmarks.AutojoinResult) {
		if r.Err != nil {
			fmt.Println("could not enter", r.Bookmark.Room, r.Err)
		}
	})
	m.OnChange(func(ch bookmarks.Change) {
		fmt.Println("bookmark", ch.Bookmark.Room, "removed:", ch.Removed)
	})
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	room := jid.MustParse("council@conference.example.com")
	if err := m.Add(ctx, bookmarks.Bookmark{Room: room, Name: "Council", Autojoin: true, Nick: "Puck"}); err != nil {
		log.Fatal(err)
	}
	list, err := m.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range list {
		fmt.Println(b.Room, b.Name, b.Autojoin)
	}
}
