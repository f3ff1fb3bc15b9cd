//go:build integration

package csi_test

import (
	"encoding/xml"
	"testing"

	"github.com/gosmack/gosmack/csi"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationCSI: both servers offer client state indication (Prosody
// csi_simple, ejabberd mod_client_state) and take <inactive/> and
// <active/>: the stream stays up, and a request after each is answered.
func TestIntegrationCSI(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		var m *csi.Manager
		c := testserver.Login(t, s.NewAccount(t, "csi"), func(c *xmpp.Conn) {
			m = csi.For(c)
			require.NoError(t, m.SetInactive(testserver.Context(t)), "before Connect: sent at login")
		})
		require.True(t, m.Offered())
		ping := func() {
			t.Helper()
			iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
			iq.To = c.JID().Domain()
			_, err := c.SendIQ(testserver.Context(t), iq)
			require.NoError(t, err)
		}
		ping()
		require.NoError(t, m.SetActive(testserver.Context(t)))
		ping()
		require.NoError(t, m.SetInactive(testserver.Context(t)))
		ping()
		assert.True(t, c.IsConnected())
		assert.NoError(t, c.Err())
	})
}
