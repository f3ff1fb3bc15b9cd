package chat_test

import (
	"context"
	"log"

	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// An echo bot that answers each contact in its chat: to the resource that
// wrote, in the contact's thread.
func Example() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("bot@example.com"), Password: "secret"})
	chats := chat.For(c)
	chats.SetMaxChats(100)
	chats.OnMessage(func(e chat.Incoming) {
		if _, err := e.Chat.Send(context.Background(), "you said: "+e.Message.Body("")); err != nil {
			log.Print(err)
		}
	})
	if err := c.Connect(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}

// Starting a conversation, and matching the delivery receipt of a
// message with the id Send returns.
func ExampleChats_Chat() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@example.com"), Password: "secret"})
	if err := c.Connect(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// A bare JID: to the resource that answers, once one does.
	juliet := chat.For(c).Chat(jid.MustParse("juliet@example.com"))
	id, err := juliet.Send(context.Background(), "hi")
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("sent %s; a receipt for it will carry that id", id)
}
