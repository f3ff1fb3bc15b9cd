package xmpp

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gosmack/gosmack/internal/atomicfile"
	"github.com/gosmack/gosmack/sasl"
)

// This file holds FAST (XEP-0484): the token a SASL2 login asks for, the
// stores that keep it between logins, and its use at the next login.

// FASTToken is a token a server issued for fast re-authentication
// (XEP-0484). It is as secret as the password: keep it private. The
// zero value is no token.
type FASTToken struct {
	// Mechanism is the HT-... mechanism the token was issued for; the
	// server takes it with that mechanism only.
	Mechanism string `json:"mechanism"`
	// Secret is the token itself.
	Secret string `json:"token"`
	// Expiry is when the server stops taking it; zero when it did not
	// say.
	Expiry time.Time `json:"expiry,omitzero"`
}

// TokenStore keeps the FAST token of one account, for one installation
// (Config.SASL2.UserAgent: servers tie tokens to it), between logins and,
// for a store that outlives the process, between runs
// (Config.SASL2.Tokens). The connection calls it from the goroutine that
// logs in, one call at a time: Load before each SASL2 login where the
// server offers FAST, Save when the server issues a token (a new one,
// or a rotation), and Save with the zero FASTToken when the server
// refused the stored one. A Save error is logged; the login goes on.
//
// A TokenStore must keep what it saved whole: after a failed Save, Load
// returns the token saved before, or none, never a damaged one.
type TokenStore interface {
	// Load returns the stored token; the zero FASTToken when none.
	Load() (FASTToken, error)
	// Save replaces the stored token with t (the zero FASTToken: none).
	Save(t FASTToken) error
}

// MemoryTokenStore is a TokenStore in memory: the token survives a new
// login of the same Conn (a reconnection), not the process. Its zero
// value is an empty store, ready to use; it is safe for concurrent use.
type MemoryTokenStore struct {
	mu sync.Mutex
	t  FASTToken
}

// Load returns the stored token.
func (m *MemoryTokenStore) Load() (FASTToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t, nil
}

// Save stores t.
func (m *MemoryTokenStore) Save(t FASTToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.t = t
	return nil
}

// ErrCorruptTokenFile means a FileTokenStore's file could not be read as
// a token store; the error that says so names the file and the cause.
// Delete the file (the next login then uses the password and asks for a
// new token) or fix it.
var ErrCorruptTokenFile = errors.New("xmpp: corrupt FAST token file")

// tokenFile is the file's JSON.
type tokenFile struct {
	Format    int       `json:"format"` // tokenFileVersion
	UserAgent string    `json:"user_agent,omitempty"`
	Token     FASTToken `json:"fast"`
}

const tokenFileVersion = 1

// FileTokenStore is a TokenStore in one JSON file, readable and writable
// by its owner only (mode 0600). Every Save writes a temporary file in
// the same directory, syncs it and renames it over the old one, so that
// the file always holds a whole token, even after a crash. It keeps a
// copy in memory: Load does not read the file again. A FileTokenStore is
// safe for concurrent use, but two of them (or two processes, or two
// accounts) must not share a file. OpenTokenFile makes one; the zero
// value is not usable.
type FileTokenStore struct {
	path string
	mu   sync.Mutex
	t    FASTToken
	ua   string
}

// OpenTokenFile returns a store kept in the file at path. A missing file
// is an empty store (the file is written at the first Save); a file that
// is not a token store is reported with an error matching
// ErrCorruptTokenFile.
func OpenTokenFile(path string) (*FileTokenStore, error) {
	f := &FileTokenStore{path: path}
	var tf tokenFile
	found, err := atomicfile.OpenStore(path, tokenFileVersion, &tf, ErrCorruptTokenFile, "xmpp: opening the FAST token file")
	if err != nil {
		return nil, err
	}
	if found {
		f.t, f.ua = tf.Token, tf.UserAgent
	}
	return f, nil
}

// UserAgent returns the installation id kept in the file, for
// Config.SASL2.UserAgent: the server ties the token to it, so the two
// are kept together. A file without one gets a new one (a UUID v4),
// written at once.
func (f *FileTokenStore) UserAgent() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ua != "" {
		return f.ua, nil
	}
	f.ua = newUUID()
	if err := f.writeLocked(); err != nil {
		f.ua = ""
		return "", err
	}
	return f.ua, nil
}

// Path returns the file's path.
func (f *FileTokenStore) Path() string { return f.path }

// Load returns the stored token.
func (f *FileTokenStore) Load() (FASTToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t, nil
}

// Save stores t and writes the file (atomically, mode 0600). After a
// failed write the file keeps the token saved before, and Load returns
// t.
func (f *FileTokenStore) Save(t FASTToken) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = t
	return f.writeLocked()
}

// writeLocked writes the file atomically (internal/atomicfile).
func (f *FileTokenStore) writeLocked() error {
	// atomicfile's temporary file is made with mode 0600, and the
	// rename keeps it.
	return atomicfile.WriteJSON(f.path, tokenFile{Format: tokenFileVersion, UserAgent: f.ua, Token: f.t}, false, "xmpp: writing the FAST token file")
}

// fastMechanism returns the mechanism that authenticates with the stored
// token, and the token, when there is one the server offers FAST for
// and the connection can bind as its mechanism needs; nil otherwise. An
// expired token is dropped.
func (c *Conn) fastMechanism(store TokenStore, sc *sasl.Config, o *sasl2Offer, st sasl.Stream) (sasl.Mechanism, FASTToken) {
	t, err := store.Load()
	if err != nil {
		c.cfg.logError("loading the FAST token", err)
		return nil, FASTToken{}
	}
	switch {
	case t.Secret == "":
		return nil, FASTToken{}
	case expired(t, time.Now()):
		c.dropToken(t, errors.New("expired"))
		return nil, FASTToken{}
	case !slices.Contains(o.fast, t.Mechanism):
		c.cfg.logDebug("the server does not offer the FAST token's mechanism here", "mechanism", t.Mechanism)
		return nil, FASTToken{}
	}
	m, err := sasl.NewHT(t.Mechanism, sc, t.Secret, st)
	if err != nil {
		c.cfg.logDebug("cannot use the FAST token here", "error", err)
		return nil, FASTToken{}
	}
	return m, t
}

// saveToken keeps the token the server issued in <success/>.
func (c *Conn) saveToken(mechanism, secret, expiry string) {
	store := c.cfg.sasl2().Tokens
	if store == nil || secret == "" || mechanism == "" {
		return
	}
	t := FASTToken{Mechanism: mechanism, Secret: strings.Clone(secret)}
	if e, err := time.Parse(time.RFC3339, strings.TrimSpace(expiry)); err == nil {
		t.Expiry = e
	}
	if err := store.Save(t); err != nil {
		c.cfg.logError("saving the FAST token", err)
	}
}

// dropToken forgets a token the server refused (or that expired), so
// that the next login uses the password and asks for a new one.
func (c *Conn) dropToken(t FASTToken, why error) {
	store := c.cfg.sasl2().Tokens
	if store == nil {
		return
	}
	c.cfg.logDebug("dropping the FAST token", "mechanism", t.Mechanism, "why", why)
	if cur, err := store.Load(); err == nil && cur.Secret != t.Secret {
		return // replaced meanwhile
	}
	if err := store.Save(FASTToken{}); err != nil {
		c.cfg.logError("dropping the FAST token", err)
	}
}
