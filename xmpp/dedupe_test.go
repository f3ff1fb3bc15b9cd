package xmpp_test

import (
	"testing"

	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/require"
)

// TestDuplicateMessages: a message received again (same sender, id and
// body) is dropped before the listeners; messages that only share an id
// are not, nor are messages without an id or a body, error messages, or two
// occupants of a room who happen to use the same id.
func TestDuplicateMessages(t *testing.T) {
	const (
		fromRoom1 = "S: <message type='groupchat' id='g1' from='room@muc.localhost/one'><body>hi</body></message>\n"
		fromRoom2 = "S: <message type='groupchat' id='g1' from='room@muc.localhost/two'><body>hi</body></message>\n"
		noID      = "S: <message type='chat' from='bob@localhost/b'><body>no id</body></message>\n"
		noBody    = "S: <message type='chat' id='n1' from='bob@localhost/b'><active xmlns='http://jabber.org/protocol/chatstates'/></message>\n"
		errMsg    = "S: <message type='error' id='m1' from='bob@localhost/b'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>\n"
		otherBody = "S: <message type='chat' id='s1' from='bob@localhost/b' to='alice@localhost/r'><body>other</body></message>\n"
		// The same message from another resource of the same account:
		// a resent message after the sender's new session.
		otherResource = "S: <message type='chat' id='s1' from='bob@localhost/c' to='alice@localhost/r'><body>s1</body></message>\n"
	)
	text := smLogin + smBind +
		serverMsg("s1") + serverMsg("s1") + otherResource +
		otherBody +
		fromRoom1 + fromRoom2 + fromRoom1 +
		noID + noID +
		noBody + noBody +
		errMsg + errMsg +
		serverMsg("s2") +
		smClose(0)
	c := smConn(t, conns(smScript(t, text)))
	e := watch(c)
	require.NoError(t, c.Connect(ctxT(t)))
	e.expect(t, "state:authenticated",
		"msg:s1", "msg:s1", // s1 once, then the same id with another body
		"msg:g1", "msg:g1",
		"msg:", "msg:",
		"msg:n1", "msg:n1",
		"msg:m1", "msg:m1",
		"msg:s2")
	require.NoError(t, c.Close())
}

// TestDuplicateWindow: only the last DuplicateWindow messages are
// remembered, and a negative window turns the check off.
func TestDuplicateWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window int
		want   []string
	}{
		{"window 2", 2, []string{"msg:s1", "msg:s2", "msg:s3", "msg:s1", "msg:s4"}},
		{"window 3", 3, []string{"msg:s1", "msg:s2", "msg:s3", "msg:s4"}},
		{"off", -1, []string{"msg:s1", "msg:s2", "msg:s3", "msg:s1", "msg:s3", "msg:s4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := smLogin + smBind +
				serverMsg("s1") + serverMsg("s2") + serverMsg("s3") + serverMsg("s1") + serverMsg("s3") + serverMsg("s4") +
				smClose(0)
			c := smConn(t, conns(smScript(t, text)), func(cfg *xmpp.Config) { cfg.DuplicateWindow = tc.window })
			e := watch(c)
			require.NoError(t, c.Connect(ctxT(t)))
			e.expect(t, append([]string{"state:authenticated"}, tc.want...)...)
			require.NoError(t, c.Close())
		})
	}
}
