package upload_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/upload"
	"github.com/gosmack/gosmack/xmpp"
)

// Upload a file from disk, reading it as it goes out, and share its URL
// with a contact.
func Example() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	f, err := os.Open("balcony.jpg")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	up := upload.For(c)
	u, err := up.Upload(ctx, upload.File{
		Name: filepath.Base(f.Name()), Size: st.Size(), ContentType: "image/jpeg", Body: f,
		Progress: func(p upload.Progress) { fmt.Printf("\r%d of %d bytes", p.Sent, p.Size) },
	})
	var tooLarge *upload.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		log.Fatalf("the service takes at most %d bytes", tooLarge.Max) // nothing was sent
	case err != nil:
		log.Fatal(err)
	}
	if _, err := up.Share(ctx, jid.MustParse("romeo@example.net"), stanza.Chat, u.String()); err != nil {
		log.Fatal(err)
	}
}

// Ask for the service and its limit before offering to upload.
func ExampleManager_Service() {
	ctx := context.Background()
	c, err := xmpp.Dial(ctx, xmpp.Config{JID: jid.MustParse("juliet@example.com"), Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	svc, err := upload.For(c).Service(ctx)
	switch {
	case errors.Is(err, upload.ErrNoService):
		fmt.Println("no file sharing on this server")
	case err != nil:
		log.Fatal(err)
	case svc.MaxFileSize > 0:
		fmt.Printf("%s takes files up to %d bytes\n", svc.JID, svc.MaxFileSize)
	}
}
