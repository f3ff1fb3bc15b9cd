//go:build integration

package vcard_test

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/testserver"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/vcard"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationVCard: on each server, one account writes its vCard
// (typed fields, a photo, and an element gosmack does not model) and
// another reads it back whole; a contact subscribed to the first sees
// its avatar hash in presence (XEP-0153) change when the photo does.
func TestIntegrationVCard(t *testing.T) {
	testserver.ForEach(t, func(t *testing.T, s *testserver.Server) {
		t.Parallel()
		cfgA, cfgB := s.NewAccount(t, "vca"), s.NewAccount(t, "vcb")
		testserver.SubscribeMutually(t, cfgA, cfgB)
		ctx := testserver.Context

		// b watches a's avatar hash.
		hashes := make(chan string, 16)
		b := testserver.Login(t, cfgB, func(c *xmpp.Conn) {
			vcard.For(c).OnAvatarChange(func(e vcard.AvatarChange) {
				if e.From == cfgA.JID.Bare() {
					hashes <- e.Hash
				}
			})
		})
		a := testserver.Login(t, cfgA, func(c *xmpp.Conn) { vcard.For(c) })
		va, vb := vcard.For(a), vcard.For(b)

		// A new account has no vCard: both servers' answers read as empty.
		empty, err := va.Get(ctx(t), cfgA.JID.Bare())
		require.NoError(t, err)
		assert.Equal(t, &vcard.VCard{}, empty, "%s: a new account's vCard", s.Name)
		assert.Equal(t, "", next(t, hashes), "%s: a's first presence says: no avatar", s.Name)

		photo := []byte("\x89PNG\r\n\x1a\n a tiny stand-in for an image")
		written := &vcard.VCard{
			FullName: "Alice Example", Nickname: "ally", URL: "https://alice.example", Note: "a note",
			Name:   vcard.Name{Family: "Example", Given: "Alice"},
			Emails: []vcard.Email{{Address: "alice@example.org", Types: []string{"INTERNET", "PREF"}}},
			Phones: []vcard.Phone{{Number: "+1 555 0100", Types: []string{"CELL"}}},
			Photo:  &vcard.Photo{Type: "image/png", Data: photo},
		}
		// An element of the vCard DTD gosmack does not model.
		written.Other = []stanza.Node{{Name: xml.Name{Space: vcard.NS, Local: "JABBERID"}, Nodes: []stanza.Node{{Text: cfgA.JID.Bare().String()}}}}
		require.NoError(t, va.Set(ctx(t), written))

		read, err := vb.Get(ctx(t), cfgA.JID.Bare())
		require.NoError(t, err)
		// Type flags are a set: ejabberd writes them back in another
		// order. Prosody keeps the vCard as vCard4 (mod_vcard_legacy)
		// and loses the flags it has no mapping for: PREF, CELL
		// (docs/servers.md).
		wantEmail, wantPhone := written.Emails[0].Types, written.Phones[0].Types
		if s.Name == "prosody" {
			wantEmail, wantPhone = []string{"INTERNET"}, nil
		}
		require.Len(t, read.Emails, 1)
		require.Len(t, read.Phones, 1)
		assert.ElementsMatch(t, wantEmail, read.Emails[0].Types, "%s: the email's flags", s.Name)
		assert.ElementsMatch(t, wantPhone, read.Phones[0].Types, "%s: the phone's flags", s.Name)
		read.Emails[0].Types, read.Phones[0].Types = written.Emails[0].Types, written.Phones[0].Types
		assert.Equal(t, written, read, "%s: b reads what a wrote, the unknown element included", s.Name)
		assert.Equal(t, written.Photo.Hash(), next(t, hashes), "%s: a's presence carries the new photo's hash", s.Name)
		got, ok := vb.AvatarHash(cfgA.JID.Bare())
		assert.True(t, ok)
		assert.Equal(t, written.Photo.Hash(), got)

		// Another client of a's account learns the hash at login and
		// advertises the same: no change for b.
		a2 := testserver.Login(t, cfgA, func(c *xmpp.Conn) { vcard.For(c) })
		defer a2.Close()
		written.Photo = nil
		require.NoError(t, va.Set(ctx(t), written))
		assert.Equal(t, "", next(t, hashes), "%s: no photo, no avatar", s.Name)
	})
}

// next returns the next hash b saw, failing the test after a while.
func next(t *testing.T, hashes <-chan string) string {
	t.Helper()
	select {
	case h := <-hashes:
		return h
	case <-time.After(testserver.Timeout):
		t.Fatal("no avatar hash came")
		return ""
	}
}
