package sasl

import (
	"crypto/tls"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the servers offer, as they offer it.
var (
	// The seed's Openfire (../shared/seeds).
	openfire = []string{"PLAIN", "SCRAM-SHA-1", "CRAM-MD5", "DIGEST-MD5"}
	// ejabberd 23.01, on any TLS version.
	ejabberd = []string{"DIGEST-MD5", "PLAIN", "SCRAM-SHA-512-PLUS", "SCRAM-SHA-512", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "X-OAUTH2"}
	// Prosody 0.12 on TLS 1.3.
	prosody = []string{"SCRAM-SHA-256", "PLAIN", "SCRAM-SHA-1"}
)

func TestSelect(t *testing.T) {
	c13, _ := tlsPair(t, tls.VersionTLS13)
	c12, _ := tlsPair(t, tls.VersionTLS12)
	password := Config{Username: "juliet", Password: "pw"}
	cases := []struct {
		name    string
		cfg     Config
		st      Stream
		want    string
		wantErr error
	}{
		{"Openfire over TLS", password, Stream{Mechanisms: openfire, TLS: &c13}, "SCRAM-SHA-1", nil},
		{"ejabberd TLS 1.3", password, Stream{Mechanisms: ejabberd, TLS: &c13}, "SCRAM-SHA-512", nil},
		{"ejabberd TLS 1.2", password, Stream{Mechanisms: ejabberd, TLS: &c12}, "SCRAM-SHA-512-PLUS", nil},
		{"Prosody TLS 1.3", password, Stream{Mechanisms: prosody, TLS: &c13}, "SCRAM-SHA-256", nil},
		{"allow list", Config{Username: "juliet", Password: "pw", Mechanisms: []string{"SCRAM-SHA-1", "PLAIN"}}, Stream{Mechanisms: ejabberd, TLS: &c12}, "SCRAM-SHA-1", nil},
		{"allow list PLAIN only", Config{Username: "juliet", Password: "pw", Mechanisms: []string{"PLAIN"}}, Stream{Mechanisms: ejabberd, TLS: &c13}, "PLAIN", nil},
		{"PLAIN only, no TLS", password, Stream{Mechanisms: []string{"PLAIN"}}, "", ErrPlainWithoutTLS},
		{"PLAIN only, no TLS, allowed in writing", Config{Username: "juliet", Password: "pw", AllowPlainWithoutTLS: true}, Stream{Mechanisms: []string{"PLAIN"}}, "PLAIN", nil},
		{"SCRAM preferred to PLAIN without TLS", password, Stream{Mechanisms: openfire}, "SCRAM-SHA-1", nil},
		{"only obsolete mechanisms", password, Stream{Mechanisms: []string{"DIGEST-MD5", "CRAM-MD5"}, TLS: &c13}, "", ErrNoMechanism},
		{"nothing offered", password, Stream{TLS: &c13}, "", ErrNoMechanism},
		{"token: X-OAUTH2", Config{Username: "juliet", Token: "tok"}, Stream{Mechanisms: ejabberd, TLS: &c13}, "X-OAUTH2", nil},
		{"token: OAUTHBEARER preferred", Config{Username: "juliet", Token: "tok"}, Stream{Mechanisms: []string{"X-OAUTH2", "OAUTHBEARER"}, TLS: &c13}, "OAUTHBEARER", nil},
		{"token without TLS", Config{Username: "juliet", Token: "tok"}, Stream{Mechanisms: []string{"OAUTHBEARER"}}, "", ErrPlainWithoutTLS},
		{"anonymous", Config{}, Stream{Mechanisms: []string{"PLAIN", "ANONYMOUS"}, TLS: &c13}, "ANONYMOUS", nil},
		{"no anonymous with credentials", password, Stream{Mechanisms: []string{"ANONYMOUS"}, TLS: &c13}, "", ErrNoMechanism},
		{"external", Config{External: true}, Stream{Mechanisms: []string{"PLAIN", "EXTERNAL"}, TLS: &c13}, "EXTERNAL", nil},
		{"external not asked for", Config{}, Stream{Mechanisms: []string{"EXTERNAL"}, TLS: &c13}, "", ErrNoMechanism},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Select(&tc.cfg, tc.st)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				assert.ErrorIs(t, err, ErrNoMechanism)
				assert.Nil(t, m)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, m.Name())
		})
	}
}

func TestSelectExplains(t *testing.T) {
	_, err := Select(&Config{Username: "u", Password: "p"}, Stream{Mechanisms: []string{"DIGEST-MD5", "CRAM-MD5", "GSSAPI"}})
	require.Error(t, err)
	assert.EqualError(t, err, "sasl: no usable mechanism in common with the server (DIGEST-MD5: obsolete (RFC 6331), not implemented; CRAM-MD5: obsolete (RFC 6331), not implemented; GSSAPI: not implemented)")

	_, err = Select(&Config{Username: "u", Password: "p"}, Stream{Mechanisms: []string{"PLAIN"}})
	assert.ErrorContains(t, err, "PLAIN: the stream is not encrypted")
}

func TestPreferredOrder(t *testing.T) {
	p := Preferred()
	assert.Equal(t, "SCRAM-SHA-512-PLUS", p[0])
	assert.Equal(t, "PLAIN", p[len(p)-1])
	p[0] = "changed"
	assert.Equal(t, "SCRAM-SHA-512-PLUS", Preferred()[0], "Preferred returns a copy")
}

func TestOneShotMechanisms(t *testing.T) {
	c13, _ := tlsPair(t, tls.VersionTLS13)
	st := Stream{TLS: &c13}
	cases := []struct {
		mech    string
		cfg     Config
		initial string
	}{
		{"PLAIN", Config{Username: "juliet", Password: "r0m30"}, "\x00juliet\x00r0m30"},
		{"PLAIN", Config{Username: "juliet", Password: "r0m30", Authzid: "romeo@example.net"}, "romeo@example.net\x00juliet\x00r0m30"},
		{"PLAIN", Config{Username: "juliet", Password: "a\u00a0b"}, "\x00juliet\x00a b"},
		{"X-OAUTH2", Config{Username: "juliet", Token: "ya29.tok"}, "\x00juliet\x00ya29.tok"},
		{"OAUTHBEARER", Config{Token: "vF9dft4qmT"}, "n,,\x01auth=Bearer vF9dft4qmT\x01\x01"},
		{"OAUTHBEARER", Config{Token: "vF9dft4qmT", Authzid: "user@example.com"}, "n,a=user@example.com,\x01auth=Bearer vF9dft4qmT\x01\x01"},
		{"EXTERNAL", Config{External: true}, ""},
		{"EXTERNAL", Config{External: true, Authzid: "juliet@example.com"}, "juliet@example.com"},
		{"ANONYMOUS", Config{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.mech+"/"+tc.initial, func(t *testing.T) {
			m, err := New(tc.mech, &tc.cfg, st)
			require.NoError(t, err)
			assert.Error(t, m.Finish(nil), "success before the initial response")
			ir, err := m.Step(nil)
			require.NoError(t, err)
			assert.NotNil(t, ir, "the initial response is always sent, empty as '='")
			assert.Equal(t, tc.initial, string(ir))
			require.NoError(t, m.Finish(nil))
		})
	}

	// OAUTHBEARER answers the server's error challenge with 0x01 so that
	// the server sends its failure (RFC 7628 section 3.2.3); the others
	// take no challenge.
	m, err := New("OAUTHBEARER", &Config{Token: "expired"}, st)
	require.NoError(t, err)
	_, _ = m.Step(nil)
	resp, err := m.Step([]byte(`{"status":"invalid_token"}`))
	require.NoError(t, err)
	assert.Equal(t, []byte{1}, resp)
	m, err = New("PLAIN", &Config{Username: "u", Password: "p"}, st)
	require.NoError(t, err)
	_, _ = m.Step(nil)
	_, err = m.Step([]byte("?"))
	assert.ErrorIs(t, err, ErrUnexpected)

	for _, cfg := range []Config{{Username: "u\x00x", Password: "p"}, {Username: "u", Password: ""}, {Username: "", Password: "p"}} {
		_, err := New("PLAIN", &cfg, st)
		assert.ErrorIs(t, err, ErrCredentials, "%+v", cfg)
	}
	_, err = New("OAUTHBEARER", &Config{}, st)
	assert.ErrorIs(t, err, ErrCredentials)
	_, err = New("DIGEST-MD5", &Config{}, st)
	assert.ErrorIs(t, err, ErrNoMechanism)
	_, err = New("SCRAM-MD5", &Config{}, st)
	assert.ErrorIs(t, err, ErrNoMechanism)
}

func TestFailure(t *testing.T) {
	f := &Failure{Condition: NotAuthorized, Text: "Wrong password", Lang: "en"}
	var err error = f
	assert.True(t, errors.Is(err, &Failure{}))
	assert.True(t, errors.Is(err, &Failure{Condition: NotAuthorized}))
	assert.False(t, errors.Is(err, &Failure{Condition: AccountDisabled}))
	assert.False(t, errors.Is(err, &Failure{Condition: NotAuthorized, Text: "other"}))
	assert.EqualError(t, f, "sasl: authentication failed: not-authorized: Wrong password")
	assert.EqualError(t, &Failure{Condition: Aborted}, "sasl: authentication failed: aborted")

	want := []string{"aborted", "account-disabled", "credentials-expired", "encryption-required",
		"incorrect-encoding", "invalid-authzid", "invalid-mechanism", "malformed-request",
		"mechanism-too-weak", "not-authorized", "temporary-auth-failure"}
	var got []string
	for _, c := range Conditions() {
		got = append(got, string(c))
	}
	assert.Equal(t, want, got, "RFC 6120 section 6.5's conditions")
}

// Regression cases from review: each was a way to succeed or to send what
// should have been refused.
func TestReviewRegressions(t *testing.T) {
	c13, _ := tlsPair(t, tls.VersionTLS13)
	st := Stream{TLS: &c13}

	t.Run("OAUTHBEARER success after an error challenge", func(t *testing.T) {
		m, err := New("OAUTHBEARER", &Config{Token: "tok"}, st)
		require.NoError(t, err)
		_, _ = m.Step(nil)
		_, err = m.Step([]byte(`{"status":"invalid_token"}`))
		require.NoError(t, err)
		assert.ErrorIs(t, m.Finish(nil), ErrUnexpected)
	})
	t.Run("OAUTHBEARER token characters", func(t *testing.T) {
		for _, tok := range []string{"a b", "a\x00", "a\x01", "", "="} {
			_, err := New("OAUTHBEARER", &Config{Token: tok}, st)
			assert.ErrorIs(t, err, ErrCredentials, "%q", tok)
		}
		_, err := New("OAUTHBEARER", &Config{Token: "abc-._~+/=="}, st)
		assert.NoError(t, err)
	})
	t.Run("X-OAUTH2 without a username is passed over", func(t *testing.T) {
		m, err := Select(&Config{Token: "tok"}, Stream{Mechanisms: []string{"X-OAUTH2", "OAUTHBEARER"}, TLS: &c13})
		require.NoError(t, err)
		assert.Equal(t, "OAUTHBEARER", m.Name())
	})
	t.Run("EXTERNAL needs TLS", func(t *testing.T) {
		_, err := Select(&Config{External: true}, Stream{Mechanisms: []string{"EXTERNAL"}})
		assert.ErrorIs(t, err, ErrNoMechanism)
	})
	t.Run("SCRAM names must be UTF-8 without NUL", func(t *testing.T) {
		for _, cfg := range []Config{{Username: "u\x00", Password: "p"}, {Username: "\xff", Password: "p"}, {Username: "u", Password: "p", Authzid: "a\x00"}} {
			m, err := New("SCRAM-SHA-1", &cfg, Stream{})
			require.NoError(t, err)
			_, err = m.Step(nil)
			assert.ErrorIs(t, err, ErrCredentials, "%+v", cfg)
		}
	})
	t.Run("SCRAM nonce must be printable", func(t *testing.T) {
		m, err := New("SCRAM-SHA-1", &Config{Username: "u", Password: "p"}, Stream{})
		require.NoError(t, err)
		m.(*scram).clientNonce = "abc"
		_, _ = m.Step(nil)
		_, err = m.Step([]byte("r=abc\x7f,s=c2FsdA==,i=4096"))
		assert.ErrorIs(t, err, ErrMalformed)
	})
	t.Run("SCRAM Finish after a failed Finish", func(t *testing.T) {
		m, err := New("SCRAM-SHA-256", &Config{Username: "juliet", Password: "pw"}, Stream{})
		require.NoError(t, err)
		ts := &testServer{h: scramHashes["SHA-256"], password: "pw", salt: []byte("salt"), iter: 4096}
		first, _ := m.Step(nil)
		final, err := m.Step(ts.first(t, first))
		require.NoError(t, err)
		good, err := ts.final(final)
		require.NoError(t, err)
		_, err = m.Step(good)
		require.NoError(t, err)
		assert.Error(t, m.Finish([]byte("v=AAAA")))
		assert.Error(t, m.Finish(nil), "a failed exchange stays failed")
	})
	t.Run("iteration ceiling", func(t *testing.T) {
		assert.Equal(t, 1_000_000, (&Config{}).maxIterations())
	})
}
