// Package wire converts between the XML elements of internal/xmlstream and
// the values of package stanza: decoding what the reader returns into
// Message, Presence, IQ and StreamError, and encoding those through an
// xmlstream.Encoder. It keeps package stanza free of the codec, so that
// users see plain values.
//
// Decoding allocates little: names and most strings are substrings of the
// element's one string; an address already in canonical form is parsed
// without copying.
package wire

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// IsStanza reports whether el is a message, presence or iq in a stanza
// namespace.
func IsStanza(el *xmlstream.Element) bool {
	n := el.Tokens[0].Name
	return (n.Space == stanza.NSClient || n.Space == stanza.NSServer) &&
		(n.Local == "message" || n.Local == "presence" || n.Local == "iq")
}

// Decode turns a message, presence or iq element into its stanza value.
//
// When the stanza is malformed (a bad address, type, show or priority, an
// IQ get or set without exactly one payload), Decode returns what it could
// read, enough to address a reply, together with a *stanza.Error
// (bad-request or jid-malformed) that the connection can send back.
func Decode(el *xmlstream.Element) (stanza.Stanza, error) {
	return DecodeFor(el, jid.JID{})
}

// DecodeFor is Decode for a stream bound to own: an address written as
// own's canonical form (the to of nearly every stanza a client
// receives) is own, not parsed again.
func DecodeFor(el *xmlstream.Element, own jid.JID) (stanza.Stanza, error) {
	if !IsStanza(el) {
		n := el.Tokens[0].Name
		return nil, fmt.Errorf("wire: <%s xmlns='%s'/> is not a stanza", n.Local, n.Space)
	}
	d := decoder{el: el, ns: el.Tokens[0].Name.Space, own: own}
	switch el.Tokens[0].Name.Local {
	case "message":
		return d.message()
	case "presence":
		el.Keep()
		return d.presence()
	default:
		el.Keep()
		return d.iq()
	}
}

type decoder struct {
	el  *xmlstream.Element
	ns  string  // the stanza's content namespace
	own jid.JID // the stream's own address, or the zero JID
	err *stanza.Error
	// Slabs that the stanza's Nodes and their attributes are cut from, so
	// that a stanza costs two allocations for them however many there
	// are. Each cut is capped, so appending to one Node's slice never
	// writes over another's.
	nodes    []stanza.Node
	attrs    []xml.Attr
	attrBase int32 // the index in el.Attrs of attrs[0]
	// arena holds the copies of the strings that a message decoded from
	// a lent element keeps (see keep), made with room for all of them.
	arena []byte
}

// keep returns s, one of the element's strings that the stanza keeps,
// as a string of its own: a copy in the arena when s points into the
// reader's buffer (a lent element), else s.
func (d *decoder) keep(s string) string {
	if !d.el.Borrows(s) {
		return s
	}
	n := len(d.arena)
	if n+len(s) > cap(d.arena) {
		return strings.Clone(s) // not with lentSize's room
	}
	d.arena = append(d.arena, s...)
	return unsafe.String(&d.arena[n], len(s))
}

// lentSize returns the bytes in the reader's buffer that the message of
// a lent element may keep: the texts and attribute values that point
// into it, but for the type (a constant once checked) and a to that is
// the stream's own address. It returns -1 for a message with an
// extension or an error (see messageShape): their Nodes keep names and
// attributes too, and the element is copied whole (Keep) before
// decoding them.
func (d *decoder) lentSize(exts int, hasError bool) int {
	if exts > 0 || hasError {
		return -1
	}
	n := 0
	root := &d.el.Tokens[0]
	for k := range d.el.Attrs {
		a := &d.el.Attrs[k]
		if int32(k) < root.AttrEnd && a.Name.Space == "" &&
			(a.Name.Local == "type" || a.Name.Local == "to" && a.Value == d.own.String()) {
			continue
		}
		if d.el.Borrows(a.Value) {
			n += len(a.Value)
		}
	}
	for k := range d.el.Tokens {
		if t := &d.el.Tokens[k]; t.Kind == xmlstream.Text && d.el.Borrows(t.Text) {
			n += len(t.Text)
		}
	}
	return n
}

// cutNodes returns n Nodes from the slab for the content of the element
// starting at token from. The slab is made on first use with room for
// every start tag and text after from: nodes are cut in document order, so
// no later cut needs more.
func (d *decoder) cutNodes(n, from int) []stanza.Node {
	if n == 0 {
		return nil
	}
	if d.nodes == nil {
		total := 0
		for k := from + 1; k < len(d.el.Tokens); k++ {
			if d.el.Tokens[k].Kind != xmlstream.EndElement {
				total++
			}
		}
		d.nodes = make([]stanza.Node, 0, max(total, n))
	}
	start := len(d.nodes)
	d.nodes = d.nodes[:start+n]
	return d.nodes[start : start+n : start+n]
}

// nodeAttrs returns the attributes of the start tag t as the stanza's own
// copy: the reader reuses its slices, so the attributes are copied once per
// stanza (from the first node that has any) and each node gets a capped
// piece of the copy.
func (d *decoder) nodeAttrs(t *xmlstream.Token) []xml.Attr {
	if t.AttrStart == t.AttrEnd {
		return nil
	}
	if d.attrs == nil {
		// Nodes are built in document order: later ones need only the
		// attributes from here on.
		d.attrs, d.attrBase = slices.Clone(d.el.Attrs[t.AttrStart:]), t.AttrStart
	}
	start, end := t.AttrStart-d.attrBase, t.AttrEnd-d.attrBase
	return d.attrs[start:end:end]
}

// contentCount returns the number of child elements and text pieces
// directly inside the element at i.
func (d *decoder) contentCount(i int) int {
	n, depth := 0, 0
	for j := i + 1; j < len(d.el.Tokens); j++ {
		switch d.el.Tokens[j].Kind {
		case xmlstream.StartElement:
			if depth == 0 {
				n++
			}
			depth++
		case xmlstream.EndElement:
			if depth == 0 {
				return n
			}
			depth--
		case xmlstream.Text:
			if depth == 0 {
				n++
			}
		}
	}
	return n
}

// bad records the first problem found.
func (d *decoder) bad(c stanza.Condition, text string) {
	if d.err == nil {
		d.err = &stanza.Error{Type: stanza.Modify, Condition: c, Text: text}
	}
}

func (d *decoder) result(s stanza.Stanza) (stanza.Stanza, error) {
	if d.err != nil {
		return s, d.err
	}
	return s, nil
}

// common reads the attributes every stanza has and returns the type.
func (d *decoder) common(c *stanza.Common) string {
	var typ string
	for _, a := range d.el.TokenAttrs(&d.el.Tokens[0]) {
		switch {
		case a.Name.Space == xmlstream.NSXML && a.Name.Local == "lang":
			c.Lang = d.keep(a.Value)
		case a.Name.Space != "":
		case a.Name.Local == "to":
			c.To = d.address(a.Value)
		case a.Name.Local == "from":
			c.From = d.address(a.Value)
		case a.Name.Local == "id":
			c.ID = d.keep(a.Value)
		case a.Name.Local == "type":
			typ = a.Value
		}
	}
	return typ
}

func (d *decoder) address(s string) jid.JID {
	if s != "" && s == d.own.String() {
		return d.own
	}
	j, err := jid.Parse(d.keep(s))
	if err != nil {
		d.bad(stanza.JIDMalformed, err.Error())
	}
	return j
}

// children calls f for each child element of the stanza with its token
// index; f returns the index after the child.
func (d *decoder) children(f func(i int) int) {
	toks := d.el.Tokens
	for i := 1; i < len(toks)-1; {
		if toks[i].Kind != xmlstream.StartElement {
			i++
			continue
		}
		i = f(i)
	}
}

// skip returns the index after the element starting at i.
func (d *decoder) skip(i int) int {
	depth := 0
	for ; i < len(d.el.Tokens); i++ {
		switch d.el.Tokens[i].Kind {
		case xmlstream.StartElement:
			depth++
		case xmlstream.EndElement:
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return i
}

// text returns the character data directly inside the element at i, and
// its xml:lang.
func (d *decoder) text(i int) (value, lang string) {
	for _, a := range d.el.TokenAttrs(&d.el.Tokens[i]) {
		if a.Name.Space == xmlstream.NSXML && a.Name.Local == "lang" {
			lang = a.Value
		}
	}
	depth := 0
	for j := i + 1; j < len(d.el.Tokens); j++ {
		t := &d.el.Tokens[j]
		switch t.Kind {
		case xmlstream.StartElement:
			depth++
		case xmlstream.EndElement:
			if depth == 0 {
				return value, lang
			}
			depth--
		case xmlstream.Text:
			if depth == 0 {
				value += t.Text
			}
		}
	}
	return value, lang
}

func (d *decoder) attr(i int, local string) string {
	for _, a := range d.el.TokenAttrs(&d.el.Tokens[i]) {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// isCore reports whether the child at i is a stanza-namespace child with
// the given local name.
func (d *decoder) isCore(i int, local string) bool {
	n := d.el.Tokens[i].Name
	return n.Space == d.ns && n.Local == local
}

// messageBlock is a Message with room for one body and one extension,
// so that a message with one extension costs one allocation with it;
// plainMessage has room for the body alone (a size class smaller), for
// messages without an extension, and for those with several, whose
// extensions get a slice of their exact number.
type messageBlock struct {
	m    stanza.Message
	body [1]stanza.Text
	ext  [1]stanza.Node
}

type plainMessage struct {
	m    stanza.Message
	body [1]stanza.Text
}

// arenaMessage is a plainMessage with room for the strings it keeps
// from a lent element (the arena: see keep), for a short message, the
// usual chat message: one allocation for both, of the 384-byte class
// that the two would take together in two.
type arenaMessage struct {
	m     stanza.Message
	body  [1]stanza.Text
	arena [136]byte
}

// messageShape counts the children of a message that are extensions
// (not its body, subject, thread or error), and reports whether it has
// an error: one pass over the tokens, where the children are the start
// tags at depth one.
func (d *decoder) messageShape() (exts int, hasError bool) {
	depth := 0
	for k := 1; k < len(d.el.Tokens)-1; k++ {
		switch t := &d.el.Tokens[k]; t.Kind {
		case xmlstream.StartElement:
			if depth == 0 {
				switch {
				case t.Name.Space != d.ns:
					exts++
				case t.Name.Local == "error":
					hasError = true
				case t.Name.Local != "body" && t.Name.Local != "subject" && t.Name.Local != "thread":
					exts++
				}
			}
			depth++
		case xmlstream.EndElement:
			depth--
		}
	}
	return exts, hasError
}

func (d *decoder) message() (stanza.Stanza, error) {
	var m *stanza.Message
	var body []stanza.Text
	exts, hasError := d.messageShape()
	keep := 0
	if d.el.Lent() {
		if keep = d.lentSize(exts, hasError); keep < 0 {
			d.el.Keep()
		}
	}
	switch {
	case exts == 1:
		blk := new(messageBlock)
		m, body = &blk.m, blk.body[:0:1]
		m.Extensions = blk.ext[:0:1]
	case keep > 0 && keep <= len(arenaMessage{}.arena):
		blk := new(arenaMessage)
		m, body = &blk.m, blk.body[:0:1]
		d.arena = blk.arena[:0:keep]
	default:
		blk := new(plainMessage)
		m, body = &blk.m, blk.body[:0:1]
		if exts > 1 {
			m.Extensions = make([]stanza.Node, 0, exts)
		}
		if keep > 0 {
			d.arena = make([]byte, 0, keep)
		}
	}
	typ := d.common(&m.Common)
	m.Type = stanza.MessageType(d.oneOf("message type", typ, "", "normal", "chat", "groupchat", "headline", "error"))
	d.children(func(i int) int {
		switch {
		case d.isCore(i, "body"):
			v, lang := d.text(i)
			if m.Bodies == nil {
				m.Bodies = body
			}
			m.Bodies = append(m.Bodies, stanza.Text{Lang: d.keep(lang), Value: d.keep(v)})
		case d.isCore(i, "subject"):
			v, lang := d.text(i)
			m.Subjects = append(m.Subjects, stanza.Text{Lang: d.keep(lang), Value: d.keep(v)})
		case d.isCore(i, "thread"):
			// A thread is its id (RFC 6121 section 5.2.5): one without
			// is no thread, and its parent means nothing.
			id, _ := d.text(i)
			if m.Thread.ID = d.keep(id); id != "" {
				m.Thread.Parent = d.keep(d.attr(i, "parent"))
			}
		case d.isCore(i, "error"):
			m.Error = d.stanzaError(i)
		default:
			return d.extension(i, &m.Extensions)
		}
		return d.skip(i)
	})
	return d.result(m)
}

// presenceBlock is a Presence with room for one status and one extension
// (often caps), as messageBlock.
type presenceBlock struct {
	p      stanza.Presence
	status [1]stanza.Text
	ext    [1]stanza.Node
}

func (d *decoder) presence() (stanza.Stanza, error) {
	blk := new(presenceBlock)
	p := &blk.p
	typ := d.common(&p.Common)
	p.Type = stanza.PresenceType(d.oneOf("presence type", typ, "", "unavailable", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error"))
	d.children(func(i int) int {
		switch {
		case d.isCore(i, "show"):
			v, _ := d.text(i)
			p.Show = stanza.Show(d.oneOf("show", v, "chat", "away", "xa", "dnd"))
		case d.isCore(i, "status"):
			v, lang := d.text(i)
			if p.Statuses == nil {
				p.Statuses = blk.status[:0:1]
			}
			p.Statuses = append(p.Statuses, stanza.Text{Lang: lang, Value: v})
		case d.isCore(i, "priority"):
			v, _ := d.text(i)
			n, err := strconv.ParseInt(v, 10, 8)
			if err != nil {
				d.bad(stanza.BadRequest, "priority "+strconv.Quote(v))
			}
			p.Priority = int8(n)
		case d.isCore(i, "error"):
			p.Error = d.stanzaError(i)
		default:
			if p.Extensions == nil {
				p.Extensions = blk.ext[:0:1]
			}
			return d.extension(i, &p.Extensions)
		}
		return d.skip(i)
	})
	return d.result(p)
}

// iqBlock is an IQ with room for its payload.
type iqBlock struct {
	iq      stanza.IQ
	payload stanza.Node
}

func (d *decoder) iq() (stanza.Stanza, error) {
	blk := new(iqBlock)
	iq := &blk.iq
	typ := d.common(&iq.Common)
	iq.Type = stanza.IQType(typ)
	payloads := 0
	d.children(func(i int) int {
		if d.isCore(i, "error") && iq.Type == stanza.IQError {
			iq.Error = d.stanzaError(i)
			return d.skip(i)
		}
		payloads++
		if payloads == 1 {
			iq.Payload = &blk.payload
			return d.fill(iq.Payload, i)
		}
		return d.skip(i)
	})
	switch iq.Type {
	case stanza.Get, stanza.Set:
		if payloads != 1 {
			d.bad(stanza.BadRequest, fmt.Sprintf("an IQ %s carries exactly one payload, not %d", typ, payloads))
		}
	case stanza.Result:
		if payloads > 1 {
			d.bad(stanza.BadRequest, "an IQ result carries at most one payload")
		}
	case stanza.IQError:
		if iq.Error == nil {
			d.bad(stanza.BadRequest, "an IQ error without <error/>")
		}
	default:
		d.bad(stanza.BadRequest, "IQ type "+strconv.Quote(typ))
	}
	if iq.ID == "" {
		d.bad(stanza.BadRequest, "an IQ without an id")
	}
	return d.result(iq)
}

// stanzaError reads <error/> (RFC 6120 section 8.3.2): the first child in
// the stanzas namespace other than <text/> is the condition; the
// application condition is the first child in another namespace.
func (d *decoder) stanzaError(i int) *stanza.Error {
	e := &stanza.Error{Type: stanza.ErrorType(d.attr(i, "type"))}
	if by := d.attr(i, "by"); by != "" {
		e.By, _ = jid.Parse(by)
	}
	end := d.skip(i)
	for j := i + 1; j < end; {
		t := &d.el.Tokens[j]
		if t.Kind != xmlstream.StartElement {
			j++
			continue
		}
		switch {
		case t.Name.Space == stanza.NSStanzas && t.Name.Local == "text":
			e.Text, e.Lang = d.errorText(j)
		case t.Name.Space == stanza.NSStanzas:
			if e.Condition == "" {
				e.Condition = stanza.Condition(t.Name.Local)
				if e.Condition == stanza.Gone || e.Condition == stanza.Redirect {
					e.Target, _ = d.text(j)
				}
			}
		case e.App == nil:
			n, _ := d.node(j)
			e.App = &n
		}
		j = d.skip(j)
	}
	if e.Condition == "" {
		e.Condition = stanza.UndefinedCondition
	}
	return e
}

// errorText reads the <text/> of a stanza or stream error at i: its text,
// and its language only when there is text (the language of no text says
// nothing, and an empty text is not written back).
func (d *decoder) errorText(i int) (text, lang string) {
	text, lang = d.text(i)
	if text == "" {
		lang = ""
	}
	return text, lang
}

// oneOf returns v if it is one of allowed; otherwise it records a
// bad-request and returns "".
//
// The value returned is allowed's (v's own bytes may be the reader's:
// see keep).
func (d *decoder) oneOf(what, v string, allowed ...string) string {
	if i := slices.Index(allowed, v); i >= 0 {
		return allowed[i]
	}
	d.bad(stanza.BadRequest, what+" "+strconv.Quote(v))
	return ""
}

// extension appends the element at i to exts as a Node and returns the
// index after it.
func (d *decoder) extension(i int, exts *[]stanza.Node) int {
	n, next := d.node(i)
	*exts = append(*exts, n)
	return next
}

// node builds a Node from the element starting at token i and returns the
// index after it.
func (d *decoder) node(i int) (stanza.Node, int) {
	var n stanza.Node
	next := d.fill(&n, i)
	return n, next
}

// fill builds into n the element starting at token i and returns the index
// after it. Its content is cut from the slab as one block, then filled.
func (d *decoder) fill(n *stanza.Node, i int) int {
	t := &d.el.Tokens[i]
	n.Name = t.Name
	n.Attrs = d.nodeAttrs(t)
	n.Nodes = d.cutNodes(d.contentCount(i), i)
	i++
	for k := range n.Nodes {
		if c := &d.el.Tokens[i]; c.Kind == xmlstream.Text {
			n.Nodes[k] = stanza.Node{Text: c.Text}
			i++
		} else {
			i = d.fill(&n.Nodes[k], i)
		}
	}
	return i + 1 // the end tag
}

// DecodeStreamError reads <stream:error/> (RFC 6120 section 4.9.2): the
// first child in the streams namespace other than <text/> is the
// condition (undefined-condition when there is none); the application
// condition is the first child in another namespace.
func DecodeStreamError(el *xmlstream.Element) *stanza.StreamError {
	el.Keep()
	d := decoder{el: el}
	e := new(stanza.StreamError)
	d.children(func(i int) int {
		t := &el.Tokens[i]
		switch {
		case t.Name.Space == stanza.NSStreams && t.Name.Local == "text":
			e.Text, e.Lang = d.errorText(i)
		case t.Name.Space == stanza.NSStreams:
			if e.Condition == "" {
				e.Condition = stanza.StreamCondition(t.Name.Local)
				if e.Condition == stanza.SeeOtherHost {
					e.OtherHost, _ = d.text(i)
				}
			}
		case e.App == nil:
			n, _ := d.node(i)
			e.App = &n
		}
		return d.skip(i)
	})
	if e.Condition == "" {
		e.Condition = stanza.StreamUndefined
	}
	return e
}
