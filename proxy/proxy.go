package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	xproxy "golang.org/x/net/proxy"

	"github.com/gosmack/gosmack/xmpp"
)

// aLongTimeAgo is a deadline in the past: it makes blocked I/O return.
var aLongTimeAgo = time.Unix(1, 0)

// FromURL returns a dialer for xmpp.Config.Dialer that connects through
// the proxy at u: socks5:// or socks5h:// (SOCKS5, with the user and
// password u names, through golang.org/x/net/proxy) or http:// (HTTP
// CONNECT, with basic authentication when u names a user). forward opens
// the connection to the proxy itself; nil means a net.Dialer. The dialer
// is safe for concurrent use; each DialContext is bounded by its ctx,
// the proxy's answer included.
func FromURL(u *url.URL, forward xmpp.Dialer) (xmpp.Dialer, error) {
	if forward == nil {
		forward = new(net.Dialer)
	}
	switch u.Scheme {
	case "socks5", "socks5h":
		var auth *xproxy.Auth
		if u.User != nil {
			pw, _ := u.User.Password()
			auth = &xproxy.Auth{User: u.User.Username(), Password: pw}
		}
		d, err := xproxy.SOCKS5("tcp", proxyAddr(u, "1080"), auth, forwardDialer{forward})
		if err != nil {
			return nil, fmt.Errorf("proxy: SOCKS5 proxy %s: %w", u.Host, err)
		}
		cd, ok := d.(xproxy.ContextDialer)
		if !ok {
			return nil, fmt.Errorf("proxy: SOCKS5 proxy %s: the dialer cannot take a context", u.Host)
		}
		return cd, nil
	case "http":
		return &connectDialer{proxy: u, forward: forward}, nil
	}
	return nil, fmt.Errorf("proxy: unsupported proxy scheme %q (want socks5 or http)", u.Scheme)
}

// proxyAddr is the proxy's host:port, with the scheme's default port when
// the URL names none.
func proxyAddr(u *url.URL, port string) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// forwardDialer gives an xmpp.Dialer the proxy.Dialer method x/net/proxy
// wants.
type forwardDialer struct{ xmpp.Dialer }

func (f forwardDialer) Dial(network, addr string) (net.Conn, error) {
	return f.DialContext(context.Background(), network, addr)
}

// connectDialer tunnels through an HTTP proxy with CONNECT (RFC 9110
// section 9.3.6).
type connectDialer struct {
	proxy   *url.URL
	forward xmpp.Dialer
}

func (d *connectDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := d.forward.DialContext(ctx, network, proxyAddr(d.proxy, "80"))
	if err != nil {
		return nil, fmt.Errorf("proxy: HTTP proxy %s: %w", d.proxy.Host, err)
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
		return nil, fmt.Errorf("proxy: HTTP proxy %s: %w", d.proxy.Host, err)
	}
	// Read the response byte by byte through a buffer no larger than what
	// the proxy sends before the tunnel starts: the server's first bytes
	// must stay in conn.
	br := bufio.NewReaderSize(&oneByteReader{conn}, 16)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy: HTTP proxy %s: %w", d.proxy.Host, ctxErr(ctx, err))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("proxy: HTTP proxy %s refused CONNECT %s: %s", d.proxy.Host, addr, resp.Status)
	}
	if !stop() {
		// ctx ended: its deadline may be set on conn, or about to be.
		conn.Close()
		return nil, ctx.Err()
	}
	conn.SetDeadline(time.Time{})
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

// ctxErr prefers the context's error when the context ended, since that
// is why a deadline fired.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}
