package upload_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosmack/gosmack/jid"
	"github.com/gosmack/gosmack/stanza"
	"github.com/gosmack/gosmack/upload"
	"github.com/gosmack/gosmack/xmpp"
	"github.com/gosmack/gosmack/xmpptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	alice = jid.MustParse("alice@localhost/a")
	bob   = jid.MustParse("bob@localhost/b")
)

// end is the last step of every transcript: the scripted server closes
// the connection once its transcript is played, which ends the session
// (and its service discovery); the test ends it with this message.
const end = "C: <message id='end' to='localhost'><body>end</body></message>\n"

// newConn returns a Conn to a server playing tr and then waiting for the
// message that ends the test, which it sends when the test ends.
func newConn(t *testing.T, tr string, config ...func(*xmpp.Config)) *xmpp.Conn {
	t.Helper()
	c := xmpptest.NewConn(t, alice, xmpptest.MustParseTranscript(t, t.Name(), tr+end), config...)
	t.Cleanup(func() {
		m := &stanza.Message{Bodies: []stanza.Text{{Value: "end"}}}
		m.To, m.ID = jid.MustParse("localhost"), "end"
		ctx, cancel := context.WithTimeout(context.Background(), xmpptest.ReplayTimeout)
		defer cancel()
		assert.NoError(t, c.Send(ctx, m))
	})
	return c
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), xmpptest.ReplayTimeout)
	t.Cleanup(cancel)
	return ctx
}

// discovery is the server's answers when the service is
// upload.localhost, the second item, whose form names limit (no form
// when limit is "").
func discovery(limit string) string {
	form := ""
	if limit != "" {
		form = `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>` + limit + `</value></field></x>`
	}
	return `
C: <iq type='get' id='{{d1}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d1}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/><feature var='http://jabber.org/protocol/disco#info'/></query></iq>
C: <iq type='get' id='{{d2}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq type='result' id='{{d2}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='conference.localhost'/><item jid='upload.localhost'/></query></iq>
C: <iq type='get' id='{{d3}}' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d3}}' from='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' type='text'/><feature var='http://jabber.org/protocol/muc'/></query></iq>
C: <iq type='get' id='{{d4}}' to='upload.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d4}}' from='upload.localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='store' type='file'/><feature var='urn:xmpp:http:upload:0'/>` + form + `</query></iq>
`
}

// slot is a slot request for name, size and type, answered with the
// result payload.
func slot(id, name string, size int, typ, payload string) string {
	return fmt.Sprintf(`
C: <iq type='get' id='{{%[1]s}}' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='%[2]s' size='%[3]d' content-type='%[4]s'/></iq>
S: <iq type='result' id='{{%[1]s}}' from='upload.localhost'>%[5]s</iq>
`, id, name, size, typ, payload)
}

// slotError is a slot request answered with an error.
func slotError(id, name string, size int, typ, errXML string) string {
	return fmt.Sprintf(`
C: <iq type='get' id='{{%[1]s}}' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='%[2]s' size='%[3]d' content-type='%[4]s'/></iq>
S: <iq type='error' id='{{%[1]s}}' from='upload.localhost'>%[5]s</iq>
`, id, name, size, typ, errXML)
}

// put is a slot payload with the given PUT and GET URLs and header
// elements.
func put(putURL, getURL, headers string) string {
	return `<slot xmlns='urn:xmpp:http:upload:0'><put url='` + putURL + `'>` + headers + `</put><get url='` + getURL + `'/></slot>`
}

// received is one PUT the test server took.
type received struct {
	method, path string
	header       http.Header
	body         []byte
	err          error
}

// fileServer is an in-process HTTPS server that keeps the PUTs it gets.
type fileServer struct {
	*httptest.Server
	client *tls.Config // trusts the server's certificate only
	status int         // answered to each PUT; 201 unless set
	mu     sync.Mutex
	puts   []received
	dials  atomic.Int32
	done   chan struct{} // gets a value when a PUT was taken, if there is room
}

func newFileServer(t *testing.T) *fileServer {
	fs := &fileServer{status: http.StatusCreated, done: make(chan struct{}, 1)}
	srvTLS, cliTLS := xmpptest.TLSConfigs(t, "127.0.0.1")
	fs.client = cliTLS
	fs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fs.mu.Lock()
		fs.puts = append(fs.puts, received{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: b, err: err})
		status := fs.status
		fs.mu.Unlock()
		select {
		case fs.done <- struct{}{}:
		default:
		}
		w.WriteHeader(status)
	}))
	fs.TLS = srvTLS
	fs.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes of TestVerified
	fs.StartTLS()
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fileServer) received() []received {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]received(nil), fs.puts...)
}

// config gives the Conn the server's roots as its TLS configuration and a
// Dialer that takes the scripted XMPP server to xmpptest's and counts
// the other dials.
func (fs *fileServer) config(cfg *xmpp.Config) {
	cfg.TLS = fs.client.Clone()
	cfg.TLS.ServerName = "localhost" // the XMPP domain; HTTP must not use it
	script := cfg.Dialer
	cfg.Dialer = dialFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == cfg.Addr {
			return script.DialContext(ctx, network, addr)
		}
		fs.dials.Add(1)
		return new(net.Dialer).DialContext(ctx, network, addr)
	})
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// payload returns n bytes that differ from one position to the next.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestUpload: the service is found among the server's items with its
// limit, the slot asked for, the file PUT with the allowed headers only
// (line breaks removed, the values of one field in order), its content
// type and exact length, progress reported every 64 KiB and at the end,
// and the GET URL handed back. The second upload of the session asks
// for a slot only.
func TestUpload(t *testing.T) {
	fs := newFileServer(t)
	const size = 200 << 10
	headers := `<header name='Authorization'>Bearer t0ken</header>` +
		`<header name='cookie'>a=1</header>` +
		`<header name='X-Evil'>no</header>` +
		`<header name='Host'>evil.example</header>` +
		`<header name='Cookie'>b=2&#13;&#10;X-Injected: yes</header>` +
		`<header name='Expires'>Wed, 21 Oct 2026 07:28:00 GMT</header>`
	tr := (discovery("10485760") +
		slot("s1", "photo.jpg", size, "image/jpeg", put(fs.URL+"/up/1/photo.jpg", "https://get.example/1/photo.jpg", headers)) +
		slot("s2", "empty.txt", 0, "application/octet-stream", put(fs.URL+"/up/2/empty.txt", "https://get.example/2/empty.txt", "")))
	c := newConn(t, tr, fs.config)
	up := upload.For(c)
	require.NoError(t, c.Connect(ctxT(t)))

	data := payload(size)
	var progress []upload.Progress
	u, err := up.Upload(ctxT(t), upload.File{
		Name: "photo.jpg", Size: size, ContentType: "image/jpeg", Body: bytes.NewReader(data),
		Progress: func(p upload.Progress) { progress = append(progress, p) },
	})
	require.NoError(t, err)
	assert.Equal(t, "https://get.example/1/photo.jpg", u.String())
	assert.Equal(t, []upload.Progress{{Sent: 64 << 10, Size: size}, {Sent: 128 << 10, Size: size}, {Sent: 192 << 10, Size: size}, {Sent: size, Size: size}}, progress)

	svc, err := up.Service(ctxT(t))
	require.NoError(t, err)
	assert.Equal(t, upload.Service{JID: jid.MustParse("upload.localhost"), MaxFileSize: 10 << 20}, svc)

	progress = nil
	u, err = up.Upload(ctxT(t), upload.File{Name: "empty.txt", Progress: func(p upload.Progress) { progress = append(progress, p) }})
	require.NoError(t, err)
	assert.Equal(t, "https://get.example/2/empty.txt", u.String())
	assert.Equal(t, []upload.Progress{{}}, progress)

	puts := fs.received()
	require.Len(t, puts, 2)
	p := puts[0]
	assert.Equal(t, http.MethodPut, p.method)
	assert.Equal(t, "/up/1/photo.jpg", p.path)
	require.NoError(t, p.err)
	assert.True(t, bytes.Equal(data, p.body), "the bytes arrive as they were")
	assert.Equal(t, []string{"Bearer t0ken"}, p.header.Values("Authorization"))
	assert.Equal(t, []string{"a=1", "b=2X-Injected: yes"}, p.header.Values("Cookie"), "in order, line breaks removed")
	assert.Equal(t, []string{"Wed, 21 Oct 2026 07:28:00 GMT"}, p.header.Values("Expires"))
	assert.Empty(t, p.header.Values("X-Evil"))
	assert.Empty(t, p.header.Values("X-Injected"))
	assert.Equal(t, "image/jpeg", p.header.Get("Content-Type"))
	assert.Equal(t, fmt.Sprint(size), p.header.Get("Content-Length"))

	e := puts[1]
	assert.Empty(t, e.body)
	assert.Equal(t, "0", e.header.Get("Content-Length"))
	assert.Equal(t, upload.DefaultContentType, e.header.Get("Content-Type"))
	assert.Empty(t, e.header.Values("Authorization"))
	assert.Positive(t, fs.dials.Load(), "HTTP goes through the Conn's Dialer")
}

// failReader fails the test when read: the upload must not touch it.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("the body was read")
	return 0, io.EOF
}

// TestTooLargeBeforeSlot: a file over the service's limit is refused
// before a slot is asked for and before its body is read; one at the
// limit is asked for.
func TestTooLargeBeforeSlot(t *testing.T) {
	fs := newFileServer(t)
	tr := (discovery("1000") +
		slotError("s1", "max.bin", 1000, "application/octet-stream", `<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`))
	c := newConn(t, tr, fs.config)
	up := upload.For(c)
	require.NoError(t, c.Connect(ctxT(t)))

	_, err := up.Upload(ctxT(t), upload.File{Name: "big.bin", Size: 1001, Body: failReader{t}})
	var tooLarge *upload.TooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, upload.TooLargeError{Size: 1001, Max: 1000}, *tooLarge)
	assert.Contains(t, err.Error(), "at most 1000")

	_, err = up.RequestSlot(ctxT(t), "max.bin", 1000, "")
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ServiceUnavailable})
	assert.Empty(t, fs.received())
	assert.Zero(t, fs.dials.Load())
}

// TestSlotErrors: the service's <file-too-large/> is a *TooLargeError
// with the limit it names and its reply; a quota error carries its retry
// time; other replies are their *stanza.Error.
func TestSlotErrors(t *testing.T) {
	tr := (discovery("") +
		slotError("s1", "big.jpg", 23456, "image/jpeg", `<request xmlns='urn:xmpp:http:upload:0' filename='big.jpg' size='23456' content-type='image/jpeg'/><error type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>File too large. The maximum file size is 20000 bytes</text><file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>20000</max-file-size></file-too-large></error>`) +
		slotError("s2", "q.jpg", 10, "image/jpeg", `<error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Quota reached</text><retry xmlns='urn:xmpp:http:upload:0' stamp='2017-12-03T23:42:05Z'/></error>`) +
		slotError("s3", "f.jpg", 10, "image/jpeg", `<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`) +
		slot("s4", "bad.jpg", 10, "image/jpeg", `<slot xmlns='urn:xmpp:http:upload:0'><put url='https://x.example/'/></slot>`) +
		slot("s5", "bad.jpg", 10, "image/jpeg", put("/relative", "https://x.example/", "")))
	c := newConn(t, tr)
	up := upload.For(c)
	require.NoError(t, c.Connect(ctxT(t)))

	_, err := up.Upload(ctxT(t), upload.File{Name: "big.jpg", Size: 23456, ContentType: "image/jpeg", Body: failReader{t}})
	var tooLarge *upload.TooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, int64(23456), tooLarge.Size)
	assert.Equal(t, int64(20000), tooLarge.Max)
	require.NotNil(t, tooLarge.Reply)
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.NotAcceptable})
	assert.Contains(t, err.Error(), "at most 20000")

	_, err = up.RequestSlot(ctxT(t), "q.jpg", 10, "image/jpeg")
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.ResourceConstraint})
	at, ok := upload.RetryAt(err)
	assert.True(t, ok)
	assert.Equal(t, time.Date(2017, 12, 3, 23, 42, 5, 0, time.UTC), at)
	assert.False(t, errors.As(err, &tooLarge))

	_, err = up.RequestSlot(ctxT(t), "f.jpg", 10, "image/jpeg")
	assert.ErrorIs(t, err, &stanza.Error{Condition: stanza.Forbidden})
	_, ok = upload.RetryAt(err)
	assert.False(t, ok)

	_, err = up.RequestSlot(ctxT(t), "bad.jpg", 10, "image/jpeg")
	assert.ErrorIs(t, err, upload.ErrMalformedSlot)
	_, err = up.RequestSlot(ctxT(t), "bad.jpg", 10, "image/jpeg")
	assert.ErrorIs(t, err, upload.ErrMalformedSlot)
}

// fixedReader yields n bytes, then EOF.
func fixedReader(n int) io.Reader { return bytes.NewReader(payload(n)) }

// TestSizeMismatch: a body that yields fewer or more bytes than the size
// fails with ErrSizeMismatch, and nothing past the size is sent.
func TestSizeMismatch(t *testing.T) {
	fs := newFileServer(t)
	tr := (discovery("") +
		slot("s1", "short.bin", 100000, "application/octet-stream", put(fs.URL+"/short", "https://get.example/short", "")) +
		slot("s2", "long.bin", 10, "application/octet-stream", put(fs.URL+"/long", "https://get.example/long", "")) +
		slot("s3", "empty.bin", 0, "application/octet-stream", put(fs.URL+"/empty", "https://get.example/empty", "")))
	c := newConn(t, tr, fs.config)
	up := upload.For(c)
	require.NoError(t, c.Connect(ctxT(t)))

	_, err := up.Upload(ctxT(t), upload.File{Name: "short.bin", Size: 100000, Body: fixedReader(50000)})
	assert.ErrorIs(t, err, upload.ErrSizeMismatch)
	assert.Contains(t, err.Error(), "50000 bytes, not 100000")

	_, err = up.Upload(ctxT(t), upload.File{Name: "long.bin", Size: 10, Body: fixedReader(20)})
	assert.ErrorIs(t, err, upload.ErrSizeMismatch)
	assert.Contains(t, err.Error(), "more than 10 bytes")

	_, err = up.Upload(ctxT(t), upload.File{Name: "empty.bin", Size: 0, Body: fixedReader(1)})
	assert.ErrorIs(t, err, upload.ErrSizeMismatch)

	for _, p := range fs.received() {
		assert.Error(t, p.err, "%s: the service never gets a complete body", p.path)
		assert.NotEqual(t, "/empty", p.path, "nothing is sent for an empty file that is not")
	}
}

// TestInsecureURL: a slot with a plain http PUT or GET URL is refused
// before anything is sent, unless SetAllowHTTP(true).
func TestInsecureURL(t *testing.T) {
	var hits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(plain.Close)
	tr := (discovery("") +
		slot("s1", "a.txt", 3, "text/plain", put(plain.URL+"/hmac-s3cret/a?token=t0ken", "https://get.example/a", "")) +
		slot("s2", "b.txt", 3, "text/plain", put("https://put.example/b", "http://get.example/b", "")) +
		slot("s3", "c.txt", 3, "text/plain", put("ftp://put.example/hmac-s3cret/c?token=t0ken", "https://get.example/c", "")) +
		slot("s4", "d.txt", 3, "text/plain", put(plain.URL+"/d", "http://get.example/d", "")))
	c := newConn(t, tr, func(cfg *xmpp.Config) {
		script := cfg.Dialer
		cfg.Dialer = dialFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == cfg.Addr {
				return script.DialContext(ctx, network, addr)
			}
			return new(net.Dialer).DialContext(ctx, network, addr)
		})
	})
	up := upload.For(c)
	assert.False(t, up.AllowHTTP())
	require.NoError(t, c.Connect(ctxT(t)))
	file := func(name string) upload.File {
		return upload.File{Name: name, Size: 3, ContentType: "text/plain", Body: strings.NewReader("abc")}
	}
	for _, name := range []string{"a.txt", "b.txt"} {
		_, err := up.Upload(ctxT(t), file(name))
		assert.ErrorIs(t, err, upload.ErrInsecureURL, name)
		assertNoSecret(t, err)
	}
	_, err := up.Upload(ctxT(t), file("c.txt"))
	assert.ErrorIs(t, err, upload.ErrMalformedSlot)
	assertNoSecret(t, err)
	assert.Zero(t, hits.Load())

	up.SetAllowHTTP(true)
	assert.True(t, up.AllowHTTP())
	u, err := up.Upload(ctxT(t), file("d.txt"))
	require.NoError(t, err)
	assert.Equal(t, "http://get.example/d", u.String())
	assert.Equal(t, int32(1), hits.Load())
}

// TestVerified: the PUT's certificate is verified with the Conn's roots
// for the URL's host, not the XMPP domain; without those roots the PUT
// fails, even when Config.TLS says InsecureSkipVerify.
func TestVerified(t *testing.T) {
	fs := newFileServer(t)
	for _, tc := range []struct {
		name string
		tls  func() *tls.Config
	}{
		{"system roots", func() *tls.Config { return nil }},
		{"insecure skip verify", func() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }},
		{"other roots", func() *tls.Config {
			_, other := xmpptest.TLSConfigs(t, "127.0.0.1")
			return other
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := (discovery("") + slot("s1", "a.txt", 3, "text/plain", put(fs.URL+"/hmac-s3cret/a?token=t0ken", "https://get.example/a", "")))
			c := newConn(t, tr, fs.config, func(cfg *xmpp.Config) { cfg.TLS = tc.tls() })
			up := upload.For(c)
			require.NoError(t, c.Connect(ctxT(t)))
			_, err := up.Upload(ctxT(t), upload.File{Name: "a.txt", Size: 3, ContentType: "text/plain", Body: strings.NewReader("abc")})
			var unknown x509.UnknownAuthorityError
			var verify *tls.CertificateVerificationError
			assert.True(t, errors.As(err, &unknown) || errors.As(err, &verify), "%v", err)
			assertNoSecret(t, err)
		})
	}
	assert.Empty(t, fs.received())
}

// TestHTTPError: a PUT answered other than 2xx is an *HTTPError that
// shows the PUT URL's scheme and host only: its path and query are
// credentials. The Conn's VerifyConnection runs for the HTTP host too.
func TestHTTPError(t *testing.T) {
	fs := newFileServer(t)
	fs.status = http.StatusForbidden
	tr := (discovery("") + slot("s1", "a.txt", 3, "text/plain", put(fs.URL+"/hmac-s3cret/a?token=t0ken", "https://get.example/a", "")))
	var mu sync.Mutex
	var verified []string
	c := newConn(t, tr, fs.config, func(cfg *xmpp.Config) {
		cfg.TLS.VerifyConnection = func(cs tls.ConnectionState) error {
			mu.Lock()
			defer mu.Unlock()
			verified = append(verified, cs.ServerName)
			return nil
		}
	})
	up := upload.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	_, err := up.Upload(ctxT(t), upload.File{Name: "a.txt", Size: 3, ContentType: "text/plain", Body: strings.NewReader("abc")})
	var herr *upload.HTTPError
	require.ErrorAs(t, err, &herr)
	assert.Equal(t, http.StatusForbidden, herr.StatusCode)
	assert.Equal(t, fs.URL, herr.URL)
	assertNoSecret(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.NotEmpty(t, verified, "VerifyConnection ran for the HTTP host") // (no SNI for an IP address: ServerName is "")
}

// assertNoSecret checks that err does not show the path or query of
// the test's PUT URLs.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")
	assert.NotContains(t, err.Error(), "t0ken")
}

// lateReader yields its first read, then blocks until released; it
// counts the reads that run, wholly or in part, after Upload returned.
type lateReader struct {
	reads    int
	reading  chan struct{} // closed when the second read starts
	release  chan struct{}
	returned atomic.Bool // set by the test when Upload returned
	late     atomic.Int32
}

func (r *lateReader) Read(p []byte) (int, error) {
	if r.returned.Load() {
		r.late.Add(1)
	}
	r.reads++
	switch r.reads {
	case 1:
		return copy(p, "abcd"), nil
	case 2:
		close(r.reading)
		<-r.release
		if r.returned.Load() {
			r.late.Add(1) // Upload returned while this read was under way
		}
	}
	return copy(p, "efgh"), nil // more, to tempt the transport on
}

// TestContext: a context that ends during the transfer ends Upload with
// its error, and Upload does not return while a read of the body is under
// way, nor reads the body after it returned. The blocked read is released
// once the server saw the PUT abandoned, so that an Upload that returned
// without waiting for it would be caught.
func TestContext(t *testing.T) {
	fs := newFileServer(t)
	tr := (discovery("") + slot("s1", "a.txt", 8, "text/plain", put(fs.URL+"/hmac-s3cret/a?token=t0ken", "https://get.example/a", "")))
	c := newConn(t, tr, fs.config)
	up := upload.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	r := &lateReader{reading: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(ctxT(t))
	go func() {
		<-r.reading
		cancel()
		<-fs.done // the server's read of the body failed: the PUT is abandoned
		close(r.release)
	}()
	_, err := up.Upload(ctx, upload.File{Name: "a.txt", Size: 8, ContentType: "text/plain", Body: r})
	r.returned.Store(true)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, r.late.Load(), "reads of the body after Upload returned")
	got := fs.received()
	require.Len(t, got, 1)
	assert.Error(t, got[0].err, "the service never got a complete body")
	fs.CloseClientConnections()
	fs.Close() // waits for the handler; the client's connection is gone
	assert.Zero(t, r.late.Load(), "reads of the body after Upload returned")
}

// TestNoService: a server without an upload service gives ErrNoService,
// asked once per session.
func TestNoService(t *testing.T) {
	tr := (`
C: <iq type='get' id='{{d1}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d1}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/></query></iq>
C: <iq type='get' id='{{d2}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>
S: <iq type='result' id='{{d2}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='gone.localhost'/></query></iq>
C: <iq type='get' id='{{d3}}' to='gone.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='error' id='{{d3}}' from='gone.localhost'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>
`)
	c := newConn(t, tr)
	up := upload.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	_, err := up.Service(ctxT(t))
	assert.ErrorIs(t, err, upload.ErrNoService)
	_, err = up.Upload(ctxT(t), upload.File{Name: "a", Size: 1, Body: failReader{t}})
	assert.ErrorIs(t, err, upload.ErrNoService, "kept for the session")
}

// TestServerIsService: a server that is itself the upload service is
// used without asking its items; concurrent callers share one discovery.
func TestServerIsService(t *testing.T) {
	tr := (`
C: <iq type='get' id='{{d1}}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>
S: <iq type='result' id='{{d1}}' from='localhost'><query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:http:upload:0'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field><field var='max-file-size'><value>-5</value></field></x></query></iq>
`)
	c := newConn(t, tr)
	up := upload.For(c)
	require.NoError(t, c.Connect(ctxT(t)))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			svc, err := up.Service(ctxT(t))
			assert.NoError(t, err)
			assert.Equal(t, upload.Service{JID: jid.MustParse("localhost")}, svc, "a limit that is not a size is none")
		})
	}
	wg.Wait()
}

// TestShare: Share sends the URL as the body and as out-of-band data,
// which ReadOOB reads back.
func TestShare(t *testing.T) {
	tr := (`
C: <message id='{{m1}}' to='bob@localhost/b' type='chat'><body>https://get.example/1/a%20b.jpg</body><x xmlns='jabber:x:oob'><url>https://get.example/1/a%20b.jpg</url></x></message>
S: <message id='r1' from='bob@localhost/b' type='chat'><body>look</body><x xmlns='jabber:x:oob'><url> https://get.example/2.png </url><desc>a picture</desc></x></message>
`)
	c := newConn(t, tr)
	up := upload.For(c)
	got := make(chan *stanza.Message, 1)
	c.HandleMessage(stanza.From(bob), func(m *stanza.Message) { got <- m })
	require.NoError(t, c.Connect(ctxT(t)))
	msg, err := up.Share(ctxT(t), bob, stanza.Chat, "https://get.example/1/a%20b.jpg")
	require.NoError(t, err)
	assert.NotEmpty(t, msg.ID)
	_, err = up.Share(ctxT(t), bob, stanza.Chat, "")
	assert.Error(t, err)
	select {
	case m := <-got:
		o, ok := upload.ReadOOB(m)
		assert.True(t, ok)
		assert.Equal(t, upload.OOB{URL: "https://get.example/2.png", Desc: "a picture"}, o)
	case <-ctxT(t).Done():
		t.Fatal("no message")
	}
	m := upload.Message(bob, stanza.Groupchat, "https://x.example/f", "desc")
	o, ok := upload.ReadOOB(m)
	assert.True(t, ok)
	assert.Equal(t, upload.OOB{URL: "https://x.example/f", Desc: "desc"}, o)
	assert.Equal(t, "https://x.example/f", m.Body(""))
	_, ok = upload.ReadOOB(&stanza.Message{})
	assert.False(t, ok)
}

// TestForOnePerConn: For returns the one Manager of a Conn; after Close
// it attaches a fresh one with the defaults, and the old one's Close
// leaves it attached.
func TestForOnePerConn(t *testing.T) {
	c := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	other := xmpp.New(xmpp.Config{JID: jid.MustParse("alice@localhost")})
	m := upload.For(c)
	assert.Same(t, m, upload.For(c))
	assert.Same(t, m, xmpp.Attached[upload.Manager](c))
	assert.NotSame(t, m, upload.For(other), "one per Conn")
	m.SetAllowHTTP(true)
	m.Close()
	m.Close()
	assert.Nil(t, xmpp.Attached[upload.Manager](c))
	fresh := upload.For(c)
	assert.NotSame(t, m, fresh)
	assert.False(t, fresh.AllowHTTP(), "the fresh one starts with the defaults")
	m.Close()
	assert.Same(t, fresh, xmpp.Attached[upload.Manager](c))
}
