package xmpp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// target is one place to connect to.
type target struct {
	addr      string // host:port, or the URL of a WebSocket or BOSH
	directTLS bool
	webSocket bool // addr is a WebSocket's URL (websocket.go)
	bosh      bool // addr is a BOSH URL (bosh.go)
	priority  uint16
}

// String names t in errors: its address, or its URL without a password
// it may hold.
func (t target) String() string {
	if !t.webSocket && !t.bosh {
		return t.addr
	}
	u, err := url.Parse(t.addr)
	if err != nil {
		return "the configured URL"
	}
	return u.Redacted()
}

// resolve returns the targets for the configured account: Config.Addr
// alone when set; else, with Config.Discover, the secure WebSocket and
// BOSH endpoints of the domain's host-meta before what follows and its
// plain ones after it; else the SRV records for _xmpps-client._tcp (direct TLS,
// XEP-0368) and _xmpp-client._tcp (STARTTLS) merged by priority; else the
// domain on port 5222 (RFC 6120 section 3.2).
func (c *Config) resolve(ctx context.Context) ([]target, error) {
	if c.webSocket() {
		return []target{{addr: c.Addr, webSocket: true}}, nil
	}
	if c.bosh() {
		return []target{{addr: c.Addr, bosh: true}}, nil
	}
	if c.Addr != "" {
		return []target{{addr: c.Addr, directTLS: c.DirectTLS}}, nil
	}
	if !c.Discover {
		return c.resolveTCP(ctx)
	}
	secure, plain := c.discovered(ctx)
	tcp, err := c.resolveTCP(ctx)
	if err != nil && (len(secure)+len(plain) == 0 || ctx.Err() != nil) {
		return nil, err
	}
	return slices.Concat(secure, tcp, plain), nil
}

// resolveTCP returns the TCP targets of the account's domain: the SRV
// records merged by priority, else the domain on port 5222.
func (c *Config) resolveTCP(ctx context.Context) ([]target, error) {
	domain := c.JID.Domainpart()
	if ip := net.ParseIP(strings.Trim(domain, "[]")); ip != nil {
		return []target{{addr: net.JoinHostPort(ip.String(), defaultPort)}}, nil
	}
	r := c.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	// LookupSRV sorts each answer by priority and shuffles it by weight
	// (RFC 2782). A failed lookup is the same as no records.
	_, direct, _ := r.LookupSRV(ctx, "xmpps-client", "tcp", domain)
	_, starttls, _ := r.LookupSRV(ctx, "xmpp-client", "tcp", domain)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	targets, err := srvTargets(direct, starttls, c.Security != TLSDisabled)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		targets = []target{{addr: net.JoinHostPort(domain, defaultPort)}}
	}
	return targets, nil
}

// errNoService reports a domain whose SRV record is "." (RFC 2782: the
// service is decidedly not available).
var errNoService = errors.New("xmpp: the domain's SRV record says it offers no XMPP service")

// srvTargets merges the two SRV answers, each already in RFC 2782 order,
// by priority; on equal priority the direct-TLS targets come first, as
// XEP-0368 suggests. Direct TLS targets are left out when TLS is disabled.
func srvTargets(direct, starttls []*net.SRV, useTLS bool) ([]target, error) {
	var out []target
	// add appends the records' targets and reports whether the answer was
	// "." (that service decidedly not available).
	add := func(recs []*net.SRV, directTLS bool) (dot bool) {
		for _, r := range recs {
			if r.Target == "." || r.Target == "" {
				dot = true
				continue
			}
			host := strings.TrimSuffix(r.Target, ".")
			out = append(out, target{addr: net.JoinHostPort(host, strconv.Itoa(int(r.Port))), directTLS: directTLS, priority: r.Priority})
		}
		return dot
	}
	if useTLS {
		add(direct, true) // "." here rules out direct TLS only
	}
	if starttlsDot := add(starttls, false); len(out) == 0 && starttlsDot {
		return nil, errNoService
	}
	slices.SortStableFunc(out, func(a, b target) int { return int(a.priority) - int(b.priority) })
	return out, nil
}

// dial connects to t, with TLS from the first byte when t says so.
func (c *Config) dial(ctx context.Context, t target) (net.Conn, error) {
	if t.webSocket {
		return c.dialWebSocket(ctx, t.addr)
	}
	if t.bosh {
		return c.dialBOSH(ctx, t.addr)
	}
	d := c.Dialer
	if d == nil {
		// The targets' names resolve through the same resolver as the
		// SRV records.
		d = &net.Dialer{Resolver: c.Resolver}
	}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	if !t.directTLS {
		return conn, nil
	}
	tc := tls.Client(conn, c.tlsConfig(true))
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", t.addr, err)
	}
	return tc, nil
}
