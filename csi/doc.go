// Package csi implements Client State Indication (XEP-0352): a client
// tells its server whether its user is looking (active) or not
// (inactive), so that the server can hold back what is not urgent
// (presence updates, chat states) while a phone's screen is off and save
// its battery and data. It stands for Smack's
// ClientStateIndicationManager (its static active(connection) and
// inactive(connection) are For(c).SetActive(ctx) and SetInactive(ctx)).
//
//	m := csi.For(c)
//	// the app goes to the background:
//	if err := m.SetInactive(ctx); errors.Is(err, csi.ErrNotOffered) { ... }
//	// and comes back:
//	err = m.SetActive(ctx)
//
// # Streams and sessions
//
// The server offers CSI as a stream feature after authentication
// (<csi xmlns='urn:xmpp:csi:0'/>, read from xmpp.Conn.Features); the
// Manager sends nothing to a server that does not offer it. The state
// belongs to the stream: every stream starts active, a resumed one too
// (XEP-0352 section 4). The Manager keeps the state the user set across
// streams and sessions and, on each stream that comes up (a new session
// or a resumed one), sends <inactive/> again when the user is inactive;
// an active client sends nothing, since the server assumes it. A state
// set while the connection is down, or before Connect, goes out when a
// stream comes up. A state equal to what the stream was last told is
// not sent again. On a server with SASL2 and Bind2 (XEP-0388, XEP-0386)
// that takes the state inline, a new session's inactive state goes
// inside the Bind2 request (xmpp.Conn.InlineBind): the session starts
// inactive and nothing follows the login.
//
// <active/> and <inactive/> are not stanzas: they go out with
// xmpp.Conn.SendElement, which stream management neither counts nor
// keeps.
//
// # Concurrency
//
// A Manager is safe for concurrent use. It registers one state listener,
// which sends the state on a stream that comes up, on the connection's
// dispatcher. The writes of the state go out one at a time, each
// telling the stream the state last set; a SetState waits for the one
// under way as long as its ctx allows. When a SetState is under way as a
// stream comes up, the listener does not wait for it: one goroutine,
// which Close ends, tells the new stream once it is done, so the
// listeners behind are not held up. SetState runs on the caller's
// goroutine and may be called from a listener.
//
// # Coming from Smack
//
//	ClientStateIndicationManager.active(connection)    csi.For(c).SetActive(ctx)
//	ClientStateIndicationManager.inactive(connection)  csi.For(c).SetInactive(ctx)
//	ClientStateIndicationManager.isSupported(connection)  csi.For(c).Offered()
package csi
