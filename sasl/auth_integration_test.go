//go:build integration

package sasl_test

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"testing"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/sasl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests drive the mechanisms over a bare stream (testserver.Raw) to
// log in to Prosody and ejabberd, on TLS 1.3 and TLS 1.2, with every
// mechanism each offers, so that a mechanism's failure shows here, apart
// from the connection's own negotiation (which the xmpp tests cover).

const nsSASL = "urn:ietf:params:xml:ns:xmpp-sasl"

func encode(b []byte) string {
	if len(b) == 0 {
		return "=" // RFC 6120 section 6.4.2: an empty response
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decode(t *testing.T, s string) []byte {
	t.Helper()
	if s == "" || s == "=" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err, "server sent bad base64 %q", s)
	return b
}

// authenticate runs m to the end on r and returns nil only when the server
// said success and m verified it.
func authenticate(t *testing.T, r *testserver.Raw, m sasl.Mechanism) error {
	t.Helper()
	ir, err := m.Step(nil)
	require.NoError(t, err)
	r.Send("<auth xmlns='%s' mechanism='%s'>%s</auth>", nsSASL, m.Name(), encode(ir))
	for {
		el := r.Next()
		switch el.XMLName.Local {
		case "challenge":
			resp, err := m.Step(decode(t, el.Inner))
			if err != nil {
				r.Send("<abort xmlns='%s'/>", nsSASL)
				return err
			}
			r.Send("<response xmlns='%s'>%s</response>", nsSASL, encode(resp))
		case "success":
			return m.Finish(decode(t, el.Inner))
		case "failure":
			return parseFailure(t, el.Inner)
		default:
			t.Fatalf("unexpected <%s/> during SASL", el.XMLName.Local)
		}
	}
}

func parseFailure(t *testing.T, inner string) *sasl.Failure {
	t.Helper()
	var f struct {
		Children []struct {
			XMLName xml.Name
			Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			Text    string `xml:",chardata"`
		} `xml:",any"`
	}
	require.NoError(t, xml.Unmarshal([]byte("<failure>"+inner+"</failure>"), &f))
	out := &sasl.Failure{}
	for _, c := range f.Children {
		if c.XMLName.Local == "text" {
			out.Text, out.Lang = c.Text, c.Lang
		} else {
			out.Condition = sasl.Condition(c.XMLName.Local)
		}
	}
	return out
}

var tlsVersions = []uint16{tls.VersionTLS13, tls.VersionTLS12}

func dialTLS(t *testing.T, s *testserver.Server, version uint16) (*testserver.Raw, sasl.Stream) {
	cfg := s.TLSConfig()
	cfg.MinVersion, cfg.MaxVersion = version, version
	r := s.DialStartTLS(t, "", cfg)
	state := r.Conn.(*tls.Conn).ConnectionState()
	st := sasl.Stream{Mechanisms: r.Features.Mechanisms, TLS: &state}
	for _, b := range r.Features.ChannelBindings {
		st.Bindings = append(st.Bindings, b.Type)
	}
	return r, st
}

func TestIntegrationEveryOfferedMechanism(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		alice := s.User(t, "alice")
		for _, version := range tlsVersions {
			t.Run(tls.VersionName(version), func(t *testing.T) {
				_, probe := dialTLS(t, s, version)
				tried := 0
				for _, name := range probe.Mechanisms {
					t.Run(name, func(t *testing.T) {
						r, st := dialTLS(t, s, version)
						cfg := &sasl.Config{Username: alice.Name, Password: alice.Password}
						if name == "X-OAUTH2" {
							cfg = &sasl.Config{Username: alice.Name, Token: s.OAuthToken(t, alice.Name)}
						}
						m, err := sasl.New(name, cfg, st)
						switch {
						case name == "DIGEST-MD5":
							assert.ErrorIs(t, err, sasl.ErrNoMechanism, "obsolete, not implemented")
							return
						case err != nil && errors.Is(err, sasl.ErrNoMechanism) && version == tls.VersionTLS13:
							// -PLUS on TLS 1.3 without XEP-0440: no
							// binding in common (ejabberd 23.01).
							t.Logf("%s not used on TLS 1.3: %v", name, err)
							return
						}
						require.NoError(t, err)
						require.NoError(t, authenticate(t, r, m), "%s login", name)
						tried++
					})
				}
				assert.NotZero(t, tried, "no mechanism logged in")
			})
		}
	})
}

// What a user gets by default: Select's choice logs in on both servers and
// both TLS versions, including ejabberd advertising -PLUS on TLS 1.3.
func TestIntegrationSelectLogsIn(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		alice := s.User(t, "alice")
		for _, version := range tlsVersions {
			t.Run(tls.VersionName(version), func(t *testing.T) {
				r, st := dialTLS(t, s, version)
				m, err := sasl.Select(&sasl.Config{Username: alice.Name, Password: alice.Password}, st)
				require.NoError(t, err)
				t.Logf("%s on %s: offered %v, chose %s", s.Name, tls.VersionName(version), st.Mechanisms, m.Name())
				require.NoError(t, authenticate(t, r, m))
			})
		}
	})
}

func TestIntegrationWrongPassword(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		for _, name := range []string{"SCRAM-SHA-1", "PLAIN"} {
			t.Run(name, func(t *testing.T) {
				r, st := dialTLS(t, s, tls.VersionTLS13)
				m, err := sasl.New(name, &sasl.Config{Username: "alice", Password: "not-the-password"}, st)
				require.NoError(t, err)
				err = authenticate(t, r, m)
				assert.ErrorIs(t, err, &sasl.Failure{Condition: sasl.NotAuthorized})
				t.Logf("%s: %v", s.Name, err)
			})
		}
	})
}
