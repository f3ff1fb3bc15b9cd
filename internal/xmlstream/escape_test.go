package xmlstream

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// refAppendEscaped is appendEscaped as it was before it skipped plain
// runs a word at a time: one switch per byte. The tests hold the new one
// to its output and its errors.
func refAppendEscaped(dst []byte, s string, attr bool) ([]byte, error) {
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

// checkSameEscape fails t unless appendEscaped and refAppendEscaped give
// the same bytes (also what they leave in dst on an error) and the same
// error for s, in text and in attributes, appending to an empty and to a
// non-empty dst.
func checkSameEscape(t *testing.T, s string) {
	t.Helper()
	for _, attr := range []bool{false, true} {
		for _, prefix := range []string{"", "<x a='"} {
			want, wantErr := refAppendEscaped([]byte(prefix), s, attr)
			got, gotErr := appendEscaped([]byte(prefix), s, attr)
			if string(got) != string(want) || gotErr != wantErr {
				t.Fatalf("%q (attr %v, dst %q): got %q, %v; want %q, %v", s, attr, prefix, got, gotErr, want, wantErr)
			}
		}
	}
}

// escapeSeeds are the edge cases: empty, every escape, invalid UTF-8
// (also cut at the end, where a word load would run past it), the
// non-characters, each control character, CR, and runs that put each of
// them at every place in a word and after a word.
var escapeSeeds = func() []string {
	seeds := []string{
		"", "a", "&", "&&&&&&&&", "&<>'\"\r\n\t", strings.Repeat("&<>'\r\n\t", 5),
		"plain ascii text that needs nothing at all", "juliet@example.com/balcony",
		"The quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly. 0123456789 <&>!",
		"你好 😀", "Grüße aus Köln", "\xff", "abcdefg\xff", "abcdefgh\xe4\xbd", "abcdefgh\xe4", "\xe4\xbd\xa0\xe5",
		"\xed\xa0\x80", "\xc0\x80", "\xf4\x90\x80\x80", "\uFFFE", "\uFFFF", "abcdefg\uFFFD", "\u0085\u2028\U0010FFFF",
		"\x00", "a\x01b", "\x7f", "\x1f", "\r", "abcdefg\r", "abcdefgh\rabcdefgh", "it's\nfine\tok",
	}
	for c := range 0x20 {
		seeds = append(seeds, string(rune(c)))
	}
	for _, b := range []string{"&", "<", ">", "'", "\r", "\n", "\t", "\x00", "\x1f", "\x80", "é", "\uFFFE", "\x26\x27", "\x3c\x3d\x3e"} {
		for n := range 17 {
			seeds = append(seeds, strings.Repeat("x", n)+b+strings.Repeat("y", 16-n))
		}
	}
	// Bytes next to those that count: one off each.
	for _, c := range []byte{0x1f, 0x20, 0x21, 0x25, 0x26, 0x27, 0x28, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x7f, 0x80, 0xa6, 0xbe} {
		seeds = append(seeds, strings.Repeat("abc", 3)+string([]byte{c})+strings.Repeat("def", 3))
	}
	return seeds
}()

func TestAppendEscapedAsBefore(t *testing.T) {
	for _, s := range escapeSeeds {
		checkSameEscape(t, s)
	}
	// Every byte value, alone and at each place in a word.
	for c := range 256 {
		for n := range 9 {
			checkSameEscape(t, strings.Repeat("a", n)+string([]byte{byte(c)})+strings.Repeat("b", 9))
		}
	}
}

func TestAppendEscapedEdges(t *testing.T) {
	for _, tc := range []struct {
		in, text, attr string
		bad            bool
	}{
		{in: "", text: "", attr: ""},
		{in: "&<>'\r\n\t", text: "&amp;&lt;&gt;'&#xD;\n\t", attr: "&amp;&lt;&gt;&apos;&#xD;&#xA;&#x9;"},
		{in: "&&&&&&&&&", text: strings.Repeat("&amp;", 9), attr: strings.Repeat("&amp;", 9)},
		{in: "0123456\r", text: "0123456&#xD;", attr: "0123456&#xD;"},
		{in: "01234567\r89", text: "01234567&#xD;89", attr: "01234567&#xD;89"},
		{in: "a\"b\x7fc%=?", text: "a\"b\x7fc%=?", attr: "a\"b\x7fc%=?"},
		{in: "0123456789abcdef你", text: "0123456789abcdef你", attr: "0123456789abcdef你"},
		{in: "\uFFFD", text: "\uFFFD", attr: "\uFFFD"},
		{in: "0123456789\xe4\xbd", bad: true},
		{in: "0123456789abcde\xff", bad: true},
		{in: "\uFFFE", bad: true},
		{in: "ok \uFFFF", bad: true},
		{in: "\xed\xa0\x80", bad: true},
		{in: "\x00", bad: true},
		{in: "01234567\x0b", bad: true},
		{in: "\x1f", bad: true},
	} {
		text, textErr := AppendText(nil, tc.in)
		attr, attrErr := AppendAttr(nil, tc.in)
		if tc.bad {
			assert.ErrorIs(t, textErr, ErrUnencodable, "%q", tc.in)
			assert.ErrorIs(t, attrErr, ErrUnencodable, "%q", tc.in)
			continue
		}
		if assert.NoError(t, textErr, "%q", tc.in) {
			assert.Equal(t, tc.text, string(text), "%q", tc.in)
		}
		if assert.NoError(t, attrErr, "%q", tc.in) {
			assert.Equal(t, tc.attr, string(attr), "%q", tc.in)
		}
	}
}

// FuzzAppendEscaped holds appendEscaped to refAppendEscaped, the plain
// loop it replaced, on any input.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSameEscape)
}
