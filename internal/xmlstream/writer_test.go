package xmlstream

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendText(t *testing.T) {
	for _, tc := range []struct{ in, text, attr string }{
		{"plain", "plain", "plain"},
		{"a&b<c>d", "a&amp;b&lt;c&gt;d", "a&amp;b&lt;c&gt;d"},
		{"x]]>y", "x]]&gt;y", "x]]&gt;y"},
		{"it's \"q\"", "it's \"q\"", "it&apos;s \"q\""},
		{"l1\nl2\tt\r\n", "l1\nl2\tt&#xD;\n", "l1&#xA;l2&#x9;t&#xD;&#xA;"},
		{"你好 😀", "你好 😀", "你好 😀"},
	} {
		got, err := AppendText(nil, tc.in)
		require.NoError(t, err)
		assert.Equal(t, tc.text, string(got))
		got, err = AppendAttr(nil, tc.in)
		require.NoError(t, err)
		assert.Equal(t, tc.attr, string(got))
	}
	for _, bad := range []string{"\x00", "a\x01b", "\xff", "\uFFFE", "\xed\xa0\x80"} {
		_, err := AppendText(nil, bad)
		assert.ErrorIs(t, err, ErrUnencodable, "%q", bad)
		_, err = AppendAttr(nil, bad)
		assert.ErrorIs(t, err, ErrUnencodable, "%q", bad)
	}
}

func TestEncoder(t *testing.T) {
	e := Encoder{Inherited: "jabber:client", StreamPrefix: true}
	e.Start(Name{Space: "jabber:client", Local: "message"}, Attr{Name: Name{Space: "", Local: "to"}, Value: "a@b"}, Attr{Name: Name{Space: NSXML, Local: "lang"}, Value: "en"})
	e.Start(Name{Space: "jabber:client", Local: "body"})
	e.Text("1 < 2 & 'x'")
	e.End()
	e.Start(Name{Space: "urn:xmpp:receipts", Local: "request"})
	e.End()
	e.Start(Name{Space: "urn:x", Local: "ext"}, Attr{Name: Name{Space: "urn:y", Local: "a"}, Value: "v"})
	e.Start(Name{Space: "urn:x", Local: "child"})
	e.End()
	e.End()
	e.End()
	b, err := e.Bytes()
	require.NoError(t, err)
	assert.Equal(t, `<message to='a@b' xml:lang='en'><body>1 &lt; 2 &amp; 'x'</body><request xmlns='urn:xmpp:receipts'/><ext xmlns='urn:x' xmlns:ns1='urn:y' ns1:a='v'><child/></ext></message>`, string(b))

	e = Encoder{} // a WebSocket: every top-level element declares its namespace
	e.Start(Name{Space: "jabber:client", Local: "presence"})
	e.End()
	b, err = e.Bytes()
	require.NoError(t, err)
	assert.Equal(t, `<presence xmlns='jabber:client'/>`, string(b))

	e.Reset()
	e.Start(Name{Space: "jabber:client", Local: "message"})
	e.Text("\x00")
	e.End()
	_, err = e.Bytes()
	assert.ErrorIs(t, err, ErrUnencodable)

	e.Reset()
	e.Start(Name{Space: "jabber:client", Local: "message"})
	_, err = e.Bytes()
	assert.Error(t, err, "an open element is an error")
}

// TestEncoderNames: a name that is not an XML name without a colon is an
// error, and no markup of it reaches the output: a name taken from user
// input (a vCard's type flag, an extension's name) cannot end the
// element it is in and write a stanza of its own.
func TestEncoderNames(t *testing.T) {
	inject := "HOME/></EMAIL></vCard></iq><message to='x@y'><body>injected</body></message><x"
	for _, name := range []string{inject, "", "a:b", "1st", "-x", ".x", "a b", "a>b", "a\x00", "\u00d7"} {
		for _, asAttr := range []bool{false, true} {
			var e Encoder
			e.Start(Name{Space: "jabber:client", Local: "message"})
			if asAttr {
				e.Start(Name{Space: "urn:x", Local: "ext"}, Attr{Name: Name{Local: name}, Value: "v"})
			} else {
				e.Start(Name{Space: "urn:x", Local: name})
			}
			e.End()
			e.End()
			b, err := e.Bytes()
			assert.Error(t, err, "%q (attribute %v)", name, asAttr)
			assert.NotContains(t, string(b), "injected")
		}
	}
	// Names the reader takes are written: letters of any script, digits
	// and marks after the first, '-', '_' and '.'.
	for _, name := range []string{"x", "_x", "a-b.c_d9", "élément", "名前", "stream"} {
		var e Encoder
		e.Start(Name{Space: "urn:x", Local: name}, Attr{Name: Name{Local: name}, Value: "v"})
		e.End()
		_, err := e.Bytes()
		assert.NoError(t, err, "%q", name)
	}
}

// Whatever the reader accepts, the encoder writes back to something the
// reader decodes to the same tokens: unknown extensions survive a round
// trip.
func TestRoundTrip(t *testing.T) {
	for _, in := range []string{
		`<message to='a@b' type='chat' xml:lang='en'><body>hi &amp; &lt;bye&gt;</body><x xmlns='urn:x' xmlns:p='urn:p' p:attr='1' plain='2'><p:deep><q>text</q></p:deep><![CDATA[<raw>]]></x></message>`,
		`<iq type='result' id='1'><query xmlns='jabber:iq:roster' ver='3'><item jid='a@b' name='A &apos;B&apos;'><group>Friends</group></item></query></iq>`,
		"<m a='x&#xA;y&#x9;z&#xD;'>line1\r\nline2&#xD;</m>",
		`<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>bye</text></stream:error>`,
	} {
		first, err := readOne(in, Limits{})
		require.NoError(t, err, in)
		want := dump(first)
		e := Encoder{Inherited: "jabber:client", StreamPrefix: true}
		e.Element(first)
		out, err := e.Bytes()
		require.NoError(t, err)
		second, err := readOne(string(out), Limits{})
		require.NoError(t, err, string(out))
		assert.Equal(t, want, dump(second), "written as %s", out)
		assert.False(t, strings.Contains(string(out), "xmlns='jabber:client'"), "no redundant declaration: %s", out)
	}
}
