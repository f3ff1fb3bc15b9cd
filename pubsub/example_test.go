package pubsub_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"log"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/pubsub"
	"github.com/gosmack/gosmack/rsm"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// Create a node on a pubsub service, listen to it, subscribe, publish,
// and page through its items.
func Example() {
	ctx := context.Background()
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	m := pubsub.For(c)
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	service := jid.MustParse("pubsub.example.com")
	conf := pubsub.NodeConfig(dataform.Field{Var: pubsub.VarAccessModel, Values: []string{pubsub.AccessOpen}})
	news, err := m.Create(ctx, service, "balcony-news", &conf)
	if err != nil {
		log.Fatal(err)
	}
	news.OnEvent(func(e pubsub.Event) { // only from service, only of this node
		for _, it := range e.Items {
			fmt.Println("published:", it.ID)
		}
	})
	if _, err := news.Subscribe(ctx); err != nil {
		log.Fatal(err)
	}
	entry := &stanza.Node{Name: xml.Name{Space: "urn:example:news", Local: "entry"}, Nodes: []stanza.Node{{Text: "Wherefore art thou"}}}
	if _, err := news.Publish(ctx, pubsub.Item{Payload: entry}, pubsub.PublishOptions{}); err != nil {
		log.Fatal(err)
	}
	q := pubsub.ItemsQuery{Page: &rsm.Request{Max: 20}}
	for {
		page, err := news.Items(ctx, q)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(page.Items), "items")
		if page.Set == nil || len(page.Items) == 0 {
			break
		}
		q.Page = &rsm.Request{Max: 20, After: page.Set.Last}
	}
}

// Publish to a node of the account's own PEP service, created with
// access for a whitelist only where it does not exist yet.
func ExampleNode_Publish() {
	ctx := context.Background()
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	own := pubsub.For(c).Node(jid.JID{}, "urn:example:private")
	data := &stanza.Node{Name: xml.Name{Space: "urn:example:private", Local: "data"}}
	_, err := own.Publish(ctx, pubsub.Item{ID: "current", Payload: data},
		pubsub.PublishOptions{AccessModel: pubsub.AccessWhitelist, PersistItems: true})
	if err != nil {
		log.Fatal(err)
	}
}
