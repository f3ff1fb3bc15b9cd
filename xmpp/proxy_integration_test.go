//go:build integration

package xmpp_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/proxy"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests log in to Prosody and ejabberd through proxies that run in
// the test: an HTTP CONNECT proxy and a SOCKS5 proxy, each optionally
// asking for credentials, both written here from the RFCs (RFC 9110
// section 9.3.6; RFC 1928 and RFC 1929) so that the client is checked
// against the protocol rather than against the library it uses.

// tunnels is what a test proxy records and the connections it keeps, so
// that it can close them when the test ends.
type tunnels struct {
	mu      sync.Mutex
	targets []string // each CONNECT target, in order
	conns   []net.Conn
	wg      sync.WaitGroup
}

func (tu *tunnels) connected(target string) {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	tu.targets = append(tu.targets, target)
}

func (tu *tunnels) Targets() []string {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	return slices.Clone(tu.targets)
}

func (tu *tunnels) keep(c net.Conn) {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	tu.conns = append(tu.conns, c)
}

func (tu *tunnels) closeAll() {
	tu.mu.Lock()
	for _, c := range tu.conns {
		c.Close()
	}
	tu.mu.Unlock()
	tu.wg.Wait()
}

// splice copies both ways between a and b until either side ends, then
// closes both. r is what to read a from (it may hold bytes already
// buffered).
func (tu *tunnels) splice(a net.Conn, r io.Reader, b net.Conn) {
	tu.keep(a)
	tu.keep(b)
	tu.wg.Add(2)
	go func() {
		defer tu.wg.Done()
		io.Copy(b, r)
		a.Close()
		b.Close()
	}()
	go func() {
		defer tu.wg.Done()
		io.Copy(a, b)
		a.Close()
		b.Close()
	}()
}

// httpConnectProxy is an HTTP proxy that only does CONNECT.
type httpConnectProxy struct {
	tunnels
	addr     string
	user     string // when set, Proxy-Authorization must carry user:password
	password string
	refuse   bool // answer every CONNECT with 403
}

func startHTTPConnectProxy(t *testing.T, user, password string, refuse bool) *httpConnectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &httpConnectProxy{addr: ln.Addr().String(), user: user, password: password, refuse: refuse}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
		p.closeAll()
	})
	return p
}

func (p *httpConnectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	if p.user != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.password))
		if r.Header.Get("Proxy-Authorization") != want {
			w.Header().Set("Proxy-Authenticate", `Basic realm="gosmack test"`)
			http.Error(w, "wrong credentials", http.StatusProxyAuthRequired)
			return
		}
	}
	if p.refuse {
		http.Error(w, "not allowed", http.StatusForbidden)
		return
	}
	upstream, err := net.DialTimeout("tcp", r.Host, 10*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	p.connected(r.Host)
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		conn.Close()
		upstream.Close()
		return
	}
	p.splice(conn, brw.Reader, upstream)
}

// socks5Proxy is a SOCKS5 proxy (RFC 1928) that does CONNECT only, with
// no authentication or, when user is set, username/password (RFC 1929).
type socks5Proxy struct {
	tunnels
	addr     string
	user     string
	password string
}

func startSOCKS5Proxy(t *testing.T, user, password string) *socks5Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &socks5Proxy{addr: ln.Addr().String(), user: user, password: password}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.keep(c)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				if err := p.serve(c); err != nil {
					c.Close()
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		p.closeAll()
	})
	return p
}

// SOCKS5 constants (RFC 1928, RFC 1929).
const (
	socksVersion       = 5
	socksNoAuth        = 0x00
	socksUserPass      = 0x02
	socksNoAcceptable  = 0xff
	socksConnect       = 0x01
	socksIPv4          = 0x01
	socksDomain        = 0x03
	socksIPv6          = 0x04
	socksSucceeded     = 0x00
	socksRefused       = 0x05
	socksCmdNotAllowed = 0x07
	socksAddrNotAllow  = 0x08
)

func (p *socks5Proxy) serve(c net.Conn) error {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	// Method selection.
	var head [2]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return err
	}
	if head[0] != socksVersion {
		return fmt.Errorf("version %d", head[0])
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(br, methods); err != nil {
		return err
	}
	want := byte(socksNoAuth)
	if p.user != "" {
		want = socksUserPass
	}
	if !slices.Contains(methods, want) {
		c.Write([]byte{socksVersion, socksNoAcceptable})
		return errors.New("no acceptable method")
	}
	if _, err := c.Write([]byte{socksVersion, want}); err != nil {
		return err
	}
	if want == socksUserPass {
		// VER ULEN UNAME PLEN PASSWD; the reply's VER is 1.
		ver, err := br.ReadByte()
		if err != nil || ver != 1 {
			return fmt.Errorf("auth version %d: %v", ver, err)
		}
		user, err := readLenPrefixed(br)
		if err != nil {
			return err
		}
		password, err := readLenPrefixed(br)
		if err != nil {
			return err
		}
		if user != p.user || password != p.password {
			c.Write([]byte{1, 1})
			return errors.New("wrong credentials")
		}
		if _, err := c.Write([]byte{1, 0}); err != nil {
			return err
		}
	}
	// Request: VER CMD RSV ATYP DST.ADDR DST.PORT.
	var req [4]byte
	if _, err := io.ReadFull(br, req[:]); err != nil {
		return err
	}
	reply := func(code byte) error {
		_, err := c.Write([]byte{socksVersion, code, 0, socksIPv4, 0, 0, 0, 0, 0, 0})
		return err
	}
	var host string
	switch req[3] {
	case socksIPv4, socksIPv6:
		ip := make(net.IP, 4)
		if req[3] == socksIPv6 {
			ip = make(net.IP, 16)
		}
		if _, err := io.ReadFull(br, ip); err != nil {
			return err
		}
		host = ip.String()
	case socksDomain:
		h, err := readLenPrefixed(br)
		if err != nil {
			return err
		}
		host = h
	default:
		reply(socksAddrNotAllow)
		return fmt.Errorf("address type %d", req[3])
	}
	var port [2]byte
	if _, err := io.ReadFull(br, port[:]); err != nil {
		return err
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:]))))
	if req[0] != socksVersion || req[1] != socksConnect {
		reply(socksCmdNotAllowed)
		return fmt.Errorf("command %d", req[1])
	}
	upstream, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		reply(socksRefused)
		return err
	}
	p.connected(target)
	if err := reply(socksSucceeded); err != nil {
		upstream.Close()
		return err
	}
	c.SetDeadline(time.Time{})
	p.splice(c, br, upstream)
	return nil
}

func readLenPrefixed(br *bufio.Reader) (string, error) {
	n, err := br.ReadByte()
	if err != nil {
		return "", err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return "", err
	}
	return string(b), nil
}

// proxyDialer is proxy.FromURL for a URL string, or fails the test.
func proxyDialer(t *testing.T, rawURL string) xmpp.Dialer {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	d, err := proxy.FromURL(u, nil)
	require.NoError(t, err)
	return d
}

// loginThrough logs alice in through the dialer to addr (STARTTLS or,
// with directTLS, direct TLS), pings the server and closes.
func loginThrough(t *testing.T, s *testserver.Server, d xmpp.Dialer, addr string, directTLS bool) {
	t.Helper()
	cfg := userConfig(t, s, "alice", withAddr(addr, directTLS))
	cfg.Dialer = d
	c, err := xmpp.Dial(testserver.Context(t), cfg)
	require.NoError(t, err, "%s: logging in through the proxy", s.Name)
	defer c.Close()
	requireBound(t, c, cfg.JID)
	reply, err := c.SendIQ(testserver.Context(t), pingIQ(c.JID().Domain()))
	require.NoError(t, err, "ping through the proxy")
	assert.Equal(t, stanza.Result, reply.Type)
	require.NoError(t, c.Close())
}

// dialFails runs a login that must fail, and checks it fails with an
// error of its own, not by running out of time.
func dialFails(t *testing.T, cfg xmpp.Config) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testserver.Timeout)
	defer cancel()
	c, err := xmpp.Dial(ctx, cfg)
	if c != nil {
		c.Close()
	}
	require.Error(t, err)
	t.Logf("error: %v", err)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "the dial hung until the timeout")
	return err
}

func TestIntegrationHTTPProxyLogin(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		t.Run("no auth", func(t *testing.T) {
			p := startHTTPConnectProxy(t, "", "", false)
			loginThrough(t, s, proxyDialer(t, "http://"+p.addr), s.StartTLSAddr, false)
			assert.Equal(t, []string{s.StartTLSAddr}, p.Targets())
		})
		t.Run("basic auth", func(t *testing.T) {
			p := startHTTPConnectProxy(t, "proxyuser", "proxy:secret", false)
			loginThrough(t, s, proxyDialer(t, "http://proxyuser:proxy%3Asecret@"+p.addr), s.StartTLSAddr, false)
			assert.Equal(t, []string{s.StartTLSAddr}, p.Targets())
		})
		t.Run("direct TLS", func(t *testing.T) {
			p := startHTTPConnectProxy(t, "", "", false)
			loginThrough(t, s, proxyDialer(t, "http://"+p.addr), s.DirectTLSAddr, true)
			assert.Equal(t, []string{s.DirectTLSAddr}, p.Targets())
		})
	})
}

func TestIntegrationHTTPProxyWrongCredentials(t *testing.T) {
	s := testserver.Get(t, "prosody")
	p := startHTTPConnectProxy(t, "proxyuser", "right", false)
	for _, rawURL := range []string{"http://proxyuser:wrong@" + p.addr, "http://" + p.addr} {
		cfg := userConfig(t, s, "alice")
		cfg.Dialer = proxyDialer(t, rawURL)
		err := dialFails(t, cfg)
		assert.ErrorContains(t, err, "407 Proxy Authentication Required")
		assert.ErrorContains(t, err, s.StartTLSAddr)
	}
	assert.Empty(t, p.Targets())
}

func TestIntegrationHTTPProxyForbidden(t *testing.T) {
	s := testserver.Get(t, "prosody")
	p := startHTTPConnectProxy(t, "", "", true)
	cfg := userConfig(t, s, "alice")
	cfg.Dialer = proxyDialer(t, "http://"+p.addr)
	err := dialFails(t, cfg)
	assert.ErrorContains(t, err, "403 Forbidden")
	assert.ErrorContains(t, err, "refused CONNECT "+s.StartTLSAddr)
	assert.Empty(t, p.Targets())
}

func TestIntegrationSOCKSProxyLogin(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		t.Run("no auth", func(t *testing.T) {
			p := startSOCKS5Proxy(t, "", "")
			loginThrough(t, s, proxyDialer(t, "socks5://"+p.addr), s.StartTLSAddr, false)
			assert.Equal(t, []string{s.StartTLSAddr}, p.Targets())
		})
		t.Run("user and password", func(t *testing.T) {
			p := startSOCKS5Proxy(t, "proxyuser", "proxy-secret")
			loginThrough(t, s, proxyDialer(t, "socks5://proxyuser:proxy-secret@"+p.addr), s.StartTLSAddr, false)
			assert.Equal(t, []string{s.StartTLSAddr}, p.Targets())
		})
		t.Run("direct TLS", func(t *testing.T) {
			p := startSOCKS5Proxy(t, "", "")
			loginThrough(t, s, proxyDialer(t, "socks5://"+p.addr), s.DirectTLSAddr, true)
			assert.Equal(t, []string{s.DirectTLSAddr}, p.Targets())
		})
	})
}

func TestIntegrationSOCKSProxyWrongCredentials(t *testing.T) {
	s := testserver.Get(t, "prosody")
	p := startSOCKS5Proxy(t, "proxyuser", "right")
	cfg := userConfig(t, s, "alice")
	cfg.Dialer = proxyDialer(t, "socks5://proxyuser:wrong@"+p.addr)
	err := dialFails(t, cfg)
	assert.ErrorContains(t, err, "authentication failed")
	assert.ErrorContains(t, err, s.StartTLSAddr)

	// A proxy that wants credentials, asked without: no acceptable method.
	cfg.Dialer = proxyDialer(t, "socks5://"+p.addr)
	err = dialFails(t, cfg)
	assert.ErrorContains(t, err, "authentication method")
	assert.Empty(t, p.Targets())
}

// TestIntegrationSOCKSProxyTargetDown: the proxy cannot reach the target
// and says so; the client reports it.
func TestIntegrationSOCKSProxyTargetDown(t *testing.T) {
	s := testserver.Get(t, "prosody")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close()
	p := startSOCKS5Proxy(t, "", "")
	cfg := userConfig(t, s, "alice", withAddr(dead, false))
	cfg.Dialer = proxyDialer(t, "socks5://"+p.addr)
	err = dialFails(t, cfg)
	assert.ErrorContains(t, err, dead)
	assert.ErrorContains(t, err, "refused")
}
