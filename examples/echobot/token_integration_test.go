//go:build integration

package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
)

// TestIntegrationTokenFile runs the bot twice with -token-file on the
// SASL2 Prosody: the first run logs in with the password and asks for a
// FAST token, which the file keeps with the installation id; the second
// logs in with the token (HT-SHA-256-NONE on TLS 1.3), as the same full
// JID (Bind2 derives the resource from the id).
func TestIntegrationTokenFile(t *testing.T) {
	bin := progtest.Build(t)
	s := testserver.Get(t, testserver.SASL2Name)
	cfg := s.NewAccount(t, "tokenbot")
	file := t.TempDir() + "/token.json"
	run := func() (*progtest.Proc, string) {
		bot := progtest.Start(t, bin, []string{"XMPP_PASSWORD=" + cfg.Password},
			"-jid", cfg.JID.String(), "-addr", s.DirectTLSAddr, "-direct-tls", "-ca", s.CAFile, "-token-file", file, "-v")
		j := bot.WaitOnline(t, 30*time.Second)
		assert.Equal(t, 0, stopBot(t, bot))
		return bot, j.String()
	}
	first, firstJID := run()
	assert.Contains(t, first.Stderr.String(), "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>")
	second, secondJID := run()
	assert.Contains(t, second.Stderr.String(), "mechanism='HT-SHA-256-NONE'><initial-response>", "the second run did not use the token")
	assert.Contains(t, second.Stderr.String(), "<fast xmlns='urn:xmpp:fast:0'/>")
	assert.Equal(t, firstJID, secondJID)
}
