package pep_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"log"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pep"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Listen to the contacts' tunes before connecting (the first presence
// then asks their servers for them), and publish one's own.
func Example() {
	const tune = "http://jabber.org/protocol/tune"
	ctx := context.Background()
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	p := pep.For(c) // attaches caps, disco and pubsub too
	p.OnEvent(tune, func(e pubsub.Event) {
		fmt.Println(e.Service, "listens to something new")
	})
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	t := &stanza.Node{Name: xml.Name{Space: tune, Local: "tune"}}
	if _, err := p.Publish(ctx, tune, pubsub.Item{ID: "current", Payload: t}, pubsub.PublishOptions{}); err != nil {
		log.Fatal(err)
	}
}
