package caps_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gosmack/gosmack/caps"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// Attach entity capabilities before connecting; later, ask what a
// contact's resource supports without a round trip.
func Example() {
	ctx := context.Background()
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	t := caps.For(c) // attaches service discovery too
	t.SetNode("https://example.com/balcony")
	c.Announce("urn:xmpp:receipts") // as the receipts manager does
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	romeo := jid.MustParse("romeo@example.net/orchard")
	ok, known := t.Supports(romeo, "urn:xmpp:receipts")
	if !known { // no caps from romeo (yet): ask him
		var err error
		if ok, err = disco.For(c).Supports(ctx, romeo, "urn:xmpp:receipts"); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("receipts:", ok)
}

// The verification string of XEP-0115 section 5.2's example.
func ExampleVer() {
	ver, err := caps.Ver(&disco.Info{
		Identities: []disco.Identity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
		Features: []string{"http://jabber.org/protocol/caps", disco.NSInfo, disco.NSItems,
			"http://jabber.org/protocol/muc"},
	}, "sha-1")
	fmt.Println(ver, err)
	// Output: QgayPKawpkPSDYmwT/WM94uAlu0= <nil>
}
