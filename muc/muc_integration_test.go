//go:build integration

package muc_test

import (
	"context"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run rooms on the MUC services (conference.localhost) of the
// Prosody and ejabberd that scripts/servers started. Set
// GOSMACK_XMPP_DEBUG=1 to see every element on stderr.

// member is one account in the room, with what its listeners saw.
type member struct {
	c        *xmpp.Conn
	room     *muc.Room
	messages chan *stanza.Message
	subjects chan string
	events   chan muc.OccupantEvent
	exits    chan muc.Exit
}

func enterAs(t *testing.T, s *testserver.Server, user string, room jid.JID) *member {
	t.Helper()
	m := &member{
		messages: make(chan *stanza.Message, 32),
		subjects: make(chan string, 8),
		events:   make(chan muc.OccupantEvent, 32),
		exits:    make(chan muc.Exit, 2),
	}
	m.c = testserver.Login(t, s.Config(t, user), func(c *xmpp.Conn) {
		m.room = muc.For(c).Room(room)
		m.room.OnMessage(func(msg *stanza.Message) { m.messages <- msg })
		m.room.OnSubject(func(e muc.SubjectChange) { m.subjects <- e.Nick + ": " + e.Subject })
		m.room.OnOccupant(func(e muc.OccupantEvent) { m.events <- e })
		m.room.OnExit(func(e muc.Exit) { m.exits <- e })
	})
	return m
}

// next waits for the first value of ch that want accepts, dropping others.
func next[T any](t *testing.T, what string, ch <-chan T, want func(T) bool) T {
	t.Helper()
	ctx := scenarioContext(t)
	for {
		select {
		case v := <-ch:
			if want(v) {
				return v
			}
		case <-ctx.Done():
			var zero T
			t.Fatalf("no %s", what)
			return zero
		}
	}
}

// seedConfig answers the configuration form with the seed's choices
// (createMucRoom): persistent, not members-only, invites allowed, at most
// 20 occupants, and a name. It logs the fields the server offers.
func seedConfig(t *testing.T, server, name string) func(*dataform.Answer) error {
	return func(a *dataform.Answer) error {
		var vars []string
		for _, f := range a.Form().Fields {
			if f.Var != "" {
				desc := fmt.Sprintf("%s (%s)=%v", f.Var, f.Type, f.Values)
				if len(f.Options) > 0 {
					var opts []string
					for _, o := range f.Options {
						opts = append(opts, o.Value)
					}
					desc += fmt.Sprintf(" options %v", opts)
				}
				vars = append(vars, desc)
			}
		}
		t.Logf("%s: configuration form fields:\n%s", server, joinLines(vars))
		has := func(v string) bool { return a.Form().Field(v) != nil }
		errs := []error{
			a.Set("muc#roomconfig_roomname", name),
			a.SetBool("muc#roomconfig_persistentroom", true),
			a.SetBool("muc#roomconfig_membersonly", false),
		}
		// Prosody offers neither maxusers nor allowinvites, but its own
		// var for members' invitations.
		switch {
		case has("muc#roomconfig_allowinvites"):
			errs = append(errs, a.SetBool("muc#roomconfig_allowinvites", true))
		case has(prosodyInvites):
			errs = append(errs, a.SetBool(prosodyInvites, true))
		default:
			t.Logf("%s: no field for invitations", server)
		}
		if has("muc#roomconfig_maxusers") {
			errs = append(errs, a.Set("muc#roomconfig_maxusers", "20"))
		} else {
			t.Logf("%s: no muc#roomconfig_maxusers field", server)
		}
		return errors.Join(errs...)
	}
}

const prosodyInvites = "{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites"

func joinLines(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}

// TestIntegrationRoom: alice creates a reserved room with the seed's
// configuration, bob and carol join, they talk, alice changes the
// subject, bob changes nickname, carol leaves, and alice destroys the
// room, which puts bob out.
func TestIntegrationRoom(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		name := fmt.Sprintf("gosmack-%d-%08x", time.Now().UnixNano(), mathrand.Uint32())
		roomJID := jid.MustParse(name + "@" + s.MUCDomain)
		ctx := scenarioContext(t)

		alice := enterAs(t, s, "alice", roomJID)
		require.NoError(t, alice.room.Create(ctx, "Alice", seedConfig(t, s.Name, "Room "+name), muc.JoinConfig{}))
		form, err := alice.room.Config(ctx)
		require.NoError(t, err)
		for v, want := range map[string]string{
			"muc#roomconfig_roomname":       "Room " + name,
			"muc#roomconfig_maxusers":       "20",
			"muc#roomconfig_persistentroom": "1",
			"muc#roomconfig_membersonly":    "0",
			"muc#roomconfig_allowinvites":   "1",
			prosodyInvites:                  "1",
		} {
			if form.Field(v) == nil && v != "muc#roomconfig_roomname" {
				continue // not offered by this server (see seedConfig)
			}
			got := form.Value(v)
			if f := form.Field(v); f != nil && f.Type == dataform.Boolean {
				b, err := f.Bool()
				require.NoError(t, err)
				got = map[bool]string{true: "1", false: "0"}[b]
			}
			assert.Equal(t, want, got, "%s after configuration", v)
		}
		// Creating it again finds it there.
		again := enterAs(t, s, "dave", roomJID)
		require.ErrorIs(t, again.room.Create(ctx, "Dave", nil, muc.JoinConfig{}), muc.ErrRoomExists)
		require.NoError(t, again.room.Leave(ctx, ""))

		bob := enterAs(t, s, "bob", roomJID)
		require.NoError(t, bob.room.Join(ctx, "Bob", noHistory))
		next(t, "bob joined, for alice", alice.events, func(e muc.OccupantEvent) bool {
			return e.Kind == muc.Joined && e.Occupant.Nick == "Bob"
		})
		carol := enterAs(t, s, "carol", roomJID)
		// The nickname is taken.
		require.ErrorIs(t, carol.room.Join(ctx, "Bob", muc.JoinConfig{}), muc.ErrNickInUse)
		require.NoError(t, carol.room.Join(ctx, "Carol", muc.JoinConfig{}))
		nicks := func(r *muc.Room) (n []string) {
			for _, o := range r.Occupants() {
				n = append(n, o.Nick)
			}
			return n
		}
		assert.Equal(t, []string{"Alice", "Bob", "Carol"}, nicks(carol.room))
		a, ok := carol.room.Occupant("Alice")
		require.True(t, ok)
		assert.Equal(t, muc.AffiliationOwner, a.Affiliation)
		assert.Equal(t, muc.RoleModerator, a.Role)
		next(t, "carol joined, for bob", bob.events, func(e muc.OccupantEvent) bool {
			return e.Kind == muc.Joined && e.Occupant.Nick == "Carol"
		})

		require.NoError(t, alice.room.Send(ctx, "Welcome!"))
		for _, m := range []*member{alice, bob, carol} {
			got := next(t, "welcome", m.messages, func(msg *stanza.Message) bool { return msg.Body("") == "Welcome!" })
			assert.Equal(t, "Alice", got.From.Resourcepart())
			assert.Equal(t, stanza.Groupchat, got.Type)
		}
		require.NoError(t, bob.room.SendPrivate(ctx, "Carol", "psst"))
		pm := next(t, "private message", carol.messages, func(msg *stanza.Message) bool { return msg.Body("") == "psst" })
		assert.Equal(t, stanza.Chat, pm.Type)
		assert.Equal(t, "Bob", pm.From.Resourcepart())

		require.NoError(t, alice.room.SetSubject(ctx, "Heroes' meeting"))
		for _, m := range []*member{bob, carol} {
			next(t, "subject", m.subjects, func(s string) bool { return s == "Alice: Heroes' meeting" })
			assert.Equal(t, "Heroes' meeting", m.room.Subject())
		}

		require.NoError(t, bob.room.ChangeNick(ctx, "Robert"))
		assert.Equal(t, "Robert", bob.room.Nick())
		e := next(t, "nick change, for alice", alice.events, func(e muc.OccupantEvent) bool { return e.Kind == muc.NickChanged })
		assert.Equal(t, "Bob", e.Old.Nick)
		assert.Equal(t, "Robert", e.Occupant.Nick)

		require.NoError(t, carol.room.Leave(ctx, "bye"))
		assert.False(t, carol.room.Joined())
		next(t, "carol left, for alice", alice.events, func(e muc.OccupantEvent) bool {
			return e.Kind == muc.Left && e.Occupant.Nick == "Carol"
		})
		assert.Equal(t, []string{"Alice", "Robert"}, nicks(alice.room))

		require.NoError(t, alice.room.Destroy(ctx, "done", jid.JID{}))
		exit := next(t, "destroy, for bob", bob.exits, func(muc.Exit) bool { return true })
		assert.Equal(t, muc.ExitDestroyed, exit.Reason)
		require.NotNil(t, exit.Destroyed)
		assert.Equal(t, "done", exit.Destroyed.Reason)
		assert.False(t, bob.room.Joined())
		next(t, "destroy, for alice", alice.exits, func(muc.Exit) bool { return true })
		assert.True(t, slices.Contains(alice.c.Announced(), muc.NS), "the Client announces MUC")
	})
}

// scenarioContext bounds a whole scenario of many steps (logins, joins,
// IQs): more than one step's testserver.Timeout, since a loaded machine
// running every package's integration tests at once makes ejabberd slow.
func scenarioContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 4*testserver.Timeout)
	t.Cleanup(cancel)
	return ctx
}
