package disco_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// Attach service discovery before connecting, then ask the server what it
// offers.
func Example() {
	ctx := context.Background()
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	d := disco.For(c)
	d.SetIdentities(disco.Identity{Category: "client", Type: "pc", Name: "Balcony"})
	d.AddForm(dataform.New(dataform.TypeResult, "urn:xmpp:dataforms:softwareinfo",
		dataform.Field{Var: "software", Values: []string{"Balcony"}},
		dataform.Field{Var: "software_version", Values: []string{"1.0"}}))
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	info, err := d.Info(ctx, c.JID().Domain(), "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("carbons:", info.HasFeature("urn:xmpp:carbons:2"))
	items, err := d.Items(ctx, c.JID().Domain(), "")
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range items {
		fmt.Println("service:", it.JID)
	}
}
