package adhoc_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gosmack/gosmack/adhoc"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/xmpp"
)

// An administrator asks the server for an account's statistics: the
// command's form asks for the account, and the result is a form too.
func Example() {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("admin@example.com"), Password: "secret"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	a := adhoc.For(c)
	cmds, err := a.Commands(ctx, jid.JID{})
	if err != nil {
		log.Fatal(err)
	}
	for _, cmd := range cmds {
		fmt.Println(cmd.Node, cmd.Name)
	}
	s, err := a.Execute(ctx, jid.JID{}, "http://jabber.org/protocol/admin#user-stats")
	if err != nil {
		log.Fatal(err)
	}
	r := s.Response()
	if r.Form == nil {
		log.Fatal("no form")
	}
	answer, err := r.Form.Answer()
	if err != nil {
		log.Fatal(err)
	}
	if err := answer.SetJID("accountjid", jid.MustParse("juliet@example.com")); err != nil {
		log.Fatal(err)
	}
	submit, err := answer.Submit()
	if err != nil {
		log.Fatal(err)
	}
	if r, err = s.Complete(ctx, &submit); err != nil {
		log.Fatal(err)
	}
	for _, note := range r.Notes {
		fmt.Println(note.Type, note.Text)
	}
	if r.Form != nil {
		fmt.Println("online:", r.Form.Values("onlineresources"))
	}
}
