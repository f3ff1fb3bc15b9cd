// Package testserver finds the XMPP servers that scripts/servers started,
// for the integration tests (build tag integration).
//
// Each server script writes $GOSMACK_RUN/<name>/server.json, which says
// where the server listens, which CA signed its certificate and which test
// accounts it has; GOSMACK_RUN defaults to $TMPDIR/gosmack, as in the
// scripts. A test asks for the servers with ForEach or Get, which fail the
// test (never skip it) when a server is not running: an integration run that
// silently tests nothing would be green and worthless.
//
// A test that changes an account's state registers accounts of its own
// with Server.NewAccount, and names what it creates with Unique: other
// tests use the same servers at the same time.
package testserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Names are the servers that make test starts for every test that
// speaks the classic protocol, in the order tests use them.
var Names = []string{"prosody", "ejabberd"}

// SASL2Name is the third server that make test starts: a Prosody with
// SASL2 (XEP-0388), Bind2 (XEP-0386) and FAST (XEP-0484) from Debian's
// prosody-modules (scripts/servers/prosody-sasl2.sh). Only the tests of
// those extensions use it; ForEach does not.
const SASL2Name = "prosody-sasl2"

// Server describes one running server, as its script wrote it.
type Server struct {
	// Name is the server's name, one of Names or SASL2Name.
	Name            string `json:"name"`
	Domain          string `json:"domain"`            // the XMPP domain: localhost
	MUCDomain       string `json:"muc_domain"`        // conference.localhost
	StartTLSAddr    string `json:"starttls_addr"`     // c2s, STARTTLS required, on 127.0.0.1
	StartTLSAddr6   string `json:"starttls_addr6"`    // the same on [::1]
	DirectTLSAddr   string `json:"directtls_addr"`    // c2s with direct TLS (XEP-0368)
	WebSocketURL    string `json:"websocket_url"`     // ws:// (RFC 7395)
	WebSocketTLSURL string `json:"websocket_tls_url"` // wss://
	BOSHURL         string `json:"bosh_url"`          // http:// (XEP-0124, XEP-0206)
	BOSHTLSURL      string `json:"bosh_tls_url"`      // https://
	CAFile          string `json:"ca_file"`           // the throw-away CA that signed the certificate
	Users           []User `json:"users"`             // accounts registered at start
	APIURL          string `json:"api_url"`           // ejabberd's HTTP API on loopback; empty for Prosody

	roots *x509.CertPool
}

// User is a test account.
type User struct {
	// Name is the account's name, the localpart of its JID.
	Name string `json:"name"`
	// Password is the account's password.
	Password string `json:"password"`
}

// RunDir is where the server scripts keep their run directories.
func RunDir() string {
	if d := os.Getenv("GOSMACK_RUN"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "gosmack")
}

// Load reads the description of the named server and checks that it
// accepts connections.
func Load(name string) (*Server, error) {
	path := filepath.Join(RunDir(), name, "server.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("testserver: %s is not started (start it with scripts/servers/%s.sh start, or run make test): %w", name, name, err)
	}
	s := new(Server)
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("testserver: %s: %w", path, err)
	}
	s.boshDefaults()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, fmt.Errorf("testserver: %s: CA: %w", name, err)
	}
	s.roots = x509.NewCertPool()
	if !s.roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("testserver: %s: no certificate in %s", name, s.CAFile)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := new(net.Dialer).DialContext(ctx, "tcp", s.StartTLSAddr)
	if err != nil {
		return nil, fmt.Errorf("testserver: %s is described in %s but not reachable (restart it with scripts/servers/%s.sh start): %w", name, path, name, err)
	}
	conn.Close()
	return s, nil
}

// boshDefaults fills in the BOSH URLs of a description written before
// they were in it: the WebSocket's ports, with the server's BOSH path.
func (s *Server) boshDefaults() {
	path := "/http-bind" // Prosody's
	if s.Name == "ejabberd" {
		path = "/bosh"
	}
	rebase := func(ws, scheme string) string {
		_, rest, ok := strings.Cut(ws, "://")
		hostport, _, _ := strings.Cut(rest, "/")
		if !ok || hostport == "" {
			return ""
		}
		return scheme + "://" + hostport + path
	}
	if s.BOSHURL == "" {
		s.BOSHURL = rebase(s.WebSocketURL, "http")
	}
	if s.BOSHTLSURL == "" {
		s.BOSHTLSURL = rebase(s.WebSocketTLSURL, "https")
	}
}

// Get loads the named server or fails the test.
func Get(t testing.TB, name string) *Server {
	t.Helper()
	s, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ForEach runs f as a subtest for each server in Names. A server that is
// not running fails its subtest.
func ForEach(t *testing.T, f func(t *testing.T, s *Server)) {
	t.Helper()
	for _, name := range Names {
		t.Run(name, func(t *testing.T) { f(t, Get(t, name)) })
	}
}

// TLSConfig returns a client TLS configuration that trusts only the
// server's throw-away CA and verifies the certificate against the XMPP
// domain. Each call returns a new value the caller may change.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.roots, ServerName: s.Domain, MinVersion: tls.VersionTLS12}
}

// User returns the test account with the given name, or fails the test.
func (s *Server) User(t testing.TB, name string) User {
	t.Helper()
	for _, u := range s.Users {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("testserver: %s has no test user %q", s.Name, name)
	return User{}
}

// OAuthToken asks the server for an OAuth 2.0 token that lets user log in
// with X-OAUTH2 (ejabberd's oauth_issue_token), or fails the test when the
// server has no API for it.
func (s *Server) OAuthToken(t testing.TB, user string) string {
	t.Helper()
	if s.APIURL == "" {
		t.Fatalf("testserver: %s issues no OAuth tokens", s.Name)
	}
	body, _ := json.Marshal(map[string]any{"jid": user + "@" + s.Domain, "ttl": 3600, "scopes": "sasl_auth"})
	resp, err := http.Post(s.APIURL+"/oauth_issue_token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("testserver: %s: oauth_issue_token: %v", s.Name, err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Token == "" {
		t.Fatalf("testserver: %s: oauth_issue_token: HTTP %d, %v", s.Name, resp.StatusCode, err)
	}
	return out.Token
}
