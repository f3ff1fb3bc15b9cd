package xmlstream

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzNext feeds arbitrary bytes after a stream header. The reader must
// never panic, must refuse with an *Error or a read error, must keep its
// buffer within the limit, and whatever element it accepts must also be
// well-formed to encoding/xml (with the header's namespaces declared).
func FuzzNext(f *testing.F) {
	for _, s := range []string{
		`<message to='a@b'><body>hi &amp; bye</body></message>`,
		`<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>`,
		`<m><![CDATA[x]]></m>`, `<p:x xmlns:p='urn:p' p:a='1'/>`, `<m>&#x1F600;</m>`,
		`<m><!-- c --></m>`, `<m a='1' a='2'/>`, `</stream:stream>`, "<m>\xff</m>",
		" \n <m/>\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t<m/>\r\n  \r\n  \r\n  x",
	} {
		f.Add(s)
	}
	limits := Limits{MaxElementSize: 4096, MaxDepth: 16, MaxAttrs: 8}
	f.Fuzz(func(t *testing.T, s string) {
		// However the bytes arrive, and whether the Reader lets its
		// buffer go when idle or not, the same elements and the same end.
		whole := readTrace(strings.NewReader(header+s), limits, false)
		if lent := readTrace(lending{strings.NewReader(header + s)}, limits, false); lent != whole {
			t.Fatalf("read whole:\n%s\nlent:\n%s", whole, lent)
		}
		if lent := readTrace(lending{&chunky{s: header + s}}, limits, true); lent != whole {
			t.Fatalf("read whole:\n%s\nlent, in uneven pieces:\n%s", whole, lent)
		}
		for _, idle := range []bool{false, true} {
			if split := readTrace(iotest.OneByteReader(strings.NewReader(header+s)), limits, idle); split != whole {
				t.Fatalf("read whole:\n%s\nread a byte at a time (idle %v):\n%s", whole, idle, split)
			}
			if split := readTrace(&chunky{s: header + s}, limits, idle); split != whole {
				t.Fatalf("read whole:\n%s\nread in uneven pieces (idle %v):\n%s", whole, idle, split)
			}
		}
		x := NewReader(strings.NewReader(header+s), limits)
		if _, err := x.Header(); err != nil {
			t.Fatal(err)
		}
		for {
			e, err := x.Next()
			if len(x.buf) > limits.MaxElementSize+readChunk {
				t.Fatalf("buffer grew to %d", len(x.buf))
			}
			if err != nil {
				var xe *Error
				if !errors.As(err, &xe) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrStreamEnd) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			// Re-encoded, it decodes to the same tokens.
			want := dump(e)
			enc := Encoder{Inherited: "jabber:client", StreamPrefix: true}
			enc.Element(e)
			out, err := enc.Bytes()
			if err != nil {
				t.Fatalf("accepted %q but cannot re-encode it: %v", e.Raw, err)
			}
			again, err := readOne(string(out), Limits{})
			if err != nil || dump(again) != want {
				t.Fatalf("accepted %q, re-encoded as %q, which reads back as %v, %v", e.Raw, out, err, again)
			}
			wrapped := `<w xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>` + e.Raw + `</w>`
			d := xml.NewDecoder(strings.NewReader(wrapped))
			for {
				_, derr := d.Token()
				if derr == io.EOF {
					break
				}
				if derr != nil && strings.Contains(derr.Error(), "invalid XML name") && !isASCII(e.Raw) {
					// encoding/xml's name tables are XML 1.0's fourth
					// edition; ours the fifth, narrowed. Names outside
					// ASCII may differ; XMPP uses none.
					break
				}
				if derr != nil {
					t.Fatalf("accepted %q, which encoding/xml refuses: %v", e.Raw, derr)
				}
			}
		}
	})
}

// readTrace reads a stream to its end and describes each element and how
// it ended. idle calls ReleaseWhenIdle first.
// lending marks the source of a Reader that lends (readTrace).
type lending struct{ io.Reader }

// readTrace reads r to its end and dumps every element, and how it
// ended. A Reader that reads a lending source lends its elements; each
// is dumped, then kept (Element.Keep), and must then be the same and
// borrow nothing.
func readTrace(r io.Reader, limits Limits, idle bool) string {
	x := NewReader(r, limits)
	if idle {
		x.ReleaseWhenIdle()
	}
	_, lend := r.(lending)
	x.Lend(lend)
	if _, err := x.Header(); err != nil {
		return err.Error()
	}
	var b strings.Builder
	for {
		e, err := x.Next()
		if err != nil {
			var xe *Error
			if errors.As(err, &xe) {
				b.WriteString(string(xe.Condition))
			} else {
				b.WriteString(err.Error())
			}
			return b.String()
		}
		d := dump(e)
		if lend {
			e.Keep()
			if e.Lent() || dump(e) != d || borrowsAny(e) {
				d += " (changed or still lent once kept)"
			}
		}
		b.WriteString(d + "\n")
	}
}

// borrowsAny reports whether any string of e points into its Reader's
// buffer.
func borrowsAny(e *Element) bool {
	if e.Borrows(e.Raw) {
		return true
	}
	for i := range e.Tokens {
		t := &e.Tokens[i]
		if e.Borrows(t.Name.Space) || e.Borrows(t.Name.Local) || e.Borrows(t.Text) {
			return true
		}
	}
	for _, a := range e.Attrs {
		if e.Borrows(a.Name.Space) || e.Borrows(a.Name.Local) || e.Borrows(a.Value) {
			return true
		}
	}
	return false
}

// chunky reads s in pieces of 1 to 13 bytes, in a fixed uneven cycle.
type chunky struct {
	s string
	k int
}

func (c *chunky) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	c.k++
	n := copy(p[:min(len(p), 1+c.k*7%13)], c.s)
	c.s = c.s[n:]
	return n, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
