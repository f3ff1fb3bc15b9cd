package muc_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relogin is the login of hag's second session, after the first was lost.
var relogin = xmpptest.Login(hag, "") + xmpptest.Bind(hag)

// TestRejoinOnDispatcher: the session is lost while the user is in the
// room; when the next one starts, the room is entered again with the
// same nickname and the history since the last message seen. No
// goroutine waits for it: the room's answer reaches OnRejoin on the
// dispatcher, while it handles the user's own presence, in wire order
// with a plain listener's stanzas; the occupants already there get no
// event.
func TestRejoinOnDispatcher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &heard{}
		rejoined := make(chan error, 1)
		second := transcript(t, "rejoin-second", relogin+
			strings.Replace(enter, "<x xmlns='http://jabber.org/protocol/muc'/>",
				"<x xmlns='http://jabber.org/protocol/muc'><history since='{{*}}'/></x>", 1)+marker)
		c := xmpptest.NewConn(t, hag, transcript(t, "rejoin-first", enter), func(cfg *xmpp.Config) {
			first, dials := cfg.Dialer, 0
			cfg.Dialer = dialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials++
				switch dials {
				case 1:
					return first.DialContext(ctx, network, addr)
				case 2:
					return xmpptest.Script(t, second), nil
				}
				return nil, errors.New("test: no third session")
			})
			cfg.Reconnect = xmpp.Reconnect{Policy: xmpp.FixedDelay(time.Second)}
		})
		m := muc.For(c)
		room := m.Room(coven)
		m.OnRejoin(func(e muc.Rejoin) {
			assert.Same(t, room, e.Room)
			assert.True(t, room.Joined())
			assert.Len(t, room.Occupants(), 3, "the occupants before the user's own presence")
			h.note("rejoined %v", e.Err)
			rejoined <- e.Err
		})
		heardAll := listenAll(h, c, room)
		require.NoError(t, c.Connect(ctxT(t)))
		subjects := make(chan muc.SubjectChange, 2)
		room.OnSubject(func(e muc.SubjectChange) { subjects <- e })
		require.NoError(t, room.Join(ctxT(t), "thirdwitch", muc.JoinConfig{}))
		wait(t, "the subject", subjects) // the first script then ends: the session is lost
		require.NoError(t, wait(t, "the rejoin", rejoined))
		wait(t, "the marker", heardAll)
		all := h.get()
		i := 0
		for i < len(all) && all[i] != "message s1" {
			i++
		}
		require.Less(t, i, len(all), "%q", all)
		assert.Equal(t, []string{
			"presence firstwitch ",
			"presence secondwitch ",
			"rejoined <nil>",
			"presence thirdwitch ",
			`subject "Fire Burn and Cauldron Bubble!" by secondwitch`,
			"message s1",
			"room message marker",
			"message marker",
		}, all[i+1:], "the second session, after the first's end")
	})
}

type dialer func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}
