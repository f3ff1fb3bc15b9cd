//go:build integration

package main

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// These tests run the mucbot binary, as a user would, as alice on Prosody
// and ejabberd, in rooms of their own at conference.localhost, and talk to
// it as bob through the muc package. Other packages' tests use the same
// accounts at the same time: every address is a full JID or a room of this
// test's, every resource and room name unique.

const botNick = "mucbot"

func TestIntegrationMUCBot(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		unique := fmt.Sprintf("%d-%08x", time.Now().UnixNano(), mathrand.Uint32())
		room := func(kind string) jid.JID { return jid.MustParse("mucbot-" + kind + "-" + unique + "@" + s.MUCDomain) }
		created, existing, mediated, direct := room("new"), room("old"), room("mediated"), room("direct")

		var bob *muc.Client
		bobConn := testserver.Login(t, fullConfig(t, s, "bob", "mucbot-test-"+unique), func(c *xmpp.Conn) { bob = muc.For(c) })

		// A room that exists before the bot starts, with a message
		// addressed to the bot in its history.
		old := watch(bob, existing)
		require.NoError(t, old.room.Create(ctx, "Bob", nil, muc.JoinConfig{}))
		require.NoError(t, old.room.Send(ctx, botNick+": old"))

		bot := startBot(t, bin, s, "alice", "mucbot-"+unique, "-room", created.String(), "-room", existing.String(), "-nick", botNick)
		botJID := bot.WaitOnline(t, time.Minute)
		require.Equal(t, jid.MustParse("alice@"+s.Domain), botJID.Bare())
		out := bot.Stdout.String()
		online := strings.Index(out, "online as ")
		for _, r := range []jid.JID{created, existing} {
			joined := strings.Index(out, "joined "+r.String()+" as "+botNick+"\n")
			assert.True(t, joined >= 0 && joined < online, "%s is announced before going online: %q", r, out)
		}

		// The existing room: the bot came in, and answers what is said
		// now, not the history.
		old.waitEvent(t, ctx, muc.Joined)
		require.NoError(t, old.room.Send(ctx, botNick+": new"))
		assert.Equal(t, "new", old.next(t, ctx), "the first answer is to the live message, not to the history")

		// The room the bot created: it is its owner.
		fresh := watch(bob, created)
		require.NoError(t, fresh.room.Join(ctx, "Bob", muc.JoinConfig{History: muc.History{None: true}}))
		occ, ok := fresh.room.Occupant(botNick)
		require.True(t, ok, "the bot is in the room it created: %+v", fresh.room.Occupants())
		assert.Equal(t, muc.AffiliationOwner, occ.Affiliation)

		require.NoError(t, fresh.room.Send(ctx, botNick+": hello"))
		assert.Equal(t, "hello", fresh.next(t, ctx))

		// Messages not addressed to the bot get no answer: the answer to
		// the addressed message that follows them comes first. The bot
		// reads the room's messages in order and answers in order.
		for _, body := range []string{"hello everyone", "not " + botNick + ": this", botNick + ":no space", botNick + ": ", "Mucbot: other case"} {
			require.NoError(t, fresh.room.Send(ctx, body))
		}
		require.NoError(t, fresh.room.Send(ctx, botNick+": second"))
		assert.Equal(t, "second", fresh.next(t, ctx), "no answer to the messages not addressed to the bot")

		// The bot does not answer itself: its answer here is addressed to
		// it. Once bob has that answer, the room has sent the bot its own
		// message back, before bob's next one, so an answer to itself
		// would come before the answer to "after".
		require.NoError(t, fresh.room.Send(ctx, botNick+": "+botNick+": echo"))
		assert.Equal(t, botNick+": echo", fresh.next(t, ctx))
		require.NoError(t, fresh.room.Send(ctx, botNick+": after"))
		assert.Equal(t, "after", fresh.next(t, ctx), "the bot does not answer its own message")

		// Invitations: mediated by the room (XEP-0045) and direct
		// (XEP-0249), to the bot's full JID.
		invited := map[jid.JID]*view{}
		for _, r := range []jid.JID{mediated, direct} {
			v := watch(bob, r)
			invited[r] = v
			require.NoError(t, v.room.Create(ctx, "Bob", nil, muc.JoinConfig{}))
			if r == mediated {
				require.NoError(t, v.room.Invite(ctx, botJID, "join us"))
			} else {
				require.NoError(t, bob.InviteDirect(ctx, botJID, r, "join us", ""))
			}
			v.waitEvent(t, ctx, muc.Joined)
			require.NoError(t, v.room.Send(ctx, botNick+": hello from "+r.Localpart()))
			assert.Equal(t, "hello from "+r.Localpart(), v.next(t, ctx))
		}
		assert.Contains(t, bot.Stdout.String(), "invited to "+mediated.String()+" by ")
		assert.Contains(t, bot.Stdout.String(), "invited to "+direct.String()+" by "+bobConn.JID().String()+"\n")

		// SIGTERM: the bot leaves every room and exits 0.
		bot.Signal(t, syscall.SIGTERM)
		code, stderr := bot.Wait(t, 20*time.Second), bot.Stderr.String()
		assert.Equal(t, 0, code, "SIGTERM is a clean exit; stderr: %s", stderr)
		assert.Empty(t, stderr)
		for _, v := range []*view{old, fresh, invited[mediated], invited[direct]} {
			v.waitEvent(t, ctx, muc.Left)
			assert.Contains(t, bot.Stdout.String(), "left "+v.room.JID().String()+"\n")
		}
	})
}

// TestIntegrationMUCBotNickInUse: a room of -room where the nickname is
// taken ends the bot with status 1 and one line on stderr.
func TestIntegrationMUCBotNickInUse(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := scenarioContext(t)
		unique := fmt.Sprintf("%d-%08x", time.Now().UnixNano(), mathrand.Uint32())
		taken := jid.MustParse("mucbot-taken-" + unique + "@" + s.MUCDomain)
		var bob *muc.Client
		testserver.Login(t, fullConfig(t, s, "bob", "mucbot-test-"+unique), func(c *xmpp.Conn) { bob = muc.For(c) })
		require.NoError(t, bob.Room(taken).Create(ctx, botNick, nil, muc.JoinConfig{}))

		bot := startBot(t, bin, s, "alice", "mucbot-"+unique, "-room", taken.String(), "-nick", botNick)
		assert.Equal(t, 1, bot.Wait(t, 40*time.Second))
		stderr := bot.Stderr.String()
		assert.NotContains(t, bot.Stdout.String(), "online as")
		t.Logf("stderr: %s", stderr)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		assert.True(t, strings.HasPrefix(stderr, "mucbot: "), "%q", stderr)
		assert.Contains(t, stderr, taken.String())
		assert.Contains(t, stderr, "nickname in use")
	})
}

// scenarioContext bounds a whole scenario of many steps (logins, joins,
// messages): more than one step's testserver.Timeout, since a machine
// running every package's integration tests at once makes ejabberd slow.
func scenarioContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 4*testserver.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// fullConfig is s.Config for user with the given resource.
func fullConfig(t *testing.T, s *testserver.Server, user, resource string) xmpp.Config {
	t.Helper()
	cfg := s.Config(t, user)
	var err error
	cfg.JID, err = cfg.JID.WithResource(resource)
	require.NoError(t, err)
	return cfg
}

// view is a room as bob sees the bot in it: the bot's groupchat messages
// and its occupant events.
type view struct {
	room   *muc.Room
	said   chan string
	events chan muc.OccupantEvent
}

// watch registers bob's listeners on room, before he enters it.
func watch(m *muc.Client, room jid.JID) *view {
	v := &view{room: m.Room(room), said: make(chan string, 32), events: make(chan muc.OccupantEvent, 32)}
	v.room.OnMessage(func(msg *stanza.Message) {
		if msg.Type == stanza.Groupchat && msg.From.Resourcepart() == botNick {
			v.said <- msg.Body("")
		}
	})
	v.room.OnOccupant(func(e muc.OccupantEvent) {
		if e.Occupant.Nick == botNick {
			v.events <- e
		}
	})
	return v
}

// next returns the bot's next message in the room.
func (v *view) next(t *testing.T, ctx context.Context) string {
	t.Helper()
	select {
	case s := <-v.said:
		return s
	case <-ctx.Done():
		t.Fatalf("no answer from the bot in %s", v.room.JID())
		return ""
	}
}

// waitEvent waits for an occupant event of the bot of the given kind,
// dropping others.
func (v *view) waitEvent(t *testing.T, ctx context.Context, kind muc.EventKind) {
	t.Helper()
	for {
		select {
		case e := <-v.events:
			if e.Kind == kind {
				return
			}
		case <-ctx.Done():
			t.Fatalf("the bot never %s in %s", kind, v.room.JID())
		}
	}
}

// startBot runs the binary as user on s with the given resource and
// further arguments, the password given through the environment, as a
// user should.
func startBot(t *testing.T, bin string, s *testserver.Server, user, resource string, args ...string) *progtest.Proc {
	t.Helper()
	args = append([]string{"-jid", user + "@" + s.Domain + "/" + resource, "-addr", s.StartTLSAddr, "-ca", s.CAFile}, args...)
	return progtest.Start(t, bin, []string{"XMPP_PASSWORD=" + s.User(t, user).Password}, args...)
}
