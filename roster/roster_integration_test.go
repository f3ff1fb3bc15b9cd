//go:build integration

package roster_test

import (
	"strings"
	"testing"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests change rosters, so each registers fresh accounts in band
// (other tests use the shared ones concurrently). Set GOSMACK_XMPP_DEBUG=1
// to see every element on stderr.

// login connects cfg with its Roster, set up by the sets before the
// login, and closes it when the test ends.
func login(t *testing.T, cfg xmpp.Config, sets ...func(*roster.Roster)) (*xmpp.Conn, *roster.Roster, *events) {
	t.Helper()
	c := xmpp.New(cfg)
	r := roster.For(c)
	for _, set := range sets {
		set(r)
	}
	ev := listen(r)
	require.NoError(t, c.Connect(testserver.Context(t)))
	t.Cleanup(func() { c.Close() })
	require.NoError(t, r.WaitLoaded(testserver.Context(t)))
	return c, r, ev
}

// TestIntegrationRoster: an entry added with a name and groups arrives by
// push, and is in the roster that a second login fetches; a rename and a
// regroup reach both resources; removal too.
func TestIntegrationRoster(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "roster")
		_, r1, ev1 := login(t, cfg)
		ev1.expect(t, "loaded <nil>")
		assert.Empty(t, r1.Entries())

		contact := jid.MustParse("friend-" + cfg.JID.Localpart() + "@" + s.Domain)
		require.NoError(t, r1.Set(testserver.Context(t), roster.Entry{JID: contact, Name: "Friend", Groups: []string{"Friends", "Work"}}))
		ev1.expect(t, "added "+contact.String())
		e, ok := r1.Entry(contact)
		require.True(t, ok)
		assert.Equal(t, roster.Entry{JID: contact, Name: "Friend", Groups: []string{"Friends", "Work"}, Subscription: roster.SubscriptionNone}, sortGroups(e))

		cfg2 := cfg
		cfg2.Resource = "second"
		_, r2, ev2 := login(t, cfg2)
		ev2.expect(t, "added "+contact.String(), "loaded <nil>")
		e2, _ := r2.Entry(contact)
		assert.Equal(t, sortGroups(e), sortGroups(e2))

		// Rename and regroup from the first; both hear it.
		e.Name = "Best Friend"
		e.Groups = []string{"Family"}
		require.NoError(t, r1.Set(testserver.Context(t), e))
		ev1.expect(t, "updated "+contact.String())
		ev2.expect(t, "updated "+contact.String())
		for _, r := range []*roster.Roster{r1, r2} {
			got, _ := r.Entry(contact)
			assert.Equal(t, "Best Friend", got.Name)
			assert.Equal(t, []string{"Family"}, got.Groups)
			g, ok := r.Group("Family")
			assert.True(t, ok)
			assert.Len(t, g.Entries, 1)
			_, ok = r.Group("Friends")
			assert.False(t, ok)
		}

		require.NoError(t, r2.Remove(testserver.Context(t), contact))
		ev1.expect(t, "deleted "+contact.String())
		ev2.expect(t, "deleted "+contact.String())
		assert.Empty(t, r1.Entries())
		assert.Empty(t, r2.Entries())
	})
}

func sortGroups(e roster.Entry) roster.Entry {
	e.Groups = append([]string(nil), e.Groups...)
	for i := range e.Groups {
		for j := i + 1; j < len(e.Groups); j++ {
			if e.Groups[j] < e.Groups[i] {
				e.Groups[i], e.Groups[j] = e.Groups[j], e.Groups[i]
			}
		}
	}
	return e
}

// TestIntegrationVersioning: both servers offer versioning; the first
// login asks with an empty ver and gets a version (ejabberd gives one only when
// asked); a second login with the stored version gets an empty result and
// keeps the stored roster, writing nothing.
func TestIntegrationVersioning(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "roster")
		store := new(roster.MemoryStore)
		c1, r1, ev1 := login(t, cfg, func(r *roster.Roster) { r.SetStore(store) })
		assert.True(t, c1.Features().Has(roster.NSVersioning, "ver"), "%s offers versioning", s.Name)
		ev1.expect(t, "loaded <nil>")
		assert.NotEmpty(t, r1.Version(), "a version after asking with an empty ver")

		contact := jid.MustParse("versioned-" + cfg.JID.Localpart() + "@" + s.Domain)
		require.NoError(t, r1.Set(testserver.Context(t), roster.Entry{JID: contact, Name: "V", Groups: []string{"G"}}))
		ev1.expect(t, "added "+contact.String())
		c1.Close()
		ver, stored, err := store.Load()
		require.NoError(t, err)
		require.Len(t, stored, 1)
		assert.Equal(t, r1.Version(), ver)
		t.Logf("%s: stored version %q", s.Name, ver)

		rec := new(testserver.Buffer)
		cfg.Recorder = rec
		counting := &countingStore{Store: store}
		_, r2, ev2 := login(t, cfg, func(r *roster.Roster) { r.SetStore(counting) })
		ev2.expect(t, "added "+contact.String(), "loaded <nil>")
		assert.Equal(t, stored, r2.Entries())
		assert.Equal(t, ver, r2.Version())
		assert.Zero(t, counting.writes(), "no full roster came, nothing was written")
		var request, result string
		for _, line := range strings.Split(rec.String(), "\n") {
			if strings.HasPrefix(line, "C:") && strings.Contains(line, "jabber:iq:roster") {
				request = line
			}
		}
		assert.Contains(t, request, "ver=")
		assert.Contains(t, request, ver)
		id := request[strings.Index(request, "id='")+4:]
		id = id[:strings.Index(id, "'")]
		for _, line := range strings.Split(rec.String(), "\n") {
			if strings.HasPrefix(line, "S:") && (strings.Contains(line, "'"+id+"'") || strings.Contains(line, `"`+id+`"`)) {
				result += line + "\n"
			}
		}
		require.NotEmpty(t, result, "the reply to %s is recorded", id)
		assert.NotContains(t, result, "<item", "the result carried no items")
		assert.NotContains(t, result, "<query", "the result carried no roster")
		t.Logf("%s: its result %s", s.Name, strings.TrimSpace(result))
		t.Logf("%s: versioned request %s", s.Name, request)
	})
}
