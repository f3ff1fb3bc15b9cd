package testserver

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// Timeout bounds each network step of an integration test.
const Timeout = 15 * time.Second

// Context returns a context that ends after Timeout, or when the test
// does.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

// Config returns a configuration that logs the test user in on s over
// STARTTLS, trusting only s's CA. With GOSMACK_XMPP_DEBUG set in the
// environment, every element sent and received goes to stderr.
func (s *Server) Config(t testing.TB, user string) xmpp.Config {
	t.Helper()
	u := s.User(t, user)
	account, err := jid.New(u.Name, s.Domain, "")
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	return xmpp.Config{JID: account, Password: u.Password, Addr: s.StartTLSAddr, TLS: s.TLSConfig(), Logger: debugLogger(t)}
}

// debugLogger returns, with GOSMACK_XMPP_DEBUG set in the environment, a
// logger that writes every element sent and received to stderr, tagged
// with the test's name; without it, nil.
func debugLogger(t testing.TB) *slog.Logger {
	if os.Getenv("GOSMACK_XMPP_DEBUG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

// Login connects with cfg, running before (if not nil) on the new Conn
// first so that managers and listeners are in place for the first stanza.
// A failed login fails the test; the connection is closed when the test
// ends.
func Login(t testing.TB, cfg xmpp.Config, before func(*xmpp.Conn)) *xmpp.Conn {
	t.Helper()
	c := xmpp.New(cfg)
	if before != nil {
		before(c)
	}
	if err := c.Connect(Context(t)); err != nil {
		t.Fatalf("testserver: logging in as %s: %v", cfg.JID, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
