package main

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"time"

	"github.com/gosmack/gosmack/csi"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/upload"
)

// Files shared over HTTP (XEP-0363, with XEP-0066 out-of-band data) and
// client state indication (XEP-0352).

// uploadTimeout bounds /upload, the transfer included.
const uploadTimeout = 10 * time.Minute

// upload uploads file and sends its URL to to (the current conversation
// when zero): a contact, or a joined room.
func (cl *client) upload(ctx context.Context, file string, to jid.JID) error {
	if to.IsZero() {
		to = cl.current
		if to.IsZero() {
			return errors.New("no current conversation: name the JID, or /msg JID TEXT or /join ROOM@SERVICE first")
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a file", file)
	}
	name := filepath.Base(file)
	u, err := upload.For(cl.c).Upload(ctx, upload.File{
		Name: name, Size: st.Size(), ContentType: contentType(name), Body: f,
	})
	var tooLarge *upload.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return fmt.Errorf("%s: %w (nothing was sent)", file, err)
	case err != nil:
		return fmt.Errorf("%s: %w", file, err)
	}
	typ := stanza.Chat
	if to.IsBare() && cl.room(to) != nil {
		typ = stanza.Groupchat
	}
	cl.out.print(tagUpload, "%s: %d bytes, %s", clean(file), st.Size(), clean(u.String()))
	if _, err := upload.For(cl.c).Share(ctx, to, typ, u.String()); err != nil {
		return fmt.Errorf("uploaded, but sending the link to %s: %w", to, err)
	}
	return nil
}

// contentType is the media type a file name's extension stands for, or
// upload's default.
func contentType(name string) string {
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		return t
	}
	return upload.DefaultContentType
}

// setClientState tells the server whether the user is looking (XEP-0352);
// the state is kept and told again on a new session.
func (cl *client) setClientState(ctx context.Context, active bool) error {
	m := csi.For(cl.c)
	var err error
	if active {
		err = m.SetActive(ctx)
	} else {
		err = m.SetInactive(ctx)
	}
	switch {
	case errors.Is(err, csi.ErrNotOffered):
		return errors.New("your server does not offer client state indication")
	case err != nil:
		return err
	case active:
		cl.out.print(tagInfo, "you are active: the server sends everything as it comes")
	default:
		cl.out.print(tagInfo, "you are inactive: the server may hold back presence and typing notifications until /active")
	}
	return nil
}
