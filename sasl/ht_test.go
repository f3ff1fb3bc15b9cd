package sasl

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHTNone checks HT-SHA-256-NONE against HMAC-SHA-256 values computed
// with Python's hmac module: the initial response is the username, NUL,
// HMAC(token, "Initiator"); the server proves itself with
// HMAC(token, "Responder").
func TestHTNone(t *testing.T) {
	m, err := NewHT(HTSHA256None, &Config{Username: "juliet"}, "secret-token:fast-abc", Stream{})
	require.NoError(t, err)
	assert.Equal(t, HTSHA256None, m.Name())
	require.Error(t, m.Finish(nil), "no success before the initial response")
	resp, err := m.Step(nil)
	require.NoError(t, err)
	initiator, _ := hex.DecodeString("31a40f95e222589afb8c28c212119413c99f1530ed11458f2ccd141988ee709e")
	assert.Equal(t, append([]byte("juliet\x00"), initiator...), resp)
	_, err = m.Step([]byte("more"))
	assert.ErrorIs(t, err, ErrUnexpected)
	assert.ErrorIs(t, m.Finish(initiator), ErrServerSignature, "the client's own proof is not the server's")
	assert.ErrorIs(t, m.Finish(nil), ErrServerSignature)
	responder, _ := hex.DecodeString("90fd060e34951aa445e2728bb488b74255c5b8355fea618546f7588e5427a204")
	assert.NoError(t, m.Finish(responder))
}

// TestHTBindings: the bound mechanisms hash the channel-binding data
// after the label, and need the connection to produce it.
func TestHTBindings(t *testing.T) {
	c13, _ := tlsPair(t, tls.VersionTLS13)
	c12, _ := tlsPair(t, tls.VersionTLS12)
	cfg := &Config{Username: "juliet"}
	for _, tc := range []struct {
		name string
		cs   *tls.ConnectionState
		typ  string
		ok   bool
	}{
		{HTSHA256Exporter, &c13, TLSExporter, true},
		{HTSHA256Exporter, &c12, TLSExporter, true},
		{HTSHA256Unique, &c12, TLSUnique, true},
		{HTSHA256Unique, &c13, TLSUnique, false},
		{HTSHA256EndPoint, &c13, TLSServerEndPoint, true},
		{HTSHA256Exporter, nil, TLSExporter, false},
	} {
		t.Run(tc.name+"/"+tls.VersionName(version(tc.cs)), func(t *testing.T) {
			m, err := NewHT(tc.name, cfg, "tok", Stream{TLS: tc.cs})
			if !tc.ok {
				assert.ErrorIs(t, err, ErrNoMechanism)
				return
			}
			require.NoError(t, err)
			resp, err := m.Step(nil)
			require.NoError(t, err)
			cb := bindingData(tc.cs, tc.typ)
			require.NotEmpty(t, cb)
			assert.Equal(t, append([]byte("juliet\x00"), mac("tok", "Initiator", cb)...), resp)
			assert.NoError(t, m.Finish(mac("tok", "Responder", cb)))
			assert.Error(t, m.Finish(mac("tok", "Responder", nil)), "a proof without the binding")
		})
	}
}

func version(cs *tls.ConnectionState) uint16 {
	if cs == nil {
		return 0
	}
	return cs.Version
}

func mac(key, label string, cb []byte) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(label))
	h.Write(cb)
	return h.Sum(nil)
}

func TestNewHTRefuses(t *testing.T) {
	_, err := NewHT("HT-MD5-NONE", &Config{Username: "u"}, "tok", Stream{})
	assert.ErrorIs(t, err, ErrNoMechanism)
	_, err = NewHT(HTSHA256None, &Config{}, "tok", Stream{})
	assert.ErrorIs(t, err, ErrCredentials)
	_, err = NewHT(HTSHA256None, &Config{Username: "u"}, "", Stream{})
	assert.ErrorIs(t, err, ErrCredentials)
}

func TestSelectHT(t *testing.T) {
	c13, _ := tlsPair(t, tls.VersionTLS13)
	c12, _ := tlsPair(t, tls.VersionTLS12)
	all := PreferredHT()
	cfg := &Config{}
	assert.Equal(t, HTSHA256Exporter, SelectHT(cfg, all, Stream{TLS: &c13}))
	assert.Equal(t, HTSHA256None, SelectHT(cfg, []string{HTSHA256None, HTSHA256Unique}, Stream{TLS: &c13}), "Prosody on TLS 1.3: no tls-unique")
	assert.Equal(t, HTSHA256Unique, SelectHT(cfg, []string{HTSHA256None, HTSHA256Unique}, Stream{TLS: &c12}))
	assert.Equal(t, HTSHA256EndPoint, SelectHT(cfg, []string{HTSHA256None, HTSHA256EndPoint}, Stream{TLS: &c13}))
	assert.Equal(t, HTSHA256None, SelectHT(cfg, all, Stream{}), "no TLS, nothing to bind")
	assert.Equal(t, "", SelectHT(cfg, []string{"HT-SHA-3-NONE", "SCRAM-SHA-1"}, Stream{TLS: &c13}))
	assert.Equal(t, HTSHA256None, SelectHT(&Config{Mechanisms: []string{"SCRAM-SHA-1", HTSHA256None}}, all, Stream{TLS: &c13}), "the allow list")
	assert.True(t, IsHT(HTSHA256None))
	assert.False(t, IsHT("SCRAM-SHA-1"))
}

// FuzzHTFinish: no success data but the server's proof passes.
func FuzzHTFinish(f *testing.F) {
	f.Add([]byte{})
	f.Add(mac("tok", "Initiator", nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := NewHT(HTSHA256None, &Config{Username: "u"}, "tok", Stream{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Step(nil); err != nil {
			t.Fatal(err)
		}
		if err := m.Finish(data); (err == nil) != hmac.Equal(data, mac("tok", "Responder", nil)) {
			t.Fatalf("Finish(%x) = %v", data, err)
		}
	})
}
