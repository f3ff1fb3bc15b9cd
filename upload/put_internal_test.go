package upload

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHTTPTLS: the HTTP client's TLS keeps the XMPP roots and checks but
// not what belongs to the XMPP server: its name, ALPN, client
// certificate and Encrypted Client Hello configuration.
func TestHTTPTLS(t *testing.T) {
	base := &tls.Config{
		ServerName:                     "xmpp.example",
		InsecureSkipVerify:             true,
		NextProtos:                     []string{"xmpp-client"},
		Certificates:                   []tls.Certificate{{}},
		EncryptedClientHelloConfigList: []byte{1, 2, 3},
		VerifyConnection:               func(tls.ConnectionState) error { return nil },
		MinVersion:                     tls.VersionTLS10,
	}
	tc := httpTLS(base)
	assert.Empty(t, tc.ServerName)
	assert.False(t, tc.InsecureSkipVerify)
	assert.Nil(t, tc.NextProtos)
	assert.Nil(t, tc.Certificates)
	assert.Nil(t, tc.EncryptedClientHelloConfigList)
	assert.NotNil(t, tc.VerifyConnection, "the Conn's own checks run for HTTP hosts too")
	assert.Equal(t, uint16(tls.VersionTLS12), tc.MinVersion)
	assert.Equal(t, []byte{1, 2, 3}, base.EncryptedClientHelloConfigList, "the Conn's config is not changed")
}
