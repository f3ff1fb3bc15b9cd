// Command echobot logs in to an XMPP account and answers every message
// with the same text: a chat or normal message that has a body gets back a
// message of the same type, body and thread, addressed to its sender.
// Messages without a body (chat states, receipts) and error, groupchat and
// headline messages are ignored. It also answers pings (XEP-0199), receipt
// requests (XEP-0184) and service discovery (XEP-0030), and announces its
// capabilities in its presence (XEP-0115). It accepts every subscription
// request and subscribes back (RFC 6121 section 3), so that whoever adds
// it to their roster sees it online and is seen by it.
//
// It sends available presence on login, so that messages to the bare JID
// reach it, prints "online as <full JID> via tcp" (websocket with
// -websocket, bosh with -bosh) on stdout, and runs until SIGINT or SIGTERM (exit 0) or
// until the server ends the connection (exit 1).
// A failed login prints one line on stderr and exits 1.
//
// Against the local Prosody of scripts/servers/prosody.sh (make demo runs
// this for you):
//
//	scripts/servers/prosody.sh start   # prints the CA path
//	XMPP_PASSWORD=alice-secret go run ./examples/echobot \
//		-jid alice@localhost -addr 127.0.0.1:15222 -ca /tmp/gosmack/prosody/pki/ca.pem
//
// then talk to alice@localhost from any client, or with
// examples/echoclient as bob. Add -v to see every element on stderr, and
// -record session.txt to keep a transcript. The flags are those of every
// example (examples/internal/cli); run with -h for the list.
package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/examples/internal/cli"
	"github.com/gosmack/gosmack/ping"
	"github.com/gosmack/gosmack/receipts"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// replyTimeout bounds sending one echo.
const replyTimeout = 10 * time.Second

func main() {
	cli.Main("echobot", nil, run)
}

func run(ctx context.Context, cfg xmpp.Config) error {
	c := xmpp.New(cfg)
	// The managers every client needs, attached before logging in so that
	// the initial presence carries the capabilities they add up to: pings
	// answered, receipt requests answered, disco#info answered with the
	// bot's identity and features.
	ping.For(c)
	receipts.For(c).SetMode(receipts.Always) // everyone, subscribed or not
	disco.For(c).SetIdentities(disco.Identity{Category: "client", Type: "bot", Name: "gosmack echobot"})
	caps.For(c)
	// The roster answers subscription requests: accepted, and a request
	// sent back unless the bot is subscribed already (or asked).
	contacts := roster.For(c)
	contacts.SetSubscriptionMode(roster.AcceptAll)
	contacts.SetSubscribeBack(true)
	// Registered before logging in, so that messages the server delivers
	// right after login (offline messages) are answered too.
	c.HandleMessage(stanza.IsMessage(stanza.Chat, stanza.Normal), func(m *stanza.Message) {
		if len(m.Bodies) == 0 {
			return
		}
		// Reply keeps the type (empty, as received, stays normal) and
		// the thread. Copy every body, with its language.
		r := m.Reply("")
		r.Bodies = slices.Clone(m.Bodies)
		r.Lang = m.Lang
		// The listener runs on the connection's dispatcher; sending from
		// it is allowed, and bounded so that a stuck socket cannot hold
		// the next message forever.
		sctx, cancel := context.WithTimeout(ctx, replyTimeout)
		defer cancel()
		if err := c.Send(sctx, r); err != nil {
			fmt.Fprintf(os.Stderr, "echobot: answering %s: %v\n", m.From, err)
		}
	})
	if err := cli.Connect(ctx, c); err != nil {
		return err
	}
	fmt.Println(cli.Online(c))
	return cli.Wait(ctx, c)
}
