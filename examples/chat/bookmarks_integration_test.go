//go:build integration

package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
)

// TestIntegrationChatTerminalBookmarks: two terminals of one new
// account. The first (keeper) creates a room and stays in it, so that
// the room lasts; it bookmarks the room with a nickname and autojoin,
// and lists it. The second (phone) starts: it enters the room at start
// with the bookmark's nickname and lists the bookmark too; its bookmark
// of another room shows on the keeper as another client's. Started
// again, the phone enters the bookmarked room again, and not the room
// bookmarked without autojoin; its /unbookmark shows on the keeper as a
// removal (on Prosody, which announces it), and the /bookmarks of both
// are then empty.
func TestIntegrationChatTerminalBookmarks(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) { chatTerminalBookmarks(t, bin, s) })
}

func chatTerminalBookmarks(t *testing.T, bin string, s *testserver.Server) {
	cfg := s.NewAccount(t, "chatbm")
	account := cfg.JID.String()
	room, other := testserver.Unique("bm")+"@"+s.MUCDomain, testserver.Unique("bm-other")+"@"+s.MUCDomain
	q, qo := regexp.QuoteMeta(room), regexp.QuoteMeta(other)
	start := func(resource string) *terminal {
		tm := startTerminal(t, bin, s, account+"/"+resource, cfg.Password)
		tm.expect(t, `^\[info\] online as `)
		tm.expect(t, `^\[roster\] `)
		return tm
	}

	keeper := start("keeper")
	keeper.send(t, "/join "+room+" Oberon")
	keeper.expect(t, `^\[room\] `+q+` \* you created the room and joined as Oberon; `)
	keeper.send(t, "/bookmark "+room+" Puck autojoin")
	keeper.expect(t, `^\[info\] bookmarked `+q+` as Puck, autojoin=yes$`)
	keeper.send(t, "/bookmarks")
	keeper.expectRun(t, `^\[bookmark\] end$`, `^\[bookmark\] `+q+` - autojoin=yes$`)

	// Another client of the account enters the room at start (both
	// nicknames are the account's, the room's owner: both moderators).
	joined := `^\[room\] ` + q + ` \* you joined as Puck; occupants: Oberon \(moderator\), Puck \(moderator\)$`
	phone := start("phone")
	phone.expect(t, joined)
	keeper.expect(t, `^\[room\] `+q+` \* Puck joined$`)
	phone.send(t, "/bookmarks")
	phone.expectRun(t, `^\[bookmark\] end$`, `^\[bookmark\] `+q+` - autojoin=yes$`)
	phone.send(t, "/bookmark "+other+" Robin")
	phone.expect(t, `^\[info\] bookmarked `+qo+` as Robin, autojoin=no$`)
	keeper.expect(t, `^\[bookmark\] set by another client: `+qo+` - autojoin=no$`)
	phone.send(t, "/quit")
	phone.expect(t, `^\[room\] `+q+` \* you left$`)
	require.Equal(t, 0, phone.wait(t), "%s: the phone's exit code", s.Name)
	keeper.expect(t, `^\[room\] `+q+` \* Puck left$`)

	// Started again, it enters the room again.
	phone = start("phone")
	phone.expect(t, joined)
	phone.send(t, "/unbookmark "+room)
	phone.expect(t, `^\[info\] removed the bookmark of `+q+`$`)
	// Prosody announces the removal; ejabberd 23.01 sends no retraction
	// notifications (see package bookmarks): there the keeper's
	// /bookmarks below shows it.
	if s.Name == "prosody" {
		keeper.expect(t, `^\[bookmark\] removed by another client: `+q+`$`)
	}
	phone.send(t, "/unbookmark "+other)
	phone.expect(t, `^\[info\] removed the bookmark of `+qo+`$`)
	phone.send(t, "/bookmarks")
	phone.expect(t, `^\[bookmark\] end$`)
	keeper.send(t, "/bookmarks")
	keeper.expectCount(t, `^\[bookmark\] end$`, 2)
	assert.Equal(t, 1, keeper.count(`^\[bookmark\] `+q+` `), "%s: the keeper lists the room after its /unbookmark", s.Name)
	assert.Zero(t, keeper.count(`^\[bookmark\] `+qo+` `), "%s: the keeper lists the other room after its /unbookmark", s.Name)
	assert.Zero(t, phone.count(`^\[bookmark\] `+q), "%s: the room's bookmark is listed after /unbookmark", s.Name)
	assert.Zero(t, phone.count(`^\[bookmark\] `+qo), "%s: the other room's bookmark is listed after /unbookmark", s.Name)
	assert.Zero(t, phone.count(`^\[room\] `+qo), "%s: a room bookmarked without autojoin was entered", s.Name)
	assert.Zero(t, keeper.count(`^\[bookmark\] set by another client: `+q), "%s: the keeper's own bookmark shown as another client's", s.Name)

	for _, tm := range []*terminal{phone, keeper} {
		tm.send(t, "/quit")
		tm.expect(t, `^\[info\] signing off$`)
		require.Equal(t, 0, tm.wait(t), "%s: %s's exit code", s.Name, tm.jid)
	}
}

// expectCount waits up to waitTimeout until the terminal has printed n
// lines that match pattern.
func (tm *terminal) expectCount(t *testing.T, pattern string, n int) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		changed := tm.changed
		tm.mu.Unlock()
		if tm.count(pattern) >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("%s: fewer than %d lines matching %q within %s", tm.jid, n, pattern, waitTimeout)
		}
	}
}
