//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/internal/progtest"
	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/ping"
	"github.com/gosmack/gosmack/receipts"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// These tests run the echobot binary, as a user would, against Prosody and
// ejabberd, and talk to it as bob with the library.

func TestIntegrationEchoBot(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		bot := startBot(t, bin, s, "alice@"+s.Domain, s.User(t, "alice").Password)
		botJID := bot.WaitOnline(t, 30*time.Second)
		require.Equal(t, jid.MustParse("alice@"+s.Domain), botJID.Bare())

		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		bob, err := xmpp.Dial(ctx, xmpp.Config{
			JID:      jid.MustParse("bob@" + s.Domain),
			Password: s.User(t, "bob").Password,
			Addr:     s.StartTLSAddr,
			TLS:      s.TLSConfig(),
		})
		require.NoError(t, err)
		defer bob.Close()

		// One thread of our own, so that nothing else alice gets (another
		// test may use the account) is taken for an echo.
		thread := stanza.Thread{ID: "echobot-test-" + rand.Text()}
		echoes := bob.Collect(echoesIn(botJID, thread), 10)
		defer echoes.Close()
		send := func(typ stanza.MessageType, body string) {
			t.Helper()
			m := &stanza.Message{Type: typ, Thread: thread}
			if body != "" {
				m.Bodies = []stanza.Text{{Value: body}}
			}
			m.To = botJID
			require.NoError(t, bob.Send(ctx, m))
		}
		next := func() *stanza.Message {
			t.Helper()
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			st, err := echoes.Next(wctx)
			require.NoError(t, err, "no echo within 10 s")
			return st.(*stanza.Message)
		}

		// Ignored: no body, and the types the bot does not answer. The
		// first echo must then be the chat message's.
		send(stanza.Chat, "")
		send(stanza.Headline, "headline, not echoed")
		send(stanza.Groupchat, "groupchat, not echoed")
		send(stanza.Chat, "hello, echo bot")
		m := next()
		assert.Equal(t, stanza.Chat, m.Type)
		assert.Equal(t, "hello, echo bot", m.Body(""))
		assert.Equal(t, thread, m.Thread)
		assert.Equal(t, botJID, m.From, "the echo comes from the bot's resource")
		assert.Equal(t, bob.JID(), m.To)

		// A message without a type is normal, and so is its echo.
		send("", "a normal message")
		m = next()
		assert.Contains(t, []stanza.MessageType{"", stanza.Normal}, m.Type)
		assert.Equal(t, "a normal message", m.Body(""))
		assert.Equal(t, thread, m.Thread)

		// The managers: a ping, a receipt, and disco#info.
		pinger := ping.For(bob)
		defer pinger.Close()
		_, err = pinger.Ping(ctx, botJID)
		require.NoError(t, err, "the bot answers pings")

		acks := make(chan string, 1)
		rm := receipts.For(bob)
		defer rm.Close()
		rm.OnReceipt(func(e receipts.Receipt) { acks <- e.ID })
		m = &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "acknowledge this"}}, Thread: thread}
		m.To = botJID
		receipts.AddRequest(m)
		require.NoError(t, bob.Send(ctx, m))
		assert.Equal(t, "acknowledge this", next().Body(""))
		select {
		case id := <-acks:
			assert.Equal(t, m.ID, id, "the receipt names the message")
		case <-ctx.Done():
			t.Fatal("no receipt from the bot")
		}

		info, err := disco.For(bob).Info(ctx, botJID, "")
		require.NoError(t, err)
		assert.True(t, info.HasIdentity("client", "bot"), "%+v", info.Identities)
		for _, f := range []string{ping.NS, receipts.NS, caps.NS, "http://jabber.org/protocol/disco#info"} {
			assert.True(t, info.HasFeature(f), "the bot announces %s: %v", f, info.Features)
		}

		assert.Equal(t, 0, stopBot(t, bot), "SIGTERM is a clean exit")
	})
}

func TestIntegrationEchoBotWrongPassword(t *testing.T) {
	bin := progtest.Build(t)
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		bot := startBot(t, bin, s, "alice@"+s.Domain, "not-"+s.User(t, "alice").Password)
		assert.Equal(t, 1, bot.Wait(t, 40*time.Second))
		stderr := bot.Stderr.String()
		assert.Empty(t, bot.Stdout.String(), "never online")
		t.Logf("stderr: %s", stderr)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		assert.True(t, strings.HasPrefix(stderr, "echobot: connecting as alice@"+s.Domain+": "), "%q", stderr)
		assert.Contains(t, stderr, "not-authorized")
	})
}

// echoesIn is the bot's messages in thread.
func echoesIn(bot jid.JID, thread stanza.Thread) stanza.Filter {
	return stanza.And(stanza.FromBare(bot), func(st stanza.Stanza) bool {
		m, ok := st.(*stanza.Message)
		return ok && m.Thread.ID == thread.ID
	})
}

// startBot runs the binary as account on s with password, given through
// the environment, as a user should.
func startBot(t *testing.T, bin string, s *testserver.Server, account, password string) *progtest.Proc {
	t.Helper()
	return progtest.Start(t, bin, []string{"XMPP_PASSWORD=" + password}, "-jid", account, "-addr", s.StartTLSAddr, "-ca", s.CAFile)
}

// stopBot sends SIGTERM and waits up to 10 s for the exit.
func stopBot(t *testing.T, bot *progtest.Proc) (code int) {
	t.Helper()
	bot.Signal(t, syscall.SIGTERM)
	return bot.Wait(t, 10*time.Second)
}

// TestIntegrationEchoBotTransports runs the bot with -websocket (wss://,
// the certificate checked against the JID's domain with -ca's CA) and
// talks to it from TCP; and again with -bosh (https://).
func TestIntegrationEchoBotTransports(t *testing.T) {
	bin := progtest.Build(t)
	for _, via := range []string{"websocket", "bosh"} {
		t.Run(via, func(t *testing.T) { echoBotVia(t, bin, via) })
	}
}

func echoBotVia(t *testing.T, bin, via string) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		url := s.WebSocketTLSURL
		if via == "bosh" {
			url = s.BOSHTLSURL
		}
		bot := progtest.Start(t, bin, []string{"XMPP_PASSWORD=" + s.User(t, "alice").Password},
			"-jid", "alice@"+s.Domain, "-"+via, url, "-ca", s.CAFile)
		botJID := bot.WaitOnline(t, 30*time.Second)
		assert.Contains(t, bot.Stdout.String(), "online as "+botJID.String()+" via "+via+"\n")

		bob := testserver.Login(t, s.Config(t, "bob"), nil)
		thread := stanza.Thread{ID: "echobot-" + via + "-" + rand.Text()}
		echoes := bob.Collect(echoesIn(botJID, thread), 1)
		defer echoes.Close()
		m := &stanza.Message{Type: stanza.Chat, Thread: thread, Bodies: []stanza.Text{{Value: "over " + via + "?"}}}
		m.To = botJID
		ctx := testserver.Context(t)
		require.NoError(t, bob.Send(ctx, m))
		st, err := echoes.Next(ctx)
		require.NoError(t, err, "no echo")
		assert.Equal(t, "over "+via+"?", st.(*stanza.Message).Body(""))
		assert.Equal(t, 0, stopBot(t, bot))
	})
}
