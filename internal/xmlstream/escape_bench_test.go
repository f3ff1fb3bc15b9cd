package xmlstream

import "testing"

// BenchmarkAppendEscaped escapes what a sender of chat messages escapes
// most: a 100-byte body with three characters to escape, a JID in an
// attribute, and a body that is mostly not ASCII. It uses only AppendText
// and AppendAttr, so it runs unchanged against any version of them.
func BenchmarkAppendEscaped(b *testing.B) {
	for _, bc := range []struct {
		name, s string
		attr    bool
	}{
		{"body-100B-3-escapes", "The quick brown fox jumps over the lazy dog; the five boxing wizards jump quickly. 0123456789 <&>!!!", false},
		{"attr-jid", "juliet@capulet.example.com/balcony-4f2a", true},
		{"body-non-ascii", "Grüße aus Köln! 你好，今天过得怎么样？ Ça va très bien, merci 😀", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.s)))
			b.ReportAllocs()
			buf := make([]byte, 0, 4*len(bc.s))
			var err error
			for b.Loop() {
				if bc.attr {
					buf, err = AppendAttr(buf[:0], bc.s)
				} else {
					buf, err = AppendText(buf[:0], bc.s)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
