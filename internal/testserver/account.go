package testserver

import (
	"fmt"
	mathrand "math/rand/v2"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// Unique returns prefix, a dash and a text that no other call returns, in
// this run or an earlier one: the time in nanoseconds and a random number,
// as in "roster-1718000000000000000-0a1b2c3d". With an empty prefix it
// returns the text alone. Integration tests name their accounts, rooms,
// resources and messages with it, because other tests use the same
// servers, and the servers keep what earlier runs left. It is safe for
// concurrent use.
func Unique(prefix string) string {
	id := fmt.Sprintf("%d-%08x", time.Now().UnixNano(), mathrand.Uint32())
	if prefix == "" {
		return id
	}
	return prefix + "-" + id
}

// NewAccount registers a new account on s by in-band registration
// (xmpp.CreateAccount over STARTTLS, trusting only s's CA), which both
// servers allow, and returns the configuration that logs it in, as Config
// does for a test user (with GOSMACK_XMPP_DEBUG set, the logger writes
// every element to stderr). The account's name is Unique(prefix) and its
// password that name followed by "-secret". A test that changes an
// account's state (its roster, archive, carbons, subscriptions) makes its
// own with NewAccount, since the test users are shared by tests running
// at the same time. A failed registration fails the test; the account is
// not removed afterwards. Call it from the test's goroutine.
func (s *Server) NewAccount(t testing.TB, prefix string) xmpp.Config {
	t.Helper()
	name := Unique(prefix)
	account, err := jid.New(name, s.Domain, "")
	if err != nil {
		t.Fatalf("testserver: %s: account name %q: %v", s.Name, name, err)
	}
	cfg := xmpp.Config{JID: account, Password: name + "-secret", Addr: s.StartTLSAddr, TLS: s.TLSConfig()}
	if err := xmpp.CreateAccount(Context(t), cfg, nil); err != nil {
		t.Fatalf("testserver: %s: registering %s: %v", s.Name, account, err)
	}
	cfg.Logger = debugLogger(t)
	return cfg
}
