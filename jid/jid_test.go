package jid

import (
	"encoding"
	"encoding/json"
	"encoding/xml"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	_ encoding.TextMarshaler   = JID{}
	_ encoding.TextUnmarshaler = (*JID)(nil)
	_ xml.MarshalerAttr        = JID{}
	_ xml.UnmarshalerAttr      = (*JID)(nil)
)

// RFC 7622, section 3.5: the examples of valid and invalid addresses, with
// what each valid one enforces to.
func TestRFC7622Examples(t *testing.T) {
	valid := []struct{ in, local, domain, resource string }{
		{"juliet@example.com", "juliet", "example.com", ""},
		{"juliet@example.com/foo", "juliet", "example.com", "foo"},
		{"juliet@example.com/foo bar", "juliet", "example.com", "foo bar"},
		{"juliet@example.com/foo@bar", "juliet", "example.com", "foo@bar"},
		{`foo\20bar@example.com`, `foo\20bar`, "example.com", ""},
		{"fussball@example.com", "fussball", "example.com", ""},
		{"fußball@example.com", "fußball", "example.com", ""},
		{"π@example.com", "π", "example.com", ""},
		{"Σ@example.com/foo", "σ", "example.com", "foo"},
		{"σ@example.com/foo", "σ", "example.com", "foo"},
		{"ς@example.com/foo", "ς", "example.com", "foo"},
		{"king@example.com/♚", "king", "example.com", "♚"},
		{"example.com", "", "example.com", ""},
		{"example.com/foobar", "", "example.com", "foobar"},
		{"a.example.com/b@example.net", "", "a.example.com", "b@example.net"},
	}
	for _, tc := range valid {
		t.Run(tc.in, func(t *testing.T) {
			j, err := Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.local, j.Localpart())
			assert.Equal(t, tc.domain, j.Domainpart())
			assert.Equal(t, tc.resource, j.Resourcepart())
		})
	}
	invalid := []struct {
		in   string
		part Part
	}{
		{`"juliet"@example.com`, PartLocal},
		{"foo bar@example.com", PartLocal},
		{"juliet@example.com/", PartResource},
		{"@example.com/", PartLocal},
		{"henriⅣ@example.com", PartLocal},
		{"♚@example.com", PartLocal},
		{"juliet@", PartDomain},
		{"/foobar", PartDomain},
	}
	for _, tc := range invalid {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.part, e.Part, "error %q names the wrong part", err)
		})
	}
	// ς and σ are different localparts: RFC 8265 lower-cases, it does not
	// case-fold.
	assert.NotEqual(t, MustParse("ς@example.com"), MustParse("σ@example.com"))
}

func TestEnforcement(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"localpart lower-cased", "JuLiEt@example.com", "juliet@example.com"},
		{"domain lower-cased", "juliet@EXAMPLE.Com", "juliet@example.com"},
		{"resource keeps case", "juliet@example.com/Balcony", "juliet@example.com/Balcony"},
		{"non-ASCII localpart lower-cased", "ÄLICE@example.com", "älice@example.com"},
		{"fullwidth localpart width-mapped", "ｊｕｌｉｅｔ@example.com", "juliet@example.com"},
		{"fullwidth domain width-mapped", "juliet@ｅｘａｍｐｌｅ.com", "juliet@example.com"},
		{"localpart NFC", "cafe\u0301@example.com", "café@example.com"},
		{"resource NFC", "a@example.com/cafe\u0301", "a@example.com/café"},
		{"resource non-ASCII space mapped", "a@example.com/x\u00a0y", "a@example.com/x y"},
		{"trailing dot removed", "juliet@example.com.", "juliet@example.com"},
		{"trailing dot removed, bare domain", "example.com./r", "example.com/r"},
		{"ideographic full stop", "example。com", "example.com"},
		{"A-label to U-label", "xn--caf-dma.example", "café.example"},
		{"IDN lower-cased", "juliet@CAFÉ.example", "juliet@café.example"},
		{"IDN with umlaut", "user@münchen.de", "user@münchen.de"},
		{"middle dot between l and l (Catalan)", "a@col\u00b7lecció.cat", "a@col\u00b7lecció.cat"},
		{"geresh after Hebrew", "a@\u05d0\u05f3.example", "a@\u05d0\u05f3.example"},
		{"keraia before Greek", "a@\u0375\u03b1.example", "a@\u0375\u03b1.example"},
		{"katakana middle dot with kana", "a@\u30a2\u30fb\u30a4.example", "a@\u30a2\u30fb\u30a4.example"},
		{"IPv4 literal", "juliet@192.0.2.1/r", "juliet@192.0.2.1/r"},
		{"IPv6 literal canonical", "juliet@[2001:DB8:0:0::1]", "juliet@[2001:db8::1]"},
		{"IPv6 loopback", "[::1]", "[::1]"},
		{"resource with slash", "a@b/c/d", "a@b/c/d"},
		{"escaped localpart kept", `d\27artagnan@example.com`, `d\27artagnan@example.com`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j, err := Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, j.String())
			assert.Equal(t, j, MustParse(tc.want), "enforced form must parse to the same JID")
		})
	}
}

func TestInvalid(t *testing.T) {
	long := strings.Repeat("a", MaxPartLen+1)
	cases := []struct {
		name, in string
		part     Part
	}{
		{"empty", "", PartDomain},
		{"only at", "@", PartDomain},
		{"empty domain before resource", "a@/r", PartDomain},
		{"empty label", "a@example..com", PartDomain},
		{"leading dot", "a@.example.com", PartDomain},
		{"two trailing dots", "a@example.com..", PartDomain},
		{"lone dot", ".", PartDomain},
		{"space in domain", "a@exa mple.com", PartDomain},
		{"underscore in domain", "a@ex_ample.com", PartDomain},
		{"at in domain", "a@b@c", PartDomain},
		{"leading hyphen label", "a@-example.com", PartDomain},
		{"trailing hyphen label", "a@example-.com", PartDomain},
		{"bad A-label", "a@xn--.com", PartDomain},
		{"unbracketed IPv6", "a@::1", PartDomain},
		{"IPv6 zone", "a@[fe80::1%eth0]", PartDomain},
		{"IPv4 in brackets", "a@[192.0.2.1]", PartDomain},
		{"unclosed bracket", "a@[::1", PartDomain},
		{"symbol in domain", "a@♚.example", PartDomain},
		{"old Hangul jamo", "a@\u1100.example", PartDomain},
		{"DISALLOWED exception U+302E", "a@a\u302e.example", PartDomain},
		{"DISALLOWED exception U+3032", "a@\u3032.example", PartDomain},
		{"middle dot not between l and l", "a@a\u00b7b.example", PartDomain},
		{"geresh not after Hebrew", "a@\u05f3.example", PartDomain},
		{"keraia not before Greek", "a@\u0375a.example", PartDomain},
		{"katakana middle dot without kana", "a@a\u30fbb.example", PartDomain},
		{"mixed Arabic-Indic digits", "a@\u0628\u0660\u06f0.example", PartDomain},
		{"invalid UTF-8 localpart", "\xff@example.com", PartLocal},
		{"invalid UTF-8 domain", "a@\xffexample.com", PartDomain},
		{"invalid UTF-8 resource", "a@example.com/\xff", PartResource},
		{"control char in resource", "a@example.com/a\x00b", PartResource},
		{"fullwidth at in localpart", "a＠b@example.com", PartLocal},
		{"colon in localpart", "a:b@example.com", PartLocal},
		{"localpart too long", long + "@example.com", PartLocal},
		{"domain too long", strings.Repeat("a.", 512) + "com", PartDomain},
		{"resource too long", "a@example.com/" + long, PartResource},
		{"huge resource", "a@example.com/" + strings.Repeat("x", 1<<20), PartResource},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j, err := Parse(tc.in)
			require.Error(t, err, "parsed as %q", j)
			assert.True(t, j.IsZero())
			assert.ErrorIs(t, err, ErrInvalid)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.part, e.Part, "error %q names the wrong part", err)
			assert.Contains(t, err.Error(), tc.part.String())
		})
	}
}

func TestLengthLimits(t *testing.T) {
	max := strings.Repeat("a", MaxPartLen)
	j, err := New(max, "example.com", max)
	require.NoError(t, err)
	assert.Len(t, j.Localpart(), MaxPartLen)
	assert.Len(t, j.Resourcepart(), MaxPartLen)

	// A domain of 1023 bytes in many short labels is valid: RFC 7622
	// bounds the part, not DNS's 253.
	domain := strings.Repeat("a.", 511) + "b"
	require.Len(t, domain, MaxPartLen)
	j, err = Parse(max + "@" + domain + "/" + max)
	require.NoError(t, err)
	assert.Equal(t, domain, j.Domainpart())
	assert.Equal(t, j, MustParse(j.String()))

	// The limit is on the enforced form: 1023 fullwidth letters (3 bytes
	// each) width-map to 1023 ASCII bytes.
	j, err = New(strings.Repeat("ａ", MaxPartLen), "example.com", "")
	require.NoError(t, err)
	assert.Equal(t, max, j.Localpart())
	_, err = New(strings.Repeat("é", MaxPartLen/2+1), "example.com", "")
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestNew(t *testing.T) {
	j, err := New("Juliet", "Example.com", "Balcony")
	require.NoError(t, err)
	assert.Equal(t, MustParse("juliet@example.com/Balcony"), j)

	j, err = New("", "example.com", "")
	require.NoError(t, err)
	assert.Equal(t, "example.com", j.String())
	assert.True(t, j.IsBare())

	// New takes each part whole: a resource may hold '/', a localpart may
	// not hold '@'.
	j, err = New("a", "example.com", "x/y@z")
	require.NoError(t, err)
	assert.Equal(t, "x/y@z", j.Resourcepart())
	_, err = New("a@b", "example.com", "")
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = New("a", "", "r")
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestAccessors(t *testing.T) {
	full := MustParse("juliet@example.com/balcony")
	assert.Equal(t, "juliet@example.com/balcony", full.String())
	assert.Equal(t, MustParse("juliet@example.com"), full.Bare())
	assert.Equal(t, MustParse("example.com"), full.Domain())
	assert.False(t, full.IsBare())
	assert.False(t, full.IsZero())
	assert.True(t, full.Bare().IsBare())

	domainOnly := MustParse("example.com/r")
	assert.Equal(t, "", domainOnly.Localpart())
	assert.Equal(t, MustParse("example.com"), domainOnly.Bare())
	assert.Equal(t, domainOnly.Bare(), domainOnly.Domain())

	var zero JID
	assert.True(t, zero.IsZero())
	assert.False(t, zero.IsBare())
	assert.Equal(t, "", zero.String())
	assert.Equal(t, "", zero.Localpart()+zero.Domainpart()+zero.Resourcepart())
	assert.Equal(t, zero, zero.Bare())
	assert.Equal(t, zero, zero.Domain())
}

func TestWithResource(t *testing.T) {
	bare := MustParse("juliet@example.com")
	j, err := bare.WithResource("Balcony")
	require.NoError(t, err)
	assert.Equal(t, MustParse("juliet@example.com/Balcony"), j)

	j, err = j.WithResource("cafe\u0301")
	require.NoError(t, err)
	assert.Equal(t, "juliet@example.com/café", j.String())

	j, err = j.WithResource("")
	require.NoError(t, err)
	assert.Equal(t, bare, j)

	_, err = bare.WithResource("a\x00")
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = JID{}.WithResource("r")
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestComparableAndMapKey(t *testing.T) {
	seen := map[JID]int{}
	for _, s := range []string{"Juliet@Example.com/r", "juliet@example.com/r", "juliet@example.com./r", "ｊuliet@example.com/r"} {
		seen[MustParse(s)]++
	}
	assert.Equal(t, map[JID]int{MustParse("juliet@example.com/r"): 4}, seen)
	// A bare JID taken from a full one equals one parsed on its own.
	assert.True(t, MustParse("juliet@example.com/r").Bare() == MustParse("juliet@example.com"))
}

func TestTextAndJSON(t *testing.T) {
	type doc struct {
		To   JID `json:"to"`
		From JID `json:"from"`
	}
	in := doc{To: MustParse("juliet@example.com/balcony")}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"to":"juliet@example.com/balcony","from":""}`, string(b))
	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)

	var j JID
	assert.ErrorIs(t, j.UnmarshalText([]byte("@bad")), ErrInvalid)
	assert.True(t, j.IsZero())
}

func TestXMLAttr(t *testing.T) {
	type msg struct {
		XMLName xml.Name `xml:"message"`
		To      JID      `xml:"to,attr"`
		From    JID      `xml:"from,attr"`
	}
	b, err := xml.Marshal(msg{To: MustParse("Romeo@Example.net")})
	require.NoError(t, err)
	assert.Equal(t, `<message to="romeo@example.net"></message>`, string(b), "the zero JID must write no attribute")

	var m msg
	require.NoError(t, xml.Unmarshal([]byte(`<message to="ROMEO@example.net/orchard" from="juliet@example.com"/>`), &m))
	assert.Equal(t, MustParse("romeo@example.net/orchard"), m.To)
	assert.Equal(t, MustParse("juliet@example.com"), m.From)

	err = xml.Unmarshal([]byte(`<message to="a@b@c"/>`), &m)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestMustParsePanics(t *testing.T) {
	assert.Panics(t, func() { MustParse("@") })
}

func TestErrorText(t *testing.T) {
	_, err := Parse("juliet@example.com/")
	assert.EqualError(t, err, "jid: invalid resourcepart: empty")
	_, err = Parse("a:b@example.com")
	assert.EqualError(t, err, `jid: invalid localpart: contains forbidden character ':'`)
	_, err = Parse("♚@example.com")
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Error(t, e.Err, "the PRECIS error must be kept")
	assert.True(t, errors.Is(err, e.Err))
}

// The fast path must give exactly what the PRECIS and IDNA machinery gives.
// Random strings over the alphabet that matters (both cases, digits, the
// separators, the forbidden characters, dots and hyphens) cover it densely.
func TestFastPathMatchesFullEnforcement(t *testing.T) {
	const alphabet = "aZz09-._@/ :\"&'<>\\[]~!A"
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 0, 24)
	for i := 0; i < 200000; i++ {
		buf = buf[:0]
		for n := r.IntN(cap(buf)); n > 0; n-- {
			buf = append(buf, alphabet[r.IntN(len(alphabet))])
		}
		checkFastPath(t, string(buf))
	}
	for _, s := range []string{
		"a@1.2.3.4", "01.2.3.4", "1.2.3.256", "ab--cd.example", "a@xn--caf-dma.example",
		"x.-y", "x-.y", "EXAMPLE.COM.", "a@b.", "a@b..", "a--b", "ab-c", "a-bc-",
		"a/b@c", "a@b/", "a@b/c/d@e", "a.b", "a.b@c.d", "@b", "a@@b", "a@b@c", "a@-b.c", "a@b.c./r",
		"x@ab--c.d", "a\\b@c", "a b@c", "a@b/ c", "a@b/\x7f",
		strings.Repeat("a", 1023) + "@b", strings.Repeat("a", 1024) + "@b",
		strings.Repeat("b", 1023), strings.Repeat("b", 1024), "a@" + strings.Repeat("b", 1024),
		"a@b/" + strings.Repeat("r", 1023), "a@b/" + strings.Repeat("r", 1024),
	} {
		checkFastPath(t, s)
	}
}

func checkFastPath(t *testing.T, s string) {
	t.Helper()
	fast, errFast := parse(s, true)
	full, errFull := parse(s, false)
	if (errFast == nil) != (errFull == nil) || fast != full {
		t.Fatalf("Parse(%q): fast path gives %q, %v; full enforcement gives %q, %v", s, fast, errFast, full, errFull)
	}
}

func TestEscape(t *testing.T) {
	// XEP-0106, section 5.1's examples.
	cases := []struct{ raw, escaped string }{
		{"space cadet", `space\20cadet`},
		{`call me "ishmael"`, `call\20me\20\22ishmael\22`},
		{"at&t guy", `at\26t\20guy`},
		{"d'artagnan", `d\27artagnan`},
		{"/.fanboy", `\2f.fanboy`},
		{"::foo::", `\3a\3afoo\3a\3a`},
		{"<foo>", `\3cfoo\3e`},
		{"user@host", `user\40host`},
		{`c:\net`, `c\3a\net`},
		{`c:\\net`, `c\3a\\net`},
		{`c:\cool stuff`, `c\3a\cool\20stuff`},
		{`c:\5commas`, `c\3a\5c5commas`},
		{"plain", "plain"},
		{"", ""},
		{`\`, `\`},
		{`\5c`, `\5c5c`},
		{`\2F`, `\5c2F`},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			assert.Equal(t, tc.escaped, Escape(tc.raw))
			assert.Equal(t, tc.raw, Unescape(tc.escaped))
		})
	}
	// Two different strings never become the same localpart, though
	// enforcement lower-cases the escaped form.
	a, err := New(Escape("a/b"), "example.com", "")
	require.NoError(t, err)
	b, err := New(Escape(`a\2Fb`), "example.com", "")
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	assert.Equal(t, `a\2fb`, Unescape(b.Localpart()), "what case-insensitivity costs: the hex digits are lower-cased")

	// An escaped address is a valid localpart.
	j, err := New(Escape("d'artagnan@musketeers"), "example.com", "")
	require.NoError(t, err)
	assert.Equal(t, "d'artagnan@musketeers", Unescape(j.Localpart()))
}

func TestEscapeDoesNotAllocateWhenClean(t *testing.T) {
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Escape("juliet") }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Unescape(`c:\net`) }))
}

func TestParseCanonicalDoesNotAllocate(t *testing.T) {
	s := "juliet@example.com/balcony"
	j := MustParse(s)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = Parse(s) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = j.String(); _ = j.Bare(); _ = j.Domain() }))
}
