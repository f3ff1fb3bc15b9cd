package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/muc"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
)

// dialFunc is a Dialer made of a func.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// TestUploadCommand: /upload finds the service, PUTs the file to the
// slot's URL and shares the GET URL with out-of-band data: to the JID
// named, as a chat message; to the current conversation, a room, as a
// groupchat message. A file over the service's limit is refused before
// a slot is asked for, and with no JID and no conversation nothing
// happens.
func TestUploadCommand(t *testing.T) {
	var mu sync.Mutex
	puts := map[string][]byte{}
	srvTLS, cliTLS := xmpptest.TLSConfigs(t, "127.0.0.1")
	fs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		puts[r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")] = b
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	fs.TLS = srvTLS
	fs.StartTLS()
	t.Cleanup(fs.Close)

	form := `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>1000</value></field></x>`
	slot := func(id, name, size, typ, path string) string {
		return `
C: <iq type='get' id='{{` + id + `}}' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='` + name + `' size='` + size + `' content-type='` + typ + `'/></iq>
S: <iq type='result' id='{{` + id + `}}' from='upload.localhost'><slot xmlns='urn:xmpp:http:upload:0'><put url='` + fs.URL + path + `'/><get url='https://get.example` + path + `'/></slot></iq>
`
	}
	tr := `
C: <iq type='get' id='{{d1}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d1}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/></query></iq>
C: <iq type='get' id='{{d2}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq type='result' id='{{d2}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='upload.localhost'/></query></iq>
C: <iq type='get' id='{{d3}}' to='upload.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d3}}' from='upload.localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='store' type='file'/><feature var='urn:xmpp:http:upload:0'/>` + form + `</query></iq>
` + slot("s1", "my notes.png", "5", "image/png", "/1/my%20notes.png") + `
C: <message id='{{m1}}' to='bob@localhost/b' type='chat'><body>https://get.example/1/my%20notes.png</body><x xmlns='jabber:x:oob'><url>https://get.example/1/my%20notes.png</url></x></message>
` + slot("s2", "data", "3", "application/octet-stream", "/2/data") + `
C: <message id='{{m2}}' to='lounge@conference.localhost' type='groupchat'><body>https://get.example/2/data</body><x xmlns='jabber:x:oob'><url>https://get.example/2/data</url></x></message>
C: <message id='end' to='localhost'><body>end</body></message>
`
	c := xmpptest.NewConn(t, jid.MustParse("alice@localhost/a"), xmpptest.MustParseTranscript(t, t.Name(), tr), func(cfg *xmpp.Config) {
		cfg.TLS = cliTLS.Clone()
		cfg.TLS.ServerName = "localhost" // the XMPP domain; HTTP verifies the URL's host
		script := cfg.Dialer
		cfg.Dialer = dialFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == cfg.Addr {
				return script.DialContext(ctx, network, addr)
			}
			return new(net.Dialer).DialContext(ctx, network, addr)
		})
	})
	var out bytes.Buffer
	cl := &client{c: c, out: &printer{w: &out}, rooms: make(map[jid.JID]*muc.Room)}
	require.NoError(t, c.Connect(t.Context()))

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	notes, data := write("my notes.png", []byte("hello")), write("data", []byte{1, 2, 3})
	large := write("large", make([]byte, 1001))
	run := func(line string) error {
		cmd, err := parseLine(line)
		require.NoError(t, err)
		return cl.do(t.Context(), cmd)
	}

	assert.ErrorContains(t, run("/upload "+data), "no current conversation")
	require.NoError(t, run(`/upload "`+notes+`" bob@localhost/b`))
	lounge := jid.MustParse("lounge@conference.localhost")
	cl.rooms[lounge] = muc.For(c).Room(lounge)
	cl.current = lounge
	require.NoError(t, run("/upload "+data))
	err := run("/upload " + large)
	assert.ErrorContains(t, err, "too large")
	assert.ErrorContains(t, err, "(nothing was sent)")

	assert.Equal(t, strings.Join([]string{
		"[upload] " + notes + ": 5 bytes, https://get.example/1/my%20notes.png",
		"[upload] " + data + ": 3 bytes, https://get.example/2/data",
	}, "\n")+"\n", out.String())
	mu.Lock()
	assert.Equal(t, map[string][]byte{
		"PUT /1/my notes.png image/png":        []byte("hello"),
		"PUT /2/data application/octet-stream": {1, 2, 3},
	}, puts)
	mu.Unlock()
	// The transcript's last step: the scripted server ends the session
	// once it has it.
	end := &stanza.Message{Bodies: []stanza.Text{{Value: "end"}}}
	end.To, end.ID = jid.MustParse("localhost"), "end"
	require.NoError(t, c.Send(t.Context(), end))
}
