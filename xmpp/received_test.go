package xmpp_test

import (
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stamped is a chat message with the id id from from, stamped with the
// stanza-id sid by by.
func stamped(id, from, sid, by string) string {
	return "S: <message type='chat' id='" + id + "' from='" + from + "' to='alice@localhost/r'><body>" + id + "</body>" +
		"<stanza-id xmlns='urn:xmpp:sid:0' id='" + sid + "' by='" + by + "'/></message>\n"
}

// TestStanzaIDRepeats: a message with the stanza-id by the account of
// one received or recorded before, from the same sender, is a repeat,
// whatever its id and body; the same stanza-id from another sender, or
// by someone else than the account, is not; a recorded message's
// content key drops a copy without a stanza-id. RecordReceived reports
// what it finds.
func TestStanzaIDRepeats(t *testing.T) {
	text := smLogin + smBind +
		stamped("a1", "bob@localhost/b", "S1", "alice@localhost") +
		stamped("a2", "bob@localhost/other", "S1", "alice@localhost") + // bob again: dropped
		stamped("c1", "carol@localhost/c", "S1", "alice@localhost") + // carol reusing it: kept
		stamped("a3", "bob@localhost/b", "S2", "carol@localhost") +
		stamped("a4", "bob@localhost/b", "S2", "carol@localhost") + // by carol: not a key
		stamped("x9", "bob@localhost/b", "S5", "alice@localhost") + // recorded: dropped
		serverMsg("r1") + // recorded content: dropped
		stamped("c2", "carol@localhost/c", "S5", "alice@localhost") + // carol: kept
		stamped("a5", "bob@localhost/b", "S6", "alice@localhost/r") + // by a full JID: compared bare
		stamped("a6", "bob@localhost/b", "S6", "alice@localhost") +
		serverMsg("end") +
		smClose(0)
	c := smConn(t, conns(smScript(t, text)))
	recorded := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "r1"}}}
	recorded.ID, recorded.From = "r1", jid.MustParse("bob@localhost/b")
	assert.False(t, c.RecordReceived(recorded, "S5"))
	assert.True(t, c.RecordReceived(recorded, "S5"), "recorded twice")
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated", "msg:a1", "msg:c1", "msg:a3", "msg:a4", "msg:c2", "msg:a5", "msg:end")

	live := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "other"}}}
	live.ID, live.From = "zz", jid.MustParse("bob@localhost")
	assert.True(t, c.RecordReceived(live, "S1"), "bob's S1 was received")
	live.From = jid.MustParse("dave@localhost")
	assert.False(t, c.RecordReceived(live, "S1"), "not from dave")
	require.NoError(t, c.Close())

	off := smConn(t, conns(), func(cfg *xmpp.Config) { cfg.DuplicateWindow = -1 })
	assert.False(t, off.RecordReceived(recorded, "S5"))
	assert.False(t, off.RecordReceived(recorded, "S5"), "the check is off")
}

// TestPresenceHold: a new session's initial presence waits for every
// hold registered to let it go, and is sent once; a broadcast by the
// user announces the session instead.
func TestPresenceHold(t *testing.T) {
	withPresence := func(cfg *xmpp.Config) { cfg.NoInitialPresence = false }
	t.Run("released", func(t *testing.T) {
		text := smLogin + smBind + `C: <message type='chat' id='m1' to='bob@localhost/b'><body>m1</body></message>
C: <presence id='{{p}}'/>
C: <message type='chat' id='m2' to='bob@localhost/b'><body>m2</body></message>
` + smClose(3)
		c := smConn(t, conns(smScript(t, text)), withPresence)
		h1, h2, h3 := c.HoldPresence(), c.HoldPresence(), c.HoldPresence()
		require.NoError(t, h3.Remove(ctxT(t)))
		require.NoError(t, h3.Remove(ctxT(t)), "twice")
		require.NoError(t, c.Connect(ctxT(t)))
		released(t, h1, false)
		released(t, h1, false)
		sendAll(t, c, "m1")
		released(t, h2, true)
		require.NoError(t, h2.Remove(ctxT(t)))
		released(t, h2, false)
		sendAll(t, c, "m2")
		require.NoError(t, c.Close())
	})
	t.Run("the user broadcast", func(t *testing.T) {
		text := smLogin + smBind + `C: <presence id='{{p}}'><show>away</show></presence>
C: <message type='chat' id='m1' to='bob@localhost/b'><body>m1</body></message>
` + smClose(2)
		c := smConn(t, conns(smScript(t, text)), withPresence)
		h := c.HoldPresence()
		require.NoError(t, c.Connect(ctxT(t)))
		require.NoError(t, c.Send(ctxT(t), &stanza.Presence{Show: stanza.ShowAway}))
		released(t, h, false)
		sendAll(t, c, "m1")
		require.NoError(t, c.Close())
	})
}

// released releases h and checks whether it sent the presence.
func released(t *testing.T, h *xmpp.PresenceHold, sent bool) {
	t.Helper()
	ok, err := h.Release(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, sent, ok)
}
