//go:build integration

package testserver

import (
	"crypto/tls"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/websocket"
)

// These tests check the servers themselves, with nothing of gosmack but the
// scripts that started them: each c2s listener answers a stream header with
// the stream features a client needs, over a certificate that verifies
// against the throw-away CA for the XMPP domain.

const streamHeader = `<?xml version='1.0'?><stream:stream to='%s' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`

type features struct {
	StartTLS *struct {
		Required *struct{} `xml:"required"`
	} `xml:"urn:ietf:params:xml:ns:xmpp-tls starttls"`
	Mechanisms []string  `xml:"urn:ietf:params:xml:ns:xmpp-sasl mechanisms>mechanism"`
	Register   *struct{} `xml:"http://jabber.org/features/iq-register register"`
}

// readFeatures decodes elements from r until <stream:features/> and
// returns it. The deadline on conn bounds the wait.
func readFeatures(t *testing.T, d *xml.Decoder) features {
	t.Helper()
	for {
		tok, err := d.Token()
		require.NoError(t, err, "reading the stream up to <stream:features/>")
		if start, ok := tok.(xml.StartElement); ok &&
			start.Name == (xml.Name{Space: "http://etherx.jabber.org/streams", Local: "features"}) {
			var f features
			require.NoError(t, d.DecodeElement(&f, &start))
			return f
		}
	}
}

func openStream(t *testing.T, conn net.Conn, domain string) *xml.Decoder {
	t.Helper()
	_, err := fmt.Fprintf(conn, streamHeader, domain)
	require.NoError(t, err)
	return xml.NewDecoder(conn)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(15*time.Second)))
	return conn
}

func TestIntegrationStartTLSFeatures(t *testing.T) {
	ForEach(t, func(t *testing.T, s *Server) {
		for _, addr := range []string{s.StartTLSAddr, s.StartTLSAddr6} {
			t.Run(addr, func(t *testing.T) {
				conn := dial(t, addr)
				f := readFeatures(t, openStream(t, conn, s.Domain))
				require.NotNil(t, f.StartTLS, "the plaintext port must offer STARTTLS")
				assert.NotNil(t, f.StartTLS.Required, "STARTTLS must be required")
				assert.Empty(t, f.Mechanisms, "no SASL before TLS")

				// Upgrade, verify the certificate against the CA and the
				// XMPP domain, and see what the secured stream offers.
				_, err := io.WriteString(conn, `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`)
				require.NoError(t, err)
				proceed := xml.NewDecoder(conn)
				for {
					tok, err := proceed.RawToken()
					require.NoError(t, err)
					if start, ok := tok.(xml.StartElement); ok {
						require.Equal(t, "proceed", start.Name.Local)
						break
					}
				}
				tlsConn := tls.Client(conn, s.TLSConfig())
				require.NoError(t, tlsConn.Handshake(), "the certificate must verify for %s", s.Domain)
				f = readFeatures(t, openStream(t, tlsConn, s.Domain))
				t.Logf("%s after STARTTLS (%s): SASL %v", s.Name, tls.VersionName(tlsConn.ConnectionState().Version), f.Mechanisms)
				assert.Subset(t, f.Mechanisms, []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"})
				assert.NotNil(t, f.Register, "in-band registration must be offered")
			})
		}
	})
}

func TestIntegrationDirectTLSFeatures(t *testing.T) {
	ForEach(t, func(t *testing.T, s *Server) {
		cfg := s.TLSConfig()
		cfg.NextProtos = []string{"xmpp-client"}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.DirectTLSAddr, cfg)
		require.NoError(t, err, "direct TLS (XEP-0368) with a verified certificate")
		defer conn.Close()
		require.NoError(t, conn.SetDeadline(time.Now().Add(15*time.Second)))
		f := readFeatures(t, openStream(t, conn, s.Domain))
		t.Logf("%s direct TLS (%s, ALPN %q): SASL %v", s.Name, tls.VersionName(conn.ConnectionState().Version), conn.ConnectionState().NegotiatedProtocol, f.Mechanisms)
		assert.Nil(t, f.StartTLS, "no STARTTLS inside TLS")
		assert.Subset(t, f.Mechanisms, []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"})
	})
}

func TestIntegrationWebSocketFeatures(t *testing.T) {
	ForEach(t, func(t *testing.T, s *Server) {
		cfg, err := websocket.NewConfig(s.WebSocketTLSURL, "https://"+s.Domain)
		require.NoError(t, err)
		cfg.Protocol = []string{"xmpp"}
		cfg.TlsConfig = s.TLSConfig()
		cfg.Dialer = &net.Dialer{Timeout: 5 * time.Second}
		ws, err := websocket.DialConfig(cfg)
		require.NoError(t, err, "WebSocket (RFC 7395) on %s", s.WebSocketTLSURL)
		defer ws.Close()
		require.NoError(t, ws.SetDeadline(time.Now().Add(15*time.Second)))
		_, err = fmt.Fprintf(ws, `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='%s' version='1.0'/>`, s.Domain)
		require.NoError(t, err)
		f := readFeatures(t, xml.NewDecoder(ws))
		t.Logf("%s WebSocket: SASL %v", s.Name, f.Mechanisms)
		assert.True(t, slices.Contains(f.Mechanisms, "SCRAM-SHA-1"), "SASL over wss: %v", f.Mechanisms)
	})
}
