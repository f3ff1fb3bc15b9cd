package sasl

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The exchanges printed in RFC 5802 section 5 (SCRAM-SHA-1) and RFC 7677
// section 3 (SCRAM-SHA-256), byte for byte.
func TestRFCVectors(t *testing.T) {
	cases := []struct {
		mech, nonce, clientFirst, serverFirst, clientFinal, serverFinal string
	}{
		{
			mech:        "SCRAM-SHA-1",
			nonce:       "fyko+d2lbbFgONRv9qkxdawL",
			clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
			serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		},
		{
			mech:        "SCRAM-SHA-256",
			nonce:       "rOprNGfwEbeRWgbNEkqO",
			clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		},
	}
	for _, tc := range cases {
		for _, finalAsChallenge := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/final-in-challenge=%v", tc.mech, finalAsChallenge), func(t *testing.T) {
				m, err := New(tc.mech, &Config{Username: "user", Password: "pencil"}, Stream{})
				require.NoError(t, err)
				m.(*scram).clientNonce = tc.nonce
				first, err := m.Step(nil)
				require.NoError(t, err)
				assert.Equal(t, tc.clientFirst, string(first))
				final, err := m.Step([]byte(tc.serverFirst))
				require.NoError(t, err)
				assert.Equal(t, tc.clientFinal, string(final))
				if finalAsChallenge {
					resp, err := m.Step([]byte(tc.serverFinal))
					require.NoError(t, err)
					assert.Empty(t, resp)
					require.NoError(t, m.Finish(nil))
				} else {
					require.NoError(t, m.Finish([]byte(tc.serverFinal)))
				}
			})
		}
	}
}

// testServer is the server side of SCRAM, written from the RFC apart from
// the client code, so that full exchanges check the client against an
// independent implementation.
type testServer struct {
	h        func() hash.Hash
	password string // as stored: already prepared
	salt     []byte
	iter     int
	cbData   []byte // the channel-binding data the server sees

	gs2, clientFirstBare, serverFirst, nonce string
}

func (ts *testServer) hmac(key []byte, data string) []byte {
	m := hmac.New(ts.h, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func (ts *testServer) first(t *testing.T, clientFirst []byte) []byte {
	t.Helper()
	// gs2-header is "flag,[a=authzid]," then client-first-bare.
	parts := strings.SplitN(string(clientFirst), ",", 3)
	require.Len(t, parts, 3, "client-first %q", clientFirst)
	ts.gs2 = parts[0] + "," + parts[1] + ","
	ts.clientFirstBare = parts[2]
	_, cnonce, ok := strings.Cut(ts.clientFirstBare, ",r=")
	require.True(t, ok)
	ts.nonce = cnonce + "SERVERNONCE"
	ts.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", ts.nonce, base64.StdEncoding.EncodeToString(ts.salt), ts.iter)
	return []byte(ts.serverFirst)
}

// final checks the client's proof and channel binding and returns the
// server-final-message.
func (ts *testServer) final(clientFinal []byte) ([]byte, error) {
	withoutProof, proofB64, ok := strings.Cut(string(clientFinal), ",p=")
	if !ok {
		return nil, errors.New("no proof")
	}
	wantC := "c=" + base64.StdEncoding.EncodeToString(append([]byte(ts.gs2), ts.cbData...)) + ",r=" + ts.nonce
	if withoutProof != wantC {
		return nil, fmt.Errorf("client-final %q, want %q", withoutProof, wantC)
	}
	salted, err := pbkdf2.Key(ts.h, ts.password, ts.salt, ts.iter, ts.h().Size())
	if err != nil {
		return nil, err
	}
	authMessage := ts.clientFirstBare + "," + ts.serverFirst + "," + withoutProof
	clientKey := ts.hmac(salted, "Client Key")
	d := ts.h()
	d.Write(clientKey)
	storedKey := d.Sum(nil)
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil || len(proof) != len(clientKey) {
		return nil, errors.New("bad proof encoding")
	}
	recovered := make([]byte, len(proof))
	subtle.XORBytes(recovered, proof, ts.hmac(storedKey, authMessage))
	d = ts.h()
	d.Write(recovered)
	if !bytes.Equal(d.Sum(nil), storedKey) {
		return nil, errors.New("proof does not verify")
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(ts.hmac(ts.hmac(salted, "Server Key"), authMessage))), nil
}

// exchange runs m against ts to the end.
func exchange(t *testing.T, m Mechanism, ts *testServer) error {
	t.Helper()
	first, err := m.Step(nil)
	require.NoError(t, err)
	final, err := m.Step(ts.first(t, first))
	if err != nil {
		return err
	}
	serverFinal, err := ts.final(final)
	if err != nil {
		return err
	}
	return m.Finish(serverFinal)
}

func TestFullExchange(t *testing.T) {
	for _, mech := range []string{"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		hashName := strings.TrimPrefix(mech, "SCRAM-")
		for _, tc := range []struct {
			name, user, password, stored, authzid string
		}{
			{"plain ASCII", "juliet", "r0m30myr0m30", "r0m30myr0m30", ""},
			{"comma and equals in names", "a,b=c", "pw", "pw", "admin=1,x@example.com"},
			{"password mapped by OpaqueString", "juliet", "caf\u0065\u0301\u00a0bar", "caf\u00e9 bar", ""},
		} {
			t.Run(mech+"/"+tc.name, func(t *testing.T) {
				cfg := &Config{Username: tc.user, Password: tc.password, Authzid: tc.authzid}
				m, err := New(mech, cfg, Stream{})
				require.NoError(t, err)
				ts := &testServer{h: scramHashes[hashName], password: tc.stored, salt: []byte("NaCl salt"), iter: 4096}
				require.NoError(t, exchange(t, m, ts))
				if tc.authzid != "" {
					assert.Equal(t, "n,a="+saslName(tc.authzid)+",", ts.gs2)
				}
				assert.Contains(t, ts.clientFirstBare, "n="+saslName(tc.user)+",")
			})
		}
		t.Run(mech+"/wrong password", func(t *testing.T) {
			m, err := New(mech, &Config{Username: "juliet", Password: "wrong"}, Stream{})
			require.NoError(t, err)
			ts := &testServer{h: scramHashes[hashName], password: "right", salt: []byte("salt"), iter: 4096}
			assert.ErrorContains(t, exchange(t, m, ts), "proof does not verify")
		})
	}
	assert.Equal(t, "a=3D=2Cb", saslName("a=,b"))
}

// A server that does not know the password cannot produce the signature:
// every way of skipping or faking it is a failure, never a success.
func TestServerSignatureFailures(t *testing.T) {
	start := func(t *testing.T) (Mechanism, *testServer, []byte) {
		m, err := New("SCRAM-SHA-256", &Config{Username: "juliet", Password: "pw"}, Stream{})
		require.NoError(t, err)
		ts := &testServer{h: scramHashes["SHA-256"], password: "pw", salt: []byte("salt"), iter: 4096}
		first, err := m.Step(nil)
		require.NoError(t, err)
		final, err := m.Step(ts.first(t, first))
		require.NoError(t, err)
		serverFinal, err := ts.final(final)
		require.NoError(t, err)
		return m, ts, serverFinal
	}
	t.Run("wrong signature", func(t *testing.T) {
		m, _, good := start(t)
		bad := bytes.Clone(good)
		bad[5] ^= 1
		assert.ErrorIs(t, m.Finish(bad), ErrServerSignature)
	})
	t.Run("signature of another password", func(t *testing.T) {
		m, ts, _ := start(t)
		ts.password = "impostor"
		fake, err := ts.final([]byte("c=x,r=" + ts.nonce + ",p=AAAA"))
		assert.Error(t, err)
		assert.Nil(t, fake)
		assert.ErrorIs(t, m.Finish([]byte("v="+base64.StdEncoding.EncodeToString(make([]byte, 32)))), ErrServerSignature)
	})
	t.Run("success without data", func(t *testing.T) {
		m, _, _ := start(t)
		assert.ErrorIs(t, m.Finish(nil), ErrServerSignature)
	})
	t.Run("success right after client-first", func(t *testing.T) {
		m, err := New("SCRAM-SHA-1", &Config{Username: "juliet", Password: "pw"}, Stream{})
		require.NoError(t, err)
		_, err = m.Step(nil)
		require.NoError(t, err)
		assert.ErrorIs(t, m.Finish([]byte("v=AAAA")), ErrServerSignature)
	})
	t.Run("success before anything", func(t *testing.T) {
		m, err := New("SCRAM-SHA-1", &Config{Username: "juliet", Password: "pw"}, Stream{})
		require.NoError(t, err)
		assert.ErrorIs(t, m.Finish(nil), ErrServerSignature)
	})
	t.Run("success disagrees with verified challenge", func(t *testing.T) {
		m, _, good := start(t)
		_, err := m.Step(good)
		require.NoError(t, err)
		assert.ErrorIs(t, m.Finish([]byte("v=AAAA")), ErrServerSignature)
	})
	t.Run("server error", func(t *testing.T) {
		m, _, _ := start(t)
		err := m.Finish([]byte("e=invalid-proof"))
		assert.ErrorIs(t, err, &Failure{Condition: NotAuthorized})
		assert.ErrorContains(t, err, "invalid-proof")
	})
	t.Run("challenge after the end", func(t *testing.T) {
		m, _, good := start(t)
		require.NoError(t, m.Finish(good))
		_, err := m.Step([]byte("r=x"))
		assert.ErrorIs(t, err, ErrUnexpected)
	})
}

func TestServerFirstFailures(t *testing.T) {
	const cnonce = "clientnonce"
	cases := []struct {
		name, serverFirst string
		want              error
		cfg               Config
	}{
		{"nonce does not extend", "r=othernonce123,s=c2FsdA==,i=4096", ErrNonce, Config{}},
		{"nonce equal to the client's", "r=" + cnonce + ",s=c2FsdA==,i=4096", ErrNonce, Config{}},
		{"nonce is a prefix", "r=client,s=c2FsdA==,i=4096", ErrNonce, Config{}},
		{"iterations below 4096", "r=" + cnonce + "X,s=c2FsdA==,i=4095", ErrIterations, Config{}},
		{"iterations below the configured bound", "r=" + cnonce + "X,s=c2FsdA==,i=5000", ErrIterations, Config{MinIterations: 10000}},
		{"iterations above the bound", "r=" + cnonce + "X,s=c2FsdA==,i=20000000", ErrIterations, Config{}},
		{"empty", "", ErrMalformed, Config{}},
		{"garbage", "hello", ErrMalformed, Config{}},
		{"missing salt", "r=" + cnonce + "X,i=4096", ErrMalformed, Config{}},
		{"order", "s=c2FsdA==,r=" + cnonce + "X,i=4096", ErrMalformed, Config{}},
		{"salt not base64", "r=" + cnonce + "X,s=@@@,i=4096", ErrMalformed, Config{}},
		{"empty salt", "r=" + cnonce + "X,s=,i=4096", ErrMalformed, Config{}},
		{"negative iterations", "r=" + cnonce + "X,s=c2FsdA==,i=-4096", ErrMalformed, Config{}},
		{"plus sign", "r=" + cnonce + "X,s=c2FsdA==,i=+4096", ErrMalformed, Config{}},
		{"huge iterations", "r=" + cnonce + "X,s=c2FsdA==,i=99999999999999999999", ErrMalformed, Config{}},
		{"mandatory extension", "m=ext,r=" + cnonce + "X,s=c2FsdA==,i=4096", ErrMalformed, Config{}},
		{"empty attribute", "r=" + cnonce + "X,,s=c2FsdA==,i=4096", ErrMalformed, Config{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Username, cfg.Password = "juliet", "pw"
			m, err := New("SCRAM-SHA-1", &cfg, Stream{})
			require.NoError(t, err)
			m.(*scram).clientNonce = cnonce
			_, err = m.Step(nil)
			require.NoError(t, err)
			resp, err := m.Step([]byte(tc.serverFirst))
			assert.ErrorIs(t, err, tc.want)
			assert.Nil(t, resp)
			assert.ErrorIs(t, m.Finish([]byte("v=AAAA")), ErrServerSignature, "a failed exchange must never succeed")
		})
	}
	// Extensions after i= are allowed and ignored.
	m, err := New("SCRAM-SHA-1", &Config{Username: "u", Password: "p"}, Stream{})
	require.NoError(t, err)
	m.(*scram).clientNonce = cnonce
	_, _ = m.Step(nil)
	_, err = m.Step([]byte("r=" + cnonce + "X,s=c2FsdA==,i=4096,x=ext"))
	assert.NoError(t, err)
}

func TestCredentialErrors(t *testing.T) {
	m, err := New("SCRAM-SHA-1", &Config{Password: "pw"}, Stream{})
	require.NoError(t, err)
	_, err = m.Step(nil)
	assert.ErrorIs(t, err, ErrCredentials)

	m, err = New("SCRAM-SHA-1", &Config{Username: "u", Password: "\x00bad"}, Stream{})
	require.NoError(t, err)
	_, _ = m.Step(nil)
	_, err = m.Step([]byte("r=" + m.(*scram).clientNonce + "X,s=c2FsdA==,i=4096"))
	assert.ErrorIs(t, err, ErrCredentials, "a password OpaqueString refuses")
}

func TestSaltCache(t *testing.T) {
	var cache SaltCache
	cfg := &Config{Username: "juliet", Password: "pw", Cache: &cache}
	ts := &testServer{h: scramHashes["SHA-256"], password: "pw", salt: []byte("salt"), iter: 4096}
	for range 3 {
		m, err := New("SCRAM-SHA-256", cfg, Stream{})
		require.NoError(t, err)
		require.NoError(t, exchange(t, m, ts))
	}
	assert.Len(t, cache.entries, 1, "three logins with one password, salt and count: one entry")

	// Another salt or count is another entry; a wrong password is not
	// served from the cache.
	ts.iter = 5000
	m, _ := New("SCRAM-SHA-256", cfg, Stream{})
	require.NoError(t, exchange(t, m, ts))
	assert.Len(t, cache.entries, 2)
	wrong := &Config{Username: "juliet", Password: "not-pw", Cache: &cache}
	m, _ = New("SCRAM-SHA-256", wrong, Stream{})
	assert.Error(t, exchange(t, m, ts))

	for i := range saltCacheSize + 10 {
		_, err := cache.saltedPassword("SHA-1", scramHashes["SHA-1"], "pw", []byte{byte(i), 1}, 4096)
		require.NoError(t, err)
	}
	assert.Len(t, cache.entries, saltCacheSize, "the cache is bounded")
	assert.Nil(t, cache.lookup(saltKey("SHA-1", "pw", []byte{9, 1}, 4096)), "the oldest are forgotten first")
	assert.NotNil(t, cache.lookup(saltKey("SHA-1", "pw", []byte{10, 1}, 4096)))
	assert.NotNil(t, cache.lookup(saltKey("SHA-1", "pw", []byte{saltCacheSize + 9, 1}, 4096)))
}
