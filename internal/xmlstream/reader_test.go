package xmlstream

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The seed's Openfire stream (../shared/seeds/000_*.txt), as a server
// sends it: header, features, a chat message with a receipt request, a
// presence with caps, a whitespace keepalive, the end.
const openfireStream = `<?xml version='1.0' encoding='UTF-8'?><stream:stream xmlns:stream="http://etherx.jabber.org/streams"
               from="oatest.dgcb.com.cn"
               id="36ebm4blnf"
               version="1.0"
               xmlns="jabber:client"
               xml:lang="en">
    <stream:features>
        <starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"></starttls>
        <mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl">
            <mechanism>PLAIN</mechanism>
            <mechanism>SCRAM-SHA-1</mechanism>
        </mechanisms>
        <ver xmlns="urn:xmpp:features:rosterver"/>
    </stream:features>
<message from="903e652d2334628a@oatest.dgcb.com.cn/phone" id="Bw4c9-4" to="8049a646c63e65e8@oatest.dgcb.com.cn" type="chat">
    <body>{"fromName":"郑西风","textContent":"你好 &amp; &lt;b&gt;"}</body>
    <request xmlns="urn:xmpp:receipts"/>
    <send time="2018-10-19 16:08:21:999" xmlns="icitic:msg:single"/>
</message>   
 <presence from='a@b/c'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://www.igniterealtime.org/projects/smack' ver='os2Kb='/></presence>
</stream:stream>`

// dump writes an element's tokens compactly, to compare reads.
func dump(e *Element) string {
	var b strings.Builder
	for i := range e.Tokens {
		t := &e.Tokens[i]
		switch t.Kind {
		case StartElement:
			fmt.Fprintf(&b, "<{%s}%s", t.Name.Space, t.Name.Local)
			for _, a := range e.TokenAttrs(t) {
				fmt.Fprintf(&b, " {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
			}
			b.WriteString(">")
		case EndElement:
			fmt.Fprintf(&b, "</%s>", t.Name.Local)
		case Text:
			if strings.TrimSpace(t.Text) != "" {
				fmt.Fprintf(&b, "%q", t.Text)
			}
		}
	}
	return b.String()
}

// readAll reads a whole stream and returns the header's attributes and each
// element dumped, and the error that ended it.
func readAll(r io.Reader, limits Limits) ([]string, error) {
	x := NewReader(r, limits)
	h, err := x.Header()
	if err != nil {
		return nil, err
	}
	out := []string{fmt.Sprintf("header ns=%s from=%s id=%s lang=%s", h.DefaultNS, h.Attr("from"), h.Attr("id"), langOf(h))}
	for {
		e, err := x.Next()
		if err != nil {
			return out, err
		}
		out = append(out, dump(e))
	}
}

func langOf(h *Header) string {
	for _, a := range h.Attrs {
		if a.Name == (Name{Space: NSXML, Local: "lang"}) {
			return a.Value
		}
	}
	return ""
}

func TestReadStream(t *testing.T) {
	got, err := readAll(strings.NewReader(openfireStream), Limits{})
	require.ErrorIs(t, err, ErrStreamEnd)
	require.Len(t, got, 4)
	assert.Equal(t, "header ns=jabber:client from=oatest.dgcb.com.cn id=36ebm4blnf lang=en", got[0])
	assert.Equal(t, `<{http://etherx.jabber.org/streams}features>`+
		`<{urn:ietf:params:xml:ns:xmpp-tls}starttls></starttls>`+
		`<{urn:ietf:params:xml:ns:xmpp-sasl}mechanisms><{urn:ietf:params:xml:ns:xmpp-sasl}mechanism>"PLAIN"</mechanism>`+
		`<{urn:ietf:params:xml:ns:xmpp-sasl}mechanism>"SCRAM-SHA-1"</mechanism></mechanisms>`+
		`<{urn:xmpp:features:rosterver}ver></ver></features>`, got[1])
	assert.Equal(t, `<{jabber:client}message {}from="903e652d2334628a@oatest.dgcb.com.cn/phone" {}id="Bw4c9-4" {}to="8049a646c63e65e8@oatest.dgcb.com.cn" {}type="chat">`+
		`<{jabber:client}body>"{\"fromName\":\"郑西风\",\"textContent\":\"你好 & <b>\"}"</body>`+
		`<{urn:xmpp:receipts}request></request>`+
		`<{icitic:msg:single}send {}time="2018-10-19 16:08:21:999"></send></message>`, got[2])
	assert.Contains(t, got[3], `<{http://jabber.org/protocol/caps}c {}hash="sha-1"`)
}

// A stanza split across reads at any byte boundary decodes the same.
func TestSplitReads(t *testing.T) {
	want, err := readAll(strings.NewReader(openfireStream), Limits{})
	require.ErrorIs(t, err, ErrStreamEnd)

	got, err := readAll(iotest.OneByteReader(strings.NewReader(openfireStream)), Limits{})
	require.ErrorIs(t, err, ErrStreamEnd)
	assert.Equal(t, want, got, "one byte per read")

	for cut := 1; cut < len(openfireStream); cut++ {
		r := io.MultiReader(strings.NewReader(openfireStream[:cut]), strings.NewReader(openfireStream[cut:]))
		got, err := readAll(r, Limits{})
		if !errors.Is(err, ErrStreamEnd) || !assert.ObjectsAreEqual(want, got) {
			t.Fatalf("split at %d: %v\n%q", cut, err, got)
		}
	}
}

const header = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`

// readOne reads the header and one element.
func readOne(s string, limits Limits) (*Element, error) {
	x := NewReader(strings.NewReader(header+s), limits)
	if _, err := x.Header(); err != nil {
		return nil, err
	}
	return x.Next()
}

func TestContent(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"predefined entities", `<m>&lt;&gt;&amp;&apos;&quot;</m>`, `<{jabber:client}m>"<>&'\""</m>`},
		{"character references", `<m>&#65;&#x42;&#x1F600;</m>`, `<{jabber:client}m>"AB😀"</m>`},
		{"CDATA", `<m><![CDATA[<b>&amp;</b>]]></m>`, `<{jabber:client}m>"<b>&amp;</b>"</m>`},
		{"CDATA with brackets", `<m><![CDATA[a]]]]><![CDATA[>b]]></m>`, `<{jabber:client}m>"a]]>b"</m>`},
		{"text and CDATA are one piece", `<m>x<![CDATA[y]]>z</m>`, `<{jabber:client}m>"xyz"</m>`},
		{"newlines normalised", "<m>a\r\nb\rc</m>", `<{jabber:client}m>"a\nb\nc"</m>`},
		{"attribute white space normalised", "<m a='x\ty\nz\r\nw'/>", `<{jabber:client}m {}a="x y z w"></m>`},
		{"attribute entities", `<m a="&lt;&#x26;&quot;"/>`, `<{jabber:client}m {}a="<&\""></m>`},
		{"prefixed element", `<m><p:x xmlns:p='urn:p' p:a='1' b='2'/></m>`, `<{jabber:client}m><{urn:p}x {urn:p}a="1" {}b="2"></x></m>`},
		{"default namespace override and restore", `<m><x xmlns='urn:x'><y/></x><z/></m>`, `<{jabber:client}m><{urn:x}x><{urn:x}y></y></x><{jabber:client}z></z></m>`},
		{"xml:lang", `<m xml:lang='de'><body xml:lang='fr'>x</body></m>`, `<{jabber:client}m {http://www.w3.org/XML/1998/namespace}lang="de"><{jabber:client}body {http://www.w3.org/XML/1998/namespace}lang="fr">"x"</body></m>`},
		{"stream prefix from the header", `<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`, `<{http://etherx.jabber.org/streams}error><{urn:ietf:params:xml:ns:xmpp-streams}conflict></conflict></error>`},
		{"white space in tags", "<m  a = 'b' ></m >", `<{jabber:client}m {}a="b"></m>`},
		{"'>' in attribute and text", `<m a='>'>></m>`, `<{jabber:client}m {}a=">">">"</m>`},
		{"non-ASCII names", `<méssage/>`, `<{jabber:client}méssage></méssage>`},
		{"two-, three- and four-byte characters", `<m a='é你'>é你😀</m>`, `<{jabber:client}m {}a="é你">"é你😀"</m>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := readOne(tc.in, Limits{})
			require.NoError(t, err)
			assert.Equal(t, tc.want, dump(e))
			assert.Equal(t, tc.in, e.Raw)

			// Split at any byte, the same element, without waiting for
			// input after it.
			for cut := range len(tc.in) {
				var after afterEnd
				x := NewReader(io.MultiReader(strings.NewReader(header+tc.in[:cut]), strings.NewReader(tc.in[cut:]), &after), Limits{})
				_, err := x.Header()
				require.NoError(t, err)
				e, err := x.Next()
				require.NoError(t, err, "split at %d", cut)
				assert.Equal(t, tc.want, dump(e), "split at %d", cut)
				assert.False(t, bool(after), "split at %d: read past the element", cut)
			}
		})
	}
}

// Each construct RFC 6120 section 11.1 forbids, and each way of not being
// well-formed, ends the stream with the right condition.
func TestRefused(t *testing.T) {
	cases := []struct {
		name, in string
		want     Condition
	}{
		{"comment in an element", `<m><!-- hi --></m>`, RestrictedXML},
		{"comment between elements", `<!-- hi --><m/>`, RestrictedXML},
		{"DOCTYPE", `<!DOCTYPE m><m/>`, RestrictedXML},
		{"internal subset entity", `<!ENTITY x "y"><m/>`, RestrictedXML},
		{"processing instruction in an element", `<m><?php x?></m>`, RestrictedXML},
		{"processing instruction between elements", `<?xml version='1.0'?><m/>`, RestrictedXML},
		{"undeclared entity", `<m>&nbsp;</m>`, RestrictedXML},
		{"undeclared entity in an attribute", `<m a='&x;'/>`, RestrictedXML},
		{"mismatched end tag", `<m><a></b></m>`, NotWellFormed},
		{"end tag without start", `<m></a></m>`, NotWellFormed},
		{"duplicate attribute", `<m a='1' a='2'/>`, NotWellFormed},
		{"duplicate attribute after resolution", `<m xmlns:p='urn:x' xmlns:q='urn:x' p:a='1' q:a='2'/>`, NotWellFormed},
		{"unquoted attribute", `<m a=1/>`, NotWellFormed},
		{"attribute without value", `<m a/>`, NotWellFormed},
		{"'<' in attribute value", `<m a='<'/>`, NotWellFormed},
		{"attributes not separated", `<m a='1'b='2'/>`, NotWellFormed},
		{"unbound prefix", `<p:m/>`, NotWellFormed},
		{"unbound attribute prefix", `<m p:a='1'/>`, NotWellFormed},
		{"empty prefix declaration", `<m xmlns:p=''/>`, NotWellFormed},
		{"invalid UTF-8 in text", "<m>\xff</m>", NotWellFormed},
		{"cut two-byte sequence", "<m>\xc3</m>", NotWellFormed},
		{"cut three-byte sequence", "<m>\xe4\xbd</m>", NotWellFormed},
		{"overlong sequence", "<m>\xc0\xaf</m>", NotWellFormed},
		{"invalid UTF-8 in attribute", "<m a='\xc3'/>", NotWellFormed},
		{"surrogate encoded in UTF-8", "<m>\xed\xa0\x80</m>", NotWellFormed},
		{"control character", "<m>\x01</m>", NotWellFormed},
		{"NUL", "<m>\x00</m>", NotWellFormed},
		{"U+FFFE", "<m>\uFFFE</m>", NotWellFormed},
		{"reference to NUL", `<m>&#0;</m>`, NotWellFormed},
		{"reference to a surrogate", `<m>&#xD800;</m>`, NotWellFormed},
		{"reference out of range", `<m>&#x110000;</m>`, NotWellFormed},
		{"bad reference", `<m>&#xZZ;</m>`, NotWellFormed},
		{"'&' alone", `<m>a & b</m>`, NotWellFormed},
		{"']]>' in text", `<m>]]></m>`, NotWellFormed},
		{"text at the top level", `hello<m/>`, NotWellFormed},
		{"CDATA at the top level", `<![CDATA[x]]>`, NotWellFormed},
		{"bad name", `<1m/>`, NotWellFormed},
		{"'<' in a tag", `<m <a/>`, NotWellFormed},
		{"end tag at the top level", `</m>`, NotWellFormed},
		{"local name starting with a digit (fuzz)", `<p:0 xmlns:p='x'/>`, NotWellFormed},
		{"declared prefix with a colon (fuzz)", `<A xmlns::0='0'/>`, NotWellFormed},
		{"declared prefix starting with a digit", `<m xmlns:0p='urn:p'/>`, NotWellFormed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readOne(tc.in, Limits{})
			var xe *Error
			require.ErrorAs(t, err, &xe, "got %v", err)
			assert.Equal(t, tc.want, xe.Condition, "%v", err)

			// Split at any byte, the same refusal, and without waiting
			// for input after the refused bytes: the reader reads more
			// only when what it holds cannot be judged yet.
			for cut := range len(tc.in) {
				var after afterEnd
				x := NewReader(io.MultiReader(strings.NewReader(header+tc.in[:cut]), strings.NewReader(tc.in[cut:]), &after), Limits{})
				_, err := x.Header()
				require.NoError(t, err)
				_, err = x.Next()
				require.ErrorAs(t, err, &xe, "split at %d: got %v", cut, err)
				assert.Equal(t, tc.want, xe.Condition, "split at %d: %v", cut, err)
				assert.False(t, bool(after), "split at %d: read past the refused bytes", cut)
			}
		})
	}
}

// afterEnd is the input after the end of a test's bytes: it records that
// the reader asked for more, as a peer that sent nothing more would leave
// it waiting.
type afterEnd bool

func (a *afterEnd) Read([]byte) (int, error) {
	*a = true
	return 0, io.EOF
}

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Condition
	}{
		{"wrong element", `<features xmlns='jabber:client'>`, BadFormat},
		{"stream in the content namespace", `<stream xmlns='jabber:client'>`, InvalidNamespace},
		{"wrong namespace", `<stream:stream xmlns:stream='urn:wrong'>`, InvalidNamespace},
		{"self-closed", `<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>`, BadFormat},
		{"XML 1.1", `<?xml version='1.1'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`, BadFormat},
		{"UTF-16", `<?xml version='1.0' encoding='UTF-16'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`, BadFormat},
		{"other processing instruction", `<?php?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`, RestrictedXML},
		{"DOCTYPE", `<!DOCTYPE x><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`, RestrictedXML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.in), Limits{}).Header()
			var xe *Error
			require.ErrorAs(t, err, &xe, "got %v", err)
			assert.Equal(t, tc.want, xe.Condition, "%v", err)
		})
	}
	// Another prefix for the stream namespace works, and its end tag too.
	// Raw keeps the header as written, declarations included, and End
	// the end tag that matches it.
	const header = "<s:stream xmlns:s='http://etherx.jabber.org/streams'\n xmlns='jabber:client' xmlns:sm='urn:xmpp:sm:3'>"
	x := NewReader(strings.NewReader(`<?xml version='1.0'?>`+header+`<s:features/></s:stream>`), Limits{})
	h, err := x.Header()
	require.NoError(t, err)
	assert.Equal(t, header, h.Raw)
	assert.Equal(t, "</s:stream>", h.End())
	assert.Equal(t, "</stream:stream>", new(Header).End())
	e, err := x.Next()
	require.NoError(t, err)
	assert.Equal(t, Name{Space: NSStream, Local: "features"}, e.Tokens[0].Name)
	_, err = x.Next()
	assert.ErrorIs(t, err, ErrStreamEnd)
}

func TestLimits(t *testing.T) {
	limits := Limits{MaxElementSize: 1000, MaxDepth: 4, MaxAttrs: 3}
	for _, tc := range []struct{ name, in string }{
		{"element too large", "<m>" + strings.Repeat("a", 1000) + "</m>"},
		{"element too large, in a tag", "<m a='" + strings.Repeat("a", 2000)},
		{"too deep", "<a><b><c><d><e/></d></c></b></a>"},
		{"too many attributes", "<m a='1' b='2' c='3' d='4'/>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readOne(tc.in, limits)
			var xe *Error
			require.ErrorAs(t, err, &xe, "got %v", err)
			assert.Equal(t, PolicyViolation, xe.Condition, "%v", err)
		})
	}
	_, err := readOne("<a><b><c><d/></c></b></a>", limits)
	assert.NoError(t, err, "at the depth limit")

	// An endless element, however it arrives, stops at the limit with a
	// bounded buffer.
	x := NewReader(io.MultiReader(strings.NewReader(header+"<m>"), endless('a')), limits)
	_, err = x.Header()
	require.NoError(t, err)
	_, err = x.Next()
	var xe *Error
	require.ErrorAs(t, err, &xe)
	assert.Equal(t, PolicyViolation, xe.Condition)
	assert.LessOrEqual(t, len(x.buf), limits.MaxElementSize+readChunk)

	// Endless whitespace keepalives are fine and do not grow the buffer.
	x = NewReader(io.MultiReader(strings.NewReader(header), io.LimitReader(endless(' '), 10<<20), strings.NewReader("<m/>")), limits)
	_, err = x.Header()
	require.NoError(t, err)
	e, err := x.Next()
	require.NoError(t, err)
	assert.Equal(t, "m", e.Tokens[0].Name.Local)
	assert.Equal(t, readChunk, len(x.buf))
}

type endless byte

func (b endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestTruncatedStream(t *testing.T) {
	_, err := readOne("<m><body>hel", Limits{})
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// twoHundred is a stream of 200 messages, each with a namespace of its
// own, an entity and a text without one.
func twoHundred() string {
	var in strings.Builder
	in.WriteString(header)
	for i := range 200 {
		fmt.Fprintf(&in, `<message xmlns:x='urn:x%d' id='m%d' x:a='v%d'><body>text %d &amp; more</body><x:e>plain %d</x:e></message>`, i, i, i, i, i)
	}
	return in.String()
}

// Strings from an element stay valid after later reads reuse the buffer:
// the fast path parses in place and must move every string it keeps to
// the element's own copy.
func TestStringsOutliveTheBuffer(t *testing.T) {
	x := NewReader(strings.NewReader(twoHundred()), Limits{})
	_, err := x.Header()
	require.NoError(t, err)
	var kept []string
	for range 200 {
		e, err := x.Next()
		require.NoError(t, err)
		var b strings.Builder
		for i := range e.Tokens {
			tok := &e.Tokens[i]
			b.WriteString(tok.Name.Space + "|" + tok.Name.Local + "|" + tok.Text + "|")
			for _, a := range e.TokenAttrs(tok) {
				b.WriteString(a.Name.Space + "|" + a.Name.Local + "=" + a.Value + "|")
			}
		}
		kept = append(kept, b.String(), e.Raw) // the dump is a copy; Raw is the element's own
		// Keep the element's own strings too, to check after later reads.
		kept = append(kept, e.Tokens[0].Name.Local+e.Attrs[len(e.Attrs)-1].Value)
	}
	for i := 0; i < len(kept); i += 3 {
		n := i / 3
		assert.Contains(t, kept[i], fmt.Sprintf("urn:x%d|e||", n))
		assert.Contains(t, kept[i], fmt.Sprintf("|text %d & more|", n))
		assert.Contains(t, kept[i+1], fmt.Sprintf("<message xmlns:x='urn:x%d' id='m%d'", n, n))
		assert.Equal(t, fmt.Sprintf("messagev%d", n), kept[i+2])
	}
}

// A Reader that lends returns elements parsed in place that point into
// its buffer: their strings are the buffer's (texts whose entities were
// replaced too, in the room past its length; not the header's
// namespaces) until Keep makes them the element's own,
// which then outlive the buffer as any Reader's do. An element that
// waited for more input is its own already.
func TestLend(t *testing.T) {
	for _, lend := range []bool{true, false} {
		x := NewReader(strings.NewReader(twoHundred()), Limits{})
		x.Lend(lend)
		_, err := x.Header()
		require.NoError(t, err)
		var kept []string
		lent := 0
		for i := range 200 {
			e, err := x.Next()
			require.NoError(t, err)
			if e.Lent() {
				lent++
				assert.True(t, e.Borrows(e.Raw), "Raw")
				assert.True(t, e.Borrows(e.Attrs[0].Value), "an attribute value")
				assert.True(t, e.Borrows(e.Tokens[4].Name.Space), "a namespace declared in the element")
				assert.False(t, e.Borrows(e.Tokens[0].Name.Space), "the header's namespace")
				assert.True(t, e.Borrows(e.Tokens[2].Text), "a text with an entity replaced, in the buffer's room")
				assert.False(t, e.Borrows(strings.Clone(e.Raw)), "a copy")
			} else {
				assert.False(t, borrowsAny(e))
			}
			want := dump(e)
			e.Keep()
			assert.False(t, e.Lent())
			assert.False(t, borrowsAny(e))
			assert.Equal(t, want, dump(e))
			assert.Equal(t, fmt.Sprintf("plain %d", i), e.Tokens[5].Text)
			kept = append(kept, e.Raw, e.Tokens[5].Text, e.Attrs[1].Value, e.Tokens[2].Text)
		}
		if lend {
			assert.Greater(t, lent, 150, "elements parsed in place")
		} else {
			assert.Zero(t, lent)
		}
		for i := range 200 {
			assert.Contains(t, kept[4*i], fmt.Sprintf("<message xmlns:x='urn:x%d' id='m%d'", i, i))
			assert.Equal(t, fmt.Sprintf("plain %d", i), kept[4*i+1])
			assert.Equal(t, fmt.Sprintf("v%d", i), kept[4*i+2])
			assert.Equal(t, fmt.Sprintf("text %d & more", i), kept[4*i+3])
		}
	}
}

// pieces hands out one piece per Read, as a socket delivers one stanza at
// a time, and records the size of each Read's buffer.
type pieces struct {
	parts []string
	sizes []int
}

func (p *pieces) Read(b []byte) (int, error) {
	p.sizes = append(p.sizes, len(b))
	if len(p.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.parts[0])
	p.parts[0] = p.parts[0][n:]
	if p.parts[0] == "" {
		p.parts = p.parts[1:]
	}
	return n, nil
}

// TestReleaseWhenIdle: an idle Reader waits for the peer with a small
// read and no buffer, reads the same elements as one that keeps its
// buffer, and what it returned stays intact when its old buffer is reused
// by another Reader.
func TestReleaseWhenIdle(t *testing.T) {
	parts := []string{header}
	for i := range 50 {
		parts = append(parts, fmt.Sprintf("<message id='m%d'><body>text %d &amp; more</body></message>", i, i), " ")
	}
	src := &pieces{parts: slices.Clone(parts)}
	x := NewReader(src, Limits{})
	x.ReleaseWhenIdle()
	_, err := x.Header()
	require.NoError(t, err)
	var kept []string
	for range 50 {
		e, err := x.Next()
		require.NoError(t, err)
		kept = append(kept, e.Raw, e.Attrs[0].Value, e.Tokens[2].Text)
		// Another Reader takes the pooled buffer and writes over it.
		other := NewReader(strings.NewReader(header+strings.Repeat("<x/>", 4000)), Limits{})
		other.ReleaseWhenIdle()
		_, err = other.Header()
		require.NoError(t, err)
		for range 4000 {
			_, err := other.Next()
			require.NoError(t, err)
		}
	}
	for i := range 50 {
		assert.Equal(t, fmt.Sprintf("<message id='m%d'><body>text %d &amp; more</body></message>", i, i), kept[3*i])
		assert.Equal(t, fmt.Sprintf("m%d", i), kept[3*i+1])
		assert.Equal(t, fmt.Sprintf("text %d & more", i), kept[3*i+2])
	}
	assert.Contains(t, src.sizes, idleRead, "an idle Reader reads a few bytes at a time")
	_, err = x.Next()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// A flood of white space costs an idle Reader what other input costs:
// full-size reads, and no trip through the pools per byte.
func TestWhitespaceFlood(t *testing.T) {
	for _, tc := range []struct {
		name          string
		size, perRead int
	}{
		// A source with a backlog: the flood comes in full-size reads.
		{"backlog", 1 << 20, 64 << 10},
		// One byte per Read: a read per byte is unavoidable, but each
		// is a keepalive dropped without taking a buffer.
		{"one byte per read", 64 << 10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := header + strings.Repeat(" \r\n\t", tc.size/4) + "<m/>"
			// Reads as large as the source or the buffer allows, with a
			// small read before each when the Reader waited idle.
			maxReads := 2 * (len(in)/min(tc.perRead, readChunk) + 1)
			src := &dribble{parts: []string{in}, max: tc.perRead}
			read := func() {
				src.reset()
				x := NewReader(src, Limits{})
				x.ReleaseWhenIdle()
				if _, err := x.Header(); err != nil {
					t.Fatal(err)
				}
				e, err := x.Next()
				if err != nil || e.Raw != "<m/>" {
					t.Fatalf("read %v, %v", e, err)
				}
				if x.Offset() != int64(len(in)) {
					t.Errorf("offset %d after the element, want %d", x.Offset(), len(in))
				}
			}
			// The allocations of one read: the Reader, its buffer, the
			// element; a few more when the pools were emptied.
			if allocs := testing.AllocsPerRun(1, read); allocs > 100 {
				t.Errorf("%d bytes of white space took %.0f allocations", tc.size, allocs)
			}
			if src.reads > maxReads {
				t.Errorf("%d bytes of white space took %d reads, want at most %d", tc.size, src.reads, maxReads)
			}
		})
	}
}

// observed serves one part per Read and notes, for each part, whether the
// Reader held a read buffer when it asked for the part's first bytes.
type observed struct {
	dribble
	x     *Reader
	noBuf []bool
}

func (o *observed) Read(p []byte) (int, error) {
	if o.next < len(o.parts) && o.off == 0 {
		o.noBuf = append(o.noBuf, o.x.buf == nil)
	}
	return o.dribble.Read(p)
}

// Lone keepalives leave an idle Reader without a buffer; a flood of white
// space is read in full, then the Reader lets the buffer go again.
func TestKeepalivesHoldNoBuffer(t *testing.T) {
	flood := strings.Repeat(" ", 1<<20)
	parts := []string{header, "<a/>", " ", "\n", "\r\n", " \t ", "\n\n\n\n\n", "<b/>", flood, "<c/>"}
	x := NewReader(nil, Limits{})
	src := &observed{dribble: dribble{parts: parts, max: len(flood)}, x: x}
	x.r = src
	x.ReleaseWhenIdle()
	_, err := x.Header()
	require.NoError(t, err)
	for _, want := range []string{"<a/>", "<b/>", "<c/>"} {
		e, err := x.Next()
		require.NoError(t, err)
		require.Equal(t, want, e.Raw)
	}
	require.Len(t, src.noBuf, len(parts))
	for i, p := range parts {
		assert.True(t, src.noBuf[i], "the Reader held a buffer while it waited for %.10q", p)
	}
	assert.Less(t, src.reads, 2*len(flood)/readChunk, "reads")
	_, err = x.Next()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Nil(t, x.buf, "a Reader that met the end holds no buffer")
}

// An idle Reader's wait costs no allocation class more than it had:
// r.small lives in what was the Reader's padding.
func TestReaderSize(t *testing.T) {
	if size := unsafe.Sizeof(Reader{}); size > 320 {
		t.Errorf("a Reader is %d bytes, more than its 320-byte allocation class", size)
	}
}

// A flood of small elements that keeps every read full is read in
// floodRead pieces, not readChunk ones; a dribble of the same elements
// leaves the buffer at readChunk.
func TestFloodReadsLarger(t *testing.T) {
	var in strings.Builder
	in.WriteString(header)
	n := 0
	for in.Len() < 1<<20 {
		fmt.Fprintf(&in, "<message id='m%d'><body>text %d &amp; more</body></message>", n, n)
		n++
	}
	for _, tc := range []struct {
		name     string
		perRead  int
		maxReads int
		buf      int
	}{
		{"flood", 1 << 20, in.Len()/floodRead + 3, floodRead},
		{"dribble", 100, in.Len()/100 + 2, readChunk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &dribble{parts: []string{in.String()}, max: tc.perRead}
			x := NewReader(src, Limits{})
			_, err := x.Header()
			require.NoError(t, err)
			for i := range n {
				e, err := x.Next()
				require.NoError(t, err)
				require.Equal(t, fmt.Sprintf("m%d", i), e.Attrs[0].Value)
			}
			assert.LessOrEqual(t, src.reads, tc.maxReads, "reads")
			assert.Equal(t, tc.buf, len(x.buf), "buffer")
		})
	}
}

// Reads counts the reads from the source: an element already buffered
// costs none, one still to come costs one.
func TestReads(t *testing.T) {
	src := &dribble{parts: []string{header + "<a/><b/>", "<c/>"}, max: 1 << 20}
	x := NewReader(src, Limits{})
	_, err := x.Header()
	require.NoError(t, err)
	n := x.Reads()
	assert.Equal(t, uint32(src.reads), n)
	for _, want := range []struct {
		raw   string
		reads uint32
	}{{"<a/>", 0}, {"<b/>", 0}, {"<c/>", 1}} {
		e, err := x.Next()
		require.NoError(t, err)
		require.Equal(t, want.raw, e.Raw)
		assert.Equal(t, n+want.reads, x.Reads(), want.raw)
		n = x.Reads()
	}
	assert.Equal(t, uint32(src.reads), x.Reads())
}

// Limits too large for the parser's 32 bits are the largest it holds,
// not a wrapped-round negative that would turn them off.
func TestHugeLimits(t *testing.T) {
	l := Limits{MaxDepth: math.MaxInt, MaxAttrs: math.MaxInt}.withDefaults()
	assert.Equal(t, math.MaxInt32, l.MaxDepth)
	assert.Equal(t, math.MaxInt32, l.MaxAttrs)
}

// Buffered returns the elements that are whole in what was read, without
// reading, and nil at an element still cut by the end of the input; Next
// then reads on, and the elements come in order either way.
func TestBuffered(t *testing.T) {
	src := &dribble{parts: []string{header + "<a/> <b>x</b>\n<c", "/><d/>"}, max: 1 << 20}
	x := NewReader(src, Limits{})
	_, err := x.Header()
	require.NoError(t, err)
	var got []string
	for _, want := range []string{"<a/>", "<b>x</b>"} {
		e := x.Buffered()
		require.NotNil(t, e, want)
		got = append(got, e.Raw)
	}
	reads := x.Reads()
	assert.Nil(t, x.Buffered(), "<c cut")
	assert.Equal(t, reads, x.Reads(), "Buffered read")
	e, err := x.Next()
	require.NoError(t, err)
	got = append(got, e.Raw)
	e = x.Buffered()
	require.NotNil(t, e)
	got = append(got, e.Raw)
	assert.Equal(t, []string{"<a/>", "<b>x</b>", "<c/>", "<d/>"}, got)
	assert.Nil(t, x.Buffered(), "nothing left")
	_, err = x.Next()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// Texts that do not fit in the room past the read buffer's length are
// made apart, and the ones after them still go to the room.
func TestTextsPastTheRoom(t *testing.T) {
	big := strings.Repeat("x&amp;", textRoom/2)
	in := header + "<message a='1&amp;2'><body>" + big + "</body><b>&lt;3</b></message>"
	for _, lend := range []bool{true, false} {
		x := NewReader(strings.NewReader(in), Limits{})
		x.Lend(lend)
		_, err := x.Header()
		require.NoError(t, err)
		e, err := x.Next()
		require.NoError(t, err)
		assert.Equal(t, lend, e.Lent())
		assert.Equal(t, lend, e.Borrows(e.Attrs[0].Value), "the attribute, in the room")
		assert.False(t, e.Borrows(e.Tokens[2].Text), "the large text, apart")
		assert.Equal(t, lend, e.Borrows(e.Tokens[5].Text), "the text after it, in the room")
		e.Keep()
		assert.False(t, borrowsAny(e))
		assert.Equal(t, "1&2", e.Attrs[0].Value)
		assert.Equal(t, strings.Repeat("x&", textRoom/2), e.Tokens[2].Text)
		assert.Equal(t, "<3", e.Tokens[5].Text)
	}
}
