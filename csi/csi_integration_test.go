//go:build integration

package csi_test

import (
	"encoding/xml"
	"strings"
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

// TestIntegrationCSIBind2: on the Prosody with SASL2 and Bind2, an
// inactive state set before the login goes inside the Bind2 request: the
// session starts inactive, and no <inactive/> follows the login (the
// transcript of what the client wrote holds it once, in <authenticate/>).
func TestIntegrationCSIBind2(t *testing.T) {
	s := testserver.Get(t, testserver.SASL2Name)
	cfg := s.NewAccount(t, "csi2")
	var wire testserver.Buffer
	cfg.Recorder = &wire
	var m *csi.Manager
	c := testserver.Login(t, cfg, func(c *xmpp.Conn) {
		m = csi.For(c)
		require.NoError(t, m.SetInactive(testserver.Context(t)))
	})
	assert.True(t, c.Features().BoundInline(csi.NS), "bound with the state inline")
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
	iq.To = c.JID().Domain()
	_, err := c.SendIQ(testserver.Context(t), iq)
	require.NoError(t, err)
	sent := wire.String()
	assert.Equal(t, 1, strings.Count(sent, "<inactive"), "the state is written once, in the Bind2 request:\n%s", sent)
	require.NoError(t, m.SetActive(testserver.Context(t)))
	assert.Equal(t, csi.Active, m.State())
}
