package jid

import (
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that whatever it accepts comes
// back unchanged through String and New, and that the ASCII fast path agrees
// with full enforcement.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"juliet@example.com/balcony", "example.com", "Σ@example.com/foo", "a@[::1]/r",
		"a@192.0.2.1", "ｊ@ｅｘａｍｐｌｅ.com.", "xn--caf-dma.example", `foo\20bar@example.com`,
		"a@b/c/d@e", "@", "/", "a@/", "\xff", "a@example..com", "king@example.com/♚",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := Parse(s)
		checkFastPath(t, s)
		if err != nil {
			if !j.IsZero() {
				t.Fatalf("Parse(%q) failed with %v but returned %q", s, err, j)
			}
			return
		}
		if !utf8.ValidString(j.String()) {
			t.Fatalf("Parse(%q) = %q, not UTF-8", s, j)
		}
		again, err := Parse(j.String())
		if err != nil || again != j {
			t.Fatalf("Parse(%q) = %q, but Parse(%q) = %q, %v", s, j, j.String(), again, err)
		}
		built, err := New(j.Localpart(), j.Domainpart(), j.Resourcepart())
		if err != nil || built != j {
			t.Fatalf("New(parts of %q) = %q, %v", j, built, err)
		}
		if b := j.Bare(); !b.IsBare() || b.String()+suffix(j) != j.String() {
			t.Fatalf("Bare(%q) = %q", j, b)
		}
	})
}

func suffix(j JID) string {
	if r := j.Resourcepart(); r != "" {
		return "/" + r
	}
	return ""
}

// FuzzEscape checks that Unescape undoes Escape for every string.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"space cadet", `c:\5commas`, `\5c`, `\\20`, `\`, "a@b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := Unescape(Escape(s)); got != s {
			t.Fatalf("Unescape(Escape(%q)) = %q (escaped %q)", s, got, Escape(s))
		}
	})
}
