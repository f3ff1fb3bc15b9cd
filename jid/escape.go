package jid

import "strings"

// escapes maps each character XEP-0106 escapes to its escape sequence. The
// sequences are lower-case, as in the XEP's table and as a localpart holds
// them after case mapping.
var escapes = [...]struct {
	c   byte
	seq string
}{
	{' ', `\20`}, {'"', `\22`}, {'&', `\26`}, {'\'', `\27`}, {'/', `\2f`},
	{':', `\3a`}, {'<', `\3c`}, {'>', `\3e`}, {'@', `\40`}, {'\\', `\5c`},
}

// escapeSeq returns the character that the escape sequence at the start of
// s stands for. Only the lower-case sequences unescape.
func escapeSeq(s string) (c byte, ok bool) {
	if len(s) < 3 || s[0] != '\\' {
		return 0, false
	}
	for _, e := range escapes {
		if s[:3] == e.seq {
			return e.c, true
		}
	}
	return 0, false
}

// looksEscaped reports whether s starts with an escape sequence in any
// case. A localpart is lower-cased when enforced, so "\2F" becomes "\2f"
// and would unescape: Escape must protect its backslash as well.
func looksEscaped(s string) bool {
	if len(s) < 3 || s[0] != '\\' {
		return false
	}
	_, ok := escapeSeq(strings.ToLower(s[:3]))
	return ok
}

func escapeOf(c byte) string {
	for _, e := range escapes {
		if e.c == c && c != '\\' {
			return e.seq
		}
	}
	return ""
}

// Escape escapes s for use as a localpart, as XEP-0106 defines: space,
// " & ' / : < > and @ become \20, \22, \26, \27, \2f, \3a, \3c, \3e and \40,
// and a backslash becomes \5c only where it starts one of those sequences
// (or \5c itself), in either case, since enforcement lower-cases the
// localpart. Unescape(Escape(s)) == s for every s, and two different
// strings never escape to the same localpart.
//
// Escape does not enforce the result; pass it to New or Parse. XEP-0106
// forbids a localpart that starts or ends with an escaped space, so trim
// spaces first where that matters. Escape returns s itself when nothing
// needs escaping.
func Escape(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		seq := escapeOf(s[i])
		if seq == "" && s[i] == '\\' && looksEscaped(s[i:]) {
			seq = `\5c`
		}
		if seq == "" {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s) + 8)
		}
		b.WriteString(s[last:i])
		b.WriteString(seq)
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Unescape reverses Escape: each XEP-0106 escape sequence in s becomes the
// character it stands for. A backslash that starts no such sequence is kept.
// Unescape returns s itself when it holds no escape sequence.
func Unescape(s string) string {
	var b strings.Builder
	last := 0
	for i := strings.IndexByte(s, '\\'); i >= 0 && i < len(s); {
		c, ok := escapeSeq(s[i:])
		if ok {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			b.WriteByte(c)
			i += 3
			last = i
		} else {
			i++
		}
		if j := strings.IndexByte(s[i:], '\\'); j >= 0 {
			i += j
		} else {
			break
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
