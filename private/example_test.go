package private_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"log"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/private"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Keep a preference on the account's server and read it back, from this
// or any other client of the account.
func Example() {
	ctx := context.Background()
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	name := xml.Name{Space: "urn:example:prefs", Local: "prefs"}
	colour := stanza.Node{Name: xml.Name{Space: name.Space, Local: "colour"}, Nodes: []stanza.Node{{Text: "blue"}}}
	if err := private.For(c).Set(ctx, stanza.Node{Name: name, Nodes: []stanza.Node{colour}}); err != nil {
		log.Fatal(err)
	}
	prefs, err := private.For(c).Get(ctx, name)
	if err != nil {
		log.Fatal(err)
	}
	if c := prefs.Child(name.Space, "colour"); c != nil {
		fmt.Println("colour:", c.InnerText())
	}
}
