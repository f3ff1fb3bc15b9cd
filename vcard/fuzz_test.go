package vcard_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/vcard"
)

// FuzzParse feeds bytes through the connection's decoder to Parse. A
// vCard read is written, read again and written again: the two
// writings are the same bytes (nothing is lost or changed by a round
// trip), and the photo's hash is the same.
func FuzzParse(f *testing.F) {
	wiretest.Seed(f, full,
		`<iq type='result' id='1'><vCard xmlns='vcard-temp'/></iq>`,
		`<iq type='result' id='1'><vCard xmlns='vcard-temp'><EMAIL><USERID/><HOME/></EMAIL><TEL><NUMBER>1</NUMBER></TEL><PHOTO><BINVAL>AAEC</BINVAL><EXTVAL>https://x</EXTVAL></PHOTO></vCard></iq>`,
		`<iq type='result' id='1'><vCard xmlns='vcard-temp'><FN><b>x</b></FN><FN> y </FN><N/><N><GIVEN>z</GIVEN></N><ORG><ORGUNIT>u</ORGUNIT></ORG></vCard></iq>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			iq, ok := st.(*stanza.IQ)
			if !ok || iq.Payload == nil {
				return true
			}
			v, err := vcard.Parse(iq.Payload)
			if err != nil {
				return true
			}
			first := encode(t, v)
			back, err := wiretest.Payload(v.Node())
			if err != nil {
				t.Fatalf("a vCard read cannot be written: %v", err)
			}
			again, err := vcard.Parse(back)
			if err != nil {
				t.Fatalf("a vCard written cannot be read: %v\n%s", err, first)
			}
			if second := encode(t, again); !bytes.Equal(first, second) {
				t.Fatalf("a round trip changed the vCard:\n%s\n%s", first, second)
			}
			if v.Photo.Hash() != again.Photo.Hash() {
				t.Fatalf("the photo's hash changed")
			}
			return true
		})
	})
}

func encode(t *testing.T, v *vcard.VCard) []byte {
	t.Helper()
	n := v.Node()
	iq := &stanza.IQ{Type: stanza.Result, Payload: &n}
	iq.ID = "1"
	b, err := wiretest.Encode(iq)
	if err != nil {
		t.Fatalf("encoding: %v", err)
	}
	return b
}

// FuzzAdvertised feeds bytes through the connection's decoder to the
// reading of an avatar hash in presence: what is taken is no hash or 40
// lower-case hex digits, never anything else a sender wrote.
func FuzzAdvertised(f *testing.F) {
	wiretest.Seed(f,
		`<presence><x xmlns='vcard-temp:x:update'><photo>01B87FCD030B72895FF8E88DB57EC525450F000D</photo></x></presence>`,
		`<presence><x xmlns='vcard-temp:x:update'><photo/></x></presence>`,
		`<presence><x xmlns='vcard-temp:x:update'/></presence>`,
		`<presence><x xmlns='vcard-temp:x:update'><photo>../../etc</photo></x></presence>`)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stanzas(data, func(_ *xmlstream.Element, st stanza.Stanza, _ error) bool {
			p, ok := st.(*stanza.Presence)
			if !ok {
				return true
			}
			hash, ok := vcard.Advertised(p)
			if !ok && hash != "" {
				t.Fatalf("no hash taken, but %q returned", hash)
			}
			if hash == "" {
				return true
			}
			if len(hash) != 40 || strings.Trim(hash, "0123456789abcdef") != "" {
				t.Fatalf("%q taken as a hash", hash)
			}
			return true
		})
	})
}
