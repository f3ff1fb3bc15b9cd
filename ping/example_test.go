package ping_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/ping"
	"github.com/gosmack/gosmack/xmpp"
)

// A connection that answers pings, pings its server every minute, and
// pings a contact's client.
func Example() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	p := ping.For(c)
	p.SetInterval(time.Minute)
	p.OnFailure(func(f ping.Failure) {
		// No reply within the minute. The stream may be up: ending a
		// dead one is the connection's watchdog's work.
		log.Print(f.Err)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	rtt, err := p.Ping(ctx, jid.MustParse("romeo@example.net/orchard"))
	switch {
	case err == nil:
		fmt.Println("pong after", rtt)
	case ping.Reachable(err):
		fmt.Println("there, without XEP-0199:", err)
	default:
		fmt.Println("not reached:", err)
	}
}
