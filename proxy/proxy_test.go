package proxy_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/proxy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeConnectProxy accepts one connection on 127.0.0.1, reads an HTTP
// request from it, hands it to respond, and writes what respond returns
// in a single Write. It keeps the connection open until the test ends.
type fakeConnectProxy struct {
	addr string
	mu   sync.Mutex
	req  *http.Request
}

func startFakeConnectProxy(t *testing.T, respond func(req *http.Request) []byte) *fakeConnectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &fakeConnectProxy{addr: ln.Addr().String()}
	done := make(chan struct{})
	var conn net.Conn
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conn = c
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			t.Errorf("proxy: reading the request: %v", err)
			return
		}
		p.mu.Lock()
		p.req = req
		p.mu.Unlock()
		if out := respond(req); out != nil {
			c.Write(out)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		if conn != nil {
			conn.Close()
		}
	})
	return p
}

func (p *fakeConnectProxy) Request() *http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.req
}

func proxyURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// TestConnectProxyKeepsTunnelBytes: the bytes that follow the proxy's 200
// response in the same segment belong to the tunnel and must be read
// from the returned connection, whatever the response looks like.
func TestConnectProxyKeepsTunnelBytes(t *testing.T) {
	header := "<?xml version='1.0'?><stream:stream from='example.test' id='s1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	big := header + strings.Repeat("<x/>", 16<<10) // more than any buffer
	for _, tc := range []struct{ name, response, tunnel string }{
		{"bare", "HTTP/1.1 200 Connection established\r\n\r\n", header},
		{"HTTP/1.0", "HTTP/1.0 200 Connection established\r\n\r\n", header},
		{"headers", "HTTP/1.1 200 OK\r\nProxy-Agent: test\r\nX-Long: " + strings.Repeat("a", 300) + "\r\n\r\n", header},
		{"Content-Length 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", header},
		{"Connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", header},
		{"one byte", "HTTP/1.1 200 OK\r\n\r\n", "<"},
		{"large", "HTTP/1.1 200 OK\r\n\r\n", big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startFakeConnectProxy(t, func(*http.Request) []byte { return []byte(tc.response + tc.tunnel) })
			d, err := proxy.FromURL(proxyURL(t, "http://"+p.addr), nil)
			require.NoError(t, err)
			conn, err := d.DialContext(ctxT(t), "tcp", "xmpp.example.test:5222")
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
			got := make([]byte, len(tc.tunnel))
			_, err = io.ReadFull(conn, got)
			require.NoError(t, err, "every tunnel byte must be readable")
			assert.Equal(t, tc.tunnel, string(got))
		})
	}
}

// TestConnectProxyRequest: the CONNECT request names the target, and the
// proxy URL's user info becomes basic Proxy-Authorization.
func TestConnectProxyRequest(t *testing.T) {
	for _, tc := range []struct{ name, url, auth string }{
		{"no user", "http://%s", ""},
		{"user and password", "http://alice:s%3Acret@%s", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s:cret"))},
		{"user only", "http://alice@%s", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startFakeConnectProxy(t, func(*http.Request) []byte { return []byte("HTTP/1.1 200 OK\r\n\r\n") })
			d, err := proxy.FromURL(proxyURL(t, strings.Replace(tc.url, "%s", p.addr, 1)), nil)
			require.NoError(t, err)
			conn, err := d.DialContext(ctxT(t), "tcp", "[2001:db8::1]:5222")
			require.NoError(t, err)
			conn.Close()
			req := p.Request()
			require.NotNil(t, req)
			assert.Equal(t, http.MethodConnect, req.Method)
			assert.Equal(t, "[2001:db8::1]:5222", req.Host)
			assert.Equal(t, "[2001:db8::1]:5222", req.RequestURI)
			assert.Equal(t, tc.auth, req.Header.Get("Proxy-Authorization"))
		})
	}
}

// TestConnectProxyRefused: any status but 200 is an error that says what
// the proxy answered, and the connection is not returned.
func TestConnectProxyRefused(t *testing.T) {
	for _, tc := range []struct{ response, want string }{
		{"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", "403 Forbidden"},
		{"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n", "407 Proxy Authentication Required"},
		{"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 5\r\n\r\nnope!", "502 Bad Gateway"},
		{"HTTP/1.1 204 No Content\r\n\r\n", "204 No Content"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			p := startFakeConnectProxy(t, func(*http.Request) []byte { return []byte(tc.response) })
			d, err := proxy.FromURL(proxyURL(t, "http://"+p.addr), nil)
			require.NoError(t, err)
			conn, err := d.DialContext(ctxT(t), "tcp", "xmpp.example.test:5222")
			require.Error(t, err)
			assert.Nil(t, conn)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "xmpp.example.test:5222")
		})
	}
}

// TestConnectProxyNoAnswer: a proxy that never answers does not hang the
// dial past its context, and one that hangs up is an error.
func TestConnectProxyNoAnswer(t *testing.T) {
	t.Run("silent", func(t *testing.T) {
		p := startFakeConnectProxy(t, func(*http.Request) []byte { return nil })
		d, err := proxy.FromURL(proxyURL(t, "http://"+p.addr), nil)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err = d.DialContext(ctx, "tcp", "xmpp.example.test:5222")
		require.ErrorIs(t, err, context.DeadlineExceeded, "the dial ends with its context")
	})
	t.Run("garbage", func(t *testing.T) {
		p := startFakeConnectProxy(t, func(*http.Request) []byte { return []byte("SSH-2.0-OpenSSH\r\n") })
		d, err := proxy.FromURL(proxyURL(t, "http://"+p.addr), nil)
		require.NoError(t, err)
		_, err = d.DialContext(ctxT(t), "tcp", "xmpp.example.test:5222")
		require.Error(t, err)
		assert.Contains(t, err.Error(), p.addr)
	})
}

// TestFromURLForward: the proxy itself is reached through the forward
// Dialer given.
func TestFromURLForward(t *testing.T) {
	p := startFakeConnectProxy(t, func(*http.Request) []byte { return []byte("HTTP/1.1 200 OK\r\n\r\n") })
	var asked []string
	forward := dialFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		asked = append(asked, addr)
		return new(net.Dialer).DialContext(ctx, network, p.addr)
	})
	d, err := proxy.FromURL(proxyURL(t, "http://proxy.example.test:3128"), forward)
	require.NoError(t, err)
	conn, err := d.DialContext(ctxT(t), "tcp", "xmpp.example.test:5222")
	require.NoError(t, err)
	conn.Close()
	assert.Equal(t, []string{"proxy.example.test:3128"}, asked)

	failing := dialFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, errors.New("no route to the proxy")
	})
	d, err = proxy.FromURL(proxyURL(t, "http://proxy.example.test:3128"), failing)
	require.NoError(t, err)
	_, err = d.DialContext(ctxT(t), "tcp", "xmpp.example.test:5222")
	require.ErrorContains(t, err, "no route to the proxy")
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

func TestFromURLSchemes(t *testing.T) {
	for _, s := range []string{"http://127.0.0.1:3128", "socks5://127.0.0.1:1080", "socks5://u:p@127.0.0.1:1080", "socks5h://127.0.0.1:1080"} {
		d, err := proxy.FromURL(proxyURL(t, s), nil)
		require.NoError(t, err, s)
		assert.NotNil(t, d, s)
	}
	for _, s := range []string{"https://127.0.0.1:3128", "socks4://127.0.0.1:1080", "ftp://127.0.0.1"} {
		_, err := proxy.FromURL(proxyURL(t, s), nil)
		require.Error(t, err, s)
		assert.Contains(t, err.Error(), "unsupported proxy scheme", s)
	}
}
