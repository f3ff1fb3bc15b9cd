package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// parse parses args as an example's command line and builds its Config.
func parse(t *testing.T, args ...string) (xmpp.Config, func() error, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := NewFlags(fs)
	require.NoError(t, fs.Parse(args))
	return f.Config()
}

func TestConfig(t *testing.T) {
	t.Setenv(PasswordEnv, "")
	cfg, closeFunc, err := parse(t, "-jid", "Alice@localhost/desk", "-password", "pw", "-addr", "127.0.0.1:15223", "-direct-tls")
	require.NoError(t, err)
	defer closeFunc()
	assert.Equal(t, jid.MustParse("alice@localhost/desk"), cfg.JID)
	assert.Equal(t, "pw", cfg.Password)
	assert.Equal(t, "127.0.0.1:15223", cfg.Addr)
	assert.True(t, cfg.DirectTLS)
	assert.Nil(t, cfg.TLS, "no -ca: the system roots")
	assert.Nil(t, cfg.Mechanisms, "no -mechanism: every mechanism")
	assert.Nil(t, cfg.Logger)
	assert.Nil(t, cfg.Recorder)
	assert.NoError(t, closeFunc())
}

func TestConfigWebSocket(t *testing.T) {
	cfg, _, err := parse(t, "-jid", "alice@localhost", "-websocket", "wss://localhost:15281/xmpp-websocket")
	require.NoError(t, err)
	assert.Equal(t, "wss://localhost:15281/xmpp-websocket", cfg.Addr)
	c := xmpp.New(cfg)
	assert.Equal(t, xmpp.TransportWebSocket, c.Transport())
	assert.Equal(t, "online as  via websocket", Online(c), "no JID before the login")

	cfg, _, err = parse(t, "-jid", "alice@localhost", "-discover")
	require.NoError(t, err)
	assert.True(t, cfg.Discover)
	assert.Empty(t, cfg.Addr)

	cfg, _, err = parse(t, "-jid", "alice@localhost", "-bosh", "https://localhost:15281/http-bind")
	require.NoError(t, err)
	assert.Equal(t, "https://localhost:15281/http-bind", cfg.Addr)
	assert.Equal(t, "online as  via bosh", Online(xmpp.New(cfg)))

	cfg, _, err = parse(t, "-jid", "alice@localhost")
	require.NoError(t, err)
	assert.Equal(t, "online as  via tcp", Online(xmpp.New(cfg)))
}

func TestConfigPassword(t *testing.T) {
	tests := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"flag", "", []string{"-password", "from-flag"}, "from-flag"},
		{"env when the flag is absent", "from-env", nil, "from-env"},
		{"the flag wins over env", "from-env", []string{"-password", "from-flag"}, "from-flag"},
		{"neither", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(PasswordEnv, tt.env)
			cfg, _, err := parse(t, append([]string{"-jid", "alice@localhost"}, tt.args...)...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.Password)
		})
	}
}

func TestConfigMechanism(t *testing.T) {
	cfg, _, err := parse(t, "-jid", "alice@localhost", "-mechanism", "scram-sha-256")
	require.NoError(t, err)
	assert.Equal(t, []string{"SCRAM-SHA-256"}, cfg.Mechanisms, "the allow list holds that mechanism alone, upper-cased")

	_, _, err = parse(t, "-jid", "alice@localhost", "-mechanism", "DIGEST-MD5")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-mechanism DIGEST-MD5: not implemented")
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no -jid", nil, "-jid is required"},
		{"bad -jid", []string{"-jid", "@localhost"}, "-jid @localhost:"},
		{"-direct-tls without -addr", []string{"-jid", "alice@localhost", "-direct-tls"}, "-direct-tls needs -addr"},
		{"-websocket and -addr", []string{"-jid", "alice@localhost", "-addr", "localhost:5222", "-websocket", "wss://localhost/ws"}, "-websocket and -addr: choose one"},
		{"-bosh and -addr", []string{"-jid", "alice@localhost", "-addr", "localhost:5222", "-bosh", "https://localhost/http-bind"}, "-bosh, -websocket and -addr: choose one"},
		{"-bosh not a URL", []string{"-jid", "alice@localhost", "-bosh", "localhost:5280"}, "not an http:// or https:// URL"},
		{"-discover and -bosh", []string{"-jid", "alice@localhost", "-discover", "-bosh", "https://localhost/http-bind"}, "-discover finds where to connect: not with -addr, -websocket or -bosh"},
		{"-discover and -addr", []string{"-jid", "alice@localhost", "-discover", "-addr", "localhost:5222"}, "-discover finds where to connect"},
		{"-websocket not a URL", []string{"-jid", "alice@localhost", "-websocket", "localhost:5280"}, "not a ws:// or wss:// URL"},
		{"-ca missing", []string{"-jid", "alice@localhost", "-ca", filepath.Join(dir, "nope.pem")}, "-ca " + filepath.Join(dir, "nope.pem") + ":"},
		{"-ca not PEM", []string{"-jid", "alice@localhost", "-ca", notPEM}, "no PEM certificate"},
		{"-record in a missing directory", []string{"-jid", "alice@localhost", "-record", filepath.Join(dir, "no", "such.txt")}, "-record:"},
		{"-token-file not a token file", []string{"-jid", "alice@localhost", "-token-file", notPEM}, "-token-file:"},
		{"-token-file in a missing directory", []string{"-jid", "alice@localhost", "-token-file", filepath.Join(dir, "no", "token.json")}, "-token-file:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parse(t, tt.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestConfigCA(t *testing.T) {
	ca, der := newCA(t)
	file := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))

	cfg, _, err := parse(t, "-jid", "alice@localhost", "-ca", file)
	require.NoError(t, err)
	require.NotNil(t, cfg.TLS)
	assert.Empty(t, cfg.TLS.ServerName, "left to xmpp: the JID's domain")
	_, err = ca.Verify(x509.VerifyOptions{Roots: cfg.TLS.RootCAs})
	assert.NoError(t, err, "the pool trusts the certificate in the file")
	onlyFile := x509.NewCertPool()
	onlyFile.AddCert(ca)
	if sys, err := x509.SystemCertPool(); err == nil && !sys.Equal(x509.NewCertPool()) {
		assert.False(t, cfg.TLS.RootCAs.Equal(onlyFile), "the system roots are kept")
	} else {
		assert.True(t, cfg.TLS.RootCAs.Equal(onlyFile), "no system roots: the file alone")
	}
}

// newCA returns a self-signed CA certificate, parsed and DER-encoded.
func newCA(t *testing.T) (*x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cli test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, der
}

func TestConfigVerbose(t *testing.T) {
	cfg, _, err := parse(t, "-jid", "alice@localhost", "-v")
	require.NoError(t, err)
	require.NotNil(t, cfg.Logger)
	assert.True(t, cfg.Logger.Enabled(context.Background(), slog.LevelDebug), "elements are logged at debug level")
}

// TestConfigTokenFile: -token-file keeps FAST tokens in the file, with
// an installation id made at the first run and read back at the next.
func TestConfigTokenFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token.json")
	cfg, _, err := parse(t, "-jid", "alice@localhost", "-token-file", file)
	require.NoError(t, err)
	require.NotNil(t, cfg.SASL2)
	require.NotNil(t, cfg.SASL2.Tokens)
	assert.NotEmpty(t, cfg.SASL2.UserAgent)
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a token is a credential")
	again, _, err := parse(t, "-jid", "alice@localhost", "-token-file", file)
	require.NoError(t, err)
	assert.Equal(t, cfg.SASL2.UserAgent, again.SASL2.UserAgent)
	cfg, _, err = parse(t, "-jid", "alice@localhost")
	require.NoError(t, err)
	assert.Nil(t, cfg.SASL2)
}

func TestConfigRecord(t *testing.T) {
	file := filepath.Join(t.TempDir(), "session.txt")
	cfg, closeFunc, err := parse(t, "-jid", "alice@localhost", "-record", file)
	require.NoError(t, err)
	require.NotNil(t, cfg.Recorder)
	_, err = io.WriteString(cfg.Recorder, "C: <presence/>\n")
	require.NoError(t, err)
	require.NoError(t, closeFunc())
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "C: <presence/>\n", string(b))
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a transcript holds credentials")
}

func TestMainExitCodes(t *testing.T) {
	t.Setenv(PasswordEnv, "")
	var extra string
	define := func(fs *flag.FlagSet) { fs.StringVar(&extra, "to", "", "") }
	tests := []struct {
		name    string
		args    []string
		run     error
		code    int
		wantOut string
		wantTo  string
	}{
		{"ok", []string{"-jid", "alice@localhost"}, nil, 0, "", ""},
		{"the program's own flag", []string{"-jid", "alice@localhost", "-to", "bob@localhost"}, nil, 0, "", "bob@localhost"},
		{"-h", []string{"-h"}, nil, 0, "usage: prog -jid user@domain [flags]", ""},
		{"unknown flag", []string{"-nope"}, nil, 2, "flag provided but not defined: -nope", ""},
		{"stray argument", []string{"-jid", "alice@localhost", "more"}, nil, 2, "prog: unexpected argument \"more\"\n", ""},
		{"bad flag value", []string{"-jid", "alice@localhost", "-direct-tls"}, nil, 2, "prog: -direct-tls needs -addr", ""},
		{"usage error from run", []string{"-jid", "alice@localhost"}, Usagef("-to is required"), 2, "prog: -to is required\n", ""},
		{"run fails", []string{"-jid", "alice@localhost"}, errors.New("connecting as alice@localhost: refused"), 1, "prog: connecting as alice@localhost: refused\n", ""},
		{"a multi-line error on one line", []string{"-jid", "alice@localhost"}, errors.Join(errors.New("a: refused"), errors.New("b: refused")), 1, "prog: a: refused; b: refused\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			ran := false
			code := runMain("prog", tt.args, &out, define, func(ctx context.Context, cfg xmpp.Config) error {
				ran = true
				assert.Equal(t, "alice@localhost", cfg.JID.String())
				assert.Equal(t, tt.wantTo, extra)
				return tt.run
			})
			assert.Equal(t, tt.code, code)
			if tt.wantOut == "" {
				assert.Empty(t, out.String())
			} else {
				assert.Contains(t, out.String(), tt.wantOut)
			}
			if tt.code == 1 {
				assert.Equal(t, 1, strings.Count(out.String(), "\n"), "one line")
			}
			wantRan := tt.run != nil || (tt.code == 0 && tt.name != "-h")
			assert.Equal(t, wantRan, ran, "run is called once the command line is good")
		})
	}
}

func TestMainClosesTheRecording(t *testing.T) {
	file := filepath.Join(t.TempDir(), "session.txt")
	var rec io.Writer
	code := runMain("prog", []string{"-jid", "alice@localhost", "-record", file}, io.Discard, nil, func(ctx context.Context, cfg xmpp.Config) error {
		rec = cfg.Recorder
		return nil
	})
	require.Equal(t, 0, code)
	_, err := io.WriteString(rec, "late\n")
	assert.ErrorIs(t, err, os.ErrClosed)
}
