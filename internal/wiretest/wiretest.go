// Package wiretest is for tests and fuzz targets of the parsers that read
// what a server sends: it takes bytes the way the connection's reader does
// (an xmlstream.Reader after a client stream header, then wire.Decode for
// stanzas), writes stanzas the way the connection writes them, reads the
// same bytes again with encoding/xml as an independent reference, and
// collects what real servers sent in the module's recorded transcripts to
// seed the fuzz corpora with.
//
// It sits below the connection in the import tiers, so the connection's
// own in-package tests can use it as well as the managers' tests.
package wiretest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/stanza"
)

// Header opens the stream that input is read on, as a server opens a
// client stream: jabber:client is the default namespace and the stream
// prefix is declared.
const Header = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`

// limits bound each element read: more than any seed needs, small enough
// that the fuzzer spends its time on structure rather than size.
var limits = xmlstream.Limits{MaxElementSize: 16 << 10}

// Elements reads data after Header and calls f with each top-level
// element in turn, until f returns false, the input ends or the reader
// refuses it. The element is valid only during the call: the reader
// reuses its slices.
func Elements(data []byte, f func(el *xmlstream.Element) bool) {
	r := xmlstream.NewReader(io.MultiReader(strings.NewReader(Header), bytes.NewReader(data)), limits)
	if _, err := r.Header(); err != nil {
		panic("wiretest: the stream header does not read: " + err.Error())
	}
	for {
		el, err := r.Next()
		if err != nil || !f(el) {
			return
		}
	}
}

// Element returns the first top-level element of data, or why there is
// none.
func Element(data []byte) (*xmlstream.Element, error) {
	var first *xmlstream.Element
	Elements(data, func(el *xmlstream.Element) bool {
		first = el
		return false
	})
	if first == nil {
		return nil, errors.New("wiretest: no element")
	}
	return first, nil
}

// Stanzas calls f with each top-level element of data that is a stanza,
// with what wire.Decode makes of it and Decode's error (a malformed
// stanza comes partly decoded, as the connection receives it), until f
// returns false or the input ends. The element is valid only during the
// call.
func Stanzas(data []byte, f func(el *xmlstream.Element, st stanza.Stanza, err error) bool) {
	Elements(data, func(el *xmlstream.Element) bool {
		if !wire.IsStanza(el) {
			return true
		}
		st, err := wire.Decode(el)
		return f(el, st, err)
	})
}

// Decode returns the first stanza of raw as the connection receives it
// (what Stanzas gives), or fails the test when raw holds no stanza or
// the first does not decode cleanly.
func Decode(tb testing.TB, raw string) stanza.Stanza {
	tb.Helper()
	var (
		got stanza.Stanza
		err error
	)
	Stanzas([]byte(raw), func(_ *xmlstream.Element, st stanza.Stanza, e error) bool {
		got, err = st, e
		return false
	})
	if err != nil {
		tb.Fatalf("wiretest: decoding %s: %v", raw, err)
	}
	if got == nil {
		tb.Fatalf("wiretest: no stanza in %s", raw)
	}
	return got
}

// Message is Decode for a message: it fails the test when the first
// stanza of raw is not one.
func Message(tb testing.TB, raw string) *stanza.Message {
	tb.Helper()
	m, ok := Decode(tb, raw).(*stanza.Message)
	if !ok {
		tb.Fatalf("wiretest: not a message: %s", raw)
	}
	return m
}

// Seed adds each input to f's seed corpus.
func Seed(f *testing.F, inputs ...string) {
	for _, s := range inputs {
		f.Add([]byte(s))
	}
}

// Normalize returns a copy of n in which every empty Attrs or Nodes slice
// is nil, as decoding gives an element back, or nil for nil: what encoding
// and decoding again legitimately changes.
func Normalize(n *stanza.Node) *stanza.Node {
	if n == nil {
		return nil
	}
	c := *n
	if len(c.Attrs) == 0 {
		c.Attrs = nil
	}
	if len(c.Nodes) == 0 {
		c.Nodes = nil
	}
	c.Nodes = slices.Clone(c.Nodes)
	for i := range c.Nodes {
		c.Nodes[i] = *Normalize(&c.Nodes[i])
	}
	return &c
}

// Encode writes st as the connection writes it on a client stream.
func Encode(st stanza.Stanza) ([]byte, error) {
	enc := xmlstream.Encoder{Inherited: stanza.NSClient, StreamPrefix: true}
	if err := wire.Encode(&enc, stanza.NSClient, st); err != nil {
		return nil, err
	}
	return enc.Bytes()
}

// RoundTrip encodes st and decodes the bytes again, as the peer would
// read them.
func RoundTrip(st stanza.Stanza) (stanza.Stanza, error) {
	b, err := Encode(st)
	if err != nil {
		return nil, err
	}
	el, err := Element(b)
	if err != nil {
		return nil, err
	}
	return wire.Decode(el)
}

// Payload encodes a result IQ carrying payload and decodes it again,
// returning the payload as the peer reads it: the round trip of an IQ
// payload.
func Payload(payload stanza.Node) (*stanza.Node, error) {
	st, err := RoundTrip(&stanza.IQ{Common: stanza.Common{ID: "rt"}, Type: stanza.Result, Payload: &payload})
	if err != nil {
		return nil, err
	}
	iq, ok := st.(*stanza.IQ)
	if !ok || iq.Payload == nil {
		return nil, errors.New("wiretest: the payload did not come back")
	}
	return iq.Payload, nil
}

// XMLNode is an element as encoding/xml reads it: its name, its
// attributes (namespace declarations left out), its character data (the
// pieces directly inside it, joined) and its child elements. It is the
// independent reading a hand-written parser is compared with.
type XMLNode struct {
	// XMLName is the element's name.
	XMLName xml.Name
	// Attrs are the element's attributes in document order, without the
	// namespace declarations.
	Attrs []xml.Attr `xml:",any,attr"`
	// Text is the character data directly inside the element, joined.
	Text string `xml:",chardata"`
	// Nodes are the child elements, in order.
	Nodes []XMLNode `xml:",any"`
}

// Attr returns the value of the attribute with the given local name and
// no namespace, or "".
func (n *XMLNode) Attr(local string) string {
	for _, a := range n.Attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// SameNode reports whether n, as package stanza holds an element, is the
// element x that encoding/xml read: the same name, the same attributes in
// the same order, the same character data and the same children.
func SameNode(x *XMLNode, n *stanza.Node) bool {
	if n.IsText() || x.XMLName != n.Name || len(x.Attrs) != len(n.Attrs) {
		return false
	}
	for i := range x.Attrs {
		if x.Attrs[i] != n.Attrs[i] {
			return false
		}
	}
	var text strings.Builder
	k := 0
	for i := range n.Nodes {
		c := &n.Nodes[i]
		if c.IsText() {
			text.WriteString(c.Text)
			continue
		}
		if k >= len(x.Nodes) || !SameNode(&x.Nodes[k], c) {
			return false
		}
		k++
	}
	return k == len(x.Nodes) && text.String() == x.Text
}

// Reference reads raw, one element as received (xmlstream.Element.Raw),
// with encoding/xml, the namespaces of Header in scope.
//
// encoding/xml does not normalize attribute values (XML 1.0 section
// 3.3.3: a literal tab, line feed or carriage return becomes a space;
// a character reference stays), which the stream reader does: the white
// space is replaced here before encoding/xml reads the element.
func Reference(raw string) (*XMLNode, error) {
	d := xml.NewDecoder(strings.NewReader(`<w xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>` + normalizeAttrs(raw) + `</w>`))
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var n XMLNode
		if err := d.DecodeElement(&n, &start); err != nil {
			return nil, err
		}
		dropDeclarations(&n)
		return &n, nil
	}
}

// normalizeAttrs replaces the literal white space in the attribute values
// of raw with spaces, a CR LF pair with one.
func normalizeAttrs(raw string) string {
	var b strings.Builder
	var quote byte // inside an attribute value quoted with it
	inTag := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0 && (c == '\t' || c == '\n' || c == '\r'):
			if c == '\r' && i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			c = ' '
		case quote != 0:
		case inTag && (c == '\'' || c == '"'):
			quote = c
		case inTag && c == '>':
			inTag = false
		case !inTag && strings.HasPrefix(raw[i:], "<![CDATA["):
			end := strings.Index(raw[i:], "]]>")
			if end < 0 {
				end = len(raw) - i - 3
			}
			b.WriteString(raw[i : i+end+3])
			i += end + 2
			continue
		case !inTag && c == '<':
			inTag = true
		}
		b.WriteByte(c)
	}
	return b.String()
}

func dropDeclarations(n *XMLNode) {
	kept := n.Attrs[:0]
	for _, a := range n.Attrs {
		if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
			kept = append(kept, a)
		}
	}
	n.Attrs = kept
	for i := range n.Nodes {
		dropDeclarations(&n.Nodes[i])
	}
}

// ServerElements returns the elements that servers sent in the module's
// recorded transcripts (every testdata/*.xmpp, "S:" steps) for which keep
// reports true, as text to be read after Header: seeds for fuzz targets,
// as real servers write them.
func ServerElements(tb testing.TB, keep func(el *xmlstream.Element) bool) []string {
	tb.Helper()
	root, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".xmpp" || filepath.Base(filepath.Dir(path)) != "testdata" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, step := range serverSteps(string(data)) {
			Elements([]byte(step), func(el *xmlstream.Element) bool {
				if keep(el) {
					out = append(out, el.Raw)
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatal("wiretest: no element of the transcripts was kept")
	}
	return out
}

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("wiretest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// serverSteps returns what the server sent in a transcript, one string a
// step, without the stream headers (the elements are read after Header).
// A step is an "S:" line and the unmarked lines that follow it.
func serverSteps(transcript string) []string {
	var steps []string
	server := false
	for line := range strings.Lines(transcript) {
		switch {
		case strings.HasPrefix(line, "S:"):
			server = true
			steps = append(steps, line[2:])
		case strings.HasPrefix(line, "C:"), strings.HasPrefix(strings.TrimSpace(line), "#"):
			server = false
		case server:
			steps[len(steps)-1] += line
		}
	}
	for i, s := range steps {
		if h := strings.Index(s, "<stream:stream"); h >= 0 {
			if end := strings.IndexByte(s[h:], '>'); end >= 0 {
				s = s[h+end+1:]
			}
		}
		steps[i] = s
	}
	return steps
}
