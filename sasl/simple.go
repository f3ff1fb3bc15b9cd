package sasl

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// oneShot is a mechanism that says everything in its initial response:
// PLAIN, X-OAUTH2, ANONYMOUS, EXTERNAL and OAUTHBEARER.
type oneShot struct {
	name    string
	initial []byte
	sent    bool
	// errorChallenge: a challenge is the server's error report, answered
	// with a lone 0x01 so that the server sends its <failure/>
	// (OAUTHBEARER, RFC 7628 section 3.2.3). Otherwise a challenge is a
	// protocol error.
	errorChallenge bool
	// failed: the server reported an error in a challenge, so no success
	// may follow.
	failed bool
}

func (m *oneShot) Name() string { return m.name }

func (m *oneShot) Step(challenge []byte) ([]byte, error) {
	if !m.sent {
		if challenge != nil {
			return nil, fmt.Errorf("%w: a challenge before the initial response", ErrUnexpected)
		}
		m.sent = true
		return m.initial, nil
	}
	if m.errorChallenge {
		m.failed = true
		return []byte{0x01}, nil
	}
	return nil, fmt.Errorf("%w: %s takes no challenge", ErrUnexpected, m.name)
}

// Finish accepts <success/> once the initial response went out. These
// mechanisms define no additional data; any the server sends is ignored.
func (m *oneShot) Finish([]byte) error {
	if !m.sent {
		return fmt.Errorf("%w: success before authenticating", ErrUnexpected)
	}
	if m.failed {
		return fmt.Errorf("%w: success after the server reported an error", ErrUnexpected)
	}
	return nil
}

// plainMessage is authzid NUL authcid NUL secret, the message of PLAIN
// (RFC 4616) and X-OAUTH2.
func plainMessage(name, authzid, user, secret string) (*oneShot, error) {
	if user == "" || secret == "" {
		return nil, fmt.Errorf("%w: %s needs a username and a secret", ErrCredentials, name)
	}
	if strings.ContainsRune(authzid+user+secret, 0) || !utf8.ValidString(authzid+user+secret) {
		return nil, fmt.Errorf("%w: %s carries UTF-8 without NUL only", ErrCredentials, name)
	}
	return &oneShot{name: name, initial: []byte(authzid + "\x00" + user + "\x00" + secret)}, nil
}

func newPlain(cfg *Config) (Mechanism, error) {
	password, err := precis.OpaqueString.String(cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("%w: password: %v", ErrCredentials, err)
	}
	return plainMessage("PLAIN", cfg.Authzid, cfg.Username, password)
}

// newXOAuth2 is the X-OAUTH2 that Openfire and ejabberd offer: PLAIN's
// message with the token in the place of the password.
func newXOAuth2(cfg *Config) (Mechanism, error) {
	return plainMessage("X-OAUTH2", cfg.Authzid, cfg.Username, cfg.Token)
}

// newOAuthBearer is OAUTHBEARER (RFC 7628): a GS2 header without channel
// binding, then the bearer token between 0x01 separators.
func newOAuthBearer(cfg *Config) (Mechanism, error) {
	if !isB64Token(cfg.Token) {
		return nil, fmt.Errorf("%w: OAUTHBEARER needs a bearer token (RFC 6750 b64token characters)", ErrCredentials)
	}
	if err := checkName("authzid", cfg.Authzid); err != nil {
		return nil, err
	}
	gs2 := "n,"
	if cfg.Authzid != "" {
		gs2 += "a=" + saslName(cfg.Authzid)
	}
	msg := gs2 + ",\x01auth=Bearer " + cfg.Token + "\x01\x01"
	return &oneShot{name: "OAUTHBEARER", initial: []byte(msg), errorChallenge: true}, nil
}

// newAnonymous is ANONYMOUS (RFC 4505), with an empty trace.
func newAnonymous(*Config) (Mechanism, error) {
	return &oneShot{name: "ANONYMOUS", initial: []byte{}}, nil
}

// newExternal is EXTERNAL (RFC 4422 appendix A): the identity comes from
// the TLS client certificate; the initial response is the authorization
// identity, empty to let the server derive it.
func newExternal(cfg *Config) (Mechanism, error) {
	return &oneShot{name: "EXTERNAL", initial: []byte(cfg.Authzid)}, nil
}

// isB64Token reports whether s is an RFC 6750 b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}

// checkName refuses a username or authorization identity that SASL
// messages cannot carry: invalid UTF-8 or NUL (RFC 5802, RFC 4616).
func checkName(what, s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %s is not UTF-8 without NUL", ErrCredentials, what)
	}
	return nil
}
