package xmpptest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/gosmack/gosmack/internal/wire"
	"github.com/gosmack/gosmack/internal/xmlstream"
	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixture = "testdata/openfire-login.xmpp"

func TestParseTranscript(t *testing.T) {
	tr := MustLoadTranscript(t, fixture)
	require.Len(t, tr.Steps, 19)
	assert.Equal(t, Client, tr.Steps[0].From)
	assert.Equal(t, Server, tr.Steps[1].From)
	assert.Equal(t, 6, tr.Steps[0].Line)
	assert.True(t, strings.HasPrefix(tr.Steps[1].XML, "<?xml version='1.0'"))
	assert.Contains(t, tr.Steps[1].XML, "</stream:features>", "continuation lines belong to the step")

	_, err := ParseTranscript("bad", strings.NewReader("<iq/>\nC: <x/>"))
	assert.ErrorContains(t, err, "bad:1")
}

// Smack's debugger output, pasted as it is.
func TestParseSmackDebuggerLog(t *testing.T) {
	log := `14:51:02 SENT (0): <iq id='a1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>
14:51:02 RECV (0): <iq id="a1" type="result"
    from="example.com"/>
D/SMACK: SENT (0): <presence/>`
	tr, err := ParseTranscript("smack", strings.NewReader(log))
	require.NoError(t, err)
	require.Len(t, tr.Steps, 3)
	assert.Equal(t, Client, tr.Steps[0].From)
	assert.Equal(t, Server, tr.Steps[1].From)
	assert.Equal(t, "<iq id=\"a1\" type=\"result\"\n    from=\"example.com\"/>", tr.Steps[1].XML)
	assert.Equal(t, Client, tr.Steps[2].From)
}

// readSide reads one side of the fixture as a stream (through r) and
// returns each element decoded: stanzas as stanza values, others as their
// name.
func readSide(t *testing.T, r io.Reader) []any {
	t.Helper()
	x := xmlstream.NewReader(r, xmlstream.Limits{})
	var out []any
	for {
		h, err := x.Header()
		require.NoError(t, err)
		out = append(out, "header from="+h.Attr("from"))
		for {
			el, err := x.Next()
			if errors.Is(err, xmlstream.ErrStreamEnd) {
				return out
			}
			require.NoError(t, err)
			name := el.Tokens[0].Name
			if !wire.IsStanza(el) {
				out = append(out, name.Local)
				if name.Local == "success" {
					break // the stream restarts
				}
				if name.Local == "auth" {
					break // the client waits for success, then restarts
				}
				continue
			}
			s, err := wire.Decode(el)
			require.NoError(t, err, el.Raw)
			out = append(out, s)
		}
	}
}

// The fixture decodes into stanza values, and the same when it arrives one
// byte at a time.
func TestFixtureDecodes(t *testing.T) {
	tr := MustLoadTranscript(t, fixture)
	server := readSide(t, strings.NewReader(tr.Stream(Server)))
	require.Len(t, server, 11)
	assert.Equal(t, []any{"header from=oatest.dgcb.com.cn", "features", "success", "header from=oatest.dgcb.com.cn", "features"}, server[:5])

	bind := server[5].(*stanza.IQ)
	assert.Equal(t, stanza.Result, bind.Type)
	assert.Equal(t, "8049a646c63e65e8@oatest.dgcb.com.cn/phone", bind.Payload.Child("", "jid").InnerText())

	roster := server[6].(*stanza.IQ)
	var items []string
	for _, n := range roster.Payload.Nodes {
		if n.Name.Local == "item" {
			items = append(items, n.Attr("jid")+" "+n.Attr("subscription")+" "+n.Attr("ask")+" "+n.Attr("name"))
		}
	}
	assert.Equal(t, []string{
		"0347a8a25e9074b0@oatest.dgcb.com.cn to  李**",
		"903e652d2334628a@oatest.dgcb.com.cn from  ",
		"28af56d053cbbf3e@oatest.dgcb.com.cn none subscribe ",
	}, items)
	assert.Equal(t, "-491295515", roster.Payload.Attr("ver"))

	presence := server[7].(*stanza.Presence)
	assert.Equal(t, stanza.Available, presence.Type)
	assert.Equal(t, "http://camaya.net/gloox", presence.Extensions[0].Attr("node"))

	ping := server[8].(*stanza.IQ)
	assert.Equal(t, stanza.Get, ping.Type)
	assert.Equal(t, "urn:xmpp:ping", ping.PayloadName().Space)
	assert.Equal(t, jid.MustParse("oatest.dgcb.com.cn"), ping.From)

	receipt := server[9].(*stanza.Message)
	assert.Equal(t, "nCRIE-44", receipt.Extensions[0].Attr("msgId"), "Openfire's receipt form")

	copyBack := server[10].(*stanza.Message)
	assert.Equal(t, "你好，我是包青天", copyBack.Body(""))
	assert.Equal(t, "903e652d2334628a@oatest.dgcb.com.cn", copyBack.Subject(""))

	client := readSide(t, strings.NewReader(tr.Stream(Client)))
	msg := client[len(client)-1].(*stanza.Message)
	assert.Equal(t, stanza.Thread{ID: "6828a752-cfae-4149-9d4d-c8fb83a17175"}, msg.Thread)

	// One byte per read: the same values.
	assert.Equal(t, server, readSide(t, iotest.OneByteReader(strings.NewReader(tr.Stream(Server)))))
	assert.Equal(t, client, readSide(t, iotest.OneByteReader(strings.NewReader(tr.Stream(Client)))))
}

// A client that sends what the transcript says passes the scripted server.
func TestScriptAcceptsTheRecordedClient(t *testing.T) {
	tr := MustLoadTranscript(t, fixture)
	conn := Script(t, tr)
	require.NoError(t, Replay(t, tr, Client, conn))
}

// recorder is a TB that keeps what is reported, to test failures.
type recorder struct {
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Cleanup(f func())                  { r.cleanups = append(r.cleanups, f) }
func (r *recorder) finish() []string {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errors
}

func TestScriptReportsADifference(t *testing.T) {
	tr, err := ParseTranscript("bind.xmpp", strings.NewReader(`C: <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>
S: <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='s1' version='1.0'><stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>
C: <iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>phone</resource></bind></iq>
S: <iq type='result' id='b1'/>`))
	require.NoError(t, err)
	rec := new(recorder)
	conn := Script(rec, tr)
	// Another prefix, attribute order and white space are fine; another
	// resource is not.
	_, err = io.WriteString(conn, `<s:stream version='1.0' to='example.com' xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client'>
  <iq id='b1' type='set'><b:bind xmlns:b='urn:ietf:params:xml:ns:xmpp-bind'><b:resource>laptop</b:resource></b:bind></iq>`)
	require.NoError(t, err)
	// The server closes the connection after the mismatch.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadAll(conn)
	require.NoError(t, err)
	errs := rec.finish()
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "bind.xmpp:3")
	assert.Contains(t, errs[0], `text "laptop" where "phone" was expected`)
	assert.Contains(t, errs[0], "--- transcript")
	assert.Contains(t, errs[0], "+++ client")
}

func TestScriptReportsAnUnfinishedTranscript(t *testing.T) {
	tr, err := ParseTranscript("short.xmpp", strings.NewReader(`C: <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>
S: <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com'>
C: <presence/>`))
	require.NoError(t, err)
	rec := new(recorder)
	conn := Script(rec, tr)
	_, err = io.WriteString(conn, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>`)
	require.NoError(t, err)
	_, err = xmlstream.NewReader(conn, xmlstream.Limits{}).Header()
	require.NoError(t, err)
	errs := rec.finish() // the test ends before the client sent <presence/>
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0], "short.xmpp:3")
}

// Placeholders capture what the client generated and send it back.
func TestPlaceholders(t *testing.T) {
	tr, err := ParseTranscript("ids.xmpp", strings.NewReader(`C: <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' id='{{*}}'>
S: <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='example.com'>
C: <iq type='get' id='{{ping}}'><ping xmlns='urn:xmpp:ping'/></iq>
S: <iq type='result' id='{{ping}}'/>
C: <message id='{{ping}}'><body>{{body}}</body></message>
S: <message><body>echo: {{body}}</body></message>`))
	require.NoError(t, err)
	conn := Script(t, tr)
	_, err = io.WriteString(conn, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' id='whatever'>
<iq type='get' id='x&amp;7'><ping xmlns='urn:xmpp:ping'/></iq><message id='x&amp;7'><body>a &lt;b&gt; "c"</body></message>`)
	require.NoError(t, err)
	x := xmlstream.NewReader(conn, xmlstream.Limits{})
	_, err = x.Header()
	require.NoError(t, err)
	el, err := x.Next()
	require.NoError(t, err)
	s, err := wire.Decode(el)
	require.NoError(t, err)
	assert.Equal(t, "x&7", s.Head().ID, "the captured id, escaped and unescaped again")
	el, err = x.Next()
	require.NoError(t, err)
	s, err = wire.Decode(el)
	require.NoError(t, err)
	assert.Equal(t, `echo: a <b> "c"`, s.(*stanza.Message).Body(""))
}

func TestPipe(t *testing.T) {
	// In a bubble the deadlines use the bubble's clock: no test waits
	// for real time.
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe()
		// Both ends may write before anyone reads.
		_, err := a.Write([]byte("hello"))
		require.NoError(t, err)
		_, err = b.Write([]byte("world"))
		require.NoError(t, err)
		buf := make([]byte, 10)
		n, err := b.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, "hello", string(buf[:n]))

		require.NoError(t, a.SetReadDeadline(time.Now().Add(-time.Second)))
		n, err = a.Read(buf)
		require.NoError(t, err, "buffered data is read before the deadline counts")
		assert.Equal(t, "world", string(buf[:n]))
		_, err = a.Read(buf)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)

		require.NoError(t, a.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
		_, err = a.Read(buf)
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "a deadline wakes a blocked read")

		// Writes never wait, but fail once the write deadline has passed.
		require.NoError(t, a.SetWriteDeadline(time.Now().Add(20*time.Millisecond)))
		_, err = a.Write([]byte("in time"))
		require.NoError(t, err)
		time.Sleep(20 * time.Millisecond)
		_, err = a.Write([]byte("late"))
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		require.NoError(t, a.SetWriteDeadline(time.Time{}))
		n, err = b.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, "in time", string(buf[:n]), "a write refused writes nothing")

		require.NoError(t, b.Close())
		require.NoError(t, a.SetReadDeadline(time.Time{}))
		_, err = a.Read(buf)
		assert.ErrorIs(t, err, io.EOF)
		_, err = a.Write([]byte("x"))
		assert.ErrorIs(t, err, io.ErrClosedPipe)
	})
}

func mustParse(t *testing.T, text string) *Transcript {
	t.Helper()
	tr, err := ParseTranscript(t.Name(), strings.NewReader(text))
	require.NoError(t, err)
	return tr
}

// TestNewConnFailures: a Conn never connected fails the test; so does a
// script not played to its end; the scripted server takes one
// connection.
func TestNewConnFailures(t *testing.T) {
	t.Run("never connected", func(t *testing.T) {
		rec := new(recorder)
		NewConn(rec, jid.MustParse("alice@localhost"), mustParse(t, `C: <presence/>`))
		errs := rec.finish()
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0], "never connected")
	})
	t.Run("not played to the end", func(t *testing.T) {
		rec := new(recorder)
		c := NewConn(rec, jid.MustParse("alice@localhost"), mustParse(t, `C: <message/>`))
		require.NoError(t, c.Connect(t.Context()))
		c.Close() // before the <message/> the script waits for
		assert.NotEmpty(t, rec.finish())
	})
	t.Run("one connection", func(t *testing.T) {
		tr := mustParse(t, `S: </stream:stream>
C: </stream:stream>`)
		c := NewConn(t, jid.MustParse("alice@localhost"), tr)
		require.NoError(t, c.Connect(t.Context()))
		<-c.Done()
		require.ErrorContains(t, c.Connect(t.Context()), "one connection")
	})
}

// TestMustParseTranscript: a transcript in text parses with its name; a
// malformed one fails the test with why.
func TestMustParseTranscript(t *testing.T) {
	tr := MustParseTranscript(t, "two steps", "C: <presence/>\nS: <message><body>hi</body></message>\n")
	assert.Equal(t, "two steps", tr.Name)
	require.Len(t, tr.Steps, 2)
	var r recorder
	MustParseTranscript(&r, "bad", "X: <presence/>\n")
	assert.Len(t, r.finish(), 1, "a line that is no step fails the test")
}

// TestScriptDialer: each dial gets the next script; the dial after the
// last fails.
func TestScriptDialer(t *testing.T) {
	d := ScriptDialer(t, MustParseTranscript(t, "one", "S: <message id='1'/>\n"))
	conn, err := d.DialContext(t.Context(), "tcp", "x:5222")
	require.NoError(t, err)
	defer conn.Close()
	var got []byte
	for !strings.Contains(string(got), "/>") { // the script's step, read before Close
		b := make([]byte, 64)
		n, err := conn.Read(b)
		require.NoError(t, err)
		got = append(got, b[:n]...)
	}
	assert.Contains(t, string(got), "message")
	_, err = d.DialContext(t.Context(), "tcp", "x:5222")
	assert.Error(t, err, "no more scripts")
}
