//go:build integration

package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/xmpp"
)

// TestIntegrationEchoBotSubscriptions: a user who asks for the bot's
// presence gets it, and the bot asks for the user's back; the user
// approves, and each roster shows the other with subscription both. Fresh
// accounts, so that the shared ones' rosters stay as they are.
func TestIntegrationEchoBotSubscriptions(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		botCfg, userCfg := s.NewAccount(t, "echobot"), s.NewAccount(t, "user")

		b := startBot(t, bin, s, botCfg.JID.String(), botCfg.Password)
		botJID := b.WaitOnline(t, 30*time.Second)

		c := xmpp.New(userCfg)
		r := roster.For(c)
		asked := make(chan jid.JID, 1)
		r.OnSubscriptionRequest(func(req roster.SubscriptionRequest) {
			select {
			case asked <- req.From:
			default:
			}
			_ = r.Approve(ctx, req.From)
		})
		require.NoError(t, c.Connect(ctx))
		defer c.Close()
		require.NoError(t, r.WaitLoaded(ctx))
		require.NoError(t, r.Subscribe(ctx, botJID.Bare()))
		select {
		case from := <-asked:
			require.Equal(t, botJID.Bare(), from.Bare(), "the bot subscribes back")
		case <-ctx.Done():
			t.Fatalf("the bot did not subscribe back; stderr: %s", b.Stderr.String())
		}
		require.Eventually(t, func() bool {
			e, _ := r.Entry(botJID)
			return e.Subscription == roster.SubscriptionBoth
		}, 15*time.Second, 10*time.Millisecond, "the user's roster shows the bot with both")
		require.Eventually(t, func() bool { return r.Presence(botJID).From == botJID }, 15*time.Second, 10*time.Millisecond,
			"the user sees the bot online")
		require.Equal(t, 0, stopBot(t, b))
	})
}
