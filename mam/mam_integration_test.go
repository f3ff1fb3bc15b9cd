//go:build integration

package mam_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests query the archives of Prosody and ejabberd, started by
// scripts/servers, with accounts and rooms made for each test. Set
// GOSMACK_XMPP_DEBUG=1 to see every element on stderr.

// archived pages through q's archive of archive with page, forwards
// from the first page or backwards from the last, and returns the
// bodies in archive order.
func archived(ctx context.Context, t *testing.T, m *mam.Client, archive jid.JID, q mam.Query, backwards bool) ([]string, []string) {
	t.Helper()
	var bodies, ids []string
	if backwards {
		q.Latest = true
	}
	for range 100 {
		page, err := m.Query(ctx, archive, q)
		require.NoError(t, err)
		var b, i []string
		for _, r := range page.Results {
			b = append(b, r.Message.Body(""))
			i = append(i, r.ID)
			assert.False(t, r.Stamp.IsZero(), "every result has its stamp")
		}
		if backwards {
			bodies, ids = append(b, bodies...), append(i, ids...)
			q = page.Previous()
		} else {
			bodies, ids = append(bodies, b...), append(ids, i...)
			q = page.Next()
		}
		if page.Complete || len(page.Results) == 0 {
			return bodies, ids
		}
	}
	t.Fatal("the archive never said it was complete")
	return nil, nil
}

// TestIntegrationHistory: 150 messages between two fresh accounts, read
// back from the sender's archive in pages of 40, forwards and
// backwards: all present, in order, none twice. Then the preferences.
func TestIntegrationHistory(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := testserver.Context(t)
		aliceCfg, bobCfg := s.NewAccount(t, "mam"), s.NewAccount(t, "mam")
		alice := testserver.Login(t, aliceCfg, nil)
		bob := testserver.Login(t, bobCfg, nil)
		m := mam.For(alice)
		v, err := m.Version(ctx, jid.JID{})
		require.NoError(t, err)
		assert.Equal(t, mam.NS, v)

		const n = 150
		var want []string
		for i := range n {
			body := fmt.Sprintf("message %03d", i)
			want = append(want, body)
			msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}}
			msg.To = bobCfg.JID
			require.NoError(t, alice.Send(ctx, msg))
		}
		// The archive has them all once the last is there.
		require.Eventually(t, func() bool {
			page, err := m.Query(ctx, jid.JID{}, mam.Query{With: bobCfg.JID, Max: 1, Latest: true})
			return err == nil && len(page.Results) == 1 && page.Results[0].Message.Body("") == want[n-1]
		}, 20*time.Second, 50*time.Millisecond)

		q := mam.Query{With: bobCfg.JID, Max: 40}
		forwards, ids := archived(ctx, t, m, jid.JID{}, q, false)
		assert.Equal(t, want, forwards, "forwards")
		slices.Sort(ids)
		assert.Len(t, slices.Compact(ids), n, "every archive id once")
		backwards, _ := archived(ctx, t, m, jid.JID{}, q, true)
		assert.Equal(t, want, backwards, "backwards")

		// From the recipient's archive too, where the messages come
		// from alice.
		page, err := mam.For(bob).Query(ctx, jid.JID{}, mam.Query{With: aliceCfg.JID, Max: 5, Latest: true})
		require.NoError(t, err)
		require.Len(t, page.Results, 5)
		assert.Equal(t, aliceCfg.JID, page.Results[4].Message.From.Bare())
		assert.Equal(t, want[n-1], page.Results[4].Message.Body(""))

		// Catching up: forwards from an archive id until complete.
		page, err = m.Query(ctx, jid.JID{}, mam.Query{With: bobCfg.JID, After: ids[0], Max: 40})
		require.NoError(t, err)
		assert.NotEmpty(t, page.Results)

		p, err := m.SetPrefs(ctx, mam.Prefs{Default: mam.Roster, Never: []jid.JID{jid.MustParse("spam@" + s.Domain)}})
		require.NoError(t, err)
		assert.Equal(t, mam.Roster, p.Default)
		p, err = m.Prefs(ctx)
		require.NoError(t, err)
		assert.Equal(t, mam.Roster, p.Default)
		assert.Equal(t, []jid.JID{jid.MustParse("spam@" + s.Domain)}, p.Never)
	})
}

// TestIntegrationRoomHistory: what was said in a room, read from the
// room's archive, each message from its occupant.
func TestIntegrationRoomHistory(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := testserver.Context(t)
		alice := testserver.Login(t, s.NewAccount(t, "mam"), nil)
		roomJID, err := jid.New(testserver.Unique("mamroom"), s.MUCDomain, "")
		require.NoError(t, err)
		room := muc.For(alice).Room(roomJID)
		require.NoError(t, room.Create(ctx, "Alice", nil, muc.JoinConfig{}))
		var want []string
		for i := range 5 {
			want = append(want, fmt.Sprintf("in the room %d", i))
			require.NoError(t, room.Send(ctx, want[i]))
		}
		m := mam.For(alice)
		var page *mam.Page
		require.Eventually(t, func() bool {
			page, err = m.Query(ctx, roomJID, mam.Query{Max: 10, Latest: true})
			return err == nil && len(page.Results) == len(want)
		}, 20*time.Second, 50*time.Millisecond, "%v", err)
		var got []string
		for _, r := range page.Results {
			got = append(got, r.Message.Body(""))
			assert.Equal(t, roomJID, r.Archive)
			assert.Equal(t, "Alice", r.Message.From.Resourcepart())
			assert.Equal(t, roomJID, r.Message.From.Bare())
		}
		assert.Equal(t, want, got)
		assert.True(t, page.Complete)
	})
}
