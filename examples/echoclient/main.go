// Command echoclient holds a short scripted conversation with an echo bot
// (examples/echobot) and checks every answer: it logs in, sends -n chat
// messages with distinct bodies in one thread to -to, and waits for each
// echo (same body, type chat, same thread, from -to's bare JID), printing
// the exchange:
//
//	> hello 1 from echoclient
//	< hello 1 from echoclient
//
// It exits 0 when every echo came back, and 1 with one line on stderr when
// the login fails or an echo is missing (none within 10 s) or differs.
//
// Against the local Prosody, with the bot running as alice:
//
//	XMPP_PASSWORD=bob-secret go run ./examples/echoclient \
//		-jid bob@localhost -addr 127.0.0.1:15222 -ca /tmp/gosmack/prosody/pki/ca.pem \
//		-to alice@localhost
//
// The other flags are those of every example (examples/internal/cli); run
// with -h for the list.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"time"

	"github.com/gosmack/gosmack/examples/internal/cli"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// echoTimeout bounds the wait for each echo.
const echoTimeout = 10 * time.Second

func main() {
	var to string
	var n int
	cli.Main("echoclient", func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "the echo bot's `JID` (required)")
		fs.IntVar(&n, "n", 3, "how many messages to send")
	}, func(ctx context.Context, cfg xmpp.Config) error {
		if to == "" {
			return cli.Usagef("-to is required")
		}
		bot, err := jid.Parse(to)
		if err != nil {
			return cli.Usagef("-to %s: %v", to, err)
		}
		if n < 1 {
			return cli.Usagef("-n must be at least 1")
		}
		return run(ctx, cfg, bot, n)
	})
}

func run(ctx context.Context, cfg xmpp.Config, bot jid.JID, n int) error {
	c := xmpp.New(cfg)
	// Collect the answers from the moment we log in, before sending
	// anything, so that no echo can slip by unseen.
	echoes := c.Collect(stanza.And(stanza.FromBare(bot), stanza.IsMessage(stanza.Chat, stanza.MessageError)), n)
	defer echoes.Close()
	if err := cli.Connect(ctx, c); err != nil {
		return err
	}
	defer c.Close()

	thread := stanza.Thread{ID: "echoclient-" + rand.Text()}
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf("hello %d from %s", i, c.JID().Localpart())
		m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: body}}, Thread: thread}
		m.To = bot
		if err := c.Send(ctx, m); err != nil {
			return fmt.Errorf("sending to %s: %w", bot, err)
		}
		fmt.Printf("> %s\n", body)
		if err := awaitEcho(ctx, echoes, bot, body, thread); err != nil {
			return err
		}
		fmt.Printf("< %s\n", body)
	}
	return c.Close()
}

// awaitEcho waits up to echoTimeout for the next message from the bot and
// checks that it echoes body in thread.
func awaitEcho(ctx context.Context, echoes *xmpp.Collector, bot jid.JID, body string, thread stanza.Thread) error {
	wctx, cancel := context.WithTimeout(ctx, echoTimeout)
	defer cancel()
	st, err := echoes.Next(wctx)
	if err != nil {
		if wctx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("no echo of %q from %s within %s", body, bot, echoTimeout)
		}
		return fmt.Errorf("waiting for the echo of %q: %w", body, err)
	}
	m := st.(*stanza.Message) // the filter takes messages only
	switch {
	case m.Type == stanza.MessageError:
		return fmt.Errorf("%s answered %q with an error: %v", bot, body, m.Error)
	case m.Body("") != body:
		return fmt.Errorf("%s echoed %q as %q", bot, body, m.Body(""))
	case m.Thread != thread:
		return fmt.Errorf("%s echoed %q in thread %q, not %q", bot, body, m.Thread.ID, thread.ID)
	}
	return nil
}
