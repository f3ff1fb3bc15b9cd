package xmpp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"

	"github.com/gosmack/gosmack/jid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests pin the pieces of the connect path that need no network:
// how the SRV answers become targets (RFC 6120 section 3.2, XEP-0368),
// where a see-other-host redirect goes, and the TLS configuration each
// connection gets. dns_test.go runs the same path against a DNS server.

func netSRV(target string, port, priority, weight uint16) *net.SRV {
	return &net.SRV{Target: target, Port: port, Priority: priority, Weight: weight}
}

func TestSRVTargets(t *testing.T) {
	for _, tc := range []struct {
		name             string
		direct, starttls []*net.SRV
		useTLS           bool
		want             []target
		wantErr          error
	}{
		{
			name: "no records",
			want: nil,
		},
		{
			name:     "STARTTLS only, trailing dot trimmed",
			starttls: []*net.SRV{netSRV("xmpp.example.com.", 5222, 0, 0)},
			useTLS:   true,
			want:     []target{{addr: "xmpp.example.com:5222"}},
		},
		{
			name:   "direct TLS only",
			direct: []*net.SRV{netSRV("tls.example.com.", 5223, 3, 0)},
			useTLS: true,
			want:   []target{{addr: "tls.example.com:5223", directTLS: true, priority: 3}},
		},
		{
			name:   "target without a trailing dot kept as is",
			direct: []*net.SRV{netSRV("tls.example.com", 443, 0, 0)},
			useTLS: true,
			want:   []target{{addr: "tls.example.com:443", directTLS: true}},
		},
		{
			// Each answer arrives sorted (LookupSRV); the merge interleaves
			// them by priority, lowest first.
			name:     "merged by priority",
			direct:   []*net.SRV{netSRV("d5.", 5223, 5, 0), netSRV("d20.", 5223, 20, 0)},
			starttls: []*net.SRV{netSRV("s1.", 5222, 1, 0), netSRV("s10.", 5222, 10, 0), netSRV("s30.", 5222, 30, 0)},
			useTLS:   true,
			want: []target{
				{addr: "s1:5222", priority: 1},
				{addr: "d5:5223", directTLS: true, priority: 5},
				{addr: "s10:5222", priority: 10},
				{addr: "d20:5223", directTLS: true, priority: 20},
				{addr: "s30:5222", priority: 30},
			},
		},
		{
			name:     "direct TLS first on equal priority, weight order kept",
			direct:   []*net.SRV{netSRV("d-a.", 5223, 10, 60), netSRV("d-b.", 5223, 10, 40)},
			starttls: []*net.SRV{netSRV("s-a.", 5222, 10, 90), netSRV("s-b.", 5222, 10, 10)},
			useTLS:   true,
			want: []target{
				{addr: "d-a:5223", directTLS: true, priority: 10},
				{addr: "d-b:5223", directTLS: true, priority: 10},
				{addr: "s-a:5222", priority: 10},
				{addr: "s-b:5222", priority: 10},
			},
		},
		{
			name:     "direct TLS skipped when TLS is disabled",
			direct:   []*net.SRV{netSRV("tls.example.com.", 5223, 0, 0)},
			starttls: []*net.SRV{netSRV("xmpp.example.com.", 5222, 10, 0)},
			useTLS:   false,
			want:     []target{{addr: "xmpp.example.com:5222", priority: 10}},
		},
		{
			name:   "direct TLS only, TLS disabled: nothing (the caller falls back to the domain)",
			direct: []*net.SRV{netSRV("tls.example.com.", 5223, 0, 0)},
			useTLS: false,
			want:   nil,
		},
		{
			name:     "IPv6 literal target gets brackets",
			starttls: []*net.SRV{netSRV("2001:db8::1", 5222, 0, 0)},
			useTLS:   true,
			want:     []target{{addr: "[2001:db8::1]:5222"}},
		},
		{
			name:     "dot alone: no service",
			starttls: []*net.SRV{netSRV(".", 0, 0, 0)},
			useTLS:   true,
			wantErr:  errNoService,
		},
		{
			name:     "dot alone, TLS disabled: no service",
			starttls: []*net.SRV{netSRV(".", 0, 0, 0)},
			useTLS:   false,
			wantErr:  errNoService,
		},
		{
			name:     "dot in both answers: no service",
			direct:   []*net.SRV{netSRV(".", 0, 0, 0)},
			starttls: []*net.SRV{netSRV(".", 0, 0, 0)},
			useTLS:   true,
			wantErr:  errNoService,
		},
		{
			name:     "empty target counts as dot",
			starttls: []*net.SRV{netSRV("", 0, 0, 0)},
			useTLS:   true,
			wantErr:  errNoService,
		},
		{
			name:     "dot mixed with real targets is ignored",
			starttls: []*net.SRV{netSRV(".", 0, 0, 0), netSRV("xmpp.example.com.", 5222, 5, 0)},
			useTLS:   true,
			want:     []target{{addr: "xmpp.example.com:5222", priority: 5}},
		},
		{
			name:     "STARTTLS dot, direct TLS offered: direct TLS used",
			direct:   []*net.SRV{netSRV("tls.example.com.", 5223, 0, 0)},
			starttls: []*net.SRV{netSRV(".", 0, 0, 0)},
			useTLS:   true,
			want:     []target{{addr: "tls.example.com:5223", directTLS: true}},
		},
		{
			name:     "direct TLS dot, STARTTLS offered: STARTTLS used",
			direct:   []*net.SRV{netSRV(".", 0, 0, 0)},
			starttls: []*net.SRV{netSRV("xmpp.example.com.", 5222, 0, 0)},
			useTLS:   true,
			want:     []target{{addr: "xmpp.example.com:5222"}},
		},
		{
			name:     "STARTTLS dot, TLS disabled, direct TLS offered: no service",
			direct:   []*net.SRV{netSRV("tls.example.com.", 5223, 0, 0)},
			starttls: []*net.SRV{netSRV(".", 0, 0, 0)},
			useTLS:   false,
			wantErr:  errNoService,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := srvTargets(tc.direct, tc.starttls, tc.useTLS)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestSRVTargetsDirectTLSDotOnly: a domain that publishes
// "_xmpps-client._tcp SRV 0 0 0 ." (no direct TLS) and no _xmpp-client
// records says nothing about STARTTLS, so RFC 6120 section 3.2 falls back
// to the domain on 5222, as it does when TLS is disabled. srvTargets
// once returned errNoService instead.
func TestSRVTargetsDirectTLSDotOnly(t *testing.T) {
	got, err := srvTargets([]*net.SRV{netSRV(".", 0, 0, 0)}, nil, true)
	require.NoError(t, err)
	assert.Empty(t, got, "no targets: resolve falls back to the domain")
}

func TestResolveWithoutDNS(t *testing.T) {
	// A resolver whose every query fails the test: these cases must not
	// look anything up.
	noDNS := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		t.Errorf("unexpected DNS query (%s %s)", network, address)
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError("none")}
	}}
	for _, tc := range []struct {
		name string
		cfg  Config
		want []target
	}{
		{"Addr", Config{JID: jid.MustParse("alice@example.com"), Addr: "10.0.0.1:5999"}, []target{{addr: "10.0.0.1:5999"}}},
		{"Addr, direct TLS", Config{JID: jid.MustParse("alice@example.com"), Addr: "xmpp.example.net:443", DirectTLS: true}, []target{{addr: "xmpp.example.net:443", directTLS: true}}},
		{"IPv4 domain", Config{JID: jid.MustParse("alice@192.0.2.7")}, []target{{addr: "192.0.2.7:5222"}}},
		{"IPv6 domain", Config{JID: jid.MustParse("alice@[2001:db8::7]")}, []target{{addr: "[2001:db8::7]:5222"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Resolver = noDNS
			got, err := tc.cfg.resolve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestOtherHostAddr(t *testing.T) {
	for in, want := range map[string]string{
		"other.example":           "other.example:5222",
		"other.example:5333":      "other.example:5333",
		"192.0.2.1":               "192.0.2.1:5222",
		"192.0.2.1:5269":          "192.0.2.1:5269",
		"[2001:db8::1]:5333":      "[2001:db8::1]:5333",
		"[2001:db8::1]":           "[2001:db8::1]:5222",
		"2001:db8::1":             "[2001:db8::1]:5222",
		"::1":                     "[::1]:5222",
		"xn--bcher-kva.example":   "xn--bcher-kva.example:5222",
		"xn--bcher-kva.example:1": "xn--bcher-kva.example:1",
	} {
		assert.Equal(t, want, otherHostAddr(in), "otherHostAddr(%q)", in)
	}
}

func TestTLSConfig(t *testing.T) {
	alice := jid.MustParse("alice@example.com/phone")

	t.Run("defaults", func(t *testing.T) {
		// Whatever the target (SRV target, Addr), the certificate is
		// checked against the XMPP domain (RFC 6120 section 13.7.2.1).
		for _, cfg := range []Config{
			{JID: alice},
			{JID: alice, Addr: "xmpp.hosting.example:5222"},
			{JID: alice, Addr: "192.0.2.1:5223", DirectTLS: true},
		} {
			for _, direct := range []bool{false, true} {
				tc := cfg.tlsConfig(direct)
				assert.Equal(t, "example.com", tc.ServerName)
				assert.Equal(t, uint16(tls.VersionTLS12), tc.MinVersion)
				assert.Nil(t, tc.RootCAs, "nil: the system roots")
				assert.False(t, tc.InsecureSkipVerify)
				if direct {
					assert.Equal(t, []string{"xmpp-client"}, tc.NextProtos, "XEP-0368 ALPN for direct TLS")
				} else {
					assert.Empty(t, tc.NextProtos, "no ALPN for STARTTLS")
				}
			}
		}
	})

	t.Run("user's config kept and not modified", func(t *testing.T) {
		roots := x509.NewCertPool()
		user := &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS13}
		cfg := Config{JID: alice, TLS: user}
		for _, direct := range []bool{false, true} {
			tc := cfg.tlsConfig(direct)
			require.NotSame(t, user, tc, "a copy, not the user's value")
			assert.Same(t, roots, tc.RootCAs)
			assert.Equal(t, uint16(tls.VersionTLS13), tc.MaxVersion)
			assert.Equal(t, "example.com", tc.ServerName)
			assert.Equal(t, uint16(tls.VersionTLS12), tc.MinVersion)
		}
		// The user's value is as it was.
		assert.Empty(t, user.ServerName)
		assert.Zero(t, user.MinVersion)
		assert.Nil(t, user.NextProtos)
	})

	t.Run("user's settings win", func(t *testing.T) {
		user := &tls.Config{ServerName: "cert-name.example", MinVersion: tls.VersionTLS13, NextProtos: []string{"custom"}}
		cfg := Config{JID: alice, TLS: user}
		tc := cfg.tlsConfig(true)
		assert.Equal(t, "cert-name.example", tc.ServerName)
		assert.Equal(t, uint16(tls.VersionTLS13), tc.MinVersion)
		assert.Equal(t, []string{"custom"}, tc.NextProtos)
		assert.Equal(t, []string{"custom"}, user.NextProtos)
	})

	t.Run("each call a fresh value", func(t *testing.T) {
		cfg := Config{JID: alice}
		a, b := cfg.tlsConfig(true), cfg.tlsConfig(true)
		require.NotSame(t, a, b)
		a.NextProtos[0] = "changed"
		assert.Equal(t, []string{"xmpp-client"}, b.NextProtos)
		assert.Equal(t, []string{"xmpp-client"}, cfg.tlsConfig(true).NextProtos)
	})
}
