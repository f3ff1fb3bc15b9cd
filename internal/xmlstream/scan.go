package xmlstream

import "bytes"

// scanner finds where a top-level element ends, byte by byte, and can
// stop at the end of the buffered input and go on when more arrives: its
// whole state lives in the struct, so a peer that dribbles a large element
// one byte per read costs linear work, not quadratic. It recognises only
// what it needs to count depth (tags, quoted attribute values, CDATA) and
// refuses the constructs RFC 6120 forbids as soon as it sees them; the
// parser checks everything else once the element is complete.
type scanner struct {
	pos   int // next byte to look at, relative to the element's start
	depth int
	mode  scanMode
	quote byte // in modeQuote: the quote that ends the value
	match int  // in modeBang: bytes of "[CDATA[" matched; in modeCDATA: "]" seen
	// selfClose: in modeStartTag, the last byte was '/', so a '>' now
	// closes an empty element.
	selfClose bool
	// headerOnly: stop after the first start tag (the stream header,
	// which stays open).
	headerOnly bool
}

type scanMode uint8

const (
	modeText     scanMode = iota // character data, or between top-level elements
	modeLT                       // just after '<'
	modeStartTag                 // inside <name ...
	modeEndTag                   // inside </name ...
	modeQuote                    // inside an attribute value
	modeBang                     // after "<!"
	modeCDATA                    // inside <![CDATA[ ... ]]>
)

const cdataOpen = "[CDATA["

// tagSpecial marks the bytes that matter inside a tag.
var tagSpecial = [256]bool{'"': true, '\'': true, '<': true, '>': true, '/': true}

// scanResult says how far scan got.
type scanResult uint8

const (
	scanMore      scanResult = iota // the element is not complete yet
	scanDone                        // the element ends at s.pos
	scanStreamEnd                   // "</" at depth 0: the stream's end tag starts at s.pos-2
)

// scan looks at b[s.pos:], where b holds the element from its first '<'.
// The caller resets the scanner for each element.
func (s *scanner) scan(b []byte) (scanResult, *Error) {
	for s.pos < len(b) {
		switch s.mode {
		case modeText:
			i := bytes.IndexByte(b[s.pos:], '<')
			if i < 0 {
				s.pos = len(b)
				return scanMore, nil
			}
			s.pos += i + 1
			s.mode = modeLT
		case modeLT:
			c := b[s.pos]
			s.pos++
			switch c {
			case '/':
				if s.depth == 0 {
					return scanStreamEnd, nil
				}
				s.mode = modeEndTag
			case '!':
				s.mode, s.match = modeBang, 0
			case '?':
				return scanMore, s.fail(RestrictedXML, "processing instruction")
			default:
				s.mode, s.selfClose = modeStartTag, false
			}
		case modeBang:
			c := b[s.pos]
			if s.match == 0 && (c == '-' || c == 'D' || c == 'E' || c == 'A' || c == 'N') {
				return scanMore, s.fail(RestrictedXML, "comment or document type declaration")
			}
			if c != cdataOpen[s.match] {
				return scanMore, s.fail(NotWellFormed, "'<!' not followed by [CDATA[")
			}
			if s.depth == 0 {
				return scanMore, s.fail(NotWellFormed, "CDATA outside an element")
			}
			s.pos++
			if s.match++; s.match == len(cdataOpen) {
				s.mode, s.match = modeCDATA, 0
			}
		case modeCDATA:
			// Find "]]>", keeping in s.match how many ']' ended the last
			// buffer.
			c := b[s.pos]
			s.pos++
			switch {
			case c == ']':
				if s.match < 2 {
					s.match++
				}
			case c == '>' && s.match == 2:
				s.mode, s.match = modeText, 0
			default:
				s.match = 0
				if i := bytes.IndexByte(b[s.pos:], ']'); i >= 0 {
					s.pos += i
				} else {
					s.pos = len(b)
				}
			}
		case modeQuote:
			i := bytes.IndexByte(b[s.pos:], s.quote)
			if i < 0 {
				s.pos = len(b)
				return scanMore, nil
			}
			s.pos += i + 1
			s.mode = modeStartTag
		case modeStartTag, modeEndTag:
			// Skip the bytes that change nothing (names, '=', spaces).
			if start := s.pos; !tagSpecial[b[start]] {
				for s.pos < len(b) && !tagSpecial[b[s.pos]] {
					s.pos++
				}
				s.selfClose = false
				if s.pos == len(b) {
					return scanMore, nil
				}
			}
			c := b[s.pos]
			s.pos++
			switch c {
			case '"', '\'':
				if s.mode == modeEndTag {
					return scanMore, s.fail(NotWellFormed, "quote in an end tag")
				}
				s.mode, s.quote = modeQuote, c
			case '<':
				return scanMore, s.fail(NotWellFormed, "'<' inside a tag")
			case '/':
				s.selfClose = s.mode == modeStartTag
			case '>':
				if s.mode == modeEndTag {
					s.depth--
				} else if !s.selfClose {
					s.depth++
				}
				s.mode = modeText
				if s.depth == 0 || s.headerOnly {
					return scanDone, nil
				}
			default:
				s.selfClose = false
			}
		}
	}
	return scanMore, nil
}

func (s *scanner) fail(c Condition, msg string) *Error {
	return &Error{Condition: c, Offset: int64(s.pos), Msg: msg}
}
