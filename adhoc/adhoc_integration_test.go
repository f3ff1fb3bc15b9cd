//go:build integration

package adhoc_test

import (
	"slices"
	"testing"

	"github.com/gosmack/gosmack/adhoc"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// userStats is an administrator's command both servers offer: a form
// that asks for an account, then the account's statistics.
const userStats = "http://jabber.org/protocol/admin#user-stats"

// TestIntegrationCommands: a user is offered one command (Prosody's
// uptime, ejabberd's ping), which completes at once with a note, and is
// refused the administrators' commands; the scripts' admin account is
// offered those too, and runs the user statistics: its form is filled
// with the user's JID and completed, and the result form names the
// user's online resource; a second run, canceled, ends the session.
func TestIntegrationCommands(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		ctx := testserver.Context(t)
		user := testserver.Login(t, s.NewAccount(t, "adhoc"), nil)
		ua := adhoc.For(user)
		mine := map[string]string{"prosody": "uptime", "ejabberd": "ping"}[s.Name]

		cmds, err := ua.Commands(ctx, jid.JID{})
		require.NoError(t, err, s.Name)
		assert.Equal(t, []string{mine}, nodes(cmds), s.Name)
		cs, err := ua.Execute(ctx, jid.JID{}, mine)
		require.NoError(t, err, s.Name)
		r := cs.Response()
		assert.Equal(t, adhoc.Completed, r.Status, s.Name)
		require.Len(t, r.Notes, 1, s.Name)
		t.Logf("%s: %s: %s", s.Name, mine, r.Notes[0].Text)
		_, err = ua.Execute(ctx, jid.JID{}, userStats)
		assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.Forbidden}, s.Name)

		// Only reads: the admin account is shared with other tests.
		admin := testserver.Login(t, s.Config(t, "admin"), nil)
		aa := adhoc.For(admin)
		cmds, err = aa.Commands(ctx, jid.JID{})
		require.NoError(t, err, s.Name)
		assert.Contains(t, nodes(cmds), userStats, s.Name)
		assert.Contains(t, nodes(cmds), mine, s.Name)
		t.Logf("%s: %d commands for the admin", s.Name, len(cmds))

		ss, err := aa.Execute(ctx, jid.JID{}, userStats)
		require.NoError(t, err, s.Name)
		r = ss.Response()
		assert.Equal(t, adhoc.Executing, r.Status, s.Name)
		assert.NotEmpty(t, ss.ID(), s.Name)
		assert.True(t, r.Allowed(adhoc.Complete), s.Name)
		require.NotNil(t, r.Form, s.Name)
		answer, err := r.Form.Answer()
		require.NoError(t, err)
		require.NoError(t, answer.SetJID("accountjid", user.JID().Bare()))
		submit, err := answer.Submit()
		require.NoError(t, err)
		r, err = ss.Complete(ctx, &submit)
		require.NoError(t, err, s.Name)
		assert.Equal(t, adhoc.Completed, r.Status, s.Name)
		require.NotNil(t, r.Form, s.Name)
		assert.Equal(t, []string{user.JID().Resourcepart()}, r.Form.Values("onlineresources"), s.Name)
		assert.True(t, ss.Ended())

		ss, err = aa.Execute(ctx, jid.JID{}, userStats)
		require.NoError(t, err, s.Name)
		r, err = ss.Cancel(ctx)
		require.NoError(t, err, s.Name)
		assert.Equal(t, adhoc.Canceled, r.Status, s.Name)
		_, err = ss.Complete(ctx, &submit)
		assert.ErrorIs(t, err, adhoc.ErrEnded)
	})
}

func nodes(cmds []adhoc.Command) []string {
	var s []string
	for _, c := range cmds {
		s = append(s, c.Node)
	}
	slices.Sort(s)
	return s
}
