package caps

import (
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/gosmack/gosmack/dataform"
	"github.com/gosmack/gosmack/disco"
	"github.com/gosmack/gosmack/stanza"
)

// NS is the entity capabilities namespace (XEP-0115), which the Tracker
// announces as a feature and puts on the <c/> element.
const NS = "http://jabber.org/protocol/caps"

// Errors of Ver and Verify.
var (
	// ErrUnknownHash: the hash algorithm is not one of Hashes.
	ErrUnknownHash = errors.New("caps: unsupported hash algorithm")
	// ErrIllFormed: the info breaks the rules of XEP-0115 section 5.4
	// (two identical identities, two identical features, two forms with
	// the same FORM_TYPE, a FORM_TYPE with different values), so no
	// verification string can stand for it.
	ErrIllFormed = errors.New("caps: ill-formed info")
	// ErrMismatch: the info does not hash to the ver that was announced
	// for it (a wrong or poisoned ver).
	ErrMismatch = errors.New("caps: the info does not match the verification string")
)

// hashes are the algorithms supported, by their names in IANA's Hash
// Function Textual Names registry. MD5 and MD2 are left out on purpose.
var hashes = map[string]func() hash.Hash{
	"sha-1":   sha1.New,
	"sha-224": sha256.New224,
	"sha-256": sha256.New,
	"sha-384": sha512.New384,
	"sha-512": sha512.New,
}

// Hashes returns the names of the supported hash algorithms, sorted:
// sha-1 (mandatory, and the default) and the SHA-2 family.
func Hashes() []string {
	names := make([]string, 0, len(hashes))
	for n := range hashes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Ver returns the verification string of info (XEP-0115 section 5.1)
// hashed with the named algorithm ("sha-1", "sha-256"...): the base64 of
// the hash of S, the identities, features and extended-info forms sorted
// and joined as the section says. info.Node is not part of it. It fails
// with ErrUnknownHash or ErrIllFormed.
func Ver(info *disco.Info, hashName string) (string, error) {
	newHash := hashes[hashName]
	if newHash == nil {
		return "", fmt.Errorf("%w: %q", ErrUnknownHash, hashName)
	}
	s, err := appendS(nil, info)
	if err != nil {
		return "", err
	}
	h := newHash()
	h.Write(s)
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// Verify checks that info, received in answer to a caps query, hashes to
// ver with the named algorithm (XEP-0115 section 5.4). It returns nil when
// it does; ErrMismatch, ErrIllFormed or ErrUnknownHash otherwise.
func Verify(info *disco.Info, hashName, ver string) error {
	got, err := Ver(info, hashName)
	if err != nil {
		return err
	}
	if got != ver {
		return fmt.Errorf("%w: %s hashes to %s, not %s", ErrMismatch, hashName, got, ver)
	}
	return nil
}

// appendS appends the string S of XEP-0115 section 5.1 for info to b.
// Values go in as they are: '<' is the separator of S, and a '<' inside a
// value is appended raw, as the section says (only the XML on the wire
// escapes it). Sorting is "i;octet", byte order, which is what comparing Go
// strings does.
func appendS(b []byte, info *disco.Info) ([]byte, error) {
	ids := slices.Clone(info.Identities)
	slices.SortFunc(ids, func(x, y disco.Identity) int {
		return cmp.Or(strings.Compare(x.Category, y.Category), strings.Compare(x.Type, y.Type),
			strings.Compare(x.Lang, y.Lang), strings.Compare(x.Name, y.Name))
	})
	for k, id := range ids {
		if k > 0 && ids[k-1] == id {
			return nil, fmt.Errorf("%w: identity %s/%s/%s/%s twice", ErrIllFormed, id.Category, id.Type, id.Lang, id.Name)
		}
		b = append(b, id.Category...)
		b = append(b, '/')
		b = append(b, id.Type...)
		b = append(b, '/')
		b = append(b, id.Lang...)
		b = append(b, '/')
		b = append(b, id.Name...)
		b = append(b, '<')
	}
	features := slices.Clone(info.Features)
	slices.Sort(features)
	for k, f := range features {
		if k > 0 && features[k-1] == f {
			return nil, fmt.Errorf("%w: feature %s twice", ErrIllFormed, f)
		}
		b = append(b, f...)
		b = append(b, '<')
	}
	// Only forms with a hidden FORM_TYPE count; the others are ignored
	// (section 5.4, 3.6).
	type typed struct {
		formType string
		form     *dataform.Form
	}
	var forms []typed
	for k := range info.Forms {
		f := &info.Forms[k]
		ft := f.FormType()
		if ft == "" {
			continue
		}
		for _, v := range f.Field(dataform.FormTypeVar).Values {
			if v != ft {
				return nil, fmt.Errorf("%w: FORM_TYPE with the values %q and %q", ErrIllFormed, ft, v)
			}
		}
		forms = append(forms, typed{ft, f})
	}
	slices.SortFunc(forms, func(x, y typed) int { return strings.Compare(x.formType, y.formType) })
	for k, f := range forms {
		if k > 0 && forms[k-1].formType == f.formType {
			return nil, fmt.Errorf("%w: two forms of type %s", ErrIllFormed, f.formType)
		}
		b = append(b, f.formType...)
		b = append(b, '<')
		fields := make([]dataform.Field, 0, len(f.form.Fields))
		for _, fd := range f.form.Fields {
			if fd.Var != dataform.FormTypeVar {
				fields = append(fields, fd)
			}
		}
		slices.SortStableFunc(fields, func(x, y dataform.Field) int { return strings.Compare(x.Var, y.Var) })
		for _, fd := range fields {
			b = append(b, fd.Var...)
			b = append(b, '<')
			values := slices.Clone(fd.Values)
			slices.Sort(values)
			for _, v := range values {
				b = append(b, v...)
				b = append(b, '<')
			}
		}
	}
	return b, nil
}

// validVer reports whether ver can be a verification string of the named
// supported algorithm: base64 of exactly one digest. Anything else is
// refused before any query is sent.
func validVer(hashName, ver string) bool {
	newHash := hashes[hashName]
	if newHash == nil || len(ver) > 128 {
		return false
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(ver)
	return err == nil && len(raw) == newHash().Size()
}

// Extension is the <c xmlns='http://jabber.org/protocol/caps'/> element
// that annotates presence (Smack's CapsExtension), for reading a
// presence with stanza.FindExtension:
//
//	var c caps.Extension
//	if ok, _ := stanza.FindExtension(p.Extensions, &c); ok { ... }
//
// The zero Extension has no attributes.
type Extension struct {
	Hash string // the algorithm of Ver; "" in the legacy format
	Node string // the software, as a URI
	Ver  string // the verification string
	Ext  string // legacy (before XEP-0115 1.4) extension names, deprecated
}

var cName = xml.Name{Space: NS, Local: "c"}

// ExtensionName is <c xmlns='http://jabber.org/protocol/caps'/>.
func (*Extension) ExtensionName() xml.Name { return cName }

// MarshalNode returns the <c/> element.
func (e *Extension) MarshalNode() (stanza.Node, error) {
	n := stanza.Node{Name: cName}
	for _, a := range [...]struct{ k, v string }{{"hash", e.Hash}, {"node", e.Node}, {"ver", e.Ver}, {"ext", e.Ext}} {
		if a.v != "" {
			n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: a.k}, Value: a.v})
		}
	}
	return n, nil
}

// UnmarshalNode reads a <c/> element.
func (e *Extension) UnmarshalNode(n stanza.Node) error {
	if n.Name != cName {
		return fmt.Errorf("caps: <%s xmlns='%s'/> is not a caps element", n.Name.Local, n.Name.Space)
	}
	*e = Extension{Hash: n.Attr("hash"), Node: n.Attr("node"), Ver: n.Attr("ver"), Ext: n.Attr("ext")}
	return nil
}
