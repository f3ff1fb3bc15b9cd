//go:build integration

package testserver

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests check the servers themselves, with nothing of gosmack but the
// scripts that started them: each c2s listener answers a stream header with
// the stream features a client needs, over a certificate that verifies
// against the throw-away CA for the XMPP domain.

func TestIntegrationStartTLSFeatures(t *testing.T) {
	ForEach(t, func(t *testing.T, s *Server) {
		for _, addr := range []string{s.StartTLSAddr, s.StartTLSAddr6} {
			t.Run(addr, func(t *testing.T) {
				plain := s.dial(t, addr)
				plain.Open()
				require.NotNil(t, plain.Features.StartTLS, "the plaintext port must offer STARTTLS")
				assert.NotNil(t, plain.Features.StartTLS.Required, "STARTTLS must be required")
				assert.Empty(t, plain.Features.Mechanisms, "no SASL before TLS")

				// Upgrade, verify the certificate against the CA and the
				// XMPP domain, and see what the secured stream offers.
				r := s.DialStartTLS(t, addr, nil)
				state := r.Conn.(*tls.Conn).ConnectionState()
				t.Logf("%s after STARTTLS (%s): SASL %v", s.Name, tls.VersionName(state.Version), r.Features.Mechanisms)
				assert.Subset(t, r.Features.Mechanisms, []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"})
				assert.NotNil(t, r.Features.Register, "in-band registration must be offered")
			})
		}
	})
}

func TestIntegrationDirectTLSFeatures(t *testing.T) {
	ForEach(t, func(t *testing.T, s *Server) {
		cfg := s.TLSConfig()
		cfg.NextProtos = []string{"xmpp-client"}
		r := s.DialDirectTLS(t, cfg)
		state := r.Conn.(*tls.Conn).ConnectionState()
		t.Logf("%s direct TLS (%s, ALPN %q): SASL %v", s.Name, tls.VersionName(state.Version), state.NegotiatedProtocol, r.Features.Mechanisms)
		assert.Nil(t, r.Features.StartTLS, "no STARTTLS inside TLS")
		assert.Subset(t, r.Features.Mechanisms, []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"})
	})
}

func TestIntegrationWebSocketFeatures(t *testing.T) {
	ForEach(t, func(t *testing.T, s *Server) {
		r := s.DialWebSocket(t, "", nil)
		t.Logf("%s WebSocket: SASL %v", s.Name, r.Features.Mechanisms)
		assert.Contains(t, r.Features.Mechanisms, "SCRAM-SHA-1", "SASL over wss")
	})
}

// The SASL2 Prosody offers SASL2 with Bind2 (carbons and CSI inline) to
// every stream, and FAST to a stream whose header names its user, on TLS
// 1.3 and 1.2. This checks the server set-up (Debian's prosody-modules
// with the project's mod_trunk_compat), not gosmack.
func TestIntegrationSASL2Features(t *testing.T) {
	s := Get(t, SASL2Name)
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := s.TLSConfig()
			cfg.MinVersion, cfg.MaxVersion = version, version
			anonymous := s.DialDirectTLS(t, cfg)
			require.NotNil(t, anonymous.Features.SASL2, "SASL2 must be offered")
			assert.Subset(t, anonymous.Features.SASL2.Mechanisms, []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"})
			var inline []string
			for _, f := range anonymous.Features.SASL2.Bind2 {
				inline = append(inline, f.Var)
			}
			assert.Subset(t, inline, []string{"urn:xmpp:carbons:2", "urn:xmpp:csi:0"}, "Bind2's inline features")
			assert.Empty(t, anonymous.Features.SASL2.FAST, "FAST is offered only to a named user")

			named := s.DialDirectTLSAs(t, cfg, "alice")
			require.NotNil(t, named.Features.SASL2)
			t.Logf("%s: SASL2 %v, FAST %v", tls.VersionName(version), named.Features.SASL2.Mechanisms, named.Features.SASL2.FAST)
			assert.Contains(t, named.Features.SASL2.FAST, "HT-SHA-256-NONE")
		})
	}
}
