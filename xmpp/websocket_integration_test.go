//go:build integration

package xmpp_test

import (
	"testing"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/require"
)

func TestIntegrationWebSocketLogin(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		cfg := s.NewAccount(t, "ws")
		cfg.Addr = s.WebSocketTLSURL
		c := testserver.Login(t, cfg, nil)
		require.Equal(t, xmpp.TransportWebSocket, c.Transport())
	})
}
