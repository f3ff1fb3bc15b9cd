package vcard

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/gosmack/gosmack/internal/base64text"
	"github.com/gosmack/gosmack/stanza"
)

// Namespaces of vcard-temp (XEP-0054) and of vCard-based avatars in
// presence (XEP-0153).
const (
	// NS is the namespace of the <vCard/> element, and the feature a
	// server announces when it stores them.
	NS = "vcard-temp"
	// NSUpdate is the namespace of the <x/> that carries an avatar's
	// hash in presence (XEP-0153).
	NSUpdate = "vcard-temp:x:update"
)

// vcardName is <vCard xmlns='vcard-temp'/>.
var vcardName = xml.Name{Space: NS, Local: "vCard"}

// maxTypes bounds the type flags kept per email, phone or address: the
// DTD has at most 13, and more are noise.
const maxTypes = 16

// ErrMalformed is wrapped by the errors of a vCard that cannot be read:
// the wrong element, or a photo whose data is not base64.
var ErrMalformed = errors.New("vcard: malformed vCard")

// VCard is a vcard-temp vCard (XEP-0054), with the fields people use
// typed and the rest kept as received: a vCard read, changed and written
// back loses nothing. The zero VCard is an empty vCard. A VCard is a
// plain value: it is not safe to change one while another goroutine
// reads it.
type VCard struct {
	// FullName is FN, the formatted name.
	FullName string
	// Name is N, the structured name.
	Name Name
	// Nickname is NICKNAME.
	Nickname string
	// Photo is PHOTO; nil when the vCard has none.
	Photo *Photo
	// Birthday is BDAY, as written (XEP-0054 asks for an ISO 8601 date,
	// YYYY-MM-DD; some clients write other forms).
	Birthday string
	// Emails are the EMAIL entries, in order.
	Emails []Email
	// Phones are the TEL entries, in order.
	Phones []Phone
	// Addresses are the ADR entries, in order.
	Addresses []Address
	// Org is ORG.
	Org Org
	// Title is TITLE, the job title.
	Title string
	// Role is ROLE.
	Role string
	// URL is URL, a web page.
	URL string
	// Note is NOTE.
	Note string
	// Desc is DESC, a free-form description ("about me").
	Desc string
	// Other holds the elements not modelled above, in the order
	// received; Node writes them back after the typed fields.
	Other []stanza.Node
}

// Name is a structured name (N).
type Name struct {
	Family string // FAMILY, the surname
	Given  string // GIVEN
	Middle string // MIDDLE
	Prefix string // PREFIX, such as "Dr."
	Suffix string // SUFFIX, such as "Jr."
}

// Photo is a vCard's picture: the image itself (Type and Data) or a link
// to it (URL, EXTVAL).
type Photo struct {
	// Type is the image's MIME type (TYPE), such as "image/png".
	Type string
	// Data is the image (BINVAL, base64 on the wire).
	Data []byte
	// URL is where the image is (EXTVAL), when it is not inline.
	URL string
}

// Hash returns the hex SHA-1 of p.Data, the avatar's id in presence
// (XEP-0153); "" when p is nil or has no data.
func (p *Photo) Hash() string {
	if p == nil || len(p.Data) == 0 {
		return ""
	}
	sum := sha1.Sum(p.Data)
	return hex.EncodeToString(sum[:])
}

// Email is an EMAIL entry.
type Email struct {
	// Address is USERID.
	Address string
	// Types are its flags as written (HOME, WORK, INTERNET, PREF, X400).
	// A flag is an element name on the wire: Parse and Node keep only
	// those made of ASCII letters, then letters, digits, '-' or '_'.
	Types []string
}

// Phone is a TEL entry.
type Phone struct {
	// Number is NUMBER.
	Number string
	// Types are its flags as written (HOME, WORK, VOICE, FAX, PAGER,
	// MSG, CELL, VIDEO, BBS, MODEM, ISDN, PCS, PREF); as for Email.Types,
	// only plain names are kept.
	Types []string
}

// Address is an ADR entry.
type Address struct {
	// Types are its flags as written (HOME, WORK, POSTAL, PARCEL, DOM,
	// INTL, PREF); as for Email.Types, only plain names are kept.
	Types      []string
	POBox      string // POBOX
	Extended   string // EXTADD, the extended address
	Street     string // STREET
	Locality   string // LOCALITY, the city
	Region     string // REGION
	PostalCode string // PCODE
	Country    string // CTRY
}

// Org is an organisation (ORG).
type Org struct {
	// Name is ORGNAME.
	Name string
	// Units are the ORGUNIT entries, in order.
	Units []string
}

// textField maps a vCard element with text content to its field.
func (v *VCard) textField(local string) *string {
	switch local {
	case "FN":
		return &v.FullName
	case "NICKNAME":
		return &v.Nickname
	case "BDAY":
		return &v.Birthday
	case "TITLE":
		return &v.Title
	case "ROLE":
		return &v.Role
	case "URL":
		return &v.URL
	case "NOTE":
		return &v.Note
	case "DESC":
		return &v.Desc
	}
	return nil
}

// textFields are the elements textField maps, in the order Node writes
// them.
var textFields = [...]string{"FN", "NICKNAME", "BDAY", "TITLE", "ROLE", "URL", "NOTE", "DESC"}

// Parse reads a <vCard xmlns='vcard-temp'/> element. Elements of the
// vCard it does not model, and a second occurrence of a single-valued
// one, go to Other. An error wraps ErrMalformed: n is not a vCard, or
// its photo's BINVAL is not base64.
func Parse(n *stanza.Node) (*VCard, error) {
	if n.Name != vcardName {
		return nil, fmt.Errorf("%w: <%s xmlns='%s'/> is not a vCard", ErrMalformed, n.Name.Local, n.Name.Space)
	}
	v := new(VCard)
	var seenName, seenOrg bool
	for i := range n.Nodes {
		c := &n.Nodes[i]
		if c.IsText() {
			continue
		}
		if c.Name.Space != NS {
			v.Other = append(v.Other, *c)
			continue
		}
		if f := v.textField(c.Name.Local); f != nil && *f == "" {
			*f = strings.TrimSpace(c.InnerText())
			continue
		}
		switch c.Name.Local {
		case "N":
			if !seenName {
				v.Name = Name{
					Family: childText(c, "FAMILY"), Given: childText(c, "GIVEN"), Middle: childText(c, "MIDDLE"),
					Prefix: childText(c, "PREFIX"), Suffix: childText(c, "SUFFIX"),
				}
				seenName = v.Name != Name{} // an empty N says nothing: the next may
				continue
			}
		case "PHOTO":
			if v.Photo == nil {
				p, err := parsePhoto(c)
				if err != nil {
					return nil, err
				}
				v.Photo = p
				continue
			}
		case "EMAIL":
			v.Emails = append(v.Emails, Email{Address: childText(c, "USERID"), Types: flags(c)})
			continue
		case "TEL":
			v.Phones = append(v.Phones, Phone{Number: childText(c, "NUMBER"), Types: flags(c)})
			continue
		case "ADR":
			v.Addresses = append(v.Addresses, Address{
				Types: flags(c), POBox: childText(c, "POBOX"), Extended: childText(c, "EXTADD"),
				Street: childText(c, "STREET"), Locality: childText(c, "LOCALITY"), Region: childText(c, "REGION"),
				PostalCode: childText(c, "PCODE"), Country: childText(c, "CTRY"),
			})
			continue
		case "ORG":
			if !seenOrg {
				v.Org.Name = childText(c, "ORGNAME")
				for j := range c.Nodes {
					if u := &c.Nodes[j]; u.Name.Local == "ORGUNIT" {
						v.Org.Units = append(v.Org.Units, strings.TrimSpace(u.InnerText()))
					}
				}
				seenOrg = v.Org.Name != "" || len(v.Org.Units) > 0
				continue
			}
		}
		v.Other = append(v.Other, *c)
	}
	return v, nil
}

// parsePhoto reads PHOTO. BINVAL's base64 may be wrapped in lines, as
// many clients write it.
func parsePhoto(c *stanza.Node) (*Photo, error) {
	p := &Photo{Type: childText(c, "TYPE"), URL: childText(c, "EXTVAL")}
	if b := c.Child("", "BINVAL"); b != nil {
		data, err := base64text.Decode(b.InnerText())
		if err != nil {
			return nil, fmt.Errorf("%w: PHOTO's BINVAL: %v", ErrMalformed, err)
		}
		if len(data) > 0 {
			p.Data = data
		}
	}
	return p, nil
}

// childText is the trimmed text of c's child named local, "" if none.
func childText(c *stanza.Node, local string) string {
	if n := c.Child("", local); n != nil {
		return strings.TrimSpace(n.InnerText())
	}
	return ""
}

// flags are the names of c's empty child elements (HOME, WORK, PREF...),
// at most maxTypes; an empty value element (<USERID/>) is not a flag.
func flags(c *stanza.Node) []string {
	var out []string
	for i := range c.Nodes {
		f := &c.Nodes[i]
		if f.IsText() || len(f.Nodes) > 0 || len(out) == maxTypes || valueNames[f.Name.Local] || !validFlag(f.Name.Local) {
			continue
		}
		out = append(out, f.Name.Local)
	}
	return out
}

// validFlag reports whether t can be a type flag: an ASCII letter, then
// ASCII letters, digits, '-' or '_'. The DTD's flags (HOME, X400...) are
// all such names, and every such name is a valid XML element name.
func validFlag(t string) bool {
	if t == "" || !isLetter(t[0]) {
		return false
	}
	for i := 1; i < len(t); i++ {
		if c := t[i]; !isLetter(c) && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// valueNames are the elements of EMAIL, TEL and ADR that hold values.
var valueNames = map[string]bool{
	"USERID": true, "NUMBER": true, "POBOX": true, "EXTADD": true, "STREET": true,
	"LOCALITY": true, "REGION": true, "PCODE": true, "CTRY": true,
}

// Node returns v as a <vCard xmlns='vcard-temp'/> element: the typed
// fields that are set, in the DTD's spirit, then Other as it is. Empty
// fields are left out.
func (v *VCard) Node() stanza.Node {
	n := stanza.Node{Name: vcardName}
	add := func(local string, children ...stanza.Node) {
		n.Nodes = append(n.Nodes, stanza.Node{Name: xml.Name{Space: NS, Local: local}, Nodes: children})
	}
	for _, local := range textFields {
		if s := *v.textField(local); s != "" {
			add(local, text(s))
		}
	}
	if v.Name != (Name{}) {
		add("N", fields([][2]string{
			{"FAMILY", v.Name.Family}, {"GIVEN", v.Name.Given}, {"MIDDLE", v.Name.Middle},
			{"PREFIX", v.Name.Prefix}, {"SUFFIX", v.Name.Suffix},
		})...)
	}
	if p := v.Photo; p != nil {
		var c []stanza.Node
		if p.Type != "" {
			c = append(c, element("TYPE", text(p.Type)))
		}
		if len(p.Data) > 0 {
			c = append(c, element("BINVAL", text(base64.StdEncoding.EncodeToString(p.Data))))
		}
		if p.URL != "" {
			c = append(c, element("EXTVAL", text(p.URL)))
		}
		add("PHOTO", c...)
	}
	for _, e := range v.Emails {
		add("EMAIL", append(flagNodes(e.Types), element("USERID", text(e.Address)))...)
	}
	for _, p := range v.Phones {
		add("TEL", append(flagNodes(p.Types), element("NUMBER", text(p.Number)))...)
	}
	for _, a := range v.Addresses {
		add("ADR", append(flagNodes(a.Types), fields([][2]string{
			{"POBOX", a.POBox}, {"EXTADD", a.Extended}, {"STREET", a.Street}, {"LOCALITY", a.Locality},
			{"REGION", a.Region}, {"PCODE", a.PostalCode}, {"CTRY", a.Country},
		})...)...)
	}
	if v.Org.Name != "" || len(v.Org.Units) > 0 {
		c := []stanza.Node{element("ORGNAME", text(v.Org.Name))}
		for _, u := range v.Org.Units {
			c = append(c, element("ORGUNIT", text(u)))
		}
		add("ORG", c...)
	}
	n.Nodes = append(n.Nodes, v.Other...)
	return n
}

func element(local string, children ...stanza.Node) stanza.Node {
	return stanza.Node{Name: xml.Name{Space: NS, Local: local}, Nodes: children}
}

func text(s string) stanza.Node { return stanza.Node{Text: s} }

// fields are the elements of the non-empty values among pairs of name
// and value.
func fields(pairs [][2]string) []stanza.Node {
	var out []stanza.Node
	for _, p := range pairs {
		if p[1] != "" {
			out = append(out, element(p[0], text(p[1])))
		}
	}
	return out
}

// flagNodes are the empty elements of types, the valid ones only: a
// type becomes an element's name, so one that is not a plain name (say,
// "HOME/><X") is dropped rather than written as markup.
func flagNodes(types []string) []stanza.Node {
	out := make([]stanza.Node, 0, len(types)+1)
	for _, t := range types {
		if validFlag(t) && !valueNames[t] {
			out = append(out, element(t))
		}
	}
	return out
}

// ExtensionName returns the vCard's element name, so that a VCard is a
// stanza.Extension.
func (v *VCard) ExtensionName() xml.Name { return vcardName }

// MarshalNode returns v.Node(); it never fails.
func (v *VCard) MarshalNode() (stanza.Node, error) { return v.Node(), nil }

// UnmarshalNode replaces v with the vCard n holds (see Parse).
func (v *VCard) UnmarshalNode(n stanza.Node) error {
	got, err := Parse(&n)
	if err != nil {
		return err
	}
	*v = *got
	return nil
}
