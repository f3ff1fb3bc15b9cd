package xmpp

import "errors"

// Errors the connection reports. Protocol errors are typed instead:
// *stanza.StreamError for a stream error (also when one ends a running
// connection), *stanza.Error for an IQ error reply, *sasl.Failure when the
// server refuses the login. All of them work with errors.Is and errors.As.
var (
	// ErrNotConnected is returned by Send and SendIQ when the connection
	// is not up; it wraps the error that ended the last stream, if any.
	ErrNotConnected = errors.New("xmpp: not connected")
	// ErrConnected is returned by Connect on a connection that is up.
	ErrConnected = errors.New("xmpp: already connected")
	// ErrServerClosed means the server closed the stream without an
	// error.
	ErrServerClosed = errors.New("xmpp: the server closed the stream")
	// ErrTLSNotOffered means TLS is required (the default) and the server
	// does not offer STARTTLS: the connection stops rather than send
	// anything in plaintext. A man in the middle who strips STARTTLS
	// from the features gets this error too.
	ErrTLSNotOffered = errors.New("xmpp: TLS is required and the server does not offer STARTTLS")
	// ErrTLSRequiredByServer means TLS is disabled in the Config and the
	// server requires it.
	ErrTLSRequiredByServer = errors.New("xmpp: the server requires TLS, which the configuration disables")
	// ErrNoSASL means the server offered no SASL mechanisms.
	ErrNoSASL = errors.New("xmpp: the server offers no SASL authentication")
	// ErrNoBind means the server offered no resource binding after
	// authentication.
	ErrNoBind = errors.New("xmpp: the server offers no resource binding")
	// ErrWrongAccount means the server bound a JID that is not the
	// account that logged in (or, with Config.Authzid, the identity asked
	// for): the connection would trust that address as the server acting
	// for the account, so the login ends instead.
	ErrWrongAccount = errors.New("xmpp: the server bound another account")
	// ErrUnexpected means the server sent something negotiation does not
	// allow at that point.
	ErrUnexpected = errors.New("xmpp: unexpected element from the server")
)

// Errors of stream management and reconnection.
var (
	// ErrQueueFull is returned by Send while the connection is down when
	// Config.MaxQueued stanzas are queued already.
	ErrQueueFull = errors.New("xmpp: the queue of stanzas waiting for the connection is full")
	// ErrClosed is what OnUnacked reports for stanzas still unsent or
	// unacknowledged when Close ended the session.
	ErrClosed = errors.New("xmpp: the connection was closed")
	// ErrNoReply ends a stream whose server answered nothing within
	// Config.KeepAliveTimeout of a keep-alive probe.
	ErrNoReply = errors.New("xmpp: the server stopped answering")
	// ErrResumeFailed is the StateClosed error of a session that could
	// not be resumed: it wraps the server's refusal (item-not-found when
	// the session had timed out) or why resumption was not possible.
	ErrResumeFailed = errors.New("xmpp: the session could not be resumed")
	// errSMViolation marks the server breaking stream management's
	// rules: the session is not resumed after it.
	errSMViolation = errors.New("xmpp: stream management")
	// errStreamGone says a write found its stream ended first.
	errStreamGone = errors.New("xmpp: the stream ended")
)
