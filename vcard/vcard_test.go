package vcard_test

import (
	"crypto/sha1"
	"encoding/hex"
	"testing"

	"github.com/gosmack/gosmack/internal/wiretest"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/vcard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A vCard as Psi or Gajim write it: typed fields, a photo wrapped in
// lines, and elements gosmack does not model (JABBERID, GEO, an element
// of another namespace), which must survive a round trip.
const full = `<iq type='result' id='v1' from='bob@localhost'><vCard xmlns='vcard-temp'>
<FN>Bob Example</FN>
<N><FAMILY>Example</FAMILY><GIVEN>Bob</GIVEN><MIDDLE>Q</MIDDLE></N>
<NICKNAME>bobby</NICKNAME>
<PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0K
GgoAAAA=</BINVAL></PHOTO>
<BDAY>1990-04-01</BDAY>
<EMAIL><INTERNET/><PREF/><USERID>bob@example.org</USERID></EMAIL>
<EMAIL><WORK/><USERID>bob@work.example</USERID></EMAIL>
<TEL><CELL/><VOICE/><NUMBER>+44 20 7946 0000</NUMBER></TEL>
<ADR><HOME/><STREET>1 High St</STREET><LOCALITY>Leeds</LOCALITY><PCODE>LS1</PCODE><CTRY>UK</CTRY></ADR>
<ORG><ORGNAME>Example Ltd</ORGNAME><ORGUNIT>R&amp;D</ORGUNIT><ORGUNIT>Chat</ORGUNIT></ORG>
<TITLE>Engineer</TITLE>
<ROLE>Developer</ROLE>
<URL>https://bob.example</URL>
<NOTE>a note</NOTE>
<DESC>about bob</DESC>
<JABBERID>bob@localhost</JABBERID>
<GEO><LAT>53.8</LAT><LON>-1.5</LON></GEO>
<x xmlns='urn:example:custom' a='1'>kept</x>
</vCard></iq>`

func parse(t *testing.T, raw string) *vcard.VCard {
	t.Helper()
	iq := wiretest.Decode(t, raw).(*stanza.IQ)
	require.NotNil(t, iq.Payload)
	v, err := vcard.Parse(iq.Payload)
	require.NoError(t, err)
	return v
}

func TestParseFields(t *testing.T) {
	v := parse(t, full)
	assert.Equal(t, "Bob Example", v.FullName)
	assert.Equal(t, vcard.Name{Family: "Example", Given: "Bob", Middle: "Q"}, v.Name)
	assert.Equal(t, "bobby", v.Nickname)
	require.NotNil(t, v.Photo)
	assert.Equal(t, "image/png", v.Photo.Type)
	assert.Equal(t, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00"), v.Photo.Data, "BINVAL's lines are joined")
	assert.Equal(t, "1990-04-01", v.Birthday)
	assert.Equal(t, []vcard.Email{
		{Address: "bob@example.org", Types: []string{"INTERNET", "PREF"}},
		{Address: "bob@work.example", Types: []string{"WORK"}},
	}, v.Emails)
	assert.Equal(t, []vcard.Phone{{Number: "+44 20 7946 0000", Types: []string{"CELL", "VOICE"}}}, v.Phones)
	assert.Equal(t, []vcard.Address{{Types: []string{"HOME"}, Street: "1 High St", Locality: "Leeds", PostalCode: "LS1", Country: "UK"}}, v.Addresses)
	assert.Equal(t, vcard.Org{Name: "Example Ltd", Units: []string{"R&D", "Chat"}}, v.Org)
	assert.Equal(t, "Engineer", v.Title)
	assert.Equal(t, "Developer", v.Role)
	assert.Equal(t, "https://bob.example", v.URL)
	assert.Equal(t, "a note", v.Note)
	assert.Equal(t, "about bob", v.Desc)
	var other []string
	for _, n := range v.Other {
		other = append(other, n.Name.Local)
	}
	assert.Equal(t, []string{"JABBERID", "GEO", "x"}, other)
}

// TestRoundTrip: a vCard read and written back keeps every field, the
// unknown ones included, and reads back the same.
func TestRoundTrip(t *testing.T) {
	v := parse(t, full)
	n := v.Node()
	back, err := wiretest.Payload(n)
	require.NoError(t, err)
	again, err := vcard.Parse(back)
	require.NoError(t, err)
	assert.Equal(t, v, again)
	// The unknown elements are written as they came, attributes and text.
	custom := back.Child("urn:example:custom", "x")
	require.NotNil(t, custom, "the element of another namespace is kept")
	assert.Equal(t, "1", custom.Attr("a"))
	assert.Equal(t, "kept", custom.InnerText())
	geo := back.Child(vcard.NS, "GEO")
	require.NotNil(t, geo)
	assert.Equal(t, "53.8", geo.Child("", "LAT").InnerText())
}

func TestEmptyAndZero(t *testing.T) {
	v := parse(t, `<iq type='result' id='v1'><vCard xmlns='vcard-temp'/></iq>`)
	assert.Equal(t, &vcard.VCard{}, v)
	n := (&vcard.VCard{}).Node()
	assert.Empty(t, n.Nodes, "the zero VCard writes an empty <vCard/>")
	assert.Equal(t, "", v.Photo.Hash(), "no photo, no hash")
}

func TestPhotoHash(t *testing.T) {
	data := []byte("not really a png, but bytes all the same")
	sum := sha1.Sum(data)
	p := &vcard.Photo{Type: "image/png", Data: data}
	assert.Equal(t, hex.EncodeToString(sum[:]), p.Hash())
	assert.Equal(t, "", (&vcard.Photo{URL: "https://example.org/a.png"}).Hash(), "a linked photo has no hash")
}

func TestParseErrors(t *testing.T) {
	_, err := vcard.Parse(&stanza.Node{Name: stanza.Node{}.Name})
	assert.ErrorIs(t, err, vcard.ErrMalformed, "not a vCard")
	iq := wiretest.Decode(t, `<iq type='result' id='v1'><vCard xmlns='vcard-temp'><PHOTO><BINVAL>!!not base64!!</BINVAL></PHOTO></vCard></iq>`).(*stanza.IQ)
	_, err = vcard.Parse(iq.Payload)
	assert.ErrorIs(t, err, vcard.ErrMalformed, "a BINVAL that is not base64")
	// A second FN is not lost: it goes to Other.
	v := parse(t, `<iq type='result' id='v1'><vCard xmlns='vcard-temp'><FN>one</FN><FN>two</FN></vCard></iq>`)
	assert.Equal(t, "one", v.FullName)
	require.Len(t, v.Other, 1)
	assert.Equal(t, "two", v.Other[0].InnerText())
}

func TestExtension(t *testing.T) {
	var v vcard.VCard
	require.NoError(t, v.UnmarshalNode(*wiretest.Decode(t, full).(*stanza.IQ).Payload))
	assert.Equal(t, "bobby", v.Nickname)
	n, err := v.MarshalNode()
	require.NoError(t, err)
	assert.Equal(t, v.ExtensionName(), n.Name)
	assert.Error(t, v.UnmarshalNode(stanza.Node{}))
}

// TestFlagNames: a type flag is written as an element name, so a type
// that is not a plain name (here one carrying markup) is dropped, on
// write and on read, and cannot inject elements into the vCard.
func TestFlagNames(t *testing.T) {
	evil := `HOME/></EMAIL><FN>mallory</FN><EMAIL><X`
	v := &vcard.VCard{
		Emails:    []vcard.Email{{Address: "a@example.org", Types: []string{evil, "WORK", "", "1X", "X-ok", "USERID", "HÖME"}}},
		Phones:    []vcard.Phone{{Number: "1", Types: []string{"CELL", "a b"}}},
		Addresses: []vcard.Address{{Locality: "Leeds", Types: []string{"<HOME>", "HOME"}}},
	}
	n := v.Node()
	iq := &stanza.IQ{Type: stanza.Result, Payload: &n}
	iq.ID = "v1"
	raw, err := wiretest.Encode(iq)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "mallory", "the markup in a type is not written")
	back, err := wiretest.Payload(n)
	require.NoError(t, err)
	got, err := vcard.Parse(back)
	require.NoError(t, err)
	assert.Equal(t, "", got.FullName)
	assert.Equal(t, []vcard.Email{{Address: "a@example.org", Types: []string{"WORK", "X-ok"}}}, got.Emails)
	assert.Equal(t, []vcard.Phone{{Number: "1", Types: []string{"CELL"}}}, got.Phones)
	assert.Equal(t, []vcard.Address{{Locality: "Leeds", Types: []string{"HOME"}}}, got.Addresses)

	// On read, a flag whose name is not plain is dropped too.
	got = parse(t, `<iq type='result' id='v1'><vCard xmlns='vcard-temp'><EMAIL><HOME/><hé/><USERID>b@example.org</USERID></EMAIL></vCard></iq>`)
	assert.Equal(t, []vcard.Email{{Address: "b@example.org", Types: []string{"HOME"}}}, got.Emails)
}
