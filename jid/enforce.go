package jid

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
)

// ErrInvalid is matched (with errors.Is) by every error that reports an
// invalid address.
var ErrInvalid = errors.New("jid: invalid address")

// Part names one part of an address.
type Part uint8

// The parts of an address, for Error.Part.
const (
	PartLocal Part = iota + 1
	PartDomain
	PartResource
)

// String returns the RFC's name of the part: "localpart", "domainpart" or
// "resourcepart".
func (p Part) String() string {
	switch p {
	case PartLocal:
		return "localpart"
	case PartDomain:
		return "domainpart"
	case PartResource:
		return "resourcepart"
	}
	return fmt.Sprintf("Part(%d)", uint8(p))
}

// Error reports which part of an address is invalid and why. It matches
// ErrInvalid, and the PRECIS or IDNA error behind it if there is one, with
// errors.Is and errors.As.
type Error struct {
	Part   Part   // the part that is wrong
	Reason string // why, in a few words: "empty", "longer than 1023 bytes", ...
	Err    error  // the PRECIS or IDNA error behind Reason, or nil
}

// Error says which part of the address was refused and why.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("jid: invalid %s: %s: %v", e.Part, e.Reason, e.Err)
	}
	return fmt.Sprintf("jid: invalid %s: %s", e.Part, e.Reason)
}

// Unwrap returns ErrInvalid and the underlying error, if any.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalid, e.Err}
	}
	return []error{ErrInvalid}
}

// maxRawLen bounds a part before enforcement, so that hostile input costs
// bounded work. Enforcement can shrink a string (width mapping turns three
// bytes into one, NFC composes), never by four times.
const maxRawLen = 4 * MaxPartLen

// checkRaw refuses what no profile should see: an empty part, a part too
// large to be worth enforcing, and bytes that are not UTF-8 (PRECIS would
// turn them into U+FFFD instead of refusing them).
func checkRaw(p Part, raw string) error {
	switch {
	case raw == "":
		return &Error{Part: p, Reason: "empty"}
	case len(raw) > maxRawLen:
		return &Error{Part: p, Reason: "longer than 1023 bytes"}
	case !utf8.ValidString(raw):
		return &Error{Part: p, Reason: "not valid UTF-8"}
	}
	return nil
}

func checkLen(p Part, raw, enforced string) error {
	if enforced == "" {
		return &Error{Part: p, Reason: "empty"}
	}
	if len(raw) > maxRawLen || len(enforced) > MaxPartLen {
		return &Error{Part: p, Reason: "longer than 1023 bytes"}
	}
	return nil
}

// applyProfile is the full enforcement of a localpart or resourcepart,
// for input that the ASCII fast path does not cover.
func applyProfile(part Part, s string, profile *precis.Profile, reason string) (string, error) {
	if err := checkRaw(part, s); err != nil {
		return "", err
	}
	out, err := profile.String(s)
	if err != nil {
		return "", &Error{Part: part, Reason: reason, Err: err}
	}
	return out, nil
}

// enforceLocal applies UsernameCaseMapped and refuses the characters RFC
// 7622 section 3.3.1 forbids in a localpart.
func enforceLocal(s string, fast bool) (out string, err error) {
	ok := false
	if fast {
		out, ok = asciiLocal(s)
	}
	if !ok {
		out, err = applyProfile(PartLocal, s, precis.UsernameCaseMapped, "not a PRECIS username")
	}
	if err == nil {
		err = checkLen(PartLocal, s, out)
	}
	if err != nil {
		return "", err
	}
	if i := strings.IndexAny(out, localForbidden); i >= 0 {
		return "", &Error{Part: PartLocal, Reason: fmt.Sprintf("contains forbidden character %q", out[i])}
	}
	return out, nil
}

// enforceResource applies OpaqueString.
func enforceResource(s string, fast bool) (out string, err error) {
	if fast && asciiResource(s) {
		out = s
	} else if out, err = applyProfile(PartResource, s, precis.OpaqueString, "not a PRECIS opaque string"); err != nil {
		return "", err
	}
	if err := checkLen(PartResource, s, out); err != nil {
		return "", err
	}
	return out, nil
}

// localForbidden are the characters RFC 7622 section 3.3.1 adds to what
// the UsernameCaseMapped profile refuses.
const localForbidden = "\"&'/:<>@"

// asciiLocal is the fast path for a localpart. For printable ASCII
// (U+0021..U+007E, all PVALID in the IdentifierClass) UsernameCaseMapped only
// lower-cases, and the bidi rule has nothing to check, so the result is the
// profile's. ok is false when s needs the full profile.
func asciiLocal(s string) (out string, ok bool) {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return "", false
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	if upper {
		return strings.ToLower(s), true
	}
	return s, true
}

// asciiResource is the fast path for a resourcepart: OpaqueString leaves
// U+0020..U+007E unchanged (all are in the FreeformClass, none is mapped,
// all are NFC), so such a string is already enforced.
func asciiResource(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return s != ""
}

// domainProfile is IDNA2008 with the UTS #46 lookup mapping (lower-casing,
// width mapping, NFC), STD3 rules (letters, digits and hyphens for ASCII),
// hyphen, joiner and bidi checks, and no DNS length limits: RFC 7622 bounds
// the domainpart at 1023 bytes, not at DNS's 253.
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.VerifyDNSLength(false),
)

// enforceDomain applies RFC 7622 section 3.2: an IP literal, or an IDN in
// its Unicode form, lower-cased, without a trailing dot.
func enforceDomain(s string, fast bool) (string, error) {
	if fast {
		if out, ok := asciiDomain(s); ok {
			return out, checkLen(PartDomain, s, out)
		}
	}
	if err := checkRaw(PartDomain, s); err != nil {
		return "", err
	}
	if strings.HasPrefix(s, "[") {
		return ipv6Literal(s)
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return a.String(), nil
	}
	out, err := domainProfile.ToUnicode(s)
	if err != nil {
		return "", &Error{Part: PartDomain, Reason: "not an internationalized domain name", Err: err}
	}
	out = strings.TrimSuffix(out, ".")
	if err := checkLen(PartDomain, s, out); err != nil {
		return "", err
	}
	if r, ok := notIDNA2008(out); ok {
		return "", &Error{Part: PartDomain, Reason: fmt.Sprintf("contains %U, which IDNA2008 disallows", r)}
	}
	// The IDNA package skips empty labels rather than refusing them.
	if strings.HasPrefix(out, ".") || strings.HasSuffix(out, ".") || strings.Contains(out, "..") {
		return "", &Error{Part: PartDomain, Reason: "has an empty label"}
	}
	// Enforcement must be idempotent, or Parse(j.String()) would not give
	// back j. A mapping that changes its own output is refused.
	if again, err := domainProfile.ToUnicode(out); err != nil || again != out {
		return "", &Error{Part: PartDomain, Reason: "does not map to a stable form", Err: err}
	}
	return out, nil
}

func ipv6Literal(s string) (string, error) {
	inner, ok := strings.CutSuffix(s[1:], "]")
	a, err := netip.ParseAddr(inner)
	if !ok || err != nil || !a.Is6() || a.Zone() != "" {
		return "", &Error{Part: PartDomain, Reason: "not a valid bracketed IPv6 address", Err: err}
	}
	return "[" + a.String() + "]", nil
}

// asciiDomain is the fast path for a domainpart made of LDH labels. For
// letters, digits and inner hyphens the IDNA2008 lookup mapping only
// lower-cases, and no label here can be an A-label or break the hyphen
// rules (a hyphen in the third and fourth place sends the label to the full
// path). One trailing dot is dropped, as RFC 7622 says. ok is false when s
// needs the full treatment; an IPv4 address passes here unchanged, which is
// also its canonical form.
func asciiDomain(s string) (out string, ok bool) {
	s = strings.TrimSuffix(s, ".")
	upper := false
	labelStart := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			n := i - labelStart
			if n == 0 || s[labelStart] == '-' || s[i-1] == '-' ||
				(n >= 4 && s[labelStart+2] == '-' && s[labelStart+3] == '-') {
				return "", false
			}
			labelStart = i + 1
			continue
		}
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
		case 'A' <= c && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		return strings.ToLower(s), true
	}
	return s, true
}

// idna2008Exceptions are the non-ASCII code points RFC 5892 section 2.6
// allows although their general category is not a letter, mark or digit
// (PVALID and CONTEXTO exceptions; the joiners, CONTEXTJ, are checked by
// the IDNA package).
var idna2008Exceptions = [...]rune{0x00B7, 0x0375, 0x05F3, 0x05F4, 0x06FD, 0x06FE, 0x0F0B, 0x200C, 0x200D, 0x3007, 0x30FB}

// idna2008Disallowed are letters and marks that RFC 5892 disallows anyway:
// the section 2.6 exceptions marked DISALLOWED, and old Hangul jamo
// (section 2.9).
func idna2008Disallowed(r rune) bool {
	switch {
	case r == 0x0640, r == 0x07FA, r == 0x302E, r == 0x302F, 0x3031 <= r && r <= 0x3035, r == 0x303B:
		return true
	case 0x1100 <= r && r <= 0x11FF, 0xA960 <= r && r <= 0xA97F, 0xD7B0 <= r && r <= 0xD7FF:
		return true
	}
	return false
}

// notIDNA2008 finds a code point that the UTS #46 tables accept but RFC 5892
// disallows: IDNA2008 takes letters, marks and decimal digits (categories
// Ll, Lo, Lm, Mn, Mc, Nd) and a few exceptions, and no symbols or
// punctuation; the CONTEXTO exceptions must meet their rules (RFC 5892
// appendix A), checked label by label. The lookup mapping has already
// lower-cased s.
func notIDNA2008(s string) (rune, bool) {
	for label := range strings.SplitSeq(s, ".") {
		if r, bad := labelNotIDNA2008(label); bad {
			return r, true
		}
	}
	return 0, false
}

func labelNotIDNA2008(label string) (rune, bool) {
	ascii := true
	for i := 0; i < len(label) && ascii; i++ {
		ascii = label[i] < utf8.RuneSelf
	}
	if ascii {
		return 0, false
	}
	runes := []rune(label)
	arabicIndic, extArabicIndic, kanaOrHan := false, false, false
	for _, r := range runes {
		arabicIndic = arabicIndic || 0x0660 <= r && r <= 0x0669
		extArabicIndic = extArabicIndic || 0x06F0 <= r && r <= 0x06F9
		kanaOrHan = kanaOrHan || r != 0x30FB && unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han)
	}
	if arabicIndic && extArabicIndic {
		return 0x06F0, true // A.8, A.9: the two sets of Arabic-Indic digits do not mix
	}
	for i, r := range runes {
		if r < utf8.RuneSelf {
			continue
		}
		if idna2008Disallowed(r) {
			return r, true
		}
		var ok bool
		switch r {
		case 0x00B7: // A.3: MIDDLE DOT only between two 'l'
			ok = i > 0 && i+1 < len(runes) && runes[i-1] == 'l' && runes[i+1] == 'l'
		case 0x0375: // A.4: GREEK KERAIA before a Greek character
			ok = i+1 < len(runes) && unicode.Is(unicode.Greek, runes[i+1])
		case 0x05F3, 0x05F4: // A.5, A.6: after a Hebrew character
			ok = i > 0 && unicode.Is(unicode.Hebrew, runes[i-1])
		case 0x30FB: // A.7: KATAKANA MIDDLE DOT in a label with kana or Han
			ok = kanaOrHan
		default:
			ok = unicode.In(r, unicode.Ll, unicode.Lo, unicode.Lm, unicode.Mn, unicode.Mc, unicode.Nd)
			for _, e := range idna2008Exceptions {
				ok = ok || r == e
			}
		}
		if !ok {
			return r, true
		}
	}
	return 0, false
}
