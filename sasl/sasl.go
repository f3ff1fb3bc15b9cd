package sasl

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
)

// Mechanism is one client authentication exchange: a state machine over the
// server's challenges that does no I/O. The connection drives it:
//
//	resp, err := m.Step(nil)          // the initial response, sent in <auth/>
//	for each <challenge/> c:
//		resp, err = m.Step(c)         // sent in <response/>
//	on <success/> with data d:
//		err = m.Finish(d)             // mutual authentication: must be nil
//
// The first Step always returns the initial response; an empty one is sent
// as "=" (RFC 6120 section 6.4.2). A Mechanism is used for one exchange by
// one goroutine.
type Mechanism interface {
	// Name is the mechanism's registered name, such as "SCRAM-SHA-256-PLUS".
	Name() string
	// Step takes the server's challenge (nil for the start) and returns the
	// client's response. An error ends the exchange: the connection sends
	// <abort/>.
	Step(challenge []byte) (response []byte, err error)
	// Finish takes the additional data of <success/> (nil if none) and
	// reports whether the exchange really succeeded. For SCRAM it verifies
	// the server's signature: a server that did not know the password
	// makes Finish fail even though it said success.
	Finish(additional []byte) error
}

// Config holds the credentials and the policy for authentication. The zero
// value allows every mechanism this package implements, except that PLAIN
// and the token mechanisms need TLS. A Config may be shared by concurrent
// logins and must not be changed after first use.
type Config struct {
	// Username is the authentication identity: for XMPP, the localpart of
	// the account's JID, already enforced (package jid does that).
	Username string
	// Password is prepared with the PRECIS OpaqueString profile (RFC 8265,
	// the successor of SASLprep) before use.
	Password string
	// Authzid is the authorization identity, when acting for another
	// entity; normally empty.
	Authzid string
	// Token is an OAuth 2.0 bearer token for OAUTHBEARER and X-OAUTH2.
	Token string
	// External enables EXTERNAL: the TLS client certificate in the
	// connection's tls.Config authenticates the user.
	External bool

	// Mechanisms, when not nil, is the allow list: only these mechanisms
	// are used, still in Preferred order.
	Mechanisms []string
	// AllowPlainWithoutTLS lets PLAIN, X-OAUTH2 and OAUTHBEARER run on a
	// stream that is not encrypted, where they expose the password or token
	// to anyone on the path. Off by default; say so only in writing.
	AllowPlainWithoutTLS bool

	// MinIterations is the lowest SCRAM iteration count accepted from the
	// server; 0 means 4096, RFC 7677's recommendation. MaxIterations is the
	// highest, so that a hostile server cannot make the client spin on
	// PBKDF2; 0 means 1,000,000 (about half a second of CPU).
	MinIterations, MaxIterations int
	// Cache, when not nil, keeps SCRAM salted passwords so that logging in
	// again with the same password, salt and iteration count skips PBKDF2.
	Cache *SaltCache

	// Rand is the source of SCRAM nonces; nil means crypto/rand.
	Rand io.Reader
}

// Stream is what the XMPP stream tells the mechanisms: the server's offer
// and the connection it runs on.
type Stream struct {
	// Mechanisms are the mechanisms the server offered in its
	// <mechanisms/> stream feature.
	Mechanisms []string
	// TLS is the state of the TLS connection, nil when the stream is not
	// encrypted.
	TLS *tls.ConnectionState
	// Bindings are the channel-binding types the server advertised in its
	// <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'/> stream feature
	// (XEP-0440), nil when it sent none.
	Bindings []string
}

// Errors that the mechanisms and Select report. Each is matched with
// errors.Is; the error returned wraps it with detail.
var (
	// ErrNoMechanism: no mechanism both sides support is allowed here.
	ErrNoMechanism = errors.New("sasl: no usable mechanism in common with the server")
	// ErrPlainWithoutTLS: a cleartext mechanism was refused because the
	// stream is not encrypted.
	ErrPlainWithoutTLS = errors.New("sasl: refusing to send a password or token over an unencrypted stream")
	// ErrServerSignature: the server's proof of knowing the password is
	// missing or wrong. The server may be an impostor.
	ErrServerSignature = errors.New("sasl: the server's signature does not verify")
	// ErrMalformed: the server's challenge or success data does not parse.
	ErrMalformed = errors.New("sasl: malformed server message")
	// ErrNonce: the server's nonce does not extend the client's.
	ErrNonce = errors.New("sasl: server nonce does not extend the client nonce")
	// ErrIterations: the SCRAM iteration count is outside the allowed
	// range.
	ErrIterations = errors.New("sasl: SCRAM iteration count out of range")
	// ErrUnexpected: the server sent a challenge or success when the
	// exchange was not ready for it.
	ErrUnexpected = errors.New("sasl: unexpected server message")
	// ErrCredentials: the Config lacks what the mechanism needs, or holds
	// something it cannot send.
	ErrCredentials = errors.New("sasl: unusable credentials")
)

// Condition is a SASL failure condition (RFC 6120 section 6.5).
type Condition string

// The conditions RFC 6120 section 6.5 defines.
const (
	Aborted              Condition = "aborted"
	AccountDisabled      Condition = "account-disabled"
	CredentialsExpired   Condition = "credentials-expired"
	EncryptionRequired   Condition = "encryption-required"
	IncorrectEncoding    Condition = "incorrect-encoding"
	InvalidAuthzid       Condition = "invalid-authzid"
	InvalidMechanism     Condition = "invalid-mechanism"
	MalformedRequest     Condition = "malformed-request"
	MechanismTooWeak     Condition = "mechanism-too-weak"
	NotAuthorized        Condition = "not-authorized"
	TemporaryAuthFailure Condition = "temporary-auth-failure"
)

// Conditions lists every defined condition, in the RFC's order.
func Conditions() []Condition {
	return []Condition{Aborted, AccountDisabled, CredentialsExpired, EncryptionRequired,
		IncorrectEncoding, InvalidAuthzid, InvalidMechanism, MalformedRequest,
		MechanismTooWeak, NotAuthorized, TemporaryAuthFailure}
}

// Failure is the server's <failure/>: authentication was refused. Compare
// with errors.Is against a Failure whose empty fields match anything:
//
//	errors.Is(err, &sasl.Failure{Condition: sasl.NotAuthorized})
type Failure struct {
	Condition Condition // one of the defined conditions, or what the server sent
	Text      string    // the server's human-readable text, if any
	Lang      string    // the text's xml:lang, if any
}

// Error returns the condition and the server's text, if any.
func (f *Failure) Error() string {
	if f.Text != "" {
		return fmt.Sprintf("sasl: authentication failed: %s: %s", f.Condition, f.Text)
	}
	return fmt.Sprintf("sasl: authentication failed: %s", f.Condition)
}

// Is reports whether target is a *Failure whose non-empty fields equal f's.
func (f *Failure) Is(target error) bool {
	t, ok := target.(*Failure)
	if !ok {
		return false
	}
	return (t.Condition == "" || t.Condition == f.Condition) &&
		(t.Text == "" || t.Text == f.Text) &&
		(t.Lang == "" || t.Lang == f.Lang)
}

func (c *Config) minIterations() int {
	if c.MinIterations > 0 {
		return c.MinIterations
	}
	return 4096
}

func (c *Config) maxIterations() int {
	if c.MaxIterations > 0 {
		return c.MaxIterations
	}
	return 1_000_000
}
