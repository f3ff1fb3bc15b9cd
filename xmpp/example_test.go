package xmpp_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// An echo bot: it answers every chat message with its text.
func Example() {
	c := xmpp.New(xmpp.Config{
		JID:      jid.MustParse("juliet@example.com"),
		Password: os.Getenv("XMPP_PASSWORD"),
	})
	// Listeners run one at a time, in the order stanzas arrive; they may
	// send and wait for IQ replies.
	c.HandleMessage(stanza.IsMessage(stanza.Chat), func(m *stanza.Message) {
		c.Send(context.Background(), m.Reply("you said: "+m.Body("")))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil { // SRV, TLS, SASL, bind, presence
		log.Fatal(err) // *sasl.Failure, *stanza.StreamError, xmpp.ErrTLSNotOffered...
	}
	defer c.Close()
	fmt.Println("online as", c.JID())
	<-c.Done()
}

// Answering a request: the connection sends the handler's payload back as
// the result, or its *stanza.Error.
func ExampleConn_HandleIQ() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("juliet@example.com")})
	version := xml.Name{Space: "jabber:iq:version", Local: "query"}
	remove := c.HandleIQ(stanza.Get, version, xmpp.IQHandlerFunc(func(ctx context.Context, iq *stanza.IQ) (*stanza.Node, error) {
		return &stanza.Node{Name: version, Nodes: []stanza.Node{
			{Name: xml.Name{Space: version.Space, Local: "name"}, Nodes: []stanza.Node{{Text: "gosmack"}}},
		}}, nil
	}))
	defer remove()
}

// Asking and waiting: only a reply from the entity asked counts.
func ExampleConn_SendIQ() {
	var c *xmpp.Conn // connected
	iq := &stanza.IQ{Type: stanza.Get, Payload: &stanza.Node{Name: xml.Name{Space: "urn:xmpp:ping", Local: "ping"}}}
	iq.To = jid.MustParse("romeo@example.net/orchard")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.SendIQ(ctx, iq); err != nil {
		var se *stanza.Error
		switch {
		case errors.As(err, &se):
			fmt.Println("refused:", se.Condition)
		case errors.Is(err, context.DeadlineExceeded):
			fmt.Println("no answer")
		}
	}
}
