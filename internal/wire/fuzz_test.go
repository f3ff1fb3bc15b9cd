package wire

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
)

// FuzzDecode decodes arbitrary elements after a stream header. Whatever
// decodes as a stanza without error must encode, and the encoding must
// decode to the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`<message to='a@b' type='chat' id='1'><body>hi</body><thread parent='p'>t</thread><x xmlns='urn:x' a='1'><y>z</y></x></message>`,
		`<presence><show>away</show><status xml:lang='en'>out</status><priority>-5</priority></presence>`,
		`<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>`,
		`<iq type='error' id='2'><error type='cancel' by='b'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:x@y</gone><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>t</text><app xmlns='urn:a'/></error></iq>`,
		`<iq type='set' id='1'/>`,
		`<message from='@bad'><body>x</body></message>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := xmlstream.NewReader(strings.NewReader(header+s), xmlstream.Limits{MaxElementSize: 8192})
		if _, err := r.Header(); err != nil {
			t.Fatal(err)
		}
		el, err := r.Next()
		if err != nil || !IsStanza(el) {
			return
		}
		st, err := Decode(el)
		sameAsNode(t, s, el, st, err)
		// An own address changes nothing but the work: the addresses
		// that equal it, as written, are it.
		for _, own := range []jid.JID{jid.MustParse("a@b"), jid.MustParse("a@b/r"), jid.MustParse("b")} {
			st2, err2 := DecodeFor(el, own)
			if !reflect.DeepEqual(st, st2) || !reflect.DeepEqual(err, err2) {
				t.Fatalf("%q: DecodeFor(%s) gives %#v, %v; Decode %#v, %v", s, own, st2, err2, st, err)
			}
			// The same from an element the reader lends: the same
			// values, none of them in the reader's buffer.
			lr := xmlstream.NewReader(strings.NewReader(header+s), xmlstream.Limits{MaxElementSize: 8192})
			lr.Lend(true)
			if _, err := lr.Header(); err != nil {
				t.Fatal(err)
			}
			lel, lerr := lr.Next()
			if lerr != nil {
				t.Fatalf("%q: lent: %v", s, lerr)
			}
			if !lel.Lent() {
				t.Fatalf("%q: not lent", s)
			}
			st3, err3 := DecodeFor(lel, own)
			if !reflect.DeepEqual(st, st3) || !reflect.DeepEqual(err, err3) {
				t.Fatalf("%q: DecodeFor(%s) of a lent element gives %#v, %v; Decode %#v, %v", s, own, st3, err3, st, err)
			}
			if b := borrowed(lel, reflect.ValueOf(st3)); b != "" {
				t.Fatalf("%q: DecodeFor(%s) of a lent element keeps %q from the reader's buffer", s, own, b)
			}
		}
		if err != nil {
			return
		}
		enc := xmlstream.Encoder{Inherited: stanza.NSClient, StreamPrefix: true}
		if err := Encode(&enc, stanza.NSClient, st); err != nil {
			t.Fatalf("decoded %q but cannot encode it: %v", s, err)
		}
		out, _ := enc.Bytes()
		r2 := xmlstream.NewReader(strings.NewReader(header+string(out)), xmlstream.Limits{})
		if _, err := r2.Header(); err != nil {
			t.Fatal(err)
		}
		el2, err := r2.Next()
		if err != nil {
			t.Fatalf("%q encoded as %q, which does not read: %v", s, out, err)
		}
		back, err := Decode(el2)
		if err != nil || !reflect.DeepEqual(normalize(st), normalize(back)) {
			t.Fatalf("%q encoded as %q decodes to %#v, %v; want %#v", s, out, back, err, st)
		}
	})
}

// borrowed returns a string in v (followed through pointers,
// interfaces, slices, arrays and struct fields, unexported ones
// included) that points into el's reader's buffer, or "".
func borrowed(el *xmlstream.Element, v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); el.Borrows(s) {
			return s
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return borrowed(el, v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if b := borrowed(el, v.Index(i)); b != "" {
				return b
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if b := borrowed(el, v.Field(i)); b != "" {
				return b
			}
		}
	}
	return ""
}

// normalize maps what encoding legitimately changes: an empty Nodes slice
// and a nil one are the same content.
func normalize(s stanza.Stanza) stanza.Stanza {
	var fix func(ns []stanza.Node) []stanza.Node
	fix = func(ns []stanza.Node) []stanza.Node {
		if len(ns) == 0 {
			return nil
		}
		for i := range ns {
			ns[i].Nodes = fix(ns[i].Nodes)
			if len(ns[i].Attrs) == 0 {
				ns[i].Attrs = nil
			}
		}
		return ns
	}
	switch s := s.(type) {
	case *stanza.Message:
		s.Extensions = fix(s.Extensions)
		if s.Error != nil && s.Error.App != nil {
			fix([]stanza.Node{*s.Error.App})
		}
	case *stanza.Presence:
		s.Extensions = fix(s.Extensions)
	case *stanza.IQ:
		if s.Payload != nil {
			p := fix([]stanza.Node{*s.Payload})
			s.Payload = &p[0]
		}
	}
	return s
}
