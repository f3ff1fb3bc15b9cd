package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/lastactivity"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/vcard"
	"github.com/gosmack/gosmack/version"
)

func TestVCardLines(t *testing.T) {
	bob := jid.MustParse("bob@example.com")
	assert.Equal(t, []string{"end"}, vcardLines(bob, &vcard.VCard{}), "an empty vCard")

	photo := []byte("\x89PNG\r\n\x1a\nnot really")
	sum := sha1.Sum(photo)
	card := &vcard.VCard{
		// Set in another order than shown, to show the order is /vcard's.
		Note:     "two\nlines",
		Desc:     "about",
		Photo:    &vcard.Photo{Type: "image/png", Data: photo},
		URL:      "https://example.com/bob",
		Emails:   []vcard.Email{{Address: "bob@example.com"}, {Address: ""}, {Address: "b@example.net"}},
		Phones:   []vcard.Phone{{Number: "+1 555"}},
		Nickname: "bobby",
		FullName: "Bob \x1b[31mRed",
		Org:      vcard.Org{Name: "Acme"},
		Title:    "Builder",
		Role:     "Lead",
		Birthday: "1970-01-01",
		Name:     vcard.Name{Given: "Bob"}, // not shown
	}
	assert.Equal(t, []string{
		`bob@example.com: FN=Bob \x1b[31mRed`,
		"bob@example.com: NICKNAME=bobby",
		"bob@example.com: EMAIL=bob@example.com",
		"bob@example.com: EMAIL=b@example.net",
		"bob@example.com: TEL=+1 555",
		"bob@example.com: URL=https://example.com/bob",
		"bob@example.com: ORG=Acme",
		"bob@example.com: TITLE=Builder",
		"bob@example.com: ROLE=Lead",
		"bob@example.com: BDAY=1970-01-01",
		`bob@example.com: NOTE=two\nlines`,
		"bob@example.com: DESC=about",
		"bob@example.com: PHOTO=" + hex.EncodeToString(sum[:]) + " image/png " + fmt.Sprint(len(photo)),
		"end",
	}, vcardLines(bob, card))

	linked := &vcard.VCard{Photo: &vcard.Photo{URL: "https://example.com/me.png"}}
	assert.Equal(t, []string{"bob@example.com: PHOTO=https://example.com/me.png", "end"}, vcardLines(bob, linked))
}

// TestSetVCardField: /setvcard changes one field of the vCard read, and
// leaves the others, unknown elements included, as they were.
func TestSetVCardField(t *testing.T) {
	read := func() *vcard.VCard {
		return &vcard.VCard{
			FullName: "Alice",
			Emails:   []vcard.Email{{Address: "a@example.com", Types: []string{"WORK"}}, {Address: "a@example.net"}},
			Phones:   []vcard.Phone{{Number: "1", Types: []string{"CELL"}}},
			Photo:    &vcard.Photo{Type: "image/png", Data: []byte("png")},
			Other:    []stanza.Node{{Name: xml.Name{Space: vcard.NS, Local: "JABBERID"}, Nodes: []stanza.Node{{Text: "alice@example.com"}}}},
		}
	}
	set := func(field, value string) *vcard.VCard {
		v := read()
		vcardField(field).set(v, value)
		return v
	}

	v := set("NOTE", "hello")
	assert.Equal(t, "hello", v.Note)
	v.Note = ""
	assert.Equal(t, read(), v, "nothing else changed")

	v = set("EMAIL", "new@example.com")
	assert.Equal(t, []vcard.Email{{Address: "new@example.com", Types: []string{"WORK"}}, {Address: "a@example.net"}}, v.Emails, "the first address, its flags kept")
	assert.Equal(t, []vcard.Email{{Address: "a@example.net"}}, set("EMAIL", "").Emails, "cleared: the first goes")
	v = &vcard.VCard{}
	vcardField("EMAIL").set(v, "x@example.com")
	assert.Equal(t, []vcard.Email{{Address: "x@example.com", Types: []string{"INTERNET"}}}, v.Emails)
	vcardField("EMAIL").set(&vcard.VCard{}, "") // nothing to clear

	assert.Equal(t, []vcard.Phone{{Number: "2", Types: []string{"CELL"}}}, set("TEL", "2").Phones)
	assert.Empty(t, set("TEL", "").Phones)
	v = &vcard.VCard{}
	vcardField("TEL").set(v, "3")
	assert.Equal(t, []vcard.Phone{{Number: "3", Types: []string{"VOICE"}}}, v.Phones)

	for field, get := range map[string]func(*vcard.VCard) string{
		"FN": func(v *vcard.VCard) string { return v.FullName }, "NICKNAME": func(v *vcard.VCard) string { return v.Nickname },
		"URL": func(v *vcard.VCard) string { return v.URL }, "ORG": func(v *vcard.VCard) string { return v.Org.Name },
		"TITLE": func(v *vcard.VCard) string { return v.Title }, "ROLE": func(v *vcard.VCard) string { return v.Role },
		"BDAY": func(v *vcard.VCard) string { return v.Birthday }, "DESC": func(v *vcard.VCard) string { return v.Desc },
	} {
		v := set(field, "value of "+field)
		assert.Equal(t, "value of "+field, get(v), field)
		assert.Equal(t, []string{"value of " + field}, vcardField(field).get(v), field)
		assert.Equal(t, read().Other, v.Other, field)
	}
	assert.Nil(t, vcardField("PHOTO").set, "the picture is /setavatar's")
	assert.Nil(t, vcardField("nope"))
	assert.Equal(t, "FN, NICKNAME, EMAIL, TEL, URL, ORG, TITLE, ROLE, BDAY, NOTE, DESC", settableFields())
	assert.Equal(t, settableFields()+", PHOTO", vcardOrder())
}

func TestAvatarSeen(t *testing.T) {
	bob, carol := jid.MustParse("bob@example.com"), jid.MustParse("carol@example.com")
	var a avatarSeen
	assert.False(t, a.changed(bob, ""), "no avatar, as before")
	assert.True(t, a.changed(bob, "aaaa"))
	assert.False(t, a.changed(bob, "aaaa"), "the same change heard the other way")
	assert.True(t, a.changed(carol, "aaaa"), "per contact")
	assert.True(t, a.changed(bob, "bbbb"))
	assert.True(t, a.changed(bob, ""), "removed")
	assert.False(t, a.changed(bob, ""))
}

// TestAvatarChanged: a contact's new avatar is printed once, whichever
// way it comes first; the user's own, and a full JID's, are not the
// listeners' to print (attachProfile filters those).
func TestAvatarChanged(t *testing.T) {
	var out bytes.Buffer
	cl := &client{out: &printer{w: &out}}
	bob := jid.MustParse("bob@example.com")
	cl.avatarChanged(bob, "0123")
	cl.avatarChanged(bob, "0123")
	cl.avatarChanged(bob, "")
	cl.quiet.Store(true)
	cl.avatarChanged(bob, "4567")
	assert.Equal(t, "[avatar] bob@example.com changed: 0123\n[avatar] bob@example.com changed: none\n", out.String())
}

func TestAvatarText(t *testing.T) {
	assert.Equal(t, "abcd image/png 42", avatarText("abcd", "image/png", 42))
	assert.Equal(t, "abcd unknown 0", avatarText("abcd", "", 0))
	assert.Equal(t, `ab\ncd image/png\x1b 1`, avatarText("ab\ncd", "image/png\x1b", 1))
}

func encodeImage(t *testing.T, enc func(*bytes.Buffer, image.Image) error, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	require.NoError(t, enc(&b, img))
	return b.Bytes()
}

func TestImageInfo(t *testing.T) {
	pngData := encodeImage(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }, 3, 2)
	typ, w, h, err := imageInfo(pngData)
	require.NoError(t, err)
	assert.Equal(t, []any{"image/png", 3, 2}, []any{typ, w, h})

	jpegData := encodeImage(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }, 5, 7)
	typ, w, h, err = imageInfo(jpegData)
	require.NoError(t, err)
	assert.Equal(t, []any{"image/jpeg", 5, 7}, []any{typ, w, h})

	gifData := encodeImage(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }, 1, 1)
	for name, data := range map[string][]byte{
		"gif":   gifData,
		"text":  []byte("hello"),
		"empty": nil,
	} {
		_, _, _, err := imageInfo(data)
		assert.ErrorIs(t, err, errNotImage, name)
	}
	// The magic number says PNG, the rest is not one.
	_, _, _, err = imageInfo(pngData[:12])
	assert.ErrorContains(t, err, "a damaged PNG image")
	_, _, _, err = imageInfo([]byte{0xff, 0xd8, 0xff, 0})
	assert.ErrorContains(t, err, "a damaged JPEG image")
}

func TestVersionText(t *testing.T) {
	assert.Equal(t, "software Prosody 0.12.3", versionText(version.Info{Name: "Prosody", Version: "0.12.3"}))
	assert.Equal(t, "software ejabberd 23.01 (Linux)", versionText(version.Info{Name: "ejabberd", Version: "23.01", OS: "Linux"}))
	assert.Equal(t, `software evil\x1b[2J`, versionText(version.Info{Name: "evil\x1b[2J"}))
}

func TestLastText(t *testing.T) {
	a := lastactivity.Activity{Idle: 65 * time.Second}
	assert.Equal(t, "up 1m5s", lastText(jid.MustParse("example.com"), a))
	assert.Equal(t, "idle 1m5s", lastText(jid.MustParse("bob@example.com/desk"), a))
	assert.Equal(t, "last seen 1m5s ago", lastText(jid.MustParse("bob@example.com"), a))
	a.Status = "gone\nfishing"
	assert.Equal(t, `last seen 1m5s ago: gone\nfishing`, lastText(jid.MustParse("bob@example.com"), a))
	assert.Equal(t, "idle 0s", lastText(jid.MustParse("bob@example.com/desk"), lastactivity.Activity{}))
}

func TestQueryError(t *testing.T) {
	bob := jid.MustParse("bob@example.com/desk")
	se := &stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable, Text: "not\nhere"}
	err := queryError(bob, fmt.Errorf("wrapped: %w", se))
	assert.Equal(t, `bob@example.com/desk: service-unavailable (not\nhere)`, err.Error())
	other := errors.New("connection lost")
	err = queryError(bob, other)
	assert.Equal(t, "bob@example.com/desk: connection lost", err.Error())
	assert.ErrorIs(t, err, other)
}

func TestContentType(t *testing.T) {
	assert.Equal(t, "image/png", contentType("a.png"))
	assert.True(t, strings.HasPrefix(contentType("notes.txt"), "text/plain"), contentType("notes.txt"))
	assert.Equal(t, "application/octet-stream", contentType("README"))
}
