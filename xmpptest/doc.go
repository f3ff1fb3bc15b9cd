// Package xmpptest tests XMPP code without a server, as net/http/httptest
// does for HTTP: an in-memory connection pair (Pipe), recorded sessions in
// a readable transcript format (Transcript, which also takes the SENT and
// RECV lines of Smack's debugger), a scripted peer that replays one side
// of a transcript and checks what the other side sends (Script, Replay),
// and a client connection to such a peer (NewConn).
//
// # Testing a manager or a listener
//
// NewConn is the one way to put a client in front of a script. It
// returns an *xmpp.Conn that is set up but not connected, whose server
// logs it in and then plays the transcript; the test attaches what it
// tests and connects, in the order a program does:
//
//	func TestAnswersPing(t *testing.T) {
//		tr, err := xmpptest.ParseTranscript(t.Name(), strings.NewReader(`
//	S: <iq type='get' id='p1' from='localhost'><ping xmlns='urn:xmpp:ping'/></iq>
//	C: <iq type='result' id='p1' to='localhost'/>
//	`))
//		require.NoError(t, err)
//		c := xmpptest.NewConn(t, jid.MustParse("alice@localhost/r"), tr)
//		ping.For(c)
//		require.NoError(t, c.Connect(t.Context()))
//	}
//
// The transcript holds what comes after the login, so it reads as the
// exchange under test. What the server offers after authentication
// (roster versioning, stream management) is written where a reader looks
// for it, as the transcript's first step:
//
//	S: <stream:features><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>
//	C: <iq type='get' id='{{r}}'><query xmlns='jabber:iq:roster' ver=''/></iq>
//
// and what the client is (its Config) is changed by funcs given to
// NewConn, the last of its arguments:
//
//	c := xmpptest.NewConn(t, alice, tr, func(cfg *xmpp.Config) { cfg.NoInitialPresence = false })
//
// Why this shape: a test that registers on the Conn and then calls
// Connect is the program it tests, with no hook that runs "before
// login"; the server's part stays in the transcript and the client's in
// its Config, each in its own terms. When the test ends, NewConn lets the
// script play to its end, closes the Conn, and fails the test if the
// script did not finish, so a client that stops short of what the
// transcript says is caught.
//
// # Reconnections
//
// A test of what a manager does across a lost stream, a resumption and a
// new session gives NewReconnectingConn one script per connection, each
// with its own login, since what is negotiated is what differs:
//
//	c := xmpptest.NewReconnectingConn(t, alice, []string{
//		login + bind + enable,              // then the stream is lost
//		login + resumed + "S: <message .../>\n",
//		login + resumeFailed + bind + enable,
//	})
//
// It reconnects after a fixed second, so the test runs at once inside a
// testing/synctest bubble.
//
// # Transcripts
//
// A transcript is lines of what the client sent ("C:") and what the server
// sent ("S:"); lines without a marker continue the line above. Values
// written {{name}} are placeholders for what one side generates (ids,
// nonces): the first occurrence in a received element captures the value,
// later ones must match it, and the player's own lines send it back.
//
// The scripted peer compares elements, not bytes: attribute order,
// namespace prefixes and white space between elements do not matter; a
// mismatch fails the test with both elements printed one tag per line.
// Script plays a whole transcript, login included, over the connection it
// returns: use it to test negotiation itself.
//
//	tr := xmpptest.MustLoadTranscript(t, "testdata/openfire-login.xmpp")
//	conn := xmpptest.Script(t, tr) // a net.Conn to a scripted server
//	// ... run the client under test over conn ...
//
// The testdata folder holds the seed's Openfire session
// (testdata/openfire-login.xmpp), the first fixture.
//
// # Coming from Smack
//
// NewConn takes the place of Smack's DummyConnection (a test fixture of
// smack-core): instead of a queue of sent stanzas the test polls and
// stanzas it pushes in by hand, the script states both sides in order
// and checks every element the client sends.
//
// Pipe, Script and Replay are safe to use from the test's goroutine while
// the scripted peer runs on its own; each Script goroutine ends when the
// test does.
package xmpptest
