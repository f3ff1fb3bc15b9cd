package chat_test

import (
	"context"
	"log"

	"github.com/gosmack/gosmack/chat"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
)

// An echo bot that answers each contact in its chat: to the resource that
// wrote, in the contact's thread.
func Example() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("bot@example.com"), Password: "secret"})
	chats := chat.New(c, chat.MaxChats(100))
	defer chats.Close()
	chats.OnMessage(func(ch *chat.Chat, msg *stanza.Message) {
		if err := ch.Send(context.Background(), "you said: "+msg.Body("")); err != nil {
			log.Print(err)
		}
	})
	if err := c.Connect(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
}
