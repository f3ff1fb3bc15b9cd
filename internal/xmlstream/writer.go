package xmlstream

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ErrUnencodable is returned for text that XML cannot carry at all: invalid
// UTF-8, NUL and other control characters, U+FFFE, U+FFFF. Refusing it
// at encode time means the caller learns before the stanza is sent, rather
// than the peer closing the stream over it.
var ErrUnencodable = errors.New("xmlstream: text holds characters XML cannot carry")

// AppendText appends s escaped as character data. '&', '<' and '>' are
// escaped (so "]]>" can never appear), and so is CR, which a parser would
// otherwise turn into LF.
func AppendText(dst []byte, s string) ([]byte, error) {
	return appendEscaped(dst, s, false)
}

// AppendAttr appends s escaped for an attribute value quoted with '. Tab,
// LF and CR become character references, which survive attribute value
// normalization.
func AppendAttr(dst []byte, s string) ([]byte, error) {
	return appendEscaped(dst, s, true)
}

// appendEscaped appends s escaped, for an attribute value if attr, or
// else as character data. Most of what a client writes (JIDs, ids, the
// words of a message) needs no escape at all, so it looks at eight bytes
// at a time and goes byte by byte only through a word that holds a byte
// that may need work; runs of plain bytes are copied with one append when
// an escape or the end comes. On an error dst holds what was appended up
// to the last escape before it.
func appendEscaped(dst []byte, s string, attr bool) ([]byte, error) {
	class, amp := &textClass, ampOnly
	if attr {
		class, amp = &attrClass, ampApos
	}
	last := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) && !mayNeedWork(load64(s, i), amp) {
			i += 8
		}
		end := min(i+8, len(s))
		for i < end && class[s[i]] == escPlain {
			i++
		}
		if i == end {
			continue
		}
		switch k := class[s[i]]; k {
		case escNonASCII:
			// Check the whole run of non-ASCII characters here rather
			// than a word check per character.
			for i < len(s) && s[i] >= utf8.RuneSelf {
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && size <= 1 || !isChar(r) {
					return dst, ErrUnencodable
				}
				i += size
			}
		case escRefused:
			return dst, ErrUnencodable
		default:
			dst = append(dst, s[last:i]...)
			dst = append(dst, escapes[k-escFirst]...)
			i++
			last = i
		}
	}
	return append(dst, s[last:]...), nil
}

// What appendEscaped does with a byte: nothing, check the character that
// starts there, refuse it, or write escapes[class-escFirst] in its place.
const (
	escPlain = iota
	escNonASCII
	escRefused
	escFirst
)

var escapes = [...]string{"&amp;", "&lt;", "&gt;", "&#xD;", "&apos;", "&#xA;", "&#x9;"}

// textClass and attrClass give the class of each byte in character data
// and in an attribute value.
var textClass, attrClass = escClasses(false), escClasses(true)

func escClasses(attr bool) (t [256]uint8) {
	for c := range t {
		t[c] = escPlain
		if c < 0x20 && c != '\n' && c != '\t' {
			t[c] = escRefused
		}
		if c >= utf8.RuneSelf {
			t[c] = escNonASCII
		}
	}
	escape := "&<>\r"
	if attr {
		escape += "'\n\t"
	}
	for i := range len(escape) {
		t[escape[i]] = escFirst + uint8(i)
	}
	return t
}

// load64 reads the eight bytes of s at i as one little-endian word (the
// compiler makes it a single load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// mayNeedWork reports whether one of the eight bytes in w is a control
// character (below 0x20), is not ASCII, or is '&', '<' or '>' (or, with
// amp set to ampApos, the apostrophe): the bytes that appendEscaped may
// have to escape or check. It may be true with nothing to do (for LF and
// tab), never false with something to do.
//
// (v-lsb) &^ v & msb is nonzero exactly when a byte of v is zero, and
// (w-n*lsb) &^ w & msb exactly when a byte of w is below n (n <= 0x80).
// '<' and '>' differ in one bit (0x02), so OR-ing it in makes both 0x3E;
// '&' and the apostrophe differ in 0x01 in the same way.
func mayNeedWork(w uint64, amp ampMatch) bool {
	return ((w-0x20*lsb)&^w|w|hasZero((w|amp.or)^amp.eq)|hasZero((w|0x02*lsb)^'>'*lsb))&msb != 0
}

// ampMatch says which bytes mayNeedWork takes for '&': w|or == eq.
type ampMatch struct{ or, eq uint64 }

var (
	ampOnly = ampMatch{0, '&' * lsb}
	ampApos = ampMatch{lsb, 0x27 * lsb}
)

// hasZero has the high bit of a byte set when that byte of v is zero (and
// maybe in the bytes above it); it is nonzero exactly when one byte is.
func hasZero(v uint64) uint64 { return (v - lsb) &^ v & msb }

// Encoder writes elements into a byte buffer, declaring namespaces only
// where they change: a child in its parent's namespace carries no xmlns.
// Attributes in the XML namespace (xml:lang) use the xml prefix; other
// namespaced attributes get a declared prefix. The zero value writes
// elements whose top level inherits no namespace, as on a WebSocket; set
// Inherited to the stream's content namespace (jabber:client) to leave it
// off top-level stanzas on a TCP stream. An Encoder is not safe for
// concurrent use.
type Encoder struct {
	// Inherited is the default namespace in force at the top level.
	Inherited string
	// StreamPrefix says the header declared xmlns:stream, so elements in
	// the streams namespace are written with that prefix.
	StreamPrefix bool

	buf   []byte
	open  []openElem
	inTag bool // the last start tag is not closed yet ('>' pending)
	err   error
}

type openElem struct {
	name      Name
	defaultNS string // the default namespace inside this element
}

// Reset empties the buffer for the next element, keeping its memory.
func (e *Encoder) Reset() {
	e.buf, e.open, e.inTag, e.err = e.buf[:0], e.open[:0], false, nil
}

// Bytes returns what was written, or the first error. The slice is valid
// until the next Reset.
func (e *Encoder) Bytes() ([]byte, error) {
	if e.err == nil && len(e.open) != 0 {
		return nil, errors.New("xmlstream: element not closed")
	}
	return e.buf, e.err
}

func (e *Encoder) closeTag() {
	if e.inTag {
		e.buf = append(e.buf, '>')
		e.inTag = false
	}
}

func (e *Encoder) currentNS() string {
	if len(e.open) == 0 {
		return e.Inherited
	}
	return e.open[len(e.open)-1].defaultNS
}

// Start opens an element. A local name (of the element or of an
// attribute) that is not an XML name without a colon sets the Encoder's
// error, and nothing of the element is written: a name taken from a
// Node, and so perhaps from user input, can never end the element it is
// in and write markup of its own.
func (e *Encoder) Start(name Name, attrs ...Attr) {
	if e.err != nil {
		return
	}
	if !isNCName(name.Local) {
		e.err = fmt.Errorf("xmlstream: %q is not an element name", name.Local)
		return
	}
	for _, a := range attrs {
		if !isNCName(a.Name.Local) {
			e.err = fmt.Errorf("xmlstream: %q is not an attribute name", a.Name.Local)
			return
		}
	}
	e.StartTrusted(name, attrs...)
}

// StartTrusted is Start without the check of the names, for the
// elements and attributes whose names the program spells itself (a
// stanza's <body/>, its to and id): the encoder of stanzas writes those
// at every send, and checking constants would cost it about a tenth of
// its time. A name from anywhere else goes through Start.
func (e *Encoder) StartTrusted(name Name, attrs ...Attr) {
	if e.err != nil {
		return
	}
	e.closeTag()
	e.buf = append(e.buf, '<')
	ns := e.currentNS()
	if name.Space == NSStream && e.StreamPrefix {
		e.buf = append(e.buf, "stream:"...)
		e.buf = append(e.buf, name.Local...)
	} else {
		e.buf = append(e.buf, name.Local...)
		if name.Space != ns {
			e.attr("xmlns", name.Space)
			ns = name.Space
		}
	}
	prefixes := 0
	for _, a := range attrs {
		switch a.Name.Space {
		case "":
			e.attr(a.Name.Local, a.Value)
		case NSXML:
			e.attr("xml:"+a.Name.Local, a.Value)
		default:
			prefixes++
			p := "ns" + strconv.Itoa(prefixes)
			e.attr("xmlns:"+p, a.Name.Space)
			e.attr(p+":"+a.Name.Local, a.Value)
		}
	}
	e.inTag = true
	e.open = append(e.open, openElem{name: name, defaultNS: ns})
}

// isNCName reports whether s is a name without a colon (an NCName of
// Namespaces in XML), by the rules the reader takes names by.
func isNCName(s string) bool {
	if s == "" || nameByte[s[0]]&nameStart == 0 && s[0] < utf8.RuneSelf {
		return false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if nameByte[c]&nameChar == 0 || c == ':' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isNameRune(r, i == 0) {
			return false
		}
		i += size
	}
	return true
}

func (e *Encoder) attr(qname, value string) {
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, qname...)
	e.buf = append(e.buf, '=', '\'')
	e.buf, e.err = AppendAttr(e.buf, value)
	e.buf = append(e.buf, '\'')
}

// Text writes character data inside the open element.
func (e *Encoder) Text(s string) {
	if e.err != nil || s == "" {
		return
	}
	e.closeTag()
	e.buf, e.err = AppendText(e.buf, s)
}

// End closes the innermost open element; an element with no content is
// written as an empty-element tag.
func (e *Encoder) End() {
	if e.err != nil {
		return
	}
	if len(e.open) == 0 {
		e.err = errors.New("xmlstream: End without Start")
		return
	}
	top := e.open[len(e.open)-1]
	e.open = e.open[:len(e.open)-1]
	if e.inTag {
		e.buf = append(e.buf, '/', '>')
		e.inTag = false
		return
	}
	e.buf = append(e.buf, '<', '/')
	if top.name.Space == NSStream && e.StreamPrefix {
		e.buf = append(e.buf, "stream:"...)
	}
	e.buf = append(e.buf, top.name.Local...)
	e.buf = append(e.buf, '>')
}

// Element writes a whole element read by a Reader, token by token, so that
// an unknown extension goes back out as it came in (names, namespaces,
// attributes, text and nesting).
func (e *Encoder) Element(el *Element) {
	for i := range el.Tokens {
		t := &el.Tokens[i]
		switch t.Kind {
		case StartElement:
			e.Start(t.Name, el.TokenAttrs(t)...)
		case EndElement:
			e.End()
		case Text:
			e.Text(t.Text)
		}
	}
}
