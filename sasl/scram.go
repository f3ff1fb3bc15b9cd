package sasl

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/secure/precis"
)

// scramHashes are the hash functions of the SCRAM family, by the suffix of
// the mechanism name.
var scramHashes = map[string]func() hash.Hash{
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-512": sha512.New,
}

type scramState uint8

const (
	scramStart     scramState = iota
	scramSentFirst            // client-first sent, waiting for server-first
	scramSentFinal            // client-final sent, waiting for server-final
	scramVerified             // the server's signature checked out
	scramFailed               // an error ended the exchange
)

// scram is a SCRAM client (RFC 5802, RFC 7677), with or without channel
// binding.
type scram struct {
	name     string
	hashName string
	h        func() hash.Hash
	cfg      *Config
	gs2      string // the GS2 header: "p=tls-unique,," or "y,," or "n,,", with a=authzid
	cbData   []byte // channel-binding data when binding
	rand     io.Reader

	offer           Stream // the mechanisms and bindings advertised, for XEP-0474
	state           scramState
	clientNonce     string
	clientFirstBare string
	serverSignature []byte
}

// newSCRAM builds the named SCRAM mechanism. flag is the GS2 channel
// binding flag ("p", "y" or "n") and b the binding when flag is "p".
func newSCRAM(name, hashName string, cfg *Config, flag string, b binding) *scram {
	s := &scram{name: name, hashName: hashName, h: scramHashes[hashName], cfg: cfg, rand: cfg.Rand}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	switch flag {
	case "p":
		s.gs2 = "p=" + b.typ
		s.cbData = b.data
	default:
		s.gs2 = flag
	}
	s.gs2 += ","
	if cfg.Authzid != "" {
		s.gs2 += "a=" + saslName(cfg.Authzid)
	}
	s.gs2 += ","
	return s
}

func (s *scram) Name() string { return s.name }

// saslName escapes ',' and '=' as RFC 5802 section 5.1 requires.
func saslName(s string) string {
	if !strings.ContainsAny(s, ",=") {
		return s
	}
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

func (s *scram) Step(challenge []byte) ([]byte, error) {
	resp, err := s.step(challenge)
	if err != nil {
		s.state = scramFailed
	}
	return resp, err
}

func (s *scram) step(challenge []byte) ([]byte, error) {
	switch s.state {
	case scramStart:
		if challenge != nil {
			return nil, fmt.Errorf("%w: a challenge before the initial response", ErrUnexpected)
		}
		return s.clientFirst()
	case scramSentFirst:
		return s.clientFinal(challenge)
	case scramSentFinal:
		// Some servers send server-final as a challenge and then an empty
		// <success/>.
		if err := s.verify(challenge); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	return nil, fmt.Errorf("%w: a challenge after the exchange ended", ErrUnexpected)
}

func (s *scram) clientFirst() ([]byte, error) {
	if s.cfg.Username == "" {
		return nil, fmt.Errorf("%w: %s needs a username", ErrCredentials, s.name)
	}
	if err := checkName("username", s.cfg.Username); err != nil {
		return nil, err
	}
	if err := checkName("authzid", s.cfg.Authzid); err != nil {
		return nil, err
	}
	if s.clientNonce == "" {
		var raw [24]byte
		if _, err := io.ReadFull(s.rand, raw[:]); err != nil {
			return nil, fmt.Errorf("sasl: nonce: %w", err)
		}
		s.clientNonce = base64.RawStdEncoding.EncodeToString(raw[:])
	}
	s.clientFirstBare = "n=" + saslName(s.cfg.Username) + ",r=" + s.clientNonce
	s.state = scramSentFirst
	return []byte(s.gs2 + s.clientFirstBare), nil
}

// serverFirst is the parsed server-first-message.
type serverFirst struct {
	nonce      string
	salt       []byte
	iterations int
	ssdp       string // XEP-0474's h, when hasSSDP
	hasSSDP    bool
}

func parseServerFirst(msg []byte) (serverFirst, error) {
	var sf serverFirst
	attrs, err := parseAttrs(msg)
	if err != nil {
		return sf, err
	}
	if len(attrs) > 0 && attrs[0].key == 'm' {
		return sf, fmt.Errorf("%w: mandatory extension m= is not supported", ErrMalformed)
	}
	if len(attrs) < 3 || attrs[0].key != 'r' || attrs[1].key != 's' || attrs[2].key != 'i' {
		return sf, fmt.Errorf("%w: server-first-message must start r=,s=,i=", ErrMalformed)
	}
	sf.nonce = attrs[0].value
	for i := 0; i < len(sf.nonce); i++ {
		// printable = %x21-2B / %x2D-7E (RFC 5802 section 7)
		if c := sf.nonce[i]; c < 0x21 || c > 0x7e {
			return sf, fmt.Errorf("%w: nonce holds a byte outside printable ASCII", ErrMalformed)
		}
	}
	if sf.salt, err = base64.StdEncoding.DecodeString(attrs[1].value); err != nil || len(sf.salt) == 0 {
		return sf, fmt.Errorf("%w: salt is not base64 or empty", ErrMalformed)
	}
	// Digits only: strconv.Atoi would also take a sign.
	iv := attrs[2].value
	if iv == "" || len(iv) > 10 || strings.Trim(iv, "0123456789") != "" {
		return sf, fmt.Errorf("%w: iteration count %q", ErrMalformed, iv)
	}
	sf.iterations, _ = strconv.Atoi(iv)
	for _, a := range attrs[3:] {
		if a.key == 'h' && !sf.hasSSDP {
			sf.ssdp, sf.hasSSDP = a.value, true
		}
	}
	return sf, nil
}

func (s *scram) clientFinal(msg []byte) ([]byte, error) {
	sf, err := parseServerFirst(msg)
	if err != nil {
		return nil, err
	}
	if len(sf.nonce) <= len(s.clientNonce) || !strings.HasPrefix(sf.nonce, s.clientNonce) {
		return nil, ErrNonce
	}
	if err := s.checkSSDP(sf.ssdp, sf.hasSSDP); err != nil {
		return nil, err
	}
	if sf.iterations < s.cfg.minIterations() || sf.iterations > s.cfg.maxIterations() {
		return nil, fmt.Errorf("%w: %d, allowed %d to %d", ErrIterations, sf.iterations, s.cfg.minIterations(), s.cfg.maxIterations())
	}
	password, err := precis.OpaqueString.String(s.cfg.Password)
	if err != nil {
		return nil, fmt.Errorf("%w: password: %v", ErrCredentials, err)
	}
	salted, err := s.cfg.Cache.saltedPassword(s.hashName, s.h, password, sf.salt, sf.iterations)
	if err != nil {
		return nil, err
	}

	cbind := base64.StdEncoding.EncodeToString(append([]byte(s.gs2), s.cbData...))
	withoutProof := "c=" + cbind + ",r=" + sf.nonce
	authMessage := []byte(s.clientFirstBare + "," + string(msg) + "," + withoutProof)

	clientKey := s.hmac(salted, []byte("Client Key"))
	storedKey := s.h()
	storedKey.Write(clientKey)
	proof := s.hmac(storedKey.Sum(nil), authMessage)
	subtle.XORBytes(proof, proof, clientKey)
	s.serverSignature = s.hmac(s.hmac(salted, []byte("Server Key")), authMessage)

	s.state = scramSentFinal
	out := make([]byte, 0, len(withoutProof)+3+base64.StdEncoding.EncodedLen(len(proof)))
	out = append(out, withoutProof...)
	out = append(out, ",p="...)
	return base64.StdEncoding.AppendEncode(out, proof), nil
}

func (s *scram) hmac(key, data []byte) []byte {
	m := hmac.New(s.h, key)
	m.Write(data)
	return m.Sum(nil)
}

// verify checks the server-final-message.
func (s *scram) verify(msg []byte) error {
	attrs, err := parseAttrs(msg)
	if err != nil {
		return err
	}
	if len(attrs) == 0 {
		return fmt.Errorf("%w: empty server-final-message", ErrServerSignature)
	}
	switch attrs[0].key {
	case 'e':
		return &Failure{Condition: NotAuthorized, Text: "SCRAM server error: " + attrs[0].value}
	case 'v':
		got, err := base64.StdEncoding.DecodeString(attrs[0].value)
		if err != nil || !hmac.Equal(got, s.serverSignature) {
			return ErrServerSignature
		}
		s.state = scramVerified
		return nil
	}
	return fmt.Errorf("%w: server-final-message starts %q", ErrMalformed, attrs[0].key)
}

func (s *scram) Finish(additional []byte) error {
	switch s.state {
	case scramSentFinal:
		if len(additional) == 0 {
			return fmt.Errorf("%w: success without the server's signature", ErrServerSignature)
		}
		if err := s.verify(additional); err != nil {
			s.state = scramFailed
			return err
		}
		return nil
	case scramVerified:
		// Verified in a challenge; anything in <success/> must agree.
		if len(additional) > 0 {
			if err := s.verify(additional); err != nil {
				s.state = scramFailed
				return err
			}
		}
		return nil
	}
	s.state = scramFailed
	return fmt.Errorf("%w: success before the server proved it knows the password", ErrServerSignature)
}

type attr struct {
	key   byte
	value string
}

// parseAttrs splits a SCRAM message into its key=value attributes. Keys
// are single ASCII letters; values may hold '=' but not ','.
func parseAttrs(msg []byte) ([]attr, error) {
	if len(msg) == 0 {
		return nil, nil
	}
	var attrs []attr
	for part := range strings.SplitSeq(string(msg), ",") {
		if len(part) < 2 || part[1] != '=' || !isAlpha(part[0]) {
			return nil, fmt.Errorf("%w: attribute %q", ErrMalformed, truncate(part))
		}
		attrs = append(attrs, attr{key: part[0], value: part[2:]})
	}
	return attrs, nil
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

// SaltCache keeps SCRAM salted passwords, so that logging in again with the
// same password, salt and iteration count does not pay for PBKDF2 again
// (Smack keeps the same cache). Entries are keyed by a SHA-256 of the hash
// name, password, salt and iteration count; the cache holds at most 64
// entries and forgets the oldest first. An entry costs about 90 bytes
// (its key and the salted password): a cache of one account's entry is
// about 130 bytes in all. The zero value is ready to use. A SaltCache is
// safe for concurrent use.
//
// A salted password lets whoever holds it log in as the user, as the
// password does; keep the cache in memory, as this type does.
type SaltCache struct {
	mu sync.Mutex
	// entries, oldest first. A slice searched from the newest: at 64
	// entries the search is far cheaper than the PBKDF2 a hit saves,
	// and a cache of one entry holds no map.
	entries []saltEntry
}

type saltEntry struct {
	key    [32]byte
	salted []byte
}

const saltCacheSize = 64

func saltKey(hashName, password string, salt []byte, iterations int) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00", hashName, iterations, len(password))
	h.Write([]byte(password))
	h.Write(salt)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// lookup returns the entry of key, or nil; c.mu is held.
func (c *SaltCache) lookup(key [32]byte) []byte {
	for i := len(c.entries) - 1; i >= 0; i-- {
		if c.entries[i].key == key {
			return c.entries[i].salted
		}
	}
	return nil
}

// saltedPassword returns PBKDF2 of the password, from the cache when c is
// not nil and holds it.
func (c *SaltCache) saltedPassword(hashName string, h func() hash.Hash, password string, salt []byte, iterations int) ([]byte, error) {
	var key [32]byte
	if c != nil {
		key = saltKey(hashName, password, salt, iterations)
		c.mu.Lock()
		v := c.lookup(key)
		c.mu.Unlock()
		if v != nil {
			return v, nil
		}
	}
	v, err := pbkdf2.Key(h, password, salt, iterations, h().Size())
	if err != nil {
		return nil, fmt.Errorf("sasl: PBKDF2: %w", err)
	}
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.lookup(key) == nil {
			if len(c.entries) == saltCacheSize {
				copy(c.entries, c.entries[1:])
				c.entries = c.entries[:saltCacheSize-1]
			}
			c.entries = append(c.entries, saltEntry{key: key, salted: v})
		}
	}
	return v, nil
}
