// Package xmpptest tests XMPP code without a server, as net/http/httptest
// does for HTTP: an in-memory connection pair (Pipe), recorded sessions in
// a readable transcript format (Transcript, which also takes the SENT and
// RECV lines of Smack's debugger), and a scripted peer that replays one side
// of a transcript and checks what the other side sends (Script, Replay).
//
//	tr := xmpptest.MustLoadTranscript(t, "testdata/login.xmpp")
//	conn := xmpptest.Script(t, tr) // a net.Conn to a scripted server
//	// ... run the client under test over conn ...
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
//
// The testdata folder holds the seed's Openfire session
// (testdata/openfire-login.xmpp), the first fixture.
//
// Pipe, Script and Replay are safe to use from the test's goroutine while
// the scripted peer runs on its own; each Script goroutine ends when the
// test does.
package xmpptest
