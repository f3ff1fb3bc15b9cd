package xmlstream

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// refScanChars is what scanChars does, written as plainly as it can be:
// a range over the characters of s. The tests hold scanChars, which
// skips plain words, to its results.
func (p *parser) refScanChars(s string, attr bool) (int, *Error) {
	first := -1
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"), r >= 0x20 && !isChar(r):
			p.i += i
			return -1, p.failEnd(NotWellFormed, "invalid UTF-8 or a character XML forbids")
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			p.i += i
			return -1, p.fail(NotWellFormed, "control character")
		case first < 0 && (r == '&' || r == '\r' || attr && (r == '\n' || r == '\t')):
			first = i
		}
	}
	return first, nil
}

// checkSameScan fails t unless scanChars and refScanChars give the same
// index and error for s, in text and in attributes, and leave the
// parser in the same state.
func checkSameScan(t *testing.T, s string) {
	t.Helper()
	for _, attr := range []bool{false, true} {
		for _, prefix := range []bool{false, true} {
			p1 := &parser{s: s, prefix: prefix}
			p2 := &parser{s: s, prefix: prefix}
			i1, e1 := p1.scanChars(s, attr)
			i2, e2 := p2.refScanChars(s, attr)
			if i1 != i2 || (e1 == nil) != (e2 == nil) || e1 != nil && *e1 != *e2 || p1.i != p2.i || p1.short != p2.short {
				t.Fatalf("%q (attr %v, prefix %v): got %d, %v at %d; want %d, %v at %d", s, attr, prefix, i1, e1, p1.i, i2, e2, p2.i)
			}
		}
	}
}

func TestScanCharsAsBefore(t *testing.T) {
	for _, s := range escapeSeeds {
		checkSameScan(t, s)
		checkSameScan(t, strings.Repeat(s, 3))
	}
	// Every byte value at each place in and after two words, and cut
	// UTF-8 at each place.
	for c := range 256 {
		for n := range 34 {
			checkSameScan(t, strings.Repeat("a", n)+string([]byte{byte(c)})+strings.Repeat("b", 33-n))
		}
	}
	for n := range 34 {
		checkSameScan(t, strings.Repeat("a", n)+"\xe4\xbd")
		checkSameScan(t, strings.Repeat("a", n)+"你"+strings.Repeat("b", 20))
	}
}

// FuzzScanChars holds scanChars to refScanChars on any input.
func FuzzScanChars(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSameScan)
}

// BenchmarkScanChars checks bench/compare's chat body as the parser
// finds it (three references at its end), and the same without them.
func BenchmarkScanChars(b *testing.B) {
	for _, s := range []string{
		"The quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly. 0123456789 &lt;&amp;&gt;!",
		"The quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly. 0123456789 !",
	} {
		b.Run("", func(b *testing.B) {
			p := &parser{s: s}
			for b.Loop() {
				p.i = 0
				if _, err := p.scanChars(s, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
