package jid

import (
	"encoding/xml"
	"strings"
)

// MaxPartLen is the largest size in bytes of each part of a JID once it has
// been enforced (RFC 7622, section 3).
const MaxPartLen = 1023

// JID is an XMPP address: an optional localpart, a domainpart and an
// optional resourcepart. The zero value means "no address".
//
// JID is comparable: two JIDs are == exactly when they name the same address
// after enforcement. It holds one string and the lengths of its parts, so
// copying it is cheap and its accessors do not allocate.
type JID struct {
	s         string // the whole address in canonical form
	localLen  uint16 // bytes of localpart; 0 when there is none
	domainLen uint16 // bytes of domainpart
}

// Parse parses and enforces an address of the form
// [localpart@]domainpart[/resourcepart] (RFC 7622, section 3.1). The
// resourcepart is everything after the first '/', so it may itself hold '@'
// and '/'.
//
// Parse does not allocate when s is plain ASCII already in canonical form.
func Parse(s string) (JID, error) {
	return parse(s, true)
}

// MustParse is like Parse but panics if s is not a valid address. It is
// meant for constants in programs and tests, never for input from the
// network or a user.
func MustParse(s string) JID {
	j, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return j
}

// New builds an address from its parts, enforcing each as Parse does. The
// localpart and resourcepart may be empty, meaning absent; the domainpart
// may not.
func New(local, domain, resource string) (JID, error) {
	l, d, r, err := enforce(local, local != "", domain, resource, resource != "", true)
	if err != nil {
		return JID{}, err
	}
	return join(l, d, r), nil
}

func parse(s string, fast bool) (JID, error) {
	if fast {
		if j, ok := canonicalASCII(s); ok {
			return j, nil
		}
	}
	rest, resource, hasResource := strings.Cut(s, "/")
	local, domain, hasLocal := strings.Cut(rest, "@")
	if !hasLocal {
		local, domain = "", rest
	}
	l, d, r, err := enforce(local, hasLocal, domain, resource, hasResource, fast)
	if err != nil {
		return JID{}, err
	}
	if l == local && d == domain && r == resource {
		// Already canonical: keep the caller's string, no copy.
		return JID{s: s, localLen: uint16(len(l)), domainLen: uint16(len(d))}, nil
	}
	return join(l, d, r), nil
}

// enforce applies each part's rules. has* tell whether the separator was
// present, so that "@example.com" and "example.com/" are errors rather than
// addresses with no localpart or resourcepart.
func enforce(local string, hasLocal bool, domain, resource string, hasResource bool, fast bool) (l, d, r string, err error) {
	if d, err = enforceDomain(domain, fast); err != nil {
		return "", "", "", err
	}
	if hasLocal {
		if l, err = enforceLocal(local, fast); err != nil {
			return "", "", "", err
		}
	}
	if hasResource {
		if r, err = enforceResource(resource, fast); err != nil {
			return "", "", "", err
		}
	}
	return l, d, r, nil
}

// join assembles already enforced parts, allocating once at most.
func join(local, domain, resource string) JID {
	j := JID{localLen: uint16(len(local)), domainLen: uint16(len(domain))}
	if local == "" && resource == "" {
		j.s = domain
		return j
	}
	var b strings.Builder
	b.Grow(len(local) + len(domain) + len(resource) + 2)
	if local != "" {
		b.WriteString(local)
		b.WriteByte('@')
	}
	b.WriteString(domain)
	if resource != "" {
		b.WriteByte('/')
		b.WriteString(resource)
	}
	j.s = b.String()
	return j
}

func (j JID) domainStart() int {
	if j.localLen == 0 {
		return 0
	}
	return int(j.localLen) + 1
}

func (j JID) bareLen() int { return j.domainStart() + int(j.domainLen) }

// Localpart returns the localpart, or "" if j has none.
func (j JID) Localpart() string { return j.s[:j.localLen] }

// Domainpart returns the domainpart, or "" for the zero JID.
func (j JID) Domainpart() string {
	return j.s[j.domainStart():j.bareLen()]
}

// Resourcepart returns the resourcepart, or "" if j has none.
func (j JID) Resourcepart() string {
	if n := j.bareLen(); n < len(j.s) {
		return j.s[n+1:]
	}
	return ""
}

// Bare returns j without its resourcepart (localpart@domainpart).
func (j JID) Bare() JID {
	return JID{s: j.s[:j.bareLen()], localLen: j.localLen, domainLen: j.domainLen}
}

// Domain returns the domainpart of j as a JID of its own.
func (j JID) Domain() JID {
	start := j.domainStart()
	return JID{s: j.s[start : start+int(j.domainLen)], domainLen: j.domainLen}
}

// WithResource returns j's bare address with the resourcepart r, enforced as
// Parse does. An empty r gives the bare address. The zero JID has no
// address to add a resource to, and gives an error.
func (j JID) WithResource(r string) (JID, error) {
	if j.IsZero() {
		return JID{}, &Error{Part: PartDomain, Reason: "empty"}
	}
	if r == "" {
		return j.Bare(), nil
	}
	res, err := enforceResource(r, true)
	if err != nil {
		return JID{}, err
	}
	return join(j.Localpart(), j.Domainpart(), res), nil
}

// IsBare reports whether j is an address with no resourcepart. The zero JID
// is not bare: it is no address at all.
func (j JID) IsBare() bool { return j.s != "" && j.bareLen() == len(j.s) }

// IsZero reports whether j is the zero JID, which means "no address".
func (j JID) IsZero() bool { return j.s == "" }

// String returns the address in canonical form, or "" for the zero JID.
// Parse(j.String()) gives back j.
func (j JID) String() string { return j.s }

// MarshalText implements encoding.TextMarshaler. The zero JID marshals to
// empty text.
func (j JID) MarshalText() ([]byte, error) { return []byte(j.s), nil }

// UnmarshalText implements encoding.TextUnmarshaler. Empty text gives the
// zero JID; anything else must Parse.
func (j *JID) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*j = JID{}
		return nil
	}
	parsed, err := Parse(string(text))
	if err != nil {
		return err
	}
	*j = parsed
	return nil
}

// MarshalXMLAttr implements xml.MarshalerAttr. The zero JID writes no
// attribute, so an absent 'to' or 'from' stays absent.
func (j JID) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	if j.IsZero() {
		return xml.Attr{}, nil
	}
	return xml.Attr{Name: name, Value: j.s}, nil
}

// UnmarshalXMLAttr implements xml.UnmarshalerAttr, as UnmarshalText does.
func (j *JID) UnmarshalXMLAttr(attr xml.Attr) error {
	return j.UnmarshalText([]byte(attr.Value))
}

// The classes of ASCII bytes in an address that is already canonical.
const (
	cLocal    = 1 << iota // printable, not upper case, not forbidden in a localpart
	cDomain               // a lower-case letter, a digit or '-' (not '.')
	cResource             // printable or space
)

var asciiClass = func() (t [256]uint8) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] |= cResource
		if c > 0x20 && !('A' <= c && c <= 'Z') && !strings.ContainsRune(localForbidden, rune(c)) {
			t[c] |= cLocal
		}
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' {
			t[c] |= cDomain
		}
	}
	return t
}()

// canonicalASCII is the fastest path, in one scan: s is plain ASCII that
// every part's fast path (asciiLocal, asciiDomain, asciiResource) would
// return unchanged and that passes the length checks, so s is the address.
// ok is false for anything else, which takes the usual way.
func canonicalASCII(s string) (j JID, ok bool) {
	i, localLen := 0, 0
	// The localpart, or the domainpart if no '@' comes before a '/'.
	for ; i < len(s) && asciiClass[s[i]]&cLocal != 0; i++ {
	}
	if i < len(s) && s[i] == '@' {
		if i == 0 || i > MaxPartLen {
			return JID{}, false
		}
		localLen = i
		i++
	} else {
		i = 0 // no localpart: read it again as the domainpart
	}
	// The domainpart: LDH labels, as asciiDomain takes them, with no
	// trailing dot and no upper case.
	start, label := i, i
	for ; ; i++ {
		if i == len(s) || s[i] == '.' || s[i] == '/' {
			n := i - label
			if n == 0 || s[label] == '-' || s[i-1] == '-' || n >= 4 && s[label+2] == '-' && s[label+3] == '-' {
				return JID{}, false
			}
			if i == len(s) || s[i] == '/' {
				break
			}
			label = i + 1
			continue
		}
		if asciiClass[s[i]]&cDomain == 0 {
			return JID{}, false
		}
	}
	domainLen := i - start
	if domainLen > MaxPartLen {
		return JID{}, false
	}
	// The resourcepart: everything after the '/', printable ASCII.
	if i < len(s) {
		i++
		if i == len(s) || len(s)-i > MaxPartLen {
			return JID{}, false
		}
		for ; i < len(s); i++ {
			if asciiClass[s[i]]&cResource == 0 {
				return JID{}, false
			}
		}
	}
	return JID{s: s, localLen: uint16(localLen), domainLen: uint16(domainLen)}, true
}
