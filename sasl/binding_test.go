package sasl

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	certOnce sync.Once
	testCert tls.Certificate
)

// serverCert is a self-signed ECDSA P-256 certificate signed with SHA-256,
// made once per test run.
func serverCert(t *testing.T) tls.Certificate {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "example.com"},
			DNSNames:     []string{"example.com"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		require.NoError(t, err)
		testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return testCert
}

// tlsPair runs a TLS handshake of the given version over an in-memory pipe
// and returns both sides' connection states.
func tlsPair(t *testing.T, version uint16) (client, server tls.ConnectionState) {
	t.Helper()
	c, s := net.Pipe()
	defer c.Close()
	defer s.Close()
	cert := serverCert(t)
	srv := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: version, MaxVersion: version})
	cli := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: version, MaxVersion: version})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	require.NoError(t, cli.Handshake())
	require.NoError(t, <-errc)
	return cli.ConnectionState(), srv.ConnectionState()
}

func TestBindingData(t *testing.T) {
	c13, s13 := tlsPair(t, tls.VersionTLS13)
	c12, s12 := tlsPair(t, tls.VersionTLS12)

	// Both ends compute the same tls-exporter data, on TLS 1.3 and on TLS
	// 1.2 with the extended master secret (crypto/tls always uses it).
	for _, p := range []struct{ c, s tls.ConnectionState }{{c13, s13}, {c12, s12}} {
		want, err := p.s.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32)
		require.NoError(t, err)
		assert.Equal(t, want, bindingData(&p.c, TLSExporter))
	}
	// RFC 9266 asks for an empty context, which TLS 1.2 tells apart from
	// no context (RFC 5705); Prosody uses the empty one.
	noContext, err := s12.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
	require.NoError(t, err)
	assert.NotEqual(t, noContext, bindingData(&c12, TLSExporter))
	assert.Nil(t, bindingData(&c13, TLSUnique), "TLS 1.3 has no tls-unique")
	assert.Equal(t, s12.TLSUnique, bindingData(&c12, TLSUnique))
	assert.NotEmpty(t, c12.TLSUnique)

	sum := sha256.Sum256(c13.PeerCertificates[0].Raw)
	assert.Equal(t, sum[:], bindingData(&c13, TLSServerEndPoint), "ECDSA with SHA-256: SHA-256 of the certificate")

	assert.Nil(t, bindingData(nil, TLSExporter))
	assert.Nil(t, bindingData(&c13, "tls-made-up"))
	assert.True(t, canBind(&c13))
	assert.False(t, canBind(nil))
}

// The GS2 header in each case the stream can present, and the binding data
// behind p=.
func TestGS2Header(t *testing.T) {
	c13, s13 := tlsPair(t, tls.VersionTLS13)
	c12, s12 := tlsPair(t, tls.VersionTLS12)
	exporter13, _ := s13.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32)
	exporter12, _ := s12.ExportKeyingMaterial("EXPORTER-Channel-Binding", []byte{}, 32)
	endPoint := sha256.Sum256(c13.PeerCertificates[0].Raw)

	withPlus := []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"}
	noPlus := []string{"SCRAM-SHA-256", "PLAIN"}
	cases := []struct {
		name     string
		st       Stream
		authzid  string
		wantMech string
		wantGS2  string
		wantData []byte
	}{
		{"no TLS", Stream{Mechanisms: withPlus}, "", "SCRAM-SHA-256", "n,,", nil},
		{"no TLS, authzid", Stream{Mechanisms: noPlus}, "juliet@example.com", "SCRAM-SHA-256", "n,a=juliet@example.com,", nil},
		{"TLS 1.3, server without -PLUS", Stream{Mechanisms: noPlus, TLS: &c13}, "", "SCRAM-SHA-256", "y,,", nil},
		{"TLS 1.3, -PLUS but no XEP-0440 (ejabberd 23.01)", Stream{Mechanisms: withPlus, TLS: &c13}, "", "SCRAM-SHA-256", "n,,", nil},
		{"TLS 1.3, XEP-0440 tls-exporter", Stream{Mechanisms: withPlus, TLS: &c13, Bindings: []string{TLSServerEndPoint, TLSExporter}}, "", "SCRAM-SHA-256-PLUS", "p=tls-exporter,,", exporter13},
		{"TLS 1.3, XEP-0440 tls-server-end-point", Stream{Mechanisms: withPlus, TLS: &c13, Bindings: []string{TLSServerEndPoint}}, "", "SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,", endPoint[:]},
		{"TLS 1.3, XEP-0440 tls-unique only", Stream{Mechanisms: withPlus, TLS: &c13, Bindings: []string{TLSUnique}}, "", "SCRAM-SHA-256", "n,,", nil},
		{"TLS 1.2, -PLUS, no XEP-0440 (Prosody, ejabberd)", Stream{Mechanisms: withPlus, TLS: &c12}, "", "SCRAM-SHA-256-PLUS", "p=tls-unique,,", s12.TLSUnique},
		{"TLS 1.2, XEP-0440 both", Stream{Mechanisms: withPlus, TLS: &c12, Bindings: []string{TLSUnique, TLSExporter}}, "", "SCRAM-SHA-256-PLUS", "p=tls-exporter,,", exporter12},
		{"TLS 1.2, server without -PLUS", Stream{Mechanisms: noPlus, TLS: &c12}, "", "SCRAM-SHA-256", "y,,", nil},
		{"TLS 1.2, -PLUS, authzid", Stream{Mechanisms: withPlus, TLS: &c12}, "a,b", "SCRAM-SHA-256-PLUS", "p=tls-unique,a=a=2Cb,", s12.TLSUnique},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Select(&Config{Username: "juliet", Password: "pw", Authzid: tc.authzid}, tc.st)
			require.NoError(t, err)
			assert.Equal(t, tc.wantMech, m.Name())
			first, err := m.Step(nil)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(first), tc.wantGS2+"n=juliet,r="), "client-first %q", first)

			// The server side sees the same binding data and accepts the
			// proof; c= carries the GS2 header and the data.
			ts := &testServer{h: scramHashes["SHA-256"], password: "pw", salt: []byte("salt"), iter: 4096, cbData: tc.wantData}
			final, err := m.Step(ts.first(t, first))
			require.NoError(t, err)
			c, _, _ := strings.Cut(strings.TrimPrefix(string(final), "c="), ",")
			assert.Equal(t, base64.StdEncoding.EncodeToString(append([]byte(tc.wantGS2), tc.wantData...)), c)
			serverFinal, err := ts.final(final)
			require.NoError(t, err)
			require.NoError(t, m.Finish(serverFinal))
		})
	}
}

// A -PLUS mechanism named outright with no binding in common is refused.
func TestNewPlusWithoutBinding(t *testing.T) {
	c13, _ := tlsPair(t, tls.VersionTLS13)
	_, err := New("SCRAM-SHA-1-PLUS", &Config{Username: "u", Password: "p"}, Stream{TLS: &c13})
	assert.ErrorIs(t, err, ErrNoMechanism)
	_, err = New("SCRAM-SHA-1-PLUS", &Config{Username: "u", Password: "p"}, Stream{})
	assert.ErrorIs(t, err, ErrNoMechanism)
}
