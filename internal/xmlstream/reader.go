// Package xmlstream reads an XMPP stream (RFC 6120 sections 4 and 11): the
// stream header, then one complete top-level element at a time, in the
// restricted XML that XMPP allows.
//
// Input is checked as it is read. What RFC 6120 section 11.1 forbids (DTDs,
// comments, processing instructions after the XML declaration, entities
// other than the five predefined ones) is an *Error with RestrictedXML;
// anything else that is not well-formed XML, not UTF-8 or holds characters
// XML forbids is NotWellFormed; input over a limit is PolicyViolation. The
// caller ends the stream with that condition. Memory stays bounded by
// Limits whatever the peer sends, and a peer that sends an element one byte
// at a time costs linear work.
//
// A Reader is used by one goroutine, the connection's reader.
package xmlstream

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"sync"
	"unsafe"
)

// Limits bound what one top-level element may cost. The zero value of each
// field means its default.
type Limits struct {
	// MaxElementSize is the largest top-level element, in bytes; default
	// 1 MiB. Servers limit what clients send to 256 KiB (Prosody,
	// ejabberd); what they route to a client can be larger.
	MaxElementSize int
	// MaxDepth is the deepest nesting of elements; default 64.
	MaxDepth int
	// MaxAttrs is the most attributes on one element; default 64.
	MaxAttrs int
}

func (l Limits) withDefaults() Limits {
	if l.MaxElementSize <= 0 {
		l.MaxElementSize = 1 << 20
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 64
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = 64
	}
	// The parser keeps them in 32 bits.
	l.MaxDepth, l.MaxAttrs = min(l.MaxDepth, math.MaxInt32), min(l.MaxAttrs, math.MaxInt32)
	return l
}

// Header is the stream header: <stream:stream> with its attributes.
type Header struct {
	Attrs []Attr // the attributes, namespace declarations aside
	// DefaultNS is the content namespace the header declares:
	// jabber:client or jabber:server.
	DefaultNS string
	// Raw is the header's start tag as received, with every namespace
	// declaration it makes: the elements that follow may use the
	// prefixes it declares, the stream's own included (which need not
	// be "stream"), so whoever keeps those elements as received (a
	// transcript) keeps Raw with them.
	Raw string

	qname string // the header's name as written
}

// Attr returns the value of the header attribute with the given local
// name and no namespace (to, from, id, version), or "".
func (h *Header) Attr(local string) string {
	for _, a := range h.Attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// End returns the end tag that closes the stream this header opened, with
// the prefix Raw gives the stream namespace: "</stream:stream>" as a rule.
func (h *Header) End() string {
	if h.qname == "" {
		return "</stream:stream>"
	}
	return "</" + h.qname + ">"
}

// ErrStreamEnd is returned by Next when the peer closed the stream with
// </stream:stream>.
var ErrStreamEnd = errors.New("xmlstream: the peer closed the stream")

// ErrYield, returned by an IdleReader's ReadIdle with no bytes, ends an
// idle Reader's wait for its peer: Next returns it, the Reader keeps no
// error (it held nothing), and the next call of Next waits anew.
var ErrYield = errors.New("xmlstream: the idle wait yielded")

// IdleReader is implemented by a reader given to NewReader that tells
// the wait of an idle Reader (ReleaseWhenIdle) for its peer from its
// other reads: that wait reads with ReadIdle, which may give up with
// ErrYield (the reader's goroutine can then wait in a smaller frame).
type IdleReader interface {
	io.Reader
	ReadIdle(p []byte) (int, error)
}

const readChunk = 16 << 10

// floodRead is the buffer of a Reader whose reads keep filling its
// buffer (see fill): four times the reads' size, while the flood lasts.
const floodRead = 64 << 10

// Reader reads an XMPP stream from an io.Reader.
type Reader struct {
	r      io.Reader
	limits Limits
	buf    []byte
	start  int   // first unconsumed byte in buf
	end    int   // end of data in buf
	offset int64 // stream offset of buf[0]
	err    error // sticky read error

	base  []binding // namespaces declared by the stream header
	qname string    // the header's element name as written, for its end tag
	p     parser    // with the element it returns, p.e

	idle  bool           // ReleaseWhenIdle was called
	lend  bool           // Lend was called
	last  readFlags      // what the last read did
	reads uint32         // how many reads, wrapping (Reads)
	small [idleRead]byte // what an idle Reader reads into
}

// readFlags say what a Reader's last read did.
type readFlags uint8

const (
	// readFull: the read filled all the room it was given.
	readFull readFlags = 1 << iota
	// readFlood: and that room was at least half a readChunk.
	readFlood
)

// idleRead is how much an idle Reader reads without a buffer: enough to
// tell a lone keepalive from a flood, small enough to fit in the Reader's
// padding (it stays a 320-byte allocation).
const idleRead = 6

// NewReader returns a Reader for r with the given limits.
func NewReader(r io.Reader, limits Limits) *Reader {
	return &Reader{r: r, limits: limits.withDefaults(), buf: newBuf(readChunk)}
}

// ReleaseWhenIdle makes the Reader hold no read buffer while it waits for
// the peer with nothing left to parse: it gives its buffer back to a pool
// shared by all Readers, reads the next few bytes into a field of its own,
// and takes a buffer again when they come, unless they are white space
// that came alone (a keepalive), which it drops and waits on. An idle
// connection then costs a few bytes instead of the buffer (16 KiB, more
// after a large element or a flood). The price is one extra small read per burst of
// input; a stream that is never idle never pays it, and a flood of white
// space is read in full-size reads like any other input. Call it before
// the first Next.
func (r *Reader) ReleaseWhenIdle() { r.idle = true }

// Lend makes Buffered and Next, for an element they parse in place
// (whole in what was read), return it without the copy of its own that
// its strings otherwise point into: they point into the Reader's
// buffer (Element.Lent), valid until the next call of Next or Buffered.
// Whoever keeps a string from it copies it (Element.Borrows), or calls
// Element.Keep first; an element that waited for more input is copied
// as always. It saves a copy and an allocation per element to whoever
// keeps a few of its strings. Call it between elements.
func (r *Reader) Lend(on bool) { r.lend = on }

// bufPool holds read buffers of readChunk bytes given back by idle
// Readers; larger ones are left to the collector.
var bufPool = sync.Pool{New: func() any { b := newBuf(readChunk); return &b }}

// textRoom is the room a read buffer has past its length (between len
// and cap, where reads never go) for the texts of an element parsed in
// place whose references it replaces (parser.unescape): copied with
// the element, or lent with it, rather than allocated one by one.
const textRoom = 2 << 10

// newBuf returns a read buffer of n bytes with textRoom past them.
func newBuf(n int) []byte { return make([]byte, n+textRoom)[:n] }

// slabs are a Reader's reusable slices, pooled while it is idle.
type slabs struct {
	tokens []Token
	attrs  []Attr
	open   []openTag
	scope  []binding
}

var slabPool = sync.Pool{New: func() any { return new(slabs) }}

// waitIdle waits for the peer without holding a buffer (see
// ReleaseWhenIdle). The caller, skipSpace, has dropped everything
// buffered. A read that brings only white space and less than it asked
// for is a keepalive: it is dropped and the wait goes on, with no buffer.
// Anything else, or a read that filled r.small (a flood of white space
// may follow), takes a buffer, and the reads that follow are full-size.
func (r *Reader) waitIdle() error {
	if r.err != nil {
		return r.err
	}
	// The fast path parses a string view of the buffer; forget every
	// string that may still point into it (the last element is no longer
	// valid once Next is called again), or the buffer would stay alive,
	// and be read after another Reader took it from the pool.
	// The token and scope slices go to a pool too, cleared.
	// (A wait that yielded has done this already.)
	if r.buf != nil {
		sl := &slabs{r.p.e.Tokens, r.p.e.Attrs, r.p.open, r.p.scope}
		clear(sl.tokens[:cap(sl.tokens)])
		clear(sl.attrs[:cap(sl.attrs)])
		clear(sl.open[:cap(sl.open)])
		clear(sl.scope[:cap(sl.scope)])
		slabPool.Put(sl)
		r.p = parser{}
		if b := r.buf; len(b) == readChunk {
			bufPool.Put(&b)
		}
		r.buf = nil
	}
	read := r.r.Read
	if ir, ok := r.r.(IdleReader); ok {
		read = ir.ReadIdle
	}
	var n int
	for {
		var err error
		r.reads++
		n, err = read(r.small[:])
		for tries := 0; n == 0 && err == nil && tries < 100; tries++ {
			n, err = read(r.small[:])
		}
		if n == 0 {
			if err == ErrYield {
				return err
			}
			if err == nil {
				err = io.ErrNoProgress
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
			return err
		}
		if n == len(r.small) || !allSpace(r.small[:n]) {
			break
		}
		r.offset += int64(n)
	}
	r.buf = *bufPool.Get().(*[]byte)
	sl := slabPool.Get().(*slabs)
	r.p.e.Tokens, r.p.e.Attrs = sl.tokens[:0], sl.attrs[:0]
	r.p.open, r.p.scope = sl.open[:0], sl.scope[:0]
	r.end = copy(r.buf, r.small[:n])
	r.last = 0
	if n == len(r.small) {
		r.last = readFull
	}
	return nil
}

func allSpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// fill reads more input, growing or compacting the buffer as needed but
// never beyond the element size limit plus one read.
func (r *Reader) fill() error {
	if r.err != nil {
		return r.err
	}
	if r.end == len(r.buf) {
		if r.last&readFlood != 0 && len(r.buf) < floodRead && r.limits.MaxElementSize+readChunk >= floodRead {
			// The reads fill the buffer: the peer sends faster than
			// one read takes. Read in larger pieces, fewer reads (and
			// compactions) for the same bytes.
			nb := newBuf(floodRead)
			r.end = copy(nb, r.buf[r.start:r.end])
			r.offset += int64(r.start)
			r.start = 0
			r.buf = nb
		}
		if r.start > 0 {
			copy(r.buf, r.buf[r.start:r.end])
			r.offset += int64(r.start)
			r.end -= r.start
			r.start = 0
		}
		if r.end == len(r.buf) {
			if len(r.buf) >= r.limits.MaxElementSize+readChunk {
				return &Error{Condition: PolicyViolation, Offset: r.offset + int64(r.end), Msg: "element larger than the limit"}
			}
			n := min(2*len(r.buf), r.limits.MaxElementSize+readChunk)
			nb := newBuf(n)
			copy(nb, r.buf[:r.end])
			r.buf = nb
		}
	}
	room := len(r.buf) - r.end
	r.reads++
	n, err := r.r.Read(r.buf[r.end:])
	r.end += n
	r.last = 0
	if n == room {
		r.last = readFull
		if n >= readChunk/2 {
			r.last |= readFlood
		}
	}
	if err != nil && n == 0 {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		r.err = err
		return err
	}
	return nil
}

// skipSpace consumes white space between top-level elements (whitespace
// keepalives) and reports the first other byte's position, reading as
// needed. Only here can a Reader have nothing left to parse, so only here
// does an idle one wait without its buffer: when the last read came short
// of the room it had, the peer has sent everything it had to send.
// Otherwise more is likely on its way, white space or not, and it is read
// into the buffer in full like any other input.
func (r *Reader) skipSpace() error {
	for {
		for r.start < r.end && isSpace(r.buf[r.start]) {
			r.start++
		}
		if r.start < r.end {
			return nil
		}
		// Nothing but white space buffered: drop it, so that keepalives
		// do not grow the buffer.
		r.offset += int64(r.end)
		r.start, r.end = 0, 0
		var err error
		if r.idle && r.last&readFull == 0 {
			err = r.waitIdle()
		} else {
			err = r.fill()
		}
		if err != nil {
			return err
		}
	}
}

// Header reads the optional XML declaration and the stream header.
func (r *Reader) Header() (*Header, error) {
	if err := r.skipSpace(); err != nil {
		return nil, err
	}
	// The XML declaration, the one processing instruction allowed.
	if err := r.need(2); err != nil {
		return nil, err
	}
	if bytes.HasPrefix(r.buf[r.start:r.end], []byte("<?")) {
		if err := r.xmlDecl(); err != nil {
			return nil, err
		}
		if err := r.skipSpace(); err != nil {
			return nil, err
		}
	}
	// The stream header is a start tag that stays open: scan to the end
	// of that first tag.
	s := scanner{headerOnly: true}
	res, err := r.scanElement(&s)
	if err != nil {
		return nil, err
	}
	if res == scanStreamEnd {
		return nil, r.errorf(BadFormat, "stream closed before it opened")
	}
	tag := string(r.buf[r.start : r.start+s.pos])
	if !strings.HasSuffix(tag, ">") || strings.HasSuffix(tag, "/>") {
		return nil, r.errorf(BadFormat, "the stream header must be an open start tag")
	}
	r.p = parser{s: tag, e: Element{Tokens: r.p.e.Tokens[:0], Attrs: r.p.e.Attrs[:0]}, maxDepth: 1, maxAttrs: int32(r.limits.MaxAttrs), header: true}
	if err := r.p.parse(); err != nil {
		err.Offset += r.offset + int64(r.start)
		return nil, err
	}
	r.start += s.pos
	first := r.p.e.Tokens[0]
	if first.Name != (Name{Space: NSStream, Local: "stream"}) {
		if first.Name.Local == "stream" {
			return nil, r.errorf(InvalidNamespace, "stream element in namespace "+first.Name.Space)
		}
		return nil, r.errorf(BadFormat, "expected <stream:stream>, got <"+first.Name.Local+">")
	}
	r.qname, _ = r.p.nameAt(1)
	h := &Header{Attrs: append([]Attr(nil), r.p.e.TokenAttrs(&first)...), Raw: tag, qname: r.qname}
	// Keep the header's declarations for every element that follows.
	r.base = append(r.base[:0], r.p.scope...)
	for i := len(r.base) - 1; i >= 0; i-- {
		if r.base[i].prefix == "" {
			h.DefaultNS = r.base[i].uri
			break
		}
	}
	return h, nil
}

// xmlDecl reads <?xml version='1.0' ...?>. Only version 1.0 and the UTF-8
// encoding are accepted.
func (r *Reader) xmlDecl() error {
	for {
		if i := bytes.Index(r.buf[r.start:r.end], []byte("?>")); i >= 0 {
			decl := string(r.buf[r.start : r.start+i])
			r.start += i + 2
			if !strings.HasPrefix(decl, "<?xml") || len(decl) > 5 && !isSpace(decl[5]) {
				return r.errorf(RestrictedXML, "processing instruction")
			}
			if !strings.Contains(decl, "version='1.0'") && !strings.Contains(decl, `version="1.0"`) {
				return r.errorf(BadFormat, "XML version other than 1.0")
			}
			if e := strings.Index(decl, "encoding="); e >= 0 {
				enc := strings.Trim(decl[e+len("encoding="):], " \t\r\n")
				if len(enc) < 7 || !strings.EqualFold(enc[1:6], "UTF-8") {
					return r.errorf(BadFormat, "encoding other than UTF-8")
				}
			}
			return nil
		}
		if r.end-r.start > 256 {
			return r.errorf(NotWellFormed, "XML declaration too long")
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
}

// Reads returns how many times the Reader has read from its source, a
// count that wraps round: whoever calls Next can tell whether it read
// anything or took an element already buffered.
func (r *Reader) Reads() uint32 { return r.reads }

// Offset returns the stream offset of the next byte the reader will look
// at: after the last header or element it returned.
func (r *Reader) Offset() int64 { return r.offset + int64(r.start) }

// need reads until at least n bytes are buffered past r.start.
func (r *Reader) need(n int) error {
	for r.end-r.start < n {
		if err := r.fill(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) errorf(c Condition, msg string) *Error {
	return &Error{Condition: c, Offset: r.offset + int64(r.start), Msg: msg}
}

// Next reads the next top-level element. It returns ErrStreamEnd when the
// peer closes the stream, an *Error for input it refuses, or the read
// error. The Element and its slices are valid until the next call.
func (r *Reader) Next() (*Element, error) {
	if err := r.skipSpace(); err != nil {
		return nil, err
	}
	if r.buf[r.start] != '<' {
		return nil, r.errorf(NotWellFormed, "character data outside an element")
	}
	el, short := r.parseBuffered()
	// An element cut by the end of the buffered input: read once more (as
	// the careful path would have to) and try again, as long as each try
	// has at least twice the bytes of the one before, so that the tries
	// cost linear work however the input arrives.
	for el == nil && short {
		n := r.end - r.start
		if r.fill() != nil || r.end-r.start < 2*n {
			break // the careful path gives the error, or goes on
		}
		el, short = r.parseBuffered()
	}
	if el != nil {
		return el, nil
	}
	var s scanner
	res, err := r.scanElement(&s)
	if err != nil {
		return nil, err
	}
	if res == scanStreamEnd {
		return nil, r.streamEnd()
	}
	raw := string(r.buf[r.start : r.start+s.pos])
	r.resetParser(raw, false)
	if err := r.p.parse(); err != nil {
		err.Offset += r.offset + int64(r.start)
		return nil, err
	}
	r.start += s.pos
	return &r.p.e, nil
}

// Buffered returns the next element if it is whole in the input read
// already, as Next would, without reading; otherwise nil, and Next is
// the way on (it reads, or reports what is wrong). Whoever hands work
// on in batches calls it to know when Next may wait for the peer.
func (r *Reader) Buffered() *Element {
	if r.buf == nil {
		return nil
	}
	for r.start < r.end && isSpace(r.buf[r.start]) {
		r.start++
	}
	if r.start == r.end || r.buf[r.start] != '<' {
		return nil
	}
	el, _ := r.parseBuffered()
	return el
}

func (r *Reader) resetParser(s string, prefix bool) {
	e := &r.p.e
	e.Tokens, e.Attrs, e.Raw, e.lent = e.Tokens[:0], e.Attrs[:0], s, nil
	// Field by field, not a parser value: copying a whole one costs a
	// bulk write barrier while the collector marks. The header's
	// bindings at the start of scope stay as the last element left
	// them (an element only appends past them).
	p := &r.p
	p.s, p.i = s, 0
	if len(p.scope) < len(r.base) || !p.baseSet {
		p.scope = append(p.scope[:0], r.base...)
		p.baseSet = true
	}
	p.scope = p.scope[:len(r.base)]
	p.open = p.open[:0]
	p.maxDepth, p.maxAttrs = int32(r.limits.MaxDepth), int32(r.limits.MaxAttrs)
	p.header, p.prefix, p.short = false, prefix, false
	p.texts = 0
}

// parseBuffered is the fast path: when the whole element is already in the
// buffer (the common case), parse it in place in one pass, without the
// scanner, and copy it out once. It returns nil when the element is not
// complete in the buffer or anything is wrong; Next then takes the
// careful path (scanner, then parser), which gives the authoritative
// answer. So input costs at most one wasted attempt per element, and a
// dribbling peer still costs linear work. short reports that the parse
// failed only because the buffered input ended: more input may complete
// the element.
func (r *Reader) parseBuffered() (el *Element, short bool) {
	avail := r.end - r.start
	n := min(avail, r.limits.MaxElementSize)
	if n < 2 {
		return nil, true // nothing but '<' yet
	}
	if r.last&readFull != 0 && avail <= idleRead && bytes.IndexByte(r.buf[r.start:r.end], '>') < 0 {
		// What an idle wait brought, with more on its way and no '>':
		// not a whole element yet, and not worth a failed parse.
		return nil, true
	}
	if r.buf[r.start+1] == '/' {
		return nil, false // the stream's end tag
	}
	// A string view of the buffer: nothing writes to the buffer until
	// this call returns, and every string that points into the view is
	// moved to the copy before it does (or, when the Reader lends,
	// before the next call: Element.Keep).
	view := unsafe.String(&r.buf[r.start], n)
	r.resetParser(view, true)
	r.p.e.lent = r // the texts go to the buffer's room too
	if r.p.parse() != nil {
		// Cut by the size limit rather than the input: the careful path
		// says so.
		return nil, r.p.short && n == avail
	}
	size := r.p.i
	r.p.e.Raw = view[:size]
	r.start += size
	if !r.lend {
		r.p.e.Keep()
		r.p.s = r.p.e.Raw
	}
	return &r.p.e, false
}

// texts returns the room past the buffer's length that holds the texts
// of the element parsed in place (parser.unescape).
func (r *Reader) texts() string {
	if r.p.texts == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(r.buf)), len(r.buf))), r.p.texts)
}

// rebase moves the element's strings that point into view, or into
// texts, to the same bytes in all, a copy of view followed by a copy of
// texts. Strings made by unescaping elsewhere, and namespaces from the
// stream header, stay.
func rebase(e *Element, view, texts, all string) {
	base := uintptr(unsafe.Pointer(unsafe.StringData(view)))
	tbase := uintptr(unsafe.Pointer(unsafe.StringData(texts)))
	move := func(s *string) {
		if len(*s) == 0 {
			return
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(*s)))
		if d := p - base; d < uintptr(len(view)) {
			*s = all[d : d+uintptr(len(*s))]
		} else if d := p - tbase; d < uintptr(len(texts)) {
			d += uintptr(len(view))
			*s = all[d : d+uintptr(len(*s))]
		}
	}
	for i := range e.Tokens {
		t := &e.Tokens[i]
		move(&t.Name.Space)
		move(&t.Name.Local)
		move(&t.Text)
	}
	for i := range e.Attrs {
		a := &e.Attrs[i]
		move(&a.Name.Space)
		move(&a.Name.Local)
		move(&a.Value)
	}
}

// scanElement runs s over the buffered input, reading more until it finds
// the end of the element (or the stream's end tag), within the size limit.
func (r *Reader) scanElement(s *scanner) (scanResult, error) {
	for {
		res, serr := s.scan(r.buf[r.start:r.end])
		if serr != nil {
			serr.Offset += r.offset + int64(r.start)
			return res, serr
		}
		if s.pos > r.limits.MaxElementSize {
			return res, r.errorf(PolicyViolation, "element larger than the limit")
		}
		if res != scanMore {
			return res, nil
		}
		if err := r.fill(); err != nil {
			return res, err
		}
	}
}

// streamEnd checks that what follows "</" is the stream's end tag.
func (r *Reader) streamEnd() error {
	for {
		b := r.buf[r.start:r.end]
		if i := bytes.IndexByte(b, '>'); i >= 0 {
			name := strings.TrimRight(string(b[2:i]), " \t\r\n")
			if name != r.qname {
				return r.errorf(NotWellFormed, "end tag </"+name+"> at the top level")
			}
			r.start += i + 1
			return ErrStreamEnd
		}
		if len(b) > 64 {
			return r.errorf(NotWellFormed, "end tag at the top level")
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
}
