//go:build integration

package bookmarks_test

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/gosmack/gosmack/bookmarks"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/private"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func withResource(t *testing.T, cfg xmpp.Config, r string) xmpp.Config {
	t.Helper()
	j, err := cfg.JID.WithResource(r)
	require.NoError(t, err)
	cfg.JID = j
	return cfg
}

// TestIntegrationOtherResource: a bookmark one resource of an account
// adds is published as XEP-0402 (private: whitelist) and written to
// XEP-0048's private storage, since neither server announces the compat
// feature; another resource of the account hears it as a notification
// from the account and reads it back with List, extensions kept; its
// removal reaches the other resource too and leaves private storage.
func TestIntegrationOtherResource(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "bookmarks")
		changes := make(chan bookmarks.Change, 16)
		two := testserver.Login(t, withResource(t, cfg, "two"), func(c *xmpp.Conn) {
			bookmarks.For(c).OnChange(func(ch bookmarks.Change) { changes <- ch })
		})
		one := testserver.Login(t, withResource(t, cfg, "one"), nil)
		ctx := testserver.Context(t)

		info, err := disco.For(one).Info(ctx, jid.JID{}, "")
		require.NoError(t, err)
		assert.False(t, info.HasFeature(bookmarks.NSCompat), "%s announces %s", s.Name, bookmarks.NSCompat)
		st, err := bookmarks.For(one).Stores(ctx)
		require.NoError(t, err)
		assert.Equal(t, bookmarks.Stores{PEP: true, Private: true}, st, s.Name)

		room := jid.MustParse(testserver.Unique("room") + "@" + s.MUCDomain)
		state := stanza.Node{Name: xml.Name{Space: "urn:example:gosmack:state", Local: "state"}, Attrs: []xml.Attr{{Name: xml.Name{Local: "minimized"}, Value: "true"}}}
		b := bookmarks.Bookmark{Room: room, Name: "Room", Autojoin: true, Nick: "Puck", Password: "pw", Extensions: []stanza.Node{state}}
		// ejabberd sends the account's own notifications to a resource
		// only once it has the caps of its presence: add again (with
		// another name) until the other resource hears it.
		heard := false
		for try := 0; !heard && try < 10; try++ {
			b.Name = "Room " + string(rune('A'+try))
			require.NoError(t, bookmarks.For(one).Add(ctx, b), s.Name)
			deadline := time.After(testserver.Timeout / 10)
		wait:
			for {
				select {
				case ch := <-changes:
					if !ch.Removed && ch.Bookmark.Room == room && ch.Bookmark.Name == b.Name {
						heard = true
						break wait
					}
				case <-deadline:
					break wait
				}
			}
		}
		require.True(t, heard, "%s: the other resource heard the bookmark", s.Name)
		got, ok := bookmarks.For(two).Bookmark(room)
		require.True(t, ok)
		assert.Equal(t, summary([]bookmarks.Bookmark{b}), summary([]bookmarks.Bookmark{got}), s.Name)

		list, err := bookmarks.For(two).List(ctx)
		require.NoError(t, err)
		require.Equal(t, summary([]bookmarks.Bookmark{b}), summary(list), s.Name)
		assert.Equal(t, "true", list[0].Extensions[0].Attr("minimized"))

		// Written as XEP-0402, privately, and as XEP-0048.
		page, err := pubsub.For(two).Node(jid.JID{}, bookmarks.NS).Items(ctx, pubsub.ItemsQuery{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Equal(t, room.String(), page.Items[0].ID)
		conf, err := pubsub.For(two).Node(jid.JID{}, bookmarks.NS).Config(ctx)
		require.NoError(t, err)
		assert.Equal(t, pubsub.AccessWhitelist, conf.Value(pubsub.VarAccessModel), s.Name)
		// ejabberd refuses max_items in publish-options and makes nodes
		// of one item: the node's configuration must have been set.
		assert.Equal(t, "max", conf.Value(pubsub.VarMaxItems), s.Name)
		room2 := jid.MustParse(testserver.Unique("room2") + "@" + s.MUCDomain)
		require.NoError(t, bookmarks.For(one).Add(ctx, bookmarks.Bookmark{Room: room2}))
		list, err = bookmarks.For(two).List(ctx)
		require.NoError(t, err)
		assert.Len(t, list, 2, "%s: a second bookmark keeps the first", s.Name)
		require.NoError(t, bookmarks.For(one).Remove(ctx, room2))
		storage, err := private.For(two).Get(ctx, xml.Name{Space: bookmarks.NSLegacy, Local: "storage"})
		require.NoError(t, err)
		c := storage.Child(bookmarks.NSLegacy, "conference")
		require.NotNil(t, c, s.Name)
		assert.Equal(t, room.String(), c.Attr("jid"))
		assert.Equal(t, b.Name, c.Attr("name"))

		require.NoError(t, bookmarks.For(one).Remove(ctx, room))
		// Prosody tells the other resource of the retraction; ejabberd
		// 23.01 sends no retraction notification to the resources that
		// asked with +notify, and the other resource learns it at its
		// next List, whose OnChange reports the removal.
		if s.Name == "prosody" {
			awaitRemoval(t, s.Name, changes, room)
		}
		list, err = bookmarks.For(two).List(ctx)
		require.NoError(t, err)
		assert.Empty(t, list, s.Name)
		assert.Empty(t, bookmarks.For(two).Bookmarks(), s.Name)
		if s.Name != "prosody" {
			awaitRemoval(t, s.Name, changes, room)
		}
		storage, err = private.For(two).Get(ctx, xml.Name{Space: bookmarks.NSLegacy, Local: "storage"})
		require.NoError(t, err)
		assert.Nil(t, storage.Child(bookmarks.NSLegacy, "conference"), s.Name)
	})
}

// awaitRemoval waits for the OnChange report of room's removal.
func awaitRemoval(t *testing.T, server string, changes <-chan bookmarks.Change, room jid.JID) {
	t.Helper()
	for {
		select {
		case ch := <-changes:
			if ch.Removed && ch.Bookmark.Room == room {
				return
			}
		case <-time.After(testserver.Timeout):
			t.Fatalf("%s: the other resource did not hear the removal", server)
		}
	}
}

// TestIntegrationAutojoin: a room bookmarked with autojoin is entered
// at the next login of an account that turned autojoin on, with the
// bookmark's nickname; the room's owner sees the user come in.
func TestIntegrationAutojoin(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		owner := testserver.Login(t, s.NewAccount(t, "autojoin-owner"), nil)
		room := jid.MustParse(testserver.Unique("autojoin") + "@" + s.MUCDomain)
		joined := make(chan string, 4)
		r := muc.For(owner).Room(room)
		r.OnOccupant(func(e muc.OccupantEvent) {
			if e.Kind == muc.Joined {
				joined <- e.Occupant.Nick
			}
		})
		require.NoError(t, r.Create(testserver.Context(t), "Owner", nil, muc.JoinConfig{}))

		cfg := s.NewAccount(t, "autojoin")
		first := testserver.Login(t, cfg, nil)
		require.NoError(t, bookmarks.For(first).Add(testserver.Context(t), bookmarks.Bookmark{Room: room, Name: "Auto", Autojoin: true, Nick: "Bookmarked"}))
		require.NoError(t, bookmarks.For(first).Add(testserver.Context(t), bookmarks.Bookmark{Room: jid.MustParse(testserver.Unique("manual") + "@" + s.MUCDomain), Nick: "No"}))
		require.NoError(t, first.Close())

		results := make(chan bookmarks.AutojoinResult, 4)
		next := testserver.Login(t, cfg, func(c *xmpp.Conn) {
			m := bookmarks.For(c)
			m.SetAutojoin(true)
			m.OnAutojoin(func(r bookmarks.AutojoinResult) { results <- r })
		})
		select {
		case res := <-results:
			require.NoError(t, res.Err, s.Name)
			assert.Equal(t, room, res.Bookmark.Room)
		case <-time.After(testserver.Timeout):
			t.Fatalf("%s: no autojoin", s.Name)
		}
		assert.True(t, muc.For(next).Room(room).Joined())
		assert.Equal(t, "Bookmarked", muc.For(next).Room(room).Nick())
		select {
		case nick := <-joined:
			assert.Equal(t, "Bookmarked", nick)
		case <-time.After(testserver.Timeout):
			t.Fatalf("%s: the owner did not see the user come in", s.Name)
		}
		select {
		case res := <-results:
			t.Fatalf("%s: a room without autojoin was tried: %+v", s.Name, res)
		default:
		}
	})
}
