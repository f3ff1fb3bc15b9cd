package xmpp

import (
	"bytes"
	"errors"
	"strings"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// RFC 7395 framing, as the stream sees it: the stream writes and reads
// the stream of RFC 6120 (headers, </stream:stream>, stanzas that
// inherit jabber:client), and the WebSocket carries each top-level
// element as a message of its own, with <open/> and <close/> in the
// framing namespace for the headers and the end. These functions
// translate one into the other.

// nsFraming is the namespace of RFC 7395's <open/> and <close/>.
const nsFraming = "urn:ietf:params:xml:ns:xmpp-framing"

const (
	wsClose       = "<close xmlns='" + nsFraming + "'/>"
	wsStreamStart = "<?xml version='1.0'?><stream:stream xmlns='" + stanza.NSClient + "' xmlns:stream='" + xmlstream.NSStream + "'"
)

// frameItem is what scanItem found.
type frameItem uint8

const (
	itemElement frameItem = iota // a complete top-level element
	itemHeader                   // a stream header's start tag, <stream:stream ...>
	itemEnd                      // </stream:stream>
	itemDecl                     // the XML declaration, <?xml ...?>
)

var (
	errIncomplete = errors.New("incomplete element")
	errRestricted = errors.New("comment, DTD or processing instruction")
	errNotElement = errors.New("text or an end tag outside any element")
)

// scanItem finds where the item that starts at b[i] (a '<') ends.
// With stream, the stream's own header, end and XML declaration are
// items too (what the stream writes); without, only elements are (what
// a WebSocket message may hold). It checks no more than it needs to
// find the end: the stream reader checks the rest.
func scanItem(b []byte, i int, stream bool) (end int, kind frameItem, err error) {
	depth := 0
	for i < len(b) {
		if b[i] != '<' {
			if depth == 0 {
				return 0, 0, errNotElement
			}
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				return 0, 0, errIncomplete
			}
			i += j
			continue
		}
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if depth == 0 {
				return 0, 0, errNotElement
			}
			j := bytes.Index(rest, []byte("]]>"))
			if j < 0 {
				return 0, 0, errIncomplete
			}
			i += j + 3
		case bytes.HasPrefix(rest, []byte("<?")):
			if !stream || depth > 0 || !bytes.HasPrefix(rest, []byte("<?xml ")) {
				return 0, 0, errRestricted
			}
			j := bytes.Index(rest, []byte("?>"))
			if j < 0 {
				return 0, 0, errIncomplete
			}
			return i + j + 2, itemDecl, nil
		case bytes.HasPrefix(rest, []byte("<!")):
			return 0, 0, errRestricted
		case bytes.HasPrefix(rest, []byte("</")):
			j := bytes.IndexByte(rest, '>')
			if j < 0 {
				return 0, 0, errIncomplete
			}
			if depth == 0 {
				if stream && string(bytes.TrimSpace(rest[2:j])) == "stream:stream" {
					return i + j + 1, itemEnd, nil
				}
				return 0, 0, errNotElement
			}
			i += j + 1
			if depth--; depth == 0 {
				return i, itemElement, nil
			}
		default:
			j := tagEnd(rest)
			if j < 0 {
				return 0, 0, errIncomplete
			}
			if stream && depth == 0 && tagName(rest) == "stream:stream" {
				return i + j + 1, itemHeader, nil
			}
			i += j + 1
			if rest[j-1] != '/' {
				depth++
			} else if depth == 0 {
				return i, itemElement, nil
			}
		}
	}
	return 0, 0, errIncomplete
}

// tagEnd returns the index of the '>' that ends the tag at the start of
// b, outside quoted attribute values, or -1.
func tagEnd(b []byte) int {
	var quote byte
	for j := 1; j < len(b); j++ {
		switch c := b[j]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '>':
			return j
		}
	}
	return -1
}

// tagName returns the name of the tag at the start of b.
func tagName(b []byte) string {
	j := 1
	for j < len(b) && !isXMLSpace(b[j]) && b[j] != '/' && b[j] != '>' {
		j++
	}
	return string(b[1:j])
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipXMLSpace(b []byte, i int) int {
	for i < len(b) && isXMLSpace(b[i]) {
		i++
	}
	return i
}

// tagAttr is one attribute of a start tag the stream wrote: its name,
// and its value as written (escaped, without the quotes).
type tagAttr struct{ name, value []byte }

// tagAttrs returns the attributes of the start tag tag (from '<' to
// '>'), written by the stream's encoder, so well-formed.
func tagAttrs(tag []byte) []tagAttr {
	var out []tagAttr
	i := 1 + len(tagName(tag))
	for {
		i = skipXMLSpace(tag, i)
		eq := bytes.IndexByte(tag[i:], '=')
		if eq < 0 {
			return out
		}
		name := bytes.TrimSpace(tag[i : i+eq])
		i = skipXMLSpace(tag, i+eq+1)
		if i >= len(tag) || (tag[i] != '\'' && tag[i] != '"') {
			return out
		}
		q := tag[i]
		end := bytes.IndexByte(tag[i+1:], q)
		if end < 0 {
			return out
		}
		out = append(out, tagAttr{name, tag[i+1 : i+1+end]})
		i += end + 2
	}
}

func hasAttr(attrs []tagAttr, name string) bool {
	for _, a := range attrs {
		if string(a.name) == name {
			return true
		}
	}
	return false
}

// frameOut splits what the stream wrote, b, into the WebSocket messages
// that carry it, calling msg with each: the XML declaration is left out,
// a stream header becomes <open/> with the header's attributes but its
// namespace declarations, </stream:stream> becomes <close/>, and each
// element goes as it is, but that a stanza gets xmlns='jabber:client'
// and an element of the stream namespace its xmlns:stream declaration,
// which on TCP the header gives them. White space between elements is
// dropped: RFC 7395 has no white-space keepalives. b holds complete
// items only, as the stream writes them.
func frameOut(b []byte, msg func(parts ...[]byte) error) error {
	for i := skipXMLSpace(b, 0); i < len(b); i = skipXMLSpace(b, i) {
		end, kind, err := scanItem(b, i, true)
		if err != nil {
			return errors.New("xmpp: websocket: cannot frame what the stream wrote: " + err.Error())
		}
		item := b[i:end]
		i = end
		switch kind {
		case itemDecl:
		case itemHeader:
			var open []byte
			open = append(open, "<open xmlns='"+nsFraming+"'"...)
			for _, a := range tagAttrs(item) {
				if string(a.name) == "xmlns" || bytes.HasPrefix(a.name, []byte("xmlns:")) {
					continue
				}
				open = append(open, ' ')
				open = append(open, a.name...)
				open = append(open, "='"...)
				open = append(open, a.value...)
				open = append(open, '\'')
			}
			open = append(open, "/>"...)
			err = msg(open)
		case itemEnd:
			err = msg([]byte(wsClose))
		default:
			err = frameElement(item, msg)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// frameElement sends one element, with the declarations it needs once
// the stream header no longer gives them.
func frameElement(el []byte, msg func(parts ...[]byte) error) error {
	name := tagName(el)
	var decl string
	switch {
	case name == "message" || name == "presence" || name == "iq":
		decl = " xmlns='" + stanza.NSClient + "'"
		if hasAttr(tagAttrs(el[:tagEnd(el)+1]), "xmlns") {
			decl = ""
		}
	case strings.HasPrefix(name, "stream:"):
		decl = " xmlns:stream='" + xmlstream.NSStream + "'"
		if hasAttr(tagAttrs(el[:tagEnd(el)+1]), "xmlns:stream") {
			decl = ""
		}
	}
	if decl == "" {
		return msg(el)
	}
	n := 1 + len(name)
	return msg(el[:n], []byte(decl), el[n:])
}

// frameIn turns one WebSocket message, m, into what the stream reader
// reads: <open/> a stream header (and the XML declaration before it),
// <close/> the end of the stream, after a see-other-host stream error
// when it names another URI (RFC 7395 section 3.6.1), and any other
// element itself. A message must hold exactly one element (RFC 7395
// section 3.3.3); white space around it is allowed, and a message of
// white space alone gives nothing. What is wrong is an *xmlstream.Error,
// so that the stream ends with the stream error it calls for.
//
// open says whether the server opened the stream under way; a <close/>
// that comes first (a redirection in answer to <open/>) is given a
// stream header of its own, since the stream reader expects one.
// opened says m was <open/>.
func frameIn(m []byte, open bool) (out []byte, opened bool, err error) {
	i := skipXMLSpace(m, 0)
	if i == len(m) {
		return nil, false, nil
	}
	end, _, err := scanItem(m, i, false)
	if err == nil && skipXMLSpace(m, end) != len(m) {
		err = errors.New("more than one element")
	}
	if err != nil {
		cond := xmlstream.NotWellFormed
		if errors.Is(err, errRestricted) {
			cond = xmlstream.RestrictedXML
		}
		return nil, false, &xmlstream.Error{Condition: cond, Msg: "a WebSocket message does not hold exactly one element (RFC 7395 section 3.3.3): " + err.Error()}
	}
	el := m[i:end]
	if name := tagName(el); name != "open" && name != "close" {
		return m, false, nil
	}
	return framingElement(el, open)
}

// framingElement translates <open/> or <close/>; an element of that
// name in another namespace goes through as it is.
func framingElement(el []byte, open bool) ([]byte, bool, error) {
	// The message's size is bounded already (wsConn.max).
	r := xmlstream.NewReader(bytes.NewReader(append([]byte(wsStreamStart+">"), el...)), xmlstream.Limits{MaxElementSize: len(el) + 1<<10})
	if _, err := r.Header(); err != nil {
		return nil, false, err
	}
	e, err := r.Next()
	if err != nil {
		return nil, false, err
	}
	t := &e.Tokens[0]
	switch t.Name {
	case xmlstream.Name{Space: nsFraming, Local: "open"}:
		out := []byte(wsStreamStart)
		for _, a := range e.TokenAttrs(t) {
			switch a.Name.Space {
			case "":
				out = append(out, ' ')
				out = append(out, a.Name.Local...)
			case xmlstream.NSXML:
				out = append(out, " xml:"...)
				out = append(out, a.Name.Local...)
			default:
				continue
			}
			out = append(out, "='"...)
			out, _ = xmlstream.AppendAttr(out, a.Value)
			out = append(out, '\'')
		}
		return append(out, '>'), true, nil
	case xmlstream.Name{Space: nsFraming, Local: "close"}:
		var out []byte
		if !open {
			out = append(out, wsStreamStart+" version='1.0'>"...)
		}
		for _, a := range e.TokenAttrs(t) {
			if a.Name == (xmlstream.Name{Local: "see-other-uri"}) && a.Value != "" {
				out = append(out, "<stream:error><see-other-host xmlns='"+stanza.NSStreams+"'>"...)
				out, _ = xmlstream.AppendAttr(out, a.Value)
				out = append(out, "</see-other-host></stream:error>"...)
			}
		}
		return append(out, streamEnd...), false, nil
	}
	return el, false, nil
}
