package blocking_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gosmack/gosmack/blocking"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// A client that reads the block list at each login, follows its
// changes, and blocks a spammer.
func Example() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	b := blocking.For(c)
	b.SetFetchAtLogin(true)
	b.OnChange(func(e blocking.Event) {
		switch {
		case e.All:
			fmt.Println("everyone unblocked")
		case e.Blocked != nil:
			fmt.Println("blocked:", e.Blocked)
		default:
			fmt.Println("unblocked:", e.Unblocked)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if err := b.Block(ctx, jid.MustParse("spammer@example.net")); err != nil {
		log.Fatal(err)
	}
	list, err := b.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("blocked now:", list)
}
