package sasl

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
)

// The hashed-token mechanisms of FAST (XEP-0484, after
// draft-schmaus-kitten-sasl-ht): the client proves it holds a token the
// server issued, with HMAC-SHA-256 over the channel-binding data of the
// type the name's suffix says.
const (
	// HTSHA256Exporter binds to tls-exporter (RFC 9266).
	HTSHA256Exporter = "HT-SHA-256-EXPR"
	// HTSHA256Unique binds to tls-unique (RFC 5929): TLS 1.2 only.
	HTSHA256Unique = "HT-SHA-256-UNIQ"
	// HTSHA256EndPoint binds to tls-server-end-point (RFC 5929).
	HTSHA256EndPoint = "HT-SHA-256-ENDP"
	// HTSHA256None binds to nothing: the token alone authenticates.
	HTSHA256None = "HT-SHA-256-NONE"
)

// htPreferred is the order SelectHT tries the HT mechanisms in.
var htPreferred = []string{HTSHA256Exporter, HTSHA256Unique, HTSHA256EndPoint, HTSHA256None}

// htBinding is the channel-binding type of each HT mechanism.
var htBinding = map[string]string{
	HTSHA256Exporter: TLSExporter,
	HTSHA256Unique:   TLSUnique,
	HTSHA256EndPoint: TLSServerEndPoint,
	HTSHA256None:     "",
}

// PreferredHT returns the hashed-token mechanisms this package implements,
// in the order SelectHT prefers them: bound to tls-exporter, tls-unique,
// tls-server-end-point, then unbound. The caller may change the returned
// slice.
func PreferredHT() []string { return slices.Clone(htPreferred) }

// IsHT reports whether name is a hashed-token mechanism (HT-...), which
// authenticates with a token rather than the password.
func IsHT(name string) bool { return strings.HasPrefix(name, "HT-") }

// SelectHT returns the strongest hashed-token mechanism among offered
// that cfg's allow list permits and whose channel binding the connection
// (st.TLS) can produce, by the order of PreferredHT; "" when there is
// none. A token is bound to the mechanism it was issued for: SelectHT
// picks the mechanism to ask a token for; a token in hand is used with
// its own mechanism (NewHT).
func SelectHT(cfg *Config, offered []string, st Stream) string {
	for _, name := range htPreferred {
		if !slices.Contains(offered, name) || (cfg.Mechanisms != nil && !slices.Contains(cfg.Mechanisms, name)) {
			continue
		}
		if typ := htBinding[name]; typ != "" && bindingData(st.TLS, typ) == nil {
			continue
		}
		return name
	}
	return ""
}

// ht is a hashed-token exchange: one initial response, and the server's
// proof in the success data.
type ht struct {
	name  string
	token []byte
	cb    []byte
	user  string
	sent  bool
}

// NewHT returns the named hashed-token mechanism for cfg.Username and
// token, over the connection st.TLS describes. It fails with an error
// matching ErrNoMechanism when the name is not one of PreferredHT or
// the connection cannot produce its channel binding, and with
// ErrCredentials when the username or token is empty. Its Finish checks
// the server's proof that it knows the token too.
func NewHT(name string, cfg *Config, token string, st Stream) (Mechanism, error) {
	typ, ok := htBinding[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s is not implemented", ErrNoMechanism, name)
	}
	if cfg.Username == "" || token == "" {
		return nil, fmt.Errorf("%w: %s needs a username and a token", ErrCredentials, name)
	}
	if err := checkName("username", cfg.Username); err != nil {
		return nil, err
	}
	m := &ht{name: name, token: []byte(token), user: cfg.Username}
	if typ != "" {
		if m.cb = bindingData(st.TLS, typ); m.cb == nil {
			return nil, fmt.Errorf("%w: %s: the connection has no %s channel binding", ErrNoMechanism, name, typ)
		}
	}
	return m, nil
}

func (m *ht) Name() string { return m.name }

func (m *ht) mac(label string) []byte {
	h := hmac.New(sha256.New, m.token)
	h.Write([]byte(label))
	h.Write(m.cb)
	return h.Sum(nil)
}

// Step returns authcid NUL HMAC(token, "Initiator" || cb-data); the
// mechanism takes no challenge.
func (m *ht) Step(challenge []byte) ([]byte, error) {
	if m.sent || challenge != nil {
		return nil, fmt.Errorf("%w: %s takes no challenge", ErrUnexpected, m.name)
	}
	m.sent = true
	out := append([]byte(m.user), 0)
	return append(out, m.mac("Initiator")...), nil
}

// Finish checks the server's HMAC(token, "Responder" || cb-data).
func (m *ht) Finish(additional []byte) error {
	if !m.sent {
		return fmt.Errorf("%w: success before authenticating", ErrUnexpected)
	}
	if !hmac.Equal(additional, m.mac("Responder")) {
		return fmt.Errorf("%w: %s", ErrServerSignature, m.name)
	}
	return nil
}
