//go:build integration

package xmpp_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationDiscoverFallback: with Config.Discover, a host-meta
// document (served here over HTTPS with the server's own certificate
// for localhost, as the domain's web server would) names a WebSocket
// endpoint that refuses connections, then the server's real BOSH
// endpoint: the Conn falls back to BOSH and logs in there; with the
// real WebSocket endpoint named first, it logs in over the WebSocket.
func TestIntegrationDiscoverFallback(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		pki := filepath.Dir(s.CAFile)
		cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "server.pem"), filepath.Join(pki, "server.key"))
		require.NoError(t, err)
		for _, tc := range []struct {
			name  string
			links []string // websocket, then BOSH
			want  xmpp.Transport
		}{
			{"websocket refused, bosh", []string{"wss://localhost:1/refused", s.BOSHTLSURL}, xmpp.TransportBOSH},
			{"websocket", []string{s.WebSocketTLSURL, s.BOSHTLSURL}, xmpp.TransportWebSocket},
		} {
			t.Run(tc.name, func(t *testing.T) {
				xrd := `<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>` +
					`<Link rel="urn:xmpp:alt-connections:xbosh" href="` + tc.links[1] + `"/>` +
					`<Link rel="urn:xmpp:alt-connections:websocket" href="` + tc.links[0] + `"/>` +
					`</XRD>`
				web := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/.well-known/host-meta" {
						http.NotFound(w, r)
						return
					}
					w.Write([]byte(xrd))
				}))
				web.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
				web.StartTLS()
				defer web.Close()

				cfg := s.NewAccount(t, "discover")
				cfg.Addr, cfg.Discover = "", true
				cfg.Dialer = dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
					if addr == "localhost:443" {
						addr = web.Listener.Addr().String()
					}
					return (&net.Dialer{}).DialContext(ctx, network, addr)
				})
				c := xmpp.New(cfg)
				require.NoError(t, c.Connect(testserver.Context(t)))
				defer c.Close()
				assert.Equal(t, tc.want, c.Transport())
				assert.Equal(t, cfg.JID.String(), c.JID().Bare().String())
			})
		}
	})
}
