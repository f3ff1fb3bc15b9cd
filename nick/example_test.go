package nick_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/nick"
	"github.com/gosmack/gosmack/xmpp"
)

// Hear the contacts' nicknames and publish one's own.
func Example() {
	ctx := context.Background()
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	m := nick.For(c)
	m.OnNick(func(n nick.Nick) { fmt.Printf("%s calls themselves %q\n", n.JID, n.Name) })
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := m.Publish(ctx, "Juliet"); err != nil {
		log.Fatal(err)
	}
}
