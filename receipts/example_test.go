package receipts_test

import (
	"context"
	"log"
	"os"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/receipts"
	"github.com/gosmack/gosmack/roster"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// A client that asks for receipts on what it sends. It answers the
// requests of the contacts subscribed to its presence, as the roster
// attached to the connection says (without one, it answers none).
func Example() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: os.Getenv("XMPP_PASSWORD")})
	roster.For(c) // IfSubscribed, the default mode, asks it whom to answer
	r := receipts.For(c)
	r.SetAutoRequest(true)
	r.OnReceipt(func(e receipts.Receipt) {
		log.Printf("%s got message %s", e.From, e.ID)
	})
	ctx := context.Background()
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Art thou not Romeo?"}}}
	m.To = jid.MustParse("romeo@example.net")
	if err := c.Send(ctx, m); err != nil {
		log.Fatal(err)
	}
	log.Printf("sent %s; a receipt will name it", m.ID)
}

// A bot answers every request; its own messages request nothing.
func ExampleTracker_SetMode() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("bot@example.com")})
	receipts.For(c).SetMode(receipts.Always)
}

func ExampleAddRequest() {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Please confirm"}}}
	m.To = jid.MustParse("romeo@example.net")
	receipts.AddRequest(m)
	// c.Send(ctx, m) gives m its id; the receipt will carry it.
}
