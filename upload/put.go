package upload

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// File is what Upload sends: a name, an exact size and the bytes. Its
// zero value is not usable: a file needs a name, and a Body unless its
// Size is 0.
type File struct {
	// Name is the file name the service is told (it usually ends the GET
	// URL); required.
	Name string
	// Size is the number of bytes Body yields, exactly: the slot is for
	// that size, the PUT's Content-Length is that size, and an upload
	// whose Body yields more or fewer bytes fails with ErrSizeMismatch.
	Size int64
	// ContentType is the file's media type; empty means
	// DefaultContentType.
	ContentType string
	// Body is read once, from its current position, as the bytes go out:
	// a file is never held whole in memory. Upload does not close it.
	// Nil is read as empty.
	Body io.Reader
	// Progress, when not nil, is told how far the upload went: each
	// time at least 64 KiB more were read from Body and handed to the
	// connection, and once when all Size bytes were (for an empty file,
	// once the service took it). It runs on a
	// goroutine of net/http's, never two calls at once; it must return
	// quickly, since the upload waits for it. Bytes handed to the
	// connection may still be in its buffers: the upload is complete only
	// when Upload returns.
	Progress func(Progress)
}

// Progress is how far an upload went.
type Progress struct {
	// Sent is the number of bytes read from File.Body and handed to the
	// connection.
	Sent int64
	// Size is File.Size.
	Size int64
}

// progressStep is how many bytes go between two Progress calls.
const progressStep = 64 << 10

// ErrSizeMismatch is matched by the error of an upload whose File.Body
// yielded more or fewer bytes than File.Size. The service drops such an
// upload (its Content-Length does not match); nothing past Size is sent.
var ErrSizeMismatch = errors.New("upload: the body does not have the announced size")

// HTTPError is the error of a PUT that the upload service did not accept:
// a status other than 2xx.
type HTTPError struct {
	// StatusCode is the response's status code, 403 for one.
	StatusCode int
	// Status is the response's status line, "403 Forbidden" for one.
	Status string
	// URL is the PUT URL's scheme and host only, "https://upload.example"
	// for one: the rest of a PUT URL is often a credential (an HMAC in
	// the path, a token in the query) and is never put in an error.
	URL string
}

// Error says the scheme and host of the URL, and the status.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("upload: PUT %s: %s", e.URL, e.Status)
}

// Upload uploads f and returns the URL others download it from (Smack's
// uploadFile): it finds the service (Service), refuses a file larger
// than the service's limit before anything is sent or asked
// (*TooLargeError), requests a slot (RequestSlot, with its errors), and
// PUTs f.Body to the slot's PUT URL with the slot's headers and
// Content-Length f.Size. A PUT answered with a status other than 2xx
// fails with an *HTTPError; a Body that yields more or fewer than f.Size
// bytes, with ErrSizeMismatch.
//
// HTTPS is verified as the XMPP stream's TLS is: the roots and the
// other settings of the connection's Config.TLS (the system roots when
// nil), with each URL's host as the name to verify, and never
// InsecureSkipVerify; its VerifyConnection and VerifyPeerCertificate,
// when set, are called for the HTTP hosts' certificates too (the
// ConnectionState's ServerName says which host); the connection's Config.Dialer (a proxy, for one)
// opens the HTTP connections too. A PUT or GET URL that is plain http is
// refused (ErrInsecureURL) unless SetAllowHTTP(true); redirects are not
// followed.
//
// Upload runs on the caller's goroutine and may be called from a
// listener (the slot request is an IQ, see xmpp.Conn.SendIQ), though a
// large file would hold up the listeners behind it. ctx bounds the whole
// call, the transfer included: when it ends the PUT is abandoned and
// Upload returns ctx.Err(), once a Read of f.Body under way has returned
// (Upload never reads f.Body after it returns). Uploads may run
// concurrently.
func (m *Manager) Upload(ctx context.Context, f File) (*url.URL, error) {
	if f.Name == "" || f.Size < 0 {
		return nil, fmt.Errorf("upload: a file needs a name and a size, got %q and %d", f.Name, f.Size)
	}
	slot, err := m.RequestSlot(ctx, f.Name, f.Size, f.ContentType)
	if err != nil {
		return nil, err
	}
	if err := m.Put(ctx, slot, f); err != nil {
		return nil, err
	}
	return slot.Get, nil
}

// Put uploads f to slot, a slot RequestSlot returned for f's name, size
// and content type: Upload's last step, for a caller that asked for the
// slot itself. Its errors, its TLS, and what ctx does are Upload's.
func (m *Manager) Put(ctx context.Context, slot *Slot, f File) error {
	if err := m.checkScheme(slot); err != nil {
		return err
	}
	b := &body{src: f.Body, size: f.Size, progress: f.Progress}
	if b.src == nil {
		b.src = eof{}
	}
	var rd io.Reader = b
	if f.Size == 0 {
		// net/http reads a non-nil body with ContentLength 0 as one of
		// unknown length: check that the source is empty, send NoBody.
		if _, err := b.Read(make([]byte, 1)); err != io.EOF {
			b.done()
			return fmt.Errorf("upload: %s: %w", f.Name, b.failure(err))
		}
		rd = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, slot.Put.String(), rd)
	if err != nil {
		return fmt.Errorf("upload: PUT %s: %w", origin(slot.Put), unwrapURL(err))
	}
	req.ContentLength = f.Size
	for k, vs := range slot.Header {
		if allowed(k) {
			req.Header[k] = append([]string(nil), vs...)
		}
	}
	ct := f.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	req.Header.Set("Content-Type", ct)
	resp, err := m.httpClient().Do(req)
	// The transport may still read the body after Do returned (an
	// abandoned request): after done, it gets an error without f.Body
	// being touched, so that the caller has its reader back.
	b.done()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if b.err != nil && b.err != errDone {
		// The body's own error says more than the transport's wrapping.
		if resp != nil {
			resp.Body.Close()
		}
		return fmt.Errorf("upload: PUT %s: %w", origin(slot.Put), b.err)
	}
	if err != nil {
		return fmt.Errorf("upload: PUT %s: %w", origin(slot.Put), unwrapURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10) // let the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &HTTPError{StatusCode: resp.StatusCode, Status: resp.Status, URL: origin(slot.Put)}
	}
	if f.Size == 0 && f.Progress != nil {
		f.Progress(Progress{})
	}
	return nil
}

// origin is u's scheme and host, all of a slot URL that an error may
// show: its path, query and user info may be credentials.
func origin(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// unwrapURL returns the error inside a *url.Error, whose message
// carries the whole URL.
func unwrapURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// errDone is what body's Read returns once Put has returned.
var errDone = errors.New("upload: the upload is over")

// body reads exactly size bytes from src, reports progress, and fails
// with ErrSizeMismatch when src has more or fewer. Its lock makes done
// wait for a Read under way.
type body struct {
	mu       sync.Mutex
	src      io.Reader
	size     int64
	sent     int64
	told     int64 // sent at the last Progress call
	ended    bool  // src was seen to end after size bytes
	progress func(Progress)
	err      error // the error that ended the upload, kept for Put
}

// done ends the body's use: later Reads fail without reading src.
func (b *body) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = errDone
	}
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.sent == b.size {
		if err := b.atEnd(); err != nil {
			return 0, b.failure(err)
		}
		return 0, io.EOF
	}
	if rest := b.size - b.sent; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.src.Read(p)
	switch {
	case err != nil && err != io.EOF:
		return 0, b.failure(err)
	case b.sent+int64(n) == b.size && err == nil:
		// The last bytes go out only once the source is seen to end
		// there: the service must not get a complete body cut from a
		// longer one.
		if err := b.atEnd(); err != nil {
			return 0, b.failure(err)
		}
	case b.sent+int64(n) < b.size && err == io.EOF:
		return 0, b.failure(fmt.Errorf("%w: %d bytes, not %d", ErrSizeMismatch, b.sent+int64(n), b.size))
	}
	b.sent += int64(n)
	b.ended = b.sent == b.size
	if b.progress != nil && n > 0 && (b.sent-b.told >= progressStep || b.sent == b.size) {
		b.told = b.sent
		b.progress(Progress{Sent: b.sent, Size: b.size})
	}
	return n, nil
}

// atEnd checks that the source has nothing after the size, once.
func (b *body) atEnd() error {
	if b.ended {
		return nil
	}
	var one [1]byte
	for range 100 { // a reader may return 0, nil a few times
		n, err := b.src.Read(one[:])
		switch {
		case n > 0:
			return fmt.Errorf("%w: more than %d bytes", ErrSizeMismatch, b.size)
		case err == io.EOF:
			b.ended = true
			return nil
		case err != nil:
			return err
		}
	}
	return io.ErrNoProgress
}

func (b *body) failure(err error) error {
	if b.err == nil {
		b.err = err
	}
	return b.err
}

type eof struct{}

func (eof) Read([]byte) (int, error) { return 0, io.EOF }

// httpClient returns the Manager's HTTP client, made at the first use
// from the connection's Config: its TLS settings and its Dialer.
func (m *Manager) httpClient() *http.Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client == nil {
		cfg := m.c.Config()
		m.client = newHTTPClient(cfg.TLS, cfg.Dialer)
	}
	return m.client
}

// dialer is xmpp.Dialer's method.
type dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// newHTTPClient returns a client whose TLS is verified as base (nil: the
// system roots) says, for each URL's own host, and that dials with d
// (nil: net.Dialer).
func newHTTPClient(base *tls.Config, d dialer) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:       httpTLS(base),
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 0, // the caller's ctx bounds the call
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		Proxy:                 nil, // Config.Dialer is the proxy, as for XMPP
	}
	if d != nil {
		tr.DialContext = d.DialContext
	} else {
		tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return &http.Client{
		Transport: tr,
		// A redirect would need the body again; the slot's URL is the
		// place to upload to.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// httpTLS derives the HTTP client's TLS configuration from the XMPP one:
// the same roots, versions, suites and extra checks (VerifyConnection
// and VerifyPeerCertificate run for the HTTP hosts too), but the server
// name taken from each URL (cleared here), no XMPP ALPN, no client
// certificate (it proves the account to the XMPP server, not to a web
// server), no Encrypted Client Hello configuration (it is the XMPP
// server's, published for its name, not the HTTP host's), and
// verification always on.
func httpTLS(base *tls.Config) *tls.Config {
	var tc *tls.Config
	if base != nil {
		tc = base.Clone()
	} else {
		tc = new(tls.Config)
	}
	tc.ServerName = ""
	tc.InsecureSkipVerify = false
	tc.NextProtos = nil
	tc.Certificates = nil
	tc.GetCertificate = nil
	tc.GetClientCertificate = nil
	tc.GetConfigForClient = nil
	tc.EncryptedClientHelloConfigList = nil
	if tc.MinVersion < tls.VersionTLS12 {
		tc.MinVersion = tls.VersionTLS12
	}
	return tc
}
