package xmlstream

import (
	"strings"
	"testing"
)

// refAttrValue is attrValue as it was before it found the closing quote
// first and checked the value a word at a time: a byte loop to the
// first byte that is not plain. The tests hold the new one to its
// values, its errors and where it leaves the parser.
func (p *parser) refAttrValue() (string, *Error) {
	q, err := p.attrQuote()
	if err != nil {
		return "", err
	}
	i := p.i
	for i < len(p.s) && p.s[i] >= 0x20 && p.s[i] <= 0x7f && p.s[i] != '"' && p.s[i] != '\'' && p.s[i] != '<' && p.s[i] != '&' {
		i++
	}
	if i < len(p.s) && p.s[i] == q {
		v := p.s[p.i:i]
		p.i = i + 1
		return v, nil
	}
	end := strings.IndexByte(p.s[p.i:], q)
	if end < 0 {
		return "", p.failShort(NotWellFormed, "attribute value not closed")
	}
	return p.checkedValue(end)
}

// checkSameAttrValue fails t unless attrValue and refAttrValue give the
// same value and error for s (what follows an attribute's name), and
// leave the parser at the same place, in prefix mode or not.
func checkSameAttrValue(t *testing.T, s string) {
	t.Helper()
	for _, prefix := range []bool{false, true} {
		p1 := &parser{s: s, prefix: prefix}
		p2 := &parser{s: s, prefix: prefix}
		v1, e1 := p1.attrValue()
		v2, e2 := p2.refAttrValue()
		if v1 != v2 || (e1 == nil) != (e2 == nil) || e1 != nil && *e1 != *e2 || p1.i != p2.i || p1.short != p2.short {
			t.Fatalf("%q (prefix %v): got %q, %v at %d (short %v); want %q, %v at %d (short %v)",
				s, prefix, v1, e1, p1.i, p1.short, v2, e2, p2.i, p2.short)
		}
	}
}

// attrValueSeeds: the escape seeds as values in either quote, with the
// other quote and the same one inside, unclosed, and with what follows
// a value in a tag.
var attrValueSeeds = func() []string {
	var seeds []string
	for _, v := range escapeSeeds {
		for _, q := range []string{"'", `"`} {
			seeds = append(seeds, "="+q+v+q+" b='1'/>", " = "+q+v+q+">", "="+q+v, "="+q+v+q)
		}
	}
	return append(seeds, "", "=", "= ", "=x", "='", `="a'b"`, `='a"b'`, "='a'b'", "='ab<'c'", "='abcdefgh<'",
		"='abcdefghijklmno'", "='abcdefgh&amp;ijklmnop'", "='peer@localhost/r' to='bench@localhost/compare'>")
}()

func TestAttrValueAsBefore(t *testing.T) {
	for _, s := range attrValueSeeds {
		checkSameAttrValue(t, s)
	}
	// Every byte value at each place in and around a word.
	for c := range 256 {
		for n := range 18 {
			v := strings.Repeat("a", n) + string([]byte{byte(c)}) + strings.Repeat("b", 17-n)
			checkSameAttrValue(t, "='"+v+"'>")
			checkSameAttrValue(t, `="`+v+`"/>`)
		}
	}
}

// FuzzAttrValue holds attrValue to refAttrValue, the loop it replaced,
// on any input.
func FuzzAttrValue(f *testing.F) {
	for _, s := range attrValueSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSameAttrValue)
}

// BenchmarkAttrValue reads the values of bench/compare's chat message
// (from, to, type, id) with attrValue and with refAttrValue.
func BenchmarkAttrValue(b *testing.B) {
	tag := `='peer@localhost/r' to='bench@localhost/compare' type='chat' id='m0000001'>`
	starts := []int{0, 22, 53, 63} // the "="s
	for _, f := range []struct {
		name string
		read func(*parser) (string, *Error)
	}{{"new", (*parser).attrValue}, {"ref", (*parser).refAttrValue}} {
		b.Run(f.name, func(b *testing.B) {
			p := &parser{s: tag, prefix: true}
			for b.Loop() {
				for _, i := range starts {
					p.i = i
					if _, err := f.read(p); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
