package xmpp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosmack/gosmack/internal/xmlstream"
)

// BOSH (XEP-0124) carrying an XMPP stream (XEP-0206), written with the
// standard library for the reason websocket.go gives: a small HTTP/1.1
// client over net.Conn. boshConn is a net.Conn whose bytes are the
// stream as it is on TCP: what the stream writes goes out in the
// payloads of HTTP requests, a stream header as the session creation
// request or a restart, </stream:stream> as the terminate request; what
// the server answers comes back to the reader in request order, the
// session creation and restart answers as stream headers, a terminate
// as </stream:stream>. The stream, its reader and everything above work
// on it unchanged.

// ErrPlainBOSH is returned for an http:// BOSH URL (BOSH without TLS)
// while Config.Security is TLSRequired, the default.
var ErrPlainBOSH = errors.New("xmpp: an http:// BOSH URL is not encrypted; use https://, or set Security to TLSIfPossible or TLSDisabled")

// BOSHError is how a BOSH connection manager ended the session: a
// terminate with a condition (XEP-0124 section 17), or an HTTP error
// status (its section 17's legacy errors: 400, 403, 404, and any other
// that is not 200). The stream ends with it (Conn.Err and the
// StateChange of the loss wrap it); a session the manager no longer
// knows (item-not-found, or 404) is not resumed at the BOSH level, but
// the connection logs in again, and resumes stream management where the
// server allows, as after a lost TCP connection.
type BOSHError struct {
	// Condition is the terminate's condition, such as "item-not-found"
	// or "host-unknown"; empty for an HTTP error without one.
	Condition string
	// Status is the HTTP status of the answer: 200 for a terminate.
	Status int
}

// Error says how the session ended.
func (e *BOSHError) Error() string {
	if e.Condition == "" {
		return fmt.Sprintf("xmpp: bosh: the connection manager answered HTTP %d", e.Status)
	}
	if e.Status != 200 {
		return fmt.Sprintf("xmpp: bosh: the connection manager ended the session: %s (HTTP %d)", e.Condition, e.Status)
	}
	return "xmpp: bosh: the connection manager ended the session: " + e.Condition
}

const (
	nsHTTPBind = "http://jabber.org/protocol/httpbind"
	nsXBOSH    = "urn:xmpp:xbosh"

	// boshWait is the longest the client asks the manager to hold a
	// request, in seconds.
	boshWait = 60
	// boshSlack is what a body may hold beyond twice MaxStanzaSize.
	boshSlack = 16 << 10
	// boshMaxHeader bounds the header of an HTTP answer.
	boshMaxHeader = 16 << 10
	// boshTries is how many times one request goes out before the
	// session is given up (XEP-0124 section 14: the same rid, the same
	// body).
	boshTries = 4
	// boshMargin is how much longer than the wait the client waits for
	// an answer before it counts the TCP connection as lost.
	boshMargin = 20 * time.Second
	// boshSpacing is the least time between two requests written on
	// two connections: ejabberd drops a request that arrives before the
	// one of the rid before it (it answers neither), and two
	// connections race.
	boshSpacing = 25 * time.Millisecond
	// boshPollDelay is how long after an answer the empty request that
	// keeps one at the manager waits for the stream's reply to carry.
	boshPollDelay = 10 * time.Millisecond
	// boshDialTimeout bounds a TCP connection and its TLS handshake.
	boshDialTimeout = 30 * time.Second
)

// boshKind is what a request does besides carrying payload.
type boshKind uint8

const (
	boshPlain     boshKind = iota
	boshCreate             // the session creation request
	boshRestart            // xmpp:restart='true'
	boshTerminate          // type='terminate'
)

// boshResult is the answer to one request, as the reader takes it: the
// stream bytes it gives, and then the error that ends the stream, if
// any; end says the session is over after these bytes.
type boshResult struct {
	data []byte
	err  error
	end  bool
}

// boshConn is the client's end of a BOSH session that carries an XMPP
// stream. One goroutine reads (the stream's reader) and writes come one
// at a time (under the stream's write lock); each request in flight has
// a goroutine of its own, which ends with the request, so an idle
// session has one: the one waiting on the request the manager holds.
type boshConn struct {
	url    string
	host   string // the Host header
	addr   string // host:port to dial
	path   string // the request URI
	dialer Dialer
	tlsCfg *tls.Config // nil for http://
	max    int         // the largest body taken, in bytes
	first  *tls.Conn   // the first connection's TLS, for the stream

	ctx    context.Context // cancelled by Close: ends dials and requests
	cancel context.CancelFunc

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at each change

	// The session, as the creation request and answer set it.
	sid      string
	rid      uint64 // the next request's
	attrs    []byte // to and xml:lang, as the stream wrote them
	requests int    // requests in flight at most
	hold     int
	wait     int
	polling  time.Duration
	id, from string // the stream header's, from the creation answer
	version  string

	// Writing.
	out        []byte // payload not sent yet
	created    bool   // the creation request went out
	restart    bool   // a restart is due
	terminate  bool   // the terminate is due
	ended      bool   // no more requests: terminated, failed or closed
	inflight   int
	written    uint64      // every request up to this rid is written once
	wroteAt    time.Time   // when the last of them was
	lastPoll   time.Time   // when the last empty request went out
	lastAnswer time.Time   // when the last answer came
	pollTimer  *time.Timer // a poll due later (hold='0')
	wdl        time.Time

	// Connections: idle ones, kept alive; and those in use, so that
	// Close can cut them.
	idle   []*httpConn
	active map[*httpConn]struct{}

	// Reading.
	next    uint64                // rid of the answer the reader takes next
	got     map[uint64]boshResult // answers waiting for their turn
	pending []byte
	err     error // after pending: the error that ends the stream
	eof     bool  // after pending: the end
	closed  bool
	rdl     time.Time
}

var _ net.Conn = (*boshConn)(nil)

// httpConn is one keep-alive HTTP/1.1 connection to the manager.
type httpConn struct {
	conn net.Conn // TLS over raw, or raw
	raw  net.Conn
	lr   io.LimitedReader
	br   *bufio.Reader
}

// bosh reports whether Addr is a BOSH URL.
func (c *Config) bosh() bool {
	scheme, _, ok := strings.Cut(c.Addr, "://")
	return ok && (strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "http"))
}

// isBOSH reports whether conn is a BOSH session.
func isBOSH(conn net.Conn) bool {
	_, ok := conn.(*boshConn)
	return ok
}

// dialBOSH prepares a BOSH session at rawURL and opens its first HTTP
// connection, so that a wrong address or certificate fails here, within
// ctx. https:// verifies the certificate as tlsConfig says (for the
// JID's domain unless TLS.ServerName says otherwise), on every
// connection the session opens; http:// is allowed only when Security
// is not TLSRequired. The session itself starts with the stream header.
func (c *Config) dialBOSH(ctx context.Context, rawURL string) (net.Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, which may hold a password.
		return nil, errors.New("xmpp: bosh URL: not a URL")
	}
	var port string
	switch u.Scheme {
	case "https":
		port = "443"
	case "http":
		if c.Security == TLSRequired {
			return nil, ErrPlainBOSH
		}
		port = "80"
	default:
		return nil, fmt.Errorf("xmpp: bosh URL %q: the scheme is not http or https", u.Redacted())
	}
	path := u.RequestURI()
	if u.Host == "" || u.User != nil || u.Fragment != "" || strings.ContainsAny(path+u.Host, "\r\n ") {
		return nil, fmt.Errorf("xmpp: bosh URL %q: no host, or user information, a fragment or a space", u.Redacted())
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	b := &boshConn{url: rawURL, host: u.Host, addr: addr, path: path, dialer: c.Dialer,
		max: 2*c.maxStanzaSize() + boshSlack, requests: 1, hold: 1, wait: boshWait,
		changed: make(chan struct{}), active: make(map[*httpConn]struct{}), got: make(map[uint64]boshResult)}
	if b.dialer == nil {
		b.dialer = &net.Dialer{Resolver: c.Resolver}
	}
	if u.Scheme == "https" {
		b.tlsCfg = c.tlsConfig(false)
		if b.tlsCfg.NextProtos == nil {
			b.tlsCfg.NextProtos = []string{"http/1.1"}
		}
	}
	random := c.Rand
	if random == nil {
		random = rand.Reader
	}
	var r [8]byte
	if _, err := io.ReadFull(random, r[:]); err != nil {
		return nil, fmt.Errorf("xmpp: bosh: %w", err)
	}
	// XEP-0124 section 5: large, random, and far below 2^53 so that it
	// never wraps.
	b.rid = binary.BigEndian.Uint64(r[:])%(1<<48) + 1
	b.next, b.written = b.rid, b.rid-1
	hc, err := b.dial(ctx)
	if err != nil {
		return nil, err
	}
	if tc, ok := hc.conn.(*tls.Conn); ok {
		b.first = tc
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.idle = append(b.idle, hc)
	return b, nil
}

// transport gives the stream the TLS of the first connection (every
// connection is verified the same way) and the session itself as the
// socket whose deadlines and Close the stream uses.
func (b *boshConn) transport() (*tls.Conn, net.Conn) { return b.first, b }

// dial opens an HTTP connection to the manager, within ctx.
func (b *boshConn) dial(ctx context.Context) (*httpConn, error) {
	ctx, cancel := context.WithTimeout(ctx, boshDialTimeout)
	defer cancel()
	raw, err := b.dialer.DialContext(ctx, "tcp", b.addr)
	if err != nil {
		return nil, err
	}
	hc := &httpConn{conn: raw, raw: raw}
	if b.tlsCfg != nil {
		tc := tls.Client(raw, b.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", b.addr, ctxErr(ctx, err))
		}
		hc.conn = tc
	}
	hc.lr.R = hc.conn
	hc.br = bufio.NewReaderSize(&hc.lr, 4<<10)
	return hc, nil
}

// notifyLocked wakes whoever waits for a change.
func (b *boshConn) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// Write takes what the stream wrote, b: a stream header starts the
// session or restarts it, </stream:stream> terminates it, and elements
// go in the payload of the next request, several writes together while
// the requests allowed are in flight. It waits only while more than a
// body's worth is waiting to go.
func (b *boshConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.out) > b.max/2 && !b.closed && !b.ended {
		if err := b.waitLocked(b.wdl); err != nil {
			return 0, err
		}
	}
	if b.closed || b.ended {
		return 0, net.ErrClosed
	}
	err := frameOut(p, func(parts ...[]byte) error {
		switch m := parts[0]; {
		case bytes.HasPrefix(m, []byte("<open xmlns='"+nsFraming+"'")):
			b.header(m)
		case string(m) == wsClose:
			b.terminate = true
		default:
			for _, part := range parts {
				b.out = append(b.out, part...)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	b.pumpLocked()
	return len(p), nil
}

// header takes a stream header, as frameOut made it an <open/>: the
// first asks for the session, the next ones for restarts.
func (b *boshConn) header(open []byte) {
	if b.created {
		// The manager may answer the restart on any request in
		// flight (Prosody answers the oldest it holds), so the new
		// stream starts for the reader now: the stream reads its
		// header only after writing its own.
		b.restart = true
		b.pending = append(b.pending, b.streamHeader()...)
		return
	}
	b.attrs = b.attrs[:0]
	for _, a := range tagAttrs(open) {
		switch string(a.name) {
		case "to", "xml:lang":
			b.attrs = append(b.attrs, ' ')
			b.attrs = append(b.attrs, a.name...)
			b.attrs = append(b.attrs, "='"...)
			b.attrs = append(b.attrs, a.value...)
			b.attrs = append(b.attrs, '\'')
		}
	}
	b.created = true
	b.send(boshCreate, nil)
}

// pumpLocked sends what is due, as the manager allows: always one
// request at the manager, for it to answer with what it has for us;
// payload, restarts and the terminate on others, up to its requests.
func (b *boshConn) pumpLocked() {
	for !b.closed && !b.ended && b.sid != "" && b.inflight < b.requests {
		switch {
		case b.restart:
			b.restart = false
			b.send(boshRestart, nil)
		case b.terminate:
			b.ended = true
			out := b.out
			b.out = nil
			b.send(boshTerminate, out)
		case len(b.out) > 0:
			out := b.out
			b.out = nil
			b.send(boshPlain, out)
		case b.inflight == 0 && len(b.got) == 0 && len(b.pending) == 0:
			// The stream's reader has taken every answer: the manager
			// may send more. (While answers wait for the reader, no
			// empty request goes, so that a slow reader holds the
			// manager back as a full socket does on TCP; Read starts
			// the pump again once it has taken them.)
			//
			// An empty request waits a little after an answer, for
			// what the stream writes in reply to go in the request
			// instead: two requests at once race to the manager (see
			// boshSpacing). Polling (hold='0'), it waits as long as
			// the manager asks.
			d := boshPollDelay - time.Since(b.lastAnswer)
			if b.hold == 0 {
				d = max(d, b.polling-time.Since(b.lastPoll))
			}
			if d > 0 {
				if b.pollTimer == nil {
					b.pollTimer = time.AfterFunc(d, func() {
						b.mu.Lock()
						b.pollTimer = nil
						b.pumpLocked()
						b.mu.Unlock()
					})
				}
				return
			}
			b.lastPoll = time.Now()
			b.send(boshPlain, nil)
		default:
			return
		}
	}
}

// send starts the request kind with payload, under b.mu.
func (b *boshConn) send(kind boshKind, payload []byte) {
	rid := b.rid
	b.rid++
	b.inflight++
	var body []byte
	body = append(body, "<body rid='"...)
	body = strconv.AppendUint(body, rid, 10)
	body = append(body, '\'')
	switch kind {
	case boshCreate:
		body = append(body, " content='text/xml; charset=utf-8' hold='1' ver='1.6' wait='"...)
		body = strconv.AppendInt(body, boshWait, 10)
		body = append(body, "' xmpp:version='1.0' xmlns:xmpp='"+nsXBOSH+"'"...)
		body = append(body, b.attrs...)
	case boshRestart:
		body = append(body, " sid='"...)
		body, _ = xmlstream.AppendAttr(body, b.sid)
		body = append(body, "' xmpp:restart='true' xmlns:xmpp='"+nsXBOSH+"'"...)
		body = append(body, b.attrs...)
	case boshTerminate:
		body = append(body, " type='terminate'"...)
		fallthrough
	default:
		body = append(body, " sid='"...)
		body, _ = xmlstream.AppendAttr(body, b.sid)
		body = append(body, '\'')
	}
	body = append(body, " xmlns='"+nsHTTPBind+"'"...)
	if len(payload) == 0 {
		body = append(body, "/>"...)
	} else {
		body = append(body, '>')
		body = append(body, payload...)
		body = append(body, "</body>"...)
	}
	timeout := time.Duration(b.wait)*time.Second + boshMargin
	go b.roundTrip(rid, kind, body, timeout)
}

// roundTrip sends one request and hands its answer to the reader.
func (b *boshConn) roundTrip(rid uint64, kind boshKind, body []byte, timeout time.Duration) {
	resp, err := b.exchange(rid, body, timeout)
	var res boshResult
	var bb boshBody
	if err == nil {
		bb, err = parseBody(resp)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight--
	if err == nil {
		res = b.answer(kind, &bb)
	} else {
		res.err = err
	}
	if b.closed || (b.ended && kind != boshTerminate && res.err != nil) {
		// An answer lost while the session ends is no news.
		res = boshResult{}
	}
	if res.err != nil || res.end {
		b.ended = true
	}
	if res.err != nil && b.err == nil {
		b.err = res.err // the reader need not wait for the answers before
	}
	b.got[rid] = res
	b.lastAnswer = time.Now()
	b.pumpLocked()
	b.notifyLocked()
}

// answer translates the manager's answer to a request of kind into what
// the stream reads, under b.mu.
func (b *boshConn) answer(kind boshKind, bb *boshBody) boshResult {
	var res boshResult
	if kind == boshCreate {
		if bb.sid == "" && bb.typ != "terminate" {
			return boshResult{err: errors.New("xmpp: bosh: the session creation answer has no sid")}
		}
		b.sid = bb.sid
		b.id, b.from, b.version = bb.authid, bb.from, bb.version
		if b.version == "" {
			b.version = "1.0"
		}
		b.requests = max(1, min(bb.int("requests", 2), 8))
		b.hold = bb.int("hold", 1)
		b.wait = min(bb.int("wait", boshWait), boshWait)
		b.polling = time.Duration(bb.int("polling", 0)) * time.Second
	}
	if kind == boshCreate {
		res.data = b.streamHeader()
	}
	switch bb.typ {
	case "terminate":
		if bb.condition != "" && bb.condition != "remote-stream-error" && kind != boshTerminate {
			return boshResult{err: &BOSHError{Condition: bb.condition, Status: 200}}
		}
		res.data = append(res.data, bb.inner...)
		res.data = append(res.data, streamEnd...)
		res.end = true
		return res
	case "error": // XEP-0124's legacy error
		return boshResult{err: &BOSHError{Condition: bb.condition, Status: 200}}
	}
	res.data = append(res.data, bb.inner...)
	return res
}

// streamHeader is the stream header the reader reads for the session's
// creation and each restart.
func (b *boshConn) streamHeader() []byte {
	out := []byte(wsStreamStart)
	for _, a := range [...]struct{ name, value string }{{"version", b.version}, {"from", b.from}, {"id", b.id}} {
		if a.value == "" {
			continue
		}
		out = append(out, ' ')
		out = append(out, a.name...)
		out = append(out, "='"...)
		out, _ = xmlstream.AppendAttr(out, a.value)
		out = append(out, '\'')
	}
	return append(out, '>')
}

// exchange posts body and returns the body of the answer. A connection
// that fails without an answer is replaced and the same body sent again
// (XEP-0124 section 14), up to boshTries times; an HTTP error is a
// *BOSHError, not tried again.
//
// Requests go out in rid order, each written once before the next is:
// a manager need not take them out of order (ejabberd does not).
func (b *boshConn) exchange(rid uint64, body []byte, timeout time.Duration) ([]byte, error) {
	defer b.wrote(rid) // when every try failed: the session is over anyway
	var last error
	for try := range boshTries {
		if try > 0 {
			// A short pause, so that a manager that restarts gets a
			// chance; Close ends it.
			t := time.NewTimer(time.Duration(try*try) * 100 * time.Millisecond)
			select {
			case <-b.ctx.Done():
				t.Stop()
				return nil, net.ErrClosed
			case <-t.C:
			}
		}
		hc, err := b.conn()
		if err != nil {
			if b.ctx.Err() != nil {
				return nil, net.ErrClosed
			}
			last = err
			continue
		}
		resp, keep, err := hc.post(b, rid, body, timeout)
		b.mu.Lock()
		delete(b.active, hc)
		if err == nil && keep && !b.closed && len(b.idle) < b.requests {
			b.idle = append(b.idle, hc)
			hc = nil
		}
		b.mu.Unlock()
		if hc != nil {
			hc.conn.Close()
		}
		var be *BOSHError
		if err == nil || errors.As(err, &be) {
			return resp, err
		}
		if b.ctx.Err() != nil {
			return nil, net.ErrClosed
		}
		last = err
	}
	return nil, fmt.Errorf("xmpp: bosh: no answer from %s after %d tries: %w", b.url, boshTries, last)
}

// turn waits until the requests before rid are written, the last of
// them boshSpacing ago at least.
func (b *boshConn) turn(rid uint64) error {
	b.mu.Lock()
	for b.written+1 < rid {
		if err := b.waitLocked(time.Time{}); err != nil {
			b.mu.Unlock()
			return err
		}
	}
	d := boshSpacing - time.Since(b.wroteAt)
	if b.written >= rid {
		d = 0 // a request sent again
	}
	b.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-b.ctx.Done():
			return net.ErrClosed
		}
	}
	return nil
}

// wrote notes that the request rid is written.
func (b *boshConn) wrote(rid uint64) {
	b.mu.Lock()
	if rid > b.written {
		b.written, b.wroteAt = rid, time.Now()
		b.notifyLocked()
	}
	b.mu.Unlock()
}

// conn takes an idle connection or dials a new one, and marks it in use.
func (b *boshConn) conn() (*httpConn, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, net.ErrClosed
	}
	if n := len(b.idle); n > 0 {
		hc := b.idle[n-1]
		b.idle[n-1] = nil
		b.idle = b.idle[:n-1]
		b.active[hc] = struct{}{}
		b.mu.Unlock()
		return hc, nil
	}
	b.mu.Unlock()
	hc, err := b.dial(b.ctx)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		hc.conn.Close()
		return nil, net.ErrClosed
	}
	b.active[hc] = struct{}{}
	return hc, nil
}

// post sends one request and reads its answer, whole, within timeout.
// keep says the connection may carry the next request.
func (hc *httpConn) post(b *boshConn, rid uint64, body []byte, timeout time.Duration) (resp []byte, keep bool, err error) {
	if err := b.turn(rid); err != nil {
		return nil, false, err
	}
	hc.raw.SetDeadline(time.Now().Add(timeout))
	req := make([]byte, 0, 160+len(b.path)+len(b.host)+len(body))
	req = append(req, "POST "+b.path+" HTTP/1.1\r\nHost: "+b.host+"\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: "...)
	req = strconv.AppendInt(req, int64(len(body)), 10)
	req = append(req, "\r\n\r\n"...)
	req = append(req, body...)
	if _, err := hc.conn.Write(req); err != nil {
		return nil, false, err
	}
	b.wrote(rid)
	hc.lr.N = boshMaxHeader
	tp := textproto.NewReader(hc.br)
	status, err := tp.ReadLine()
	if err != nil {
		return nil, false, err
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, false, err
	}
	proto, rest, _ := strings.Cut(status, " ")
	codeText, _, _ := strings.Cut(rest, " ")
	code, cerr := strconv.Atoi(codeText)
	if !strings.HasPrefix(proto, "HTTP/1.") || cerr != nil {
		return nil, false, fmt.Errorf("xmpp: bosh: not an HTTP answer: %q", status)
	}
	keep = proto == "HTTP/1.1" && !headerHas(h.Values("Connection"), "close")
	hc.lr.N = int64(hc.br.Buffered()) + int64(b.max) + boshMaxHeader // the body, and chunk lines
	switch te := h.Get("Transfer-Encoding"); {
	case strings.EqualFold(te, "chunked"):
		resp, err = readChunked(hc.br, b.max)
	case te != "" && !strings.EqualFold(te, "identity"):
		return nil, false, fmt.Errorf("xmpp: bosh: an answer in %s encoding", te)
	case h.Get("Content-Length") != "":
		n, perr := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
		if perr != nil || n < 0 {
			return nil, false, fmt.Errorf("xmpp: bosh: Content-Length %q", h.Get("Content-Length"))
		}
		if n > int64(b.max) {
			return nil, false, &xmlstream.Error{Condition: xmlstream.PolicyViolation, Msg: fmt.Sprintf("a BOSH body larger than the limit (%d bytes)", b.max)}
		}
		resp = make([]byte, n)
		_, err = io.ReadFull(hc.br, resp)
	default: // the body ends with the connection
		keep = false
		resp, err = io.ReadAll(io.LimitReader(hc.br, int64(b.max)+1))
		if err == nil && len(resp) > b.max {
			return nil, false, &xmlstream.Error{Condition: xmlstream.PolicyViolation, Msg: fmt.Sprintf("a BOSH body larger than the limit (%d bytes)", b.max)}
		}
	}
	if err != nil {
		return nil, false, err
	}
	hc.raw.SetDeadline(noDeadline)
	if code != 200 {
		return nil, false, &BOSHError{Status: code, Condition: textproto.TrimString(h.Get("X-Bosh-Condition"))}
	}
	return resp, keep, nil
}

// readChunked reads a chunked body (RFC 9112 section 7.1) of at most max
// bytes, and its trailer.
func readChunked(br *bufio.Reader, max int) ([]byte, error) {
	tp := textproto.NewReader(br)
	var out []byte
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return nil, err
		}
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseUint(strings.TrimSpace(size), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("xmpp: bosh: a chunk size %q", line)
		}
		if n == 0 {
			_, err := tp.ReadMIMEHeader() // the trailer
			return out, err
		}
		if uint64(len(out))+n > uint64(max) {
			return nil, &xmlstream.Error{Condition: xmlstream.PolicyViolation, Msg: fmt.Sprintf("a BOSH body larger than the limit (%d bytes)", max)}
		}
		out = append(out, make([]byte, n)...)
		if _, err := io.ReadFull(br, out[len(out)-int(n):]); err != nil {
			return nil, err
		}
		if line, err := tp.ReadLine(); err != nil || line != "" {
			return nil, errors.New("xmpp: bosh: a chunk without its line end")
		}
	}
}

// Read reads the stream: the manager's answers, in the order of the
// requests they answer.
func (b *boshConn) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.pending) == 0 {
		if b.closed {
			return 0, net.ErrClosed
		}
		if res, ok := b.got[b.next]; ok {
			delete(b.got, b.next)
			b.next++
			b.pending = res.data
			if res.end {
				b.eof = true
			}
			continue
		}
		if b.err != nil {
			return 0, b.err
		}
		if b.eof {
			return 0, io.EOF
		}
		if err := b.waitLocked(b.rdl); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.pending)
	if b.pending = b.pending[n:]; len(b.pending) == 0 {
		b.pending = nil
		if len(b.got) == 0 {
			b.pumpLocked() // all taken: the manager may send more
		}
	}
	return n, nil
}

// waitLocked waits for a change, until the deadline dl.
func (b *boshConn) waitLocked(dl time.Time) error {
	if b.closed {
		return net.ErrClosed
	}
	ch := b.changed
	if dl.IsZero() {
		b.mu.Unlock()
		<-ch
		b.mu.Lock()
		return nil
	}
	d := time.Until(dl)
	if d <= 0 {
		return os.ErrDeadlineExceeded
	}
	t := time.NewTimer(d)
	b.mu.Unlock()
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
	b.mu.Lock()
	return nil
}

// Close ends the session at once, cutting what is in flight: the stream
// sends its terminate first when it closes cleanly (</stream:stream>).
func (b *boshConn) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed, b.ended = true, true
	if b.cancel != nil {
		b.cancel()
	}
	if b.pollTimer != nil {
		b.pollTimer.Stop()
	}
	for _, hc := range b.idle {
		hc.conn.Close()
	}
	b.idle = nil
	for hc := range b.active {
		hc.raw.Close()
	}
	b.notifyLocked()
	return nil
}

// boshAddr is the manager's URL, for LocalAddr and RemoteAddr.
type boshAddr string

func (a boshAddr) Network() string { return "bosh" }
func (a boshAddr) String() string  { return string(a) }

func (b *boshConn) LocalAddr() net.Addr  { return boshAddr("") }
func (b *boshConn) RemoteAddr() net.Addr { return boshAddr(b.url) }

func (b *boshConn) SetDeadline(t time.Time) error {
	b.mu.Lock()
	b.rdl, b.wdl = t, t
	b.notifyLocked()
	b.mu.Unlock()
	return nil
}

func (b *boshConn) SetReadDeadline(t time.Time) error {
	b.mu.Lock()
	b.rdl = t
	b.notifyLocked()
	b.mu.Unlock()
	return nil
}

func (b *boshConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	b.wdl = t
	b.notifyLocked()
	b.mu.Unlock()
	return nil
}
