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

func appendEscaped(dst []byte, s string, attr bool) ([]byte, error) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '\r':
				esc = "&#xD;"
			case attr && c == '\'':
				esc = "&apos;"
			case attr && c == '\n':
				esc = "&#xA;"
			case attr && c == '\t':
				esc = "&#x9;"
			case c < 0x20 && c != '\n' && c != '\t':
				return dst, ErrUnencodable
			}
			if esc != "" {
				dst = append(dst, s[last:i]...)
				dst = append(dst, esc...)
				last = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || !isChar(r) {
			return dst, ErrUnencodable
		}
		i += size
	}
	return append(dst, s[last:]...), nil
}

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
