package xmpp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	xrdWithWebSocket = `<?xml version='1.0' encoding='utf-8'?>
<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
  <Link rel="urn:xmpp:alt-connections:xbosh" href="https://example.com/http-bind"/>
  <Link rel="urn:xmpp:alt-connections:websocket" href="ws://example.com/plain"/>
  <Link rel="urn:xmpp:alt-connections:websocket" href="wss://example.com/xmpp-websocket"/>
</XRD>`
	xrdWithout       = `<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel="urn:xmpp:alt-connections:xbosh" href="https://example.com/http-bind"/></XRD>`
	jrdWithWebSocket = `{"links":[{"rel":"urn:xmpp:alt-connections:websocket","href":"wss://example.com/from-json"}]}`
)

// hostMeta serves docs (path to body; a missing path is a 404) over
// HTTPS with a certificate for localhost, and returns a configuration
// for alice@localhost whose dialer reaches it for localhost:443, and the
// paths asked for.
func hostMeta(t *testing.T, docs map[string]string) (xmpp.Config, *[]string) {
	t.Helper()
	return hostMetaOr(t, docs, nil)
}

// hostMetaOr is hostMeta whose dialer passes every address but
// localhost:443 to other (nil: such a dial fails the test).
func hostMetaOr(t *testing.T, docs map[string]string, other dialerFunc) (xmpp.Config, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Host+r.URL.Path)
		mu.Unlock()
		body, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	serverTLS, clientTLS := xmpptest.TLSConfigs(t, "localhost")
	srv.TLS = serverTLS
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return xmpp.Config{
		JID: jid.MustParse("alice@localhost"),
		TLS: clientTLS,
		Dialer: dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != "localhost:443" {
				if other != nil {
					return other(ctx, network, addr)
				}
				t.Errorf("dialled %s", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		}),
	}, &asked
}

func TestLookupWebSocket(t *testing.T) {
	t.Run("XRD", func(t *testing.T) {
		cfg, asked := hostMeta(t, map[string]string{"/.well-known/host-meta": xrdWithWebSocket})
		u, err := xmpp.LookupWebSocket(ctxT(t), cfg)
		require.NoError(t, err)
		assert.Equal(t, "wss://example.com/xmpp-websocket", u, "ws:// is skipped while TLS is required")
		assert.Equal(t, []string{"localhost/.well-known/host-meta"}, *asked)
	})
	t.Run("ws:// where plaintext is allowed", func(t *testing.T) {
		cfg, _ := hostMeta(t, map[string]string{"/.well-known/host-meta": xrdWithWebSocket})
		cfg.Security = xmpp.TLSIfPossible
		u, err := xmpp.LookupWebSocket(ctxT(t), cfg)
		require.NoError(t, err)
		assert.Equal(t, "ws://example.com/plain", u)
	})
	t.Run("JSON when the XRD has none", func(t *testing.T) {
		cfg, asked := hostMeta(t, map[string]string{"/.well-known/host-meta": xrdWithout, "/.well-known/host-meta.json": jrdWithWebSocket})
		u, err := xmpp.LookupWebSocket(ctxT(t), cfg)
		require.NoError(t, err)
		assert.Equal(t, "wss://example.com/from-json", u)
		assert.Equal(t, []string{"localhost/.well-known/host-meta", "localhost/.well-known/host-meta.json"}, *asked)
	})
	t.Run("JSON when there is no XRD", func(t *testing.T) {
		cfg, _ := hostMeta(t, map[string]string{"/.well-known/host-meta.json": jrdWithWebSocket})
		u, err := xmpp.LookupWebSocket(ctxT(t), cfg)
		require.NoError(t, err)
		assert.Equal(t, "wss://example.com/from-json", u)
	})
	t.Run("none", func(t *testing.T) {
		cfg, _ := hostMeta(t, map[string]string{"/.well-known/host-meta": xrdWithout})
		_, err := xmpp.LookupWebSocket(ctxT(t), cfg)
		require.ErrorIs(t, err, xmpp.ErrNoWebSocket)
	})
	t.Run("neither document", func(t *testing.T) {
		cfg, _ := hostMeta(t, nil)
		_, err := xmpp.LookupWebSocket(ctxT(t), cfg)
		require.Error(t, err)
		assert.NotErrorIs(t, err, xmpp.ErrNoWebSocket)
		assert.Contains(t, err.Error(), "404")
	})
	t.Run("garbage", func(t *testing.T) {
		cfg, _ := hostMeta(t, map[string]string{"/.well-known/host-meta": "<html>", "/.well-known/host-meta.json": "{"})
		_, err := xmpp.LookupWebSocket(ctxT(t), cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not an XRD document")
		assert.Contains(t, err.Error(), "not a JSON host-meta document")
	})
	t.Run("a certificate not for the domain", func(t *testing.T) {
		cfg, asked := hostMeta(t, map[string]string{"/.well-known/host-meta": xrdWithWebSocket})
		_, other := xmpptest.TLSConfigs(t, "localhost") // trusts another key
		cfg.TLS = other
		_, err := xmpp.LookupWebSocket(ctxT(t), cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate")
		assert.Empty(t, *asked, "nothing asked of an unverified server")
	})
}

// xrdWithBOSH names both endpoints, and a plain BOSH one first.
const xrdWithBOSH = `<?xml version='1.0' encoding='utf-8'?>
<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
  <Link rel='urn:xmpp:alt-connections:xbosh' href='http://example.com/plain-bind'/>
  <Link rel='urn:xmpp:alt-connections:websocket' href='wss://example.com/xmpp-websocket'/>
  <Link rel='urn:xmpp:alt-connections:xbosh' href='https://example.com/http-bind'/>
</XRD>`

// TestLookupBOSH: the same documents, the xbosh relation; http:// only
// where plaintext is allowed; the JSON form when the XRD names none.
func TestLookupBOSH(t *testing.T) {
	cfg, asked := hostMeta(t, map[string]string{"/.well-known/host-meta": xrdWithBOSH})
	u, err := xmpp.LookupBOSH(ctxT(t), cfg)
	require.NoError(t, err)
	assert.Equal(t, "https://example.com/http-bind", u)
	assert.Equal(t, []string{"localhost/.well-known/host-meta"}, *asked)

	cfg.Security = xmpp.TLSIfPossible
	u, err = xmpp.LookupBOSH(ctxT(t), cfg)
	require.NoError(t, err)
	assert.Equal(t, "http://example.com/plain-bind", u)

	cfg, _ = hostMeta(t, map[string]string{"/.well-known/host-meta": `<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'/>`,
		"/.well-known/host-meta.json": `{"links":[{"rel":"urn:xmpp:alt-connections:xbosh","href":"https://example.com/from-json"}]}`})
	u, err = xmpp.LookupBOSH(ctxT(t), cfg)
	require.NoError(t, err)
	assert.Equal(t, "https://example.com/from-json", u)

	cfg, _ = hostMeta(t, map[string]string{"/.well-known/host-meta.json": jrdWithWebSocket})
	_, err = xmpp.LookupBOSH(ctxT(t), cfg)
	require.ErrorIs(t, err, xmpp.ErrNoBOSH)
}

// TestDiscoverOrder: with Config.Discover, a Conn tries the wss://
// WebSocket endpoints of the domain's host-meta, then its https:// BOSH
// endpoints, then TCP, and last (only where Security allows plaintext)
// the ws:// and http:// ones, each in turn as the one before fails to
// connect, and the error names every one tried.
func TestDiscoverOrder(t *testing.T) {
	const xrd = `<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
  <Link rel="urn:xmpp:alt-connections:xbosh" href="http://plain.example/http-bind"/>
  <Link rel="urn:xmpp:alt-connections:xbosh" href="https://bosh.example/http-bind"/>
  <Link rel="urn:xmpp:alt-connections:websocket" href="ws://plain.example/ws"/>
  <Link rel="urn:xmpp:alt-connections:websocket" href="wss://ws.example/xmpp-websocket"/>
</XRD>`
	for _, tc := range []struct {
		security xmpp.Security
		want     []string
	}{
		{xmpp.TLSRequired, []string{"ws.example:443", "bosh.example:443", "localhost:5222"}},
		{xmpp.TLSIfPossible, []string{"ws.example:443", "bosh.example:443", "localhost:5222", "plain.example:80", "plain.example:80"}},
	} {
		t.Run(tc.security.String(), func(t *testing.T) {
			var mu sync.Mutex
			var dialed []string
			cfg, asked := hostMetaOr(t, map[string]string{"/.well-known/host-meta": xrd}, func(_ context.Context, _, addr string) (net.Conn, error) {
				mu.Lock()
				defer mu.Unlock()
				dialed = append(dialed, addr)
				return nil, errors.New("refused")
			})
			cfg.Password, cfg.Discover, cfg.Security = "secret", true, tc.security
			cfg.Resolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
				return nil, errors.New("no DNS here")
			}}
			cfg.Reconnect.Disabled = true
			err := xmpp.New(cfg).Connect(ctxT(t))
			require.Error(t, err)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, tc.want, dialed)
			assert.Equal(t, []string{"localhost/.well-known/host-meta"}, *asked)
			for _, u := range []string{"wss://ws.example/xmpp-websocket", "https://bosh.example/http-bind", "localhost:5222"} {
				assert.Contains(t, err.Error(), u)
			}
		})
	}
}

// TestDiscoverWithoutHostMeta: a domain with no host-meta is reached
// over TCP, as without Config.Discover.
func TestDiscoverWithoutHostMeta(t *testing.T) {
	var dialed []string
	cfg, _ := hostMetaOr(t, nil, func(_ context.Context, _, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return nil, errors.New("refused")
	})
	cfg.Password, cfg.Discover = "secret", true
	cfg.Resolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS here")
	}}
	cfg.Reconnect.Disabled = true
	require.Error(t, xmpp.New(cfg).Connect(ctxT(t)))
	assert.Equal(t, []string{"localhost:5222"}, dialed)
}

// TestDiscoverSilentHostMeta: a web server that takes the connection
// and never answers holds the look-up for its 5 seconds, not the whole
// Connect: TCP is tried after it.
func TestDiscoverSilentHostMeta(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var dialed []string
		var silent []net.Conn
		cfg := xmpp.Config{
			JID: jid.MustParse("alice@localhost"), Password: "secret", Discover: true,
			Resolver: &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
				return nil, errors.New("no DNS here")
			}},
			Dialer: dialerFunc(func(_ context.Context, _, addr string) (net.Conn, error) {
				dialed = append(dialed, addr)
				if addr == "localhost:443" {
					client, server := xmpptest.Pipe()
					silent = append(silent, server) // open, and never a byte
					return client, nil
				}
				return nil, errors.New("refused")
			}),
		}
		cfg.Reconnect.Disabled = true
		err := xmpp.New(cfg).Connect(t.Context())
		require.Error(t, err)
		assert.Equal(t, []string{"localhost:443", "localhost:5222"}, dialed)
		for _, c := range silent {
			c.Close()
		}
	})
}

// TestDiscoverBOSHNotFound: a BOSH endpoint whose web server answers the
// session's first request with 404 (a wrong path) passes the turn to TCP,
// as one that refuses the connection does: nothing there spoke XMPP.
func TestDiscoverBOSHNotFound(t *testing.T) {
	const xrd = `<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel="urn:xmpp:alt-connections:xbosh" href="https://localhost/http-bind"/></XRD>`
	var mu sync.Mutex
	var dialed []string
	cfg, _ := hostMetaOr(t, map[string]string{"/.well-known/host-meta": xrd}, func(_ context.Context, _, addr string) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		dialed = append(dialed, addr)
		return nil, errors.New("refused")
	})
	cfg.Password, cfg.Discover = "secret", true
	cfg.Resolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS here")
	}}
	cfg.Reconnect.Disabled = true
	err := xmpp.New(cfg).Connect(ctxT(t))
	require.Error(t, err)
	var be *xmpp.BOSHError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 404, be.Status)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"localhost:5222"}, dialed, "TCP was not tried after the BOSH endpoint failed")
}
