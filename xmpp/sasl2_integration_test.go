//go:build integration

package xmpp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineRecorder keeps the transcript lines a Conn records.
type lineRecorder struct{ b testserver.Buffer }

func (r *lineRecorder) Write(p []byte) (int, error) { return r.b.Write(p) }

// has reports whether a line of the transcript from side ("C: " or
// "S: ") holds all of parts.
func (r *lineRecorder) has(side string, parts ...string) bool {
	for _, line := range strings.Split(r.b.String(), "\n") {
		if !strings.HasPrefix(line, side) {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestIntegrationSASL2Login logs in on the SASL2 Prosody over STARTTLS
// and direct TLS: SASL2 authenticates, Bind2 binds (the resource is
// the tag, "~" and a hash of the user agent, the same at each login with
// one user agent), stream management is enabled after success, and a
// message goes from one account to another.
func TestIntegrationSASL2Login(t *testing.T) {
	s := testserver.Get(t, testserver.SASL2Name)
	for _, direct := range []bool{false, true} {
		name := "starttls"
		if direct {
			name = "directtls"
		}
		t.Run(name, func(t *testing.T) {
			acfg := s.NewAccount(t, "sasl2a")
			bcfg := s.NewAccount(t, "sasl2b")
			if direct {
				acfg.Addr, acfg.DirectTLS = s.DirectTLSAddr, true
			}
			rec := new(lineRecorder)
			acfg.Recorder = rec
			acfg.SASL2 = &xmpp.SASL2{Tag: "itest"}
			a := testserver.Login(t, acfg, nil)
			got := make(chan *stanza.Message, 1)
			b := testserver.Login(t, bcfg, func(c *xmpp.Conn) {
				c.HandleMessage(nil, func(m *stanza.Message) { got <- m })
			})
			assert.True(t, rec.has("C: ", "<authenticate", "urn:xmpp:sasl:2", "<bind", "urn:xmpp:bind:0", "<tag>itest</tag>"), "no SASL2 request with Bind2")
			assert.True(t, rec.has("S: ", "<bound"), "not bound with Bind2")
			assert.True(t, strings.HasPrefix(a.JID().Resourcepart(), "itest~"), "resource %q", a.JID().Resourcepart())
			assert.Equal(t, acfg.JID.Bare(), a.JID().Bare())
			assert.True(t, rec.has("S: ", "<enabled", "urn:xmpp:sm:3"), "stream management after SASL2")
			first := a.JID()

			m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "over SASL2"}}}
			m.To = b.JID().Bare()
			require.NoError(t, a.Send(testserver.Context(t), m))
			select {
			case r := <-got:
				assert.Equal(t, "over SASL2", r.Body(""))
				assert.Equal(t, first, r.From)
			case <-time.After(testserver.Timeout):
				t.Fatal("the message did not arrive")
			}

			// The same user agent binds the same resource.
			require.NoError(t, a.Close())
			require.NoError(t, a.Connect(testserver.Context(t)))
			assert.Equal(t, first, a.JID())
		})
	}
}

// TestIntegrationSASL2Disabled: with SASL2 turned off, the SASL2
// Prosody logs the client in with RFC 6120's SASL and bind.
func TestIntegrationSASL2Disabled(t *testing.T) {
	s := testserver.Get(t, testserver.SASL2Name)
	cfg := s.NewAccount(t, "nosasl2")
	rec := new(lineRecorder)
	cfg.Recorder = rec
	cfg.SASL2 = &xmpp.SASL2{Disabled: true}
	testserver.Login(t, cfg, nil)
	assert.False(t, rec.has("C: ", "<authenticate"))
	assert.True(t, rec.has("C: ", "<auth ", "urn:ietf:params:xml:ns:xmpp-sasl"))
}

var _ = jid.JID{}
var _ = sasl.IsHT

// TestIntegrationFAST: the first login asks for a FAST token (the
// stream header names the user, so the server offers FAST) and keeps
// it in the store; the second logs in with it (HT-SHA-256-NONE on TLS
// 1.3), with no password; a token the server refuses is dropped and the
// password logs in, asking for a new one. The server rotates a token
// older than 5 s (sasl2_fast_token_min_ttl there): a login after that
// brings a new one, which the store keeps.
func TestIntegrationFAST(t *testing.T) {
	s := testserver.Get(t, testserver.SASL2Name)
	cfg := s.NewAccount(t, "fast")
	cfg.Addr, cfg.DirectTLS = s.DirectTLSAddr, true
	store := new(xmpp.MemoryTokenStore)
	cfg.SASL2 = &xmpp.SASL2{Tokens: store}
	rec := new(lineRecorder)
	cfg.Recorder = rec
	c := testserver.Login(t, cfg, nil)
	assert.True(t, rec.has("C: ", "<request-token", "urn:xmpp:fast:0", "mechanism='HT-SHA-256-NONE'"))
	tok, err := store.Load()
	require.NoError(t, err)
	require.NotEmpty(t, tok.Secret, "no token kept")
	assert.Equal(t, sasl.HTSHA256None, tok.Mechanism)
	assert.True(t, tok.Expiry.After(time.Now()), "expiry %v", tok.Expiry)
	first := c.JID()
	require.NoError(t, c.Close())

	// The second login: the token, and no password at all.
	cfg2 := cfg
	cfg2.Password = ""
	cfg2.SASL2 = &xmpp.SASL2{Tokens: store, UserAgent: c.UserAgent()}
	rec2 := new(lineRecorder)
	cfg2.Recorder = rec2
	c2 := testserver.Login(t, cfg2, nil)
	assert.True(t, rec2.has("C: ", "<authenticate", "mechanism='HT-SHA-256-NONE'", "<fast xmlns='urn:xmpp:fast:0'"), "not FAST")
	assert.Equal(t, first, c2.JID(), "the same user agent binds the same resource")
	require.NoError(t, c2.Close())

	// Rotation: once the token is older than 5 s, a login brings a new
	// one. Poll with logins.
	require.Eventually(t, func() bool {
		require.NoError(t, c2.Connect(testserver.Context(t)))
		require.NoError(t, c2.Close())
		now, err := store.Load()
		require.NoError(t, err)
		require.NotEmpty(t, now.Secret)
		return now.Secret != tok.Secret
	}, 30*time.Second, time.Second, "no rotation")
	rotated, _ := store.Load()
	require.NoError(t, c2.Connect(testserver.Context(t)), "the rotated token logs in")
	require.NoError(t, c2.Close())

	// A token the server refuses: dropped, the password logs in, and a
	// new token is asked for.
	require.NoError(t, store.Save(xmpp.FASTToken{Mechanism: sasl.HTSHA256None, Secret: "secret-token:fast-not-this-one"}))
	rec3 := new(lineRecorder)
	cfg3 := cfg
	cfg3.SASL2 = &xmpp.SASL2{Tokens: store, UserAgent: c.UserAgent()}
	cfg3.Recorder = rec3
	c3 := testserver.Login(t, cfg3, nil)
	assert.True(t, rec3.has("S: ", "<failure", "urn:xmpp:sasl:2"), "the bad token was not refused")
	assert.True(t, rec3.has("C: ", "<request-token"))
	now, _ := store.Load()
	assert.NotEmpty(t, now.Secret)
	assert.NotEqual(t, "secret-token:fast-not-this-one", now.Secret)
	assert.NotEqual(t, rotated.Secret, now.Secret)
	assert.Equal(t, first, c3.JID())
}
