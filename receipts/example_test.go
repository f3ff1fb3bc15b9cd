package receipts_test

import (
	"context"
	"log"
	"os"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/receipts"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// A client that asks for receipts on what it sends and answers requests
// from the contacts its roster says are subscribed.
func Example() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: os.Getenv("XMPP_PASSWORD")})
	subscribed := map[jid.JID]bool{jid.MustParse("romeo@example.net"): true} // until the roster manager exists
	r := receipts.New(c,
		receipts.AutoRequest(true),
		receipts.IsSubscribed(func(from jid.JID) bool { return subscribed[from.Bare()] }),
	)
	defer r.Close()
	r.OnReceipt(func(from jid.JID, id string, _ *stanza.Message) {
		log.Printf("%s got message %s", from, id)
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
func ExampleAnswer() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("bot@example.com")})
	receipts.New(c, receipts.Answer(receipts.Always))
}

func ExampleAddRequest() {
	m := &stanza.Message{Type: stanza.Chat, Bodies: []stanza.Text{{Value: "Please confirm"}}}
	m.To = jid.MustParse("romeo@example.net")
	receipts.AddRequest(m)
	// c.Send(ctx, m) gives m its id; the receipt will carry it.
}
