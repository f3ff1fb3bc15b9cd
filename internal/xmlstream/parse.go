package xmlstream

import (
	"encoding/binary"
	"encoding/xml"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Namespaces every stream knows.
const (
	NSXML    = "http://www.w3.org/XML/1998/namespace"
	NSStream = "http://etherx.jabber.org/streams"
)

// Kind is the kind of a Token.
type Kind uint8

// The kinds of Token.
const (
	StartElement Kind = iota + 1
	EndElement
	Text
)

// Name is a namespace-qualified name: encoding/xml's, so that decoded
// names and attributes pass to package stanza without conversion.
type Name = xml.Name

// Attr is an attribute. Namespace declarations (xmlns, xmlns:p) are not
// attributes here: names are already resolved.
type Attr = xml.Attr

// Token is one piece of an element: a start tag with its attributes, an
// end tag, or character data (CDATA sections included).
type Token struct {
	// Kind is StartElement, EndElement or Text; the fields below say
	// which kinds they are set for.
	Kind Kind
	Name Name   // StartElement and EndElement
	Text string // Text: the character data, entities replaced
	// StartElement: the token's attributes are Element.Attrs[AttrStart:AttrEnd].
	AttrStart, AttrEnd int32
}

// Element is one top-level element: its tokens in document order, the
// first a StartElement and the last its EndElement. Names and values are
// substrings of one string made per element; the slices are reused by the
// next call to Reader.Next, so keep strings, not the Element. An element
// of a Reader that lends (Reader.Lend) may instead point into the
// Reader's buffer (Lent): its strings too are valid only until the next
// call, unless Keep makes them its own.
type Element struct {
	// Tokens are the element's tokens, in document order.
	Tokens []Token
	// Attrs are the attributes of all its start tags, tag after tag; a
	// StartElement token's AttrStart and AttrEnd delimit its own.
	Attrs []Attr
	Raw   string // the element as received

	// lent is the Reader whose buffer Raw is, and the texts it
	// unescaped into the buffer's room (Reader.texts), while they are
	// not the element's own (Lent); nil once they are.
	lent *Reader
}

// TokenAttrs returns the attributes of the start tag t.
func (e *Element) TokenAttrs(t *Token) []Attr { return e.Attrs[t.AttrStart:t.AttrEnd] }

// Lent reports whether e's strings may point into its Reader's buffer
// (Reader.Lend): then they change at the Reader's next Next or Buffered,
// and whoever keeps one keeps a copy (Borrows says which), or calls Keep
// first.
func (e *Element) Lent() bool { return e.lent != nil }

// Borrows reports whether s, one of e's strings, points into the
// Reader's buffer (texts whose references were replaced included), so
// that keeping it takes a copy. It is false for every string of an
// element that is not lent, and for the strings of a lent one that are
// not in the buffer (namespaces the stream header declared, a text
// that did not fit in the buffer's room).
func (e *Element) Borrows(s string) bool {
	if e.lent == nil || len(s) == 0 {
		return false
	}
	buf := e.lent.buf[:cap(e.lent.buf)]
	d := uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return d < uintptr(len(buf))
}

// Keep makes a lent element's strings its own: one copy of the element
// and its replaced texts out of the Reader's buffer, to which Raw and
// every string that pointed into the buffer then point, as if the
// Reader did not lend. On an element that is not lent it does nothing.
func (e *Element) Keep() {
	if e.lent == nil {
		return
	}
	// One allocation for the element and its texts.
	texts := e.lent.texts()
	var b strings.Builder
	b.Grow(len(e.Raw) + len(texts))
	b.WriteString(e.Raw)
	b.WriteString(texts)
	all := b.String()
	rebase(e, e.Raw, texts, all)
	e.Raw, e.lent = all[:len(e.Raw)], nil
}

// binding is one namespace declaration in scope.
type binding struct {
	prefix, uri string
}

// parser tokenizes one complete element, checking what the scanner left
// unchecked: names, attribute syntax, entities, characters, namespaces,
// nesting, and the depth and attribute limits.
type parser struct {
	s        string
	i        int
	scope    []binding // the stream header's bindings, then the element's
	open     []openTag
	e        Element // what it parses into: the Reader's element
	maxDepth int32
	maxAttrs int32
	// header: p.s is the stream header, a start tag left open.
	header bool
	// prefix: p.s holds the element and possibly more after it; parsing
	// stops where the element ends, and running out of input is an error.
	prefix bool
	// short: in prefix mode, the last failure came from running out of
	// input (more bytes may make the element whole), not from anything
	// wrong in the bytes seen.
	short bool
	// baseSet: scope starts with the stream header's bindings
	// (Reader.base), copied there by resetParser.
	baseSet bool
	// texts: how many bytes of the room past the read buffer's length
	// hold texts of the element parsed in place (Reader.texts).
	texts uint32
}

type openTag struct {
	qname      string // as written, to match the end tag
	name       Name
	scopeDepth int // len(scope) before this element's declarations
}

func (p *parser) fail(c Condition, msg string) *Error {
	return &Error{Condition: c, Offset: int64(p.i), Msg: msg}
}

// failEnd is fail for what the next byte (or character) should have
// been: when the input ends there, or within a character, the complete
// element may yet be fine.
func (p *parser) failEnd(c Condition, msg string) *Error {
	p.short = p.prefix && (p.i >= len(p.s) || !utf8.FullRuneInString(p.s[p.i:]))
	return p.fail(c, msg)
}

// failShort is fail for a terminator searched for up to the end of the
// input and not found there.
func (p *parser) failShort(c Condition, msg string) *Error {
	p.short = p.prefix
	return p.fail(c, msg)
}

// parse tokenizes p.s, which holds exactly one element.
func (p *parser) parse() *Error {
	for p.i < len(p.s) {
		if p.s[p.i] != '<' {
			if len(p.open) == 0 {
				return p.fail(NotWellFormed, "text after the element")
			}
			if err := p.text(); err != nil {
				return err
			}
			continue
		}
		var next byte // after '<'
		if p.i+1 < len(p.s) {
			next = p.s[p.i+1]
		}
		switch {
		case next == '/':
			if err := p.endTag(); err != nil {
				return err
			}
			if len(p.open) == 0 {
				if p.prefix {
					return nil
				}
				if p.i != len(p.s) {
					return p.fail(NotWellFormed, "data after the element")
				}
			}
		case next != '!' && next != '?':
			if err := p.startTag(); err != nil {
				return err
			}
			if p.prefix && len(p.open) == 0 {
				return nil // an empty element: <x/>
			}
		case strings.HasPrefix(p.s[p.i:], cdataStart):
			if len(p.open) == 0 {
				return p.fail(NotWellFormed, "CDATA outside an element")
			}
			if err := p.cdata(); err != nil {
				return err
			}
		case p.prefix && len(p.open) > 0 && len(p.s)-p.i >= 2 && strings.HasPrefix(cdataStart, p.s[p.i:]):
			// "<![CDATA[" cut by the end of the input.
			return p.failShort(NotWellFormed, "CDATA section incomplete")
		default: // "<!" or "<?"
			return p.fail(RestrictedXML, "comment, declaration or processing instruction")
		}
	}
	if p.prefix {
		return p.failShort(NotWellFormed, "element incomplete")
	}
	if len(p.open) != 0 && !(p.header && len(p.open) == 1) {
		return p.fail(NotWellFormed, "element not closed")
	}
	return nil
}

func (p *parser) startTag() *Error {
	if len(p.open) == 0 && len(p.e.Tokens) != 0 {
		return p.fail(NotWellFormed, "second element")
	}
	p.i++ // '<'
	qname, colon, err := p.name()
	if err != nil {
		return err
	}
	selfClose := false
	// Attributes go straight into the element, named as written.
	// Declarations and prefixed names are rare: note them, so that the
	// common tag skips the pass that handles them.
	base := len(p.e.Attrs)
	special := false
	for {
		sp := p.space()
		if p.i >= len(p.s) {
			return p.failEnd(NotWellFormed, "tag not closed")
		}
		if c := p.s[p.i]; c == '>' {
			p.i++
			break
		} else if c == '/' {
			if p.i+1 >= len(p.s) || p.s[p.i+1] != '>' {
				if p.i+1 >= len(p.s) {
					return p.failShort(NotWellFormed, "'/' not followed by '>'")
				}
				return p.fail(NotWellFormed, "'/' not followed by '>'")
			}
			p.i += 2
			selfClose = true
			break
		}
		if !sp {
			return p.failEnd(NotWellFormed, "attribute not separated by white space")
		}
		aname, acolon, err := p.name()
		if err != nil {
			return err
		}
		value, err := p.attrValue()
		if err != nil {
			return err
		}
		for k := base; k < len(p.e.Attrs); k++ {
			if p.e.Attrs[k].Name.Local == aname {
				return p.fail(NotWellFormed, "duplicate attribute "+aname)
			}
		}
		if len(p.e.Attrs)-base == int(p.maxAttrs) {
			return p.fail(PolicyViolation, "too many attributes")
		}
		special = special || acolon >= 0 || strings.HasPrefix(aname, "xmlns")
		p.attr(aname, value)
	}
	if len(p.open) == int(p.maxDepth) {
		return p.fail(PolicyViolation, "elements nested too deeply")
	}

	// Declarations first: they apply to the element's own name and
	// attributes.
	scopeDepth := len(p.scope)
	if special {
		for _, a := range p.e.Attrs[base:] {
			if a.Name.Local == "xmlns" {
				p.scope = append(p.scope, binding{"", a.Value})
			} else if prefix, ok := strings.CutPrefix(a.Name.Local, "xmlns:"); ok {
				// The prefix is an NCName: no second colon, and it
				// starts as a name does (name() checked the rest).
				if a.Value == "" || prefix == "xmlns" || (prefix == "xml") != (a.Value == NSXML) ||
					strings.IndexByte(prefix, ':') >= 0 || !startsName(prefix) {
					return p.fail(NotWellFormed, "bad namespace declaration "+a.Name.Local)
				}
				p.scope = append(p.scope, binding{prefix, a.Value})
			}
		}
	}
	name, err := p.resolve(qname, colon, true)
	if err != nil {
		return err
	}
	if special {
		// Drop the declarations, resolve the other names, and check that
		// they are still unique once resolved.
		w := base
		for k := base; k < len(p.e.Attrs); k++ {
			a := p.e.Attrs[k]
			q := a.Name.Local
			if q == "xmlns" || strings.HasPrefix(q, "xmlns:") {
				continue
			}
			an, err := p.resolve(q, strings.IndexByte(q, ':'), false)
			if err != nil {
				return err
			}
			for _, b := range p.e.Attrs[base:w] {
				if b.Name == an {
					return p.fail(NotWellFormed, "duplicate attribute "+q)
				}
			}
			p.e.Attrs[w] = Attr{Name: an, Value: a.Value}
			w++
		}
		clear(p.e.Attrs[w:])
		p.e.Attrs = p.e.Attrs[:w]
	}
	p.token(StartElement, name, "", base, len(p.e.Attrs))
	if selfClose {
		p.scope = p.scope[:scopeDepth]
		p.token(EndElement, name, "", 0, 0)
		if len(p.open) == 0 && p.i != len(p.s) && !p.prefix {
			return p.fail(NotWellFormed, "data after the element")
		}
		return nil
	}
	n := len(p.open)
	if n < cap(p.open) {
		p.open = p.open[:n+1]
	} else {
		p.open = append(p.open, openTag{})
	}
	o := &p.open[n] // field by field, as token
	o.qname, o.name.Space, o.name.Local, o.scopeDepth = qname, name.Space, name.Local, scopeDepth
	return nil
}

func (p *parser) endTag() *Error {
	p.i += 2 // "</"
	// The usual end tag: the open element's name as written, then '>'.
	// '>' cannot continue a name, so name() would read just that name.
	if n := len(p.open); n > 0 {
		top := p.open[n-1]
		if e := p.i + len(top.qname); e < len(p.s) && p.s[e] == '>' && p.s[p.i:e] == top.qname {
			p.i = e + 1
			p.open = p.open[:n-1]
			p.scope = p.scope[:top.scopeDepth]
			p.token(EndElement, top.name, "", 0, 0)
			return nil
		}
	}
	qname, _, err := p.name()
	if err != nil {
		return err
	}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '>' {
		return p.failEnd(NotWellFormed, "end tag not closed")
	}
	p.i++
	if len(p.open) == 0 {
		return p.fail(NotWellFormed, "end tag without a start tag")
	}
	top := p.open[len(p.open)-1]
	if top.qname != qname {
		return p.fail(NotWellFormed, "end tag </"+qname+"> does not match <"+top.qname+">")
	}
	p.open = p.open[:len(p.open)-1]
	p.scope = p.scope[:top.scopeDepth]
	p.token(EndElement, top.name, "", 0, 0)
	return nil
}

// resolve maps a qualified name, whose first ':' is at colon (-1 for
// none), to its namespace. Unprefixed attributes have no namespace;
// unprefixed elements take the default namespace.
func (p *parser) resolve(qname string, colon int, element bool) (Name, *Error) {
	if colon < 0 {
		// name() made sure that qname starts as a name does.
		if element {
			for i := len(p.scope) - 1; i >= 0; i-- {
				if p.scope[i].prefix == "" {
					return Name{Space: p.scope[i].uri, Local: qname}, nil
				}
			}
		}
		return Name{Local: qname}, nil
	}
	prefix, local := qname[:colon], qname[colon+1:]
	if strings.IndexByte(local, ':') >= 0 || !startsName(local) || !startsName(prefix) {
		return Name{}, p.fail(NotWellFormed, "bad qualified name "+qname)
	}
	if prefix == "xml" {
		return Name{Space: NSXML, Local: local}, nil
	}
	for i := len(p.scope) - 1; i >= 0; i-- {
		if p.scope[i].prefix == prefix {
			return Name{Space: p.scope[i].uri, Local: local}, nil
		}
	}
	return Name{}, p.fail(NotWellFormed, "undeclared namespace prefix "+prefix)
}

// attrPlain marks the bytes an attribute value can hold as they are:
// printable ASCII but for '<' and '&'.
var attrPlain = func() (t [256]bool) {
	for c := 0x20; c <= 0x7f; c++ {
		t[c] = c != '<' && c != '&'
	}
	return t
}()

// plainTo returns the index of the first q in s when the bytes before
// it are printable ASCII but for '<' and '&' (a plain attribute value),
// else -1. Eight bytes at a time: the lowest byte each of the SWAR
// tests flags is exact (only bytes above a flagged one can be flagged
// wrongly), so a word is plain up to its first q when no test flags a
// byte below that q.
func plainTo(s string, q byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		qx, lt := w^(ones*uint64(q)), w^(ones*'<')
		bad := notPlain(w) | (lt-ones)&^lt&highs
		if quote := (qx - ones) &^ qx & highs; quote != 0 {
			low := quote & -quote
			if bad&(low-1) != 0 {
				return -1
			}
			return i + bits.TrailingZeros64(low)/8
		}
		if bad != 0 {
			return -1
		}
	}
	for ; i < len(s); i++ {
		if s[i] == q {
			return i
		}
		if !attrPlain[s[i]] {
			return -1
		}
	}
	return -1
}

// attrValue reads '=' and the quoted value after an attribute's name.
func (p *parser) attrValue() (string, *Error) {
	q, err := p.attrQuote()
	if err != nil {
		return "", err
	}
	// The common value: plain ASCII to the quote, nothing to check or
	// replace.
	if end := plainTo(p.s[p.i:], q); end >= 0 {
		v := p.s[p.i : p.i+end]
		p.i += end + 1
		return v, nil
	}
	end := strings.IndexByte(p.s[p.i:], q)
	if end < 0 {
		return "", p.failShort(NotWellFormed, "attribute value not closed")
	}
	return p.checkedValue(end)
}

// attrQuote reads '=' and the opening quote of an attribute value, and
// returns the quote.
func (p *parser) attrQuote() (byte, *Error) {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '=' {
		return 0, p.failEnd(NotWellFormed, "attribute without a value")
	}
	p.i++
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\'') {
		return 0, p.failEnd(NotWellFormed, "attribute value not quoted")
	}
	q := p.s[p.i]
	p.i++
	return q, nil
}

// checkedValue returns the attribute value that starts at p.i and ends
// end bytes later, at its closing quote, checked and with its
// references replaced, and moves past the quote.
func (p *parser) checkedValue(end int) (string, *Error) {
	raw := p.s[p.i : p.i+end]
	if strings.IndexByte(raw, '<') >= 0 {
		return "", p.fail(NotWellFormed, "'<' in an attribute value")
	}
	v, err := p.unescape(raw, true)
	if err != nil {
		return "", err
	}
	p.i += end + 1
	return v, nil
}

func (p *parser) text() *Error {
	end := strings.IndexByte(p.s[p.i:], '<')
	if end < 0 {
		end = len(p.s) - p.i
	}
	raw := p.s[p.i : p.i+end]
	if strings.IndexByte(raw, ']') >= 0 && strings.Contains(raw, "]]>") {
		return p.fail(NotWellFormed, "']]>' in character data")
	}
	t, err := p.unescape(raw, false)
	if err != nil {
		return err
	}
	p.i += end
	p.addText(t)
	return nil
}

// token appends a token. Field by field: a Token is too large for the
// compiler to store as a value, and copying one whole (typedmemmove)
// costs a bulk write barrier while the collector marks.
func (p *parser) token(k Kind, name Name, text string, attrStart, attrEnd int) {
	n := len(p.e.Tokens)
	if n < cap(p.e.Tokens) {
		p.e.Tokens = p.e.Tokens[:n+1]
	} else {
		p.e.Tokens = append(p.e.Tokens, Token{})
	}
	t := &p.e.Tokens[n]
	t.Kind = k
	t.Name.Space, t.Name.Local = name.Space, name.Local
	t.Text = text
	t.AttrStart, t.AttrEnd = int32(attrStart), int32(attrEnd)
}

// attr appends an attribute with no namespace, as token does.
func (p *parser) attr(local, value string) {
	n := len(p.e.Attrs)
	if n < cap(p.e.Attrs) {
		p.e.Attrs = p.e.Attrs[:n+1]
	} else {
		p.e.Attrs = append(p.e.Attrs, Attr{})
	}
	a := &p.e.Attrs[n]
	a.Name.Space, a.Name.Local, a.Value = "", local, value
}

// addText appends character data, joining it to a Text token just before
// (text next to a CDATA section is one piece of character data).
func (p *parser) addText(t string) {
	if n := len(p.e.Tokens); n > 0 && p.e.Tokens[n-1].Kind == Text {
		p.e.Tokens[n-1].Text += t
		return
	}
	p.token(Text, Name{}, t, 0, 0)
}

func (p *parser) cdata() *Error {
	p.i += len(cdataStart)
	end := strings.Index(p.s[p.i:], "]]>")
	if end < 0 {
		return p.failShort(NotWellFormed, "CDATA section not closed")
	}
	raw := p.s[p.i : p.i+end]
	if err := p.checkChars(raw); err != nil {
		return err
	}
	p.i += end + 3
	p.addText(normalizeNewlines(raw))
	return nil
}

// space skips XML white space and reports whether there was any.
func (p *parser) space() bool {
	start := p.i
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
	return p.i > start
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// nameByte marks the ASCII bytes that may start a name (nameStart) and
// that may continue one (nameChar).
const (
	nameStart = 1 << iota
	nameChar
)

var nameByte = func() (t [256]uint8) {
	for c := 0; c < utf8.RuneSelf; c++ {
		if isASCIINameStart(byte(c)) {
			t[c] |= nameStart
		}
		if isASCIINameChar(byte(c)) {
			t[c] |= nameChar
		}
	}
	return t
}()

// name reads an XML name (with at most the prefix colon checked later)
// and returns it with the index of its first ':', or -1.
func (p *parser) name() (string, int, *Error) {
	start, colon := p.i, -1
	s, i := p.s, p.i
	for i < len(s) {
		c := s[i]
		if t := nameByte[c]; t != 0 {
			if i == start && t&nameStart == 0 {
				break
			}
			if c == ':' && colon < 0 {
				colon = i - start
			}
			i++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isNameRune(r, i == start) {
			break
		}
		i += size
	}
	p.i = i
	if i == start {
		return "", -1, p.failEnd(NotWellFormed, "expected a name")
	}
	return s[start:i], colon, nil
}

func isASCIINameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':'
}

func isASCIINameChar(c byte) bool {
	return isASCIINameStart(c) || '0' <= c && c <= '9' || c == '-' || c == '.'
}

// isNameRune follows XML 1.0 (fifth edition)'s NameStartChar and NameChar
// for code points above ASCII, narrowed to letters (and, after the first,
// digits and marks): the fifth edition's ranges also hold format
// characters and symbols that no XMPP name uses and that older parsers,
// encoding/xml among them, refuse.
func isNameRune(r rune, first bool) bool {
	if !unicode.IsLetter(r) && (first || !unicode.IsDigit(r) && !unicode.IsMark(r)) {
		return false
	}
	switch {
	case r == utf8.RuneError:
		return false
	case r == 0xB7 || 0x0300 <= r && r <= 0x036F || r == 0x203F || r == 0x2040:
		return !first
	case 0xC0 <= r && r <= 0xD6, 0xD8 <= r && r <= 0xF6, 0xF8 <= r && r <= 0x2FF,
		0x370 <= r && r <= 0x37D, 0x37F <= r && r <= 0x1FFF, 0x200C <= r && r <= 0x200D,
		0x2070 <= r && r <= 0x218F, 0x2C00 <= r && r <= 0x2FEF, 0x3001 <= r && r <= 0xD7FF,
		0xF900 <= r && r <= 0xFDCF, 0xFDF0 <= r && r <= 0xFFFD, 0x10000 <= r && r <= 0xEFFFF:
		return true
	}
	return false
}

// isChar reports whether XML 1.0 allows r in a document.
func isChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || 0x20 <= r && r <= 0xD7FF ||
		0xE000 <= r && r <= 0xFFFD || 0x10000 <= r && r <= 0x10FFFF
}

// checkChars refuses invalid UTF-8 and characters XML forbids.
func (p *parser) checkChars(s string) *Error {
	_, err := p.scanChars(s, false)
	return err
}

// scanChars checks s as checkChars does and also returns the index of the
// first byte that unescaping must replace ('&', CR, and in attributes LF
// and tab), or -1: one pass for both.
func (p *parser) scanChars(s string, attr bool) (int, *Error) {
	first := -1
	for i := 0; i < len(s); {
		// Sixteen, then eight plain bytes at a time: none below 0x20,
		// none '&', none above 0x7F.
		for i+16 <= len(s) && notPlain(binary.LittleEndian.Uint64([]byte(s[i:i+8])))|
			notPlain(binary.LittleEndian.Uint64([]byte(s[i+8:i+16]))) == 0 {
			i += 16
		}
		for i+8 <= len(s) && plainWord(binary.LittleEndian.Uint64([]byte(s[i:i+8]))) {
			i += 8
		}
		// The next eight bytes (or what is left) are not all plain: one
		// character at a time through them, before words again.
		for stop := min(i+8, len(s)); i < stop; {
			c := s[i]
			if c < utf8.RuneSelf {
				if c < 0x20 || c == '&' {
					if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
						p.i += i
						return -1, p.fail(NotWellFormed, "control character")
					}
					if first < 0 && (c == '&' || c == '\r' || attr) {
						first = i
					}
				}
				i++
				continue
			}
			// Two- and three-byte sequences whose every completion is a
			// character XML allows: U+0080..U+07FF and U+1000..U+CFFF.
			if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
				i += 2
				continue
			}
			if c >= 0xE1 && c <= 0xEC && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
				i += 3
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size <= 1 || !isChar(r) {
				p.i += i
				return -1, p.failEnd(NotWellFormed, "invalid UTF-8 or a character XML forbids")
			}
			i += size
		}
	}
	return first, nil
}

// plainWord reports whether none of the eight bytes of w is a control
// character, '&' or a byte of a multi-byte UTF-8 sequence (the SWAR tests
// of "has a byte less than n" and "has a zero byte").
func plainWord(w uint64) bool { return notPlain(w) == 0 }

// notPlain is plainWord's test: zero when w is plain.
func notPlain(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	lessThan20 := (w - ones*0x20) & ^w & highs
	amp := w ^ (ones * '&')
	hasAmp := (amp - ones) & ^amp & highs
	return (w & highs) | lessThan20 | hasAmp
}

// The bytes unescape replaces, in text and in attribute values.
var (
	textSpecial = [256]bool{'&': true, '\r': true}
	attrSpecial = [256]bool{'&': true, '\r': true, '\n': true, '\t': true}
)

// unescape checks the characters of raw text or an attribute value and
// replaces entity and character references and line ends (and, in
// attributes, white space characters). It allocates only when raw holds
// something to replace.
func (p *parser) unescape(raw string, attr bool) (string, *Error) {
	i, err := p.scanChars(raw, attr)
	if err != nil {
		return "", err
	}
	if i < 0 {
		return raw, nil
	}
	special := &textSpecial
	if attr {
		special = &attrSpecial
	}
	// Replacing never lengthens: the result fits in len(raw) bytes, and
	// the string is made of them without a copy. They are in the room
	// past the read buffer's length, while it has some, for an element
	// parsed in place.
	b, inRoom := p.room(len(raw))
	b = append(b, raw[:i]...)
	for ; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			if attr {
				b = append(b, ' ')
			} else {
				b = append(b, '\n')
			}
		case attr && (c == '\n' || c == '\t'):
			b = append(b, ' ')
		case c == '&':
			end := strings.IndexByte(raw[i:], ';')
			if end < 0 {
				if p.i+len(raw) == len(p.s) {
					// Text that runs to the end of the input (p.i is
					// where raw starts): the ';' may be still to come.
					return "", p.failShort(NotWellFormed, "'&' without ';'")
				}
				return "", p.fail(NotWellFormed, "'&' without ';'")
			}
			r, err := p.entity(raw[i+1 : i+end])
			if err != nil {
				return "", err
			}
			b = utf8.AppendRune(b, r)
			i += end
		default:
			// A run of bytes that stay as they are.
			j := i + 1
			for j < len(raw) && !special[raw[j]] {
				j++
			}
			b = append(b, raw[i:j]...)
			i = j - 1
		}
	}
	if inRoom {
		p.texts += uint32(len(b))
	}
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// room returns an empty slice with room for n bytes: in the room past
// the read buffer's length (reporting true) when the element is parsed
// in place there and n bytes are left, else a new one.
func (p *parser) room(n int) ([]byte, bool) {
	if r := p.e.lent; r != nil {
		if free := cap(r.buf) - len(r.buf) - int(p.texts); n <= free {
			start := len(r.buf) + int(p.texts)
			return r.buf[start : start : start+n], true
		}
	}
	return make([]byte, 0, n), false
}

func (p *parser) entity(name string) (rune, *Error) {
	switch name {
	case "lt":
		return '<', nil
	case "gt":
		return '>', nil
	case "amp":
		return '&', nil
	case "apos":
		return '\'', nil
	case "quot":
		return '"', nil
	}
	if num, ok := strings.CutPrefix(name, "#"); ok {
		base := 10
		if hex, ok := strings.CutPrefix(num, "x"); ok {
			num, base = hex, 16
		}
		if num == "" || len(num) > 8 {
			return 0, p.fail(NotWellFormed, "bad character reference &"+name+";")
		}
		var r rune
		for _, c := range []byte(num) {
			d := rune(-1)
			switch {
			case '0' <= c && c <= '9':
				d = rune(c - '0')
			case base == 16 && 'a' <= c && c <= 'f':
				d = rune(c-'a') + 10
			case base == 16 && 'A' <= c && c <= 'F':
				d = rune(c-'A') + 10
			}
			if d < 0 {
				return 0, p.fail(NotWellFormed, "bad character reference &"+name+";")
			}
			r = r*rune(base) + d
		}
		if !isChar(r) {
			return 0, p.fail(NotWellFormed, "character reference to a character XML forbids")
		}
		return r, nil
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' && r != ':' {
			return 0, p.fail(NotWellFormed, "bad entity reference")
		}
	}
	return 0, p.fail(RestrictedXML, "reference to an undeclared entity &"+name+";")
}

const cdataStart = "<![CDATA["

func normalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// nameAt reads the name that starts at byte i of p.s.
func (p *parser) nameAt(i int) (string, *Error) {
	p.i = i
	n, _, err := p.name()
	return n, err
}

// startsName reports whether s is non-empty and starts with a character
// that may begin a name part (the prefix or the local name of a QName).
func startsName(s string) bool {
	if s == "" {
		return false
	}
	if s[0] < utf8.RuneSelf {
		return s[0] != ':' && isASCIINameStart(s[0])
	}
	r, _ := utf8.DecodeRuneInString(s)
	return isNameRune(r, true)
}
