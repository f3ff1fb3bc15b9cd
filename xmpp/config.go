package xmpp

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"math"
	"net"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
)

// Security says how much the connection insists on TLS (Smack's
// SecurityMode).
type Security uint8

const (
	// TLSRequired, the default, fails the connection when TLS cannot be
	// negotiated: a server that offers no STARTTLS is refused rather than
	// used in plaintext.
	TLSRequired Security = iota
	// TLSIfPossible uses STARTTLS when the server offers it and goes on in
	// plaintext when it does not. Passwords still do not travel in the
	// clear unless Config.AllowPlainWithoutTLS says so.
	TLSIfPossible
	// TLSDisabled never starts TLS; a server that requires it ends the
	// connection with an error.
	TLSDisabled
)

// String returns the setting in words, as used in logs.
func (s Security) String() string {
	switch s {
	case TLSRequired:
		return "TLS required"
	case TLSIfPossible:
		return "TLS if possible"
	case TLSDisabled:
		return "TLS disabled"
	}
	return "Security(?)"
}

// Dialer opens the network connection. *net.Dialer is one; package
// github.com/gosmack/gosmack/proxy makes one that goes through a SOCKS5
// or HTTP CONNECT proxy (Smack's ProxyInfo).
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Config configures a connection (Smack's XMPPTCPConnectionConfiguration).
// Its zero value is not enough on its own (a connection needs at least
// JID), but every other field has a working default. A Config is copied by
// New: changing it afterwards does not change the connection.
type Config struct {
	// JID is the account: user@domain, or the domain alone to log in
	// anonymously (SASL ANONYMOUS). A resourcepart asks for that
	// resource, unless Resource is set. The server must bind a JID of
	// this account (of any account on the domain when JID is the domain
	// alone); Connect fails with ErrWrongAccount otherwise.
	JID jid.JID
	// Password is the account's password.
	Password string
	// Token is an OAuth 2.0 access token for OAUTHBEARER or X-OAUTH2,
	// used when the server offers one of them and no stronger mechanism
	// can run.
	Token string
	// Authzid is the identity to act as, when it is not the account
	// itself (rarely supported): a JID, whose bare JID the server must
	// then bind instead of the account's.
	Authzid string

	// Resource is the resource to bind; empty means JID's resourcepart,
	// or let the server choose when that is empty too. When the server
	// says the resource is in use (conflict), the connection lets the
	// server choose one instead.
	Resource string

	// Addr is where to connect, skipping the DNS SRV lookup: host:port
	// for TCP (Smack's setHost and setPort), a wss:// URL for a
	// WebSocket (RFC 7395; Smack's XmppWebSocketTransportModule and its
	// setUri), such as "wss://example.com/xmpp-websocket", or an
	// https:// URL for BOSH (XEP-0124, XEP-0206; Smack's
	// XMPPBOSHConnection and BOSHConfiguration), such as
	// "https://example.com/http-bind". Each way the certificate is
	// verified against the JID's domain (TLS.ServerName may name
	// another). A ws:// or http:// URL, without TLS, needs Security
	// TLSIfPossible or TLSDisabled (ErrPlainWebSocket or ErrPlainBOSH
	// otherwise), and PLAIN over it AllowPlainWithoutTLS. See
	// Conn.Transport.
	Addr string
	// DirectTLS says Addr speaks TLS from the first byte (XEP-0368)
	// rather than STARTTLS; it means nothing for a WebSocket or BOSH. Without
	// Addr, the SRV records say which targets do.
	DirectTLS bool
	// Security says whether TLS is required (the default), used when
	// offered, or disabled.
	Security Security
	// AllowPlainWithoutTLS lets PLAIN and the token mechanisms send
	// their secret over a stream that is not encrypted. Never set it for
	// a server outside the machine.
	AllowPlainWithoutTLS bool
	// NoInitialPresence stops the connection from sending available
	// presence after login (Smack sends it by default, and so do we).
	// Either way, a new session after a lost one sends again the last
	// available presence the user broadcast, if any, and nothing if the
	// user's last broadcast was unavailable. (It sits beside the flags
	// above: a Conn's size counts, TestConnSize.)
	NoInitialPresence bool
	// RestartAhead writes, from a Conn's second login over TLS on TCP,
	// the stream restart after SASL with the bind request and <enable/>
	// (or <resume/>) together with the last SASL message, ahead of the
	// server's <success/>: one round trip instead of three, for a server
	// that reads on from where the SASL exchange ended. The first time,
	// a check (a ping written alone) confirms that the stream still
	// works; a server that fails it never gets the restart ahead from
	// this Conn again, and that login starts again on a new connection.
	// Off by default: Prosody 0.12 and ejabberd 23.01 both fail the
	// check (see "Connecting" in the package documentation), so it
	// would cost every Conn to them a second connection once. (A flag
	// beside the flags above, for TestConnSize.)
	RestartAhead bool
	// Discover, when Addr is empty, looks up the domain's connection
	// methods (XEP-0156: https://DOMAIN/.well-known/host-meta, then
	// host-meta.json, verified for the domain as the stream is) before
	// each connection (at most 5 seconds), and tries them in this order
	// until one connects: the wss:// WebSocket endpoints it names, then
	// its https:// BOSH endpoints, then TCP as without it (DNS SRV, else
	// the domain on port 5222), and last its ws:// and http:// ones,
	// only where Security allows plaintext (TCP can still encrypt with
	// STARTTLS; they cannot). A method that fails to
	// connect (refused, unreachable, its TLS, WebSocket or BOSH
	// handshake failing, no stream header in answer: a 404 on a wrong
	// path) passes the turn to the next; once one answers,
	// what happens on its stream is final, as for any target. A lookup
	// that fails leaves TCP alone. For programs behind an HTTP-only
	// proxy or firewall (Smack's XEP-0156 lookup of its WebSocket and
	// BOSH modules). (A flag beside the flags above, for TestConnSize.)
	Discover bool
	// SASL2 configures SASL2 (XEP-0388), Bind2 (XEP-0386) and FAST
	// tokens (XEP-0484), used whenever the server offers SASL2; nil means
	// the defaults (see SASL2), and SASL2.Disabled keeps to RFC 6120's
	// SASL and resource binding.
	SASL2 *SASL2
	// TLS is the TLS configuration; nil means the system roots.
	// ServerName defaults to the JID's domain and MinVersion to TLS 1.2.
	// A client certificate here makes SASL EXTERNAL possible.
	TLS *tls.Config
	// Dialer opens connections; nil means a net.Dialer.
	Dialer Dialer
	// Resolver looks up the SRV records and, when Dialer is nil, the
	// addresses of their targets; nil means net.DefaultResolver.
	Resolver *net.Resolver

	// Lang is the stream's xml:lang; empty means "en".
	Lang string

	// Mechanisms, when not nil, is the allow list of SASL mechanisms;
	// nil allows every mechanism package sasl implements, strongest
	// first.
	Mechanisms []string
	// MinIterations and MaxIterations bound the SCRAM iteration count
	// the server may ask for; zero means 4096 (RFC 7677's
	// recommendation: a server asking for fewer is refused, since it
	// makes the password cheaper to guess from a stolen hash) and
	// 1,000,000 (so that a hostile server cannot make the client spin on
	// PBKDF2: about half a second of CPU).
	MinIterations, MaxIterations int
	// SaltCache keeps SCRAM salted passwords, so that logging in again
	// with the same password, salt and iteration count skips PBKDF2;
	// connections of one account may share one. Nil means a cache of the
	// connection's own, made by New: it holds this account's salted
	// password (about 130 bytes) so that each reconnection, which
	// authenticates again, does not pay PBKDF2 again (about a
	// millisecond of CPU at 4096 iterations of SHA-256, half a second at
	// MaxIterations).
	SaltCache *sasl.SaltCache

	// MaxStanzaSize is the largest element the server may send, in
	// bytes; zero means 1 MiB. A larger one ends the stream with
	// policy-violation.
	MaxStanzaSize int
	// CloseTimeout bounds how long Close waits for the server to close
	// its side of the stream; zero means 5 seconds.
	CloseTimeout time.Duration

	// Logger, when not nil, receives every element sent and received at
	// debug level, and connection events at info level (Smack's
	// debugger). Its handler may run while the connection holds its
	// write lock (an element is logged before it goes out): it must not
	// call the Conn.
	Logger *slog.Logger
	// Recorder, when not nil, receives the streams as an xmpptest
	// transcript: one "C:" or "S:" line per element, replayable by
	// xmpptest.Script. It holds what was sent, credentials included
	// (PLAIN carries the password): keep recordings private. Its Write
	// runs one line at a time, at times under the connection's write
	// lock: it must not call the Conn.
	Recorder io.Writer

	// Rand is the source of stanza ids and SCRAM nonces; nil means
	// crypto/rand. Only tests that replay a recorded session need to set
	// it.
	Rand io.Reader

	// StreamManagement configures XEP-0198 (acknowledgements and stream
	// resumption), which is on whenever the server offers it.
	StreamManagement StreamManagement
	// Reconnect configures automatic reconnection (Smack's
	// ReconnectionManager), which is on by default.
	Reconnect Reconnect
	// KeepAlive is how long the connection waits with nothing received
	// before it asks the server for a sign of life (an ack request with
	// stream management, a ping without); zero means 60 seconds, a
	// negative value turns the probe off. If nothing at all arrives
	// within KeepAliveTimeout after the probe, the stream counts as dead:
	// it is closed and, as after any network failure, recovered. A silent
	// peer is therefore noticed within KeepAlive + KeepAliveTimeout.
	KeepAlive time.Duration
	// KeepAliveTimeout bounds the wait for the answer to a keep-alive
	// probe, and with stream management for the answer to any ack
	// request; zero means 20 seconds. A session whose resumed streams
	// have carried no answer for that long in all is not resumed again
	// but replaced by a new one. With KeepAlive negative there is no
	// deadline at all: a stream ends only when the network says so.
	KeepAliveTimeout time.Duration
	// MaxQueued bounds the stanzas Send queues while the connection is
	// down and coming back (being resumed or reconnected), to be sent in
	// order once it is up; zero means 1000. Past it, Send returns
	// ErrQueueFull. A negative value turns the queue off: Send then
	// returns ErrNotConnected while the connection is down.
	MaxQueued int
	// DuplicateWindow is how many of the last messages received are
	// remembered so that one received again — same sender, id and
	// bodies — is dropped before the collectors and listeners see it;
	// zero means 500, a negative value turns the check off. Repeats
	// happen after network failures: a sender whose session could not be
	// resumed sends its unacknowledged messages again, and a server may
	// deliver twice what it routed just before a stream broke. Messages
	// without an id or a body, and error messages, are never dropped. In
	// group chats the sender is the occupant (room@service/nick);
	// elsewhere, the sender's bare JID. Unless the check is off, a
	// message is also dropped when it has the same sender and the same
	// stanza-id by the account's bare JID (XEP-0359) as one received or
	// recorded (Conn.RecordReceived) among the last 8192.
	DuplicateWindow int
	// MaxBacklog bounds the bytes of received stanzas, as the server
	// sent them, that wait for the listeners; zero means 16 MiB. With
	// at most 4096 stanzas, it bounds the memory a slow listener lets
	// the server fill: at either bound the connection stops reading,
	// and the server's data waits in the socket, until the listeners
	// catch up. A stanza larger than the bound is still taken when
	// nothing else waits.
	MaxBacklog int
}

// StreamManagement configures XEP-0198. The zero value enables it with
// resumption when the server offers it, with the defaults below.
type StreamManagement struct {
	// Disabled keeps stream management off even when offered.
	Disabled bool
	// NoResume enables acknowledgements without asking for resumption:
	// a lost stream then always ends the session.
	NoResume bool
	// NoResend reports the messages and directed presences that a lost
	// session sent without acknowledgement to OnUnacked, instead of
	// sending them again, first of all, on the session that replaces it.
	// Sending them again never loses one, but may deliver one twice
	// to a receiver that is not gosmack (see Config.DuplicateWindow): the
	// server may have routed it before the stream broke.
	NoResend bool
	// RequestEvery is how many stanzas may be sent before the connection
	// asks the server to acknowledge them; zero means 5. One request is
	// out at a time: one that comes due while another waits for its
	// answer goes when that answer arrives, so a server slower than the
	// sender is asked once per answer it gives.
	RequestEvery int
	// RequestAfter is how long a sent stanza may wait before its
	// acknowledgement is asked for, however few were sent; zero means one
	// second.
	RequestAfter time.Duration
	// MaxUnacked bounds the stanzas kept until the server acknowledges
	// them; zero means 8192. When that many are unacknowledged, Send
	// waits (within its context) for acknowledgements, until at least
	// half of them are acknowledged. A server slower than the sender
	// paces it through this window, and each wait costs the sender a
	// sleep and a wake-up: the default lets a flood run thousands of
	// stanzas ahead, as a socket's buffers would without stream
	// management (about 2.5 MB of small chat messages at most), while
	// a server that stops acknowledging still stops the sender.
	MaxUnacked int
	// ResumeTimeout, when not zero, is how long the connection asks the
	// server to keep the session for resumption after the stream is lost
	// (the server may choose less).
	ResumeTimeout time.Duration
}

const (
	defaultLang             = "en"
	defaultCloseTimeout     = 5 * time.Second
	defaultPort             = "5222"
	defaultKeepAlive        = 60 * time.Second
	defaultKeepAliveTimeout = 20 * time.Second
	defaultMaxQueued        = 1000
	defaultRequestEvery     = 5
	defaultRequestAfter     = time.Second
	defaultMaxUnacked       = 8192
	defaultDuplicateWindow  = 500
	defaultMaxBacklog       = 16 << 20
	maxBacklog              = math.MaxInt32 // the dispatcher counts in 32 bits
)

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func (c *Config) lang() string {
	if c.Lang == "" {
		return defaultLang
	}
	return c.Lang
}

func (c *Config) maxBacklog() int {
	if c.MaxBacklog <= 0 {
		return defaultMaxBacklog
	}
	return min(c.MaxBacklog, maxBacklog)
}

func (c *Config) closeTimeout() time.Duration {
	if c.CloseTimeout <= 0 {
		return defaultCloseTimeout
	}
	return c.CloseTimeout
}

func (c *Config) resource() string {
	if c.Resource != "" {
		return c.Resource
	}
	return c.JID.Resourcepart()
}

// tlsConfig returns the TLS configuration for the domain: the user's copy
// with ServerName and MinVersion filled in.
func (c *Config) tlsConfig(directTLS bool) *tls.Config {
	var tc *tls.Config
	if c.TLS != nil {
		tc = c.TLS.Clone()
	} else {
		tc = new(tls.Config)
	}
	if tc.ServerName == "" {
		tc.ServerName = c.JID.Domainpart()
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	if directTLS && tc.NextProtos == nil {
		tc.NextProtos = []string{"xmpp-client"} // XEP-0368
	}
	return tc
}

// logDebug and logError report what the connection does to the Logger, if
// any.
func (c *Config) logDebug(msg string, args ...any) {
	if c.Logger != nil {
		c.Logger.Debug("xmpp: "+msg, args...)
	}
}

func (c *Config) logError(msg string, err error) {
	if c.Logger != nil {
		c.Logger.Error("xmpp: "+msg, "error", err)
	}
}
