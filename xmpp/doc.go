// Package xmpp is the client connection (RFC 6120, RFC 6121): it finds the
// server, secures the stream, logs in, binds a resource, and then moves
// stanzas between the server and the listeners, handlers and requests
// registered on it. It stands for Smack's XMPPTCPConnection and
// XMPPTCPConnectionConfiguration (and, over a WebSocket, Smack's
// XmppWebSocketTransportModule and its configuration; over BOSH,
// XMPPBOSHConnection and BOSHConfiguration), with ConnectionListener, StanzaListener,
// StanzaInterceptor, StanzaCollector, IQRequestHandler, AccountManager,
// and the per-connection registry behind every Manager.getInstanceFor
// (Attach).
//
//	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: pw})
//	c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
//		c.Send(ctx, m.Reply("hello"))
//	})
//	if err := c.Connect(ctx); err != nil {
//		// *sasl.Failure, *stanza.StreamError, ErrTLSNotOffered, a network error...
//	}
//	defer c.Close()
//	reply, err := c.SendIQ(ctx, iq) // a *stanza.Error when the peer refused
//
// # Connecting
//
// Connect resolves the domain's SRV records (_xmpps-client for direct TLS,
// XEP-0368, and _xmpp-client for STARTTLS; or Config.Addr), tries the
// targets in order, and negotiates on the caller's goroutine: TLS
// (required by default: a server that does not offer it is refused, never
// used in plaintext), SASL with the strongest mechanism both sides support
// (package sasl; SCRAM's server signature is verified), the stream
// restart, resource binding (a resource in use is replaced by one the
// server picks; a JID of another account than the one that logged in is
// refused with ErrWrongAccount) and the legacy session where a server
// still requires it.
// The certificate is verified against the XMPP domain, whichever host the
// records name. A see-other-host stream error is followed once.
// CreateAccount registers an account in band (XEP-0077) before any login.
//
// A login waits for the server only where it must. With TLS required,
// the STARTTLS request goes with the first stream header. The SASL
// <auth/> goes with the stream header when the server's offer is known
// (from this Conn's last login, or the features before TLS); when the
// features show another offer, that exchange is withdrawn and a new one
// starts from them. Stream management's <enable/> goes right after the
// bind request (when a resource the configuration names is in use, the
// server refuses both, and both go again with the request that lets the
// server choose), so both answers take one round trip; the initial
// presence waits for <enabled/>, so that the server never routes
// stanzas to an available session the client could not resume. Over
// STARTTLS with SCRAM and TLS 1.3 that makes 7 round trips for a Conn's
// first login and 6 for the next ones (direct TLS: 6 and 5), against 9
// and 7 before (BENCHMARKS.md).
//
// What only some servers accept is done only where the user asks for it
// (Config.RestartAhead) and the server has shown it does. When the last
// login of the Conn showed bind (and no legacy session) after SASL, the
// next one writes the restart's stream
// header and the bind request, without waiting, after SCRAM's final
// message (before checking the server's signature, which is still
// checked before anything after it is read: nothing written there is
// secret), and then checks that the stream works with a ping; a server
// that passes gets <enable/> or <resume/> written ahead too at the later
// logins (4 round trips over STARTTLS, 3 over direct TLS). A server that
// does not answer as it should never gets it again from this Conn, and
// that login starts again on a new connection: Prosody 0.12 and
// ejabberd 23.01 are such servers, which is why it is off by default.
// Nothing depends on the server's name.
//
// # SASL2, Bind2 and FAST
//
// When the server offers SASL2 (XEP-0388), the login sends one
// <authenticate/>, with the same mechanisms and channel binding as RFC
// 6120's SASL, that also binds the resource with Bind2 (XEP-0386;
// unless Config.Resource asks for one), enables stream management and
// what the managers ask for inline (Conn.InlineBind, such as carbons)
// where the server offers them, and resumes a suspended session inline
// where the server offers that. A <failure/> is the same *sasl.Failure;
// tasks the server asks for (<continue/>) are carried out by
// Config.SASL2.Tasks or the login ends with ErrTaskRequired. The
// user-agent id (Config.SASL2.UserAgent) identifies the installation:
// the server derives the resource from it and ties FAST tokens to it,
// so a program should keep one (Conn.UserAgent gives the one generated
// when none is set) and set it at every run. With Config.SASL2.Tokens
// (MemoryTokenStore, FileTokenStore) the first login asks for a FAST
// token (XEP-0484) and the next ones authenticate with it
// (HT-SHA-256-EXPR, -UNIQ, -ENDP or -NONE, as offered and as the TLS
// connection can bind), keeping the tokens the server rotates to; a
// refused token is dropped and the login starts again, on a new
// connection, with the password. The next login of a Conn writes its
// <authenticate/> with the stream header, and <enable/> or <resume/>
// right after the client's last SASL message where the server offered
// stream management after success at the last login: a reconnection
// with a token over direct TLS takes 2 round trips, TLS included.
// Config.SASL2.Disabled keeps to the RFC 6120 path.
//
// # WebSocket
//
// A ws:// or wss:// URL in Config.Addr carries the streams over a
// WebSocket (RFC 7395) instead of TCP:
//
//	c := xmpp.New(xmpp.Config{JID: j, Password: pw, Addr: "wss://example.com/xmpp-websocket"})
//	err := c.Connect(ctx) // c.Transport() is TransportWebSocket
//
// The certificate is verified against the JID's domain, as on TCP,
// whatever host the URL names (Config.TLS.ServerName may name another);
// ws://, without TLS, is refused (ErrPlainWebSocket) unless Security
// allows plaintext. The WebSocket client is written here on the standard
// library, like the rest of the package, so that a program that imports
// xmpp links no net/http. Everything above the transport is the same:
// the framing turns the stream the connection writes into RFC 7395's
// messages (a stream header into <open/>, the end into <close/>, one
// element per message, stanzas given xmlns='jabber:client') and the
// messages back, so SASL (no -PLUS mechanisms: servers offer none over a
// WebSocket), bind, stream management and its resumption, reconnection,
// keep-alives and the Recorder, whose transcripts read as over TCP, work
// unchanged. A message that holds anything but one whole element ends
// the stream with not-well-formed; pings are answered; <close
// see-other-uri/> is followed once, like see-other-host, and only to
// another WebSocket URL. LookupWebSocket finds a domain's endpoint in
// its host-meta documents (XEP-0156), fetched over HTTPS with the
// certificate verified for the domain.
//
// # BOSH
//
// An https:// URL in Config.Addr carries the streams over BOSH (XEP-0124
// and XEP-0206), for networks that let only HTTP through:
//
//	c := xmpp.New(xmpp.Config{JID: j, Password: pw, Addr: "https://example.com/http-bind"})
//	err := c.Connect(ctx) // c.Transport() is TransportBOSH
//
// As over a WebSocket, every HTTP connection's certificate is verified
// against the JID's domain, http:// is refused (ErrPlainBOSH) unless
// Security allows plaintext, the HTTP/1.1 client is the package's own
// (no net/http), and everything above the transport is unchanged: a
// stream header becomes the session creation request (hold='1',
// wait='60', ver='1.6', XEP-0206's xmpp:version) or, after SASL, the
// restart (xmpp:restart='true'); </stream:stream> the terminate; the
// stanzas written while the requests the manager allows are in flight
// go together in the next body. One request is always held at the
// manager, so that it can push; payload goes on a second one where the
// manager allows two (requests); the keep-alive connections, at most
// that many, are reused. Requests go out in rid order, a random first
// rid then one more each, written 25 ms apart at least and the empty
// one 10 ms after an answer, because ejabberd drops a request that
// reaches it before the one of the rid before. The answers reach the
// reader in rid order whatever order they come in. A TCP connection lost
// without an answer is replaced and the same rid and body sent again
// (XEP-0124 section 14): the session survives the cut. A terminate with
// a condition, or an HTTP error, ends the stream with a *BOSHError;
// the connection then logs in again, or resumes stream management where
// the server allows it on a new session (ejabberd does). Prosody 0.12
// never answers <resume/> over BOSH: after two resumptions in a row
// that went unanswered for a whole attempt (Reconnect.Timeout), the
// next attempt starts a new session and sends again what was not
// acknowledged; StreamManagement.NoResume spares those two waits. A body is at most twice MaxStanzaSize. An idle session holds
// one HTTP connection and one goroutine waiting on the held request,
// beside the reader. LookupBOSH finds a domain's endpoint as
// LookupWebSocket does.
//
// With Config.Discover (and no Addr), each connection looks the
// domain's endpoints up (XEP-0156) and tries them in a fixed order, each
// as the one before fails to connect: the wss:// WebSocket endpoints,
// the https:// BOSH endpoints, TCP as without it (DNS SRV, else port
// 5222), and last, where Security allows plaintext, the ws:// and
// http:// ones. Once one connects, what happens on its
// stream (a failed login, say) is final, as for any target.
//
// # Goroutines and order
//
// A connected Conn runs one reader goroutine. It decodes each element and
// hands IQ results and errors straight to the SendIQ waiting for them;
// everything else goes to the collectors (Collect) and then to a queue
// that a dispatcher goroutine drains, one item at a time: message and
// presence listeners in registration order, IQ handlers, state,
// acknowledgement and reconnection events, and the funcs queued with
// Dispatch.
// The dispatcher exists only while the queue has items, so an idle
// connection costs one goroutine and no buffers. Because replies never wait
// behind the listeners, a listener or handler may call SendIQ and wait. A
// listener that blocks holds up the ones after it, and after 4096 queued
// stanzas, or Config.MaxBacklog bytes of them, the reader stops reading
// until it catches up: the server's data waits in the socket instead of
// in memory.
//
// Writes take one write lock, which a context can abandon while waiting;
// no user code runs under it but Config.Logger and Config.Recorder, which
// see each element before it goes out.
//
// # Managers
//
// Features beyond the core (roster, ping, receipts, disco, caps, chat,
// muc) are managers in packages of their own, built on the Conn's public
// API only, so that a manager a user writes can do all they do. Attach
// keeps one manager of each type per Conn (each package's For calls it;
// Attached finds one, Detach removes it), with no process-wide table.
// Handle*, Intercept and Announce register what a manager answers, adds
// and contributes to service discovery. Dispatch runs a manager's
// listeners on the dispatcher, in order with the stanzas, for what it
// learns off the dispatcher; SendIQFunc hands a reply over on the reader,
// before the next stanza, so that its effect lands exactly where the
// reply stood; Collect lets a manager wait for stanzas from inside a
// listener.
//
// # Who owns a stanza
//
// Send (and SendIQ) take the stanza they are given over, as an
// http.RoundTripper takes a Request: they write its id and the
// interceptors' additions into it, and, with stream management or while
// the connection is down, keep that very stanza until the server
// acknowledges it, to send it again after a resumption, and hand it to
// OnAcked or OnUnacked. After Send the caller may read it but must not
// change it or send it again: to send the same content twice, send a
// Clone. A received stanza is shared by every listener, IQ handler and
// Collector it goes to: each may read it and keep it, none may change it
// (Clone it first). An IQ reply is the SendIQ caller's alone.
//
// # Replies
//
// SendIQ gives each request a fresh, unguessable id and takes as its reply
// only a result or error with that id from the entity it was sent to. For
// requests without a to, or to the account's bare JID or domain, the
// server answers on the account's behalf, so a reply with no from (as
// Prosody sends), from the domain, from the bare JID (ejabberd) or from
// the account's own full JID is taken too. A stanza with the right id from
// anyone else is not a reply and is dropped: another entity cannot answer
// for the one asked. A reply that comes after SendIQ gave up is dropped.
//
// Because a reply goes straight to its SendIQ while the stanzas around it
// wait their turn for the listeners, code that must handle a reply where
// it stood among them (a roster fetch and the roster pushes around it)
// compares their stanza.Common.Seq: the reader numbers every stanza of a
// session in the order it read them.
//
// An IQ get or set that no handler takes is answered service-unavailable;
// a malformed one bad-request.
//
// # Ending
//
// A stream ends with Close (unavailable presence, the stream's end, a
// bounded wait for the server's, then the socket), with a stream error
// from the server (a *stanza.StreamError, see-other-host included), with
// input the client refuses (it sends the stream error the input calls for:
// not-well-formed, restricted-xml, policy-violation beyond
// Config.MaxStanzaSize), with a server that stops answering (the
// keep-alive, Config.KeepAlive), or with the network.
//
// The session (from login to StateClosed) may outlive the stream: with
// stream management, a stream lost by accident suspends it
// (StateDisconnected), waiting SendIQ calls go on waiting, and the next
// stream resumes it (StateResumed). Otherwise the session ends with the
// stream: every waiting SendIQ fails with an error matching
// ErrNotConnected that wraps the cause, and the state listeners hear
// StateClosed. Automatic reconnection (Config.Reconnect) then connects
// again with the same Conn, unless the cause is one not to retry; Done is
// closed once nothing will come back by itself, and Err tells the cause.
// Registrations stay on the Conn: Connect may be called again.
//
// # Debugging and recording
//
// Config.Logger receives every element sent and received at debug level
// (Smack's debugger). Config.Recorder receives the session as a transcript
// that package xmpptest replays; with Config.Rand set to the same
// deterministic source, a recorded login replays byte for byte, SCRAM
// included.
package xmpp
