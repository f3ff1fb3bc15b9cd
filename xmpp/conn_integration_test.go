//go:build integration

package xmpp_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/sasl"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run xmpp.Conn against the Prosody and ejabberd that
// scripts/servers started (see internal/testserver): every SASL mechanism
// each server offers, over STARTTLS and direct TLS, on IPv4 and IPv6 and
// on TLS 1.3 and 1.2; messages, IQs and presence between two clients;
// in-band registration; the connection's life cycle; and a recorded
// session. Set GOSMACK_XMPP_DEBUG=1 to see every element on stderr.

// Namespaces the tests use: XEP-0199's ping, which both servers answer,
// and two that only the test clients know.
const (
	nsPing      = "urn:xmpp:ping"
	nsEcho      = "urn:gosmack:test:echo"
	nsUnhandled = "urn:gosmack:test:unhandled"
)

// unique returns a name no earlier run used.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%08x", prefix, time.Now().UnixNano(), mathrand.Uint32())
}

// option changes the configuration login uses.
type option func(*xmpp.Config)

func withAddr(addr string, directTLS bool) option {
	return func(c *xmpp.Config) { c.Addr, c.DirectTLS = addr, directTLS }
}

// withTLSVersion pins the TLS version.
func withTLSVersion(v uint16) option {
	return func(c *xmpp.Config) { c.TLS.MinVersion, c.TLS.MaxVersion = v, v }
}

func withMechanisms(names ...string) option {
	return func(c *xmpp.Config) { c.Mechanisms = names }
}

func withResource(r string) option {
	return func(c *xmpp.Config) { c.Resource = r }
}

func withRecorder(w io.Writer) option {
	return func(c *xmpp.Config) { c.Recorder = w }
}

func withPassword(pw string) option {
	return func(c *xmpp.Config) { c.Password = pw }
}

// accountConfig is the configuration for the account local@domain with
// password: STARTTLS on 127.0.0.1, trusting the server's CA.
func accountConfig(t *testing.T, s *testserver.Server, local, password string, opts ...option) xmpp.Config {
	t.Helper()
	j, err := jid.New(local, s.Domain, "")
	require.NoError(t, err)
	cfg := xmpp.Config{
		JID:      j,
		Password: password,
		Addr:     s.StartTLSAddr,
		TLS:      s.TLSConfig(),
	}
	if os.Getenv("GOSMACK_XMPP_DEBUG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).
			With("test", t.Name())
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// userConfig is accountConfig for one of the server's test users.
func userConfig(t *testing.T, s *testserver.Server, user string, opts ...option) xmpp.Config {
	t.Helper()
	return accountConfig(t, s, user, s.User(t, user).Password, opts...)
}

// dial logs in with cfg and closes the connection when the test ends.
func dial(t *testing.T, cfg xmpp.Config) (*xmpp.Conn, error) {
	t.Helper()
	c, err := xmpp.Dial(testserver.Context(t), cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// login logs user in or fails the test.
func login(t *testing.T, s *testserver.Server, user string, opts ...option) *xmpp.Conn {
	t.Helper()
	c, err := dial(t, userConfig(t, s, user, opts...))
	require.NoError(t, err, "%s: logging in as %s", s.Name, user)
	return c
}

// requireBound checks that c is bound to a full JID of the account.
func requireBound(t *testing.T, c *xmpp.Conn, account jid.JID) {
	t.Helper()
	j := c.JID()
	require.Equal(t, account.Bare(), j.Bare(), "bound JID %s", j)
	require.NotEmpty(t, j.Resourcepart(), "bound JID %s has no resource", j)
}

// recordedLines returns the lines of a recording that side ("C: " or
// "S: ") sent, without the marker.
func recordedLines(rec []byte, side string) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(rec))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if x, ok := strings.CutPrefix(sc.Text(), side); ok {
			out = append(out, x)
		}
	}
	return out
}

// saslOffer is what the server's stream features offered for login.
type saslOffer struct {
	Mechanisms []string `xml:"urn:ietf:params:xml:ns:xmpp-sasl mechanisms>mechanism"`
	Bindings   []struct {
		Type string `xml:"type,attr"`
	} `xml:"urn:xmpp:sasl-cb:0 sasl-channel-binding>channel-binding"`
}

// offeredSASL reads the SASL offer from the features in a recording.
func offeredSASL(t *testing.T, rec []byte) saslOffer {
	t.Helper()
	for _, line := range recordedLines(rec, "S: ") {
		if !strings.Contains(line, "urn:ietf:params:xml:ns:xmpp-sasl") || !strings.Contains(line, "features") {
			continue
		}
		var f saslOffer
		require.NoError(t, xml.Unmarshal([]byte(line), &f), "features: %s", line)
		return f
	}
	t.Fatalf("no SASL mechanisms in the recording:\n%s", rec)
	return saslOffer{}
}

// authSent returns the mechanism and decoded initial response of the
// <auth/> in a recording.
func authSent(t *testing.T, rec []byte) (mechanism string, initial []byte) {
	t.Helper()
	for _, line := range recordedLines(rec, "C: ") {
		if !strings.HasPrefix(line, "<auth ") {
			continue
		}
		var a struct {
			Mechanism string `xml:"mechanism,attr"`
			Data      string `xml:",chardata"`
		}
		require.NoError(t, xml.Unmarshal([]byte(line), &a))
		if a.Data != "=" {
			var err error
			initial, err = base64.StdEncoding.DecodeString(a.Data)
			require.NoError(t, err)
		}
		return a.Mechanism, initial
	}
	t.Fatalf("no <auth/> in the recording:\n%s", rec)
	return "", nil
}

// endpoint is one c2s listener.
type endpoint struct {
	name      string
	addr      string
	directTLS bool
}

// endpoints are the server's c2s listeners: STARTTLS and direct TLS, each
// on 127.0.0.1 and [::1]. server.json names direct TLS on 127.0.0.1 only;
// the same port listens on [::1].
func endpoints(t *testing.T, s *testserver.Server) []endpoint {
	t.Helper()
	_, port, err := net.SplitHostPort(s.DirectTLSAddr)
	require.NoError(t, err)
	return []endpoint{
		{"starttls-ipv4", s.StartTLSAddr, false},
		{"starttls-ipv6", s.StartTLSAddr6, false},
		{"directtls-ipv4", s.DirectTLSAddr, true},
		{"directtls-ipv6", net.JoinHostPort("::1", port), true},
	}
}

var tlsVersions = []uint16{tls.VersionTLS13, tls.VersionTLS12}

// minimumMechanisms is what ../shared/SERVERS.md says each server offers,
// so that a server (or a client) that suddenly offers nothing cannot pass
// the discovery-driven test below.
func minimumMechanisms(t *testing.T, server string, version uint16) []string {
	t.Helper()
	switch server {
	case "prosody":
		if version == tls.VersionTLS12 {
			return []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"}
		}
		return []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"}
	case "ejabberd":
		// The same on TLS 1.3, where tls-unique does not exist.
		return []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512",
			"SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512-PLUS", "X-OAUTH2"}
	}
	t.Fatalf("no expectations for server %q", server)
	return nil
}

// TestIntegrationLoginEveryMechanism logs in with each mechanism the server
// offers, one at a time (Config.Mechanisms), on every listener and both TLS
// versions. What is offered is discovered by a first login that records
// its session.
func TestIntegrationLoginEveryMechanism(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		alice := userConfig(t, s, "alice").JID
		for _, ep := range endpoints(t, s) {
			t.Run(ep.name, func(t *testing.T) {
				for _, version := range tlsVersions {
					t.Run(tls.VersionName(version), func(t *testing.T) {
						base := []option{withAddr(ep.addr, ep.directTLS), withTLSVersion(version)}
						var rec testserver.Buffer
						probe := login(t, s, "alice", append(base, withRecorder(&rec))...)
						requireBound(t, probe, alice)
						require.NoError(t, probe.Close())
						offer := offeredSASL(t, rec.Bytes())
						var bindings []string
						for _, b := range offer.Bindings {
							bindings = append(bindings, b.Type)
						}
						t.Logf("%s %s %s: SASL %v, channel bindings %v", s.Name, ep.name, tls.VersionName(version), offer.Mechanisms, bindings)
						assert.Subset(t, offer.Mechanisms, minimumMechanisms(t, s.Name, version))

						for _, mech := range offer.Mechanisms {
							t.Run(mech, func(t *testing.T) {
								var rec testserver.Buffer
								opts := append(slices.Clone(base), withMechanisms(mech), withRecorder(&rec))
								switch {
								case mech == "X-OAUTH2" || mech == "OAUTHBEARER":
									token := s.OAuthToken(t, "alice")
									opts = append(opts, func(c *xmpp.Config) { c.Password, c.Token = "", token })
								case mech == "PLAIN" || strings.HasPrefix(mech, "SCRAM-"):
								case mech == "DIGEST-MD5" || mech == "CRAM-MD5":
									_, err := dial(t, userConfig(t, s, "alice", opts...))
									assert.ErrorIs(t, err, sasl.ErrNoMechanism, "obsolete, not implemented")
									return
								default:
									t.Fatalf("%s offers %s, which this test does not know how to use", s.Name, mech)
								}
								cfg := userConfig(t, s, "alice", opts...)
								c, err := dial(t, cfg)
								if strings.HasSuffix(mech, "-PLUS") && version == tls.VersionTLS13 && len(bindings) == 0 {
									// tls-unique does not exist on TLS 1.3 and
									// the server names no other binding
									// (XEP-0440): -PLUS alone cannot run.
									require.ErrorIs(t, err, sasl.ErrNoMechanism)
									t.Logf("as expected: %v", err)
									return
								}
								require.NoError(t, err, "%s login", mech)
								requireBound(t, c, alice)
								used, initial := authSent(t, rec.Bytes())
								assert.Equal(t, mech, used)
								if strings.HasSuffix(mech, "-PLUS") {
									assert.True(t, bytes.HasPrefix(initial, []byte("p=")), "-PLUS must bind the channel: GS2 header %q", initial)
								}
							})
						}
					})
				}
			})
		}
	})
}

// TestIntegrationLoginDefault logs in without an allow list: the strongest
// mechanism wins, and on TLS 1.3 ejabberd's advertised -PLUS (which cannot
// run there) does not get in the way.
func TestIntegrationLoginDefault(t *testing.T) {
	want := map[string]map[uint16]string{
		"prosody":  {tls.VersionTLS13: "SCRAM-SHA-256", tls.VersionTLS12: "SCRAM-SHA-256-PLUS"},
		"ejabberd": {tls.VersionTLS13: "SCRAM-SHA-512", tls.VersionTLS12: "SCRAM-SHA-512-PLUS"},
	}
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		for _, version := range tlsVersions {
			for _, ep := range endpoints(t, s) {
				t.Run(tls.VersionName(version)+"/"+ep.name, func(t *testing.T) {
					var rec testserver.Buffer
					c := login(t, s, "alice", withAddr(ep.addr, ep.directTLS), withTLSVersion(version), withRecorder(&rec))
					requireBound(t, c, userConfig(t, s, "alice").JID)
					used, _ := authSent(t, rec.Bytes())
					t.Logf("%s on %s chose %s", s.Name, tls.VersionName(version), used)
					assert.Equal(t, want[s.Name][version], used)
				})
			}
		}
	})
}

// TestIntegrationLoginResource shows that a configured resource is the
// one bound, and that without one the server picks one.
func TestIntegrationLoginResource(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		alice := userConfig(t, s, "alice").JID
		t.Run("configured", func(t *testing.T) {
			res := unique("gosmack")
			c := login(t, s, "alice", withResource(res))
			want, err := alice.WithResource(res)
			require.NoError(t, err)
			assert.Equal(t, want, c.JID())
		})
		t.Run("in the JID", func(t *testing.T) {
			res := unique("jidres")
			cfg := userConfig(t, s, "alice")
			var err error
			cfg.JID, err = cfg.JID.WithResource(res)
			require.NoError(t, err)
			c, err := dial(t, cfg)
			require.NoError(t, err)
			assert.Equal(t, cfg.JID, c.JID())
		})
		t.Run("server chooses", func(t *testing.T) {
			c1 := login(t, s, "alice")
			c2 := login(t, s, "alice")
			requireBound(t, c1, alice)
			requireBound(t, c2, alice)
			assert.NotEqual(t, c1.JID(), c2.JID(), "two sessions, two resources")
		})
	})
}

// TestIntegrationLoginWrongPassword: the server's refusal is a
// *sasl.Failure.
func TestIntegrationLoginWrongPassword(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		_, err := dial(t, userConfig(t, s, "alice", withPassword("not-the-password")))
		require.ErrorIs(t, err, &sasl.Failure{Condition: sasl.NotAuthorized})
	})
}

// receive waits for a value on ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testserver.Timeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func TestIntegrationChatMessage(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		alice := login(t, s, "alice")
		bob := login(t, s, "bob")
		thread := unique("thread")
		got := make(chan *stanza.Message, 1)
		// The thread keeps out messages of earlier runs that the server
		// kept offline for bob.
		bob.HandleMessage(func(st stanza.Stanza) bool {
			return st.(*stanza.Message).Thread.ID == thread
		}, func(m *stanza.Message) { got <- m })

		msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Hello, Bob <&> ünïcode"}}, Thread: stanza.Thread{ID: thread}}
		msg.To = bob.JID()
		require.NoError(t, alice.Send(testserver.Context(t), msg))
		assert.NotEmpty(t, msg.ID, "Send gives a message an id")

		m := receive(t, got, "bob's message")
		assert.Equal(t, alice.JID(), m.From)
		assert.Equal(t, bob.JID(), m.To)
		assert.Equal(t, stanza.Chat, m.Type)
		assert.Equal(t, "Hello, Bob <&> ünïcode", m.Body(""))
		assert.Equal(t, thread, m.Thread.ID)
		assert.Equal(t, msg.ID, m.ID)
	})
}

func echoPayload(text string) *stanza.Node {
	return &stanza.Node{Name: xml.Name{Space: nsEcho, Local: "echo"}, Nodes: []stanza.Node{{Text: text}}}
}

func TestIntegrationIQBetweenClients(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		alice := login(t, s, "alice")
		bob := login(t, s, "bob")
		echo := xml.Name{Space: nsEcho, Local: "echo"}
		bob.HandleIQ(stanza.Get, echo, xmpp.IQHandlerFunc(func(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error) {
			return echoPayload("bob got " + iq.Payload.InnerText() + " from " + iq.From.String()), nil
		}))
		bob.HandleIQ(stanza.Set, echo, xmpp.IQHandlerFunc(func(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error) {
			return nil, &stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable, Text: "bob says no"}
		}))

		t.Run("result", func(t *testing.T) {
			iq := &stanza.IQ{Type: stanza.Get, Payload: echoPayload("ping")}
			iq.To = bob.JID()
			reply, err := alice.SendIQ(testserver.Context(t), iq)
			require.NoError(t, err)
			assert.Equal(t, stanza.Result, reply.Type)
			assert.Equal(t, bob.JID(), reply.From)
			assert.Equal(t, iq.ID, reply.ID)
			require.NotNil(t, reply.Payload)
			assert.Equal(t, echo, reply.Payload.Name)
			assert.Equal(t, "bob got ping from "+alice.JID().String(), reply.Payload.InnerText())
		})
		t.Run("handler error", func(t *testing.T) {
			iq := &stanza.IQ{Type: stanza.Set, Payload: echoPayload("please")}
			iq.To = bob.JID()
			reply, err := alice.SendIQ(testserver.Context(t), iq)
			require.Error(t, err)
			assert.ErrorIs(t, err, &stanza.Error{Type: stanza.Modify, Condition: stanza.NotAcceptable})
			var se *stanza.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "bob says no", se.Text)
			require.NotNil(t, reply)
			assert.Equal(t, stanza.IQError, reply.Type)
			assert.Equal(t, bob.JID(), reply.From)
		})
		t.Run("unhandled", func(t *testing.T) {
			iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: nsUnhandled, Local: "query"}}}
			iq.To = bob.JID()
			reply, err := alice.SendIQ(testserver.Context(t), iq)
			require.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable})
			require.NotNil(t, reply)
			assert.Equal(t, bob.JID(), reply.From, "bob, not the server, answered")
		})
	})
}

func pingIQ(to jid.JID) *stanza.IQ {
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: nsPing, Local: "ping"}}}
	iq.To = to
	return iq
}

// TestIntegrationIQToServer: the server answers for itself and for the
// account, and the reply reaches SendIQ whichever from it carries. (Seen
// on a request without to or to the bare JID: Prosody replies with no
// from, ejabberd from the bare JID.)
func TestIntegrationIQToServer(t *testing.T) {
	roster := &stanza.Node{Name: xml.Name{Space: "jabber:iq:roster", Local: "query"}}
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		c := login(t, s, "alice")
		for _, tc := range []struct {
			name string
			iq   *stanza.IQ
		}{
			{"ping, no to", pingIQ(jid.JID{})},
			{"ping to the domain", pingIQ(c.JID().Domain())},
			{"ping to the bare JID", pingIQ(c.JID().Bare())},
			{"roster, no to", &stanza.IQ{Type: stanza.Get, Payload: roster}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				reply, err := c.SendIQ(testserver.Context(t), tc.iq)
				require.NoError(t, err, "the reply must reach SendIQ")
				assert.Equal(t, stanza.Result, reply.Type)
				t.Logf("%s: %s to %q: %s from %q", s.Name, tc.iq.PayloadName().Local, tc.iq.To, reply.Type, reply.From)
			})
		}
	})
}

// TestIntegrationSendIQFromListener: a message listener that sends an IQ
// and waits for its reply does not block the connection's reader.
func TestIntegrationSendIQFromListener(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		alice := login(t, s, "alice")
		bob := login(t, s, "bob")
		thread := unique("thread")
		type result struct {
			body string
			err  error
		}
		results := make(chan result, 2)
		bob.HandleMessage(func(st stanza.Stanza) bool {
			return st.(*stanza.Message).Thread.ID == thread
		}, func(m *stanza.Message) {
			ctx, cancel := context.WithTimeout(context.Background(), testserver.Timeout)
			defer cancel()
			_, err := bob.SendIQ(ctx, pingIQ(bob.JID().Domain()))
			results <- result{m.Body(""), err}
		})
		for _, body := range []string{"first", "second"} {
			msg := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}, Thread: stanza.Thread{ID: thread}}
			msg.To = bob.JID()
			require.NoError(t, alice.Send(testserver.Context(t), msg))
		}
		for _, body := range []string{"first", "second"} {
			r := receive(t, results, "the listener's ping reply")
			require.NoError(t, r.err, "ping from inside the listener")
			assert.Equal(t, body, r.body)
		}
	})
}

// newAccount registers a new account in band and deletes it when the
// test ends (best effort), returning its name and password. It is for
// tests that must be the account's only session.
func newAccount(t *testing.T, s *testserver.Server, prefix string) (name, password string) {
	t.Helper()
	name, password = unique(prefix), unique("pw")
	require.NoError(t, xmpp.CreateAccount(testserver.Context(t), accountConfig(t, s, name, password), nil), "registering %s", name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testserver.Timeout)
		defer cancel()
		if c, err := xmpp.Dial(ctx, accountConfig(t, s, name, password)); err == nil {
			c.DeleteAccount(ctx)
			c.Close()
		}
	})
	return name, password
}

func TestIntegrationAccountLifecycle(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		name := unique("gosmack")
		oldPW, newPW := unique("pw1"), unique("pw2")
		cfg := accountConfig(t, s, name, oldPW)
		require.NoError(t, xmpp.CreateAccount(testserver.Context(t), cfg, nil))
		current := oldPW
		t.Cleanup(func() {
			// Best effort, when the test stopped before deleting it.
			if current == "" {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), testserver.Timeout)
			defer cancel()
			if c, err := xmpp.Dial(ctx, accountConfig(t, s, name, current)); err == nil {
				c.DeleteAccount(ctx)
				c.Close()
			}
		})

		err := xmpp.CreateAccount(testserver.Context(t), cfg, nil)
		assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.Conflict}, "registering a taken name")

		c, err := dial(t, cfg)
		require.NoError(t, err, "logging in to the new account")
		requireBound(t, c, cfg.JID)
		require.NoError(t, c.ChangePassword(testserver.Context(t), newPW))
		current = newPW
		assert.Equal(t, newPW, c.Config().Password, "connecting again uses the new password")
		require.NoError(t, c.Close())

		c, err = dial(t, accountConfig(t, s, name, newPW))
		require.NoError(t, err, "logging in with the new password")
		requireBound(t, c, cfg.JID)

		_, err = dial(t, accountConfig(t, s, name, oldPW))
		var failure *sasl.Failure
		require.ErrorAs(t, err, &failure, "logging in with the old password")
		assert.Equal(t, sasl.NotAuthorized, failure.Condition)

		require.NoError(t, c.DeleteAccount(testserver.Context(t)))
		assert.False(t, c.IsConnected())
		current = ""

		_, err = dial(t, accountConfig(t, s, name, newPW))
		require.ErrorIs(t, err, &sasl.Failure{Condition: sasl.NotAuthorized}, "logging in to the deleted account")
	})
}

// nextPresence waits on col for a presence from "from".
func nextPresence(t *testing.T, col *xmpp.Collector, from jid.JID, typ stanza.PresenceType) *stanza.Presence {
	t.Helper()
	ctx := testserver.Context(t)
	for {
		st, err := col.Next(ctx)
		require.NoError(t, err, "waiting for %q presence from %s", typ, from)
		if p := st.(*stanza.Presence); p.From == from && p.Type == typ {
			return p
		}
	}
}

// TestIntegrationUnavailableAfterClose: the server broadcasts a session's
// presence to the account's other available resources, available at login
// and unavailable after Close.
func TestIntegrationUnavailableAfterClose(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		watcher := login(t, s, "alice", withResource(unique("watcher")))
		col := watcher.Collect(stanza.IsPresence(), 64)
		defer col.Close()

		leaver := login(t, s, "alice", withResource(unique("leaver")))
		leaverJID := leaver.JID()
		nextPresence(t, col, leaverJID, stanza.Available)

		require.NoError(t, leaver.Close())
		p := nextPresence(t, col, leaverJID, stanza.Unavailable)
		assert.Equal(t, watcher.JID(), p.To)
	})
}

// TestIntegrationNoGoroutineLeak: connect/close cycles, four at a time,
// leave no goroutine behind.
func TestIntegrationNoGoroutineLeak(t *testing.T) {
	const cycles, workers = 100, 4
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := userConfig(t, s, "alice")
		before := runtime.NumGoroutine()
		errs := make(chan error, cycles)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range cycles / workers {
					ctx, cancel := context.WithTimeout(t.Context(), testserver.Timeout)
					c, err := xmpp.Dial(ctx, cfg)
					cancel()
					if err == nil {
						err = c.Close()
					}
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				var dump bytes.Buffer
				pprof.Lookup("goroutine").WriteTo(&dump, 1)
				t.Fatalf("%d goroutines before %d connect/close cycles, %d after:\n%s", before, cycles, runtime.NumGoroutine(), dump.String())
			}
			time.Sleep(10 * time.Millisecond) // polling, not synchronisation
		}
	})
}

func TestIntegrationStateEvents(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		c := xmpp.New(userConfig(t, s, "alice"))
		states := make(chan xmpp.StateChange, 16)
		c.OnState(func(sc xmpp.StateChange) { states <- sc })
		require.NoError(t, c.Connect(testserver.Context(t)))
		t.Cleanup(func() { c.Close() })

		sc := receive(t, states, "StateConnected")
		assert.Equal(t, xmpp.StateConnected, sc.State)
		sc = receive(t, states, "StateAuthenticated")
		assert.Equal(t, xmpp.StateAuthenticated, sc.State)
		assert.Equal(t, c.JID(), sc.JID)
		assert.True(t, c.IsConnected())

		require.NoError(t, c.Close())
		sc = receive(t, states, "StateClosed")
		assert.Equal(t, xmpp.StateClosed, sc.State)
		assert.NoError(t, sc.Err, "a clean Close")
		assert.NoError(t, c.Err())
		assert.False(t, c.IsConnected())
		select {
		case <-c.Done():
		default:
			t.Error("Done is not closed after Close")
		}
		select {
		case sc := <-states:
			t.Errorf("a state change after StateClosed: %+v", sc)
		default:
		}
	})
}

// stanzaID matches the start of a recorded stanza and captures its id.
var stanzaID = regexp.MustCompile(`^<(?:iq|message|presence)\b[^>]*\sid=['"]([^'"]+)['"]`)

// lateWriteDialer connects as a net.Dialer does, but its connections
// return from Write some time after the bytes went out: what a busy
// machine or a preempted goroutine does now and then, made certain.
type lateWriteDialer struct{ delay time.Duration }

func (d lateWriteDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := new(net.Dialer).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &lateWriteConn{c, d.delay}, nil
}

type lateWriteConn struct {
	net.Conn
	delay time.Duration
}

func (c *lateWriteConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	time.Sleep(c.delay) // fault injection: the write returns late
	return n, err
}

// TestIntegrationRecordingOrder: a recording keeps cause before effect. A
// reply (an IQ result, Prosody's echo of our presence) must come after the
// request with its id, or a transcript tells a story that did not happen,
// and a replay (xmpptest.Script) sends the answer before the question,
// which the client may drop because nobody waits for it yet. Writes that
// return late make the outcome certain rather than a matter of luck.
func TestIntegrationRecordingOrder(t *testing.T) {
	const pings = 5
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var rec testserver.Buffer
		c := login(t, s, "alice", withRecorder(&rec), func(c *xmpp.Config) { c.Dialer = lateWriteDialer{20 * time.Millisecond} })
		for range pings {
			_, err := c.SendIQ(testserver.Context(t), pingIQ(c.JID().Domain()))
			require.NoError(t, err)
		}
		require.NoError(t, c.Close())

		tr, err := xmpptest.ParseTranscript("order", bytes.NewReader(rec.Bytes()))
		require.NoError(t, err)
		sentAt := map[string]int{} // id -> the step where the client sent it
		for i, step := range tr.Steps {
			if m := stanzaID.FindStringSubmatch(step.XML); m != nil && step.From == xmpptest.Client {
				if _, seen := sentAt[m[1]]; !seen {
					sentAt[m[1]] = i
				}
			}
		}
		var early []string
		for i, step := range tr.Steps {
			m := stanzaID.FindStringSubmatch(step.XML)
			if m == nil || step.From != xmpptest.Server {
				continue
			}
			if j, ok := sentAt[m[1]]; ok && j > i {
				early = append(early, fmt.Sprintf("step %d (S: %s) comes before step %d (C: %s)", i, step.XML, j, tr.Steps[j].XML))
			}
		}
		if len(early) > 0 {
			t.Fatalf("the recording shows %d of the server's replies before the requests they answer "+
				"(a sent element must be recorded before the socket write, under the write lock):\n%s",
				len(early), strings.Join(early, "\n"))
		}
	})
}
