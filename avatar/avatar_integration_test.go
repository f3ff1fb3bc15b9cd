//go:build integration

package avatar_test

import (
	"testing"
	"time"

	"github.com/gosmack/gosmack/avatar"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationAvatar: on each server, two accounts subscribed to each
// other listen to avatars; one publishes an image and the other hears
// the change from the publisher's bare JID, fetches the image by its id
// and gets the same bytes; then the publisher disables it and the other
// hears "no avatar".
func TestIntegrationAvatar(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		t.Parallel()
		cfgA, cfgB := s.NewAccount(t, "ava"), s.NewAccount(t, "avb")
		testserver.SubscribeMutually(t, cfgA, cfgB)
		ctx := testserver.Context

		changes := make(chan avatar.Change, 16)
		b := testserver.Login(t, cfgB, func(c *xmpp.Conn) {
			avatar.For(c).OnChange(func(ch avatar.Change) {
				if ch.From == cfgA.JID.Bare() {
					changes <- ch
				}
			})
		})
		a := testserver.Login(t, cfgA, func(c *xmpp.Conn) { avatar.For(c) })
		converts, err := avatar.For(a).Converts(ctx(t))
		require.NoError(t, err)
		t.Logf("%s converts avatars and vCard photos (XEP-0398): %v", s.Name, converts)

		img := []byte("\x89PNG\r\n\x1a\n" + s.Name + " avatar test image")
		// b's interest (+notify in its caps) may reach the servers after
		// a first publish: publish until the notification comes.
		var ch avatar.Change
		var info avatar.Info
		deadline := time.Now().Add(testserver.Timeout)
	wait:
		for {
			info, err = avatar.For(a).Publish(ctx(t), img, "image/png", 1, 1)
			require.NoError(t, err)
			select {
			case ch = <-changes:
				if len(ch.Infos) > 0 && ch.Infos[0].ID == info.ID {
					break wait
				}
			case <-time.After(time.Second):
			}
			require.True(t, time.Now().Before(deadline), "%s: b heard no avatar change", s.Name)
		}
		assert.Equal(t, avatar.ID(img), info.ID)
		assert.Equal(t, len(img), ch.Infos[0].Bytes)
		assert.Equal(t, "image/png", ch.Infos[0].Type)

		got, err := avatar.For(b).Fetch(ctx(t), cfgA.JID.Bare(), info.ID)
		require.NoError(t, err)
		assert.Equal(t, img, got, "%s: the image fetched is the one published", s.Name)
		meta, err := avatar.For(b).Metadata(ctx(t), cfgA.JID.Bare())
		require.NoError(t, err)
		require.NotEmpty(t, meta)
		assert.Equal(t, info.ID, meta[0].ID)

		require.NoError(t, avatar.For(a).Disable(ctx(t)))
		for {
			select {
			case ch = <-changes:
			case <-time.After(testserver.Timeout):
				t.Fatalf("%s: b did not hear the avatar disabled", s.Name)
			}
			if len(ch.Infos) == 0 {
				break
			}
		}
	})
}
