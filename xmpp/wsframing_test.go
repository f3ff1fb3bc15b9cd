package xmpp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func frameAll(t *testing.T, b string) []string {
	t.Helper()
	var out []string
	require.NoError(t, frameOut([]byte(b), func(parts ...[]byte) error {
		out = append(out, string(bytes.Join(parts, nil)))
		return nil
	}))
	return out
}

// TestFrameOut: what the stream writes, as the messages RFC 7395 wants.
func TestFrameOut(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"header", `<?xml version='1.0'?><stream:stream to='example.com' from='a@example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
			[]string{`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' from='a@example.com' version='1.0' xml:lang='en'/>`}},
		{"header and pipelined auth", `<?xml version='1.0'?><stream:stream to='x' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AA==</auth>`,
			[]string{`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='x' version='1.0'/>`, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AA==</auth>`}},
		{"end with an ack request", `<r xmlns='urn:xmpp:sm:3'/></stream:stream>`,
			[]string{`<r xmlns='urn:xmpp:sm:3'/>`, `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`}},
		{"stanzas in jabber:client", `<message to='b@x' id='1'><body>a &lt; b > c</body></message><presence/><iq type='get' id='2'><ping xmlns='urn:xmpp:ping'/></iq>`,
			[]string{`<message xmlns='jabber:client' to='b@x' id='1'><body>a &lt; b > c</body></message>`, `<presence xmlns='jabber:client'/>`, `<iq xmlns='jabber:client' type='get' id='2'><ping xmlns='urn:xmpp:ping'/></iq>`}},
		{"a stanza in its own namespace stays", `<message xmlns='jabber:client' to='b@x'/>`, []string{`<message xmlns='jabber:client' to='b@x'/>`}},
		{"attribute values with > and quotes", `<message to='b@x' id="a'>b"><body>x</body></message><a xmlns='urn:xmpp:sm:3' h='1'/>`,
			[]string{`<message xmlns='jabber:client' to='b@x' id="a'>b"><body>x</body></message>`, `<a xmlns='urn:xmpp:sm:3' h='1'/>`}},
		{"nested elements of one name", `<iq id='1' type='set'><iq xmlns='x'><iq/></iq></iq>`, []string{`<iq xmlns='jabber:client' id='1' type='set'><iq xmlns='x'><iq/></iq></iq>`}},
		{"stream error", `<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`,
			[]string{`<stream:error xmlns:stream='http://etherx.jabber.org/streams'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`, `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`}},
		{"white space dropped", " \n<presence/>\n ", []string{`<presence xmlns='jabber:client'/>`}},
		{"CDATA", `<message><body><![CDATA[</message>]]></body></message>`, []string{`<message xmlns='jabber:client'><body><![CDATA[</message>]]></body></message>`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, frameAll(t, tc.in))
		})
	}
	require.Error(t, frameOut([]byte(`<message><body>`), func(...[]byte) error { return nil }), "an incomplete element is a bug, not a message")
}

// TestFrameIn: each message as the stream reader reads it.
func TestFrameIn(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		open     bool
		want     string
		opened   bool
	}{
		{"open", `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.com' id='s&amp;1' version='1.0' xml:lang='en'/>`, false,
			`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s&amp;1' version='1.0' xml:lang='en'>`, true},
		{"close", `<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`, true, `</stream:stream>`, false},
		{"see-other-uri", `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='wss://other.example.com/ws'/>`, true,
			`<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>wss://other.example.com/ws</see-other-host></stream:error></stream:stream>`, false},
		{"see-other-uri before any open", `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='wss://o/ws'/>`, false,
			`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>wss://o/ws</see-other-host></stream:error></stream:stream>`, false},
		{"stanza", `<message xmlns='jabber:client' from='a@x'><body>hi</body></message>`, true, `<message xmlns='jabber:client' from='a@x'><body>hi</body></message>`, false},
		{"an open of another namespace", `<open xmlns='urn:example'/>`, true, `<open xmlns='urn:example'/>`, false},
		{"white space alone", " \r\n", true, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, opened, err := frameIn([]byte(tc.in), tc.open)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			assert.Equal(t, tc.opened, opened)
		})
	}
	for _, tc := range []struct{ name, in string }{
		{"part of an element", `<message><body>hel`},
		{"the rest of one", `lo</body></message>`},
		{"two elements", `<a xmlns='urn:xmpp:sm:3' h='1'/><r xmlns='urn:xmpp:sm:3'/>`},
		{"a comment", `<!-- hi --><presence/>`},
		{"a processing instruction", `<?xml version='1.0'?><presence/>`},
		{"text", `hello`},
		{"an unclosed quote", `<presence id='a/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := frameIn([]byte(tc.in), true)
			var xe *xmlstream.Error
			require.ErrorAs(t, err, &xe)
			assert.Contains(t, xe.Msg, "RFC 7395")
		})
	}
}

// FuzzFrameIn checks frameIn on any message: a message it takes is
// passed on unchanged unless it is <open/> or <close/>, and what it
// gives the reader reads, after a stream header, as the same one
// element; or as a stream header (for <open/>) or the stream's end.
func FuzzFrameIn(f *testing.F) {
	for _, s := range []string{
		`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.com' id='1' version='1.0' xml:lang='en'/>`,
		`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='wss://o/ws'/>`,
		`<message xmlns='jabber:client'><body><![CDATA[<]]></body></message>`,
		`<iq xmlns='jabber:client' id="a'>"/>`,
		`<a/><b/>`, `<a>`, ` `, `<!--x--><a/>`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, m []byte, open bool) {
		out, opened, err := frameIn(m, open)
		if err != nil {
			var xe *xmlstream.Error
			if !errors.As(err, &xe) {
				t.Fatalf("an error that ends no stream: %v", err)
			}
			return
		}
		if len(bytes.TrimLeft(m, " \t\r\n")) == 0 {
			if len(out) != 0 {
				t.Fatalf("white space gave %q", out)
			}
			return
		}
		name := tagName(bytes.TrimLeft(m, " \t\r\n"))
		if name != "open" && name != "close" && !bytes.Equal(out, m) {
			t.Fatalf("%q became %q", m, out)
		}
		r := xmlstream.NewReader(bytes.NewReader(out), xmlstream.Limits{})
		if opened || bytes.HasPrefix(out, []byte("<?xml")) {
			if _, err := r.Header(); err != nil {
				t.Fatalf("the header %q: %v", out, err)
			}
		} else {
			r = xmlstream.NewReader(io.MultiReader(strings.NewReader(wsStreamStart+">"), bytes.NewReader(out)), xmlstream.Limits{})
			if _, err := r.Header(); err != nil {
				t.Fatal(err)
			}
		}
		for {
			if _, err := r.Next(); err != nil {
				return // the stream reader says what is wrong with it, as it would of the TCP stream
			}
		}
	})
}

// fakeConn is a net.Conn that reads from r and throws writes away.
type fakeConn struct {
	r io.Reader
	w bytes.Buffer
}

func (c *fakeConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c *fakeConn) Write(p []byte) (int, error)        { return c.w.Write(p) }
func (c *fakeConn) Close() error                       { return nil }
func (c *fakeConn) LocalAddr() net.Addr                { return nil }
func (c *fakeConn) RemoteAddr() net.Addr               { return nil }
func (c *fakeConn) SetDeadline(t time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(t time.Time) error { return nil }

// FuzzWebSocketRead feeds any bytes to a WebSocket as the server's
// frames and reads the stream from them until an error, which must
// come: the input ends. Frames beyond the size limit are refused before
// they are read, so memory stays bounded.
func FuzzWebSocketRead(f *testing.F) {
	frame := func(op byte, fin bool, payload string) []byte {
		b := []byte{op, byte(len(payload))}
		if fin {
			b[0] |= 0x80
		}
		return append(b, payload...)
	}
	open := `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='x' id='1' version='1.0'/>`
	f.Add(append(frame(1, true, open), frame(1, true, `<presence xmlns='jabber:client'/>`)...))
	f.Add(append(append(frame(1, false, "<pres"), frame(9, true, "p")...), frame(0, true, "ence xmlns='jabber:client'/>")...))
	f.Add(append(frame(1, true, open), frame(8, true, "\x03\xe8")...))
	f.Add([]byte{0x81, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		fc := &fakeConn{r: bytes.NewReader(in)}
		w := &wsConn{conn: fc, raw: fc, max: 4096}
		r := xmlstream.NewReader(w, xmlstream.Limits{MaxElementSize: 4096})
		if _, err := r.Header(); err != nil {
			return
		}
		for range len(in) + 1 {
			if _, err := r.Next(); err != nil {
				return
			}
		}
		t.Fatal("more elements than bytes")
	})
}

// FuzzHostMeta feeds any document to the host-meta parsers (XEP-0156):
// they never panic, and return no link with an error.
func FuzzHostMeta(f *testing.F) {
	f.Add([]byte(`<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='urn:xmpp:alt-connections:websocket' href='wss://x/ws'/></XRD>`))
	f.Add([]byte(`{"links":[{"rel":"urn:xmpp:alt-connections:websocket","href":"wss://x/ws"}]}`))
	f.Add([]byte(`<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='urn:xmpp:alt-connections:websocket'/></XRD>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, parse := range []func([]byte) ([]hostMetaLink, error){parseXRD, parseJRD} {
			links, err := parse(doc)
			if err != nil && links != nil {
				t.Fatalf("links %q with an error %v", links, err)
			}
		}
	})
}
