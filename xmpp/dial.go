package xmpp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/proxy"
)

// target is one place to connect to.
type target struct {
	addr      string // host:port
	directTLS bool
	priority  uint16
}

// resolve returns the targets for the configured account: Config.Addr
// alone when set; else the SRV records for _xmpps-client._tcp (direct TLS,
// XEP-0368) and _xmpp-client._tcp (STARTTLS) merged by priority; else the
// domain on port 5222 (RFC 6120 section 3.2).
func (c *Config) resolve(ctx context.Context) ([]target, error) {
	if c.Addr != "" {
		return []target{{addr: c.Addr, directTLS: c.DirectTLS}}, nil
	}
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

// ProxyDialer returns a Dialer that connects through the proxy at u:
// socks5:// (with user:password if given, through golang.org/x/net/proxy)
// or http:// (HTTP CONNECT, with basic authentication if u has a user).
// forward opens the connection to the proxy itself; nil means a
// net.Dialer.
func ProxyDialer(u *url.URL, forward Dialer) (Dialer, error) {
	if forward == nil {
		forward = new(net.Dialer)
	}
	switch u.Scheme {
	case "socks5", "socks5h":
		var auth *proxy.Auth
		if u.User != nil {
			pw, _ := u.User.Password()
			auth = &proxy.Auth{User: u.User.Username(), Password: pw}
		}
		d, err := proxy.SOCKS5("tcp", proxyAddr(u, "1080"), auth, forwardDialer{forward})
		if err != nil {
			return nil, fmt.Errorf("xmpp: SOCKS5 proxy %s: %w", u.Host, err)
		}
		cd, ok := d.(proxy.ContextDialer)
		if !ok {
			return nil, fmt.Errorf("xmpp: SOCKS5 proxy %s: the dialer cannot take a context", u.Host)
		}
		return cd, nil
	case "http":
		return &connectDialer{proxy: u, forward: forward}, nil
	}
	return nil, fmt.Errorf("xmpp: unsupported proxy scheme %q (want socks5 or http)", u.Scheme)
}

// proxyAddr is the proxy's host:port, with the scheme's default port when
// the URL names none.
func proxyAddr(u *url.URL, port string) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// forwardDialer gives a Dialer the proxy.Dialer method x/net/proxy wants.
type forwardDialer struct{ Dialer }

func (f forwardDialer) Dial(network, addr string) (net.Conn, error) {
	return f.DialContext(context.Background(), network, addr)
}

// connectDialer tunnels through an HTTP proxy with CONNECT (RFC 9110
// section 9.3.6).
type connectDialer struct {
	proxy   *url.URL
	forward Dialer
}

func (d *connectDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := d.forward.DialContext(ctx, network, proxyAddr(d.proxy, "80"))
	if err != nil {
		return nil, fmt.Errorf("xmpp: HTTP proxy %s: %w", d.proxy.Host, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	defer stop()
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: make(http.Header),
	}
	if u := d.proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("xmpp: HTTP proxy %s: %w", d.proxy.Host, err)
	}
	// Read the response byte by byte through a buffer no larger than what
	// the proxy sends before the tunnel starts: the server's first bytes
	// must stay in conn.
	br := bufio.NewReaderSize(&oneByteReader{conn}, 16)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("xmpp: HTTP proxy %s: %w", d.proxy.Host, ctxErr(ctx, err))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("xmpp: HTTP proxy %s refused CONNECT %s: %s", d.proxy.Host, addr, resp.Status)
	}
	if !stop() {
		// ctx ended: its deadline may be set on conn, or about to be.
		conn.Close()
		return nil, ctx.Err()
	}
	conn.SetDeadline(noDeadline)
	return conn, nil
}

// oneByteReader reads one byte at a time, so that a buffered reader on top
// of it never consumes past what it parses.
type oneByteReader struct{ c net.Conn }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return r.c.Read(p)
}
