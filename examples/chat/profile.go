package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig reads JPEG
	_ "image/png"  // and PNG
	"io"
	"os"
	"strings"
	"sync"

	"github.com/gosmack/gosmack/avatar"
	"github.com/gosmack/gosmack/csi"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/nick"
	"github.com/gosmack/gosmack/upload"
	"github.com/gosmack/gosmack/vcard"
)

// Profiles: vCards (XEP-0054), avatars (XEP-0084 and the vCard-based
// XEP-0153) and the nickname (XEP-0172).

// maxAvatar is the largest image /setavatar takes. An avatar travels
// inside stanzas, base64-encoded (a third larger), and servers limit a
// stanza's size (Prosody to 256 KiB by default).
const maxAvatar = 128 << 10

// A vcardFieldSpec is one field /vcard shows and /setvcard sets.
type vcardFieldSpec struct {
	name string
	// get returns the field's values: none when empty, several for
	// EMAIL and TEL.
	get func(*vcard.VCard) []string
	// set sets the field to value ("" clears it); nil for a field
	// /setvcard does not set.
	set func(v *vcard.VCard, value string)
}

// vcardFields are the fields, in the order /vcard prints them.
var vcardFields = []vcardFieldSpec{
	{"FN", func(v *vcard.VCard) []string { return one(v.FullName) }, func(v *vcard.VCard, s string) { v.FullName = s }},
	{"NICKNAME", func(v *vcard.VCard) []string { return one(v.Nickname) }, func(v *vcard.VCard, s string) { v.Nickname = s }},
	{"EMAIL", emails, setEmail},
	{"TEL", phones, setPhone},
	{"URL", func(v *vcard.VCard) []string { return one(v.URL) }, func(v *vcard.VCard, s string) { v.URL = s }},
	{"ORG", func(v *vcard.VCard) []string { return one(v.Org.Name) }, func(v *vcard.VCard, s string) { v.Org.Name = s }},
	{"TITLE", func(v *vcard.VCard) []string { return one(v.Title) }, func(v *vcard.VCard, s string) { v.Title = s }},
	{"ROLE", func(v *vcard.VCard) []string { return one(v.Role) }, func(v *vcard.VCard, s string) { v.Role = s }},
	{"BDAY", func(v *vcard.VCard) []string { return one(v.Birthday) }, func(v *vcard.VCard, s string) { v.Birthday = s }},
	{"NOTE", func(v *vcard.VCard) []string { return one(v.Note) }, func(v *vcard.VCard, s string) { v.Note = s }},
	{"DESC", func(v *vcard.VCard) []string { return one(v.Desc) }, func(v *vcard.VCard, s string) { v.Desc = s }},
	{"PHOTO", func(v *vcard.VCard) []string {
		switch {
		case v.Photo == nil:
			return nil
		case len(v.Photo.Data) > 0:
			return []string{avatarText(v.Photo.Hash(), v.Photo.Type, len(v.Photo.Data))}
		case v.Photo.URL != "":
			return []string{v.Photo.URL}
		}
		return nil
	}, nil},
}

// one is s as a list of values: none when empty.
func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// emails are the vCard's email addresses.
func emails(v *vcard.VCard) []string {
	return values(v.Emails, func(e vcard.Email) string { return e.Address })
}

// setEmail sets the first email address (a new Internet address when
// there is none); "" removes it.
func setEmail(v *vcard.VCard, s string) {
	v.Emails = setFirst(v.Emails, s, func(e *vcard.Email) *string { return &e.Address }, vcard.Email{Types: []string{"INTERNET"}})
}

// phones are the vCard's phone numbers.
func phones(v *vcard.VCard) []string {
	return values(v.Phones, func(p vcard.Phone) string { return p.Number })
}

// setPhone sets the first phone number (a new voice number when there
// is none); "" removes it.
func setPhone(v *vcard.VCard, s string) {
	v.Phones = setFirst(v.Phones, s, func(p *vcard.Phone) *string { return &p.Number }, vcard.Phone{Types: []string{"VOICE"}})
}

// values are the non-empty values that value reads from the entries of
// a repeated field.
func values[T any](entries []T, value func(T) string) []string {
	var out []string
	for _, e := range entries {
		out = append(out, one(value(e))...)
	}
	return out
}

// setFirst sets the value of the first of entries (the one clients use)
// to s, keeping its flags; with no entries, it adds blank with value s;
// an empty s removes the first entry.
func setFirst[T any](entries []T, s string, value func(*T) *string, blank T) []T {
	switch {
	case s == "" && len(entries) > 0:
		return entries[1:]
	case s == "":
		return entries
	case len(entries) == 0:
		entries = []T{blank}
	}
	*value(&entries[0]) = s
	return entries
}

// vcardField returns the field named name (in capitals), or nil.
func vcardField(name string) *vcardFieldSpec {
	for i := range vcardFields {
		if vcardFields[i].name == name {
			return &vcardFields[i]
		}
	}
	return nil
}

// vcardOrder lists the fields /vcard shows, in its order.
func vcardOrder() string {
	names := make([]string, len(vcardFields))
	for i, f := range vcardFields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// settableFields lists the fields /setvcard sets.
func settableFields() string {
	var names []string
	for _, f := range vcardFields {
		if f.set != nil {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, ", ")
}

// vcardLines are /vcard's lines for who's card, without the tag:
// "who: FIELD=VALUE" for each filled field, then "end".
func vcardLines(who jid.JID, v *vcard.VCard) []string {
	var lines []string
	for _, f := range vcardFields {
		for _, value := range f.get(v) {
			lines = append(lines, clean(who.String())+": "+f.name+"="+clean(value))
		}
	}
	return append(lines, "end")
}

// avatarText is an avatar as /avatar and /vcard show it: "SHA1 TYPE
// BYTES".
func avatarText(hash, typ string, size int) string {
	if typ == "" {
		typ = "unknown"
	}
	return fmt.Sprintf("%s %s %d", clean(hash), clean(typ), size)
}

// attachProfile attaches what the profile, blocking, query, upload,
// client state and bookmark commands need, before login: the vCard
// client (which puts the avatar hash in presence), avatars (listening
// announces interest in the contacts' changes), blocking (the list read
// at login, so the server's pushes keep it), the answers to software
// version, time and last activity requests, client state indication,
// and the bookmarks with autojoin (attachBookmarks).
func (cl *client) attachProfile() {
	c := cl.c
	vc := vcard.For(c)
	av := avatar.For(c)
	nick.For(c)
	cl.attachQueries()
	upload.For(c)
	csi.For(c)
	cl.attachBookmarks()
	me := func(j jid.JID) bool { return j.Bare() == c.JID().Bare() }
	av.OnChange(func(ch avatar.Change) {
		hash := ""
		if len(ch.Infos) > 0 {
			hash = ch.Infos[0].ID
		}
		if !me(ch.From) {
			cl.avatarChanged(ch.From, hash)
		}
	})
	vc.OnAvatarChange(func(ch vcard.AvatarChange) {
		// A room occupant's (a full JID) is not a contact's. An empty
		// hash is not taken: a server that puts the vCard's hash in
		// presence itself (ejabberd) says "no picture" for a contact
		// whose avatar is only a User Avatar, which is not a change.
		if ch.From.IsBare() && !me(ch.From) && ch.Hash != "" {
			cl.avatarChanged(ch.From, ch.Hash)
		}
	})
}

// avatarChanged prints a contact's new avatar hash, once: both kinds of
// avatar (XEP-0084 and XEP-0153) name an image by the SHA-1 of its
// bytes, so the same change heard both ways is the same hash.
func (cl *client) avatarChanged(from jid.JID, hash string) {
	if cl.quiet.Load() || !cl.avatars.changed(from, hash) {
		return
	}
	if hash == "" {
		hash = "none"
	}
	cl.out.print(tagAvatar, "%s changed: %s", clean(from.String()), clean(hash))
}

// avatarSeen is the last avatar hash printed for each contact. The zero
// value is ready; it is safe for concurrent use.
type avatarSeen struct {
	mu   sync.Mutex
	last map[jid.JID]string
}

// changed records hash as who's avatar and reports whether it differs
// from the one recorded: "" (no avatar) for a contact not seen yet.
func (a *avatarSeen) changed(who jid.JID, hash string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last[who] == hash {
		return false
	}
	if a.last == nil {
		a.last = make(map[jid.JID]string)
	}
	a.last[who] = hash
	return true
}

// doMore runs the commands of the profile, blocking, query, upload,
// client state and bookmark lines (client.do runs the others).
func (cl *client) doMore(ctx context.Context, cmd command) error {
	switch cmd.name {
	case "vcard":
		return cl.showVCard(ctx, cmd.to)
	case "setvcard":
		return cl.setVCard(ctx, cmd.field, cmd.text)
	case "avatar":
		return cl.showAvatar(ctx, cmd.to)
	case "setavatar":
		return cl.setAvatar(ctx, cmd.text)
	case "block", "unblock", "blocked":
		return cl.block(ctx, cmd)
	case "version", "time", "last":
		return cl.query(ctx, cmd)
	case "upload":
		return cl.upload(ctx, cmd.text, cmd.to)
	case "inactive", "active":
		return cl.setClientState(ctx, cmd.name == "active")
	case "bookmarks", "bookmark", "unbookmark":
		return cl.bookmark(ctx, cmd)
	}
	return fmt.Errorf("not implemented") // a command in the table and not here
}

// showVCard prints who's vCard; the zero JID: the user's own.
func (cl *client) showVCard(ctx context.Context, who jid.JID) error {
	card, err := vcard.For(cl.c).Get(ctx, who)
	if who.IsZero() {
		who = cl.c.JID().Bare()
	}
	if err != nil {
		return queryError(who, err)
	}
	for _, line := range vcardLines(who, card) {
		cl.out.print(tagVCard, "%s", line)
	}
	return nil
}

// setVCard sets one field of the user's vCard: it reads the vCard and
// writes it back with the field changed, so that the other fields, those
// this client does not know included, are kept.
func (cl *client) setVCard(ctx context.Context, field, value string) error {
	vc := vcard.For(cl.c)
	card, err := vc.Get(ctx, jid.JID{})
	if err != nil {
		return fmt.Errorf("reading your vCard: %w", err)
	}
	vcardField(field).set(card, value)
	if err := vc.Set(ctx, card); err != nil {
		return err
	}
	if field == "NICKNAME" {
		// Clients that read nicknames from PEP (XEP-0172) see it too.
		if err := nick.For(cl.c).Publish(ctx, value); err != nil {
			return fmt.Errorf("vCard saved, but publishing the nickname: %w", err)
		}
	}
	if value == "" {
		cl.out.print(tagInfo, "cleared %s in your vCard", field)
	} else {
		cl.out.print(tagInfo, "set %s in your vCard", field)
	}
	return nil
}

// showAvatar prints who's avatar: the one it published (XEP-0084), else
// its vCard's picture (XEP-0153), else none.
func (cl *client) showAvatar(ctx context.Context, who jid.JID) error {
	infos, metaErr := avatar.For(cl.c).Metadata(ctx, who)
	if metaErr == nil && len(infos) > 0 {
		i := infos[0]
		cl.out.print(tagAvatar, "%s: %s", who, avatarText(i.ID, i.Type, i.Bytes))
		return nil
	}
	card, err := vcard.For(cl.c).Get(ctx, who)
	switch {
	case err == nil && card.Photo != nil && len(card.Photo.Data) > 0:
		cl.out.print(tagAvatar, "%s: %s", who, avatarText(card.Photo.Hash(), card.Photo.Type, len(card.Photo.Data)))
	case err != nil && metaErr != nil:
		return queryError(who, metaErr)
	default:
		cl.out.print(tagAvatar, "%s: none", who)
	}
	return nil
}

// setAvatar makes the PNG or JPEG image in file the user's avatar, as a
// User Avatar (XEP-0084) and as the vCard's picture (XEP-0153); when the
// server converts one into the other (XEP-0398), the first is enough.
func (cl *client) setAvatar(ctx context.Context, file string) error {
	data, err := readAvatar(file)
	if err != nil {
		return err
	}
	typ, w, h, err := imageInfo(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	av := avatar.For(cl.c)
	converts, err := av.Converts(ctx)
	if err != nil {
		converts = false // not known: publish both
	}
	info, err := av.Publish(ctx, data, typ, w, h)
	if err != nil {
		return fmt.Errorf("publishing the avatar: %w", err)
	}
	how := "as your avatar and, by your server, your vCard's picture"
	if !converts {
		vc := vcard.For(cl.c)
		card, err := vc.Get(ctx, jid.JID{})
		if err != nil {
			return fmt.Errorf("avatar published, but reading your vCard: %w", err)
		}
		card.Photo = &vcard.Photo{Type: typ, Data: data}
		if err := vc.Set(ctx, card); err != nil {
			return fmt.Errorf("avatar published, but setting your vCard's picture: %w", err)
		}
		how = "as your avatar and your vCard's picture"
	}
	cl.out.print(tagInfo, "%s (%dx%d) published %s: %s", clean(file), w, h, how, avatarText(info.ID, typ, len(data)))
	return nil
}

// readAvatar reads an image file of at most maxAvatar bytes.
func readAvatar(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAvatar+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxAvatar {
		return nil, fmt.Errorf("%s is larger than %d KiB: avatars travel inside messages, make it smaller", file, maxAvatar>>10)
	}
	return data, nil
}

// errNotImage refuses what is neither a PNG nor a JPEG.
var errNotImage = errors.New("not a PNG or JPEG image")

// imageInfo tells a PNG or JPEG image by its first bytes (its magic
// number, not its file name) and reads its size in pixels.
func imageInfo(data []byte) (typ string, width, height int, err error) {
	var format string
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		typ, format = "image/png", "png"
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		typ, format = "image/jpeg", "jpeg"
	default:
		return "", 0, 0, errNotImage
	}
	cfg, got, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", 0, 0, fmt.Errorf("a damaged %s image: %v", strings.ToUpper(format), err)
	}
	if got != format {
		return "", 0, 0, errNotImage
	}
	return typ, cfg.Width, cfg.Height, nil
}
