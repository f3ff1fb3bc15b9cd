//go:build integration

package mam_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/mam"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationCatchUp: alice sees bob's first message live, which
// puts its archive id in her Store; she goes offline while bob sends
// 50 more; her next login catches up from the stored id: the 50 come
// through OnArchived, each once, in order, none missing, and the first
// not again.
func TestIntegrationCatchUp(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := testserver.Context(t)
		aliceCfg, bobCfg := s.NewAccount(t, "mam"), s.NewAccount(t, "mam")
		bob := testserver.Login(t, bobCfg, nil)
		send := func(body string) {
			msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}}
			msg.To = aliceCfg.JID
			require.NoError(t, bob.Send(ctx, msg))
		}
		store := new(mam.MemoryStore)

		// Online (available: messages to the bare JID are delivered):
		// the live message moves the Store.
		first := xmpp.New(aliceCfg)
		m := mam.For(first)
		m.SetStore(store)
		m.SetCatchUp(true)
		caught := make(chan mam.CaughtUp, 1)
		m.OnCaughtUp(func(e mam.CaughtUp) { caught <- e })
		require.NoError(t, first.Connect(ctx))
		select {
		case e := <-caught:
			require.NoError(t, e.Err)
		case <-ctx.Done():
			t.Fatal("no first catch-up")
		}
		send("before")
		require.Eventually(t, func() bool { last, _ := store.Load(); return last != "" }, 10*time.Second, 20*time.Millisecond,
			"the live message's stanza-id stored")
		require.NoError(t, first.Close())

		// Offline: 50 messages.
		const n = 50
		var want []string
		for i := range n {
			want = append(want, fmt.Sprintf("away %02d", i))
			send(want[i])
		}
		// They are archived once the last is in bob's archive (the
		// server archives both sides as it routes).
		require.Eventually(t, func() bool {
			page, err := mam.For(bob).Query(ctx, jid.JID{}, mam.Query{With: aliceCfg.JID, Max: 1, Latest: true})
			return err == nil && len(page.Results) == 1 && page.Results[0].Message.Body("") == want[n-1]
		}, 20*time.Second, 50*time.Millisecond)

		// Back, without presence so that the server does not send its
		// offline messages: the catch-up delivers the 50.
		aliceCfg.NoInitialPresence = true
		var mu sync.Mutex
		var got []string
		ended := make(chan mam.CaughtUp, 1)
		testserver.Login(t, aliceCfg, func(c *xmpp.Conn) {
			m := mam.For(c)
			m.SetStore(store)
			m.SetCatchUp(true)
			m.OnArchived(func(a mam.Archived) {
				if a.Message.From.Bare() != bobCfg.JID.Bare() || len(a.Message.Bodies) == 0 {
					return
				}
				assert.False(t, a.Stamp.IsZero(), "stamped")
				mu.Lock()
				got = append(got, a.Message.Body(""))
				mu.Unlock()
			})
			m.OnCaughtUp(func(e mam.CaughtUp) { ended <- e })
		})
		select {
		case e := <-ended:
			require.NoError(t, e.Err)
			assert.GreaterOrEqual(t, e.Delivered, n)
			assert.NotEmpty(t, e.Last)
		case <-ctx.Done():
			t.Fatal("no catch-up")
		}
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, want, got, "each once, in order, none missing")
	})
}
